//! The storefront's own pages and shopper accounts (issue 13 point 1):
//! pages written in the admin app are served, linked in the footer and
//! listed in the sitemap, and only when written; a shopper signs in with a
//! single-use magic link (the same answer whether or not the store knows
//! the address, limited per address) and sees only their own orders.
//! Workspaces kept apart. Both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::services::context::RequestMeta;
use app::services::tenancy::System;
use app::services::{store_pages, ServiceError};
use app::types::StorePageForm;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::shop::{customer_of, place, product};
use common::{form, latest_link_token, workspace, Backend, TestApp};
use entity::email;
use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};

async fn slug_of(app: &TestApp, s: app::services::tenancy::Scoped) -> String {
    app::services::kb::structure::default_brand(&app.state.db, s)
        .await
        .unwrap()
        .slug
}

fn page(slug: &str, title: &str, body: &str) -> StorePageForm {
    StorePageForm {
        slug: slug.into(),
        title: title.into(),
        body: body.into(),
    }
}

async fn pages_are_written_in_the_admin_and_served_when_published(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ws = workspace(&app, "owner@shop.test", "Shop").await;
    let other = workspace(&app, "owner@other.test", "Other").await;
    let slug = slug_of(&app, ws.scope).await;
    let meta = RequestMeta::default();
    for (f, field) in [
        (page("about", "About", "x"), "slug"),
        (page("privacy", " ", "x"), "title"),
        (page("privacy", "Privacy", &"x".repeat(20_001)), "body"),
    ] {
        match store_pages::save(&app.state, &ws.actor, &f, &meta).await {
            Err(ServiceError::Invalid { field: got, .. }) => assert_eq!(got, Some(field)),
            other => panic!("{field}: {other:?}"),
        }
    }
    let mut c = app.client();
    assert_eq!(
        c.get(&format!("/store/{slug}/privacy")).await.status,
        StatusCode::NOT_FOUND
    );
    let list = store_pages::save(
        &app.state,
        &ws.actor,
        &page(
            "privacy",
            "Privacy policy",
            "We keep what we need to ship <your> order.\n\n## What we keep\n- Your address\n- Your orders",
        ),
        &meta,
    )
    .await
    .unwrap();
    let privacy = list.iter().find(|p| p.slug == "privacy").unwrap();
    assert!(privacy.published);
    assert!(!list.iter().find(|p| p.slug == "terms").unwrap().published);

    let r = c.get(&format!("/store/{slug}/privacy")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("<h2>What we keep</h2>"), "{}", r.body);
    assert!(r.body.contains("<li>Your address</li>"));
    assert!(r.body.contains("&lt;your&gt;"), "text is escaped");
    assert!(
        r.body.contains("rel=\"canonical\" href=\"http"),
        "{}",
        r.body
    );
    let home = c.get(&format!("/store/{slug}")).await;
    assert!(
        home.body
            .contains(&format!("href=\"/store/{slug}/privacy\"")),
        "footer link"
    );
    assert!(!home.body.contains(&format!("/store/{slug}/terms\"")));
    let map = c.get(&format!("/store/{slug}/sitemap.xml")).await;
    assert!(
        map.body.contains(&format!("/store/{slug}/privacy</loc>")),
        "{}",
        map.body
    );
    assert_eq!(
        c.get(&format!("/store/{slug}/terms")).await.status,
        StatusCode::NOT_FOUND
    );

    // Another store has its own pages.
    let other_slug = slug_of(&app, other.scope).await;
    assert_eq!(
        c.get(&format!("/store/{other_slug}/privacy")).await.status,
        StatusCode::NOT_FOUND
    );
    let theirs = store_pages::list(&app.state, &other.actor).await.unwrap();
    assert!(theirs.iter().all(|p| !p.published && p.body.is_empty()));

    // An empty text takes the page down.
    store_pages::save(
        &app.state,
        &ws.actor,
        &page("privacy", "Privacy policy", "  "),
        &meta,
    )
    .await
    .unwrap();
    assert_eq!(
        c.get(&format!("/store/{slug}/privacy")).await.status,
        StatusCode::NOT_FOUND
    );
    app.finish().await;
}

fn post(path: &str, pairs: &[(&str, &str)]) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form(pairs)))
        .unwrap()
}

async fn outbox_to(app: &TestApp, to: &str) -> u64 {
    System::new("tests read the outbox")
        .find::<email::Entity>()
        .filter(email::Column::ToAddress.eq(to))
        .filter(email::Column::Kind.eq("shopper_sign_in"))
        .count(&app.state.db)
        .await
        .unwrap()
}

async fn shoppers_sign_in_by_magic_link_and_see_only_their_orders(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ws = workspace(&app, "owner@shop.test", "Shop").await;
    let other = workspace(&app, "owner@other.test", "Other").await;
    let s = ws.scope;
    let slug = slug_of(&app, s).await;
    let other_slug = slug_of(&app, other.scope).await;
    let ann = customer_of(&app, &ws, "ann@example.com").await;
    let ben = customer_of(&app, &ws, "ben@example.com").await;
    let mug = product(&app, s, "Mug", &[("MUG", 1_850, 10)]).await;
    let anns = place(&app, s, ann, &[(mug[0], 1)]).await.unwrap();
    let bens = place(&app, s, ben, &[(mug[0], 2)]).await.unwrap();
    let base = format!("/store/{slug}/account");
    let mut shopper = app.client();

    let r = shopper.get(&base).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("data-testid=\"sign-in-form\""));
    let r = shopper
        .send(post(
            &format!("{base}/sign-in"),
            &[("email", "not an address")],
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("valid email address"), "{}", r.body);

    // Unknown and known addresses read the same; only the known one gets mail.
    let r = shopper
        .send(post(
            &format!("{base}/sign-in"),
            &[("email", "nobody@example.com")],
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("data-testid=\"link-sent\""));
    assert_eq!(outbox_to(&app, "nobody@example.com").await, 0);
    let r = shopper
        .send(post(
            &format!("{base}/sign-in"),
            &[("email", "Ann@Example.com")],
        ))
        .await;
    assert!(r.body.contains("data-testid=\"link-sent\""));
    assert_eq!(outbox_to(&app, "ann@example.com").await, 1);
    let token = latest_link_token(&app, "ann@example.com", "verify?token=").await;

    // Opening the link signs nobody in; another store does not take it.
    let r = shopper.get(&format!("{base}/verify?token={token}")).await;
    assert!(r.body.contains("data-testid=\"use-link-form\""));
    assert!(shopper.get(&base).await.body.contains("sign-in-form"));
    let r = shopper
        .send(post(
            &format!("/store/{other_slug}/account/verify"),
            &[("token", &token)],
        ))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = shopper
        .send(post(&format!("{base}/verify"), &[("token", &token)]))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let cookie = r
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains(&format!("Path=/store/{slug}")),
        "{cookie}"
    );

    // The account lists Ann's order (with its private link), not Ben's.
    let r = shopper.get(&base).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("ann@example.com"), "{}", r.body);
    assert!(r.body.contains(&format!("data-number=\"{}\"", anns.number)));
    assert!(!r.body.contains(&format!("data-number=\"{}\"", bens.number)));
    let key = app::services::orders::find_order(&app.state.db, s, &anns.number, None)
        .await
        .unwrap()
        .access_key
        .unwrap();
    assert!(r
        .body
        .contains(&format!("/orders/{}?key={key}", anns.number)));
    assert_eq!(
        r.headers.get(header::CACHE_CONTROL).unwrap(),
        "private, no-store"
    );
    // The session does not open another store's account.
    let session = shopper.cookie.clone().unwrap();
    let mut elsewhere = app.client();
    elsewhere.cookie = Some(session.clone());
    assert!(elsewhere
        .get(&format!("/store/{other_slug}/account"))
        .await
        .body
        .contains("sign-in-form"));

    // A link works once.
    let mut again = app.client();
    let r = again
        .send(post(&format!("{base}/verify"), &[("token", &token)]))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("already used"), "{}", r.body);

    // Signing out ends the session (the old cookie no longer opens it).
    let r = shopper.send(post(&format!("{base}/sign-out"), &[])).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(shopper.cookie.is_none());
    again.cookie = Some(session);
    assert!(again.get(&base).await.body.contains("sign-in-form"));

    // Asking again and again is limited per address.
    for _ in 0..4 {
        shopper
            .send(post(
                &format!("{base}/sign-in"),
                &[("email", "ann@example.com")],
            ))
            .await;
    }
    let r = shopper
        .send(post(
            &format!("{base}/sign-in"),
            &[("email", "ann@example.com")],
        ))
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    app.finish().await;
}

backend_tests!(
    pages_are_written_in_the_admin_and_served_when_published,
    shoppers_sign_in_by_magic_link_and_see_only_their_orders,
);
