//! ShipEngine's tracking API, as documented: the `API-Key` header;
//! `GET /v1/tracking?carrier_code=…&tracking_number=…` reads a parcel and
//! `POST /v1/tracking/start?…` subscribes it to `track` webhooks; errors come
//! as `{"errors": [{"message", …}]}`. Webhooks (`resource_type: API_TRACK`,
//! `data`: the tracking information) are signed with RSA-SHA256: the
//! `x-shipengine-rsa-sha256-signature` header is the base64 signature of
//! `<x-shipengine-timestamp>.<raw body>` by the key named in
//! `x-shipengine-rsa-sha256-key-id`, published as a JWKS at `{api}/jwks`; the
//! timestamp must be within five minutes.

use super::{
    answer, event_key, parse_time, place, Carrier, CarrierError, Provider, TrackEvent, Tracking,
};
use crate::types::TrackingStatus;
use async_trait::async_trait;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

const WHO: &str = "ShipEngine";
/// How far a webhook's timestamp may be from now.
pub const TOLERANCE_SECS: i64 = 300;
/// How long fetched signing keys are trusted before asking again.
const JWKS_TTL: Duration = Duration::from_secs(3600);

/// A ShipEngine account.
pub struct ShipEngine {
    pub(super) http: reqwest::Client,
    pub(super) base: String,
    pub(super) key: String,
}

/// ShipEngine's carrier code.
pub fn carrier_code(carrier: &str) -> String {
    match carrier {
        "DHL" => "dhl_express".into(),
        "Royal Mail" => "royal_mail".into(),
        other => other.to_lowercase(),
    }
}

fn message(v: &Value) -> Option<String> {
    v["errors"][0]["message"].as_str().map(str::to_owned)
}

/// ShipEngine's two-letter status codes.
pub fn status(code: &str) -> TrackingStatus {
    match code {
        "AC" => TrackingStatus::PreTransit,
        "IT" => TrackingStatus::InTransit,
        "DE" => TrackingStatus::Delivered,
        "SP" => TrackingStatus::AvailableForPickup,
        "EX" | "AT" => TrackingStatus::Exception,
        _ => TrackingStatus::Unknown,
    }
}

/// The tracking information object.
///
/// # Errors
/// `Invalid` without a tracking number.
pub fn info(v: &Value) -> Result<Tracking, CarrierError> {
    let Some(number) = v["tracking_number"].as_str() else {
        return Err(CarrierError::Invalid(
            WHO,
            "tracking information without tracking_number".into(),
        ));
    };
    let events = v["events"]
        .as_array()
        .map(|es| {
            es.iter()
                .filter_map(|e| {
                    let at = parse_time(e["occurred_at"].as_str()?)?;
                    let mut st = status(e["status_code"].as_str().unwrap_or_default());
                    if st == TrackingStatus::InTransit && e["event_code"].as_str() == Some("OD") {
                        st = TrackingStatus::OutForDelivery;
                    }
                    let description = e["description"]
                        .as_str()
                        .unwrap_or_default()
                        .trim()
                        .to_owned();
                    Some(TrackEvent {
                        key: event_key(at, st, &description),
                        status: st,
                        location: place(&[
                            e["city_locality"].as_str(),
                            e["state_province"].as_str(),
                            e["country_code"].as_str(),
                        ]),
                        description,
                        at,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Tracking {
        tracking_number: number.to_owned(),
        tracker_id: None,
        status: status(v["status_code"].as_str().unwrap_or_default()),
        eta: v["estimated_delivery_date"].as_str().and_then(parse_time),
        events,
    })
}

impl ShipEngine {
    fn query(carrier: &str, number: &str) -> [(&'static str, String); 2] {
        [
            ("carrier_code", carrier_code(carrier)),
            ("tracking_number", number.to_owned()),
        ]
    }
}

#[async_trait]
impl Carrier for ShipEngine {
    fn provider(&self) -> Provider {
        Provider::ShipEngine
    }

    async fn start(&self, carrier: &str, number: &str) -> Result<Tracking, CarrierError> {
        let sent = self
            .http
            .post(format!("{}v1/tracking/start", self.base))
            .header("API-Key", &self.key)
            .query(&Self::query(carrier, number))
            .send()
            .await;
        answer(WHO, sent, message).await?;
        self.fetch(carrier, number, None).await
    }

    async fn fetch(
        &self,
        carrier: &str,
        number: &str,
        _tracker_id: Option<&str>,
    ) -> Result<Tracking, CarrierError> {
        let sent = self
            .http
            .get(format!("{}v1/tracking", self.base))
            .header("API-Key", &self.key)
            .query(&Self::query(carrier, number))
            .send()
            .await;
        info(&answer(WHO, sent, message).await?)
    }
}

/// The signature headers of a webhook.
#[derive(Clone, Copy, Debug)]
pub struct Signed<'a> {
    /// `x-shipengine-rsa-sha256-key-id`.
    pub key_id: Option<&'a str>,
    /// `x-shipengine-rsa-sha256-signature`.
    pub signature: Option<&'a str>,
    /// `x-shipengine-timestamp`.
    pub timestamp: Option<&'a str>,
}

/// Why a webhook was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A signature header is missing: ShipEngine says to answer 404.
    Unsigned,
    /// Stale, forged or malformed: 400, with the reason.
    Bad(&'static str),
    /// The keys could not be fetched: answer 5xx so ShipEngine retries.
    KeysUnavailable(String),
}

/// An RSA public key from the JWKS (modulus and exponent, big-endian).
#[derive(Clone, Debug)]
pub struct PublicKey {
    kid: String,
    n: Vec<u8>,
    e: Vec<u8>,
}

/// Fetched keys per API base, with when they were fetched.
type KeyCache = Mutex<HashMap<String, (Instant, Vec<PublicKey>)>>;

fn jwks_cache() -> &'static KeyCache {
    static CACHE: OnceLock<KeyCache> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

/// The keys of a JWKS document (`{"keys": [{"kty": "RSA", "kid", "n", "e"}]}`).
pub fn parse_jwks(v: &Value) -> Vec<PublicKey> {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    v["keys"]
        .as_array()
        .map(|ks| {
            ks.iter()
                .filter(|k| k["kty"].as_str() == Some("RSA"))
                .filter_map(|k| {
                    Some(PublicKey {
                        kid: k["kid"].as_str()?.to_owned(),
                        n: b64.decode(k["n"].as_str()?.trim_end_matches('=')).ok()?,
                        e: b64.decode(k["e"].as_str()?.trim_end_matches('=')).ok()?,
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn fetch_jwks(http: &reqwest::Client, base: &str) -> Result<Vec<PublicKey>, String> {
    let res = http
        .get(format!("{base}jwks"))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !res.status().is_success() {
        return Err(format!("HTTP {}", res.status().as_u16()));
    }
    let v: Value = res.json().await.map_err(|e| e.to_string())?;
    Ok(parse_jwks(&v))
}

/// The signing key `kid` of the provider at `base`: from the cache, else
/// fetched (once more when a key id is new: ShipEngine rotates keys).
async fn key_for(base: &str, kid: &str) -> Result<Option<PublicKey>, String> {
    let cached = {
        let c = jwks_cache().lock().map_err(|e| e.to_string())?;
        c.get(base).and_then(|(at, keys)| {
            (at.elapsed() < JWKS_TTL)
                .then(|| keys.iter().find(|k| k.kid == kid).cloned())
                .flatten()
        })
    };
    if cached.is_some() {
        return Ok(cached);
    }
    let http = reqwest::Client::builder()
        .timeout(super::TIMEOUT)
        .build()
        .unwrap_or_default();
    let keys = fetch_jwks(&http, base).await?;
    let found = keys.iter().find(|k| k.kid == kid).cloned();
    jwks_cache()
        .lock()
        .map_err(|e| e.to_string())?
        .insert(base.to_owned(), (Instant::now(), keys));
    Ok(found)
}

/// The timestamp header: Unix seconds or RFC 3339.
fn timestamp(s: &str) -> Option<DateTime<Utc>> {
    s.trim()
        .parse::<i64>()
        .ok()
        .and_then(|t| DateTime::from_timestamp(t, 0))
        .or_else(|| parse_time(s.trim()))
}

/// Checks the signature of `body` with `key`.
pub fn verify_with(
    key: &PublicKey,
    h: &Signed<'_>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    let (Some(sig), Some(ts)) = (h.signature, h.timestamp) else {
        return Err(Refusal::Unsigned);
    };
    let Some(at) = timestamp(ts) else {
        return Err(Refusal::Bad(
            "The x-shipengine-timestamp header is not a time.",
        ));
    };
    if (now - at).num_seconds().abs() > TOLERANCE_SECS {
        return Err(Refusal::Bad(
            "The x-shipengine-timestamp is more than five minutes from now.",
        ));
    }
    let Ok(sig) = base64::engine::general_purpose::STANDARD.decode(sig.trim()) else {
        return Err(Refusal::Bad(
            "The x-shipengine-rsa-sha256-signature is not base64.",
        ));
    };
    let mut signed = Vec::with_capacity(ts.len() + 1 + body.len());
    signed.extend_from_slice(ts.as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(body);
    ring::signature::RsaPublicKeyComponents { n: &key.n, e: &key.e }
        .verify(&ring::signature::RSA_PKCS1_2048_8192_SHA256, &signed, &sig)
        .map_err(|_| Refusal::Bad("The x-shipengine-rsa-sha256-signature does not verify with ShipEngine's published key."))
}

/// Checks a webhook's signature against the keys published at `base`.
///
/// # Errors
/// Why it was refused.
pub async fn verify(
    base: &str,
    h: &Signed<'_>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    let (Some(kid), Some(_), Some(_)) = (h.key_id, h.signature, h.timestamp) else {
        return Err(Refusal::Unsigned);
    };
    let key = key_for(base, kid.trim())
        .await
        .map_err(Refusal::KeysUnavailable)?
        .ok_or(Refusal::Bad(
            "The x-shipengine-rsa-sha256-key-id names no key ShipEngine publishes.",
        ))?;
    verify_with(&key, h, body, now)
}

/// What a webhook carries: the tracking information of an `API_TRACK` event.
///
/// # Errors
/// `Invalid` for a body that is not JSON.
pub fn event(body: &[u8]) -> Result<Option<Tracking>, CarrierError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|_| CarrierError::Invalid(WHO, "the body is not JSON".into()))?;
    if v["resource_type"].as_str() != Some("API_TRACK") || !v["data"].is_object() {
        return Ok(None);
    }
    info(&v["data"]).map(Some)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn tracking_information_maps_to_events() {
        let v = serde_json::json!({
            "tracking_number": "1Z9", "status_code": "DE", "estimated_delivery_date": "2026-12-08",
            "events": [
                {"occurred_at": "2026-12-02T10:00:00Z", "description": "Out for delivery", "status_code": "IT",
                 "event_code": "OD", "city_locality": "Leeds", "state_province": null, "country_code": "GB"},
                {"occurred_at": "2026-12-02T15:00:00Z", "description": "Delivered", "status_code": "DE"}
            ]
        });
        let t = info(&v).unwrap();
        assert_eq!(t.status, TrackingStatus::Delivered);
        assert_eq!(t.events[0].status, TrackingStatus::OutForDelivery);
        assert_eq!(t.events[0].location, "Leeds, GB");
        assert_eq!(t.eta.unwrap().to_rfc3339(), "2026-12-08T00:00:00+00:00");
    }

    #[test]
    fn unsigned_and_stale_requests_are_refused_before_any_key_is_fetched() {
        let key = PublicKey {
            kid: "k".into(),
            n: vec![1; 256],
            e: vec![1, 0, 1],
        };
        let now = Utc::now();
        let ts = now.timestamp().to_string();
        let none = Signed {
            key_id: Some("k"),
            signature: None,
            timestamp: Some(&ts),
        };
        assert_eq!(verify_with(&key, &none, b"{}", now), Err(Refusal::Unsigned));
        let old = (now.timestamp() - 301).to_string();
        let stale = Signed {
            key_id: Some("k"),
            signature: Some("AAAA"),
            timestamp: Some(&old),
        };
        assert!(
            matches!(verify_with(&key, &stale, b"{}", now), Err(Refusal::Bad(m)) if m.contains("five minutes"))
        );
        let forged = Signed {
            key_id: Some("k"),
            signature: Some("AAAA"),
            timestamp: Some(&ts),
        };
        assert!(matches!(
            verify_with(&key, &forged, b"{}", now),
            Err(Refusal::Bad(_))
        ));
    }
}
