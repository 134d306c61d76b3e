//! Accounts: sign-up, sign-in (rate-limited), password reset and email verification
//! by emailed single-use links, profile and password changes, workspace switching.

use super::activity::{self, Entry, Who};
use super::context::{load_user, Actor, RequestMeta};
use super::mail::{self, templates};
use super::rate_limit;
use super::security::{hash_password, hash_token, new_token, verify_password};
use super::tenancy::{global, global_update, memberships_of_user, Scoped};
use super::uow::UnitOfWork;
use super::{now, AppState, ServiceError, ServiceResult};
use crate::permissions::Role;
use crate::types::{
    validate_email, validate_name, validate_password, SessionView, WorkspaceSummary, ZoneRules,
    ZoneSpan,
};
use entity::{auth_token, membership, session, user, workspace};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};

/// Token purposes.
pub mod purpose {
    /// Email verification (24 h).
    pub const VERIFY_EMAIL: &str = "verify_email";
    /// Password reset (1 h).
    pub const RESET_PASSWORD: &str = "reset_password";
}

/// Verification links live this long.
pub const VERIFY_TTL_HOURS: i64 = 24;
/// Reset links live this long.
pub const RESET_TTL_HOURS: i64 = 1;

/// Sign-up input.
#[derive(Clone, Debug)]
pub struct SignUp {
    /// Person's name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Password.
    pub password: String,
    /// Name of the new workspace.
    pub workspace_name: String,
}

/// Who is now signed in, and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignedIn {
    /// User id.
    pub user_id: i32,
    /// Workspace to open.
    pub workspace_id: i32,
}

fn who(u: &user::Model) -> Who {
    Who {
        user_id: Some(u.id),
        label: format!("{} <{}>", u.name, u.email),
    }
}

async fn find_user_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> ServiceResult<Option<user::Model>> {
    Ok(global::<user::Entity>()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await?)
}

/// Creates a token row and returns the plaintext for the link.
async fn issue_token(
    db: &impl ConnectionTrait,
    user_id: i32,
    purpose: &str,
    ttl_hours: i64,
) -> ServiceResult<String> {
    let (token, hash) = new_token();
    auth_token::ActiveModel {
        user_id: Set(user_id),
        purpose: Set(purpose.to_owned()),
        token_hash: Set(hash),
        expires_at: Set(now() + chrono::Duration::hours(ttl_hours)),
        used_at: Set(None),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// Marks a token used (atomically) and returns its user id.
async fn consume_token(
    db: &impl ConnectionTrait,
    token: &str,
    purpose: &str,
    expired_message: &str,
) -> ServiceResult<i32> {
    let hash = hash_token(token);
    let row = global::<auth_token::Entity>()
        .filter(auth_token::Column::TokenHash.eq(hash))
        .filter(auth_token::Column::Purpose.eq(purpose))
        .one(db)
        .await?;
    let bad = || ServiceError::invalid("token", expired_message.to_owned());
    let row = row.ok_or_else(bad)?;
    if row.used_at.is_some() || row.expires_at < now() {
        return Err(bad());
    }
    let res = global_update::<auth_token::Entity>()
        .col_expr(auth_token::Column::UsedAt, Expr::value(now()))
        .filter(auth_token::Column::Id.eq(row.id))
        .filter(auth_token::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Err(bad());
    }
    Ok(row.user_id)
}

async fn queue_verification(
    state: &AppState,
    db: &impl ConnectionTrait,
    u: &user::Model,
) -> ServiceResult<()> {
    let token = issue_token(db, u.id, purpose::VERIFY_EMAIL, VERIFY_TTL_HOURS).await?;
    let link = format!("{}/verify-email?token={token}", state.config.base_url());
    mail::enqueue(
        db,
        &state.config,
        templates::verification(&u.email, &u.name, &link),
    )
    .await?;
    Ok(())
}

/// Creates a user, their workspace and an owner membership; queues the verification
/// email. All in one transaction.
///
/// # Errors
/// Field validation; `Conflict` on a taken email; database errors.
pub async fn sign_up(state: &AppState, f: SignUp, meta: &RequestMeta) -> ServiceResult<SignedIn> {
    let name = validate_name(&f.name, "Your name").map_err(|m| ServiceError::invalid("name", m))?;
    let email = validate_email(&f.email).map_err(|m| ServiceError::invalid("email", m))?;
    validate_password(&f.password).map_err(|m| ServiceError::invalid("password", m))?;
    let ws_name = validate_name(&f.workspace_name, "Workspace name")
        .map_err(|m| ServiceError::invalid("workspace_name", m))?;
    if find_user_by_email(&state.db, &email).await?.is_some() {
        return Err(taken());
    }
    let hash = hash_password(f.password).await?;
    let mut uow = UnitOfWork::begin(state).await?;
    let u = create_user(&*uow, &email, &name, hash, false).await?;
    let ws = create_workspace(&*uow, &ws_name).await?;
    add_membership(&*uow, Scoped::new(ws.id), u.id, Role::Owner).await?;
    queue_verification(state, &*uow, &u).await?;
    uow.jobs_enqueued();
    activity::record(
        &*uow,
        Scoped::new(ws.id),
        &who(&u),
        meta,
        Entry::new("auth.signed_up").target("user", u.id),
    )
    .await?;
    uow.commit().await?;
    Ok(SignedIn {
        user_id: u.id,
        workspace_id: ws.id,
    })
}

fn taken() -> ServiceError {
    ServiceError::conflict(
        "email",
        "An account with this email already exists. Sign in instead, or reset your password.",
    )
}

async fn create_user(
    db: &impl ConnectionTrait,
    email: &str,
    name: &str,
    password_hash: String,
    verified: bool,
) -> ServiceResult<user::Model> {
    let t = now();
    user::ActiveModel {
        email: Set(email.to_owned()),
        name: Set(name.to_owned()),
        password_hash: Set(password_hash),
        email_verified_at: Set(verified.then_some(t)),
        timezone: Set(None),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| match e.sql_err() {
        // A concurrent sign-up with the same address won the race.
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => taken(),
        _ => e.into(),
    })
}

/// A URL name for a workspace: lowercase ASCII letters, digits and dashes.
pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 40 {
            break;
        }
    }
    let out = out.trim_matches('-').to_owned();
    if out.is_empty() {
        "workspace".to_owned()
    } else {
        out
    }
}

/// `slugify(name)`, with `-2`, `-3` … when taken.
async fn free_slug(db: &impl ConnectionTrait, name: &str) -> ServiceResult<String> {
    let base = slugify(name);
    let taken: Vec<String> = global::<workspace::Entity>()
        .filter(workspace::Column::Slug.starts_with(&base))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|w| w.slug)
        .collect();
    if !taken.contains(&base) {
        return Ok(base);
    }
    Ok((2..)
        .map(|n| format!("{base}-{n}"))
        .find(|s| !taken.contains(s))
        .unwrap_or(base))
}

async fn create_workspace(
    db: &impl ConnectionTrait,
    name: &str,
) -> ServiceResult<workspace::Model> {
    let t = now();
    let slug = free_slug(db, name).await?;
    Ok(workspace::ActiveModel {
        name: Set(name.to_owned()),
        slug: Set(Some(slug)),
        logo_content_type: Set(None),
        logo: Set(None),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Adds a membership.
///
/// # Errors
/// Database errors.
pub async fn add_membership(
    db: &impl ConnectionTrait,
    scope: Scoped,
    user_id: i32,
    role: Role,
) -> ServiceResult<membership::Model> {
    Ok(membership::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        user_id: Set(user_id),
        role: Set(role.as_str().to_owned()),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Checks credentials, with per-address and per-IP limits on failures.
///
/// # Errors
/// `Invalid` on wrong credentials (the same message whether or not the address
/// exists); `RateLimited` after too many failures; `Forbidden` for a user with no
/// workspace left.
pub async fn sign_in(
    state: &AppState,
    email: &str,
    password: &str,
    meta: &RequestMeta,
) -> ServiceResult<SignedIn> {
    let email = email.trim().to_lowercase();
    if email.is_empty() || password.is_empty() {
        return Err(ServiceError::invalid(
            "email",
            "Enter your email and password.",
        ));
    }
    let lim = &state.config.limits;
    let email_key = format!("login:email:{email}");
    let ip_key = format!("login:ip:{}", meta.ip.as_deref().unwrap_or("unknown"));
    for (key, limit, what) in [
        (&email_key, lim.login_per_email, "this account"),
        (&ip_key, lim.login_per_ip, "your network"),
    ] {
        if let Some(wait) =
            rate_limit::blocked_for(&state.db, key, limit, lim.login_window_secs).await?
        {
            return Err(ServiceError::RateLimited {
                message: format!(
                    "Too many failed sign-in attempts for {what}. Try again in {}, or reset your password.",
                    rate_limit::human_wait(wait)
                ),
                retry_after_secs: wait,
            });
        }
    }
    let user = find_user_by_email(&state.db, &email).await?;
    let ok = match &user {
        Some(u) => verify_password(password.to_owned(), u.password_hash.clone()).await?,
        None => {
            // Spend comparable time so response timing does not reveal accounts.
            let _ = verify_password(password.to_owned(), DUMMY_HASH.to_owned()).await?;
            false
        }
    };
    let (true, Some(u)) = (ok, user) else {
        rate_limit::hit(&state.db, &email_key).await?;
        rate_limit::hit(&state.db, &ip_key).await?;
        tracing::info!(ip = ?meta.ip, "failed sign-in");
        return Err(ServiceError::invalid(
            "password",
            "Wrong email or password.",
        ));
    };
    rate_limit::clear(&state.db, &email_key).await?;
    let Some(m) = memberships_of_user(u.id)
        .order_by_asc(membership::Column::Id)
        .one(&state.db)
        .await?
    else {
        return Err(ServiceError::forbidden(
            "You are not a member of any workspace anymore. Ask an admin to invite you again.",
        ));
    };
    activity::record(
        &state.db,
        Scoped::new(m.workspace_id),
        &who(&u),
        meta,
        Entry::new("auth.signed_in").target("user", u.id),
    )
    .await?;
    Ok(SignedIn {
        user_id: u.id,
        workspace_id: m.workspace_id,
    })
}

/// A valid argon2id hash of a random string, for constant-time misses.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$4nPbzTsDeO9hDumKmgDsEZUBThvdgzGjpLqZyGu+rJI";

/// Records a sign-out.
///
/// # Errors
/// Database errors.
pub async fn record_sign_out(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
) -> ServiceResult<()> {
    activity::record(
        &state.db,
        actor.scope,
        &actor.into(),
        meta,
        Entry::new("auth.signed_out").target("user", actor.user_id),
    )
    .await
}

/// Queues a reset link if the address has an account. Answers the same either way,
/// so the form does not reveal which addresses exist.
///
/// # Errors
/// Invalid email; `RateLimited`; database errors.
pub async fn request_password_reset(state: &AppState, email: &str) -> ServiceResult<()> {
    let email = validate_email(email).map_err(|m| ServiceError::invalid("email", m))?;
    let key = format!("reset:{email}");
    rate_limit::enforce(
        &state.db,
        &key,
        state.config.limits.password_reset_per_hour,
        3600,
        "Too many reset requests for this address. Try again",
    )
    .await?;
    rate_limit::hit(&state.db, &key).await?;
    let Some(u) = find_user_by_email(&state.db, &email).await? else {
        return Ok(());
    };
    let mut uow = UnitOfWork::begin(state).await?;
    let token = issue_token(&*uow, u.id, purpose::RESET_PASSWORD, RESET_TTL_HOURS).await?;
    let link = format!("{}/reset-password?token={token}", state.config.base_url());
    mail::enqueue(
        &*uow,
        &state.config,
        templates::password_reset(&u.email, &u.name, &link),
    )
    .await?;
    uow.jobs_enqueued();
    uow.commit().await
}

/// Sets a new password from a reset link.
///
/// # Errors
/// Weak password; expired, used or unknown token.
pub async fn reset_password(state: &AppState, token: &str, password: &str) -> ServiceResult<()> {
    validate_password(password).map_err(|m| ServiceError::invalid("password", m))?;
    let hash = hash_password(password.to_owned()).await?;
    let uow = UnitOfWork::begin(state).await?;
    let user_id = consume_token(
        &*uow,
        token,
        purpose::RESET_PASSWORD,
        "This reset link has expired or was already used. Request a new one.",
    )
    .await?;
    global_update::<user::Entity>()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .col_expr(user::Column::UpdatedAt, Expr::value(now()))
        .filter(user::Column::Id.eq(user_id))
        .exec(&*uow)
        .await?;
    end_sessions(&*uow, user_id, None).await?;
    uow.commit().await
}

/// Ends every session of `user_id` except `keep` (a session id).
///
/// # Errors
/// Database errors.
pub async fn end_sessions(
    db: &impl ConnectionTrait,
    user_id: i32,
    keep: Option<&str>,
) -> ServiceResult<u64> {
    let mut q = super::tenancy::global_delete::<session::Entity>()
        .filter(session::Column::UserId.eq(user_id));
    if let Some(keep) = keep {
        q = q.filter(session::Column::Id.ne(keep));
    }
    Ok(q.exec(db).await?.rows_affected)
}

/// Marks the address verified from an emailed link.
///
/// # Errors
/// Expired, used or unknown token.
pub async fn verify_email(state: &AppState, token: &str) -> ServiceResult<()> {
    let uow = UnitOfWork::begin(state).await?;
    let user_id = consume_token(
        &*uow,
        token,
        purpose::VERIFY_EMAIL,
        "This verification link has expired or was already used. Sign in and send a new one.",
    )
    .await?;
    global_update::<user::Entity>()
        .col_expr(user::Column::EmailVerifiedAt, Expr::value(now()))
        .filter(user::Column::Id.eq(user_id))
        .exec(&*uow)
        .await?;
    uow.commit().await
}

/// Sends another verification email (at most `verification_resend_per_hour`).
///
/// # Errors
/// `Conflict` when already verified; `RateLimited`.
pub async fn resend_verification(state: &AppState, user_id: i32) -> ServiceResult<()> {
    let u = load_user(&state.db, user_id).await?;
    if u.email_verified_at.is_some() {
        return Err(ServiceError::Conflict {
            field: None,
            message: "Your email address is already verified.".into(),
        });
    }
    let key = format!("verify-resend:{user_id}");
    rate_limit::enforce(
        &state.db,
        &key,
        state.config.limits.verification_resend_per_hour,
        3600,
        "A verification email was sent recently. You can ask for another",
    )
    .await?;
    let mut uow = UnitOfWork::begin(state).await?;
    rate_limit::hit(&*uow, &key).await?;
    queue_verification(state, &*uow, &u).await?;
    uow.jobs_enqueued();
    uow.commit().await
}

/// Changes the display name.
///
/// # Errors
/// Invalid name; database errors.
pub async fn update_profile(
    state: &AppState,
    actor: &Actor,
    name: &str,
    meta: &RequestMeta,
) -> ServiceResult<()> {
    let name = validate_name(name, "Your name").map_err(|m| ServiceError::invalid("name", m))?;
    let u = load_user(&state.db, actor.user_id).await?;
    let before = u.name.clone();
    let uow = UnitOfWork::begin(state).await?;
    let mut am = u.into_active_model();
    am.name = Set(name.clone());
    am.updated_at = Set(now());
    am.update(&*uow).await?;
    activity::record(
        &*uow,
        actor.scope,
        &actor.into(),
        meta,
        Entry::new("profile.updated")
            .target("user", actor.user_id)
            .diff(
                Some(serde_json::json!({"name": before})),
                Some(serde_json::json!({"name": name})),
            ),
    )
    .await?;
    uow.commit().await
}

/// Changes the password after checking the current one, and signs the user out
/// everywhere else (every session but `keep_session`).
///
/// # Errors
/// Wrong current password; weak new password.
pub async fn change_password(
    state: &AppState,
    actor: &Actor,
    current: &str,
    new: &str,
    meta: &RequestMeta,
    keep_session: Option<&str>,
) -> ServiceResult<()> {
    let u = load_user(&state.db, actor.user_id).await?;
    if !verify_password(current.to_owned(), u.password_hash.clone()).await? {
        return Err(ServiceError::invalid(
            "current_password",
            "Your current password is not correct.",
        ));
    }
    validate_password(new).map_err(|m| ServiceError::invalid("new_password", m))?;
    let hash = hash_password(new.to_owned()).await?;
    let uow = UnitOfWork::begin(state).await?;
    let mut am = u.into_active_model();
    am.password_hash = Set(hash);
    am.updated_at = Set(now());
    am.update(&*uow).await?;
    activity::record(
        &*uow,
        actor.scope,
        &actor.into(),
        meta,
        Entry::new("profile.password_changed").target("user", actor.user_id),
    )
    .await?;
    end_sessions(&*uow, actor.user_id, keep_session).await?;
    uow.commit().await
}

/// How far around now [`zone_rules`] lists a zone's offsets (times outside use the
/// nearest offset listed).
const ZONE_WINDOW_YEARS: i64 = 6;

/// A zone's offsets around now, from the bundled time-zone database (UTC for an
/// unknown or missing zone).
pub fn zone_rules(name: Option<&str>) -> ZoneRules {
    let Some(tz) = name.and_then(|n| jiff::tz::TimeZone::get(n).ok()) else {
        return ZoneRules::utc();
    };
    let year = 365 * 24 * 3600;
    let now = jiff::Timestamp::now().as_second();
    let start = jiff::Timestamp::from_second(now - ZONE_WINDOW_YEARS * year)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let end = now + ZONE_WINDOW_YEARS * year;
    let first = tz.to_offset_info(start);
    let mut spans = vec![ZoneSpan {
        from: i64::MIN,
        offset: first.offset().seconds(),
        abbr: first.abbreviation().to_owned(),
    }];
    for t in tz.following(start) {
        let at = t.timestamp().as_second();
        if at > end {
            break;
        }
        spans.push(ZoneSpan {
            from: at,
            offset: t.offset().seconds(),
            abbr: t.abbreviation().to_owned(),
        });
    }
    ZoneRules {
        name: name.unwrap_or("UTC").to_owned(),
        spans,
    }
}

/// Stores the user's IANA timezone (detected by the browser on first visit).
///
/// # Errors
/// A value that is not a plausible IANA name.
pub async fn set_timezone(state: &AppState, user_id: i32, tz: &str) -> ServiceResult<()> {
    let tz = tz.trim();
    let known = !tz.is_empty() && tz.len() <= 64 && jiff::tz::TimeZone::get(tz).is_ok();
    if !known {
        return Err(ServiceError::invalid(
            "timezone",
            "Choose a timezone like Europe/Paris or America/New_York.",
        ));
    }
    global_update::<user::Entity>()
        .col_expr(user::Column::Timezone, Expr::value(tz))
        .filter(user::Column::Id.eq(user_id))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// The session view: user, current workspace, and all their workspaces.
///
/// # Errors
/// `Unauthenticated` when the user or membership is gone.
pub async fn session_view(
    db: &impl ConnectionTrait,
    user_id: i32,
    workspace_id: i32,
) -> ServiceResult<SessionView> {
    let u = load_user(db, user_id).await?;
    let rows = memberships_of_user(user_id)
        .order_by_asc(membership::Column::Id)
        .find_also_related(workspace::Entity)
        .all(db)
        .await?;
    let status = rows
        .iter()
        .find(|(m, _)| m.workspace_id == workspace_id)
        .and_then(|(m, _)| crate::types::AgentStatus::parse(&m.presence))
        .unwrap_or(crate::types::AgentStatus::Online);
    let workspaces: Vec<WorkspaceSummary> = rows
        .into_iter()
        .filter_map(|(m, w)| {
            let w = w?;
            Some(WorkspaceSummary {
                id: w.id,
                name: w.name,
                role: Role::parse(&m.role)?,
                has_logo: w.logo.is_some(),
            })
        })
        .collect();
    let current = workspaces
        .iter()
        .find(|w| w.id == workspace_id)
        .cloned()
        .ok_or(ServiceError::Unauthenticated)?;
    Ok(SessionView {
        user_id: u.id,
        name: u.name,
        email: u.email,
        email_verified: u.email_verified_at.is_some(),
        zone: zone_rules(u.timezone.as_deref()),
        timezone: u.timezone,
        workspace: current,
        workspaces,
        status,
    })
}

/// Checks that the user may switch to `workspace_id`.
///
/// # Errors
/// `NotFound` when they are not a member there.
pub async fn check_membership(
    db: &impl ConnectionTrait,
    user_id: i32,
    workspace_id: i32,
) -> ServiceResult<()> {
    memberships_of_user(user_id)
        .filter(membership::Column::WorkspaceId.eq(workspace_id))
        .one(db)
        .await?
        .map(|_| ())
        .ok_or(ServiceError::NotFound("Workspace"))
}

/// Creates a verified owner with a workspace (the `create-admin` command and seeding).
/// Idempotent on the email: an existing user is returned unchanged.
///
/// # Errors
/// Validation and database errors.
pub async fn create_admin(
    state: &AppState,
    email: &str,
    name: &str,
    password: &str,
    workspace_name: &str,
) -> ServiceResult<SignedIn> {
    let email = validate_email(email).map_err(|m| ServiceError::invalid("email", m))?;
    if let Some(u) = find_user_by_email(&state.db, &email).await? {
        let m = memberships_of_user(u.id)
            .one(&state.db)
            .await?
            .ok_or(ServiceError::NotFound("Membership"))?;
        return Ok(SignedIn {
            user_id: u.id,
            workspace_id: m.workspace_id,
        });
    }
    let name = validate_name(name, "Name").map_err(|m| ServiceError::invalid("name", m))?;
    validate_password(password).map_err(|m| ServiceError::invalid("password", m))?;
    let hash = hash_password(password.to_owned()).await?;
    let uow = UnitOfWork::begin(state).await?;
    let u = create_user(&*uow, &email, &name, hash, true).await?;
    let ws = create_workspace(&*uow, workspace_name).await?;
    add_membership(&*uow, Scoped::new(ws.id), u.id, Role::Owner).await?;
    uow.commit().await?;
    Ok(SignedIn {
        user_id: u.id,
        workspace_id: ws.id,
    })
}

/// Whether the database holds any workspace (seeding runs only when it does not).
///
/// # Errors
/// Database errors.
pub async fn any_workspace(db: &impl ConnectionTrait) -> ServiceResult<bool> {
    Ok(global::<workspace::Entity>().one(db).await?.is_some())
}

/// Creates a user without a workspace of their own (invitation acceptance).
///
/// # Errors
/// Validation errors, a taken email.
pub async fn create_invited_user(
    db: &impl ConnectionTrait,
    email: &str,
    name: &str,
    password: &str,
) -> ServiceResult<user::Model> {
    let name = validate_name(name, "Your name").map_err(|m| ServiceError::invalid("name", m))?;
    validate_password(password).map_err(|m| ServiceError::invalid("password", m))?;
    let hash = hash_password(password.to_owned()).await?;
    create_user(db, email, &name, hash, true).await
}

/// Looks up a user by email.
///
/// # Errors
/// Database errors.
pub async fn user_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> ServiceResult<Option<user::Model>> {
    find_user_by_email(db, email).await
}

/// Verifies a user's password (invitation acceptance by an existing account).
///
/// # Errors
/// Internal errors only.
pub async fn password_matches(u: &user::Model, password: &str) -> ServiceResult<bool> {
    verify_password(password.to_owned(), u.password_hash.clone()).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod zone_tests {
    use super::zone_rules;
    use chrono::{DateTime, Utc};

    fn at(zone: &str, utc: &str) -> String {
        zone_rules(Some(zone)).format(utc.parse::<DateTime<Utc>>().unwrap())
    }

    #[test]
    fn times_read_in_the_viewers_zone_across_dst() {
        // Los Angeles springs forward on 2026-03-08 at 2:00 AM PST (10:00 UTC).
        assert_eq!(
            at("America/Los_Angeles", "2026-03-08T09:59:00Z"),
            "Mar 8, 2026, 1:59 AM PST"
        );
        assert_eq!(
            at("America/Los_Angeles", "2026-03-08T10:00:00Z"),
            "Mar 8, 2026, 3:00 AM PDT"
        );
        assert_eq!(
            at("America/Los_Angeles", "2026-12-04T23:00:00Z"),
            "Dec 4, 2026, 3:00 PM PST"
        );
        // Berlin falls back on 2026-10-25 at 3:00 AM CEST (01:00 UTC).
        assert_eq!(
            at("Europe/Berlin", "2026-10-25T00:59:00Z"),
            "Oct 25, 2026, 2:59 AM CEST"
        );
        assert_eq!(
            at("Europe/Berlin", "2026-10-25T01:00:00Z"),
            "Oct 25, 2026, 2:00 AM CET"
        );
        // Half-hour offsets, no DST; a date line crossing.
        assert_eq!(
            at("Asia/Kolkata", "2026-12-31T20:00:00Z"),
            "Jan 1, 2027, 1:30 AM IST"
        );
        // Zones whose abbreviation is numeric read as an offset.
        assert_eq!(
            at("America/Sao_Paulo", "2026-06-01T12:00:00Z"),
            "Jun 1, 2026, 9:00 AM UTC-03"
        );
    }

    #[test]
    fn unknown_zones_read_in_utc() {
        assert_eq!(
            at("Mars/Olympus_Mons", "2026-06-01T12:00:00Z"),
            "Jun 1, 2026, 12:00 PM UTC"
        );
        assert_eq!(zone_rules(None).name, "UTC");
        let la = zone_rules(Some("America/Los_Angeles"));
        // About twelve years of twice-yearly changes, not the whole history.
        assert!(
            la.spans.len() > 20 && la.spans.len() < 30,
            "{}",
            la.spans.len()
        );
    }
}
