//! Product tour server functions (admins: `ManageCampaigns`). The widget's
//! side (which tour to run, counts) is `/widget/api/visit` and
//! `/widget/api/tour`.

use crate::error::AppError;
use crate::types::{TourForm, TourView, ToursPage};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// The workspace's tours with their analytics.
#[server]
pub async fn get_tours() -> Result<ToursPage, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageCampaigns).await?;
    crate::services::tours::page(&state, &actor)
        .await
        .map_err(fail)
}

/// Creates a tour or saves its draft and rules.
#[server(input = Json)]
pub async fn save_tour(form: TourForm) -> Result<TourView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageCampaigns).await?;
    let meta = meta().await;
    crate::services::tours::save(&state, &actor, &form, &meta)
        .await
        .map_err(fail)
}

/// Publishes a tour's draft (`live`) or pauses it (`paused`).
#[server]
pub async fn set_tour_status(id: i32, status: String) -> Result<TourView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageCampaigns).await?;
    let meta = meta().await;
    crate::services::tours::set_status(&state, &actor, id, &status, &meta)
        .await
        .map_err(fail)
}

/// Deletes a tour and its analytics.
#[server]
pub async fn delete_tour(id: i32) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageCampaigns).await?;
    let meta = meta().await;
    crate::services::tours::delete(&state, &actor, id, &meta)
        .await
        .map_err(fail)
}
