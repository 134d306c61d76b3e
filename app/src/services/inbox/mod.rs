//! The inbox (SPEC C2, C3): customers and identity resolution, conversations and
//! their numbers, messages and notes, saved views, search, merge and split, side
//! conversations, canned responses, macros, presence and attachments.
//!
//! Every function takes a [`Scoped`](super::tenancy::Scoped) (via the actor) and
//! builds its queries through it; list renders use a constant number of queries
//! (one per related table, never one per row).

pub mod attachments;
pub mod canned;
pub mod clock;
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
use sea_orm::sea_query::{Expr, UnionType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect, QueryTrait,
};
use std::collections::HashMap;

/// Turns conversation rows into list rows with one extra query, whatever the
/// number of rows: the names of their customers, assignees, teams and tags, read
/// together (`UNION ALL`), each table through its own index.
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
    let names = names_for(db, scope, &convs, &ids).await?;
    let mut clocks = clock::clocks(db, scope, &convs).await?;
    let name = |kind: Kind, id: i32| names.one.get(&(kind, id)).cloned();
    Ok(convs
        .into_iter()
        .map(|c| ConversationRow {
            id: c.id,
            number: c.number,
            reference: ticket_ref(c.number),
            customer_name: name(Kind::Customer, c.customer_id).unwrap_or_default(),
            assignee_name: c.assignee_id.and_then(|u| name(Kind::User, u)),
            team_name: c.team_id.and_then(|t| name(Kind::Team, t)),
            tags: names.tags.get(&c.id).cloned().unwrap_or_default(),
            sla: clocks.remove(&c.id),
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

/// Which table a name came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    Customer,
    User,
    Team,
    Tag,
}

impl Kind {
    const fn code(self) -> &'static str {
        match self {
            Self::Customer => "c",
            Self::User => "u",
            Self::Team => "t",
            Self::Tag => "g",
        }
    }
}

/// Names for a page of conversations.
struct Names {
    /// Customer, user and team names by id.
    one: HashMap<(Kind, i32), String>,
    /// Tag names per conversation, sorted.
    tags: HashMap<i32, Vec<String>>,
}

async fn names_for(
    db: &impl ConnectionTrait,
    scope: Scoped,
    convs: &[conversation::Model],
    ids: &[i32],
) -> ServiceResult<Names> {
    let distinct = |v: Vec<i32>| {
        let mut v = v;
        v.sort_unstable();
        v.dedup();
        v
    };
    let customer_ids = distinct(convs.iter().map(|c| c.customer_id).collect());
    let user_ids = distinct(convs.iter().filter_map(|c| c.assignee_id).collect());
    let team_ids = distinct(convs.iter().filter_map(|c| c.team_id).collect());
    let k = |kind: Kind| Expr::cust(format!("'{}'", kind.code()));

    let mut q = scope
        .find::<customer::Entity>()
        .select_only()
        .column_as(k(Kind::Customer), "k")
        .column_as(customer::Column::Id, "id")
        .column_as(customer::Column::Name, "name")
        .filter(customer::Column::Id.is_in(customer_ids))
        .into_query();
    if !user_ids.is_empty() {
        q.union(
            UnionType::All,
            global::<user::Entity>()
                .select_only()
                .column_as(k(Kind::User), "k")
                .column_as(user::Column::Id, "id")
                .column_as(user::Column::Name, "name")
                .filter(user::Column::Id.is_in(user_ids))
                .into_query(),
        );
    }
    if !team_ids.is_empty() {
        q.union(
            UnionType::All,
            scope
                .find::<team::Entity>()
                .select_only()
                .column_as(k(Kind::Team), "k")
                .column_as(team::Column::Id, "id")
                .column_as(team::Column::Name, "name")
                .filter(team::Column::Id.is_in(team_ids))
                .into_query(),
        );
    }
    // Tags: the conversation's id with each tag name.
    q.union(
        UnionType::All,
        scope
            .find::<conversation_tag::Entity>()
            .select_only()
            .column_as(k(Kind::Tag), "k")
            .column_as(conversation_tag::Column::ConversationId, "id")
            .column_as(Expr::col((tag::Entity, tag::Column::Name)), "name")
            .join(
                JoinType::InnerJoin,
                conversation_tag::Entity::belongs_to(tag::Entity)
                    .from(conversation_tag::Column::TagId)
                    .to(tag::Column::Id)
                    .into(),
            )
            .filter(conversation_tag::Column::ConversationId.is_in(ids.to_vec()))
            .into_query(),
    );
    let backend = db.get_database_backend();
    let mut out = Names {
        one: HashMap::new(),
        tags: HashMap::new(),
    };
    for r in db.query_all(backend.build(&q)).await? {
        let code: String = r.try_get("", "k")?;
        let id: i32 = r.try_get("", "id")?;
        let name: String = r.try_get("", "name")?;
        match code.as_str() {
            "g" => out.tags.entry(id).or_default().push(name),
            "c" => drop(out.one.insert((Kind::Customer, id), name)),
            "u" => drop(out.one.insert((Kind::User, id), name)),
            _ => drop(out.one.insert((Kind::Team, id), name)),
        }
    }
    for v in out.tags.values_mut() {
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
