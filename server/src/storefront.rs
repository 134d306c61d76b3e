//! The storefront (`/store/{brand}/…`): server-rendered pages without
//! hydration, the cart in a cookie changed by plain form posts, and
//! `sitemap.xml`. Thin: extract, call one `storefront` service, render with
//! `app::pages::storefront`.

use crate::http::ServerState;
use app::pages::storefront as render;
use app::services::context::RequestMeta;
use app::services::payments::{self, CheckoutForm, WebhookOutcome};
use app::services::shipping::{tracking, Provider};
use app::services::ServiceError;
use app::services::{shopper, store_pages, storefront};
use app::types::CartCookie;
use axum::body::Bytes;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Extension;
use axum::Router;
use serde::Deserialize;

/// The storefront routes.
pub fn router() -> Router<ServerState> {
    Router::new()
        .route("/store/{brand}", get(home))
        .route("/store/{brand}/sitemap.xml", get(sitemap))
        .route("/store/{brand}/c/{slug}", get(category))
        .route("/store/{brand}/p/{slug}", get(product))
        .route("/store/{brand}/cart", get(cart))
        .route("/store/{brand}/cart/add", post(add))
        .route("/store/{brand}/cart/set", post(set))
        .route("/store/{brand}/checkout", post(checkout))
        .route("/store/{brand}/orders/{number}", get(order))
        .route("/store/{brand}/account", get(account))
        .route("/store/{brand}/account/sign-in", post(sign_in))
        .route(
            "/store/{brand}/account/verify",
            get(open_link).post(use_link),
        )
        .route("/store/{brand}/account/sign-out", post(sign_out))
        .route("/store/{brand}/{page}", get(store_page))
        .route("/hooks/stripe/{brand}", post(stripe_webhook))
        .route("/hooks/easypost/{brand}", post(easypost_webhook))
        .route("/hooks/shipengine/{brand}", post(shipengine_webhook))
}

/// The cart cookie's name (its path is the brand's store).
const CART: &str = "sb_cart";
/// The shopper's session cookie (its path is the brand's store).
const SHOPPER: &str = "sb_shopper";
/// A cart is kept 30 days.
const CART_DAYS: u32 = 30;

pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

fn cart_of(headers: &HeaderMap) -> CartCookie {
    cookie(headers, CART)
        .map(CartCookie::parse)
        .unwrap_or_default()
}

/// The store's path segment as cookies name it (the slug's safe characters).
pub(crate) fn cookie_path(brand: &str) -> String {
    brand
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

/// The shopper's session cookie (empty value and no age: removed).
fn shopper_cookie(s: &ServerState, brand: &str, session: Option<&str>) -> Option<HeaderValue> {
    let age = if session.is_some() {
        shopper::SESSION_DAYS * 86_400
    } else {
        0
    };
    HeaderValue::from_str(&format!(
        "{SHOPPER}={}; Path=/store/{}; Max-Age={age}; HttpOnly; SameSite=Lax{}",
        session.unwrap_or_default(),
        cookie_path(brand),
        secure_flag(s)
    ))
    .ok()
}

/// `; Secure` whenever the server's own cookies are.
pub(crate) fn secure_flag(s: &ServerState) -> &'static str {
    if s.app.config.cookies_secure() {
        "; Secure"
    } else {
        ""
    }
}

fn set_cart(brand: &str, c: &CartCookie) -> Option<HeaderValue> {
    let path = cookie_path(brand);
    // An empty cart is a removed cookie.
    let age = if c.0.is_empty() {
        0
    } else {
        CART_DAYS * 86_400
    };
    HeaderValue::from_str(&format!(
        "{CART}={}; Path=/store/{path}; Max-Age={age}; HttpOnly; SameSite=Lax",
        c.encode()
    ))
    .ok()
}

/// Pages show the shopper's cart count: cached by nobody but the shopper.
fn page(html: String) -> Response {
    ([(header::CACHE_CONTROL, "private, no-cache")], Html(html)).into_response()
}

fn failed(e: &ServiceError) -> Response {
    match e {
        ServiceError::NotFound(what) => (
            StatusCode::NOT_FOUND,
            Html(render::render_not_found(
                None,
                &format!("{what} not found."),
            )),
        )
            .into_response(),
        other => {
            tracing::error!(error = %other, "storefront");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html(render::render_not_found(
                    None,
                    "Something went wrong on our side. Please try again.",
                )),
            )
                .into_response()
        }
    }
}

async fn home(
    State(s): State<ServerState>,
    Path(brand): Path<String>,
    headers: HeaderMap,
) -> Response {
    match storefront::home(&s.app, &brand, &cart_of(&headers)).await {
        Ok(v) => page(render::render_home(&v)),
        Err(e) => failed(&e),
    }
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    #[serde(default)]
    page: Option<String>,
}

async fn category(
    State(s): State<ServerState>,
    Path((brand, slug)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    // A page that is not a number is the first (links are never malformed).
    let n = q.page.and_then(|p| p.trim().parse().ok()).unwrap_or(1);
    match storefront::category(&s.app, &brand, &slug, n, &cart_of(&headers)).await {
        Ok(v) => page(render::render_category(&v)),
        Err(e) => failed(&e),
    }
}

async fn product(
    State(s): State<ServerState>,
    Path((brand, slug)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    match storefront::product(&s.app, &brand, &slug, &cart_of(&headers)).await {
        Ok(v) => page(render::render_product(&v, None)),
        Err(e) => failed(&e),
    }
}

async fn cart(
    State(s): State<ServerState>,
    Path(brand): Path<String>,
    headers: HeaderMap,
) -> Response {
    match storefront::cart(&s.app, &brand, &cart_of(&headers)).await {
        Ok(v) => {
            let mut r = page(render::render_cart(&v, None));
            // Lines no longer sold leave the cookie too.
            if v.dropped > 0 {
                let kept = CartCookie(v.lines.iter().map(|l| (l.variant_id, l.quantity)).collect());
                if let Some(h) = set_cart(&brand, &kept) {
                    r.headers_mut().insert(header::SET_COOKIE, h);
                }
            }
            r
        }
        Err(e) => failed(&e),
    }
}

async fn sitemap(State(s): State<ServerState>, Path(brand): Path<String>) -> Response {
    match storefront::sitemap(&s.app, &brand).await {
        Ok(urls) => (
            [
                (header::CONTENT_TYPE, "application/xml; charset=utf-8"),
                (header::CACHE_CONTROL, "public, max-age=300"),
            ],
            render::render_sitemap(&urls),
        )
            .into_response(),
        Err(e) => failed(&e),
    }
}

/// A cart form: the variant, the quantity, and (from a product page) the
/// product to show again when the change is refused. Fields are read as text
/// so a malformed one gets a message, not a bare rejection.
#[derive(Debug, Default, Deserialize)]
struct CartForm {
    #[serde(default)]
    variant: Option<String>,
    #[serde(default)]
    quantity: Option<String>,
    #[serde(default)]
    product: Option<String>,
}

fn num(s: Option<&String>) -> Option<i32> {
    s.and_then(|v| v.trim().parse().ok())
}

async fn change(
    s: &ServerState,
    brand: &str,
    headers: &HeaderMap,
    f: &CartForm,
    set: bool,
) -> Response {
    let current = cart_of(headers);
    let result = storefront::change_cart(
        &s.app,
        brand,
        &current,
        num(f.variant.as_ref()),
        num(f.quantity.as_ref()),
        set,
    )
    .await;
    match result {
        Ok(next) => {
            let mut r = Redirect::to(&format!("/store/{brand}/cart")).into_response();
            if let Some(h) = set_cart(brand, &next) {
                r.headers_mut().insert(header::SET_COOKIE, h);
            }
            r
        }
        Err(ServiceError::Invalid { message, .. }) => {
            // Shown again with the reason: the product page it came from, else the cart.
            let from_product = match f.product.as_deref().filter(|p| !set && !p.is_empty()) {
                Some(p) => storefront::product(&s.app, brand, p, &current)
                    .await
                    .ok()
                    .map(|v| render::render_product(&v, Some(&message))),
                None => None,
            };
            let html = match from_product {
                Some(h) => h,
                None => match storefront::cart(&s.app, brand, &current).await {
                    Ok(v) => render::render_cart(&v, Some(&message)),
                    Err(e) => return failed(&e),
                },
            };
            (StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response()
        }
        Err(e) => failed(&e),
    }
}

/// `POST /store/{brand}/cart/add`: adds to the cart, then shows it.
async fn add(
    State(s): State<ServerState>,
    Path(brand): Path<String>,
    headers: HeaderMap,
    Form(f): Form<CartForm>,
) -> Response {
    change(&s, &brand, &headers, &f, false).await
}

/// `POST /store/{brand}/cart/set`: sets a line's quantity (0 removes it).
async fn set(
    State(s): State<ServerState>,
    Path(brand): Path<String>,
    headers: HeaderMap,
    Form(f): Form<CartForm>,
) -> Response {
    change(&s, &brand, &headers, &f, true).await
}

/// `POST /store/{brand}/checkout`: places the order and sends the shopper to
/// Stripe's payment page; a refusal shows the cart again with the reason and
/// what they typed.
async fn checkout(
    State(s): State<ServerState>,
    Path(brand): Path<String>,
    headers: HeaderMap,
    Form(f): Form<CheckoutForm>,
) -> Response {
    let cart = cart_of(&headers);
    match payments::checkout(&s.app, &brand, &cart, &f).await {
        Ok(started) => Redirect::to(&started.url).into_response(),
        Err(e) => {
            let (status, message) = match &e {
                ServiceError::Invalid { message, .. } => {
                    (StatusCode::UNPROCESSABLE_ENTITY, message.clone())
                }
                ServiceError::Conflict {
                    field: Some("payment"),
                    message,
                } => (StatusCode::SERVICE_UNAVAILABLE, message.clone()),
                ServiceError::Conflict { message, .. } => (StatusCode::CONFLICT, message.clone()),
                other => return failed(other),
            };
            let values = render::CheckoutValues {
                email: f.email.clone(),
                name: f.name.clone(),
                line1: f.line1.clone(),
                line2: f.line2.clone(),
                postcode: f.postcode.clone(),
                city: f.city.clone(),
                country: f.country.clone(),
            };
            match storefront::cart(&s.app, &brand, &cart).await {
                Ok(v) => (
                    status,
                    Html(render::render_cart_with(&v, Some(&message), &values)),
                )
                    .into_response(),
                Err(e) => failed(&e),
            }
        }
    }
}

#[derive(Debug, Deserialize)]
struct OrderQuery {
    #[serde(default)]
    key: String,
}

/// `GET /store/{brand}/orders/{number}?key=…`: the shopper's order. Once it
/// is paid, the cart it came from is emptied.
async fn order(
    State(s): State<ServerState>,
    Path((brand, number)): Path<(String, String)>,
    Query(q): Query<OrderQuery>,
    headers: HeaderMap,
) -> Response {
    let cart = cart_of(&headers);
    match storefront::order(&s.app, &brand, &number, &q.key, &cart).await {
        Ok(mut v) => {
            let paid = v.status != app::types::OrderStatus::Pending
                && v.status != app::types::OrderStatus::Cancelled;
            let clear = paid && !cart.0.is_empty();
            if clear {
                v.shell.cart_items = 0;
            }
            let mut r = (
                [(header::CACHE_CONTROL, "private, no-store")],
                Html(render::render_order(&v)),
            )
                .into_response();
            if clear {
                if let Some(h) = set_cart(&brand, &CartCookie::default()) {
                    r.headers_mut().insert(header::SET_COOKIE, h);
                }
            }
            r
        }
        Err(e) => failed(&e),
    }
}

/// `GET /store/{brand}/{page}`: a page the store wrote (privacy, terms,
/// contact, FAQ).
async fn store_page(
    State(s): State<ServerState>,
    Path((brand, slug)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    match store_pages::public(&s.app, &brand, &slug, &cart_of(&headers)).await {
        Ok(v) => page(render::render_store_page(&v)),
        Err(e) => failed(&e),
    }
}

/// `GET /store/{brand}/account`: the shopper's orders, or the sign-in form.
async fn account(
    State(s): State<ServerState>,
    Path(brand): Path<String>,
    headers: HeaderMap,
) -> Response {
    let cart = cart_of(&headers);
    let session = cookie(&headers, SHOPPER).unwrap_or_default();
    match shopper::account(&s.app, &brand, session, &cart).await {
        Ok(Some(v)) => private(render::render_account(&v)),
        Ok(None) => match shopper::sign_in_shell(&s.app, &brand, &cart).await {
            Ok(shell) => {
                let mut r = private(render::render_sign_in(&shell, None, None));
                // A stale session cookie goes.
                if !session.is_empty() {
                    if let Some(h) = shopper_cookie(&s, &brand, None) {
                        r.headers_mut().insert(header::SET_COOKIE, h);
                    }
                }
                r
            }
            Err(e) => failed(&e),
        },
        Err(e) => failed(&e),
    }
}

/// Account pages are the shopper's own: cached by nobody.
fn private(html: String) -> Response {
    ([(header::CACHE_CONTROL, "private, no-store")], Html(html)).into_response()
}

/// The sign-in page again, with why the request was refused.
fn refused_sign_in(status: StatusCode, shell: &app::types::StoreShell, message: &str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "private, no-store")],
        Html(render::render_sign_in(shell, None, Some(message))),
    )
        .into_response()
}

#[derive(Debug, Default, Deserialize)]
struct EmailForm {
    #[serde(default)]
    email: String,
}

/// `POST /store/{brand}/account/sign-in`: emails a sign-in link (when the
/// store knows the address; the answer is the same either way).
async fn sign_in(
    State(s): State<ServerState>,
    Path(brand): Path<String>,
    meta: Option<Extension<RequestMeta>>,
    headers: HeaderMap,
    Form(f): Form<EmailForm>,
) -> Response {
    let cart = cart_of(&headers);
    let meta = meta.map(|m| m.0).unwrap_or_default();
    let r = shopper::request_link(&s.app, &brand, &f.email, &meta).await;
    let shell = match shopper::sign_in_shell(&s.app, &brand, &cart).await {
        Ok(shell) => shell,
        Err(e) => return failed(&e),
    };
    match r {
        Ok(email) => private(render::render_sign_in(&shell, Some(&email), None)),
        Err(ServiceError::Invalid { message, .. }) => {
            refused_sign_in(StatusCode::UNPROCESSABLE_ENTITY, &shell, &message)
        }
        Err(ServiceError::RateLimited { message, .. }) => {
            refused_sign_in(StatusCode::TOO_MANY_REQUESTS, &shell, &message)
        }
        Err(e) => failed(&e),
    }
}

#[derive(Debug, Default, Deserialize)]
struct TokenForm {
    #[serde(default)]
    token: String,
}

/// `GET /store/{brand}/account/verify?token=…`: the link's page, with the
/// button that spends it.
async fn open_link(
    State(s): State<ServerState>,
    Path(brand): Path<String>,
    Query(q): Query<TokenForm>,
    headers: HeaderMap,
) -> Response {
    match shopper::sign_in_shell(&s.app, &brand, &cart_of(&headers)).await {
        Ok(shell) => private(render::render_use_link(&shell, &q.token)),
        Err(e) => failed(&e),
    }
}

/// `POST /store/{brand}/account/verify`: spends the link, sets the session
/// cookie and goes to the account.
async fn use_link(
    State(s): State<ServerState>,
    Path(brand): Path<String>,
    headers: HeaderMap,
    Form(f): Form<TokenForm>,
) -> Response {
    match shopper::use_link(&s.app, &brand, &f.token).await {
        Ok(session) => {
            let mut r =
                Redirect::to(&format!("/store/{}/account", cookie_path(&brand))).into_response();
            if let Some(h) = shopper_cookie(&s, &brand, Some(&session)) {
                r.headers_mut().insert(header::SET_COOKIE, h);
            }
            r
        }
        Err(ServiceError::Invalid { message, .. }) => {
            match shopper::sign_in_shell(&s.app, &brand, &cart_of(&headers)).await {
                Ok(shell) => refused_sign_in(StatusCode::BAD_REQUEST, &shell, &message),
                Err(e) => failed(&e),
            }
        }
        Err(e) => failed(&e),
    }
}

/// `POST /store/{brand}/account/sign-out`: ends the session.
async fn sign_out(
    State(s): State<ServerState>,
    Path(brand): Path<String>,
    headers: HeaderMap,
) -> Response {
    let session = cookie(&headers, SHOPPER).unwrap_or_default();
    match shopper::sign_out(&s.app, &brand, session).await {
        Ok(()) => {
            let mut r =
                Redirect::to(&format!("/store/{}/account", cookie_path(&brand))).into_response();
            if let Some(h) = shopper_cookie(&s, &brand, None) {
                r.headers_mut().insert(header::SET_COOKIE, h);
            }
            r
        }
        Err(e) => failed(&e),
    }
}

/// `POST /hooks/stripe/{brand}`: a Stripe event. 200 once handled (or
/// seen before); 400 for a forged, stale or malformed request (nothing
/// written); 5xx makes Stripe retry.
async fn stripe_webhook(
    State(s): State<ServerState>,
    Path(brand): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let sig = headers
        .get("stripe-signature")
        .and_then(|h| h.to_str().ok());
    hook_answer(
        "Stripe",
        payments::webhook(&s.app, &brand, sig, &body)
            .await
            .map(|outcome| match outcome {
                WebhookOutcome::Applied => "applied",
                WebhookOutcome::Duplicate => "duplicate",
                WebhookOutcome::Ignored => "ignored",
            }),
    )
}

/// `POST /hooks/easypost/{brand}`: an EasyPost tracker event, verified by
/// `X-Hmac-Signature`. Answers as [`stripe_webhook`].
async fn easypost_webhook(
    State(s): State<ServerState>,
    Path(brand): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let h = tracking::WebhookHeaders {
        hmac: header_str(&headers, "x-hmac-signature"),
        ..Default::default()
    };
    tracking_hook(&s, Provider::EasyPost, &brand, h, &body).await
}

/// `POST /hooks/shipengine/{brand}`: a ShipEngine `track` event, verified
/// by its RSA-SHA256 headers; without them 404, as ShipEngine advises.
async fn shipengine_webhook(
    State(s): State<ServerState>,
    Path(brand): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let h = tracking::WebhookHeaders {
        key_id: header_str(&headers, "x-shipengine-rsa-sha256-key-id"),
        rsa: header_str(&headers, "x-shipengine-rsa-sha256-signature"),
        timestamp: header_str(&headers, "x-shipengine-timestamp"),
        ..Default::default()
    };
    tracking_hook(&s, Provider::ShipEngine, &brand, h, &body).await
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|h| h.to_str().ok())
}

async fn tracking_hook(
    s: &ServerState,
    provider: Provider,
    brand: &str,
    h: tracking::WebhookHeaders<'_>,
    body: &[u8],
) -> Response {
    hook_answer(
        provider.label(),
        tracking::webhook(&s.app, provider, brand, h, body)
            .await
            .map(|outcome| match outcome {
                tracking::WebhookOutcome::Applied => "applied",
                tracking::WebhookOutcome::Duplicate => "duplicate",
                tracking::WebhookOutcome::Ignored => "ignored",
            }),
    )
}

/// A provider webhook's answer: 200 with what it did; 400 with the reason
/// for a request refused (nothing written); 404; 5xx so the provider retries.
fn hook_answer(who: &str, r: Result<&'static str, ServiceError>) -> Response {
    match r {
        Ok(outcome) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({"received": true, "outcome": outcome})),
        )
            .into_response(),
        Err(ServiceError::Invalid { message, .. } | ServiceError::Conflict { message, .. }) => (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({"error": message})),
        )
            .into_response(),
        Err(ServiceError::NotFound(what)) => (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({"error": format!("{what} not found.")})),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, provider = who, "webhook");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(serde_json::json!({"error": format!("Not handled; {who} will retry.")})),
            )
                .into_response()
        }
    }
}
