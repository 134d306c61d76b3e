//! The home page summary.

use super::context::Actor;
use super::jobs::status as job_status;
use super::mail::status as mail_status;
use super::ServiceResult;
use crate::permissions::Action;
use crate::types::DashboardView;
use entity::{email, invitation, job, membership};
use sea_orm::{ColumnTrait, ConnectionTrait, PaginatorTrait, QueryFilter};

/// Counts for the home page.
///
/// # Errors
/// Permission; database errors.
pub async fn summary(db: &impl ConnectionTrait, actor: &Actor) -> ServiceResult<DashboardView> {
    actor.require(Action::ViewWorkspace)?;
    let s = actor.scope;
    Ok(DashboardView {
        members: s.find::<membership::Entity>().count(db).await?,
        pending_invitations: s
            .find::<invitation::Entity>()
            .filter(invitation::Column::AcceptedAt.is_null())
            .filter(invitation::Column::RevokedAt.is_null())
            .filter(invitation::Column::ExpiresAt.gt(super::now()))
            .count(db)
            .await?,
        unsent_emails: s
            .find::<email::Entity>()
            .filter(email::Column::Status.is_in([mail_status::UNSENT, mail_status::FAILED]))
            .count(db)
            .await?,
        dead_jobs: s
            .find::<job::Entity>()
            .filter(job::Column::Status.eq(job_status::DEAD))
            .count(db)
            .await?,
    })
}
