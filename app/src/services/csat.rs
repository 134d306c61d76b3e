//! Customer satisfaction (SPEC C8.5): a rating from 1 to 5 and an optional comment
//! on a solved conversation. Customers answer in the chat widget or, for email and
//! web-form requests, from the survey in the "solved" email, whose links open the
//! conversation's customer page (`/portal/conversation?token=…&rate=N`) with that
//! rating chosen. The rating is recorded when they send the form there, not when
//! the link is opened: mail scanners and link previews open links too.
//! Answering again replaces the earlier answer.

use super::bus::Event;
use super::tenancy::{conversation_by_public_token, Scoped};
use super::uow::UnitOfWork;
use super::{now, AppState, ServiceError, ServiceResult};
use crate::types::{CsatView, Status, CSAT_SCALE};
use entity::{conversation, csat_response};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, QueryFilter, Set};

/// Longest comment kept, in characters (longer ones are cut).
pub const MAX_COMMENT: usize = 2_000;

/// The channel setting that turns the survey in the "solved" email on or off.
pub const EMAIL_SURVEY_SETTING: &str = "csat_survey";

/// Reads a rating as the customer sent it.
///
/// # Errors
/// `Invalid` (`rating`) unless it is a whole number from 1 to 5.
pub fn parse_rating(s: &str) -> ServiceResult<i32> {
    s.trim()
        .parse::<i32>()
        .ok()
        .filter(|r| (1..=5).contains(r))
        .ok_or_else(|| ServiceError::invalid("rating", "Choose a rating from 1 to 5."))
}

fn clean_comment(comment: Option<&str>) -> Option<String> {
    comment
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| c.chars().take(MAX_COMMENT).collect())
}

/// Whether the customer may rate `c` now: once it is solved or closed.
#[must_use]
pub fn can_rate(c: &conversation::Model) -> bool {
    matches!(
        Status::parse(&c.status),
        Some(Status::Solved | Status::Closed)
    )
}

/// The conversation's answer, if the customer gave one.
///
/// # Errors
/// Database errors.
pub async fn find(
    db: &impl ConnectionTrait,
    scope: Scoped,
    conversation_id: i32,
) -> ServiceResult<Option<CsatView>> {
    Ok(scope
        .find::<csat_response::Entity>()
        .filter(csat_response::Column::ConversationId.eq(conversation_id))
        .one(db)
        .await?
        .map(|r| CsatView {
            rating: r.rating,
            comment: r.comment,
            created_at: r.updated_at.to_rfc3339(),
        }))
}

/// Records the customer's answer on `c` inside `uow`, replacing an earlier one, and
/// announces it (`csat.received`: webhooks, the live inbox, reports).
///
/// # Errors
/// `Invalid` for a rating outside 1–5 or a conversation that is not solved yet;
/// database errors.
pub async fn record(
    uow: &mut UnitOfWork,
    scope: Scoped,
    c: &conversation::Model,
    rating: i32,
    comment: Option<&str>,
) -> ServiceResult<CsatView> {
    if !(1..=5).contains(&rating) {
        return Err(ServiceError::invalid(
            "rating",
            "Choose a rating from 1 to 5.",
        ));
    }
    if !can_rate(c) {
        return Err(ServiceError::invalid(
            "rating",
            "You can rate the conversation once it is solved.",
        ));
    }
    let comment = clean_comment(comment);
    let t = now();
    let existing = scope
        .find::<csat_response::Entity>()
        .filter(csat_response::Column::ConversationId.eq(c.id))
        .one(&**uow)
        .await?;
    match existing {
        Some(r) => {
            let mut am = r.into_active_model();
            am.rating = Set(rating);
            am.comment = Set(comment.clone());
            am.updated_at = Set(t);
            am.update(&**uow).await?;
        }
        None => {
            csat_response::ActiveModel {
                workspace_id: Set(scope.workspace_id()),
                conversation_id: Set(c.id),
                customer_id: Set(c.customer_id),
                rating: Set(rating),
                comment: Set(comment.clone()),
                created_at: Set(t),
                updated_at: Set(t),
                ..Default::default()
            }
            .insert(&**uow)
            .await?;
        }
    }
    uow.emit(Event::new(
        scope.workspace_id(),
        "csat.received",
        serde_json::json!({ "conversation_id": c.id, "number": c.number, "rating": rating, "comment": comment }),
    ));
    Ok(CsatView {
        rating,
        comment,
        created_at: t.to_rfc3339(),
    })
}

/// The customer's answer from the conversation's page (the survey in the "solved"
/// email leads there); the conversation's secret token is the key.
///
/// # Errors
/// `NotFound` for an unknown token; `Invalid` for a bad rating or a conversation
/// not solved yet; database errors.
pub async fn rate_by_token(
    state: &AppState,
    token: &str,
    rating: &str,
    comment: &str,
) -> ServiceResult<CsatView> {
    let token = token.trim();
    if token.len() < 16 || token.len() > 64 {
        return Err(ServiceError::NotFound("Conversation"));
    }
    let c = conversation_by_public_token(token)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("Conversation"))?;
    let rating = parse_rating(rating)?;
    let scope = Scoped::new(c.workspace_id);
    let mut uow = UnitOfWork::begin(state).await?;
    let view = record(&mut uow, scope, &c, rating, Some(comment)).await?;
    uow.commit().await?;
    Ok(view)
}

/// The survey's links: each answer with the customer page's address that opens with
/// it chosen.
#[must_use]
pub fn survey_links(base_url: &str, public_token: &str) -> Vec<(i32, &'static str, String)> {
    CSAT_SCALE
        .iter()
        .map(|&(n, label)| {
            (
                n,
                label,
                format!("{base_url}/portal/conversation?token={public_token}&rate={n}#rate"),
            )
        })
        .collect()
}

/// The survey as it goes into the "solved" email: (plain text, HTML).
#[must_use]
pub fn survey_block(base_url: &str, public_token: &str) -> (String, String) {
    let links = survey_links(base_url, public_token);
    let mut text = String::from("How would you rate our support? Open the answer that fits:\n");
    let mut html = String::from(
        "<p style=\"margin:24px 0 8px\"><strong>How would you rate our support?</strong></p><p>",
    );
    for (n, label, url) in &links {
        text.push_str(&format!("{n} – {label}: {url}\n"));
        html.push_str(&format!(
            "<a href=\"{}\" style=\"display:inline-block;margin:0 6px 6px 0;padding:8px 12px;border:1px solid #d1d5db;border-radius:6px;color:#1f2937;text-decoration:none\">{n} · {label}</a>",
            url.replace('&', "&amp;")
        ));
    }
    html.push_str("</p>");
    (text, html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_are_whole_numbers_from_one_to_five() {
        assert_eq!(parse_rating(" 4 ").ok(), Some(4));
        for bad in ["0", "6", "4.5", "", "five", "-1"] {
            assert!(parse_rating(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn comments_are_trimmed_and_cut() {
        assert_eq!(clean_comment(Some("   ")), None);
        assert_eq!(clean_comment(Some(" ok ")).as_deref(), Some("ok"));
        let long = "é".repeat(MAX_COMMENT + 10);
        assert_eq!(
            clean_comment(Some(&long)).map(|c| c.chars().count()),
            Some(MAX_COMMENT)
        );
    }

    #[test]
    fn the_survey_links_each_answer_to_the_customer_page() {
        let (text, html) = survey_block("https://help.acme.test", "tok123");
        for n in 1..=5 {
            let url =
                format!("https://help.acme.test/portal/conversation?token=tok123&rate={n}#rate");
            assert!(text.contains(&url), "{text}");
            assert!(html.contains(&url.replace('&', "&amp;")), "{html}");
        }
        assert!(text.contains("5 – Excellent"), "{text}");
    }
}
