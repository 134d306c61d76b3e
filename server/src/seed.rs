//! Demo data: a workspace with an owner, a small team with every role, a pending
//! invitation (its email in the outbox) and some history in the activity log, so a
//! newcomer sees a living product. Runs only on an empty database.

use app::permissions::Role;
use app::services::accounts::{self, add_membership};
use app::services::tenancy::Scoped;
use app::services::{team, AppState, RequestMeta, ServiceResult};

/// The demo owner's email.
pub const DEMO_EMAIL: &str = "demo@switchboard.test";
/// The demo owner's password.
pub const DEMO_PASSWORD: &str = "switchboard-demo";

/// Seeds when no workspace exists; returns whether it seeded.
///
/// # Errors
/// Service errors.
pub async fn seed_if_empty(state: &AppState) -> ServiceResult<bool> {
    if accounts::any_workspace(&state.db).await? {
        return Ok(false);
    }
    seed(state).await?;
    Ok(true)
}

/// Creates the demo workspace.
///
/// # Errors
/// Service errors.
pub async fn seed(state: &AppState) -> ServiceResult<()> {
    let owner = accounts::create_admin(
        state,
        DEMO_EMAIL,
        "Dana Demo",
        DEMO_PASSWORD,
        "Acme Outdoor Support",
    )
    .await?;
    let scope = Scoped::new(owner.workspace_id);
    let people = [
        ("maria.admin@switchboard.test", "Maria Alvarez", Role::Admin),
        ("sam.agent@switchboard.test", "Sam Okafor", Role::Agent),
        ("lee.agent@switchboard.test", "Lee Chen", Role::Agent),
        ("jo.light@switchboard.test", "Jo Müller", Role::LightAgent),
        (
            "pat.partner@switchboard.test",
            "Pat Rivera",
            Role::Collaborator,
        ),
    ];
    for (email, name, role) in people {
        let u = accounts::create_invited_user(&state.db, email, name, DEMO_PASSWORD).await?;
        add_membership(&state.db, scope, u.id, role).await?;
    }
    let actor =
        app::services::context::load_actor(&state.db, owner.user_id, owner.workspace_id).await?;
    let meta = RequestMeta {
        ip: Some("127.0.0.1".into()),
        user_agent: Some("switchboard seed".into()),
        request_id: None,
    };
    team::invite(state, &actor, "new.hire@switchboard.test", "agent", &meta).await?;
    Ok(())
}
