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
use super::customer_links::{self, STORE};
use super::mail::templates;
use super::storefront;
use super::{AppState, ServiceError, ServiceResult};
use crate::types::{validate_email, AccountOrder, AccountView, CartCookie};
use entity::{customer, order};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};

pub use customer_links::{LINK_MINUTES, SESSION_DAYS};

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
    customer_links::limit(state, STORE, s.scope, &email, meta).await?;
    let found = s
        .scope
        .find::<customer::Entity>()
        .filter(Expr::expr(Func::lower(Expr::col(customer::Column::Email))).eq(email.as_str()))
        .order_by_asc(customer::Column::Id)
        .one(&state.db)
        .await?;
    if let Some(c) = found {
        let base = state.config.base_url().trim_end_matches('/').to_owned();
        let store = if s.brand.name.trim().is_empty() {
            s.workspace.clone()
        } else {
            s.brand.name.clone()
        };
        let w = s.scope.workspace_id();
        let slug = s.brand.slug.clone();
        customer_links::send_link(state, STORE, s.scope, c.id, |token| {
            let link = format!("{base}/store/{slug}/account/verify?token={token}");
            templates::shopper_sign_in(w, &email, &store, &link)
        })
        .await?;
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
    customer_links::spend(state, STORE, s.scope, token).await
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
    let Some(c) = customer_links::customer(db, STORE, s.scope, session).await? else {
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
    customer_links::end(state, STORE, s.scope, session).await
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
