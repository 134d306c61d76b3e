//! SQL statements per inbox render and per REST list, counted with SeaORM's metric
//! callback: exactly [`EXPECTED`] each, every time — a render loads its data once,
//! nothing runs a query per row, and a change that adds a statement must say so
//! here.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::serverfns::inbox::{ListConversations, ListViews};
use app::services::context::{load_actor, Actor, RequestMeta};
use app::services::inbox::conversations::{create, CustomerRef, NewConversation};
use app::types::{Channel, IdentifierKind, Priority};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{add_member, fns::path, sign_up, Backend, Client, TestApp};
use sea_orm::{ConnectionTrait, Statement};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use switchboard_server::http::{router, ServerState};
use switchboard_server::metrics::HttpMetrics;

/// Statements per request: the inbox page (session, user and memberships loaded
/// once by the server before rendering; the views, notifications and the page of
/// conversations, then the names of its customers, assignees, teams and tags in one
/// statement; the inbox metadata is fetched by the browser when a menu needs it),
/// the `list_conversations` server function, and the REST list when its key is
/// read (key, member) and when this process authenticated it a moment ago.
/// (what, SQLite, PostgreSQL). The inbound message differs: SQLite's `INSERT` and
/// `UPDATE` have no `RETURNING` here, so SeaORM reads the row back (two more).
/// The pipeline's stages add one statement each when the workspace has no
/// rules (the enabled triggers), no SLA policies (the enabled policies), no
/// running flow in the conversation (its active run), no workflows (the
/// workspace's workflows), no routing queues (the enabled queues) and no Slack
/// thread (the conversation's mirrored thread; a new conversation looks up the
/// Slack app instead).
const EXPECTED: [(&str, usize, usize); 5] = [
    ("inbox page", 9, 9),
    ("list_conversations", 5, 5),
    ("REST list, key read", 4, 4),
    ("REST list, key cached", 2, 2),
    ("REST inbound message", 23, 21),
];

/// A fresh `external_id` per inbound message.
static NEXT_EXTERNAL: AtomicUsize = AtomicUsize::new(0);

/// Statements seen while switched on.
#[derive(Default)]
struct Counter {
    on: AtomicBool,
    n: AtomicUsize,
    sql: Mutex<Vec<String>>,
}

impl Counter {
    fn start(&self) {
        self.n.store(0, Ordering::SeqCst);
        self.sql.lock().unwrap().clear();
        self.on.store(true, Ordering::SeqCst);
    }

    fn stop(&self) -> (usize, Vec<String>) {
        self.on.store(false, Ordering::SeqCst);
        (
            self.n.load(Ordering::SeqCst),
            std::mem::take(&mut *self.sql.lock().unwrap()),
        )
    }
}

/// Rebuilds the app's router over a connection that reports every statement.
fn counted(app: &mut TestApp) -> Arc<Counter> {
    let counter = Arc::new(Counter::default());
    let mut db = app.state.db.clone();
    let c = counter.clone();
    db.set_metric_callback(move |info| {
        if c.on.load(Ordering::SeqCst) {
            c.n.fetch_add(1, Ordering::SeqCst);
            c.sql.lock().unwrap().push(info.statement.sql.clone());
        }
    });
    app.state.db = db;
    let leptos = switchboard_server::runtime::leptos_options(&app.state.config).unwrap();
    let (tx, rx) = tokio::sync::watch::channel(false);
    std::mem::forget(tx);
    app.router = router(ServerState {
        app: app.state.clone(),
        leptos,
        http_metrics: Arc::new(HttpMetrics::default()),
        shutdown: rx,
    });
    counter
}

/// Conversations `from..to`, with tags, assignees (two members) and a team on some.
async fn seed(app: &TestApp, owner: &Actor, agent_id: i32, team_id: i32, from: usize, to: usize) {
    for i in from..to {
        create(
            &app.state,
            owner,
            NewConversation {
                customer: CustomerRef::Identifier {
                    kind: IdentifierKind::Email,
                    value: format!("customer{}@example.com", i % 7),
                    name: Some(format!("Customer {}", i % 7)),
                },
                subject: format!("Order {i} has not arrived"),
                channel: Channel::Email,
                priority: Priority::Normal,
                body: format!("Hello, where is my order number {i}? Thanks."),
                from_customer: true,
                tags: [
                    vec!["billing".to_owned()],
                    vec!["vip".to_owned(), "shipping".to_owned()],
                    vec!["bug".to_owned(), "billing".to_owned(), "refund".to_owned()],
                ][i % 3]
                    .clone(),
                assignee_id: Some(if i % 2 == 0 { owner.user_id } else { agent_id }),
                team_id: (i % 3 == 0).then_some(team_id),
            },
            &RequestMeta::default(),
        )
        .await
        .unwrap();
    }
    // The REST list below asks for `status=open`.
    app.state
        .db
        .execute_unprepared("UPDATE conversations SET status = 'open'")
        .await
        .unwrap();
}

async fn bearer_get(c: &mut Client, uri: &str, key: &str) -> common::Res {
    c.send(
        Request::get(uri)
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

/// Queries for: the inbox page, the `list_conversations` server function, the REST
/// list; with the number of rows each returned.
async fn measure(
    counter: &Counter,
    c: &mut Client,
    view_id: i32,
    key: &str,
) -> Vec<(&'static str, usize, usize)> {
    let mut out = Vec::new();

    counter.start();
    let r = c.get(&format!("/app/inbox?view={view_id}")).await;
    let (n, sql) = counter.stop();
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    if std::env::var_os("SB_SHOW_SQL").is_some() {
        eprintln!("inbox page: {n} statements\n  {}", sql.join("\n  "));
    }
    out.push((
        "inbox page",
        n,
        r.body.matches("data-testid=\"conversation-row\"").count(),
    ));

    counter.start();
    let r = c
        .call(
            path::<ListConversations>(),
            &[("view_id", &view_id.to_string())],
        )
        .await;
    let (n, _) = counter.stop();
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    out.push((
        "list_conversations",
        n,
        r.json()["rows"].as_array().map_or(0, Vec::len),
    ));

    // The first request reads the key (a forgotten cache entry, as on a key's
    // first use); the next, a moment later, finds it cached.
    for what in ["REST list, key read", "REST list, key cached"] {
        if what.ends_with("read") {
            app::services::api_keys::forget_cached_key(key);
        }
        counter.start();
        let r = bearer_get(c, "/api/v1/conversations?limit=50&status=open", key).await;
        let (n, sql) = counter.stop();
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        if std::env::var_os("SB_SHOW_SQL").is_some() {
            eprintln!("{what}: {n} statements\n  {}", sql.join("\n  "));
        }
        out.push((what, n, r.json()["data"].as_array().map_or(0, Vec::len)));
    }

    // A customer's message through the API: the inbound pipeline's statements
    // (the AI agent is off in this workspace, so no AI job is enqueued). The
    // message is one row whatever the page size.
    let external = format!("qc-{}", NEXT_EXTERNAL.fetch_add(1, Ordering::SeqCst));
    counter.start();
    let r = c
        .send(
            Request::post("/api/v1/conversations/1/messages")
                .header(header::AUTHORIZATION, format!("Bearer {key}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    serde_json::json!({
                        "from_customer": true,
                        "body_text": "Any news on my order?",
                        "external_id": external,
                    })
                    .to_string(),
                ))
                .unwrap(),
        )
        .await;
    let (n, sql) = counter.stop();
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    if std::env::var_os("SB_SHOW_SQL").is_some() {
        eprintln!(
            "REST inbound message: {n} statements\n  {}",
            sql.join("\n  ")
        );
    }
    out.push(("REST inbound message", n, 1));
    out
}

/// Several rounds of [`measure`]: per target, the fewest and most statements seen.
async fn rounds(
    counter: &Counter,
    c: &mut Client,
    view_id: i32,
    key: &str,
) -> Vec<(&'static str, usize, usize, usize)> {
    let mut out: Vec<(&'static str, usize, usize, usize)> = Vec::new();
    for _ in 0..5 {
        for (i, (what, n, rows)) in measure(counter, c, view_id, key)
            .await
            .into_iter()
            .enumerate()
        {
            match out.get_mut(i) {
                Some(o) => {
                    o.1 = o.1.min(n);
                    o.2 = o.2.max(n);
                }
                None => out.push((what, n, n, rows)),
            }
        }
    }
    out
}

async fn queries_do_not_grow_with_rows(b: Backend) {
    let mut app = TestApp::new(b).await;
    let counter = counted(&mut app);
    let mut owner = sign_up(&app, "Olga Owner", "olga@example.com", "Acme").await;
    add_member(&app, &mut owner, "andy@example.com", "agent").await;
    let ids = app
        .state
        .db
        .query_all(Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT u.id, m.workspace_id FROM users u JOIN memberships m ON m.user_id = u.id \
             WHERE u.email IN ('olga@example.com', 'andy@example.com') ORDER BY u.email DESC",
        ))
        .await
        .unwrap();
    let id = |i: usize, c: usize| ids[i].try_get_by_index::<i32>(c).unwrap();
    let (owner_id, agent_id, ws) = (id(0, 0), id(1, 0), id(0, 1));
    let actor = load_actor(&app.state.db, owner_id, ws).await.unwrap();
    let backend = app.state.db.get_database_backend();
    let team_id = app
        .state
        .db
        .query_one(Statement::from_sql_and_values(
            backend,
            if backend == sea_orm::DbBackend::Postgres {
                "INSERT INTO teams (workspace_id, name, created_at) VALUES ($1, 'Support', CURRENT_TIMESTAMP) RETURNING id"
            } else {
                "INSERT INTO teams (workspace_id, name, created_at) VALUES (?, 'Support', CURRENT_TIMESTAMP) RETURNING id"
            },
            [ws.into()],
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i32>(0)
        .unwrap();
    let key = app::services::api_keys::create(
        &app.state,
        &actor,
        "query count",
        &["conversations:read".to_owned(), "messages:write".to_owned()],
        &RequestMeta::default(),
    )
    .await
    .unwrap()
    .secret;

    // The default views are created on first use; find "All open".
    let views = owner.call(path::<ListViews>(), &[]).await;
    assert_eq!(views.status, StatusCode::OK, "{}", views.body);
    let view_id = views
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "All open")
        .and_then(|v| v["id"].as_i64())
        .unwrap() as i32;

    seed(&app, &actor, agent_id, team_id, 0, 10).await;
    // Warm-up: first-use writes (API key `last_used_at`, session) are not per row.
    measure(&counter, &mut owner, view_id, &key).await;
    let small = rounds(&counter, &mut owner, view_id, &key).await;
    seed(&app, &actor, agent_id, team_id, 10, 60).await;
    let large = rounds(&counter, &mut owner, view_id, &key).await;

    // View counts are capped: past the cap they read "1,000+", and the query reads
    // at most cap + 1 rows.
    let all = app::types::ViewFilter::default();
    let conv = app::services::inbox::conversations::count_up_to;
    assert_eq!(
        conv(&app.state.db, actor.scope, owner_id, &all, 10)
            .await
            .unwrap(),
        11
    );
    assert_eq!(
        conv(&app.state.db, actor.scope, owner_id, &all, 100)
            .await
            .unwrap(),
        60
    );
    assert_eq!(
        app::services::inbox::conversations::count(&app.state.db, actor.scope, owner_id, &all)
            .await
            .unwrap(),
        60
    );

    for ((what, min10, max10, rows10), (_, min60, max60, rows60)) in small.iter().zip(&large) {
        eprintln!(
            "{b:?} {what}: {min10}..{max10} statements for {rows10} rows, \
             {min60}..{max60} for {rows60} rows"
        );
        assert!(
            (*rows10 >= 10 && *rows60 >= 50) || *what == "REST inbound message",
            "{what}: {rows10} and {rows60} rows"
        );
        assert_eq!(min10, min60, "{what}: statements grow with rows");
        let expected = EXPECTED
            .iter()
            .find(|(w, _, _)| w == what)
            .map(|(_, sqlite, pg)| if b == Backend::Sqlite { *sqlite } else { *pg })
            .unwrap();
        for n in [min10, max10, min60, max60] {
            assert_eq!(
                *n, expected,
                "{what}: {n} statements, expected exactly {expected} every time \
                 (run with SB_SHOW_SQL=1 to list them)"
            );
        }
    }
    app.finish().await;
}

backend_tests!(queries_do_not_grow_with_rows);
