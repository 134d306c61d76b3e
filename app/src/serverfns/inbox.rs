//! The inbox: views, lists, the conversation pane, the composer, merge/split,
//! search, presence, canned responses, macros, customers, notifications.
//!
//! Lists of ids travel as comma-separated strings and filters/macro actions as
//! JSON strings, so every function keeps the default URL-encoded form codec.

use crate::error::AppError;
use crate::types::{
    CannedResponseView, ConversationDetail, ConversationRow, CustomerView, InboxMeta, InboxPage,
    MacroPreview, MacroView, MessageView, NotificationView, Presence, RenderedText, SearchHit,
    SideConversationView, ViewSummary,
};
use leptos::prelude::*;

/// Parses "1,2,3".
#[cfg(feature = "ssr")]
fn parse_ids(s: &str, field: &'static str) -> Result<Vec<i32>, AppError> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| {
            x.parse::<i32>().map_err(|_| {
                super::edge::fail(crate::services::ServiceError::invalid(
                    field,
                    format!("`{x}` is not an id."),
                ))
            })
        })
        .collect()
}

#[cfg(feature = "ssr")]
fn words(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(feature = "ssr")]
fn bad(field: &'static str, m: impl Into<String>) -> AppError {
    super::edge::fail(crate::services::ServiceError::invalid(field, m))
}

/// Agents, teams, tags, custom fields and your signature.
#[server]
pub async fn get_inbox_meta() -> Result<InboxMeta, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    crate::services::inbox::views::meta(&state, &actor)
        .await
        .map_err(fail)
}

/// The views you see, with live counts unless `with_counts` is false (the page
/// renders the views first and fetches counts after hydration).
#[server]
pub async fn list_views(with_counts: Option<bool>) -> Result<Vec<ViewSummary>, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    crate::services::inbox::views::list(&state, &actor, with_counts.unwrap_or(true))
        .await
        .map_err(fail)
}

/// A page of a view (or of an ad-hoc filter given as JSON), after `cursor`.
#[server]
pub async fn list_conversations(
    view_id: Option<i32>,
    filter_json: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
) -> Result<InboxPage, AppError> {
    use super::edge::*;
    use crate::services::inbox::{conversations, views};
    use crate::types::{SortOrder, ViewFilter};
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    let (mut filter, mut order) = match view_id {
        Some(id) => views::parse(&views::find(&state.db, &actor, id).await.map_err(fail)?),
        None => (ViewFilter::default(), SortOrder::UpdatedDesc),
    };
    if let Some(j) = filter_json.filter(|j| !j.trim().is_empty()) {
        filter = serde_json::from_str(&j)
            .map_err(|e| bad("filter", format!("The filter is not valid: {e}")))?;
    }
    if let Some(s) = sort.filter(|s| !s.is_empty()) {
        order = SortOrder::parse(&s)
            .ok_or_else(|| bad("sort", format!("`{s}` is not a sort order.")))?;
    }
    conversations::list(
        &state.db,
        actor.scope,
        actor.user_id,
        &filter,
        order,
        cursor.as_deref(),
        50,
    )
    .await
    .map(InboxPage::from)
    .map_err(fail)
}

/// One conversation with its thread, customer and references.
#[server]
pub async fn get_conversation(number: i32) -> Result<ConversationDetail, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    let d = crate::services::inbox::conversations::detail(&state.db, actor.scope, number)
        .await
        .map_err(fail)?;
    crate::services::channels::widget::agent_read(&state, &actor, &d)
        .await
        .map_err(fail)?;
    Ok(d)
}

/// Starts a conversation with a customer (by email).
#[server]
pub async fn create_conversation(
    customer_email: String,
    customer_name: String,
    subject: String,
    body: String,
    priority: String,
) -> Result<ConversationRow, AppError> {
    use super::edge::*;
    use crate::services::inbox::conversations::{create, CustomerRef, NewConversation};
    use crate::types::{Channel, IdentifierKind, Priority};
    let (state, actor) = actor(crate::permissions::Action::ManageConversations).await?;
    let meta = meta().await;
    let priority = Priority::parse(&priority).unwrap_or(Priority::Normal);
    create(
        &state,
        &actor,
        NewConversation {
            customer: CustomerRef::Identifier {
                kind: IdentifierKind::Email,
                value: customer_email,
                name: Some(customer_name),
            },
            subject,
            channel: Channel::Email,
            priority,
            body,
            from_customer: false,
            tags: Vec::new(),
            assignee_id: Some(actor.user_id),
            team_id: None,
        },
        &meta,
    )
    .await
    .map_err(fail)
}

/// Sends a reply or adds a note. `seen_last_public_id` drives collision detection;
/// `force` sends anyway after the warning.
#[server]
pub async fn send_message(
    conversation_id: i32,
    kind: String,
    body: String,
    attachment_ids: String,
    seen_last_public_id: Option<i32>,
    force: bool,
) -> Result<MessageView, AppError> {
    use super::edge::*;
    use crate::services::inbox::messages::{add, NewMessage};
    use crate::types::MessageKind;
    let (state, actor) = actor(crate::permissions::Action::AddNotes).await?;
    let kind = MessageKind::parse(&kind)
        .filter(|k| *k != MessageKind::System)
        .ok_or_else(|| bad("kind", "Choose reply or note."))?;
    let m = NewMessage {
        kind,
        body_text: body,
        attachment_ids: parse_ids(&attachment_ids, "attachment_ids")?,
        ..Default::default()
    };
    add(
        &state,
        &actor,
        conversation_id,
        m,
        seen_last_public_id,
        force,
    )
    .await
    .map_err(fail)
}

/// Changes one field: `status`, `priority`, `assignee` (user id or empty),
/// `team` (team id or empty), `subject`, or `field:<key>`.
#[server]
pub async fn update_conversation(
    conversation_id: i32,
    field: String,
    value: String,
) -> Result<ConversationRow, AppError> {
    use super::edge::*;
    use crate::services::inbox::conversations::{update, ConversationPatch};
    use crate::types::{Priority, Status};
    let (state, actor) = actor(crate::permissions::Action::ManageConversations).await?;
    let meta = meta().await;
    let opt_id = |v: &str, f: &'static str| -> Result<Option<i32>, AppError> {
        if v.trim().is_empty() {
            Ok(None)
        } else {
            v.trim()
                .parse()
                .map(Some)
                .map_err(|_| bad(f, format!("`{v}` is not an id.")))
        }
    };
    let mut p = ConversationPatch::default();
    match field.as_str() {
        "status" => {
            p.status = Some(
                Status::parse(&value)
                    .ok_or_else(|| bad("status", format!("`{value}` is not a status.")))?,
            )
        }
        "priority" => {
            p.priority = Some(
                Priority::parse(&value)
                    .ok_or_else(|| bad("priority", format!("`{value}` is not a priority.")))?,
            )
        }
        "assignee" => p.assignee_id = Some(opt_id(&value, "assignee")?),
        "team" => p.team_id = Some(opt_id(&value, "team")?),
        "subject" => p.subject = Some(value),
        f => match f.strip_prefix("field:") {
            Some(k) => p.fields.push((k.to_owned(), value)),
            None => return Err(bad("field", format!("`{f}` cannot be changed here."))),
        },
    }
    update(&state, &actor, conversation_id, p, &meta)
        .await
        .map_err(fail)
}

/// Adds and removes tags (comma-separated names).
#[server]
pub async fn tag_conversation(
    conversation_id: i32,
    add: String,
    remove: String,
) -> Result<ConversationRow, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageConversations).await?;
    let meta = meta().await;
    crate::services::inbox::conversations::tag(
        &state,
        &actor,
        conversation_id,
        words(&add),
        words(&remove),
        &meta,
    )
    .await
    .map_err(fail)
}

/// A bulk action on selected conversations: `assign` (user id or empty),
/// `status` (a status) or `tag` (comma-separated tags).
#[server]
pub async fn bulk_update(ids_csv: String, action: String, value: String) -> Result<u64, AppError> {
    use super::edge::*;
    use crate::services::inbox::conversations::{bulk, Bulk};
    use crate::types::Status;
    let (state, actor) = actor(crate::permissions::Action::ManageConversations).await?;
    let meta = meta().await;
    let list = parse_ids(&ids_csv, "ids")?;
    let b = match action.as_str() {
        "assign" => Bulk::Assign(if value.trim().is_empty() {
            None
        } else {
            Some(
                value
                    .trim()
                    .parse()
                    .map_err(|_| bad("value", "Choose an agent."))?,
            )
        }),
        "status" => Bulk::Status(
            Status::parse(&value)
                .ok_or_else(|| bad("value", format!("`{value}` is not a status.")))?,
        ),
        "tag" => Bulk::Tag(words(&value)),
        a => return Err(bad("action", format!("`{a}` is not a bulk action."))),
    };
    bulk(&state, &actor, &list, b, &meta).await.map_err(fail)
}

/// Merges conversations into a primary; returns the merge id (for undo).
#[server]
pub async fn merge_conversations(primary_id: i32, ids_csv: String) -> Result<i32, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::MergeConversations).await?;
    let meta = meta().await;
    crate::services::inbox::merge::merge(
        &state,
        &actor,
        primary_id,
        &parse_ids(&ids_csv, "ids")?,
        &meta,
    )
    .await
    .map_err(fail)
}

/// Undoes a merge (within 10 minutes).
#[server]
pub async fn undo_merge(merge_id: i32) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::MergeConversations).await?;
    let meta = meta().await;
    crate::services::inbox::merge::undo(&state, &actor, merge_id, &meta)
        .await
        .map_err(fail)
}

/// Moves messages into a new conversation; returns its number.
#[server]
pub async fn split_conversation(
    conversation_id: i32,
    message_ids: String,
    subject: String,
) -> Result<i32, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::MergeConversations).await?;
    let meta = meta().await;
    crate::services::inbox::merge::split(
        &state,
        &actor,
        conversation_id,
        &parse_ids(&message_ids, "message_ids")?,
        Some(&subject),
        &meta,
    )
    .await
    .map_err(fail)
}

/// Full-text search over conversations, messages (and notes) and customers.
#[server]
pub async fn search_inbox(q: String, kind: String) -> Result<Vec<SearchHit>, AppError> {
    use super::edge::*;
    use crate::services::inbox::search::{search, SearchQuery};
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    let query = SearchQuery {
        text: q,
        kinds: words(&kind),
        status: None,
        include_notes: true,
        limit: 20,
    };
    search(&state.db, &actor, &query).await.map_err(fail)
}

/// Heartbeat while a conversation is open (and while typing); returns who else is
/// there. With `announce` false it only reads (used when someone else's heartbeat
/// arrives, so two open panes never ping each other in a loop).
#[server]
pub async fn presence_ping(
    conversation_id: i32,
    typing: bool,
    stopped: bool,
    announce: bool,
) -> Result<Vec<Presence>, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    crate::services::inbox::conversations::find(&state.db, actor.scope, conversation_id)
        .await
        .map_err(fail)?;
    Ok(if announce {
        crate::services::inbox::presence::heartbeat(
            &state,
            &actor,
            conversation_id,
            typing,
            stopped,
        )
    } else {
        state
            .presence
            .others(actor.scope.workspace_id(), conversation_id, actor.user_id)
    })
}

/// Leaves a conversation (closes the pane).
#[server]
pub async fn presence_leave(conversation_id: i32) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    crate::services::inbox::conversations::find(&state.db, actor.scope, conversation_id)
        .await
        .map_err(fail)?;
    crate::services::inbox::presence::leave(&state, &actor, conversation_id);
    Ok(())
}

/// Canned responses matching `q`.
#[server]
pub async fn list_canned(q: String) -> Result<Vec<CannedResponseView>, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    crate::services::inbox::canned::list(&state.db, &actor, &q)
        .await
        .map_err(fail)
}

/// Fills a text's `{{variables}}` for a conversation, reporting unknown ones.
#[server]
pub async fn render_template(conversation_id: i32, text: String) -> Result<RenderedText, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    crate::services::inbox::canned::render(&state.db, &actor, conversation_id, &text)
        .await
        .map_err(fail)
}

/// Creates or edits a canned response (`id` empty: new).
#[server]
pub async fn save_canned(
    id: Option<i32>,
    title: String,
    category: String,
    body: String,
    shared: bool,
) -> Result<CannedResponseView, AppError> {
    use super::edge::*;
    use crate::services::inbox::canned;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    match id {
        Some(id) => canned::update(&state, &actor, id, &title, &category, &body).await,
        None => canned::create(&state, &actor, &title, &category, &body, shared).await,
    }
    .map_err(fail)
}

/// Deletes a canned response.
#[server]
pub async fn delete_canned(id: i32) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    crate::services::inbox::canned::delete(&state, &actor, id)
        .await
        .map_err(fail)
}

/// Every macro.
#[server]
pub async fn list_macros() -> Result<Vec<MacroView>, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    crate::services::inbox::macros::list(&state.db, &actor)
        .await
        .map_err(fail)
}

/// What a macro would do to a conversation.
#[server]
pub async fn preview_macro(macro_id: i32, conversation_id: i32) -> Result<MacroPreview, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    crate::services::inbox::macros::preview(&state.db, &actor, macro_id, conversation_id)
        .await
        .map_err(fail)
}

/// Applies a macro to a conversation.
#[server]
pub async fn apply_macro(macro_id: i32, conversation_id: i32) -> Result<ConversationRow, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageConversations).await?;
    let meta = meta().await;
    crate::services::inbox::macros::apply(&state, &actor, macro_id, conversation_id, &meta)
        .await
        .map_err(fail)
}

/// Creates or replaces a macro; `actions_json` is a list of actions.
#[server]
pub async fn save_macro(
    id: Option<i32>,
    name: String,
    description: String,
    actions_json: String,
) -> Result<MacroView, AppError> {
    use super::edge::*;
    use crate::services::inbox::macros;
    let (state, actor) = actor(crate::permissions::Action::ManageInboxSettings).await?;
    let actions = serde_json::from_str(&actions_json)
        .map_err(|e| bad("actions", format!("The actions are not valid: {e}")))?;
    match id {
        Some(id) => macros::update(&state, &actor, id, &name, &description, actions).await,
        None => macros::create(&state, &actor, &name, &description, actions).await,
    }
    .map_err(fail)
}

/// Deletes a macro.
#[server]
pub async fn delete_macro(id: i32) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageInboxSettings).await?;
    crate::services::inbox::macros::delete(&state, &actor, id)
        .await
        .map_err(fail)
}

/// Creates or edits a view (`id` empty: new). `filter_json` is a view filter.
#[server]
pub async fn save_view(
    id: Option<i32>,
    name: String,
    shared: bool,
    filter_json: String,
    sort: String,
) -> Result<ViewSummary, AppError> {
    use super::edge::*;
    use crate::services::inbox::views;
    use crate::types::SortOrder;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    let filter = serde_json::from_str(&filter_json)
        .map_err(|e| bad("filter", format!("The filter is not valid: {e}")))?;
    let sort = SortOrder::parse(&sort).unwrap_or(SortOrder::UpdatedDesc);
    match id {
        Some(id) => views::update(&state, &actor, id, &name, filter, sort).await,
        None => views::create(&state, &actor, &name, shared, filter, sort).await,
    }
    .map_err(fail)
}

/// Deletes a view.
#[server]
pub async fn delete_view(id: i32) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    crate::services::inbox::views::delete(&state, &actor, id)
        .await
        .map_err(fail)
}

/// Moves a view up (-1) or down (1).
#[server]
pub async fn move_view(id: i32, delta: i32) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    crate::services::inbox::views::move_view(&state, &actor, id, delta)
        .await
        .map_err(fail)
}

/// Starts a side conversation by email, or in a Slack channel (`via` `slack`,
/// `to_email` then naming the channel).
#[server]
pub async fn start_side_conversation(
    conversation_id: i32,
    to_email: String,
    subject: String,
    body: String,
    via: Option<String>,
) -> Result<SideConversationView, AppError> {
    use super::edge::*;
    use crate::services::inbox::side;
    let (state, actor) = actor(crate::permissions::Action::ReplyToCustomers).await?;
    let via = side::Via::parse(via.as_deref()).map_err(fail)?;
    side::start(
        &state,
        &actor,
        conversation_id,
        via,
        &to_email,
        &subject,
        &body,
    )
    .await
    .map_err(fail)
}

/// Edits a customer's name, company and notes.
#[server]
pub async fn update_customer(
    customer_id: i32,
    name: String,
    company: String,
    notes: String,
) -> Result<CustomerView, AppError> {
    use super::edge::*;
    use crate::services::inbox::customers::{update, CustomerPatch};
    let (state, actor) = actor(crate::permissions::Action::ManageCustomers).await?;
    let meta = meta().await;
    update(
        &state,
        &actor,
        customer_id,
        CustomerPatch {
            name: Some(name),
            company: Some(company),
            notes: Some(notes),
        },
        &meta,
    )
    .await
    .map_err(fail)
}

/// Adds an identifier (email, phone, whatsapp, chat, social) to a customer.
#[server]
pub async fn add_customer_identifier(
    customer_id: i32,
    kind: String,
    value: String,
) -> Result<CustomerView, AppError> {
    use super::edge::*;
    use crate::types::IdentifierKind;
    let (state, actor) = actor(crate::permissions::Action::ManageCustomers).await?;
    let meta = meta().await;
    let kind = IdentifierKind::parse(&kind)
        .ok_or_else(|| bad("kind", format!("`{kind}` is not an identifier kind.")))?;
    crate::services::inbox::customers::add_identifier(
        &state,
        &actor,
        customer_id,
        kind,
        &value,
        &meta,
    )
    .await
    .map_err(fail)
}

/// Merges a customer into another.
#[server]
pub async fn merge_customers(primary_id: i32, secondary_id: i32) -> Result<CustomerView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageCustomers).await?;
    let meta = meta().await;
    crate::services::inbox::customers::merge(&state, &actor, primary_id, secondary_id, &meta)
        .await
        .map_err(fail)
}

/// Your notifications, newest first.
#[server]
pub async fn list_notifications() -> Result<Vec<NotificationView>, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    crate::services::inbox::views::notifications(&state.db, &actor)
        .await
        .map_err(fail)
}

/// Marks all your notifications read.
#[server]
pub async fn mark_notifications_read() -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    crate::services::inbox::views::mark_read(&state.db, &actor)
        .await
        .map_err(fail)
}

/// Sets your signature in this workspace (added below replies).
#[server]
pub async fn set_signature(signature: String) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ReplyToCustomers).await?;
    crate::services::inbox::views::set_signature(&state.db, &actor, &signature)
        .await
        .map_err(fail)
}

/// Uploads an attachment (a `data:` URL read in the browser) to a conversation; the
/// returned id is sent with the next message.
#[server]
pub async fn upload_attachment(
    conversation_id: i32,
    filename: String,
    data_url: String,
) -> Result<crate::types::AttachmentView, AppError> {
    use super::edge::*;
    use base64::Engine;
    let (state, actor) = actor(crate::permissions::Action::AddNotes).await?;
    let unreadable = || bad("file", "That file could not be read. Try again.");
    let rest = data_url.strip_prefix("data:").ok_or_else(unreadable)?;
    let (ct, b64) = rest
        .split_once(";base64,")
        .unwrap_or(("application/octet-stream", ""));
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| unreadable())?;
    crate::services::inbox::attachments::upload(
        &state,
        &actor,
        conversation_id,
        &filename,
        ct,
        &bytes,
    )
    .await
    .map_err(fail)
}

/// Creates a team with members (comma-separated user ids).
#[server]
pub async fn create_team(
    name: String,
    member_ids: String,
) -> Result<crate::types::Choice, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageInboxSettings).await?;
    crate::services::inbox::setup::create_team(
        &state,
        &actor,
        &name,
        &parse_ids(&member_ids, "member_ids")?,
    )
    .await
    .map_err(fail)
}

/// Defines a custom field (`options`: comma-separated, for dropdowns).
#[server]
pub async fn create_custom_field(
    key: String,
    label: String,
    kind: String,
    options: String,
) -> Result<crate::types::CustomFieldDef, AppError> {
    use super::edge::*;
    use crate::types::FieldKind;
    let (state, actor) = actor(crate::permissions::Action::ManageInboxSettings).await?;
    let kind = FieldKind::parse(&kind)
        .ok_or_else(|| bad("kind", format!("`{kind}` is not a field type.")))?;
    crate::services::inbox::setup::create_field(&state, &actor, &key, &label, kind, words(&options))
        .await
        .map_err(fail)
}

/// The customer-facing page of a conversation (public: the token is the key).
#[server]
pub async fn get_customer_conversation(
    token: String,
) -> Result<crate::types::CustomerThreadView, AppError> {
    use super::edge::*;
    let state = state()?;
    crate::services::inbox::messages::customer_view(&state.db, &token)
        .await
        .map_err(fail)
}

/// The customer's satisfaction rating from their conversation's page (public: the
/// token is the key). `rating` is 1–5; answering again replaces the answer.
#[server]
pub async fn rate_conversation(
    token: String,
    rating: String,
    comment: String,
) -> Result<crate::types::CsatView, AppError> {
    use super::edge::*;
    let state = state()?;
    crate::services::csat::rate_by_token(&state, &token, &rating, &comment)
        .await
        .map_err(fail)
}
