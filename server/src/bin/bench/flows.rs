//! `switchboard-bench flows`: what the flow engine costs.
//!
//! 1. **Interpreter**: `types::advance` alone on a menu flow (Start → greeting
//!    condition → buttons → email question → message → hand-off): a begin and
//!    two answers per run, `--runs` runs; reports the time per call and per step.
//! 2. **Runner**: the same flow published in a workspace on a fresh SQLite file
//!    (or `--database-url`); `--conversations` chat conversations each go
//!    through it by three customer messages through the one inbound path
//!    (greeting → pick → email → hand-off), timed per message, against the same
//!    messages with no flow published (the AI agent and routing answer instead).

use app::services::channels::inbound::{self, InboundMessage, Sender, ThreadHint};
use app::services::tenancy::Scoped;
use app::services::{flows, AppState};
use app::types::{
    advance, begin, AskInput, CanvasPoint, Channel, FlowBranch, FlowEdge, FlowGraph, FlowNode,
    FlowOp, FlowSettingsForm, IdentifierKind, NodeKind, RunInput, FLOW_SCHEMA,
};
use std::collections::BTreeMap;
use std::time::Instant;

/// Arguments of `flows`.
#[derive(Debug, clap::Args)]
pub struct FlowArgs {
    /// Interpreter runs (three calls each).
    #[arg(long, default_value_t = 100_000)]
    pub runs: usize,
    /// Conversations through the runner per pass.
    #[arg(long, default_value_t = 300)]
    pub conversations: usize,
    /// Database URL (default: a fresh SQLite file per pass in the temp directory).
    #[arg(long)]
    pub database_url: Option<String>,
}

fn graph() -> FlowGraph {
    let n = |id: &str, kind: NodeKind| FlowNode {
        id: id.into(),
        position: CanvasPoint::default(),
        kind,
    };
    let e = |s: &str, p: &str, t: &str| FlowEdge {
        source: s.into(),
        port: p.into(),
        target: t.into(),
    };
    FlowGraph {
        schema: FLOW_SCHEMA,
        entry: None,
        trigger: None,
        nodes: vec![
            n("start", NodeKind::Start),
            n(
                "greeting",
                NodeKind::Condition {
                    branches: vec![FlowBranch {
                        subject: "first_message".into(),
                        op: FlowOp::OneOf,
                        value: "hi, hello, hey".into(),
                    }],
                },
            ),
            n(
                "topic",
                NodeKind::Ask {
                    prompt: "What can we help with?".into(),
                    input: AskInput::Buttons {
                        choices: vec!["Track my order".into(), "Talk to a person".into()],
                    },
                    variable: "topic".into(),
                    timeout_mins: None,
                    typed: true,
                },
            ),
            n(
                "email",
                NodeKind::Ask {
                    prompt: "Your email, {{ customer.first_name }}?".into(),
                    input: AskInput::Email,
                    variable: "email".into(),
                    timeout_mins: Some(30),
                    typed: false,
                },
            ),
            n(
                "thanks",
                NodeKind::SendMessage {
                    text: "Thanks, {{ answer.email }}: the team replies here.".into(),
                },
            ),
            n(
                "handoff",
                NodeKind::Handoff {
                    team_id: None,
                    note: "Order question from {{ answer.email }}".into(),
                },
            ),
            n("ai", NodeKind::AiAnswer),
            n("end", NodeKind::End),
        ],
        edges: vec![
            e("start", "next", "greeting"),
            e("greeting", "branch:0", "topic"),
            e("greeting", "else", "ai"),
            e("topic", "choice:0", "email"),
            e("topic", "choice:1", "handoff"),
            e("topic", "other", "ai"),
            e("email", "next", "thanks"),
            e("email", "timeout", "handoff"),
            e("thanks", "next", "handoff"),
            e("ai", "answered", "end"),
            e("ai", "handoff", "handoff"),
        ],
    }
}

fn interpreter(runs: usize) -> (f64, f64) {
    let g = graph();
    let facts: BTreeMap<String, String> = [("customer.first_name", "Ann")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let (mut calls, mut steps) = (0_u64, 0_u64);
    let t = Instant::now();
    for _ in 0..runs {
        let mut s = begin(&g);
        s.vars.insert("first_message".into(), "hi".into());
        for input in [
            RunInput::Begin,
            RunInput::Answer("1".into()),
            RunInput::Answer("ann@example.com".into()),
        ] {
            let turn = advance(&g, &s, &input, &facts);
            steps += u64::try_from(turn.path.len()).unwrap_or_default();
            calls += 1;
            s = turn.state;
        }
        std::hint::black_box(&s);
    }
    let total = t.elapsed().as_secs_f64() * 1e6;
    #[allow(clippy::cast_precision_loss)]
    let (calls, steps) = (calls as f64, steps as f64);
    (total / calls, total / steps)
}

async fn workspace(state: &AppState, publish: bool) -> anyhow::Result<Scoped> {
    let owner = app::services::accounts::create_admin(
        state,
        &format!("bench-{}@switchboard.test", uuid::Uuid::new_v4().simple()),
        "Bench Owner",
        "bench-password-1",
        "Flows bench",
    )
    .await?;
    let actor =
        app::services::context::load_actor(&state.db, owner.user_id, owner.workspace_id).await?;
    let scope = Scoped::new(owner.workspace_id);
    app::services::ai::settings::enable_builtin(&state.db, scope, &["chat"]).await?;
    if publish {
        let meta = app::services::RequestMeta::default();
        let f = flows::save_settings(
            state,
            &actor,
            &FlowSettingsForm {
                id: None,
                name: "Menu".into(),
                kind: "chatbot".into(),
                channels: vec!["chat".into()],
                enabled: true,
            },
            &meta,
        )
        .await?;
        flows::save_draft(state, &actor, f.id, &graph()).await?;
        flows::publish(state, &actor, f.id, &meta).await?;
    }
    Ok(scope)
}

async fn conversations(state: &AppState, scope: Scoped, n: usize) -> anyhow::Result<Vec<f64>> {
    let mut ms = Vec::with_capacity(n * 3);
    for i in 0..n {
        let mut conv = None;
        for text in ["hi", "1", "ann@example.com"] {
            let mut m = InboundMessage::new(
                Channel::Chat,
                format!("bench:{i}:{text}:{}", uuid::Uuid::new_v4().simple()),
                Sender {
                    kind: IdentifierKind::Email,
                    value: format!("visitor{i}@example.com"),
                    name: Some(format!("Visitor {i}")),
                },
                text.to_owned(),
            );
            m.thread = ThreadHint {
                conversation_id: conv,
                ..ThreadHint::default()
            };
            let t = Instant::now();
            let r = inbound::receive(state, scope, m).await?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            conv = Some(r.conversation_id);
        }
    }
    Ok(ms)
}

/// Runs the benchmark.
///
/// # Errors
/// Setup failures.
pub async fn run(a: FlowArgs) -> anyhow::Result<()> {
    let (per_call, per_step) = interpreter(a.runs);
    println!(
        "\ninterpreter: {} runs × 3 calls: {per_call:.2} µs per call, {per_step:.3} µs per step\n",
        a.runs
    );
    let dir = std::env::temp_dir().join(format!("sb-flows-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    println!("| pass | mean per customer message | p95 |");
    println!("|---|---|---|");
    for (i, (label, publish)) in [
        ("no flow (AI agent enqueue, routing)", false),
        ("a published flow runs each conversation", true),
    ]
    .into_iter()
    .enumerate()
    {
        let url = a.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                dir.join(format!("flows-{i}.db")).display()
            )
        });
        let cfg = app::services::Config {
            database_url: url,
            data_dir: dir.display().to_string(),
            ..Default::default()
        };
        let state = switchboard_server::runtime::build_state(cfg).await?;
        let scope = workspace(&state, publish).await?;
        conversations(&state, scope, 20.min(a.conversations)).await?;
        let mut v = conversations(&state, scope, a.conversations).await?;
        let (mean, p95) = super::rules::stats(&mut v);
        println!("| {label} | {mean:.2} ms | {p95:.2} ms |");
        state.db.close().await?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
