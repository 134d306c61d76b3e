//! Customer channels end to end, on SQLite and PostgreSQL: the inbound email webhook
//! over the MIME fixture corpus (and Postmark's JSON), threading, bounces and
//! auto-replies, email out over a real SMTP server, the web support form and status
//! page, the chat widget's API, signed outbound webhooks against a real HTTP
//! receiver, IMAP polling against a private dovecot, and workspace isolation.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::serverfns::auth::GetSession;
use app::serverfns::channels::{
    CreateWebhook, ReplayWebhookDelivery, SubmitSupportForm, TicketStatus,
};
use app::serverfns::inbox::{
    GetCustomerConversation, RateConversation, SendMessage, StartSideConversation,
    UpdateConversation,
};
use app::services::channels::webform::parse_ticket;
use app::services::channels::{email_in, email_parse, settings, verify};
use app::services::config::SmtpSecurity;
use app::services::context::{load_actor, Actor};
use app::services::tenancy::{global, Scoped, System};
use app::types::Channel;
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::routing::post;
use axum::Router;
use base64::Engine;
use common::smtp::SmtpSink;
use common::{fns::path, sign_up, Backend, Client, Res, TestApp};
use entity::{
    attachment, conversation, csat_response, customer, email, job, message, webhook_delivery,
    webhook_endpoint,
};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter, QueryOrder};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

// ---------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------

/// A signed-up owner and their workspace.
struct Ws {
    c: Client,
    id: i32,
    user_id: i32,
    owner_email: String,
}

impl Ws {
    fn scope(&self) -> Scoped {
        Scoped::new(self.id)
    }
}

async fn workspace(app: &TestApp, owner_email: &str, name: &str) -> Ws {
    let mut c = sign_up(app, "Olga Owner", owner_email, name).await;
    let s = c.call(path::<GetSession>(), &[]).await.json();
    let id = s["workspace"]["id"].as_i64().expect("workspace id") as i32;
    let user_id = s["user_id"].as_i64().expect("user id") as i32;
    Ws {
        c,
        id,
        user_id,
        owner_email: owner_email.to_owned(),
    }
}

async fn actor(app: &TestApp, ws: &Ws) -> Actor {
    load_actor(&app.state.db, ws.user_id, ws.id).await.unwrap()
}

async fn inbound_token(app: &TestApp, ws: &Ws) -> String {
    settings::get_or_create(&app.state.db, ws.scope(), Channel::Email)
        .await
        .unwrap()
        .inbound_token
        .expect("email settings carry an inbound token")
}

async fn chat_key(app: &TestApp, ws: &Ws) -> String {
    settings::get_or_create(&app.state.db, ws.scope(), Channel::Chat)
        .await
        .unwrap()
        .public_key
        .expect("chat settings carry a public key")
}

/// Saves the email channel's configuration through the settings service.
async fn set_email_config(app: &TestApp, ws: &Ws, cfg: serde_json::Value) {
    let actor = actor(app, ws).await;
    let row = settings::get_or_create(&app.state.db, ws.scope(), Channel::Email)
        .await
        .unwrap();
    settings::update(
        &app.state,
        &actor,
        Channel::Email,
        true,
        &cfg,
        &settings::rules(&row),
    )
    .await
    .unwrap();
}

fn fixture(name: &str) -> Vec<u8> {
    let p = format!("{}/tests/fixtures/mime/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// A fixture with `from` replaced by `to` (which must occur in it).
fn adapted(name: &str, from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8(fixture(name)).unwrap();
    assert!(text.contains(from), "{name} does not contain {from}");
    text.replace(from, to).into_bytes()
}

/// A plain-text email.
fn raw_mail(
    from: &str,
    subject: &str,
    message_id: &str,
    in_reply_to: Option<&str>,
    body: &str,
) -> Vec<u8> {
    let mut s = format!(
        "From: {from}\r\nTo: support@acme-helpdesk.com\r\nSubject: {subject}\r\n\
         Message-ID: <{message_id}>\r\nDate: Tue, 1 Dec 2026 12:00:00 +0000\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
    );
    if let Some(r) = in_reply_to {
        s.push_str(&format!("In-Reply-To: <{r}>\r\nReferences: <{r}>\r\n"));
    }
    s.push_str("\r\n");
    s.push_str(body);
    s.push_str("\r\n");
    s.into_bytes()
}

async fn post_hook(app: &TestApp, token: &str, content_type: &str, body: &[u8]) -> Res {
    let mut c = app.client();
    c.origin = None;
    c.send(
        Request::post(format!("/hooks/email/{token}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body.to_vec()))
            .unwrap(),
    )
    .await
}

/// Posts raw MIME to the inbound webhook; asserts a 200.
async fn post_mail(app: &TestApp, token: &str, raw: &[u8]) -> serde_json::Value {
    let r = post_hook(app, token, "message/rfc822", raw).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

/// The ticket number of a webhook answer that stored a message.
fn stored_number(j: &serde_json::Value) -> i32 {
    assert!(
        j["status"] == "stored" || j["status"] == "duplicate",
        "not stored: {j}"
    );
    let reference = j["conversation"].as_str().expect("a TKT- reference");
    assert!(reference.starts_with("TKT-"), "{reference}");
    parse_ticket(reference).expect("a ticket number")
}

async fn conversation_by_number(app: &TestApp, ws: &Ws, number: i32) -> conversation::Model {
    ws.scope()
        .find::<conversation::Entity>()
        .filter(conversation::Column::Number.eq(number))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("conversation {number}"))
}

async fn conversation_count(app: &TestApp, ws: &Ws) -> u64 {
    ws.scope()
        .find::<conversation::Entity>()
        .count(&app.state.db)
        .await
        .unwrap()
}

async fn messages_of(app: &TestApp, ws: &Ws, conversation_id: i32) -> Vec<message::Model> {
    ws.scope()
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(conversation_id))
        .order_by_asc(message::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
}

async fn message_count(app: &TestApp, ws: &Ws) -> u64 {
    ws.scope()
        .find::<message::Entity>()
        .count(&app.state.db)
        .await
        .unwrap()
}

async fn message_by_id(app: &TestApp, ws: &Ws, id: i32) -> message::Model {
    ws.scope()
        .find::<message::Entity>()
        .filter(message::Column::Id.eq(id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("message {id}"))
}

async fn customer_of(app: &TestApp, ws: &Ws, c: &conversation::Model) -> customer::Model {
    ws.scope()
        .find::<customer::Entity>()
        .filter(customer::Column::Id.eq(c.customer_id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
}

async fn attachments_of(app: &TestApp, ws: &Ws, conversation_id: i32) -> Vec<attachment::Model> {
    ws.scope()
        .find::<attachment::Entity>()
        .filter(attachment::Column::ConversationId.eq(conversation_id))
        .order_by_asc(attachment::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
}

async fn emails(app: &TestApp, kind: &str) -> Vec<email::Model> {
    System::new("tests read the outbox")
        .find::<email::Entity>()
        .filter(email::Column::Kind.eq(kind))
        .order_by_asc(email::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
}

async fn emails_to(app: &TestApp, to: &str) -> Vec<email::Model> {
    System::new("tests read the outbox")
        .find::<email::Entity>()
        .filter(email::Column::ToAddress.eq(to))
        .order_by_asc(email::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
}

async fn email_by_id(app: &TestApp, id: i32) -> email::Model {
    System::new("tests read the outbox")
        .find::<email::Entity>()
        .filter(email::Column::Id.eq(id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("email {id}"))
}

/// An agent's public reply through the `send_message` server function; returns the
/// stored message row.
async fn agent_reply(
    app: &TestApp,
    ws: &mut Ws,
    conversation_id: i32,
    body: &str,
) -> message::Model {
    let conv = conversation_id.to_string();
    let r =
        ws.c.call(
            path::<SendMessage>(),
            &[
                ("conversation_id", &conv),
                ("kind", "reply"),
                ("body", body),
                ("attachment_ids", ""),
                ("force", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap() as i32;
    message_by_id(app, ws, id).await
}

async fn agent_note(ws: &mut Ws, conversation_id: i32, body: &str) {
    let conv = conversation_id.to_string();
    let r =
        ws.c.call(
            path::<SendMessage>(),
            &[
                ("conversation_id", &conv),
                ("kind", "note"),
                ("body", body),
                ("attachment_ids", ""),
                ("force", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// The outbox email a message travels in (`external_id = email:<id>`).
async fn outbox_of(app: &TestApp, m: &message::Model) -> email::Model {
    let ext = m.external_id.as_deref().expect("an emailed message");
    let id: i32 = ext
        .strip_prefix("email:")
        .unwrap_or_else(|| panic!("external id {ext}"))
        .parse()
        .unwrap();
    email_by_id(app, id).await
}

async fn set_status(ws: &mut Ws, conversation_id: i32, status: &str) {
    let conv = conversation_id.to_string();
    let r =
        ws.c.call(
            path::<UpdateConversation>(),
            &[
                ("conversation_id", &conv),
                ("field", "status"),
                ("value", status),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// The top-level headers of a delivered message, unfolded, as (lower-case name, value).
fn top_headers(data: &str) -> Vec<(String, String)> {
    let head = data.split("\r\n\r\n").next().unwrap_or_default();
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded
        .split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect()
}

fn header_of(data: &str, name: &str) -> Option<String> {
    let name = name.to_ascii_lowercase();
    top_headers(data)
        .into_iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

// ---------------------------------------------------------------------------------
// 1. MIME corpus through the inbound webhook
// ---------------------------------------------------------------------------------

struct Case {
    file: &'static str,
    subject: &'static str,
    email: Option<&'static str>,
    name: Option<&'static str>,
    has: &'static [&'static str],
    lacks: &'static [&'static str],
}

const CORPUS: &[Case] = &[
    Case {
        file: "gmail_reply.eml",
        subject: "Cannot log in after password reset",
        email: Some("anna.schmidt@gmail.com"),
        name: Some("Anna Schmidt"),
        has: &["the new reset link worked", "2FA prompt"],
        lacks: &["valid for 24 hours", "wrote:"],
    },
    Case {
        file: "outlook_reply.eml",
        subject: "Double charge on invoice INV-2291",
        email: Some("jerome.dupont@contoso.fr"),
        name: Some("Jérôme Dupont"),
        has: &[
            "Le paiement de 49,99 € a été débité deux fois",
            "C’est assez urgent",
        ],
        lacks: &["Thank you for contacting us", "Sent:"],
    },
    Case {
        file: "iphone_reply.eml",
        subject: "Order #5521 not delivered",
        email: Some("marco.rossi@icloud.com"),
        name: Some("Marco Rossi"),
        has: &["Still nothing arrived today. Can you send a replacement?"],
        lacks: &["handed to the courier", "\u{feff}"],
    },
    Case {
        file: "latin1_new_ticket.eml",
        subject: "Rechnung für März fehlt",
        email: Some("j.mueller@example.de"),
        name: Some("Jürgen Müller"),
        has: &["für den Monat März", "Grüße aus Köln"],
        lacks: &["\u{fffd}"],
    },
    Case {
        file: "japanese_iso2022jp.eml",
        subject: "ログインできません",
        email: Some("taro.yamada@example.co.jp"),
        name: Some("山田 太郎"),
        has: &["昨日からアカウントにログインできません。", "「認証エラー」"],
        lacks: &["\u{1b}$B"],
    },
    Case {
        file: "japanese_shift_jis.eml",
        subject: "請求書の再発行について",
        email: Some("hanako.sato@example.ne.jp"),
        name: Some("佐藤 花子"),
        has: &["11月分の請求書を紛失してしまいました。", "￥12,800"],
        lacks: &["\u{fffd}"],
    },
    Case {
        file: "pdf_attachment.eml",
        subject: "Invoice 2026-11 shows the wrong VAT number",
        email: Some("peter.novak@example.org"),
        name: Some("Peter Novak"),
        has: &["DE811907980"],
        lacks: &["JVBERi0"],
    },
    Case {
        file: "inline_image.eml",
        subject: "Error message when exporting the monthly report",
        email: Some("lena.fischer@example.de"),
        name: Some("Lena Fischer"),
        has: &["the error in the screenshot below"],
        lacks: &["iVBORw0KGgo"],
    },
    Case {
        file: "gmail_forward.eml",
        subject: "Refund request for order 8841",
        email: Some("dana@acme-helpdesk.com"),
        name: Some("Dana Whitfield"),
        has: &[
            "please handle this one",
            "---------- Forwarded message ---------",
            "Carlos Méndez",
            "cracked jug",
        ],
        lacks: &[],
    },
    Case {
        file: "signature.eml",
        subject: "Printer sync broken again (tkt-77)",
        email: Some("ravi.patel@example.co.uk"),
        name: Some("Ravi Patel"),
        has: &["\"401 Unauthorized\" for every request."],
        lacks: &["+44 20 7946 0958", "IT Operations"],
    },
    Case {
        file: "thunderbird_reply.eml",
        subject: "Parts availability for order 5521",
        email: Some("sofia.lindqvist@parts-supplier.se"),
        name: Some("Sofia Lindqvist"),
        has: &["ship 12 units on Thursday"],
        lacks: &["44-A17", "wrote:"],
    },
    Case {
        file: "no_message_id.eml",
        subject: "New contact form submission",
        email: None,
        name: None,
        has: &["rejected at checkout & the total stays at €80."],
        lacks: &[],
    },
];

async fn mime_corpus_is_stored_faithfully_and_once(b: Backend) {
    let app = TestApp::new(b).await;
    let ws = workspace(&app, "olga@acme.test", "Acme").await;
    let token = inbound_token(&app, &ws).await;

    let mut numbers = Vec::new();
    for case in CORPUS {
        let j = post_mail(&app, &token, &fixture(case.file)).await;
        assert_eq!(j["status"], "stored", "{}: {j}", case.file);
        assert_eq!(j["opened"], true, "{}: {j}", case.file);
        let n = stored_number(&j);
        let c = conversation_by_number(&app, &ws, n).await;
        assert_eq!(c.channel, "email", "{}", case.file);
        assert!(
            c.subject.ends_with(case.subject) && !c.subject.to_lowercase().starts_with("re:"),
            "{}: subject {:?}",
            case.file,
            c.subject
        );
        assert!(
            !c.subject.contains("[TKT-"),
            "{}: {:?}",
            case.file,
            c.subject
        );
        let cust = customer_of(&app, &ws, &c).await;
        if let Some(e) = case.email {
            assert_eq!(cust.email.as_deref(), Some(e), "{}", case.file);
        }
        if let Some(name) = case.name {
            assert_eq!(cust.name, name, "{}", case.file);
        }
        let msgs = messages_of(&app, &ws, c.id).await;
        let first = &msgs[0];
        assert_eq!(first.direction, "inbound", "{}", case.file);
        assert_eq!(first.author_customer_id, Some(cust.id), "{}", case.file);
        assert_eq!(
            j["message_id"].as_i64(),
            Some(i64::from(first.id)),
            "{}",
            case.file
        );
        for s in case.has {
            assert!(
                first.body_text.contains(s),
                "{}: text lacks {s:?}:\n{}",
                case.file,
                first.body_text
            );
        }
        for s in case.lacks {
            assert!(
                !first.body_text.contains(s) && !first.body_html.contains(s),
                "{}: message contains {s:?}:\n{}\n{}",
                case.file,
                first.body_text,
                first.body_html
            );
        }
        numbers.push((case.file, n, first.id));
    }
    // Quoted replies are gone from the stored HTML too.
    let gmail = conversation_by_number(&app, &ws, numbers[0].1).await;
    let html = &messages_of(&app, &ws, gmail.id).await[0].body_html;
    assert!(html.contains("the new reset link worked"), "{html}");
    assert!(!html.contains("valid for 24 hours"), "{html}");
    // Message-IDs are kept for threading.
    let m = message_by_id(&app, &ws, numbers[0].2).await;
    assert_eq!(
        m.rfc_message_id.as_deref(),
        Some("CAF3kQ7pD2vXw8=Yh5eJ2mT+oKq9Rk1ZdWn4aB_uC0sLfG6e8hA@mail.gmail.com")
    );

    // Attachments: the PDF and the CSV, byte counts as sent, on the first message.
    let (_, pdf_n, pdf_msg) = numbers[6];
    let pdf_conv = conversation_by_number(&app, &ws, pdf_n).await;
    let files = attachments_of(&app, &ws, pdf_conv.id).await;
    let got: Vec<(&str, &str, i64, Option<i32>)> = files
        .iter()
        .map(|a| {
            (
                a.filename.as_str(),
                a.content_type.as_str(),
                a.size_bytes,
                a.message_id,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("invoice-2026-11.pdf", "application/pdf", 613, Some(pdf_msg)),
            ("orders.csv", "text/csv", 75, Some(pdf_msg)),
        ]
    );

    // The inline image is stored and its cid: reference points at it.
    let (_, img_n, img_msg) = numbers[7];
    let img_conv = conversation_by_number(&app, &ws, img_n).await;
    let files = attachments_of(&app, &ws, img_conv.id).await;
    assert_eq!(files.len(), 1);
    assert_eq!(
        (files[0].filename.as_str(), files[0].size_bytes),
        ("screenshot.png", 73)
    );
    assert_eq!(files[0].content_type, "image/png");
    let html = message_by_id(&app, &ws, img_msg).await.body_html;
    assert!(
        html.contains(&format!("/app/attachments/{}", files[0].id)),
        "{html}"
    );
    assert!(!html.contains("cid:"), "{html}");

    // Bounces naming nothing of ours and an auto-reply answering nothing store nothing.
    for (file, status) in [
        ("bounce_postfix.eml", "bounce"),
        ("bounce_exim.eml", "bounce"),
        ("ooo_autoreply.eml", "ignored"),
    ] {
        let j = post_mail(&app, &token, &fixture(file)).await;
        assert_eq!(j["status"], status, "{file}: {j}");
        if status == "bounce" {
            assert_eq!(j["matched"], false, "{file}: {j}");
        }
    }
    let bounce = post_mail(&app, &token, &fixture("bounce_postfix.eml")).await;
    assert!(
        bounce["reason"]
            .as_str()
            .unwrap()
            .contains("User unknown in virtual mailbox table"),
        "{bounce}"
    );

    // Postmark's JSON.
    let pm = fixture("postmark_inbound.json");
    let r = post_hook(&app, &token, "application/json", &pm).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let j = r.json();
    assert_eq!(j["status"], "stored", "{j}");
    let pm_n = stored_number(&j);
    let c = conversation_by_number(&app, &ws, pm_n).await;
    assert_eq!(c.subject, "CSV export times out");
    let cust = customer_of(&app, &ws, &c).await;
    assert_eq!(cust.email.as_deref(), Some("priya.raman@example.com"));
    assert_eq!(cust.name, "Priya Raman");
    let first = &messages_of(&app, &ws, c.id).await[0];
    assert!(
        first.body_text.contains("still times out"),
        "{}",
        first.body_text
    );
    assert!(
        !first.body_text.contains("deployed a fix"),
        "{}",
        first.body_text
    );
    assert!(
        !first.body_html.contains("deployed a fix"),
        "{}",
        first.body_html
    );
    let files = attachments_of(&app, &ws, c.id).await;
    let got: Vec<(&str, i64)> = files
        .iter()
        .map(|a| (a.filename.as_str(), a.size_bytes))
        .collect();
    assert_eq!(got, vec![("export-error.png", 73), ("export-log.txt", 62)]);
    assert!(
        first
            .body_html
            .contains(&format!("/app/attachments/{}", files[0].id)),
        "{}",
        first.body_html
    );
    assert!(!first.body_html.contains("cid:"), "{}", first.body_html);
    numbers.push(("postmark_inbound.json", pm_n, first.id));

    let conversations = conversation_count(&app, &ws).await;
    assert_eq!(conversations, CORPUS.len() as u64 + 1);
    let confirmations = emails(&app, "ticket_confirmation").await.len();
    assert_eq!(
        confirmations,
        CORPUS.len() + 1,
        "one confirmation per new email ticket"
    );

    // Everything again: answered `duplicate`, nothing new written.
    let before = message_count(&app, &ws).await;
    let attachments_before = ws
        .scope()
        .find::<attachment::Entity>()
        .count(&app.state.db)
        .await
        .unwrap();
    for (case, (file, n, mid)) in CORPUS.iter().zip(&numbers) {
        assert_eq!(case.file, *file);
        let j = post_mail(&app, &token, &fixture(case.file)).await;
        assert_eq!(j["status"], "duplicate", "{file}: {j}");
        assert_eq!(j["opened"], false, "{file}: {j}");
        assert_eq!(stored_number(&j), *n, "{file}");
        assert_eq!(j["message_id"].as_i64(), Some(i64::from(*mid)), "{file}");
    }
    let r = post_hook(&app, &token, "application/json", &pm).await;
    assert_eq!(r.json()["status"], "duplicate", "{}", r.body);
    assert_eq!(stored_number(&r.json()), pm_n);
    assert_eq!(message_count(&app, &ws).await, before);
    assert_eq!(conversation_count(&app, &ws).await, conversations);
    assert_eq!(
        emails(&app, "ticket_confirmation").await.len(),
        confirmations
    );
    assert_eq!(
        ws.scope()
            .find::<attachment::Entity>()
            .count(&app.state.db)
            .await
            .unwrap(),
        attachments_before
    );

    // Unreadable input and unknown tokens.
    let r = post_hook(&app, &token, "message/rfc822", b"   \r\n").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = post_hook(&app, &token, "application/json", b"{\"From\": ").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = post_hook(
        &app,
        "in_notAtokenOfAnyWorkspace0000",
        "message/rfc822",
        &fixture("latin1_new_ticket.eml"),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    app.finish().await;
}

// ---------------------------------------------------------------------------------
// 2. Threading
// ---------------------------------------------------------------------------------

const LATIN1_ID: &str = "20261201083058.GA4121@example.de";

async fn replies_thread_by_message_id_and_ticket_token(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@acme.test", "Acme").await;
    let token = inbound_token(&app, &ws).await;
    let j = post_mail(&app, &token, &fixture("latin1_new_ticket.eml")).await;
    assert_eq!(j["conversation"], "TKT-000001", "{j}");
    let conv = conversation_by_number(&app, &ws, 1).await;

    // The agent's reply goes out with threading headers naming the customer's mail.
    let reply = agent_reply(&app, &mut ws, conv.id, "Die Rechnung ist unterwegs.").await;
    let out = outbox_of(&app, &reply).await;
    assert_eq!(out.kind, "conversation_reply");
    assert_eq!(out.to_address, "j.mueller@example.de");
    assert!(out.subject.contains("[TKT-000001]"), "{}", out.subject);
    let our_id = reply
        .rfc_message_id
        .clone()
        .expect("reply has a Message-ID");
    assert!(!our_id.contains('<'), "{our_id}");
    assert_eq!(out.message_id, format!("<{our_id}>"));
    assert_eq!(out.in_reply_to.as_deref(), Some(&*format!("<{LATIN1_ID}>")));
    let refs = out.references_header.clone().expect("References");
    assert!(refs.contains(&format!("<{LATIN1_ID}>")), "{refs}");
    assert!(!refs.contains(&our_id), "{refs}");

    // The customer answers our reply: same conversation.
    let j = post_mail(
        &app,
        &token,
        &raw_mail(
            "Jürgen Müller <j.mueller@example.de>",
            "Re: Rechnung",
            "answer-1@example.de",
            Some(&our_id),
            "Danke, die Rechnung ist angekommen.",
        ),
    )
    .await;
    assert_eq!(j["status"], "stored", "{j}");
    assert_eq!(j["conversation"], "TKT-000001", "{j}");
    assert_eq!(j["opened"], false, "{j}");

    // Only the ticket token in the subject, from the same customer: threads.
    let j = post_mail(
        &app,
        &token,
        &raw_mail(
            "J.Mueller@Example.DE",
            "Noch eine Frage [TKT-000001]",
            "answer-2@example.de",
            None,
            "Gilt das auch für April?",
        ),
    )
    .await;
    assert_eq!(j["conversation"], "TKT-000001", "{j}");
    assert_eq!(j["opened"], false, "{j}");

    // The same token from someone else opens a new conversation.
    let j = post_mail(
        &app,
        &token,
        &raw_mail(
            "Mallory <mallory@evil.test>",
            "Re: [TKT-000001] Rechnung",
            "m-1@evil.test",
            None,
            "Please send me that invoice too.",
        ),
    )
    .await;
    assert_eq!(j["status"], "stored", "{j}");
    assert_eq!(j["conversation"], "TKT-000002", "{j}");
    assert_eq!(j["opened"], true, "{j}");

    let texts: Vec<String> = messages_of(&app, &ws, conv.id)
        .await
        .into_iter()
        .filter(|m| m.direction == "inbound")
        .map(|m| m.body_text)
        .collect();
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert!(
        texts[1].contains("angekommen") && texts[2].contains("April"),
        "{texts:?}"
    );
    assert!(!texts.iter().any(|t| t.contains("that invoice too")));

    // A closed conversation is never continued: a reply to it opens a new one.
    set_status(&mut ws, conv.id, "closed").await;
    let j = post_mail(
        &app,
        &token,
        &raw_mail(
            "j.mueller@example.de",
            "Re: Rechnung [TKT-000001]",
            "answer-3@example.de",
            Some(&our_id),
            "Und noch etwas zu meiner Rechnung.",
        ),
    )
    .await;
    assert_eq!(j["status"], "stored", "{j}");
    assert_eq!(j["conversation"], "TKT-000003", "{j}");
    assert_eq!(j["opened"], true, "{j}");
    let closed = conversation_by_number(&app, &ws, 1).await;
    assert_eq!(closed.status, "closed");
    assert_eq!(
        customer_of(&app, &ws, &conversation_by_number(&app, &ws, 3).await)
            .await
            .id,
        closed.customer_id,
        "the same customer"
    );
    app.finish().await;
}

// ---------------------------------------------------------------------------------
// 3. Bounces
// ---------------------------------------------------------------------------------

async fn bounces_mark_the_named_message_failed(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@acme.test", "Acme").await;
    let token = inbound_token(&app, &ws).await;
    post_mail(&app, &token, &fixture("latin1_new_ticket.eml")).await;
    let conv = conversation_by_number(&app, &ws, 1).await;
    let reply = agent_reply(&app, &mut ws, conv.id, "Die Rechnung ist unterwegs.").await;
    let our_id = reply.rfc_message_id.clone().unwrap();
    assert_eq!(reply.delivery_status, "queued");

    let dsn = adapted(
        "bounce_postfix.eml",
        "tkt-000555.1764583206.7f3a@support.acme-helpdesk.com",
        &our_id,
    );
    let j = post_mail(&app, &token, &dsn).await;
    assert_eq!(j["status"], "bounce", "{j}");
    assert_eq!(j["matched"], true, "{j}");
    let m = message_by_id(&app, &ws, reply.id).await;
    assert_eq!(m.delivery_status, "failed");
    let why = m.delivery_error.unwrap_or_default();
    assert!(
        why.contains("550 5.1.1") && why.contains("User unknown"),
        "{why}"
    );

    // The confirmation email (a system entry carrying its Message-ID) can bounce too.
    let confirmation = messages_of(&app, &ws, conv.id)
        .await
        .into_iter()
        .find(|m| m.kind == "system" && m.rfc_message_id.is_some())
        .expect("the confirmation's system entry");
    let dsn = adapted(
        "bounce_exim.eml",
        "tkt-000556.1764583500.2b1c@support.acme-helpdesk.com",
        confirmation.rfc_message_id.as_deref().unwrap(),
    );
    let j = post_mail(&app, &token, &dsn).await;
    assert_eq!(
        (j["status"].as_str(), j["matched"].as_bool()),
        (Some("bounce"), Some(true)),
        "{j}"
    );
    let m = message_by_id(&app, &ws, confirmation.id).await;
    assert_eq!(m.delivery_status, "failed");
    assert!(
        m.delivery_error
            .unwrap_or_default()
            .contains("mailbox full"),
        "exim's diagnostic"
    );

    // A bounce naming the customer's own inbound mail changes nothing.
    let dsn = adapted(
        "bounce_postfix.eml",
        "tkt-000555.1764583206.7f3a@support.acme-helpdesk.com",
        LATIN1_ID,
    );
    let j = post_mail(&app, &token, &dsn).await;
    assert_eq!(j["matched"], false, "{j}");
    let inbound = &messages_of(&app, &ws, conv.id).await[0];
    assert_eq!(inbound.delivery_status, "received");
    // Nothing was stored as a customer message.
    assert_eq!(conversation_count(&app, &ws).await, 1);
    app.finish().await;
}

// ---------------------------------------------------------------------------------
// 4. Auto-replies and loops
// ---------------------------------------------------------------------------------

const OOO_REF: &str = "tkt-000321.1764583200.9c8d@support.acme-helpdesk.com";

async fn auto_replies_never_reopen_never_answer_and_loops_are_dropped(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@acme.test", "Acme").await;
    let token = inbound_token(&app, &ws).await;
    post_mail(&app, &token, &fixture("latin1_new_ticket.eml")).await;
    let conv = conversation_by_number(&app, &ws, 1).await;
    let reply = agent_reply(&app, &mut ws, conv.id, "Die Rechnung ist unterwegs.").await;
    let our_id = reply.rfc_message_id.clone().unwrap();
    set_status(&mut ws, conv.id, "solved").await;
    let confirmations = emails(&app, "ticket_confirmation").await.len();
    let outbox = System::new("test")
        .find::<email::Entity>()
        .count(&app.state.db)
        .await
        .unwrap();

    // An out-of-office answering our reply is stored; the conversation stays solved.
    let ooo = adapted("ooo_autoreply.eml", OOO_REF, &our_id);
    let j = post_mail(&app, &token, &ooo).await;
    assert_eq!(j["status"], "stored", "{j}");
    assert_eq!(j["conversation"], "TKT-000001", "{j}");
    assert_eq!(j["opened"], false, "{j}");
    let c = conversation_by_number(&app, &ws, 1).await;
    assert_eq!(c.status, "solved", "an auto-reply never reopens");
    let last = messages_of(&app, &ws, conv.id).await.pop().unwrap();
    assert!(
        last.body_text.contains("out of the office"),
        "{}",
        last.body_text
    );
    assert_eq!(
        emails(&app, "ticket_confirmation").await.len(),
        confirmations
    );
    assert!(emails_to(&app, "tom.becker@contoso.com").await.is_empty());
    assert_eq!(
        System::new("test")
            .find::<email::Entity>()
            .count(&app.state.db)
            .await
            .unwrap(),
        outbox,
        "nothing is sent in answer to an auto-reply"
    );

    // The same person writing for real does reopen it (the test above can fail).
    let j = post_mail(
        &app,
        &token,
        &raw_mail(
            "j.mueller@example.de",
            "Re: Rechnung",
            "human-1@example.de",
            Some(&our_id),
            "Leider ist sie doch nicht angekommen.",
        ),
    )
    .await;
    assert_eq!(j["conversation"], "TKT-000001", "{j}");
    assert_eq!(conversation_by_number(&app, &ws, 1).await.status, "open");

    // An auto-reply that answers nothing is dropped.
    let before = conversation_count(&app, &ws).await;
    let j = post_mail(&app, &token, &fixture("ooo_autoreply.eml")).await;
    assert_eq!(j["status"], "ignored", "{j}");
    assert_eq!(conversation_count(&app, &ws).await, before);

    // Mail from our own addresses (a loop) is dropped.
    set_email_config(
        &app,
        &ws,
        serde_json::json!({ "from_name": "Acme Support", "from_address": "support@acme-helpdesk.com" }),
    )
    .await;
    for (i, from) in [
        "Acme Support <Support@Acme-Helpdesk.com>",
        "Switchboard <no-reply@switchboard.localhost>",
    ]
    .into_iter()
    .enumerate()
    {
        let j = post_mail(
            &app,
            &token,
            &raw_mail(
                from,
                "Re: Rechnung",
                &format!("loop-{i}@x.test"),
                None,
                "Looping text",
            ),
        )
        .await;
        assert_eq!(j["status"], "ignored", "{from}: {j}");
    }
    assert_eq!(conversation_count(&app, &ws).await, before);
    app.finish().await;
}

/// An auto-reply only ever joins a conversation it answers: answering a closed
/// conversation, or naming a ticket of another customer, it must not open a ticket.
async fn auto_replies_to_closed_or_foreign_tickets_open_nothing(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@acme.test", "Acme").await;
    let token = inbound_token(&app, &ws).await;
    post_mail(&app, &token, &fixture("latin1_new_ticket.eml")).await;
    let conv = conversation_by_number(&app, &ws, 1).await;
    let reply = agent_reply(&app, &mut ws, conv.id, "Die Rechnung ist unterwegs.").await;
    let our_id = reply.rfc_message_id.clone().unwrap();
    let before = conversation_count(&app, &ws).await;

    // The ticket token of someone else's conversation in an auto-reply's subject.
    let ooo = String::from_utf8(fixture("ooo_autoreply.eml"))
        .unwrap()
        .replace("[TKT-000321]", "[TKT-000001]");
    let j = post_mail(&app, &token, ooo.as_bytes()).await;
    assert_ne!(j["opened"], true, "an auto-reply opened a ticket: {j}");
    assert_eq!(conversation_count(&app, &ws).await, before);

    // An auto-reply to our reply on a conversation that is now closed.
    set_status(&mut ws, conv.id, "closed").await;
    let ooo = String::from_utf8(adapted("ooo_autoreply.eml", OOO_REF, &our_id))
        .unwrap()
        .replace(
            "7d9e0a11b2c34f5e8a6b7c8d9e0f1a2b@AM9PR04MB8171",
            "second-ooo@AM9PR04MB8171",
        );
    let j = post_mail(&app, &token, ooo.as_bytes()).await;
    assert_ne!(j["opened"], true, "an auto-reply opened a ticket: {j}");
    assert_eq!(conversation_count(&app, &ws).await, before);
    assert!(emails_to(&app, "tom.becker@contoso.com").await.is_empty());
    app.finish().await;
}

// ---------------------------------------------------------------------------------
// 5. Email out over real SMTP
// ---------------------------------------------------------------------------------

async fn replies_and_confirmations_go_out_over_smtp_with_threading_headers(b: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::with_config(b, |c| {
        c.smtp.host = Some("127.0.0.1".into());
        c.smtp.port = sink.port;
        c.smtp.security = SmtpSecurity::None;
        c.smtp.from = "Switchboard Server <server@switchboard.test>".into();
    })
    .await;
    let mut ws = workspace(&app, "olga@acme.test", "Acme").await;
    set_email_config(
        &app,
        &ws,
        serde_json::json!({ "from_name": "Acme Help", "from_address": "help@acme.test" }),
    )
    .await;
    let token = inbound_token(&app, &ws).await;
    post_mail(&app, &token, &fixture("latin1_new_ticket.eml")).await;
    let conv = conversation_by_number(&app, &ws, 1).await;
    let reply = agent_reply(
        &app,
        &mut ws,
        conv.id,
        "The corrected invoice is on its way.",
    )
    .await;
    let out = outbox_of(&app, &reply).await;
    app.run_jobs().await;

    let mut to_customer = Vec::new();
    for _ in 0..100 {
        to_customer = sink
            .delivered()
            .into_iter()
            .filter(|d| d.rcpt_to == ["j.mueller@example.de"])
            .collect::<Vec<_>>();
        if to_customer.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(to_customer.len(), 2, "confirmation and reply");
    let (confirmation, sent_reply) = {
        let is_reply = |d: &common::smtp::Delivered| {
            header_of(&d.data, "Message-ID").as_deref() == Some(out.message_id.as_str())
        };
        let r = to_customer.iter().find(|d| is_reply(d)).expect("the reply");
        let c = to_customer
            .iter()
            .find(|d| !is_reply(d))
            .expect("the confirmation");
        (c.clone(), r.clone())
    };

    // The reply: the workspace's From, threading headers, text and HTML.
    let d = &sent_reply.data;
    let from = header_of(d, "From").unwrap();
    assert!(
        from.contains("Acme Help") && from.contains("<help@acme.test>"),
        "{from}"
    );
    assert_eq!(sent_reply.mail_from, "help@acme.test");
    assert_eq!(
        header_of(d, "In-Reply-To").as_deref(),
        Some(&*format!("<{LATIN1_ID}>"))
    );
    let refs = header_of(d, "References").unwrap();
    assert!(refs.contains(&format!("<{LATIN1_ID}>")), "{refs}");
    let ctype = header_of(d, "Content-Type").unwrap();
    assert!(ctype.starts_with("multipart/alternative"), "{ctype}");
    assert!(d.contains("Content-Type: text/plain"), "{d}");
    assert!(d.contains("Content-Type: text/html"), "{d}");
    assert!(
        header_of(d, "Auto-Submitted").is_none(),
        "a person's reply: {d}"
    );
    let parsed = email_parse::parse_raw(d.as_bytes()).unwrap();
    assert!(
        parsed.text.contains("The corrected invoice is on its way."),
        "{}",
        parsed.text
    );
    assert!(
        parsed
            .html
            .as_deref()
            .unwrap_or_default()
            .contains("The corrected invoice is on its way."),
        "{:?}",
        parsed.html
    );
    assert_eq!(parsed.in_reply_to, [LATIN1_ID]);
    assert_eq!(
        parsed.subject, "Re: Rechnung für März fehlt [TKT-000001]",
        "decoded subject"
    );

    // The confirmation is marked automatic and answers the customer's mail.
    let d = &confirmation.data;
    assert_eq!(
        header_of(d, "Auto-Submitted").as_deref(),
        Some("auto-replied"),
        "{d}"
    );
    let from = header_of(d, "From").unwrap();
    assert!(from.contains("<help@acme.test>"), "{from}");
    assert_eq!(
        header_of(d, "In-Reply-To").as_deref(),
        Some(&*format!("<{LATIN1_ID}>"))
    );
    assert!(header_of(d, "Message-ID").is_some_and(|m| m.starts_with('<')));
    let parsed = email_parse::parse_raw(d.as_bytes()).unwrap();
    assert!(
        parsed.subject.starts_with("[TKT-000001]"),
        "{}",
        parsed.subject
    );
    assert!(parsed.text.contains("TKT-000001"), "{}", parsed.text);
    assert!(header_of(d, "Content-Type")
        .unwrap()
        .starts_with("multipart/alternative"));

    // The outbox knows both were sent.
    assert_eq!(email_by_id(&app, out.id).await.status, "sent");
    let conf = emails(&app, "ticket_confirmation").await;
    assert_eq!(conf.len(), 1);
    assert!(conf[0].auto_submitted);
    assert_eq!(conf[0].status, "sent");
    app.finish().await;
}

// ---------------------------------------------------------------------------------
// 6. Web support form and status page
// ---------------------------------------------------------------------------------

async fn workspace_slug(app: &TestApp, ws: &Ws) -> String {
    global::<entity::workspace::Entity>()
        .filter(entity::workspace::Column::Id.eq(ws.id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .slug
        .unwrap()
}

fn good_form() -> Vec<(&'static str, String)> {
    vec![
        ("form[name]", "Ada Lovelace".into()),
        ("form[email]", "Ada@Example.com".into()),
        ("form[subject]", "Broken zip on my jacket".into()),
        ("form[category]", "Returns and refunds".into()),
        ("form[priority]", "high".into()),
        (
            "form[message]",
            "The zip of my new jacket broke on day two.".into(),
        ),
    ]
}

async fn submit(c: &mut Client, slug: &str, form: &[(&'static str, String)], sub: &str) -> Res {
    let mut pairs: Vec<(&str, &str)> = vec![("slug", slug), ("submission_id", sub)];
    pairs.extend(form.iter().map(|(k, v)| (*k, v.as_str())));
    c.call(path::<SubmitSupportForm>(), &pairs).await
}

async fn web_form_validates_opens_once_and_shows_status(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@acme.test", "Acme Outdoor").await;
    let slug = workspace_slug(&app, &ws).await;
    let mut visitor = app.client();

    // Each bad field answers 422 naming it, and writes nothing.
    for (field, bad) in [
        ("name", "A"),
        ("email", "not-an-email"),
        ("subject", "Hey"),
        ("category", "Spaceships"),
        ("priority", "asap"),
        ("message", "short"),
    ] {
        let mut f = good_form();
        for (k, v) in &mut f {
            if *k == format!("form[{field}]") {
                *v = bad.to_owned();
            }
        }
        let r = submit(&mut visitor, &slug, &f, "sub-bad-0001").await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            r.body
        );
        assert_eq!(r.json()["Validation"]["field"], field, "{}", r.body);
    }
    let r = submit(&mut visitor, &slug, &good_form(), "x1").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["Validation"]["field"], "submission_id");
    let r = submit(
        &mut visitor,
        "no-such-workspace",
        &good_form(),
        "sub-0000000001",
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert_eq!(conversation_count(&app, &ws).await, 0);

    // A good form answers the ticket number.
    let r = submit(&mut visitor, &slug, &good_form(), "sub-0000000001").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let receipt = r.json();
    assert_eq!(receipt["reference"], "TKT-000001", "{receipt}");
    assert!(
        receipt["status_url"]
            .as_str()
            .unwrap()
            .contains(&format!("/support/{slug}/status")),
        "{receipt}"
    );
    let c = conversation_by_number(&app, &ws, 1).await;
    assert_eq!(c.channel, "web_form");
    assert_eq!(c.subject, "Broken zip on my jacket");
    assert_eq!(c.priority, "high");
    let cust = customer_of(&app, &ws, &c).await;
    assert_eq!(cust.email.as_deref(), Some("ada@example.com"));
    assert_eq!(cust.name, "Ada Lovelace");
    let messages = message_count(&app, &ws).await;
    let confirmations = emails(&app, "ticket_confirmation").await.len();
    assert_eq!(confirmations, 1);

    // A double click (same submission id) returns the same ticket, creates nothing.
    let r = submit(&mut visitor, &slug, &good_form(), "sub-0000000001").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["reference"], "TKT-000001");
    assert_eq!(conversation_count(&app, &ws).await, 1);
    assert_eq!(message_count(&app, &ws).await, messages);
    assert_eq!(
        emails(&app, "ticket_confirmation").await.len(),
        confirmations
    );
    // A new submission id is a new ticket.
    let r = submit(&mut visitor, &slug, &good_form(), "sub-0000000002").await;
    assert_eq!(r.json()["reference"], "TKT-000002", "{}", r.body);

    // The status page: public replies, never notes.
    agent_reply(&app, &mut ws, c.id, "A replacement zip is in the post.").await;
    agent_note(&mut ws, c.id, "Internal: supplier batch 7 is faulty").await;
    set_status(&mut ws, c.id, "pending").await;
    let r = visitor
        .call(
            path::<TicketStatus>(),
            &[
                ("slug", &slug),
                ("ticket", "TKT-000001"),
                ("email", "ada@example.com"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    assert_eq!(v["reference"], "TKT-000001");
    assert_eq!(v["status"], "pending");
    assert_eq!(v["subject"], "Broken zip on my jacket");
    let bodies: Vec<(String, String)> = v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["from"].as_str().unwrap().to_owned(),
                m["body_html"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        bodies
            .iter()
            .any(|(f, b)| f == "customer" && b.contains("zip of my new jacket")),
        "{bodies:?}"
    );
    assert!(
        bodies
            .iter()
            .any(|(f, b)| f == "agent" && b.contains("replacement zip")),
        "{bodies:?}"
    );
    assert!(
        !r.body.contains("supplier batch 7"),
        "a note leaked: {}",
        r.body
    );
    // The number alone (another form) works too, case-insensitive email.
    let r = visitor
        .call(
            path::<TicketStatus>(),
            &[
                ("slug", &slug),
                ("ticket", "1"),
                ("email", "ADA@example.com"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // A wrong email, or someone else's ticket number: not found, same answer.
    for (ticket, mail) in [
        ("TKT-000001", "eve@example.com"),
        ("TKT-000099", "ada@example.com"),
    ] {
        let r = visitor
            .call(
                path::<TicketStatus>(),
                &[("slug", &slug), ("ticket", ticket), ("email", mail)],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{ticket} {mail}: {}",
            r.body
        );
        assert!(!r.body.contains("Broken zip"), "{}", r.body);
    }
    app.finish().await;
}

// ---------------------------------------------------------------------------------
// 7. Chat widget API
// ---------------------------------------------------------------------------------

async fn widget_post(c: &mut Client, uri: &str, body: serde_json::Value) -> Res {
    c.send(
        Request::post(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

async fn widget_session(c: &mut Client, key: &str, token: Option<&str>) -> serde_json::Value {
    let r = widget_post(
        c,
        "/widget/api/session",
        serde_json::json!({ "key": key, "token": token }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

async fn widget_send(c: &mut Client, key: &str, token: &str, client_id: &str, body: &str) -> Res {
    widget_post(
        c,
        "/widget/api/messages",
        serde_json::json!({ "key": key, "token": token, "client_id": client_id, "body": body }),
    )
    .await
}

fn widget_field(r: &Res) -> serde_json::Value {
    r.json()["error"]["details"]["field"].clone()
}

async fn widget_visitors_chat_upload_rate_and_are_limited(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@acme.test", "Acme").await;
    let other = workspace(&app, "bob@other.test", "Other Shop").await;
    let key = chat_key(&app, &ws).await;
    let key_b = chat_key(&app, &other).await;
    let mut browser = app.client();

    // A session hands out a token; presenting it again resumes it.
    let s = widget_session(&mut browser, &key, None).await;
    let token = s["token"].as_str().unwrap().to_owned();
    assert!(token.len() >= 32, "{token}");
    assert!(s["thread"]["conversation_id"].is_null(), "{s}");
    assert_eq!(s["config"]["workspace_name"], "Acme");
    let again = widget_session(&mut browser, &key, Some(&token)).await;
    assert_eq!(again["token"], token.as_str());
    let r = widget_post(
        &mut browser,
        "/widget/api/session",
        serde_json::json!({ "key": "pk_unknown000000000000000000" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    // Sending the same client id twice stores one message.
    let r = widget_send(
        &mut browser,
        &key,
        &token,
        "msg-00000001",
        "Hello, my order is late",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let m = r.json()["message"].clone();
    assert_eq!(m["client_id"], "msg-00000001");
    assert_eq!(m["from"], "customer");
    let conv_id = m["conversation_id"].as_i64().unwrap() as i32;
    let r = widget_send(
        &mut browser,
        &key,
        &token,
        "msg-00000001",
        "Hello, my order is late",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["message"]["id"], m["id"]);
    assert_eq!(messages_of(&app, &ws, conv_id).await.len(), 1);
    let conv = ws
        .scope()
        .find::<conversation::Entity>()
        .filter(conversation::Column::Id.eq(conv_id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(conv.channel, "chat");
    let s = widget_session(&mut browser, &key, Some(&token)).await;
    assert_eq!(s["thread"]["conversation_id"], conv_id);
    assert_eq!(s["thread"]["messages"].as_array().unwrap().len(), 1);

    // Too long: 422 on the body.
    let long = "x".repeat(5_001);
    let r = widget_send(&mut browser, &key, &token, "msg-00000002", &long).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(widget_field(&r), "body");
    let ok = "y".repeat(5_000);
    let r = widget_send(&mut browser, &key, &token, "msg-00000003", &ok).await;
    assert_eq!(r.status, StatusCode::OK, "5,000 is allowed: {}", r.body);
    let r = widget_send(&mut browser, &key, "short-token", "msg-00000004", "hi").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);

    // Upload: stored, downloadable by this visitor only.
    let bytes = b"order 1234 receipt\nline two\n";
    let r = widget_post(
        &mut browser,
        "/widget/api/upload",
        serde_json::json!({
            "key": key, "token": token, "client_id": "upload-00000001",
            "filename": "receipt.txt", "content_type": "text/plain",
            "data": base64::engine::general_purpose::STANDARD.encode(bytes),
        }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let file = r.json()["message"]["files"][0].clone();
    assert_eq!(file["name"], "receipt.txt");
    let url = file["url"].as_str().unwrap().to_owned();
    let att_id = file["id"].as_i64().unwrap() as i32;
    let stored = attachments_of(&app, &ws, conv_id).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id, att_id);
    assert_eq!(stored[0].size_bytes, bytes.len() as i64);
    let r = browser.get(&url).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body.as_bytes(), bytes);
    assert!(r.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("receipt.txt"));
    let bad = widget_post(
        &mut browser,
        "/widget/api/upload",
        serde_json::json!({
            "key": key, "token": token, "client_id": "upload-00000002",
            "filename": "x.txt", "content_type": "text/plain", "data": "%%% not base64",
        }),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert_eq!(widget_field(&bad), "data");

    let mut stranger = app.client();
    let s2 = widget_session(&mut stranger, &key, None).await;
    let token2 = s2["token"].as_str().unwrap().to_owned();
    assert!(s2["thread"]["conversation_id"].is_null());
    let r = stranger
        .get(&format!(
            "/widget/api/files/{att_id}?key={key}&token={token2}"
        ))
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "another visitor: {}",
        r.body
    );
    let r = stranger
        .get(&format!(
            "/widget/api/files/{att_id}?key={key_b}&token={token}"
        ))
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "workspace B's key: {}",
        r.body
    );

    // Email capture: only once they have written.
    let r = widget_post(
        &mut stranger,
        "/widget/api/email",
        serde_json::json!({ "key": key, "token": token2, "email": "s@example.com" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = widget_post(
        &mut browser,
        "/widget/api/email",
        serde_json::json!({ "key": key, "token": token, "email": "not an email" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(widget_field(&r), "email");
    let r = widget_post(
        &mut browser,
        "/widget/api/email",
        serde_json::json!({ "key": key, "token": token, "email": "Vera@Example.com", "name": "Vera Visitor" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let cust = customer_of(&app, &ws, &conv).await;
    assert_eq!(cust.email.as_deref(), Some("vera@example.com"));
    assert_eq!(cust.name, "Vera Visitor");
    let s = widget_session(&mut browser, &key, Some(&token)).await;
    assert_eq!(s["email"], "vera@example.com");

    // CSAT: refused before solved, out of range refused, accepted after.
    let csat = |rating: i64, t: &str| {
        serde_json::json!({
            "key": key, "token": t, "conversation_id": conv_id,
            "rating": rating, "comment": "Quick and kind",
        })
    };
    let r = widget_post(&mut browser, "/widget/api/csat", csat(5, &token)).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not solved yet: {}",
        r.body
    );
    assert_eq!(widget_field(&r), "rating");
    set_status(&mut ws, conv_id, "solved").await;
    let s = widget_session(&mut browser, &key, Some(&token)).await;
    assert_eq!(s["thread"]["csat_open"], true, "{s}");
    for rating in [0, 6] {
        let r = widget_post(&mut browser, "/widget/api/csat", csat(rating, &token)).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{rating}: {}",
            r.body
        );
        assert_eq!(widget_field(&r), "rating");
    }
    let r = widget_post(&mut stranger, "/widget/api/csat", csat(1, &token2)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "not theirs: {}", r.body);
    let r = widget_post(&mut browser, "/widget/api/csat", csat(5, &token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rows = ws
        .scope()
        .find::<csat_response::Entity>()
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].rating, rows[0].conversation_id), (5, conv_id));
    assert_eq!(rows[0].comment.as_deref(), Some("Quick and kind"));
    let s = widget_session(&mut browser, &key, Some(&token)).await;
    assert_eq!(s["thread"]["csat_open"], false, "{s}");

    // The per-visitor limit: 30 messages a minute, then 429 with Retry-After.
    let mut fast = app.client();
    let s3 = widget_session(&mut fast, &key, None).await;
    let token3 = s3["token"].as_str().unwrap().to_owned();
    for i in 0..30 {
        let r = widget_send(&mut fast, &key, &token3, &format!("rate-{i:08}"), "ping").await;
        assert_eq!(r.status, StatusCode::OK, "message {i}: {}", r.body);
    }
    let r = widget_send(&mut fast, &key, &token3, "rate-99999999", "ping").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.headers.contains_key(header::RETRY_AFTER));
    // Other visitors are not affected.
    let r = widget_send(&mut stranger, &key, &token2, "msg-stranger1", "Hello?").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.finish().await;
}

// ---------------------------------------------------------------------------------
// 8. Outbound webhooks
// ---------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct Hit {
    headers: HeaderMap,
    body: Vec<u8>,
}

#[derive(Clone)]
struct Receiver {
    url: String,
    hits: Arc<Mutex<Vec<Hit>>>,
    status: Arc<AtomicU16>,
}

impl Receiver {
    async fn start() -> Self {
        let hits: Arc<Mutex<Vec<Hit>>> = Arc::default();
        let status = Arc::new(AtomicU16::new(200));
        let (h, s) = (hits.clone(), status.clone());
        let router = Router::new().route(
            "/hook",
            post(move |headers: HeaderMap, body: Bytes| {
                let (h, s) = (h.clone(), s.clone());
                async move {
                    h.lock().unwrap().push(Hit {
                        headers,
                        body: body.to_vec(),
                    });
                    let code = StatusCode::from_u16(s.load(Ordering::SeqCst)).unwrap();
                    (code, "received by test")
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Self {
            url: format!("http://127.0.0.1:{port}/hook"),
            hits,
            status,
        }
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    fn answer(&self, code: u16) {
        self.status.store(code, Ordering::SeqCst);
    }
}

fn hv<'a>(h: &'a Hit, name: &str) -> &'a str {
    h.headers
        .get(name)
        .unwrap_or_else(|| panic!("header {name} missing: {:?}", h.headers))
        .to_str()
        .unwrap()
}

async fn create_hook(ws: &mut Ws, url: &str, allow_private: bool) -> serde_json::Value {
    let r =
        ws.c.call(
            path::<CreateWebhook>(),
            &[
                ("form[url]", url),
                ("form[description]", "test receiver"),
                ("form[events][0]", "conversation.created"),
                ("form[headers]", "X-Team: ops"),
                (
                    "form[allow_private]",
                    if allow_private { "true" } else { "false" },
                ),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

async fn deliveries_of(app: &TestApp, ws: &Ws, endpoint_id: i32) -> Vec<webhook_delivery::Model> {
    ws.scope()
        .find::<webhook_delivery::Entity>()
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint_id))
        .order_by_asc(webhook_delivery::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
}

async fn endpoint(app: &TestApp, ws: &Ws, id: i32) -> webhook_endpoint::Model {
    ws.scope()
        .find::<webhook_endpoint::Entity>()
        .filter(webhook_endpoint::Column::Id.eq(id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
}

async fn job_of_delivery(app: &TestApp, delivery_id: i32) -> job::Model {
    System::new("tests read the queue")
        .find::<job::Entity>()
        .filter(job::Column::Kind.eq("webhook.deliver"))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .find(|j| {
            serde_json::from_str::<serde_json::Value>(&j.payload).unwrap()["delivery_id"]
                == delivery_id
        })
        .expect("the delivery's job")
}

async fn slow_backoff(b: Backend) -> TestApp {
    TestApp::with_config(b, |c| {
        c.jobs.backoff_base_secs = 60;
        c.jobs.backoff_max_secs = 3600;
    })
    .await
}

async fn webhooks_are_signed_retried_and_replayed(b: Backend) {
    let app = slow_backoff(b).await;
    let mut ws = workspace(&app, "olga@acme.test", "Acme").await;
    let token = inbound_token(&app, &ws).await;
    let rx = Receiver::start().await;
    let ep = create_hook(&mut ws, &rx.url, true).await;
    let ep_id = ep["id"].as_i64().unwrap() as i32;
    let secret = ep["secret"].as_str().expect("the secret, once").to_owned();
    assert!(secret.starts_with("whsec_"));

    // conversation.created from an email.
    post_mail(&app, &token, &fixture("latin1_new_ticket.eml")).await;
    let conv = conversation_by_number(&app, &ws, 1).await;
    app.run_jobs().await;
    let hits = rx.hits();
    assert_eq!(hits.len(), 1, "{hits:?}");
    let h = &hits[0];
    let ds = deliveries_of(&app, &ws, ep_id).await;
    assert_eq!(ds.len(), 1);
    let d1 = &ds[0];
    assert_eq!(hv(h, "x-switchboard-event"), "conversation.created");
    assert_eq!(hv(h, "x-switchboard-event-id"), d1.event_id);
    assert_eq!(hv(h, "x-switchboard-delivery"), d1.id.to_string());
    assert_eq!(hv(h, "x-team"), "ops");
    assert!(hv(h, "content-type").starts_with("application/json"));
    let ts = hv(h, "x-switchboard-timestamp");
    let ts_secs: i64 = ts.parse().expect("unix seconds");
    let now = chrono::Utc::now().timestamp();
    assert!((now - ts_secs).abs() < 120, "{ts}");
    let sig = hv(h, "x-switchboard-signature");
    assert!(sig.starts_with("sha256="), "{sig}");
    verify::verify_switchboard(secret.as_bytes(), &h.body, ts, sig, now, 300)
        .expect("a valid signature");
    assert!(
        verify::verify_switchboard(b"whsec_wrong", &h.body, ts, sig, now, 300).is_err(),
        "the check can fail"
    );
    let body: serde_json::Value = serde_json::from_slice(&h.body).unwrap();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["data", "event", "timestamp"], "{body}");
    assert_eq!(body["event"], "conversation.created");
    assert_eq!(body["data"]["id"], conv.id);
    assert_eq!(body["data"]["number"], 1);
    chrono::DateTime::parse_from_rfc3339(body["timestamp"].as_str().unwrap())
        .expect("an RFC 3339 timestamp");
    assert_eq!(d1.status, "succeeded");
    assert_eq!((d1.attempts, d1.response_status), (1, Some(200)));
    assert_eq!(d1.response_excerpt.as_deref(), Some("received by test"));
    assert!(endpoint(&app, &ws, ep_id).await.last_success_at.is_some());

    // A receiver answering 500: failed, one attempt, a retry scheduled later.
    rx.answer(500);
    post_mail(&app, &token, &fixture("pdf_attachment.eml")).await;
    app.run_jobs().await;
    assert_eq!(rx.hits().len(), 2);
    let ds = deliveries_of(&app, &ws, ep_id).await;
    let d2 = ds.last().unwrap().clone();
    assert_ne!(d2.id, d1.id);
    assert_eq!(d2.status, "failed");
    assert_eq!((d2.attempts, d2.response_status), (1, Some(500)));
    assert!(
        d2.error.as_deref().unwrap_or_default().contains("500"),
        "{d2:?}"
    );
    let j = job_of_delivery(&app, d2.id).await;
    assert_eq!((j.status.as_str(), j.attempts), ("pending", 1), "{j:?}");
    assert!(
        j.run_at > chrono::Utc::now() + chrono::Duration::seconds(30),
        "retry at {} is not later",
        j.run_at
    );
    let e = endpoint(&app, &ws, ep_id).await;
    assert!(e.failing_since.is_some() && e.active);

    // Replay: a new delivery of the same event.
    rx.answer(200);
    let r =
        ws.c.call(
            path::<ReplayWebhookDelivery>(),
            &[("delivery_id", &d1.id.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let replay_id = r.json()["id"].as_i64().unwrap() as i32;
    assert_ne!(replay_id, d1.id);
    app.run_jobs().await;
    let hits = rx.hits();
    assert_eq!(hits.len(), 3, "the retry of d2 is not due yet");
    let h = &hits[2];
    assert_eq!(hv(h, "x-switchboard-event-id"), d1.event_id);
    assert_eq!(hv(h, "x-switchboard-delivery"), replay_id.to_string());
    assert_eq!(h.body, d1.payload.as_bytes());
    let replayed = deliveries_of(&app, &ws, ep_id)
        .await
        .into_iter()
        .find(|d| d.id == replay_id)
        .unwrap();
    assert_eq!(
        (replayed.status.as_str(), replayed.event_id.as_str()),
        ("succeeded", d1.event_id.as_str())
    );
    assert!(endpoint(&app, &ws, ep_id).await.failing_since.is_none());
    app.finish().await;
}

async fn webhooks_refuse_private_hosts_and_pause_failing_endpoints(b: Backend) {
    let app = slow_backoff(b).await;
    let mut ws = workspace(&app, "olga@acme.test", "Acme").await;
    let token = inbound_token(&app, &ws).await;
    let private_rx = Receiver::start().await;
    let failing_rx = Receiver::start().await;
    failing_rx.answer(500);
    let private_ep = create_hook(&mut ws, &private_rx.url, false).await["id"]
        .as_i64()
        .unwrap() as i32;
    let failing_ep = create_hook(&mut ws, &failing_rx.url, true).await["id"]
        .as_i64()
        .unwrap() as i32;
    System::new("the test ages the failure streak")
        .update_many::<webhook_endpoint::Entity>()
        .col_expr(
            webhook_endpoint::Column::FailingSince,
            Expr::value(chrono::Utc::now() - chrono::Duration::days(4)),
        )
        .filter(webhook_endpoint::Column::Id.eq(failing_ep))
        .exec(&app.state.db)
        .await
        .unwrap();

    post_mail(&app, &token, &fixture("latin1_new_ticket.eml")).await;
    app.run_jobs().await;

    // Loopback without permission: never contacted, the reason recorded.
    assert!(private_rx.hits().is_empty(), "{:?}", private_rx.hits());
    let ds = deliveries_of(&app, &ws, private_ep).await;
    assert_eq!(ds.len(), 1);
    let err = ds[0].error.clone().unwrap_or_default();
    assert!(err.contains("private") && err.contains("loopback"), "{err}");
    assert!(err.contains("127.0.0.1"), "{err}");
    assert_eq!(ds[0].response_status, None);
    assert_eq!(ds[0].status, "failed");

    // Failing for 4 days: paused on this failure, the owner told.
    assert_eq!(failing_rx.hits().len(), 1);
    let e = endpoint(&app, &ws, failing_ep).await;
    assert!(!e.active, "{e:?}");
    assert!(
        e.paused_reason
            .as_deref()
            .unwrap_or_default()
            .contains("3 days"),
        "{e:?}"
    );
    let paused = emails(&app, "webhook_paused").await;
    assert_eq!(paused.len(), 1, "{paused:?}");
    assert_eq!(paused[0].to_address, ws.owner_email);
    assert!(
        paused[0].body_text.contains(&failing_rx.url),
        "{}",
        paused[0].body_text
    );
    assert!(
        endpoint(&app, &ws, private_ep).await.active,
        "only the old one is paused"
    );

    // Paused: later events are not sent there.
    post_mail(&app, &token, &fixture("pdf_attachment.eml")).await;
    app.run_jobs().await;
    assert_eq!(failing_rx.hits().len(), 1);
    assert_eq!(deliveries_of(&app, &ws, failing_ep).await.len(), 1);
    assert_eq!(deliveries_of(&app, &ws, private_ep).await.len(), 2);
    assert_eq!(emails(&app, "webhook_paused").await.len(), 1);
    app.finish().await;
}

// ---------------------------------------------------------------------------------
// 9. IMAP end to end (SQLite)
// ---------------------------------------------------------------------------------

async fn email_row(app: &TestApp, ws: &Ws) -> entity::channel_setting::Model {
    settings::find(&app.state.db, ws.scope(), Channel::Email)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imap_polling_stores_new_mail_once() {
    let d = common::imap::Dovecot::start()
        .expect("this test needs dovecot: apt-get install --no-install-recommends dovecot-imapd");
    let app = TestApp::new(Backend::Sqlite).await;
    let ws = workspace(&app, "olga@acme.test", "Acme").await;
    set_email_config(
        &app,
        &ws,
        serde_json::json!({
            "imap": {
                "host": "127.0.0.1", "port": d.port, "security": "none",
                "username": d.username, "password": d.password,
            }
        }),
    )
    .await;
    d.deliver(&fixture("latin1_new_ticket.eml"));
    d.deliver(&fixture("pdf_attachment.eml"));

    let n = email_in::poll_imap(&app.state, &email_row(&app, &ws).await)
        .await
        .unwrap();
    assert_eq!(n, 2, "{}", d.logs());
    assert_eq!(conversation_count(&app, &ws).await, 2);
    let pdf = conversation_by_number(&app, &ws, 2).await;
    assert_eq!(pdf.subject, "Invoice 2026-11 shows the wrong VAT number");
    assert_eq!(attachments_of(&app, &ws, pdf.id).await.len(), 2);
    let state: serde_json::Value =
        serde_json::from_str(email_row(&app, &ws).await.poll_state.as_deref().unwrap()).unwrap();
    assert!(state["last_uid"].as_u64().unwrap() >= 2, "{state}");
    assert!(state["last_error"].is_null(), "{state}");
    let messages = message_count(&app, &ws).await;

    d.deliver(&fixture("japanese_shift_jis.eml"));
    let n = email_in::poll_imap(&app.state, &email_row(&app, &ws).await)
        .await
        .unwrap();
    assert_eq!(n, 1, "only the new message is fetched");
    assert_eq!(conversation_count(&app, &ws).await, 3);
    assert_eq!(
        conversation_by_number(&app, &ws, 3).await.subject,
        "請求書の再発行について"
    );
    assert!(message_count(&app, &ws).await > messages);
    let messages = message_count(&app, &ws).await;

    let n = email_in::poll_imap(&app.state, &email_row(&app, &ws).await)
        .await
        .unwrap();
    assert_eq!(n, 0);
    assert_eq!(conversation_count(&app, &ws).await, 3);
    assert_eq!(message_count(&app, &ws).await, messages);
    // Even from scratch (cursor lost), nothing is stored twice.
    let mut fresh = email_row(&app, &ws).await;
    fresh.poll_state = None;
    let n = email_in::poll_imap(&app.state, &fresh).await.unwrap();
    assert_eq!(n, 3);
    assert_eq!(conversation_count(&app, &ws).await, 3);
    assert_eq!(message_count(&app, &ws).await, messages);
    // The mail is not marked \Seen (the mailbox is examined read-only).
    assert_eq!(d.seen_count(), 0);
    app.finish().await;
}

// ---------------------------------------------------------------------------------
// 10. Tenancy
// ---------------------------------------------------------------------------------

async fn channel_credentials_never_cross_workspaces(b: Backend) {
    let app = TestApp::new(b).await;
    let mut a = workspace(&app, "olga@a.test", "Workspace A").await;
    let bws = workspace(&app, "bob@b.test", "Workspace B").await;
    let token_a = inbound_token(&app, &a).await;
    let token_b = inbound_token(&app, &bws).await;
    assert_ne!(token_a, token_b);

    // A's inbound token files into A only.
    let j = post_mail(&app, &token_a, &fixture("latin1_new_ticket.eml")).await;
    assert_eq!(j["conversation"], "TKT-000001");
    assert_eq!(conversation_count(&app, &a).await, 1);
    assert_eq!(conversation_count(&app, &bws).await, 0);
    let conv_a = conversation_by_number(&app, &a, 1).await;
    let reply = agent_reply(&app, &mut a, conv_a.id, "Die Rechnung ist unterwegs.").await;
    let a_messages = messages_of(&app, &a, conv_a.id).await.len();

    // A reply naming A's Message-ID and ticket, sent to B's address, stays in B.
    let j = post_mail(
        &app,
        &token_b,
        &raw_mail(
            "j.mueller@example.de",
            "Re: Rechnung [TKT-000001]",
            "cross-1@example.de",
            reply.rfc_message_id.as_deref(),
            "Sent to the wrong shop.",
        ),
    )
    .await;
    assert_eq!(j["status"], "stored", "{j}");
    assert_eq!(j["opened"], true, "{j}");
    assert_eq!(conversation_count(&app, &bws).await, 1);
    assert_eq!(messages_of(&app, &a, conv_a.id).await.len(), a_messages);
    // The same Message-ID stored in both workspaces does not collide either.
    let j = post_mail(&app, &token_b, &fixture("latin1_new_ticket.eml")).await;
    assert_eq!(j["status"], "stored", "B has its own copy: {j}");
    assert_eq!(conversation_count(&app, &bws).await, 2);
    assert_eq!(conversation_count(&app, &a).await, 1);

    // A visitor token of A, presented with B's key, sees nothing of A.
    let key_a = chat_key(&app, &a).await;
    let key_b = chat_key(&app, &bws).await;
    let mut browser = app.client();
    let s = widget_session(&mut browser, &key_a, None).await;
    let token = s["token"].as_str().unwrap().to_owned();
    let r = widget_send(
        &mut browser,
        &key_a,
        &token,
        "tenant-0000001",
        "Secret order 4711",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let a_chat = r.json()["message"]["conversation_id"].as_i64().unwrap() as i32;
    let s = widget_session(&mut browser, &key_b, Some(&token)).await;
    assert!(s["thread"]["conversation_id"].is_null(), "{s}");
    assert!(
        s["thread"]["messages"].as_array().unwrap().is_empty(),
        "{s}"
    );
    assert_eq!(s["config"]["workspace_name"], "Workspace B");
    assert!(!s.to_string().contains("4711"));
    let r = widget_post(
        &mut browser,
        "/widget/api/csat",
        serde_json::json!({ "key": key_b, "token": token, "conversation_id": a_chat, "rating": 1 }),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // Writing with B's key lands in B, under a separate customer.
    let b_before = conversation_count(&app, &bws).await;
    let r = widget_send(&mut browser, &key_b, &token, "tenant-0000002", "Hello B").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let b_chat = r.json()["message"]["conversation_id"].as_i64().unwrap() as i32;
    assert_ne!(b_chat, a_chat);
    assert_eq!(conversation_count(&app, &bws).await, b_before + 1);
    assert_eq!(messages_of(&app, &a, a_chat).await.len(), 1);
    app.finish().await;
}

/// A side conversation's token in a mail that arrives at workspace B's inbound
/// address must not write into workspace A's side conversation.
async fn side_conversation_tokens_stay_in_their_workspace(b: Backend) {
    let app = TestApp::new(b).await;
    let mut a = workspace(&app, "olga@a.test", "Workspace A").await;
    let bws = workspace(&app, "bob@b.test", "Workspace B").await;
    let token_a = inbound_token(&app, &a).await;
    let token_b = inbound_token(&app, &bws).await;
    post_mail(&app, &token_a, &fixture("latin1_new_ticket.eml")).await;
    let conv_a = conversation_by_number(&app, &a, 1).await;
    let r =
        a.c.call(
            path::<StartSideConversation>(),
            &[
                ("conversation_id", &conv_a.id.to_string()),
                ("to_email", "supplier@parts.test"),
                ("subject", "Replacement part"),
                ("body", "Do you have pole sets?"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let side_mail = emails(&app, "side_conversation").await.pop().unwrap();
    let side_token = email_parse::side_token(&side_mail.subject).expect("[SC-…] in the subject");
    // Sent to A's own address, the supplier's reply threads into the side conversation.
    let j = post_mail(
        &app,
        &token_a,
        &raw_mail(
            "supplier@parts.test",
            &format!("Re: [SC-{side_token}] Replacement part"),
            "side-a-1@parts.test",
            None,
            "Yes, 20 in stock.",
        ),
    )
    .await;
    assert_eq!(j["status"], "side_reply", "{j}");
    // A client that drops the [SC-…] marker still threads by In-Reply-To.
    let side_id = side_mail
        .message_id
        .trim_matches(|c| c == '<' || c == '>')
        .to_owned();
    let j = post_mail(
        &app,
        &token_a,
        &raw_mail(
            "supplier@parts.test",
            "Re: Replacement part",
            "side-a-2@parts.test",
            Some(&side_id),
            "Shipping them tomorrow.",
        ),
    )
    .await;
    assert_eq!(j["status"], "side_reply", "{j}");
    let side_msgs = messages_of(&app, &a, conv_a.id)
        .await
        .into_iter()
        .filter(|m| m.side_conversation_id.is_some())
        .count();
    assert_eq!(
        side_msgs, 3,
        "the first message and two replies in the sub-thread"
    );
    let before = messages_of(&app, &a, conv_a.id).await.len();
    // Sent to B's address, it must not reach A.
    let j = post_mail(
        &app,
        &token_b,
        &raw_mail(
            "supplier@parts.test",
            &format!("Re: [SC-{side_token}] Replacement part"),
            "side-cross-1@parts.test",
            None,
            "Actually 25 in stock.",
        ),
    )
    .await;
    assert_ne!(
        j["status"], "side_reply",
        "B's inbound address wrote into A: {j}"
    );
    assert_eq!(messages_of(&app, &a, conv_a.id).await.len(), before);
    app.finish().await;
}

/// The customer's answer to the survey, through the public server function.
async fn rate(app: &TestApp, token: &str, rating: &str, comment: &str) -> Res {
    app.client()
        .call(
            path::<RateConversation>(),
            &[("token", token), ("rating", rating), ("comment", comment)],
        )
        .await
}

async fn csat_rows(app: &TestApp, ws: &Ws) -> Vec<csat_response::Model> {
    ws.scope()
        .find::<csat_response::Entity>()
        .all(&app.state.db)
        .await
        .unwrap()
}

async fn csat_survey_by_email_is_answered_on_the_customer_page(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@acme.test", "Acme").await;
    let token = inbound_token(&app, &ws).await;
    let j = post_mail(&app, &token, &fixture("latin1_new_ticket.eml")).await;
    let conv = conversation_by_number(&app, &ws, stored_number(&j)).await;
    let key = conv.public_token.clone();

    // Not solved yet: nothing to rate.
    let r = rate(&app, &key, "4", "").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.error_text().contains("once it is solved"), "{}", r.body);

    // Solving emails the customer, with the five answers linking to their page.
    set_status(&mut ws, conv.id, "solved").await;
    let solved = emails(&app, "ticket_status").await;
    let mail = solved.last().expect("the solved email");
    assert_eq!(mail.to_address, "j.mueller@example.de");
    assert!(
        mail.body_text.contains("How would you rate our support?"),
        "{}",
        mail.body_text
    );
    for n in 1..=5 {
        let link = format!("/portal/conversation?token={key}&rate={n}#rate");
        assert!(mail.body_text.contains(&link), "{}", mail.body_text);
        assert!(
            mail.body_html.contains(&link.replace('&', "&amp;")),
            "{}",
            mail.body_html
        );
    }
    let page = app
        .client()
        .call(path::<GetCustomerConversation>(), &[("token", &key)])
        .await
        .json();
    assert_eq!(page["can_rate"], true, "{page}");
    assert!(page["csat"].is_null(), "{page}");

    // Bad answers are refused and write nothing; an unknown token is a 404.
    for bad in ["0", "6", "four", ""] {
        let r = rate(&app, &key, bad, "").await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.body
        );
        assert!(r.error_text().contains("from 1 to 5"), "{}", r.body);
    }
    let r = rate(&app, "0123456789abcdef0123456789abcdef", "5", "").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert!(csat_rows(&app, &ws).await.is_empty());

    // The answer is recorded, shown to the customer and to the agent.
    let r = rate(&app, &key, "4", "  Quick and kind.  ").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["rating"], 4, "{}", r.body);
    let rows = csat_rows(&app, &ws).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (
            rows[0].rating,
            rows[0].comment.as_deref(),
            rows[0].conversation_id
        ),
        (4, Some("Quick and kind."), conv.id)
    );
    let page = app
        .client()
        .call(path::<GetCustomerConversation>(), &[("token", &key)])
        .await
        .json();
    assert_eq!(page["csat"]["rating"], 4, "{page}");

    // Answering again replaces the answer.
    let r = rate(&app, &key, "5", "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rows = csat_rows(&app, &ws).await;
    assert_eq!(
        (rows.len(), rows[0].rating, rows[0].comment.clone()),
        (1, 5, None)
    );

    // Solved again after a reopen: rated already, so no second survey.
    set_status(&mut ws, conv.id, "open").await;
    set_status(&mut ws, conv.id, "solved").await;
    let mail = emails(&app, "ticket_status").await.pop().unwrap();
    assert!(mail.id != solved.last().unwrap().id);
    assert!(
        !mail.body_text.contains("rate our support"),
        "{}",
        mail.body_text
    );

    // The channel's switch: a bad value is refused, and off means no survey.
    let actor = actor(&app, &ws).await;
    let row = settings::get_or_create(&app.state.db, ws.scope(), Channel::Email)
        .await
        .unwrap();
    let err = settings::update(
        &app.state,
        &actor,
        Channel::Email,
        true,
        &serde_json::json!({ "csat_survey": "yes" }),
        &settings::rules(&row),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("true or false"), "{err}");
    set_email_config(&app, &ws, serde_json::json!({ "csat_survey": false })).await;
    let j = post_mail(
        &app,
        &token,
        &raw_mail(
            "Ana Lopez <ana@example.es>",
            "Where is my parcel?",
            "csat-off-1@example.es",
            None,
            "It has not arrived yet.",
        ),
    )
    .await;
    let other = conversation_by_number(&app, &ws, stored_number(&j)).await;
    set_status(&mut ws, other.id, "solved").await;
    let mail = emails(&app, "ticket_status").await.pop().unwrap();
    assert_eq!(mail.to_address, "ana@example.es");
    assert!(
        !mail.body_text.contains("rate our support"),
        "{}",
        mail.body_text
    );
    // The page still takes an answer: the switch is about the email only.
    let r = rate(&app, &other.public_token, "2", "Slow.").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.finish().await;
}

backend_tests!(
    csat_survey_by_email_is_answered_on_the_customer_page,
    mime_corpus_is_stored_faithfully_and_once,
    replies_thread_by_message_id_and_ticket_token,
    bounces_mark_the_named_message_failed,
    auto_replies_never_reopen_never_answer_and_loops_are_dropped,
    replies_and_confirmations_go_out_over_smtp_with_threading_headers,
    web_form_validates_opens_once_and_shows_status,
    widget_visitors_chat_upload_rate_and_are_limited,
    webhooks_are_signed_retried_and_replayed,
    webhooks_refuse_private_hosts_and_pause_failing_endpoints,
    channel_credentials_never_cross_workspaces,
    auto_replies_to_closed_or_foreign_tickets_open_nothing,
    side_conversation_tokens_stay_in_their_workspace,
);
