//! Inbox set-up: teams and custom field definitions.

use super::super::context::Actor;
use super::super::{now, AppState, ServiceError, ServiceResult};
use crate::permissions::Action;
use crate::types::{Choice, CustomFieldDef, FieldKind};
use entity::{custom_field_def, team, team_member};
use sea_orm::{ActiveModelTrait, ColumnTrait, PaginatorTrait, QueryFilter, Set};

/// Creates a team with members.
///
/// # Errors
/// Permission; `Invalid` name; `Conflict` when the name is taken.
pub async fn create_team(
    state: &AppState,
    actor: &Actor,
    name: &str,
    member_ids: &[i32],
) -> ServiceResult<Choice> {
    actor.require(Action::ManageInboxSettings)?;
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 60 {
        return Err(ServiceError::invalid(
            "name",
            "A team name must be 1 to 60 characters.",
        ));
    }
    let members: Vec<i32> = actor
        .scope
        .find::<entity::membership::Entity>()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    if member_ids.iter().any(|u| !members.contains(u)) {
        return Err(ServiceError::invalid(
            "member_ids",
            "Only members of this workspace can join a team.",
        ));
    }
    let taken = actor
        .scope
        .find::<team::Entity>()
        .filter(team::Column::Name.eq(n))
        .count(&state.db)
        .await?;
    if taken > 0 {
        return Err(ServiceError::conflict(
            "name",
            format!("A team named {n} exists already."),
        ));
    }
    let t = team::ActiveModel {
        workspace_id: Set(actor.scope.workspace_id()),
        name: Set(n.to_owned()),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    for u in member_ids {
        team_member::ActiveModel {
            workspace_id: Set(actor.scope.workspace_id()),
            team_id: Set(t.id),
            user_id: Set(*u),
            ..Default::default()
        }
        .insert(&state.db)
        .await?;
    }
    Ok(Choice {
        id: t.id,
        name: t.name,
    })
}

/// Defines a custom field.
///
/// # Errors
/// Permission; `Invalid` key, label or options; `Conflict` when the key exists.
pub async fn create_field(
    state: &AppState,
    actor: &Actor,
    key: &str,
    label: &str,
    kind: FieldKind,
    options: Vec<String>,
) -> ServiceResult<CustomFieldDef> {
    actor.require(Action::ManageInboxSettings)?;
    let key = key.trim().to_lowercase();
    if key.is_empty()
        || key.len() > 64
        || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(ServiceError::invalid(
            "key",
            "A key uses a-z, 0-9 and _ (up to 64).",
        ));
    }
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 80 {
        return Err(ServiceError::invalid(
            "label",
            "A label must be 1 to 80 characters.",
        ));
    }
    if kind == FieldKind::Dropdown && options.is_empty() {
        return Err(ServiceError::invalid(
            "options",
            "A dropdown needs at least one option.",
        ));
    }
    let exists = actor
        .scope
        .find::<custom_field_def::Entity>()
        .filter(custom_field_def::Column::Key.eq(&key))
        .count(&state.db)
        .await?;
    if exists > 0 {
        return Err(ServiceError::conflict(
            "key",
            format!("A field with key {key} exists already."),
        ));
    }
    let position = actor
        .scope
        .find::<custom_field_def::Entity>()
        .count(&state.db)
        .await? as i32;
    let d = custom_field_def::ActiveModel {
        workspace_id: Set(actor.scope.workspace_id()),
        key: Set(key),
        label: Set(label.to_owned()),
        kind: Set(kind.as_str().to_owned()),
        options: Set(
            serde_json::to_string(&options).map_err(|e| ServiceError::Internal(e.to_string()))?
        ),
        position: Set(position),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    Ok(CustomFieldDef {
        id: d.id,
        key: d.key,
        label: d.label,
        kind,
        options,
    })
}
