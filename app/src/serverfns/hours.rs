//! Business hours and SLA policy server functions. Forms travel as JSON.

use crate::error::AppError;
use crate::types::{ScheduleForm, ScheduleView, SlaPage, SlaPolicyForm, SlaPolicyView};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// Schedules and policies.
#[server]
pub async fn get_sla() -> Result<SlaPage, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    crate::services::hours::page(&state, &actor)
        .await
        .map_err(fail)
}

/// Creates (no id) or changes a schedule.
#[server(input = Json)]
pub async fn save_schedule(form: ScheduleForm) -> Result<ScheduleView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    crate::services::hours::save_schedule(&state, &actor, &form)
        .await
        .map_err(fail)
}

/// Deletes a schedule no policy uses.
#[server]
pub async fn delete_schedule(id: i32) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    crate::services::hours::delete_schedule(&state, &actor, id)
        .await
        .map_err(fail)
}

/// Creates (no id) or changes an SLA policy.
#[server(input = Json)]
pub async fn save_sla_policy(form: SlaPolicyForm) -> Result<SlaPolicyView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    crate::services::hours::save_policy(&state, &actor, &form)
        .await
        .map_err(fail)
}

/// Deletes an SLA policy.
#[server]
pub async fn delete_sla_policy(id: i32) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    crate::services::hours::delete_policy(&state, &actor, id)
        .await
        .map_err(fail)
}
