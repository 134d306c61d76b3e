//! The store's catalog in the admin app (SPEC C11.1, issue 13 point 4):
//! products with their variants (SKU, size and colour, price, stock) and
//! categories. Everyone who reads the inbox sees it; owners and admins
//! change it (`ManageCatalog`).
//!
//! A product saves whole, in one transaction: its fields, then its variants
//! as the form lists them (new ones added, missing ones removed, the rest
//! changed). Every rule is checked before anything is written: a unique
//! address and SKUs, prices in the currency's units with at most two
//! decimals, stock from 0 to a million, no two variants with the same size
//! and colour. Orders keep what was bought (the lines copy it), so removing
//! a variant or changing a price never changes an order.

use super::accounts::slugify;
use super::activity::{self, Entry, Who};
use super::context::{Actor, RequestMeta};
use super::tenancy::Scoped;
use super::uow::UnitOfWork;
use super::{now, AppState, ServiceError, ServiceResult};
use crate::permissions::{can, Action};
use crate::types::{
    parse_price, price_text, CatalogPageView, CatalogRow, CategoryForm, CategoryRow, ProductEdit,
    VariantEdit,
};
use entity::{product, product_category, product_variant};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, SqlErr,
};
use std::collections::{BTreeMap, BTreeSet};

/// Products a page.
pub const PAGE_SIZE: u64 = 50;
/// Most variants a product has.
pub const MAX_VARIANTS: usize = 100;
/// Most stock a variant holds.
pub const MAX_STOCK: i32 = 1_000_000;
/// The highest price (minor units).
pub const MAX_PRICE: i64 = 10_000_000;
/// The currency new products are priced in.
pub const DEFAULT_CURRENCY: &str = "eur";

/// A page of the catalog: products by name, filtered by part of the name
/// or a SKU, a category and a status.
///
/// # Errors
/// Permission; database errors.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    query: &str,
    category_id: Option<i32>,
    status: &str,
    page: u64,
) -> ServiceResult<CatalogPageView> {
    actor.require(Action::ViewInbox)?;
    let db = &state.db;
    let scope = actor.scope;
    let mut q = scope.find::<product::Entity>();
    let needle = query.trim().to_lowercase();
    if !needle.is_empty() {
        let by_sku: Vec<i32> = scope
            .find::<product_variant::Entity>()
            .filter(
                Expr::expr(Func::lower(Expr::col(product_variant::Column::Sku)))
                    .like(format!("%{needle}%")),
            )
            .select_only()
            .column(product_variant::Column::ProductId)
            .into_tuple()
            .all(db)
            .await?;
        q = q.filter(
            Condition::any()
                .add(
                    Expr::expr(Func::lower(Expr::col(product::Column::Name)))
                        .like(format!("%{needle}%")),
                )
                .add(product::Column::Id.is_in(by_sku)),
        );
    }
    if let Some(c) = category_id {
        q = q.filter(product::Column::CategoryId.eq(c));
    }
    if matches!(status, "active" | "draft") {
        q = q.filter(product::Column::Status.eq(status));
    }
    let total = q.clone().count(db).await?;
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page = page.clamp(1, pages);
    let rows = q
        .order_by_asc(product::Column::Name)
        .order_by_asc(product::Column::Id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
        .all(db)
        .await?;
    let variants = scope
        .find::<product_variant::Entity>()
        .filter(product_variant::Column::ProductId.is_in(rows.iter().map(|p| p.id)))
        .all(db)
        .await?;
    let cats = categories(db, scope).await?;
    let names: BTreeMap<i32, String> = cats.iter().map(|c| (c.id, c.name.clone())).collect();
    Ok(CatalogPageView {
        rows: rows
            .iter()
            .map(|p| {
                let vs: Vec<&product_variant::Model> =
                    variants.iter().filter(|v| v.product_id == p.id).collect();
                CatalogRow {
                    id: p.id,
                    name: p.name.clone(),
                    slug: p.slug.clone(),
                    category: p.category_id.and_then(|c| names.get(&c).cloned()),
                    status: p.status.clone(),
                    variants: vs.len() as u64,
                    stock: vs.iter().map(|v| i64::from(v.stock)).sum(),
                    price_from_minor: vs.iter().map(|v| v.price_minor).min(),
                    currency: vs
                        .first()
                        .map_or_else(|| DEFAULT_CURRENCY.to_owned(), |v| v.currency.clone()),
                }
            })
            .collect(),
        categories: cats,
        total,
        page,
        pages,
        can_manage: can(actor.role, Action::ManageCatalog),
    })
}

async fn categories(db: &impl ConnectionTrait, scope: Scoped) -> ServiceResult<Vec<CategoryRow>> {
    let cats = scope
        .find::<product_category::Entity>()
        .order_by_asc(product_category::Column::Position)
        .order_by_asc(product_category::Column::Name)
        .all(db)
        .await?;
    let counts: Vec<(Option<i32>, i64)> = scope
        .find::<product::Entity>()
        .select_only()
        .column(product::Column::CategoryId)
        .column_as(product::Column::Id.count(), "n")
        .group_by(product::Column::CategoryId)
        .into_tuple()
        .all(db)
        .await?;
    let counts: BTreeMap<i32, u64> = counts
        .into_iter()
        .filter_map(|(c, n)| Some((c?, u64::try_from(n).unwrap_or_default())))
        .collect();
    Ok(cats
        .into_iter()
        .map(|c| CategoryRow {
            products: counts.get(&c.id).copied().unwrap_or_default(),
            id: c.id,
            name: c.name,
            slug: c.slug,
            position: c.position,
        })
        .collect())
}

fn options_of(json: &str) -> (String, String) {
    let v: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    let get = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
    (get("size"), get("colour"))
}

async fn storefront_base(state: &AppState, scope: Scoped) -> ServiceResult<String> {
    let brand = super::kb::structure::default_brand(&state.db, scope).await?;
    Ok(format!(
        "{}/store/{}",
        state.config.base_url().trim_end_matches('/'),
        brand.slug
    ))
}

/// A product with its variants, for the editor.
///
/// # Errors
/// Permission; `NotFound`; database errors.
pub async fn get(state: &AppState, actor: &Actor, id: i32) -> ServiceResult<ProductEdit> {
    actor.require(Action::ViewInbox)?;
    let db = &state.db;
    let p = actor
        .scope
        .find::<product::Entity>()
        .filter(product::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Product"))?;
    let variants = actor
        .scope
        .find::<product_variant::Entity>()
        .filter(product_variant::Column::ProductId.eq(p.id))
        .order_by_asc(product_variant::Column::Position)
        .order_by_asc(product_variant::Column::Id)
        .all(db)
        .await?;
    let base = storefront_base(state, actor.scope).await?;
    Ok(ProductEdit {
        id: Some(p.id),
        url: format!("{base}/p/{}", p.slug),
        name: p.name,
        slug: p.slug,
        category_id: p.category_id,
        description: p.description,
        images: serde_json::from_str::<Vec<String>>(&p.images)
            .unwrap_or_default()
            .join("\n"),
        status: p.status,
        variants: variants
            .into_iter()
            .map(|v| {
                let (size, colour) = options_of(&v.options);
                VariantEdit {
                    id: Some(v.id),
                    sku: v.sku,
                    size,
                    colour,
                    price: price_text(v.price_minor),
                    stock: v.stock,
                }
            })
            .collect(),
    })
}

/// A variant as checked: (id, sku, options JSON, price, stock).
struct CheckedVariant {
    id: Option<i32>,
    sku: String,
    options: String,
    price: i64,
    stock: i32,
}

fn check_variants(vs: &[VariantEdit]) -> ServiceResult<Vec<CheckedVariant>> {
    if vs.is_empty() {
        return Err(ServiceError::invalid(
            "variants",
            "A product needs at least one variant: its SKU, price and stock.",
        ));
    }
    if vs.len() > MAX_VARIANTS {
        return Err(ServiceError::invalid(
            "variants",
            format!("A product has at most {MAX_VARIANTS} variants."),
        ));
    }
    let mut skus = BTreeSet::new();
    let mut combos = BTreeSet::new();
    let mut out = Vec::with_capacity(vs.len());
    for (i, v) in vs.iter().enumerate() {
        let n = i + 1;
        let sku = v.sku.trim().to_uppercase();
        if sku.is_empty()
            || sku.len() > 64
            || !sku
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(ServiceError::invalid(
                "variants",
                format!(
                    "Variant {n}: a SKU is 1 to 64 letters, digits, dashes, dots or underscores."
                ),
            ));
        }
        if !skus.insert(sku.clone()) {
            return Err(ServiceError::invalid(
                "variants",
                format!("SKU {sku} is listed twice."),
            ));
        }
        let (size, colour) = (v.size.trim(), v.colour.trim());
        if size.chars().count() > 40 || colour.chars().count() > 40 {
            return Err(ServiceError::invalid(
                "variants",
                format!("Variant {n}: a size or colour is at most 40 characters."),
            ));
        }
        if !combos.insert((size.to_lowercase(), colour.to_lowercase())) {
            return Err(ServiceError::invalid(
                "variants",
                format!(
                    "Two variants are both “{}”: give each its own size or colour.",
                    [size, colour]
                        .iter()
                        .filter(|x| !x.is_empty())
                        .copied()
                        .collect::<Vec<_>>()
                        .join(" · ")
                ),
            ));
        }
        let price = parse_price(&v.price)
            .map_err(|m| ServiceError::invalid("variants", format!("Variant {n} ({sku}): {m}")))?;
        if price > MAX_PRICE {
            return Err(ServiceError::invalid(
                "variants",
                format!("Variant {n} ({sku}): the price is above 100,000."),
            ));
        }
        if !(0..=MAX_STOCK).contains(&v.stock) {
            return Err(ServiceError::invalid(
                "variants",
                format!("Variant {n} ({sku}): stock is 0 to {MAX_STOCK}."),
            ));
        }
        let mut o = serde_json::Map::new();
        if !size.is_empty() {
            o.insert("size".into(), size.into());
        }
        if !colour.is_empty() {
            o.insert("colour".into(), colour.into());
        }
        out.push(CheckedVariant {
            id: v.id,
            sku,
            options: serde_json::Value::Object(o).to_string(),
            price,
            stock: v.stock,
        });
    }
    Ok(out)
}

fn check_images(s: &str) -> ServiceResult<Vec<String>> {
    let imgs: Vec<String> = s
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if imgs.len() > 8 {
        return Err(ServiceError::invalid(
            "images",
            "A product shows at most 8 images.",
        ));
    }
    if let Some(bad) = imgs.iter().find(|u| {
        !(u.starts_with("https://") || u.starts_with("http://") || u.starts_with('/'))
            || u.len() > 500
            || u.contains(char::is_whitespace)
    }) {
        return Err(ServiceError::invalid(
            "images",
            format!("“{bad}” is not an image address: one http(s) address per line."),
        ));
    }
    Ok(imgs)
}

/// A product's or category's name and address (made from the name when
/// empty), checked.
fn named(name: &str, slug: &str, max: usize, what: &str) -> ServiceResult<(String, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > max {
        return Err(ServiceError::invalid(
            "name",
            format!("Give the {what} a name of 1 to {max} characters."),
        ));
    }
    let slug = if slug.trim().is_empty() {
        slugify(name)
    } else {
        slug.trim().to_lowercase()
    };
    if slug.len() > 80
        || !slug.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        || slug.starts_with('-')
    {
        return Err(ServiceError::invalid(
            "slug",
            "The address is lowercase letters, digits and dashes (up to 80), like trail-runner-2.",
        ));
    }
    Ok((name.to_owned(), slug))
}

fn taken(e: &sea_orm::DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Saves a product and its variants; returns it as saved.
///
/// # Errors
/// Permission; `Invalid` naming the field; `Conflict` (`slug`, `variants`)
/// when the address or a SKU belongs to another product; `NotFound`;
/// database errors.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    f: &ProductEdit,
    meta: &RequestMeta,
) -> ServiceResult<ProductEdit> {
    actor.require(Action::ManageCatalog)?;
    let scope = actor.scope;
    let (name, slug) = named(&f.name, &f.slug, 200, "product")?;
    let name = name.as_str();
    if !matches!(f.status.as_str(), "active" | "draft") {
        return Err(ServiceError::invalid(
            "status",
            "A product is on sale (active) or a draft.",
        ));
    }
    if f.description.chars().count() > 10_000 {
        return Err(ServiceError::invalid(
            "description",
            "The description is at most 10,000 characters.",
        ));
    }
    let images = check_images(&f.images)?;
    let variants = check_variants(&f.variants)?;
    let uow = UnitOfWork::begin(state).await?;
    if let Some(c) = f.category_id {
        scope
            .find::<product_category::Entity>()
            .filter(product_category::Column::Id.eq(c))
            .one(&*uow)
            .await?
            .ok_or_else(|| {
                ServiceError::invalid("category_id", "Choose one of the store's categories.")
            })?;
    }
    let clash = scope
        .find::<product::Entity>()
        .filter(product::Column::Slug.eq(slug.as_str()))
        .filter(product::Column::Id.ne(f.id.unwrap_or(0)))
        .one(&*uow)
        .await?;
    if let Some(other) = clash {
        return Err(ServiceError::conflict(
            "slug",
            format!(
                "The address {slug} belongs to {}: choose another.",
                other.name
            ),
        ));
    }
    let others = scope
        .find::<product_variant::Entity>()
        .filter(product_variant::Column::Sku.is_in(variants.iter().map(|v| v.sku.clone())))
        .filter(product_variant::Column::ProductId.ne(f.id.unwrap_or(0)))
        .one(&*uow)
        .await?;
    if let Some(v) = others {
        return Err(ServiceError::conflict(
            "variants",
            format!("SKU {} belongs to another product.", v.sku),
        ));
    }
    let t = now();
    let (p, before) = match f.id {
        Some(id) => {
            let p = scope
                .find::<product::Entity>()
                .filter(product::Column::Id.eq(id))
                .one(&*uow)
                .await?
                .ok_or(ServiceError::NotFound("Product"))?;
            let before = serde_json::json!({"name": p.name, "status": p.status});
            let mut am: product::ActiveModel = p.into();
            am.name = Set(name.to_owned());
            am.slug = Set(slug.clone());
            am.category_id = Set(f.category_id);
            am.description = Set(f.description.trim().to_owned());
            am.images = Set(serde_json::to_string(&images).unwrap_or_else(|_| "[]".into()));
            am.status = Set(f.status.clone());
            am.updated_at = Set(t);
            (am.update(&*uow).await?, Some(before))
        }
        None => (
            product::ActiveModel {
                workspace_id: Set(scope.workspace_id()),
                category_id: Set(f.category_id),
                name: Set(name.to_owned()),
                slug: Set(slug.clone()),
                description: Set(f.description.trim().to_owned()),
                images: Set(serde_json::to_string(&images).unwrap_or_else(|_| "[]".into())),
                status: Set(f.status.clone()),
                created_at: Set(t),
                updated_at: Set(t),
                ..Default::default()
            }
            .insert(&*uow)
            .await?,
            None,
        ),
    };
    let existing = scope
        .find::<product_variant::Entity>()
        .filter(product_variant::Column::ProductId.eq(p.id))
        .all(&*uow)
        .await?;
    let currency = existing
        .first()
        .map_or_else(|| DEFAULT_CURRENCY.to_owned(), |v| v.currency.clone());
    if let Some(stray) = variants
        .iter()
        .filter_map(|v| v.id)
        .find(|id| !existing.iter().any(|e| e.id == *id))
    {
        return Err(ServiceError::invalid(
            "variants",
            format!("Variant #{stray} is not this product's: reload the product and try again."),
        ));
    }
    // Removed variants go first, then SKUs move out of each other's way.
    let kept: BTreeSet<i32> = variants.iter().filter_map(|v| v.id).collect();
    let gone: Vec<i32> = existing
        .iter()
        .map(|e| e.id)
        .filter(|id| !kept.contains(id))
        .collect();
    if !gone.is_empty() {
        scope
            .delete_many::<product_variant::Entity>()
            .filter(product_variant::Column::Id.is_in(gone))
            .exec(&*uow)
            .await?;
    }
    for e in existing.iter().filter(|e| kept.contains(&e.id)) {
        scope
            .update_many::<product_variant::Entity>()
            .col_expr(
                product_variant::Column::Sku,
                Expr::value(format!("~{}", e.id)),
            )
            .filter(product_variant::Column::Id.eq(e.id))
            .exec(&*uow)
            .await?;
    }
    for (i, v) in variants.iter().enumerate() {
        let position = i32::try_from(i).unwrap_or_default();
        let r = match v.id {
            Some(id) => scope
                .update_many::<product_variant::Entity>()
                .col_expr(product_variant::Column::Sku, Expr::value(v.sku.clone()))
                .col_expr(
                    product_variant::Column::Options,
                    Expr::value(v.options.clone()),
                )
                .col_expr(product_variant::Column::PriceMinor, Expr::value(v.price))
                .col_expr(product_variant::Column::Stock, Expr::value(v.stock))
                .col_expr(product_variant::Column::Position, Expr::value(position))
                .filter(product_variant::Column::Id.eq(id))
                .exec(&*uow)
                .await
                .map(|_| ()),
            None => product_variant::ActiveModel {
                workspace_id: Set(scope.workspace_id()),
                product_id: Set(p.id),
                sku: Set(v.sku.clone()),
                options: Set(v.options.clone()),
                price_minor: Set(v.price),
                currency: Set(currency.clone()),
                stock: Set(v.stock),
                position: Set(position),
                ..Default::default()
            }
            .insert(&*uow)
            .await
            .map(|_| ()),
        };
        if let Err(e) = r {
            if taken(&e) {
                return Err(ServiceError::conflict(
                    "variants",
                    format!("SKU {} belongs to another product.", v.sku),
                ));
            }
            return Err(e.into());
        }
    }
    uow.commit().await?;
    activity::record(
        &state.db,
        scope,
        &Who::from(actor),
        meta,
        Entry::new(if before.is_some() {
            "catalog.product_changed"
        } else {
            "catalog.product_created"
        })
        .target("product", p.id)
        .diff(
            before,
            Some(serde_json::json!({"name": name, "status": f.status, "variants": variants.len()})),
        ),
    )
    .await?;
    get(state, actor, p.id).await
}

/// Adds or renames a category (and sets its place in the navigation).
///
/// # Errors
/// Permission; `Invalid` (`name`, `slug`); `Conflict` (`slug`); `NotFound`;
/// database errors.
pub async fn save_category(
    state: &AppState,
    actor: &Actor,
    f: &CategoryForm,
    meta: &RequestMeta,
) -> ServiceResult<Vec<CategoryRow>> {
    actor.require(Action::ManageCatalog)?;
    let scope = actor.scope;
    let (name, slug) = named(&f.name, &f.slug, 80, "category")?;
    let name = name.as_str();
    let uow = UnitOfWork::begin(state).await?;
    if let Some(other) = scope
        .find::<product_category::Entity>()
        .filter(product_category::Column::Slug.eq(slug.as_str()))
        .filter(product_category::Column::Id.ne(f.id.unwrap_or(0)))
        .one(&*uow)
        .await?
    {
        return Err(ServiceError::conflict(
            "slug",
            format!("The address {slug} belongs to the category {}.", other.name),
        ));
    }
    let id = match f.id {
        Some(id) => {
            let c = scope
                .find::<product_category::Entity>()
                .filter(product_category::Column::Id.eq(id))
                .one(&*uow)
                .await?
                .ok_or(ServiceError::NotFound("Category"))?;
            let mut am: product_category::ActiveModel = c.into();
            am.name = Set(name.to_owned());
            am.slug = Set(slug);
            am.position = Set(f.position);
            am.update(&*uow).await?.id
        }
        None => {
            product_category::ActiveModel {
                workspace_id: Set(scope.workspace_id()),
                name: Set(name.to_owned()),
                slug: Set(slug),
                position: Set(f.position),
                created_at: Set(now()),
                ..Default::default()
            }
            .insert(&*uow)
            .await?
            .id
        }
    };
    uow.commit().await?;
    activity::record(
        &state.db,
        scope,
        &Who::from(actor),
        meta,
        Entry::new("catalog.category_saved")
            .target("product_category", id)
            .diff(None, Some(serde_json::json!({"name": name}))),
    )
    .await?;
    categories(&state.db, scope).await
}

/// Removes a category; its products stay, uncategorised.
///
/// # Errors
/// Permission; `NotFound`; database errors.
pub async fn delete_category(
    state: &AppState,
    actor: &Actor,
    id: i32,
    meta: &RequestMeta,
) -> ServiceResult<Vec<CategoryRow>> {
    actor.require(Action::ManageCatalog)?;
    let scope = actor.scope;
    let uow = UnitOfWork::begin(state).await?;
    let c = scope
        .find::<product_category::Entity>()
        .filter(product_category::Column::Id.eq(id))
        .one(&*uow)
        .await?
        .ok_or(ServiceError::NotFound("Category"))?;
    scope
        .update_many::<product::Entity>()
        .col_expr(
            product::Column::CategoryId,
            Expr::value(Option::<i32>::None),
        )
        .filter(product::Column::CategoryId.eq(id))
        .exec(&*uow)
        .await?;
    scope
        .delete_many::<product_category::Entity>()
        .filter(product_category::Column::Id.eq(id))
        .exec(&*uow)
        .await?;
    uow.commit().await?;
    activity::record(
        &state.db,
        scope,
        &Who::from(actor),
        meta,
        Entry::new("catalog.category_removed")
            .target("product_category", id)
            .diff(Some(serde_json::json!({"name": c.name})), None),
    )
    .await?;
    categories(&state.db, scope).await
}

/// The catalog's categories.
///
/// # Errors
/// Permission; database errors.
pub async fn category_list(state: &AppState, actor: &Actor) -> ServiceResult<Vec<CategoryRow>> {
    actor.require(Action::ViewInbox)?;
    categories(&state.db, actor.scope).await
}
