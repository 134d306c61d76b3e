//! Tenancy: the one mechanism through which queries on workspace-owned data are
//! built.
//!
//! * [`Scoped`] — the request path. Holds the workspace id taken from the session
//!   (never from the request body) and adds `workspace_id = ?` to every query on a
//!   [`TenantEntity`].
//! * [`global`] and friends — entities no workspace owns ([`GlobalEntity`]).
//! * [`System`] — workers and maintenance jobs that act across workspaces on purpose.
//!
//! `clippy.toml` forbids `EntityTrait::find`, `find_by_id`, `update_many`,
//! `delete_many` and `delete_by_id` everywhere else, so a forgotten filter fails the
//! `-D warnings` lint; the cross-workspace integration test walks every route.

use entity::{GlobalEntity, TenantEntity};
use sea_orm::{ColumnTrait, DeleteMany, EntityTrait, QueryFilter, Select, UpdateMany};

/// Query builder bound to one workspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scoped {
    workspace_id: i32,
}

impl Scoped {
    /// Binds to a workspace. Call only with an id proven by the session, an API key,
    /// or a job payload written by a scoped service.
    pub fn new(workspace_id: i32) -> Self {
        Self { workspace_id }
    }

    /// The workspace id, for inserts.
    pub fn workspace_id(&self) -> i32 {
        self.workspace_id
    }

    /// `SELECT` on a tenant entity, filtered to this workspace.
    #[expect(
        clippy::disallowed_methods,
        reason = "the one place tenant selects are built"
    )]
    pub fn find<E: TenantEntity>(&self) -> Select<E> {
        E::find().filter(E::workspace_column().eq(self.workspace_id))
    }

    /// `UPDATE` on a tenant entity, filtered to this workspace.
    #[expect(
        clippy::disallowed_methods,
        reason = "the one place tenant updates are built"
    )]
    pub fn update_many<E: TenantEntity>(&self) -> UpdateMany<E> {
        E::update_many().filter(E::workspace_column().eq(self.workspace_id))
    }

    /// `DELETE` on a tenant entity, filtered to this workspace.
    #[expect(
        clippy::disallowed_methods,
        reason = "the one place tenant deletes are built"
    )]
    pub fn delete_many<E: TenantEntity>(&self) -> DeleteMany<E> {
        E::delete_many().filter(E::workspace_column().eq(self.workspace_id))
    }
}

/// `SELECT` on an entity no workspace owns.
#[expect(
    clippy::disallowed_methods,
    reason = "global entities have no workspace"
)]
pub fn global<E: GlobalEntity>() -> Select<E> {
    E::find()
}

/// `UPDATE` on an entity no workspace owns.
#[expect(
    clippy::disallowed_methods,
    reason = "global entities have no workspace"
)]
pub fn global_update<E: GlobalEntity>() -> UpdateMany<E> {
    E::update_many()
}

/// `DELETE` on an entity no workspace owns.
#[expect(
    clippy::disallowed_methods,
    reason = "global entities have no workspace"
)]
pub fn global_delete<E: GlobalEntity>() -> DeleteMany<E> {
    E::delete_many()
}

/// A user's memberships across all workspaces: the one legitimate cross-workspace
/// read on the request path (the workspace switcher and sign-in).
#[expect(
    clippy::disallowed_methods,
    reason = "a user's own memberships span workspaces"
)]
pub fn memberships_of_user(user_id: i32) -> Select<entity::membership::Entity> {
    entity::membership::Entity::find().filter(entity::membership::Column::UserId.eq(user_id))
}

/// An API key by the SHA-256 of its secret: the one read that finds a workspace's
/// row before the workspace is known (the secret is the proof of workspace, the way
/// a session is; the key's `workspace_id` then scopes everything else).
#[expect(
    clippy::disallowed_methods,
    reason = "the secret proves the workspace; nothing else is read this way"
)]
pub fn api_key_by_hash(key_hash: &str) -> Select<entity::api_key::Entity> {
    entity::api_key::Entity::find().filter(entity::api_key::Column::KeyHash.eq(key_hash))
}

/// A conversation by the token of its customer-facing page: the token is the proof
/// of workspace (like a session or an API key); everything after is scoped.
#[expect(
    clippy::disallowed_methods,
    reason = "the unguessable token proves the workspace"
)]
pub fn conversation_by_public_token(token: &str) -> Select<entity::conversation::Entity> {
    entity::conversation::Entity::find().filter(entity::conversation::Column::PublicToken.eq(token))
}

/// A shared dashboard by its link's token: the unguessable token proves the
/// workspace; everything after is scoped.
#[expect(
    clippy::disallowed_methods,
    reason = "the unguessable token proves the workspace"
)]
pub fn dashboard_by_share_token(token: &str) -> Select<entity::dashboard::Entity> {
    entity::dashboard::Entity::find().filter(entity::dashboard::Column::ShareToken.eq(token))
}

/// A Twilio account by the path token of its webhooks: the token names the
/// workspace, and each request must then carry the account's signature.
#[expect(
    clippy::disallowed_methods,
    reason = "the token names the account; the request's signature proves it"
)]
pub fn twilio_account_by_hook_token(token: &str) -> Select<entity::twilio_account::Entity> {
    entity::twilio_account::Entity::find()
        .filter(entity::twilio_account::Column::HookToken.eq(token))
}

/// A voice account by the path token of its webhook: the token names the
/// workspace, and each request must then carry the account's signature.
#[expect(
    clippy::disallowed_methods,
    reason = "the token names the account; the request's signature proves it"
)]
pub fn voice_account_by_hook_token(token: &str) -> Select<entity::voice_account::Entity> {
    entity::voice_account::Entity::find().filter(entity::voice_account::Column::HookToken.eq(token))
}

/// A transcription account by the path token of its webhook: the token names
/// the workspace, and each request must then carry the account's secret header.
#[expect(
    clippy::disallowed_methods,
    reason = "the token names the account; the request's secret header proves it"
)]
pub fn transcription_account_by_hook_token(
    token: &str,
) -> Select<entity::transcription_account::Entity> {
    entity::transcription_account::Entity::find()
        .filter(entity::transcription_account::Column::HookToken.eq(token))
}

/// A Slack app by the path token of its Request URLs: the token names the
/// workspace, and each request must then carry Slack's signature.
#[expect(
    clippy::disallowed_methods,
    reason = "the token names the account; the request's signature proves it"
)]
pub fn slack_account_by_hook_token(token: &str) -> Select<entity::slack_account::Entity> {
    entity::slack_account::Entity::find().filter(entity::slack_account::Column::HookToken.eq(token))
}

/// A campaign email by the token in its tracking and unsubscribe links: the
/// unguessable token proves the workspace; everything after is scoped.
#[expect(
    clippy::disallowed_methods,
    reason = "the unguessable token proves the workspace"
)]
pub fn campaign_send_by_token(token: &str) -> Select<entity::campaign_send::Entity> {
    entity::campaign_send::Entity::find().filter(entity::campaign_send::Column::Token.eq(token))
}

/// A help center brand by its public slug: the slug is public by design (like a
/// domain name); everything read after it is scoped to the brand's workspace.
#[expect(
    clippy::disallowed_methods,
    reason = "the public slug names the help center"
)]
pub fn brand_by_slug(slug: &str) -> Select<entity::kb_brand::Entity> {
    entity::kb_brand::Entity::find().filter(entity::kb_brand::Column::Slug.eq(slug))
}

/// Unscoped access for workers and maintenance jobs that work across workspaces on
/// purpose (claiming jobs, retention). Never constructed on the request path.
#[derive(Clone, Copy, Debug)]
pub struct System {
    _private: (),
}

impl System {
    /// Takes system access; `why` documents the caller at the call site.
    pub fn new(why: &'static str) -> Self {
        let _ = why;
        Self { _private: () }
    }

    /// `SELECT` on any entity.
    #[expect(clippy::disallowed_methods, reason = "system access is explicit")]
    pub fn find<E: EntityTrait>(&self) -> Select<E> {
        E::find()
    }

    /// `UPDATE` on any entity.
    #[expect(clippy::disallowed_methods, reason = "system access is explicit")]
    pub fn update_many<E: EntityTrait>(&self) -> UpdateMany<E> {
        E::update_many()
    }

    /// `DELETE` on any entity.
    #[expect(clippy::disallowed_methods, reason = "system access is explicit")]
    pub fn delete_many<E: EntityTrait>(&self) -> DeleteMany<E> {
        E::delete_many()
    }
}
