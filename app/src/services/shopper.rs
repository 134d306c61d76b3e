//! Shopper accounts (SPEC C11.1): a shopper signs in to a store with a magic
//! link and sees their order history.
//!
//! - **Ask** ([`request_link`]): the email is checked, limited per address
//!   and per IP, and — only when the store has a customer with that address —
//!   a single-use link valid [`LINK_MINUTES`] goes out through the outbox.
//!   The answer is the same either way, so the form does not tell who shops
//!   here.
//! - **Use** ([`use_link`]): the link's page asks the shopper to press a
//!   button (mail scanners that open links do not sign anyone in); the post
//!   spends the link atomically and opens a session of [`SESSION_DAYS`],
//!   kept in an HttpOnly cookie scoped to the store's path.
//! - Tokens are stored as SHA-256 hashes, and only in the store's workspace.

use super::context::RequestMeta;
use super::mail::{self, templates};
use super::rate_limit;
use super::security::{hash_token, new_token};
use super::storefront;
use super::tenancy::Scoped;
use super::uow::UnitOfWork;
use super::{now, AppState, ServiceError, ServiceResult};
use crate::types::{validate_email, AccountOrder, AccountView, CartCookie};
use entity::{customer, order, shopper_token};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, Set};

/// How long a sign-in link works.
pub const LINK_MINUTES: i64 = 30;
/// How long a session lasts.
pub const SESSION_DAYS: i64 = 30;
/// Links one address may ask for an hour.
const PER_ADDRESS_HOUR: u64 = 5;
/// Links one IP may ask for an hour.
const PER_IP_HOUR: u64 = 30;

mod purpose {
    pub const LINK: &str = "link";
    pub const SESSION: &str = "session";
}

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

/// Sends a sign-in link to `email` if brand `brand`'s store knows it.
///
/// # Errors
/// `NotFound` (the store); `Invalid` (`email`); `RateLimited`; database
/// errors.
pub async fn request_link(
    state: &AppState,
    brand: &str,
    email: &str,
    meta: &RequestMeta,
) -> ServiceResult<String> {
    let s = storefront::store(&state.db, brand).await?;
    let email = validate_email(email).map_err(|m| ServiceError::invalid("email", m))?;
    let w = s.scope.workspace_id();
    let by_address = format!("shopper-link:{w}:{email}");
    let by_ip = format!(
        "shopper-link-ip:{}",
        meta.ip.as_deref().unwrap_or("unknown")
    );
    let wait = "Too many sign-in links were asked for. Try again";
    rate_limit::enforce(&state.db, &by_address, PER_ADDRESS_HOUR, 3600, wait).await?;
    rate_limit::enforce(&state.db, &by_ip, PER_IP_HOUR, 3600, wait).await?;
    rate_limit::hit(&state.db, &by_address).await?;
    rate_limit::hit(&state.db, &by_ip).await?;
    let found = s
        .scope
        .find::<customer::Entity>()
        .filter(Expr::expr(Func::lower(Expr::col(customer::Column::Email))).eq(email.as_str()))
        .order_by_asc(customer::Column::Id)
        .one(&state.db)
        .await?;
    if let Some(c) = found {
        let mut uow = UnitOfWork::begin(state).await?;
        let token = issue(
            &*uow,
            s.scope,
            c.id,
            purpose::LINK,
            chrono::Duration::minutes(LINK_MINUTES),
        )
        .await?;
        let link = format!(
            "{}/store/{}/account/verify?token={token}",
            state.config.base_url().trim_end_matches('/'),
            s.brand.slug
        );
        let store = if s.brand.name.trim().is_empty() {
            &s.workspace
        } else {
            &s.brand.name
        };
        mail::enqueue(
            &*uow,
            &state.config,
            templates::shopper_sign_in(w, &email, store, &link),
        )
        .await?;
        uow.jobs_enqueued();
        uow.commit().await?;
    }
    Ok(email)
}

/// Spends a sign-in link and opens a session; returns the session token.
///
/// # Errors
/// `NotFound` (the store); `Invalid` (`token`) for a link that is unknown,
/// used or expired; database errors.
pub async fn use_link(state: &AppState, brand: &str, token: &str) -> ServiceResult<String> {
    let s = storefront::store(&state.db, brand).await?;
    let spent = || {
        ServiceError::invalid(
            "token",
            "This sign-in link has expired or was already used. Ask for a new one below.",
        )
    };
    let uow = UnitOfWork::begin(state).await?;
    let t = now();
    let row = s
        .scope
        .find::<shopper_token::Entity>()
        .filter(shopper_token::Column::TokenHash.eq(hash_token(token)))
        .filter(shopper_token::Column::Purpose.eq(purpose::LINK))
        .one(&*uow)
        .await?
        .filter(|r| r.used_at.is_none() && r.expires_at > t)
        .ok_or_else(spent)?;
    let took = s
        .scope
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
        s.scope,
        row.customer_id,
        purpose::SESSION,
        chrono::Duration::days(SESSION_DAYS),
    )
    .await?;
    uow.commit().await?;
    Ok(session)
}

async fn session_customer(
    db: &impl ConnectionTrait,
    scope: Scoped,
    session: &str,
) -> ServiceResult<Option<customer::Model>> {
    if session.is_empty() {
        return Ok(None);
    }
    let Some(row) = scope
        .find::<shopper_token::Entity>()
        .filter(shopper_token::Column::TokenHash.eq(hash_token(session)))
        .filter(shopper_token::Column::Purpose.eq(purpose::SESSION))
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

/// The signed-in shopper's account, or None without a live session.
///
/// # Errors
/// `NotFound` (the store); database errors.
pub async fn account(
    state: &AppState,
    brand: &str,
    session: &str,
    cart: &CartCookie,
) -> ServiceResult<Option<AccountView>> {
    let db = &state.db;
    let s = storefront::store(db, brand).await?;
    let Some(c) = session_customer(db, s.scope, session).await? else {
        return Ok(None);
    };
    let orders = s
        .scope
        .find::<order::Entity>()
        .filter(order::Column::CustomerId.eq(c.id))
        .order_by_desc(order::Column::PlacedAt)
        .order_by_desc(order::Column::Id)
        .all(db)
        .await?;
    let cats = storefront::categories(db, s.scope).await?;
    let shell = storefront::shell(state, db, &s, &cats, cart).await?;
    let base = format!("/store/{}", s.brand.slug);
    Ok(Some(AccountView {
        orders: orders
            .into_iter()
            .map(|o| AccountOrder {
                url: o
                    .access_key
                    .as_deref()
                    .map(|k| format!("{base}/orders/{}?key={k}", o.number))
                    .unwrap_or_default(),
                number: o.number,
                placed_at: o.placed_at.to_rfc3339(),
                status: crate::types::OrderStatus::parse(&o.status)
                    .unwrap_or(crate::types::OrderStatus::Pending),
                total_minor: o.total_minor,
                currency: o.currency,
            })
            .collect(),
        shell,
        name: c.name,
        email: c.email.unwrap_or_default(),
    }))
}

/// Ends a session.
///
/// # Errors
/// `NotFound` (the store); database errors.
pub async fn sign_out(state: &AppState, brand: &str, session: &str) -> ServiceResult<()> {
    let s = storefront::store(&state.db, brand).await?;
    if session.is_empty() {
        return Ok(());
    }
    let _turn = state.sqlite_write_turn().await;
    s.scope
        .update_many::<shopper_token::Entity>()
        .col_expr(shopper_token::Column::UsedAt, Expr::value(now()))
        .filter(shopper_token::Column::TokenHash.eq(hash_token(session)))
        .filter(shopper_token::Column::Purpose.eq(purpose::SESSION))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// The store's shell for the sign-in page.
///
/// # Errors
/// `NotFound` (the store); database errors.
pub async fn sign_in_shell(
    state: &AppState,
    brand: &str,
    cart: &CartCookie,
) -> ServiceResult<crate::types::StoreShell> {
    let db = &state.db;
    let s = storefront::store(db, brand).await?;
    let cats = storefront::categories(db, s.scope).await?;
    storefront::shell(state, db, &s, &cats, cart).await
}
