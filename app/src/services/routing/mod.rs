//! Routing (SPEC C7.6): queues that decide which tickets go to whom, agents'
//! skills and per-channel capacity, agents' status (online, away, offline; set
//! by hand in the header or automatically when idle), and the figures: time to
//! assign, what waits, utilisation. [`engine`] does the routing itself.

pub mod engine;

use super::context::Actor;
use super::inbox::conversations::normalize_tag;
use super::tenancy::Scoped;
use super::{now, AppState, ServiceError, ServiceResult};
use crate::permissions::{can, Action, Role};
use crate::types::{
    default_capacity, AgentRoutingForm, AgentStatus, Channel, ChannelLoad, MyStatus, Priority,
    QueueForm, QueueView, RoutingAgentView, RoutingLists, RoutingMetrics, RoutingPage,
    RoutingStrategy,
};
use chrono::Duration;
use entity::{business_schedule, conversation, membership, routing_queue, team, user};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set, SqlErr, TransactionTrait,
};
use std::collections::HashMap;

/// Most skills on one agent or queue.
const MAX_SKILLS: usize = 30;
/// Most tickets at once on one channel.
const MAX_CAPACITY: u32 = 200;
/// Longest overflow wait, minutes (a week).
const MAX_OVERFLOW_MINS: i32 = 10_080;

/// Skills stored comma-separated → list.
pub fn skills_of(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A member's capacity on a channel (their own figure, else the default).
pub fn capacity_of(json: &str, channel: Channel) -> u32 {
    serde_json::from_str::<HashMap<String, u32>>(json)
        .ok()
        .and_then(|m| m.get(channel.as_str()).copied())
        .unwrap_or_else(|| default_capacity(channel))
}

/// A skill as stored: lower case, `kind:value` or a single word, letters,
/// digits, `-`, `_`, `.` and one `:`.
fn check_skill(field: &'static str, s: &str) -> ServiceResult<String> {
    let s = s.trim().to_lowercase();
    let ok = !s.is_empty()
        && s.chars().count() <= 40
        && s.matches(':').count() <= 1
        && !s.starts_with(':')
        && !s.ends_with(':')
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    if ok {
        Ok(s)
    } else {
        Err(ServiceError::invalid(
            field,
            format!("“{s}” is not a skill: use a word or kind:value such as language:fr or product:tents (up to 40 characters)."),
        ))
    }
}

fn check_skills(field: &'static str, list: &[String]) -> ServiceResult<String> {
    let mut out: Vec<String> = Vec::new();
    for s in list.iter().filter(|s| !s.trim().is_empty()) {
        let s = check_skill(field, s)?;
        if !out.contains(&s) {
            out.push(s);
        }
    }
    if out.len() > MAX_SKILLS {
        return Err(ServiceError::invalid(
            field,
            format!("At most {MAX_SKILLS} skills."),
        ));
    }
    Ok(out.join(","))
}

fn taken(e: sea_orm::DbErr) -> ServiceError {
    if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
        ServiceError::conflict("name", "Another queue already has this name.")
    } else {
        ServiceError::Db(e)
    }
}

async fn find_queue(
    db: &impl ConnectionTrait,
    scope: Scoped,
    id: i32,
) -> ServiceResult<routing_queue::Model> {
    scope
        .find::<routing_queue::Entity>()
        .filter(routing_queue::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Queue"))
}

async fn teams(db: &impl ConnectionTrait, scope: Scoped) -> ServiceResult<Vec<(i32, String)>> {
    Ok(scope
        .find::<team::Entity>()
        .order_by_asc(team::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect())
}

async fn schedules(db: &impl ConnectionTrait, scope: Scoped) -> ServiceResult<Vec<(i32, String)>> {
    Ok(scope
        .find::<business_schedule::Entity>()
        .order_by_asc(business_schedule::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect())
}

fn form_of(q: &routing_queue::Model) -> QueueForm {
    QueueForm {
        id: Some(q.id),
        name: q.name.clone(),
        channels: skills_of(&q.channels),
        priorities: skills_of(&q.priorities),
        tag: q.tag.clone(),
        team_id: q.team_id,
        segment_id: q.segment_id,
        skills: skills_of(&q.skills),
        strategy: q.strategy.clone(),
        schedule_id: q.schedule_id,
        overflow_after_mins: q.overflow_after_mins,
        overflow_team_id: q.overflow_team_id,
        enabled: q.enabled,
    }
}

fn name_of(list: &[(i32, String)], id: Option<i32>) -> Option<String> {
    id.and_then(|id| list.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone()))
}

/// Per queue: (waiting, oldest queued_at) and (routed in 24 h, total seconds to
/// assign).
type QueueFigures = (HashMap<i32, (u64, i64)>, HashMap<i32, (u64, i64)>);

/// (queue, queued at, routed at) of a routed ticket.
type RoutedRow = (
    Option<i32>,
    Option<chrono::DateTime<chrono::Utc>>,
    Option<chrono::DateTime<chrono::Utc>>,
);

async fn queue_figures(
    db: &impl ConnectionTrait,
    scope: Scoped,
    t: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<(QueueFigures, Vec<i64>)> {
    let waiting: Vec<(Option<i32>, Option<chrono::DateTime<chrono::Utc>>)> = scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::QueueId.is_not_null())
        .filter(conversation::Column::AssigneeId.is_null())
        .filter(conversation::Column::Status.is_in(["new", "open"]))
        .select_only()
        .column(conversation::Column::QueueId)
        .column(conversation::Column::QueuedAt)
        .into_tuple()
        .all(db)
        .await?;
    let mut w: HashMap<i32, (u64, i64)> = HashMap::new();
    for (q, at) in waiting {
        let e = w.entry(q.unwrap_or_default()).or_insert((0, 0));
        e.0 += 1;
        if let Some(at) = at {
            e.1 = e.1.max((t - at).num_seconds());
        }
    }
    let routed: Vec<RoutedRow> = scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::RoutedAt.gte(t - Duration::hours(24)))
        .select_only()
        .column(conversation::Column::QueueId)
        .column(conversation::Column::QueuedAt)
        .column(conversation::Column::RoutedAt)
        .into_tuple()
        .all(db)
        .await?;
    let mut r: HashMap<i32, (u64, i64)> = HashMap::new();
    let mut waits = Vec::new();
    for (q, queued, routed) in routed {
        let secs = match (queued, routed) {
            (Some(a), Some(b)) => (b - a).num_seconds().max(0),
            _ => 0,
        };
        waits.push(secs);
        let e = r.entry(q.unwrap_or_default()).or_insert((0, 0));
        e.0 += 1;
        e.1 += secs;
    }
    Ok(((w, r), waits))
}

fn takes_text(f: &QueueForm, teams: &[(i32, String)], segments: &[(i32, String)]) -> String {
    let mut parts = Vec::new();
    if !f.channels.is_empty() {
        parts.push(
            f.channels
                .iter()
                .map(|c| Channel::parse(c).map_or_else(|| c.clone(), |c| c.label().to_owned()))
                .collect::<Vec<_>>()
                .join(" or "),
        );
    }
    if !f.priorities.is_empty() {
        parts.push(format!(
            "{} priority",
            f.priorities
                .iter()
                .map(|p| Priority::parse(p).map_or_else(|| p.clone(), |p| p.label().to_owned()))
                .collect::<Vec<_>>()
                .join(" or ")
        ));
    }
    if !f.tag.is_empty() {
        parts.push(format!("tagged {}", f.tag));
    }
    if let Some(t) = name_of(teams, f.team_id) {
        parts.push(format!("team {t}"));
    }
    if f.segment_id.is_some() {
        parts.push(name_of(segments, f.segment_id).map_or_else(
            || "customers of a deleted segment (takes nothing)".to_owned(),
            |s| format!("customers in “{s}”"),
        ));
    }
    if parts.is_empty() {
        "Every ticket".to_owned()
    } else {
        parts.join(", ")
    }
}

/// The routing page: queues with their figures, the agents, the metrics.
///
/// # Errors
/// Permission; database errors.
#[allow(clippy::too_many_lines)]
pub async fn page(state: &AppState, actor: &Actor) -> ServiceResult<RoutingPage> {
    actor.require(Action::ManageAutomation)?;
    let db = &state.db;
    let scope = actor.scope;
    let t = now();
    let teams = teams(db, scope).await?;
    let schedules = schedules(db, scope).await?;
    let segments = super::segments::names(db, scope).await?;
    let rows = scope
        .find::<routing_queue::Entity>()
        .order_by_asc(routing_queue::Column::Position)
        .order_by_asc(routing_queue::Column::Id)
        .all(db)
        .await?;
    let ((waiting, routed), mut waits) = queue_figures(db, scope, t).await?;
    let mut catch_all: Option<&str> = None;
    let queues = rows
        .iter()
        .map(|q| {
            let note = catch_all.map(|n| {
                format!("Never reached: “{n}” above takes every ticket. Move this queue up.")
            });
            if q.enabled
                && catch_all.is_none()
                && q.channels.is_empty()
                && q.priorities.is_empty()
                && q.tag.is_empty()
                && q.team_id.is_none()
                && q.segment_id.is_none()
            {
                catch_all = Some(&q.name);
            }
            let form = form_of(q);
            let (n, oldest) = waiting.get(&q.id).copied().unwrap_or_default();
            let (r, total) = routed.get(&q.id).copied().unwrap_or_default();
            let pool = {
                let who = name_of(&teams, q.team_id)
                    .map_or_else(|| "Every agent".to_owned(), |t| format!("Team {t}"));
                if form.skills.is_empty() {
                    who
                } else {
                    format!("{who} with {}", form.skills.join(", "))
                }
            };
            QueueView {
                id: q.id,
                position: q.position,
                takes: takes_text(&form, &teams, &segments),
                pool,
                hours: name_of(&schedules, q.schedule_id).unwrap_or_else(|| "Any time".into()),
                waiting: n,
                oldest_wait_secs: (n > 0).then_some(oldest),
                routed_24h: r,
                avg_assign_secs: (r > 0).then(|| total / i64::try_from(r).unwrap_or(1)),
                note,
                form,
            }
        })
        .collect();
    let members: Vec<(membership::Model, Option<user::Model>)> = scope
        .find::<membership::Entity>()
        .find_also_related(user::Entity)
        .order_by_asc(membership::Column::Id)
        .all(db)
        .await?;
    let members: Vec<_> = members
        .into_iter()
        .filter(|(m, _)| Role::parse(&m.role).is_some_and(|r| can(r, Action::ReplyToCustomers)))
        .collect();
    let ids: Vec<i32> = members.iter().map(|(m, _)| m.user_id).collect();
    let mut open: HashMap<(i32, String), u32> = HashMap::new();
    if !ids.is_empty() {
        let rows: Vec<(Option<i32>, String, i64)> = scope
            .find::<conversation::Entity>()
            .filter(conversation::Column::AssigneeId.is_in(ids))
            .filter(conversation::Column::Status.is_in(["new", "open"]))
            .select_only()
            .column(conversation::Column::AssigneeId)
            .column(conversation::Column::Channel)
            .column_as(conversation::Column::Id.count(), "n")
            .group_by(conversation::Column::AssigneeId)
            .group_by(conversation::Column::Channel)
            .into_tuple()
            .all(db)
            .await?;
        for (u, ch, n) in rows {
            open.insert(
                (u.unwrap_or_default(), ch),
                u32::try_from(n).unwrap_or(u32::MAX),
            );
        }
    }
    let mut metrics = RoutingMetrics::default();
    let (mut used, mut cap) = (0_u64, 0_u64);
    let agents = members
        .into_iter()
        .map(|(m, u)| {
            let status = AgentStatus::parse(&m.presence).unwrap_or(AgentStatus::Online);
            let channels: Vec<ChannelLoad> = Channel::ALL
                .iter()
                .map(|c| ChannelLoad {
                    channel: c.as_str().to_owned(),
                    open: open
                        .get(&(m.user_id, c.as_str().to_owned()))
                        .copied()
                        .unwrap_or(0),
                    capacity: capacity_of(&m.capacity, *c),
                })
                .collect();
            // Utilisation over the channels the agent has work on (chat and
            // email when idle), so an agent with room everywhere reads 0 %.
            let worked: Vec<&ChannelLoad> = channels
                .iter()
                .filter(|l| l.open > 0 || matches!(l.channel.as_str(), "chat" | "email"))
                .collect();
            let (o, c) = worked.iter().fold((0_u64, 0_u64), |(o, c), l| {
                (o + u64::from(l.open), c + u64::from(l.capacity))
            });
            match status {
                AgentStatus::Online => {
                    metrics.online += 1;
                    used += o;
                    cap += c;
                }
                AgentStatus::Away => metrics.away += 1,
                AgentStatus::Offline => {}
            }
            RoutingAgentView {
                user_id: m.user_id,
                name: u.as_ref().map(|u| u.name.clone()).unwrap_or_default(),
                email: u.map(|u| u.email).unwrap_or_default(),
                status,
                status_auto: m.presence_auto,
                skills: skills_of(&m.skills),
                channels,
                utilisation_pct: pct(o, c),
                last_seen: m.last_seen_at.map(|t| t.to_rfc3339()),
            }
        })
        .collect();
    metrics.waiting = waiting.values().map(|(n, _)| n).sum();
    metrics.routed_24h = waits.len() as u64;
    if !waits.is_empty() {
        waits.sort_unstable();
        let n = i64::try_from(waits.len()).unwrap_or(1);
        metrics.avg_assign_secs = Some(waits.iter().sum::<i64>() / n);
        let i = (waits.len() * 9).div_ceil(10).saturating_sub(1);
        metrics.p90_assign_secs = waits.get(i).copied();
    }
    metrics.utilisation_pct = pct(used, cap);
    Ok(RoutingPage {
        queues,
        agents,
        metrics,
    })
}

/// What the queue editor chooses from.
///
/// # Errors
/// Permission; database errors.
pub async fn lists(state: &AppState, actor: &Actor) -> ServiceResult<RoutingLists> {
    actor.require(Action::ManageAutomation)?;
    Ok(RoutingLists {
        teams: teams(&state.db, actor.scope).await?,
        schedules: schedules(&state.db, actor.scope).await?,
        segments: super::segments::names(&state.db, actor.scope).await?,
    })
}

fn pct(a: u64, b: u64) -> u32 {
    (a * 100)
        .checked_div(b)
        .map_or(0, |p| u32::try_from(p).unwrap_or(u32::MAX))
}

/// Creates (no id) or changes a queue; the workspace's waiting tickets are
/// offered to it at once.
///
/// # Errors
/// Permission; `Invalid` naming the field; `Conflict` for a name in use;
/// `NotFound`.
#[allow(clippy::too_many_lines)]
pub async fn save_queue(
    state: &AppState,
    actor: &Actor,
    form: &QueueForm,
) -> ServiceResult<QueueView> {
    actor.require(Action::ManageAutomation)?;
    let db = &state.db;
    let scope = actor.scope;
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(ServiceError::invalid(
            "name",
            "A name must be 1 to 80 characters.",
        ));
    }
    let mut channels = Vec::new();
    for c in &form.channels {
        let c = Channel::parse(c.trim())
            .ok_or_else(|| ServiceError::invalid("channels", format!("“{c}” is not a channel.")))?;
        if !channels.contains(&c.as_str()) {
            channels.push(c.as_str());
        }
    }
    let mut prios = Vec::new();
    for p in &form.priorities {
        let p = Priority::parse(p.trim()).ok_or_else(|| {
            ServiceError::invalid("priorities", format!("“{p}” is not a priority."))
        })?;
        if !prios.contains(&p.as_str()) {
            prios.push(p.as_str());
        }
    }
    let tag = if form.tag.trim().is_empty() {
        String::new()
    } else {
        normalize_tag(&form.tag).map_err(|e| ServiceError::invalid("tag", e.to_string()))?
    };
    let strategy = RoutingStrategy::parse(form.strategy.trim()).ok_or_else(|| {
        ServiceError::invalid(
            "strategy",
            "Choose round robin, load balanced, skill match or priority weighted.",
        )
    })?;
    let skills = check_skills("skills", &form.skills)?;
    let teams = teams(db, scope).await?;
    for (field, t) in [
        ("team_id", form.team_id),
        ("overflow_team_id", form.overflow_team_id),
    ] {
        if t.is_some() && name_of(&teams, t).is_none() {
            return Err(ServiceError::invalid(field, "Choose one of your teams."));
        }
    }
    if form.schedule_id.is_some()
        && name_of(&schedules(db, scope).await?, form.schedule_id).is_none()
    {
        return Err(ServiceError::invalid(
            "schedule_id",
            "Choose one of your business-hours schedules.",
        ));
    }
    if let Some(m) = form.overflow_after_mins {
        if !(1..=MAX_OVERFLOW_MINS).contains(&m) {
            return Err(ServiceError::invalid(
                "overflow_after_mins",
                "Overflow after 1 minute to a week (or leave it empty for never).",
            ));
        }
    }
    super::segments::require_own(db, scope, form.segment_id).await?;
    let t = now();
    let row = match form.id {
        None => {
            let position = scope
                .find::<routing_queue::Entity>()
                .select_only()
                .column_as(routing_queue::Column::Position.max(), "m")
                .into_tuple::<Option<i32>>()
                .one(db)
                .await?
                .flatten()
                .unwrap_or(0)
                + 1;
            routing_queue::ActiveModel {
                workspace_id: Set(scope.workspace_id()),
                name: Set(name.to_owned()),
                position: Set(position),
                channels: Set(channels.join(",")),
                priorities: Set(prios.join(",")),
                tag: Set(tag),
                team_id: Set(form.team_id),
                segment_id: Set(form.segment_id),
                skills: Set(skills),
                strategy: Set(strategy.as_str().to_owned()),
                schedule_id: Set(form.schedule_id),
                overflow_after_mins: Set(form.overflow_after_mins),
                overflow_team_id: Set(form.overflow_team_id),
                enabled: Set(form.enabled),
                rotation_user_id: Set(None),
                routed_count: Set(0),
                created_at: Set(t),
                updated_at: Set(t),
                ..Default::default()
            }
            .insert(db)
            .await
            .map_err(taken)?
        }
        Some(id) => {
            let mut m = find_queue(db, scope, id).await?.into_active_model();
            m.name = Set(name.to_owned());
            m.channels = Set(channels.join(","));
            m.priorities = Set(prios.join(","));
            m.tag = Set(tag);
            m.team_id = Set(form.team_id);
            m.segment_id = Set(form.segment_id);
            m.skills = Set(skills);
            m.strategy = Set(strategy.as_str().to_owned());
            m.schedule_id = Set(form.schedule_id);
            m.overflow_after_mins = Set(form.overflow_after_mins);
            m.overflow_team_id = Set(form.overflow_team_id);
            m.enabled = Set(form.enabled);
            m.updated_at = Set(t);
            m.update(db).await.map_err(taken)?
        }
    };
    engine::drain_now(state, scope).await?;
    let page = page(state, actor).await?;
    page.queues
        .into_iter()
        .find(|q| q.id == row.id)
        .ok_or(ServiceError::NotFound("Queue"))
}

/// The names of the workspace's queues that take only segment `id`'s
/// customers (a segment in use cannot be deleted).
///
/// # Errors
/// Database errors.
pub async fn using_segment(
    db: &impl ConnectionTrait,
    scope: Scoped,
    id: i32,
) -> ServiceResult<Vec<String>> {
    Ok(scope
        .find::<routing_queue::Entity>()
        .filter(routing_queue::Column::SegmentId.eq(id))
        .order_by_asc(routing_queue::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|q| q.name)
        .collect())
}

/// Moves a queue up or down the matching order.
///
/// # Errors
/// Permission; `NotFound`.
pub async fn move_queue(state: &AppState, actor: &Actor, id: i32, up: bool) -> ServiceResult<()> {
    actor.require(Action::ManageAutomation)?;
    let _turn = state.sqlite_write_turn().await;
    let txn = state.db.begin().await?;
    find_queue(&txn, actor.scope, id).await?;
    let mut all = actor
        .scope
        .find::<routing_queue::Entity>()
        .order_by_asc(routing_queue::Column::Position)
        .order_by_asc(routing_queue::Column::Id)
        .all(&txn)
        .await?;
    let i = all.iter().position(|q| q.id == id).unwrap_or_default();
    let j = if up { i.checked_sub(1) } else { Some(i + 1) };
    if let Some(j) = j.filter(|j| *j < all.len()) {
        all.swap(i, j);
        for (n, q) in all.into_iter().enumerate() {
            let pos = i32::try_from(n).unwrap_or(i32::MAX) + 1;
            if q.position != pos {
                let mut m = q.into_active_model();
                m.position = Set(pos);
                m.update(&txn).await?;
            }
        }
    }
    txn.commit().await?;
    Ok(())
}

/// Deletes a queue; its waiting tickets stay unassigned, out of any queue.
///
/// # Errors
/// Permission; `NotFound`.
pub async fn delete_queue(state: &AppState, actor: &Actor, id: i32) -> ServiceResult<()> {
    actor.require(Action::ManageAutomation)?;
    find_queue(&state.db, actor.scope, id).await?;
    let _turn = state.sqlite_write_turn().await;
    let txn = state.db.begin().await?;
    actor
        .scope
        .update_many::<conversation::Entity>()
        .col_expr(
            conversation::Column::QueueId,
            Expr::value(Option::<i32>::None),
        )
        .filter(conversation::Column::QueueId.eq(id))
        .exec(&txn)
        .await?;
    actor
        .scope
        .delete_many::<routing_queue::Entity>()
        .filter(routing_queue::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

async fn member(
    db: &impl ConnectionTrait,
    scope: Scoped,
    user_id: i32,
) -> ServiceResult<membership::Model> {
    scope
        .find::<membership::Entity>()
        .filter(membership::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Member"))
}

/// Sets an agent's skills and capacity; waiting tickets are offered again.
///
/// # Errors
/// Permission; `Invalid` naming the skill or channel; `NotFound`.
pub async fn save_agent(
    state: &AppState,
    actor: &Actor,
    form: &AgentRoutingForm,
) -> ServiceResult<()> {
    actor.require(Action::ManageAutomation)?;
    let m = member(&state.db, actor.scope, form.user_id).await?;
    let skills = check_skills("skills", &form.skills)?;
    let mut cap: HashMap<String, u32> = HashMap::new();
    for (ch, n) in &form.capacity {
        let c = Channel::parse(ch.trim()).ok_or_else(|| {
            ServiceError::invalid("capacity", format!("“{ch}” is not a channel."))
        })?;
        if *n > MAX_CAPACITY {
            return Err(ServiceError::invalid(
                "capacity",
                format!("{}: at most {MAX_CAPACITY} tickets at once.", c.label()),
            ));
        }
        if *n != default_capacity(c) {
            cap.insert(c.as_str().to_owned(), *n);
        }
    }
    let mut am = m.into_active_model();
    am.skills = Set(skills);
    am.capacity = Set(if cap.is_empty() {
        String::new()
    } else {
        serde_json::to_string(&cap).unwrap_or_default()
    });
    {
        let _turn = state.sqlite_write_turn().await;
        am.update(&state.db).await?;
    }
    engine::drain_now(state, actor.scope).await?;
    Ok(())
}

/// The signed-in member's status.
///
/// # Errors
/// `NotFound` (not a member).
pub async fn my_status(state: &AppState, actor: &Actor) -> ServiceResult<MyStatus> {
    let m = member(&state.db, actor.scope, actor.user_id).await?;
    Ok(MyStatus {
        status: AgentStatus::parse(&m.presence).unwrap_or(AgentStatus::Online),
        auto: m.presence_auto,
    })
}

/// Sets the signed-in member's status by hand (back online: waiting tickets
/// are offered at once).
///
/// # Errors
/// `NotFound` (not a member).
pub async fn set_status(
    state: &AppState,
    actor: &Actor,
    status: AgentStatus,
) -> ServiceResult<MyStatus> {
    let t = now();
    {
        let _turn = state.sqlite_write_turn().await;
        actor
            .scope
            .update_many::<membership::Entity>()
            .col_expr(membership::Column::Presence, Expr::value(status.as_str()))
            .col_expr(membership::Column::PresenceAuto, Expr::value(false))
            .col_expr(membership::Column::LastActiveAt, Expr::value(t))
            .col_expr(membership::Column::LastSeenAt, Expr::value(t))
            .filter(membership::Column::UserId.eq(actor.user_id))
            .exec(&state.db)
            .await?;
    }
    if status == AgentStatus::Online {
        engine::drain_now(state, actor.scope).await?;
    }
    state.bus.publish(super::bus::Event::new(
        actor.scope.workspace_id(),
        "team.status_changed",
        serde_json::json!({"user_id": actor.user_id, "status": status.as_str()}),
    ));
    my_status(state, actor).await
}

/// A heartbeat from an open admin app (`active`: keyboard or pointer use since
/// the last one). An agent the sweep set away or offline comes back online when
/// active again; one who chose away or offline stays so.
///
/// # Errors
/// `NotFound` (not a member).
pub async fn heartbeat(state: &AppState, actor: &Actor, active: bool) -> ServiceResult<MyStatus> {
    let t = now();
    let before = member(&state.db, actor.scope, actor.user_id).await?;
    let back = active && before.presence_auto && before.presence != AgentStatus::Online.as_str();
    {
        let _turn = state.sqlite_write_turn().await;
        let mut q = actor
            .scope
            .update_many::<membership::Entity>()
            .col_expr(membership::Column::LastSeenAt, Expr::value(t));
        if active {
            q = q.col_expr(membership::Column::LastActiveAt, Expr::value(t));
        }
        if back {
            q = q
                .col_expr(
                    membership::Column::Presence,
                    Expr::value(AgentStatus::Online.as_str()),
                )
                .col_expr(membership::Column::PresenceAuto, Expr::value(false));
        }
        q.filter(membership::Column::UserId.eq(actor.user_id))
            .exec(&state.db)
            .await?;
    }
    if back {
        engine::drain_now(state, actor.scope).await?;
    }
    my_status(state, actor).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn skills_are_checked_and_normalised() {
        assert_eq!(
            check_skills(
                "skills",
                &[
                    " Language:FR ".into(),
                    "tier:vip".into(),
                    "language:fr".into()
                ]
            )
            .unwrap(),
            "language:fr,tier:vip"
        );
        assert!(check_skills("skills", &["a:b:c".into()]).is_err());
        assert!(check_skills("skills", &[":x".into()]).is_err());
        assert!(check_skills("skills", &["two words".into()]).is_err());
    }

    #[test]
    fn capacity_falls_back_to_defaults() {
        assert_eq!(capacity_of("", Channel::Chat), 3);
        assert_eq!(capacity_of(r#"{"chat":5}"#, Channel::Chat), 5);
        assert_eq!(capacity_of(r#"{"chat":5}"#, Channel::Email), 10);
        assert_eq!(capacity_of("not json", Channel::Email), 10);
    }
}
