//! The outbox and the job dead-letter list.

use crate::error::AppError;
use crate::types::{EmailView, JobsOverview};
use leptos::prelude::*;

/// Outbox emails (current or archived).
#[server]
pub async fn list_outbox(archived: bool) -> Result<Vec<EmailView>, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewOutbox).await?;
    crate::services::mail::list(&state.db, actor.scope, archived)
        .await
        .map_err(fail)
}

/// Queues an unsent or failed email again.
#[server]
pub async fn retry_email(email_id: i32) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageOutbox).await?;
    crate::services::mail::retry(&state, actor.scope, email_id)
        .await
        .map_err(fail)
}

/// Restores an archived email.
#[server]
pub async fn restore_email(email_id: i32) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageOutbox).await?;
    crate::services::mail::restore(&state.db, actor.scope, email_id)
        .await
        .map_err(fail)
}

/// Job counts and dead letters.
#[server]
pub async fn get_jobs() -> Result<JobsOverview, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewJobs).await?;
    crate::services::jobs::overview(&state.db, actor.scope)
        .await
        .map_err(fail)
}

/// Retries a dead-lettered job.
#[server]
pub async fn retry_job(job_id: i32) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::RetryJobs).await?;
    crate::services::jobs::retry_dead(&state, actor.scope, job_id)
        .await
        .map_err(fail)
}
