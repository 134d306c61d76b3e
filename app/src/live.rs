//! Live updates in the browser: one authenticated WebSocket per tab (`/ws`), which
//! delivers the events of the user's current workspace. Pages key their resources
//! on the counters here, so they refetch when something relevant changes.

use leptos::prelude::*;
use serde::Deserialize;

/// Event counters by area, provided as context inside the admin app.
#[derive(Clone, Copy, Debug)]
pub struct Live {
    /// Team changes (invitations, members, roles).
    pub team: RwSignal<u64>,
    /// Workspace settings changes.
    pub workspace: RwSignal<u64>,
    /// Outbox changes.
    pub outbox: RwSignal<u64>,
    /// Conversations, messages, views and customers.
    pub inbox: RwSignal<u64>,
    /// Presence heartbeats (viewing, typing).
    pub presence: RwSignal<u64>,
    /// Notifications.
    pub notifications: RwSignal<u64>,
    /// AI actions, approvals, policies and tasks.
    pub actions: RwSignal<u64>,
    /// Report exports (progress).
    pub reports: RwSignal<u64>,
    /// Whether the socket is open.
    pub connected: RwSignal<bool>,
    /// The conversation whose chat visitor is typing now (cleared after 6 s).
    pub customer_typing: RwSignal<Option<i32>>,
}

impl Live {
    /// New counters.
    pub fn new() -> Self {
        Self {
            team: RwSignal::new(0),
            workspace: RwSignal::new(0),
            outbox: RwSignal::new(0),
            inbox: RwSignal::new(0),
            presence: RwSignal::new(0),
            notifications: RwSignal::new(0),
            actions: RwSignal::new(0),
            reports: RwSignal::new(0),
            connected: RwSignal::new(false),
            customer_typing: RwSignal::new(None),
        }
    }

    /// Applies an event: the chat visitor's typing state, then the area counter.
    pub fn apply_event(&self, ev: &LiveEvent) {
        if ev.kind == "widget.typing" {
            let conv = ev
                .data
                .get("conversation_id")
                .and_then(serde_json::Value::as_i64)
                .and_then(|c| i32::try_from(c).ok());
            let typing = ev.data.get("typing").and_then(serde_json::Value::as_bool) == Some(true);
            self.customer_typing
                .try_set(if typing { conv } else { None });
            #[cfg(feature = "hydrate")]
            if typing {
                let sig = self.customer_typing;
                gloo_timers::callback::Timeout::new(6000, move || {
                    if sig.get_untracked() == conv {
                        sig.try_set(None);
                    }
                })
                .forget();
            }
            return;
        }
        if ev.kind == "message.created" {
            self.customer_typing.try_set(None);
        }
        self.apply(&ev.kind);
    }

    /// Bumps the counter of the event's area.
    pub fn apply(&self, kind: &str) {
        let area = kind.split('.').next().unwrap_or_default();
        let sig = match area {
            "team" => self.team,
            "workspace" => self.workspace,
            "outbox" => self.outbox,
            "conversation" | "message" | "view" | "customer" => self.inbox,
            "presence" => self.presence,
            "notification" => self.notifications,
            "action" | "task" => self.actions,
            "report" => self.reports,
            _ => return,
        };
        sig.try_update(|n| *n += 1);
    }
}

impl Default for Live {
    fn default() -> Self {
        Self::new()
    }
}

/// The part of a bus event the browser needs.
#[derive(Clone, Debug, Deserialize)]
pub struct LiveEvent {
    /// Dotted kind.
    pub kind: String,
    /// Payload.
    #[serde(default)]
    pub data: serde_json::Value,
}

/// Opens the socket and keeps it open (reconnecting with backoff). Browser only.
pub fn connect(live: Live) {
    #[cfg(feature = "hydrate")]
    browser::open(live, 0);
    #[cfg(not(feature = "hydrate"))]
    let _ = live;
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::{Live, LiveEvent};
    use leptos::prelude::*;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;

    pub fn open(live: Live, attempt: u32) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let loc = window.location();
        let proto = if loc.protocol().as_deref() == Ok("https:") {
            "wss"
        } else {
            "ws"
        };
        let Ok(host) = loc.host() else { return };
        let Ok(ws) = web_sys::WebSocket::new(&format!("{proto}://{host}/ws")) else {
            retry(live, attempt);
            return;
        };
        let on_open = Closure::<dyn FnMut()>::new(move || {
            live.connected.try_set(true);
        });
        let on_message =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                if let Some(text) = e.data().as_string() {
                    if let Ok(ev) = serde_json::from_str::<LiveEvent>(&text) {
                        live.apply_event(&ev);
                    }
                }
            });
        let on_close = Closure::<dyn FnMut()>::new(move || {
            live.connected.try_set(false);
            retry(live, attempt + 1);
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        // The socket lives as long as the tab; so do its handlers.
        on_open.forget();
        on_message.forget();
        on_close.forget();
    }

    fn retry(live: Live, attempt: u32) {
        let delay = 500u32.saturating_mul(2u32.saturating_pow(attempt.min(6)));
        gloo_timers::callback::Timeout::new(delay, move || open(live, attempt)).forget();
    }
}

/// The browser's IANA timezone (`Intl.DateTimeFormat().resolvedOptions().timeZone`).
pub fn browser_timezone() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        let fmt = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
        let opts = fmt.resolved_options();
        js_sys::Reflect::get(&opts, &"timeZone".into())
            .ok()?
            .as_string()
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

/// Keeps the agent's status current while the app is open: every minute the app
/// tells the server it is still open and whether the agent used it (a key or a
/// click) since the last beat. The server sets idle agents away and closed apps
/// offline, and brings an agent it set away back online when they are active
/// again; `status` follows what the server says.
pub fn heartbeat(status: RwSignal<crate::types::AgentStatus>) {
    #[cfg(feature = "hydrate")]
    {
        use std::cell::Cell;
        use std::rc::Rc;
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        let Some(window) = web_sys::window() else {
            return;
        };
        let active = Rc::new(Cell::new(true));
        let flag = active.clone();
        let on_use = Closure::<dyn FnMut()>::new(move || flag.set(true));
        for name in ["keydown", "pointerdown", "wheel"] {
            let _ = window.add_event_listener_with_callback(name, on_use.as_ref().unchecked_ref());
        }
        // The listeners live as long as the tab.
        on_use.forget();
        let beat = move || {
            let used = active.replace(false);
            leptos::task::spawn_local(async move {
                if let Ok(s) = crate::serverfns::routing::status_heartbeat(used).await {
                    status.try_set(s.status);
                }
            });
        };
        beat();
        gloo_timers::callback::Interval::new(60_000, beat).forget();
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = status;
}
