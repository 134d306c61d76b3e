//! Commerce, first slice (issue 13 points 2 and 7, issue 17's orders): orders
//! placed against the catalog's stock with exact amounts; the order state
//! machine through the service (every allowed and refused move, a refusal
//! writes nothing); cancelling gives stock back; workspaces kept apart;
//! segments and campaign conditions read orders. Both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::services::campaigns::runner;
use app::services::channels::inbound::{self, InboundMessage, Sender};
use app::services::commerce::{self, NewLine, Payment};
use app::services::context::RequestMeta;
use app::services::tenancy::Scoped;
use app::services::ServiceError;
use app::types::{
    Address, Channel, CondOp, FlowGraph, FlowOp, IdentifierKind, NodeKind, OrderStatus,
};
use chrono::Utc;
use common::marketing::{
    campaign, campaign_graph, condition, everyone, set, test, time_passes, who,
};
use common::{e, n, workspace, Backend, TestApp, Ws};
use entity::{campaign_run, customer, order, order_event, product, product_variant};
use sea_orm::{ActiveModelTrait, ColumnTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use std::collections::BTreeSet;

async fn customer_of(app: &TestApp, ws: &Ws, email: &str) -> i32 {
    let m = InboundMessage::new(
        Channel::Email,
        format!("test:{email}:{}", uuid::Uuid::new_v4().simple()),
        Sender {
            kind: IdentifierKind::Email,
            value: email.to_owned(),
            name: Some(email.split('@').next().unwrap().to_owned()),
        },
        "Hello".to_owned(),
    );
    inbound::receive(&app.state, ws.scope, m).await.unwrap();
    ws.scope
        .find::<customer::Entity>()
        .filter(customer::Column::Email.eq(email))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("the customer")
        .id
}

/// A product with one variant per (sku, price, stock).
async fn product(
    app: &TestApp,
    scope: Scoped,
    name: &str,
    variants: &[(&str, i64, i32)],
) -> Vec<i32> {
    let t = Utc::now();
    let p = product::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        category_id: Set(None),
        name: Set(name.into()),
        slug: Set(name.to_lowercase().replace(' ', "-")),
        description: Set(String::new()),
        images: Set("[]".into()),
        status: Set("active".into()),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();
    let mut ids = Vec::new();
    for (i, (sku, price, stock)) in variants.iter().enumerate() {
        let v = product_variant::ActiveModel {
            workspace_id: Set(scope.workspace_id()),
            product_id: Set(p.id),
            sku: Set((*sku).into()),
            options: Set(format!(r#"{{"size":"{sku}","colour":"Moss"}}"#)),
            price_minor: Set(*price),
            currency: Set("eur".into()),
            stock: Set(*stock),
            position: Set(i32::try_from(i).unwrap()),
            ..Default::default()
        }
        .insert(&app.state.db)
        .await
        .unwrap();
        ids.push(v.id);
    }
    ids
}

fn address() -> Address {
    Address {
        name: "Ann Example".into(),
        line1: "Hauptstr. 1".into(),
        line2: String::new(),
        postcode: "10115".into(),
        city: "Berlin".into(),
        country: "DE".into(),
    }
}

fn card() -> Payment {
    Payment {
        kind: "card".into(),
        label: "Visa ending 4242".into(),
    }
}

async fn stock(app: &TestApp, scope: Scoped, id: i32) -> i32 {
    scope
        .find::<product_variant::Entity>()
        .filter(product_variant::Column::Id.eq(id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .stock
}

async fn place(
    app: &TestApp,
    scope: Scoped,
    who: i32,
    lines: &[(i32, i32)],
) -> Result<app::types::OrderSummary, ServiceError> {
    let lines: Vec<NewLine> = lines
        .iter()
        .map(|&(variant_id, quantity)| NewLine {
            variant_id,
            quantity,
        })
        .collect();
    commerce::place(&app.state, scope, who, &lines, &address(), &card(), "test").await
}

/// How many entries an order's timeline has.
async fn timeline_len(app: &TestApp, scope: Scoped, order_id: i32) -> u64 {
    scope
        .find::<order_event::Entity>()
        .filter(order_event::Column::OrderId.eq(order_id))
        .count(&app.state.db)
        .await
        .unwrap()
}

/// The happy path to each status the service can reach.
fn path_to(s: OrderStatus) -> Option<&'static [OrderStatus]> {
    use OrderStatus as S;
    Some(match s {
        S::Pending => &[],
        S::Paid => &[S::Paid],
        S::Fulfilled => &[S::Paid, S::Fulfilled],
        S::Shipped => &[S::Paid, S::Fulfilled, S::Shipped],
        S::Delivered => &[S::Paid, S::Fulfilled, S::Shipped, S::Delivered],
        S::Cancelled => &[S::Cancelled],
        S::Refunded => &[S::Paid, S::Refunded],
        // Reached by returning items, not built yet.
        S::PartiallyRefunded => return None,
    })
}

async fn orders_follow_the_state_machine(b: Backend) {
    let app = TestApp::new(b).await;
    let ws = workspace(&app, "olga@acme.test", "Acme").await;
    let other = workspace(&app, "bea@other.test", "Other").await;
    let ann = customer_of(&app, &ws, "ann@example.com").await;
    let v = product(
        &app,
        ws.scope,
        "Trail Shirt",
        &[("S", 1_990, 500), ("M", 2_500, 3)],
    )
    .await;

    // Amounts are exact, in minor units; stock is taken.
    let o = place(&app, ws.scope, ann, &[(v[0], 2), (v[1], 1)])
        .await
        .unwrap();
    assert_eq!(
        (o.status, o.total_minor, o.items),
        (OrderStatus::Pending, 6_480, 3)
    );
    assert_eq!(o.number, "1001");
    assert_eq!(stock(&app, ws.scope, v[1]).await, 2);
    // Below free shipping, shipping is added.
    let small = place(&app, ws.scope, ann, &[(v[0], 1)]).await.unwrap();
    assert_eq!(small.total_minor, 1_990 + app::types::SHIPPING_FEE);

    // Too few left: refused with what there is, nothing taken.
    let err = place(&app, ws.scope, ann, &[(v[1], 3)]).await.unwrap_err();
    assert!(matches!(err, ServiceError::Conflict { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("Only 2 of Trail Shirt M · Moss left"),
        "{err}"
    );
    assert_eq!(stock(&app, ws.scope, v[1]).await, 2);
    // A bad address names the field; another workspace's variant or customer is not found.
    let mut bad = address();
    bad.country = "Germany".into();
    let err = commerce::place(
        &app.state,
        ws.scope,
        ann,
        &[NewLine {
            variant_id: v[0],
            quantity: 1,
        }],
        &bad,
        &card(),
        "t",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            ServiceError::Invalid {
                field: Some("country"),
                ..
            }
        ),
        "{err}"
    );
    let bea = customer_of(&app, &other, "bea@example.com").await;
    assert!(matches!(
        place(&app, other.scope, bea, &[(v[0], 1)])
            .await
            .unwrap_err(),
        ServiceError::NotFound(_)
    ));
    assert!(matches!(
        place(&app, ws.scope, bea, &[(v[0], 1)]).await.unwrap_err(),
        ServiceError::NotFound(_)
    ));

    // Every move from every reachable status: allowed ones happen, refused
    // ones say the rule and change nothing.
    for from in OrderStatus::ALL {
        let Some(path) = path_to(from) else { continue };
        for to in OrderStatus::ALL {
            let o = place(&app, ws.scope, ann, &[(v[0], 1)]).await.unwrap();
            for step in path {
                commerce::move_to(&app.state, ws.scope, o.id, *step, "", "test")
                    .await
                    .unwrap();
            }
            let events = timeline_len(&app, ws.scope, o.id).await;
            let r = commerce::move_to(&app.state, ws.scope, o.id, to, "a note", "test").await;
            let allowed = from.check_move(to).is_ok() && to != OrderStatus::PartiallyRefunded;
            match r {
                Ok(after) => {
                    assert!(allowed, "{from} → {to} was allowed");
                    assert_eq!(after.status, to);
                    if to == OrderStatus::Refunded {
                        assert_eq!(after.refunded_minor, after.total_minor);
                    }
                }
                Err(err) => {
                    assert!(!allowed, "{from} → {to} was refused: {err}");
                    assert!(
                        matches!(
                            err,
                            ServiceError::Conflict {
                                field: Some("status"),
                                ..
                            }
                        ),
                        "{err}"
                    );
                    let row = ws
                        .scope
                        .find::<order::Entity>()
                        .filter(order::Column::Id.eq(o.id))
                        .one(&app.state.db)
                        .await
                        .unwrap()
                        .unwrap();
                    assert_eq!(row.status, from.as_str());
                    assert_eq!(
                        timeline_len(&app, ws.scope, o.id).await,
                        events,
                        "{from} → {to} wrote to the timeline"
                    );
                }
            }
        }
    }

    // Cancelling gives the stock back; the timeline has every move.
    let o = place(&app, ws.scope, ann, &[(v[1], 2)]).await.unwrap();
    assert_eq!(stock(&app, ws.scope, v[1]).await, 0);
    commerce::move_to(
        &app.state,
        ws.scope,
        o.id,
        OrderStatus::Cancelled,
        "Changed my mind",
        "Ann",
    )
    .await
    .unwrap();
    assert_eq!(stock(&app, ws.scope, v[1]).await, 2);
    let timeline: Vec<(Option<String>, String)> = ws
        .scope
        .find::<order_event::Entity>()
        .filter(order_event::Column::OrderId.eq(o.id))
        .order_by_asc(order_event::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.to_status, e.actor))
        .collect();
    assert_eq!(
        timeline,
        vec![
            (Some("pending".into()), "test".into()),
            (Some("cancelled".into()), "Ann".into())
        ]
    );

    // The other workspace cannot move or see it.
    assert!(matches!(
        commerce::move_to(&app.state, other.scope, o.id, OrderStatus::Paid, "", "x")
            .await
            .unwrap_err(),
        ServiceError::NotFound(_)
    ));
    assert_eq!(
        commerce::customer_orders(&app.state.db, other.scope, ann)
            .await
            .unwrap(),
        vec![]
    );
    let mine = commerce::customer_orders(&app.state.db, ws.scope, ann)
        .await
        .unwrap();
    assert_eq!(mine.len(), 59);
    app.finish().await;
}

/// Start (everyone) → wait an hour → ordered? → End `bought` or `browsing`.
fn nudge(segment: i32) -> FlowGraph {
    campaign_graph(
        segment,
        vec![
            n("start", NodeKind::Start),
            n("wait", NodeKind::Wait { minutes: 60 }),
            n("ordered", condition("campaign.ordered", FlowOp::Is, "yes")),
            n("bought", NodeKind::End),
            n("browsing", NodeKind::End),
        ],
        vec![
            e("start", "next", "wait"),
            e("wait", "next", "ordered"),
            e("ordered", "branch:0", "bought"),
            e("ordered", "else", "browsing"),
        ],
    )
}

async fn segments_and_campaigns_read_orders(b: Backend) {
    let app = TestApp::new(b).await;
    let ws = workspace(&app, "olga@acme.test", "Acme").await;
    let ann = customer_of(&app, &ws, "ann@example.com").await;
    let ben = customer_of(&app, &ws, "ben@example.com").await;
    let cy = customer_of(&app, &ws, "cy@example.com").await;
    let v = product(
        &app,
        ws.scope,
        "Tent",
        &[("T2", 30_000, 50), ("PEG", 500, 50)],
    )
    .await;
    // Ann: a delivered tent (300.00); Ben: a cancelled order (counted
    // nowhere but in its status); Cy: nothing yet.
    let a = place(&app, ws.scope, ann, &[(v[0], 1)]).await.unwrap();
    for s in [
        OrderStatus::Paid,
        OrderStatus::Fulfilled,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
    ] {
        commerce::move_to(&app.state, ws.scope, a.id, s, "", "t")
            .await
            .unwrap();
    }
    let b = place(&app, ws.scope, ben, &[(v[1], 2)]).await.unwrap();
    commerce::move_to(&app.state, ws.scope, b.id, OrderStatus::Cancelled, "", "t")
        .await
        .unwrap();

    assert_eq!(
        who(&app, &ws, test("orders.count", CondOp::Above, "0")).await,
        set(&["ann@example.com"])
    );
    assert_eq!(
        who(&app, &ws, test("orders.count", CondOp::Is, "0")).await,
        set(&["ben@example.com", "cy@example.com"])
    );
    assert_eq!(
        who(&app, &ws, test("orders.spent", CondOp::Above, "299.99")).await,
        set(&["ann@example.com"])
    );
    assert_eq!(
        who(&app, &ws, test("orders.spent", CondOp::Above, "300")).await,
        set(&[])
    );
    assert_eq!(
        who(
            &app,
            &ws,
            test("orders.statuses", CondOp::Includes, "cancelled")
        )
        .await,
        set(&["ben@example.com"])
    );
    assert_eq!(
        who(
            &app,
            &ws,
            test("orders.days_since_last", CondOp::Below, "1")
        )
        .await,
        set(&["ann@example.com"])
    );

    // A campaign's condition: who ordered since they entered.
    let seg = everyone(&app, &ws).await;
    let flow = campaign(&app, &ws, "Nudge", &nudge(seg)).await;
    runner::tick(&app.state).await.unwrap();
    // Cy orders after entering; Ann's order was before.
    place(&app, ws.scope, cy, &[(v[1], 1)]).await.unwrap();
    time_passes(&app, &ws).await;
    runner::tick(&app.state).await.unwrap();
    let ends: BTreeSet<(i32, String)> = ws
        .scope
        .find::<campaign_run::Entity>()
        .filter(campaign_run::Column::FlowId.eq(flow))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.customer_id, r.node))
        .collect();
    // Merged customers keep their orders.
    app::services::inbox::customers::merge(&app.state, &ws.actor, ann, cy, &RequestMeta::default())
        .await
        .unwrap();
    let numbers: BTreeSet<String> = commerce::customer_orders(&app.state.db, ws.scope, ann)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.number)
        .collect();
    assert_eq!(numbers, set(&["1001", "1003"]));
    assert_eq!(
        ends,
        BTreeSet::from([
            (ann, "browsing".to_owned()),
            (ben, "browsing".to_owned()),
            (cy, "bought".to_owned())
        ])
    );
    app.finish().await;
}

backend_tests!(
    orders_follow_the_state_machine,
    segments_and_campaigns_read_orders
);
