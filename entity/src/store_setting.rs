//! A workspace's store settings: its Stripe account (API base, secret key and
//! webhook signing secret, the keys sealed at rest).

use sea_orm::entity::prelude::*;

/// A `store_settings` row (one per workspace).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "store_settings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    /// None: `https://api.stripe.com/`.
    pub stripe_api_base: Option<String>,
    /// `sk_…`, sealed.
    #[sea_orm(column_type = "Text", nullable)]
    pub stripe_secret_key: Option<String>,
    /// `whsec_…`, sealed.
    #[sea_orm(column_type = "Text", nullable)]
    pub stripe_webhook_secret: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
