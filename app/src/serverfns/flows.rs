//! Flow server functions: the list, one flow, its settings, its draft, publishing
//! and rolling back (admins: `ManageAutomation`). The canvas builds on these.

use crate::error::AppError;
use crate::types::{FlowDetail, FlowGraph, FlowSettingsForm, FlowSummary};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// Every flow of the workspace.
#[server]
pub async fn list_flows() -> Result<Vec<FlowSummary>, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    crate::services::flows::list(&state, &actor)
        .await
        .map_err(fail)
}

/// One flow: draft, problems, versions.
#[server]
pub async fn get_flow(id: i32) -> Result<FlowDetail, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    crate::services::flows::get(&state, &actor, id)
        .await
        .map_err(fail)
}

/// Creates a flow or changes its settings.
#[server(input = Json)]
pub async fn save_flow_settings(form: FlowSettingsForm) -> Result<FlowSummary, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    let meta = meta().await;
    crate::services::flows::save_settings(&state, &actor, &form, &meta)
        .await
        .map_err(fail)
}

/// Saves a flow's draft graph.
#[server(input = Json)]
pub async fn save_flow_draft(id: i32, graph: FlowGraph) -> Result<FlowDetail, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    crate::services::flows::save_draft(&state, &actor, id, &graph)
        .await
        .map_err(fail)
}

/// Publishes the draft as the next version.
#[server]
pub async fn publish_flow(id: i32) -> Result<FlowDetail, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    let meta = meta().await;
    crate::services::flows::publish(&state, &actor, id, &meta)
        .await
        .map_err(fail)
}

/// Publishes an earlier version again.
#[server]
pub async fn rollback_flow(id: i32, version: i32) -> Result<FlowDetail, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    let meta = meta().await;
    crate::services::flows::rollback(&state, &actor, id, version, &meta)
        .await
        .map_err(fail)
}

/// Deletes a flow.
#[server]
pub async fn delete_flow(id: i32) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    let meta = meta().await;
    crate::services::flows::delete(&state, &actor, id, &meta)
        .await
        .map_err(fail)
}

/// How a flow's runs went, overall and per step (`version` none: every version).
#[server]
pub async fn get_flow_stats(
    id: i32,
    version: Option<i32>,
) -> Result<crate::types::FlowStats, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    crate::services::flows::analytics::stats(&state, &actor, id, version)
        .await
        .map_err(fail)
}
