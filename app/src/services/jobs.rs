//! The durable job queue, in the application database.
//!
//! Why our own and not a library: the queue must take part in SeaORM transactions
//! (an email row and the job that sends it commit together), on SQLite and on
//! PostgreSQL. apalis-sql and sqlxmq enqueue through their own sqlx pool, so a job
//! cannot join a SeaORM transaction; fang and backie need diesel (a second ORM);
//! graphile_worker, sqlxmq and underway are PostgreSQL-only. So jobs are rows in a
//! `jobs` table, claimed with a conditional `UPDATE` (atomic on both databases),
//! leased for `jobs.lease_secs` so a crashed worker's job runs again after restart.
//!
//! Semantics: at-least-once. Handlers are idempotent (they check state before acting).
//! Retries back off exponentially with jitter; after `max_attempts` a job is
//! dead-lettered and an admin can retry it. Cron schedules enqueue with an
//! idempotency key per fire time, so several schedulers never double-enqueue.

use super::config::JobsConfig;
use super::tenancy::{global_delete, Scoped, System};
use super::{metrics, now, AppState, ServiceError, ServiceResult};
use crate::types::{JobView, JobsOverview};
use chrono::{DateTime, Utc};
use entity::job;
use rand::Rng;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::watch;

/// Job statuses.
pub mod status {
    /// Waiting for `run_at`.
    pub const PENDING: &str = "pending";
    /// Claimed by a worker (leased until `locked_until`).
    pub const RUNNING: &str = "running";
    /// Done.
    pub const SUCCEEDED: &str = "succeeded";
    /// Gave up after `max_attempts`.
    pub const DEAD: &str = "dead";
}

/// Job kinds (handler names).
pub mod kind {
    /// Send one outbox email.
    pub const SEND_EMAIL: &str = "mail.send";
    /// Archive old sent emails.
    pub const ARCHIVE_OUTBOX: &str = "mail.archive_sent";
    /// Delete expired sessions.
    pub const PURGE_SESSIONS: &str = "maintenance.purge_sessions";
    /// Delete old rate-limit hits and used/expired tokens.
    pub const PURGE_AUTH: &str = "maintenance.purge_auth";
    /// Delete activity older than the retention window.
    pub const ACTIVITY_RETENTION: &str = "maintenance.activity_retention";
    /// Delete finished jobs older than the retention window.
    pub const PURGE_JOBS: &str = "maintenance.purge_jobs";
    /// Send one outbound webhook delivery.
    pub const DELIVER_WEBHOOK: &str = super::super::channels::webhooks::DELIVER_JOB;
    /// Poll every configured IMAP mailbox.
    pub const POLL_IMAP: &str = "channels.poll_imap";
    /// Run the AI resolution pipeline on one customer message.
    pub const AI_RESOLVE: &str = super::super::ai::pipeline::JOB;
    /// Count quiet AI answers as resolutions.
    pub const AI_SWEEP: &str = super::super::ai::pipeline::SWEEP_JOB;
    /// Run one allowed or approved AI action.
    pub const AI_ACTION: &str = super::super::actions::JOB;
    /// Send (or skip) one due follow-up.
    pub const FOLLOW_UP: &str = super::super::follow_ups::JOB;
    /// One autonomous-loop cycle per workspace that turned it on.
    pub const AI_LOOP: &str = super::super::actions::autonomous::JOB;
    /// Automation rules over open tickets (scheduled).
    pub const RULE_AUTOMATIONS: &str = super::super::automation::engine::JOB;
    /// SLA warnings and breaches.
    pub const SLA_SWEEP: &str = super::super::hours::sla::JOB;
    /// Automatic away/offline, overflow, and waiting tickets given out.
    pub const ROUTING_SWEEP: &str = super::super::routing::engine::JOB;
    /// Delivers one person's due notifications.
    pub const NOTIFY_FLUSH: &str = super::super::notify::FLUSH_JOB;
    /// Delivers due notifications a flush missed.
    pub const NOTIFY_SWEEP: &str = super::super::notify::SWEEP_JOB;
    /// A chatbot flow's timer (a Wait, a question's timeout).
    pub const FLOW_TIMER: &str = super::super::flows::runner::TIMER_JOB;
    /// The AI agent's outcome handed back to a chatbot flow.
    pub const FLOW_AI_DONE: &str = super::super::flows::runner::AI_DONE_JOB;
    /// Campaigns: enrol, step, count conversions (every minute).
    pub const CAMPAIGN_TICK: &str = super::super::campaigns::runner::TICK_JOB;
    /// Campaigns: send one email.
    pub const CAMPAIGN_SEND: &str = super::super::campaigns::send::SEND_JOB;
    /// Register a shipped order's parcel with the tracking provider.
    pub const START_TRACKING: &str = super::super::shipping::START_JOB;
    /// Ask the tracking provider about shipped orders that went quiet.
    pub const POLL_TRACKING: &str = super::super::shipping::POLL_JOB;
    /// Send an SMS or WhatsApp reply's parts through Twilio.
    pub const TWILIO_SEND: &str = super::super::channels::twilio::SEND_JOB;
    /// Push a voice agent's webhook address and settings to the provider.
    pub const VOICE_SYNC: &str = super::super::channels::voice::SYNC_JOB;
    /// Delete call recordings past the retention period (daily).
    pub const VOICE_RETENTION: &str = super::super::channels::voice::RETENTION_JOB;
    /// Upload and submit a file or recording for transcription.
    pub const TRANSCRIBE_SUBMIT: &str = super::super::channels::transcription::SUBMIT_JOB;
    /// Read a finished (or polled) transcript.
    pub const TRANSCRIBE_FETCH: &str = super::super::channels::transcription::FETCH_JOB;
    /// Post a Slack thread's root or one message into a thread.
    pub const SLACK_POST: &str = super::super::channels::slack::POST_JOB;
    /// Build the daily digests that are due (hourly).
    pub const DAILY_DIGEST: &str = super::super::reports::digest::JOB;
    /// Review what was solved lately (AutoQA).
    pub const QUALITY_SWEEP: &str = super::super::quality::SWEEP_JOB;
    /// Build one report export.
    pub const REPORT_EXPORT: &str = super::super::reports::exports::JOB;
    /// Queue the exports of due schedules.
    pub const EXPORT_SWEEP: &str = super::super::reports::exports::SWEEP_JOB;
    /// Kinds another job may name as its follow-up.
    pub const FOLLOW_UPS: &[&str] = &[FLOW_AI_DONE];
}

/// A job to enqueue.
#[derive(Clone, Debug)]
pub struct NewJob {
    /// Handler name.
    pub kind: &'static str,
    /// JSON payload.
    pub payload: serde_json::Value,
    /// Owning workspace, if any.
    pub workspace_id: Option<i32>,
    /// Earliest run time (default: now).
    pub run_at: Option<DateTime<Utc>>,
    /// Enqueue at most once per key.
    pub idempotency_key: Option<String>,
}

impl NewJob {
    /// A job to run now.
    pub fn new(kind: &'static str, payload: serde_json::Value) -> Self {
        Self {
            kind,
            payload,
            workspace_id: None,
            run_at: None,
            idempotency_key: None,
        }
    }
}

/// Enqueues a job on `db` (pass a transaction to make it part of a change).
/// Returns false when a job with the same idempotency key exists.
///
/// # Errors
/// Database errors.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    cfg: &JobsConfig,
    job: NewJob,
) -> ServiceResult<bool> {
    let t = now();
    let am = job::ActiveModel {
        workspace_id: Set(job.workspace_id),
        kind: Set(job.kind.to_owned()),
        payload: Set(job.payload.to_string()),
        status: Set(status::PENDING.to_owned()),
        attempts: Set(0),
        max_attempts: Set(cfg.max_attempts),
        run_at: Set(job.run_at.unwrap_or(t)),
        locked_until: Set(None),
        locked_by: Set(None),
        last_error: Set(None),
        idempotency_key: Set(job.idempotency_key),
        created_at: Set(t),
        updated_at: Set(t),
        finished_at: Set(None),
        ..Default::default()
    };
    let rows = job::Entity::insert(am)
        .on_conflict(
            OnConflict::column(job::Column::IdempotencyKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(rows == 1)
}

fn due(at: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(
            Condition::all()
                .add(job::Column::Status.eq(status::PENDING))
                .add(job::Column::RunAt.lte(at)),
        )
        .add(
            Condition::all()
                .add(job::Column::Status.eq(status::RUNNING))
                .add(job::Column::LockedUntil.lt(at)),
        )
}

/// Claims the next due job (or an expired lease) for `worker`.
///
/// # Errors
/// Database errors.
pub async fn claim_next(
    db: &impl ConnectionTrait,
    worker: &str,
    lease_secs: i64,
) -> ServiceResult<Option<job::Model>> {
    let sys = System::new("workers claim due jobs of every workspace");
    let t = now();
    let candidates = sys
        .find::<job::Entity>()
        .filter(due(t))
        .order_by_asc(job::Column::RunAt)
        .limit(8)
        .all(db)
        .await?;
    let locked_until = t + chrono::Duration::seconds(lease_secs);
    for mut c in candidates {
        let res = sys
            .update_many::<job::Entity>()
            .col_expr(job::Column::Status, Expr::value(status::RUNNING))
            .col_expr(
                job::Column::Attempts,
                Expr::col(job::Column::Attempts).add(1),
            )
            .col_expr(job::Column::LockedUntil, Expr::value(locked_until))
            .col_expr(job::Column::LockedBy, Expr::value(worker))
            .col_expr(job::Column::UpdatedAt, Expr::value(t))
            .filter(job::Column::Id.eq(c.id))
            .filter(due(t))
            .exec(db)
            .await?;
        if res.rows_affected == 1 {
            c.status = status::RUNNING.to_owned();
            c.attempts += 1;
            c.locked_until = Some(locked_until);
            c.locked_by = Some(worker.to_owned());
            return Ok(Some(c));
        }
    }
    Ok(None)
}

/// Marks a job done.
///
/// # Errors
/// Database errors.
pub async fn complete(db: &impl ConnectionTrait, id: i32) -> ServiceResult<()> {
    let t = now();
    System::new("the worker that ran the job finishes it")
        .update_many::<job::Entity>()
        .col_expr(job::Column::Status, Expr::value(status::SUCCEEDED))
        .col_expr(job::Column::FinishedAt, Expr::value(t))
        .col_expr(job::Column::UpdatedAt, Expr::value(t))
        .col_expr(
            job::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(job::Column::Id.eq(id))
        .exec(db)
        .await?;
    metrics::inc(&metrics::JOBS_SUCCEEDED);
    Ok(())
}

/// Delay before retry number `attempt` (1-based): `base · 2^(attempt-1)`, capped at
/// `max`, plus up to 20 % jitter so retries of a burst spread out.
pub fn backoff_secs(attempt: i32, base: i64, max: i64) -> i64 {
    let exp = u32::try_from(attempt.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let raw = base.saturating_mul(2_i64.saturating_pow(exp)).min(max);
    let jitter = if raw >= 5 {
        rand::thread_rng().gen_range(0..=raw / 5)
    } else {
        0
    };
    raw + jitter
}

/// Records a failed attempt: schedules a retry, or dead-letters after the last one.
///
/// # Errors
/// Database errors.
pub async fn fail(
    db: &impl ConnectionTrait,
    cfg: &JobsConfig,
    job: &job::Model,
    error: &str,
) -> ServiceResult<()> {
    let t = now();
    let msg: String = error.chars().take(2000).collect();
    let sys = System::new("the worker that ran the job records its failure");
    let upd = sys
        .update_many::<job::Entity>()
        .col_expr(job::Column::LastError, Expr::value(msg))
        .col_expr(job::Column::UpdatedAt, Expr::value(t))
        .col_expr(
            job::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(job::Column::Id.eq(job.id));
    if job.attempts >= job.max_attempts {
        upd.col_expr(job::Column::Status, Expr::value(status::DEAD))
            .col_expr(job::Column::FinishedAt, Expr::value(t))
            .exec(db)
            .await?;
        metrics::inc(&metrics::JOBS_DEAD);
        tracing::warn!(job.id = job.id, job.kind = %job.kind, error, "job dead-lettered");
    } else {
        let delay = backoff_secs(job.attempts, cfg.backoff_base_secs, cfg.backoff_max_secs);
        upd.col_expr(job::Column::Status, Expr::value(status::PENDING))
            .col_expr(
                job::Column::RunAt,
                Expr::value(t + chrono::Duration::seconds(delay)),
            )
            .exec(db)
            .await?;
        metrics::inc(&metrics::JOBS_RETRIED);
        tracing::info!(job.id = job.id, job.kind = %job.kind, retry_in_secs = delay, error, "job failed, will retry");
    }
    Ok(())
}

fn view(j: job::Model) -> JobView {
    JobView {
        id: j.id,
        kind: j.kind,
        status: j.status,
        attempts: j.attempts,
        max_attempts: j.max_attempts,
        last_error: j.last_error,
        run_at: j.run_at.to_rfc3339(),
        created_at: j.created_at.to_rfc3339(),
    }
}

/// Counts and dead letters for a workspace.
///
/// # Errors
/// Database errors.
pub async fn overview(db: &impl ConnectionTrait, scope: Scoped) -> ServiceResult<JobsOverview> {
    let count = |s: &'static str| {
        scope
            .find::<job::Entity>()
            .filter(job::Column::Status.eq(s))
            .count(db)
    };
    let pending = count(status::PENDING).await?;
    let running = count(status::RUNNING).await?;
    let dead = count(status::DEAD).await?;
    let dead_jobs = scope
        .find::<job::Entity>()
        .filter(job::Column::Status.eq(status::DEAD))
        .order_by_desc(job::Column::Id)
        .limit(100)
        .all(db)
        .await?
        .into_iter()
        .map(view)
        .collect();
    Ok(JobsOverview {
        pending,
        running,
        dead,
        dead_jobs,
    })
}

/// Puts a dead job back in the queue with fresh attempts.
///
/// # Errors
/// `NotFound` when no dead job with that id exists in the workspace.
pub async fn retry_dead(state: &AppState, scope: Scoped, id: i32) -> ServiceResult<()> {
    let t = now();
    let res = scope
        .update_many::<job::Entity>()
        .col_expr(job::Column::Status, Expr::value(status::PENDING))
        .col_expr(job::Column::Attempts, Expr::value(0))
        .col_expr(job::Column::RunAt, Expr::value(t))
        .col_expr(job::Column::UpdatedAt, Expr::value(t))
        .col_expr(
            job::Column::FinishedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::Status.eq(status::DEAD))
        .exec(&state.db)
        .await?;
    if res.rows_affected == 0 {
        return Err(ServiceError::NotFound("Dead job"));
    }
    state.wake_workers();
    Ok(())
}

/// Runs one job's handler.
async fn execute(state: &AppState, job: &job::Model) -> Result<(), String> {
    let payload: serde_json::Value =
        serde_json::from_str(&job.payload).map_err(|e| format!("bad payload: {e}"))?;
    match job.kind.as_str() {
        kind::SEND_EMAIL => super::mail::run_send_job(state, &payload).await,
        kind::ARCHIVE_OUTBOX => super::mail::archive_sent(state).await,
        kind::DELIVER_WEBHOOK => super::channels::webhooks::run_delivery_job(state, &payload).await,
        kind::POLL_IMAP => super::channels::email_in::poll_imap_all(state).await,
        kind::AI_RESOLVE => super::ai::pipeline::run_job(state, &payload).await,
        kind::AI_SWEEP => super::ai::pipeline::sweep_resolutions(state).await,
        kind::AI_ACTION => super::actions::run_job(state, &payload).await,
        kind::FOLLOW_UP => super::follow_ups::run_job(state, &payload).await,
        kind::AI_LOOP => super::actions::autonomous::run_all(state).await,
        kind::RULE_AUTOMATIONS => super::automation::engine::run_automations(state).await,
        kind::SLA_SWEEP => super::hours::sla::sweep(state).await,
        kind::ROUTING_SWEEP => super::routing::engine::sweep(state).await,
        kind::NOTIFY_FLUSH => super::notify::run_flush_job(state, &payload).await,
        kind::NOTIFY_SWEEP => super::notify::sweep(state).await,
        kind::FLOW_TIMER => super::flows::runner::run_timer_job(state, &payload).await,
        kind::FLOW_AI_DONE => super::flows::runner::run_ai_done_job(state, &payload).await,
        kind::CAMPAIGN_TICK => super::campaigns::runner::run_tick_job(state).await,
        kind::CAMPAIGN_SEND => super::campaigns::send::run_send_job(state, &payload).await,
        kind::START_TRACKING => super::shipping::tracking::run_start_job(state, &payload).await,
        kind::POLL_TRACKING => super::shipping::tracking::run_poll_job(state).await,
        kind::VOICE_SYNC => super::channels::voice::calls::run_sync_job(state, &payload).await,
        kind::VOICE_RETENTION => super::channels::voice::calls::run_retention(state).await,
        kind::TWILIO_SEND => super::channels::twilio::outbound::run_send_job(state, &payload).await,
        kind::TRANSCRIBE_SUBMIT => {
            super::channels::transcription::run_submit_job(state, &payload).await
        }
        kind::TRANSCRIBE_FETCH => {
            super::channels::transcription::run_fetch_job(state, &payload).await
        }
        kind::SLACK_POST => super::channels::slack::run_post_job(state, &payload).await,
        kind::DAILY_DIGEST => super::reports::digest::run_job(state).await,
        kind::QUALITY_SWEEP => super::quality::sweep(state).await,
        kind::REPORT_EXPORT => super::reports::exports::run_job(state, &payload).await,
        kind::EXPORT_SWEEP => super::reports::exports::sweep(state).await,
        kind::PURGE_SESSIONS | kind::PURGE_AUTH | kind::ACTIVITY_RETENTION | kind::PURGE_JOBS => {
            maintenance(state, job.kind.as_str()).await
        }
        other => Err(format!("no handler for job kind `{other}`")),
    }
}

async fn maintenance(state: &AppState, which: &str) -> Result<(), String> {
    use entity::{activity, auth_token, rate_limit_hit, session};
    let t = now();
    let db = &state.db;
    let sys = System::new("retention jobs sweep every workspace");
    let r = match which {
        kind::PURGE_SESSIONS => global_delete::<session::Entity>()
            .filter(session::Column::ExpiryDate.lt(t))
            .exec(db)
            .await
            .map(|_| ()),
        kind::PURGE_AUTH => {
            let a = global_delete::<rate_limit_hit::Entity>()
                .filter(rate_limit_hit::Column::CreatedAt.lt(t - chrono::Duration::days(1)))
                .exec(db)
                .await;
            let b = global_delete::<auth_token::Entity>()
                .filter(auth_token::Column::ExpiresAt.lt(t - chrono::Duration::days(7)))
                .exec(db)
                .await;
            a.and(b).map(|_| ())
        }
        kind::ACTIVITY_RETENTION => sys
            .delete_many::<activity::Entity>()
            .filter(
                activity::Column::CreatedAt
                    .lt(t - chrono::Duration::days(state.config.retention.activity_days)),
            )
            .exec(db)
            .await
            .map(|_| ()),
        _ => sys
            .delete_many::<job::Entity>()
            .filter(job::Column::Status.eq(status::SUCCEEDED))
            .filter(
                job::Column::FinishedAt
                    .lt(t - chrono::Duration::days(state.config.retention.finished_jobs_days)),
            )
            .exec(db)
            .await
            .map(|_| ()),
    };
    r.map_err(|e| e.to_string())
}

/// Claims and runs one job if one is due; returns whether one ran. Used by workers
/// and by tests that drive the queue step by step.
///
/// # Errors
/// Database errors while claiming or recording the outcome.
pub async fn run_one(state: &AppState, worker: &str) -> ServiceResult<bool> {
    let cfg = &state.config.jobs;
    let claimed = {
        let _turn = state.sqlite_write_turn().await;
        claim_next(&state.db, worker, cfg.lease_secs).await?
    };
    let Some(job) = claimed else {
        return Ok(false);
    };
    metrics::add(&metrics::JOBS_RUNNING, 1);
    let span = tracing::info_span!("job", job.id = job.id, job.kind = %job.kind, job.attempt = job.attempts);
    let outcome = {
        let _e = span.enter();
        tokio::time::timeout(Duration::from_secs(cfg.timeout_secs), execute(state, &job))
    }
    .await;
    metrics::add(&metrics::JOBS_RUNNING, -1);
    let _turn = state.sqlite_write_turn().await;
    match outcome {
        Ok(Ok(())) => complete(&state.db, job.id).await?,
        Ok(Err(e)) => fail(&state.db, cfg, &job, &e).await?,
        Err(_) => {
            fail(
                &state.db,
                cfg,
                &job,
                &format!("timed out after {} s", cfg.timeout_secs),
            )
            .await?;
        }
    }
    Ok(true)
}

/// Runs `jobs.workers` workers until `shutdown` turns true, then lets in-flight jobs
/// finish before returning.
pub async fn run_workers(state: AppState, worker_prefix: String, shutdown: watch::Receiver<bool>) {
    let mut set = tokio::task::JoinSet::new();
    for n in 0..state.config.jobs.workers.max(1) {
        let state = state.clone();
        let mut shutdown = shutdown.clone();
        let worker = format!("{worker_prefix}-{n}");
        set.spawn(async move {
            let poll = Duration::from_millis(state.config.jobs.poll_interval_ms.max(10));
            loop {
                if *shutdown.borrow() {
                    break;
                }
                let signal = state.job_signal.clone();
                let notified = signal.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                match run_one(&state, &worker).await {
                    Ok(true) => continue,
                    Ok(false) => {}
                    Err(e) => tracing::error!(error = %e, "job worker error"),
                }
                tokio::select! {
                    () = &mut notified => {}
                    () = tokio::time::sleep(poll) => {}
                    _ = shutdown.changed() => {}
                }
            }
        });
    }
    while set.join_next().await.is_some() {}
    tracing::info!("job workers stopped");
}

/// A cron schedule that enqueues a job kind.
#[derive(Clone, Copy, Debug)]
pub struct CronEntry {
    /// Schedule name (part of the idempotency key).
    pub name: &'static str,
    /// Cron expression with seconds: `sec min hour day month weekday`.
    pub cron: &'static str,
    /// Job kind to enqueue.
    pub kind: &'static str,
}

/// Every scheduled job.
pub const SCHEDULES: &[CronEntry] = &[
    CronEntry {
        name: "voice-retention",
        cron: "0 15 4 * * *",
        kind: kind::VOICE_RETENTION,
    },
    CronEntry {
        name: "purge-sessions",
        cron: "0 */15 * * * *",
        kind: kind::PURGE_SESSIONS,
    },
    CronEntry {
        name: "purge-auth",
        cron: "0 5 * * * *",
        kind: kind::PURGE_AUTH,
    },
    CronEntry {
        name: "activity-retention",
        cron: "0 30 3 * * *",
        kind: kind::ACTIVITY_RETENTION,
    },
    CronEntry {
        name: "purge-jobs",
        cron: "0 45 3 * * *",
        kind: kind::PURGE_JOBS,
    },
    CronEntry {
        name: "poll-imap",
        cron: "0 * * * * *",
        kind: kind::POLL_IMAP,
    },
    CronEntry {
        name: "ai-autonomous-loop",
        cron: "0 */5 * * * *",
        kind: kind::AI_LOOP,
    },
    CronEntry {
        name: "sla-sweep",
        cron: "15 * * * * *",
        kind: kind::SLA_SWEEP,
    },
    CronEntry {
        name: "routing-sweep",
        cron: "45 * * * * *",
        kind: kind::ROUTING_SWEEP,
    },
    CronEntry {
        name: "notify-sweep",
        cron: "20 * * * * *",
        kind: kind::NOTIFY_SWEEP,
    },
    CronEntry {
        name: "rule-automations",
        cron: "30 */5 * * * *",
        kind: kind::RULE_AUTOMATIONS,
    },
    CronEntry {
        name: "ai-resolution-sweep",
        cron: "0 10 * * * *",
        kind: kind::AI_SWEEP,
    },
    CronEntry {
        name: "campaign-tick",
        cron: "5 * * * * *",
        kind: kind::CAMPAIGN_TICK,
    },
    CronEntry {
        name: "tracking-poll",
        cron: "0 */10 * * * *",
        kind: kind::POLL_TRACKING,
    },
    CronEntry {
        name: "daily-digest",
        cron: "0 7 * * * *",
        kind: kind::DAILY_DIGEST,
    },
    CronEntry {
        name: "quality-sweep",
        cron: "40 */5 * * * *",
        kind: kind::QUALITY_SWEEP,
    },
    CronEntry {
        name: "report-export-sweep",
        cron: "50 * * * * *",
        kind: kind::EXPORT_SWEEP,
    },
    CronEntry {
        name: "archive-outbox",
        cron: "0 0 4 * * Sun",
        kind: kind::ARCHIVE_OUTBOX,
    },
];

/// Enqueues every fire time of `entries` in `(after, until]`; returns how many jobs
/// were newly enqueued (fires already enqueued by another scheduler are skipped).
///
/// # Errors
/// Database errors, or an invalid cron expression.
pub async fn enqueue_due_fires(
    db: &impl ConnectionTrait,
    cfg: &JobsConfig,
    entries: &[CronEntry],
    after: DateTime<Utc>,
    until: DateTime<Utc>,
) -> ServiceResult<usize> {
    let mut n = 0;
    for e in entries {
        let sched = cron::Schedule::from_str(e.cron)
            .map_err(|err| ServiceError::Internal(format!("cron {}: {err}", e.name)))?;
        for at in sched.after(&after).take_while(|t| *t <= until) {
            let mut job = NewJob::new(
                e.kind,
                serde_json::json!({ "scheduled_for": at.to_rfc3339() }),
            );
            job.idempotency_key = Some(format!("cron:{}:{}", e.name, at.timestamp()));
            if enqueue(db, cfg, job).await? {
                n += 1;
            }
        }
    }
    Ok(n)
}

/// The cron scheduler loop.
pub async fn run_scheduler(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let mut last = now();
    loop {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            break;
        }
        let t = now();
        match enqueue_due_fires(&state.db, &state.config.jobs, SCHEDULES, last, t).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(jobs = n, "scheduler enqueued jobs");
                state.wake_workers();
            }
            Err(e) => tracing::error!(error = %e, "scheduler error"),
        }
        last = t;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff_secs(1, 1, 100), 1);
        assert_eq!(backoff_secs(2, 1, 100), 2);
        assert_eq!(backoff_secs(3, 1, 100), 4);
        let b = backoff_secs(4, 10, 3600);
        assert!((80..=96).contains(&b), "{b}");
        let capped = backoff_secs(30, 10, 3600);
        assert!((3600..=4320).contains(&capped), "{capped}");
    }

    #[test]
    fn schedules_parse() {
        for s in SCHEDULES {
            assert!(cron::Schedule::from_str(s.cron).is_ok(), "{}", s.name);
        }
    }
}
