//! Campaign runs: a minute's tick enrols each live campaign's new segment
//! members, steps the runs whose Wait is over (through the same interpreter as
//! chatbot flows and workflows) and counts conversions.
//!
//! - **Enrolment** is one `INSERT … SELECT` per campaign: the segment's
//!   members (the segment's own SQL) without a run in this campaign get one,
//!   waiting from now. A customer goes through a campaign once (a unique
//!   index). When a campaign is first published with "new members only", its
//!   current members get a `skipped` run instead, so they never enter.
//! - **Stepping** takes due runs in batches; each run is stepped in its own
//!   unit of work, claimed by bumping its timer number (two workers never step
//!   the same run). A Send email step writes its email row and job in that same
//!   transaction ([`super::send::write`]), so a crash anywhere leaves either
//!   the old state (stepped again) or the new one (with its email queued).
//! - **In-app messages**: an In-app message step writes its send
//!   (`waiting`) in the same unit of work; the widget shows it on the
//!   customer's next visit; one that waits [`crate::types::IN_APP_DAYS`]
//!   lapses.
//! - **Conversions**: a sent email (or a seen in-app message) converts when its customer is in the
//!   campaign's goal segment within [`CONVERSION_DAYS`] of it.

use super::{run_status, send, send_status, KIND};
use crate::services::jobs::{self, NewJob};
use crate::services::tenancy::{Scoped, System};
use crate::services::uow::UnitOfWork;
use crate::services::{now, segments, AppState, ServiceError, ServiceResult};
use crate::types::{
    advance, begin, FlowGraph, OrderStatus, RunEffect, RunInput, RunState, RunStatus,
    CONVERSION_DAYS,
};
use chrono::Duration;
use entity::{campaign_run, campaign_send, customer, flow, order};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Set,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// The tick's job kind (every minute, and right after a campaign is published).
pub const TICK_JOB: &str = "campaign.tick";
/// Runs stepped per batch.
const BATCH: u64 = 200;
/// Batches per tick before it hands over to a fresh tick job.
const BATCHES_PER_TICK: usize = 10;
/// Minutes before a run whose step failed is tried again.
const RETRY_MINUTES: i64 = 5;

/// What one tick did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Runs started.
    pub enrolled: u64,
    /// Runs stepped.
    pub stepped: u64,
    /// Emails newly counted as converted.
    pub converted: u64,
}

/// Handler of the tick job.
///
/// # Errors
/// A message for the job log (the next tick tries again).
pub async fn run_tick_job(state: &AppState) -> Result<(), String> {
    tick(state).await.map(|_| ()).map_err(|e| e.to_string())
}

type Graphs = HashMap<(i32, i32), Arc<FlowGraph>>;

async fn graph(
    db: &impl ConnectionTrait,
    scope: Scoped,
    cache: &mut Graphs,
    flow_id: i32,
    version: i32,
) -> ServiceResult<Option<Arc<FlowGraph>>> {
    if let Some(g) = cache.get(&(flow_id, version)) {
        return Ok(Some(g.clone()));
    }
    let Some(g) = crate::services::flows::version_graph(db, scope, flow_id, version).await? else {
        return Ok(None);
    };
    let g = Arc::new(g);
    cache.insert((flow_id, version), g.clone());
    Ok(Some(g))
}

/// Enrols, steps and counts conversions for every workspace's live campaigns.
///
/// # Errors
/// Database errors.
pub async fn tick(state: &AppState) -> ServiceResult<TickReport> {
    let sys = System::new("the campaign tick runs every workspace's campaigns");
    let db = &state.db;
    let flows = sys
        .find::<flow::Entity>()
        .filter(flow::Column::Kind.eq(KIND))
        .filter(flow::Column::Enabled.eq(true))
        .filter(flow::Column::PublishedVersion.is_not_null())
        .all(db)
        .await?;
    let mut report = TickReport::default();
    let mut cache = Graphs::new();
    for f in &flows {
        let scope = Scoped::new(f.workspace_id);
        let Some(version) = f.published_version else {
            continue;
        };
        let g = match graph(db, scope, &mut cache, f.id, version).await {
            Ok(Some(g)) => g,
            Ok(None) => continue,
            Err(e) => {
                tracing::error!(campaign = f.id, error = %e, "campaign version unreadable");
                continue;
            }
        };
        let Some(entry) = g.entry.clone() else {
            continue;
        };
        // One campaign's failure (its segment, the database) is logged and
        // does not hold up the others.
        // A campaign started by a site event takes customers in as the event
        // arrives ([`on_event`]); its segment only narrows who.
        if let (Some(seg), None) = (entry.segment_id, &entry.event) {
            match enrol_now(state, scope, f.id, version, seg).await {
                Ok(n) => report.enrolled += n,
                Err(e) => tracing::error!(campaign = f.id, error = %e, "campaign enrolment failed"),
            }
        }
        if let Some(goal) = entry.goal_segment_id {
            match conversions(state, scope, f.id, goal).await {
                Ok(n) => report.converted += n,
                Err(e) => {
                    tracing::error!(campaign = f.id, error = %e, "campaign conversions failed")
                }
            }
        }
    }
    if let Err(e) = send::lapse_in_app(db).await {
        tracing::error!(error = %e, "in-app sends could not lapse");
    }
    let mut full = false;
    for _ in 0..BATCHES_PER_TICK {
        let due: Vec<(i32, i32)> = sys
            .find::<campaign_run::Entity>()
            .filter(campaign_run::Column::Status.eq(run_status::WAITING))
            .filter(campaign_run::Column::WakeAt.lte(now()))
            .order_by_asc(campaign_run::Column::WakeAt)
            .order_by_asc(campaign_run::Column::Id)
            .limit(BATCH)
            .select_only()
            .column(campaign_run::Column::Id)
            .column(campaign_run::Column::WorkspaceId)
            .into_tuple()
            .all(db)
            .await?;
        for (id, ws) in &due {
            match step(state, Scoped::new(*ws), *id, &mut cache).await {
                Ok(true) => report.stepped += 1,
                Ok(false) => {}
                // A run that cannot be stepped now is tried again later, behind
                // the others, so it never holds up the queue.
                Err(e) => {
                    tracing::error!(run = id, error = %e, "campaign run step failed");
                    sys.update_many::<campaign_run::Entity>()
                        .col_expr(
                            campaign_run::Column::WakeAt,
                            Expr::value(Some(now() + Duration::minutes(RETRY_MINUTES))),
                        )
                        .filter(campaign_run::Column::Id.eq(*id))
                        .exec(db)
                        .await?;
                }
            }
        }
        full = due.len() as u64 == BATCH;
        if !full {
            break;
        }
    }
    if full {
        // More are due: a fresh tick carries on (and lets other jobs in).
        jobs::enqueue(
            db,
            &state.config.jobs,
            NewJob::new(TICK_JOB, serde_json::json!({ "more": true })),
        )
        .await?;
    }
    Ok(report)
}

async fn enrol_now(
    state: &AppState,
    scope: Scoped,
    flow_id: i32,
    version: i32,
    seg: i32,
) -> ServiceResult<u64> {
    let uow = UnitOfWork::begin(state).await?;
    let n = enrol(&*uow, scope, flow_id, version, seg, run_status::WAITING).await?;
    uow.commit().await?;
    Ok(n)
}

/// Gives every member of segment `seg` without a run in this campaign one,
/// with `status` (waiting from now, or skipped). One statement.
///
/// # Errors
/// Database errors.
pub async fn enrol(
    db: &impl ConnectionTrait,
    scope: Scoped,
    flow_id: i32,
    version: i32,
    seg: i32,
    status: &str,
) -> ServiceResult<u64> {
    let t = now();
    let Some(members) = segments::members(db, scope, seg, t).await? else {
        return Ok(0);
    };
    let waiting = status == run_status::WAITING;
    let select = members
        .filter(
            customer::Column::Id.not_in_subquery(
                Query::select()
                    .column(campaign_run::Column::CustomerId)
                    .from(campaign_run::Entity)
                    .and_where(Expr::col(campaign_run::Column::FlowId).eq(flow_id))
                    .to_owned(),
            ),
        )
        .select_only()
        .column(customer::Column::WorkspaceId)
        .expr(Expr::val(flow_id))
        .expr(Expr::val(version))
        .column(customer::Column::Id)
        .expr(Expr::val(""))
        .expr(Expr::val(status))
        .expr(Expr::val("{}"))
        .expr(Expr::val(0))
        .expr(Expr::val(0))
        .expr(Expr::val(waiting.then_some(t)))
        .expr(Expr::val(t))
        .expr(Expr::val(t))
        .expr(Expr::val((!waiting).then_some(t)))
        .into_query();
    let insert = Query::insert()
        .into_table(campaign_run::Entity)
        .columns([
            campaign_run::Column::WorkspaceId,
            campaign_run::Column::FlowId,
            campaign_run::Column::Version,
            campaign_run::Column::CustomerId,
            campaign_run::Column::Node,
            campaign_run::Column::Status,
            campaign_run::Column::Vars,
            campaign_run::Column::Steps,
            campaign_run::Column::TimerSeq,
            campaign_run::Column::WakeAt,
            campaign_run::Column::StartedAt,
            campaign_run::Column::UpdatedAt,
            campaign_run::Column::EndedAt,
        ])
        .select_from(select)
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        // Two ticks at once (the minute's and a publication's) enrol a
        // customer once.
        .on_conflict(
            OnConflict::columns([
                campaign_run::Column::FlowId,
                campaign_run::Column::CustomerId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .to_owned();
    let r = db.execute(db.get_database_backend().build(&insert)).await?;
    Ok(r.rows_affected())
}

/// A site event arrived for a customer: every live campaign that starts with
/// it takes them in (once; if it has a segment, only its members), waiting
/// from now, so the next tick steps them. Returns how many runs began.
///
/// # Errors
/// Database errors.
pub async fn on_event(
    state: &AppState,
    scope: Scoped,
    customer_id: i32,
    name: &str,
) -> ServiceResult<u64> {
    let db = &state.db;
    let flows = scope
        .find::<flow::Entity>()
        .filter(flow::Column::Kind.eq(KIND))
        .filter(flow::Column::Enabled.eq(true))
        .filter(flow::Column::PublishedVersion.is_not_null())
        .all(db)
        .await?;
    let mut cache = Graphs::new();
    let mut begun = 0;
    for f in flows {
        let Some(version) = f.published_version else {
            continue;
        };
        let Some(g) = graph(db, scope, &mut cache, f.id, version).await? else {
            continue;
        };
        let Some(entry) = &g.entry else {
            continue;
        };
        if entry.event.as_deref() != Some(name) {
            continue;
        }
        if let Some(seg) = entry.segment_id {
            let member = segments::memberships(db, scope, &BTreeSet::from([seg]), customer_id)
                .await?
                .get(&seg)
                .copied()
                .unwrap_or(false);
            if !member {
                continue;
            }
        }
        let t = now();
        let run = campaign_run::ActiveModel {
            workspace_id: Set(scope.workspace_id()),
            flow_id: Set(f.id),
            version: Set(version),
            customer_id: Set(customer_id),
            node: Set(String::new()),
            status: Set(run_status::WAITING.to_owned()),
            vars: Set("{}".to_owned()),
            steps: Set(0),
            timer_seq: Set(0),
            wake_at: Set(Some(t)),
            started_at: Set(t),
            updated_at: Set(t),
            ended_at: Set(None),
            ..Default::default()
        };
        begun += campaign_run::Entity::insert(run)
            .on_conflict(
                OnConflict::columns([
                    campaign_run::Column::FlowId,
                    campaign_run::Column::CustomerId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(begun)
}

/// After a campaign's first publication: its segment's current members enter
/// (at the next tick) or, for "new members only", are set aside for good.
///
/// # Errors
/// Database errors.
pub async fn on_first_publish(
    uow: &mut UnitOfWork,
    scope: Scoped,
    flow_id: i32,
    version: i32,
    graph: &FlowGraph,
) -> ServiceResult<()> {
    let Some(entry) = &graph.entry else {
        return Ok(());
    };
    if let (Some(seg), false, None) = (entry.segment_id, entry.existing, &entry.event) {
        enrol(&**uow, scope, flow_id, version, seg, run_status::SKIPPED).await?;
    }
    let mut job = NewJob::new(TICK_JOB, serde_json::json!({ "published": flow_id }));
    job.workspace_id = Some(scope.workspace_id());
    jobs::enqueue(&**uow, &uow.state().config.jobs, job).await?;
    uow.jobs_enqueued();
    Ok(())
}

/// What a campaign's steps read: the customer, the segments it tests, and
/// whether this run's emails were opened or clicked.
async fn facts(
    db: &impl ConnectionTrait,
    scope: Scoped,
    graph: &FlowGraph,
    run: &campaign_run::Model,
    c: &customer::Model,
) -> ServiceResult<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    out.insert("customer.name".into(), c.name.clone());
    out.insert(
        "customer.first_name".into(),
        c.name
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned(),
    );
    out.insert("customer.email".into(), c.email.clone().unwrap_or_default());
    out.insert(
        "customer.company".into(),
        c.company.clone().unwrap_or_default(),
    );
    out.extend(segments::flow_facts(db, scope, graph, c.id).await?);
    let sends = scope
        .find::<campaign_send::Entity>()
        .filter(campaign_send::Column::RunId.eq(run.id))
        .all(db)
        .await?;
    let yes = |b: bool| if b { "yes" } else { "no" }.to_owned();
    out.insert(
        "campaign.opened".into(),
        yes(sends.iter().any(|s| s.opened_at.is_some())),
    );
    out.insert(
        "campaign.clicked".into(),
        yes(sends.iter().any(|s| s.clicked_at.is_some())),
    );
    // An order placed since the customer entered (not cancelled).
    if graph.tests_subject("campaign.ordered") {
        let ordered = scope
            .find::<order::Entity>()
            .filter(order::Column::CustomerId.eq(c.id))
            .filter(order::Column::PlacedAt.gte(run.started_at))
            .filter(order::Column::Status.ne(OrderStatus::Cancelled.as_str()))
            .count(db)
            .await?;
        out.insert("campaign.ordered".into(), yes(ordered > 0));
    }
    // The pages they saw since they entered, one per line.
    if graph.tests_subject("campaign.visited") {
        out.insert(
            "campaign.visited".into(),
            crate::services::behaviour::pages_since(db, scope, c.id, run.started_at)
                .await?
                .join("\n"),
        );
    }
    Ok(out)
}

/// Steps one due run; false when another worker had it or it is not due.
async fn step(state: &AppState, scope: Scoped, id: i32, cache: &mut Graphs) -> ServiceResult<bool> {
    let mut uow = UnitOfWork::begin(state).await?;
    let Some(run) = scope
        .find::<campaign_run::Entity>()
        .filter(campaign_run::Column::Id.eq(id))
        .filter(campaign_run::Column::Status.eq(run_status::WAITING))
        .one(&*uow)
        .await?
    else {
        return Ok(false);
    };
    if run.wake_at.is_none_or(|w| w > now()) {
        return Ok(false);
    }
    // Claim it: a second worker's update finds the number changed.
    let claimed = scope
        .update_many::<campaign_run::Entity>()
        .col_expr(
            campaign_run::Column::TimerSeq,
            Expr::value(run.timer_seq + 1),
        )
        .filter(campaign_run::Column::Id.eq(id))
        .filter(campaign_run::Column::TimerSeq.eq(run.timer_seq))
        .exec(&*uow)
        .await?
        .rows_affected;
    if claimed == 0 {
        return Ok(false);
    }
    let t = now();
    let g = graph(&*uow, scope, cache, run.flow_id, run.version).await?;
    let customer = scope
        .find::<customer::Entity>()
        .filter(customer::Column::Id.eq(run.customer_id))
        .one(&*uow)
        .await?;
    let (Some(g), Some(customer)) = (g, customer) else {
        // The version or the customer is gone: the run ends.
        finish(&*uow, scope, &run, &run.node, run.steps, &run.vars).await?;
        uow.commit().await?;
        return Ok(true);
    };
    let facts = facts(&*uow, scope, &g, &run, &customer).await?;
    let vars = serde_json::from_str(&run.vars).unwrap_or_default();
    let (state0, input) = if run.node.is_empty() {
        let mut s = begin(&g);
        s.vars = vars;
        (s, RunInput::Begin)
    } else {
        (
            RunState {
                node: run.node.clone(),
                vars,
                status: RunStatus::WaitingTimer,
                steps: u32::try_from(run.steps).unwrap_or_default(),
            },
            RunInput::TimerDone,
        )
    };
    let turn = advance(&g, &state0, &input, &facts);
    let mut wake = None;
    for e in &turn.effects {
        match e {
            RunEffect::SendEmail {
                node,
                subject,
                body,
            } => {
                send::write(&mut uow, scope, &run, &customer, node, subject, body).await?;
            }
            RunEffect::SendInApp { node, message_id } => {
                send::write_in_app(&*uow, scope, &run, node, *message_id).await?;
            }
            RunEffect::Wait { minutes } => {
                wake = Some(t + Duration::minutes(i64::from(*minutes)));
            }
            // Nothing else fits a campaign's graph (checked when it is saved).
            _ => {}
        }
    }
    let st = &turn.state;
    let vars = serde_json::to_string(&st.vars).unwrap_or_else(|_| "{}".into());
    let steps = i32::try_from(st.steps).unwrap_or(i32::MAX);
    match (st.status.clone(), wake) {
        (RunStatus::WaitingTimer, Some(w)) => {
            scope
                .update_many::<campaign_run::Entity>()
                .col_expr(campaign_run::Column::Node, Expr::value(st.node.clone()))
                .col_expr(campaign_run::Column::Vars, Expr::value(vars))
                .col_expr(campaign_run::Column::Steps, Expr::value(steps))
                .col_expr(campaign_run::Column::WakeAt, Expr::value(Some(w)))
                .col_expr(campaign_run::Column::UpdatedAt, Expr::value(t))
                .filter(campaign_run::Column::Id.eq(run.id))
                .exec(&*uow)
                .await?;
        }
        _ => finish(&*uow, scope, &run, &st.node, steps, &vars).await?,
    }
    uow.commit().await?;
    Ok(true)
}

async fn finish(
    db: &impl ConnectionTrait,
    scope: Scoped,
    run: &campaign_run::Model,
    node: &str,
    steps: i32,
    vars: &str,
) -> ServiceResult<()> {
    let t = now();
    scope
        .update_many::<campaign_run::Entity>()
        .col_expr(campaign_run::Column::Node, Expr::value(node.to_owned()))
        .col_expr(campaign_run::Column::Vars, Expr::value(vars.to_owned()))
        .col_expr(campaign_run::Column::Steps, Expr::value(steps))
        .col_expr(campaign_run::Column::Status, Expr::value(run_status::DONE))
        .col_expr(
            campaign_run::Column::WakeAt,
            Expr::value(None::<chrono::DateTime<chrono::Utc>>),
        )
        .col_expr(campaign_run::Column::UpdatedAt, Expr::value(t))
        .col_expr(campaign_run::Column::EndedAt, Expr::value(Some(t)))
        .filter(campaign_run::Column::Id.eq(run.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Marks the sent emails of campaign `flow_id` whose customer is now in the
/// goal segment (within [`CONVERSION_DAYS`] of the email) as converted.
async fn conversions(
    state: &AppState,
    scope: Scoped,
    flow_id: i32,
    goal: i32,
) -> ServiceResult<u64> {
    let t = now();
    let Some(members) = segments::members(&state.db, scope, goal, t).await? else {
        return Ok(0);
    };
    let ids = members
        .select_only()
        .column(customer::Column::Id)
        .into_query();
    let r = scope
        .update_many::<campaign_send::Entity>()
        .col_expr(campaign_send::Column::ConvertedAt, Expr::value(Some(t)))
        .filter(campaign_send::Column::FlowId.eq(flow_id))
        .filter(campaign_send::Column::Status.eq(send_status::SENT))
        .filter(campaign_send::Column::ConvertedAt.is_null())
        .filter(campaign_send::Column::SentAt.gte(t - Duration::days(CONVERSION_DAYS)))
        .filter(campaign_send::Column::CustomerId.in_subquery(ids))
        .exec(&state.db)
        .await?;
    Ok(r.rows_affected)
}
