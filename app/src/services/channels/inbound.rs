//! The one inbound path. Every channel turns what arrived into an
//! [`InboundMessage`]; [`receive`] then, in one transaction: resolves the customer by
//! identifier, finds the conversation (explicit id, RFC 5322 references, ticket
//! number for the same customer) or opens one, stores the message with its files,
//! and emits `message.created` (and `conversation.created`), published after commit.
//!
//! Idempotent on `external_id` (the provider's message id, prefixed by channel): a
//! retried webhook, a re-polled mailbox or a widget resend returns the stored
//! message and writes nothing. Two simultaneous deliveries of the same message race
//! to the unique index; the loser answers with the winner's message.

use super::super::inbox::{attachments, conversations, customers, excerpt, messages};
use super::super::stages::StageEvent;
use super::super::tenancy::Scoped;
use super::super::uow::UnitOfWork;
use super::super::{metrics, AppState, ServiceError, ServiceResult};
use super::{email_out, settings};
use crate::types::{Channel, IdentifierKind, MessageKind, Priority, Status};
use entity::{conversation, message};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set, SqlErr,
};

/// A file that came with a message.
#[derive(Clone, Debug)]
pub struct InboundFile {
    /// Name as sent.
    pub filename: String,
    /// MIME type as sent.
    pub content_type: String,
    /// Content-ID of an inline image (`cid:` references in the HTML).
    pub content_id: Option<String>,
    /// The bytes.
    pub data: Vec<u8>,
}

/// Who sent it.
#[derive(Clone, Debug)]
pub struct Sender {
    /// Identifier kind (email address, chat visitor, phone …).
    pub kind: IdentifierKind,
    /// Identifier value.
    pub value: String,
    /// Display name, when the channel knows one.
    pub name: Option<String>,
}

/// Where the message belongs, as far as the channel can tell.
#[derive(Clone, Debug, Default)]
pub struct ThreadHint {
    /// A conversation the channel already knows (the widget's open conversation).
    pub conversation_id: Option<i32>,
    /// RFC 5322 ids this message replies to (In-Reply-To first, then References).
    pub references: Vec<String>,
    /// A ticket number found in the subject (`[TKT-000123]`).
    pub ticket_number: Option<i32>,
    /// A conversational channel (SMS, WhatsApp): with no other hint, the
    /// message continues the sender's newest open conversation on its channel.
    pub latest_on_channel: Option<Channel>,
}

/// A customer's message, normalised.
#[derive(Clone, Debug)]
pub struct InboundMessage {
    /// The channel it came through.
    pub channel: Channel,
    /// Provider message id, prefixed by channel (`email:<Message-ID>`,
    /// `chat:<visitor>:<client id>` …): the idempotency key.
    pub external_id: String,
    /// Sender.
    pub from: Sender,
    /// Subject (new conversations); empty: taken from the text.
    pub subject: String,
    /// Plain text.
    pub text: String,
    /// HTML (sanitized on the way in).
    pub html: Option<String>,
    /// Attachments and inline images.
    pub files: Vec<InboundFile>,
    /// Threading hints.
    pub thread: ThreadHint,
    /// RFC 5322 Message-ID of this message (email).
    pub rfc_message_id: Option<String>,
    /// An auto-reply: stored, never reopens, never answered.
    pub automatic: bool,
    /// Priority for a new conversation.
    pub priority: Priority,
    /// Tags for a new conversation.
    pub tags: Vec<String>,
}

impl InboundMessage {
    /// A message with the given essentials and no threading hints.
    pub fn new(channel: Channel, external_id: String, from: Sender, text: String) -> Self {
        Self {
            channel,
            external_id,
            from,
            subject: String::new(),
            text,
            html: None,
            files: Vec::new(),
            thread: ThreadHint::default(),
            rfc_message_id: None,
            automatic: false,
            priority: Priority::Normal,
            tags: Vec::new(),
        }
    }
}

/// What happened to an inbound message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// The stored message.
    pub message_id: i32,
    /// Its conversation.
    pub conversation_id: i32,
    /// The conversation's number.
    pub conversation_number: i32,
    /// The customer.
    pub customer_id: i32,
    /// False when this was a retry of a message already stored.
    pub new: bool,
    /// True when the message opened a new conversation.
    pub opened: bool,
}

/// Longest external id accepted (provider ids are much shorter).
const MAX_EXTERNAL_ID: usize = 400;

async fn existing(
    db: &impl ConnectionTrait,
    scope: Scoped,
    external_id: &str,
) -> ServiceResult<Option<Receipt>> {
    let Some(m) = scope
        .find::<message::Entity>()
        .filter(message::Column::ExternalId.eq(external_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let c = conversations::find(db, scope, m.conversation_id).await?;
    Ok(Some(Receipt {
        message_id: m.id,
        conversation_id: c.id,
        conversation_number: c.number,
        customer_id: m.author_customer_id.unwrap_or(c.customer_id),
        new: false,
        opened: false,
    }))
}

/// Follows merges to the surviving conversation.
pub(crate) async fn surviving(
    db: &impl ConnectionTrait,
    scope: Scoped,
    mut c: conversation::Model,
) -> ServiceResult<conversation::Model> {
    for _ in 0..5 {
        match c.merged_into_id {
            Some(next) => c = conversations::find(db, scope, next).await?,
            None => break,
        }
    }
    Ok(c)
}

/// The conversation a message continues, if any.
async fn find_thread(
    db: &impl ConnectionTrait,
    scope: Scoped,
    hint: &ThreadHint,
    customer_id: i32,
) -> ServiceResult<Option<conversation::Model>> {
    let open = |c: &conversation::Model| c.status != Status::Closed.as_str();
    if let Some(id) = hint.conversation_id {
        if let Ok(c) = conversations::find(db, scope, id).await {
            let c = surviving(db, scope, c).await?;
            if c.customer_id == customer_id && open(&c) {
                return Ok(Some(c));
            }
        }
    }
    if !hint.references.is_empty() {
        let refs: Vec<String> = hint.references.iter().take(50).cloned().collect();
        // Our own Message-IDs are unguessable, so a reply naming one belongs to that
        // thread whoever sends it (a colleague answering in copy).
        if let Some(m) = scope
            .find::<message::Entity>()
            .filter(message::Column::RfcMessageId.is_in(refs))
            .filter(message::Column::SideConversationId.is_null())
            .order_by_desc(message::Column::Id)
            .limit(1)
            .one(db)
            .await?
        {
            let c = surviving(
                db,
                scope,
                conversations::find(db, scope, m.conversation_id).await?,
            )
            .await?;
            if open(&c) {
                return Ok(Some(c));
            }
        }
    }
    if let Some(ch) = hint.latest_on_channel {
        if let Some(c) = scope
            .find::<conversation::Entity>()
            .filter(conversation::Column::CustomerId.eq(customer_id))
            .filter(conversation::Column::Channel.eq(ch.as_str()))
            .filter(conversation::Column::Status.ne(Status::Closed.as_str()))
            .filter(conversation::Column::MergedIntoId.is_null())
            .order_by_desc(conversation::Column::Id)
            .limit(1)
            .one(db)
            .await?
        {
            return Ok(Some(c));
        }
    }
    if let Some(n) = hint.ticket_number {
        // A number is guessable: it only threads for the conversation's own customer.
        if let Ok(c) = conversations::find_by_number(db, scope, n).await {
            let c = surviving(db, scope, c).await?;
            if c.customer_id == customer_id && open(&c) {
                return Ok(Some(c));
            }
        }
    }
    Ok(None)
}

fn subject_for(m: &InboundMessage) -> String {
    let s: String = m.subject.trim().chars().take(250).collect();
    if s.is_empty() {
        let t = excerpt(&m.text, 60);
        if t.is_empty() {
            "(no subject)".to_owned()
        } else {
            t
        }
    } else {
        s
    }
}

/// Stores the files and rewrites `cid:` references in the HTML to their URLs.
async fn store_files(
    uow: &UnitOfWork,
    state: &AppState,
    scope: Scoped,
    conversation_id: i32,
    files: &[InboundFile],
    html: Option<String>,
) -> ServiceResult<(Vec<i32>, Option<String>)> {
    let mut ids = Vec::new();
    let mut html = html;
    for f in files {
        let a = match attachments::store_inbound(
            &**uow,
            state,
            scope,
            conversation_id,
            &f.filename,
            &f.content_type,
            &f.data,
        )
        .await
        {
            Ok(a) => a,
            // An empty or oversized file is skipped; the message itself is kept.
            Err(ServiceError::Invalid { message, .. }) => {
                tracing::info!(file = %f.filename, reason = %message, "inbound attachment skipped");
                continue;
            }
            Err(e) => return Err(e),
        };
        if let (Some(cid), Some(h)) = (&f.content_id, html.as_mut()) {
            let cid = cid.trim_matches(|c| c == '<' || c == '>');
            *h = h.replace(&format!("cid:{cid}"), &format!("/app/attachments/{}", a.id));
        }
        ids.push(a.id);
    }
    Ok((ids, html))
}

/// Receives a customer's message from any channel (see the module docs).
///
/// # Errors
/// `Invalid` for an empty message, an unusable sender or an oversized id; database
/// and disk errors (nothing is written then).
pub async fn receive(state: &AppState, scope: Scoped, m: InboundMessage) -> ServiceResult<Receipt> {
    if m.external_id.trim().is_empty() || m.external_id.len() > MAX_EXTERNAL_ID {
        return Err(ServiceError::invalid(
            "external_id",
            "Each message needs a provider id of at most 400 characters.",
        ));
    }
    if m.text.trim().is_empty() && m.files.is_empty() {
        return Err(ServiceError::invalid("body", "The message is empty."));
    }
    if let Some(r) = existing(&state.db, scope, &m.external_id).await? {
        return Ok(r);
    }
    match receive_new(state, scope, m.clone()).await {
        Ok(r) => {
            metrics::inc(&metrics::INBOUND_MESSAGES);
            Ok(r)
        }
        Err(ServiceError::Db(e))
            if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) =>
        {
            // The same message arrived twice at once and the other copy won.
            existing(&state.db, scope, &m.external_id)
                .await?
                .ok_or(ServiceError::Db(e))
        }
        Err(e) => Err(e),
    }
}

async fn receive_new(state: &AppState, scope: Scoped, m: InboundMessage) -> ServiceResult<Receipt> {
    let mut uow = UnitOfWork::begin(state).await?;
    let (cust, created) = customers::resolve(
        &*uow,
        scope,
        m.from.kind,
        &m.from.value,
        m.from.name.as_deref(),
    )
    .await?;
    if created {
        uow.emit(super::super::bus::Event::new(
            scope.workspace_id(),
            "customer.created",
            serde_json::json!({ "customer_id": cust.id, "channel": m.channel.as_str() }),
        ));
    }
    let text = if m.text.trim().is_empty() {
        let names: Vec<&str> = m.files.iter().map(|f| f.filename.as_str()).collect();
        format!("(sent {})", names.join(", "))
    } else {
        m.text.clone()
    };
    let thread = find_thread(&*uow, scope, &m.thread, cust.id).await?;
    let (row, c, opened) = match thread {
        Some(c) => {
            let (ids, html) =
                store_files(&uow, state, scope, c.id, &m.files, m.html.clone()).await?;
            let row = messages::insert_inbound(
                &mut uow,
                scope,
                &c,
                cust.id,
                messages::NewMessage {
                    kind: MessageKind::Reply,
                    body_text: text,
                    body_html: html,
                    attachment_ids: ids,
                    external_id: Some(m.external_id.clone()),
                    rfc_message_id: m.rfc_message_id.clone(),
                    automatic: m.automatic,
                    ..Default::default()
                },
            )
            .await?;
            (row, c, false)
        }
        None => {
            let c = conversations::create_in(
                &mut uow,
                scope,
                None,
                conversations::NewConversation {
                    customer: conversations::CustomerRef::Id(cust.id),
                    subject: subject_for(&m),
                    channel: m.channel,
                    priority: m.priority,
                    body: text,
                    from_customer: true,
                    tags: m.tags.clone(),
                    assignee_id: None,
                    team_id: None,
                },
            )
            .await?;
            // create_in wrote the first message as text; give it what came with it.
            let first = scope
                .find::<message::Entity>()
                .filter(message::Column::ConversationId.eq(c.id))
                .one(&*uow)
                .await?
                .ok_or(ServiceError::NotFound("Message"))?;
            let (ids, html) =
                store_files(&uow, state, scope, c.id, &m.files, m.html.clone()).await?;
            attachments::attach(&*uow, scope, c.id, first.id, &ids).await?;
            let mut fm = first.into_active_model();
            fm.external_id = Set(Some(m.external_id.clone()));
            fm.rfc_message_id = Set(m.rfc_message_id.clone());
            if let Some(h) = html.filter(|h| !h.trim().is_empty()) {
                fm.body_html = Set(messages::sanitize_html(&h));
            }
            (fm.update(&*uow).await?, c, true)
        }
    };
    if opened && !m.automatic && matches!(m.channel, Channel::Email | Channel::WebForm) {
        let s = settings::get_or_create(&*uow, scope, m.channel).await?;
        let wants = settings::config(&s)
            .get("send_confirmation")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(true);
        if wants {
            if let Some(to) = cust.email.clone() {
                email_out::send_confirmation(
                    &mut uow,
                    scope,
                    &c,
                    &cust.name,
                    &to,
                    m.rfc_message_id.as_deref(),
                )
                .await?;
            }
        }
    }
    // What happens next (rules, the AI agent …) runs as registered stages.
    uow.note(StageEvent::MessageReceived {
        workspace_id: scope.workspace_id(),
        conversation_id: c.id,
        message_id: row.id,
        channel: m.channel,
        automatic: m.automatic,
        opened,
        media: m
            .files
            .iter()
            .any(|f| super::transcription::is_media(&f.content_type)),
    });
    let receipt = Receipt {
        message_id: row.id,
        conversation_id: c.id,
        conversation_number: c.number,
        customer_id: cust.id,
        new: true,
        opened,
    };
    uow.commit().await?;
    Ok(receipt)
}

/// Whether a message from `from` with these hints would continue an existing
/// conversation, by the same rules [`receive`] applies (open, the sender's own for
/// ticket numbers, merges followed). Used to drop auto-replies that answer nothing,
/// so they never open tickets or loop.
///
/// # Errors
/// Database errors.
pub async fn thread_exists(
    db: &impl ConnectionTrait,
    scope: Scoped,
    from: &Sender,
    hint: &ThreadHint,
) -> ServiceResult<bool> {
    let Ok(value) = customers::normalize(from.kind, &from.value) else {
        return Ok(false);
    };
    let customer_id = scope
        .find::<entity::customer_identifier::Entity>()
        .filter(entity::customer_identifier::Column::Kind.eq(from.kind.as_str()))
        .filter(entity::customer_identifier::Column::Value.eq(value))
        .one(db)
        .await?
        .map_or(-1, |i| i.customer_id);
    Ok(find_thread(db, scope, hint, customer_id).await?.is_some())
}
