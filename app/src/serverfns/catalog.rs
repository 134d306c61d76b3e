//! Catalog server functions: products with their variants, and categories.

use crate::error::AppError;
use crate::types::{CatalogPageView, CategoryForm, CategoryRow, ProductEdit};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// A page of products (`query` part of a name or a SKU; `category` 0 for
/// all; `status` empty, `active` or `draft`).
#[server]
pub async fn list_catalog(
    query: String,
    category: i32,
    status: String,
    page: u64,
) -> Result<CatalogPageView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    crate::services::catalog::list(
        &state,
        &actor,
        &query,
        (category > 0).then_some(category),
        &status,
        page,
    )
    .await
    .map_err(fail)
}

/// One product with its variants.
#[server]
pub async fn get_catalog_product(id: i32) -> Result<ProductEdit, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    crate::services::catalog::get(&state, &actor, id)
        .await
        .map_err(fail)
}

/// Saves a product and its variants (a new one without an id).
#[server(input = Json)]
pub async fn save_catalog_product(form: ProductEdit) -> Result<ProductEdit, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageCatalog).await?;
    let meta = meta().await;
    crate::services::catalog::save(&state, &actor, &form, &meta)
        .await
        .map_err(fail)
}

/// Adds or changes a category.
#[server(input = Json)]
pub async fn save_catalog_category(form: CategoryForm) -> Result<Vec<CategoryRow>, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageCatalog).await?;
    let meta = meta().await;
    crate::services::catalog::save_category(&state, &actor, &form, &meta)
        .await
        .map_err(fail)
}

/// Removes a category (its products stay, uncategorised).
#[server]
pub async fn delete_catalog_category(id: i32) -> Result<Vec<CategoryRow>, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageCatalog).await?;
    let meta = meta().await;
    crate::services::catalog::delete_category(&state, &actor, id, &meta)
        .await
        .map_err(fail)
}
