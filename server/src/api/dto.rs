//! What the API reads and writes, with OpenAPI schemas. Responses are mapped from
//! the app's view types (never from entity rows); requests deny unknown fields so a
//! misspelt field is a 422, not a silent no-op.

use app::types::{
    AssigneeFilter, Channel, ConversationDetail, ConversationRow, CustomFieldFilter, CustomerView,
    IdentifierKind, MessageKind, MessageView, Priority, SearchHit, SortOrder, Status, TagView,
    ViewFilter, ViewSummary,
};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
use utoipa::ToSchema;

fn string_enum(values: impl IntoIterator<Item = &'static str>, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .description(Some(description))
}

fn status_schema() -> ObjectBuilder {
    string_enum(
        Status::ALL.iter().map(|s| s.as_str()),
        "Conversation status.",
    )
}
fn statuses_schema() -> ArrayBuilder {
    ArrayBuilder::new().items(status_schema())
}
fn priority_schema() -> ObjectBuilder {
    string_enum(Priority::ALL.iter().map(|s| s.as_str()), "Priority.")
}
fn priorities_schema() -> ArrayBuilder {
    ArrayBuilder::new().items(priority_schema())
}
fn channel_schema() -> ObjectBuilder {
    string_enum(
        Channel::ALL.iter().map(|s| s.as_str()),
        "Channel of origin.",
    )
}
fn channels_schema() -> ArrayBuilder {
    ArrayBuilder::new().items(channel_schema())
}
fn sort_schema() -> ObjectBuilder {
    string_enum(SortOrder::ALL.iter().map(|s| s.as_str()), "List order.")
}
fn identifier_kind_schema() -> ObjectBuilder {
    string_enum(
        IdentifierKind::ALL.iter().map(|s| s.as_str()),
        "Kind of customer identifier.",
    )
}
fn message_kind_schema() -> ObjectBuilder {
    string_enum(["reply", "note"], "A public reply or an internal note.")
}

/// `Some(None)` for an explicit `null`, `None` for an absent field (with
/// `#[serde(default)]`), so PATCH can clear a value.
fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

fn yes() -> bool {
    true
}

// ---------------------------------------------------------------------------
// Envelopes and errors
// ---------------------------------------------------------------------------

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items.
    pub data: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Every error: `{error: {code, message, details}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable code: `validation_failed`, `unauthenticated`, `forbidden`,
    /// `not_found`, `conflict`, `rate_limited`, `method_not_allowed`, `internal`.
    #[schema(example = "validation_failed")]
    pub code: String,
    /// What to do about it, for a person.
    pub message: String,
    /// `{field}` for validation errors and conflicts, `{retry_after_secs}` for
    /// rate limits.
    pub details: serde_json::Value,
}

// ---------------------------------------------------------------------------
// Customers
// ---------------------------------------------------------------------------

/// A customer identifier.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdentifierDto {
    /// `email`, `phone`, `whatsapp`, `chat` or `social`.
    pub kind: String,
    /// Normalized value.
    pub value: String,
    /// Verified by the channel.
    pub verified: bool,
}

/// A customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerDto {
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
    pub identifiers: Vec<IdentifierDto>,
    /// Created (RFC 3339).
    pub created_at: String,
}

impl From<CustomerView> for CustomerDto {
    fn from(c: CustomerView) -> Self {
        Self {
            id: c.id,
            name: c.name,
            email: c.email,
            phone: c.phone,
            company: c.company,
            notes: c.notes,
            identifiers: c
                .identifiers
                .into_iter()
                .map(|i| IdentifierDto {
                    kind: i.kind.as_str().to_owned(),
                    value: i.value,
                    verified: i.verified,
                })
                .collect(),
            created_at: c.created_at,
        }
    }
}

/// Finds the customer with this identifier, or creates one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomer {
    /// Kind of identifier.
    #[schema(schema_with = identifier_kind_schema)]
    pub identifier_kind: IdentifierKind,
    /// The identifier (an email address, an E.164 phone number …).
    #[schema(example = "maria@example.com")]
    pub identifier_value: String,
    /// Name for a new customer (ignored when the identifier is known).
    pub name: Option<String>,
}

/// Changes to a customer; absent fields stay, empty `company`/`notes` clear.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomer {
    /// Name (1–200 characters).
    pub name: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// Notes.
    pub notes: Option<String>,
}

// ---------------------------------------------------------------------------
// Conversations
// ---------------------------------------------------------------------------

/// A conversation in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationDto {
    /// Number within the workspace (the API's handle).
    pub number: i32,
    /// `TKT-000123`.
    pub reference: String,
    /// Subject.
    pub subject: String,
    /// Status.
    #[schema(schema_with = status_schema)]
    pub status: String,
    /// Priority.
    #[schema(schema_with = priority_schema)]
    pub priority: String,
    /// Channel of origin.
    #[schema(schema_with = channel_schema)]
    pub channel: String,
    /// Customer id.
    pub customer_id: i32,
    /// Customer name.
    pub customer_name: String,
    /// Assignee (user id).
    pub assignee_id: Option<i32>,
    /// Assignee name.
    pub assignee_name: Option<String>,
    /// Team id.
    pub team_id: Option<i32>,
    /// Team name.
    pub team_name: Option<String>,
    /// Tag names.
    pub tags: Vec<String>,
    /// Start of the latest public message.
    pub preview: String,
    /// Number of messages (notes included).
    pub message_count: i32,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last changed (RFC 3339).
    pub updated_at: String,
    /// The nearest SLA target the ticket has yet to meet (none without a policy,
    /// or once every target is met).
    pub sla: Option<SlaDto>,
}

/// A ticket's SLA clock.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlaDto {
    /// `first_response`, `next_response` or `resolution`.
    #[schema(example = "first_response")]
    pub metric: String,
    /// Due (RFC 3339).
    pub due_at: String,
    /// Warned from (RFC 3339).
    pub warn_at: String,
    /// The SLA policy's name.
    pub policy: String,
    /// Stopped while the ticket waits on the customer (pending, on hold).
    pub paused: bool,
}

fn rfc3339(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|t| t.to_rfc3339())
        .unwrap_or_default()
}

impl From<ConversationRow> for ConversationDto {
    fn from(r: ConversationRow) -> Self {
        Self {
            number: r.number,
            reference: r.reference,
            subject: r.subject,
            status: r.status.as_str().to_owned(),
            priority: r.priority.as_str().to_owned(),
            channel: r.channel.as_str().to_owned(),
            customer_id: r.customer_id,
            customer_name: r.customer_name,
            assignee_id: r.assignee_id,
            assignee_name: r.assignee_name,
            team_id: r.team_id,
            team_name: r.team_name,
            tags: r.tags,
            preview: r.preview,
            message_count: r.message_count,
            created_at: r.created_at,
            updated_at: r.updated_at,
            sla: r.sla.map(|c| SlaDto {
                due_at: rfc3339(c.due),
                warn_at: rfc3339(c.warn),
                metric: c.metric,
                policy: c.policy,
                paused: c.paused,
            }),
        }
    }
}

/// A conversation with its customer and fields (messages: `…/messages`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationDetailDto {
    /// The conversation.
    #[serde(flatten)]
    pub conversation: ConversationDto,
    /// Custom field values by key.
    pub custom_fields: BTreeMap<String, String>,
    /// First agent reply (RFC 3339).
    pub first_response_at: Option<String>,
    /// Solved at (RFC 3339).
    pub solved_at: Option<String>,
    /// Merged into this conversation (reference).
    pub merged_into: Option<String>,
    /// The customer.
    pub customer: CustomerDto,
}

impl From<ConversationDetail> for ConversationDetailDto {
    fn from(d: ConversationDetail) -> Self {
        Self {
            conversation: d.row.into(),
            custom_fields: d.custom_fields.into_iter().collect(),
            first_response_at: d.first_response_at,
            solved_at: d.solved_at,
            merged_into: d.merged_into,
            customer: d.customer.into(),
        }
    }
}

/// Who a new conversation is with, by identifier (found or created).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerIdentity {
    /// Kind of identifier.
    #[schema(schema_with = identifier_kind_schema)]
    pub identifier_kind: IdentifierKind,
    /// The identifier.
    #[schema(example = "maria@example.com")]
    pub identifier_value: String,
    /// Name for a new customer.
    pub name: Option<String>,
}

/// A new conversation with its first message. Give `customer` or `customer_id`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateConversation {
    /// The customer, by identifier.
    pub customer: Option<CustomerIdentity>,
    /// Or an existing customer's id.
    pub customer_id: Option<i32>,
    /// Subject (1–250 characters).
    pub subject: String,
    /// First message (plain text).
    pub body: String,
    /// Channel of origin (default `api`).
    #[serde(default)]
    #[schema(schema_with = channel_schema)]
    pub channel: Option<Channel>,
    /// Priority (default `normal`).
    #[serde(default)]
    #[schema(schema_with = priority_schema)]
    pub priority: Option<Priority>,
    /// Tags to add.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Whether the first message is the customer's (default) or written by the
    /// key's member as an agent reply.
    #[serde(default = "yes")]
    #[schema(default = true)]
    pub from_customer: bool,
}

/// Field changes; absent fields stay as they are, `null` clears assignee/team.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateConversation {
    /// Status.
    #[serde(default)]
    #[schema(schema_with = status_schema)]
    pub status: Option<Status>,
    /// Priority.
    #[serde(default)]
    #[schema(schema_with = priority_schema)]
    pub priority: Option<Priority>,
    /// Assignee user id (`null` unassigns).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>, nullable)]
    pub assignee_id: Option<Option<i32>>,
    /// Team id (`null` removes the team).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>, nullable)]
    pub team_id: Option<Option<i32>>,
    /// Subject.
    pub subject: Option<String>,
    /// Custom field values by key; `null` or `""` clears one.
    pub custom_fields: Option<BTreeMap<String, serde_json::Value>>,
}

/// Tags to add and remove.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagChanges {
    /// Tag names to add (created when new).
    #[serde(default)]
    pub add: Vec<String>,
    /// Tag names to remove.
    #[serde(default)]
    pub remove: Vec<String>,
}

// ---------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------

/// A file on a message.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentDto {
    /// Id.
    pub id: i32,
    /// File name.
    pub filename: String,
    /// MIME type.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
}

/// A message.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageDto {
    /// Id (also the cursor of the messages list).
    pub id: i32,
    /// Number of the conversation it belongs to.
    pub conversation_number: i32,
    /// `reply`, `note` or `system`.
    pub kind: String,
    /// `inbound`, `outbound` or `internal`.
    pub direction: String,
    /// Author's name.
    pub author_name: String,
    /// `agent`, `customer` or `system`.
    pub author_kind: String,
    /// Author's user id (agents).
    pub author_user_id: Option<i32>,
    /// Sanitized HTML.
    pub body_html: String,
    /// Plain text.
    pub body_text: String,
    /// `queued`, `sent`, `failed`, `received`, `internal` …
    pub delivery_status: String,
    /// Files.
    pub attachments: Vec<AttachmentDto>,
    /// Created (RFC 3339).
    pub created_at: String,
}

impl MessageDto {
    /// Maps a message of conversation `number`.
    pub fn new(m: MessageView, number: i32) -> Self {
        Self {
            id: m.id,
            conversation_number: number,
            kind: m.kind.as_str().to_owned(),
            direction: m.direction,
            author_name: m.author_name,
            author_kind: m.author_kind,
            author_user_id: m.author_user_id,
            body_html: m.body_html,
            body_text: m.body_text,
            delivery_status: m.delivery_status,
            attachments: m
                .attachments
                .into_iter()
                .map(|a| AttachmentDto {
                    id: a.id,
                    filename: a.filename,
                    content_type: a.content_type,
                    size_bytes: a.size_bytes,
                })
                .collect(),
            created_at: m.created_at,
        }
    }
}

/// A new message on a conversation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMessage {
    /// `reply` (default) or `note`. Customer messages are always replies.
    #[serde(default)]
    #[schema(schema_with = message_kind_schema)]
    pub kind: Option<MessageKind>,
    /// Plain text (escaped into HTML when `body_html` is absent).
    pub body_text: Option<String>,
    /// HTML (sanitized).
    pub body_html: Option<String>,
    /// The sender system's message id: with `from_customer`, a retry with the same
    /// id returns the stored message (200) instead of adding it again.
    pub external_id: Option<String>,
    /// The customer wrote it (stored as received from them); default: the key's
    /// member writes it as an agent.
    #[serde(default)]
    pub from_customer: bool,
}

// ---------------------------------------------------------------------------
// Tags
// ---------------------------------------------------------------------------

/// A tag.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagDto {
    /// Id.
    pub id: i32,
    /// Name (lower case).
    pub name: String,
    /// Colour (`#rrggbb`).
    pub color: String,
}

impl From<TagView> for TagDto {
    fn from(t: TagView) -> Self {
        Self {
            id: t.id,
            name: t.name,
            color: t.color,
        }
    }
}

/// A new tag.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTag {
    /// Name: letters, digits, `- _ / .`, up to 50.
    #[schema(example = "billing")]
    pub name: String,
    /// Colour, `#rrggbb` (default grey).
    #[schema(example = "#2563eb")]
    pub color: Option<String>,
}

/// Changes to a tag.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTag {
    /// New name.
    pub name: Option<String>,
    /// New colour.
    pub color: Option<String>,
}

// ---------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------

/// A condition on a custom field.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomFilterDto {
    /// Field key.
    pub key: String,
    /// `eq`, `contains`, `gt`, `lt` or `set`.
    pub op: String,
    /// Value to compare with (ignored for `set`).
    #[serde(default)]
    pub value: String,
}

/// Which conversations a view shows. Empty lists mean "any".
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ViewFilterDto {
    /// Any of these statuses.
    #[schema(schema_with = statuses_schema)]
    pub statuses: Vec<Status>,
    /// Any of these priorities.
    #[schema(schema_with = priorities_schema)]
    pub priorities: Vec<Priority>,
    /// Any of these channels.
    #[schema(schema_with = channels_schema)]
    pub channels: Vec<Channel>,
    /// `me` (whoever looks) or `unassigned`; or use `assignee_id`.
    pub assignee: Option<String>,
    /// Assigned to this user.
    pub assignee_id: Option<i32>,
    /// Any of these teams.
    pub team_ids: Vec<i32>,
    /// Carrying all of these tags.
    pub tags: Vec<String>,
    /// Custom field conditions (all must hold).
    pub custom: Vec<CustomFilterDto>,
    /// Created on or after (YYYY-MM-DD).
    pub created_after: Option<String>,
    /// Created before (YYYY-MM-DD).
    pub created_before: Option<String>,
    /// Updated on or after (YYYY-MM-DD).
    pub updated_after: Option<String>,
    /// Updated before (YYYY-MM-DD).
    pub updated_before: Option<String>,
    /// Only this customer's conversations.
    pub customer_id: Option<i32>,
}

impl ViewFilterDto {
    /// The app's filter.
    ///
    /// # Errors
    /// A message naming the field when `assignee` is unknown or conflicts.
    pub fn into_filter(self, field: &str) -> Result<ViewFilter, (String, String)> {
        let assignee = match (self.assignee.as_deref().map(str::trim), self.assignee_id) {
            (None | Some(""), None) => None,
            (Some("me"), None) => Some(AssigneeFilter::Me),
            (Some("unassigned"), None) => Some(AssigneeFilter::Unassigned),
            (None | Some(""), Some(u)) => Some(AssigneeFilter::User(u)),
            (Some(_), Some(_)) => {
                return Err((
                    format!("{field}.assignee"),
                    "Give `assignee` or `assignee_id`, not both.".to_owned(),
                ))
            }
            (Some(other), None) => {
                return Err((
                    format!("{field}.assignee"),
                    format!("`{other}` is not an assignee filter: use `me` or `unassigned`, or `assignee_id`."),
                ))
            }
        };
        Ok(ViewFilter {
            statuses: self.statuses,
            priorities: self.priorities,
            assignee,
            team_ids: self.team_ids,
            tags: self.tags,
            channels: self.channels,
            custom: self
                .custom
                .into_iter()
                .map(|c| CustomFieldFilter {
                    key: c.key,
                    op: c.op,
                    value: c.value,
                })
                .collect(),
            created_after: self.created_after,
            created_before: self.created_before,
            updated_after: self.updated_after,
            updated_before: self.updated_before,
            customer_id: self.customer_id,
        })
    }
}

impl From<ViewFilter> for ViewFilterDto {
    fn from(f: ViewFilter) -> Self {
        let (assignee, assignee_id) = match f.assignee {
            None => (None, None),
            Some(AssigneeFilter::Me) => (Some("me".to_owned()), None),
            Some(AssigneeFilter::Unassigned) => (Some("unassigned".to_owned()), None),
            Some(AssigneeFilter::User(u)) => (None, Some(u)),
        };
        Self {
            statuses: f.statuses,
            priorities: f.priorities,
            channels: f.channels,
            assignee,
            assignee_id,
            team_ids: f.team_ids,
            tags: f.tags,
            custom: f
                .custom
                .into_iter()
                .map(|c| CustomFilterDto {
                    key: c.key,
                    op: c.op,
                    value: c.value,
                })
                .collect(),
            created_after: f.created_after,
            created_before: f.created_before,
            updated_after: f.updated_after,
            updated_before: f.updated_before,
            customer_id: f.customer_id,
        }
    }
}

/// A saved view with its current count.
#[derive(Debug, Serialize, ToSchema)]
pub struct ViewDto {
    /// Id.
    pub id: i32,
    /// Name.
    pub name: String,
    /// Shared with the workspace (else the key's member's own).
    pub shared: bool,
    /// Filter.
    pub filter: ViewFilterDto,
    /// Order.
    #[schema(schema_with = sort_schema)]
    pub sort: String,
    /// Conversations matching now.
    pub count: u64,
}

impl From<ViewSummary> for ViewDto {
    fn from(v: ViewSummary) -> Self {
        Self {
            id: v.id,
            name: v.name,
            shared: v.shared,
            filter: v.filter.into(),
            sort: v.sort.as_str().to_owned(),
            count: v.count,
        }
    }
}

/// A new saved view.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateView {
    /// Name (1–60 characters).
    pub name: String,
    /// Shared with the workspace (needs an admin's key); default: personal.
    #[serde(default)]
    pub shared: bool,
    /// Filter.
    #[serde(default)]
    pub filter: ViewFilterDto,
    /// Order (default `updated_desc`).
    #[serde(default)]
    #[schema(schema_with = sort_schema)]
    pub sort: Option<SortOrder>,
}

/// Changes to a view; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateView {
    /// Name.
    pub name: Option<String>,
    /// Filter (replaces the whole filter).
    pub filter: Option<ViewFilterDto>,
    /// Order.
    #[serde(default)]
    #[schema(schema_with = sort_schema)]
    pub sort: Option<SortOrder>,
}

// ---------------------------------------------------------------------------
// Search
// ---------------------------------------------------------------------------

/// A search result.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHitDto {
    /// `conversation`, `message` or `customer`.
    pub kind: String,
    /// Conversation number to open.
    pub number: Option<i32>,
    /// Customer id (customer hits).
    pub customer_id: Option<i32>,
    /// Title line.
    pub title: String,
    /// Snippet, HTML-escaped, with `<mark>` around matches.
    pub snippet_html: String,
    /// When (RFC 3339).
    pub at: String,
}

impl From<SearchHit> for SearchHitDto {
    fn from(h: SearchHit) -> Self {
        Self {
            kind: h.kind,
            number: h.number,
            customer_id: h.customer_id,
            title: h.title,
            snippet_html: h.snippet_html,
            at: h.at,
        }
    }
}
