//! An automation rule: a trigger (on events) or an automation (on a schedule),
//! with conditions and actions stored as JSON.

use sea_orm::entity::prelude::*;

/// A `rules` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// `trigger` or `automation`.
    pub kind: String,
    /// Comma-separated events a trigger runs on.
    pub events: String,
    /// JSON `Cond`.
    #[sea_orm(column_type = "Text")]
    pub conditions: String,
    /// JSON `Vec<RuleAction>`.
    #[sea_orm(column_type = "Text")]
    pub actions: String,
    pub enabled: bool,
    /// Running order within its kind.
    pub position: i32,
    /// Current version.
    pub version: i32,
    pub fired: i32,
    pub last_fired_at: Option<DateTimeUtc>,
    pub updated_by_label: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
