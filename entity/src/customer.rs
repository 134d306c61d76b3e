//! A customer (contact). `merged_into_id` is set when merged into another.

use sea_orm::entity::prelude::*;

/// A `customers` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub notes: Option<String>,
    pub merged_into_id: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// IANA zone (`Europe/Berlin`), told by the widget or set by an agent:
    /// campaign quiet hours are the customer's.
    pub timezone: Option<String>,
    /// Where their orders go unless they say otherwise (JSON,
    /// `app::types::Address`).
    #[sea_orm(column_type = "Text", nullable)]
    pub default_address: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
