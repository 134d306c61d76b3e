//! Campaign email links (`/c/{token}/…`): the open-tracking image, tracked
//! links, and the unsubscribe page with RFC 8058 one-click unsubscribe. Thin:
//! each calls one `campaigns::send` service. The token proves which email; no
//! session is involved, so these posts are exempt from the CSRF check.

use crate::http::ServerState;
use app::pages::subscription::{self as render, Done};
use app::services::campaigns::send;
use app::services::ServiceError;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

/// The routes.
pub fn router() -> Router<ServerState> {
    Router::new()
        .route("/c/{token}/o.gif", get(open))
        .route("/c/{token}/l/{n}", get(click))
        .route("/c/{token}/u", get(page).post(unsubscribe))
        .route("/c/{token}/resubscribe", post(resubscribe))
}

/// A transparent 1×1 GIF.
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

const NO_STORE: (header::HeaderName, &str) = (header::CACHE_CONTROL, "no-store");

fn failed(e: &ServiceError) -> Response {
    match e {
        ServiceError::NotFound(_) => (
            StatusCode::NOT_FOUND,
            [NO_STORE],
            Html(render::render_not_found()),
        )
            .into_response(),
        other => {
            tracing::error!(error = %other, "campaign link");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [NO_STORE],
                Html("Something went wrong on our side. Please try again.".to_owned()),
            )
                .into_response()
        }
    }
}

/// `GET /c/{token}/o.gif`: counts the open; always the image (a broken image
/// in an email helps nobody).
async fn open(State(s): State<ServerState>, Path(token): Path<String>) -> Response {
    let token = token.trim_end_matches(".gif").to_owned();
    if let Err(e) = send::opened(&s.app, &token).await {
        if !matches!(e, ServiceError::NotFound(_)) {
            tracing::error!(error = %e, "campaign open");
        }
    }
    ([(header::CONTENT_TYPE, "image/gif"), NO_STORE], PIXEL).into_response()
}

/// `GET /c/{token}/l/{n}`: counts the click, then to the email's n-th link.
async fn click(State(s): State<ServerState>, Path((token, n)): Path<(String, usize)>) -> Response {
    match send::clicked(&s.app, &token, n).await {
        Ok(url) => ([NO_STORE], Redirect::to(&url)).into_response(),
        Err(e) => failed(&e),
    }
}

/// `GET /c/{token}/u`: the preferences page (reading it changes nothing:
/// link scanners open links).
async fn page(State(s): State<ServerState>, Path(token): Path<String>) -> Response {
    match send::subscription(&s.app, &token).await {
        Ok(v) => ([NO_STORE], Html(render::render(&v, &token, Done::Nothing))).into_response(),
        Err(e) => failed(&e),
    }
}

/// `POST /c/{token}/u`: unsubscribe — the page's button, or a mail program's
/// one-click `List-Unsubscribe=One-Click` post.
async fn unsubscribe(State(s): State<ServerState>, Path(token): Path<String>) -> Response {
    match send::unsubscribe(&s.app, &token).await {
        Ok(v) => (
            [NO_STORE],
            Html(render::render(&v, &token, Done::Unsubscribed)),
        )
            .into_response(),
        Err(e) => failed(&e),
    }
}

/// `POST /c/{token}/resubscribe`: subscribe again.
async fn resubscribe(State(s): State<ServerState>, Path(token): Path<String>) -> Response {
    match send::resubscribe(&s.app, &token).await {
        Ok(v) => (
            [NO_STORE],
            Html(render::render(&v, &token, Done::Resubscribed)),
        )
            .into_response(),
        Err(e) => failed(&e),
    }
}
