//! Campaign sending server functions (admins: `ManageCampaigns`). Campaigns
//! themselves are flows (`serverfns::flows`).

use crate::error::AppError;
use crate::types::{CampaignStats, MarketingPage, MarketingSettings};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// The sending settings and the suppression list.
#[server]
pub async fn get_marketing() -> Result<MarketingPage, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageCampaigns).await?;
    crate::services::campaigns::page(&state, &actor)
        .await
        .map_err(fail)
}

/// Saves the sending settings.
#[server(input = Json)]
pub async fn save_marketing_settings(
    form: MarketingSettings,
) -> Result<MarketingSettings, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageCampaigns).await?;
    let meta = meta().await;
    crate::services::campaigns::save_settings(&state, &actor, &form, &meta)
        .await
        .map_err(fail)
}

/// Puts an address on the suppression list.
#[server]
pub async fn add_suppression(email: String, reason: String) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageCampaigns).await?;
    let meta = meta().await;
    crate::services::campaigns::add_suppression(&state, &actor, &email, &reason, &meta)
        .await
        .map_err(fail)
}

/// Takes an address off the suppression list.
#[server]
pub async fn remove_suppression(id: i32) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageCampaigns).await?;
    let meta = meta().await;
    crate::services::campaigns::remove_suppression(&state, &actor, id, &meta)
        .await
        .map_err(fail)
}

/// How a campaign's runs and emails went, per Send email step.
#[server]
pub async fn get_campaign_stats(id: i32) -> Result<CampaignStats, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageCampaigns).await?;
    crate::services::campaigns::stats(&state, &actor, id)
        .await
        .map_err(fail)
}
