//! A workspace's Twilio account for SMS and WhatsApp: its SID, the auth token
//! (sealed with the server's secrets key), the numbers it sends from, and the
//! secret path token of its webhooks.

use sea_orm::entity::prelude::*;

/// A `twilio_accounts` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "twilio_accounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub account_sid: String,
    /// Sealed (`secrets::SecretBox`).
    #[sea_orm(column_type = "Text")]
    pub auth_token: String,
    /// API base when not Twilio's own (a regional edge, a test double).
    pub api_base: Option<String>,
    /// The SMS sender (E.164).
    pub sms_from: Option<String>,
    /// The WhatsApp sender (E.164, without the `whatsapp:` prefix).
    pub whatsapp_from: Option<String>,
    /// Secret path token of `/hooks/twilio/{token}`.
    pub hook_token: String,
    /// Price of one SMS segment, in millionths of the account's currency.
    pub segment_price_micros: i64,
    /// The answer to HELP.
    #[sea_orm(column_type = "Text")]
    pub help_reply: String,
    /// Approved WhatsApp templates (JSON list of `{name, content_sid, body}`).
    #[sea_orm(column_type = "Text")]
    pub templates: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
