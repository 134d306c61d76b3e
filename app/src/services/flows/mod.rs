//! Flows and workflows (SPEC C9, C7.5), stored: each flow's draft, checked for
//! structure on every save, and its published versions, immutable, written only
//! when the draft has no problem left. Rolling back publishes an earlier
//! version's graph again as a new version, so the history only grows.
//!
//! The canvas and the engine that runs published versions build on this.

pub mod analytics;
pub mod runner;
pub mod workflows;

use super::activity::{self, Entry, Who};
use super::context::{Actor, RequestMeta};
use super::uow::UnitOfWork;
use super::{now, AppState, ServiceError, ServiceResult};
use crate::permissions::Action;
use crate::types::{
    Channel, FlowDetail, FlowGraph, FlowSettingsForm, FlowSummary, FlowVersionView, FLOW_KINDS,
};
use entity::{flow, flow_version};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Largest stored graph, in bytes of JSON.
pub const MAX_GRAPH_BYTES: usize = 512 * 1024;
/// Flows per workspace.
pub const MAX_FLOWS: usize = 200;

fn parse(row: &flow::Model) -> ServiceResult<FlowGraph> {
    serde_json::from_str(&row.draft)
        .map_err(|e| ServiceError::Internal(format!("flow {} draft: {e}", row.id)))
}

fn channels_of(row: &flow::Model) -> Vec<String> {
    row.channels
        .split(',')
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn published_graph(
    db: &impl ConnectionTrait,
    row: &flow::Model,
) -> ServiceResult<Option<String>> {
    let Some(v) = row.published_version else {
        return Ok(None);
    };
    Ok(crate::services::tenancy::Scoped::new(row.workspace_id)
        .find::<flow_version::Entity>()
        .filter(flow_version::Column::FlowId.eq(row.id))
        .filter(flow_version::Column::Version.eq(v))
        .one(db)
        .await?
        .map(|r| r.graph))
}

async fn summary(db: &impl ConnectionTrait, row: &flow::Model) -> ServiceResult<FlowSummary> {
    let published = published_graph(db, row).await?;
    summary_with(row, published.as_deref())
}

/// A summary given the published version's graph (when there is one).
fn summary_with(row: &flow::Model, published: Option<&str>) -> ServiceResult<FlowSummary> {
    let graph = parse(row)?;
    let unpublished_changes = published
        .and_then(|p| serde_json::from_str::<FlowGraph>(p).ok())
        .is_none_or(|p| p != graph);
    Ok(FlowSummary {
        id: row.id,
        name: row.name.clone(),
        kind: row.kind.clone(),
        channels: channels_of(row),
        enabled: row.enabled,
        published_version: row.published_version,
        problems: graph.problems().len(),
        unpublished_changes,
        updated_at: row.updated_at.to_rfc3339(),
    })
}

async fn find(db: &impl ConnectionTrait, actor: &Actor, id: i32) -> ServiceResult<flow::Model> {
    actor
        .scope
        .find::<flow::Entity>()
        .filter(flow::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Flow"))
}

/// The teams and webhook endpoints the editor's pickers offer.
///
/// # Errors
/// Permission; database errors.
pub async fn editor_options(
    state: &AppState,
    actor: &Actor,
) -> ServiceResult<crate::types::FlowEditorOptions> {
    actor.require(Action::ManageAutomation)?;
    let teams = actor
        .scope
        .find::<entity::team::Entity>()
        .order_by_asc(entity::team::Column::Name)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let endpoints = actor
        .scope
        .find::<entity::webhook_endpoint::Entity>()
        .order_by_asc(entity::webhook_endpoint::Column::Id)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|e| {
            let label = e
                .description
                .filter(|d| !d.trim().is_empty())
                .unwrap_or(e.url);
            (e.id, label)
        })
        .collect();
    let members = super::context::member_names(&state.db, actor.scope).await?;
    let fields = actor
        .scope
        .find::<entity::custom_field_def::Entity>()
        .order_by_asc(entity::custom_field_def::Column::Id)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|d| (d.key, d.label))
        .collect();
    let rules = actor
        .scope
        .find::<entity::rule::Entity>()
        .order_by_asc(entity::rule::Column::Name)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    let tools = super::actions::registry::get()
        .all()
        .iter()
        .map(|t| (t.name.to_owned(), t.label.to_owned()))
        .collect();
    let segments = super::segments::names(&state.db, actor.scope).await?;
    let messages = super::targeted::names(&state.db, actor.scope).await?;
    Ok(crate::types::FlowEditorOptions {
        segments,
        messages,
        members,
        fields,
        rules,
        tools,
        teams,
        endpoints,
    })
}

/// One published version's graph (none: no such version). The message of a
/// graph that cannot be read names the flow and version.
///
/// # Errors
/// Database errors; `Internal` for a stored graph that is not a graph.
pub async fn version_graph(
    db: &impl ConnectionTrait,
    scope: crate::services::tenancy::Scoped,
    flow_id: i32,
    version: i32,
) -> ServiceResult<Option<FlowGraph>> {
    let Some(v) = scope
        .find::<flow_version::Entity>()
        .filter(flow_version::Column::FlowId.eq(flow_id))
        .filter(flow_version::Column::Version.eq(version))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    serde_json::from_str(&v.graph)
        .map(Some)
        .map_err(|e| ServiceError::Internal(format!("flow {flow_id} v{version}: {e}")))
}

/// The published graph of each of `rows` that has one, by (flow id, version),
/// in one query.
///
/// # Errors
/// Database errors.
pub async fn published_graphs(
    db: &impl ConnectionTrait,
    scope: crate::services::tenancy::Scoped,
    rows: &[flow::Model],
) -> ServiceResult<HashMap<(i32, i32), String>> {
    let wanted = rows
        .iter()
        .filter_map(|r| r.published_version.map(|v| (r.id, v)))
        .fold(Condition::any(), |c, (id, v)| {
            c.add(
                flow_version::Column::FlowId
                    .eq(id)
                    .and(flow_version::Column::Version.eq(v)),
            )
        });
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(scope
        .find::<flow_version::Entity>()
        .filter(wanted)
        .all(db)
        .await?
        .into_iter()
        .map(|v| ((v.flow_id, v.version), v.graph))
        .collect())
}

/// What each flow's draft or running version refers to: `refs` reads the
/// ids out of a graph (segments it tests, messages it shows), and only graphs
/// whose JSON holds `needle` are parsed. By id, the names of the flows.
///
/// # Errors
/// Database errors.
pub async fn referring_flows(
    db: &impl ConnectionTrait,
    scope: crate::services::tenancy::Scoped,
    needle: &str,
    refs: impl Fn(&FlowGraph) -> Vec<i32>,
) -> ServiceResult<BTreeMap<i32, BTreeSet<String>>> {
    let flows = scope.find::<flow::Entity>().all(db).await?;
    let published = published_graphs(db, scope, &flows).await?;
    let mut out: BTreeMap<i32, BTreeSet<String>> = BTreeMap::new();
    for f in &flows {
        let graphs = std::iter::once(f.draft.as_str()).chain(
            f.published_version
                .and_then(|v| published.get(&(f.id, v)))
                .map(String::as_str),
        );
        for g in graphs.filter(|g| g.contains(needle)) {
            let Ok(graph) = serde_json::from_str::<FlowGraph>(g) else {
                continue;
            };
            for id in refs(&graph) {
                out.entry(id).or_default().insert(f.name.clone());
            }
        }
    }
    Ok(out)
}

/// Every flow of the workspace, by name.
///
/// # Errors
/// Permission; database errors.
pub async fn list(state: &AppState, actor: &Actor) -> ServiceResult<Vec<FlowSummary>> {
    actor.require(Action::ManageAutomation)?;
    let rows = actor
        .scope
        .find::<flow::Entity>()
        .order_by_asc(flow::Column::Name)
        .all(&state.db)
        .await?;
    let published = published_graphs(&state.db, actor.scope, &rows).await?;
    rows.iter()
        .map(|r| {
            let graph = r
                .published_version
                .and_then(|v| published.get(&(r.id, v)))
                .map(String::as_str);
            summary_with(r, graph)
        })
        .collect()
}

/// One flow: its draft, what blocks publishing it, its versions.
///
/// # Errors
/// Permission; `NotFound`.
pub async fn get(state: &AppState, actor: &Actor, id: i32) -> ServiceResult<FlowDetail> {
    actor.require(Action::ManageAutomation)?;
    detail(&state.db, actor, id).await
}

async fn detail(db: &impl ConnectionTrait, actor: &Actor, id: i32) -> ServiceResult<FlowDetail> {
    let row = find(db, actor, id).await?;
    let draft = parse(&row)?;
    let versions = actor
        .scope
        .find::<flow_version::Entity>()
        .filter(flow_version::Column::FlowId.eq(id))
        .order_by_desc(flow_version::Column::Version)
        .all(db)
        .await?;
    let names =
        super::context::user_names(db, versions.iter().filter_map(|v| v.published_by)).await?;
    Ok(FlowDetail {
        summary: summary(db, &row).await?,
        problems: draft.problems(),
        draft,
        versions: versions
            .into_iter()
            .map(|v| FlowVersionView {
                version: v.version,
                note: v.note,
                by: v.published_by.and_then(|u| names.get(&u).cloned()),
                at: v.created_at.to_rfc3339(),
            })
            .collect(),
    })
}

/// Creates a flow (its draft: Start → End) or changes its name, kind, channels
/// and switch.
///
/// # Errors
/// Permission; `Invalid` naming the field; `Conflict` (`name`) when taken.
pub async fn save_settings(
    state: &AppState,
    actor: &Actor,
    form: &FlowSettingsForm,
    meta: &RequestMeta,
) -> ServiceResult<FlowSummary> {
    actor.require(Action::ManageAutomation)?;
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(ServiceError::invalid(
            "name",
            "A flow's name is 1 to 80 characters.",
        ));
    }
    if !FLOW_KINDS.iter().any(|(k, _)| *k == form.kind) {
        return Err(ServiceError::invalid(
            "kind",
            "A flow is a chatbot, a workflow or a campaign.",
        ));
    }
    if let Some(bad) = form.channels.iter().find(|c| Channel::parse(c).is_none()) {
        return Err(ServiceError::invalid(
            "channels",
            format!("“{bad}” is not a channel."),
        ));
    }
    let uow = UnitOfWork::begin(state).await?;
    let taken = actor
        .scope
        .find::<flow::Entity>()
        .filter(flow::Column::Name.eq(name))
        .filter(flow::Column::Id.ne(form.id.unwrap_or(0)))
        .one(&*uow)
        .await?;
    if taken.is_some() {
        return Err(ServiceError::conflict(
            "name",
            format!("There is already a flow called “{name}”."),
        ));
    }
    let t = now();
    let channels = form.channels.join(",");
    let row = match form.id {
        Some(id) => {
            let row = find(&*uow, actor, id).await?;
            if row.kind != form.kind {
                return Err(ServiceError::invalid(
                    "kind",
                    "A flow's kind is set when it is made: make a new flow of the other kind.",
                ));
            }
            let mut am = row.into_active_model();
            am.name = Set(name.to_owned());
            am.channels = Set(channels);
            am.enabled = Set(form.enabled);
            am.updated_at = Set(t);
            am.update(&*uow).await?
        }
        None => {
            let count = actor.scope.find::<flow::Entity>().all(&*uow).await?.len();
            if count >= MAX_FLOWS {
                return Err(ServiceError::invalid(
                    "name",
                    format!("A workspace can have at most {MAX_FLOWS} flows; delete one first."),
                ));
            }
            flow::ActiveModel {
                workspace_id: Set(actor.scope.workspace_id()),
                name: Set(name.to_owned()),
                kind: Set(form.kind.clone()),
                channels: Set(channels),
                draft: Set(serde_json::to_string(&FlowGraph::starter_for(&form.kind))
                    .map_err(|e| ServiceError::Internal(e.to_string()))?),
                published_version: Set(None),
                enabled: Set(form.enabled),
                created_at: Set(t),
                updated_at: Set(t),
                ..Default::default()
            }
            .insert(&*uow)
            .await?
        }
    };
    activity::record(
        &*uow,
        actor.scope,
        &Who::from(actor),
        meta,
        Entry::new(if form.id.is_some() {
            "flow.updated"
        } else {
            "flow.created"
        })
        .target("flow", row.id)
        .diff(
            None,
            Some(serde_json::json!({"name": row.name, "kind": row.kind, "channels": row.channels, "enabled": row.enabled})),
        ),
    )
    .await?;
    let out = summary(&*uow, &row).await?;
    uow.commit().await?;
    Ok(out)
}

/// Saves a flow's draft given as JSON text (the canvas's form; see
/// [`save_draft`]).
///
/// # Errors
/// Permission; `Invalid` (`graph`) when it is too large or no graph;
/// [`save_draft`]'s errors.
pub async fn save_draft_json(
    state: &AppState,
    actor: &Actor,
    id: i32,
    graph: &str,
) -> ServiceResult<FlowDetail> {
    actor.require(Action::ManageAutomation)?;
    if graph.len() > MAX_GRAPH_BYTES {
        return Err(ServiceError::invalid(
            "graph",
            format!(
                "This flow is too large to save (at most {} KB).",
                MAX_GRAPH_BYTES / 1024
            ),
        ));
    }
    let graph: FlowGraph = serde_json::from_str(graph)
        .map_err(|e| ServiceError::invalid("graph", format!("This is not a flow graph: {e}.")))?;
    save_draft(state, actor, id, &graph).await
}

/// Saves a flow's draft. A graph that breaks the structure rules (an edge to a
/// missing step, two starts …) is refused; one that is merely unfinished is
/// saved, and its problems come back.
///
/// # Errors
/// Permission; `NotFound`; `Invalid` (`graph`) naming the step at fault.
pub async fn save_draft(
    state: &AppState,
    actor: &Actor,
    id: i32,
    graph: &FlowGraph,
) -> ServiceResult<FlowDetail> {
    actor.require(Action::ManageAutomation)?;
    graph.check_structure().map_err(|p| {
        ServiceError::invalid(
            "graph",
            match p.node {
                Some(n) => format!("Step “{n}”: {}", p.message),
                None => p.message,
            },
        )
    })?;
    let json = serde_json::to_string(graph).map_err(|e| ServiceError::Internal(e.to_string()))?;
    if json.len() > MAX_GRAPH_BYTES {
        return Err(ServiceError::invalid(
            "graph",
            format!(
                "The flow is too large to store ({} KB; at most {} KB).",
                json.len() / 1024,
                MAX_GRAPH_BYTES / 1024
            ),
        ));
    }
    let uow = UnitOfWork::begin(state).await?;
    let row = find(&*uow, actor, id).await?;
    check_kind(&row, graph)?;
    let mut am = row.into_active_model();
    am.draft = Set(json);
    am.updated_at = Set(now());
    am.update(&*uow).await?;
    let out = detail(&*uow, actor, id).await?;
    uow.commit().await?;
    Ok(out)
}

/// A workflow's graph has a trigger and a chatbot's has none (the canvas keeps
/// them apart; a graph pasted from the other kind is refused).
fn check_kind(row: &flow::Model, graph: &FlowGraph) -> ServiceResult<()> {
    if graph.kind() == row.kind {
        return Ok(());
    }
    Err(ServiceError::invalid(
        "graph",
        match row.kind.as_str() {
            "workflow" => "This is a workflow: its graph needs a trigger (the events that start it).",
            "campaign" => "This is a campaign: its graph needs an entry (the segment whose customers enter) and no trigger.",
            _ => "This is a chatbot flow: its graph cannot have a workflow's trigger or a campaign's entry.",
        },
    ))
}

/// Checks a workflow's ticket actions against the workspace; returns the graph
/// as it is published (tags normalised).
async fn checked_for_publish(
    db: &impl ConnectionTrait,
    actor: &Actor,
    mut graph: FlowGraph,
) -> ServiceResult<String> {
    let steps = graph
        .nodes
        .iter_mut()
        .filter_map(|n| match &mut n.kind {
            crate::types::NodeKind::TicketAction { action } => Some((n.id.as_str(), action)),
            _ => None,
        })
        .collect();
    super::automation::check_workflow_actions(db, actor.scope, steps).await?;
    super::segments::check_flow(db, actor.scope, &graph).await?;
    super::targeted::check_flow(db, actor.scope, &graph).await?;
    serde_json::to_string(&graph).map_err(|e| ServiceError::Internal(e.to_string()))
}

async fn publish_graph(
    uow: &UnitOfWork,
    actor: &Actor,
    row: flow::Model,
    graph: &str,
    note: String,
    meta: &RequestMeta,
) -> ServiceResult<()> {
    let next = actor
        .scope
        .find::<flow_version::Entity>()
        .filter(flow_version::Column::FlowId.eq(row.id))
        .order_by_desc(flow_version::Column::Version)
        .one(&**uow)
        .await?
        .map_or(1, |v| v.version + 1);
    let t = now();
    flow_version::ActiveModel {
        workspace_id: Set(actor.scope.workspace_id()),
        flow_id: Set(row.id),
        version: Set(next),
        graph: Set(graph.to_owned()),
        published_by: Set(Some(actor.user_id)),
        note: Set(note.clone()),
        created_at: Set(t),
        ..Default::default()
    }
    .insert(&**uow)
    .await?;
    let id = row.id;
    let mut am = row.into_active_model();
    am.published_version = Set(Some(next));
    am.draft = Set(graph.to_owned());
    am.updated_at = Set(t);
    am.update(&**uow).await?;
    activity::record(
        &**uow,
        actor.scope,
        &Who::from(actor),
        meta,
        Entry::new("flow.published").target("flow", id).diff(
            None,
            Some(serde_json::json!({"version": next, "note": note})),
        ),
    )
    .await
}

/// Publishes the draft as the next version, when nothing blocks it.
///
/// # Errors
/// Permission; `NotFound`; `Invalid` (`graph`) listing what blocks publishing.
pub async fn publish(
    state: &AppState,
    actor: &Actor,
    id: i32,
    meta: &RequestMeta,
) -> ServiceResult<FlowDetail> {
    actor.require(Action::ManageAutomation)?;
    let mut uow = UnitOfWork::begin(state).await?;
    let row = find(&*uow, actor, id).await?;
    let graph = parse(&row)?;
    let problems = graph.problems();
    if !problems.is_empty() {
        let list: Vec<String> = problems
            .iter()
            .take(5)
            .map(|p| match &p.node {
                Some(n) => format!("step “{n}”: {}", p.message),
                None => p.message.clone(),
            })
            .collect();
        return Err(ServiceError::invalid(
            "graph",
            format!(
                "{} problem{} block{} publishing — {}{}",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" },
                if problems.len() == 1 { "s" } else { "" },
                list.join("; "),
                if problems.len() > 5 { "; …" } else { "" }
            ),
        ));
    }
    check_kind(&row, &graph)?;
    let first_campaign =
        row.kind == crate::services::campaigns::KIND && row.published_version.is_none();
    let draft = checked_for_publish(&*uow, actor, graph.clone()).await?;
    publish_graph(&uow, actor, row, &draft, "Published".to_owned(), meta).await?;
    let out = detail(&*uow, actor, id).await?;
    if first_campaign {
        let version = out.summary.published_version.unwrap_or(1);
        crate::services::campaigns::runner::on_first_publish(
            &mut uow,
            actor.scope,
            id,
            version,
            &graph,
        )
        .await?;
    }
    uow.commit().await?;
    Ok(out)
}

/// Publishes an earlier version's graph again, as the next version (the draft
/// becomes that graph too).
///
/// # Errors
/// Permission; `NotFound` (the flow or the version).
pub async fn rollback(
    state: &AppState,
    actor: &Actor,
    id: i32,
    version: i32,
    meta: &RequestMeta,
) -> ServiceResult<FlowDetail> {
    actor.require(Action::ManageAutomation)?;
    let uow = UnitOfWork::begin(state).await?;
    let row = find(&*uow, actor, id).await?;
    let old = actor
        .scope
        .find::<flow_version::Entity>()
        .filter(flow_version::Column::FlowId.eq(id))
        .filter(flow_version::Column::Version.eq(version))
        .one(&*uow)
        .await?
        .ok_or(ServiceError::NotFound("Flow version"))?;
    let graph: FlowGraph = serde_json::from_str(&old.graph)
        .map_err(|e| ServiceError::Internal(format!("flow {id} v{version}: {e}")))?;
    // What it names may be gone since (a member, an endpoint): checked again.
    let checked = checked_for_publish(&*uow, actor, graph).await?;
    publish_graph(
        &uow,
        actor,
        row,
        &checked,
        format!("Rolled back to version {version}"),
        meta,
    )
    .await?;
    let out = detail(&*uow, actor, id).await?;
    uow.commit().await?;
    Ok(out)
}

/// Deletes a flow and its versions.
///
/// # Errors
/// Permission; `NotFound`.
pub async fn delete(
    state: &AppState,
    actor: &Actor,
    id: i32,
    meta: &RequestMeta,
) -> ServiceResult<()> {
    actor.require(Action::ManageAutomation)?;
    let uow = UnitOfWork::begin(state).await?;
    let row = find(&*uow, actor, id).await?;
    actor
        .scope
        .delete_many::<flow::Entity>()
        .filter(flow::Column::Id.eq(id))
        .exec(&*uow)
        .await?;
    activity::record(
        &*uow,
        actor.scope,
        &Who::from(actor),
        meta,
        Entry::new("flow.deleted")
            .target("flow", id)
            .diff(Some(serde_json::json!({"name": row.name})), None),
    )
    .await?;
    uow.commit().await
}
