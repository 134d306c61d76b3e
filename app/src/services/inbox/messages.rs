//! Messages: public replies (emailed to the customer through the outbox when the
//! conversation is by email), internal notes (never shown to customers, never sent;
//! `@mentions` notify the agent through the notification service), inbound customer messages
//! (idempotent on the provider's message id), HTML sanitized on the way in.

use super::super::context::Actor;
use super::super::notify::{self, Notice};
use super::super::tenancy::{global, Scoped};
use super::super::uow::UnitOfWork;
use super::super::{bus::Event, now, AppState, ServiceError, ServiceResult};
use super::{attachments, conversations, customers, excerpt};
use crate::permissions::Action;
use crate::types::{
    ticket_ref, Channel, IdentifierKind, MessageKind, MessageView, NoticeKind, Status,
};
use entity::{conversation, customer, membership, message, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use std::collections::HashMap;

/// Largest message body, in characters.
pub const MAX_BODY: usize = 100_000;

/// A message to add.
#[derive(Clone, Debug)]
pub struct NewMessage {
    /// Reply or note.
    pub kind: MessageKind,
    /// Plain text (used when no HTML is given; escaped into HTML).
    pub body_text: String,
    /// HTML (sanitized).
    pub body_html: Option<String>,
    /// Attachments uploaded to this conversation beforehand.
    pub attachment_ids: Vec<i32>,
    /// Provider message id (idempotency for inbound).
    pub external_id: Option<String>,
    /// Side conversation this belongs to.
    pub side_conversation_id: Option<i32>,
    /// RFC 5322 Message-ID of the email that carried it (threading).
    pub rfc_message_id: Option<String>,
    /// An automatic message (auto-reply): stored, but never reopens the conversation.
    pub automatic: bool,
    /// Who wrote it when no member or customer did (`Rule: Welcome`).
    pub author_label: Option<String>,
    /// A bot question's choices (JSON, see [`crate::types::MessageChoices`]).
    pub choices: Option<String>,
}

impl Default for NewMessage {
    fn default() -> Self {
        Self {
            kind: MessageKind::Reply,
            body_text: String::new(),
            body_html: None,
            attachment_ids: Vec::new(),
            external_id: None,
            side_conversation_id: None,
            rfc_message_id: None,
            automatic: false,
            author_label: None,
            choices: None,
        }
    }
}

/// Who wrote a message and how it travels.
struct Origin<'a> {
    direction: &'a str,
    author_user_id: Option<i32>,
    author_customer_id: Option<i32>,
    delivery_status: &'a str,
}

/// Sanitizes HTML: the tags and attributes of formatted mail, nothing that runs.
pub fn sanitize_html(html: &str) -> String {
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(html)
        .to_string()
}

/// Escapes text into HTML paragraphs.
pub fn text_to_html(text: &str) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    text.trim()
        .split("\n\n")
        .map(|p| format!("<p>{}</p>", esc(p).replace('\n', "<br>")))
        .collect()
}

/// Plain text of sanitized HTML (for search, previews and text email).
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    let mut tag = String::new();
    for ch in html.chars() {
        match ch {
            '<' => {
                in_tag = true;
                tag.clear();
            }
            '>' if in_tag => {
                in_tag = false;
                let t = tag.trim_start_matches('/').to_lowercase();
                let name = t.split_whitespace().next().unwrap_or_default();
                if matches!(
                    name,
                    "br" | "p" | "div" | "li" | "tr" | "h1" | "h2" | "h3" | "blockquote"
                ) {
                    out.push('\n');
                }
            }
            _ if in_tag => tag.push(ch),
            _ => out.push(ch),
        }
    }
    let out = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    out.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

fn bodies(m: &NewMessage) -> ServiceResult<(String, String)> {
    let (html, text) = match &m.body_html {
        Some(h) if !h.trim().is_empty() => {
            let clean = sanitize_html(h);
            let text = if m.body_text.trim().is_empty() {
                html_to_text(&clean)
            } else {
                m.body_text.trim().to_owned()
            };
            (clean, text)
        }
        _ => (text_to_html(&m.body_text), m.body_text.trim().to_owned()),
    };
    if text.is_empty() && m.attachment_ids.is_empty() {
        return Err(ServiceError::invalid("body", "Write a message first."));
    }
    if text.chars().count() > MAX_BODY {
        return Err(ServiceError::invalid(
            "body",
            "A message can be at most 100,000 characters.",
        ));
    }
    Ok((html, text))
}

async fn insert(
    uow: &mut UnitOfWork,
    scope: Scoped,
    c: &conversation::Model,
    m: &NewMessage,
    origin: Origin<'_>,
) -> ServiceResult<message::Model> {
    let Origin {
        direction,
        author_user_id,
        author_customer_id,
        delivery_status,
    } = origin;
    let (html, text) = bodies(m)?;
    let t = now();
    let row = message::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        conversation_id: Set(c.id),
        kind: Set(m.kind.as_str().to_owned()),
        direction: Set(direction.to_owned()),
        author_user_id: Set(author_user_id),
        author_customer_id: Set(author_customer_id),
        body_html: Set(html),
        body_text: Set(text.clone()),
        side_conversation_id: Set(m.side_conversation_id),
        delivery_status: Set(delivery_status.to_owned()),
        delivery_error: Set(None),
        external_id: Set(m.external_id.clone()),
        origin_conversation_id: Set(None),
        created_at: Set(t),
        rfc_message_id: Set(m.rfc_message_id.clone()),
        author_label: Set(m.author_label.clone()),
        choices: Set(m.choices.clone()),
        ..Default::default()
    }
    .insert(&**uow)
    .await?;
    attachments::attach(&**uow, scope, c.id, row.id, &m.attachment_ids).await?;
    // The list shows the latest public message; notes count but do not preview.
    let mut cm = c.clone().into_active_model();
    cm.message_count = Set(c.message_count + 1);
    cm.updated_at = Set(t);
    if m.kind == MessageKind::Reply && m.side_conversation_id.is_none() {
        cm.preview = Set(excerpt(&text, 140));
        cm.last_message_at = Set(t);
    }
    cm.update(&**uow).await?;
    uow.emit(Event::new(
        scope.workspace_id(),
        "message.created",
        serde_json::json!({
            "conversation_id": c.id, "number": c.number, "message_id": row.id,
            "kind": m.kind.as_str(), "author_user_id": author_user_id,
            "customer_id": c.customer_id, "side": m.side_conversation_id.is_some(),
            "direction": direction,
        }),
    ));
    Ok(row)
}

/// Adds a customer's message (channels, the API, the first message of a ticket).
///
/// # Errors
/// Validation; database errors.
pub async fn insert_inbound(
    uow: &mut UnitOfWork,
    scope: Scoped,
    c: &conversation::Model,
    customer_id: i32,
    m: NewMessage,
) -> ServiceResult<message::Model> {
    let m = NewMessage {
        kind: MessageKind::Reply,
        ..m
    };
    let row = insert(
        uow,
        scope,
        c,
        &m,
        Origin {
            direction: "inbound",
            author_user_id: None,
            author_customer_id: Some(customer_id),
            delivery_status: "received",
        },
    )
    .await?;
    // A customer reply reopens a pending or solved conversation.
    let status = Status::parse(&c.status).unwrap_or(Status::Open);
    if m.side_conversation_id.is_none()
        && !m.automatic
        && matches!(status, Status::Pending | Status::Solved)
    {
        let fresh = conversations::find(&**uow, scope, c.id).await?;
        let mut cm = fresh.into_active_model();
        cm.status = Set(Status::Open.as_str().to_owned());
        cm.solved_at = Set(None);
        cm.update(&**uow).await?;
    }
    Ok(row)
}

/// Adds an agent's reply or note, with its effects: first-response time, the
/// outbound email for email conversations, @mention notifications for notes.
///
/// # Errors
/// Validation; database errors.
pub async fn insert_agent(
    uow: &mut UnitOfWork,
    actor: &Actor,
    c: &conversation::Model,
    m: NewMessage,
) -> ServiceResult<message::Model> {
    let scope = actor.scope;
    match m.kind {
        MessageKind::Note => {
            let row = insert(
                uow,
                scope,
                c,
                &m,
                Origin {
                    direction: "internal",
                    author_user_id: Some(actor.user_id),
                    author_customer_id: None,
                    delivery_status: "internal",
                },
            )
            .await?;
            notify_mentions(uow, actor, c, &row).await?;
            Ok(row)
        }
        MessageKind::Reply => {
            let m = with_signature(&**uow, actor, m).await?;
            let customer = customers::find(&**uow, scope, c.customer_id).await?;
            let channel = Channel::parse(&c.channel).unwrap_or(Channel::Api);
            let by_email = m.side_conversation_id.is_none()
                && matches!(channel, Channel::Email | Channel::WebForm)
                && customer.email.is_some();
            let mut row = insert(
                uow,
                scope,
                c,
                &m,
                Origin {
                    direction: "outbound",
                    author_user_id: Some(actor.user_id),
                    author_customer_id: None,
                    // Chat replies are pushed to the visitor's socket at once (read
                    // receipts show when they were seen); email waits for its job.
                    delivery_status: if channel == Channel::Chat && m.side_conversation_id.is_none()
                    {
                        "sent"
                    } else {
                        "queued"
                    },
                },
            )
            .await?;
            if by_email {
                let to = customer.email.clone().unwrap_or_default();
                row =
                    super::super::channels::email_out::send_reply(uow, scope, c, &to, row).await?;
            }
            if m.side_conversation_id.is_none()
                && matches!(channel, Channel::Sms | Channel::Whatsapp)
            {
                // Refused with the reason when it cannot go out (opted out, no
                // number, WhatsApp's window closed): the agent sees why at once.
                row = super::super::channels::twilio::outbound::queue(uow, scope, c, row, true)
                    .await?;
            }
            if m.side_conversation_id.is_none() {
                row = super::super::channels::slack::after_reply(uow, scope, c, row).await?;
                after_public_reply(uow, scope, c.id, &row).await?;
            }
            Ok(row)
        }
        MessageKind::System => {
            insert(
                uow,
                scope,
                c,
                &m,
                Origin {
                    direction: "internal",
                    author_user_id: None,
                    author_customer_id: None,
                    delivery_status: "internal",
                },
            )
            .await
        }
    }
}

/// Adds the AI agent's public reply (no author: shown as "AI agent"): pushed to
/// chat at once, sent through the outbox for email and web-form conversations.
///
/// # Errors
/// Validation; database errors.
pub async fn insert_ai_reply(
    uow: &mut UnitOfWork,
    scope: Scoped,
    c: &conversation::Model,
    text: &str,
) -> ServiceResult<message::Model> {
    insert_automated_reply(uow, scope, c, text, None).await
}

/// A public reply no person wrote: the AI agent's (`label` none) or a rule's
/// (`label` "Rule: Welcome"), delivered like an agent's.
///
/// # Errors
/// Validation; database errors.
pub async fn insert_automated_reply(
    uow: &mut UnitOfWork,
    scope: Scoped,
    c: &conversation::Model,
    text: &str,
    label: Option<&str>,
) -> ServiceResult<message::Model> {
    let m = NewMessage {
        kind: MessageKind::Reply,
        body_text: text.to_owned(),
        author_label: label.map(str::to_owned),
        ..NewMessage::default()
    };
    insert_automated(uow, scope, c, &m).await
}

/// Stores and sends an automated public reply given as a [`NewMessage`] (a bot's
/// question with its choices), like [`insert_automated_reply`].
///
/// # Errors
/// Database errors; a message with nothing in it.
pub async fn insert_automated(
    uow: &mut UnitOfWork,
    scope: Scoped,
    c: &conversation::Model,
    m: &NewMessage,
) -> ServiceResult<message::Model> {
    let customer = customers::find(&**uow, scope, c.customer_id).await?;
    let channel = Channel::parse(&c.channel).unwrap_or(Channel::Api);
    let by_email = matches!(channel, Channel::Email | Channel::WebForm) && customer.email.is_some();
    let mut row = insert(
        uow,
        scope,
        c,
        m,
        Origin {
            direction: "outbound",
            author_user_id: None,
            author_customer_id: None,
            delivery_status: if channel == Channel::Chat {
                "sent"
            } else {
                "queued"
            },
        },
    )
    .await?;
    if by_email {
        let to = customer.email.clone().unwrap_or_default();
        row = super::super::channels::email_out::send_reply(uow, scope, c, &to, row).await?;
    }
    if matches!(channel, Channel::Sms | Channel::Whatsapp) {
        // Kept and marked failed with the reason when it cannot go out.
        row = super::super::channels::twilio::outbound::queue(uow, scope, c, row, false).await?;
    }
    let row = super::super::channels::slack::after_reply(uow, scope, c, row).await?;
    after_public_reply(uow, scope, c.id, &row).await?;
    Ok(row)
}

/// Stores an agent's public reply whose delivery the caller arranges (a
/// WhatsApp template), with a reply's effects on the conversation.
///
/// # Errors
/// Validation; database errors.
pub async fn insert_reply_row(
    uow: &mut UnitOfWork,
    scope: Scoped,
    c: &conversation::Model,
    user_id: i32,
    text: &str,
) -> ServiceResult<message::Model> {
    let row = insert(
        uow,
        scope,
        c,
        &NewMessage {
            kind: MessageKind::Reply,
            body_text: text.to_owned(),
            ..NewMessage::default()
        },
        Origin {
            direction: "outbound",
            author_user_id: Some(user_id),
            author_customer_id: None,
            delivery_status: "queued",
        },
    )
    .await?;
    after_public_reply(uow, scope, c.id, &row).await?;
    Ok(row)
}

/// What a public reply (agent's or the AI's) does to its conversation: the first
/// response time, and a new conversation becomes open.
async fn after_public_reply(
    uow: &mut UnitOfWork,
    scope: Scoped,
    conversation_id: i32,
    row: &message::Model,
) -> ServiceResult<()> {
    let fresh = conversations::find(&**uow, scope, conversation_id).await?;
    if fresh.first_response_at.is_none()
        || fresh.status == Status::New.as_str()
        || fresh.next_response_due_at.is_some()
    {
        let mut cm = fresh.clone().into_active_model();
        // A reply meets the next-reply target (SLA).
        cm.next_response_due_at = Set(None);
        cm.sla_warned_at = Set(None);
        if fresh.first_response_at.is_none() {
            cm.first_response_at = Set(Some(row.created_at));
        }
        if fresh.status == Status::New.as_str() {
            cm.status = Set(Status::Open.as_str().to_owned());
        }
        cm.update(&**uow).await?;
    }
    Ok(())
}

/// Adds an internal note no person wrote (a rule's: `label` "Rule: Welcome").
///
/// # Errors
/// Validation; database errors.
pub async fn insert_automated_note(
    uow: &mut UnitOfWork,
    scope: Scoped,
    c: &conversation::Model,
    text: &str,
    label: &str,
) -> ServiceResult<message::Model> {
    insert_outside_note(uow, scope, c, text, label, None).await
}

/// Adds an internal note written outside Switchboard (a teammate in a Slack
/// thread, `label` "Slack · Ana"), idempotent by the caller on `external_id`.
///
/// # Errors
/// Validation; database errors.
pub async fn insert_outside_note(
    uow: &mut UnitOfWork,
    scope: Scoped,
    c: &conversation::Model,
    text: &str,
    label: &str,
    external_id: Option<&str>,
) -> ServiceResult<message::Model> {
    insert(
        uow,
        scope,
        c,
        &NewMessage {
            kind: MessageKind::Note,
            body_text: text.to_owned(),
            author_label: Some(label.to_owned()),
            external_id: external_id.map(str::to_owned),
            ..NewMessage::default()
        },
        Origin {
            direction: "internal",
            author_user_id: None,
            author_customer_id: None,
            delivery_status: "internal",
        },
    )
    .await
}

/// Adds a system entry (automatic emails, channel events) to a conversation.
///
/// # Errors
/// Database errors.
pub async fn insert_agent_system(
    uow: &mut UnitOfWork,
    scope: Scoped,
    c: &conversation::Model,
    text: &str,
) -> ServiceResult<message::Model> {
    insert(
        uow,
        scope,
        c,
        &NewMessage {
            kind: MessageKind::System,
            body_text: text.to_owned(),
            ..NewMessage::default()
        },
        Origin {
            direction: "internal",
            author_user_id: None,
            author_customer_id: None,
            delivery_status: "internal",
        },
    )
    .await
}

/// Appends the agent's signature to a public reply (not to side conversations).
async fn with_signature(
    db: &impl ConnectionTrait,
    actor: &Actor,
    mut m: NewMessage,
) -> ServiceResult<NewMessage> {
    if m.side_conversation_id.is_some() || m.body_html.is_some() {
        return Ok(m);
    }
    let sig = actor
        .scope
        .find::<membership::Entity>()
        .filter(membership::Column::UserId.eq(actor.user_id))
        .one(db)
        .await?
        .and_then(|x| x.signature);
    if let Some(sig) = sig.filter(|s| !s.trim().is_empty()) {
        if !m.body_text.contains(sig.trim()) {
            m.body_text = format!("{}\n\n{}", m.body_text.trim_end(), sig.trim());
        }
    }
    Ok(m)
}

/// Notifies members named with `@handle` in a note (handle: the part of their email
/// before `@`, or their name without spaces), through the notification service.
async fn notify_mentions(
    uow: &mut UnitOfWork,
    actor: &Actor,
    c: &conversation::Model,
    note: &message::Model,
) -> ServiceResult<()> {
    let handles = mention_handles(&note.body_text);
    if handles.is_empty() {
        return Ok(());
    }
    let scope = actor.scope;
    let member_ids: Vec<i32> = scope
        .find::<membership::Entity>()
        .all(&**uow)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    let users = global::<user::Entity>()
        .filter(user::Column::Id.is_in(member_ids))
        .all(&**uow)
        .await?;
    let named: Vec<i32> = users
        .iter()
        .filter(|u| u.id != actor.user_id)
        .filter(|u| {
            let local = u.email.split('@').next().unwrap_or_default().to_lowercase();
            let compact: String = u.name.split_whitespace().collect::<String>().to_lowercase();
            let first = u
                .name
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_lowercase();
            handles
                .iter()
                .any(|h| *h == local || *h == compact || *h == first)
        })
        .map(|u| u.id)
        .collect();
    let notice = Notice::about(
        NoticeKind::Mention,
        c,
        &actor.name,
        &excerpt(&note.body_text, 120),
    )
    .to(named);
    notify::dispatch_in(uow, scope, notice).await.map(|_| ())
}

/// `@handles` in a text, lower-cased.
pub fn mention_handles(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '@' && (i == 0 || !chars[i - 1].is_alphanumeric()) {
            let mut j = i + 1;
            while j < chars.len()
                && (chars[j].is_alphanumeric() || matches!(chars[j], '.' | '_' | '-'))
            {
                j += 1;
            }
            let h: String = chars[i + 1..j].iter().collect::<String>();
            let h = h.trim_end_matches(['.', '-', '_']).to_lowercase();
            if !h.is_empty() && !out.contains(&h) {
                out.push(h);
            }
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// Someone else replied after the agent started writing.
#[derive(Clone, Debug)]
pub struct Collision {
    /// Who.
    pub by: String,
}

/// Adds an agent's reply or note. `seen_last_public_id` is the newest public message
/// the agent had on screen: when a newer one exists from someone else and `force` is
/// false, nothing is written and `Conflict` names who replied meanwhile.
///
/// # Errors
/// Permission (light agents may only add notes), validation, `Conflict`.
pub async fn add(
    state: &AppState,
    actor: &Actor,
    conversation_id: i32,
    m: NewMessage,
    seen_last_public_id: Option<i32>,
    force: bool,
) -> ServiceResult<MessageView> {
    match m.kind {
        MessageKind::Reply => actor.require(Action::ReplyToCustomers)?,
        MessageKind::Note => actor.require(Action::AddNotes)?,
        MessageKind::System => {
            return Err(ServiceError::invalid("kind", "Choose a reply or a note."))
        }
    }
    let mut uow = UnitOfWork::begin(state).await?;
    let c = conversations::find(&*uow, actor.scope, conversation_id).await?;
    if c.merged_into_id.is_some() {
        return Err(ServiceError::conflict(
            "conversation_id",
            "This conversation was merged into another; reply there.",
        ));
    }
    if m.kind == MessageKind::Reply && !force {
        if let Some(by) = replied_since(&*uow, actor, c.id, seen_last_public_id).await? {
            return Err(ServiceError::conflict(
                "collision",
                format!("{by} replied while you were writing. Read their reply, then send again to confirm."),
            ));
        }
    }
    let row = insert_agent(&mut uow, actor, &c, m).await?;
    let v = thread_of(&*uow, actor.scope, vec![row]).await?.remove(0);
    uow.commit().await?;
    Ok(v)
}

async fn replied_since(
    db: &impl ConnectionTrait,
    actor: &Actor,
    conversation_id: i32,
    seen: Option<i32>,
) -> ServiceResult<Option<String>> {
    let mut q = actor
        .scope
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(conversation_id))
        .filter(message::Column::Kind.eq(MessageKind::Reply.as_str()))
        .filter(message::Column::SideConversationId.is_null())
        .filter(message::Column::Direction.eq("outbound"))
        .filter(message::Column::AuthorUserId.ne(actor.user_id));
    if let Some(s) = seen {
        q = q.filter(message::Column::Id.gt(s));
    } else {
        // The agent saw no reply at all: any agent reply counts.
    }
    let Some(newer) = q.order_by_desc(message::Column::Id).one(db).await? else {
        return Ok(None);
    };
    let name = match newer.author_user_id {
        Some(u) => global::<user::Entity>()
            .filter(user::Column::Id.eq(u))
            .one(db)
            .await?
            .map_or_else(|| "A teammate".to_owned(), |u| u.name),
        None => "A teammate".to_owned(),
    };
    Ok(Some(name))
}

/// A customer's message arriving on a channel or through the API, idempotent on
/// `external_id` (a fresh one is made when none is given): a thin adapter onto the
/// one inbound path, [`crate::services::channels::inbound::receive`]. Appends to
/// `conversation_number` when given (and still open to this customer), else opens a
/// new conversation with `subject`.
///
/// Returns the message and whether it was new (false: a retry of one already stored).
///
/// # Errors
/// Validation; database errors.
pub async fn receive_inbound(
    state: &AppState,
    scope: Scoped,
    channel: Channel,
    from: (IdentifierKind, &str, Option<&str>),
    conversation_number: Option<i32>,
    subject: &str,
    m: NewMessage,
) -> ServiceResult<(MessageView, bool)> {
    use crate::services::channels::inbound::{self, InboundMessage, Sender, ThreadHint};
    let external_id = m
        .external_id
        .clone()
        .unwrap_or_else(|| format!("api:{}", uuid::Uuid::new_v4().simple()));
    let mut msg = InboundMessage::new(
        channel,
        external_id,
        Sender {
            kind: from.0,
            value: from.1.to_owned(),
            name: from.2.map(str::to_owned),
        },
        m.body_text.clone(),
    );
    msg.subject = subject.to_owned();
    msg.html = m.body_html.clone();
    msg.rfc_message_id = m.rfc_message_id.clone();
    msg.automatic = m.automatic;
    msg.thread = ThreadHint {
        ticket_number: conversation_number,
        ..ThreadHint::default()
    };
    if msg.text.trim().is_empty() {
        if let Some(h) = &msg.html {
            msg.text = html_to_text(&sanitize_html(h));
        }
    }
    let r = inbound::receive(state, scope, msg).await?;
    let row = scope
        .find::<message::Entity>()
        .filter(message::Column::Id.eq(r.message_id))
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("Message"))?;
    let v = thread_of(&state.db, scope, vec![row]).await?.remove(0);
    Ok((v, r.new))
}

/// The messages of a conversation, oldest first (three queries).
///
/// # Errors
/// Database errors.
pub async fn thread(
    db: &impl ConnectionTrait,
    scope: Scoped,
    conversation_id: i32,
) -> ServiceResult<Vec<MessageView>> {
    let rows = scope
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(conversation_id))
        .order_by_asc(message::Column::CreatedAt)
        .order_by_asc(message::Column::Id)
        .all(db)
        .await?;
    thread_of(db, scope, rows).await
}

/// Views for message rows (authors and attachments loaded in bulk).
///
/// # Errors
/// Database errors.
pub async fn thread_of(
    db: &impl ConnectionTrait,
    scope: Scoped,
    rows: Vec<message::Model>,
) -> ServiceResult<Vec<MessageView>> {
    let mut user_ids: Vec<i32> = rows.iter().filter_map(|m| m.author_user_id).collect();
    user_ids.sort_unstable();
    user_ids.dedup();
    let mut cust_ids: Vec<i32> = rows.iter().filter_map(|m| m.author_customer_id).collect();
    cust_ids.sort_unstable();
    cust_ids.dedup();
    let users: HashMap<i32, String> = if user_ids.is_empty() {
        HashMap::new()
    } else {
        global::<user::Entity>()
            .filter(user::Column::Id.is_in(user_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect()
    };
    let custs: HashMap<i32, String> = if cust_ids.is_empty() {
        HashMap::new()
    } else {
        scope
            .find::<customer::Entity>()
            .filter(customer::Column::Id.is_in(cust_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect()
    };
    let ids: Vec<i32> = rows.iter().map(|m| m.id).collect();
    let mut files = attachments::of_messages(db, scope, &ids).await?;
    // SMS and WhatsApp replies: parts, segments and price under each.
    let outbound: Vec<i32> = rows
        .iter()
        .filter(|m| m.direction == "outbound")
        .map(|m| m.id)
        .collect();
    let mut parts: HashMap<i32, Vec<entity::outbound_part::Model>> = HashMap::new();
    if !outbound.is_empty() {
        for p in scope
            .find::<entity::outbound_part::Entity>()
            .filter(entity::outbound_part::Column::MessageId.is_in(outbound))
            .order_by_asc(entity::outbound_part::Column::Seq)
            .all(db)
            .await?
        {
            parts.entry(p.message_id).or_default().push(p);
        }
    }
    Ok(rows
        .into_iter()
        .map(|m| {
            let (author_name, author_kind) = match (m.author_user_id, m.author_customer_id) {
                (Some(u), _) => (
                    users
                        .get(&u)
                        .cloned()
                        .unwrap_or_else(|| "Former member".into()),
                    "agent",
                ),
                (None, Some(c)) => (
                    custs.get(&c).cloned().unwrap_or_else(|| "Customer".into()),
                    "customer",
                ),
                _ if m.author_label.is_some() => {
                    (m.author_label.clone().unwrap_or_default(), "rule")
                }
                _ if m.direction == "outbound" => ("AI agent".to_owned(), "ai"),
                _ => ("Switchboard".to_owned(), "system"),
            };
            MessageView {
                id: m.id,
                conversation_id: m.conversation_id,
                kind: MessageKind::parse(&m.kind).unwrap_or(MessageKind::System),
                direction: m.direction,
                author_name,
                author_kind: author_kind.to_owned(),
                author_user_id: m.author_user_id,
                body_html: m.body_html,
                body_text: m.body_text,
                delivery_status: m.delivery_status,
                delivery_error: m.delivery_error,
                delivery_detail: parts
                    .get(&m.id)
                    .and_then(|p| super::super::channels::twilio::outbound::describe(p)),
                side_conversation_id: m.side_conversation_id,
                attachments: files.remove(&m.id).unwrap_or_default(),
                created_at: m.created_at.to_rfc3339(),
                choices: m
                    .choices
                    .as_deref()
                    .and_then(|c| serde_json::from_str(c).ok()),
            }
        })
        .collect())
}

/// What a customer sees of a conversation: public replies only (never notes, system
/// entries or side conversations). Used by the customer-facing surfaces.
///
/// # Errors
/// `NotFound`.
pub async fn customer_visible_thread(
    db: &impl ConnectionTrait,
    scope: Scoped,
    conversation_id: i32,
) -> ServiceResult<Vec<MessageView>> {
    Ok(thread(db, scope, conversation_id)
        .await?
        .into_iter()
        .filter(|m| m.kind == MessageKind::Reply && m.side_conversation_id.is_none())
        .collect())
}

/// A public message as the customer sees it: without agent ids or delivery
/// internals.
pub fn for_customer(m: MessageView) -> MessageView {
    MessageView {
        author_user_id: None,
        delivery_error: None,
        delivery_detail: None,
        delivery_status: String::new(),
        ..m
    }
}

/// The customer-facing page of a conversation, by its token: public replies only,
/// without agent ids or delivery internals.
///
/// # Errors
/// `NotFound` for an unknown token.
pub async fn customer_view(
    db: &impl ConnectionTrait,
    token: &str,
) -> ServiceResult<crate::types::CustomerThreadView> {
    let token = token.trim();
    if token.len() < 16 || token.len() > 64 {
        return Err(ServiceError::NotFound("Conversation"));
    }
    let c = super::super::tenancy::conversation_by_public_token(token)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Conversation"))?;
    let scope = Scoped::new(c.workspace_id);
    let ws = global::<entity::workspace::Entity>()
        .filter(entity::workspace::Column::Id.eq(c.workspace_id))
        .one(db)
        .await?
        .map(|w| w.name)
        .unwrap_or_default();
    let messages = customer_visible_thread(db, scope, c.id)
        .await?
        .into_iter()
        .map(for_customer)
        .collect();
    let csat = crate::services::csat::find(db, scope, c.id).await?;
    let can_rate = crate::services::csat::can_rate(&c);
    Ok(crate::types::CustomerThreadView {
        can_rate,
        csat,
        reference: ticket_ref(c.number),
        status: Status::parse(&c.status).unwrap_or(Status::Open),
        subject: c.subject,
        workspace_name: ws,
        messages,
    })
}

/// Updates the delivery status of the message an outbox email carried
/// (`external_id = email:<id>`), called by the mail job.
///
/// # Errors
/// Database errors.
pub async fn record_email_delivery(
    db: &impl ConnectionTrait,
    email_id: i32,
    outcome: Result<(), &str>,
) -> ServiceResult<()> {
    let sys = super::super::tenancy::System::new("mail job updates the message it delivered");
    let (status, error) = match outcome {
        Ok(()) => ("sent", None),
        Err(e) => ("failed", Some(e.to_owned())),
    };
    sys.update_many::<message::Entity>()
        .col_expr(
            message::Column::DeliveryStatus,
            sea_orm::sea_query::Expr::value(status),
        )
        .col_expr(
            message::Column::DeliveryError,
            sea_orm::sea_query::Expr::value(error),
        )
        .filter(message::Column::ExternalId.eq(format!("email:{email_id}")))
        .exec(db)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------
// REST API support (added with the public API, server/src/api/messages.rs).
// ---------------------------------------------------------------------------

/// A page of a conversation's messages, oldest first, after message `after_id`
/// (keyset on the id), at most `limit`. Returns the views and whether more follow.
///
/// # Errors
/// `Forbidden` without `ViewInbox`; `NotFound` (also for another workspace's
/// conversation); database errors.
pub async fn page(
    db: &impl ConnectionTrait,
    actor: &Actor,
    conversation_number: i32,
    after_id: Option<i32>,
    limit: u64,
) -> ServiceResult<(Vec<MessageView>, bool)> {
    use sea_orm::QuerySelect;
    actor.require(Action::ViewInbox)?;
    let c = conversations::find_by_number(db, actor.scope, conversation_number).await?;
    let mut q = actor
        .scope
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(c.id))
        .order_by_asc(message::Column::Id)
        .limit(limit.saturating_add(1));
    if let Some(a) = after_id {
        q = q.filter(message::Column::Id.gt(a));
    }
    let mut rows = q.all(db).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok((thread_of(db, actor.scope, rows).await?, more))
}

/// A customer's message posted through the API to an existing conversation, as
/// its channel would deliver it ([`receive_inbound`], idempotent on `external_id`):
/// the customer is the conversation's, identified by their first identifier. A
/// closed conversation is not reopened: the message opens a new one, as it would
/// by email.
///
/// # Errors
/// `Forbidden` without `ManageConversations`; `NotFound`; `Invalid` when the
/// customer has no identifier to speak with; validation; database errors.
pub async fn receive_for_conversation(
    state: &AppState,
    actor: &Actor,
    conversation_number: i32,
    m: NewMessage,
) -> ServiceResult<(MessageView, bool)> {
    actor.require(Action::ManageConversations)?;
    let c = conversations::find_by_number(&state.db, actor.scope, conversation_number).await?;
    let who = customers::get(&state.db, actor.scope, c.customer_id).await?;
    let ident = who.identifiers.first().ok_or_else(|| {
        ServiceError::invalid(
            "from_customer",
            "This conversation's customer has no identifier (email, phone …) to write as.",
        )
    })?;
    let channel = Channel::parse(&c.channel).unwrap_or(Channel::Api);
    receive_inbound(
        state,
        actor.scope,
        channel,
        (ident.kind, &ident.value, Some(&who.name)),
        Some(c.number),
        &c.subject,
        m,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_handlers_are_removed() {
        let s = sanitize_html("<p onclick=\"x()\">Hi<script>alert(1)</script> <a href=\"javascript:x\">l</a><img src=x onerror=y></p>");
        assert!(!s.contains("script"), "{s}");
        assert!(!s.contains("onclick"), "{s}");
        assert!(!s.contains("onerror"), "{s}");
        assert!(!s.contains("javascript:"), "{s}");
        assert!(s.contains("<p>Hi"), "{s}");
    }

    #[test]
    fn text_is_escaped_into_paragraphs() {
        assert_eq!(
            text_to_html("a <b>\nc\n\nd"),
            "<p>a &lt;b&gt;<br>c</p><p>d</p>"
        );
        assert_eq!(
            html_to_text("<p>a &amp; b</p><p>c<br>d</p>"),
            "a & b\n\nc\nd"
        );
    }

    #[test]
    fn mentions_are_found() {
        assert_eq!(
            mention_handles("cc @maria and @Sam.Lee, not a@b.com"),
            vec!["maria", "sam.lee"]
        );
        assert!(mention_handles("no mentions").is_empty());
    }
}
