//! A workspace's AutoQA scorecard: the criteria reviews score.

use sea_orm::entity::prelude::*;

/// A `qa_scorecards` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "qa_scorecards")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    /// `Vec<types::Criterion>` as JSON.
    #[sea_orm(column_type = "Text")]
    pub criteria: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
