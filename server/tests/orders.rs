//! The order operations (issue 13 point 6): each keeps a real store's rules
//! and amounts (only pending orders change or cancel, only delivered items
//! return or exchange, stock checked, totals and refunds exact in minor
//! units) and answers a blocked request with the rule; refunds of orders
//! paid through Stripe go back through Stripe's refund API once; the tools
//! act only on a ticket's own customer and money tools wait for approval;
//! workspaces kept apart. Both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::services::actions::{self, Proposal, Proposer};
use app::services::channels::inbound::{self, InboundMessage, Sender};
use app::services::commerce::{self, NewLine};
use app::services::context::RequestMeta;
use app::services::orders::{self, Lookup, RefundTo};
use app::services::tenancy::Scoped;
use app::services::{payments, ServiceError};
use app::types::{Address, Channel, IdentifierKind, OrderStatus};
use chrono::Utc;
use common::shop::{address, card, customer_of, product, stock};
use common::stripe::{FakeStripe, SECRET_KEY, WEBHOOK_SECRET};
use common::{workspace, Backend, TestApp, Ws};
use entity::{ai_action, customer, order, payment_method};
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, Set};
use serde_json::json;

async fn gift_card(app: &TestApp, scope: Scoped, customer_id: i32, balance: i64) -> i32 {
    payment_method::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        customer_id: Set(customer_id),
        kind: Set("gift_card".into()),
        label: Set(format!("Gift card {balance}")),
        balance_minor: Set(balance),
        currency: Set("eur".into()),
        is_default: Set(false),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap()
    .id
}

async fn balance(app: &TestApp, scope: Scoped, id: i32) -> i64 {
    scope
        .find::<payment_method::Entity>()
        .filter(payment_method::Column::Id.eq(id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .balance_minor
}

async fn row(app: &TestApp, scope: Scoped, number: &str) -> order::Model {
    orders::find_order(&app.state.db, scope, number, None)
        .await
        .unwrap()
}

async fn placed(
    app: &TestApp,
    scope: Scoped,
    customer: i32,
    lines: &[(i32, i32)],
    moves: &[OrderStatus],
) -> String {
    let lines: Vec<NewLine> = lines
        .iter()
        .map(|&(variant_id, quantity)| NewLine {
            variant_id,
            quantity,
        })
        .collect();
    let o = commerce::place(
        &app.state,
        scope,
        customer,
        &lines,
        &address(),
        &card(),
        "test",
    )
    .await
    .unwrap();
    for m in moves {
        commerce::move_to(&app.state, scope, o.id, *m, "", "test")
            .await
            .unwrap();
    }
    o.number
}

/// Runs a change in a transaction, committed when it succeeds (as the
/// action's unit of work does).
macro_rules! tx {
    ($app:expr, |$db:ident| $call:expr) => {{
        let t = sea_orm::TransactionTrait::begin(&$app.state.db)
            .await
            .unwrap();
        let r = {
            let $db = &t;
            $call.await
        };
        if r.is_ok() {
            t.commit().await.unwrap();
        }
        r
    }};
}

const DELIVERED: &[OrderStatus] = &[
    OrderStatus::Paid,
    OrderStatus::Fulfilled,
    OrderStatus::Shipped,
    OrderStatus::Delivered,
];

fn conflict(r: Result<impl std::fmt::Debug, ServiceError>, words: &str) {
    match r {
        Err(ServiceError::Conflict { message, .. }) => {
            assert!(message.contains(words), "{message:?} lacks {words:?}");
        }
        other => panic!("expected a conflict about {words:?}, got {other:?}"),
    }
}

fn skus(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

async fn pending_orders_change_and_cancel_by_the_rules(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ws = workspace(&app, "owner@shop.test", "Shop").await;
    let s = ws.scope;
    let db = &app.state.db;
    let ann = customer_of(&app, &ws, "ann@example.com").await;
    let tent = product(
        &app,
        s,
        "Tent",
        &[("TENT-S", 3_000, 5), ("TENT-L", 3_500, 3)],
    )
    .await;
    let mug = product(&app, s, "Mug", &[("MUG", 1_850, 10)]).await;
    product(&app, s, "Hat", &[("HAT", 900, 10)]).await;
    let n = placed(&app, s, ann, &[(tent[0], 2), (mug[0], 1)], &[]).await;
    let o = row(&app, s, &n).await;
    assert_eq!(
        (o.subtotal_minor, o.shipping_minor, o.total_minor),
        (7_850, 0, 7_850)
    );

    // Items change only to another variant of the same product, in stock.
    conflict(
        tx!(app, |db| orders::change_items(
            db,
            s,
            &o,
            &pairs(&[("TENT-S", "HAT")]),
            "Agent"
        )),
        "same product, Tent",
    );
    let d = tx!(app, |db| orders::change_items(
        db,
        s,
        &o,
        &pairs(&[("TENT-S", "TENT-L")]),
        "Agent"
    ))
    .unwrap();
    assert_eq!(d.summary.total_minor, 2 * 3_500 + 1_850);
    assert_eq!(d.subtotal_minor, 8_850);
    assert!(d.lines.iter().any(|l| l.sku == "TENT-L" && l.quantity == 2));
    assert_eq!(stock(&app, s, tent[0]).await, 5, "the small tents are back");
    assert_eq!(stock(&app, s, tent[1]).await, 1);
    let o = row(&app, s, &n).await;
    // Two large tents back to small would need 2 small: there are 5; but a
    // second large order now finds only 1.
    let other = placed(&app, s, ann, &[(tent[0], 2)], &[]).await;
    conflict(
        tx!(app, |db| orders::change_items(
            db,
            s,
            &row(&app, s, &other).await,
            &pairs(&[("TENT-S", "TENT-L")]),
            "Agent"
        )),
        "Only 1 of Tent",
    );
    assert_eq!(
        stock(&app, s, tent[0]).await,
        3,
        "a refused change writes nothing"
    );
    assert!(matches!(
        tx!(app, |db| orders::change_items(
            db,
            s,
            &o,
            &pairs(&[("NOPE", "TENT-S")]),
            "Agent"
        )),
        Err(ServiceError::Invalid { .. })
    ));

    // The address: checked, then changed, with a timeline entry.
    let mut bad = address();
    bad.country = "Germany".into();
    assert!(matches!(
        tx!(app, |db| orders::change_address(db, s, &o, &bad, "Agent")),
        Err(ServiceError::Invalid {
            field: Some("country"),
            ..
        })
    ));
    let mut moved = address();
    moved.city = "Hamburg".into();
    moved.postcode = "20095".into();
    let d = tx!(app, |db| orders::change_address(db, s, &o, &moved, "Agent")).unwrap();
    assert_eq!(d.address.city, "Hamburg");
    assert!(d.events.iter().any(|e| e.note.contains("Hamburg")));

    // The payment: only the customer's own methods; a gift card must cover it.
    let small = gift_card(&app, s, ann, 1_000).await;
    let big = gift_card(&app, s, ann, 20_000).await;
    conflict(
        tx!(app, |db| orders::change_payment(db, s, &o, small, "Agent")),
        "costs €88.50",
    );
    let d = tx!(app, |db| orders::change_payment(db, s, &o, big, "Agent")).unwrap();
    assert_eq!(d.payment, "Gift card 20000");
    let o = row(&app, s, &n).await;
    conflict(
        tx!(app, |db| orders::change_payment(db, s, &o, big, "Agent")),
        "already",
    );
    let ben = customer_of(&app, &ws, "ben@example.com").await;
    let bens = gift_card(&app, s, ben, 50_000).await;
    assert!(matches!(
        tx!(app, |db| orders::change_payment(db, s, &o, bens, "Agent")),
        Err(ServiceError::NotFound(_))
    ));

    // Cancelling needs a reason; stock goes back; then nothing changes.
    assert!(matches!(
        tx!(app, |db| orders::cancel(db, s, &o, " ", "Agent")),
        Err(ServiceError::Invalid {
            field: Some("reason"),
            ..
        })
    ));
    let d = tx!(app, |db| orders::cancel(
        db,
        s,
        &o,
        "Ordered by mistake",
        "Agent"
    ))
    .unwrap();
    assert_eq!(d.summary.status, OrderStatus::Cancelled);
    assert!(d
        .events
        .iter()
        .any(|e| e.note == "Cancelled: Ordered by mistake"));
    assert_eq!(stock(&app, s, tent[1]).await, 3);
    assert_eq!(stock(&app, s, mug[0]).await, 10);
    let o = row(&app, s, &n).await;
    conflict(
        tx!(app, |db| orders::cancel(db, s, &o, "again", "Agent")),
        "cancelled already",
    );
    conflict(
        tx!(app, |db| orders::change_address(db, s, &o, &moved, "Agent")),
        "only an order awaiting payment changes its address",
    );
    // A paid order is refunded, not cancelled or changed.
    let paid = placed(&app, s, ann, &[(mug[0], 1)], &[OrderStatus::Paid]).await;
    let p = row(&app, s, &paid).await;
    conflict(
        tx!(app, |db| orders::cancel(db, s, &p, "no", "Agent")),
        "refunded instead",
    );
    conflict(
        tx!(app, |db| orders::change_items(
            db,
            s,
            &p,
            &pairs(&[("MUG", "MUG")]),
            "Agent"
        )),
        "A paid order is refunded instead",
    );
    // While the shopper pays on Stripe's page, the order does not change.
    let mut paying: order::ActiveModel = row(&app, s, &other).await.into();
    paying.stripe_session = Set(Some("cs_test_1".into()));
    let paying = paying.update(db).await.unwrap();
    conflict(
        tx!(app, |db| orders::change_payment(
            db, s, &paying, big, "Agent"
        )),
        "Stripe's page",
    );
    conflict(
        tx!(app, |db| orders::cancel(db, s, &paying, "no", "Agent")),
        "Stripe's page",
    );
    app.finish().await;
}

async fn delivered_orders_return_exchange_and_refund_exactly(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ws = workspace(&app, "owner@shop.test", "Shop").await;
    let s = ws.scope;
    let db = &app.state.db;
    let ann = customer_of(&app, &ws, "ann@example.com").await;
    let sock = product(
        &app,
        s,
        "Sock",
        &[("SOCK-M", 1_200, 10), ("SOCK-L", 1_200, 10)],
    )
    .await;
    let mug = product(&app, s, "Mug", &[("MUG", 1_850, 10), ("MUG-XL", 2_350, 1)]).await;
    // 2 × 12.00 + 18.50 = 42.50, shipping 4.95: 47.45.
    let n = placed(&app, s, ann, &[(sock[0], 2), (mug[0], 1)], DELIVERED).await;
    let o = row(&app, s, &n).await;
    assert_eq!(o.total_minor, 4_745);
    let card = gift_card(&app, s, ann, 0).await;

    // Before delivery, nothing is returned.
    let early = placed(&app, s, ann, &[(sock[0], 1)], &[OrderStatus::Paid]).await;
    conflict(
        orders::quote_return(db, s, &row(&app, s, &early).await, &skus(&["SOCK-M"])).await,
        "Refund the whole order instead",
    );
    // The amount proposed must be the exact one.
    conflict(
        tx!(app, |db| orders::return_items(
            &app.state,
            db,
            s,
            &o,
            &skus(&["SOCK-M"]),
            RefundTo::GiftCard(card),
            Some(1_100),
            "Agent",
            "k1"
        )),
        "The refund is €12.00, not €11.00",
    );
    conflict(
        tx!(app, |db| orders::return_items(
            &app.state,
            db,
            s,
            &o,
            &skus(&["SOCK-M", "SOCK-M", "SOCK-M"]),
            RefundTo::Original,
            None,
            "Agent",
            "k1"
        )),
        "Only 2 of SOCK-M",
    );
    let r = tx!(app, |db| orders::return_items(
        &app.state,
        db,
        s,
        &o,
        &skus(&["SOCK-M"]),
        RefundTo::GiftCard(card),
        Some(1_200),
        "Agent",
        "k1"
    ))
    .unwrap();
    assert_eq!((r.amount_minor, r.issued_by.as_str()), (1_200, "gift_card"));
    assert_eq!(r.order.summary.status, OrderStatus::PartiallyRefunded);
    assert_eq!(r.order.summary.refunded_minor, 1_200);
    assert_eq!(balance(&app, s, card).await, 1_200);
    assert_eq!(
        stock(&app, s, sock[0]).await,
        8 + 1 - 1,
        "one back (the early order holds one)"
    );

    // An exchange at the same price moves stock and lines, no money.
    let o = row(&app, s, &n).await;
    let x = tx!(app, |db| orders::exchange(
        &app.state,
        db,
        s,
        &o,
        &pairs(&[("SOCK-M", "SOCK-L")]),
        None,
        RefundTo::Original,
        "Agent",
        "k2"
    ))
    .unwrap();
    assert_eq!(x.difference_minor, 0);
    assert!(x
        .order
        .lines
        .iter()
        .any(|l| l.sku == "SOCK-L" && l.quantity == 1));
    assert_eq!(stock(&app, s, sock[1]).await, 9);
    // A dearer one is paid from a gift card that covers it.
    let o = row(&app, s, &n).await;
    conflict(
        tx!(app, |db| orders::exchange(
            &app.state,
            db,
            s,
            &o,
            &pairs(&[("MUG", "MUG-XL")]),
            None,
            RefundTo::Original,
            "Agent",
            "k3"
        )),
        "€5.00 more",
    );
    let poor = gift_card(&app, s, ann, 100).await;
    conflict(
        tx!(app, |db| orders::exchange(
            &app.state,
            db,
            s,
            &o,
            &pairs(&[("MUG", "MUG-XL")]),
            Some(poor),
            RefundTo::Original,
            "Agent",
            "k3"
        )),
        "has €1.00",
    );
    assert_eq!(
        stock(&app, s, mug[1]).await,
        1,
        "a refused exchange writes nothing"
    );
    let x = tx!(app, |db| orders::exchange(
        &app.state,
        db,
        s,
        &o,
        &pairs(&[("MUG", "MUG-XL")]),
        Some(card),
        RefundTo::Original,
        "Agent",
        "k3"
    ))
    .unwrap();
    assert_eq!(x.difference_minor, 500);
    assert_eq!(x.order.summary.total_minor, 4_745 + 500);
    assert_eq!(balance(&app, s, card).await, 700);
    assert_eq!(
        (stock(&app, s, mug[0]).await, stock(&app, s, mug[1]).await),
        (10, 0)
    );
    // Only variants of the same product, only delivered orders.
    conflict(
        tx!(app, |db| orders::exchange(
            &app.state,
            db,
            s,
            &row(&app, s, &n).await,
            &pairs(&[("SOCK-L", "MUG")]),
            None,
            RefundTo::Original,
            "Agent",
            "k4"
        )),
        "same product",
    );
    conflict(
        tx!(app, |db| orders::exchange(
            &app.state,
            db,
            s,
            &row(&app, s, &early).await,
            &pairs(&[("SOCK-M", "SOCK-L")]),
            None,
            RefundTo::Original,
            "Agent",
            "k4"
        )),
        "Only delivered items are exchanged",
    );

    // Returning the rest refunds what remains of the total, shipping in.
    let o = row(&app, s, &n).await;
    let (left, all) = orders::quote_return(db, s, &o, &skus(&["SOCK-L", "MUG-XL"]))
        .await
        .unwrap();
    assert_eq!((left, all), (4_745 + 500 - 1_200, true));
    let r = tx!(app, |db| orders::return_items(
        &app.state,
        db,
        s,
        &o,
        &skus(&["SOCK-L", "MUG-XL"]),
        RefundTo::Original,
        Some(left),
        "Agent",
        "k5"
    ))
    .unwrap();
    assert_eq!(r.order.summary.status, OrderStatus::Refunded);
    assert_eq!(r.order.summary.refunded_minor, r.order.summary.total_minor);
    assert_eq!(r.issued_by, "recorded", "a demo card: no processor to call");
    let o = row(&app, s, &n).await;
    conflict(
        orders::quote_return(db, s, &o, &skus(&["SOCK-L"])).await,
        "refunded",
    );
    assert!(orders::quote_refund(&o).is_err());

    // A whole refund before shipping gives the stock back.
    let before = stock(&app, s, sock[0]).await;
    let e = row(&app, s, &early).await;
    assert_eq!(orders::quote_refund(&e).unwrap(), 1_200 + 495);
    let r = tx!(app, |db| orders::refund(
        &app.state,
        db,
        s,
        &e,
        "Changed their mind",
        RefundTo::Original,
        Some(1_695),
        "Agent",
        "k6"
    ))
    .unwrap();
    assert_eq!(r.order.summary.status, OrderStatus::Refunded);
    assert_eq!(stock(&app, s, sock[0]).await, before + 1);
    assert!(r.order.events.iter().any(|e| e.note.contains("€16.95")));
    app.finish().await;
}

async fn stripe_paid_orders_refund_through_stripe_once(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ws = workspace(&app, "owner@shop.test", "Shop").await;
    let s = ws.scope;
    let db = &app.state.db;
    let fake = FakeStripe::start().await;
    let ann = customer_of(&app, &ws, "ann@example.com").await;
    let mug = product(&app, s, "Mug", &[("MUG", 1_850, 10)]).await;
    let n = placed(&app, s, ann, &[(mug[0], 2)], DELIVERED).await;
    let mut paid: order::ActiveModel = row(&app, s, &n).await.into();
    paid.payment_intent = Set(Some("pi_test_9".into()));
    paid.update(db).await.unwrap();
    fake.charged("pi_test_9", 3_700 + 495);
    let o = row(&app, s, &n).await;
    // Stripe not connected: refused, nothing written.
    conflict(
        tx!(app, |db| orders::return_items(
            &app.state,
            db,
            s,
            &o,
            &skus(&["MUG"]),
            RefundTo::Original,
            Some(1_850),
            "Agent",
            "k"
        )),
        "Stripe is not connected",
    );
    payments::set_keys(&app.state, s, &fake.base, SECRET_KEY, WEBHOOK_SECRET)
        .await
        .unwrap();
    let r = tx!(app, |db| orders::return_items(
        &app.state,
        db,
        s,
        &o,
        &skus(&["MUG"]),
        RefundTo::Original,
        Some(1_850),
        "Agent",
        "key-1"
    ))
    .unwrap();
    assert_eq!(r.issued_by, "stripe");
    let refunds = fake.refunds();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].payment_intent, "pi_test_9");
    assert_eq!(refunds[0].amount, 1_850);
    assert_eq!(refunds[0].idempotency_key, "key-1");
    assert_eq!(r.reference.as_deref(), Some(refunds[0].id.as_str()));
    // Stripe refusing rolls the return back.
    fake.refuse(true);
    let o = row(&app, s, &n).await;
    let uow = app::services::uow::UnitOfWork::begin(&app.state)
        .await
        .unwrap();
    conflict(
        orders::return_items(
            &app.state,
            &uow,
            s,
            &o,
            &skus(&["MUG"]),
            RefundTo::Original,
            None,
            "Agent",
            "key-2",
        )
        .await,
        "Stripe refused the refund",
    );
    drop(uow);
    fake.refuse(false);
    let o = row(&app, s, &n).await;
    assert_eq!(o.status, "partially_refunded");
    assert_eq!(o.refunded_minor, 1_850);
    app.finish().await;
}

async fn ticket_of(app: &TestApp, ws: &Ws, email: &str, text: &str) -> (i32, i32) {
    let mut m = InboundMessage::new(
        Channel::Email,
        format!("test:{email}:{}", uuid::Uuid::new_v4().simple()),
        Sender {
            kind: IdentifierKind::Email,
            value: email.to_owned(),
            name: Some("Ann".to_owned()),
        },
        text.to_owned(),
    );
    m.subject = "Order".into();
    let r = inbound::receive(&app.state, ws.scope, m).await.unwrap();
    let c = ws
        .scope
        .find::<customer::Entity>()
        .filter(customer::Column::Email.eq(email))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    (r.conversation_id, c.id)
}

async fn propose(
    app: &TestApp,
    ws: &Ws,
    tool: &str,
    input: serde_json::Value,
    conv: Option<i32>,
) -> ai_action::Model {
    let v = actions::propose(
        &app.state,
        ws.scope,
        Proposal {
            tool: tool.into(),
            input,
            conversation_id: conv,
            reasoning: Some("The customer asked.".into()),
            proposer: Proposer::Ai,
            customer_note: None,
        },
        &RequestMeta::default(),
    )
    .await
    .unwrap_or_else(|e| panic!("{tool}: {e}"));
    app.run_jobs().await;
    ws.scope
        .find::<ai_action::Entity>()
        .filter(ai_action::Column::Id.eq(v.id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
}

async fn tools_act_on_the_tickets_customer_and_money_waits_for_approval(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ws = workspace(&app, "owner@shop.test", "Shop").await;
    let s = ws.scope;
    let mut owner = ws.owner.clone();
    owner
        .call(
            common::fns::path::<app::serverfns::actions::SetPolicyDefault>(),
            &[("effect", "allow")],
        )
        .await;
    let (conv, ann) = ticket_of(&app, &ws, "ann@example.com", "Where is my order?").await;
    let (_, ben) = ticket_of(&app, &ws, "ben@example.com", "Hello").await;
    let mug = product(&app, s, "Mug", &[("MUG", 1_850, 10)]).await;
    let anns = placed(&app, s, ann, &[(mug[0], 1)], &[]).await;
    let bens = placed(&app, s, ben, &[(mug[0], 1)], &[]).await;
    let delivered = placed(&app, s, ann, &[(mug[0], 2)], DELIVERED).await;

    // Reads run at once and return the data.
    let a = propose(&app, &ws, "get_customer_profile", json!({}), Some(conv)).await;
    assert_eq!(a.status, "completed", "{:?}", a.error);
    let out: serde_json::Value = serde_json::from_str(a.output.as_deref().unwrap()).unwrap();
    assert_eq!(out["orders"].as_array().unwrap().len(), 2);
    let a = propose(
        &app,
        &ws,
        "find_customer",
        json!({"email": "BEN@example.com"}),
        None,
    )
    .await;
    let out: serde_json::Value = serde_json::from_str(a.output.as_deref().unwrap()).unwrap();
    assert_eq!(out["customers"][0]["id"], ben);
    // On Ann's ticket, Ben's order is out of reach.
    let a = propose(
        &app,
        &ws,
        "cancel_order",
        json!({"order": bens, "reason": "please"}),
        Some(conv),
    )
    .await;
    assert_eq!(a.status, "failed");
    assert!(
        a.error.as_deref().unwrap().contains("another customer's"),
        "{:?}",
        a.error
    );
    assert_eq!(row(&app, s, &bens).await.status, "pending");
    let a = propose(
        &app,
        &ws,
        "get_customer_profile",
        json!({"customer_id": ben}),
        Some(conv),
    )
    .await;
    assert_eq!(a.status, "failed");
    // Her own pending order cancels (allowed by the workspace default).
    let a = propose(
        &app,
        &ws,
        "cancel_order",
        json!({"order": format!("#{anns}"), "reason": "Ordered twice"}),
        Some(conv),
    )
    .await;
    assert_eq!(a.status, "completed", "{:?}", a.error);
    assert_eq!(row(&app, s, &anns).await.status, "cancelled");

    // A refund waits for a person even where everything else is allowed.
    let a = propose(
        &app,
        &ws,
        "refund_order",
        json!({"order": delivered, "reason": "Arrived broken", "amount": 41.95}),
        Some(conv),
    )
    .await;
    assert_eq!(a.status, "pending");
    assert!(
        a.decision_reason.contains("approval"),
        "{}",
        a.decision_reason
    );
    assert_eq!(row(&app, s, &delivered).await.status, "delivered");
    let v = actions::approve(&app.state, &ws.actor, a.id, "ok", &RequestMeta::default())
        .await
        .unwrap();
    assert_eq!(v.status, "running");
    app.run_jobs().await;
    let o = row(&app, s, &delivered).await;
    assert_eq!((o.status.as_str(), o.refunded_minor), ("refunded", 4_195));
    // A wrong amount fails with the right one.
    let again = placed(&app, s, ann, &[(mug[0], 1)], DELIVERED).await;
    let a = propose(
        &app,
        &ws,
        "return_items",
        json!({"order": again, "skus": ["MUG"], "amount": 10.0}),
        Some(conv),
    )
    .await;
    actions::approve(&app.state, &ws.actor, a.id, "ok", &RequestMeta::default())
        .await
        .unwrap();
    app.run_jobs().await;
    let a = ws
        .scope
        .find::<ai_action::Entity>()
        .filter(ai_action::Column::Id.eq(a.id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.status, "failed");
    assert!(
        a.error.as_deref().unwrap().contains("€23.45"),
        "{:?}",
        a.error
    );

    // Another workspace sees none of it.
    let other = workspace(&app, "owner@other.test", "Other").await;
    assert!(matches!(
        orders::find_order(&app.state.db, other.scope, &anns, None).await,
        Err(ServiceError::NotFound(_))
    ));
    assert!(
        orders::find_customers(&app.state.db, other.scope, Lookup::Email("ann@example.com"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        orders::profile(&app.state.db, other.scope, ann).await,
        Err(ServiceError::NotFound(_))
    ));
    assert!(matches!(
        orders::product_detail(&app.state.db, other.scope, "MUG").await,
        Err(ServiceError::NotFound(_))
    ));
    app.finish().await;
}

async fn customers_are_found_by_email_or_name_and_postcode(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ws = workspace(&app, "owner@shop.test", "Shop").await;
    let s = ws.scope;
    let db = &app.state.db;
    let ann = customer_of(&app, &ws, "ann@example.com").await;
    let mut c: customer::ActiveModel = s
        .find::<customer::Entity>()
        .filter(customer::Column::Id.eq(ann))
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .into();
    c.name = Set("Ann Example".into());
    c.update(db).await.unwrap();
    assert!(
        orders::find_customers(
            db,
            s,
            Lookup::NameAndPostcode {
                name: "ann example",
                postcode: "10115"
            }
        )
        .await
        .unwrap()
        .is_empty(),
        "no address known yet"
    );
    let home = Address {
        postcode: "SW1A 1AA".into(),
        city: "London".into(),
        country: "GB".into(),
        ..address()
    };
    let p = tx!(app, |db| orders::set_default_address(db, s, ann, &home)).unwrap();
    assert_eq!(
        p.default_address.as_ref().map(|a| a.city.as_str()),
        Some("London")
    );
    let found = orders::find_customers(
        db,
        s,
        Lookup::NameAndPostcode {
            name: "ANN EXAMPLE",
            postcode: "sw1a1aa",
        },
    )
    .await
    .unwrap();
    assert_eq!(found.iter().map(|c| c.id).collect::<Vec<_>>(), vec![ann]);
    // An order's address counts too.
    let mug = product(&app, s, "Mug", &[("MUG", 1_850, 10)]).await;
    placed(&app, s, ann, &[(mug[0], 1)], &[]).await;
    assert_eq!(
        orders::find_customers(
            db,
            s,
            Lookup::NameAndPostcode {
                name: "Ann Example",
                postcode: "10115"
            }
        )
        .await
        .unwrap()
        .len(),
        1
    );
    assert!(matches!(
        orders::find_customers(
            db,
            s,
            Lookup::NameAndPostcode {
                name: "Ann Example",
                postcode: " "
            }
        )
        .await,
        Err(ServiceError::Invalid {
            field: Some("postcode"),
            ..
        })
    ));
    let mut bad = home.clone();
    bad.line1 = String::new();
    assert!(matches!(
        tx!(app, |db| orders::set_default_address(db, s, ann, &bad)),
        Err(ServiceError::Invalid {
            field: Some("line1"),
            ..
        })
    ));
    let d = orders::product_detail(db, s, "mug").await.unwrap();
    assert_eq!((d.variants.len(), d.variants[0].stock), (1, 9));
    app.finish().await;
}

async fn the_orders_desk_lists_packs_ships_and_delivers(backend: Backend) {
    use app::serverfns::store::{
        DeliverOrder, GetStoreOrder, ListStoreOrders, PackOrder, ShipOrder,
    };
    use axum::http::StatusCode;
    use common::fns::path;
    let app = TestApp::new(backend).await;
    let mut ws = workspace(&app, "owner@shop.test", "Shop").await;
    let s = ws.scope;
    let ann = customer_of(&app, &ws, "ann@example.com").await;
    let mug = product(&app, s, "Mug", &[("MUG", 1_850, 10)]).await;
    let paid = placed(&app, s, ann, &[(mug[0], 1)], &[OrderStatus::Paid]).await;
    placed(&app, s, ann, &[(mug[0], 2)], &[]).await;
    let list =
        |status: &'static str, q: &'static str| [("status", status), ("query", q), ("page", "1")];
    let all = ws
        .owner
        .call(path::<ListStoreOrders>(), &list("", ""))
        .await
        .json();
    assert_eq!(all["total"], 2, "{all}");
    assert_eq!(all["rows"][0]["customer_name"], "ann");
    let counts = all["counts"].as_array().unwrap();
    assert!(
        counts.contains(&json!(["paid", 1])) && counts.contains(&json!(["pending", 1])),
        "{all}"
    );
    let only = ws
        .owner
        .call(path::<ListStoreOrders>(), &list("paid", ""))
        .await
        .json();
    assert_eq!(only["rows"].as_array().unwrap().len(), 1);
    let by_email = ws
        .owner
        .call(path::<ListStoreOrders>(), &list("", "ANN@EXAMPLE"))
        .await
        .json();
    assert_eq!(by_email["total"], 2);
    let none = ws
        .owner
        .call(path::<ListStoreOrders>(), &list("", "nobody"))
        .await
        .json();
    assert_eq!(none["total"], 0);
    let bad = ws
        .owner
        .call(path::<ListStoreOrders>(), &list("lost", ""))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);

    // Pack, ship (carrier and tracking checked), deliver; each refused move says why.
    let r = ws
        .owner
        .call(path::<DeliverOrder>(), &[("number", paid.as_str())])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = ws
        .owner
        .call(path::<PackOrder>(), &[("number", paid.as_str())])
        .await
        .json();
    assert_eq!(r["summary"]["status"], "fulfilled");
    let ship = |carrier: &str, tracking: &str| json!({"form": {"number": paid, "carrier": carrier, "tracking_number": tracking}});
    let r = ws
        .owner
        .call_json(path::<ShipOrder>(), &ship("Pigeon", "1Z999"))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = ws
        .owner
        .call_json(path::<ShipOrder>(), &ship("UPS", "no spaces!"))
        .await;
    assert!(r.body.contains("tracking number"), "{}", r.body);
    let r = ws
        .owner
        .call_json(path::<ShipOrder>(), &ship("UPS", "1z999aa10123456784"))
        .await
        .json();
    assert_eq!(r["summary"]["status"], "shipped");
    assert_eq!(r["summary"]["tracking_number"], "1Z999AA10123456784");
    let mut agent = common::add_member(&app, &mut ws.owner, "agent@shop.test", "agent").await;
    let r = agent
        .call(path::<DeliverOrder>(), &[("number", paid.as_str())])
        .await
        .json();
    assert_eq!(r["summary"]["status"], "delivered");
    let notes: Vec<String> = r["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["note"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n == "Shipped with UPS, tracking 1Z999AA10123456784."),
        "{notes:?}"
    );
    let mut light = common::add_member(&app, &mut ws.owner, "light@shop.test", "light_agent").await;
    let r = light
        .call(path::<PackOrder>(), &[("number", paid.as_str())])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = light
        .call(path::<GetStoreOrder>(), &[("number", paid.as_str())])
        .await
        .json();
    assert_eq!(r["summary"]["number"], paid.as_str());

    // Another workspace sees none of it and moves nothing.
    let mut other = workspace(&app, "owner@other.test", "Other").await;
    let theirs = other
        .owner
        .call(path::<ListStoreOrders>(), &list("", ""))
        .await
        .json();
    assert_eq!(theirs["total"], 0);
    let r = other
        .owner
        .call(path::<GetStoreOrder>(), &[("number", paid.as_str())])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let pending = row(&app, s, "1002").await;
    let r = other
        .owner
        .call(path::<PackOrder>(), &[("number", pending.number.as_str())])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = other.owner.call_json(path::<ShipOrder>(), &json!({"form": {"number": pending.number, "carrier": "UPS", "tracking_number": "ABCD1234"}})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = other
        .owner
        .call(path::<DeliverOrder>(), &[("number", paid.as_str())])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(row(&app, s, &pending.number).await.status, "pending");
    app.finish().await;
}

async fn said_to(app: &TestApp, ws: &Ws, cid: i32) -> Vec<String> {
    use entity::message;
    ws.scope
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(cid))
        .filter(message::Column::Direction.eq("outbound"))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.body_text)
        .collect()
}

async fn actions_on(app: &TestApp, ws: &Ws, cid: i32) -> Vec<ai_action::Model> {
    ws.scope
        .find::<ai_action::Entity>()
        .filter(ai_action::Column::ConversationId.eq(cid))
        .all(&app.state.db)
        .await
        .unwrap()
}

async fn the_built_in_engine_acts_on_orders_named_in_messages(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ws = workspace(&app, "owner@shop.test", "Shop").await;
    let s = ws.scope;
    let mut owner = ws.owner.clone();
    owner
        .call(
            common::fns::path::<app::serverfns::actions::SetPolicyDefault>(),
            &[("effect", "allow")],
        )
        .await;
    app::services::ai::settings::enable_builtin(&app.state.db, s, &["email"])
        .await
        .unwrap();
    let (_, ann) = ticket_of(&app, &ws, "ann@example.com", "Hello").await;
    let (_, ben) = ticket_of(&app, &ws, "ben@example.com", "Hello").await;
    app.run_jobs().await;
    let mug = product(&app, s, "Mug", &[("MUG", 1_850, 10)]).await;
    let twice = placed(&app, s, ann, &[(mug[0], 1)], &[]).await;
    let broken = placed(&app, s, ann, &[(mug[0], 2)], DELIVERED).await;
    let bens = placed(&app, s, ben, &[(mug[0], 1)], &[]).await;

    // "Cancel order N": proposed, allowed, done, the customer told.
    let (cid, _) = ticket_of(
        &app,
        &ws,
        "ann@example.com",
        &format!("Please cancel order {twice}, I ordered it twice."),
    )
    .await;
    app.run_jobs().await;
    let a = actions_on(&app, &ws, cid).await;
    assert_eq!(a.len(), 1);
    assert_eq!(
        (a[0].tool.as_str(), a[0].status.as_str()),
        ("cancel_order", "completed"),
        "{:?}",
        a[0].error
    );
    assert_eq!(row(&app, s, &twice).await.status, "cancelled");
    let said = said_to(&app, &ws, cid).await;
    assert!(
        said.iter()
            .any(|m| m.contains(&format!("Order {twice} is cancelled"))),
        "{said:?}"
    );

    // "A refund for order N": proposed with the exact amount, waiting for a person.
    let (cid, _) = ticket_of(
        &app,
        &ws,
        "ann@example.com",
        &format!("Order #{broken} arrived broken. I want a refund."),
    )
    .await;
    app.run_jobs().await;
    let a = actions_on(&app, &ws, cid).await;
    assert_eq!(a.len(), 1);
    assert_eq!(
        (a[0].tool.as_str(), a[0].status.as_str()),
        ("refund_order", "pending")
    );
    let input: serde_json::Value = serde_json::from_str(&a[0].input).unwrap();
    assert_eq!(input["amount"], json!(41.95));
    assert_eq!(row(&app, s, &broken).await.status, "delivered");

    // Someone else's order: nothing happens to it.
    let (cid, _) = ticket_of(
        &app,
        &ws,
        "ann@example.com",
        &format!("Please cancel order {bens}"),
    )
    .await;
    app.run_jobs().await;
    assert_eq!(row(&app, s, &bens).await.status, "pending");
    assert!(actions_on(&app, &ws, cid)
        .await
        .iter()
        .all(|a| a.status != "completed"));
    app.finish().await;
}

/// The change, return and exchange forms (the desk and the ticket's
/// sidebar) offer what the rules allow, with the rule when they don't, and
/// quote a return exactly as `return_items` computes it; the quote is what
/// gets proposed, and waits for an approver.
async fn the_forms_offer_what_the_rules_allow(backend: Backend) {
    use app::serverfns::actions::ProposeAction;
    use app::serverfns::store::{GetOrderOptions, QuoteOrderReturn};
    use axum::http::StatusCode;
    use common::fns::path;
    let app = TestApp::new(backend).await;
    let mut ws = workspace(&app, "owner@shop.test", "Shop").await;
    let s = ws.scope;
    let ann = customer_of(&app, &ws, "ann@example.com").await;
    let sock = product(
        &app,
        s,
        "Sock",
        &[("SOCK-M", 1_200, 10), ("SOCK-L", 1_300, 0)],
    )
    .await;
    let mug = product(&app, s, "Mug", &[("MUG", 1_850, 10)]).await;
    let card = gift_card(&app, s, ann, 5_000).await;
    let pending = placed(&app, s, ann, &[(sock[0], 1), (mug[0], 1)], &[]).await;
    // 2 × 12.00 + 18.50 + 4.95 shipping = 47.45.
    let delivered = placed(&app, s, ann, &[(sock[0], 2), (mug[0], 1)], DELIVERED).await;

    let o = ws
        .owner
        .call(path::<GetOrderOptions>(), &[("number", pending.as_str())])
        .await
        .json();
    assert_eq!(o["change_blocked"], json!(null), "{o}");
    assert!(
        o["return_blocked"]
            .as_str()
            .unwrap()
            .contains("Only delivered items are returned or exchanged"),
        "{o}"
    );
    // Socks come in another size (out of stock, and said so); the mug in none.
    assert_eq!(o["alternatives"][0][0]["sku"], "SOCK-L", "{o}");
    assert_eq!(o["alternatives"][0][0]["stock"], 0);
    assert_eq!(o["alternatives"][1], json!([]));
    assert_eq!(o["payment_methods"][0]["id"], card);

    let o = ws
        .owner
        .call(path::<GetOrderOptions>(), &[("number", delivered.as_str())])
        .await
        .json();
    assert!(
        o["change_blocked"]
            .as_str()
            .unwrap()
            .contains("Delivered items are returned or exchanged instead"),
        "{o}"
    );
    assert_eq!(o["return_blocked"], json!(null), "{o}");

    // Quotes: the items' prices, or the whole rest with shipping.
    let quote = |skus: &[&str]| json!({"number": delivered, "skus": skus});
    let q = ws
        .owner
        .call_json(path::<QuoteOrderReturn>(), &quote(&["SOCK-M"]))
        .await
        .json();
    assert_eq!(
        (q["amount_minor"].as_i64(), q["everything"].as_bool()),
        (Some(1_200), Some(false)),
        "{q}"
    );
    let q = ws
        .owner
        .call_json(
            path::<QuoteOrderReturn>(),
            &quote(&["SOCK-M", "MUG", "SOCK-M"]),
        )
        .await
        .json();
    assert_eq!(
        (q["amount_minor"].as_i64(), q["everything"].as_bool()),
        (Some(4_745), Some(true)),
        "{q}"
    );
    let r = ws
        .owner
        .call_json(
            path::<QuoteOrderReturn>(),
            &quote(&["SOCK-M", "SOCK-M", "SOCK-M"]),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("Only 2 of SOCK-M"), "{}", r.body);
    let r = ws
        .owner
        .call_json(
            path::<QuoteOrderReturn>(),
            &json!({"number": pending, "skus": ["MUG"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("Cancel it instead"), "{}", r.body);

    // What the form proposes with that quote waits for a person; nothing moved.
    let input = json!({"order": delivered, "skus": ["SOCK-M"], "amount": 12.0, "refund_to": "gift_card", "gift_card_id": card});
    let a = ws
        .owner
        .call(
            path::<ProposeAction>(),
            &[
                ("form[tool]", "return_items"),
                ("form[input_json]", input.to_string().as_str()),
                ("form[reasoning]", "Too small"),
            ],
        )
        .await
        .json();
    assert_eq!(a["status"], "pending", "{a}");
    assert_eq!(row(&app, s, &delivered).await.refunded_minor, 0);
    assert_eq!(balance(&app, s, card).await, 5_000);

    // A light agent reads them too; another workspace reads nothing.
    let mut light = common::add_member(&app, &mut ws.owner, "light@shop.test", "light_agent").await;
    let r = light
        .call(path::<GetOrderOptions>(), &[("number", pending.as_str())])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut other = workspace(&app, "owner@other.test", "Other").await;
    let r = other
        .owner
        .call(path::<GetOrderOptions>(), &[("number", pending.as_str())])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = other
        .owner
        .call_json(path::<QuoteOrderReturn>(), &quote(&["SOCK-M"]))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    app.finish().await;
}

backend_tests!(
    the_forms_offer_what_the_rules_allow,
    pending_orders_change_and_cancel_by_the_rules,
    delivered_orders_return_exchange_and_refund_exactly,
    stripe_paid_orders_refund_through_stripe_once,
    tools_act_on_the_tickets_customer_and_money_waits_for_approval,
    customers_are_found_by_email_or_name_and_postcode,
    the_orders_desk_lists_packs_ships_and_delivers,
    the_built_in_engine_acts_on_orders_named_in_messages,
);
