//! The Events API: what people write in the threads Switchboard mirrors.
//! Called with the raw body once its signature was checked.
//!
//! - `url_verification` answers Slack's challenge (when the Request URL is
//!   saved in the app's settings).
//! - A `message` in a known thread: in a `/ticket` thread, the requester's
//!   words are customer messages (the one inbound path) and anyone else's are
//!   internal notes; in a notification thread, notes; in a side
//!   conversation's thread, the side conversation's replies.
//! - A message sharing files keeps its text and names the files (the files
//!   stay in Slack).
//! - Everything else is acknowledged and ignored: bots (the bot's own posts
//!   among them), edits and deletions, messages outside a known thread,
//!   another Slack team's events. Slack retries an event it did not get a
//!   200 for; each message is stored once (`slack:{channel}:{ts}`).

use super::super::super::inbox::{conversations, messages, side};
use super::super::super::tenancy::Scoped;
use super::super::super::uow::UnitOfWork;
use super::super::super::{AppState, ServiceError, ServiceResult};
use super::super::inbound::{self, InboundMessage, Sender, ThreadHint};
use super::{client, kind, Account};
use crate::types::{Channel, IdentifierKind};
use entity::{message, slack_thread};
use sea_orm::{ActiveModelTrait, ColumnTrait, IntoActiveModel, QueryFilter, Set};
use serde::Deserialize;
use std::time::Duration;

/// What became of an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Slack's URL check: answer with this challenge.
    Challenge(String),
    /// Stored (or already stored) as a customer message, note or side reply.
    Stored(i32),
    /// Nothing to do, and why.
    Ignored(&'static str),
}

#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    challenge: Option<String>,
    #[serde(default)]
    team_id: Option<String>,
    #[serde(default)]
    event: Option<MessageEvent>,
}

#[derive(Debug, Deserialize)]
struct MessageEvent {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    subtype: Option<String>,
    #[serde(default)]
    bot_id: Option<String>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    ts: Option<String>,
    #[serde(default)]
    thread_ts: Option<String>,
    #[serde(default)]
    files: Vec<SharedFile>,
}

#[derive(Debug, Deserialize)]
struct SharedFile {
    #[serde(default)]
    name: Option<String>,
}

/// Handles one verified Events API request.
///
/// # Errors
/// `Invalid` for a body that is not an event; database errors (Slack then
/// retries).
pub async fn on_event(state: &AppState, a: &Account, body: &[u8]) -> ServiceResult<Outcome> {
    let env: Envelope = serde_json::from_slice(body)
        .map_err(|e| ServiceError::invalid("body", format!("Not a Slack event: {e}")))?;
    match env.kind.as_str() {
        "url_verification" => {
            return Ok(Outcome::Challenge(env.challenge.unwrap_or_default()));
        }
        "event_callback" => {}
        _ => return Ok(Outcome::Ignored("not an event callback")),
    }
    if let (Some(mine), Some(theirs)) = (a.row.team_id.as_deref(), env.team_id.as_deref()) {
        if mine != theirs {
            return Ok(Outcome::Ignored("another Slack team"));
        }
    }
    let Some(e) = env.event else {
        return Ok(Outcome::Ignored("no event"));
    };
    if e.kind != "message" {
        return Ok(Outcome::Ignored("not a message"));
    }
    if e.bot_id.is_some() {
        return Ok(Outcome::Ignored("a bot's message"));
    }
    if e.subtype
        .as_deref()
        .is_some_and(|s| s != "thread_broadcast" && s != "file_share")
    {
        return Ok(Outcome::Ignored("an edit, deletion or join"));
    }
    let (Some(user), Some(channel), Some(ts), Some(thread_ts)) =
        (e.user, e.channel, e.ts, e.thread_ts)
    else {
        return Ok(Outcome::Ignored("not a reply in a thread"));
    };
    if thread_ts == ts {
        return Ok(Outcome::Ignored("not a reply in a thread"));
    }
    if a.row.bot_user_id.as_deref() == Some(user.as_str()) {
        return Ok(Outcome::Ignored("the bot's own message"));
    }
    let mut text = client::plain(e.text.as_deref().unwrap_or_default());
    // Files stay in Slack; the message says which were shared.
    let names: Vec<&str> = e.files.iter().filter_map(|f| f.name.as_deref()).collect();
    if !names.is_empty() {
        if !text.trim().is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(&format!("[Shared in Slack: {}]", names.join(", ")));
    }
    if text.trim().is_empty() {
        return Ok(Outcome::Ignored("no text"));
    }
    let scope = Scoped::new(a.row.workspace_id);
    let Some(t) = scope
        .find::<slack_thread::Entity>()
        .filter(slack_thread::Column::Channel.eq(channel.as_str()))
        .filter(slack_thread::Column::ThreadTs.eq(thread_ts.as_str()))
        .one(&state.db)
        .await?
    else {
        return Ok(Outcome::Ignored("not a thread Switchboard mirrors"));
    };
    let external_id = format!("slack:{channel}:{ts}");
    if let Some(m) = scope
        .find::<message::Entity>()
        .filter(message::Column::ExternalId.eq(external_id.as_str()))
        .one(&state.db)
        .await?
    {
        return Ok(Outcome::Stored(m.id));
    }
    let team = env.team_id.unwrap_or_default();
    let requester = format!("{team}:{user}");
    // Slack wants an answer within three seconds: the name is a nicety.
    let name = match a.client.within(Duration::from_millis(1500)) {
        Ok(c) => c.user_name(&user).await.unwrap_or_else(|_| user.clone()),
        Err(_) => user.clone(),
    };
    let label = format!("Slack · {name}");
    if let Some(side_id) = t.side_conversation_id {
        let v =
            side::receive_slack_reply(state, scope, side_id, &text, &external_id, &label).await?;
        return Ok(Outcome::Stored(v.id));
    }
    if t.kind == kind::TICKET && t.requester.as_deref() == Some(requester.as_str()) {
        let mut m = InboundMessage::new(
            Channel::Slack,
            external_id,
            Sender {
                kind: IdentifierKind::Social,
                value: format!("slack:{requester}"),
                name: Some(name),
            },
            text,
        );
        m.thread = ThreadHint {
            conversation_id: Some(t.conversation_id),
            ..ThreadHint::default()
        };
        let r = inbound::receive(state, scope, m).await?;
        if r.conversation_id != t.conversation_id {
            // The ticket was closed, so this opened a new one: the thread
            // follows the new ticket.
            let mut am = t.into_active_model();
            am.conversation_id = Set(r.conversation_id);
            am.update(&state.db).await?;
        }
        return Ok(Outcome::Stored(r.message_id));
    }
    let mut uow = UnitOfWork::begin(state).await?;
    let c = conversations::find(&*uow, scope, t.conversation_id).await?;
    let row = messages::insert_outside_note(&mut uow, scope, &c, &text, &label, Some(&external_id))
        .await?;
    uow.commit().await?;
    Ok(Outcome::Stored(row.id))
}
