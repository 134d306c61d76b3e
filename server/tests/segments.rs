//! Customer segments (issue 17, point 1): nested conditions over customers'
//! attributes and ticket history evaluated in the database (counts, samples,
//! one customer's membership), checked before saving, refused with a message
//! that names the field, kept to their workspace; chatbot flows branch on them
//! and a segment a flow tests cannot be deleted. Both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::serverfns::segments::{DeleteSegment, GetSegments, PreviewSegment, SaveSegment};
use app::services::channels::inbound::{self, InboundMessage, Sender};
use app::services::context::RequestMeta;
use app::types::{
    Channel, Cond, CondOp, FlowBranch, FlowGraph, FlowOp, FlowSettingsForm, IdentifierKind,
    NodeKind, SegmentForm,
};
use axum::http::StatusCode;
use common::{add_member, e, fns::path, n, workspace, Backend, TestApp, Ws};
use entity::{customer, message};
use sea_orm::{ActiveModelTrait, ColumnTrait, IntoActiveModel, QueryFilter, QueryOrder, Set};
use serde_json::json;
use std::collections::BTreeSet;

/// A customer's message on `channel` from `email`; returns the conversation id.
async fn write(app: &TestApp, ws: &Ws, channel: Channel, email: &str, text: &str) -> i32 {
    let name = email.split('@').next().unwrap();
    let m = InboundMessage::new(
        channel,
        format!("test:{email}:{}", uuid::Uuid::new_v4().simple()),
        Sender {
            kind: IdentifierKind::Email,
            value: email.to_owned(),
            name: Some(format!("{name} Example")),
        },
        text.to_owned(),
    );
    inbound::receive(&app.state, ws.scope, m)
        .await
        .unwrap()
        .conversation_id
}

async fn customer_by_email(app: &TestApp, ws: &Ws, email: &str) -> customer::Model {
    ws.scope
        .find::<customer::Entity>()
        .filter(customer::Column::Email.eq(email))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("the customer")
}

fn test(field: &str, op: CondOp, value: &str) -> Cond {
    Cond::Test {
        field: field.into(),
        op,
        value: value.into(),
    }
}

fn all(items: Vec<Cond>) -> Cond {
    Cond::Group { any: false, items }
}

fn any(items: Vec<Cond>) -> Cond {
    Cond::Group { any: true, items }
}

/// The first names of the customers `c` selects, through the editor's preview.
async fn who(app: &TestApp, ws: &Ws, c: Cond) -> BTreeSet<String> {
    let p = app::services::segments::preview(&app.state, &ws.actor, &c)
        .await
        .unwrap();
    assert_eq!(
        p.count as usize,
        p.sample.len(),
        "the sample holds them all"
    );
    p.sample
        .into_iter()
        .map(|m| m.name.split(' ').next().unwrap().to_owned())
        .collect()
}

fn names(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// ann@bigcorp.com: three chats, one tagged VIP, company BigCorp; bob@bigcorp.com:
/// one email; cy@small.io: one chat, a customer for 40 days; dee@small.io: none.
async fn people(app: &TestApp, ws: &Ws) {
    let first = write(
        app,
        ws,
        Channel::Chat,
        "ann@bigcorp.com",
        "Where is my order?",
    )
    .await;
    write(app, ws, Channel::Chat, "ann@bigcorp.com", "Another thing").await;
    write(app, ws, Channel::Chat, "ann@bigcorp.com", "And one more").await;
    write(app, ws, Channel::Email, "bob@bigcorp.com", "Invoice please").await;
    write(app, ws, Channel::Chat, "cy@small.io", "Hi").await;
    app::services::inbox::conversations::set_tags_in(
        &app.state.db,
        ws.scope,
        first,
        &["VIP".to_owned()],
        &[],
    )
    .await
    .unwrap();
    let ann = customer_by_email(app, ws, "ann@bigcorp.com").await;
    let mut am = ann.into_active_model();
    am.company = Set(Some("BigCorp".into()));
    am.update(&app.state.db).await.unwrap();
    let cy = customer_by_email(app, ws, "cy@small.io").await;
    let mut am = cy.into_active_model();
    am.created_at = Set(chrono::Utc::now() - chrono::Duration::days(40));
    am.update(&app.state.db).await.unwrap();
    customer::ActiveModel {
        workspace_id: Set(ws.scope.workspace_id()),
        name: Set("dee Example".into()),
        email: Set(Some("dee@small.io".into())),
        created_at: Set(chrono::Utc::now()),
        updated_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();
}

async fn segments_select_customers_by_attributes_and_history(b: Backend) {
    let app = TestApp::new(b).await;
    let ws = workspace(&app, "olga@acme.test", "Acme").await;
    people(&app, &ws).await;
    use CondOp::*;
    // Attributes.
    assert_eq!(
        who(&app, &ws, test("customer.email_domain", Is, "BigCorp.com")).await,
        names(&["ann", "bob"])
    );
    assert_eq!(
        who(
            &app,
            &ws,
            test("customer.email_domain", IsNot, "bigcorp.com")
        )
        .await,
        names(&["cy", "dee"])
    );
    assert_eq!(
        who(&app, &ws, test("customer.company", IsEmpty, "")).await,
        names(&["bob", "cy", "dee"])
    );
    assert_eq!(
        who(&app, &ws, test("customer.company", Contains, "corp")).await,
        names(&["ann"])
    );
    assert_eq!(
        who(&app, &ws, test("customer.company", NotContains, "corp")).await,
        names(&["bob", "cy", "dee"])
    );
    assert_eq!(
        who(&app, &ws, test("customer.name", StartsWith, "d")).await,
        names(&["dee"])
    );
    // LIKE's wildcards are taken literally.
    assert!(who(&app, &ws, test("customer.name", Contains, "%"))
        .await
        .is_empty());
    assert!(who(&app, &ws, test("customer.email", Contains, "_"))
        .await
        .is_empty());
    assert_eq!(
        who(&app, &ws, test("customer.days_since_created", Above, "30")).await,
        names(&["cy"])
    );
    // Ticket history.
    assert_eq!(
        who(&app, &ws, test("tickets.count", Above, "2")).await,
        names(&["ann"])
    );
    assert_eq!(
        who(&app, &ws, test("tickets.count", Is, "0")).await,
        names(&["dee"])
    );
    assert_eq!(
        who(&app, &ws, test("tickets.open", Above, "0")).await,
        names(&["ann", "bob", "cy"])
    );
    assert_eq!(
        who(&app, &ws, test("tickets.days_since_last", Below, "1")).await,
        names(&["ann", "bob", "cy"])
    );
    assert_eq!(
        who(&app, &ws, test("tickets.channels", Includes, "email")).await,
        names(&["bob"])
    );
    assert_eq!(
        who(&app, &ws, test("tickets.channels", Excludes, "chat")).await,
        names(&["bob", "dee"])
    );
    assert_eq!(
        who(&app, &ws, test("tickets.tags", Includes, "vip")).await,
        names(&["ann"])
    );
    assert_eq!(
        who(&app, &ws, test("tickets.tags", IsEmpty, "")).await,
        names(&["bob", "cy", "dee"])
    );
    // Nested AND / OR, and an empty group (everyone).
    let nested = all(vec![
        test("customer.email_domain", Is, "small.io"),
        any(vec![
            test("tickets.count", Is, "0"),
            test("tickets.tags", Includes, "vip"),
        ]),
    ]);
    assert_eq!(who(&app, &ws, nested.clone()).await, names(&["dee"]));
    let either = any(vec![
        test("tickets.channels", Includes, "email"),
        test("customer.days_since_created", Above, "30"),
        any(vec![]),
    ]);
    assert_eq!(
        who(&app, &ws, either).await,
        names(&["ann", "bob", "cy", "dee"])
    );

    // Saved: listed with its live count; the count follows the customers.
    let meta = RequestMeta::default();
    let vip = app::services::segments::save(
        &app.state,
        &ws.actor,
        &SegmentForm {
            id: None,
            name: "Regulars".into(),
            description: "Two tickets or more".into(),
            conditions: all(vec![test("tickets.count", Above, "1")]),
        },
        &meta,
    )
    .await
    .unwrap();
    assert_eq!(vip.count, 1);
    assert!(
        vip.summary.contains("Tickets, all time is above 1"),
        "{}",
        vip.summary
    );
    write(
        &app,
        &ws,
        Channel::Email,
        "bob@bigcorp.com",
        "A second question",
    )
    .await;
    let page = ws.owner.clone().call(path::<GetSegments>(), &[]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let page = page.json();
    assert_eq!(page["total"], 4);
    assert_eq!(page["segments"][0]["name"], "Regulars");
    assert_eq!(page["segments"][0]["count"], 2);
    // One customer's membership, as a flow asks.
    let ann = customer_by_email(&app, &ws, "ann@bigcorp.com").await;
    let dee = customer_by_email(&app, &ws, "dee@small.io").await;
    let ids = BTreeSet::from([vip.id]);
    let m = app::services::segments::memberships(&app.state.db, ws.scope, &ids, ann.id)
        .await
        .unwrap();
    assert_eq!(m.get(&vip.id), Some(&true));
    let m = app::services::segments::memberships(&app.state.db, ws.scope, &ids, dee.id)
        .await
        .unwrap();
    assert_eq!(m.get(&vip.id), Some(&false));
    app.finish().await;
}

async fn bad_segments_are_refused_and_workspaces_kept_apart(b: Backend) {
    let app = TestApp::new(b).await;
    let mut a = workspace(&app, "olga@acme.test", "Acme").await;
    let mut bw = workspace(&app, "bea@other.test", "Other").await;
    people(&app, &a).await;
    let save = |form: serde_json::Value| json!({ "form": form });
    // Each bad form is a 4xx naming the field, and nothing is written.
    let cases = [
        (
            json!({"name": " ", "conditions": {"kind": "group", "items": []}}),
            "name",
            "1 to 80 characters",
        ),
        (
            json!({"name": "X", "conditions": {"kind": "group", "items": [{"kind": "test", "field": "customer.shoe_size", "op": "is", "value": "9"}]}}),
            "conditions",
            "no field named `customer.shoe_size`",
        ),
        (
            json!({"name": "X", "conditions": {"kind": "group", "items": [{"kind": "test", "field": "tickets.count", "op": "above", "value": "many"}]}}),
            "conditions",
            "needs a number",
        ),
        (
            json!({"name": "X", "conditions": {"kind": "group", "items": [{"kind": "test", "field": "tickets.count", "op": "contains", "value": "1"}]}}),
            "conditions",
            "cannot be compared",
        ),
    ];
    for (form, field, words) in cases {
        let r = a.owner.call_json(path::<SaveSegment>(), &save(form)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains(field), "{}", r.body);
        assert!(r.body.contains(words), "{}", r.body);
    }
    let r = a
        .owner
        .call_json(
            path::<PreviewSegment>(),
            &json!({"conditions": {"kind": "group", "items": [{"kind": "test", "field": "customer.name", "op": "is", "value": ""}]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Give a value"), "{}", r.body);
    let ok = json!({"name": "Big accounts", "conditions": {"kind": "group", "items": [{"kind": "test", "field": "customer.email_domain", "op": "is", "value": "bigcorp.com"}]}});
    let r = a
        .owner
        .call_json(path::<SaveSegment>(), &save(ok.clone()))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    // Names are unique ignoring case.
    let mut dup = ok.clone();
    dup["name"] = json!("BIG ACCOUNTS");
    let r = a.owner.call_json(path::<SaveSegment>(), &save(dup)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("already a segment called"), "{}", r.body);
    // Agents may not define segments.
    let mut agent = add_member(&app, &mut a.owner, "sam@acme.test", "agent").await;
    let r = agent.call(path::<GetSegments>(), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // The other workspace sees none of it, and cannot change or delete it.
    let r = bw.owner.call(path::<GetSegments>(), &[]).await;
    assert_eq!(r.json()["segments"], json!([]));
    assert_eq!(r.json()["total"], 0);
    let mut theirs = ok.clone();
    theirs["id"] = json!(id);
    theirs["name"] = json!("Taken over");
    let r = bw
        .owner
        .call_json(path::<SaveSegment>(), &save(theirs))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = bw
        .owner
        .call(path::<DeleteSegment>(), &[("id", &id.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // Its preview counts its own customers only (it has none).
    let p = app::services::segments::preview(&app.state, &bw.actor, &Cond::default())
        .await
        .unwrap();
    assert_eq!((p.count, p.total), (0, 0));
    let r = bw
        .owner
        .call_json(
            path::<PreviewSegment>(),
            &json!({"conditions": {"kind": "group", "items": [{"kind": "test", "field": "customer.email_domain", "op": "is", "value": "bigcorp.com"}]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["count"], 0);
    assert_eq!(r.json()["sample"], json!([]));
    // Nor can its flows test A's segment.
    let meta = RequestMeta::default();
    let f = app::services::flows::save_settings(
        &app.state,
        &bw.actor,
        &FlowSettingsForm {
            id: None,
            name: "Peek".into(),
            kind: "chatbot".into(),
            channels: vec!["chat".into()],
            enabled: true,
        },
        &meta,
    )
    .await
    .unwrap();
    app::services::flows::save_draft(
        &app.state,
        &bw.actor,
        f.id,
        &branching(i32::try_from(id).unwrap()),
    )
    .await
    .unwrap();
    let err = app::services::flows::publish(&app.state, &bw.actor, f.id, &meta)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("does not have"), "{err}");
    let r = a.owner.call(path::<GetSegments>(), &[]).await;
    assert_eq!(r.json()["segments"][0]["count"], 2);
    assert_eq!(r.json()["segments"][0]["used_by"], json!([]));
    app.finish().await;
}

/// Start → "is the customer in `segment`?" → a greeting for each answer.
fn branching(segment: i32) -> FlowGraph {
    FlowGraph {
        schema: app::types::FLOW_SCHEMA,
        entry: None,
        trigger: None,
        nodes: vec![
            n("start", NodeKind::Start),
            n(
                "who",
                NodeKind::Condition {
                    branches: vec![FlowBranch {
                        subject: format!("segment.{segment}"),
                        op: FlowOp::Is,
                        value: "yes".into(),
                    }],
                },
            ),
            n(
                "vip",
                NodeKind::SendMessage {
                    text: "Welcome back — you are one of our regulars.".into(),
                },
            ),
            n(
                "hello",
                NodeKind::SendMessage {
                    text: "Hello and welcome!".into(),
                },
            ),
            n("end", NodeKind::End),
        ],
        edges: vec![
            e("start", "next", "who"),
            e("who", "branch:0", "vip"),
            e("who", "else", "hello"),
            e("vip", "next", "end"),
            e("hello", "next", "end"),
        ],
    }
}

async fn last_reply(app: &TestApp, ws: &Ws, conv: i32) -> String {
    ws.scope
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(conv))
        .filter(message::Column::Direction.eq("outbound"))
        .order_by_desc(message::Column::Id)
        .one(&app.state.db)
        .await
        .unwrap()
        .map(|m| m.body_text)
        .unwrap_or_default()
}

async fn flows_branch_on_segments(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@acme.test", "Acme").await;
    // Two earlier email tickets make ann a regular.
    write(&app, &ws, Channel::Email, "ann@bigcorp.com", "First").await;
    write(&app, &ws, Channel::Email, "ann@bigcorp.com", "Second").await;
    let meta = RequestMeta::default();
    let regulars = app::services::segments::save(
        &app.state,
        &ws.actor,
        &SegmentForm {
            id: None,
            name: "Regulars".into(),
            description: String::new(),
            conditions: all(vec![test("tickets.count", CondOp::Above, "1")]),
        },
        &meta,
    )
    .await
    .unwrap();
    // A flow testing a segment that does not exist cannot be published.
    let f = app::services::flows::save_settings(
        &app.state,
        &ws.actor,
        &FlowSettingsForm {
            id: None,
            name: "Greeting".into(),
            kind: "chatbot".into(),
            channels: vec!["chat".into()],
            enabled: true,
        },
        &meta,
    )
    .await
    .unwrap();
    app::services::flows::save_draft(&app.state, &ws.actor, f.id, &branching(regulars.id + 1000))
        .await
        .unwrap();
    let err = app::services::flows::publish(&app.state, &ws.actor, f.id, &meta)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("Step who tests segment.{}", regulars.id + 1000)),
        "{err}"
    );
    // A malformed segment subject is a problem shown on the canvas.
    let mut bad = branching(regulars.id);
    if let NodeKind::Condition { branches } = &mut bad.nodes[1].kind {
        branches[0].subject = "segment.vip".into();
    }
    let d = app::services::flows::save_draft(&app.state, &ws.actor, f.id, &bad)
        .await
        .unwrap();
    assert!(
        d.problems
            .iter()
            .any(|p| p.message.contains("tests a segment by its number")),
        "{:?}",
        d.problems
    );
    app::services::flows::save_draft(&app.state, &ws.actor, f.id, &branching(regulars.id))
        .await
        .unwrap();
    app::services::flows::publish(&app.state, &ws.actor, f.id, &meta)
        .await
        .unwrap();

    // The regular and a newcomer are greeted differently.
    let c = write(&app, &ws, Channel::Chat, "ann@bigcorp.com", "hi").await;
    assert!(last_reply(&app, &ws, c)
        .await
        .contains("one of our regulars"));
    let c = write(&app, &ws, Channel::Chat, "new@small.io", "hi").await;
    assert_eq!(last_reply(&app, &ws, c).await, "Hello and welcome!");

    // The segment is in use: it names the flow and cannot be deleted.
    let r = ws.owner.call(path::<GetSegments>(), &[]).await;
    assert_eq!(r.json()["segments"][0]["used_by"], json!(["Greeting"]));
    let r = ws
        .owner
        .call(path::<DeleteSegment>(), &[("id", &regulars.id.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("the flow “Greeting”"), "{}", r.body);
    // The editor offers it by name.
    let opts = app::services::flows::editor_options(&app.state, &ws.actor)
        .await
        .unwrap();
    assert_eq!(opts.segments, vec![(regulars.id, "Regulars".to_owned())]);
    app.finish().await;
}

/// A segment decides tickets too: a rule tests `customer.segments`, a routing
/// queue takes only a segment's customers, an AI policy rule matches only them;
/// each refuses another workspace's segment, and a segment in use by any of
/// them cannot be deleted.
#[allow(clippy::too_many_lines)]
async fn segments_decide_rules_routing_and_policies(b: Backend) {
    use app::services::actions::policy::{self, Facts};
    use app::types::{
        Effect, PolicyForm, QueueForm, Risk, RuleAction, RuleEvent, RuleForm, RuleKind,
    };
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@acme.test", "Acme").await;
    let other = workspace(&app, "bob@b.test", "Workspace B").await;
    let meta = RequestMeta::default();
    write(&app, &ws, Channel::Email, "ann@bigcorp.com", "First").await;
    write(&app, &ws, Channel::Email, "ann@bigcorp.com", "Second").await;
    let regulars = app::services::segments::save(
        &app.state,
        &ws.actor,
        &SegmentForm {
            id: None,
            name: "Regulars".into(),
            description: String::new(),
            conditions: all(vec![test("tickets.count", CondOp::Above, "1")]),
        },
        &meta,
    )
    .await
    .unwrap();
    let theirs = app::services::segments::save(
        &app.state,
        &other.actor,
        &SegmentForm {
            id: None,
            name: "Theirs".into(),
            description: String::new(),
            conditions: Cond::default(),
        },
        &meta,
    )
    .await
    .unwrap();

    // A rule: regulars' new tickets are tagged.
    let rule = |segment: i32| RuleForm {
        id: None,
        name: "Tag regulars".into(),
        description: String::new(),
        kind: RuleKind::Trigger,
        events: vec![RuleEvent::TicketCreated],
        conditions: all(vec![test(
            "customer.segments",
            CondOp::Includes,
            &segment.to_string(),
        )]),
        actions: vec![RuleAction::AddTags {
            tags: vec!["regular".into()],
        }],
        enabled: true,
    };
    let err = app::services::automation::save(&app.state, &ws.actor, &rule(theirs.id), &meta)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("is not one of the values of Customer's segments"),
        "{err}"
    );
    app::services::automation::save(&app.state, &ws.actor, &rule(regulars.id), &meta)
        .await
        .unwrap();

    // A queue that takes only regulars' tickets.
    let queue = |segment: i32| QueueForm {
        name: "Regulars first".into(),
        strategy: "round_robin".into(),
        segment_id: Some(segment),
        enabled: true,
        ..QueueForm::default()
    };
    let err = app::services::routing::save_queue(&app.state, &ws.actor, &queue(theirs.id))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("That segment does not exist"),
        "{err}"
    );
    let q = app::services::routing::save_queue(&app.state, &ws.actor, &queue(regulars.id))
        .await
        .unwrap();
    assert_eq!(q.takes, "customers in “Regulars”");

    // A policy rule: refunds for regulars run on their own (default: approval).
    let pol = |segment: i32| PolicyForm {
        name: "Regulars' refunds".into(),
        effect: "allow".into(),
        segment_id: Some(segment),
        enabled: true,
        ..PolicyForm::default()
    };
    let err = policy::save(&app.state, &ws.actor, 0, &pol(theirs.id), &meta)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("That segment does not exist"),
        "{err}"
    );
    let page = policy::save(&app.state, &ws.actor, 0, &pol(regulars.id), &meta)
        .await
        .unwrap();
    assert!(
        page.rules[0].summary.contains("customer in “Regulars”"),
        "{}",
        page.rules[0].summary
    );

    // The regular's ticket: tagged, in the queue, assigned; refunds allowed.
    let regular = write(&app, &ws, Channel::Chat, "ann@bigcorp.com", "Third").await;
    let newcomer = write(&app, &ws, Channel::Chat, "new@small.io", "Hello").await;
    let conv = |id: i32| {
        let db = app.state.db.clone();
        let scope = ws.scope;
        async move {
            app::services::inbox::conversations::find(&db, scope, id)
                .await
                .unwrap()
        }
    };
    let tags = |id: i32| {
        let db = app.state.db.clone();
        let scope = ws.scope;
        async move {
            app::services::inbox::conversations::tag_names(&db, scope, id)
                .await
                .unwrap()
        }
    };
    assert_eq!(tags(regular).await, vec!["regular".to_owned()]);
    assert!(tags(newcomer).await.is_empty());
    assert_eq!(conv(regular).await.queue_id, Some(q.id));
    assert_eq!(
        conv(newcomer).await.queue_id,
        None,
        "no queue takes a newcomer"
    );
    let facts = Facts {
        tool: "tag_ticket",
        risk: Risk::High,
        amount: 0,
        tags: &[],
        channel: Some("chat"),
        segments: &[],
    };
    for (id, effect) in [(regular, Effect::Allow), (newcomer, Effect::Approval)] {
        let c = conv(id).await;
        let d = policy::decide_now(&app.state.db, ws.scope, &facts, Some(c.customer_id))
            .await
            .unwrap();
        assert_eq!(d.effect, effect, "{}", d.reason);
    }
    // The tester asks "what if the customer were in it".
    let probe = |segment_id| app::types::PolicyProbe {
        tool: "tag_ticket".into(),
        segment_id,
        ..Default::default()
    };
    let o = policy::test(&app.state, &ws.actor, &probe(Some(regulars.id)))
        .await
        .unwrap();
    assert_eq!(o.effect, Effect::Allow);
    let o = policy::test(&app.state, &ws.actor, &probe(None))
        .await
        .unwrap();
    assert_eq!(o.effect, Effect::Approval);

    // In use three times over: deleting it names them all.
    let r = ws
        .owner
        .call(path::<DeleteSegment>(), &[("id", &regulars.id.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    for used in [
        "the rule “Tag regulars”",
        "the routing queue “Regulars first”",
        "the AI policy rule “Regulars' refunds”",
    ] {
        assert!(r.body.contains(used), "{used}: {}", r.body);
    }
    app.finish().await;
}

backend_tests!(
    segments_select_customers_by_attributes_and_history,
    segments_decide_rules_routing_and_policies,
    bad_segments_are_refused_and_workspaces_kept_apart,
    flows_branch_on_segments,
);
