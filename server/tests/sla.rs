//! Business hours and SLAs (issue 14): schedules and policies checked and kept
//! apart, a ticket's targets from the first matching policy in business hours,
//! re-picked when the priority changes, the first reply meeting its target, the
//! next-reply clock, the sweep's warnings and breaches (once per target) and a
//! rule acting on a breach. Both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::serverfns::auth::GetSession;
use app::serverfns::hours::{DeleteSchedule, DeleteSlaPolicy, GetSla, SaveSchedule, SaveSlaPolicy};
use app::serverfns::inbox::{GetConversation, SendMessage, UpdateConversation};
use app::serverfns::rules::SaveRule;
use app::services::channels::inbound::{self, InboundMessage, Sender};
use app::services::hours::{self, calc, sla};
use app::services::tenancy::{Scoped, System};
use app::types::{Channel, IdentifierKind};
use axum::http::StatusCode;
use common::{fns::path, sign_up, Backend, Client, TestApp};
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

async fn email(app: &TestApp, ws: &Ws, who: &str, text: &str, into: Option<i32>) -> (i32, i32) {
    let mut m = InboundMessage::new(
        Channel::Email,
        format!("test:{who}:{}", uuid::Uuid::new_v4().simple()),
        Sender {
            kind: IdentifierKind::Email,
            value: format!("{who}@customer.test"),
            name: Some(format!("{who} Customer")),
        },
        text.to_owned(),
    );
    m.subject = text.chars().take(40).collect();
    m.thread.conversation_id = into;
    let r = inbound::receive(&app.state, Scoped::new(ws.id), m)
        .await
        .unwrap();
    (r.conversation_id, r.conversation_number)
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

fn weekdays(open: &str, close: &str) -> Value {
    json!((0..5)
        .map(|d| json!({"day": d, "open": open, "close": close}))
        .collect::<Vec<_>>())
}

fn new_york() -> Value {
    json!({
        "id": null, "name": "US support", "time_zone": "America/New_York",
        "hours": weekdays("09:00", "17:00"),
        "holidays": [{"date": "2026-12-25", "name": "Christmas Day"}],
    })
}

fn policy(
    name: &str,
    priorities: &[&str],
    schedule: Option<i64>,
    first: i32,
    next: i32,
    res: i32,
) -> Value {
    json!({
        "id": null, "name": name, "priorities": priorities, "tag": "",
        "schedule_id": schedule, "first_response_mins": first,
        "next_response_mins": next, "resolution_mins": res,
        "warn_mins": 15, "enabled": true,
    })
}

async fn sla_targets_follow_policies_in_business_hours(b: Backend) {
    let app = TestApp::new(b).await;
    let mut a = workspace(&app, "alice@a.test", "Workspace A").await;
    let mut bo = workspace(&app, "bob@b.test", "Workspace B").await;

    // Bad input names the field and saves nothing.
    let mut bad = new_york();
    bad["time_zone"] = json!("Mars/Olympus_Mons");
    let r = a
        .owner
        .call_json(path::<SaveSchedule>(), &json!({"form": bad}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("is not a time zone"), "{}", r.body);
    let mut bad = new_york();
    bad["hours"][0]["close"] = json!("25:00");
    let r = a
        .owner
        .call_json(path::<SaveSchedule>(), &json!({"form": bad}))
        .await;
    assert!(
        r.body.contains("Monday: “25:00” is not a time"),
        "{}",
        r.body
    );
    let mut bad = new_york();
    bad["holidays"][0]["date"] = json!("25/12/2026");
    let r = a
        .owner
        .call_json(path::<SaveSchedule>(), &json!({"form": bad}))
        .await;
    assert!(r.body.contains("Holiday “Christmas Day”"), "{}", r.body);
    let r = a
        .owner
        .call_json(
            path::<SaveSlaPolicy>(),
            &json!({"form": policy("Nothing", &[], None, 0, 0, 0)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        a.owner.call(path::<GetSla>(), &[]).await.json()["schedules"],
        json!([])
    );

    let r = a
        .owner
        .call_json(path::<SaveSchedule>(), &json!({"form": new_york()}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["summary"], "Mon–Fri 09:00–17:00");
    let ny = r.json()["id"].as_i64().unwrap();
    let r = a
        .owner
        .call_json(
            path::<SaveSlaPolicy>(),
            &json!({"form": policy("Urgent", &["urgent"], None, 60, 120, 480)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = a
        .owner
        .call_json(
            path::<SaveSlaPolicy>(),
            &json!({"form": policy("Standard", &[], Some(ny), 240, 480, 2880)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let standard = r.json()["id"].as_i64().unwrap();

    // The rules' clock facts: open or closed, weekday and hour in the ticket's
    // schedule (the workspace's first without a policy), holidays closed.
    let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    let clock = |p: Option<i32>, t: &str| {
        let t = at(t);
        let db = app.state.db.clone();
        let scope = Scoped::new(a.id);
        async move { hours::clock_at(&db, scope, p, t).await.unwrap() }
    };
    let std_id = Some(i32::try_from(standard).unwrap());
    assert_eq!(
        clock(std_id, "2026-12-07T15:00:00Z").await,
        (true, "monday", 10)
    );
    assert_eq!(
        clock(std_id, "2026-12-07T23:30:00Z").await,
        (false, "monday", 18)
    );
    assert_eq!(
        clock(None, "2026-12-25T15:00:00Z").await,
        (false, "friday", 10),
        "Christmas"
    );
    assert_eq!(
        clock(std_id, "2026-12-12T15:00:00Z").await,
        (false, "saturday", 10)
    );

    // Workspace B sees none of it, changes none of it, cannot use A's schedule.
    let p = bo.owner.call(path::<GetSla>(), &[]).await.json();
    assert_eq!(p["schedules"], json!([]));
    assert_eq!(p["policies"], json!([]));
    let mut steal = new_york();
    steal["id"] = json!(ny);
    let r = bo
        .owner
        .call_json(path::<SaveSchedule>(), &json!({"form": steal}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = bo
        .owner
        .call_json(
            path::<SaveSlaPolicy>(),
            &json!({"form": policy("Mine", &[], Some(ny), 60, 60, 60)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = bo
        .owner
        .call(path::<DeleteSchedule>(), &[("id", &ny.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = bo
        .owner
        .call(path::<DeleteSlaPolicy>(), &[("id", &standard.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // A schedule in use is not deleted.
    let r = a
        .owner
        .call(path::<DeleteSchedule>(), &[("id", &ny.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

    // A normal ticket gets the standard policy: 4 business hours in New York.
    let (cid, number) = email(&app, &a, "carl", "Where is my order?", None).await;
    let c = conv(&app, cid).await;
    let sched = calc::Schedule::new(
        "America/New_York",
        std::array::from_fn(|d| if d < 5 { vec![(540, 1020)] } else { vec![] }),
        ["2026-12-25".parse().unwrap()],
    )
    .unwrap();
    assert_eq!(c.sla_policy_id, Some(i32::try_from(standard).unwrap()));
    assert_eq!(
        c.first_response_due_at,
        sla::due(&sched, c.created_at, Some(240))
    );
    assert_eq!(
        c.resolution_due_at,
        sla::due(&sched, c.created_at, Some(2880))
    );
    let d = a
        .owner
        .call(
            path::<GetConversation>(),
            &[("number", &number.to_string())],
        )
        .await
        .json();
    assert_eq!(d["row"]["sla"]["m"], "first_response", "{d}");
    assert_eq!(d["row"]["sla"]["p"], "Standard");

    // Urgent: the urgent policy, around the clock, from the ticket's creation.
    a.owner
        .call(
            path::<UpdateConversation>(),
            &[
                ("conversation_id", &cid.to_string()),
                ("field", "priority"),
                ("value", "urgent"),
            ],
        )
        .await;
    let c = conv(&app, cid).await;
    assert_eq!(
        c.first_response_due_at.map(|d| d.timestamp()),
        Some(c.created_at.timestamp() + 3600)
    );

    // The first reply meets its target; the clock moves to the resolution.
    let r = a
        .owner
        .call(
            path::<SendMessage>(),
            &[
                ("conversation_id", &cid.to_string()),
                ("kind", "reply"),
                ("body", "On its way!"),
                ("attachment_ids", ""),
                ("force", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let d = a
        .owner
        .call(
            path::<GetConversation>(),
            &[("number", &number.to_string())],
        )
        .await
        .json();
    assert_eq!(d["row"]["sla"]["m"], "resolution", "{d}");

    // The customer writes again: the next-reply clock (2 h) is now the nearest.
    email(&app, &a, "carl", "Thanks, and the invoice?", Some(cid)).await;
    let c = conv(&app, cid).await;
    let next = c.next_response_due_at.expect("next reply due");
    let d = a
        .owner
        .call(
            path::<GetConversation>(),
            &[("number", &number.to_string())],
        )
        .await
        .json();
    assert_eq!(d["row"]["sla"]["m"], "next_response", "{d}");

    // A rule acts on breaches.
    let rule = json!({
        "id": null, "name": "Breached", "description": "", "kind": "trigger",
        "events": ["sla_breached"],
        "conditions": {"kind": "group", "any": false, "items": []},
        "actions": [{"kind": "add_tags", "tags": ["sla-breached"]}],
        "enabled": true,
    });
    let r = a
        .owner
        .call_json(path::<SaveRule>(), &json!({"form": rule}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // The sweep: a warning 10 minutes before, a breach just after, each once.
    let (w, br) = sla::sweep_now(&app.state, next - chrono::Duration::minutes(10))
        .await
        .unwrap();
    assert_eq!((w, br), (1, 0));
    let (w, br) = sla::sweep_now(&app.state, next - chrono::Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!((w, br), (0, 0), "warned once");
    let (w, br) = sla::sweep_now(&app.state, next + chrono::Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!((w, br), (0, 1));
    let (_, br) = sla::sweep_now(&app.state, next + chrono::Duration::minutes(2))
        .await
        .unwrap();
    assert_eq!(br, 0, "breached once");
    let d = a
        .owner
        .call(
            path::<GetConversation>(),
            &[("number", &number.to_string())],
        )
        .await
        .json();
    assert!(
        d["row"]["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("sla-breached")),
        "{d}"
    );
    app.finish().await;
}

/// Pending and on hold stop the resolution clock; open again, it resumes with
/// the time that was left.
async fn the_resolution_clock_pauses_while_pending(b: Backend) {
    use sea_orm::sea_query::Expr;
    let app = TestApp::new(b).await;
    let mut a = workspace(&app, "alice@a.test", "Workspace A").await;
    let r = a
        .owner
        .call_json(
            path::<SaveSlaPolicy>(),
            &json!({"form": {
                "id": null, "name": "Around the clock", "priorities": [], "tag": "",
                "schedule_id": null, "first_response_mins": null,
                "next_response_mins": null, "resolution_mins": 600,
                "warn_mins": 15, "enabled": true,
            }}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (cid, number) = email(&app, &a, "pia", "My order is late", None).await;
    let due = conv(&app, cid).await.resolution_due_at.unwrap();
    let id = cid.to_string();
    let r = a
        .owner
        .call(
            path::<UpdateConversation>(),
            &[
                ("conversation_id", &id),
                ("field", "status"),
                ("value", "pending"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let c = conv(&app, cid).await;
    assert!(c.sla_paused_at.is_some());
    let d = a
        .owner
        .call(
            path::<GetConversation>(),
            &[("number", &number.to_string())],
        )
        .await
        .json();
    assert_eq!(
        (d["row"]["sla"]["m"].clone(), d["row"]["sla"]["z"].clone()),
        (json!("resolution"), json!(true)),
        "{d}"
    );
    // Paused for two hours (moved back in time here), then open again: the
    // target moves two hours later; the sweep never breaches a paused clock.
    let paused = chrono::Utc::now() - chrono::Duration::hours(2);
    System::new("t")
        .update_many::<conversation::Entity>()
        .col_expr(conversation::Column::SlaPausedAt, Expr::value(paused))
        .filter(conversation::Column::Id.eq(cid))
        .exec(&app.state.db)
        .await
        .unwrap();
    let (_, br) = sla::sweep_now(&app.state, due + chrono::Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(br, 0, "paused clocks do not breach");
    let r = a
        .owner
        .call(
            path::<UpdateConversation>(),
            &[
                ("conversation_id", &id),
                ("field", "status"),
                ("value", "open"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let c = conv(&app, cid).await;
    assert!(c.sla_paused_at.is_none());
    let moved = (c.resolution_due_at.unwrap() - due).num_seconds();
    assert!((7190..=7210).contains(&moved), "moved by {moved} s");
    app.finish().await;
}

backend_tests!(
    sla_targets_follow_policies_in_business_hours,
    the_resolution_clock_pauses_while_pending
);
