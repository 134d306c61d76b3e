//! The widget's side of the wire format (`widget_protocol`), read and written with
//! the browser's own `JSON` instead of serde_json: it keeps the bundle inside its
//! 150 KB budget. The server speaks the same shapes through serde (the protocol
//! crate); the server's integration tests check them.

use super::Pending;
use wasm_bindgen::JsValue;
use widget_protocol::{
    WidgetClientFrame, WidgetConfig, WidgetFile, WidgetMessage, WidgetServerFrame, WidgetSession,
    WidgetThread,
};

fn get(o: &JsValue, k: &str) -> JsValue {
    js_sys::Reflect::get(o, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
}

fn string(o: &JsValue, k: &str) -> String {
    get(o, k).as_string().unwrap_or_default()
}

fn opt_string(o: &JsValue, k: &str) -> Option<String> {
    get(o, k).as_string()
}

fn int(o: &JsValue, k: &str) -> Option<i32> {
    get(o, k).as_f64().map(|f| f as i32)
}

fn boolean(o: &JsValue, k: &str) -> bool {
    get(o, k).as_bool().unwrap_or(false)
}

fn list(o: &JsValue, k: &str) -> Vec<JsValue> {
    let v = get(o, k);
    if js_sys::Array::is_array(&v) {
        js_sys::Array::from(&v).iter().collect()
    } else {
        Vec::new()
    }
}

/// Parses JSON text (None when it is not JSON).
pub fn parse(text: &str) -> Option<JsValue> {
    js_sys::JSON::parse(text).ok()
}

/// Serializes an object built with [`obj`].
pub fn stringify(v: &JsValue) -> String {
    js_sys::JSON::stringify(v)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// A plain object from key/value pairs.
pub fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o.into()
}

/// A string value.
pub fn s(v: &str) -> JsValue {
    JsValue::from_str(v)
}

/// A message.
pub fn message(o: &JsValue) -> WidgetMessage {
    WidgetMessage {
        id: int(o, "id").unwrap_or_default(),
        conversation_id: int(o, "conversation_id").unwrap_or_default(),
        from: string(o, "from"),
        author: string(o, "author"),
        text: string(o, "text"),
        created_at: string(o, "created_at"),
        client_id: opt_string(o, "client_id"),
        files: list(o, "files")
            .iter()
            .map(|f| WidgetFile {
                id: int(f, "id").unwrap_or_default(),
                name: string(f, "name"),
                url: string(f, "url"),
            })
            .collect(),
        choices: list(o, "choices")
            .iter()
            .filter_map(JsValue::as_string)
            .collect(),
        dropdown: boolean(o, "dropdown"),
    }
}

/// Suggested articles: the deflection session and (article id, title, URL).
pub fn suggestions(o: &JsValue) -> (String, Vec<(i32, String, String)>) {
    (
        string(o, "session"),
        list(o, "hits")
            .iter()
            .map(|h| {
                (
                    int(h, "article_id").unwrap_or_default(),
                    string(h, "title"),
                    string(h, "url"),
                )
            })
            .collect(),
    )
}

/// The answer to the session request.
pub fn session(o: &JsValue) -> WidgetSession {
    let c = get(o, "config");
    let t = get(o, "thread");
    WidgetSession {
        token: string(o, "token"),
        config: WidgetConfig {
            workspace_name: string(&c, "workspace_name"),
            color: string(&c, "color"),
            welcome: string(&c, "welcome"),
            ask_email: boolean(&c, "ask_email"),
        },
        thread: WidgetThread {
            conversation_id: int(&t, "conversation_id"),
            reference: opt_string(&t, "reference"),
            status: opt_string(&t, "status"),
            messages: list(&t, "messages").iter().map(message).collect(),
            agent_read_id: int(&t, "agent_read_id"),
            csat_open: boolean(&t, "csat_open"),
        },
        email: opt_string(o, "email"),
    }
}

/// A frame from the server.
pub fn server_frame(o: &JsValue) -> Option<WidgetServerFrame> {
    Some(match string(o, "type").as_str() {
        "message" => WidgetServerFrame::Message {
            message: message(&get(o, "message")),
        },
        "typing" => WidgetServerFrame::Typing {
            typing: boolean(o, "typing"),
            name: string(o, "name"),
        },
        "read" => WidgetServerFrame::Read {
            conversation_id: int(o, "conversation_id")?,
            message_id: int(o, "message_id")?,
        },
        "status" => WidgetServerFrame::Status {
            conversation_id: int(o, "conversation_id")?,
            status: string(o, "status"),
            csat_open: boolean(o, "csat_open"),
        },
        "error" => WidgetServerFrame::Error {
            client_id: opt_string(o, "client_id"),
            message: string(o, "message"),
        },
        _ => return None,
    })
}

/// A frame to the server, as JSON text.
pub fn client_frame(f: &WidgetClientFrame) -> String {
    stringify(&match f {
        WidgetClientFrame::Send { client_id, body } => obj(&[
            ("type", s("send")),
            ("client_id", s(client_id)),
            ("body", s(body)),
        ]),
        WidgetClientFrame::Typing { typing } => obj(&[
            ("type", s("typing")),
            ("typing", JsValue::from_bool(*typing)),
        ]),
        WidgetClientFrame::Read { message_id } => obj(&[
            ("type", s("read")),
            ("message_id", JsValue::from_f64(f64::from(*message_id))),
        ]),
    })
}

/// The offline queue as JSON text.
pub fn queue_to_json(q: &[Pending]) -> String {
    let arr = js_sys::Array::new();
    for p in q {
        arr.push(&obj(&[
            ("client_id", s(&p.client_id)),
            ("body", s(&p.body)),
        ]));
    }
    stringify(&arr.into())
}

/// The offline queue from JSON text.
pub fn queue_from_json(text: &str) -> Vec<Pending> {
    let Some(v) = parse(text) else {
        return Vec::new();
    };
    if !js_sys::Array::is_array(&v) {
        return Vec::new();
    }
    js_sys::Array::from(&v)
        .iter()
        .map(|p| Pending {
            client_id: string(&p, "client_id"),
            body: string(&p, "body"),
            error: None,
        })
        .filter(|p| !p.client_id.is_empty())
        .collect()
}
