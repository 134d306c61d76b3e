//! A workspace's Slack app: the bot token and the signing secret (both sealed
//! with the server's secrets key), the channel new conversations are posted
//! to, and the team the token belongs to.

use sea_orm::entity::prelude::*;

/// A `slack_accounts` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "slack_accounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    /// Sealed `xoxb-…` bot token.
    #[sea_orm(column_type = "Text")]
    pub bot_token: String,
    /// Sealed signing secret (requests from Slack are signed with it).
    #[sea_orm(column_type = "Text")]
    pub signing_secret: String,
    /// API base when not Slack's own.
    pub api_base: Option<String>,
    /// Secret path token of `/hooks/slack/{token}/…`.
    pub hook_token: String,
    /// Channel new conversations are posted to; none: no notifications.
    pub notify_channel: Option<String>,
    /// The Slack team (from `auth.test`).
    pub team_id: Option<String>,
    pub team_name: Option<String>,
    /// The bot's own user id (its messages are never taken back in).
    pub bot_user_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
