//! Helpers shared by the segment, campaign, targeted-message and commerce
//! tests: segment conditions and who they select, an "everyone" segment, a
//! campaign made and published, every waiting run woken.

use super::{TestApp, Ws};
use app::services::context::RequestMeta;
use app::types::{Cond, CondOp, FlowGraph, FlowSettingsForm, SegmentForm};
use sea_orm::sea_query::Expr;
use sea_orm::ColumnTrait;
use sea_orm::QueryFilter;
use std::collections::BTreeSet;

/// One condition of a segment.
pub fn test(field: &str, op: CondOp, value: &str) -> Cond {
    Cond::Test {
        field: field.into(),
        op,
        value: value.into(),
    }
}

/// The addresses of the customers `c` selects (the preview's sample).
pub async fn who(app: &TestApp, ws: &Ws, c: Cond) -> BTreeSet<String> {
    app::services::segments::preview(&app.state, &ws.actor, &c)
        .await
        .unwrap()
        .sample
        .into_iter()
        .map(|m| m.email.unwrap_or_default())
        .collect()
}

/// A set of strings.
pub fn set(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// A segment of every customer, named "Everyone".
pub async fn everyone(app: &TestApp, ws: &Ws) -> i32 {
    app::services::segments::save(
        &app.state,
        &ws.actor,
        &SegmentForm {
            id: None,
            name: "Everyone".into(),
            description: String::new(),
            conditions: Cond::default(),
        },
        &RequestMeta::default(),
    )
    .await
    .unwrap()
    .id
}

/// A campaign `name` with its draft `graph` (not published).
pub async fn campaign_draft(app: &TestApp, ws: &Ws, name: &str, graph: &FlowGraph) -> i32 {
    let f = app::services::flows::save_settings(
        &app.state,
        &ws.actor,
        &FlowSettingsForm {
            id: None,
            name: name.into(),
            kind: "campaign".into(),
            channels: Vec::new(),
            enabled: true,
        },
        &RequestMeta::default(),
    )
    .await
    .unwrap();
    app::services::flows::save_draft(&app.state, &ws.actor, f.id, graph)
        .await
        .unwrap();
    f.id
}

/// A campaign `name` running `graph` (published).
pub async fn campaign(app: &TestApp, ws: &Ws, name: &str, graph: &FlowGraph) -> i32 {
    let id = campaign_draft(app, ws, name, graph).await;
    app::services::flows::publish(&app.state, &ws.actor, id, &RequestMeta::default())
        .await
        .unwrap();
    id
}

/// Every run's Wait is over (instead of waiting for it).
pub async fn time_passes(app: &TestApp, ws: &Ws) {
    ws.scope
        .update_many::<entity::campaign_run::Entity>()
        .col_expr(
            entity::campaign_run::Column::WakeAt,
            Expr::value(Some(chrono::Utc::now() - chrono::Duration::minutes(1))),
        )
        .filter(entity::campaign_run::Column::Status.eq("waiting_timer"))
        .exec(&app.state.db)
        .await
        .unwrap();
}

/// A campaign graph whose customers enter from `segment` (its current
/// members too).
pub fn campaign_graph(
    segment: i32,
    nodes: Vec<app::types::FlowNode>,
    edges: Vec<app::types::FlowEdge>,
) -> FlowGraph {
    FlowGraph {
        schema: app::types::FLOW_SCHEMA,
        trigger: None,
        entry: Some(app::types::CampaignEntry {
            segment_id: Some(segment),
            existing: true,
            goal_segment_id: None,
            event: None,
        }),
        nodes,
        edges,
    }
}

/// A Condition step with one branch (`subject` `op` `value`) and `else`.
pub fn condition(subject: &str, op: app::types::FlowOp, value: &str) -> app::types::NodeKind {
    app::types::NodeKind::Condition {
        branches: vec![app::types::FlowBranch {
            subject: subject.into(),
            op,
            value: value.into(),
        }],
    }
}
