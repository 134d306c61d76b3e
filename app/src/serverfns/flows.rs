//! Flow server functions: the list, one flow, its settings, its draft, publishing
//! and rolling back, analytics (admins: `ManageAutomation`).
//!
//! The ones that carry a whole graph take and return it as **JSON text**
//! ([`crate::types::FlowDetail`] out, [`crate::types::FlowGraph`] in): their
//! browser stubs then hold no serde code for the graph model, which stays in the
//! flow canvas's own lazy chunk (typed, they put 81 KB gzip into the admin app's
//! first load).

use crate::error::AppError;
use crate::types::{FlowSettingsForm, FlowSummary};
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

/// The JSON text of a flow's detail.
#[cfg(feature = "ssr")]
fn json(d: &impl serde::Serialize) -> Result<String, AppError> {
    serde_json::to_string(d).map_err(|e| {
        super::edge::fail(crate::services::ServiceError::Internal(format!(
            "flow to JSON: {e}"
        )))
    })
}

/// One flow: draft, problems, versions (JSON text of `FlowDetail`).
#[server]
pub async fn get_flow(id: i32) -> Result<String, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    json(
        &crate::services::flows::get(&state, &actor, id)
            .await
            .map_err(fail)?,
    )
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

/// Saves a flow's draft graph (`graph`: JSON text of `FlowGraph`; returns the
/// JSON text of `FlowDetail`).
#[server(input = Json)]
pub async fn save_flow_draft(id: i32, graph: String) -> Result<String, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    json(
        &crate::services::flows::save_draft_json(&state, &actor, id, &graph)
            .await
            .map_err(fail)?,
    )
}

/// Publishes the draft as the next version (JSON text of `FlowDetail`).
#[server]
pub async fn publish_flow(id: i32) -> Result<String, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    let meta = meta().await;
    json(
        &crate::services::flows::publish(&state, &actor, id, &meta)
            .await
            .map_err(fail)?,
    )
}

/// Publishes an earlier version again (JSON text of `FlowDetail`).
#[server]
pub async fn rollback_flow(id: i32, version: i32) -> Result<String, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    let meta = meta().await;
    json(
        &crate::services::flows::rollback(&state, &actor, id, version, &meta)
            .await
            .map_err(fail)?,
    )
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

/// How a flow's runs went, overall and per step (`version` none: every
/// version; JSON text of `FlowStats`).
#[server]
pub async fn get_flow_stats(id: i32, version: Option<i32>) -> Result<String, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    json(
        &crate::services::flows::analytics::stats(&state, &actor, id, version)
            .await
            .map_err(fail)?,
    )
}

/// The teams and webhook endpoints the flow editor's pickers offer.
#[server]
pub async fn get_flow_editor_options() -> Result<crate::types::FlowEditorOptions, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    crate::services::flows::editor_options(&state, &actor)
        .await
        .map_err(fail)
}
