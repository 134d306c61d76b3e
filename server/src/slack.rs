//! Slack's requests: `POST /hooks/slack/{token}/command` (the `/ticket`
//! slash command) and `POST /hooks/slack/{token}/events` (the Events API).
//! Thin: find the app by the path token, check `X-Slack-Signature` over
//! `v0:{X-Slack-Request-Timestamp}:{raw body}` within Slack's five-minute
//! window (403, nothing read, otherwise), call one service.

use crate::http::{ApiError, ServerState};
use app::error::AppError;
use app::services::channels::slack::{self, commands, events, Account};
use app::services::channels::verify::verify_slack;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};

/// The Slack routes.
pub fn router() -> Router<ServerState> {
    Router::new()
        .route("/hooks/slack/{token}/command", post(command))
        .route("/hooks/slack/{token}/events", post(event))
}

async fn verified(
    s: &ServerState,
    token: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Account, ApiError> {
    let a = slack::by_hook_token(&s.app, token)
        .await?
        .ok_or_else(|| AppError::NotFound("Slack request URL".into()))?;
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    verify_slack(
        a.signing_secret.as_bytes(),
        body,
        header("x-slack-request-timestamp"),
        header("x-slack-signature"),
        chrono::Utc::now().timestamp(),
    )
    .map_err(|e| {
        AppError::Forbidden(format!(
            "X-Slack-Signature does not match this request ({e}): check the signing secret in Settings → Slack."
        ))
    })?;
    Ok(a)
}

/// The slash command. Slack shows the JSON answer to the person who typed it.
async fn command(
    State(s): State<ServerState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let a = verified(&s, &token, &headers, &body).await?;
    let fields: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let answer = commands::run(&s.app, &a, &commands::Command::from_form(&fields)).await?;
    Ok((StatusCode::OK, Json(answer)).into_response())
}

/// An Events API request: answered 200 once stored (or known, or ignored),
/// so Slack's retries never duplicate anything.
async fn event(
    State(s): State<ServerState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let a = verified(&s, &token, &headers, &body).await?;
    let out = match events::on_event(&s.app, &a, &body).await? {
        events::Outcome::Challenge(c) => serde_json::json!({ "challenge": c }),
        events::Outcome::Stored(id) => serde_json::json!({ "status": "stored", "message_id": id }),
        events::Outcome::Ignored(why) => serde_json::json!({ "status": "ignored", "reason": why }),
    };
    Ok((StatusCode::OK, Json(out)).into_response())
}
