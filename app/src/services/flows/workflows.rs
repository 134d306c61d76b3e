//! Visual workflows running (SPEC C7.5): multi-step automation on tickets,
//! drawn on the flow canvas, carried out by the flow engine with the automation
//! rules' own actions.
//!
//! - **Start.** [`WorkflowStage`] is a pipeline stage (after the chatbot flow
//!   stage, before the AI agent and routing). On the events a rule can run on
//!   (ticket created, customer message, ticket updated, SLA warning or breach)
//!   each enabled, published workflow whose trigger lists the event and whose
//!   start conditions hold starts a run on the ticket, unless one of its runs is
//!   already active there. A workflow starts at most once per ticket per unit of
//!   work, so its own changes cannot set it off again in a loop.
//! - **Steps.** The same interpreter and runner as chatbot flows
//!   ([`super::runner::step`]): Ticket action steps go through
//!   [`crate::services::automation::engine::run_workflow_action`] (assign, tag,
//!   reply, note, notify, webhook, escalate, ask for approval …), Condition steps
//!   branch on the ticket's facts, Wait steps are durable timers, and Wait for
//!   steps wait for a ticket event (the customer writes, the ticket is solved,
//!   someone is assigned, anything changes) with an optional timeout.
//! - **Pinned.** A run finishes on the version it started on; switching a
//!   workflow off stops new runs, and runs already waiting go on.
//! - **Cost.** One statement per event when the workspace has no workflow.

use super::runner::{self, facts, WORKFLOW};
use crate::services::inbox::conversations;
use crate::services::stages::{Stage, StageEvent};
use crate::services::tenancy::Scoped;
use crate::services::uow::UnitOfWork;
use crate::services::ServiceResult;
use crate::types::{all_hold, FlowGraph, NodeKind, RuleEvent, RunInput, Status, WaitEvent};
use entity::{flow, flow_session};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

/// Parsed published versions kept in memory (a version never changes).
const GRAPH_CACHE: usize = 512;

/// The workflow stage (see the module).
#[derive(Debug, Default)]
pub struct WorkflowStage {
    graphs: Mutex<HashMap<(i32, i32), Arc<FlowGraph>>>,
}

impl WorkflowStage {
    async fn graph(
        &self,
        db: &impl ConnectionTrait,
        scope: Scoped,
        flow_id: i32,
        version: i32,
    ) -> ServiceResult<Option<Arc<FlowGraph>>> {
        if let Some(g) = self.lock().get(&(flow_id, version)) {
            return Ok(Some(g.clone()));
        }
        let Some(g) = super::version_graph(db, scope, flow_id, version).await? else {
            return Ok(None);
        };
        let g = Arc::new(g);
        let mut cache = self.lock();
        if cache.len() >= GRAPH_CACHE {
            cache.clear();
        }
        cache.insert((flow_id, version), g.clone());
        Ok(Some(g))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(i32, i32), Arc<FlowGraph>>> {
        self.graphs.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The rule events an event stands for (what starts workflows).
fn start_events(event: &StageEvent) -> Vec<RuleEvent> {
    match event {
        StageEvent::MessageReceived {
            automatic: true, ..
        } => Vec::new(),
        StageEvent::MessageReceived { opened: true, .. } => {
            vec![RuleEvent::TicketCreated, RuleEvent::MessageReceived]
        }
        StageEvent::MessageReceived { .. } => vec![RuleEvent::MessageReceived],
        StageEvent::ConversationUpdated { .. } => vec![RuleEvent::TicketUpdated],
        StageEvent::SlaAlert { breached, .. } => vec![if *breached {
            RuleEvent::SlaBreached
        } else {
            RuleEvent::SlaWarning
        }],
    }
}

/// What a waiting run may be waiting for, as far as the event tells without
/// reading the ticket (solved and assigned are checked against the ticket).
fn wait_events(event: &StageEvent) -> Vec<WaitEvent> {
    match event {
        StageEvent::MessageReceived {
            automatic: false,
            opened: false,
            ..
        } => vec![WaitEvent::CustomerReplies],
        StageEvent::ConversationUpdated { changed, .. } => {
            let mut out = vec![WaitEvent::TicketUpdated];
            if changed.contains(&"status") {
                out.push(WaitEvent::TicketSolved);
            }
            if changed.contains(&"assignee") {
                out.push(WaitEvent::TicketAssigned);
            }
            out
        }
        _ => Vec::new(),
    }
}

#[async_trait::async_trait]
impl Stage for WorkflowStage {
    fn name(&self) -> &'static str {
        "workflow"
    }

    async fn handle(&self, uow: &mut UnitOfWork, event: &StageEvent) -> ServiceResult<()> {
        let starts = start_events(event);
        let waits = wait_events(event);
        if starts.is_empty() && waits.is_empty() {
            return Ok(());
        }
        let scope = Scoped::new(event.workspace_id());
        let cid = event.conversation_id();
        // The one statement when the workspace has no workflow: none can start,
        // and none can be waiting (deleting a workflow deletes its runs).
        let flows = scope
            .find::<flow::Entity>()
            .filter(flow::Column::Kind.eq(WORKFLOW))
            .order_by_asc(flow::Column::Id)
            .all(&**uow)
            .await?;
        if flows.is_empty() {
            return Ok(());
        }
        if !waits.is_empty() {
            resume_waiting(self, uow, scope, cid, &waits).await?;
        }
        if !starts.is_empty() {
            start_matching(self, uow, scope, cid, &flows, &starts).await?;
        }
        Ok(())
    }
}

/// Moves on the ticket's runs that wait for one of `waits`.
async fn resume_waiting(
    stage: &WorkflowStage,
    uow: &mut UnitOfWork,
    scope: Scoped,
    cid: i32,
    waits: &[WaitEvent],
) -> ServiceResult<()> {
    let runs = scope
        .find::<flow_session::Entity>()
        .filter(flow_session::Column::ConversationId.eq(cid))
        .filter(flow_session::Column::Kind.eq(WORKFLOW))
        .filter(flow_session::Column::Status.eq("waiting_event"))
        .order_by_asc(flow_session::Column::Id)
        .all(&**uow)
        .await?;
    if runs.is_empty() {
        return Ok(());
    }
    let c = conversations::find(&**uow, scope, cid).await?;
    for run in runs {
        // A run that moved in this unit of work does not wake on its own change.
        if uow.done_once(("workflow.run", run.id, 0)) {
            continue;
        }
        let Some(g) = stage.graph(&**uow, scope, run.flow_id, run.version).await? else {
            continue;
        };
        let Some(NodeKind::WaitFor { event, .. }) = g.node(&run.node).map(|n| &n.kind) else {
            continue;
        };
        let happened = waits.contains(event)
            && match event {
                WaitEvent::TicketSolved => matches!(
                    Status::parse(&c.status),
                    Some(Status::Solved | Status::Closed)
                ),
                WaitEvent::TicketAssigned => c.assignee_id.is_some(),
                WaitEvent::CustomerReplies | WaitEvent::TicketUpdated => true,
            };
        if happened {
            let event = *event;
            uow.first_time(("workflow.run", run.id, 0));
            runner::step(uow, scope, run, &RunInput::Event(event)).await?;
        }
    }
    Ok(())
}

/// Starts each enabled, published workflow whose trigger matches.
async fn start_matching(
    stage: &WorkflowStage,
    uow: &mut UnitOfWork,
    scope: Scoped,
    cid: i32,
    flows: &[flow::Model],
    starts: &[RuleEvent],
) -> ServiceResult<()> {
    let mut ticket_facts: Option<BTreeMap<String, String>> = None;
    for f in flows {
        let Some(version) = f.published_version.filter(|_| f.enabled) else {
            continue;
        };
        let Some(g) = stage.graph(&**uow, scope, f.id, version).await? else {
            continue;
        };
        let Some(trigger) = &g.trigger else {
            continue;
        };
        if !trigger.events.iter().any(|e| starts.contains(e)) {
            continue;
        }
        if uow.done_once(("workflow.start", f.id, cid)) {
            continue;
        }
        let active = scope
            .find::<flow_session::Entity>()
            .filter(flow_session::Column::ConversationId.eq(cid))
            .filter(flow_session::Column::FlowId.eq(f.id))
            .filter(flow_session::Column::Status.is_in(runner::ACTIVE))
            .one(&**uow)
            .await?;
        if active.is_some() {
            continue;
        }
        let c = conversations::find(&**uow, scope, cid).await?;
        if ticket_facts.is_none() {
            ticket_facts = Some(facts(&**uow, scope, &c).await?);
        }
        if let Some(fx) = ticket_facts.as_mut() {
            fx.extend(
                crate::services::segments::flow_facts(&**uow, scope, &g, c.customer_id).await?,
            );
        }
        let holds = ticket_facts
            .as_ref()
            .is_some_and(|fx| all_hold(&trigger.only_if, &BTreeMap::new(), fx));
        if !holds {
            continue;
        }
        uow.first_time(("workflow.start", f.id, cid));
        let run = runner::insert_run(
            &**uow,
            scope,
            (f.id, version),
            &c,
            WORKFLOW,
            &BTreeMap::new(),
        )
        .await?;
        uow.first_time(("workflow.run", run.id, 0));
        runner::step(uow, scope, run, &RunInput::Begin).await?;
        // Its steps may have changed the ticket: read the facts again.
        ticket_facts = None;
    }
    Ok(())
}
