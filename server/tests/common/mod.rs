//! Test harness: a fresh database per test (SQLite file or a new PostgreSQL
//! database), the real router driven with `oneshot`, a cookie-keeping client, and a
//! real SMTP server on loopback.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers"
)]

pub mod assemblyai;
pub mod binary;
pub mod carriers;
pub mod imap;
pub mod llm;
pub mod marketing;
pub mod retell;
pub mod shop;
pub mod slack;
pub mod smtp;
pub mod stripe;
pub mod twilio;

use app::services::bus::InProcessBus;
use app::services::mail::{mailer_from_config, Mailer};
use app::services::{AppState, Config};
use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use sea_orm::{ConnectionTrait, Database, Statement};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use switchboard_server::http::{router, ServerState};
use switchboard_server::metrics::HttpMetrics;
use tower::ServiceExt;

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates one test per backend from an async fn taking a [`Backend`].
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { $crate::common::watchdog(super::$name($crate::common::Backend::Sqlite)).await }
            )*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { $crate::common::watchdog(super::$name($crate::common::Backend::Postgres)).await }
            )*
        }
    };
}

/// The longest one backend test may run before it fails as hung.
pub const TEST_LIMIT: std::time::Duration = std::time::Duration::from_secs(600);

/// Runs a test body, failing it (instead of holding CI) when it hangs.
pub async fn watchdog(test: impl std::future::Future<Output = ()>) {
    if tokio::time::timeout(TEST_LIMIT, test).await.is_err() {
        panic!("the test hung: still running after {TEST_LIMIT:?}");
    }
}

/// The longest a test request may take before the test fails as hung.
pub const REQUEST_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn pg_admin_url() -> String {
    std::env::var("SB_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A fresh, migrated database URL for one test.
pub async fn fresh_database(backend: Backend) -> (String, Option<String>) {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = format!(
        "sbt_{}_{}_{}",
        std::process::id(),
        n,
        uuid::Uuid::new_v4().simple()
    );
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join("switchboard-tests");
            std::fs::create_dir_all(&dir).unwrap();
            (
                format!("sqlite://{}/{name}.db?mode=rwc", dir.display()),
                None,
            )
        }
        Backend::Postgres => {
            let admin = pg_admin_url();
            let db = Database::connect(&admin)
                .await
                .expect("PostgreSQL at SB_TEST_PG_URL");
            db.execute(Statement::from_string(
                db.get_database_backend(),
                format!("CREATE DATABASE \"{name}\""),
            ))
            .await
            .unwrap();
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap();
            (format!("{base}/{name}"), Some(name))
        }
    }
}

/// Drops a PostgreSQL test database.
pub async fn drop_database(name: &str) {
    if let Ok(db) = Database::connect(&pg_admin_url()).await {
        let _ = db
            .execute(Statement::from_string(
                db.get_database_backend(),
                format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
            ))
            .await;
    }
}

/// A running application on a fresh database.
pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    pub backend: Backend,
    pub database_url: String,
    pg_name: Option<String>,
}

impl TestApp {
    pub async fn new(backend: Backend) -> Self {
        Self::with_config(backend, |_| {}).await
    }

    pub async fn with_config(backend: Backend, f: impl FnOnce(&mut Config)) -> Self {
        let (url, pg_name) = fresh_database(backend).await;
        let mut cfg = Config {
            database_url: url.clone(),
            public_url: "http://localhost".into(),
            ..Config::default()
        };
        cfg.jobs.backoff_base_secs = 1;
        cfg.jobs.backoff_max_secs = 2;
        cfg.jobs.max_attempts = 3;
        // Notification emails go out at once (no batching window) unless a test
        // sets one.
        cfg.notify_batch_secs = 0;
        cfg.data_dir = std::env::temp_dir()
            .join(format!("sbt-data-{}", uuid::Uuid::new_v4().simple()))
            .to_string_lossy()
            .into_owned();
        f(&mut cfg);
        let db = switchboard_server::db::connect_and_migrate(
            &cfg.database_url,
            std::time::Duration::from_millis(cfg.statement_timeout_ms),
        )
        .await
        .unwrap();
        let mailer: Arc<dyn Mailer> = mailer_from_config(&cfg.smtp).unwrap();
        let state = AppState {
            db,
            bus: Arc::new(InProcessBus::default()),
            config: Arc::new(cfg),
            mailer,
            job_signal: Arc::new(tokio::sync::Notify::new()),
            presence: Arc::default(),
            sqlite_writer: Arc::default(),
            limiter: Arc::default(),
            stages: Arc::new(app::services::wiring::standard_stages()),
            secrets: Some(Arc::new(
                app::services::ai::secrets::SecretBox::from_base64_key(
                    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
                )
                .expect("test key"),
            )),
        };
        let leptos = switchboard_server::runtime::leptos_options(&state.config).unwrap();
        let (_tx, rx) = tokio::sync::watch::channel(false);
        std::mem::forget(_tx);
        let router = router(ServerState {
            app: state.clone(),
            leptos,
            http_metrics: Arc::new(HttpMetrics::default()),
            shutdown: rx,
        });
        Self {
            state,
            router,
            backend,
            database_url: url,
            pg_name,
        }
    }

    pub fn client(&self) -> Client {
        Client {
            router: self.router.clone(),
            cookie: None,
            origin: Some("http://localhost".into()),
        }
    }

    /// Runs due jobs until none is left.
    pub async fn run_jobs(&self) -> usize {
        let mut n = 0;
        while app::services::jobs::run_one(&self.state, "test-worker")
            .await
            .unwrap()
        {
            n += 1;
        }
        n
    }

    pub async fn finish(self) {
        self.state.db.clone().close().await.ok();
        if let Some(name) = &self.pg_name {
            drop_database(name).await;
        }
    }
}

/// Percent-encodes a form.
pub fn form(pairs: &[(&str, &str)]) -> String {
    fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".into(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A response.
#[derive(Debug)]
pub struct Res {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Res {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
    /// The `AppError` variant name of a server-fn error body.
    pub fn error_kind(&self) -> String {
        match self.json() {
            serde_json::Value::Object(m) => m.keys().next().cloned().unwrap_or_default(),
            serde_json::Value::String(s) => s,
            _ => String::new(),
        }
    }
    /// The error message, whatever the variant.
    pub fn error_text(&self) -> String {
        self.body.clone()
    }
}

/// A browser-like client that keeps the session cookie.
#[derive(Clone)]
pub struct Client {
    router: Router,
    pub cookie: Option<String>,
    pub origin: Option<String>,
}

impl Client {
    pub async fn send(&mut self, mut req: Request<Body>) -> Res {
        let h = req.headers_mut();
        h.insert(header::HOST, "localhost".parse().unwrap());
        h.insert(header::USER_AGENT, "switchboard-tests/1.0".parse().unwrap());
        if let Some(o) = &self.origin {
            h.insert(header::ORIGIN, o.parse().unwrap());
        }
        if let Some(c) = &self.cookie {
            h.insert(header::COOKIE, c.parse().unwrap());
        }
        // A request that never answers fails the test with its name instead of
        // holding the whole run until CI's limit.
        let what = format!("{} {}", req.method(), req.uri());
        let hung =
            |part: &str| -> ! { panic!("{what}: no {part} within {REQUEST_LIMIT:?} (hung)") };
        let res = tokio::time::timeout(REQUEST_LIMIT, self.router.clone().oneshot(req))
            .await
            .unwrap_or_else(|_| hung("response"))
            .unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        for sc in headers.get_all(header::SET_COOKIE) {
            let sc = sc.to_str().unwrap();
            let pair = sc.split(';').next().unwrap().to_owned();
            if pair.ends_with('=') || sc.contains("Max-Age=0") {
                self.cookie = None;
            } else {
                self.cookie = Some(pair);
            }
        }
        let body = tokio::time::timeout(REQUEST_LIMIT, res.into_body().collect())
            .await
            .unwrap_or_else(|_| hung("body"))
            .unwrap()
            .to_bytes();
        Res {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    /// Calls a server function by its path with a url-encoded form.
    pub async fn call(&mut self, path: &str, pairs: &[(&str, &str)]) -> Res {
        let req = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .body(Body::from(form(pairs)))
            .unwrap();
        self.send(req).await
    }

    /// Calls a server function whose input is JSON (`#[server(input = Json)]`).
    pub async fn call_json(&mut self, path: &str, args: &serde_json::Value) -> Res {
        let req = Request::post(path)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json")
            .body(Body::from(args.to_string()))
            .unwrap();
        self.send(req).await
    }

    /// Signs in through the `sign_in` server function.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> Res {
        use app::serverfns::auth::SignIn;
        self.call(
            fns::path::<SignIn>(),
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// Invites `email` with `role` through the `invite_member` server function.
    pub async fn invite(&mut self, email: &str, role: &str) -> Res {
        use app::serverfns::team::InviteMember;
        self.call(
            fns::path::<InviteMember>(),
            &[("email", email), ("role", role)],
        )
        .await
    }

    pub async fn get(&mut self, path: &str) -> Res {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }
}

/// Server-function paths, by name.
pub mod fns {
    use leptos::server_fn::ServerFn;
    pub fn path<S: ServerFn>() -> &'static str {
        S::PATH
    }
}

/// A step of a test flow at the canvas's origin.
pub fn n(id: &str, kind: app::types::NodeKind) -> app::types::FlowNode {
    app::types::FlowNode {
        id: id.into(),
        position: app::types::CanvasPoint::default(),
        kind,
    }
}

/// A connection of a test flow: from `s`'s exit `p` to `t`.
pub fn e(s: &str, p: &str, t: &str) -> app::types::FlowEdge {
    app::types::FlowEdge {
        source: s.into(),
        port: p.into(),
        target: t.into(),
    }
}

/// A signed-up owner's workspace: the owner's client, the owner as an actor
/// (for calling services directly) and the workspace's scope.
pub struct Ws {
    pub owner: Client,
    pub actor: app::services::Actor,
    pub scope: app::services::tenancy::Scoped,
}

/// Signs up "Olga Owner" as `email` with workspace `name`.
pub async fn workspace(app: &TestApp, email: &str, name: &str) -> Ws {
    use app::serverfns::auth::GetSession;
    let mut owner = sign_up(app, "Olga Owner", email, name).await;
    let s = owner.call(fns::path::<GetSession>(), &[]).await.json();
    let id = i32::try_from(s["workspace"]["id"].as_i64().unwrap()).unwrap();
    let user = i32::try_from(s["user_id"].as_i64().unwrap()).unwrap();
    Ws {
        owner,
        actor: app::services::context::load_actor(&app.state.db, user, id)
            .await
            .unwrap(),
        scope: app::services::tenancy::Scoped::new(id),
    }
}

/// Signs up a new owner with a workspace; returns the client.
pub async fn sign_up(app: &TestApp, name: &str, email: &str, workspace: &str) -> Client {
    use app::serverfns::auth::SignUp;
    let mut c = app.client();
    let r = c
        .call(
            fns::path::<SignUp>(),
            &[
                ("name", name),
                ("email", email),
                ("password", "correct horse battery"),
                ("workspace_name", workspace),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "sign-up failed: {}", r.body);
    c
}

/// Invites `email` with `role` from `owner`, accepts as a new account, returns the
/// new member's client.
pub async fn add_member(app: &TestApp, owner: &mut Client, email: &str, role: &str) -> Client {
    use app::serverfns::invitations::AcceptInvitation;
    let r = owner.invite(email, role).await;
    assert_eq!(r.status, StatusCode::OK, "invite failed: {}", r.body);
    let token = latest_link_token(app, email, "token=").await;
    let mut c = app.client();
    let r = c
        .call(
            fns::path::<AcceptInvitation>(),
            &[
                ("token", &token),
                ("name", "New Member"),
                ("password", "another good password"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "accept failed: {}", r.body);
    c
}

/// The token of the newest email to `to` (text after `marker` in its link).
pub async fn latest_link_token(app: &TestApp, to: &str, marker: &str) -> String {
    use app::services::tenancy::System;
    use entity::email;
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    let e = System::new("tests read the outbox")
        .find::<email::Entity>()
        .filter(email::Column::ToAddress.eq(to))
        .order_by_desc(email::Column::Id)
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("an email to that address");
    let start = e.body_text.find(marker).expect("a link with a token") + marker.len();
    e.body_text[start..]
        .split(|c: char| c.is_whitespace() || c == '&')
        .next()
        .unwrap()
        .to_owned()
}
