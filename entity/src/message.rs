//! A message in a conversation: a public reply, an internal note, or a system entry.

use sea_orm::entity::prelude::*;

/// A `messages` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub conversation_id: i32,
    pub kind: String,
    pub direction: String,
    pub author_user_id: Option<i32>,
    pub author_customer_id: Option<i32>,
    #[sea_orm(column_type = "Text")]
    pub body_html: String,
    #[sea_orm(column_type = "Text")]
    pub body_text: String,
    pub side_conversation_id: Option<i32>,
    pub delivery_status: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub delivery_error: Option<String>,
    pub external_id: Option<String>,
    pub origin_conversation_id: Option<i32>,
    pub created_at: DateTimeUtc,
    /// RFC 5322 Message-ID (without brackets) of the email that carried it, in or out.
    pub rfc_message_id: Option<String>,
    /// Who wrote it when no member or customer did (`Rule: Welcome`); none for
    /// the AI agent and system entries.
    pub author_label: Option<String>,
    /// A bot question's choices (JSON: `{"style": "buttons"|"dropdown", "choices": [..]}`).
    #[sea_orm(column_type = "Text", nullable)]
    pub choices: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
