//! `kill -9` of the server while a visitor is in a chatbot flow (issue 15): the
//! run's place is in the database and its timers are jobs, so after a restart the
//! visitor's answer goes on from the question they were asked, and a Wait that
//! was pending when the server died fires once. Runs the real `switchboard`
//! binary with its job workers, on both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::services::context::RequestMeta;
use app::types::{AskInput, Channel, FlowGraph, FlowSettingsForm, NodeKind};
use common::binary::Server;
use common::{e as edge, n as node, Backend, TestApp};
use entity::{flow_session, job, message};
use sea_orm::{ActiveModelTrait, ColumnTrait, IntoActiveModel, QueryFilter, Set};
use std::time::Duration;

async fn start(database_url: &str, data_dir: &str) -> Server {
    common::binary::start(database_url, data_dir, &[]).await
}

/// Orders / Billing; Orders waits 30 minutes and reports back.
fn graph() -> FlowGraph {
    FlowGraph {
        schema: app::types::FLOW_SCHEMA,
        entry: None,
        trigger: None,
        nodes: vec![
            node("start", NodeKind::Start),
            node(
                "topic",
                NodeKind::Ask {
                    prompt: "What is it about?".into(),
                    input: AskInput::Buttons {
                        choices: vec!["Orders".into(), "Billing".into()],
                    },
                    variable: "topic".into(),
                    timeout_mins: None,
                    typed: false,
                },
            ),
            node(
                "checking",
                NodeKind::SendMessage {
                    text: "Checking with the warehouse…".into(),
                },
            ),
            node("wait", NodeKind::Wait { minutes: 30 }),
            node(
                "back",
                NodeKind::SendMessage {
                    text: "Back: your order is on its way.".into(),
                },
            ),
            node("end", NodeKind::End),
        ],
        edges: vec![
            edge("start", "next", "topic"),
            edge("topic", "choice:0", "checking"),
            edge("topic", "choice:1", "end"),
            edge("checking", "next", "wait"),
            edge("wait", "next", "back"),
            edge("back", "next", "end"),
        ],
    }
}

/// A widget request (from the widget's frame, served by the server itself).
async fn post(client: &reqwest::Client, url: String, body: serde_json::Value) -> serde_json::Value {
    let origin = url.split("/widget").next().unwrap_or_default().to_owned();
    let r = client
        .post(url)
        .header("Origin", origin)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: serde_json::Value = r.json().await.unwrap();
    assert!(status.is_success(), "{status}: {v}");
    v
}

async fn kill_9_mid_flow_resumes_where_the_visitor_was(b: Backend) {
    let app = TestApp::new(b).await;
    let common::Ws {
        actor: owner,
        scope,
        ..
    } = common::workspace(&app, "ada@example.com", "Acme").await;
    let meta = RequestMeta::default();
    let f = app::services::flows::save_settings(
        &app.state,
        &owner,
        &FlowSettingsForm {
            id: None,
            name: "Orders".into(),
            kind: "chatbot".into(),
            channels: vec!["chat".into()],
            enabled: true,
        },
        &meta,
    )
    .await
    .unwrap();
    app::services::flows::save_draft(&app.state, &owner, f.id, &graph())
        .await
        .unwrap();
    app::services::flows::publish(&app.state, &owner, f.id, &meta)
        .await
        .unwrap();
    let key = app::services::channels::settings::get_or_create(&app.state.db, scope, Channel::Chat)
        .await
        .unwrap()
        .public_key
        .unwrap();
    let data_dir = std::env::temp_dir()
        .join(format!("sbt-crash-flows-{}", uuid::Uuid::new_v4().simple()))
        .to_string_lossy()
        .into_owned();
    let client = reqwest::Client::new();
    let run = || async {
        scope
            .find::<flow_session::Entity>()
            .one(&app.state.db)
            .await
            .unwrap()
            .expect("a run")
    };
    let said = |text: &'static str| {
        let db = app.state.db.clone();
        async move {
            scope
                .find::<message::Entity>()
                .filter(message::Column::BodyText.eq(text))
                .all(&db)
                .await
                .unwrap()
                .len()
        }
    };

    // The visitor starts chatting; the bot asks; the server dies.
    let server = start(&app.database_url, &data_dir).await;
    let s = post(
        &client,
        format!("{}/widget/api/session", server.base),
        serde_json::json!({"key": key}),
    )
    .await;
    let token = s["token"].as_str().unwrap().to_owned();
    let send = |base: String, id: &'static str, body: &'static str| {
        let (client, key, token) = (client.clone(), key.clone(), token.clone());
        async move {
            post(
                &client,
                format!("{base}/widget/api/messages"),
                serde_json::json!({"key": key, "token": token, "client_id": id, "body": body}),
            )
            .await
        }
    };
    send(server.base.clone(), "message0001", "hello").await;
    assert_eq!(said("What is it about?").await, 1);
    assert_eq!(run().await.status, "waiting_input");
    drop(server); // SIGKILL while the visitor is asked

    // After the restart the answer goes on from the question.
    let server = start(&app.database_url, &data_dir).await;
    send(server.base.clone(), "message0002", "orders").await;
    assert_eq!(said("Checking with the warehouse…").await, 1);
    let r = run().await;
    assert_eq!(
        (r.status.as_str(), r.node.as_str()),
        ("waiting_timer", "wait")
    );
    drop(server); // SIGKILL while the Wait's timer is pending

    // The 30 minutes pass while the server is down; after the restart the
    // timer fires, once.
    let timers = app::services::tenancy::System::new("tests read the queue")
        .find::<job::Entity>()
        .filter(job::Column::Kind.eq("flow.timer"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(timers.len(), 1);
    let mut am = timers[0].clone().into_active_model();
    am.run_at = Set(chrono::Utc::now() - chrono::Duration::seconds(1));
    am.update(&app.state.db).await.unwrap();
    let server = start(&app.database_url, &data_dir).await;
    let mut done = false;
    for _ in 0..300 {
        if run().await.status == "done" {
            done = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(server);
    assert!(done, "the timer never fired after the restart");
    assert_eq!(said("Back: your order is on its way.").await, 1);
    assert_eq!(
        said("What is it about?").await,
        1,
        "the flow did not start over"
    );
    let _ = std::fs::remove_dir_all(&data_dir);
    app.finish().await;
}

backend_tests!(kill_9_mid_flow_resumes_where_the_visitor_was);
