//! Inbox view types: conversations, messages, customers, views, canned responses,
//! macros, search hits, presence. Wasm-safe; never entity rows.

use serde::{Deserialize, Serialize};

macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal : $label:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),* }
        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$v),*];
            /// Stable storage/API name.
            pub fn as_str(self) -> &'static str { match self { $($name::$v => $s),* } }
            /// Parses a storage/API name.
            pub fn parse(s: &str) -> Option<Self> { match s { $($s => Some($name::$v),)* _ => None } }
            /// Human label.
            pub fn label(self) -> &'static str { match self { $($name::$v => $label),* } }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

str_enum!(
    /// Where a conversation stands.
    Status {
        /// Not yet looked at.
        New = "new": "New",
        /// Being worked on.
        Open = "open": "Open",
        /// Waiting on the customer.
        Pending = "pending": "Pending",
        /// Waiting on a third party.
        OnHold = "on_hold": "On hold",
        /// Answered; reopens on a customer reply.
        Solved = "solved": "Solved",
        /// Done for good.
        Closed = "closed": "Closed",
    }
);

impl Status {
    /// Whether agents still have work to do.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::New | Status::Open | Status::Pending | Status::OnHold
        )
    }
}

str_enum!(
    /// Urgency.
    Priority {
        /// Low.
        Low = "low": "Low",
        /// Normal.
        Normal = "normal": "Normal",
        /// High.
        High = "high": "High",
        /// Urgent.
        Urgent = "urgent": "Urgent",
    }
);

str_enum!(
    /// Where a conversation came from.
    Channel {
        /// Email.
        Email = "email": "Email",
        /// Chat widget.
        Chat = "chat": "Chat",
        /// Web form.
        WebForm = "web_form": "Web form",
        /// Phone call.
        Phone = "phone": "Phone",
        /// SMS.
        Sms = "sms": "SMS",
        /// WhatsApp.
        Whatsapp = "whatsapp": "WhatsApp",
        /// Social network.
        Social = "social": "Social",
        /// REST API.
        Api = "api": "API",
        /// Slack (`/ticket` and its thread).
        Slack = "slack": "Slack",
    }
);

str_enum!(
    /// A kind of customer identifier.
    IdentifierKind {
        /// Email address.
        Email = "email": "Email",
        /// Phone number (E.164).
        Phone = "phone": "Phone",
        /// WhatsApp number (E.164).
        Whatsapp = "whatsapp": "WhatsApp",
        /// Chat widget visitor id.
        Chat = "chat": "Chat visitor",
        /// Social handle.
        Social = "social": "Social",
    }
);

str_enum!(
    /// What a message is.
    MessageKind {
        /// Public reply (to or from the customer).
        Reply = "reply": "Reply",
        /// Internal note: never shown to customers, never sent.
        Note = "note": "Note",
        /// A system entry (merge, split, …).
        System = "system": "System",
    }
);

str_enum!(
    /// A custom field's type.
    FieldKind {
        /// Free text.
        Text = "text": "Text",
        /// A number.
        Number = "number": "Number",
        /// A date (YYYY-MM-DD).
        Date = "date": "Date",
        /// One of a list of options.
        Dropdown = "dropdown": "Dropdown",
        /// Yes/no.
        Checkbox = "checkbox": "Checkbox",
    }
);

/// `TKT-000123`.
pub fn ticket_ref(number: i32) -> String {
    format!("TKT-{number:06}")
}

/// Parses `TKT-000123`, `#123` or `123`.
pub fn parse_ticket_ref(s: &str) -> Option<i32> {
    let s = s.trim();
    let s = s
        .strip_prefix("TKT-")
        .or_else(|| s.strip_prefix("tkt-"))
        .or_else(|| s.strip_prefix('#'))
        .unwrap_or(s);
    s.parse().ok().filter(|n| *n > 0)
}

/// Who a view's conversations are assigned to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "user_id")]
pub enum AssigneeFilter {
    /// The person looking.
    Me,
    /// Nobody.
    Unassigned,
    /// A specific agent.
    User(i32),
}

/// A comparison on a custom field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomFieldFilter {
    /// Field key.
    pub key: String,
    /// `eq`, `contains`, `gt`, `lt` or `set`.
    pub op: String,
    /// Value to compare with (ignored for `set`).
    #[serde(default)]
    pub value: String,
}

/// Saved-view filters. Empty lists mean "any".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ViewFilter {
    /// Any of these statuses.
    pub statuses: Vec<Status>,
    /// Any of these priorities.
    pub priorities: Vec<Priority>,
    /// Assignee.
    pub assignee: Option<AssigneeFilter>,
    /// Any of these teams.
    pub team_ids: Vec<i32>,
    /// Carrying all of these tags.
    pub tags: Vec<String>,
    /// Any of these channels.
    pub channels: Vec<Channel>,
    /// Custom field conditions (all must hold).
    pub custom: Vec<CustomFieldFilter>,
    /// Created on or after (YYYY-MM-DD).
    pub created_after: Option<String>,
    /// Created before (YYYY-MM-DD, exclusive).
    pub created_before: Option<String>,
    /// Updated on or after (YYYY-MM-DD).
    pub updated_after: Option<String>,
    /// Updated before (YYYY-MM-DD, exclusive).
    pub updated_before: Option<String>,
    /// Only this customer's conversations.
    pub customer_id: Option<i32>,
}

str_enum!(
    /// List order.
    SortOrder {
        /// Recently updated first.
        UpdatedDesc = "updated_desc": "Recently updated",
        /// Least recently updated first.
        UpdatedAsc = "updated_asc": "Least recently updated",
        /// Newest first.
        CreatedDesc = "created_desc": "Newest",
        /// Oldest first.
        CreatedAsc = "created_asc": "Oldest",
    }
);

/// A conversation in a list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConversationRow {
    /// Id.
    pub id: i32,
    /// Per-workspace number.
    pub number: i32,
    /// `TKT-000123`.
    pub reference: String,
    /// Subject.
    pub subject: String,
    /// Status.
    pub status: Status,
    /// Priority.
    pub priority: Priority,
    /// Channel of origin.
    pub channel: Channel,
    /// Customer id.
    pub customer_id: i32,
    /// Customer name.
    pub customer_name: String,
    /// Assignee id.
    pub assignee_id: Option<i32>,
    /// Assignee name.
    pub assignee_name: Option<String>,
    /// Team id.
    pub team_id: Option<i32>,
    /// Team name.
    pub team_name: Option<String>,
    /// Tag names.
    pub tags: Vec<String>,
    /// Start of the latest message.
    pub preview: String,
    /// Number of messages.
    pub message_count: i32,
    /// Created, RFC 3339.
    pub created_at: String,
    /// Updated, RFC 3339.
    pub updated_at: String,
    /// The SLA clock of the nearest target not yet met.
    #[serde(default)]
    pub sla: Option<super::SlaClock>,
}

/// One page of a conversation list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConversationPage {
    /// Rows.
    pub rows: Vec<ConversationRow>,
    /// Cursor for the next page.
    pub next_cursor: Option<String>,
}

/// View counts stop here: a count above it is shown as "1,000+" (see
/// [`fmt_count`]). Counting further would read every matching row on every page
/// load (a 1M-conversation workspace: 10,000 entries cost ~18 ms a view); past a
/// thousand the exact figure changes nothing an agent does next, and reports give
/// exact totals.
pub const COUNT_CAP: u64 = 1_000;

/// A view count as shown: `999`, or `1,000+` past [`COUNT_CAP`].
pub fn fmt_count(n: u64) -> String {
    let shown = n.min(COUNT_CAP);
    let digits = shown.to_string();
    let mut out = String::with_capacity(digits.len() + 4);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n > COUNT_CAP {
        out.push('+');
    }
    out
}

/// A conversation as the inbox list shows it: only what a row displays. The page
/// sends each row twice, as HTML and as the data it hydrates from, so every byte
/// here counts twice: the JSON keys are one or two letters (this type only travels
/// between the inbox page and its server function; the REST API has its own), and
/// the reference is derived from `number`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InboxRow {
    /// Id (selection, bulk actions).
    pub id: i32,
    /// Per-workspace number (links, reference).
    #[serde(rename = "n")]
    pub number: i32,
    /// Subject.
    #[serde(rename = "s")]
    pub subject: String,
    /// Status.
    #[serde(rename = "st")]
    pub status: Status,
    /// Priority.
    #[serde(rename = "p")]
    pub priority: Priority,
    /// Channel of origin.
    #[serde(rename = "ch")]
    pub channel: Channel,
    /// Customer name.
    #[serde(rename = "c")]
    pub customer_name: String,
    /// Assignee name.
    #[serde(rename = "a", default, skip_serializing_if = "Option::is_none")]
    pub assignee_name: Option<String>,
    /// Tag names.
    #[serde(rename = "t", default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Start of the latest message, at most [`InboxRow::PREVIEW_CHARS`] characters.
    #[serde(rename = "pv")]
    pub preview: String,
    /// Updated, RFC 3339.
    #[serde(rename = "u")]
    pub updated_at: String,
    /// The SLA clock of the nearest target not yet met.
    #[serde(rename = "sla", default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<super::SlaClock>,
}

impl InboxRow {
    /// Longest preview shown in a row (one line or two in the list).
    pub const PREVIEW_CHARS: usize = 80;

    /// `TKT-000123`.
    pub fn reference(&self) -> String {
        ticket_ref(self.number)
    }
}

impl From<ConversationRow> for InboxRow {
    fn from(r: ConversationRow) -> Self {
        let preview = match r.preview.char_indices().nth(Self::PREVIEW_CHARS) {
            Some((cut, _)) => format!("{}…", r.preview[..cut].trim_end()),
            None => r.preview,
        };
        Self {
            id: r.id,
            number: r.number,
            subject: r.subject,
            status: r.status,
            priority: r.priority,
            channel: r.channel,
            customer_name: r.customer_name,
            assignee_name: r.assignee_name,
            tags: r.tags,
            preview,
            updated_at: r.updated_at,
            sla: r.sla,
        }
    }
}

/// One page of the inbox list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InboxPage {
    /// Rows.
    pub rows: Vec<InboxRow>,
    /// Cursor for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl From<ConversationPage> for InboxPage {
    fn from(p: ConversationPage) -> Self {
        Self {
            rows: p.rows.into_iter().map(InboxRow::from).collect(),
            next_cursor: p.next_cursor,
        }
    }
}

/// An attachment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttachmentView {
    /// Id.
    pub id: i32,
    /// File name.
    pub filename: String,
    /// MIME type.
    pub content_type: String,
    /// Size.
    pub size_bytes: i64,
    /// Download URL.
    pub url: String,
    /// Its transcript (audio and video, when transcription is set up).
    #[serde(default)]
    pub transcript: Option<TranscriptView>,
}

/// Where an attachment's (or a call's) transcript stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TranscriptView {
    /// `queued`, `processing`, `completed` or `error`.
    pub status: String,
    /// The text, once completed.
    pub text: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
}

/// A message in a thread.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageView {
    /// Id.
    pub id: i32,
    /// Conversation id.
    pub conversation_id: i32,
    /// Reply, note or system.
    pub kind: MessageKind,
    /// `inbound`, `outbound` or `internal`.
    pub direction: String,
    /// Author's display name.
    pub author_name: String,
    /// `agent`, `customer` or `system`.
    pub author_kind: String,
    /// Author user id (agents).
    pub author_user_id: Option<i32>,
    /// Sanitized HTML.
    pub body_html: String,
    /// Plain text.
    pub body_text: String,
    /// `queued`, `sent`, `delivered`, `read`, `failed`, `received` or `internal`.
    pub delivery_status: String,
    /// Why delivery failed.
    pub delivery_error: Option<String>,
    /// How it travelled (SMS: parts, segments, encoding, price).
    #[serde(default)]
    pub delivery_detail: Option<String>,
    /// Side conversation this belongs to.
    pub side_conversation_id: Option<i32>,
    /// Attachments.
    pub attachments: Vec<AttachmentView>,
    /// When, RFC 3339.
    pub created_at: String,
    /// A bot question's choices (buttons or a list in the widget).
    pub choices: Option<MessageChoices>,
}

/// The choices a bot's question offers: buttons (or a list) in the chat widget,
/// numbered lines in the text of messages on text-only channels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageChoices {
    /// Shown as a list rather than buttons.
    #[serde(default)]
    pub dropdown: bool,
    /// The choices, in order.
    pub choices: Vec<String>,
}

/// A customer identifier.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IdentifierView {
    /// Kind.
    pub kind: IdentifierKind,
    /// Normalized value.
    pub value: String,
    /// Verified by the channel.
    pub verified: bool,
}

/// A customer profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomerView {
    /// Id.
    pub id: i32,
    /// Name.
    pub name: String,
    /// Primary email.
    pub email: Option<String>,
    /// Primary phone.
    pub phone: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Every identifier.
    pub identifiers: Vec<IdentifierView>,
    /// Created, RFC 3339.
    pub created_at: String,
}

/// A side conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SideConversationView {
    /// Id.
    pub id: i32,
    /// Subject.
    pub subject: String,
    /// Outside party: an email address, or the Slack channel.
    pub to_email: String,
    /// `email` or `slack`.
    pub via: String,
    /// Created, RFC 3339.
    pub created_at: String,
}

/// A custom field definition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldDef {
    /// Id.
    pub id: i32,
    /// Key.
    pub key: String,
    /// Label.
    pub label: String,
    /// Type.
    pub kind: FieldKind,
    /// Options (dropdown).
    pub options: Vec<String>,
}

/// A conversation with its thread and context.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConversationDetail {
    /// The list row.
    pub row: ConversationRow,
    /// Custom field values by key.
    pub custom_fields: Vec<(String, String)>,
    /// First agent reply, RFC 3339.
    pub first_response_at: Option<String>,
    /// Solved at, RFC 3339.
    pub solved_at: Option<String>,
    /// Merged into (reference).
    pub merged_into: Option<String>,
    /// Split from (reference).
    pub split_from: Option<String>,
    /// Conversations split out of this one (references).
    pub split_into: Vec<String>,
    /// Messages, oldest first.
    pub messages: Vec<MessageView>,
    /// Side conversations.
    pub side_conversations: Vec<SideConversationView>,
    /// The customer.
    pub customer: CustomerView,
    /// The customer's other conversations (most recent first).
    pub other_conversations: Vec<ConversationRow>,
    /// Id of the newest public message, for collision checks.
    pub last_public_message_id: Option<i32>,
    /// Open merge that can still be undone (merge id).
    pub undo_merge_id: Option<i32>,
    /// Link to the customer-facing page.
    pub customer_url: String,
    /// Last message the customer has seen (chat read receipts).
    pub customer_read_message_id: Option<i32>,
    /// The customer's rating, once given.
    pub csat: Option<super::CsatView>,
    /// The customer's newest orders (the sidebar's).
    #[serde(default)]
    pub orders: Vec<super::OrderSummary>,
}

/// An option in a picker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// Id.
    pub id: i32,
    /// Label.
    pub name: String,
}

/// A tag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagView {
    /// Id.
    pub id: i32,
    /// Name.
    pub name: String,
    /// Colour (CSS hex).
    pub color: String,
}

/// Reference data for the inbox: agents, teams, tags, fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InboxMeta {
    /// Your user id.
    pub me: i32,
    /// Agents.
    pub agents: Vec<Choice>,
    /// Teams.
    pub teams: Vec<Choice>,
    /// Tags.
    pub tags: Vec<TagView>,
    /// Custom fields.
    pub fields: Vec<CustomFieldDef>,
    /// Your signature.
    pub signature: Option<String>,
}

/// A saved view with its live count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ViewSummary {
    /// Id.
    pub id: i32,
    /// Name.
    pub name: String,
    /// Shared with the workspace (else personal).
    pub shared: bool,
    /// Filters.
    pub filter: ViewFilter,
    /// Order.
    pub sort: SortOrder,
    /// Conversations matching now, up to [`COUNT_CAP`] + 1 (more than the cap:
    /// "1,000+").
    pub count: u64,
}

/// A canned response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CannedResponseView {
    /// Id.
    pub id: i32,
    /// Title.
    pub title: String,
    /// Category.
    pub category: String,
    /// Body with `{{variables}}`.
    pub body: String,
    /// Shared (else personal).
    pub shared: bool,
}

/// A canned response rendered for one conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RenderedText {
    /// The text with variables filled in.
    pub text: String,
    /// Variables that are not known (nothing is sent while any remain).
    pub unknown_variables: Vec<String>,
}

/// One step of a macro.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action", content = "value")]
pub enum MacroAction {
    /// Set the status.
    SetStatus(Status),
    /// Set the priority.
    SetPriority(Priority),
    /// Assign to an agent (None: unassign).
    Assign(Option<i32>),
    /// Route to a team (None: no team).
    SetTeam(Option<i32>),
    /// Add tags.
    AddTags(Vec<String>),
    /// Remove tags.
    RemoveTags(Vec<String>),
    /// Set a custom field.
    SetField {
        /// Field key.
        key: String,
        /// Value.
        value: String,
    },
    /// Send a public reply (template).
    Reply(String),
    /// Add an internal note (template).
    Note(String),
}

/// A macro.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MacroView {
    /// Id.
    pub id: i32,
    /// Name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Steps.
    pub actions: Vec<MacroAction>,
}

/// What applying a macro would change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MacroPreview {
    /// Human-readable changes, one per step.
    pub changes: Vec<String>,
    /// Variables no one knows (applying is refused while any remain).
    pub unknown_variables: Vec<String>,
}

/// A search result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    /// `conversation`, `message` or `customer`.
    pub kind: String,
    /// Conversation to open (None for a customer without one).
    pub number: Option<i32>,
    /// Customer id (customers).
    pub customer_id: Option<i32>,
    /// Title line.
    pub title: String,
    /// Snippet, HTML-escaped with `<mark>` around matches.
    pub snippet_html: String,
    /// When, RFC 3339.
    pub at: String,
}

/// Someone looking at a conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    /// User id.
    pub user_id: i32,
    /// Name.
    pub name: String,
    /// Typing a reply or note now.
    pub typing: bool,
}

/// An in-app notification.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NotificationView {
    /// Id.
    pub id: i32,
    /// Text.
    pub body: String,
    /// Conversation number to open.
    pub number: Option<i32>,
    /// Read.
    pub read: bool,
    /// When, RFC 3339.
    pub at: String,
}

/// An API key as listed (never the secret).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyView {
    /// Id.
    pub id: i32,
    /// Name.
    pub name: String,
    /// First characters, to recognise it.
    pub prefix: String,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Last used, RFC 3339.
    pub last_used_at: Option<String>,
    /// Created, RFC 3339.
    pub created_at: String,
    /// Revoked.
    pub revoked: bool,
}

/// A new API key: the secret is shown this once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyCreated {
    /// The key.
    pub key: ApiKeyView,
    /// The secret.
    pub secret: String,
}

/// What a customer sees of their conversation: public replies only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomerThreadView {
    /// `TKT-000123`.
    pub reference: String,
    /// Subject.
    pub subject: String,
    /// Status.
    pub status: Status,
    /// The support team's name.
    pub workspace_name: String,
    /// Public messages, oldest first.
    pub messages: Vec<MessageView>,
    /// Whether the customer may rate the conversation (it is solved or closed).
    pub can_rate: bool,
    /// Their rating, once they gave one.
    pub csat: Option<super::CsatView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_like_numbers_and_stop_at_the_cap() {
        assert_eq!(fmt_count(0), "0");
        assert_eq!(fmt_count(999), "999");
        assert_eq!(fmt_count(1_000), "1,000");
        assert_eq!(fmt_count(1_001), "1,000+");
        assert_eq!(fmt_count(12_345), "1,000+");
    }

    #[test]
    fn list_rows_keep_a_short_preview() {
        let long = "word ".repeat(60);
        let row = ConversationRow {
            id: 1,
            number: 42,
            reference: ticket_ref(42),
            subject: "Hi".into(),
            status: Status::Open,
            priority: Priority::Normal,
            channel: Channel::Email,
            customer_id: 3,
            customer_name: "Ada".into(),
            assignee_id: None,
            assignee_name: None,
            team_id: None,
            team_name: None,
            tags: vec![],
            preview: long,
            message_count: 1,
            created_at: String::new(),
            updated_at: String::new(),
            sla: None,
        };
        let item = InboxRow::from(row);
        assert!(item.preview.chars().count() <= InboxRow::PREVIEW_CHARS + 1);
        assert!(item.preview.ends_with('…'));
        assert_eq!(item.reference(), "TKT-000042");
    }
}

str_enum!(
    /// Whether an agent takes new tickets (shown in the app's header).
    AgentStatus {
        /// Takes new tickets.
        Online = "online": "Online",
        /// Keeps their tickets, gets no new ones.
        Away = "away": "Away",
        /// Signed off.
        Offline = "offline": "Offline",
    }
);

str_enum!(
    /// How a routing queue picks the agent for a ticket.
    RoutingStrategy {
        /// In turn, one after another.
        RoundRobin = "round_robin": "Round robin",
        /// The agent with the most free capacity.
        LoadBalanced = "load_balanced": "Load balanced",
        /// The agent whose skills fit the ticket best.
        SkillMatch = "skill_match": "Skill match",
        /// Like load balanced, with urgent and high tickets counting more.
        PriorityWeighted = "priority_weighted": "Priority weighted",
    }
);

str_enum!(
    /// What a notification is about; preferences and templates are per kind.
    NoticeKind {
        /// Someone named you with `@handle` in a note.
        Mention = "mention": "Mentions",
        /// A ticket was assigned to you (by a person, a rule or routing).
        Assigned = "assigned": "Assigned to you",
        /// An AI action waits for your approval.
        Approval = "approval": "Approvals",
        /// A rule's "Notify" action.
        Rule = "rule": "Rule notifications",
        /// A rule escalated a ticket to the admins.
        Escalation = "escalation": "Escalations",
        /// Approvals still waiting (the AI loop's daily reminder).
        ApprovalReminder = "approval_reminder": "Approval reminders",
        /// A task assigned to you is overdue.
        TaskOverdue = "task_overdue": "Overdue tasks",
        /// The workspace's daily digest is ready (owners and admins).
        Digest = "digest": "Daily digest",
    }
);

str_enum!(
    /// How a person gets a kind of notification by email.
    EmailMode {
        /// Never by email.
        Off = "off": "Never",
        /// Right away (several within a short window arrive as one email).
        Instant = "instant": "Right away",
        /// One email an hour listing what came in.
        Hourly = "hourly": "Hourly digest",
        /// One email a day at 9:00 in their own time zone.
        Daily = "daily": "Daily digest (9:00)",
    }
);

str_enum!(
    /// A way a notification reaches a person.
    NoticeChannel {
        /// The bell in the app.
        InApp = "in_app": "In the app",
        /// Email (through the outbox).
        Email = "email": "Email",
        /// A signed POST to one of the workspace's webhook endpoints.
        Webhook = "webhook": "Webhook",
    }
);
