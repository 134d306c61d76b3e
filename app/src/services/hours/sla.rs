//! SLA clocks on tickets. The `sla` pipeline stage gives a new ticket the first
//! matching policy's targets (first reply, resolution), starts the next-reply
//! clock when the customer writes again, and re-picks the policy when the
//! priority or tags change. A public reply stops the next-reply clock
//! (`messages::after_public_reply`). The sweep (`sla.sweep`, every minute) warns
//! and breaches: it notes an SLA stage event, so rules on "SLA warning" and "SLA
//! breached" act on it.

use super::{calc, schedule_of};
use crate::services::inbox::clock::nearest;
use crate::services::inbox::conversations;
use crate::services::stages::{Stage, StageEvent};
use crate::services::tenancy::{Scoped, System};
use crate::services::uow::UnitOfWork;
use crate::services::{now, AppState, ServiceResult};
use crate::types::Status;
use chrono::{DateTime, Utc};
use entity::{business_schedule, conversation, sla_policy};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use std::collections::HashMap;

/// Job kind of the sweep.
pub const JOB: &str = "sla.sweep";
/// Tickets one sweep looks at.
const SWEEP_BATCH: u64 = 2_000;

/// The SLA stage.
#[derive(Clone, Copy, Debug, Default)]
pub struct SlaStage;

#[async_trait::async_trait]
impl Stage for SlaStage {
    fn name(&self) -> &'static str {
        "sla"
    }

    async fn handle(&self, uow: &mut UnitOfWork, event: &StageEvent) -> ServiceResult<()> {
        let scope = Scoped::new(event.workspace_id());
        let (id, follow_up, repick, status) = match event {
            StageEvent::MessageReceived {
                automatic: false,
                opened,
                conversation_id,
                ..
            } => (*conversation_id, !*opened, true, false),
            StageEvent::ConversationUpdated {
                changed,
                conversation_id,
                ..
            } if changed
                .iter()
                .any(|c| matches!(*c, "priority" | "tags" | "status")) =>
            {
                (
                    *conversation_id,
                    false,
                    changed.iter().any(|c| matches!(*c, "priority" | "tags")),
                    changed.contains(&"status"),
                )
            }
            _ => return Ok(()),
        };
        // One statement when the workspace has no SLA policies.
        let policies = enabled_policies(&**uow, scope).await?;
        if policies.is_empty() {
            return Ok(());
        }
        let mut c = find(&**uow, scope, id).await?;
        if status {
            c = pause_or_resume(uow, scope, c, &policies).await?;
        }
        if !repick {
            return Ok(());
        }
        if follow_up && c.sla_policy_id.is_some() {
            customer_wrote(uow, scope, c, &policies).await
        } else {
            assign(uow, scope, c, &policies).await
        }
    }
}

/// The workspace's enabled policies, in matching order.
async fn enabled_policies(
    db: &impl ConnectionTrait,
    scope: Scoped,
) -> ServiceResult<Vec<sla_policy::Model>> {
    Ok(scope
        .find::<sla_policy::Entity>()
        .filter(sla_policy::Column::Enabled.eq(true))
        .order_by_asc(sla_policy::Column::Position)
        .order_by_asc(sla_policy::Column::Id)
        .all(db)
        .await?)
}

/// The first policy (in order) whose priorities and tag match.
async fn matching(
    db: &impl ConnectionTrait,
    scope: Scoped,
    c: &conversation::Model,
    policies: &[sla_policy::Model],
) -> ServiceResult<Option<sla_policy::Model>> {
    if policies.is_empty() {
        return Ok(None);
    }
    let needs_tags = policies.iter().any(|p| !p.tag.is_empty());
    let tags = if needs_tags {
        conversations::tag_names(db, scope, c.id).await?
    } else {
        Vec::new()
    };
    Ok(policies
        .iter()
        .find(|p| {
            (p.priorities.is_empty() || p.priorities.split(',').any(|x| x == c.priority))
                && (p.tag.is_empty() || tags.contains(&p.tag))
        })
        .cloned())
}

async fn find(
    db: &impl ConnectionTrait,
    scope: Scoped,
    id: i32,
) -> ServiceResult<conversation::Model> {
    scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(crate::services::ServiceError::NotFound("Conversation"))
}

/// The policy's business-hours schedule (around the clock without one).
async fn schedule(
    db: &impl ConnectionTrait,
    scope: Scoped,
    p: &sla_policy::Model,
) -> ServiceResult<calc::Schedule> {
    let Some(id) = p.schedule_id else {
        return Ok(calc::Schedule::always());
    };
    let row = scope
        .find::<business_schedule::Entity>()
        .filter(business_schedule::Column::Id.eq(id))
        .one(db)
        .await?;
    Ok(row
        .and_then(|r| schedule_of(&r).ok())
        .unwrap_or_else(calc::Schedule::always))
}

/// `from` plus `mins` of business time.
pub fn due(s: &calc::Schedule, from: DateTime<Utc>, mins: Option<i32>) -> Option<DateTime<Utc>> {
    let mins = mins?;
    let t = jiff::Timestamp::from_second(from.timestamp()).ok()?;
    let d = s.add_business_seconds(t, i64::from(mins) * 60)?;
    DateTime::from_timestamp(d.as_second(), 0)
}

/// (Re)picks the policy and sets the targets, counted from the ticket's
/// creation (and, for the next reply, from now when a reply is awaited).
async fn assign(
    uow: &mut UnitOfWork,
    scope: Scoped,
    c: conversation::Model,
    policies: &[sla_policy::Model],
) -> ServiceResult<()> {
    let policy = matching(&**uow, scope, &c, policies).await?;
    if c.sla_policy_id.is_some() && policy.as_ref().map(|p| p.id) == c.sla_policy_id {
        return Ok(());
    }
    let mut m = c.clone().into_active_model();
    match policy {
        None => {
            if c.sla_policy_id.is_none() {
                return Ok(());
            }
            m.sla_policy_id = Set(None);
            m.first_response_due_at = Set(None);
            m.next_response_due_at = Set(None);
            m.resolution_due_at = Set(None);
        }
        Some(p) => {
            let s = schedule(&**uow, scope, &p).await?;
            m.sla_policy_id = Set(Some(p.id));
            m.first_response_due_at = Set(due(&s, c.created_at, p.first_response_mins));
            m.resolution_due_at = Set(due(&s, c.created_at, p.resolution_mins));
            if c.next_response_due_at.is_some() {
                m.next_response_due_at = Set(due(&s, now(), p.next_response_mins));
            }
        }
    }
    m.sla_warned_at = Set(None);
    m.update(&**uow).await?;
    Ok(())
}

/// The resolution clock stops while the ticket waits on the customer or a third
/// party (pending, on hold) and resumes with the business time that was left when
/// it opens again; a solved or closed ticket's pause ends without a new due time.
async fn pause_or_resume(
    uow: &mut UnitOfWork,
    scope: Scoped,
    c: conversation::Model,
    policies: &[sla_policy::Model],
) -> ServiceResult<conversation::Model> {
    let waiting = matches!(
        Status::parse(&c.status),
        Some(Status::Pending | Status::OnHold)
    );
    let t = now();
    match (waiting, c.sla_paused_at) {
        (true, None) if c.resolution_due_at.is_some() && c.solved_at.is_none() => {
            let mut m = c.into_active_model();
            m.sla_paused_at = Set(Some(t));
            Ok(m.update(&**uow).await?)
        }
        (false, Some(paused)) => {
            let mut m = c.clone().into_active_model();
            m.sla_paused_at = Set(None);
            let open = Status::parse(&c.status).is_some_and(Status::is_open);
            if let (true, Some(old), Some(p)) = (
                open,
                c.resolution_due_at,
                policies.iter().find(|p| Some(p.id) == c.sla_policy_id),
            ) {
                let s = schedule(&**uow, scope, p).await?;
                m.resolution_due_at = Set(Some(resumed(&s, paused, old, t)));
                m.sla_warned_at = Set(None);
            }
            Ok(m.update(&**uow).await?)
        }
        _ => Ok(c),
    }
}

/// The new due time of a clock paused at `paused` (due `old`) and resumed at
/// `t`: `t` plus the business time that was left. A clock already past due
/// when it was paused stays as it was.
pub fn resumed(
    s: &calc::Schedule,
    paused: DateTime<Utc>,
    old: DateTime<Utc>,
    t: DateTime<Utc>,
) -> DateTime<Utc> {
    if old <= paused {
        return old;
    }
    let ts = |d: DateTime<Utc>| jiff::Timestamp::from_second(d.timestamp()).ok();
    let (Some(p), Some(o), Some(n)) = (ts(paused), ts(old), ts(t)) else {
        return old;
    };
    let left = s.business_seconds_between(p, o);
    s.add_business_seconds(n, left)
        .and_then(|d| DateTime::from_timestamp(d.as_second(), 0))
        .unwrap_or(old)
}

/// The customer wrote again: after a first reply, the next-reply clock starts
/// (unless one is already running).
async fn customer_wrote(
    uow: &mut UnitOfWork,
    scope: Scoped,
    c: conversation::Model,
    policies: &[sla_policy::Model],
) -> ServiceResult<()> {
    if c.first_response_at.is_none() || c.next_response_due_at.is_some() {
        return Ok(());
    }
    let Some(p) = policies.iter().find(|p| Some(p.id) == c.sla_policy_id) else {
        return Ok(());
    };
    let s = schedule(&**uow, scope, p).await?;
    let mut m = c.into_active_model();
    m.next_response_due_at = Set(due(&s, now(), p.next_response_mins));
    m.sla_warned_at = Set(None);
    m.update(&**uow).await?;
    Ok(())
}

/// The sweep: tickets whose nearest target is close get a warning, those past it
/// a breach; each is noted for the rules (once per target).
///
/// # Errors
/// A message for the job log.
pub async fn sweep(state: &AppState) -> Result<(), String> {
    sweep_now(state, now())
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The sweep as of `t`; returns (warnings, breaches).
///
/// # Errors
/// Database errors.
pub async fn sweep_now(state: &AppState, t: DateTime<Utc>) -> ServiceResult<(usize, usize)> {
    let horizon = t + chrono::Duration::days(1);
    let open: Vec<&str> = Status::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| s.as_str())
        .collect();
    let due_soon = Condition::any()
        .add(conversation::Column::FirstResponseDueAt.lte(horizon))
        .add(conversation::Column::NextResponseDueAt.lte(horizon))
        .add(conversation::Column::ResolutionDueAt.lte(horizon));
    let convs = System::new("the SLA sweep looks at every workspace's tickets")
        .find::<conversation::Entity>()
        .filter(conversation::Column::SlaPolicyId.is_not_null())
        .filter(conversation::Column::Status.is_in(open))
        .filter(due_soon)
        .order_by_asc(conversation::Column::Id)
        .limit(SWEEP_BATCH)
        .all(&state.db)
        .await?;
    let mut warn_mins: HashMap<i32, i32> = HashMap::new();
    let (mut warned, mut breached) = (0, 0);
    for c in convs {
        let Some((_, due)) = nearest(&c) else {
            continue;
        };
        let pid = c.sla_policy_id.unwrap_or_default();
        let w = match warn_mins.get(&pid) {
            Some(w) => *w,
            None => {
                let w = System::new("policy of a swept ticket")
                    .find::<sla_policy::Entity>()
                    .filter(sla_policy::Column::Id.eq(pid))
                    .one(&state.db)
                    .await?
                    .map_or(0, |p| p.warn_mins);
                warn_mins.insert(pid, w);
                w
            }
        };
        let warn_at = due - chrono::Duration::minutes(i64::from(w));
        let breach = t >= due && c.sla_breached_at.is_none_or(|b| b < due);
        let warn = !breach && t >= warn_at && c.sla_warned_at.is_none_or(|x| x < warn_at);
        if !breach && !warn {
            continue;
        }
        let mut uow = UnitOfWork::begin(state).await?;
        let mut m = c.clone().into_active_model();
        if breach {
            m.sla_breached_at = Set(Some(t));
            breached += 1;
        } else {
            m.sla_warned_at = Set(Some(t));
            warned += 1;
        }
        m.update(&*uow).await?;
        uow.note(StageEvent::SlaAlert {
            workspace_id: c.workspace_id,
            conversation_id: c.id,
            breached: breach,
        });
        uow.emit(crate::services::bus::Event::new(
            c.workspace_id,
            "conversation.updated",
            serde_json::json!({"id": c.id, "number": c.number}),
        ));
        uow.commit().await?;
    }
    Ok((warned, breached))
}

/// Gives open tickets that have no SLA policy yet the first one matching (after
/// policies are first set up, or for tickets that arrived another way).
/// Returns how many got one.
///
/// # Errors
/// Database errors.
pub async fn backfill(state: &AppState, scope: Scoped) -> ServiceResult<usize> {
    let open: Vec<&str> = Status::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| s.as_str())
        .collect();
    let ids: Vec<i32> = scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::SlaPolicyId.is_null())
        .filter(conversation::Column::Status.is_in(open))
        .filter(conversation::Column::MergedIntoId.is_null())
        .select_only()
        .column(conversation::Column::Id)
        .into_tuple()
        .all(&state.db)
        .await?;
    let policies = enabled_policies(&state.db, scope).await?;
    let mut n = 0;
    let mut uow = UnitOfWork::begin(state).await?;
    for id in ids {
        let c = find(&*uow, scope, id).await?;
        assign(&mut uow, scope, c, &policies).await?;
        if find(&*uow, scope, id).await?.sla_policy_id.is_some() {
            n += 1;
        }
    }
    uow.commit().await?;
    Ok(n)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_paused_clock_resumes_with_the_business_time_left() {
        let day = vec![(9 * 60, 17 * 60)];
        let s = calc::Schedule::new(
            "America/New_York",
            [
                day.clone(),
                day.clone(),
                day.clone(),
                day.clone(),
                day,
                vec![],
                vec![],
            ],
            std::iter::empty(),
        )
        .unwrap();
        // Paused Monday 16:00 New York (21:00 UTC) with the target Tuesday 11:00
        // (3 business hours left); resumed Wednesday 10:00: due Wednesday 13:00.
        let got = resumed(
            &s,
            utc("2026-12-07T21:00:00Z"),
            utc("2026-12-08T16:00:00Z"),
            utc("2026-12-09T15:00:00Z"),
        );
        assert_eq!(got, utc("2026-12-09T18:00:00Z"));
        // Resumed on Friday 16:00: one hour on Friday, two on Monday.
        let got = resumed(
            &s,
            utc("2026-12-07T21:00:00Z"),
            utc("2026-12-08T16:00:00Z"),
            utc("2026-12-11T21:00:00Z"),
        );
        assert_eq!(got, utc("2026-12-14T16:00:00Z"));
        // Already overdue when paused: unchanged.
        let old = utc("2026-12-07T15:00:00Z");
        assert_eq!(
            resumed(
                &s,
                utc("2026-12-07T21:00:00Z"),
                old,
                utc("2026-12-09T15:00:00Z")
            ),
            old
        );
    }
}
