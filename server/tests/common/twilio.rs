//! A local fake of Twilio's Programmable Messaging API, checking requests the
//! way Twilio documents them:
//!
//! - `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` behind HTTP Basic
//!   (Account SID and auth token; 401 with Twilio's error 20003 otherwise), a
//!   form with `To`, `From` and `Body` (at most 1,600 characters, else 21617) or
//!   `ContentSid` (+ `ContentVariables` as JSON); `whatsapp:` on both ends or
//!   neither (21910); numbers listed with [`FakeTwilio::unsubscribe`] answer
//!   21610. Answers 201 with the Message resource (`sid`, `status`,
//!   `num_segments`).
//! - `GET /media/{name}` behind the same Basic auth: incoming media.
//! - Twilio's webhooks: [`sign`] computes `X-Twilio-Signature` as Twilio does
//!   (HMAC-SHA1 of the URL followed by the sorted parameters, base64), written
//!   here independently of the server's own code.

#![allow(
    clippy::result_large_err,
    reason = "handlers answer an error response as it is"
)]

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha1::Sha1;
use std::sync::{Arc, Mutex};

/// The account the fake serves.
pub const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
/// Its auth token.
pub const AUTH_TOKEN: &str = "f00dfeedf00dfeedf00dfeedf00dfeed";

/// One message the fake accepted.
#[derive(Clone, Debug)]
pub struct Sent {
    pub sid: String,
    pub to: String,
    pub from: String,
    pub body: Option<String>,
    pub content_sid: Option<String>,
    pub content_variables: Option<String>,
    pub status_callback: Option<String>,
    /// `MediaUrl` values, in order.
    pub media: Vec<String>,
}

#[derive(Default)]
struct Inner {
    sent: Vec<Sent>,
    unsubscribed: Vec<String>,
    /// Requests refused for their credentials.
    unauthorized: usize,
    /// Answer the next sends with 503 this many times.
    outages: usize,
    seq: u64,
}

/// The fake, on a loopback port.
#[derive(Clone)]
pub struct FakeTwilio {
    inner: Arc<Mutex<Inner>>,
    /// `http://127.0.0.1:port/`.
    pub base: String,
}

/// `X-Twilio-Signature` for a request to `url` with `params`.
pub fn sign(token: &str, url: &str, params: &[(&str, &str)]) -> String {
    let mut sorted: Vec<(&str, &str)> = params.to_vec();
    sorted.sort_unstable();
    let mut data = url.to_owned();
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    let mut mac = Hmac::<Sha1>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn error(status: StatusCode, code: u32, message: &str) -> Response {
    (
        status,
        Json(json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status.as_u16(),
        })),
    )
        .into_response()
}

fn authorized(headers: &HeaderMap) -> bool {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT_SID}:{AUTH_TOKEN}"))
    );
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        == Some(expected.as_str())
}

async fn create(
    State(f): State<FakeTwilio>,
    Path(sid): Path<String>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if sid != format!("{ACCOUNT_SID}/Messages.json") && sid != ACCOUNT_SID {
        return error(
            StatusCode::NOT_FOUND,
            20404,
            "The requested resource was not found",
        );
    }
    if !authorized(&headers) {
        f.inner.lock().unwrap().unauthorized += 1;
        return error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let (Some(to), Some(from)) = (get("To"), get("From")) else {
        return error(
            StatusCode::BAD_REQUEST,
            21604,
            "A 'To' and a 'From' phone number are required.",
        );
    };
    if to.starts_with("whatsapp:") != from.starts_with("whatsapp:") {
        return error(
            StatusCode::BAD_REQUEST,
            21910,
            "Invalid From and To pair. From and To should be of the same channel",
        );
    }
    let body = get("Body");
    let content_sid = get("ContentSid");
    let media: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == "MediaUrl")
        .map(|(_, v)| v.clone())
        .collect();
    if media.len() > 10 || (to.starts_with("whatsapp:") && media.len() > 1) {
        return error(
            StatusCode::BAD_REQUEST,
            21623,
            "Number of media files exceeds allowed limit.",
        );
    }
    match (&body, &content_sid) {
        (None, None) => {
            return error(StatusCode::BAD_REQUEST, 21602, "Message body is required.");
        }
        (Some(b), _) if b.chars().count() > 1_600 => {
            return error(
                StatusCode::BAD_REQUEST,
                21617,
                "The concatenated message body exceeds the 1600 character limit.",
            );
        }
        _ => {}
    }
    if let Some(v) = get("ContentVariables") {
        if serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&v).is_err() {
            return error(
                StatusCode::BAD_REQUEST,
                21656,
                "The ContentVariables Parameter is invalid.",
            );
        }
    }
    let mut g = f.inner.lock().unwrap();
    if g.outages > 0 {
        g.outages -= 1;
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            20503,
            "Service unavailable",
        );
    }
    let bare = to.trim_start_matches("whatsapp:").to_owned();
    if g.unsubscribed.contains(&bare) {
        return error(
            StatusCode::BAD_REQUEST,
            21610,
            "Attempt to send to unsubscribed recipient",
        );
    }
    g.seq += 1;
    let msid = format!("SM{:032x}", g.seq);
    let segments = body
        .as_deref()
        .map_or(1, |b| app::types::sms_segments(b).0.max(1));
    g.sent.push(Sent {
        sid: msid.clone(),
        to: to.clone(),
        from: from.clone(),
        body: body.clone(),
        content_sid,
        content_variables: get("ContentVariables"),
        status_callback: get("StatusCallback"),
        media,
    });
    (
        StatusCode::CREATED,
        Json(json!({
            "sid": msid,
            "account_sid": ACCOUNT_SID,
            "to": to,
            "from": from,
            "body": body.unwrap_or_default(),
            "status": "queued",
            "num_segments": segments.to_string(),
            "num_media": "0",
            "direction": "outbound-api",
            "price": null,
            "error_code": null,
            "error_message": null,
        })),
    )
        .into_response()
}

async fn media(headers: HeaderMap, Path(name): Path<String>) -> Response {
    if !authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    let (ct, bytes): (&str, Bytes) = match name.as_str() {
        "photo.jpg" => (
            "image/jpeg",
            Bytes::from_static(b"\xff\xd8\xff\xe0fake-jpeg"),
        ),
        _ => {
            return error(
                StatusCode::NOT_FOUND,
                20404,
                "The requested resource was not found",
            )
        }
    };
    ([(header::CONTENT_TYPE, ct)], bytes).into_response()
}

impl FakeTwilio {
    /// Starts the fake.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/", listener.local_addr().unwrap());
        let f = Self {
            inner: Arc::default(),
            base,
        };
        let app = Router::new()
            .route("/2010-04-01/Accounts/{*rest}", post(create))
            .route("/media/{name}", get(media))
            .with_state(f.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        f
    }

    /// Every message accepted so far.
    pub fn sent(&self) -> Vec<Sent> {
        self.inner.lock().unwrap().sent.clone()
    }

    /// Requests refused for bad credentials.
    pub fn unauthorized(&self) -> usize {
        self.inner.lock().unwrap().unauthorized
    }

    /// Makes sends to `number` fail with 21610 (the number texted STOP to Twilio).
    pub fn unsubscribe(&self, number: &str) {
        self.inner
            .lock()
            .unwrap()
            .unsubscribed
            .push(number.to_owned());
    }

    /// Answers the next `n` sends with 503.
    pub fn outage(&self, n: usize) {
        self.inner.lock().unwrap().outages = n;
    }

    /// A media URL the fake serves.
    pub fn media_url(&self, name: &str) -> String {
        format!("{}media/{name}", self.base)
    }
}
