//! Site behaviour and targeted messages (issue 17, points 1 and 4): the widget
//! reports pages and the site's events; segments select customers by them
//! (through their chat identifiers, so merges keep them); targeted messages
//! are chosen by page, audience, segment and frequency, counted, refused when
//! malformed and kept to their workspace. Both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::serverfns::campaigns::GetCampaignStats;
use app::serverfns::segments::DeleteSegment;
use app::serverfns::targeted::{DeleteTargeted, GetTargeted, SaveTargeted};
use app::serverfns::tours::{DeleteTour, GetTours, SaveTour, SetTourStatus};
use app::services::campaigns::runner;
use app::services::channels::settings;
use app::services::context::RequestMeta;
use app::types::{
    Channel, Cond, CondOp, FlowGraph, FlowOp, NodeKind, SegmentForm, TargetRules,
    TargetedMessageForm, TourForm, TourStep,
};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::marketing::{
    campaign, campaign_draft, campaign_graph, condition, everyone, set, test, time_passes, who,
};
use common::{add_member, e, fns::path, n, workspace, Backend, Client, Res, TestApp, Ws};
use entity::{campaign_run, campaign_send};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, QueryFilter};
use serde_json::{json, Value};
use std::collections::BTreeSet;

async fn post(c: &mut Client, uri: &str, body: Value) -> Res {
    c.send(
        Request::post(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

async fn chat_key(app: &TestApp, ws: &Ws) -> String {
    settings::get_or_create(&app.state.db, ws.scope, Channel::Chat)
        .await
        .unwrap()
        .public_key
        .unwrap()
}

/// A widget visitor: a session, and (when `email` is given) a first message
/// and the address, which make them a known customer.
struct Visitor {
    key: String,
    token: String,
}

impl Visitor {
    async fn new(app: &TestApp, key: &str, email: Option<&str>) -> Self {
        let mut c = app.client();
        let r = post(&mut c, "/widget/api/session", json!({ "key": key })).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let v = Self {
            key: key.to_owned(),
            token: r.json()["token"].as_str().unwrap().to_owned(),
        };
        if let Some(email) = email {
            let r = v
                .post(
                    app,
                    "messages",
                    json!({ "client_id": "client0001", "body": "hello" }),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            let r = v.post(app, "email", json!({ "email": email })).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
        v
    }

    async fn post(&self, app: &TestApp, what: &str, mut body: Value) -> Res {
        body["key"] = json!(self.key);
        body["token"] = json!(self.token);
        post(&mut app.client(), &format!("/widget/api/{what}"), body).await
    }

    /// Visits `url`; the ids of the messages to show, in order.
    async fn visit(&self, app: &TestApp, url: &str) -> Vec<(i64, Value)> {
        let r = self
            .post(app, "visit", json!({ "url": url, "title": "A page" }))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json()["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["id"].as_i64().unwrap(), m.clone()))
            .collect()
    }

    async fn ids(&self, app: &TestApp, url: &str) -> Vec<i64> {
        self.visit(app, url)
            .await
            .into_iter()
            .map(|(i, _)| i)
            .collect()
    }

    async fn mark(&self, app: &TestApp, id: i64, event: &str) {
        let r = self
            .post(app, "targeted", json!({ "message_id": id, "event": event }))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
}

/// The field a 422 names (the widget API's and a server function's shapes).
fn field(r: &Res) -> Value {
    let j = r.json();
    match &j["error"]["details"]["field"] {
        Value::Null => j["Validation"]["field"].clone(),
        f => f.clone(),
    }
}

async fn behaviour_feeds_segments(b: Backend) {
    let app = TestApp::new(b).await;
    let ws = workspace(&app, "olga@acme.test", "Acme").await;
    let key = chat_key(&app, &ws).await;
    let ann = Visitor::new(&app, &key, Some("ann@ann.test")).await;
    let bob = Visitor::new(&app, &key, Some("bob@bob.test")).await;
    let anon = Visitor::new(&app, &key, None).await;
    ann.visit(&app, "https://shop.test/pricing?plan=pro").await;
    ann.visit(&app, "https://shop.test/docs/start").await;
    bob.visit(&app, "https://shop.test/blog/").await;
    anon.visit(&app, "https://shop.test/pricing").await;
    let r = ann
        .post(
            &app,
            "track",
            json!({ "name": "Signed_Up", "properties": { "plan": "pro" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    use CondOp::*;
    let ann_only = set(&["ann@ann.test"]);
    let bob_only = set(&["bob@bob.test"]);
    assert_eq!(
        who(&app, &ws, test("site.pages", Contains, "/PRICING")).await,
        ann_only
    );
    assert_eq!(
        who(&app, &ws, test("site.pages", StartsWith, "/docs")).await,
        ann_only
    );
    assert_eq!(
        who(&app, &ws, test("site.pages", Is, "/blog")).await,
        bob_only,
        "a trailing slash is the same page"
    );
    assert_eq!(
        who(&app, &ws, test("site.pages", Contains, "shop.test/blog")).await,
        bob_only,
        "a value without a leading / tests the whole address"
    );
    assert_eq!(
        who(&app, &ws, test("site.pages", NotContains, "pricing")).await,
        bob_only,
        "the anonymous visitor is not a customer"
    );
    assert_eq!(
        who(&app, &ws, test("site.page_views", Above, "1")).await,
        ann_only
    );
    assert_eq!(
        who(&app, &ws, test("site.events", Includes, "signed_up")).await,
        ann_only
    );
    assert_eq!(
        who(&app, &ws, test("site.events", Excludes, "signed_up")).await,
        bob_only
    );
    assert_eq!(
        who(&app, &ws, test("site.days_since_seen", Below, "1")).await,
        set(&["ann@ann.test", "bob@bob.test"])
    );
    assert!(who(&app, &ws, test("site.days_since_seen", Above, "1"))
        .await
        .is_empty());
    // The editor offers the events the site has sent.
    let page = app::services::segments::page(&app.state, &ws.actor)
        .await
        .unwrap();
    let events = page
        .fields
        .iter()
        .find(|f| f.name == "site.events")
        .unwrap();
    assert_eq!(
        events.choices,
        vec![("signed_up".to_owned(), "signed_up".to_owned())]
    );

    // Merging Ann into Bob carries her pages along.
    let cust = |email: &'static str| {
        let db = app.state.db.clone();
        let scope = ws.scope;
        async move {
            scope
                .find::<entity::customer::Entity>()
                .filter(entity::customer::Column::Email.eq(email))
                .one(&db)
                .await
                .unwrap()
                .unwrap()
                .id
        }
    };
    let (a, bo) = (cust("ann@ann.test").await, cust("bob@bob.test").await);
    app::services::inbox::customers::merge(&app.state, &ws.actor, bo, a, &RequestMeta::default())
        .await
        .unwrap();
    assert_eq!(
        who(&app, &ws, test("site.pages", Contains, "/pricing")).await,
        bob_only
    );

    // Bad reports: 4xx naming what is wrong; nothing written.
    let before = app::services::behaviour::event_names(&app.state.db, ws.scope)
        .await
        .unwrap();
    let r = ann
        .post(&app, "visit", json!({ "url": "javascript:alert(1)" }))
        .await;
    assert_eq!(
        (r.status, field(&r)),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("url")),
        "{}",
        r.body
    );
    let r = ann.post(&app, "track", json!({ "name": "a<b" })).await;
    assert_eq!(
        (r.status, field(&r)),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("name")),
        "{}",
        r.body
    );
    let r = ann
        .post(&app, "track", json!({ "name": "ok", "properties": [1, 2] }))
        .await;
    assert_eq!(
        (r.status, field(&r)),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("properties")),
        "{}",
        r.body
    );
    let r = ann
        .post(
            &app,
            "track",
            json!({ "name": "ok", "properties": { "x": "y".repeat(3_000) } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        app::services::behaviour::event_names(&app.state.db, ws.scope)
            .await
            .unwrap(),
        before
    );
    let r = post(
        &mut app.client(),
        "/widget/api/visit",
        json!({ "key": "pk_unknown00000000000000000000", "token": ann.token, "url": "https://shop.test/" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // A site the widget is not allowed on.
    let row = settings::get_or_create(&app.state.db, ws.scope, Channel::Chat)
        .await
        .unwrap();
    settings::update(
        &app.state,
        &ws.actor,
        Channel::Chat,
        true,
        &json!({ "allowed_origins": ["https://shop.test"] }),
        &settings::rules(&row),
    )
    .await
    .unwrap();
    let r = ann
        .post(&app, "visit", json!({ "url": "https://evil.test/pricing" }))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("https://evil.test"), "{}", r.body);
    assert_eq!(
        ann.ids(&app, "https://shop.test/ok").await,
        Vec::<i64>::new()
    );

    // Another workspace's segments see none of it.
    let other = workspace(&app, "bea@other.test", "Other").await;
    assert!(who(&app, &other, test("site.pages", Contains, "/"))
        .await
        .is_empty());
    app.finish().await;
}

fn message(name: &str, style: &str, placement: &str) -> TargetedMessageForm {
    TargetedMessageForm {
        name: name.into(),
        style: style.into(),
        placement: placement.into(),
        status: "live".into(),
        title: format!("{name}!"),
        body: "Some text".into(),
        ..TargetedMessageForm::default()
    }
}

async fn save(ws: &mut Ws, form: &TargetedMessageForm) -> Res {
    ws.owner
        .call_json(path::<SaveTargeted>(), &json!({ "form": form }))
        .await
}

async fn saved(ws: &mut Ws, form: &TargetedMessageForm) -> i64 {
    let r = save(ws, form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["form"]["id"].as_i64().unwrap()
}

async fn targeted_messages_follow_their_rules(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@acme.test", "Acme").await;
    let key = chat_key(&app, &ws).await;
    let ann = Visitor::new(&app, &key, Some("ann@ann.test")).await;
    let anon = Visitor::new(&app, &key, None).await;
    let regulars = app::services::segments::save(
        &app.state,
        &ws.actor,
        &SegmentForm {
            id: None,
            name: "Ann's people".into(),
            description: String::new(),
            conditions: Cond::Group {
                any: false,
                items: vec![test("customer.email_domain", CondOp::Is, "ann.test")],
            },
        },
        &RequestMeta::default(),
    )
    .await
    .unwrap();

    let sale = saved(&mut ws, &message("Sale", "banner", "top")).await;
    let mut pricing = message("Pricing help", "modal", "center");
    pricing.frequency = "until_dismissed".into();
    pricing.rules = TargetRules {
        page_match: "starts_with".into(),
        page_value: "/pricing".into(),
        seconds_on_page: 10,
        ..TargetRules::default()
    };
    let pricing = saved(&mut ws, &pricing).await;
    let mut vip = message("For Ann's people", "slide_in", "right");
    vip.frequency = "every_page".into();
    vip.rules.segment_id = Some(regulars.id);
    vip.rules.audience = "customers".into();
    let vip = saved(&mut ws, &vip).await;
    let mut tip = message("New button", "tooltip", "below");
    tip.anchor = "#signup".into();
    tip.rules.audience = "visitors".into();
    tip.frequency = "every_page".into();
    let tip = saved(&mut ws, &tip).await;
    let mut draft = message("Not yet", "banner", "bottom");
    draft.status = "draft".into();
    saved(&mut ws, &draft).await;
    // A second live banner waits for the first (one of each style a page).
    let later = saved(&mut ws, &message("Later banner", "banner", "bottom")).await;

    let shown = anon.visit(&app, "https://shop.test/pricing/teams").await;
    let ids: Vec<i64> = shown.iter().map(|(i, _)| *i).collect();
    assert_eq!(
        ids,
        vec![sale, pricing, tip],
        "the segment's slide-in is for known customers"
    );
    let modal = &shown[1].1;
    assert_eq!(modal["delay_seconds"], json!(10));
    assert_eq!(modal["style"], json!("modal"));
    assert_eq!(shown[2].1["anchor"], json!("#signup"));
    assert_eq!(
        ann.ids(&app, "https://shop.test/").await,
        vec![sale, vip],
        "Ann: a customer in the segment, not on /pricing"
    );

    // Frequencies: `once` ends at the first showing; `until_dismissed` at a
    // close or a click; `every_page` never.
    anon.mark(&app, sale, "shown").await;
    anon.mark(&app, pricing, "shown").await;
    anon.mark(&app, tip, "shown").await;
    assert_eq!(
        anon.ids(&app, "https://shop.test/pricing").await,
        vec![pricing, tip, later],
        "oldest first; the second banner now that the first is done"
    );
    anon.mark(&app, later, "shown").await;
    anon.mark(&app, pricing, "shown").await;
    anon.mark(&app, pricing, "dismissed").await;
    anon.mark(&app, tip, "shown").await;
    anon.mark(&app, tip, "clicked").await;
    assert_eq!(anon.ids(&app, "https://shop.test/pricing").await, vec![tip]);
    ann.mark(&app, vip, "shown").await;
    ann.mark(&app, vip, "clicked").await;
    assert_eq!(ann.ids(&app, "https://shop.test/").await, vec![sale, vip]);

    // The counts: visitors reached, showings, clicks and closes.
    let r = ws.owner.call(path::<GetTargeted>(), &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let list = r.json()["messages"].as_array().unwrap().clone();
    let stats = |id: i64| {
        let m = list.iter().find(|m| m["form"]["id"] == json!(id)).unwrap();
        (
            m["stats"]["visitors"].as_u64().unwrap(),
            m["stats"]["shows"].as_u64().unwrap(),
            m["stats"]["clicked"].as_u64().unwrap(),
            m["stats"]["dismissed"].as_u64().unwrap(),
        )
    };
    assert_eq!(stats(pricing), (1, 2, 0, 1));
    assert_eq!(stats(tip), (1, 2, 1, 0));
    assert_eq!(stats(vip), (1, 1, 1, 0));
    let m = list.iter().find(|m| m["form"]["id"] == json!(vip)).unwrap();
    assert_eq!(
        m["summary"],
        json!("On any page, to customers in Ann's people")
    );
    // Pausing stops it.
    let mut paused = message("Sale", "banner", "top");
    paused.id = Some(i32::try_from(sale).unwrap());
    paused.status = "paused".into();
    saved(&mut ws, &paused).await;
    let fresh = Visitor::new(&app, &key, None).await;
    assert_eq!(
        fresh.ids(&app, "https://shop.test/").await,
        vec![tip, later]
    );

    // The segment a message targets cannot be deleted.
    let r = ws
        .owner
        .call(path::<DeleteSegment>(), &[("id", &regulars.id.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(
        r.body.contains("the targeted message “For Ann's people”"),
        "{}",
        r.body
    );
    app.finish().await;
}

async fn targeted_messages_are_checked_and_kept_apart(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@acme.test", "Acme").await;
    let mut other = workspace(&app, "bea@other.test", "Other").await;
    let mine = saved(&mut ws, &message("Mine", "banner", "top")).await;
    let before = ws.owner.call(path::<GetTargeted>(), &[]).await.json();

    // Bad forms: 422 naming the field; nothing written.
    let mut bad = message("Oops", "banner", "left");
    let r = save(&mut ws, &bad).await;
    assert_eq!(
        (r.status, field(&r)),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("placement")),
        "{}",
        r.body
    );
    bad = message("Oops", "tooltip", "below");
    let r = save(&mut ws, &bad).await;
    assert_eq!(field(&r), json!("anchor"), "{}", r.body);
    bad = message("Oops", "banner", "top");
    bad.button_label = "Go".into();
    bad.button_url = "javascript:alert(1)".into();
    let r = save(&mut ws, &bad).await;
    assert_eq!(field(&r), json!("button_url"), "{}", r.body);
    bad = message("Oops", "banner", "top");
    bad.rules.page_match = "contains".into();
    let r = save(&mut ws, &bad).await;
    assert_eq!(field(&r), json!("page_value"), "{}", r.body);
    bad = message("Oops", "banner", "top");
    bad.rules.seconds_on_page = 9_999;
    let r = save(&mut ws, &bad).await;
    assert_eq!(field(&r), json!("seconds_on_page"), "{}", r.body);
    assert_eq!(
        ws.owner.call(path::<GetTargeted>(), &[]).await.json(),
        before
    );

    // Another workspace's message: 404 to change or delete, absent from its
    // list, and its visitors cannot count it.
    let theirs = other.owner.call(path::<GetTargeted>(), &[]).await.json();
    assert_eq!(theirs["messages"], json!([]));
    let mut steal = message("Stolen", "banner", "top");
    steal.id = Some(i32::try_from(mine).unwrap());
    let r = save(&mut other, &steal).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = other
        .owner
        .call(path::<DeleteTargeted>(), &[("id", &mine.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let other_key = chat_key(&app, &other).await;
    let stranger = Visitor::new(&app, &other_key, None).await;
    let r = stranger
        .post(
            &app,
            "targeted",
            json!({ "message_id": mine, "event": "shown" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert!(stranger.ids(&app, "https://shop.test/").await.is_empty());
    let r = stranger
        .post(
            &app,
            "targeted",
            json!({ "message_id": mine, "event": "liked" }),
        )
        .await;
    assert_eq!(field(&r), json!("event"), "{}", r.body);
    // A segment of another workspace is not one of ours.
    let seg = app::services::segments::save(
        &app.state,
        &other.actor,
        &SegmentForm {
            id: None,
            name: "Theirs".into(),
            description: String::new(),
            conditions: Cond::Group {
                any: false,
                items: vec![],
            },
        },
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    let mut foreign = message("Foreign", "banner", "top");
    foreign.rules.segment_id = Some(seg.id);
    let r = save(&mut ws, &foreign).await;
    assert_eq!(
        (r.status, field(&r)),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("segment_id")),
        "{}",
        r.body
    );
    let r = ws
        .owner
        .call(path::<DeleteTargeted>(), &[("id", &mine.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Agents do not manage them.
    let mut agent = add_member(&app, &mut ws.owner, "sam@acme.test", "agent").await;
    let r = agent.call(path::<GetTargeted>(), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    app.finish().await;
}

fn tour_form(name: &str) -> TourForm {
    TourForm {
        name: name.into(),
        start_url: "https://shop.test/".into(),
        steps: vec![
            TourStep::new(
                "s1",
                "Our jackets",
                &["css:[data-tour=\"jackets\"]", "css:body > main > div"],
            ),
            TourStep::new("s2", "Ask us anything", &["text:a:Contact us"]),
        ],
        ..TourForm::default()
    }
}

async fn tour_call(ws: &mut Ws, f: &TourForm) -> Res {
    ws.owner
        .call_json(path::<SaveTour>(), &json!({ "form": f }))
        .await
}

async fn tour_status(ws: &mut Ws, id: i64, status: &str) -> Res {
    ws.owner
        .call(
            path::<SetTourStatus>(),
            &[("id", &id.to_string()), ("status", status)],
        )
        .await
}

async fn tours_run_and_count_their_steps(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@acme.test", "Acme").await;
    let key = chat_key(&app, &ws).await;
    let r = tour_call(&mut ws, &tour_form("Welcome")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let id = r.json()["form"]["id"].as_i64().unwrap();
    assert_eq!(r.json()["status"], json!("draft"));
    let anon = Visitor::new(&app, &key, None).await;
    let tour_of = |r: &Res| r.json()["tour"].clone();
    let visit = |v: &Visitor| {
        let v = Visitor {
            key: v.key.clone(),
            token: v.token.clone(),
        };
        let app = &app;
        async move {
            v.post(app, "visit", json!({ "url": "https://shop.test/" }))
                .await
        }
    };
    // A draft runs for nobody.
    assert_eq!(tour_of(&visit(&anon).await), Value::Null);
    let r = tour_status(&mut ws, id, "live").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let t = tour_of(&visit(&anon).await);
    assert_eq!(t["id"], json!(id));
    assert_eq!(
        t["steps"][1]["target"]["selectors"],
        json!(["text:a:Contact us"])
    );

    // Editing the draft does not touch what visitors get until published again.
    let mut f = tour_form("Welcome");
    f.id = Some(i32::try_from(id).unwrap());
    f.steps.truncate(1);
    let r = tour_call(&mut ws, &f).await;
    assert_eq!(r.json()["unpublished_changes"], json!(true));
    assert_eq!(
        tour_of(&visit(&anon).await)["steps"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // The runtime's reports: step 1 shown, step 2's element missing (skipped),
    // then finished. Counted once per visitor, however often reported.
    for (step, event) in [
        ("s1", "shown"),
        ("s1", "shown"),
        ("s2", "missing"),
        ("", "completed"),
    ] {
        let r = anon
            .post(
                &app,
                "tour",
                json!({ "tour_id": id, "step": step, "event": event }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    // `once`: started, so not again.
    assert_eq!(tour_of(&visit(&anon).await), Value::Null);
    let other = Visitor::new(&app, &key, None).await;
    let r = other
        .post(
            &app,
            "tour",
            json!({ "tour_id": id, "step": "s1", "event": "shown" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = other
        .post(
            &app,
            "tour",
            json!({ "tour_id": id, "step": "s1", "event": "dismissed" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = ws.owner.call(path::<GetTours>(), &[]).await;
    let v = &r.json()["tours"][0];
    assert_eq!(
        (v["started"].clone(), v["completed"].clone()),
        (json!(2), json!(1))
    );
    assert_eq!(v["steps"][0]["shown"], json!(2));
    assert_eq!(v["steps"][0]["dismissed"], json!(1));
    assert_eq!(v["steps"][1]["missing"], json!(1));
    // Bad reports.
    let r = anon
        .post(
            &app,
            "tour",
            json!({ "tour_id": id, "step": "s9", "event": "shown" }),
        )
        .await;
    assert_eq!(field(&r), json!("step"), "{}", r.body);
    let r = anon
        .post(
            &app,
            "tour",
            json!({ "tour_id": id, "step": "s1", "event": "liked" }),
        )
        .await;
    assert_eq!(field(&r), json!("event"), "{}", r.body);

    // `until_dismissed` runs again for someone who neither closed nor
    // finished it; paused, for nobody.
    let mut f = tour_form("Again");
    f.frequency = "until_dismissed".into();
    let again = tour_call(&mut ws, &f).await.json()["form"]["id"]
        .as_i64()
        .unwrap();
    tour_status(&mut ws, again, "live").await;
    let fresh = Visitor::new(&app, &key, None).await;
    assert_eq!(
        tour_of(&visit(&fresh).await)["id"],
        json!(id),
        "the oldest live tour first"
    );
    fresh
        .post(
            &app,
            "tour",
            json!({ "tour_id": id, "step": "s1", "event": "dismissed" }),
        )
        .await;
    // `Welcome` is `once` and was not shown to `fresh`: still its turn.
    assert_eq!(tour_of(&visit(&fresh).await)["id"], json!(id));
    tour_status(&mut ws, id, "paused").await;
    assert_eq!(tour_of(&visit(&fresh).await)["id"], json!(again));
    fresh
        .post(
            &app,
            "tour",
            json!({ "tour_id": again, "step": "", "event": "completed" }),
        )
        .await;
    assert_eq!(tour_of(&visit(&fresh).await), Value::Null);
    app.finish().await;
}

async fn tours_are_checked_and_kept_apart(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@acme.test", "Acme").await;
    let mut other = workspace(&app, "bea@other.test", "Other").await;
    let mut bad = tour_form("Bad");
    bad.start_url = "shop.test".into();
    let r = tour_call(&mut ws, &bad).await;
    assert_eq!(
        (r.status, field(&r)),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("start_url")),
        "{}",
        r.body
    );
    let mut bad = tour_form("Bad");
    bad.steps[1].target.selectors = vec!["xpath://a".into()];
    let r = tour_call(&mut ws, &bad).await;
    assert_eq!(field(&r), json!("steps"), "{}", r.body);
    assert!(r.body.contains("Step 2"), "{}", r.body);
    let mut empty = tour_form("Empty");
    empty.steps.clear();
    let id = tour_call(&mut ws, &empty).await.json()["form"]["id"]
        .as_i64()
        .unwrap();
    let r = tour_status(&mut ws, id, "live").await;
    assert_eq!(field(&r), json!("steps"), "{}", r.body);
    assert_eq!(
        ws.owner.call(path::<GetTours>(), &[]).await.json()["tours"][0]["status"],
        json!("draft")
    );

    // Another workspace: 404 to change, publish or delete; its list is its own;
    // its visitors cannot report on ours.
    assert_eq!(
        other.owner.call(path::<GetTours>(), &[]).await.json()["tours"],
        json!([])
    );
    let mut steal = tour_form("Stolen");
    steal.id = Some(i32::try_from(id).unwrap());
    assert_eq!(
        tour_call(&mut other, &steal).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        tour_status(&mut other, id, "live").await.status,
        StatusCode::NOT_FOUND
    );
    let r = other
        .owner
        .call(path::<DeleteTour>(), &[("id", &id.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let stranger = Visitor::new(&app, &chat_key(&app, &other).await, None).await;
    let r = stranger
        .post(
            &app,
            "tour",
            json!({ "tour_id": id, "step": "", "event": "completed" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = ws
        .owner
        .call(path::<DeleteTour>(), &[("id", &id.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut agent = add_member(&app, &mut ws.owner, "sam@acme.test", "agent").await;
    assert_eq!(
        agent.call(path::<GetTours>(), &[]).await.status,
        StatusCode::FORBIDDEN
    );
    app.finish().await;
}

/// Start (everyone) → show "Welcome tips" → wait an hour → seen? → End
/// `seen_end`, else visited the checkout since entering? → `visited_end` or
/// `unseen`.
fn welcome(segment: i32, message_id: i32) -> FlowGraph {
    campaign_graph(
        segment,
        vec![
            n("start", NodeKind::Start),
            n("tips", NodeKind::SendInApp { message_id }),
            n("wait", NodeKind::Wait { minutes: 60 }),
            n("seen", condition("campaign.opened", FlowOp::Is, "yes")),
            n("seen_end", NodeKind::End),
            n(
                "visited",
                condition("campaign.visited", FlowOp::Contains, "/checkout"),
            ),
            n("visited_end", NodeKind::End),
            n("unseen", NodeKind::End),
        ],
        vec![
            e("start", "next", "tips"),
            e("tips", "next", "wait"),
            e("wait", "next", "seen"),
            e("seen", "branch:0", "seen_end"),
            e("seen", "else", "visited"),
            e("visited", "branch:0", "visited_end"),
            e("visited", "else", "unseen"),
        ],
    )
}

async fn in_app_stats(ws: &mut Ws, flow: i32) -> Value {
    let r = ws
        .owner
        .call(path::<GetCampaignStats>(), &[("id", &flow.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let s = r.json()["steps"][0].clone();
    assert_eq!(s["in_app"], json!(true), "{s}");
    s
}

/// A campaign's "In-app message" step: the message (audience "only
/// customers a campaign sends it to") shows nobody by its own rules; the
/// campaign's customers see it on their next visit to one of its pages, once;
/// seeing it counts as opened (the campaign's condition reads it) and the
/// click is counted; a send is its customer's alone; an unseen one lapses
/// after 30 days; a campaign cannot point at another workspace's message and
/// a message a campaign shows is not deleted.
async fn campaigns_send_in_app_messages(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@acme.test", "Acme").await;
    let other = workspace(&app, "bea@other.test", "Other").await;
    let key = chat_key(&app, &ws).await;
    let ann = Visitor::new(&app, &key, Some("ann@ann.test")).await;
    let cy = Visitor::new(&app, &key, Some("cy@cy.test")).await;
    let anon = Visitor::new(&app, &key, None).await;

    let mut tips = message("Welcome tips", "slide_in", "right");
    tips.rules.audience = "campaign".into();
    tips.rules.page_match = "starts_with".into();
    tips.rules.page_value = "/pricing".into();
    let tips_id = saved(&mut ws, &tips).await;
    // A campaign chooses who: a segment as well is refused.
    let mut bad = tips.clone();
    bad.id = Some(i32::try_from(tips_id).unwrap());
    bad.rules.segment_id = Some(1);
    let r = save(&mut ws, &bad).await;
    assert_eq!(field(&r), json!("segment_id"), "{}", r.body);
    // Its own rules show it to nobody.
    assert_eq!(
        ann.ids(&app, "https://shop.test/pricing").await,
        Vec::<i64>::new()
    );
    assert_eq!(
        anon.ids(&app, "https://shop.test/pricing").await,
        Vec::<i64>::new()
    );

    let all = everyone(&app, &ws).await;
    let tips_i32 = i32::try_from(tips_id).unwrap();
    // Another workspace cannot publish a campaign that shows this message.
    let their_all = everyone(&app, &other).await;
    let theirs = campaign_draft(&app, &other, "Borrowed", &welcome(their_all, tips_i32)).await;
    let err =
        app::services::flows::publish(&app.state, &other.actor, theirs, &RequestMeta::default())
            .await
            .expect_err("another workspace's message");
    assert!(
        err.to_string().contains("tips shows targeted message"),
        "{err}"
    );
    let flow = campaign(&app, &ws, "Welcome", &welcome(all, tips_i32)).await;
    runner::tick(&app.state).await.unwrap();
    let s = in_app_stats(&mut ws, flow).await;
    assert_eq!(
        (s["queued"].as_u64(), s["sent"].as_u64()),
        (Some(2), Some(0)),
        "{s}"
    );

    // Not on another page; on a pricing page, with its send.
    assert_eq!(ann.ids(&app, "https://shop.test/").await, Vec::<i64>::new());
    let shown = ann.visit(&app, "https://shop.test/pricing/pro").await;
    assert_eq!(shown.len(), 1, "{shown:?}");
    let (id, m) = &shown[0];
    assert_eq!(*id, tips_id);
    let send = m["send"].as_str().unwrap().to_owned();
    assert!(!send.is_empty(), "{m}");
    // The send's token is no email's: its links do nothing.
    let r = app
        .client()
        .send(
            Request::post(format!("/c/{send}/u"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // Cy cannot count Ann's send.
    let r = cy
        .post(
            &app,
            "targeted",
            json!({ "message_id": tips_id, "event": "shown", "send": send }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    for event in ["shown", "clicked"] {
        let r = ann
            .post(
                &app,
                "targeted",
                json!({ "message_id": tips_id, "event": event, "send": send }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let s = in_app_stats(&mut ws, flow).await;
    assert_eq!(
        (
            s["sent"].as_u64(),
            s["opened"].as_u64(),
            s["clicked"].as_u64(),
            s["queued"].as_u64()
        ),
        (Some(1), Some(1), Some(1), Some(1)),
        "{s}"
    );
    // Seen once: not again.
    assert_eq!(
        ann.ids(&app, "https://shop.test/pricing").await,
        Vec::<i64>::new()
    );
    // Cy only looks at the checkout (not one of the message's pages).
    assert_eq!(
        cy.ids(&app, "https://shop.test/checkout?step=2").await,
        Vec::<i64>::new()
    );

    // An hour on, the condition reads who saw it.
    time_passes(&app, &ws).await;
    runner::tick(&app.state).await.unwrap();
    let ends: BTreeSet<String> = ws
        .scope
        .find::<campaign_run::Entity>()
        .filter(campaign_run::Column::FlowId.eq(flow))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| format!("{}:{}", r.status, r.node))
        .collect();
    assert_eq!(ends, set(&["done:seen_end", "done:visited_end"]));

    // Cy never came: after 30 days the send lapses and no longer shows.
    ws.scope
        .update_many::<campaign_send::Entity>()
        .col_expr(
            campaign_send::Column::QueuedAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::days(31)),
        )
        .filter(campaign_send::Column::Status.eq("waiting"))
        .exec(&app.state.db)
        .await
        .unwrap();
    runner::tick(&app.state).await.unwrap();
    let s = in_app_stats(&mut ws, flow).await;
    assert_eq!(
        (s["queued"].as_u64(), s["failed"].as_u64()),
        (Some(0), Some(1)),
        "{s}"
    );
    assert_eq!(
        cy.ids(&app, "https://shop.test/pricing").await,
        Vec::<i64>::new()
    );

    // The campaign shows it: it stays; so does the segment it enrols.
    let r = ws
        .owner
        .call(path::<DeleteSegment>(), &[("id", &all.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("the flow “Welcome”"), "{}", r.body);
    let r = ws
        .owner
        .call(path::<DeleteTargeted>(), &[("id", &tips_id.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("Welcome"), "{}", r.body);
    app.finish().await;
}

backend_tests!(
    campaigns_send_in_app_messages,
    tours_run_and_count_their_steps,
    tours_are_checked_and_kept_apart,
    behaviour_feeds_segments,
    targeted_messages_follow_their_rules,
    targeted_messages_are_checked_and_kept_apart,
);
