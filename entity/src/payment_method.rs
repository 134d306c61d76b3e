//! A customer's saved way to pay: a card, a wallet account (PayPal) or a gift
//! card, whose balance (minor units) refunds add to and payments take from.

use sea_orm::entity::prelude::*;

/// A `payment_methods` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_methods")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub customer_id: i32,
    /// `card`, `wallet`, `gift_card`.
    pub kind: String,
    /// `Visa ending 4242`, `PayPal ana@example.com`, `Gift card …7731`.
    pub label: String,
    /// A gift card's balance (0 for the others).
    pub balance_minor: i64,
    pub currency: String,
    pub is_default: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
