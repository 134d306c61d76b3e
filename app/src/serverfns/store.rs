//! Store server functions: the store settings (the Stripe account).

use crate::error::AppError;
use crate::types::{StoreSettingsForm, StoreSettingsView};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// The store settings.
#[server]
pub async fn get_store_settings() -> Result<StoreSettingsView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageWorkspaceSettings).await?;
    crate::services::payments::settings_page(&state, &actor)
        .await
        .map_err(fail)
}

/// Connects the Stripe account.
#[server(input = Json)]
pub async fn save_store_settings(form: StoreSettingsForm) -> Result<StoreSettingsView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageWorkspaceSettings).await?;
    let meta = meta().await;
    crate::services::payments::save_settings(&state, &actor, &form, &meta)
        .await
        .map_err(fail)
}
