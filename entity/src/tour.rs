//! A product tour: steps pointing at elements of the customer's own page, shown
//! by the widget script to the visitors its rules pick.

use sea_orm::entity::prelude::*;

/// A `tours` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tours")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub name: String,
    /// `draft`, `live`, `paused`.
    pub status: String,
    /// The page the builder opens and the tour starts on.
    #[sea_orm(column_type = "Text")]
    pub start_url: String,
    /// The steps being edited (JSON, `Vec<types::TourStep>`).
    #[sea_orm(column_type = "Text")]
    pub steps: String,
    /// The steps visitors get (JSON; `[]` until first published).
    #[sea_orm(column_type = "Text")]
    pub published_steps: String,
    pub published_at: Option<DateTimeUtc>,
    /// Page, time and audience rules (JSON, `types::TargetRules`).
    #[sea_orm(column_type = "Text")]
    pub rules: String,
    /// `once`, `until_dismissed`, `every_page`.
    pub frequency: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
