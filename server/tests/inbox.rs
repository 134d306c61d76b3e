//! The inbox end to end through its server functions and services, on SQLite and
//! PostgreSQL: conversations, replies and notes, mentions, identity resolution,
//! views and keyset pages, merge/undo/split, collision detection, search, canned
//! responses, macros, side conversations and cross-workspace isolation.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::serverfns::inbox::*;
use app::services::inbox::{messages, side};
use app::services::tenancy::{Scoped, System};
use app::types::{Channel, IdentifierKind};
use axum::http::StatusCode;
use common::{add_member, fns::path, sign_up, Backend, Client, TestApp};
use entity::{email, message, notification};
use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};

async fn new_conversation(
    c: &mut Client,
    email: &str,
    subject: &str,
    body: &str,
) -> serde_json::Value {
    let r = c
        .call(
            path::<CreateConversation>(),
            &[
                ("customer_email", email),
                ("customer_name", "Ana Souza"),
                ("subject", subject),
                ("body", body),
                ("priority", "normal"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

async fn send(
    c: &mut Client,
    conv: i64,
    kind: &str,
    body: &str,
    seen: Option<i64>,
    force: bool,
) -> common::Res {
    let seen = seen.map(|s| s.to_string());
    let mut args = vec![
        ("conversation_id", conv.to_string()),
        ("kind", kind.to_owned()),
        ("body", body.to_owned()),
        ("attachment_ids", String::new()),
        ("force", force.to_string()),
    ];
    if let Some(s) = seen {
        args.push(("seen_last_public_id", s));
    }
    let pairs: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    c.call(path::<SendMessage>(), &pairs).await
}

async fn count_emails(app: &TestApp, kind: &str) -> u64 {
    System::new("test")
        .find::<email::Entity>()
        .filter(email::Column::Kind.eq(kind))
        .count(&app.state.db)
        .await
        .unwrap()
}

async fn replies_notes_and_mentions(b: Backend) {
    let app = TestApp::new(b).await;
    let mut owner = sign_up(&app, "Olga Owner", "olga@a.test", "Workspace A").await;
    let _maria = add_member(&app, &mut owner, "maria@a.test", "agent").await;
    let conv = new_conversation(
        &mut owner,
        "ana@example.com",
        "Broken pole",
        "The pole snapped.",
    )
    .await;
    let id = conv["id"].as_i64().unwrap();
    let number = conv["number"].as_i64().unwrap();
    assert_eq!(conv["reference"], format!("TKT-{number:06}"));
    assert_eq!(
        conv["status"], "open",
        "created by an agent, assigned to them"
    );

    // A reply is emailed to the customer through the outbox.
    let before = count_emails(&app, "conversation_reply").await;
    let r = send(
        &mut owner,
        id,
        "reply",
        "A new pole is on its way.",
        None,
        false,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["delivery_status"], "queued");
    assert_eq!(count_emails(&app, "conversation_reply").await, before + 1);

    // A note is never emailed; an @mention notifies the member in-app and by email.
    let r = send(
        &mut owner,
        id,
        "note",
        "@maria please check the warranty <script>x()</script>",
        None,
        false,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        !r.json()["body_html"].as_str().unwrap().contains("<script"),
        "escaped"
    );
    assert_eq!(
        count_emails(&app, "conversation_reply").await,
        before + 1,
        "notes are never sent"
    );
    // The notification service sends it from its own job.
    app.run_jobs().await;
    assert_eq!(count_emails(&app, "mention").await, 1);
    let n = System::new("test")
        .find::<notification::Entity>()
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(n, 1);

    // Customers never see notes.
    let ws = owner
        .call(path::<app::serverfns::auth::GetSession>(), &[])
        .await
        .json()["workspace"]["id"]
        .as_i64()
        .unwrap() as i32;
    let visible = messages::customer_visible_thread(&app.state.db, Scoped::new(ws), id as i32)
        .await
        .unwrap();
    assert!(
        visible.iter().all(|m| !m.body_text.contains("warranty")),
        "{visible:?}"
    );
    assert_eq!(visible.len(), 2);
    let d = owner
        .call(
            path::<GetConversation>(),
            &[("number", &number.to_string())],
        )
        .await
        .json();
    let token = d["customer_url"]
        .as_str()
        .unwrap()
        .split("token=")
        .nth(1)
        .unwrap()
        .to_owned();
    let mut stranger = app.client();
    let page = stranger
        .call(path::<GetCustomerConversation>(), &[("token", &token)])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("A new pole is on its way.") && !page.body.contains("warranty"),
        "{}",
        page.body
    );
    let r = stranger
        .call(
            path::<GetCustomerConversation>(),
            &[("token", "0123456789abcdef0123456789abcdef")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Bad input: nothing is written.
    let r = send(&mut owner, id, "reply", "   ", None, false).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = owner
        .call(
            path::<GetConversation>(),
            &[("number", &number.to_string())],
        )
        .await;
    assert_eq!(r.json()["messages"].as_array().unwrap().len(), 3);
    assert!(r.json()["first_response_at"].is_string());

    // The mail job records the delivery outcome on the message.
    app.run_jobs().await;
    let r = owner
        .call(
            path::<GetConversation>(),
            &[("number", &number.to_string())],
        )
        .await;
    let reply = &r.json()["messages"][1];
    assert_eq!(
        reply["delivery_status"], "failed",
        "no SMTP configured: {reply}"
    );
    app.finish().await;
}

async fn identity_resolution_and_idempotent_inbound(b: Backend) {
    let app = TestApp::new(b).await;
    let mut owner = sign_up(&app, "Olga Owner", "olga@a.test", "Workspace A").await;
    let ws = owner
        .call(path::<app::serverfns::auth::GetSession>(), &[])
        .await
        .json()["workspace"]["id"]
        .as_i64()
        .unwrap() as i32;
    let scope = Scoped::new(ws);
    let m = |ext: &str| messages::NewMessage {
        body_text: "Where is my order?".into(),
        external_id: Some(ext.into()),
        ..Default::default()
    };
    let (a, new_a) = messages::receive_inbound(
        &app.state,
        scope,
        Channel::Email,
        (IdentifierKind::Email, "Ben@Example.com", Some("Ben")),
        None,
        "Order",
        m("mid-1"),
    )
    .await
    .unwrap();
    assert!(new_a);
    let (again, new_again) = messages::receive_inbound(
        &app.state,
        scope,
        Channel::Email,
        (IdentifierKind::Email, "ben@example.com", Some("Ben")),
        None,
        "Order",
        m("mid-1"),
    )
    .await
    .unwrap();
    assert!(!new_again, "a retry is not a new message");
    assert_eq!(a.id, again.id);
    let (b2, _) = messages::receive_inbound(
        &app.state,
        scope,
        Channel::Email,
        (IdentifierKind::Email, "ben@example.com", None),
        None,
        "Second",
        m("mid-2"),
    )
    .await
    .unwrap();
    // The customer's two messages (each new email ticket also records the
    // confirmation sent to them, as a system entry).
    let total = System::new("test")
        .find::<message::Entity>()
        .filter(message::Column::Direction.eq("inbound"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(total, 2);
    let c1 = owner
        .call(path::<GetConversation>(), &[("number", "1")])
        .await
        .json();
    let c2 = owner
        .call(path::<GetConversation>(), &[("number", "2")])
        .await
        .json();
    assert_eq!(
        c1["customer"]["id"], c2["customer"]["id"],
        "same email → same customer"
    );
    assert_ne!(a.conversation_id, b2.conversation_id);

    // A phone number from another channel, then a merge of the two customers.
    let (_, _) = messages::receive_inbound(
        &app.state,
        scope,
        Channel::Sms,
        (IdentifierKind::Phone, "+1 415 555 0100", None),
        None,
        "",
        m("sms-1"),
    )
    .await
    .unwrap();
    let c3 = owner
        .call(path::<GetConversation>(), &[("number", "3")])
        .await
        .json();
    let primary = c1["customer"]["id"].as_i64().unwrap().to_string();
    let secondary = c3["customer"]["id"].as_i64().unwrap().to_string();
    assert_ne!(primary, secondary);
    let r = owner
        .call(
            path::<MergeCustomers>(),
            &[("primary_id", &primary), ("secondary_id", &secondary)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let kinds: Vec<String> = r.json()["identifiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, vec!["email", "phone"], "every identifier kept");
    let c3 = owner
        .call(path::<GetConversation>(), &[("number", "3")])
        .await
        .json();
    assert_eq!(
        c3["customer"]["id"].as_i64().unwrap().to_string(),
        primary,
        "conversations follow"
    );
    let (d, _) = messages::receive_inbound(
        &app.state,
        scope,
        Channel::Sms,
        (IdentifierKind::Phone, "+14155550100", None),
        None,
        "",
        m("sms-2"),
    )
    .await
    .unwrap();
    let c4 = owner
        .call(
            path::<GetConversation>(),
            &[("number", &d.conversation_id.to_string())],
        )
        .await;
    let _ = c4;
    let audit = owner
        .call(path::<app::serverfns::activity::ListActivity>(), &[])
        .await
        .body;
    assert!(audit.contains("customer.merged"), "audited: {audit}");
    // A bad identifier is a 422 with the field.
    let r = owner
        .call(
            path::<AddCustomerIdentifier>(),
            &[
                ("customer_id", &primary),
                ("kind", "phone"),
                ("value", "12"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    app.finish().await;
}

async fn views_filters_and_keyset_pages(b: Backend) {
    let app = TestApp::new(b).await;
    let mut owner = sign_up(&app, "Olga Owner", "olga@a.test", "Workspace A").await;
    for i in 0..120 {
        let c = new_conversation(
            &mut owner,
            &format!("c{i}@example.com"),
            &format!("Question {i}"),
            "Hello",
        )
        .await;
        if i % 10 == 0 {
            let r = owner
                .call(
                    path::<TagConversation>(),
                    &[
                        ("conversation_id", &c["id"].to_string()),
                        ("add", "vip"),
                        ("remove", ""),
                    ],
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
    }
    let views = owner.call(path::<ListViews>(), &[]).await.json();
    let names: Vec<&str> = views
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["My open", "Unassigned", "All open", "Recently updated"]
    );
    assert_eq!(views[0]["count"], 120, "all assigned to the creator");
    assert_eq!(views[1]["count"], 0);

    // Walk every page of "All open": each conversation exactly once.
    let all_open = views[2]["id"].to_string();
    let mut seen = std::collections::HashSet::new();
    let mut cursor = String::new();
    loop {
        let mut args = vec![("view_id", all_open.as_str())];
        if !cursor.is_empty() {
            args.push(("cursor", cursor.as_str()));
        }
        let p = owner.call(path::<ListConversations>(), &args).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        let p = p.json();
        for r in p["rows"].as_array().unwrap() {
            assert!(seen.insert(r["id"].as_i64().unwrap()), "row twice");
        }
        match p["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 120);

    // An ad-hoc filter by tag, and a saved personal view with it.
    let f = r#"{"tags":["vip"]}"#;
    let p = owner
        .call(path::<ListConversations>(), &[("filter_json", f)])
        .await
        .json();
    assert_eq!(p["rows"].as_array().unwrap().len(), 12);
    let r = owner
        .call(
            path::<SaveView>(),
            &[
                ("name", "VIPs"),
                ("shared", "false"),
                ("filter_json", f),
                ("sort", "created_asc"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["count"], 12);
    let r = owner
        .call(
            path::<SaveView>(),
            &[
                ("name", "Bad"),
                ("shared", "false"),
                ("filter_json", r#"{"created_after":"yesterday"}"#),
                ("sort", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("YYYY-MM-DD"), "{}", r.body);
    let r = owner
        .call(path::<ListConversations>(), &[("cursor", "garbage")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Bulk: unassign ten, then "Unassigned" counts them.
    let ids: Vec<String> = seen.iter().take(10).map(ToString::to_string).collect();
    let r = owner
        .call(
            path::<BulkUpdate>(),
            &[
                ("ids_csv", &ids.join(",")),
                ("action", "assign"),
                ("value", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let views = owner.call(path::<ListViews>(), &[]).await.json();
    assert_eq!(views[1]["count"], 10);
    // A bulk action with one bad id changes nothing.
    let r = owner
        .call(
            path::<BulkUpdate>(),
            &[
                ("ids_csv", &format!("{},999999", ids[0])),
                ("action", "status"),
                ("value", "solved"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let views = owner.call(path::<ListViews>(), &[]).await.json();
    assert_eq!(views[2]["count"], 120, "nothing half-written");
    app.finish().await;
}

async fn merge_undo_and_split(b: Backend) {
    let app = TestApp::new(b).await;
    let mut owner = sign_up(&app, "Olga Owner", "olga@a.test", "Workspace A").await;
    let a = new_conversation(&mut owner, "ana@example.com", "First", "first message").await;
    let bconv = new_conversation(&mut owner, "ana@example.com", "Second", "second message").await;
    let (a_id, b_id) = (a["id"].to_string(), bconv["id"].to_string());
    owner
        .call(
            path::<TagConversation>(),
            &[
                ("conversation_id", &b_id),
                ("add", "billing"),
                ("remove", ""),
            ],
        )
        .await;
    let r = owner
        .call(
            path::<MergeConversations>(),
            &[
                ("primary_id", &a_id),
                ("ids_csv", &format!("{a_id},{b_id}")),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let merge_id = r.json().as_i64().unwrap().to_string();
    let p = owner
        .call(
            path::<GetConversation>(),
            &[("number", &a["number"].to_string())],
        )
        .await
        .json();
    let texts: Vec<&str> = p["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body_text"].as_str().unwrap())
        .collect();
    assert_eq!(
        &texts[..2],
        &["first message", "second message"],
        "time order"
    );
    assert!(
        p["row"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "billing"),
        "tags united"
    );
    let s = owner
        .call(
            path::<GetConversation>(),
            &[("number", &bconv["number"].to_string())],
        )
        .await
        .json();
    assert_eq!(s["row"]["status"], "closed");
    assert_eq!(s["merged_into"], a["reference"]);
    assert!(s["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["body_text"].as_str().unwrap().starts_with("Merged into")));

    let r = owner
        .call(path::<UndoMerge>(), &[("merge_id", &merge_id)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let p = owner
        .call(
            path::<GetConversation>(),
            &[("number", &a["number"].to_string())],
        )
        .await
        .json();
    assert_eq!(p["messages"].as_array().unwrap().len(), 1);
    assert!(p["row"]["tags"].as_array().unwrap().is_empty());
    let s = owner
        .call(
            path::<GetConversation>(),
            &[("number", &bconv["number"].to_string())],
        )
        .await
        .json();
    assert_eq!(s["row"]["status"], "open");
    assert!(s["merged_into"].is_null());
    assert_eq!(s["messages"].as_array().unwrap().len(), 1);
    let r = owner
        .call(path::<UndoMerge>(), &[("merge_id", &merge_id)])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "twice: {}", r.body);

    // Split: the second of two messages becomes a new conversation.
    let r = send(
        &mut owner,
        a["id"].as_i64().unwrap(),
        "reply",
        "Also, my stove is broken",
        None,
        true,
    )
    .await;
    let moved = r.json()["id"].to_string();
    let r = owner
        .call(
            path::<SplitConversation>(),
            &[
                ("conversation_id", &a_id),
                ("message_ids", &moved),
                ("subject", "Stove"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let new_number = r.json().as_i64().unwrap().to_string();
    let n = owner
        .call(path::<GetConversation>(), &[("number", &new_number)])
        .await
        .json();
    assert_eq!(n["split_from"], a["reference"]);
    assert!(n["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["body_text"] == "Also, my stove is broken"));
    let p = owner
        .call(
            path::<GetConversation>(),
            &[("number", &a["number"].to_string())],
        )
        .await
        .json();
    assert_eq!(p["split_into"][0], n["row"]["reference"]);
    let r = owner
        .call(
            path::<SplitConversation>(),
            &[
                ("conversation_id", &a_id),
                ("message_ids", ""),
                ("subject", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    app.finish().await;
}

async fn collision_warning(b: Backend) {
    let app = TestApp::new(b).await;
    let mut a = sign_up(&app, "Olga Owner", "olga@a.test", "Workspace A").await;
    let mut bee = add_member(&app, &mut a, "bee@a.test", "agent").await;
    let c = new_conversation(&mut a, "ana@example.com", "Help", "hello").await;
    let id = c["id"].as_i64().unwrap();
    let seen = a
        .call(
            path::<GetConversation>(),
            &[("number", &c["number"].to_string())],
        )
        .await
        .json()["last_public_message_id"]
        .as_i64();
    // Presence: B opens and types; A sees it.
    let r = bee
        .call(
            path::<PresencePing>(),
            &[
                ("conversation_id", &id.to_string()),
                ("typing", "true"),
                ("stopped", "false"),
                ("announce", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = a
        .call(
            path::<PresencePing>(),
            &[
                ("conversation_id", &id.to_string()),
                ("typing", "false"),
                ("stopped", "false"),
                ("announce", "true"),
            ],
        )
        .await;
    let others = r.json();
    assert_eq!(others[0]["name"], "New Member");
    assert_eq!(others[0]["typing"], true);
    // B replies; A's reply (written against the older thread) gets the warning.
    assert_eq!(
        send(&mut bee, id, "reply", "On it!", seen, false)
            .await
            .status,
        StatusCode::OK
    );
    let r = send(&mut a, id, "reply", "Let me check.", seen, false).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("New Member replied"), "{}", r.body);
    assert_eq!(
        send(&mut a, id, "reply", "Let me check.", seen, true)
            .await
            .status,
        StatusCode::OK
    );
    // Notes never collide.
    assert_eq!(
        send(&mut a, id, "note", "fyi", seen, false).await.status,
        StatusCode::OK
    );
    app.finish().await;
}

async fn search_canned_macros_side(b: Backend) {
    let app = TestApp::new(b).await;
    let mut owner = sign_up(&app, "Olga Owner", "olga@a.test", "Workspace A").await;
    let mut other = sign_up(&app, "Bob", "bob@b.test", "Workspace B").await;
    let c = new_conversation(
        &mut owner,
        "ana@example.com",
        "Tent question",
        "My carabiner is bent",
    )
    .await;
    new_conversation(
        &mut other,
        "zed@example.com",
        "Other",
        "carabiner in workspace B",
    )
    .await;
    let id = c["id"].to_string();
    send(
        &mut owner,
        c["id"].as_i64().unwrap(),
        "note",
        "internal: zeppelin",
        None,
        false,
    )
    .await;
    let hits = owner
        .call(path::<SearchInbox>(), &[("q", "carabin"), ("kind", "")])
        .await;
    assert_eq!(hits.status, StatusCode::OK, "{}", hits.body);
    let hits = hits.json();
    let hits = hits.as_array().unwrap();
    assert_eq!(hits.len(), 1, "only this workspace, prefix match: {hits:?}");
    assert!(hits[0]["snippet_html"]
        .as_str()
        .unwrap()
        .contains("<mark>carabiner</mark>"));
    let r = owner
        .call(path::<SearchInbox>(), &[("q", "ana"), ("kind", "customer")])
        .await
        .json();
    assert_eq!(r[0]["kind"], "customer");
    let r = owner
        .call(path::<SearchInbox>(), &[("q", "\"*"), ("kind", "")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Canned responses with variables; unknown ones are refused.
    let r = owner
        .call(
            path::<SaveCanned>(),
            &[
                ("title", "Hi"),
                ("category", "General"),
                (
                    "body",
                    "Hi {{ customer.first_name }}, re {{ ticket.number }} — {{ agent.name }}",
                ),
                ("shared", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = owner
        .call(
            path::<SaveCanned>(),
            &[
                ("title", "Bad"),
                ("category", ""),
                ("body", "Hi {{ customer.nickname }}"),
                ("shared", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("customer.nickname"));
    let list = owner
        .call(path::<ListCanned>(), &[("q", "hi")])
        .await
        .json();
    let body = list[0]["body"].as_str().unwrap().to_owned();
    let r = owner
        .call(
            path::<RenderTemplate>(),
            &[("conversation_id", &id), ("text", &body)],
        )
        .await
        .json();
    assert_eq!(
        r["text"],
        format!(
            "Hi Ana, re {} — Olga Owner",
            c["reference"].as_str().unwrap()
        )
    );

    // A macro: preview says what it does; apply does it all.
    let actions = r#"[{"action":"add_tags","value":["vip"]},{"action":"set_priority","value":"urgent"},{"action":"reply","value":"Thanks {{ customer.first_name }}!"},{"action":"set_status","value":"solved"}]"#;
    let r = owner
        .call(
            path::<SaveMacro>(),
            &[
                ("name", "Thank and solve"),
                ("description", ""),
                ("actions_json", actions),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mid = r.json()["id"].to_string();
    let p = owner
        .call(
            path::<PreviewMacro>(),
            &[("macro_id", &mid), ("conversation_id", &id)],
        )
        .await
        .json();
    assert!(
        p["changes"].to_string().contains("Send reply: Thanks Ana!"),
        "{p}"
    );
    let r = owner
        .call(
            path::<ApplyMacro>(),
            &[("macro_id", &mid), ("conversation_id", &id)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let row = r.json();
    assert_eq!(row["status"], "solved");
    assert_eq!(row["priority"], "urgent");
    assert_eq!(row["tags"][0], "vip");

    // Side conversation: emailed with a token; the reply threads back, once.
    let r = owner
        .call(
            path::<StartSideConversation>(),
            &[
                ("conversation_id", &id),
                ("to_email", "supplier@parts.test"),
                ("subject", "Replacement part"),
                ("body", "Do you have pole sets?"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let sent = System::new("test")
        .find::<email::Entity>()
        .filter(email::Column::Kind.eq("side_conversation"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let token = side::token_in(&sent.subject).expect("token in subject");
    let ws = app::services::tenancy::Scoped::new(sent.workspace_id.unwrap());
    let got = side::receive_reply(
        &app.state,
        ws,
        &token,
        "supplier@parts.test",
        "Yes, 20 in stock.",
        None,
        "<reply-1@parts.test>",
    )
    .await
    .unwrap()
    .unwrap();
    let again = side::receive_reply(
        &app.state,
        ws,
        &token,
        "supplier@parts.test",
        "Yes, 20 in stock.",
        None,
        "<reply-1@parts.test>",
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(got.id, again.id);
    assert!(side::receive_reply(
        &app.state,
        ws,
        &token,
        "stranger@evil.test",
        "hi",
        None,
        "<x>"
    )
    .await
    .unwrap()
    .is_none());
    let d = owner
        .call(
            path::<GetConversation>(),
            &[("number", &c["number"].to_string())],
        )
        .await
        .json();
    let side_msgs: Vec<_> = d["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| !m["side_conversation_id"].is_null())
        .collect();
    assert_eq!(side_msgs.len(), 2);
    app.finish().await;
}

/// Workspace A's members cannot read or change B's inbox through any server fn.
async fn a_cannot_touch_b_inbox(b: Backend) {
    let app = TestApp::new(b).await;
    let mut a = sign_up(&app, "Alice", "alice@a.test", "Workspace A").await;
    let mut bo = sign_up(&app, "Bob", "bob@b.test", "Workspace B").await;
    let bc = new_conversation(&mut bo, "zed@example.com", "B's secret", "secret body").await;
    let bid = bc["id"].to_string();
    let bnum = bc["number"].to_string();
    let bcust = bc["customer_id"].to_string();
    let views = bo.call(path::<ListViews>(), &[]).await.json();
    let bview = views[0]["id"].to_string();
    let r = bo
        .call(
            path::<SaveCanned>(),
            &[
                ("title", "B"),
                ("category", ""),
                ("body", "b"),
                ("shared", "true"),
            ],
        )
        .await;
    let bcanned = r.json()["id"].to_string();
    let r = bo
        .call(
            path::<SaveMacro>(),
            &[
                ("name", "B"),
                ("description", ""),
                (
                    "actions_json",
                    r#"[{"action":"set_status","value":"solved"}]"#,
                ),
            ],
        )
        .await;
    let bmacro = r.json()["id"].to_string();
    // A has conversation number 1 too: the number resolves within A only.
    new_conversation(&mut a, "ana@example.com", "A's own", "hello").await;
    let d = a
        .call(path::<GetConversation>(), &[("number", &bnum)])
        .await
        .json();
    assert_ne!(d["row"]["subject"], "B's secret");

    let calls: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (path::<ListConversations>(), vec![("view_id", &bview)]),
        (
            path::<SendMessage>(),
            vec![
                ("conversation_id", &bid),
                ("kind", "note"),
                ("body", "x"),
                ("attachment_ids", ""),
                ("force", "true"),
            ],
        ),
        (
            path::<UpdateConversation>(),
            vec![
                ("conversation_id", &bid),
                ("field", "status"),
                ("value", "closed"),
            ],
        ),
        (
            path::<TagConversation>(),
            vec![("conversation_id", &bid), ("add", "x"), ("remove", "")],
        ),
        (
            path::<BulkUpdate>(),
            vec![("ids_csv", &bid), ("action", "status"), ("value", "closed")],
        ),
        (
            path::<MergeConversations>(),
            vec![("primary_id", &bid), ("ids_csv", &bid)],
        ),
        (
            path::<SplitConversation>(),
            vec![
                ("conversation_id", &bid),
                ("message_ids", "1"),
                ("subject", ""),
            ],
        ),
        (
            path::<PresencePing>(),
            vec![
                ("conversation_id", &bid),
                ("typing", "false"),
                ("stopped", "false"),
                ("announce", "true"),
            ],
        ),
        (path::<PresenceLeave>(), vec![("conversation_id", &bid)]),
        (
            path::<RenderTemplate>(),
            vec![("conversation_id", &bid), ("text", "x")],
        ),
        (
            path::<SaveCanned>(),
            vec![
                ("id", &bcanned),
                ("title", "x"),
                ("category", ""),
                ("body", "x"),
                ("shared", "true"),
            ],
        ),
        (path::<DeleteCanned>(), vec![("id", &bcanned)]),
        (
            path::<PreviewMacro>(),
            vec![("macro_id", &bmacro), ("conversation_id", &bid)],
        ),
        (
            path::<ApplyMacro>(),
            vec![("macro_id", &bmacro), ("conversation_id", &bid)],
        ),
        (
            path::<SaveMacro>(),
            vec![
                ("id", &bmacro),
                ("name", "x"),
                ("description", ""),
                (
                    "actions_json",
                    r#"[{"action":"set_status","value":"open"}]"#,
                ),
            ],
        ),
        (path::<DeleteMacro>(), vec![("id", &bmacro)]),
        (
            path::<SaveView>(),
            vec![
                ("id", &bview),
                ("name", "x"),
                ("shared", "true"),
                ("filter_json", "{}"),
                ("sort", ""),
            ],
        ),
        (path::<DeleteView>(), vec![("id", &bview)]),
        (path::<MoveView>(), vec![("id", &bview), ("delta", "1")]),
        (
            path::<StartSideConversation>(),
            vec![
                ("conversation_id", &bid),
                ("to_email", "x@y.test"),
                ("subject", "x"),
                ("body", "x"),
            ],
        ),
        (
            path::<UpdateCustomer>(),
            vec![
                ("customer_id", &bcust),
                ("name", "x"),
                ("company", ""),
                ("notes", ""),
            ],
        ),
        (
            path::<AddCustomerIdentifier>(),
            vec![
                ("customer_id", &bcust),
                ("kind", "email"),
                ("value", "x@y.test"),
            ],
        ),
        (
            path::<MergeCustomers>(),
            vec![("primary_id", &bcust), ("secondary_id", &bcust)],
        ),
        (
            path::<UploadAttachment>(),
            vec![
                ("conversation_id", &bid),
                ("filename", "a.txt"),
                ("data_url", "data:text/plain;base64,aGk="),
            ],
        ),
    ];
    for (p, args) in calls {
        let r = a.call(p, &args).await;
        assert!(
            r.status == StatusCode::NOT_FOUND || r.status == StatusCode::UNPROCESSABLE_ENTITY,
            "{p} reached B's data: {} {}",
            r.status,
            r.body
        );
    }
    // Lists and search show only A's own rows.
    for p in [
        path::<ListCanned>(),
        path::<ListMacros>(),
        path::<ListNotifications>(),
        path::<GetInboxMeta>(),
    ] {
        let r = a.call(p, &[("q", "")]).await;
        assert_eq!(r.status, StatusCode::OK, "{p}: {}", r.body);
        assert!(
            !r.body.contains("B's secret") && !r.body.contains("\"B\""),
            "{p}: {}",
            r.body
        );
    }
    let r = a
        .call(path::<SearchInbox>(), &[("q", "secret"), ("kind", "")])
        .await;
    assert_eq!(r.json().as_array().unwrap().len(), 0);
    assert_eq!(
        a.call(path::<MarkNotificationsRead>(), &[]).await.status,
        StatusCode::OK
    );
    assert_eq!(
        a.call(path::<SetSignature>(), &[("signature", "A")])
            .await
            .status,
        StatusCode::OK
    );
    // Attachments: B uploads and sends one; B downloads it, A gets 404.
    let up = bo
        .call(
            path::<UploadAttachment>(),
            &[
                ("conversation_id", &bid),
                ("filename", "../../notes.txt"),
                ("data_url", "data:text/plain;base64,aGVsbG8="),
            ],
        )
        .await;
    assert_eq!(up.status, StatusCode::OK, "{}", up.body);
    assert_eq!(up.json()["filename"], "notes.txt", "path parts dropped");
    let att = up.json()["id"].to_string();
    let r = bo
        .call(
            path::<SendMessage>(),
            &[
                ("conversation_id", &bid),
                ("kind", "note"),
                ("body", "see file"),
                ("attachment_ids", &att),
                ("force", "false"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["attachments"][0]["filename"], "notes.txt");
    let url = format!("/app/attachments/{att}");
    let got = bo.get(&url).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body, "hello");
    assert_eq!(a.get(&url).await.status, StatusCode::NOT_FOUND);
    let r = bo
        .call(
            path::<SendMessage>(),
            &[
                ("conversation_id", &bid),
                ("kind", "note"),
                ("body", "again"),
                ("attachment_ids", &att),
                ("force", "false"),
            ],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an attachment is sent once: {}",
        r.body
    );
    let b_user = bo
        .call(path::<app::serverfns::auth::GetSession>(), &[])
        .await
        .json()["user_id"]
        .to_string();
    let r = a
        .call(
            path::<CreateTeam>(),
            &[("name", "Poach"), ("member_ids", &b_user)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = a
        .call(
            path::<CreateCustomField>(),
            &[
                ("key", "plan"),
                ("label", "Plan"),
                ("kind", "dropdown"),
                ("options", "A, B"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // B's thing is untouched.
    let d = bo
        .call(path::<GetConversation>(), &[("number", &bnum)])
        .await
        .json();
    assert_eq!(d["row"]["status"], "open");
    assert_eq!(
        d["messages"].as_array().unwrap().len(),
        2,
        "the original and B's own note"
    );
    app.finish().await;
}

backend_tests!(
    replies_notes_and_mentions,
    identity_resolution_and_idempotent_inbound,
    views_filters_and_keyset_pages,
    merge_undo_and_split,
    collision_warning,
    search_canned_macros_side,
    a_cannot_touch_b_inbox,
);
