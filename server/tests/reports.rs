//! The report builder (issue 16, SPEC C8.1): every metric computed on a small
//! hand-made data set with known answers, grouped by time (in the viewer's
//! zone), by dimension and by tag, split into series, filtered; the drill-down
//! returns exactly the conversations a point counts; saved reports are checked,
//! personal or shared, and kept apart per workspace. Both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::serverfns::auth::GetSession;
use app::serverfns::reports::{
    CreateDashboard, DeleteDashboard, DeleteReport, DrillReport, ExportReport, GetBoard,
    GetCustomerInsights, GetDashboards, GetDigest, GetExports, GetHomeWidgets, GetLiveBoard,
    GetPredictionCheck, GetReportsPage, RunReport, SaveDashboard, SaveReport, ScheduleReport,
    ShareDashboard, UnscheduleReport,
};
use app::services::channels::inbound::{self, InboundMessage, Sender};
use app::services::tenancy::{global_update, Scoped};
use app::types::{Channel, IdentifierKind};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, FixedOffset, Utc};
use common::{add_member, fns::path, sign_up, Backend, Client, TestApp};
use entity::{
    conversation, conversation_tag, csat_response, digest, membership, message, notification, tag,
    user,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, Set};
use serde_json::{json, Value};
use std::collections::BTreeMap;

struct Ws {
    owner: Client,
    id: i32,
    user_id: i32,
}

async fn workspace(app: &TestApp, email: &str, name: &str) -> Ws {
    let mut owner = sign_up(app, "Olga Owner", email, name).await;
    let s = owner.call(path::<GetSession>(), &[]).await.json();
    Ws {
        owner,
        id: i32::try_from(s["workspace"]["id"].as_i64().unwrap()).unwrap(),
        user_id: i32::try_from(s["user_id"].as_i64().unwrap()).unwrap(),
    }
}

/// One hand-made conversation: what the report reads.
#[derive(Default)]
struct Fact {
    created: Option<DateTime<Utc>>,
    channel: &'static str,
    priority: &'static str,
    status: &'static str,
    mine: bool,
    first_reply_secs: Option<i64>,
    solve_secs: Option<i64>,
    rating: Option<i32>,
    tags: &'static [&'static str],
    ai_resolved: bool,
    sla: Option<bool>,
    replies: usize,
}

/// Creates the conversation through the inbound pipeline, then sets what the
/// report reads; returns its number.
async fn make(app: &TestApp, ws: &Ws, tags: &BTreeMap<&str, i32>, i: usize, f: &Fact) -> i32 {
    let db = &app.state.db;
    let scope = Scoped::new(ws.id);
    let mut m = InboundMessage::new(
        Channel::Email,
        format!("test:{i}:{}", uuid::Uuid::new_v4().simple()),
        Sender {
            kind: IdentifierKind::Email,
            value: format!("c{i}@customer.test"),
            name: Some(format!("Customer {i}")),
        },
        format!("Question number {i}"),
    );
    m.subject = format!("Question {i}");
    let r = inbound::receive(&app.state, scope, m).await.unwrap();
    let created = f.created.unwrap();
    let at = |s: Option<i64>| s.map(|s| created + Duration::seconds(s));
    scope
        .update_many::<conversation::Entity>()
        .filter(conversation::Column::Id.eq(r.conversation_id))
        .set(conversation::ActiveModel {
            created_at: Set(created),
            channel: Set(f.channel.to_owned()),
            priority: Set(f.priority.to_owned()),
            status: Set(f.status.to_owned()),
            assignee_id: Set(f.mine.then_some(ws.user_id)),
            first_response_at: Set(at(f.first_reply_secs)),
            solved_at: Set(at(f.solve_secs)),
            ai_state: Set(f.ai_resolved.then(|| "resolved".to_owned())),
            ai_resolved_at: Set(f.ai_resolved.then_some(created)),
            sla_policy_id: Set(f.sla.map(|_| 1)),
            sla_breached_at: Set(f.sla.filter(|b| *b).map(|_| created)),
            ..Default::default()
        })
        .exec(db)
        .await
        .unwrap();
    if let Some(rating) = f.rating {
        csat_response::ActiveModel {
            workspace_id: Set(ws.id),
            conversation_id: Set(r.conversation_id),
            customer_id: Set(r.customer_id),
            rating: Set(rating),
            comment: Set(None),
            created_at: Set(created),
            updated_at: Set(created),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
    }
    for t in f.tags {
        conversation_tag::ActiveModel {
            workspace_id: Set(ws.id),
            conversation_id: Set(r.conversation_id),
            tag_id: Set(tags[t]),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
    }
    for n in 0..f.replies {
        message::ActiveModel {
            workspace_id: Set(ws.id),
            conversation_id: Set(r.conversation_id),
            kind: Set("reply".into()),
            direction: Set("outbound".into()),
            author_user_id: Set(Some(ws.user_id)),
            body_html: Set(format!("<p>Reply {n}</p>")),
            body_text: Set(format!("Reply {n}")),
            delivery_status: Set("sent".into()),
            created_at: Set(created + Duration::seconds(60)),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
    }
    r.conversation_number
}

/// Runs a report; the JSON result.
async fn run(c: &mut Client, spec: Value) -> Value {
    let r = c
        .call_json(path::<RunReport>(), &json!({ "spec": spec }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

fn spec(metric: &str, group: &str) -> Value {
    json!({"metric": metric, "group": group, "split": "none", "days": 30, "chart": "bar", "filters": {}})
}

/// `label → value` of a one-series report.
fn values(r: &Value) -> BTreeMap<String, Option<f64>> {
    r["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["label"].as_str().unwrap().to_owned(), p["value"].as_f64()))
        .collect()
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 0.01)
}

/// The numbers a drill-down lists, sorted.
async fn drill(c: &mut Client, spec: Value, key: &str, series: &str) -> (u64, Vec<i64>) {
    let r = c
        .call_json(
            path::<DrillReport>(),
            &json!({"spec": spec, "key": key, "series": series}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    let mut n: Vec<i64> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["number"].as_i64().unwrap())
        .collect();
    n.sort_unstable();
    (v["total"].as_u64().unwrap(), n)
}

#[allow(clippy::too_many_lines)]
async fn every_metric_matches_a_hand_made_data_set(b: Backend) {
    let app = TestApp::new(b).await;
    let mut a = workspace(&app, "alice@a.test", "Workspace A").await;
    let db = &app.state.db;
    let mut tags = BTreeMap::new();
    for name in ["billing", "vip"] {
        let t = tag::ActiveModel {
            workspace_id: Set(a.id),
            name: Set(name.to_owned()),
            color: Set("#888888".to_owned()),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
        tags.insert(name, t.id);
    }
    let midnight = Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let day_a = midnight - Duration::days(2) + Duration::hours(10);
    let day_b = midnight - Duration::days(1) + Duration::hours(10);
    let late_b = midnight - Duration::days(1) + Duration::hours(20);
    let facts = [
        Fact {
            created: Some(day_a),
            channel: "email",
            priority: "high",
            status: "solved",
            mine: true,
            first_reply_secs: Some(600),
            solve_secs: Some(3600),
            rating: Some(5),
            tags: &["billing"],
            sla: Some(false),
            replies: 2,
            ..Fact::default()
        },
        Fact {
            created: Some(day_a),
            channel: "email",
            priority: "normal",
            status: "open",
            first_reply_secs: Some(1200),
            tags: &["billing", "vip"],
            sla: Some(true),
            replies: 1,
            ..Fact::default()
        },
        Fact {
            created: Some(day_a),
            channel: "chat",
            priority: "high",
            status: "new",
            mine: true,
            ai_resolved: true,
            ..Fact::default()
        },
        Fact {
            created: Some(day_b),
            channel: "chat",
            priority: "normal",
            status: "solved",
            first_reply_secs: Some(1800),
            solve_secs: Some(7200),
            rating: Some(2),
            tags: &["vip"],
            sla: Some(false),
            replies: 3,
            ..Fact::default()
        },
        Fact {
            created: Some(late_b),
            channel: "web_form",
            priority: "low",
            status: "closed",
            mine: true,
            first_reply_secs: Some(300),
            solve_secs: Some(600),
            rating: Some(4),
            ai_resolved: true,
            replies: 1,
            ..Fact::default()
        },
        // Before the period: never counted.
        Fact {
            created: Some(midnight - Duration::days(40)),
            channel: "email",
            priority: "high",
            status: "open",
            ..Fact::default()
        },
    ];
    let mut n = Vec::new();
    for (i, f) in facts.iter().enumerate() {
        n.push(i64::from(make(&app, &a, &tags, i, f).await));
    }

    // Every metric over the whole period.
    for (metric, total, count) in [
        ("tickets", 5.0, 5),
        ("first_response", 975.0, 4),
        ("resolution", 3800.0, 3),
        ("replies", 1.4, 5),
        ("csat", 200.0 / 3.0, 3),
        ("sla", 200.0 / 3.0, 3),
        ("ai_resolution", 40.0, 5),
        ("backlog", 2.0, 2),
    ] {
        let r = run(&mut a.owner, spec(metric, "none")).await;
        let p = &r["points"][0];
        assert!(close(p["value"].as_f64(), total), "{metric}: {p}");
        assert_eq!(p["count"], count, "{metric}: {p}");
        assert_eq!(r["total_count"], count, "{metric}");
    }
    let r = run(&mut a.owner, spec("first_response", "none")).await;
    assert_eq!(r["total"], "16m 15s");
    let r = run(&mut a.owner, spec("resolution", "none")).await;
    assert_eq!(r["total"], "1h 3m");

    // By channel, agent, priority; a tag counts a conversation under each of
    // its tags, and the total counts it once.
    let r = run(&mut a.owner, spec("tickets", "channel")).await;
    assert_eq!(
        values(&r),
        BTreeMap::from([
            ("Chat".into(), Some(2.0)),
            ("Email".into(), Some(2.0)),
            ("Web form".into(), Some(1.0))
        ])
    );
    let r = run(&mut a.owner, spec("first_response", "channel")).await;
    let v = values(&r);
    assert!(
        close(v["Email"], 900.0) && close(v["Chat"], 1800.0) && close(v["Web form"], 300.0),
        "{v:?}"
    );
    let r = run(&mut a.owner, spec("tickets", "agent")).await;
    assert_eq!(
        values(&r),
        BTreeMap::from([
            ("Olga Owner".into(), Some(3.0)),
            ("Unassigned".into(), Some(2.0))
        ])
    );
    let r = run(&mut a.owner, spec("tickets", "tag")).await;
    assert_eq!(
        values(&r),
        BTreeMap::from([
            ("billing".into(), Some(2.0)),
            ("vip".into(), Some(2.0)),
            ("No tag".into(), Some(2.0))
        ])
    );
    assert_eq!(r["total_count"], 5);
    let r = run(&mut a.owner, spec("csat", "tag")).await;
    let v = values(&r);
    assert!(
        close(v["billing"], 100.0) && close(v["vip"], 0.0) && close(v["No tag"], 100.0),
        "{v:?}"
    );
    let r = run(&mut a.owner, spec("replies", "agent")).await;
    let v = values(&r);
    assert!(
        close(v["Olga Owner"], 1.0) && close(v["Unassigned"], 2.0),
        "{v:?}"
    );

    // By day in UTC, then in Tokyo (+9): the late conversation moves a day on.
    let day = |t: DateTime<Utc>, off: i32| {
        t.with_timezone(&FixedOffset::east_opt(off * 3600).unwrap())
            .format("%Y-%m-%d")
            .to_string()
    };
    let by_day = |r: &Value| -> BTreeMap<String, f64> {
        r["points"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["value"].as_f64() != Some(0.0))
            .map(|p| {
                (
                    p["key"].as_str().unwrap().to_owned(),
                    p["value"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    let daily = json!({"metric": "tickets", "group": "day", "split": "none", "days": 30, "chart": "line", "filters": {}});
    let r = run(&mut a.owner, daily.clone()).await;
    assert_eq!(
        r["points"].as_array().unwrap().len(),
        30,
        "every day of the period, empty ones too"
    );
    assert_eq!(
        by_day(&r),
        BTreeMap::from([(day(day_a, 0), 3.0), (day(day_b, 0), 2.0)])
    );
    global_update::<user::Entity>()
        .filter(user::Column::Id.eq(a.user_id))
        .set(user::ActiveModel {
            timezone: Set(Some("Asia/Tokyo".into())),
            ..Default::default()
        })
        .exec(db)
        .await
        .unwrap();
    let r = run(&mut a.owner, daily.clone()).await;
    assert_eq!(r["zone"], "Asia/Tokyo");
    assert_eq!(
        by_day(&r),
        BTreeMap::from([
            (day(day_a, 9), 3.0),
            (day(day_b, 9), 1.0),
            (day(late_b, 9), 1.0)
        ])
    );
    let (total, got) = drill(&mut a.owner, daily, &day(late_b, 9), "").await;
    assert_eq!(
        (total, got),
        (1, vec![n[4]]),
        "the day's drill-down is the conversation it counts"
    );

    // Split into series: channel × priority, stacked.
    let stacked = json!({"metric": "tickets", "group": "channel", "split": "priority", "days": 30, "chart": "stacked", "filters": {}});
    let r = run(&mut a.owner, stacked.clone()).await;
    let cells: BTreeMap<(String, String), f64> = r["points"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| {
            Some((
                (
                    p["key"].as_str()?.to_owned(),
                    p["series"].as_str()?.to_owned(),
                ),
                p["value"].as_f64()?,
            ))
        })
        .filter(|(_, v)| *v > 0.0)
        .collect();
    assert_eq!(cells.len(), 5, "{cells:?}");
    assert_eq!(cells[&("email".to_owned(), "high".to_owned())], 1.0);
    let chart: Value = serde_json::from_str(r["chart"].as_str().unwrap()).unwrap();
    assert_eq!(chart["series"][0]["stack"], "total", "{chart}");
    assert_eq!(
        drill(&mut a.owner, stacked, "chat", "normal").await,
        (1, vec![n[3]])
    );

    // Filters.
    let mut chat = spec("tickets", "none");
    chat["filters"] = json!({"channel": "chat"});
    assert_eq!(run(&mut a.owner, chat).await["total_count"], 2);
    let mut vip = spec("tickets", "channel");
    vip["filters"] = json!({"tag_id": tags["vip"]});
    assert_eq!(
        values(&run(&mut a.owner, vip).await),
        BTreeMap::from([("Chat".into(), Some(1.0)), ("Email".into(), Some(1.0))])
    );

    // Drill-down: exactly the conversations each point counts.
    assert_eq!(
        drill(&mut a.owner, spec("tickets", "channel"), "email", "").await,
        (2, vec![n[0], n[1]])
    );
    assert_eq!(
        drill(&mut a.owner, spec("resolution", "channel"), "email", "").await,
        (1, vec![n[0]])
    );
    assert_eq!(
        drill(
            &mut a.owner,
            spec("tickets", "tag"),
            &tags["vip"].to_string(),
            ""
        )
        .await,
        (2, vec![n[1], n[3]])
    );
    assert_eq!(
        drill(&mut a.owner, spec("tickets", "tag"), "none", "").await,
        (2, vec![n[2], n[4]])
    );
    assert_eq!(
        drill(&mut a.owner, spec("tickets", "agent"), "none", "").await,
        (2, vec![n[1], n[3]])
    );
    assert_eq!(
        drill(&mut a.owner, spec("csat", "none"), "all", "").await,
        (3, vec![n[0], n[3], n[4]])
    );
    assert_eq!(
        drill(&mut a.owner, spec("sla", "none"), "all", "").await,
        (3, vec![n[0], n[1], n[3]])
    );
    assert_eq!(
        drill(&mut a.owner, spec("backlog", "priority"), "high", "").await,
        (1, vec![n[2]])
    );
    let r = a
        .owner
        .call_json(
            path::<DrillReport>(),
            &json!({"spec": spec("first_response", "channel"), "key": "email", "series": ""}),
        )
        .await;
    let rows = r.json();
    let values_shown: Vec<&str> = rows["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["value"].as_str().unwrap())
        .collect();
    assert!(
        values_shown.contains(&"10m 0s") && values_shown.contains(&"20m 0s"),
        "{values_shown:?}"
    );

    // A pie and a table draw the same points.
    let mut pie = spec("tickets", "channel");
    pie["chart"] = json!("pie");
    let chart: Value =
        serde_json::from_str(run(&mut a.owner, pie).await["chart"].as_str().unwrap()).unwrap();
    assert_eq!(chart["series"][0]["type"], "pie");
    assert_eq!(chart["series"][0]["data"].as_array().unwrap().len(), 3);
    let mut table = spec("tickets", "channel");
    table["chart"] = json!("table");
    assert_eq!(
        run(&mut a.owner, table).await["chart"],
        "",
        "a table needs no chart"
    );
}

async fn reports_are_checked_saved_and_kept_apart(b: Backend) {
    let app = TestApp::new(b).await;
    let mut a = workspace(&app, "alice@a.test", "Workspace A").await;
    let mut bo = workspace(&app, "bob@b.test", "Workspace B").await;
    let tags = BTreeMap::new();
    let now = Utc::now() - Duration::minutes(5);
    let number = make(
        &app,
        &a,
        &tags,
        1,
        &Fact {
            created: Some(now),
            channel: "email",
            priority: "normal",
            status: "open",
            ..Fact::default()
        },
    )
    .await;
    let b_tag = tag::ActiveModel {
        workspace_id: Set(bo.id),
        name: Set("theirs".to_owned()),
        color: Set("#888888".to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();

    // Bad definitions: a 422 naming what to change.
    for (change, says) in [
        (json!({"days": 0}), "Choose a period of 1 to 366 days."),
        (
            json!({"group": "hour"}),
            "Grouping by hour covers at most 14 days",
        ),
        (json!({"chart": "stacked"}), "A stacked bar needs series"),
        (
            json!({"split": "day"}),
            "Split series by agent, team, channel, priority or tag.",
        ),
        (
            json!({"chart": "pie", "group": "none"}),
            "A pie needs slices",
        ),
        (
            json!({"filters": {"channel": "carrier-pigeon"}}),
            "Choose a channel from the list.",
        ),
        (
            json!({"filters": {"tag_id": b_tag.id}}),
            "That tag does not exist",
        ),
    ] {
        let mut s = spec("tickets", "channel");
        for (k, v) in change.as_object().unwrap() {
            s[k] = v.clone();
        }
        let r = a
            .owner
            .call_json(path::<RunReport>(), &json!({"spec": s}))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{change}: {}",
            r.body
        );
        assert!(r.body.contains(says), "{change}: {}", r.body);
    }
    let r = a
        .owner
        .call_json(
            path::<DrillReport>(),
            &json!({"spec": spec("tickets", "agent"), "key": "nobody", "series": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    // Another workspace counts none of A's conversations.
    assert_eq!(
        run(&mut a.owner, spec("tickets", "none")).await["total_count"],
        1
    );
    assert_eq!(
        run(&mut bo.owner, spec("tickets", "none")).await["total_count"],
        0
    );
    assert_eq!(
        drill(&mut bo.owner, spec("tickets", "none"), "all", "").await,
        (0, vec![])
    );
    assert_eq!(
        drill(&mut a.owner, spec("tickets", "none"), "all", "").await,
        (1, vec![i64::from(number)])
    );

    // Saving: checked, personal or shared.
    let save = |name: &str, shared: bool, id: Option<i64>| json!({"form": {"id": id, "name": name, "spec": spec("tickets", "channel"), "shared": shared}});
    let r = a
        .owner
        .call_json(path::<SaveReport>(), &save("  ", false, None))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Name the report."), "{}", r.body);
    let mut bad = save("Bad", false, None);
    bad["form"]["spec"]["days"] = json!(999);
    let r = a.owner.call_json(path::<SaveReport>(), &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let mine = a
        .owner
        .call_json(path::<SaveReport>(), &save("Mine", false, None))
        .await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    let mine = mine.json()["id"].as_i64().unwrap();
    let shared = a
        .owner
        .call_json(path::<SaveReport>(), &save("Volume by channel", true, None))
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let r = a
        .owner
        .call_json(path::<SaveReport>(), &save("Mine", false, None))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(
        r.body.contains("A report named “Mine” exists"),
        "{}",
        r.body
    );

    // An agent sees shared reports, not others' personal ones; cannot change
    // shared ones, and can save their own.
    let mut agent = add_member(&app, &mut a.owner, "sam@a.test", "agent").await;
    let names = |v: Value| -> Vec<String> {
        v["saved"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(agent.call(path::<GetReportsPage>(), &[]).await.json()),
        vec!["Volume by channel"]
    );
    let r = agent
        .call(path::<DeleteReport>(), &[("id", &shared.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = agent
        .call_json(path::<SaveReport>(), &save("Team view", true, None))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = agent
        .call(path::<DeleteReport>(), &[("id", &mine.to_string())])
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "another's personal report: {}",
        r.body
    );
    let r = agent
        .call_json(path::<SaveReport>(), &save("Mine", false, None))
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "names clash only among reports you see: {}",
        r.body
    );
    assert_eq!(
        names(agent.call(path::<GetReportsPage>(), &[]).await.json()),
        vec!["Mine", "Volume by channel"]
    );

    // Another workspace lists, changes and deletes none of A's reports.
    assert!(names(bo.owner.call(path::<GetReportsPage>(), &[]).await.json()).is_empty());
    let r = bo
        .owner
        .call(path::<DeleteReport>(), &[("id", &shared.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = bo
        .owner
        .call_json(
            path::<SaveReport>(),
            &save("Taken over", true, Some(shared)),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    // Owners rename and delete.
    let r = a
        .owner
        .call_json(path::<SaveReport>(), &save("Channels", true, Some(shared)))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = a
        .owner
        .call(path::<DeleteReport>(), &[("id", &mine.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        names(a.owner.call(path::<GetReportsPage>(), &[]).await.json()),
        vec!["Channels"]
    );
}

async fn dashboards_are_arranged_shared_and_kept_apart(b: Backend) {
    let app = TestApp::new(b).await;
    let mut a = workspace(&app, "alice@a.test", "Workspace A").await;
    let mut bo = workspace(&app, "bob@b.test", "Workspace B").await;
    let tags = BTreeMap::new();
    make(
        &app,
        &a,
        &tags,
        1,
        &Fact {
            created: Some(Utc::now() - Duration::minutes(5)),
            channel: "chat",
            priority: "high",
            status: "open",
            ..Fact::default()
        },
    )
    .await;

    // From a template: every widget computed.
    let r = a
        .owner
        .call(
            path::<CreateDashboard>(),
            &[("name", "Team overview"), ("template", "overview")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let id = r.json().as_i64().unwrap();
    let r = a
        .owner
        .call(
            path::<CreateDashboard>(),
            &[("name", "Team overview"), ("template", "volume")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = a
        .owner
        .call(
            path::<CreateDashboard>(),
            &[("name", "Other"), ("template", "astrology")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let board = a
        .owner
        .call(path::<GetBoard>(), &[("id", &id.to_string())])
        .await
        .json();
    let widgets = board["widgets"].as_array().unwrap();
    assert_eq!(widgets.len(), 6);
    assert!(
        widgets.iter().all(|w| w["result"]["Ok"].is_object()),
        "{board}"
    );
    assert_eq!(
        widgets[0]["result"]["Ok"]["total_count"], 1,
        "the one ticket is counted"
    );

    // Arranging: checked, then kept.
    let mut layout: Vec<Value> = widgets.iter().map(|w| w["widget"].clone()).collect();
    layout[0]["x"] = json!(10);
    let r = a
        .owner
        .call_json(
            path::<SaveDashboard>(),
            &json!({"form": {"id": id, "name": "Team overview", "widgets": layout}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("does not fit the 12 columns"), "{}", r.body);
    layout[0]["x"] = json!(9);
    layout[0]["y"] = json!(6);
    layout.pop();
    let r = a
        .owner
        .call_json(
            path::<SaveDashboard>(),
            &json!({"form": {"id": id, "name": "Support overview", "widgets": layout}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let board = a
        .owner
        .call(path::<GetBoard>(), &[("id", &id.to_string())])
        .await
        .json();
    assert_eq!(board["name"], "Support overview");
    assert_eq!(board["widgets"].as_array().unwrap().len(), 5);
    assert_eq!(
        (
            board["widgets"][0]["widget"]["x"].as_i64(),
            board["widgets"][0]["widget"]["y"].as_i64()
        ),
        (Some(9), Some(6))
    );

    // Agents read dashboards but do not change them.
    let mut agent = add_member(&app, &mut a.owner, "sam@a.test", "agent").await;
    assert_eq!(
        agent
            .call(path::<GetBoard>(), &[("id", &id.to_string())])
            .await
            .status,
        StatusCode::OK
    );
    let r = agent
        .call(
            path::<ShareDashboard>(),
            &[("id", &id.to_string()), ("on", "true")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(
        agent
            .call(path::<GetHomeWidgets>(), &[])
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        6
    );

    // Another workspace sees none of it.
    assert!(
        bo.owner.call(path::<GetDashboards>(), &[]).await.json()["dashboards"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    for r in [
        bo.owner
            .call(path::<GetBoard>(), &[("id", &id.to_string())])
            .await,
        bo.owner
            .call(
                path::<ShareDashboard>(),
                &[("id", &id.to_string()), ("on", "true")],
            )
            .await,
        bo.owner
            .call(path::<DeleteDashboard>(), &[("id", &id.to_string())])
            .await,
        bo.owner
            .call_json(
                path::<SaveDashboard>(),
                &json!({"form": {"id": id, "name": "Mine now", "widgets": []}}),
            )
            .await,
    ] {
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    }
    let home = bo.owner.call(path::<GetHomeWidgets>(), &[]).await.json();
    assert_eq!(
        home[0]["result"]["Ok"]["total_count"], 0,
        "B's home counts B's tickets: {home}"
    );

    // The share link opens signed out, may be framed, and stops when revoked.
    let r = a
        .owner
        .call(
            path::<ShareDashboard>(),
            &[("id", &id.to_string()), ("on", "true")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let link = r.json().as_str().unwrap().to_owned();
    assert!(link.starts_with("/share/dashboards/"), "{link}");
    let mut stranger = app.client();
    let page = stranger.get(&link).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("Support overview") && page.body.contains("Tickets per day"),
        "{}",
        page.body
    );
    assert_eq!(
        page.body.matches("data-testid=\"shared-widget\"").count(),
        5
    );
    let csp = page
        .headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(csp.contains("frame-ancestors *"), "{csp}");
    assert!(page.headers.get("x-frame-options").is_none(), "embeddable");
    assert_eq!(
        stranger
            .get("/share/dashboards/not-a-real-token-at-all-0000000000")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = a
        .owner
        .call(
            path::<ShareDashboard>(),
            &[("id", &id.to_string()), ("on", "false")],
        )
        .await;
    assert_eq!(r.json(), Value::Null);
    assert_eq!(
        stranger.get(&link).await.status,
        StatusCode::NOT_FOUND,
        "a revoked link answers 404"
    );

    // Deleting.
    assert_eq!(
        a.owner
            .call(path::<DeleteDashboard>(), &[("id", &id.to_string())])
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        a.owner
            .call(path::<GetBoard>(), &[("id", &id.to_string())])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn the_live_board_counts_the_floor_now(b: Backend) {
    let app = TestApp::new(b).await;
    let db = &app.state.db;
    let mut ws = workspace(&app, "olga@live.test", "Live A").await;
    let _bea = add_member(&app, &mut ws.owner, "bea@live.test", "agent").await;
    let _lou = add_member(&app, &mut ws.owner, "lou@live.test", "light_agent").await;
    let bea_id = app::services::tenancy::System::new("tests find a member")
        .find::<user::Entity>()
        .filter(user::Column::Email.eq("bea@live.test"))
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let scope = Scoped::new(ws.id);
    for (uid, presence) in [(ws.user_id, "online"), (bea_id, "away")] {
        scope
            .update_many::<membership::Entity>()
            .filter(membership::Column::UserId.eq(uid))
            .col_expr(
                membership::Column::Presence,
                sea_orm::sea_query::Expr::value(presence),
            )
            .exec(db)
            .await
            .unwrap();
    }
    let t = Utc::now();
    let tags = BTreeMap::new();
    let fact = |mins_ago: i64, channel: &'static str, status: &'static str| Fact {
        created: Some(t - Duration::minutes(mins_ago)),
        channel,
        priority: "normal",
        status,
        ..Fact::default()
    };
    // 1: a chat nobody has taken or answered, active a moment ago.
    let new_chat = make(&app, &ws, &tags, 1, &fact(10, "chat", "new")).await;
    // 2: an old chat of Olga's, answered, quiet for two hours.
    let old_chat = make(
        &app,
        &ws,
        &tags,
        2,
        &Fact {
            mine: true,
            first_reply_secs: Some(60),
            ..fact(180, "chat", "open")
        },
    )
    .await;
    // 3: an email waiting in a routing queue for two days: the longest wait.
    let waiting = make(&app, &ws, &tags, 3, &fact(2 * 24 * 60, "email", "open")).await;
    // 4: pending on the customer (not live work); 5: solved half an hour ago.
    make(&app, &ws, &tags, 4, &fact(3 * 24 * 60, "email", "pending")).await;
    make(
        &app,
        &ws,
        &tags,
        5,
        &Fact {
            first_reply_secs: Some(60),
            solve_secs: Some(20 * 60),
            ..fact(50, "email", "solved")
        },
    )
    .await;
    // 6: a web-form ticket of Bea's, answered.
    let beas = make(
        &app,
        &ws,
        &tags,
        6,
        &Fact {
            first_reply_secs: Some(60),
            ..fact(300, "web_form", "open")
        },
    )
    .await;
    let set = |number: i32, am: conversation::ActiveModel| async move {
        scope
            .update_many::<conversation::Entity>()
            .filter(conversation::Column::Number.eq(number))
            .set(am)
            .exec(db)
            .await
            .unwrap();
    };
    set(
        new_chat,
        conversation::ActiveModel {
            last_message_at: Set(t - Duration::minutes(5)),
            ..Default::default()
        },
    )
    .await;
    set(
        old_chat,
        conversation::ActiveModel {
            last_message_at: Set(t - Duration::minutes(120)),
            ..Default::default()
        },
    )
    .await;
    set(
        waiting,
        conversation::ActiveModel {
            queue_id: Set(Some(1)),
            queued_at: Set(Some(t - Duration::days(2))),
            last_message_at: Set(t - Duration::days(2)),
            ..Default::default()
        },
    )
    .await;
    set(
        beas,
        conversation::ActiveModel {
            assignee_id: Set(Some(bea_id)),
            ..Default::default()
        },
    )
    .await;

    // Another workspace's floor never counts.
    let other = workspace(&app, "otto@live.test", "Live B").await;
    make(&app, &other, &tags, 7, &fact(1, "chat", "new")).await;
    make(&app, &other, &tags, 8, &fact(5000, "email", "open")).await;

    let r = ws.owner.call(path::<GetLiveBoard>(), &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    let n = |k: &str| v[k].as_u64().unwrap_or_else(|| panic!("{k}: {v}"));
    assert_eq!(n("unassigned"), 2, "{v}");
    assert_eq!(n("in_routing_queues"), 1, "{v}");
    assert_eq!(n("awaiting_first_reply"), 2, "{v}");
    assert_eq!(n("active_chats"), 1, "{v}");
    assert_eq!(n("opened_last_hour"), 2, "{v}");
    assert_eq!(n("solved_last_hour"), 1, "{v}");
    assert_eq!((n("online"), n("away")), (1, 1), "{v}");
    let wait = &v["longest_wait"];
    assert_eq!(wait["number"], waiting, "{v}");
    let secs = wait["waited_secs"].as_i64().unwrap();
    assert!((2 * 86_400..2 * 86_400 + 120).contains(&secs), "{secs}");
    let channels: Vec<(String, u64, u64, u64)> = v["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["channel"].as_str().unwrap().to_owned(),
                c["open"].as_u64().unwrap(),
                c["unassigned"].as_u64().unwrap(),
                c["awaiting_first_reply"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        channels,
        vec![
            ("chat".to_owned(), 2, 1, 1),
            ("email".to_owned(), 1, 1, 1),
            ("web_form".to_owned(), 1, 0, 0),
        ],
        "{v}"
    );
    // Agents who answer customers (not the light agent), online first.
    let agents: Vec<(String, u64)> = v["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["status"].as_str().unwrap().to_owned(),
                a["open_assigned"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        agents,
        vec![("online".to_owned(), 1), ("away".to_owned(), 1)],
        "{v}"
    );

    // The other workspace sees only its own two tickets.
    let mut other = other;
    let v = other.owner.call(path::<GetLiveBoard>(), &[]).await.json();
    assert_eq!(v["unassigned"], 2, "{v}");
    assert_eq!(v["active_chats"], 1, "{v}");
    assert_eq!(
        v["longest_wait"]["waited_secs"].as_i64().unwrap() / 60,
        5000,
        "{v}"
    );
    app.finish().await;
}

/// Sets a conversation's subject and its first customer message (text and time).
async fn first_message(
    app: &TestApp,
    ws: &Ws,
    number: i32,
    subject: &str,
    body: &str,
    at: DateTime<Utc>,
) {
    let db = &app.state.db;
    let scope = Scoped::new(ws.id);
    let c = scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::Number.eq(number))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    scope
        .update_many::<conversation::Entity>()
        .filter(conversation::Column::Id.eq(c.id))
        .set(conversation::ActiveModel {
            subject: Set(subject.into()),
            ..Default::default()
        })
        .exec(db)
        .await
        .unwrap();
    scope
        .update_many::<message::Entity>()
        .filter(message::Column::ConversationId.eq(c.id))
        .filter(message::Column::Direction.eq("inbound"))
        .set(message::ActiveModel {
            body_text: Set(body.into()),
            created_at: Set(at),
            ..Default::default()
        })
        .exec(db)
        .await
        .unwrap();
}

async fn digests_are_built_once_per_day_and_kept_apart(b: Backend) {
    let app = TestApp::new(b).await;
    let db = &app.state.db;
    let mut ws = workspace(&app, "olga@digest.test", "Digest A").await;
    let _sam = add_member(&app, &mut ws.owner, "sam@digest.test", "agent").await;
    global_update::<user::Entity>()
        .filter(user::Column::Id.eq(ws.user_id))
        .set(user::ActiveModel {
            timezone: Set(Some("UTC".into())),
            ..Default::default()
        })
        .exec(db)
        .await
        .unwrap();
    let actor = app::services::context::load_actor(db, ws.user_id, ws.id)
        .await
        .unwrap();
    switchboard_server::seed::seed_knowledge_base(&app.state, &actor)
        .await
        .unwrap();
    let scope = Scoped::new(ws.id);
    let refund = tag::ActiveModel {
        workspace_id: Set(ws.id),
        name: Set("refund".to_owned()),
        color: Set("#888888".to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    let tags = BTreeMap::from([("refund", refund.id)]);
    // Yesterday in UTC.
    let t = Utc::now();
    let today = t.date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc();
    let start = today - Duration::days(1);
    let h = |hours: i64| start + Duration::minutes(hours * 60);
    let f = |created: DateTime<Utc>, channel: &'static str, status: &'static str| Fact {
        created: Some(created),
        channel,
        priority: "normal",
        status,
        ..Fact::default()
    };
    let c1 = make(
        &app,
        &ws,
        &tags,
        1,
        &Fact {
            first_reply_secs: Some(1800),
            solve_secs: Some(7200),
            tags: &["refund"],
            ..f(h(1), "email", "solved")
        },
    )
    .await;
    let c2 = make(
        &app,
        &ws,
        &tags,
        2,
        &Fact {
            first_reply_secs: Some(5400),
            ..f(h(2), "email", "open")
        },
    )
    .await;
    let c3 = make(
        &app,
        &ws,
        &tags,
        3,
        &Fact {
            first_reply_secs: Some(600),
            solve_secs: Some(3600),
            tags: &["refund"],
            ..f(h(5), "chat", "solved")
        },
    )
    .await;
    // Opened the day before, solved yesterday; and one opened today.
    let c4 = make(
        &app,
        &ws,
        &tags,
        4,
        &Fact {
            solve_secs: Some(2 * 86_400 + 3600),
            ..f(h(-44), "chat", "solved")
        },
    )
    .await;
    make(
        &app,
        &ws,
        &tags,
        5,
        &f(today + Duration::minutes(1), "email", "new"),
    )
    .await;
    first_message(&app, &ws, c1, "Gift wrapping", "Do you offer gift wrapping with a handwritten card? This is terrible, I am furious and very disappointed!", h(1)).await;
    first_message(
        &app,
        &ws,
        c2,
        "Thanks",
        "Thanks a lot, great service, you are wonderful!",
        h(2),
    )
    .await;
    first_message(
        &app,
        &ws,
        c3,
        "Reset password",
        "How do I reset my password?",
        h(5),
    )
    .await;
    // c4's message is written today: outside the day, but its question counts.
    first_message(
        &app,
        &ws,
        c4,
        "Engraving",
        "Can you engrave my initials on a flask?",
        t,
    )
    .await;

    // Not before 08:00 in the owner's zone; then once.
    let at = |hh: u32| today.date_naive().and_hms_opt(hh, 0, 0).unwrap().and_utc();
    let ensure = app::services::reports::digest::ensure;
    assert_eq!(ensure(&app.state, scope, at(7)).await.unwrap(), None);
    let day = ensure(&app.state, scope, at(9))
        .await
        .unwrap()
        .expect("a digest");
    assert_eq!(day, start.date_naive().to_string());
    assert_eq!(ensure(&app.state, scope, at(10)).await.unwrap(), None);
    assert_eq!(
        scope.find::<digest::Entity>().all(db).await.unwrap().len(),
        1
    );

    let r = ws.owner.call(path::<GetDigest>(), &[("day", "")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let p = r.json();
    assert_eq!(p["days"], json!([day]), "{p}");
    let d = &p["digest"];
    assert_eq!(
        (d["opened"].as_u64(), d["solved"].as_u64()),
        (Some(3), Some(3)),
        "{d}"
    );
    assert_eq!(d["avg_first_reply_secs"], (1800 + 5400 + 600) / 3, "{d}");
    let ch: BTreeMap<String, (u64, u64, Value, Value)> = d["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["channel"].as_str().unwrap().to_owned(),
                (
                    c["opened"].as_u64().unwrap(),
                    c["solved"].as_u64().unwrap(),
                    c["resolved_same_day_pct"].clone(),
                    c["avg_first_reply_secs"].clone(),
                ),
            )
        })
        .collect();
    assert_eq!(ch["email"], (2, 1, json!(50), json!(3600)), "{d}");
    assert_eq!(ch["chat"], (1, 2, json!(100), json!(600)), "{d}");
    assert_eq!(
        d["top_issues"],
        json!([{"label": "refund", "kind": "tag", "count": 2}]),
        "{d}"
    );
    let mood = &d["sentiment"];
    assert_eq!(
        (
            mood["messages"].as_u64(),
            mood["negative"].as_u64(),
            mood["neutral"].as_u64(),
            mood["positive"].as_u64()
        ),
        (Some(3), Some(1), Some(1), Some(1)),
        "{mood}"
    );
    assert_eq!(mood["most_negative"][0]["number"], c1, "{mood}");
    // Gift wrapping has no article and c4 asks nothing an article covers; resetting
    // a password has one.
    let gaps: Vec<i64> = d["kb_candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["number"].as_i64().unwrap())
        .collect();
    assert_eq!(d["kb_checked"], 3, "{d}");
    assert!(
        gaps.contains(&i64::from(c1)) && gaps.contains(&i64::from(c4)),
        "{d}"
    );
    assert!(!gaps.contains(&i64::from(c3)), "{d}");

    // The owner is told (with the summary), the agent is not.
    let told: Vec<notification::Model> = scope
        .find::<notification::Entity>()
        .filter(notification::Column::Kind.eq("digest"))
        .all(db)
        .await
        .unwrap();
    assert_eq!(
        told.iter().map(|n| n.user_id).collect::<Vec<_>>(),
        vec![ws.user_id]
    );
    assert!(
        told[0].body.contains("3 opened, 3 solved"),
        "{}",
        told[0].body
    );
    let link = told[0].link.clone().unwrap_or_default();
    assert!(link.ends_with(&format!("/app/digest?day={day}")), "{link}");

    // Bad and missing days.
    let r = ws
        .owner
        .call(path::<GetDigest>(), &[("day", "yesterday")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = ws
        .owner
        .call(path::<GetDigest>(), &[("day", "2020-01-01")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    // A quiet workspace gets none, and cannot read the other's.
    let mut other = workspace(&app, "otto@digest.test", "Digest B").await;
    let quiet =
        app::services::reports::digest::ensure_yesterday(&app.state, Scoped::new(other.id), t)
            .await
            .unwrap();
    assert_eq!(quiet, None);
    let r = other
        .owner
        .call(path::<GetDigest>(), &[("day", &day)])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let p = other
        .owner
        .call(path::<GetDigest>(), &[("day", "")])
        .await
        .json();
    assert_eq!(p["days"], json!([]), "{p}");
    assert!(p["digest"].is_null(), "{p}");
    app.finish().await;
}

/// The text `pdftotext` reads out of a PDF.
fn pdf_text(bytes: &[u8]) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("pdftotext")
        .args(["-", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("pdftotext (Debian's poppler-utils; .ci/setup --browser installs it)");
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "pdftotext failed on the export");
    String::from_utf8(out.stdout).unwrap()
}

/// The CSV's rows (quoted fields read back), the byte-order mark dropped.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let text = text.trim_start_matches('\u{feff}');
    let mut rows = Vec::new();
    let (mut row, mut field, mut quoted, mut chars) =
        (Vec::new(), String::new(), false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\r', false) => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            _ => field.push(c),
        }
    }
    rows
}

#[allow(clippy::too_many_lines)]
async fn exports_are_built_by_jobs_emailed_and_read_back(b: Backend) {
    use app::services::reports::exports;
    use common::smtp::SmtpSink;
    use entity::report_schedule;
    let sink = SmtpSink::start().await;
    let app = TestApp::with_config(b, |c| {
        c.smtp.host = Some("127.0.0.1".into());
        c.smtp.port = sink.port;
        c.smtp.security = app::services::config::SmtpSecurity::None;
    })
    .await;
    let db = &app.state.db;
    let mut ws = workspace(&app, "olga@export.test", "Export A").await;
    let mut sam = add_member(&app, &mut ws.owner, "sam@export.test", "agent").await;
    global_update::<user::Entity>()
        .filter(user::Column::Id.eq(ws.user_id))
        .set(user::ActiveModel {
            timezone: Set(Some("UTC".into())),
            ..Default::default()
        })
        .exec(db)
        .await
        .unwrap();
    let tags = BTreeMap::new();
    let t = Utc::now() - Duration::hours(1);
    let f = |channel: &'static str, status: &'static str| Fact {
        created: Some(t),
        channel,
        priority: "normal",
        status,
        ..Fact::default()
    };
    let mut numbers = Vec::new();
    for (i, (ch, st)) in [("email", "solved"), ("email", "open"), ("chat", "solved")]
        .into_iter()
        .enumerate()
    {
        numbers.push(make(&app, &ws, &tags, i + 1, &f(ch, st)).await);
    }
    // Account emails (the owner's verification, Sam's invitation) go first.
    app.run_jobs().await;
    let invitations = sink.delivered().len();
    let saved = ws
        .owner
        .call_json(
            path::<SaveReport>(),
            &json!({"form": {"name": "Tickets by channel", "spec": spec("tickets", "channel"), "shared": true}}),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let report_id = saved.json()["id"].as_i64().unwrap().to_string();

    // Export now, as CSV with the conversations: a job builds it.
    let r = ws
        .owner
        .call(
            path::<ExportReport>(),
            &[
                ("form[report_id]", &report_id),
                ("form[format]", "csv"),
                ("form[include_conversations]", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let queued = r.json();
    assert_eq!(queued["status"], "queued", "{queued}");
    app.run_jobs().await;
    let page = ws.owner.call(path::<GetExports>(), &[]).await.json();
    let done = &page["exports"][0];
    assert_eq!(done["status"], "done", "{page}");
    // Two points and three conversations written, all of them.
    assert_eq!(done["rows_total"], 5, "{done}");
    assert_eq!(done["rows_done"], 5, "{done}");
    let id = done["id"].as_i64().unwrap();
    let file = ws.owner.get(&format!("/app/report-exports/{id}")).await;
    assert_eq!(file.status, StatusCode::OK, "{}", file.body);
    assert!(file.headers[axum::http::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(file.headers[axum::http::header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("tickets-by-channel-"));
    let rows = csv_rows(&file.body);
    assert_eq!(rows[0], vec!["Tickets by channel"], "{rows:?}");
    let header = rows.iter().position(|r| r[0] == "Group").unwrap();
    assert_eq!(rows[header][2], "Tickets (count)", "{rows:?}");
    let point = |label: &str| {
        rows.iter()
            .find(|r| r[0].eq_ignore_ascii_case(label))
            .cloned()
            .unwrap_or_else(|| panic!("no {label} row in {rows:?}"))
    };
    assert_eq!(point("email")[2], "2", "{rows:?}");
    assert_eq!(point("email")[4], "2", "{rows:?}");
    assert_eq!(point("chat")[2], "1", "{rows:?}");
    let listed: Vec<String> = rows
        .iter()
        .filter(|r| r[0].starts_with("TKT-"))
        .map(|r| r[0].clone())
        .collect();
    let mut expected: Vec<String> = numbers.iter().map(|n| app::types::ticket_ref(*n)).collect();
    expected.sort();
    let mut got = listed.clone();
    got.sort();
    assert_eq!(got, expected, "{rows:?}");
    assert_eq!(
        sink.delivered().len(),
        invitations,
        "export now without recipients emails no one"
    );

    // Schedules are checked.
    let rid = report_id.clone();
    let sched = move |fmt: &'static str, freq: &'static str, to: &'static str| {
        [
            ("form[report_id]", rid.clone()),
            ("form[format]", fmt.to_owned()),
            ("form[frequency]", freq.to_owned()),
            ("form[recipients]", to.to_owned()),
        ]
    };
    async fn call(c: &mut common::Client, pairs: [(&str, String); 4]) -> common::Res {
        let p: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        c.call(path::<ScheduleReport>(), &p).await
    }
    for (pairs, says) in [
        (
            sched("doc", "daily", "olga@export.test"),
            "Choose CSV or PDF.",
        ),
        (
            sched("pdf", "hourly", "olga@export.test"),
            "daily, weekly or monthly",
        ),
        (sched("pdf", "daily", "  "), "Add at least one address"),
        (
            sched("pdf", "daily", "not-an-address"),
            "is not an email address",
        ),
    ] {
        let r = call(&mut ws.owner, pairs).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains(says), "{says}: {}", r.body);
    }
    // An agent emails members only; an admin may email anyone.
    let r = call(&mut sam, sched("pdf", "daily", "boss@elsewhere.test")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("not a member of this workspace"),
        "{}",
        r.body
    );
    let r = call(
        &mut ws.owner,
        sched("pdf", "weekly", "olga@export.test, boss@elsewhere.test"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let schedule = r.json();
    let schedule_id = schedule["id"].as_i64().unwrap();
    let next = DateTime::parse_from_rfc3339(schedule["next_run_at"].as_str().unwrap()).unwrap();
    assert!(next > Utc::now(), "{schedule}");
    assert_eq!(
        next.format("%H:%M %a").to_string(),
        "08:00 Mon",
        "the owner's zone is UTC"
    );

    // Not due yet: the sweep queues nothing.
    exports::sweep(&app.state).await.unwrap();
    assert_eq!(app.run_jobs().await, 0);
    // Due: one export, emailed to both with the PDF attached; the next run moves on.
    let schedules = Scoped::new(ws.id);
    schedules
        .update_many::<report_schedule::Entity>()
        .filter(report_schedule::Column::Id.eq(i32::try_from(schedule_id).unwrap()))
        .col_expr(
            report_schedule::Column::NextRunAt,
            sea_orm::sea_query::Expr::value(Utc::now() - Duration::minutes(1)),
        )
        .exec(db)
        .await
        .unwrap();
    exports::sweep(&app.state).await.unwrap();
    exports::sweep(&app.state).await.unwrap();
    app.run_jobs().await;
    let mails = sink.wait_for(invitations + 2, 10).await;
    assert_eq!(
        mails.len(),
        invitations + 2,
        "one email per recipient, once"
    );
    let mails = &mails[invitations..];
    let mut to: Vec<String> = mails.iter().flat_map(|m| m.rcpt_to.clone()).collect();
    to.sort();
    assert_eq!(to, vec!["boss@elsewhere.test", "olga@export.test"]);
    let parsed = mail_parser::MessageParser::default()
        .parse(mails[0].data.as_bytes())
        .unwrap();
    assert_eq!(parsed.subject(), Some("Report: Tickets by channel"));
    let attachment = parsed.attachments().next().expect("the PDF is attached");
    assert!(
        mail_parser::MimeHeaders::is_content_type(attachment, "application", "pdf"),
        "{:?}",
        mail_parser::MimeHeaders::content_type(attachment)
    );
    let pdf = attachment.contents();
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    let text = pdf_text(pdf);
    for needle in [
        "Tickets by channel",
        "Total: 3 over 3 conversations",
        "Figures",
        "Email",
        "Chat",
        "Export A",
        "Page 1 of 1",
    ] {
        assert!(
            text.contains(needle),
            "{needle} not in the PDF text:\n{text}"
        );
    }
    let page = ws.owner.call(path::<GetExports>(), &[]).await.json();
    assert_eq!(page["exports"].as_array().unwrap().len(), 2, "{page}");
    assert_eq!(page["exports"][0]["scheduled"], true, "{page}");
    assert_eq!(page["exports"][0]["format"], "pdf", "{page}");
    let moved = &page["schedules"][0];
    assert!(moved["last_run_at"].is_string(), "{moved}");
    let next = DateTime::parse_from_rfc3339(moved["next_run_at"].as_str().unwrap()).unwrap();
    assert!(next > Utc::now(), "{moved}");

    // The agent sees only their own exports, and cannot remove the owner's schedule.
    let theirs = sam.call(path::<GetExports>(), &[]).await.json();
    assert_eq!(theirs["exports"], json!([]), "{theirs}");
    assert_eq!(theirs["schedules"][0]["deletable"], false, "{theirs}");
    let r = sam.get(&format!("/app/report-exports/{id}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let sid = schedule_id.to_string();
    let r = sam.call(path::<UnscheduleReport>(), &[("id", &sid)]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    // Another workspace reads nothing of it.
    let mut other = workspace(&app, "otto@export.test", "Export B").await;
    let p = other.owner.call(path::<GetExports>(), &[]).await.json();
    assert_eq!(p["exports"], json!([]), "{p}");
    assert_eq!(p["schedules"], json!([]), "{p}");
    let r = other.owner.get(&format!("/app/report-exports/{id}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = other
        .owner
        .call(path::<UnscheduleReport>(), &[("id", &sid)])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = other
        .owner
        .call(
            path::<ExportReport>(),
            &[("form[report_id]", &report_id), ("form[format]", "csv")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    // The owner removes the schedule.
    let r = ws
        .owner
        .call(path::<UnscheduleReport>(), &[("id", &sid)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let p = ws.owner.call(path::<GetExports>(), &[]).await.json();
    assert_eq!(p["schedules"], json!([]), "{p}");
    app.finish().await;
}

async fn predictions_are_explained_and_checked_against_real_answers(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@predict.test", "Predict A").await;
    let tags = BTreeMap::new();
    let t = Utc::now() - Duration::days(2);
    let fast = |i: usize, rating: i32| Fact {
        created: Some(t - Duration::hours(i64::try_from(i).unwrap())),
        channel: "email",
        priority: "normal",
        status: "solved",
        first_reply_secs: Some(600),
        solve_secs: Some(3600),
        rating: Some(rating),
        ..Fact::default()
    };
    let slow = |i: usize, rating: i32| Fact {
        first_reply_secs: Some(9 * 3600),
        solve_secs: Some(40 * 3600),
        sla: Some(true),
        ..fast(i, rating)
    };
    let happy = make(&app, &ws, &tags, 1, &fast(1, 5)).await;
    make(&app, &ws, &tags, 2, &fast(2, 4)).await;
    let unhappy = make(&app, &ws, &tags, 3, &slow(3, 1)).await;
    make(&app, &ws, &tags, 4, &slow(4, 2)).await;
    // An open one, unanswered for a day: no rating yet, so a prediction only.
    let waiting = make(
        &app,
        &ws,
        &tags,
        5,
        &Fact {
            created: Some(Utc::now() - Duration::hours(30)),
            channel: "email",
            priority: "normal",
            status: "open",
            ..Fact::default()
        },
    )
    .await;

    let insight = |v: &Value| {
        (
            v["prediction"]["percent"].as_i64().unwrap(),
            v["rated"].as_i64(),
            v["health"]["score"].as_i64().unwrap(),
        )
    };
    let get = |n: i32| {
        let mut c = ws.owner.clone();
        async move {
            let r = c
                .call(path::<GetCustomerInsights>(), &[("number", &n.to_string())])
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            r.json()
        }
    };
    let h = get(happy).await;
    let (p, rated, _) = insight(&h);
    assert!(p >= 75, "a fast, calm conversation: {h}");
    assert_eq!(rated, Some(5));
    let u = get(unhappy).await;
    let (p, _, _) = insight(&u);
    assert!(p <= 35, "slow and breached: {u}");
    let reasons = u["prediction"]["reasons"].to_string();
    assert!(
        reasons.contains("SLA") && reasons.contains("first reply after 9 h"),
        "{u}"
    );
    let w = get(waiting).await;
    let (p, rated, _) = insight(&w);
    assert_eq!(rated, None, "{w}");
    assert!(p < 60, "a day without a reply so far: {w}");
    // Each customer here wrote once, one conversation, no answers yet or good ones:
    // healthy. The waiting customer has one open conversation (−5).
    assert_eq!(w["health"]["score"], 95, "{w}");
    assert_eq!(w["health"]["churn_risk"], "low", "{w}");
    let u_health = &u["health"];
    assert_eq!(u_health["csat_answers"], 1, "{u}");
    assert_eq!(u_health["score"], 64, "rated 1: −36; {u}");
    assert_eq!(u_health["churn_risk"], "medium", "{u}");

    // Against the real answers: all four on the right side, ranked right.
    let c = ws
        .owner
        .call(path::<GetPredictionCheck>(), &[("days", "90")])
        .await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    let c = c.json();
    assert_eq!(c["answers"], 4, "{c}");
    assert!(close(c["accuracy"].as_f64(), 1.0), "{c}");
    assert!(close(c["auc"].as_f64(), 1.0), "{c}");
    assert!(close(c["baseline_accuracy"].as_f64(), 0.5), "{c}");
    assert!(
        c["mae"].as_f64().unwrap() < c["baseline_mae"].as_f64().unwrap(),
        "{c}"
    );

    // Another workspace sees neither.
    let mut other = workspace(&app, "otto@predict.test", "Predict B").await;
    let r = other
        .owner
        .call(
            path::<GetCustomerInsights>(),
            &[("number", &happy.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let c = other
        .owner
        .call(path::<GetPredictionCheck>(), &[("days", "90")])
        .await
        .json();
    assert_eq!(c["answers"], 0, "{c}");
    app.finish().await;
}

/// The report facts (kept by database triggers) follow every way a
/// conversation changes: replies written, moved and deleted, a survey answer
/// given, changed and withdrawn, a merge and its undo, a split, a deletion.
/// After each step the figures equal what the conversations themselves say.
#[allow(clippy::too_many_lines)]
async fn report_facts_follow_every_change(b: Backend) {
    use app::services::context::{load_actor, RequestMeta};
    use app::services::inbox::merge;
    let app = TestApp::new(b).await;
    let mut a = workspace(&app, "facts@a.test", "Facts A").await;
    let db = &app.state.db;
    let tags = BTreeMap::new();
    let now = Utc::now() - Duration::hours(3);
    let base = Fact {
        created: Some(now),
        channel: "email",
        priority: "normal",
        status: "open",
        ..Fact::default()
    };
    let first = make(&app, &a, &tags, 0, &Fact { replies: 2, ..base }).await;
    let second = make(&app, &a, &tags, 1, &Fact { replies: 1, ..base }).await;
    let ws = a.id;
    let id_of = |n: i32| async move {
        Scoped::new(ws)
            .find::<conversation::Entity>()
            .filter(conversation::Column::Number.eq(n))
            .one(db)
            .await
            .unwrap()
            .unwrap()
    };
    let (c1, c2) = (id_of(first).await, id_of(second).await);
    let figures = |r: &Value| {
        (
            r["total_count"].as_u64().unwrap(),
            r["total"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(
        figures(&run(&mut a.owner, spec("tickets", "none")).await),
        (2, "2".into())
    );
    assert_eq!(
        figures(&run(&mut a.owner, spec("replies", "none")).await),
        (2, "1.50".into())
    );

    // An agent's reply counts; a customer's message and a note do not.
    let reply = message::ActiveModel {
        workspace_id: Set(a.id),
        conversation_id: Set(c2.id),
        kind: Set("reply".into()),
        direction: Set("outbound".into()),
        author_user_id: Set(Some(a.user_id)),
        body_html: Set("<p>More</p>".into()),
        body_text: Set("More".into()),
        delivery_status: Set("sent".into()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    message::ActiveModel {
        kind: Set("note".into()),
        direction: Set("internal".into()),
        id: sea_orm::NotSet,
        ..reply.clone().into()
    }
    .insert(db)
    .await
    .unwrap();
    assert_eq!(
        figures(&run(&mut a.owner, spec("replies", "none")).await).1,
        "2.00"
    );
    // Moved to the other conversation, then deleted.
    let mut moved: message::ActiveModel = reply.clone().into();
    moved.conversation_id = Set(c1.id);
    let moved = moved.update(db).await.unwrap();
    let d = run(&mut a.owner, json!({"metric": "replies", "group": "priority", "split": "none", "days": 30, "chart": "table", "filters": {}})).await;
    assert_eq!(d["total"], "2.00", "{d}");
    Scoped::new(ws)
        .delete_many::<message::Entity>()
        .filter(message::Column::Id.eq(moved.id))
        .exec(db)
        .await
        .unwrap();
    assert_eq!(
        figures(&run(&mut a.owner, spec("replies", "none")).await).1,
        "1.50"
    );

    // A survey answer, changed, then withdrawn.
    let answer = csat_response::ActiveModel {
        workspace_id: Set(a.id),
        conversation_id: Set(c1.id),
        customer_id: Set(c1.customer_id),
        rating: Set(2),
        comment: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    assert_eq!(
        figures(&run(&mut a.owner, spec("csat", "none")).await),
        (1, "0.0%".into())
    );
    let mut changed: csat_response::ActiveModel = answer.into();
    changed.rating = Set(5);
    let changed = changed.update(db).await.unwrap();
    assert_eq!(
        figures(&run(&mut a.owner, spec("csat", "none")).await),
        (1, "100.0%".into())
    );
    Scoped::new(ws)
        .delete_many::<csat_response::Entity>()
        .filter(csat_response::Column::Id.eq(changed.id))
        .exec(db)
        .await
        .unwrap();
    assert_eq!(figures(&run(&mut a.owner, spec("csat", "none")).await).0, 0);

    // A status change moves the backlog.
    assert_eq!(
        figures(&run(&mut a.owner, spec("backlog", "none")).await).0,
        2
    );
    Scoped::new(ws)
        .update_many::<conversation::Entity>()
        .filter(conversation::Column::Id.eq(c2.id))
        .col_expr(
            conversation::Column::Status,
            sea_orm::sea_query::Expr::value("solved"),
        )
        .exec(db)
        .await
        .unwrap();
    assert_eq!(
        figures(&run(&mut a.owner, spec("backlog", "none")).await).0,
        1
    );

    // Merged: one ticket left, holding all the agents' replies; undone: two again.
    let actor = load_actor(db, a.user_id, a.id).await.unwrap();
    let meta = RequestMeta::default();
    let m = merge::merge(&app.state, &actor, c1.id, &[c2.id], &meta)
        .await
        .unwrap();
    let t = figures(&run(&mut a.owner, spec("tickets", "none")).await);
    assert_eq!(t, (1, "1".into()));
    let (count, numbers) = drill(&mut a.owner, spec("tickets", "none"), "all", "").await;
    assert_eq!((count, numbers), (1, vec![i64::from(first)]));
    assert_eq!(
        figures(&run(&mut a.owner, spec("replies", "none")).await).1,
        "3.00"
    );
    merge::undo(&app.state, &actor, m, &meta).await.unwrap();
    assert_eq!(
        figures(&run(&mut a.owner, spec("tickets", "none")).await).0,
        2
    );
    assert_eq!(
        figures(&run(&mut a.owner, spec("replies", "none")).await).1,
        "1.50"
    );

    // Split: the new conversation is a ticket of its own with the replies it took.
    let replies: Vec<i32> = Scoped::new(ws)
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(c1.id))
        .filter(message::Column::Kind.eq("reply"))
        .filter(message::Column::Direction.eq("outbound"))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(replies.len(), 2);
    merge::split(&app.state, &actor, c1.id, &replies[..1], None, &meta)
        .await
        .unwrap();
    let r = run(&mut a.owner, spec("replies", "none")).await;
    assert_eq!(r["total_count"], 3, "{r}");
    assert_eq!(r["total"], "1.00", "{r}");

    // Deleted: gone from every figure.
    let gone = id_of(make(&app, &a, &tags, 2, &base).await).await;
    assert_eq!(
        figures(&run(&mut a.owner, spec("tickets", "none")).await).0,
        4
    );
    Scoped::new(ws)
        .delete_many::<conversation::Entity>()
        .filter(conversation::Column::Id.eq(gone.id))
        .exec(db)
        .await
        .unwrap();
    assert_eq!(
        figures(&run(&mut a.owner, spec("tickets", "none")).await).0,
        3
    );
    app.finish().await;
}

backend_tests!(
    report_facts_follow_every_change,
    predictions_are_explained_and_checked_against_real_answers,
    exports_are_built_by_jobs_emailed_and_read_back,
    digests_are_built_once_per_day_and_kept_apart,
    the_live_board_counts_the_floor_now,
    every_metric_matches_a_hand_made_data_set,
    reports_are_checked_saved_and_kept_apart,
    dashboards_are_arranged_shared_and_kept_apart
);
