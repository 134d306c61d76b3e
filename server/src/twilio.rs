//! Twilio's webhooks for SMS and WhatsApp: `/hooks/twilio/{token}` (incoming
//! messages), `/hooks/twilio/{token}/status` (delivery status) and
//! `/hooks/twilio/{token}/media/{id}` (outgoing files, by signed link). Thin: find
//! the account by the path token, check `X-Twilio-Signature` over the public
//! URL and the form (403, nothing stored, when it does not match), call one
//! service, answer empty TwiML.

use crate::http::{ApiError, ServerState};
use app::error::AppError;
use app::services::channels::twilio::{self, inbound, outbound, Account};
use app::services::channels::verify::verify_twilio;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

/// The Twilio routes.
pub fn router() -> Router<ServerState> {
    Router::new()
        .route("/hooks/twilio/{token}", post(incoming))
        .route("/hooks/twilio/{token}/status", post(status))
        .route("/hooks/twilio/{token}/media/{id}", get(media))
}

type Params = Vec<(String, String)>;

async fn account(s: &ServerState, token: &str) -> Result<Account, ApiError> {
    twilio::by_hook_token(&s.app, token)
        .await?
        .ok_or_else(|| AppError::NotFound("Twilio webhook address".into()).into())
}

fn verified(url: &str, a: &Account, headers: &HeaderMap, params: &Params) -> Result<(), ApiError> {
    let given = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if given.is_empty() || verify_twilio(a.auth_token.as_bytes(), url, params, given).is_err() {
        return Err(AppError::Forbidden(
            "X-Twilio-Signature does not match this request: check the auth token in Settings → SMS & WhatsApp, and that Twilio calls the public address shown there."
                .into(),
        )
        .into());
    }
    Ok(())
}

fn twiml() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>",
    )
        .into_response()
}

/// `POST /hooks/twilio/{token}`: one incoming SMS or WhatsApp message. Answers
/// once it is stored (or known), so Twilio's retries never duplicate it.
async fn incoming(
    State(s): State<ServerState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(params): Form<Params>,
) -> Result<Response, ApiError> {
    let a = account(&s, &token).await?;
    verified(&twilio::inbound_url(&s.app, &token), &a, &headers, &params)?;
    match inbound::receive(&s.app, &a, &params).await? {
        inbound::Outcome::Stored { receipt, keyword } => {
            tracing::debug!(
                message = receipt.message_id,
                new = receipt.new,
                ?keyword,
                "twilio message"
            );
        }
        inbound::Outcome::Ignored(why) => tracing::info!(%why, "twilio message ignored"),
    }
    Ok(twiml())
}

/// `POST /hooks/twilio/{token}/status`: a delivery status callback.
async fn status(
    State(s): State<ServerState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(params): Form<Params>,
) -> Result<Response, ApiError> {
    let a = account(&s, &token).await?;
    verified(&twilio::status_url(&s.app, &token), &a, &headers, &params)?;
    outbound::on_status(&s.app, &a, &params).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct MediaQuery {
    #[serde(default)]
    exp: i64,
    #[serde(default)]
    sig: String,
}

/// `GET /hooks/twilio/{token}/media/{id}?exp=…&sig=…`: an outgoing attachment,
/// fetched by Twilio through the signed link it was given.
async fn media(
    State(s): State<ServerState>,
    Path((token, id)): Path<(String, i32)>,
    Query(q): Query<MediaQuery>,
) -> Result<Response, ApiError> {
    let a = account(&s, &token).await?;
    let (row, bytes) = twilio::media(&s.app, &a, id, q.exp, &q.sig).await?;
    Ok((
        [
            (header::CONTENT_TYPE, row.content_type),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        bytes,
    )
        .into_response())
}
