//! Flows stored (issue 15, first slice): drafts checked for structure on every
//! save, publishing blocked by the problems the canvas shows, immutable versions,
//! rollback, names unique per workspace, workspaces kept apart. Both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::serverfns::flows::{
    DeleteFlow, GetFlow, ListFlows, PublishFlow, RollbackFlow, SaveFlowDraft, SaveFlowSettings,
};
use app::types::{AskInput, FlowEdge, FlowGraph, FlowNode, NodeKind};
use axum::http::StatusCode;
use common::{add_member, fns::path, sign_up, Backend, Client, TestApp};
use serde_json::{json, Value};

async fn create(c: &mut Client, name: &str) -> common::Res {
    c.call_json(
        path::<SaveFlowSettings>(),
        &json!({"form": {"id": null, "name": name, "kind": "chatbot", "channels": ["chat"], "enabled": true}}),
    )
    .await
}

async fn draft(c: &mut Client, id: i64, g: &FlowGraph) -> common::Res {
    let graph = serde_json::to_string(g).unwrap();
    c.call_json(path::<SaveFlowDraft>(), &json!({"id": id, "graph": graph}))
        .await
}

/// A flow's detail: the canvas's server functions carry it as JSON text.
fn detail(r: &common::Res) -> Value {
    serde_json::from_str(r.json().as_str().expect("JSON text")).unwrap()
}

async fn get(c: &mut Client, id: i64) -> Value {
    let r = c.call(path::<GetFlow>(), &[("id", &id.to_string())]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    detail(&r)
}

/// Start → "Need a person?" (Yes / No) → Yes: hand off; No: goodbye → end.
fn menu() -> FlowGraph {
    let mut g = FlowGraph::starter();
    g.edges.clear();
    g.nodes.push(FlowNode {
        id: "ask".into(),
        position: app::types::CanvasPoint { x: 200.0, y: 100.0 },
        kind: NodeKind::Ask {
            prompt: "Need a person?".into(),
            input: AskInput::Buttons {
                choices: vec!["Yes".into(), "No".into()],
            },
            variable: "person".into(),
            timeout_mins: None,
            typed: false,
        },
    });
    g.nodes.push(FlowNode {
        id: "handoff".into(),
        position: app::types::CanvasPoint::default(),
        kind: NodeKind::Handoff {
            team_id: None,
            note: String::new(),
        },
    });
    let e = |s: &str, p: &str, t: &str| FlowEdge {
        source: s.into(),
        port: p.into(),
        target: t.into(),
    };
    g.edges = vec![
        e("start", "next", "ask"),
        e("ask", "choice:0", "handoff"),
        e("ask", "choice:1", "end"),
    ];
    g
}

async fn drafts_publish_and_roll_back(b: Backend) {
    let app = TestApp::new(b).await;
    let mut owner = sign_up(&app, "Olga Owner", "olga@acme.test", "Acme").await;
    let r = create(&mut owner, "Welcome").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    assert_eq!(r.json()["published_version"], Value::Null);
    // The name is the workspace's; bad settings name the field.
    let r = create(&mut owner, "Welcome").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = owner
        .call_json(
            path::<SaveFlowSettings>(),
            &json!({"form": {"id": null, "name": "X", "kind": "chatbot", "channels": ["pigeon"], "enabled": true}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("pigeon"), "{}", r.body);

    // A new flow starts as Start → End and can be published at once.
    let d = get(&mut owner, id).await;
    assert_eq!(d["problems"], json!([]));
    assert_eq!(d["draft"]["nodes"].as_array().unwrap().len(), 2);

    // A broken structure is refused and nothing is stored.
    let mut bad = menu();
    bad.edges.push(FlowEdge {
        source: "ask".into(),
        port: "choice:5".into(),
        target: "end".into(),
    });
    let r = draft(&mut owner, id, &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Step “ask”"), "{}", r.body);
    assert_eq!(
        get(&mut owner, id).await["draft"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // An unfinished draft is stored; its problems block publishing.
    let mut unfinished = menu();
    unfinished.edges.retain(|e| e.port != "choice:1");
    let r = draft(&mut owner, id, &unfinished).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let problems = detail(&r)["problems"].as_array().unwrap().clone();
    // The "No" exit leads nowhere, so nothing reaches the end either.
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert_eq!(problems[0]["node"], "ask");
    assert_eq!(problems[1]["node"], "end");
    let r = owner
        .call(path::<PublishFlow>(), &[("id", &id.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("2 problems block publishing"), "{}", r.body);
    assert!(r.body.contains("“No” leads nowhere"), "{}", r.body);

    // Finished: version 1, then a change as version 2, then back to 1 as 3.
    let r = draft(&mut owner, id, &menu()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(detail(&r)["summary"]["unpublished_changes"], true);
    let r = owner
        .call(path::<PublishFlow>(), &[("id", &id.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(detail(&r)["summary"]["published_version"], 1);
    assert_eq!(detail(&r)["summary"]["unpublished_changes"], false);
    let mut second = menu();
    if let NodeKind::Ask { prompt, .. } = &mut second.nodes[2].kind {
        *prompt = "Shall I fetch someone?".into();
    }
    draft(&mut owner, id, &second).await;
    let r = owner
        .call(path::<PublishFlow>(), &[("id", &id.to_string())])
        .await;
    assert_eq!(detail(&r)["summary"]["published_version"], 2);
    let r = owner
        .call(
            path::<RollbackFlow>(),
            &[("id", &id.to_string()), ("version", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let d = detail(&r);
    assert_eq!(d["summary"]["published_version"], 3);
    assert_eq!(d["versions"][0]["note"], "Rolled back to version 1");
    assert_eq!(d["versions"][0]["by"], "Olga Owner");
    assert_eq!(d["versions"].as_array().unwrap().len(), 3);
    assert!(d["draft"].to_string().contains("Need a person?"));
    let r = owner
        .call(
            path::<RollbackFlow>(),
            &[("id", &id.to_string()), ("version", "9")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    let list = owner.call(path::<ListFlows>(), &[]).await.json();
    assert_eq!(list[0]["published_version"], 3);
    assert_eq!(list[0]["unpublished_changes"], false);

    // Agents cannot manage flows.
    let mut sam = add_member(&app, &mut owner, "sam@acme.test", "agent").await;
    let r = sam.call(path::<ListFlows>(), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    let r = owner
        .call(path::<DeleteFlow>(), &[("id", &id.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let list = owner.call(path::<ListFlows>(), &[]).await.json();
    assert_eq!(list, json!([]));
    app.finish().await;
}

async fn a_cannot_see_or_change_b_flows(b: Backend) {
    let app = TestApp::new(b).await;
    let mut a = sign_up(&app, "Alice", "alice@a.test", "Workspace A").await;
    let mut bo = sign_up(&app, "Bob", "bob@b.test", "Workspace B").await;
    let id = create(&mut a, "Welcome").await.json()["id"]
        .as_i64()
        .unwrap();
    // The same name is fine in another workspace.
    let r = create(&mut bo, "Welcome").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let sid = id.to_string();
    let r = bo.call(path::<GetFlow>(), &[("id", &sid)]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = draft(&mut bo, id, &menu()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = bo.call(path::<PublishFlow>(), &[("id", &sid)]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = bo
        .call(path::<RollbackFlow>(), &[("id", &sid), ("version", "1")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = bo
        .call_json(
            path::<SaveFlowSettings>(),
            &json!({"form": {"id": id, "name": "Mine now", "kind": "chatbot", "channels": [], "enabled": false}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = bo.call(path::<DeleteFlow>(), &[("id", &sid)]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let mine = bo.call(path::<ListFlows>(), &[]).await.json();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_ne!(mine[0]["id"].as_i64().unwrap(), id);
    assert_eq!(get(&mut a, id).await["summary"]["name"], "Welcome");
    app.finish().await;
}

backend_tests!(drafts_publish_and_roll_back, a_cannot_see_or_change_b_flows);
