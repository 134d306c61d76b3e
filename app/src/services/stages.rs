//! The inbound and update pipeline: what happens after a message is stored or a
//! conversation changes (rules, the AI agent, and later routing, SLA clocks and
//! flows) runs as **stages registered at start-up**, in a fixed order. The code
//! that stores the message or makes the change imports none of them: it notes a
//! [`StageEvent`] on its [`UnitOfWork`], and the unit of work hands every noted
//! event to the registered stages before it commits, so what the stages change
//! commits (or rolls back) with the change that caused it.
//!
//! A stage's own changes note further events (a rule that sets the priority notes
//! `conversation.updated`); the unit of work keeps handing them on until none is
//! left, at most [`MAX_ROUNDS`] rounds. Stages guard against feeding themselves:
//! each event says which rule (if any) caused it, and the rules stage lets a rule
//! fire at most [`crate::types::RULE_REFIRE_BOUND`] times per unit of work.
//!
//! The standard order (see [`super::wiring::standard_stages`]) is documented in
//! docs/automation.md.

use super::uow::UnitOfWork;
use super::ServiceResult;
use crate::types::Channel;
use std::sync::Arc;

/// Rounds of follow-on events one unit of work processes before it stops
/// handing them on (a safety net under the per-rule bound).
pub const MAX_ROUNDS: usize = 8;

/// Something a stage may react to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StageEvent {
    /// A customer's message was stored (a new conversation when `opened`).
    MessageReceived {
        /// The workspace.
        workspace_id: i32,
        /// The conversation.
        conversation_id: i32,
        /// The stored message.
        message_id: i32,
        /// The channel it came through.
        channel: Channel,
        /// An auto-reply (stored, never answered).
        automatic: bool,
        /// The message opened a new conversation.
        opened: bool,
        /// It came with audio or video files (the transcription stage looks
        /// only then, so other messages cost no query).
        media: bool,
    },
    /// A conversation's status, priority, assignee, team, tags or fields changed.
    ConversationUpdated {
        /// The workspace.
        workspace_id: i32,
        /// The conversation.
        conversation_id: i32,
        /// What changed (`status`, `priority`, `assignee`, `team`, `tags`, `fields`).
        changed: Vec<&'static str>,
        /// The rule whose action made the change (none: a person, the AI agent or
        /// an API client).
        by_rule: Option<i32>,
    },
    /// The ticket's nearest SLA target is close (warning) or past (breach).
    SlaAlert {
        /// The workspace.
        workspace_id: i32,
        /// The conversation.
        conversation_id: i32,
        /// Past the target (otherwise a warning).
        breached: bool,
    },
}

impl StageEvent {
    /// The event's conversation.
    pub fn conversation_id(&self) -> i32 {
        match self {
            Self::MessageReceived {
                conversation_id, ..
            }
            | Self::ConversationUpdated {
                conversation_id, ..
            }
            | Self::SlaAlert {
                conversation_id, ..
            } => *conversation_id,
        }
    }

    /// The event's workspace.
    pub fn workspace_id(&self) -> i32 {
        match self {
            Self::MessageReceived { workspace_id, .. }
            | Self::ConversationUpdated { workspace_id, .. }
            | Self::SlaAlert { workspace_id, .. } => *workspace_id,
        }
    }
}

/// One stage of the pipeline.
#[async_trait::async_trait]
pub trait Stage: Send + Sync {
    /// A short name for logs and docs (`rules`, `ai`).
    fn name(&self) -> &'static str;

    /// Reacts to one event inside the unit of work that caused it. An error rolls
    /// the whole unit of work back, so a stage that may fail on its own (a rule
    /// action) contains its failure and records it instead.
    async fn handle(&self, uow: &mut UnitOfWork, event: &StageEvent) -> ServiceResult<()>;
}

/// The registered stages, in order.
#[derive(Clone, Default)]
pub struct Stages {
    list: Vec<Arc<dyn Stage>>,
}

impl std::fmt::Debug for Stages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.list.iter().map(|s| s.name()))
            .finish()
    }
}

impl Stages {
    /// No stages (a process that stores nothing, or a test that wants none).
    pub fn none() -> Self {
        Self::default()
    }

    /// Appends a stage; stages run in the order they were added.
    #[must_use]
    pub fn then(mut self, stage: Arc<dyn Stage>) -> Self {
        self.list.push(stage);
        self
    }

    /// The stages' names, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.list.iter().map(|s| s.name()).collect()
    }

    /// Hands `event` to every stage in order.
    ///
    /// # Errors
    /// The first stage error (the unit of work then rolls back).
    pub async fn run(&self, uow: &mut UnitOfWork, event: &StageEvent) -> ServiceResult<()> {
        for s in &self.list {
            s.handle(uow, event).await?;
        }
        Ok(())
    }
}
