//! The flow engine on the server (SPEC C9.3): runs published chatbot flows in
//! conversations, on every channel, through the one inbound path.
//!
//! - **Where it hooks in.** [`FlowStage`] is a pipeline stage (after rules and SLA,
//!   before the AI agent and routing). A customer's first message in a new
//!   conversation starts the first enabled, published chatbot flow for its channel
//!   (unless a rule already gave the ticket to a person); a later message answers
//!   the question the run waits on. While a run is active the stage **claims** the
//!   conversation, so the AI agent and routing leave it alone; a hand-off releases
//!   it to routing.
//! - **State.** A `flow_sessions` row per run: the version it started on (a run
//!   finishes on that version, whatever is published meanwhile), the current step,
//!   the variables and the status. Timers (a Wait, a question's timeout) are
//!   durable jobs carrying the run's `timer_seq`, so a stale timer does nothing and
//!   a restart loses nothing: the state is in the database, the timers in the job
//!   queue.
//! - **Steps.** [`crate::types::flow_run::advance`] decides (the same code the
//!   canvas's preview runs); this module carries out its effects inside the unit
//!   of work of the message or timer that caused them, each under a savepoint: a
//!   step that fails (a webhook endpoint deleted since publishing) leaves a note
//!   on the conversation and the run goes on.
//! - **Choices** render natively in the chat widget (buttons or a list, from the
//!   message's `choices`); on text-only channels the message text carries them as
//!   numbered lines, and the customer answers with the number or the label.
//! - **The first message** starts a run (and is the `first_message` variable);
//!   when it already picks one of the first question's choices the run goes on
//!   without asking it.
//! - **End** (or a hand-off) releases the conversation: routing takes it in the
//!   same step, and the customer's next message goes to the AI agent as usual.
//! - **Workflows** (runs with `kind = workflow`, started by
//!   [`super::workflows::WorkflowStage`]) use the same [`step`], timers and
//!   records; their ticket actions are the automation rules' actions.

use crate::services::activity::Who;
use crate::services::automation::conditions::Fact;
use crate::services::automation::engine::{facts_for, run_workflow_action, Needs, Source};
use crate::services::channels::webhooks;
use crate::services::context::RequestMeta;
use crate::services::inbox::{conversations, messages};
use crate::services::jobs::{self, NewJob};
use crate::services::kb::search::{self, Audience};
use crate::services::stages::{Stage, StageEvent};
use crate::services::tenancy::Scoped;
use crate::services::uow::UnitOfWork;
use crate::services::{now, AppState, ServiceError, ServiceResult};
use crate::types::{
    advance, begin, NodeKind, RunEffect, RunInput, RunState, RunStatus, RunStep, RunTurn,
};
use crate::types::{ticket_ref, Channel, FlowGraph, MessageChoices, MessageKind, Priority};
use entity::{conversation, flow, flow_session, flow_step, flow_version, message};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use std::collections::BTreeMap;

/// Job kind of a run's timer (a Wait step, a question's timeout).
pub const TIMER_JOB: &str = "flow.timer";
/// Job kind that hands the AI agent's outcome back to the run that asked for it.
pub const AI_DONE_JOB: &str = "flow.ai_done";
/// Who the flow's messages are from (as customers and agents see it).
pub const BOT_LABEL: &str = "Bot";
/// A run's kind: a chatbot's conversation with a customer.
pub const CHATBOT: &str = "chatbot";
/// A run's kind: a workflow's run on a ticket.
pub const WORKFLOW: &str = "workflow";

/// Statuses of a run that is still going.
pub const ACTIVE: [&str; 4] = [
    "waiting_input",
    "waiting_timer",
    "waiting_ai",
    "waiting_event",
];

fn status_name(s: &RunStatus) -> &'static str {
    match s {
        RunStatus::Running | RunStatus::WaitingInput => "waiting_input",
        RunStatus::WaitingTimer => "waiting_timer",
        RunStatus::WaitingAi => "waiting_ai",
        RunStatus::WaitingEvent => "waiting_event",
        RunStatus::HandedOff => "handed_off",
        RunStatus::Done => "done",
    }
}

fn parse_status(s: &str) -> RunStatus {
    match s {
        "waiting_timer" => RunStatus::WaitingTimer,
        "waiting_ai" => RunStatus::WaitingAi,
        "waiting_event" => RunStatus::WaitingEvent,
        "handed_off" => RunStatus::HandedOff,
        "done" => RunStatus::Done,
        _ => RunStatus::WaitingInput,
    }
}

/// The flow engine as a pipeline stage.
#[derive(Clone, Copy, Debug, Default)]
pub struct FlowStage;

#[async_trait::async_trait]
impl Stage for FlowStage {
    fn name(&self) -> &'static str {
        "flow"
    }

    async fn handle(&self, uow: &mut UnitOfWork, event: &StageEvent) -> ServiceResult<()> {
        let StageEvent::MessageReceived {
            workspace_id,
            conversation_id,
            message_id,
            channel,
            automatic: false,
            opened,
            ..
        } = event
        else {
            return Ok(());
        };
        let scope = Scoped::new(*workspace_id);
        // One statement when no flow is involved: a new conversation looks for
        // a published flow, a later message for the conversation's running one.
        if uow.is_claimed(*conversation_id, "flow.created") {
            // A ticket a flow's Create ticket step just opened.
            return Ok(());
        }
        if !*opened {
            let Some(run) = active_run(&**uow, scope, *conversation_id).await? else {
                return Ok(());
            };
            let c = conversations::find(&**uow, scope, *conversation_id).await?;
            if c.assignee_id.is_some() {
                // A person took the conversation over: the flow steps aside.
                finish(&**uow, run, "handed_off").await?;
                return Ok(());
            }
            let status = parse_status(&run.status);
            let after = if status == RunStatus::WaitingInput {
                let text = message_text(&**uow, scope, *message_id).await?;
                step(uow, scope, run, &RunInput::Answer(text)).await?
            } else {
                // A message during a Wait or while the AI agent answers: the run
                // holds the conversation; the message is read by whoever comes next.
                status
            };
            claim(uow, *conversation_id, &after);
            return Ok(());
        }
        let Some((f, version)) = flow_for(&**uow, scope, *channel).await? else {
            return Ok(());
        };
        let c = conversations::find(&**uow, scope, *conversation_id).await?;
        if c.assignee_id.is_some() {
            return Ok(());
        }
        let text = message_text(&**uow, scope, *message_id).await?;
        let mut vars = BTreeMap::new();
        vars.insert(
            "first_message".to_owned(),
            crate::services::inbox::excerpt(&text, 500),
        );
        let run = insert_run(&**uow, scope, (f.id, version.version), &c, CHATBOT, &vars).await?;
        let after = step(uow, scope, run, &RunInput::Begin).await?;
        claim(uow, *conversation_id, &after);
        Ok(())
    }
}

/// Inserts a new run of a flow's version (`(flow id, version)`) on a
/// conversation; [`step`] with [`RunInput::Begin`] then takes its first steps.
///
/// # Errors
/// Database errors.
pub(super) async fn insert_run(
    db: &impl ConnectionTrait,
    scope: Scoped,
    (flow_id, version): (i32, i32),
    c: &conversation::Model,
    kind: &str,
    vars: &BTreeMap<String, String>,
) -> ServiceResult<flow_session::Model> {
    let t = now();
    Ok(flow_session::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        flow_id: Set(flow_id),
        version: Set(version),
        conversation_id: Set(c.id),
        channel: Set(c.channel.clone()),
        node: Set(String::new()),
        status: Set("waiting_input".into()),
        vars: Set(serde_json::to_string(vars).unwrap_or_else(|_| "{}".into())),
        steps: Set(0),
        timer_seq: Set(0),
        wake_at: Set(None),
        started_at: Set(t),
        updated_at: Set(t),
        ended_at: Set(None),
        kind: Set(kind.to_owned()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// The message was the flow's: the AI agent leaves it alone, and so does
/// routing unless the flow just ended or handed the conversation over.
fn claim(uow: &mut UnitOfWork, conversation_id: i32, after: &RunStatus) {
    uow.claim(
        conversation_id,
        if after.is_over() { "flow.done" } else { "flow" },
    );
}

async fn message_text(
    db: &impl ConnectionTrait,
    scope: Scoped,
    message_id: i32,
) -> ServiceResult<String> {
    Ok(scope
        .find::<message::Entity>()
        .filter(message::Column::Id.eq(message_id))
        .one(db)
        .await?
        .map(|m| m.body_text)
        .unwrap_or_default())
}

/// The conversation's active run, if any.
///
/// # Errors
/// Database errors.
pub async fn active_run(
    db: &impl ConnectionTrait,
    scope: Scoped,
    conversation_id: i32,
) -> ServiceResult<Option<flow_session::Model>> {
    Ok(scope
        .find::<flow_session::Entity>()
        .filter(flow_session::Column::ConversationId.eq(conversation_id))
        .filter(flow_session::Column::Kind.eq(CHATBOT))
        .filter(flow_session::Column::Status.is_in(ACTIVE))
        .order_by_desc(flow_session::Column::Id)
        .one(db)
        .await?)
}

/// The flow a new conversation on `channel` starts: the first (oldest) enabled,
/// published chatbot flow that runs on it, with its published version.
async fn flow_for(
    db: &impl ConnectionTrait,
    scope: Scoped,
    channel: Channel,
) -> ServiceResult<Option<(flow::Model, flow_version::Model)>> {
    let flows = scope
        .find::<flow::Entity>()
        .filter(flow::Column::Enabled.eq(true))
        .filter(flow::Column::Kind.eq("chatbot"))
        .filter(flow::Column::PublishedVersion.is_not_null())
        .order_by_asc(flow::Column::Id)
        .all(db)
        .await?;
    let Some(f) = flows
        .into_iter()
        .find(|f| f.channels.split(',').any(|c| c == channel.as_str()))
    else {
        return Ok(None);
    };
    let v = scope
        .find::<flow_version::Entity>()
        .filter(flow_version::Column::FlowId.eq(f.id))
        .filter(flow_version::Column::Version.eq(f.published_version.unwrap_or_default()))
        .one(db)
        .await?;
    Ok(v.map(|v| (f, v)))
}

/// The graph of a run's pinned version.
async fn graph_of(
    db: &impl ConnectionTrait,
    scope: Scoped,
    run: &flow_session::Model,
) -> ServiceResult<(String, FlowGraph)> {
    let v = scope
        .find::<flow_version::Entity>()
        .filter(flow_version::Column::FlowId.eq(run.flow_id))
        .filter(flow_version::Column::Version.eq(run.version))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Flow version"))?;
    let name = scope
        .find::<flow::Entity>()
        .filter(flow::Column::Id.eq(run.flow_id))
        .one(db)
        .await?
        .map(|f| f.name)
        .unwrap_or_default();
    let g = serde_json::from_str(&v.graph).map_err(|e| {
        ServiceError::Internal(format!("flow {} v{}: {e}", run.flow_id, run.version))
    })?;
    Ok((name, g))
}

/// The facts a run's conditions and texts read: the customer, the ticket, the
/// time in the workspace's business hours, the last message.
pub(super) async fn facts(
    db: &impl ConnectionTrait,
    scope: Scoped,
    c: &conversation::Model,
) -> ServiceResult<BTreeMap<String, String>> {
    let f = facts_for(db, scope, c.id, &[], &Needs::clock()).await?;
    let mut out: BTreeMap<String, String> =
        f.0.into_iter()
            .map(|(k, v)| {
                let s = match v {
                    Fact::Text(s) => s,
                    Fact::Num(n) => n.to_string(),
                    Fact::List(l) => l.join(","),
                    Fact::Ref(r) => r.map(|id| id.to_string()).unwrap_or_default(),
                };
                (k, s)
            })
            .collect();
    let first = out
        .get("customer.name")
        .and_then(|n| n.split_whitespace().next())
        .unwrap_or_default()
        .to_owned();
    out.insert("customer.first_name".into(), first);
    out.insert("channel".into(), c.channel.clone());
    out.insert("ticket.reference".into(), ticket_ref(c.number));
    Ok(out)
}

/// Feeds `input` to a run and carries out what it decides; returns the run's
/// status afterwards.
///
/// # Errors
/// Database errors (the unit of work rolls back; the message or timer is retried).
pub async fn step(
    uow: &mut UnitOfWork,
    scope: Scoped,
    run: flow_session::Model,
    input: &RunInput,
) -> ServiceResult<RunStatus> {
    let (flow_name, graph) = graph_of(&**uow, scope, &run).await?;
    let c = conversations::find(&**uow, scope, run.conversation_id).await?;
    let mut facts = facts(&**uow, scope, &c).await?;
    facts
        .extend(crate::services::segments::flow_facts(&**uow, scope, &graph, c.customer_id).await?);
    let state = if matches!(input, RunInput::Begin) {
        let mut s = begin(&graph);
        s.vars = serde_json::from_str(&run.vars).unwrap_or_default();
        s
    } else {
        RunState {
            node: run.node.clone(),
            vars: serde_json::from_str(&run.vars).unwrap_or_default(),
            status: parse_status(&run.status),
            steps: u32::try_from(run.steps).unwrap_or_default(),
        }
    };
    let mut turn = advance(&graph, &state, input, &facts);
    if matches!(input, RunInput::Begin) {
        pre_answer(&graph, &mut turn, &facts);
    }
    let mut timer: Option<u32> = None;
    for effect in &turn.effects {
        if let RunEffect::Wait { minutes } = effect {
            timer = Some(*minutes);
            continue;
        }
        if let RunEffect::WaitFor { timeout_mins, .. } = effect {
            timer = *timeout_mins;
            continue;
        }
        if let RunEffect::Ask {
            timeout_mins: Some(m),
            ..
        } = effect
        {
            timer = Some(*m);
        }
        uow.savepoint().await?;
        match carry_out(uow, scope, &run, &flow_name, effect).await {
            Ok(()) => uow.release_savepoint().await?,
            // A database failure is not the step's fault: the unit of work fails.
            Err(e @ ServiceError::Db(_)) => return Err(e),
            Err(e) => {
                uow.rollback_savepoint().await?;
                let c = conversations::find(&**uow, scope, run.conversation_id).await?;
                let what = if run.kind == WORKFLOW {
                    "Workflow"
                } else {
                    "Flow"
                };
                messages::insert_automated_note(
                    uow,
                    scope,
                    &c,
                    &format!("{what} “{flow_name}”: a step could not be carried out: {e}"),
                    BOT_LABEL,
                )
                .await?;
            }
        }
    }
    let t = now();
    record_path(&**uow, scope, &run, &turn.path).await?;
    let st = &turn.state;
    let over = st.status.is_over();
    let mut am = run.clone().into_active_model();
    am.node = Set(st.node.clone());
    am.status = Set(status_name(&st.status).to_owned());
    am.vars = Set(serde_json::to_string(&st.vars).unwrap_or_else(|_| "{}".into()));
    am.steps = Set(i32::try_from(st.steps).unwrap_or(i32::MAX));
    am.updated_at = Set(t);
    // A timer belongs to the step it was started at; moving on makes it stale.
    let waits_here = st.node == run.node && st.status == parse_status(&run.status);
    if timer.is_some() || !waits_here {
        am.timer_seq = Set(run.timer_seq + 1);
        am.wake_at = Set(None);
    }
    if over {
        am.ended_at = Set(Some(t));
    }
    let saved = am.update(&**uow).await?;
    if let (Some(minutes), false) = (timer, over) {
        let at = t + chrono::Duration::minutes(i64::from(minutes));
        let mut am = saved.clone().into_active_model();
        am.wake_at = Set(Some(at));
        am.update(&**uow).await?;
        let cfg = uow.state().config.jobs.clone();
        jobs::enqueue(
            &**uow,
            &cfg,
            NewJob {
                workspace_id: Some(scope.workspace_id()),
                run_at: Some(at),
                idempotency_key: Some(format!("flow-timer:{}:{}", saved.id, saved.timer_seq)),
                ..NewJob::new(
                    TIMER_JOB,
                    serde_json::json!({
                        "workspace_id": scope.workspace_id(),
                        "session_id": saved.id,
                        "seq": saved.timer_seq,
                    }),
                )
            },
        )
        .await?;
        uow.jobs_enqueued();
    }
    Ok(st.status.clone())
}

/// A flow started by a message that already picks one of its first question's
/// choices (a button's label or number) goes on at once, without asking it.
fn pre_answer(graph: &FlowGraph, turn: &mut RunTurn, facts: &BTreeMap<String, String>) {
    if turn.state.status != RunStatus::WaitingInput {
        return;
    }
    let Some(first) = turn.state.vars.get("first_message").cloned() else {
        return;
    };
    let choices = graph
        .node(&turn.state.node)
        .is_some_and(|n| matches!(&n.kind, NodeKind::Ask { input, .. } if input.has_choices()));
    if !choices || first.trim().is_empty() {
        return;
    }
    let next = advance(graph, &turn.state, &RunInput::Answer(first), facts);
    if next
        .path
        .first()
        .is_none_or(|p| !p.port.as_deref().is_some_and(|p| p.starts_with("choice:")))
    {
        return; // It picks no choice: ask.
    }
    // Drop the question (the last effect) and the stop at it (the last step).
    turn.effects.pop();
    turn.path.pop();
    turn.effects.extend(next.effects);
    turn.path.extend(next.path);
    turn.state = next.state;
}

async fn finish(
    db: &impl ConnectionTrait,
    run: flow_session::Model,
    status: &str,
) -> ServiceResult<()> {
    let t = now();
    let mut am = run.into_active_model();
    am.status = Set(status.to_owned());
    am.updated_at = Set(t);
    am.ended_at = Set(Some(t));
    am.wake_at = Set(None);
    am.update(db).await?;
    Ok(())
}

async fn record_path(
    db: &impl ConnectionTrait,
    scope: Scoped,
    run: &flow_session::Model,
    path: &[RunStep],
) -> ServiceResult<()> {
    if path.is_empty() {
        return Ok(());
    }
    let t = now();
    let rows = path.iter().map(|p| flow_step::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        flow_id: Set(run.flow_id),
        version: Set(run.version),
        session_id: Set(run.id),
        node: Set(p.node.clone()),
        port: Set(p.port.clone()),
        created_at: Set(t),
        ..Default::default()
    });
    flow_step::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// A Create ticket step: a new ticket for the conversation's customer, by email
/// when their address is known (else on the conversation's channel), its first
/// message theirs. It then goes through the pipeline as a new ticket would —
/// rules, routing, SLAs, workflows — except the AI agent and chatbot flows (a
/// flow made it; a flow on its channel must not answer it, or make another).
#[allow(clippy::too_many_arguments)]
async fn create_ticket(
    uow: &mut UnitOfWork,
    scope: Scoped,
    c: &conversation::Model,
    flow_name: &str,
    (subject, body): (&str, &str),
    team_id: Option<i32>,
    priority: &str,
    reply: &str,
) -> ServiceResult<()> {
    let priority = Priority::parse(priority).ok_or_else(|| {
        ServiceError::invalid("priority", format!("Unknown priority `{priority}`."))
    })?;
    let customer = crate::services::inbox::customers::find(&**uow, scope, c.customer_id).await?;
    let channel = if customer.email.as_deref().is_some_and(|e| !e.is_empty()) {
        Channel::Email
    } else {
        Channel::parse(&c.channel).unwrap_or(Channel::Chat)
    };
    let new = conversations::create_in(
        uow,
        scope,
        None,
        conversations::NewConversation {
            customer: conversations::CustomerRef::Id(c.customer_id),
            subject: subject.to_owned(),
            channel,
            priority,
            body: body.to_owned(),
            from_customer: true,
            tags: Vec::new(),
            assignee_id: None,
            team_id,
        },
    )
    .await?;
    let first = scope
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(new.id))
        .order_by_asc(message::Column::Id)
        .one(&**uow)
        .await?
        .ok_or_else(|| ServiceError::Internal("a new ticket without its message".into()))?;
    uow.claim(new.id, "flow.done");
    uow.claim(new.id, "flow.created");
    uow.note(StageEvent::MessageReceived {
        workspace_id: scope.workspace_id(),
        conversation_id: new.id,
        message_id: first.id,
        channel,
        automatic: false,
        opened: true,
        media: false,
    });
    let reference = ticket_ref(new.number);
    messages::insert_automated_note(
        uow,
        scope,
        c,
        &format!("Flow “{flow_name}” opened ticket {reference} for this customer: {subject}"),
        BOT_LABEL,
    )
    .await?;
    let reply = reply.replace(crate::types::NEW_TICKET, &reference);
    if !reply.trim().is_empty() {
        messages::insert_automated_reply(uow, scope, c, &reply, Some(BOT_LABEL)).await?;
    }
    Ok(())
}

fn bot() -> Who {
    Who {
        user_id: None,
        label: BOT_LABEL.to_owned(),
    }
}

/// The text of a question on a channel: the prompt, and on text-only channels
/// the choices as numbered lines.
pub fn question_text(channel: &str, prompt: &str, choices: &[String]) -> String {
    if choices.is_empty() || channel == Channel::Chat.as_str() {
        return prompt.to_owned();
    }
    let mut out = prompt.to_owned();
    for (i, c) in choices.iter().enumerate() {
        out.push_str(&format!("\n{}. {c}", i + 1));
    }
    out.push_str("\nReply with the number or the words.");
    out
}

#[allow(clippy::too_many_lines)]
async fn carry_out(
    uow: &mut UnitOfWork,
    scope: Scoped,
    run: &flow_session::Model,
    flow_name: &str,
    effect: &RunEffect,
) -> ServiceResult<()> {
    let id = run.conversation_id;
    let c = conversations::find(&**uow, scope, id).await?;
    let meta = RequestMeta::default();
    match effect {
        RunEffect::Say { text } => {
            if !text.trim().is_empty() {
                messages::insert_automated_reply(uow, scope, &c, text, Some(BOT_LABEL)).await?;
            }
        }
        RunEffect::Ask {
            prompt,
            choices,
            dropdown,
            ..
        } => {
            let body = question_text(&c.channel, prompt, choices);
            let choices_json = (!choices.is_empty()).then(|| {
                serde_json::to_string(&MessageChoices {
                    dropdown: *dropdown,
                    choices: choices.clone(),
                })
                .unwrap_or_default()
            });
            let m = messages::NewMessage {
                kind: MessageKind::Reply,
                body_text: body,
                author_label: Some(BOT_LABEL.to_owned()),
                choices: choices_json,
                ..messages::NewMessage::default()
            };
            messages::insert_automated(uow, scope, &c, &m).await?;
        }
        RunEffect::Tag { tag } => {
            let added =
                conversations::set_tags_in(&**uow, scope, id, std::slice::from_ref(tag), &[])
                    .await?;
            if !added.is_empty() {
                let c = conversations::touch(&**uow, c).await?;
                conversations::note_updated(uow, &c, vec!["tags"]);
            }
        }
        RunEffect::SetField { key, value } => {
            let patch = conversations::ConversationPatch {
                fields: vec![(key.clone(), value.clone())],
                ..Default::default()
            };
            conversations::apply_patch_as(uow, scope, &bot(), id, &patch, &meta).await?;
        }
        RunEffect::SetPriority { priority } => {
            let p = Priority::parse(priority).ok_or_else(|| {
                ServiceError::invalid("priority", format!("Unknown priority `{priority}`."))
            })?;
            let patch = conversations::ConversationPatch {
                priority: Some(p),
                ..Default::default()
            };
            conversations::apply_patch_as(uow, scope, &bot(), id, &patch, &meta).await?;
        }
        RunEffect::Webhook { endpoint_id } => {
            let cfg = uow.state().config.jobs.clone();
            let fresh = scope
                .find::<flow_session::Entity>()
                .filter(flow_session::Column::Id.eq(run.id))
                .one(&**uow)
                .await?;
            let vars: serde_json::Value = fresh
                .and_then(|r| serde_json::from_str(&r.vars).ok())
                .unwrap_or_default();
            webhooks::enqueue_one(
                &**uow,
                &cfg,
                scope,
                *endpoint_id,
                "flow.step",
                serde_json::json!({
                    "flow": {"id": run.flow_id, "name": flow_name, "version": run.version},
                    "conversation": {
                        "id": c.id, "number": c.number, "reference": ticket_ref(c.number),
                        "subject": c.subject, "channel": c.channel,
                    },
                    "variables": vars,
                }),
            )
            .await?;
            uow.jobs_enqueued();
        }
        RunEffect::CreateTicket {
            subject,
            body,
            team_id,
            priority,
            reply,
        } => {
            create_ticket(
                uow,
                scope,
                &c,
                flow_name,
                (subject, body),
                *team_id,
                priority,
                reply,
            )
            .await?;
        }
        RunEffect::AiAnswer => {
            let last = scope
                .find::<message::Entity>()
                .filter(message::Column::ConversationId.eq(id))
                .filter(message::Column::Direction.eq("inbound"))
                .order_by_desc(message::Column::Id)
                .one(&**uow)
                .await?;
            let cfg = uow.state().config.jobs.clone();
            let then = serde_json::json!({
                "kind": AI_DONE_JOB,
                "payload": {"workspace_id": scope.workspace_id(), "session_id": run.id},
            });
            match last {
                Some(m) => {
                    jobs::enqueue(
                        &**uow,
                        &cfg,
                        NewJob {
                            workspace_id: Some(scope.workspace_id()),
                            idempotency_key: Some(format!("ai:{}", m.id)),
                            ..NewJob::new(
                                jobs::kind::AI_RESOLVE,
                                serde_json::json!({
                                    "workspace_id": scope.workspace_id(),
                                    "conversation_id": id,
                                    "message_id": m.id,
                                    "then": then,
                                }),
                            )
                        },
                    )
                    .await?;
                }
                None => {
                    // Nothing to answer: go on by the hand-off exit.
                    jobs::enqueue(
                        &**uow,
                        &cfg,
                        NewJob {
                            workspace_id: Some(scope.workspace_id()),
                            ..NewJob::new(
                                AI_DONE_JOB,
                                serde_json::json!({
                                    "workspace_id": scope.workspace_id(),
                                    "session_id": run.id,
                                    "answered": false,
                                }),
                            )
                        },
                    )
                    .await?;
                }
            }
            uow.jobs_enqueued();
        }
        RunEffect::SuggestArticles { query } => {
            let hits =
                search::retrieve(&**uow, scope, query, Audience::Customer, "en", 8, None).await?;
            let mut seen = Vec::new();
            let mut lines = Vec::new();
            for h in hits {
                if seen.contains(&h.article_id) || seen.len() >= 3 {
                    continue;
                }
                seen.push(h.article_id);
                lines.push(format!("• {} — {}", h.title, absolute(uow.state(), &h.url)));
            }
            let text = if lines.is_empty() {
                "I could not find an article about that.".to_owned()
            } else {
                format!("These articles might help:\n{}", lines.join("\n"))
            };
            messages::insert_automated_reply(uow, scope, &c, &text, Some(BOT_LABEL)).await?;
        }
        RunEffect::Handoff { team_id, note } => {
            if let Some(t) = team_id {
                let patch = conversations::ConversationPatch {
                    team_id: Some(Some(*t)),
                    ..Default::default()
                };
                conversations::apply_patch_as(uow, scope, &bot(), id, &patch, &meta).await?;
            }
            let c = conversations::find(&**uow, scope, id).await?;
            let note = if note.trim().is_empty() {
                format!("Flow “{flow_name}” handed this conversation over.")
            } else {
                format!("Flow “{flow_name}” handed this conversation over: {note}")
            };
            messages::insert_automated_note(uow, scope, &c, &note, BOT_LABEL).await?;
            // A person was asked for: the AI agent stays out from now on (an
            // escalation by the AI agent itself keeps its own reason).
            let c = if c.ai_state.as_deref() == Some("escalated") {
                c
            } else {
                let mut am = c.clone().into_active_model();
                am.ai_state = Set(Some("escalated".into()));
                am.ai_reason = Set(Some(format!("Handed over by flow “{flow_name}”")));
                am.update(&**uow).await?
            };
            if c.assignee_id.is_none() {
                // The routing stage gives it to a person of the team's queue.
                conversations::note_updated(uow, &c, vec!["handover"]);
            }
        }
        RunEffect::TicketAction { action } => {
            let source = Source::Workflow {
                id: run.flow_id,
                name: flow_name,
                version: run.version,
            };
            run_workflow_action(uow, scope, source, action, id).await?;
        }
        // Campaign emails are the campaign runner's (a chatbot or workflow
        // graph cannot hold a Send email step).
        RunEffect::Wait { .. }
        | RunEffect::WaitFor { .. }
        | RunEffect::SendEmail { .. }
        | RunEffect::SendInApp { .. } => {}
    }
    Ok(())
}

fn absolute(state: &AppState, url: &str) -> String {
    if url.starts_with('/') {
        format!("{}{url}", state.config.public_url.trim_end_matches('/'))
    } else {
        url.to_owned()
    }
}

fn int(payload: &serde_json::Value, k: &str) -> Result<i32, String> {
    payload
        .get(k)
        .and_then(serde_json::Value::as_i64)
        .and_then(|v| i32::try_from(v).ok())
        .ok_or_else(|| format!("payload without `{k}`"))
}

/// A run's timer fired (a Wait, or a question's timeout).
///
/// # Errors
/// A message for the job log (retried).
pub async fn run_timer_job(state: &AppState, payload: &serde_json::Value) -> Result<(), String> {
    let scope = Scoped::new(int(payload, "workspace_id")?);
    let (id, seq) = (int(payload, "session_id")?, int(payload, "seq")?);
    resume(state, scope, id, |run| {
        (run.timer_seq == seq).then(|| match parse_status(&run.status) {
            RunStatus::WaitingTimer => RunInput::TimerDone,
            _ => RunInput::Timeout,
        })
    })
    .await
    .map_err(|e| e.to_string())
}

/// The AI agent finished the run's AI answer step.
///
/// # Errors
/// A message for the job log (retried).
pub async fn run_ai_done_job(state: &AppState, payload: &serde_json::Value) -> Result<(), String> {
    let scope = Scoped::new(int(payload, "workspace_id")?);
    let id = int(payload, "session_id")?;
    let answered = payload
        .get("answered")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    resume(state, scope, id, |run| {
        (parse_status(&run.status) == RunStatus::WaitingAi).then_some(RunInput::AiOutcome(answered))
    })
    .await
    .map_err(|e| e.to_string())
}

async fn resume(
    state: &AppState,
    scope: Scoped,
    session_id: i32,
    input: impl FnOnce(&flow_session::Model) -> Option<RunInput>,
) -> ServiceResult<()> {
    let mut uow = UnitOfWork::begin(state).await?;
    let Some(run) = scope
        .find::<flow_session::Entity>()
        .filter(flow_session::Column::Id.eq(session_id))
        .one(&*uow)
        .await?
    else {
        return Ok(());
    };
    if !ACTIVE.contains(&run.status.as_str()) {
        return Ok(());
    }
    let Some(input) = input(&run) else {
        return Ok(());
    };
    let c = conversations::find(&*uow, scope, run.conversation_id).await?;
    // A person took over meanwhile (the AI agent's own hand-over is the outcome
    // the run waits for, not a take-over).
    if run.kind == CHATBOT && c.assignee_id.is_some() && !matches!(input, RunInput::AiOutcome(_)) {
        finish(&*uow, run, "handed_off").await?;
    } else {
        step(&mut uow, scope, run, &input).await?;
    }
    uow.commit().await
}
