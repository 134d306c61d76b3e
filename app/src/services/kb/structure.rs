//! Brands (help centers and their themes), collections and categories.

use super::super::context::Actor;
use super::super::tenancy::{global, Scoped};
use super::super::{now, ServiceError, ServiceResult};
use crate::permissions::Action;
use crate::types::{BrandForm, BrandView, CategoryView, CollectionView};
use entity::{kb_article, kb_brand, kb_category, kb_collection, workspace};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TryIntoModel,
};
use std::collections::HashMap;

/// The view of a brand row.
pub fn brand_view(b: &kb_brand::Model) -> BrandView {
    BrandView {
        id: b.id,
        name: b.name.clone(),
        slug: b.slug.clone(),
        is_default: b.is_default,
        logo_url: b.logo_url.clone(),
        primary_color: b.primary_color.clone(),
        accent_color: b.accent_color.clone(),
        custom_css: b.custom_css.clone().unwrap_or_default(),
        default_locale: b.default_locale.clone(),
        locales: serde_json::from_str(&b.locales).unwrap_or_else(|_| vec!["en".to_owned()]),
        widget_key: b.widget_key.clone(),
    }
}

/// The workspace's default brand, created on first use (named after the workspace,
/// at `/help/<workspace slug>`).
///
/// # Errors
/// Database errors.
pub async fn default_brand(
    db: &impl ConnectionTrait,
    scope: Scoped,
) -> ServiceResult<kb_brand::Model> {
    if let Some(b) = scope
        .find::<kb_brand::Entity>()
        .filter(kb_brand::Column::IsDefault.eq(true))
        .one(db)
        .await?
    {
        return Ok(b);
    }
    let ws = global::<workspace::Entity>()
        .filter(workspace::Column::Id.eq(scope.workspace_id()))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Workspace"))?;
    let slug = ws
        .slug
        .clone()
        .unwrap_or_else(|| format!("ws-{}", ws.id))
        .trim_end_matches("-support")
        .to_owned();
    let t = now();
    Ok(kb_brand::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        name: Set(ws.name.clone()),
        slug: Set(slug),
        is_default: Set(true),
        logo_url: Set(None),
        primary_color: Set("#1f6feb".to_owned()),
        accent_color: Set("#0f766e".to_owned()),
        custom_css: Set(None),
        default_locale: Set("en".to_owned()),
        locales: Set(r#"["en"]"#.to_owned()),
        widget_key: Set(None),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Every brand of the workspace.
///
/// # Errors
/// Permission; database errors.
pub async fn brands(db: &impl ConnectionTrait, actor: &Actor) -> ServiceResult<Vec<BrandView>> {
    actor.require(Action::ViewKnowledge)?;
    default_brand(db, actor.scope).await?;
    Ok(actor
        .scope
        .find::<kb_brand::Entity>()
        .order_by_asc(kb_brand::Column::Id)
        .all(db)
        .await?
        .iter()
        .map(brand_view)
        .collect())
}

fn color(v: &str, field: &'static str) -> ServiceResult<String> {
    let v = v.trim();
    let ok = v.len() == 7 && v.starts_with('#') && v[1..].chars().all(|c| c.is_ascii_hexdigit());
    if ok {
        Ok(v.to_lowercase())
    } else {
        Err(ServiceError::invalid(
            field,
            format!("`{v}` is not a colour: use #rrggbb, for example #1f6feb."),
        ))
    }
}

/// Creates (`id` none) or updates a brand.
///
/// # Errors
/// Permission; `Invalid` for a bad slug, colour, locale or logo URL; `Conflict`
/// when another help center has the slug; database errors.
pub async fn save_brand(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Option<i32>,
    form: &BrandForm,
) -> ServiceResult<BrandView> {
    actor.require(Action::ManageKnowledge)?;
    let name = form.name.trim();
    if name.chars().count() < 2 || name.chars().count() > 80 {
        return Err(ServiceError::invalid(
            "name",
            "Give the brand a name of 2 to 80 characters.",
        ));
    }
    let slug = super::slug_from(&form.slug, name, "slug")?;
    let primary = color(&form.primary_color, "primary_color")?;
    let accent = color(&form.accent_color, "accent_color")?;
    let logo = form.logo_url.trim();
    if !(logo.is_empty() || logo.starts_with("https://") || logo.starts_with('/')) {
        return Err(ServiceError::invalid(
            "logo_url",
            "The logo must be an https:// URL or a path on this site.",
        ));
    }
    if form.custom_css.len() > 20_000 || form.custom_css.to_lowercase().contains("</style") {
        return Err(ServiceError::invalid(
            "custom_css",
            "Custom CSS is limited to 20,000 characters and cannot close the style tag.",
        ));
    }
    let mut locales: Vec<String> = form
        .locales
        .split(',')
        .map(|l| l.trim().to_lowercase())
        .filter(|l| !l.is_empty())
        .collect();
    let default_locale = form.default_locale.trim().to_lowercase();
    if !super::valid_locale(&default_locale) {
        return Err(ServiceError::invalid(
            "default_locale",
            "Choose a supported default language.",
        ));
    }
    if let Some(bad) = locales.iter().find(|l| !super::valid_locale(l)) {
        return Err(ServiceError::invalid(
            "locales",
            format!("`{bad}` is not a supported language code (en, de, fr, es, it, nl, pt, ja)."),
        ));
    }
    if !locales.contains(&default_locale) {
        locales.insert(0, default_locale.clone());
    }
    locales.dedup();
    let taken = global_brand_by_slug(db, &slug).await?;
    if taken.as_ref().is_some_and(|b| Some(b.id) != id) {
        return Err(ServiceError::conflict(
            "slug",
            format!("`/help/{slug}` is taken: choose another slug."),
        ));
    }
    let t = now();
    let mut am = match id {
        Some(id) => actor
            .scope
            .find::<kb_brand::Entity>()
            .filter(kb_brand::Column::Id.eq(id))
            .one(db)
            .await?
            .ok_or(ServiceError::NotFound("Brand"))?
            .into_active_model(),
        None => kb_brand::ActiveModel {
            workspace_id: Set(actor.scope.workspace_id()),
            is_default: Set(false),
            created_at: Set(t),
            ..Default::default()
        },
    };
    let widget_key = if form.embed_widget {
        super::super::channels::settings::get_or_create(
            db,
            actor.scope,
            crate::types::Channel::Chat,
        )
        .await?
        .public_key
    } else {
        None
    };
    am.name = Set(name.to_owned());
    am.slug = Set(slug);
    am.logo_url = Set((!logo.is_empty()).then(|| logo.to_owned()));
    am.primary_color = Set(primary);
    am.accent_color = Set(accent);
    am.custom_css = Set((!form.custom_css.trim().is_empty()).then(|| form.custom_css.clone()));
    am.default_locale = Set(default_locale);
    am.locales = Set(serde_json::to_string(&locales).unwrap_or_else(|_| r#"["en"]"#.into()));
    am.widget_key = Set(widget_key);
    am.updated_at = Set(t);
    let row = am.save(db).await?.try_into_model()?;
    Ok(brand_view(&row))
}

/// A brand by its public slug, in any workspace: the help center's entry point.
/// The slug is public by design (like a domain); everything after is scoped.
///
/// # Errors
/// Database errors.
pub async fn global_brand_by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> ServiceResult<Option<kb_brand::Model>> {
    Ok(super::super::tenancy::brand_by_slug(slug).one(db).await?)
}

/// Collections (of every brand) with their categories and article counts.
///
/// # Errors
/// Permission; database errors.
pub async fn tree(db: &impl ConnectionTrait, actor: &Actor) -> ServiceResult<Vec<CollectionView>> {
    actor.require(Action::ViewKnowledge)?;
    default_brand(db, actor.scope).await?;
    collections(db, actor.scope, None, None).await
}

/// Collections and categories; with `published_in` only categories with published
/// public articles in that locale are counted (and empty ones dropped).
///
/// # Errors
/// Database errors.
pub async fn collections(
    db: &impl ConnectionTrait,
    scope: Scoped,
    brand_id: Option<i32>,
    published_in: Option<&str>,
) -> ServiceResult<Vec<CollectionView>> {
    let mut q = scope
        .find::<kb_collection::Entity>()
        .order_by_asc(kb_collection::Column::Position)
        .order_by_asc(kb_collection::Column::Id);
    if let Some(b) = brand_id {
        q = q.filter(kb_collection::Column::BrandId.eq(b));
    }
    let cols = q.all(db).await?;
    let cats = scope
        .find::<kb_category::Entity>()
        .filter(kb_category::Column::CollectionId.is_in(cols.iter().map(|c| c.id)))
        .order_by_asc(kb_category::Column::Position)
        .order_by_asc(kb_category::Column::Id)
        .all(db)
        .await?;
    let mut aq = scope
        .find::<kb_article::Entity>()
        .filter(kb_article::Column::CategoryId.is_in(cats.iter().map(|c| c.id)));
    if let Some(locale) = published_in {
        aq = aq
            .filter(kb_article::Column::Status.eq(crate::types::STATUS_PUBLISHED))
            .filter(kb_article::Column::Internal.eq(false))
            .filter(kb_article::Column::Locale.eq(locale));
    } else {
        aq = aq.filter(kb_article::Column::ParentId.is_null());
    }
    let mut counts: HashMap<i32, u64> = HashMap::new();
    for a in aq.all(db).await? {
        *counts.entry(a.category_id).or_default() += 1;
    }
    Ok(cols
        .into_iter()
        .map(|c| CollectionView {
            id: c.id,
            brand_id: c.brand_id,
            name: c.name,
            slug: c.slug,
            description: c.description.unwrap_or_default(),
            categories: cats
                .iter()
                .filter(|k| k.collection_id == c.id)
                .map(|k| category_view(k, counts.get(&k.id).copied().unwrap_or(0)))
                .filter(|k| published_in.is_none() || k.articles > 0)
                .collect(),
        })
        .filter(|c| published_in.is_none() || !c.categories.is_empty())
        .collect())
}

/// The view of a category row.
pub fn category_view(k: &kb_category::Model, articles: u64) -> CategoryView {
    CategoryView {
        id: k.id,
        collection_id: k.collection_id,
        name: k.name.clone(),
        slug: k.slug.clone(),
        description: k.description.clone().unwrap_or_default(),
        articles,
    }
}

fn name_of(name: &str, what: &str) -> ServiceResult<String> {
    let n = name.trim();
    if n.chars().count() < 2 || n.chars().count() > 80 {
        return Err(ServiceError::invalid(
            "name",
            format!("Give the {what} a name of 2 to 80 characters."),
        ));
    }
    Ok(n.to_owned())
}

/// Creates a collection in a brand (the default brand when `brand_id` is none).
///
/// # Errors
/// Permission; `Invalid` name; `Conflict` on a duplicate slug; database errors.
pub async fn create_collection(
    db: &impl ConnectionTrait,
    actor: &Actor,
    brand_id: Option<i32>,
    name: &str,
    description: &str,
) -> ServiceResult<CollectionView> {
    actor.require(Action::ManageKnowledge)?;
    let name = name_of(name, "collection")?;
    let brand = match brand_id {
        Some(id) => actor
            .scope
            .find::<kb_brand::Entity>()
            .filter(kb_brand::Column::Id.eq(id))
            .one(db)
            .await?
            .ok_or(ServiceError::NotFound("Brand"))?,
        None => default_brand(db, actor.scope).await?,
    };
    let slug = super::slug_from("", &name, "name")?;
    let exists = actor
        .scope
        .find::<kb_collection::Entity>()
        .filter(kb_collection::Column::BrandId.eq(brand.id))
        .filter(kb_collection::Column::Slug.eq(&slug))
        .count(db)
        .await?;
    if exists > 0 {
        return Err(ServiceError::conflict(
            "name",
            "A collection with this name exists.",
        ));
    }
    let position = actor
        .scope
        .find::<kb_collection::Entity>()
        .filter(kb_collection::Column::BrandId.eq(brand.id))
        .count(db)
        .await?;
    let t = now();
    let c = kb_collection::ActiveModel {
        workspace_id: Set(actor.scope.workspace_id()),
        brand_id: Set(brand.id),
        name: Set(name),
        slug: Set(slug),
        description: Set((!description.trim().is_empty()).then(|| description.trim().to_owned())),
        position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(CollectionView {
        id: c.id,
        brand_id: c.brand_id,
        name: c.name,
        slug: c.slug,
        description: c.description.unwrap_or_default(),
        categories: Vec::new(),
    })
}

/// Creates a category in a collection.
///
/// # Errors
/// Permission; `Invalid` name; `NotFound` collection; `Conflict` duplicate;
/// database errors.
pub async fn create_category(
    db: &impl ConnectionTrait,
    actor: &Actor,
    collection_id: i32,
    name: &str,
    description: &str,
) -> ServiceResult<CategoryView> {
    actor.require(Action::ManageKnowledge)?;
    let name = name_of(name, "category")?;
    let col = actor
        .scope
        .find::<kb_collection::Entity>()
        .filter(kb_collection::Column::Id.eq(collection_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Collection"))?;
    let slug = super::slug_from("", &name, "name")?;
    let exists = actor
        .scope
        .find::<kb_category::Entity>()
        .filter(kb_category::Column::CollectionId.eq(col.id))
        .filter(kb_category::Column::Slug.eq(&slug))
        .count(db)
        .await?;
    if exists > 0 {
        return Err(ServiceError::conflict(
            "name",
            "A category with this name exists here.",
        ));
    }
    let position = actor
        .scope
        .find::<kb_category::Entity>()
        .filter(kb_category::Column::CollectionId.eq(col.id))
        .count(db)
        .await?;
    let t = now();
    let k = kb_category::ActiveModel {
        workspace_id: Set(actor.scope.workspace_id()),
        collection_id: Set(col.id),
        name: Set(name),
        slug: Set(slug),
        description: Set((!description.trim().is_empty()).then(|| description.trim().to_owned())),
        position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(category_view(&k, 0))
}
