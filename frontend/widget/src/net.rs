//! The widget's browser plumbing: `localStorage` (token, offline queue), JSON over
//! `fetch`, the WebSocket with reconnect, `online`/`offline` events, and messages
//! to the loader in the host page.

use super::wire::{self, obj, s as js_str};
use super::{Pending, State};
use leptos::prelude::*;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use widget_protocol::{WidgetClientFrame, WidgetServerFrame, WidgetSession};

thread_local! {
    static SOCKET: RefCell<Option<web_sys::WebSocket>> = const { RefCell::new(None) };
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn get(key: &str) -> Option<String> {
    storage()?.get_item(key).ok()?
}

fn set(key: &str, value: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(key, value);
    }
}

/// A value the loader passed in the frame's URL fragment (`#t=…&q=…`): the host
/// page keeps the widget's state in its own (first-party) storage, because browsers
/// may refuse storage to a third-party iframe.
fn from_fragment(name: &str) -> Option<String> {
    let hash = web_sys::window()?.location().hash().ok()?;
    hash.trim_start_matches('#').split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name)
            .then(|| js_sys::decode_uri_component(v).ok()?.as_string())
            .flatten()
            .filter(|v| !v.is_empty())
    })
}

/// Stores a value here and asks the loader to keep it in the host page's storage.
fn persist(key: &str, name: &str, value: &str) {
    set(&format!("sbw:{key}:{name}"), value);
    let Some(parent) = web_sys::window().and_then(|w| w.parent().ok().flatten()) else {
        return;
    };
    let msg = obj(&[
        ("sbw", js_str("store")),
        ("name", js_str(name)),
        ("value", js_str(value)),
    ]);
    let _ = parent.post_message(&msg, "*");
}

/// The visitor's stored token for this widget key.
pub fn load_token(key: &str) -> Option<String> {
    from_fragment("t").or_else(|| get(&format!("sbw:{key}:token")))
}

/// Remembers the visitor's token.
pub fn save_token(key: &str, token: &str) {
    persist(key, "token", token);
}

/// The offline queue.
pub fn load_queue(key: &str) -> Vec<Pending> {
    from_fragment("q")
        .or_else(|| get(&format!("sbw:{key}:queue")))
        .map(|s| wire::queue_from_json(&s))
        .unwrap_or_default()
}

/// Persists the offline queue (it survives a reload or a closed tab).
pub fn save_queue(key: &str, q: &[Pending]) {
    persist(key, "queue", &wire::queue_to_json(q));
}

/// A fresh client id for a message.
pub fn client_id() -> String {
    let mut s = String::from("w");
    for _ in 0..4 {
        let n = (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
        s.push_str(&format!("{n:08x}"));
    }
    s
}

fn origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

/// POSTs a JSON object and reads the JSON answer; errors are the server's message
/// for a person.
async fn post(path: &str, body: &JsValue) -> Result<JsValue, String> {
    let offline = || "Could not reach the server; check your connection.".to_owned();
    let window = web_sys::window().ok_or_else(offline)?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(&wire::stringify(body)));
    let headers = web_sys::Headers::new().map_err(|_| offline())?;
    let _ = headers.set("content-type", "application/json");
    init.set_headers(&headers);
    let req = web_sys::Request::new_with_str_and_init(&format!("{}{path}", origin()), &init)
        .map_err(|_| offline())?;
    let res: web_sys::Response = JsFuture::from(window.fetch_with_request(&req))
        .await
        .map_err(|_| offline())?
        .dyn_into()
        .map_err(|_| offline())?;
    let text = JsFuture::from(res.text().map_err(|_| offline())?)
        .await
        .ok()
        .and_then(|t| t.as_string())
        .unwrap_or_default();
    let v = wire::parse(&text).unwrap_or(JsValue::NULL);
    if res.ok() {
        Ok(v)
    } else {
        let msg = js_sys::Reflect::get(&v, &"error".into())
            .ok()
            .and_then(|e| js_sys::Reflect::get(&e, &"message".into()).ok())
            .and_then(|m| m.as_string());
        Err(msg.unwrap_or_else(|| "Something went wrong; please try again.".to_owned()))
    }
}

fn token_of(state: State) -> JsValue {
    js_str(&state.token.get_untracked())
}

/// Starts or resumes the session.
///
/// # Errors
/// The server's message.
pub async fn session(key: &str, token: Option<&str>) -> Result<WidgetSession, String> {
    let token = token.map_or(JsValue::NULL, js_str);
    let v = post(
        "/widget/api/session",
        &obj(&[("key", js_str(key)), ("token", token)]),
    )
    .await?;
    Ok(wire::session(&v))
}

/// Help articles for what the visitor is typing (deflection); returns the
/// suggestion session and the articles.
///
/// # Errors
/// The server's message.
pub async fn suggest(
    state: State,
    session: &str,
    text: &str,
) -> Result<(String, Vec<(i32, String, String)>), String> {
    let v = post(
        "/widget/api/suggest",
        &obj(&[
            ("key", js_str(&state.key())),
            ("token", token_of(state)),
            ("session", js_str(session)),
            ("text", js_str(text)),
        ]),
    )
    .await?;
    Ok(wire::suggestions(&v))
}

/// Tells the server the visitor opened a suggested article, or (`article_id`
/// none) sent a message after seeing suggestions. Best effort.
pub fn suggestion_event(state: State, session: String, article_id: Option<i32>) {
    leptos::task::spawn_local(async move {
        let (path, id) = match article_id {
            Some(id) => ("/widget/api/suggest/open", id),
            None => ("/widget/api/suggest/sent", 0),
        };
        let _ = post(
            path,
            &obj(&[
                ("key", js_str(&state.key())),
                ("token", token_of(state)),
                ("session", js_str(&session)),
                ("article_id", JsValue::from(id)),
            ]),
        )
        .await;
    });
}

/// The visitor's IANA time zone (`Europe/Berlin`), as the browser knows it
/// (campaigns keep quiet hours in it); empty when it does not say.
fn time_zone() -> String {
    let f = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
    js_sys::Reflect::get(&f.resolved_options(), &JsValue::from_str("timeZone"))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// Saves the visitor's email (and time zone).
///
/// # Errors
/// The server's message.
pub async fn set_email(state: State, email: &str) -> Result<(), String> {
    post(
        "/widget/api/email",
        &obj(&[
            ("key", js_str(&state.key())),
            ("token", token_of(state)),
            ("email", js_str(email)),
            ("timezone", js_str(&time_zone())),
        ]),
    )
    .await?;
    Ok(())
}

/// Sends the CSAT answer.
///
/// # Errors
/// The server's message.
pub async fn rate(state: State, rating: i32, comment: &str) -> Result<(), String> {
    let Some(conversation_id) = state.conversation.get_untracked() else {
        return Err("There is no conversation to rate yet.".into());
    };
    let comment = if comment.trim().is_empty() {
        JsValue::NULL
    } else {
        js_str(comment)
    };
    post(
        "/widget/api/csat",
        &obj(&[
            ("key", js_str(&state.key())),
            ("token", token_of(state)),
            (
                "conversation_id",
                JsValue::from_f64(f64::from(conversation_id)),
            ),
            ("rating", JsValue::from_f64(f64::from(rating))),
            ("comment", comment),
        ]),
    )
    .await?;
    Ok(())
}

/// Reads the chosen file and uploads it as a message.
pub fn upload(state: State, ev: &web_sys::Event) {
    let Some(input) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return;
    };
    let Some(file) = input.files().and_then(|f| f.get(0)) else {
        return;
    };
    input.set_value("");
    let Ok(reader) = web_sys::FileReader::new() else {
        return;
    };
    let name = file.name();
    let kind = file.type_();
    let r = reader.clone();
    let onload = Closure::once(move || {
        let data_url = r
            .result()
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default();
        let data = data_url
            .split_once(',')
            .map(|(_, d)| d.to_owned())
            .unwrap_or_default();
        leptos::task::spawn_local(async move {
            let res = post(
                "/widget/api/upload",
                &obj(&[
                    ("key", js_str(&state.key())),
                    ("token", token_of(state)),
                    ("client_id", js_str(&client_id())),
                    ("filename", js_str(&name)),
                    ("content_type", js_str(&kind)),
                    ("data", js_str(&data)),
                ]),
            )
            .await;
            match res {
                Ok(v) => {
                    let m = js_sys::Reflect::get(&v, &"message".into()).unwrap_or(JsValue::NULL);
                    state.apply_frame(WidgetServerFrame::Message {
                        message: wire::message(&m),
                    });
                }
                Err(e) => state.notice.set(Some(e)),
            }
        });
    });
    reader.set_onload(Some(onload.as_ref().unchecked_ref()));
    onload.forget();
    let _ = reader.read_as_data_url(&file);
}

/// Sends a frame if the socket is open (otherwise the queue keeps the message).
pub fn send_frame(f: &WidgetClientFrame) {
    let text = wire::client_frame(f);
    SOCKET.with(|s| {
        if let Some(ws) = s.borrow().as_ref() {
            if ws.ready_state() == web_sys::WebSocket::OPEN {
                let _ = ws.send_with_str(&text);
            }
        }
    });
}

/// Opens the socket (and keeps reopening it with backoff).
pub fn connect(state: State, attempt: u32) {
    let Some(window) = web_sys::window() else {
        return;
    };
    if !window.navigator().on_line() {
        return; // `online` reconnects
    }
    let loc = window.location();
    let proto = if loc.protocol().as_deref() == Ok("https:") {
        "wss"
    } else {
        "ws"
    };
    let host = loc.host().unwrap_or_default();
    let url = format!(
        "{proto}://{host}/widget/ws?key={}&token={}",
        js_sys::encode_uri_component(&state.key()),
        js_sys::encode_uri_component(&state.token.get_untracked())
    );
    let Ok(ws) = web_sys::WebSocket::new(&url) else {
        retry(state, attempt + 1);
        return;
    };
    let on_open = Closure::<dyn FnMut()>::new(move || {
        state.connected.set(true);
        state.notice.set(None);
        state.flush();
        if state.open.get_untracked() {
            state.mark_read();
        }
    });
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            if let Some(text) = e.data().as_string() {
                if let Some(f) = wire::parse(&text).as_ref().and_then(wire::server_frame) {
                    state.apply_frame(f);
                }
            }
        });
    let me = ws.clone();
    let on_close = Closure::<dyn FnMut()>::new(move || {
        state.connected.set(false);
        let current = SOCKET.with(|s| s.borrow().as_ref().is_some_and(|w| *w == me));
        if current {
            SOCKET.with(|s| *s.borrow_mut() = None);
            retry(state, attempt + 1);
        }
    });
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    on_open.forget();
    on_message.forget();
    on_close.forget();
    SOCKET.with(|s| *s.borrow_mut() = Some(ws));
}

fn retry(state: State, attempt: u32) {
    let delay = 500_u64.saturating_mul(2_u64.saturating_pow(attempt.min(4)));
    set_timeout(
        move || {
            let open = SOCKET.with(|s| s.borrow().is_some());
            if !open {
                connect(state, attempt);
            }
        },
        std::time::Duration::from_millis(delay),
    );
}

/// Closes the socket when the browser goes offline and reconnects when it is back.
pub fn watch_online(state: State) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let offline = Closure::<dyn FnMut()>::new(move || {
        state.connected.set(false);
        let ws = SOCKET.with(|s| s.borrow_mut().take());
        if let Some(ws) = ws {
            let _ = ws.close();
        }
    });
    let online = Closure::<dyn FnMut()>::new(move || {
        let open = SOCKET.with(|s| s.borrow().is_some());
        if !open {
            connect(state, 0);
        }
    });
    let _ = window.add_event_listener_with_callback("offline", offline.as_ref().unchecked_ref());
    let _ = window.add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
    offline.forget();
    online.forget();
}

/// Tells the loader in the host page whether the panel is open and how many
/// messages are unread (it resizes the iframe).
pub fn post_to_parent(open: bool, unread: u32) {
    let Some(parent) = web_sys::window().and_then(|w| w.parent().ok().flatten()) else {
        return;
    };
    let msg = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&msg, &"sbw".into(), &"state".into());
    let _ = js_sys::Reflect::set(&msg, &"open".into(), &JsValue::from_bool(open));
    let _ = js_sys::Reflect::set(
        &msg,
        &"unread".into(),
        &JsValue::from_f64(f64::from(unread)),
    );
    let _ = parent.post_message(&msg, "*");
}

/// The loader's reports this frame passes on (`/widget/api/{path}`).
const RELAYED: &[&str] = &["visit", "track", "targeted", "tour"];

fn post_parent(msg: &JsValue) {
    if let Some(parent) = web_sys::window().and_then(|w| w.parent().ok().flatten()) {
        let _ = parent.post_message(msg, "*");
    }
}

/// Passes the loader's reports (page views, the site's events, targeted
/// message counts) to the server with the visitor's session, and answers with
/// the server's reply; then tells the loader it can start. Only the page
/// embedding this frame is listened to.
pub fn relay(state: State) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let on = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
        let parent = web_sys::window().and_then(|w| w.parent().ok().flatten());
        let from_parent = match (e.source(), parent) {
            (Some(src), Some(p)) => js_sys::Object::is(&src, &p),
            _ => false,
        };
        let d = e.data();
        let field = |k: &str| js_sys::Reflect::get(&d, &k.into()).unwrap_or(JsValue::UNDEFINED);
        if !from_parent || field("sbw").as_string().as_deref() != Some("relay") {
            return;
        }
        let Some(path) = field("path")
            .as_string()
            .filter(|p| RELAYED.contains(&p.as_str()))
        else {
            return;
        };
        let id = field("id");
        let body = field("body");
        if !body.is_object() {
            return;
        }
        let _ = js_sys::Reflect::set(&body, &"key".into(), &js_str(&state.key()));
        let _ = js_sys::Reflect::set(&body, &"token".into(), &token_of(state));
        leptos::task::spawn_local(async move {
            let (ok, answer) = match post(&format!("/widget/api/{path}"), &body).await {
                Ok(v) => (true, v),
                Err(m) => (false, obj(&[("error", obj(&[("message", js_str(&m))]))])),
            };
            post_parent(&obj(&[
                ("sbw", js_str("relayed")),
                ("id", id),
                ("ok", JsValue::from_bool(ok)),
                ("body", answer),
            ]));
        });
    });
    let _ = window.add_event_listener_with_callback("message", on.as_ref().unchecked_ref());
    on.forget();
    post_parent(&obj(&[("sbw", js_str("ready"))]));
}
