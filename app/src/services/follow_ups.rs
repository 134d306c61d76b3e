//! Follow-ups (SPEC C6.8): a message scheduled on a ticket — by an agent, a rule or
//! the AI agent (`schedule_follow_up` tool) — sent when due unless the customer
//! answered in the meantime; cancellable until then. Each is a durable job
//! (`ai.follow_up`) at its due time.

use super::activity::{self, Entry, Who};
use super::bus::Event;
use super::context::{load_actor, Actor, RequestMeta};
use super::inbox::{conversations, messages};
use super::jobs::{self, NewJob};
use super::tasks::Creator;
use super::tenancy::Scoped;
use super::uow::UnitOfWork;
use super::{now, AppState, ServiceError, ServiceResult};
use crate::permissions::Action;
use crate::types::{ticket_ref, FollowUpView, MessageKind};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use entity::{follow_up, message};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

/// Job kind that sends (or skips) one follow-up.
pub const JOB: &str = "ai.follow_up";

/// Reads when to follow up: `in 4 hours`, `in 3 days`, `tomorrow` (this time
/// tomorrow), `YYYY-MM-DD` (09:00 UTC that day) or `YYYY-MM-DDTHH:MM` (UTC); it
/// must be in the future.
///
/// # Errors
/// `Invalid` naming `field`.
pub fn parse_when(s: &str, at: DateTime<Utc>, field: &'static str) -> ServiceResult<DateTime<Utc>> {
    let t = s.trim().to_lowercase();
    let rel = |n: &str, unit: &str| -> Option<DateTime<Utc>> {
        let n: i64 = n.trim().parse().ok().filter(|n| (1..=3650).contains(n))?;
        match unit.trim_end_matches('s') {
            "hour" => Some(at + Duration::hours(n)),
            "day" => Some(at + Duration::days(n)),
            "week" => Some(at + Duration::weeks(n)),
            _ => None,
        }
    };
    let when = if t == "tomorrow" {
        Some(at + Duration::days(1))
    } else if let Some(rest) = t.strip_prefix("in ") {
        rest.split_once(' ').and_then(|(n, unit)| rel(n, unit))
    } else if let Ok(d) = NaiveDate::parse_from_str(&t, "%Y-%m-%d") {
        d.and_hms_opt(9, 0, 0).map(|x| x.and_utc())
    } else if let Ok(d) = NaiveDateTime::parse_from_str(&t, "%Y-%m-%dt%H:%M") {
        Some(d.and_utc())
    } else {
        None
    };
    let when = when.ok_or_else(|| {
        ServiceError::invalid(
            field,
            format!("`{s}` is not a time: use in 4 hours, in 3 days, tomorrow, YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC)."),
        )
    })?;
    if when <= at {
        return Err(ServiceError::invalid(
            field,
            "The follow-up time must be in the future.",
        ));
    }
    Ok(when)
}

fn check_message(m: &str) -> ServiceResult<String> {
    let m = m.trim();
    if m.is_empty() || m.chars().count() > 5000 {
        return Err(ServiceError::invalid(
            "message",
            "Write the follow-up message (1 to 5,000 characters).",
        ));
    }
    Ok(m.to_owned())
}

/// Schedules a follow-up in the caller's unit of work (its job commits with it).
///
/// # Errors
/// `Invalid` naming the field; `NotFound` (conversation).
#[allow(clippy::too_many_arguments)]
pub async fn schedule_in(
    uow: &mut UnitOfWork,
    scope: Scoped,
    conversation_id: i32,
    message: &str,
    due_at: DateTime<Utc>,
    by: &Creator,
    action_id: Option<i32>,
    meta: &RequestMeta,
) -> ServiceResult<follow_up::Model> {
    let message = check_message(message)?;
    let c = conversations::find(&**uow, scope, conversation_id).await?;
    let t = now();
    let row = follow_up::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        conversation_id: Set(c.id),
        message: Set(message),
        due_at: Set(due_at),
        status: Set("scheduled".into()),
        created_by_kind: Set(by.kind.to_owned()),
        created_by_user_id: Set(by.user_id),
        created_by_label: Set(by.label.clone()),
        action_id: Set(action_id),
        sent_message_id: Set(None),
        outcome: Set(None),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(&**uow)
    .await?;
    let cfg = uow.state().config.jobs.clone();
    let mut job = NewJob::new(
        JOB,
        json!({"workspace_id": scope.workspace_id(), "follow_up_id": row.id}),
    );
    job.workspace_id = Some(scope.workspace_id());
    job.run_at = Some(due_at);
    job.idempotency_key = Some(format!("follow_up:{}", row.id));
    jobs::enqueue(&**uow, &cfg, job).await?;
    uow.jobs_enqueued();
    activity::record(
        &**uow,
        scope,
        &Who {
            user_id: by.user_id,
            label: by.label.clone(),
        },
        meta,
        Entry::new("follow_up.scheduled")
            .target("conversation", ticket_ref(c.number))
            .diff(
                None,
                Some(json!({"id": row.id, "due_at": due_at, "message": row.message})),
            ),
    )
    .await?;
    emit(uow, &row);
    Ok(row)
}

fn emit(uow: &mut UnitOfWork, row: &follow_up::Model) {
    uow.emit(Event::new(
        row.workspace_id,
        "action.follow_up",
        json!({"id": row.id, "conversation_id": row.conversation_id, "status": row.status}),
    ));
}

/// A member schedules a follow-up on a ticket.
///
/// # Errors
/// Permission; `Invalid` naming the field; `NotFound`.
pub async fn schedule(
    state: &AppState,
    actor: &Actor,
    number: i32,
    message: &str,
    when: &str,
    meta: &RequestMeta,
) -> ServiceResult<FollowUpView> {
    actor.require(Action::ReplyToCustomers)?;
    let due = parse_when(when, now(), "when")?;
    let mut uow = UnitOfWork::begin(state).await?;
    let c = conversations::find_by_number(&*uow, actor.scope, number).await?;
    let by = Creator {
        kind: "member",
        user_id: Some(actor.user_id),
        label: actor.name.clone(),
    };
    let row = schedule_in(&mut uow, actor.scope, c.id, message, due, &by, None, meta).await?;
    uow.commit().await?;
    Ok(view(row))
}

/// Cancels a scheduled follow-up.
///
/// # Errors
/// Permission; `Conflict` when already sent, skipped or cancelled; `NotFound`.
pub async fn cancel(
    state: &AppState,
    actor: &Actor,
    id: i32,
    meta: &RequestMeta,
) -> ServiceResult<FollowUpView> {
    actor.require(Action::ReplyToCustomers)?;
    let scope = actor.scope;
    let mut uow = UnitOfWork::begin(state).await?;
    let row = find(&*uow, scope, id).await?;
    let n = scope
        .update_many::<follow_up::Entity>()
        .col_expr(follow_up::Column::Status, Expr::value("cancelled"))
        .col_expr(
            follow_up::Column::Outcome,
            Expr::value(format!("Cancelled by {}.", actor.name)),
        )
        .col_expr(follow_up::Column::UpdatedAt, Expr::value(now()))
        .filter(follow_up::Column::Id.eq(id))
        .filter(follow_up::Column::Status.eq("scheduled"))
        .exec(&*uow)
        .await?
        .rows_affected;
    if n == 0 {
        return Err(ServiceError::conflict(
            "id",
            format!("This follow-up is already {}.", row.status),
        ));
    }
    let row = find(&*uow, scope, id).await?;
    activity::record(
        &*uow,
        scope,
        &Who::from(actor),
        meta,
        Entry::new("follow_up.cancelled").target("follow_up", id),
    )
    .await?;
    emit(&mut uow, &row);
    uow.commit().await?;
    Ok(view(row))
}

async fn find(
    db: &impl ConnectionTrait,
    scope: Scoped,
    id: i32,
) -> ServiceResult<follow_up::Model> {
    scope
        .find::<follow_up::Entity>()
        .filter(follow_up::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Follow-up"))
}

/// The job handler.
///
/// # Errors
/// Database errors (the job retries; the status makes retries safe).
pub async fn run_job(state: &AppState, payload: &serde_json::Value) -> Result<(), String> {
    let get = |k: &str| {
        payload
            .get(k)
            .and_then(serde_json::Value::as_i64)
            .and_then(|v| i32::try_from(v).ok())
    };
    let (Some(ws), Some(id)) = (get("workspace_id"), get("follow_up_id")) else {
        return Err("payload needs workspace_id and follow_up_id".into());
    };
    send_due(state, Scoped::new(ws), id)
        .await
        .map_err(|e| e.to_string())
}

/// Sends a due follow-up, or skips it when the customer answered after it was
/// scheduled.
///
/// # Errors
/// Database errors.
pub async fn send_due(state: &AppState, scope: Scoped, id: i32) -> ServiceResult<()> {
    let row = find(&state.db, scope, id).await?;
    if row.status != "scheduled" {
        return Ok(());
    }
    let answered = scope
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(row.conversation_id))
        .filter(message::Column::Direction.eq("inbound"))
        .filter(message::Column::CreatedAt.gt(row.created_at))
        .order_by_asc(message::Column::Id)
        .count(&state.db)
        .await?
        > 0;
    let by = match (row.created_by_kind.as_str(), row.created_by_user_id) {
        ("member", Some(u)) => load_actor(&state.db, u, scope.workspace_id()).await.ok(),
        _ => None,
    };
    let mut uow = UnitOfWork::begin(state).await?;
    let (status, outcome) = if answered {
        (
            "skipped",
            "The customer answered before it was due; not sent.".to_owned(),
        )
    } else {
        ("sent", "Sent.".to_owned())
    };
    let n = scope
        .update_many::<follow_up::Entity>()
        .col_expr(follow_up::Column::Status, Expr::value(status))
        .col_expr(follow_up::Column::Outcome, Expr::value(outcome))
        .col_expr(follow_up::Column::UpdatedAt, Expr::value(now()))
        .filter(follow_up::Column::Id.eq(id))
        .filter(follow_up::Column::Status.eq("scheduled"))
        .exec(&*uow)
        .await?
        .rows_affected;
    if n == 0 {
        return Ok(());
    }
    if !answered {
        let c = conversations::find(&*uow, scope, row.conversation_id).await?;
        let sent = match &by {
            Some(actor) => {
                messages::insert_agent(
                    &mut uow,
                    actor,
                    &c,
                    messages::NewMessage {
                        kind: MessageKind::Reply,
                        body_text: row.message.clone(),
                        ..messages::NewMessage::default()
                    },
                )
                .await?
            }
            None => {
                let body = super::ai::pipeline::format_for(&*uow, scope, &c, &row.message).await?;
                messages::insert_ai_reply(&mut uow, scope, &c, &body).await?
            }
        };
        scope
            .update_many::<follow_up::Entity>()
            .col_expr(follow_up::Column::SentMessageId, Expr::value(sent.id))
            .filter(follow_up::Column::Id.eq(id))
            .exec(&*uow)
            .await?;
        conversations::touch(&*uow, c).await?;
    }
    let row = find(&*uow, scope, id).await?;
    activity::record(
        &*uow,
        scope,
        &Who {
            user_id: None,
            label: "system".into(),
        },
        &RequestMeta::default(),
        Entry::new(if answered {
            "follow_up.skipped"
        } else {
            "follow_up.sent"
        })
        .target("follow_up", id),
    )
    .await?;
    emit(&mut uow, &row);
    uow.commit().await
}

/// As shown on the ticket.
pub fn view(r: follow_up::Model) -> FollowUpView {
    FollowUpView {
        id: r.id,
        message: r.message,
        due_at: r.due_at.to_rfc3339(),
        status: r.status,
        created_by: r.created_by_label,
        outcome: r.outcome,
        created_at: r.created_at.to_rfc3339(),
    }
}

/// A ticket's follow-ups, newest first.
///
/// # Errors
/// Database errors.
pub async fn for_conversation(
    db: &impl ConnectionTrait,
    scope: Scoped,
    conversation_id: i32,
) -> ServiceResult<Vec<FollowUpView>> {
    Ok(scope
        .find::<follow_up::Entity>()
        .filter(follow_up::Column::ConversationId.eq(conversation_id))
        .order_by_desc(follow_up::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn when() {
        let at = Utc.with_ymd_and_hms(2026, 12, 4, 10, 0, 0).unwrap();
        let w = |s| parse_when(s, at, "when").map(|d| d.to_rfc3339());
        assert_eq!(w("in 4 hours").unwrap(), "2026-12-04T14:00:00+00:00");
        assert_eq!(w("in 1 day").unwrap(), "2026-12-05T10:00:00+00:00");
        assert_eq!(w("tomorrow").unwrap(), "2026-12-05T10:00:00+00:00");
        assert_eq!(w("2026-12-10").unwrap(), "2026-12-10T09:00:00+00:00");
        assert!(w("2026-12-01").is_err(), "in the past");
        assert!(w("soonish").is_err());
    }
}
