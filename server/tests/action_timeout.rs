//! An action whose tool hangs is stopped at `action_timeout_ms` and keeps nothing
//! it wrote; the failure says so. Uses a tool of its own, added to this test
//! process's registry before first use (the extension point later capabilities use).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::services::actions::registry::{self, Exec, Tool, ToolFuture};
use app::services::actions::{self, Proposal, Proposer};
use app::services::context::RequestMeta;
use app::services::inbox::conversations;
use app::services::tenancy::{Scoped, System};
use app::types::Risk;
use common::{fns::path, sign_up, Backend, TestApp};
use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};
use std::sync::Once;

fn hang<'a>(cx: &'a mut Exec, _v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let c = cx.conversation.clone().unwrap();
        conversations::set_tags_in(&*cx.uow, cx.scope, c.id, &["half-done".into()], &[]).await?;
        tokio::time::sleep(std::time::Duration::from_secs(120)).await;
        Ok(json!({}))
    })
}

fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        registry::add_before_start(Tool {
            name: "test_hang",
            label: "Hang",
            description: "Tags the ticket, then never finishes.",
            risk: Risk::Low,
            fields: &[],
            needs_conversation: true,
            external: false,
            amount_field: None,
            describe: |_| "Hang".into(),
            run: hang,
        })
        .map_err(|_| "registry already in use")
        .unwrap();
    });
}

async fn a_hanging_tool_times_out_and_keeps_nothing(b: Backend) {
    install();
    let app = TestApp::with_config(b, |c| c.action_timeout_ms = 300).await;
    let mut owner = sign_up(&app, "Olga", "olga@a.test", "Acme").await;
    let s = owner
        .call(path::<app::serverfns::auth::GetSession>(), &[])
        .await
        .json();
    let ws = i32::try_from(s["workspace"]["id"].as_i64().unwrap()).unwrap();
    owner
        .call(
            path::<app::serverfns::actions::SetPolicyDefault>(),
            &[("effect", "allow")],
        )
        .await;
    let r = app::services::channels::inbound::receive(
        &app.state,
        Scoped::new(ws),
        app::services::channels::inbound::InboundMessage::new(
            app::types::Channel::Email,
            "test:hang".into(),
            app::services::channels::inbound::Sender {
                kind: app::types::IdentifierKind::Email,
                value: "carl@customer.test".into(),
                name: None,
            },
            "Hello".into(),
        ),
    )
    .await
    .unwrap();
    let v = actions::propose(
        &app.state,
        Scoped::new(ws),
        Proposal {
            tool: "test_hang".into(),
            input: json!({}),
            conversation_id: Some(r.conversation_id),
            reasoning: None,
            proposer: Proposer::Ai,
            customer_note: None,
        },
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    assert_eq!(v.status, "running");
    app.run_jobs().await;
    let a = System::new("test")
        .find::<entity::ai_action::Entity>()
        .filter(entity::ai_action::Column::Id.eq(v.id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.status, "failed");
    assert!(
        a.error
            .as_deref()
            .unwrap()
            .contains("Timed out after 0.3 s"),
        "{:?}",
        a.error
    );
    let links = System::new("test")
        .find::<entity::conversation_tag::Entity>()
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(links, 0, "the hanging run's tag was kept");
    app.finish().await;
}

backend_tests!(a_hanging_tool_times_out_and_keeps_nothing);
