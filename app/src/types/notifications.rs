//! Notification preferences, templates and the delivery log (SPEC C7.8, C1.4).

use super::{EmailMode, NoticeKind};
use serde::{Deserialize, Serialize};

/// One person's preference for one kind of notification.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoticePref {
    /// The kind.
    pub kind: NoticeKind,
    /// Shown in the app's bell.
    pub in_app: bool,
    /// By email: never, right away, hourly or daily.
    pub email: EmailMode,
    /// Also posted to this webhook endpoint of the workspace (none: not).
    pub webhook_endpoint_id: Option<i32>,
}

impl NoticePref {
    /// What a person gets before they change anything: everything in the app and
    /// by email right away, except reminders (in the app only).
    pub fn default_for(kind: NoticeKind) -> Self {
        Self {
            kind,
            in_app: true,
            email: match kind {
                NoticeKind::ApprovalReminder | NoticeKind::TaskOverdue => EmailMode::Off,
                _ => EmailMode::Instant,
            },
            webhook_endpoint_id: None,
        }
    }
}

/// The "My notifications" page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MyNotificationsPage {
    /// One row per kind, in display order.
    pub prefs: Vec<NoticePref>,
    /// The workspace's active webhook endpoints (id, URL) a person may pick.
    pub endpoints: Vec<(i32, String)>,
    /// The person's time zone (daily digests go out at 9:00 there).
    pub zone: String,
    /// What is waiting to go out to them (scheduled or batched), by channel.
    pub waiting: Vec<DeliveryView>,
}

/// A notification template: what the email subject and the text say.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoticeTemplateView {
    /// The kind.
    pub kind: NoticeKind,
    /// Subject (email) template.
    pub subject: String,
    /// Body template (in-app text and email body).
    pub body: String,
    /// Whether the workspace changed it (otherwise the built-in text).
    pub customised: bool,
    /// The built-in subject.
    pub default_subject: String,
    /// The built-in body.
    pub default_body: String,
}

/// A template as saved.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NoticeTemplateForm {
    /// Kind (`mention`, `assigned` …).
    pub kind: String,
    /// Subject template.
    pub subject: String,
    /// Body template.
    pub body: String,
}

/// One delivery of one notification to one person on one channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliveryView {
    /// Id.
    pub id: i32,
    /// The recipient's name.
    pub recipient: String,
    /// `in_app`, `email` or `webhook`.
    pub channel: String,
    /// The notification's kind.
    pub kind: NoticeKind,
    /// What it says (the subject).
    pub subject: String,
    /// `scheduled`, `batched` (waiting for its email), `delivered`, `queued`
    /// (in the outbox or webhook queue), `sent`, `failed` or `skipped`.
    pub status: String,
    /// Why it failed or was skipped; the email or webhook delivery it went out in.
    pub detail: Option<String>,
    /// When it is due (RFC 3339).
    pub due_at: String,
    /// When it went out (RFC 3339).
    pub sent_at: Option<String>,
}

/// The admin's notifications page: templates and the delivery log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NotificationAdminPage {
    /// One template per kind.
    pub templates: Vec<NoticeTemplateView>,
    /// The newest deliveries (at most 100).
    pub deliveries: Vec<DeliveryView>,
    /// Variables a template may use.
    pub variables: Vec<String>,
}
