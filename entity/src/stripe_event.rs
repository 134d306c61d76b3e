//! A Stripe event already handled: its id is unique per workspace, written in
//! the same transaction as the change the event made, so a repeat changes
//! nothing.

use sea_orm::entity::prelude::*;

/// A `stripe_events` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stripe_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    /// `evt_…`.
    pub event_id: String,
    /// `checkout.session.completed`, …
    pub kind: String,
    /// The order it names, if any.
    pub order_id: Option<i32>,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
