//! Retrieval over article chunks: the database's full-text index behind one trait
//! (SQLite FTS5 with Porter stemming and BM25; PostgreSQL `tsvector` with
//! `ts_rank_cd`), then one re-ranking in Rust that is the same on both databases
//! (`ai::ranking`: weighted query-term coverage of the section, its heading and
//! its article, plus the engine's rank), optionally fused with embedding
//! similarity when a provider computed chunk vectors.
//!
//! Customers only ever retrieve public articles; internal ones are for agents.

use super::super::ai::{extractive, ranking, textutil};
use super::super::tenancy::Scoped;
use super::super::ServiceResult;
use entity::{kb_article, kb_brand, kb_category, kb_chunk, kb_collection};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, QueryFilter, Statement, Value};
use std::collections::HashMap;

/// Who the results are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Public articles only.
    Customer,
    /// Public and internal articles.
    Agent,
}

/// A retrieved chunk with its article and link.
#[derive(Clone, Debug)]
pub struct Retrieved {
    /// Chunk id.
    pub chunk_id: i32,
    /// Article id.
    pub article_id: i32,
    /// Article title.
    pub title: String,
    /// Section heading.
    pub heading: String,
    /// Section text.
    pub text: String,
    /// Link: the help center URL with the section anchor (internal articles: the
    /// admin editor).
    pub url: String,
    /// Agent-only article.
    pub internal: bool,
    /// Relevance 0–1 (coverage-based; comparable across databases).
    pub score: f64,
    /// Fraction of the query's content terms found in title, heading and text.
    pub coverage: f64,
}

impl Retrieved {
    /// As an extractive passage.
    pub fn passage(&self) -> extractive::Passage {
        extractive::Passage {
            title: self.title.clone(),
            heading: self.heading.clone(),
            text: self.text.clone(),
            url: self.url.clone(),
            score: self.score,
        }
    }
}

/// A full-text index over `kb_chunks`.
#[async_trait::async_trait]
pub trait KbIndex: Send + Sync {
    /// Candidate chunk ids with the engine's own score (higher is better).
    ///
    /// # Errors
    /// Database errors.
    async fn candidates(
        &self,
        db: &(dyn ConnectionTrait + Sync),
        workspace_id: i32,
        terms: &[String],
        audience: Audience,
        locale: &str,
        limit: u64,
    ) -> ServiceResult<Vec<(i32, f64)>>;
}

/// The implementation for a database backend.
pub fn index_for(backend: DbBackend) -> &'static dyn KbIndex {
    match backend {
        DbBackend::Postgres => &PostgresKb,
        _ => &SqliteKb,
    }
}

/// SQLite FTS5 (BM25 with the heading weighted 3×).
pub struct SqliteKb;

#[async_trait::async_trait]
impl KbIndex for SqliteKb {
    async fn candidates(
        &self,
        db: &(dyn ConnectionTrait + Sync),
        ws: i32,
        terms: &[String],
        audience: Audience,
        locale: &str,
        limit: u64,
    ) -> ServiceResult<Vec<(i32, f64)>> {
        let m = terms
            .iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(" OR ");
        let sql = "SELECT c.id AS id, -bm25(kb_chunks_fts, 3.0, 1.0) AS score \
                   FROM kb_chunks_fts JOIN kb_chunks c ON c.id = kb_chunks_fts.rowid \
                   WHERE kb_chunks_fts MATCH ? AND c.workspace_id = ? AND c.locale = ? \
                   AND (c.internal = 0 OR ?) ORDER BY score DESC, c.id LIMIT ?";
        let rows = db
            .query_all(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                sql,
                [
                    Value::from(m),
                    Value::from(ws),
                    Value::from(locale.to_owned()),
                    Value::from(audience == Audience::Agent),
                    Value::from(i64::try_from(limit).unwrap_or(20)),
                ],
            ))
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get::<i32>("", "id")?, r.try_get::<f64>("", "score")?)))
            .collect()
    }
}

/// PostgreSQL `tsvector` (English configuration) ranked with `ts_rank_cd`.
pub struct PostgresKb;

#[async_trait::async_trait]
impl KbIndex for PostgresKb {
    async fn candidates(
        &self,
        db: &(dyn ConnectionTrait + Sync),
        ws: i32,
        terms: &[String],
        audience: Audience,
        locale: &str,
        limit: u64,
    ) -> ServiceResult<Vec<(i32, f64)>> {
        let q = terms.join(" | ");
        let sql = "SELECT c.id AS id, ts_rank_cd(to_tsvector('english', c.heading || ' ' || c.text), q)::float8 AS score \
                   FROM kb_chunks c, to_tsquery('english', $1) q \
                   WHERE to_tsvector('english', c.heading || ' ' || c.text) @@ q \
                   AND c.workspace_id = $2 AND c.locale = $3 AND (c.internal = false OR $4) \
                   ORDER BY score DESC, c.id LIMIT $5";
        let rows = db
            .query_all(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                [
                    Value::from(q),
                    Value::from(ws),
                    Value::from(locale.to_owned()),
                    Value::from(audience == Audience::Agent),
                    Value::from(i64::try_from(limit).unwrap_or(20)),
                ],
            ))
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get::<i32>("", "id")?, r.try_get::<f64>("", "score")?)))
            .collect()
    }
}

/// How many candidates the index returns before re-ranking.
const CANDIDATES: u64 = 24;

/// Retrieves the best chunks for `query`, at most `limit`, best first.
///
/// `query_embedding` (from the configured embeddings model) adds chunks whose
/// stored vectors are similar and blends similarity into the score.
///
/// # Errors
/// Database errors.
pub async fn retrieve<C: ConnectionTrait + Sync>(
    db: &C,
    scope: Scoped,
    query: &str,
    audience: Audience,
    locale: &str,
    limit: usize,
    query_embedding: Option<&[f32]>,
) -> ServiceResult<Vec<Retrieved>> {
    let terms = textutil::fts_query(query, 12);
    let mut cands: Vec<(i32, f64)> = if terms.is_empty() {
        Vec::new()
    } else {
        index_for(db.get_database_backend())
            .candidates(
                db,
                scope.workspace_id(),
                &terms,
                audience,
                locale,
                CANDIDATES,
            )
            .await?
    };
    let mut similarity: HashMap<i32, f64> = HashMap::new();
    if let Some(qv) = query_embedding {
        let mut q = scope
            .find::<kb_chunk::Entity>()
            .filter(kb_chunk::Column::Locale.eq(locale))
            .filter(kb_chunk::Column::Embedding.is_not_null());
        if audience == Audience::Customer {
            q = q.filter(kb_chunk::Column::Internal.eq(false));
        }
        let mut scored: Vec<(i32, f64)> = q
            .all(db)
            .await?
            .into_iter()
            .filter_map(|c| {
                let v: Vec<f32> = serde_json::from_str(c.embedding.as_deref()?).ok()?;
                Some((c.id, cosine(qv, &v)))
            })
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1));
        for (id, s) in scored.into_iter().take(8) {
            similarity.insert(id, s);
            if !cands.iter().any(|(c, _)| *c == id) {
                cands.push((id, 0.0));
            }
        }
    }
    if cands.is_empty() {
        return Ok(Vec::new());
    }
    let rank: HashMap<i32, usize> = cands
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (*id, i))
        .collect();
    let chunks = scope
        .find::<kb_chunk::Entity>()
        .filter(kb_chunk::Column::Id.is_in(cands.iter().map(|c| c.0)))
        .all(db)
        .await?;
    let links = Links::load(db, scope, chunks.iter().map(|c| c.article_id)).await?;
    let chunks: Vec<(kb_chunk::Model, String, String)> = chunks
        .into_iter()
        .filter_map(|c| {
            let (title, url) = links.of(c.article_id, &c.anchor)?;
            Some((c, title, url))
        })
        .collect();
    let cands: Vec<ranking::Candidate<'_>> = chunks
        .iter()
        .map(|(c, title, _)| ranking::Candidate {
            article: c.article_id,
            title,
            heading: &c.heading,
            text: &c.text,
            index_rank: rank.get(&c.id).copied().unwrap_or(CANDIDATES as usize),
            similarity: similarity.get(&c.id).copied(),
        })
        .collect();
    let relevance = ranking::rescore(query, &cands, CANDIDATES as usize);
    let mut out: Vec<Retrieved> = chunks
        .into_iter()
        .zip(relevance)
        .map(|((c, title, url), r)| Retrieved {
            chunk_id: c.id,
            article_id: c.article_id,
            title,
            heading: c.heading,
            text: c.text,
            url,
            internal: c.internal,
            score: r.score,
            coverage: r.coverage,
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.chunk_id.cmp(&b.chunk_id))
    });
    out.truncate(limit);
    Ok(out)
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    if a.len() != b.len() || a.is_empty() {
        return 0.0;
    }
    let (mut dot, mut na, mut nb) = (0f64, 0f64, 0f64);
    for (x, y) in a.iter().zip(b) {
        dot += f64::from(*x) * f64::from(*y);
        na += f64::from(*x) * f64::from(*x);
        nb += f64::from(*y) * f64::from(*y);
    }
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na.sqrt() * nb.sqrt())
    }
}

/// Titles and links of articles (by id), resolved through category → collection →
/// brand in four queries.
pub struct Links {
    articles: HashMap<i32, (String, String, String, bool, i32)>,
    brand_of_category: HashMap<i32, String>,
    base: String,
}

impl Links {
    /// Loads what the links of these articles need.
    ///
    /// # Errors
    /// Database errors.
    pub async fn load<C: ConnectionTrait + Sync>(
        db: &C,
        scope: Scoped,
        ids: impl Iterator<Item = i32>,
    ) -> ServiceResult<Self> {
        let arts = scope
            .find::<kb_article::Entity>()
            .filter(kb_article::Column::Id.is_in(ids.collect::<Vec<_>>()))
            .all(db)
            .await?;
        let cats = scope
            .find::<kb_category::Entity>()
            .filter(kb_category::Column::Id.is_in(arts.iter().map(|a| a.category_id)))
            .all(db)
            .await?;
        let cols = scope
            .find::<kb_collection::Entity>()
            .filter(kb_collection::Column::Id.is_in(cats.iter().map(|c| c.collection_id)))
            .all(db)
            .await?;
        let brands: HashMap<i32, String> = scope
            .find::<kb_brand::Entity>()
            .all(db)
            .await?
            .into_iter()
            .map(|b| (b.id, b.slug))
            .collect();
        let col_brand: HashMap<i32, i32> = cols.iter().map(|c| (c.id, c.brand_id)).collect();
        Ok(Self {
            brand_of_category: cats
                .iter()
                .filter_map(|k| {
                    let b = col_brand.get(&k.collection_id)?;
                    Some((k.id, brands.get(b)?.clone()))
                })
                .collect(),
            articles: arts
                .into_iter()
                .map(|a| (a.id, (a.title, a.slug, a.locale, a.internal, a.category_id)))
                .collect(),
            base: String::new(),
        })
    }

    /// Makes links absolute.
    #[must_use]
    pub fn with_base(mut self, base: &str) -> Self {
        base.trim_end_matches('/').clone_into(&mut self.base);
        self
    }

    /// (title, link with anchor) of an article.
    pub fn of(&self, article_id: i32, anchor: &str) -> Option<(String, String)> {
        let (title, slug, locale, internal, cat) = self.articles.get(&article_id)?;
        let hash = if anchor.is_empty() {
            String::new()
        } else {
            format!("#{anchor}")
        };
        let url = if *internal {
            format!("{}/app/kb/articles/{article_id}", self.base)
        } else {
            format!(
                "{}{}{hash}",
                self.base,
                super::articles::public_path(self.brand_of_category.get(cat)?, locale, slug)
            )
        };
        Some((title.clone(), url))
    }
}

/// The hit view of a retrieved chunk.
pub fn hit_view(r: &Retrieved) -> crate::types::KbHitView {
    crate::types::KbHitView {
        article_id: r.article_id,
        title: r.title.clone(),
        heading: r.heading.clone(),
        excerpt: super::super::ai::kbtext::excerpt(&r.text, 220),
        url: r.url.clone(),
        internal: r.internal,
        score: (r.score * 100.0).round() / 100.0,
    }
}

/// One hit per article (its best section), best first.
pub fn best_per_article(hits: Vec<Retrieved>, limit: usize) -> Vec<Retrieved> {
    let mut seen = std::collections::HashSet::new();
    hits.into_iter()
        .filter(|h| seen.insert(h.article_id))
        .take(limit)
        .collect()
}
