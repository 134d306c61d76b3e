//! An expense recorded by the `create_expense` tool (kept here until an ERP
//! adapter exists).

use sea_orm::entity::prelude::*;

/// An `expenses` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "expenses")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub description: String,
    /// Minor units (cents).
    pub amount: i64,
    pub currency: String,
    pub conversation_id: Option<i32>,
    pub customer_id: Option<i32>,
    pub action_id: Option<i32>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
