//! Articles: write, publish, translate, revise (diff, restore) and index.
//!
//! Every save writes the article, a revision and (for published articles) its
//! search chunks in one transaction, so search never sees a half-saved article.

use super::super::ai::kbtext;
use super::super::context::Actor;
use super::super::tenancy::Scoped;
use super::super::uow::UnitOfWork;
use super::super::{now, AppState, ServiceError, ServiceResult};
use super::structure;
use crate::permissions::Action;
use crate::types::{
    ArticleForm, ArticleSummaryView, ArticleView, DiffLineView, RevisionDiffView, RevisionView,
    STATUS_DRAFT, STATUS_PUBLISHED,
};
use entity::{kb_article, kb_brand, kb_category, kb_chunk, kb_collection, kb_revision, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TryIntoModel,
};
use std::collections::HashMap;

/// Longest section indexed as one chunk (characters).
pub const CHUNK_CHARS: usize = 1_200;

/// What to list.
#[derive(Clone, Debug, Default)]
pub struct ArticleFilter {
    /// Words in the title.
    pub query: String,
    /// `draft` / `published`; none: both.
    pub status: Option<String>,
    /// One category.
    pub category_id: Option<i32>,
    /// Only originals (no translations).
    pub originals_only: bool,
}

/// Category names by id.
async fn category_names(
    db: &impl ConnectionTrait,
    scope: Scoped,
) -> ServiceResult<HashMap<i32, String>> {
    Ok(scope
        .find::<kb_category::Entity>()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect())
}

/// Locales of each article family, keyed by the original's id.
async fn family_locales(
    db: &impl ConnectionTrait,
    scope: Scoped,
    roots: &[i32],
) -> ServiceResult<HashMap<i32, Vec<String>>> {
    let rows = scope
        .find::<kb_article::Entity>()
        .filter(
            sea_orm::Condition::any()
                .add(kb_article::Column::Id.is_in(roots.iter().copied()))
                .add(kb_article::Column::ParentId.is_in(roots.iter().copied())),
        )
        .all(db)
        .await?;
    let mut out: HashMap<i32, Vec<String>> = HashMap::new();
    for a in rows {
        out.entry(a.parent_id.unwrap_or(a.id))
            .or_default()
            .push(a.locale);
    }
    for v in out.values_mut() {
        v.sort();
        v.dedup();
    }
    Ok(out)
}

/// The listing view of an article.
pub fn summary_view(
    a: &kb_article::Model,
    category: &str,
    locales: Vec<String>,
) -> ArticleSummaryView {
    ArticleSummaryView {
        id: a.id,
        category_id: a.category_id,
        category: category.to_owned(),
        title: a.title.clone(),
        slug: a.slug.clone(),
        locale: a.locale.clone(),
        summary: a.summary.clone().unwrap_or_default(),
        status: a.status.clone(),
        internal: a.internal,
        parent_id: a.parent_id,
        locales,
        revision: a.revision,
        helpful: a.helpful,
        not_helpful: a.not_helpful,
        views: a.views,
        updated_at: a.updated_at.to_rfc3339(),
    }
}

/// Articles for the admin list.
///
/// # Errors
/// Permission; database errors.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    f: &ArticleFilter,
) -> ServiceResult<Vec<ArticleSummaryView>> {
    actor.require(Action::ViewKnowledge)?;
    let mut q = actor
        .scope
        .find::<kb_article::Entity>()
        .order_by_asc(kb_article::Column::CategoryId)
        .order_by_asc(kb_article::Column::Position)
        .order_by_asc(kb_article::Column::Id)
        .limit(500);
    if let Some(s) = &f.status {
        q = q.filter(kb_article::Column::Status.eq(s.as_str()));
    }
    if let Some(c) = f.category_id {
        q = q.filter(kb_article::Column::CategoryId.eq(c));
    }
    if f.originals_only {
        q = q.filter(kb_article::Column::ParentId.is_null());
    }
    let words = f.query.trim().to_lowercase();
    let rows: Vec<kb_article::Model> = q
        .all(db)
        .await?
        .into_iter()
        .filter(|a| words.is_empty() || a.title.to_lowercase().contains(&words))
        .collect();
    let names = category_names(db, actor.scope).await?;
    let roots: Vec<i32> = rows.iter().map(|a| a.parent_id.unwrap_or(a.id)).collect();
    let fam = family_locales(db, actor.scope, &roots).await?;
    Ok(rows
        .iter()
        .map(|a| {
            summary_view(
                a,
                names.get(&a.category_id).map_or("", String::as_str),
                fam.get(&a.parent_id.unwrap_or(a.id))
                    .cloned()
                    .unwrap_or_default(),
            )
        })
        .collect())
}

async fn find(
    db: &impl ConnectionTrait,
    scope: Scoped,
    id: i32,
) -> ServiceResult<kb_article::Model> {
    scope
        .find::<kb_article::Entity>()
        .filter(kb_article::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Article"))
}

/// The brand an article's category belongs to.
async fn brand_of(
    db: &impl ConnectionTrait,
    scope: Scoped,
    category_id: i32,
) -> ServiceResult<kb_brand::Model> {
    let cat = scope
        .find::<kb_category::Entity>()
        .filter(kb_category::Column::Id.eq(category_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Category"))?;
    let col = scope
        .find::<kb_collection::Entity>()
        .filter(kb_collection::Column::Id.eq(cat.collection_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Collection"))?;
    scope
        .find::<kb_brand::Entity>()
        .filter(kb_brand::Column::Id.eq(col.brand_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Brand"))
}

/// The public path of an article in its help center.
pub fn public_path(brand_slug: &str, locale: &str, slug: &str) -> String {
    format!("/help/{brand_slug}/{locale}/articles/{slug}")
}

/// One article for the editor.
///
/// # Errors
/// Permission; `NotFound`; database errors.
pub async fn get(state: &AppState, actor: &Actor, id: i32) -> ServiceResult<ArticleView> {
    actor.require(Action::ViewKnowledge)?;
    let db = &state.db;
    let a = find(db, actor.scope, id).await?;
    view(state, actor.scope, &a).await
}

async fn view(
    state: &AppState,
    scope: Scoped,
    a: &kb_article::Model,
) -> ServiceResult<ArticleView> {
    let db = &state.db;
    let names = category_names(db, scope).await?;
    let root = a.parent_id.unwrap_or(a.id);
    let family = scope
        .find::<kb_article::Entity>()
        .filter(
            sea_orm::Condition::any()
                .add(kb_article::Column::Id.eq(root))
                .add(kb_article::Column::ParentId.eq(root)),
        )
        .all(db)
        .await?;
    let mut locales: Vec<String> = family.iter().map(|f| f.locale.clone()).collect();
    locales.sort();
    let brand = brand_of(db, scope, a.category_id).await?;
    let public_url = (a.status == STATUS_PUBLISHED && !a.internal).then(|| {
        format!(
            "{}{}",
            state.config.base_url(),
            public_path(&brand.slug, &a.locale, &a.slug)
        )
    });
    Ok(ArticleView {
        summary: summary_view(
            a,
            names.get(&a.category_id).map_or("", String::as_str),
            locales,
        ),
        body_html: a.body_html.clone(),
        public_url,
        translations: family
            .iter()
            .filter(|f| f.id != a.id)
            .map(|f| (f.locale.clone(), f.id))
            .collect(),
    })
}

struct Clean {
    title: String,
    slug: String,
    summary: Option<String>,
    html: String,
    text: String,
    locale: String,
}

fn validate(form: &ArticleForm) -> ServiceResult<Clean> {
    let title = form.title.trim();
    let n = title.chars().count();
    if !(3..=200).contains(&n) {
        return Err(ServiceError::invalid(
            "title",
            "Give the article a title of 3 to 200 characters.",
        ));
    }
    let summary = form.summary.trim();
    if summary.chars().count() > 300 {
        return Err(ServiceError::invalid(
            "summary",
            "Keep the summary under 300 characters (search engines show about 155).",
        ));
    }
    if form.body_html.len() > super::MAX_BODY {
        return Err(ServiceError::invalid(
            "body_html",
            "The article is too long (200 KB of HTML at most).",
        ));
    }
    let html = super::sanitize(&form.body_html);
    let text = kbtext::html_to_text(&html);
    if text.trim().chars().count() < 10 {
        return Err(ServiceError::invalid(
            "body_html",
            "Write the article first (at least a sentence).",
        ));
    }
    let locale = if form.locale.trim().is_empty() {
        "en".to_owned()
    } else {
        form.locale.trim().to_lowercase()
    };
    if !super::valid_locale(&locale) {
        return Err(ServiceError::invalid(
            "locale",
            "Choose a supported language.",
        ));
    }
    Ok(Clean {
        title: title.to_owned(),
        slug: super::slug_from(&form.slug, title, "slug")?,
        summary: (!summary.is_empty()).then(|| summary.to_owned()),
        html,
        text,
        locale,
    })
}

/// Creates (`id` none) or saves an article: a new revision every time; chunks
/// re-indexed when published, removed when not.
///
/// # Errors
/// Permission; `Invalid` fields; `NotFound` category/parent/article; `Conflict`
/// for a taken slug or an existing translation; database errors.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    id: Option<i32>,
    form: &ArticleForm,
) -> ServiceResult<ArticleView> {
    actor.require(Action::ManageKnowledge)?;
    let c = validate(form)?;
    let scope = actor.scope;
    let uow = UnitOfWork::begin(state).await?;
    let existing = match id {
        Some(id) => Some(find(&*uow, scope, id).await?),
        None => None,
    };
    // A translation lives in its parent's category and is internal when it is.
    let parent = match existing.as_ref().map_or(form.parent_id, |e| e.parent_id) {
        Some(pid) => {
            let p = find(&*uow, scope, pid).await?;
            if p.parent_id.is_some() {
                return Err(ServiceError::invalid(
                    "parent_id",
                    "Translate the original article, not a translation.",
                ));
            }
            Some(p)
        }
        None => None,
    };
    let category_id = parent.as_ref().map_or(form.category_id, |p| p.category_id);
    let category = scope
        .find::<kb_category::Entity>()
        .filter(kb_category::Column::Id.eq(category_id))
        .one(&*uow)
        .await?
        .ok_or_else(|| ServiceError::invalid("category_id", "Choose a category."))?;
    if let Some(p) = &parent {
        let clash = scope
            .find::<kb_article::Entity>()
            .filter(kb_article::Column::ParentId.eq(p.id))
            .filter(kb_article::Column::Locale.eq(&c.locale))
            .one(&*uow)
            .await?;
        if clash.is_some_and(|x| Some(x.id) != id) || p.locale == c.locale {
            return Err(ServiceError::conflict(
                "locale",
                format!(
                    "This article already has a {} version.",
                    crate::types::locale_name(&c.locale)
                ),
            ));
        }
    }
    let slug_taken = scope
        .find::<kb_article::Entity>()
        .filter(kb_article::Column::CategoryId.eq(category.id))
        .filter(kb_article::Column::Locale.eq(&c.locale))
        .filter(kb_article::Column::Slug.eq(&c.slug))
        .one(&*uow)
        .await?;
    if slug_taken.is_some_and(|x| Some(x.id) != id) {
        return Err(ServiceError::conflict(
            "slug",
            format!(
                "Another article in this category uses `{}`: change the slug.",
                c.slug
            ),
        ));
    }
    let internal = parent.as_ref().map_or(form.internal, |p| p.internal);
    let t = now();
    let status = if form.publish {
        STATUS_PUBLISHED
    } else {
        STATUS_DRAFT
    };
    let mut am = match &existing {
        Some(e) => e.clone().into_active_model(),
        None => kb_article::ActiveModel {
            workspace_id: Set(scope.workspace_id()),
            parent_id: Set(parent.as_ref().map(|p| p.id)),
            revision: Set(0),
            helpful: Set(0),
            not_helpful: Set(0),
            views: Set(0),
            position: Set(i32::try_from(
                scope
                    .find::<kb_article::Entity>()
                    .filter(kb_article::Column::CategoryId.eq(category.id))
                    .count(&*uow)
                    .await?,
            )
            .unwrap_or(i32::MAX)),
            created_at: Set(t),
            published_at: Set(None),
            ..Default::default()
        },
    };
    let revision = existing.as_ref().map_or(0, |e| e.revision) + 1;
    am.category_id = Set(category.id);
    am.locale = Set(c.locale.clone());
    am.title = Set(c.title.clone());
    am.slug = Set(c.slug.clone());
    am.summary = Set(c.summary.clone());
    am.body_html = Set(c.html.clone());
    am.body_text = Set(c.text.clone());
    am.status = Set(status.to_owned());
    am.internal = Set(internal);
    am.revision = Set(revision);
    am.author_id = Set(Some(actor.user_id));
    am.updated_at = Set(t);
    if form.publish && existing.as_ref().is_none_or(|e| e.published_at.is_none()) {
        am.published_at = Set(Some(t));
    }
    let a = am.save(&*uow).await?.try_into_model()?;
    // Translations follow their original's category and audience.
    if parent.is_none() {
        scope
            .update_many::<kb_article::Entity>()
            .filter(kb_article::Column::ParentId.eq(a.id))
            .col_expr(
                kb_article::Column::CategoryId,
                sea_orm::sea_query::Expr::value(a.category_id),
            )
            .col_expr(
                kb_article::Column::Internal,
                sea_orm::sea_query::Expr::value(a.internal),
            )
            .exec(&*uow)
            .await?;
    }
    kb_revision::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        article_id: Set(a.id),
        number: Set(revision),
        title: Set(a.title.clone()),
        summary: Set(a.summary.clone()),
        body_html: Set(a.body_html.clone()),
        status: Set(a.status.clone()),
        internal: Set(a.internal),
        author_id: Set(Some(actor.user_id)),
        note: Set(
            (!form.note.trim().is_empty()).then(|| form.note.trim().chars().take(200).collect())
        ),
        created_at: Set(t),
        ..Default::default()
    }
    .insert(&*uow)
    .await?;
    reindex(&*uow, scope, &a).await?;
    if parent.is_none() {
        for child in scope
            .find::<kb_article::Entity>()
            .filter(kb_article::Column::ParentId.eq(a.id))
            .all(&*uow)
            .await?
        {
            reindex(&*uow, scope, &child).await?;
        }
    }
    uow.commit().await?;
    view(state, scope, &a).await
}

/// Replaces an article's search chunks (none unless published).
///
/// # Errors
/// Database errors.
pub async fn reindex(
    db: &impl ConnectionTrait,
    scope: Scoped,
    a: &kb_article::Model,
) -> ServiceResult<usize> {
    scope
        .delete_many::<kb_chunk::Entity>()
        .filter(kb_chunk::Column::ArticleId.eq(a.id))
        .exec(db)
        .await?;
    if a.status != STATUS_PUBLISHED {
        return Ok(0);
    }
    let chunks = kbtext::chunk_html(&a.title, &a.body_html, CHUNK_CHARS);
    let t = now();
    let n = chunks.len();
    for c in chunks {
        kb_chunk::ActiveModel {
            workspace_id: Set(scope.workspace_id()),
            article_id: Set(a.id),
            position: Set(i32::try_from(c.position).unwrap_or(i32::MAX)),
            heading: Set(c.heading),
            anchor: Set(c.anchor),
            text: Set(c.text),
            locale: Set(a.locale.clone()),
            internal: Set(a.internal),
            embedding: Set(None),
            embedding_model: Set(None),
            created_at: Set(t),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(n)
}

/// Publishes or unpublishes without editing (a new revision records it).
///
/// # Errors
/// Permission; `NotFound`; database errors.
pub async fn set_published(
    state: &AppState,
    actor: &Actor,
    id: i32,
    publish: bool,
) -> ServiceResult<ArticleView> {
    actor.require(Action::ManageKnowledge)?;
    let a = find(&state.db, actor.scope, id).await?;
    let form = ArticleForm {
        category_id: a.category_id,
        title: a.title.clone(),
        slug: a.slug.clone(),
        summary: a.summary.clone().unwrap_or_default(),
        body_html: a.body_html.clone(),
        internal: a.internal,
        publish,
        locale: a.locale.clone(),
        parent_id: a.parent_id,
        note: if publish {
            "Published".into()
        } else {
            "Unpublished".into()
        },
    };
    save(state, actor, Some(id), &form).await
}

/// Deletes an article with its translations, revisions and chunks.
///
/// # Errors
/// Permission; `NotFound`; database errors.
pub async fn delete(state: &AppState, actor: &Actor, id: i32) -> ServiceResult<()> {
    actor.require(Action::ManageKnowledge)?;
    let uow = UnitOfWork::begin(state).await?;
    let a = find(&*uow, actor.scope, id).await?;
    let ids: Vec<i32> = actor
        .scope
        .find::<kb_article::Entity>()
        .filter(
            sea_orm::Condition::any()
                .add(kb_article::Column::Id.eq(a.id))
                .add(kb_article::Column::ParentId.eq(a.id)),
        )
        .all(&*uow)
        .await?
        .into_iter()
        .map(|x| x.id)
        .collect();
    actor
        .scope
        .delete_many::<kb_chunk::Entity>()
        .filter(kb_chunk::Column::ArticleId.is_in(ids.clone()))
        .exec(&*uow)
        .await?;
    actor
        .scope
        .delete_many::<kb_revision::Entity>()
        .filter(kb_revision::Column::ArticleId.is_in(ids.clone()))
        .exec(&*uow)
        .await?;
    actor
        .scope
        .delete_many::<entity::kb_feedback::Entity>()
        .filter(entity::kb_feedback::Column::ArticleId.is_in(ids.clone()))
        .exec(&*uow)
        .await?;
    actor
        .scope
        .delete_many::<kb_article::Entity>()
        .filter(kb_article::Column::ParentId.eq(a.id))
        .exec(&*uow)
        .await?;
    actor
        .scope
        .delete_many::<kb_article::Entity>()
        .filter(kb_article::Column::Id.eq(a.id))
        .exec(&*uow)
        .await?;
    uow.commit().await
}

/// An article's revisions, newest first.
///
/// # Errors
/// Permission; `NotFound`; database errors.
pub async fn revisions(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: i32,
) -> ServiceResult<Vec<RevisionView>> {
    actor.require(Action::ViewKnowledge)?;
    let a = find(db, actor.scope, id).await?;
    let revs = actor
        .scope
        .find::<kb_revision::Entity>()
        .filter(kb_revision::Column::ArticleId.eq(a.id))
        .order_by_desc(kb_revision::Column::Number)
        .all(db)
        .await?;
    let authors: HashMap<i32, String> = super::super::tenancy::global::<user::Entity>()
        .filter(user::Column::Id.is_in(revs.iter().filter_map(|r| r.author_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    Ok(revs
        .into_iter()
        .map(|r| RevisionView {
            id: r.id,
            number: r.number,
            title: r.title,
            status: r.status,
            author: r
                .author_id
                .and_then(|i| authors.get(&i).cloned())
                .unwrap_or_else(|| "Switchboard".into()),
            note: r.note.unwrap_or_default(),
            created_at: r.created_at.to_rfc3339(),
        })
        .collect())
}

async fn revision(
    db: &impl ConnectionTrait,
    scope: Scoped,
    article_id: i32,
    number: i32,
) -> ServiceResult<kb_revision::Model> {
    scope
        .find::<kb_revision::Entity>()
        .filter(kb_revision::Column::ArticleId.eq(article_id))
        .filter(kb_revision::Column::Number.eq(number))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Revision"))
}

fn revision_text(r: &kb_revision::Model) -> String {
    format!(
        "# {}\n{}\n{}",
        r.title,
        r.summary.clone().unwrap_or_default(),
        kbtext::html_to_text(&r.body_html)
    )
}

/// The line diff between two revisions (title, summary and text), with long
/// unchanged runs shortened to their edges.
///
/// # Errors
/// Permission; `NotFound`; database errors.
pub async fn diff(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: i32,
    from: i32,
    to: i32,
) -> ServiceResult<RevisionDiffView> {
    actor.require(Action::ViewKnowledge)?;
    let a = find(db, actor.scope, id).await?;
    let old = revision(db, actor.scope, a.id, from).await?;
    let new = revision(db, actor.scope, a.id, to).await?;
    let ops = kbtext::diff_lines(&revision_text(&old), &revision_text(&new));
    let (added, removed) = kbtext::diff_stats(&ops);
    let mut lines = Vec::new();
    let mut i = 0;
    while i < ops.len() {
        if let kbtext::DiffOp::Same(_) = &ops[i] {
            let start = i;
            while i < ops.len() && matches!(ops[i], kbtext::DiffOp::Same(_)) {
                i += 1;
            }
            let run = &ops[start..i];
            let push_same = |lines: &mut Vec<DiffLineView>, op: &kbtext::DiffOp| {
                if let kbtext::DiffOp::Same(t) = op {
                    lines.push(DiffLineView {
                        kind: "same".into(),
                        text: t.clone(),
                    });
                }
            };
            if run.len() > 6 {
                for op in &run[..2] {
                    push_same(&mut lines, op);
                }
                lines.push(DiffLineView {
                    kind: "skip".into(),
                    text: format!("… {} unchanged lines …", run.len() - 4),
                });
                for op in &run[run.len() - 2..] {
                    push_same(&mut lines, op);
                }
            } else {
                for op in run {
                    push_same(&mut lines, op);
                }
            }
            continue;
        }
        match &ops[i] {
            kbtext::DiffOp::Added(t) => lines.push(DiffLineView {
                kind: "added".into(),
                text: t.clone(),
            }),
            kbtext::DiffOp::Removed(t) => lines.push(DiffLineView {
                kind: "removed".into(),
                text: t.clone(),
            }),
            kbtext::DiffOp::Same(_) => {}
        }
        i += 1;
    }
    Ok(RevisionDiffView {
        from,
        to,
        added,
        removed,
        lines,
    })
}

/// Restores an old revision's content as a new revision (keeping the current
/// publication status).
///
/// # Errors
/// Permission; `NotFound`; database errors.
pub async fn restore(
    state: &AppState,
    actor: &Actor,
    id: i32,
    number: i32,
) -> ServiceResult<ArticleView> {
    actor.require(Action::ManageKnowledge)?;
    let a = find(&state.db, actor.scope, id).await?;
    let r = revision(&state.db, actor.scope, a.id, number).await?;
    let form = ArticleForm {
        category_id: a.category_id,
        title: r.title,
        slug: a.slug.clone(),
        summary: r.summary.unwrap_or_default(),
        body_html: r.body_html,
        internal: a.internal,
        publish: a.status == STATUS_PUBLISHED,
        locale: a.locale.clone(),
        parent_id: a.parent_id,
        note: format!("Restored revision {number}"),
    };
    save(state, actor, Some(id), &form).await
}

/// Makes sure the workspace has a brand, and returns the categories to choose from
/// in the editor: (id, "Collection › Category").
///
/// # Errors
/// Permission; database errors.
pub async fn category_choices(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> ServiceResult<Vec<(i32, String)>> {
    let tree = structure::tree(db, actor).await?;
    Ok(tree
        .iter()
        .flat_map(|c| {
            c.categories
                .iter()
                .map(move |k| (k.id, format!("{} › {}", c.name, k.name)))
        })
        .collect())
}
