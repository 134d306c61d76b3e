//! A user's membership in a workspace, with a role.

use sea_orm::entity::prelude::*;

/// A membership row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "memberships")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub user_id: i32,
    pub role: String,
    pub created_at: DateTimeUtc,
    /// The member's email/reply signature in this workspace.
    #[sea_orm(column_type = "Text", nullable)]
    pub signature: Option<String>,
    /// Comma-separated routing skills (`language:fr`, `product:tents`, `tier:vip`).
    pub skills: String,
    /// Per-channel capacity as JSON (`{"chat":3,"email":5}`; empty: defaults).
    pub capacity: String,
    /// `online`, `away` or `offline`.
    pub presence: String,
    /// The presence was set automatically (idle away, gone offline).
    pub presence_auto: bool,
    /// Last keyboard or pointer activity in the admin app.
    pub last_active_at: Option<DateTimeUtc>,
    /// Last heartbeat from an open admin app.
    pub last_seen_at: Option<DateTimeUtc>,
    /// When routing last gave the member a ticket.
    pub last_routed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id"
    )]
    User,
    #[sea_orm(
        belongs_to = "super::workspace::Entity",
        from = "Column::WorkspaceId",
        to = "super::workspace::Column::Id"
    )]
    Workspace,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::workspace::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Workspace.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
