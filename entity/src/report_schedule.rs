//! A saved report emailed on a schedule (daily, weekly or monthly) as CSV or PDF.

use sea_orm::entity::prelude::*;

/// A `report_schedules` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report_schedules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub report_id: i32,
    /// Who set it up: the report runs as them (their permissions, their zone).
    pub user_id: i32,
    /// `csv` or `pdf`.
    pub format: String,
    /// `daily`, `weekly` (Mondays) or `monthly` (the 1st).
    pub frequency: String,
    /// Comma-separated addresses.
    #[sea_orm(column_type = "Text")]
    pub recipients: String,
    /// Whether the file lists every conversation counted, not only the points.
    pub include_conversations: bool,
    pub next_run_at: DateTimeUtc,
    pub last_run_at: Option<DateTimeUtc>,
    /// Why the last run failed, if it did.
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
