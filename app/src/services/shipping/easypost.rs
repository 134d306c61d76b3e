//! EasyPost's tracking API, as documented: HTTP Basic with the API key as the
//! user name; `POST /v2/trackers` (`tracker[tracking_code]`,
//! `tracker[carrier]`) creates a tracker, `GET /v2/trackers/{id}` reads it;
//! errors come as `{"error": {"code", "message"}}`. Webhooks carry an Event
//! (`description: "tracker.updated"`, `result`: the Tracker) signed in
//! `X-Hmac-Signature: hmac-sha256-hex=<hex HMAC-SHA256 of the raw body, keyed
//! with the NFKD-normalised webhook secret>`.

use super::{
    answer, event_key, parse_time, place, Carrier, CarrierError, Provider, TrackEvent, Tracking,
};
use crate::types::TrackingStatus;
use async_trait::async_trait;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use unicode_normalization::UnicodeNormalization;

const WHO: &str = "EasyPost";

/// An EasyPost account.
pub struct EasyPost {
    pub(super) http: reqwest::Client,
    pub(super) base: String,
    pub(super) key: String,
}

/// EasyPost's name for a carrier.
pub fn carrier_code(carrier: &str) -> &str {
    match carrier {
        "DHL" => "DHLExpress",
        "Royal Mail" => "RoyalMail",
        other => other,
    }
}

fn message(v: &Value) -> Option<String> {
    v["error"]["message"].as_str().map(str::to_owned)
}

/// EasyPost's status names.
pub fn status(s: &str) -> TrackingStatus {
    match s {
        "pre_transit" => TrackingStatus::PreTransit,
        "in_transit" => TrackingStatus::InTransit,
        "out_for_delivery" => TrackingStatus::OutForDelivery,
        "available_for_pickup" => TrackingStatus::AvailableForPickup,
        "delivered" => TrackingStatus::Delivered,
        "return_to_sender" => TrackingStatus::ReturnToSender,
        "failure" | "error" | "cancelled" => TrackingStatus::Exception,
        _ => TrackingStatus::Unknown,
    }
}

/// A Tracker object.
///
/// # Errors
/// `Invalid` without a tracking code.
pub fn tracker(v: &Value) -> Result<Tracking, CarrierError> {
    let Some(number) = v["tracking_code"].as_str() else {
        return Err(CarrierError::Invalid(
            WHO,
            "a tracker without tracking_code".into(),
        ));
    };
    let events = v["tracking_details"]
        .as_array()
        .map(|ds| {
            ds.iter()
                .filter_map(|d| {
                    let at = parse_time(d["datetime"].as_str()?)?;
                    let st = status(d["status"].as_str().unwrap_or_default());
                    let description = d["message"].as_str().unwrap_or_default().trim().to_owned();
                    let l = &d["tracking_location"];
                    Some(TrackEvent {
                        key: event_key(at, st, &description),
                        status: st,
                        location: place(&[
                            l["city"].as_str(),
                            l["state"].as_str(),
                            l["country"].as_str(),
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
        tracker_id: v["id"].as_str().map(str::to_owned),
        status: status(v["status"].as_str().unwrap_or_default()),
        eta: v["est_delivery_date"].as_str().and_then(parse_time),
        events,
    })
}

#[async_trait]
impl Carrier for EasyPost {
    fn provider(&self) -> Provider {
        Provider::EasyPost
    }

    async fn start(&self, carrier: &str, number: &str) -> Result<Tracking, CarrierError> {
        let body = serde_json::json!({
            "tracker": { "tracking_code": number, "carrier": carrier_code(carrier) }
        });
        let sent = self
            .http
            .post(format!("{}v2/trackers", self.base))
            .basic_auth(&self.key, Some(""))
            .json(&body)
            .send()
            .await;
        tracker(&answer(WHO, sent, message).await?)
    }

    async fn fetch(
        &self,
        carrier: &str,
        number: &str,
        tracker_id: Option<&str>,
    ) -> Result<Tracking, CarrierError> {
        // Without a tracker id, creating one again returns the existing
        // tracker (EasyPost deduplicates by code and carrier).
        let Some(id) = tracker_id else {
            return self.start(carrier, number).await;
        };
        let sent = self
            .http
            .get(format!("{}v2/trackers/{id}", self.base))
            .basic_auth(&self.key, Some(""))
            .send()
            .await;
        tracker(&answer(WHO, sent, message).await?)
    }
}

/// Checks `X-Hmac-Signature` over the raw body.
///
/// # Errors
/// A sentence for the 400 answer.
pub fn verify(signature: Option<&str>, body: &[u8], secret: &str) -> Result<(), &'static str> {
    let Some(hex_sig) = signature.and_then(|s| s.trim().strip_prefix("hmac-sha256-hex=")) else {
        return Err("The X-Hmac-Signature header is missing or not hmac-sha256-hex=….");
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return Err("The X-Hmac-Signature is not hexadecimal.");
    };
    let key: String = secret.nfkd().collect();
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.as_bytes()) else {
        return Err("The webhook secret cannot key an HMAC.");
    };
    mac.update(body);
    mac.verify_slice(&sig)
        .map_err(|_| "The X-Hmac-Signature does not match this store's EasyPost webhook secret.")
}

/// What a webhook carries: the tracker, for `tracker.created` and
/// `tracker.updated` events.
///
/// # Errors
/// `Invalid` for a body that is not an EasyPost event.
pub fn event(body: &[u8]) -> Result<Option<Tracking>, CarrierError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|_| CarrierError::Invalid(WHO, "the body is not JSON".into()))?;
    if v["object"].as_str() != Some("Event") {
        return Err(CarrierError::Invalid(
            WHO,
            "the body is not an Event".into(),
        ));
    }
    match v["description"].as_str() {
        Some("tracker.created" | "tracker.updated") => tracker(&v["result"]).map(Some),
        _ => Ok(None),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn sign(secret: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        format!(
            "hmac-sha256-hex={}",
            hex::encode(mac.finalize().into_bytes())
        )
    }

    #[test]
    fn signatures_are_checked_as_easypost_documents() {
        let body = br#"{"object":"Event"}"#;
        assert!(verify(Some(&sign("s3cret", body)), body, "s3cret").is_ok());
        assert!(verify(Some(&sign("s3cret", body)), b"{}", "s3cret").is_err());
        assert!(verify(Some(&sign("other", body)), body, "s3cret").is_err());
        assert!(verify(None, body, "s3cret").is_err());
        assert!(verify(Some("abc"), body, "s3cret").is_err());
        // The secret is NFKD-normalised first: "ﬁ" (a ligature) keys as "fi".
        assert!(verify(Some(&sign("fi", body)), body, "\u{fb01}").is_ok());
    }

    #[test]
    fn trackers_map_to_events() {
        let v = serde_json::json!({
            "id": "trk_1", "object": "Tracker", "tracking_code": "EZ1", "status": "in_transit",
            "est_delivery_date": "2026-12-08T00:00:00Z",
            "tracking_details": [
                {"object": "TrackingDetail", "message": "Label created", "status": "pre_transit",
                 "datetime": "2026-12-01T10:00:00Z", "tracking_location": {"city": null, "country": null}},
                {"object": "TrackingDetail", "message": "Arrived", "status": "in_transit",
                 "datetime": "2026-12-02T10:00:00Z", "tracking_location": {"city": "Leeds", "state": "", "country": "GB"}}
            ]
        });
        let t = tracker(&v).unwrap();
        assert_eq!(t.status, TrackingStatus::InTransit);
        assert_eq!(t.tracker_id.as_deref(), Some("trk_1"));
        assert_eq!(t.events.len(), 2);
        assert_eq!(t.events[1].location, "Leeds, GB");
        assert_ne!(t.events[0].key, t.events[1].key);
        assert_eq!(
            tracker(&v).unwrap().events[0].key,
            t.events[0].key,
            "keys are stable"
        );
    }
}
