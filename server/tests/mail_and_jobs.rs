//! The outbox and the job queue: delivery through a real SMTP server on loopback,
//! the unsent state without SMTP, retries with backoff, dead letters and their retry,
//! cron idempotency, idempotent handlers, and a job surviving `kill -9`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::serverfns::operations::{GetJobs, ListOutbox, RetryEmail, RetryJob};
use app::services::config::SmtpSecurity;
use app::services::jobs::{self, CronEntry};
use app::services::tenancy::System;
use axum::http::StatusCode;
use common::smtp::{stalling_server, SmtpSink};
use common::{fns::path, sign_up, Backend, TestApp};
use entity::{email, job};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, QueryFilter};

async fn delivers_through_smtp_with_threading_headers(b: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::with_config(b, |c| {
        c.smtp.host = Some("127.0.0.1".into());
        c.smtp.port = sink.port;
        c.smtp.security = SmtpSecurity::None;
        c.smtp.from = "Acme Support <support@acme.test>".into();
    })
    .await;
    let mut owner = sign_up(&app, "Ada", "ada@example.com", "Acme").await;
    let r = owner.invite("grace@example.com", "agent").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(app.run_jobs().await, 2);
    let got = sink.wait_for(2, 5).await;
    assert_eq!(got.len(), 2);
    let invite = got
        .iter()
        .find(|m| m.rcpt_to == ["grace@example.com"])
        .expect("invitation delivered");
    assert_eq!(invite.mail_from, "support@acme.test");
    assert!(
        invite
            .data
            .contains("Subject: Ada invited you to Acme on Switchboard"),
        "{}",
        invite.data
    );
    assert!(invite.data.contains("Message-ID: <"), "{}", invite.data);
    assert!(invite.data.contains("multipart/alternative"));
    assert!(invite.data.contains("/invitations/accept?token="));
    let outbox = owner
        .call(path::<ListOutbox>(), &[("archived", "false")])
        .await
        .json();
    assert_eq!(outbox[0]["status"], "sent");
    // Idempotent handler: running the send job again does not send again.
    let e = System::new("test")
        .find::<email::Entity>()
        .filter(email::Column::ToAddress.eq("grace@example.com"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    app::services::mail::run_send_job(&app.state, &serde_json::json!({"email_id": e.id}))
        .await
        .unwrap();
    assert_eq!(sink.delivered().len(), 2);
    app.finish().await;
}

async fn without_smtp_email_waits_unsent_with_reason(b: Backend) {
    let app = TestApp::new(b).await;
    let mut owner = sign_up(&app, "Ada", "ada@example.com", "Acme").await;
    owner.invite("grace@example.com", "agent").await;
    app.run_jobs().await;
    let outbox = owner
        .call(path::<ListOutbox>(), &[("archived", "false")])
        .await
        .json();
    assert_eq!(outbox[0]["status"], "unsent");
    assert!(outbox[0]["reason"]
        .as_str()
        .unwrap()
        .contains("SMTP is not configured"));
    app.finish().await;
}

fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

async fn failures_back_off_then_dead_letter_then_retry(b: Backend) {
    let port = closed_port();
    let app = TestApp::with_config(b, |c| {
        c.smtp.host = Some("127.0.0.1".into());
        c.smtp.port = port;
        c.smtp.security = SmtpSecurity::None;
        c.smtp.timeout_secs = 2;
        c.jobs.max_attempts = 3;
        c.jobs.backoff_base_secs = 60;
        c.jobs.backoff_max_secs = 3600;
    })
    .await;
    let mut owner = sign_up(&app, "Ada", "ada@example.com", "Acme").await;
    owner.invite("grace@example.com", "agent").await;
    let sys = System::new("test drives the queue");
    let invite_job = sys
        .find::<job::Entity>()
        .filter(job::Column::WorkspaceId.is_not_null())
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    for attempt in 1..=3 {
        // Make it due now (the backoff put it in the future).
        sys.update_many::<job::Entity>()
            .col_expr(job::Column::RunAt, Expr::value(chrono::Utc::now()))
            .filter(job::Column::Id.eq(invite_job.id))
            .exec(&app.state.db)
            .await
            .unwrap();
        app.run_jobs().await;
        let j = sys
            .find::<job::Entity>()
            .filter(job::Column::Id.eq(invite_job.id))
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(j.attempts, attempt);
        assert!(
            j.last_error
                .as_deref()
                .unwrap_or_default()
                .contains("SMTP error"),
            "{j:?}"
        );
        if attempt < 3 {
            assert_eq!(j.status, "pending");
            let delay = (j.run_at - chrono::Utc::now()).num_seconds();
            let expected = 60 * 2_i64.pow(attempt as u32 - 1);
            assert!(
                delay >= expected - 2 && delay <= expected * 6 / 5 + 1,
                "attempt {attempt}: delay {delay}"
            );
            // Not due yet: nothing runs.
            assert!(!jobs::run_one(&app.state, "t").await.unwrap());
        } else {
            assert_eq!(j.status, "dead");
        }
    }
    let overview = owner.call(path::<GetJobs>(), &[]).await.json();
    assert_eq!(overview["dead"], 1);
    assert_eq!(overview["dead_jobs"][0]["kind"], "mail.send");
    let outbox = owner
        .call(path::<ListOutbox>(), &[("archived", "false")])
        .await
        .json();
    assert_eq!(outbox[0]["status"], "failed");
    assert!(outbox[0]["reason"].as_str().unwrap().contains("SMTP error"));
    let r = owner
        .call(
            path::<RetryJob>(),
            &[("job_id", &invite_job.id.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let j = sys
        .find::<job::Entity>()
        .filter(job::Column::Id.eq(invite_job.id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((j.status.as_str(), j.attempts), ("pending", 0));
    // The outbox retry queues another send job.
    let e = outbox[0]["id"].as_i64().unwrap().to_string();
    assert_eq!(
        owner
            .call(path::<RetryEmail>(), &[("email_id", &e)])
            .await
            .status,
        StatusCode::OK
    );
    let outbox = owner
        .call(path::<ListOutbox>(), &[("archived", "false")])
        .await
        .json();
    assert_eq!(outbox[0]["status"], "queued");
    app.finish().await;
}

async fn cron_fires_are_enqueued_once(b: Backend) {
    let app = TestApp::new(b).await;
    let entries = [CronEntry {
        name: "every-minute",
        cron: "0 * * * * *",
        kind: jobs::kind::PURGE_SESSIONS,
    }];
    let t0 = chrono::Utc::now();
    let t1 = t0 + chrono::Duration::minutes(10);
    let n = jobs::enqueue_due_fires(&app.state.db, &app.state.config.jobs, &entries, t0, t1)
        .await
        .unwrap();
    assert!((9..=10).contains(&n), "{n}");
    // A second scheduler (another process) over the same window adds nothing.
    let again = jobs::enqueue_due_fires(&app.state.db, &app.state.config.jobs, &entries, t0, t1)
        .await
        .unwrap();
    assert_eq!(again, 0);
    // Maintenance handlers run.
    for e in jobs::SCHEDULES {
        jobs::enqueue(
            &app.state.db,
            &app.state.config.jobs,
            jobs::NewJob::new(e.kind, serde_json::json!({})),
        )
        .await
        .unwrap();
    }
    app.run_jobs().await;
    let ran = app.run_jobs().await;
    assert_eq!(ran, 0, "every job already ran");
    let not_done = System::new("t")
        .find::<job::Entity>()
        .filter(job::Column::Status.ne("succeeded"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(
        not_done.is_empty(),
        "maintenance handlers failed: {not_done:?}"
    );
    app.finish().await;
}

/// Starts `switchboard worker` on `database_url`, sending mail to 127.0.0.1:`port`.
fn spawn_worker(database_url: &str, port: u16, extra: &[(&str, &str)]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("worker")
        .env("SWITCHBOARD_DATABASE_URL", database_url)
        .env("SWITCHBOARD_SMTP__HOST", "127.0.0.1")
        .env("SWITCHBOARD_SMTP__PORT", port.to_string())
        .env("SWITCHBOARD_SMTP__SECURITY", "none")
        .env("SWITCHBOARD_JOBS__SCHEDULER", "false")
        .env("RUST_LOG", "warn")
        .envs(extra.iter().copied())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// A job accepted before `kill -9` runs after restart.
async fn job_survives_kill_9(b: Backend) {
    let app = TestApp::new(b).await;
    sign_up(&app, "Ada", "ada@example.com", "Acme").await; // queues the verification email
    let (stall_port, stall_conns) = stalling_server().await;
    let spawn = |port: u16| {
        spawn_worker(
            &app.database_url,
            port,
            &[
                ("SWITCHBOARD_SMTP__TIMEOUT_SECS", "120"),
                ("SWITCHBOARD_JOBS__LEASE_SECS", "3"),
            ],
        )
    };
    let mut first = spawn(stall_port);
    let sys = System::new("test watches the queue");
    let mut claimed = false;
    for _ in 0..200 {
        let j = sys
            .find::<job::Entity>()
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        if j.status == "running" && *stall_conns.lock().unwrap() > 0 {
            claimed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(claimed, "the worker never picked up the job");
    first.kill().unwrap(); // SIGKILL: no cleanup, the job stays `running`
    first.wait().unwrap();
    let sink = SmtpSink::start().await;
    let mut second = spawn(sink.port);
    let got = sink.wait_for(1, 30).await;
    assert_eq!(got.len(), 1, "the job did not run after restart");
    assert!(got[0].data.contains("Verify your email"));
    // The worker records success right after SMTP accepted the message.
    let mut j = sys
        .find::<job::Entity>()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    for _ in 0..100 {
        if j.status == "succeeded" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        j = sys
            .find::<job::Entity>()
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
    }
    second.kill().ok();
    second.wait().ok();
    assert_eq!(j.status, "succeeded");
    assert_eq!(j.attempts, 2);
    app.finish().await;
}

/// SIGTERM lets the in-flight job finish (here: it times out against a server that
/// never answers and is rescheduled) before the worker exits; nothing is left
/// `running`.
async fn sigterm_finishes_in_flight_jobs(b: Backend) {
    let app = TestApp::new(b).await;
    sign_up(&app, "Ada", "ada@example.com", "Acme").await;
    let (stall_port, stall_conns) = stalling_server().await;
    let mut child = spawn_worker(
        &app.database_url,
        stall_port,
        &[
            ("SWITCHBOARD_SMTP__TIMEOUT_SECS", "3"),
            ("SWITCHBOARD_JOBS__TIMEOUT_SECS", "3"),
            ("SWITCHBOARD_SHUTDOWN_GRACE_SECS", "20"),
        ],
    );

    let sys = System::new("test watches the queue");
    for _ in 0..200 {
        if *stall_conns.lock().unwrap() > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(*stall_conns.lock().unwrap() > 0, "worker never connected");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(exit.success(), "worker exited with {exit:?}");
    let j = sys
        .find::<job::Entity>()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(j.status, "pending", "{j:?}");
    assert_eq!(j.attempts, 1);
    assert!(j.last_error.is_some());
    app.finish().await;
}

backend_tests!(
    sigterm_finishes_in_flight_jobs,
    delivers_through_smtp_with_threading_headers,
    without_smtp_email_waits_unsent_with_reason,
    failures_back_off_then_dead_letter_then_retry,
    cron_fires_are_enqueued_once,
    job_survives_kill_9,
);
