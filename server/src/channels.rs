//! Channel edges: the inbound email webhook (`/hooks/email/{token}`), the chat
//! widget's frame page, JSON API and WebSocket (`/widget/…`), and the demo host page
//! (`/demo/store`). Thin: extract, authenticate by key/token, call one service, map.
//!
//! `/hooks/*` is exempt from the CSRF origin check (outside providers call it; the
//! secret path token authenticates). The widget's calls come from its own frame on
//! this origin, so they pass the check like the app's.

use crate::http::{ApiError, ServerState};
use app::error::AppError;
use app::services::channels::email_in::{self, EmailOutcome, Source};
use app::services::channels::inbound::InboundFile;
use app::services::channels::{settings, widget};
use app::services::tenancy::Scoped;
use app::services::RequestMeta;
use app::services::{behaviour, targeted, tours};
use app::types::{ticket_ref, WidgetClientFrame, WidgetServerFrame};
use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use base64::Engine;
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use std::time::Duration;

/// The channel routes.
pub fn router() -> Router<ServerState> {
    Router::new()
        .route("/hooks/email/{token}", post(email_webhook))
        .route("/widget/frame", get(frame))
        .route("/widget/api/session", post(session))
        .route("/widget/api/messages", post(send))
        .route("/widget/api/upload", post(upload))
        .route("/widget/api/email", post(set_email))
        .route("/widget/api/read", post(read))
        .route("/widget/api/csat", post(csat))
        .route("/widget/api/files/{id}", get(file))
        .route("/widget/api/suggest", post(suggest))
        .route("/widget/api/suggest/open", post(suggest_open))
        .route("/widget/api/suggest/sent", post(suggest_sent))
        .route("/widget/api/visit", post(visit))
        .route("/widget/api/track", post(track))
        .route("/widget/api/targeted", post(targeted_event))
        .route("/widget/api/tour", post(tour_event))
        .route("/widget/ws", get(ws))
        .route("/demo/store", get(demo_store))
}

fn ip(meta: Option<&Extension<RequestMeta>>) -> Option<String> {
    meta.and_then(|m| m.0.ip.clone())
}

/// `POST /hooks/email/{token}`: one inbound email, as raw MIME (`message/rfc822`,
/// `text/plain` or `application/octet-stream`) or Postmark's inbound JSON
/// (`application/json`). Answers 200 once it is stored (or known), so a provider
/// retrying after a timeout never duplicates it.
async fn email_webhook(
    State(s): State<ServerState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let row = settings::by_inbound_token(&s.app.db, &token)
        .await?
        .ok_or_else(|| AppError::NotFound("Inbound email address".into()))?;
    if !row.enabled {
        return Err(AppError::Forbidden(
            "Email is switched off for this workspace (Settings → Channels).".into(),
        )
        .into());
    }
    if body.is_empty() {
        return Err(AppError::field("body", "The request has no email in it.").into());
    }
    let scope = Scoped::new(row.workspace_id);
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    let outcome = if json {
        email_in::receive_postmark(&s.app, scope, &body).await?
    } else {
        email_in::receive_raw(&s.app, scope, &body, Source::Webhook).await?
    };
    let body = match outcome {
        EmailOutcome::Stored(r) => serde_json::json!({
            "status": if r.new { "stored" } else { "duplicate" },
            "conversation": ticket_ref(r.conversation_number),
            "message_id": r.message_id,
            "opened": r.opened,
        }),
        EmailOutcome::SideReply { message_id } => {
            serde_json::json!({ "status": "side_reply", "message_id": message_id })
        }
        EmailOutcome::Bounce { matched, reason } => {
            serde_json::json!({ "status": "bounce", "matched": matched, "reason": reason })
        }
        EmailOutcome::Ignored(why) => serde_json::json!({ "status": "ignored", "reason": why }),
    };
    Ok((StatusCode::OK, Json(body)).into_response())
}

#[derive(Debug, Deserialize)]
struct KeyQuery {
    key: String,
    #[serde(default)]
    token: Option<String>,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `GET /widget/frame?key=…`: the document inside the widget's iframe. Allowed
/// embedding origins are enforced by the browser through `frame-ancestors`.
async fn frame(
    State(s): State<ServerState>,
    Query(q): Query<KeyQuery>,
) -> Result<Response, ApiError> {
    let row = widget::settings_for_key(&s.app.db, &q.key).await?;
    let origins = widget::allowed_origins(&row);
    let ancestors = if origins.is_empty() {
        "*".to_owned()
    } else {
        origins.join(" ")
    };
    let key = esc(&q.key);
    let html = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Chat</title><link rel="stylesheet" href="/widget/widget.css"></head><body data-key="{key}"><div id="sbw"></div><script type="module">import init from '/widget/switchboard_widget.js'; init({{ module_or_path: '/widget/switchboard_widget_bg.wasm' }});</script></body></html>"#
    );
    Ok((
        [
            (
                header::CONTENT_SECURITY_POLICY,
                format!("frame-ancestors {ancestors}; default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:"),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Html(html),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionBody {
    key: String,
    token: Option<String>,
}

async fn session(
    State(s): State<ServerState>,
    meta: Option<Extension<RequestMeta>>,
    Json(b): Json<SessionBody>,
) -> Result<Response, ApiError> {
    let sess = widget::session(
        &s.app,
        &b.key,
        b.token.as_deref(),
        ip(meta.as_ref()).as_deref(),
    )
    .await?;
    Ok(Json(sess).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SendBody {
    key: String,
    token: String,
    client_id: String,
    body: String,
}

async fn send(
    State(s): State<ServerState>,
    meta: Option<Extension<RequestMeta>>,
    Json(b): Json<SendBody>,
) -> Result<Response, ApiError> {
    let v = widget::visitor(&s.app, &b.key, &b.token).await?;
    let m = widget::send(
        &s.app,
        &v,
        &b.client_id,
        &b.body,
        None,
        ip(meta.as_ref()).as_deref(),
    )
    .await?;
    Ok(Json(serde_json::json!({ "message": m })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SuggestBody {
    key: String,
    token: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    session: String,
    #[serde(default)]
    article_id: i32,
}

/// `POST /widget/api/suggest`: help articles for what the visitor is typing
/// (deflection); the answer carries the suggestion session to send back.
async fn suggest(
    State(s): State<ServerState>,
    Json(b): Json<SuggestBody>,
) -> Result<Response, ApiError> {
    let v = widget::visitor(&s.app, &b.key, &b.token).await?;
    let brand = app::services::kb::structure::default_brand(&s.app.db, v.scope).await?;
    let out = app::services::kb::deflection::suggest(
        &s.app.db,
        v.scope,
        "chat",
        (!b.session.is_empty()).then_some(b.session.as_str()),
        &b.text,
        &brand.default_locale,
    )
    .await?;
    Ok(Json(out).into_response())
}

/// `POST /widget/api/suggest/open`: the visitor opened a suggested article.
async fn suggest_open(
    State(s): State<ServerState>,
    Json(b): Json<SuggestBody>,
) -> Result<Response, ApiError> {
    let v = widget::visitor(&s.app, &b.key, &b.token).await?;
    app::services::kb::deflection::opened(&s.app.db, v.scope, &b.session, b.article_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /widget/api/suggest/sent`: the visitor sent a message after suggestions
/// (not deflected).
async fn suggest_sent(
    State(s): State<ServerState>,
    Json(b): Json<SuggestBody>,
) -> Result<Response, ApiError> {
    let v = widget::visitor(&s.app, &b.key, &b.token).await?;
    let Some(customer) = v.customer_id else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let ids = widget::conversation_ids(&s.app.db, v.scope, customer).await?;
    if let Some(c) = ids.iter().max() {
        app::services::kb::deflection::submitted(&s.app.db, v.scope, Some(&b.session), *c).await?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadBody {
    key: String,
    token: String,
    client_id: String,
    filename: String,
    content_type: String,
    /// Base64 of the file.
    data: String,
    #[serde(default)]
    body: String,
}

async fn upload(
    State(s): State<ServerState>,
    meta: Option<Extension<RequestMeta>>,
    Json(b): Json<UploadBody>,
) -> Result<Response, ApiError> {
    let v = widget::visitor(&s.app, &b.key, &b.token).await?;
    let data = base64::engine::general_purpose::STANDARD
        .decode(b.data.trim())
        .map_err(|_| AppError::field("data", "The file could not be read; choose it again."))?;
    let f = InboundFile {
        filename: b.filename,
        content_type: b.content_type,
        content_id: None,
        data,
    };
    let m = widget::send(
        &s.app,
        &v,
        &b.client_id,
        &b.body,
        Some(f),
        ip(meta.as_ref()).as_deref(),
    )
    .await?;
    Ok(Json(serde_json::json!({ "message": m })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailBody {
    key: String,
    token: String,
    email: String,
    name: Option<String>,
    /// The browser's IANA zone (campaign quiet hours); ignored when unknown.
    #[serde(default)]
    timezone: Option<String>,
}

async fn set_email(
    State(s): State<ServerState>,
    Json(b): Json<EmailBody>,
) -> Result<Response, ApiError> {
    let v = widget::visitor(&s.app, &b.key, &b.token).await?;
    widget::set_email(
        &s.app,
        &v,
        &b.email,
        b.name.as_deref(),
        b.timezone.as_deref(),
    )
    .await?;
    Ok(Json(serde_json::json!({ "ok": true })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadBody {
    key: String,
    token: String,
    message_id: i32,
}

async fn read(State(s): State<ServerState>, Json(b): Json<ReadBody>) -> Result<Response, ApiError> {
    let v = widget::visitor(&s.app, &b.key, &b.token).await?;
    widget::mark_read(&s.app, &v, b.message_id).await?;
    Ok(Json(serde_json::json!({ "ok": true })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VisitBody {
    key: String,
    token: String,
    url: String,
    #[serde(default)]
    title: String,
}

/// `POST /widget/api/visit`: the visitor is on a page of the customer's site
/// (the widget script reports each page, also a single-page app's). Records
/// the page view; answers the targeted messages to show there and the tour to
/// run, if any.
async fn visit(
    State(s): State<ServerState>,
    Json(b): Json<VisitBody>,
) -> Result<Response, ApiError> {
    let v = widget::visitor(&s.app, &b.key, &b.token).await?;
    let url = behaviour::check_page(&v, &b.url)?;
    behaviour::page_view(&s.app, &v, &url, &b.title).await?;
    let messages = targeted::for_page(&s.app, &v, &url).await?;
    let tour = tours::for_page(&s.app, &v, &url).await?;
    Ok(Json(serde_json::json!({ "messages": messages, "tour": tour })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrackBody {
    key: String,
    token: String,
    name: String,
    #[serde(default)]
    properties: Option<serde_json::Value>,
    #[serde(default)]
    url: Option<String>,
}

/// `POST /widget/api/track`: one of the site's own events
/// (`Switchboard('track', 'signed_up', {plan: 'pro'})`).
async fn track(
    State(s): State<ServerState>,
    Json(b): Json<TrackBody>,
) -> Result<Response, ApiError> {
    let v = widget::visitor(&s.app, &b.key, &b.token).await?;
    behaviour::event(&s.app, &v, &b.name, b.properties.as_ref(), b.url.as_deref()).await?;
    Ok(Json(serde_json::json!({ "ok": true })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetedBody {
    key: String,
    token: String,
    message_id: i32,
    event: String,
    /// A campaign's in-app send (its token).
    #[serde(default)]
    send: Option<String>,
}

/// `POST /widget/api/targeted`: a targeted message was shown, clicked or
/// dismissed.
async fn targeted_event(
    State(s): State<ServerState>,
    Json(b): Json<TargetedBody>,
) -> Result<Response, ApiError> {
    let v = widget::visitor(&s.app, &b.key, &b.token).await?;
    targeted::record(&s.app, &v, b.message_id, &b.event, b.send.as_deref()).await?;
    Ok(Json(serde_json::json!({ "ok": true })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TourBody {
    key: String,
    token: String,
    tour_id: i32,
    #[serde(default)]
    step: String,
    event: String,
}

/// `POST /widget/api/tour`: a tour step was shown, its element was missing,
/// the visitor closed the tour there, or finished it.
async fn tour_event(
    State(s): State<ServerState>,
    Json(b): Json<TourBody>,
) -> Result<Response, ApiError> {
    let v = widget::visitor(&s.app, &b.key, &b.token).await?;
    tours::record(&s.app, &v, b.tour_id, &b.step, &b.event).await?;
    Ok(Json(serde_json::json!({ "ok": true })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CsatBody {
    key: String,
    token: String,
    conversation_id: i32,
    rating: i32,
    comment: Option<String>,
}

async fn csat(State(s): State<ServerState>, Json(b): Json<CsatBody>) -> Result<Response, ApiError> {
    let v = widget::visitor(&s.app, &b.key, &b.token).await?;
    widget::rate(
        &s.app,
        &v,
        b.conversation_id,
        b.rating,
        b.comment.as_deref(),
    )
    .await?;
    Ok(Json(serde_json::json!({ "ok": true })).into_response())
}

async fn file(
    State(s): State<ServerState>,
    Path(id): Path<i32>,
    Query(q): Query<KeyQuery>,
) -> Result<Response, ApiError> {
    let v = widget::visitor(&s.app, &q.key, q.token.as_deref().unwrap_or_default()).await?;
    let (a, bytes) = widget::file(&s.app, &v, id).await?;
    Ok(crate::http::download(
        &a.filename,
        a.content_type,
        bytes,
        "private, no-store",
    ))
}

/// `GET /widget/ws?key=…&token=…`: the visitor's live channel (messages, agent
/// typing, read receipts, status) and their typing / read / send frames.
async fn ws(
    State(s): State<ServerState>,
    Query(q): Query<KeyQuery>,
    meta: Option<Extension<RequestMeta>>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let v = widget::visitor(&s.app, &q.key, q.token.as_deref().unwrap_or_default()).await?;
    let ip = ip(meta.as_ref());
    // Widget frames are small: small buffers keep thousands of open sockets cheap.
    Ok(upgrade
        .read_buffer_size(8 * 1024)
        .write_buffer_size(8 * 1024)
        .max_message_size(64 * 1024)
        .on_upgrade(move |socket| run_ws(socket, s, v, ip)))
}

/// Drops a widget socket's watcher from the hub however the socket ends.
struct WatchGuard {
    bus: std::sync::Arc<dyn app::services::bus::EventBus>,
    id: app::services::bus::WatcherId,
}

impl Drop for WatchGuard {
    fn drop(&mut self) {
        self.bus.hub().unwatch_all(self.id);
    }
}

/// The visitor's conversations this socket follows: loads them once the
/// visitor is a customer, and watches each (plus the customer, so a new
/// conversation's first message finds the socket) on the hub.
struct Following {
    known: Option<std::collections::HashSet<i32>>,
    watched: std::collections::HashSet<i32>,
    customer: Option<i32>,
}

impl Following {
    async fn sync(&mut self, s: &ServerState, v: &widget::Visitor, guard: &WatchGuard) {
        use app::services::bus::Topic;
        let Some(cid) = v.customer_id else { return };
        let hub = s.app.bus.hub();
        if self.customer != Some(cid) {
            hub.watch(guard.id, Topic::Customer(cid));
            self.customer = Some(cid);
            self.known = None;
        }
        if self.known.is_none() {
            self.known = widget::conversation_ids(&s.app.db, v.scope, cid).await.ok();
        }
        for id in self.known.iter().flatten() {
            if self.watched.insert(*id) {
                hub.watch(guard.id, Topic::Conversation(*id));
            }
        }
    }
}

async fn run_ws(socket: WebSocket, s: ServerState, mut v: widget::Visitor, ip: Option<String>) {
    use app::services::metrics as m;
    let ws_id = v.scope.workspace_id();
    // Only this visitor's conversations reach this socket (see `Hub::watcher`).
    let (watcher, mut events) = s.app.bus.hub().watcher(ws_id);
    let guard = WatchGuard {
        bus: s.app.bus.clone(),
        id: watcher,
    };
    let mut follow = Following {
        known: None,
        watched: std::collections::HashSet::new(),
        customer: None,
    };
    follow.sync(&s, &v, &guard).await;
    let mut shutdown = s.shutdown.clone();
    let (mut tx, mut rx) = socket.split();
    let mut ping = tokio::time::interval(Duration::from_secs(25));
    m::add(&m::WS_CONNECTIONS, 1);
    loop {
        tokio::select! {
            ev = events.recv() => match ev {
                Some(e) => {
                    let Some(cid) = v.customer_id else { continue };
                    let Some(ids) = follow.known.as_mut() else { continue };
                    match widget::frame_for(&s.app, &v, cid, ids, &e).await {
                        Ok(Some(f)) => {
                            let Ok(text) = serde_json::to_string(&f) else { continue };
                            if tx.send(Message::Text(text.into())).await.is_err() { break; }
                            m::inc(&m::WS_EVENTS_DELIVERED);
                        }
                        Ok(None) => {}
                        Err(err) => tracing::warn!(error = %err, "widget frame failed"),
                    }
                    // A conversation seen for the first time is followed from now on.
                    follow.sync(&s, &v, &guard).await;
                }
                None => break,
            },
            msg = rx.next() => match msg {
                Some(Ok(Message::Text(t))) => {
                    let was_customer = v.customer_id.is_some();
                    let reply = handle_frame(&s, &mut v, &t, ip.as_deref()).await;
                    let mut frames = Vec::new();
                    if let Some(WidgetServerFrame::Message { message }) = &reply {
                        // A send may have made the visitor a customer or opened a
                        // conversation: follow it from now on.
                        follow.known = None;
                        follow.sync(&s, &v, &guard).await;
                        if !was_customer {
                            // What was published before this socket could follow
                            // the new customer (a bot's instant answer) comes now.
                            if let Ok(thread) = widget::thread(&s.app, &v).await {
                                frames.extend(
                                    thread
                                        .messages
                                        .into_iter()
                                        .filter(|m| m.id > message.id)
                                        .map(|message| WidgetServerFrame::Message { message }),
                                );
                            }
                        }
                    }
                    let mut closed = false;
                    for f in reply.into_iter().chain(frames) {
                        let Ok(text) = serde_json::to_string(&f) else { continue };
                        if tx.send(Message::Text(text.into())).await.is_err() {
                            closed = true;
                            break;
                        }
                    }
                    if closed { break; }
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => {
                if tx.send(Message::Ping(Vec::new().into())).await.is_err() { break; }
            }
            _ = shutdown.changed() => break,
        }
    }
    drop(guard);
    let _ = tx.send(Message::Close(None)).await;
    m::add(&m::WS_CONNECTIONS, -1);
}

/// Handles one frame from the widget; a send is answered with the stored message
/// (its acknowledgement) or the error.
async fn handle_frame(
    s: &ServerState,
    v: &mut widget::Visitor,
    text: &str,
    ip: Option<&str>,
) -> Option<WidgetServerFrame> {
    let frame: WidgetClientFrame = match serde_json::from_str(text) {
        Ok(f) => f,
        Err(_) => {
            return Some(WidgetServerFrame::Error {
                client_id: None,
                message:
                    "The widget sent something the server did not understand; reload the page."
                        .into(),
            })
        }
    };
    match frame {
        WidgetClientFrame::Send { client_id, body } => {
            match widget::send(&s.app, v, &client_id, &body, None, ip).await {
                Ok(m) => {
                    if v.customer_id.is_none() {
                        // First message: the visitor is now a customer; refresh so
                        // this socket follows their conversation.
                        if let Ok(fresh) = widget::visitor(
                            &s.app,
                            v.settings.public_key.as_deref().unwrap_or_default(),
                            &v.token,
                        )
                        .await
                        {
                            *v = fresh;
                        }
                    }
                    // The acknowledgement (with the client id), also for a resend the
                    // server already had: the widget clears its queue on it.
                    Some(WidgetServerFrame::Message { message: m })
                }
                Err(e) => Some(WidgetServerFrame::Error {
                    client_id: Some(client_id),
                    message: AppError::from(e).to_string(),
                }),
            }
        }
        WidgetClientFrame::Typing { typing } => {
            let _ = widget::typing(&s.app, v, typing).await;
            None
        }
        WidgetClientFrame::Read { message_id } => {
            let _ = widget::mark_read(&s.app, v, message_id).await;
            None
        }
    }
}

#[derive(Debug, Deserialize)]
struct DemoQuery {
    workspace: Option<String>,
}

/// `GET /demo/store`: a pretend shop page embedding the widget with one script tag,
/// the way a customer's site would.
async fn demo_store(
    State(s): State<ServerState>,
    Query(q): Query<DemoQuery>,
) -> Result<Response, ApiError> {
    let (ws, key) = demo_key(&s, q.workspace.as_deref()).await?;
    let base = s.app.config.base_url();
    let html = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="/favicon.svg" type="image/svg+xml"><title>Trailhead Outfitters — demo store</title>
<style>
/* Deliberately aggressive host styles: the widget must not be affected. */
* {{ box-sizing: content-box; }}
body {{ margin:0; font: 18px Georgia, serif; color:#222; background:#f7f3ea; }}
button {{ background: red !important; font-size: 30px !important; border-radius: 0 !important; }}
iframe {{ border: 8px solid lime; }}
header {{ background:#2f4f3a; color:#fff; padding:18px 32px; display:flex; justify-content:space-between; align-items:center; }}
header h1 {{ margin:0; font-size:26px; letter-spacing:.5px; }}
main {{ max-width:980px; margin:32px auto; padding:0 24px; }}
.grid {{ display:grid; grid-template-columns:repeat(3,1fr); gap:24px; }}
.card {{ background:#fff; border-radius:10px; padding:18px; box-shadow:0 1px 3px rgba(0,0,0,.12); }}
.swatch {{ height:140px; border-radius:8px; margin-bottom:12px; }}
.price {{ color:#2f4f3a; font-weight:bold; }}
</style></head><body>
<header><h1>Trailhead Outfitters</h1><nav>Shop · Journal · Help</nav></header>
<main><p id="store-intro">This page plays the part of a customer's website ({ws}). The chat bubble in the corner is the Switchboard widget, embedded with one script tag.</p>
<div class="grid">
<div class="card"><div class="swatch" style="background:#7a9e7e"></div><h3 data-tour="featured">Ridge Shell Jacket</h3><p class="price">€189</p></div>
<div class="card"><div class="swatch" style="background:#c98b4f"></div><h3>Summit 40L Pack</h3><p class="price">€149</p></div>
<div class="card"><div class="swatch" style="background:#4f6d8a"></div><h3>Trail Runner GTX</h3><p class="price">€139</p></div>
</div></main>
<script src="{base}/widget.js" data-key="{key}" async></script>
</body></html>"#,
        ws = esc(&ws),
        key = esc(&key),
    );
    Ok(Html(html).into_response())
}

async fn demo_key(s: &ServerState, slug: Option<&str>) -> Result<(String, String), ApiError> {
    use app::services::tenancy::global;
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    let q = global::<entity::workspace::Entity>();
    let ws = match slug {
        Some(sl) => q.filter(entity::workspace::Column::Slug.eq(sl)),
        None => q.order_by_asc(entity::workspace::Column::Id),
    }
    .one(&s.app.db)
    .await
    .map_err(|e| ApiError::from(app::services::ServiceError::from(e)))?
    .ok_or_else(|| AppError::NotFound("Workspace".into()))?;
    let row =
        settings::get_or_create(&s.app.db, Scoped::new(ws.id), app::types::Channel::Chat).await?;
    Ok((ws.name, row.public_key.unwrap_or_default()))
}
