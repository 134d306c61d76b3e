//! Outbound webhooks (SPEC C4.7). A workspace registers endpoints subscribing to
//! event kinds. When a unit of work that emitted such events commits, a delivery row
//! and its `webhook.deliver` job are written in the same transaction
//! ([`enqueue_for_events`]), so no event is lost to a crash between commit and send.
//!
//! Each delivery POSTs `{event, data, timestamp}` with `X-Switchboard-Event`,
//! `X-Switchboard-Event-Id` (stable across replays), `X-Switchboard-Delivery`,
//! `X-Switchboard-Timestamp` and `X-Switchboard-Signature: sha256=<hex HMAC-SHA256
//! of "{timestamp}.{body}">`, plus the endpoint's custom headers, with a 30 s timeout
//! and no redirects. Failures retry with the queue's exponential backoff; the log
//! keeps status, duration and a body excerpt; a replay sends the same event again.
//! An endpoint failing for 3 days is paused and the workspace's admins are emailed.
//! Destinations that resolve to private, loopback or link-local addresses are
//! refused unless the endpoint allows them, and the connection goes to the address
//! that was checked (no DNS rebinding).

use super::super::bus::Event;
use super::super::context::Actor;
use super::super::jobs::{self, NewJob};
use super::super::mail::{self, OutgoingEmail};
use super::super::security::new_token;
use super::super::tenancy::{global, Scoped, System};
use super::super::{metrics, now, AppState, ServiceError, ServiceResult};
use super::verify;
use crate::permissions::{Action, Role};
use crate::types::{WebhookDeliveryView, WebhookEndpointView, WebhookForm, WEBHOOK_EVENTS};
use entity::{membership, user, webhook_delivery, webhook_endpoint};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The job kind that sends one delivery.
pub const DELIVER_JOB: &str = "webhook.deliver";
/// Request timeout per attempt.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// How long an endpoint may keep failing before it is paused.
pub const PAUSE_AFTER_DAYS: i64 = 3;
/// Endpoints per workspace.
pub const MAX_ENDPOINTS: usize = 20;

/// Delivery statuses.
pub mod status {
    /// Waiting for its first attempt.
    pub const PENDING: &str = "pending";
    /// Answered 2xx.
    pub const SUCCEEDED: &str = "succeeded";
    /// Failed; will be retried.
    pub const FAILED: &str = "failed";
    /// Failed its last attempt.
    pub const DEAD: &str = "dead";
    /// Not sent: the endpoint is paused or was removed.
    pub const SKIPPED: &str = "skipped";
}

fn parse_headers(s: &str) -> ServiceResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for line in s.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (k, v) = line.split_once(':').ok_or_else(|| {
            ServiceError::invalid(
                "headers",
                format!("`{line}` is not a header: write one `Name: value` per line."),
            )
        })?;
        let k = k.trim();
        let v = v.trim();
        let valid_name = !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid_name || v.chars().any(char::is_control) {
            return Err(ServiceError::invalid(
                "headers",
                format!("`{k}` is not a valid header name or value."),
            ));
        }
        let lower = k.to_ascii_lowercase();
        if lower.starts_with("x-switchboard-")
            || matches!(lower.as_str(), "host" | "content-length" | "content-type")
        {
            return Err(ServiceError::invalid(
                "headers",
                format!("`{k}` is set by Switchboard and cannot be overridden."),
            ));
        }
        out.push((k.to_owned(), v.to_owned()));
    }
    if out.len() > 20 {
        return Err(ServiceError::invalid(
            "headers",
            "At most 20 custom headers.",
        ));
    }
    Ok(out)
}

/// A checked form: URL, events, headers.
type Checked = (String, Vec<String>, Vec<(String, String)>);

fn check_form(f: &WebhookForm) -> ServiceResult<Checked> {
    let url = f.url.trim().to_owned();
    verify::split_url(&url).map_err(|e| {
        ServiceError::invalid(
            "url",
            format!("{e}: enter a full http:// or https:// address."),
        )
    })?;
    if url.len() > 2000 {
        return Err(ServiceError::invalid("url", "The URL is too long."));
    }
    let mut events: Vec<String> = f.events.iter().map(|e| e.trim().to_owned()).collect();
    events.sort();
    events.dedup();
    if events.is_empty() {
        return Err(ServiceError::invalid(
            "events",
            "Choose at least one event.",
        ));
    }
    if let Some(bad) = events
        .iter()
        .find(|e| !WEBHOOK_EVENTS.contains(&e.as_str()))
    {
        return Err(ServiceError::invalid(
            "events",
            format!("`{bad}` is not an event Switchboard sends."),
        ));
    }
    Ok((url, events, parse_headers(&f.headers)?))
}

fn view(m: &webhook_endpoint::Model, secret: Option<String>) -> WebhookEndpointView {
    WebhookEndpointView {
        id: m.id,
        url: m.url.clone(),
        description: m.description.clone(),
        events: serde_json::from_str(&m.events).unwrap_or_default(),
        headers: serde_json::from_str::<Vec<(String, String)>>(&m.headers).unwrap_or_default(),
        active: m.active,
        allow_private: m.allow_private,
        paused_reason: m.paused_reason.clone(),
        failing_since: m.failing_since.map(|t| t.to_rfc3339()),
        last_success_at: m.last_success_at.map(|t| t.to_rfc3339()),
        secret,
    }
}

fn new_secret() -> String {
    format!("whsec_{}", new_token().0)
}

async fn find(
    db: &impl ConnectionTrait,
    scope: Scoped,
    id: i32,
) -> ServiceResult<webhook_endpoint::Model> {
    scope
        .find::<webhook_endpoint::Entity>()
        .filter(webhook_endpoint::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Webhook endpoint"))
}

/// The workspace's endpoints.
///
/// # Errors
/// Permission; database errors.
pub async fn list(state: &AppState, actor: &Actor) -> ServiceResult<Vec<WebhookEndpointView>> {
    actor.require(Action::ManageWebhooks)?;
    Ok(actor
        .scope
        .find::<webhook_endpoint::Entity>()
        .order_by_asc(webhook_endpoint::Column::Id)
        .all(&state.db)
        .await?
        .iter()
        .map(|m| view(m, None))
        .collect())
}

/// Registers an endpoint; the answer carries its signing secret (shown once).
///
/// # Errors
/// Permission; `Invalid` with the field; database errors.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    f: &WebhookForm,
) -> ServiceResult<WebhookEndpointView> {
    actor.require(Action::ManageWebhooks)?;
    let (url, events, headers) = check_form(f)?;
    let count = actor
        .scope
        .find::<webhook_endpoint::Entity>()
        .all(&state.db)
        .await?
        .len();
    if count >= MAX_ENDPOINTS {
        return Err(ServiceError::invalid(
            "url",
            format!("A workspace can have at most {MAX_ENDPOINTS} endpoints; remove one first."),
        ));
    }
    let secret = new_secret();
    let t = now();
    let m = webhook_endpoint::ActiveModel {
        workspace_id: Set(actor.scope.workspace_id()),
        url: Set(url),
        description: Set(f.description.clone().filter(|d| !d.trim().is_empty())),
        secret: Set(secret.clone()),
        events: Set(serde_json::json!(events).to_string()),
        headers: Set(serde_json::json!(headers).to_string()),
        active: Set(true),
        allow_private: Set(f.allow_private),
        paused_reason: Set(None),
        failing_since: Set(None),
        last_success_at: Set(None),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    Ok(view(&m, Some(secret)))
}

/// Changes an endpoint's URL, events, headers and private-address permission.
///
/// # Errors
/// Permission; `Invalid`; `NotFound`.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: i32,
    f: &WebhookForm,
) -> ServiceResult<WebhookEndpointView> {
    actor.require(Action::ManageWebhooks)?;
    let (url, events, headers) = check_form(f)?;
    let mut am = find(&state.db, actor.scope, id).await?.into_active_model();
    am.url = Set(url);
    am.description = Set(f.description.clone().filter(|d| !d.trim().is_empty()));
    am.events = Set(serde_json::json!(events).to_string());
    am.headers = Set(serde_json::json!(headers).to_string());
    am.allow_private = Set(f.allow_private);
    am.updated_at = Set(now());
    Ok(view(&am.update(&state.db).await?, None))
}

/// Pauses or resumes an endpoint (resuming clears the failure streak).
///
/// # Errors
/// Permission; `NotFound`.
pub async fn set_active(
    state: &AppState,
    actor: &Actor,
    id: i32,
    active: bool,
) -> ServiceResult<WebhookEndpointView> {
    actor.require(Action::ManageWebhooks)?;
    let mut am = find(&state.db, actor.scope, id).await?.into_active_model();
    am.active = Set(active);
    am.paused_reason = Set((!active).then(|| "Paused by an admin.".to_owned()));
    if active {
        am.failing_since = Set(None);
    }
    am.updated_at = Set(now());
    Ok(view(&am.update(&state.db).await?, None))
}

/// Replaces the signing secret; the answer carries the new one.
///
/// # Errors
/// Permission; `NotFound`.
pub async fn rotate_secret(
    state: &AppState,
    actor: &Actor,
    id: i32,
) -> ServiceResult<WebhookEndpointView> {
    actor.require(Action::ManageWebhooks)?;
    let secret = new_secret();
    let mut am = find(&state.db, actor.scope, id).await?.into_active_model();
    am.secret = Set(secret.clone());
    am.updated_at = Set(now());
    Ok(view(&am.update(&state.db).await?, Some(secret)))
}

/// Removes an endpoint and its log.
///
/// # Errors
/// Permission; `NotFound`.
pub async fn delete(state: &AppState, actor: &Actor, id: i32) -> ServiceResult<()> {
    actor.require(Action::ManageWebhooks)?;
    find(&state.db, actor.scope, id).await?;
    actor
        .scope
        .delete_many::<webhook_endpoint::Entity>()
        .filter(webhook_endpoint::Column::Id.eq(id))
        .exec(&state.db)
        .await?;
    Ok(())
}

fn delivery_view(d: webhook_delivery::Model) -> WebhookDeliveryView {
    WebhookDeliveryView {
        id: d.id,
        endpoint_id: d.endpoint_id,
        event: d.event_kind,
        status: d.status,
        attempts: d.attempts,
        response_status: d.response_status,
        duration_ms: d.duration_ms,
        response_excerpt: d.response_excerpt,
        error: d.error,
        created_at: d.created_at.to_rfc3339(),
    }
}

/// The latest deliveries of an endpoint, newest first.
///
/// # Errors
/// Permission; `NotFound`.
pub async fn deliveries(
    state: &AppState,
    actor: &Actor,
    endpoint_id: i32,
) -> ServiceResult<Vec<WebhookDeliveryView>> {
    actor.require(Action::ManageWebhooks)?;
    find(&state.db, actor.scope, endpoint_id).await?;
    Ok(actor
        .scope
        .find::<webhook_delivery::Entity>()
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint_id))
        .order_by_desc(webhook_delivery::Column::Id)
        .limit(100)
        .all(&state.db)
        .await?
        .into_iter()
        .map(delivery_view)
        .collect())
}

async fn insert_delivery(
    db: &impl ConnectionTrait,
    state_cfg: &super::super::config::JobsConfig,
    workspace_id: i32,
    endpoint_id: i32,
    event_id: &str,
    kind: &str,
    payload: &str,
) -> ServiceResult<webhook_delivery::Model> {
    let d = webhook_delivery::ActiveModel {
        workspace_id: Set(workspace_id),
        endpoint_id: Set(endpoint_id),
        event_id: Set(event_id.to_owned()),
        event_kind: Set(kind.to_owned()),
        payload: Set(payload.to_owned()),
        status: Set(status::PENDING.to_owned()),
        attempts: Set(0),
        response_status: Set(None),
        duration_ms: Set(None),
        response_excerpt: Set(None),
        error: Set(None),
        created_at: Set(now()),
        last_attempt_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut job = NewJob::new(DELIVER_JOB, serde_json::json!({ "delivery_id": d.id }));
    job.workspace_id = Some(workspace_id);
    jobs::enqueue(db, state_cfg, job).await?;
    Ok(d)
}

/// Queues one event for one active endpoint, in the caller's transaction (the
/// `trigger_webhook` tool); signed and retried like every delivery. Returns the
/// delivery's id.
///
/// # Errors
/// `Invalid` (`endpoint_id`) when the endpoint is missing or paused.
pub async fn enqueue_one(
    db: &impl ConnectionTrait,
    cfg: &super::super::config::JobsConfig,
    scope: Scoped,
    endpoint_id: i32,
    kind: &str,
    data: serde_json::Value,
) -> ServiceResult<i32> {
    let ep = find(db, scope, endpoint_id).await.map_err(|_| {
        ServiceError::invalid(
            "endpoint_id",
            format!("There is no webhook endpoint {endpoint_id} in this workspace."),
        )
    })?;
    if !ep.active {
        return Err(ServiceError::invalid(
            "endpoint_id",
            format!("The endpoint {} is paused; resume it first.", ep.url),
        ));
    }
    let event_id = uuid::Uuid::new_v4().to_string();
    let payload = serde_json::json!({
        "event": kind,
        "data": data,
        "timestamp": now().to_rfc3339(),
    })
    .to_string();
    Ok(insert_delivery(
        db,
        cfg,
        scope.workspace_id(),
        ep.id,
        &event_id,
        kind,
        &payload,
    )
    .await?
    .id)
}

/// Sends a delivery's event again (same event id, a new delivery).
///
/// # Errors
/// Permission; `NotFound`.
pub async fn replay(
    state: &AppState,
    actor: &Actor,
    delivery_id: i32,
) -> ServiceResult<WebhookDeliveryView> {
    actor.require(Action::ManageWebhooks)?;
    let d = actor
        .scope
        .find::<webhook_delivery::Entity>()
        .filter(webhook_delivery::Column::Id.eq(delivery_id))
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("Delivery"))?;
    find(&state.db, actor.scope, d.endpoint_id).await?;
    let n = insert_delivery(
        &state.db,
        &state.config.jobs,
        d.workspace_id,
        d.endpoint_id,
        &d.event_id,
        &d.event_kind,
        &d.payload,
    )
    .await?;
    state.wake_workers();
    Ok(delivery_view(n))
}

/// Writes deliveries (and their jobs) for the events of a committing unit of work.
/// Returns how many were written. Runs inside the transaction.
///
/// # Errors
/// Database errors (the whole change then rolls back).
pub async fn enqueue_for_events(
    db: &impl ConnectionTrait,
    cfg: &super::super::config::JobsConfig,
    events: &[Event],
) -> ServiceResult<usize> {
    let wanted: Vec<&Event> = events
        .iter()
        .filter(|e| WEBHOOK_EVENTS.contains(&e.kind.as_str()))
        .collect();
    if wanted.is_empty() {
        return Ok(0);
    }
    let mut by_ws: HashMap<i32, Vec<webhook_endpoint::Model>> = HashMap::new();
    let mut n = 0;
    for e in wanted {
        if let std::collections::hash_map::Entry::Vacant(slot) = by_ws.entry(e.workspace_id) {
            let eps = Scoped::new(e.workspace_id)
                .find::<webhook_endpoint::Entity>()
                .filter(webhook_endpoint::Column::Active.eq(true))
                .all(db)
                .await?;
            slot.insert(eps);
        }
        let eps = by_ws
            .get(&e.workspace_id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if eps.is_empty() {
            continue;
        }
        let event_id = uuid::Uuid::new_v4().to_string();
        let payload = serde_json::json!({
            "event": e.kind,
            "data": e.data,
            "timestamp": e.at,
        })
        .to_string();
        for ep in eps {
            let subscribed: Vec<String> = serde_json::from_str(&ep.events).unwrap_or_default();
            if subscribed.contains(&e.kind) {
                insert_delivery(db, cfg, e.workspace_id, ep.id, &event_id, &e.kind, &payload)
                    .await?;
                n += 1;
            }
        }
    }
    Ok(n)
}

/// The outcome of one HTTP attempt.
struct Attempt {
    status: Option<u16>,
    excerpt: Option<String>,
    error: Option<String>,
    ms: u128,
}

async fn resolve_checked(
    url: &str,
    allow_private: bool,
) -> Result<(String, std::net::SocketAddr), String> {
    let (_, host, port, _) = verify::split_url(url).map_err(|e| e.to_string())?;
    let bare = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((bare.as_str(), port))
        .await
        .map_err(|e| format!("could not resolve {bare}: {e}"))?
        .collect();
    let addr = verify::check_addresses(&addrs, allow_private).map_err(|e| e.to_string())?;
    Ok((bare, addr))
}

async fn attempt(ep: &webhook_endpoint::Model, d: &webhook_delivery::Model) -> Attempt {
    let started = Instant::now();
    let fail = |error: String| Attempt {
        status: None,
        excerpt: None,
        error: Some(error),
        ms: started.elapsed().as_millis(),
    };
    let (host, addr) = match resolve_checked(&ep.url, ep.allow_private).await {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let client = match reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .resolve(&host, addr)
        .user_agent("Switchboard-Webhooks/1")
        .build()
    {
        Ok(c) => c,
        Err(e) => return fail(format!("client: {e}")),
    };
    let ts = now().timestamp();
    let sig = verify::switchboard_signature(ep.secret.as_bytes(), ts, d.payload.as_bytes());
    let mut req = client
        .post(&ep.url)
        .header("content-type", "application/json")
        .header("x-switchboard-event", &d.event_kind)
        .header("x-switchboard-event-id", &d.event_id)
        .header("x-switchboard-delivery", d.id.to_string())
        .header("x-switchboard-timestamp", ts.to_string())
        .header("x-switchboard-signature", sig);
    for (k, v) in serde_json::from_str::<Vec<(String, String)>>(&ep.headers).unwrap_or_default() {
        req = req.header(k, v);
    }
    match req.body(d.payload.clone()).send().await {
        Ok(res) => {
            let code = res.status().as_u16();
            let body = res.text().await.unwrap_or_default();
            Attempt {
                status: Some(code),
                excerpt: Some(body.chars().take(500).collect()),
                error: (!(200..300).contains(&code)).then(|| format!("HTTP {code}")),
                ms: started.elapsed().as_millis(),
            }
        }
        Err(e) if e.is_timeout() => fail(format!("timed out after {} s", TIMEOUT.as_secs())),
        Err(e) => fail(format!("request failed: {e}")),
    }
}

/// Handler of the `webhook.deliver` job: one attempt, recorded on the delivery.
///
/// # Errors
/// The failure, so the queue retries with backoff (no error once the delivery is
/// done, dead, or its endpoint is paused or gone).
pub async fn run_delivery_job(state: &AppState, payload: &serde_json::Value) -> Result<(), String> {
    let id = payload
        .get("delivery_id")
        .and_then(serde_json::Value::as_i64)
        .and_then(|v| i32::try_from(v).ok())
        .ok_or("payload has no delivery_id")?;
    let sys = System::new("the webhook worker delivers for every workspace");
    let db = &state.db;
    let Some(d) = sys
        .find::<webhook_delivery::Entity>()
        .filter(webhook_delivery::Column::Id.eq(id))
        .one(db)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(());
    };
    if d.status == status::SUCCEEDED || d.status == status::DEAD {
        return Ok(());
    }
    let scope = Scoped::new(d.workspace_id);
    let Ok(ep) = find(db, scope, d.endpoint_id).await else {
        return Ok(());
    };
    let mut dm = d.clone().into_active_model();
    if !ep.active {
        dm.status = Set(status::SKIPPED.to_owned());
        dm.error = Set(Some(
            ep.paused_reason
                .clone()
                .unwrap_or_else(|| "Endpoint paused.".into()),
        ));
        dm.update(db).await.map_err(|e| e.to_string())?;
        return Ok(());
    }
    let a = attempt(&ep, &d).await;
    let attempts = d.attempts + 1;
    let ok = a.error.is_none();
    let last = attempts >= state.config.jobs.max_attempts;
    dm.attempts = Set(attempts);
    dm.response_status = Set(a.status.map(i32::from));
    dm.duration_ms = Set(Some(i32::try_from(a.ms).unwrap_or(i32::MAX)));
    dm.response_excerpt = Set(a.excerpt);
    dm.error = Set(a.error.clone());
    dm.last_attempt_at = Set(Some(now()));
    dm.status = Set(if ok {
        status::SUCCEEDED
    } else if last {
        status::DEAD
    } else {
        status::FAILED
    }
    .to_owned());
    dm.update(db).await.map_err(|e| e.to_string())?;
    let mut em = ep.clone().into_active_model();
    if ok {
        metrics::inc(&metrics::WEBHOOKS_DELIVERED);
        em.last_success_at = Set(Some(now()));
        em.failing_since = Set(None);
        em.update(db).await.map_err(|e| e.to_string())?;
        return Ok(());
    }
    let since = ep.failing_since.unwrap_or_else(now);
    em.failing_since = Set(Some(since));
    if now() - since >= chrono::Duration::days(PAUSE_AFTER_DAYS) {
        let reason = format!(
            "Paused after failing for {PAUSE_AFTER_DAYS} days (last error: {}).",
            a.error.clone().unwrap_or_default()
        );
        em.active = Set(false);
        em.paused_reason = Set(Some(reason.clone()));
        em.update(db).await.map_err(|e| e.to_string())?;
        // No retry follows: the delivery is final (a replay can send it again).
        System::new("the webhook worker closes the delivery of a paused endpoint")
            .update_many::<webhook_delivery::Entity>()
            .col_expr(
                webhook_delivery::Column::Status,
                sea_orm::sea_query::Expr::value(status::DEAD),
            )
            .filter(webhook_delivery::Column::Id.eq(d.id))
            .exec(db)
            .await
            .map_err(|e| e.to_string())?;
        notify_paused(state, &ep, &reason)
            .await
            .map_err(|e| e.to_string())?;
        return Ok(());
    }
    em.update(db).await.map_err(|e| e.to_string())?;
    Err(a.error.unwrap_or_else(|| "delivery failed".into()))
}

/// Emails the workspace's owners and admins that an endpoint was paused.
async fn notify_paused(
    state: &AppState,
    ep: &webhook_endpoint::Model,
    reason: &str,
) -> ServiceResult<()> {
    let scope = Scoped::new(ep.workspace_id);
    let admins: Vec<i32> = scope
        .find::<membership::Entity>()
        .filter(membership::Column::Role.is_in([Role::Owner.as_str(), Role::Admin.as_str()]))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    let users = global::<user::Entity>()
        .filter(user::Column::Id.is_in(admins))
        .all(&state.db)
        .await?;
    let link = format!("{}/app/settings/webhooks", state.config.base_url());
    let txn = sea_orm::TransactionTrait::begin(&state.db).await?;
    for u in users {
        mail::enqueue(
            &txn,
            &state.config,
            OutgoingEmail {
                workspace_id: Some(ep.workspace_id),
                to: u.email,
                subject: "A webhook endpoint was paused".into(),
                text: format!(
                    "The webhook endpoint {} stopped receiving events.\n\n{reason}\n\nFix the receiver, then resume it: {link}\n",
                    ep.url
                ),
                html: format!(
                    "<p>The webhook endpoint <code>{}</code> stopped receiving events.</p><p>{}</p><p><a href=\"{link}\">Resume it in Settings → Webhooks</a></p>",
                    ep.url.replace('<', "&lt;"),
                    reason.replace('<', "&lt;")
                ),
                kind: "webhook_paused",
                ..OutgoingEmail::default()
            },
        )
        .await?;
    }
    txn.commit().await?;
    state.wake_workers();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_parsed_and_checked() {
        let h = parse_headers("Authorization: Bearer x\n\nX-Team: ops").unwrap_or_default();
        assert_eq!(h.len(), 2);
        assert!(parse_headers("no colon").is_err());
        assert!(parse_headers("X-Switchboard-Signature: forged").is_err());
        assert!(parse_headers("Bad Name: x").is_err());
    }

    #[test]
    fn forms_are_checked() {
        let f = WebhookForm {
            url: "ftp://x".into(),
            events: vec!["message.created".into()],
            ..WebhookForm::default()
        };
        assert!(check_form(&f).is_err());
        let f = WebhookForm {
            url: "https://hooks.example.com/in".into(),
            events: vec!["nope".into()],
            ..WebhookForm::default()
        };
        assert!(check_form(&f).is_err());
        let f = WebhookForm {
            url: "https://hooks.example.com/in".into(),
            events: vec!["message.created".into(), "message.created".into()],
            ..WebhookForm::default()
        };
        assert_eq!(check_form(&f).map(|x| x.1.len()).unwrap_or(0), 1);
    }
}
