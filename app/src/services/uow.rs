//! A unit of work: one database transaction plus the events and jobs it produces.
//! Events are published only after commit, so no subscriber ever sees a change that
//! was rolled back; jobs are rows in the same transaction (transactional outbox).

use super::bus::Event;
use super::stages::{StageEvent, MAX_ROUNDS};
use super::{AppState, ServiceResult};
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use std::collections::HashMap;
use std::ops::Deref;

/// A transaction with deferred events.
pub struct UnitOfWork {
    txn: DatabaseTransaction,
    events: Vec<Event>,
    wake_jobs: bool,
    state: AppState,
    /// Events for the registered stages, not yet handed on.
    pending: Vec<StageEvent>,
    /// Outer transactions while a savepoint is open (innermost last).
    outer: Vec<(DatabaseTransaction, usize, usize)>,
    /// The rule whose actions are running now (changes note it as their cause).
    acting_rule: Option<i32>,
    /// How often each rule fired in this unit of work (the re-trigger bound).
    rule_fires: HashMap<i32, u32>,
    /// Conversations a stage took charge of (see [`UnitOfWork::claim`]).
    claims: Vec<(i32, &'static str)>,
    /// Things done once per unit of work (a workflow started on a ticket, a
    /// run stepped), so an action's own change cannot set them off again.
    once: std::collections::HashSet<(&'static str, i32, i32)>,
    /// The person making the change, when one is (see [`UnitOfWork::act_as`]).
    acting_user: Option<i32>,
    /// Held for the transaction's life on SQLite (see [`UnitOfWork::begin`]).
    _writer: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl UnitOfWork {
    /// Begins a transaction.
    ///
    /// # Errors
    /// Database errors.
    ///
    /// On SQLite a unit of work takes this process's writer lock first, then the
    /// database's write lock right away (the effect of `BEGIN IMMEDIATE`): a deferred
    /// transaction that read before writing fails with `SQLITE_BUSY` when another
    /// writer committed in between, so writers queue here instead.
    pub async fn begin(state: &AppState) -> ServiceResult<Self> {
        let writer = state.sqlite_write_turn().await;
        let txn = state.db.begin().await?;
        if writer.is_some() {
            txn.execute_unprepared("UPDATE workspaces SET ticket_seq = ticket_seq WHERE id = -1")
                .await?;
        }
        Ok(Self {
            txn,
            events: Vec::new(),
            wake_jobs: false,
            state: state.clone(),
            pending: Vec::new(),
            outer: Vec::new(),
            acting_rule: None,
            rule_fires: HashMap::new(),
            claims: Vec::new(),
            once: std::collections::HashSet::new(),
            acting_user: None,
            _writer: writer,
        })
    }

    /// Queues an event for publication after commit.
    pub fn emit(&mut self, event: Event) {
        self.events.push(event);
    }

    /// The application state (configuration, bus) for work inside the transaction.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Records that a person makes this change (so nobody is notified of what
    /// they did themselves, e.g. taking a ticket).
    pub fn act_as(&mut self, user_id: i32) {
        self.acting_user = Some(user_id);
    }

    /// The person making this change (none: a customer, the AI agent, a rule's
    /// schedule, routing, an API client).
    pub fn acting_user(&self) -> Option<i32> {
        self.acting_user
    }

    /// Notes that a job was enqueued, so workers wake after commit.
    pub fn jobs_enqueued(&mut self) {
        self.wake_jobs = true;
    }

    /// Notes an event for the registered stages (handed on before commit).
    pub fn note(&mut self, event: StageEvent) {
        if let StageEvent::ConversationUpdated {
            conversation_id,
            changed,
            by_rule,
            ..
        } = &event
        {
            // One entry per conversation and cause: merge what changed.
            if let Some(StageEvent::ConversationUpdated {
                changed: have, ..
            }) = self.pending.iter_mut().find(|e| {
                matches!(e, StageEvent::ConversationUpdated { conversation_id: c, by_rule: b, .. }
                    if c == conversation_id && b == by_rule)
            }) {
                for c in changed {
                    if !have.contains(c) {
                        have.push(c);
                    }
                }
                return;
            }
        }
        self.pending.push(event);
    }

    /// Records that a stage took charge of a conversation in this unit of work
    /// (`ai`: the AI agent answers first, so routing leaves it for now).
    pub fn claim(&mut self, conversation_id: i32, by: &'static str) {
        if !self.is_claimed(conversation_id, by) {
            self.claims.push((conversation_id, by));
        }
    }

    /// Whether a stage took charge of the conversation (see [`Self::claim`]).
    pub fn is_claimed(&self, conversation_id: i32, by: &'static str) -> bool {
        self.claims.contains(&(conversation_id, by))
    }

    /// Marks `key` as done in this unit of work; true the first time.
    pub fn first_time(&mut self, key: (&'static str, i32, i32)) -> bool {
        self.once.insert(key)
    }

    /// Whether `key` was marked by [`Self::first_time`].
    pub fn done_once(&self, key: (&'static str, i32, i32)) -> bool {
        self.once.contains(&key)
    }

    /// The rule whose actions are running now, if any.
    pub fn acting_rule(&self) -> Option<i32> {
        self.acting_rule
    }

    /// Sets (or clears) the rule whose actions are running now.
    pub fn set_acting_rule(&mut self, rule: Option<i32>) {
        self.acting_rule = rule;
    }

    /// Counts one firing of `rule` in this unit of work; returns the count so far
    /// (including this one).
    pub fn count_rule_fire(&mut self, rule: i32) -> u32 {
        let n = self.rule_fires.entry(rule).or_insert(0);
        *n += 1;
        *n
    }

    /// How often `rule` fired in this unit of work.
    pub fn rule_fires(&self, rule: i32) -> u32 {
        self.rule_fires.get(&rule).copied().unwrap_or(0)
    }

    /// Opens a savepoint: what follows can be undone by [`Self::rollback_savepoint`]
    /// without undoing the rest of the unit of work.
    ///
    /// # Errors
    /// Database errors.
    pub async fn savepoint(&mut self) -> ServiceResult<()> {
        let inner = self.txn.begin().await?;
        let outer = std::mem::replace(&mut self.txn, inner);
        self.outer
            .push((outer, self.events.len(), self.pending.len()));
        Ok(())
    }

    /// Keeps what was written since the last [`Self::savepoint`].
    ///
    /// # Errors
    /// Database errors.
    pub async fn release_savepoint(&mut self) -> ServiceResult<()> {
        if let Some((outer, _, _)) = self.outer.pop() {
            let inner = std::mem::replace(&mut self.txn, outer);
            inner.commit().await?;
        }
        Ok(())
    }

    /// Undoes what was written (and the events emitted and noted) since the last
    /// [`Self::savepoint`].
    ///
    /// # Errors
    /// Database errors.
    pub async fn rollback_savepoint(&mut self) -> ServiceResult<()> {
        if let Some((outer, mark, noted)) = self.outer.pop() {
            let inner = std::mem::replace(&mut self.txn, outer);
            self.events.truncate(mark);
            self.pending.truncate(noted);
            inner.rollback().await?;
        }
        Ok(())
    }

    /// Hands the noted events to the registered stages until none is left.
    /// Hands the events noted so far to the stages now (instead of at commit),
    /// so the caller can read the result of what they changed, e.g. to answer a
    /// request with the ticket as the rules and routing left it.
    ///
    /// # Errors
    /// The first stage error.
    pub async fn settle(&mut self) -> ServiceResult<()> {
        self.run_stages().await
    }

    async fn run_stages(&mut self) -> ServiceResult<()> {
        let stages = self.state.stages.clone();
        for _ in 0..MAX_ROUNDS {
            if self.pending.is_empty() {
                return Ok(());
            }
            let batch = std::mem::take(&mut self.pending);
            for e in &batch {
                stages.run(self, e).await?;
            }
        }
        if !self.pending.is_empty() {
            tracing::warn!(
                left = self.pending.len(),
                "stage events still pending after {MAX_ROUNDS} rounds; not handed on"
            );
            self.pending.clear();
        }
        Ok(())
    }

    /// Hands noted events to the stages, commits, then publishes events and wakes
    /// workers.
    ///
    /// # Errors
    /// Database errors (nothing is published then).
    pub async fn commit(mut self) -> ServiceResult<()> {
        self.run_stages().await?;
        while !self.outer.is_empty() {
            self.release_savepoint().await?;
        }
        // Webhook deliveries for the events commit with the change (outbox).
        let hooks = super::channels::webhooks::enqueue_for_events(
            &self.txn,
            &self.state.config.jobs,
            &self.events,
        )
        .await?;
        self.txn.commit().await?;
        let wake = self.wake_jobs || hooks > 0;
        for e in self.events {
            self.state.bus.publish(e);
        }
        if wake {
            self.state.wake_workers();
        }
        Ok(())
    }
}

impl Deref for UnitOfWork {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &Self::Target {
        &self.txn
    }
}
