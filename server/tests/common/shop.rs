//! A shop for the commerce tests: products with variants, a customer, an
//! address, a card, orders placed through the service.

use super::TestApp;
use app::services::channels::inbound::{self, InboundMessage, Sender};
use app::services::commerce::{self, NewLine, Payment};
use app::services::tenancy::Scoped;
use app::services::ServiceError;
use app::types::{Address, Channel, IdentifierKind};
use chrono::Utc;
use entity::{customer, product, product_variant};
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, Set};

/// The customer writing from `email` (created by an inbound email).
pub async fn customer_of(app: &TestApp, ws: &super::Ws, email: &str) -> i32 {
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
pub async fn product(
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

/// Ann Example in Berlin.
pub fn address() -> Address {
    Address {
        name: "Ann Example".into(),
        line1: "Hauptstr. 1".into(),
        line2: String::new(),
        postcode: "10115".into(),
        city: "Berlin".into(),
        country: "DE".into(),
    }
}

/// A Visa card, not a saved method.
pub fn card() -> Payment {
    Payment {
        kind: "card".into(),
        label: "Visa ending 4242".into(),
        method_id: None,
    }
}

/// A variant's stock now.
pub async fn stock(app: &TestApp, scope: Scoped, id: i32) -> i32 {
    scope
        .find::<product_variant::Entity>()
        .filter(product_variant::Column::Id.eq(id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .stock
}

/// Places an order of (variant, quantity) lines.
pub async fn place(
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
