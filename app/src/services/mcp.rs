//! The MCP server (SPEC C13.4): JSON-RPC 2.0 as the Model Context Protocol
//! defines it, shared by both transports (`switchboard mcp` on stdio, and
//! streamable HTTP at `/mcp`), authenticated by an API key whose scopes are
//! respected.
//!
//! Tools: `search_knowledge_base`, `get_customer_history` (reads, recorded in the
//! activity log), `send_response` (the registry's `reply`), and every registry
//! tool — `create_ticket`, `escalate_to_human`, `ticket_merge`, `apply_macro` and
//! the rest. Registry tools are proposals like the AI agent's: the same policies
//! decide, approvals apply, the same audit records them; an allowed one runs at
//! once and its result comes back in the call. Resources:
//! `switchboard://workspace/current` and `switchboard://config/platform`.

use super::actions::{self, registry, Proposal, Proposer};
use super::activity::{self, Entry, Who};
use super::api_keys::AuthenticatedKey;
use super::context::RequestMeta;
use super::inbox::conversations;
use super::{now, AppState, ServiceError, ServiceResult};
use crate::types::{ticket_ref, ActionView, Status};
use entity::{channel_setting, conversation, customer, customer_identifier, membership};
use sea_orm::{ColumnTrait, ConnectionTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{json, Map, Value};

/// Protocol versions this server speaks, newest first.
pub const PROTOCOL_VERSIONS: &[&str] = &["2025-06-18", "2025-03-26", "2024-11-05"];

const WORKSPACE_URI: &str = "switchboard://workspace/current";
const PLATFORM_URI: &str = "switchboard://config/platform";

/// JSON-RPC error codes.
mod code {
    pub const PARSE: i64 = -32700;
    pub const INVALID_REQUEST: i64 = -32600;
    pub const METHOD_NOT_FOUND: i64 = -32601;
    pub const INVALID_PARAMS: i64 = -32602;
    pub const INTERNAL: i64 = -32603;
}

fn error(id: &Value, code: i64, message: impl Into<String>) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message.into()}})
}

fn ok(id: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

/// A JSON-RPC parse error (the body or line was not JSON).
pub fn parse_error(detail: &str) -> Value {
    error(&Value::Null, code::PARSE, format!("Not JSON: {detail}"))
}

/// Handles one JSON-RPC message; `None` for notifications and responses (nothing
/// to send back).
pub async fn handle(
    state: &AppState,
    key: &AuthenticatedKey,
    meta: &RequestMeta,
    msg: Value,
) -> Option<Value> {
    let id = msg.get("id").cloned();
    let Some(method) = msg.get("method").and_then(Value::as_str) else {
        // A response or garbage: answer only what carries an id.
        return id
            .filter(|_| msg.get("result").is_none() && msg.get("error").is_none())
            .map(|id| {
                error(
                    &id,
                    code::INVALID_REQUEST,
                    "A request needs `jsonrpc`, `id` and `method`.",
                )
            });
    };
    let Some(id) = id else {
        return None; // notifications/initialized, notifications/cancelled, …
    };
    let params = msg.get("params").cloned().unwrap_or_else(|| json!({}));
    let r = match method {
        "initialize" => Ok(initialize(&params)),
        "ping" => Ok(json!({})),
        "tools/list" => Ok(json!({"tools": tools_list()})),
        "tools/call" => return Some(call_tool(state, key, meta, &id, &params).await),
        "resources/list" => Ok(json!({"resources": [
            {"uri": WORKSPACE_URI, "name": "Current workspace", "description": "The workspace this API key belongs to: name, members, channels, open work, AI settings.", "mimeType": "application/json"},
            {"uri": PLATFORM_URI, "name": "Platform configuration", "description": "This Switchboard server: version, database, limits, tools (no secrets).", "mimeType": "application/json"},
        ]})),
        "resources/templates/list" => Ok(json!({"resourceTemplates": []})),
        "resources/read" => read_resource(state, key, &params).await,
        other => {
            return Some(error(
                &id,
                code::METHOD_NOT_FOUND,
                format!("Unknown method `{other}`."),
            ))
        }
    };
    Some(match r {
        Ok(v) => ok(&id, v),
        Err(e) => match e {
            ServiceError::Invalid { message, .. } => error(&id, code::INVALID_PARAMS, message),
            ServiceError::NotFound(what) => {
                error(&id, code::INVALID_PARAMS, format!("{what} not found."))
            }
            ServiceError::Forbidden(m) => error(&id, code::INVALID_PARAMS, m),
            other => {
                tracing::error!(error = %other, "MCP request failed");
                error(&id, code::INTERNAL, "Internal error.")
            }
        },
    })
}

fn initialize(params: &Value) -> Value {
    let asked = params
        .get("protocolVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let version = PROTOCOL_VERSIONS
        .iter()
        .find(|v| **v == asked)
        .copied()
        .unwrap_or(PROTOCOL_VERSIONS[0]);
    json!({
        "protocolVersion": version,
        "capabilities": {
            "tools": {"listChanged": false},
            "resources": {"subscribe": false, "listChanged": false},
        },
        "serverInfo": {"name": "switchboard", "title": "Switchboard", "version": env!("CARGO_PKG_VERSION")},
        "instructions": "Switchboard's help desk. Tools that change things are proposals: the workspace's AI policies decide whether they run at once, wait for a person's approval, or are refused; the result says which.",
    })
}

fn with_ticket(schema: Value) -> Value {
    let mut s = schema;
    if let Some(props) = s.get_mut("properties").and_then(Value::as_object_mut) {
        props.insert("ticket".into(), json!({"type": "integer", "minimum": 1, "description": "The ticket's number (TKT-000042 is 42)"}));
    }
    if let Some(req) = s.get_mut("required").and_then(Value::as_array_mut) {
        req.insert(0, json!("ticket"));
    }
    s
}

fn tools_list() -> Vec<Value> {
    let mut out = vec![
        json!({
            "name": "search_knowledge_base",
            "title": "Search the knowledge base",
            "description": "Searches the workspace's knowledge base (public and internal articles) and returns the best sections with links.",
            "inputSchema": {"type": "object", "properties": {
                "query": {"type": "string", "minLength": 1, "maxLength": 500, "description": "What to look for"},
                "limit": {"type": "integer", "minimum": 1, "maximum": 10, "description": "How many results (default 5)"},
            }, "required": ["query"], "additionalProperties": false},
            "annotations": {"readOnlyHint": true},
        }),
        json!({
            "name": "get_customer_history",
            "title": "A customer's history",
            "description": "A customer (by email) and their recent tickets: number, subject, status, channel, last update.",
            "inputSchema": {"type": "object", "properties": {
                "customer_email": {"type": "string", "minLength": 3, "maxLength": 254, "description": "The customer's email"},
            }, "required": ["customer_email"], "additionalProperties": false},
            "annotations": {"readOnlyHint": true},
        }),
    ];
    for t in registry::get().all() {
        let name = if t.name == "reply" {
            "send_response"
        } else {
            t.name
        };
        let schema = if t.needs_conversation {
            with_ticket(t.schema())
        } else {
            t.schema()
        };
        out.push(json!({
            "name": name,
            "title": t.label,
            "description": format!("{} (Risk: {}. Decided by the workspace's AI policies; may wait for approval.)", t.description, t.risk.as_str()),
            "inputSchema": schema,
        }));
    }
    out
}

/// The scope a tool needs.
fn scope_for(tool: &str) -> &'static str {
    match tool {
        "search_knowledge_base" => "conversations:read",
        "get_customer_history" => "customers:read",
        "send_response" | "reply" => "messages:write",
        _ => "conversations:write",
    }
}

fn tool_result(id: &Value, value: Value, is_error: bool) -> Value {
    let text = serde_json::to_string_pretty(&value).unwrap_or_default();
    ok(
        id,
        json!({
            "content": [{"type": "text", "text": text}],
            "structuredContent": value,
            "isError": is_error,
        }),
    )
}

fn tool_error(id: &Value, message: impl Into<String>) -> Value {
    let m = message.into();
    ok(
        id,
        json!({"content": [{"type": "text", "text": m}], "isError": true}),
    )
}

async fn call_tool(
    state: &AppState,
    key: &AuthenticatedKey,
    meta: &RequestMeta,
    id: &Value,
    params: &Value,
) -> Value {
    let Some(name) = params.get("name").and_then(Value::as_str) else {
        return error(id, code::INVALID_PARAMS, "`name`: which tool to call.");
    };
    let args = params
        .get("arguments")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let known = matches!(
        name,
        "search_knowledge_base" | "get_customer_history" | "send_response"
    ) || (name != "reply" && registry::get().tool(name).is_some());
    if !known {
        return error(id, code::INVALID_PARAMS, format!("Unknown tool `{name}`."));
    }
    if let Err(e) = key.require_scope(scope_for(name)) {
        return tool_error(
            id,
            e.to_string().trim_start_matches("forbidden: ").to_owned(),
        );
    }
    let r = match name {
        "search_knowledge_base" => search_kb(state, key, meta, &args).await.map(|v| (v, false)),
        "get_customer_history" => customer_history(state, key, meta, &args)
            .await
            .map(|v| (v, false)),
        _ => {
            run_registry(
                state,
                key,
                meta,
                if name == "send_response" {
                    "reply"
                } else {
                    name
                },
                args,
            )
            .await
        }
    };
    match r {
        Ok((v, is_error)) => tool_result(id, v, is_error),
        Err(ServiceError::Invalid { message, .. } | ServiceError::Conflict { message, .. }) => {
            tool_error(id, message)
        }
        Err(ServiceError::NotFound(what)) => tool_error(id, format!("{what} not found.")),
        Err(ServiceError::Forbidden(m)) => tool_error(id, m),
        Err(e) => {
            tracing::error!(error = %e, tool = name, "MCP tool failed");
            tool_error(id, "Internal error; nothing was changed.")
        }
    }
}

async fn audit_read(
    state: &AppState,
    key: &AuthenticatedKey,
    meta: &RequestMeta,
    tool: &str,
    args: &Value,
) -> ServiceResult<()> {
    activity::record(
        &state.db,
        key.actor.scope,
        &Who {
            user_id: Some(key.actor.user_id),
            label: format!("{} (MCP)", key.actor.label()),
        },
        meta,
        Entry::new("mcp.tool_called").diff(None, Some(json!({"tool": tool, "arguments": args}))),
    )
    .await
}

fn arg_str<'a>(args: &'a Value, k: &'static str, max: usize) -> ServiceResult<&'a str> {
    let s = args
        .get(k)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ServiceError::invalid("arguments", format!("`{k}`: required (text).")))?;
    if s.chars().count() > max {
        return Err(ServiceError::invalid(
            "arguments",
            format!("`{k}`: at most {max} characters."),
        ));
    }
    Ok(s)
}

async fn search_kb(
    state: &AppState,
    key: &AuthenticatedKey,
    meta: &RequestMeta,
    args: &Value,
) -> ServiceResult<Value> {
    use super::kb::search::{self, Audience};
    let q = arg_str(args, "query", 500)?;
    let limit = args
        .get("limit")
        .and_then(Value::as_u64)
        .unwrap_or(5)
        .clamp(1, 10);
    let limit = usize::try_from(limit).unwrap_or(5);
    let hits = search::retrieve(
        &state.db,
        key.actor.scope,
        q,
        Audience::Agent,
        "en",
        limit * 3,
        None,
    )
    .await?;
    let hits = search::best_per_article(hits, limit);
    audit_read(state, key, meta, "search_knowledge_base", args).await?;
    Ok(json!({"results": hits.iter().map(|h| json!({
        "title": h.title, "section": h.heading, "url": h.url, "internal": h.internal,
        "score": (h.score * 100.0).round() / 100.0,
        "text": super::ai::kbtext::excerpt(&h.text, 600),
    })).collect::<Vec<_>>()}))
}

async fn customer_history(
    state: &AppState,
    key: &AuthenticatedKey,
    meta: &RequestMeta,
    args: &Value,
) -> ServiceResult<Value> {
    let email = arg_str(args, "customer_email", 254)?.to_lowercase();
    let scope = key.actor.scope;
    let ident = scope
        .find::<customer_identifier::Entity>()
        .filter(customer_identifier::Column::Kind.eq("email"))
        .filter(customer_identifier::Column::Value.eq(email.clone()))
        .one(&state.db)
        .await?;
    let cust = match ident {
        Some(i) => {
            scope
                .find::<customer::Entity>()
                .filter(customer::Column::Id.eq(i.customer_id))
                .one(&state.db)
                .await?
        }
        None => None,
    };
    audit_read(state, key, meta, "get_customer_history", args).await?;
    let Some(cust) = cust else {
        return Ok(
            json!({"customer": null, "tickets": [], "note": format!("No customer with the email {email} in this workspace.")}),
        );
    };
    let tickets = if key.has_scope("conversations:read") {
        scope
            .find::<conversation::Entity>()
            .filter(conversation::Column::CustomerId.eq(cust.id))
            .order_by_desc(conversation::Column::Id)
            .limit(20)
            .all(&state.db)
            .await?
            .into_iter()
            .map(|c| {
                json!({
                    "ticket": ticket_ref(c.number), "number": c.number, "subject": c.subject,
                    "status": c.status, "priority": c.priority, "channel": c.channel,
                    "messages": c.message_count, "updated_at": c.updated_at.to_rfc3339(),
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(json!({
        "customer": {"id": cust.id, "name": cust.name, "email": cust.email, "company": cust.company, "since": cust.created_at.to_rfc3339()},
        "tickets": tickets,
    }))
}

async fn run_registry(
    state: &AppState,
    key: &AuthenticatedKey,
    meta: &RequestMeta,
    tool: &str,
    args: Value,
) -> ServiceResult<(Value, bool)> {
    let t = registry::get()
        .tool(tool)
        .ok_or(ServiceError::NotFound("Tool"))?;
    let mut input = match args {
        Value::Object(m) => m,
        _ => {
            return Err(ServiceError::invalid(
                "arguments",
                "The arguments must be a JSON object.",
            ))
        }
    };
    let conversation_id = if t.needs_conversation {
        let n = input
            .remove("ticket")
            .and_then(|v| {
                v.as_i64().or_else(|| {
                    v.as_str()
                        .and_then(|s| s.trim_start_matches("TKT-").parse().ok())
                })
            })
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| {
                ServiceError::invalid("arguments", "`ticket`: required (the ticket's number).")
            })?;
        let c = conversations::find_by_number(&state.db, key.actor.scope, n)
            .await
            .map_err(|_| {
                ServiceError::invalid(
                    "arguments",
                    format!("`ticket`: there is no ticket {} here.", ticket_ref(n)),
                )
            })?;
        Some(c.id)
    } else {
        None
    };
    let v = actions::propose(
        state,
        key.actor.scope,
        Proposal {
            tool: tool.to_owned(),
            input: Value::Object(input),
            conversation_id,
            reasoning: Some("Called through MCP".into()),
            proposer: Proposer::Mcp(key.actor.clone()),
            customer_note: None,
        },
        meta,
    )
    .await?;
    // An allowed action runs now, so its result comes back in this call (the
    // queued job then finds it finished).
    let v = if v.status == crate::types::action_status::RUNNING {
        actions::execute(state, key.actor.scope, v.id).await?;
        actions::one(state, key.actor.scope, v.id).await?
    } else {
        v
    };
    let failed = matches!(v.status.as_str(), "failed" | "denied" | "rejected");
    Ok((action_json(&v), failed))
}

fn action_json(v: &ActionView) -> Value {
    let mut m = Map::new();
    m.insert("action_id".into(), json!(v.id));
    m.insert("tool".into(), json!(v.tool));
    m.insert("status".into(), json!(v.status));
    m.insert("decision".into(), json!(v.decision.as_str()));
    m.insert("policy".into(), json!(v.decision_reason));
    m.insert("summary".into(), json!(v.summary));
    if let Some(o) = &v.output {
        m.insert(
            "output".into(),
            serde_json::from_str(o).unwrap_or_else(|_| json!(o)),
        );
    }
    if let Some(e) = &v.error {
        m.insert("error".into(), json!(e));
    }
    if v.status == "pending" {
        m.insert("note".into(), json!("Waiting for a person's approval in Switchboard (Approvals); it runs once approved."));
    }
    Value::Object(m)
}

async fn read_resource(
    state: &AppState,
    key: &AuthenticatedKey,
    params: &Value,
) -> ServiceResult<Value> {
    let uri = params
        .get("uri")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let body = match uri {
        WORKSPACE_URI => workspace_json(state, key).await?,
        PLATFORM_URI => platform_json(state),
        _ => {
            return Err(ServiceError::invalid(
                "uri",
                format!("Unknown resource `{uri}`."),
            ))
        }
    };
    Ok(
        json!({"contents": [{"uri": uri, "mimeType": "application/json", "text": serde_json::to_string_pretty(&body).unwrap_or_default()}]}),
    )
}

async fn workspace_json(state: &AppState, key: &AuthenticatedKey) -> ServiceResult<Value> {
    let scope = key.actor.scope;
    let db = &state.db;
    let ws = super::tenancy::global::<entity::workspace::Entity>()
        .filter(entity::workspace::Column::Id.eq(scope.workspace_id()))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Workspace"))?;
    let members = scope.find::<membership::Entity>().count(db).await?;
    let open: Vec<&str> = Status::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| s.as_str())
        .collect();
    let open_tickets = scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::Status.is_in(open))
        .filter(conversation::Column::MergedIntoId.is_null())
        .count(db)
        .await?;
    let channels: Vec<String> = scope
        .find::<channel_setting::Entity>()
        .filter(channel_setting::Column::Enabled.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.channel)
        .collect();
    let ai = super::ai::settings::load(db, scope).await?;
    let pending = scope
        .find::<entity::ai_action::Entity>()
        .filter(entity::ai_action::Column::Status.eq("pending"))
        .count(db)
        .await?;
    Ok(json!({
        "id": ws.id, "name": ws.name, "slug": ws.slug,
        "members": members, "open_tickets": open_tickets, "actions_waiting_for_approval": pending,
        "channels_enabled": channels,
        "ai": {"enabled": ai.enabled, "channels": ai.channels, "provider": ai.provider,
               "default_action_policy": super::actions::policy::default_effect(db, scope).await?.as_str()},
        "api_key": {"acts_as": key.actor.label(), "role": key.actor.role.as_str(), "scopes": key.scopes},
        "read_at": now().to_rfc3339(),
    }))
}

fn platform_json(state: &AppState) -> Value {
    let c = &state.config;
    json!({
        "product": "Switchboard",
        "version": env!("CARGO_PKG_VERSION"),
        "database": match state.db.get_database_backend() { sea_orm::DbBackend::Postgres => "postgresql", sea_orm::DbBackend::MySql => "mysql", sea_orm::DbBackend::Sqlite => "sqlite" },
        "public_url": c.base_url(),
        "event_bus": state.bus.health().map_or_else(|e| format!("failing: {e}"), |()| "ok".into()),
        "mcp_protocol_versions": PROTOCOL_VERSIONS,
        "tools": registry::get().all().len() + 2,
        "limits": {
            "api_requests_per_minute": c.api_requests_per_minute,
            "action_timeout_ms": c.action_timeout_ms,
            "max_attachment_bytes": c.max_attachment_bytes,
            "max_body_bytes": c.max_body_bytes,
        },
        "jobs": {"workers": c.jobs.workers, "max_attempts": c.jobs.max_attempts},
    })
}
