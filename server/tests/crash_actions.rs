//! `kill -9` of the server while approved actions run: after a restart every one
//! completes exactly once (one task per action, one completion in the log), never
//! twice. Runs the real `switchboard` binary with its job workers.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::services::actions::{self, Proposal, Proposer};
use app::services::context::RequestMeta;
use common::{Backend, TestApp};
use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter, QuerySelect};
use serde_json::json;
use std::time::Duration;

const ACTIONS: usize = 300;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn_server(database_url: &str, port: u16, data_dir: &str) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["serve"])
        .env("SWITCHBOARD_DATABASE_URL", database_url)
        .env("SWITCHBOARD_BIND", format!("127.0.0.1:{port}"))
        .env("SWITCHBOARD_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("SWITCHBOARD_DATA_DIR", data_dir)
        .env("SWITCHBOARD_JOBS__SCHEDULER", "false")
        .env("SWITCHBOARD_JOBS__LEASE_SECS", "2")
        .env("SWITCHBOARD_JOBS__POLL_INTERVAL_MS", "50")
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

async fn kill_9_while_actions_run_completes_each_once(b: Backend) {
    let app = TestApp::new(b).await;
    let common::Ws {
        actor: owner,
        scope,
        ..
    } = common::workspace(&app, "ada@example.com", "Acme").await;
    let meta = RequestMeta::default();
    for n in 0..ACTIONS {
        let v = actions::propose(
            &app.state,
            scope,
            Proposal {
                tool: "create_task".into(),
                input: json!({"title": format!("Crash task {n}")}),
                conversation_id: None,
                reasoning: None,
                proposer: Proposer::Ai,
                customer_note: None,
            },
            &meta,
        )
        .await
        .unwrap();
        assert_eq!(v.status, "pending");
        actions::approve(&app.state, &owner, v.id, "", &meta)
            .await
            .unwrap();
    }
    let data_dir = std::env::temp_dir().join(format!(
        "sbt-crash-actions-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let data_dir = data_dir.to_string_lossy().into_owned();
    let count = |status: &'static str| {
        let db = app.state.db.clone();
        async move {
            scope
                .find::<entity::ai_action::Entity>()
                .filter(entity::ai_action::Column::Status.eq(status))
                .count(&db)
                .await
                .unwrap() as usize
        }
    };

    let mut server = spawn_server(&app.database_url, free_port(), &data_dir);
    let mut done_at_kill = 0;
    for _ in 0..6000 {
        done_at_kill = count("completed").await;
        if done_at_kill >= ACTIONS / 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill().unwrap(); // SIGKILL mid-run
    server.wait().unwrap();
    let after_kill = count("completed").await;
    assert!(done_at_kill > 0, "nothing ran before the kill");
    assert!(
        after_kill < ACTIONS,
        "everything finished before the kill; the test proves nothing"
    );

    let mut server = spawn_server(&app.database_url, free_port(), &data_dir);
    for _ in 0..12_000 {
        if count("completed").await + count("failed").await >= ACTIONS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill().ok();
    server.wait().ok();
    assert_eq!(
        count("completed").await,
        ACTIONS,
        "failed: {}",
        count("failed").await
    );
    let tasks = scope
        .find::<entity::task::Entity>()
        .filter(entity::task::Column::Title.like("Crash task %"))
        .count(&app.state.db)
        .await
        .unwrap() as usize;
    assert_eq!(tasks, ACTIONS, "an action ran twice or not at all");
    let distinct: Vec<Option<i32>> = scope
        .find::<entity::task::Entity>()
        .select_only()
        .column(entity::task::Column::ActionId)
        .distinct()
        .into_tuple()
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(distinct.len(), ACTIONS);
    let completions = scope
        .find::<entity::activity::Entity>()
        .filter(entity::activity::Column::Action.eq("action.completed"))
        .count(&app.state.db)
        .await
        .unwrap() as usize;
    assert_eq!(completions, ACTIONS);
    std::fs::remove_dir_all(&data_dir).ok();
    app.finish().await;
}

backend_tests!(kill_9_while_actions_run_completes_each_once);
