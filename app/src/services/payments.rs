//! Payments through Stripe (SPEC C11.2): checkout starts a Stripe Checkout
//! Session for a pending order, and Stripe's webhooks move the order.
//!
//! - **Checkout** ([`checkout`]): the cart is checked again, the order is
//!   placed (`pending`, stock taken) and committed, then a Checkout Session is
//!   created with the order's own lines and amounts (minor units, from the
//!   order, never the cart cookie) and an idempotency key per order. If Stripe
//!   refuses or cannot be reached, the order is cancelled at once (its stock
//!   goes back) and the shopper is told to try again: nothing is left half-done.
//! - **Webhooks** ([`webhook`]): the `Stripe-Signature` header is verified as
//!   Stripe documents (HMAC-SHA256 of `{t}.{payload}` with the endpoint's
//!   signing secret, any `v1` matching, `t` within five minutes); a forged or
//!   stale request is refused (400) and nothing is written. Each event id is
//!   recorded in the same transaction as the change it makes, so an event
//!   Stripe sends twice changes the order once. `checkout.session.completed`
//!   (paid) and `checkout.session.async_payment_succeeded` mark the order paid;
//!   `checkout.session.expired` and `…async_payment_failed` cancel a pending
//!   one. Other events are recorded and ignored.
//!
//! The client is async-stripe's (authentication, retries, idempotency keys)
//! with only the request and response fields used here, pointed at the
//! workspace's API base (a local fake in tests).

use super::activity::{self, Entry, Who};
use super::commerce::{self, NewLine, Payment};
use super::context::{Actor, RequestMeta};
use super::inbox::customers;
use super::storefront;
use super::tenancy::Scoped;
use super::uow::UnitOfWork;
use super::{now, AppState, ServiceError, ServiceResult};
use crate::permissions::Action;
use crate::types::{Address, CartCookie, IdentifierKind, OrderStatus};
use crate::types::{StoreSettingsForm, StoreSettingsView};
use entity::{order, order_item, store_setting, stripe_event};
use hmac::{Hmac, Mac};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, QueryFilter, Set, SqlErr};
use sha2::Sha256;
use std::collections::BTreeMap;

/// How far a webhook's timestamp may be from now (Stripe's default).
pub const SIGNATURE_TOLERANCE_SECS: i64 = 300;
/// How long a checkout (and the stock its order holds) stays open, minutes
/// (Stripe's least is 30).
pub const CHECKOUT_MINUTES: i64 = 35;
/// Stripe's API when the workspace sets no other.
pub const DEFAULT_API_BASE: &str = "https://api.stripe.com/";

/// A workspace's Stripe account, opened.
#[derive(Clone, Debug)]
pub struct StripeKeys {
    /// API base (`https://api.stripe.com/`).
    pub api_base: String,
    /// `sk_…`.
    pub secret_key: String,
    /// `whsec_…`.
    pub webhook_secret: String,
}

fn aad(workspace_id: i32, what: &str) -> Vec<u8> {
    format!("store:{workspace_id}:{what}").into_bytes()
}

/// The workspace's Stripe keys, if set.
///
/// # Errors
/// `Internal` when a stored key cannot be opened; database errors.
pub async fn keys(
    state: &AppState,
    db: &impl ConnectionTrait,
    scope: Scoped,
) -> ServiceResult<Option<StripeKeys>> {
    let Some(row) = scope.find::<store_setting::Entity>().one(db).await? else {
        return Ok(None);
    };
    let (Some(sk), Some(wh)) = (&row.stripe_secret_key, &row.stripe_webhook_secret) else {
        return Ok(None);
    };
    let Some(sb) = &state.secrets else {
        return Err(ServiceError::Internal(
            "Stripe keys are stored but the server has no secrets key to open them.".into(),
        ));
    };
    let open = |v: &str, what: &str| {
        sb.open(v, &aad(scope.workspace_id(), what))
            .map_err(|e| ServiceError::Internal(format!("Stripe {what}: {e}")))
    };
    Ok(Some(StripeKeys {
        api_base: row
            .stripe_api_base
            .clone()
            .unwrap_or_else(|| DEFAULT_API_BASE.to_owned()),
        secret_key: open(sk, "secret_key")?,
        webhook_secret: open(wh, "webhook_secret")?,
    }))
}

/// Stores the workspace's Stripe keys (sealed at rest).
///
/// # Errors
/// `Invalid` naming the field; `Conflict` without a secrets key; database
/// errors.
pub async fn set_keys(
    state: &AppState,
    scope: Scoped,
    api_base: &str,
    secret_key: &str,
    webhook_secret: &str,
) -> ServiceResult<()> {
    let base = api_base.trim();
    if !(base.is_empty() || base.starts_with("https://") || base.starts_with("http://")) {
        return Err(ServiceError::invalid(
            "api_base",
            "The API base is an http(s) address, or empty for Stripe's own.",
        ));
    }
    let sk = secret_key.trim();
    if !(sk.starts_with("sk_") || sk.starts_with("rk_")) || sk.len() < 8 {
        return Err(ServiceError::invalid(
            "secret_key",
            "A Stripe secret key starts with sk_ (or a restricted key with rk_).",
        ));
    }
    let wh = webhook_secret.trim();
    if !wh.starts_with("whsec_") || wh.len() < 10 {
        return Err(ServiceError::invalid(
            "webhook_secret",
            "A webhook signing secret starts with whsec_ (Stripe shows it on the webhook endpoint).",
        ));
    }
    let Some(sb) = &state.secrets else {
        return Err(ServiceError::conflict(
            "secret_key",
            "No secrets key is configured on the server (secrets_key), so Stripe keys cannot be stored.",
        ));
    };
    let w = scope.workspace_id();
    let t = now();
    let uow = UnitOfWork::begin(state).await?;
    let mut am = match scope.find::<store_setting::Entity>().one(&*uow).await? {
        Some(r) => r.into(),
        None => store_setting::ActiveModel {
            workspace_id: Set(w),
            created_at: Set(t),
            ..Default::default()
        },
    };
    let am_ref: &mut store_setting::ActiveModel = &mut am;
    am_ref.stripe_api_base = Set((!base.is_empty()).then(|| base.to_owned()));
    am_ref.stripe_secret_key = Set(Some(sb.seal(sk, &aad(w, "secret_key"))));
    am_ref.stripe_webhook_secret = Set(Some(sb.seal(wh, &aad(w, "webhook_secret"))));
    am_ref.updated_at = Set(t);
    am.save(&*uow).await?;
    uow.commit().await?;
    Ok(())
}

/// The Stripe events the webhook endpoint should receive.
pub const WEBHOOK_EVENTS: [&str; 4] = [
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
];

/// The store settings page.
///
/// # Errors
/// Permission; database errors.
pub async fn settings_page(state: &AppState, actor: &Actor) -> ServiceResult<StoreSettingsView> {
    actor.require(Action::ManageWorkspaceSettings)?;
    let brand = super::kb::structure::default_brand(&state.db, actor.scope).await?;
    let base = state.config.base_url().trim_end_matches('/').to_owned();
    let k = keys(state, &state.db, actor.scope).await?;
    Ok(StoreSettingsView {
        store_url: format!("{base}/store/{}", brand.slug),
        webhook_url: format!("{base}/hooks/stripe/{}", brand.slug),
        webhook_events: WEBHOOK_EVENTS.iter().map(|e| (*e).to_owned()).collect(),
        connected: k.is_some(),
        api_base: k
            .as_ref()
            .map(|k| k.api_base.clone())
            .filter(|b| b != DEFAULT_API_BASE)
            .unwrap_or_default(),
        secret_hint: k.map(|k| super::ai::secrets::hint(&k.secret_key)),
        can_store_keys: state.secrets.is_some(),
    })
}

/// Connects the workspace's Stripe account (admins); logged without the keys.
///
/// # Errors
/// Permission; as [`set_keys`].
pub async fn save_settings(
    state: &AppState,
    actor: &Actor,
    f: &StoreSettingsForm,
    meta: &RequestMeta,
) -> ServiceResult<StoreSettingsView> {
    actor.require(Action::ManageWorkspaceSettings)?;
    set_keys(
        state,
        actor.scope,
        &f.api_base,
        &f.secret_key,
        &f.webhook_secret,
    )
    .await?;
    activity::record(
        &state.db,
        actor.scope,
        &Who::from(actor),
        meta,
        Entry::new("store.stripe_connected").diff(
            None,
            Some(serde_json::json!({
                "api_base": f.api_base.trim(),
                "secret_key": super::ai::secrets::hint(f.secret_key.trim()),
            })),
        ),
    )
    .await?;
    settings_page(state, actor).await
}

// ---------------------------------------------------------------------------
// Webhook signatures
// ---------------------------------------------------------------------------

/// Why a signature was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureError {
    /// No `Stripe-Signature` header, or one without `t=` and `v1=`.
    Malformed,
    /// No `v1` signature matches.
    Mismatch,
    /// `t` is too far from now.
    Stale,
}

impl SignatureError {
    /// In words, for the 400 answer.
    pub fn message(self) -> &'static str {
        match self {
            Self::Malformed => "The Stripe-Signature header is missing or malformed.",
            Self::Mismatch => "The Stripe-Signature does not match this endpoint's signing secret.",
            Self::Stale => "The Stripe-Signature timestamp is too old (or in the future).",
        }
    }
}

/// Verifies a `Stripe-Signature` header (`t=…,v1=…[,v1=…]`) over the raw
/// payload, with `now` in seconds.
///
/// # Errors
/// Which check failed.
pub fn verify_signature(
    header: &str,
    payload: &[u8],
    secret: &str,
    now_secs: i64,
) -> Result<(), SignatureError> {
    let mut t: Option<i64> = None;
    let mut sigs: Vec<Vec<u8>> = Vec::new();
    for part in header.split(',') {
        let Some((k, v)) = part.trim().split_once('=') else {
            continue;
        };
        match k {
            "t" => t = v.parse().ok(),
            "v1" => {
                if let Ok(b) = hex::decode(v) {
                    sigs.push(b);
                }
            }
            _ => {}
        }
    }
    let Some(t) = t else {
        return Err(SignatureError::Malformed);
    };
    if sigs.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let matches = sigs.iter().any(|sig| {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
            return false;
        };
        mac.update(t.to_string().as_bytes());
        mac.update(b".");
        mac.update(payload);
        // Constant-time comparison.
        mac.verify_slice(sig).is_ok()
    });
    if !matches {
        return Err(SignatureError::Mismatch);
    }
    if (now_secs - t).abs() > SIGNATURE_TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The Stripe API (only what is used)
// ---------------------------------------------------------------------------

/// A Checkout Session's line (Stripe's `line_items[]` with inline prices).
#[derive(serde::Serialize)]
struct LineItem {
    price_data: PriceData,
    quantity: i32,
}

#[derive(serde::Serialize)]
struct PriceData {
    currency: String,
    unit_amount: i64,
    product_data: ProductData,
}

#[derive(serde::Serialize)]
struct ProductData {
    name: String,
}

/// `POST /v1/checkout/sessions` parameters.
#[derive(serde::Serialize)]
struct CreateSession {
    mode: &'static str,
    line_items: Vec<LineItem>,
    client_reference_id: String,
    customer_email: String,
    success_url: String,
    cancel_url: String,
    /// Unix time the session (and the stock the order holds) expires.
    expires_at: i64,
    metadata: BTreeMap<&'static str, String>,
}

/// What is read of a Checkout Session.
#[derive(miniserde::Deserialize)]
struct Session {
    id: String,
    url: Option<String>,
}

fn client(k: &StripeKeys) -> ServiceResult<stripe::Client> {
    stripe::ClientBuilder::new(k.secret_key.clone())
        .url(k.api_base.clone())
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .map_err(|e| ServiceError::Internal(format!("Stripe client: {e}")))
}

/// Creates the Checkout Session for a placed order.
async fn create_session(
    k: &StripeKeys,
    o: &order::Model,
    items: &[order_item::Model],
    email: &str,
    urls: (String, String),
) -> Result<Session, String> {
    let mut line_items: Vec<LineItem> = items
        .iter()
        .map(|i| LineItem {
            price_data: PriceData {
                currency: o.currency.clone(),
                unit_amount: i.unit_price_minor,
                product_data: ProductData {
                    name: if i.variant_label.is_empty() {
                        i.product_name.clone()
                    } else {
                        format!("{} ({})", i.product_name, i.variant_label)
                    },
                },
            },
            quantity: i.quantity,
        })
        .collect();
    if o.shipping_minor > 0 {
        line_items.push(LineItem {
            price_data: PriceData {
                currency: o.currency.clone(),
                unit_amount: o.shipping_minor,
                product_data: ProductData {
                    name: "Shipping".into(),
                },
            },
            quantity: 1,
        });
    }
    let params = CreateSession {
        mode: "payment",
        line_items,
        client_reference_id: o.id.to_string(),
        customer_email: email.to_owned(),
        success_url: urls.0,
        cancel_url: urls.1,
        expires_at: now().timestamp() + CHECKOUT_MINUTES * 60,
        metadata: BTreeMap::from([
            ("order_number", o.number.clone()),
            ("workspace_id", o.workspace_id.to_string()),
        ]),
    };
    let key = stripe::IdempotencyKey::new(format!("switchboard-order-{}-{}", o.workspace_id, o.id))
        .map_err(|e| e.to_string())?;
    let c = client(k).map_err(|e| e.to_string())?;
    stripe_client_core::RequestBuilder::new(
        stripe_client_core::StripeMethod::Post,
        "/checkout/sessions",
    )
    .form(&params)
    .customize::<Session>()
    .request_strategy(stripe::RequestStrategy::Idempotent(key))
    .send(&c)
    .await
    .map_err(|e| match e {
        stripe::StripeError::Stripe(err, code) => {
            format!(
                "Stripe refused ({code}): {}",
                err.message.unwrap_or_default()
            )
        }
        other => other.to_string(),
    })
}

/// `POST /v1/refunds` parameters.
#[derive(serde::Serialize)]
struct CreateRefund {
    payment_intent: String,
    amount: i64,
    reason: &'static str,
    metadata: BTreeMap<&'static str, String>,
}

/// What is read of a Refund.
#[derive(miniserde::Deserialize)]
struct RefundObject {
    id: String,
}

/// Refunds `amount` (minor units) of an order paid through Stripe, naming its
/// payment intent (a refund of a part is allowed any number of times up to
/// what was paid). `key` is the idempotency key: the same key again is the
/// same refund, never a second one. Returns Stripe's refund id.
///
/// # Errors
/// `Conflict` (`payment`) when the order was not paid through Stripe, the
/// workspace's Stripe account is not connected, or Stripe refuses or cannot
/// be reached (its message is kept).
pub async fn refund(
    state: &AppState,
    db: &impl ConnectionTrait,
    scope: Scoped,
    o: &order::Model,
    amount: i64,
    key: &str,
) -> ServiceResult<String> {
    let Some(intent) = o.payment_intent.clone() else {
        return Err(ServiceError::conflict(
            "payment",
            format!("Order {} was not paid through Stripe.", o.number),
        ));
    };
    let Some(k) = keys(state, db, scope).await? else {
        return Err(ServiceError::conflict(
            "payment",
            "Stripe is not connected (Settings → Store), so the money cannot go back to the card it came from.",
        ));
    };
    let params = CreateRefund {
        payment_intent: intent,
        amount,
        reason: "requested_by_customer",
        metadata: BTreeMap::from([
            ("order_number", o.number.clone()),
            ("workspace_id", o.workspace_id.to_string()),
        ]),
    };
    let key = stripe::IdempotencyKey::new(key)
        .map_err(|e| ServiceError::Internal(format!("refund idempotency key: {e}")))?;
    let c = client(&k)?;
    stripe_client_core::RequestBuilder::new(stripe_client_core::StripeMethod::Post, "/refunds")
        .form(&params)
        .customize::<RefundObject>()
        .request_strategy(stripe::RequestStrategy::Idempotent(key))
        .send(&c)
        .await
        .map(|r| r.id)
        .map_err(|e| {
            let why = match e {
                stripe::StripeError::Stripe(err, code) => format!(
                    "Stripe refused the refund ({code}): {}",
                    err.message.unwrap_or_default()
                ),
                other => format!("Stripe could not be reached: {other}"),
            };
            ServiceError::conflict("payment", why)
        })
}

// ---------------------------------------------------------------------------
// Checkout
// ---------------------------------------------------------------------------

/// What the shopper gives at checkout.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
pub struct CheckoutForm {
    /// Where the receipt and order updates go.
    #[serde(default)]
    pub email: String,
    /// Who receives the parcel.
    #[serde(default)]
    pub name: String,
    /// Street and number.
    #[serde(default)]
    pub line1: String,
    /// More.
    #[serde(default)]
    pub line2: String,
    /// Postcode.
    #[serde(default)]
    pub postcode: String,
    /// City.
    #[serde(default)]
    pub city: String,
    /// Two letters.
    #[serde(default)]
    pub country: String,
}

/// A started checkout: where to send the shopper.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckoutStarted {
    /// Stripe's payment page.
    pub url: String,
    /// The order's number.
    pub number: String,
}

fn email_ok(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !e.chars().any(char::is_whitespace)
        && e.len() <= 254
}

/// Places the cart's order and starts its payment.
///
/// # Errors
/// `Invalid` naming the field (`email`, an address part, `cart`) with a
/// message for the shopper; `Conflict` (`cart`) when stock ran out meanwhile
/// or payments are not set up; `NotFound` (the store); `Unavailable`-style
/// `Conflict` (`payment`) when Stripe refused or was unreachable (the order is
/// cancelled and its stock given back).
pub async fn checkout(
    state: &AppState,
    slug: &str,
    cart: &CartCookie,
    f: &CheckoutForm,
) -> ServiceResult<CheckoutStarted> {
    let view = storefront::cart(state, slug, cart).await?;
    if view.lines.is_empty() {
        return Err(ServiceError::invalid("cart", "Your cart is empty."));
    }
    if let Some(p) = view.lines.iter().find_map(|l| l.problem.clone()) {
        return Err(ServiceError::invalid("cart", p));
    }
    let email = f.email.trim().to_lowercase();
    if !email_ok(&email) {
        return Err(ServiceError::invalid(
            "email",
            "Give an email address for the receipt, such as ann@example.com.",
        ));
    }
    let address = Address {
        name: f.name.trim().chars().take(120).collect(),
        line1: f.line1.trim().chars().take(200).collect(),
        line2: f.line2.trim().chars().take(200).collect(),
        postcode: f.postcode.trim().chars().take(20).collect(),
        city: f.city.trim().chars().take(120).collect(),
        country: f.country.trim().to_uppercase(),
    };
    if let Some((field, message)) = address.problem() {
        return Err(ServiceError::invalid(field, message));
    }
    let s = storefront::store(&state.db, slug).await?;
    let Some(k) = keys(state, &state.db, s.scope).await? else {
        return Err(ServiceError::conflict(
            "payment",
            "This store does not take payments yet: its owner has not connected Stripe.",
        ));
    };
    let (customer, _) = customers::resolve(
        &state.db,
        s.scope,
        IdentifierKind::Email,
        &email,
        Some(&address.name),
    )
    .await?;
    let lines: Vec<NewLine> = view
        .lines
        .iter()
        .map(|l| NewLine {
            variant_id: l.variant_id,
            quantity: l.quantity,
        })
        .collect();
    let placed = commerce::place(
        state,
        s.scope,
        customer.id,
        &lines,
        &address,
        &Payment {
            kind: "card".into(),
            label: "Stripe Checkout".into(),
            method_id: None,
        },
        "Storefront",
    )
    .await?;
    let o = s
        .scope
        .find::<order::Entity>()
        .filter(order::Column::Id.eq(placed.id))
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("Order"))?;
    let items = s
        .scope
        .find::<order_item::Entity>()
        .filter(order_item::Column::OrderId.eq(o.id))
        .all(&state.db)
        .await?;
    let base = format!(
        "{}/store/{}",
        state.config.base_url().trim_end_matches('/'),
        s.brand.slug
    );
    let key = o.access_key.clone().unwrap_or_default();
    let urls = (
        format!("{base}/orders/{}?key={key}", o.number),
        format!("{base}/cart"),
    );
    match create_session(&k, &o, &items, &email, urls).await {
        Ok(session) => {
            let Some(url) = session.url.filter(|u| u.starts_with("http")) else {
                commerce::move_to(
                    state,
                    s.scope,
                    o.id,
                    OrderStatus::Cancelled,
                    "Stripe returned no payment page.",
                    "Storefront",
                )
                .await?;
                return Err(ServiceError::conflict(
                    "payment",
                    "Payment could not start: try again in a minute.",
                ));
            };
            s.scope
                .update_many::<order::Entity>()
                .col_expr(
                    order::Column::StripeSession,
                    sea_orm::sea_query::Expr::value(session.id),
                )
                .filter(order::Column::Id.eq(o.id))
                .exec(&state.db)
                .await?;
            Ok(CheckoutStarted {
                url,
                number: o.number,
            })
        }
        Err(why) => {
            tracing::warn!(order = o.id, error = %why, "stripe checkout session");
            commerce::move_to(
                state,
                s.scope,
                o.id,
                OrderStatus::Cancelled,
                &format!("Payment could not start: {why}"),
                "Storefront",
            )
            .await?;
            Err(ServiceError::conflict(
                "payment",
                "Payment could not start: try again in a minute.",
            ))
        }
    }
}

// ---------------------------------------------------------------------------
// Webhooks
// ---------------------------------------------------------------------------

/// What a webhook did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// The event moved an order.
    Applied,
    /// Seen before: nothing changed.
    Duplicate,
    /// Recorded; nothing to do (another event type, or an order already
    /// past it).
    Ignored,
}

/// Handles one Stripe webhook for brand `slug`'s workspace.
///
/// # Errors
/// `Invalid` (`signature`) for a forged or stale request and (`payload`) for
/// one that is not a Stripe event (nothing written); `NotFound` (the store);
/// `Conflict` (`payment`) when the workspace has no Stripe keys; database
/// errors (Stripe retries).
pub async fn webhook(
    state: &AppState,
    slug: &str,
    signature: Option<&str>,
    payload: &[u8],
) -> ServiceResult<WebhookOutcome> {
    let s = storefront::store(&state.db, slug).await?;
    let Some(k) = keys(state, &state.db, s.scope).await? else {
        return Err(ServiceError::conflict(
            "payment",
            "This store has not connected Stripe.",
        ));
    };
    verify_signature(
        signature.unwrap_or_default(),
        payload,
        &k.webhook_secret,
        now().timestamp(),
    )
    .map_err(|e| ServiceError::invalid("signature", e.message()))?;
    let v: serde_json::Value = serde_json::from_slice(payload)
        .map_err(|_| ServiceError::invalid("payload", "The body is not a JSON Stripe event."))?;
    let (Some(id), Some(kind)) = (v["id"].as_str(), v["type"].as_str()) else {
        return Err(ServiceError::invalid(
            "payload",
            "A Stripe event has an id and a type.",
        ));
    };
    let object = &v["data"]["object"];
    let order_id: Option<i32> = object["client_reference_id"]
        .as_str()
        .and_then(|x| x.parse().ok());
    let uow = UnitOfWork::begin(state).await?;
    let recorded = stripe_event::ActiveModel {
        workspace_id: Set(s.scope.workspace_id()),
        event_id: Set(id.chars().take(255).collect()),
        kind: Set(kind.chars().take(120).collect()),
        order_id: Set(order_id),
        received_at: Set(now()),
        ..Default::default()
    }
    .insert(&*uow)
    .await;
    if let Err(e) = recorded {
        if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
            return Ok(WebhookOutcome::Duplicate);
        }
        return Err(e.into());
    }
    let target = match kind {
        "checkout.session.completed" if object["payment_status"].as_str() == Some("paid") => {
            Some((OrderStatus::Paid, "Paid through Stripe Checkout."))
        }
        "checkout.session.async_payment_succeeded" => {
            Some((OrderStatus::Paid, "The delayed payment succeeded."))
        }
        "checkout.session.expired" => Some((
            OrderStatus::Cancelled,
            "The checkout expired without payment.",
        )),
        "checkout.session.async_payment_failed" => {
            Some((OrderStatus::Cancelled, "The delayed payment failed."))
        }
        _ => None,
    };
    let outcome = match (target, order_id) {
        (Some((to, note)), Some(oid)) => {
            let o = s
                .scope
                .find::<order::Entity>()
                .filter(order::Column::Id.eq(oid))
                .one(&*uow)
                .await?;
            // Only this order's own session moves it, and only from pending.
            let ours = o.as_ref().is_some_and(|o| {
                o.status == OrderStatus::Pending.as_str()
                    && o.stripe_session.as_deref() == object["id"].as_str()
            });
            if ours {
                commerce::move_in(&*uow, s.scope, oid, to, note, "Stripe").await?;
                if let Some(pi) = object["payment_intent"].as_str() {
                    s.scope
                        .update_many::<order::Entity>()
                        .col_expr(
                            order::Column::PaymentIntent,
                            sea_orm::sea_query::Expr::value(pi),
                        )
                        .filter(order::Column::Id.eq(oid))
                        .exec(&*uow)
                        .await?;
                }
                WebhookOutcome::Applied
            } else {
                WebhookOutcome::Ignored
            }
        }
        _ => WebhookOutcome::Ignored,
    };
    uow.commit().await?;
    Ok(outcome)
}

/// Whether a Stripe event id was already handled (for tests and support).
///
/// # Errors
/// Database errors.
pub async fn seen(db: &impl ConnectionTrait, scope: Scoped, event_id: &str) -> ServiceResult<bool> {
    Ok(scope
        .find::<stripe_event::Entity>()
        .filter(stripe_event::Column::EventId.eq(event_id))
        .one(db)
        .await?
        .is_some())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn sign(secret: &str, t: i64, payload: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.{payload}").as_bytes());
        format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn signatures_are_checked_as_stripe_documents() {
        let body = r#"{"id":"evt_1"}"#;
        let h = sign("whsec_test", 1_000, body);
        assert_eq!(
            verify_signature(&h, body.as_bytes(), "whsec_test", 1_100),
            Ok(())
        );
        // Any v1 of several may match (secrets being rolled).
        let two = format!("t=1000,v1=00ff,{}", h.split(',').nth(1).unwrap());
        assert_eq!(
            verify_signature(&two, body.as_bytes(), "whsec_test", 1_000),
            Ok(())
        );
        assert_eq!(
            verify_signature(&h, br#"{"id":"evt_2"}"#, "whsec_test", 1_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(&h, body.as_bytes(), "whsec_other", 1_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(&h, body.as_bytes(), "whsec_test", 1_000 + 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify_signature("v1=abc", body.as_bytes(), "whsec_test", 1_000),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify_signature("", body.as_bytes(), "whsec_test", 1_000),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn emails() {
        assert!(email_ok("ann@example.com"));
        assert!(!email_ok("ann@example"));
        assert!(!email_ok("ann example@x.com"));
        assert!(!email_ok("@x.com"));
    }
}
