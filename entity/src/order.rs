//! A customer's order: its status (the state machine in
//! `app::types::OrderStatus`), amounts in minor units, where it goes and how it
//! was paid.

use sea_orm::entity::prelude::*;

/// An `orders` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    /// What the customer quotes (`1042`); unique in the workspace.
    pub number: String,
    pub customer_id: i32,
    /// `pending`, `paid`, `fulfilled`, `shipped`, `delivered`, `cancelled`,
    /// `partially_refunded`, `refunded`.
    pub status: String,
    pub currency: String,
    pub subtotal_minor: i64,
    pub shipping_minor: i64,
    pub total_minor: i64,
    /// Refunded so far.
    pub refunded_minor: i64,
    /// JSON (`app::types::Address`).
    #[sea_orm(column_type = "Text")]
    pub shipping_address: String,
    /// How it was paid (JSON: kind, brand, last four …).
    #[sea_orm(column_type = "Text")]
    pub payment: String,
    pub stripe_session: Option<String>,
    /// The shopper's private key to their order page (random, in the link).
    pub access_key: Option<String>,
    /// Stripe's payment intent, once paid (refunds name it).
    pub payment_intent: Option<String>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    /// Who tracks it: `easypost`, `shipengine`; None: not tracked (no
    /// provider set up when it shipped).
    pub tracking_provider: Option<String>,
    /// The provider's tracker (EasyPost `trk_…`; ShipEngine tracks by carrier
    /// and number and has none).
    pub tracker_id: Option<String>,
    /// The carrier's latest word (`app::types::TrackingStatus`).
    pub tracking_status: Option<String>,
    /// When the carrier expects to deliver.
    pub tracking_eta: Option<DateTimeUtc>,
    /// When the provider was last asked (the polling job).
    pub tracking_checked_at: Option<DateTimeUtc>,
    pub placed_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
