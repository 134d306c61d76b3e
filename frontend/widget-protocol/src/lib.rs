//! The chat widget's wire format (JSON over HTTP and the widget WebSocket), shared
//! by the server (`app`) and the widget bundle (`frontend/widget`). Only `serde`:
//! it compiles for both without pulling anything else into the widget.

use serde::{Deserialize, Serialize};

/// How the widget looks and greets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetConfig {
    /// Workspace display name (panel header).
    pub workspace_name: String,
    /// Accent colour (`#rrggbb`).
    pub color: String,
    /// First line shown in an empty conversation.
    pub welcome: String,
    /// Whether to ask for an email address.
    pub ask_email: bool,
}

/// A file on a widget message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetFile {
    /// Attachment id.
    pub id: i32,
    /// File name.
    pub name: String,
    /// Download URL (carries the visitor's credentials).
    pub url: String,
}

/// A message as the visitor sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetMessage {
    /// Message id.
    pub id: i32,
    /// Conversation id.
    pub conversation_id: i32,
    /// `customer` or `agent`.
    pub from: String,
    /// Author's display name.
    pub author: String,
    /// Plain text.
    pub text: String,
    /// Sent, RFC 3339.
    pub created_at: String,
    /// The widget's own id for a message it sent (matches its optimistic copy).
    pub client_id: Option<String>,
    /// Files.
    pub files: Vec<WidgetFile>,
    /// A bot's question: the choices to offer as buttons (or a list).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    /// Offer the choices as a list rather than buttons.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dropdown: bool,
}

/// The visitor's current conversation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetThread {
    /// Conversation id, when one exists.
    pub conversation_id: Option<i32>,
    /// `TKT-000123`.
    pub reference: Option<String>,
    /// Status name.
    pub status: Option<String>,
    /// Public messages, oldest first.
    pub messages: Vec<WidgetMessage>,
    /// Last message an agent has read.
    pub agent_read_id: Option<i32>,
    /// Solved and not yet rated: show the CSAT prompt.
    pub csat_open: bool,
}

/// Answer to `POST /widget/api/session`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetSession {
    /// The visitor's secret token (kept in the browser).
    pub token: String,
    /// Appearance.
    pub config: WidgetConfig,
    /// The current conversation.
    pub thread: WidgetThread,
    /// The email the visitor gave, if any.
    pub email: Option<String>,
}

/// A frame from the server on the widget socket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WidgetServerFrame {
    /// A new public message (the visitor's own, echoed, or an agent's).
    Message {
        /// The message.
        message: WidgetMessage,
    },
    /// An agent started or stopped typing.
    Typing {
        /// Whether typing.
        typing: bool,
        /// Agent's name.
        name: String,
    },
    /// An agent has read the thread up to a message.
    Read {
        /// Conversation id.
        conversation_id: i32,
        /// Last read message id.
        message_id: i32,
    },
    /// The conversation's status changed.
    Status {
        /// Conversation id.
        conversation_id: i32,
        /// New status.
        status: String,
        /// Whether to ask for a rating now.
        csat_open: bool,
    },
    /// A send over the socket failed.
    Error {
        /// The widget's id of the message that failed.
        client_id: Option<String>,
        /// What to tell the visitor.
        message: String,
    },
}

/// A frame from the widget on its socket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WidgetClientFrame {
    /// Send a message (idempotent on `client_id`).
    Send {
        /// The widget's id for it.
        client_id: String,
        /// Text.
        body: String,
    },
    /// The visitor is typing (or stopped).
    Typing {
        /// Whether typing.
        typing: bool,
    },
    /// The visitor has seen the thread up to a message.
    Read {
        /// Last seen message id.
        message_id: i32,
    },
}
