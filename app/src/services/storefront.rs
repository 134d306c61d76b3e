//! The storefront (SPEC C11.1): what the shopper's pages show, read for one
//! brand (`/store/{brand}`, the brand's workspace's catalog).
//!
//! Read-only and public: only `active` products are shown, and a product, a
//! category or a cart line is looked up inside the brand's workspace, so an id
//! or slug of another workspace reads as "not found". The cart lives in the
//! shopper's cookie ([`CartCookie`]); [`cart`] checks each line against the
//! catalog and its stock now, and prices it here (minor units), never from
//! the cookie.
//!
//! Listing reads a page of products by name (`ix_products_listing`), then the
//! variants of just those products, so a page costs the same at 30 products
//! or 10,000.

use super::commerce::variant_label;
use super::kb::structure::global_brand_by_slug;
use super::tenancy::Scoped;
use super::{AppState, ServiceError, ServiceResult};
use crate::types::{
    shipping_for, Address, CartCookie, CartLineView, CartView, OrderStatus, ProductCard,
    StoreCategoryLink, StoreCategoryView, StoreHomeView, StoreOrderEvent, StoreOrderItem,
    StoreOrderView, StoreProductView, StoreShell, StoreVariant, STORE_PAGE_SIZE,
};
use entity::{
    kb_brand, order, order_event, order_item, product, product_category, product_variant, workspace,
};
use sea_orm::{ColumnTrait, ConnectionTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::BTreeMap;

/// Products of each category on the home page.
const HOME_PER_CATEGORY: u64 = 4;

/// A product on sale.
const ACTIVE: &str = "active";

/// A brand's store: whose catalog, and how it looks.
#[derive(Clone, Debug)]
pub struct Store {
    /// The brand.
    pub brand: kb_brand::Model,
    /// Its workspace.
    pub scope: Scoped,
    /// The workspace's name (when the brand has none).
    pub workspace: String,
}

/// The store of brand `slug`.
///
/// # Errors
/// `NotFound` ("Store"); database errors.
pub async fn store(db: &impl ConnectionTrait, slug: &str) -> ServiceResult<Store> {
    let brand = global_brand_by_slug(db, slug)
        .await?
        .ok_or(ServiceError::NotFound("Store"))?;
    let ws = super::tenancy::global::<workspace::Entity>()
        .filter(workspace::Column::Id.eq(brand.workspace_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Store"))?;
    Ok(Store {
        scope: Scoped::new(brand.workspace_id),
        brand,
        workspace: ws.name,
    })
}

pub(crate) async fn categories(
    db: &impl ConnectionTrait,
    scope: Scoped,
) -> ServiceResult<Vec<product_category::Model>> {
    Ok(scope
        .find::<product_category::Entity>()
        .order_by_asc(product_category::Column::Position)
        .order_by_asc(product_category::Column::Name)
        .all(db)
        .await?)
}

fn link(c: &product_category::Model) -> StoreCategoryLink {
    StoreCategoryLink {
        name: c.name.clone(),
        slug: c.slug.clone(),
    }
}

/// The header, navigation and footer of every store page.
///
/// # Errors
/// Database errors.
pub(crate) async fn shell(
    state: &AppState,
    db: &impl ConnectionTrait,
    s: &Store,
    cats: &[product_category::Model],
    cart: &CartCookie,
) -> ServiceResult<StoreShell> {
    Ok(StoreShell {
        pages: super::store_pages::links(db, s.scope).await?,
        name: if s.brand.name.trim().is_empty() {
            s.workspace.clone()
        } else {
            s.brand.name.clone()
        },
        slug: s.brand.slug.clone(),
        primary_color: s.brand.primary_color.clone(),
        accent_color: s.brand.accent_color.clone(),
        widget_key: s.brand.widget_key.clone(),
        base_url: state.config.base_url().trim_end_matches('/').to_owned(),
        categories: cats.iter().map(link).collect(),
        cart_items: cart.items(),
    })
}

fn first_image(json: &str) -> Option<String> {
    serde_json::from_str::<Vec<String>>(json)
        .ok()
        .and_then(|v| v.into_iter().next())
}

/// Cards for `products`, in their order, priced from their variants.
async fn cards(
    db: &impl ConnectionTrait,
    scope: Scoped,
    products: Vec<product::Model>,
) -> ServiceResult<Vec<ProductCard>> {
    if products.is_empty() {
        return Ok(Vec::new());
    }
    let mut by_product: BTreeMap<i32, Vec<product_variant::Model>> = BTreeMap::new();
    for v in scope
        .find::<product_variant::Entity>()
        .filter(product_variant::Column::ProductId.is_in(products.iter().map(|p| p.id)))
        .all(db)
        .await?
    {
        by_product.entry(v.product_id).or_default().push(v);
    }
    Ok(products
        .into_iter()
        .filter_map(|p| {
            let vs = by_product.get(&p.id)?;
            let low = vs.iter().map(|v| v.price_minor).min()?;
            let high = vs.iter().map(|v| v.price_minor).max()?;
            Some(ProductCard {
                image: first_image(&p.images),
                name: p.name,
                slug: p.slug,
                price_from_minor: low,
                prices_vary: low != high,
                currency: vs[0].currency.clone(),
                stock: vs.iter().map(|v| i64::from(v.stock.max(0))).sum(),
            })
        })
        .collect())
}

fn on_sale(scope: Scoped) -> sea_orm::Select<product::Entity> {
    scope
        .find::<product::Entity>()
        .filter(product::Column::Status.eq(ACTIVE))
}

/// The home page: each category with its first products.
///
/// # Errors
/// `NotFound`; database errors.
pub async fn home(state: &AppState, slug: &str, cart: &CartCookie) -> ServiceResult<StoreHomeView> {
    let db = &state.db;
    let s = store(db, slug).await?;
    let cats = categories(db, s.scope).await?;
    let mut sections = Vec::new();
    for c in &cats {
        let products = on_sale(s.scope)
            .filter(product::Column::CategoryId.eq(c.id))
            .order_by_asc(product::Column::Name)
            .limit(HOME_PER_CATEGORY)
            .all(db)
            .await?;
        let cards = cards(db, s.scope, products).await?;
        if !cards.is_empty() {
            sections.push((link(c), cards));
        }
    }
    Ok(StoreHomeView {
        shell: shell(state, db, &s, &cats, cart).await?,
        sections,
    })
}

/// A category's products, one page (1-based; past the end: the last page).
///
/// # Errors
/// `NotFound`; database errors.
pub async fn category(
    state: &AppState,
    slug: &str,
    category_slug: &str,
    page: u64,
    cart: &CartCookie,
) -> ServiceResult<StoreCategoryView> {
    let db = &state.db;
    let s = store(db, slug).await?;
    let cats = categories(db, s.scope).await?;
    let c = cats
        .iter()
        .find(|c| c.slug == category_slug)
        .ok_or(ServiceError::NotFound("Category"))?;
    let q = on_sale(s.scope)
        .filter(product::Column::CategoryId.eq(c.id))
        .order_by_asc(product::Column::Name)
        .order_by_asc(product::Column::Id);
    let total = q.clone().count(db).await?;
    let pages = total.div_ceil(STORE_PAGE_SIZE).max(1);
    let page = page.clamp(1, pages);
    let products = q
        .offset((page - 1) * STORE_PAGE_SIZE)
        .limit(STORE_PAGE_SIZE)
        .all(db)
        .await?;
    Ok(StoreCategoryView {
        products: cards(db, s.scope, products).await?,
        shell: shell(state, db, &s, &cats, cart).await?,
        category: link(c),
        page,
        pages,
        total,
    })
}

/// A product page.
///
/// # Errors
/// `NotFound` (not the store's, or not on sale); database errors.
pub async fn product(
    state: &AppState,
    slug: &str,
    product_slug: &str,
    cart: &CartCookie,
) -> ServiceResult<StoreProductView> {
    let db = &state.db;
    let s = store(db, slug).await?;
    let p = on_sale(s.scope)
        .filter(product::Column::Slug.eq(product_slug))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Product"))?;
    let variants = s
        .scope
        .find::<product_variant::Entity>()
        .filter(product_variant::Column::ProductId.eq(p.id))
        .order_by_asc(product_variant::Column::Position)
        .order_by_asc(product_variant::Column::Id)
        .all(db)
        .await?;
    if variants.is_empty() {
        return Err(ServiceError::NotFound("Product"));
    }
    let cats = categories(db, s.scope).await?;
    Ok(StoreProductView {
        shell: shell(state, db, &s, &cats, cart).await?,
        category: p
            .category_id
            .and_then(|id| cats.iter().find(|c| c.id == id))
            .map(link),
        name: p.name,
        slug: p.slug,
        description: p.description,
        images: serde_json::from_str(&p.images).unwrap_or_default(),
        currency: variants[0].currency.clone(),
        variants: variants
            .into_iter()
            .map(|v| StoreVariant {
                id: v.id,
                label: variant_label(&v.options),
                sku: v.sku,
                price_minor: v.price_minor,
                stock: v.stock,
            })
            .collect(),
    })
}

/// Whether `variant_id` is on sale in the store (a cart takes nothing else).
///
/// # Errors
/// `NotFound` ("Product"); database errors.
pub async fn check_variant(
    db: &impl ConnectionTrait,
    s: &Store,
    variant_id: i32,
) -> ServiceResult<product_variant::Model> {
    let v = s
        .scope
        .find::<product_variant::Entity>()
        .filter(product_variant::Column::Id.eq(variant_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Product"))?;
    on_sale(s.scope)
        .filter(product::Column::Id.eq(v.product_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Product"))?;
    Ok(v)
}

/// The cart: each line checked against the catalog and stock now and priced
/// here; lines no longer sold are dropped (and counted).
///
/// # Errors
/// `NotFound` (the store); database errors.
pub async fn cart(state: &AppState, slug: &str, cookie: &CartCookie) -> ServiceResult<CartView> {
    let db = &state.db;
    let s = store(db, slug).await?;
    let cats = categories(db, s.scope).await?;
    let ids: Vec<i32> = cookie.0.iter().map(|(v, _)| *v).collect();
    let variants: BTreeMap<i32, product_variant::Model> = if ids.is_empty() {
        BTreeMap::new()
    } else {
        s.scope
            .find::<product_variant::Entity>()
            .filter(product_variant::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|v| (v.id, v))
            .collect()
    };
    let products: BTreeMap<i32, product::Model> = if variants.is_empty() {
        BTreeMap::new()
    } else {
        on_sale(s.scope)
            .filter(product::Column::Id.is_in(variants.values().map(|v| v.product_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect()
    };
    let mut lines = Vec::new();
    let mut dropped = 0;
    let mut currency = None;
    for (vid, qty) in &cookie.0 {
        let Some((v, p)) = variants
            .get(vid)
            .and_then(|v| products.get(&v.product_id).map(|p| (v, p)))
        else {
            dropped += 1;
            continue;
        };
        let cur = currency.get_or_insert_with(|| v.currency.clone());
        let problem = if v.stock <= 0 {
            Some("Sold out: remove it to check out.".to_owned())
        } else if *qty > v.stock {
            Some(format!(
                "Only {} left: lower the quantity to check out.",
                v.stock
            ))
        } else if !v.currency.eq_ignore_ascii_case(cur) {
            Some("Sold in another currency: check it out on its own.".to_owned())
        } else {
            None
        };
        lines.push(CartLineView {
            variant_id: v.id,
            product: p.name.clone(),
            product_slug: p.slug.clone(),
            label: variant_label(&v.options),
            quantity: *qty,
            unit_minor: v.price_minor,
            line_minor: v.price_minor * i64::from(*qty),
            stock: v.stock,
            problem,
        });
    }
    let subtotal: i64 = lines.iter().map(|l| l.line_minor).sum();
    let shipping = if lines.is_empty() {
        0
    } else {
        shipping_for(subtotal)
    };
    Ok(CartView {
        shell: shell(state, db, &s, &cats, cookie).await?,
        lines,
        currency: currency.unwrap_or_else(|| "eur".to_owned()),
        subtotal_minor: subtotal,
        shipping_minor: shipping,
        total_minor: subtotal + shipping,
        dropped,
    })
}

/// Every page of the store a search engine should know: home, categories,
/// products. Absolute URLs.
///
/// # Errors
/// `NotFound`; database errors.
pub async fn sitemap(state: &AppState, slug: &str) -> ServiceResult<Vec<String>> {
    let db = &state.db;
    let s = store(db, slug).await?;
    let base = format!(
        "{}/store/{}",
        state.config.base_url().trim_end_matches('/'),
        s.brand.slug
    );
    let mut out = vec![base.clone()];
    for c in categories(db, s.scope).await? {
        out.push(format!("{base}/c/{}", c.slug));
    }
    let slugs: Vec<String> = on_sale(s.scope)
        .order_by_asc(product::Column::Name)
        .select_only()
        .column(product::Column::Slug)
        .into_tuple()
        .all(db)
        .await?;
    out.extend(slugs.into_iter().map(|p| format!("{base}/p/{p}")));
    for l in super::store_pages::links(db, s.scope).await? {
        out.push(format!("{base}/{}", l.slug));
    }
    Ok(out)
}

/// Why a cart change was refused, as the shopper reads it.
fn refused(field: &'static str, message: String) -> ServiceError {
    ServiceError::invalid(field, message)
}

/// Adds `quantity` of a variant to the cart (or, with `set`, makes it the
/// quantity; 0 removes the line). The variant must be on sale in this store
/// and the new quantity in stock.
///
/// # Errors
/// `Invalid` (`variant`, `quantity`) with a message for the shopper;
/// `NotFound` (the store, or a variant it does not sell); database errors.
pub async fn change_cart(
    state: &AppState,
    slug: &str,
    cart: &CartCookie,
    variant: Option<i32>,
    quantity: Option<i32>,
    set: bool,
) -> ServiceResult<CartCookie> {
    let db = &state.db;
    let s = store(db, slug).await?;
    let Some(variant) = variant else {
        return Err(refused("variant", "Choose a size or colour first.".into()));
    };
    let Some(quantity) = quantity else {
        return Err(refused(
            "quantity",
            "Give the quantity as a whole number.".into(),
        ));
    };
    let mut next = cart.clone();
    if set && quantity == 0 {
        next.set(variant, 0).map_err(|m| refused("quantity", m))?;
        return Ok(next);
    }
    let v = check_variant(db, &s, variant).await?;
    if set {
        next.set(variant, quantity)
    } else {
        next.add(variant, quantity)
    }
    .map_err(|m| refused("quantity", m))?;
    let wanted = next
        .0
        .iter()
        .find(|(x, _)| *x == variant)
        .map_or(0, |(_, q)| *q);
    if v.stock <= 0 {
        return Err(refused("variant", "That one is sold out.".into()));
    }
    if wanted > v.stock {
        return Err(refused(
            "quantity",
            format!(
                "Only {} left{}: choose {} or fewer.",
                v.stock,
                if set {
                    ""
                } else {
                    " (counting what is in your cart)"
                },
                v.stock
            ),
        ));
    }
    Ok(next)
}

/// The shopper's order page: the order `number` of this store, shown only
/// with its private key (the link in the confirmation); anything else reads
/// as not found.
///
/// # Errors
/// `NotFound`; database errors.
pub async fn order(
    state: &AppState,
    slug: &str,
    number: &str,
    key: &str,
    cart: &CartCookie,
) -> ServiceResult<StoreOrderView> {
    let db = &state.db;
    let s = store(db, slug).await?;
    let o = s
        .scope
        .find::<order::Entity>()
        .filter(order::Column::Number.eq(number))
        .one(db)
        .await?
        .filter(|o| {
            o.access_key
                .as_deref()
                .is_some_and(|k| !key.is_empty() && constant_eq(k.as_bytes(), key.as_bytes()))
        })
        .ok_or(ServiceError::NotFound("Order"))?;
    let items = s
        .scope
        .find::<order_item::Entity>()
        .filter(order_item::Column::OrderId.eq(o.id))
        .order_by_asc(order_item::Column::Id)
        .all(db)
        .await?;
    let events = s
        .scope
        .find::<order_event::Entity>()
        .filter(order_event::Column::OrderId.eq(o.id))
        .order_by_asc(order_event::Column::Id)
        .all(db)
        .await?;
    let address: Address = serde_json::from_str(&o.shipping_address).unwrap_or_default();
    let cats = categories(db, s.scope).await?;
    let tracking = super::shipping::tracking::view(db, s.scope, &o).await?;
    Ok(StoreOrderView {
        tracking,
        shell: shell(state, db, &s, &cats, cart).await?,
        number: o.number.clone(),
        status: OrderStatus::parse(&o.status).unwrap_or(OrderStatus::Pending),
        placed_at: o.placed_at.to_rfc3339(),
        items: items
            .into_iter()
            .map(|i| StoreOrderItem {
                product: i.product_name,
                label: i.variant_label,
                quantity: i.quantity,
                unit_minor: i.unit_price_minor,
            })
            .collect(),
        currency: o.currency.clone(),
        subtotal_minor: o.subtotal_minor,
        shipping_minor: o.shipping_minor,
        total_minor: o.total_minor,
        refunded_minor: o.refunded_minor,
        ship_to: address.one_line(),
        carrier: o.carrier.clone(),
        tracking_number: o.tracking_number.clone(),
        timeline: events
            .into_iter()
            .map(|e| StoreOrderEvent {
                at: e.created_at.to_rfc3339(),
                text: match e.to_status.as_deref().and_then(OrderStatus::parse) {
                    Some(st) if e.kind == "status" => st.label().to_owned(),
                    _ => e.note,
                },
            })
            .collect(),
    })
}

/// Compares two secrets in time independent of where they differ.
fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
