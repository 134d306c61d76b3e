//! A sub-thread with an outside party, by email; replies find it by `token`.

use sea_orm::entity::prelude::*;

/// A `side_conversations` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "side_conversations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub conversation_id: i32,
    pub subject: String,
    pub to_email: String,
    pub token: String,
    pub created_by: Option<i32>,
    pub created_at: DateTimeUtc,
    /// `email` or `slack` (then `to_email` holds the channel as given).
    pub via: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
