//! Every migration can be undone (SPEC C17): on a fresh database each migration
//! is applied, rolled back and applied again in turn, then the whole schema is
//! rolled back to nothing and built once more, on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use common::{drop_database, fresh_database, Backend};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

/// The application's tables (the migration ledger and SQLite's own left out).
async fn tables(db: &DatabaseConnection) -> Vec<String> {
    let sql = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name <> 'seaql_migrations' ORDER BY name"
        }
        _ => {
            "SELECT table_name AS name FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_name <> 'seaql_migrations' ORDER BY name"
        }
    };
    let rows = db
        .query_all(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("listing tables");
    rows.iter()
        .map(|r| r.try_get::<String>("", "name").expect("table name"))
        .collect()
}

/// Columns of every application table, `table.column`, for comparing schemas.
async fn columns(db: &DatabaseConnection) -> Vec<String> {
    let mut out = Vec::new();
    for t in tables(db).await {
        let sql = match db.get_database_backend() {
            sea_orm::DatabaseBackend::Sqlite => {
                format!("SELECT name FROM pragma_table_info('{t}') ORDER BY name")
            }
            _ => format!(
                "SELECT column_name AS name FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name = '{t}' ORDER BY name"
            ),
        };
        let rows = db
            .query_all(Statement::from_string(db.get_database_backend(), sql))
            .await
            .expect("listing columns");
        out.extend(
            rows.iter()
                .map(|r| format!("{t}.{}", r.try_get::<String>("", "name").expect("name"))),
        );
    }
    out
}

async fn every_migration_goes_down_and_up_again(backend: Backend) {
    let (url, pg) = fresh_database(backend).await;
    let db = switchboard_server::db::connect(&url, None)
        .await
        .expect("connect");
    let total = Migrator::migrations().len();
    assert!(total > 30, "the migrator lists every migration");
    for i in 0..total {
        let name = Migrator::migrations()[i].name().to_owned();
        Migrator::up(&db, Some(1))
            .await
            .unwrap_or_else(|e| panic!("{name} up: {e}"));
        let after_up = columns(&db).await;
        Migrator::down(&db, Some(1))
            .await
            .unwrap_or_else(|e| panic!("{name} down: {e}"));
        assert_eq!(
            Migrator::get_applied_migrations(&db).await.unwrap().len(),
            i,
            "{name} down removes its ledger row"
        );
        Migrator::up(&db, Some(1))
            .await
            .unwrap_or_else(|e| panic!("{name} up after down: {e}"));
        assert_eq!(
            columns(&db).await,
            after_up,
            "{name}: up, down, up leaves the schema up left"
        );
    }
    let full = columns(&db).await;
    assert!(full.iter().any(|c| c == "conversations.workspace_id"));

    Migrator::down(&db, None)
        .await
        .expect("every migration down");
    assert_eq!(
        tables(&db).await,
        Vec::<String>::new(),
        "rolling everything back leaves no application table behind"
    );
    Migrator::up(&db, None).await.expect("every migration up");
    assert_eq!(columns(&db).await, full, "the rebuilt schema is the same");
    assert!(Migrator::get_pending_migrations(&db)
        .await
        .unwrap()
        .is_empty());
    db.close().await.ok();
    if let Some(name) = pg {
        drop_database(&name).await;
    }
}

backend_tests!(every_migration_goes_down_and_up_again);
