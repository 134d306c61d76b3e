//! Settings of one customer channel in a workspace (chat widget, email, web form):
//! its keys, channel-specific configuration, and formatting rules (SPEC C4.9).

use sea_orm::entity::prelude::*;

/// A `channel_settings` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "channel_settings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub channel: String,
    pub enabled: bool,
    /// Public key embedded in pages (chat widget `pk_…`).
    pub public_key: Option<String>,
    /// Secret path token of the inbound email webhook.
    pub inbound_token: Option<String>,
    /// Channel-specific settings (JSON).
    #[sea_orm(column_type = "Text")]
    pub config: String,
    pub tone: String,
    pub max_words: i32,
    pub max_chars: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    pub greeting: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub signoff: Option<String>,
    pub include_reference: bool,
    /// Poller state (JSON), e.g. the IMAP cursor and last error.
    #[sea_orm(column_type = "Text", nullable)]
    pub poll_state: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
