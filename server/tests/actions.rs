//! The AI agent that acts (issue 12): the tool registry's validation, the policy
//! engine, the lifecycle (idempotency, the double-approve race, the re-check at
//! execution, denial, rejection), every built-in tool's happy path and bad input,
//! replay as a dry run, tasks, and workspace isolation. Both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::serverfns::actions::{
    ApproveAction, CreateTask, DeletePolicy, GetPolicies, ListActions, ListTasks, MovePolicy,
    ProposeAction, RejectAction, ReplayAction, SavePolicy, SetPolicyDefault, SetTaskDone,
    TestPolicy,
};
use app::serverfns::auth::GetSession;
use app::services::actions::{self, Proposal, Proposer};
use app::services::channels::inbound::{self, InboundMessage, Sender};
use app::services::context::RequestMeta;
use app::services::tenancy::{Scoped, System};
use app::types::{Channel, IdentifierKind};
use axum::http::StatusCode;
use common::{add_member, fns::path, sign_up, Backend, Client, TestApp};
use entity::{activity, ai_action, conversation, expense, message, task, webhook_delivery};
use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

struct Ws {
    owner: Client,
    id: i32,
}

async fn workspace(app: &TestApp, email: &str, name: &str) -> Ws {
    let mut owner = sign_up(app, "Olga Owner", email, name).await;
    let s = owner.call(path::<GetSession>(), &[]).await.json();
    Ws {
        owner,
        id: i32::try_from(s["workspace"]["id"].as_i64().unwrap()).unwrap(),
    }
}

/// A customer email opening a conversation; returns (id, number).
async fn ticket(app: &TestApp, ws: &Ws, who: &str, text: &str) -> (i32, i32) {
    let mut m = InboundMessage::new(
        Channel::Email,
        format!("test:{who}:{}", uuid::Uuid::new_v4().simple()),
        Sender {
            kind: IdentifierKind::Email,
            value: format!("{who}@customer.test"),
            name: Some(format!("{who} Customer")),
        },
        text.to_owned(),
    );
    m.subject = text.chars().take(40).collect();
    let r = inbound::receive(&app.state, Scoped::new(ws.id), m)
        .await
        .unwrap();
    (r.conversation_id, r.conversation_number)
}

async fn ai_proposes(app: &TestApp, ws: &Ws, tool: &str, input: Value, conv: Option<i32>) -> Value {
    let v = actions::propose(
        &app.state,
        Scoped::new(ws.id),
        Proposal {
            tool: tool.into(),
            input,
            conversation_id: conv,
            reasoning: Some("The customer asked for it.".into()),
            proposer: Proposer::Ai,
            customer_note: None,
        },
        &RequestMeta::default(),
    )
    .await
    .unwrap_or_else(|e| panic!("{tool}: {e}"));
    serde_json::to_value(v).unwrap()
}

async fn action(app: &TestApp, id: i64) -> ai_action::Model {
    System::new("test inspects actions")
        .find::<ai_action::Entity>()
        .filter(ai_action::Column::Id.eq(i32::try_from(id).unwrap()))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
}

async fn conv(app: &TestApp, id: i32) -> conversation::Model {
    System::new("test inspects conversations")
        .find::<conversation::Entity>()
        .filter(conversation::Column::Id.eq(id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
}

fn rule<'a>(name: &'a str, effect: &'a str, tool: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("id", "0"),
        ("form[name]", name),
        ("form[effect]", effect),
        ("form[tool]", tool),
        ("form[min_risk]", ""),
        ("form[amount_over]", ""),
        ("form[segment_tag]", ""),
        ("form[channel]", ""),
        ("form[enabled]", "true"),
    ]
}

async fn propose(c: &mut Client, tool: &str, input: &str, number: Option<i32>) -> common::Res {
    let n = number.map(|n| n.to_string());
    let mut pairs = vec![
        ("form[tool]", tool),
        ("form[input_json]", input),
        ("form[reasoning]", "testing"),
    ];
    if let Some(n) = &n {
        pairs.push(("form[conversation_number]", n.as_str()));
    }
    c.call(path::<ProposeAction>(), &pairs).await
}

// ---------------------------------------------------------------------------------

async fn bad_input_is_refused_naming_the_field(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@a.test", "Acme").await;
    let (_, n) = ticket(&app, &ws, "carl", "Please close my ticket").await;
    let cases: &[(&str, &str, Option<i32>, &str)] = &[
        (
            "no_such_tool",
            "{}",
            Some(n),
            "There is no tool named `no_such_tool`",
        ),
        (
            "update_ticket",
            r#"{"status":"gone"}"#,
            Some(n),
            "`status`: must be one of",
        ),
        (
            "update_ticket",
            r#"{"colour":"red"}"#,
            Some(n),
            "`colour`: not a field",
        ),
        ("update_ticket", "{}", Some(n), "give at least one"),
        ("reply", "{}", Some(n), "`body`: required"),
        ("reply", r#"{"body":"hi"}"#, None, "works on a ticket"),
        (
            "close_ticket",
            r#"{"note":""}"#,
            Some(n),
            "`note`: must not be empty",
        ),
        (
            "tag_ticket",
            r#"{"add":"vip"}"#,
            Some(n),
            "`add`: must be a list",
        ),
        (
            "assign_ticket",
            r#"{"assignee_email":"nobody@x.test"}"#,
            Some(n),
            "is not a member",
        ),
        (
            "create_task",
            r#"{"title":"Call","due":"someday"}"#,
            Some(n),
            "is not a due date",
        ),
        (
            "create_task",
            r#"{"due":"tomorrow"}"#,
            None,
            "`title`: required",
        ),
        (
            "summarize_thread",
            r#"{"x":1}"#,
            Some(n),
            "this tool takes no input",
        ),
        (
            "draft_email",
            r#"{"subject":"Hi"}"#,
            Some(n),
            "`instructions`: required",
        ),
        (
            "create_expense",
            r#"{"description":"Credit","amount":"ten"}"#,
            Some(n),
            "`amount`: must be a number",
        ),
        (
            "create_expense",
            r#"{"description":"Credit","amount":5,"currency":"dollars"}"#,
            Some(n),
            "`currency`: must be at most 3",
        ),
        (
            "trigger_webhook",
            r#"{"endpoint_id":999,"event":"x.y"}"#,
            None,
            "no webhook endpoint 999",
        ),
        (
            "system_health_check",
            r#"{"deep":true}"#,
            None,
            "this tool takes no input",
        ),
        ("reply", "not json", Some(n), "not JSON"),
    ];
    // Everything is allowed, so validation at execution shows too.
    let r = ws
        .owner
        .call(path::<SetPolicyDefault>(), &[("effect", "allow")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for (tool, input, number, expect) in cases {
        let r = propose(&mut ws.owner, tool, input, *number).await;
        if r.status == StatusCode::OK {
            // Checked when it runs (a member or team that does not exist).
            app.run_jobs().await;
            let id = r.json()["id"].as_i64().unwrap();
            let a = action(&app, id).await;
            assert_eq!(a.status, "failed", "{tool} {input}");
            assert!(
                a.error.as_deref().unwrap_or_default().contains(expect),
                "{tool}: {:?}",
                a.error
            );
        } else {
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{tool} {input}: {}",
                r.body
            );
            assert!(r.body.contains(expect), "{tool} {input}: {}", r.body);
        }
    }
    // Nothing half-written: no expense, no task.
    let sys = System::new("test");
    assert_eq!(
        sys.find::<expense::Entity>()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        sys.find::<task::Entity>()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );
    app.finish().await;
}

async fn every_tool_runs(b: Backend) {
    use app::services::channels::webhooks;
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@a.test", "Acme").await;
    let r = ws
        .owner
        .call(path::<SetPolicyDefault>(), &[("effect", "allow")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (cid, _) = ticket(
        &app,
        &ws,
        "carl",
        "My parcel is late. Can you check the tracking? Please call me back tomorrow.",
    )
    .await;
    let owner = app::services::context::load_actor(
        &app.state.db,
        ws.owner.call(path::<GetSession>(), &[]).await.json()["user_id"]
            .as_i64()
            .unwrap() as i32,
        ws.id,
    )
    .await
    .unwrap();
    let hook = webhooks::create(
        &app.state,
        &owner,
        &app::types::WebhookForm {
            url: "http://127.0.0.1:9/hook".into(),
            description: None,
            events: vec!["message.created".into()],
            headers: String::new(),
            allow_private: true,
        },
    )
    .await
    .unwrap();
    let cases: Vec<(&str, Value)> = vec![
        ("update_ticket", json!({"priority": "high"})),
        ("tag_ticket", json!({"add": ["vip", "late-parcel"]})),
        ("assign_ticket", json!({"assignee_email": "olga@a.test"})),
        (
            "create_task",
            json!({"title": "Call Carl back", "due": "tomorrow", "priority": "high"}),
        ),
        ("summarize_thread", json!({})),
        (
            "draft_email",
            json!({"subject": "Your parcel", "instructions": "Tell Carl the parcel ships today."}),
        ),
        (
            "create_expense",
            json!({"description": "Courier refund", "amount": 12.5, "currency": "eur"}),
        ),
        (
            "trigger_webhook",
            json!({"endpoint_id": hook.id, "event": "parcel.late", "payload": {"carrier": "DHL"}}),
        ),
        ("system_health_check", json!({})),
        ("reply", json!({"body": "We are on it, Carl."})),
        ("close_ticket", json!({"note": "Parcel delivered."})),
    ];
    for (tool, input) in &cases {
        let needs = !matches!(*tool, "system_health_check");
        let v = ai_proposes(&app, &ws, tool, input.clone(), needs.then_some(cid)).await;
        assert_eq!(v["status"], "running", "{tool}: {v}");
        app.run_jobs().await;
        let a = action(&app, v["id"].as_i64().unwrap()).await;
        assert_eq!(a.status, "completed", "{tool}: {:?}", a.error);
        assert!(a.finished_at.is_some());
    }
    let c = conv(&app, cid).await;
    assert_eq!(c.priority, "high");
    assert_eq!(c.status, "solved");
    assert!(c.assignee_id.is_some());
    let sys = System::new("test");
    let db = &app.state.db;
    let t = sys.find::<task::Entity>().one(db).await.unwrap().unwrap();
    assert_eq!(
        (
            t.title.as_str(),
            t.created_by_kind.as_str(),
            t.conversation_id
        ),
        ("Call Carl back", "ai", Some(cid))
    );
    assert!(t.due_at.is_some());
    let e = sys
        .find::<expense::Entity>()
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((e.amount, e.currency.as_str()), (1250, "EUR"));
    let d = sys
        .find::<webhook_delivery::Entity>()
        .filter(webhook_delivery::Column::EventKind.eq("parcel.late"))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        d.payload.contains("DHL") && d.payload.contains("TKT-"),
        "{}",
        d.payload
    );
    let msgs = sys
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(cid))
        .all(db)
        .await
        .unwrap();
    assert!(msgs
        .iter()
        .any(|m| m.direction == "outbound" && m.body_text.contains("We are on it")));
    assert!(msgs.iter().any(|m| m.body_text.starts_with("Summary")));
    assert!(msgs.iter().any(
        |m| m.body_text.contains("Email draft (not sent)") && m.body_text.contains("Hi carl,")
    ));
    let health = action(
        &app,
        ai_proposes(&app, &ws, "system_health_check", json!({}), None).await["id"]
            .as_i64()
            .unwrap(),
    )
    .await;
    let out: Value =
        serde_json::from_str(health.output.as_deref().unwrap_or("{}")).unwrap_or_default();
    assert_eq!(out["database"], "ok", "{out}");
    // Tags, tasks and expenses are in the activity log, attributed to the AI agent.
    let log = sys
        .find::<activity::Entity>()
        .filter(activity::Column::Action.eq("action.completed"))
        .count(db)
        .await
        .unwrap();
    assert_eq!(log, cases.len() as u64);
    app.finish().await;
}

async fn policies_decide_and_approval_runs_once(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@a.test", "Acme").await;
    let mut admin = add_member(&app, &mut ws.owner, "ada@a.test", "admin").await;
    let (cid, n) = ticket(&app, &ws, "carl", "Please tag me as vip").await;

    // The default is "require approval".
    let r = propose(&mut ws.owner, "tag_ticket", r#"{"add":["vip"]}"#, Some(n)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    assert_eq!(v["status"], "pending", "{v}");
    let id = v["id"].as_i64().unwrap().to_string();
    // The same proposal again is the same action.
    let again = propose(
        &mut ws.owner,
        "tag_ticket",
        r#"{ "add" : [" vip "] }"#,
        Some(n),
    )
    .await
    .json();
    assert_eq!(again["id"].as_i64().unwrap().to_string(), id);
    // Nobody approves their own proposal.
    let r = ws
        .owner
        .call(path::<ApproveAction>(), &[("id", &id), ("comment", "")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // The admin was told in the app (and by email); the proposer was not.
    let told = System::new("test")
        .find::<entity::notification::Entity>()
        .filter(entity::notification::Column::Kind.eq("approval"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(told, 1);
    let r = admin
        .call(
            path::<ApproveAction>(),
            &[("id", &id), ("comment", "Fine by me")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "running");
    app.run_jobs().await;
    let a = action(&app, id.parse().unwrap()).await;
    assert_eq!(a.status, "completed");
    assert_eq!(a.approval_comment.as_deref(), Some("Fine by me"));
    assert_eq!(a.approver_label.as_deref(), Some("New Member <ada@a.test>"));
    let r = admin
        .call(path::<ApproveAction>(), &[("id", &id), ("comment", "")])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("completed"), "{}", r.body);
    let logged = System::new("test")
        .find::<activity::Entity>()
        .filter(activity::Column::Action.eq("action.approved"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(logged.after.unwrap_or_default().contains("Fine by me"));
    assert!(logged.actor_label.contains("ada@a.test"));

    // Rules: allow tagging, deny expenses, in order.
    for (name, effect, tool) in [
        ("Tags are fine", "allow", "tag_ticket"),
        ("No money", "deny", "create_expense"),
    ] {
        let r = ws
            .owner
            .call(path::<SavePolicy>(), &rule(name, effect, tool))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let v = ai_proposes(&app, &ws, "tag_ticket", json!({"add": ["late"]}), Some(cid)).await;
    assert_eq!(v["status"], "running");
    assert!(
        v["decision_reason"]
            .as_str()
            .unwrap()
            .contains("Tags are fine"),
        "{v}"
    );
    let v = ai_proposes(
        &app,
        &ws,
        "create_expense",
        json!({"description": "Credit", "amount": 20}),
        Some(cid),
    )
    .await;
    assert_eq!(v["status"], "denied");
    app.run_jobs().await;
    assert_eq!(
        System::new("t")
            .find::<expense::Entity>()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );

    // The tester agrees, and follows a change of order.
    let probe = |tool: &'static str| {
        vec![
            ("probe[tool]", tool),
            ("probe[amount]", "20"),
            ("probe[tags]", ""),
            ("probe[channel]", "email"),
        ]
    };
    let o = ws
        .owner
        .call(path::<TestPolicy>(), &probe("create_expense"))
        .await
        .json();
    assert_eq!(o["effect"], "deny", "{o}");
    let o = ws
        .owner
        .call(path::<TestPolicy>(), &probe("reply"))
        .await
        .json();
    assert_eq!(o["effect"], "approval");
    assert!(o["reason"].as_str().unwrap().contains("default"));
    let r = ws
        .owner
        .call(
            path::<SavePolicy>(),
            &rule("Everything allowed", "allow", ""),
        )
        .await;
    let rules = r.json()["rules"].clone();
    let last = rules[2]["id"].as_i64().unwrap().to_string();
    for _ in 0..2 {
        ws.owner
            .call(path::<MovePolicy>(), &[("id", &last), ("up", "true")])
            .await;
    }
    let o = ws
        .owner
        .call(path::<TestPolicy>(), &probe("create_expense"))
        .await
        .json();
    assert_eq!(o["effect"], "allow", "{o}");
    let page = ws.owner.call(path::<GetPolicies>(), &[]).await.json();
    assert_eq!(page["rules"][0]["name"], "Everything allowed");
    ws.owner
        .call(path::<DeletePolicy>(), &[("id", &last)])
        .await;
    let bad = ws
        .owner
        .call(path::<SavePolicy>(), &{
            let mut r = rule("Big refunds", "approval", "create_expense");
            r[5] = ("form[amount_over]", "lots");
            r
        })
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("amount_over"), "{}", bad.body);

    // Rejection keeps the action from running.
    let v = ai_proposes(&app, &ws, "reply", json!({"body": "Sure!"}), Some(cid)).await;
    assert_eq!(v["status"], "pending");
    let rid = v["id"].as_i64().unwrap().to_string();
    let r = admin
        .call(
            path::<RejectAction>(),
            &[("id", &rid), ("comment", "Wrong tone")],
        )
        .await;
    assert_eq!(r.json()["status"], "rejected", "{}", r.body);
    app.run_jobs().await;
    let replies = System::new("t")
        .find::<message::Entity>()
        .filter(message::Column::BodyText.eq("Sure!"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(replies, 0);

    // Lists.
    let pending = admin
        .call(path::<ListActions>(), &[("filter", "pending")])
        .await
        .json();
    assert_eq!(pending.as_array().unwrap().len(), 0, "{pending}");
    let done = admin
        .call(
            path::<ListActions>(),
            &[("filter", "done"), ("conversation_number", &n.to_string())],
        )
        .await
        .json();
    assert!(done.as_array().unwrap().len() >= 4, "{done}");
    app.finish().await;
}

async fn two_approvers_at_once_run_it_once(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@a.test", "Acme").await;
    let mut admin = add_member(&app, &mut ws.owner, "ada@a.test", "admin").await;
    let (cid, _) = ticket(&app, &ws, "carl", "Please call me back").await;
    for round in 0..5 {
        let v = ai_proposes(
            &app,
            &ws,
            "create_task",
            json!({"title": format!("Call back #{round}")}),
            Some(cid),
        )
        .await;
        let id = v["id"].as_i64().unwrap().to_string();
        let pairs = [("id", id.as_str()), ("comment", "")];
        let (r1, r2) = tokio::join!(
            ws.owner.call(path::<ApproveAction>(), &pairs),
            admin.call(path::<ApproveAction>(), &pairs)
        );
        let mut codes = [r1.status, r2.status];
        codes.sort();
        assert_eq!(
            codes,
            [StatusCode::OK, StatusCode::CONFLICT],
            "{} / {}",
            r1.body,
            r2.body
        );
        app.run_jobs().await;
    }
    let tasks = System::new("t")
        .find::<task::Entity>()
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(tasks, 5);
    let jobs_run = System::new("t")
        .find::<entity::job::Entity>()
        .filter(entity::job::Column::Kind.eq(actions::JOB))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(jobs_run, 5);
    app.finish().await;
}

async fn policy_is_checked_again_before_running(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@a.test", "Acme").await;
    let mut admin = add_member(&app, &mut ws.owner, "ada@a.test", "admin").await;
    let (cid, _) = ticket(&app, &ws, "carl", "Close my ticket please").await;
    // Approved, then a rule denies closing before the job runs: blocked.
    let v = ai_proposes(&app, &ws, "close_ticket", json!({}), Some(cid)).await;
    let id = v["id"].as_i64().unwrap();
    let r = admin
        .call(
            path::<ApproveAction>(),
            &[("id", &id.to_string()), ("comment", "ok")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    ws.owner
        .call(
            path::<SavePolicy>(),
            &rule("Never close", "deny", "close_ticket"),
        )
        .await;
    app.run_jobs().await;
    let a = action(&app, id).await;
    assert_eq!(a.status, "failed");
    assert!(a.error.unwrap().contains("Blocked at execution"));
    assert_ne!(conv(&app, cid).await.status, "solved");

    // Allowed at proposal, then approval required: back to pending, not run.
    let r = ws
        .owner
        .call(
            path::<SavePolicy>(),
            &rule("Tasks ok", "allow", "create_task"),
        )
        .await;
    let rules = r.json()["rules"].clone();
    let v = ai_proposes(
        &app,
        &ws,
        "create_task",
        json!({"title": "Follow up"}),
        Some(cid),
    )
    .await;
    assert_eq!(v["status"], "running");
    let tasks_rule = rules[1]["id"].as_i64().unwrap().to_string();
    let mut tighten = rule("Tasks ok", "approval", "create_task");
    tighten[0] = ("id", tasks_rule.as_str());
    ws.owner.call(path::<SavePolicy>(), &tighten).await;
    app.run_jobs().await;
    let a = action(&app, v["id"].as_i64().unwrap()).await;
    assert_eq!(a.status, "pending");
    assert!(a.decision_reason.contains("Re-checked"));
    assert_eq!(
        System::new("t")
            .find::<task::Entity>()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );

    // Replay is a dry run: today's decision, nothing changes.
    let before = System::new("t")
        .find::<ai_action::Entity>()
        .count(&app.state.db)
        .await
        .unwrap();
    let rp = admin
        .call(path::<ReplayAction>(), &[("id", &id.to_string())])
        .await
        .json();
    assert_eq!(rp["outcome"]["effect"], "deny", "{rp}");
    assert!(
        rp["would"]
            .as_str()
            .unwrap()
            .contains("Mark the ticket solved"),
        "{rp}"
    );
    assert!(rp["then"].as_str().unwrap().contains("failed"), "{rp}");
    let after = System::new("t")
        .find::<ai_action::Entity>()
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(before, after);
    assert_ne!(conv(&app, cid).await.status, "solved");
    app.finish().await;
}

async fn tasks_are_listed_and_completed(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@a.test", "Acme").await;
    let mut agent = add_member(&app, &mut ws.owner, "gus@a.test", "agent").await;
    let mut light = add_member(&app, &mut ws.owner, "lia@a.test", "light_agent").await;
    let (_, n) = ticket(&app, &ws, "carl", "Need an invoice copy").await;
    let me = agent.call(path::<GetSession>(), &[]).await.json()["user_id"]
        .as_i64()
        .unwrap()
        .to_string();
    let form = |title: &'static str, due: &'static str| {
        vec![
            ("form[title]", title),
            ("form[notes]", "from the test"),
            ("form[due]", due),
            ("form[priority]", "high"),
        ]
    };
    let mut f = form("Send the invoice", "2020-01-01");
    let num = n.to_string();
    f.push(("form[conversation_number]", &num));
    f.push(("form[assignee_id]", &me));
    let r = agent.call(path::<CreateTask>(), &f).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let t = r.json();
    assert_eq!(t["overdue"], true);
    assert_eq!(t["conversation_number"], n);
    let r = agent.call(path::<CreateTask>(), &form("", "")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("title"));
    let r = agent
        .call(path::<CreateTask>(), &form("Later", "next-ish"))
        .await;
    assert!(r.body.contains("not a due date"), "{}", r.body);
    let r = light.call(path::<CreateTask>(), &form("Nope", "")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mine = light
        .call(path::<ListTasks>(), &[("filter", "overdue")])
        .await
        .json();
    assert_eq!(mine["tasks"].as_array().unwrap().len(), 1, "{mine}");
    let on_ticket = agent
        .call(
            path::<ListTasks>(),
            &[("filter", "all"), ("conversation_number", &num)],
        )
        .await
        .json();
    assert_eq!(on_ticket["tasks"][0]["title"], "Send the invoice");
    let id = t["id"].as_i64().unwrap().to_string();
    let r = agent
        .call(path::<SetTaskDone>(), &[("id", &id), ("done", "true")])
        .await;
    assert_eq!(r.json()["status"], "done");
    let open = agent
        .call(path::<ListTasks>(), &[("filter", "mine")])
        .await
        .json();
    assert_eq!(open["tasks"].as_array().unwrap().len(), 0);
    app.finish().await;
}

async fn a_cannot_touch_b_actions(b: Backend) {
    let app = TestApp::new(b).await;
    let mut a = workspace(&app, "alice@a.test", "Workspace A").await;
    let mut bo = workspace(&app, "bob@b.test", "Workspace B").await;
    let (b_cid, b_n) = ticket(&app, &bo, "carl", "B's customer").await;
    let v = ai_proposes(
        &app,
        &bo,
        "tag_ticket",
        json!({"add": ["b-only"]}),
        Some(b_cid),
    )
    .await;
    let bid = v["id"].as_i64().unwrap().to_string();
    let r = bo
        .owner
        .call(path::<SavePolicy>(), &rule("B rule", "deny", "reply"))
        .await;
    let b_rule = r.json()["rules"][0]["id"].as_i64().unwrap().to_string();
    let r = bo
        .owner
        .call(
            path::<CreateTask>(),
            &[
                ("form[title]", "B task"),
                ("form[notes]", ""),
                ("form[due]", ""),
                ("form[priority]", ""),
            ],
        )
        .await;
    let b_task = r.json()["id"].as_i64().unwrap().to_string();

    // A sees none of it.
    for f in ["pending", "all"] {
        let l = a.owner.call(path::<ListActions>(), &[("filter", f)]).await;
        assert_eq!(l.json(), json!([]), "{}", l.body);
    }
    let t = a
        .owner
        .call(path::<ListTasks>(), &[("filter", "all")])
        .await
        .json();
    assert_eq!(t["tasks"], json!([]));
    let p = a.owner.call(path::<GetPolicies>(), &[]).await.json();
    assert_eq!(p["rules"], json!([]));
    // A cannot act on B's rows, nor name B's ticket.
    for (p, args) in [
        (
            path::<ApproveAction>(),
            vec![("id", bid.as_str()), ("comment", "")],
        ),
        (
            path::<RejectAction>(),
            vec![("id", bid.as_str()), ("comment", "")],
        ),
        (path::<ReplayAction>(), vec![("id", bid.as_str())]),
        (path::<DeletePolicy>(), vec![("id", b_rule.as_str())]),
        (
            path::<MovePolicy>(),
            vec![("id", b_rule.as_str()), ("up", "true")],
        ),
        (
            path::<SetTaskDone>(),
            vec![("id", b_task.as_str()), ("done", "true")],
        ),
    ] {
        let r = a.owner.call(p, &args).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{p}: {}", r.body);
    }
    let mut upd = rule("hijack", "allow", "");
    upd[0] = ("id", b_rule.as_str());
    let r = a.owner.call(path::<SavePolicy>(), &upd).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = propose(&mut a.owner, "tag_ticket", r#"{"add":["x"]}"#, Some(b_n)).await;
    // A's own ticket numbering has no such ticket.
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = a
        .owner
        .call(
            path::<ListTasks>(),
            &[("filter", "all"), ("conversation_number", &b_n.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A's policy tester and default leave B alone.
    a.owner
        .call(path::<SetPolicyDefault>(), &[("effect", "allow")])
        .await;
    let o = bo
        .owner
        .call(
            path::<TestPolicy>(),
            &[
                ("probe[tool]", "tag_ticket"),
                ("probe[amount]", ""),
                ("probe[tags]", ""),
                ("probe[channel]", ""),
            ],
        )
        .await
        .json();
    assert_eq!(o["effect"], "approval", "{o}");
    // The services refuse another workspace's conversation too.
    let e = actions::propose(
        &app.state,
        Scoped::new(a.id),
        Proposal {
            tool: "tag_ticket".into(),
            input: json!({"add": ["x"]}),
            conversation_id: Some(b_cid),
            reasoning: None,
            proposer: Proposer::Ai,
            customer_note: None,
        },
        &RequestMeta::default(),
    )
    .await;
    assert!(
        matches!(e, Err(app::services::ServiceError::NotFound(_))),
        "{e:?}"
    );
    let still = action(&app, bid.parse().unwrap()).await;
    assert_eq!(still.status, "pending");
    app.finish().await;
}

async fn ai_messages(app: &TestApp, cid: i32) -> Vec<String> {
    System::new("test")
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(cid))
        .filter(message::Column::Direction.eq("outbound"))
        .filter(message::Column::AuthorUserId.is_null())
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.body_text)
        .collect()
}

async fn the_ai_turns_requests_into_actions(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@a.test", "Acme").await;
    let mut admin = add_member(&app, &mut ws.owner, "ada@a.test", "admin").await;
    app::services::ai::settings::enable_builtin(
        &app.state.db,
        Scoped::new(ws.id),
        &["email", "chat"],
    )
    .await
    .unwrap();

    // Needs approval (the default): the customer is told, an approver decides.
    let (cid, n) = ticket(
        &app,
        &ws,
        "carl",
        "Please close my ticket, it is sorted now.",
    )
    .await;
    app.run_jobs().await;
    let pending = admin
        .call(path::<ListActions>(), &[("filter", "pending")])
        .await
        .json();
    assert_eq!(pending.as_array().unwrap().len(), 1, "{pending}");
    assert_eq!(pending[0]["tool"], "close_ticket");
    assert_eq!(pending[0]["proposed_by_kind"], "ai");
    assert_eq!(pending[0]["conversation_number"], n);
    assert!(pending[0]["reasoning"]
        .as_str()
        .unwrap()
        .contains("close my ticket"));
    let said = ai_messages(&app, cid).await;
    assert!(
        said.iter()
            .any(|m| m.contains("approve closing your ticket")),
        "{said:?}"
    );
    let run = System::new("t")
        .find::<entity::ai_run::Entity>()
        .filter(entity::ai_run::Column::ConversationId.eq(cid))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(run.decision, "act");
    assert!(
        run.steps.contains("\"intents\"") && run.steps.contains("\"propose\""),
        "{}",
        run.steps
    );
    let id = pending[0]["id"].as_i64().unwrap().to_string();
    let r = admin
        .call(
            path::<ApproveAction>(),
            &[("id", &id), ("comment", "Customer confirmed")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.run_jobs().await;
    assert_eq!(conv(&app, cid).await.status, "solved");
    let said = ai_messages(&app, cid).await;
    assert!(
        said.iter().any(|m| m.contains("Your ticket is now closed")),
        "{said:?}"
    );

    // Allowed by a rule: runs at once, and the customer hears when it is done.
    ws.owner
        .call(
            path::<SavePolicy>(),
            &rule("Call-backs are fine", "allow", "create_task"),
        )
        .await;
    let (cid, _) = ticket(
        &app,
        &ws,
        "dana",
        "Could you call me back tomorrow? My number is +1 415 555 0100.",
    )
    .await;
    app.run_jobs().await;
    let t = System::new("t")
        .find::<task::Entity>()
        .filter(task::Column::ConversationId.eq(cid))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("a call-back task");
    assert_eq!(t.created_by_kind, "ai");
    assert!(t.due_at.is_some());
    assert!(t
        .notes
        .unwrap_or_default()
        .contains("Phone: +1 415 555 0100"));
    let said = ai_messages(&app, cid).await;
    assert!(
        said.iter()
            .any(|m| m.contains("scheduled a call back tomorrow")),
        "{said:?}"
    );

    // Denied: the customer is told a person follows up, and one is assigned.
    ws.owner
        .call(
            path::<SavePolicy>(),
            &rule("Never close", "deny", "close_ticket"),
        )
        .await;
    let (cid, _) = ticket(&app, &ws, "erin", "You can close this ticket please").await;
    app.run_jobs().await;
    let said = ai_messages(&app, cid).await;
    assert!(
        said.iter()
            .any(|m| m.contains("can't arrange closing your ticket")),
        "{said:?}"
    );
    let c = conv(&app, cid).await;
    assert_eq!(c.ai_state.as_deref(), Some("escalated"));
    assert_eq!(c.ai_reason.as_deref(), Some("action_denied"));
    assert!(c.assignee_id.is_some());
    assert_ne!(c.status, "solved");
    app.finish().await;
}

/// A local OpenAI-compatible server that answers every chat request with a call
/// of `tool`, and records the requests.
async fn fake_openai_calling(
    tool: &'static str,
    args: Value,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<Value>>>) {
    use axum::routing::post;
    let seen: std::sync::Arc<std::sync::Mutex<Vec<Value>>> = std::sync::Arc::default();
    let s2 = seen.clone();
    let router = axum::Router::new().route(
        "/v1/chat/completions",
        post(move |body: axum::Json<Value>| {
            let seen = s2.clone();
            let args = args.clone();
            async move {
                seen.lock().unwrap().push(body.0);
                axum::Json(json!({
                    "id": "chatcmpl-2", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
                    "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                        "role": "assistant", "content": null,
                        "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": tool, "arguments": args.to_string()}}]
                    }}],
                    "usage": {"prompt_tokens": 900, "completion_tokens": 40, "total_tokens": 940}
                }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    (format!("http://{addr}/v1"), seen)
}

async fn a_provider_proposes_through_tool_calls(b: Backend) {
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@a.test", "Acme").await;
    let (base, seen) = fake_openai_calling(
        "create_task",
        json!({"title": "Call Carl back", "due": "tomorrow"}),
    )
    .await;
    use_provider(&mut ws, &base).await;
    let (cid, _) = ticket(
        &app,
        &ws,
        "carl",
        "I'd like someone to phone me tomorrow about my order",
    )
    .await;
    app.run_jobs().await;
    let sent = seen.lock().unwrap().clone();
    assert_eq!(
        sent.len(),
        1,
        "one request per message: the answer and the tools together"
    );
    let tools = sent[0]["tools"].as_array().unwrap();
    let ct = tools
        .iter()
        .find(|t| t["function"]["name"] == "create_task")
        .expect("create_task offered");
    assert_eq!(ct["function"]["parameters"]["required"], json!(["title"]));
    assert!(!tools.iter().any(|t| t["function"]["name"] == "reply"));
    let pending = ws
        .owner
        .call(path::<ListActions>(), &[("filter", "pending")])
        .await
        .json();
    assert_eq!(pending[0]["tool"], "create_task", "{pending}");
    assert!(pending[0]["input"]
        .as_str()
        .unwrap()
        .contains("Call Carl back"));
    assert!(pending[0]["reasoning"].as_str().unwrap().contains("openai"));
    let run = System::new("t")
        .find::<entity::ai_run::Entity>()
        .filter(entity::ai_run::Column::ConversationId.eq(cid))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (run.decision.as_str(), run.engine.as_str(), run.tokens_in),
        ("act", "openai", 900)
    );
    app.finish().await;
}

async fn make_follow_ups_due(app: &TestApp) {
    use sea_orm::sea_query::Expr;
    System::new("test moves follow-ups to now")
        .update_many::<entity::job::Entity>()
        .col_expr(
            entity::job::Column::RunAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
        )
        .filter(entity::job::Column::Kind.eq(app::services::follow_ups::JOB))
        .filter(entity::job::Column::Status.eq("pending"))
        .exec(&app.state.db)
        .await
        .unwrap();
}

async fn follow_ups_send_unless_the_customer_answers(b: Backend) {
    use app::serverfns::actions::{CancelFollowUp, TicketWork};
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@a.test", "Acme").await;
    let (cid, n) = ticket(&app, &ws, "carl", "My tent has a hole").await;
    let num = n.to_string();
    let fu = |msg: &'static str, when: &'static str| {
        vec![
            ("conversation_number", num.clone()),
            ("message", msg.to_owned()),
            ("when", when.to_owned()),
        ]
    };
    async fn schedule(c: &mut Client, v: Vec<(&'static str, String)>) -> common::Res {
        let p: Vec<(&str, &str)> = v.iter().map(|(a, b)| (*a, b.as_str())).collect();
        c.call(path::<app::serverfns::actions::ScheduleFollowUp>(), &p)
            .await
    }
    let r = schedule(&mut ws.owner, fu("", "in 2 days")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("message"), "{}", r.body);
    let r = schedule(&mut ws.owner, fu("Hello?", "yesterday")).await;
    assert!(r.body.contains("is not a time"), "{}", r.body);
    let r = schedule(&mut ws.owner, fu("Hello?", "2020-01-01")).await;
    assert!(r.body.contains("in the future"), "{}", r.body);

    // Sent when due.
    let r = schedule(&mut ws.owner, fu("Did the patch kit arrive?", "in 2 days")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "scheduled");
    app.run_jobs().await;
    let first = r.json()["id"].as_i64().unwrap();
    let w = ws
        .owner
        .call(path::<TicketWork>(), &[("conversation_number", &num)])
        .await
        .json();
    assert_eq!(
        w["follow_ups"][0]["status"], "scheduled",
        "not before it is due: {w}"
    );
    make_follow_ups_due(&app).await;
    app.run_jobs().await;
    let w = ws
        .owner
        .call(path::<TicketWork>(), &[("conversation_number", &num)])
        .await
        .json();
    assert_eq!(w["follow_ups"][0]["status"], "sent", "{w}");
    assert_eq!(w["follow_ups"][0]["id"].as_i64().unwrap(), first);
    let sent = System::new("t")
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(cid))
        .filter(message::Column::BodyText.contains("Did the patch kit arrive?"))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("the follow-up was sent");
    assert_eq!(sent.direction, "outbound");
    assert!(
        sent.author_user_id.is_some(),
        "sent as the member who scheduled it"
    );

    // Skipped when the customer answers first.
    schedule(&mut ws.owner, fu("Any news?", "in 1 day")).await;
    let mut reply = InboundMessage::new(
        Channel::Email,
        format!("test:carl:{}", uuid::Uuid::new_v4().simple()),
        Sender {
            kind: IdentifierKind::Email,
            value: "carl@customer.test".into(),
            name: None,
        },
        "Yes, it arrived, thanks".into(),
    );
    reply.thread.conversation_id = Some(cid);
    inbound::receive(&app.state, Scoped::new(ws.id), reply)
        .await
        .unwrap();
    make_follow_ups_due(&app).await;
    app.run_jobs().await;
    let w = ws
        .owner
        .call(path::<TicketWork>(), &[("conversation_number", &num)])
        .await
        .json();
    assert_eq!(w["follow_ups"][0]["status"], "skipped", "{w}");
    let nudges = System::new("t")
        .find::<message::Entity>()
        .filter(message::Column::BodyText.contains("Any news?"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(nudges, 0);

    // Cancelled: never sent; cancelling twice is a conflict.
    let r = schedule(&mut ws.owner, fu("Checking in", "in 3 days")).await;
    let id = r.json()["id"].as_i64().unwrap().to_string();
    let r = ws
        .owner
        .call(path::<CancelFollowUp>(), &[("id", &id)])
        .await;
    assert_eq!(r.json()["status"], "cancelled", "{}", r.body);
    let r = ws
        .owner
        .call(path::<CancelFollowUp>(), &[("id", &id)])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    make_follow_ups_due(&app).await;
    app.run_jobs().await;
    let checking = System::new("t")
        .find::<message::Entity>()
        .filter(message::Column::BodyText.contains("Checking in"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(checking, 0);

    // The AI schedules one through the registry (allowed here).
    ws.owner
        .call(path::<SetPolicyDefault>(), &[("effect", "allow")])
        .await;
    let v = ai_proposes(
        &app,
        &ws,
        "schedule_follow_up",
        json!({"message": "Is the tent holding up?", "when": "in 7 days"}),
        Some(cid),
    )
    .await;
    app.run_jobs().await;
    assert_eq!(
        action(&app, v["id"].as_i64().unwrap()).await.status,
        "completed"
    );
    let w = ws
        .owner
        .call(path::<TicketWork>(), &[("conversation_number", &num)])
        .await
        .json();
    assert_eq!(w["follow_ups"][0]["created_by"], "AI agent", "{w}");
    assert_eq!(w["follow_ups"][0]["status"], "scheduled");
    let bad = ai_proposes_err(
        &app,
        &ws,
        "schedule_follow_up",
        json!({"message": "x"}),
        Some(cid),
    )
    .await;
    assert!(bad.contains("`when`: required"), "{bad}");
    app.finish().await;
}

async fn ai_proposes_err(
    app: &TestApp,
    ws: &Ws,
    tool: &str,
    input: Value,
    conv: Option<i32>,
) -> String {
    actions::propose(
        &app.state,
        Scoped::new(ws.id),
        Proposal {
            tool: tool.into(),
            input,
            conversation_id: conv,
            reasoning: None,
            proposer: Proposer::Ai,
            customer_note: None,
        },
        &RequestMeta::default(),
    )
    .await
    .expect_err("refused")
    .to_string()
}

async fn age(app: &TestApp, cid: i32, status: &str, hours: i64, assignee: Option<i32>) {
    use sea_orm::sea_query::Expr;
    let mut q = System::new("test ages a conversation")
        .update_many::<conversation::Entity>()
        .col_expr(conversation::Column::Status, Expr::value(status))
        .col_expr(
            conversation::Column::UpdatedAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::hours(hours)),
        );
    if let Some(a) = assignee {
        q = q.col_expr(conversation::Column::AssigneeId, Expr::value(a));
    }
    q.filter(conversation::Column::Id.eq(cid))
        .exec(&app.state.db)
        .await
        .unwrap();
}

async fn the_autonomous_loop_reviews_open_work(b: Backend) {
    use app::serverfns::actions::{GetAiLoop, RunAiLoop, SetAiLoop};
    use sea_orm::sea_query::Expr;
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@a.test", "Acme").await;
    let _admin = add_member(&app, &mut ws.owner, "ada@a.test", "admin").await;
    let mut agent = add_member(&app, &mut ws.owner, "gus@a.test", "agent").await;
    let gus = i32::try_from(
        agent.call(path::<GetSession>(), &[]).await.json()["user_id"]
            .as_i64()
            .unwrap(),
    )
    .unwrap();
    let r = ws
        .owner
        .call(path::<SetAiLoop>(), &[("enabled", "true")])
        .await;
    assert_eq!(r.json()["enabled"], true, "{}", r.body);
    let (c1, n1) = ticket(&app, &ws, "ann", "Nobody answered me").await;
    let (c2, n2) = ticket(&app, &ws, "bob", "Still waiting").await;
    let (c3, n3) = ticket(&app, &ws, "cat", "Sent you the photos").await;
    let (fresh, _) = ticket(&app, &ws, "dan", "Just arrived").await;
    age(&app, c1, "open", 72, None).await;
    age(&app, c2, "open", 72, Some(gus)).await;
    age(&app, c3, "pending", 96, None).await;
    age(&app, fresh, "open", 1, None).await;
    let v = ai_proposes(
        &app,
        &ws,
        "reply",
        json!({"body": "Here you go"}),
        Some(fresh),
    )
    .await;
    System::new("t")
        .update_many::<ai_action::Entity>()
        .col_expr(
            ai_action::Column::CreatedAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::hours(5)),
        )
        .filter(ai_action::Column::Id.eq(i32::try_from(v["id"].as_i64().unwrap()).unwrap()))
        .exec(&app.state.db)
        .await
        .unwrap();
    let gus_id = gus.to_string();
    agent
        .call(
            path::<CreateTask>(),
            &[
                ("form[title]", "Overdue thing"),
                ("form[notes]", ""),
                ("form[due]", "2020-01-01"),
                ("form[priority]", "high"),
                ("form[assignee_id]", &gus_id),
            ],
        )
        .await;

    let r = agent.call(path::<RunAiLoop>(), &[]).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "agents see the log, admins run it"
    );
    let before = System::new("t")
        .find::<ai_action::Entity>()
        .count(&app.state.db)
        .await
        .unwrap();
    let r = ws.owner.call(path::<RunAiLoop>(), &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let run = r.json()["runs"][0].clone();
    assert_eq!(run["proposals"], 3, "{run}");
    let did = run["did"].to_string();
    for (n, what) in [
        (n1, "Escalate to a person"),
        (n2, "Create a task"),
        (n3, "Schedule a follow-up"),
    ] {
        assert!(
            did.contains(what) && did.contains(&app::types::ticket_ref(n)),
            "{what} on {n}: {did}"
        );
    }
    assert!(did.contains("Reminded 2 approver(s)"), "{did}");
    assert!(did.contains("1 overdue task"), "{did}");
    let looked = run["looked_at"].to_string();
    assert!(
        looked.contains("[\"stale tickets\",2]") && looked.contains("[\"quiet customers\",1]"),
        "{looked}"
    );
    let after = System::new("t")
        .find::<ai_action::Entity>()
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(after, before + 3);
    let task_for_gus = System::new("t")
        .find::<task::Entity>()
        .filter(task::Column::Title.contains("no update for 48 hours"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(
        task_for_gus, 0,
        "waits for approval under the default policy"
    );

    // The next cycle proposes nothing new and reminds nobody twice.
    let r = ws.owner.call(path::<RunAiLoop>(), &[]).await;
    assert_eq!(
        System::new("t")
            .find::<ai_action::Entity>()
            .count(&app.state.db)
            .await
            .unwrap(),
        after
    );
    assert!(
        !r.json()["runs"][0]["did"].to_string().contains("Reminded"),
        "{}",
        r.body
    );
    let reminders = System::new("t")
        .find::<entity::notification::Entity>()
        .filter(entity::notification::Column::Kind.is_in(["approval_reminder", "task_overdue"]))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(reminders, 3);

    // At most ten proposals a cycle.
    for i in 0..12 {
        let (c, _) = ticket(&app, &ws, &format!("many{i}"), "Hello?").await;
        age(&app, c, "open", 80, None).await;
    }
    let r = ws.owner.call(path::<RunAiLoop>(), &[]).await;
    let run = r.json()["runs"][0].clone();
    assert!(run["did"].to_string().contains("per-cycle limit"), "{run}");
    // The log is visible to agents, and only this workspace's.
    let log = agent.call(path::<GetAiLoop>(), &[]).await.json();
    assert_eq!(log["runs"].as_array().unwrap().len(), 3);
    assert_eq!(log["can_manage"], false);
    let mut other = workspace(&app, "zed@z.test", "Other").await;
    let theirs = other.owner.call(path::<GetAiLoop>(), &[]).await.json();
    assert_eq!(theirs["runs"], json!([]));
    assert_eq!(theirs["enabled"], false);
    // The scheduled sweep runs only where the loop is on, and waits out a backoff.
    app::services::actions::autonomous::run_all(&app.state)
        .await
        .unwrap();
    let runs = System::new("t")
        .find::<entity::ai_loop_run::Entity>()
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(runs, 4);
    System::new("t")
        .update_many::<entity::ai_loop_run::Entity>()
        .col_expr(
            entity::ai_loop_run::Column::NextRunAt,
            Expr::value(chrono::Utc::now() + chrono::Duration::minutes(10)),
        )
        .exec(&app.state.db)
        .await
        .unwrap();
    app::services::actions::autonomous::run_all(&app.state)
        .await
        .unwrap();
    assert_eq!(
        System::new("t")
            .find::<entity::ai_loop_run::Entity>()
            .count(&app.state.db)
            .await
            .unwrap(),
        4
    );
    app.finish().await;
}

/// "Refund request": tag the ticket; a damaged item gets a task and a reply, the
/// rest goes to a person.
fn refund_procedure(id: Option<i64>) -> Value {
    json!({
        "id": id,
        "name": "Refund request",
        "instructions": "When a customer asks for a refund: tag the ticket refund. If the item arrived damaged, create a task for billing and tell them; otherwise hand it to a person.",
        "triggers": "refund\nmoney back",
        "enabled": true,
        "compiled_with": null,
        "steps": [
            {"kind": "tool", "tool": "tag_ticket", "input": {"add": ["refund"]}, "note": ""},
            {"kind": "if", "fact": "message.text", "op": "contains", "value": "damaged",
             "then": [
                {"kind": "tool", "tool": "create_task", "input": {"title": "Refund {{customer.name}} for a damaged item", "priority": "high"}, "note": ""},
                {"kind": "reply", "text": "Sorry it arrived damaged, {{customer.name}}. Our billing team will refund you within a day."}
             ],
             "otherwise": [
                {"kind": "escalate", "reason": "Refunds for undamaged items need a person"}
             ]}
        ]
    })
}

async fn procedures_are_checked_previewed_and_kept_apart(b: Backend) {
    use app::serverfns::procedures::{
        DeleteProcedure, GetProcedures, PreviewProcedure, SaveProcedure,
    };
    let app = TestApp::new(b).await;
    let mut a = workspace(&app, "alice@a.test", "Workspace A").await;
    let mut bo = workspace(&app, "bob@b.test", "Workspace B").await;
    let (_, n) = ticket(
        &app,
        &a,
        "carl",
        "My blender arrived damaged, I want a refund",
    )
    .await;

    // Bad input: a 4xx naming the step at fault, nothing saved.
    let mut bad = refund_procedure(None);
    bad["steps"][1]["then"][0]["tool"] = json!("refund_everything");
    let r = a
        .owner
        .call_json(path::<SaveProcedure>(), &json!({"form": bad}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body
            .contains("Step 2.then.1 (Use a tool): there is no tool named `refund_everything`"),
        "{}",
        r.body
    );
    let mut bad = refund_procedure(None);
    bad["steps"][0]["input"] = json!({"add": "refund"});
    let r = a
        .owner
        .call_json(path::<SaveProcedure>(), &json!({"form": bad}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("Step 1 (Use a tool)") && r.body.contains("add"),
        "{}",
        r.body
    );
    let mut bad = refund_procedure(None);
    bad["triggers"] = json!("  ");
    let r = a
        .owner
        .call_json(path::<SaveProcedure>(), &json!({"form": bad}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.error_kind(), "Validation", "{}", r.body);
    let p = a.owner.call(path::<GetProcedures>(), &[]).await.json();
    assert_eq!(p["procedures"], json!([]), "{p}");

    // Saved, listed, a name taken twice is refused.
    let r = a
        .owner
        .call_json(
            path::<SaveProcedure>(),
            &json!({"form": refund_procedure(None)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    assert_eq!(r.json()["triggers"], json!(["refund", "money back"]));
    let r = a
        .owner
        .call_json(
            path::<SaveProcedure>(),
            &json!({"form": refund_procedure(None)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let p = a.owner.call(path::<GetProcedures>(), &[]).await.json();
    assert_eq!(p["procedures"][0]["steps"][1]["kind"], "if", "{p}");

    // The preview follows the steps on the sample ticket; nothing changes.
    let actions_before = System::new("t")
        .find::<ai_action::Entity>()
        .count(&app.state.db)
        .await
        .unwrap();
    let r = a
        .owner
        .call_json(
            path::<PreviewProcedure>(),
            &json!({"form": refund_procedure(Some(id)), "ticket": n, "message": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let pv = r.json();
    assert_eq!(pv["matched"], "refund", "{pv}");
    let trace = pv["trace"].as_array().unwrap();
    let paths: Vec<&str> = trace.iter().map(|l| l["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["1", "2", "2.then.1", "2.then.2"], "{pv}");
    assert_eq!(trace[0]["tone"], "wait", "the default needs approval: {pv}");
    assert!(
        trace[1]["outcome"].as_str().unwrap().starts_with("Yes"),
        "{pv}"
    );
    assert!(
        trace[2]["text"]
            .as_str()
            .unwrap()
            .contains("Refund carl Customer for a damaged item"),
        "{pv}"
    );
    assert!(
        pv["reply"]
            .as_str()
            .unwrap()
            .contains("Sorry it arrived damaged, carl Customer"),
        "{pv}"
    );
    assert!(
        pv["result"]
            .as_str()
            .unwrap()
            .contains("2 step(s) would wait for approval"),
        "{pv}"
    );
    // Another message takes the other branch.
    let r = a
        .owner
        .call_json(
            path::<PreviewProcedure>(),
            &json!({"form": refund_procedure(Some(id)), "ticket": n, "message": "I changed my mind, money back please"}),
        )
        .await;
    let pv = r.json();
    assert_eq!(pv["matched"], "money back", "{pv}");
    let last = pv["trace"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (
            last["path"].as_str(),
            last["kind"].as_str(),
            last["tone"].as_str()
        ),
        (Some("2.else.1"), Some("escalate"), Some("stop")),
        "{pv}"
    );
    assert!(
        pv["result"]
            .as_str()
            .unwrap()
            .contains("handed to a person"),
        "{pv}"
    );
    let r = a
        .owner
        .call_json(
            path::<PreviewProcedure>(),
            &json!({"form": refund_procedure(Some(id)), "ticket": 999, "message": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("no ticket #999"), "{}", r.body);
    let actions_after = System::new("t")
        .find::<ai_action::Entity>()
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(actions_before, actions_after, "a preview proposes nothing");

    // B sees none of A's procedures and cannot change or delete them.
    let p = bo.owner.call(path::<GetProcedures>(), &[]).await.json();
    assert_eq!(p["procedures"], json!([]), "{p}");
    let mut theirs = refund_procedure(Some(id));
    theirs["name"] = json!("Taken over");
    let r = bo
        .owner
        .call_json(path::<SaveProcedure>(), &json!({"form": theirs}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = bo
        .owner
        .call(path::<DeleteProcedure>(), &[("id", &id.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // B's preview of its own ticket numbers reads B's tickets only.
    let r = bo
        .owner
        .call_json(
            path::<PreviewProcedure>(),
            &json!({"form": refund_procedure(None), "ticket": n, "message": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // An agent may not manage procedures.
    let mut agent = add_member(&app, &mut a.owner, "sam@a.test", "agent").await;
    let r = agent.call(path::<GetProcedures>(), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = a
        .owner
        .call(path::<DeleteProcedure>(), &[("id", &id.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.finish().await;
}

async fn the_agent_follows_a_procedure(b: Backend) {
    use app::serverfns::procedures::SaveProcedure;
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@a.test", "Acme").await;
    app::services::ai::settings::enable_builtin(
        &app.state.db,
        Scoped::new(ws.id),
        &["email", "chat"],
    )
    .await
    .unwrap();
    let r = ws
        .owner
        .call_json(
            path::<SaveProcedure>(),
            &json!({"form": refund_procedure(None)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let pid = r.json()["id"].as_i64().unwrap();

    // Not damaged: the tag waits for approval (the default) and a person takes over.
    let (cid, _) = ticket(
        &app,
        &ws,
        "dora",
        "I would like a refund for my order please",
    )
    .await;
    app.run_jobs().await;
    let c = conv(&app, cid).await;
    assert_eq!(c.ai_state.as_deref(), Some("escalated"));
    assert_eq!(c.ai_reason.as_deref(), Some("procedure_escalated"));
    assert!(c.assignee_id.is_some(), "handed to a person");
    let pending = ws
        .owner
        .call(path::<ListActions>(), &[("filter", "pending")])
        .await
        .json();
    assert_eq!(pending.as_array().unwrap().len(), 1, "{pending}");
    assert_eq!(pending[0]["tool"], "tag_ticket");
    assert!(
        pending[0]["reasoning"]
            .as_str()
            .unwrap()
            .contains("Procedure “Refund request”, step 1."),
        "{pending}"
    );
    let said = ai_messages(&app, cid).await;
    assert!(
        said.iter().any(|m| m.contains("approve the next step")),
        "{said:?}"
    );
    let run = System::new("t")
        .find::<entity::ai_run::Entity>()
        .filter(entity::ai_run::Column::ConversationId.eq(cid))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (run.decision.as_str(), run.engine.as_str()),
        ("act", "procedure")
    );
    assert!(
        run.steps
            .contains("Followed “Refund request” (the message matched “refund”)"),
        "{}",
        run.steps
    );
    assert!(run.steps.contains("2.else.1"), "{}", run.steps);

    // Damaged, with tools allowed: everything runs, the customer is answered.
    let r = ws
        .owner
        .call(path::<SetPolicyDefault>(), &[("effect", "allow")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (cid, n) = ticket(
        &app,
        &ws,
        "erin",
        "The lamp arrived damaged, I need my money back",
    )
    .await;
    app.run_jobs().await;
    let c = conv(&app, cid).await;
    assert_ne!(c.ai_state.as_deref(), Some("escalated"));
    let said = ai_messages(&app, cid).await;
    assert!(
        said.iter()
            .any(|m| m.contains("Sorry it arrived damaged, erin Customer")),
        "{said:?}"
    );
    let done = ws
        .owner
        .call(path::<ListActions>(), &[("filter", "done")])
        .await
        .json();
    let tools: Vec<&str> = done
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["conversation_number"] == n)
        .map(|a| a["tool"].as_str().unwrap())
        .collect();
    assert!(
        tools.contains(&"tag_ticket") && tools.contains(&"create_task"),
        "{done}"
    );
    let t = System::new("t")
        .find::<task::Entity>()
        .filter(task::Column::Title.eq("Refund erin Customer for a damaged item"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(t, 1);
    let p = System::new("t")
        .find::<entity::procedure::Entity>()
        .filter(entity::procedure::Column::Id.eq(i32::try_from(pid).unwrap()))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.runs, 2);
    assert!(p.last_run_at.is_some());

    // A message matching no trigger is answered as before.
    let (cid, _) = ticket(&app, &ws, "fay", "What are your opening hours?").await;
    app.run_jobs().await;
    let run = System::new("t")
        .find::<entity::ai_run::Entity>()
        .filter(entity::ai_run::Column::ConversationId.eq(cid))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(run.engine, "procedure");
    app.finish().await;
}

/// A local OpenAI-compatible server answering every chat request with `content`.
async fn fake_openai_saying(content: String) -> String {
    use axum::routing::post;
    let router = axum::Router::new().route(
        "/v1/chat/completions",
        post(move |body: axum::Json<Value>| {
            let content = content.clone();
            async move {
                assert!(body.0["messages"].to_string().contains("Procedure"), "{}", body.0);
                axum::Json(json!({
                    "id": "chatcmpl-3", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
                    "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
                    "usage": {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500}
                }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    format!("http://{addr}/v1")
}

/// Configures the OpenAI-compatible provider at `base` for the workspace.
async fn use_provider(ws: &mut Ws, base: &str) {
    use app::serverfns::ai::SaveAiSettings;
    let r = ws
        .owner
        .call(
            path::<SaveAiSettings>(),
            &[
                ("form[enabled]", "true"),
                ("form[channels][0]", "email"),
                ("form[auto_send_threshold]", "60"),
                ("form[provider]", "openai"),
                ("form[base_url]", base),
                ("form[chat_model]", "gpt-4o-mini"),
                ("form[embedding_model]", ""),
                ("form[api_key]", "sk-test-1234567890abcd"),
                ("form[clear_key]", "false"),
                ("form[timeout_secs]", "5"),
                ("form[price_input_micros]", "0"),
                ("form[price_output_micros]", "0"),
                ("form[tone]", "friendly"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

async fn a_provider_compiles_a_procedure(b: Backend) {
    use app::serverfns::procedures::{CompileProcedure, GetProcedures};
    let app = TestApp::new(b).await;
    let mut ws = workspace(&app, "olga@a.test", "Acme").await;
    let words = [("name", "Address change"), ("instructions", "When a customer asks to change their address: tag the ticket address; if the ticket is tagged shipped, hand it to a person; otherwise create a task to update it.")];
    // No provider: say so, and point to the editor.
    let r = ws.owner.call(path::<CompileProcedure>(), &words).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("Compiling needs an AI provider"),
        "{}",
        r.body
    );
    assert_eq!(
        ws.owner.call(path::<GetProcedures>(), &[]).await.json()["provider"],
        Value::Null
    );

    let compiled = json!({
        "triggers": ["change my address", "new address"],
        "steps": [
            {"kind": "tool", "tool": "tag_ticket", "input": {"add": ["address"]}},
            {"kind": "if", "fact": "ticket.tags", "op": "contains", "value": "shipped",
             "then": [{"kind": "escalate", "reason": "Already shipped"}],
             "otherwise": [{"kind": "tool", "tool": "create_task", "input": {"title": "Update the address for {{customer.name}}"}, "note": "We'll update your address today."}]}
        ]
    });
    let base = fake_openai_saying(format!("Here are the steps:\n```json\n{compiled}\n```")).await;
    use_provider(&mut ws, &base).await;
    assert_eq!(
        ws.owner.call(path::<GetProcedures>(), &[]).await.json()["provider"],
        "openai"
    );
    let r = ws.owner.call(path::<CompileProcedure>(), &words).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let c = r.json();
    assert_eq!(c["provider"], "openai");
    assert_eq!(c["triggers"], "change my address\nnew address");
    assert_eq!(c["problem"], Value::Null, "{c}");
    assert_eq!(c["steps"][1]["otherwise"][0]["tool"], "create_task", "{c}");

    // A model that invents a tool: the steps come back with the problem named.
    let invented = json!({"triggers": ["address"], "steps": [{"kind": "tool", "tool": "update_address", "input": {}}]});
    let base = fake_openai_saying(invented.to_string()).await;
    use_provider(&mut ws, &base).await;
    let c = ws
        .owner
        .call(path::<CompileProcedure>(), &words)
        .await
        .json();
    assert!(
        c["problem"]
            .as_str()
            .unwrap()
            .contains("no tool named `update_address`"),
        "{c}"
    );
    // And one that answers with prose.
    let base = fake_openai_saying("I cannot help with that.".into()).await;
    use_provider(&mut ws, &base).await;
    let r = ws.owner.call(path::<CompileProcedure>(), &words).await;
    assert!(
        r.status.is_server_error() || r.status.is_client_error(),
        "{}",
        r.body
    );
    assert!(r.body.contains("did not answer with steps"), "{}", r.body);
    app.finish().await;
}

backend_tests!(
    bad_input_is_refused_naming_the_field,
    every_tool_runs,
    policies_decide_and_approval_runs_once,
    two_approvers_at_once_run_it_once,
    policy_is_checked_again_before_running,
    tasks_are_listed_and_completed,
    a_cannot_touch_b_actions,
    the_ai_turns_requests_into_actions,
    a_provider_proposes_through_tool_calls,
    follow_ups_send_unless_the_customer_answers,
    the_autonomous_loop_reviews_open_work,
    procedures_are_checked_previewed_and_kept_apart,
    the_agent_follows_a_procedure,
    a_provider_compiles_a_procedure,
);
