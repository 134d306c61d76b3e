//! `/tags`: list, create, rename or recolour.

use super::auth::Caller;
use super::dto::{CreateTag, ErrorBody, Page, TagDto, UpdateTag};
use super::extract::{id_cursor, limit, ApiJson, ApiQuery, PathParam};
use super::scope;
use crate::http::{ApiError, ServerState};
use app::permissions::Action;
use app::services::inbox::tags;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

/// Query of `GET /tags`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TagListQuery {
    /// Page size, 1–100 (default 25).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// Tags, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/tags",
    tag = "tags",
    params(TagListQuery),
    responses((status = 200, description = "A page of tags.", body = Page<TagDto>)),
    security(("bearer" = []))
)]
pub async fn list(
    State(s): State<ServerState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<TagListQuery>,
) -> Result<Json<Page<TagDto>>, ApiError> {
    let actor = caller.authorize(scope::TAGS_READ, Action::ViewInbox)?;
    let limit = limit(q.limit.as_deref())?;
    let after = id_cursor(q.cursor.as_deref())?;
    let mut rows = tags::list(&s.app.db, actor, after, limit + 1).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_cursor = more
        .then(|| rows.last().map(|t| t.id.to_string()))
        .flatten();
    Ok(Json(Page {
        data: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// Creates a tag.
#[utoipa::path(
    post,
    path = "/api/v1/tags",
    tag = "tags",
    request_body = CreateTag,
    responses(
        (status = 201, description = "The new tag.", body = TagDto),
        (status = 409, description = "A tag with that name exists.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(s): State<ServerState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateTag>,
) -> Result<(StatusCode, Json<TagDto>), ApiError> {
    let actor = caller.authorize(scope::TAGS_WRITE, Action::ManageInboxSettings)?;
    let t = tags::create(
        &s.app,
        actor,
        &body.name,
        body.color.as_deref(),
        &caller.meta,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(t.into())))
}

/// Renames or recolours a tag.
#[utoipa::path(
    patch,
    path = "/api/v1/tags/{id}",
    tag = "tags",
    params(("id" = i32, Path, description = "Tag id")),
    request_body = UpdateTag,
    responses(
        (status = 200, description = "The tag as changed.", body = TagDto),
        (status = 404, description = "No such tag in this workspace.", body = ErrorBody),
        (status = 409, description = "Another tag has that name.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn update(
    State(s): State<ServerState>,
    caller: Caller,
    id: PathParam,
    ApiJson(body): ApiJson<UpdateTag>,
) -> Result<Json<TagDto>, ApiError> {
    let actor = caller.authorize(scope::TAGS_WRITE, Action::ManageInboxSettings)?;
    let id = id.id("Tag")?;
    let t = tags::update(
        &s.app,
        actor,
        id,
        body.name.as_deref(),
        body.color.as_deref(),
        &caller.meta,
    )
    .await?;
    Ok(Json(t.into()))
}
