//! Report facts (SPEC C8.1, speed): one narrow row per live (unmerged)
//! conversation holding exactly what reports add up — creation time in epoch
//! seconds, the dimensions, seconds to first reply and to solve, the AI, SLA and
//! survey outcomes and the agents' reply count — kept by the database itself.
//!
//! Triggers on `conversations`, `messages` and `csat_responses` rewrite a
//! conversation's row inside the transaction that changes it, so every write
//! path (services, imports, the benchmark generator, a merge) keeps it current
//! and a report never reads a stale figure. On SQLite the table is `WITHOUT
//! ROWID`, clustered on (workspace, creation time): a year of one workspace is
//! one contiguous range of small integer rows, read without parsing a single
//! timestamp. The drill-down still reads `conversations` with the same period
//! and filters, so a point's list is exactly what it counted.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The columns, in insert order.
const COLS: &str = "workspace_id, created, conversation_id, customer_id, channel, priority, \
     status, assignee_id, team_id, first_secs, solve_secs, ai, sla, breached, rating, replies";

/// The conversation columns a fact is made of: an update setting none of them
/// (a new message's preview and time, read markers) fires no trigger.
const READ: &str = "workspace_id, created_at, customer_id, channel, priority, status, assignee_id, \
     team_id, first_response_at, solved_at, merged_into_id, ai_state, sla_policy_id, sla_breached_at";

/// Agents' public replies (what "replies per ticket" counts) of conversation `{c}`.
fn replies_of(c: &str) -> String {
    format!(
        "(SELECT COUNT(*) FROM messages m WHERE m.conversation_id = {c} AND m.kind = 'reply' \
         AND m.direction = 'outbound' AND m.author_user_id IS NOT NULL)"
    )
}

fn rating_of(c: &str) -> String {
    format!("(SELECT MAX(r.rating) FROM csat_responses r WHERE r.conversation_id = {c})")
}

/// The columns and values a conversation row `c` (`NEW` in a trigger, an
/// alias in a backfill) gives its fact, besides the reply count and rating;
/// `epoch` turns a timestamp column into epoch seconds.
fn fields(c: &str, epoch: &dyn Fn(&str) -> String) -> Vec<(&'static str, String)> {
    let created = epoch(&format!("{c}.created_at"));
    vec![
        ("workspace_id", format!("{c}.workspace_id")),
        ("created", created.clone()),
        ("conversation_id", format!("{c}.id")),
        ("customer_id", format!("{c}.customer_id")),
        ("channel", format!("{c}.channel")),
        ("priority", format!("{c}.priority")),
        ("status", format!("{c}.status")),
        ("assignee_id", format!("{c}.assignee_id")),
        ("team_id", format!("{c}.team_id")),
        (
            "first_secs",
            format!("{} - {created}", epoch(&format!("{c}.first_response_at"))),
        ),
        (
            "solve_secs",
            format!("{} - {created}", epoch(&format!("{c}.solved_at"))),
        ),
        (
            "ai",
            format!("CASE WHEN {c}.ai_state = 'resolved' THEN 1 ELSE 0 END"),
        ),
        (
            "sla",
            format!("CASE WHEN {c}.sla_policy_id IS NOT NULL THEN 1 ELSE 0 END"),
        ),
        (
            "breached",
            format!(
                "CASE WHEN {c}.sla_policy_id IS NOT NULL AND {c}.sla_breached_at IS NOT NULL THEN 1 ELSE 0 END"
            ),
        ),
    ]
}

/// The fact values of conversation row `c`, in [`COLS`] order. `counted`
/// reads its rating and replies; a new conversation has neither (messages and
/// answers reference it, so none can exist before it).
fn values(c: &str, epoch: &dyn Fn(&str) -> String, counted: bool) -> String {
    let mut v: Vec<String> = fields(c, epoch).into_iter().map(|(_, e)| e).collect();
    if counted {
        v.push(rating_of(&format!("{c}.id")));
        v.push(replies_of(&format!("{c}.id")));
    } else {
        v.push("NULL".into());
        v.push("0".into());
    }
    v.join(", ")
}

/// `col = value, …` of conversation row `c`'s fact (rating and replies kept).
fn assignments(c: &str, epoch: &dyn Fn(&str) -> String) -> String {
    fields(c, epoch)
        .into_iter()
        .filter(|(col, _)| *col != "conversation_id")
        .map(|(col, e)| format!("{col} = {e}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn sqlite_epoch(col: &str) -> String {
    format!("CAST(strftime('%s', {col}) AS INTEGER)")
}

fn postgres_epoch(col: &str) -> String {
    // Whole seconds rounded down, as SQLite's `strftime('%s')` gives them.
    format!("CAST(FLOOR(EXTRACT(EPOCH FROM {col})) AS BIGINT)")
}

/// Whether message row `m` is an agent's public reply.
fn is_reply(m: &str) -> String {
    format!("{m}.kind = 'reply' AND {m}.direction = 'outbound' AND {m}.author_user_id IS NOT NULL")
}

fn sqlite_up() -> Vec<String> {
    vec![
        "CREATE TABLE report_facts (\
            workspace_id INTEGER NOT NULL, created INTEGER NOT NULL, conversation_id INTEGER NOT NULL, \
            customer_id INTEGER NOT NULL, channel TEXT NOT NULL, priority TEXT NOT NULL, status TEXT NOT NULL, \
            assignee_id INTEGER, team_id INTEGER, first_secs INTEGER, solve_secs INTEGER, \
            ai INTEGER NOT NULL, sla INTEGER NOT NULL, breached INTEGER NOT NULL, rating INTEGER, \
            replies INTEGER NOT NULL, \
            PRIMARY KEY (workspace_id, created, conversation_id)) WITHOUT ROWID"
            .to_owned(),
        "CREATE UNIQUE INDEX ux_report_facts_conversation ON report_facts (conversation_id)".to_owned(),
        format!(
            "INSERT INTO report_facts ({COLS}) SELECT {} FROM conversations c WHERE c.merged_into_id IS NULL",
            values("c", &sqlite_epoch, true)
        ),
        format!(
            "CREATE TRIGGER report_facts_conv_ai AFTER INSERT ON conversations WHEN new.merged_into_id IS NULL \
             BEGIN INSERT INTO report_facts ({COLS}) VALUES ({}); END",
            values("new", &sqlite_epoch, false)
        ),
        // Merged away: no fact. Otherwise the fact follows, keeping its rating
        // and replies; a conversation back from a merge gets its fact again.
        format!(
            "CREATE TRIGGER report_facts_conv_au AFTER UPDATE OF {READ} ON conversations BEGIN \
             DELETE FROM report_facts WHERE conversation_id = old.id AND (new.merged_into_id IS NOT NULL OR new.id <> old.id); \
             UPDATE report_facts SET {} WHERE conversation_id = new.id AND new.merged_into_id IS NULL; \
             INSERT INTO report_facts ({COLS}) SELECT {} FROM conversations c WHERE c.id = new.id \
               AND c.merged_into_id IS NULL AND NOT EXISTS (SELECT 1 FROM report_facts f WHERE f.conversation_id = c.id); \
             END",
            assignments("new", &sqlite_epoch),
            values("c", &sqlite_epoch, true)
        ),
        "CREATE TRIGGER report_facts_conv_ad AFTER DELETE ON conversations BEGIN \
         DELETE FROM report_facts WHERE conversation_id = old.id; END"
            .to_owned(),
        format!(
            "CREATE TRIGGER report_facts_msg_ai AFTER INSERT ON messages WHEN {} BEGIN \
             UPDATE report_facts SET replies = replies + 1 WHERE conversation_id = new.conversation_id; END",
            is_reply("new")
        ),
        format!(
            "CREATE TRIGGER report_facts_msg_au AFTER UPDATE OF conversation_id, kind, direction, author_user_id ON messages BEGIN \
             UPDATE report_facts SET replies = {} WHERE conversation_id = old.conversation_id; \
             UPDATE report_facts SET replies = {} WHERE conversation_id = new.conversation_id; END",
            replies_of("old.conversation_id"),
            replies_of("new.conversation_id")
        ),
        format!(
            "CREATE TRIGGER report_facts_msg_ad AFTER DELETE ON messages WHEN {} BEGIN \
             UPDATE report_facts SET replies = replies - 1 WHERE conversation_id = old.conversation_id; END",
            is_reply("old")
        ),
        // One answer per conversation (a unique index): its rating is the fact's.
        "CREATE TRIGGER report_facts_csat_ai AFTER INSERT ON csat_responses BEGIN \
         UPDATE report_facts SET rating = new.rating WHERE conversation_id = new.conversation_id; END"
            .to_owned(),
        "CREATE TRIGGER report_facts_csat_au AFTER UPDATE ON csat_responses BEGIN \
         UPDATE report_facts SET rating = NULL WHERE conversation_id = old.conversation_id; \
         UPDATE report_facts SET rating = new.rating WHERE conversation_id = new.conversation_id; END"
            .to_owned(),
        "CREATE TRIGGER report_facts_csat_ad AFTER DELETE ON csat_responses BEGIN \
         UPDATE report_facts SET rating = NULL WHERE conversation_id = old.conversation_id; END"
            .to_owned(),
    ]
}

const SQLITE_TRIGGERS: [&str; 9] = [
    "report_facts_conv_ai",
    "report_facts_conv_au",
    "report_facts_conv_ad",
    "report_facts_msg_ai",
    "report_facts_msg_au",
    "report_facts_msg_ad",
    "report_facts_csat_ai",
    "report_facts_csat_au",
    "report_facts_csat_ad",
];

fn postgres_up() -> Vec<String> {
    vec![
        "CREATE TABLE report_facts (\
            workspace_id INTEGER NOT NULL, created BIGINT NOT NULL, conversation_id INTEGER PRIMARY KEY, \
            customer_id INTEGER NOT NULL, channel VARCHAR NOT NULL, priority VARCHAR NOT NULL, status VARCHAR NOT NULL, \
            assignee_id INTEGER, team_id INTEGER, first_secs BIGINT, solve_secs BIGINT, \
            ai INTEGER NOT NULL, sla INTEGER NOT NULL, breached INTEGER NOT NULL, rating INTEGER, \
            replies INTEGER NOT NULL)"
            .to_owned(),
        "CREATE INDEX ix_report_facts_period ON report_facts (workspace_id, created)".to_owned(),
        format!(
            "INSERT INTO report_facts ({COLS}) SELECT {} FROM conversations c WHERE c.merged_into_id IS NULL",
            values("c", &postgres_epoch, true)
        ),
        // Merged away: no fact. Otherwise the fact follows, keeping its rating
        // and replies; a conversation back from a merge gets its fact again.
        format!(
            "CREATE FUNCTION report_facts_conv() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
               IF TG_OP = 'DELETE' THEN \
                 DELETE FROM report_facts WHERE conversation_id = OLD.id; RETURN NULL; \
               END IF; \
               IF TG_OP = 'INSERT' THEN \
                 IF NEW.merged_into_id IS NULL THEN INSERT INTO report_facts ({COLS}) VALUES ({fresh}); END IF; \
                 RETURN NULL; \
               END IF; \
               IF NEW.merged_into_id IS NOT NULL OR NEW.id <> OLD.id THEN \
                 DELETE FROM report_facts WHERE conversation_id = OLD.id; \
               END IF; \
               IF NEW.merged_into_id IS NULL THEN \
                 UPDATE report_facts SET {set} WHERE conversation_id = NEW.id; \
                 IF NOT FOUND THEN INSERT INTO report_facts ({COLS}) VALUES ({counted}); END IF; \
               END IF; \
               RETURN NULL; \
             END $$",
            fresh = values("NEW", &postgres_epoch, false),
            set = assignments("NEW", &postgres_epoch),
            counted = values("NEW", &postgres_epoch, true),
        ),
        format!(
            "CREATE TRIGGER report_facts_conv AFTER INSERT OR DELETE OR UPDATE OF {READ} ON conversations \
             FOR EACH ROW EXECUTE FUNCTION report_facts_conv()"
        ),
        format!(
            "CREATE FUNCTION report_facts_msg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
               IF TG_OP = 'INSERT' THEN \
                 IF {new_reply} THEN UPDATE report_facts SET replies = replies + 1 WHERE conversation_id = NEW.conversation_id; END IF; \
               ELSIF TG_OP = 'DELETE' THEN \
                 IF {old_reply} THEN UPDATE report_facts SET replies = replies - 1 WHERE conversation_id = OLD.conversation_id; END IF; \
               ELSIF ({old_reply}) IS DISTINCT FROM ({new_reply}) OR OLD.conversation_id <> NEW.conversation_id THEN \
                 UPDATE report_facts SET replies = {old_count} WHERE conversation_id = OLD.conversation_id; \
                 UPDATE report_facts SET replies = {new_count} WHERE conversation_id = NEW.conversation_id; \
               END IF; \
               RETURN NULL; \
             END $$",
            new_reply = is_reply("NEW"),
            old_reply = is_reply("OLD"),
            old_count = replies_of("OLD.conversation_id"),
            new_count = replies_of("NEW.conversation_id"),
        ),
        "CREATE TRIGGER report_facts_msg AFTER INSERT OR UPDATE OR DELETE ON messages \
         FOR EACH ROW EXECUTE FUNCTION report_facts_msg()"
            .to_owned(),
        // One answer per conversation (a unique index): its rating is the fact's.
        "CREATE FUNCTION report_facts_csat() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
           IF TG_OP <> 'INSERT' THEN UPDATE report_facts SET rating = NULL WHERE conversation_id = OLD.conversation_id; END IF; \
           IF TG_OP <> 'DELETE' THEN UPDATE report_facts SET rating = NEW.rating WHERE conversation_id = NEW.conversation_id; END IF; \
           RETURN NULL; \
         END $$"
            .to_owned(),
        "CREATE TRIGGER report_facts_csat AFTER INSERT OR UPDATE OR DELETE ON csat_responses \
         FOR EACH ROW EXECUTE FUNCTION report_facts_csat()"
            .to_owned(),
    ]
}

const POSTGRES_DOWN: [&str; 7] = [
    "DROP TRIGGER IF EXISTS report_facts_csat ON csat_responses",
    "DROP TRIGGER IF EXISTS report_facts_msg ON messages",
    "DROP TRIGGER IF EXISTS report_facts_conv ON conversations",
    "DROP FUNCTION IF EXISTS report_facts_csat()",
    "DROP FUNCTION IF EXISTS report_facts_msg()",
    "DROP FUNCTION IF EXISTS report_facts_conv()",
    "DROP TABLE IF EXISTS report_facts",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let stmts = match db.get_database_backend() {
            DbBackend::Postgres => postgres_up(),
            _ => sqlite_up(),
        };
        for s in stmts {
            db.execute_unprepared(&s).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            for s in POSTGRES_DOWN {
                db.execute_unprepared(s).await?;
            }
        } else {
            // Triggers first: nothing may write to the table once it is gone.
            for t in SQLITE_TRIGGERS {
                db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {t}"))
                    .await?;
            }
            db.execute_unprepared("DROP TABLE IF EXISTS report_facts")
                .await?;
        }
        Ok(())
    }
}
