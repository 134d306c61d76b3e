//! Demo store: the outdoor shop's catalog (categories, 32 products with sizes
//! and colours, prices and stock) and orders in every state for the demo
//! customers who wrote to support, so the inbox, segments and campaigns have
//! real orders to show.

use app::services::commerce::{self, NewLine, Payment};
use app::services::tenancy::Scoped;
use app::services::{now, AppState, ServiceResult};
use app::types::{Address, OrderStatus};
use entity::{
    customer, order, payment_method, product, product_category, product_variant, store_page,
};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, Set};

/// Category, name, price in euro cents, sizes, colours, description.
type DemoProduct = (
    &'static str,
    &'static str,
    i64,
    &'static [&'static str],
    &'static [&'static str],
    &'static str,
);

/// A demo order: the customer's address, (product, quantity) lines, the moves
/// after placing it.
type DemoOrder = (
    &'static str,
    &'static [(&'static str, i32)],
    &'static [OrderStatus],
);

const CATEGORIES: &[(&str, &str)] = &[
    ("Jackets", "jackets"),
    ("Packs", "packs"),
    ("Footwear", "footwear"),
    ("Tents", "tents"),
    ("Sleeping", "sleeping"),
    ("Accessories", "accessories"),
];

const APPAREL: &[&str] = &["S", "M", "L", "XL"];
const SHOES: &[&str] = &["40", "41", "42", "43", "44"];
const ONE: &[&str] = &["One size"];

const PRODUCTS: &[DemoProduct] = &[
    ("jackets", "Ridge Shell Jacket", 18_900, APPAREL, &["Moss", "Slate"], "A three-layer waterproof shell for wet ridgelines: taped seams, pit zips, a helmet-ready hood."),
    ("jackets", "Summit Down Jacket", 24_900, APPAREL, &["Black", "Rust"], "800-fill responsibly sourced down for cold summits; packs into its own pocket."),
    ("jackets", "Trail Wind Shell", 8_900, APPAREL, &["Sky", "Sand"], "A 90-gram wind shell that lives in a hip pocket."),
    ("jackets", "Alpine Fleece", 7_900, APPAREL, &["Heather", "Navy"], "Grid fleece that breathes on the climb and warms at the top."),
    ("jackets", "Storm Insulated Parka", 29_900, APPAREL, &["Black"], "Synthetic insulation that stays warm when wet, with a storm flap."),
    ("jackets", "Drizzle Rain Jacket", 11_900, APPAREL, &["Yellow", "Moss"], "Two-layer rain jacket for everyday showers."),
    ("packs", "Summit 40L Pack", 14_900, &["S/M", "M/L"], &["Orange", "Grey"], "A 40-litre alpine pack with a removable lid and ice-axe loops."),
    ("packs", "Daytrip 22L Pack", 7_900, ONE, &["Teal", "Black"], "A light day pack with a hydration sleeve and hip-belt pockets."),
    ("packs", "Trek 65L Pack", 23_900, &["S/M", "M/L"], &["Graphite"], "For a week out: adjustable back length, sleeping-bag compartment."),
    ("packs", "Hip Pack 3L", 3_900, ONE, &["Black", "Coral"], "Phone, snacks and keys, close at hand."),
    ("packs", "Dry Bag 20L", 2_900, ONE, &["Blue", "Yellow"], "Roll-top, welded seams, keeps a sleeping bag dry."),
    ("footwear", "Trail Runner GTX", 13_900, SHOES, &["Blue", "Black"], "A waterproof trail runner with a grippy lug sole."),
    ("footwear", "Ridge Mid Boot", 17_900, SHOES, &["Brown"], "A mid-height hiking boot with a supportive shank."),
    ("footwear", "Camp Slide", 3_900, SHOES, &["Black", "Olive"], "Slides for the tent door and the hut."),
    ("footwear", "Merino Hiking Socks", 1_900, &["S", "M", "L"], &["Grey", "Navy"], "Cushioned merino socks that do not itch."),
    ("footwear", "Gaiters", 3_400, &["S/M", "L/XL"], &["Black"], "Keeps snow and scree out of boots."),
    ("tents", "Ridgeline 2 Tent", 34_900, ONE, &["Green"], "A freestanding two-person tent at 1.6 kg."),
    ("tents", "Basecamp 4 Tent", 49_900, ONE, &["Orange"], "Four people, two vestibules, stands up to wind."),
    ("tents", "Trekking Tarp", 8_900, ONE, &["Grey"], "A 3 × 3 m tarp for fast and light camps."),
    ("tents", "Footprint 2", 3_900, ONE, &["Grey"], "A groundsheet cut to the Ridgeline 2."),
    ("tents", "Tent Pole Set", 4_900, &["2P", "4P"], &["Silver"], "Replacement aluminium poles."),
    ("sleeping", "Alpine 0° Sleeping Bag", 27_900, &["Regular", "Long"], &["Red"], "Down bag rated to 0 °C comfort."),
    ("sleeping", "Summer Quilt", 15_900, &["Regular", "Long"], &["Blue"], "A light quilt for warm nights."),
    ("sleeping", "Air Pad Insulated", 11_900, &["Regular", "Wide"], &["Yellow"], "R-value 4.2, packs to a bottle's size."),
    ("sleeping", "Foam Sit Pad", 1_900, ONE, &["Green"], "Folds into the pack's back panel."),
    ("sleeping", "Camp Pillow", 2_900, ONE, &["Grey"], "Inflatable, with a brushed cover."),
    ("accessories", "Titanium Mug", 3_400, ONE, &["Titanium"], "450 ml, 70 g, doubles as a pot."),
    ("accessories", "Headlamp 400", 4_900, ONE, &["Black", "Orange"], "400 lumens, rechargeable, red night mode."),
    ("accessories", "Trekking Poles", 8_900, &["Adjustable"], &["Black"], "Carbon poles with cork grips."),
    ("accessories", "Beanie", 2_400, ONE, &["Mustard", "Navy"], "Merino-lined knit beanie."),
    ("accessories", "Softshell Gloves", 3_900, &["S", "M", "L"], &["Black"], "Wind-resistant gloves that work touch screens."),
    ("accessories", "First Aid Kit", 2_900, ONE, &["Red"], "Blister care, bandages and a foil blanket."),
];

fn slug(name: &str) -> String {
    let mut out = String::new();
    for ch in name.to_lowercase().chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

/// Seeds the catalog and the demo customers' orders.
///
/// # Errors
/// Service errors.
pub async fn seed_store(state: &AppState, scope: Scoped) -> ServiceResult<()> {
    let db = &state.db;
    let t = now();
    let mut categories = std::collections::BTreeMap::new();
    for (i, (name, key)) in CATEGORIES.iter().enumerate() {
        let c = product_category::ActiveModel {
            workspace_id: Set(scope.workspace_id()),
            name: Set((*name).to_owned()),
            slug: Set((*key).to_owned()),
            position: Set(i32::try_from(i).unwrap_or_default()),
            created_at: Set(t),
            ..Default::default()
        }
        .insert(db)
        .await?;
        categories.insert(*key, c.id);
    }
    // The first variant of each product, by name (orders below use them).
    let mut first = std::collections::BTreeMap::new();
    for (n, (cat, name, price, sizes, colours, description)) in PRODUCTS.iter().enumerate() {
        let p = product::ActiveModel {
            workspace_id: Set(scope.workspace_id()),
            category_id: Set(categories.get(cat).copied()),
            name: Set((*name).to_owned()),
            slug: Set(slug(name)),
            description: Set((*description).to_owned()),
            images: Set("[]".to_owned()),
            status: Set("active".to_owned()),
            created_at: Set(t),
            updated_at: Set(t),
            ..Default::default()
        }
        .insert(db)
        .await?;
        let mut position = 0;
        for size in *sizes {
            for colour in *colours {
                let options = serde_json::json!({ "size": size, "colour": colour });
                // Some variants sold out, so stock rules show.
                let spread =
                    i32::try_from((n * 7 + usize::try_from(position).unwrap_or(0) * 5) % 23)
                        .unwrap_or_default();
                // Never the first (the demo orders below buy it).
                let stock = match (position, spread) {
                    (0, s) => s + 5,
                    (_, s) if s < 3 => 0,
                    (_, s) => s,
                };
                let v = product_variant::ActiveModel {
                    workspace_id: Set(scope.workspace_id()),
                    product_id: Set(p.id),
                    sku: Set(format!(
                        "{}-{}-{}",
                        slug(name).to_uppercase(),
                        slug(size).to_uppercase(),
                        slug(colour).to_uppercase()
                    )),
                    options: Set(options.to_string()),
                    price_minor: Set(*price),
                    currency: Set("eur".to_owned()),
                    stock: Set(stock),
                    position: Set(position),
                    ..Default::default()
                }
                .insert(db)
                .await?;
                first.entry(*name).or_insert(v.id);
                position += 1;
            }
        }
    }
    // One order in each state the store can set today, for the customers of
    // the demo conversations (by their address).
    let plan: &[DemoOrder] = &[
        (
            "ana.souza@example.com",
            &[("Tent Pole Set", 1), ("Ridgeline 2 Tent", 1)],
            &[
                OrderStatus::Paid,
                OrderStatus::Fulfilled,
                OrderStatus::Shipped,
                OrderStatus::Delivered,
            ],
        ),
        ("ana.souza@example.com", &[("Merino Hiking Socks", 3)], &[]),
        (
            "ben.carter@example.com",
            &[("Ridge Shell Jacket", 1)],
            &[OrderStatus::Paid],
        ),
        (
            "chloe.martin@example.fr",
            &[("Summit 40L Pack", 1), ("Headlamp 400", 1)],
            &[OrderStatus::Paid, OrderStatus::Fulfilled],
        ),
        (
            "dev.patel@example.in",
            &[("Trail Runner GTX", 1)],
            &[
                OrderStatus::Paid,
                OrderStatus::Fulfilled,
                OrderStatus::Shipped,
            ],
        ),
        (
            "emma.schmidt@example.de",
            &[("Alpine 0° Sleeping Bag", 1), ("Air Pad Insulated", 1)],
            &[
                OrderStatus::Paid,
                OrderStatus::Fulfilled,
                OrderStatus::Shipped,
                OrderStatus::Delivered,
            ],
        ),
        (
            "farah@example.com",
            &[("Beanie", 2)],
            &[OrderStatus::Cancelled],
        ),
        (
            "gus.olsen@example.no",
            &[("Storm Insulated Parka", 1)],
            &[OrderStatus::Paid, OrderStatus::Refunded],
        ),
        (
            "hana.sato@example.jp",
            &[("Titanium Mug", 2), ("Daytrip 22L Pack", 1)],
            &[
                OrderStatus::Paid,
                OrderStatus::Fulfilled,
                OrderStatus::Shipped,
                OrderStatus::Delivered,
            ],
        ),
    ];
    let mut wallets = std::collections::BTreeMap::new();
    for (email, lines, moves) in plan {
        let Some(c) = scope
            .find::<customer::Entity>()
            .filter(customer::Column::Email.eq(*email))
            .one(db)
            .await?
        else {
            continue;
        };
        let lines: Vec<NewLine> = lines
            .iter()
            .filter_map(|(name, quantity)| {
                first.get(name).map(|&variant_id| NewLine {
                    variant_id,
                    quantity: *quantity,
                })
            })
            .collect();
        let address = Address {
            name: c.name.clone(),
            line1: "12 Demo Street".into(),
            line2: String::new(),
            postcode: "10115".into(),
            city: "Berlin".into(),
            country: "DE".into(),
        };
        if !wallets.contains_key(*email) {
            let card = wallet(state, scope, &c, &address).await?;
            wallets.insert(*email, card);
        }
        let payment = Payment {
            kind: "card".into(),
            label: "Visa ending 4242".into(),
            method_id: wallets.get(*email).copied(),
        };
        let o = commerce::place(state, scope, c.id, &lines, &address, &payment, &c.name).await?;
        for to in *moves {
            let who = match to {
                OrderStatus::Paid => "Stripe",
                OrderStatus::Cancelled => c.name.as_str(),
                _ => "Maria Alvarez",
            };
            commerce::move_to(state, scope, o.id, *to, "", who).await?;
            if *to == OrderStatus::Shipped {
                // Shipped by hand before a tracking provider was set up.
                scope
                    .update_many::<order::Entity>()
                    .col_expr(order::Column::Carrier, Expr::value("DHL"))
                    .col_expr(
                        order::Column::TrackingNumber,
                        Expr::value(format!("JD0146000{:04}", o.id)),
                    )
                    .filter(order::Column::Id.eq(o.id))
                    .exec(db)
                    .await?;
            }
        }
    }
    pages(state, scope).await
}

/// The demo store's pages (Settings → Store → Store pages).
async fn pages(state: &AppState, scope: Scoped) -> ServiceResult<()> {
    for (slug, title, body) in PAGES {
        store_page::ActiveModel {
            workspace_id: Set(scope.workspace_id()),
            slug: Set((*slug).to_owned()),
            title: Set((*title).to_owned()),
            body: Set((*body).to_owned()),
            updated_by: Set("Maria Alvarez".to_owned()),
            updated_at: Set(now()),
            ..Default::default()
        }
        .insert(&state.db)
        .await?;
    }
    Ok(())
}

const PAGES: &[(&str, &str, &str)] = &[
    (
        "privacy",
        "Privacy policy",
        "Acme Outdoor keeps what it needs to sell you gear, ship it and answer your questions, and nothing else.\n\n## What we keep\n- Your name, email and delivery address, to ship your orders.\n- Your orders and conversations with our support team, so we can help you later.\n- How you pay is handled by Stripe: we never see your card number.\n\n## How long\nOrders are kept for ten years (tax law); support conversations for three years.\n\n## Your rights\nAsk for a copy of your data, or for it to be deleted, by writing to us through the chat or at privacy@acme-outdoor.example.",
    ),
    (
        "terms",
        "Terms of sale",
        "These terms apply to orders placed in the Acme Outdoor store.\n\n## Prices and payment\nPrices are in euros and include VAT. You pay when you order, by card or wallet through Stripe.\n\n## Delivery\nWe ship within two working days. Delivery is free from €50; below that it costs €4.95.\n\n## Returns\nYou may return unused items within 30 days of delivery for a refund to the original payment method or to a gift card.\n\n## Warranty\nEverything we sell carries the two-year legal warranty.",
    ),
    (
        "contact",
        "Contact us",
        "The quickest way to reach us is the chat at the bottom of every page: a person (or our assistant) answers in minutes during opening hours.\n\n## Opening hours\nMonday to Friday, 9:00–18:00 (Berlin time).\n\n## Post\nAcme Outdoor, 12 Demo Street, 10115 Berlin, Germany",
    ),
    (
        "faq",
        "Frequently asked questions",
        "## Where is my order?\nSign in under “Your orders” with the email you ordered with: each order shows its status and, once shipped, its tracking.\n\n## Can I change my address after ordering?\nYes, until the order is packed. Write to us in the chat with your order number.\n\n## How do returns work?\nWithin 30 days of delivery, tell us in the chat which items you are returning; we refund them once they are back.\n\n## Do you ship outside the EU?\nNot yet.",
    ),
];

/// A demo customer's default address and saved methods: a card (the
/// default), a PayPal account and a gift card with a balance. Returns the
/// card's id.
async fn wallet(
    state: &AppState,
    scope: Scoped,
    c: &customer::Model,
    address: &Address,
) -> ServiceResult<i32> {
    let db = &state.db;
    let mut row: customer::ActiveModel = c.clone().into();
    row.default_address = Set(Some(serde_json::to_string(address).unwrap_or_default()));
    row.update(db).await?;
    let local = c
        .email
        .as_deref()
        .and_then(|e| e.split('@').next())
        .unwrap_or("customer");
    let methods: [(&str, String, i64, bool); 3] = [
        ("card", "Visa ending 4242".into(), 0, true),
        ("wallet", format!("PayPal {local}@example.com"), 0, false),
        (
            "gift_card",
            format!("Gift card …{:04}", 7_000 + c.id % 1_000),
            2_500,
            false,
        ),
    ];
    let mut card = 0;
    for (kind, label, balance, is_default) in methods {
        let m = payment_method::ActiveModel {
            workspace_id: Set(scope.workspace_id()),
            customer_id: Set(c.id),
            kind: Set(kind.to_owned()),
            label: Set(label),
            balance_minor: Set(balance),
            currency: Set("eur".into()),
            is_default: Set(is_default),
            created_at: Set(now()),
            ..Default::default()
        }
        .insert(db)
        .await?;
        if kind == "card" {
            card = m.id;
        }
    }
    Ok(card)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_is_big_enough_and_slugs_read_well() {
        assert!(PRODUCTS.len() >= 30);
        assert_eq!(slug("Alpine 0° Sleeping Bag"), "alpine-0-sleeping-bag");
        let slugs: std::collections::BTreeSet<String> =
            PRODUCTS.iter().map(|p| slug(p.1)).collect();
        assert_eq!(slugs.len(), PRODUCTS.len());
    }
}
