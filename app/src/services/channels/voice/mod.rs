//! Voice calls through a Retell-compatible voice agent (SPEC C4.6).
//!
//! - **Webhooks** (`/hooks/retell/{token}`): `call_started`, `call_ended` and
//!   `call_analyzed` (also spelled `call.started` …), each checked against
//!   `X-Retell-Signature` ([`verify_signature`]: 403 and nothing stored
//!   otherwise). A call becomes a phone conversation of the caller's customer
//!   (by number, one customer with their SMS and WhatsApp), with the transcript
//!   and recording link as the call's message and its summary as a note: the
//!   provider's when it sends one and the workspace wants it, else the
//!   built-in extractive summary. Every event is idempotent per call.
//! - **Jobs**: the agent sync ([`SYNC_JOB`]) pushes the webhook address and the
//!   agent settings to the provider; the daily retention sweep
//!   ([`RETENTION_JOB`]) deletes recordings older than the retention period
//!   at the provider and removes their links here.

pub mod calls;
pub mod client;
pub mod settings;

use super::super::tenancy::Scoped;
use super::super::{AppState, ServiceError, ServiceResult};
use super::provider;
use entity::voice_account;
use hmac::{Hmac, Mac};
use sea_orm::ConnectionTrait;
use sha2::Sha256;

pub use calls::{RETENTION_JOB, SYNC_JOB};

/// How far a webhook's timestamp may be from now.
pub const SIGNATURE_TOLERANCE_MS: i64 = 5 * 60 * 1000;

/// A workspace's voice account, opened.
#[derive(Clone)]
pub struct Account {
    /// The stored row (its `api_key` is sealed).
    pub row: voice_account::Model,
    /// The API key, opened.
    pub api_key: String,
    /// The provider's API.
    pub client: client::Client,
}

fn aad(workspace_id: i32) -> Vec<u8> {
    format!("voice:{workspace_id}:api_key").into_bytes()
}

/// Opens a stored account.
///
/// # Errors
/// `Internal` when the key cannot be opened.
pub fn open(state: &AppState, row: voice_account::Model) -> ServiceResult<Account> {
    let api_key = provider::open(
        state,
        &row.api_key,
        &aad(row.workspace_id),
        "A voice API key",
    )?;
    let client = client::Client::new(
        row.api_base.as_deref().unwrap_or(client::DEFAULT_BASE),
        &api_key,
    )
    .map_err(ServiceError::Internal)?;
    Ok(Account {
        row,
        api_key,
        client,
    })
}

impl provider::Opened for Account {
    type Entity = voice_account::Entity;

    fn open(state: &AppState, row: voice_account::Model) -> ServiceResult<Self> {
        open(state, row)
    }
}

/// The workspace's account, if set up.
///
/// # Errors
/// As [`open`]; database errors.
pub async fn account(
    state: &AppState,
    db: &impl ConnectionTrait,
    scope: Scoped,
) -> ServiceResult<Option<Account>> {
    provider::find(state, db, scope).await
}

/// The account whose webhooks use `token`.
///
/// # Errors
/// As [`open`]; database errors.
pub async fn by_hook_token(state: &AppState, token: &str) -> ServiceResult<Option<Account>> {
    provider::by_token(
        state,
        token,
        super::super::tenancy::voice_account_by_hook_token,
    )
    .await
}

/// The public URL the provider posts call events to.
pub fn webhook_url(state: &AppState, token: &str) -> String {
    format!(
        "{}/hooks/retell/{token}",
        state.config.base_url().trim_end_matches('/')
    )
}

/// Checks `X-Retell-Signature: v=<unix ms>,d=<hex HMAC-SHA256 of the raw body
/// followed by the timestamp, keyed by the API key>`, within
/// [`SIGNATURE_TOLERANCE_MS`] of `now_ms`.
pub fn verify_signature(api_key: &str, body: &[u8], header: &str, now_ms: i64) -> bool {
    let mut ts = None;
    let mut digest = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("v", v)) => ts = Some(v.trim()),
            Some(("d", d)) => digest = Some(d.trim()),
            _ => {}
        }
    }
    let (Some(ts), Some(digest)) = (ts, digest) else {
        return false;
    };
    let Ok(at) = ts.parse::<i64>() else {
        return false;
    };
    if (now_ms - at).abs() > SIGNATURE_TOLERANCE_MS {
        return false;
    }
    let Ok(given) = hex::decode(digest) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(api_key.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.update(ts.as_bytes());
    mac.verify_slice(&given).is_ok()
}

/// The signature header for `body` at `ts_ms` (tests and the fake provider).
pub fn signature(api_key: &str, body: &[u8], ts_ms: i64) -> String {
    #[allow(clippy::expect_used, reason = "HMAC accepts keys of any length")]
    let mut mac = Hmac::<Sha256>::new_from_slice(api_key.as_bytes()).expect("any key length");
    mac.update(body);
    mac.update(ts_ms.to_string().as_bytes());
    format!("v={ts_ms},d={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures() {
        let body = br#"{"event":"call_ended","call":{"call_id":"c1"}}"#;
        let now = 1_765_000_000_000;
        let h = signature("key_abc", body, now);
        assert!(h.starts_with("v=1765000000000,d="));
        assert!(verify_signature("key_abc", body, &h, now));
        assert!(verify_signature("key_abc", body, &h, now + 60_000));
        assert!(!verify_signature(
            "key_abc",
            body,
            &h,
            now + SIGNATURE_TOLERANCE_MS + 1
        ));
        assert!(!verify_signature("key_xyz", body, &h, now));
        assert!(!verify_signature("key_abc", b"{}", &h, now));
        assert!(!verify_signature("key_abc", body, "v=1,d=zz", now));
        assert!(!verify_signature("key_abc", body, "", now));
        // The timestamp is signed: moving it breaks the digest.
        let moved = h.replace("v=1765000000000", "v=1765000000001");
        assert!(!verify_signature("key_abc", body, &moved, now));
    }
}
