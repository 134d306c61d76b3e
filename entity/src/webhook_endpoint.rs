//! An outbound webhook endpoint: a URL of the workspace's that receives signed
//! event deliveries.

use sea_orm::entity::prelude::*;

/// A `webhook_endpoints` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub url: String,
    pub description: Option<String>,
    /// HMAC key of `X-Switchboard-Signature`.
    pub secret: String,
    /// Subscribed event kinds (JSON list).
    #[sea_orm(column_type = "Text")]
    pub events: String,
    /// Extra request headers (JSON object).
    #[sea_orm(column_type = "Text")]
    pub headers: String,
    pub active: bool,
    /// Deliver to private, loopback or link-local addresses.
    pub allow_private: bool,
    #[sea_orm(column_type = "Text", nullable)]
    pub paused_reason: Option<String>,
    /// First failure since the last success.
    pub failing_since: Option<DateTimeUtc>,
    pub last_success_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
