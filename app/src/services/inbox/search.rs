//! Full-text search over conversation subjects, messages and customers, using the
//! database's own index behind one trait: SQLite FTS5 (external-content tables kept
//! in step by triggers) or PostgreSQL `tsvector` with GIN indexes. Either way the
//! index changes inside the transaction that changes the rows.

use super::super::context::Actor;
use super::super::{ServiceError, ServiceResult};
use crate::permissions::Action;
use crate::types::{ticket_ref, SearchHit, Status};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};

/// What to search and how to narrow it.
#[derive(Clone, Debug, Default)]
pub struct SearchQuery {
    /// Words typed by the person.
    pub text: String,
    /// Only these kinds (`conversation`, `message`, `customer`); empty: all.
    pub kinds: Vec<String>,
    /// Only conversations with this status.
    pub status: Option<Status>,
    /// Include internal notes (agents yes; customer-facing surfaces never).
    pub include_notes: bool,
    /// At most this many hits per kind.
    pub limit: u64,
}

/// Marks around matches before escaping (control characters never in user text).
const START: char = '\u{2}';
const STOP: char = '\u{3}';

/// A full-text index implementation.
#[async_trait::async_trait]
pub trait SearchIndex: Send + Sync {
    /// Searches one workspace.
    ///
    /// # Errors
    /// Database errors.
    async fn search(
        &self,
        db: &(dyn ConnectionTrait + Sync),
        workspace_id: i32,
        terms: &[String],
        q: &SearchQuery,
    ) -> ServiceResult<Vec<SearchHit>>;
}

/// The implementation for a database backend.
pub fn index_for(backend: DbBackend) -> &'static dyn SearchIndex {
    match backend {
        DbBackend::Postgres => &PostgresTsvector,
        _ => &SqliteFts5,
    }
}

/// Words of the query: letters and digits only, so no operator syntax of either
/// engine can be injected; at most 8.
pub fn terms(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(8)
        .map(str::to_lowercase)
        .collect()
}

/// Escapes text for HTML, turning the match marks into `<mark>`.
pub fn highlight(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 16);
    for ch in raw.chars() {
        match ch {
            START => out.push_str("<mark>"),
            STOP => out.push_str("</mark>"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Searches for the actor.
///
/// # Errors
/// Permission; `Invalid` without words; database errors.
pub async fn search(
    db: &(dyn ConnectionTrait + Sync),
    actor: &Actor,
    q: &SearchQuery,
) -> ServiceResult<Vec<SearchHit>> {
    actor.require(Action::ViewInbox)?;
    let t = terms(&q.text);
    if t.is_empty() {
        return Err(ServiceError::invalid("q", "Type a word to search for."));
    }
    index_for(db.get_database_backend())
        .search(db, actor.scope.workspace_id(), &t, q)
        .await
}

fn wants(q: &SearchQuery, kind: &str) -> bool {
    q.kinds.is_empty() || q.kinds.iter().any(|k| k == kind)
}

fn hit(r: &QueryResult, kind: &str) -> ServiceResult<SearchHit> {
    let number: Option<i32> = r.try_get("", "number")?;
    let title: String = r.try_get("", "title")?;
    let snippet: String = r.try_get("", "snippet")?;
    let customer_id: Option<i32> = r.try_get("", "customer_id")?;
    let at: chrono::DateTime<chrono::Utc> = r.try_get("", "at")?;
    Ok(SearchHit {
        kind: kind.to_owned(),
        number,
        customer_id,
        title: match number {
            Some(n) if kind != "customer" => format!("{} · {}", ticket_ref(n), title),
            _ => title,
        },
        snippet_html: highlight(&snippet),
        at: at.to_rfc3339(),
    })
}

/// SQLite FTS5.
pub struct SqliteFts5;

#[async_trait::async_trait]
impl SearchIndex for SqliteFts5 {
    async fn search(
        &self,
        db: &(dyn ConnectionTrait + Sync),
        ws: i32,
        terms: &[String],
        q: &SearchQuery,
    ) -> ServiceResult<Vec<SearchHit>> {
        let limit = q.limit.clamp(1, 50) as i64;
        let status = q.status.map(|s| s.as_str().to_owned());
        let mut out = Vec::new();
        for kind in ["conversation", "message", "customer"] {
            if !wants(q, kind) || (kind == "customer" && q.status.is_some()) {
                continue;
            }
            // Whole words first: FTS5 walks one term's postings newest first and
            // stops at the limit, whereas a prefix (`"order"*`) merges the postings
            // of every word it covers (order, orders, ordered …) before the first
            // row comes out. The prefix runs only when whole words find too few.
            let mut hits =
                sqlite_kind(db, ws, kind, &fts5_match(terms, false), q, &status, limit).await?;
            if (hits.len() as i64) < limit {
                hits =
                    sqlite_kind(db, ws, kind, &fts5_match(terms, true), q, &status, limit).await?;
            }
            out.extend(hits);
        }
        Ok(out)
    }
}

/// `"word1" "word2"`: every word must match; with `prefix`, the last one as a
/// prefix (`"word2"*`).
fn fts5_match(terms: &[String], prefix: bool) -> String {
    let last = terms.len().saturating_sub(1);
    terms
        .iter()
        .enumerate()
        .map(|(i, t)| {
            if prefix && i == last {
                format!("\"{t}\"*")
            } else {
                format!("\"{t}\"")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// One kind's newest hits for an FTS5 match expression.
async fn sqlite_kind(
    db: &(dyn ConnectionTrait + Sync),
    ws: i32,
    kind: &str,
    m: &str,
    q: &SearchQuery,
    status: &Option<String>,
    limit: i64,
) -> ServiceResult<Vec<SearchHit>> {
    let (s0, s1) = (START.to_string(), STOP.to_string());
    let (sql, vals): (&str, Vec<Value>) = match kind {
        "conversation" => (
            "SELECT c.number AS number, c.subject AS title, \
             snippet(conversations_fts, 0, ?, ?, '…', 16) AS snippet, \
             c.customer_id AS customer_id, c.updated_at AS at \
             FROM conversations_fts JOIN conversations c ON c.id = conversations_fts.rowid \
             WHERE conversations_fts MATCH ? AND c.workspace_id = ? AND c.merged_into_id IS NULL \
             AND (? IS NULL OR c.status = ?) \
             ORDER BY conversations_fts.rowid DESC LIMIT ?",
            vec![
                s0.into(),
                s1.into(),
                m.into(),
                ws.into(),
                status.clone().into(),
                status.clone().into(),
                limit.into(),
            ],
        ),
        "message" => (
            "SELECT c.number AS number, c.subject AS title, \
             snippet(messages_fts, 0, ?, ?, '…', 16) AS snippet, \
             c.customer_id AS customer_id, m.created_at AS at \
             FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid \
             JOIN conversations c ON c.id = m.conversation_id \
             WHERE messages_fts MATCH ? AND m.workspace_id = ? \
             AND (? = 1 OR m.kind = 'reply') \
             AND (? IS NULL OR c.status = ?) \
             ORDER BY messages_fts.rowid DESC LIMIT ?",
            vec![
                s0.into(),
                s1.into(),
                m.into(),
                ws.into(),
                i32::from(q.include_notes).into(),
                status.clone().into(),
                status.clone().into(),
                limit.into(),
            ],
        ),
        _ => (
            "SELECT NULL AS number, cu.name AS title, \
             coalesce(cu.email, '') AS snippet, cu.id AS customer_id, cu.updated_at AS at \
             FROM customers_fts JOIN customers cu ON cu.id = customers_fts.rowid \
             WHERE customers_fts MATCH ? AND cu.workspace_id = ? AND cu.merged_into_id IS NULL \
             ORDER BY customers_fts.rowid DESC LIMIT ?",
            vec![m.into(), ws.into(), limit.into()],
        ),
    };
    db.query_all(Statement::from_sql_and_values(DbBackend::Sqlite, sql, vals))
        .await?
        .iter()
        .map(|r| hit(r, kind))
        .collect()
}

/// PostgreSQL: stored `tsvector` columns with GIN indexes.
///
/// The planner picks the plan per word: a common word is found by reading the
/// newest rows backwards until the page is full, a rare one through the GIN index
/// (its posting list is short). That choice rests on the column's statistics,
/// which are kept for 1,000 lexemes' worth of detail (`SET STATISTICS 1000`, see
/// the `search_speed` migration): with the default, every word outside the few
/// hundred most common got the same estimate, and a rare word was looked for by
/// reading every row.
pub struct PostgresTsvector;

#[async_trait::async_trait]
impl SearchIndex for PostgresTsvector {
    /// Whole words first, then the last word as a prefix (see [`SqliteFts5`]).
    async fn search(
        &self,
        db: &(dyn ConnectionTrait + Sync),
        ws: i32,
        terms: &[String],
        q: &SearchQuery,
    ) -> ServiceResult<Vec<SearchHit>> {
        let limit = q.limit.clamp(1, 50) as i64;
        let status = q.status.map(|s| s.as_str().to_owned());
        let mut out = Vec::new();
        for kind in ["conversation", "message", "customer"] {
            if !wants(q, kind) || (kind == "customer" && q.status.is_some()) {
                continue;
            }
            let mut hits = pg_kind(db, ws, kind, &tsquery(terms, false), q, &status, limit).await?;
            if (hits.len() as i64) < limit {
                hits = pg_kind(db, ws, kind, &tsquery(terms, true), q, &status, limit).await?;
            }
            out.extend(hits);
        }
        Ok(out)
    }
}

/// `word1 & word2`; with `prefix`, the last word as a prefix (`word2:*`).
fn tsquery(terms: &[String], prefix: bool) -> String {
    let last = terms.len().saturating_sub(1);
    terms
        .iter()
        .enumerate()
        .map(|(i, t)| {
            if prefix && i == last {
                format!("{t}:*")
            } else {
                t.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" & ")
}

/// One kind's newest hits for a `tsquery`.
async fn pg_kind(
    db: &(dyn ConnectionTrait + Sync),
    ws: i32,
    kind: &str,
    tsq: &str,
    q: &SearchQuery,
    status: &Option<String>,
    limit: i64,
) -> ServiceResult<Vec<SearchHit>> {
    let hl = format!("StartSel={START}, StopSel={STOP}, MaxWords=24, MinWords=8, MaxFragments=1");
    let (sql, vals): (&str, Vec<Value>) = match kind {
        "conversation" => (
            "SELECT c.number AS number, c.subject AS title, \
             ts_headline('simple', c.subject, to_tsquery('simple', $1), $2) AS snippet, \
             c.customer_id AS customer_id, c.updated_at AS at \
             FROM conversations c \
             WHERE c.search_tsv @@ to_tsquery('simple', $1) \
             AND c.workspace_id = $3 AND c.merged_into_id IS NULL \
             AND ($4::text IS NULL OR c.status = $4) \
             ORDER BY c.id DESC LIMIT $5",
            vec![
                tsq.into(),
                hl.into(),
                ws.into(),
                status.clone().into(),
                limit.into(),
            ],
        ),
        "message" => (
            // The newest matching messages first, then headline only those.
            "WITH hits AS ( \
               SELECT m.id, m.conversation_id, m.body_text, m.created_at FROM messages m \
               WHERE m.search_tsv @@ to_tsquery('simple', $1) \
               AND m.workspace_id = $3 AND ($4 OR m.kind = 'reply') \
               ORDER BY m.id DESC LIMIT $6) \
             SELECT c.number AS number, c.subject AS title, \
             ts_headline('simple', h.body_text, to_tsquery('simple', $1), $2) AS snippet, \
             c.customer_id AS customer_id, h.created_at AS at \
             FROM hits h JOIN conversations c ON c.id = h.conversation_id \
             WHERE ($5::text IS NULL OR c.status = $5) ORDER BY h.id DESC",
            vec![
                tsq.into(),
                hl.into(),
                ws.into(),
                q.include_notes.into(),
                status.clone().into(),
                limit.into(),
            ],
        ),
        // Customers: always through the GIN index (`id + 0` rules out walking the
        // primary key). Names and emails have a small vocabulary, so a word found in
        // none of them got the estimate of a rare one, and the planner read all
        // 100,000 customers backwards looking for it (20–28 ms, twice per search).
        _ => (
            "SELECT NULL::int AS number, cu.name AS title, coalesce(cu.email, '') AS snippet, \
             cu.id AS customer_id, cu.updated_at AS at FROM customers cu \
             WHERE cu.search_tsv @@ to_tsquery('simple', $1) \
             AND cu.workspace_id = $2 AND cu.merged_into_id IS NULL ORDER BY cu.id + 0 DESC LIMIT $3",
            vec![tsq.into(), ws.into(), limit.into()],
        ),
    };
    db.query_all(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        vals,
    ))
    .await?
    .iter()
    .map(|r| hit(r, kind))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_cannot_be_injected() {
        assert_eq!(
            terms("refund\" OR * NEAR(x) & !y:*"),
            vec!["refund", "or", "near", "x", "y"]
        );
        assert!(terms("  ** \"\" ").is_empty());
    }

    #[test]
    fn snippets_are_escaped_around_marks() {
        assert_eq!(
            highlight("a <b> \u{2}refund\u{3} & more"),
            "a &lt;b&gt; <mark>refund</mark> &amp; more"
        );
    }
}
