//! Workspace API keys for the REST API: a secret (`sbk_` + 32 URL-safe characters)
//! shown once at creation, of which only the SHA-256 is stored; scopes that narrow
//! what the key may do; revocation. A key acts as the member who created it (with
//! that member's current role), so it stops working when they leave the workspace.

use super::activity::{self, Entry, Who};
use super::context::{load_actor, Actor, RequestMeta};
use super::security::hash_token;
use super::tenancy::{api_key_by_hash, Scoped};
use super::uow::UnitOfWork;
use super::{now, AppState, ServiceError, ServiceResult};
use crate::permissions::Action;
use crate::types::{ApiKeyCreated, ApiKeyView};
use base64::Engine;
use entity::api_key;
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};

/// Every scope a key can carry, in display order.
pub const SCOPES: &[&str] = &[
    "conversations:read",
    "conversations:write",
    "customers:read",
    "customers:write",
    "messages:write",
    "tags:read",
    "tags:write",
    "views:read",
    "views:write",
];

/// What every secret starts with (so leaked keys are easy to recognise and scan for).
pub const SECRET_PREFIX: &str = "sbk_";

/// How many characters of the secret are kept in clear, to recognise a key in lists.
const SHOWN_PREFIX_LEN: usize = 12;

/// `last_used_at` is written at most this often per key.
const LAST_USED_EVERY_SECS: i64 = 60;

/// A key that proved itself: who it acts as and what it may do.
#[derive(Clone, Debug)]
pub struct AuthenticatedKey {
    /// Key id (the rate-limit bucket).
    pub key_id: i32,
    /// Scopes granted.
    pub scopes: Vec<String>,
    /// The creator, in the key's workspace, named "<key name> (API key)".
    pub actor: Actor,
}

impl AuthenticatedKey {
    /// Whether the key carries `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// Fails unless the key carries `scope`.
    ///
    /// # Errors
    /// `Forbidden`, naming the missing scope.
    pub fn require_scope(&self, scope: &str) -> ServiceResult<()> {
        if self.has_scope(scope) {
            Ok(())
        } else {
            Err(ServiceError::forbidden(format!(
                "This API key lacks the `{scope}` scope. Create a key with that scope under Settings → API keys."
            )))
        }
    }
}

/// Checks and normalizes scopes (trimmed, deduplicated, in [`SCOPES`] order).
///
/// # Errors
/// `Invalid` for an unknown scope or none at all.
pub fn parse_scopes<'a>(scopes: impl IntoIterator<Item = &'a str>) -> ServiceResult<Vec<String>> {
    let mut wanted = Vec::new();
    for s in scopes.into_iter().map(str::trim).filter(|s| !s.is_empty()) {
        if !SCOPES.contains(&s) {
            return Err(ServiceError::invalid(
                "scopes",
                format!("`{s}` is not a scope. Use any of: {}.", SCOPES.join(", ")),
            ));
        }
        wanted.push(s);
    }
    if wanted.is_empty() {
        return Err(ServiceError::invalid(
            "scopes",
            "Choose at least one scope for the key.",
        ));
    }
    Ok(SCOPES
        .iter()
        .filter(|s| wanted.contains(s))
        .map(|s| (*s).to_owned())
        .collect())
}

fn split_scopes(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn view(k: api_key::Model) -> ApiKeyView {
    ApiKeyView {
        id: k.id,
        scopes: split_scopes(&k.scopes),
        name: k.name,
        prefix: k.prefix,
        last_used_at: k.last_used_at.map(|t| t.to_rfc3339()),
        created_at: k.created_at.to_rfc3339(),
        revoked: k.revoked_at.is_some(),
    }
}

/// A new secret: `sbk_` and 32 URL-safe characters (192 random bits).
fn new_secret() -> String {
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!(
        "{SECRET_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

fn validate_name(name: &str) -> ServiceResult<String> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 60 {
        return Err(ServiceError::invalid(
            "name",
            "Name the key (1 to 60 characters), e.g. after the tool that will use it.",
        ));
    }
    Ok(n.to_owned())
}

/// Creates a key; the secret is in the result and nowhere else, ever.
///
/// # Errors
/// `Forbidden` without `ManageApiKeys`; `Invalid` name or scopes.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    name: &str,
    scopes: &[String],
    meta: &RequestMeta,
) -> ServiceResult<ApiKeyCreated> {
    actor.require(Action::ManageApiKeys)?;
    let name = validate_name(name)?;
    let scopes = parse_scopes(scopes.iter().map(String::as_str))?;
    let secret = new_secret();
    let uow = UnitOfWork::begin(state).await?;
    let key = api_key::ActiveModel {
        workspace_id: Set(actor.scope.workspace_id()),
        name: Set(name),
        prefix: Set(secret.chars().take(SHOWN_PREFIX_LEN).collect()),
        key_hash: Set(hash_token(&secret)),
        scopes: Set(scopes.join(",")),
        created_by: Set(Some(actor.user_id)),
        last_used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(&*uow)
    .await?;
    activity::record(
        &*uow,
        actor.scope,
        &Who::from(actor),
        meta,
        Entry::new("api_key.created")
            .target("api_key", key.id)
            .diff(
                None,
                Some(serde_json::json!({"name": key.name, "prefix": key.prefix, "scopes": scopes})),
            ),
    )
    .await?;
    uow.commit().await?;
    Ok(ApiKeyCreated {
        key: view(key),
        secret,
    })
}

/// The workspace's keys, newest first (revoked ones included, marked).
///
/// # Errors
/// `Forbidden` without `ManageApiKeys`; database errors.
pub async fn list(db: &impl ConnectionTrait, actor: &Actor) -> ServiceResult<Vec<ApiKeyView>> {
    actor.require(Action::ManageApiKeys)?;
    Ok(actor
        .scope
        .find::<api_key::Entity>()
        .order_by_desc(api_key::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// Revokes a key: requests carrying it are refused from now on.
///
/// # Errors
/// `Forbidden` without `ManageApiKeys`; `NotFound` (also for another workspace's
/// key); `Conflict` when already revoked.
pub async fn revoke(
    state: &AppState,
    actor: &Actor,
    id: i32,
    meta: &RequestMeta,
) -> ServiceResult<()> {
    actor.require(Action::ManageApiKeys)?;
    let mut uow = UnitOfWork::begin(state).await?;
    let key = actor
        .scope
        .find::<api_key::Entity>()
        .filter(api_key::Column::Id.eq(id))
        .one(&*uow)
        .await?
        .ok_or(ServiceError::NotFound("API key"))?;
    if key.revoked_at.is_some() {
        return Err(ServiceError::conflict("id", "This key is already revoked."));
    }
    let (name, prefix) = (key.name.clone(), key.prefix.clone());
    let mut m = key.into_active_model();
    m.revoked_at = Set(Some(now()));
    m.update(&*uow).await?;
    activity::record(
        &*uow,
        actor.scope,
        &Who::from(actor),
        meta,
        Entry::new("api_key.revoked").target("api_key", id).diff(
            Some(serde_json::json!({"name": name, "prefix": prefix})),
            None,
        ),
    )
    .await?;
    // Other instances empty their key caches when this arrives.
    uow.emit(super::bus::Event::new(
        actor.scope.workspace_id(),
        "api_key.revoked",
        serde_json::json!({"id": id}),
    ));
    uow.commit().await?;
    forget_cached();
    Ok(())
}

/// Resolves a secret to its key and the actor it speaks for. Updates
/// `last_used_at` at most once a minute (a conditional `UPDATE`, so concurrent
/// requests write it once).
///
/// # Errors
/// `Unauthenticated` for an unknown, malformed or revoked secret, or when the key's
/// creator is no longer a member of its workspace; database errors.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    secret: &str,
) -> ServiceResult<AuthenticatedKey> {
    let secret = secret.trim();
    if !secret.starts_with(SECRET_PREFIX) || secret.len() > 200 {
        return Err(ServiceError::Unauthenticated);
    }
    let hash = hash_token(secret);
    let t = now();
    if let Some((key, last_used_at)) = cache::get(&hash) {
        touch(db, &hash, key.actor.scope, key.key_id, last_used_at, t).await?;
        return Ok(key);
    }
    let key = api_key_by_hash(&hash)
        .one(db)
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
    if key.revoked_at.is_some() {
        return Err(ServiceError::Unauthenticated);
    }
    let creator = key.created_by.ok_or(ServiceError::Unauthenticated)?;
    let mut actor = load_actor(db, creator, key.workspace_id).await?;
    actor.name = format!("{} (API key)", key.name);
    let authenticated = AuthenticatedKey {
        key_id: key.id,
        scopes: split_scopes(&key.scopes),
        actor,
    };
    cache::put(&hash, authenticated.clone(), key.last_used_at);
    touch(
        db,
        &hash,
        Scoped::new(key.workspace_id),
        key.id,
        key.last_used_at,
        t,
    )
    .await?;
    Ok(authenticated)
}

/// Writes `last_used_at` when the stored one is [`LAST_USED_EVERY_SECS`] old.
async fn touch(
    db: &impl ConnectionTrait,
    hash: &str,
    scope: Scoped,
    key_id: i32,
    last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    t: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<()> {
    if last_used_at.is_some_and(|at| (t - at).num_seconds() < LAST_USED_EVERY_SECS) {
        return Ok(());
    }
    let stale = t - chrono::Duration::seconds(LAST_USED_EVERY_SECS);
    scope
        .update_many::<api_key::Entity>()
        .col_expr(api_key::Column::LastUsedAt, Expr::value(t))
        .filter(api_key::Column::Id.eq(key_id))
        .filter(
            Condition::any()
                .add(api_key::Column::LastUsedAt.is_null())
                .add(api_key::Column::LastUsedAt.lte(stale)),
        )
        .exec(db)
        .await?;
    cache::used(hash, t);
    Ok(())
}

/// Forgets every key this process has authenticated recently, so the next request
/// of each reads its key and member again. Called where a key is revoked or a
/// member's role or membership changes.
pub fn forget_cached() {
    cache::clear();
}

/// Whether an event of this kind (from any instance) makes cached keys stale:
/// a key revoked, a member's role changed or a member removed.
pub fn invalidates_cache(kind: &str) -> bool {
    matches!(
        kind,
        "api_key.revoked" | "team.role_changed" | "team.member_removed"
    )
}

/// Forgets one key's cache entry (its next request reads the key again).
pub fn forget_cached_key(secret: &str) {
    cache::forget(&hash_token(secret.trim()));
}

/// Keys authenticated in the last [`cache::TTL`], by the SHA-256 of their secret:
/// a busy integration's requests skip the two statements that find the key and its
/// member. Changes made through this process apply at once ([`forget_cached`]);
/// another server process sees a revocation or a role change within the TTL.
mod cache {
    use super::AuthenticatedKey;
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex, PoisonError};
    use std::time::{Duration, Instant};

    pub const TTL: Duration = Duration::from_secs(5);
    const MAX: usize = 10_000;

    struct Entry {
        key: AuthenticatedKey,
        last_used_at: Option<chrono::DateTime<chrono::Utc>>,
        at: Instant,
    }

    static KEYS: LazyLock<Mutex<HashMap<String, Entry>>> = LazyLock::new(Mutex::default);

    fn lock() -> std::sync::MutexGuard<'static, HashMap<String, Entry>> {
        // A poisoned lock only means a panic mid-insert; the map is still a cache.
        KEYS.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn get(hash: &str) -> Option<(AuthenticatedKey, Option<chrono::DateTime<chrono::Utc>>)> {
        let keys = lock();
        let e = keys.get(hash)?;
        (e.at.elapsed() < TTL).then(|| (e.key.clone(), e.last_used_at))
    }

    pub fn put(
        hash: &str,
        key: AuthenticatedKey,
        last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    ) {
        let mut keys = lock();
        if keys.len() >= MAX {
            keys.retain(|_, e| e.at.elapsed() < TTL);
        }
        keys.insert(
            hash.to_owned(),
            Entry {
                key,
                last_used_at,
                at: Instant::now(),
            },
        );
    }

    pub fn used(hash: &str, t: chrono::DateTime<chrono::Utc>) {
        if let Some(e) = lock().get_mut(hash) {
            e.last_used_at = Some(t);
        }
    }

    pub fn forget(hash: &str) {
        lock().remove(hash);
    }

    pub fn clear() {
        lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_keys_are_forgotten_on_request() {
        let key = AuthenticatedKey {
            key_id: 7,
            scopes: vec!["views:read".to_owned()],
            actor: Actor {
                user_id: 3,
                name: "Sync (API key)".to_owned(),
                email: "o@x.test".to_owned(),
                role: crate::permissions::Role::Agent,
                scope: Scoped::new(9),
            },
        };
        let hash = hash_token("sbk_cache-test-secret");
        assert!(cache::get(&hash).is_none());
        cache::put(&hash, key, None);
        let Some((hit, used)) = cache::get(&hash) else {
            panic!("the key was just cached");
        };
        assert_eq!(
            (hit.key_id, hit.actor.scope.workspace_id(), used),
            (7, 9, None)
        );
        let t = now();
        cache::used(&hash, t);
        assert_eq!(cache::get(&hash).map(|(_, u)| u), Some(Some(t)));
        forget_cached();
        assert!(cache::get(&hash).is_none());
    }

    #[test]
    fn secrets_have_the_documented_shape() {
        let s = new_secret();
        assert!(s.starts_with("sbk_"), "{s}");
        assert_eq!(s.len(), 4 + 32, "{s}");
        assert!(s[4..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_ne!(s, new_secret());
    }

    #[test]
    fn scopes_are_checked_and_normalized() {
        let Ok(s) = parse_scopes(["views:read", " conversations:read", "views:read"]) else {
            panic!("valid scopes refused");
        };
        assert_eq!(s, vec!["conversations:read", "views:read"]);
        assert!(parse_scopes(["admin"]).is_err());
        assert!(parse_scopes(["", " "]).is_err());
    }
}
