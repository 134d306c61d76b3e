//! What one visitor did at one step of a tour (`shown`, `missing`,
//! `dismissed`), or that they finished it (`completed`, step `""`): once each.

use sea_orm::entity::prelude::*;

/// A `tour_events` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tour_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub tour_id: i32,
    pub visitor_id: String,
    /// The step's id (`""` for the tour as a whole).
    pub step: String,
    pub event: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
