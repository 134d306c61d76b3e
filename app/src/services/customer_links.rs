//! Magic-link sign-in for customers, shared by the store's shopper accounts
//! and the customer portal: a single-use link emailed to the customer opens
//! a session kept in an HttpOnly cookie.
//!
//! - Asking is limited per address and per IP, and the answer never says
//!   whether the address is known (the caller sends the same page either way).
//! - Tokens are stored as SHA-256 hashes (`shopper_tokens`), in the
//!   workspace's scope only; each door ([`Door`]) has its own purposes, so a
//!   store session does not open the portal or the other way round.
//! - Spending a link is atomic: of two posts racing with one link, one wins.

use super::context::RequestMeta;
use super::mail::OutgoingEmail;
use super::rate_limit;
use super::security::{hash_token, new_token};
use super::tenancy::Scoped;
use super::uow::UnitOfWork;
use super::{now, AppState, ServiceError, ServiceResult};
use entity::{customer, shopper_token};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, QueryFilter, Set};

/// How long a sign-in link works.
pub const LINK_MINUTES: i64 = 30;
/// How long a session lasts.
pub const SESSION_DAYS: i64 = 30;
/// Links one address may ask for an hour.
const PER_ADDRESS_HOUR: u64 = 5;
/// Links one IP may ask for an hour.
const PER_IP_HOUR: u64 = 30;

/// Where a customer signs in: the token purposes and rate-limit keys it uses.
#[derive(Clone, Copy, Debug)]
pub struct Door {
    /// Prefix of its rate-limit keys.
    name: &'static str,
    link: &'static str,
    session: &'static str,
}

/// The store's shopper account.
pub const STORE: Door = Door {
    name: "shopper-link",
    link: "link",
    session: "session",
};

/// The customer portal of the help center.
pub const PORTAL: Door = Door {
    name: "portal-link",
    link: "portal-link",
    session: "portal-session",
};

async fn issue(
    db: &impl ConnectionTrait,
    scope: Scoped,
    customer_id: i32,
    purpose: &str,
    ttl: chrono::Duration,
) -> ServiceResult<String> {
    let (token, hash) = new_token();
    shopper_token::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        customer_id: Set(customer_id),
        purpose: Set(purpose.to_owned()),
        token_hash: Set(hash),
        expires_at: Set(now() + ttl),
        used_at: Set(None),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// Counts one request for a link to `email` (already validated) from the
/// request's IP, refusing past the hourly limits.
///
/// # Errors
/// `RateLimited`; database errors.
pub async fn limit(
    state: &AppState,
    door: Door,
    scope: Scoped,
    email: &str,
    meta: &RequestMeta,
) -> ServiceResult<()> {
    let w = scope.workspace_id();
    let by_address = format!("{}:{w}:{email}", door.name);
    let by_ip = format!(
        "{}-ip:{}",
        door.name,
        meta.ip.as_deref().unwrap_or("unknown")
    );
    let wait = "Too many sign-in links were asked for. Try again";
    rate_limit::enforce(&state.db, &by_address, PER_ADDRESS_HOUR, 3600, wait).await?;
    rate_limit::enforce(&state.db, &by_ip, PER_IP_HOUR, 3600, wait).await?;
    rate_limit::hit(&state.db, &by_address).await?;
    rate_limit::hit(&state.db, &by_ip).await?;
    Ok(())
}

/// Issues a link for `customer_id` and queues the email `mail` builds from
/// the token, in one transaction.
///
/// # Errors
/// Database errors.
pub async fn send_link(
    state: &AppState,
    door: Door,
    scope: Scoped,
    customer_id: i32,
    mail: impl FnOnce(&str) -> OutgoingEmail,
) -> ServiceResult<()> {
    let mut uow = UnitOfWork::begin(state).await?;
    let token = issue(
        &*uow,
        scope,
        customer_id,
        door.link,
        chrono::Duration::minutes(LINK_MINUTES),
    )
    .await?;
    super::mail::enqueue(&*uow, &state.config, mail(&token)).await?;
    uow.jobs_enqueued();
    uow.commit().await?;
    Ok(())
}

/// Spends a sign-in link and opens a session; returns the session token.
///
/// # Errors
/// `Invalid` (`token`) for a link that is unknown, used or expired; database
/// errors.
pub async fn spend(
    state: &AppState,
    door: Door,
    scope: Scoped,
    token: &str,
) -> ServiceResult<String> {
    let spent = || {
        ServiceError::invalid(
            "token",
            "This sign-in link has expired or was already used. Ask for a new one below.",
        )
    };
    let uow = UnitOfWork::begin(state).await?;
    let t = now();
    let row = scope
        .find::<shopper_token::Entity>()
        .filter(shopper_token::Column::TokenHash.eq(hash_token(token)))
        .filter(shopper_token::Column::Purpose.eq(door.link))
        .one(&*uow)
        .await?
        .filter(|r| r.used_at.is_none() && r.expires_at > t)
        .ok_or_else(spent)?;
    let took = scope
        .update_many::<shopper_token::Entity>()
        .col_expr(shopper_token::Column::UsedAt, Expr::value(t))
        .filter(shopper_token::Column::Id.eq(row.id))
        .filter(shopper_token::Column::UsedAt.is_null())
        .exec(&*uow)
        .await?
        .rows_affected;
    if took != 1 {
        return Err(spent());
    }
    let session = issue(
        &*uow,
        scope,
        row.customer_id,
        door.session,
        chrono::Duration::days(SESSION_DAYS),
    )
    .await?;
    uow.commit().await?;
    Ok(session)
}

/// The customer a live session belongs to, or None.
///
/// # Errors
/// Database errors.
pub async fn customer(
    db: &impl ConnectionTrait,
    door: Door,
    scope: Scoped,
    session: &str,
) -> ServiceResult<Option<customer::Model>> {
    if session.is_empty() {
        return Ok(None);
    }
    let Some(row) = scope
        .find::<shopper_token::Entity>()
        .filter(shopper_token::Column::TokenHash.eq(hash_token(session)))
        .filter(shopper_token::Column::Purpose.eq(door.session))
        .one(db)
        .await?
        .filter(|r| r.used_at.is_none() && r.expires_at > now())
    else {
        return Ok(None);
    };
    Ok(scope
        .find::<customer::Entity>()
        .filter(customer::Column::Id.eq(row.customer_id))
        .one(db)
        .await?)
}

/// Ends a session (nothing happens for an unknown one).
///
/// # Errors
/// Database errors.
pub async fn end(state: &AppState, door: Door, scope: Scoped, session: &str) -> ServiceResult<()> {
    if session.is_empty() {
        return Ok(());
    }
    let _turn = state.sqlite_write_turn().await;
    scope
        .update_many::<shopper_token::Entity>()
        .col_expr(shopper_token::Column::UsedAt, Expr::value(now()))
        .filter(shopper_token::Column::TokenHash.eq(hash_token(session)))
        .filter(shopper_token::Column::Purpose.eq(door.session))
        .exec(&state.db)
        .await?;
    Ok(())
}
