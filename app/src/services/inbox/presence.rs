//! Presence for collision detection: who is viewing a conversation and who is
//! typing. Heartbeats travel over the event bus (so every server instance sees every
//! agent); each instance keeps the state it has heard in memory. An agent who sends
//! nothing for [`EXPIRE_SECS`] is gone; typing lapses after [`TYPING_SECS`].

use super::super::bus::Event;
use super::super::context::Actor;
use super::super::AppState;
use crate::types::Presence;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Seconds without a heartbeat after which a viewer is dropped.
pub const EXPIRE_SECS: u64 = 30;
/// Seconds after the last keystroke during which someone counts as typing.
pub const TYPING_SECS: u64 = 6;

#[derive(Clone, Debug)]
struct Seen {
    name: String,
    last: Instant,
    typing_until: Option<Instant>,
}

/// In-memory presence state fed by bus events.
#[derive(Debug, Default)]
pub struct PresenceBoard {
    // (workspace, conversation) → user → seen
    inner: Mutex<HashMap<(i32, i32), HashMap<i32, Seen>>>,
}

impl PresenceBoard {
    /// Applies a `presence.*` bus event (from any instance).
    pub fn apply(&self, e: &Event) {
        let data = &e.data;
        let (Some(conv), Some(user)) = (
            data.get("conversation_id")
                .and_then(serde_json::Value::as_i64),
            data.get("user_id").and_then(serde_json::Value::as_i64),
        ) else {
            return;
        };
        let (conv, user) = (conv as i32, user as i32);
        let Ok(mut map) = self.inner.lock() else {
            return;
        };
        let key = (e.workspace_id, conv);
        match e.kind.as_str() {
            "presence.left" => {
                if let Some(m) = map.get_mut(&key) {
                    m.remove(&user);
                }
            }
            "presence.heartbeat" => {
                let now = Instant::now();
                let typing = data
                    .get("typing")
                    .and_then(serde_json::Value::as_bool)
                    .unwrap_or(false);
                let name = data
                    .get("name")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("Someone")
                    .to_owned();
                let entry = map.entry(key).or_default().entry(user).or_insert(Seen {
                    name: name.clone(),
                    last: now,
                    typing_until: None,
                });
                entry.name = name;
                entry.last = now;
                if typing {
                    entry.typing_until = Some(now + Duration::from_secs(TYPING_SECS));
                } else if data
                    .get("stopped_typing")
                    .and_then(serde_json::Value::as_bool)
                    == Some(true)
                {
                    entry.typing_until = None;
                }
            }
            _ => {}
        }
    }

    /// Who else is on a conversation now (expired entries are dropped).
    pub fn others(&self, workspace_id: i32, conversation_id: i32, me: i32) -> Vec<Presence> {
        let Ok(mut map) = self.inner.lock() else {
            return Vec::new();
        };
        let now = Instant::now();
        let Some(m) = map.get_mut(&(workspace_id, conversation_id)) else {
            return Vec::new();
        };
        m.retain(|_, s| now.duration_since(s.last) < Duration::from_secs(EXPIRE_SECS));
        let mut out: Vec<Presence> = m
            .iter()
            .filter(|(u, _)| **u != me)
            .map(|(u, s)| Presence {
                user_id: *u,
                name: s.name.clone(),
                typing: s.typing_until.is_some_and(|t| t > now),
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }
}

/// Publishes a heartbeat (viewing, and typing when `typing`) and returns who else is
/// there. The board is updated directly too, so a single instance needs no round
/// trip through the bus.
pub fn heartbeat(
    state: &AppState,
    actor: &Actor,
    conversation_id: i32,
    typing: bool,
    stopped_typing: bool,
) -> Vec<Presence> {
    let e = Event::new(
        actor.scope.workspace_id(),
        "presence.heartbeat",
        serde_json::json!({
            "conversation_id": conversation_id, "user_id": actor.user_id,
            "name": actor.name, "typing": typing, "stopped_typing": stopped_typing,
        }),
    );
    state.presence.apply(&e);
    state.bus.publish(e);
    state
        .presence
        .others(actor.scope.workspace_id(), conversation_id, actor.user_id)
}

/// Says the agent left the conversation.
pub fn leave(state: &AppState, actor: &Actor, conversation_id: i32) {
    let e = Event::new(
        actor.scope.workspace_id(),
        "presence.left",
        serde_json::json!({"conversation_id": conversation_id, "user_id": actor.user_id}),
    );
    state.presence.apply(&e);
    state.bus.publish(e);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hb(user: i64, typing: bool) -> Event {
        Event::new(
            1,
            "presence.heartbeat",
            serde_json::json!({"conversation_id": 7, "user_id": user, "name": format!("U{user}"), "typing": typing}),
        )
    }

    #[test]
    fn viewers_and_typing_are_tracked_per_conversation() {
        let b = PresenceBoard::default();
        b.apply(&hb(1, false));
        b.apply(&hb(2, true));
        let seen_by_1 = b.others(1, 7, 1);
        assert_eq!(
            seen_by_1,
            vec![Presence {
                user_id: 2,
                name: "U2".into(),
                typing: true
            }]
        );
        assert!(
            b.others(2, 7, 1).is_empty(),
            "another workspace sees nobody"
        );
        b.apply(&Event::new(
            1,
            "presence.left",
            serde_json::json!({"conversation_id": 7, "user_id": 2}),
        ));
        assert!(b.others(1, 7, 1).is_empty());
    }
}
