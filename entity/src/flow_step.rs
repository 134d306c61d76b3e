//! One step a flow session passed (for per-node analytics).

use sea_orm::entity::prelude::*;

/// A `flow_steps` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "flow_steps")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub flow_id: i32,
    pub version: i32,
    pub session_id: i32,
    /// The step's id.
    pub node: String,
    /// The exit it left by (none: it stopped there, waiting or at the end).
    pub port: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
