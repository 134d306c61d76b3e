//! Tasks (SPEC C2.11): internal to-dos linked to a conversation or a customer,
//! with an assignee, a due date and a priority; created by members, rules or the
//! AI agent (through the `create_task` tool).

use super::activity::{self, Entry, Who};
use super::bus::Event;
use super::context::{Actor, RequestMeta};
use super::inbox::conversations;
use super::tenancy::{global, Scoped};
use super::uow::UnitOfWork;
use super::{now, AppState, ServiceError, ServiceResult};
use crate::permissions::{can, Action, Role};
use crate::types::{ticket_ref, Choice, TaskForm, TaskView, TasksView, TASK_PRIORITIES};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use entity::{customer, membership, task, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::collections::HashMap;

/// Who created a task.
#[derive(Clone, Debug)]
pub struct Creator {
    /// `member`, `ai` or `rule`.
    pub kind: &'static str,
    /// The member, when one.
    pub user_id: Option<i32>,
    /// Shown on the task.
    pub label: String,
}

/// A task to insert (already resolved ids).
#[derive(Clone, Debug)]
pub struct NewTask {
    /// Title.
    pub title: String,
    /// Notes.
    pub notes: Option<String>,
    /// Conversation.
    pub conversation_id: Option<i32>,
    /// Customer.
    pub customer_id: Option<i32>,
    /// Assignee.
    pub assignee_user_id: Option<i32>,
    /// Due.
    pub due_at: Option<DateTime<Utc>>,
    /// Priority.
    pub priority: String,
    /// Creator.
    pub created_by: Creator,
    /// The action that created it.
    pub action_id: Option<i32>,
}

/// Reads a due date: empty, `today`, `tomorrow`, `in 3 days`, `YYYY-MM-DD` (end of
/// that day, UTC) or `YYYY-MM-DDTHH:MM` (UTC).
///
/// # Errors
/// `Invalid` naming `field`.
pub fn parse_due(
    s: &str,
    at: DateTime<Utc>,
    field: &'static str,
) -> ServiceResult<Option<DateTime<Utc>>> {
    let t = s.trim().to_lowercase();
    let end_of = |d: NaiveDate| d.and_hms_opt(23, 59, 0).map(|x| x.and_utc());
    let today = at.date_naive();
    let r = match t.as_str() {
        "" => return Ok(None),
        "today" => end_of(today),
        "tomorrow" => end_of(today + Duration::days(1)),
        _ => {
            if let Some(n) = t
                .strip_prefix("in ")
                .and_then(|r| r.strip_suffix(" days").or_else(|| r.strip_suffix(" day")))
                .and_then(|n| n.trim().parse::<i64>().ok())
                .filter(|n| (0..=3650).contains(n))
            {
                end_of(today + Duration::days(n))
            } else if let Ok(d) = NaiveDate::parse_from_str(&t, "%Y-%m-%d") {
                end_of(d)
            } else if let Ok(d) = NaiveDateTime::parse_from_str(&t, "%Y-%m-%dt%H:%M") {
                Some(d.and_utc())
            } else {
                None
            }
        }
    };
    r.map(Some).ok_or_else(|| {
        ServiceError::invalid(
            field,
            format!("`{s}` is not a due date: use YYYY-MM-DD, YYYY-MM-DDTHH:MM, today, tomorrow or in N days."),
        )
    })
}

fn check_title(t: &str) -> ServiceResult<String> {
    let t = t.trim();
    if t.is_empty() || t.chars().count() > 200 {
        return Err(ServiceError::invalid(
            "title",
            "Give the task a title of 1 to 200 characters.",
        ));
    }
    Ok(t.to_owned())
}

fn check_priority(p: &str) -> ServiceResult<String> {
    let p = if p.trim().is_empty() {
        "normal"
    } else {
        p.trim()
    };
    if !TASK_PRIORITIES.contains(&p) {
        return Err(ServiceError::invalid(
            "priority",
            "Choose low, normal, high or urgent.",
        ));
    }
    Ok(p.to_owned())
}

/// Checks that `user_id` is a member who can work tasks.
///
/// # Errors
/// `Invalid` (`assignee_id`).
pub async fn check_assignee(
    db: &impl ConnectionTrait,
    scope: Scoped,
    user_id: i32,
) -> ServiceResult<()> {
    let m = scope
        .find::<membership::Entity>()
        .filter(membership::Column::UserId.eq(user_id))
        .one(db)
        .await?;
    match m.and_then(|m| Role::parse(&m.role)) {
        Some(r) if can(r, Action::WorkTasks) => Ok(()),
        _ => Err(ServiceError::invalid(
            "assignee_id",
            "Tasks can be assigned to owners, admins and agents of this workspace.",
        )),
    }
}

/// Inserts a task in the caller's transaction.
///
/// # Errors
/// `Invalid` naming the field.
pub async fn insert(
    db: &impl ConnectionTrait,
    scope: Scoped,
    n: NewTask,
) -> ServiceResult<task::Model> {
    let title = check_title(&n.title)?;
    let priority = check_priority(&n.priority)?;
    if let Some(u) = n.assignee_user_id {
        check_assignee(db, scope, u).await?;
    }
    let t = now();
    Ok(task::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        title: Set(title),
        notes: Set(n
            .notes
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())),
        conversation_id: Set(n.conversation_id),
        customer_id: Set(n.customer_id),
        assignee_user_id: Set(n.assignee_user_id),
        due_at: Set(n.due_at),
        priority: Set(priority),
        status: Set("open".into()),
        created_by_kind: Set(n.created_by.kind.to_owned()),
        created_by_user_id: Set(n.created_by.user_id),
        created_by_label: Set(n.created_by.label),
        action_id: Set(n.action_id),
        completed_at: Set(None),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Views of `rows` (names in two statements, whatever the count).
///
/// # Errors
/// Database errors.
pub async fn views(
    db: &impl ConnectionTrait,
    scope: Scoped,
    rows: Vec<task::Model>,
) -> ServiceResult<Vec<TaskView>> {
    let conv_ids: Vec<i32> = rows.iter().filter_map(|t| t.conversation_id).collect();
    let numbers = conversations::numbers(db, scope, conv_ids).await?;
    let cust_ids: Vec<i32> = rows.iter().filter_map(|t| t.customer_id).collect();
    let customers: HashMap<i32, String> = if cust_ids.is_empty() {
        HashMap::new()
    } else {
        scope
            .find::<customer::Entity>()
            .select_only()
            .column(customer::Column::Id)
            .column(customer::Column::Name)
            .filter(customer::Column::Id.is_in(cust_ids))
            .into_tuple::<(i32, String)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    let user_ids: Vec<i32> = rows.iter().filter_map(|t| t.assignee_user_id).collect();
    let users: HashMap<i32, String> = if user_ids.is_empty() {
        HashMap::new()
    } else {
        global::<user::Entity>()
            .filter(user::Column::Id.is_in(user_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect()
    };
    let at = now();
    Ok(rows
        .into_iter()
        .map(|t| TaskView {
            id: t.id,
            overdue: t.status == "open" && t.due_at.is_some_and(|d| d < at),
            title: t.title,
            notes: t.notes,
            conversation_number: t.conversation_id.and_then(|c| numbers.get(&c).copied()),
            customer: t.customer_id.and_then(|c| customers.get(&c).cloned()),
            assignee_id: t.assignee_user_id,
            assignee: t.assignee_user_id.and_then(|u| users.get(&u).cloned()),
            due_at: t.due_at.map(|d| d.to_rfc3339()),
            priority: t.priority,
            status: t.status,
            created_by: t.created_by_label,
            created_by_kind: t.created_by_kind,
            created_at: t.created_at.to_rfc3339(),
        })
        .collect())
}

/// Members tasks can be assigned to.
async fn assignees(db: &impl ConnectionTrait, scope: Scoped) -> ServiceResult<Vec<Choice>> {
    let ids: Vec<i32> = scope
        .find::<membership::Entity>()
        .all(db)
        .await?
        .into_iter()
        .filter(|m| Role::parse(&m.role).is_some_and(|r| can(r, Action::WorkTasks)))
        .map(|m| m.user_id)
        .collect();
    let mut v: Vec<Choice> = global::<user::Entity>()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| Choice {
            id: u.id,
            name: u.name,
        })
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(v)
}

/// Tasks: `filter` is `open` (default), `mine`, `overdue`, `done` or `all`;
/// `conversation_number` narrows to one conversation's.
///
/// # Errors
/// Permission; `Invalid`; `NotFound`.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    filter: &str,
    conversation_number: Option<i32>,
) -> ServiceResult<TasksView> {
    actor.require(Action::ViewInbox)?;
    let db = &state.db;
    let scope = actor.scope;
    let mut q = scope.find::<task::Entity>();
    match filter {
        "" | "open" => q = q.filter(task::Column::Status.eq("open")),
        "mine" => {
            q = q
                .filter(task::Column::Status.eq("open"))
                .filter(task::Column::AssigneeUserId.eq(actor.user_id));
        }
        "overdue" => {
            q = q
                .filter(task::Column::Status.eq("open"))
                .filter(task::Column::DueAt.lt(now()));
        }
        "done" => q = q.filter(task::Column::Status.eq("done")),
        "all" => {}
        _ => {
            return Err(ServiceError::invalid(
                "filter",
                "Use open, mine, overdue, done or all.",
            ))
        }
    }
    if let Some(n) = conversation_number {
        let c = conversations::find_by_number(db, scope, n).await?;
        q = q.filter(task::Column::ConversationId.eq(c.id));
    }
    let rows = q
        .order_by_desc(task::Column::Status.eq("open"))
        .order_by_asc(task::Column::DueAt.is_null())
        .order_by_asc(task::Column::DueAt)
        .order_by_desc(task::Column::Id)
        .limit(200)
        .all(db)
        .await?;
    Ok(TasksView {
        tasks: views(db, scope, rows).await?,
        assignees: assignees(db, scope).await?,
    })
}

/// A member creates a task.
///
/// # Errors
/// Permission; `Invalid` naming the field; `NotFound` (conversation).
pub async fn create(
    state: &AppState,
    actor: &Actor,
    f: &TaskForm,
    meta: &RequestMeta,
) -> ServiceResult<TaskView> {
    actor.require(Action::WorkTasks)?;
    let scope = actor.scope;
    let mut uow = UnitOfWork::begin(state).await?;
    let (conversation_id, customer_id) = match f.conversation_number {
        Some(n) => {
            let c = conversations::find_by_number(&*uow, scope, n)
                .await
                .map_err(|_| {
                    ServiceError::invalid(
                        "conversation_number",
                        format!("There is no ticket {}.", ticket_ref(n)),
                    )
                })?;
            (Some(c.id), Some(c.customer_id))
        }
        None => (None, None),
    };
    let row = insert(
        &*uow,
        scope,
        NewTask {
            title: f.title.clone(),
            notes: Some(f.notes.clone()),
            conversation_id,
            customer_id,
            assignee_user_id: f.assignee_id,
            due_at: parse_due(&f.due, now(), "due")?,
            priority: f.priority.clone(),
            created_by: Creator {
                kind: "member",
                user_id: Some(actor.user_id),
                label: actor.name.clone(),
            },
            action_id: None,
        },
    )
    .await?;
    record(
        &mut uow,
        scope,
        &Who::from(actor),
        meta,
        "task.created",
        &row,
    )
    .await?;
    let v = views(&*uow, scope, vec![row]).await?.remove(0);
    uow.commit().await?;
    Ok(v)
}

/// Records a task change in the activity log and tells the browsers.
///
/// # Errors
/// Database errors.
pub async fn record(
    uow: &mut UnitOfWork,
    scope: Scoped,
    who: &Who,
    meta: &RequestMeta,
    action: &'static str,
    t: &task::Model,
) -> ServiceResult<()> {
    activity::record(
        &**uow,
        scope,
        who,
        meta,
        Entry::new(action).target("task", t.id).diff(
            None,
            Some(serde_json::json!({
                "title": t.title, "status": t.status, "due_at": t.due_at,
                "assignee_user_id": t.assignee_user_id, "priority": t.priority,
            })),
        ),
    )
    .await?;
    uow.emit(Event::new(
        scope.workspace_id(),
        "task.changed",
        serde_json::json!({"id": t.id, "conversation_id": t.conversation_id}),
    ));
    Ok(())
}

/// Marks a task done or open again.
///
/// # Errors
/// Permission; `NotFound`.
pub async fn set_done(
    state: &AppState,
    actor: &Actor,
    id: i32,
    done: bool,
    meta: &RequestMeta,
) -> ServiceResult<TaskView> {
    actor.require(Action::WorkTasks)?;
    let scope = actor.scope;
    let mut uow = UnitOfWork::begin(state).await?;
    let t = scope
        .find::<task::Entity>()
        .filter(task::Column::Id.eq(id))
        .one(&*uow)
        .await?
        .ok_or(ServiceError::NotFound("Task"))?;
    let mut am = t.into_active_model();
    am.status = Set(if done { "done" } else { "open" }.into());
    am.completed_at = Set(done.then(now));
    am.updated_at = Set(now());
    let t = am.update(&*uow).await?;
    record(
        &mut uow,
        scope,
        &Who::from(actor),
        meta,
        if done {
            "task.completed"
        } else {
            "task.reopened"
        },
        &t,
    )
    .await?;
    let v = views(&*uow, scope, vec![t]).await?.remove(0);
    uow.commit().await?;
    Ok(v)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn due_dates() {
        let at = Utc.with_ymd_and_hms(2026, 12, 4, 10, 0, 0).unwrap();
        let d = |s| parse_due(s, at, "due").unwrap().map(|x| x.to_rfc3339());
        assert_eq!(d(""), None);
        assert_eq!(d("tomorrow").as_deref(), Some("2026-12-05T23:59:00+00:00"));
        assert_eq!(d("in 3 days").as_deref(), Some("2026-12-07T23:59:00+00:00"));
        assert_eq!(
            d("2027-01-02").as_deref(),
            Some("2027-01-02T23:59:00+00:00")
        );
        assert_eq!(
            d("2027-01-02T09:30").as_deref(),
            Some("2027-01-02T09:30:00+00:00")
        );
        assert!(parse_due("next week-ish", at, "due").is_err());
    }
}
