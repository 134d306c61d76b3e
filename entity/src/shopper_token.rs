//! A shopper's sign-in: a single-use magic link, or the session it opened.
//! Only the SHA-256 of the token is stored.

use sea_orm::entity::prelude::*;

/// A `shopper_tokens` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shopper_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub customer_id: i32,
    /// `link` (emailed, single use) or `session` (the cookie).
    pub purpose: String,
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    pub expires_at: DateTimeUtc,
    /// When a link was used, or a session ended.
    pub used_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
