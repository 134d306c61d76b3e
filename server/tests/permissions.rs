//! The permission matrix, walked per role through every protected server function
//! and route: allowed calls are not refused, refused ones answer 403.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::permissions::{can, Action, Role};
use app::serverfns::activity::ListActivity;
use app::serverfns::operations::{GetJobs, ListOutbox, RestoreEmail, RetryEmail, RetryJob};
use app::serverfns::profile::{SetTimezone, UpdateProfile};
use app::serverfns::team::{ChangeRole, InviteMember, ListTeam, RemoveMember, RevokeInvitation};
use app::serverfns::workspace::{GetDashboard, GetWorkspaceSettings, RenameWorkspace};
use axum::http::StatusCode;
use common::{add_member, fns::path, sign_up, Backend, Client, TestApp};

async fn check(
    c: &mut Client,
    role: Role,
    action: Action,
    what: &str,
    p: &str,
    args: &[(&str, &str)],
) {
    let r = if p.starts_with("/api/") {
        c.call(p, args).await
    } else {
        c.get(p).await
    };
    if can(role, action) {
        assert_ne!(
            r.status,
            StatusCode::FORBIDDEN,
            "{role:?} should be allowed to {what}: {}",
            r.body
        );
        assert_ne!(r.status, StatusCode::UNAUTHORIZED, "{role:?} {what}");
    } else {
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{role:?} must not {what}: {}",
            r.body
        );
        assert!(r.body.contains("does not allow"), "{}", r.body);
    }
}

async fn matrix_is_enforced_per_role(b: Backend) {
    let app = TestApp::new(b).await;
    let mut owner = sign_up(&app, "Olive Owner", "owner@x.test", "Xco").await;
    let mut clients = vec![(Role::Owner, owner.clone())];
    for (i, role) in [
        Role::Admin,
        Role::Agent,
        Role::LightAgent,
        Role::Collaborator,
    ]
    .into_iter()
    .enumerate()
    {
        let c = add_member(&app, &mut owner, &format!("m{i}@x.test"), role.as_str()).await;
        clients.push((role, c));
    }
    for (role, mut c) in clients {
        let n = format!("{role:?}").to_lowercase();
        let fresh = format!("invitee-{n}@x.test");
        check(
            &mut c,
            role,
            Action::ViewTeam,
            "view the team",
            path::<ListTeam>(),
            &[],
        )
        .await;
        check(
            &mut c,
            role,
            Action::InviteMembers,
            "invite",
            path::<InviteMember>(),
            &[("email", &fresh), ("role", "agent")],
        )
        .await;
        check(
            &mut c,
            role,
            Action::InviteMembers,
            "revoke",
            path::<RevokeInvitation>(),
            &[("invitation_id", "999999")],
        )
        .await;
        check(
            &mut c,
            role,
            Action::ManageMembers,
            "change roles",
            path::<ChangeRole>(),
            &[("membership_id", "999999"), ("role", "agent")],
        )
        .await;
        check(
            &mut c,
            role,
            Action::ManageMembers,
            "remove members",
            path::<RemoveMember>(),
            &[("membership_id", "999999")],
        )
        .await;
        check(
            &mut c,
            role,
            Action::ViewWorkspace,
            "see settings",
            path::<GetWorkspaceSettings>(),
            &[],
        )
        .await;
        check(
            &mut c,
            role,
            Action::ViewWorkspace,
            "see the home page",
            path::<GetDashboard>(),
            &[],
        )
        .await;
        check(
            &mut c,
            role,
            Action::ManageWorkspaceSettings,
            "rename",
            path::<RenameWorkspace>(),
            &[("name", "Xco")],
        )
        .await;
        check(
            &mut c,
            role,
            Action::ViewActivityLog,
            "read the log",
            path::<ListActivity>(),
            &[],
        )
        .await;
        check(
            &mut c,
            role,
            Action::ExportActivityLog,
            "export the log",
            "/app/activity/export?format=csv",
            &[],
        )
        .await;
        check(
            &mut c,
            role,
            Action::ViewOutbox,
            "read the outbox",
            path::<ListOutbox>(),
            &[("archived", "false")],
        )
        .await;
        check(
            &mut c,
            role,
            Action::ManageOutbox,
            "retry email",
            path::<RetryEmail>(),
            &[("email_id", "999999")],
        )
        .await;
        check(
            &mut c,
            role,
            Action::ManageOutbox,
            "restore email",
            path::<RestoreEmail>(),
            &[("email_id", "999999")],
        )
        .await;
        check(
            &mut c,
            role,
            Action::ViewJobs,
            "see jobs",
            path::<GetJobs>(),
            &[],
        )
        .await;
        check(
            &mut c,
            role,
            Action::RetryJobs,
            "retry jobs",
            path::<RetryJob>(),
            &[("job_id", "999999")],
        )
        .await;
        check(
            &mut c,
            role,
            Action::ViewWorkspace,
            "edit their profile",
            path::<UpdateProfile>(),
            &[("name", "Someone")],
        )
        .await;
        check(
            &mut c,
            role,
            Action::ViewWorkspace,
            "set their timezone",
            path::<SetTimezone>(),
            &[("timezone", "Europe/Paris")],
        )
        .await;
    }
    app.finish().await;
}

async fn owner_rules(b: Backend) {
    let app = TestApp::new(b).await;
    let mut owner = sign_up(&app, "Olive Owner", "owner@x.test", "Xco").await;
    let mut admin = add_member(&app, &mut owner, "admin@x.test", "admin").await;
    let team = owner.call(path::<ListTeam>(), &[]).await.json();
    let owner_mid = team["members"][0]["membership_id"]
        .as_i64()
        .unwrap()
        .to_string();
    // Admins cannot touch owners or invite owners.
    let r = admin
        .call(
            path::<ChangeRole>(),
            &[("membership_id", &owner_mid), ("role", "agent")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = admin.invite("boss@x.test", "owner").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The last owner cannot step down.
    let r = owner
        .call(
            path::<ChangeRole>(),
            &[("membership_id", &owner_mid), ("role", "admin")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("at least one owner"));
    let r = owner
        .call(
            path::<ChangeRole>(),
            &[("membership_id", &owner_mid), ("role", "nonsense")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    app.finish().await;
}

backend_tests!(matrix_is_enforced_per_role, owner_rules);
