//! Operations endpoints and the activity log.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::serverfns::activity::ListActivity;
use app::serverfns::team::ListTeam;
use axum::http::StatusCode;
use common::{add_member, fns::path, sign_up, Backend, TestApp};

async fn health_ready_metrics(b: Backend) {
    let app = TestApp::new(b).await;
    let mut c = app.client();
    let h = c.get("/healthz").await;
    assert_eq!(
        (h.status, h.json()["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let r = c.get("/readyz").await;
    assert_eq!(r.status, StatusCode::OK);
    let j = r.json();
    assert_eq!(j["status"], "ready");
    for comp in ["database", "queue", "bus"] {
        assert_eq!(j["components"][comp]["status"], "ok", "{comp}: {j}");
    }
    assert_eq!(j["components"]["smtp"]["status"], "not_configured");
    let m = c.get("/metrics").await;
    assert!(
        m.body
            .contains("http_requests_total{method=\"GET\",area=\"/ops\",status=\"200\"}"),
        "{}",
        m.body
    );
    assert!(m.body.contains("switchboard_jobs{status=\"pending\"}"));
    app.finish().await;
}

async fn activity_records_who_what_where_and_filters(b: Backend) {
    let app = TestApp::new(b).await;
    let mut owner = sign_up(&app, "Olive", "owner@x.test", "Xco").await;
    let _agent = add_member(&app, &mut owner, "agent@x.test", "agent").await;
    let team = owner.call(path::<ListTeam>(), &[]).await.json();
    let agent_mid = team["members"][1]["membership_id"]
        .as_i64()
        .unwrap()
        .to_string();
    assert_eq!(
        owner
            .call(
                path::<app::serverfns::team::ChangeRole>(),
                &[("membership_id", &agent_mid), ("role", "admin")]
            )
            .await
            .status,
        StatusCode::OK
    );
    let mut again = app.client();
    assert_eq!(
        again
            .sign_in("owner@x.test", "correct horse battery")
            .await
            .status,
        StatusCode::OK
    );

    let all = owner.call(path::<ListActivity>(), &[]).await.json();
    let actions: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["action"].as_str().unwrap())
        .collect();
    for a in [
        "auth.signed_up",
        "team.invited",
        "team.invitation_accepted",
        "team.role_changed",
        "auth.signed_in",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    let role = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["action"] == "team.role_changed")
        .unwrap();
    assert!(
        role["before"].as_str().unwrap().contains("agent")
            && role["after"].as_str().unwrap().contains("admin")
    );
    assert_eq!(role["user_agent"], "switchboard-tests/1.0");

    let signins = owner
        .call(path::<ListActivity>(), &[("action", "auth.signed_in")])
        .await
        .json();
    assert_eq!(signins["items"].as_array().unwrap().len(), 1);
    let team_only = owner
        .call(path::<ListActivity>(), &[("action", "team.")])
        .await
        .json();
    assert!(team_only["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["action"].as_str().unwrap().starts_with("team.")));
    let by_actor = owner
        .call(path::<ListActivity>(), &[("actor", "agent@x.test")])
        .await
        .json();
    assert!(by_actor["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["actor"].as_str().unwrap().contains("agent@x.test")));
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let future = owner
        .call(path::<ListActivity>(), &[("from", &tomorrow)])
        .await
        .json();
    assert!(future["items"].as_array().unwrap().is_empty());
    let bad = owner
        .call(path::<ListActivity>(), &[("from", "yesterday")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("YYYY-MM-DD"));

    let csv = owner
        .get("/app/activity/export?format=csv&action=team.")
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("activity-"));
    let mut lines = csv.body.lines();
    assert_eq!(
        lines.next().unwrap(),
        "id,at,actor,action,target,ip,user_agent,before,after"
    );
    assert!(lines.all(|l| l.contains(",team.")));
    let json = owner.get("/app/activity/export?format=json").await;
    assert!(
        serde_json::from_str::<serde_json::Value>(&json.body)
            .unwrap()
            .as_array()
            .unwrap()
            .len()
            >= 5
    );
    let bad = owner.get("/app/activity/export?format=pdf").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["error"]["code"], "validation_failed");
    // Exports are themselves recorded.
    let exported = owner
        .call(path::<ListActivity>(), &[("action", "activity.exported")])
        .await
        .json();
    assert_eq!(exported["items"].as_array().unwrap().len(), 2);
    app.finish().await;
}

/// PostgreSQL: the server's connections carry `statement_timeout`, so a query whose
/// client went away is cancelled by the database; migrations ran without it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_statement_timeout_cancels_long_queries() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = TestApp::with_config(Backend::Postgres, |c| c.statement_timeout_ms = 300).await;
    let db = &app.state.db;
    let shown = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            "SHOW statement_timeout",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(shown.try_get_by_index::<String>(0).unwrap(), "300ms");
    let slow = db
        .execute(Statement::from_string(
            db.get_database_backend(),
            "SELECT pg_sleep(5)",
        ))
        .await;
    let err = slow.expect_err("a 5 s query must be cancelled after 300 ms");
    assert!(
        err.to_string().contains("statement timeout"),
        "unexpected error: {err}"
    );
    app.finish().await;
}

/// Activity CSV cells that a spreadsheet would run as formulas are exported as text.
async fn activity_csv_neutralises_formulas(b: Backend) {
    let app = TestApp::new(b).await;
    let mut owner = sign_up(&app, "=cmd|' /C calc'!A0", "owner@x.test", "Xco").await;
    let csv = owner.get("/app/activity/export?format=csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.body.contains("'=cmd|"),
        "the formula is not neutralised: {}",
        csv.body
    );
    assert!(!csv.body.contains(",=cmd|"), "{}", csv.body);
    app.finish().await;
}

backend_tests!(
    health_ready_metrics,
    activity_records_who_what_where_and_filters,
    activity_csv_neutralises_formulas
);
