//! One way to reach a customer on a channel (kind + normalized value, unique per workspace).

use sea_orm::entity::prelude::*;

/// A `customer_identifiers` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_identifiers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub customer_id: i32,
    pub kind: String,
    pub value: String,
    pub verified: bool,
    pub created_at: DateTimeUtc,
    /// When the customer texted STOP (SMS/WhatsApp); none while they may be messaged.
    pub opted_out_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
