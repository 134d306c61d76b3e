//! The MCP server's transports (the protocol is `app::services::mcp`):
//! - streamable HTTP at `POST /mcp` (`Authorization: Bearer <API key>`), answering
//!   each JSON-RPC request (or batch) with `application/json`; notifications get
//!   `202 Accepted`. The server keeps no session and sends no server-initiated
//!   stream, so `GET`/`DELETE /mcp` answer 405.
//! - stdio (`switchboard mcp`, the key in `--key` or `SWITCHBOARD_API_KEY`): one
//!   JSON-RPC message per line on stdin, one answer per line on stdout; logs go
//!   to stderr.

use crate::http::ServerState;
use app::services::api_keys::{self, AuthenticatedKey};
use app::services::{mcp, AppState, RequestMeta};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

async fn dispatch(
    state: &AppState,
    key: &AuthenticatedKey,
    meta: &RequestMeta,
    body: Value,
) -> Option<Value> {
    match body {
        Value::Array(batch) => {
            let mut out = Vec::new();
            for m in batch {
                if let Some(r) = mcp::handle(state, key, meta, m).await {
                    out.push(r);
                }
            }
            (!out.is_empty()).then_some(Value::Array(out))
        }
        m => mcp::handle(state, key, meta, m).await,
    }
}

fn json_response(status: StatusCode, v: &Value) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        v.to_string(),
    )
        .into_response()
}

/// `POST /mcp`.
pub async fn post(
    State(st): State<ServerState>,
    meta: Option<axum::Extension<RequestMeta>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Browsers on other sites (DNS rebinding) are refused; MCP clients send no Origin.
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        if origin.trim_end_matches('/') != st.app.config.base_url() {
            return json_response(
                StatusCode::FORBIDDEN,
                &json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": "Cross-origin requests to /mcp are not allowed."}}),
            );
        }
    }
    let Some(secret) = crate::api::auth::bearer(&headers) else {
        return unauthorized(
            "Send your API key as `Authorization: Bearer sbk_…` (Settings → API keys).",
        );
    };
    let key = match api_keys::authenticate(&st.app.db, secret).await {
        Ok(k) => k,
        Err(_) => return unauthorized("This API key is not valid (revoked, or never existed)."),
    };
    let msg: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return json_response(StatusCode::BAD_REQUEST, &mcp::parse_error(&e.to_string())),
    };
    let meta = meta.map(|m| m.0).unwrap_or_default();
    match dispatch(&st.app, &key, &meta, msg).await {
        Some(v) => json_response(StatusCode::OK, &v),
        None => StatusCode::ACCEPTED.into_response(),
    }
}

fn unauthorized(message: &str) -> Response {
    let mut r = json_response(
        StatusCode::UNAUTHORIZED,
        &json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32001, "message": message}}),
    );
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    r
}

/// `GET` and `DELETE /mcp`: no server-initiated stream, no sessions.
pub async fn not_allowed() -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [(header::ALLOW, HeaderValue::from_static("POST"))],
        "",
    )
        .into_response()
}

/// `switchboard mcp`: serves MCP on stdin/stdout as the key's member.
///
/// # Errors
/// A key that does not authenticate; stdin/stdout failures.
pub async fn stdio(state: AppState, secret: &str) -> anyhow::Result<()> {
    use std::io::{BufRead, Write};
    let key = api_keys::authenticate(&state.db, secret)
        .await
        .map_err(|_| anyhow::anyhow!("the API key is not valid (revoked, or never existed)"))?;
    tracing::info!(workspace = key.actor.scope.workspace_id(), member = %key.actor.label(), "MCP on stdio");
    let meta = RequestMeta {
        ip: None,
        user_agent: Some("switchboard mcp (stdio)".into()),
        request_id: None,
    };
    // Blocking stdin on its own thread, lines handed over one by one.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<std::io::Result<String>>(16);
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            if tx.blocking_send(line).is_err() {
                break;
            }
        }
    });
    while let Some(line) = rx.recv().await {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let reply = match serde_json::from_str::<Value>(&line) {
            Ok(msg) => dispatch(&state, &key, &meta, msg).await,
            Err(e) => Some(mcp::parse_error(&e.to_string())),
        };
        if let Some(r) = reply {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{r}")?;
            out.flush()?;
        }
    }
    Ok(())
}
