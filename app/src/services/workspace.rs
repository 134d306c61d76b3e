//! Workspace settings: name and logo.

use super::activity::{self, Entry};
use super::bus::Event;
use super::context::{Actor, RequestMeta};
use super::tenancy::{global, global_update};
use super::uow::UnitOfWork;
use super::{now, AppState, ServiceError, ServiceResult};
use crate::permissions::Action;
use crate::types::{validate_name, WorkspaceSettingsView};
use entity::workspace;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};

/// Largest accepted logo, in bytes.
pub const MAX_LOGO_BYTES: usize = 512 * 1024;
/// Accepted logo types (no SVG: it can carry script).
pub const LOGO_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/webp", "image/gif"];

async fn load(db: &impl ConnectionTrait, id: i32) -> ServiceResult<workspace::Model> {
    global::<workspace::Entity>()
        .filter(workspace::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Workspace"))
}

/// The workspace's name (customer-facing texts).
///
/// # Errors
/// `NotFound`; database errors.
pub async fn name(
    db: &impl ConnectionTrait,
    scope: super::tenancy::Scoped,
) -> ServiceResult<String> {
    Ok(load(db, scope.workspace_id()).await?.name)
}

/// Current settings.
///
/// # Errors
/// Permission; database errors.
pub async fn settings(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> ServiceResult<WorkspaceSettingsView> {
    actor.require(Action::ViewWorkspace)?;
    let w = load(db, actor.scope.workspace_id()).await?;
    Ok(WorkspaceSettingsView {
        id: w.id,
        name: w.name,
        has_logo: w.logo.is_some(),
    })
}

/// Renames the workspace.
///
/// # Errors
/// Permission; invalid name.
pub async fn rename(
    state: &AppState,
    actor: &Actor,
    name: &str,
    meta: &RequestMeta,
) -> ServiceResult<()> {
    actor.require(Action::ManageWorkspaceSettings)?;
    let name =
        validate_name(name, "Workspace name").map_err(|m| ServiceError::invalid("name", m))?;
    let id = actor.scope.workspace_id();
    let before = load(&state.db, id).await?.name;
    let mut uow = UnitOfWork::begin(state).await?;
    global_update::<workspace::Entity>()
        .col_expr(workspace::Column::Name, Expr::value(name.clone()))
        .col_expr(workspace::Column::UpdatedAt, Expr::value(now()))
        .filter(workspace::Column::Id.eq(id))
        .exec(&*uow)
        .await?;
    activity::record(
        &*uow,
        actor.scope,
        &actor.into(),
        meta,
        Entry::new("workspace.settings_changed")
            .target("workspace", id)
            .diff(
                Some(serde_json::json!({"name": before})),
                Some(serde_json::json!({"name": name})),
            ),
    )
    .await?;
    uow.emit(Event::new(
        id,
        "workspace.updated",
        serde_json::json!({"name": name}),
    ));
    uow.commit().await
}

/// Sets (Some) or removes (None) the logo: `(content type, bytes)`.
///
/// # Errors
/// Permission; a type or size that is not accepted.
pub async fn set_logo(
    state: &AppState,
    actor: &Actor,
    logo: Option<(String, Vec<u8>)>,
    meta: &RequestMeta,
) -> ServiceResult<()> {
    actor.require(Action::ManageWorkspaceSettings)?;
    if let Some((ct, bytes)) = &logo {
        if !LOGO_TYPES.contains(&ct.as_str()) {
            return Err(ServiceError::invalid(
                "logo",
                "Upload a PNG, JPEG, WebP or GIF image.",
            ));
        }
        if bytes.is_empty() || bytes.len() > MAX_LOGO_BYTES {
            return Err(ServiceError::invalid(
                "logo",
                "The logo must be smaller than 512 KB.",
            ));
        }
    }
    let id = actor.scope.workspace_id();
    let (ct, bytes) = logo.map_or((None, None), |(c, b)| (Some(c), Some(b)));
    let mut uow = UnitOfWork::begin(state).await?;
    let size = bytes.as_ref().map(Vec::len);
    global_update::<workspace::Entity>()
        .col_expr(workspace::Column::LogoContentType, Expr::value(ct.clone()))
        .col_expr(workspace::Column::Logo, Expr::value(bytes))
        .col_expr(workspace::Column::UpdatedAt, Expr::value(now()))
        .filter(workspace::Column::Id.eq(id))
        .exec(&*uow)
        .await?;
    activity::record(
        &*uow,
        actor.scope,
        &actor.into(),
        meta,
        Entry::new("workspace.settings_changed")
            .target("workspace", id)
            .diff(None, Some(serde_json::json!({"logo": ct, "bytes": size}))),
    )
    .await?;
    uow.emit(Event::new(
        id,
        "workspace.updated",
        serde_json::json!({"logo": size.is_some()}),
    ));
    uow.commit().await
}

/// The logo bytes of the actor's workspace.
///
/// # Errors
/// `NotFound` when none is set.
pub async fn logo(db: &impl ConnectionTrait, actor: &Actor) -> ServiceResult<(String, Vec<u8>)> {
    let w = load(db, actor.scope.workspace_id()).await?;
    match (w.logo_content_type, w.logo) {
        (Some(ct), Some(b)) => Ok((ct, b)),
        _ => Err(ServiceError::NotFound("Logo")),
    }
}
