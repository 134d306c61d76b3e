//! Campaigns (issue 17, points 2–3): a campaign drawn as a flow enrols a
//! segment, emails through the job queue with one-click unsubscribe and
//! tracked links, branches on opens, skips suppressed addresses and capped
//! customers, holds email through quiet hours in the customer's zone and to
//! the workspace's rate, never sends an email twice (a step carried out again,
//! a hand-over cut short), refuses bad settings with a message, and keeps
//! workspaces apart. Both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::serverfns::campaigns::{
    AddSuppression, GetCampaignStats, GetMarketing, RemoveSuppression, SaveMarketingSettings,
};
use app::services::campaigns::send::{deliver, Outcome};
use app::services::campaigns::{runner, send_status};
use app::services::channels::inbound::{self, InboundMessage, Sender};
use app::services::config::SmtpSecurity;
use app::services::context::RequestMeta;
use app::services::jobs::{self, NewJob};
use app::types::{
    CampaignEntry, Channel, Cond, FlowBranch, FlowGraph, FlowOp, FlowSettingsForm, IdentifierKind,
    MarketingSettings, NodeKind, SegmentForm,
};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::{DateTime, Utc};
use common::marketing::{campaign, everyone, time_passes};
use common::smtp::SmtpSink;
use common::{add_member, e, fns::path, n, workspace, Backend, TestApp, Ws};
use entity::{campaign_run, campaign_send, customer, email, suppression};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

async fn write(app: &TestApp, ws: &Ws, email: &str) {
    let name = email.split('@').next().unwrap();
    let m = InboundMessage::new(
        Channel::Chat,
        format!("test:{email}:{}", uuid::Uuid::new_v4().simple()),
        Sender {
            kind: IdentifierKind::Email,
            value: email.to_owned(),
            name: Some(format!("{name} Example")),
        },
        "Hello".to_owned(),
    );
    inbound::receive(&app.state, ws.scope, m).await.unwrap();
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

fn mail(subject: &str, body: &str) -> NodeKind {
    NodeKind::SendEmail {
        subject: subject.into(),
        body: body.into(),
    }
}

/// Start → "Spring sale" → wait an hour → opened? → "Thanks for reading" → End.
fn spring(segment: i32) -> FlowGraph {
    FlowGraph {
        schema: app::types::FLOW_SCHEMA,
        trigger: None,
        entry: Some(CampaignEntry {
            segment_id: Some(segment),
            existing: true,
            goal_segment_id: None,
            event: None,
        }),
        nodes: vec![
            n("start", NodeKind::Start),
            n(
                "hello",
                mail(
                    "Spring sale, {{ customer.first_name }}",
                    "Hi {{ customer.first_name }},\n\nEverything is 20% off: https://shop.test/spring.\n\nSee you soon",
                ),
            ),
            n("wait", NodeKind::Wait { minutes: 60 }),
            n(
                "opened",
                NodeKind::Condition {
                    branches: vec![FlowBranch {
                        subject: "campaign.opened".into(),
                        op: FlowOp::Is,
                        value: "yes".into(),
                    }],
                },
            ),
            n("thanks", mail("Thanks for reading", "A little extra: code THANKS.")),
            n("end", NodeKind::End),
        ],
        edges: vec![
            e("start", "next", "hello"),
            e("hello", "next", "wait"),
            e("wait", "next", "opened"),
            e("opened", "branch:0", "thanks"),
            e("opened", "else", "end"),
            e("thanks", "next", "end"),
        ],
    }
}

async fn settings(ws: &mut Ws, s: &MarketingSettings) {
    let r = ws
        .owner
        .call_json(path::<SaveMarketingSettings>(), &json!({ "form": s }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

async fn send_of(app: &TestApp, ws: &Ws, email: &str, node: &str) -> campaign_send::Model {
    ws.scope
        .find::<campaign_send::Entity>()
        .filter(campaign_send::Column::ToAddress.eq(email))
        .filter(campaign_send::Column::Node.eq(node))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("an email to {email} from step {node}"))
}

/// A test app whose mail goes to a recording SMTP server on loopback.
async fn with_smtp(b: Backend) -> (SmtpSink, TestApp) {
    let sink = SmtpSink::start().await;
    let app = TestApp::with_config(b, |c| {
        c.smtp.host = Some("127.0.0.1".into());
        c.smtp.port = sink.port;
        c.smtp.security = SmtpSecurity::None;
    })
    .await;
    (sink, app)
}

/// The default settings without quiet hours, so a test does not depend on the
/// hour it runs at.
async fn no_quiet_hours(ws: &mut Ws) {
    settings(
        ws,
        &MarketingSettings {
            quiet_start: None,
            quiet_end: None,
            ..MarketingSettings::default()
        },
    )
    .await;
}

/// The campaign email the SMTP server received (not the sign-up's).
fn campaign_mail(sink: &SmtpSink) -> Vec<common::smtp::Delivered> {
    sink.delivered()
        .into_iter()
        .filter(|m| m.data.contains("List-Unsubscribe-Post"))
        .collect()
}

fn post(path: &str, body: &str) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

async fn a_campaign_emails_its_segment_and_stops_after_unsubscribe(b: Backend) {
    let (sink, app) = with_smtp(b).await;
    let mut ws = workspace(&app, "olga@acme.test", "Acme").await;
    no_quiet_hours(&mut ws).await;
    for who in ["ann@example.com", "bob@example.com", "cy@example.com"] {
        write(&app, &ws, who).await;
    }
    customer::ActiveModel {
        workspace_id: Set(ws.scope.workspace_id()),
        name: Set("Dee Nomail".into()),
        created_at: Set(Utc::now()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();
    let seg = everyone(&app, &ws).await;
    let id = campaign(&app, &ws, "Spring", &spring(seg)).await;

    // Publishing enrols the segment; the jobs send the first email.
    app.run_jobs().await;
    let got = campaign_mail(&sink);
    assert_eq!(got.len(), 3, "three customers have an address");
    let ann = got
        .iter()
        .find(|m| m.rcpt_to.iter().any(|r| r.contains("ann@example.com")))
        .expect("Ann's email");
    assert!(
        ann.data.contains("Subject: Spring sale, ann"),
        "{}",
        ann.data
    );
    assert!(
        ann.data
            .contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{}",
        ann.data
    );
    let ann_send = send_of(&app, &ws, "ann@example.com", "hello").await;
    assert_eq!(ann_send.status, send_status::SENT);
    let unfolded = ann.data.replace("\r\n ", " ").replace("=\r\n", "");
    assert!(
        unfolded.contains(&format!(
            "List-Unsubscribe: <{}/c/{}/u>",
            app.state.config.base_url(),
            ann_send.token
        )),
        "{unfolded}"
    );
    assert!(
        !unfolded.contains("href=\"https://shop.test")
            && !unfolded.contains("href=3D\"https://shop.test"),
        "links go through the tracker: {unfolded}"
    );
    assert!(
        unfolded.contains(&format!("/c/{}/l/0", ann_send.token)),
        "{unfolded}"
    );
    let dee = ws
        .scope
        .find::<campaign_send::Entity>()
        .filter(campaign_send::Column::ToAddress.eq(""))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("Dee's step was carried out");
    assert_eq!(dee.status, send_status::FAILED);
    assert!(dee.reason.unwrap().contains("no email address"));

    // Ann opens; Bob clicks (which counts as an open); Cy opens and
    // unsubscribes with one click, as a mail program does (no Origin).
    let mut web = app.client();
    let r = web.get(&format!("/c/{}/o.gif", ann_send.token)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "image/gif");
    let bob = send_of(&app, &ws, "bob@example.com", "hello").await;
    let r = web.get(&format!("/c/{}/l/0", bob.token)).await;
    assert!(r.status.is_redirection(), "{}", r.status);
    assert_eq!(r.headers[header::LOCATION], "https://shop.test/spring");
    let r = web.get(&format!("/c/{}/l/7", bob.token)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "no open redirect");
    let r = web.get("/c/not-a-token/u").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("This link does not work"));
    let cy = send_of(&app, &ws, "cy@example.com", "hello").await;
    web.get(&format!("/c/{}/o.gif", cy.token)).await;
    let r = web.get(&format!("/c/{}/u", cy.token)).await;
    assert!(r.body.contains("data-testid=\"unsubscribe\""), "{}", r.body);
    let mut provider = app.client();
    provider.origin = None;
    let r = provider
        .send(post(
            &format!("/c/{}/u", cy.token),
            "List-Unsubscribe=One-Click",
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("will get no more emails from Acme"),
        "{}",
        r.body
    );
    let listed = ws
        .scope
        .find::<suppression::Entity>()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (listed.email.as_str(), listed.reason.as_str()),
        ("cy@example.com", "unsubscribed")
    );

    // An hour on: the openers get the second email, except Cy, who left.
    time_passes(&app, &ws).await;
    let report = runner::tick(&app.state).await.unwrap();
    assert_eq!((report.enrolled, report.stepped), (0, 4));
    app.run_jobs().await;
    let got = campaign_mail(&sink);
    assert_eq!(got.len(), 5);
    assert_eq!(
        got.iter()
            .filter(|m| m.data.contains("Subject: Thanks for reading"))
            .count(),
        2
    );
    assert_eq!(
        send_of(&app, &ws, "cy@example.com", "thanks").await.status,
        send_status::SUPPRESSED
    );

    // Stepping again, or a second tick, sends nothing more.
    time_passes(&app, &ws).await;
    let report = runner::tick(&app.state).await.unwrap();
    assert_eq!(
        (report.enrolled, report.stepped),
        (0, 0),
        "every run is done"
    );
    app.run_jobs().await;
    assert_eq!(campaign_mail(&sink).len(), 5);

    // A hand-over cut short (the server stopped mid-SMTP) is not sent again.
    let cut = ws
        .scope
        .find::<email::Entity>()
        .filter(email::Column::Kind.eq("campaign"))
        .order_by_asc(email::Column::Id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let mut am = cut.clone().into_active_model();
    am.status = Set("sending".into());
    am.update(&app.state.db).await.unwrap();
    let mut job = NewJob::new(jobs::kind::SEND_EMAIL, json!({ "email_id": cut.id }));
    job.workspace_id = Some(ws.scope.workspace_id());
    jobs::enqueue(&app.state.db, &app.state.config.jobs, job)
        .await
        .unwrap();
    app.run_jobs().await;
    assert_eq!(campaign_mail(&sink).len(), 5, "not sent twice");
    let after = ws
        .scope
        .find::<email::Entity>()
        .filter(email::Column::Id.eq(cut.id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.status, "unknown");

    // The funnel, per step.
    let r = ws
        .owner
        .call(path::<GetCampaignStats>(), &[("id", &id.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let s = r.json();
    assert_eq!(
        (s["entered"].as_u64(), s["done"].as_u64()),
        (Some(4), Some(4))
    );
    let hello = &s["steps"][0];
    assert_eq!(hello["node"], "hello");
    assert_eq!(
        [
            &hello["sent"],
            &hello["failed"],
            &hello["opened"],
            &hello["clicked"],
            &hello["unsubscribed"]
        ],
        [&json!(3), &json!(1), &json!(3), &json!(1), &json!(1)]
    );
    let thanks = &s["steps"][1];
    assert_eq!(
        (thanks["sent"].as_u64(), thanks["suppressed"].as_u64()),
        (Some(2), Some(1))
    );

    // Subscribing again from the same page works.
    let r = web
        .send(post(&format!("/c/{}/resubscribe", cy.token), ""))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("You are subscribed again"), "{}", r.body);
    assert_eq!(
        ws.scope
            .find::<suppression::Entity>()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );
    app.finish().await;
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

async fn caps_quiet_hours_and_the_rate_hold_or_skip_email(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@acme.test", "Acme").await;
    settings(
        &mut ws,
        &MarketingSettings {
            cap_count: 1,
            cap_days: 7,
            quiet_start: Some(21),
            quiet_end: Some(8),
            // Fay's zone is not known: the workspace's default holds for her.
            default_timezone: "Asia/Tokyo".into(),
            per_minute: 1,
        },
    )
    .await;
    write(&app, &ws, "eve@example.com").await;
    write(&app, &ws, "fay@example.com").await;
    let eve = customer_by_email(&app, &ws, "eve@example.com").await;
    let mut am = eve.into_active_model();
    am.timezone = Set(Some("Europe/Berlin".into()));
    am.update(&app.state.db).await.unwrap();
    let seg = everyone(&app, &ws).await;
    // Two emails back to back.
    let mut g = spring(seg);
    g.nodes
        .retain(|n| !matches!(n.id.as_str(), "wait" | "opened"));
    g.edges = vec![
        e("start", "next", "hello"),
        e("hello", "next", "thanks"),
        e("thanks", "next", "end"),
    ];
    campaign(&app, &ws, "Back to back", &g).await;
    let report = runner::tick(&app.state).await.unwrap();
    assert_eq!((report.enrolled, report.stepped), (2, 2));
    let id = |s: campaign_send::Model| s.id;
    let eve1 = id(send_of(&app, &ws, "eve@example.com", "hello").await);
    let eve2 = id(send_of(&app, &ws, "eve@example.com", "thanks").await);
    let fay1 = id(send_of(&app, &ws, "fay@example.com", "hello").await);
    let go = |send: i32, t: &'static str| {
        let state = app.state.clone();
        let scope = ws.scope;
        async move { deliver(&state, scope, send, at(t)).await.unwrap() }
    };

    // 23:30 UTC is 00:30 in Berlin: held until 08:00 there (07:00 UTC).
    assert_eq!(
        go(eve1, "2026-12-05T23:30:00Z").await,
        Outcome::Held(at("2026-12-06T07:00:00Z"))
    );
    assert_eq!(go(eve1, "2026-12-06T07:30:00Z").await, Outcome::Sent);
    // The cap: one campaign email a week.
    assert_eq!(
        go(eve2, "2026-12-06T07:30:00Z").await,
        Outcome::Skipped(send_status::CAPPED)
    );
    // The rate: one a minute for the workspace; Fay's (16:30 in Tokyo) waits
    // for the minute.
    assert_eq!(
        go(fay1, "2026-12-06T07:30:10Z").await,
        Outcome::Held(at("2026-12-06T07:31:00Z"))
    );
    assert_eq!(go(fay1, "2026-12-06T07:31:01Z").await, Outcome::Sent);
    // Decided emails are left alone (a late or repeated job).
    assert_eq!(go(fay1, "2026-12-06T07:40:00Z").await, Outcome::Done);
    assert_eq!(go(eve2, "2026-12-13T07:40:00Z").await, Outcome::Done);
    let capped = send_of(&app, &ws, "eve@example.com", "thanks").await;
    assert!(capped.reason.unwrap().contains("the cap is 1"));
    app.finish().await;
}

async fn bad_settings_are_refused_and_workspaces_kept_apart(b: Backend) {
    let app = TestApp::new(b).await;
    let mut a = workspace(&app, "olga@acme.test", "Acme").await;
    let mut bw = workspace(&app, "bea@other.test", "Other").await;
    let bad = |f: &dyn Fn(&mut MarketingSettings)| {
        let mut s = MarketingSettings::default();
        f(&mut s);
        json!({ "form": s })
    };
    for (form, field) in [
        (bad(&|s| s.quiet_end = None), "quiet_start"),
        (bad(&|s| s.quiet_end = Some(21)), "quiet_end"),
        (bad(&|s| s.cap_count = 0), "cap_count"),
        (bad(&|s| s.per_minute = 0), "per_minute"),
        (
            bad(&|s| s.default_timezone = "Mars/Olympus".into()),
            "default_timezone",
        ),
    ] {
        let r = a
            .owner
            .call_json(path::<SaveMarketingSettings>(), &form)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains(field), "{field}: {}", r.body);
    }
    for (email, reason, status) in [
        (
            "not-an-address",
            "bounced",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("x@example.com", "bored", StatusCode::UNPROCESSABLE_ENTITY),
        ("X@Example.com", "bounced", StatusCode::OK),
        ("x@example.com", "complained", StatusCode::CONFLICT),
    ] {
        let r = a
            .owner
            .call(
                path::<AddSuppression>(),
                &[("email", email), ("reason", reason)],
            )
            .await;
        assert_eq!(r.status, status, "{email}: {}", r.body);
    }
    let page = a.owner.call(path::<GetMarketing>(), &[]).await.json();
    assert_eq!(page["suppressions"][0]["email"], "x@example.com");
    let sid = page["suppressions"][0]["id"].as_i64().unwrap().to_string();

    // A campaign cannot hold a chat step, nor be published without its segment.
    let meta = RequestMeta::default();
    let f = app::services::flows::save_settings(
        &app.state,
        &a.actor,
        &FlowSettingsForm {
            id: None,
            name: "Draft".into(),
            kind: "campaign".into(),
            channels: Vec::new(),
            enabled: true,
        },
        &meta,
    )
    .await
    .unwrap();
    let mut g = spring(1);
    g.nodes
        .push(n("chat", NodeKind::SendMessage { text: "Hi".into() }));
    let err = app::services::flows::save_draft(&app.state, &a.actor, f.id, &g)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("A campaign cannot have"), "{err}");
    let mut g = spring(1);
    g.entry = Some(CampaignEntry::default());
    app::services::flows::save_draft(&app.state, &a.actor, f.id, &g)
        .await
        .unwrap();
    let err = app::services::flows::publish(&app.state, &a.actor, f.id, &meta)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("choose the segment"), "{err}");

    // Agents cannot run campaigns' sending.
    let mut agent = add_member(&app, &mut a.owner, "sam@acme.test", "agent").await;
    let r = agent.call(path::<GetMarketing>(), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // The other workspace sees none of it and cannot touch it.
    let r = bw.owner.call(path::<GetMarketing>(), &[]).await;
    assert_eq!(r.json()["suppressions"], json!([]));
    let r = bw
        .owner
        .call(path::<RemoveSuppression>(), &[("id", &sid)])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = bw
        .owner
        .call(path::<GetCampaignStats>(), &[("id", &f.id.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = a
        .owner
        .call(path::<RemoveSuppression>(), &[("id", &sid)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.finish().await;
}

async fn new_members_only_and_conversions_to_the_goal(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@acme.test", "Acme").await;
    no_quiet_hours(&mut ws).await;
    write(&app, &ws, "old@example.com").await;
    let seg = everyone(&app, &ws).await;
    let meta = RequestMeta::default();
    let goal = app::services::segments::save(
        &app.state,
        &ws.actor,
        &SegmentForm {
            id: None,
            name: "Companies".into(),
            description: String::new(),
            conditions: Cond::Group {
                any: false,
                items: vec![Cond::Test {
                    field: "customer.company".into(),
                    op: app::types::CondOp::IsSet,
                    value: String::new(),
                }],
            },
        },
        &meta,
    )
    .await
    .unwrap()
    .id;
    let mut g = spring(seg);
    g.entry = Some(CampaignEntry {
        segment_id: Some(seg),
        existing: false,
        goal_segment_id: Some(goal),
        event: None,
    });
    let id = campaign(&app, &ws, "Newcomers", &g).await;

    // The member at publication is left out for good; a newcomer enters.
    let r = runner::tick(&app.state).await.unwrap();
    assert_eq!((r.enrolled, r.stepped), (0, 0));
    write(&app, &ws, "new@example.com").await;
    let r = runner::tick(&app.state).await.unwrap();
    assert_eq!((r.enrolled, r.stepped), (1, 1));
    app.run_jobs().await;
    let sent = send_of(&app, &ws, "new@example.com", "hello").await;
    assert_eq!(sent.status, send_status::SENT);

    // The newcomer joins the goal segment: the email converts, once.
    let c = customer_by_email(&app, &ws, "new@example.com").await;
    let mut am = c.into_active_model();
    am.company = Set(Some("Newco".into()));
    am.update(&app.state.db).await.unwrap();
    assert_eq!(runner::tick(&app.state).await.unwrap().converted, 1);
    assert_eq!(runner::tick(&app.state).await.unwrap().converted, 0);
    let st = app::services::campaigns::stats(&app.state, &ws.actor, id)
        .await
        .unwrap();
    assert_eq!((st.entered, st.skipped), (1, 1));
    assert_eq!((st.steps[0].sent, st.steps[0].converted), (1, 1));
    app.finish().await;
}

async fn a_broken_run_does_not_hold_up_the_others(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@acme.test", "Acme").await;
    no_quiet_hours(&mut ws).await;
    write(&app, &ws, "ann@example.com").await;
    let seg = everyone(&app, &ws).await;
    let broken = campaign(&app, &ws, "Broken", &spring(seg)).await;
    campaign(&app, &ws, "Fine", &spring(seg)).await;
    let r = runner::tick(&app.state).await.unwrap();
    assert_eq!((r.enrolled, r.stepped), (2, 2));
    // The first campaign's published graph is damaged in the database.
    ws.scope
        .update_many::<entity::flow_version::Entity>()
        .col_expr(
            entity::flow_version::Column::Graph,
            Expr::value("{not json"),
        )
        .filter(entity::flow_version::Column::FlowId.eq(broken))
        .exec(&app.state.db)
        .await
        .unwrap();
    time_passes(&app, &ws).await;
    let r = runner::tick(&app.state).await.unwrap();
    assert_eq!((r.enrolled, r.stepped), (0, 1), "the good run went on");
    let stuck = ws
        .scope
        .find::<campaign_run::Entity>()
        .filter(campaign_run::Column::FlowId.eq(broken))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(stuck.wake_at.unwrap() > Utc::now(), "tried again later");
    app.finish().await;
}

async fn a_refused_address_bounces_onto_the_suppression_list(b: Backend) {
    let (sink, app) = with_smtp(b).await;
    let mut ws = workspace(&app, "olga@acme.test", "Acme").await;
    no_quiet_hours(&mut ws).await;
    write(&app, &ws, "ann@example.com").await;
    write(&app, &ws, "nobody@bounces.test").await;
    let seg = everyone(&app, &ws).await;
    let mut g = spring(seg);
    g.nodes
        .retain(|n| !matches!(n.id.as_str(), "wait" | "opened"));
    g.edges = vec![
        e("start", "next", "hello"),
        e("hello", "next", "thanks"),
        e("thanks", "next", "end"),
    ];
    campaign(&app, &ws, "Two emails", &g).await;
    app.run_jobs().await;
    // Ann gets both; the refused address bounces (both emails were handed
    // over before the first answer came back) and goes on the list.
    let got = campaign_mail(&sink);
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|m| m.rcpt_to == ["ann@example.com"]));
    let first = send_of(&app, &ws, "nobody@bounces.test", "hello").await;
    assert_eq!(first.status, send_status::FAILED);
    assert!(first.reason.unwrap().contains("550"), "the server's words");
    let listed = ws
        .scope
        .find::<suppression::Entity>()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (listed.email.as_str(), listed.reason.as_str()),
        ("nobody@bounces.test", "bounced")
    );
    let second = send_of(&app, &ws, "nobody@bounces.test", "thanks").await;
    assert_eq!(second.status, send_status::FAILED);
    // A later campaign does not write to it again.
    let later = campaign(&app, &ws, "Later", &spring(seg)).await;
    app.run_jobs().await;
    assert_eq!(campaign_mail(&sink).len(), 3);
    let skipped = ws
        .scope
        .find::<campaign_send::Entity>()
        .filter(campaign_send::Column::FlowId.eq(later))
        .filter(campaign_send::Column::ToAddress.eq("nobody@bounces.test"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(skipped.status, send_status::SUPPRESSED);
    // Nothing is left to retry.
    let pending = app::services::tenancy::System::new("tests read the queue")
        .find::<entity::job::Entity>()
        .filter(entity::job::Column::Status.eq("pending"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(pending, 0);
    app.finish().await;
}

async fn widget_call(app: &TestApp, path: &str, body: serde_json::Value) -> serde_json::Value {
    let req = Request::post(path)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let r = app.client().send(req).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    r.json()
}

/// A widget visitor who wrote and left `email`; returns the widget key and token.
async fn visitor(app: &TestApp, ws: &Ws, email: &str) -> (String, String) {
    let key = app::services::channels::settings::get_or_create(
        &app.state.db,
        ws.scope,
        app::types::Channel::Chat,
    )
    .await
    .unwrap()
    .public_key
    .unwrap();
    let call = |path: &'static str, body: serde_json::Value| widget_call(app, path, body);
    let token = call("/widget/api/session", json!({ "key": key })).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    call(
        "/widget/api/messages",
        json!({ "key": key, "token": token, "client_id": "client0001", "body": "hi" }),
    )
    .await;
    call(
        "/widget/api/email",
        json!({ "key": key, "token": token, "email": email }),
    )
    .await;
    (key, token)
}

async fn a_site_event_starts_a_campaign(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@acme.test", "Acme").await;
    no_quiet_hours(&mut ws).await;
    let seg = everyone(&app, &ws).await;
    let mut g = spring(seg);
    g.entry = Some(CampaignEntry {
        segment_id: None,
        existing: false,
        goal_segment_id: None,
        event: Some("signed_up".into()),
    });
    campaign(&app, &ws, "Welcome aboard", &g).await;
    // A customer who is merely in the workspace does not enter.
    write(&app, &ws, "quiet@example.com").await;
    let r = runner::tick(&app.state).await.unwrap();
    assert_eq!(r.enrolled, 0);

    let (key, token) = visitor(&app, &ws, "new@example.com").await;
    let track = |name: &'static str| {
        widget_call(
            &app,
            "/widget/api/track",
            json!({ "key": key, "token": token, "name": name }),
        )
    };
    track("page_scrolled").await;
    assert_eq!(runner::tick(&app.state).await.unwrap().stepped, 0);
    track("Signed_Up").await;
    track("signed_up").await;
    let r = runner::tick(&app.state).await.unwrap();
    assert_eq!(r.stepped, 1, "one run, however often the event comes");
    app.run_jobs().await;
    assert_eq!(
        send_of(&app, &ws, "new@example.com", "hello").await.status,
        send_status::SENT
    );
    let runs = ws
        .scope
        .find::<campaign_run::Entity>()
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(runs.len(), 1);

    // A campaign started by an event with a segment takes only its members.
    let mut g = spring(seg);
    g.entry = Some(CampaignEntry {
        segment_id: Some(
            app::services::segments::save(
                &app.state,
                &ws.actor,
                &SegmentForm {
                    id: None,
                    name: "At bigcorp".into(),
                    description: String::new(),
                    conditions: Cond::Group {
                        any: false,
                        items: vec![Cond::Test {
                            field: "customer.email_domain".into(),
                            op: app::types::CondOp::Is,
                            value: "bigcorp.test".into(),
                        }],
                    },
                },
                &RequestMeta::default(),
            )
            .await
            .unwrap()
            .id,
        ),
        existing: false,
        goal_segment_id: None,
        event: Some("upgraded".into()),
    });
    campaign(&app, &ws, "Upgrade thanks", &g).await;
    track("upgraded").await;
    assert_eq!(runner::tick(&app.state).await.unwrap().stepped, 0);

    // A malformed event name is refused at publication, naming the step.
    let mut g = spring(seg);
    g.entry = Some(CampaignEntry {
        segment_id: None,
        existing: false,
        goal_segment_id: None,
        event: Some("Not OK!".into()),
    });
    let meta = RequestMeta::default();
    let f = app::services::flows::save_settings(
        &app.state,
        &ws.actor,
        &FlowSettingsForm {
            id: None,
            name: "Broken".into(),
            kind: "campaign".into(),
            channels: Vec::new(),
            enabled: true,
        },
        &meta,
    )
    .await
    .unwrap();
    app::services::flows::save_draft(&app.state, &ws.actor, f.id, &g)
        .await
        .unwrap();
    let err = app::services::flows::publish(&app.state, &ws.actor, f.id, &meta)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("site event"), "{err}");
    app.finish().await;
}

backend_tests!(
    a_site_event_starts_a_campaign,
    a_campaign_emails_its_segment_and_stops_after_unsubscribe,
    caps_quiet_hours_and_the_rate_hold_or_skip_email,
    bad_settings_are_refused_and_workspaces_kept_apart,
    new_members_only_and_conversions_to_the_goal,
    a_broken_run_does_not_hold_up_the_others,
    a_refused_address_bounces_onto_the_suppression_list,
);
