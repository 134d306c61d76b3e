//! Knowledge-base server functions: articles (list, edit, publish, translate,
//! revisions, diff, restore, delete), collections/categories, brands, and the
//! public support form's article suggestions (deflection).

use crate::error::AppError;
use crate::types::{
    ArticleForm, ArticleSummaryView, ArticleView, BrandForm, BrandView, CategoryView,
    CollectionView, RevisionDiffView, RevisionView, SuggestionsView,
};
use leptos::prelude::*;

/// Articles for the admin list (`status`: "", "draft" or "published").
#[server]
pub async fn list_articles(
    query: String,
    status: String,
) -> Result<Vec<ArticleSummaryView>, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewKnowledge).await?;
    let f = crate::services::kb::articles::ArticleFilter {
        query,
        status: (!status.is_empty()).then_some(status),
        category_id: None,
        originals_only: false,
    };
    crate::services::kb::articles::list(&state.db, &actor, &f)
        .await
        .map_err(fail)
}

/// Collections with their categories.
#[server]
pub async fn kb_tree() -> Result<Vec<CollectionView>, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewKnowledge).await?;
    crate::services::kb::structure::tree(&state.db, &actor)
        .await
        .map_err(fail)
}

/// One article for the editor.
#[server]
pub async fn get_article(id: i32) -> Result<ArticleView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewKnowledge).await?;
    crate::services::kb::articles::get(&state, &actor, id)
        .await
        .map_err(fail)
}

/// Creates (`id` 0) or saves an article.
#[server]
pub async fn save_article(id: i32, form: ArticleForm) -> Result<ArticleView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageKnowledge).await?;
    crate::services::kb::articles::save(&state, &actor, (id > 0).then_some(id), &form)
        .await
        .map_err(fail)
}

/// Publishes or unpublishes an article.
#[server]
pub async fn publish_article(id: i32, publish: bool) -> Result<ArticleView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageKnowledge).await?;
    crate::services::kb::articles::set_published(&state, &actor, id, publish)
        .await
        .map_err(fail)
}

/// Deletes an article and its translations.
#[server]
pub async fn delete_article(id: i32) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageKnowledge).await?;
    crate::services::kb::articles::delete(&state, &actor, id)
        .await
        .map_err(fail)
}

/// An article's revisions.
#[server]
pub async fn article_revisions(id: i32) -> Result<Vec<RevisionView>, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewKnowledge).await?;
    crate::services::kb::articles::revisions(&state.db, &actor, id)
        .await
        .map_err(fail)
}

/// The diff between two revisions.
#[server]
pub async fn article_diff(id: i32, from: i32, to: i32) -> Result<RevisionDiffView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewKnowledge).await?;
    crate::services::kb::articles::diff(&state.db, &actor, id, from, to)
        .await
        .map_err(fail)
}

/// Restores a revision as a new one.
#[server]
pub async fn restore_revision(id: i32, number: i32) -> Result<ArticleView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageKnowledge).await?;
    crate::services::kb::articles::restore(&state, &actor, id, number)
        .await
        .map_err(fail)
}

/// Creates a collection in the default brand.
#[server]
pub async fn create_kb_collection(
    name: String,
    description: String,
) -> Result<CollectionView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageKnowledge).await?;
    crate::services::kb::structure::create_collection(&state.db, &actor, None, &name, &description)
        .await
        .map_err(fail)
}

/// Creates a category in a collection.
#[server]
pub async fn create_kb_category(
    collection_id: i32,
    name: String,
    description: String,
) -> Result<CategoryView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageKnowledge).await?;
    crate::services::kb::structure::create_category(
        &state.db,
        &actor,
        collection_id,
        &name,
        &description,
    )
    .await
    .map_err(fail)
}

/// Every brand (help center).
#[server]
pub async fn list_brands() -> Result<Vec<BrandView>, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewKnowledge).await?;
    crate::services::kb::structure::brands(&state.db, &actor)
        .await
        .map_err(fail)
}

/// Creates (`id` 0) or saves a brand and its theme.
#[server]
pub async fn save_brand(id: i32, form: BrandForm) -> Result<BrandView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageKnowledge).await?;
    crate::services::kb::structure::save_brand(&state.db, &actor, (id > 0).then_some(id), &form)
        .await
        .map_err(fail)
}

/// Article suggestions while a customer writes the public support form.
#[server]
pub async fn support_suggest(
    slug: String,
    text: String,
    deflection: String,
) -> Result<SuggestionsView, AppError> {
    use super::edge::*;
    let state = state()?;
    let scope = crate::services::channels::webform::scope_for_slug(&state.db, &slug)
        .await
        .map_err(fail)?;
    let brand = crate::services::kb::structure::default_brand(&state.db, scope)
        .await
        .map_err(fail)?;
    crate::services::kb::deflection::suggest(
        &state.db,
        scope,
        "web_form",
        (!deflection.is_empty()).then_some(deflection.as_str()),
        &text,
        &brand.default_locale,
    )
    .await
    .map_err(fail)
}

/// Records that the customer opened a suggested article.
#[server]
pub async fn support_suggest_open(
    slug: String,
    deflection: String,
    article_id: i32,
) -> Result<(), AppError> {
    use super::edge::*;
    let state = state()?;
    let scope = crate::services::channels::webform::scope_for_slug(&state.db, &slug)
        .await
        .map_err(fail)?;
    crate::services::kb::deflection::opened(&state.db, scope, &deflection, article_id)
        .await
        .map_err(fail)
}
