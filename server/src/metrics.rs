//! HTTP request metrics and the Prometheus `/metrics` page.

use app::services::jobs::status;
use app::services::metrics as m;
use app::services::tenancy::System;
use app::services::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use entity::job;
use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Request counters and a latency histogram.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    requests: Mutex<BTreeMap<(String, &'static str, u16), u64>>,
    buckets: [AtomicU64; 12],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

fn area(path: &str) -> &'static str {
    match path.split('/').nth(1).unwrap_or_default() {
        "" => "/",
        "api" => "/api",
        "app" => "/app",
        "pkg" => "/pkg",
        "ws" => "/ws",
        "healthz" | "readyz" | "metrics" => "/ops",
        _ => "other",
    }
}

impl HttpMetrics {
    fn observe(&self, method: &str, path: &str, status: u16, secs: f64) {
        if let Ok(mut r) = self.requests.lock() {
            *r.entry((method.to_owned(), area(path), status))
                .or_default() += 1;
        }
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "durations are small and positive"
        )]
        self.sum_micros
            .fetch_add((secs * 1e6) as u64, Ordering::Relaxed);
    }
}

/// Middleware recording every request.
pub async fn track(State(metrics): State<Arc<HttpMetrics>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let res = next.run(req).await;
    metrics.observe(
        &method,
        &path,
        res.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    res
}

/// Renders every metric in the Prometheus text format.
pub async fn render(state: &AppState, http: &HttpMetrics) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# HELP http_requests_total HTTP requests by method, area and status.\n# TYPE http_requests_total counter");
    if let Ok(r) = http.requests.lock() {
        for ((method, area, status), n) in r.iter() {
            let _ = writeln!(out, "http_requests_total{{method=\"{method}\",area=\"{area}\",status=\"{status}\"}} {n}");
        }
    }
    let _ = writeln!(out, "# HELP http_request_duration_seconds Request latency.\n# TYPE http_request_duration_seconds histogram");
    for (i, b) in BUCKETS.iter().enumerate() {
        let _ = writeln!(
            out,
            "http_request_duration_seconds_bucket{{le=\"{b}\"}} {}",
            http.buckets[i].load(Ordering::Relaxed)
        );
    }
    let count = http.count.load(Ordering::Relaxed);
    let _ = writeln!(
        out,
        "http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
    );
    #[expect(clippy::cast_precision_loss, reason = "metric output")]
    let sum = http.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
    let _ = writeln!(
        out,
        "http_request_duration_seconds_sum {sum}\nhttp_request_duration_seconds_count {count}"
    );
    for (name, help, v) in [
        (
            "switchboard_jobs_succeeded_total",
            "Jobs that finished.",
            m::get(&m::JOBS_SUCCEEDED),
        ),
        (
            "switchboard_jobs_retried_total",
            "Job attempts that failed and were rescheduled.",
            m::get(&m::JOBS_RETRIED),
        ),
        (
            "switchboard_jobs_dead_total",
            "Jobs moved to the dead-letter list.",
            m::get(&m::JOBS_DEAD),
        ),
        (
            "switchboard_emails_sent_total",
            "Emails accepted by SMTP.",
            m::get(&m::EMAILS_SENT),
        ),
        (
            "switchboard_inbound_messages_total",
            "Customer messages accepted by the inbound path.",
            m::get(&m::INBOUND_MESSAGES),
        ),
        (
            "switchboard_ai_runs_total",
            "AI pipeline runs on inbound customer messages.",
            m::get(&m::AI_RUNS),
        ),
        (
            "switchboard_ai_run_microseconds_total",
            "Time spent in AI pipeline runs, provider calls excluded.",
            m::get(&m::AI_RUN_MICROS),
        ),
        (
            "switchboard_webhooks_delivered_total",
            "Webhook deliveries answered with 2xx.",
            m::get(&m::WEBHOOKS_DELIVERED),
        ),
        (
            "switchboard_ws_events_delivered_total",
            "Events pushed to browsers.",
            m::get(&m::WS_EVENTS_DELIVERED),
        ),
    ] {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
        );
    }
    for (name, help, v) in [
        (
            "switchboard_jobs_running",
            "Jobs running in this process.",
            m::get_gauge(&m::JOBS_RUNNING),
        ),
        (
            "switchboard_ws_connections",
            "Open WebSocket connections.",
            m::get_gauge(&m::WS_CONNECTIONS),
        ),
    ] {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
    }
    let _ = writeln!(
        out,
        "# HELP switchboard_jobs Jobs in the queue by status.\n# TYPE switchboard_jobs gauge"
    );
    let sys = System::new("metrics count the whole queue");
    for s in [status::PENDING, status::RUNNING, status::DEAD] {
        if let Ok(n) = sys
            .find::<job::Entity>()
            .filter(job::Column::Status.eq(s))
            .count(&state.db)
            .await
        {
            let _ = writeln!(out, "switchboard_jobs{{status=\"{s}\"}} {n}");
        }
    }
    out
}
