//! Search at scale on PostgreSQL: each searchable table keeps its `tsvector` in a
//! stored generated column with detailed statistics (1,000 lexemes' worth, so the
//! planner tells a rare word, best found through the GIN index, from a common one,
//! best found by reading the newest rows until the page is full), and a candidate
//! row is tested without re-parsing its text. The GIN indexes move onto those
//! columns, and `(workspace_id, id)` indexes let a search read one workspace's
//! newest rows first. SQLite (FTS5) is unchanged.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Table, the text it indexes, its old expression index (same name as the new one).
const TABLES: &[(&str, &str, &str)] = &[
    ("messages", "body_text", "ix_messages_fts"),
    ("conversations", "subject", "ix_conversations_fts"),
    (
        "customers",
        "name || ' ' || coalesce(email, '')",
        "ix_customers_fts",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        for (table, text, ix) in TABLES {
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} ADD COLUMN search_tsv tsvector \
                 GENERATED ALWAYS AS (to_tsvector('simple', {text})) STORED"
            ))
            .await?;
            db.execute_unprepared(&format!("DROP INDEX IF EXISTS {ix}"))
                .await?;
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} ALTER COLUMN search_tsv SET STATISTICS 1000"
            ))
            .await?;
            db.execute_unprepared(&format!(
                "CREATE INDEX {ix} ON {table} USING GIN (search_tsv)"
            ))
            .await?;
            db.execute_unprepared(&format!("ANALYZE {table}")).await?;
        }
        for table in ["messages", "conversations"] {
            db.execute_unprepared(&format!(
                "CREATE INDEX ix_{table}_workspace_id ON {table} (workspace_id, id)"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        for table in ["messages", "conversations"] {
            db.execute_unprepared(&format!("DROP INDEX IF EXISTS ix_{table}_workspace_id"))
                .await?;
        }
        for (table, text, ix) in TABLES {
            db.execute_unprepared(&format!("DROP INDEX IF EXISTS {ix}"))
                .await?;
            db.execute_unprepared(&format!("ALTER TABLE {table} DROP COLUMN search_tsv"))
                .await?;
            db.execute_unprepared(&format!(
                "CREATE INDEX {ix} ON {table} USING GIN (to_tsvector('simple', {text}))"
            ))
            .await?;
        }
        Ok(())
    }
}
