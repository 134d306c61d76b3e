//! The email outbox: every email is written here in the transaction that causes it,
//! then sent by a job.

use sea_orm::entity::prelude::*;

/// An outbox row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "emails")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: Option<i32>,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub kind: String,
    pub status: String,
    pub last_error: Option<String>,
    pub attempts: i32,
    pub message_id: String,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    pub archived_at: Option<DateTimeUtc>,
    /// From header for this email (the workspace's address); None: the server default.
    pub from_address: Option<String>,
    /// In-Reply-To (with brackets) so the recipient's client threads it.
    pub in_reply_to: Option<String>,
    /// References (space-separated, with brackets).
    #[sea_orm(column_type = "Text", nullable)]
    pub references_header: Option<String>,
    /// Sent with `Auto-Submitted: auto-replied` (automatic messages, never answered by autoresponders).
    pub auto_submitted: bool,
    /// Extra headers (JSON object), e.g. `List-Unsubscribe` on campaign email.
    #[sea_orm(column_type = "Text", nullable)]
    pub headers: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
