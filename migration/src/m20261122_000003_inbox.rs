//! The inbox: customers and their identifiers, conversations with per-workspace
//! numbers, messages, attachments, teams, tags, custom fields, saved views, canned
//! responses, macros, notifications, merges (for undo), side conversations, API keys,
//! and the full-text indexes (SQLite FTS5 tables kept in step by triggers; PostgreSQL
//! GIN indexes over `to_tsvector`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::schema::{a, fk, index, table, C};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Tables in creation order (dropped in reverse).
const TABLES: &[&str] = &[
    "teams",
    "team_members",
    "customers",
    "customer_identifiers",
    "custom_field_defs",
    "conversations",
    "tags",
    "conversation_tags",
    "side_conversations",
    "messages",
    "attachments",
    "views",
    "canned_responses",
    "macros",
    "notifications",
    "merges",
    "api_keys",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use C::*;
        m.alter_table(
            Table::alter()
                .table(a("workspaces"))
                .add_column(
                    ColumnDef::new(a("ticket_seq"))
                        .integer()
                        .not_null()
                        .default(0),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(a("memberships"))
                .add_column(ColumnDef::new(a("signature")).text().null())
                .to_owned(),
        )
        .await?;

        m.create_table(table("teams", &[Str("name"), Time("created_at")]))
            .await?;
        m.create_index(index(
            "teams",
            "ux_teams_name",
            &["workspace_id", "name"],
            true,
        ))
        .await?;

        let mut t = table("team_members", &[Int("team_id"), Int("user_id")]);
        fk(&mut t, "team_members", "team_id", "teams", true);
        fk(&mut t, "team_members", "user_id", "users", true);
        m.create_table(t).await?;
        m.create_index(index(
            "team_members",
            "ux_team_members",
            &["team_id", "user_id"],
            true,
        ))
        .await?;

        let mut t = table(
            "customers",
            &[
                Str("name"),
                StrNull("email"),
                StrNull("phone"),
                StrNull("company"),
                TextNull("notes"),
                IntNull("merged_into_id"),
                Time("created_at"),
                Time("updated_at"),
            ],
        );
        fk(&mut t, "customers", "merged_into_id", "customers", false);
        m.create_table(t).await?;
        m.create_index(index(
            "customers",
            "ix_customers_ws_name",
            &["workspace_id", "name"],
            false,
        ))
        .await?;

        let mut t = table(
            "customer_identifiers",
            &[
                Int("customer_id"),
                Str("kind"),
                Str("value"),
                Bool("verified"),
                Time("created_at"),
            ],
        );
        fk(
            &mut t,
            "customer_identifiers",
            "customer_id",
            "customers",
            true,
        );
        m.create_table(t).await?;
        m.create_index(index(
            "customer_identifiers",
            "ux_customer_identifiers",
            &["workspace_id", "kind", "value"],
            true,
        ))
        .await?;
        m.create_index(index(
            "customer_identifiers",
            "ix_customer_identifiers_customer",
            &["customer_id"],
            false,
        ))
        .await?;

        m.create_table(table(
            "custom_field_defs",
            &[
                Str("key"),
                Str("label"),
                Str("kind"),
                Text("options"),
                Int("position"),
                Time("created_at"),
            ],
        ))
        .await?;
        m.create_index(index(
            "custom_field_defs",
            "ux_custom_field_defs_key",
            &["workspace_id", "key"],
            true,
        ))
        .await?;

        let mut t = table(
            "conversations",
            &[
                Int("number"),
                Str("subject"),
                Str("status"),
                Str("priority"),
                Str("channel"),
                Int("customer_id"),
                IntNull("assignee_id"),
                IntNull("team_id"),
                Text("custom_fields"),
                TimeNull("first_response_at"),
                TimeNull("solved_at"),
                IntNull("merged_into_id"),
                IntNull("split_from_id"),
                Str("preview"),
                Str("public_token"),
                Int("message_count"),
                Time("last_message_at"),
                Time("created_at"),
                Time("updated_at"),
            ],
        );
        fk(&mut t, "conversations", "customer_id", "customers", true);
        fk(&mut t, "conversations", "assignee_id", "users", false);
        fk(&mut t, "conversations", "team_id", "teams", false);
        m.create_table(t).await?;
        m.create_index(index(
            "conversations",
            "ux_conversations_public_token",
            &["public_token"],
            true,
        ))
        .await?;
        m.create_index(index(
            "conversations",
            "ux_conversations_number",
            &["workspace_id", "number"],
            true,
        ))
        .await?;
        for (name, cols) in [
            (
                "ix_conversations_status",
                &["workspace_id", "status", "updated_at", "id"][..],
            ),
            (
                "ix_conversations_assignee",
                &["workspace_id", "assignee_id", "status", "updated_at", "id"][..],
            ),
            (
                "ix_conversations_updated",
                &["workspace_id", "updated_at", "id"][..],
            ),
            (
                "ix_conversations_customer",
                &["customer_id", "updated_at"][..],
            ),
        ] {
            m.create_index(index("conversations", name, cols, false))
                .await?;
        }

        m.create_table(table(
            "tags",
            &[Str("name"), Str("color"), Time("created_at")],
        ))
        .await?;
        m.create_index(index(
            "tags",
            "ux_tags_name",
            &["workspace_id", "name"],
            true,
        ))
        .await?;

        let mut t = table(
            "conversation_tags",
            &[Int("conversation_id"), Int("tag_id")],
        );
        fk(
            &mut t,
            "conversation_tags",
            "conversation_id",
            "conversations",
            true,
        );
        fk(&mut t, "conversation_tags", "tag_id", "tags", true);
        m.create_table(t).await?;
        m.create_index(index(
            "conversation_tags",
            "ux_conversation_tags",
            &["conversation_id", "tag_id"],
            true,
        ))
        .await?;
        m.create_index(index(
            "conversation_tags",
            "ix_conversation_tags_tag",
            &["tag_id", "conversation_id"],
            false,
        ))
        .await?;

        let mut t = table(
            "side_conversations",
            &[
                Int("conversation_id"),
                Str("subject"),
                Str("to_email"),
                Str("token"),
                IntNull("created_by"),
                Time("created_at"),
            ],
        );
        fk(
            &mut t,
            "side_conversations",
            "conversation_id",
            "conversations",
            true,
        );
        m.create_table(t).await?;
        m.create_index(index(
            "side_conversations",
            "ux_side_conversations_token",
            &["token"],
            true,
        ))
        .await?;

        let mut t = table(
            "messages",
            &[
                Int("conversation_id"),
                Str("kind"),
                Str("direction"),
                IntNull("author_user_id"),
                IntNull("author_customer_id"),
                Text("body_html"),
                Text("body_text"),
                IntNull("side_conversation_id"),
                Str("delivery_status"),
                TextNull("delivery_error"),
                StrNull("external_id"),
                IntNull("origin_conversation_id"),
                Time("created_at"),
            ],
        );
        fk(&mut t, "messages", "conversation_id", "conversations", true);
        fk(&mut t, "messages", "author_user_id", "users", false);
        fk(
            &mut t,
            "messages",
            "side_conversation_id",
            "side_conversations",
            true,
        );
        m.create_table(t).await?;
        m.create_index(index(
            "messages",
            "ix_messages_conversation",
            &["conversation_id", "created_at", "id"],
            false,
        ))
        .await?;
        m.create_index(index(
            "messages",
            "ux_messages_external",
            &["workspace_id", "external_id"],
            true,
        ))
        .await?;

        let mut t = table(
            "attachments",
            &[
                Int("conversation_id"),
                IntNull("message_id"),
                Str("filename"),
                Str("content_type"),
                BigInt("size_bytes"),
                Str("storage_key"),
                Str("sha256"),
                IntNull("uploaded_by"),
                Time("created_at"),
            ],
        );
        fk(
            &mut t,
            "attachments",
            "conversation_id",
            "conversations",
            true,
        );
        fk(&mut t, "attachments", "message_id", "messages", false);
        m.create_table(t).await?;
        m.create_index(index(
            "attachments",
            "ix_attachments_message",
            &["message_id"],
            false,
        ))
        .await?;

        let mut t = table(
            "views",
            &[
                IntNull("owner_user_id"),
                Str("name"),
                Text("filters"),
                Str("sort"),
                Int("position"),
                Time("created_at"),
                Time("updated_at"),
            ],
        );
        fk(&mut t, "views", "owner_user_id", "users", true);
        m.create_table(t).await?;

        let mut t = table(
            "canned_responses",
            &[
                IntNull("owner_user_id"),
                Str("title"),
                Str("category"),
                Text("body"),
                Time("created_at"),
                Time("updated_at"),
            ],
        );
        fk(&mut t, "canned_responses", "owner_user_id", "users", true);
        m.create_table(t).await?;

        m.create_table(table(
            "macros",
            &[
                Str("name"),
                Text("description"),
                Text("actions"),
                Time("created_at"),
                Time("updated_at"),
            ],
        ))
        .await?;

        let mut t = table(
            "notifications",
            &[
                Int("user_id"),
                Str("kind"),
                IntNull("conversation_id"),
                Text("body"),
                TimeNull("read_at"),
                Time("created_at"),
            ],
        );
        fk(&mut t, "notifications", "user_id", "users", true);
        fk(
            &mut t,
            "notifications",
            "conversation_id",
            "conversations",
            true,
        );
        m.create_table(t).await?;
        m.create_index(index(
            "notifications",
            "ix_notifications_user",
            &["workspace_id", "user_id", "read_at"],
            false,
        ))
        .await?;

        m.create_table(table(
            "merges",
            &[
                Int("primary_id"),
                Text("secondary_ids"),
                Text("moved_message_ids"),
                Text("added_tag_ids"),
                Text("note_ids"),
                Text("previous_states"),
                IntNull("actor_user_id"),
                Time("created_at"),
                TimeNull("undone_at"),
            ],
        ))
        .await?;

        m.create_table(table(
            "api_keys",
            &[
                Str("name"),
                Str("prefix"),
                Str("key_hash"),
                Str("scopes"),
                IntNull("created_by"),
                TimeNull("last_used_at"),
                TimeNull("revoked_at"),
                Time("created_at"),
            ],
        ))
        .await?;
        m.create_index(index("api_keys", "ux_api_keys_hash", &["key_hash"], true))
            .await?;

        let db = m.get_connection();
        let statements: &[&str] = match m.get_database_backend() {
            DbBackend::Sqlite => SQLITE_FTS,
            DbBackend::Postgres => POSTGRES_FTS,
            DbBackend::MySql => &[],
        };
        for s in statements {
            db.execute_unprepared(s).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if m.get_database_backend() == DbBackend::Sqlite {
            for s in SQLITE_FTS_DOWN {
                db.execute_unprepared(s).await?;
            }
        }
        for t in TABLES.iter().rev() {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        m.alter_table(
            Table::alter()
                .table(a("memberships"))
                .drop_column(a("signature"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(a("workspaces"))
                .drop_column(a("ticket_seq"))
                .to_owned(),
        )
        .await
    }
}

/// SQLite: external-content FTS5 tables over the real rows, kept in step by triggers
/// (so the index commits or rolls back with the change that caused it).
const SQLITE_FTS: &[&str] = &[
    "CREATE VIRTUAL TABLE messages_fts USING fts5(body_text, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN INSERT INTO messages_fts(rowid, body_text) VALUES (new.id, new.body_text); END",
    "CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN INSERT INTO messages_fts(messages_fts, rowid, body_text) VALUES ('delete', old.id, old.body_text); END",
    "CREATE TRIGGER messages_fts_au AFTER UPDATE OF body_text ON messages BEGIN INSERT INTO messages_fts(messages_fts, rowid, body_text) VALUES ('delete', old.id, old.body_text); INSERT INTO messages_fts(rowid, body_text) VALUES (new.id, new.body_text); END",
    "CREATE VIRTUAL TABLE conversations_fts USING fts5(subject, content='conversations', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER conversations_fts_ai AFTER INSERT ON conversations BEGIN INSERT INTO conversations_fts(rowid, subject) VALUES (new.id, new.subject); END",
    "CREATE TRIGGER conversations_fts_ad AFTER DELETE ON conversations BEGIN INSERT INTO conversations_fts(conversations_fts, rowid, subject) VALUES ('delete', old.id, old.subject); END",
    "CREATE TRIGGER conversations_fts_au AFTER UPDATE OF subject ON conversations BEGIN INSERT INTO conversations_fts(conversations_fts, rowid, subject) VALUES ('delete', old.id, old.subject); INSERT INTO conversations_fts(rowid, subject) VALUES (new.id, new.subject); END",
    "CREATE VIRTUAL TABLE customers_fts USING fts5(name, email, content='customers', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER customers_fts_ai AFTER INSERT ON customers BEGIN INSERT INTO customers_fts(rowid, name, email) VALUES (new.id, new.name, coalesce(new.email, '')); END",
    "CREATE TRIGGER customers_fts_ad AFTER DELETE ON customers BEGIN INSERT INTO customers_fts(customers_fts, rowid, name, email) VALUES ('delete', old.id, old.name, coalesce(old.email, '')); END",
    "CREATE TRIGGER customers_fts_au AFTER UPDATE OF name, email ON customers BEGIN INSERT INTO customers_fts(customers_fts, rowid, name, email) VALUES ('delete', old.id, old.name, coalesce(old.email, '')); INSERT INTO customers_fts(rowid, name, email) VALUES (new.id, new.name, coalesce(new.email, '')); END",
];

const SQLITE_FTS_DOWN: &[&str] = &[
    // The triggers first: with them gone nothing writes to the indexes while
    // their tables are dropped.
    "DROP TRIGGER IF EXISTS messages_fts_ai",
    "DROP TRIGGER IF EXISTS messages_fts_ad",
    "DROP TRIGGER IF EXISTS messages_fts_au",
    "DROP TRIGGER IF EXISTS conversations_fts_ai",
    "DROP TRIGGER IF EXISTS conversations_fts_ad",
    "DROP TRIGGER IF EXISTS conversations_fts_au",
    "DROP TRIGGER IF EXISTS customers_fts_ai",
    "DROP TRIGGER IF EXISTS customers_fts_ad",
    "DROP TRIGGER IF EXISTS customers_fts_au",
    "DROP TABLE IF EXISTS messages_fts",
    "DROP TABLE IF EXISTS conversations_fts",
    "DROP TABLE IF EXISTS customers_fts",
];

/// PostgreSQL: GIN indexes over the same `to_tsvector('simple', …)` expressions the
/// search queries use, maintained by the database inside each transaction.
const POSTGRES_FTS: &[&str] = &[
    "CREATE INDEX ix_messages_fts ON messages USING GIN (to_tsvector('simple', body_text))",
    "CREATE INDEX ix_conversations_fts ON conversations USING GIN (to_tsvector('simple', subject))",
    "CREATE INDEX ix_customers_fts ON customers USING GIN (to_tsvector('simple', name || ' ' || coalesce(email, '')))",
];
