//! `kill -9` of the server while Stripe webhooks arrive (issue 13): each
//! event is recorded in the same transaction as the order's move, so after
//! the restart, when "Stripe" delivers every event again (those cut short
//! and those already answered), each order is paid exactly once. Runs the
//! real `switchboard` binary on both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::services::commerce::{self, NewLine, Payment};
use app::services::payments;
use app::types::{Address, IdentifierKind};
use common::binary::Server;
use common::stripe::{sign, WEBHOOK_SECRET};
use common::{Backend, TestApp};
use entity::{order, order_event, product, product_variant, stripe_event};
use sea_orm::{ActiveModelTrait, ColumnTrait, PaginatorTrait, QueryFilter, Set};
use std::time::Duration;

const ORDERS: usize = 40;
/// The key the test app seals with (`common::TestApp`), so the binary can open
/// the Stripe keys the test stored.
const SECRETS_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn event(order_id: i32, session: &str) -> (String, String) {
    let body = serde_json::json!({
        "id": format!("evt_paid_{order_id}"),
        "object": "event",
        "type": "checkout.session.completed",
        "data": {"object": {
            "id": session,
            "object": "checkout.session",
            "client_reference_id": order_id.to_string(),
            "payment_status": "paid",
            "payment_intent": format!("pi_{order_id}"),
        }},
    })
    .to_string();
    (
        sign(WEBHOOK_SECRET, chrono::Utc::now().timestamp(), &body),
        body,
    )
}

/// Delivers every event until each is answered 2xx, as Stripe retries.
async fn deliver_all(base: &str, brand: &str, events: &[(i32, String)]) {
    let client = reqwest::Client::new();
    for (id, session) in events {
        for attempt in 0.. {
            let (sig, body) = event(*id, session);
            let r = client
                .post(format!("{base}/hooks/stripe/{brand}"))
                .header("stripe-signature", sig)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await;
            match r {
                Ok(r) if r.status().is_success() => break,
                Ok(r) => assert!(
                    r.status().is_server_error() && attempt < 50,
                    "event for order {id}: {}",
                    r.status()
                ),
                Err(_) => assert!(attempt < 50, "the server never came back"),
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn kill_9_while_webhooks_arrive_applies_each_once(b: Backend) {
    let app = TestApp::new(b).await;
    let ws = common::workspace(&app, "ada@example.com", "Acme").await;
    let brand = app::services::kb::structure::default_brand(&app.state.db, ws.scope)
        .await
        .unwrap();
    payments::set_keys(
        &app.state,
        ws.scope,
        "http://127.0.0.1:9/",
        common::stripe::SECRET_KEY,
        WEBHOOK_SECRET,
    )
    .await
    .unwrap();
    let t = chrono::Utc::now();
    let p = product::ActiveModel {
        workspace_id: Set(ws.scope.workspace_id()),
        category_id: Set(None),
        name: Set("Ridge Tent".into()),
        slug: Set("ridge-tent".into()),
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
    let v = product_variant::ActiveModel {
        workspace_id: Set(ws.scope.workspace_id()),
        product_id: Set(p.id),
        sku: Set("RT".into()),
        options: Set("{}".into()),
        price_minor: Set(1_000),
        currency: Set("eur".into()),
        stock: Set(1_000),
        position: Set(0),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();
    let (customer, _) = app::services::inbox::customers::resolve(
        &app.state.db,
        ws.scope,
        IdentifierKind::Email,
        "ann@example.com",
        Some("Ann"),
    )
    .await
    .unwrap();
    let mut events = Vec::new();
    for _ in 0..ORDERS {
        let o = commerce::place(
            &app.state,
            ws.scope,
            customer.id,
            &[NewLine {
                variant_id: v.id,
                quantity: 1,
            }],
            &Address {
                name: "Ann".into(),
                line1: "Main St 1".into(),
                line2: String::new(),
                postcode: "10115".into(),
                city: "Berlin".into(),
                country: "DE".into(),
            },
            &Payment {
                kind: "card".into(),
                label: "Stripe Checkout".into(),
                method_id: None,
            },
            "test",
        )
        .await
        .unwrap();
        let session = format!("cs_crash_{}", o.id);
        ws.scope
            .update_many::<order::Entity>()
            .col_expr(
                order::Column::StripeSession,
                sea_orm::sea_query::Expr::value(session.clone()),
            )
            .filter(order::Column::Id.eq(o.id))
            .exec(&app.state.db)
            .await
            .unwrap();
        events.push((o.id, session));
    }
    let data_dir = std::env::temp_dir()
        .join(format!(
            "sbt-crash-payments-{}",
            uuid::Uuid::new_v4().simple()
        ))
        .to_string_lossy()
        .into_owned();
    let env = [("SWITCHBOARD_SECRETS_KEY", SECRETS_KEY.to_owned())];

    // Events arrive four at a time; the server dies once some are applied.
    let server = common::binary::start(&app.database_url, &data_dir, &env).await;
    let base = server.base.clone();
    let mut senders = tokio::task::JoinSet::new();
    for chunk in events.chunks(ORDERS / 4) {
        let (base, brand, chunk) = (base.clone(), brand.slug.clone(), chunk.to_vec());
        senders.spawn(async move {
            let client = reqwest::Client::new();
            for (id, session) in chunk {
                let (sig, body) = event(id, &session);
                // Cut short by the kill: no answer, or an error.
                let _ = client
                    .post(format!("{base}/hooks/stripe/{brand}"))
                    .header("stripe-signature", sig)
                    .body(body)
                    .send()
                    .await;
            }
        });
    }
    for _ in 0..2_000 {
        let applied = ws
            .scope
            .find::<stripe_event::Entity>()
            .count(&app.state.db)
            .await
            .unwrap();
        if applied >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    drop::<Server>(server);
    senders.abort_all();
    let before = ws
        .scope
        .find::<stripe_event::Entity>()
        .count(&app.state.db)
        .await
        .unwrap();
    assert!(before > 0, "no event was applied before the kill");

    // Stripe retries everything; answered events come back as duplicates.
    let server = common::binary::start(&app.database_url, &data_dir, &env).await;
    deliver_all(&server.base, &brand.slug, &events).await;
    drop(server);

    let paid = ws
        .scope
        .find::<order::Entity>()
        .filter(order::Column::Status.eq("paid"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(paid, ORDERS as u64, "every order paid");
    let moves = ws
        .scope
        .find::<order_event::Entity>()
        .filter(order_event::Column::ToStatus.eq("paid"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(
        moves, ORDERS as u64,
        "each paid once ({before} before the kill)"
    );
    let recorded = ws
        .scope
        .find::<stripe_event::Entity>()
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(recorded, ORDERS as u64);
    let _ = std::fs::remove_dir_all(&data_dir);
    app.finish().await;
}

backend_tests!(kill_9_while_webhooks_arrive_applies_each_once);
