//! A local fake of Slack's Web API, checking what Slack documents: the bot
//! token as `Authorization: Bearer` (`not_authed` / `invalid_auth`
//! otherwise), JSON bodies only for the write method and sent as
//! `application/json` (`invalid_json` otherwise), the read methods'
//! arguments as query parameters, and Slack's answers: HTTP 200 with `"ok": false` and an error
//! code for refusals (`channel_not_found`, `not_in_channel`,
//! `thread_not_found`, `no_text`), 429 with `Retry-After` when rate limited.
//! `auth.test`, `chat.postMessage` (by channel id or `#name`, in a thread
//! with `thread_ts`) and `users.info`. Also signs requests the way Slack
//! does, for the tests to post to Switchboard.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The bot token the fake accepts.
pub const TOKEN: &str = "xoxb-1111-2222-fakeSlackBotToken";
/// A signing secret (Slack's documented example).
pub const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
/// The team.
pub const TEAM: &str = "T0ACME";
/// The bot's own user id.
pub const BOT_USER: &str = "U0BOT";

/// One posted message.
#[derive(Clone, Debug)]
pub struct Post {
    pub channel: String,
    pub text: String,
    pub thread_ts: Option<String>,
    pub ts: String,
}

#[derive(Default)]
struct Inner {
    posts: Vec<Post>,
    refused: Vec<String>,
    rate_limit_next: usize,
}

/// The fake, on a loopback port.
#[derive(Clone)]
pub struct FakeSlack {
    inner: Arc<Mutex<Inner>>,
    /// `http://127.0.0.1:port/api/`.
    pub base: String,
}

/// Channels: name, id, whether the bot is in it.
const CHANNELS: &[(&str, &str, bool)] = &[
    ("support", "C0SUPPORT", true),
    ("it-help", "C0ITHELP", true),
    ("parts-team", "C0PARTS", true),
    ("secret-room", "C0SECRET", false),
];

fn refuse(f: &FakeSlack, code: &str) -> Response {
    f.inner.lock().unwrap().refused.push(code.to_owned());
    Json(json!({ "ok": false, "error": code })).into_response()
}

fn authorized(f: &FakeSlack, h: &HeaderMap) -> Option<Response> {
    let auth = h
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    match auth.strip_prefix("Bearer ") {
        None => Some(refuse(f, "not_authed")),
        Some(t) if t != TOKEN => Some(refuse(f, "invalid_auth")),
        Some(_) => None,
    }
}

fn rate_limited(f: &FakeSlack) -> Option<Response> {
    let mut i = f.inner.lock().unwrap();
    if i.rate_limit_next == 0 {
        return None;
    }
    i.rate_limit_next -= 1;
    Some(
        (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "1")],
            "",
        )
            .into_response(),
    )
}

/// `auth.test` and `users.info`: read methods, arguments in the query.
async fn read(
    State(f): State<FakeSlack>,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = rate_limited(&f).or_else(|| authorized(&f, &headers)) {
        return r;
    }
    match name.as_str() {
        "auth.test" => Json(json!({
            "ok": true, "url": "https://acme.slack.com/", "team": "Acme Outdoor",
            "user": "switchboard", "team_id": TEAM, "user_id": BOT_USER, "bot_id": "B0BOT",
        }))
        .into_response(),
        "users.info" => {
            let user = q.get("user").map(String::as_str).unwrap_or_default();
            let (name, real) = match user {
                "U0ANA" => ("ana", "Ana Lopez"),
                "U0BEN" => ("ben", "Ben Okafor"),
                "U0SAM" => ("sam", "Sam Reyes"),
                "" => return refuse(&f, "invalid_arguments"),
                _ => return refuse(&f, "user_not_found"),
            };
            Json(json!({ "ok": true, "user": {
                "id": user, "name": name, "real_name": real,
                "profile": { "display_name": real.split(' ').next(), "real_name": real },
            }}))
            .into_response()
        }
        _ => refuse(&f, "unknown_method"),
    }
}

/// `chat.postMessage`: a write method, JSON body.
async fn write(
    State(f): State<FakeSlack>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = rate_limited(&f).or_else(|| authorized(&f, &headers)) {
        return r;
    }
    if name != "chat.postMessage" {
        return refuse(&f, "unknown_method");
    }
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !ct.starts_with("application/json") {
        return refuse(&f, "invalid_json");
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return refuse(&f, "invalid_json");
    };
    let channel = v["channel"].as_str().unwrap_or_default();
    let Some((_, id, joined)) = CHANNELS
        .iter()
        .find(|(n, id, _)| channel == *id || channel.strip_prefix('#') == Some(*n))
    else {
        return refuse(&f, "channel_not_found");
    };
    if !joined {
        return refuse(&f, "not_in_channel");
    }
    let text = v["text"].as_str().unwrap_or_default();
    if text.trim().is_empty() {
        return refuse(&f, "no_text");
    }
    let thread = v["thread_ts"].as_str().map(str::to_owned);
    let mut i = f.inner.lock().unwrap();
    if let Some(t) = &thread {
        if !i.posts.iter().any(|p| &p.ts == t && p.channel == *id) {
            drop(i);
            return refuse(&f, "thread_not_found");
        }
    }
    let ts = format!("1700000000.{:06}", i.posts.len() + 1);
    i.posts.push(Post {
        channel: (*id).to_owned(),
        text: text.to_owned(),
        thread_ts: thread,
        ts: ts.clone(),
    });
    Json(json!({ "ok": true, "channel": id, "ts": ts, "message": { "text": text } }))
        .into_response()
}

impl FakeSlack {
    /// Starts the fake.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let f = Self {
            inner: Arc::default(),
            base: format!("http://{}/api/", listener.local_addr().unwrap()),
        };
        let app = Router::new()
            .route("/api/{method}", get(read).post(write))
            .with_state(f.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        f
    }

    /// Messages posted so far.
    pub fn posts(&self) -> Vec<Post> {
        self.inner.lock().unwrap().posts.clone()
    }

    /// Error codes answered so far.
    pub fn refused(&self) -> Vec<String> {
        self.inner.lock().unwrap().refused.clone()
    }

    /// The next `n` calls answer 429.
    pub fn rate_limit(&self, n: usize) {
        self.inner.lock().unwrap().rate_limit_next = n;
    }
}

/// Slack's signature headers for `body` sent at `ts` under `secret`.
pub fn sign(secret: &str, ts: i64, body: &str) -> (String, String) {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("v0:{ts}:{body}").as_bytes());
    (
        ts.to_string(),
        format!("v0={}", hex::encode(mac.finalize().into_bytes())),
    )
}

/// A slash command's form body, as Slack sends it.
pub fn command_body(
    channel: &str,
    user: &str,
    user_name: &str,
    text: &str,
    trigger: &str,
) -> String {
    super::form(&[
        ("token", "deprecatedVerificationToken"),
        ("team_id", TEAM),
        ("team_domain", "acme"),
        ("channel_id", channel),
        ("channel_name", "it-help"),
        ("user_id", user),
        ("user_name", user_name),
        ("command", "/ticket"),
        ("text", text),
        ("api_app_id", "A0APP"),
        (
            "response_url",
            "https://hooks.slack.com/commands/T0ACME/1/abc",
        ),
        ("trigger_id", trigger),
    ])
}

/// An Events API `message` event in a thread.
pub fn thread_message(channel: &str, user: &str, text: &str, ts: &str, thread_ts: &str) -> String {
    json!({
        "token": "deprecatedVerificationToken",
        "team_id": TEAM,
        "api_app_id": "A0APP",
        "type": "event_callback",
        "event_id": format!("Ev{}", ts.replace('.', "")),
        "event_time": 1_700_000_000,
        "event": {
            "type": "message", "channel": channel, "user": user, "text": text,
            "ts": ts, "thread_ts": thread_ts, "channel_type": "channel",
        },
    })
    .to_string()
}
