//! The live dashboard (SPEC C8.4): the support floor now — queue depth, who is
//! online, the longest wait for a first reply, active chats — read in a handful of
//! indexed statements. The page re-reads it when the bus says something changed
//! (conversations, messages, agents' status; at most every two seconds) and every
//! 30 seconds, so the last-hour figures and automatic away stay current.
//!
//! Definitions (also in docs/reports.md):
//! - *queue depth*: new or open conversations with no assignee (merged ones left
//!   out); *in routing queues* is the part a routing queue holds;
//! - *waiting for a first reply*: new or open conversations no one (agent or AI
//!   agent) has answered yet; the longest wait is counted from their creation;
//! - *active chats*: chat conversations, new or open, with a message in the last
//!   hour;
//! - *agents*: members whose role answers customers, with their status and the new
//!   or open conversations assigned to them.

use super::super::context::Actor;
use super::super::tenancy::Scoped;
use super::super::{now, AppState, ServiceResult};
use crate::permissions::{can, Action, Role};
use crate::types::{ticket_ref, AgentStatus, Channel, LiveAgent, LiveBoard, LiveChannel, LiveWait};
use chrono::{DateTime, Duration, Utc};
use entity::{conversation, membership, user};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;

/// Statuses that count as live work.
const ACTIVE: [&str; 2] = ["new", "open"];

/// The window of "active chats" and the last-hour figures.
const RECENT_MINS: i64 = 60;

/// The live dashboard for the actor's workspace.
///
/// # Errors
/// `Forbidden` without `ViewReports`; database errors.
pub async fn board(state: &AppState, actor: &Actor) -> ServiceResult<LiveBoard> {
    actor.require(Action::ViewReports)?;
    snapshot(&state.db, actor.scope, now()).await
}

fn live(scope: Scoped) -> sea_orm::Select<conversation::Entity> {
    scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::Status.is_in(ACTIVE))
        .filter(conversation::Column::MergedIntoId.is_null())
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The figures as they stand at `at`.
///
/// # Errors
/// Database errors.
pub async fn snapshot(
    db: &impl ConnectionTrait,
    scope: Scoped,
    at: DateTime<Utc>,
) -> ServiceResult<LiveBoard> {
    let recent = at - Duration::minutes(RECENT_MINS);
    // Per channel: open, unassigned, in a routing queue, awaiting a first reply.
    let rows: Vec<(String, i64, i64, i64, i64)> = live(scope)
        .select_only()
        .column(conversation::Column::Channel)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .column_as(
            Expr::cust("SUM(CASE WHEN assignee_id IS NULL THEN 1 ELSE 0 END)"),
            "unassigned",
        )
        .column_as(
            Expr::cust(
                "SUM(CASE WHEN assignee_id IS NULL AND queue_id IS NOT NULL THEN 1 ELSE 0 END)",
            ),
            "queued",
        )
        .column_as(
            Expr::cust("SUM(CASE WHEN first_response_at IS NULL THEN 1 ELSE 0 END)"),
            "awaiting",
        )
        .group_by(conversation::Column::Channel)
        .into_tuple()
        .all(db)
        .await?;
    let mut channels: Vec<LiveChannel> = rows
        .iter()
        .map(|(ch, n, unassigned, _, awaiting)| LiveChannel {
            channel: ch.clone(),
            label: Channel::parse(ch).map_or_else(|| ch.clone(), |c| c.label().to_owned()),
            open: count(*n),
            unassigned: count(*unassigned),
            awaiting_first_reply: count(*awaiting),
        })
        .collect();
    channels.sort_by(|a, b| b.open.cmp(&a.open).then_with(|| a.label.cmp(&b.label)));
    let unassigned = channels.iter().map(|c| c.unassigned).sum();
    let in_routing_queues = rows.iter().map(|r| count(r.3)).sum();
    let awaiting_first_reply = channels.iter().map(|c| c.awaiting_first_reply).sum();

    let longest_wait = live(scope)
        .filter(conversation::Column::FirstResponseAt.is_null())
        .order_by_asc(conversation::Column::CreatedAt)
        .order_by_asc(conversation::Column::Id)
        .one(db)
        .await?
        .map(|c| LiveWait {
            number: c.number,
            reference: ticket_ref(c.number),
            channel: Channel::parse(&c.channel)
                .map_or_else(|| c.channel.clone(), |ch| ch.label().to_owned()),
            subject: c.subject,
            waited_secs: (at - c.created_at).num_seconds().max(0),
        });
    let active_chats = live(scope)
        .filter(conversation::Column::Channel.eq(Channel::Chat.as_str()))
        .filter(conversation::Column::LastMessageAt.gte(recent))
        .count(db)
        .await?;
    let opened_last_hour = scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::CreatedAt.gte(recent))
        .filter(conversation::Column::CreatedAt.lte(at))
        .count(db)
        .await?;
    let solved_last_hour = scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::SolvedAt.gte(recent))
        .filter(conversation::Column::SolvedAt.lte(at))
        .count(db)
        .await?;

    let assigned: HashMap<i32, u64> = live(scope)
        .filter(conversation::Column::AssigneeId.is_not_null())
        .select_only()
        .column(conversation::Column::AssigneeId)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .group_by(conversation::Column::AssigneeId)
        .into_tuple::<(Option<i32>, i64)>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(u, n)| u.map(|u| (u, count(n))))
        .collect();
    let mut agents: Vec<LiveAgent> = scope
        .find::<membership::Entity>()
        .find_also_related(user::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter(|(m, _)| Role::parse(&m.role).is_some_and(|r| can(r, Action::ReplyToCustomers)))
        .map(|(m, u)| LiveAgent {
            user_id: m.user_id,
            name: u.map(|u| u.name).unwrap_or_default(),
            status: AgentStatus::parse(&m.presence).unwrap_or(AgentStatus::Offline),
            open_assigned: assigned.get(&m.user_id).copied().unwrap_or(0),
        })
        .collect();
    let rank = |s: AgentStatus| match s {
        AgentStatus::Online => 0,
        AgentStatus::Away => 1,
        AgentStatus::Offline => 2,
    };
    agents.sort_by(|a, b| {
        rank(a.status)
            .cmp(&rank(b.status))
            .then_with(|| a.name.cmp(&b.name))
    });
    let online = agents
        .iter()
        .filter(|a| a.status == AgentStatus::Online)
        .count();
    let away = agents
        .iter()
        .filter(|a| a.status == AgentStatus::Away)
        .count();
    Ok(LiveBoard {
        at: at.to_rfc3339(),
        unassigned,
        in_routing_queues,
        awaiting_first_reply,
        longest_wait,
        active_chats,
        opened_last_hour,
        solved_last_hour,
        online: u32::try_from(online).unwrap_or(u32::MAX),
        away: u32::try_from(away).unwrap_or(u32::MAX),
        channels,
        agents,
    })
}
