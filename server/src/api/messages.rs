//! `/conversations/{number}/messages`: the thread (oldest first) and new messages —
//! agent replies and notes as the key's member, or customer messages as a channel
//! would deliver them (idempotent on `external_id`).

use super::auth::Caller;
use super::dto::{CreateMessage, ErrorBody, MessageDto, Page};
use super::extract::{id_cursor, limit, ApiJson, ApiQuery, PathParam};
use super::scope;
use crate::http::{ApiError, ServerState};
use app::error::AppError;
use app::permissions::Action;
use app::services::inbox::{conversations, messages};
use app::types::MessageKind;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

/// Query of `GET /conversations/{number}/messages`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MessageListQuery {
    /// Page size, 1–100 (default 25).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// The messages of a conversation, oldest first (internal notes included).
#[utoipa::path(
    get,
    path = "/api/v1/conversations/{number}/messages",
    tag = "messages",
    params(("number" = String, Path, description = "`123` or `TKT-000123`"), MessageListQuery),
    responses(
        (status = 200, description = "A page of messages.", body = Page<MessageDto>),
        (status = 404, description = "No such conversation in this workspace.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(s): State<ServerState>,
    caller: Caller,
    number: PathParam,
    ApiQuery(q): ApiQuery<MessageListQuery>,
) -> Result<Json<Page<MessageDto>>, ApiError> {
    let actor = caller.authorize(scope::CONVERSATIONS_READ, Action::ViewInbox)?;
    let number = number.number()?;
    let limit = limit(q.limit.as_deref())?;
    let after = id_cursor(q.cursor.as_deref())?;
    let (rows, more) = messages::page(&s.app.db, actor, number, after, limit).await?;
    let next_cursor = more
        .then(|| rows.last().map(|m| m.id.to_string()))
        .flatten();
    Ok(Json(Page {
        data: rows
            .into_iter()
            .map(|m| MessageDto::new(m, number))
            .collect(),
        next_cursor,
    }))
}

/// Adds a message. `from_customer: true` stores it as the customer's (201; a retry
/// with the same `external_id` returns the stored message with 200, and a closed
/// conversation gets a new one, as by email); otherwise the key's member adds a
/// reply (sent to the customer by email on email conversations) or a note.
#[utoipa::path(
    post,
    path = "/api/v1/conversations/{number}/messages",
    tag = "messages",
    params(("number" = String, Path, description = "`123` or `TKT-000123`")),
    request_body = CreateMessage,
    responses(
        (status = 201, description = "The new message.", body = MessageDto),
        (status = 200, description = "Customer message already received with this `external_id`.", body = MessageDto),
        (status = 404, description = "No such conversation in this workspace.", body = ErrorBody),
        (status = 409, description = "The conversation was merged into another.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(s): State<ServerState>,
    caller: Caller,
    number: PathParam,
    ApiJson(body): ApiJson<CreateMessage>,
) -> Result<(StatusCode, Json<MessageDto>), ApiError> {
    let kind = body.kind.unwrap_or(MessageKind::Reply);
    let new = |kind: MessageKind, external_id: Option<String>| messages::NewMessage {
        kind,
        body_text: body.body_text.clone().unwrap_or_default(),
        body_html: body.body_html.clone(),
        external_id,
        ..Default::default()
    };
    if body.from_customer {
        let actor = caller.authorize(scope::MESSAGES_WRITE, Action::ManageConversations)?;
        let number = number.number()?;
        if kind != MessageKind::Reply {
            return Err(
                AppError::field("kind", "A customer's message is always a `reply`.").into(),
            );
        }
        let external_id = body
            .external_id
            .clone()
            .map(|e| e.trim().to_owned())
            .filter(|e| !e.is_empty());
        if external_id
            .as_ref()
            .is_some_and(|e| e.chars().count() > 255)
        {
            return Err(AppError::field(
                "external_id",
                "`external_id` can be at most 255 characters.",
            )
            .into());
        }
        let (m, created) =
            messages::receive_for_conversation(&s.app, actor, number, new(kind, external_id))
                .await?;
        let number = conversation_number(&s, actor, m.conversation_id, number).await;
        let status = if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        return Ok((status, Json(MessageDto::new(m, number))));
    }
    let action = match kind {
        MessageKind::Reply => Action::ReplyToCustomers,
        MessageKind::Note => Action::AddNotes,
        MessageKind::System => return Err(AppError::field("kind", "Use `reply` or `note`.").into()),
    };
    let actor = caller.authorize(scope::MESSAGES_WRITE, action)?;
    let number = number.number()?;
    if body.external_id.is_some() {
        return Err(AppError::field(
            "external_id",
            "`external_id` is for customer messages (`from_customer: true`).",
        )
        .into());
    }
    let c = conversations::find_by_number(&s.app.db, actor.scope, number).await?;
    // The API has no screen on which a colleague's newer reply could have been
    // missed, so no collision check (`force`).
    let m = messages::add(&s.app, actor, c.id, new(kind, None), None, true).await?;
    Ok((StatusCode::CREATED, Json(MessageDto::new(m, number))))
}

/// The number of the conversation a customer message landed in (a new one when
/// the addressed conversation was closed).
async fn conversation_number(
    s: &ServerState,
    actor: &app::services::Actor,
    conversation_id: i32,
    asked: i32,
) -> i32 {
    conversations::find(&s.app.db, actor.scope, conversation_id)
        .await
        .map_or(asked, |c| c.number)
}
