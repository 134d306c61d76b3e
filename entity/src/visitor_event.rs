//! Something a visitor did on the customer's own site, reported by the widget
//! script: a page view or one of the site's own events (`Switchboard('track', …)`).
//! Keyed by the visitor (the widget's hashed token); a customer's behaviour is
//! that of the visitors their chat identifiers name.

use sea_orm::entity::prelude::*;

/// A `visitor_events` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "visitor_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    /// The widget visitor id (a hash of its token).
    pub visitor_id: String,
    /// `page` or `event`.
    pub kind: String,
    /// A page's path, or the event's name (lower case).
    pub name: String,
    /// The page's full address.
    #[sea_orm(column_type = "Text")]
    pub url: String,
    /// The page's title.
    #[sea_orm(column_type = "Text")]
    pub title: String,
    /// The event's properties (JSON object; `{}` for a page).
    #[sea_orm(column_type = "Text")]
    pub properties: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
