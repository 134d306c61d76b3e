//! The signed-in user's profile.

use crate::error::AppError;
use leptos::prelude::*;

/// Changes the display name.
#[server]
pub async fn update_profile(name: String) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewWorkspace).await?;
    let meta = meta().await;
    crate::services::accounts::update_profile(&state, &actor, &name, &meta)
        .await
        .map_err(fail)
}

/// Changes the password.
#[server]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewWorkspace).await?;
    let meta = meta().await;
    let keep = session().await?.id().map(|id| id.to_string());
    crate::services::accounts::change_password(
        &state,
        &actor,
        &current_password,
        &new_password,
        &meta,
        keep.as_deref(),
    )
    .await
    .map_err(fail)
}

/// Stores the user's timezone.
#[server]
pub async fn set_timezone(timezone: String) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewWorkspace).await?;
    crate::services::accounts::set_timezone(&state, actor.user_id, &timezone)
        .await
        .map_err(fail)
}
