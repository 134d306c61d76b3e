//! A unit of work: one database transaction plus the events and jobs it produces.
//! Events are published only after commit, so no subscriber ever sees a change that
//! was rolled back; jobs are rows in the same transaction (transactional outbox).

use super::bus::Event;
use super::{AppState, ServiceResult};
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use std::ops::Deref;

/// A transaction with deferred events.
pub struct UnitOfWork {
    txn: DatabaseTransaction,
    events: Vec<Event>,
    wake_jobs: bool,
    state: AppState,
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

    /// Notes that a job was enqueued, so workers wake after commit.
    pub fn jobs_enqueued(&mut self) {
        self.wake_jobs = true;
    }

    /// Commits, then publishes events and wakes workers.
    ///
    /// # Errors
    /// Database errors (nothing is published then).
    pub async fn commit(self) -> ServiceResult<()> {
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
            self.state.job_signal.notify_waiters();
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
