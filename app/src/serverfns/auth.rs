//! Sign-up, sign-in, sign-out, password reset, email verification, session.

use crate::error::AppError;
use crate::types::SessionView;
use leptos::prelude::*;

/// The signed-in session, or `None`.
#[server]
pub async fn get_session() -> Result<Option<SessionView>, AppError> {
    use super::edge::*;
    let state = state()?;
    let session = session().await?;
    let Some((u, w)) = ids(&session).await? else {
        return Ok(None);
    };
    match crate::services::accounts::session_view(&state.db, u, w).await {
        Ok(v) => Ok(Some(v)),
        Err(crate::services::ServiceError::Unauthenticated) => {
            // The user or membership is gone: end the stale session.
            let _ = session.flush().await;
            Ok(None)
        }
        Err(e) => Err(fail(e)),
    }
}

/// Creates an account and a workspace, and signs in.
#[server]
pub async fn sign_up(
    name: String,
    email: String,
    password: String,
    workspace_name: String,
) -> Result<(), AppError> {
    use super::edge::*;
    use crate::services::accounts::{self, SignUp};
    let state = state()?;
    let meta = meta().await;
    let s = accounts::sign_up(
        &state,
        SignUp {
            name,
            email,
            password,
            workspace_name,
        },
        &meta,
    )
    .await
    .map_err(fail)?;
    start_session(&session().await?, s).await
}

/// Signs in.
#[server]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    use super::edge::*;
    let state = state()?;
    let meta = meta().await;
    let s = crate::services::accounts::sign_in(&state, &email, &password, &meta)
        .await
        .map_err(fail)?;
    start_session(&session().await?, s).await
}

/// Signs out.
#[server]
pub async fn sign_out() -> Result<(), AppError> {
    use super::edge::*;
    let state = state()?;
    let session = session().await?;
    if let Some((u, w)) = ids(&session).await? {
        if let Ok(actor) = crate::services::context::load_actor(&state.db, u, w).await {
            let meta = meta().await;
            crate::services::accounts::record_sign_out(&state, &actor, &meta)
                .await
                .map_err(fail)?;
        }
    }
    session
        .flush()
        .await
        .map_err(|e| fail(crate::services::ServiceError::Internal(e.to_string())))
}

/// Emails a password-reset link (same answer whether or not the address exists).
#[server]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    use super::edge::*;
    let state = state()?;
    crate::services::accounts::request_password_reset(&state, &email)
        .await
        .map_err(fail)
}

/// Sets a new password from a reset link.
#[server]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    use super::edge::*;
    let state = state()?;
    crate::services::accounts::reset_password(&state, &token, &password)
        .await
        .map_err(fail)
}

/// Confirms an email address from a verification link.
#[server]
pub async fn verify_email(token: String) -> Result<(), AppError> {
    use super::edge::*;
    let state = state()?;
    crate::services::accounts::verify_email(&state, &token)
        .await
        .map_err(fail)
}

/// Sends another verification email.
#[server]
pub async fn resend_verification() -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewWorkspace).await?;
    crate::services::accounts::resend_verification(&state, actor.user_id)
        .await
        .map_err(fail)
}

/// Switches the session to another of the user's workspaces.
#[server]
pub async fn switch_workspace(workspace_id: i32) -> Result<(), AppError> {
    use super::edge::*;
    let state = state()?;
    let session = session().await?;
    let (u, _) = ids(&session)
        .await?
        .ok_or_else(|| fail(AppError::Unauthenticated))?;
    crate::services::accounts::check_membership(&state.db, u, workspace_id)
        .await
        .map_err(fail)?;
    session
        .insert(WORKSPACE_ID, workspace_id)
        .await
        .map_err(|e| fail(crate::services::ServiceError::Internal(e.to_string())))
}
