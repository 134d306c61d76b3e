//! Workspace settings and the home summary.

use crate::error::AppError;
use crate::types::{DashboardView, WorkspaceSettingsView};
use leptos::prelude::*;

/// Current workspace settings.
#[server]
pub async fn get_workspace_settings() -> Result<WorkspaceSettingsView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewWorkspace).await?;
    crate::services::workspace::settings(&state.db, &actor)
        .await
        .map_err(fail)
}

/// Renames the workspace.
#[server]
pub async fn rename_workspace(name: String) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageWorkspaceSettings).await?;
    let meta = meta().await;
    crate::services::workspace::rename(&state, &actor, &name, &meta)
        .await
        .map_err(fail)
}

/// Uploads a logo as a `data:` URL (PNG, JPEG, WebP or GIF, < 512 KB); an empty
/// string removes it.
#[server]
pub async fn set_workspace_logo(data_url: String) -> Result<(), AppError> {
    use super::edge::*;
    use base64::Engine;
    let (state, actor) = actor(crate::permissions::Action::ManageWorkspaceSettings).await?;
    let meta = meta().await;
    let logo = if data_url.is_empty() {
        None
    } else {
        let bad = || {
            fail(AppError::field(
                "logo",
                "That file could not be read as an image.",
            ))
        };
        let rest = data_url.strip_prefix("data:").ok_or_else(bad)?;
        let (ct, b64) = rest.split_once(";base64,").ok_or_else(bad)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| bad())?;
        Some((ct.to_owned(), bytes))
    };
    crate::services::workspace::set_logo(&state, &actor, logo, &meta)
        .await
        .map_err(fail)
}

/// Home page counts.
#[server]
pub async fn get_dashboard() -> Result<DashboardView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewWorkspace).await?;
    crate::services::dashboard::summary(&state.db, &actor)
        .await
        .map_err(fail)
}
