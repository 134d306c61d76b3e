//! Commerce (SPEC C11), first slice: orders and their state machine.
//!
//! - **Placing** ([`place`]): lines of variants and quantities, each checked
//!   against the workspace's catalog and its stock (taken at once, given back
//!   when a pending order is cancelled); amounts in minor units, computed here
//!   and nowhere else (subtotal, shipping by [`shipping_for`], total). The order
//!   starts `pending`, with its first timeline entry.
//! - **Moving** ([`move_to`]): the move must be allowed by
//!   [`OrderStatus::check_move`] (refused with the rule in words: a 409), and
//!   is written only if nobody moved the order meanwhile (the update is
//!   conditional on the status read); each move adds a timeline entry in the
//!   same transaction.
//! - **Reading** ([`customer_orders`]): a customer's orders, newest first.
//!
//! Not yet (issue 13): the storefront, Stripe Checkout and webhooks,
//! shipping carriers, the admin pages, refunds by amount and the order tools.

use super::tenancy::{global, global_update, Scoped};
use super::uow::UnitOfWork;
use super::{now, AppState, ServiceError, ServiceResult};
use crate::types::{shipping_for, Address, OrderStatus, OrderSummary};
use entity::{customer, order, order_event, order_item, product, product_variant, workspace};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, Set};
use std::collections::BTreeMap;

/// Most lines in one order.
pub const MAX_LINES: usize = 50;
/// Most of one variant in one order.
pub const MAX_QUANTITY: i32 = 99;

/// One line of an order being placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewLine {
    /// The variant.
    pub variant_id: i32,
    /// How many.
    pub quantity: i32,
}

/// How an order was paid, as stored (JSON) and shown.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Payment {
    /// `card`, `wallet`, `gift_card`.
    pub kind: String,
    /// `Visa`, `PayPal`, a gift card's code ending …
    pub label: String,
    /// The customer's saved method it was paid with, if one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method_id: Option<i32>,
}

/// The label of a variant's options (`M · Moss`).
pub fn variant_label(options_json: &str) -> String {
    let options: BTreeMap<String, String> = serde_json::from_str(options_json).unwrap_or_default();
    // Size first, then colour, then anything else by name.
    let mut parts: Vec<&String> = ["size", "colour"]
        .iter()
        .filter_map(|k| options.get(*k))
        .collect();
    parts.extend(
        options
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "size" | "colour"))
            .map(|(_, v)| v),
    );
    parts
        .into_iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" · ")
}

pub(crate) fn summary(o: &order::Model, items: i64) -> OrderSummary {
    OrderSummary {
        id: o.id,
        number: o.number.clone(),
        status: OrderStatus::parse(&o.status).unwrap_or(OrderStatus::Pending),
        total_minor: o.total_minor,
        refunded_minor: o.refunded_minor,
        currency: o.currency.clone(),
        items,
        tracking_number: o.tracking_number.clone(),
        tracking_status: o
            .tracking_status
            .as_deref()
            .and_then(crate::types::TrackingStatus::parse),
        placed_at: o.placed_at.to_rfc3339(),
    }
}

pub(crate) async fn items_of(
    db: &impl ConnectionTrait,
    scope: Scoped,
    order_ids: &[i32],
) -> ServiceResult<BTreeMap<i32, i64>> {
    let mut out = BTreeMap::new();
    if order_ids.is_empty() {
        return Ok(out);
    }
    for i in scope
        .find::<order_item::Entity>()
        .filter(order_item::Column::OrderId.is_in(order_ids.iter().copied()))
        .all(db)
        .await?
    {
        *out.entry(i.order_id).or_default() += i64::from(i.quantity);
    }
    Ok(out)
}

/// A customer's orders, newest first.
///
/// # Errors
/// Database errors.
pub async fn customer_orders(
    db: &impl ConnectionTrait,
    scope: Scoped,
    customer_id: i32,
) -> ServiceResult<Vec<OrderSummary>> {
    let orders = scope
        .find::<order::Entity>()
        .filter(order::Column::CustomerId.eq(customer_id))
        .order_by_desc(order::Column::PlacedAt)
        .order_by_desc(order::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i32> = orders.iter().map(|o| o.id).collect();
    let items = items_of(db, scope, &ids).await?;
    Ok(orders
        .iter()
        .map(|o| summary(o, items.get(&o.id).copied().unwrap_or_default()))
        .collect())
}

/// Places an order for a customer: pending, stock taken, amounts computed.
///
/// # Errors
/// `Invalid` (`lines`, `address` fields) naming what is wrong; `NotFound`
/// (the customer or a variant is not the workspace's); `Conflict` (`lines`)
/// when a variant has too little stock, saying how much there is.
pub async fn place(
    state: &AppState,
    scope: Scoped,
    customer_id: i32,
    lines: &[NewLine],
    address: &Address,
    payment: &Payment,
    who: &str,
) -> ServiceResult<OrderSummary> {
    if lines.is_empty() || lines.len() > MAX_LINES {
        return Err(ServiceError::invalid(
            "lines",
            format!("An order has 1 to {MAX_LINES} lines."),
        ));
    }
    if let Some(l) = lines
        .iter()
        .find(|l| !(1..=MAX_QUANTITY).contains(&l.quantity))
    {
        return Err(ServiceError::invalid(
            "lines",
            format!(
                "A line takes 1 to {MAX_QUANTITY} of a variant (variant {}: {}).",
                l.variant_id, l.quantity
            ),
        ));
    }
    if let Some((field, message)) = address.problem() {
        return Err(ServiceError::invalid(field, message));
    }
    let uow = UnitOfWork::begin(state).await?;
    scope
        .find::<customer::Entity>()
        .filter(customer::Column::Id.eq(customer_id))
        .one(&*uow)
        .await?
        .ok_or(ServiceError::NotFound("Customer"))?;
    // The same variant on two lines counts once, added up.
    let mut wanted: BTreeMap<i32, i32> = BTreeMap::new();
    for l in lines {
        *wanted.entry(l.variant_id).or_default() += l.quantity;
    }
    let variants: BTreeMap<i32, product_variant::Model> = scope
        .find::<product_variant::Entity>()
        .filter(product_variant::Column::Id.is_in(wanted.keys().copied()))
        .all(&*uow)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    if variants.len() != wanted.len() {
        return Err(ServiceError::NotFound("Product variant"));
    }
    let products: BTreeMap<i32, product::Model> = scope
        .find::<product::Entity>()
        .filter(product::Column::Id.is_in(variants.values().map(|v| v.product_id)))
        .all(&*uow)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let currency = variants
        .values()
        .next()
        .map(|v| v.currency.clone())
        .unwrap_or_default();
    if variants.values().any(|v| v.currency != currency) {
        return Err(ServiceError::invalid(
            "lines",
            "An order is in one currency: these variants are priced in several.",
        ));
    }
    let mut subtotal: i64 = 0;
    for (id, qty) in &wanted {
        let v = &variants[id];
        let name = products.get(&v.product_id).map_or("", |p| p.name.as_str());
        if products
            .get(&v.product_id)
            .is_none_or(|p| p.status != "active")
        {
            return Err(ServiceError::conflict(
                "lines",
                format!("{name} ({}) is not on sale.", v.sku),
            ));
        }
        if !take_stock(&*uow, scope, *id, *qty).await? {
            return Err(ServiceError::conflict(
                "lines",
                format!(
                    "Only {} of {name} {} left (asked for {qty}).",
                    v.stock.max(0),
                    variant_label(&v.options)
                ),
            ));
        }
        subtotal += v.price_minor * i64::from(*qty);
    }
    let shipping = shipping_for(subtotal);
    let t = now();
    let number = next_number(&*uow, scope).await?.to_string();
    let o = order::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        number: Set(number),
        customer_id: Set(customer_id),
        status: Set(OrderStatus::Pending.as_str().to_owned()),
        currency: Set(currency),
        subtotal_minor: Set(subtotal),
        shipping_minor: Set(shipping),
        total_minor: Set(subtotal + shipping),
        refunded_minor: Set(0),
        shipping_address: Set(serde_json::to_string(address).unwrap_or_default()),
        payment: Set(serde_json::to_string(payment).unwrap_or_default()),
        stripe_session: Set(None),
        access_key: Set(Some(access_key())),
        payment_intent: Set(None),
        carrier: Set(None),
        tracking_number: Set(None),
        placed_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(&*uow)
    .await?;
    for (id, qty) in &wanted {
        let v = &variants[id];
        order_item::ActiveModel {
            workspace_id: Set(scope.workspace_id()),
            order_id: Set(o.id),
            variant_id: Set(Some(v.id)),
            product_name: Set(products
                .get(&v.product_id)
                .map(|p| p.name.clone())
                .unwrap_or_default()),
            variant_label: Set(variant_label(&v.options)),
            sku: Set(v.sku.clone()),
            unit_price_minor: Set(v.price_minor),
            quantity: Set(*qty),
            refunded_quantity: Set(0),
            ..Default::default()
        }
        .insert(&*uow)
        .await?;
    }
    event(
        &*uow,
        scope,
        o.id,
        None,
        OrderStatus::Pending,
        "Order placed.",
        who,
    )
    .await?;
    let items = wanted.values().map(|q| i64::from(*q)).sum();
    uow.commit().await?;
    Ok(summary(&o, items))
}

/// Takes `n` of a variant's stock, only if it is there (two orders for the
/// last one: one wins). Whether it was taken.
pub(crate) async fn take_stock(
    db: &impl ConnectionTrait,
    scope: Scoped,
    variant_id: i32,
    n: i32,
) -> ServiceResult<bool> {
    Ok(scope
        .update_many::<product_variant::Entity>()
        .col_expr(
            product_variant::Column::Stock,
            Expr::col(product_variant::Column::Stock).sub(n),
        )
        .filter(product_variant::Column::Id.eq(variant_id))
        .filter(product_variant::Column::Stock.gte(n))
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// Gives `n` back to a variant's stock (none when the variant is gone).
pub(crate) async fn give_stock(
    db: &impl ConnectionTrait,
    scope: Scoped,
    variant_id: Option<i32>,
    n: i32,
) -> ServiceResult<()> {
    let Some(id) = variant_id else { return Ok(()) };
    scope
        .update_many::<product_variant::Entity>()
        .col_expr(
            product_variant::Column::Stock,
            Expr::col(product_variant::Column::Stock).add(n),
        )
        .filter(product_variant::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// A random key for the shopper's link to their order (128 bits, hex).
fn access_key() -> String {
    use rand::RngCore;
    let mut b = [0_u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// Hands out the workspace's next order number (in the caller's
/// transaction: the row lock, or SQLite's write lock, serializes placements).
async fn next_number(db: &impl ConnectionTrait, scope: Scoped) -> ServiceResult<i32> {
    global_update::<workspace::Entity>()
        .col_expr(
            workspace::Column::OrderSeq,
            Expr::col(workspace::Column::OrderSeq).add(1),
        )
        .filter(workspace::Column::Id.eq(scope.workspace_id()))
        .exec(db)
        .await?;
    Ok(global::<workspace::Entity>()
        .filter(workspace::Column::Id.eq(scope.workspace_id()))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Workspace"))?
        .order_seq)
}

async fn event(
    db: &impl ConnectionTrait,
    scope: Scoped,
    order_id: i32,
    from: Option<OrderStatus>,
    to: OrderStatus,
    note: &str,
    who: &str,
) -> ServiceResult<()> {
    order_event::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        order_id: Set(order_id),
        kind: Set("status".to_owned()),
        from_status: Set(from.map(|s| s.as_str().to_owned())),
        to_status: Set(Some(to.as_str().to_owned())),
        note: Set(note.chars().take(1_000).collect()),
        actor: Set(who.chars().take(120).collect()),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Moves an order to `to`, with a note for its timeline. A cancelled order's
/// stock goes back; a refund (whole) records the amount refunded.
///
/// # Errors
/// `NotFound` (not the workspace's order); `Conflict` (`status`) with the
/// rule that forbids the move, or when the order moved meanwhile.
pub async fn move_to(
    state: &AppState,
    scope: Scoped,
    order_id: i32,
    to: OrderStatus,
    note: &str,
    who: &str,
) -> ServiceResult<OrderSummary> {
    let uow = UnitOfWork::begin(state).await?;
    let s = move_in(&*uow, scope, order_id, to, note, who).await?;
    uow.commit().await?;
    Ok(s)
}

/// [`move_to`] inside the caller's transaction (a webhook records its event
/// in the same one).
///
/// # Errors
/// As [`move_to`].
pub async fn move_in(
    db: &impl ConnectionTrait,
    scope: Scoped,
    order_id: i32,
    to: OrderStatus,
    note: &str,
    who: &str,
) -> ServiceResult<OrderSummary> {
    let o = scope
        .find::<order::Entity>()
        .filter(order::Column::Id.eq(order_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Order"))?;
    let from = OrderStatus::parse(&o.status)
        .ok_or_else(|| ServiceError::Internal(format!("order {} has status {}", o.id, o.status)))?;
    from.check_move(to)
        .map_err(|why| ServiceError::conflict("status", format!("Order {}: {why}", o.number)))?;
    if to == OrderStatus::PartiallyRefunded {
        // The amount comes from the items returned: a status without its
        // amount would be a lie.
        return Err(ServiceError::conflict(
            "status",
            format!(
                "Order {}: part of an order is refunded by returning its items (the return tool), which computes the amount.",
                o.number
            ),
        ));
    }
    let t = now();
    let mut update = scope
        .update_many::<order::Entity>()
        .col_expr(order::Column::Status, Expr::value(to.as_str()))
        .col_expr(order::Column::UpdatedAt, Expr::value(t));
    if to == OrderStatus::Refunded {
        update = update.col_expr(order::Column::RefundedMinor, Expr::value(o.total_minor));
    }
    let moved = update
        .filter(order::Column::Id.eq(o.id))
        .filter(order::Column::Status.eq(from.as_str()))
        .exec(db)
        .await?
        .rows_affected;
    if moved == 0 {
        return Err(ServiceError::conflict(
            "status",
            format!("Order {} changed meanwhile: look again.", o.number),
        ));
    }
    if to == OrderStatus::Cancelled {
        for i in scope
            .find::<order_item::Entity>()
            .filter(order_item::Column::OrderId.eq(o.id))
            .all(db)
            .await?
        {
            give_stock(db, scope, i.variant_id, i.quantity).await?;
        }
    }
    event(db, scope, o.id, Some(from), to, note, who).await?;
    let items = items_of(db, scope, &[o.id]).await?;
    let after = scope
        .find::<order::Entity>()
        .filter(order::Column::Id.eq(o.id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Order"))?;
    Ok(summary(
        &after,
        items.get(&o.id).copied().unwrap_or_default(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_labels_read_size_then_colour() {
        assert_eq!(variant_label(r#"{"colour":"Moss","size":"M"}"#), "M · Moss");
        assert_eq!(
            variant_label(r#"{"colour":"Moss","fit":"Tall"}"#),
            "Moss · Tall"
        );
        assert_eq!(variant_label("not json"), "");
    }
}
