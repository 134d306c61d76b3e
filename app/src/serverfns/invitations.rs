//! Viewing and accepting invitations.

use crate::error::AppError;
use crate::types::InvitationPreview;
use leptos::prelude::*;

/// What an invitation offers.
#[server]
pub async fn get_invitation(token: String) -> Result<InvitationPreview, AppError> {
    use super::edge::*;
    let state = state()?;
    let viewer = ids(&session().await?).await?.map(|(u, _)| u);
    crate::services::team::preview(&state.db, &token, viewer)
        .await
        .map_err(fail)
}

/// Accepts an invitation and signs in to the workspace.
#[server]
pub async fn accept_invitation(
    token: String,
    name: Option<String>,
    password: Option<String>,
) -> Result<(), AppError> {
    use super::edge::*;
    let state = state()?;
    let meta = meta().await;
    let session = session().await?;
    let viewer = ids(&session).await?.map(|(u, _)| u);
    let s = crate::services::team::accept(
        &state,
        &token,
        viewer,
        name.as_deref(),
        password.as_deref(),
        &meta,
    )
    .await
    .map_err(fail)?;
    start_session(&session, s).await
}
