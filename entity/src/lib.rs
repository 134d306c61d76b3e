//! SeaORM entities for Switchboard. Server-only: the wasm build never reaches this
//! crate. Every entity is marked either [`TenantEntity`] (owned by one workspace and
//! reachable only through the workspace scope in `app::services::tenancy`) or
//! [`GlobalEntity`] (not owned by a workspace: users, sessions, jobs, ...).

use sea_orm::EntityTrait;

pub mod activity;
pub mod auth_token;
pub mod email;
pub mod invitation;
pub mod job;
pub mod membership;
pub mod rate_limit_hit;
pub mod session;
pub mod user;
pub mod workspace;

/// An entity whose rows belong to exactly one workspace.
///
/// Queries on these entities are built only through `Scoped` in
/// `app::services::tenancy`, which always adds the workspace filter.
pub trait TenantEntity: EntityTrait {
    /// The column holding the owning workspace's id.
    fn workspace_column() -> Self::Column;
}

/// An entity that no workspace owns (or that is the workspace itself).
pub trait GlobalEntity: EntityTrait {}

macro_rules! tenant {
    ($($m:ident),*) => {$(
        impl TenantEntity for $m::Entity {
            fn workspace_column() -> Self::Column {
                $m::Column::WorkspaceId
            }
        }
    )*};
}
tenant!(membership, invitation, activity, job, email);

impl GlobalEntity for user::Entity {}
impl GlobalEntity for workspace::Entity {}
impl GlobalEntity for auth_token::Entity {}
impl GlobalEntity for session::Entity {}
impl GlobalEntity for rate_limit_hit::Entity {}
// `email` and `job` rows may have no workspace (password resets, maintenance): such
// rows are reachable only through `tenancy::System` (workers), never through `Scoped`.
