//! A notification for one person (an @mention, an assignment, an approval …): what
//! it says, where it points, and when it appears in the app's bell (`shown_at`;
//! none while scheduled, or when the person reads this kind elsewhere only).

use sea_orm::entity::prelude::*;

/// A `notifications` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub user_id: i32,
    pub kind: String,
    pub conversation_id: Option<i32>,
    /// The rendered text (in the app, and the email's body).
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub read_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// The rendered subject (the email's subject line).
    pub subject: String,
    /// Where it points, absolute.
    #[sea_orm(column_type = "Text", nullable)]
    pub link: Option<String>,
    /// When it appeared in the app (none: not in the app, or not yet).
    pub shown_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
