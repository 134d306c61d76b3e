//! Process-wide counters for `/metrics` (Prometheus text format is rendered by the
//! server crate). Plain atomics: cheap on hot paths, no registry to thread through.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Jobs that finished successfully.
pub static JOBS_SUCCEEDED: AtomicU64 = AtomicU64::new(0);
/// Job attempts that failed and will be retried.
pub static JOBS_RETRIED: AtomicU64 = AtomicU64::new(0);
/// Jobs moved to the dead-letter list.
pub static JOBS_DEAD: AtomicU64 = AtomicU64::new(0);
/// Jobs running in this process now.
pub static JOBS_RUNNING: AtomicI64 = AtomicI64::new(0);
/// Emails handed to SMTP.
pub static EMAILS_SENT: AtomicU64 = AtomicU64::new(0);
/// Customer messages accepted by the inbound path (all channels).
pub static INBOUND_MESSAGES: AtomicU64 = AtomicU64::new(0);
/// Webhook deliveries that got a 2xx.
pub static WEBHOOKS_DELIVERED: AtomicU64 = AtomicU64::new(0);
/// Open WebSocket connections.
pub static WS_CONNECTIONS: AtomicI64 = AtomicI64::new(0);
/// Events delivered to WebSocket clients.
pub static WS_EVENTS_DELIVERED: AtomicU64 = AtomicU64::new(0);

/// AI pipeline runs.
pub static AI_RUNS: AtomicU64 = AtomicU64::new(0);
/// Total microseconds spent in AI pipeline runs (provider calls excluded).
pub static AI_RUN_MICROS: AtomicU64 = AtomicU64::new(0);

/// Counts one AI pipeline run and its own time.
pub fn observe_ai_run(micros: u64) {
    inc(&AI_RUNS);
    AI_RUN_MICROS.fetch_add(micros, Ordering::Relaxed);
}

/// Adds one.
pub fn inc(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// Adds `d` to a gauge.
pub fn add(g: &AtomicI64, d: i64) {
    g.fetch_add(d, Ordering::Relaxed);
}

/// Reads a counter.
pub fn get(c: &AtomicU64) -> u64 {
    c.load(Ordering::Relaxed)
}

/// Reads a gauge.
pub fn get_gauge(g: &AtomicI64) -> i64 {
    g.load(Ordering::Relaxed)
}
