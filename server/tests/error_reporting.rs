//! Error reporting to a Sentry-compatible DSN (SPEC C17): a local receiver
//! checks what Sentry documents for envelopes (the endpoint, `X-Sentry-Auth`
//! with the DSN's public key, an envelope header, an item header whose length
//! is the event's) and that no secret or message body travels.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::post;
use axum::Router;
use std::time::Duration;
use tokio::sync::mpsc;
use tracing_subscriber::layer::SubscriberExt as _;

#[derive(Debug)]
struct Received {
    path: String,
    auth: String,
    content_type: String,
    body: Vec<u8>,
}

async fn receiver() -> (String, mpsc::UnboundedReceiver<Received>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = Router::new()
        .route(
            "/{*rest}",
            post(
                |State(tx): State<mpsc::UnboundedSender<Received>>,
                 uri: Uri,
                 headers: HeaderMap,
                 body: Bytes| async move {
                    let h = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    let _ = tx.send(Received {
                        path: uri.path().to_owned(),
                        auth: h("x-sentry-auth"),
                        content_type: h("content-type"),
                        body: body.to_vec(),
                    });
                    (StatusCode::OK, r#"{"id":"ok"}"#)
                },
            ),
        )
        .with_state(tx);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (format!("http://pubkey123@{addr}/42"), rx)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("a report within 30 s")
        .expect("receiver open")
}

/// Splits an envelope, checking the item header's length against the event.
fn event_of(r: &Received) -> serde_json::Value {
    assert_eq!(r.path, "/api/42/envelope/");
    assert_eq!(r.content_type, "application/x-sentry-envelope");
    assert!(r.auth.starts_with("Sentry "), "{}", r.auth);
    assert!(r.auth.contains("sentry_version=7"), "{}", r.auth);
    assert!(r.auth.contains("sentry_key=pubkey123"), "{}", r.auth);
    assert!(r.auth.contains("sentry_client=switchboard/"), "{}", r.auth);
    let text = std::str::from_utf8(&r.body).unwrap();
    let mut lines = text.splitn(3, '\n');
    let header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    let item: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    let rest = lines.next().unwrap();
    assert_eq!(item["type"], "event");
    let len = usize::try_from(item["length"].as_u64().unwrap()).unwrap();
    let payload = &rest.as_bytes()[..len];
    assert_eq!(&rest[len..], "\n", "the event is exactly `length` bytes");
    let event: serde_json::Value = serde_json::from_slice(payload).unwrap();
    assert_eq!(event["event_id"], header["event_id"]);
    assert_eq!(event["event_id"].as_str().unwrap().len(), 32);
    assert_eq!(event["platform"], "rust");
    event
}

#[tokio::test]
async fn errors_reach_the_dsn_without_secrets_or_bodies() {
    let (dsn, mut rx) = receiver().await;
    let (layer, panics) = switchboard_server::errors::start(&dsn, "ci").unwrap();
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        tracing::info!("not an error: not reported");
        tracing::error!(
            error = "connecting to postgres://app:hunter2@db/x as ana@example.com",
            body = "Hi, my card is 4242 4242 4242 4242 and I'm furious",
            subject = "Refund please",
            workspace.id = 7,
            job.id = 912,
            "job failed for key sbk_live_0123456789abcdef"
        );
    });
    let r = next(&mut rx).await;
    let event = event_of(&r);
    assert_eq!(event["level"], "error");
    assert_eq!(event["environment"], "ci");
    assert!(event["release"]
        .as_str()
        .unwrap()
        .starts_with("switchboard@"));
    let message = event["message"]["formatted"].as_str().unwrap();
    assert!(message.starts_with("job failed for key"), "{message}");
    assert_eq!(event["tags"]["workspace.id"], "7");
    assert_eq!(event["extra"]["job.id"], 912);
    assert!(event["extra"]["error"]
        .as_str()
        .unwrap()
        .contains("postgres://app:***@db/x"));
    assert!(event["culprit"]
        .as_str()
        .unwrap()
        .contains("error_reporting.rs"));
    let all = String::from_utf8_lossy(&r.body);
    for secret in [
        "hunter2",
        "ana@example.com",
        "sbk_live",
        "4242",
        "furious",
        "Refund please",
    ] {
        assert!(!all.contains(secret), "{secret} was sent: {all}");
    }

    // A panic is reported as a fatal exception with where it happened.
    switchboard_server::errors::report_panics(panics);
    let handle = tokio::spawn(async { panic!("index out of range for ana@example.com") });
    assert!(handle.await.is_err());
    let r = next(&mut rx).await;
    let event = event_of(&r);
    assert_eq!(event["level"], "fatal");
    assert_eq!(event["exception"]["values"][0]["type"], "panic");
    assert!(event["culprit"]
        .as_str()
        .unwrap()
        .contains("error_reporting.rs"));
    let all = String::from_utf8_lossy(&r.body);
    assert!(!all.contains("ana@example.com"), "{all}");
    assert!(all.contains("index out of range"), "{all}");
    let _ = std::panic::take_hook();
}

#[test]
fn a_bad_dsn_is_named() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let _guard = rt.enter();
    let err = switchboard_server::errors::start("sentry.example.com/42", "ci").unwrap_err();
    assert!(err.contains("errors.dsn"), "{err}");
}
