//! Targeted message server functions (admins: `ManageCampaigns`). The widget's
//! side (which to show, counts) is `/widget/api/visit` and `/widget/api/targeted`.

use crate::error::AppError;
use crate::types::{TargetedMessageForm, TargetedMessageView, TargetedPage};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// The workspace's targeted messages with their counts.
#[server]
pub async fn get_targeted() -> Result<TargetedPage, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageCampaigns).await?;
    crate::services::targeted::page(&state, &actor)
        .await
        .map_err(fail)
}

/// Creates or changes a targeted message.
#[server(input = Json)]
pub async fn save_targeted(form: TargetedMessageForm) -> Result<TargetedMessageView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageCampaigns).await?;
    let meta = meta().await;
    crate::services::targeted::save(&state, &actor, &form, &meta)
        .await
        .map_err(fail)
}

/// Deletes a targeted message and its counts.
#[server]
pub async fn delete_targeted(id: i32) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageCampaigns).await?;
    let meta = meta().await;
    crate::services::targeted::delete(&state, &actor, id, &meta)
        .await
        .map_err(fail)
}
