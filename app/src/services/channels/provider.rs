//! What every outside-provider account shares (Twilio, the voice agent,
//! transcription): secrets sealed at rest with the server's secrets key, an
//! API base that may point elsewhere (a test double, a proxy), a secret path
//! token for its webhooks, and one HTTP client setup.

use super::super::security::new_token;
use super::super::{AppState, ServiceError, ServiceResult};
use std::time::Duration;

/// An HTTP client for a provider's API: bounded connect and request times.
///
/// # Errors
/// When the client cannot be built (TLS setup).
pub fn http_client() -> Result<reqwest::Client, String> {
    http_client_within(Duration::from_secs(15))
}

/// An HTTP client whose requests may take up to `limit` (file uploads).
///
/// # Errors
/// When the client cannot be built (TLS setup).
pub fn http_client_within(limit: Duration) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(limit)
        .connect_timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| e.to_string())
}

/// `base` with one trailing slash.
pub fn with_slash(base: &str) -> String {
    let mut b = base.trim().to_owned();
    if !b.ends_with('/') {
        b.push('/');
    }
    b
}

/// A settings form's API base: empty (or the provider's own, `default`)
/// stores None; anything else must be an http(s) address.
///
/// # Errors
/// `Invalid` (`api_base`) naming `provider`.
pub fn api_base(raw: &str, default: &str, provider: &str) -> ServiceResult<Option<String>> {
    let base = raw.trim();
    if base.is_empty() {
        return Ok(None);
    }
    if !(base.starts_with("https://") || base.starts_with("http://")) {
        return Err(ServiceError::invalid(
            "api_base",
            format!("The API base is an http(s) address, or empty for {provider}'s own."),
        ));
    }
    let base = with_slash(base);
    Ok((base != default).then_some(base))
}

/// A stored key goes only where it was first sent: changing the API base of
/// an account needs the key (`field`) again, so nobody who may edit the
/// settings can send it to a server of theirs.
///
/// # Errors
/// `Invalid` (`field`).
pub fn key_follows_base(
    stored_base: Option<&str>,
    new_base: Option<&str>,
    key_given: bool,
    field: &'static str,
) -> ServiceResult<()> {
    if stored_base != new_base && !key_given {
        return Err(ServiceError::invalid(
            field,
            "Paste the key again to use it with a new API base.",
        ));
    }
    Ok(())
}

/// A fresh secret path token for an account's webhooks (32 letters and digits).
pub fn hook_token() -> String {
    new_token()
        .0
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(32)
        .collect()
}

/// Whether `token` could be a hook token at all (cheap check before a lookup).
pub fn plausible_token(token: &str) -> bool {
    (16..=64).contains(&token.len())
}

/// Seals `plain` for the account's row, or says why it cannot be stored.
///
/// # Errors
/// `Conflict` (`field`) when the server has no secrets key.
pub fn seal(
    state: &AppState,
    plain: &str,
    aad: &[u8],
    field: &'static str,
    what: &str,
) -> ServiceResult<String> {
    let Some(sb) = &state.secrets else {
        return Err(ServiceError::conflict(
            field,
            format!("No secrets key is configured on the server (secrets_key), so {what} cannot be stored."),
        ));
    };
    Ok(sb.seal(plain, aad))
}

/// Opens a sealed value of a stored account.
///
/// # Errors
/// `Internal` when there is no secrets key or it is not the one that sealed it.
pub fn open(state: &AppState, sealed: &str, aad: &[u8], what: &str) -> ServiceResult<String> {
    let Some(sb) = &state.secrets else {
        return Err(ServiceError::Internal(format!(
            "{what} is stored but the server has no secrets key to open it."
        )));
    };
    sb.open(sealed, aad)
        .map_err(|e| ServiceError::Internal(format!("{what}: {e}")))
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Disconnects a provider account (the workspace's row of `E`) and records
/// `action` in the activity log, in one transaction: nothing more is sent
/// through it and its webhooks answer 404 from then on.
///
/// # Errors
/// Permission (`ManageChannels`); database errors.
pub async fn disconnect<E: entity::TenantEntity>(
    state: &AppState,
    actor: &super::super::context::Actor,
    meta: &super::super::context::RequestMeta,
    action: &'static str,
) -> ServiceResult<()> {
    use super::super::activity::{self, Entry, Who};
    actor.require(crate::permissions::Action::ManageChannels)?;
    let uow = super::super::uow::UnitOfWork::begin(state).await?;
    actor.scope.delete_many::<E>().exec(&*uow).await?;
    activity::record(
        &*uow,
        actor.scope,
        &Who::from(actor),
        meta,
        Entry::new(action),
    )
    .await?;
    uow.commit().await?;
    Ok(())
}

/// A provider account as its module uses it: the stored row with its
/// secrets opened and its API client built.
pub trait Opened: Sized {
    /// The accounts' table (one row per workspace).
    type Entity: entity::TenantEntity;

    /// Opens a stored row.
    ///
    /// # Errors
    /// `Internal` when its secrets cannot be opened.
    fn open(
        state: &AppState,
        row: <Self::Entity as sea_orm::EntityTrait>::Model,
    ) -> ServiceResult<Self>;
}

/// The workspace's account of kind `A`, if set up.
///
/// # Errors
/// As [`Opened::open`]; database errors.
pub async fn find<A: Opened>(
    state: &AppState,
    db: &impl sea_orm::ConnectionTrait,
    scope: super::super::tenancy::Scoped,
) -> ServiceResult<Option<A>> {
    match scope.find::<A::Entity>().one(db).await? {
        Some(row) => Ok(Some(A::open(state, row)?)),
        None => Ok(None),
    }
}

/// The account of kind `A` whose webhooks use the path `token`, found with
/// `lookup` (the tenancy module's unscoped select for it). The token proves
/// nothing by itself: each request is then checked against the account's
/// signature or secret.
///
/// # Errors
/// As [`Opened::open`]; database errors.
pub async fn by_token<A: Opened>(
    state: &AppState,
    token: &str,
    lookup: fn(&str) -> sea_orm::Select<A::Entity>,
) -> ServiceResult<Option<A>> {
    if !plausible_token(token) {
        return Ok(None);
    }
    match lookup(token).one(&state.db).await? {
        Some(row) => Ok(Some(A::open(state, row)?)),
        None => Ok(None),
    }
}
