//! Routing server functions: queues, agents' skills and capacity (admins), and
//! each agent's own status (online, away, offline) with the app's heartbeat.

use crate::error::AppError;
use crate::types::{
    AgentRoutingForm, AgentStatus, MyStatus, QueueForm, QueueView, RoutingLists, RoutingPage,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// Queues, agents and figures.
#[server]
pub async fn get_routing() -> Result<RoutingPage, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    crate::services::routing::page(&state, &actor)
        .await
        .map_err(fail)
}

/// Teams, schedules and segments for the queue editor.
#[server]
pub async fn get_routing_lists() -> Result<RoutingLists, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    crate::services::routing::lists(&state, &actor)
        .await
        .map_err(fail)
}

/// Creates (no id) or changes a queue.
#[server(input = Json)]
pub async fn save_queue(form: QueueForm) -> Result<QueueView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    crate::services::routing::save_queue(&state, &actor, &form)
        .await
        .map_err(fail)
}

/// Moves a queue up or down the matching order.
#[server]
pub async fn move_queue(id: i32, up: bool) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    crate::services::routing::move_queue(&state, &actor, id, up)
        .await
        .map_err(fail)
}

/// Deletes a queue.
#[server]
pub async fn delete_queue(id: i32) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    crate::services::routing::delete_queue(&state, &actor, id)
        .await
        .map_err(fail)
}

/// Sets an agent's skills and capacity.
#[server(input = Json)]
pub async fn save_agent_routing(form: AgentRoutingForm) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAutomation).await?;
    crate::services::routing::save_agent(&state, &actor, &form)
        .await
        .map_err(fail)
}

/// Sets the signed-in agent's status.
#[server]
pub async fn set_my_status(status: AgentStatus) -> Result<MyStatus, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ReplyToCustomers).await?;
    crate::services::routing::set_status(&state, &actor, status)
        .await
        .map_err(fail)
}

/// The open app's heartbeat (`active`: the agent used it since the last one).
#[server]
pub async fn status_heartbeat(active: bool) -> Result<MyStatus, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ReplyToCustomers).await?;
    crate::services::routing::heartbeat(&state, &actor, active)
        .await
        .map_err(fail)
}
