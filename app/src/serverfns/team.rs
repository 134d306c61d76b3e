//! The team page.

use crate::error::AppError;
use crate::types::TeamView;
use leptos::prelude::*;

/// Members and open invitations.
#[server]
pub async fn list_team() -> Result<TeamView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewTeam).await?;
    crate::services::team::list(&state.db, &actor)
        .await
        .map_err(fail)
}

/// Invites someone by email with a role.
#[server]
pub async fn invite_member(email: String, role: String) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::InviteMembers).await?;
    let meta = meta().await;
    crate::services::team::invite(&state, &actor, &email, &role, &meta)
        .await
        .map(|_| ())
        .map_err(fail)
}

/// Withdraws an open invitation.
#[server]
pub async fn revoke_invitation(invitation_id: i32) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::InviteMembers).await?;
    let meta = meta().await;
    crate::services::team::revoke(&state, &actor, invitation_id, &meta)
        .await
        .map_err(fail)
}

/// Changes a member's role.
#[server]
pub async fn change_role(membership_id: i32, role: String) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageMembers).await?;
    let meta = meta().await;
    crate::services::team::change_role(&state, &actor, membership_id, &role, &meta)
        .await
        .map_err(fail)
}

/// Removes a member.
#[server]
pub async fn remove_member(membership_id: i32) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageMembers).await?;
    let meta = meta().await;
    crate::services::team::remove(&state, &actor, membership_id, &meta)
        .await
        .map_err(fail)
}
