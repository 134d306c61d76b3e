//! The storefront's own pages (SPEC C11.1): privacy, terms, contact and FAQ,
//! written in the admin app (Settings → Store) and served at
//! `/store/{brand}/{page}`. A page without text is not published: it is not
//! linked, not in the sitemap, and its address reads as not found.

use super::activity::{self, Entry, Who};
use super::context::{Actor, RequestMeta};
use super::storefront;
use super::tenancy::Scoped;
use super::uow::UnitOfWork;
use super::{now, AppState, ServiceError, ServiceResult};
use crate::permissions::Action;
use crate::types::{
    page_blocks, CartCookie, StoreCategoryLink, StorePageEdit, StorePageForm, StorePageView,
    STORE_PAGES,
};
use entity::store_page;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, QueryFilter, Set};

/// The longest page text.
pub const MAX_BODY: usize = 20_000;
/// The longest title.
pub const MAX_TITLE: usize = 120;

fn known(slug: &str) -> Option<&'static str> {
    STORE_PAGES
        .iter()
        .find(|(s, _)| *s == slug)
        .map(|(s, _)| *s)
}

/// The published pages, in the footer's order.
///
/// # Errors
/// Database errors.
pub async fn links(
    db: &impl ConnectionTrait,
    scope: Scoped,
) -> ServiceResult<Vec<StoreCategoryLink>> {
    let rows = scope.find::<store_page::Entity>().all(db).await?;
    Ok(STORE_PAGES
        .iter()
        .filter_map(|(slug, _)| {
            rows.iter()
                .find(|r| r.slug == *slug && !r.body.trim().is_empty())
                .map(|r| StoreCategoryLink {
                    name: r.title.clone(),
                    slug: r.slug.clone(),
                })
        })
        .collect())
}

/// A published page of brand `brand`'s store.
///
/// # Errors
/// `NotFound` (the store, or a page it has not written); database errors.
pub async fn public(
    state: &AppState,
    brand: &str,
    slug: &str,
    cart: &CartCookie,
) -> ServiceResult<StorePageView> {
    let db = &state.db;
    let s = storefront::store(db, brand).await?;
    let slug = known(slug).ok_or(ServiceError::NotFound("Page"))?;
    let row = s
        .scope
        .find::<store_page::Entity>()
        .filter(store_page::Column::Slug.eq(slug))
        .one(db)
        .await?
        .filter(|r| !r.body.trim().is_empty())
        .ok_or(ServiceError::NotFound("Page"))?;
    let cats = storefront::categories(db, s.scope).await?;
    Ok(StorePageView {
        shell: storefront::shell(state, db, &s, &cats, cart).await?,
        slug: row.slug,
        title: row.title,
        blocks: page_blocks(&row.body),
        updated_at: row.updated_at.to_rfc3339(),
    })
}

/// Every page, written or not, for the editor.
///
/// # Errors
/// Permission; database errors.
pub async fn list(state: &AppState, actor: &Actor) -> ServiceResult<Vec<StorePageEdit>> {
    actor.require(Action::ManageWorkspaceSettings)?;
    let brand = super::kb::structure::default_brand(&state.db, actor.scope).await?;
    let base = format!(
        "{}/store/{}",
        state.config.base_url().trim_end_matches('/'),
        brand.slug
    );
    let rows = actor
        .scope
        .find::<store_page::Entity>()
        .all(&state.db)
        .await?;
    Ok(STORE_PAGES
        .iter()
        .map(|(slug, title)| {
            let r = rows.iter().find(|r| r.slug == *slug);
            StorePageEdit {
                slug: (*slug).to_owned(),
                title: r.map_or_else(|| (*title).to_owned(), |r| r.title.clone()),
                body: r.map(|r| r.body.clone()).unwrap_or_default(),
                published: r.is_some_and(|r| !r.body.trim().is_empty()),
                updated: r.map(|r| (r.updated_by.clone(), r.updated_at.to_rfc3339())),
                url: format!("{base}/{slug}"),
            }
        })
        .collect())
}

/// Saves a page (an empty text takes it down); logged.
///
/// # Errors
/// Permission; `Invalid` (`slug`, `title`, `body`); database errors.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    f: &StorePageForm,
    meta: &RequestMeta,
) -> ServiceResult<Vec<StorePageEdit>> {
    actor.require(Action::ManageWorkspaceSettings)?;
    let Some(slug) = known(f.slug.trim()) else {
        return Err(ServiceError::invalid(
            "slug",
            "Choose one of the store's pages: privacy, terms, contact or faq.",
        ));
    };
    let title = f.title.trim();
    if title.is_empty() || title.chars().count() > MAX_TITLE {
        return Err(ServiceError::invalid(
            "title",
            format!("Give the page a title of 1 to {MAX_TITLE} characters."),
        ));
    }
    let body = f.body.trim();
    if body.chars().count() > MAX_BODY {
        return Err(ServiceError::invalid(
            "body",
            format!("The text is too long: at most {MAX_BODY} characters."),
        ));
    }
    let uow = UnitOfWork::begin(state).await?;
    let existing = actor
        .scope
        .find::<store_page::Entity>()
        .filter(store_page::Column::Slug.eq(slug))
        .one(&*uow)
        .await?;
    let before = existing
        .as_ref()
        .map(|r| serde_json::json!({"title": r.title, "chars": r.body.chars().count()}));
    let mut am: store_page::ActiveModel = match existing {
        Some(r) => r.into(),
        None => store_page::ActiveModel {
            workspace_id: Set(actor.scope.workspace_id()),
            slug: Set(slug.to_owned()),
            ..Default::default()
        },
    };
    am.title = Set(title.to_owned());
    am.body = Set(body.to_owned());
    am.updated_by = Set(actor.name.chars().take(120).collect());
    am.updated_at = Set(now());
    am.save(&*uow).await?;
    uow.commit().await?;
    activity::record(
        &state.db,
        actor.scope,
        &Who::from(actor),
        meta,
        Entry::new(if body.is_empty() {
            "store.page_unpublished"
        } else {
            "store.page_saved"
        })
        .target("store_page", slug)
        .diff(
            before,
            Some(serde_json::json!({"title": title, "chars": body.chars().count()})),
        ),
    )
    .await?;
    list(state, actor).await
}
