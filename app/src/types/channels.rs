//! Channel view and form types (wasm-safe): the web support form and its shared
//! validation rules, the ticket status page, channel settings and formatting rules,
//! outbound webhooks and their delivery log, CSAT.

use serde::{Deserialize, Serialize};

/// What a customer submits through the web support form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportForm {
    /// Their name.
    pub name: String,
    /// Their email address (replies go there).
    pub email: String,
    /// Subject line.
    pub subject: String,
    /// Category (one of the workspace's form categories).
    pub category: String,
    /// low, normal, high or urgent.
    pub priority: String,
    /// What they need.
    pub message: String,
}

/// A field-level problem with a form (field name, message for a person).
pub type FieldProblem = (&'static str, String);

/// Shortest name accepted by the support form.
pub const FORM_MIN_NAME: usize = 2;
/// Shortest subject accepted by the support form.
pub const FORM_MIN_SUBJECT: usize = 5;
/// Shortest message accepted by the support form.
pub const FORM_MIN_MESSAGE: usize = 10;
/// Longest message accepted by the support form.
pub const FORM_MAX_MESSAGE: usize = 20_000;

/// The categories a form offers when the workspace has not set its own.
pub const DEFAULT_FORM_CATEGORIES: &[&str] = &[
    "Question",
    "Order or delivery",
    "Returns and refunds",
    "Technical problem",
    "Other",
];

/// Checks a support form with the rules the browser and the server share: name ≥ 2
/// characters, a valid email, subject ≥ 5, message ≥ 10, a known priority and
/// category. Returns every problem, each with the field it belongs to.
pub fn validate_support_form(f: &SupportForm, categories: &[String]) -> Vec<FieldProblem> {
    let mut out = Vec::new();
    let len = |s: &str| s.trim().chars().count();
    if len(&f.name) < FORM_MIN_NAME {
        out.push((
            "name",
            format!("Enter your name (at least {FORM_MIN_NAME} characters)."),
        ));
    } else if len(&f.name) > 100 {
        out.push(("name", "Your name can be at most 100 characters.".into()));
    }
    if let Err(m) = super::validate_email(&f.email) {
        out.push(("email", m));
    }
    if len(&f.subject) < FORM_MIN_SUBJECT {
        out.push((
            "subject",
            format!("Write a subject of at least {FORM_MIN_SUBJECT} characters."),
        ));
    } else if len(&f.subject) > 200 {
        out.push((
            "subject",
            "The subject can be at most 200 characters.".into(),
        ));
    }
    if !categories.is_empty() && !categories.iter().any(|c| c == f.category.trim()) {
        out.push(("category", "Choose a category from the list.".into()));
    }
    if super::Priority::parse(f.priority.trim()).is_none() {
        out.push((
            "priority",
            "Choose a priority: low, normal, high or urgent.".into(),
        ));
    }
    if len(&f.message) < FORM_MIN_MESSAGE {
        out.push((
            "message",
            format!("Describe what you need in at least {FORM_MIN_MESSAGE} characters."),
        ));
    } else if len(&f.message) > FORM_MAX_MESSAGE {
        out.push((
            "message",
            "The message can be at most 20,000 characters.".into(),
        ));
    }
    out
}

/// What the support form page needs to render.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportPageView {
    /// Workspace display name.
    pub workspace_name: String,
    /// URL slug.
    pub slug: String,
    /// Categories offered.
    pub categories: Vec<String>,
    /// Whether the form takes submissions.
    pub enabled: bool,
}

/// The answer to a submitted form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportReceipt {
    /// `TKT-000123`.
    pub reference: String,
    /// Where the customer can follow it.
    pub status_url: String,
}

/// What the status page shows for a ticket number + email.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketStatusView {
    /// `TKT-000123`.
    pub reference: String,
    /// Subject.
    pub subject: String,
    /// Current status.
    pub status: super::Status,
    /// Opened, RFC 3339.
    pub created_at: String,
    /// Public messages, oldest first.
    pub messages: Vec<PublicMessageView>,
}

/// A public message as a customer sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicMessageView {
    /// Message id.
    pub id: i32,
    /// "customer" or "agent".
    pub from: String,
    /// Display name of the author.
    pub author_name: String,
    /// Sanitized HTML.
    pub body_html: String,
    /// When, RFC 3339.
    pub created_at: String,
}

/// Formatting rules of one channel (SPEC C4.9).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormatRules {
    /// formal, semi_formal or conversational.
    pub tone: String,
    /// Longest reply, in words (0: no limit).
    pub max_words: i32,
    /// Preferred longest reply, in characters (SMS/WhatsApp).
    pub max_chars: Option<i32>,
    /// Opening line template, e.g. `Hi {{ customer.first_name }},`.
    pub greeting: Option<String>,
    /// Closing template, e.g. `Best regards,\n{{ agent.name }}`.
    pub signoff: Option<String>,
    /// Whether the ticket reference is added (`Ref: TKT-000123`).
    pub include_reference: bool,
}

/// A reply formatted for its channel, and what the rules say about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormattedView {
    /// The text to send.
    pub text: String,
    /// Words in `text`.
    pub words: usize,
    /// Set when the body is over the channel's limit (a message for the agent).
    pub warning: Option<String>,
    /// The channel's tone, for the hint.
    pub tone: String,
}

/// One channel's settings as the admin sees them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelSettingsView {
    /// `chat`, `email` or `web_form`.
    pub channel: String,
    /// Label.
    pub label: String,
    /// Whether it takes messages.
    pub enabled: bool,
    /// Chat: the public key in the embed snippet.
    pub public_key: Option<String>,
    /// Email: the inbound webhook URL (contains its secret token).
    pub inbound_url: Option<String>,
    /// Chat: the embed snippet.
    pub snippet: Option<String>,
    /// Channel-specific settings (JSON object).
    pub config: serde_json::Value,
    /// Formatting rules.
    pub format: FormatRules,
    /// Poller status line (IMAP), if any.
    pub poll_status: Option<String>,
    /// Web form: the public form's URL.
    pub public_url: Option<String>,
}

/// Webhook event kinds a workspace can subscribe to.
pub const WEBHOOK_EVENTS: &[&str] = &[
    "conversation.created",
    "conversation.updated",
    "message.created",
    "customer.created",
    "customer.updated",
    "csat.received",
];

/// An outbound webhook endpoint as the admin sees it (the secret only at creation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEndpointView {
    /// Id.
    pub id: i32,
    /// Destination URL.
    pub url: String,
    /// Admin's note.
    pub description: Option<String>,
    /// Subscribed events.
    pub events: Vec<String>,
    /// Extra headers (names and values).
    pub headers: Vec<(String, String)>,
    /// Delivering.
    pub active: bool,
    /// Private destinations allowed.
    pub allow_private: bool,
    /// Why it was paused, if it was.
    pub paused_reason: Option<String>,
    /// Failing since, RFC 3339.
    pub failing_since: Option<String>,
    /// Last success, RFC 3339.
    pub last_success_at: Option<String>,
    /// Signing secret: present only in the answer to create or rotate.
    pub secret: Option<String>,
}

/// The form to create or change an endpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookForm {
    /// Destination URL (http or https).
    pub url: String,
    /// Admin's note.
    pub description: Option<String>,
    /// Subscribed events (from [`WEBHOOK_EVENTS`]).
    pub events: Vec<String>,
    /// Extra headers, one `Name: value` per line.
    pub headers: String,
    /// Allow private, loopback and link-local destinations.
    pub allow_private: bool,
}

/// One delivery in the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDeliveryView {
    /// Id.
    pub id: i32,
    /// Endpoint id.
    pub endpoint_id: i32,
    /// Event kind.
    pub event: String,
    /// pending, succeeded, failed (retrying) or dead.
    pub status: String,
    /// Attempts so far.
    pub attempts: i32,
    /// HTTP status of the last attempt.
    pub response_status: Option<i32>,
    /// Duration of the last attempt, ms.
    pub duration_ms: Option<i32>,
    /// First 500 characters of the response body.
    pub response_excerpt: Option<String>,
    /// Error of the last attempt.
    pub error: Option<String>,
    /// Created, RFC 3339.
    pub created_at: String,
}

/// The satisfaction answers offered, worst first, with the words shown beside each
/// number (the widget, the customer page and the survey email use the same).
pub const CSAT_SCALE: [(i32, &str); 5] = [
    (1, "Very poor"),
    (2, "Poor"),
    (3, "Okay"),
    (4, "Good"),
    (5, "Excellent"),
];

/// A customer's satisfaction answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsatView {
    /// 1–5.
    pub rating: i32,
    /// Their comment.
    pub comment: Option<String>,
    /// When, RFC 3339.
    pub created_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> SupportForm {
        SupportForm {
            name: "Ada".into(),
            email: "ada@example.com".into(),
            subject: "Broken zip".into(),
            category: "Other".into(),
            priority: "normal".into(),
            message: "The zip of my jacket broke.".into(),
        }
    }

    #[test]
    fn a_good_form_passes() {
        assert!(validate_support_form(&good(), &["Other".into()]).is_empty());
    }

    #[test]
    fn each_rule_names_its_field() {
        let f = SupportForm {
            name: "A".into(),
            email: "nope".into(),
            subject: "Hey".into(),
            category: "Unknown".into(),
            priority: "asap".into(),
            message: "short".into(),
        };
        let fields: Vec<&str> = validate_support_form(&f, &["Other".into()])
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(
            fields,
            vec!["name", "email", "subject", "category", "priority", "message"]
        );
    }

    #[test]
    fn limits_are_inclusive() {
        let mut f = good();
        f.name = "Al".into();
        f.subject = "12345".into();
        f.message = "1234567890".into();
        assert!(validate_support_form(&f, &[]).is_empty());
        f.message = " 123456789 ".into();
        assert_eq!(validate_support_form(&f, &[]).len(), 1);
    }
}
