//! One email of a campaign to one customer: written when the run reaches a Send
//! email step (one row per run and step, so a step carried out again never
//! sends twice), then sent, held back or skipped by the send job.

use sea_orm::entity::prelude::*;

/// A `campaign_sends` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaign_sends")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workspace_id: i32,
    pub flow_id: i32,
    pub run_id: i32,
    /// The Send email step's id.
    pub node: String,
    pub customer_id: i32,
    pub to_address: String,
    #[sea_orm(column_type = "Text")]
    pub subject: String,
    /// The text as written by the step (variables filled in), before links
    /// are tracked.
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// `queued`, `sending`, `sent`, `suppressed`, `capped`, `failed`,
    /// `unknown` (the server stopped while handing it over: not sent again).
    pub status: String,
    /// Why it was not sent.
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    /// The token in its tracking and unsubscribe links.
    pub token: String,
    /// The links in its body, in order (JSON array): a click goes through
    /// `/c/{token}/l/{index}`, never to an address the email did not contain.
    #[sea_orm(column_type = "Text")]
    pub links: String,
    /// The outbox email, once handed over.
    pub email_id: Option<i32>,
    pub queued_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    pub opened_at: Option<DateTimeUtc>,
    pub clicked_at: Option<DateTimeUtc>,
    pub converted_at: Option<DateTimeUtc>,
    pub unsubscribed_at: Option<DateTimeUtc>,
    /// `email`, or `in_app` (a targeted message the widget shows on the
    /// customer's next visit: no address, no job; seen counts as opened).
    pub channel: String,
    /// The targeted message an in-app send shows.
    pub message_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
