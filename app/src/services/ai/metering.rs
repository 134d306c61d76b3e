//! Metering and the AI overview (SPEC C6.9): per workspace and day, AI
//! resolutions (the billable unit: a conversation the AI answered and the customer
//! confirmed, or did not reopen within 72 hours), handoffs, answers sent,
//! deflections and provider cost; handoff reasons; CSAT of AI-resolved
//! conversations; article feedback and content gaps. Charts are ECharts options
//! built with charming and rendered in the browser.

use super::textutil;
use crate::permissions::Action;
use crate::services::context::Actor;
use crate::services::kb::deflection;
use crate::services::{now, ServiceError, ServiceResult};
use crate::types::{AiDayRow, AiOverviewView, FeedbackRow};
use charming::component::{Axis, Grid, Legend};
use charming::element::{AxisType, Tooltip, Trigger};
use charming::series::{Bar, Line};
use charming::Chart;
use entity::{ai_run, conversation, csat_response, kb_article, kb_feedback, message};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::{BTreeMap, HashMap};

fn day(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// The overview of the last `days` days (1–366).
///
/// # Errors
/// Permission; `Invalid` period; database errors.
#[allow(clippy::too_many_lines)]
pub async fn overview(
    db: &impl ConnectionTrait,
    actor: &Actor,
    days: i64,
) -> ServiceResult<AiOverviewView> {
    actor.require(Action::ViewAiReports)?;
    if !(1..=366).contains(&days) {
        return Err(ServiceError::invalid(
            "days",
            "Choose a period of 1 to 366 days.",
        ));
    }
    let scope = actor.scope;
    let since = (now() - chrono::Duration::days(days - 1))
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map_or_else(now, |d| d.and_utc());
    let mut rows: BTreeMap<String, AiDayRow> = BTreeMap::new();
    for i in 0..days {
        let d = day(&(since + chrono::Duration::days(i)));
        rows.insert(
            d.clone(),
            AiDayRow {
                day: d,
                ..Default::default()
            },
        );
    }
    let runs = scope
        .find::<ai_run::Entity>()
        .filter(ai_run::Column::CreatedAt.gte(since))
        .all(db)
        .await?;
    let mut reasons: HashMap<String, u64> = HashMap::new();
    for r in &runs {
        let Some(row) = rows.get_mut(&day(&r.created_at)) else {
            continue;
        };
        row.cost_micros += r.cost_micros;
        if r.purpose != "inbound" {
            continue;
        }
        match r.decision.as_str() {
            "escalate" => {
                row.handoffs += 1;
                *reasons
                    .entry(r.reason_code.clone().unwrap_or_default())
                    .or_default() += 1;
            }
            "answer" if r.sent => row.answers += 1,
            _ => {}
        }
    }
    let resolved = scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::AiState.eq("resolved"))
        .filter(conversation::Column::AiResolvedAt.gte(since))
        .all(db)
        .await?;
    for c in &resolved {
        if let Some(row) = c.ai_resolved_at.and_then(|t| rows.get_mut(&day(&t))) {
            row.resolutions += 1;
        }
    }
    for (d, n) in deflection::per_day(db, scope, since).await? {
        if let Some(row) = rows.get_mut(&d) {
            row.deflections += n;
        }
    }
    let ratings: Vec<i32> = scope
        .find::<csat_response::Entity>()
        .filter(csat_response::Column::ConversationId.is_in(resolved.iter().map(|c| c.id)))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.rating)
        .collect();
    let ai_csat = (!ratings.is_empty())
        .then(|| f64::from(ratings.iter().sum::<i32>()) / ratings.len() as f64);
    let days_v: Vec<AiDayRow> = rows.into_values().collect();
    let mut total = AiDayRow {
        day: "total".into(),
        ..Default::default()
    };
    for r in &days_v {
        total.resolutions += r.resolutions;
        total.handoffs += r.handoffs;
        total.answers += r.answers;
        total.deflections += r.deflections;
        total.cost_micros += r.cost_micros;
    }
    let resolution_rate = if total.resolutions + total.handoffs == 0 {
        0.0
    } else {
        total.resolutions as f64 / (total.resolutions + total.handoffs) as f64
    };
    let mut reasons: Vec<(String, String, u64)> = reasons
        .into_iter()
        .map(|(c, n)| (c.clone(), crate::types::reason_label(&c).to_owned(), n))
        .collect();
    reasons.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    let labels: Vec<String> = days_v.iter().map(|d| d.day[5..].to_owned()).collect();
    let num = |f: fn(&AiDayRow) -> u64| -> Vec<i64> {
        days_v
            .iter()
            .map(|d| i64::try_from(f(d)).unwrap_or(i64::MAX))
            .collect()
    };
    let daily = Chart::new()
        .grid(Grid::new().contain_label(true).left("2%").right("2%"))
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .legend(Legend::new())
        .x_axis(Axis::new().type_(AxisType::Category).data(labels))
        .y_axis(Axis::new().type_(AxisType::Value).min_interval(1))
        .series(
            Bar::new()
                .name("AI resolutions")
                .stack("ai")
                .data(num(|d| d.resolutions)),
        )
        .series(
            Bar::new()
                .name("Handoffs")
                .stack("ai")
                .data(num(|d| d.handoffs)),
        )
        .series(Line::new().name("Deflections").data(num(|d| d.deflections)));
    let reasons_chart = Chart::new()
        .grid(Grid::new().contain_label(true).left("2%").right("4%"))
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .x_axis(Axis::new().type_(AxisType::Value).min_interval(1))
        .y_axis(
            Axis::new()
                .type_(AxisType::Category)
                .data(reasons.iter().rev().map(|r| r.1.clone()).collect()),
        )
        .series(
            Bar::new().name("Handoffs").data(
                reasons
                    .iter()
                    .rev()
                    .map(|r| i64::try_from(r.2).unwrap_or(i64::MAX))
                    .collect(),
            ),
        );
    Ok(AiOverviewView {
        days: days_v,
        total,
        resolution_rate,
        reasons,
        deflection: deflection::stats(db, scope, since).await?,
        ai_csat,
        daily_chart: daily.to_string(),
        reasons_chart: reasons_chart.to_string(),
        feedback: feedback(db, actor).await?,
        gaps: gaps(db, actor, since).await?,
    })
}

/// Articles with feedback, most "not helpful" first, with recent comments.
async fn feedback(db: &impl ConnectionTrait, actor: &Actor) -> ServiceResult<Vec<FeedbackRow>> {
    let arts = actor
        .scope
        .find::<kb_article::Entity>()
        .filter(
            sea_orm::Condition::any()
                .add(kb_article::Column::Helpful.gt(0))
                .add(kb_article::Column::NotHelpful.gt(0)),
        )
        .order_by_desc(kb_article::Column::NotHelpful)
        .limit(10)
        .all(db)
        .await?;
    let comments = actor
        .scope
        .find::<kb_feedback::Entity>()
        .filter(kb_feedback::Column::ArticleId.is_in(arts.iter().map(|a| a.id)))
        .filter(kb_feedback::Column::Comment.is_not_null())
        .order_by_desc(kb_feedback::Column::Id)
        .limit(50)
        .all(db)
        .await?;
    Ok(arts
        .into_iter()
        .map(|a| FeedbackRow {
            article_id: a.id,
            title: a.title,
            helpful: a.helpful,
            not_helpful: a.not_helpful,
            comments: comments
                .iter()
                .filter(|c| c.article_id == a.id)
                .filter_map(|c| c.comment.clone())
                .take(3)
                .collect(),
        })
        .collect())
}

/// Content gaps: the most frequent words of customer messages the AI escalated as
/// `no_kb_match` (topics without an article).
async fn gaps(
    db: &impl ConnectionTrait,
    actor: &Actor,
    since: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<Vec<(String, u64)>> {
    let ids: Vec<i32> = actor
        .scope
        .find::<ai_run::Entity>()
        .filter(ai_run::Column::CreatedAt.gte(since))
        .filter(ai_run::Column::ReasonCode.eq("no_kb_match"))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|r| r.message_id)
        .collect();
    let msgs = actor
        .scope
        .find::<message::Entity>()
        .filter(message::Column::Id.is_in(ids))
        .all(db)
        .await?;
    let mut counts: HashMap<String, u64> = HashMap::new();
    for m in msgs {
        for w in textutil::content_terms(&m.body_text) {
            if w.len() > 3 {
                *counts.entry(w).or_default() += 1;
            }
        }
    }
    let mut v: Vec<(String, u64)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.truncate(15);
    Ok(v)
}
