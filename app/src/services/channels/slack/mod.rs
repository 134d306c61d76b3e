//! Slack (SPEC C4.4, C2.4): the team's Slack workspace as a channel.
//!
//! - **Notifications**: each new conversation (any channel) is posted to the
//!   notifications channel set in Settings → Slack; that post's thread then
//!   mirrors the conversation: the customer's messages and the team's public
//!   replies appear in it, and what teammates write in the thread comes back
//!   as internal notes ("Slack · Ana").
//! - **`/ticket Subject | details`** opens a ticket for the person who typed
//!   it ([`commands`]); the bot posts it in that channel and the thread is the
//!   ticket's: agents' replies are delivered there, the requester's thread
//!   replies are customer messages (through the one inbound path, so rules,
//!   SLAs and the AI agent treat them like any other), other teammates'
//!   become notes.
//! - **Side conversations in Slack**: an agent starts a side conversation in a
//!   Slack channel (another team, a supplier's shared channel); its thread's
//!   replies come back into the side conversation.
//! - Everything Slack sends is verified (`X-Slack-Signature`, five-minute
//!   window) before anything is read ([`events`], the server's `slack.rs`);
//!   posting goes through the job queue ([`POST_JOB`]) inside the unit of
//!   work that stored the message, so it survives a crash and retries on
//!   Slack outages and rate limits.

pub mod client;
pub mod commands;
pub mod events;
pub mod settings;

use super::super::bus::Event;
use super::super::inbox::{conversations, messages};
use super::super::jobs::{self, NewJob};
use super::super::stages::{Stage, StageEvent};
use super::super::tenancy::Scoped;
use super::super::uow::UnitOfWork;
use super::super::{now, AppState, ServiceError, ServiceResult};
use super::provider;
use crate::types::{ticket_ref, Channel, MessageKind};
use entity::{conversation, message, side_conversation, slack_account, slack_thread};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};

/// Post one thread's root, or one message into a thread.
pub const POST_JOB: &str = "slack.post";
/// Longest text posted in one Slack message (Slack truncates past 40,000).
const MAX_TEXT: usize = 3_500;

/// What a thread is for.
pub mod kind {
    /// Opened with `/ticket`: the requester writes in it.
    pub const TICKET: &str = "ticket";
    /// A new conversation's post in the notifications channel.
    pub const NOTIFY: &str = "notify";
    /// A side conversation held in a Slack channel.
    pub const SIDE: &str = "side";
}

/// A workspace's Slack app, opened.
#[derive(Clone)]
pub struct Account {
    /// The stored row (its secrets sealed).
    pub row: slack_account::Model,
    /// The bot token, opened.
    pub bot_token: String,
    /// The signing secret, opened.
    pub signing_secret: String,
    /// Slack's Web API with the bot token.
    pub client: client::Client,
}

fn token_aad(workspace_id: i32) -> Vec<u8> {
    format!("slack:{workspace_id}:bot_token").into_bytes()
}

fn secret_aad(workspace_id: i32) -> Vec<u8> {
    format!("slack:{workspace_id}:signing_secret").into_bytes()
}

/// Opens a stored account.
///
/// # Errors
/// `Internal` when its secrets cannot be opened.
pub fn open(state: &AppState, row: slack_account::Model) -> ServiceResult<Account> {
    let w = row.workspace_id;
    let bot_token = provider::open(state, &row.bot_token, &token_aad(w), "A Slack bot token")?;
    let signing_secret = provider::open(
        state,
        &row.signing_secret,
        &secret_aad(w),
        "A Slack signing secret",
    )?;
    let client = client::Client::new(
        row.api_base.as_deref().unwrap_or(client::DEFAULT_BASE),
        &bot_token,
    )
    .map_err(ServiceError::Internal)?;
    Ok(Account {
        row,
        bot_token,
        signing_secret,
        client,
    })
}

impl provider::Opened for Account {
    type Entity = slack_account::Entity;

    fn open(state: &AppState, row: slack_account::Model) -> ServiceResult<Self> {
        open(state, row)
    }
}

/// The workspace's Slack app, if connected.
///
/// # Errors
/// As [`open`]; database errors.
pub async fn account(
    state: &AppState,
    db: &impl ConnectionTrait,
    scope: Scoped,
) -> ServiceResult<Option<Account>> {
    provider::find(state, db, scope).await
}

/// The account whose Request URLs use `token`.
///
/// # Errors
/// As [`open`]; database errors.
pub async fn by_hook_token(state: &AppState, token: &str) -> ServiceResult<Option<Account>> {
    provider::by_token(
        state,
        token,
        super::super::tenancy::slack_account_by_hook_token,
    )
    .await
}

/// A Slack channel as typed: `#name` (Slack's names are lowercase) or an id
/// (`C0123ABCD`), checked for the form's `field`.
///
/// # Errors
/// `Invalid` (`field`).
pub fn channel_name(raw: &str, field: &'static str) -> ServiceResult<String> {
    let c = raw.trim();
    let name = c.strip_prefix('#').unwrap_or(c);
    let ok = !name.is_empty()
        && name.len() <= 80
        && name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.'));
    if !ok {
        return Err(ServiceError::invalid(
            field,
            "Name the Slack channel as #channel-name or its id (C0123ABCD).",
        ));
    }
    Ok(
        if c.starts_with('#') || name.chars().any(|ch| ch.is_ascii_lowercase()) {
            format!("#{}", name.to_ascii_lowercase())
        } else {
            name.to_owned()
        },
    )
}

/// The slash command's Request URL.
pub fn command_url(state: &AppState, token: &str) -> String {
    format!(
        "{}/hooks/slack/{token}/command",
        state.config.base_url().trim_end_matches('/')
    )
}

/// The Events API's Request URL.
pub fn events_url(state: &AppState, token: &str) -> String {
    format!(
        "{}/hooks/slack/{token}/events",
        state.config.base_url().trim_end_matches('/')
    )
}

fn admin_link(state: &AppState, number: i32) -> String {
    format!(
        "{}/app/inbox/{number}",
        state.config.base_url().trim_end_matches('/')
    )
}

/// The conversation's own thread (a ticket's or its notification's), not a
/// side conversation's.
///
/// # Errors
/// Database errors.
pub async fn thread_of(
    db: &impl ConnectionTrait,
    scope: Scoped,
    conversation_id: i32,
) -> ServiceResult<Option<slack_thread::Model>> {
    Ok(scope
        .find::<slack_thread::Entity>()
        .filter(slack_thread::Column::ConversationId.eq(conversation_id))
        .filter(slack_thread::Column::SideConversationId.is_null())
        .order_by_asc(slack_thread::Column::Id)
        .one(db)
        .await?)
}

/// A thread to be: its row, and the job that posts its root.
pub(crate) struct NewThread<'a> {
    pub conversation_id: i32,
    pub side_conversation_id: Option<i32>,
    pub kind: &'static str,
    pub channel: &'a str,
    pub requester: Option<String>,
    /// A message the root carries (a side conversation's first message).
    pub message_id: Option<i32>,
}

/// Records a thread and queues its root post, in `db`'s transaction.
///
/// # Errors
/// Database errors.
pub(crate) async fn open_thread(
    state: &AppState,
    db: &impl ConnectionTrait,
    scope: Scoped,
    t: NewThread<'_>,
) -> ServiceResult<slack_thread::Model> {
    let row = slack_thread::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        conversation_id: Set(t.conversation_id),
        side_conversation_id: Set(t.side_conversation_id),
        kind: Set(t.kind.to_owned()),
        channel: Set(t.channel.to_owned()),
        thread_ts: Set(None),
        requester: Set(t.requester),
        error: Set(None),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    jobs::enqueue(
        db,
        &state.config.jobs,
        NewJob {
            workspace_id: Some(scope.workspace_id()),
            idempotency_key: Some(format!("slack.root:{}", row.id)),
            ..NewJob::new(
                POST_JOB,
                serde_json::json!({
                    "workspace": scope.workspace_id(), "thread": row.id,
                    "root": true, "message": t.message_id,
                }),
            )
        },
    )
    .await?;
    Ok(row)
}

async fn queue_message(
    uow: &mut UnitOfWork,
    scope: Scoped,
    thread_id: i32,
    message_id: i32,
) -> ServiceResult<()> {
    let state = uow.state().clone();
    jobs::enqueue(
        &**uow,
        &state.config.jobs,
        NewJob {
            workspace_id: Some(scope.workspace_id()),
            idempotency_key: Some(format!("slack.post:{thread_id}:{message_id}")),
            ..NewJob::new(
                POST_JOB,
                serde_json::json!({
                    "workspace": scope.workspace_id(), "thread": thread_id,
                    "root": false, "message": message_id,
                }),
            )
        },
    )
    .await?;
    uow.jobs_enqueued();
    Ok(())
}

/// A public reply (an agent's, the AI agent's, a rule's) was stored: on a
/// Slack ticket it is delivered in the ticket's thread; on any other
/// conversation with a notification thread it is mirrored there.
///
/// # Errors
/// Database errors.
pub async fn after_reply(
    uow: &mut UnitOfWork,
    scope: Scoped,
    c: &conversation::Model,
    row: message::Model,
) -> ServiceResult<message::Model> {
    if row.side_conversation_id.is_some() {
        return Ok(row);
    }
    let slack = c.channel == Channel::Slack.as_str();
    match thread_of(&**uow, scope, c.id).await? {
        Some(t) => {
            queue_message(uow, scope, t.id, row.id).await?;
            Ok(row)
        }
        None if slack => {
            let mut am = row.into_active_model();
            am.delivery_status = Set("failed".into());
            am.delivery_error = Set(Some(
                "This ticket has no Slack thread to answer in: Slack was disconnected, or the thread moved to a newer ticket of the same requester.".into(),
            ));
            Ok(am.update(&**uow).await?)
        }
        None => Ok(row),
    }
}

/// The id `/ticket` gives its message: the requester, the channel and
/// Slack's trigger id (the idempotency key).
pub(crate) fn command_message_id(team: &str, user: &str, channel: &str, trigger: &str) -> String {
    format!("slack:cmd:{team}:{user}:{channel}:{trigger}")
}

/// Records the thread of a ticket opened with `/ticket` (its message id
/// names the requester and the channel) and queues its root post.
async fn open_ticket_thread(
    uow: &mut UnitOfWork,
    scope: Scoped,
    conversation_id: i32,
    message_id: i32,
) -> ServiceResult<()> {
    let Some(m) = scope
        .find::<message::Entity>()
        .filter(message::Column::Id.eq(message_id))
        .one(&**uow)
        .await?
    else {
        return Ok(());
    };
    let id = m.external_id.unwrap_or_default();
    let parts: Vec<&str> = id.splitn(6, ':').collect();
    let ["slack", "cmd", team, user, channel, _trigger] = parts.as_slice() else {
        return Ok(());
    };
    let state = uow.state().clone();
    open_thread(
        &state,
        &**uow,
        scope,
        NewThread {
            conversation_id,
            side_conversation_id: None,
            kind: kind::TICKET,
            channel,
            requester: Some(format!("{team}:{user}")),
            message_id: None,
        },
    )
    .await?;
    uow.jobs_enqueued();
    Ok(())
}

/// Posts new conversations to the notifications channel and mirrors later
/// customer messages into their thread; gives a ticket opened with
/// `/ticket` its thread. Runs before the rules, so a rule's or the AI
/// agent's reply to a Slack ticket finds its thread in the same transaction
/// (the posts themselves are built when their jobs run, after commit, and
/// show the conversation as the stages left it).
pub struct SlackStage;

#[async_trait::async_trait]
impl Stage for SlackStage {
    fn name(&self) -> &'static str {
        "slack"
    }

    async fn handle(&self, uow: &mut UnitOfWork, event: &StageEvent) -> ServiceResult<()> {
        let StageEvent::MessageReceived {
            workspace_id,
            conversation_id,
            message_id,
            channel,
            automatic: false,
            opened,
            ..
        } = event
        else {
            return Ok(());
        };
        let scope = Scoped::new(*workspace_id);
        if *channel == Channel::Slack {
            // A Slack ticket's messages are already in Slack; a new one gets
            // its thread here, in its own transaction and before the rules
            // run, so an automatic reply finds it.
            if *opened {
                open_ticket_thread(uow, scope, *conversation_id, *message_id).await?;
            }
            return Ok(());
        }
        if *opened {
            let Some(a) = scope.find::<slack_account::Entity>().one(&**uow).await? else {
                return Ok(());
            };
            let Some(to) = a.notify_channel else {
                return Ok(());
            };
            let state = uow.state().clone();
            open_thread(
                &state,
                &**uow,
                scope,
                NewThread {
                    conversation_id: *conversation_id,
                    side_conversation_id: None,
                    kind: kind::NOTIFY,
                    channel: &to,
                    requester: None,
                    message_id: None,
                },
            )
            .await?;
            uow.jobs_enqueued();
        } else if let Some(t) = thread_of(&**uow, scope, *conversation_id).await? {
            queue_message(uow, scope, t.id, *message_id).await?;
        }
        Ok(())
    }
}

fn cut(text: &str) -> String {
    let t = text.trim();
    if t.chars().count() <= MAX_TEXT {
        return t.to_owned();
    }
    let mut s: String = t.chars().take(MAX_TEXT).collect();
    s.push_str("… (cut; the whole message is in Switchboard)");
    s
}

fn quote(text: &str) -> String {
    cut(text)
        .lines()
        .map(|l| format!("> {}", client::escape(l)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The root message of a thread.
async fn root_text(
    state: &AppState,
    scope: Scoped,
    t: &slack_thread::Model,
) -> ServiceResult<String> {
    let db = &state.db;
    let c = conversations::find(db, scope, t.conversation_id).await?;
    let link = admin_link(state, c.number);
    let first = scope
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(c.id))
        .filter(message::Column::Kind.eq(MessageKind::Reply.as_str()))
        .filter(message::Column::SideConversationId.is_null())
        .order_by_asc(message::Column::Id)
        .one(db)
        .await?;
    let subject = client::escape(&c.subject);
    let number = ticket_ref(c.number);
    Ok(match t.kind.as_str() {
        kind::TICKET => {
            let who = t
                .requester
                .as_deref()
                .and_then(|r| r.split_once(':'))
                .map_or_else(String::new, |(_, u)| format!(" by <@{u}>"));
            let details = first
                .as_ref()
                .map(|m| m.body_text.trim())
                .filter(|b| !b.is_empty() && *b != c.subject.trim())
                .map(|b| format!("\n{}", quote(b)))
                .unwrap_or_default();
            format!(
                ":ticket: Ticket *{number}* opened{who}: *{subject}*{details}\nThe support team answers in this thread; write here to add to the ticket."
            )
        }
        kind::SIDE => {
            let id = t
                .side_conversation_id
                .ok_or(ServiceError::NotFound("Side conversation"))?;
            let sc = scope
                .find::<side_conversation::Entity>()
                .filter(side_conversation::Column::Id.eq(id))
                .one(db)
                .await?
                .ok_or(ServiceError::NotFound("Side conversation"))?;
            let opening = scope
                .find::<message::Entity>()
                .filter(message::Column::SideConversationId.eq(id))
                .order_by_asc(message::Column::Id)
                .one(db)
                .await?;
            let (text, author) = match opening {
                Some(m) => {
                    let text = m.body_text.clone();
                    let author = messages::thread_of(db, scope, vec![m])
                        .await?
                        .pop()
                        .map(|v| v.author_name)
                        .unwrap_or_default();
                    (text, author)
                }
                None => (String::new(), String::new()),
            };
            format!(
                ":speech_balloon: *{}* — a side conversation from {number} (<{link}|open>)\n{}\n— {}. Reply in this thread to answer.",
                client::escape(&sc.subject),
                client::escape(&cut(&text)),
                client::escape(&author)
            )
        }
        _ => {
            let customer = super::super::inbox::customers::find(db, scope, c.customer_id).await?;
            let channel = Channel::parse(&c.channel).map_or("API", Channel::label);
            let excerpt = first
                .as_ref()
                .map(|m| format!("\n{}", quote(&m.body_text)))
                .unwrap_or_default();
            format!(
                ":incoming_envelope: New conversation *{number}* from *{}* ({channel}): *{subject}*{excerpt}\n<{link}|Open in Switchboard> · replies in this thread are added as internal notes.",
                client::escape(&customer.name)
            )
        }
    })
}

/// A message as posted into a thread.
async fn message_text(
    state: &AppState,
    scope: Scoped,
    t: &slack_thread::Model,
    m: &message::Model,
) -> ServiceResult<String> {
    let v = messages::thread_of(&state.db, scope, vec![m.clone()])
        .await?
        .pop()
        .ok_or(ServiceError::NotFound("Message"))?;
    let who = client::escape(&v.author_name);
    let text = client::escape(&cut(&m.body_text));
    let files = if v.attachments.is_empty() {
        String::new()
    } else {
        format!(
            "\n_{} file(s) attached: {}_",
            v.attachments.len(),
            v.attachments
                .iter()
                .map(|a| client::escape(&a.filename))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Ok(match (t.kind.as_str(), v.author_kind.as_str()) {
        (kind::TICKET, _) => format!("*{who}*: {text}{files}"),
        (_, "customer") => format!("*{who}* wrote:\n{text}{files}"),
        _ => format!("*{who}* replied to the customer:\n{text}{files}"),
    })
}

/// Runs a [`POST_JOB`]: the thread's root (and the message it carries), or
/// one message in the thread. Slack's outages and rate limits retry; a
/// refusal (no such channel, the bot not in it, a revoked token) is recorded
/// on the thread and, for a Slack ticket's reply, on the message.
///
/// # Errors
/// When Slack could not be reached or the database failed (the job retries).
pub async fn run_post_job(state: &AppState, payload: &serde_json::Value) -> Result<(), String> {
    let num = |k: &str| {
        payload
            .get(k)
            .and_then(serde_json::Value::as_i64)
            .and_then(|i| i32::try_from(i).ok())
    };
    let (Some(w), Some(thread_id)) = (num("workspace"), num("thread")) else {
        return Err("payload has no workspace or thread".into());
    };
    let root = payload
        .get("root")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    post(state, Scoped::new(w), thread_id, root, num("message"))
        .await
        .map_err(|e| e.to_string())
}

async fn post(
    state: &AppState,
    scope: Scoped,
    thread_id: i32,
    root: bool,
    message_id: Option<i32>,
) -> ServiceResult<()> {
    let db = &state.db;
    let Some(t) = scope
        .find::<slack_thread::Entity>()
        .filter(slack_thread::Column::Id.eq(thread_id))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let msg = match message_id {
        Some(id) => {
            scope
                .find::<message::Entity>()
                .filter(message::Column::Id.eq(id))
                .one(db)
                .await?
        }
        None => None,
    };
    let Some(a) = account(state, db, scope).await? else {
        let why = "Slack is no longer connected (Settings → Slack).";
        refused(state, scope, &t, msg.as_ref(), root, why).await?;
        return Ok(());
    };
    if root {
        if t.thread_ts.is_some() {
            return Ok(());
        }
        let text = root_text(state, scope, &t).await?;
        match a.client.post(&t.channel, &text, None).await {
            Ok(p) => {
                let mut am = t.into_active_model();
                am.channel = Set(p.channel.clone());
                am.thread_ts = Set(Some(p.ts.clone()));
                am.error = Set(None);
                am.update(db).await?;
                if let Some(m) = msg {
                    delivered(state, &m, &p).await?;
                }
                Ok(())
            }
            Err(e) if e.permanent => {
                refused(state, scope, &t, msg.as_ref(), true, &e.message).await
            }
            Err(e) => Err(ServiceError::Internal(e.message)),
        }
    } else {
        let Some(m) = msg else {
            return Ok(());
        };
        let Some(ts) = t.thread_ts.clone() else {
            if t.error.is_some() {
                // The root was refused: nothing can be threaded under it.
                let why = t.error.clone().unwrap_or_default();
                return refused(state, scope, &t, Some(&m), false, &why).await;
            }
            return Err(ServiceError::Internal(
                "The thread's first message is not posted yet.".into(),
            ));
        };
        let text = message_text(state, scope, &t, &m).await?;
        match a.client.post(&t.channel, &text, Some(&ts)).await {
            Ok(p) => {
                if t.kind == kind::TICKET && m.direction == "outbound" {
                    delivered(state, &m, &p).await?;
                }
                Ok(())
            }
            Err(e) if e.permanent => refused(state, scope, &t, Some(&m), false, &e.message).await,
            Err(e) => Err(ServiceError::Internal(e.message)),
        }
    }
}

/// A reply that reached Slack: sent, with Slack's id (so its echo in the
/// Events API is known).
async fn delivered(state: &AppState, m: &message::Model, p: &client::Posted) -> ServiceResult<()> {
    if m.direction != "outbound" {
        return Ok(());
    }
    let mut am = m.clone().into_active_model();
    am.delivery_status = Set("sent".into());
    am.delivery_error = Set(None);
    am.external_id = Set(Some(format!("slack:{}:{}", p.channel, p.ts)));
    am.update(&state.db).await?;
    announce_delivery(state, m, "sent");
    Ok(())
}

/// Tells open inboxes a message's delivery changed (the pane shows it live).
fn announce_delivery(state: &AppState, m: &message::Model, status: &str) {
    state.bus.publish(Event::new(
        m.workspace_id,
        "message.delivery",
        serde_json::json!({
            "conversation_id": m.conversation_id,
            "message_id": m.id,
            "status": status,
        }),
    ));
}

async fn refused(
    state: &AppState,
    _scope: Scoped,
    t: &slack_thread::Model,
    m: Option<&message::Model>,
    root: bool,
    why: &str,
) -> ServiceResult<()> {
    tracing::warn!(thread = t.id, %why, "slack post refused");
    if root {
        let mut am = t.clone().into_active_model();
        am.error = Set(Some(why.to_owned()));
        am.update(&state.db).await?;
    }
    // Only messages Slack was to carry fail: a ticket's replies and a side
    // conversation's first message (a mirror's failure is the thread's).
    if let Some(m) = m.filter(|m| {
        m.direction == "outbound" && (t.kind == kind::TICKET || m.side_conversation_id.is_some())
    }) {
        let mut am = m.clone().into_active_model();
        am.delivery_status = Set("failed".into());
        am.delivery_error = Set(Some(why.to_owned()));
        am.update(&state.db).await?;
        announce_delivery(state, m, "failed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_are_names_or_ids() {
        assert_eq!(
            channel_name(" #Escalations ", "c").ok().as_deref(),
            Some("#escalations")
        );
        assert_eq!(
            channel_name("parts-team", "c").ok().as_deref(),
            Some("#parts-team")
        );
        assert_eq!(
            channel_name("C0123ABCD", "c").ok().as_deref(),
            Some("C0123ABCD")
        );
        assert!(channel_name("#", "c").is_err());
        assert!(channel_name("two words", "c").is_err());
    }

    #[test]
    fn long_texts_are_cut_and_quoted() {
        let long = "x".repeat(MAX_TEXT + 10);
        assert!(cut(&long).ends_with("whole message is in Switchboard)"));
        assert_eq!(quote("a <b>\nc"), "> a &lt;b&gt;\n> c");
    }
}
