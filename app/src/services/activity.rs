//! The activity (audit) log: who did what, when, from which IP and user agent, with
//! before/after JSON. Written in the same transaction as the change it records.

use super::context::{Actor, RequestMeta};
use super::tenancy::Scoped;
use super::{now, ServiceError, ServiceResult};
use crate::types::{ActivityFilter, ActivityPage, ActivityView};
use chrono::{NaiveDate, TimeZone, Utc};
use entity::activity;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

/// Who an entry is attributed to.
#[derive(Clone, Debug)]
pub struct Who {
    /// User id, when a user acted.
    pub user_id: Option<i32>,
    /// "Name <email>" or "system".
    pub label: String,
}

impl From<&Actor> for Who {
    fn from(a: &Actor) -> Self {
        Self {
            user_id: Some(a.user_id),
            label: a.label(),
        }
    }
}

/// One entry to record.
#[derive(Clone, Debug)]
pub struct Entry<'a> {
    /// Dotted action, e.g. `team.role_changed`.
    pub action: &'a str,
    /// Target type and id.
    pub target: Option<(&'a str, String)>,
    /// State before.
    pub before: Option<serde_json::Value>,
    /// State after.
    pub after: Option<serde_json::Value>,
}

impl<'a> Entry<'a> {
    /// An entry without target or diff.
    pub fn new(action: &'a str) -> Self {
        Self {
            action,
            target: None,
            before: None,
            after: None,
        }
    }
    /// With a target.
    pub fn target(mut self, kind: &'a str, id: impl ToString) -> Self {
        self.target = Some((kind, id.to_string()));
        self
    }
    /// With before/after.
    pub fn diff(
        mut self,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> Self {
        self.before = before;
        self.after = after;
        self
    }
}

/// Records an entry in `scope`'s log.
///
/// # Errors
/// Database errors.
pub async fn record(
    db: &impl ConnectionTrait,
    scope: Scoped,
    who: &Who,
    meta: &RequestMeta,
    e: Entry<'_>,
) -> ServiceResult<()> {
    let (tt, tid) = e
        .target
        .map_or((None, None), |(t, i)| (Some(t.to_owned()), Some(i)));
    activity::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        actor_user_id: Set(who.user_id),
        actor_label: Set(who.label.clone()),
        action: Set(e.action.to_owned()),
        target_type: Set(tt),
        target_id: Set(tid),
        before: Set(e.before.map(|v| v.to_string())),
        after: Set(e.after.map(|v| v.to_string())),
        ip: Set(meta.ip.clone()),
        user_agent: Set(meta
            .user_agent
            .as_ref()
            .map(|u| u.chars().take(500).collect())),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

fn parse_day(s: &str, field: &'static str) -> ServiceResult<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| ServiceError::invalid(field, format!("`{s}` is not a date: use YYYY-MM-DD.")))
}

fn view(a: activity::Model) -> ActivityView {
    ActivityView {
        id: a.id,
        at: a.created_at.to_rfc3339(),
        actor: a.actor_label,
        action: a.action,
        target: match (a.target_type, a.target_id) {
            (Some(t), Some(i)) => Some(format!("{t}:{i}")),
            (Some(t), None) => Some(t),
            _ => None,
        },
        before: a.before,
        after: a.after,
        ip: a.ip,
        user_agent: a.user_agent,
    }
}

/// Entries matching `f`, newest first, at most `limit` (plus a cursor).
///
/// # Errors
/// Invalid dates; database errors.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: Scoped,
    f: &ActivityFilter,
    limit: u64,
) -> ServiceResult<ActivityPage> {
    let mut q = scope.find::<activity::Entity>();
    if let Some(actor) = f.actor.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        q = q.filter(activity::Column::ActorLabel.contains(actor));
    }
    if let Some(action) = f.action.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        q = if let Some(prefix) = action.strip_suffix('.') {
            q.filter(activity::Column::Action.starts_with(format!("{prefix}.")))
        } else {
            q.filter(activity::Column::Action.eq(action))
        };
    }
    if let Some(from) = f.from.as_deref().filter(|s| !s.trim().is_empty()) {
        let d = parse_day(from, "from")?;
        q = q.filter(
            activity::Column::CreatedAt
                .gte(Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN))),
        );
    }
    if let Some(to) = f.to.as_deref().filter(|s| !s.trim().is_empty()) {
        let d = parse_day(to, "to")? + chrono::Duration::days(1);
        q = q.filter(
            activity::Column::CreatedAt
                .lt(Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN))),
        );
    }
    if let Some(before) = f.before_id {
        q = q.filter(activity::Column::Id.lt(before));
    }
    let mut rows = q
        .order_by_desc(activity::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_before_id = if more {
        rows.last().map(|r| r.id)
    } else {
        None
    };
    Ok(ActivityPage {
        items: rows.into_iter().map(view).collect(),
        next_before_id,
    })
}

/// Export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// Comma-separated values.
    Csv,
    /// A JSON array.
    Json,
}

/// Exports every matching entry (up to 100 000) and records the export itself.
///
/// # Errors
/// Invalid filter; database errors.
pub async fn export(
    db: &impl ConnectionTrait,
    actor: &Actor,
    meta: &RequestMeta,
    f: &ActivityFilter,
    format: ExportFormat,
) -> ServiceResult<String> {
    let page = list(db, actor.scope, f, 100_000).await?;
    record(
        db,
        actor.scope,
        &actor.into(),
        meta,
        Entry::new("activity.exported").diff(
            None,
            Some(serde_json::json!({ "format": format!("{format:?}").to_lowercase(), "rows": page.items.len() })),
        ),
    )
    .await?;
    match format {
        ExportFormat::Json => serde_json::to_string_pretty(&page.items)
            .map_err(|e| ServiceError::Internal(e.to_string())),
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let header = [
                "id",
                "at",
                "actor",
                "action",
                "target",
                "ip",
                "user_agent",
                "before",
                "after",
            ];
            w.write_record(header)
                .map_err(|e| ServiceError::Internal(e.to_string()))?;
            for a in &page.items {
                let id = a.id.to_string();
                let row = [
                    id.as_str(),
                    &a.at,
                    &a.actor,
                    &a.action,
                    a.target.as_deref().unwrap_or(""),
                    a.ip.as_deref().unwrap_or(""),
                    a.user_agent.as_deref().unwrap_or(""),
                    a.before.as_deref().unwrap_or(""),
                    a.after.as_deref().unwrap_or(""),
                ];
                w.write_record(row.map(|c| csv_cell(c).into_owned()))
                    .map_err(|e| ServiceError::Internal(e.to_string()))?;
            }
            let bytes = w
                .into_inner()
                .map_err(|e| ServiceError::Internal(e.to_string()))?;
            String::from_utf8(bytes).map_err(|e| ServiceError::Internal(e.to_string()))
        }
    }
}

/// A cell a spreadsheet will not run as a formula: values starting with `=`, `+`,
/// `-`, `@`, a tab or a carriage return (OWASP's CSV-injection list) get a leading
/// apostrophe, which spreadsheets show as text and hide.
fn csv_cell(value: &str) -> std::borrow::Cow<'_, str> {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}").into(),
        _ => value.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn formulas_are_neutralised_and_plain_text_kept() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_cell("+1+1"), "'+1+1");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("team.invited"), "team.invited");
        assert_eq!(csv_cell(""), "");
        assert_eq!(csv_cell("a=b"), "a=b");
    }
}
