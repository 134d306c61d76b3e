//! Business hours and SLA policies (SPEC C7.7): several schedules, each in its
//! own time zone with holidays; policies with first-response, next-response and
//! resolution targets per priority and customer segment (a tag), measured in a
//! schedule's business hours. [`calc`] holds the arithmetic, [`sla`] the clocks
//! on tickets (a pipeline stage and a sweep that warns and breaches).

pub mod calc;
pub mod sla;

use super::context::Actor;
use super::tenancy::Scoped;
use super::{now, AppState, ServiceError, ServiceResult};
use crate::permissions::Action;
use crate::types::{
    Holiday, OpenHours, Priority, ScheduleForm, ScheduleView, SlaPage, SlaPolicyForm,
    SlaPolicyView, WEEKDAYS,
};
use entity::{business_schedule, sla_policy};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set, SqlErr,
};

/// Largest target, in minutes (a year).
const MAX_TARGET_MINS: i32 = 525_600;
/// Most holidays in one schedule.
const MAX_HOLIDAYS: usize = 200;

/// The arithmetic schedule of a row (an unreadable row: no open time, so no
/// target is ever due early).
pub fn schedule_of(row: &business_schedule::Model) -> Result<calc::Schedule, String> {
    let hours: Vec<OpenHours> = serde_json::from_str(&row.hours).unwrap_or_default();
    let holidays: Vec<Holiday> = serde_json::from_str(&row.holidays).unwrap_or_default();
    build(&row.time_zone, &hours, &holidays)
}

fn build(tz: &str, hours: &[OpenHours], holidays: &[Holiday]) -> Result<calc::Schedule, String> {
    let mut week: [Vec<(u16, u16)>; 7] = Default::default();
    for h in hours {
        let day = usize::from(h.day);
        let name = WEEKDAYS
            .get(day)
            .ok_or_else(|| format!("Day {} is not a weekday (0 = Monday … 6 = Sunday).", h.day))?;
        let o = calc::parse_hhmm(&h.open)
            .ok_or_else(|| format!("{name}: “{}” is not a time like 09:00.", h.open))?;
        let c = calc::parse_hhmm(&h.close)
            .ok_or_else(|| format!("{name}: “{}” is not a time like 17:00.", h.close))?;
        week[day].push((o, c));
    }
    let mut dates = Vec::new();
    for d in holidays {
        dates.push(d.date.trim().parse::<jiff::civil::Date>().map_err(|_| {
            format!(
                "Holiday “{}”: “{}” is not a date like 2026-12-25.",
                d.name, d.date
            )
        })?);
    }
    calc::Schedule::new(tz.trim(), week, dates)
}

/// The business-hours clock at `t` for a ticket: whether its schedule (its SLA
/// policy's, else the workspace's first) is open, and the weekday (`monday`…)
/// and hour in that schedule's zone. Without a schedule: open, in UTC.
///
/// # Errors
/// Database errors.
pub async fn clock_at(
    db: &impl ConnectionTrait,
    scope: Scoped,
    sla_policy_id: Option<i32>,
    t: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<(bool, &'static str, i8)> {
    let from_policy = match sla_policy_id {
        Some(p) => scope
            .find::<sla_policy::Entity>()
            .filter(sla_policy::Column::Id.eq(p))
            .one(db)
            .await?
            .and_then(|p| p.schedule_id),
        None => None,
    };
    let mut q = scope.find::<business_schedule::Entity>();
    q = match from_policy {
        Some(id) => q.filter(business_schedule::Column::Id.eq(id)),
        None => q.order_by_asc(business_schedule::Column::Id),
    };
    let row = q.one(db).await?;
    let ts = jiff::Timestamp::from_second(t.timestamp()).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let (open, tz) = match &row {
        Some(r) => (
            schedule_of(r).is_ok_and(|s| s.is_open(ts)),
            jiff::tz::TimeZone::get(&r.time_zone).unwrap_or(jiff::tz::TimeZone::UTC),
        ),
        None => (true, jiff::tz::TimeZone::UTC),
    };
    let z = ts.to_zoned(tz);
    let day = WEEKDAYS[usize::from(z.weekday().to_monday_zero_offset().unsigned_abs())];
    let day = match day {
        "Monday" => "monday",
        "Tuesday" => "tuesday",
        "Wednesday" => "wednesday",
        "Thursday" => "thursday",
        "Friday" => "friday",
        "Saturday" => "saturday",
        _ => "sunday",
    };
    Ok((open, day, z.hour()))
}

/// JSON of a view list (these types always serialize).
fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

/// "Mon–Fri 09:00–17:00, Sat 10:00–14:00".
fn summary(hours: &[OpenHours]) -> String {
    let short = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let mut by_day: Vec<(u8, String)> = Vec::new();
    for d in 0..7u8 {
        let mut ranges: Vec<&OpenHours> = hours.iter().filter(|h| h.day == d).collect();
        ranges.sort_by(|a, b| a.open.cmp(&b.open));
        if !ranges.is_empty() {
            let text = ranges
                .iter()
                .map(|h| format!("{}–{}", h.open, h.close))
                .collect::<Vec<_>>()
                .join(", ");
            by_day.push((d, text));
        }
    }
    if by_day.is_empty() {
        return "Closed every day".to_owned();
    }
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < by_day.len() {
        let mut j = i;
        while j + 1 < by_day.len()
            && by_day[j + 1].1 == by_day[i].1
            && by_day[j + 1].0 == by_day[j].0 + 1
        {
            j += 1;
        }
        let days = if i == j {
            short[usize::from(by_day[i].0)].to_owned()
        } else {
            format!(
                "{}–{}",
                short[usize::from(by_day[i].0)],
                short[usize::from(by_day[j].0)]
            )
        };
        parts.push(format!("{days} {}", by_day[i].1));
        i = j + 1;
    }
    parts.join(", ")
}

fn schedule_view(row: business_schedule::Model) -> ScheduleView {
    let hours: Vec<OpenHours> = serde_json::from_str(&row.hours).unwrap_or_default();
    let holidays: Vec<Holiday> = serde_json::from_str(&row.holidays).unwrap_or_default();
    let (open_now, next_change) = match schedule_of(&row) {
        Ok(s) => {
            let t = jiff::Timestamp::now();
            let open = s.is_open(t);
            let next = if open {
                // The end of the current open stretch.
                let mut x = t;
                for _ in 0..(14 * 24 * 4) {
                    match jiff::Timestamp::from_second(x.as_second() + 900) {
                        Ok(n) if s.is_open(n) => x = n,
                        _ => break,
                    }
                }
                Some(x)
            } else {
                s.next_business_moment(t)
            };
            (open, next.map(|n| n.to_string()))
        }
        Err(_) => (false, None),
    };
    ScheduleView {
        id: row.id,
        summary: summary(&hours),
        name: row.name,
        time_zone: row.time_zone,
        hours,
        holidays,
        open_now,
        next_change,
    }
}

fn policy_view(p: sla_policy::Model, schedules: &[business_schedule::Model]) -> SlaPolicyView {
    let schedule = p
        .schedule_id
        .and_then(|s| schedules.iter().find(|x| x.id == s))
        .map_or_else(|| "Around the clock".to_owned(), |s| s.name.clone());
    SlaPolicyView {
        id: p.id,
        position: p.position,
        schedule,
        form: SlaPolicyForm {
            id: Some(p.id),
            name: p.name,
            priorities: p
                .priorities
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            tag: p.tag,
            schedule_id: p.schedule_id,
            first_response_mins: p.first_response_mins,
            next_response_mins: p.next_response_mins,
            resolution_mins: p.resolution_mins,
            warn_mins: p.warn_mins,
            enabled: p.enabled,
        },
    }
}

async fn schedules(
    db: &impl ConnectionTrait,
    scope: Scoped,
) -> ServiceResult<Vec<business_schedule::Model>> {
    Ok(scope
        .find::<business_schedule::Entity>()
        .order_by_asc(business_schedule::Column::Id)
        .all(db)
        .await?)
}

/// Schedules and policies.
///
/// # Errors
/// Permission; database errors.
pub async fn page(state: &AppState, actor: &Actor) -> ServiceResult<SlaPage> {
    actor.require(Action::ManageAutomation)?;
    let s = schedules(&state.db, actor.scope).await?;
    let policies = actor
        .scope
        .find::<sla_policy::Entity>()
        .order_by_asc(sla_policy::Column::Position)
        .order_by_asc(sla_policy::Column::Id)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|p| policy_view(p, &s))
        .collect();
    Ok(SlaPage {
        schedules: s.into_iter().map(schedule_view).collect(),
        policies,
    })
}

fn taken(field: &'static str, what: &'static str) -> impl Fn(sea_orm::DbErr) -> ServiceError {
    move |e| {
        if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
            ServiceError::conflict(field, format!("Another {what} already has this name."))
        } else {
            ServiceError::Db(e)
        }
    }
}

fn check_name(name: &str) -> ServiceResult<String> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 80 {
        return Err(ServiceError::invalid(
            "name",
            "A name must be 1 to 80 characters.",
        ));
    }
    Ok(n.to_owned())
}

/// Creates (no id) or changes a schedule.
///
/// # Errors
/// Permission; `Invalid` naming the day, time or holiday at fault; `Conflict`
/// for a name in use; `NotFound`.
pub async fn save_schedule(
    state: &AppState,
    actor: &Actor,
    form: &ScheduleForm,
) -> ServiceResult<ScheduleView> {
    actor.require(Action::ManageAutomation)?;
    let name = check_name(&form.name)?;
    if jiff::tz::TimeZone::get(form.time_zone.trim()).is_err() {
        return Err(ServiceError::invalid(
            "time_zone",
            format!(
                "“{}” is not a time zone; use a name like America/New_York or Europe/Berlin.",
                form.time_zone.trim()
            ),
        ));
    }
    if form.holidays.len() > MAX_HOLIDAYS {
        return Err(ServiceError::invalid(
            "holidays",
            format!("A schedule can have at most {MAX_HOLIDAYS} holidays."),
        ));
    }
    let holidays: Vec<Holiday> = form
        .holidays
        .iter()
        .map(|h| Holiday {
            date: h.date.trim().to_owned(),
            name: h.name.trim().chars().take(80).collect(),
        })
        .collect();
    let hours: Vec<OpenHours> = form
        .hours
        .iter()
        .map(|h| OpenHours {
            day: h.day,
            open: h.open.trim().to_owned(),
            close: h.close.trim().to_owned(),
        })
        .collect();
    let s = build(&form.time_zone, &hours, &holidays).map_err(|m| {
        let field = if m.starts_with("Holiday") {
            "holidays"
        } else {
            "hours"
        };
        ServiceError::invalid(field, m)
    })?;
    if !s.has_hours() {
        return Err(ServiceError::invalid(
            "hours",
            "Open the schedule on at least one day.",
        ));
    }
    let (h, d) = (json(&hours), json(&holidays));
    let t = now();
    let row = match form.id {
        None => business_schedule::ActiveModel {
            workspace_id: Set(actor.scope.workspace_id()),
            name: Set(name),
            time_zone: Set(form.time_zone.trim().to_owned()),
            hours: Set(h),
            holidays: Set(d),
            created_at: Set(t),
            updated_at: Set(t),
            ..Default::default()
        }
        .insert(&state.db)
        .await
        .map_err(taken("name", "schedule"))?,
        Some(id) => {
            let mut m = find_schedule(&state.db, actor.scope, id)
                .await?
                .into_active_model();
            m.name = Set(name);
            m.time_zone = Set(form.time_zone.trim().to_owned());
            m.hours = Set(h);
            m.holidays = Set(d);
            m.updated_at = Set(t);
            m.update(&state.db)
                .await
                .map_err(taken("name", "schedule"))?
        }
    };
    Ok(schedule_view(row))
}

async fn find_schedule(
    db: &impl ConnectionTrait,
    scope: Scoped,
    id: i32,
) -> ServiceResult<business_schedule::Model> {
    scope
        .find::<business_schedule::Entity>()
        .filter(business_schedule::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Schedule"))
}

async fn find_policy(
    db: &impl ConnectionTrait,
    scope: Scoped,
    id: i32,
) -> ServiceResult<sla_policy::Model> {
    scope
        .find::<sla_policy::Entity>()
        .filter(sla_policy::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("SLA policy"))
}

/// Deletes a schedule no policy uses.
///
/// # Errors
/// Permission; `NotFound`; `Conflict` naming the policies that use it.
pub async fn delete_schedule(state: &AppState, actor: &Actor, id: i32) -> ServiceResult<()> {
    actor.require(Action::ManageAutomation)?;
    find_schedule(&state.db, actor.scope, id).await?;
    let users: Vec<String> = actor
        .scope
        .find::<sla_policy::Entity>()
        .filter(sla_policy::Column::ScheduleId.eq(id))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|p| p.name)
        .collect();
    if !users.is_empty() {
        return Err(ServiceError::conflict(
            "id",
            format!(
                "The SLA policies {} measure time with this schedule; change them first.",
                users.join(", ")
            ),
        ));
    }
    actor
        .scope
        .delete_many::<business_schedule::Entity>()
        .filter(business_schedule::Column::Id.eq(id))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// Creates (no id) or changes a policy.
///
/// # Errors
/// Permission; `Invalid` naming the field; `Conflict` for a name in use;
/// `NotFound`.
pub async fn save_policy(
    state: &AppState,
    actor: &Actor,
    form: &SlaPolicyForm,
) -> ServiceResult<SlaPolicyView> {
    actor.require(Action::ManageAutomation)?;
    let name = check_name(&form.name)?;
    let mut prios = Vec::new();
    for p in &form.priorities {
        let p = Priority::parse(p.trim()).ok_or_else(|| {
            ServiceError::invalid("priorities", format!("“{p}” is not a priority."))
        })?;
        if !prios.contains(&p) {
            prios.push(p);
        }
    }
    let tag = if form.tag.trim().is_empty() {
        String::new()
    } else {
        super::inbox::conversations::normalize_tag(&form.tag)
            .map_err(|e| ServiceError::invalid("tag", e.to_string()))?
    };
    if let Some(s) = form.schedule_id {
        find_schedule(&state.db, actor.scope, s)
            .await
            .map_err(|_| ServiceError::invalid("schedule_id", "Choose one of your schedules."))?;
    }
    let targets = [
        ("first_response_mins", form.first_response_mins),
        ("next_response_mins", form.next_response_mins),
        ("resolution_mins", form.resolution_mins),
    ];
    for (field, v) in targets {
        if let Some(v) = v {
            if !(1..=MAX_TARGET_MINS).contains(&v) {
                return Err(ServiceError::invalid(
                    field,
                    "A target must be between 1 minute and a year.",
                ));
            }
        }
    }
    if targets.iter().all(|(_, v)| v.is_none()) {
        return Err(ServiceError::invalid(
            "first_response_mins",
            "Set at least one target (first reply, next reply or resolution).",
        ));
    }
    if !(0..=1440).contains(&form.warn_mins) {
        return Err(ServiceError::invalid(
            "warn_mins",
            "Warn between 0 minutes and a day before a target.",
        ));
    }
    let prios = prios
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let t = now();
    let row = match form.id {
        None => {
            let position = actor
                .scope
                .find::<sla_policy::Entity>()
                .select_only()
                .column_as(sla_policy::Column::Position.max(), "m")
                .into_tuple::<Option<i32>>()
                .one(&state.db)
                .await?
                .flatten()
                .unwrap_or(0)
                + 1;
            sla_policy::ActiveModel {
                workspace_id: Set(actor.scope.workspace_id()),
                name: Set(name),
                position: Set(position),
                priorities: Set(prios),
                tag: Set(tag),
                schedule_id: Set(form.schedule_id),
                first_response_mins: Set(form.first_response_mins),
                next_response_mins: Set(form.next_response_mins),
                resolution_mins: Set(form.resolution_mins),
                warn_mins: Set(form.warn_mins),
                enabled: Set(form.enabled),
                created_at: Set(t),
                updated_at: Set(t),
                ..Default::default()
            }
            .insert(&state.db)
            .await
            .map_err(taken("name", "policy"))?
        }
        Some(id) => {
            let mut m = find_policy(&state.db, actor.scope, id)
                .await?
                .into_active_model();
            m.name = Set(name);
            m.priorities = Set(prios);
            m.tag = Set(tag);
            m.schedule_id = Set(form.schedule_id);
            m.first_response_mins = Set(form.first_response_mins);
            m.next_response_mins = Set(form.next_response_mins);
            m.resolution_mins = Set(form.resolution_mins);
            m.warn_mins = Set(form.warn_mins);
            m.enabled = Set(form.enabled);
            m.updated_at = Set(t);
            m.update(&state.db).await.map_err(taken("name", "policy"))?
        }
    };
    let s = schedules(&state.db, actor.scope).await?;
    Ok(policy_view(row, &s))
}

/// Deletes a policy (tickets keep the targets they were given).
///
/// # Errors
/// Permission; `NotFound`.
pub async fn delete_policy(state: &AppState, actor: &Actor, id: i32) -> ServiceResult<()> {
    actor.require(Action::ManageAutomation)?;
    find_policy(&state.db, actor.scope, id).await?;
    actor
        .scope
        .delete_many::<sla_policy::Entity>()
        .filter(sla_policy::Column::Id.eq(id))
        .exec(&state.db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_group_days() {
        let h = |day, open: &str, close: &str| OpenHours {
            day,
            open: open.into(),
            close: close.into(),
        };
        let week: Vec<OpenHours> = (0..5)
            .map(|d| h(d, "09:00", "17:00"))
            .chain([h(5, "10:00", "14:00")])
            .collect();
        assert_eq!(summary(&week), "Mon–Fri 09:00–17:00, Sat 10:00–14:00");
        assert_eq!(summary(&[]), "Closed every day");
    }
}
