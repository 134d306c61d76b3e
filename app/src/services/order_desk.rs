//! The admin app's orders (SPEC C11, issue 13 point 4): the list with a
//! count per status and a search, one order's detail and timeline, and the
//! fulfilment moves a person makes: pack, ship with a carrier's tracking
//! number, mark delivered. Reading needs `ViewInbox` (agents look orders up);
//! moving needs `ManageOrders`. Refunds are not here: they are the
//! `refund_order` tool, proposed and approved ([`super::orders`]).

use super::commerce;
use super::context::Actor;
use super::orders;
use super::shipping;
use super::tenancy::Scoped;
use super::uow::UnitOfWork;
use super::{AppState, ServiceError, ServiceResult};
use crate::permissions::Action;
use crate::types::{
    OrderDetail, OrderOptions, OrderRow, OrderStatus, OrdersPageView, ReturnQuote, ShipForm,
    CARRIERS,
};
use entity::{customer, order};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::BTreeMap;

/// Orders on one page of the list.
pub const PAGE_SIZE: u64 = 50;

async fn matching_customers(
    db: &impl ConnectionTrait,
    scope: Scoped,
    q: &str,
) -> ServiceResult<Vec<i32>> {
    let like = format!("%{}%", q.to_lowercase().replace(['%', '_'], ""));
    Ok(scope
        .find::<customer::Entity>()
        .select_only()
        .column(customer::Column::Id)
        .filter(
            Condition::any()
                .add(Expr::expr(Func::lower(Expr::col(customer::Column::Name))).like(like.clone()))
                .add(Expr::expr(Func::lower(Expr::col(customer::Column::Email))).like(like)),
        )
        .limit(200)
        .into_tuple()
        .all(db)
        .await?)
}

/// A page of the workspace's orders, newest first: with `status`, only
/// those; with `query`, the order of that number or the orders of customers
/// whose name or email contains it.
///
/// # Errors
/// `Forbidden` without `ViewInbox`; database errors.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    status: Option<OrderStatus>,
    query: &str,
    page: u64,
) -> ServiceResult<OrdersPageView> {
    actor.require(Action::ViewInbox)?;
    let db = &state.db;
    let scope = actor.scope;
    let q = query.trim().trim_start_matches('#');
    let mut filter = Condition::all();
    if !q.is_empty() {
        let mut any = Condition::any();
        if q.chars().all(|c| c.is_ascii_digit()) {
            any = any.add(order::Column::Number.eq(q));
        }
        let who = matching_customers(db, scope, q).await?;
        if !who.is_empty() {
            any = any.add(order::Column::CustomerId.is_in(who));
        }
        // Nothing can match: an always-false condition.
        filter = filter.add(any.add(Expr::val(1).eq(0)));
    }
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let grouped: Vec<(String, i64)> = scope
        .find::<order::Entity>()
        .select_only()
        .column(order::Column::Status)
        .column_as(order::Column::Id.count(), "n")
        .filter(filter.clone())
        .group_by(order::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    for (s, n) in grouped {
        counts.insert(s, u64::try_from(n).unwrap_or_default());
    }
    let mut select = scope.find::<order::Entity>().filter(filter);
    if let Some(s) = status {
        select = select.filter(order::Column::Status.eq(s.as_str()));
    }
    let total = select.clone().count(db).await?;
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page = page.clamp(1, pages);
    let rows = select
        .order_by_desc(order::Column::PlacedAt)
        .order_by_desc(order::Column::Id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
        .all(db)
        .await?;
    let people: BTreeMap<i32, customer::Model> = scope
        .find::<customer::Entity>()
        .filter(customer::Column::Id.is_in(rows.iter().map(|o| o.customer_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let ids: Vec<i32> = rows.iter().map(|o| o.id).collect();
    let items = commerce::items_of(db, scope, &ids).await?;
    let mut out = Vec::with_capacity(rows.len());
    for o in &rows {
        let c = people.get(&o.customer_id);
        out.push(OrderRow {
            summary: commerce::summary(o, items.get(&o.id).copied().unwrap_or_default()),
            customer_name: c.map(|c| c.name.clone()).unwrap_or_default(),
            customer_email: c.and_then(|c| c.email.clone()),
        });
    }
    Ok(OrdersPageView {
        rows: out,
        counts: OrderStatus::ALL
            .iter()
            .map(|s| (*s, counts.get(s.as_str()).copied().unwrap_or_default()))
            .collect(),
        total,
        page,
        pages,
        can_manage: crate::permissions::can(actor.role, Action::ManageOrders),
    })
}

/// One order with its lines, amounts, address, payment and timeline.
///
/// # Errors
/// `Forbidden`; `NotFound`.
pub async fn get(state: &AppState, actor: &Actor, number: &str) -> ServiceResult<OrderDetail> {
    actor.require(Action::ViewInbox)?;
    let o = orders::find_order(&state.db, actor.scope, number, None).await?;
    orders::detail(&state.db, actor.scope, &o).await
}

/// One order with what may change on it and the choices the change,
/// return and exchange forms offer. The changes themselves are the order
/// tools, proposed through the AI-actions registry and its policies.
///
/// # Errors
/// `Forbidden`; `NotFound`.
pub async fn options(state: &AppState, actor: &Actor, number: &str) -> ServiceResult<OrderOptions> {
    actor.require(Action::ViewInbox)?;
    let o = orders::find_order(&state.db, actor.scope, number, None).await?;
    orders::options(&state.db, actor.scope, &o).await
}

/// What returning `skus` (a SKU once per unit) from a delivered order would
/// refund, exactly as `return_items` will compute it, without changing
/// anything.
///
/// # Errors
/// `Forbidden`; `NotFound`; `Invalid`/`Conflict` with the rule (not
/// delivered, not on the order, more units than are left).
pub async fn quote_return(
    state: &AppState,
    actor: &Actor,
    number: &str,
    skus: &[String],
) -> ServiceResult<ReturnQuote> {
    actor.require(Action::ViewInbox)?;
    if skus.len() > 50 {
        return Err(ServiceError::invalid(
            "skus",
            "Return at most 50 units at a time.",
        ));
    }
    let o = orders::find_order(&state.db, actor.scope, number, None).await?;
    let (amount_minor, everything) = orders::quote_return(&state.db, actor.scope, &o, skus).await?;
    Ok(ReturnQuote {
        amount_minor,
        currency: o.currency,
        everything,
        skus: skus.to_vec(),
    })
}

async fn moved(
    state: &AppState,
    actor: &Actor,
    number: &str,
    to: OrderStatus,
    note: &str,
) -> ServiceResult<OrderDetail> {
    actor.require(Action::ManageOrders)?;
    let uow = UnitOfWork::begin(state).await?;
    let o = orders::find_order(&*uow, actor.scope, number, None).await?;
    commerce::move_in(&*uow, actor.scope, o.id, to, note, &actor.name).await?;
    let o = orders::find_order(&*uow, actor.scope, number, None).await?;
    let d = orders::detail(&*uow, actor.scope, &o).await?;
    uow.commit().await?;
    Ok(d)
}

/// Marks a paid order packed.
///
/// # Errors
/// `Forbidden` without `ManageOrders`; `NotFound`; `Conflict` with the rule.
pub async fn pack(state: &AppState, actor: &Actor, number: &str) -> ServiceResult<OrderDetail> {
    moved(state, actor, number, OrderStatus::Fulfilled, "Packed.").await
}

/// Marks a shipped order delivered (when the carrier does not say so).
///
/// # Errors
/// As [`pack`].
pub async fn deliver(state: &AppState, actor: &Actor, number: &str) -> ServiceResult<OrderDetail> {
    moved(
        state,
        actor,
        number,
        OrderStatus::Delivered,
        "Marked delivered by hand.",
    )
    .await
}

/// Hands a packed order to a carrier with its tracking number.
///
/// # Errors
/// `Invalid` (`carrier`, `tracking_number`); as [`pack`].
pub async fn ship(state: &AppState, actor: &Actor, f: &ShipForm) -> ServiceResult<OrderDetail> {
    actor.require(Action::ManageOrders)?;
    let carrier = f.carrier.trim();
    if !CARRIERS.contains(&carrier) {
        return Err(ServiceError::invalid(
            "carrier",
            format!("Choose the carrier: one of {}.", CARRIERS.join(", ")),
        ));
    }
    let tracking = f.tracking_number.trim().to_uppercase();
    if !(4..=40).contains(&tracking.len())
        || !tracking
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(ServiceError::invalid(
            "tracking_number",
            "Give the carrier's tracking number: 4 to 40 letters, digits or dashes.",
        ));
    }
    let mut uow = UnitOfWork::begin(state).await?;
    let o = orders::find_order(&*uow, actor.scope, &f.number, None).await?;
    commerce::move_in(
        &*uow,
        actor.scope,
        o.id,
        OrderStatus::Shipped,
        &format!("Shipped with {carrier}, tracking {tracking}."),
        &actor.name,
    )
    .await?;
    actor
        .scope
        .update_many::<order::Entity>()
        .col_expr(order::Column::Carrier, Expr::value(carrier))
        .col_expr(order::Column::TrackingNumber, Expr::value(tracking))
        .filter(order::Column::Id.eq(o.id))
        .exec(&*uow)
        .await?;
    // The carrier's tracking starts with the shipment (or not at all).
    shipping::tracking::enqueue_start(&*uow, &state.config.jobs, actor.scope, o.id).await?;
    uow.jobs_enqueued();
    let o = orders::find_order(&*uow, actor.scope, &f.number, None).await?;
    let d = orders::detail(&*uow, actor.scope, &o).await?;
    uow.commit().await?;
    Ok(d)
}
