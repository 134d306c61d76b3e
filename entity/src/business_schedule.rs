//! A business-hours schedule: weekly open intervals in one time zone, holidays.

use sea_orm::entity::prelude::*;

/// A `business_schedules` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "business_schedules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub name: String,
    /// IANA zone.
    pub time_zone: String,
    /// JSON `Vec<OpenHours>`.
    #[sea_orm(column_type = "Text")]
    pub hours: String,
    /// JSON `Vec<Holiday>`.
    #[sea_orm(column_type = "Text")]
    pub holidays: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
