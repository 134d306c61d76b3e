//! Commerce, first slice (issue 13 points 2 and 7, issue 17's orders): orders
//! placed against the catalog's stock with exact amounts; the order state
//! machine through the service (every allowed and refused move, a refusal
//! writes nothing); cancelling gives stock back; workspaces kept apart;
//! segments and campaign conditions read orders. Both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::services::campaigns::runner;
use app::services::commerce::{self, NewLine};
use app::services::context::RequestMeta;
use app::services::tenancy::Scoped;
use app::services::ServiceError;
use app::types::{CondOp, FlowGraph, FlowOp, NodeKind, OrderStatus};
use chrono::Utc;
use common::marketing::{
    campaign, campaign_graph, condition, everyone, set, test, time_passes, who,
};
use common::shop::{address, card, customer_of, place, product, stock};
use common::{e, n, workspace, Backend, TestApp};
use entity::{campaign_run, order, order_event, product, product_variant};
use sea_orm::{ActiveModelTrait, ColumnTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use std::collections::BTreeSet;

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
    // The customer's conversation shows their orders, newest first.
    let detail = app::services::inbox::conversations::detail(&app.state.db, ws.scope, 1)
        .await
        .unwrap();
    assert_eq!(
        detail
            .orders
            .iter()
            .map(|o| (o.number.as_str(), o.items))
            .collect::<Vec<_>>(),
        vec![("1002", 1), ("1001", 3)]
    );

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

/// The storefront (issue 13 point 1): home, category and product pages with
/// their SEO parts, the cart kept in a cookie and changed by form posts,
/// checked against the catalog and its stock, priced on the server; bad input
/// gets the page again with the reason; another workspace's or a draft
/// product is not found.
#[allow(clippy::too_many_lines)]
async fn the_storefront_shows_the_catalog_and_keeps_a_cart(b: Backend) {
    use axum::http::StatusCode;
    let app = TestApp::new(b).await;
    let ws = workspace(&app, "olga@acme.test", "Acme").await;
    let other = workspace(&app, "bob@b.test", "Workspace B").await;
    let brand = app::services::kb::structure::default_brand(&app.state.db, ws.scope)
        .await
        .unwrap();
    let base = format!("/store/{}", brand.slug);
    let t = Utc::now();
    let tents = entity::product_category::ActiveModel {
        workspace_id: Set(ws.scope.workspace_id()),
        name: Set("Tents".into()),
        slug: Set("tents".into()),
        position: Set(1),
        created_at: Set(t),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();
    let ridge = product(
        &app,
        ws.scope,
        "Ridge Tent",
        &[("RT-2", 1250, 3), ("RT-3", 1500, 0)],
    )
    .await;
    let draft = product(&app, ws.scope, "Secret Tent", &[("ST-1", 999, 5)]).await;
    let theirs = product(&app, other.scope, "Their Tent", &[("TT-1", 100, 5)]).await;
    ws.scope
        .update_many::<product::Entity>()
        .col_expr(
            product::Column::CategoryId,
            sea_orm::sea_query::Expr::value(tents.id),
        )
        .exec(&app.state.db)
        .await
        .unwrap();
    ws.scope
        .update_many::<product::Entity>()
        .filter(product::Column::Slug.eq("secret-tent"))
        .col_expr(
            product::Column::Status,
            sea_orm::sea_query::Expr::value("draft"),
        )
        .exec(&app.state.db)
        .await
        .unwrap();
    let mut shopper = app.client();

    let home = shopper.get(&base).await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    assert!(home.body.contains("Ridge Tent") && !home.body.contains("Secret Tent"));
    assert!(!home.body.contains(".wasm"), "no wasm on the storefront");
    let cat = shopper.get(&format!("{base}/c/tents")).await;
    assert!(
        cat.body.contains("1 products") && cat.body.contains("from €12.50"),
        "{}",
        cat.body
    );
    let page = shopper.get(&format!("{base}/p/ridge-tent")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("\"@type\":\"Product\""), "{}", page.body);
    assert!(page.body.contains("<link rel=\"canonical\" href=\"http"));
    for missing in [
        format!("{base}/p/secret-tent"),
        format!("{base}/p/their-tent"),
        format!("{base}/c/nope"),
        "/store/no-such-store".to_owned(),
    ] {
        assert_eq!(
            shopper.get(&missing).await.status,
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }
    let map = shopper.get(&format!("{base}/sitemap.xml")).await;
    assert!(map.body.contains("/p/ridge-tent</loc>") && !map.body.contains("secret-tent"));

    // Adding: checked against the catalog and its stock.
    let add = format!("{base}/cart/add");
    let v = |id: i32| id.to_string();
    let r = shopper
        .call(&add, &[("product", "ridge-tent"), ("quantity", "1")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("Choose a size or colour first."),
        "{}",
        r.body
    );
    assert!(r.body.contains("Add to cart"), "the product page again");
    let r = shopper
        .call(&add, &[("variant", &v(ridge[0])), ("quantity", "4")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Only 3 left"), "{}", r.body);
    let r = shopper
        .call(&add, &[("variant", &v(ridge[1])), ("quantity", "1")])
        .await;
    assert!(r.body.contains("sold out"), "{}", r.body);
    let r = shopper
        .call(&add, &[("variant", &v(ridge[0])), ("quantity", "many")])
        .await;
    assert!(r.body.contains("whole number"), "{}", r.body);
    for other_ws in [theirs[0], draft[0]] {
        let r = shopper
            .call(&add, &[("variant", &v(other_ws)), ("quantity", "1")])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{other_ws}");
    }
    assert!(shopper.cookie.is_none(), "nothing refused reached the cart");
    let r = shopper
        .call(&add, &[("variant", &v(ridge[0])), ("quantity", "2")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        r.headers[axum::http::header::LOCATION],
        format!("{base}/cart").as_str()
    );
    let cookie = r.headers[axum::http::header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains(&format!("Path={base}")) && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    // One more would be four of three.
    let r = shopper
        .call(&add, &[("variant", &v(ridge[0])), ("quantity", "2")])
        .await;
    assert!(
        r.body.contains("counting what is in your cart"),
        "{}",
        r.body
    );

    // The cart prices on the server: 2 × €12.50 + €4.95 shipping.
    let cart = shopper.get(&format!("{base}/cart")).await;
    assert!(
        cart.body.contains("€25.00") && cart.body.contains("€4.95"),
        "{}",
        cart.body
    );
    assert!(
        cart.body
            .contains("data-testid=\"cart-total\"><strong>€29.95"),
        "{}",
        cart.body
    );
    assert!(cart.body.contains("Cart (2)"));
    // A forged cookie line (another workspace's variant) is dropped, not priced.
    shopper.cookie = Some(format!("sb_cart={}:2.{}:1", ridge[0], theirs[0]));
    let cart = shopper.get(&format!("{base}/cart")).await;
    assert!(cart.body.contains("no longer sold"), "{}", cart.body);
    assert!(!cart.body.contains("Their Tent"));
    let set = format!("{base}/cart/set");
    let r = shopper
        .call(&set, &[("variant", &v(ridge[0])), ("quantity", "0")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let cart = shopper.get(&format!("{base}/cart")).await;
    assert!(cart.body.contains("Your cart is empty."), "{}", cart.body);
    app.finish().await;
}

/// Checkout through Stripe (issue 13 point 2): the order is placed and a
/// Checkout Session made at a local fake Stripe with the order's own amounts;
/// webhooks are verified by `Stripe-Signature` (forged or stale: 400, nothing
/// written) and applied once per event id; the shopper's order page needs its
/// key; a refused payment cancels the order and gives the stock back.
#[allow(clippy::too_many_lines)]
async fn checkout_pays_through_stripe_and_each_webhook_applies_once(b: Backend) {
    use app::services::payments;
    use axum::body::Body;
    use axum::http::{header, Request, StatusCode};
    use common::stripe::{sign, FakeStripe, SECRET_KEY, WEBHOOK_SECRET};
    let app = TestApp::new(b).await;
    let fake = FakeStripe::start().await;
    let ws = workspace(&app, "olga@acme.test", "Acme").await;
    let other = workspace(&app, "bob@b.test", "Workspace B").await;
    let brand = app::services::kb::structure::default_brand(&app.state.db, ws.scope)
        .await
        .unwrap();
    let other_brand = app::services::kb::structure::default_brand(&app.state.db, other.scope)
        .await
        .unwrap();
    let base = format!("/store/{}", brand.slug);
    let tent = product(&app, ws.scope, "Ridge Tent", &[("RT-2", 1250, 3)]).await;
    let stock = |id: i32| {
        let db = app.state.db.clone();
        async move {
            Scoped::new(ws.scope.workspace_id())
                .find::<product_variant::Entity>()
                .filter(product_variant::Column::Id.eq(id))
                .one(&db)
                .await
                .unwrap()
                .unwrap()
                .stock
        }
    };
    let mut shopper = app.client();
    let r = shopper
        .call(
            &format!("{base}/cart/add"),
            &[("variant", &tent[0].to_string()), ("quantity", "2")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let cart_cookie = shopper.cookie.clone();
    let form = |email: &'static str| {
        vec![
            ("email", email),
            ("name", "Ann Example"),
            ("line1", "Hauptstr. 1"),
            ("postcode", "10115"),
            ("city", "Berlin"),
            ("country", "de"),
        ]
    };
    let checkout = format!("{base}/checkout");
    // Not connected to Stripe yet: said so, nothing placed.
    let r = shopper.call(&checkout, &form("ann@example.com")).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert!(r.body.contains("has not connected Stripe"), "{}", r.body);
    let bad = payments::set_keys(&app.state, ws.scope, "ftp://x", SECRET_KEY, WEBHOOK_SECRET).await;
    assert!(bad.unwrap_err().to_string().contains("http(s) address"));
    payments::set_keys(&app.state, ws.scope, &fake.base, SECRET_KEY, WEBHOOK_SECRET)
        .await
        .unwrap();
    // The other workspace's settings stay its own: not connected; its owner
    // connecting does not touch the first's keys.
    {
        use app::serverfns::store::{GetStoreSettings, SaveStoreSettings};
        let mut b_owner = other.owner.clone();
        let r = b_owner
            .call(common::fns::path::<GetStoreSettings>(), &[])
            .await;
        assert_eq!(r.json()["connected"], false, "{}", r.body);
        let r = b_owner
            .call_json(
                common::fns::path::<SaveStoreSettings>(),
                &serde_json::json!({"form": {"api_base": "", "secret_key": "sk_test_b", "webhook_secret": "whsec_bbbbbbbb"}}),
            )
            .await;
        assert_eq!(r.json()["connected"], true, "{}", r.body);
        let mine = payments::keys(&app.state, &app.state.db, ws.scope)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(mine.secret_key, SECRET_KEY);
    }
    let r = shopper.call(&checkout, &form("not-an-email")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Give an email address"), "{}", r.body);
    assert!(
        r.body.contains("value=\"Hauptstr. 1\""),
        "what was typed is kept"
    );
    let count_orders = || {
        let db = app.state.db.clone();
        async move {
            Scoped::new(ws.scope.workspace_id())
                .find::<order::Entity>()
                .count(&db)
                .await
                .unwrap()
        }
    };
    assert_eq!(count_orders().await, 0, "refused checkouts place nothing");

    // Checkout: the order is placed and Stripe is asked for exactly its amounts.
    let r = shopper.call(&checkout, &form("ann@example.com")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let to = r.headers[header::LOCATION].to_str().unwrap().to_owned();
    assert!(
        to.starts_with(&format!("{}pay/cs_test_1", fake.base)),
        "{to}"
    );
    let session = fake.sessions().pop().unwrap();
    let o = Scoped::new(ws.scope.workspace_id())
        .find::<order::Entity>()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(o.status, "pending");
    assert_eq!(
        (o.subtotal_minor, o.shipping_minor, o.total_minor),
        (2500, 495, 2995)
    );
    assert_eq!(
        session.total(),
        o.total_minor,
        "the session charges the order's total"
    );
    assert_eq!(session.order_id(), o.id.to_string());
    assert_eq!(session.form["line_items[0][quantity]"], "2");
    assert_eq!(
        session.form["line_items[1][price_data][product_data][name]"],
        "Shipping"
    );
    assert_eq!(session.form["customer_email"], "ann@example.com");
    let expires: i64 = session.form["expires_at"].parse().unwrap();
    let ahead = expires - Utc::now().timestamp();
    assert!((30 * 60..=36 * 60).contains(&ahead), "{ahead}");
    assert!(session
        .idempotency_key
        .contains(&format!("order-{}-{}", o.workspace_id, o.id)));
    assert_eq!(o.stripe_session.as_deref(), Some("cs_test_1"));
    assert_eq!(stock(tent[0]).await, 1, "stock is held for the order");
    let key = o.access_key.clone().unwrap();
    assert!(session.form["success_url"].ends_with(&format!("/orders/{}?key={key}", o.number)));

    // Webhooks: forged and stale ones are refused and write nothing.
    let hook = format!("/hooks/stripe/{}", brand.slug);
    let post = |sig: String, body: String| {
        Request::post(hook.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .header("stripe-signature", sig)
            .body(Body::from(body))
            .unwrap()
    };
    let t = Utc::now().timestamp();
    let (_, body) = fake.event("evt_1", "checkout.session.completed", &session, true, t);
    // Stripe sends no Origin: the hook is outside the browser's CSRF check.
    let mut stripe = app.client();
    stripe.origin = None;
    let r = stripe
        .send(post(sign("whsec_forged", t, &body), body.clone()))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("does not match"), "{}", r.body);
    let r = stripe
        .send(post(sign(WEBHOOK_SECRET, t - 400, &body), body.clone()))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("too old"), "{}", r.body);
    let r = stripe.send(post(String::new(), body.clone())).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(!payments::seen(&app.state.db, ws.scope, "evt_1")
        .await
        .unwrap());
    // Another store's endpoint does not take this store's events.
    let r = stripe
        .send(
            Request::post(format!("/hooks/stripe/{}", other_brand.slug))
                .header("stripe-signature", sign(WEBHOOK_SECRET, t, &body))
                .body(Body::from(body.clone()))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);

    // The real one, twice: paid once.
    let (sig, body) = fake.event("evt_1", "checkout.session.completed", &session, true, t);
    let r = stripe.send(post(sig.clone(), body.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["outcome"], "applied");
    let r = stripe.send(post(sig, body)).await;
    assert_eq!(r.json()["outcome"], "duplicate");
    let paid_events = Scoped::new(ws.scope.workspace_id())
        .find::<order_event::Entity>()
        .filter(order_event::Column::OrderId.eq(o.id))
        .filter(order_event::Column::ToStatus.eq("paid"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(paid_events, 1);
    let o = Scoped::new(ws.scope.workspace_id())
        .find::<order::Entity>()
        .filter(order::Column::Id.eq(o.id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(o.status, "paid");
    assert_eq!(o.payment_intent.as_deref(), Some("pi_cs_test_1"));
    // A later expiry of that session changes nothing (the order is paid).
    let (sig, body) = fake.event("evt_2", "checkout.session.expired", &session, false, t);
    assert_eq!(
        stripe.send(post(sig, body)).await.json()["outcome"],
        "ignored"
    );

    // The shopper's page: only with its key; the paid order empties the cart.
    shopper.cookie = cart_cookie.clone();
    let page = format!("{base}/orders/{}", o.number);
    assert_eq!(
        shopper.get(&format!("{page}?key=wrong")).await.status,
        StatusCode::NOT_FOUND
    );
    let r = shopper.get(&format!("{page}?key={key}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("data-status=\"paid\""), "{}", r.body);
    assert!(r.body.contains("€29.95"));
    assert!(r.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .starts_with("sb_cart=;"));

    // A payment Stripe refuses: the order is cancelled and the stock returns.
    shopper.cookie = Some(format!("sb_cart={}:1", tent[0]));
    fake.refuse(true);
    let r = shopper.call(&checkout, &form("ann@example.com")).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert!(r.body.contains("Payment could not start"), "{}", r.body);
    assert_eq!(stock(tent[0]).await, 1, "given back");
    let last = Scoped::new(ws.scope.workspace_id())
        .find::<order::Entity>()
        .order_by_desc(order::Column::Id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(last.status, "cancelled");

    // An abandoned checkout: the session expires, the order is cancelled.
    fake.refuse(false);
    let r = shopper.call(&checkout, &form("ann@example.com")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(stock(tent[0]).await, 0);
    let abandoned = fake.sessions().pop().unwrap();
    let (sig, body) = fake.event("evt_3", "checkout.session.expired", &abandoned, false, t);
    assert_eq!(
        stripe.send(post(sig, body)).await.json()["outcome"],
        "applied"
    );
    assert_eq!(stock(tent[0]).await, 1);
    app.finish().await;
}

backend_tests!(
    orders_follow_the_state_machine,
    segments_and_campaigns_read_orders,
    the_storefront_shows_the_catalog_and_keeps_a_cart,
    checkout_pays_through_stripe_and_each_webhook_applies_once
);
