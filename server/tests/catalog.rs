//! The catalog in the admin app (issue 13 point 4): products save whole with
//! their variants, every rule checked before anything is written (unique
//! address and SKUs, prices with at most two decimals, stock bounds, no two
//! variants alike); the storefront shows what is on sale; categories come
//! and go without losing products; only owners and admins change it; other
//! workspaces see none of it. Both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::serverfns::catalog::{
    DeleteCatalogCategory, GetCatalogProduct, ListCatalog, SaveCatalogCategory, SaveCatalogProduct,
};
use app::services::catalog;
use app::services::context::RequestMeta;
use app::services::ServiceError;
use app::types::{CategoryForm, ProductEdit, VariantEdit};
use axum::http::StatusCode;
use common::fns::path;
use common::shop::{customer_of, place, stock};
use common::{add_member, workspace, Backend, TestApp};
use serde_json::json;

fn variant(sku: &str, size: &str, price: &str, stock: i32) -> VariantEdit {
    VariantEdit {
        id: None,
        sku: sku.into(),
        size: size.into(),
        colour: "Moss".into(),
        price: price.into(),
        stock,
    }
}

fn tent(variants: Vec<VariantEdit>) -> ProductEdit {
    ProductEdit {
        name: "Ridge Tent".into(),
        status: "active".into(),
        description: "Two people, three seasons.".into(),
        variants,
        ..Default::default()
    }
}

fn invalid(r: Result<ProductEdit, ServiceError>, field: &str, words: &str) {
    match r {
        Err(ServiceError::Invalid { field: f, message }) => {
            assert_eq!(f, Some(field), "{message}");
            assert!(message.contains(words), "{message}");
        }
        other => panic!("{field}: {other:?}"),
    }
}

async fn catalog_edits_are_checked_and_stay_in_the_workspace(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut ws = workspace(&app, "owner@shop.test", "Shop").await;
    let meta = RequestMeta::default();
    let save = |p: ProductEdit| {
        let (state, actor) = (app.state.clone(), ws.actor.clone());
        async move { catalog::save(&state, &actor, &p, &RequestMeta::default()).await }
    };

    // Each rule, before anything is written.
    invalid(save(tent(vec![])).await, "variants", "at least one variant");
    invalid(
        save(tent(vec![variant("T-1", "S", "49.999", 1)])).await,
        "variants",
        "not a price",
    );
    invalid(
        save(tent(vec![variant("T-1", "S", "abc", 1)])).await,
        "variants",
        "not a price",
    );
    invalid(
        save(tent(vec![variant("T 1", "S", "49", 1)])).await,
        "variants",
        "SKU",
    );
    invalid(
        save(tent(vec![variant("T-1", "S", "49", -1)])).await,
        "variants",
        "stock",
    );
    invalid(
        save(tent(vec![
            variant("T-1", "S", "49", 1),
            variant("t-1", "M", "49", 1),
        ]))
        .await,
        "variants",
        "twice",
    );
    invalid(
        save(tent(vec![
            variant("T-1", "S", "49", 1),
            variant("T-2", "s", "49", 1),
        ]))
        .await,
        "variants",
        "Two variants",
    );
    let mut no_name = tent(vec![variant("T-1", "S", "49", 1)]);
    no_name.name = "  ".into();
    invalid(save(no_name).await, "name", "name");
    let mut bad_img = tent(vec![variant("T-1", "S", "49", 1)]);
    bad_img.images = "javascript:alert(1)".into();
    invalid(save(bad_img).await, "images", "image address");
    let none = catalog::list(&app.state, &ws.actor, "", None, "", 1)
        .await
        .unwrap();
    assert_eq!(none.total, 0, "nothing was written");

    // A category, then the product in it.
    let cats = catalog::save_category(
        &app.state,
        &ws.actor,
        &CategoryForm {
            id: None,
            name: "Tents & Shelters".into(),
            slug: String::new(),
            position: 0,
        },
        &meta,
    )
    .await
    .unwrap();
    assert_eq!(cats[0].slug, "tents-shelters");
    let mut p = tent(vec![
        variant("tent-s", "S", "49,9", 3),
        variant("TENT-L", "L", "59.90", 0),
    ]);
    p.category_id = Some(cats[0].id);
    let saved = save(p).await.unwrap();
    assert_eq!(saved.slug, "ridge-tent");
    assert_eq!(saved.variants[0].sku, "TENT-S", "SKUs are kept upper case");
    assert_eq!(saved.variants[0].price, "49.90");
    assert!(saved.url.ends_with("/p/ridge-tent"));

    // The storefront shows it, with both variants and the price.
    let store = saved
        .url
        .split("/store/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let page = app
        .client()
        .get(&format!("/store/{store}/p/ridge-tent"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("€49.90"), "{}", page.body);
    assert!(
        page.body.contains("TENT-L") || page.body.contains("L · Moss"),
        "{}",
        page.body
    );

    // Edit: price, stock, a variant removed and one added; an order keeps its lines.
    let ann = customer_of(&app, &ws, "ann@example.com").await;
    let order = place(&app, ws.scope, ann, &[(saved.variants[0].id.unwrap(), 1)])
        .await
        .unwrap();
    let mut edit = saved.clone();
    edit.variants[0].price = "45".into();
    edit.variants[0].stock = 10;
    edit.variants.remove(1);
    edit.variants.push(variant("TENT-XL", "XL", "65.00", 2));
    let after = save(edit).await.unwrap();
    assert_eq!(after.variants.len(), 2);
    assert_eq!(after.variants[0].price, "45.00");
    assert_eq!(
        stock(&app, ws.scope, after.variants[0].id.unwrap()).await,
        10
    );
    let o = app::services::orders::find_order(&app.state.db, ws.scope, &order.number, None)
        .await
        .unwrap();
    let d = app::services::orders::detail(&app.state.db, ws.scope, &o)
        .await
        .unwrap();
    assert_eq!(
        d.lines[0].unit_price_minor, 4_990,
        "the order keeps its price"
    );

    // Address and SKUs belong to one product.
    let mut twin = tent(vec![variant("TENT-XL", "S", "10", 1)]);
    twin.name = "Other Tent".into();
    match save(twin.clone()).await {
        Err(ServiceError::Conflict { message, .. }) => {
            assert!(message.contains("TENT-XL"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    twin.variants[0].sku = "OTHER-1".into();
    twin.slug = "ridge-tent".into();
    match save(twin).await {
        Err(ServiceError::Conflict { message, .. }) => {
            assert!(message.contains("Ridge Tent"), "{message}")
        }
        other => panic!("{other:?}"),
    }

    // Search by name or SKU; a draft leaves the store.
    let hits = catalog::list(&app.state, &ws.actor, "xl", None, "", 1)
        .await
        .unwrap();
    assert_eq!(hits.total, 1);
    assert_eq!(hits.rows[0].stock, 12);
    assert_eq!(hits.rows[0].price_from_minor, Some(4_500));
    let mut draft = after.clone();
    draft.status = "draft".into();
    save(draft).await.unwrap();
    let gone = app
        .client()
        .get(&format!("/store/{store}/p/ridge-tent"))
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);

    // Removing a category keeps its products.
    let cats = catalog::delete_category(&app.state, &ws.actor, cats[0].id, &meta)
        .await
        .unwrap();
    assert!(cats.is_empty());
    let kept = catalog::get(&app.state, &ws.actor, after.id.unwrap())
        .await
        .unwrap();
    assert_eq!(kept.category_id, None);

    // Through the server functions: agents look, only owners and admins change.
    let mut agent = add_member(&app, &mut ws.owner, "agent@shop.test", "agent").await;
    let r = agent
        .call(
            path::<ListCatalog>(),
            &[
                ("query", ""),
                ("category", "0"),
                ("status", ""),
                ("page", "1"),
            ],
        )
        .await;
    assert_eq!(r.json()["total"], 1, "{}", r.body);
    assert_eq!(r.json()["can_manage"], false);
    let form = json!({"form": {"name": "Mug", "status": "active", "variants": [{"sku": "MUG", "price": "9.50", "stock": 3}]}});
    let r = agent.call_json(path::<SaveCatalogProduct>(), &form).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = ws
        .owner
        .call_json(path::<SaveCatalogProduct>(), &form)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mug = r.json()["id"].as_i64().unwrap().to_string();
    let r = ws
        .owner
        .call_json(
            path::<SaveCatalogCategory>(),
            &json!({"form": {"name": "Kitchen"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let kitchen = r.json()[0]["id"].as_i64().unwrap().to_string();

    // Another workspace sees none of it and changes nothing.
    let mut other = workspace(&app, "owner@other.test", "Other").await;
    let r = other
        .owner
        .call(
            path::<ListCatalog>(),
            &[
                ("query", ""),
                ("category", "0"),
                ("status", ""),
                ("page", "1"),
            ],
        )
        .await;
    assert_eq!(r.json()["total"], 0);
    let r = other
        .owner
        .call(path::<GetCatalogProduct>(), &[("id", mug.as_str())])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let theft = json!({"form": {"id": mug.parse::<i32>().unwrap(), "name": "Mine", "status": "active", "variants": [{"sku": "X", "price": "1", "stock": 1}]}});
    let r = other
        .owner
        .call_json(path::<SaveCatalogProduct>(), &theft)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = other
        .owner
        .call(path::<DeleteCatalogCategory>(), &[("id", kitchen.as_str())])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let still = catalog::get(&app.state, &ws.actor, mug.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(still.name, "Mug");
    app.finish().await;
}

backend_tests!(catalog_edits_are_checked_and_stay_in_the_workspace);
