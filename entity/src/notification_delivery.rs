//! One notification going to one person on one channel: when it is due, what
//! became of it, and the email or webhook delivery that carried it.

use sea_orm::entity::prelude::*;

/// A `notification_deliveries` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub notification_id: i32,
    pub user_id: i32,
    /// `in_app`, `email` or `webhook`.
    pub channel: String,
    /// `pending` (waiting for its due time), `delivered` (in the app),
    /// `queued` (handed to the outbox or the webhook queue), `failed`, `skipped`.
    pub status: String,
    pub due_at: DateTimeUtc,
    pub attempts: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub email_id: Option<i32>,
    pub webhook_delivery_id: Option<i32>,
    pub webhook_endpoint_id: Option<i32>,
    pub sent_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
