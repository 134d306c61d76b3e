//! AutoQA (SPEC C8.6): every solved conversation is reviewed against the
//! workspace's scorecard — by the AI provider when one is configured, else by
//! the documented rules in [`heuristics`] — and people review beside it. The
//! calibration view compares the two; reviews lead to coaching assignments;
//! spotlight flags (negative sentiment, compliance risk) pick out the
//! conversations to read first.
//!
//! - **When**: the `quality.sweep` job (every five minutes) reviews the
//!   conversations solved in the last seven days that have no automatic review,
//!   200 at a time, oldest first. The automatic review is written once per
//!   conversation (a unique key, so two sweeps never both write it); a
//!   conversation solved again later keeps its first review.
//! - **Provider**: asked for JSON scores 0–100 per criterion of the scorecard
//!   with the transcript; a criterion it leaves out, or an answer it gets wrong,
//!   falls back to the rules, and a failed call scores by the rules entirely.
//!   Flags are always raised by the rules, so they do not depend on a model.
//! - **Who**: owners and admins review, coach and edit the scorecard; agents
//!   see the reviews of their own conversations and their coaching.

pub mod heuristics;

use super::context::{user_names, Actor};
use super::tenancy::{Scoped, System};
use super::{now, AppState, ServiceError, ServiceResult};
use crate::permissions::Action;
use crate::services::ai::engine::extract_json;
use crate::services::ai::providers::{ChatMessage, ChatRequest, Role};
use crate::services::ai::settings;
use crate::types::{
    CalibrationRow, CoachingForm, CoachingView, Criterion, ManualReviewForm, MessageKind,
    QualityPage, ReviewDetail, ReviewRow, ReviewView,
};
use chrono::Duration;
use entity::{conversation, qa_coaching, qa_review, qa_scorecard};
use heuristics::{assess, Line};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Set,
};
use std::collections::{BTreeMap, HashMap};

/// Job kind: review what was solved lately (every five minutes).
pub const SWEEP_JOB: &str = "quality.sweep";
/// Conversations reviewed per sweep.
const BATCH: u64 = 200;
/// How far back the sweep looks for solved conversations.
const LOOKBACK_DAYS: i64 = 7;
/// Reviewed conversations listed.
const LISTED: u64 = 50;
/// The most criteria on a scorecard.
pub const MAX_CRITERIA: usize = 12;
/// Two scores within this many points agree.
const AGREE_WITHIN: f64 = 20.0;

/// The scorecard of a workspace (the defaults until it is edited).
///
/// # Errors
/// Database errors.
pub async fn scorecard(db: &impl ConnectionTrait, scope: Scoped) -> ServiceResult<Vec<Criterion>> {
    Ok(scope
        .find::<qa_scorecard::Entity>()
        .one(db)
        .await?
        .and_then(|r| serde_json::from_str(&r.criteria).ok())
        .unwrap_or_else(Criterion::defaults))
}

/// Saves the scorecard.
///
/// # Errors
/// Permission; `Invalid` naming what to fix; database errors.
pub async fn save_scorecard(
    db: &impl ConnectionTrait,
    actor: &Actor,
    criteria: Vec<Criterion>,
) -> ServiceResult<Vec<Criterion>> {
    actor.require(Action::ManageReports)?;
    let mut clean: Vec<Criterion> = Vec::new();
    for mut c in criteria {
        c.key = c.key.trim().to_lowercase();
        c.name = c.name.trim().to_owned();
        c.description = c.description.trim().to_owned();
        if c.key.is_empty() && c.name.is_empty() {
            continue;
        }
        if c.key.is_empty() {
            c.key = c
                .name
                .to_lowercase()
                .chars()
                .map(|ch| if ch.is_ascii_alphanumeric() { ch } else { '_' })
                .collect();
        }
        if !c
            .key
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
            || c.key.len() > 40
        {
            return Err(ServiceError::invalid(
                "criteria",
                format!(
                    "The key \u{201c}{}\u{201d} may only hold letters, digits and _ (at most 40).",
                    c.key
                ),
            ));
        }
        if c.name.is_empty() || c.name.chars().count() > 60 {
            return Err(ServiceError::invalid(
                "criteria",
                "Name every criterion (at most 60 characters).",
            ));
        }
        if c.description.chars().count() > 300 {
            return Err(ServiceError::invalid(
                "criteria",
                format!(
                    "The description of {} is longer than 300 characters.",
                    c.name
                ),
            ));
        }
        if c.weight > 100 {
            return Err(ServiceError::invalid(
                "criteria",
                format!("The weight of {} must be 0 to 100.", c.name),
            ));
        }
        if clean.iter().any(|x| x.key == c.key) {
            return Err(ServiceError::invalid(
                "criteria",
                format!("Two criteria have the key {}.", c.key),
            ));
        }
        clean.push(c);
    }
    if clean.len() > MAX_CRITERIA {
        return Err(ServiceError::invalid(
            "criteria",
            "A scorecard has at most 12 criteria.",
        ));
    }
    if !clean.iter().any(|c| c.enabled && c.weight > 0) {
        return Err(ServiceError::invalid(
            "criteria",
            "Keep at least one criterion switched on with a weight above 0.",
        ));
    }
    let json = serde_json::to_string(&clean).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let row = qa_scorecard::ActiveModel {
        workspace_id: Set(actor.scope.workspace_id()),
        criteria: Set(json),
        updated_at: Set(now()),
        ..Default::default()
    };
    qa_scorecard::Entity::insert(row)
        .on_conflict(
            OnConflict::column(qa_scorecard::Column::WorkspaceId)
                .update_columns([
                    qa_scorecard::Column::Criteria,
                    qa_scorecard::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(clean)
}

/// The weighted total of `scores` over the enabled criteria they cover.
pub fn total(criteria: &[Criterion], scores: &[(String, u32)]) -> u32 {
    let (mut sum, mut weights) = (0u64, 0u64);
    for c in criteria.iter().filter(|c| c.enabled) {
        if let Some((_, s)) = scores.iter().find(|(k, _)| *k == c.key) {
            sum += u64::from(*s) * u64::from(c.weight);
            weights += u64::from(c.weight);
        }
    }
    u32::try_from(sum.checked_div(weights).unwrap_or(0)).unwrap_or(0)
}

/// The public replies of a conversation, oldest first.
async fn lines(
    db: &impl ConnectionTrait,
    scope: Scoped,
    conversation_id: i32,
) -> ServiceResult<Vec<Line>> {
    Ok(super::inbox::messages::thread(db, scope, conversation_id)
        .await?
        .into_iter()
        .filter(|m| m.kind == MessageKind::Reply && m.side_conversation_id.is_none())
        .map(|m| Line {
            from_customer: m.author_kind == "customer",
            text: m.body_text,
        })
        .collect())
}

/// Asks the provider for scores; the scores it gave for known keys.
async fn provider_scores(
    state: &AppState,
    scope: Scoped,
    criteria: &[Criterion],
    lines: &[Line],
) -> Option<Vec<(String, u32)>> {
    let s = settings::load(&state.db, scope).await.ok()?;
    let p = settings::provider(state, scope, &s).ok()??;
    let card: String = criteria
        .iter()
        .filter(|c| c.enabled)
        .map(|c| format!("- {} ({}): {}\n", c.key, c.name, c.description))
        .collect();
    let transcript: String = lines
        .iter()
        .map(|l| {
            format!(
                "{}: {}\n",
                if l.from_customer { "Customer" } else { "Agent" },
                l.text
            )
        })
        .collect();
    let req = ChatRequest {
        model: p.model().to_owned(),
        system: Some(format!(
            "You review customer-support conversations for quality. Score the agent's replies from 0 (poor) to 100 (excellent) on each criterion:\n{card}Reply with JSON only: {{\"scores\": {{\"<key>\": <0-100>, ...}}}}."
        )),
        messages: vec![ChatMessage {
            role: Role::User,
            content: transcript,
        }],
        tools: Vec::new(),
        max_tokens: 300,
        temperature: Some(0.0),
    };
    let resp = p.chat(&req).await.ok()?;
    let v: serde_json::Value = serde_json::from_str(extract_json(&resp.text)?).ok()?;
    let scores = v.get("scores")?.as_object()?;
    Some(
        criteria
            .iter()
            .filter(|c| c.enabled)
            .filter_map(|c| {
                let s = scores.get(&c.key)?.as_f64()?;
                #[allow(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "checked to 0–100"
                )]
                let s = (0.0..=100.0).contains(&s).then(|| s.round() as u32)?;
                Some((c.key.clone(), s))
            })
            .collect(),
    )
}

/// Writes the automatic review of one conversation (nothing when it has one,
/// or no agent replied). Returns whether one was written.
///
/// # Errors
/// Database errors.
pub async fn review_automatically(
    state: &AppState,
    c: &conversation::Model,
) -> ServiceResult<bool> {
    let scope = Scoped::new(c.workspace_id);
    let criteria = scorecard(&state.db, scope).await?;
    let lines = lines(&state.db, scope, c.id).await?;
    let keys: Vec<String> = criteria
        .iter()
        .filter(|x| x.enabled)
        .map(|x| x.key.clone())
        .collect();
    let rules = assess(&lines, &keys);
    let has_agent = lines.iter().any(|l| !l.from_customer);
    let (source, scores) = if has_agent {
        match provider_scores(state, scope, &criteria, &lines).await {
            Some(given) if !given.is_empty() => {
                let mut scores = given;
                for (k, v) in &rules.scores {
                    if !scores.iter().any(|(x, _)| x == k) {
                        scores.push((k.clone(), *v));
                    }
                }
                ("provider", scores)
            }
            _ => ("heuristics", rules.scores.clone()),
        }
    } else {
        ("heuristics", Vec::new())
    };
    let t = now();
    let row = qa_review::ActiveModel {
        workspace_id: Set(c.workspace_id),
        conversation_id: Set(c.id),
        agent_user_id: Set(c.assignee_id),
        reviewer_user_id: Set(None),
        reviewer_key: Set("auto".to_owned()),
        source: Set(source.to_owned()),
        scores: Set(scores_json(&scores)),
        total: Set(i32::try_from(total(&criteria, &scores)).unwrap_or(0)),
        flags: Set(serde_json::to_string(&rules.flags).unwrap_or_else(|_| "[]".into())),
        notes: Set((!rules.notes.is_empty()).then(|| rules.notes.join(" "))),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    };
    let n = qa_review::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                qa_review::Column::ConversationId,
                qa_review::Column::ReviewerKey,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&state.db)
        .await?;
    Ok(n == 1)
}

fn scores_json(scores: &[(String, u32)]) -> String {
    let map: BTreeMap<&str, u32> = scores.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    serde_json::to_string(&map).unwrap_or_else(|_| "{}".into())
}

fn scores_of(json: &str, criteria: &[Criterion]) -> Vec<(String, u32)> {
    let map: BTreeMap<String, u32> = serde_json::from_str(json).unwrap_or_default();
    let mut out: Vec<(String, u32)> = criteria
        .iter()
        .filter_map(|c| map.get(&c.key).map(|v| (c.key.clone(), *v)))
        .collect();
    for (k, v) in &map {
        if !out.iter().any(|(x, _)| x == k) {
            out.push((k.clone(), *v));
        }
    }
    out
}

/// The sweep: reviews what was solved lately and has no automatic review.
///
/// # Errors
/// The failures, joined.
pub async fn sweep(state: &AppState) -> Result<(), String> {
    let sys = System::new("AutoQA reviews every workspace's solved conversations");
    let reviewed = sys
        .find::<qa_review::Entity>()
        .filter(qa_review::Column::ReviewerKey.eq("auto"))
        .select_only()
        .column(qa_review::Column::ConversationId)
        .into_query();
    let due = sys
        .find::<conversation::Entity>()
        .filter(conversation::Column::SolvedAt.gte(now() - Duration::days(LOOKBACK_DAYS)))
        .filter(conversation::Column::Status.is_in(["solved", "closed"]))
        .filter(conversation::Column::Id.not_in_subquery(reviewed))
        .order_by_asc(conversation::Column::SolvedAt)
        .limit(BATCH)
        .all(&state.db)
        .await
        .map_err(|e| e.to_string())?;
    let mut failed = Vec::new();
    for c in due {
        if let Err(e) = review_automatically(state, &c).await {
            tracing::error!(conversation = c.id, error = %e, "AutoQA review failed");
            failed.push(format!("conversation {}: {e}", c.id));
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("; "))
    }
}

fn review_view(
    r: &qa_review::Model,
    criteria: &[Criterion],
    names: &HashMap<i32, String>,
    conv: (i32, &str),
) -> ReviewView {
    ReviewView {
        id: r.id,
        number: conv.0,
        subject: conv.1.to_owned(),
        agent: r.agent_user_id.and_then(|u| names.get(&u).cloned()),
        reviewer: r.reviewer_user_id.and_then(|u| names.get(&u).cloned()),
        source: r.source.clone(),
        scores: scores_of(&r.scores, criteria),
        total: u32::try_from(r.total).unwrap_or(0),
        flags: serde_json::from_str(&r.flags).unwrap_or_default(),
        notes: r.notes.clone(),
        created_at: r.created_at.to_rfc3339(),
    }
}

/// Number and subject of each of `ids`, by id.
async fn numbers(
    db: &impl ConnectionTrait,
    scope: Scoped,
    ids: Vec<i32>,
) -> ServiceResult<HashMap<i32, (i32, String)>> {
    Ok(scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::Id.is_in(ids))
        .select_only()
        .column(conversation::Column::Id)
        .column(conversation::Column::Number)
        .column(conversation::Column::Subject)
        .into_tuple::<(i32, i32, String)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, n, s)| (id, (n, s)))
        .collect())
}

/// The quality page.
///
/// # Errors
/// Permission; database errors.
pub async fn page(
    state: &AppState,
    actor: &Actor,
    flagged_only: bool,
) -> ServiceResult<QualityPage> {
    actor.require(Action::ViewReports)?;
    let db = &state.db;
    let manage = actor.can(Action::ManageReports);
    let criteria = scorecard(db, actor.scope).await?;
    let mut q = actor.scope.find::<qa_review::Entity>();
    if !manage {
        q = q.filter(qa_review::Column::AgentUserId.eq(actor.user_id));
    }
    let reviews = q
        .order_by_desc(qa_review::Column::Id)
        .limit(LISTED * 4)
        .all(db)
        .await?;
    let conv_ids: Vec<i32> = reviews.iter().map(|r| r.conversation_id).collect();
    let convs = numbers(db, actor.scope, conv_ids).await?;
    let coaching_rows = {
        let mut q = actor.scope.find::<qa_coaching::Entity>();
        if !manage {
            q = q.filter(qa_coaching::Column::AgentUserId.eq(actor.user_id));
        }
        q.order_by_asc(qa_coaching::Column::Status)
            .order_by_desc(qa_coaching::Column::Id)
            .limit(LISTED)
            .all(db)
            .await?
    };
    let mut people: Vec<i32> = Vec::new();
    for r in &reviews {
        people.extend(r.agent_user_id);
        people.extend(r.reviewer_user_id);
    }
    for c in &coaching_rows {
        people.push(c.agent_user_id);
        people.push(c.assigned_by);
    }
    let names = user_names(db, people).await?;
    // Reviews grouped by conversation, newest first.
    let mut order: Vec<i32> = Vec::new();
    let mut by_conv: HashMap<i32, Vec<&qa_review::Model>> = HashMap::new();
    for r in &reviews {
        if !by_conv.contains_key(&r.conversation_id) {
            order.push(r.conversation_id);
        }
        by_conv.entry(r.conversation_id).or_default().push(r);
    }
    let mut rows = Vec::new();
    for id in order {
        let Some((number, subject)) = convs.get(&id) else {
            continue;
        };
        let list = &by_conv[&id];
        let auto = list
            .iter()
            .find(|r| r.reviewer_user_id.is_none())
            .map(|r| review_view(r, &criteria, &names, (*number, subject)));
        let flags = auto.as_ref().map(|a| a.flags.clone()).unwrap_or_default();
        if flagged_only && flags.is_empty() {
            continue;
        }
        rows.push(ReviewRow {
            number: *number,
            subject: subject.clone(),
            agent: list
                .iter()
                .find_map(|r| r.agent_user_id)
                .and_then(|u| names.get(&u).cloned()),
            auto,
            manual: list
                .iter()
                .filter(|r| r.reviewer_user_id.is_some())
                .map(|r| review_view(r, &criteria, &names, (*number, subject)))
                .collect(),
            flags,
        });
        if rows.len() >= usize::try_from(LISTED).unwrap_or(usize::MAX) {
            break;
        }
    }
    let coach_convs: HashMap<i32, (i32, String)> = {
        let review_ids: Vec<i32> = coaching_rows.iter().map(|c| c.review_id).collect();
        let pairs: Vec<(i32, i32)> = actor
            .scope
            .find::<qa_review::Entity>()
            .filter(qa_review::Column::Id.is_in(review_ids))
            .select_only()
            .column(qa_review::Column::Id)
            .column(qa_review::Column::ConversationId)
            .into_tuple()
            .all(db)
            .await?;
        let conv_of: HashMap<i32, i32> = pairs.into_iter().collect();
        let wanted: Vec<i32> = conv_of.values().copied().collect();
        let found = numbers(db, actor.scope, wanted).await?;
        conv_of
            .into_iter()
            .filter_map(|(r, c)| found.get(&c).map(|x| (r, x.clone())))
            .collect()
    };
    let coaching = coaching_rows
        .iter()
        .map(|c| {
            let (number, subject) = coach_convs.get(&c.review_id).cloned().unwrap_or_default();
            CoachingView {
                id: c.id,
                number,
                subject,
                agent: names.get(&c.agent_user_id).cloned().unwrap_or_default(),
                assigned_by: names.get(&c.assigned_by).cloned().unwrap_or_default(),
                note: c.note.clone(),
                status: c.status.clone(),
                can_finish: c.status == "open" && (manage || c.agent_user_id == actor.user_id),
                created_at: c.created_at.to_rfc3339(),
            }
        })
        .collect();
    let calibration = if manage {
        calibrate(db, actor.scope, &criteria).await?
    } else {
        Vec::new()
    };
    let s = settings::load(db, actor.scope).await?;
    let engine = if settings::provider(state, actor.scope, &s)?.is_some() {
        "provider"
    } else {
        "heuristics"
    };
    Ok(QualityPage {
        criteria,
        rows,
        calibration,
        coaching,
        can_manage: manage,
        engine: engine.to_owned(),
        flagged_only,
    })
}

/// Per criterion: AutoQA against people on the conversations both reviewed
/// (each conversation's manual scores averaged first).
async fn calibrate(
    db: &impl ConnectionTrait,
    scope: Scoped,
    criteria: &[Criterion],
) -> ServiceResult<Vec<CalibrationRow>> {
    let manual = scope
        .find::<qa_review::Entity>()
        .filter(qa_review::Column::ReviewerUserId.is_not_null())
        .order_by_desc(qa_review::Column::Id)
        .limit(2_000)
        .all(db)
        .await?;
    let ids: Vec<i32> = manual.iter().map(|r| r.conversation_id).collect();
    let auto: HashMap<i32, BTreeMap<String, u32>> = scope
        .find::<qa_review::Entity>()
        .filter(qa_review::Column::ReviewerKey.eq("auto"))
        .filter(qa_review::Column::ConversationId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|r| {
            (
                r.conversation_id,
                serde_json::from_str(&r.scores).unwrap_or_default(),
            )
        })
        .collect();
    let mut people: HashMap<i32, Vec<BTreeMap<String, u32>>> = HashMap::new();
    for r in &manual {
        people
            .entry(r.conversation_id)
            .or_default()
            .push(serde_json::from_str(&r.scores).unwrap_or_default());
    }
    Ok(criteria
        .iter()
        .filter(|c| c.enabled)
        .map(|c| {
            let mut pairs: Vec<(f64, f64)> = Vec::new();
            for (conv, reviews) in &people {
                let Some(a) = auto.get(conv).and_then(|m| m.get(&c.key)) else {
                    continue;
                };
                let given: Vec<f64> = reviews
                    .iter()
                    .filter_map(|m| m.get(&c.key).map(|v| f64::from(*v)))
                    .collect();
                if given.is_empty() {
                    continue;
                }
                #[allow(clippy::cast_precision_loss, reason = "a few reviewers")]
                let m = given.iter().sum::<f64>() / given.len() as f64;
                pairs.push((f64::from(*a), m));
            }
            #[allow(clippy::cast_precision_loss, reason = "thousands of pairs")]
            let n = pairs.len() as f64;
            let avg = |f: &dyn Fn(&(f64, f64)) -> f64| {
                (!pairs.is_empty()).then(|| pairs.iter().map(f).sum::<f64>() / n)
            };
            CalibrationRow {
                key: c.key.clone(),
                name: c.name.clone(),
                pairs: u64::try_from(pairs.len()).unwrap_or(u64::MAX),
                auto_mean: avg(&|p| p.0),
                manual_mean: avg(&|p| p.1),
                mean_gap: avg(&|p| (p.0 - p.1).abs()),
                agreement: avg(&|p| {
                    if (p.0 - p.1).abs() <= AGREE_WITHIN {
                        1.0
                    } else {
                        0.0
                    }
                }),
            }
        })
        .collect())
}

/// One conversation's reviews and transcript, for reviewing it.
///
/// # Errors
/// Permission (agents see only their own conversations: `Forbidden`);
/// `NotFound`; database errors.
pub async fn detail(
    db: &impl ConnectionTrait,
    actor: &Actor,
    number: i32,
) -> ServiceResult<ReviewDetail> {
    actor.require(Action::ViewReports)?;
    let manage = actor.can(Action::ManageReports);
    let c = super::inbox::conversations::find_by_number(db, actor.scope, number).await?;
    if !manage && c.assignee_id != Some(actor.user_id) {
        return Err(ServiceError::forbidden(
            "You can open the reviews of your own conversations only.",
        ));
    }
    let criteria = scorecard(db, actor.scope).await?;
    let reviews = actor
        .scope
        .find::<qa_review::Entity>()
        .filter(qa_review::Column::ConversationId.eq(c.id))
        .order_by_asc(qa_review::Column::Id)
        .all(db)
        .await?;
    let mut people: Vec<i32> = c.assignee_id.into_iter().collect();
    for r in &reviews {
        people.extend(r.agent_user_id);
        people.extend(r.reviewer_user_id);
    }
    let names = user_names(db, people).await?;
    let views: Vec<ReviewView> = reviews
        .iter()
        .map(|r| review_view(r, &criteria, &names, (c.number, &c.subject)))
        .collect();
    let mine_key = format!("user:{}", actor.user_id);
    Ok(ReviewDetail {
        number: c.number,
        subject: c.subject.clone(),
        agent: c.assignee_id.and_then(|u| names.get(&u).cloned()),
        lines: lines(db, actor.scope, c.id)
            .await?
            .into_iter()
            .map(|l| (l.from_customer, l.text))
            .collect(),
        criteria,
        auto: reviews
            .iter()
            .zip(&views)
            .find(|(r, _)| r.reviewer_user_id.is_none())
            .map(|(_, v)| v.clone()),
        mine: reviews
            .iter()
            .zip(&views)
            .find(|(r, _)| r.reviewer_key == mine_key)
            .map(|(_, v)| v.clone()),
        manual: reviews
            .iter()
            .zip(&views)
            .filter(|(r, _)| r.reviewer_user_id.is_some())
            .map(|(_, v)| v.clone())
            .collect(),
        can_manage: manage,
    })
}

/// Saves (or replaces) your review of a conversation.
///
/// # Errors
/// Permission; `Invalid` scores or notes; `NotFound`; database errors.
pub async fn save_review(
    db: &impl ConnectionTrait,
    actor: &Actor,
    form: &ManualReviewForm,
) -> ServiceResult<ReviewView> {
    actor.require(Action::ManageReports)?;
    let c = super::inbox::conversations::find_by_number(db, actor.scope, form.number).await?;
    let criteria = scorecard(db, actor.scope).await?;
    let mut scores = Vec::new();
    for cr in criteria.iter().filter(|c| c.enabled) {
        let Some(v) = form.scores.get(&cr.key) else {
            return Err(ServiceError::invalid(
                "scores",
                format!("Score {} (0 to 100).", cr.name),
            ));
        };
        if *v > 100 {
            return Err(ServiceError::invalid(
                "scores",
                format!("Score {} from 0 to 100.", cr.name),
            ));
        }
        scores.push((cr.key.clone(), *v));
    }
    let notes = form.notes.trim();
    if notes.chars().count() > 2_000 {
        return Err(ServiceError::invalid(
            "notes",
            "Notes can be at most 2,000 characters.",
        ));
    }
    let t = now();
    let key = format!("user:{}", actor.user_id);
    let existing = actor
        .scope
        .find::<qa_review::Entity>()
        .filter(qa_review::Column::ConversationId.eq(c.id))
        .filter(qa_review::Column::ReviewerKey.eq(key.clone()))
        .one(db)
        .await?;
    let total_now = i32::try_from(total(&criteria, &scores)).unwrap_or(0);
    let notes = (!notes.is_empty()).then(|| notes.to_owned());
    let row = match existing {
        Some(r) => {
            let mut a: qa_review::ActiveModel = r.into();
            a.scores = Set(scores_json(&scores));
            a.total = Set(total_now);
            a.notes = Set(notes);
            a.updated_at = Set(t);
            a.update(db).await?
        }
        None => {
            qa_review::ActiveModel {
                workspace_id: Set(actor.scope.workspace_id()),
                conversation_id: Set(c.id),
                agent_user_id: Set(c.assignee_id),
                reviewer_user_id: Set(Some(actor.user_id)),
                reviewer_key: Set(key),
                source: Set("manual".into()),
                scores: Set(scores_json(&scores)),
                total: Set(total_now),
                flags: Set("[]".into()),
                notes: Set(notes),
                created_at: Set(t),
                updated_at: Set(t),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    let people: Vec<i32> = [row.agent_user_id, row.reviewer_user_id]
        .into_iter()
        .flatten()
        .collect();
    let names = user_names(db, people).await?;
    Ok(review_view(&row, &criteria, &names, (c.number, &c.subject)))
}

/// Assigns coaching on a reviewed conversation to its agent.
///
/// # Errors
/// Permission; `Invalid` note or a conversation without an agent; `NotFound`;
/// database errors.
pub async fn assign_coaching(
    db: &impl ConnectionTrait,
    actor: &Actor,
    form: &CoachingForm,
) -> ServiceResult<()> {
    actor.require(Action::ManageReports)?;
    let note = form.note.trim();
    if note.is_empty() || note.chars().count() > 1_000 {
        return Err(ServiceError::invalid(
            "note",
            "Say what to look at (at most 1,000 characters).",
        ));
    }
    let r = actor
        .scope
        .find::<qa_review::Entity>()
        .filter(qa_review::Column::Id.eq(form.review_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Review"))?;
    let Some(agent) = r.agent_user_id else {
        return Err(ServiceError::invalid(
            "review_id",
            "This conversation had no assigned agent to coach.",
        ));
    };
    qa_coaching::ActiveModel {
        workspace_id: Set(actor.scope.workspace_id()),
        review_id: Set(r.id),
        agent_user_id: Set(agent),
        assigned_by: Set(actor.user_id),
        note: Set(note.to_owned()),
        status: Set("open".into()),
        created_at: Set(now()),
        done_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Marks coaching done (the agent coached, or a manager).
///
/// # Errors
/// Permission; `NotFound`; database errors.
pub async fn finish_coaching(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: i32,
) -> ServiceResult<()> {
    actor.require(Action::ViewReports)?;
    let mut q = actor
        .scope
        .update_many::<qa_coaching::Entity>()
        .col_expr(
            qa_coaching::Column::Status,
            sea_orm::sea_query::Expr::value("done"),
        )
        .col_expr(
            qa_coaching::Column::DoneAt,
            sea_orm::sea_query::Expr::value(Some(now())),
        )
        .filter(qa_coaching::Column::Id.eq(id))
        .filter(qa_coaching::Column::Status.eq("open"));
    if !actor.can(Action::ManageReports) {
        q = q.filter(qa_coaching::Column::AgentUserId.eq(actor.user_id));
    }
    if q.exec(db).await?.rows_affected == 0 {
        return Err(ServiceError::NotFound("Open coaching assignment"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_total_weighs_enabled_criteria_it_has_scores_for() {
        let mut c = Criterion::defaults();
        c[0].weight = 40; // tone
        c[4].enabled = false; // empathy
        let scores = vec![
            ("tone".to_owned(), 50),
            ("accuracy".to_owned(), 100),
            ("empathy".to_owned(), 0),
        ];
        // (50·40 + 100·20) / 60 = 66.
        assert_eq!(total(&c, &scores), 66);
        assert_eq!(total(&c, &[]), 0);
    }
}
