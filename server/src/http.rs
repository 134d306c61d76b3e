//! The axum router: Leptos pages and server functions, the REST API (`/api/v1`,
//! see `api`), the WebSocket, health,
//! readiness, metrics, activity export and the logo, behind request ids, tracing,
//! metrics, a body limit, sessions, CSRF defence and security headers.

use crate::metrics::{self, HttpMetrics};
use app::error::AppError;
use app::permissions::Action;
use app::serverfns::edge::ids;
use app::services::activity::{self, ExportFormat};
use app::services::context::load_actor;
use app::services::{Actor, AppState, RequestMeta};
use app::types::ActivityFilter;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRef, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceBuilder;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};

/// Router state.
#[derive(Clone)]
pub struct ServerState {
    /// Services' state.
    pub app: AppState,
    /// Leptos options (site root, output name).
    pub leptos: LeptosOptions,
    /// HTTP metrics.
    pub http_metrics: Arc<HttpMetrics>,
    /// Turns true when the process is shutting down (closes WebSockets).
    pub shutdown: tokio::sync::watch::Receiver<bool>,
}

impl FromRef<ServerState> for LeptosOptions {
    fn from_ref(s: &ServerState) -> Self {
        s.leptos.clone()
    }
}

/// An [`AppError`] as a JSON response `{error: {code, message, details}}`.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, Json(self.0.to_json_body())).into_response();
        if let AppError::RateLimited {
            retry_after_secs, ..
        } = &self.0
        {
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res
    }
}

/// Builds the whole application router.
pub fn router(state: ServerState) -> Router {
    let routes = generate_route_list(app::App);
    let app_state = state.app.clone();
    let leptos_options = state.leptos.clone();
    let cfg = state.app.config.clone();
    let session_layer =
        SessionManagerLayer::new(crate::session_store::SeaOrmStore::new(state.app.db.clone()))
            .with_name("sb_session")
            .with_secure(cfg.cookies_secure())
            .with_http_only(true)
            .with_same_site(SameSite::Lax)
            .with_path("/")
            .with_expiry(Expiry::OnInactivity(time::Duration::days(cfg.session_days)));
    let http_metrics = state.http_metrics.clone();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_page))
        .route("/ws", get(crate::ws::handler))
        .route("/app/activity/export", get(export_activity))
        .route("/app/logo", get(logo))
        .route("/app/attachments/{id}", get(attachment))
        .route("/app/report-exports/{id}", get(report_export))
        .merge(crate::channels::router())
        .merge(crate::helpcenter::router())
        .merge(crate::portal::router())
        .merge(crate::share::router())
        .merge(crate::storefront::router())
        .merge(crate::campaigns::router())
        .merge(crate::twilio::router())
        .merge(crate::voice::router())
        .merge(crate::transcription::router())
        .merge(crate::slack::router())
        .nest(crate::api::PREFIX, crate::api::router())
        .route("/api/openapi.json", get(crate::api::openapi_json))
        .route(
            "/mcp",
            axum::routing::post(crate::mcp::post)
                .get(crate::mcp::not_allowed)
                .delete(crate::mcp::not_allowed),
        )
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(app_state.clone()),
            move || app::shell(leptos_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<ServerState, _>(app::shell))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(|req: &Request<Body>| {
                            let rid = req
                                .headers()
                                .get("x-request-id")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("-");
                            tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %rid)
                        })
                        .on_response(DefaultOnResponse::new().level(tracing::Level::DEBUG)),
                )
                .layer(PropagateRequestIdLayer::x_request_id())
                // gzip for browsers that ask (the wasm bundles shrink to a third).
                .layer(CompressionLayer::new().gzip(true).compress_when(
                    DefaultPredicate::new().and(
                        |s: StatusCode, _: http::Version, _: &HeaderMap, _: &http::Extensions| {
                            s != StatusCode::SWITCHING_PROTOCOLS
                        },
                    ),
                ))
                .layer(middleware::from_fn_with_state(http_metrics, metrics::track))
                .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
                .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, frame_options))
                .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin")))
                .layer(session_layer)
                .layer(middleware::from_fn_with_state(state.app.clone(), admin_session))
                .layer(middleware::from_fn_with_state(cfg.clone(), csrf))
                .layer(middleware::from_fn_with_state(cfg.clone(), request_meta))
                .layer(middleware::from_fn(malformed_input_is_422))
                // Innermost: it changes the body type the middleware above expects.
                .layer(RequestBodyLimitLayer::new(cfg.max_body_bytes)),
        )
        .with_state(state)
}

/// The most of a failed server function's answer read to tell bad input apart.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// A server function whose arguments cannot be read (a missing field, text where a
/// number belongs) fails before its body runs, with `AppError::Validation`, where
/// nothing sets the status, and leptos_axum answers 500. That answer is the
/// caller's bad input: 422, with the same body.
async fn malformed_input_is_422(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let server_fn = path.starts_with("/api/") && !path.starts_with(crate::api::PREFIX);
    let res = next.run(req).await;
    if !server_fn || res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, ERROR_BODY_LIMIT).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if bytes.starts_with(b"{\"Validation\"") {
        parts.status = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// `X-Frame-Options: SAMEORIGIN`, except for responses that say who may frame them
/// with CSP `frame-ancestors` (the chat widget's frame, embedded on customers' sites).
fn frame_options(res: &Response) -> Option<HeaderValue> {
    let framed = res
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("frame-ancestors"));
    (!framed).then(|| HeaderValue::from_static("SAMEORIGIN"))
}

/// Whether `origin` (scheme://host[:port]) names this server: the request's Host or
/// the configured public URL.
fn same_origin(origin: &str, host: Option<&str>, public_url: &str) -> bool {
    let authority = origin
        .split_once("://")
        .map_or(origin, |(_, a)| a)
        .trim_end_matches('/');
    host.is_some_and(|h| h.eq_ignore_ascii_case(authority))
        || public_url
            .trim_end_matches('/')
            .eq_ignore_ascii_case(origin.trim_end_matches('/'))
}

/// Whether a request's `Origin` (or `Referer`) matches this server.
pub fn request_is_same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site != "same-origin" && site != "none" {
            return false;
        }
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            headers
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
                .map(|r| {
                    let (scheme, rest) = r.split_once("://").unwrap_or(("http", r));
                    format!("{scheme}://{}", rest.split('/').next().unwrap_or_default())
                })
        });
    origin.is_some_and(|o| same_origin(&o, host, public_url))
}

/// CSRF defence: every state-changing request must come from our own origin
/// (`Origin`/`Referer` and `Sec-Fetch-Site`), on top of `SameSite=Lax` cookies.
///
/// REST API calls (`/api/v1/…` with `Authorization: Bearer`) are exempt: they carry
/// no cookie to ride on, and a browser cannot add that header cross-site without a
/// CORS preflight, which this server never grants. Server functions (also under
/// `/api/`) stay checked whatever headers they carry.
async fn csrf(State(cfg): State<Arc<app::services::Config>>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    // Campaign links: the token proves the email, no cookie is involved, and
    // mail programs post one-click unsubscribes without an Origin.
    if is_api_call(&req)
        || req.uri().path().starts_with("/hooks/")
        || req.uri().path().starts_with("/c/")
    {
        return next.run(req).await;
    }
    if request_is_same_origin(req.headers(), &cfg.public_url) {
        return next.run(req).await;
    }
    tracing::warn!(path = %req.uri().path(), "cross-origin request blocked");
    ApiError(AppError::Forbidden(
        "This request did not come from Switchboard itself and was blocked. Reload the page and try again.".into(),
    ))
    .into_response()
}

/// Admin pages (`GET /app…`): the signed-in session is loaded once, here, and put in
/// the request's extensions as a [`app::types::SessionView`] for the page to render
/// with (and to hand to the browser for hydration) — the layout never waits on it.
/// Without a session (or with one whose user or membership is gone) the answer is
/// `303 See Other` to `/sign-in?next=<the page>`, so browsers (and curl) follow it
/// and sign-in returns to the page asked for. The few plain handlers under `/app/`
/// (export, logo, attachments) keep their JSON 401.
async fn admin_session(
    State(state): State<AppState>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    let page = matches!(*req.method(), Method::GET | Method::HEAD)
        && (path == "/app" || path.starts_with("/app/"))
        && !["/app/activity/export", "/app/logo", "/app/attachments/"]
            .iter()
            .any(|p| path.starts_with(p));
    if !page {
        return next.run(req).await;
    }
    if let Ok(Some((user, workspace))) = ids(&session).await {
        match app::services::accounts::session_view(&state.db, user, workspace).await {
            Ok(view) => {
                req.extensions_mut().insert(view);
                return next.run(req).await;
            }
            Err(app::services::ServiceError::Unauthenticated) => {
                // The user or membership is gone: end the stale session.
                let _ = session.flush().await;
            }
            Err(e) => return ApiError(app::serverfns::edge::fail(e)).into_response(),
        }
    }
    let wanted = req
        .uri()
        .path_and_query()
        .map_or(path, |pq| pq.as_str())
        .to_owned();
    let location = format!("/sign-in?next={}", app::types::encode_query_value(&wanted));
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// A REST API request (under the API prefix, with a Bearer credential), or an MCP
/// request (`/mcp` never reads the session cookie; it answers 401 without a key).
fn is_api_call(req: &Request) -> bool {
    let path = req.uri().path();
    path == "/mcp"
        || (path
            .strip_prefix(crate::api::PREFIX)
            .is_some_and(|rest| rest.starts_with('/'))
            && crate::api::auth::bearer(req.headers()).is_some())
}

/// Puts client IP, user agent and request id into the request for the audit log.
async fn request_meta(
    State(cfg): State<Arc<app::services::Config>>,
    mut req: Request,
    next: Next,
) -> Response {
    let h = req.headers();
    let forwarded = cfg
        .trust_forwarded_for
        .then(|| h.get("x-forwarded-for").and_then(|v| v.to_str().ok()))
        .flatten()
        .and_then(|v| v.split(',').next())
        .map(|s| s.trim().to_owned());
    let ip = forwarded.or_else(|| {
        req.extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
    });
    let meta = RequestMeta {
        ip,
        user_agent: h
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        request_id: h
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    req.extensions_mut().insert(meta);
    next.run(req).await
}

/// The signed-in actor for plain axum handlers, checked against the matrix.
///
/// # Errors
/// 401 without a session; 403 without the permission.
pub async fn session_actor(
    session: &Session,
    state: &AppState,
    action: Action,
) -> Result<Actor, ApiError> {
    let (u, w) = ids(session).await?.ok_or(AppError::Unauthenticated)?;
    let actor = load_actor(&state.db, u, w).await?;
    actor.require(action)?;
    Ok(actor)
}

/// `/healthz` and `/readyz` alone: what a worker process serves, so an
/// orchestrator can probe it like the API.
pub fn health_router(state: ServerState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
}

async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok" }))
}

async fn readyz(State(s): State<ServerState>) -> impl IntoResponse {
    let started = Instant::now();
    let db = s.app.db.ping().await;
    let db_ms = started.elapsed().as_millis();
    let sys = app::services::tenancy::System::new("readiness looks at the whole queue");
    let queue = {
        use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
        let overdue = chrono::Utc::now() - chrono::Duration::minutes(5);
        sys.find::<entity::job::Entity>()
            .filter(entity::job::Column::Status.eq(app::services::jobs::status::PENDING))
            .filter(entity::job::Column::RunAt.lt(overdue))
            .count(&s.app.db)
            .await
    };
    let bus = s.app.bus.health();
    let mail = if s.app.mailer.is_configured() {
        match tokio::time::timeout(Duration::from_secs(3), s.app.mailer.health()).await {
            Ok(Ok(())) => {
                serde_json::json!({ "status": "ok", "transport": s.app.mailer.describe() })
            }
            Ok(Err(e)) => serde_json::json!({ "status": "error", "detail": e }),
            Err(_) => serde_json::json!({ "status": "error", "detail": "timed out" }),
        }
    } else {
        serde_json::json!({ "status": "not_configured", "detail": "SMTP is not configured; email stays in the outbox" })
    };
    let ready = db.is_ok() && queue.is_ok() && bus.is_ok();
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "not_ready" },
        "components": {
            "database": match &db {
                Ok(()) => serde_json::json!({ "status": "ok", "latency_ms": db_ms, "backend": format!("{:?}", sea_orm::ConnectionTrait::get_database_backend(&s.app.db)) }),
                Err(e) => serde_json::json!({ "status": "error", "detail": e.to_string() }),
            },
            "queue": match &queue {
                Ok(n) => serde_json::json!({ "status": "ok", "overdue_jobs": n }),
                Err(e) => serde_json::json!({ "status": "error", "detail": e.to_string() }),
            },
            "bus": match &bus {
                Ok(()) => serde_json::json!({ "status": "ok", "kind": s.app.bus.name() }),
                Err(e) => serde_json::json!({ "status": "error", "kind": s.app.bus.name(), "detail": e }),
            },
            "smtp": mail,
        }
    });
    let code = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body))
}

async fn metrics_page(State(s): State<ServerState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        metrics::render(&s.app, &s.http_metrics).await,
    )
}

#[derive(Debug, Deserialize)]
struct ExportParams {
    format: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

async fn export_activity(
    State(s): State<ServerState>,
    session: Session,
    meta: Option<axum::Extension<RequestMeta>>,
    Query(p): Query<ExportParams>,
) -> Result<Response, ApiError> {
    let actor = session_actor(&session, &s.app, Action::ExportActivityLog).await?;
    let (format, ext, ct) = match p.format.as_deref().unwrap_or("csv") {
        "csv" => (ExportFormat::Csv, "csv", "text/csv; charset=utf-8"),
        "json" => (ExportFormat::Json, "json", "application/json"),
        other => {
            return Err(AppError::field(
                "format",
                format!("Unknown export format `{other}`: use csv or json."),
            )
            .into())
        }
    };
    let filter = ActivityFilter {
        actor: p.actor,
        action: p.action,
        from: p.from,
        to: p.to,
        before_id: None,
    };
    let meta = meta.map(|m| m.0).unwrap_or_default();
    let body = activity::export(&s.app.db, &actor, &meta, &filter, format).await?;
    let name = format!(
        "attachment; filename=\"activity-{}.{ext}\"",
        chrono::Utc::now().format("%Y%m%d-%H%M")
    );
    Ok((
        [
            (header::CONTENT_TYPE, ct.to_owned()),
            (header::CONTENT_DISPOSITION, name),
        ],
        body,
    )
        .into_response())
}

async fn logo(State(s): State<ServerState>, session: Session) -> Result<Response, ApiError> {
    let actor = session_actor(&session, &s.app, Action::ViewWorkspace).await?;
    let (ct, bytes) = app::services::workspace::logo(&s.app.db, &actor).await?;
    Ok((
        [
            (header::CONTENT_TYPE, ct),
            (header::CACHE_CONTROL, "private, max-age=300".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

/// Downloads an attachment of the session's workspace. Served as a download
/// (`Content-Disposition: attachment`, `nosniff`, a sandboxing CSP) so an uploaded
/// HTML or SVG file can never run in the app's origin.
async fn attachment(
    State(s): State<ServerState>,
    session: Session,
    axum::extract::Path(id): axum::extract::Path<i32>,
) -> Result<Response, ApiError> {
    let actor = session_actor(&session, &s.app, Action::ViewInbox).await?;
    let (a, bytes) = app::services::inbox::attachments::read(&s.app, &actor, id).await?;
    Ok(download(
        &a.filename,
        a.content_type,
        bytes,
        "private, max-age=3600",
    ))
}

/// A finished report export's file (yours, or any when you manage reports).
async fn report_export(
    State(s): State<ServerState>,
    session: Session,
    axum::extract::Path(id): axum::extract::Path<i32>,
) -> Result<Response, ApiError> {
    let actor = session_actor(&session, &s.app, Action::ViewReports).await?;
    let (name, content_type, bytes) =
        app::services::reports::exports::download(&s.app.db, &actor, id).await?;
    Ok(download(&name, content_type, bytes, "private, no-store"))
}

/// A file served as a download (`Content-Disposition: attachment`, a sandboxing
/// CSP), so an uploaded HTML or SVG file can never run in our origin.
pub fn download(filename: &str, content_type: String, bytes: Vec<u8>, cache: &str) -> Response {
    let name: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, cache.to_owned()),
            (
                header::CONTENT_SECURITY_POLICY,
                "sandbox; default-src 'none'".to_owned(),
            ),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            if let Ok(v) = HeaderValue::from_str(v) {
                h.insert(*k, v);
            }
        }
        h
    }

    #[test]
    fn only_bearer_calls_to_the_rest_api_skip_csrf() {
        let req = |path: &str, auth: Option<&str>| {
            let mut b = Request::post(path);
            if let Some(a) = auth {
                b = b.header(header::AUTHORIZATION, a);
            }
            b.body(Body::empty()).unwrap_or_default()
        };
        assert!(is_api_call(&req("/api/v1/customers", Some("Bearer sbk_x"))));
        assert!(!is_api_call(&req("/api/v1/customers", None)));
        assert!(!is_api_call(&req("/api/v1/customers", Some("Basic x"))));
        assert!(!is_api_call(&req("/api/sign_in123", Some("Bearer sbk_x"))));
        assert!(!is_api_call(&req(
            "/api/v1x/customers",
            Some("Bearer sbk_x")
        )));
    }

    #[test]
    fn same_origin_rules() {
        let p = "http://127.0.0.1:3000";
        assert!(request_is_same_origin(
            &headers(&[
                ("host", "localhost:8080"),
                ("origin", "http://localhost:8080")
            ]),
            p
        ));
        assert!(request_is_same_origin(
            &headers(&[("host", "x"), ("origin", "http://127.0.0.1:3000")]),
            p
        ));
        assert!(request_is_same_origin(
            &headers(&[("host", "a.io"), ("referer", "https://a.io/app/team")]),
            p
        ));
        assert!(!request_is_same_origin(
            &headers(&[("host", "a.io"), ("origin", "https://evil.io")]),
            p
        ));
        assert!(!request_is_same_origin(&headers(&[("host", "a.io")]), p));
        assert!(!request_is_same_origin(
            &headers(&[
                ("host", "a.io"),
                ("origin", "https://a.io"),
                ("sec-fetch-site", "cross-site")
            ]),
            p
        ));
    }
}
