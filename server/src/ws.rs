//! `/ws`: one authenticated WebSocket per browser tab. Delivers the bus events of
//! the session's workspace only; closes when the member is removed or the server
//! shuts down. Cross-site upgrades are refused (the cookie alone is not enough).

use crate::http::{request_is_same_origin, session_actor, ApiError, ServerState};
use app::error::AppError;
use app::permissions::Action;
use app::services::metrics as m;
use app::services::Actor;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use futures::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tower_sessions::Session;

/// Upgrades after checking origin and session.
///
/// # Errors
/// 403 cross-site; 401 without a session.
pub async fn handler(
    State(s): State<ServerState>,
    session: Session,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    if !request_is_same_origin(&headers, &s.app.config.public_url) {
        return Err(AppError::Forbidden(
            "Cross-site WebSocket connections are not allowed.".into(),
        )
        .into());
    }
    let actor = session_actor(&session, &s.app, Action::ViewWorkspace).await?;
    Ok(ws.on_upgrade(move |socket| run(socket, s, actor)))
}

async fn run(socket: WebSocket, s: ServerState, actor: Actor) {
    let workspace_id = actor.scope.workspace_id();
    let mut events = s.app.bus.subscribe_workspace(workspace_id);
    let mut shutdown = s.shutdown.clone();
    let (mut tx, mut rx) = socket.split();
    let mut ping = tokio::time::interval(Duration::from_secs(25));
    m::add(&m::WS_CONNECTIONS, 1);
    tracing::debug!(
        user.id = actor.user_id,
        workspace.id = workspace_id,
        "websocket open"
    );
    loop {
        tokio::select! {
            ev = events.recv() => match ev {
                Ok(e) => {
                    let removed_me = e.kind == "team.member_removed"
                        && e.data.get("user_id").and_then(serde_json::Value::as_i64) == Some(i64::from(actor.user_id));
                    let Ok(text) = serde_json::to_string(&e) else { continue };
                    if tx.send(Message::Text(text.into())).await.is_err() { break; }
                    m::inc(&m::WS_EVENTS_DELIVERED);
                    if removed_me { break; }
                }
                Err(RecvError::Lagged(_)) => {
                    // Too slow: ask the page to refetch everything.
                    let msg = r#"{"kind":"resync","workspace_id":0,"data":null,"at":""}"#;
                    if tx.send(Message::Text(msg.into())).await.is_err() { break; }
                }
                Err(RecvError::Closed) => break,
            },
            msg = rx.next() => match msg {
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => {
                if tx.send(Message::Ping(Vec::new().into())).await.is_err() { break; }
            }
            _ = shutdown.changed() => break,
        }
    }
    let _ = tx.send(Message::Close(None)).await;
    m::add(&m::WS_CONNECTIONS, -1);
}
