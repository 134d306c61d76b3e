//! The composition root of the pipeline: which stages run after a message is
//! stored or a conversation changes, and in which order. The code that stores
//! messages and changes conversations knows none of them (see [`super::stages`]).

use super::stages::Stages;
use std::sync::Arc;

/// The standard stages, in order:
///
/// 0. **transcribe** — a customer's audio and video attachments get their
///    transcripts queued (when the workspace transcribes them);
///    **slack** — a new conversation is posted to the workspace's Slack
///    notifications channel (a customer's later messages are mirrored into
///    that post's thread), and a ticket opened with `/ticket` gets its Slack
///    thread, before the rules, so their replies find it;
/// 1. **rules** — triggers whose conditions hold apply their actions (tags,
///    priority, assignment …) inside the same transaction;
/// 2. **sla** — a new ticket gets the first matching SLA policy's targets; a
///    customer's follow-up starts the next-reply clock; a priority or tag change
///    picks the policy again;
/// 3. **flow** — a customer's first message in a new conversation starts the
///    chatbot flow published for its channel; later messages answer the question
///    a running flow waits on. A running flow claims the conversation: the AI
///    agent and routing wait until it hands off (or ends);
/// 4. **workflow** — visual workflows whose trigger matches the event start a
///    run on the ticket (their ticket actions are the rules' actions); runs
///    waiting for the event (the customer writes, the ticket is solved …) go on;
/// 5. **ai** — the AI agent enqueues its run for a customer message, so it sees
///    what the rules set, and claims the ticket: it answers first;
/// 6. **routing** — an open, unassigned ticket the AI agent did not claim (or
///    that it handed over) joins the first matching queue and goes to an agent
///    of its pool; a ticket leaving someone's active work frees capacity for the
///    tickets that wait;
/// 7. **notify** — a ticket's new assignee hears of it (unless they took it
///    themselves), as their notification preferences say.
pub fn standard_stages() -> Stages {
    Stages::none()
        .then(Arc::new(super::channels::transcription::TranscribeStage))
        .then(Arc::new(super::channels::slack::SlackStage))
        .then(Arc::new(super::automation::engine::RulesStage::default()))
        .then(Arc::new(super::hours::sla::SlaStage))
        .then(Arc::new(super::flows::runner::FlowStage))
        .then(Arc::new(super::flows::workflows::WorkflowStage::default()))
        .then(Arc::new(super::ai::pipeline::AiStage))
        .then(Arc::new(super::routing::engine::RoutingStage))
        .then(Arc::new(super::notify::NotifyStage))
}
