//! Order operations (SPEC C11.3): what an agent, the AI agent (through the
//! tools in [`super::actions::order_tools`]) or an MCP client does with a
//! customer's orders, keeping the rules a real store keeps.
//!
//! - Only an order **awaiting payment** changes (address, items, payment) or
//!   cancels, and not while the shopper is on Stripe's payment page.
//! - Items change only to **another variant of the same product**, with its
//!   stock taken and the old one's given back; totals are computed again in
//!   minor units ([`crate::types::shipping_for`]).
//! - Only **delivered** items are returned ([`crate::types::return_amount`]:
//!   the items' prices, or what remains of the total when everything comes
//!   back) or exchanged (the price difference paid from a gift card or
//!   refunded); a whole refund takes back what remains of the total.
//! - Money goes back to the original method (through Stripe when the order
//!   was paid there, with an idempotency key, so a repeat is the same refund)
//!   or to one of the customer's gift cards (its balance grows).
//!
//! Every change takes the caller's transaction (the action's unit of work;
//! the type asks for one, so a refused request writes nothing), writes a
//! timeline entry, and answers a blocked request with the rule
//! that blocked it (`Conflict`) or the input at fault (`Invalid`). Calls to
//! Stripe come last, so a refusal there rolls every write back.

use super::commerce::{self, variant_label, Payment};
use super::payments;
use super::tenancy::Scoped;
use super::{now, AppState, ServiceError, ServiceResult};
use crate::types::{
    count_units, money, return_amount, shipping_for, Address, CustomerMatch, CustomerProfile,
    OrderDetail, OrderEventView, OrderLine, OrderOptions, OrderStatus, PaymentMethodView,
    ProductDetail, RefundDone, VariantStock,
};
use entity::{customer, order, order_event, order_item, payment_method, product, product_variant};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::collections::BTreeMap;

/// How a customer is looked up.
#[derive(Clone, Copy, Debug)]
pub enum Lookup<'a> {
    /// By email (any case).
    Email(&'a str),
    /// By name (any case) and a postcode they use (their default address or
    /// an order's).
    NameAndPostcode {
        /// Name.
        name: &'a str,
        /// Postcode (spaces and case ignored).
        postcode: &'a str,
    },
}

/// Where a refund goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundTo {
    /// The method the order was paid with.
    Original,
    /// One of the customer's gift cards.
    GiftCard(i32),
}

fn postcode_key(p: &str) -> String {
    p.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

fn address_of(json: &str) -> Option<Address> {
    serde_json::from_str(json).ok()
}

fn payment_of(o: &order::Model) -> Payment {
    serde_json::from_str(&o.payment).unwrap_or(Payment {
        kind: "card".into(),
        label: "the original payment method".into(),
        method_id: None,
    })
}

fn status_of(o: &order::Model) -> ServiceResult<OrderStatus> {
    OrderStatus::parse(&o.status)
        .ok_or_else(|| ServiceError::Internal(format!("order {} has status {}", o.id, o.status)))
}

/// Customers matching `l` (at most 10), merged ones left out.
///
/// # Errors
/// `Invalid` (`email`, `name`, `postcode`) when blank; database errors.
pub async fn find_customers(
    db: &impl ConnectionTrait,
    scope: Scoped,
    l: Lookup<'_>,
) -> ServiceResult<Vec<CustomerMatch>> {
    let lower = |c: customer::Column| Expr::expr(Func::lower(Expr::col(c)));
    let found = match l {
        Lookup::Email(e) => {
            if e.trim().is_empty() {
                return Err(ServiceError::invalid("email", "Give the customer's email."));
            }
            scope
                .find::<customer::Entity>()
                .filter(lower(customer::Column::Email).eq(e.trim().to_lowercase()))
                .filter(customer::Column::MergedIntoId.is_null())
                .order_by_asc(customer::Column::Id)
                .limit(10)
                .all(db)
                .await?
        }
        Lookup::NameAndPostcode { name, postcode } => {
            if name.trim().is_empty() {
                return Err(ServiceError::invalid("name", "Give the customer's name."));
            }
            let want = postcode_key(postcode);
            if want.is_empty() {
                return Err(ServiceError::invalid(
                    "postcode",
                    "Give a postcode with the name: names alone are not unique.",
                ));
            }
            let named = scope
                .find::<customer::Entity>()
                .filter(lower(customer::Column::Name).eq(name.trim().to_lowercase()))
                .filter(customer::Column::MergedIntoId.is_null())
                .order_by_asc(customer::Column::Id)
                .limit(50)
                .all(db)
                .await?;
            let mut out = Vec::new();
            for c in named {
                let mut codes: Vec<String> = c
                    .default_address
                    .as_deref()
                    .and_then(address_of)
                    .map(|a| vec![postcode_key(&a.postcode)])
                    .unwrap_or_default();
                let addresses: Vec<String> = scope
                    .find::<order::Entity>()
                    .select_only()
                    .column(order::Column::ShippingAddress)
                    .filter(order::Column::CustomerId.eq(c.id))
                    .limit(50)
                    .into_tuple()
                    .all(db)
                    .await?;
                codes.extend(
                    addresses
                        .iter()
                        .filter_map(|a| address_of(a))
                        .map(|a| postcode_key(&a.postcode)),
                );
                if codes.contains(&want) {
                    out.push(c);
                }
                if out.len() == 10 {
                    break;
                }
            }
            out
        }
    };
    Ok(found
        .into_iter()
        .map(|c| CustomerMatch {
            id: c.id,
            name: c.name,
            email: c.email,
        })
        .collect())
}

async fn customer_row(
    db: &impl ConnectionTrait,
    scope: Scoped,
    id: i32,
) -> ServiceResult<customer::Model> {
    scope
        .find::<customer::Entity>()
        .filter(customer::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Customer"))
}

async fn methods_of(
    db: &impl ConnectionTrait,
    scope: Scoped,
    customer_id: i32,
) -> ServiceResult<Vec<payment_method::Model>> {
    Ok(scope
        .find::<payment_method::Entity>()
        .filter(payment_method::Column::CustomerId.eq(customer_id))
        .order_by_desc(payment_method::Column::IsDefault)
        .order_by_asc(payment_method::Column::Id)
        .all(db)
        .await?)
}

fn method_view(m: &payment_method::Model) -> PaymentMethodView {
    PaymentMethodView {
        id: m.id,
        kind: m.kind.clone(),
        label: m.label.clone(),
        balance_minor: m.balance_minor,
        currency: m.currency.clone(),
        is_default: m.is_default,
    }
}

/// A customer's profile: default address, saved payment methods, orders.
///
/// # Errors
/// `NotFound` (not the workspace's customer); database errors.
pub async fn profile(
    db: &impl ConnectionTrait,
    scope: Scoped,
    customer_id: i32,
) -> ServiceResult<CustomerProfile> {
    let c = customer_row(db, scope, customer_id).await?;
    let methods = methods_of(db, scope, c.id).await?;
    Ok(CustomerProfile {
        id: c.id,
        default_address: c.default_address.as_deref().and_then(address_of),
        name: c.name,
        email: c.email,
        payment_methods: methods.iter().map(method_view).collect(),
        orders: commerce::customer_orders(db, scope, customer_id).await?,
    })
}

/// Changes a customer's default address.
///
/// # Errors
/// `Invalid` naming the address field at fault; `NotFound`; database errors.
pub async fn set_default_address(
    db: &DatabaseTransaction,
    scope: Scoped,
    customer_id: i32,
    address: &Address,
) -> ServiceResult<CustomerProfile> {
    if let Some((field, message)) = address.problem() {
        return Err(ServiceError::invalid(field, message));
    }
    let c = customer_row(db, scope, customer_id).await?;
    scope
        .update_many::<customer::Entity>()
        .col_expr(
            customer::Column::DefaultAddress,
            Expr::value(serde_json::to_string(address).unwrap_or_default()),
        )
        .col_expr(customer::Column::UpdatedAt, Expr::value(now()))
        .filter(customer::Column::Id.eq(c.id))
        .exec(db)
        .await?;
    profile(db, scope, c.id).await
}

/// The order numbered `reference` (`1042` or `#1042`). With `of`, it must be
/// that customer's (a ticket's tools act only on its customer's orders).
///
/// # Errors
/// `NotFound`; `Conflict` (`order`) when it is another customer's.
pub async fn find_order(
    db: &impl ConnectionTrait,
    scope: Scoped,
    reference: &str,
    of: Option<i32>,
) -> ServiceResult<order::Model> {
    let number = reference.trim().trim_start_matches('#').trim();
    let o = scope
        .find::<order::Entity>()
        .filter(order::Column::Number.eq(number))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Order"))?;
    if of.is_some_and(|c| c != o.customer_id) {
        return Err(ServiceError::conflict(
            "order",
            format!(
                "Order {} is another customer's: a ticket's tools act only on its own customer's orders.",
                o.number
            ),
        ));
    }
    Ok(o)
}

async fn items(
    db: &impl ConnectionTrait,
    scope: Scoped,
    order_id: i32,
) -> ServiceResult<Vec<order_item::Model>> {
    Ok(scope
        .find::<order_item::Entity>()
        .filter(order_item::Column::OrderId.eq(order_id))
        .order_by_asc(order_item::Column::Id)
        .all(db)
        .await?)
}

async fn reload(db: &impl ConnectionTrait, scope: Scoped, id: i32) -> ServiceResult<order::Model> {
    scope
        .find::<order::Entity>()
        .filter(order::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Order"))
}

/// An order with its lines, amounts, address, payment and timeline.
///
/// # Errors
/// Database errors.
pub async fn detail(
    db: &impl ConnectionTrait,
    scope: Scoped,
    o: &order::Model,
) -> ServiceResult<OrderDetail> {
    let lines = items(db, scope, o.id).await?;
    detail_of(db, scope, o, &lines).await
}

/// [`detail`] with the order's lines already read.
async fn detail_of(
    db: &impl ConnectionTrait,
    scope: Scoped,
    o: &order::Model,
    lines: &[order_item::Model],
) -> ServiceResult<OrderDetail> {
    let events = scope
        .find::<order_event::Entity>()
        .filter(order_event::Column::OrderId.eq(o.id))
        .order_by_asc(order_event::Column::Id)
        .all(db)
        .await?;
    let c = customer_row(db, scope, o.customer_id).await?;
    let tracking = super::shipping::tracking::view(db, scope, o).await?;
    Ok(OrderDetail {
        tracking,
        summary: commerce::summary(o, lines.iter().map(|l| i64::from(l.quantity)).sum()),
        customer_id: c.id,
        customer_name: c.name,
        subtotal_minor: o.subtotal_minor,
        shipping_minor: o.shipping_minor,
        address: address_of(&o.shipping_address).unwrap_or_default(),
        payment: payment_of(o).label,
        paid_through_stripe: o.payment_intent.is_some(),
        lines: lines
            .iter()
            .map(|l| OrderLine {
                sku: l.sku.clone(),
                product: l.product_name.clone(),
                variant: l.variant_label.clone(),
                unit_price_minor: l.unit_price_minor,
                quantity: l.quantity,
                refunded_quantity: l.refunded_quantity,
            })
            .collect(),
        events: events
            .into_iter()
            .map(|e| OrderEventView {
                at: e.created_at.to_rfc3339(),
                to: e.to_status.as_deref().and_then(OrderStatus::parse),
                kind: e.kind,
                note: e.note,
                actor: e.actor,
            })
            .collect(),
    })
}

/// A product by SKU of one of its variants, by its slug or by its name (any
/// case), with every variant's price and stock.
///
/// # Errors
/// `NotFound`; database errors.
pub async fn product_detail(
    db: &impl ConnectionTrait,
    scope: Scoped,
    query: &str,
) -> ServiceResult<ProductDetail> {
    let q = query.trim();
    let by_sku = scope
        .find::<product_variant::Entity>()
        .filter(product_variant::Column::Sku.eq(q))
        .one(db)
        .await?;
    let p = match by_sku {
        Some(v) => {
            scope
                .find::<product::Entity>()
                .filter(product::Column::Id.eq(v.product_id))
                .one(db)
                .await?
        }
        None => {
            scope
                .find::<product::Entity>()
                .filter(product::Column::Slug.eq(q.to_lowercase()).or(
                    Expr::expr(Func::lower(Expr::col(product::Column::Name))).eq(q.to_lowercase()),
                ))
                .one(db)
                .await?
        }
    }
    .ok_or(ServiceError::NotFound("Product"))?;
    let variants = scope
        .find::<product_variant::Entity>()
        .filter(product_variant::Column::ProductId.eq(p.id))
        .order_by_asc(product_variant::Column::Position)
        .order_by_asc(product_variant::Column::Id)
        .all(db)
        .await?;
    Ok(ProductDetail {
        id: p.id,
        name: p.name,
        status: p.status,
        variants: variants
            .into_iter()
            .map(|v| VariantStock {
                label: variant_label(&v.options),
                sku: v.sku,
                price_minor: v.price_minor,
                currency: v.currency,
                stock: v.stock,
            })
            .collect(),
    })
}

/// An order with what may change on it now and the choices each change
/// offers: the reason its address, items and payment are fixed (if they
/// are), the reason nothing returns (if so), each line's other variants on
/// sale and the customer's saved payment methods. Four statements besides
/// the detail, whatever the order's size.
///
/// # Errors
/// Database errors.
pub async fn options(
    db: &impl ConnectionTrait,
    scope: Scoped,
    o: &order::Model,
) -> ServiceResult<OrderOptions> {
    let lines = items(db, scope, o.id).await?;
    let detail = detail_of(db, scope, o, &lines).await?;
    let change_blocked = changeable(o, "changes").err().map(|e| rule_of(&e));
    let open_units: i32 = detail
        .lines
        .iter()
        .map(|l| l.quantity - l.refunded_quantity)
        .sum();
    let return_blocked = match status_of(o)? {
        OrderStatus::Delivered | OrderStatus::PartiallyRefunded if open_units > 0 => None,
        OrderStatus::Delivered | OrderStatus::PartiallyRefunded => Some(format!(
            "Every item of order {} came back already.",
            o.number
        )),
        s => Some(format!(
            "Only delivered items are returned or exchanged; order {} is {}.",
            o.number,
            s.label().to_lowercase()
        )),
    };
    let bought: Vec<i32> = lines.iter().filter_map(|l| l.variant_id).collect();
    let bought = if bought.is_empty() {
        Vec::new()
    } else {
        scope
            .find::<product_variant::Entity>()
            .filter(product_variant::Column::Id.is_in(bought))
            .all(db)
            .await?
    };
    let product_ids: Vec<i32> = bought.iter().map(|v| v.product_id).collect();
    let (on_sale, siblings) = if product_ids.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        let on_sale: Vec<i32> = scope
            .find::<product::Entity>()
            .select_only()
            .column(product::Column::Id)
            .filter(product::Column::Id.is_in(product_ids.clone()))
            .filter(product::Column::Status.eq("active"))
            .into_tuple()
            .all(db)
            .await?;
        let siblings = scope
            .find::<product_variant::Entity>()
            .filter(product_variant::Column::ProductId.is_in(product_ids))
            .filter(product_variant::Column::Currency.eq(o.currency.clone()))
            .order_by_asc(product_variant::Column::Position)
            .order_by_asc(product_variant::Column::Id)
            .all(db)
            .await?;
        (on_sale, siblings)
    };
    let alternatives = lines
        .iter()
        .map(|l| {
            let Some(old) = l
                .variant_id
                .and_then(|id| bought.iter().find(|v| v.id == id))
            else {
                return Vec::new();
            };
            if !on_sale.contains(&old.product_id) {
                return Vec::new();
            }
            siblings
                .iter()
                .filter(|v| v.product_id == old.product_id && v.id != old.id)
                .map(|v| VariantStock {
                    sku: v.sku.clone(),
                    label: variant_label(&v.options),
                    price_minor: v.price_minor,
                    currency: v.currency.clone(),
                    stock: v.stock,
                })
                .collect()
        })
        .collect();
    let payment_methods = methods_of(db, scope, o.customer_id)
        .await?
        .iter()
        .map(method_view)
        .collect();
    Ok(OrderOptions {
        detail,
        change_blocked,
        return_blocked,
        alternatives,
        payment_methods,
    })
}

/// The words of a refusal, for a form that says why it is not offered.
fn rule_of(e: &ServiceError) -> String {
    match e {
        ServiceError::Conflict { message, .. } | ServiceError::Invalid { message, .. } => {
            message.clone()
        }
        other => other.to_string(),
    }
}

async fn log(
    db: &impl ConnectionTrait,
    scope: Scoped,
    order_id: i32,
    kind: &str,
    to: Option<OrderStatus>,
    note: &str,
    who: &str,
) -> ServiceResult<()> {
    order_event::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        order_id: Set(order_id),
        kind: Set(kind.to_owned()),
        from_status: Set(None),
        to_status: Set(to.map(|s| s.as_str().to_owned())),
        note: Set(note.chars().take(1_000).collect()),
        actor: Set(who.chars().take(120).collect()),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Only a pending order changes, and not while its shopper is paying on
/// Stripe's page (the session's amount is fixed).
fn changeable(o: &order::Model, what: &str) -> ServiceResult<()> {
    let s = status_of(o)?;
    if s != OrderStatus::Pending {
        let hint = match s {
            OrderStatus::Delivered | OrderStatus::PartiallyRefunded => {
                " Delivered items are returned or exchanged instead."
            }
            OrderStatus::Paid | OrderStatus::Fulfilled | OrderStatus::Shipped => {
                " A paid order is refunded instead."
            }
            _ => "",
        };
        return Err(ServiceError::conflict(
            "order",
            format!(
                "Order {} is {}: only an order awaiting payment {what}.{hint}",
                o.number,
                s.label().to_lowercase()
            ),
        ));
    }
    if o.stripe_session.is_some() {
        return Err(ServiceError::conflict(
            "order",
            format!(
                "The shopper is paying for order {} on Stripe's page: it cannot change until that payment completes or its session expires (35 minutes).",
                o.number
            ),
        ));
    }
    Ok(())
}

/// Updates a pending order's columns only if it is still pending.
async fn update_pending(
    db: &impl ConnectionTrait,
    scope: Scoped,
    o: &order::Model,
    cols: Vec<(order::Column, sea_orm::sea_query::SimpleExpr)>,
) -> ServiceResult<()> {
    let mut u = scope
        .update_many::<order::Entity>()
        .col_expr(order::Column::UpdatedAt, Expr::value(now()));
    for (c, v) in cols {
        u = u.col_expr(c, v);
    }
    let n = u
        .filter(order::Column::Id.eq(o.id))
        .filter(order::Column::Status.eq(o.status.clone()))
        .exec(db)
        .await?
        .rows_affected;
    if n == 0 {
        return Err(ServiceError::conflict(
            "order",
            format!("Order {} changed meanwhile: look again.", o.number),
        ));
    }
    Ok(())
}

/// Cancels an order awaiting payment (its stock goes back), with a reason.
///
/// # Errors
/// `Invalid` (`reason`); `Conflict` with the rule (not pending, being paid).
pub async fn cancel(
    db: &DatabaseTransaction,
    scope: Scoped,
    o: &order::Model,
    reason: &str,
    who: &str,
) -> ServiceResult<OrderDetail> {
    if reason.trim().is_empty() {
        return Err(ServiceError::invalid(
            "reason",
            "Say why the order is cancelled.",
        ));
    }
    if status_of(o)? == OrderStatus::Pending {
        changeable(o, "is cancelled")?;
    }
    commerce::move_in(
        db,
        scope,
        o.id,
        OrderStatus::Cancelled,
        &format!("Cancelled: {}", reason.trim()),
        who,
    )
    .await?;
    detail(db, scope, &reload(db, scope, o.id).await?).await
}

/// Changes a pending order's shipping address.
///
/// # Errors
/// `Invalid` naming the address field; `Conflict` with the rule.
pub async fn change_address(
    db: &DatabaseTransaction,
    scope: Scoped,
    o: &order::Model,
    address: &Address,
    who: &str,
) -> ServiceResult<OrderDetail> {
    changeable(o, "changes its address")?;
    if let Some((field, message)) = address.problem() {
        return Err(ServiceError::invalid(field, message));
    }
    update_pending(
        db,
        scope,
        o,
        vec![(
            order::Column::ShippingAddress,
            Expr::value(serde_json::to_string(address).unwrap_or_default()),
        )],
    )
    .await?;
    log(
        db,
        scope,
        o.id,
        "change",
        None,
        &format!("Ships to {} now.", address.one_line()),
        who,
    )
    .await?;
    detail(db, scope, &reload(db, scope, o.id).await?).await
}

/// A variant by SKU in the workspace, with its product, for an item change
/// or an exchange from `old` (the bought variant): the same product, on sale,
/// another variant.
async fn sibling(
    db: &impl ConnectionTrait,
    scope: Scoped,
    line: &order_item::Model,
    new_sku: &str,
) -> ServiceResult<(product_variant::Model, product::Model)> {
    let v = scope
        .find::<product_variant::Entity>()
        .filter(product_variant::Column::Sku.eq(new_sku.trim()))
        .one(db)
        .await?
        .ok_or_else(|| {
            ServiceError::invalid("new_skus", format!("No product variant has SKU {new_sku}."))
        })?;
    let Some(old_id) = line.variant_id else {
        return Err(ServiceError::conflict(
            "skus",
            format!(
                "{} is no longer in the catalog, so it has no other variants.",
                line.sku
            ),
        ));
    };
    let old = scope
        .find::<product_variant::Entity>()
        .filter(product_variant::Column::Id.eq(old_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Product variant"))?;
    if v.id == old.id {
        return Err(ServiceError::invalid(
            "new_skus",
            format!("{new_sku} is the variant already bought."),
        ));
    }
    if v.product_id != old.product_id {
        return Err(ServiceError::conflict(
            "new_skus",
            format!(
                "{new_sku} is another product: an item changes only to another variant (size, colour) of the same product, {}.",
                line.product_name
            ),
        ));
    }
    let p = scope
        .find::<product::Entity>()
        .filter(product::Column::Id.eq(v.product_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Product"))?;
    if p.status != "active" {
        return Err(ServiceError::conflict(
            "new_skus",
            format!("{} is not on sale.", p.name),
        ));
    }
    Ok((v, p))
}

/// Takes `n` of a variant's stock, only if it is there.
async fn take_stock(
    db: &impl ConnectionTrait,
    scope: Scoped,
    v: &product_variant::Model,
    name: &str,
    n: i32,
) -> ServiceResult<()> {
    if !commerce::take_stock(db, scope, v.id, n).await? {
        return Err(ServiceError::conflict(
            "new_skus",
            format!(
                "Only {} of {name} {} ({}) left (needs {n}).",
                v.stock.max(0),
                variant_label(&v.options),
                v.sku
            ),
        ));
    }
    Ok(())
}

fn line_for<'a>(
    lines: &'a [order_item::Model],
    sku: &str,
    o: &order::Model,
) -> ServiceResult<&'a order_item::Model> {
    lines.iter().find(|l| l.sku == sku.trim()).ok_or_else(|| {
        ServiceError::invalid("skus", format!("Order {} has no item {sku}.", o.number))
    })
}

/// Changes items of a pending order to other variants of the same products:
/// each `(sku, new_sku)` changes the whole line (all its units). Stock is
/// taken for the new variants and given back for the old; subtotal, shipping
/// and total are computed again.
///
/// # Errors
/// `Invalid` (`skus`, `new_skus`); `Conflict` with the rule (not pending,
/// another product, not enough stock).
pub async fn change_items(
    db: &DatabaseTransaction,
    scope: Scoped,
    o: &order::Model,
    pairs: &[(String, String)],
    who: &str,
) -> ServiceResult<OrderDetail> {
    changeable(o, "changes its items")?;
    if pairs.is_empty() {
        return Err(ServiceError::invalid("skus", "Name the items to change."));
    }
    let lines = items(db, scope, o.id).await?;
    let mut seen = Vec::new();
    let mut said = Vec::new();
    for (old, new) in pairs {
        if seen.contains(&old.trim()) {
            return Err(ServiceError::invalid(
                "skus",
                format!("List {old} once: a change applies to the whole line."),
            ));
        }
        seen.push(old.trim());
        let line = line_for(&lines, old, o)?;
        let (v, p) = sibling(db, scope, line, new).await?;
        if v.currency != o.currency {
            return Err(ServiceError::conflict(
                "new_skus",
                format!("{} is priced in another currency.", v.sku),
            ));
        }
        take_stock(db, scope, &v, &p.name, line.quantity).await?;
        commerce::give_stock(db, scope, line.variant_id, line.quantity).await?;
        let label = variant_label(&v.options);
        said.push(format!(
            "{} {} → {}",
            line.product_name, line.variant_label, label
        ));
        scope
            .update_many::<order_item::Entity>()
            .col_expr(order_item::Column::VariantId, Expr::value(v.id))
            .col_expr(order_item::Column::Sku, Expr::value(v.sku.clone()))
            .col_expr(order_item::Column::VariantLabel, Expr::value(label))
            .col_expr(
                order_item::Column::UnitPriceMinor,
                Expr::value(v.price_minor),
            )
            .filter(order_item::Column::Id.eq(line.id))
            .exec(db)
            .await?;
    }
    let subtotal: i64 = items(db, scope, o.id)
        .await?
        .iter()
        .map(|l| l.unit_price_minor * i64::from(l.quantity))
        .sum();
    let shipping = shipping_for(subtotal);
    update_pending(
        db,
        scope,
        o,
        vec![
            (order::Column::SubtotalMinor, Expr::value(subtotal)),
            (order::Column::ShippingMinor, Expr::value(shipping)),
            (order::Column::TotalMinor, Expr::value(subtotal + shipping)),
        ],
    )
    .await?;
    log(
        db,
        scope,
        o.id,
        "change",
        None,
        &format!(
            "Items changed: {}. Total {} → {}.",
            said.join("; "),
            money(o.total_minor, &o.currency),
            money(subtotal + shipping, &o.currency)
        ),
        who,
    )
    .await?;
    detail(db, scope, &reload(db, scope, o.id).await?).await
}

async fn method(
    db: &impl ConnectionTrait,
    scope: Scoped,
    customer_id: i32,
    id: i32,
) -> ServiceResult<payment_method::Model> {
    scope
        .find::<payment_method::Entity>()
        .filter(payment_method::Column::Id.eq(id))
        .filter(payment_method::Column::CustomerId.eq(customer_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Payment method"))
}

/// Changes how a pending order is paid, to another of the customer's saved
/// methods (a gift card must cover the total).
///
/// # Errors
/// `NotFound` (not the customer's method); `Conflict` with the rule.
pub async fn change_payment(
    db: &DatabaseTransaction,
    scope: Scoped,
    o: &order::Model,
    method_id: i32,
    who: &str,
) -> ServiceResult<OrderDetail> {
    changeable(o, "changes how it is paid")?;
    let m = method(db, scope, o.customer_id, method_id).await?;
    let before = payment_of(o);
    if before.method_id == Some(m.id) {
        return Err(ServiceError::conflict(
            "payment_method_id",
            format!("Order {} is paid with {} already.", o.number, m.label),
        ));
    }
    if m.kind == "gift_card" {
        if m.currency != o.currency {
            return Err(ServiceError::conflict(
                "payment_method_id",
                format!("{} is in another currency than the order.", m.label),
            ));
        }
        if m.balance_minor < o.total_minor {
            return Err(ServiceError::conflict(
                "payment_method_id",
                format!(
                    "{} has {}; order {} costs {}.",
                    m.label,
                    money(m.balance_minor, &m.currency),
                    o.number,
                    money(o.total_minor, &o.currency)
                ),
            ));
        }
    }
    let after = Payment {
        kind: m.kind.clone(),
        label: m.label.clone(),
        method_id: Some(m.id),
    };
    update_pending(
        db,
        scope,
        o,
        vec![(
            order::Column::Payment,
            Expr::value(serde_json::to_string(&after).unwrap_or_default()),
        )],
    )
    .await?;
    log(
        db,
        scope,
        o.id,
        "change",
        None,
        &format!("Paid with {} instead of {}.", m.label, before.label),
        who,
    )
    .await?;
    detail(db, scope, &reload(db, scope, o.id).await?).await
}

/// Where a refund's money goes, decided before anything is written.
enum Dest {
    Stripe(String),
    GiftCard(payment_method::Model),
    Recorded(String),
}

impl Dest {
    fn label(&self) -> &str {
        match self {
            Dest::Stripe(l) | Dest::Recorded(l) => l,
            Dest::GiftCard(m) => &m.label,
        }
    }
}

async fn destination(
    db: &impl ConnectionTrait,
    scope: Scoped,
    o: &order::Model,
    to: RefundTo,
) -> ServiceResult<Dest> {
    let gift = |m: payment_method::Model| {
        if m.kind != "gift_card" {
            return Err(ServiceError::conflict(
                "gift_card_id",
                format!(
                    "{} is not a gift card: money goes back to the original method or to a gift card.",
                    m.label
                ),
            ));
        }
        if m.currency != o.currency {
            return Err(ServiceError::conflict(
                "gift_card_id",
                format!("{} is in another currency than the order.", m.label),
            ));
        }
        Ok(Dest::GiftCard(m))
    };
    match to {
        RefundTo::GiftCard(id) => gift(method(db, scope, o.customer_id, id).await?),
        RefundTo::Original => {
            let p = payment_of(o);
            if o.payment_intent.is_some() {
                return Ok(Dest::Stripe(p.label));
            }
            match p.method_id {
                Some(id) if p.kind == "gift_card" => {
                    gift(method(db, scope, o.customer_id, id).await?)
                }
                _ => Ok(Dest::Recorded(p.label)),
            }
        }
    }
}

/// Moves the money (last: a refusal rolls the caller's writes back).
async fn issue(
    state: &AppState,
    db: &impl ConnectionTrait,
    scope: Scoped,
    o: &order::Model,
    dest: &Dest,
    amount: i64,
    key: &str,
) -> ServiceResult<(String, Option<String>)> {
    match dest {
        Dest::Stripe(_) => {
            let id = payments::refund(state, db, scope, o, amount, key).await?;
            Ok(("stripe".into(), Some(id)))
        }
        Dest::GiftCard(m) => {
            scope
                .update_many::<payment_method::Entity>()
                .col_expr(
                    payment_method::Column::BalanceMinor,
                    Expr::col(payment_method::Column::BalanceMinor).add(amount),
                )
                .filter(payment_method::Column::Id.eq(m.id))
                .exec(db)
                .await?;
            Ok(("gift_card".into(), None))
        }
        Dest::Recorded(_) => Ok(("recorded".into(), None)),
    }
}

fn check_expected(o: &order::Model, amount: i64, expected: Option<i64>) -> ServiceResult<()> {
    match expected {
        Some(e) if e != amount => Err(ServiceError::conflict(
            "amount",
            format!(
                "The refund is {}, not {}: look at the order again and propose the exact amount.",
                money(amount, &o.currency),
                money(e, &o.currency)
            ),
        )),
        _ => Ok(()),
    }
}

/// The refund of returning `skus` (a SKU once per unit) from a delivered
/// order, without changing anything: (amount, everything returned).
///
/// # Errors
/// `Conflict` with the rule (not delivered, not on the order, returned
/// already).
pub async fn quote_return(
    db: &impl ConnectionTrait,
    scope: Scoped,
    o: &order::Model,
    skus: &[String],
) -> ServiceResult<(i64, bool)> {
    let s = status_of(o)?;
    if !matches!(s, OrderStatus::Delivered | OrderStatus::PartiallyRefunded) {
        let hint = match s {
            OrderStatus::Pending => " Cancel it instead.",
            OrderStatus::Paid | OrderStatus::Fulfilled | OrderStatus::Shipped => {
                " Refund the whole order instead, or wait for delivery."
            }
            _ => "",
        };
        return Err(ServiceError::conflict(
            "order",
            format!(
                "Only delivered items are returned; order {} is {}.{hint}",
                o.number,
                s.label().to_lowercase()
            ),
        ));
    }
    if skus.is_empty() {
        return Err(ServiceError::invalid("skus", "Name the items to return."));
    }
    let lines: Vec<(String, i64, i32, i32)> = items(db, scope, o.id)
        .await?
        .into_iter()
        .map(|l| (l.sku, l.unit_price_minor, l.quantity, l.refunded_quantity))
        .collect();
    return_amount(&lines, &count_units(skus), o.total_minor, o.refunded_minor)
        .map_err(|m| ServiceError::conflict("skus", m))
}

/// Returns delivered items: stock back, the items marked returned, the order
/// partially refunded (refunded once everything is back), the money to `to`.
/// `expected` (minor units), when given, must be the exact refund. `key`
/// makes a repeat the same Stripe refund.
///
/// # Errors
/// As [`quote_return`]; `Conflict` (`amount`) when `expected` differs;
/// `Conflict` (`payment`) when Stripe refuses.
#[allow(clippy::too_many_arguments)]
pub async fn return_items(
    state: &AppState,
    db: &DatabaseTransaction,
    scope: Scoped,
    o: &order::Model,
    skus: &[String],
    to: RefundTo,
    expected: Option<i64>,
    who: &str,
    key: &str,
) -> ServiceResult<RefundDone> {
    let (amount, all) = quote_return(db, scope, o, skus).await?;
    check_expected(o, amount, expected)?;
    let dest = destination(db, scope, o, to).await?;
    let lines = items(db, scope, o.id).await?;
    let mut said = Vec::new();
    for (sku, n) in count_units(skus) {
        let l = line_for(&lines, &sku, o)?;
        scope
            .update_many::<order_item::Entity>()
            .col_expr(
                order_item::Column::RefundedQuantity,
                Expr::col(order_item::Column::RefundedQuantity).add(n),
            )
            .filter(order_item::Column::Id.eq(l.id))
            .exec(db)
            .await?;
        commerce::give_stock(db, scope, l.variant_id, n).await?;
        said.push(format!("{n} × {} ({})", l.product_name, l.variant_label));
    }
    let from = status_of(o)?;
    let to_status = if all {
        OrderStatus::Refunded
    } else {
        OrderStatus::PartiallyRefunded
    };
    from.check_move(to_status)
        .map_err(|why| ServiceError::conflict("order", format!("Order {}: {why}", o.number)))?;
    update_pending(
        db,
        scope,
        o,
        vec![
            (order::Column::Status, Expr::value(to_status.as_str())),
            (
                order::Column::RefundedMinor,
                Expr::value(o.refunded_minor + amount),
            ),
        ],
    )
    .await?;
    log(
        db,
        scope,
        o.id,
        "refund",
        Some(to_status),
        &format!(
            "Returned {}; {} back to {}.",
            said.join(", "),
            money(amount, &o.currency),
            dest.label()
        ),
        who,
    )
    .await?;
    let (issued_by, reference) = issue(state, db, scope, o, &dest, amount, key).await?;
    Ok(RefundDone {
        order: detail(db, scope, &reload(db, scope, o.id).await?).await?,
        amount_minor: amount,
        to: dest.label().to_owned(),
        issued_by,
        reference,
    })
}

/// What a whole refund of `o` gives back now (what remains of the total).
///
/// # Errors
/// `Conflict` with the rule when the order cannot be refunded.
pub fn quote_refund(o: &order::Model) -> ServiceResult<i64> {
    status_of(o)?
        .check_move(OrderStatus::Refunded)
        .map_err(|why| ServiceError::conflict("order", format!("Order {}: {why}", o.number)))?;
    Ok((o.total_minor - o.refunded_minor).max(0))
}

/// Refunds what remains of a paid order's total. Items not shipped yet go
/// back into stock.
///
/// # Errors
/// `Conflict` with the rule (not paid, refunded already), for a wrong
/// `expected`, or when Stripe refuses.
#[allow(clippy::too_many_arguments)]
pub async fn refund(
    state: &AppState,
    db: &DatabaseTransaction,
    scope: Scoped,
    o: &order::Model,
    reason: &str,
    to: RefundTo,
    expected: Option<i64>,
    who: &str,
    key: &str,
) -> ServiceResult<RefundDone> {
    if reason.trim().is_empty() {
        return Err(ServiceError::invalid(
            "reason",
            "Say why the order is refunded.",
        ));
    }
    let amount = quote_refund(o)?;
    check_expected(o, amount, expected)?;
    let dest = destination(db, scope, o, to).await?;
    let unshipped = matches!(status_of(o)?, OrderStatus::Paid | OrderStatus::Fulfilled);
    for l in items(db, scope, o.id).await? {
        let open = l.quantity - l.refunded_quantity;
        if open <= 0 {
            continue;
        }
        if unshipped {
            commerce::give_stock(db, scope, l.variant_id, open).await?;
        }
        scope
            .update_many::<order_item::Entity>()
            .col_expr(
                order_item::Column::RefundedQuantity,
                Expr::value(l.quantity),
            )
            .filter(order_item::Column::Id.eq(l.id))
            .exec(db)
            .await?;
    }
    commerce::move_in(
        db,
        scope,
        o.id,
        OrderStatus::Refunded,
        &format!(
            "Refunded {} to {}: {}",
            money(amount, &o.currency),
            dest.label(),
            reason.trim()
        ),
        who,
    )
    .await?;
    let (issued_by, reference) = issue(state, db, scope, o, &dest, amount, key).await?;
    Ok(RefundDone {
        order: detail(db, scope, &reload(db, scope, o.id).await?).await?,
        amount_minor: amount,
        to: dest.label().to_owned(),
        issued_by,
        reference,
    })
}

/// What an exchange moves: the order after it and the price difference
/// (positive: paid by the customer from a gift card; negative: refunded).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Exchanged {
    /// The order after it.
    pub order: OrderDetail,
    /// New minus old prices (minor units).
    pub difference_minor: i64,
    /// Where the difference was taken from or went to (none when 0).
    pub settled_with: Option<String>,
    /// `stripe`, `gift_card`, `recorded` (see [`RefundDone`]).
    pub issued_by: Option<String>,
}

/// Exchanges delivered units (`pairs`: a SKU bought and the SKU wanted, once
/// per unit) for other variants of the same products: stock taken for the new
/// and given back for the returned; the lines and totals follow. A higher
/// price is paid from the customer's gift card `pay_with`; a lower one is
/// refunded to `refund_to`.
///
/// # Errors
/// `Invalid` (`skus`, `new_skus`); `Conflict` with the rule (not delivered,
/// another product, stock, no gift card or too small a balance).
#[allow(clippy::too_many_arguments)]
pub async fn exchange(
    state: &AppState,
    db: &DatabaseTransaction,
    scope: Scoped,
    o: &order::Model,
    pairs: &[(String, String)],
    pay_with: Option<i32>,
    refund_to: RefundTo,
    who: &str,
    key: &str,
) -> ServiceResult<Exchanged> {
    let s = status_of(o)?;
    if !matches!(s, OrderStatus::Delivered | OrderStatus::PartiallyRefunded) {
        return Err(ServiceError::conflict(
            "order",
            format!(
                "Only delivered items are exchanged; order {} is {}.{}",
                o.number,
                s.label().to_lowercase(),
                if s == OrderStatus::Pending {
                    " Change its items instead."
                } else {
                    ""
                }
            ),
        ));
    }
    if pairs.is_empty() {
        return Err(ServiceError::invalid("skus", "Name the items to exchange."));
    }
    let lines = items(db, scope, o.id).await?;
    // (old sku, new sku) → units.
    let mut wanted: BTreeMap<(String, String), i32> = BTreeMap::new();
    for (a, b) in pairs {
        *wanted
            .entry((a.trim().to_owned(), b.trim().to_owned()))
            .or_default() += 1;
    }
    let mut per_line: BTreeMap<String, i32> = BTreeMap::new();
    for ((a, _), n) in &wanted {
        *per_line.entry(a.clone()).or_default() += n;
    }
    for (sku, n) in &per_line {
        let l = line_for(&lines, sku, o)?;
        let open = l.quantity - l.refunded_quantity;
        if *n > open {
            return Err(ServiceError::conflict(
                "skus",
                format!("Only {open} of {sku} can be exchanged (asked for {n})."),
            ));
        }
    }
    let mut difference = 0_i64;
    let mut said = Vec::new();
    let mut moves = Vec::new();
    for ((a, b), n) in &wanted {
        let l = line_for(&lines, a, o)?;
        let (v, p) = sibling(db, scope, l, b).await?;
        if v.currency != o.currency {
            return Err(ServiceError::conflict(
                "new_skus",
                format!("{} is priced in another currency.", v.sku),
            ));
        }
        take_stock(db, scope, &v, &p.name, *n).await?;
        commerce::give_stock(db, scope, l.variant_id, *n).await?;
        difference += (v.price_minor - l.unit_price_minor) * i64::from(*n);
        said.push(format!(
            "{n} × {} {} for {}",
            l.product_name,
            l.variant_label,
            variant_label(&v.options)
        ));
        moves.push((l.clone(), v, p, *n));
    }
    // Settle the difference first: a refusal writes nothing.
    let settle = match difference.cmp(&0) {
        std::cmp::Ordering::Equal => None,
        std::cmp::Ordering::Greater => {
            let Some(id) = pay_with else {
                return Err(ServiceError::conflict(
                    "gift_card_id",
                    format!(
                        "The new items cost {} more: that is paid from one of the customer's gift cards (give its id), or the customer returns these and orders the others.",
                        money(difference, &o.currency)
                    ),
                ));
            };
            let m = method(db, scope, o.customer_id, id).await?;
            if m.kind != "gift_card" || m.currency != o.currency {
                return Err(ServiceError::conflict(
                    "gift_card_id",
                    format!("{} is not a gift card in the order's currency.", m.label),
                ));
            }
            let paid = scope
                .update_many::<payment_method::Entity>()
                .col_expr(
                    payment_method::Column::BalanceMinor,
                    Expr::col(payment_method::Column::BalanceMinor).sub(difference),
                )
                .filter(payment_method::Column::Id.eq(m.id))
                .filter(payment_method::Column::BalanceMinor.gte(difference))
                .exec(db)
                .await?
                .rows_affected;
            if paid == 0 {
                return Err(ServiceError::conflict(
                    "gift_card_id",
                    format!(
                        "{} has {}; the new items cost {} more.",
                        m.label,
                        money(m.balance_minor, &m.currency),
                        money(difference, &o.currency)
                    ),
                ));
            }
            Some((m.label, None))
        }
        std::cmp::Ordering::Less => {
            let d = destination(db, scope, o, refund_to).await?;
            Some((d.label().to_owned(), Some(d)))
        }
    };
    for (l, v, p, n) in moves {
        let left = l.quantity - n;
        if left == 0 {
            scope
                .delete_many::<order_item::Entity>()
                .filter(order_item::Column::Id.eq(l.id))
                .exec(db)
                .await?;
        } else {
            scope
                .update_many::<order_item::Entity>()
                .col_expr(order_item::Column::Quantity, Expr::value(left))
                .filter(order_item::Column::Id.eq(l.id))
                .exec(db)
                .await?;
        }
        let same = scope
            .find::<order_item::Entity>()
            .filter(order_item::Column::OrderId.eq(o.id))
            .filter(order_item::Column::Sku.eq(v.sku.clone()))
            .filter(order_item::Column::UnitPriceMinor.eq(v.price_minor))
            .one(db)
            .await?;
        match same {
            Some(s) => {
                scope
                    .update_many::<order_item::Entity>()
                    .col_expr(
                        order_item::Column::Quantity,
                        Expr::col(order_item::Column::Quantity).add(n),
                    )
                    .filter(order_item::Column::Id.eq(s.id))
                    .exec(db)
                    .await?;
            }
            None => {
                order_item::ActiveModel {
                    workspace_id: Set(scope.workspace_id()),
                    order_id: Set(o.id),
                    variant_id: Set(Some(v.id)),
                    product_name: Set(p.name.clone()),
                    variant_label: Set(variant_label(&v.options)),
                    sku: Set(v.sku.clone()),
                    unit_price_minor: Set(v.price_minor),
                    quantity: Set(n),
                    refunded_quantity: Set(0),
                    ..Default::default()
                }
                .insert(db)
                .await?;
            }
        }
    }
    update_pending(
        db,
        scope,
        o,
        vec![
            (
                order::Column::SubtotalMinor,
                Expr::value(o.subtotal_minor + difference),
            ),
            (
                order::Column::TotalMinor,
                Expr::value(o.total_minor + difference),
            ),
        ],
    )
    .await?;
    let money_note = match (&settle, difference.signum()) {
        (Some((label, _)), 1) => format!(" {} paid from {label}.", money(difference, &o.currency)),
        (Some((label, _)), -1) => format!(" {} back to {label}.", money(-difference, &o.currency)),
        _ => String::new(),
    };
    log(
        db,
        scope,
        o.id,
        "exchange",
        None,
        &format!(
            "Exchanged {}; the new items ship separately.{money_note}",
            said.join(", ")
        ),
        who,
    )
    .await?;
    let issued_by = match &settle {
        Some((_, Some(dest))) => Some(issue(state, db, scope, o, dest, -difference, key).await?.0),
        Some((_, None)) => Some("gift_card".to_owned()),
        None => None,
    };
    Ok(Exchanged {
        order: detail(db, scope, &reload(db, scope, o.id).await?).await?,
        difference_minor: difference,
        settled_with: settle.map(|s| s.0),
        issued_by,
    })
}
