//! Slack (issue 18 point 2) against a local fake of Slack's Web API that
//! checks the bearer token, JSON bodies and channels the way Slack does:
//! settings ask Slack whose token it is and keep it sealed; `/ticket` opens a
//! ticket (signature checked, stale or unsigned requests refused) that the bot
//! posts in the channel; agents' replies go into its thread and the
//! requester's thread replies come back as customer messages, teammates' as
//! notes, each once however often Slack retries; new conversations on other
//! channels are posted to the notifications channel and mirrored both ways;
//! side conversations held in a Slack channel, a refusal shown with why; rate
//! limits retried; workspaces kept apart. Both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::serverfns::channels::{
    GetSlackSettings, RemoveSlackSettings, SaveSlackSettings, SendSlackTest,
};
use app::serverfns::inbox::{SendMessage, StartSideConversation};
use app::services::channels::inbound::{self, InboundMessage, Sender};
use app::services::inbox::messages;
use app::services::tenancy::{Scoped, System};
use app::types::{Channel, IdentifierKind, MessageView};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::slack::{command_body, sign, thread_message, FakeSlack, SECRET, TEAM, TOKEN};
use common::{fns::path, workspace, Backend, Client, TestApp, Ws};
use entity::{conversation, job, message, slack_account, slack_thread};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::json;

async fn connect(app: &TestApp, who: &str, fake: &FakeSlack, notify: &str) -> (Ws, String) {
    let mut ws = workspace(app, &format!("owner@{who}.test"), &format!("Shop {who}")).await;
    let r = save(&mut ws.owner, fake, TOKEN, SECRET, notify).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let token = ws
        .scope
        .find::<slack_account::Entity>()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .hook_token;
    (ws, token)
}

async fn save(
    owner: &mut Client,
    fake: &FakeSlack,
    token: &str,
    secret: &str,
    notify: &str,
) -> common::Res {
    owner
        .call_json(
            path::<SaveSlackSettings>(),
            &json!({ "form": {
                "bot_token": token, "signing_secret": secret,
                "notify_channel": notify, "api_base": fake.base,
            }}),
        )
        .await
}

/// Posts to one of Slack's Request URLs, signed with `secret` `age` seconds ago.
async fn slack_post(
    app: &TestApp,
    url: &str,
    content_type: &str,
    body: &str,
    secret: Option<&str>,
    age: i64,
) -> common::Res {
    let mut req = Request::post(url).header(header::CONTENT_TYPE, content_type);
    if let Some(secret) = secret {
        let (ts, sig) = sign(secret, chrono::Utc::now().timestamp() - age, body);
        req = req
            .header("x-slack-request-timestamp", ts)
            .header("x-slack-signature", sig);
    }
    let mut c = app.client();
    c.origin = None;
    c.send(req.body(Body::from(body.to_owned())).unwrap()).await
}

async fn command(app: &TestApp, token: &str, body: &str) -> common::Res {
    slack_post(
        app,
        &format!("/hooks/slack/{token}/command"),
        "application/x-www-form-urlencoded",
        body,
        Some(SECRET),
        0,
    )
    .await
}

async fn event(app: &TestApp, token: &str, body: &str) -> common::Res {
    slack_post(
        app,
        &format!("/hooks/slack/{token}/events"),
        "application/json",
        body,
        Some(SECRET),
        0,
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

async fn thread(app: &TestApp, s: Scoped, conv: i32) -> Vec<MessageView> {
    messages::thread(&app.state.db, s, conv).await.unwrap()
}

async fn due_now(app: &TestApp) {
    System::new("tests bring jobs forward")
        .update_many::<job::Entity>()
        .col_expr(job::Column::RunAt, Expr::value(chrono::Utc::now()))
        .filter(job::Column::Status.eq("pending"))
        .exec(&app.state.db)
        .await
        .unwrap();
}

async fn slack_thread_of(app: &TestApp, s: Scoped, conv: i32) -> slack_thread::Model {
    s.find::<slack_thread::Entity>()
        .filter(slack_thread::Column::ConversationId.eq(conv))
        .filter(slack_thread::Column::SideConversationId.is_null())
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
}

async fn settings_validate_and_stay_sealed(b: Backend) {
    let app = TestApp::new(b).await;
    let fake = FakeSlack::start().await;
    let mut ws = workspace(&app, "owner@sa.test", "Shop sa").await;
    let page = ws.owner.call(path::<GetSlackSettings>(), &[]).await.json();
    assert_eq!(page["configured"], false);

    for (token, secret, notify, field) in [
        ("", SECRET, "", "bot_token"),
        ("xoxp-user-token-not-a-bot", SECRET, "", "bot_token"),
        (TOKEN, "", "", "signing_secret"),
        (TOKEN, "not a secret", "", "signing_secret"),
        (TOKEN, SECRET, "two words", "notify_channel"),
    ] {
        let r = save(&mut ws.owner, &fake, token, secret, notify).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            r.body
        );
        assert!(r.body.contains(field), "{}", r.body);
    }
    // Slack refuses a token it does not know: not kept, and the reason shown.
    let r = save(
        &mut ws.owner,
        &fake,
        "xoxb-9999-wrong-token-here",
        SECRET,
        "",
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("invalid_auth"), "{}", r.body);
    assert_eq!(
        ws.scope
            .find::<slack_account::Entity>()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );

    let r = save(&mut ws.owner, &fake, TOKEN, SECRET, "#Support").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let page = r.json();
    assert_eq!(page["configured"], true);
    assert_eq!(page["team_name"], "Acme Outdoor");
    assert_eq!(page["notify_channel"], "#support");
    let token = ws
        .scope
        .find::<slack_account::Entity>()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(page["command_url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/hooks/slack/{}/command", token.hook_token)));
    assert!(page["events_url"].as_str().unwrap().ends_with("/events"));
    assert!(
        !page.to_string().contains(TOKEN),
        "the token is never shown"
    );
    assert_ne!(token.bot_token, TOKEN, "sealed at rest");
    assert_ne!(token.signing_secret, SECRET, "sealed at rest");
    assert_eq!(token.team_id.as_deref(), Some(TEAM));

    // Kept secrets stay; a new API base needs the token again.
    let r = save(&mut ws.owner, &fake, "", "", "#support").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = ws
        .owner
        .call_json(
            path::<SaveSlackSettings>(),
            &json!({ "form": {"bot_token": "", "signing_secret": "", "notify_channel": "", "api_base": "http://127.0.0.1:9/api/"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Paste the key again"), "{}", r.body);

    // "Send test" posts to the channel.
    let t = ws.owner.call(path::<SendSlackTest>(), &[]).await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    let posts = fake.posts();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].channel, "C0SUPPORT");
    assert!(posts[0].text.contains("Switchboard is connected"));

    // An agent may not change it.
    let mut agent = common::add_member(&app, &mut ws.owner, "agent@sa.test", "agent").await;
    let r = save(&mut agent, &fake, TOKEN, SECRET, "").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // Disconnected: Slack's requests are no longer taken.
    let r = ws.owner.call(path::<RemoveSlackSettings>(), &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["configured"], false);
    let r = command(
        &app,
        &token.hook_token,
        &command_body("C0ITHELP", "U0ANA", "ana", "VPN down", "1.1.a"),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    app.finish().await;
}

async fn tickets_from_slack_are_mirrored_both_ways(b: Backend) {
    let app = TestApp::new(b).await;
    let fake = FakeSlack::start().await;
    let (mut a, token) = connect(&app, "sb", &fake, "#support").await;
    let s = a.scope;
    // A rule acknowledges every new ticket: its reply, written inside the
    // ticket's own transaction, must find the Slack thread.
    let rule = json!({
        "id": null, "name": "Acknowledge", "description": "", "kind": "trigger",
        "events": ["ticket_created"],
        "conditions": {"kind": "group", "any": false, "items": []},
        "actions": [{"kind": "reply", "text": "Thanks {{ customer.name }}, we are on it."}],
        "enabled": true,
    });
    let r = a
        .owner
        .call_json(
            path::<app::serverfns::rules::SaveRule>(),
            &json!({ "form": rule }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let body = command_body(
        "C0ITHELP",
        "U0ANA",
        "ana",
        "VPN keeps dropping | since this morning, every 10 minutes",
        "111.222.abc",
    );

    // Unsigned, wrongly signed or stale: 403, nothing stored.
    let url = format!("/hooks/slack/{token}/command");
    let form = "application/x-www-form-urlencoded";
    for (secret, age) in [
        (None, 0),
        (Some("0123456789abcdef0123"), 0),
        (Some(SECRET), 600),
    ] {
        let r = slack_post(&app, &url, form, &body, secret, age).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("X-Slack-Signature"), "{}", r.body);
    }
    assert_eq!(
        s.find::<conversation::Entity>()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );
    // Help, and a subject too long, are answered to the person only.
    let r = command(
        &app,
        &token,
        &command_body("C0ITHELP", "U0ANA", "ana", "", "t0"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["response_type"], "ephemeral");
    assert!(r.json()["text"]
        .as_str()
        .unwrap()
        .contains("Subject | details"));
    let long = "x".repeat(201);
    let r = command(
        &app,
        &token,
        &command_body("C0ITHELP", "U0ANA", "ana", &long, "t1"),
    )
    .await;
    assert!(r.json()["text"]
        .as_str()
        .unwrap()
        .contains("keep it to 200"));

    // The ticket: the requester's, by Slack id, named as Slack shows them.
    let r = command(&app, &token, &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let said = r.json()["text"].as_str().unwrap().to_owned();
    assert!(
        said.contains("Ticket TKT-000001 opened: VPN keeps dropping"),
        "{said}"
    );
    let again = command(&app, &token, &body).await;
    assert_eq!(again.status, StatusCode::OK);
    let c = s
        .find::<conversation::Entity>()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.channel, "slack");
    assert_eq!(c.subject, "VPN keeps dropping");
    assert_eq!(
        c.message_count, 2,
        "the request and the rule's reply; a repeated trigger adds nothing"
    );
    let first = thread(&app, s, c.id).await;
    assert_eq!(first[0].author_name, "Ana");
    assert_eq!(first[0].body_text, "since this morning, every 10 minutes");

    // The bot posts it in the channel it was typed in (and nowhere else).
    app.run_jobs().await;
    let root = fake.posts()[0].clone();
    assert_eq!(root.channel, "C0ITHELP");
    assert!(root.thread_ts.is_none());
    assert!(
        root.text.contains("Ticket *TKT-000001* opened by <@U0ANA>"),
        "{}",
        root.text
    );
    assert!(root.text.contains("> since this morning"), "{}", root.text);
    let t = slack_thread_of(&app, s, c.id).await;
    assert_eq!(t.thread_ts.as_deref(), Some(root.ts.as_str()));
    // The rule's reply went into the thread once the root was there.
    let posts = fake.posts();
    assert_eq!(
        posts.len(),
        2,
        "a Slack ticket is not also notified: {posts:?}"
    );
    assert_eq!(posts[1].thread_ts.as_deref(), Some(root.ts.as_str()));
    assert!(
        posts[1].text.ends_with("Thanks Ana, we are on it."),
        "{}",
        posts[1].text
    );
    let ack = thread(&app, s, c.id).await.pop().unwrap();
    assert_eq!(ack.delivery_status, "sent", "{:?}", ack.delivery_error);

    // The agent's reply is delivered in the thread, and marked sent.
    let r = reply(
        &mut a.owner,
        c.id,
        "Sorry about that <b>Ana</b> — restarting the gateway now.",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.run_jobs().await;
    let p = fake.posts().pop().unwrap();
    assert_eq!(p.thread_ts.as_deref(), Some(root.ts.as_str()));
    assert!(
        p.text
            .starts_with("*Olga Owner*: Sorry about that &lt;b&gt;Ana&lt;/b&gt;"),
        "{}",
        p.text
    );
    let sent = thread(&app, s, c.id).await.pop().unwrap();
    assert_eq!(sent.delivery_status, "sent");

    // The requester answers in the thread: a customer message, once.
    let ev = thread_message(
        "C0ITHELP",
        "U0ANA",
        "Thanks, <@U0BOT> it works now",
        "1700000100.000001",
        &root.ts,
    );
    let r = event(&app, &token, &ev).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "stored");
    let r2 = event(&app, &token, &ev).await;
    assert_eq!(
        r2.json()["message_id"],
        r.json()["message_id"],
        "Slack's retry stores nothing new"
    );
    let m = thread(&app, s, c.id).await.pop().unwrap();
    assert_eq!(m.author_kind, "customer");
    assert_eq!(m.body_text, "Thanks, @U0BOT it works now");
    // A teammate in the thread: an internal note, by name.
    let r = event(
        &app,
        &token,
        &thread_message(
            "C0ITHELP",
            "U0BEN",
            "Same here on floor 3",
            "1700000100.000002",
            &root.ts,
        ),
    )
    .await;
    assert_eq!(r.json()["status"], "stored");
    let n = thread(&app, s, c.id).await.pop().unwrap();
    assert_eq!(n.kind, app::types::MessageKind::Note);
    assert_eq!(n.author_name, "Slack · Ben");
    // Not taken in: the bot's own posts, edits, messages outside a known
    // thread, another team's events.
    let mut bot = serde_json::from_str::<serde_json::Value>(&thread_message(
        "C0ITHELP",
        "U0BOT",
        "echo",
        "1700000100.000003",
        &root.ts,
    ))
    .unwrap();
    bot["event"]["bot_id"] = json!("B0BOT");
    let mut edit = serde_json::from_str::<serde_json::Value>(&thread_message(
        "C0ITHELP",
        "U0ANA",
        "edited",
        "1700000100.000004",
        &root.ts,
    ))
    .unwrap();
    edit["event"]["subtype"] = json!("message_changed");
    let mut other_team = serde_json::from_str::<serde_json::Value>(&thread_message(
        "C0ITHELP",
        "U0ANA",
        "hi",
        "1700000100.000005",
        &root.ts,
    ))
    .unwrap();
    other_team["team_id"] = json!("T0OTHER");
    for (ev, why) in [
        (bot.to_string(), "a bot's message"),
        (edit.to_string(), "an edit, deletion or join"),
        (
            thread_message(
                "C0ITHELP",
                "U0ANA",
                "elsewhere",
                "1700000100.000006",
                "1600000000.000001",
            ),
            "not a thread Switchboard mirrors",
        ),
        (other_team.to_string(), "another Slack team"),
    ] {
        let r = event(&app, &token, &ev).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["reason"], why, "{}", r.body);
    }
    assert_eq!(thread(&app, s, c.id).await.len(), 5);
    // A message sharing a file keeps its words and names the file.
    let mut shared = serde_json::from_str::<serde_json::Value>(&thread_message(
        "C0ITHELP",
        "U0BEN",
        "log attached",
        "1700000100.000007",
        &root.ts,
    ))
    .unwrap();
    shared["event"]["subtype"] = json!("file_share");
    shared["event"]["files"] = json!([{"id": "F1", "name": "vpn.log"}]);
    let r = event(&app, &token, &shared.to_string()).await;
    assert_eq!(r.json()["status"], "stored", "{}", r.body);
    let n = thread(&app, s, c.id).await.pop().unwrap();
    assert_eq!(n.body_text, "log attached\n\n[Shared in Slack: vpn.log]");
    // Slack's URL check.
    let r = event(&app, &token, r#"{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#).await;
    assert_eq!(
        r.json()["challenge"],
        "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    );
    // A bad body after a good signature: 422 with why.
    let r = event(&app, &token, "not json").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    // Slack rate limits the bot: the reply waits and goes out on retry.
    fake.rate_limit(1);
    let r = reply(&mut a.owner, c.id, "Anything else?").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.run_jobs().await;
    assert_eq!(
        thread(&app, s, c.id).await.pop().unwrap().delivery_status,
        "queued"
    );
    due_now(&app).await;
    app.run_jobs().await;
    assert_eq!(
        thread(&app, s, c.id).await.pop().unwrap().delivery_status,
        "sent"
    );
    assert!(fake.posts().pop().unwrap().text.ends_with("Anything else?"));

    // Closed: the requester's next words open a new ticket the thread follows.
    app.state
        .db
        .execute_unprepared(&format!(
            "UPDATE conversations SET status = 'closed' WHERE id = {}",
            c.id
        ))
        .await
        .unwrap();
    let r = event(
        &app,
        &token,
        &thread_message(
            "C0ITHELP",
            "U0ANA",
            "It is dropping again",
            "1700000200.000001",
            &root.ts,
        ),
    )
    .await;
    assert_eq!(r.json()["status"], "stored");
    let newest = s
        .find::<conversation::Entity>()
        .order_by_desc(conversation::Column::Id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(newest.id, c.id);
    assert_eq!(slack_thread_of(&app, s, newest.id).await.id, t.id);
    app.finish().await;
}

async fn notifications_side_conversations_and_tenancy(b: Backend) {
    let app = TestApp::new(b).await;
    let fake = FakeSlack::start().await;
    let (mut a, token) = connect(&app, "sc", &fake, "#support").await;
    let s = a.scope;

    // A new email conversation is posted to the notifications channel.
    let from = Sender {
        kind: IdentifierKind::Email,
        value: "rita@example.com".into(),
        name: Some("Rita Customer".into()),
    };
    let mut m = InboundMessage::new(
        Channel::Email,
        "email:<1@example.com>".into(),
        from.clone(),
        "My tent pole snapped on day one.".into(),
    );
    m.subject = "Broken pole".into();
    let r1 = inbound::receive(&app.state, s, m).await.unwrap();
    app.run_jobs().await;
    let root = fake.posts().pop().unwrap();
    assert_eq!(root.channel, "C0SUPPORT");
    assert!(
        root.text
            .contains("New conversation *TKT-000001* from *Rita Customer* (Email): *Broken pole*"),
        "{}",
        root.text
    );
    assert!(
        root.text.contains("> My tent pole snapped"),
        "{}",
        root.text
    );
    assert!(
        root.text
            .contains("http://localhost/app/inbox/1|Open in Switchboard"),
        "{}",
        root.text
    );

    // Her next message and the agent's reply are mirrored into the thread.
    let mut m2 = InboundMessage::new(
        Channel::Email,
        "email:<2@example.com>".into(),
        from.clone(),
        "Photo attached.".into(),
    );
    m2.thread.conversation_id = Some(r1.conversation_id);
    inbound::receive(&app.state, s, m2).await.unwrap();
    let r = reply(
        &mut a.owner,
        r1.conversation_id,
        "A new pole is on its way.",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.run_jobs().await;
    let posts = fake.posts();
    let in_thread: Vec<_> = posts
        .iter()
        .filter(|p| p.thread_ts.as_deref() == Some(root.ts.as_str()))
        .collect();
    assert_eq!(in_thread.len(), 2, "{posts:?}");
    assert_eq!(in_thread[0].text, "*Rita Customer* wrote:\nPhoto attached.");
    assert_eq!(
        in_thread[1].text,
        "*Olga Owner* replied to the customer:\nA new pole is on its way."
    );
    // The email reply is still the email's (here no SMTP server is set, so
    // the outbox says so): Slack is a mirror and touches no delivery status.
    let out = thread(&app, s, r1.conversation_id).await.pop().unwrap();
    assert!(
        out.delivery_error
            .as_deref()
            .is_none_or(|e| e.contains("SMTP") && !e.contains("Slack")),
        "{:?}",
        out.delivery_error
    );
    // A teammate's words in the thread come back as a note.
    let r = event(
        &app,
        &token,
        &thread_message(
            "C0SUPPORT",
            "U0SAM",
            "Check the batch number, we had a recall",
            "1700000300.000001",
            &root.ts,
        ),
    )
    .await;
    assert_eq!(r.json()["status"], "stored", "{}", r.body);
    let n = thread(&app, s, r1.conversation_id).await.pop().unwrap();
    assert_eq!(n.kind, app::types::MessageKind::Note);
    assert_eq!(n.author_name, "Slack · Sam");
    assert_eq!(
        fake.posts().len(),
        3,
        "a note from Slack is not posted back"
    );

    // A side conversation in a Slack channel: the bot opens a thread with
    // the agent's message; replies there come back into it.
    let start = |to: &'static str| {
        [
            ("conversation_id", r1.conversation_id.to_string()),
            ("to_email", to.to_owned()),
            ("subject", "Pole stock".to_owned()),
            ("body", "Do we still have 9mm poles?".to_owned()),
            ("via", "slack".to_owned()),
        ]
    };
    let args = start("#parts-team");
    let pairs: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = a.owner.call(path::<StartSideConversation>(), &pairs).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["via"], "slack");
    assert_eq!(r.json()["to_email"], "#parts-team");
    app.run_jobs().await;
    let side_root = fake.posts().pop().unwrap();
    assert_eq!(side_root.channel, "C0PARTS");
    assert!(
        side_root
            .text
            .contains("*Pole stock* — a side conversation from TKT-000001"),
        "{}",
        side_root.text
    );
    assert!(
        side_root
            .text
            .contains("Do we still have 9mm poles?\n— Olga Owner."),
        "{}",
        side_root.text
    );
    let r = event(
        &app,
        &token,
        &thread_message(
            "C0PARTS",
            "U0BEN",
            "Yes, 40 in stock",
            "1700000400.000001",
            &side_root.ts,
        ),
    )
    .await;
    assert_eq!(r.json()["status"], "stored", "{}", r.body);
    let all = thread(&app, s, r1.conversation_id).await;
    let side: Vec<_> = all
        .iter()
        .filter(|m| m.side_conversation_id.is_some())
        .collect();
    assert_eq!(side.len(), 2);
    assert_eq!(side[0].delivery_status, "sent");
    assert_eq!(side[1].author_name, "Slack · Ben");
    assert_eq!(side[1].body_text, "Yes, 40 in stock");
    let conv = s
        .find::<conversation::Entity>()
        .filter(conversation::Column::Id.eq(r1.conversation_id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(
        conv.preview, "Yes, 40 in stock",
        "side replies do not preview"
    );

    // A channel the bot is not in: the message fails with what to do.
    let args = start("#secret-room");
    let pairs: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = a.owner.call(path::<StartSideConversation>(), &pairs).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.run_jobs().await;
    let failed = s
        .find::<message::Entity>()
        .filter(message::Column::SideConversationId.is_not_null())
        .order_by_desc(message::Column::Id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(failed.delivery_status, "failed");
    assert!(failed.delivery_error.unwrap().contains("/invite"));
    let page = a.owner.call(path::<GetSlackSettings>(), &[]).await.json();
    assert_eq!(page["failed_30d"], 1);
    assert_eq!(page["threads_30d"], 3);
    assert!(page["last_error"]
        .as_str()
        .unwrap()
        .contains("not_in_channel"));
    // A bad channel name: 422 naming the field.
    let args = start("two words");
    let pairs: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = a.owner.call(path::<StartSideConversation>(), &pairs).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    // Another workspace: without Slack it cannot hold side conversations
    // there; with its own app, its Request URLs reach none of A's threads
    // (signatures under another secret are refused in the tickets test).
    let mut other = workspace(&app, "owner@sd.test", "Shop sd").await;
    let mut m = InboundMessage::new(
        Channel::Email,
        "email:<b1@example.com>".into(),
        from.clone(),
        "Hello B".into(),
    );
    m.subject = "B's ticket".into();
    let rb = inbound::receive(&app.state, other.scope, m).await.unwrap();
    let r = other
        .owner
        .call(
            path::<StartSideConversation>(),
            &[
                ("conversation_id", &rb.conversation_id.to_string()),
                ("to_email", "#parts-team"),
                ("subject", "x"),
                ("body", "y"),
                ("via", "slack"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Connect Slack first"), "{}", r.body);
    let r = save(&mut other.owner, &fake, TOKEN, SECRET, "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let other_token = other
        .scope
        .find::<slack_account::Entity>()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .hook_token;
    assert_ne!(other_token, token);
    let before = thread(&app, s, r1.conversation_id).await.len();
    let r = event(
        &app,
        &other_token,
        &thread_message(
            "C0SUPPORT",
            "U0SAM",
            "sneaky",
            "1700000500.000001",
            &root.ts,
        ),
    )
    .await;
    assert_eq!(
        r.json()["reason"],
        "not a thread Switchboard mirrors",
        "{}",
        r.body
    );
    assert_eq!(thread(&app, s, r1.conversation_id).await.len(), before);
    // B set no notifications channel: its new conversations are not posted.
    let posted = fake.posts().len();
    let mut m = InboundMessage::new(
        Channel::Email,
        "email:<b2@example.com>".into(),
        from.clone(),
        "Hello again B".into(),
    );
    m.subject = "B's second".into();
    inbound::receive(&app.state, other.scope, m).await.unwrap();
    app.run_jobs().await;
    assert_eq!(fake.posts().len(), posted);
    let page = other
        .owner
        .call(path::<GetSlackSettings>(), &[])
        .await
        .json();
    assert_eq!(page["threads_30d"], 0);
    app.finish().await;
}

backend_tests!(
    settings_validate_and_stay_sealed,
    tickets_from_slack_are_mirrored_both_ways,
    notifications_side_conversations_and_tenancy
);
