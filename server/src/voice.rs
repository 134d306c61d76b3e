//! The voice agent's webhook: `POST /hooks/retell/{token}`. Thin: find the
//! account by the path token, check `X-Retell-Signature` over the raw body
//! (403, nothing stored, when it does not match), call one service.

use crate::http::{ApiError, ServerState};
use app::error::AppError;
use app::services::channels::voice::{self, calls};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};

/// The voice routes.
pub fn router() -> Router<ServerState> {
    Router::new().route("/hooks/retell/{token}", post(event))
}

/// One call event. Answers 200 once recorded (or known), so the provider's
/// retries never duplicate anything.
async fn event(
    State(s): State<ServerState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let a = voice::by_hook_token(&s.app, &token)
        .await?
        .ok_or_else(|| AppError::NotFound("Voice webhook address".into()))?;
    let given = headers
        .get("x-retell-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !voice::verify_signature(
        &a.api_key,
        &body,
        given,
        chrono::Utc::now().timestamp_millis(),
    ) {
        return Err(AppError::Forbidden(
            "X-Retell-Signature does not match this request (or is more than five minutes old): check the API key in Settings → Voice.".into(),
        )
        .into());
    }
    let out = match calls::on_event(&s.app, &a, &body).await? {
        calls::Outcome::Recorded { conversation_id } => {
            serde_json::json!({ "status": "recorded", "conversation_id": conversation_id })
        }
        calls::Outcome::Ignored(why) => serde_json::json!({ "status": "ignored", "reason": why }),
    };
    Ok((StatusCode::OK, Json(out)).into_response())
}
