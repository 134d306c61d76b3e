//! Business rules (server-only). Server functions, HTTP handlers, workers and the CLI
//! all call these; none of them holds rules of its own.

pub mod accounts;
pub mod actions;
pub mod activity;
pub mod ai;
pub mod api_keys;
pub mod automation;
pub mod behaviour;
pub mod bus;
pub mod campaigns;
pub mod catalog;
pub mod channels;
pub mod commerce;
pub mod config;
pub mod context;
pub mod csat;
pub mod customer_links;
pub mod dashboard;
pub mod error;
pub mod flows;
pub mod follow_ups;
pub mod hours;
pub mod inbox;
pub mod jobs;
pub mod kb;
pub mod mail;
pub mod mcp;
pub mod metrics;
pub mod notify;
pub mod order_desk;
pub mod orders;
pub mod payments;
pub mod portal;
pub mod quality;
pub mod rate_limit;
pub mod reports;
pub mod routing;
pub mod security;
pub mod segments;
pub mod shipping;
pub mod shopper;
pub mod stages;
pub mod store_pages;
pub mod storefront;
pub mod targeted;
pub mod tasks;
pub mod team;
pub mod tenancy;
pub mod tours;
pub mod uow;
pub mod wiring;
pub mod workspace;

use std::sync::Arc;

pub use config::Config;
pub use context::{Actor, RequestMeta};
pub use error::{ServiceError, ServiceResult};

/// Everything a service needs, cheap to clone; provided to server functions as
/// Leptos context and to axum handlers as state.
#[derive(Clone)]
pub struct AppState {
    /// The database (SQLite or PostgreSQL).
    pub db: sea_orm::DatabaseConnection,
    /// The real-time event bus.
    pub bus: Arc<dyn bus::EventBus>,
    /// Typed configuration.
    pub config: Arc<Config>,
    /// Outgoing mail transport.
    pub mailer: Arc<dyn mail::Mailer>,
    /// Wakes job workers when a transaction enqueued work.
    pub job_signal: Arc<tokio::sync::Notify>,
    /// Who is viewing and typing where (fed by the bus).
    pub presence: Arc<inbox::presence::PresenceBoard>,
    /// Serializes this process's write transactions on SQLite (one writer at a
    /// time, waiting in turn instead of failing with `database is locked`).
    pub sqlite_writer: Arc<tokio::sync::Mutex<()>>,
    /// In-memory rate limits for high-volume public endpoints (chat widget).
    pub limiter: Arc<rate_limit::MemoryLimiter>,
    /// Seals provider API keys at rest (AES-256-GCM); none when no key is set.
    pub secrets: Option<Arc<ai::secrets::SecretBox>>,
    /// What runs after a message is stored or a conversation changes, in order
    /// (registered at start-up: [`wiring::standard_stages`]).
    pub stages: Arc<stages::Stages>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("bus", &self.bus.name())
            .field("mailer", &self.mailer.describe())
            .field("stages", &self.stages)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// This process's SQLite writer turn (none on PostgreSQL). A write outside a
    /// [`uow::UnitOfWork`] that runs while a unit of work holds the database's write
    /// lock fails over to SQLite's busy handler, which sleeps 1, 2, 5, 10 … ms and
    /// retries, and a unit of work that meets such a write sleeps the same way
    /// while every other writer waits behind it. Frequent writers (the job queue)
    /// take their turn here instead.
    pub async fn sqlite_write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        if sea_orm::ConnectionTrait::get_database_backend(&self.db) == sea_orm::DbBackend::Sqlite {
            Some(self.sqlite_writer.clone().lock_owned().await)
        } else {
            None
        }
    }

    /// Wakes job workers after work was enqueued: this process's at once, and
    /// those of every other instance through a shared bus.
    pub fn wake_workers(&self) {
        self.job_signal.notify_waiters();
        if self.bus.shared() {
            self.bus.publish(bus::Event::new(
                bus::SYSTEM,
                bus::JOBS_WAKE,
                serde_json::Value::Null,
            ));
        }
    }
}

/// Current time, in one place so tests and code agree on the type.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}
