//! The team: members with roles, invitations by email, role changes and removal.
//! Owner-level changes need `ManageOwners`; the last owner can never be removed or
//! demoted.

use super::accounts::{self, SignedIn};
use super::activity::{self, Entry, Who};
use super::bus::Event;
use super::context::{Actor, RequestMeta};
use super::mail::{self, templates};
use super::security::{hash_token, new_token};
use super::tenancy::{global, Scoped};
use super::uow::UnitOfWork;
use super::{now, AppState, ServiceError, ServiceResult};
use crate::permissions::{Action, Role};
use crate::types::{validate_email, InvitationPreview, InvitationView, MemberView, TeamView};
use entity::{invitation, membership, user, workspace};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

/// Invitations expire after this many days.
pub const INVITE_TTL_DAYS: i64 = 7;

fn parse_role(s: &str) -> ServiceResult<Role> {
    Role::parse(s).ok_or_else(|| ServiceError::invalid("role", format!("`{s}` is not a role.")))
}

/// Members and open invitations.
///
/// # Errors
/// `Forbidden` without `ViewTeam`.
pub async fn list(db: &impl ConnectionTrait, actor: &Actor) -> ServiceResult<TeamView> {
    actor.require(Action::ViewTeam)?;
    let members = actor
        .scope
        .find::<membership::Entity>()
        .order_by_asc(membership::Column::Id)
        .find_also_related(user::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(m, u)| {
            let u = u?;
            Some(MemberView {
                membership_id: m.id,
                is_you: u.id == actor.user_id,
                name: u.name,
                email: u.email,
                role: Role::parse(&m.role)?,
                joined_at: m.created_at.to_rfc3339(),
            })
        })
        .collect();
    let t = now();
    let invitations = actor
        .scope
        .find::<invitation::Entity>()
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .order_by_desc(invitation::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|i| {
            Some(InvitationView {
                id: i.id,
                role: Role::parse(&i.role)?,
                expired: i.expires_at < t,
                email: i.email,
                expires_at: i.expires_at.to_rfc3339(),
            })
        })
        .collect();
    Ok(TeamView {
        members,
        invitations,
    })
}

/// Invites an address with a role and queues the email (one transaction). A new
/// invitation to the same address replaces the open one.
///
/// # Errors
/// Permission, validation, or `Conflict` when the address is already a member.
pub async fn invite(
    state: &AppState,
    actor: &Actor,
    email: &str,
    role: &str,
    meta: &RequestMeta,
) -> ServiceResult<i32> {
    actor.require(Action::InviteMembers)?;
    let email = validate_email(email).map_err(|m| ServiceError::invalid("email", m))?;
    let role = parse_role(role)?;
    if role == Role::Owner {
        actor.require(Action::ManageOwners)?;
    }
    let db = &state.db;
    if let Some(u) = accounts::user_by_email(db, &email).await? {
        let member = actor
            .scope
            .find::<membership::Entity>()
            .filter(membership::Column::UserId.eq(u.id))
            .count(db)
            .await?;
        if member > 0 {
            return Err(ServiceError::conflict(
                "email",
                format!("{email} is already a member of this workspace."),
            ));
        }
    }
    let ws = global::<workspace::Entity>()
        .filter(workspace::Column::Id.eq(actor.scope.workspace_id()))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Workspace"))?;
    let mut uow = UnitOfWork::begin(state).await?;
    actor
        .scope
        .update_many::<invitation::Entity>()
        .col_expr(invitation::Column::RevokedAt, Expr::value(now()))
        .filter(invitation::Column::Email.eq(email.clone()))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(&*uow)
        .await?;
    let (token, hash) = new_token();
    let inv = invitation::ActiveModel {
        workspace_id: Set(actor.scope.workspace_id()),
        email: Set(email.clone()),
        role: Set(role.as_str().to_owned()),
        token_hash: Set(hash),
        invited_by_user_id: Set(actor.user_id),
        expires_at: Set(now() + chrono::Duration::days(INVITE_TTL_DAYS)),
        accepted_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(&*uow)
    .await?;
    let link = format!(
        "{}/invitations/accept?token={token}",
        state.config.base_url()
    );
    mail::enqueue(
        &*uow,
        &state.config,
        templates::invitation(ws.id, &email, &actor.name, &ws.name, role.label(), &link),
    )
    .await?;
    uow.jobs_enqueued();
    activity::record(
        &*uow,
        actor.scope,
        &actor.into(),
        meta,
        Entry::new("team.invited")
            .target("invitation", inv.id)
            .diff(
                None,
                Some(serde_json::json!({"email": email, "role": role.as_str()})),
            ),
    )
    .await?;
    uow.emit(Event::new(
        actor.scope.workspace_id(),
        "team.invitation_created",
        serde_json::json!({"invitation_id": inv.id}),
    ));
    uow.commit().await?;
    Ok(inv.id)
}

/// Revokes an open invitation.
///
/// # Errors
/// Permission; `NotFound`.
pub async fn revoke(
    state: &AppState,
    actor: &Actor,
    id: i32,
    meta: &RequestMeta,
) -> ServiceResult<()> {
    actor.require(Action::InviteMembers)?;
    let mut uow = UnitOfWork::begin(state).await?;
    let res = actor
        .scope
        .update_many::<invitation::Entity>()
        .col_expr(invitation::Column::RevokedAt, Expr::value(now()))
        .filter(invitation::Column::Id.eq(id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(&*uow)
        .await?;
    if res.rows_affected == 0 {
        return Err(ServiceError::NotFound("Invitation"));
    }
    activity::record(
        &*uow,
        actor.scope,
        &actor.into(),
        meta,
        Entry::new("team.invitation_revoked").target("invitation", id),
    )
    .await?;
    uow.emit(Event::new(
        actor.scope.workspace_id(),
        "team.invitation_revoked",
        serde_json::json!({"invitation_id": id}),
    ));
    uow.commit().await
}

async fn open_invitation(
    db: &impl ConnectionTrait,
    token: &str,
) -> ServiceResult<invitation::Model> {
    // The token itself proves the workspace; this is the one lookup by token.
    let scope_free = global_invitation_by_hash(db, &hash_token(token)).await?;
    let inv = scope_free.ok_or_else(|| {
        ServiceError::invalid(
            "token",
            "This invitation link is not valid. Ask for a new invitation.",
        )
    })?;
    if inv.accepted_at.is_some() {
        return Err(ServiceError::invalid(
            "token",
            "This invitation was already accepted. Sign in to continue.",
        ));
    }
    if inv.revoked_at.is_some() {
        return Err(ServiceError::invalid(
            "token",
            "This invitation was withdrawn. Ask for a new invitation.",
        ));
    }
    if inv.expires_at < now() {
        return Err(ServiceError::invalid(
            "token",
            "This invitation has expired. Ask the person who invited you to send a new one.",
        ));
    }
    Ok(inv)
}

async fn global_invitation_by_hash(
    db: &impl ConnectionTrait,
    hash: &str,
) -> ServiceResult<Option<invitation::Model>> {
    Ok(
        super::tenancy::System::new("an invitation token identifies its workspace")
            .find::<invitation::Entity>()
            .filter(invitation::Column::TokenHash.eq(hash))
            .one(db)
            .await?,
    )
}

/// What the invitation page shows.
///
/// # Errors
/// Invalid, used, revoked or expired token.
pub async fn preview(
    db: &impl ConnectionTrait,
    token: &str,
    viewer: Option<i32>,
) -> ServiceResult<InvitationPreview> {
    let inv = open_invitation(db, token).await?;
    let ws = global::<workspace::Entity>()
        .filter(workspace::Column::Id.eq(inv.workspace_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Workspace"))?;
    let inviter = global::<user::Entity>()
        .filter(user::Column::Id.eq(inv.invited_by_user_id))
        .one(db)
        .await?
        .map_or_else(|| "A teammate".to_owned(), |u| u.name);
    let existing = accounts::user_by_email(db, &inv.email).await?;
    let signed_in_as_invitee = matches!((viewer, &existing), (Some(v), Some(u)) if v == u.id);
    Ok(InvitationPreview {
        workspace_name: ws.name,
        role: parse_role(&inv.role)?,
        invited_by: inviter,
        account_exists: existing.is_some(),
        signed_in_as_invitee,
        email: inv.email,
    })
}

/// Accepts an invitation: as the signed-in invitee, by creating an account (name +
/// password), or by signing in to the existing account (password).
///
/// # Errors
/// Token problems; wrong password; a signed-in user with another address.
pub async fn accept(
    state: &AppState,
    token: &str,
    viewer: Option<i32>,
    name: Option<&str>,
    password: Option<&str>,
    meta: &RequestMeta,
) -> ServiceResult<SignedIn> {
    let mut uow = UnitOfWork::begin(state).await?;
    let inv = open_invitation(&*uow, token).await?;
    let scope = Scoped::new(inv.workspace_id);
    let existing = accounts::user_by_email(&*uow, &inv.email).await?;
    let u = match (existing, viewer) {
        (Some(u), Some(v)) if u.id == v => u,
        (_, Some(_)) => {
            return Err(ServiceError::forbidden(format!(
                "This invitation is for {}. Sign out, then open the link again.",
                inv.email
            )))
        }
        (Some(u), None) => {
            let pw = password.unwrap_or_default();
            if !accounts::password_matches(&u, pw).await? {
                return Err(ServiceError::invalid(
                    "password",
                    "Wrong password for this account.",
                ));
            }
            u
        }
        (None, None) => {
            accounts::create_invited_user(
                &*uow,
                &inv.email,
                name.unwrap_or_default(),
                password.unwrap_or_default(),
            )
            .await?
        }
    };
    let already = scope
        .find::<membership::Entity>()
        .filter(membership::Column::UserId.eq(u.id))
        .count(&*uow)
        .await?;
    let role = parse_role(&inv.role)?;
    if already == 0 {
        accounts::add_membership(&*uow, scope, u.id, role).await?;
    }
    let mut am = inv.clone().into_active_model();
    am.accepted_at = Set(Some(now()));
    am.update(&*uow).await?;
    let who = Who {
        user_id: Some(u.id),
        label: format!("{} <{}>", u.name, u.email),
    };
    activity::record(
        &*uow,
        scope,
        &who,
        meta,
        Entry::new("team.invitation_accepted")
            .target("invitation", inv.id)
            .diff(
                None,
                Some(serde_json::json!({"user_id": u.id, "role": role.as_str()})),
            ),
    )
    .await?;
    uow.emit(Event::new(
        inv.workspace_id,
        "team.member_joined",
        serde_json::json!({"user_id": u.id, "name": u.name, "role": role.as_str()}),
    ));
    uow.commit().await?;
    Ok(SignedIn {
        user_id: u.id,
        workspace_id: inv.workspace_id,
    })
}

async fn owners(db: &impl ConnectionTrait, scope: Scoped) -> ServiceResult<u64> {
    Ok(scope
        .find::<membership::Entity>()
        .filter(membership::Column::Role.eq(Role::Owner.as_str()))
        .count(db)
        .await?)
}

async fn member(
    db: &impl ConnectionTrait,
    scope: Scoped,
    id: i32,
) -> ServiceResult<membership::Model> {
    scope
        .find::<membership::Entity>()
        .filter(membership::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Member"))
}

/// Changes a member's role.
///
/// # Errors
/// Permission; `NotFound`; demoting the last owner.
pub async fn change_role(
    state: &AppState,
    actor: &Actor,
    membership_id: i32,
    role: &str,
    meta: &RequestMeta,
) -> ServiceResult<()> {
    actor.require(Action::ManageMembers)?;
    let new_role = parse_role(role)?;
    let mut uow = UnitOfWork::begin(state).await?;
    let m = member(&*uow, actor.scope, membership_id).await?;
    let old_role = parse_role(&m.role)?;
    if old_role == new_role {
        return Ok(());
    }
    if old_role == Role::Owner || new_role == Role::Owner {
        actor.require(Action::ManageOwners)?;
    }
    if old_role == Role::Owner && owners(&*uow, actor.scope).await? <= 1 {
        return Err(ServiceError::conflict(
            "role",
            "A workspace needs at least one owner. Make someone else owner first.",
        ));
    }
    let user_id = m.user_id;
    let mut am = m.into_active_model();
    am.role = Set(new_role.as_str().to_owned());
    am.update(&*uow).await?;
    activity::record(
        &*uow,
        actor.scope,
        &actor.into(),
        meta,
        Entry::new("team.role_changed")
            .target("membership", membership_id)
            .diff(
                Some(serde_json::json!({"user_id": user_id, "role": old_role.as_str()})),
                Some(serde_json::json!({"user_id": user_id, "role": new_role.as_str()})),
            ),
    )
    .await?;
    uow.emit(Event::new(
        actor.scope.workspace_id(),
        "team.role_changed",
        serde_json::json!({"membership_id": membership_id, "role": new_role.as_str()}),
    ));
    uow.commit().await?;
    super::api_keys::forget_cached();
    Ok(())
}

/// Removes a member from the workspace.
///
/// # Errors
/// Permission; `NotFound`; removing the last owner.
pub async fn remove(
    state: &AppState,
    actor: &Actor,
    membership_id: i32,
    meta: &RequestMeta,
) -> ServiceResult<()> {
    actor.require(Action::ManageMembers)?;
    let mut uow = UnitOfWork::begin(state).await?;
    let m = member(&*uow, actor.scope, membership_id).await?;
    let role = parse_role(&m.role)?;
    if role == Role::Owner {
        actor.require(Action::ManageOwners)?;
        if owners(&*uow, actor.scope).await? <= 1 {
            return Err(ServiceError::conflict(
                "role",
                "The last owner cannot be removed.",
            ));
        }
    }
    actor
        .scope
        .delete_many::<membership::Entity>()
        .filter(membership::Column::Id.eq(membership_id))
        .exec(&*uow)
        .await?;
    activity::record(
        &*uow,
        actor.scope,
        &actor.into(),
        meta,
        Entry::new("team.member_removed")
            .target("membership", membership_id)
            .diff(
                Some(serde_json::json!({"user_id": m.user_id, "role": role.as_str()})),
                None,
            ),
    )
    .await?;
    uow.emit(Event::new(
        actor.scope.workspace_id(),
        "team.member_removed",
        serde_json::json!({"membership_id": membership_id, "user_id": m.user_id}),
    ));
    uow.commit().await?;
    super::api_keys::forget_cached();
    Ok(())
}
