//! The customer portal's view types (help center → "Your requests").

use super::{Channel, HelpShell, MessageView, Status};
use serde::{Deserialize, Serialize};

/// Who is signed in to the portal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PortalCustomer {
    /// Display name.
    pub name: String,
    /// The address they signed in with.
    pub email: String,
}

/// One of the customer's conversations, as listed in the portal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PortalConversationRow {
    /// Conversation number (the portal's URLs use it).
    pub number: i32,
    /// `TKT-000123`.
    pub reference: String,
    /// Subject.
    pub subject: String,
    /// Where it started (email, SMS, chat …).
    pub channel: Channel,
    /// Where it stands.
    pub status: Status,
    /// Last message, RFC 3339.
    pub updated_at: String,
    /// Public messages in it.
    pub messages: u64,
}

/// The portal's home: the customer's conversations on every channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PortalHomeView {
    /// The help center around it.
    pub shell: HelpShell,
    /// Who is signed in.
    pub customer: PortalCustomer,
    /// Newest first.
    pub conversations: Vec<PortalConversationRow>,
}

/// One conversation in the portal, with the reply form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PortalThreadView {
    /// The help center around it.
    pub shell: HelpShell,
    /// Who is signed in.
    pub customer: PortalCustomer,
    /// The conversation.
    pub row: PortalConversationRow,
    /// Public messages, oldest first (no notes, no system entries).
    pub messages: Vec<MessageView>,
    /// A fresh key for the reply form: a form sent twice adds one message.
    pub reply_key: String,
}
