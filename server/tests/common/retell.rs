//! A local fake of the voice provider's API (Retell's shapes), checking the
//! Bearer key as Retell does (401 otherwise): `PATCH /update-agent/{id}` and
//! `DELETE /v2/delete-call/{id}` (204; 404 for a call it never had). Events
//! are signed with [`sign`], written here independently of the server's code:
//! `X-Retell-Signature: v=<unix ms>,d=<hex HMAC-SHA256(key, body + ms)>`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, patch};
use axum::{Json, Router};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::{Arc, Mutex};

/// The API key the fake accepts (and signs with).
pub const KEY: &str = "key_retell_fake_0123456789";

/// The signature header for `body`, now.
pub fn sign(key: &str, body: &str, ts_ms: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    mac.update(ts_ms.to_string().as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("v={ts_ms},d={hex}")
}

#[derive(Default)]
struct Inner {
    /// (agent id, body) of each update.
    updates: Vec<(String, serde_json::Value)>,
    /// Call ids deleted.
    deleted: Vec<String>,
    unauthorized: usize,
}

/// The fake, on a loopback port.
#[derive(Clone)]
pub struct FakeRetell {
    inner: Arc<Mutex<Inner>>,
    /// `http://127.0.0.1:port/`.
    pub base: String,
}

fn authorized(f: &FakeRetell, h: &HeaderMap) -> bool {
    let ok = h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
        == Some(format!("Bearer {KEY}").as_str());
    if !ok {
        f.inner.lock().unwrap().unauthorized += 1;
    }
    ok
}

async fn update(
    State(f): State<FakeRetell>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !authorized(&f, &headers) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(serde_json::json!({ "message": "Invalid API key" })),
        )
            .into_response();
    }
    if id != "agent_123" {
        return (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({ "message": "Agent not found" })),
        )
            .into_response();
    }
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({ "message": "Invalid JSON" })),
        )
            .into_response();
    };
    f.inner
        .lock()
        .unwrap()
        .updates
        .push((id.clone(), v.clone()));
    let mut agent = v;
    agent["agent_id"] = serde_json::Value::String(id);
    Json(agent).into_response()
}

async fn delete_call(
    State(f): State<FakeRetell>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&f, &headers) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(serde_json::json!({ "message": "Invalid API key" })),
        )
            .into_response();
    }
    f.inner.lock().unwrap().deleted.push(id);
    StatusCode::NO_CONTENT.into_response()
}

impl FakeRetell {
    /// Starts the fake.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let f = Self {
            inner: Arc::default(),
            base: format!("http://{}/", listener.local_addr().unwrap()),
        };
        let app = Router::new()
            .route("/update-agent/{id}", patch(update))
            .route("/v2/delete-call/{id}", delete(delete_call))
            .with_state(f.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        f
    }

    /// Agent updates received.
    pub fn updates(&self) -> Vec<(String, serde_json::Value)> {
        self.inner.lock().unwrap().updates.clone()
    }

    /// Calls deleted.
    pub fn deleted(&self) -> Vec<String> {
        self.inner.lock().unwrap().deleted.clone()
    }

    /// Requests refused for their key.
    pub fn unauthorized(&self) -> usize {
        self.inner.lock().unwrap().unauthorized
    }
}
