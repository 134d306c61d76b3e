//! An order's tracking: start it when the order ships, take the provider's
//! webhooks, poll what went quiet, and apply what the carrier said (each
//! event once; delivered moves the order).

use super::{client, easypost, settings, shipengine, Provider, Tracking};
use crate::services::commerce;
use crate::services::config::JobsConfig;
use crate::services::jobs::{self, NewJob};
use crate::services::storefront;
use crate::services::tenancy::{Scoped, System};
use crate::services::uow::UnitOfWork;
use crate::services::{now, AppState, ServiceError, ServiceResult};
use crate::types::{OrderStatus, TrackingEventView, TrackingStatus, TrackingView};
use entity::{order, order_event, tracking_event};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use std::collections::HashMap;

/// Registers a shipped order with the tracking provider.
pub const START_JOB: &str = "shipping.start_tracking";
/// Asks the provider about shipped orders that went quiet (every ten minutes).
pub const POLL_JOB: &str = "shipping.poll";
/// A shipped order not heard from for this long is polled.
pub const POLL_AFTER_MINS: i64 = 30;
/// Orders one poll asks about at most.
const POLL_BATCH: u64 = 200;

/// Enqueues the start of an order's tracking (call inside the transaction
/// that ships it).
///
/// # Errors
/// Database errors.
pub async fn enqueue_start(
    db: &impl ConnectionTrait,
    cfg: &JobsConfig,
    scope: Scoped,
    order_id: i32,
) -> ServiceResult<()> {
    let mut job = NewJob::new(
        START_JOB,
        serde_json::json!({"workspace_id": scope.workspace_id(), "order_id": order_id}),
    );
    job.workspace_id = Some(scope.workspace_id());
    job.idempotency_key = Some(format!("tracking-start-{order_id}"));
    jobs::enqueue(db, cfg, job).await?;
    Ok(())
}

async fn note(
    db: &impl ConnectionTrait,
    scope: Scoped,
    order_id: i32,
    text: &str,
    who: &str,
) -> ServiceResult<()> {
    order_event::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        order_id: Set(order_id),
        kind: Set("note".to_owned()),
        from_status: Set(None),
        to_status: Set(None),
        note: Set(text.chars().take(1_000).collect()),
        actor: Set(who.to_owned()),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The start job: registers the parcel and stores what the carrier knows.
/// A workspace without a provider leaves the order untracked; a refusal
/// (bad key, unknown number) is written on the order's timeline; an
/// unreachable provider makes the job retry.
///
/// # Errors
/// A sentence when the job should be retried.
pub async fn run_start_job(state: &AppState, payload: &serde_json::Value) -> Result<(), String> {
    let (Some(ws), Some(oid)) = (
        payload["workspace_id"]
            .as_i64()
            .and_then(|v| i32::try_from(v).ok()),
        payload["order_id"]
            .as_i64()
            .and_then(|v| i32::try_from(v).ok()),
    ) else {
        return Err("payload without workspace_id and order_id".into());
    };
    let scope = Scoped::new(ws);
    let e = |e: ServiceError| e.to_string();
    let Some(o) = scope
        .find::<order::Entity>()
        .filter(order::Column::Id.eq(oid))
        .one(&state.db)
        .await
        .map_err(|x| x.to_string())?
    else {
        return Ok(());
    };
    let (Some(carrier), Some(number)) = (&o.carrier, &o.tracking_number) else {
        return Ok(());
    };
    if o.tracking_provider.is_some() {
        return Ok(());
    }
    let Some(account) = settings::account(state, &state.db, scope)
        .await
        .map_err(e)?
    else {
        return Ok(());
    };
    match client(&account).start(carrier, number).await {
        Ok(t) => apply(state, scope, o.id, account.provider, &t)
            .await
            .map(|_| ())
            .map_err(e),
        Err(err) if err.is_transient() => Err(err.to_string()),
        Err(err) => {
            let _turn = state.sqlite_write_turn().await;
            note(
                &state.db,
                scope,
                o.id,
                &format!("Tracking not started: {err}."),
                account.provider.label(),
            )
            .await
            .map_err(e)
        }
    }
}

/// What applying a carrier update did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Events not seen before.
    pub new_events: u64,
    /// Whether the order moved to delivered.
    pub delivered: bool,
}

/// Stores what the carrier said of order `order_id`: each event once, the
/// latest status and estimate; a delivered parcel moves a shipped order to
/// delivered.
///
/// # Errors
/// `NotFound`; database errors.
pub async fn apply(
    state: &AppState,
    scope: Scoped,
    order_id: i32,
    provider: Provider,
    t: &Tracking,
) -> ServiceResult<Applied> {
    let uow = UnitOfWork::begin(state).await?;
    let o = scope
        .find::<order::Entity>()
        .filter(order::Column::Id.eq(order_id))
        .one(&*uow)
        .await?
        .ok_or(ServiceError::NotFound("Order"))?;
    let stamp = now();
    let mut out = Applied::default();
    if !t.events.is_empty() {
        let rows = t.events.iter().map(|ev| tracking_event::ActiveModel {
            workspace_id: Set(scope.workspace_id()),
            order_id: Set(o.id),
            provider: Set(provider.as_str().to_owned()),
            event_key: Set(ev.key.clone()),
            status: Set(ev.status.as_str().to_owned()),
            description: Set(ev.description.chars().take(2_000).collect()),
            location: Set(ev.location.chars().take(200).collect()),
            occurred_at: Set(ev.at),
            created_at: Set(stamp),
            ..Default::default()
        });
        out.new_events = tracking_event::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([
                    tracking_event::Column::WorkspaceId,
                    tracking_event::Column::OrderId,
                    tracking_event::Column::EventKey,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&*uow)
            .await?;
    }
    let mut update = scope
        .update_many::<order::Entity>()
        .col_expr(
            order::Column::TrackingProvider,
            Expr::value(provider.as_str()),
        )
        .col_expr(
            order::Column::TrackingStatus,
            Expr::value(t.status.as_str()),
        )
        .col_expr(order::Column::TrackingEta, Expr::value(t.eta))
        .col_expr(order::Column::TrackingCheckedAt, Expr::value(stamp));
    if let Some(id) = &t.tracker_id {
        update = update.col_expr(order::Column::TrackerId, Expr::value(id.clone()));
    }
    update
        .filter(order::Column::Id.eq(o.id))
        .exec(&*uow)
        .await?;
    if t.status == TrackingStatus::Delivered && o.status == OrderStatus::Shipped.as_str() {
        let how = t
            .events
            .iter()
            .filter(|e| e.status == TrackingStatus::Delivered)
            .max_by_key(|e| e.at)
            .map(|e| format!("Delivered, the carrier says: {}", e.description))
            .unwrap_or_else(|| "Delivered, the carrier says.".to_owned());
        commerce::move_in(
            &*uow,
            scope,
            o.id,
            OrderStatus::Delivered,
            &how,
            provider.label(),
        )
        .await?;
        out.delivered = true;
    }
    uow.commit().await?;
    Ok(out)
}

/// The poll job: shipped orders not heard from for [`POLL_AFTER_MINS`].
///
/// # Errors
/// Database errors.
pub async fn run_poll_job(state: &AppState) -> Result<(), String> {
    poll(state).await.map(|_| ()).map_err(|e| e.to_string())
}

/// Polls now; returns how many orders were asked about.
///
/// # Errors
/// Database errors (a provider's failure is logged and the order asked again
/// next time).
pub async fn poll(state: &AppState) -> ServiceResult<usize> {
    let quiet = now() - chrono::Duration::minutes(POLL_AFTER_MINS);
    let due = System::new("the tracking poll looks at every workspace's shipped orders")
        .find::<order::Entity>()
        .filter(order::Column::Status.eq(OrderStatus::Shipped.as_str()))
        .filter(order::Column::TrackingProvider.is_not_null())
        .filter(
            Condition::any()
                .add(order::Column::TrackingCheckedAt.is_null())
                .add(order::Column::TrackingCheckedAt.lt(quiet)),
        )
        .order_by_asc(order::Column::TrackingCheckedAt)
        .limit(POLL_BATCH)
        .all(&state.db)
        .await?;
    let mut accounts = HashMap::new();
    let mut asked = 0;
    for o in due {
        let scope = Scoped::new(o.workspace_id);
        if let std::collections::hash_map::Entry::Vacant(slot) = accounts.entry(o.workspace_id) {
            slot.insert(settings::account(state, &state.db, scope).await?);
        }
        let Some(Some(account)) = accounts.get(&o.workspace_id) else {
            continue;
        };
        let (Some(carrier), Some(number)) = (&o.carrier, &o.tracking_number) else {
            continue;
        };
        asked += 1;
        match client(account)
            .fetch(carrier, number, o.tracker_id.as_deref())
            .await
        {
            Ok(t) => {
                apply(state, scope, o.id, account.provider, &t).await?;
            }
            Err(err) => {
                tracing::warn!(order = o.id, error = %err, "tracking poll");
                if !err.is_transient() {
                    // Ask again next round, not every minute.
                    scope
                        .update_many::<order::Entity>()
                        .col_expr(order::Column::TrackingCheckedAt, Expr::value(now()))
                        .filter(order::Column::Id.eq(o.id))
                        .exec(&state.db)
                        .await?;
                }
            }
        }
    }
    Ok(asked)
}

/// What a tracking webhook did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// New events stored (and maybe the order delivered).
    Applied,
    /// Everything in it was known: nothing changed.
    Duplicate,
    /// Not about a parcel of this store's orders, or another event type.
    Ignored,
}

/// The signature headers a tracking webhook may carry.
#[derive(Clone, Copy, Debug, Default)]
pub struct WebhookHeaders<'a> {
    /// EasyPost's `X-Hmac-Signature`.
    pub hmac: Option<&'a str>,
    /// ShipEngine's `x-shipengine-rsa-sha256-key-id`.
    pub key_id: Option<&'a str>,
    /// ShipEngine's `x-shipengine-rsa-sha256-signature`.
    pub rsa: Option<&'a str>,
    /// ShipEngine's `x-shipengine-timestamp`.
    pub timestamp: Option<&'a str>,
}

/// Handles a tracking webhook from `provider` for brand `slug`'s store.
///
/// # Errors
/// `NotFound` (the store, or a ShipEngine request without signature headers,
/// as ShipEngine advises); `Invalid` (`signature`, `payload`) for a forged,
/// stale or malformed request, nothing written; `Conflict` when the store
/// does not use this provider; `Internal` when ShipEngine's keys cannot be
/// fetched (the provider retries); database errors.
pub async fn webhook(
    state: &AppState,
    provider: Provider,
    slug: &str,
    h: WebhookHeaders<'_>,
    body: &[u8],
) -> ServiceResult<WebhookOutcome> {
    let s = storefront::store(&state.db, slug).await?;
    let account = settings::account(state, &state.db, s.scope)
        .await?
        .filter(|a| a.provider == provider)
        .ok_or_else(|| {
            ServiceError::conflict(
                "provider",
                format!(
                    "This store does not track parcels with {}.",
                    provider.label()
                ),
            )
        })?;
    let tracking = match provider {
        Provider::EasyPost => {
            let secret = account.webhook_secret.as_deref().unwrap_or_default();
            easypost::verify(h.hmac, body, secret)
                .map_err(|m| ServiceError::invalid("signature", m))?;
            easypost::event(body)
        }
        Provider::ShipEngine => {
            let signed = shipengine::Signed {
                key_id: h.key_id,
                signature: h.rsa,
                timestamp: h.timestamp,
            };
            shipengine::verify(&account.api_base, &signed, body, now())
                .await
                .map_err(|r| match r {
                    shipengine::Refusal::Unsigned => ServiceError::NotFound("Webhook"),
                    shipengine::Refusal::Bad(m) => ServiceError::invalid("signature", m),
                    shipengine::Refusal::KeysUnavailable(why) => ServiceError::Internal(format!(
                        "ShipEngine's signing keys could not be fetched: {why}"
                    )),
                })?;
            shipengine::event(body)
        }
    }
    .map_err(|e| ServiceError::invalid("payload", e.to_string()))?;
    let Some(t) = tracking else {
        return Ok(WebhookOutcome::Ignored);
    };
    let orders = s
        .scope
        .find::<order::Entity>()
        .filter(order::Column::TrackingNumber.eq(t.tracking_number.trim().to_uppercase()))
        .all(&state.db)
        .await?;
    let mut outcome = WebhookOutcome::Ignored;
    for o in orders {
        let a = apply(state, s.scope, o.id, provider, &t).await?;
        outcome = if a.new_events > 0 || a.delivered {
            WebhookOutcome::Applied
        } else if outcome == WebhookOutcome::Applied {
            outcome
        } else {
            WebhookOutcome::Duplicate
        };
    }
    Ok(outcome)
}

/// What the carrier reported of `o`, newest event first.
///
/// # Errors
/// Database errors.
pub async fn view(
    db: &impl ConnectionTrait,
    scope: Scoped,
    o: &order::Model,
) -> ServiceResult<TrackingView> {
    let events = if o.tracking_number.is_some() {
        scope
            .find::<tracking_event::Entity>()
            .filter(tracking_event::Column::OrderId.eq(o.id))
            .order_by_desc(tracking_event::Column::OccurredAt)
            .order_by_desc(tracking_event::Column::Id)
            .all(db)
            .await?
    } else {
        Vec::new()
    };
    Ok(TrackingView {
        provider: o
            .tracking_provider
            .as_deref()
            .and_then(Provider::parse)
            .map(|p| p.label().to_owned()),
        status: o.tracking_status.as_deref().and_then(TrackingStatus::parse),
        eta: o.tracking_eta.map(|t| t.to_rfc3339()),
        checked_at: o.tracking_checked_at.map(|t| t.to_rfc3339()),
        events: events
            .into_iter()
            .map(|e| TrackingEventView {
                at: e.occurred_at.to_rfc3339(),
                status: TrackingStatus::parse(&e.status).unwrap_or(TrackingStatus::Unknown),
                description: e.description,
                location: e.location,
            })
            .collect(),
    })
}
