//! The chat widget's visitors. A visitor is known by a secret token the widget keeps
//! in the browser; the customer identifier stored for them is the token's hash
//! (`chat` kind), so the token itself is never shown to agents. Nothing is written
//! until the visitor sends a first message.
//!
//! Messages go through the one inbound path (idempotent on the widget's client id,
//! so the offline queue can resend safely); typing and read receipts travel over the
//! bus as `widget.typing` / `conversation.read`. Requests are rate limited per
//! visitor and per IP.

use super::super::csat;
use super::super::inbox::{attachments, conversations, customers, messages};
use super::super::security::{hash_token, new_token};
use super::super::tenancy::{global, Scoped};
use super::super::uow::UnitOfWork;
use super::super::{bus::Event, now, AppState, ServiceError, ServiceResult};
use super::inbound::{self, InboundFile, InboundMessage, Sender, ThreadHint};
use super::settings;
use crate::types::{
    ticket_ref, Channel, IdentifierKind, MessageKind, Status, WidgetConfig, WidgetFile,
    WidgetMessage, WidgetSession, WidgetThread,
};
use entity::{channel_setting, conversation, csat_response, customer_identifier, workspace};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use std::time::Duration;

/// Longest chat message, in characters.
pub const MAX_CHAT_MESSAGE: usize = 5_000;

/// An authenticated visitor.
#[derive(Clone, Debug)]
pub struct Visitor {
    /// Workspace.
    pub scope: Scoped,
    /// The chat settings row.
    pub settings: channel_setting::Model,
    /// The identifier value (hash of the token).
    pub visitor_id: String,
    /// The customer, once they have written.
    pub customer_id: Option<i32>,
    /// The token (for building download URLs).
    pub token: String,
}

fn visitor_id(token: &str) -> String {
    hash_token(token)[..40].to_owned()
}

fn per_ip(state: &AppState, ip: Option<&str>) -> ServiceResult<()> {
    match ip {
        Some(ip) => state.limiter.enforce(
            &format!("widget-ip:{ip}"),
            state.config.limits.widget_requests_per_ip_per_minute,
            Duration::from_secs(60),
            "Too many requests from your network. Try again",
        ),
        None => Ok(()),
    }
}

fn rate_limited(state: &AppState, key: &str, ip: Option<&str>) -> ServiceResult<()> {
    per_ip(state, ip)?;
    state.limiter.enforce(
        key,
        state.config.limits.widget_messages_per_minute,
        Duration::from_secs(60),
        "You are sending messages very fast. Try again",
    )
}

/// The chat settings for a public key, if the widget is enabled.
///
/// # Errors
/// `NotFound` for an unknown or disabled key.
pub async fn settings_for_key(
    db: &impl ConnectionTrait,
    key: &str,
) -> ServiceResult<channel_setting::Model> {
    settings::by_public_key(db, key)
        .await?
        .filter(|s| s.enabled)
        .ok_or(ServiceError::NotFound("Chat widget"))
}

/// The origins allowed to embed the widget (empty: any).
pub fn allowed_origins(s: &channel_setting::Model) -> Vec<String> {
    settings::config(s)
        .get("allowed_origins")
        .and_then(serde_json::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(serde_json::Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `origin` may embed the widget of `s`.
pub fn origin_allowed(s: &channel_setting::Model, origin: Option<&str>) -> bool {
    let allowed = allowed_origins(s);
    if allowed.is_empty() {
        return true;
    }
    let Some(o) = origin.map(|o| o.trim_end_matches('/').to_lowercase()) else {
        return false;
    };
    allowed.iter().any(|a| {
        a == &o
            || a.split_once("://*.").is_some_and(|(scheme, suffix)| {
                o.strip_prefix(&format!("{scheme}://"))
                    .is_some_and(|host| host.ends_with(&format!(".{suffix}")))
            })
    })
}

/// Authenticates a visitor by key and token.
///
/// # Errors
/// `NotFound` for an unknown key; `Unauthenticated` for a malformed token.
pub async fn visitor(state: &AppState, key: &str, token: &str) -> ServiceResult<Visitor> {
    let s = settings_for_key(&state.db, key).await?;
    let token = token.trim();
    if token.len() < 32 || token.len() > 64 {
        return Err(ServiceError::Unauthenticated);
    }
    let scope = Scoped::new(s.workspace_id);
    let vid = visitor_id(token);
    let customer_id = scope
        .find::<customer_identifier::Entity>()
        .filter(customer_identifier::Column::Kind.eq(IdentifierKind::Chat.as_str()))
        .filter(customer_identifier::Column::Value.eq(&vid))
        .one(&state.db)
        .await?
        .map(|i| i.customer_id);
    Ok(Visitor {
        scope,
        settings: s,
        visitor_id: vid,
        customer_id,
        token: token.to_owned(),
    })
}

/// The widget's accent colour (`#rrggbb`), which targeted messages and tours
/// share.
pub fn accent(s: &channel_setting::Model) -> String {
    settings::config(s)
        .get("color")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("#4f46e5")
        .to_owned()
}

/// Which of the segments `wanted` hold the visitor (none for a visitor who is
/// not a customer yet).
///
/// # Errors
/// Database errors.
pub async fn in_segments(
    db: &impl ConnectionTrait,
    v: &Visitor,
    wanted: &std::collections::BTreeSet<i32>,
) -> ServiceResult<std::collections::BTreeMap<i32, bool>> {
    match v.customer_id {
        Some(c) if !wanted.is_empty() => {
            crate::services::segments::memberships(db, v.scope, wanted, c).await
        }
        _ => Ok(std::collections::BTreeMap::new()),
    }
}

fn widget_config(s: &channel_setting::Model, workspace_name: String) -> WidgetConfig {
    let cfg = settings::config(s);
    let str_of = |k: &str, d: &str| {
        cfg.get(k)
            .and_then(serde_json::Value::as_str)
            .unwrap_or(d)
            .to_owned()
    };
    WidgetConfig {
        workspace_name,
        color: accent(s),
        welcome: str_of("welcome", "Hi! How can we help?"),
        ask_email: cfg
            .get("ask_email")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(true),
    }
}

/// Starts or resumes a widget session: a new token when none (or an unusable one)
/// is given, the appearance, and the visitor's current conversation.
///
/// # Errors
/// `NotFound` for an unknown key; `RateLimited`.
pub async fn session(
    state: &AppState,
    key: &str,
    token: Option<&str>,
    ip: Option<&str>,
) -> ServiceResult<WidgetSession> {
    per_ip(state, ip)?;
    let token = token
        .map(str::trim)
        .filter(|t| (32..=64).contains(&t.len()))
        .map_or_else(|| new_token().0, str::to_owned);
    let v = visitor(state, key, &token).await?;
    let ws = global::<workspace::Entity>()
        .filter(workspace::Column::Id.eq(v.scope.workspace_id()))
        .one(&state.db)
        .await?
        .map(|w| w.name)
        .unwrap_or_default();
    let email = match v.customer_id {
        Some(c) => customers::find(&state.db, v.scope, c).await?.email,
        None => None,
    };
    Ok(WidgetSession {
        config: widget_config(&v.settings, ws),
        thread: thread(state, &v).await?,
        email,
        token,
    })
}

/// The visitor's current conversation: the latest one not closed.
async fn current(
    db: &impl ConnectionTrait,
    v: &Visitor,
) -> ServiceResult<Option<conversation::Model>> {
    let Some(cid) = v.customer_id else {
        return Ok(None);
    };
    Ok(v.scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::CustomerId.eq(cid))
        .filter(conversation::Column::Channel.eq(Channel::Chat.as_str()))
        .filter(conversation::Column::Status.ne(Status::Closed.as_str()))
        .filter(conversation::Column::MergedIntoId.is_null())
        .order_by_desc(conversation::Column::Id)
        .one(db)
        .await?)
}

/// The widget's client id of a message it sent (`chat:<visitor>:<client id>`).
fn client_id_of(external_id: Option<&str>) -> Option<String> {
    let rest = external_id?.strip_prefix("chat:")?;
    rest.split_once(':').map(|(_, id)| id.to_owned())
}

/// The visitor's view of one message.
pub fn message_view(v: &Visitor, m: crate::types::MessageView) -> WidgetMessage {
    let client_id = None;
    let (choices, dropdown) = m
        .choices
        .map_or((Vec::new(), false), |c| (c.choices, c.dropdown));
    WidgetMessage {
        choices,
        dropdown,
        id: m.id,
        conversation_id: m.conversation_id,
        from: if m.author_kind == "customer" {
            "customer".into()
        } else {
            "agent".into()
        },
        author: m.author_name,
        text: m.body_text,
        created_at: m.created_at,
        client_id,
        files: m
            .attachments
            .into_iter()
            .map(|a| WidgetFile {
                id: a.id,
                name: a.filename,
                url: format!(
                    "/widget/api/files/{}?key={}&token={}",
                    a.id,
                    v.settings.public_key.clone().unwrap_or_default(),
                    v.token
                ),
            })
            .collect(),
    }
}

/// The visitor's current thread.
///
/// # Errors
/// Database errors.
pub async fn thread(state: &AppState, v: &Visitor) -> ServiceResult<WidgetThread> {
    let Some(c) = current(&state.db, v).await? else {
        return Ok(WidgetThread::default());
    };
    let msgs = messages::customer_visible_thread(&state.db, v.scope, c.id).await?;
    let rated = v
        .scope
        .find::<csat_response::Entity>()
        .filter(csat_response::Column::ConversationId.eq(c.id))
        .one(&state.db)
        .await?
        .is_some();
    Ok(WidgetThread {
        conversation_id: Some(c.id),
        reference: Some(ticket_ref(c.number)),
        csat_open: c.status == Status::Solved.as_str() && !rated,
        status: Some(c.status),
        messages: msgs.into_iter().map(|m| message_view(v, m)).collect(),
        agent_read_id: c.agent_read_message_id,
    })
}

fn clean_client_id(client_id: &str) -> ServiceResult<String> {
    super::clean_client_id(client_id).ok_or_else(|| {
        ServiceError::invalid(
            "client_id",
            "Each message needs an id from the widget (8 or more letters and digits).",
        )
    })
}

/// Receives a visitor's message (or file); returns it as the widget shows it.
///
/// # Errors
/// `Invalid` (empty, too long); `RateLimited`; database errors.
pub async fn send(
    state: &AppState,
    v: &Visitor,
    client_id: &str,
    body: &str,
    file: Option<InboundFile>,
    ip: Option<&str>,
) -> ServiceResult<WidgetMessage> {
    let client_id = clean_client_id(client_id)?;
    let body = body.trim();
    if body.is_empty() && file.is_none() {
        return Err(ServiceError::invalid("body", "Write a message first."));
    }
    if body.chars().count() > MAX_CHAT_MESSAGE {
        return Err(ServiceError::invalid(
            "body",
            "A chat message can be at most 5,000 characters.",
        ));
    }
    rate_limited(state, &format!("widget-visitor:{}", v.visitor_id), ip)?;
    let existing_conv = current(&state.db, v).await?;
    let mut m = InboundMessage::new(
        Channel::Chat,
        format!("chat:{}:{client_id}", &v.visitor_id[..16]),
        Sender {
            kind: IdentifierKind::Chat,
            value: v.visitor_id.clone(),
            name: Some("Website visitor".into()),
        },
        body.to_owned(),
    );
    m.files = file.into_iter().collect();
    m.thread = ThreadHint {
        conversation_id: existing_conv.map(|c| c.id),
        ..ThreadHint::default()
    };
    let r = inbound::receive(state, v.scope, m).await?;
    let row = v
        .scope
        .find::<entity::message::Entity>()
        .filter(entity::message::Column::Id.eq(r.message_id))
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("Message"))?;
    let view = messages::thread_of(&state.db, v.scope, vec![row])
        .await?
        .remove(0);
    let mut w = message_view(v, view);
    w.client_id = Some(client_id);
    Ok(w)
}

/// Records the email (and name) a visitor typed. When another customer already has
/// that address, it is not taken over: a note asks an agent to merge if it is them.
///
/// # Errors
/// `Invalid` email; database errors.
pub async fn set_email(
    state: &AppState,
    v: &Visitor,
    email: &str,
    name: Option<&str>,
    timezone: Option<&str>,
) -> ServiceResult<()> {
    let email =
        crate::types::validate_email(email).map_err(|m| ServiceError::invalid("email", m))?;
    let Some(cid) = v.customer_id else {
        return Err(ServiceError::invalid(
            "email",
            "Send your first message, then leave your email.",
        ));
    };
    let mut uow = UnitOfWork::begin(state).await?;
    let other =
        customers::claim_identifier(&*uow, v.scope, cid, IdentifierKind::Email, &email).await?;
    let cust = customers::find(&*uow, v.scope, cid).await?;
    let name = name
        .map(str::trim)
        .filter(|n| n.chars().count() >= 2 && cust.name == "Website visitor");
    // The browser's zone, when it names one this server knows (campaign quiet
    // hours are the customer's).
    let zone = timezone
        .map(str::trim)
        .filter(|z| z.len() <= 64 && crate::services::campaigns::known_zone(z))
        .filter(|z| cust.timezone.as_deref() != Some(*z));
    if name.is_some() || zone.is_some() {
        let mut am = cust.clone().into_active_model();
        if let Some(n) = name {
            am.name = Set(n.chars().take(100).collect());
        }
        if let Some(z) = zone {
            am.timezone = Set(Some(z.to_owned()));
        }
        am.updated_at = Set(now());
        am.update(&*uow).await?;
    }
    if let (Some(other), Some(c)) = (other, current(&*uow, v).await?) {
        messages::insert_agent_system(
            &mut uow,
            v.scope,
            &c,
            &format!("The visitor says their email is {email}, which belongs to customer #{other}. If it is them, merge the two customers."),
        )
        .await?;
    }
    uow.emit(Event::new(
        v.scope.workspace_id(),
        "customer.updated",
        serde_json::json!({ "customer_id": cid }),
    ));
    uow.commit().await
}

/// Marks the thread read by the visitor up to `message_id` (read receipts for agents).
///
/// # Errors
/// Database errors.
pub async fn mark_read(state: &AppState, v: &Visitor, message_id: i32) -> ServiceResult<()> {
    let Some(c) = current(&state.db, v).await? else {
        return Ok(());
    };
    if c.customer_read_message_id.is_some_and(|r| r >= message_id) {
        return Ok(());
    }
    let mut am = c.clone().into_active_model();
    am.customer_read_message_id = Set(Some(message_id));
    am.update(&state.db).await?;
    state.bus.publish(Event::new(
        v.scope.workspace_id(),
        "conversation.read",
        serde_json::json!({ "conversation_id": c.id, "by": "customer", "message_id": message_id }),
    ));
    Ok(())
}

/// Tells agents the visitor is typing (or stopped).
///
/// # Errors
/// Database errors.
pub async fn typing(state: &AppState, v: &Visitor, is_typing: bool) -> ServiceResult<()> {
    if let Some(c) = current(&state.db, v).await? {
        state.bus.publish(Event::new(
            v.scope.workspace_id(),
            "widget.typing",
            serde_json::json!({ "conversation_id": c.id, "typing": is_typing }),
        ));
    }
    Ok(())
}

/// Records the visitor's rating (1–5 and an optional comment) of a solved
/// conversation; rating again replaces the answer.
///
/// # Errors
/// `Invalid` rating or a conversation that is not theirs or not solved.
pub async fn rate(
    state: &AppState,
    v: &Visitor,
    conversation_id: i32,
    rating: i32,
    comment: Option<&str>,
) -> ServiceResult<()> {
    let c = conversations::find(&state.db, v.scope, conversation_id).await?;
    if Some(c.customer_id) != v.customer_id {
        return Err(ServiceError::NotFound("Conversation"));
    }
    let mut uow = UnitOfWork::begin(state).await?;
    csat::record(&mut uow, v.scope, &c, rating, comment).await?;
    uow.commit().await
}

/// A file of the visitor's own conversation, for download.
///
/// # Errors
/// `NotFound` for anything that is not theirs.
pub async fn file(
    state: &AppState,
    v: &Visitor,
    attachment_id: i32,
) -> ServiceResult<(entity::attachment::Model, Vec<u8>)> {
    let (a, bytes) = attachments::read_scoped(state, v.scope, attachment_id).await?;
    let c = conversations::find(&state.db, v.scope, a.conversation_id).await?;
    let public = match a.message_id {
        Some(mid) => v
            .scope
            .find::<entity::message::Entity>()
            .filter(entity::message::Column::Id.eq(mid))
            .one(&state.db)
            .await?
            .is_some_and(|m| {
                m.kind == MessageKind::Reply.as_str() && m.side_conversation_id.is_none()
            }),
        None => false,
    };
    if Some(c.customer_id) != v.customer_id || !public {
        return Err(ServiceError::NotFound("File"));
    }
    Ok((a, bytes))
}

/// The ids of a customer's conversations (what a visitor's socket listens to).
///
/// # Errors
/// Database errors.
pub async fn conversation_ids(
    db: &impl ConnectionTrait,
    scope: Scoped,
    customer_id: i32,
) -> ServiceResult<std::collections::HashSet<i32>> {
    Ok(scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::CustomerId.eq(customer_id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect())
}

/// Whether a bus event concerns this visitor, and the frame to send them. `known`
/// holds the customer's conversation ids ([`conversation_ids`]; new ones are added
/// as their messages arrive), so events about other conversations cost no query.
///
/// # Errors
/// Database errors while loading the message an event names.
pub async fn frame_for(
    state: &AppState,
    v: &Visitor,
    customer_id: i32,
    known: &mut std::collections::HashSet<i32>,
    e: &Event,
) -> ServiceResult<Option<crate::types::WidgetServerFrame>> {
    use crate::types::WidgetServerFrame as F;
    let d = &e.data;
    let int = |k: &str| {
        d.get(k)
            .and_then(serde_json::Value::as_i64)
            .and_then(|x| i32::try_from(x).ok())
    };
    let mine = |conv: Option<i32>, known: &std::collections::HashSet<i32>| {
        let conv = conv.filter(|id| known.contains(id));
        async move {
            match conv {
                Some(id) => conversations::find(&state.db, v.scope, id)
                    .await
                    .ok()
                    .filter(|c| c.customer_id == customer_id),
                None => None,
            }
        }
    };
    Ok(match e.kind.as_str() {
        "message.created" => {
            let public = d.get("kind").and_then(serde_json::Value::as_str) == Some("reply")
                && d.get("side").and_then(serde_json::Value::as_bool) != Some(true);
            if int("customer_id") != Some(customer_id) {
                return Ok(None);
            }
            if let Some(c) = int("conversation_id") {
                known.insert(c);
            }
            if !public {
                return Ok(None);
            }
            let Some(mid) = int("message_id") else {
                return Ok(None);
            };
            let Some(row) = v
                .scope
                .find::<entity::message::Entity>()
                .filter(entity::message::Column::Id.eq(mid))
                .one(&state.db)
                .await?
            else {
                return Ok(None);
            };
            let client_id = client_id_of(row.external_id.as_deref());
            let view = messages::thread_of(&state.db, v.scope, vec![row])
                .await?
                .remove(0);
            let mut message = message_view(v, view);
            message.client_id = client_id;
            Some(F::Message { message })
        }
        "presence.heartbeat" => {
            let typing = d.get("typing").and_then(serde_json::Value::as_bool) == Some(true);
            let stopped =
                d.get("stopped_typing").and_then(serde_json::Value::as_bool) == Some(true);
            if !typing && !stopped {
                return Ok(None);
            }
            mine(int("conversation_id"), known)
                .await
                .map(|_| F::Typing {
                    typing,
                    name: d
                        .get("name")
                        .and_then(serde_json::Value::as_str)
                        .and_then(|n| n.split_whitespace().next())
                        .unwrap_or("Agent")
                        .to_owned(),
                })
        }
        "conversation.read" => {
            if d.get("by").and_then(serde_json::Value::as_str) != Some("agent") {
                return Ok(None);
            }
            match (mine(int("conversation_id"), known).await, int("message_id")) {
                (Some(c), Some(m)) => Some(F::Read {
                    conversation_id: c.id,
                    message_id: m,
                }),
                _ => None,
            }
        }
        "conversation.updated" => match mine(int("id"), known).await {
            Some(c) => {
                let rated = v
                    .scope
                    .find::<csat_response::Entity>()
                    .filter(csat_response::Column::ConversationId.eq(c.id))
                    .one(&state.db)
                    .await?
                    .is_some();
                Some(F::Status {
                    conversation_id: c.id,
                    csat_open: c.status == Status::Solved.as_str() && !rated,
                    status: c.status,
                })
            }
            None => None,
        },
        _ => None,
    })
}

/// Records that an agent has read a conversation up to its newest customer message
/// (the widget shows "Seen"); publishes `conversation.read` when that moved.
///
/// # Errors
/// Database errors.
pub async fn agent_read(
    state: &AppState,
    actor: &super::super::Actor,
    d: &crate::types::ConversationDetail,
) -> ServiceResult<()> {
    let Some(last) = d
        .messages
        .iter()
        .rev()
        .find(|m| m.author_kind == "customer" && m.side_conversation_id.is_none())
        .map(|m| m.id)
    else {
        return Ok(());
    };
    let res = actor
        .scope
        .update_many::<conversation::Entity>()
        .col_expr(
            conversation::Column::AgentReadMessageId,
            sea_orm::sea_query::Expr::value(last),
        )
        .filter(conversation::Column::Id.eq(d.row.id))
        .filter(
            sea_orm::Condition::any()
                .add(conversation::Column::AgentReadMessageId.is_null())
                .add(conversation::Column::AgentReadMessageId.lt(last)),
        )
        .exec(&state.db)
        .await?;
    if res.rows_affected > 0 {
        state.bus.publish(Event::new(
            actor.scope.workspace_id(),
            "conversation.read",
            serde_json::json!({ "conversation_id": d.row.id, "by": "agent", "message_id": last }),
        ));
    }
    Ok(())
}
