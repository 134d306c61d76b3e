//! The flow engine (issue 15): published chatbot flows run in conversations
//! through the one inbound path — buttons in the widget and numbered choices on
//! text-only channels, validated answers, hand-off to a team, the AI agent's
//! answer step, waits and timeouts as durable jobs, a run pinned to the version
//! it started on, analytics per step, and workspaces kept apart; visual
//! workflows on tickets (triggers, the rules' actions, waits for timers and
//! ticket events, no loops, checked definitions). Both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::serverfns::auth::GetSession;
use app::serverfns::flows::{GetFlowEditorOptions, GetFlowStats};
use app::services::channels::inbound::{self, InboundMessage, Sender, ThreadHint};
use app::services::context::{load_actor, Actor, RequestMeta};
use app::services::inbox::conversations::ConversationPatch;
use app::services::tenancy::Scoped;
use app::types::{
    AskInput, Channel, FlowBranch, FlowEdge, FlowGraph, FlowNode, FlowOp, FlowSettingsForm,
    IdentifierKind, MessageChoices, NodeKind, Priority, RuleAction, RuleEvent, Status, WaitEvent,
    WorkflowTrigger,
};
use axum::http::StatusCode;
use common::{e, fns::path, n, sign_up, Backend, Client, TestApp};
use entity::{conversation, flow_session, job, message};
use sea_orm::{ActiveModelTrait, ColumnTrait, IntoActiveModel, QueryFilter, QueryOrder, Set};

struct Ws {
    owner: Client,
    actor: Actor,
    scope: Scoped,
}

async fn workspace(app: &TestApp, email: &str, name: &str) -> Ws {
    let mut owner = sign_up(app, "Olga Owner", email, name).await;
    let s = owner.call(path::<GetSession>(), &[]).await.json();
    let id = i32::try_from(s["workspace"]["id"].as_i64().unwrap()).unwrap();
    let user = i32::try_from(s["user_id"].as_i64().unwrap()).unwrap();
    // The AI agent answers chat and SMS where no flow holds the conversation.
    app::services::ai::settings::enable_builtin(&app.state.db, Scoped::new(id), &["chat", "sms"])
        .await
        .unwrap();
    Ws {
        owner,
        actor: load_actor(&app.state.db, user, id).await.unwrap(),
        scope: Scoped::new(id),
    }
}

fn ask(prompt: &str, input: AskInput, var: &str, timeout_mins: Option<u32>) -> NodeKind {
    NodeKind::Ask {
        prompt: prompt.into(),
        input,
        variable: var.into(),
        timeout_mins,
        typed: false,
    }
}

fn say(text: &str) -> NodeKind {
    NodeKind::SendMessage { text: text.into() }
}

/// Greets; Orders / Billing buttons; Orders asks for an email and hands off to
/// `team`; Billing ends.
fn support(team: i32) -> FlowGraph {
    FlowGraph {
        schema: app::types::FLOW_SCHEMA,
        entry: None,
        trigger: None,
        nodes: vec![
            n("start", NodeKind::Start),
            n("hi", say("Hi {{ customer.first_name }}!")),
            n(
                "topic",
                ask(
                    "What is it about?",
                    AskInput::Buttons {
                        choices: vec!["Orders".into(), "Billing".into()],
                    },
                    "topic",
                    None,
                ),
            ),
            n("email", ask("Your email?", AskInput::Email, "email", None)),
            n(
                "handoff",
                NodeKind::Handoff {
                    team_id: Some(team),
                    note: "Order question from {{ answer.email }}".into(),
                },
            ),
            n("bye", say("Billing answers are in your account.")),
            n("end", NodeKind::End),
        ],
        edges: vec![
            e("start", "next", "hi"),
            e("hi", "next", "topic"),
            e("topic", "choice:0", "email"),
            e("topic", "choice:1", "bye"),
            e("email", "next", "handoff"),
            e("bye", "next", "end"),
        ],
    }
}

async fn publish(app: &TestApp, ws: &Ws, name: &str, channels: &[&str], g: &FlowGraph) -> i32 {
    publish_as(app, ws, name, "chatbot", channels, g).await
}

async fn publish_as(
    app: &TestApp,
    ws: &Ws,
    name: &str,
    kind: &str,
    channels: &[&str],
    g: &FlowGraph,
) -> i32 {
    let meta = RequestMeta::default();
    let f = app::services::flows::save_settings(
        &app.state,
        &ws.actor,
        &FlowSettingsForm {
            id: None,
            name: name.into(),
            kind: kind.into(),
            channels: channels.iter().map(|c| (*c).to_owned()).collect(),
            enabled: true,
        },
        &meta,
    )
    .await
    .unwrap();
    app::services::flows::save_draft(&app.state, &ws.actor, f.id, g)
        .await
        .unwrap();
    app::services::flows::publish(&app.state, &ws.actor, f.id, &meta)
        .await
        .unwrap();
    f.id
}

/// A customer's message on `channel` (in `conversation` when given); returns
/// the conversation id.
async fn write(
    app: &TestApp,
    ws: &Ws,
    channel: Channel,
    who: &str,
    text: &str,
    conversation: Option<i32>,
) -> i32 {
    let (kind, value) = match channel {
        Channel::Sms => (
            IdentifierKind::Phone,
            format!("+1555{:07}", who.bytes().map(u32::from).sum::<u32>()),
        ),
        _ => (IdentifierKind::Email, format!("{who}@customer.test")),
    };
    let mut m = InboundMessage::new(
        channel,
        format!("test:{who}:{}", uuid::Uuid::new_v4().simple()),
        Sender {
            kind,
            value,
            name: Some(format!("{who} Example")),
        },
        text.to_owned(),
    );
    m.thread = ThreadHint {
        conversation_id: conversation,
        ..ThreadHint::default()
    };
    inbound::receive(&app.state, ws.scope, m)
        .await
        .unwrap()
        .conversation_id
}

/// The conversation's public replies after the customer's first message.
async fn bot_lines(app: &TestApp, ws: &Ws, conv: i32) -> Vec<message::Model> {
    ws.scope
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(conv))
        .filter(message::Column::Direction.eq("outbound"))
        .order_by_asc(message::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
}

async fn run_of(app: &TestApp, ws: &Ws, conv: i32) -> flow_session::Model {
    ws.scope
        .find::<flow_session::Entity>()
        .filter(flow_session::Column::ConversationId.eq(conv))
        .order_by_desc(flow_session::Column::Id)
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("a flow run")
}

async fn conv(app: &TestApp, ws: &Ws, id: i32) -> conversation::Model {
    ws.scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::Id.eq(id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
}

async fn jobs_of(app: &TestApp, kind: &str) -> Vec<job::Model> {
    app::services::tenancy::System::new("tests read the queue")
        .find::<job::Entity>()
        .filter(job::Column::Kind.eq(kind))
        .all(&app.state.db)
        .await
        .unwrap()
}

/// Makes every pending timer due now (the clock cannot be moved) and runs jobs.
async fn fire_timers(app: &TestApp) {
    for j in jobs_of(app, "flow.timer").await {
        if j.status == "pending" {
            let mut am = j.into_active_model();
            am.run_at = Set(chrono::Utc::now() - chrono::Duration::seconds(1));
            am.update(&app.state.db).await.unwrap();
        }
    }
    app.run_jobs().await;
}

async fn widget_buttons_validated_email_and_handoff_to_a_team(b: Backend) {
    let app = TestApp::new(b).await;
    let ws = workspace(&app, "olga@acme.test", "Acme").await;
    let team = app::services::inbox::setup::create_team(&app.state, &ws.actor, "Orders team", &[])
        .await
        .unwrap()
        .id;
    let flow_id = publish(&app, &ws, "Support menu", &["chat"], &support(team)).await;

    let c = write(&app, &ws, Channel::Chat, "ann", "hello there", None).await;
    let lines = bot_lines(&app, &ws, c).await;
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0].body_text, "Hi ann!");
    assert_eq!(lines[0].author_label.as_deref(), Some("Bot"));
    // In the widget the question's choices are buttons, not text.
    assert_eq!(lines[1].body_text, "What is it about?");
    let choices: MessageChoices =
        serde_json::from_str(lines[1].choices.as_deref().unwrap()).unwrap();
    assert_eq!(choices.choices, ["Orders", "Billing"]);
    assert!(!choices.dropdown);
    // The flow holds the conversation: no AI run, nobody assigned.
    assert!(jobs_of(&app, "ai.resolve").await.is_empty());
    let run = run_of(&app, &ws, c).await;
    assert_eq!(
        (run.status.as_str(), run.node.as_str(), run.version),
        ("waiting_input", "topic", 1)
    );

    // A reply that is no choice keeps the question and says what fits.
    write(&app, &ws, Channel::Chat, "ann", "pizza", Some(c)).await;
    let lines = bot_lines(&app, &ws, c).await;
    assert_eq!(
        lines.last().unwrap().body_text,
        "Please pick one of: 1 Orders, 2 Billing."
    );
    assert_eq!(run_of(&app, &ws, c).await.node, "topic");
    // The button's label (any case) picks it.
    write(&app, &ws, Channel::Chat, "ann", "orders", Some(c)).await;
    assert_eq!(
        bot_lines(&app, &ws, c).await.last().unwrap().body_text,
        "Your email?"
    );
    write(&app, &ws, Channel::Chat, "ann", "ann at example", Some(c)).await;
    assert!(bot_lines(&app, &ws, c)
        .await
        .last()
        .unwrap()
        .body_text
        .contains("does not look like an email address"));
    assert_eq!(run_of(&app, &ws, c).await.node, "email");
    write(&app, &ws, Channel::Chat, "ann", "Ann@Example.com", Some(c)).await;

    // Handed to the team with the note; the run is over and routing takes it.
    let run = run_of(&app, &ws, c).await;
    assert_eq!(run.status, "handed_off");
    assert!(run.ended_at.is_some());
    let vars: serde_json::Value = serde_json::from_str(&run.vars).unwrap();
    assert_eq!(vars["email"], "ann@example.com");
    assert_eq!(vars["topic"], "Orders");
    assert_eq!(conv(&app, &ws, c).await.team_id, Some(team));
    let note = ws
        .scope
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(c))
        .filter(message::Column::Kind.eq("note"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        note.body_text
            .contains("Order question from ann@example.com"),
        "{}",
        note.body_text
    );
    // The flow asked for a person: the AI agent stays out, and the flow is over.
    assert_eq!(
        conv(&app, &ws, c).await.ai_state.as_deref(),
        Some("escalated")
    );
    write(&app, &ws, Channel::Chat, "ann", "anyone there?", Some(c)).await;
    app.run_jobs().await;
    assert_eq!(bot_lines(&app, &ws, c).await.len(), 5);
    assert_eq!(run_of(&app, &ws, c).await.status, "handed_off");

    // Analytics: one run, handed off; the question counted both exits it left by.
    let mut owner = ws.owner;
    let r = owner
        .call(path::<GetFlowStats>(), &[("id", &flow_id.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let s: serde_json::Value = serde_json::from_str(r.json().as_str().unwrap()).unwrap();
    assert_eq!(
        (s["entries"].as_u64(), s["handoffs"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(s["completions"], 0);
    let node = |id: &str| {
        s["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["node"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(node("topic")["entries"], 1);
    assert_eq!(node("topic")["exits"]["choice:0"], 1);
    assert_eq!(node("email")["entries"], 1);
    assert_eq!(node("handoff")["entries"], 1);
    assert_eq!(node("bye")["entries"], 0);
    app.finish().await;
}

async fn text_channels_get_numbered_choices_and_a_first_message_can_answer(b: Backend) {
    let app = TestApp::new(b).await;
    let ws = workspace(&app, "olga@acme.test", "Acme").await;
    let team = app::services::inbox::setup::create_team(&app.state, &ws.actor, "Orders team", &[])
        .await
        .unwrap()
        .id;
    let flow_id = publish(&app, &ws, "SMS menu", &["sms"], &support(team)).await;
    // A chat message starts nothing: the flow runs on SMS only.
    let chat = write(&app, &ws, Channel::Chat, "cy", "hi", None).await;
    assert!(bot_lines(&app, &ws, chat).await.is_empty());
    assert_eq!(jobs_of(&app, "ai.resolve").await.len(), 1);

    let c = write(&app, &ws, Channel::Sms, "bo", "hello", None).await;
    let q = bot_lines(&app, &ws, c).await.pop().unwrap();
    assert_eq!(
        q.body_text,
        "What is it about?\n1. Orders\n2. Billing\nReply with the number or the words."
    );
    write(&app, &ws, Channel::Sms, "bo", " 2 ", Some(c)).await;
    let lines = bot_lines(&app, &ws, c).await;
    assert_eq!(
        lines.last().unwrap().body_text,
        "Billing answers are in your account."
    );
    let run = run_of(&app, &ws, c).await;
    assert_eq!(run.status, "done");
    let s = app::services::flows::analytics::stats(&app.state, &ws.actor, flow_id, Some(1))
        .await
        .unwrap();
    assert_eq!(
        (s.entries, s.completions, s.resolutions, s.handoffs),
        (1, 1, 0, 0)
    );
    // Solved without a person: the completed run counts as a resolution.
    let mut am = conv(&app, &ws, c).await.into_active_model();
    am.status = Set("solved".into());
    am.update(&app.state.db).await.unwrap();
    let s = app::services::flows::analytics::stats(&app.state, &ws.actor, flow_id, None)
        .await
        .unwrap();
    assert_eq!(s.resolutions, 1);
    // Writing again goes to the AI agent; the flow does not start over.
    write(&app, &ws, Channel::Sms, "bo", "one more thing", Some(c)).await;
    assert_eq!(bot_lines(&app, &ws, c).await.len(), lines.len());
    assert_eq!(jobs_of(&app, "ai.resolve").await.len(), 2);
    assert_eq!(
        ws.scope
            .find::<flow_session::Entity>()
            .filter(flow_session::Column::ConversationId.eq(c))
            .all(&app.state.db)
            .await
            .unwrap()
            .len(),
        1
    );
    // A first message that already answers the first question skips it.
    let d = write(&app, &ws, Channel::Sms, "di", "Billing", None).await;
    let lines = bot_lines(&app, &ws, d).await;
    let texts: Vec<&str> = lines.iter().map(|m| m.body_text.as_str()).collect();
    assert_eq!(texts, ["Hi di!", "Billing answers are in your account."]);
    app.finish().await;
}

/// Start → ask (timeout 10 min) → answer: "v1 thanks" → end; timeout: "Still
/// there?" → end. Version 2 says "v2 thanks".
fn timed(thanks: &str) -> FlowGraph {
    FlowGraph {
        schema: app::types::FLOW_SCHEMA,
        entry: None,
        trigger: None,
        nodes: vec![
            n("start", NodeKind::Start),
            n("q", ask("Order number?", AskInput::Text, "order", Some(10))),
            n("thanks", say(thanks)),
            n("late", say("Still there? Write again any time.")),
            n("wait", NodeKind::Wait { minutes: 60 }),
            n(
                "after",
                say("An hour later: order {{ answer.order }} is on its way."),
            ),
            n("end", NodeKind::End),
        ],
        edges: vec![
            e("start", "next", "q"),
            e("q", "next", "thanks"),
            e("q", "timeout", "late"),
            e("thanks", "next", "wait"),
            e("wait", "next", "after"),
            e("after", "next", "end"),
            e("late", "next", "end"),
        ],
    }
}

async fn runs_stay_on_their_version_and_timers_are_durable(b: Backend) {
    let app = TestApp::new(b).await;
    let ws = workspace(&app, "olga@acme.test", "Acme").await;
    let flow_id = publish(&app, &ws, "Orders", &["chat"], &timed("v1 thanks")).await;
    let first = write(&app, &ws, Channel::Chat, "ann", "where is my order", None).await;
    assert_eq!(bot_lines(&app, &ws, first).await.len(), 1);
    let run = run_of(&app, &ws, first).await;
    assert!(run.wake_at.is_some(), "the question's timeout is set");
    let timers = jobs_of(&app, "flow.timer").await;
    assert_eq!(timers.len(), 1);

    // Version 2 is published while Ann's run waits.
    app::services::flows::save_draft(&app.state, &ws.actor, flow_id, &timed("v2 thanks"))
        .await
        .unwrap();
    app::services::flows::publish(&app.state, &ws.actor, flow_id, &RequestMeta::default())
        .await
        .unwrap();
    // Ann answers: her run finishes on version 1; the old timeout is stale now.
    write(&app, &ws, Channel::Chat, "ann", "A-1001", Some(first)).await;
    assert_eq!(
        bot_lines(&app, &ws, first).await.last().unwrap().body_text,
        "v1 thanks"
    );
    let run = run_of(&app, &ws, first).await;
    assert_eq!((run.status.as_str(), run.version), ("waiting_timer", 1));
    // A message during the wait changes nothing and wakes nobody else.
    write(&app, &ws, Channel::Chat, "ann", "ok", Some(first)).await;
    assert_eq!(bot_lines(&app, &ws, first).await.len(), 2);
    assert_eq!(jobs_of(&app, "ai.resolve").await.len(), 0);
    // A new conversation starts on version 2.
    let second = write(&app, &ws, Channel::Chat, "bob", "hi", None).await;
    assert_eq!(run_of(&app, &ws, second).await.version, 2);

    // The timers fire (as after any restart: they are jobs in the database).
    fire_timers(&app).await;
    let lines = bot_lines(&app, &ws, first).await;
    assert_eq!(
        lines.last().unwrap().body_text,
        "An hour later: order A-1001 is on its way."
    );
    assert_eq!(run_of(&app, &ws, first).await.status, "done");
    // Bob never answered: his question timed out.
    assert_eq!(
        bot_lines(&app, &ws, second).await.last().unwrap().body_text,
        "Still there? Write again any time."
    );
    let bob = run_of(&app, &ws, second).await;
    assert_eq!((bob.status.as_str(), bob.version), ("done", 2));
    // Every timer ran once; the stale one (Ann answered before it) did nothing.
    let timers = jobs_of(&app, "flow.timer").await;
    assert_eq!(timers.len(), 3);
    assert!(timers.iter().all(|j| j.status == "succeeded"), "{timers:?}");
    let v1 = app::services::flows::analytics::stats(&app.state, &ws.actor, flow_id, Some(1))
        .await
        .unwrap();
    assert_eq!((v1.entries, v1.completions), (1, 1));
    let node = |id: &str| v1.nodes.iter().find(|x| x.node == id).unwrap().clone();
    assert_eq!(node("q").exits.get("next"), Some(&1));
    assert_eq!(node("late").entries, 0);
    let all = app::services::flows::analytics::stats(&app.state, &ws.actor, flow_id, None)
        .await
        .unwrap();
    assert_eq!(all.entries, 2);
    app.finish().await;
}

async fn the_ai_answer_step_hands_back_its_outcome(b: Backend) {
    let app = TestApp::new(b).await;
    let ws = workspace(&app, "olga@acme.test", "Acme").await;
    let g = FlowGraph {
        schema: app::types::FLOW_SCHEMA,
        entry: None,
        trigger: None,
        nodes: vec![
            n("start", NodeKind::Start),
            n("ai", NodeKind::AiAnswer),
            n("glad", say("Glad that helped.")),
            n("end", NodeKind::End),
            n(
                "person",
                NodeKind::Handoff {
                    team_id: None,
                    note: "The AI agent could not answer.".into(),
                },
            ),
        ],
        edges: vec![
            e("start", "next", "ai"),
            e("ai", "answered", "glad"),
            e("ai", "handoff", "person"),
            e("glad", "next", "end"),
        ],
    };
    publish(&app, &ws, "AI first", &["chat"], &g).await;
    let c = write(
        &app,
        &ws,
        Channel::Chat,
        "ann",
        "I want to speak to a human, please",
        None,
    )
    .await;
    let run = run_of(&app, &ws, c).await;
    assert_eq!(run.status, "waiting_ai");
    let ai = jobs_of(&app, "ai.resolve").await;
    assert_eq!(ai.len(), 1);
    assert!(ai[0].payload.contains("flow.ai_done"), "{}", ai[0].payload);
    // The AI agent runs (and hands over: the customer asked for a person); the
    // flow hears it and goes on by its hand-off exit.
    app.run_jobs().await;
    let run = run_of(&app, &ws, c).await;
    assert_eq!(run.status, "handed_off");
    assert_eq!(jobs_of(&app, "flow.ai_done").await.len(), 1);
    let notes: Vec<String> = ws
        .scope
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(c))
        .filter(message::Column::Kind.eq("note"))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.body_text)
        .collect();
    assert!(
        notes
            .iter()
            .any(|t| t.contains("The AI agent could not answer.")),
        "{notes:?}"
    );
    app.finish().await;
}

async fn flow_runs_are_kept_to_their_workspace(b: Backend) {
    let app = TestApp::new(b).await;
    let a = workspace(&app, "olga@acme.test", "Acme").await;
    let other = workspace(&app, "bob@other.test", "Other").await;
    let team = app::services::inbox::setup::create_team(&app.state, &a.actor, "Orders team", &[])
        .await
        .unwrap()
        .id;
    let flow_id = publish(&app, &a, "Support menu", &["chat"], &support(team)).await;
    // B's customers never meet A's flow.
    let c = write(&app, &other, Channel::Chat, "zed", "hello", None).await;
    assert!(bot_lines(&app, &other, c).await.is_empty());
    write(&app, &a, Channel::Chat, "ann", "hello", None).await;
    // B cannot read A's analytics.
    let mut bo = other.owner;
    let r = bo
        .call(path::<GetFlowStats>(), &[("id", &flow_id.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert!(!r.body.contains("Support menu"));
    // The editor's pickers list only B's own teams.
    let r = bo.call(path::<GetFlowEditorOptions>(), &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(!r.body.contains("Orders team"), "{}", r.body);
    app.finish().await;
}

/// A Create ticket step opens an email ticket in the customer's words, in the
/// chosen team's queue; the chat is told its number; neither the AI agent nor a
/// chatbot flow on email answers the new ticket.
async fn a_create_ticket_step_opens_an_email_ticket(b: Backend) {
    let app = TestApp::new(b).await;
    let ws = workspace(&app, "olga@acme.test", "Acme").await;
    app::services::ai::settings::enable_builtin(&app.state.db, ws.scope, &["chat", "email"])
        .await
        .unwrap();
    let team = app::services::inbox::setup::create_team(&app.state, &ws.actor, "Night desk", &[])
        .await
        .unwrap()
        .id;
    let g = FlowGraph {
        schema: app::types::FLOW_SCHEMA,
        entry: None,
        trigger: None,
        nodes: vec![
            n("start", NodeKind::Start),
            n("what", ask("What happened?", AskInput::Text, "problem", None)),
            n(
                "ticket",
                NodeKind::Action {
                    action: app::types::FlowAction::CreateTicket {
                        subject: "From the chat: {{ answer.problem }}".into(),
                        body: "{{ answer.problem }}".into(),
                        team_id: Some(team),
                        priority: "high".into(),
                        reply: "Thanks {{ customer.first_name }}! Ticket {{ new_ticket }} is open; we will email you.".into(),
                    },
                },
            ),
            n("end", NodeKind::End),
        ],
        edges: vec![
            e("start", "next", "what"),
            e("what", "next", "ticket"),
            e("ticket", "next", "end"),
        ],
    };
    publish(&app, &ws, "After hours", &["chat"], &g).await;
    // A chatbot flow on email must not take the new ticket.
    let greeter = FlowGraph {
        schema: app::types::FLOW_SCHEMA,
        entry: None,
        trigger: None,
        nodes: vec![
            n("start", NodeKind::Start),
            n("hi", say("Hi from the email bot")),
            n("end", NodeKind::End),
        ],
        edges: vec![e("start", "next", "hi"), e("hi", "next", "end")],
    };
    publish(&app, &ws, "Email greeter", &["email"], &greeter).await;

    let chat = write(&app, &ws, Channel::Chat, "ann", "hello", None).await;
    write(
        &app,
        &ws,
        Channel::Chat,
        "ann",
        "My stove leaks gas",
        Some(chat),
    )
    .await;
    let c = conv(&app, &ws, chat).await;
    let tickets = ws
        .scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::CustomerId.eq(c.customer_id))
        .filter(conversation::Column::Id.ne(chat))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(tickets.len(), 1, "one new ticket");
    let t = &tickets[0];
    assert_eq!(t.channel, "email");
    assert_eq!(t.subject, "From the chat: My stove leaks gas");
    assert_eq!(t.priority, "high");
    assert_eq!(t.team_id, Some(team));
    let msgs = ws
        .scope
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(t.id))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(msgs.len(), 1, "only the customer's words: {msgs:?}");
    assert_eq!(msgs[0].direction, "inbound");
    assert_eq!(msgs[0].body_text, "My stove leaks gas");
    // The chat is told the number, and a note links the two.
    let said = bot_lines(&app, &ws, chat).await;
    let last = said.last().unwrap();
    assert_eq!(
        last.body_text,
        format!(
            "Thanks ann! Ticket {} is open; we will email you.",
            app::types::ticket_ref(t.number)
        )
    );
    let notes = ws
        .scope
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(chat))
        .filter(message::Column::Kind.eq("note"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(
        notes.iter().any(|m| m.body_text.contains("opened ticket")
            && m.body_text.contains(&app::types::ticket_ref(t.number))),
        "{notes:?}"
    );
    assert_eq!(run_of(&app, &ws, chat).await.status, "done");
    // A missing subject is a problem that blocks publishing.
    let mut bad = g.clone();
    if let NodeKind::Action {
        action: app::types::FlowAction::CreateTicket { subject, .. },
    } = &mut bad.nodes[2].kind
    {
        subject.clear();
    }
    assert!(bad
        .problems()
        .iter()
        .any(|p| p.message.contains("give the ticket a subject")));
    app.finish().await;
}

// ---- Visual workflows (C7.5): the same engine on tickets, with the rules' actions.

fn wf(
    trigger: Vec<RuleEvent>,
    only_if: Vec<FlowBranch>,
    nodes: Vec<FlowNode>,
    edges: Vec<FlowEdge>,
) -> FlowGraph {
    let mut all = vec![n("start", NodeKind::Start)];
    all.extend(nodes);
    FlowGraph {
        schema: app::types::FLOW_SCHEMA,
        nodes: all,
        edges,
        entry: None,
        trigger: Some(WorkflowTrigger {
            events: trigger,
            only_if,
        }),
    }
}

fn act(a: RuleAction) -> NodeKind {
    NodeKind::TicketAction { action: a }
}

async fn publish_workflow(app: &TestApp, ws: &Ws, name: &str, g: &FlowGraph) -> i32 {
    publish_as(app, ws, name, "workflow", &[], g).await
}

async fn tags_of(app: &TestApp, ws: &Ws, id: i32) -> Vec<String> {
    app::services::inbox::conversations::tag_names(&app.state.db, ws.scope, id)
        .await
        .unwrap()
}

async fn notes_of(app: &TestApp, ws: &Ws, id: i32) -> Vec<String> {
    ws.scope
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(id))
        .filter(message::Column::Kind.eq("note"))
        .order_by_asc(message::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.body_text)
        .collect()
}

async fn patch(app: &TestApp, ws: &Ws, id: i32, p: ConversationPatch) {
    app::services::inbox::conversations::update(
        &app.state,
        &ws.actor,
        id,
        p,
        &RequestMeta::default(),
    )
    .await
    .unwrap();
}

/// Refund requests: tag, raise the priority, wait a day for the customer; a
/// reply gets a note, silence an escalation.
fn refunds() -> FlowGraph {
    wf(
        vec![RuleEvent::TicketCreated],
        vec![FlowBranch {
            subject: "message.text".into(),
            op: FlowOp::Contains,
            value: "refund".into(),
        }],
        vec![
            n(
                "tag",
                act(RuleAction::AddTags {
                    tags: vec!["Refund".into()],
                }),
            ),
            n(
                "prio",
                act(RuleAction::SetPriority {
                    priority: "high".into(),
                }),
            ),
            n(
                "wait",
                NodeKind::WaitFor {
                    event: WaitEvent::CustomerReplies,
                    timeout_mins: Some(24 * 60),
                },
            ),
            n(
                "noted",
                act(RuleAction::Note {
                    text: "{{ customer.first_name }} wrote back.".into(),
                }),
            ),
            n(
                "esc",
                act(RuleAction::Escalate {
                    reason: "no answer in a day".into(),
                }),
            ),
            n("end", NodeKind::End),
        ],
        vec![
            e("start", "next", "tag"),
            e("tag", "next", "prio"),
            e("prio", "next", "wait"),
            e("wait", "done", "noted"),
            e("wait", "timeout", "esc"),
            e("noted", "next", "end"),
            e("esc", "next", "end"),
        ],
    )
}

async fn workflows_start_on_their_event_and_act_with_the_rules_actions(b: Backend) {
    let app = TestApp::new(b).await;
    let ws = workspace(&app, "olga@acme.test", "Acme").await;
    let flow_id = publish_workflow(&app, &ws, "Refunds", &refunds()).await;

    // A refund request starts the workflow: tagged, priority high, waiting.
    let ann = write(
        &app,
        &ws,
        Channel::Email,
        "ann",
        "I want a refund for my tent",
        None,
    )
    .await;
    assert_eq!(tags_of(&app, &ws, ann).await, vec!["refund".to_owned()]);
    assert_eq!(conv(&app, &ws, ann).await.priority, "high");
    let run = run_of(&app, &ws, ann).await;
    assert_eq!(
        (run.kind.as_str(), run.status.as_str(), run.node.as_str()),
        ("workflow", "waiting_event", "wait")
    );
    assert!(run.wake_at.is_some(), "the wait has its timeout");
    // Another question does not match the start condition.
    let bob = write(&app, &ws, Channel::Email, "bob", "Where is my order?", None).await;
    assert!(tags_of(&app, &ws, bob).await.is_empty());
    let none = ws
        .scope
        .find::<flow_session::Entity>()
        .filter(flow_session::Column::ConversationId.eq(bob))
        .one(&app.state.db)
        .await
        .unwrap();
    assert!(none.is_none(), "no run where the start condition fails");

    // Ann writes back: the run goes on by the "done" exit.
    write(&app, &ws, Channel::Email, "ann", "Any news?", Some(ann)).await;
    assert_eq!(
        notes_of(&app, &ws, ann).await.last().unwrap(),
        "ann wrote back."
    );
    assert_eq!(run_of(&app, &ws, ann).await.status, "done");

    // Cleo never writes back: the timeout escalates (urgent, admins told).
    let cleo = write(&app, &ws, Channel::Email, "cleo", "refund please", None).await;
    fire_timers(&app).await;
    let c = conv(&app, &ws, cleo).await;
    assert_eq!(c.priority, "urgent");
    assert!(notes_of(&app, &ws, cleo)
        .await
        .iter()
        .any(|n| n.contains("Escalated by Workflow: Refunds: no answer in a day")));
    assert_eq!(run_of(&app, &ws, cleo).await.status, "done");
    // Ann's stale timeout did nothing to her ticket.
    assert_eq!(conv(&app, &ws, ann).await.priority, "high");
    // The analytics count both runs per step.
    let st = app::services::flows::analytics::stats(&app.state, &ws.actor, flow_id, None)
        .await
        .unwrap();
    assert_eq!((st.entries, st.completions), (2, 2));
    let node = |id: &str| st.nodes.iter().find(|x| x.node == id).unwrap().clone();
    assert_eq!(node("wait").exits.get("done"), Some(&1));
    assert_eq!(node("wait").exits.get("timeout"), Some(&1));

    // Another workspace's tickets never start Acme's workflow.
    let other = workspace(&app, "zoe@other.test", "Other").await;
    let z = write(&app, &other, Channel::Email, "zed", "refund now", None).await;
    assert!(tags_of(&app, &other, z).await.is_empty());
    app.finish().await;
}

async fn workflows_wait_for_timers_and_ticket_events_without_looping(b: Backend) {
    let app = TestApp::new(b).await;
    let ws = workspace(&app, "olga@acme.test", "Acme").await;
    // A follow-up half an hour after a new ticket, then a note once it is solved.
    let g = wf(
        vec![RuleEvent::TicketCreated],
        Vec::new(),
        vec![
            n("delay", NodeKind::Wait { minutes: 30 }),
            n(
                "ask",
                act(RuleAction::Reply {
                    text: "Hi {{ customer.first_name }}, did that help?".into(),
                }),
            ),
            n(
                "solved",
                NodeKind::WaitFor {
                    event: WaitEvent::TicketSolved,
                    timeout_mins: None,
                },
            ),
            n(
                "note",
                act(RuleAction::Note {
                    text: "Solved after the follow-up.".into(),
                }),
            ),
            n("end", NodeKind::End),
        ],
        vec![
            e("start", "next", "delay"),
            e("delay", "next", "ask"),
            e("ask", "next", "solved"),
            e("solved", "done", "note"),
            e("note", "next", "end"),
        ],
    );
    let follow_id = publish_workflow(&app, &ws, "Follow up", &g).await;
    // Every change to a ticket tags it: the tag is a change too, but a workflow
    // starts once per ticket per change.
    let tagger = wf(
        vec![RuleEvent::TicketUpdated],
        Vec::new(),
        vec![
            n(
                "tag",
                act(RuleAction::AddTags {
                    tags: vec!["touched".into()],
                }),
            ),
            n("end", NodeKind::End),
        ],
        vec![e("start", "next", "tag"), e("tag", "next", "end")],
    );
    let tagger_id = publish_workflow(&app, &ws, "Tagger", &tagger).await;

    let ann = write(&app, &ws, Channel::Email, "ann", "My tent leaks", None).await;
    let runs = |app: &TestApp, flow: i32| {
        let scope = ws.scope;
        let db = app.state.db.clone();
        async move {
            scope
                .find::<flow_session::Entity>()
                .filter(flow_session::Column::ConversationId.eq(ann))
                .filter(flow_session::Column::FlowId.eq(flow))
                .all(&db)
                .await
                .unwrap()
        }
    };
    let follow = runs(&app, follow_id).await;
    assert_eq!(follow.len(), 1);
    assert_eq!(follow[0].status, "waiting_timer");
    fire_timers(&app).await;
    let lines = bot_lines(&app, &ws, ann).await;
    assert_eq!(lines.last().unwrap().body_text, "Hi ann, did that help?");
    assert_eq!(runs(&app, follow_id).await[0].status, "waiting_event");

    // A priority change is not a solve; the tagger runs once for it (its own
    // tag does not set it off again).
    let before = runs(&app, tagger_id).await.len();
    patch(
        &app,
        &ws,
        ann,
        ConversationPatch {
            priority: Some(Priority::High),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(runs(&app, follow_id).await[0].status, "waiting_event");
    let tagged = runs(&app, tagger_id).await;
    assert_eq!(tagged.len(), before + 1, "{tagged:?}");
    assert!(tagged.iter().all(|r| r.status == "done"));
    assert!(tags_of(&app, &ws, ann)
        .await
        .contains(&"touched".to_owned()));

    // Solved: the follow-up goes on and notes it; the tagger runs once more.
    patch(
        &app,
        &ws,
        ann,
        ConversationPatch {
            status: Some(Status::Solved),
            ..Default::default()
        },
    )
    .await;
    let follow = runs(&app, follow_id).await;
    assert_eq!(
        follow.len(),
        1,
        "a running workflow is not started twice on a ticket"
    );
    assert_eq!(follow[0].status, "done");
    assert_eq!(
        notes_of(&app, &ws, ann).await.last().unwrap(),
        "Solved after the follow-up."
    );
    assert_eq!(runs(&app, tagger_id).await.len(), before + 2);
    app.finish().await;
}

async fn workflow_definitions_are_checked(b: Backend) {
    let app = TestApp::new(b).await;
    let ws = workspace(&app, "olga@acme.test", "Acme").await;
    let meta = RequestMeta::default();
    let f = app::services::flows::save_settings(
        &app.state,
        &ws.actor,
        &FlowSettingsForm {
            id: None,
            name: "Checks".into(),
            kind: "workflow".into(),
            channels: Vec::new(),
            enabled: true,
        },
        &meta,
    )
    .await
    .unwrap();
    // A new workflow starts with a trigger; a chatbot's starter has none.
    let d = app::services::flows::get(&app.state, &ws.actor, f.id)
        .await
        .unwrap();
    assert!(d.draft.is_workflow());
    // A question has no place in a workflow.
    let bad = wf(
        vec![RuleEvent::TicketCreated],
        Vec::new(),
        vec![
            n("q", ask("Name?", AskInput::Text, "name", None)),
            n("end", NodeKind::End),
        ],
        vec![e("start", "next", "q"), e("q", "next", "end")],
    );
    let err = app::services::flows::save_draft(&app.state, &ws.actor, f.id, &bad)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot have a “Ask a question” step"),
        "{err}"
    );
    // A chatbot graph (no trigger) is refused for a workflow.
    let err = app::services::flows::save_draft(&app.state, &ws.actor, f.id, &FlowGraph::starter())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("needs a trigger"), "{err}");
    // Publishing checks the actions against the workspace.
    let stranger = wf(
        vec![RuleEvent::TicketCreated],
        Vec::new(),
        vec![
            n(
                "who",
                act(RuleAction::Assign {
                    user_id: Some(987_654),
                }),
            ),
            n("end", NodeKind::End),
        ],
        vec![e("start", "next", "who"), e("who", "next", "end")],
    );
    app::services::flows::save_draft(&app.state, &ws.actor, f.id, &stranger)
        .await
        .unwrap();
    let err = app::services::flows::publish(&app.state, &ws.actor, f.id, &meta)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("member #987654 is not in this workspace"),
        "{err}"
    );
    // No event chosen is a problem that blocks publishing.
    let mut idle = stranger.clone();
    idle.trigger = Some(WorkflowTrigger::default());
    idle.nodes[1].kind = act(RuleAction::Close);
    let d = app::services::flows::save_draft(&app.state, &ws.actor, f.id, &idle)
        .await
        .unwrap();
    assert!(
        d.problems
            .iter()
            .any(|p| p.message.contains("choose at least one event")),
        "{:?}",
        d.problems
    );
    // The kind cannot change.
    let err = app::services::flows::save_settings(
        &app.state,
        &ws.actor,
        &FlowSettingsForm {
            id: Some(f.id),
            name: "Checks".into(),
            kind: "chatbot".into(),
            channels: vec!["chat".into()],
            enabled: true,
        },
        &meta,
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("kind is set when it is made"),
        "{err}"
    );
    app.finish().await;
}

backend_tests!(
    widget_buttons_validated_email_and_handoff_to_a_team,
    text_channels_get_numbered_choices_and_a_first_message_can_answer,
    runs_stay_on_their_version_and_timers_are_durable,
    the_ai_answer_step_hands_back_its_outcome,
    flow_runs_are_kept_to_their_workspace,
    a_create_ticket_step_opens_an_email_ticket,
    workflows_start_on_their_event_and_act_with_the_rules_actions,
    workflows_wait_for_timers_and_ticket_events_without_looping,
    workflow_definitions_are_checked,
);
