//! Per-flow and per-step analytics (SPEC C9.5): entries, completions, drop-off,
//! hand-offs and resolutions, counted from the runs (`flow_sessions`) and the
//! steps they passed (`flow_steps`) with grouped queries, per version or over all.

use crate::permissions::Action;
use crate::services::context::Actor;
use crate::services::{now, AppState, ServiceError, ServiceResult};
use crate::types::{FlowGraph, FlowNodeStats, FlowStats, FLOW_DROP_OFF_HOURS};
use entity::{conversation, flow, flow_session, flow_step, flow_version};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, FromQueryResult, PaginatorTrait, QueryFilter, QuerySelect,
};
use std::collections::HashMap;

#[derive(FromQueryResult)]
struct NodeCount {
    node: String,
    port: Option<String>,
    runs: i64,
}

#[derive(FromQueryResult)]
struct StatusCount {
    status: String,
    node: String,
    stale: bool,
    runs: i64,
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}

/// How a flow's runs went (`version` none: every version), per step in the order
/// of the graph counted (that version's, or the draft's).
///
/// # Errors
/// Permission; `NotFound` (another workspace's flow too).
pub async fn stats(
    state: &AppState,
    actor: &Actor,
    flow_id: i32,
    version: Option<i32>,
) -> ServiceResult<FlowStats> {
    actor.require(Action::ManageAutomation)?;
    let db = &state.db;
    let scope = actor.scope;
    let f = scope
        .find::<flow::Entity>()
        .filter(flow::Column::Id.eq(flow_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Flow"))?;
    let graph_json = match version {
        Some(v) => {
            scope
                .find::<flow_version::Entity>()
                .filter(flow_version::Column::FlowId.eq(f.id))
                .filter(flow_version::Column::Version.eq(v))
                .one(db)
                .await?
                .ok_or(ServiceError::NotFound("Flow version"))?
                .graph
        }
        None => f.draft.clone(),
    };
    let graph: FlowGraph = serde_json::from_str(&graph_json)
        .map_err(|e| ServiceError::Internal(format!("flow {flow_id}: {e}")))?;
    let mut steps = scope
        .find::<flow_step::Entity>()
        .select_only()
        .column(flow_step::Column::Node)
        .column(flow_step::Column::Port)
        .column_as(Expr::cust("COUNT(DISTINCT flow_steps.session_id)"), "runs")
        .filter(flow_step::Column::FlowId.eq(f.id))
        .group_by(flow_step::Column::Node)
        .group_by(flow_step::Column::Port);
    let mut runs = scope
        .find::<flow_session::Entity>()
        .select_only()
        .column(flow_session::Column::Status)
        .column(flow_session::Column::Node)
        .column_as(
            flow_session::Column::UpdatedAt
                .lt(now() - chrono::Duration::hours(FLOW_DROP_OFF_HOURS)),
            "stale",
        )
        .column_as(Expr::cust("COUNT(*)"), "runs")
        .filter(flow_session::Column::FlowId.eq(f.id))
        .group_by(flow_session::Column::Status)
        .group_by(flow_session::Column::Node)
        .group_by(Expr::col(sea_orm::sea_query::Alias::new("stale")));
    if let Some(v) = version {
        steps = steps.filter(flow_step::Column::Version.eq(v));
        runs = runs.filter(flow_session::Column::Version.eq(v));
    }
    let steps = steps.into_model::<NodeCount>().all(db).await?;
    let runs = runs.into_model::<StatusCount>().all(db).await?;
    let resolutions = resolved(db, actor, f.id, version).await?;
    let mut out = FlowStats {
        version,
        resolutions,
        ..FlowStats::default()
    };
    let mut per: HashMap<String, FlowNodeStats> = graph
        .nodes
        .iter()
        .map(|n| {
            (
                n.id.clone(),
                FlowNodeStats {
                    node: n.id.clone(),
                    label: n.kind.label().to_owned(),
                    ..FlowNodeStats::default()
                },
            )
        })
        .collect();
    // Entries: distinct runs per step (a run passing a step by two exits, or
    // coming back through a loop, counts once per exit row; take the largest).
    let mut entries: HashMap<&str, u64> = HashMap::new();
    for s in &steps {
        let e = entries.entry(s.node.as_str()).or_default();
        *e = (*e).max(count(s.runs));
        if let (Some(n), Some(p)) = (per.get_mut(&s.node), &s.port) {
            *n.exits.entry(p.clone()).or_default() += count(s.runs);
        }
    }
    for (node, e) in entries {
        if let Some(n) = per.get_mut(node) {
            n.entries = e;
        }
    }
    for r in &runs {
        let n = count(r.runs);
        out.entries += n;
        match r.status.as_str() {
            "done" => out.completions += n,
            "handed_off" => out.handoffs += n,
            _ => {
                if r.stale {
                    out.dropped += n;
                } else {
                    out.active += n;
                }
                if let Some(s) = per.get_mut(&r.node) {
                    if r.stale {
                        s.dropped += n;
                    } else {
                        s.waiting += n;
                    }
                }
            }
        }
    }
    out.nodes = graph
        .nodes
        .iter()
        .filter_map(|n| per.remove(&n.id))
        .collect();
    Ok(out)
}

/// Completed runs whose conversation is solved or closed.
async fn resolved(
    db: &impl ConnectionTrait,
    actor: &Actor,
    flow_id: i32,
    version: Option<i32>,
) -> ServiceResult<u64> {
    let mut q = actor
        .scope
        .find::<flow_session::Entity>()
        .select_only()
        .column(flow_session::Column::ConversationId)
        .filter(flow_session::Column::FlowId.eq(flow_id))
        .filter(flow_session::Column::Status.eq("done"));
    if let Some(v) = version {
        q = q.filter(flow_session::Column::Version.eq(v));
    }
    let ids: Vec<i32> = q.into_tuple().all(db).await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let mut n = 0;
    for chunk in ids.chunks(500) {
        n += actor
            .scope
            .find::<conversation::Entity>()
            .filter(conversation::Column::Id.is_in(chunk.to_vec()))
            .filter(conversation::Column::Status.is_in(["solved", "closed"]))
            .count(db)
            .await?;
    }
    Ok(n)
}
