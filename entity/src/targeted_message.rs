//! A targeted message shown on the customer's own site by the widget script:
//! a banner, modal, tooltip or slide-in, with the rules that say on which pages,
//! after how long and to whom, and how often.

use sea_orm::entity::prelude::*;

/// A `targeted_messages` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "targeted_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub name: String,
    /// `banner`, `modal`, `tooltip`, `slide_in`.
    pub style: String,
    /// `draft`, `live`, `paused`.
    pub status: String,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub button_label: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub button_url: Option<String>,
    /// A tooltip's element on the page (CSS selector).
    #[sea_orm(column_type = "Text", nullable)]
    pub anchor: Option<String>,
    /// `top`/`bottom` (banner), `left`/`right` (slide-in), `above`/`below`
    /// (tooltip), `center` (modal).
    pub placement: String,
    /// The page, time and audience rules (JSON, `types::TargetRules`).
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
