//! Customer channels (SPEC C4): every channel — chat widget, web support form, email
//! by webhook or IMAP, the REST API — normalises what arrives to one
//! [`inbound::InboundMessage`] and hands it to [`inbound::receive`], which resolves
//! the customer, finds or opens the conversation, stores the message (idempotent on
//! the provider's message id) and publishes the event in one transaction.
//!
//! Outbound replies travel through the job queue (the outbox for email), with
//! retries, backoff and a per-message delivery status the inbox shows. Each channel
//! has settings ([`settings`]) with formatting rules ([`formatting`], SPEC C4.9).
//! Outbound webhooks ([`webhooks`]) are signed; inbound provider webhooks are checked
//! with [`verify`].

pub mod email_in;
pub mod email_out;
pub mod email_parse;
pub mod formatting;
pub mod imap;
pub mod inbound;
pub mod provider;
pub mod settings;
pub mod slack;
pub mod transcription;
pub mod twilio;
pub mod verify;
pub mod voice;
pub mod webform;
pub mod webhooks;
pub mod widget;

/// A client-made idempotency id (widget message, form submission): letters, digits
/// and dashes, at most 64; `None` when fewer than 8 remain.
pub fn clean_client_id(raw: &str) -> Option<String> {
    let id: String = raw
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(64)
        .collect();
    (id.len() >= 8).then_some(id)
}
