//! Process lifecycle: build the state (connect, migrate), serve HTTP with workers and
//! the scheduler, and shut down gracefully (stop accepting, finish in-flight requests
//! and jobs, then exit).

use crate::http::{router, ServerState};
use crate::metrics::HttpMetrics;
use anyhow::Context as _;
use app::services::bus::{Event, SYSTEM};
use app::services::rate_limit::{MemoryLimiter, SHARE_EVERY};
use app::services::{jobs, mail, AppState, Config};
use leptos::prelude::LeptosOptions;
use leptos_config::Env;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Connects to the database, applies migrations and assembles the services' state.
///
/// # Errors
/// Connection, migration or configuration errors.
pub async fn build_state(cfg: Config) -> anyhow::Result<AppState> {
    let timeout = std::time::Duration::from_millis(cfg.statement_timeout_ms);
    let db = crate::db::connect_and_migrate(&cfg.database_url, timeout)
        .await
        .with_context(|| {
            format!(
                "connecting to {} and applying migrations",
                redact_url(&cfg.database_url)
            )
        })?;
    let mailer = mail::mailer_from_config(&cfg.smtp).map_err(anyhow::Error::msg)?;
    let bus = crate::bus::from_config(&cfg.bus).await?;
    let presence = Arc::new(app::services::inbox::presence::PresenceBoard::default());
    feed_presence(&bus, &presence);
    let job_signal = Arc::new(tokio::sync::Notify::new());
    let limiter = Arc::new(MemoryLimiter::default());
    follow_system_events(&bus, &job_signal, &limiter);
    let secrets = app::services::ai::secrets::from_config(&cfg)
        .map_err(anyhow::Error::msg)
        .context("loading the secrets key (secrets_key)")?
        .map(Arc::new);
    Ok(AppState {
        db,
        bus,
        config: Arc::new(cfg),
        mailer,
        job_signal,
        presence,
        sqlite_writer: Arc::default(),
        limiter,
        stages: Arc::new(app::services::wiring::standard_stages()),
        secrets,
    })
}

/// Keeps this instance's presence board in step with heartbeats from every
/// instance on the bus.
pub fn feed_presence(
    bus: &Arc<dyn app::services::bus::EventBus>,
    board: &Arc<app::services::inbox::presence::PresenceBoard>,
) {
    let mut rx = bus.subscribe();
    let board = board.clone();
    tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(e) if e.kind.starts_with("presence.") => board.apply(&e),
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}

/// Acts on the deployment's own events from any instance: work enqueued
/// elsewhere wakes this process's workers; a revoked API key or a changed
/// membership empties the API-key cache here too; rate-limit hits counted by
/// other instances count here (and, on a shared bus, this instance shares its
/// own every [`SHARE_EVERY`]).
pub fn follow_system_events(
    bus: &Arc<dyn app::services::bus::EventBus>,
    job_signal: &Arc<tokio::sync::Notify>,
    limiter: &Arc<MemoryLimiter>,
) {
    use app::services::bus::{JOBS_WAKE, LIMIT_HITS};
    let me = uuid::Uuid::new_v4().simple().to_string();
    if bus.shared() {
        limiter.share();
        let (bus, limiter, me) = (bus.clone(), limiter.clone(), me.clone());
        tokio::spawn(async move {
            let mut every = tokio::time::interval(SHARE_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                let hits = limiter.take_shared();
                if !hits.is_empty() {
                    bus.publish(Event::new(
                        SYSTEM,
                        LIMIT_HITS,
                        serde_json::json!({"from": me, "hits": hits}),
                    ));
                }
            }
        });
    }
    let mut rx = bus.subscribe();
    let job_signal = job_signal.clone();
    let limiter = limiter.clone();
    tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(e) if e.kind == JOBS_WAKE => job_signal.notify_waiters(),
                Ok(e) if e.kind == LIMIT_HITS && e.workspace_id == SYSTEM => {
                    if e.data.get("from").and_then(serde_json::Value::as_str) == Some(&me) {
                        continue;
                    }
                    let hits: HashMap<String, u32> = e
                        .data
                        .get("hits")
                        .cloned()
                        .and_then(|h| serde_json::from_value(h).ok())
                        .unwrap_or_default();
                    for (key, n) in hits {
                        limiter.absorb(&key, n);
                    }
                }
                Ok(e) if app::services::api_keys::invalidates_cache(&e.kind) => {
                    app::services::api_keys::forget_cached();
                }
                Ok(_) => {}
                // Missed events may have been revocations: forget to be safe.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    app::services::api_keys::forget_cached();
                    job_signal.notify_waiters();
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Leptos options from our configuration.
///
/// # Errors
/// An unparsable bind address.
pub fn leptos_options(cfg: &Config) -> anyhow::Result<LeptosOptions> {
    let addr: SocketAddr = cfg
        .bind
        .parse()
        .with_context(|| format!("bind address `{}`", cfg.bind))?;
    Ok(LeptosOptions::builder()
        .output_name("switchboard")
        .site_root(cfg.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .env(if cfg.is_development() {
            Env::DEV
        } else {
            Env::PROD
        })
        .build())
}

/// Resolves when SIGINT or SIGTERM arrives.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutdown requested: finishing in-flight work");
}

/// Starts workers (and the scheduler when configured) on `state`.
pub fn spawn_workers(
    state: &AppState,
    shutdown: &watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let prefix = format!("{}-{}", hostname(), std::process::id());
    let mut handles = vec![tokio::spawn(jobs::run_workers(
        state.clone(),
        prefix,
        shutdown.clone(),
    ))];
    if state.config.jobs.scheduler {
        handles.push(tokio::spawn(jobs::run_scheduler(
            state.clone(),
            shutdown.clone(),
        )));
    }
    handles
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "worker".into())
}

async fn drain(handles: Vec<tokio::task::JoinHandle<()>>, grace: Duration) {
    let all = futures::future::join_all(handles);
    if tokio::time::timeout(grace, all).await.is_err() {
        tracing::warn!(grace_secs = grace.as_secs(), "jobs still running at the end of the grace period; they will run again after their lease expires");
    }
}

/// What `serve` prints once it is ready.
#[derive(Clone, Debug, Default)]
pub struct Banner {
    /// Demo login to print, if seeded.
    pub demo_login: Option<(String, String)>,
}

/// Serves HTTP (and, unless disabled, job workers and the scheduler) until a signal.
///
/// # Errors
/// Bind or serve errors.
#[expect(
    clippy::print_stdout,
    reason = "the ready banner is for the person who started the server"
)]
pub async fn serve(
    state: AppState,
    with_workers: bool,
    banner: Banner,
    started: Instant,
) -> anyhow::Result<()> {
    let cfg = state.config.clone();
    let leptos = leptos_options(&cfg)?;
    let (tx, rx) = watch::channel(false);
    let server_state = ServerState {
        app: state.clone(),
        leptos,
        http_metrics: Arc::new(HttpMetrics::default()),
        shutdown: rx.clone(),
    };
    let listener = tokio::net::TcpListener::bind(&cfg.bind)
        .await
        .with_context(|| format!("binding {}", cfg.bind))?;
    let addr = listener.local_addr()?;
    let workers = if with_workers {
        spawn_workers(&state, &rx)
    } else {
        Vec::new()
    };
    let ready_ms = started.elapsed().as_millis();
    tracing::info!(%addr, ready_ms, workers = with_workers, "switchboard is ready");
    println!("\n  Switchboard is running at http://{addr}");
    if let Some((email, password)) = &banner.demo_login {
        println!("  Demo login: {email} / {password}");
    }
    println!("  Ready in {ready_ms} ms. Press Ctrl+C to stop.\n");
    let app = router(server_state);
    let grace = Duration::from_secs(cfg.shutdown_grace_secs);
    let tx_signal = tx.clone();
    // No Nagle delay: live events are small frames that must leave at once.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        let _ = tx_signal.send(true);
    })
    .await
    .context("serving HTTP")?;
    let _ = tx.send(true);
    drain(workers, grace).await;
    tracing::info!("stopped");
    Ok(())
}

/// Runs workers and the scheduler only, until a signal; with `probes`, serves
/// `/healthz` and `/readyz` there for an orchestrator.
///
/// # Errors
/// The probe address cannot be bound.
pub async fn worker(state: AppState, probes: Option<String>) -> anyhow::Result<()> {
    let (tx, rx) = watch::channel(false);
    if let Some(addr) = &probes {
        let router = crate::http::health_router(ServerState {
            app: state.clone(),
            leptos: leptos_options(&state.config)?,
            http_metrics: Arc::new(HttpMetrics::default()),
            shutdown: rx.clone(),
        });
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding {addr} for health probes"))?;
        let mut stop = rx.clone();
        tokio::spawn(async move {
            let stopped = async move {
                let _ = stop.changed().await;
            };
            if let Err(e) = axum::serve(listener, router)
                .with_graceful_shutdown(stopped)
                .await
            {
                tracing::warn!(error = %e, "health probe server stopped");
            }
        });
    }
    let handles = spawn_workers(&state, &rx);
    tracing::info!(
        workers = state.config.jobs.workers,
        probes = probes.as_deref().unwrap_or("off"),
        "worker is running"
    );
    shutdown_signal().await;
    let _ = tx.send(true);
    drain(
        handles,
        Duration::from_secs(state.config.shutdown_grace_secs),
    )
    .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            super::redact_url("postgres://u:pw@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(
            super::redact_url("sqlite://x.db?mode=rwc"),
            "sqlite://x.db?mode=rwc"
        );
    }
}
