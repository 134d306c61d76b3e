//! Database connection (SQLite by default, PostgreSQL for `postgres://` URLs) and
//! migrations.

use migration::{Migrator, MigratorTrait};
use sea_orm::ConnectionTrait as _;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use std::time::Duration;

/// Connects with settings suited to the backend. SQLite runs in WAL mode with a busy
/// timeout and foreign keys on. On PostgreSQL every session gets
/// `statement_timeout` (when given), so a query whose client gave up cannot keep a
/// backend busy for minutes.
///
/// # Errors
/// Connection errors.
pub async fn connect(
    url: &str,
    statement_timeout: Option<Duration>,
) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        opts.max_connections(8)
            .min_connections(1)
            .map_sqlx_sqlite_opts(|o| {
                o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
            });
    } else {
        opts.max_connections(20).min_connections(1);
        if let Some(timeout) = statement_timeout.filter(|t| !t.is_zero()) {
            let ms = timeout.as_millis().to_string();
            opts.map_sqlx_postgres_opts(move |o| o.options([("statement_timeout", ms.as_str())]));
        }
    }
    Database::connect(opts).await
}

/// Connects for the server: the configured statement timeout, and migrations applied
/// first on PostgreSQL through a connection without it (building an index over
/// millions of rows may take minutes).
///
/// # Errors
/// Connection or migration errors.
pub async fn connect_and_migrate(
    url: &str,
    statement_timeout: Duration,
) -> Result<DatabaseConnection, DbErr> {
    if url.starts_with("sqlite:") {
        let db = connect(url, None).await?;
        migrate(&db).await?;
        optimize_sqlite(&db).await?;
        return Ok(db);
    }
    // One connection holding a session advisory lock: instances starting
    // together (a rolling upgrade, several replicas) migrate one at a time,
    // and the later ones find nothing pending.
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(600))
        .max_connections(1)
        .min_connections(1);
    let setup = Database::connect(opts).await?;
    setup
        .execute_unprepared(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
        .await?;
    let done = migrate(&setup).await;
    let _ = setup
        .execute_unprepared(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
        .await;
    setup.close().await?;
    done?;
    connect(url, Some(statement_timeout)).await
}

/// PostgreSQL advisory lock key held while migrating.
const MIGRATION_LOCK: i64 = 0x5357_4254_4348;

/// Gives SQLite's planner statistics (`sqlite_stat1`) where tables lack them or
/// have grown a lot, reading a bounded sample of each index (SQLite's advice for
/// long-lived connections: `PRAGMA optimize=0x10002` at start). Without them a
/// query such as `customers WHERE workspace_id = ? AND id IN (…)` scans the whole
/// workspace through the (workspace_id, name) index instead of reading 50 rows by
/// id.
///
/// # Errors
/// Database errors.
pub async fn optimize_sqlite(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;")
        .await?;
    Ok(())
}

/// Applies pending migrations.
///
/// # Errors
/// Migration errors.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}
