//! AutoQA server functions: the quality page, one conversation's review,
//! manual reviews, coaching and the scorecard.

use crate::error::AppError;
use crate::types::{
    CoachingForm, Criterion, ManualReviewForm, QualityPage, ReviewDetail, ReviewView,
};
use leptos::prelude::*;

/// The quality page (`flagged`: only spotlighted conversations).
#[server]
pub async fn get_quality(flagged: bool) -> Result<QualityPage, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewReports).await?;
    crate::services::quality::page(&state, &actor, flagged)
        .await
        .map_err(fail)
}

/// One conversation's transcript and reviews.
#[server]
pub async fn get_review(number: i32) -> Result<ReviewDetail, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewReports).await?;
    crate::services::quality::detail(&state.db, &actor, number)
        .await
        .map_err(fail)
}

/// Saves your review of a conversation.
#[server]
pub async fn save_review(form: ManualReviewForm) -> Result<ReviewView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageReports).await?;
    crate::services::quality::save_review(&state.db, &actor, &form)
        .await
        .map_err(fail)
}

/// Assigns coaching on a review to its agent.
#[server]
pub async fn assign_coaching(form: CoachingForm) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageReports).await?;
    crate::services::quality::assign_coaching(&state.db, &actor, &form)
        .await
        .map_err(fail)
}

/// Marks coaching done.
#[server]
pub async fn finish_coaching(id: i32) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewReports).await?;
    crate::services::quality::finish_coaching(&state.db, &actor, id)
        .await
        .map_err(fail)
}

/// Saves the scorecard.
#[server]
pub async fn save_scorecard(criteria: Vec<Criterion>) -> Result<Vec<Criterion>, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageReports).await?;
    crate::services::quality::save_scorecard(&state.db, &actor, criteria)
        .await
        .map_err(fail)
}
