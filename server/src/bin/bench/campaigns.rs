//! `switchboard-bench campaigns`: what a campaign costs to run and to send.
//!
//! A workspace on a fresh SQLite file (or `--database-url`) with `--customers`
//! customers, a segment of all of them and a published campaign (Start → Send
//! email → End); quiet hours off, no cap, no rate.
//!
//! 1. **Enrol and step**: ticks until every customer has a run and every run
//!    has written its email (one `INSERT … SELECT` enrols them; each run is a
//!    transaction writing its email row and job): runs per second.
//! 2. **Send**: every email's send job (suppression, cap, quiet hours, rate,
//!    compose with tracked links, hand-over to the outbox) run `--workers` at a
//!    time: emails per second handed to the outbox. SMTP itself is the mail
//!    provider's speed and is not timed.

use app::services::campaigns::{runner, send};
use app::services::tenancy::Scoped;
use app::services::{campaigns, flows, segments, AppState, RequestMeta};
use app::types::{
    CampaignEntry, CanvasPoint, Cond, FlowEdge, FlowGraph, FlowNode, FlowSettingsForm,
    MarketingSettings, NodeKind, SegmentForm, FLOW_SCHEMA,
};
use entity::{campaign_send, customer};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use std::time::Instant;

/// Arguments of `campaigns`.
#[derive(Debug, clap::Args)]
pub struct CampaignArgs {
    /// Customers in the segment.
    #[arg(long, default_value_t = 5_000)]
    pub customers: usize,
    /// Send jobs at a time.
    #[arg(long, default_value_t = 4)]
    pub workers: usize,
    /// Database URL (default: a fresh SQLite file in the temp directory).
    #[arg(long)]
    pub database_url: Option<String>,
}

fn graph(segment: i32) -> FlowGraph {
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
        trigger: None,
        entry: Some(CampaignEntry {
            segment_id: Some(segment),
            existing: true,
            goal_segment_id: None,
            event: None,
        }),
        nodes: vec![
            n("start", NodeKind::Start),
            n(
                "launch",
                NodeKind::SendEmail {
                    subject: "We launched, {{ customer.first_name }}".into(),
                    body: "Hi {{ customer.first_name }},\n\nSee what is new: https://shop.example/new and https://shop.example/sale.\n\nThe team".into(),
                },
            ),
            n("end", NodeKind::End),
        ],
        edges: vec![e("start", "next", "launch"), e("launch", "next", "end")],
    }
}

async fn setup(state: &AppState, customers: usize) -> anyhow::Result<Scoped> {
    let owner = app::services::accounts::create_admin(
        state,
        &format!("bench-{}@switchboard.test", uuid::Uuid::new_v4().simple()),
        "Bench Owner",
        "bench-password-1",
        "Campaigns bench",
    )
    .await?;
    let actor =
        app::services::context::load_actor(&state.db, owner.user_id, owner.workspace_id).await?;
    let scope = Scoped::new(owner.workspace_id);
    let meta = RequestMeta::default();
    campaigns::save_settings(
        state,
        &actor,
        &MarketingSettings {
            cap_days: 0,
            quiet_start: None,
            quiet_end: None,
            per_minute: 100_000,
            ..MarketingSettings::default()
        },
        &meta,
    )
    .await?;
    let t = chrono::Utc::now();
    let rows: Vec<customer::ActiveModel> = (0..customers)
        .map(|i| customer::ActiveModel {
            workspace_id: Set(owner.workspace_id),
            name: Set(format!("Customer {i}")),
            email: Set(Some(format!("c{i}@example.com"))),
            created_at: Set(t),
            updated_at: Set(t),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(500) {
        customer::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&state.db)
            .await?;
    }
    let seg = segments::save(
        state,
        &actor,
        &SegmentForm {
            id: None,
            name: "Everyone".into(),
            description: String::new(),
            conditions: Cond::default(),
        },
        &meta,
    )
    .await?
    .id;
    let f = flows::save_settings(
        state,
        &actor,
        &FlowSettingsForm {
            id: None,
            name: "Launch".into(),
            kind: "campaign".into(),
            channels: Vec::new(),
            enabled: true,
        },
        &meta,
    )
    .await?;
    flows::save_draft(state, &actor, f.id, &graph(seg)).await?;
    flows::publish(state, &actor, f.id, &meta).await?;
    Ok(scope)
}

/// Runs the benchmark.
///
/// # Errors
/// Setup failures.
#[allow(clippy::cast_precision_loss, reason = "rates for a report")]
pub async fn run(a: CampaignArgs) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("sb-campaigns-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = a
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", dir.join("campaigns.db").display()));
    let cfg = app::services::Config {
        database_url: url,
        data_dir: dir.display().to_string(),
        ..Default::default()
    };
    let state = switchboard_server::runtime::build_state(cfg).await?;
    let scope = setup(&state, a.customers).await?;

    let t = Instant::now();
    let (mut enrolled, mut stepped) = (0, 0);
    loop {
        let r = runner::tick(&state).await?;
        enrolled += r.enrolled;
        stepped += r.stepped;
        if r.stepped == 0 && r.enrolled == 0 {
            break;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "\n| step | count | time | rate |\n|---|---|---|---|\n| enrol and step (each run writes its email and job) | {stepped} runs ({enrolled} enrolled) | {secs:.2} s | {:.0} runs/s |",
        stepped as f64 / secs
    );

    let ids: Vec<i32> = scope
        .find::<campaign_send::Entity>()
        .filter(campaign_send::Column::Status.eq("queued"))
        .select_only()
        .column(campaign_send::Column::Id)
        .into_tuple()
        .all(&state.db)
        .await?;
    let n = ids.len();
    let t = Instant::now();
    let chunks: Vec<Vec<i32>> = ids
        .chunks(n.div_ceil(a.workers.max(1)).max(1))
        .map(<[i32]>::to_vec)
        .collect();
    let mut set = tokio::task::JoinSet::new();
    for chunk in chunks {
        let state = state.clone();
        set.spawn(async move {
            let mut sent = 0_usize;
            for id in chunk {
                if send::deliver(&state, scope, id, chrono::Utc::now()).await?
                    == send::Outcome::Sent
                {
                    sent += 1;
                }
            }
            anyhow::Ok(sent)
        });
    }
    let mut sent = 0;
    while let Some(r) = set.join_next().await {
        sent += r??;
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "| send jobs, {} at a time (checks, compose, outbox) | {sent} of {n} emails | {secs:.2} s | {:.0} emails/s |",
        a.workers,
        sent as f64 / secs
    );
    state.db.close().await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
