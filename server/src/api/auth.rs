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
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

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
        let limiter = parts.extensions.get::<Arc<RateLimiter>>().cloned();
        if let Some(limiter) = limiter {
            limiter
                .check(key.key_id, state.app.config.api_requests_per_minute)
                .map_err(|e| ApiError(e).into_response())?;
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

const WINDOW: Duration = Duration::from_secs(60);

/// Above this many tracked keys, expired windows are dropped on the next check.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Clone, Copy, Debug)]
struct Window {
    started: Instant,
    count: u32,
}

/// Fixed one-minute windows per key, in memory: cheap, no database write per call,
/// but per process — with N server processes a key gets up to N times the budget.
/// A burst may straddle two windows (up to twice the limit in 60 s), which is fine
/// for protecting the server from a runaway script.
#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<i32, Window>>,
}

impl RateLimiter {
    /// Counts one request for `key_id`; `per_minute == 0` means unlimited.
    ///
    /// # Errors
    /// `RateLimited` with the seconds until the window resets.
    pub fn check(&self, key_id: i32, per_minute: u32) -> Result<(), AppError> {
        self.check_at(key_id, per_minute, Instant::now())
    }

    fn check_at(&self, key_id: i32, per_minute: u32, now: Instant) -> Result<(), AppError> {
        if per_minute == 0 {
            return Ok(());
        }
        // A poisoned lock only means another request panicked mid-update of a counter.
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.len() > PRUNE_ABOVE {
            windows.retain(|_, w| now.duration_since(w.started) < WINDOW);
        }
        let w = windows.entry(key_id).or_insert(Window {
            started: now,
            count: 0,
        });
        let elapsed = now.duration_since(w.started);
        if elapsed >= WINDOW {
            *w = Window {
                started: now,
                count: 0,
            };
        }
        if w.count >= per_minute {
            let left = WINDOW.saturating_sub(now.duration_since(w.started));
            let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
            let secs = secs.max(1);
            return Err(AppError::RateLimited {
                message: format!(
                    "This API key made {per_minute} requests this minute, its limit. Retry in {secs} seconds."
                ),
                retry_after_secs: secs,
            });
        }
        w.count += 1;
        Ok(())
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

    #[test]
    fn windows_limit_and_reset() {
        let l = RateLimiter::default();
        let t0 = Instant::now();
        assert!(l.check_at(1, 2, t0).is_ok());
        assert!(l.check_at(1, 2, t0).is_ok());
        let Err(AppError::RateLimited {
            retry_after_secs, ..
        }) = l.check_at(1, 2, t0 + Duration::from_secs(10))
        else {
            panic!("third request in the window was allowed");
        };
        assert_eq!(retry_after_secs, 50);
        // Another key has its own budget; a new window starts afresh.
        assert!(l.check_at(2, 2, t0).is_ok());
        assert!(l.check_at(1, 2, t0 + WINDOW).is_ok());
        assert!(l.check_at(1, 0, t0).is_ok());
    }
}
