//! The report builder (SPEC C8.1): a metric over the conversations created in a
//! period, grouped by time or by a dimension (and split into series by a second
//! one), filtered, drawn as an ECharts option built with charming; the
//! conversations behind any point (drill-down); saved reports ([`saved`]).
//!
//! **How it is computed: indexed aggregates over report facts.** Reports do not
//! read `conversations`: database triggers keep `report_facts`, one narrow row of
//! integers and short codes per live conversation (creation time in epoch
//! seconds, the dimensions, seconds to first reply and to solve, AI, SLA and
//! survey outcomes, the agents' reply count), current inside every transaction
//! that changes a conversation, a message or a survey answer (migration
//! `m20270103_000038_report_facts`). One `GROUP BY` statement per report reads
//! the period's facts through their (workspace, creation time) key and sums only
//! what the metric needs. Time is grouped by UTC hour in SQL and the hours are
//! placed in the viewer's days, weeks and months here, with the time-zone
//! database, so daylight-saving changes land right (zones with a half-hour offset
//! put an hour in the day it starts). Every metric counts conversations by
//! creation time, and a drill-down selects its conversations from the same facts
//! with the same conditions, so a point's list is exactly what it counted.

pub mod dashboards;
pub mod digest;
pub mod exports;
pub mod live;
pub mod pdf;
pub mod predict;
pub mod saved;

use super::context::Actor;
use super::segments;
use super::tenancy::Scoped;
use super::{now, ServiceError, ServiceResult};
use crate::permissions::Action;
use crate::types::{
    Channel, ChartKind, DrillDown, DrillRow, Group, Metric, Priority, ReportFilters, ReportOption,
    ReportPoint, ReportResult, ReportSpec, Status, Unit, DRILL_LIMIT,
};
use charming::component::{Axis, Grid, Legend};
use charming::element::{AxisType, Tooltip, Trigger};
use charming::series::{Bar, Line, Pie};
use charming::Chart;
use entity::report_fact as fact;
use entity::{conversation, conversation_tag, customer, tag, team};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};
use sea_orm::sea_query::{Alias, Expr, JoinType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    Select,
};
use std::collections::HashMap;

/// The longest period a report covers, in days.
pub const MAX_DAYS: i64 = 366;
/// The longest period grouped by hour, in days.
pub const MAX_HOUR_DAYS: i64 = 14;
const OPEN: [&str; 4] = ["new", "open", "pending", "on_hold"];

/// Refuses a definition that cannot be drawn, saying what to change.
///
/// # Errors
/// `Invalid` naming the field.
pub fn check(spec: &ReportSpec) -> ServiceResult<()> {
    if !(1..=MAX_DAYS).contains(&spec.days) {
        return Err(ServiceError::invalid(
            "days",
            "Choose a period of 1 to 366 days.",
        ));
    }
    if spec.group == Group::Hour && spec.days > MAX_HOUR_DAYS {
        return Err(ServiceError::invalid(
            "group",
            "Grouping by hour covers at most 14 days: choose a shorter period or group by day.",
        ));
    }
    if spec.split != Group::Nothing {
        if spec.split.is_time() || spec.split == Group::Segment {
            return Err(ServiceError::invalid(
                "split",
                "Split series by agent, team, channel, priority or tag.",
            ));
        }
        if spec.split == spec.group {
            return Err(ServiceError::invalid(
                "split",
                "Split by something other than what the points are grouped by.",
            ));
        }
        if spec.group == Group::Segment {
            return Err(ServiceError::invalid(
                "split",
                "A report grouped by customer segment cannot be split: remove the split.",
            ));
        }
        if matches!(spec.chart, ChartKind::Pie | ChartKind::Number) {
            return Err(ServiceError::invalid(
                "split",
                "Pies and number cards show one series: remove the split or choose bars, lines or a table.",
            ));
        }
    }
    if spec.chart == ChartKind::Stacked && spec.split == Group::Nothing {
        return Err(ServiceError::invalid(
            "split",
            "A stacked bar needs series: choose what to split them by.",
        ));
    }
    if spec.chart == ChartKind::Pie && spec.group == Group::Nothing {
        return Err(ServiceError::invalid(
            "group",
            "A pie needs slices: choose what to group by.",
        ));
    }
    let f = &spec.filters;
    let known = [
        (
            "channel",
            f.channel
                .as_deref()
                .is_none_or(|c| Channel::parse(c).is_some()),
        ),
        (
            "priority",
            f.priority
                .as_deref()
                .is_none_or(|p| Priority::parse(p).is_some()),
        ),
        (
            "status",
            f.status
                .as_deref()
                .is_none_or(|s| Status::parse(s).is_some()),
        ),
    ];
    match known.iter().find(|(_, ok)| !ok) {
        Some((field, _)) => Err(ServiceError::invalid(
            field,
            format!("Choose a {field} from the list."),
        )),
        None => Ok(()),
    }
}

/// Names for the groups and filters: agents, teams, tags, segments.
#[derive(Default)]
struct Names {
    agents: Vec<ReportOption>,
    teams: Vec<ReportOption>,
    tags: Vec<ReportOption>,
    segments: Vec<ReportOption>,
}

impl Names {
    async fn load(db: &impl ConnectionTrait, scope: Scoped) -> ServiceResult<Self> {
        let opt = |(id, name): (i32, String)| ReportOption { id, name };
        let mut teams: Vec<ReportOption> = scope
            .find::<team::Entity>()
            .all(db)
            .await?
            .into_iter()
            .map(|t| opt((t.id, t.name)))
            .collect();
        teams.sort_by(|a, b| a.name.cmp(&b.name));
        let mut tags: Vec<ReportOption> = scope
            .find::<tag::Entity>()
            .all(db)
            .await?
            .into_iter()
            .map(|t| opt((t.id, t.name)))
            .collect();
        tags.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Self {
            agents: super::context::member_names(db, scope)
                .await?
                .into_iter()
                .map(opt)
                .collect(),
            teams,
            tags,
            segments: segments::names(db, scope)
                .await?
                .into_iter()
                .map(opt)
                .collect(),
        })
    }

    fn of(list: &[ReportOption], key: &str) -> Option<String> {
        let id: i32 = key.parse().ok()?;
        list.iter().find(|o| o.id == id).map(|o| o.name.clone())
    }

    /// A dimension value as shown.
    fn label(&self, g: Group, key: &str) -> String {
        let none = key == NONE;
        match g {
            Group::Nothing => "All".to_owned(),
            Group::Agent if none => "Unassigned".to_owned(),
            Group::Team if none => "No team".to_owned(),
            Group::Tag if none => "No tag".to_owned(),
            Group::Agent => Self::of(&self.agents, key).unwrap_or_else(|| format!("User {key}")),
            Group::Team => Self::of(&self.teams, key).unwrap_or_else(|| format!("Team {key}")),
            Group::Tag => Self::of(&self.tags, key).unwrap_or_else(|| format!("Tag {key}")),
            Group::Segment => {
                Self::of(&self.segments, key).unwrap_or_else(|| format!("Segment {key}"))
            }
            Group::Channel => {
                Channel::parse(key).map_or_else(|| key.to_owned(), |c| c.label().to_owned())
            }
            Group::Priority => {
                Priority::parse(key).map_or_else(|| key.to_owned(), |p| p.label().to_owned())
            }
            Group::Hour | Group::Day | Group::Week | Group::Month => time_label(g, key),
        }
    }
}

/// The key of conversations without the dimension (no assignee, team, tag).
const NONE: &str = "none";
/// The drill-down key of the whole period.
pub const ALL: &str = crate::types::REPORT_ALL;

/// What the builder offers: saved reports, agents, teams, tags.
///
/// # Errors
/// Permission; database errors.
pub async fn page(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> ServiceResult<crate::types::ReportsPage> {
    actor.require(Action::ViewReports)?;
    let names = Names::load(db, actor.scope).await?;
    Ok(crate::types::ReportsPage {
        saved: saved::list(db, actor).await?,
        agents: names.agents,
        teams: names.teams,
        tags: names.tags,
        can_share: actor.can(Action::ManageReports),
    })
}

/// The viewer's zone (UTC until their browser told us).
async fn zone_of(db: &impl ConnectionTrait, actor: &Actor) -> ServiceResult<(String, TimeZone)> {
    let name = super::tenancy::global::<entity::user::Entity>()
        .filter(entity::user::Column::Id.eq(actor.user_id))
        .one(db)
        .await?
        .and_then(|u| u.timezone)
        .filter(|z| TimeZone::get(z).is_ok())
        .unwrap_or_else(|| "UTC".to_owned());
    let tz = TimeZone::get(&name).unwrap_or(TimeZone::UTC);
    Ok((name, tz))
}

fn ts_of(t: chrono::DateTime<chrono::Utc>) -> Timestamp {
    Timestamp::from_second(t.timestamp()).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// A report's period: local midnight `days - 1` days ago until now.
struct Period {
    since: Zoned,
    until: Zoned,
    tz: TimeZone,
    zone: String,
}

impl Period {
    fn new(zone: String, tz: TimeZone, days: i64, at: Timestamp) -> ServiceResult<Self> {
        let until = at.to_zoned(tz.clone());
        let since = until
            .start_of_day()
            .and_then(|d| d.checked_sub((days - 1).days()))
            .map_err(|e| ServiceError::Internal(format!("report period: {e}")))?;
        Ok(Self {
            since,
            until,
            tz,
            zone,
        })
    }

    fn shown(&self) -> String {
        let last = &self.until;
        if self.since.year() == last.year() {
            format!(
                "{} – {}",
                self.since.strftime("%b %-d"),
                last.strftime("%b %-d, %Y")
            )
        } else {
            format!(
                "{} – {}",
                self.since.strftime("%b %-d, %Y"),
                last.strftime("%b %-d, %Y")
            )
        }
    }
}

/// The start of the local bucket holding `t`.
fn bucket_start(g: Group, t: &Zoned) -> Option<Zoned> {
    let day = t.start_of_day().ok()?;
    match g {
        Group::Hour => t
            .with()
            .minute(0)
            .second(0)
            .subsec_nanosecond(0)
            .build()
            .ok(),
        Group::Day => Some(day),
        Group::Week => {
            let back = i64::from(day.weekday().to_monday_zero_offset());
            day.checked_sub(back.days()).ok()
        }
        Group::Month => day.first_of_month().ok(),
        _ => None,
    }
}

fn bucket_end(g: Group, start: &Zoned) -> Option<Zoned> {
    match g {
        Group::Hour => start.checked_add(1.hour()).ok(),
        Group::Day => start.checked_add(1.day()).ok(),
        Group::Week => start.checked_add(1.week()).ok(),
        Group::Month => start.checked_add(1.month()).ok(),
        _ => None,
    }
}

fn time_key(g: Group, start: &Zoned) -> String {
    match g {
        Group::Hour => start.strftime("%Y-%m-%dT%H").to_string(),
        Group::Month => start.strftime("%Y-%m").to_string(),
        _ => start.strftime("%Y-%m-%d").to_string(),
    }
}

fn parse_time_key(g: Group, key: &str, tz: &TimeZone) -> Option<Zoned> {
    let civil = match g {
        Group::Hour => {
            let (d, h) = key.split_once('T')?;
            let date: jiff::civil::Date = d.parse().ok()?;
            date.at(h.parse().ok()?, 0, 0, 0)
        }
        Group::Month => {
            let date: jiff::civil::Date = format!("{key}-01").parse().ok()?;
            date.at(0, 0, 0, 0)
        }
        _ => key.parse::<jiff::civil::Date>().ok()?.at(0, 0, 0, 0),
    };
    civil.to_zoned(tz.clone()).ok()
}

fn time_label(g: Group, key: &str) -> String {
    let Some(z) = parse_time_key(g, key, &TimeZone::UTC) else {
        return key.to_owned();
    };
    match g {
        Group::Hour => z.strftime("%b %-d %H:00").to_string(),
        Group::Week => format!("Week of {}", z.strftime("%b %-d")),
        Group::Month => z.strftime("%b %Y").to_string(),
        _ => z.strftime("%b %-d").to_string(),
    }
}

/// Every bucket of the period, in order (so empty ones still show).
fn all_buckets(g: Group, p: &Period) -> Vec<String> {
    let mut out = Vec::new();
    let Some(mut b) = bucket_start(g, &p.since) else {
        return out;
    };
    while b <= p.until && out.len() < 10_000 {
        out.push(time_key(g, &b));
        match bucket_end(g, &b) {
            Some(next) => b = next,
            None => break,
        }
    }
    out
}

/// The SQL value a dimension groups on (text or integer), `NULL` for none.
fn dim_sql(g: Group) -> &'static str {
    match g {
        Group::Agent => "\"report_facts\".\"assignee_id\"",
        Group::Team => "\"report_facts\".\"team_id\"",
        Group::Channel => "\"report_facts\".\"channel\"",
        Group::Priority => "\"report_facts\".\"priority\"",
        Group::Tag => "\"rt\".\"tag_id\"",
        Group::Hour | Group::Day | Group::Week | Group::Month => {
            "\"report_facts\".\"created\" / 3600"
        }
        Group::Nothing | Group::Segment => "0",
    }
}

fn secs_of(t: &Zoned) -> i64 {
    t.timestamp().as_second()
}

/// The facts of a period's conversations under a report's filters.
fn base(scope: Scoped, since: &Zoned, until: &Zoned, f: &ReportFilters) -> Select<fact::Entity> {
    let mut q = scope
        .find::<fact::Entity>()
        .filter(fact::Column::Created.gte(secs_of(since)))
        .filter(fact::Column::Created.lte(secs_of(until)));
    if let Some(c) = &f.channel {
        q = q.filter(fact::Column::Channel.eq(c.as_str()));
    }
    if let Some(p) = &f.priority {
        q = q.filter(fact::Column::Priority.eq(p.as_str()));
    }
    if let Some(s) = &f.status {
        q = q.filter(fact::Column::Status.eq(s.as_str()));
    }
    if let Some(a) = f.assignee_id {
        q = q.filter(fact::Column::AssigneeId.eq(a));
    }
    if let Some(t) = f.team_id {
        q = q.filter(fact::Column::TeamId.eq(t));
    }
    if let Some(t) = f.tag_id {
        q = q.filter(fact::Column::ConversationId.in_subquery(tagged(scope, Some(t))));
    }
    q
}

/// Narrows `q` to the conversations metric `m` is over (answered ones for
/// first response, rated ones for CSAT, …): the report reads and groups only
/// those, and a drill-down lists only those.
fn population(q: Select<fact::Entity>, m: Metric) -> Select<fact::Entity> {
    match m {
        Metric::FirstResponse => q.filter(fact::Column::FirstSecs.is_not_null()),
        Metric::Resolution => q.filter(fact::Column::SolveSecs.is_not_null()),
        Metric::SlaCompliance => q.filter(fact::Column::Sla.eq(1)),
        Metric::Backlog => q.filter(fact::Column::Status.is_in(OPEN)),
        Metric::Csat => q.filter(fact::Column::Rating.is_not_null()),
        Metric::Tickets | Metric::Replies | Metric::AiResolution => q,
    }
}

/// Conversation ids with tag `t` (any tag when `None`).
fn tagged(scope: Scoped, t: Option<i32>) -> sea_orm::sea_query::SelectStatement {
    let mut q = scope
        .find::<conversation_tag::Entity>()
        .select_only()
        .column(conversation_tag::Column::ConversationId);
    if let Some(t) = t {
        q = q.filter(conversation_tag::Column::TagId.eq(t));
    }
    q.into_query()
}

/// What one group's conversations add up to.
#[derive(Clone, Copy, Debug, Default)]
struct Acc {
    n: i64,
    answered: i64,
    answer_secs: i64,
    solved: i64,
    solve_secs: i64,
    ai: i64,
    sla: i64,
    breached: i64,
    open: i64,
    rated: i64,
    satisfied: i64,
    replies: i64,
}

impl Acc {
    fn add(&mut self, o: &Acc) {
        self.n += o.n;
        self.answered += o.answered;
        self.answer_secs += o.answer_secs;
        self.solved += o.solved;
        self.solve_secs += o.solve_secs;
        self.ai += o.ai;
        self.sla += o.sla;
        self.breached += o.breached;
        self.open += o.open;
        self.rated += o.rated;
        self.satisfied += o.satisfied;
        self.replies += o.replies;
    }

    /// The metric's value and how many conversations it is over.
    #[allow(clippy::cast_precision_loss)]
    fn value(&self, m: Metric) -> (Option<f64>, i64) {
        let ratio = |a: i64, b: i64| (b > 0).then(|| a as f64 / b as f64);
        match m {
            Metric::Tickets => (Some(self.n as f64), self.n),
            Metric::Backlog => (Some(self.open as f64), self.open),
            Metric::FirstResponse => (ratio(self.answer_secs, self.answered), self.answered),
            Metric::Resolution => (ratio(self.solve_secs, self.solved), self.solved),
            Metric::Replies => (ratio(self.replies, self.n), self.n),
            Metric::Csat => (ratio(self.satisfied * 100, self.rated), self.rated),
            Metric::SlaCompliance => (ratio((self.sla - self.breached) * 100, self.sla), self.sla),
            Metric::AiResolution => (ratio(self.ai * 100, self.n), self.n),
        }
    }
}

/// Reads a grouping column as text (integer dimensions and hour numbers too).
fn text_at(row: &sea_orm::QueryResult, i: usize) -> String {
    if let Ok(v) = row.try_get_by_index::<Option<i64>>(i) {
        return v.map_or_else(|| NONE.to_owned(), |v| v.to_string());
    }
    if let Ok(v) = row.try_get_by_index::<Option<i32>>(i) {
        return v.map_or_else(|| NONE.to_owned(), |v| v.to_string());
    }
    row.try_get_by_index::<Option<String>>(i)
        .ok()
        .flatten()
        .unwrap_or_else(|| NONE.to_owned())
}

fn int_at(row: &sea_orm::QueryResult, i: usize) -> i64 {
    row.try_get_by_index::<Option<i64>>(i)
        .ok()
        .flatten()
        .or_else(|| {
            row.try_get_by_index::<Option<i32>>(i)
                .ok()
                .flatten()
                .map(i64::from)
        })
        .unwrap_or(0)
}

/// The names of a grouped statement's columns.
const COLS: [&str; 14] = [
    "c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", "c10", "c11", "c12", "c13",
];

/// `q` grouped by the report's group and split columns (`c0`, `c1`), selecting
/// `cols` after them, with the tag join when either groups by tag.
fn grouped(
    q: Select<fact::Entity>,
    spec: &ReportSpec,
    group: Group,
    cols: &[String],
) -> sea_orm::sea_query::SelectStatement {
    let mut q = q
        .select_only()
        .expr_as(Expr::cust(dim_sql(group)), COLS[0])
        .expr_as(Expr::cust(dim_sql(spec.split)), COLS[1]);
    for (c, name) in cols.iter().zip(&COLS[2..]) {
        q = q.expr_as(Expr::cust(c.clone()), *name);
    }
    let mut stmt = q.into_query();
    if group == Group::Tag || spec.split == Group::Tag {
        stmt.join_as(
            JoinType::LeftJoin,
            Alias::new("conversation_tags"),
            Alias::new("rt"),
            Expr::cust("\"rt\".\"conversation_id\" = \"report_facts\".\"conversation_id\""),
        );
    }
    stmt.group_by_col(Alias::new("c0"))
        .group_by_col(Alias::new("c1"));
    stmt
}

/// Where an aggregate goes in [`Acc`].
type Put = fn(&mut Acc, i64);

/// The aggregates metric `m` needs (the count always: it orders the groups).
fn aggregates(m: Metric) -> Vec<(&'static str, Put)> {
    let mut out: Vec<(&'static str, Put)> = vec![("COUNT(*)", |a, v| a.n = v)];
    match m {
        Metric::Tickets => {}
        Metric::FirstResponse => {
            out.push(("COUNT(\"report_facts\".\"first_secs\")", |a, v| a.answered = v));
            out.push(("SUM(\"report_facts\".\"first_secs\")", |a, v| a.answer_secs = v));
        }
        Metric::Resolution => {
            out.push(("COUNT(\"report_facts\".\"solve_secs\")", |a, v| a.solved = v));
            out.push(("SUM(\"report_facts\".\"solve_secs\")", |a, v| a.solve_secs = v));
        }
        Metric::Replies => out.push(("SUM(\"report_facts\".\"replies\")", |a, v| a.replies = v)),
        Metric::AiResolution => out.push(("SUM(\"report_facts\".\"ai\")", |a, v| a.ai = v)),
        Metric::SlaCompliance => {
            out.push(("SUM(\"report_facts\".\"sla\")", |a, v| a.sla = v));
            out.push(("SUM(\"report_facts\".\"breached\")", |a, v| a.breached = v));
        }
        Metric::Backlog => out.push((
            "SUM(CASE WHEN \"report_facts\".\"status\" IN ('new', 'open', 'pending', 'on_hold') THEN 1 ELSE 0 END)",
            |a, v| a.open = v,
        )),
        Metric::Csat => {
            out.push(("COUNT(\"report_facts\".\"rating\")", |a, v| a.rated = v));
            out.push((
                "SUM(CASE WHEN \"report_facts\".\"rating\" >= 4 THEN 1 ELSE 0 END)",
                |a, v| a.satisfied = v,
            ));
        }
    }
    out
}

/// Sums per (group value, split value) over `q`: one statement.
async fn sums(
    db: &impl ConnectionTrait,
    q: Select<fact::Entity>,
    spec: &ReportSpec,
    group: Group,
) -> ServiceResult<Vec<(String, String, Acc)>> {
    let backend = db.get_database_backend();
    let aggs = aggregates(spec.metric);
    // PostgreSQL sums 64-bit integers as numeric: read every sum back as one.
    let cols: Vec<String> = aggs
        .iter()
        .map(|(c, _)| format!("COALESCE(CAST({c} AS BIGINT), 0)"))
        .collect();
    let stmt = grouped(q, spec, group, &cols);
    let rows = db.query_all(backend.build(&stmt)).await?;
    let mut out: Vec<(String, String, Acc)> = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut a = Acc::default();
        for (i, (_, put)) in aggs.iter().enumerate() {
            put(&mut a, int_at(r, i + 2));
        }
        out.push((text_at(r, 0), text_at(r, 1), a));
    }
    Ok(out)
}

/// Narrows `q` to one group's conversations (`key` as in a point).
async fn restrict(
    db: &impl ConnectionTrait,
    scope: Scoped,
    q: Select<fact::Entity>,
    g: Group,
    key: &str,
    p: &Period,
) -> ServiceResult<Select<fact::Entity>> {
    let unknown = || {
        ServiceError::invalid(
            "key",
            "That point is not in this report: open the report again.",
        )
    };
    let id = || key.parse::<i32>().map_err(|_| unknown());
    let none = key == NONE;
    Ok(match g {
        Group::Nothing => q,
        Group::Hour | Group::Day | Group::Week | Group::Month => {
            let start = parse_time_key(g, key, &p.tz).ok_or_else(unknown)?;
            let end = bucket_end(g, &start).ok_or_else(unknown)?;
            q.filter(fact::Column::Created.gte(secs_of(&start)))
                .filter(fact::Column::Created.lt(secs_of(&end)))
        }
        Group::Agent if none => q.filter(fact::Column::AssigneeId.is_null()),
        Group::Agent => q.filter(fact::Column::AssigneeId.eq(id()?)),
        Group::Team if none => q.filter(fact::Column::TeamId.is_null()),
        Group::Team => q.filter(fact::Column::TeamId.eq(id()?)),
        Group::Channel => q.filter(fact::Column::Channel.eq(key)),
        Group::Priority => q.filter(fact::Column::Priority.eq(key)),
        Group::Tag if none => {
            q.filter(fact::Column::ConversationId.not_in_subquery(tagged(scope, None)))
        }
        Group::Tag => {
            q.filter(fact::Column::ConversationId.in_subquery(tagged(scope, Some(id()?))))
        }
        Group::Segment => {
            let members = segments::members(db, scope, id()?, now())
                .await?
                .ok_or_else(unknown)?;
            q.filter(
                fact::Column::CustomerId.in_subquery(
                    members
                        .select_only()
                        .column(customer::Column::Id)
                        .into_query(),
                ),
            )
        }
    })
}

/// Refuses filters naming another workspace's (or a deleted) agent, team or tag.
fn check_filters(f: &ReportFilters, names: &Names) -> ServiceResult<()> {
    let known = |list: &[ReportOption], id: Option<i32>| {
        id.is_none_or(|id| list.iter().any(|o| o.id == id))
    };
    if !known(&names.agents, f.assignee_id) {
        return Err(ServiceError::invalid(
            "assignee_id",
            "That agent is not in this workspace: choose one from the list.",
        ));
    }
    if !known(&names.teams, f.team_id) {
        return Err(ServiceError::invalid(
            "team_id",
            "That team does not exist (any more): choose one from the list.",
        ));
    }
    if !known(&names.tags, f.tag_id) {
        return Err(ServiceError::invalid(
            "tag_id",
            "That tag does not exist (any more): choose one from the list.",
        ));
    }
    Ok(())
}

/// What the reports of one request read once: the names of agents, teams,
/// tags and segments, and the viewer's zone.
pub struct Context {
    names: Names,
    zone: String,
    tz: TimeZone,
}

impl Context {
    /// Loads it for `actor`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn load(db: &impl ConnectionTrait, actor: &Actor) -> ServiceResult<Self> {
        let (zone, tz) = zone_of(db, actor).await?;
        Ok(Self {
            names: Names::load(db, actor.scope).await?,
            zone,
            tz,
        })
    }
}

/// Runs a report.
///
/// # Errors
/// Permission; `Invalid` definition or filters; database errors.
pub async fn run(
    db: &impl ConnectionTrait,
    actor: &Actor,
    spec: &ReportSpec,
) -> ServiceResult<ReportResult> {
    actor.require(Action::ViewReports)?;
    let cx = Context::load(db, actor).await?;
    run_in(db, actor, &cx, spec).await
}

/// Runs a report with what [`Context::load`] read (a dashboard's widgets share
/// one).
///
/// # Errors
/// Permission; `Invalid` definition or filters; database errors.
pub async fn run_in(
    db: &impl ConnectionTrait,
    actor: &Actor,
    cx: &Context,
    spec: &ReportSpec,
) -> ServiceResult<ReportResult> {
    actor.require(Action::ViewReports)?;
    check(spec)?;
    let scope = actor.scope;
    let names = &cx.names;
    check_filters(&spec.filters, names)?;
    let p = Period::new(cx.zone.clone(), cx.tz.clone(), spec.days, ts_of(now()))?;
    let q = population(base(scope, &p.since, &p.until, &spec.filters), spec.metric);
    let mut rows = Vec::new();
    if spec.group == Group::Segment {
        for s in &names.segments {
            let one = restrict(db, scope, q.clone(), Group::Segment, &s.id.to_string(), &p).await?;
            for (_, series, acc) in sums(db, one, spec, Group::Nothing).await? {
                rows.push((s.id.to_string(), series, acc));
            }
        }
    } else {
        rows = sums(db, q.clone(), spec, spec.group).await?;
    }
    let mut cells: HashMap<(String, String), Acc> = HashMap::new();
    for (g, s, acc) in rows {
        let g = if spec.group.is_time() {
            let hour = g
                .parse::<i64>()
                .ok()
                .and_then(|h| Timestamp::from_second(h * 3600).ok());
            match hour.and_then(|t| bucket_start(spec.group, &t.to_zoned(p.tz.clone()))) {
                Some(b) => time_key(spec.group, &b),
                None => continue,
            }
        } else if spec.group == Group::Nothing {
            ALL.to_owned()
        } else {
            g
        };
        let s = if spec.split == Group::Nothing {
            String::new()
        } else {
            s
        };
        cells.entry((g, s)).or_default().add(&acc);
    }
    // A conversation with two tags (or in two segments) is in two groups: the
    // total counts it once.
    let overlapping = [spec.group, spec.split]
        .iter()
        .any(|g| matches!(g, Group::Tag | Group::Segment));
    let total = if overlapping {
        let plain = ReportSpec {
            group: Group::Nothing,
            split: Group::Nothing,
            ..spec.clone()
        };
        let mut t = Acc::default();
        for (_, _, a) in sums(db, q, &plain, Group::Nothing).await? {
            t.add(&a);
        }
        t
    } else {
        let mut t = Acc::default();
        for a in cells.values() {
            t.add(a);
        }
        t
    };
    let weight = |pick: &dyn Fn(&(String, String)) -> &String| {
        let mut w: HashMap<String, i64> = HashMap::new();
        for (k, a) in &cells {
            *w.entry(pick(k).clone()).or_default() += a.n;
        }
        w
    };
    let order = |g: Group, w: &HashMap<String, i64>| -> Vec<String> {
        let mut keys: Vec<String> = w.keys().cloned().collect();
        match g {
            Group::Priority => keys.sort_by_key(|k| {
                Priority::parse(k).map_or(99, |p| {
                    Priority::ALL.iter().position(|x| *x == p).unwrap_or(98)
                })
            }),
            _ => keys.sort_by(|a, b| {
                (a == NONE)
                    .cmp(&(b == NONE))
                    .then(w[b].cmp(&w[a]))
                    .then(names.label(g, a).cmp(&names.label(g, b)))
            }),
        }
        keys
    };
    let groups: Vec<String> = if spec.group.is_time() {
        all_buckets(spec.group, &p)
    } else if spec.group == Group::Nothing {
        vec![ALL.to_owned()]
    } else {
        order(spec.group, &weight(&|k| &k.0))
    };
    let series: Vec<String> = if spec.split == Group::Nothing {
        vec![String::new()]
    } else {
        order(spec.split, &weight(&|k| &k.1))
    };
    let unit = spec.metric.unit();
    let mut points = Vec::with_capacity(groups.len() * series.len());
    for g in &groups {
        for s in &series {
            let acc = cells
                .get(&(g.clone(), s.clone()))
                .copied()
                .unwrap_or_default();
            let (value, count) = acc.value(spec.metric);
            points.push(ReportPoint {
                key: g.clone(),
                label: names.label(spec.group, g),
                series: s.clone(),
                series_label: if s.is_empty() {
                    spec.metric.label().to_owned()
                } else {
                    names.label(spec.split, s)
                },
                value,
                shown: value.map_or_else(|| "–".to_owned(), |v| unit.format(v)),
                count: u64::try_from(count).unwrap_or(0),
            });
        }
    }
    let (tv, tc) = total.value(spec.metric);
    Ok(ReportResult {
        title: spec.metric.label().to_owned(),
        population: spec.metric.population().to_owned(),
        total: tv.map_or_else(|| "–".to_owned(), |v| unit.format(v)),
        total_count: u64::try_from(tc).unwrap_or(0),
        chart: chart(spec, &groups, &series, &points),
        period: p.shown(),
        zone: p.zone.clone(),
        points,
        spec: spec.clone(),
    })
}

/// A value scaled for the chart's axis: durations in hours or minutes.
fn axis_scale(unit: Unit, points: &[ReportPoint]) -> (f64, &'static str) {
    match unit {
        Unit::Seconds => {
            let max = points
                .iter()
                .filter_map(|p| p.value)
                .fold(0.0_f64, f64::max);
            if max >= 7200.0 {
                (3600.0, "hours")
            } else {
                (60.0, "minutes")
            }
        }
        Unit::Percent => (1.0, "%"),
        Unit::Count | Unit::Ratio => (1.0, ""),
    }
}

/// The ECharts option (empty for tables and number cards).
fn chart(
    spec: &ReportSpec,
    groups: &[String],
    series: &[String],
    points: &[ReportPoint],
) -> String {
    let (scale, axis_name) = axis_scale(spec.metric.unit(), points);
    let scaled = |v: Option<f64>| v.map(|v| (v / scale * 100.0).round() / 100.0);
    let labels: Vec<String> = points
        .iter()
        .step_by(series.len().max(1))
        .map(|p| p.label.clone())
        .collect();
    let base = Chart::new()
        .grid(
            Grid::new()
                .contain_label(true)
                .left("2%")
                .right("2%")
                .top(if series.len() > 1 { "12%" } else { "6%" }),
        )
        .tooltip(Tooltip::new().trigger(if spec.chart == ChartKind::Pie {
            Trigger::Item
        } else {
            Trigger::Axis
        }));
    match spec.chart {
        ChartKind::Table | ChartKind::Number => String::new(),
        ChartKind::Pie => {
            let data: Vec<(f64, String)> = points
                .iter()
                .filter_map(|p| scaled(p.value).map(|v| (v, p.label.clone())))
                .collect();
            base.legend(
                Legend::new()
                    .type_(charming::component::LegendType::Scroll)
                    .bottom("0"),
            )
            .series(
                Pie::new()
                    .name(spec.metric.label())
                    .radius(vec!["35%", "65%"])
                    .data(data),
            )
            .to_string()
        }
        ChartKind::Bar | ChartKind::Line | ChartKind::Stacked => {
            let mut c = base
                .x_axis(Axis::new().type_(AxisType::Category).data(labels))
                .y_axis(Axis::new().type_(AxisType::Value).name(axis_name));
            if series.len() > 1 {
                c = c.legend(Legend::new().type_(charming::component::LegendType::Scroll));
            }
            debug_assert!(groups.len() * series.len() == points.len());
            for (i, _) in series.iter().enumerate() {
                let name = points
                    .get(i)
                    .map(|p| p.series_label.clone())
                    .unwrap_or_default();
                let data: Vec<Option<f64>> = points
                    .iter()
                    .skip(i)
                    .step_by(series.len())
                    .map(|p| scaled(p.value))
                    .collect();
                c = match spec.chart {
                    ChartKind::Line => c.series(Line::new().name(name).data(data)),
                    ChartKind::Stacked => c.series(Bar::new().name(name).stack("total").data(data)),
                    _ => c.series(Bar::new().name(name).data(data)),
                };
            }
            c.to_string()
        }
    }
}

/// The conversations behind one point (`key` [`ALL`] for the whole period,
/// `series` empty for every series), newest first.
///
/// # Errors
/// Permission; `Invalid` definition or point; database errors.
pub async fn drill(
    db: &impl ConnectionTrait,
    actor: &Actor,
    spec: &ReportSpec,
    key: &str,
    series: &str,
) -> ServiceResult<DrillDown> {
    let (q, label) = drill_select(db, actor, spec, key, series).await?;
    let total = q.clone().count(db).await?;
    let ids: Vec<i32> = q
        .select_only()
        .column(fact::Column::ConversationId)
        .order_by_desc(fact::Column::Created)
        .order_by_desc(fact::Column::ConversationId)
        .limit(DRILL_LIMIT)
        .into_tuple()
        .all(db)
        .await?;
    let rows = conversations(db, actor.scope, &ids).await?;
    let rows = drill_rows(db, actor.scope, spec.metric, rows).await?;
    Ok(DrillDown { label, total, rows })
}

/// How many conversations a whole report counts (what an export lists).
///
/// # Errors
/// As [`drill`].
pub async fn count_all(
    db: &impl ConnectionTrait,
    actor: &Actor,
    spec: &ReportSpec,
) -> ServiceResult<u64> {
    let (q, _) = drill_select(db, actor, spec, ALL, "").await?;
    Ok(q.count(db).await?)
}

/// One page of the conversations a whole report counts, oldest first: those
/// after conversation `after` (0 for the first page), with their ids.
///
/// # Errors
/// As [`drill`].
pub async fn page_all(
    db: &impl ConnectionTrait,
    actor: &Actor,
    spec: &ReportSpec,
    after: i32,
    limit: u64,
) -> ServiceResult<Vec<(i32, DrillRow)>> {
    let (q, _) = drill_select(db, actor, spec, ALL, "").await?;
    let ids: Vec<i32> = q
        .select_only()
        .column(fact::Column::ConversationId)
        .filter(fact::Column::ConversationId.gt(after))
        .order_by_asc(fact::Column::ConversationId)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    let rows = conversations(db, actor.scope, &ids).await?;
    let ids: Vec<i32> = rows.iter().map(|c| c.id).collect();
    let views = drill_rows(db, actor.scope, spec.metric, rows).await?;
    Ok(ids.into_iter().zip(views).collect())
}

/// The conversations behind a point, and the point as shown.
async fn drill_select(
    db: &impl ConnectionTrait,
    actor: &Actor,
    spec: &ReportSpec,
    key: &str,
    series: &str,
) -> ServiceResult<(Select<fact::Entity>, String)> {
    actor.require(Action::ViewReports)?;
    check(spec)?;
    let scope = actor.scope;
    let names = Names::load(db, scope).await?;
    check_filters(&spec.filters, &names)?;
    let (zone, tz) = zone_of(db, actor).await?;
    let p = Period::new(zone, tz, spec.days, ts_of(now()))?;
    let mut q = base(scope, &p.since, &p.until, &spec.filters);
    let mut label = Vec::new();
    if key != ALL {
        q = restrict(db, scope, q, spec.group, key, &p).await?;
        label.push(names.label(spec.group, key));
    }
    if !series.is_empty() && spec.split != Group::Nothing {
        q = restrict(db, scope, q, spec.split, series, &p).await?;
        label.push(names.label(spec.split, series));
    }
    q = population(q, spec.metric);
    let label = if label.is_empty() {
        format!("{} · {}", spec.metric.label(), p.shown())
    } else {
        label.join(" · ")
    };
    Ok((q, label))
}

/// Conversations `ids`, in that order.
async fn conversations(
    db: &impl ConnectionTrait,
    scope: Scoped,
    ids: &[i32],
) -> ServiceResult<Vec<conversation::Model>> {
    let mut by_id: HashMap<i32, conversation::Model> = scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// The drill-down rows of `rows` for `metric`.
async fn drill_rows(
    db: &impl ConnectionTrait,
    scope: Scoped,
    metric: Metric,
    rows: Vec<conversation::Model>,
) -> ServiceResult<Vec<DrillRow>> {
    let ids: Vec<i32> = rows.iter().map(|c| c.id).collect();
    let ratings: HashMap<i32, i32> = if metric == Metric::Csat {
        scope
            .find::<entity::csat_response::Entity>()
            .filter(entity::csat_response::Column::ConversationId.is_in(ids.clone()))
            .all(db)
            .await?
            .into_iter()
            .map(|r| (r.conversation_id, r.rating))
            .collect()
    } else {
        HashMap::new()
    };
    let replies: HashMap<i32, i64> = if metric == Metric::Replies {
        scope
            .find::<entity::message::Entity>()
            .filter(entity::message::Column::ConversationId.is_in(ids.clone()))
            .filter(entity::message::Column::Kind.eq("reply"))
            .filter(entity::message::Column::Direction.eq("outbound"))
            .filter(entity::message::Column::AuthorUserId.is_not_null())
            .select_only()
            .column(entity::message::Column::ConversationId)
            .column_as(Expr::cust("COUNT(*)"), "n")
            .group_by(entity::message::Column::ConversationId)
            .into_tuple::<(i32, i64)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    } else {
        HashMap::new()
    };
    let secs = |a: chrono::DateTime<chrono::Utc>, b: chrono::DateTime<chrono::Utc>| {
        #[allow(clippy::cast_precision_loss)]
        Unit::Seconds.format((a - b).num_seconds() as f64)
    };
    Ok(rows
        .into_iter()
        .map(|c| {
            let value = match metric {
                Metric::FirstResponse => c
                    .first_response_at
                    .map(|t| secs(t, c.created_at))
                    .unwrap_or_default(),
                Metric::Resolution => c
                    .solved_at
                    .map(|t| secs(t, c.created_at))
                    .unwrap_or_default(),
                Metric::Csat => ratings
                    .get(&c.id)
                    .map(|r| format!("Rated {r} of 5"))
                    .unwrap_or_default(),
                Metric::Replies => {
                    let n = replies.get(&c.id).copied().unwrap_or(0);
                    if n == 1 {
                        "1 reply".to_owned()
                    } else {
                        format!("{n} replies")
                    }
                }
                Metric::SlaCompliance => if c.sla_breached_at.is_some() {
                    "Breached"
                } else {
                    "Met"
                }
                .to_owned(),
                Metric::AiResolution => if c.ai_state.as_deref() == Some("resolved") {
                    "AI resolved"
                } else {
                    "Not by AI"
                }
                .to_owned(),
                Metric::Tickets | Metric::Backlog => Status::parse(&c.status)
                    .map_or_else(|| c.status.clone(), |s| s.label().to_owned()),
            };
            DrillRow {
                number: c.number,
                subject: c.subject,
                status: c.status,
                channel: c.channel,
                priority: c.priority,
                created_at: c.created_at.to_rfc3339(),
                value,
            }
        })
        .collect())
}
