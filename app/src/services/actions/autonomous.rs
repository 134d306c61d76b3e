//! The autonomous loop (SPEC C6.7): a scheduled cycle, per workspace that turned
//! it on, that reviews open work and acts through the same proposals as the AI
//! agent (so the policies decide what runs at once and what waits for a person):
//!
//! - **stale tickets** (open, no update for 48 hours): unassigned ones are
//!   escalated to a person (`escalate_to_human`); assigned ones get a task for
//!   their assignee (`create_task`);
//! - **customers gone quiet** (pending for 72 hours, no follow-up scheduled): a
//!   check-in (`schedule_follow_up`);
//! - **approvals waiting too long** (pending for 4 hours): approvers are reminded;
//! - **overdue tasks**: their assignees are reminded (once a day).
//!
//! At most [`MAX_PROPOSALS`] proposals per cycle; a cycle with errors backs off
//! (doubling up to an hour) before the next; every cycle is recorded with what it
//! looked at and did (`ai_loop_runs`, shown at `/app/approvals/loop`).

use super::{propose, Proposal, Proposer};
use crate::permissions::{can, Action, Role};
use crate::services::ai::settings;
use crate::services::bus::Event;
use crate::services::context::{Actor, RequestMeta};
use crate::services::notify::{self, Notice};
use crate::services::tenancy::{global, Scoped, System};
use crate::services::uow::UnitOfWork;
use crate::services::{now, AppState, ServiceError, ServiceResult};
use crate::types::{ticket_ref, LoopRunView, LoopView, NoticeKind};
use chrono::{DateTime, Duration};
use entity::{ai_action, ai_loop_run, ai_setting, conversation, follow_up, membership, task, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;

/// Job kind of the scheduled sweep over every workspace with the loop on.
pub const JOB: &str = "ai.loop";
/// Proposals one cycle may make in one workspace.
pub const MAX_PROPOSALS: usize = 10;
/// An open ticket without an update for this long is stale.
pub const STALE_HOURS: i64 = 48;
/// A pending ticket whose customer has been quiet this long gets a check-in.
pub const QUIET_HOURS: i64 = 72;
/// An approval waiting this long is brought up again.
pub const APPROVAL_HOURS: i64 = 4;
/// Longest pause after failing cycles.
pub const MAX_BACKOFF_SECS: i32 = 3600;

/// The pause after a cycle: none when it went well, else double the last (at
/// least five minutes, at most an hour).
pub fn next_backoff(previous_secs: i32, errors: i32) -> i32 {
    if errors == 0 {
        0
    } else {
        (previous_secs.max(150) * 2).min(MAX_BACKOFF_SECS)
    }
}

/// The cron job: one cycle for each workspace with the loop on whose backoff has
/// passed.
///
/// # Errors
/// Database errors.
pub async fn run_all(state: &AppState) -> Result<(), String> {
    let sys = System::new("autonomous loop: every workspace that turned it on");
    let on = sys
        .find::<ai_setting::Entity>()
        .filter(ai_setting::Column::LoopEnabled.eq(true))
        .all(&state.db)
        .await
        .map_err(|e| e.to_string())?;
    for s in on {
        let scope = Scoped::new(s.workspace_id);
        let last = scope
            .find::<ai_loop_run::Entity>()
            .order_by_desc(ai_loop_run::Column::Id)
            .one(&state.db)
            .await
            .map_err(|e| e.to_string())?;
        if last.is_some_and(|l| l.next_run_at > now()) {
            continue;
        }
        if let Err(e) = cycle(state, scope).await {
            tracing::error!(error = %e, workspace = s.workspace_id, "autonomous loop cycle failed");
        }
    }
    Ok(())
}

/// One cycle in one workspace; returns the recorded run.
///
/// # Errors
/// Database errors.
pub async fn cycle(state: &AppState, scope: Scoped) -> ServiceResult<LoopRunView> {
    let started = now();
    let db = &state.db;
    let meta = RequestMeta {
        ip: None,
        user_agent: Some("autonomous loop".into()),
        request_id: None,
    };
    let mut did: Vec<String> = Vec::new();
    let mut errors = 0;
    let mut proposals = 0usize;
    let stale_before = started - Duration::hours(STALE_HOURS);
    let stale = scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::Status.eq("open"))
        .filter(conversation::Column::MergedIntoId.is_null())
        .filter(conversation::Column::UpdatedAt.lt(stale_before))
        .order_by_asc(conversation::Column::UpdatedAt)
        .limit(50)
        .all(db)
        .await?;
    let quiet = scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::Status.eq("pending"))
        .filter(conversation::Column::MergedIntoId.is_null())
        .filter(conversation::Column::UpdatedAt.lt(started - Duration::hours(QUIET_HOURS)))
        .order_by_asc(conversation::Column::UpdatedAt)
        .limit(50)
        .all(db)
        .await?;
    let waiting = scope
        .find::<ai_action::Entity>()
        .filter(ai_action::Column::Status.eq("pending"))
        .filter(ai_action::Column::CreatedAt.lt(started - Duration::hours(APPROVAL_HOURS)))
        .count(db)
        .await?;
    let overdue = scope
        .find::<task::Entity>()
        .filter(task::Column::Status.eq("open"))
        .filter(task::Column::DueAt.lt(started))
        .limit(100)
        .all(db)
        .await?;
    let looked_at = json!({
        "stale_tickets": stale.len(), "quiet_customers": quiet.len(),
        "approvals_waiting": waiting, "tasks_overdue": overdue.len(),
    });
    let emails = member_emails(db, scope).await?;
    let try_propose =
        |tool: &str, input: serde_json::Value, c: &conversation::Model, why: String| Proposal {
            tool: tool.to_owned(),
            input,
            conversation_id: Some(c.id),
            reasoning: Some(format!("Autonomous loop: {why}")),
            proposer: Proposer::Ai,
            customer_note: None,
        };
    let mut todo = Vec::new();
    for c in &stale {
        let why = format!(
            "{} has had no update for more than {STALE_HOURS} hours",
            ticket_ref(c.number)
        );
        let p = match c
            .assignee_id
            .and_then(|a| emails.iter().find(|(id, _)| *id == a))
        {
            Some((_, email)) => try_propose(
                "create_task",
                json!({"title": format!("Follow up on {} (no update for {STALE_HOURS} hours)", ticket_ref(c.number)), "assignee_email": email, "due": "today", "priority": "high"}),
                c,
                why,
            ),
            None => try_propose(
                "escalate_to_human",
                json!({"reason": format!("No update for more than {STALE_HOURS} hours")}),
                c,
                why,
            ),
        };
        todo.push(p);
    }
    for c in &quiet {
        let scheduled = scope
            .find::<follow_up::Entity>()
            .filter(follow_up::Column::ConversationId.eq(c.id))
            .filter(follow_up::Column::Status.eq("scheduled"))
            .count(db)
            .await?;
        if scheduled > 0 {
            continue;
        }
        todo.push(try_propose(
            "schedule_follow_up",
            json!({"message": format!("Just checking in: do you still need help with “{}”? Reply here and we'll pick it up.", c.subject), "when": "in 1 hour"}),
            c,
            format!("the customer on {} has been quiet for more than {QUIET_HOURS} hours", ticket_ref(c.number)),
        ));
    }
    for p in todo {
        if proposals >= MAX_PROPOSALS {
            did.push(format!("Stopped at {MAX_PROPOSALS} proposals (the per-cycle limit); the rest waits for the next cycle."));
            break;
        }
        let tool = p.tool.clone();
        match propose(state, scope, p, &meta).await {
            Ok(v) => {
                let earlier =
                    DateTime::parse_from_rfc3339(&v.created_at).is_ok_and(|t| t < started);
                let on = v.conversation_number.map(ticket_ref).unwrap_or_default();
                if earlier {
                    did.push(format!(
                        "Already proposed {} on {on}: {}",
                        v.tool_label, v.status
                    ));
                } else {
                    proposals += 1;
                    did.push(format!(
                        "Proposed {} on {on}: {} ({})",
                        v.tool_label, v.status, v.decision_reason
                    ));
                }
            }
            Err(ServiceError::Db(e)) => return Err(ServiceError::Db(e)),
            Err(e) => {
                errors += 1;
                did.push(format!("Could not propose {tool}: {e}"));
            }
        }
    }
    let mut uow = UnitOfWork::begin(state).await?;
    if waiting > 0 {
        let approvers: Vec<i32> = scope
            .find::<membership::Entity>()
            .all(&*uow)
            .await?
            .into_iter()
            .filter(|m| Role::parse(&m.role).is_some_and(|r| can(r, Action::ManageAiPolicies)))
            .map(|m| m.user_id)
            .collect();
        let body = format!(
            "{waiting} action(s) have waited more than {APPROVAL_HOURS} hours for approval."
        );
        let mut told = 0;
        for u in approvers {
            if remind(
                &mut uow,
                scope,
                u,
                NoticeKind::ApprovalReminder,
                &body,
                "/app/approvals",
            )
            .await?
            {
                told += 1;
            }
        }
        if told > 0 {
            did.push(format!(
                "Reminded {told} approver(s) of {waiting} waiting approval(s)."
            ));
        }
    }
    let mut reminded = 0;
    for t in &overdue {
        if let Some(u) = t.assignee_user_id {
            let body = format!("Task overdue: {}", t.title);
            if remind(
                &mut uow,
                scope,
                u,
                NoticeKind::TaskOverdue,
                &body,
                "/app/tasks",
            )
            .await?
            {
                reminded += 1;
            }
        }
    }
    if reminded > 0 {
        did.push(format!("Reminded assignees of {reminded} overdue task(s)."));
    }
    if did.is_empty() {
        did.push("Nothing needed doing.".into());
    }
    let previous = scope
        .find::<ai_loop_run::Entity>()
        .order_by_desc(ai_loop_run::Column::Id)
        .one(&*uow)
        .await?
        .map_or(0, |r| r.backoff_secs);
    let backoff = next_backoff(previous, errors);
    let row = ai_loop_run::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        started_at: Set(started),
        finished_at: Set(Some(now())),
        looked_at: Set(looked_at.to_string()),
        did: Set(serde_json::to_string(&did).unwrap_or_else(|_| "[]".into())),
        proposals: Set(i32::try_from(proposals).unwrap_or(i32::MAX)),
        errors: Set(errors),
        backoff_secs: Set(backoff),
        next_run_at: Set(now() + Duration::seconds(i64::from(backoff))),
        ..Default::default()
    }
    .insert(&*uow)
    .await?;
    uow.emit(Event::new(
        scope.workspace_id(),
        "action.loop_run",
        json!({"id": row.id}),
    ));
    uow.commit().await?;
    Ok(run_view(row))
}

/// A reminder through the notification service (in the app unless the member
/// chose otherwise), at most one per member, kind and text a day.
async fn remind(
    uow: &mut UnitOfWork,
    scope: Scoped,
    user_id: i32,
    kind: NoticeKind,
    body: &str,
    path: &str,
) -> ServiceResult<bool> {
    let notice = Notice {
        kind,
        recipients: vec![user_id],
        ticket: None,
        actor: "The AI agent".to_owned(),
        text: body.to_owned(),
        path: path.to_owned(),
        send_at: None,
        once_within_hours: Some(24),
    };
    Ok(notify::dispatch_in(uow, scope, notice).await? > 0)
}

async fn member_emails(
    db: &impl ConnectionTrait,
    scope: Scoped,
) -> ServiceResult<Vec<(i32, String)>> {
    let ids: Vec<i32> = scope
        .find::<membership::Entity>()
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    Ok(global::<user::Entity>()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect())
}

fn run_view(r: ai_loop_run::Model) -> LoopRunView {
    LoopRunView {
        id: r.id,
        started_at: r.started_at.to_rfc3339(),
        looked_at: serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&r.looked_at)
            .map(|m| {
                m.into_iter()
                    .map(|(k, v)| (k.replace('_', " "), v.as_u64().unwrap_or_default()))
                    .collect()
            })
            .unwrap_or_default(),
        did: serde_json::from_str(&r.did).unwrap_or_default(),
        proposals: r.proposals,
        errors: r.errors,
        backoff_secs: r.backoff_secs,
    }
}

/// The run log page: on/off and the last 50 cycles.
///
/// # Errors
/// Permission; database errors.
pub async fn page(state: &AppState, actor: &Actor) -> ServiceResult<LoopView> {
    actor.require(Action::ApproveActions)?;
    let s = settings::load(&state.db, actor.scope).await?;
    let runs = actor
        .scope
        .find::<ai_loop_run::Entity>()
        .order_by_desc(ai_loop_run::Column::Id)
        .limit(50)
        .all(&state.db)
        .await?;
    Ok(LoopView {
        enabled: s.row.is_some_and(|r| r.loop_enabled),
        can_manage: can(actor.role, Action::ManageAiPolicies),
        runs: runs.into_iter().map(run_view).collect(),
    })
}

/// Turns the loop on or off.
///
/// # Errors
/// Permission; database errors.
pub async fn set_enabled(
    state: &AppState,
    actor: &Actor,
    on: bool,
    meta: &RequestMeta,
) -> ServiceResult<LoopView> {
    actor.require(Action::ManageAiPolicies)?;
    settings::set_loop_enabled(&state.db, actor.scope, on).await?;
    crate::services::activity::record(
        &state.db,
        actor.scope,
        &crate::services::activity::Who::from(actor),
        meta,
        crate::services::activity::Entry::new(if on {
            "ai_loop.enabled"
        } else {
            "ai_loop.disabled"
        }),
    )
    .await?;
    page(state, actor).await
}

/// Runs one cycle now (admins), whatever the schedule.
///
/// # Errors
/// Permission; database errors.
pub async fn run_now(state: &AppState, actor: &Actor) -> ServiceResult<LoopView> {
    actor.require(Action::ManageAiPolicies)?;
    cycle(state, actor.scope).await?;
    page(state, actor).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_an_hour_and_resets() {
        assert_eq!(next_backoff(0, 0), 0);
        assert_eq!(next_backoff(0, 1), 300);
        assert_eq!(next_backoff(300, 2), 600);
        assert_eq!(next_backoff(2400, 1), 3600);
        assert_eq!(next_backoff(3600, 1), 3600);
        assert_eq!(next_backoff(3600, 0), 0);
    }
}
