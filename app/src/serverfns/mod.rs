//! Server functions, grouped by area. Each is thin: read the session, authorize,
//! call one service, map to a view type. Errors are converted to [`AppError`] once,
//! in [`edge::fail`], which also sets the HTTP status.
//!
//! [`AppError`]: crate::error::AppError

pub mod actions;
pub mod activity;
pub mod ai;
pub mod api_keys;
pub mod auth;
pub mod campaigns;
pub mod catalog;
pub mod channels;
pub mod flows;
pub mod hours;
pub mod inbox;
pub mod invitations;
pub mod kb;
pub mod notifications;
pub mod operations;
pub mod procedures;
pub mod profile;
pub mod quality;
pub mod reports;
pub mod routing;
pub mod rules;
pub mod segments;
pub mod store;
pub mod targeted;
pub mod team;
pub mod tours;
pub mod workspace;

/// Server-side plumbing shared by the server functions.
#[cfg(feature = "ssr")]
pub mod edge {
    use crate::error::AppError;
    use crate::permissions::Action;
    use crate::services::accounts::SignedIn;
    use crate::services::context::load_actor;
    use crate::services::{Actor, AppState, RequestMeta, ServiceError};
    use leptos::prelude::use_context;
    use tower_sessions::Session;

    /// Session key of the signed-in user's id.
    pub const USER_ID: &str = "uid";
    /// Session key of the current workspace id.
    pub const WORKSPACE_ID: &str = "wid";

    /// Converts an error once, logging internals, and sets the response status.
    pub fn fail(e: impl Into<AppError>) -> AppError {
        let e = e.into();
        if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
            if let Ok(code) = http::StatusCode::from_u16(e.status()) {
                opts.set_status(code);
            }
            if let AppError::RateLimited {
                retry_after_secs, ..
            } = &e
            {
                if let Ok(v) = http::HeaderValue::from_str(&retry_after_secs.to_string()) {
                    opts.insert_header(http::header::RETRY_AFTER, v);
                }
            }
        }
        e
    }

    /// The application state provided as context.
    ///
    /// # Errors
    /// Internal when the server was wired without it.
    pub fn state() -> Result<AppState, AppError> {
        use_context::<AppState>()
            .ok_or_else(|| fail(ServiceError::Internal("AppState not in context".into())))
    }

    /// The tower-sessions session of this request.
    ///
    /// # Errors
    /// Internal when the session layer is missing.
    pub async fn session() -> Result<Session, AppError> {
        leptos_axum::extract::<Session>()
            .await
            .map_err(|e| fail(ServiceError::Internal(format!("session: {e}"))))
    }

    /// Client IP, user agent and request id.
    pub async fn meta() -> RequestMeta {
        leptos_axum::extract::<axum::Extension<RequestMeta>>()
            .await
            .map(|e| e.0)
            .unwrap_or_default()
    }

    /// The (user, workspace) ids in the session, if signed in.
    ///
    /// # Errors
    /// Internal session-store errors.
    pub async fn ids(session: &Session) -> Result<Option<(i32, i32)>, AppError> {
        let err = |e: tower_sessions::session::Error| {
            fail(ServiceError::Internal(format!("session: {e}")))
        };
        let u = session.get::<i32>(USER_ID).await.map_err(err)?;
        let w = session.get::<i32>(WORKSPACE_ID).await.map_err(err)?;
        Ok(u.zip(w))
    }

    /// The signed-in actor, checked against the permission matrix for `action`.
    ///
    /// # Errors
    /// `Unauthenticated` without a session (or membership); `Forbidden` when the
    /// role may not perform `action`.
    pub async fn actor(action: Action) -> Result<(AppState, Actor), AppError> {
        let state = state()?;
        let session = session().await?;
        let (u, w) = ids(&session)
            .await?
            .ok_or_else(|| fail(AppError::Unauthenticated))?;
        let actor = match preloaded_actor(u, w) {
            Some(actor) => actor,
            None => load_actor(&state.db, u, w).await.map_err(fail)?,
        };
        actor.require(action).map_err(fail)?;
        Ok((state, actor))
    }

    /// While a page renders on the server, the member the server loaded for it
    /// before rendering (`server::http::admin_session`), so a page's server
    /// functions do not each load it again. Only when it is the same user and
    /// workspace as the session's.
    fn preloaded_actor(user_id: i32, workspace_id: i32) -> Option<Actor> {
        use_context::<http::request::Parts>()?
            .extensions
            .get::<crate::types::SessionView>()
            .filter(|v| v.user_id == user_id && v.workspace.id == workspace_id)
            .map(Actor::from_session)
    }

    /// Starts a fresh session (new id, against fixation) for a signed-in user.
    ///
    /// # Errors
    /// Internal session-store errors.
    pub async fn start_session(session: &Session, s: SignedIn) -> Result<(), AppError> {
        let err = |e: tower_sessions::session::Error| {
            fail(ServiceError::Internal(format!("session: {e}")))
        };
        session.cycle_id().await.map_err(err)?;
        session.insert(USER_ID, s.user_id).await.map_err(err)?;
        session
            .insert(WORKSPACE_ID, s.workspace_id)
            .await
            .map_err(err)?;
        Ok(())
    }
}
