//! Events are published after commit, tagged with their workspace.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::services::bus::Event;
use app::services::uow::UnitOfWork;
use common::{add_member, sign_up, Backend, TestApp};
use tokio::sync::broadcast::error::TryRecvError;

async fn events_follow_commits_only(b: Backend) {
    let app = TestApp::new(b).await;
    let mut rx = app.state.bus.subscribe();
    let mut owner = sign_up(&app, "Ada", "ada@example.com", "Acme").await;
    let _m = add_member(&app, &mut owner, "grace@example.com", "agent").await;
    let mut kinds = Vec::new();
    while let Ok(e) = rx.try_recv() {
        kinds.push(e.kind);
    }
    assert_eq!(kinds, ["team.invitation_created", "team.member_joined"]);
    // A rolled-back unit of work publishes nothing.
    let mut uow = UnitOfWork::begin(&app.state).await.unwrap();
    uow.emit(Event::new(1, "team.member_joined", serde_json::json!({})));
    drop(uow);
    assert!(matches!(rx.try_recv(), Err(TryRecvError::Empty)));
    app.finish().await;
}

backend_tests!(events_follow_commits_only);
