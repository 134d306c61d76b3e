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
        // "word1" "word2"* — every word must match, the last as a prefix.
        let last = terms.len() - 1;
        let m: String = terms
            .iter()
            .enumerate()
            .map(|(i, t)| {
                if i == last {
                    format!("\"{t}\"*")
                } else {
                    format!("\"{t}\"")
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        let limit = q.limit.clamp(1, 50) as i64;
        let status = q.status.map(|s| s.as_str().to_owned());
        let mut out = Vec::new();
        let (s0, s1) = (START.to_string(), STOP.to_string());
        if wants(q, "conversation") {
            let sql = "SELECT c.number AS number, c.subject AS title, \
                 snippet(conversations_fts, 0, ?, ?, '…', 16) AS snippet, \
                 c.customer_id AS customer_id, c.updated_at AS at \
                 FROM conversations_fts JOIN conversations c ON c.id = conversations_fts.rowid \
                 WHERE conversations_fts MATCH ? AND c.workspace_id = ? AND c.merged_into_id IS NULL \
                 AND (? IS NULL OR c.status = ?) \
                 ORDER BY conversations_fts.rowid DESC LIMIT ?";
            let vals: Vec<Value> = vec![
                s0.clone().into(),
                s1.clone().into(),
                m.clone().into(),
                ws.into(),
                status.clone().into(),
                status.clone().into(),
                limit.into(),
            ];
            for r in db
                .query_all(Statement::from_sql_and_values(DbBackend::Sqlite, sql, vals))
                .await?
            {
                out.push(hit(&r, "conversation")?);
            }
        }
        if wants(q, "message") {
            let sql = "SELECT c.number AS number, c.subject AS title, \
                 snippet(messages_fts, 0, ?, ?, '…', 16) AS snippet, \
                 c.customer_id AS customer_id, m.created_at AS at \
                 FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid \
                 JOIN conversations c ON c.id = m.conversation_id \
                 WHERE messages_fts MATCH ? AND m.workspace_id = ? \
                 AND (? = 1 OR m.kind = 'reply') \
                 AND (? IS NULL OR c.status = ?) \
                 ORDER BY messages_fts.rowid DESC LIMIT ?";
            let vals: Vec<Value> = vec![
                s0.clone().into(),
                s1.clone().into(),
                m.clone().into(),
                ws.into(),
                i32::from(q.include_notes).into(),
                status.clone().into(),
                status.clone().into(),
                limit.into(),
            ];
            for r in db
                .query_all(Statement::from_sql_and_values(DbBackend::Sqlite, sql, vals))
                .await?
            {
                out.push(hit(&r, "message")?);
            }
        }
        if wants(q, "customer") && q.status.is_none() {
            let sql = "SELECT NULL AS number, cu.name AS title, \
                 coalesce(cu.email, '') AS snippet, cu.id AS customer_id, cu.updated_at AS at \
                 FROM customers_fts JOIN customers cu ON cu.id = customers_fts.rowid \
                 WHERE customers_fts MATCH ? AND cu.workspace_id = ? AND cu.merged_into_id IS NULL \
                 ORDER BY customers_fts.rowid DESC LIMIT ?";
            let vals: Vec<Value> = vec![m.clone().into(), ws.into(), limit.into()];
            for r in db
                .query_all(Statement::from_sql_and_values(DbBackend::Sqlite, sql, vals))
                .await?
            {
                out.push(hit(&r, "customer")?);
            }
        }
        Ok(out)
    }
}

/// PostgreSQL `tsvector` + GIN.
pub struct PostgresTsvector;

#[async_trait::async_trait]
impl SearchIndex for PostgresTsvector {
    async fn search(
        &self,
        db: &(dyn ConnectionTrait + Sync),
        ws: i32,
        terms: &[String],
        q: &SearchQuery,
    ) -> ServiceResult<Vec<SearchHit>> {
        let last = terms.len() - 1;
        let tsq: String = terms
            .iter()
            .enumerate()
            .map(|(i, t)| {
                if i == last {
                    format!("{t}:*")
                } else {
                    t.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(" & ");
        let limit = q.limit.clamp(1, 50) as i64;
        let status = q.status.map(|s| s.as_str().to_owned());
        let hl =
            format!("StartSel={START}, StopSel={STOP}, MaxWords=24, MinWords=8, MaxFragments=1");
        let mut out = Vec::new();
        if wants(q, "conversation") {
            let sql = "SELECT c.number AS number, c.subject AS title, \
                 ts_headline('simple', c.subject, to_tsquery('simple', $1), $2) AS snippet, \
                 c.customer_id AS customer_id, c.updated_at AS at \
                 FROM conversations c \
                 WHERE to_tsvector('simple', c.subject) @@ to_tsquery('simple', $1) \
                 AND c.workspace_id = $3 AND c.merged_into_id IS NULL \
                 AND ($4::text IS NULL OR c.status = $4) \
                 ORDER BY c.id DESC LIMIT $5";
            let vals: Vec<Value> = vec![
                tsq.clone().into(),
                hl.clone().into(),
                ws.into(),
                status.clone().into(),
                limit.into(),
            ];
            for r in db
                .query_all(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    sql,
                    vals,
                ))
                .await?
            {
                out.push(hit(&r, "conversation")?);
            }
        }
        if wants(q, "message") {
            // Find the newest matching messages first, then headline only those.
            let sql = "WITH hits AS ( \
                   SELECT m.id, m.conversation_id, m.body_text, m.created_at FROM messages m \
                   WHERE to_tsvector('simple', m.body_text) @@ to_tsquery('simple', $1) \
                   AND m.workspace_id = $3 AND ($4 OR m.kind = 'reply') \
                   ORDER BY m.id DESC LIMIT $6) \
                 SELECT c.number AS number, c.subject AS title, \
                 ts_headline('simple', h.body_text, to_tsquery('simple', $1), $2) AS snippet, \
                 c.customer_id AS customer_id, h.created_at AS at \
                 FROM hits h JOIN conversations c ON c.id = h.conversation_id \
                 WHERE ($5::text IS NULL OR c.status = $5) ORDER BY h.id DESC";
            let vals: Vec<Value> = vec![
                tsq.clone().into(),
                hl.clone().into(),
                ws.into(),
                q.include_notes.into(),
                status.clone().into(),
                limit.into(),
            ];
            for r in db
                .query_all(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    sql,
                    vals,
                ))
                .await?
            {
                out.push(hit(&r, "message")?);
            }
        }
        if wants(q, "customer") && q.status.is_none() {
            let sql = "SELECT NULL::int AS number, cu.name AS title, coalesce(cu.email, '') AS snippet, \
                 cu.id AS customer_id, cu.updated_at AS at FROM customers cu \
                 WHERE to_tsvector('simple', cu.name || ' ' || coalesce(cu.email, '')) @@ to_tsquery('simple', $1) \
                 AND cu.workspace_id = $2 AND cu.merged_into_id IS NULL ORDER BY cu.id DESC LIMIT $3";
            let vals: Vec<Value> = vec![tsq.clone().into(), ws.into(), limit.into()];
            for r in db
                .query_all(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    sql,
                    vals,
                ))
                .await?
            {
                out.push(hit(&r, "customer")?);
            }
        }
        Ok(out)
    }
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
