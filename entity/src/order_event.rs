//! What happened to an order, in order: status moves (from, to), notes and
//! refunds, with who did it. The order's timeline.

use sea_orm::entity::prelude::*;

/// An `order_events` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub order_id: i32,
    /// `status`, `note`.
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub note: String,
    /// Who: a member's name, `Stripe`, `the AI agent`, `the customer`.
    pub actor: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
