//! One workspace's daily digest for one day (its figures as JSON).

use sea_orm::entity::prelude::*;

/// A `digests` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "digests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    /// The day it covers, `YYYY-MM-DD` in `zone`.
    pub day: String,
    /// The IANA zone the day was cut in.
    pub zone: String,
    pub period_start: DateTimeUtc,
    pub period_end: DateTimeUtc,
    /// `types::DigestView` as JSON.
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
