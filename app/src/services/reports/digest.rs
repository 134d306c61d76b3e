//! The daily digest (SPEC C8.7): once the morning has come in the workspace's zone
//! (08:00 in its first owner's zone, UTC when unset), the hourly job builds the
//! digest of the day before — volume, resolution and first-reply times per
//! channel, the most frequent issues, how customers' messages read, and solved
//! conversations no article answers (knowledge-base candidates) — stores it (one
//! per workspace and day) and tells the owners and admins: in the app, and by
//! email as their notification preferences say (kind "Daily digest").
//!
//! A day with nothing opened, solved or written gets no digest.

use super::super::context::Actor;
use super::super::kb::search::{self, Audience};
use super::super::kb::structure;
use super::super::notify::{self, Notice};
use super::super::tenancy::{global, Scoped};
use super::super::uow::UnitOfWork;
use super::super::{now, AppState, ServiceError, ServiceResult};
use crate::permissions::{can, Action, Role};
use crate::services::ai::{pipeline, sentiment, textutil};
use crate::types::{
    ticket_ref, Channel, DigestChannel, DigestIssue, DigestPage, DigestSentiment, DigestTicket,
    DigestView, NoticeKind,
};
use chrono::{DateTime, Utc};
use entity::{conversation, conversation_tag, digest, membership, message, tag, user, workspace};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Set, SqlErr,
};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Job kind: build the digests that are due (hourly).
pub const JOB: &str = "reports.digest";

/// Local hour from which yesterday's digest is built.
pub const READY_HOUR: i8 = 8;

/// Solved conversations checked against the knowledge base per day (newest first).
const KB_CHECKS: u64 = 50;

/// Customer messages read for the sentiment per day.
const SENTIMENT_MESSAGES: u64 = 5_000;

/// Below this sentiment a message counts as negative; above `POSITIVE`, positive.
const NEGATIVE: f32 = 0.35;
const POSITIVE: f32 = 0.65;

/// Issues listed.
const TOP_ISSUES: usize = 6;

/// The digest job: every workspace whose digest is due gets it. One workspace's
/// failure does not stop the others; the job fails (and is retried) if any did.
///
/// # Errors
/// The failures, joined.
pub async fn run_job(state: &AppState) -> Result<(), String> {
    let ids: Vec<i32> = global::<workspace::Entity>()
        .select_only()
        .column(workspace::Column::Id)
        .into_tuple()
        .all(&state.db)
        .await
        .map_err(|e| e.to_string())?;
    let t = now();
    let mut failed = Vec::new();
    for id in ids {
        if let Err(e) = ensure(state, Scoped::new(id), t).await {
            tracing::error!(workspace = id, error = %e, "daily digest failed");
            failed.push(format!("workspace {id}: {e}"));
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("; "))
    }
}

/// The zone the workspace's day is cut in: its first owner's, else UTC.
async fn zone_of(db: &impl ConnectionTrait, scope: Scoped) -> ServiceResult<String> {
    let owner = scope
        .find::<membership::Entity>()
        .filter(membership::Column::Role.eq(Role::Owner.as_str()))
        .order_by_asc(membership::Column::Id)
        .one(db)
        .await?;
    let Some(owner) = owner else {
        return Ok("UTC".into());
    };
    let zone = global::<user::Entity>()
        .filter(user::Column::Id.eq(owner.user_id))
        .one(db)
        .await?
        .and_then(|u| u.timezone)
        .filter(|z| TimeZone::get(z).is_ok());
    Ok(zone.unwrap_or_else(|| "UTC".into()))
}

fn chrono_of(z: &jiff::Zoned) -> DateTime<Utc> {
    DateTime::from_timestamp(z.timestamp().as_second(), 0).unwrap_or_default()
}

/// The day before `t`'s day in `zone`: (day, start, end).
fn day_before(zone: &str, t: DateTime<Utc>) -> Option<(String, DateTime<Utc>, DateTime<Utc>)> {
    let tz = TimeZone::get(zone).unwrap_or(TimeZone::UTC);
    let local = Timestamp::from_second(t.timestamp()).ok()?.to_zoned(tz);
    let end = local.start_of_day().ok()?;
    let start = end.checked_sub(1.day()).ok()?.start_of_day().ok()?;
    Some((start.date().to_string(), chrono_of(&start), chrono_of(&end)))
}

/// [`day_before`], once `t` is past [`READY_HOUR`] in `zone`.
fn due_day(zone: &str, t: DateTime<Utc>) -> Option<(String, DateTime<Utc>, DateTime<Utc>)> {
    let tz = TimeZone::get(zone).unwrap_or(TimeZone::UTC);
    let local = Timestamp::from_second(t.timestamp()).ok()?.to_zoned(tz);
    if local.hour() < READY_HOUR {
        return None;
    }
    day_before(zone, t)
}

/// Builds, stores and announces yesterday's digest when it is due and missing.
/// Returns the stored digest's day.
///
/// # Errors
/// Database errors.
pub async fn ensure(
    state: &AppState,
    scope: Scoped,
    t: DateTime<Utc>,
) -> ServiceResult<Option<String>> {
    let zone = zone_of(&state.db, scope).await?;
    match due_day(&zone, t) {
        Some(d) => store(state, scope, &zone, d).await,
        None => Ok(None),
    }
}

/// Yesterday's digest whatever the hour (the demo workspace gets one at seeding).
///
/// # Errors
/// Database errors.
pub async fn ensure_yesterday(
    state: &AppState,
    scope: Scoped,
    t: DateTime<Utc>,
) -> ServiceResult<Option<String>> {
    let zone = zone_of(&state.db, scope).await?;
    match day_before(&zone, t) {
        Some(d) => store(state, scope, &zone, d).await,
        None => Ok(None),
    }
}

async fn store(
    state: &AppState,
    scope: Scoped,
    zone: &str,
    (day, start, end): (String, DateTime<Utc>, DateTime<Utc>),
) -> ServiceResult<Option<String>> {
    let db = &state.db;
    let exists = scope
        .find::<digest::Entity>()
        .filter(digest::Column::Day.eq(&day))
        .one(db)
        .await?
        .is_some();
    if exists {
        return Ok(None);
    }
    let view = build(db, scope, &day, zone, start, end).await?;
    if view.opened == 0 && view.solved == 0 && view.sentiment.messages == 0 {
        return Ok(None);
    }
    let mut uow = UnitOfWork::begin(state).await?;
    let row = digest::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        day: Set(day.clone()),
        zone: Set(zone.to_owned()),
        period_start: Set(start),
        period_end: Set(end),
        body: Set(serde_json::to_string(&view)
            .map_err(|e| ServiceError::Internal(format!("digest: {e}")))?),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(&*uow)
    .await;
    match row {
        Ok(_) => {}
        // Built at the same time by another worker: theirs stands.
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    }
    let readers: Vec<i32> = scope
        .find::<membership::Entity>()
        .all(&*uow)
        .await?
        .into_iter()
        .filter(|m| Role::parse(&m.role).is_some_and(|r| can(r, Action::ManageReports)))
        .map(|m| m.user_id)
        .collect();
    let notice = Notice {
        kind: NoticeKind::Digest,
        recipients: readers,
        ticket: None,
        actor: "Switchboard".into(),
        text: summary(&view),
        path: format!("/app/digest?day={day}"),
        send_at: None,
        once_within_hours: None,
    };
    notify::dispatch_in(&mut uow, scope, notice).await?;
    uow.commit().await?;
    Ok(Some(day))
}

fn duration_text(secs: i64) -> String {
    let m = secs.max(0) / 60;
    if m >= 60 {
        format!("{}h {:02}m", m / 60, m % 60)
    } else {
        format!("{m}m")
    }
}

/// The digest in words: the notification's text and the email's body.
#[must_use]
pub fn summary(v: &DigestView) -> String {
    let mut out = format!(
        "Your support day {}: {} opened, {} solved",
        v.day, v.opened, v.solved
    );
    if let Some(s) = v.avg_first_reply_secs {
        out.push_str(&format!(", first reply in {} on average", duration_text(s)));
    }
    out.push('.');
    if !v.channels.is_empty() {
        out.push_str("\n\nBy channel:");
        for c in &v.channels {
            out.push_str(&format!(
                "\n- {}: {} opened, {} solved",
                c.label, c.opened, c.solved
            ));
            if let Some(p) = c.resolved_same_day_pct {
                out.push_str(&format!(", {p}% of them solved the same day"));
            }
            if let Some(s) = c.avg_first_reply_secs {
                out.push_str(&format!(", first reply {}", duration_text(s)));
            }
        }
    }
    if !v.top_issues.is_empty() {
        let issues: Vec<String> = v
            .top_issues
            .iter()
            .map(|i| format!("{} ({})", i.label, i.count))
            .collect();
        out.push_str(&format!("\n\nTop issues: {}.", issues.join(", ")));
    }
    let s = &v.sentiment;
    if s.messages > 0 {
        out.push_str(&format!(
            "\n\nSentiment over {} customer messages: {} negative, {} neutral, {} positive.",
            s.messages, s.negative, s.neutral, s.positive
        ));
    }
    if !v.kb_candidates.is_empty() {
        let refs: Vec<String> = v
            .kb_candidates
            .iter()
            .map(|t| format!("{} “{}”", t.reference, t.subject))
            .collect();
        out.push_str(&format!(
            "\n\nNo article answers {} solved conversation(s): {}.",
            v.kb_candidates.len(),
            refs.join("; ")
        ));
    }
    out
}

fn pct(part: u64, whole: u64) -> Option<u32> {
    (whole > 0).then(|| u32::try_from(part * 100 / whole).unwrap_or(100))
}

fn ticket(c: &conversation::Model) -> DigestTicket {
    DigestTicket {
        number: c.number,
        reference: ticket_ref(c.number),
        subject: c.subject.clone(),
    }
}

/// The digest of `[start, end)` (the day `day` in `zone`).
///
/// # Errors
/// Database errors.
pub async fn build<C: ConnectionTrait + Sync>(
    db: &C,
    scope: Scoped,
    day: &str,
    zone: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> ServiceResult<DigestView> {
    let day_query = || {
        scope
            .find::<conversation::Entity>()
            .filter(conversation::Column::CreatedAt.gte(start))
            .filter(conversation::Column::CreatedAt.lt(end))
            .filter(conversation::Column::MergedIntoId.is_null())
    };
    let opened = day_query().all(db).await?;
    let solved_rows: Vec<(String, i64)> = scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::SolvedAt.gte(start))
        .filter(conversation::Column::SolvedAt.lt(end))
        .filter(conversation::Column::MergedIntoId.is_null())
        .select_only()
        .column(conversation::Column::Channel)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .group_by(conversation::Column::Channel)
        .into_tuple()
        .all(db)
        .await?;
    let solved_by: HashMap<String, u64> = solved_rows
        .into_iter()
        .map(|(c, n)| (c, u64::try_from(n).unwrap_or(0)))
        .collect();

    // Per channel.
    let mut by: BTreeMap<String, (u64, u64, i64, u64)> = BTreeMap::new();
    let (mut reply_sum, mut replied) = (0_i64, 0_i64);
    for c in &opened {
        let e = by.entry(c.channel.clone()).or_default();
        e.0 += 1;
        if c.solved_at.is_some_and(|s| s < end) {
            e.1 += 1;
        }
        if let Some(f) = c.first_response_at.filter(|f| *f < end) {
            let secs = (f - c.created_at).num_seconds().max(0);
            e.2 += secs;
            e.3 += 1;
            reply_sum += secs;
            replied += 1;
        }
    }
    for ch in solved_by.keys() {
        by.entry(ch.clone()).or_default();
    }
    let mut channels: Vec<DigestChannel> = by
        .into_iter()
        .map(|(ch, (n, same_day, secs, answered))| DigestChannel {
            label: Channel::parse(&ch).map_or_else(|| ch.clone(), |c| c.label().to_owned()),
            opened: n,
            solved: solved_by.get(&ch).copied().unwrap_or(0),
            resolved_same_day_pct: pct(same_day, n),
            avg_first_reply_secs: (answered > 0)
                .then(|| secs / i64::try_from(answered).unwrap_or(1)),
            channel: ch,
        })
        .collect();
    channels.sort_by(|a, b| {
        (b.opened + b.solved)
            .cmp(&(a.opened + a.solved))
            .then_with(|| a.label.cmp(&b.label))
    });

    let top_issues = issues(
        db,
        scope,
        &opened,
        day_query()
            .select_only()
            .column(conversation::Column::Id)
            .into_query(),
    )
    .await?;
    let sentiment = mood(db, scope, start, end).await?;
    let (kb_candidates, kb_checked) = kb_gaps(db, scope, start, end).await?;
    Ok(DigestView {
        day: day.to_owned(),
        zone: zone.to_owned(),
        opened: opened.len() as u64,
        solved: solved_by.values().sum(),
        avg_first_reply_secs: (replied > 0).then(|| reply_sum / replied),
        channels,
        top_issues,
        sentiment,
        kb_candidates,
        kb_checked,
    })
}

/// Tags of the day's conversations, then words their subjects share (untagged
/// ones), most frequent first.
async fn issues<C: ConnectionTrait>(
    db: &C,
    scope: Scoped,
    opened: &[conversation::Model],
    ids: sea_orm::sea_query::SelectStatement,
) -> ServiceResult<Vec<DigestIssue>> {
    let tagged: Vec<(i32, i32)> = scope
        .find::<conversation_tag::Entity>()
        .filter(conversation_tag::Column::ConversationId.in_subquery(ids))
        .select_only()
        .column(conversation_tag::Column::ConversationId)
        .column(conversation_tag::Column::TagId)
        .into_tuple()
        .all(db)
        .await?;
    let mut per_tag: HashMap<i32, u64> = HashMap::new();
    let mut has_tag: HashSet<i32> = HashSet::new();
    for (c, t) in &tagged {
        *per_tag.entry(*t).or_default() += 1;
        has_tag.insert(*c);
    }
    let names: HashMap<i32, String> = if per_tag.is_empty() {
        HashMap::new()
    } else {
        scope
            .find::<tag::Entity>()
            .filter(tag::Column::Id.is_in(per_tag.keys().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect()
    };
    let mut out: Vec<DigestIssue> = per_tag
        .into_iter()
        .filter_map(|(id, n)| {
            names.get(&id).map(|name| DigestIssue {
                label: name.clone(),
                kind: "tag".into(),
                count: n,
            })
        })
        .collect();
    let mut words: HashMap<String, u64> = HashMap::new();
    for c in opened.iter().filter(|c| !has_tag.contains(&c.id)) {
        let mut seen = HashSet::new();
        for w in textutil::tokenize(&c.subject) {
            if w.chars().count() >= 4 && !textutil::is_stopword(&w) && seen.insert(w.clone()) {
                *words.entry(w).or_default() += 1;
            }
        }
    }
    out.extend(
        words
            .into_iter()
            .filter(|(_, n)| *n >= 2)
            .map(|(w, n)| DigestIssue {
                label: w,
                kind: "word".into(),
                count: n,
            }),
    );
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
    out.truncate(TOP_ISSUES);
    Ok(out)
}

/// The sentiment of the day's customer messages.
async fn mood<C: ConnectionTrait>(
    db: &C,
    scope: Scoped,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> ServiceResult<DigestSentiment> {
    let rows: Vec<(i32, String)> = scope
        .find::<message::Entity>()
        .filter(message::Column::CreatedAt.gte(start))
        .filter(message::Column::CreatedAt.lt(end))
        .filter(message::Column::Direction.eq("inbound"))
        .filter(message::Column::Kind.eq("reply"))
        .filter(message::Column::SideConversationId.is_null())
        .select_only()
        .column(message::Column::ConversationId)
        .column(message::Column::BodyText)
        .order_by_asc(message::Column::Id)
        .limit(SENTIMENT_MESSAGES)
        .into_tuple()
        .all(db)
        .await?;
    let mut s = DigestSentiment {
        messages: rows.len() as u64,
        ..DigestSentiment::default()
    };
    let mut worst: HashMap<i32, f32> = HashMap::new();
    for (conv, text) in &rows {
        let score = sentiment::score(text);
        if score < NEGATIVE {
            s.negative += 1;
            let w = worst.entry(*conv).or_insert(score);
            *w = w.min(score);
        } else if score > POSITIVE {
            s.positive += 1;
        } else {
            s.neutral += 1;
        }
    }
    let mut ranked: Vec<(i32, f32)> = worst.into_iter().collect();
    ranked.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    ranked.truncate(3);
    if !ranked.is_empty() {
        let convs: HashMap<i32, conversation::Model> = scope
            .find::<conversation::Entity>()
            .filter(conversation::Column::Id.is_in(ranked.iter().map(|r| r.0)))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        s.most_negative = ranked
            .iter()
            .filter_map(|(id, _)| convs.get(id).map(ticket))
            .collect();
    }
    Ok(s)
}

/// Solved conversations of the day whose question no public article answers: the
/// closest section covers under half of the words of the subject and first
/// message. Returns them (at most five listed) and how many were checked.
async fn kb_gaps<C: ConnectionTrait + Sync>(
    db: &C,
    scope: Scoped,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> ServiceResult<(Vec<DigestTicket>, u64)> {
    let solved = scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::SolvedAt.gte(start))
        .filter(conversation::Column::SolvedAt.lt(end))
        .filter(conversation::Column::MergedIntoId.is_null())
        .order_by_desc(conversation::Column::SolvedAt)
        .limit(KB_CHECKS)
        .all(db)
        .await?;
    if solved.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let firsts: HashMap<i32, String> = {
        let rows: Vec<(i32, String)> = scope
            .find::<message::Entity>()
            .filter(message::Column::ConversationId.is_in(solved.iter().map(|c| c.id)))
            .filter(message::Column::Direction.eq("inbound"))
            .filter(message::Column::Kind.eq("reply"))
            .select_only()
            .column(message::Column::ConversationId)
            .column(message::Column::BodyText)
            .order_by_asc(message::Column::Id)
            .into_tuple()
            .all(db)
            .await?;
        let mut m = HashMap::new();
        for (c, t) in rows {
            m.entry(c).or_insert(t);
        }
        m
    };
    let brand = structure::default_brand(db, scope).await?;
    let bv = structure::brand_view(&brand);
    let mut gaps = Vec::new();
    for c in &solved {
        let body: String = firsts
            .get(&c.id)
            .map(|t| t.chars().take(600).collect())
            .unwrap_or_default();
        let question = format!("{}. {body}", c.subject);
        if textutil::content_terms(&question).is_empty() {
            continue;
        }
        let locale = pipeline::detect_locale(&question, &bv.locales, &bv.default_locale);
        let hits =
            search::retrieve(db, scope, &question, Audience::Customer, &locale, 1, None).await?;
        if hits.first().is_none_or(|h| h.coverage < 0.5) {
            gaps.push(ticket(c));
        }
    }
    let checked = solved.len() as u64;
    gaps.truncate(5);
    Ok((gaps, checked))
}

/// The digest page: the day asked for (or the newest) and the days that have one.
///
/// # Errors
/// `Forbidden` without `ViewReports`; `NotFound` for a day without a digest.
pub async fn page(state: &AppState, actor: &Actor, day: Option<&str>) -> ServiceResult<DigestPage> {
    actor.require(Action::ViewReports)?;
    let scope = actor.scope;
    let rows: Vec<(i32, String)> = scope
        .find::<digest::Entity>()
        .select_only()
        .column(digest::Column::Id)
        .column(digest::Column::Day)
        .order_by_desc(digest::Column::Day)
        .limit(30)
        .into_tuple()
        .all(&state.db)
        .await?;
    let days: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
    let wanted = match day.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => {
            if d.parse::<jiff::civil::Date>().is_err() {
                return Err(ServiceError::invalid(
                    "day",
                    format!("`{d}` is not a day: write it as YYYY-MM-DD."),
                ));
            }
            Some(d.to_owned())
        }
        None => days.first().cloned(),
    };
    let digest = match wanted {
        None => None,
        Some(d) => {
            let row = scope
                .find::<digest::Entity>()
                .filter(digest::Column::Day.eq(&d))
                .one(&state.db)
                .await?
                .ok_or(ServiceError::NotFound("A digest for that day"))?;
            Some(
                serde_json::from_str(&row.body)
                    .map_err(|e| ServiceError::Internal(format!("digest {d}: {e}")))?,
            )
        }
    };
    Ok(DigestPage { digest, days })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn the_day_is_due_from_eight_in_the_workspace_zone() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap_or_default();
        // 07:59 in Tokyo (22:59 UTC the evening before): not yet.
        assert_eq!(due_day("Asia/Tokyo", t("2026-03-09T22:59:00Z")), None);
        // 08:00 in Tokyo: the Tokyo day of March 9, from 15:00 UTC on the 8th.
        let (day, start, end) = due_day("Asia/Tokyo", t("2026-03-09T23:00:00Z")).unwrap();
        assert_eq!(day, "2026-03-09");
        assert_eq!(start, t("2026-03-08T15:00:00Z"));
        assert_eq!(end, t("2026-03-09T15:00:00Z"));
        // New York's spring-forward day has 23 hours.
        let (day, start, end) = due_day("America/New_York", t("2026-03-09T14:00:00Z")).unwrap();
        assert_eq!(day, "2026-03-08");
        assert_eq!((end - start).num_hours(), 23);
        // An unknown zone reads as UTC.
        let (day, ..) = due_day("Mars/Olympus", t("2026-03-09T09:00:00Z")).unwrap();
        assert_eq!(day, "2026-03-08");
    }

    #[test]
    fn the_summary_names_every_part() {
        let v = DigestView {
            day: "2026-03-08".into(),
            zone: "UTC".into(),
            opened: 12,
            solved: 9,
            avg_first_reply_secs: Some(3_900),
            channels: vec![DigestChannel {
                channel: "email".into(),
                label: "Email".into(),
                opened: 12,
                solved: 9,
                resolved_same_day_pct: Some(50),
                avg_first_reply_secs: Some(3_900),
            }],
            top_issues: vec![DigestIssue {
                label: "refund".into(),
                kind: "tag".into(),
                count: 4,
            }],
            sentiment: DigestSentiment {
                messages: 20,
                negative: 3,
                neutral: 15,
                positive: 2,
                most_negative: Vec::new(),
            },
            kb_candidates: vec![DigestTicket {
                number: 7,
                reference: "TKT-000007".into(),
                subject: "Gift wrapping".into(),
            }],
            kb_checked: 9,
        };
        let s = summary(&v);
        for part in [
            "12 opened, 9 solved, first reply in 1h 05m",
            "- Email: 12 opened, 9 solved, 50% of them solved the same day",
            "Top issues: refund (4).",
            "3 negative, 15 neutral, 2 positive",
            "TKT-000007 “Gift wrapping”",
        ] {
            assert!(s.contains(part), "{part}\n{s}");
        }
    }
}
