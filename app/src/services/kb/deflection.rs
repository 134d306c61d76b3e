//! Deflection (SPEC C5.5): article suggestions while a customer writes in the web
//! form or the chat widget, measured per writing session: suggested, opened, and
//! whether a ticket was sent anyway. A session that opened an article and sent
//! nothing counts as deflected.

use super::super::tenancy::Scoped;
use super::super::{now, ServiceError, ServiceResult};
use super::search::{self, Audience};
use crate::types::{DeflectionStats, SuggestionsView};
use chrono::{DateTime, Utc};
use entity::deflection_session;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, QueryFilter, Set};

/// Fewest characters before suggesting.
pub const MIN_QUERY: usize = 8;
/// Least coverage of the customer's words for an article to be suggested.
pub const MIN_COVERAGE: f64 = 0.34;

/// Channels that suggest.
pub const CHANNELS: &[&str] = &["chat", "web_form", "help_center"];

fn valid_token(t: &str) -> bool {
    (16..=64).contains(&t.len())
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

async fn session(
    db: &impl ConnectionTrait,
    scope: Scoped,
    token: &str,
) -> ServiceResult<Option<deflection_session::Model>> {
    Ok(scope
        .find::<deflection_session::Entity>()
        .filter(deflection_session::Column::Token.eq(token))
        .one(db)
        .await?)
}

/// Suggests up to three public articles for what the customer has typed so far,
/// and records the suggestion on the writing session (created when `token` is
/// none or unknown).
///
/// # Errors
/// `Invalid` channel or token; database errors.
pub async fn suggest<C: ConnectionTrait + Sync>(
    db: &C,
    scope: Scoped,
    channel: &str,
    token: Option<&str>,
    text: &str,
    locale: &str,
) -> ServiceResult<SuggestionsView> {
    if !CHANNELS.contains(&channel) {
        return Err(ServiceError::invalid("channel", "Unknown channel."));
    }
    if let Some(t) = token {
        if !valid_token(t) {
            return Err(ServiceError::invalid(
                "session",
                "The suggestion session is not valid.",
            ));
        }
    }
    let text: String = text.chars().take(500).collect();
    let hits = if text.trim().chars().count() < MIN_QUERY {
        Vec::new()
    } else {
        let all = search::retrieve(db, scope, &text, Audience::Customer, locale, 12, None).await?;
        search::best_per_article(all, 3)
            .into_iter()
            .filter(|h| h.coverage >= MIN_COVERAGE)
            .collect::<Vec<_>>()
    };
    let existing = match token {
        Some(t) => session(db, scope, t).await?,
        None => None,
    };
    let t = now();
    let row = match existing {
        Some(s) => {
            let mut ids: Vec<i32> = serde_json::from_str(&s.article_ids).unwrap_or_default();
            for h in &hits {
                if !ids.contains(&h.article_id) {
                    ids.push(h.article_id);
                }
            }
            let shown = !hits.is_empty();
            let mut am = s.clone().into_active_model();
            if shown {
                am.suggested = Set(s.suggested + 1);
            }
            am.article_ids = Set(serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into()));
            am.last_query = Set(Some(text.clone()));
            am.updated_at = Set(t);
            am.update(db).await?
        }
        None => {
            let token = token.map_or_else(
                || {
                    super::super::security::new_token()
                        .0
                        .chars()
                        .take(32)
                        .collect()
                },
                str::to_owned,
            );
            let ids: Vec<i32> = hits.iter().map(|h| h.article_id).collect();
            deflection_session::ActiveModel {
                workspace_id: Set(scope.workspace_id()),
                token: Set(token),
                channel: Set(channel.to_owned()),
                last_query: Set(Some(text.clone())),
                suggested: Set(i32::from(!hits.is_empty())),
                opened: Set(0),
                article_ids: Set(serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into())),
                submitted: Set(false),
                conversation_id: Set(None),
                created_at: Set(t),
                updated_at: Set(t),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    Ok(SuggestionsView {
        session: row.token,
        hits: hits.iter().map(search::hit_view).collect(),
    })
}

/// Records that the customer opened a suggested article.
///
/// # Errors
/// `NotFound` session; database errors.
pub async fn opened(
    db: &impl ConnectionTrait,
    scope: Scoped,
    token: &str,
    article_id: i32,
) -> ServiceResult<()> {
    if !valid_token(token) {
        return Err(ServiceError::NotFound("Suggestion session"));
    }
    let s = session(db, scope, token)
        .await?
        .ok_or(ServiceError::NotFound("Suggestion session"))?;
    let ids: Vec<i32> = serde_json::from_str(&s.article_ids).unwrap_or_default();
    if !ids.contains(&article_id) {
        return Err(ServiceError::invalid(
            "article_id",
            "That article was not suggested here.",
        ));
    }
    let mut am = s.clone().into_active_model();
    am.opened = Set(s.opened + 1);
    am.updated_at = Set(now());
    am.update(db).await?;
    Ok(())
}

/// Records that the session ended with a ticket anyway (not deflected). Unknown
/// tokens are ignored: the ticket matters more than the measurement.
///
/// # Errors
/// Database errors.
pub async fn submitted(
    db: &impl ConnectionTrait,
    scope: Scoped,
    token: Option<&str>,
    conversation_id: i32,
) -> ServiceResult<()> {
    let Some(token) = token.filter(|t| valid_token(t)) else {
        return Ok(());
    };
    if let Some(s) = session(db, scope, token).await? {
        let mut am = s.into_active_model();
        am.submitted = Set(true);
        am.conversation_id = Set(Some(conversation_id));
        am.updated_at = Set(now());
        am.update(db).await?;
    }
    Ok(())
}

/// Deflection figures of sessions started since `since`.
///
/// # Errors
/// Database errors.
pub async fn stats(
    db: &impl ConnectionTrait,
    scope: Scoped,
    since: DateTime<Utc>,
) -> ServiceResult<DeflectionStats> {
    let rows = scope
        .find::<deflection_session::Entity>()
        .filter(deflection_session::Column::CreatedAt.gte(since))
        .filter(deflection_session::Column::Suggested.gt(0))
        .all(db)
        .await?;
    let mut s = DeflectionStats::default();
    for r in &rows {
        s.suggested += 1;
        if r.opened > 0 {
            s.opened += 1;
        }
        if r.submitted {
            s.submitted += 1;
        } else if r.opened > 0 {
            s.deflected += 1;
        }
    }
    s.rate = if s.suggested == 0 {
        0.0
    } else {
        s.deflected as f64 / s.suggested as f64
    };
    Ok(s)
}

/// Deflections per day (`YYYY-MM-DD` → count) since `since`.
///
/// # Errors
/// Database errors.
pub async fn per_day(
    db: &impl ConnectionTrait,
    scope: Scoped,
    since: DateTime<Utc>,
) -> ServiceResult<std::collections::BTreeMap<String, u64>> {
    let rows = scope
        .find::<deflection_session::Entity>()
        .filter(deflection_session::Column::CreatedAt.gte(since))
        .filter(deflection_session::Column::Opened.gt(0))
        .filter(deflection_session::Column::Submitted.eq(false))
        .all(db)
        .await?;
    let mut out = std::collections::BTreeMap::new();
    for r in rows {
        *out.entry(r.created_at.format("%Y-%m-%d").to_string())
            .or_insert(0) += 1;
    }
    Ok(out)
}
