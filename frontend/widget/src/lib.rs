//! The chat widget: a small Leptos app mounted in the iframe that `public/widget.js`
//! puts on a customer's page (so the host page's CSS cannot reach it). It keeps the
//! visitor's token and an offline queue in `localStorage`, talks to the server over
//! one WebSocket (`/widget/ws`) with HTTP for the session, files, email and CSAT,
//! and tells the loader when to grow or shrink the iframe (`postMessage`).
//!
//! Messages get a client id before they are sent; the server stores each once
//! whatever the number of resends, so the queue is simply replayed on reconnect.

#![cfg_attr(
    not(target_arch = "wasm32"),
    allow(dead_code, reason = "the widget only runs in the browser")
)]

mod net;
mod wire;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use widget_protocol::{
    WidgetClientFrame, WidgetConfig, WidgetMessage, WidgetServerFrame, WidgetSession,
};

/// A message the visitor wrote that the server has not confirmed yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// The widget's id for it (the server's idempotency key).
    pub client_id: String,
    /// Text.
    pub body: String,
    /// Why the last try failed, if it did.
    pub error: Option<String>,
}

/// Everything the widget shows, as signals.
#[derive(Clone, Copy)]
pub struct State {
    key: StoredValue<String>,
    token: RwSignal<String>,
    config: RwSignal<Option<WidgetConfig>>,
    open: RwSignal<bool>,
    messages: RwSignal<Vec<WidgetMessage>>,
    pending: RwSignal<Vec<Pending>>,
    conversation: RwSignal<Option<i32>>,
    reference: RwSignal<Option<String>>,
    agent_read: RwSignal<Option<i32>>,
    typing: RwSignal<Option<String>>,
    typing_seq: RwSignal<u32>,
    connected: RwSignal<bool>,
    unread: RwSignal<u32>,
    csat_open: RwSignal<bool>,
    csat_done: RwSignal<bool>,
    email: RwSignal<Option<String>>,
    notice: RwSignal<Option<String>>,
}

impl State {
    fn new(key: String) -> Self {
        Self {
            pending: RwSignal::new(net::load_queue(&key)),
            key: StoredValue::new(key),
            token: RwSignal::new(String::new()),
            config: RwSignal::new(None),
            open: RwSignal::new(false),
            messages: RwSignal::new(Vec::new()),
            conversation: RwSignal::new(None),
            reference: RwSignal::new(None),
            agent_read: RwSignal::new(None),
            typing: RwSignal::new(None),
            typing_seq: RwSignal::new(0),
            connected: RwSignal::new(false),
            unread: RwSignal::new(0),
            csat_open: RwSignal::new(false),
            csat_done: RwSignal::new(false),
            email: RwSignal::new(None),
            notice: RwSignal::new(None),
        }
    }

    fn key(&self) -> String {
        self.key.get_value()
    }

    fn save_queue(&self) {
        net::save_queue(&self.key(), &self.pending.get_untracked());
    }

    /// Applies the session the server returned.
    fn apply_session(&self, s: WidgetSession) {
        net::save_token(&self.key(), &s.token);
        self.token.set(s.token);
        self.config.set(Some(s.config));
        self.email.set(s.email);
        self.conversation.set(s.thread.conversation_id);
        self.reference.set(s.thread.reference);
        self.agent_read.set(s.thread.agent_read_id);
        self.csat_open.set(s.thread.csat_open);
        // A queued message the server already has is confirmed by its arrival here.
        let known: Vec<String> = s
            .thread
            .messages
            .iter()
            .filter_map(|m| m.client_id.clone())
            .collect();
        self.pending
            .update(|p| p.retain(|x| !known.contains(&x.client_id)));
        self.save_queue();
        self.messages.set(s.thread.messages);
    }

    /// Applies one frame from the server.
    fn apply_frame(&self, f: WidgetServerFrame) {
        match f {
            WidgetServerFrame::Message { message } => {
                if let Some(cid) = &message.client_id {
                    self.pending.update(|p| p.retain(|x| &x.client_id != cid));
                    self.save_queue();
                }
                let from_agent = message.from == "agent";
                self.conversation.set(Some(message.conversation_id));
                let mut added = false;
                self.messages.update(|ms| {
                    if !ms.iter().any(|m| m.id == message.id) {
                        ms.push(message.clone());
                        added = true;
                    }
                });
                if added && from_agent {
                    self.typing.set(None);
                    if self.open.get_untracked() {
                        net::send_frame(&WidgetClientFrame::Read {
                            message_id: message.id,
                        });
                    } else {
                        self.unread.update(|n| *n += 1);
                        self.tell_parent();
                    }
                }
            }
            WidgetServerFrame::Typing { typing, name } => {
                if typing {
                    self.typing.set(Some(name));
                    self.typing_seq.update(|n| *n += 1);
                    let seq = self.typing_seq.get_untracked();
                    let me = *self;
                    set_timeout(
                        move || {
                            if me.typing_seq.get_untracked() == seq {
                                me.typing.set(None);
                            }
                        },
                        std::time::Duration::from_secs(6),
                    );
                } else {
                    self.typing.set(None);
                }
            }
            WidgetServerFrame::Read { message_id, .. } => {
                self.agent_read
                    .update(|r| *r = Some(r.map_or(message_id, |x| x.max(message_id))));
            }
            WidgetServerFrame::Status { csat_open, .. } => {
                self.csat_open.set(csat_open);
            }
            WidgetServerFrame::Error { client_id, message } => match client_id {
                Some(cid) => {
                    self.pending.update(|p| {
                        for x in p.iter_mut().filter(|x| x.client_id == cid) {
                            x.error = Some(message.clone());
                        }
                    });
                    self.save_queue();
                }
                None => self.notice.set(Some(message)),
            },
        }
    }

    /// Sends every queued message (on connect and after a send).
    fn flush(&self) {
        if !self.connected.get_untracked() {
            return;
        }
        for p in self.pending.get_untracked() {
            net::send_frame(&WidgetClientFrame::Send {
                client_id: p.client_id,
                body: p.body,
            });
        }
    }

    fn tell_parent(&self) {
        net::post_to_parent(self.open.get_untracked(), self.unread.get_untracked());
    }

    fn mark_read(&self) {
        if let Some(last) = self
            .messages
            .with_untracked(|ms| ms.iter().rev().find(|m| m.from == "agent").map(|m| m.id))
        {
            net::send_frame(&WidgetClientFrame::Read { message_id: last });
        }
    }
}

/// Mounts the widget (runs when the module loads).
#[wasm_bindgen(start)]
pub fn start() {
    let key = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
        .and_then(|b| b.get_attribute("data-key"))
        .unwrap_or_default();
    let state = State::new(key);
    leptos::mount::mount_to_body(move || view! { <Widget state/> });
    leptos::task::spawn_local(async move {
        let stored = net::load_token(&state.key());
        match net::session(&state.key(), stored.as_deref()).await {
            Ok(s) => {
                state.apply_session(s);
                net::connect(state, 0);
                net::watch_online(state);
                net::relay(state);
            }
            Err(e) => state.notice.set(Some(e)),
        }
    });
}

#[component]
fn Widget(state: State) -> impl IntoView {
    let color = move || {
        state.config.with(|c| {
            c.as_ref()
                .map_or_else(|| "#4f46e5".to_owned(), |c| c.color.clone())
        })
    };
    let toggle = move |_| {
        let now_open = !state.open.get_untracked();
        state.open.set(now_open);
        if now_open {
            state.unread.set(0);
            state.mark_read();
        }
        state.tell_parent();
    };
    view! {
        <div class="sbw" style=move || format!("--sbw-accent:{}", color())>
            <Show when=move || state.open.get()>
                <Panel state/>
            </Show>
            <button class="sbw-launcher" data-testid="widget-launcher"
                aria-label=move || if state.open.get() { "Close chat" } else { "Open chat" }
                on:click=toggle>
                {move || if state.open.get() {
                    view! { <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18"/></svg> }.into_any()
                } else {
                    view! { <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z"/></svg> }.into_any()
                }}
                <Show when=move || { state.unread.get() > 0 }>
                    <span class="sbw-badge" data-testid="widget-unread">{move || state.unread.get()}</span>
                </Show>
            </button>
        </div>
    }
}

/// Message text with links (`https://…` and help center paths) clickable.
fn linkify(text: &str) -> Vec<AnyView> {
    let mut out = Vec::new();
    let mut plain = String::new();
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            plain.push(' ');
        }
        let bare = word.trim_end_matches(['.', ',', ')', '!', '?']);
        let is_link = bare.starts_with("https://")
            || bare.starts_with("http://")
            || bare.starts_with("/help/");
        if is_link {
            if !plain.is_empty() {
                out.push(std::mem::take(&mut plain).into_any());
            }
            let href = bare.to_owned();
            out.push(
                view! { <a href=href.clone() target="_blank" rel="noopener">{href.clone()}</a> }
                    .into_any(),
            );
            plain.push_str(&word[bare.len()..]);
        } else {
            plain.push_str(word);
        }
    }
    if !plain.is_empty() {
        out.push(plain.into_any());
    }
    out
}

#[component]
fn Panel(state: State) -> impl IntoView {
    let draft = RwSignal::new(String::new());
    let last_typing = StoredValue::new(0.0_f64);
    // Deflection: help articles for what the visitor is typing (debounced).
    let suggestions = RwSignal::new(Vec::<(i32, String, String)>::new());
    let suggest_session = StoredValue::new(String::new());
    let suggest_seq = StoredValue::new(0_u32);
    // Queues a message (sent at once when connected, kept across reloads).
    let submit = move |body: String| {
        let p = Pending {
            client_id: net::client_id(),
            body,
            error: None,
        };
        state.pending.update(|q| q.push(p.clone()));
        state.save_queue();
        if state.connected.get_untracked() {
            net::send_frame(&WidgetClientFrame::Send {
                client_id: p.client_id,
                body: p.body,
            });
        }
        net::send_frame(&WidgetClientFrame::Typing { typing: false });
        last_typing.set_value(0.0);
    };
    let send = move || {
        let body = draft.get_untracked().trim().to_owned();
        if body.is_empty() {
            return;
        }
        draft.set(String::new());
        if !suggestions.get_untracked().is_empty() || !suggest_session.get_value().is_empty() {
            let session = suggest_session.get_value();
            if !session.is_empty() {
                net::suggestion_event(state, session, None);
            }
            suggestions.set(Vec::new());
            suggest_session.set_value(String::new());
        }
        submit(body);
    };
    // A bot's question waiting for its answer: its choices, as buttons or a list.
    let choices = move || {
        if !state.pending.with(Vec::is_empty) {
            return None;
        }
        state.messages.with(|ms| {
            ms.last()
                .filter(|m| m.from != "customer" && !m.choices.is_empty())
                .map(|m| (m.choices.clone(), m.dropdown))
        })
    };
    let on_input = move |ev: web_sys::Event| {
        let text = event_target_value(&ev);
        draft.set(text.clone());
        let seq = suggest_seq.get_value().wrapping_add(1);
        suggest_seq.set_value(seq);
        if text.trim().chars().count() < 8 {
            suggestions.set(Vec::new());
        } else if state
            .messages
            .with_untracked(|m| m.iter().all(|x| x.from == "customer"))
        {
            // Only before the team has answered: later messages are a conversation.
            set_timeout(
                move || {
                    if suggest_seq.get_value() != seq {
                        return;
                    }
                    leptos::task::spawn_local(async move {
                        if let Ok((session, hits)) =
                            net::suggest(state, &suggest_session.get_value(), &text).await
                        {
                            if suggest_seq.get_value() == seq {
                                suggest_session.set_value(session);
                                suggestions.set(hits);
                            }
                        }
                    });
                },
                std::time::Duration::from_millis(450),
            );
        }
        let now = js_sys::Date::now();
        if now - last_typing.get_value() > 2500.0 {
            last_typing.set_value(now);
            net::send_frame(&WidgetClientFrame::Typing { typing: true });
        }
    };
    let on_key = move |ev: web_sys::KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() {
            ev.prevent_default();
            send();
        }
    };
    let title = move || {
        state.config.with(|c| {
            c.as_ref()
                .map(|c| c.workspace_name.clone())
                .unwrap_or_default()
        })
    };
    let welcome = move || {
        state
            .config
            .with(|c| c.as_ref().map(|c| c.welcome.clone()).unwrap_or_default())
    };
    // Keep the newest message in view. The scroll waits for the next frame: a
    // card that shows below the log in the same update (the email request, the
    // rating) shrinks the log only once it is laid out.
    let log = NodeRef::<leptos::html::Ol>::new();
    Effect::new(move |_| {
        state.messages.track();
        state.pending.track();
        state.typing.track();
        state.email.track();
        state.csat_open.track();
        request_animation_frame(move || {
            if let Some(el) = log.get_untracked() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    });
    let last_customer = move || {
        state
            .messages
            .with(|ms| ms.iter().rev().find(|m| m.from == "customer").map(|m| m.id))
    };
    view! {
        <section class="sbw-panel" data-testid="widget-panel" role="dialog" aria-label="Chat">
            <header class="sbw-head">
                <div>
                    <strong>{title}</strong>
                    <small>{move || state.reference.get().map(|r| format!("Conversation {r}")).unwrap_or_else(|| "We reply in a few minutes".into())}</small>
                </div>
                <span class="sbw-dot" class:on=move || state.connected.get()
                    title=move || if state.connected.get() { "Connected" } else { "Offline" }></span>
            </header>
            <Show when=move || !state.connected.get()>
                <div class="sbw-offline" data-testid="widget-offline">
                    "You're offline. Messages will be sent when the connection is back."
                </div>
            </Show>
            <Show when=move || state.notice.get().is_some()>
                <div class="sbw-offline">{move || state.notice.get().unwrap_or_default()}</div>
            </Show>
            <ol class="sbw-log" data-testid="widget-log" node_ref=log>
                <li class="sbw-msg agent welcome">{welcome}</li>
                <For each=move || state.messages.get() key=|m| m.id let:m>
                    <li class=format!("sbw-msg {}", m.from) data-testid="widget-message" data-from=m.from.clone()>
                        <span class="sbw-author">{m.author.clone()}</span>
                        <p>{linkify(&m.text)}</p>
                        {m.files.iter().map(|f| view! {
                            <a class="sbw-file" href=f.url.clone() target="_blank" rel="noopener">{format!("Attachment: {}", f.name)}</a>
                        }).collect_view()}
                        <Show when={
                            let id = m.id;
                            move || last_customer() == Some(id) && state.agent_read.get().is_some_and(|r| r >= id)
                        }>
                            <span class="sbw-seen" data-testid="widget-seen">"Seen"</span>
                        </Show>
                    </li>
                </For>
                <For each=move || state.pending.get() key=|p| p.client_id.clone() let:p>
                    <li class="sbw-msg customer pending" data-testid="widget-pending">
                        <p>{p.body.clone()}</p>
                        <span class="sbw-seen">{
                            let error = p.error.clone();
                            move || error.clone().unwrap_or_else(|| {
                                if state.connected.get() { "Sending…".into() } else { "Waiting for the connection".into() }
                            })
                        }</span>
                    </li>
                </For>
                <Show when=move || state.typing.get().is_some()>
                    <li class="sbw-typing" data-testid="widget-typing">
                        {move || format!("{} is typing…", state.typing.get().unwrap_or_default())}
                    </li>
                </Show>
            </ol>
            {move || choices().map(|(list, dropdown)| if dropdown {
                view! {
                    <div class="sbw-choices">
                        <select data-testid="widget-choice-list" aria-label="Choose an answer"
                            on:change=move |ev| {
                                let v = event_target_value(&ev);
                                if !v.is_empty() {
                                    submit(v);
                                }
                            }>
                            <option value="">"Choose…"</option>
                            {list.into_iter().map(|c| view! { <option value=c.clone()>{c.clone()}</option> }).collect_view()}
                        </select>
                    </div>
                }.into_any()
            } else {
                view! {
                    <div class="sbw-choices" role="group" aria-label="Choose an answer">
                        {list.into_iter().map(|c| {
                            let pick = c.clone();
                            view! { <button data-testid="widget-choice" on:click=move |_| submit(pick.clone())>{c}</button> }
                        }).collect_view()}
                    </div>
                }.into_any()
            })}
            <Show when=move || !suggestions.with(Vec::is_empty)>
                <div class="sbw-suggest" data-testid="widget-suggestions">
                    <small>"These articles might help:"</small>
                    <ul>
                        <For each=move || suggestions.get() key=|h| h.0 let:h>
                            <li><a href=h.2.clone() target="_blank" rel="noopener" data-testid="widget-suggestion"
                                on:click=move |_| net::suggestion_event(state, suggest_session.get_value(), Some(h.0))>{h.1.clone()}</a></li>
                        </For>
                    </ul>
                </div>
            </Show>
            <EmailCapture state/>
            <Csat state/>
            <footer class="sbw-compose">
                <textarea data-testid="widget-input" rows="2" placeholder="Write a message…"
                    prop:value=move || draft.get() on:input=on_input on:keydown=on_key></textarea>
                <label class="sbw-attach" title="Attach a file" aria-label="Attach a file">
                    <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M21 11l-8.5 8.5a5 5 0 0 1-7-7L14 4a3.5 3.5 0 0 1 5 5l-8.5 8.5a2 2 0 0 1-3-3L15 7"/></svg>
                    <input type="file" data-testid="widget-file" on:change=move |ev| net::upload(state, &ev)/>
                </label>
                <button class="sbw-send" data-testid="widget-send" on:click=move |_| send()>"Send"</button>
            </footer>
        </section>
    }
}

#[component]
fn EmailCapture(state: State) -> impl IntoView {
    let value = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let show = move || {
        state
            .config
            .with(|c| c.as_ref().is_some_and(|c| c.ask_email))
            && state.email.get().is_none()
            && state
                .messages
                .with(|m| m.iter().any(|m| m.from == "customer"))
    };
    let save = move |_| {
        let email = value.get_untracked();
        leptos::task::spawn_local(async move {
            match net::set_email(state, &email).await {
                Ok(()) => {
                    error.set(None);
                    state.email.set(Some(email));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <Show when=show>
            <div class="sbw-card" data-testid="widget-email">
                <p>"Leave your email so we can reach you if you leave."</p>
                <div class="sbw-row">
                    <input type="email" placeholder="you@example.com" prop:value=move || value.get()
                        on:input=move |ev| value.set(event_target_value(&ev))/>
                    <button on:click=save>"Save"</button>
                </div>
                <Show when=move || error.get().is_some()>
                    <p class="sbw-error">{move || error.get().unwrap_or_default()}</p>
                </Show>
            </div>
        </Show>
    }
}

#[component]
fn Csat(state: State) -> impl IntoView {
    let rating = RwSignal::new(0_i32);
    let comment = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submit = move |_| {
        let (r, c) = (rating.get_untracked(), comment.get_untracked());
        leptos::task::spawn_local(async move {
            match net::rate(state, r, &c).await {
                Ok(()) => {
                    state.csat_open.set(false);
                    state.csat_done.set(true);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <Show when=move || state.csat_open.get()>
            <div class="sbw-card" data-testid="widget-csat">
                <p>"How did we do?"</p>
                <div class="sbw-stars">
                    {(1..=5).map(|n| view! {
                        <button class:on=move || { rating.get() >= n } data-testid=format!("csat-{n}")
                            aria-label=format!("{n} out of 5") on:click=move |_| rating.set(n)>"★"</button>
                    }).collect_view()}
                </div>
                <textarea rows="2" placeholder="Anything to add? (optional)" prop:value=move || comment.get()
                    on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                <button class="sbw-send" data-testid="csat-submit" disabled=move || rating.get() == 0 on:click=submit>"Send rating"</button>
                <Show when=move || error.get().is_some()>
                    <p class="sbw-error">{move || error.get().unwrap_or_default()}</p>
                </Show>
            </div>
        </Show>
        <Show when=move || state.csat_done.get()>
            <div class="sbw-card" data-testid="widget-csat-thanks"><p>"Thank you for your rating!"</p></div>
        </Show>
    }
}
