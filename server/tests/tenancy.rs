//! Tenancy: a member of workspace A can read or change nothing of workspace B through
//! any route, and every registered server function is covered here.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::serverfns::activity::ListActivity;
use app::serverfns::auth::{GetSession, SwitchWorkspace};
use app::serverfns::operations::{GetJobs, ListOutbox, RestoreEmail, RetryEmail, RetryJob};
use app::serverfns::team::{ChangeRole, ListTeam, RemoveMember, RevokeInvitation};
use app::serverfns::workspace::{
    GetDashboard, GetWorkspaceSettings, RenameWorkspace, SetWorkspaceLogo,
};
use app::services::tenancy::{Scoped, System};
use axum::http::StatusCode;
use common::{add_member, fns::path, sign_up, Backend, TestApp};
use entity::{email, invitation, job, membership};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, QueryFilter};

/// Every server function reachable by a signed-in user, and where it is exercised
/// across workspaces (the plain routes `/app/activity/export` and `/app/logo` are
/// exercised below; `/ws` in tests/websocket.rs). Public token-based ones (sign-in, invitations by token) carry
/// their own proof of workspace.
const COVERED: &[&str] = &[
    // AI actions, policies and tasks: a_cannot_touch_b_actions in tests/actions.rs
    // (`list_tools` lists the process's tool registry, which holds no workspace data).
    "list_actions",
    "approve_action",
    "reject_action",
    "replay_action",
    "propose_action",
    "list_tools",
    "get_policies",
    "save_policy",
    "delete_policy",
    "move_policy",
    "set_policy_default",
    "test_policy",
    "list_tasks",
    "create_task",
    "set_task_done",
    "ticket_work",
    "schedule_follow_up",
    "cancel_follow_up",
    "get_ai_loop",
    "set_ai_loop",
    "run_ai_loop",
    // Procedures: procedures_are_checked_previewed_and_kept_apart in tests/actions.rs
    // (`compile_procedure` reads only the caller's own provider settings).
    "get_procedures",
    "save_procedure",
    "delete_procedure",
    "preview_procedure",
    "compile_procedure",
    // Business hours and SLAs: sla_targets_follow_policies_in_business_hours in
    // tests/sla.rs.
    "get_sla",
    "save_schedule",
    "delete_schedule",
    "save_sla_policy",
    "delete_sla_policy",
    // Flows: a_cannot_see_or_change_b_flows in tests/flows.rs.
    "list_flows",
    "get_flow",
    "save_flow_settings",
    "save_flow_draft",
    "publish_flow",
    "rollback_flow",
    "delete_flow",
    // Flow analytics: flow_runs_are_kept_to_their_workspace in tests/flow_engine.rs.
    "get_flow_stats",
    // The editor's pickers: scoped lists of teams and endpoints (tests/flow_engine.rs).
    "get_flow_editor_options",
    // Segments: bad_segments_are_refused_and_workspaces_kept_apart in tests/segments.rs
    // (list, change, delete and preview across workspaces).
    "get_segments",
    "save_segment",
    "delete_segment",
    "preview_segment",
    // Campaign sending: bad_settings_are_refused_and_workspaces_kept_apart in
    // tests/campaigns.rs (settings and suppressions are the caller's workspace's;
    // another's campaign stats and suppressions are 404).
    "get_marketing",
    "save_marketing_settings",
    "add_suppression",
    "remove_suppression",
    "get_campaign_stats",
    // Targeted messages: targeted_messages_are_checked_and_kept_apart in
    // tests/targeted.rs (another's message is 404 to change or delete; the
    // list is the caller's workspace's).
    "get_targeted",
    "save_targeted",
    "delete_targeted",
    // Tours: tours_are_checked_and_kept_apart in tests/targeted.rs.
    "get_tours",
    "save_tour",
    "set_tour_status",
    "delete_tour",
    // Notifications: a_cannot_see_or_change_b_notifications in tests/notifications.rs
    // (preferences are the caller's own in the caller's workspace).
    "get_my_notifications",
    "save_notification_pref",
    "get_notification_admin",
    "save_notification_template",
    "reset_notification_template",
    // Routing: queues_route_by_skills_capacity_and_status in tests/routing.rs
    // (`set_my_status` and `status_heartbeat` change only the caller's own
    // membership in the session's workspace).
    "get_routing",
    "get_routing_lists",
    "save_queue",
    "move_queue",
    "delete_queue",
    "save_agent_routing",
    "set_my_status",
    "status_heartbeat",
    // Store settings: checkout_pays_through_stripe_and_each_webhook_applies_once
    // in tests/commerce.rs (another workspace reads itself not connected and
    // cannot take the first's payments).
    "get_store_settings",
    "save_store_settings",
    "get_shipping_settings",
    "save_shipping_settings",
    "get_store_pages",
    "save_store_page",
    // The catalog: catalog_edits_are_checked_and_stay_in_the_workspace in
    // tests/catalog.rs.
    "list_catalog",
    "get_catalog_product",
    "save_catalog_product",
    "save_catalog_category",
    "delete_catalog_category",
    // The orders desk: the_orders_desk_lists_packs_ships_and_delivers in
    // tests/orders.rs (another workspace lists nothing and reads or moves
    // none of the first's orders: 404).
    "list_store_orders",
    "get_store_order",
    // The change, return and exchange forms: the_forms_offer_what_the_rules_allow
    // in tests/orders.rs (another workspace gets 404).
    "get_order_options",
    "quote_order_return",
    // Reports: reports_are_checked_saved_and_kept_apart in tests/reports.rs
    // (another workspace's report builder counts none of the first's
    // conversations, lists none of its reports, and deletes none: 404).
    "get_reports_page",
    "run_report",
    "drill_report",
    "save_report",
    "delete_report",
    // Dashboards: dashboards_are_arranged_shared_and_kept_apart in
    // tests/reports.rs (another workspace lists, opens, saves, shares and
    // deletes none of the first's: 404; Home's widgets count its own only).
    "get_dashboards",
    "create_dashboard",
    "get_board",
    "save_dashboard",
    "delete_dashboard",
    "share_dashboard",
    "get_home_widgets",
    // The live dashboard: the_live_board_counts_the_floor_now in tests/reports.rs
    // (another workspace's tickets and agents never count).
    "get_live_board",
    // The daily digest: digests_are_built_once_per_day_and_kept_apart in
    // tests/reports.rs (another workspace's days are a 404).
    "get_digest",
    // Report exports and schedules: exports_are_built_by_jobs_emailed_and_read_back
    // in tests/reports.rs (another workspace lists none, cannot download, export
    // or unschedule).
    "get_exports",
    "export_report",
    "schedule_report",
    "unschedule_report",
    // Predictions: predictions_are_explained_and_checked_against_real_answers in
    // tests/reports.rs (another workspace's conversation is a 404, its answers
    // are not counted).
    "get_customer_insights",
    "get_prediction_check",
    // AutoQA: autoqa_reviews_flags_calibrates_and_coaches in tests/quality.rs
    // (another workspace lists no reviews and cannot open, review, coach or
    // finish coaching on this one's).
    "get_quality",
    "get_review",
    "save_review",
    "assign_coaching",
    "finish_coaching",
    "save_scorecard",
    "pack_order",
    "ship_order",
    "deliver_order",
    // Rules: rules_are_checked_versioned_and_kept_apart in tests/automation.rs.
    "get_rules",
    "save_rule",
    "set_rule_enabled",
    "move_rule",
    "delete_rule",
    "rule_versions",
    "restore_rule",
    "dry_run_rule",
    "rule_firings",
    // Agent assist: a_cannot_touch_b_knowledge_or_ai in tests/knowledge_ai.rs
    // (`assist_translate` reads only the caller's own provider settings).
    "assist_canned",
    "assist_translate",
    // Inbox: a_cannot_touch_b_inbox in tests/inbox.rs.
    "get_inbox_meta",
    "list_views",
    "list_conversations",
    "get_conversation",
    "create_conversation",
    "send_message",
    "update_conversation",
    "tag_conversation",
    "bulk_update",
    "merge_conversations",
    "undo_merge",
    "split_conversation",
    "search_inbox",
    "presence_ping",
    "presence_leave",
    "list_canned",
    "render_template",
    "save_canned",
    "delete_canned",
    "list_macros",
    "preview_macro",
    "apply_macro",
    "save_macro",
    "delete_macro",
    "save_view",
    "delete_view",
    "move_view",
    "start_side_conversation",
    "update_customer",
    "add_customer_identifier",
    "merge_customers",
    "list_notifications",
    "mark_notifications_read",
    "set_signature",
    "upload_attachment",
    "create_team",
    "create_custom_field",
    // Channels and webhooks: a_cannot_touch_b_channels below.
    "list_channel_settings",
    "save_channel_settings",
    "rotate_channel_key",
    "test_imap",
    "list_webhooks",
    "create_webhook",
    "update_webhook",
    "set_webhook_active",
    "rotate_webhook_secret",
    "delete_webhook",
    "list_webhook_deliveries",
    "replay_webhook_delivery",
    "format_for_channel",
    // Public, scoped by the workspace's slug (and the ticket's email): tests/channels.rs.
    "support_page",
    "submit_support_form",
    "ticket_status",
    // API keys: a_cannot_touch_b_api_keys below (and the REST API in tests/api.rs).
    "list_api_keys",
    "create_api_key",
    "revoke_api_key",
    "list_team",
    "invite_member",
    "revoke_invitation",
    "change_role",
    "remove_member",
    "get_workspace_settings",
    "rename_workspace",
    "set_workspace_logo",
    "get_dashboard",
    "list_activity",
    "list_outbox",
    "retry_email",
    "restore_email",
    "get_jobs",
    "retry_job",
    "switch_workspace",
    "get_session",
    "update_profile",
    "change_password",
    "set_timezone",
    "resend_verification",
    "sign_out",
    // Knowledge base and AI: a_cannot_touch_b_knowledge_or_ai in tests/knowledge_ai.rs.
    "list_articles",
    "kb_tree",
    "get_article",
    "save_article",
    "publish_article",
    "delete_article",
    "article_revisions",
    "article_diff",
    "restore_revision",
    "create_kb_collection",
    "create_kb_category",
    "list_brands",
    "save_brand",
    "ai_settings",
    "save_ai_settings",
    "conversation_ai",
    "assist_draft",
    "assist_summary",
    "ai_overview",
    // SMS & WhatsApp: media_settings_and_tenancy in tests/twilio.rs (B cannot reply
    // or send a template on A's conversation, nor reach A's messages or files
    // through B's webhooks; settings and templates are the caller's own).
    "get_twilio_settings",
    "save_twilio_settings",
    "remove_twilio_settings",
    "send_twilio_test",
    "list_whatsapp_templates",
    "send_whatsapp_template",
    // Voice: voice_calls_and_tenancy in tests/voice.rs (B's webhook cannot touch
    // A's calls; settings are the caller's own).
    "get_voice_settings",
    "save_voice_settings",
    "sync_voice_agent",
    "remove_voice_settings",
    // Transcription: tenancy in tests/transcription.rs (B's webhook, with B's
    // secret, cannot settle A's transcripts; settings are the caller's own).
    "get_transcription_settings",
    "save_transcription_settings",
    "send_transcription_test",
    "remove_transcription_settings",
    // Slack: notifications_side_conversations_and_tenancy in tests/slack.rs (B's
    // Request URLs reach none of A's threads; settings are the caller's own).
    "get_slack_settings",
    "save_slack_settings",
    "send_slack_test",
    "remove_slack_settings",
    // Public: no workspace in scope until the credentials or the token prove one.
    // The support page's suggestions are scoped by its slug (knowledge_ai.rs).
    "support_suggest",
    "support_suggest_open",
    "get_customer_conversation",
    // The token proves the conversation (channels.rs: the email survey).
    "rate_conversation",
    "sign_up",
    "sign_in",
    "request_password_reset",
    "reset_password",
    "verify_email",
    "get_invitation",
    "accept_invitation",
];

#[test]
fn every_server_function_is_covered() {
    for (p, _) in leptos::server_fn::axum::server_fn_paths() {
        let name = p
            .trim_start_matches("/api/")
            .trim_end_matches(|c: char| c.is_ascii_digit());
        assert!(
            COVERED.contains(&name),
            "server fn `{name}` has no cross-workspace coverage: add it to tests/tenancy.rs"
        );
    }
}

async fn a_cannot_touch_b(b: Backend) {
    let app = TestApp::new(b).await;
    let mut a = sign_up(&app, "Alice", "alice@a.test", "Workspace A").await;
    let mut bo = sign_up(&app, "Bob", "bob@b.test", "Workspace B").await;
    let _b_member = add_member(&app, &mut bo, "bea@b.test", "agent").await;
    let r = bo.invite("pending@b.test", "agent").await;
    assert_eq!(r.status, StatusCode::OK);
    let png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
    assert_eq!(
        bo.call(path::<SetWorkspaceLogo>(), &[("data_url", png)])
            .await
            .status,
        StatusCode::OK
    );
    app.run_jobs().await;

    let b_ws = bo.call(path::<GetSession>(), &[]).await.json()["workspace"]["id"]
        .as_i64()
        .unwrap() as i32;
    let sys = System::new("test inspects B");
    let b_scope = Scoped::new(b_ws);
    let b_member = b_scope
        .find::<membership::Entity>()
        .filter(membership::Column::Role.eq("agent"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let b_inv = b_scope
        .find::<invitation::Entity>()
        .filter(invitation::Column::AcceptedAt.is_null())
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let b_email = b_scope
        .find::<email::Entity>()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    // A dead job and an archived email in B.
    let b_job = b_scope
        .find::<job::Entity>()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    sys.update_many::<job::Entity>()
        .col_expr(job::Column::Status, Expr::value("dead"))
        .filter(job::Column::Id.eq(b_job.id))
        .exec(&app.state.db)
        .await
        .unwrap();
    sys.update_many::<email::Entity>()
        .col_expr(email::Column::ArchivedAt, Expr::value(chrono::Utc::now()))
        .filter(email::Column::Id.eq(b_email.id))
        .exec(&app.state.db)
        .await
        .unwrap();

    // Reads show only A.
    let team = a.call(path::<ListTeam>(), &[]).await;
    assert_eq!(team.status, StatusCode::OK);
    assert!(!team.body.contains("@b.test"), "{}", team.body);
    for archived in ["false", "true"] {
        let outbox = a
            .call(path::<ListOutbox>(), &[("archived", archived)])
            .await;
        assert_eq!(outbox.status, StatusCode::OK);
        assert!(!outbox.body.contains("@b.test"), "{}", outbox.body);
    }
    let jobs = a.call(path::<GetJobs>(), &[]).await.json();
    assert_eq!(jobs["dead"], 0);
    let act = a.call(path::<ListActivity>(), &[]).await;
    assert!(
        !act.body.contains("b.test") && act.body.contains("alice@a.test"),
        "{}",
        act.body
    );
    let csv = a.get("/app/activity/export?format=csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(!csv.body.contains("b.test"));
    let json = a.get("/app/activity/export?format=json").await;
    assert!(!json.body.contains("b.test"));
    let settings = a.call(path::<GetWorkspaceSettings>(), &[]).await.json();
    assert_eq!(settings["name"], "Workspace A");
    assert_eq!(
        a.get("/app/logo").await.status,
        StatusCode::NOT_FOUND,
        "A has no logo; B's must not leak"
    );
    let dash = a.call(path::<GetDashboard>(), &[]).await.json();
    assert_eq!(dash["members"], 1);

    // Writes aimed at B's rows find nothing.
    let id = |v: i32| v.to_string();
    for (p, args) in [
        (
            path::<ChangeRole>(),
            vec![("membership_id", id(b_member.id)), ("role", "admin".into())],
        ),
        (
            path::<RemoveMember>(),
            vec![("membership_id", id(b_member.id))],
        ),
        (
            path::<RevokeInvitation>(),
            vec![("invitation_id", id(b_inv.id))],
        ),
        (path::<RetryEmail>(), vec![("email_id", id(b_email.id))]),
        (path::<RestoreEmail>(), vec![("email_id", id(b_email.id))]),
        (path::<RetryJob>(), vec![("job_id", id(b_job.id))]),
        (path::<SwitchWorkspace>(), vec![("workspace_id", id(b_ws))]),
    ] {
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = a.call(p, &args).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{p}: {}", r.body);
    }
    assert_eq!(
        a.call(path::<RenameWorkspace>(), &[("name", "Renamed A")])
            .await
            .status,
        StatusCode::OK
    );

    // B is unchanged.
    let m = b_scope
        .find::<membership::Entity>()
        .filter(membership::Column::Id.eq(b_member.id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.role, "agent");
    let i = b_scope
        .find::<invitation::Entity>()
        .filter(invitation::Column::Id.eq(b_inv.id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(i.revoked_at.is_none());
    let j = sys
        .find::<job::Entity>()
        .filter(job::Column::Id.eq(b_job.id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(j.status, "dead");
    let e = sys
        .find::<email::Entity>()
        .filter(email::Column::Id.eq(b_email.id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(e.archived_at.is_some());
    let bws = bo.call(path::<GetWorkspaceSettings>(), &[]).await.json();
    assert_eq!(bws["name"], "Workspace B");
    assert_eq!(
        bo.call(path::<GetSession>(), &[]).await.json()["workspace"]["id"],
        b_ws
    );
    assert_eq!(bo.get("/app/logo").await.status, StatusCode::OK);
    app.finish().await;
}

/// A bearer request to the REST API (no cookie, no `Origin`).
async fn api_call(
    app: &TestApp,
    method: &str,
    uri: &str,
    secret: &str,
    body: Option<serde_json::Value>,
) -> common::Res {
    use axum::body::Body;
    use axum::http::{header, Request};
    let mut c = app.client();
    c.origin = None;
    let b = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {secret}"));
    let req = match body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string())),
        None => b.body(Body::empty()),
    }
    .unwrap();
    c.send(req).await
}

async fn a_cannot_touch_b_api_keys(b: Backend) {
    use app::serverfns::api_keys::{CreateApiKey, ListApiKeys, RevokeApiKey};
    let app = TestApp::new(b).await;
    let mut a = sign_up(&app, "Alice", "alice@a.test", "Workspace A").await;
    let mut bo = sign_up(&app, "Bob", "bob@b.test", "Workspace B").await;
    let scopes = "customers:read,customers:write";
    let create = |name: &'static str| [("name", name), ("scopes_csv", scopes)];
    let a_key = a
        .call(path::<CreateApiKey>(), &create("A's key"))
        .await
        .json();
    let b_key = bo
        .call(path::<CreateApiKey>(), &create("B's key"))
        .await
        .json();
    let a_secret = a_key["secret"].as_str().unwrap().to_owned();
    let b_secret = b_key["secret"].as_str().unwrap().to_owned();
    let b_id = b_key["key"]["id"].as_i64().unwrap().to_string();

    // A neither sees nor revokes B's key.
    let listed = a.call(path::<ListApiKeys>(), &[]).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert!(listed.body.contains("A's key"), "{}", listed.body);
    assert!(!listed.body.contains("B's key"), "{}", listed.body);
    let r = a.call(path::<RevokeApiKey>(), &[("id", &b_id)]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    // B's key reads nothing of A's.
    let r = api_call(
        &app,
        "POST",
        "/api/v1/customers",
        &a_secret,
        Some(serde_json::json!({"identifier_kind": "email", "identifier_value": "carol@c.test"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let a_customer = r.json()["id"].as_i64().unwrap();
    let r = api_call(
        &app,
        "GET",
        &format!("/api/v1/customers/{a_customer}"),
        &b_secret,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = api_call(&app, "GET", "/api/v1/customers", &b_secret, None).await;
    assert_eq!(r.json()["data"], serde_json::json!([]), "{}", r.body);

    // B's key still works: A's attempt changed nothing.
    let bl = bo.call(path::<ListApiKeys>(), &[]).await.json();
    assert_eq!(bl[0]["revoked"], false);
    let r = api_call(&app, "GET", "/api/v1/customers", &b_secret, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.finish().await;
}

/// Channel settings, webhooks and channel formatting: A sees and changes only its own.
async fn a_cannot_touch_b_channels(b: Backend) {
    use app::serverfns::channels::{
        CreateWebhook, DeleteWebhook, FormatForChannel, ListChannelSettings, ListWebhookDeliveries,
        ListWebhooks, ReplayWebhookDelivery, RotateChannelKey, RotateWebhookSecret,
        SetWebhookActive, TestImap, UpdateWebhook,
    };
    let app = TestApp::new(b).await;
    let mut a = sign_up(&app, "Alice", "alice@a.test", "Workspace A").await;
    let mut bo = sign_up(&app, "Bob", "bob@b.test", "Workspace B").await;
    let form = |url: &'static str| {
        vec![
            ("form[url]", url),
            ("form[events][0]", "message.created"),
            ("form[headers]", ""),
            ("form[allow_private]", "true"),
        ]
    };
    let r = bo
        .call(path::<CreateWebhook>(), &form("http://127.0.0.1:9/b"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let b_hook = r.json()["id"].as_i64().unwrap().to_string();
    let b_channels = bo.call(path::<ListChannelSettings>(), &[]).await.json();
    let b_key = b_channels[0]["public_key"].as_str().unwrap().to_owned();

    let a_channels = a.call(path::<ListChannelSettings>(), &[]).await;
    assert_eq!(a_channels.status, StatusCode::OK, "{}", a_channels.body);
    assert!(!a_channels.body.contains(&b_key), "A sees B's widget key");
    let hooks = a.call(path::<ListWebhooks>(), &[]).await;
    assert_eq!(hooks.json(), serde_json::json!([]), "{}", hooks.body);
    for (p, args) in [
        (
            path::<SetWebhookActive>(),
            vec![("id", b_hook.as_str()), ("active", "false")],
        ),
        (path::<RotateWebhookSecret>(), vec![("id", b_hook.as_str())]),
        (path::<DeleteWebhook>(), vec![("id", b_hook.as_str())]),
        (
            path::<ListWebhookDeliveries>(),
            vec![("endpoint_id", b_hook.as_str())],
        ),
        (path::<ReplayWebhookDelivery>(), vec![("delivery_id", "1")]),
    ] {
        let r = a.call(p, &args).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{p}: {}", r.body);
    }
    let mut upd = form("http://127.0.0.1:9/a");
    upd.push(("id", b_hook.as_str()));
    let r = a.call(path::<UpdateWebhook>(), &upd).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // A rotating its own key leaves B's alone.
    let r = a
        .call(path::<RotateChannelKey>(), &[("channel", "chat")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let again = bo.call(path::<ListChannelSettings>(), &[]).await.json();
    assert_eq!(again[0]["public_key"].as_str(), Some(b_key.as_str()));
    // B's endpoint is untouched.
    let bh = bo.call(path::<ListWebhooks>(), &[]).await.json();
    assert_eq!(bh[0]["active"], true);
    assert_eq!(bh[0]["url"], "http://127.0.0.1:9/b");
    // Formatting a draft on B's conversation (id 1 in B) is not found for A.
    let r = a
        .call(
            path::<FormatForChannel>(),
            &[("conversation_id", "999999"), ("body", "hi")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // A's IMAP test uses A's (empty) settings, never B's.
    let r = a.call(path::<TestImap>(), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    app.finish().await;
}

backend_tests!(
    a_cannot_touch_b,
    a_cannot_touch_b_api_keys,
    a_cannot_touch_b_channels
);
