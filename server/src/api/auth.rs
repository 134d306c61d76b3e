//! Who is calling the API: the `Authorization: Bearer` key, checked against the
//! database on every request, then counted against the key's per-minute budget.

use crate::http::{ApiError, ServerState};
use app::error::AppError;
use app::permissions::Action;
use app::services::api_keys::{self, AuthenticatedKey};
use app::services::{Actor, RequestMeta, ServiceError};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::time::Duration;

/// The bearer secret of a request, if it carries one.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| rest.trim())
        .filter(|s| !s.is_empty())
}

/// An authenticated API call: the key (its actor and scopes) and the client facts
/// for the activity log.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The key.
    pub key: AuthenticatedKey,
    /// IP, user agent, request id.
    pub meta: RequestMeta,
}

impl Caller {
    /// The key's actor, once the key has `scope` and its creator's role allows
    /// `action`.
    ///
    /// # Errors
    /// 403 naming the missing scope, or the role's refusal.
    pub fn authorize(&self, scope: &str, action: Action) -> Result<&Actor, ApiError> {
        self.key.require_scope(scope)?;
        self.key.actor.require(action)?;
        Ok(&self.key.actor)
    }
}

/// 401 in the standard error shape, with a message saying what to send instead of
/// the generic "please sign in", and the `WWW-Authenticate` challenge.
fn unauthorized(message: &str) -> Response {
    let mut body = AppError::Unauthenticated.to_json_body();
    body["error"]["message"] = serde_json::Value::String(message.to_owned());
    let mut res = (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    res.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"switchboard\""),
    );
    res
}

impl FromRequestParts<ServerState> for Caller {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ServerState,
    ) -> Result<Self, Self::Rejection> {
        let Some(secret) = bearer(&parts.headers) else {
            return Err(unauthorized(
                "Send an API key as `Authorization: Bearer sbk_…` (create one under Settings → API keys).",
            ));
        };
        let key = match api_keys::authenticate(&state.app.db, secret).await {
            Ok(k) => k,
            Err(ServiceError::Unauthenticated) => {
                return Err(unauthorized(
                    "This API key is not valid: it is unknown, revoked, or its creator left the workspace.",
                ))
            }
            Err(e) => return Err(ApiError::from(e).into_response()),
        };
        let per_minute = state.app.config.api_requests_per_minute;
        if per_minute > 0 {
            // Shared between instances on a shared bus (see `MemoryLimiter`).
            state
                .app
                .limiter
                .enforce(
                    &format!("api:{}", key.key_id),
                    per_minute as usize,
                    Duration::from_secs(60),
                    &format!(
                        "This API key reached its limit of {per_minute} requests a minute. Retry"
                    ),
                )
                .map_err(|e| ApiError::from(e).into_response())?;
        }
        let meta = parts
            .extensions
            .get::<RequestMeta>()
            .cloned()
            .unwrap_or_default();
        tracing::debug!(
            api_key.id = key.key_id,
            workspace.id = key.actor.scope.workspace_id(),
            "api call"
        );
        Ok(Self { key, meta })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_is_parsed() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer sbk_x"),
        );
        assert_eq!(bearer(&h), Some("sbk_x"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer  sbk_y "),
        );
        assert_eq!(bearer(&h), Some("sbk_y"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(bearer(&h), None);
    }
}
