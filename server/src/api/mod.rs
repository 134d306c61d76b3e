//! The public REST API, mounted at `/api/v1` (and its OpenAPI document at
//! `/api/openapi.json`).
//!
//! * Authentication: `Authorization: Bearer sbk_…` only, never cookies. A key acts
//!   as the member who created it ([`app::services::api_keys::authenticate`]), so the
//!   permission matrix applies as for that member, and the key's scopes narrow it
//!   further (403 naming the missing scope).
//! * Requests to `/api/v1/` carrying a Bearer header skip the CSRF origin check in
//!   `http.rs`: a browser cannot attach that header cross-site without a CORS
//!   preflight, which this server never grants.
//! * Rate limit: `api_requests_per_minute` per key, a sliding minute counted in
//!   memory and shared between instances over a shared bus
//!   (`app::services::rate_limit::MemoryLimiter`).
//! * Errors: always [`ApiError`]'s `{error: {code, message, details}}`, including
//!   malformed JSON, unknown fields and bad query parameters (422 with the field).
//! * Lists: `?limit=1..100&cursor=…` → `{data: [...], next_cursor}`; pass
//!   `next_cursor` back until it is `null`.
//!
//! Handlers are thin: extract, check scope and role, call one service, map the
//! view type into a DTO of [`dto`] (the app's view types carry no OpenAPI schema).

pub mod auth;
pub mod conversations;
pub mod customers;
pub mod dto;
pub mod extract;
pub mod messages;
pub mod search;
pub mod tags;
pub mod views;

use crate::http::{ApiError, ServerState};
use app::error::AppError;
use axum::extract::OriginalUri;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use std::sync::OnceLock;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr};
use utoipa::{Modify, OpenApi};

/// Where the API is mounted.
pub const PREFIX: &str = "/api/v1";

/// Scope names, as checked by the handlers (the list is
/// [`app::services::api_keys::SCOPES`]).
pub mod scope {
    /// List and read conversations; search.
    pub const CONVERSATIONS_READ: &str = "conversations:read";
    /// Create and change conversations, tag them.
    pub const CONVERSATIONS_WRITE: &str = "conversations:write";
    /// List and read customers.
    pub const CUSTOMERS_READ: &str = "customers:read";
    /// Create and edit customers.
    pub const CUSTOMERS_WRITE: &str = "customers:write";
    /// Add replies, notes and customer messages.
    pub const MESSAGES_WRITE: &str = "messages:write";
    /// List tags.
    pub const TAGS_READ: &str = "tags:read";
    /// Create and change tags.
    pub const TAGS_WRITE: &str = "tags:write";
    /// List saved views.
    pub const VIEWS_READ: &str = "views:read";
    /// Create and change saved views.
    pub const VIEWS_WRITE: &str = "views:write";
}

/// Declares the routes once: the router is built from this list and [`ROUTES`]
/// exposes it, so the test comparing it with the OpenAPI document sees exactly
/// what is mounted.
macro_rules! api_routes {
    ($($method:ident $path:literal => $handler:path;)*) => {
        /// Every route of the API: (method, path under [`PREFIX`]).
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        fn routes() -> Router<ServerState> {
            Router::new()$(.route($path, axum::routing::$method($handler)))*
        }
    };
}

api_routes! {
    get "/customers" => customers::list;
    post "/customers" => customers::create;
    get "/customers/{id}" => customers::get;
    patch "/customers/{id}" => customers::update;
    get "/conversations" => conversations::list;
    post "/conversations" => conversations::create;
    get "/conversations/{number}" => conversations::get;
    patch "/conversations/{number}" => conversations::update;
    post "/conversations/{number}/tags" => conversations::tag;
    get "/conversations/{number}/messages" => messages::list;
    post "/conversations/{number}/messages" => messages::create;
    get "/tags" => tags::list;
    post "/tags" => tags::create;
    patch "/tags/{id}" => tags::update;
    get "/views" => views::list;
    post "/views" => views::create;
    get "/views/{id}" => views::get;
    patch "/views/{id}" => views::update;
    get "/search" => search::search;
}

/// The API router, to be nested at [`PREFIX`].
pub fn router() -> Router<ServerState> {
    routes()
        .fallback(unknown_route)
        .method_not_allowed_fallback(wrong_method)
}

async fn unknown_route(OriginalUri(uri): OriginalUri) -> ApiError {
    // "The endpoint `/api/v1/x` was not found." (the list is in /api/openapi.json)
    ApiError(AppError::NotFound(format!("The endpoint `{}`", uri.path())))
}

/// 405 in the standard error shape (`AppError` has no variant for it).
async fn wrong_method(method: Method, OriginalUri(uri): OriginalUri) -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(serde_json::json!({
            "error": {
                "code": "method_not_allowed",
                "message": format!("`{method}` is not allowed on `{}`; see /api/openapi.json.", uri.path()),
                "details": {},
            }
        })),
    )
        .into_response()
}

/// `GET /api/openapi.json`: the OpenAPI 3.1 document, generated from the handlers.
pub async fn openapi_json() -> Response {
    static DOC: OnceLock<serde_json::Value> = OnceLock::new();
    let doc = DOC.get_or_init(|| serde_json::to_value(ApiDoc::openapi()).unwrap_or_default());
    Json(doc.clone()).into_response()
}

/// The OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Switchboard REST API",
        version = "1",
        description = "Customers, conversations, messages, tags, saved views and search of one workspace. \
Authenticate with `Authorization: Bearer <API key>` (Settings → API keys). Lists are cursor-paginated: \
`?limit=1..100&cursor=…` returns `{data, next_cursor}`. Errors are `{error: {code, message, details}}`. \
See docs/api.md."
    ),
    paths(
        customers::list,
        customers::create,
        customers::get,
        customers::update,
        conversations::list,
        conversations::create,
        conversations::get,
        conversations::update,
        conversations::tag,
        messages::list,
        messages::create,
        tags::list,
        tags::create,
        tags::update,
        views::list,
        views::create,
        views::get,
        views::update,
        search::search,
    ),
    components(schemas(dto::ErrorBody, dto::ErrorDetail)),
    modifiers(&Conventions),
    security(("bearer" = [])),
    tags(
        (name = "customers", description = "People who write in, found by identifier (email, phone …)."),
        (name = "conversations", description = "Tickets, addressed by their workspace number (`123` or `TKT-000123`)."),
        (name = "messages", description = "Replies, internal notes and customer messages of a conversation."),
        (name = "tags", description = "Labels on conversations."),
        (name = "views", description = "Saved filters over conversations."),
        (name = "search", description = "Full-text search."),
    )
)]
pub struct ApiDoc;

/// Adds the bearer scheme and the error responses every endpoint can give.
struct Conventions;

impl Modify for Conventions {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("sbk_…")
                    .description(Some(
                        "An API key from Settings → API keys, as `Authorization: Bearer sbk_…`.",
                    ))
                    .build(),
            ),
        );
        let error = |status: &str, description: &str| {
            let mut response = ResponseBuilder::new().description(description).content(
                "application/json",
                Content::new(Some(Ref::from_schema_name("ErrorBody"))),
            );
            if status == "429" {
                response = response.header(
                    "Retry-After",
                    HeaderBuilder::new()
                        .schema(ObjectBuilder::new().schema_type(Type::Integer))
                        .description(Some("Seconds until the key's window resets."))
                        .build(),
                );
            }
            RefOr::T(response.build())
        };
        let common = [
            ("401", "No, unknown or revoked API key (`unauthenticated`)."),
            (
                "403",
                "The key lacks a scope, or its creator's role does not allow this (`forbidden`).",
            ),
            (
                "422",
                "Malformed JSON, unknown field, bad parameter or invalid value (`validation_failed`); `details.field` names it.",
            ),
            (
                "429",
                "Too many requests for this key (`rate_limited`); wait `Retry-After` seconds.",
            ),
        ];
        for item in doc.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.patch,
                &mut item.put,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                for (status, description) in common {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| error(status, description));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handler_scopes_exist() {
        for s in [
            scope::CONVERSATIONS_READ,
            scope::CONVERSATIONS_WRITE,
            scope::CUSTOMERS_READ,
            scope::CUSTOMERS_WRITE,
            scope::MESSAGES_WRITE,
            scope::TAGS_READ,
            scope::TAGS_WRITE,
            scope::VIEWS_READ,
            scope::VIEWS_WRITE,
        ] {
            assert!(app::services::api_keys::SCOPES.contains(&s), "{s}");
        }
    }
}
