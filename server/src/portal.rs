//! The customer portal (`/help/{brand}/portal/…`): sign in by magic link,
//! see and answer every conversation, start a new one. Server-rendered
//! pages and plain form posts; the session is an HttpOnly cookie scoped to
//! the portal's path. Thin: extract, call one `portal` service, render with
//! `app::pages::help_portal`.

use crate::http::ServerState;
use crate::storefront::{cookie, cookie_path, secure_flag};
use app::pages::help_portal as render;
use app::pages::helpcenter::render_not_found;
use app::services::context::RequestMeta;
use app::services::portal::{self, Posted};
use app::services::ServiceError;
use app::types::HelpShell;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Deserialize;

const SESSION: &str = "sb_portal";

/// The portal routes.
pub fn router() -> Router<ServerState> {
    Router::new()
        .route("/help/{brand}/portal", get(home))
        .route("/help/{brand}/portal/sign-in", post(sign_in))
        .route("/help/{brand}/portal/verify", get(open_link).post(use_link))
        .route("/help/{brand}/portal/sign-out", post(sign_out))
        .route("/help/{brand}/portal/new", post(new_request))
        .route("/help/{brand}/portal/c/{number}", get(thread))
        .route("/help/{brand}/portal/c/{number}/reply", post(reply))
}

fn home_url(brand: &str) -> String {
    format!("/help/{}/portal", cookie_path(brand))
}

/// The session cookie (no value and no age: removed); `Secure` whenever the
/// server's cookies are.
fn session_cookie(s: &ServerState, brand: &str, session: Option<&str>) -> Option<HeaderValue> {
    let age = if session.is_some() {
        app::services::customer_links::SESSION_DAYS * 86_400
    } else {
        0
    };
    let secure = secure_flag(s);
    HeaderValue::from_str(&format!(
        "{SESSION}={}; Path={}; Max-Age={age}; HttpOnly; SameSite=Lax{secure}",
        session.unwrap_or_default(),
        home_url(brand)
    ))
    .ok()
}

fn session_of(headers: &HeaderMap) -> &str {
    cookie(headers, SESSION).unwrap_or_default()
}

/// Portal pages are the customer's own: cached by nobody.
fn private(status: StatusCode, html: String) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "private, no-store")],
        Html(html),
    )
        .into_response()
}

fn failed(e: &ServiceError) -> Response {
    match e {
        ServiceError::NotFound(what) => private(
            StatusCode::NOT_FOUND,
            render_not_found(None, &format!("{what} not found.")),
        ),
        other => {
            tracing::error!(error = %other, "customer portal");
            private(
                StatusCode::INTERNAL_SERVER_ERROR,
                render_not_found(None, "Something went wrong on our side. Please try again."),
            )
        }
    }
}

/// The sign-in page (a stale cookie goes with it).
fn signed_out(s: &ServerState, brand: &str, headers: &HeaderMap, shell: &HelpShell) -> Response {
    let mut r = private(StatusCode::OK, render::render_sign_in(shell, None, None));
    if !session_of(headers).is_empty() {
        if let Some(h) = session_cookie(s, brand, None) {
            r.headers_mut().insert(header::SET_COOKIE, h);
        }
    }
    r
}

async fn sign_in_page(s: &ServerState, brand: &str, headers: &HeaderMap) -> Response {
    match portal::shell(&s.app, brand).await {
        Ok(shell) => signed_out(s, brand, headers, &shell),
        Err(e) => failed(&e),
    }
}

/// `GET /help/{brand}/portal`: the customer's conversations, or sign in.
async fn home(
    State(s): State<ServerState>,
    Path(brand): Path<String>,
    headers: HeaderMap,
) -> Response {
    match portal::home(&s.app, &brand, session_of(&headers)).await {
        Ok(Some(v)) => private(
            StatusCode::OK,
            render::render_home(&v, &portal::form_key(), None, ("", "")),
        ),
        Ok(None) => sign_in_page(&s, &brand, &headers).await,
        Err(e) => failed(&e),
    }
}

#[derive(Debug, Default, Deserialize)]
struct EmailForm {
    #[serde(default)]
    email: String,
}

/// `POST /help/{brand}/portal/sign-in`: emails a link when the address is
/// a customer's (the page says the same either way).
async fn sign_in(
    State(s): State<ServerState>,
    Path(brand): Path<String>,
    meta: Option<Extension<RequestMeta>>,
    Form(f): Form<EmailForm>,
) -> Response {
    let meta = meta.map(|m| m.0).unwrap_or_default();
    let r = portal::request_link(&s.app, &brand, &f.email, &meta).await;
    let shell = match portal::shell(&s.app, &brand).await {
        Ok(shell) => shell,
        Err(e) => return failed(&e),
    };
    match r {
        Ok(email) => private(
            StatusCode::OK,
            render::render_sign_in(&shell, Some(&email), None),
        ),
        Err(ServiceError::Invalid { message, .. }) => private(
            StatusCode::UNPROCESSABLE_ENTITY,
            render::render_sign_in(&shell, None, Some(&message)),
        ),
        Err(ServiceError::RateLimited { message, .. }) => private(
            StatusCode::TOO_MANY_REQUESTS,
            render::render_sign_in(&shell, None, Some(&message)),
        ),
        Err(e) => failed(&e),
    }
}

#[derive(Debug, Default, Deserialize)]
struct TokenForm {
    #[serde(default)]
    token: String,
}

/// `GET /help/{brand}/portal/verify?token=…`: the button that spends it.
async fn open_link(
    State(s): State<ServerState>,
    Path(brand): Path<String>,
    Query(q): Query<TokenForm>,
) -> Response {
    match portal::shell(&s.app, &brand).await {
        Ok(shell) => private(StatusCode::OK, render::render_use_link(&shell, &q.token)),
        Err(e) => failed(&e),
    }
}

/// `POST /help/{brand}/portal/verify`: spends the link, sets the cookie.
async fn use_link(
    State(s): State<ServerState>,
    Path(brand): Path<String>,
    Form(f): Form<TokenForm>,
) -> Response {
    match portal::use_link(&s.app, &brand, &f.token).await {
        Ok(session) => {
            let mut r = Redirect::to(&home_url(&brand)).into_response();
            if let Some(h) = session_cookie(&s, &brand, Some(&session)) {
                r.headers_mut().insert(header::SET_COOKIE, h);
            }
            r
        }
        Err(ServiceError::Invalid { message, .. }) => match portal::shell(&s.app, &brand).await {
            Ok(shell) => private(
                StatusCode::BAD_REQUEST,
                render::render_sign_in(&shell, None, Some(&message)),
            ),
            Err(e) => failed(&e),
        },
        Err(e) => failed(&e),
    }
}

/// `POST /help/{brand}/portal/sign-out`.
async fn sign_out(
    State(s): State<ServerState>,
    Path(brand): Path<String>,
    headers: HeaderMap,
) -> Response {
    match portal::sign_out(&s.app, &brand, session_of(&headers)).await {
        Ok(()) => {
            let mut r = Redirect::to(&home_url(&brand)).into_response();
            if let Some(h) = session_cookie(&s, &brand, None) {
                r.headers_mut().insert(header::SET_COOKIE, h);
            }
            r
        }
        Err(e) => failed(&e),
    }
}

/// `GET /help/{brand}/portal/c/{number}`: one of the customer's conversations.
async fn thread(
    State(s): State<ServerState>,
    Path((brand, number)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let Ok(number) = number.parse::<i32>() else {
        return failed(&ServiceError::NotFound("Conversation"));
    };
    match portal::thread(&s.app, &brand, session_of(&headers), number).await {
        Ok(Some(v)) => private(StatusCode::OK, render::render_thread(&v, None, "")),
        Ok(None) => sign_in_page(&s, &brand, &headers).await,
        Err(e) => failed(&e),
    }
}

#[derive(Debug, Default, Deserialize)]
struct MessageForm {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    key: String,
}

/// What a post leads to: somewhere to go, or the form again with why.
enum After {
    Go(Response),
    Refused(StatusCode, String),
}

fn posted(brand: &str, r: Result<Posted, ServiceError>) -> After {
    match r {
        Ok(Posted::In(n)) => {
            After::Go(Redirect::to(&format!("{}/c/{n}", home_url(brand))).into_response())
        }
        Ok(Posted::SignedOut) => After::Go(Redirect::to(&home_url(brand)).into_response()),
        Err(ServiceError::Invalid { message, .. }) => {
            After::Refused(StatusCode::UNPROCESSABLE_ENTITY, message)
        }
        Err(ServiceError::RateLimited { message, .. }) => {
            After::Refused(StatusCode::TOO_MANY_REQUESTS, message)
        }
        Err(e) => After::Go(failed(&e)),
    }
}

/// `POST /help/{brand}/portal/c/{number}/reply`: the customer's reply.
async fn reply(
    State(s): State<ServerState>,
    Path((brand, number)): Path<(String, String)>,
    headers: HeaderMap,
    Form(f): Form<MessageForm>,
) -> Response {
    let Ok(number) = number.parse::<i32>() else {
        return failed(&ServiceError::NotFound("Conversation"));
    };
    let session = session_of(&headers);
    let r = portal::reply(&s.app, &brand, session, number, &f.body, &f.key).await;
    match posted(&brand, r) {
        After::Go(resp) => resp,
        After::Refused(status, message) => {
            match portal::thread(&s.app, &brand, session, number).await {
                Ok(Some(v)) => private(status, render::render_thread(&v, Some(&message), &f.body)),
                Ok(None) => sign_in_page(&s, &brand, &headers).await,
                Err(e) => failed(&e),
            }
        }
    }
}

/// `POST /help/{brand}/portal/new`: a new request.
async fn new_request(
    State(s): State<ServerState>,
    Path(brand): Path<String>,
    headers: HeaderMap,
    Form(f): Form<MessageForm>,
) -> Response {
    let session = session_of(&headers);
    let r = portal::new_request(&s.app, &brand, session, &f.subject, &f.body, &f.key).await;
    match posted(&brand, r) {
        After::Go(resp) => resp,
        After::Refused(status, message) => match portal::home(&s.app, &brand, session).await {
            Ok(Some(v)) => private(
                status,
                render::render_home(
                    &v,
                    &portal::form_key(),
                    Some(&message),
                    (&f.subject, &f.body),
                ),
            ),
            Ok(None) => sign_in_page(&s, &brand, &headers).await,
            Err(e) => failed(&e),
        },
    }
}
