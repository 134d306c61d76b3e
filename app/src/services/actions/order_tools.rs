//! The order tools (SPEC C11.3): finding a customer, their profile, orders and
//! products, and the operations on orders, registered for the AI agent,
//! members and MCP clients. The rules live in [`crate::services::orders`];
//! these adapt the tool input to it.
//!
//! On a ticket, a tool acts only on the ticket's customer and their orders (a
//! customer cannot have someone else's order cancelled by quoting its number).
//! Money tools (`refund_order`, `return_items`, `exchange_items`) take the
//! exact amount the proposer expects where one is refunded, so a policy and an
//! approver see it; they always wait for a person's approval
//! ([`super::policy::ALWAYS_APPROVED`]).

use super::registry::{Exec, Registry, Tool, ToolFuture};
use super::schema::{Field, Kind};
use super::tools::{strings, text};
use crate::services::orders::{self, Lookup, RefundTo};
use crate::services::{ServiceError, ServiceResult};
use crate::types::{Address, Risk};
use serde_json::{json, Value};

const ORDER: Field = Field::req(
    "order",
    Kind::Text { min: 1, max: 20 },
    "The order's number (1042)",
);
const CUSTOMER: Field = Field::opt(
    "customer_id",
    Kind::Integer {
        min: 1,
        max: 2_147_483_647,
    },
    "The customer's id (find_customer); on a ticket, its customer",
);
const REFUND_TO: Field = Field::opt(
    "refund_to",
    Kind::OneOf(&["original", "gift_card"]),
    "Where the money goes: the original payment method (default) or a gift card",
);
const GIFT_CARD: Field = Field::opt(
    "gift_card_id",
    Kind::Integer {
        min: 1,
        max: 2_147_483_647,
    },
    "The customer's gift card (its payment method id, from the profile)",
);
const AMOUNT: Field = Field::req(
    "amount",
    Kind::Number {
        min: 0.0,
        max: 1_000_000.0,
    },
    "The exact refund you expect, in major units (12.50); refused if the order's rules give another amount",
);
const SKUS: Field = Field::req(
    "skus",
    Kind::Strings { max: 50 },
    "The SKUs of the order's items, once per unit",
);
const NEW_SKUS: Field = Field::req(
    "new_skus",
    Kind::Strings { max: 50 },
    "The SKUs wanted instead, in the same order: other variants of the same products",
);
const NAME: Field = Field::req("name", Kind::Text { min: 1, max: 120 }, "Who receives it");
const LINE1: Field = Field::req(
    "line1",
    Kind::Text { min: 1, max: 200 },
    "Street and number",
);
const LINE2: Field = Field::opt(
    "line2",
    Kind::Text { min: 1, max: 200 },
    "More of the address",
);
const POSTCODE: Field = Field::req("postcode", Kind::Text { min: 1, max: 20 }, "Postcode");
const CITY: Field = Field::req("city", Kind::Text { min: 1, max: 100 }, "City");
const COUNTRY: Field = Field::req(
    "country",
    Kind::Text { min: 2, max: 2 },
    "Country, two letters (DE)",
);

fn int(v: &Value, k: &str) -> Option<i32> {
    v.get(k)
        .and_then(Value::as_i64)
        .and_then(|i| i32::try_from(i).ok())
}

/// The amount field in minor units.
fn minor(v: &Value) -> Option<i64> {
    #[allow(clippy::cast_possible_truncation, reason = "the schema bounds it")]
    v.get("amount")
        .and_then(Value::as_f64)
        .map(|a| (a * 100.0).round() as i64)
}

fn address(v: &Value) -> Address {
    let t = |k| text(v, k).unwrap_or_default().to_owned();
    Address {
        name: t("name"),
        line1: t("line1"),
        line2: t("line2"),
        postcode: t("postcode"),
        city: t("city"),
        country: t("country").to_uppercase(),
    }
}

fn refund_to(v: &Value) -> ServiceResult<RefundTo> {
    match (text(v, "refund_to"), int(v, "gift_card_id")) {
        (Some("gift_card"), Some(id)) => Ok(RefundTo::GiftCard(id)),
        (Some("gift_card"), None) => Err(ServiceError::invalid(
            "gift_card_id",
            "Name the gift card the money goes to.",
        )),
        _ => Ok(RefundTo::Original),
    }
}

/// The ticket's customer, if the action works on a ticket.
fn ticket_customer(cx: &Exec) -> Option<i32> {
    cx.conversation.as_ref().map(|c| c.customer_id)
}

/// The customer a tool is about: the input's, which on a ticket must be the
/// ticket's; else the ticket's.
fn customer_of(cx: &Exec, v: &Value) -> ServiceResult<i32> {
    match (int(v, "customer_id"), ticket_customer(cx)) {
        (Some(asked), Some(own)) if asked != own => Err(ServiceError::conflict(
            "customer_id",
            "A ticket's tools act only on its own customer.",
        )),
        (Some(id), _) | (None, Some(id)) => Ok(id),
        (None, None) => Err(ServiceError::invalid(
            "customer_id",
            "Name the customer (find_customer gives the id).",
        )),
    }
}

async fn the_order(cx: &Exec, v: &Value) -> ServiceResult<entity::order::Model> {
    orders::find_order(
        &*cx.uow,
        cx.scope,
        text(v, "order").unwrap_or_default(),
        ticket_customer(cx),
    )
    .await
}

fn who(cx: &Exec) -> String {
    cx.by.who().label
}

/// The Stripe idempotency key of an action's refund: the same action run
/// again is the same refund.
fn refund_key(cx: &Exec) -> String {
    format!(
        "switchboard-action-{}-{}",
        cx.scope.workspace_id(),
        cx.action_id
    )
}

fn out<T: serde::Serialize>(t: &T) -> ServiceResult<Value> {
    serde_json::to_value(t).map_err(|e| ServiceError::Internal(e.to_string()))
}

fn order_ref(v: &Value) -> String {
    text(v, "order")
        .unwrap_or_default()
        .trim_start_matches('#')
        .to_owned()
}

fn pairs(v: &Value) -> ServiceResult<Vec<(String, String)>> {
    let a = strings(v, "skus");
    let b = strings(v, "new_skus");
    if a.len() != b.len() {
        return Err(ServiceError::invalid(
            "new_skus",
            format!(
                "Give one new SKU for each SKU ({} and {}).",
                a.len(),
                b.len()
            ),
        ));
    }
    Ok(a.into_iter().zip(b).collect())
}

/// Registers the order tools.
#[allow(clippy::too_many_lines, reason = "one registration per tool")]
pub fn register(r: &mut Registry) {
    r.register(Tool {
        name: "find_customer",
        label: "Find a customer",
        description:
            "Finds customers by email, or by name and a postcode they use. Returns ids and names.",
        risk: Risk::Low,
        fields: const {
            &[
                Field::opt("email", Kind::Text { min: 3, max: 254 }, "Their email"),
                Field::opt("name", Kind::Text { min: 1, max: 120 }, "Their full name"),
                Field::opt(
                    "postcode",
                    Kind::Text { min: 1, max: 20 },
                    "A postcode they use (with the name)",
                ),
            ]
        },
        needs_conversation: false,
        external: false,
        amount_field: None,
        describe: |v| match text(v, "email") {
            Some(e) => format!("Find the customer with email {e}"),
            None => format!(
                "Find the customer named {} at postcode {}",
                text(v, "name").unwrap_or_default(),
                text(v, "postcode").unwrap_or_default()
            ),
        },
        run: find_customer,
    });
    r.register(Tool {
        name: "get_customer_profile",
        label: "Show a customer's profile",
        description: "The customer's default address, saved payment methods (cards, wallet accounts, gift cards with their balance) and orders.",
        risk: Risk::Low,
        fields: const { &[CUSTOMER] },
        needs_conversation: false,
        external: false,
        amount_field: None,
        describe: |_| "Show the customer's profile".into(),
        run: get_customer_profile,
    });
    r.register(Tool {
        name: "list_orders",
        label: "List a customer's orders",
        description:
            "The customer's orders, newest first: number, status, total, refunded, tracking.",
        risk: Risk::Low,
        fields: const { &[CUSTOMER] },
        needs_conversation: false,
        external: false,
        amount_field: None,
        describe: |_| "List the customer's orders".into(),
        run: list_orders,
    });
    r.register(Tool {
        name: "get_order",
        label: "Show an order",
        description: "An order's items (SKU, variant, price, quantity, returned), amounts in minor units, address, payment and timeline.",
        risk: Risk::Low,
        fields: const { &[ORDER] },
        needs_conversation: false,
        external: false,
        amount_field: None,
        describe: |v| format!("Show order {}", order_ref(v)),
        run: get_order,
    });
    r.register(Tool {
        name: "get_product",
        label: "Show a product",
        description: "A product (by name, slug or a variant's SKU) with each variant's SKU, options, price and stock.",
        risk: Risk::Low,
        fields: const {
            &[Field::req(
                "product",
                Kind::Text { min: 1, max: 200 },
                "Its name, slug or a variant's SKU",
            )]
        },
        needs_conversation: false,
        external: false,
        amount_field: None,
        describe: |v| format!("Show product {}", text(v, "product").unwrap_or_default()),
        run: get_product,
    });
    r.register(Tool {
        name: "set_default_address",
        label: "Change a customer's default address",
        description: "Changes where the customer's orders go unless they say otherwise (orders placed already keep theirs).",
        risk: Risk::Medium,
        fields: const {
            &[
                CUSTOMER,
                NAME,
                LINE1,
                LINE2,
                POSTCODE,
                CITY,
                COUNTRY,
            ]
        },
        needs_conversation: false,
        external: false,
        amount_field: None,
        describe: |v| format!("Set the customer's default address to {}", address(v).one_line()),
        run: set_default_address,
    });
    r.register(Tool {
        name: "cancel_order",
        label: "Cancel an order",
        description: "Cancels an order awaiting payment (its stock goes back). A paid order is refunded instead.",
        risk: Risk::Medium,
        fields: const {
            &[
                ORDER,
                Field::req("reason", Kind::Text { min: 1, max: 500 }, "Why (the customer's words)"),
            ]
        },
        needs_conversation: false,
        external: false,
        amount_field: None,
        describe: |v| {
            format!(
                "Cancel order {} (“{}”)",
                order_ref(v),
                text(v, "reason").unwrap_or_default()
            )
        },
        run: cancel_order,
    });
    r.register(Tool {
        name: "change_order_address",
        label: "Change an order's address",
        description: "Changes where an order awaiting payment ships.",
        risk: Risk::Medium,
        fields: const { &[ORDER, NAME, LINE1, LINE2, POSTCODE, CITY, COUNTRY] },
        needs_conversation: false,
        external: false,
        amount_field: None,
        describe: |v| format!("Ship order {} to {}", order_ref(v), address(v).one_line()),
        run: change_order_address,
    });
    r.register(Tool {
        name: "change_order_items",
        label: "Change an order's items",
        description: "Changes items of an order awaiting payment to other variants (size, colour) of the same products; each SKU changes its whole line. Stock is checked; totals are computed again.",
        risk: Risk::Medium,
        fields: const { &[ORDER, SKUS, NEW_SKUS] },
        needs_conversation: false,
        external: false,
        amount_field: None,
        describe: |v| {
            format!(
                "Change items of order {}: {}",
                order_ref(v),
                pairs(v)
                    .unwrap_or_default()
                    .iter()
                    .map(|(a, b)| format!("{a} → {b}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        run: change_order_items,
    });
    r.register(Tool {
        name: "change_order_payment",
        label: "Change an order's payment method",
        description: "Changes how an order awaiting payment is paid, to another of the customer's saved methods (a gift card must cover the total).",
        risk: Risk::Medium,
        fields: const {
            &[
                ORDER,
                Field::req(
                    "payment_method_id",
                    Kind::Integer {
                        min: 1,
                        max: 2_147_483_647,
                    },
                    "The saved method's id (from the profile)",
                ),
            ]
        },
        needs_conversation: false,
        external: false,
        amount_field: None,
        describe: |v| {
            format!(
                "Pay order {} with saved method #{}",
                order_ref(v),
                int(v, "payment_method_id").unwrap_or_default()
            )
        },
        run: change_order_payment,
    });
    r.register(Tool {
        name: "return_items",
        label: "Return delivered items",
        description: "Takes back delivered items (SKUs, once per unit) and refunds them: their prices, or what remains of the total when everything comes back. Money to the original method or a gift card.",
        risk: Risk::High,
        fields: const { &[ORDER, SKUS, AMOUNT, REFUND_TO, GIFT_CARD] },
        needs_conversation: false,
        external: true,
        amount_field: Some("amount"),
        describe: |v| {
            format!(
                "Return {} from order {} and refund {:.2} to {}",
                strings(v, "skus").join(", "),
                order_ref(v),
                v.get("amount").and_then(Value::as_f64).unwrap_or_default(),
                destination_words(v)
            )
        },
        run: return_items,
    });
    r.register(Tool {
        name: "exchange_items",
        label: "Exchange delivered items",
        description: "Exchanges delivered items (SKUs, once per unit) for other variants of the same products. A higher price is paid from a gift card; a lower one is refunded.",
        risk: Risk::High,
        fields: const { &[ORDER, SKUS, NEW_SKUS, GIFT_CARD, REFUND_TO] },
        needs_conversation: false,
        external: true,
        amount_field: None,
        describe: |v| {
            format!(
                "Exchange in order {}: {}",
                order_ref(v),
                pairs(v)
                    .unwrap_or_default()
                    .iter()
                    .map(|(a, b)| format!("{a} → {b}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        run: exchange_items,
    });
    r.register(Tool {
        name: "refund_order",
        label: "Refund an order",
        description: "Refunds what remains of a paid order's total (through Stripe when it was paid there); items not shipped go back into stock.",
        risk: Risk::High,
        fields: const {
            &[
                ORDER,
                Field::req("reason", Kind::Text { min: 1, max: 500 }, "Why"),
                AMOUNT,
                REFUND_TO,
                GIFT_CARD,
            ]
        },
        needs_conversation: false,
        external: true,
        amount_field: Some("amount"),
        describe: |v| {
            format!(
                "Refund order {}: {:.2} to {} (“{}”)",
                order_ref(v),
                v.get("amount").and_then(Value::as_f64).unwrap_or_default(),
                destination_words(v),
                text(v, "reason").unwrap_or_default()
            )
        },
        run: refund_order,
    });
}

fn destination_words(v: &Value) -> String {
    match (text(v, "refund_to"), int(v, "gift_card_id")) {
        (Some("gift_card"), Some(id)) => format!("gift card #{id}"),
        _ => "the original payment method".into(),
    }
}

fn find_customer<'a>(cx: &'a mut Exec, v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let l = match (text(v, "email"), text(v, "name"), text(v, "postcode")) {
            (Some(e), _, _) => Lookup::Email(e),
            (None, Some(name), Some(postcode)) => Lookup::NameAndPostcode { name, postcode },
            _ => {
                return Err(ServiceError::invalid(
                    "email",
                    "Give an email, or a name with a postcode.",
                ))
            }
        };
        let mut found = orders::find_customers(&*cx.uow, cx.scope, l).await?;
        if let Some(own) = ticket_customer(cx) {
            found.retain(|c| c.id == own);
        }
        Ok(json!({ "customers": out(&found)? }))
    })
}

fn get_customer_profile<'a>(cx: &'a mut Exec, v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let id = customer_of(cx, v)?;
        out(&orders::profile(&*cx.uow, cx.scope, id).await?)
    })
}

fn list_orders<'a>(cx: &'a mut Exec, v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let id = customer_of(cx, v)?;
        let list = crate::services::commerce::customer_orders(&*cx.uow, cx.scope, id).await?;
        Ok(json!({ "orders": out(&list)? }))
    })
}

fn get_order<'a>(cx: &'a mut Exec, v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let o = the_order(cx, v).await?;
        out(&orders::detail(&*cx.uow, cx.scope, &o).await?)
    })
}

fn get_product<'a>(cx: &'a mut Exec, v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let q = text(v, "product").unwrap_or_default();
        out(&orders::product_detail(&*cx.uow, cx.scope, q).await?)
    })
}

fn set_default_address<'a>(cx: &'a mut Exec, v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let id = customer_of(cx, v)?;
        out(&orders::set_default_address(&cx.uow, cx.scope, id, &address(v)).await?)
    })
}

fn cancel_order<'a>(cx: &'a mut Exec, v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let o = the_order(cx, v).await?;
        let reason = text(v, "reason").unwrap_or_default();
        out(&orders::cancel(&cx.uow, cx.scope, &o, reason, &who(cx)).await?)
    })
}

fn change_order_address<'a>(cx: &'a mut Exec, v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let o = the_order(cx, v).await?;
        out(&orders::change_address(&cx.uow, cx.scope, &o, &address(v), &who(cx)).await?)
    })
}

fn change_order_items<'a>(cx: &'a mut Exec, v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let o = the_order(cx, v).await?;
        let p = pairs(v)?;
        out(&orders::change_items(&cx.uow, cx.scope, &o, &p, &who(cx)).await?)
    })
}

fn change_order_payment<'a>(cx: &'a mut Exec, v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let o = the_order(cx, v).await?;
        let m = int(v, "payment_method_id").unwrap_or_default();
        out(&orders::change_payment(&cx.uow, cx.scope, &o, m, &who(cx)).await?)
    })
}

fn return_items<'a>(cx: &'a mut Exec, v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let o = the_order(cx, v).await?;
        let to = refund_to(v)?;
        let state = cx.uow.state().clone();
        let (who, key) = (who(cx), refund_key(cx));
        let done = orders::return_items(
            &state,
            &cx.uow,
            cx.scope,
            &o,
            &strings(v, "skus"),
            to,
            minor(v),
            &who,
            &key,
        )
        .await?;
        out(&done)
    })
}

fn exchange_items<'a>(cx: &'a mut Exec, v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let o = the_order(cx, v).await?;
        let p = pairs(v)?;
        let to = match text(v, "refund_to") {
            Some("gift_card") => refund_to(v)?,
            _ => RefundTo::Original,
        };
        let state = cx.uow.state().clone();
        let (who, key) = (who(cx), refund_key(cx));
        let done = orders::exchange(
            &state,
            &cx.uow,
            cx.scope,
            &o,
            &p,
            int(v, "gift_card_id"),
            to,
            &who,
            &key,
        )
        .await?;
        out(&done)
    })
}

fn refund_order<'a>(cx: &'a mut Exec, v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let o = the_order(cx, v).await?;
        let to = refund_to(v)?;
        let state = cx.uow.state().clone();
        let (who, key) = (who(cx), refund_key(cx));
        let done = orders::refund(
            &state,
            &cx.uow,
            cx.scope,
            &o,
            text(v, "reason").unwrap_or_default(),
            to,
            minor(v),
            &who,
            &key,
        )
        .await?;
        out(&done)
    })
}
