//! The public help center: read models for its pages (home, category, article,
//! search), locale negotiation, `sitemap.xml`, and article feedback.
//!
//! Everything starts from the brand's public slug (`tenancy::brand_by_slug`);
//! every read after it is scoped to the brand's workspace, and only published,
//! public articles are ever shown.

use super::super::tenancy::Scoped;
use super::super::{now, AppState, ServiceError, ServiceResult};
use super::articles::{public_path, summary_view};
use super::search::{self, Audience};
use super::structure::{brand_view, category_view, collections, global_brand_by_slug};
use crate::types::{
    ArticleSummaryView, BrandView, HelpArticleView, HelpCategoryView, HelpHomeView, HelpSearchView,
    HelpShell, STATUS_PUBLISHED,
};
use entity::{kb_article, kb_brand, kb_category, kb_collection, kb_feedback, workspace};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

/// A help center: its brand and workspace scope.
#[derive(Clone, Debug)]
pub struct Center {
    /// The brand row.
    pub brand: kb_brand::Model,
    /// Its workspace.
    pub scope: Scoped,
    /// Workspace name.
    pub workspace: String,
}

impl Center {
    /// The brand's view.
    pub fn view(&self) -> BrandView {
        brand_view(&self.brand)
    }

    /// Locales offered.
    pub fn locales(&self) -> Vec<String> {
        self.view().locales
    }
}

/// The help center at `/help/<slug>`.
///
/// # Errors
/// `NotFound` for an unknown slug; database errors.
pub async fn center(db: &impl ConnectionTrait, slug: &str) -> ServiceResult<Center> {
    let brand = global_brand_by_slug(db, slug)
        .await?
        .ok_or(ServiceError::NotFound("Help center"))?;
    let scope = Scoped::new(brand.workspace_id);
    let ws = super::super::tenancy::global::<workspace::Entity>()
        .filter(workspace::Column::Id.eq(brand.workspace_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Help center"))?;
    Ok(Center {
        brand,
        scope,
        workspace: ws.name,
    })
}

/// The best offered locale for an `Accept-Language` header (quality values
/// honoured, `de-CH` matches `de`), else the default.
pub fn negotiate(accept_language: &str, offered: &[String], default: &str) -> String {
    let mut prefs: Vec<(f32, String)> = accept_language
        .split(',')
        .filter_map(|part| {
            let mut it = part.trim().split(';');
            let tag = it.next()?.trim().to_lowercase();
            if tag.is_empty() || tag == "*" {
                return None;
            }
            let q = it
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|v| v.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or(&tag).to_owned();
            Some((q, primary))
        })
        .collect();
    prefs.sort_by(|a, b| b.0.total_cmp(&a.0));
    prefs
        .into_iter()
        .filter(|(q, _)| *q > 0.0)
        .find(|(_, l)| offered.iter().any(|o| o == l))
        .map_or_else(|| default.to_owned(), |(_, l)| l)
}

pub(crate) fn shell(state: &AppState, c: &Center, locale: &str) -> HelpShell {
    HelpShell {
        workspace: c.workspace.clone(),
        brand: c.view(),
        locale: locale.to_owned(),
        base_url: state.config.base_url().trim_end_matches('/').to_owned(),
    }
}

fn check_locale(c: &Center, locale: &str) -> ServiceResult<()> {
    if c.locales().iter().any(|l| l == locale) {
        Ok(())
    } else {
        Err(ServiceError::NotFound("Language"))
    }
}

/// Published public articles of the center in `locale` (optionally one category).
async fn published(
    db: &impl ConnectionTrait,
    c: &Center,
    locale: &str,
    category_ids: &[i32],
) -> ServiceResult<Vec<kb_article::Model>> {
    Ok(c.scope
        .find::<kb_article::Entity>()
        .filter(kb_article::Column::Status.eq(STATUS_PUBLISHED))
        .filter(kb_article::Column::Internal.eq(false))
        .filter(kb_article::Column::Locale.eq(locale))
        .filter(kb_article::Column::CategoryId.is_in(category_ids.iter().copied()))
        .order_by_asc(kb_article::Column::Position)
        .order_by_asc(kb_article::Column::Id)
        .all(db)
        .await?)
}

async fn category_ids(
    db: &impl ConnectionTrait,
    c: &Center,
) -> ServiceResult<Vec<kb_category::Model>> {
    let cols: Vec<i32> = c
        .scope
        .find::<kb_collection::Entity>()
        .filter(kb_collection::Column::BrandId.eq(c.brand.id))
        .all(db)
        .await?
        .into_iter()
        .map(|x| x.id)
        .collect();
    Ok(c.scope
        .find::<kb_category::Entity>()
        .filter(kb_category::Column::CollectionId.is_in(cols))
        .order_by_asc(kb_category::Column::Position)
        .all(db)
        .await?)
}

fn summaries(rows: &[kb_article::Model], cats: &[kb_category::Model]) -> Vec<ArticleSummaryView> {
    rows.iter()
        .map(|a| {
            let cat = cats
                .iter()
                .find(|k| k.id == a.category_id)
                .map_or("", |k| k.name.as_str());
            summary_view(a, cat, vec![a.locale.clone()])
        })
        .collect()
}

/// The home page: collections, categories and the most viewed articles.
///
/// # Errors
/// `NotFound` (center, language); database errors.
pub async fn home(state: &AppState, slug: &str, locale: &str) -> ServiceResult<HelpHomeView> {
    let db = &state.db;
    let c = center(db, slug).await?;
    check_locale(&c, locale)?;
    let cats = category_ids(db, &c).await?;
    let ids: Vec<i32> = cats.iter().map(|k| k.id).collect();
    let mut arts = published(db, &c, locale, &ids).await?;
    arts.sort_by(|a, b| b.views.cmp(&a.views).then(a.id.cmp(&b.id)));
    arts.truncate(6);
    Ok(HelpHomeView {
        shell: shell(state, &c, locale),
        collections: collections(db, c.scope, Some(c.brand.id), Some(locale)).await?,
        popular: summaries(&arts, &cats),
    })
}

/// A category page.
///
/// # Errors
/// `NotFound`; database errors.
pub async fn category(
    state: &AppState,
    slug: &str,
    locale: &str,
    category_slug: &str,
) -> ServiceResult<HelpCategoryView> {
    let db = &state.db;
    let c = center(db, slug).await?;
    check_locale(&c, locale)?;
    let cats = category_ids(db, &c).await?;
    let cat = cats
        .iter()
        .find(|k| k.slug == category_slug)
        .ok_or(ServiceError::NotFound("Category"))?;
    let arts = published(db, &c, locale, &[cat.id]).await?;
    Ok(HelpCategoryView {
        shell: shell(state, &c, locale),
        category: category_view(cat, arts.len() as u64),
        articles: summaries(&arts, &cats),
    })
}

/// An article page (counts a view). A slug that exists only in another locale
/// is answered with that locale's article so links shared across languages work.
///
/// # Errors
/// `NotFound`; database errors.
pub async fn article(
    state: &AppState,
    slug: &str,
    locale: &str,
    article_slug: &str,
) -> ServiceResult<HelpArticleView> {
    let db = &state.db;
    let c = center(db, slug).await?;
    check_locale(&c, locale)?;
    let cats = category_ids(db, &c).await?;
    let ids: Vec<i32> = cats.iter().map(|k| k.id).collect();
    let a = c
        .scope
        .find::<kb_article::Entity>()
        .filter(kb_article::Column::Status.eq(STATUS_PUBLISHED))
        .filter(kb_article::Column::Internal.eq(false))
        .filter(kb_article::Column::Locale.eq(locale))
        .filter(kb_article::Column::Slug.eq(article_slug))
        .filter(kb_article::Column::CategoryId.is_in(ids.clone()))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Article"))?;
    c.scope
        .update_many::<kb_article::Entity>()
        .filter(kb_article::Column::Id.eq(a.id))
        .col_expr(
            kb_article::Column::Views,
            sea_orm::sea_query::Expr::col(kb_article::Column::Views).add(1),
        )
        .exec(db)
        .await?;
    let root = a.parent_id.unwrap_or(a.id);
    let family = c
        .scope
        .find::<kb_article::Entity>()
        .filter(
            sea_orm::Condition::any()
                .add(kb_article::Column::Id.eq(root))
                .add(kb_article::Column::ParentId.eq(root)),
        )
        .filter(kb_article::Column::Status.eq(STATUS_PUBLISHED))
        .all(db)
        .await?;
    let offered = c.locales();
    let base = state.config.base_url().trim_end_matches('/').to_owned();
    let alternates = family
        .iter()
        .filter(|f| offered.contains(&f.locale))
        .map(|f| {
            (
                f.locale.clone(),
                format!("{base}{}", public_path(&c.brand.slug, &f.locale, &f.slug)),
            )
        })
        .collect();
    let cat = cats
        .iter()
        .find(|k| k.id == a.category_id)
        .ok_or(ServiceError::NotFound("Category"))?;
    let related_rows: Vec<kb_article::Model> = published(db, &c, locale, &[cat.id])
        .await?
        .into_iter()
        .filter(|r| r.id != a.id)
        .take(5)
        .collect();
    Ok(HelpArticleView {
        shell: shell(state, &c, locale),
        article: summary_view(
            &a,
            &cat.name,
            family.iter().map(|f| f.locale.clone()).collect(),
        ),
        category: category_view(cat, 0),
        body_html: a.body_html.clone(),
        alternates,
        canonical: format!("{base}{}", public_path(&c.brand.slug, &a.locale, &a.slug)),
        published_at: a.published_at.unwrap_or(a.updated_at).to_rfc3339(),
        related: summaries(&related_rows, &cats),
    })
}

/// Help center search (public articles, one hit per article).
///
/// # Errors
/// `NotFound`; database errors.
pub async fn search_page(
    state: &AppState,
    slug: &str,
    locale: &str,
    q: &str,
) -> ServiceResult<HelpSearchView> {
    let db = &state.db;
    let c = center(db, slug).await?;
    check_locale(&c, locale)?;
    let q: String = q.chars().take(200).collect();
    let hits = search::retrieve(db, c.scope, &q, Audience::Customer, locale, 30, None).await?;
    Ok(HelpSearchView {
        shell: shell(state, &c, locale),
        query: q,
        hits: search::best_per_article(hits, 10)
            .iter()
            .filter(|h| h.coverage > 0.0)
            .map(search::hit_view)
            .collect(),
    })
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// `sitemap.xml` of a help center: home per locale, categories, published public
/// articles with their last change and `hreflang` alternates.
///
/// # Errors
/// `NotFound`; database errors.
pub async fn sitemap(state: &AppState, slug: &str) -> ServiceResult<String> {
    let db = &state.db;
    let c = center(db, slug).await?;
    let base = state.config.base_url().trim_end_matches('/').to_owned();
    let cats = category_ids(db, &c).await?;
    let ids: Vec<i32> = cats.iter().map(|k| k.id).collect();
    let offered = c.locales();
    let arts = c
        .scope
        .find::<kb_article::Entity>()
        .filter(kb_article::Column::Status.eq(STATUS_PUBLISHED))
        .filter(kb_article::Column::Internal.eq(false))
        .filter(kb_article::Column::CategoryId.is_in(ids))
        .order_by_asc(kb_article::Column::Id)
        .limit(45_000)
        .all(db)
        .await?;
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n",
    );
    for l in &offered {
        out.push_str(&format!(
            "  <url><loc>{}</loc></url>\n",
            xml_escape(&format!("{base}/help/{}/{l}", c.brand.slug))
        ));
        for k in &cats {
            if arts.iter().any(|a| a.category_id == k.id && &a.locale == l) {
                out.push_str(&format!(
                    "  <url><loc>{}</loc></url>\n",
                    xml_escape(&format!(
                        "{base}/help/{}/{l}/categories/{}",
                        c.brand.slug, k.slug
                    ))
                ));
            }
        }
    }
    for a in arts.iter().filter(|a| offered.contains(&a.locale)) {
        let root = a.parent_id.unwrap_or(a.id);
        let url = format!("{base}{}", public_path(&c.brand.slug, &a.locale, &a.slug));
        out.push_str(&format!(
            "  <url><loc>{}</loc><lastmod>{}</lastmod>",
            xml_escape(&url),
            a.updated_at.format("%Y-%m-%d")
        ));
        for alt in arts
            .iter()
            .filter(|x| x.parent_id.unwrap_or(x.id) == root && offered.contains(&x.locale))
        {
            out.push_str(&format!(
                "<xhtml:link rel=\"alternate\" hreflang=\"{}\" href=\"{}\"/>",
                alt.locale,
                xml_escape(&format!(
                    "{base}{}",
                    public_path(&c.brand.slug, &alt.locale, &alt.slug)
                ))
            ));
        }
        out.push_str("</url>\n");
    }
    out.push_str("</urlset>\n");
    Ok(out)
}

/// Records a reader's vote (and comment) on a published public article.
///
/// # Errors
/// `NotFound`; `Invalid` comment; database errors.
pub async fn feedback(
    state: &AppState,
    slug: &str,
    article_id: i32,
    helpful: bool,
    comment: &str,
    visitor: Option<String>,
) -> ServiceResult<()> {
    let db = &state.db;
    let c = center(db, slug).await?;
    let a = c
        .scope
        .find::<kb_article::Entity>()
        .filter(kb_article::Column::Id.eq(article_id))
        .filter(kb_article::Column::Status.eq(STATUS_PUBLISHED))
        .filter(kb_article::Column::Internal.eq(false))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Article"))?;
    let comment = comment.trim();
    if comment.chars().count() > 2_000 {
        return Err(ServiceError::invalid(
            "comment",
            "Keep the comment under 2,000 characters.",
        ));
    }
    let uow = super::super::uow::UnitOfWork::begin(state).await?;
    kb_feedback::ActiveModel {
        workspace_id: Set(c.scope.workspace_id()),
        article_id: Set(a.id),
        helpful: Set(helpful),
        comment: Set((!comment.is_empty()).then(|| comment.to_owned())),
        locale: Set(Some(a.locale.clone())),
        visitor: Set(visitor),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(&*uow)
    .await?;
    let column = if helpful {
        kb_article::Column::Helpful
    } else {
        kb_article::Column::NotHelpful
    };
    c.scope
        .update_many::<kb_article::Entity>()
        .filter(kb_article::Column::Id.eq(a.id))
        .col_expr(column, sea_orm::sea_query::Expr::col(column).add(1))
        .exec(&*uow)
        .await?;
    uow.commit().await
}
