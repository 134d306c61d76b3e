//! Who is acting and from where: the authenticated [`Actor`] (user + workspace +
//! role) and the [`RequestMeta`] recorded in the activity log.

use super::tenancy::{global, Scoped};
use super::{ServiceError, ServiceResult};
use crate::permissions::{can, Action, Role};
use entity::{membership, user};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};

/// Client facts for the audit trail.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    /// Client IP.
    pub ip: Option<String>,
    /// User agent.
    pub user_agent: Option<String>,
    /// Request id.
    pub request_id: Option<String>,
}

/// A signed-in member acting in one workspace.
#[derive(Clone, Debug)]
pub struct Actor {
    /// User id.
    pub user_id: i32,
    /// Display name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Role in the workspace.
    pub role: Role,
    /// The workspace scope.
    pub scope: Scoped,
}

impl Actor {
    /// The actor a freshly loaded session view describes (same user, role and
    /// workspace as [`load_actor`] would find).
    pub fn from_session(view: &crate::types::SessionView) -> Self {
        Self {
            user_id: view.user_id,
            name: view.name.clone(),
            email: view.email.clone(),
            role: view.workspace.role,
            scope: Scoped::new(view.workspace.id),
        }
    }

    /// Checks the permission matrix.
    ///
    /// # Errors
    /// `Forbidden` when the role may not do this.
    pub fn require(&self, action: Action) -> ServiceResult<()> {
        if can(self.role, action) {
            Ok(())
        } else {
            Err(ServiceError::forbidden(format!(
                "Your role ({}) does not allow this. Ask a workspace admin.",
                self.role.label()
            )))
        }
    }

    /// Whether the permission matrix allows this.
    pub fn can(&self, action: Action) -> bool {
        can(self.role, action)
    }

    /// "Name <email>", as shown in the activity log.
    pub fn label(&self) -> String {
        format!("{} <{}>", self.name, self.email)
    }
}

/// Loads the actor for a session's user and workspace.
///
/// # Errors
/// `Unauthenticated` when the user is gone or no longer a member.
pub async fn load_actor(
    db: &impl ConnectionTrait,
    user_id: i32,
    workspace_id: i32,
) -> ServiceResult<Actor> {
    let scope = Scoped::new(workspace_id);
    let found = scope
        .find::<membership::Entity>()
        .filter(membership::Column::UserId.eq(user_id))
        .find_also_related(user::Entity)
        .one(db)
        .await?;
    let Some((m, Some(u))) = found else {
        return Err(ServiceError::Unauthenticated);
    };
    let role = Role::parse(&m.role)
        .ok_or_else(|| ServiceError::Internal(format!("bad role {}", m.role)))?;
    Ok(Actor {
        user_id: u.id,
        name: u.name,
        email: u.email,
        role,
        scope,
    })
}

/// Display names of users by id (no query when there are none).
///
/// # Errors
/// Database errors.
pub async fn user_names(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i32>,
) -> ServiceResult<std::collections::HashMap<i32, String>> {
    let ids: std::collections::BTreeSet<i32> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    Ok(global::<user::Entity>()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect())
}

/// The workspace's members as (user id, name), by name (one statement).
///
/// # Errors
/// Database errors.
pub async fn member_names(
    db: &impl ConnectionTrait,
    scope: Scoped,
) -> ServiceResult<Vec<(i32, String)>> {
    let mut out: Vec<(i32, String)> = scope
        .find::<membership::Entity>()
        .find_also_related(user::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(_, u)| u.map(|u| (u.id, u.name)))
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

/// Loads a user by id.
///
/// # Errors
/// `Unauthenticated` when the user no longer exists.
pub async fn load_user(db: &impl ConnectionTrait, user_id: i32) -> ServiceResult<user::Model> {
    global::<user::Entity>()
        .filter(user::Column::Id.eq(user_id))
        .one(db)
        .await?
        .ok_or(ServiceError::Unauthenticated)
}
