//! A saved version of a rule (the whole rule as JSON `RuleForm`).

use sea_orm::entity::prelude::*;

/// A `rule_versions` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rule_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub rule_id: i32,
    pub version: i32,
    #[sea_orm(column_type = "Text")]
    pub definition: String,
    pub created_by_label: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
