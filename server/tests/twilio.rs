//! SMS and WhatsApp through Twilio (issue 18 point 1), against a local fake of
//! Twilio's Messaging API that checks credentials and payloads as Twilio
//! documents them, with webhooks signed as Twilio signs them:
//!
//! - unsigned or wrongly signed webhooks: 403, nothing stored; a retried
//!   webhook stores its message once;
//! - a long reply is cut at sentence ends into parts within Twilio's limits,
//!   sent by the job queue, moved along by status callbacks (never backwards),
//!   failures shown with the carrier's reason; a Twilio outage retries without
//!   sending a part twice;
//! - STOP / START / HELP honoured and recorded; Twilio's own 21610 too;
//! - WhatsApp: one customer across SMS and WhatsApp, the 24-hour window, and
//!   approved templates outside it;
//! - media fetched from Twilio (only from its origin); settings validated, the
//!   token never shown; workspaces kept apart. Both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::serverfns::channels::{GetTwilioSettings, SaveTwilioSettings, SendWhatsappTemplate};
use app::serverfns::inbox::SendMessage;
use app::services::tenancy::Scoped;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::twilio::{sign, FakeTwilio, ACCOUNT_SID, AUTH_TOKEN};
use common::{fns::path, workspace, Backend, Client, TestApp, Ws};
use entity::{conversation, customer_identifier, job, message, twilio_account};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::json;

const SMS_FROM: &str = "+15550001111";
const WA_FROM: &str = "+15550002222";
const TEMPLATE_SID: &str = "HX0123456789abcdef0123456789abcdef";

/// A workspace with the fake Twilio connected; returns its webhook token.
async fn setup(app: &TestApp, who: &str, fake: &FakeTwilio) -> (Ws, String) {
    let mut ws = workspace(app, &format!("owner@{who}.test"), &format!("Shop {who}")).await;
    let r = ws
        .owner
        .call_json(
            path::<SaveTwilioSettings>(),
            &json!({ "form": {
                "account_sid": ACCOUNT_SID,
                "auth_token": AUTH_TOKEN,
                "api_base": fake.base,
                "sms_from": SMS_FROM,
                "whatsapp_from": WA_FROM,
                "segment_price": "0.0083",
                "help_reply": "Shop help: reply here and a person answers. Text STOP to opt out.",
                "templates": format!("order_update | {TEMPLATE_SID} | Hi {{{{1}}}}, your order {{{{2}}}} has shipped."),
            }}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let token = ws
        .scope
        .find::<twilio_account::Entity>()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .hook_token;
    (ws, token)
}

fn hook_client(app: &TestApp) -> Client {
    let mut c = app.client();
    c.origin = None;
    c
}

/// Posts a webhook as Twilio would, signed with `key` (none: unsigned).
async fn post(
    app: &TestApp,
    path: &str,
    params: &[(&str, &str)],
    key: Option<&str>,
) -> common::Res {
    let mut req = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("I-Twilio-Idempotency-Token", "x");
    if let Some(k) = key {
        req = req.header(
            "X-Twilio-Signature",
            sign(k, &format!("http://localhost{path}"), params),
        );
    }
    hook_client(app)
        .send(req.body(Body::from(common::form(params))).unwrap())
        .await
}

/// An incoming message, signed.
async fn incoming(app: &TestApp, token: &str, from: &str, body: &str, sid: &str) -> common::Res {
    let to = if from.starts_with("whatsapp:") {
        format!("whatsapp:{WA_FROM}")
    } else {
        SMS_FROM.to_owned()
    };
    post(
        app,
        &format!("/hooks/twilio/{token}"),
        &[
            ("AccountSid", ACCOUNT_SID),
            ("MessageSid", sid),
            ("SmsMessageSid", sid),
            ("From", from),
            ("To", &to),
            ("Body", body),
            ("NumMedia", "0"),
            ("ProfileName", "Ann Lee"),
        ],
        Some(AUTH_TOKEN),
    )
    .await
}

/// A status callback for `sid`, signed.
async fn status(
    app: &TestApp,
    token: &str,
    sid: &str,
    st: &str,
    code: Option<&str>,
) -> common::Res {
    let mut p = vec![
        ("AccountSid", ACCOUNT_SID),
        ("MessageSid", sid),
        ("MessageStatus", st),
    ];
    if let Some(c) = code {
        p.push(("ErrorCode", c));
    }
    post(
        app,
        &format!("/hooks/twilio/{token}/status"),
        &p,
        Some(AUTH_TOKEN),
    )
    .await
}

async fn reply(c: &mut Client, conv: i32, body: &str) -> common::Res {
    c.call(
        path::<SendMessage>(),
        &[
            ("conversation_id", &conv.to_string()),
            ("kind", "reply"),
            ("body", body),
            ("attachment_ids", ""),
            ("force", "true"),
        ],
    )
    .await
}

async fn conversation_of(app: &TestApp, s: Scoped, channel: &str) -> conversation::Model {
    s.find::<conversation::Entity>()
        .filter(conversation::Column::Channel.eq(channel))
        .order_by_desc(conversation::Column::Id)
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("a conversation on the channel")
}

async fn last_outbound(app: &TestApp, s: Scoped, conv: i32) -> message::Model {
    s.find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(conv))
        .filter(message::Column::Direction.eq("outbound"))
        .order_by_desc(message::Column::Id)
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("an outbound message")
}

async fn count_messages(app: &TestApp, s: Scoped, conv: i32, direction: &str) -> u64 {
    s.find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(conv))
        .filter(message::Column::Direction.eq(direction))
        .count(&app.state.db)
        .await
        .unwrap()
}

async fn sms_in_and_out(b: Backend) {
    let app = TestApp::new(b).await;
    let fake = FakeTwilio::start().await;
    let (mut ws, token) = setup(&app, "a", &fake).await;
    let s = ws.scope;
    let hook = format!("/hooks/twilio/{token}");
    let params = [
        ("AccountSid", ACCOUNT_SID),
        ("MessageSid", "SM00000000000000000000000000000001"),
        ("From", "+15551234567"),
        ("To", SMS_FROM),
        ("Body", "Where is my order?"),
    ];
    // Unsigned, signed with another token, or signed for other content: refused.
    let r = post(&app, &hook, &params, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("X-Twilio-Signature"), "{}", r.body);
    let r = post(
        &app,
        &hook,
        &params,
        Some("another-token-of-32-characters!!"),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let req = Request::post(&hook)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(
            "X-Twilio-Signature",
            sign(AUTH_TOKEN, &format!("http://localhost{hook}"), &params),
        );
    let mut tampered = params;
    tampered[4].1 = "Refund me now";
    let r = hook_client(&app)
        .send(req.body(Body::from(common::form(&tampered))).unwrap())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        s.find::<message::Entity>()
            .count(&app.state.db)
            .await
            .unwrap(),
        0,
        "nothing stored from refused webhooks"
    );
    // An unknown path token: 404.
    let r = incoming(&app, "nosuchtokennosuchtoken", "+15551234567", "Hi", "SM1").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Signed: stored once however often Twilio retries.
    for _ in 0..2 {
        let r = incoming(
            &app,
            &token,
            "+15551234567",
            "Where is my order?",
            "SM00000000000000000000000000000001",
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/xml"));
        assert!(r.body.contains("<Response></Response>"));
    }
    let c = conversation_of(&app, s, "sms").await;
    assert_eq!(count_messages(&app, s, c.id, "inbound").await, 1);
    let ident = s
        .find::<customer_identifier::Entity>()
        .filter(customer_identifier::Column::CustomerId.eq(c.customer_id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (ident.kind.as_str(), ident.value.as_str()),
        ("phone", "+15551234567")
    );

    // A long reply: parts cut at sentence ends, within Twilio's limits.
    let sentence = "Your refund of 42.00 USD was approved today and should reach your card within five business days. ";
    let long = sentence.repeat(20);
    let r = reply(&mut ws.owner, c.id, &long).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let m = last_outbound(&app, s, c.id).await;
    assert_eq!(m.delivery_status, "queued");
    assert!(fake.sent().is_empty(), "sent by the job, not the request");
    app.run_jobs().await;
    let sent = fake.sent();
    assert_eq!(sent.len(), 2, "{sent:?}");
    for p in &sent {
        let body = p.body.clone().unwrap();
        assert!(body.chars().count() <= 1_600);
        assert!(app::types::sms_segments(&body).0 <= 10);
        assert!(body.ends_with("days."), "cut mid-sentence: {body}");
        assert_eq!(p.to, "+15551234567");
        assert_eq!(p.from, SMS_FROM);
        assert_eq!(
            p.status_callback.as_deref(),
            Some(format!("http://localhost{hook}/status").as_str())
        );
    }
    let joined: Vec<String> = sent.iter().map(|p| p.body.clone().unwrap()).collect();
    assert_eq!(joined.join(" "), long.trim());
    assert_eq!(fake.unauthorized(), 0);

    // Status callbacks: the message shows the least advanced part, never moving back.
    let msg_status = |app: &TestApp| {
        let db = app.state.db.clone();
        let id = m.id;
        async move {
            s.find::<message::Entity>()
                .filter(message::Column::Id.eq(id))
                .one(&db)
                .await
                .unwrap()
                .unwrap()
        }
    };
    for p in &sent {
        assert_eq!(
            status(&app, &token, &p.sid, "sent", None).await.status,
            StatusCode::NO_CONTENT
        );
    }
    assert_eq!(msg_status(&app).await.delivery_status, "sent");
    status(&app, &token, &sent[0].sid, "delivered", None).await;
    assert_eq!(msg_status(&app).await.delivery_status, "sent");
    status(&app, &token, &sent[1].sid, "delivered", None).await;
    assert_eq!(msg_status(&app).await.delivery_status, "delivered");
    // A late "sent" changes nothing.
    status(&app, &token, &sent[1].sid, "sent", None).await;
    assert_eq!(msg_status(&app).await.delivery_status, "delivered");
    // A callback signed wrongly is refused.
    let r = post(
        &app,
        &format!("{hook}/status"),
        &[
            ("MessageSid", sent[0].sid.as_str()),
            ("MessageStatus", "failed"),
        ],
        Some("wrong-token-wrong-token-wrong-to"),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(msg_status(&app).await.delivery_status, "delivered");

    // The agent sees how it travelled.
    let thread = app::services::inbox::messages::thread(&app.state.db, s, c.id)
        .await
        .unwrap();
    let v = thread.iter().find(|v| v.id == m.id).unwrap();
    let detail = v.delivery_detail.clone().unwrap();
    assert!(detail.starts_with("2 messages · "), "{detail}");
    assert!(detail.contains("SMS segments (GSM-7)"), "{detail}");
    assert!(detail.contains('$'), "{detail}");

    // A carrier failure shows its reason.
    let r = reply(
        &mut ws.owner,
        c.id,
        "One more thing: your tracking number is 1Z999.",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.run_jobs().await;
    let last = fake.sent().last().cloned().unwrap();
    status(&app, &token, &last.sid, "undelivered", Some("30007")).await;
    let m2 = last_outbound(&app, s, c.id).await;
    assert_eq!(m2.delivery_status, "failed");
    let why = m2.delivery_error.unwrap();
    assert!(why.contains("30007") && why.contains("spam"), "{why}");

    // A Twilio outage: the job retries later and sends each part once.
    fake.outage(1);
    let before = fake.sent().len();
    let r = reply(&mut ws.owner, c.id, "Sorry for the trouble.").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.run_jobs().await;
    assert_eq!(
        fake.sent().len(),
        before,
        "nothing accepted during the outage"
    );
    assert_eq!(last_outbound(&app, s, c.id).await.delivery_status, "queued");
    s.update_many::<job::Entity>()
        .col_expr(job::Column::RunAt, Expr::value(chrono::Utc::now()))
        .filter(job::Column::Kind.eq(app::services::channels::twilio::SEND_JOB))
        .filter(job::Column::Status.eq("pending"))
        .exec(&app.state.db)
        .await
        .unwrap();
    app.run_jobs().await;
    assert_eq!(fake.sent().len(), before + 1);
    app.run_jobs().await;
    assert_eq!(fake.sent().len(), before + 1, "sent once");
    app.finish().await;
}

async fn keywords(b: Backend) {
    let app = TestApp::new(b).await;
    let fake = FakeTwilio::start().await;
    let (mut ws, token) = setup(&app, "k", &fake).await;
    let s = ws.scope;
    let ann = "+15559870001";
    incoming(
        &app,
        &token,
        ann,
        "Hi, is my parcel late?",
        "SM10000000000000000000000000000001",
    )
    .await;
    let c = conversation_of(&app, s, "sms").await;
    let opted_out = |app: &TestApp| {
        let db = app.state.db.clone();
        async move {
            s.find::<customer_identifier::Entity>()
                .filter(customer_identifier::Column::Value.eq(ann))
                .one(&db)
                .await
                .unwrap()
                .unwrap()
                .opted_out_at
                .is_some()
        }
    };
    // STOP (twice, as a retry would): recorded once.
    for _ in 0..2 {
        let r = incoming(
            &app,
            &token,
            ann,
            "Stop",
            "SM10000000000000000000000000000002",
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    assert!(opted_out(&app).await);
    let notes = s
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(c.id))
        .filter(message::Column::Kind.eq("system"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(
        notes
            .iter()
            .filter(|n| n.body_text.contains("texted STOP"))
            .count(),
        1
    );
    // Replies are refused with the reason, and nothing is written.
    let r = reply(&mut ws.owner, c.id, "Your parcel arrives tomorrow.").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("texted STOP"), "{}", r.body);
    assert_eq!(count_messages(&app, s, c.id, "outbound").await, 0);
    app.run_jobs().await;
    assert!(fake.sent().is_empty());

    // START: allowed again.
    incoming(
        &app,
        &token,
        ann,
        "START",
        "SM10000000000000000000000000000003",
    )
    .await;
    assert!(!opted_out(&app).await);
    let r = reply(&mut ws.owner, c.id, "Your parcel arrives tomorrow.").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.run_jobs().await;
    assert_eq!(fake.sent().len(), 1);

    // HELP: answered with the workspace's text.
    incoming(
        &app,
        &token,
        ann,
        "help",
        "SM10000000000000000000000000000004",
    )
    .await;
    app.run_jobs().await;
    let sent = fake.sent();
    assert_eq!(sent.len(), 2);
    assert!(sent[1].body.as_deref().unwrap().starts_with("Shop help:"));
    let help = last_outbound(&app, s, c.id).await;
    assert_eq!(help.author_label.as_deref(), Some("Auto-reply: HELP"));

    // Twilio refuses a number that opted out with it (21610): recorded too.
    fake.unsubscribe(ann);
    let r = reply(&mut ws.owner, c.id, "Anything else?").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.run_jobs().await;
    let m = last_outbound(&app, s, c.id).await;
    assert_eq!(m.delivery_status, "failed");
    assert!(m.delivery_error.unwrap().contains("21610"));
    assert!(opted_out(&app).await);
    app.finish().await;
}

async fn whatsapp(b: Backend) {
    let app = TestApp::new(b).await;
    let fake = FakeTwilio::start().await;
    let (mut ws, token) = setup(&app, "w", &fake).await;
    let s = ws.scope;
    let number = "+447700900123";
    incoming(
        &app,
        &token,
        number,
        "Hello by SMS",
        "SM20000000000000000000000000000001",
    )
    .await;
    let sms = conversation_of(&app, s, "sms").await;
    let r = incoming(
        &app,
        &token,
        &format!("whatsapp:{number}"),
        "Hello on WhatsApp",
        "SM20000000000000000000000000000002",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let wa = conversation_of(&app, s, "whatsapp").await;
    assert_ne!(wa.id, sms.id);
    assert_eq!(
        wa.customer_id, sms.customer_id,
        "one customer across SMS and WhatsApp"
    );

    // Inside the window: free text.
    let r = reply(&mut ws.owner, wa.id, "Hi! How can we help?").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.run_jobs().await;
    let sent = fake.sent();
    assert_eq!(sent[0].to, format!("whatsapp:{number}"));
    assert_eq!(sent[0].from, format!("whatsapp:{WA_FROM}"));

    // 25 hours later the window is closed: only templates.
    s.update_many::<message::Entity>()
        .col_expr(
            message::Column::CreatedAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::hours(25)),
        )
        .filter(message::Column::Direction.eq("inbound"))
        .exec(&app.state.db)
        .await
        .unwrap();
    let r = reply(&mut ws.owner, wa.id, "Are you still there?").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("24-hour window"), "{}", r.body);
    // SMS has no window.
    let r = reply(&mut ws.owner, sms.id, "Are you still there?").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let r = ws
        .owner
        .call_json(
            path::<SendWhatsappTemplate>(),
            &json!({ "conversation_id": wa.id, "template": "order_update", "values": ["Ann"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = ws
        .owner
        .call_json(
            path::<SendWhatsappTemplate>(),
            &json!({ "conversation_id": wa.id, "template": "order_update", "values": ["Ann", "#1001"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.run_jobs().await;
    let t = fake.sent().last().cloned().unwrap();
    assert_eq!(t.content_sid.as_deref(), Some(TEMPLATE_SID));
    let vars: serde_json::Value =
        serde_json::from_str(t.content_variables.as_deref().unwrap()).unwrap();
    assert_eq!(vars, json!({ "1": "Ann", "2": "#1001" }));
    assert!(t.body.is_none());
    let m = last_outbound(&app, s, wa.id).await;
    assert_eq!(m.body_text, "Hi Ann, your order #1001 has shipped.");
    app.finish().await;
}

async fn media_settings_and_tenancy(b: Backend) {
    let app = TestApp::new(b).await;
    let fake = FakeTwilio::start().await;
    let (mut a, token_a) = setup(&app, "ma", &fake).await;
    let (mut bws, token_b) = setup(&app, "mb", &fake).await;
    let photo = fake.media_url("photo.jpg");
    let r = post(
        &app,
        &format!("/hooks/twilio/{token_a}"),
        &[
            ("AccountSid", ACCOUNT_SID),
            ("MessageSid", "MM30000000000000000000000000000001"),
            ("From", "+15550009999"),
            ("To", SMS_FROM),
            ("Body", "Here is the broken part"),
            ("NumMedia", "2"),
            ("MediaUrl0", &photo),
            ("MediaContentType0", "image/jpeg"),
            ("MediaUrl1", "http://127.0.0.2:9/elsewhere.jpg"),
            ("MediaContentType1", "image/jpeg"),
        ],
        Some(AUTH_TOKEN),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let c = conversation_of(&app, a.scope, "sms").await;
    let m = a
        .scope
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(c.id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        m.body_text.contains("could not be fetched"),
        "{}",
        m.body_text
    );
    let files = a
        .scope
        .find::<entity::attachment::Entity>()
        .filter(entity::attachment::Column::ConversationId.eq(c.id))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].content_type, "image/jpeg");

    // The settings page never shows the token; bad input names the field.
    let page = a.owner.call(path::<GetTwilioSettings>(), &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains(AUTH_TOKEN));
    assert_eq!(page.json()["configured"], true);
    let r = a
        .owner
        .call_json(
            path::<SaveTwilioSettings>(),
            &json!({ "form": { "account_sid": "AC123", "auth_token": "", "api_base": "", "sms_from": SMS_FROM,
                "whatsapp_from": "", "segment_price": "", "help_reply": "", "templates": "" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Account SID"), "{}", r.body);
    let r = a
        .owner
        .call_json(
            path::<SaveTwilioSettings>(),
            &json!({ "form": { "account_sid": ACCOUNT_SID, "auth_token": "", "api_base": "", "sms_from": "555-0100",
                "whatsapp_from": "", "segment_price": "", "help_reply": "", "templates": "" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("international form"), "{}", r.body);

    // Outgoing files: WhatsApp takes one a message, so two files make two; each
    // is fetched by Twilio through a signed link, refused when tampered with.
    let wa_number = "+15550009999";
    let r = incoming(
        &app,
        &token_a,
        &format!("whatsapp:{wa_number}"),
        "Can you send the manual?",
        "SM30000000000000000000000000000002",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let wa = conversation_of(&app, a.scope, "whatsapp").await;
    let mut ids = Vec::new();
    for (name, bytes) in [
        ("manual.pdf", b"%PDF-1.4 manual".as_slice()),
        ("label.png", b"\x89PNG label".as_slice()),
    ] {
        let v = app::services::inbox::attachments::upload(
            &app.state,
            &a.actor,
            wa.id,
            name,
            if name.ends_with("pdf") {
                "application/pdf"
            } else {
                "image/png"
            },
            bytes,
        )
        .await
        .unwrap();
        ids.push(v.id.to_string());
    }
    let r = a
        .owner
        .call(
            path::<SendMessage>(),
            &[
                ("conversation_id", &wa.id.to_string()),
                ("kind", "reply"),
                ("body", "Here you are."),
                ("attachment_ids", &ids.join(",")),
                ("force", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.run_jobs().await;
    let sent = fake.sent();
    let media: Vec<&common::twilio::Sent> = sent.iter().filter(|p| !p.media.is_empty()).collect();
    assert_eq!(media.len(), 2, "{sent:?}");
    assert_eq!(media[0].body.as_deref(), Some("Here you are."));
    assert_eq!(media[1].body.as_deref(), Some(""));
    let link = media[0].media[0]
        .strip_prefix("http://localhost")
        .unwrap()
        .to_owned();
    let mut anon = hook_client(&app);
    let got = anon.get(&link).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body, "%PDF-1.4 manual");
    assert_eq!(got.headers[header::CONTENT_TYPE], "application/pdf");
    let forged = link.replace("sig=", "sig=00");
    assert_eq!(anon.get(&forged).await.status, StatusCode::NOT_FOUND);
    let other = link.replace(&format!("/media/{}", ids[0]), &format!("/media/{}", ids[1]));
    assert_eq!(anon.get(&other).await.status, StatusCode::NOT_FOUND);
    let via_b = link.replace(&token_a, &token_b);
    assert_eq!(anon.get(&via_b).await.status, StatusCode::NOT_FOUND);

    // Workspace B: A's message is out of reach, by hook and by server function.
    let r = reply(&mut a.owner, c.id, "Thanks, a replacement is on its way.").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.run_jobs().await;
    let sid = fake.sent().last().unwrap().sid.clone();
    let r = status(&app, &token_b, &sid, "failed", Some("30003")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        last_outbound(&app, a.scope, c.id).await.delivery_status,
        "queued"
    );
    let r = reply(&mut bws.owner, c.id, "Hijack").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = bws
        .owner
        .call_json(
            path::<SendWhatsappTemplate>(),
            &json!({ "conversation_id": c.id, "template": "order_update", "values": ["x", "y"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert_eq!(
        bws.scope
            .find::<message::Entity>()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );
    app.finish().await;
}

backend_tests!(
    sms_in_and_out,
    keywords,
    whatsapp,
    media_settings_and_tenancy
);
