//! Shipping (SPEC C11.1, issue 13 point 3): a carrier tracking adapter
//! ([`Carrier`]) with EasyPost and ShipEngine implementations, each pointed at
//! a configurable API base, and the service that keeps an order's tracking:
//!
//! - **Start**: shipping an order with a tracking number enqueues
//!   [`START_JOB`] in the same transaction; the job registers the parcel with
//!   the workspace's provider (EasyPost creates a tracker; ShipEngine starts
//!   tracking for its webhooks) and stores what the carrier already knows.
//! - **Webhooks** (`/hooks/easypost/{brand}`, `/hooks/shipengine/{brand}`):
//!   verified as each provider documents ([`easypost::verify`],
//!   [`shipengine::verify`]); a forged or stale request is refused and nothing
//!   is written.
//! - **Polling** ([`POLL_JOB`], every ten minutes): shipped orders whose
//!   tracking was not heard from for [`POLL_AFTER_MINS`] are asked again, so
//!   a missed webhook costs minutes, not the delivery.
//!
//! Every path ends in [`tracking::apply`]: each carrier event is stored once
//! (a unique key per order), the order's latest status and delivery estimate
//! follow, and a delivered parcel moves the order to delivered.

pub mod easypost;
pub mod settings;
pub mod shipengine;
pub mod tracking;

use crate::types::TrackingStatus;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::time::Duration;

pub use tracking::{POLL_AFTER_MINS, POLL_JOB, START_JOB};

/// Who tracks parcels for a workspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    /// EasyPost (`https://api.easypost.com/`): trackers, HMAC-signed webhooks.
    EasyPost,
    /// ShipEngine (`https://api.shipengine.com/`): tracking by carrier and
    /// number, RSA-signed webhooks.
    ShipEngine,
}

impl Provider {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EasyPost => "easypost",
            Self::ShipEngine => "shipengine",
        }
    }

    /// From [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "easypost" => Some(Self::EasyPost),
            "shipengine" => Some(Self::ShipEngine),
            _ => None,
        }
    }

    /// For people.
    pub fn label(self) -> &'static str {
        match self {
            Self::EasyPost => "EasyPost",
            Self::ShipEngine => "ShipEngine",
        }
    }

    /// The provider's own API.
    pub fn default_base(self) -> &'static str {
        match self {
            Self::EasyPost => "https://api.easypost.com/",
            Self::ShipEngine => "https://api.shipengine.com/",
        }
    }
}

/// One scan or status from the carrier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackEvent {
    /// What makes it itself (time, status, words): stored once per order.
    pub key: String,
    /// Status.
    pub status: TrackingStatus,
    /// The carrier's words.
    pub description: String,
    /// "Leeds, GB", or empty.
    pub location: String,
    /// When the carrier says it happened.
    pub at: DateTime<Utc>,
}

/// What a provider knows of a parcel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tracking {
    /// The parcel's tracking number, as the provider echoes it.
    pub tracking_number: String,
    /// The provider's tracker id (EasyPost `trk_…`).
    pub tracker_id: Option<String>,
    /// The latest status.
    pub status: TrackingStatus,
    /// When the carrier expects to deliver.
    pub eta: Option<DateTime<Utc>>,
    /// Every event the provider returned.
    pub events: Vec<TrackEvent>,
}

/// Why a provider call failed.
#[derive(Debug, thiserror::Error)]
pub enum CarrierError {
    /// The key was refused (401/403): retrying will not help.
    #[error("{0} refused the API key: {1}")]
    Auth(&'static str, String),
    /// The provider refused the request (other 4xx), with its reason.
    #[error("{0} refused the request: {1}")]
    Refused(&'static str, String),
    /// The provider could not be reached, or failed (5xx): retry later.
    #[error("{0} could not be reached: {1}")]
    Unreachable(&'static str, String),
    /// The provider answered in a shape it does not document.
    #[error("{0} sent an unexpected answer: {1}")]
    Invalid(&'static str, String),
}

impl CarrierError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unreachable(..))
    }
}

/// A tracking provider.
#[async_trait]
pub trait Carrier: Send + Sync {
    /// Which one.
    fn provider(&self) -> Provider;
    /// Registers a parcel (`carrier` one of [`crate::types::CARRIERS`]) and
    /// returns what the carrier knows so far.
    async fn start(&self, carrier: &str, number: &str) -> Result<Tracking, CarrierError>;
    /// Asks again (`tracker_id` from [`Self::start`] when the provider has one).
    async fn fetch(
        &self,
        carrier: &str,
        number: &str,
        tracker_id: Option<&str>,
    ) -> Result<Tracking, CarrierError>;
}

/// A workspace's provider account, opened.
#[derive(Clone, Debug)]
pub struct Account {
    /// Which provider.
    pub provider: Provider,
    /// API base, ending in `/`.
    pub api_base: String,
    /// The API key.
    pub api_key: String,
    /// EasyPost's webhook secret.
    pub webhook_secret: Option<String>,
}

/// How long one provider request may take.
const TIMEOUT: Duration = Duration::from_secs(15);

/// The client for `account`.
pub fn client(account: &Account) -> Box<dyn Carrier> {
    let http = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .unwrap_or_default();
    match account.provider {
        Provider::EasyPost => Box::new(easypost::EasyPost {
            http,
            base: account.api_base.clone(),
            key: account.api_key.clone(),
        }),
        Provider::ShipEngine => Box::new(shipengine::ShipEngine {
            http,
            base: account.api_base.clone(),
            key: account.api_key.clone(),
        }),
    }
}

/// A provider's answer: the body when 2xx, else the error it names.
async fn answer(
    who: &'static str,
    sent: Result<reqwest::Response, reqwest::Error>,
    message: fn(&serde_json::Value) -> Option<String>,
) -> Result<serde_json::Value, CarrierError> {
    let res = sent.map_err(|e| CarrierError::Unreachable(who, e.to_string()))?;
    let status = res.status();
    let body = res
        .text()
        .await
        .map_err(|e| CarrierError::Unreachable(who, e.to_string()))?;
    let json: serde_json::Value = serde_json::from_str(&body).unwrap_or(serde_json::Value::Null);
    if status.is_success() {
        return Ok(json);
    }
    let why = message(&json).unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
    Err(match status.as_u16() {
        401 | 403 => CarrierError::Auth(who, why),
        408 | 429 | 500..=599 => CarrierError::Unreachable(who, why),
        _ => CarrierError::Refused(who, why),
    })
}

/// An RFC 3339 time, or a date (`2026-12-08`) taken as midnight UTC.
fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    chrono::NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

/// "Leeds, GB" from the parts a carrier gave.
fn place(parts: &[Option<&str>]) -> String {
    parts
        .iter()
        .flatten()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// An event's key: time, status and words (a carrier repeating an event
/// repeats all three).
fn event_key(at: DateTime<Utc>, status: TrackingStatus, description: &str) -> String {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(format!(
        "{}|{}|{}",
        at.timestamp(),
        status.as_str(),
        description
    ));
    format!("{}-{}", at.timestamp(), hex::encode(&h[..8]))
}
