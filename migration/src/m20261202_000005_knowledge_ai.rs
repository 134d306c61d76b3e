//! Knowledge base and the AI agent: brands (one help center each), collections,
//! categories, articles with revisions and translations, search chunks with their
//! full-text index (SQLite FTS5 kept in step by triggers; PostgreSQL GIN over an
//! English `tsvector`), article feedback, deflection sessions, per-workspace AI
//! settings, the record of every AI run, and the AI state of conversations.

use crate::schema::{a, fk, index, table, C};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Tables in creation order (dropped in reverse).
const TABLES: &[&str] = &[
    "kb_brands",
    "kb_collections",
    "kb_categories",
    "kb_articles",
    "kb_revisions",
    "kb_chunks",
    "kb_feedback",
    "deflection_sessions",
    "ai_settings",
    "ai_runs",
];

/// Columns added to `conversations`.
fn added_columns() -> Vec<ColumnDef> {
    vec![
        ColumnDef::new(a("ai_state")).string().null().to_owned(),
        ColumnDef::new(a("ai_reason")).string().null().to_owned(),
        ColumnDef::new(a("ai_kb_misses"))
            .integer()
            .not_null()
            .default(0)
            .to_owned(),
        ColumnDef::new(a("ai_answered_at"))
            .timestamp_with_time_zone()
            .null()
            .to_owned(),
        ColumnDef::new(a("ai_resolved_at"))
            .timestamp_with_time_zone()
            .null()
            .to_owned(),
    ]
}

fn double(name: &str) -> ColumnDef {
    ColumnDef::new(a(name)).double().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    #[allow(clippy::too_many_lines)]
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        for c in added_columns() {
            m.alter_table(
                Table::alter()
                    .table(a("conversations"))
                    .add_column(c)
                    .to_owned(),
            )
            .await?;
        }

        m.create_table(table(
            "kb_brands",
            &[
                Str("name"),
                Str("slug"),
                Bool("is_default"),
                StrNull("logo_url"),
                Str("primary_color"),
                Str("accent_color"),
                TextNull("custom_css"),
                Str("default_locale"),
                Text("locales"),
                TextNull("widget_key"),
                Time("created_at"),
                Time("updated_at"),
            ],
        ))
        .await?;
        m.create_index(index("kb_brands", "ux_kb_brands_slug", &["slug"], true))
            .await?;

        let mut t = table(
            "kb_collections",
            &[
                Int("brand_id"),
                Str("name"),
                Str("slug"),
                TextNull("description"),
                Int("position"),
                Time("created_at"),
                Time("updated_at"),
            ],
        );
        fk(&mut t, "kb_collections", "brand_id", "kb_brands", true);
        m.create_table(t).await?;
        m.create_index(index(
            "kb_collections",
            "ux_kb_collections_slug",
            &["brand_id", "slug"],
            true,
        ))
        .await?;

        let mut t = table(
            "kb_categories",
            &[
                Int("collection_id"),
                Str("name"),
                Str("slug"),
                TextNull("description"),
                Int("position"),
                Time("created_at"),
                Time("updated_at"),
            ],
        );
        fk(
            &mut t,
            "kb_categories",
            "collection_id",
            "kb_collections",
            true,
        );
        m.create_table(t).await?;
        m.create_index(index(
            "kb_categories",
            "ux_kb_categories_slug",
            &["collection_id", "slug"],
            true,
        ))
        .await?;

        let mut t = table(
            "kb_articles",
            &[
                Int("category_id"),
                IntNull("parent_id"),
                Str("locale"),
                Str("title"),
                Str("slug"),
                TextNull("summary"),
                Text("body_html"),
                Text("body_text"),
                Str("status"),
                Bool("internal"),
                Int("revision"),
                IntNull("author_id"),
                Int("helpful"),
                Int("not_helpful"),
                Int("views"),
                Int("position"),
                Time("created_at"),
                Time("updated_at"),
                TimeNull("published_at"),
            ],
        );
        fk(&mut t, "kb_articles", "category_id", "kb_categories", true);
        fk(&mut t, "kb_articles", "parent_id", "kb_articles", true);
        m.create_table(t).await?;
        m.create_index(index(
            "kb_articles",
            "ux_kb_articles_slug",
            &["category_id", "locale", "slug"],
            true,
        ))
        .await?;
        m.create_index(index(
            "kb_articles",
            "ux_kb_articles_translation",
            &["parent_id", "locale"],
            true,
        ))
        .await?;
        m.create_index(index(
            "kb_articles",
            "ix_kb_articles_ws",
            &["workspace_id", "status", "locale"],
            false,
        ))
        .await?;

        let mut t = table(
            "kb_revisions",
            &[
                Int("article_id"),
                Int("number"),
                Str("title"),
                TextNull("summary"),
                Text("body_html"),
                Str("status"),
                Bool("internal"),
                IntNull("author_id"),
                StrNull("note"),
                Time("created_at"),
            ],
        );
        fk(&mut t, "kb_revisions", "article_id", "kb_articles", true);
        m.create_table(t).await?;
        m.create_index(index(
            "kb_revisions",
            "ux_kb_revisions_number",
            &["article_id", "number"],
            true,
        ))
        .await?;

        let mut t = table(
            "kb_chunks",
            &[
                Int("article_id"),
                Int("position"),
                Str("heading"),
                Str("anchor"),
                Text("text"),
                Str("locale"),
                Bool("internal"),
                TextNull("embedding"),
                StrNull("embedding_model"),
                Time("created_at"),
            ],
        );
        fk(&mut t, "kb_chunks", "article_id", "kb_articles", true);
        m.create_table(t).await?;
        m.create_index(index(
            "kb_chunks",
            "ix_kb_chunks_article",
            &["article_id", "position"],
            false,
        ))
        .await?;
        m.create_index(index(
            "kb_chunks",
            "ix_kb_chunks_ws",
            &["workspace_id", "locale", "internal"],
            false,
        ))
        .await?;

        let mut t = table(
            "kb_feedback",
            &[
                Int("article_id"),
                Bool("helpful"),
                TextNull("comment"),
                StrNull("locale"),
                StrNull("visitor"),
                Time("created_at"),
            ],
        );
        fk(&mut t, "kb_feedback", "article_id", "kb_articles", true);
        m.create_table(t).await?;
        m.create_index(index(
            "kb_feedback",
            "ix_kb_feedback_article",
            &["article_id", "created_at"],
            false,
        ))
        .await?;

        m.create_table(table(
            "deflection_sessions",
            &[
                Str("token"),
                Str("channel"),
                TextNull("last_query"),
                Int("suggested"),
                Int("opened"),
                Text("article_ids"),
                Bool("submitted"),
                IntNull("conversation_id"),
                Time("created_at"),
                Time("updated_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "deflection_sessions",
            "ux_deflection_sessions_token",
            &["workspace_id", "token"],
            true,
        ))
        .await?;
        m.create_index(index(
            "deflection_sessions",
            "ix_deflection_sessions_day",
            &["workspace_id", "created_at"],
            false,
        ))
        .await?;

        let mut t = table(
            "ai_settings",
            &[
                Bool("enabled"),
                Text("channels"),
                Int("auto_send_threshold"),
                Str("provider"),
                StrNull("base_url"),
                StrNull("chat_model"),
                StrNull("embedding_model"),
                TextNull("api_key_sealed"),
                StrNull("api_key_hint"),
                Int("timeout_secs"),
                BigInt("price_input_micros"),
                BigInt("price_output_micros"),
                Str("tone"),
                Time("created_at"),
                Time("updated_at"),
            ],
        );
        t.col(
            ColumnDef::new(a("answer_threshold"))
                .double()
                .not_null()
                .default(0.0),
        );
        m.create_table(t).await?;
        m.create_index(index(
            "ai_settings",
            "ux_ai_settings_ws",
            &["workspace_id"],
            true,
        ))
        .await?;

        let mut t = table(
            "ai_runs",
            &[
                Int("conversation_id"),
                IntNull("message_id"),
                Str("purpose"),
                Str("decision"),
                StrNull("reason_code"),
                Text("steps"),
                TextNull("reply_text"),
                Bool("sent"),
                IntNull("reply_message_id"),
                Str("engine"),
                Int("tokens_in"),
                Int("tokens_out"),
                BigInt("cost_micros"),
                BigInt("duration_us"),
                Int("provider_ms"),
                Time("created_at"),
            ],
        );
        t.col(double("confidence"));
        t.col(double("sentiment"));
        fk(&mut t, "ai_runs", "conversation_id", "conversations", true);
        m.create_table(t).await?;
        m.create_index(index(
            "ai_runs",
            "ix_ai_runs_conversation",
            &["conversation_id", "created_at"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ai_runs",
            "ix_ai_runs_day",
            &["workspace_id", "created_at"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ai_runs",
            "ux_ai_runs_message",
            &["message_id", "purpose"],
            true,
        ))
        .await?;
        m.create_index(index(
            "conversations",
            "ix_conversations_ai_state",
            &["workspace_id", "ai_state"],
            false,
        ))
        .await?;

        let db = m.get_connection();
        let fts: &[&str] = match db.get_database_backend() {
            DbBackend::Postgres => POSTGRES_FTS,
            _ => SQLITE_FTS,
        };
        for s in fts {
            db.execute_unprepared(s).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if db.get_database_backend() == DbBackend::Sqlite {
            // Triggers first: nothing may write to the index once it is gone.
            for t in ["kb_chunks_fts_ai", "kb_chunks_fts_ad", "kb_chunks_fts_au"] {
                db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {t}"))
                    .await?;
            }
            db.execute_unprepared("DROP TABLE IF EXISTS kb_chunks_fts")
                .await?;
        }
        m.drop_index(
            Index::drop()
                .name("ix_conversations_ai_state")
                .table(a("conversations"))
                .to_owned(),
        )
        .await?;
        for t in TABLES.iter().rev() {
            m.drop_table(Table::drop().table(a(t)).if_exists().to_owned())
                .await?;
        }
        for c in [
            "ai_state",
            "ai_reason",
            "ai_kb_misses",
            "ai_answered_at",
            "ai_resolved_at",
        ] {
            m.alter_table(
                Table::alter()
                    .table(a("conversations"))
                    .drop_column(a(c))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}

/// SQLite: an external-content FTS5 table over the chunks (Porter stemming), kept
/// in step by triggers.
const SQLITE_FTS: &[&str] = &[
    "CREATE VIRTUAL TABLE kb_chunks_fts USING fts5(heading, text, content='kb_chunks', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER kb_chunks_fts_ai AFTER INSERT ON kb_chunks BEGIN INSERT INTO kb_chunks_fts(rowid, heading, text) VALUES (new.id, new.heading, new.text); END",
    "CREATE TRIGGER kb_chunks_fts_ad AFTER DELETE ON kb_chunks BEGIN INSERT INTO kb_chunks_fts(kb_chunks_fts, rowid, heading, text) VALUES ('delete', old.id, old.heading, old.text); END",
    "CREATE TRIGGER kb_chunks_fts_au AFTER UPDATE OF heading, text ON kb_chunks BEGIN INSERT INTO kb_chunks_fts(kb_chunks_fts, rowid, heading, text) VALUES ('delete', old.id, old.heading, old.text); INSERT INTO kb_chunks_fts(rowid, heading, text) VALUES (new.id, new.heading, new.text); END",
];

/// PostgreSQL: a GIN index over the English `tsvector` of heading and text (the
/// same expression the search uses, so the planner picks the index).
const POSTGRES_FTS: &[&str] = &[
    "CREATE INDEX ix_kb_chunks_fts ON kb_chunks USING GIN (to_tsvector('english', heading || ' ' || text))",
];
