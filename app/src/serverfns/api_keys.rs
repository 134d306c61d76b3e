//! The API keys settings page: list, create (the secret comes back once), revoke.

use crate::error::AppError;
use crate::types::{ApiKeyCreated, ApiKeyView};
use leptos::prelude::*;

/// The workspace's API keys (never their secrets).
#[server]
pub async fn list_api_keys() -> Result<Vec<ApiKeyView>, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageApiKeys).await?;
    crate::services::api_keys::list(&state.db, &actor)
        .await
        .map_err(fail)
}

/// Creates a key with comma-separated scopes; the secret is in the answer only.
#[server]
pub async fn create_api_key(name: String, scopes_csv: String) -> Result<ApiKeyCreated, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageApiKeys).await?;
    let meta = meta().await;
    let scopes: Vec<String> = scopes_csv.split(',').map(str::to_owned).collect();
    crate::services::api_keys::create(&state, &actor, &name, &scopes, &meta)
        .await
        .map_err(fail)
}

/// Revokes a key.
#[server]
pub async fn revoke_api_key(id: i32) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageApiKeys).await?;
    let meta = meta().await;
    crate::services::api_keys::revoke(&state, &actor, id, &meta)
        .await
        .map_err(fail)
}
