//! Predictions (SPEC C8.8): how satisfied a customer probably is with a
//! conversation before they answer the survey, and how healthy the customer's
//! relationship is. Both are computed, not learned, from what the conversation
//! and the customer's history show, with weights set by hand and written down
//! here (and in `docs/reports.md`), so an agent can see why a number is what
//! it is; [`evaluate`] measures the satisfaction prediction against the
//! survey answers a workspace really got.
//!
//! **Satisfaction** is a logistic score `p = 1 / (1 + e^-z)`, the chance the
//! customer rates 4 or 5, with
//!
//! ```text
//! z = 1.6
//!   + 4.0 · (mean sentiment of the customer's messages − 0.5)
//!   + 2.0 · (sentiment of their latest message − 0.5)
//!   − 0.45 · ln(1 + hours to the first reply)      (hours so far when unanswered)
//!   − 0.15 · ln(1 + hours to solve)                (hours so far when open)
//!   − 0.25 · (customer messages beyond two)
//!   − 1.2  · (the SLA was breached)
//! ```
//!
//! Sentiment is the AI agent's lexicon scorer (`ai::sentiment`, 0–1, 0.5
//! neutral). The predicted rating is `1 + 4p`.
//!
//! **Customer health** starts at 100 and loses points for:
//! - conversations in the last 90 days: 6 for each beyond the first (at most 30);
//! - conversations open now: 5 each (at most 15);
//! - how their messages of the last 30 days read: `60 · (0.5 − mean)` when below
//!   neutral, and `40 ·` the fall from the 60 days before, when it fell;
//! - survey history (their last ten answers): `12 · (4 − mean rating)` when the
//!   mean is below 4 (a mean above 4 gives back up to 6).
//!
//! It is clamped to 0–100. Churn risk is *high* below 40, *medium* below 70,
//! else *low*.

use super::super::context::Actor;
use super::super::{now, ServiceError, ServiceResult};
use crate::permissions::Action;
use crate::services::ai::sentiment;
use crate::types::{CustomerHealth, CustomerInsights, PredictionCheck, SatisfactionPrediction};
use chrono::{DateTime, Duration, Utc};
use entity::{conversation, csat_response, message};
use sea_orm::{ColumnTrait, ConnectionTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;

/// Customer messages read per conversation or per customer.
const MESSAGES: u64 = 200;
/// Survey answers checked at most by [`evaluate`].
const CHECKED: u64 = 5_000;

/// What the satisfaction prediction reads from a conversation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Features {
    /// Sentiment of each customer message, oldest first.
    pub sentiments: Vec<f32>,
    /// Hours to the first agent reply (so far, when none yet).
    pub first_reply_hours: f64,
    /// Hours to solve (so far, when not solved).
    pub resolution_hours: f64,
    /// Whether the SLA was breached.
    pub breached: bool,
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// The prediction for `f`: (chance of a 4 or 5, the reasons that moved it
/// most, strongest first).
pub fn satisfaction(f: &Features) -> (f64, Vec<String>) {
    let mut terms: Vec<(f64, String)> = Vec::new();
    if !f.sentiments.is_empty() {
        #[allow(clippy::cast_precision_loss, reason = "a few hundred messages")]
        let mean = f64::from(f.sentiments.iter().sum::<f32>()) / f.sentiments.len() as f64;
        let last = f64::from(*f.sentiments.last().unwrap_or(&0.5));
        terms.push((
            4.0 * (mean - 0.5),
            if mean < 0.5 {
                "the customer's messages read negative".into()
            } else {
                "the customer's messages read positive".into()
            },
        ));
        terms.push((
            2.0 * (last - 0.5),
            if last < 0.5 {
                "their latest message reads negative".into()
            } else {
                "their latest message reads positive".into()
            },
        ));
        #[allow(clippy::cast_precision_loss, reason = "a few hundred messages")]
        let extra = f.sentiments.len().saturating_sub(2) as f64;
        if extra > 0.0 {
            terms.push((
                -0.25 * extra,
                format!("{} messages from the customer", f.sentiments.len()),
            ));
        }
    }
    terms.push((
        -0.45 * (1.0 + f.first_reply_hours.max(0.0)).ln(),
        format!("first reply after {}", hours_text(f.first_reply_hours)),
    ));
    terms.push((
        -0.15 * (1.0 + f.resolution_hours.max(0.0)).ln(),
        format!("{} to solve", hours_text(f.resolution_hours)),
    ));
    if f.breached {
        terms.push((-1.2, "the SLA was breached".into()));
    }
    let z = 1.6 + terms.iter().map(|(v, _)| v).sum::<f64>();
    terms.sort_by(|a, b| b.0.abs().total_cmp(&a.0.abs()));
    let reasons = terms
        .into_iter()
        .filter(|(v, _)| v.abs() >= 0.2)
        .take(3)
        .map(|(v, why)| format!("{} {why}", if v < 0.0 { "−" } else { "+" }))
        .collect();
    (sigmoid(z), reasons)
}

fn hours_text(h: f64) -> String {
    if h < 1.0 {
        format!("{:.0} min", (h * 60.0).max(1.0))
    } else if h < 48.0 {
        format!("{h:.0} h")
    } else {
        format!("{:.0} days", h / 24.0)
    }
}

fn hours(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    #[allow(clippy::cast_precision_loss, reason = "seconds within years")]
    let s = (b - a).num_seconds().max(0) as f64;
    s / 3600.0
}

/// The features of one conversation at `t`, with its customer messages' texts.
pub fn features_of(
    c: &conversation::Model,
    customer_texts: &[String],
    t: DateTime<Utc>,
) -> Features {
    Features {
        sentiments: customer_texts.iter().map(|s| sentiment::score(s)).collect(),
        first_reply_hours: hours(c.created_at, c.first_response_at.unwrap_or(t)),
        resolution_hours: hours(c.created_at, c.solved_at.unwrap_or(t)),
        breached: c.sla_breached_at.is_some(),
    }
}

fn prediction_view(p: f64, reasons: Vec<String>) -> SatisfactionPrediction {
    #[allow(clippy::cast_possible_truncation, reason = "0–100")]
    let percent = (p * 100.0).round() as i64;
    SatisfactionPrediction {
        percent,
        rating: 1.0 + 4.0 * p,
        label: if p >= 0.7 {
            "Likely satisfied"
        } else if p >= 0.4 {
            "Uncertain"
        } else {
            "At risk"
        }
        .to_owned(),
        reasons,
    }
}

/// Customer messages of `conversations`, oldest first, by conversation.
async fn customer_texts(
    db: &impl ConnectionTrait,
    actor: &Actor,
    conversations: Vec<i32>,
    since: Option<DateTime<Utc>>,
) -> ServiceResult<Vec<(i32, String, DateTime<Utc>)>> {
    let mut q = actor
        .scope
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.is_in(conversations))
        .filter(message::Column::Direction.eq("inbound"))
        .filter(message::Column::AuthorCustomerId.is_not_null());
    if let Some(s) = since {
        q = q.filter(message::Column::CreatedAt.gte(s));
    }
    Ok(q.select_only()
        .column(message::Column::ConversationId)
        .column(message::Column::BodyText)
        .column(message::Column::CreatedAt)
        .order_by_desc(message::Column::CreatedAt)
        .limit(MESSAGES)
        .into_tuple::<(i32, String, DateTime<Utc>)>()
        .all(db)
        .await?
        .into_iter()
        .rev()
        .collect())
}

/// The conversation's satisfaction prediction (and its real rating, when
/// the customer answered) and its customer's health.
///
/// # Errors
/// Permission; `NotFound`; database errors.
pub async fn insights(
    db: &impl ConnectionTrait,
    actor: &Actor,
    number: i32,
) -> ServiceResult<CustomerInsights> {
    actor.require(Action::ViewInbox)?;
    let t = now();
    let c = actor
        .scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::Number.eq(number))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Conversation"))?;
    let texts: Vec<String> = customer_texts(db, actor, vec![c.id], None)
        .await?
        .into_iter()
        .map(|(_, s, _)| s)
        .collect();
    let (p, reasons) = satisfaction(&features_of(&c, &texts, t));
    let rated = actor
        .scope
        .find::<csat_response::Entity>()
        .filter(csat_response::Column::ConversationId.eq(c.id))
        .one(db)
        .await?
        .map(|r| r.rating);
    Ok(CustomerInsights {
        prediction: prediction_view(p, reasons),
        rated,
        health: health(db, actor, c.customer_id, t).await?,
    })
}

/// A customer's health at `t`.
///
/// # Errors
/// Database errors.
pub async fn health(
    db: &impl ConnectionTrait,
    actor: &Actor,
    customer_id: i32,
    t: DateTime<Utc>,
) -> ServiceResult<CustomerHealth> {
    let convs: Vec<(i32, String, DateTime<Utc>)> = actor
        .scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::CustomerId.eq(customer_id))
        .filter(conversation::Column::CreatedAt.gte(t - Duration::days(90)))
        .select_only()
        .column(conversation::Column::Id)
        .column(conversation::Column::Status)
        .column(conversation::Column::CreatedAt)
        .order_by_desc(conversation::Column::CreatedAt)
        .limit(500)
        .into_tuple()
        .all(db)
        .await?;
    let open_now = actor
        .scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::CustomerId.eq(customer_id))
        .filter(conversation::Column::Status.is_in(["new", "open", "pending", "on_hold"]))
        .count(db)
        .await?;
    let ids: Vec<i32> = convs.iter().map(|(id, _, _)| *id).collect();
    let texts = customer_texts(db, actor, ids, Some(t - Duration::days(90))).await?;
    let (mut recent, mut before) = (Vec::new(), Vec::new());
    for (_, s, at) in &texts {
        let v = f64::from(sentiment::score(s));
        if *at >= t - Duration::days(30) {
            recent.push(v);
        } else {
            before.push(v);
        }
    }
    let ratings: Vec<i32> = actor
        .scope
        .find::<csat_response::Entity>()
        .filter(csat_response::Column::CustomerId.eq(customer_id))
        .order_by_desc(csat_response::Column::CreatedAt)
        .limit(10)
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.rating)
        .collect();
    Ok(health_of(
        convs.len(),
        usize::try_from(open_now).unwrap_or(usize::MAX),
        &recent,
        &before,
        &ratings,
    ))
}

fn mean(xs: &[f64]) -> Option<f64> {
    #[allow(clippy::cast_precision_loss, reason = "a few hundred values")]
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

/// The health score from its inputs (see the module documentation).
pub fn health_of(
    conversations_90d: usize,
    open_now: usize,
    recent: &[f64],
    before: &[f64],
    ratings: &[i32],
) -> CustomerHealth {
    let mut score = 100.0;
    let mut factors: Vec<(f64, String)> = Vec::new();
    #[allow(clippy::cast_precision_loss, reason = "counts")]
    let frequent = (6.0 * conversations_90d.saturating_sub(1) as f64).min(30.0);
    if frequent > 0.0 {
        factors.push((
            frequent,
            format!("{conversations_90d} conversations in 90 days"),
        ));
    }
    #[allow(clippy::cast_precision_loss, reason = "counts")]
    let open = (5.0 * open_now as f64).min(15.0);
    if open > 0.0 {
        factors.push((open, format!("{open_now} open now")));
    }
    let recent_mean = mean(recent);
    let before_mean = mean(before);
    if let Some(r) = recent_mean {
        if r < 0.5 {
            factors.push((60.0 * (0.5 - r), "recent messages read negative".into()));
        }
        if let Some(b) = before_mean.filter(|b| *b > r) {
            factors.push((40.0 * (b - r), "their tone got worse this month".into()));
        }
    }
    #[allow(clippy::cast_precision_loss, reason = "ten ratings")]
    let csat_mean = (!ratings.is_empty())
        .then(|| f64::from(ratings.iter().sum::<i32>()) / ratings.len() as f64);
    if let Some(m) = csat_mean {
        if m < 4.0 {
            factors.push((
                12.0 * (4.0 - m),
                format!("survey answers average {m:.1} of 5"),
            ));
        } else {
            score += (6.0 * (m - 4.0)).min(6.0);
        }
    }
    score -= factors.iter().map(|(v, _)| v).sum::<f64>();
    let score = score.clamp(0.0, 100.0);
    factors.sort_by(|a, b| b.0.total_cmp(&a.0));
    #[allow(clippy::cast_possible_truncation, reason = "0–100")]
    let rounded = score.round() as i64;
    CustomerHealth {
        score: rounded,
        churn_risk: if score < 40.0 {
            "high"
        } else if score < 70.0 {
            "medium"
        } else {
            "low"
        }
        .to_owned(),
        conversations_90d: u64::try_from(conversations_90d).unwrap_or(u64::MAX),
        open_now: u64::try_from(open_now).unwrap_or(u64::MAX),
        sentiment_recent: recent_mean,
        sentiment_before: before_mean,
        csat_mean,
        csat_answers: u64::try_from(ratings.len()).unwrap_or(u64::MAX),
        factors: factors
            .into_iter()
            .filter(|(v, _)| *v >= 1.0)
            .map(|(v, why)| format!("−{v:.0} {why}"))
            .collect(),
    }
}

/// The satisfaction prediction measured against the survey answers of the
/// last `days` (at most [`CHECKED`]): each answered conversation is predicted
/// from what it showed when it was solved, without its answer.
///
/// # Errors
/// Permission; database errors.
pub async fn evaluate(
    db: &impl ConnectionTrait,
    actor: &Actor,
    days: i64,
) -> ServiceResult<PredictionCheck> {
    actor.require(Action::ViewReports)?;
    let since = now() - Duration::days(days.clamp(1, 366));
    let answers: Vec<(i32, i32)> = actor
        .scope
        .find::<csat_response::Entity>()
        .filter(csat_response::Column::CreatedAt.gte(since))
        .select_only()
        .column(csat_response::Column::ConversationId)
        .column(csat_response::Column::Rating)
        .order_by_desc(csat_response::Column::CreatedAt)
        .limit(CHECKED)
        .into_tuple()
        .all(db)
        .await?;
    let mut pairs: Vec<(f64, i32)> = Vec::new();
    for chunk in answers.chunks(500) {
        let ids: Vec<i32> = chunk.iter().map(|(c, _)| *c).collect();
        let rating: HashMap<i32, i32> = chunk.iter().copied().collect();
        let convs = actor
            .scope
            .find::<conversation::Entity>()
            .filter(conversation::Column::Id.is_in(ids.clone()))
            .all(db)
            .await?;
        let mut texts: HashMap<i32, Vec<String>> = HashMap::new();
        let rows: Vec<(i32, String)> = actor
            .scope
            .find::<message::Entity>()
            .filter(message::Column::ConversationId.is_in(ids))
            .filter(message::Column::Direction.eq("inbound"))
            .filter(message::Column::AuthorCustomerId.is_not_null())
            .select_only()
            .column(message::Column::ConversationId)
            .column(message::Column::BodyText)
            .order_by_asc(message::Column::Id)
            .into_tuple()
            .all(db)
            .await?;
        for (c, s) in rows {
            texts.entry(c).or_default().push(s);
        }
        for c in convs {
            let at = c.solved_at.unwrap_or(c.updated_at);
            let f = features_of(&c, texts.get(&c.id).map_or(&[][..], Vec::as_slice), at);
            if let Some(r) = rating.get(&c.id) {
                pairs.push((satisfaction(&f).0, *r));
            }
        }
    }
    Ok(check_of(&pairs, days))
}

/// The figures of predictions `(p, real rating)`.
pub fn check_of(pairs: &[(f64, i32)], days: i64) -> PredictionCheck {
    #[allow(clippy::cast_precision_loss, reason = "thousands of answers")]
    let n = pairs.len() as f64;
    let happy = |r: i32| r >= 4;
    let happy_share = if pairs.is_empty() {
        0.0
    } else {
        #[allow(clippy::cast_precision_loss, reason = "thousands of answers")]
        let k = pairs.iter().filter(|(_, r)| happy(*r)).count() as f64;
        k / n
    };
    #[allow(clippy::cast_precision_loss, reason = "thousands of answers")]
    let correct = pairs
        .iter()
        .filter(|(p, r)| (*p >= 0.5) == happy(*r))
        .count() as f64;
    let mae = pairs
        .iter()
        .map(|(p, r)| (1.0 + 4.0 * p - f64::from(*r)).abs())
        .sum::<f64>()
        / n.max(1.0);
    let mean_rating = pairs.iter().map(|(_, r)| f64::from(*r)).sum::<f64>() / n.max(1.0);
    let baseline_mae = pairs
        .iter()
        .map(|(_, r)| (mean_rating - f64::from(*r)).abs())
        .sum::<f64>()
        / n.max(1.0);
    // AUC: the chance a satisfied answer was predicted higher than an
    // unsatisfied one (ties count half), by ranks.
    let mut ranked: Vec<(f64, bool)> = pairs.iter().map(|(p, r)| (*p, happy(*r))).collect();
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut rank_sum, mut i) = (0.0, 0);
    while i < ranked.len() {
        let mut j = i;
        while j + 1 < ranked.len() && (ranked[j + 1].0 - ranked[i].0).abs() < 1e-12 {
            j += 1;
        }
        #[allow(clippy::cast_precision_loss, reason = "thousands of answers")]
        let avg = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += avg * ranked[i..=j].iter().filter(|(_, h)| *h).count() as f64;
        i = j + 1;
    }
    #[allow(clippy::cast_precision_loss, reason = "thousands of answers")]
    let pos = ranked.iter().filter(|(_, h)| *h).count() as f64;
    let neg = n - pos;
    let auc = (pos > 0.0 && neg > 0.0).then(|| (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg));
    PredictionCheck {
        days,
        answers: u64::try_from(pairs.len()).unwrap_or(u64::MAX),
        accuracy: (!pairs.is_empty()).then(|| correct / n),
        baseline_accuracy: (!pairs.is_empty()).then(|| happy_share.max(1.0 - happy_share)),
        mae: (!pairs.is_empty()).then_some(mae),
        baseline_mae: (!pairs.is_empty()).then_some(baseline_mae),
        auc,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn fast_friendly_conversations_predict_happier_than_slow_angry_ones() {
        let good = Features {
            sentiments: vec![0.6],
            first_reply_hours: 0.25,
            resolution_hours: 2.0,
            breached: false,
        };
        let bad = Features {
            sentiments: vec![0.3, 0.2, 0.15, 0.1],
            first_reply_hours: 9.0,
            resolution_hours: 40.0,
            breached: true,
        };
        let (pg, _) = satisfaction(&good);
        let (pb, why) = satisfaction(&bad);
        assert!(pg > 0.75, "{pg}");
        assert!(pb < 0.2, "{pb}");
        assert!(
            why[0].contains("SLA") || why[0].contains("negative"),
            "{why:?}"
        );
    }

    #[test]
    fn health_loses_points_for_what_the_docs_say() {
        let calm = health_of(1, 0, &[0.55], &[0.55], &[5, 5]);
        assert_eq!(calm.score, 100);
        assert_eq!(calm.churn_risk, "low");
        // 4 conversations (−18), 2 open (−10), recent 0.3 (−12), fell from 0.5 (−8),
        // ratings mean 2 (−24): 28.
        let h = health_of(4, 2, &[0.3], &[0.5], &[2, 2]);
        assert_eq!(h.score, 28, "{h:?}");
        assert_eq!(h.churn_risk, "high");
        assert_eq!(h.factors[0], "−24 survey answers average 2.0 of 5");
    }

    #[test]
    fn the_check_counts_accuracy_error_and_ranking() {
        let pairs = [(0.9, 5), (0.8, 4), (0.3, 2), (0.6, 1)];
        let c = check_of(&pairs, 90);
        assert_eq!(c.answers, 4);
        assert!((c.accuracy.unwrap() - 0.75).abs() < 1e-9);
        // Satisfied ones (0.9, 0.8) outrank both others: AUC 1.
        assert!((c.auc.unwrap() - 1.0).abs() < 1e-9);
        assert!((c.baseline_accuracy.unwrap() - 0.5).abs() < 1e-9);
        assert!(c.mae.unwrap() > 0.0);
    }
}
