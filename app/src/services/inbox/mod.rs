//! The inbox (SPEC C2, C3): customers and identity resolution, conversations and
//! their numbers, messages and notes, saved views, search, merge and split, side
//! conversations, canned responses, macros, presence and attachments.
//!
//! Every function takes a [`Scoped`](super::tenancy::Scoped) (via the actor) and
//! builds its queries through it; list renders use a constant number of queries
//! (one per related table, never one per row).

pub mod attachments;
pub mod canned;
pub mod conversations;
pub mod customers;
pub mod macros;
pub mod merge;
pub mod messages;
pub mod presence;
pub mod search;
pub mod setup;
pub mod side;
pub mod tags;
pub mod views;

use super::tenancy::{global, Scoped};
use super::ServiceResult;
use crate::types::{ticket_ref, Channel, ConversationRow, Priority, Status};
use entity::{conversation, conversation_tag, customer, tag, team, user};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};
use std::collections::HashMap;

/// Turns conversation rows into list rows with four extra queries in all
/// (customers, assignees, teams, tags), whatever the number of rows.
///
/// # Errors
/// Database errors.
pub async fn rows(
    db: &impl ConnectionTrait,
    scope: Scoped,
    convs: Vec<conversation::Model>,
) -> ServiceResult<Vec<ConversationRow>> {
    if convs.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i32> = convs.iter().map(|c| c.id).collect();
    let mut customer_ids: Vec<i32> = convs.iter().map(|c| c.customer_id).collect();
    customer_ids.sort_unstable();
    customer_ids.dedup();
    let mut user_ids: Vec<i32> = convs.iter().filter_map(|c| c.assignee_id).collect();
    user_ids.sort_unstable();
    user_ids.dedup();
    let mut team_ids: Vec<i32> = convs.iter().filter_map(|c| c.team_id).collect();
    team_ids.sort_unstable();
    team_ids.dedup();

    let customers: HashMap<i32, String> = scope
        .find::<customer::Entity>()
        .filter(customer::Column::Id.is_in(customer_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
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
    let teams: HashMap<i32, String> = if team_ids.is_empty() {
        HashMap::new()
    } else {
        scope
            .find::<team::Entity>()
            .filter(team::Column::Id.is_in(team_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect()
    };
    let tags = tags_of(db, scope, &ids).await?;

    Ok(convs
        .into_iter()
        .map(|c| ConversationRow {
            id: c.id,
            number: c.number,
            reference: ticket_ref(c.number),
            customer_name: customers.get(&c.customer_id).cloned().unwrap_or_default(),
            assignee_name: c.assignee_id.and_then(|u| users.get(&u).cloned()),
            team_name: c.team_id.and_then(|t| teams.get(&t).cloned()),
            tags: tags.get(&c.id).cloned().unwrap_or_default(),
            status: Status::parse(&c.status).unwrap_or(Status::Open),
            priority: Priority::parse(&c.priority).unwrap_or(Priority::Normal),
            channel: Channel::parse(&c.channel).unwrap_or(Channel::Api),
            subject: c.subject,
            customer_id: c.customer_id,
            assignee_id: c.assignee_id,
            team_id: c.team_id,
            preview: c.preview,
            message_count: c.message_count,
            created_at: c.created_at.to_rfc3339(),
            updated_at: c.updated_at.to_rfc3339(),
        })
        .collect())
}

/// Tag names per conversation (two queries).
///
/// # Errors
/// Database errors.
pub async fn tags_of(
    db: &impl ConnectionTrait,
    scope: Scoped,
    conversation_ids: &[i32],
) -> ServiceResult<HashMap<i32, Vec<String>>> {
    let links = scope
        .find::<conversation_tag::Entity>()
        .filter(conversation_tag::Column::ConversationId.is_in(conversation_ids.to_vec()))
        .all(db)
        .await?;
    if links.is_empty() {
        return Ok(HashMap::new());
    }
    let mut tag_ids: Vec<i32> = links.iter().map(|l| l.tag_id).collect();
    tag_ids.sort_unstable();
    tag_ids.dedup();
    let names: HashMap<i32, String> = scope
        .find::<tag::Entity>()
        .filter(tag::Column::Id.is_in(tag_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let mut out: HashMap<i32, Vec<String>> = HashMap::new();
    for l in links {
        if let Some(n) = names.get(&l.tag_id) {
            out.entry(l.conversation_id).or_default().push(n.clone());
        }
    }
    for v in out.values_mut() {
        v.sort();
    }
    Ok(out)
}

/// A fresh token for a conversation's customer-facing page (128 random bits).
pub fn new_public_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// First `n` characters of `s` on one line, for previews.
pub fn excerpt(s: &str, n: usize) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= n {
        one_line
    } else {
        let mut t: String = one_line.chars().take(n).collect();
        t.push('…');
        t
    }
}
