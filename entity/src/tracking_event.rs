//! What the carrier reported about a shipped order: one row per scan or
//! status, kept once however often a webhook or a poll repeats it.

use sea_orm::entity::prelude::*;

/// A `tracking_events` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tracking_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub order_id: i32,
    /// `easypost` or `shipengine`.
    pub provider: String,
    /// What makes the event itself (time, status, message): unique per order.
    pub event_key: String,
    /// `app::types::TrackingStatus`.
    pub status: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// "Leeds, GB"; empty when the carrier gave none.
    pub location: String,
    pub occurred_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
