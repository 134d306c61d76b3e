//! A unit of work: one database transaction plus the events and jobs it produces.
//! Events are published only after commit, so no subscriber ever sees a change that
//! was rolled back; jobs are rows in the same transaction (transactional outbox).

use super::bus::Event;
use super::{AppState, ServiceResult};
use sea_orm::{DatabaseTransaction, TransactionTrait};
use std::ops::Deref;

/// A transaction with deferred events.
pub struct UnitOfWork {
    txn: DatabaseTransaction,
    events: Vec<Event>,
    wake_jobs: bool,
    state: AppState,
}

impl UnitOfWork {
    /// Begins a transaction.
    ///
    /// # Errors
    /// Database errors.
    pub async fn begin(state: &AppState) -> ServiceResult<Self> {
        Ok(Self {
            txn: state.db.begin().await?,
            events: Vec::new(),
            wake_jobs: false,
            state: state.clone(),
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
        self.txn.commit().await?;
        for e in self.events {
            self.state.bus.publish(e);
        }
        if self.wake_jobs {
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
