//! `switchboard-bench rules`: what the pipeline stages cost per inbound message,
//! in-process on a fresh SQLite database (or `--database-url`).
//!
//! A workspace gets `--rules` enabled triggers (each with a nested condition
//! group of four tests over the message, customer and ticket; one in twenty
//! matches and tags the ticket) and three SLA policies with a business-hours
//! schedule. The same number of customer emails then go through the one inbound
//! path four times: with no stages, with the rules stage only, with rules, SLA
//! and the AI agent's enqueue, and with the standard stages (those and routing:
//! a round-robin queue over `--agents` online agents, so every ticket is
//! assigned). Agents solve their tickets every 50 messages (untimed), so they
//! hold a few open tickets each, as in a working inbox.
//! Prints markdown rows with the mean and p95 per message and the rules stage's
//! share.

use anyhow::Context;
use app::services::channels::inbound::{self, InboundMessage, Sender};
use app::services::stages::Stages;
use app::services::tenancy::Scoped;
use app::services::{automation, hours, routing, AppState};
use app::types::{
    AgentRoutingForm, Channel, Cond, CondOp, IdentifierKind, OpenHours, QueueForm, RoutingStrategy,
    RuleAction, RuleEvent, RuleForm, RuleKind, ScheduleForm, SlaPolicyForm,
};
use std::sync::Arc;
use std::time::Instant;

/// Arguments of `rules`.
#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    /// Enabled triggers in the workspace.
    #[arg(long, default_value_t = 200)]
    pub rules: usize,
    /// One trigger in this many matches the messages and tags the ticket (0:
    /// none matches, so only the evaluation is timed).
    #[arg(long, default_value_t = 20)]
    pub match_every: usize,
    /// Customer messages per pass.
    #[arg(long, default_value_t = 1000)]
    pub messages: usize,
    /// Online agents in the routing queue.
    #[arg(long, default_value_t = 5)]
    pub agents: usize,
    /// Database URL (default: a fresh SQLite file in the temp directory).
    #[arg(long)]
    pub database_url: Option<String>,
}

fn test(field: &str, op: CondOp, value: &str) -> Cond {
    Cond::Test {
        field: field.into(),
        op,
        value: value.into(),
    }
}

fn rule(i: usize, every: usize) -> RuleForm {
    let matching = every > 0 && i.is_multiple_of(every);
    let word = if matching {
        "order".to_owned()
    } else {
        format!("zq{i}")
    };
    RuleForm {
        id: None,
        name: format!("Rule {i:03}"),
        description: String::new(),
        kind: RuleKind::Trigger,
        events: vec![RuleEvent::TicketCreated, RuleEvent::MessageReceived],
        conditions: Cond::Group {
            any: false,
            items: vec![
                test("ticket.status", CondOp::IsNot, "closed"),
                Cond::Group {
                    any: true,
                    items: vec![
                        test("message.text", CondOp::Contains, &word),
                        test("customer.email", CondOp::StartsWith, &word),
                        test("ticket.tags", CondOp::Includes, &word),
                    ],
                },
            ],
        },
        actions: vec![RuleAction::AddTags {
            tags: vec![format!("r{i}")],
        }],
        enabled: true,
    }
}

async fn seed(
    state: &AppState,
    n: usize,
    every: usize,
    agents: usize,
) -> anyhow::Result<(app::services::Actor, Scoped)> {
    let owner = app::services::accounts::create_admin(
        state,
        &format!("bench-{}@switchboard.test", uuid::Uuid::new_v4().simple()),
        "Bench Owner",
        "bench-password-1",
        "Rules bench",
    )
    .await?;
    let actor =
        app::services::context::load_actor(&state.db, owner.user_id, owner.workspace_id).await?;
    let meta = app::services::RequestMeta::default();
    for i in 0..n {
        automation::save(state, &actor, &rule(i, every), &meta)
            .await
            .with_context(|| format!("saving rule {i}"))?;
    }
    let s = hours::save_schedule(
        state,
        &actor,
        &ScheduleForm {
            id: None,
            name: "Office".into(),
            time_zone: "Europe/Berlin".into(),
            hours: (0..5)
                .map(|day| OpenHours {
                    day,
                    open: "08:00".into(),
                    close: "18:00".into(),
                })
                .collect(),
            holidays: vec![],
        },
    )
    .await?;
    for (name, prios) in [
        ("Urgent", vec!["urgent".to_owned()]),
        ("High", vec!["high".to_owned()]),
        ("Standard", vec![]),
    ] {
        hours::save_policy(
            state,
            &actor,
            &SlaPolicyForm {
                id: None,
                name: name.into(),
                priorities: prios,
                tag: String::new(),
                schedule_id: Some(s.id),
                first_response_mins: Some(240),
                next_response_mins: Some(480),
                resolution_mins: Some(2400),
                warn_mins: 30,
                enabled: true,
            },
        )
        .await?;
    }
    let scope = actor.scope;
    // Routing: one round-robin queue over the owner and `agents - 1` agents.
    for i in 1..agents {
        let u = app::services::accounts::create_invited_user(
            &state.db,
            &format!(
                "agent{i}-{}@switchboard.test",
                uuid::Uuid::new_v4().simple()
            ),
            &format!("Agent {i}"),
            "bench-password-1",
        )
        .await?;
        app::services::accounts::add_membership(
            &state.db,
            scope,
            u.id,
            app::permissions::Role::Agent,
        )
        .await?;
    }
    for a in routing::page(state, &actor).await?.agents {
        routing::save_agent(
            state,
            &actor,
            &AgentRoutingForm {
                user_id: a.user_id,
                skills: vec![],
                capacity: vec![("email".into(), 20)],
            },
        )
        .await?;
    }
    routing::save_queue(
        state,
        &actor,
        &QueueForm {
            name: "All email".into(),
            channels: vec!["email".into()],
            strategy: RoutingStrategy::RoundRobin.as_str().into(),
            enabled: true,
            ..QueueForm::default()
        },
    )
    .await?;
    Ok((actor, scope))
}

/// Solves every open ticket (capacity back for the next pass).
async fn solve_all(state: &AppState) -> anyhow::Result<()> {
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, QueryFilter};
    app::services::tenancy::System::new("bench: free capacity between passes")
        .update_many::<entity::conversation::Entity>()
        .col_expr(entity::conversation::Column::Status, Expr::value("solved"))
        .filter(entity::conversation::Column::Status.is_in(["new", "open"]))
        .exec(&state.db)
        .await?;
    Ok(())
}

async fn pass(state: &AppState, scope: Scoped, label: &str, n: usize) -> anyhow::Result<Vec<f64>> {
    let mut ms = Vec::with_capacity(n);
    for i in 0..n {
        let mut m = InboundMessage::new(
            Channel::Email,
            format!("bench:{label}:{i}:{}", uuid::Uuid::new_v4().simple()),
            Sender {
                kind: IdentifierKind::Email,
                value: format!("customer{}@example.com", i % 500),
                name: Some(format!("Customer {}", i % 500)),
            },
            format!("Hello, question {i} about my order and the delivery date."),
        );
        m.subject = format!("Question {i}");
        let t = Instant::now();
        inbound::receive(state, scope, m).await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        // Agents work their tickets (untimed): open work stays at a few
        // tickets each, as in a working inbox.
        if i % 50 == 49 {
            solve_all(state).await?;
        }
    }
    Ok(ms)
}

/// Mean and p95 of timings in ms (sorts them).
pub fn stats(v: &mut [f64]) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    #[allow(clippy::cast_precision_loss)]
    let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let p95 = v
        .get(((v.len() as f64) * 0.95) as usize)
        .copied()
        .unwrap_or_default();
    (mean, p95)
}

/// Runs the benchmark.
///
/// # Errors
/// Setup failures.
pub async fn run(a: RulesArgs) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("sb-rules-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let rules = || -> Arc<dyn app::services::stages::Stage> {
        Arc::new(automation::engine::RulesStage::default())
    };
    let up_to_ai = || {
        Stages::none()
            .then(rules())
            .then(Arc::new(hours::sla::SlaStage))
            .then(Arc::new(app::services::ai::pipeline::AiStage))
    };
    let passes: Vec<(&str, Stages)> = vec![
        ("no stages", Stages::none()),
        ("rules stage only", Stages::none().then(rules())),
        ("rules, SLA, AI enqueue", up_to_ai()),
        (
            "rules, SLA, AI enqueue, routing",
            up_to_ai().then(Arc::new(app::services::routing::engine::RoutingStage)),
        ),
        (
            "standard stages (rules, SLA, AI enqueue, routing, notify)",
            app::services::wiring::standard_stages(),
        ),
    ];
    let mut rows = Vec::new();
    // Each pass on a database of its own (a fresh SQLite file; with
    // --database-url, a fresh workspace), so no pass pays for the rows an
    // earlier one left behind.
    for (i, (label, stages)) in passes.into_iter().enumerate() {
        let url = a.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                dir.join(format!("rules-{i}.db")).display()
            )
        });
        let cfg = app::services::Config {
            database_url: url,
            data_dir: dir.display().to_string(),
            ..Default::default()
        };
        let base = switchboard_server::runtime::build_state(cfg).await?;
        let (_, scope) = seed(&base, a.rules, a.match_every, a.agents.max(1)).await?;
        let state = AppState {
            stages: Arc::new(stages),
            ..base.clone()
        };
        // Warm up (statement caches, the first pages of each table).
        pass(&state, scope, "warm", 50.min(a.messages)).await?;
        solve_all(&base).await?;
        let mut v = pass(&state, scope, label, a.messages).await?;
        let (mean, p95) = stats(&mut v);
        #[allow(clippy::cast_precision_loss)]
        let rate = 1000.0 / mean;
        rows.push((label, mean, p95, rate));
        base.db.close().await?;
    }
    let firing = if a.match_every == 0 {
        0
    } else {
        a.rules.div_ceil(a.match_every)
    };
    println!(
        "\n{} enabled triggers ({firing} of them fire on each message), 3 SLA policies, a round-robin queue of {} agents, {} customer emails per pass, one writer (sequential)\n",
        a.rules, a.agents, a.messages
    );
    println!("| stages | mean per message | p95 | messages/s (one writer) |");
    println!("|---|---|---|---|");
    for (label, mean, p95, rate) in &rows {
        println!("| {label} | {mean:.2} ms | {p95:.2} ms | {rate:.0} |");
    }
    let rules_cost = rows[1].1 - rows[0].1;
    let routing_cost = rows[3].1 - rows[2].1;
    let notify_cost = rows[4].1 - rows[3].1;
    println!(
        "\nRule evaluation (the rules stage) costs {rules_cost:.2} ms per message with {} triggers; routing {routing_cost:.2} ms; telling the assignee (notify) {notify_cost:.2} ms.",
        a.rules
    );
    Ok(())
}
