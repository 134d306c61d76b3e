//! `switchboard-bench`: the inbox load benchmark (docs/benchmarks.md).
//!
//! - `generate` fills a database (SQLite or PostgreSQL) with one large workspace:
//!   customers, conversations, messages, plus an owner, agents, teams, tags, the
//!   default views and an API key;
//! - `run` measures a running release server: the inbox page (SSR), the REST list,
//!   full-text search and message creation, and prints a markdown table;
//! - `widget-latency` times chat messages from a widget socket to an agent socket;
//! - `ai-eval` runs the AI agent's evaluation set and times its pipeline;
//! - `actions` times proposal → execution of AI actions and MCP tool calls;
//! - `rules` times the pipeline stages (rules, SLA) per inbound message;
//! - `flows` times the flow engine; `campaigns` a campaign's runs and sends;
//! - `store` times the storefront's pages at catalog scale.

#![allow(clippy::print_stdout, reason = "a command-line report")]

/// The same allocator as the server, so the load generator takes as little of the
/// shared cores as it can.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "bench/actions.rs"]
mod actions;
#[path = "bench/ai_eval.rs"]
mod ai_eval;
#[path = "bench/campaigns.rs"]
mod campaigns;
#[path = "bench/flows.rs"]
mod flows;
#[path = "bench/generate.rs"]
mod generate;
#[path = "bench/reports.rs"]
mod reports;
#[path = "bench/rules.rs"]
mod rules;
#[path = "bench/run.rs"]
mod run;
#[path = "bench/store.rs"]
mod store;
#[path = "bench/text.rs"]
mod text;
#[path = "bench/widget.rs"]
mod widget;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "switchboard-bench", about = "Switchboard inbox load benchmark")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate a large workspace into a database (migrating it first).
    Generate(generate::GenArgs),
    /// Measure a running server.
    Run(run::RunArgs),
    /// Chat latency: widget visitor socket → agent socket, on a running server.
    WidgetLatency(widget::LatencyArgs),
    /// The AI agent's evaluation harness (labelled messages) and pipeline timing.
    AiEval(ai_eval::EvalArgs),
    /// AI actions: proposal → execution, and MCP tool-call latency.
    Actions(actions::ActionsArgs),
    /// Report builder timings over a generated workspace, in-process.
    Reports(reports::ReportArgs),
    /// Pipeline stages (rules, SLA) per inbound message, in-process.
    Rules(rules::RulesArgs),
    /// The flow engine: the interpreter per step, the runner per message.
    Flows(flows::FlowArgs),
    /// Campaigns: enrolling and stepping runs, and sending their email.
    Campaigns(campaigns::CampaignArgs),
    /// The storefront's pages at catalog scale (service + HTML).
    Store(store::StoreArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Generate(a) => generate::generate(a).await,
        Command::Run(a) => run::run(a).await,
        Command::WidgetLatency(a) => widget::run(a).await,
        Command::AiEval(a) => ai_eval::run(a).await,
        Command::Actions(a) => actions::run(a).await,
        Command::Reports(a) => reports::run(a).await,
        Command::Rules(a) => rules::run(a).await,
        Command::Flows(a) => flows::run(a).await,
        Command::Campaigns(a) => campaigns::run(a).await,
        Command::Store(a) => store::run(a).await,
    }
}
