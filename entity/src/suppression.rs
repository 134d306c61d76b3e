//! An address a workspace's campaigns never write to: unsubscribed, bounced or
//! complained (transactional email such as replies to tickets still goes).

use sea_orm::entity::prelude::*;

/// A `suppressions` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "suppressions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    /// Lower-cased address.
    pub email: String,
    /// `unsubscribed`, `bounced`, `complained`.
    pub reason: String,
    /// Where it came from ("one-click unsubscribe from Spring sale").
    #[sea_orm(column_type = "Text")]
    pub note: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
