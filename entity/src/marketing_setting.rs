//! A workspace's campaign sending settings (one row; defaults when absent).

use sea_orm::entity::prelude::*;

/// A `marketing_settings` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "marketing_settings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    /// At most this many campaign emails to one customer …
    pub cap_count: i32,
    /// … in this many days (0: no cap).
    pub cap_days: i32,
    /// No campaign email from this hour (0–23, the customer's time) …
    pub quiet_start: Option<i32>,
    /// … until this hour.
    pub quiet_end: Option<i32>,
    /// The zone of customers whose own is unknown.
    pub default_timezone: String,
    /// At most this many campaign emails a minute for the workspace.
    pub per_minute: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
