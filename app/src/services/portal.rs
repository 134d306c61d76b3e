//! The customer portal (SPEC C4.2): at `/help/{brand}/portal` a customer
//! signs in by magic link and sees every conversation they have had with the
//! workspace — email, chat, SMS, WhatsApp, calls — replies to them, starts a
//! new one, and reads the help center around it.
//!
//! - **Who gets a link**: only an address the workspace has *verified* as
//!   the customer's (one they wrote from). An address a chat visitor merely
//!   typed does not open anyone's history. The answer is the same either
//!   way (see [`customer_links`]).
//! - **Cross-channel**: the portal shows the customer's conversations, and
//!   a customer is one person across channels by the rules that already
//!   exist (identifiers, the same number on SMS and WhatsApp, merges — a
//!   session opened before a merge follows it to the surviving customer).
//! - **What is shown**: public replies only, never internal notes, system
//!   entries or side conversations, as on the per-conversation page.
//! - **Replies** go through the one inbound path every channel uses
//!   ([`inbound::receive`]), so rules, routing, SLAs and the AI agent treat
//!   them like any customer message. A form's hidden key makes a double
//!   submit add one message.

use super::channels::inbound::{self, InboundMessage, Sender, ThreadHint};
use super::context::RequestMeta;
use super::customer_links::{self, PORTAL};
use super::inbox::{conversations, customers, messages};
use super::kb::helpcenter::{self, Center};
use super::mail::templates;
use super::rate_limit;
use super::security::new_token;
use super::tenancy::Scoped;
use super::{AppState, ServiceError, ServiceResult};
use crate::types::{
    ticket_ref, validate_email, Channel, HelpShell, IdentifierKind, MessageKind,
    PortalConversationRow, PortalCustomer, PortalHomeView, PortalThreadView, Status,
};
use entity::{conversation, customer, customer_identifier, message};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;

/// Longest reply or request accepted from the portal.
pub const MAX_TEXT: usize = 20_000;
/// Longest subject of a new request.
const MAX_SUBJECT: usize = 200;

async fn center(state: &AppState, brand: &str) -> ServiceResult<Center> {
    helpcenter::center(&state.db, brand).await
}

fn shell_of(state: &AppState, c: &Center) -> HelpShell {
    let locale = c.brand.default_locale.clone();
    helpcenter::shell(state, c, &locale)
}

/// The help center's shell, for the sign-in pages.
///
/// # Errors
/// `NotFound` (the help center); database errors.
pub async fn shell(state: &AppState, brand: &str) -> ServiceResult<HelpShell> {
    let c = center(state, brand).await?;
    Ok(shell_of(state, &c))
}

/// The customer holding `email` as a verified address, after merges.
async fn verified_holder(
    db: &impl ConnectionTrait,
    scope: Scoped,
    email: &str,
) -> ServiceResult<Option<customer::Model>> {
    let Some(ident) = scope
        .find::<customer_identifier::Entity>()
        .filter(customer_identifier::Column::Kind.eq(IdentifierKind::Email.as_str()))
        .filter(customer_identifier::Column::Value.eq(email))
        .filter(customer_identifier::Column::Verified.eq(true))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let c = customers::find(db, scope, ident.customer_id).await?;
    Ok(Some(customers::surviving(db, scope, c).await?))
}

/// Emails a sign-in link to `email` when it is a customer's verified
/// address; returns the address as understood (the page says the same
/// either way).
///
/// # Errors
/// `NotFound` (the help center); `Invalid` (`email`); `RateLimited`;
/// database errors.
pub async fn request_link(
    state: &AppState,
    brand: &str,
    email: &str,
    meta: &RequestMeta,
) -> ServiceResult<String> {
    let c = center(state, brand).await?;
    let email = validate_email(email).map_err(|m| ServiceError::invalid("email", m))?;
    customer_links::limit(state, PORTAL, c.scope, &email, meta).await?;
    if let Some(holder) = verified_holder(&state.db, c.scope, &email).await? {
        let base = state.config.base_url().trim_end_matches('/').to_owned();
        let team = if c.brand.name.trim().is_empty() {
            c.workspace.clone()
        } else {
            c.brand.name.clone()
        };
        let slug = c.brand.slug.clone();
        let w = c.scope.workspace_id();
        customer_links::send_link(state, PORTAL, c.scope, holder.id, |token| {
            let link = format!("{base}/help/{slug}/portal/verify?token={token}");
            templates::portal_sign_in(w, &email, &team, &link)
        })
        .await?;
    }
    Ok(email)
}

/// Spends a sign-in link; returns the session token.
///
/// # Errors
/// `NotFound` (the help center); `Invalid` (`token`) for a link unknown,
/// used or expired; database errors.
pub async fn use_link(state: &AppState, brand: &str, token: &str) -> ServiceResult<String> {
    let c = center(state, brand).await?;
    customer_links::spend(state, PORTAL, c.scope, token).await
}

/// Ends a session.
///
/// # Errors
/// `NotFound` (the help center); database errors.
pub async fn sign_out(state: &AppState, brand: &str, session: &str) -> ServiceResult<()> {
    let c = center(state, brand).await?;
    customer_links::end(state, PORTAL, c.scope, session).await
}

/// The signed-in customer (after merges) and the address they use here.
struct Visitor {
    customer: customer::Model,
    email: String,
}

impl Visitor {
    fn view(&self) -> PortalCustomer {
        PortalCustomer {
            name: self.customer.name.clone(),
            email: self.email.clone(),
        }
    }
}

async fn visitor(
    db: &impl ConnectionTrait,
    scope: Scoped,
    session: &str,
) -> ServiceResult<Option<Visitor>> {
    let Some(c) = customer_links::customer(db, PORTAL, scope, session).await? else {
        return Ok(None);
    };
    let c = customers::surviving(db, scope, c).await?;
    let email = scope
        .find::<customer_identifier::Entity>()
        .filter(customer_identifier::Column::CustomerId.eq(c.id))
        .filter(customer_identifier::Column::Kind.eq(IdentifierKind::Email.as_str()))
        .filter(customer_identifier::Column::Verified.eq(true))
        .order_by_asc(customer_identifier::Column::Id)
        .one(db)
        .await?
        .map(|i| i.value);
    // A session outlives nothing it was not opened with: no verified
    // address left (an agent removed it) ends it.
    Ok(email.map(|email| Visitor { customer: c, email }))
}

/// Public messages per conversation.
async fn public_counts(
    db: &impl ConnectionTrait,
    scope: Scoped,
    ids: &[i32],
) -> ServiceResult<HashMap<i32, u64>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i32, i64)> = scope
        .find::<message::Entity>()
        .select_only()
        .column(message::Column::ConversationId)
        .column_as(message::Column::Id.count(), "n")
        .filter(message::Column::ConversationId.is_in(ids.to_vec()))
        .filter(message::Column::Kind.eq(MessageKind::Reply.as_str()))
        .filter(message::Column::SideConversationId.is_null())
        .group_by(message::Column::ConversationId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, n)| (id, u64::try_from(n).unwrap_or(0)))
        .collect())
}

fn row_of(c: &conversation::Model, messages: u64) -> PortalConversationRow {
    PortalConversationRow {
        number: c.number,
        reference: ticket_ref(c.number),
        subject: c.subject.clone(),
        channel: Channel::parse(&c.channel).unwrap_or(Channel::Api),
        status: Status::parse(&c.status).unwrap_or(Status::Open),
        updated_at: c.last_message_at.to_rfc3339(),
        messages,
    }
}

/// The portal's home for a live session, or None (sign in first).
///
/// # Errors
/// `NotFound` (the help center); database errors.
pub async fn home(
    state: &AppState,
    brand: &str,
    session: &str,
) -> ServiceResult<Option<PortalHomeView>> {
    let db = &state.db;
    let c = center(state, brand).await?;
    let Some(v) = visitor(db, c.scope, session).await? else {
        return Ok(None);
    };
    let list = c
        .scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::CustomerId.eq(v.customer.id))
        .filter(conversation::Column::MergedIntoId.is_null())
        .order_by_desc(conversation::Column::LastMessageAt)
        .order_by_desc(conversation::Column::Id)
        .limit(200)
        .all(db)
        .await?;
    let ids: Vec<i32> = list.iter().map(|c| c.id).collect();
    let counts = public_counts(db, c.scope, &ids).await?;
    Ok(Some(PortalHomeView {
        shell: shell_of(state, &c),
        customer: v.view(),
        conversations: list
            .iter()
            .map(|x| row_of(x, counts.get(&x.id).copied().unwrap_or(0)))
            .collect(),
    }))
}

/// The visitor's own conversation `number` (merged ones lead to where they
/// went); anyone else's reads as not found.
async fn own_conversation(
    db: &impl ConnectionTrait,
    scope: Scoped,
    v: &Visitor,
    number: i32,
) -> ServiceResult<conversation::Model> {
    let c = conversations::find_by_number(db, scope, number)
        .await
        .map_err(|_| ServiceError::NotFound("Conversation"))?;
    let c = inbound::surviving(db, scope, c).await?;
    if c.customer_id == v.customer.id {
        Ok(c)
    } else {
        Err(ServiceError::NotFound("Conversation"))
    }
}

/// One of the signed-in customer's conversations, or None without a live
/// session.
///
/// # Errors
/// `NotFound` (the help center, or a conversation that is not theirs);
/// database errors.
pub async fn thread(
    state: &AppState,
    brand: &str,
    session: &str,
    number: i32,
) -> ServiceResult<Option<PortalThreadView>> {
    let db = &state.db;
    let c = center(state, brand).await?;
    let Some(v) = visitor(db, c.scope, session).await? else {
        return Ok(None);
    };
    let conv = own_conversation(db, c.scope, &v, number).await?;
    let thread = messages::customer_visible_thread(db, c.scope, conv.id)
        .await?
        .into_iter()
        .map(messages::for_customer)
        .collect::<Vec<_>>();
    Ok(Some(PortalThreadView {
        shell: shell_of(state, &c),
        customer: v.view(),
        row: row_of(&conv, thread.len() as u64),
        messages: thread,
        reply_key: new_token().0,
    }))
}

fn checked_text(text: &str) -> ServiceResult<String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(ServiceError::invalid("body", "Write a message first."));
    }
    if t.chars().count() > MAX_TEXT {
        return Err(ServiceError::invalid(
            "body",
            format!("A message can be at most {MAX_TEXT} characters; this one is longer."),
        ));
    }
    Ok(t.to_owned())
}

fn checked_key(key: &str) -> ServiceResult<&str> {
    let ok = (16..=64).contains(&key.len())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(key)
    } else {
        Err(ServiceError::invalid(
            "key",
            "This form is out of date. Reload the page and send your message again.",
        ))
    }
}

/// The outcome of a portal post: the session was not live (sign in again),
/// or the conversation the message landed in.
pub enum Posted {
    /// No live session.
    SignedOut,
    /// The message is in conversation `number` (a closed conversation's
    /// reply opens a new one).
    In(i32),
}

/// Adds the signed-in customer's reply to their conversation `number`.
///
/// # Errors
/// `NotFound` (the help center, or a conversation that is not theirs);
/// `Invalid` (`body`, `key`); database errors.
pub async fn reply(
    state: &AppState,
    brand: &str,
    session: &str,
    number: i32,
    text: &str,
    key: &str,
) -> ServiceResult<Posted> {
    let c = center(state, brand).await?;
    let Some(v) = visitor(&state.db, c.scope, session).await? else {
        return Ok(Posted::SignedOut);
    };
    let conv = own_conversation(&state.db, c.scope, &v, number).await?;
    let text = checked_text(text)?;
    let key = checked_key(key)?;
    limit_posts(state, c.scope, &v).await?;
    // A closed conversation's reply opens a new one: a web-form request,
    // answered by email, whatever channel the old one was on.
    let channel = if Status::parse(&conv.status) == Some(Status::Closed) {
        Channel::WebForm
    } else {
        Channel::parse(&conv.channel).unwrap_or(Channel::WebForm)
    };
    let mut m = InboundMessage::new(
        channel,
        format!("portal:{}:{key}", v.customer.id),
        sender(&v),
        text,
    );
    m.subject = conv.subject.clone();
    m.thread = ThreadHint {
        conversation_id: Some(conv.id),
        ..ThreadHint::default()
    };
    let r = inbound::receive(state, c.scope, m).await?;
    Ok(Posted::In(r.conversation_number))
}

/// Starts a new conversation for the signed-in customer.
///
/// # Errors
/// `NotFound` (the help center); `Invalid` (`subject`, `body`, `key`);
/// database errors.
pub async fn new_request(
    state: &AppState,
    brand: &str,
    session: &str,
    subject: &str,
    text: &str,
    key: &str,
) -> ServiceResult<Posted> {
    let c = center(state, brand).await?;
    let Some(v) = visitor(&state.db, c.scope, session).await? else {
        return Ok(Posted::SignedOut);
    };
    let subject = subject.trim();
    if subject.is_empty() || subject.chars().count() > MAX_SUBJECT {
        return Err(ServiceError::invalid(
            "subject",
            format!("Give your request a subject of 1 to {MAX_SUBJECT} characters."),
        ));
    }
    let text = checked_text(text)?;
    let key = checked_key(key)?;
    limit_posts(state, c.scope, &v).await?;
    let mut m = InboundMessage::new(
        Channel::WebForm,
        format!("portal:{}:{key}", v.customer.id),
        sender(&v),
        text,
    );
    m.subject = subject.to_owned();
    let r = inbound::receive(state, c.scope, m).await?;
    Ok(Posted::In(r.conversation_number))
}

/// Messages one customer may send from the portal in an hour.
const POSTS_PER_HOUR: u64 = 30;

/// Counts one post, refusing past [`POSTS_PER_HOUR`].
async fn limit_posts(state: &AppState, scope: Scoped, v: &Visitor) -> ServiceResult<()> {
    let key = format!("portal-post:{}:{}", scope.workspace_id(), v.customer.id);
    rate_limit::enforce(
        &state.db,
        &key,
        POSTS_PER_HOUR,
        3600,
        "You have sent many messages in the last hour. Try again",
    )
    .await?;
    rate_limit::hit(&state.db, &key).await?;
    Ok(())
}

fn sender(v: &Visitor) -> Sender {
    Sender {
        kind: IdentifierKind::Email,
        value: v.email.clone(),
        name: Some(v.customer.name.clone()),
    }
}

/// A fresh key for the new-request form.
pub fn form_key() -> String {
    new_token().0
}
