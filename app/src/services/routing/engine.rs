//! Routing at work: the `routing` pipeline stage, the choice of an agent, the
//! drain of waiting tickets, and the sweep (automatic away, overflow, tickets
//! whose queue opened).
//!
//! A ticket joins the first enabled queue (in order) whose channels, priorities,
//! tag and team match. The queue's pool is its team's members (every agent
//! without a team) who are online, have the queue's skills and have room on the
//! ticket's channel; after the overflow time the pool widens to the overflow team
//! (every agent without one) and skills stop counting. Outside the queue's
//! business hours the ticket waits. The strategy picks one agent of the pool:
//!
//! - **round robin**: the next member after the one who got the last ticket, in a
//!   fixed order. Every router of a queue first updates the queue's row, so on
//!   PostgreSQL concurrent arrivals take turns on that row lock, and on SQLite the
//!   single writer serialises them: the rotation holds under concurrency.
//! - **load balanced**: the lowest share of capacity in use on the channel.
//! - **skill match**: the most of the ticket's tags among the agent's skills
//!   (`product:tents` matches a ticket tagged `tents`), then load.
//! - **priority weighted**: load where urgent tickets count 4, high 2, others 1;
//!   the queue's waiting tickets are also drained most urgent first.
//!
//! Ties go to whoever waited longest for a ticket. A ticket nobody can take
//! waits in its queue; the drain gives it out when capacity frees up (a ticket
//! solved, an agent back online, the schedule opening) and the sweep retries
//! every minute.

use super::{capacity_of, skills_of};
use crate::permissions::{can, Action, Role};
use crate::services::activity::{self, Entry, Who};
use crate::services::bus::Event;
use crate::services::context::RequestMeta;
use crate::services::hours::schedule_of;
use crate::services::inbox::conversations;
use crate::services::segments;
use crate::services::stages::{Stage, StageEvent};
use crate::services::tenancy::{Scoped, System};
use crate::services::uow::UnitOfWork;
use crate::services::{now, AppState, ServiceResult};
use crate::types::{ticket_ref, AgentStatus, Channel, Priority, RoutingStrategy, Status};
use chrono::{DateTime, Duration, Utc};
use entity::{business_schedule, conversation, membership, routing_queue, team_member};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::collections::{BTreeSet, HashMap};

/// Job kind of the sweep.
pub const JOB: &str = "routing.sweep";
/// Minutes without keyboard or pointer activity before an online agent is
/// shown away.
pub const AUTO_AWAY_MINS: i64 = 10;
/// Minutes without a heartbeat (the app closed) before an agent is offline.
pub const AUTO_OFFLINE_MINS: i64 = 15;
/// Waiting tickets one drain gives out at most.
const DRAIN_BATCH: u64 = 200;

/// Statuses that occupy an agent's capacity.
const ACTIVE: [&str; 2] = ["new", "open"];

/// The routing stage.
#[derive(Clone, Copy, Debug, Default)]
pub struct RoutingStage;

#[async_trait::async_trait]
impl Stage for RoutingStage {
    fn name(&self) -> &'static str {
        "routing"
    }

    async fn handle(&self, uow: &mut UnitOfWork, event: &StageEvent) -> ServiceResult<()> {
        let scope = Scoped::new(event.workspace_id());
        let id = event.conversation_id();
        let freed = match event {
            StageEvent::MessageReceived {
                automatic: false, ..
            } => false,
            StageEvent::ConversationUpdated { changed, .. }
                if changed.iter().any(|c| {
                    matches!(
                        *c,
                        "status" | "assignee" | "team" | "tags" | "priority" | "handover"
                    )
                }) =>
            {
                changed.contains(&"status")
            }
            _ => return Ok(()),
        };
        if uow.is_claimed(id, "ai") || uow.is_claimed(id, "flow") || uow.is_claimed(id, "routed") {
            return Ok(());
        }
        let queues = enabled_queues(&**uow, scope).await?;
        let handover = matches!(event, StageEvent::ConversationUpdated { changed, .. } if changed.contains(&"handover"));
        if queues.is_empty() && !handover {
            return Ok(());
        }
        let c = conversations::find(&**uow, scope, id).await?;
        if freed && c.assignee_id.is_some() && !ACTIVE.contains(&c.status.as_str()) {
            // A ticket left someone's active work: their capacity freed up.
            return drain(uow, scope, &queues, now()).await.map(|_| ());
        }
        if !waits_for_routing(&c) {
            return Ok(());
        }
        route(uow, scope, &queues, c, now(), handover)
            .await
            .map(|_| ())
    }
}

/// Open, unassigned, not merged.
fn waits_for_routing(c: &conversation::Model) -> bool {
    c.assignee_id.is_none()
        && c.merged_into_id.is_none()
        && Status::parse(&c.status).is_some_and(|s| matches!(s, Status::New | Status::Open))
}

/// The workspace's enabled queues, in matching order.
///
/// # Errors
/// Database errors.
pub async fn enabled_queues(
    db: &impl ConnectionTrait,
    scope: Scoped,
) -> ServiceResult<Vec<routing_queue::Model>> {
    Ok(scope
        .find::<routing_queue::Entity>()
        .filter(routing_queue::Column::Enabled.eq(true))
        .order_by_asc(routing_queue::Column::Position)
        .order_by_asc(routing_queue::Column::Id)
        .all(db)
        .await?)
}

fn list(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').map(str::trim).filter(|x| !x.is_empty())
}

/// Whether the queue takes the ticket (`inside`: the segments the ticket's
/// customer is in, of those the queues test).
fn takes(
    q: &routing_queue::Model,
    c: &conversation::Model,
    tags: &[String],
    inside: &BTreeSet<i32>,
) -> bool {
    let any_or = |field: &str, v: &str| list(field).next().is_none() || list(field).any(|x| x == v);
    any_or(&q.channels, &c.channel)
        && any_or(&q.priorities, &c.priority)
        && (q.tag.is_empty() || tags.contains(&q.tag))
        && q.team_id.is_none_or(|t| c.team_id == Some(t))
        && q.segment_id.is_none_or(|s| inside.contains(&s))
}

/// What routing did with a ticket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Routed {
    /// No queue takes it (and it was no hand-over).
    NoQueue,
    /// It waits in this queue (nobody can take it now, or the queue is closed).
    Waiting(i32),
    /// Assigned to this member.
    Assigned {
        /// The member.
        user_id: i32,
        /// The queue (none: a hand-over no queue took, given to the least busy).
        queue_id: Option<i32>,
    },
}

/// One member the pool may hold.
struct Candidate {
    user_id: i32,
    skills: Vec<String>,
    /// Open tickets on the ticket's channel.
    on_channel: u32,
    /// Capacity on that channel.
    capacity: u32,
    /// Priority-weighted open tickets on the channel.
    weighted: u32,
    last_routed_at: Option<DateTime<Utc>>,
}

/// Members who take tickets: online, allowed to answer customers.
async fn available(
    db: &impl ConnectionTrait,
    scope: Scoped,
) -> ServiceResult<Vec<membership::Model>> {
    Ok(scope
        .find::<membership::Entity>()
        .filter(membership::Column::Presence.eq(AgentStatus::Online.as_str()))
        .order_by_asc(membership::Column::UserId)
        .all(db)
        .await?
        .into_iter()
        .filter(|m| Role::parse(&m.role).is_some_and(|r| can(r, Action::ReplyToCustomers)))
        .collect())
}

async fn team_members(
    db: &impl ConnectionTrait,
    scope: Scoped,
    team: i32,
) -> ServiceResult<Vec<i32>> {
    Ok(scope
        .find::<team_member::Entity>()
        .filter(team_member::Column::TeamId.eq(team))
        .select_only()
        .column(team_member::Column::UserId)
        .into_tuple()
        .all(db)
        .await?)
}

/// Open (new or open) tickets per (assignee, channel, priority).
async fn loads(
    db: &impl ConnectionTrait,
    scope: Scoped,
    users: &[i32],
    channel: Option<&str>,
) -> ServiceResult<Vec<(i32, String, String, i64)>> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::AssigneeId.is_in(users.to_vec()))
        .filter(conversation::Column::Status.is_in(ACTIVE));
    if let Some(ch) = channel {
        q = q.filter(conversation::Column::Channel.eq(ch));
    }
    Ok(q.select_only()
        .column(conversation::Column::AssigneeId)
        .column(conversation::Column::Channel)
        .column(conversation::Column::Priority)
        .column_as(conversation::Column::Id.count(), "n")
        .group_by(conversation::Column::AssigneeId)
        .group_by(conversation::Column::Channel)
        .group_by(conversation::Column::Priority)
        .into_tuple()
        .all(db)
        .await?)
}

/// The weight of an open ticket under the priority-weighted strategy.
pub fn priority_weight(p: &str) -> u32 {
    match Priority::parse(p) {
        Some(Priority::Urgent) => 4,
        Some(Priority::High) => 2,
        _ => 1,
    }
}

/// Picks one candidate by `strategy` (see the module docs); `rotation` is the
/// member who got the queue's last ticket.
fn pick(
    strategy: RoutingStrategy,
    mut cands: Vec<Candidate>,
    tags: &[String],
    rotation: Option<i32>,
) -> Option<i32> {
    if cands.is_empty() {
        return None;
    }
    // Load as a fraction, compared exactly: a/b < c/d ⇔ a·d < c·b.
    let share = |c: &Candidate, weighted: bool| {
        (
            u64::from(if weighted { c.weighted } else { c.on_channel }),
            u64::from(c.capacity.max(1)),
        )
    };
    let less = |a: (u64, u64), b: (u64, u64)| (a.0 * b.1).cmp(&(b.0 * a.1));
    let waited = |a: &Candidate, b: &Candidate| {
        a.last_routed_at
            .cmp(&b.last_routed_at)
            .then(a.user_id.cmp(&b.user_id))
    };
    match strategy {
        RoutingStrategy::RoundRobin => {
            cands.sort_by_key(|c| c.user_id);
            let next = rotation
                .and_then(|r| cands.iter().find(|c| c.user_id > r))
                .unwrap_or(&cands[0]);
            Some(next.user_id)
        }
        RoutingStrategy::LoadBalanced | RoutingStrategy::PriorityWeighted => {
            let weighted = strategy == RoutingStrategy::PriorityWeighted;
            cands.sort_by(|a, b| less(share(a, weighted), share(b, weighted)).then(waited(a, b)));
            Some(cands[0].user_id)
        }
        RoutingStrategy::SkillMatch => {
            let fit = |c: &Candidate| {
                c.skills
                    .iter()
                    .filter(|s| {
                        let value = s.rsplit(':').next().unwrap_or(s);
                        tags.iter().any(|t| t == *s || t == value)
                    })
                    .count()
            };
            cands.sort_by(|a, b| {
                fit(b)
                    .cmp(&fit(a))
                    .then(less(share(a, false), share(b, false)))
                    .then(waited(a, b))
            });
            Some(cands[0].user_id)
        }
    }
}

/// Routes one waiting ticket: the first queue that takes it, then an agent of
/// its pool (or it waits). A hand-over (the AI agent passing the ticket on) that
/// no queue takes goes to the least busy available agent. Writes the outcome on
/// the ticket, the activity log and the pipeline.
///
/// # Errors
/// Database errors.
pub async fn route(
    uow: &mut UnitOfWork,
    scope: Scoped,
    queues: &[routing_queue::Model],
    c: conversation::Model,
    t: DateTime<Utc>,
    handover: bool,
) -> ServiceResult<Routed> {
    let needs_tags = queues
        .iter()
        .any(|q| !q.tag.is_empty() || q.strategy == RoutingStrategy::SkillMatch.as_str());
    let tags = if needs_tags {
        conversations::tag_names(&**uow, scope, c.id).await?
    } else {
        Vec::new()
    };
    let tested: BTreeSet<i32> = queues.iter().filter_map(|q| q.segment_id).collect();
    let inside: BTreeSet<i32> = segments::memberships(&**uow, scope, &tested, c.customer_id)
        .await?
        .into_iter()
        .filter_map(|(id, hit)| hit.then_some(id))
        .collect();
    let queue = queues.iter().find(|q| takes(q, &c, &tags, &inside));
    let Some(q) = queue else {
        if !handover {
            return Ok(Routed::NoQueue);
        }
        let Some(user) = least_busy(&**uow, scope).await? else {
            return Ok(Routed::NoQueue);
        };
        let placed = Placed {
            queue_id: None,
            queued_at: c.queued_at.unwrap_or(t),
            overflowed_at: c.overflowed_at,
        };
        assign(uow, scope, &c, None, &placed, user, t).await?;
        return Ok(Routed::Assigned {
            user_id: user,
            queue_id: None,
        });
    };
    let open = match q.schedule_id {
        None => true,
        Some(sid) => scope
            .find::<business_schedule::Entity>()
            .filter(business_schedule::Column::Id.eq(sid))
            .one(&**uow)
            .await?
            .and_then(|r| schedule_of(&r).ok())
            .is_none_or(|s| {
                jiff::Timestamp::from_second(t.timestamp()).is_ok_and(|ts| s.is_open(ts))
            }),
    };
    let queued_at = match c.queued_at {
        Some(at) if c.routed_at.is_none() => at,
        _ => t,
    };
    if open {
        // Take the queue's turn first: concurrent routers of this queue wait here
        // (PostgreSQL's row lock), then read the rotation as it is now. SQLite has
        // one writer at a time: the unit of work read the queue under it.
        let fresh = if uow.get_database_backend() == sea_orm::DbBackend::Sqlite {
            q.clone()
        } else {
            scope
                .update_many::<routing_queue::Entity>()
                .col_expr(
                    routing_queue::Column::RoutedCount,
                    Expr::col(routing_queue::Column::RoutedCount).add(0),
                )
                .filter(routing_queue::Column::Id.eq(q.id))
                .exec(&**uow)
                .await?;
            scope
                .find::<routing_queue::Entity>()
                .filter(routing_queue::Column::Id.eq(q.id))
                .one(&**uow)
                .await?
                .unwrap_or_else(|| q.clone())
        };
        let overflowed = fresh
            .overflow_after_mins
            .is_some_and(|m| t - queued_at >= Duration::minutes(i64::from(m)));
        let (team, skills) = if overflowed {
            (fresh.overflow_team_id, Vec::new())
        } else {
            (fresh.team_id, skills_of(&fresh.skills))
        };
        let pool = candidates(&**uow, scope, &c, team, &skills).await?;
        let strategy =
            RoutingStrategy::parse(&fresh.strategy).unwrap_or(RoutingStrategy::RoundRobin);
        if let Some(user) = pick(strategy, pool, &tags, fresh.rotation_user_id) {
            scope
                .update_many::<routing_queue::Entity>()
                .col_expr(
                    routing_queue::Column::RoutedCount,
                    Expr::col(routing_queue::Column::RoutedCount).add(1),
                )
                .col_expr(routing_queue::Column::RotationUserId, Expr::value(user))
                .filter(routing_queue::Column::Id.eq(q.id))
                .exec(&**uow)
                .await?;
            let overflowed_at = if overflowed && c.overflowed_at.is_none() {
                Some(t)
            } else {
                c.overflowed_at
            };
            let placed = Placed {
                queue_id: Some(q.id),
                queued_at,
                overflowed_at,
            };
            assign(uow, scope, &c, Some(&fresh), &placed, user, t).await?;
            return Ok(Routed::Assigned {
                user_id: user,
                queue_id: Some(q.id),
            });
        }
        if overflowed && c.overflowed_at.is_none() {
            let mut m = c.clone().into_active_model();
            m.overflowed_at = Set(Some(t));
            m.queue_id = Set(Some(q.id));
            m.queued_at = Set(Some(queued_at));
            m.update(&**uow).await?;
            return Ok(Routed::Waiting(q.id));
        }
    }
    if c.queue_id != Some(q.id) || c.queued_at != Some(queued_at) || c.routed_at.is_some() {
        let mut m = c.into_active_model();
        m.queue_id = Set(Some(q.id));
        m.queued_at = Set(Some(queued_at));
        m.routed_at = Set(None);
        m.overflowed_at = Set(None);
        m.update(&**uow).await?;
    }
    Ok(Routed::Waiting(q.id))
}

/// The member with the fewest open (new or open) tickets among those who answer
/// customers: online members first, then anyone (a hand-over is never left with
/// nobody); ties go to who waited longest for a ticket.
///
/// # Errors
/// Database errors.
pub async fn least_busy(db: &impl ConnectionTrait, scope: Scoped) -> ServiceResult<Option<i32>> {
    let members: Vec<membership::Model> = scope
        .find::<membership::Entity>()
        .order_by_asc(membership::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|m| Role::parse(&m.role).is_some_and(|r| can(r, Action::ReplyToCustomers)))
        .collect();
    let users: Vec<i32> = members.iter().map(|m| m.user_id).collect();
    let mut open: HashMap<i32, i64> = HashMap::new();
    for (user, _, _, n) in loads(db, scope, &users, None).await? {
        *open.entry(user).or_default() += n;
    }
    Ok(members
        .iter()
        .min_by(|a, b| {
            let away = |m: &membership::Model| m.presence != AgentStatus::Online.as_str();
            away(a)
                .cmp(&away(b))
                .then(open.get(&a.user_id).cmp(&open.get(&b.user_id)))
                .then(a.last_routed_at.cmp(&b.last_routed_at))
                .then(a.id.cmp(&b.id))
        })
        .map(|m| m.user_id))
}

/// The pool for a ticket: available members (of `team` when given) with every
/// skill in `skills` and room on the ticket's channel.
async fn candidates(
    db: &impl ConnectionTrait,
    scope: Scoped,
    c: &conversation::Model,
    team: Option<i32>,
    skills: &[String],
) -> ServiceResult<Vec<Candidate>> {
    let mut members = available(db, scope).await?;
    if let Some(team) = team {
        let ids = team_members(db, scope, team).await?;
        members.retain(|m| ids.contains(&m.user_id));
    }
    members.retain(|m| {
        let have = skills_of(&m.skills);
        skills.iter().all(|s| have.contains(s))
    });
    let users: Vec<i32> = members.iter().map(|m| m.user_id).collect();
    let mut on: HashMap<i32, (u32, u32)> = HashMap::new();
    for (user, _, priority, n) in loads(db, scope, &users, Some(&c.channel)).await? {
        let e = on.entry(user).or_default();
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        e.0 += n;
        e.1 += n * priority_weight(&priority);
    }
    let channel = Channel::parse(&c.channel).unwrap_or(Channel::Email);
    Ok(members
        .into_iter()
        .filter_map(|m| {
            let capacity = capacity_of(&m.capacity, channel);
            let (on_channel, weighted) = on.get(&m.user_id).copied().unwrap_or_default();
            (on_channel < capacity).then(|| Candidate {
                user_id: m.user_id,
                skills: skills_of(&m.skills),
                on_channel,
                capacity,
                weighted,
                last_routed_at: m.last_routed_at,
            })
        })
        .collect())
}

/// Where a routed ticket waited.
struct Placed {
    queue_id: Option<i32>,
    queued_at: DateTime<Utc>,
    overflowed_at: Option<DateTime<Utc>>,
}

/// Gives the ticket to `user`: the assignee, routing times, the member's turn,
/// the activity log, the live event and the pipeline.
async fn assign(
    uow: &mut UnitOfWork,
    scope: Scoped,
    c: &conversation::Model,
    queue: Option<&routing_queue::Model>,
    placed: &Placed,
    user: i32,
    t: DateTime<Utc>,
) -> ServiceResult<()> {
    let mut m = c.clone().into_active_model();
    m.assignee_id = Set(Some(user));
    if c.status == Status::New.as_str() {
        m.status = Set(Status::Open.as_str().to_owned());
    }
    m.routed_at = Set(Some(t));
    if placed.queue_id.is_some() {
        m.queue_id = Set(placed.queue_id);
    }
    m.queued_at = Set(Some(placed.queued_at));
    m.overflowed_at = Set(placed.overflowed_at);
    m.updated_at = Set(t);
    let after = m.update(&**uow).await?;
    scope
        .update_many::<membership::Entity>()
        .col_expr(membership::Column::LastRoutedAt, Expr::value(t))
        .filter(membership::Column::UserId.eq(user))
        .exec(&**uow)
        .await?;
    let label = queue.map_or_else(
        || "Routing: hand-over".to_owned(),
        |q| format!("Routing: {}", q.name),
    );
    activity::record(
        &**uow,
        scope,
        &Who {
            user_id: None,
            label,
        },
        &RequestMeta::default(),
        Entry::new("conversation.routed")
            .target("conversation", ticket_ref(after.number))
            .diff(
                Some(serde_json::json!({"assignee_id": c.assignee_id, "status": c.status})),
                Some(serde_json::json!({
                    "assignee_id": user, "status": after.status,
                    "queue": queue.map(|q| q.name.clone()),
                    "strategy": queue.map(|q| q.strategy.clone()),
                })),
            ),
    )
    .await?;
    let mut changed = vec!["assignee"];
    if after.status != c.status {
        changed.push("status");
    }
    conversations::note_updated(uow, &after, changed);
    // This stage need not look at its own change again.
    uow.claim(after.id, "routed");
    uow.emit(Event::new(
        scope.workspace_id(),
        "conversation.updated",
        serde_json::json!({"id": after.id, "number": after.number}),
    ));
    Ok(())
}

/// Gives out waiting tickets, queue by queue in order (within a queue oldest
/// first; most urgent first under the priority-weighted strategy), until nobody
/// can take more. Returns how many were assigned.
///
/// # Errors
/// Database errors.
pub async fn drain(
    uow: &mut UnitOfWork,
    scope: Scoped,
    queues: &[routing_queue::Model],
    t: DateTime<Utc>,
) -> ServiceResult<usize> {
    let mut assigned = 0;
    for q in queues {
        let mut waiting = scope
            .find::<conversation::Entity>()
            .filter(conversation::Column::QueueId.eq(q.id))
            .filter(conversation::Column::AssigneeId.is_null())
            .filter(conversation::Column::MergedIntoId.is_null())
            .filter(conversation::Column::Status.is_in(ACTIVE))
            .order_by_asc(conversation::Column::QueuedAt)
            .order_by_asc(conversation::Column::Id)
            .limit(DRAIN_BATCH)
            .all(&**uow)
            .await?;
        if q.strategy == RoutingStrategy::PriorityWeighted.as_str() {
            waiting.sort_by_key(|c| std::cmp::Reverse(priority_weight(&c.priority)));
        }
        for c in waiting {
            match route(uow, scope, queues, c, t, false).await? {
                Routed::Assigned { .. } => assigned += 1,
                // Nobody in this queue's pool has room: the rest wait too.
                Routed::Waiting(id) if id == q.id => break,
                _ => {}
            }
        }
    }
    Ok(assigned)
}

/// Drains the workspace's queues in a unit of work of its own (an agent came
/// back online, capacity changed). Returns how many were assigned.
///
/// # Errors
/// Database errors.
pub async fn drain_now(state: &AppState, scope: Scoped) -> ServiceResult<usize> {
    if enabled_queues(&state.db, scope).await?.is_empty() {
        return Ok(0);
    }
    let mut uow = UnitOfWork::begin(state).await?;
    // Read again under the unit of work (the rotation as it is now).
    let queues = enabled_queues(&*uow, scope).await?;
    let n = drain(&mut uow, scope, &queues, now()).await?;
    uow.commit().await?;
    Ok(n)
}

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Agents set away (idle).
    pub away: u64,
    /// Agents set offline (the app closed).
    pub offline: u64,
    /// Waiting tickets assigned.
    pub assigned: usize,
}

/// The sweep: idle agents away, gone agents offline, then every workspace's
/// queues drained (overflow widens pools as tickets wait).
///
/// # Errors
/// A message for the job log.
pub async fn sweep(state: &AppState) -> Result<(), String> {
    sweep_now(state, now())
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The sweep as of `t`.
///
/// # Errors
/// Database errors.
pub async fn sweep_now(state: &AppState, t: DateTime<Utc>) -> ServiceResult<Swept> {
    let mut out = Swept::default();
    {
        let _turn = state.sqlite_write_turn().await;
        let sys = System::new("automatic away and offline apply to every workspace's members");
        out.offline = sys
            .update_many::<membership::Entity>()
            .col_expr(
                membership::Column::Presence,
                Expr::value(AgentStatus::Offline.as_str()),
            )
            .col_expr(membership::Column::PresenceAuto, Expr::value(true))
            .filter(membership::Column::Presence.ne(AgentStatus::Offline.as_str()))
            .filter(membership::Column::LastSeenAt.lt(t - Duration::minutes(AUTO_OFFLINE_MINS)))
            .exec(&state.db)
            .await?
            .rows_affected;
        out.away = sys
            .update_many::<membership::Entity>()
            .col_expr(
                membership::Column::Presence,
                Expr::value(AgentStatus::Away.as_str()),
            )
            .col_expr(membership::Column::PresenceAuto, Expr::value(true))
            .filter(membership::Column::Presence.eq(AgentStatus::Online.as_str()))
            .filter(membership::Column::LastActiveAt.lt(t - Duration::minutes(AUTO_AWAY_MINS)))
            .exec(&state.db)
            .await?
            .rows_affected;
    }
    let workspaces: Vec<i32> = System::new("routing sweep: workspaces with a waiting ticket")
        .find::<conversation::Entity>()
        .filter(conversation::Column::QueueId.is_not_null())
        .filter(conversation::Column::AssigneeId.is_null())
        .filter(conversation::Column::Status.is_in(ACTIVE))
        .select_only()
        .column(conversation::Column::WorkspaceId)
        .distinct()
        .into_tuple()
        .all(&state.db)
        .await?;
    for w in workspaces {
        let scope = Scoped::new(w);
        let mut uow = UnitOfWork::begin(state).await?;
        let queues = enabled_queues(&*uow, scope).await?;
        out.assigned += drain(&mut uow, scope, &queues, t).await?;
        uow.commit().await?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(user_id: i32, on: u32, cap: u32, weighted: u32, skills: &[&str]) -> Candidate {
        Candidate {
            user_id,
            skills: skills.iter().map(|s| (*s).to_owned()).collect(),
            on_channel: on,
            capacity: cap,
            weighted,
            last_routed_at: None,
        }
    }

    #[test]
    fn round_robin_rotates_and_wraps() {
        let pool = || {
            vec![
                cand(7, 0, 3, 0, &[]),
                cand(3, 0, 3, 0, &[]),
                cand(5, 2, 3, 2, &[]),
            ]
        };
        let s = RoutingStrategy::RoundRobin;
        assert_eq!(pick(s, pool(), &[], None), Some(3));
        assert_eq!(pick(s, pool(), &[], Some(3)), Some(5));
        assert_eq!(pick(s, pool(), &[], Some(5)), Some(7));
        assert_eq!(pick(s, pool(), &[], Some(7)), Some(3));
        // The last one left the pool: the next one after them.
        assert_eq!(pick(s, pool(), &[], Some(4)), Some(5));
        assert_eq!(pick(s, Vec::new(), &[], Some(4)), None);
    }

    #[test]
    fn load_balanced_takes_the_lowest_share() {
        // 2 of 3 (67 %) against 5 of 10 (50 %).
        let pool = vec![cand(1, 2, 3, 2, &[]), cand(2, 5, 10, 5, &[])];
        assert_eq!(
            pick(RoutingStrategy::LoadBalanced, pool, &[], None),
            Some(2)
        );
    }

    #[test]
    fn priority_weighted_counts_urgent_work_more() {
        // Agent 1 has one urgent ticket (weight 4), agent 2 two normal ones.
        let pool = || vec![cand(1, 1, 5, 4, &[]), cand(2, 2, 5, 2, &[])];
        assert_eq!(
            pick(RoutingStrategy::LoadBalanced, pool(), &[], None),
            Some(1)
        );
        assert_eq!(
            pick(RoutingStrategy::PriorityWeighted, pool(), &[], None),
            Some(2)
        );
        assert_eq!(priority_weight("urgent"), 4);
        assert_eq!(priority_weight("high"), 2);
        assert_eq!(priority_weight("low"), 1);
    }

    #[test]
    fn skill_match_prefers_the_skills_the_ticket_needs() {
        let pool = vec![
            cand(1, 0, 3, 0, &["language:en"]),
            cand(2, 2, 3, 2, &["language:en", "product:tents"]),
        ];
        let tags = vec!["tents".to_owned()];
        assert_eq!(
            pick(RoutingStrategy::SkillMatch, pool, &tags, None),
            Some(2)
        );
    }

    #[test]
    fn ties_go_to_who_waited_longest() {
        let mut a = cand(1, 0, 3, 0, &[]);
        let mut b = cand(2, 0, 3, 0, &[]);
        a.last_routed_at = Some(Utc::now());
        b.last_routed_at = Some(Utc::now() - Duration::minutes(5));
        assert_eq!(
            pick(RoutingStrategy::LoadBalanced, vec![a, b], &[], None),
            Some(2)
        );
    }
}
