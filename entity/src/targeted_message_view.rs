//! One visitor's history with one targeted message: how often it was shown,
//! and when it was clicked or dismissed (frequency rules and the counts).

use sea_orm::entity::prelude::*;

/// A `targeted_message_views` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "targeted_message_views")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub message_id: i32,
    pub visitor_id: String,
    pub shows: i32,
    pub first_shown_at: DateTimeUtc,
    pub last_shown_at: DateTimeUtc,
    pub clicked_at: Option<DateTimeUtc>,
    pub dismissed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
