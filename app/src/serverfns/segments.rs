//! Segment server functions (admins: `ManageSegments`).

use crate::error::AppError;
use crate::types::{Cond, SegmentForm, SegmentPreview, SegmentView, SegmentsPage};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// Every segment with its live count, and the fields conditions can test.
#[server]
pub async fn get_segments() -> Result<SegmentsPage, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageSegments).await?;
    crate::services::segments::page(&state, &actor)
        .await
        .map_err(fail)
}

/// Who a set of conditions selects now (nothing saved).
#[server(input = Json)]
pub async fn preview_segment(conditions: Cond) -> Result<SegmentPreview, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageSegments).await?;
    crate::services::segments::preview(&state, &actor, &conditions)
        .await
        .map_err(fail)
}

/// Creates or changes a segment.
#[server(input = Json)]
pub async fn save_segment(form: SegmentForm) -> Result<SegmentView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageSegments).await?;
    let meta = meta().await;
    crate::services::segments::save(&state, &actor, &form, &meta)
        .await
        .map_err(fail)
}

/// Deletes a segment no flow tests.
#[server]
pub async fn delete_segment(id: i32) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageSegments).await?;
    let meta = meta().await;
    crate::services::segments::delete(&state, &actor, id, &meta)
        .await
        .map_err(fail)
}
