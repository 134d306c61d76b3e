//! Macros: named lists of actions (status, priority, assignee, team, tags, fields,
//! a reply or a note) applied to a conversation in one transaction, with a preview
//! that says exactly what will change first.

use super::super::context::{Actor, RequestMeta};
use super::super::tenancy::global;
use super::super::uow::UnitOfWork;
use super::super::{now, AppState, ServiceError, ServiceResult};
use super::{canned, conversations, messages};
use crate::permissions::Action;
use crate::types::{ConversationRow, MacroAction, MacroPreview, MacroView, MessageKind};
use entity::{inbox_macro, team, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};

fn view(m: inbox_macro::Model) -> MacroView {
    MacroView {
        id: m.id,
        actions: serde_json::from_str(&m.actions).unwrap_or_default(),
        name: m.name,
        description: m.description,
    }
}

/// Every macro, by name.
///
/// # Errors
/// Permission; database errors.
pub async fn list(db: &impl ConnectionTrait, actor: &Actor) -> ServiceResult<Vec<MacroView>> {
    actor.require(Action::ViewInbox)?;
    Ok(actor
        .scope
        .find::<inbox_macro::Entity>()
        .order_by_asc(inbox_macro::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

async fn find(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: i32,
) -> ServiceResult<inbox_macro::Model> {
    actor
        .scope
        .find::<inbox_macro::Entity>()
        .filter(inbox_macro::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Macro"))
}

fn validate(name: &str, actions: &[MacroAction]) -> ServiceResult<String> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 80 {
        return Err(ServiceError::invalid(
            "name",
            "A macro name must be 1 to 80 characters.",
        ));
    }
    if actions.is_empty() {
        return Err(ServiceError::invalid("actions", "Add at least one action."));
    }
    if actions.len() > 20 {
        return Err(ServiceError::invalid(
            "actions",
            "A macro can have at most 20 actions.",
        ));
    }
    for a in actions {
        match a {
            MacroAction::AddTags(t) | MacroAction::RemoveTags(t) => {
                for x in t {
                    conversations::normalize_tag(x)?;
                }
            }
            MacroAction::Reply(body) | MacroAction::Note(body) => {
                let r = canned::render_with(body, &canned::sample_context())?;
                if !r.unknown_variables.is_empty() {
                    return Err(ServiceError::invalid(
                        "actions",
                        format!("Unknown variable(s): {}.", r.unknown_variables.join(", ")),
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(n.to_owned())
}

/// Creates a macro.
///
/// # Errors
/// Permission, validation.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    name: &str,
    description: &str,
    actions: Vec<MacroAction>,
) -> ServiceResult<MacroView> {
    actor.require(Action::ManageInboxSettings)?;
    let name = validate(name, &actions)?;
    let t = now();
    let m = inbox_macro::ActiveModel {
        workspace_id: Set(actor.scope.workspace_id()),
        name: Set(name),
        description: Set(description.trim().chars().take(300).collect()),
        actions: Set(
            serde_json::to_string(&actions).map_err(|e| ServiceError::Internal(e.to_string()))?
        ),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    Ok(view(m))
}

/// Replaces a macro's name, description and actions.
///
/// # Errors
/// Permission, validation, `NotFound`.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: i32,
    name: &str,
    description: &str,
    actions: Vec<MacroAction>,
) -> ServiceResult<MacroView> {
    actor.require(Action::ManageInboxSettings)?;
    let name = validate(name, &actions)?;
    let mut m = find(&state.db, actor, id).await?.into_active_model();
    m.name = Set(name);
    m.description = Set(description.trim().chars().take(300).collect());
    m.actions =
        Set(serde_json::to_string(&actions).map_err(|e| ServiceError::Internal(e.to_string()))?);
    m.updated_at = Set(now());
    Ok(view(m.update(&state.db).await?))
}

/// Deletes a macro.
///
/// # Errors
/// Permission, `NotFound`.
pub async fn delete(state: &AppState, actor: &Actor, id: i32) -> ServiceResult<()> {
    actor.require(Action::ManageInboxSettings)?;
    find(&state.db, actor, id).await?;
    actor
        .scope
        .delete_many::<inbox_macro::Entity>()
        .filter(inbox_macro::Column::Id.eq(id))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// What applying the macro to the conversation would do, in words.
///
/// # Errors
/// Permission, `NotFound`.
pub async fn preview(
    db: &impl ConnectionTrait,
    actor: &Actor,
    macro_id: i32,
    conversation_id: i32,
) -> ServiceResult<MacroPreview> {
    actor.require(Action::ViewInbox)?;
    let m = view(find(db, actor, macro_id).await?);
    conversations::find(db, actor.scope, conversation_id).await?;
    let mut changes = Vec::new();
    let mut unknown = Vec::new();
    for a in &m.actions {
        changes.push(match a {
            MacroAction::SetStatus(s) => format!("Set status to {}", s.label()),
            MacroAction::SetPriority(p) => format!("Set priority to {}", p.label()),
            MacroAction::Assign(None) => "Unassign".to_owned(),
            MacroAction::Assign(Some(u)) => {
                let name = global::<user::Entity>()
                    .filter(user::Column::Id.eq(*u))
                    .one(db)
                    .await?
                    .map_or_else(|| format!("user #{u}"), |u| u.name);
                format!("Assign to {name}")
            }
            MacroAction::SetTeam(None) => "Remove the team".to_owned(),
            MacroAction::SetTeam(Some(t)) => {
                let name = actor
                    .scope
                    .find::<team::Entity>()
                    .filter(team::Column::Id.eq(*t))
                    .one(db)
                    .await?
                    .map_or_else(|| format!("team #{t}"), |t| t.name);
                format!("Route to team {name}")
            }
            MacroAction::AddTags(t) => format!("Add tags: {}", t.join(", ")),
            MacroAction::RemoveTags(t) => format!("Remove tags: {}", t.join(", ")),
            MacroAction::SetField { key, value } => format!("Set {key} to {value}"),
            MacroAction::Reply(body) | MacroAction::Note(body) => {
                let r = canned::render(db, actor, conversation_id, body).await?;
                unknown.extend(r.unknown_variables);
                let what = if matches!(a, MacroAction::Reply(_)) {
                    "Send reply"
                } else {
                    "Add note"
                };
                format!("{what}: {}", r.text)
            }
        });
    }
    Ok(MacroPreview {
        changes,
        unknown_variables: unknown,
    })
}

/// Applies the macro in one transaction (all steps or none).
///
/// # Errors
/// Permission (a reply needs `ReplyToCustomers`), validation, `NotFound`.
pub async fn apply(
    state: &AppState,
    actor: &Actor,
    macro_id: i32,
    conversation_id: i32,
    meta: &RequestMeta,
) -> ServiceResult<ConversationRow> {
    actor.require(Action::ManageConversations)?;
    let m = view(find(&state.db, actor, macro_id).await?);
    let mut uow = UnitOfWork::begin(state).await?;
    uow.act_as(actor.user_id);
    let c = apply_in(&mut uow, actor, &m, conversation_id, meta).await?;
    let row = super::rows(&*uow, actor.scope, vec![c]).await?.remove(0);
    uow.commit().await?;
    Ok(row)
}

/// A macro by name (case-insensitive), for tools.
///
/// # Errors
/// `Invalid` (`macro`) when there is none.
pub async fn by_name(
    db: &impl ConnectionTrait,
    actor: &Actor,
    name: &str,
) -> ServiceResult<MacroView> {
    list(db, actor)
        .await?
        .into_iter()
        .find(|m| m.name.eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| {
            ServiceError::invalid(
                "macro",
                format!("There is no macro named “{}”.", name.trim()),
            )
        })
}

/// Applies a macro inside the caller's unit of work; returns the conversation.
///
/// # Errors
/// As [`apply`].
pub async fn apply_in(
    uow: &mut UnitOfWork,
    actor: &Actor,
    m: &MacroView,
    conversation_id: i32,
    meta: &RequestMeta,
) -> ServiceResult<entity::conversation::Model> {
    actor.require(Action::ManageConversations)?;
    let mut patch = conversations::ConversationPatch::default();
    let (mut add, mut remove) = (Vec::new(), Vec::new());
    let mut posts = Vec::new();
    for a in &m.actions {
        match a {
            MacroAction::SetStatus(s) => patch.status = Some(*s),
            MacroAction::SetPriority(p) => patch.priority = Some(*p),
            MacroAction::Assign(u) => patch.assignee_id = Some(*u),
            MacroAction::SetTeam(t) => patch.team_id = Some(*t),
            MacroAction::AddTags(t) => add.extend(t.iter().cloned()),
            MacroAction::RemoveTags(t) => remove.extend(t.iter().cloned()),
            MacroAction::SetField { key, value } => patch.fields.push((key.clone(), value.clone())),
            MacroAction::Reply(b) => {
                actor.require(Action::ReplyToCustomers)?;
                posts.push((MessageKind::Reply, b.clone()));
            }
            MacroAction::Note(b) => posts.push((MessageKind::Note, b.clone())),
        }
    }
    // Post first, so a status set by the macro (e.g. Solved) is the final one.
    for (kind, body) in posts {
        let r = canned::render(&**uow, actor, conversation_id, &body).await?;
        if !r.unknown_variables.is_empty() {
            return Err(ServiceError::invalid(
                "actions",
                format!("Unknown variable(s): {}.", r.unknown_variables.join(", ")),
            ));
        }
        let c = conversations::find(&**uow, actor.scope, conversation_id).await?;
        messages::insert_agent(
            uow,
            actor,
            &c,
            messages::NewMessage {
                kind,
                body_text: r.text,
                ..Default::default()
            },
        )
        .await?;
    }
    if !add.is_empty() || !remove.is_empty() {
        let added =
            conversations::set_tags_in(&**uow, actor.scope, conversation_id, &add, &remove).await?;
        if !added.is_empty() || !remove.is_empty() {
            let c = conversations::find(&**uow, actor.scope, conversation_id).await?;
            conversations::note_updated(uow, &c, vec!["tags"]);
        }
    }
    let c = if patch.is_empty() {
        let c = conversations::find(&**uow, actor.scope, conversation_id).await?;
        conversations::touch(&**uow, c).await?
    } else {
        conversations::apply_patch(uow, actor, conversation_id, &patch, meta).await?
    };
    super::super::activity::record(
        &**uow,
        actor.scope,
        &super::super::activity::Who::from(actor),
        meta,
        super::super::activity::Entry::new("macro.applied")
            .target("conversation", crate::types::ticket_ref(c.number))
            .diff(None, Some(serde_json::json!({"macro": m.name}))),
    )
    .await?;
    uow.emit(super::super::bus::Event::new(
        actor.scope.workspace_id(),
        "conversation.updated",
        serde_json::json!({"id": c.id, "number": c.number}),
    ));
    Ok(c)
}
