//! A local fake of the Stripe API for the tests: it serves the paths the app
//! calls (`POST /v1/checkout/sessions`, `POST /v1/refunds`), refuses a wrong secret key the way
//! Stripe does (401 with an `error` object), answers a repeated idempotency
//! key with the same session, records what it was asked, and signs the
//! events it sends exactly as Stripe documents: `Stripe-Signature:
//! t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<payload>" with the signing secret>`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The secret key the fake accepts.
pub const SECRET_KEY: &str = "sk_test_switchboard_fake";
/// The webhook signing secret the fake signs with.
pub const WEBHOOK_SECRET: &str = "whsec_switchboard_fake";

/// A Checkout Session the fake made.
#[derive(Clone, Debug)]
pub struct FakeSession {
    pub id: String,
    /// The form the app sent, decoded (`line_items[0][quantity]` → `2`).
    pub form: BTreeMap<String, String>,
    pub idempotency_key: String,
}

impl FakeSession {
    /// Σ unit_amount × quantity over the line items.
    pub fn total(&self) -> i64 {
        (0..)
            .map_while(|i| {
                let q = self.form.get(&format!("line_items[{i}][quantity]"))?;
                let a = self
                    .form
                    .get(&format!("line_items[{i}][price_data][unit_amount]"))?;
                Some(a.parse::<i64>().unwrap() * q.parse::<i64>().unwrap())
            })
            .sum()
    }

    /// The order id the app put on the session.
    pub fn order_id(&self) -> String {
        self.form["client_reference_id"].clone()
    }
}

/// A Refund the fake made.
#[derive(Clone, Debug)]
pub struct FakeRefund {
    pub id: String,
    pub payment_intent: String,
    pub amount: i64,
    pub idempotency_key: String,
}

#[derive(Default)]
struct Inner {
    sessions: Vec<FakeSession>,
    refunds: Vec<FakeRefund>,
    /// What each payment intent took (refunds may not exceed it).
    charged: BTreeMap<String, i64>,
    refuse: bool,
    base: String,
}

fn unauthorized(headers: &HeaderMap) -> Option<axum::response::Response> {
    let auth = headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    (auth != format!("Bearer {SECRET_KEY}")).then(|| {
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}})),
        )
            .into_response()
    })
}

fn bad_request(message: &str) -> axum::response::Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": {"type": "invalid_request_error", "message": message}})),
    )
        .into_response()
}

fn parse_form(body: &[u8]) -> BTreeMap<String, String> {
    std::str::from_utf8(body)
        .unwrap()
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

/// `POST /v1/refunds`: `payment_intent` and `amount` (at most what is left of
/// the charge), answered once per idempotency key.
async fn create_refund(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    if let Some(r) = unauthorized(&headers) {
        return r;
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let form = parse_form(&body);
    let mut g = inner.lock().unwrap();
    if g.refuse {
        return bad_request("This charge cannot be refunded.");
    }
    if let Some(r) = g
        .refunds
        .iter()
        .find(|r| !key.is_empty() && r.idempotency_key == key)
    {
        return Json(
            json!({"id": r.id, "object": "refund", "amount": r.amount, "status": "succeeded"}),
        )
        .into_response();
    }
    let Some(pi) = form.get("payment_intent").cloned() else {
        return bad_request("Missing required param: payment_intent.");
    };
    let Some(charged) = g.charged.get(&pi).copied() else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": {"type": "invalid_request_error", "message": format!("No such payment_intent: '{pi}'")}})),
        )
            .into_response();
    };
    let refunded: i64 = g
        .refunds
        .iter()
        .filter(|r| r.payment_intent == pi)
        .map(|r| r.amount)
        .sum();
    let amount = form
        .get("amount")
        .and_then(|a| a.parse::<i64>().ok())
        .unwrap_or(charged - refunded);
    if amount <= 0 || amount > charged - refunded {
        return bad_request(&format!(
            "Refund amount ({amount}) is greater than unrefunded amount on charge ({}).",
            charged - refunded
        ));
    }
    let r = FakeRefund {
        id: format!("re_test_{}", g.refunds.len() + 1),
        payment_intent: pi,
        amount,
        idempotency_key: key,
    };
    g.refunds.push(r.clone());
    Json(json!({"id": r.id, "object": "refund", "amount": amount, "status": "succeeded"}))
        .into_response()
}

/// The running fake.
#[derive(Clone)]
pub struct FakeStripe {
    inner: Arc<Mutex<Inner>>,
    /// `http://127.0.0.1:<port>/`.
    pub base: String,
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

async fn create(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    let auth = headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    if auth != format!("Bearer {SECRET_KEY}") {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}})),
        )
            .into_response();
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let form: BTreeMap<String, String> = std::str::from_utf8(&body)
        .unwrap()
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect();
    let mut g = inner.lock().unwrap();
    if g.refuse {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": {"type": "invalid_request_error", "message": "Your account cannot take payments."}})),
        )
            .into_response();
    }
    for required in [
        "mode",
        "success_url",
        "cancel_url",
        "line_items[0][quantity]",
    ] {
        if !form.contains_key(required) {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": {"type": "invalid_request_error", "message": format!("Missing required param: {required}.")}})),
            )
                .into_response();
        }
    }
    let s = match g
        .sessions
        .iter()
        .find(|s| !key.is_empty() && s.idempotency_key == key)
    {
        Some(s) => s.clone(),
        None => {
            let s = FakeSession {
                id: format!("cs_test_{}", g.sessions.len() + 1),
                form,
                idempotency_key: key,
            };
            g.sessions.push(s.clone());
            s
        }
    };
    let url = format!("{}pay/{}", g.base, s.id);
    Json(json!({
        "id": s.id,
        "object": "checkout.session",
        "mode": "payment",
        "status": "open",
        "payment_status": "unpaid",
        "amount_total": s.total(),
        "currency": s.form.get("line_items[0][price_data][currency]"),
        "client_reference_id": s.form.get("client_reference_id"),
        "url": url,
    }))
    .into_response()
}

impl FakeStripe {
    /// Starts the fake on a free loopback port.
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/", listener.local_addr().unwrap());
        inner.lock().unwrap().base = base.clone();
        let app = Router::new()
            .route("/v1/checkout/sessions", post(create))
            .route("/v1/refunds", post(create_refund))
            .with_state(inner.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { inner, base }
    }

    /// Sessions made so far.
    pub fn sessions(&self) -> Vec<FakeSession> {
        self.inner.lock().unwrap().sessions.clone()
    }

    /// Refunds made so far.
    pub fn refunds(&self) -> Vec<FakeRefund> {
        self.inner.lock().unwrap().refunds.clone()
    }

    /// Records that payment intent `pi` took `amount` (what refunds may
    /// give back).
    pub fn charged(&self, pi: &str, amount: i64) {
        self.inner
            .lock()
            .unwrap()
            .charged
            .insert(pi.to_owned(), amount);
    }

    /// Makes the next session requests fail as a refusing account would.
    pub fn refuse(&self, on: bool) {
        self.inner.lock().unwrap().refuse = on;
    }

    /// An event as Stripe sends it, with its `Stripe-Signature` at time `t`.
    pub fn event(
        &self,
        id: &str,
        kind: &str,
        session: &FakeSession,
        paid: bool,
        t: i64,
    ) -> (String, String) {
        if paid {
            self.charged(&format!("pi_{}", session.id), session.total());
        }
        let body = json!({
            "id": id,
            "object": "event",
            "type": kind,
            "created": t,
            "livemode": false,
            "data": {"object": {
                "id": session.id,
                "object": "checkout.session",
                "client_reference_id": session.order_id(),
                "payment_status": if paid { "paid" } else { "unpaid" },
                "payment_intent": format!("pi_{}", session.id),
                "amount_total": session.total(),
            }},
        })
        .to_string();
        (sign(WEBHOOK_SECRET, t, &body), body)
    }
}

/// `t=…,v1=…` for `payload` signed with `secret` at `t`.
pub fn sign(secret: &str, t: i64, payload: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{payload}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}
