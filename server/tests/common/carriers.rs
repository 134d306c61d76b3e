//! Local fakes of the EasyPost and ShipEngine tracking APIs for the tests.
//!
//! - **EasyPost**: `POST /v2/trackers` and `GET /v2/trackers/{id}` behind
//!   HTTP Basic (the API key as user name, 401 otherwise, as EasyPost
//!   answers); it signs the Events it sends as EasyPost documents:
//!   `X-Hmac-Signature: hmac-sha256-hex=<hex HMAC-SHA256 of the body>`.
//! - **ShipEngine**: `POST /v1/tracking/start` and `GET /v1/tracking` behind
//!   the `API-Key` header; `GET /jwks` publishes its RSA key; it signs the
//!   events it sends with RSA-SHA256 over `<timestamp>.<body>` and the three
//!   `x-shipengine-*` headers.
//!
//! A parcel's scans are scripted per tracking number with [`Fakes::scan`].

#![allow(
    clippy::result_large_err,
    reason = "handlers answer an error response as it is"
)]

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The EasyPost API key the fake accepts.
pub const EASYPOST_KEY: &str = "EZTK_switchboard_fake";
/// The EasyPost webhook secret the fake signs with.
pub const EASYPOST_SECRET: &str = "ep-webhook-secret";
/// The ShipEngine API key the fake accepts.
pub const SHIPENGINE_KEY: &str = "TEST_switchboard_fake";
/// The key id the fake's JWKS publishes.
pub const SHIPENGINE_KID: &str = "se-test-1";

/// One scripted scan.
#[derive(Clone, Debug)]
pub struct Scan {
    /// EasyPost's status word (`in_transit`, `delivered` …).
    pub status: &'static str,
    pub message: String,
    pub at: String,
    pub city: String,
}

#[derive(Default)]
struct Inner {
    /// Tracking number → (carrier as asked, scans).
    parcels: BTreeMap<String, (String, Vec<Scan>)>,
    /// Every request: (method and path, the auth it carried).
    requests: Vec<(String, String)>,
}

/// Both fakes on one loopback server.
#[derive(Clone)]
pub struct Fakes {
    inner: Arc<Mutex<Inner>>,
    /// `http://127.0.0.1:port/`.
    pub base: String,
}

fn se_code(status: &str) -> &'static str {
    match status {
        "pre_transit" => "AC",
        "in_transit" | "out_for_delivery" => "IT",
        "delivered" => "DE",
        "failure" => "EX",
        _ => "UN",
    }
}

impl Fakes {
    /// Starts the server.
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/", listener.local_addr().unwrap());
        let app = Router::new()
            .route("/v2/trackers", post(ep_create))
            .route("/v2/trackers/{id}", get(ep_get))
            .route("/v1/tracking/start", post(se_start))
            .route("/v1/tracking", get(se_get))
            .route("/jwks", get(se_jwks))
            .with_state(inner.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { inner, base }
    }

    /// Adds a scan to parcel `number`.
    pub fn scan(&self, number: &str, status: &'static str, message: &str, at: &str, city: &str) {
        let mut g = self.inner.lock().unwrap();
        g.parcels
            .entry(number.to_owned())
            .or_insert_with(|| (String::new(), Vec::new()))
            .1
            .push(Scan {
                status,
                message: message.to_owned(),
                at: at.to_owned(),
                city: city.to_owned(),
            });
    }

    /// The requests made so far: ("POST /v2/trackers", auth).
    pub fn requests(&self) -> Vec<(String, String)> {
        self.inner.lock().unwrap().requests.clone()
    }

    /// The carrier code a parcel was registered with.
    pub fn carrier_of(&self, number: &str) -> Option<String> {
        self.inner
            .lock()
            .unwrap()
            .parcels
            .get(number)
            .map(|p| p.0.clone())
    }

    fn ep_tracker(g: &Inner, number: &str) -> Value {
        let (carrier, scans) = g.parcels.get(number).cloned().unwrap_or_default();
        json!({
            "id": format!("trk_{number}"),
            "object": "Tracker",
            "tracking_code": number,
            "carrier": carrier,
            "status": scans.last().map_or("unknown", |s| s.status),
            "est_delivery_date": "2026-12-20T00:00:00Z",
            "tracking_details": scans.iter().map(|s| json!({
                "object": "TrackingDetail",
                "message": s.message,
                "status": s.status,
                "datetime": s.at,
                "source": carrier,
                "tracking_location": {"object": "TrackingLocation", "city": s.city, "state": null, "country": "GB", "zip": null}
            })).collect::<Vec<_>>()
        })
    }

    fn se_info(g: &Inner, number: &str) -> Value {
        let (_, scans) = g.parcels.get(number).cloned().unwrap_or_default();
        json!({
            "tracking_number": number,
            "status_code": scans.last().map_or("UN", |s| se_code(s.status)),
            "status_description": "",
            "estimated_delivery_date": "2026-12-20T00:00:00Z",
            "actual_delivery_date": null,
            "events": scans.iter().map(|s| json!({
                "occurred_at": s.at,
                "carrier_occurred_at": s.at,
                "description": s.message,
                "city_locality": s.city,
                "state_province": "",
                "postal_code": "",
                "country_code": "GB",
                "company_name": "",
                "signer": "",
                "event_code": if s.status == "out_for_delivery" { "OD" } else { "" },
                "status_code": se_code(s.status)
            })).collect::<Vec<_>>()
        })
    }

    /// An EasyPost `tracker.updated` Event for `number`, signed with `secret`:
    /// (X-Hmac-Signature, body).
    pub fn easypost_event(&self, number: &str, secret: &str) -> (String, String) {
        let g = self.inner.lock().unwrap();
        let body = json!({
            "object": "Event",
            "id": format!("evt_{}", g.requests.len()),
            "description": "tracker.updated",
            "mode": "test",
            "result": Self::ep_tracker(&g, number),
        })
        .to_string();
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body.as_bytes());
        (
            format!(
                "hmac-sha256-hex={}",
                hex::encode(mac.finalize().into_bytes())
            ),
            body,
        )
    }

    /// A ShipEngine `API_TRACK` event for `number`: the body and the three
    /// headers (key id, signature, timestamp), signed at `timestamp`.
    pub fn shipengine_event(
        &self,
        number: &str,
        timestamp: i64,
    ) -> (String, [(&'static str, String); 3]) {
        let g = self.inner.lock().unwrap();
        let body = json!({
            "resource_url": format!("{}v1/tracking?carrier_code=ups&tracking_number={number}", "https://api.shipengine.com/"),
            "resource_type": "API_TRACK",
            "data": Self::se_info(&g, number),
        })
        .to_string();
        let ts = timestamp.to_string();
        let sig = rsa_sign(format!("{ts}.{body}").as_bytes());
        (
            body,
            [
                ("x-shipengine-rsa-sha256-key-id", SHIPENGINE_KID.to_owned()),
                ("x-shipengine-rsa-sha256-signature", sig),
                ("x-shipengine-timestamp", ts),
            ],
        )
    }
}

/// Base64 RSA-SHA256 (PKCS#1 v1.5) signature with the fixture key.
pub fn rsa_sign(msg: &[u8]) -> String {
    let der = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/shipengine-test-key.pk8"
    ))
    .unwrap();
    let key = ring::rsa::KeyPair::from_pkcs8(&der).unwrap();
    let mut sig = vec![0; key.public().modulus_len()];
    key.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        msg,
        &mut sig,
    )
    .unwrap();
    base64::engine::general_purpose::STANDARD.encode(sig)
}

fn record(inner: &Arc<Mutex<Inner>>, what: String, auth: String) {
    inner.lock().unwrap().requests.push((what, auth));
}

fn ep_auth(headers: &HeaderMap) -> Result<String, Response> {
    let auth = headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let want = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{EASYPOST_KEY}:"))
    );
    if auth == want {
        Ok(auth)
    } else {
        Err((
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": {"code": "APIKEY.INACTIVE", "message": "This api key is no longer active. Please use a different api key or reactivate this key.", "errors": []}})),
        )
            .into_response())
    }
}

async fn ep_create(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let auth = match ep_auth(&headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    record(&inner, "POST /v2/trackers".into(), auth);
    let v: Value = serde_json::from_slice(&body).unwrap_or_default();
    let (Some(code), Some(carrier)) = (
        v["tracker"]["tracking_code"].as_str(),
        v["tracker"]["carrier"].as_str(),
    ) else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"error": {"code": "PARAMETER.REQUIRED", "message": "Missing required parameter: tracker[tracking_code]."}})),
        )
            .into_response();
    };
    let mut g = inner.lock().unwrap();
    let p = g
        .parcels
        .entry(code.to_owned())
        .or_insert_with(|| (String::new(), Vec::new()));
    p.0 = carrier.to_owned();
    if p.1.is_empty() {
        p.1.push(Scan {
            status: "pre_transit",
            message: "Shipping label created".into(),
            at: "2026-12-01T09:00:00Z".into(),
            city: String::new(),
        });
    }
    (StatusCode::CREATED, Json(Fakes::ep_tracker(&g, code))).into_response()
}

async fn ep_get(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let auth = match ep_auth(&headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    record(&inner, format!("GET /v2/trackers/{id}"), auth);
    let g = inner.lock().unwrap();
    match id.strip_prefix("trk_").filter(|n| g.parcels.contains_key(*n)) {
        Some(n) => Json(Fakes::ep_tracker(&g, n)).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": {"code": "NOT_FOUND", "message": "The requested resource could not be found."}})),
        )
            .into_response(),
    }
}

fn se_auth(headers: &HeaderMap) -> Result<String, Response> {
    let key = headers
        .get("api-key")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if key == SHIPENGINE_KEY {
        Ok(key)
    } else {
        Err((
            StatusCode::UNAUTHORIZED,
            Json(json!({"request_id": "r1", "errors": [{"error_source": "shipengine", "error_type": "security", "error_code": "unauthorized", "message": "The API key is invalid. Please see https://www.shipengine.com/docs/auth"}]})),
        )
            .into_response())
    }
}

fn se_query(q: &BTreeMap<String, String>) -> Result<(String, String), Response> {
    match (q.get("carrier_code"), q.get("tracking_number")) {
        (Some(c), Some(n)) => Ok((c.clone(), n.clone())),
        _ => Err((
            StatusCode::BAD_REQUEST,
            Json(json!({"request_id": "r2", "errors": [{"error_source": "shipengine", "error_type": "validation", "error_code": "field_value_required", "message": "carrier_code and tracking_number are required."}]})),
        )
            .into_response()),
    }
}

async fn se_start(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let auth = match se_auth(&headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let (carrier, number) = match se_query(&q) {
        Ok(x) => x,
        Err(r) => return r,
    };
    record(&inner, "POST /v1/tracking/start".into(), auth);
    let mut g = inner.lock().unwrap();
    let p = g
        .parcels
        .entry(number)
        .or_insert_with(|| (String::new(), Vec::new()));
    p.0 = carrier;
    if p.1.is_empty() {
        p.1.push(Scan {
            status: "pre_transit",
            message: "Shipment information received".into(),
            at: "2026-12-01T09:00:00Z".into(),
            city: String::new(),
        });
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn se_get(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let auth = match se_auth(&headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let (_, number) = match se_query(&q) {
        Ok(x) => x,
        Err(r) => return r,
    };
    record(&inner, "GET /v1/tracking".into(), auth);
    let g = inner.lock().unwrap();
    Json(Fakes::se_info(&g, &number)).into_response()
}

async fn se_jwks(State(inner): State<Arc<Mutex<Inner>>>) -> Response {
    record(&inner, "GET /jwks".into(), String::new());
    let jwks: Value =
        serde_json::from_str(include_str!("../fixtures/shipengine-test-jwks.json")).unwrap();
    Json(jwks).into_response()
}
