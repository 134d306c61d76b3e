//! The transcription provider's webhook: `POST /hooks/transcripts/{token}`.
//! Thin: find the account by the path token, check the secret header it was
//! given when the file was submitted (403, nothing done, when it does not
//! match), call one service.

use crate::http::{ApiError, ServerState};
use app::error::AppError;
use app::services::channels::provider;
use app::services::channels::transcription::{self, HookOutcome, HOOK_HEADER};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};

/// The transcription routes.
pub fn router() -> Router<ServerState> {
    Router::new().route("/hooks/transcripts/{token}", post(finished))
}

/// A transcript is done (or failed). Answers 200 once the fetch is queued
/// (or when there is nothing to do), so retries never duplicate anything.
async fn finished(
    State(s): State<ServerState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let a = transcription::by_hook_token(&s.app, &token)
        .await?
        .ok_or_else(|| AppError::NotFound("Transcription webhook address".into()))?;
    let given = headers
        .get(HOOK_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !provider::same_secret(given, &a.hook_secret) {
        return Err(AppError::Forbidden(format!(
            "{HOOK_HEADER} is missing or wrong: only the transcription service, given the secret with each file, may post here."
        ))
        .into());
    }
    let out = match transcription::on_webhook(&s.app, &a, &body).await? {
        HookOutcome::Fetching => serde_json::json!({ "status": "fetching" }),
        HookOutcome::Ignored(why) => serde_json::json!({ "status": "ignored", "reason": why }),
    };
    Ok((StatusCode::OK, Json(out)).into_response())
}
