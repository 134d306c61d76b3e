//! The MCP server (issue 12, C13.4): the protocol over the router (keys, scopes,
//! workspaces, JSON-RPC errors) on both databases, and the official MCP client
//! (PyPI `mcp`, `end2end/mcp/check.py`) over streamable HTTP against the real
//! binary and over stdio (`switchboard mcp`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    reason = "tests"
)]

mod common;

use app::services::actions::policy;
use app::services::channels::inbound::{self, InboundMessage, Sender};
use app::services::context::{load_actor, Actor, RequestMeta};
use app::services::tenancy::{Scoped, System};
use app::types::{Channel, IdentifierKind, PolicyForm};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{fns::path, sign_up, Backend, Client, TestApp};
use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};
use std::time::Duration;

struct Ws {
    id: i32,
    actor: Actor,
    number: i32,
}

async fn workspace(app: &TestApp, email: &str, name: &str, customer: &str) -> Ws {
    let mut c = sign_up(app, "Olga Owner", email, name).await;
    let s = c
        .call(path::<app::serverfns::auth::GetSession>(), &[])
        .await
        .json();
    let id = i32::try_from(s["workspace"]["id"].as_i64().unwrap()).unwrap();
    let uid = i32::try_from(s["user_id"].as_i64().unwrap()).unwrap();
    let actor = load_actor(&app.state.db, uid, id).await.unwrap();
    let mut m = InboundMessage::new(
        Channel::Email,
        format!("test:{}", uuid::Uuid::new_v4().simple()),
        Sender {
            kind: IdentifierKind::Email,
            value: customer.into(),
            name: Some("Carl Customer".into()),
        },
        "Where is my order?".into(),
    );
    m.subject = "Where is my order?".into();
    let r = inbound::receive(&app.state, Scoped::new(id), m)
        .await
        .unwrap();
    Ws {
        id,
        actor,
        number: r.conversation_number,
    }
}

async fn key(app: &TestApp, ws: &Ws, scopes: &[&str]) -> String {
    let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
    app::services::api_keys::create(
        &app.state,
        &ws.actor,
        "MCP test",
        &scopes,
        &RequestMeta::default(),
    )
    .await
    .unwrap()
    .secret
}

async fn allow_all_but_closing(app: &TestApp, ws: &Ws) {
    let meta = RequestMeta::default();
    policy::set_default(&app.state, &ws.actor, "allow", &meta)
        .await
        .unwrap();
    policy::save(
        &app.state,
        &ws.actor,
        0,
        &PolicyForm {
            name: "Closing needs a person".into(),
            effect: "approval".into(),
            tool: "close_ticket".into(),
            enabled: true,
            ..PolicyForm::default()
        },
        &meta,
    )
    .await
    .unwrap();
}

async fn rpc(c: &mut Client, secret: Option<&str>, body: Value) -> common::Res {
    c.origin = None;
    let mut req = Request::post("/mcp")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json, text/event-stream");
    if let Some(s) = secret {
        req = req.header(header::AUTHORIZATION, format!("Bearer {s}"));
    }
    c.send(req.body(Body::from(body.to_string())).unwrap())
        .await
}

fn call(id: i64, tool: &str, args: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": args}})
}

async fn protocol_keys_scopes_and_workspaces(b: Backend) {
    let app = TestApp::new(b).await;
    let a = workspace(&app, "alice@a.test", "Workspace A", "carl@a-customer.test").await;
    let bw = workspace(&app, "bob@b.test", "Workspace B", "dora@b-customer.test").await;
    allow_all_but_closing(&app, &a).await;
    let full = key(
        &app,
        &a,
        &[
            "conversations:read",
            "conversations:write",
            "customers:read",
            "messages:write",
        ],
    )
    .await;
    let read_only = key(&app, &a, &["conversations:read"]).await;
    let b_key = key(
        &app,
        &bw,
        &[
            "conversations:read",
            "conversations:write",
            "customers:read",
        ],
    )
    .await;
    let mut c = app.client();

    // No key, a bad key: 401 with a message.
    let r = rpc(
        &mut c,
        None,
        json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers.get(header::WWW_AUTHENTICATE).unwrap(), "Bearer");
    let r = rpc(
        &mut c,
        Some("sbk_nope"),
        json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // Handshake, notification, errors.
    let r = rpc(&mut c, Some(&full), json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["result"]["protocolVersion"], "2025-06-18");
    assert_eq!(r.json()["result"]["serverInfo"]["name"], "switchboard");
    let r = rpc(
        &mut c,
        Some(&full),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = rpc(
        &mut c,
        Some(&full),
        json!({"jsonrpc": "2.0", "id": 2, "method": "prompts/list"}),
    )
    .await;
    assert_eq!(r.json()["error"]["code"], -32601);
    let r = rpc(&mut c, Some(&full), call(3, "no_such_tool", json!({}))).await;
    assert_eq!(r.json()["error"]["code"], -32602);
    let r = rpc(&mut c, Some(&full), json!([{"jsonrpc": "2.0", "id": 4, "method": "ping"}, {"jsonrpc": "2.0", "id": 5, "method": "tools/list"}])).await;
    let batch = r.json();
    assert_eq!(batch.as_array().unwrap().len(), 2, "{batch}");
    let names: Vec<String> = batch[1]["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    for n in [
        "search_knowledge_base",
        "create_ticket",
        "get_customer_history",
        "escalate_to_human",
        "send_response",
        "ticket_merge",
        "apply_macro",
        "create_task",
    ] {
        assert!(names.iter().any(|x| x == n), "{n} missing: {names:?}");
    }
    assert!(
        !names.iter().any(|x| x == "reply"),
        "reply is offered as send_response"
    );
    let r = c
        .send(Request::get("/mcp").body(Body::empty()).unwrap())
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    c.origin = Some("http://evil.test".into());
    let req = Request::post("/mcp")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {full}"))
        .body(Body::from(
            json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}).to_string(),
        ))
        .unwrap();
    assert_eq!(c.send(req).await.status, StatusCode::FORBIDDEN);

    // Scopes: a read-only key reads but cannot act.
    let r = rpc(
        &mut c,
        Some(&read_only),
        call(6, "tag_ticket", json!({"ticket": a.number, "add": ["x"]})),
    )
    .await;
    assert_eq!(r.json()["result"]["isError"], true, "{}", r.body);
    assert!(r.body.contains("conversations:write"), "{}", r.body);
    let r = rpc(
        &mut c,
        Some(&read_only),
        call(
            7,
            "get_customer_history",
            json!({"customer_email": "carl@a-customer.test"}),
        ),
    )
    .await;
    assert!(r.body.contains("customers:read"), "{}", r.body);

    // Acting: allowed runs now, approval waits, bad input names the field.
    let r = rpc(
        &mut c,
        Some(&full),
        call(8, "tag_ticket", json!({"ticket": a.number, "add": ["mcp"]})),
    )
    .await;
    let res = &r.json()["result"];
    assert_eq!(res["isError"], false, "{}", r.body);
    assert_eq!(res["structuredContent"]["status"], "completed");
    let r = rpc(
        &mut c,
        Some(&full),
        call(9, "close_ticket", json!({"ticket": a.number})),
    )
    .await;
    assert_eq!(
        r.json()["result"]["structuredContent"]["status"],
        "pending",
        "{}",
        r.body
    );
    let r = rpc(
        &mut c,
        Some(&full),
        call(
            10,
            "create_expense",
            json!({"description": "Credit", "amount": "lots"}),
        ),
    )
    .await;
    assert_eq!(r.json()["result"]["isError"], true);
    assert!(r.body.contains("`amount`: must be a number"), "{}", r.body);
    let r = rpc(
        &mut c,
        Some(&full),
        call(
            11,
            "send_response",
            json!({"ticket": a.number, "body": "On its way!"}),
        ),
    )
    .await;
    assert_eq!(
        r.json()["result"]["structuredContent"]["tool"],
        "reply",
        "{}",
        r.body
    );

    // Workspaces: A's key cannot reach B's ticket or customer; B's key sees B.
    let r = rpc(
        &mut c,
        Some(&full),
        call(
            12,
            "tag_ticket",
            json!({"ticket": bw.number + 100, "add": ["x"]}),
        ),
    )
    .await;
    assert!(r.body.contains("no ticket"), "{}", r.body);
    let r = rpc(
        &mut c,
        Some(&full),
        call(
            13,
            "get_customer_history",
            json!({"customer_email": "dora@b-customer.test"}),
        ),
    )
    .await;
    assert_eq!(
        r.json()["result"]["structuredContent"]["customer"],
        Value::Null,
        "{}",
        r.body
    );
    let r = rpc(&mut c, Some(&b_key), json!({"jsonrpc": "2.0", "id": 14, "method": "resources/read", "params": {"uri": "switchboard://workspace/current"}})).await;
    let text = r.json()["result"]["contents"][0]["text"]
        .as_str()
        .unwrap()
        .to_owned();
    let ws: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(ws["name"], "Workspace B");
    let tagged_in_b = System::new("t")
        .find::<entity::ai_action::Entity>()
        .filter(entity::ai_action::Column::WorkspaceId.eq(bw.id))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(tagged_in_b, 0);
    // Audit: reads and proposals are in A's activity log, as MCP.
    let mcp_rows = System::new("t")
        .find::<entity::activity::Entity>()
        .filter(entity::activity::Column::WorkspaceId.eq(a.id))
        .filter(entity::activity::Column::ActorLabel.contains("(MCP)"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert!(mcp_rows >= 3, "{mcp_rows}");
    app.finish().await;
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn python() -> String {
    std::env::var("SB_MCP_PYTHON").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        format!("{home}/.cache/switchboard/tools/mcp-venv/bin/python")
    })
}

fn check_script() -> String {
    format!("{}/../end2end/mcp/check.py", env!("CARGO_MANIFEST_DIR"))
}

async fn the_official_client_over_http_and_stdio(b: Backend) {
    let py = python();
    assert!(
        std::path::Path::new(&py).exists(),
        "the MCP client is not installed at {py}: run `make setup` (it installs PyPI mcp into a venv)"
    );
    let app = TestApp::new(b).await;
    let ws = workspace(&app, "olga@acme.test", "Acme Support", "carl@customer.test").await;
    switchboard_server::seed::seed_knowledge_base(&app.state, &ws.actor)
        .await
        .unwrap();
    allow_all_but_closing(&app, &ws).await;
    let secret = key(
        &app,
        &ws,
        &[
            "conversations:read",
            "conversations:write",
            "customers:read",
            "messages:write",
        ],
    )
    .await;
    let data_dir = std::env::temp_dir().join(format!("sbt-mcp-{}", uuid::Uuid::new_v4().simple()));
    let data_dir = data_dir.to_string_lossy().into_owned();
    let bin = env!("CARGO_BIN_EXE_switchboard");
    let port = free_port();
    let mut server = std::process::Command::new(bin)
        .args(["serve", "--no-workers"])
        .env("SWITCHBOARD_DATABASE_URL", &app.database_url)
        .env("SWITCHBOARD_BIND", format!("127.0.0.1:{port}"))
        .env("SWITCHBOARD_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("SWITCHBOARD_DATA_DIR", &data_dir)
        .env("SWITCHBOARD_JOBS__SCHEDULER", "false")
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..300 {
        if client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "the server never became ready");
    let common_args = [
        "--key".to_owned(),
        secret.clone(),
        "--ticket".to_owned(),
        ws.number.to_string(),
        "--email".to_owned(),
        "carl@customer.test".to_owned(),
        "--workspace".to_owned(),
        "Acme Support".to_owned(),
    ];
    let http = tokio::process::Command::new(&py)
        .arg(check_script())
        .args(["--http", &format!("http://127.0.0.1:{port}/mcp")])
        .args(&common_args)
        .output()
        .await
        .unwrap();
    server.kill().ok();
    server.wait().ok();
    assert!(
        http.status.success(),
        "HTTP: {}\n{}",
        String::from_utf8_lossy(&http.stdout),
        String::from_utf8_lossy(&http.stderr)
    );
    let stdio = tokio::process::Command::new(&py)
        .arg(check_script())
        .args(["--stdio", bin])
        .args(&common_args)
        .env("SWITCHBOARD_DATABASE_URL", &app.database_url)
        .env("SWITCHBOARD_DATA_DIR", &data_dir)
        .env("RUST_LOG", "error")
        .output()
        .await
        .unwrap();
    assert!(
        stdio.status.success(),
        "stdio: {}\n{}",
        String::from_utf8_lossy(&stdio.stdout),
        String::from_utf8_lossy(&stdio.stderr)
    );
    // Latencies (debug build), shown with `--nocapture`.
    eprintln!(
        "{}{}",
        String::from_utf8_lossy(&http.stdout),
        String::from_utf8_lossy(&stdio.stdout)
    );
    let by_mcp = System::new("t")
        .find::<entity::ai_action::Entity>()
        .filter(entity::ai_action::Column::ProposedByKind.eq("mcp"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert!(by_mcp >= 4, "{by_mcp}");
    std::fs::remove_dir_all(&data_dir).ok();
    app.finish().await;
}

backend_tests!(
    protocol_keys_scopes_and_workspaces,
    the_official_client_over_http_and_stdio
);
