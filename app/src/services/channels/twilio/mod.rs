//! SMS and WhatsApp through Twilio (SPEC C4.4, C4.5).
//!
//! - **In**: Twilio posts each message to `/hooks/twilio/{token}`; the request is
//!   checked against `X-Twilio-Signature` (`verify::verify_twilio`: 403 and
//!   nothing stored otherwise) and handed to the one inbound path, idempotent on the message SID
//!   ([`inbound`]). STOP / START / HELP are honoured and recorded; media is
//!   downloaded from Twilio and stored with the message.
//! - **Out**: an agent's (or the AI agent's, or a rule's) reply on an SMS or
//!   WhatsApp conversation is cut at sentence boundaries into parts, each counted
//!   in SMS segments and priced, and sent by a job through the REST API
//!   ([`outbound`], [`client`]); Twilio's status callbacks
//!   (`/hooks/twilio/{token}/status`, signed the same way) move each part through
//!   queued → sent → delivered → read, or failed with the reason, shown on the
//!   message. WhatsApp's 24-hour window is respected: outside it only approved
//!   templates go out.
//! - **Settings**: the account (auth token sealed at rest), sender numbers,
//!   segment price, HELP answer and templates ([`settings`]).

pub mod client;
pub mod inbound;
pub mod outbound;
pub mod settings;

use super::super::inbox::attachments;
use super::super::tenancy::Scoped;
use super::super::{now, AppState, ServiceError, ServiceResult};
use crate::types::WhatsappTemplate;
use entity::twilio_account;
use hmac::{Hmac, Mac};
use sea_orm::ConnectionTrait;
use sha2::Sha256;

pub use outbound::SEND_JOB;

/// A workspace's Twilio account, opened.
#[derive(Clone)]
pub struct Account {
    /// The stored row (its `auth_token` is sealed).
    pub row: twilio_account::Model,
    /// The auth token, opened.
    pub auth_token: String,
    /// Its API.
    pub client: client::Client,
}

impl Account {
    /// Approved WhatsApp templates.
    pub fn templates(&self) -> Vec<WhatsappTemplate> {
        serde_json::from_str(&self.row.templates).unwrap_or_default()
    }

    /// The API base in use.
    pub fn api_base(&self) -> &str {
        self.row.api_base.as_deref().unwrap_or(client::DEFAULT_BASE)
    }
}

fn aad(workspace_id: i32) -> Vec<u8> {
    format!("twilio:{workspace_id}:auth_token").into_bytes()
}

/// Opens a stored account.
///
/// # Errors
/// `Internal` when the token cannot be opened (no or another secrets key).
pub fn open(state: &AppState, row: twilio_account::Model) -> ServiceResult<Account> {
    let auth_token = super::provider::open(
        state,
        &row.auth_token,
        &aad(row.workspace_id),
        "A Twilio auth token",
    )?;
    let base = row.api_base.as_deref().unwrap_or(client::DEFAULT_BASE);
    let client =
        client::Client::new(base, &row.account_sid, &auth_token).map_err(ServiceError::Internal)?;
    Ok(Account {
        row,
        auth_token,
        client,
    })
}

impl super::provider::Opened for Account {
    type Entity = twilio_account::Entity;

    fn open(state: &AppState, row: twilio_account::Model) -> ServiceResult<Self> {
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
    super::provider::find(state, db, scope).await
}

/// The account whose webhooks use `token` (the path token proves nothing by
/// itself: every request is then checked against the account's signature).
///
/// # Errors
/// As [`open`]; database errors.
pub async fn by_hook_token(state: &AppState, token: &str) -> ServiceResult<Option<Account>> {
    super::provider::by_token(
        state,
        token,
        super::super::tenancy::twilio_account_by_hook_token,
    )
    .await
}

/// The public URL Twilio posts incoming messages to.
pub fn inbound_url(state: &AppState, token: &str) -> String {
    format!(
        "{}/hooks/twilio/{token}",
        state.config.base_url().trim_end_matches('/')
    )
}

/// The public URL Twilio posts delivery status to.
pub fn status_url(state: &AppState, token: &str) -> String {
    format!("{}/status", inbound_url(state, token))
}

/// How long a media link given to Twilio works.
const MEDIA_LINK_DAYS: i64 = 7;

fn media_mac(auth_token: &str, attachment_id: i32, exp: i64) -> Hmac<Sha256> {
    #[allow(clippy::expect_used, reason = "HMAC accepts keys of any length")]
    let mut m = Hmac::<Sha256>::new_from_slice(auth_token.as_bytes()).expect("any key length");
    m.update(format!("media:{attachment_id}:{exp}").as_bytes());
    m
}

/// The link Twilio fetches an outgoing attachment from: public, signed with
/// the account's auth token, valid for a week.
pub fn media_url(state: &AppState, a: &Account, attachment_id: i32) -> String {
    let exp = now().timestamp() + MEDIA_LINK_DAYS * 86_400;
    let sig = hex::encode(
        media_mac(&a.auth_token, attachment_id, exp)
            .finalize()
            .into_bytes(),
    );
    format!(
        "{}/media/{attachment_id}?exp={exp}&sig={sig}",
        inbound_url(state, &a.row.hook_token)
    )
}

/// An outgoing attachment, for Twilio, by a link from [`media_url`].
///
/// # Errors
/// `NotFound` for a wrong or expired signature, or an attachment of another
/// workspace or not sent in a message.
pub async fn media(
    state: &AppState,
    a: &Account,
    attachment_id: i32,
    exp: i64,
    sig: &str,
) -> ServiceResult<(entity::attachment::Model, Vec<u8>)> {
    let given = hex::decode(sig.trim()).unwrap_or_default();
    if exp < now().timestamp()
        || media_mac(&a.auth_token, attachment_id, exp)
            .verify_slice(&given)
            .is_err()
    {
        return Err(ServiceError::NotFound("Media"));
    }
    let (row, bytes) =
        attachments::read_scoped(state, Scoped::new(a.row.workspace_id), attachment_id).await?;
    if row.message_id.is_none() {
        return Err(ServiceError::NotFound("Media"));
    }
    Ok((row, bytes))
}
