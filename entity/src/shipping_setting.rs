//! A workspace's tracking provider (EasyPost or ShipEngine): its API base and
//! keys, sealed at rest.

use sea_orm::entity::prelude::*;

/// A `shipping_settings` row (one per workspace).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shipping_settings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    /// `easypost` or `shipengine`.
    pub provider: String,
    /// None: the provider's own API.
    pub api_base: Option<String>,
    /// The API key, sealed.
    #[sea_orm(column_type = "Text", nullable)]
    pub api_key: Option<String>,
    /// EasyPost's webhook secret (HMAC), sealed; ShipEngine signs with its
    /// published RSA keys and has none.
    #[sea_orm(column_type = "Text", nullable)]
    pub webhook_secret: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
