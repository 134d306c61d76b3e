//! The activity log page.

use crate::error::AppError;
use crate::types::ActivityPage;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
async fn edge_actor() -> Result<(crate::services::AppState, crate::services::Actor), AppError> {
    super::edge::actor(crate::permissions::Action::ViewActivityLog).await
}

/// One page of the activity log.
#[server]
pub async fn list_activity(
    actor: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before_id: Option<i32>,
) -> Result<ActivityPage, AppError> {
    let filter = crate::types::ActivityFilter {
        actor,
        action,
        from,
        to,
        before_id,
    };
    let (state, actor) = self::edge_actor().await?;
    crate::services::activity::list(&state.db, actor.scope, &filter, 50)
        .await
        .map_err(super::edge::fail)
}
