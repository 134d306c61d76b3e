//! Several instances on one PostgreSQL database and one shared bus (SPEC C17),
//! with the real `switchboard` binary: two servers without workers (A and B)
//! and one worker process, over NATS and again over Redis.
//!
//! A customer's widget talks to B while the agent's socket is on A: the
//! customer's messages and typing reach the agent, the agent's reply and
//! typing reach the customer. A job enqueued on A (a webhook delivery) runs on
//! the worker, woken over the bus (its own polling is set to ten minutes). A
//! revoked API key stops working on the instance that did not revoke it, and
//! an API key's rate limit holds across both. Then A is killed mid-conversation;
//! the agent reconnects to B and nothing is lost.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::serverfns::inbox::{PresencePing, SendMessage};
use app::services::channels::{settings, webhooks};
use common::{fns, workspace, Backend, TestApp};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

type Proc = common::binary::Server;
type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const SECRETS_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// How long one expected frame may take before the test fails.
const WAIT: Duration = Duration::from_secs(20);

fn spawn(
    args: &[&str],
    database_url: &str,
    bus: &[(&str, String)],
    extra: &[(&str, &str)],
) -> Proc {
    let data = std::env::temp_dir().join(format!("sbt-scale-{}", uuid::Uuid::new_v4().simple()));
    let mut env: Vec<(&str, String)> = vec![
        ("SWITCHBOARD_SECRETS_KEY", SECRETS_KEY.into()),
        ("SWITCHBOARD_API_REQUESTS_PER_MINUTE", "6".into()),
    ];
    env.extend(bus.iter().cloned());
    env.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    common::binary::spawn(args, database_url, &data.to_string_lossy(), &env)
}

async fn ready(p: &Proc) {
    let v = common::binary::ready(p).await;
    let kind = &v["components"]["bus"]["kind"];
    assert!(kind == "nats" || kind == "redis", "{v}");
}

/// A server function called over HTTP, as the browser calls it.
async fn call(p: &Proc, cookie: &str, path: &str, form: &[(&str, &str)]) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{}{path}", p.base))
        .header("cookie", cookie)
        .header("origin", &p.base)
        .header("accept", "application/json")
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body = r.text().await.unwrap();
    assert!(status.is_success(), "{path} on {}: {status} {body}", p.base);
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

async fn agent_socket(p: &Proc, cookie: &str) -> Socket {
    let mut req = format!("ws://127.0.0.1:{}/ws", p.port)
        .into_client_request()
        .unwrap();
    req.headers_mut().insert("cookie", cookie.parse().unwrap());
    req.headers_mut().insert("origin", p.base.parse().unwrap());
    tokio_tungstenite::connect_async(req).await.unwrap().0
}

async fn widget_socket(p: &Proc, key: &str, token: &str) -> Socket {
    let url = format!(
        "ws://127.0.0.1:{}/widget/ws?key={key}&token={token}",
        p.port
    );
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

/// The next JSON frame for which `pick` is true (others skipped).
async fn until(ws: &mut Socket, what: &str, pick: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut skipped = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                if pick(&v) {
                    return v;
                }
                skipped.push(v);
            }
            Ok(Some(Ok(_))) => {}
            Ok(other) => {
                panic!("socket ended while waiting for {what}: {other:?}; before: {skipped:?}")
            }
            Err(_) => panic!("no {what} within {WAIT:?}; received instead: {skipped:?}"),
        }
    }
}

async fn send_frame(ws: &mut Socket, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.unwrap();
}

/// A local endpoint recording webhook deliveries.
async fn hook_receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let keep = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let keep = keep.clone();
            async move {
                if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                    keep.lock().unwrap().push(v);
                }
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (format!("http://{addr}/hook"), got)
}

async fn api_get(p: &Proc, key: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{}/api/v1/customers", p.base))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn two_instances_and_a_worker(bus: &[(&str, String)]) {
    // Set-up through the harness (same database): an owner, the chat widget,
    // a webhook to a local receiver and two API keys.
    let app = TestApp::new(Backend::Postgres).await;
    let ws = workspace(&app, "olga@acme.test", "Acme").await;
    let cookie = ws.owner.cookie.clone().unwrap();
    let key = settings::get_or_create(&app.state.db, ws.scope, app::types::Channel::Chat)
        .await
        .unwrap()
        .public_key
        .unwrap();
    let (hook_url, deliveries) = hook_receiver().await;
    webhooks::create(
        &app.state,
        &ws.actor,
        &app::types::WebhookForm {
            url: hook_url,
            description: None,
            events: vec!["message.created".into()],
            headers: String::new(),
            allow_private: true,
        },
    )
    .await
    .unwrap();
    let mk_key = |name: &'static str| {
        let (state, actor) = (app.state.clone(), ws.actor.clone());
        async move {
            app::services::api_keys::create(
                &state,
                &actor,
                name,
                &["customers:read".to_owned()],
                &app::services::RequestMeta::default(),
            )
            .await
            .unwrap()
        }
    };
    let revoked = mk_key("Revoked").await;
    let limited = mk_key("Limited").await;

    let a = spawn(&["serve", "--no-workers"], &app.database_url, bus, &[]);
    let b = spawn(&["serve", "--no-workers"], &app.database_url, bus, &[]);
    // The worker polls every ten minutes: only a wake-up over the bus gets a
    // job run within the test's patience.
    let _worker = spawn(
        &["worker"],
        &app.database_url,
        bus,
        &[("SWITCHBOARD_JOBS__POLL_INTERVAL_MS", "600000")],
    );
    ready(&a).await;
    ready(&b).await;

    // The customer opens the widget on B, the agent's inbox is on A.
    let session = reqwest::Client::new()
        .post(format!("{}/widget/api/session", b.base))
        .header("origin", &b.base)
        .json(&json!({ "key": key }))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let session: Value = serde_json::from_str(&session).unwrap_or(Value::Null);
    let token = session["token"]
        .as_str()
        .unwrap_or_else(|| panic!("no widget session: {session}"))
        .to_owned();
    let mut agent = agent_socket(&a, &cookie).await;
    let mut widget = widget_socket(&b, &key, &token).await;

    // Customer → agent: a message sent on B arrives on A.
    send_frame(
        &mut widget,
        json!({"type": "send", "client_id": "client0001", "body": "Hello from instance B"}),
    )
    .await;
    let ack = until(&mut widget, "the send's acknowledgement", |v| {
        v["type"] == "message"
    })
    .await;
    assert_eq!(ack["message"]["client_id"], "client0001");
    let created = until(&mut agent, "message.created on A", |v| {
        v["kind"] == "message.created"
    })
    .await;
    let conversation_id = created["data"]["conversation_id"].as_i64().unwrap();
    let conv = conversation_id.to_string();

    // Customer typing on B reaches A.
    send_frame(&mut widget, json!({"type": "typing", "typing": true})).await;
    let typing = until(&mut agent, "widget.typing on A", |v| {
        v["kind"] == "widget.typing"
    })
    .await;
    assert_eq!(typing["data"]["conversation_id"], conversation_id);

    // Agent typing on A reaches the customer on B.
    call(
        &a,
        &cookie,
        fns::path::<PresencePing>(),
        &[
            ("conversation_id", &conv),
            ("typing", "true"),
            ("stopped", "false"),
            ("announce", "true"),
        ],
    )
    .await;
    let t = until(&mut widget, "the agent's typing on B", |v| {
        v["type"] == "typing"
    })
    .await;
    assert_eq!(t["typing"], true);

    // Agent → customer: a reply sent on A arrives on B.
    let reply = call(
        &a,
        &cookie,
        fns::path::<SendMessage>(),
        &[
            ("conversation_id", &conv),
            ("kind", "reply"),
            ("body", "Hi! Answering from instance A."),
            ("attachment_ids", ""),
            ("force", "false"),
        ],
    )
    .await;
    let reply_id = reply["id"].as_i64().unwrap();
    let m = until(&mut widget, "the agent's reply on B", |v| {
        v["type"] == "message" && v["message"]["text"] == "Hi! Answering from instance A."
    })
    .await;
    assert_eq!(m["message"]["id"], reply_id);

    // The reply's webhook delivery, enqueued on A, ran on the worker.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let seen = deliveries
            .lock()
            .unwrap()
            .iter()
            .any(|d| d["event"] == "message.created" && d["data"]["message_id"] == reply_id);
        if seen {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the worker never delivered the reply's webhook: {:?}",
            deliveries.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // An API key revoked through A stops working on B at once (B had it cached).
    assert_eq!(api_get(&b, &revoked.secret).await, 200);
    let revoked_id = revoked.key.id.to_string();
    call(
        &a,
        &cookie,
        fns::path::<app::serverfns::api_keys::RevokeApiKey>(),
        &[("id", &revoked_id)],
    )
    .await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while api_get(&b, &revoked.secret).await != 401 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "B still accepts a key revoked on A"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Six requests a minute per key, across both instances: four on A, then B
    // allows two more at most once A's count has reached it.
    for _ in 0..4 {
        assert_eq!(api_get(&a, &limited.secret).await, 200);
    }
    let mut allowed_on_b = 0;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match api_get(&b, &limited.secret).await {
            200 => allowed_on_b += 1,
            429 => break,
            s => panic!("unexpected status {s}"),
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "B never applied the hits counted on A"
        );
        assert!(allowed_on_b <= 6, "B counted only its own hits");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        allowed_on_b <= 2,
        "{allowed_on_b} allowed on B after 4 on A"
    );

    // A dies mid-conversation; the agent reconnects to B (the session is in the
    // database) and the conversation goes on there.
    drop(a);
    let ended = tokio::time::timeout(WAIT, async {
        loop {
            match agent.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the agent's socket to A did not end");
    let mut agent = agent_socket(&b, &cookie).await;
    send_frame(
        &mut widget,
        json!({"type": "send", "client_id": "client0002", "body": "Still there?"}),
    )
    .await;
    let again = until(&mut agent, "the second message, now on B", |v| {
        v["kind"] == "message.created"
    })
    .await;
    assert_eq!(again["data"]["conversation_id"], conversation_id);
    let detail = call(
        &b,
        &cookie,
        fns::path::<app::serverfns::inbox::GetConversation>(),
        &[(
            "number",
            &created["data"]["number"]
                .as_i64()
                .map_or_else(|| conv.clone(), |n| n.to_string()),
        )],
    )
    .await;
    let texts: Vec<&str> = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["body_text"].as_str())
        .collect();
    for expected in [
        "Hello from instance B",
        "Hi! Answering from instance A.",
        "Still there?",
    ] {
        assert!(texts.contains(&expected), "{expected} missing: {texts:?}");
    }
    drop(b);
    app.finish().await;
}

fn prefix() -> String {
    format!("sbt{}", uuid::Uuid::new_v4().simple())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_over_nats() {
    common::watchdog(two_instances_and_a_worker(&[
        ("SWITCHBOARD_BUS__KIND", "nats".into()),
        ("SWITCHBOARD_BUS__URL", "nats://127.0.0.1:4222".into()),
        ("SWITCHBOARD_BUS__PREFIX", prefix()),
    ]))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_over_redis() {
    common::watchdog(two_instances_and_a_worker(&[
        ("SWITCHBOARD_BUS__KIND", "redis".into()),
        ("SWITCHBOARD_BUS__URL", "redis://127.0.0.1:6379".into()),
        ("SWITCHBOARD_BUS__PREFIX", prefix()),
    ]))
    .await;
}
