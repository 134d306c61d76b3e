//! `/search`: full-text search over conversations, messages (notes included) and
//! customers; each kind needs the scope that reads it.

use super::auth::Caller;
use super::dto::{Page, SearchHitDto};
use super::extract::{limit, list_of, ApiQuery};
use super::scope;
use crate::http::{ApiError, ServerState};
use app::error::AppError;
use app::permissions::Action;
use app::services::inbox::search::{self as full_text, SearchQuery};
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

/// Query of `GET /search`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words to find.
    #[param(example = "refund invoice")]
    q: Option<String>,
    /// Only these kinds (comma-separated): `conversation`, `message`, `customer`.
    /// Default: every kind the key's scopes can read.
    #[param(example = "conversation,message")]
    kind: Option<String>,
    /// Hits per kind, 1–100 (default 25).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    limit: Option<String>,
}

const KINDS: &[(&str, &str)] = &[
    ("conversation", scope::CONVERSATIONS_READ),
    ("message", scope::CONVERSATIONS_READ),
    ("customer", scope::CUSTOMERS_READ),
];

/// Best matches first, per kind. Not paginated: `next_cursor` is always `null`;
/// narrow the words or raise `limit` instead.
#[utoipa::path(
    get,
    path = "/api/v1/search",
    tag = "search",
    params(SearchParams),
    responses((status = 200, description = "Hits.", body = Page<SearchHitDto>)),
    security(("bearer" = []))
)]
pub async fn search(
    State(s): State<ServerState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> Result<Json<Page<SearchHitDto>>, ApiError> {
    let asked = list_of(
        p.kind.as_deref(),
        "kind",
        |k| {
            KINDS
                .iter()
                .find(|(name, _)| *name == k)
                .map(|(name, _)| *name)
        },
        &["conversation", "message", "customer"],
    )?;
    let kinds: Vec<String> = if asked.is_empty() {
        let readable: Vec<String> = KINDS
            .iter()
            .filter(|(_, sc)| caller.key.has_scope(sc))
            .map(|(k, _)| (*k).to_owned())
            .collect();
        if readable.is_empty() {
            // Names the scope most searches need.
            caller.authorize(scope::CONVERSATIONS_READ, Action::ViewInbox)?;
        }
        readable
    } else {
        for k in &asked {
            if let Some((_, sc)) = KINDS.iter().find(|(name, _)| name == k) {
                caller.key.require_scope(sc)?;
            }
        }
        asked.into_iter().map(str::to_owned).collect()
    };
    let actor = &caller.key.actor;
    actor.require(Action::ViewInbox)?;
    let query = SearchQuery {
        text: p.q.unwrap_or_default(),
        kinds,
        status: None,
        include_notes: true,
        limit: limit(p.limit.as_deref())?,
    };
    if query.text.trim().is_empty() {
        return Err(AppError::field("q", "Give words to search for in `q`.").into());
    }
    let hits = full_text::search(&s.app.db, actor, &query).await?;
    Ok(Json(Page {
        data: hits.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}
