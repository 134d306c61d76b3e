//! Merge (two or more conversations into a primary, undoable for 10 minutes) and
//! split (chosen messages become a new conversation, with references both ways).

use super::super::activity::{self, Entry, Who};
use super::super::context::{Actor, RequestMeta};
use super::super::tenancy::Scoped;
use super::super::uow::UnitOfWork;
use super::super::{bus::Event, now, AppState, ServiceError, ServiceResult};
use super::{conversations, excerpt, messages};
use crate::permissions::Action;
use crate::types::{ticket_ref, MessageKind, Status};
use entity::{attachment, conversation, conversation_tag, merge, message};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};

/// Minutes during which a merge can be undone.
pub const UNDO_MINUTES: i64 = 10;

#[derive(Debug, Serialize, Deserialize)]
struct PreviousState {
    id: i32,
    status: String,
    solved_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Recomputes a conversation's message count and preview.
///
/// # Errors
/// Database errors.
pub async fn refresh_counters(
    db: &impl ConnectionTrait,
    scope: Scoped,
    id: i32,
) -> ServiceResult<()> {
    let c = conversations::find(db, scope, id).await?;
    let count = scope
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(id))
        .count(db)
        .await?;
    let last = scope
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(id))
        .filter(message::Column::Kind.eq(MessageKind::Reply.as_str()))
        .filter(message::Column::SideConversationId.is_null())
        .order_by_desc(message::Column::CreatedAt)
        .order_by_desc(message::Column::Id)
        .one(db)
        .await?;
    let mut m = c.into_active_model();
    m.message_count = Set(count as i32);
    if let Some(l) = last {
        m.preview = Set(excerpt(&l.body_text, 140));
        m.last_message_at = Set(l.created_at);
    }
    m.updated_at = Set(now());
    m.update(db).await?;
    Ok(())
}

async fn system_note(
    uow: &mut UnitOfWork,
    actor: &Actor,
    c: &conversation::Model,
    text: String,
) -> ServiceResult<i32> {
    let row = messages::insert_agent(
        uow,
        actor,
        c,
        messages::NewMessage {
            kind: MessageKind::System,
            body_text: text,
            ..Default::default()
        },
    )
    .await?;
    let mut m = row.clone().into_active_model();
    m.author_user_id = Set(Some(actor.user_id));
    m.update(&**uow).await?;
    Ok(row.id)
}

/// Merges `secondary_ids` into `primary_id`: their messages join the primary's
/// thread (in time order), attachments follow, tags are united, and each secondary
/// is closed with a "merged into" note. Returns the merge id (for undo).
///
/// # Errors
/// Permission; `Invalid` for fewer than two distinct conversations; `NotFound`;
/// `Conflict` when one was already merged.
pub async fn merge(
    state: &AppState,
    actor: &Actor,
    primary_id: i32,
    secondary_ids: &[i32],
    meta: &RequestMeta,
) -> ServiceResult<i32> {
    actor.require(Action::MergeConversations)?;
    let mut secondary: Vec<i32> = secondary_ids
        .iter()
        .copied()
        .filter(|i| *i != primary_id)
        .collect();
    secondary.sort_unstable();
    secondary.dedup();
    if secondary.is_empty() {
        return Err(ServiceError::invalid(
            "ids",
            "Choose at least two conversations to merge.",
        ));
    }
    if secondary.len() > 20 {
        return Err(ServiceError::invalid(
            "ids",
            "Merge at most 20 conversations at a time.",
        ));
    }
    let mut uow = UnitOfWork::begin(state).await?;
    let id = merge_in(&mut uow, actor, primary_id, &secondary, meta).await?;
    uow.commit().await?;
    Ok(id)
}

/// [`merge`] inside the caller's unit of work (checked, distinct `secondary`).
///
/// # Errors
/// As [`merge`].
pub async fn merge_in(
    uow: &mut UnitOfWork,
    actor: &Actor,
    primary_id: i32,
    secondary: &[i32],
    meta: &RequestMeta,
) -> ServiceResult<i32> {
    let scope = actor.scope;
    let p = conversations::find(&**uow, scope, primary_id).await?;
    if p.merged_into_id.is_some() {
        return Err(ServiceError::conflict(
            "primary_id",
            format!(
                "{} was itself merged; choose another primary.",
                ticket_ref(p.number)
            ),
        ));
    }
    let mut moved = Vec::new();
    let mut added_tags = Vec::new();
    let mut notes = Vec::new();
    let mut previous = Vec::new();
    let p_tags: Vec<i32> = scope
        .find::<conversation_tag::Entity>()
        .filter(conversation_tag::Column::ConversationId.eq(p.id))
        .all(&**uow)
        .await?
        .into_iter()
        .map(|l| l.tag_id)
        .collect();
    for sid in secondary {
        let s = conversations::find(&**uow, scope, *sid).await?;
        if s.merged_into_id.is_some() {
            return Err(ServiceError::conflict(
                "ids",
                format!("{} was already merged.", ticket_ref(s.number)),
            ));
        }
        let ids: Vec<i32> = scope
            .find::<message::Entity>()
            .filter(message::Column::ConversationId.eq(s.id))
            .all(&**uow)
            .await?
            .into_iter()
            .map(|m| m.id)
            .collect();
        if !ids.is_empty() {
            scope
                .update_many::<message::Entity>()
                .col_expr(message::Column::ConversationId, Expr::value(p.id))
                .col_expr(message::Column::OriginConversationId, Expr::value(s.id))
                .filter(message::Column::Id.is_in(ids.clone()))
                .exec(&**uow)
                .await?;
            scope
                .update_many::<attachment::Entity>()
                .col_expr(attachment::Column::ConversationId, Expr::value(p.id))
                .filter(attachment::Column::MessageId.is_in(ids.clone()))
                .exec(&**uow)
                .await?;
        }
        moved.extend(ids);
        for l in scope
            .find::<conversation_tag::Entity>()
            .filter(conversation_tag::Column::ConversationId.eq(s.id))
            .all(&**uow)
            .await?
        {
            if !p_tags.contains(&l.tag_id) && !added_tags.contains(&l.tag_id) {
                conversation_tag::ActiveModel {
                    workspace_id: Set(scope.workspace_id()),
                    conversation_id: Set(p.id),
                    tag_id: Set(l.tag_id),
                    ..Default::default()
                }
                .insert(&**uow)
                .await?;
                added_tags.push(l.tag_id);
            }
        }
        previous.push(PreviousState {
            id: s.id,
            status: s.status.clone(),
            solved_at: s.solved_at,
        });
        let mut sm = s.clone().into_active_model();
        sm.status = Set(Status::Closed.as_str().to_owned());
        sm.merged_into_id = Set(Some(p.id));
        sm.solved_at = Set(s.solved_at.or(Some(now())));
        let s = sm.update(&**uow).await?;
        notes.push(
            system_note(
                uow,
                actor,
                &s,
                format!("Merged into {}.", ticket_ref(p.number)),
            )
            .await?,
        );
        refresh_counters(&**uow, scope, s.id).await?;
    }
    let refs: Vec<String> = {
        let mut v = Vec::new();
        for sid in secondary {
            v.push(ticket_ref(
                conversations::find(&**uow, scope, *sid).await?.number,
            ));
        }
        v
    };
    let p = conversations::find(&**uow, scope, p.id).await?;
    notes.push(
        system_note(
            uow,
            actor,
            &p,
            format!("{} merged into this conversation.", refs.join(", ")),
        )
        .await?,
    );
    refresh_counters(&**uow, scope, p.id).await?;
    let row = merge::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        primary_id: Set(p.id),
        secondary_ids: Set(j(&secondary)),
        moved_message_ids: Set(j(&moved)),
        added_tag_ids: Set(j(&added_tags)),
        note_ids: Set(j(&notes)),
        previous_states: Set(j(&previous)),
        actor_user_id: Set(Some(actor.user_id)),
        created_at: Set(now()),
        undone_at: Set(None),
        ..Default::default()
    }
    .insert(&**uow)
    .await?;
    activity::record(
        &**uow,
        scope,
        &Who::from(actor),
        meta,
        Entry::new("conversation.merged")
            .target("conversation", ticket_ref(p.number))
            .diff(
                None,
                Some(serde_json::json!({"merged": refs, "messages_moved": moved.len()})),
            ),
    )
    .await?;
    uow.emit(Event::new(
        scope.workspace_id(),
        "conversation.merged",
        serde_json::json!({"id": p.id, "number": p.number}),
    ));
    Ok(row.id)
}

fn j<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

/// Undoes a merge made less than [`UNDO_MINUTES`] ago: messages and attachments go
/// back, added tags come off, the notes go, the secondaries get their status back.
///
/// # Errors
/// Permission; `NotFound`; `Conflict` when too late or already undone.
pub async fn undo(
    state: &AppState,
    actor: &Actor,
    merge_id: i32,
    meta: &RequestMeta,
) -> ServiceResult<()> {
    actor.require(Action::MergeConversations)?;
    let scope = actor.scope;
    let mut uow = UnitOfWork::begin(state).await?;
    let m = scope
        .find::<merge::Entity>()
        .filter(merge::Column::Id.eq(merge_id))
        .one(&*uow)
        .await?
        .ok_or(ServiceError::NotFound("Merge"))?;
    if m.undone_at.is_some() {
        return Err(ServiceError::conflict(
            "merge_id",
            "This merge was already undone.",
        ));
    }
    if now() - m.created_at > chrono::Duration::minutes(UNDO_MINUTES) {
        return Err(ServiceError::conflict("merge_id", format!("A merge can be undone for {UNDO_MINUTES} minutes only; split the messages out instead.")));
    }
    let ids = |s: &str| serde_json::from_str::<Vec<i32>>(s).unwrap_or_default();
    let moved = ids(&m.moved_message_ids);
    let notes = ids(&m.note_ids);
    let tags = ids(&m.added_tag_ids);
    let previous: Vec<PreviousState> = serde_json::from_str(&m.previous_states).unwrap_or_default();
    if !notes.is_empty() {
        scope
            .delete_many::<message::Entity>()
            .filter(message::Column::Id.is_in(notes))
            .exec(&*uow)
            .await?;
    }
    for prev in &previous {
        let back: Vec<i32> = scope
            .find::<message::Entity>()
            .filter(message::Column::Id.is_in(moved.clone()))
            .filter(message::Column::OriginConversationId.eq(prev.id))
            .all(&*uow)
            .await?
            .into_iter()
            .map(|x| x.id)
            .collect();
        if !back.is_empty() {
            scope
                .update_many::<message::Entity>()
                .col_expr(message::Column::ConversationId, Expr::value(prev.id))
                .col_expr(
                    message::Column::OriginConversationId,
                    Expr::value(Option::<i32>::None),
                )
                .filter(message::Column::Id.is_in(back.clone()))
                .exec(&*uow)
                .await?;
            scope
                .update_many::<attachment::Entity>()
                .col_expr(attachment::Column::ConversationId, Expr::value(prev.id))
                .filter(attachment::Column::MessageId.is_in(back))
                .exec(&*uow)
                .await?;
        }
        let s = conversations::find(&*uow, scope, prev.id).await?;
        let mut sm = s.into_active_model();
        sm.status = Set(prev.status.clone());
        sm.solved_at = Set(prev.solved_at);
        sm.merged_into_id = Set(None);
        sm.update(&*uow).await?;
        refresh_counters(&*uow, scope, prev.id).await?;
    }
    if !tags.is_empty() {
        scope
            .delete_many::<conversation_tag::Entity>()
            .filter(conversation_tag::Column::ConversationId.eq(m.primary_id))
            .filter(conversation_tag::Column::TagId.is_in(tags))
            .exec(&*uow)
            .await?;
    }
    refresh_counters(&*uow, scope, m.primary_id).await?;
    let p = conversations::find(&*uow, scope, m.primary_id).await?;
    let mut mm = m.into_active_model();
    mm.undone_at = Set(Some(now()));
    mm.update(&*uow).await?;
    activity::record(
        &*uow,
        scope,
        &Who::from(actor),
        meta,
        Entry::new("conversation.merge_undone").target("conversation", ticket_ref(p.number)),
    )
    .await?;
    uow.emit(Event::new(
        scope.workspace_id(),
        "conversation.merged",
        serde_json::json!({"id": p.id, "number": p.number}),
    ));
    uow.commit().await?;
    Ok(())
}

/// Moves the chosen messages of a conversation into a new one (same customer and
/// channel), noting the split in both. Returns the new conversation's number.
///
/// # Errors
/// Permission; `Invalid` when no message, or every message, is chosen, or one is
/// not in this conversation; `NotFound`.
pub async fn split(
    state: &AppState,
    actor: &Actor,
    conversation_id: i32,
    message_ids: &[i32],
    subject: Option<&str>,
    meta: &RequestMeta,
) -> ServiceResult<i32> {
    actor.require(Action::MergeConversations)?;
    let scope = actor.scope;
    let mut ids = message_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Err(ServiceError::invalid(
            "message_ids",
            "Choose the messages to split out.",
        ));
    }
    let mut uow = UnitOfWork::begin(state).await?;
    let c = conversations::find(&*uow, scope, conversation_id).await?;
    let all = scope
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(c.id))
        .filter(message::Column::Kind.ne(MessageKind::System.as_str()))
        .all(&*uow)
        .await?;
    if ids.iter().any(|i| !all.iter().any(|m| m.id == *i)) {
        return Err(ServiceError::invalid(
            "message_ids",
            "A chosen message is not in this conversation.",
        ));
    }
    if ids.len() >= all.len() {
        return Err(ServiceError::invalid(
            "message_ids",
            "Leave at least one message in the original conversation.",
        ));
    }
    let number = conversations::next_number(&*uow, scope).await?;
    let t = now();
    let subject = subject
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map_or_else(|| c.subject.clone(), str::to_owned);
    let n = conversation::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        number: Set(number),
        subject: Set(subject.chars().take(250).collect()),
        status: Set(Status::Open.as_str().to_owned()),
        priority: Set(c.priority.clone()),
        channel: Set(c.channel.clone()),
        customer_id: Set(c.customer_id),
        assignee_id: Set(c.assignee_id),
        team_id: Set(c.team_id),
        custom_fields: Set(c.custom_fields.clone()),
        first_response_at: Set(None),
        solved_at: Set(None),
        merged_into_id: Set(None),
        split_from_id: Set(Some(c.id)),
        preview: Set(String::new()),
        public_token: Set(super::new_public_token()),
        message_count: Set(0),
        last_message_at: Set(t),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(&*uow)
    .await?;
    scope
        .update_many::<message::Entity>()
        .col_expr(message::Column::ConversationId, Expr::value(n.id))
        .filter(message::Column::Id.is_in(ids.clone()))
        .exec(&*uow)
        .await?;
    scope
        .update_many::<attachment::Entity>()
        .col_expr(attachment::Column::ConversationId, Expr::value(n.id))
        .filter(attachment::Column::MessageId.is_in(ids.clone()))
        .exec(&*uow)
        .await?;
    system_note(
        &mut uow,
        actor,
        &c,
        format!(
            "{} message(s) split into {}.",
            ids.len(),
            ticket_ref(number)
        ),
    )
    .await?;
    let nn = conversations::find(&*uow, scope, n.id).await?;
    system_note(
        &mut uow,
        actor,
        &nn,
        format!("Split from {}.", ticket_ref(c.number)),
    )
    .await?;
    refresh_counters(&*uow, scope, c.id).await?;
    refresh_counters(&*uow, scope, n.id).await?;
    activity::record(
        &*uow,
        scope,
        &Who::from(actor),
        meta,
        Entry::new("conversation.split")
            .target("conversation", ticket_ref(c.number))
            .diff(
                None,
                Some(serde_json::json!({"into": ticket_ref(number), "messages": ids})),
            ),
    )
    .await?;
    uow.emit(Event::new(
        scope.workspace_id(),
        "conversation.created",
        serde_json::json!({"id": n.id, "number": number}),
    ));
    uow.emit(Event::new(
        scope.workspace_id(),
        "conversation.updated",
        serde_json::json!({"id": c.id, "number": c.number}),
    ));
    uow.commit().await?;
    Ok(number)
}
