//! One person's preference for one kind of notification: in the app or not, by
//! email (never, right away, hourly or daily digest), and an optional webhook.

use sea_orm::entity::prelude::*;

/// A `notification_prefs` row (absent: the defaults).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_prefs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub user_id: i32,
    pub kind: String,
    pub in_app: bool,
    /// `off`, `instant`, `hourly` or `daily`.
    pub email: String,
    pub webhook_endpoint_id: Option<i32>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
