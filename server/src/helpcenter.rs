//! The public help center (`/help/{brand}/…`): server-rendered pages without
//! hydration (light and fast), `sitemap.xml`, and the article feedback form.
//! Thin: extract, call one `kb::helpcenter` service, render with
//! `app::pages::helpcenter`.

use crate::http::ServerState;
use app::pages::helpcenter as render;
use app::services::kb::helpcenter;
use app::services::ServiceError;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

/// The help center routes.
pub fn router() -> Router<ServerState> {
    Router::new()
        .route("/help/{brand}", get(entry))
        .route("/help/{brand}/sitemap.xml", get(sitemap))
        .route("/help/{brand}/feedback", post(feedback))
        .route("/help/{brand}/{locale}", get(home))
        .route("/help/{brand}/{locale}/search", get(search))
        .route("/help/{brand}/{locale}/categories/{slug}", get(category))
        .route("/help/{brand}/{locale}/articles/{slug}", get(article))
}

/// Public pages may be cached briefly by browsers and proxies.
const CACHE: &str = "public, max-age=60";

fn page(html: String) -> Response {
    ([(header::CACHE_CONTROL, CACHE)], Html(html)).into_response()
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
            tracing::error!(error = %other, "help center");
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

/// `GET /help/{brand}`: to the reader's language (Accept-Language), else the
/// brand's default.
async fn entry(
    State(s): State<ServerState>,
    Path(brand): Path<String>,
    headers: HeaderMap,
) -> Response {
    match helpcenter::center(&s.app.db, &brand).await {
        Ok(c) => {
            let v = c.view();
            let accept = headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("");
            let l = helpcenter::negotiate(accept, &v.locales, &v.default_locale);
            (
                [(header::VARY, "Accept-Language")],
                Redirect::temporary(&format!("/help/{}/{l}", v.slug)),
            )
                .into_response()
        }
        Err(e) => failed(&e),
    }
}

async fn home(
    State(s): State<ServerState>,
    Path((brand, locale)): Path<(String, String)>,
) -> Response {
    match helpcenter::home(&s.app, &brand, &locale).await {
        Ok(v) => page(render::render_home(&v)),
        Err(e) => failed(&e),
    }
}

async fn category(
    State(s): State<ServerState>,
    Path((brand, locale, slug)): Path<(String, String, String)>,
) -> Response {
    match helpcenter::category(&s.app, &brand, &locale, &slug).await {
        Ok(v) => page(render::render_category(&v)),
        Err(e) => failed(&e),
    }
}

#[derive(Debug, Deserialize)]
struct ArticleQuery {
    #[serde(default)]
    feedback: Option<String>,
}

async fn article(
    State(s): State<ServerState>,
    Path((brand, locale, slug)): Path<(String, String, String)>,
    Query(q): Query<ArticleQuery>,
) -> Response {
    match helpcenter::article(&s.app, &brand, &locale, &slug).await {
        Ok(v) => {
            let thanks = q.feedback.as_deref().map(|f| f == "yes");
            // Pages carrying a just-sent vote are personal: not cached.
            let html = render::render_article(&v, thanks);
            if thanks.is_some() {
                ([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
            } else {
                page(html)
            }
        }
        Err(e) => failed(&e),
    }
}

#[derive(Debug, Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

async fn search(
    State(s): State<ServerState>,
    Path((brand, locale)): Path<(String, String)>,
    Query(q): Query<SearchQuery>,
) -> Response {
    match helpcenter::search_page(&s.app, &brand, &locale, &q.q).await {
        Ok(v) => page(render::render_search(&v)),
        Err(e) => failed(&e),
    }
}

async fn sitemap(State(s): State<ServerState>, Path(brand): Path<String>) -> Response {
    match helpcenter::sitemap(&s.app, &brand).await {
        Ok(xml) => (
            [
                (header::CONTENT_TYPE, "application/xml; charset=utf-8"),
                (header::CACHE_CONTROL, "public, max-age=300"),
            ],
            xml,
        )
            .into_response(),
        Err(e) => failed(&e),
    }
}

#[derive(Debug, Deserialize)]
struct FeedbackForm {
    article_id: i32,
    helpful: String,
    #[serde(default)]
    comment: String,
    locale: String,
    article_slug: String,
}

/// `POST /help/{brand}/feedback`: a vote (and comment), then back to the article.
async fn feedback(
    State(s): State<ServerState>,
    Path(brand): Path<String>,
    Form(f): Form<FeedbackForm>,
) -> Response {
    let helpful = match f.helpful.as_str() {
        "yes" => true,
        "no" => false,
        _ => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                "helpful must be `yes` or `no`.",
            )
                .into_response();
        }
    };
    match helpcenter::feedback(&s.app, &brand, f.article_id, helpful, &f.comment, None).await {
        Ok(()) => Redirect::to(&format!(
            "/help/{brand}/{}/articles/{}?feedback={}",
            urlish(&f.locale),
            urlish(&f.article_slug),
            if helpful { "yes" } else { "no" }
        ))
        .into_response(),
        Err(ServiceError::Invalid { message, .. }) => {
            (StatusCode::UNPROCESSABLE_ENTITY, message).into_response()
        }
        Err(e) => failed(&e),
    }
}

/// Keeps only URL-slug characters (the redirect target is built from the form).
fn urlish(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(120)
        .collect()
}
