//! Notification dispatch (issue 14, point 6): each person's preferences decide
//! where (in the app, email, a webhook) and when (right away, batched, hourly or
//! daily digest, scheduled); templates per workspace with checked variables;
//! assignment notices; delivery tracking per recipient and channel; workspaces
//! kept apart. Both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::serverfns::auth::GetSession;
use app::serverfns::channels::CreateWebhook;
use app::serverfns::inbox::{ListNotifications, SendMessage, UpdateConversation};
use app::serverfns::notifications::{
    GetMyNotifications, GetNotificationAdmin, ResetNotificationTemplate, SaveNotificationPref,
    SaveNotificationTemplate,
};
use app::serverfns::rules::SaveRule;
use app::services::channels::inbound::{self, InboundMessage, Sender};
use app::services::config::SmtpSecurity;
use app::services::notify::{self, Notice};
use app::services::tenancy::{Scoped, System};
use app::services::uow::UnitOfWork;
use app::types::{Channel, IdentifierKind, NoticeKind};
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use common::smtp::SmtpSink;
use common::{add_member, fns::path, sign_up, Backend, Client, TestApp};
use entity::{notification, notification_delivery};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

struct Ws {
    owner: Client,
    id: i32,
}

async fn workspace(app: &TestApp, email: &str, name: &str) -> Ws {
    let mut owner = sign_up(app, "Olga Owner", email, name).await;
    let s = owner.call(path::<GetSession>(), &[]).await.json();
    Ws {
        owner,
        id: i32::try_from(s["workspace"]["id"].as_i64().unwrap()).unwrap(),
    }
}

async fn user_id(c: &mut Client) -> i32 {
    let s = c.call(path::<GetSession>(), &[]).await.json();
    i32::try_from(s["user_id"].as_i64().unwrap()).unwrap()
}

async fn ticket(app: &TestApp, ws: i32, text: &str) -> i32 {
    let mut m = InboundMessage::new(
        Channel::Email,
        format!("test:{}", uuid::Uuid::new_v4().simple()),
        Sender {
            kind: IdentifierKind::Email,
            value: "carla@customer.test".into(),
            name: Some("Carla Customer".into()),
        },
        text.to_owned(),
    );
    m.subject = text.to_owned();
    inbound::receive(&app.state, Scoped::new(ws), m)
        .await
        .unwrap()
        .conversation_id
}

async fn note(c: &mut Client, conv: i32, body: &str) {
    let r = c
        .call(
            path::<SendMessage>(),
            &[
                ("conversation_id", &conv.to_string()),
                ("kind", "note"),
                ("body", body),
                ("attachment_ids", ""),
                ("force", "false"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

async fn bell(c: &mut Client) -> Vec<Value> {
    let r = c.call(path::<ListNotifications>(), &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json().as_array().unwrap().clone()
}

async fn set_pref(c: &mut Client, kind: &str, in_app: bool, email: &str, hook: Option<i64>) {
    let r = save_pref(c, kind, in_app, email, hook).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

async fn save_pref(
    c: &mut Client,
    kind: &str,
    in_app: bool,
    email: &str,
    hook: Option<i64>,
) -> common::Res {
    c.call_json(
        path::<SaveNotificationPref>(),
        &json!({"pref": {"kind": kind, "in_app": in_app, "email": email, "webhook_endpoint_id": hook}}),
    )
    .await
}

async fn deliveries(app: &TestApp, user: i32) -> Vec<notification_delivery::Model> {
    System::new("t")
        .find::<notification_delivery::Entity>()
        .filter(notification_delivery::Column::UserId.eq(user))
        .order_by_asc(notification_delivery::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
}

/// A local HTTP receiver recording what is posted to it.
#[derive(Clone, Default)]
struct Receiver {
    hits: Arc<Mutex<Vec<(HeaderMap, String)>>>,
}

impl Receiver {
    async fn start() -> (Self, String) {
        let rx = Self::default();
        let hits = rx.hits.clone();
        let router = Router::new().route(
            "/hook",
            post(move |headers: HeaderMap, body: Bytes| {
                let hits = hits.clone();
                async move {
                    hits.lock()
                        .unwrap()
                        .push((headers, String::from_utf8_lossy(&body).into_owned()));
                    "ok"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        (rx, format!("http://127.0.0.1:{port}/hook"))
    }

    fn hits(&self) -> Vec<(HeaderMap, String)> {
        self.hits.lock().unwrap().clone()
    }
}

async fn create_hook(c: &mut Client, url: &str) -> i64 {
    let r = c
        .call(
            path::<CreateWebhook>(),
            &[
                ("form[url]", url),
                ("form[description]", "chat tool"),
                ("form[events][0]", "conversation.created"),
                ("form[headers]", ""),
                ("form[allow_private]", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["id"].as_i64().unwrap()
}

#[allow(clippy::too_many_lines)]
async fn preferences_decide_where_and_when(b: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::with_config(b, |c| {
        c.smtp.host = Some("127.0.0.1".into());
        c.smtp.port = sink.port;
        c.smtp.security = SmtpSecurity::None;
    })
    .await;
    let mut a = workspace(&app, "olga@acme.test", "Acme").await;
    let mut maria = add_member(&app, &mut a.owner, "maria@acme.test", "agent").await;
    let maria_id = user_id(&mut maria).await;
    let conv = ticket(&app, a.id, "My tent pole snapped").await;
    app.run_jobs().await;
    let mails_to_maria = |sink: &SmtpSink| {
        sink.delivered()
            .into_iter()
            .filter(|m| m.rcpt_to.iter().any(|r| r.contains("maria@acme.test")))
            .collect::<Vec<_>>()
    };
    let before = mails_to_maria(&sink).len();

    // Defaults: in the app and by email right away.
    note(&mut a.owner, conv, "@maria can you check the warranty?").await;
    assert_eq!(bell(&mut maria).await.len(), 1, "shown at once");
    app.run_jobs().await;
    let mails = mails_to_maria(&sink);
    assert_eq!(mails.len(), before + 1, "{mails:?}");
    let last = &mails.last().unwrap().data;
    assert!(last.contains("Olga Owner mentioned you on TKT-"), "{last}");
    assert!(last.contains("/app/profile/notifications"), "{last}");

    // Two close together arrive as one email.
    note(&mut a.owner, conv, "@maria first thing").await;
    note(&mut a.owner, conv, "@maria second thing").await;
    app.run_jobs().await;
    let mails = mails_to_maria(&sink);
    assert_eq!(mails.len(), before + 2, "one email for two");
    let last = &mails.last().unwrap().data;
    assert!(last.contains("2 notifications for you"), "{last}");
    assert!(last.contains("first thing") && last.contains("second thing"));
    assert_eq!(bell(&mut maria).await.len(), 3);

    // Off everywhere: nothing at all.
    set_pref(&mut maria, "mention", false, "off", None).await;
    note(&mut a.owner, conv, "@maria you will not hear of this").await;
    app.run_jobs().await;
    assert_eq!(bell(&mut maria).await.len(), 3);
    assert_eq!(mails_to_maria(&sink).len(), before + 2);

    // A daily digest waits for 9:00 in her zone (UTC: none set), then goes out.
    set_pref(&mut maria, "mention", true, "daily", None).await;
    note(&mut a.owner, conv, "@maria for the digest").await;
    app.run_jobs().await;
    assert_eq!(mails_to_maria(&sink).len(), before + 2, "not yet");
    let waiting: Vec<_> = deliveries(&app, maria_id)
        .await
        .into_iter()
        .filter(|d| d.status == "pending")
        .collect();
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(waiting[0].channel, "email");
    assert_eq!(
        waiting[0].due_at,
        notify::next_daily(None, waiting[0].created_at)
    );
    let mine = maria.call(path::<GetMyNotifications>(), &[]).await.json();
    assert_eq!(mine["waiting"].as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(mine["zone"], "UTC");
    let prefs = mine["prefs"].as_array().unwrap();
    assert_eq!(prefs.len(), NoticeKind::ALL.len());
    assert_eq!(prefs[0]["kind"], "mention");
    assert_eq!(prefs[0]["email"], "daily");
    let n = notify::flush(
        &app.state,
        Scoped::new(a.id),
        maria_id,
        waiting[0].due_at + chrono::Duration::seconds(1),
    )
    .await
    .unwrap();
    assert_eq!(n, 1);
    app.run_jobs().await;
    let mails = mails_to_maria(&sink);
    assert_eq!(mails.len(), before + 3);
    assert!(mails.last().unwrap().data.contains("for the digest"));

    // A webhook of the workspace, chosen by her: a signed POST per notification.
    let (rx, url) = Receiver::start().await;
    let hook = create_hook(&mut a.owner, &url).await;
    set_pref(&mut maria, "mention", true, "off", Some(hook)).await;
    note(&mut a.owner, conv, "@maria posted to your chat tool").await;
    app.run_jobs().await;
    let hits = rx.hits();
    assert_eq!(hits.len(), 1, "{hits:?}");
    let (headers, body) = &hits[0];
    assert_eq!(headers["x-switchboard-event"], "notification");
    assert!(headers.contains_key("x-switchboard-signature"));
    let v: Value = serde_json::from_str(body).unwrap();
    assert_eq!(v["data"]["kind"], "mention");
    assert_eq!(v["data"]["recipient"]["email"], "maria@acme.test");
    assert!(v["data"]["text"]
        .as_str()
        .unwrap()
        .contains("posted to your chat tool"));

    // A missing endpoint is refused with the field named; nothing changes.
    let r = save_pref(&mut maria, "mention", false, "instant", Some(999_999)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("webhook_endpoint_id"), "{}", r.body);
    let mine = maria.call(path::<GetMyNotifications>(), &[]).await.json();
    assert_eq!(mine["prefs"][0]["webhook_endpoint_id"], hook);
    assert_eq!(mine["prefs"][0]["in_app"], true);

    // The log: every delivery, with what became of its email or webhook post.
    let log = a.owner.call(path::<GetNotificationAdmin>(), &[]).await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.body);
    let rows = log.json()["deliveries"].as_array().unwrap().clone();
    let has = |channel: &str, status: &str| {
        rows.iter()
            .any(|d| d["channel"] == channel && d["status"] == status)
    };
    assert!(has("email", "sent"), "{rows:?}");
    assert!(has("in_app", "delivered"), "{rows:?}");
    assert!(has("webhook", "sent"), "{rows:?}");
    // Agents do not see the workspace's log.
    let r = maria.call(path::<GetNotificationAdmin>(), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    app.finish().await;
}

#[allow(clippy::too_many_lines)]
async fn templates_assignments_and_scheduled_sends(b: Backend) {
    let app = TestApp::new(b).await;
    let mut a = workspace(&app, "olga@acme.test", "Acme").await;
    let owner_id = user_id(&mut a.owner).await;
    let mut maria = add_member(&app, &mut a.owner, "maria@acme.test", "agent").await;
    let maria_id = user_id(&mut maria).await;
    let conv = ticket(&app, a.id, "Where is my order").await;
    app.run_jobs().await;

    // Templates: checked before they are saved.
    let save = |subject: &str, body: &str| json!({"form": {"kind": "assigned", "subject": subject, "body": body}});
    let r = a
        .owner
        .call_json(
            path::<SaveNotificationTemplate>(),
            &save("Yours: {{ ticket.subject }}", "Hi {{ customer.name }}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("customer.name"), "{}", r.body);
    let r = a
        .owner
        .call_json(
            path::<SaveNotificationTemplate>(),
            &save("Yours: {{ ticket.subject", "x"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("subject"), "{}", r.body);
    let r = maria
        .call_json(
            path::<SaveNotificationTemplate>(),
            &save("Yours: {{ ticket.subject }}", "x"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = a
        .owner
        .call_json(
            path::<SaveNotificationTemplate>(),
            &save(
                "Yours: {{ ticket.subject }}",
                "{{ recipient.first_name }}, {{ actor }} gave you {{ ticket.number }}.",
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // An assignment by someone else tells the assignee, in the workspace's words.
    let assign = |to: i32| {
        [
            ("conversation_id", conv.to_string()),
            ("field", "assignee".to_owned()),
            ("value", to.to_string()),
        ]
    };
    let args = assign(maria_id);
    let pairs: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = a.owner.call(path::<UpdateConversation>(), &pairs).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let told = bell(&mut maria).await;
    assert_eq!(told.len(), 1, "{told:?}");
    let text = told[0]["body"].as_str().unwrap();
    assert!(text.starts_with("New, Olga Owner gave you TKT-"), "{text}");
    let n = System::new("t")
        .find::<notification::Entity>()
        .filter(notification::Column::UserId.eq(maria_id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n.subject, "Yours: Where is my order");
    // Taking a ticket yourself tells nobody.
    let args = assign(owner_id);
    let pairs: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = a.owner.call(path::<UpdateConversation>(), &pairs).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(bell(&mut a.owner).await.is_empty());

    // Back to the built-in wording.
    let r = a
        .owner
        .call(path::<ResetNotificationTemplate>(), &[("kind", "assigned")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let page = a
        .owner
        .call(path::<GetNotificationAdmin>(), &[])
        .await
        .json();
    let t = page["templates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "assigned")
        .unwrap()
        .clone();
    assert_eq!(t["customised"], false);
    assert_eq!(t["subject"], t["default_subject"]);

    // A scheduled send: nothing shows until it is due.
    let later = chrono::Utc::now() + chrono::Duration::hours(2);
    let mut uow = UnitOfWork::begin(&app.state).await.unwrap();
    let c = System::new("t")
        .find::<entity::conversation::Entity>()
        .filter(entity::conversation::Column::Id.eq(conv))
        .one(&*uow)
        .await
        .unwrap()
        .unwrap();
    let mut notice = Notice::about(NoticeKind::Rule, &c, "Rule “Follow up”", "Call back").to([
        maria_id, // Not a member of this workspace: left out.
        999_999,
    ]);
    notice.send_at = Some(later);
    let told = notify::dispatch_in(&mut uow, Scoped::new(a.id), notice)
        .await
        .unwrap();
    uow.commit().await.unwrap();
    assert_eq!(told, 1);
    app.run_jobs().await;
    assert_eq!(bell(&mut maria).await.len(), 1, "not yet");
    notify::flush(
        &app.state,
        Scoped::new(a.id),
        maria_id,
        later + chrono::Duration::seconds(1),
    )
    .await
    .unwrap();
    let now_shown = bell(&mut maria).await;
    assert_eq!(now_shown.len(), 2);
    assert!(now_shown[0]["body"].as_str().unwrap().contains("Call back"));
    app.finish().await;
}

async fn a_cannot_see_or_change_b_notifications(b: Backend) {
    let app = TestApp::new(b).await;
    let mut a = workspace(&app, "alice@a.test", "Workspace A").await;
    let mut bo = workspace(&app, "bob@b.test", "Workspace B").await;
    let mut sam = add_member(&app, &mut a.owner, "sam@a.test", "agent").await;
    let (_rx, url) = Receiver::start().await;
    let b_hook = create_hook(&mut bo.owner, &url).await;
    // B's endpoint does not exist in A.
    let r = save_pref(&mut sam, "mention", true, "instant", Some(b_hook)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // A's wording stays A's.
    let r = a
        .owner
        .call_json(
            path::<SaveNotificationTemplate>(),
            &json!({"form": {"kind": "mention", "subject": "A: {{ actor }}", "body": "A says {{ text }}"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let page = bo
        .owner
        .call(path::<GetNotificationAdmin>(), &[])
        .await
        .json();
    assert!(page["templates"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["customised"] == false));
    // A's deliveries are not in B's log; without SMTP, A's email shows as failed
    // with the reason.
    let conv = ticket(&app, a.id, "Hello").await;
    note(&mut a.owner, conv, "@sam look").await;
    app.run_jobs().await;
    let page = bo
        .owner
        .call(path::<GetNotificationAdmin>(), &[])
        .await
        .json();
    assert!(page["deliveries"].as_array().unwrap().is_empty(), "{page}");
    let page = a
        .owner
        .call(path::<GetNotificationAdmin>(), &[])
        .await
        .json();
    let rows = page["deliveries"].as_array().unwrap();
    let email = rows.iter().find(|d| d["channel"] == "email").unwrap();
    assert_eq!(email["status"], "failed", "{email}");
    assert!(email["detail"]
        .as_str()
        .unwrap()
        .contains("SMTP is not configured"));
    assert!(bo.id != a.id);
    app.finish().await;
}

/// A rule's "Notify … after N minutes": the notification waits, then shows; a
/// delay out of range is refused, naming the action.
async fn a_rule_schedules_a_notification(b: Backend) {
    let app = TestApp::new(b).await;
    let mut a = workspace(&app, "olga@acme.test", "Acme").await;
    let owner_id = user_id(&mut a.owner).await;
    let rule = |after: u32| {
        json!({"form": {
            "id": null, "name": "Follow up later", "description": "", "kind": "trigger",
            "events": ["message_received"],
            "conditions": {"kind": "group", "any": false, "items": []},
            "actions": [{"kind": "notify", "to": "admins", "text": "Check {{ ticket.number }} again", "after_mins": after}],
            "enabled": true,
        }})
    };
    let r = a.owner.call_json(path::<SaveRule>(), &rule(0)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("1 to 10080 minutes"), "{}", r.body);
    let r = a.owner.call_json(path::<SaveRule>(), &rule(30)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    ticket(&app, a.id, "Any news?").await;
    app.run_jobs().await;
    assert!(bell(&mut a.owner).await.is_empty(), "not yet");
    let waiting = deliveries(&app, owner_id).await;
    let in_app = waiting.iter().find(|d| d.channel == "in_app").unwrap();
    assert_eq!(in_app.status, "pending");
    let wait = in_app.due_at - in_app.created_at;
    assert!((wait.num_seconds() - 30 * 60).abs() <= 2, "{wait:?}");
    notify::flush(
        &app.state,
        Scoped::new(a.id),
        owner_id,
        in_app.due_at + chrono::Duration::seconds(1),
    )
    .await
    .unwrap();
    let shown = bell(&mut a.owner).await;
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(shown[0]["body"].as_str().unwrap().contains("again"));
    app.finish().await;
}

/// With a batching window, a burst of notifications to one person goes out as
/// one email when the first is due.
async fn a_burst_becomes_one_email(b: Backend) {
    let app = TestApp::with_config(b, |c| c.notify_batch_secs = 60).await;
    let mut a = workspace(&app, "olga@acme.test", "Acme").await;
    let mut maria = add_member(&app, &mut a.owner, "maria@acme.test", "agent").await;
    let maria_id = user_id(&mut maria).await;
    let conv = ticket(&app, a.id, "Zipper stuck").await;
    app.run_jobs().await;
    for n in 1..=3 {
        note(&mut a.owner, conv, &format!("@maria point {n}")).await;
    }
    assert_eq!(bell(&mut maria).await.len(), 3, "the bell does not wait");
    app.run_jobs().await;
    let emails: Vec<_> = deliveries(&app, maria_id)
        .await
        .into_iter()
        .filter(|d| d.channel == "email")
        .collect();
    assert_eq!(emails.len(), 3);
    assert!(emails.iter().all(|d| d.status == "pending"), "{emails:?}");
    let first = emails.iter().map(|d| d.due_at).min().unwrap();
    let n = notify::flush(&app.state, Scoped::new(a.id), maria_id, first)
        .await
        .unwrap();
    assert_eq!(n, 3);
    let emails: Vec<_> = deliveries(&app, maria_id)
        .await
        .into_iter()
        .filter(|d| d.channel == "email")
        .collect();
    let ids: std::collections::BTreeSet<_> = emails.iter().map(|d| d.email_id).collect();
    assert_eq!(ids.len(), 1, "one email: {emails:?}");
    let email = System::new("t")
        .find::<entity::email::Entity>()
        .filter(entity::email::Column::Id.eq(emails[0].email_id.unwrap()))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(email.subject, "3 notifications for you");
    assert_eq!(email.kind, "notification_digest");
    for n in 1..=3 {
        assert!(email.body_text.contains(&format!("point {n}")));
    }
    app.finish().await;
}

backend_tests!(
    a_burst_becomes_one_email,
    a_rule_schedules_a_notification,
    preferences_decide_where_and_when,
    templates_assignments_and_scheduled_sends,
    a_cannot_see_or_change_b_notifications
);
