//! A Slack thread a conversation is mirrored to: `ticket` (opened with
//! `/ticket`, the requester writes in it), `notify` (the new-conversation
//! post in the notifications channel) or `side` (a side conversation held in
//! a Slack channel). `thread_ts` is empty until the root message is posted.

use sea_orm::entity::prelude::*;

/// A `slack_threads` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "slack_threads")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub conversation_id: i32,
    pub side_conversation_id: Option<i32>,
    /// `ticket`, `notify` or `side`.
    pub kind: String,
    /// Channel id (or the name given, until the root is posted).
    pub channel: String,
    /// The root message's `ts`.
    pub thread_ts: Option<String>,
    /// `ticket`: the Slack user who opened it (`T…:U…`).
    pub requester: Option<String>,
    /// Why the root could not be posted.
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
