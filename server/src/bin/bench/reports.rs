//! `switchboard-bench reports`: report builder timings over a generated
//! workspace (`generate` first), in-process through the service a request
//! calls: each report definition `--runs` times after one warm-up, and the
//! drill-down behind a point. Prints a markdown table of p50 and p95 per report.

use anyhow::Context;
use app::services::context::load_actor;
use app::services::reports;
use app::services::Config;
use app::types::{ChartKind, Group, Metric, ReportFilters, ReportSpec};
use sea_orm::{ConnectionTrait, Statement};
use std::time::Instant;

/// Arguments of `reports`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The generated database.
    #[arg(long)]
    pub database_url: String,
    /// Timed runs per report (after one warm-up).
    #[arg(long, default_value_t = 10)]
    pub runs: usize,
}

fn spec(metric: Metric, group: Group, split: Group, days: i64, chart: ChartKind) -> ReportSpec {
    ReportSpec {
        metric,
        group,
        split,
        days,
        filters: ReportFilters::default(),
        chart,
    }
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Runs the report timings.
///
/// # Errors
/// Connection, migration, or a report failing.
pub async fn run(a: ReportArgs) -> anyhow::Result<()> {
    let cfg = Config {
        database_url: a.database_url.clone(),
        statement_timeout_ms: 0,
        ..Config::default()
    };
    let state = switchboard_server::runtime::build_state(cfg).await?;
    let db = &state.db;
    let backend = db.get_database_backend();
    let row = db
        .query_one(Statement::from_string(
            backend,
            "SELECT m.user_id, m.workspace_id FROM memberships m \
             WHERE m.role = 'owner' ORDER BY (SELECT COUNT(*) FROM conversations c WHERE c.workspace_id = m.workspace_id) DESC LIMIT 1",
        ))
        .await?
        .context("no workspace: run `switchboard-bench generate` first")?;
    let (user, ws): (i32, i32) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
    let actor = load_actor(db, user, ws)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let total: i64 = db
        .query_one(Statement::from_string(
            backend,
            format!("SELECT COUNT(*) FROM conversations WHERE workspace_id = {ws}"),
        ))
        .await?
        .context("count")?
        .try_get_by_index(0)?;
    println!(
        "workspace {ws}: {total} conversations; {} runs each after a warm-up\n",
        a.runs
    );
    let cases = [
        (
            "tickets by day, 30 days",
            spec(
                Metric::Tickets,
                Group::Day,
                Group::Nothing,
                30,
                ChartKind::Bar,
            ),
        ),
        (
            "tickets by week, 365 days",
            spec(
                Metric::Tickets,
                Group::Week,
                Group::Nothing,
                365,
                ChartKind::Line,
            ),
        ),
        (
            "first response by channel, 365 days",
            spec(
                Metric::FirstResponse,
                Group::Channel,
                Group::Nothing,
                365,
                ChartKind::Bar,
            ),
        ),
        (
            "resolution time by agent, 90 days",
            spec(
                Metric::Resolution,
                Group::Agent,
                Group::Nothing,
                90,
                ChartKind::Bar,
            ),
        ),
        (
            "replies per ticket by priority, 30 days",
            spec(
                Metric::Replies,
                Group::Priority,
                Group::Nothing,
                30,
                ChartKind::Bar,
            ),
        ),
        (
            "CSAT, 365 days",
            spec(
                Metric::Csat,
                Group::Nothing,
                Group::Nothing,
                365,
                ChartKind::Number,
            ),
        ),
        (
            "tickets by tag, 90 days",
            spec(
                Metric::Tickets,
                Group::Tag,
                Group::Nothing,
                90,
                ChartKind::Bar,
            ),
        ),
        (
            "backlog by priority × channel, 365 days",
            spec(
                Metric::Backlog,
                Group::Priority,
                Group::Channel,
                365,
                ChartKind::Stacked,
            ),
        ),
        (
            "AI resolution rate by month, 365 days",
            spec(
                Metric::AiResolution,
                Group::Month,
                Group::Nothing,
                365,
                ChartKind::Line,
            ),
        ),
        (
            "first response by team × priority, email only, 365 days",
            ReportSpec {
                filters: ReportFilters {
                    channel: Some("email".into()),
                    ..ReportFilters::default()
                },
                ..spec(
                    Metric::FirstResponse,
                    Group::Team,
                    Group::Priority,
                    365,
                    ChartKind::Bar,
                )
            },
        ),
        (
            "tickets by day × channel, 365 days",
            spec(
                Metric::Tickets,
                Group::Day,
                Group::Channel,
                365,
                ChartKind::Stacked,
            ),
        ),
    ];
    println!("| report | conversations counted | p50 | p95 |");
    println!("|---|---:|---:|---:|");
    let mut all = Vec::new();
    for (name, s) in &cases {
        let mut times = Vec::with_capacity(a.runs);
        let mut counted = 0;
        for i in 0..=a.runs {
            let t = Instant::now();
            let r = reports::run(db, &actor, s)
                .await
                .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            if i > 0 {
                times.push(ms(t.elapsed()));
            }
            counted = r.total_count;
        }
        times.sort_by(f64::total_cmp);
        all.extend(times.iter().copied());
        println!(
            "| {name} | {counted} | {:.0} ms | {:.0} ms |",
            pct(&times, 0.5),
            pct(&times, 0.95)
        );
    }
    let drill = spec(
        Metric::Tickets,
        Group::Channel,
        Group::Nothing,
        365,
        ChartKind::Bar,
    );
    let mut times = Vec::new();
    let mut listed = 0;
    for i in 0..=a.runs {
        let t = Instant::now();
        let d = reports::drill(db, &actor, &drill, "email", "")
            .await
            .map_err(|e| anyhow::anyhow!("drill: {e}"))?;
        if i > 0 {
            times.push(ms(t.elapsed()));
        }
        listed = d.total;
    }
    times.sort_by(f64::total_cmp);
    all.extend(times.iter().copied());
    println!("| drill-down: email tickets, 365 days (count + newest 200) | {listed} | {:.0} ms | {:.0} ms |", pct(&times, 0.5), pct(&times, 0.95));
    all.sort_by(f64::total_cmp);
    println!(
        "\nall reports: p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms",
        pct(&all, 0.5),
        pct(&all, 0.95),
        all.last().copied().unwrap_or(0.0)
    );
    let t = Instant::now();
    let check = reports::predict::evaluate(db, &actor, 365)
        .await
        .map_err(|e| anyhow::anyhow!("prediction check: {e}"))?;
    let f = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |v| format!("{v:.3}"));
    println!(
        "\nsatisfaction prediction against {} survey answers ({:.1} s): AUC {}, accuracy {} (guessing {}), MAE {} (guessing the mean {})",
        check.answers,
        t.elapsed().as_secs_f64(),
        f(check.auc),
        f(check.accuracy),
        f(check.baseline_accuracy),
        f(check.mae),
        f(check.baseline_mae),
    );
    Ok(())
}
