//! An SLA policy: targets for tickets of some priorities (and a segment tag),
//! measured in a schedule's business hours.

use sea_orm::entity::prelude::*;

/// A `sla_policies` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sla_policies")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub name: String,
    /// Matching order (the first matching policy applies).
    pub position: i32,
    /// Comma-separated priorities (empty: any).
    pub priorities: String,
    /// Segment tag (empty: any).
    pub tag: String,
    pub schedule_id: Option<i32>,
    pub first_response_mins: Option<i32>,
    pub next_response_mins: Option<i32>,
    pub resolution_mins: Option<i32>,
    pub warn_mins: i32,
    pub enabled: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
