//! Saved views: filters + sort, personal or shared, ordered, with live counts.
//! A workspace starts with four shared views (My open, Unassigned, All open,
//! Recently updated), created the first time anyone opens the inbox.

use super::super::context::Actor;
use super::super::tenancy::Scoped;
use super::super::{bus::Event, now, AppState, ServiceError, ServiceResult};
use super::conversations;
use crate::permissions::Action;
use crate::types::{AssigneeFilter, SortOrder, Status, ViewFilter, ViewSummary};
use entity::saved_view;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, Set, TransactionTrait,
};

fn open_statuses() -> Vec<Status> {
    Status::ALL
        .iter()
        .copied()
        .filter(|s| s.is_open())
        .collect()
}

/// The default views, in order.
pub fn defaults() -> Vec<(&'static str, ViewFilter, SortOrder)> {
    vec![
        (
            "My open",
            ViewFilter {
                statuses: open_statuses(),
                assignee: Some(AssigneeFilter::Me),
                ..Default::default()
            },
            SortOrder::UpdatedDesc,
        ),
        (
            "Unassigned",
            ViewFilter {
                statuses: open_statuses(),
                assignee: Some(AssigneeFilter::Unassigned),
                ..Default::default()
            },
            SortOrder::UpdatedDesc,
        ),
        (
            "All open",
            ViewFilter {
                statuses: open_statuses(),
                ..Default::default()
            },
            SortOrder::UpdatedDesc,
        ),
        (
            "Recently updated",
            ViewFilter::default(),
            SortOrder::UpdatedDesc,
        ),
    ]
}

/// Creates the default views when the workspace has no shared view yet.
///
/// # Errors
/// Database errors.
pub async fn ensure_defaults(state: &AppState, scope: Scoped) -> ServiceResult<()> {
    let shared = scope
        .find::<saved_view::Entity>()
        .filter(saved_view::Column::OwnerUserId.is_null())
        .count(&state.db)
        .await?;
    if shared > 0 {
        return Ok(());
    }
    // One writer at a time on SQLite (see `AppState::sqlite_write_turn`).
    let _turn = state.sqlite_write_turn().await;
    let txn = state.db.begin().await?;
    // Re-check inside the transaction (two first visits at once).
    let again = scope
        .find::<saved_view::Entity>()
        .filter(saved_view::Column::OwnerUserId.is_null())
        .count(&txn)
        .await?;
    if again == 0 {
        for (i, (name, f, sort)) in defaults().into_iter().enumerate() {
            insert(&txn, scope, None, name, &f, sort, i as i32).await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

async fn insert(
    db: &impl ConnectionTrait,
    scope: Scoped,
    owner: Option<i32>,
    name: &str,
    f: &ViewFilter,
    sort: SortOrder,
    position: i32,
) -> ServiceResult<saved_view::Model> {
    let t = now();
    Ok(saved_view::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        owner_user_id: Set(owner),
        name: Set(name.to_owned()),
        filters: Set(serde_json::to_string(f).map_err(|e| ServiceError::Internal(e.to_string()))?),
        sort: Set(sort.as_str().to_owned()),
        position: Set(position),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

fn visible(actor: &Actor) -> Condition {
    Condition::any()
        .add(saved_view::Column::OwnerUserId.is_null())
        .add(saved_view::Column::OwnerUserId.eq(actor.user_id))
}

/// A view the actor may see.
///
/// # Errors
/// `NotFound`.
pub async fn find(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: i32,
) -> ServiceResult<saved_view::Model> {
    actor
        .scope
        .find::<saved_view::Entity>()
        .filter(saved_view::Column::Id.eq(id))
        .filter(visible(actor))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("View"))
}

/// Parses a stored view.
pub fn parse(v: &saved_view::Model) -> (ViewFilter, SortOrder) {
    (
        serde_json::from_str(&v.filters).unwrap_or_default(),
        SortOrder::parse(&v.sort).unwrap_or(SortOrder::UpdatedDesc),
    )
}

/// The views the actor sees (shared, then personal, each by position), with counts.
///
/// # Errors
/// Permission; database errors.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    with_counts: bool,
) -> ServiceResult<Vec<ViewSummary>> {
    actor.require(Action::ViewInbox)?;
    ensure_defaults(state, actor.scope).await?;
    let db = &state.db;
    let rows = actor
        .scope
        .find::<saved_view::Entity>()
        .filter(visible(actor))
        .order_by_asc(Expr::col(saved_view::Column::OwnerUserId).is_not_null())
        .order_by_asc(saved_view::Column::Position)
        .order_by_asc(saved_view::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for v in rows {
        let (filter, sort) = parse(&v);
        let count = if with_counts {
            conversations::count(db, actor.scope, actor.user_id, &filter).await?
        } else {
            0
        };
        out.push(ViewSummary {
            id: v.id,
            name: v.name,
            shared: v.owner_user_id.is_none(),
            filter,
            sort,
            count,
        });
    }
    Ok(out)
}

fn validate_name(name: &str) -> ServiceResult<String> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 60 {
        return Err(ServiceError::invalid(
            "name",
            "A view name must be 1 to 60 characters.",
        ));
    }
    Ok(n.to_owned())
}

/// Creates a view (shared needs `ManageSharedViews`). The filter is checked by
/// running it once.
///
/// # Errors
/// Permission, validation.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    name: &str,
    shared: bool,
    filter: ViewFilter,
    sort: SortOrder,
) -> ServiceResult<ViewSummary> {
    actor.require(if shared {
        Action::ManageSharedViews
    } else {
        Action::ViewInbox
    })?;
    let name = validate_name(name)?;
    let count = conversations::count(&state.db, actor.scope, actor.user_id, &filter).await?;
    let owner = (!shared).then_some(actor.user_id);
    let position = actor
        .scope
        .find::<saved_view::Entity>()
        .filter(visible(actor))
        .count(&state.db)
        .await? as i32;
    let v = insert(
        &state.db,
        actor.scope,
        owner,
        &name,
        &filter,
        sort,
        position,
    )
    .await?;
    state.bus.publish(Event::new(
        actor.scope.workspace_id(),
        "view.changed",
        serde_json::json!({"id": v.id}),
    ));
    Ok(ViewSummary {
        id: v.id,
        name,
        shared,
        filter,
        sort,
        count,
    })
}

fn may_edit(actor: &Actor, v: &saved_view::Model) -> ServiceResult<()> {
    match v.owner_user_id {
        None => actor.require(Action::ManageSharedViews),
        Some(o) if o == actor.user_id => Ok(()),
        Some(_) => Err(ServiceError::NotFound("View")),
    }
}

/// Renames or re-filters a view.
///
/// # Errors
/// Permission, validation, `NotFound`.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: i32,
    name: &str,
    filter: ViewFilter,
    sort: SortOrder,
) -> ServiceResult<ViewSummary> {
    let v = find(&state.db, actor, id).await?;
    may_edit(actor, &v)?;
    let name = validate_name(name)?;
    let count = conversations::count(&state.db, actor.scope, actor.user_id, &filter).await?;
    let shared = v.owner_user_id.is_none();
    let mut m = v.into_active_model();
    m.name = Set(name.clone());
    m.filters =
        Set(serde_json::to_string(&filter).map_err(|e| ServiceError::Internal(e.to_string()))?);
    m.sort = Set(sort.as_str().to_owned());
    m.updated_at = Set(now());
    m.update(&state.db).await?;
    state.bus.publish(Event::new(
        actor.scope.workspace_id(),
        "view.changed",
        serde_json::json!({"id": id}),
    ));
    Ok(ViewSummary {
        id,
        name,
        shared,
        filter,
        sort,
        count,
    })
}

/// Deletes a view.
///
/// # Errors
/// Permission, `NotFound`.
pub async fn delete(state: &AppState, actor: &Actor, id: i32) -> ServiceResult<()> {
    let v = find(&state.db, actor, id).await?;
    may_edit(actor, &v)?;
    actor
        .scope
        .delete_many::<saved_view::Entity>()
        .filter(saved_view::Column::Id.eq(id))
        .exec(&state.db)
        .await?;
    state.bus.publish(Event::new(
        actor.scope.workspace_id(),
        "view.changed",
        serde_json::json!({"id": id}),
    ));
    Ok(())
}

/// Moves a view one place up (`-1`) or down (`1`) among the views of its kind.
///
/// # Errors
/// Permission, `NotFound`.
pub async fn move_view(state: &AppState, actor: &Actor, id: i32, delta: i32) -> ServiceResult<()> {
    let v = find(&state.db, actor, id).await?;
    may_edit(actor, &v)?;
    // One writer at a time on SQLite (see `AppState::sqlite_write_turn`).
    let _turn = state.sqlite_write_turn().await;
    let txn = state.db.begin().await?;
    let mut same = actor
        .scope
        .find::<saved_view::Entity>()
        .filter(match v.owner_user_id {
            None => saved_view::Column::OwnerUserId.is_null(),
            Some(o) => saved_view::Column::OwnerUserId.eq(o),
        })
        .order_by_asc(saved_view::Column::Position)
        .order_by_asc(saved_view::Column::Id)
        .all(&txn)
        .await?;
    let Some(i) = same.iter().position(|x| x.id == id) else {
        return Err(ServiceError::NotFound("View"));
    };
    let j = i as i64 + i64::from(delta.signum());
    if j >= 0 && (j as usize) < same.len() {
        same.swap(i, j as usize);
    }
    for (pos, x) in same.into_iter().enumerate() {
        if x.position != pos as i32 {
            let mut m = x.into_active_model();
            m.position = Set(pos as i32);
            m.update(&txn).await?;
        }
    }
    txn.commit().await?;
    state.bus.publish(Event::new(
        actor.scope.workspace_id(),
        "view.changed",
        serde_json::json!({"id": id}),
    ));
    Ok(())
}

/// Reference data for the inbox screens.
///
/// # Errors
/// Permission; database errors.
pub async fn meta(state: &AppState, actor: &Actor) -> ServiceResult<crate::types::InboxMeta> {
    use crate::types::{Choice, TagView};
    use entity::{membership, tag, team, user};
    actor.require(Action::ViewInbox)?;
    let db = &state.db;
    let members = actor.scope.find::<membership::Entity>().all(db).await?;
    let signature = members
        .iter()
        .find(|m| m.user_id == actor.user_id)
        .and_then(|m| m.signature.clone());
    let agent_ids: Vec<i32> = members
        .iter()
        .filter(|m| {
            crate::permissions::Role::parse(&m.role)
                .is_some_and(|r| crate::permissions::can(r, Action::ManageConversations))
        })
        .map(|m| m.user_id)
        .collect();
    let mut agents: Vec<Choice> = super::super::tenancy::global::<user::Entity>()
        .filter(user::Column::Id.is_in(agent_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| Choice {
            id: u.id,
            name: u.name,
        })
        .collect();
    agents.sort_by(|a, b| a.name.cmp(&b.name));
    let teams = actor
        .scope
        .find::<team::Entity>()
        .order_by_asc(team::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|t| Choice {
            id: t.id,
            name: t.name,
        })
        .collect();
    let tags = actor
        .scope
        .find::<tag::Entity>()
        .order_by_asc(tag::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|t| TagView {
            id: t.id,
            name: t.name,
            color: t.color,
        })
        .collect();
    Ok(crate::types::InboxMeta {
        me: actor.user_id,
        agents,
        teams,
        tags,
        fields: conversations::field_defs(db, actor.scope).await?,
        signature,
    })
}

/// The actor's notifications, newest first (at most 50).
///
/// # Errors
/// Database errors.
pub async fn notifications(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> ServiceResult<Vec<crate::types::NotificationView>> {
    use entity::notification;
    use sea_orm::QuerySelect;
    let rows = actor
        .scope
        .find::<notification::Entity>()
        .filter(notification::Column::UserId.eq(actor.user_id))
        .filter(notification::Column::ShownAt.is_not_null())
        .order_by_desc(notification::Column::ShownAt)
        .order_by_desc(notification::Column::Id)
        .limit(50)
        .all(db)
        .await?;
    let conv_ids: Vec<i32> = rows.iter().filter_map(|n| n.conversation_id).collect();
    let numbers = super::conversations::numbers(db, actor.scope, conv_ids).await?;
    Ok(rows
        .into_iter()
        .map(|n| crate::types::NotificationView {
            id: n.id,
            number: n.conversation_id.and_then(|c| numbers.get(&c).copied()),
            body: n.body,
            read: n.read_at.is_some(),
            at: n.shown_at.unwrap_or(n.created_at).to_rfc3339(),
        })
        .collect())
}

/// Marks the actor's notifications read.
///
/// # Errors
/// Database errors.
pub async fn mark_read(db: &impl ConnectionTrait, actor: &Actor) -> ServiceResult<()> {
    use entity::notification;
    actor
        .scope
        .update_many::<notification::Entity>()
        .col_expr(notification::Column::ReadAt, Expr::value(now()))
        .filter(notification::Column::UserId.eq(actor.user_id))
        .filter(notification::Column::ShownAt.is_not_null())
        .filter(notification::Column::ReadAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Sets the actor's signature in this workspace (empty clears it).
///
/// # Errors
/// `Invalid` when too long.
pub async fn set_signature(
    db: &impl ConnectionTrait,
    actor: &Actor,
    text: &str,
) -> ServiceResult<()> {
    use entity::membership;
    let t = text.trim();
    if t.chars().count() > 1000 {
        return Err(ServiceError::invalid(
            "signature",
            "A signature can be at most 1,000 characters.",
        ));
    }
    actor
        .scope
        .update_many::<membership::Entity>()
        .col_expr(
            membership::Column::Signature,
            Expr::value((!t.is_empty()).then(|| t.to_owned())),
        )
        .filter(membership::Column::UserId.eq(actor.user_id))
        .exec(db)
        .await?;
    Ok(())
}
