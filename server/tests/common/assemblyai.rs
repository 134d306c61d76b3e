//! A local fake of the speech-to-text API (AssemblyAI's shapes), checking the
//! key in `Authorization` as AssemblyAI does (the key itself, no `Bearer`;
//! 401 otherwise): `POST /v2/upload` (raw bytes as
//! `application/octet-stream`), `POST /v2/transcript` (JSON with an
//! `audio_url`; a webhook header name needs its value), `GET
//! /v2/transcript/{id}` and `GET /v2/transcript?limit=…`. The test decides
//! when a transcript finishes ([`FakeAssembly::complete`], [`FakeAssembly::fail`])
//! and reads what the webhook would carry ([`FakeAssembly::webhook`]).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

/// The API key the fake accepts.
pub const KEY: &str = "aai_fake_key_0123456789abcdef";

/// One submitted transcript.
#[derive(Clone, Debug)]
pub struct Submitted {
    /// Its id.
    pub id: String,
    /// The body as sent.
    pub body: Value,
    /// Current state.
    pub status: String,
    pub text: Option<String>,
    pub error: Option<String>,
    pub seconds: Option<f64>,
}

#[derive(Default)]
struct Inner {
    uploads: Vec<Vec<u8>>,
    transcripts: Vec<Submitted>,
    unauthorized: usize,
}

/// The fake, on a loopback port.
#[derive(Clone)]
pub struct FakeAssembly {
    inner: Arc<Mutex<Inner>>,
    /// `http://127.0.0.1:port/`.
    pub base: String,
}

fn refuse(status: StatusCode, msg: &str) -> Response {
    (status, Json(json!({ "error": msg }))).into_response()
}

fn authorized(f: &FakeAssembly, h: &HeaderMap) -> bool {
    let ok = h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) == Some(KEY);
    if !ok {
        f.inner.lock().unwrap().unauthorized += 1;
    }
    ok
}

async fn upload(State(f): State<FakeAssembly>, headers: HeaderMap, body: Bytes) -> Response {
    if !authorized(&f, &headers) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "Authentication error, API token missing/invalid",
        );
    }
    if headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        != Some("application/octet-stream")
    {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Upload the file as application/octet-stream",
        );
    }
    if body.is_empty() {
        return refuse(StatusCode::BAD_REQUEST, "The upload is empty");
    }
    let mut i = f.inner.lock().unwrap();
    i.uploads.push(body.to_vec());
    let url = format!("https://cdn.assemblyai.test/upload/{}", i.uploads.len());
    Json(json!({ "upload_url": url })).into_response()
}

fn view(t: &Submitted) -> Value {
    json!({
        "id": t.id,
        "status": t.status,
        "audio_url": t.body["audio_url"],
        "text": t.text,
        "error": t.error,
        "audio_duration": t.seconds,
        "language_code": t.body.get("language_code"),
    })
}

async fn submit(State(f): State<FakeAssembly>, headers: HeaderMap, body: Bytes) -> Response {
    if !authorized(&f, &headers) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "Authentication error, API token missing/invalid",
        );
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return refuse(StatusCode::BAD_REQUEST, "Invalid JSON");
    };
    let audio = v["audio_url"].as_str().unwrap_or_default();
    if !(audio.starts_with("https://") || audio.starts_with("http://")) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Invalid audio_url: it must be an http(s) URL",
        );
    }
    if v.get("webhook_auth_header_name").is_some()
        && v["webhook_auth_header_value"]
            .as_str()
            .unwrap_or_default()
            .is_empty()
    {
        return refuse(
            StatusCode::BAD_REQUEST,
            "webhook_auth_header_value is required with webhook_auth_header_name",
        );
    }
    if v.get("language_code").is_some() && v.get("language_detection") == Some(&Value::Bool(true)) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Set either language_code or language_detection, not both",
        );
    }
    let mut i = f.inner.lock().unwrap();
    let t = Submitted {
        id: format!("tr_{:04}", i.transcripts.len() + 1),
        body: v,
        status: "queued".into(),
        text: None,
        error: None,
        seconds: None,
    };
    let out = view(&t);
    i.transcripts.push(t);
    Json(out).into_response()
}

async fn one(
    State(f): State<FakeAssembly>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&f, &headers) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "Authentication error, API token missing/invalid",
        );
    }
    let i = f.inner.lock().unwrap();
    match i.transcripts.iter().find(|t| t.id == id) {
        Some(t) => Json(view(t)).into_response(),
        None => refuse(StatusCode::NOT_FOUND, "Transcript not found"),
    }
}

async fn list(State(f): State<FakeAssembly>, headers: HeaderMap) -> Response {
    if !authorized(&f, &headers) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "Authentication error, API token missing/invalid",
        );
    }
    let i = f.inner.lock().unwrap();
    let list: Vec<Value> = i.transcripts.iter().map(view).collect();
    Json(json!({ "transcripts": list, "page_details": { "limit": 1 } })).into_response()
}

impl FakeAssembly {
    /// Starts the fake.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let f = Self {
            inner: Arc::default(),
            base: format!("http://{}/", listener.local_addr().unwrap()),
        };
        let app = Router::new()
            .route("/v2/upload", post(upload))
            .route("/v2/transcript", post(submit).get(list))
            .route("/v2/transcript/{id}", get(one))
            .with_state(f.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        f
    }

    /// Files uploaded.
    pub fn uploads(&self) -> Vec<Vec<u8>> {
        self.inner.lock().unwrap().uploads.clone()
    }

    /// Transcripts submitted.
    pub fn submitted(&self) -> Vec<Submitted> {
        self.inner.lock().unwrap().transcripts.clone()
    }

    /// Requests refused for their key.
    pub fn unauthorized(&self) -> usize {
        self.inner.lock().unwrap().unauthorized
    }

    fn settle(&self, id: &str, f: impl FnOnce(&mut Submitted)) {
        let mut i = self.inner.lock().unwrap();
        let t = i
            .transcripts
            .iter_mut()
            .find(|t| t.id == id)
            .expect("a submitted transcript");
        f(t);
    }

    /// Finishes a transcript with `text`.
    pub fn complete(&self, id: &str, text: &str, seconds: f64) {
        self.settle(id, |t| {
            t.status = "completed".into();
            t.text = Some(text.into());
            t.seconds = Some(seconds);
        });
    }

    /// Fails a transcript with `error`.
    pub fn fail(&self, id: &str, error: &str) {
        self.settle(id, |t| {
            t.status = "error".into();
            t.error = Some(error.into());
        });
    }

    /// What the provider's webhook for `id` carries: the path of the
    /// webhook URL it was given, its header (name, value) and the body.
    pub fn webhook(&self, id: &str) -> (String, String, String, String) {
        let i = self.inner.lock().unwrap();
        let t = i
            .transcripts
            .iter()
            .find(|t| t.id == id)
            .expect("a submitted transcript");
        let url = t.body["webhook_url"].as_str().unwrap_or_default();
        let path = url.split_once("://").map_or(url, |(_, rest)| rest);
        let path = &path[path.find('/').unwrap_or(0)..];
        (
            path.to_owned(),
            t.body["webhook_auth_header_name"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            t.body["webhook_auth_header_value"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            json!({ "transcript_id": t.id, "status": t.status }).to_string(),
        )
    }
}
