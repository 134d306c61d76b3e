//! Routing (issue 14, point 4): queues checked and kept apart; tickets routed by
//! channel, skills, capacity and status; waiting tickets given out when capacity
//! frees up, when an agent comes back and when the queue's hours open; overflow
//! widening the pool; automatic away and back; a fair rotation under concurrent
//! arrivals; the AI agent's hand-over going through routing. Both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::serverfns::auth::GetSession;
use app::serverfns::hours::SaveSchedule;
use app::serverfns::inbox::UpdateConversation;
use app::serverfns::routing::{
    DeleteQueue, GetRouting, GetRoutingLists, MoveQueue, SaveAgentRouting, SaveQueue, SetMyStatus,
    StatusHeartbeat,
};
use app::services::channels::inbound::{self, InboundMessage, Sender};
use app::services::routing::engine;
use app::services::tenancy::{Scoped, System};
use app::types::{Channel, IdentifierKind};
use axum::http::StatusCode;
use common::{add_member, fns::path, sign_up, Backend, Client, TestApp};
use entity::conversation;
use sea_orm::{ColumnTrait, QueryFilter};
use serde_json::{json, Value};

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

async fn arrive(app: &TestApp, ws: i32, channel: Channel, who: &str, text: &str) -> i32 {
    let mut m = InboundMessage::new(
        channel,
        format!("test:{who}:{}", uuid::Uuid::new_v4().simple()),
        Sender {
            kind: IdentifierKind::Email,
            value: format!("{who}@customer.test"),
            name: Some(format!("{who} Customer")),
        },
        text.to_owned(),
    );
    m.subject = text.chars().take(40).collect();
    inbound::receive(&app.state, Scoped::new(ws), m)
        .await
        .unwrap()
        .conversation_id
}

async fn conv(app: &TestApp, id: i32) -> conversation::Model {
    System::new("t")
        .find::<conversation::Entity>()
        .filter(conversation::Column::Id.eq(id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
}

async fn page(c: &mut Client) -> Value {
    let r = c.call(path::<GetRouting>(), &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

/// User id of the agent with this email (from the routing page).
async fn user_id(c: &mut Client, email: &str) -> i64 {
    page(c).await["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["email"] == email)
        .unwrap_or_else(|| panic!("{email} is not on the routing page"))["user_id"]
        .as_i64()
        .unwrap()
}

fn queue(name: &str, channels: &[&str], skills: &[&str], strategy: &str) -> Value {
    json!({
        "id": null, "name": name, "channels": channels, "priorities": [], "tag": "",
        "team_id": null, "skills": skills, "strategy": strategy, "schedule_id": null,
        "overflow_after_mins": null, "overflow_team_id": null, "enabled": true,
    })
}

async fn save_queue(c: &mut Client, q: &Value) -> Value {
    let r = c
        .call_json(path::<SaveQueue>(), &json!({ "form": q }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

async fn save_agent(c: &mut Client, user: i64, skills: &[&str], capacity: &[(&str, u32)]) {
    let r = c
        .call_json(
            path::<SaveAgentRouting>(),
            &json!({"form": {"user_id": user, "skills": skills, "capacity": capacity}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

async fn set_status(c: &mut Client, status: &str) -> Value {
    let r = c.call(path::<SetMyStatus>(), &[("status", status)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

async fn solve(c: &mut Client, id: i32) {
    let r = c
        .call(
            path::<UpdateConversation>(),
            &[
                ("conversation_id", &id.to_string()),
                ("field", "status"),
                ("value", "solved"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[allow(clippy::too_many_lines)]
async fn queues_route_by_skills_capacity_and_status(b: Backend) {
    let app = TestApp::new(b).await;
    let mut a = workspace(&app, "alice@a.test", "Workspace A").await;
    let mut bo = workspace(&app, "bob@b.test", "Workspace B").await;
    let mut sam = add_member(&app, &mut a.owner, "sam@a.test", "agent").await;
    let mut lee = add_member(&app, &mut a.owner, "lee@a.test", "agent").await;
    let owner_id = user_id(&mut a.owner, "alice@a.test").await;
    let sam_id = user_id(&mut a.owner, "sam@a.test").await;
    let lee_id = user_id(&mut a.owner, "lee@a.test").await;

    // Bad input names the field and saves nothing.
    for (field, value, says) in [
        ("strategy", json!("random"), "Choose round robin"),
        ("skills", json!(["a:b:c"]), "is not a skill"),
        ("channels", json!(["pigeon"]), "is not a channel"),
        ("overflow_after_mins", json!(0), "Overflow after"),
        ("name", json!("  "), "A name must be"),
    ] {
        let mut q = queue("Bad", &[], &[], "round_robin");
        q[field] = value;
        let r = a
            .owner
            .call_json(path::<SaveQueue>(), &json!({"form": q}))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            r.body
        );
        assert!(r.body.contains(says), "{field}: {}", r.body);
    }
    let r = a
        .owner
        .call_json(
            path::<SaveAgentRouting>(),
            &json!({"form": {"user_id": lee_id, "skills": [], "capacity": [["chat", 500]]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("at most 200"), "{}", r.body);
    assert!(page(&mut a.owner).await["queues"]
        .as_array()
        .unwrap()
        .is_empty());
    // An agent may not manage routing.
    let r = sam.call(path::<GetRouting>(), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // French chats need language:fr (only Lee); emails go round the team.
    save_agent(&mut a.owner, lee_id, &["language:fr"], &[]).await;
    save_agent(&mut a.owner, sam_id, &["product:tents"], &[]).await;
    let mut french = save_queue(
        &mut a.owner,
        &queue("French chats", &["chat"], &["language:fr"], "load_balanced"),
    )
    .await;
    let email_q = save_queue(
        &mut a.owner,
        &queue("Email", &["email"], &[], "round_robin"),
    )
    .await;
    let dup = a
        .owner
        .call_json(
            path::<SaveQueue>(),
            &json!({"form": queue("Email", &[], &[], "round_robin")}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT, "{}", dup.body);

    let c1 = arrive(&app, a.id, Channel::Chat, "claude", "Bonjour !").await;
    let c1m = conv(&app, c1).await;
    assert_eq!(c1m.assignee_id, Some(i32::try_from(lee_id).unwrap()));
    assert_eq!(c1m.status, "open");
    assert_eq!(
        c1m.queue_id,
        Some(i32::try_from(french["id"].as_i64().unwrap()).unwrap())
    );
    assert!(c1m.routed_at.is_some() && c1m.queued_at.is_some());

    // Round robin: three emails, three different people, in a fixed order.
    let mut got = Vec::new();
    for who in ["e1", "e2", "e3", "e4"] {
        let id = arrive(&app, a.id, Channel::Email, who, "Where is my order?").await;
        got.push(i64::from(conv(&app, id).await.assignee_id.unwrap()));
    }
    let mut order = [owner_id, sam_id, lee_id];
    order.sort_unstable();
    assert_eq!(got[..3], order[..], "one each, in turn");
    assert_eq!(got[3], order[0], "and round again");

    // Lee steps away: the next French chat waits in its queue.
    let s = set_status(&mut lee, "away").await;
    assert_eq!(s["status"], "away");
    let c2 = arrive(&app, a.id, Channel::Chat, "chloe", "Bonjour encore").await;
    let c2m = conv(&app, c2).await;
    assert_eq!(c2m.assignee_id, None, "nobody with French is online");
    assert!(c2m.queue_id.is_some() && c2m.queued_at.is_some());
    let p = page(&mut a.owner).await;
    assert_eq!(p["metrics"]["waiting"], 1, "{p}");
    assert_eq!(p["metrics"]["away"], 1, "{p}");
    // Back online: the waiting chat is hers at once.
    set_status(&mut lee, "online").await;
    assert_eq!(
        conv(&app, c2).await.assignee_id,
        Some(i32::try_from(lee_id).unwrap())
    );

    // Capacity: one chat at a time for Lee now; she has two.
    save_agent(&mut a.owner, lee_id, &["language:fr"], &[("chat", 1)]).await;
    let c3 = arrive(
        &app,
        a.id,
        Channel::Chat,
        "camille",
        "Bonjour, une question",
    )
    .await;
    assert_eq!(conv(&app, c3).await.assignee_id, None, "Lee is full");
    solve(&mut lee, c1).await;
    assert_eq!(conv(&app, c3).await.assignee_id, None, "still one open");
    solve(&mut lee, c2).await;
    assert_eq!(
        conv(&app, c3).await.assignee_id,
        Some(i32::try_from(lee_id).unwrap()),
        "capacity freed: the waiting chat goes out"
    );

    // Overflow: after 5 minutes the pool widens to everyone, skills dropped.
    french["form"]["overflow_after_mins"] = json!(5);
    save_queue(&mut a.owner, &french["form"]).await;
    let c4 = arrive(&app, a.id, Channel::Chat, "celine", "Bonjour, vite").await;
    assert_eq!(conv(&app, c4).await.assignee_id, None);
    let swept = engine::sweep_now(
        &app.state,
        chrono::Utc::now() + chrono::Duration::minutes(2),
    )
    .await
    .unwrap();
    assert_eq!(swept.assigned, 0, "not yet");
    let swept = engine::sweep_now(
        &app.state,
        chrono::Utc::now() + chrono::Duration::minutes(6),
    )
    .await
    .unwrap();
    assert_eq!(swept.assigned, 1);
    let c4m = conv(&app, c4).await;
    assert!(
        c4m.assignee_id.is_some_and(|u| i64::from(u) != lee_id) && c4m.overflowed_at.is_some(),
        "{c4m:?}"
    );

    // Automatic away after 10 idle minutes, offline after 15 without the app;
    // an agent the sweep set away is back online when active again.
    let s = sam
        .call(path::<StatusHeartbeat>(), &[("active", "true")])
        .await
        .json();
    assert_eq!(s["status"], "online");
    let later = chrono::Utc::now() + chrono::Duration::minutes(11);
    let swept = engine::sweep_now(&app.state, later).await.unwrap();
    assert!(swept.away >= 1, "{swept:?}");
    let p = page(&mut a.owner).await;
    let sam_row = p["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["user_id"] == sam_id)
        .unwrap()
        .clone();
    assert_eq!(
        (sam_row["status"].clone(), sam_row["status_auto"].clone()),
        (json!("away"), json!(true))
    );
    let s = sam
        .call(path::<StatusHeartbeat>(), &[("active", "true")])
        .await
        .json();
    assert_eq!(
        (s["status"].clone(), s["auto"].clone()),
        (json!("online"), json!(false))
    );
    // Chosen away stays away, however active.
    set_status(&mut sam, "away").await;
    let s = sam
        .call(path::<StatusHeartbeat>(), &[("active", "true")])
        .await
        .json();
    assert_eq!(s["status"], "away");
    let swept = engine::sweep_now(
        &app.state,
        chrono::Utc::now() + chrono::Duration::minutes(16),
    )
    .await
    .unwrap();
    assert!(swept.offline >= 1, "{swept:?}");

    // Business hours: a queue whose schedule is closed today holds its tickets;
    // without the schedule they go out at once.
    set_status(&mut sam, "online").await;
    set_status(&mut lee, "online").await;
    set_status(&mut a.owner, "online").await;
    let today = chrono::Utc::now().date_naive();
    let r = a
        .owner
        .call_json(
            path::<SaveSchedule>(),
            &json!({"form": {
                "id": null, "name": "Closed today", "time_zone": "UTC",
                "hours": (0..7).map(|d| json!({"day": d, "open": "00:00", "close": "24:00"})).collect::<Vec<_>>(),
                "holidays": [
                    {"date": today.to_string(), "name": "Today"},
                    {"date": today.succ_opt().unwrap().to_string(), "name": "Tomorrow"},
                ],
            }}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let sched = r.json()["id"].as_i64().unwrap();
    let mut phone = queue("Phone", &["phone"], &[], "load_balanced");
    phone["schedule_id"] = json!(sched);
    let phone = save_queue(&mut a.owner, &phone).await;
    assert_eq!(phone["hours"], "Closed today");
    let c5 = arrive(&app, a.id, Channel::Phone, "paul", "Call me back").await;
    assert_eq!(conv(&app, c5).await.assignee_id, None, "closed: it waits");
    let mut open = phone["form"].clone();
    open["schedule_id"] = Value::Null;
    save_queue(&mut a.owner, &open).await;
    assert!(
        conv(&app, c5).await.assignee_id.is_some(),
        "open: out it goes"
    );

    // Order and deletion.
    let r = a
        .owner
        .call(
            path::<MoveQueue>(),
            &[("id", &email_q["id"].to_string()), ("up", "true")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let p = page(&mut a.owner).await;
    assert_eq!(p["queues"][0]["form"]["name"], "Email", "{p}");
    assert!(p["metrics"]["routed_24h"].as_u64().unwrap() >= 8, "{p}");

    // Workspace B sees and changes none of it.
    let la = a.owner.call(path::<GetRoutingLists>(), &[]).await.json();
    let lb = bo.owner.call(path::<GetRoutingLists>(), &[]).await.json();
    assert!(la["schedules"].to_string().contains("Closed today"), "{la}");
    assert!(!lb.to_string().contains("Closed today"), "{lb}");
    let pb = page(&mut bo.owner).await;
    assert!(pb["queues"].as_array().unwrap().is_empty());
    assert!(pb["agents"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["email"] != "lee@a.test"));
    let mut steal = email_q["form"].clone();
    steal["name"] = json!("Stolen");
    let r = bo
        .owner
        .call_json(path::<SaveQueue>(), &json!({"form": steal}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = bo
        .owner
        .call(path::<DeleteQueue>(), &[("id", &email_q["id"].to_string())])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = bo
        .owner
        .call(
            path::<MoveQueue>(),
            &[("id", &email_q["id"].to_string()), ("up", "false")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = bo
        .owner
        .call_json(
            path::<SaveAgentRouting>(),
            &json!({"form": {"user_id": lee_id, "skills": ["x"], "capacity": []}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let mut own = queue("B queue", &[], &[], "round_robin");
    own["schedule_id"] = json!(sched);
    let r = bo
        .owner
        .call_json(path::<SaveQueue>(), &json!({"form": own}))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "A's schedule: {}",
        r.body
    );

    let r = a
        .owner
        .call(path::<DeleteQueue>(), &[("id", &email_q["id"].to_string())])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        page(&mut a.owner).await["queues"].as_array().unwrap().len(),
        2
    );
    app.finish().await;
}

/// 30 emails at once into a round-robin queue of three: ten each.
async fn round_robin_is_fair_under_concurrent_arrivals(b: Backend) {
    let app = TestApp::new(b).await;
    let mut a = workspace(&app, "alice@a.test", "Workspace A").await;
    add_member(&app, &mut a.owner, "sam@a.test", "agent").await;
    add_member(&app, &mut a.owner, "lee@a.test", "agent").await;
    for email in ["alice@a.test", "sam@a.test", "lee@a.test"] {
        let id = user_id(&mut a.owner, email).await;
        save_agent(&mut a.owner, id, &[], &[("email", 200)]).await;
    }
    save_queue(&mut a.owner, &queue("All", &[], &[], "round_robin")).await;
    let mut tasks = Vec::new();
    for n in 0..30 {
        let state = app.state.clone();
        let ws = a.id;
        tasks.push(tokio::spawn(async move {
            let mut m = InboundMessage::new(
                Channel::Email,
                format!("fair:{n}"),
                Sender {
                    kind: IdentifierKind::Email,
                    value: format!("c{n}@customer.test"),
                    name: None,
                },
                "Hello".into(),
            );
            m.subject = format!("Question {n}");
            inbound::receive(&state, Scoped::new(ws), m)
                .await
                .unwrap()
                .conversation_id
        }));
    }
    let mut per: std::collections::HashMap<i32, usize> = std::collections::HashMap::new();
    for t in tasks {
        let id = t.await.unwrap();
        *per.entry(conv(&app, id).await.assignee_id.unwrap())
            .or_default() += 1;
    }
    let mut counts: Vec<usize> = per.values().copied().collect();
    counts.sort_unstable();
    assert_eq!(counts, vec![10, 10, 10], "{per:?}");
    app.finish().await;
}

/// The AI agent answers first; its hand-over is routed by the queues.
async fn the_ai_hand_over_goes_through_routing(b: Backend) {
    let app = TestApp::new(b).await;
    let mut a = workspace(&app, "alice@a.test", "Workspace A").await;
    add_member(&app, &mut a.owner, "sam@a.test", "agent").await;
    let sam_id = user_id(&mut a.owner, "sam@a.test").await;
    save_agent(&mut a.owner, sam_id, &["product:tents"], &[]).await;
    app::services::ai::settings::enable_builtin(&app.state.db, Scoped::new(a.id), &["chat"])
        .await
        .unwrap();
    let q = save_queue(
        &mut a.owner,
        &queue("Chats", &["chat"], &["product:tents"], "load_balanced"),
    )
    .await;
    let id = arrive(
        &app,
        a.id,
        Channel::Chat,
        "tina",
        "Can I talk to a real person about my tent?",
    )
    .await;
    let before = conv(&app, id).await;
    assert_eq!(before.assignee_id, None, "the AI agent answers first");
    assert_eq!(before.queue_id, None);
    app.run_jobs().await;
    let after = conv(&app, id).await;
    assert_eq!(after.ai_state.as_deref(), Some("escalated"));
    assert_eq!(
        after.assignee_id,
        Some(i32::try_from(sam_id).unwrap()),
        "{after:?}"
    );
    assert_eq!(
        after.queue_id,
        Some(i32::try_from(q["id"].as_i64().unwrap()).unwrap())
    );
    app.finish().await;
}

backend_tests!(
    queues_route_by_skills_capacity_and_status,
    round_robin_is_fair_under_concurrent_arrivals,
    the_ai_hand_over_goes_through_routing
);
