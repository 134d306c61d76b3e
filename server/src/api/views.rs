//! `/views`: saved views (shared, and the key's member's own), with live counts.

use super::auth::Caller;
use super::dto::{CreateView, ErrorBody, Page, UpdateView, ViewDto, ViewFilterDto};
use super::extract::{id_cursor, limit, ApiJson, ApiQuery, PathParam};
use super::scope;
use crate::http::{ApiError, ServerState};
use app::error::AppError;
use app::permissions::Action;
use app::services::inbox::views;
use app::services::{Actor, AppState};
use app::types::{SortOrder, ViewFilter, ViewSummary};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

/// Query of `GET /views`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ViewListQuery {
    /// Page size, 1–100 (default 25).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

fn filter(dto: ViewFilterDto) -> Result<ViewFilter, ApiError> {
    dto.into_filter("filter")
        .map_err(|(field, message)| ApiError(AppError::field(&field, message)))
}

/// The views the key's member sees (shared first, in their order).
async fn visible(state: &AppState, actor: &Actor) -> Result<Vec<ViewSummary>, ApiError> {
    Ok(views::list(state, actor, true).await?)
}

/// Saved views: shared ones, then the key's member's own, in display order.
#[utoipa::path(
    get,
    path = "/api/v1/views",
    tag = "views",
    params(ViewListQuery),
    responses((status = 200, description = "A page of views.", body = Page<ViewDto>)),
    security(("bearer" = []))
)]
pub async fn list(
    State(s): State<ServerState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ViewListQuery>,
) -> Result<Json<Page<ViewDto>>, ApiError> {
    let actor = caller.authorize(scope::VIEWS_READ, Action::ViewInbox)?;
    let limit = usize::try_from(limit(q.limit.as_deref())?).unwrap_or(usize::MAX);
    let after = id_cursor(q.cursor.as_deref())?;
    // A workspace has a handful of views: page over the ordered list in memory,
    // the cursor being the id of the last view shown.
    let all = visible(&s.app, actor).await?;
    let start = match after {
        None => 0,
        Some(id) => all
            .iter()
            .position(|v| v.id == id)
            .map(|i| i + 1)
            .ok_or_else(|| {
                ApiError(AppError::field(
                    "cursor",
                    "That view is gone: start again without `cursor`.",
                ))
            })?,
    };
    let rest: Vec<ViewSummary> = all.into_iter().skip(start).collect();
    let more = rest.len() > limit;
    let page: Vec<ViewSummary> = rest.into_iter().take(limit).collect();
    let next_cursor = more
        .then(|| page.last().map(|v| v.id.to_string()))
        .flatten();
    Ok(Json(Page {
        data: page.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// One view.
#[utoipa::path(
    get,
    path = "/api/v1/views/{id}",
    tag = "views",
    params(("id" = i32, Path, description = "View id")),
    responses(
        (status = 200, description = "The view.", body = ViewDto),
        (status = 404, description = "No such view visible to this key.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get(
    State(s): State<ServerState>,
    caller: Caller,
    id: PathParam,
) -> Result<Json<ViewDto>, ApiError> {
    let actor = caller.authorize(scope::VIEWS_READ, Action::ViewInbox)?;
    let id = id.id("View")?;
    visible(&s.app, actor)
        .await?
        .into_iter()
        .find(|v| v.id == id)
        .map(|v| Json(v.into()))
        .ok_or_else(|| ApiError(AppError::NotFound("View".into())))
}

/// Creates a view (a shared one needs a key of a member who may manage shared views).
#[utoipa::path(
    post,
    path = "/api/v1/views",
    tag = "views",
    request_body = CreateView,
    responses((status = 201, description = "The new view.", body = ViewDto)),
    security(("bearer" = []))
)]
pub async fn create(
    State(s): State<ServerState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateView>,
) -> Result<(StatusCode, Json<ViewDto>), ApiError> {
    let actor = caller.authorize(scope::VIEWS_WRITE, Action::ViewInbox)?;
    let f = filter(body.filter)?;
    let sort = body.sort.unwrap_or(SortOrder::UpdatedDesc);
    let v = views::create(&s.app, actor, &body.name, body.shared, f, sort).await?;
    Ok((StatusCode::CREATED, Json(v.into())))
}

/// Renames a view or replaces its filter or order.
#[utoipa::path(
    patch,
    path = "/api/v1/views/{id}",
    tag = "views",
    params(("id" = i32, Path, description = "View id")),
    request_body = UpdateView,
    responses(
        (status = 200, description = "The view as changed.", body = ViewDto),
        (status = 404, description = "No such view visible to this key.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn update(
    State(s): State<ServerState>,
    caller: Caller,
    id: PathParam,
    ApiJson(body): ApiJson<UpdateView>,
) -> Result<Json<ViewDto>, ApiError> {
    let actor = caller.authorize(scope::VIEWS_WRITE, Action::ViewInbox)?;
    let id = id.id("View")?;
    let new_filter = body.filter.map(filter).transpose()?;
    let current = views::find(&s.app.db, actor, id).await?;
    let (old_filter, old_sort) = views::parse(&current);
    let v = views::update(
        &s.app,
        actor,
        id,
        body.name.as_deref().unwrap_or(&current.name),
        new_filter.unwrap_or(old_filter),
        body.sort.unwrap_or(old_sort),
    )
    .await?;
    Ok(Json(v.into()))
}
