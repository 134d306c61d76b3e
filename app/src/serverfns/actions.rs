//! AI action server functions: the approval queue (list, approve, reject,
//! replay), member proposals, the policy page (rules, default, tester), tasks,
//! follow-ups and the autonomous loop.

use crate::error::AppError;
use crate::types::{
    ActionView, FollowUpView, LoopView, PoliciesView, PolicyForm, PolicyOutcome, PolicyProbe,
    ProposalForm, ReplayView, TaskForm, TaskView, TasksView, TicketWorkView, ToolView,
};
use leptos::prelude::*;

/// Actions: `filter` is `pending`, `open`, `done` or `all`; optionally one ticket's.
#[server]
pub async fn list_actions(
    filter: String,
    conversation_number: Option<i32>,
) -> Result<Vec<ActionView>, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    crate::services::actions::list(&state, &actor, &filter, conversation_number)
        .await
        .map_err(fail)
}

/// Approves a pending action, with an optional comment.
#[server]
pub async fn approve_action(id: i32, comment: String) -> Result<ActionView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ApproveActions).await?;
    let meta = meta().await;
    crate::services::actions::approve(&state, &actor, id, &comment, &meta)
        .await
        .map_err(fail)
}

/// Rejects a pending action, with an optional comment.
#[server]
pub async fn reject_action(id: i32, comment: String) -> Result<ActionView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ApproveActions).await?;
    let meta = meta().await;
    crate::services::actions::reject(&state, &actor, id, &comment, &meta)
        .await
        .map_err(fail)
}

/// What a recorded action would do now, under today's policy (changes nothing).
#[server]
pub async fn replay_action(id: i32) -> Result<ReplayView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ApproveActions).await?;
    crate::services::actions::replay(&state, &actor, id)
        .await
        .map_err(fail)
}

/// A member proposes a tool run (decided by the same policies as the AI's).
#[server]
pub async fn propose_action(form: ProposalForm) -> Result<ActionView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ApproveActions).await?;
    let meta = meta().await;
    crate::services::actions::propose_as_member(&state, &actor, &form, &meta)
        .await
        .map_err(fail)
}

/// The tool registry.
#[server]
pub async fn list_tools() -> Result<Vec<ToolView>, AppError> {
    use super::edge::*;
    let _ = actor(crate::permissions::Action::ViewInbox).await?;
    Ok(crate::services::actions::registry::get().views())
}

/// The policy page: rules, default, tools.
#[server]
pub async fn get_policies() -> Result<PoliciesView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAiPolicies).await?;
    crate::services::actions::policy::page(&state, &actor)
        .await
        .map_err(fail)
}

/// Creates (`id` 0) or changes a policy rule.
#[server]
pub async fn save_policy(id: i32, form: PolicyForm) -> Result<PoliciesView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAiPolicies).await?;
    let meta = meta().await;
    crate::services::actions::policy::save(&state, &actor, id, &form, &meta)
        .await
        .map_err(fail)
}

/// Deletes a policy rule.
#[server]
pub async fn delete_policy(id: i32) -> Result<PoliciesView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAiPolicies).await?;
    let meta = meta().await;
    crate::services::actions::policy::delete(&state, &actor, id, &meta)
        .await
        .map_err(fail)
}

/// Moves a policy rule up or down.
#[server]
pub async fn move_policy(id: i32, up: bool) -> Result<PoliciesView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAiPolicies).await?;
    let meta = meta().await;
    crate::services::actions::policy::move_rule(&state, &actor, id, up, &meta)
        .await
        .map_err(fail)
}

/// Sets what happens when no rule matches.
#[server]
pub async fn set_policy_default(effect: String) -> Result<PoliciesView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAiPolicies).await?;
    let meta = meta().await;
    crate::services::actions::policy::set_default(&state, &actor, &effect, &meta)
        .await
        .map_err(fail)
}

/// "What would happen" for a tool, amount, tags and channel.
#[server]
pub async fn test_policy(probe: PolicyProbe) -> Result<PolicyOutcome, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAiPolicies).await?;
    crate::services::actions::policy::test(&state, &actor, &probe)
        .await
        .map_err(fail)
}

/// Tasks: `filter` is `open`, `mine`, `overdue`, `done` or `all`.
#[server]
pub async fn list_tasks(
    filter: String,
    conversation_number: Option<i32>,
) -> Result<TasksView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    crate::services::tasks::list(&state, &actor, &filter, conversation_number)
        .await
        .map_err(fail)
}

/// Creates a task.
#[server]
pub async fn create_task(form: TaskForm) -> Result<TaskView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::WorkTasks).await?;
    let meta = meta().await;
    crate::services::tasks::create(&state, &actor, &form, &meta)
        .await
        .map_err(fail)
}

/// Marks a task done (or open again).
#[server]
pub async fn set_task_done(id: i32, done: bool) -> Result<TaskView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::WorkTasks).await?;
    let meta = meta().await;
    crate::services::tasks::set_done(&state, &actor, id, done, &meta)
        .await
        .map_err(fail)
}

/// One ticket's actions and tasks (the conversation pane).
#[server]
pub async fn ticket_work(conversation_number: i32) -> Result<TicketWorkView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    crate::services::actions::for_ticket(&state, &actor, conversation_number)
        .await
        .map_err(fail)
}

/// Schedules a follow-up on a ticket (`when`: in 4 hours, in 3 days, tomorrow,
/// YYYY-MM-DD, YYYY-MM-DDTHH:MM UTC).
#[server]
pub async fn schedule_follow_up(
    conversation_number: i32,
    message: String,
    when: String,
) -> Result<FollowUpView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ReplyToCustomers).await?;
    let meta = meta().await;
    crate::services::follow_ups::schedule(
        &state,
        &actor,
        conversation_number,
        &message,
        &when,
        &meta,
    )
    .await
    .map_err(fail)
}

/// Cancels a scheduled follow-up.
#[server]
pub async fn cancel_follow_up(id: i32) -> Result<FollowUpView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ReplyToCustomers).await?;
    let meta = meta().await;
    crate::services::follow_ups::cancel(&state, &actor, id, &meta)
        .await
        .map_err(fail)
}

/// The autonomous loop: on/off and its run log.
#[server]
pub async fn get_ai_loop() -> Result<LoopView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ApproveActions).await?;
    crate::services::actions::autonomous::page(&state, &actor)
        .await
        .map_err(fail)
}

/// Turns the autonomous loop on or off.
#[server]
pub async fn set_ai_loop(enabled: bool) -> Result<LoopView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAiPolicies).await?;
    let meta = meta().await;
    crate::services::actions::autonomous::set_enabled(&state, &actor, enabled, &meta)
        .await
        .map_err(fail)
}

/// Runs one cycle of the autonomous loop now.
#[server]
pub async fn run_ai_loop() -> Result<LoopView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAiPolicies).await?;
    crate::services::actions::autonomous::run_now(&state, &actor)
        .await
        .map_err(fail)
}
