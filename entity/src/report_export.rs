//! One export of a report to CSV or PDF: queued, built by a job (which records
//! its progress), then kept with its file for download and, when it has
//! recipients, emailed.

use sea_orm::entity::prelude::*;

/// A `report_exports` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report_exports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    /// The saved report (None once it is deleted).
    pub report_id: Option<i32>,
    /// The schedule that made it (None for "Export now").
    pub schedule_id: Option<i32>,
    /// Who asked (or whose schedule it is): it runs as them.
    pub user_id: i32,
    pub report_name: String,
    /// The definition exported (`types::ReportSpec` as JSON), kept as it was.
    #[sea_orm(column_type = "Text")]
    pub spec: String,
    /// `csv` or `pdf`.
    pub format: String,
    pub include_conversations: bool,
    /// Comma-separated addresses it is emailed to (empty: download only).
    #[sea_orm(column_type = "Text")]
    pub recipients: String,
    /// `queued`, `running`, `done` or `failed`.
    pub status: String,
    /// Rows written so far, of `rows_total`.
    pub rows_done: i64,
    pub rows_total: i64,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    /// The finished file.
    pub content: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
