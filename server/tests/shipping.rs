//! Shipping (issue 13 point 3): shipping an order starts its tracking with
//! the workspace's provider (EasyPost or ShipEngine, local fakes that check
//! the key as each provider does); the providers' webhooks are verified as
//! they document (forged, stale or unsigned: refused, nothing written), each
//! carrier event is stored once however often it arrives, the polling job
//! catches what a webhook missed, a delivered parcel delivers the order, and
//! the shopper and the agent see the scans. Workspaces kept apart. Both
//! databases.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::services::commerce;
use app::services::order_desk;
use app::services::shipping::{settings, tracking};
use app::services::tenancy::{Scoped, System};
use app::services::ServiceError;
use app::types::{OrderStatus, ShipForm, ShippingSettingsForm};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::Utc;
use common::carriers::{Fakes, EASYPOST_KEY, EASYPOST_SECRET, SHIPENGINE_KEY};
use common::shop::{customer_of, place, product};
use common::{workspace, Backend, TestApp, Ws};
use entity::{job, order, order_event, tracking_event};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};

/// A paid, packed order of one mug, shipped with `carrier` and `number`.
async fn shipped(app: &TestApp, ws: &Ws, carrier: &str, number: &str) -> order::Model {
    let s = ws.scope;
    let ann = customer_of(app, ws, "ann@example.com").await;
    let sku = format!("MUG-{number}");
    let mug = product(
        app,
        s,
        &format!("Mug {number}"),
        &[(sku.as_str(), 1_850, 10)],
    )
    .await;
    let o = place(app, s, ann, &[(mug[0], 1)]).await.unwrap();
    for to in [OrderStatus::Paid, OrderStatus::Fulfilled] {
        commerce::move_to(&app.state, s, o.id, to, "test", "test")
            .await
            .unwrap();
    }
    order_desk::ship(
        &app.state,
        &ws.actor,
        &ShipForm {
            number: o.number.clone(),
            carrier: carrier.into(),
            tracking_number: number.into(),
        },
    )
    .await
    .unwrap();
    row(app, s, o.id).await
}

async fn row(app: &TestApp, s: Scoped, id: i32) -> order::Model {
    s.find::<order::Entity>()
        .filter(order::Column::Id.eq(id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
}

async fn events(app: &TestApp, s: Scoped, id: i32) -> u64 {
    s.find::<tracking_event::Entity>()
        .filter(tracking_event::Column::OrderId.eq(id))
        .count(&app.state.db)
        .await
        .unwrap()
}

async fn brand_slug(app: &TestApp, s: Scoped) -> String {
    app::services::kb::structure::default_brand(&app.state.db, s)
        .await
        .unwrap()
        .slug
}

fn post(path: &str, headers: &[(&str, String)], body: &str) -> Request<Body> {
    let mut r = Request::post(path).header(header::CONTENT_TYPE, "application/json");
    for (k, v) in headers {
        r = r.header(*k, v);
    }
    r.body(Body::from(body.to_owned())).unwrap()
}

/// Makes every shipped order due for the poll.
async fn quiet(app: &TestApp) {
    System::new("tests age every order's tracking")
        .update_many::<order::Entity>()
        .col_expr(
            order::Column::TrackingCheckedAt,
            Expr::value(Utc::now() - chrono::Duration::minutes(31)),
        )
        .exec(&app.state.db)
        .await
        .unwrap();
}

async fn easypost_tracks_through_signed_webhooks_and_polls(backend: Backend) {
    let app = TestApp::new(backend).await;
    let fake = Fakes::start().await;
    let ws = workspace(&app, "owner@shop.test", "Shop").await;
    let s = ws.scope;
    let slug = brand_slug(&app, s).await;

    // Settings are checked field by field.
    let form = |provider: &str, key: &str, secret: &str| ShippingSettingsForm {
        provider: provider.into(),
        api_base: fake.base.clone(),
        api_key: key.into(),
        webhook_secret: secret.into(),
    };
    for (f, field) in [
        (form("fedex", EASYPOST_KEY, EASYPOST_SECRET), "provider"),
        (form("easypost", "short", EASYPOST_SECRET), "api_key"),
        (form("easypost", EASYPOST_KEY, ""), "webhook_secret"),
    ] {
        match settings::set(&app.state, s, &f).await {
            Err(ServiceError::Invalid { field: got, .. }) => assert_eq!(got, Some(field)),
            other => panic!("{field}: {other:?}"),
        }
    }
    settings::set(
        &app.state,
        s,
        &form("easypost", EASYPOST_KEY, EASYPOST_SECRET),
    )
    .await
    .unwrap();

    // Shipping starts the tracker (in the same transaction as the move).
    let o = shipped(&app, &ws, "DHL", "JD0142").await;
    assert_eq!(o.tracking_provider, None, "the job has not run yet");
    app.run_jobs().await;
    let o = row(&app, s, o.id).await;
    assert_eq!(o.tracking_provider.as_deref(), Some("easypost"));
    assert_eq!(o.tracker_id.as_deref(), Some("trk_JD0142"));
    assert_eq!(o.tracking_status.as_deref(), Some("pre_transit"));
    assert_eq!(fake.carrier_of("JD0142").as_deref(), Some("DHLExpress"));
    assert!(fake
        .requests()
        .iter()
        .all(|(_, auth)| auth.starts_with("Basic ")));
    assert_eq!(events(&app, s, o.id).await, 1);

    // A webhook: forged, missing or another store's are refused, nothing written.
    fake.scan(
        "JD0142",
        "in_transit",
        "Arrived at the sort hub",
        "2026-12-02T06:30:00Z",
        "Leeds",
    );
    let hook = format!("/hooks/easypost/{slug}");
    let mut ep = app.client();
    ep.origin = None;
    let (_, body) = fake.easypost_event("JD0142", EASYPOST_SECRET);
    let (forged, _) = fake.easypost_event("JD0142", "not-the-secret");
    let r = ep
        .send(post(&hook, &[("x-hmac-signature", forged)], &body))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("does not match"), "{}", r.body);
    let r = ep.send(post(&hook, &[], &body)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let other = workspace(&app, "owner@other.test", "Other").await;
    let other_slug = brand_slug(&app, other.scope).await;
    let (sig, body) = fake.easypost_event("JD0142", EASYPOST_SECRET);
    let r = ep
        .send(post(
            &format!("/hooks/easypost/{other_slug}"),
            &[("x-hmac-signature", sig.clone())],
            &body,
        ))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("does not track"), "{}", r.body);
    let r = ep
        .send(post(
            "/hooks/easypost/no-such-store",
            &[("x-hmac-signature", sig.clone())],
            &body,
        ))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(events(&app, s, o.id).await, 1, "nothing written");

    // The real one, twice: one new event.
    let r = ep
        .send(post(&hook, &[("x-hmac-signature", sig.clone())], &body))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["outcome"], "applied");
    let r = ep
        .send(post(&hook, &[("x-hmac-signature", sig)], &body))
        .await;
    assert_eq!(r.json()["outcome"], "duplicate");
    assert_eq!(events(&app, s, o.id).await, 2);
    let o = row(&app, s, o.id).await;
    assert_eq!(o.tracking_status.as_deref(), Some("in_transit"));
    assert_eq!(o.status, "shipped");

    // A missed webhook: the poll asks (by tracker id) and delivers the order.
    fake.scan(
        "JD0142",
        "out_for_delivery",
        "Out for delivery",
        "2026-12-03T07:00:00Z",
        "Leeds",
    );
    fake.scan(
        "JD0142",
        "delivered",
        "Delivered, left with a neighbour",
        "2026-12-03T12:10:00Z",
        "Leeds",
    );
    assert_eq!(
        tracking::poll(&app.state).await.unwrap(),
        0,
        "heard from just now"
    );
    quiet(&app).await;
    assert_eq!(tracking::poll(&app.state).await.unwrap(), 1);
    assert!(fake
        .requests()
        .iter()
        .any(|(w, _)| w == "GET /v2/trackers/trk_JD0142"));
    let o = row(&app, s, o.id).await;
    assert_eq!(o.status, "delivered");
    assert_eq!(o.tracking_status.as_deref(), Some("delivered"));
    assert_eq!(events(&app, s, o.id).await, 4);
    let delivered = s
        .find::<order_event::Entity>()
        .filter(order_event::Column::OrderId.eq(o.id))
        .filter(order_event::Column::ToStatus.eq("delivered"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].actor, "EasyPost");
    assert!(
        delivered[0].note.contains("left with a neighbour"),
        "{}",
        delivered[0].note
    );
    // Delivered orders are not polled again; a late duplicate changes nothing.
    quiet(&app).await;
    assert_eq!(tracking::poll(&app.state).await.unwrap(), 0);
    let (sig, body) = fake.easypost_event("JD0142", EASYPOST_SECRET);
    let r = ep
        .send(post(&hook, &[("x-hmac-signature", sig)], &body))
        .await;
    assert_eq!(r.json()["outcome"], "duplicate", "{}", r.body);

    // The shopper sees the scans on the order page; the agent on the desk.
    let page = app
        .client()
        .get(&format!(
            "/store/{slug}/orders/{}?key={}",
            o.number,
            o.access_key.clone().unwrap()
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("data-testid=\"tracking-events\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("Arrived at the sort hub"));
    assert!(page.body.contains("Leeds, GB"));
    let d = order_desk::get(&app.state, &ws.actor, &o.number)
        .await
        .unwrap();
    assert_eq!(d.tracking.provider.as_deref(), Some("EasyPost"));
    assert_eq!(d.tracking.events.len(), 4);
    assert_eq!(
        d.tracking.events[0].description, "Delivered, left with a neighbour",
        "newest first"
    );
    // The other workspace reads none of it.
    assert!(matches!(
        order_desk::get(&app.state, &other.actor, &o.number).await,
        Err(ServiceError::NotFound(_))
    ));
    app.finish().await;
}

async fn shipengine_webhooks_verify_with_its_published_keys(backend: Backend) {
    let app = TestApp::new(backend).await;
    let fake = Fakes::start().await;
    let ws = workspace(&app, "owner@shop.test", "Shop").await;
    let s = ws.scope;
    let slug = brand_slug(&app, s).await;
    settings::set(
        &app.state,
        s,
        &ShippingSettingsForm {
            provider: "shipengine".into(),
            api_base: fake.base.trim_end_matches('/').into(),
            api_key: SHIPENGINE_KEY.into(),
            webhook_secret: String::new(),
        },
    )
    .await
    .unwrap();
    let o = shipped(&app, &ws, "UPS", "1Z999AA10123456784").await;
    app.run_jobs().await;
    let o = row(&app, s, o.id).await;
    assert_eq!(o.tracking_provider.as_deref(), Some("shipengine"));
    assert_eq!(
        fake.carrier_of("1Z999AA10123456784").as_deref(),
        Some("ups")
    );
    assert!(fake
        .requests()
        .iter()
        .filter(|(w, _)| w.starts_with("POST") || w.starts_with("GET /v1"))
        .all(|(_, k)| k == SHIPENGINE_KEY));
    assert_eq!(events(&app, s, o.id).await, 1);

    fake.scan(
        "1Z999AA10123456784",
        "in_transit",
        "Departed facility",
        "2026-12-02T04:00:00Z",
        "Manchester",
    );
    let hook = format!("/hooks/shipengine/{slug}");
    let mut se = app.client();
    se.origin = None;
    let now = Utc::now().timestamp();
    // Unsigned: 404 (ShipEngine's advice); stale, forged, unknown key: 400.
    let (body, h) = fake.shipengine_event("1Z999AA10123456784", now);
    let r = se.send(post(&hook, &[], &body)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let (stale_body, stale) = fake.shipengine_event("1Z999AA10123456784", now - 400);
    let r = se.send(post(&hook, &stale, &stale_body)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("five minutes"), "{}", r.body);
    let tampered = body.replace("Departed facility", "Delivered to the front door");
    let r = se.send(post(&hook, &h, &tampered)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("does not verify"), "{}", r.body);
    let mut unknown = h.clone();
    unknown[0].1 = "se-rotated-away".into();
    let r = se.send(post(&hook, &unknown, &body)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(events(&app, s, o.id).await, 1, "nothing written");

    // Signed: applied once.
    let headers: Vec<(&str, String)> = h.to_vec();
    let r = se.send(post(&hook, &headers, &body)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["outcome"], "applied");
    let r = se.send(post(&hook, &headers, &body)).await;
    assert_eq!(r.json()["outcome"], "duplicate");
    assert_eq!(events(&app, s, o.id).await, 2);

    // Delivered by webhook.
    fake.scan(
        "1Z999AA10123456784",
        "delivered",
        "Delivered",
        "2026-12-02T15:00:00Z",
        "Manchester",
    );
    let (body, h) = fake.shipengine_event("1Z999AA10123456784", Utc::now().timestamp());
    let r = se.send(post(&hook, &h, &body)).await;
    assert_eq!(r.json()["outcome"], "applied", "{}", r.body);
    assert_eq!(row(&app, s, o.id).await.status, "delivered");
    app.finish().await;
}

async fn refusals_land_on_the_timeline_and_outages_retry(backend: Backend) {
    let app = TestApp::new(backend).await;
    let fake = Fakes::start().await;
    let ws = workspace(&app, "owner@shop.test", "Shop").await;
    let s = ws.scope;

    // No provider: the order ships untracked, and says so.
    let o = shipped(&app, &ws, "UPS", "UNTRACKED1").await;
    app.run_jobs().await;
    let o = row(&app, s, o.id).await;
    assert_eq!(o.tracking_provider, None);
    let d = order_desk::get(&app.state, &ws.actor, &o.number)
        .await
        .unwrap();
    assert_eq!(d.tracking.provider, None);

    // A wrong key: the refusal is written on the order; no retry.
    settings::set(
        &app.state,
        s,
        &ShippingSettingsForm {
            provider: "easypost".into(),
            api_base: fake.base.clone(),
            api_key: "EZTK_wrong_key".into(),
            webhook_secret: EASYPOST_SECRET.into(),
        },
    )
    .await
    .unwrap();
    let o = shipped(&app, &ws, "USPS", "9400111202555842332669").await;
    app.run_jobs().await;
    let notes: Vec<String> = s
        .find::<order_event::Entity>()
        .filter(order_event::Column::OrderId.eq(o.id))
        .filter(order_event::Column::Kind.eq("note"))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.note)
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("refused the API key"), "{notes:?}");
    assert_eq!(row(&app, s, o.id).await.tracking_provider, None);

    // The provider down: the job fails and waits to retry.
    settings::set(
        &app.state,
        s,
        &ShippingSettingsForm {
            provider: "easypost".into(),
            api_base: "http://127.0.0.1:9/".into(),
            api_key: EASYPOST_KEY.into(),
            webhook_secret: EASYPOST_SECRET.into(),
        },
    )
    .await
    .unwrap();
    let o = shipped(&app, &ws, "USPS", "9400111202555842332670").await;
    app.run_jobs().await;
    let j = System::new("tests read the queue")
        .find::<job::Entity>()
        .filter(job::Column::Kind.eq(tracking::START_JOB))
        .filter(job::Column::Payload.contains(format!("\"order_id\":{}", o.id)))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(j.status, "pending", "{j:?}");
    assert_eq!(j.attempts, 1);
    assert!(j
        .last_error
        .unwrap_or_default()
        .contains("could not be reached"));
    app.finish().await;
}

backend_tests!(
    easypost_tracks_through_signed_webhooks_and_polls,
    shipengine_webhooks_verify_with_its_published_keys,
    refusals_land_on_the_timeline_and_outages_retry,
);
