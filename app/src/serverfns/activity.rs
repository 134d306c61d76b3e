//! The activity log page.

use crate::error::AppError;
use crate::types::{ActivityFilter, ActivityPage};
use leptos::prelude::*;

/// One page of the activity log.
#[server]
pub async fn list_activity(filter: ActivityFilter) -> Result<ActivityPage, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewActivityLog).await?;
    crate::services::activity::list(&state.db, actor.scope, &filter, 50)
        .await
        .map_err(fail)
}
