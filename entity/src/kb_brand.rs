//! A help center brand: its own URL slug, theme (logo, colours, CSS) and locales.

use sea_orm::entity::prelude::*;

/// A `kb_brands` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "kb_brands")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub name: String,
    pub slug: String,
    pub is_default: bool,
    pub logo_url: Option<String>,
    pub primary_color: String,
    pub accent_color: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub custom_css: Option<String>,
    pub default_locale: String,
    #[sea_orm(column_type = "Text")]
    pub locales: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub widget_key: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
