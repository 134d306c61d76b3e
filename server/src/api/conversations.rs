//! `/conversations`: filtered lists (keyset cursor), one conversation, create with
//! a first message, field changes, tags.

use super::auth::Caller;
use super::dto::{
    ConversationDetailDto, ConversationDto, CreateConversation, ErrorBody, Page, TagChanges,
    UpdateConversation,
};
use super::extract::{int, limit, list_of, renamed, ApiJson, ApiQuery, PathParam};
use super::scope;
use crate::http::{ApiError, ServerState};
use app::error::AppError;
use app::permissions::Action;
use app::services::inbox::conversations::{self, ConversationPatch, CustomerRef, NewConversation};
use app::types::{AssigneeFilter, Channel, Priority, SortOrder, Status, ViewFilter};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

/// Query of `GET /conversations`. List parameters take comma-separated values.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConversationListQuery {
    /// Any of these statuses, e.g. `open,pending`.
    #[param(example = "open,pending")]
    status: Option<String>,
    /// Any of these priorities.
    #[param(example = "high,urgent")]
    priority: Option<String>,
    /// Any of these channels.
    #[param(example = "email")]
    channel: Option<String>,
    /// Assigned to this user id.
    #[param(value_type = Option<i32>)]
    assignee_id: Option<String>,
    /// `unassigned`, or `me` (the key's member).
    #[param(example = "unassigned")]
    assignee: Option<String>,
    /// Any of these team ids.
    #[param(example = "3")]
    team_id: Option<String>,
    /// Carrying all of these tags.
    #[param(example = "billing,vip")]
    tag: Option<String>,
    /// This customer's conversations only.
    #[param(value_type = Option<i32>)]
    customer_id: Option<String>,
    /// Created on or after this day (YYYY-MM-DD, UTC).
    #[param(example = "2026-01-31")]
    created_after: Option<String>,
    /// Updated on or after this day (YYYY-MM-DD, UTC).
    updated_after: Option<String>,
    /// `updated_desc` (default), `updated_asc`, `created_desc` or `created_asc`.
    sort: Option<String>,
    /// Page size, 1–100 (default 25).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// `next_cursor` of the previous page (same filters and sort).
    cursor: Option<String>,
}

fn names<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|x| name(*x)).collect()
}

impl ConversationListQuery {
    fn filter(&self) -> Result<(ViewFilter, SortOrder), ApiError> {
        let assignee = match (
            int(self.assignee_id.as_deref(), "assignee_id")?,
            self.assignee.as_deref().map(str::trim).filter(|a| !a.is_empty()),
        ) {
            (None, None) => None,
            (Some(u), None) => Some(AssigneeFilter::User(u)),
            (None, Some("unassigned")) => Some(AssigneeFilter::Unassigned),
            (None, Some("me")) => Some(AssigneeFilter::Me),
            (None, Some(other)) => {
                return Err(AppError::field(
                    "assignee",
                    format!("`{other}` is not an assignee filter: use `unassigned` or `me`, or `assignee_id=<user id>`."),
                )
                .into())
            }
            (Some(_), Some(_)) => {
                return Err(AppError::field(
                    "assignee",
                    "Give `assignee` or `assignee_id`, not both.",
                )
                .into())
            }
        };
        let team_ids = list_of(
            self.team_id.as_deref(),
            "team_id",
            |v| v.parse::<i32>().ok(),
            &["team ids"],
        )?;
        let sort = match self
            .sort
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => SortOrder::UpdatedDesc,
            Some(s) => SortOrder::parse(s).ok_or_else(|| {
                ApiError(AppError::field(
                    "sort",
                    format!(
                        "`{s}` is not a sort order: use {}.",
                        names(SortOrder::ALL, SortOrder::as_str).join(", ")
                    ),
                ))
            })?,
        };
        let filter = ViewFilter {
            statuses: list_of(
                self.status.as_deref(),
                "status",
                Status::parse,
                &names(Status::ALL, Status::as_str),
            )?,
            priorities: list_of(
                self.priority.as_deref(),
                "priority",
                Priority::parse,
                &names(Priority::ALL, Priority::as_str),
            )?,
            channels: list_of(
                self.channel.as_deref(),
                "channel",
                Channel::parse,
                &names(Channel::ALL, Channel::as_str),
            )?,
            assignee,
            team_ids,
            tags: list_of(self.tag.as_deref(), "tag", |t| Some(t.to_owned()), &[])?,
            customer_id: int(self.customer_id.as_deref(), "customer_id")?,
            created_after: self.created_after.clone().filter(|d| !d.trim().is_empty()),
            updated_after: self.updated_after.clone().filter(|d| !d.trim().is_empty()),
            ..ViewFilter::default()
        };
        Ok((filter, sort))
    }
}

/// Conversations matching the filters (merged ones excluded).
#[utoipa::path(
    get,
    path = "/api/v1/conversations",
    tag = "conversations",
    params(ConversationListQuery),
    responses((status = 200, description = "A page of conversations.", body = Page<ConversationDto>)),
    security(("bearer" = []))
)]
pub async fn list(
    State(s): State<ServerState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ConversationListQuery>,
) -> Result<Json<Page<ConversationDto>>, ApiError> {
    let actor = caller.authorize(scope::CONVERSATIONS_READ, Action::ViewInbox)?;
    let (filter, sort) = q.filter()?;
    let limit = limit(q.limit.as_deref())?;
    let page = conversations::list(
        &s.app.db,
        actor.scope,
        actor.user_id,
        &filter,
        sort,
        q.cursor.as_deref(),
        limit,
    )
    .await?;
    Ok(Json(Page {
        data: page.rows.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One conversation, with its customer and custom fields.
#[utoipa::path(
    get,
    path = "/api/v1/conversations/{number}",
    tag = "conversations",
    params(("number" = String, Path, description = "`123` or `TKT-000123`")),
    responses(
        (status = 200, description = "The conversation.", body = ConversationDetailDto),
        (status = 404, description = "No such conversation in this workspace.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get(
    State(s): State<ServerState>,
    caller: Caller,
    number: PathParam,
) -> Result<Json<ConversationDetailDto>, ApiError> {
    let actor = caller.authorize(scope::CONVERSATIONS_READ, Action::ViewInbox)?;
    let number = number.number()?;
    Ok(Json(
        conversations::detail(&s.app.db, actor.scope, number)
            .await?
            .into(),
    ))
}

/// Opens a conversation with its first message: the customer's (default, as a
/// channel would deliver it) or the key's member's.
#[utoipa::path(
    post,
    path = "/api/v1/conversations",
    tag = "conversations",
    request_body = CreateConversation,
    responses(
        (status = 201, description = "The new conversation.", body = ConversationDto),
        (status = 404, description = "`customer_id` names no customer of this workspace.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(s): State<ServerState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateConversation>,
) -> Result<(StatusCode, Json<ConversationDto>), ApiError> {
    let actor = caller.authorize(scope::CONVERSATIONS_WRITE, Action::ManageConversations)?;
    let customer = match (body.customer, body.customer_id) {
        (Some(c), None) => CustomerRef::Identifier {
            kind: c.identifier_kind,
            value: c.identifier_value,
            name: c.name,
        },
        (None, Some(id)) => CustomerRef::Id(id),
        _ => return Err(AppError::field(
            "customer",
            "Give either `customer` ({identifier_kind, identifier_value, name?}) or `customer_id`.",
        )
        .into()),
    };
    // `create` runs `create_in` in one unit of work; with `from_customer` the first
    // message is stored as received from the customer.
    let row = conversations::create(
        &s.app,
        actor,
        NewConversation {
            customer,
            subject: body.subject,
            channel: body.channel.unwrap_or(Channel::Api),
            priority: body.priority.unwrap_or(Priority::Normal),
            body: body.body,
            from_customer: body.from_customer,
            tags: body.tags,
            assignee_id: None,
            team_id: None,
        },
        &caller.meta,
    )
    .await
    .map_err(|e| renamed(e, "value", "customer.identifier_value"))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// Changes status, priority, assignee, team, subject or custom fields.
#[utoipa::path(
    patch,
    path = "/api/v1/conversations/{number}",
    tag = "conversations",
    params(("number" = String, Path, description = "`123` or `TKT-000123`")),
    request_body = UpdateConversation,
    responses(
        (status = 200, description = "The conversation as changed.", body = ConversationDto),
        (status = 404, description = "No such conversation in this workspace.", body = ErrorBody),
        (status = 409, description = "The conversation was merged into another.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn update(
    State(s): State<ServerState>,
    caller: Caller,
    number: PathParam,
    ApiJson(body): ApiJson<UpdateConversation>,
) -> Result<Json<ConversationDto>, ApiError> {
    let actor = caller.authorize(scope::CONVERSATIONS_WRITE, Action::ManageConversations)?;
    let number = number.number()?;
    let fields = body
        .custom_fields
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| {
            let v = match v {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            (k, v)
        })
        .collect();
    let patch = ConversationPatch {
        subject: body.subject,
        status: body.status,
        priority: body.priority,
        assignee_id: body.assignee_id,
        team_id: body.team_id,
        fields,
    };
    let c = conversations::find_by_number(&s.app.db, actor.scope, number).await?;
    Ok(Json(
        conversations::update(&s.app, actor, c.id, patch, &caller.meta)
            .await?
            .into(),
    ))
}

/// Adds and removes tags (new names create tags).
#[utoipa::path(
    post,
    path = "/api/v1/conversations/{number}/tags",
    tag = "conversations",
    params(("number" = String, Path, description = "`123` or `TKT-000123`")),
    request_body = TagChanges,
    responses(
        (status = 200, description = "The conversation with its tags.", body = ConversationDto),
        (status = 404, description = "No such conversation in this workspace.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn tag(
    State(s): State<ServerState>,
    caller: Caller,
    number: PathParam,
    ApiJson(body): ApiJson<TagChanges>,
) -> Result<Json<ConversationDto>, ApiError> {
    let actor = caller.authorize(scope::CONVERSATIONS_WRITE, Action::ManageConversations)?;
    let number = number.number()?;
    if body.add.is_empty() && body.remove.is_empty() {
        return Err(
            AppError::field("add", "Nothing to change: give tags to `add` or `remove`.").into(),
        );
    }
    let c = conversations::find_by_number(&s.app.db, actor.scope, number).await?;
    Ok(Json(
        conversations::tag(&s.app, actor, c.id, body.add, body.remove, &caller.meta)
            .await?
            .into(),
    ))
}
