//! One provider message an outbound message travelled in (a long SMS reply is
//! sent in several parts): its provider id, delivery status from the status
//! callbacks, segments and price.

use sea_orm::entity::prelude::*;

/// An `outbound_parts` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbound_parts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub message_id: i32,
    /// 1-based position in the message.
    pub seq: i32,
    /// `sms` or `whatsapp`.
    pub channel: String,
    pub to_number: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// An approved WhatsApp template instead of free text (JSON
    /// `{"content_sid": "HX…", "variables": {"1": "…"}}`).
    #[sea_orm(column_type = "Text", nullable)]
    pub template: Option<String>,
    /// Attachments sent with this part (JSON list of attachment ids).
    #[sea_orm(column_type = "Text", nullable)]
    pub media: Option<String>,
    /// The provider's id (Twilio `SM…`/`MM…`) once accepted.
    pub provider_sid: Option<String>,
    /// `queued`, `sent`, `delivered`, `read`, `failed` or `undelivered`.
    pub status: String,
    pub error_code: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub error_message: Option<String>,
    /// SMS segments (1 for WhatsApp).
    pub segments: i32,
    /// `GSM-7`, `UCS-2` (SMS) or `UTF-8` (WhatsApp).
    pub encoding: String,
    /// Price in millionths of the account's currency.
    pub price_micros: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
