//! `generate`: one workspace with an owner, agents, teams, tags, then customers,
//! conversations and messages bulk-inserted with multi-row `INSERT`s inside large
//! transactions, on SQLite or PostgreSQL.
//!
//! Rows are produced on a blocking thread and written by the async side, so text
//! generation and the database work overlap. Customers and conversations get
//! explicit ids (after the current maximum) so messages can reference them without
//! reading anything back; PostgreSQL sequences are moved past them at the end.
//!
//! SQLite keeps its FTS5 triggers (the index is built row by row, as in production).
//! On PostgreSQL the full-text GIN indexes are dropped before the load and created
//! again from their saved definitions afterwards (much faster than maintaining them
//! row by row), then the tables are vacuumed and analysed.

use super::text::{Ctx, Voice, COMPANIES, DOMAINS, FIRST_NAMES, LAST_NAMES};
use anyhow::{bail, Context as _};
use app::services::inbox::{excerpt, messages::text_to_html, views};
use app::services::tenancy::Scoped;
use app::services::{AppState, Config};
use chrono::{DateTime, Duration as Span, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, Statement,
    TransactionTrait, Value,
};
use std::collections::HashMap;
use std::time::Instant;

/// What to generate.
#[derive(Debug, clap::Args)]
pub struct GenArgs {
    /// `sqlite://path?mode=rwc` or `postgres://user@host/db` (migrated first).
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,
    /// Customers (each with one email identifier).
    #[arg(long, default_value_t = 100_000)]
    pub customers: u32,
    /// Conversations, numbered 1..N.
    #[arg(long, default_value_t = 1_000_000)]
    pub conversations: u32,
    /// Messages in all (at least one per conversation).
    #[arg(long, default_value_t = 5_000_000)]
    pub messages: u64,
    /// Agents besides the owner.
    #[arg(long, default_value_t = 25)]
    pub agents: u32,
    /// Owner's email (must not exist yet).
    #[arg(long, default_value = "bench-owner@example.com")]
    pub owner_email: String,
    /// Password of the owner and every agent.
    #[arg(long, default_value = "bench-password-123")]
    pub password: String,
    /// Random seed (same seed, same data).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

const CUSTOMER_COLS: &[&str] = &[
    "id",
    "workspace_id",
    "name",
    "email",
    "phone",
    "company",
    "notes",
    "merged_into_id",
    "created_at",
    "updated_at",
];
const IDENTIFIER_COLS: &[&str] = &[
    "workspace_id",
    "customer_id",
    "kind",
    "value",
    "verified",
    "created_at",
];
const CONVERSATION_COLS: &[&str] = &[
    "id",
    "workspace_id",
    "number",
    "subject",
    "status",
    "priority",
    "channel",
    "customer_id",
    "assignee_id",
    "team_id",
    "custom_fields",
    "first_response_at",
    "solved_at",
    "merged_into_id",
    "split_from_id",
    "preview",
    "public_token",
    "message_count",
    "last_message_at",
    "created_at",
    "updated_at",
];
const TAG_COLS: &[&str] = &["workspace_id", "conversation_id", "tag_id"];
const CSAT_COLS: &[&str] = &[
    "workspace_id",
    "conversation_id",
    "customer_id",
    "rating",
    "comment",
    "created_at",
    "updated_at",
];
const MESSAGE_COLS: &[&str] = &[
    "workspace_id",
    "conversation_id",
    "kind",
    "direction",
    "author_user_id",
    "author_customer_id",
    "body_html",
    "body_text",
    "side_conversation_id",
    "delivery_status",
    "delivery_error",
    "external_id",
    "origin_conversation_id",
    "created_at",
];

/// Rows per `INSERT` (the widest, conversations, binds 21,000 values: under both
/// SQLite's 32,766 and PostgreSQL's 65,535).
const BATCH: usize = 1000;
/// Conversations per transaction.
const CONVERSATIONS_PER_COMMIT: u32 = 20_000;
/// Customers per transaction.
const CUSTOMERS_PER_COMMIT: u32 = 50_000;

const TEAMS: &[&str] = &["Support", "Billing", "Logistics", "VIP care"];
const TAGS: &[(&str, &str)] = &[
    ("billing", "#2563eb"),
    ("shipping", "#059669"),
    ("refund", "#dc2626"),
    ("vip", "#7c3aed"),
    ("bug", "#ea580c"),
    ("feature-request", "#0891b2"),
    ("returns", "#ca8a04"),
    ("warranty", "#4f46e5"),
    ("account", "#64748b"),
    ("feedback", "#16a34a"),
    ("wholesale", "#db2777"),
    ("escalated", "#b91c1c"),
];
const SCOPES: &str =
    "conversations:read,conversations:write,messages:write,customers:read,tags:read,views:read";

/// One multi-row insert, or a commit point.
enum Item {
    Rows {
        table: &'static str,
        cols: &'static [&'static str],
        rows: usize,
        values: Vec<Value>,
    },
    Commit,
}

/// Accumulates rows of one table and sends full batches.
struct Buffer {
    table: &'static str,
    cols: &'static [&'static str],
    values: Vec<Value>,
}

impl Buffer {
    fn new(table: &'static str, cols: &'static [&'static str]) -> Self {
        Self {
            table,
            cols,
            values: Vec::with_capacity(cols.len() * BATCH),
        }
    }

    fn rows(&self) -> usize {
        self.values.len() / self.cols.len()
    }

    /// Adds a row; sends a full batch. Returns whether it sent one.
    fn push(&mut self, row: impl IntoIterator<Item = Value>, tx: &Tx) -> anyhow::Result<bool> {
        self.hold(row);
        if self.rows() >= BATCH {
            self.flush(tx)?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Adds a row without sending (rows that reference rows not sent yet).
    fn hold(&mut self, row: impl IntoIterator<Item = Value>) {
        self.values.extend(row);
    }

    /// Sends every full batch, keeping the rest.
    fn flush_full(&mut self, tx: &Tx) -> anyhow::Result<()> {
        let width = self.cols.len() * BATCH;
        while self.values.len() >= width {
            let rest = self.values.split_off(width);
            let values = std::mem::replace(&mut self.values, rest);
            send(
                tx,
                Item::Rows {
                    table: self.table,
                    cols: self.cols,
                    rows: BATCH,
                    values,
                },
            )?;
        }
        Ok(())
    }

    /// Sends everything.
    fn flush(&mut self, tx: &Tx) -> anyhow::Result<()> {
        self.flush_full(tx)?;
        let rows = self.rows();
        if rows == 0 {
            return Ok(());
        }
        let values = std::mem::replace(
            &mut self.values,
            Vec::with_capacity(self.cols.len() * BATCH),
        );
        send(
            tx,
            Item::Rows {
                table: self.table,
                cols: self.cols,
                rows,
                values,
            },
        )
    }
}

type Tx = tokio::sync::mpsc::Sender<Item>;

fn send(tx: &Tx, item: Item) -> anyhow::Result<()> {
    tx.blocking_send(item)
        .map_err(|_| anyhow::anyhow!("the database writer stopped"))
}

/// Everything the row producer needs.
struct Plan {
    workspace_id: i32,
    customers: u32,
    conversations: u32,
    messages: u64,
    customer_base: i32,
    conversation_base: i32,
    /// Assignable members: id and first name (the owner first).
    members: Vec<(i32, String)>,
    teams: Vec<i32>,
    tags: Vec<i32>,
    seed: u64,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
}

fn v<T: Into<Value>>(x: T) -> Value {
    x.into()
}

fn null_int() -> Value {
    Value::Int(None)
}

fn null_str() -> Value {
    Value::String(None)
}

fn null_time() -> Value {
    Value::ChronoDateTimeUtc(None)
}

fn pick_weighted<'a>(rng: &mut StdRng, xs: &[(&'a str, u32)]) -> &'a str {
    let total: u32 = xs.iter().map(|(_, w)| w).sum();
    let mut r = rng.gen_range(0..total);
    for (x, w) in xs {
        if r < *w {
            return x;
        }
        r -= w;
    }
    xs[0].0
}

/// Per-conversation message counts with the requested total (each at least one).
fn message_counts(rng: &mut StdRng, conversations: u32, messages: u64) -> Vec<u16> {
    let n = conversations as usize;
    let avg = (messages / u64::from(conversations.max(1))).max(1);
    let spread = u16::try_from((avg - 1) * 2).unwrap_or(u16::MAX - 1);
    let mut counts: Vec<u16> = (0..n).map(|_| 1 + rng.gen_range(0..=spread)).collect();
    let mut sum: u64 = counts.iter().map(|c| u64::from(*c)).sum();
    while sum < messages {
        let i = rng.gen_range(0..n);
        if counts[i] < u16::MAX {
            counts[i] += 1;
            sum += 1;
        }
    }
    while sum > messages {
        let i = rng.gen_range(0..n);
        if counts[i] > 1 {
            counts[i] -= 1;
            sum -= 1;
        }
    }
    counts
}

/// Produces every customer, identifier, conversation, tag link and message.
fn produce(plan: &Plan, tx: &Tx) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let ws = plan.workspace_id;
    let year = plan.now - plan.start;

    // Customers and their email identifiers.
    let mut first_of: Vec<u16> = Vec::with_capacity(plan.customers as usize);
    let mut customers = Buffer::new("customers", CUSTOMER_COLS);
    let mut identifiers = Buffer::new("customer_identifiers", IDENTIFIER_COLS);
    for i in 0..plan.customers {
        let f = rng.gen_range(0..FIRST_NAMES.len());
        let l = rng.gen_range(0..LAST_NAMES.len());
        first_of.push(u16::try_from(f).unwrap_or(0));
        let name = format!("{} {}", FIRST_NAMES[f], LAST_NAMES[l]);
        let email = format!(
            "{}.{}{}@{}",
            FIRST_NAMES[f].to_lowercase(),
            LAST_NAMES[l].to_lowercase(),
            i,
            DOMAINS[rng.gen_range(0..DOMAINS.len())]
        );
        let phone = rng
            .gen_bool(0.3)
            .then(|| format!("+1555{:07}", rng.gen_range(0..10_000_000)));
        let company = rng
            .gen_bool(0.4)
            .then(|| COMPANIES[rng.gen_range(0..COMPANIES.len())].to_owned());
        let created = plan.start - Span::seconds(rng.gen_range(0..year.num_seconds().max(1)));
        let id = plan.customer_base + i32::try_from(i)?;
        let sent = customers.push(
            [
                v(id),
                v(ws),
                v(name),
                v(email.clone()),
                v(phone),
                v(company),
                null_str(),
                null_int(),
                v(created),
                v(created),
            ],
            tx,
        )?;
        identifiers.hold([v(ws), v(id), v("email"), v(email), v(true), v(created)]);
        if sent {
            identifiers.flush_full(tx)?;
        }
        if (i + 1) % CUSTOMERS_PER_COMMIT == 0 {
            customers.flush(tx)?;
            identifiers.flush(tx)?;
            send(tx, Item::Commit)?;
        }
    }
    customers.flush(tx)?;
    identifiers.flush(tx)?;
    send(tx, Item::Commit)?;

    // Conversations, their tags and messages.
    let counts = message_counts(&mut rng, plan.conversations, plan.messages);
    let mut convs = Buffer::new("conversations", CONVERSATION_COLS);
    let mut tag_links = Buffer::new("conversation_tags", TAG_COLS);
    let mut surveys = Buffer::new("csat_responses", CSAT_COLS);
    let mut msgs = Buffer::new("messages", MESSAGE_COLS);
    let n = f64::from(plan.conversations.max(1));
    let span = (year - Span::days(3)).num_seconds() as f64;
    let latest = plan.now - Span::minutes(1);
    for i in 0..plan.conversations {
        let id = plan.conversation_base + i32::try_from(i)?;
        let number = i32::try_from(i + 1)?;
        let recent = f64::from(i) / n > 0.9;
        let status = if recent {
            pick_weighted(
                &mut rng,
                &[
                    ("new", 15),
                    ("open", 35),
                    ("pending", 20),
                    ("on_hold", 5),
                    ("solved", 20),
                    ("closed", 5),
                ],
            )
        } else {
            pick_weighted(
                &mut rng,
                &[
                    ("new", 1),
                    ("open", 4),
                    ("pending", 3),
                    ("on_hold", 2),
                    ("solved", 25),
                    ("closed", 65),
                ],
            )
        };
        let priority = pick_weighted(
            &mut rng,
            &[("low", 20), ("normal", 60), ("high", 15), ("urgent", 5)],
        );
        let channel = pick_weighted(
            &mut rng,
            &[
                ("email", 45),
                ("chat", 20),
                ("web_form", 15),
                ("whatsapp", 7),
                ("sms", 5),
                ("phone", 4),
                ("social", 2),
                ("api", 2),
            ],
        );
        let customer_idx = rng.gen_range(0..plan.customers.max(1));
        let customer_id = plan.customer_base + i32::try_from(customer_idx)?;
        let assigned = rng.gen_bool(if status == "new" { 0.2 } else { 0.8 });
        let member = &plan.members[rng.gen_range(0..plan.members.len())];
        let assignee = assigned.then_some(member.0);
        let team = (!plan.teams.is_empty() && rng.gen_bool(0.6))
            .then(|| plan.teams[rng.gen_range(0..plan.teams.len())]);
        let created =
            plan.start + Span::seconds((f64::from(i) / n * span) as i64 + rng.gen_range(0..3600));
        let customer_first =
            FIRST_NAMES[usize::from(first_of.get(customer_idx as usize).copied().unwrap_or(0))];
        let ctx = Ctx::new(&mut rng, customer_first, &member.1);
        let subject = ctx.subject(&mut rng);

        let mut t = created;
        let mut first_response: Option<DateTime<Utc>> = None;
        let mut last_reply_text = String::new();
        let mut last_reply_at = created;
        let mut previous = Voice::Customer;
        let mut from_customer = 0_u32;
        let count = counts[i as usize];
        for k in 0..count {
            let voice = if k == 0 || status == "new" {
                Voice::Customer
            } else {
                let r = rng.gen_range(0..100);
                match previous {
                    Voice::Customer if r < 75 => Voice::Agent,
                    Voice::Customer if r < 90 => Voice::Note,
                    Voice::Customer => Voice::Customer,
                    Voice::Agent if r < 70 => Voice::Customer,
                    Voice::Agent if r < 80 => Voice::Note,
                    Voice::Agent => Voice::Agent,
                    Voice::Note if r < 80 => Voice::Agent,
                    Voice::Note => Voice::Customer,
                }
            };
            if k > 0 {
                let gap = match voice {
                    Voice::Agent | Voice::Note => rng.gen_range(60..6 * 3600),
                    Voice::Customer => rng.gen_range(600..2 * 86_400),
                };
                t = (t + Span::seconds(gap)).min(latest);
            }
            let body = ctx.message(&mut rng, voice);
            let (kind, direction, author_user, author_customer, delivery) = match voice {
                Voice::Customer => ("reply", "inbound", None, Some(customer_id), "received"),
                Voice::Agent => ("reply", "outbound", Some(member.0), None, "sent"),
                Voice::Note => ("note", "internal", Some(member.0), None, "internal"),
            };
            if voice == Voice::Customer {
                from_customer += 1;
            }
            if voice == Voice::Agent && first_response.is_none() {
                first_response = Some(t);
            }
            if voice != Voice::Note {
                last_reply_text.clone_from(&body);
                last_reply_at = t;
            }
            msgs.hold([
                v(ws),
                v(id),
                v(kind),
                v(direction),
                v(author_user),
                v(author_customer),
                v(text_to_html(&body)),
                v(body),
                null_int(),
                v(delivery),
                null_str(),
                null_str(),
                null_int(),
                v(t),
            ]);
            previous = voice;
        }
        let solved = matches!(status, "solved" | "closed")
            .then(|| (t + Span::seconds(rng.gen_range(300..86_400))).min(latest));
        let updated = solved.unwrap_or(t);
        let sent = convs.push(
            [
                v(id),
                v(ws),
                v(number),
                v(subject),
                v(status),
                v(priority),
                v(channel),
                v(customer_id),
                v(assignee),
                v(team),
                v("{}"),
                first_response.map_or_else(null_time, v),
                solved.map_or_else(null_time, v),
                null_int(),
                null_int(),
                v(excerpt(&last_reply_text, 140)),
                v(format!("bench{id:027}")),
                v(i32::from(count)),
                v(last_reply_at),
                v(created),
                v(updated),
            ],
            tx,
        )?;
        if let Some(at) = solved.filter(|_| rng.gen_bool(0.25)) {
            let rating = survey_rating(&mut rng, created, first_response, at, from_customer);
            let answered = (at + Span::seconds(rng.gen_range(60..86_400))).min(latest);
            surveys.hold([
                v(ws),
                v(id),
                v(customer_id),
                v(rating),
                null_str(),
                v(answered),
                v(answered),
            ]);
        }
        if !plan.tags.is_empty() && rng.gen_bool(0.4) {
            let k = rng.gen_range(1..=3.min(plan.tags.len()));
            let first = rng.gen_range(0..plan.tags.len());
            for j in 0..k {
                let tag = plan.tags[(first + j * 5) % plan.tags.len()];
                tag_links.hold([v(ws), v(id), v(tag)]);
            }
        }
        // Tag links and messages reference conversations: they are sent (in full
        // batches) only once the conversations they name have been.
        if sent {
            tag_links.flush_full(tx)?;
            msgs.flush_full(tx)?;
            surveys.flush_full(tx)?;
        }
        if (i + 1) % CONVERSATIONS_PER_COMMIT == 0 {
            convs.flush(tx)?;
            tag_links.flush(tx)?;
            msgs.flush(tx)?;
            surveys.flush(tx)?;
            send(tx, Item::Commit)?;
        }
    }
    convs.flush(tx)?;
    tag_links.flush(tx)?;
    msgs.flush(tx)?;
    surveys.flush(tx)?;
    send(tx, Item::Commit)?;
    Ok(())
}

/// A survey answer for a solved conversation, drawn from a process of its own
/// rather than from the product's prediction formula, so that measuring the
/// prediction on this data is not circular: the rating falls with the wait for
/// a first reply, the time to solve and how many times the customer had to
/// write, plus noise a prediction cannot know.
fn survey_rating(
    rng: &mut StdRng,
    created: DateTime<Utc>,
    first_response: Option<DateTime<Utc>>,
    solved: DateTime<Utc>,
    from_customer: u32,
) -> i32 {
    let hours = |a: DateTime<Utc>| ((a - created).num_seconds().max(0) as f64) / 3600.0;
    let wait = first_response.map_or_else(|| hours(solved), hours);
    let noise: f64 = (0..4).map(|_| rng.gen_range(-0.75..0.75)).sum();
    let score = 4.6
        - 0.4 * (1.0 + wait).ln()
        - 0.12 * (1.0 + hours(solved)).ln()
        - 0.3 * f64::from(from_customer.saturating_sub(2))
        + noise;
    (score.round() as i32).clamp(1, 5)
}

fn insert_sql(backend: DbBackend, table: &str, cols: &[&str], rows: usize) -> String {
    let mut s = String::with_capacity(64 + rows * cols.len() * 6);
    s.push_str("INSERT INTO ");
    s.push_str(table);
    s.push_str(" (");
    s.push_str(&cols.join(", "));
    s.push_str(") VALUES ");
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            s.push(',');
        }
        s.push('(');
        for c in 0..cols.len() {
            if c > 0 {
                s.push(',');
            }
            n += 1;
            if backend == DbBackend::Postgres {
                s.push('$');
                s.push_str(&n.to_string());
            } else {
                s.push('?');
            }
        }
        s.push(')');
    }
    s
}

/// Counts and rates for the progress lines.
#[derive(Default)]
struct Progress {
    rows: HashMap<&'static str, u64>,
    started: Option<Instant>,
    last_print: Option<Instant>,
}

impl Progress {
    fn add(&mut self, table: &'static str, rows: usize) {
        *self.rows.entry(table).or_default() += rows as u64;
    }

    fn total(&self) -> u64 {
        self.rows.values().sum()
    }

    fn print(&mut self, plan: &Plan, force: bool) {
        let now = Instant::now();
        let started = *self.started.get_or_insert(now);
        if !force
            && self
                .last_print
                .is_some_and(|t| now - t < std::time::Duration::from_secs(10))
        {
            return;
        }
        self.last_print = Some(now);
        let secs = (now - started).as_secs_f64().max(0.001);
        let get = |t: &str| self.rows.get(t).copied().unwrap_or(0);
        println!(
            "  {:>6.0} s  customers {}/{}  conversations {}/{}  messages {}/{}  ({:.0} rows/s overall)",
            secs,
            get("customers"),
            plan.customers,
            get("conversations"),
            plan.conversations,
            get("messages"),
            plan.messages,
            self.total() as f64 / secs
        );
    }
}

async fn begin(db: &DatabaseConnection) -> anyhow::Result<DatabaseTransaction> {
    let txn = db.begin().await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // 256 MiB page cache for this connection: index and FTS pages stay in memory.
        txn.execute_unprepared("PRAGMA cache_size = -262144")
            .await?;
    }
    Ok(txn)
}

/// Writes what the producer sends, committing at its commit points.
async fn write(
    db: &DatabaseConnection,
    plan: &Plan,
    mut rx: tokio::sync::mpsc::Receiver<Item>,
) -> anyhow::Result<Progress> {
    let backend = db.get_database_backend();
    let mut sql: HashMap<(&'static str, usize), String> = HashMap::new();
    let mut progress = Progress::default();
    progress.print(plan, true);
    let mut txn: Option<DatabaseTransaction> = None;
    while let Some(item) = rx.recv().await {
        match item {
            Item::Rows {
                table,
                cols,
                rows,
                values,
            } => {
                let text = sql
                    .entry((table, rows))
                    .or_insert_with(|| insert_sql(backend, table, cols, rows))
                    .clone();
                if txn.is_none() {
                    txn = Some(begin(db).await?);
                }
                if let Some(t) = &txn {
                    t.execute(Statement::from_sql_and_values(backend, text, values))
                        .await
                        .with_context(|| format!("inserting {rows} rows into {table}"))?;
                }
                progress.add(table, rows);
            }
            Item::Commit => {
                if let Some(t) = txn.take() {
                    t.commit().await?;
                }
                progress.print(plan, false);
            }
        }
    }
    if let Some(t) = txn.take() {
        t.commit().await?;
    }
    progress.print(plan, true);
    Ok(progress)
}

async fn scalar_i64(db: &DatabaseConnection, sql: &str, values: Vec<Value>) -> anyhow::Result<i64> {
    let backend = db.get_database_backend();
    let row = db
        .query_one(Statement::from_sql_and_values(backend, sql, values))
        .await?
        .context("no row")?;
    // COUNT and MAX are BIGINT on PostgreSQL, INTEGER on SQLite; both read as i64.
    Ok(row.try_get_by_index::<Option<i64>>(0)?.unwrap_or(0))
}

async fn exec(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> anyhow::Result<u64> {
    let backend = db.get_database_backend();
    Ok(db
        .execute(Statement::from_sql_and_values(backend, sql, values))
        .await
        .with_context(|| format!("running {sql}"))?
        .rows_affected())
}

/// Inserts a row and returns its id (via `RETURNING`, on both databases).
async fn insert_returning(
    db: &impl ConnectionTrait,
    table: &str,
    cols: &[&str],
    values: Vec<Value>,
) -> anyhow::Result<i32> {
    let backend = db.get_database_backend();
    let sql = format!("{} RETURNING id", insert_sql(backend, table, cols, 1));
    let row = db
        .query_one(Statement::from_sql_and_values(backend, sql, values))
        .await?
        .context("no id returned")?;
    Ok(row.try_get_by_index::<i32>(0)?)
}

/// The full-text GIN indexes (PostgreSQL): name and definition.
async fn pg_fts_indexes(db: &DatabaseConnection) -> anyhow::Result<Vec<(String, String)>> {
    let rows = db
        .query_all(Statement::from_string(
            DbBackend::Postgres,
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() \
             AND tablename IN ('customers', 'conversations', 'messages') \
             AND indexdef ILIKE '%USING gin%'",
        ))
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?)))
        .collect()
}

/// Channels the AI agent answers on in the generated workspace: all of them.
const AI_CHANNELS: &[&str] = &[
    "email", "chat", "web_form", "whatsapp", "sms", "phone", "social", "api",
];

/// Runs `generate`.
pub async fn generate(a: GenArgs) -> anyhow::Result<()> {
    if a.conversations == 0 || a.customers == 0 {
        bail!("--customers and --conversations must be at least 1");
    }
    if a.messages < u64::from(a.conversations) {
        bail!("--messages must be at least --conversations (every conversation has one)");
    }
    let total_start = Instant::now();
    let cfg = Config {
        database_url: a.database_url.clone(),
        // Bulk loads, index builds and VACUUM run for minutes on PostgreSQL.
        statement_timeout_ms: 0,
        ..Config::default()
    };
    println!("switchboard-bench generate: connecting and migrating");
    let state = switchboard_server::runtime::build_state(cfg).await?;
    let db = state.db.clone();
    let backend = db.get_database_backend();

    // Owner (through the product, so the password hash is the real thing), agents.
    if app::services::accounts::user_by_email(&db, &a.owner_email)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .is_some()
    {
        bail!(
            "{} already exists: generate into a fresh database",
            a.owner_email
        );
    }
    let signed = app::services::accounts::create_admin(
        &state,
        &a.owner_email,
        "Bench Owner",
        &a.password,
        "Bench Co",
    )
    .await
    .map_err(|e| anyhow::anyhow!("creating the owner: {e}"))?;
    let ws = signed.workspace_id;
    let now = Utc::now();
    let row = db
        .query_one(Statement::from_sql_and_values(
            backend,
            if backend == DbBackend::Postgres {
                "SELECT password_hash FROM users WHERE id = $1"
            } else {
                "SELECT password_hash FROM users WHERE id = ?"
            },
            [v(signed.user_id)],
        ))
        .await?
        .context("owner row")?;
    let hash: String = row.try_get_by_index(0)?;
    let mut members = vec![(signed.user_id, "Bench".to_owned())];
    let setup = db.begin().await?;
    for i in 0..a.agents {
        let first = FIRST_NAMES[(i as usize * 7) % FIRST_NAMES.len()];
        let last = LAST_NAMES[(i as usize * 11) % LAST_NAMES.len()];
        let uid = insert_returning(
            &setup,
            "users",
            &[
                "email",
                "name",
                "password_hash",
                "email_verified_at",
                "timezone",
                "created_at",
                "updated_at",
            ],
            vec![
                v(format!("agent{}@bench.example.com", i + 1)),
                v(format!("{first} {last}")),
                v(hash.clone()),
                v(now),
                null_str(),
                v(now),
                v(now),
            ],
        )
        .await?;
        let role = if i < 2 { "admin" } else { "agent" };
        insert_returning(
            &setup,
            "memberships",
            &["workspace_id", "user_id", "role", "created_at"],
            vec![v(ws), v(uid), v(role), v(now)],
        )
        .await?;
        members.push((uid, first.to_owned()));
    }
    let mut teams = Vec::new();
    for name in TEAMS {
        teams.push(
            insert_returning(
                &setup,
                "teams",
                &["workspace_id", "name", "created_at"],
                vec![v(ws), v(*name), v(now)],
            )
            .await?,
        );
    }
    for (i, (uid, _)) in members.iter().enumerate() {
        insert_returning(
            &setup,
            "team_members",
            &["workspace_id", "team_id", "user_id"],
            vec![v(ws), v(teams[i % teams.len()]), v(*uid)],
        )
        .await?;
    }
    let mut tags = Vec::new();
    for (name, color) in TAGS {
        tags.push(
            insert_returning(
                &setup,
                "tags",
                &["workspace_id", "name", "color", "created_at"],
                vec![v(ws), v(*name), v(*color), v(now)],
            )
            .await?,
        );
    }
    setup.commit().await?;

    let customer_base =
        i32::try_from(scalar_i64(&db, "SELECT MAX(id) FROM customers", vec![]).await? + 1)?;
    let conversation_base =
        i32::try_from(scalar_i64(&db, "SELECT MAX(id) FROM conversations", vec![]).await? + 1)?;

    let mut fts = Vec::new();
    if backend == DbBackend::Postgres {
        fts = pg_fts_indexes(&db).await?;
        for (name, _) in &fts {
            db.execute_unprepared(&format!("DROP INDEX IF EXISTS \"{name}\""))
                .await?;
        }
        println!(
            "dropped {} full-text GIN indexes for the load (created again afterwards)",
            fts.len()
        );
    }

    let plan = std::sync::Arc::new(Plan {
        workspace_id: ws,
        customers: a.customers,
        conversations: a.conversations,
        messages: a.messages,
        customer_base,
        conversation_base,
        members,
        teams,
        tags,
        seed: a.seed,
        start: now - Span::days(365),
        now,
    });
    println!(
        "loading {} customers, {} conversations, {} messages into workspace {ws} ({})",
        a.customers,
        a.conversations,
        a.messages,
        if backend == DbBackend::Postgres {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    let load_start = Instant::now();
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let producer = {
        let plan = plan.clone();
        tokio::task::spawn_blocking(move || produce(&plan, &tx))
    };
    let written = write(&db, &plan, rx).await;
    let produced = producer.await.context("row producer panicked")?;
    let progress = written?;
    produced?;
    let load_secs = load_start.elapsed().as_secs_f64();
    println!(
        "loaded {} rows in {:.1} s ({:.0} rows/s)",
        progress.total(),
        load_secs,
        progress.total() as f64 / load_secs.max(0.001)
    );

    let post_start = Instant::now();
    exec(
        &db,
        if backend == DbBackend::Postgres {
            "UPDATE workspaces SET ticket_seq = $1 WHERE id = $2"
        } else {
            "UPDATE workspaces SET ticket_seq = ? WHERE id = ?"
        },
        vec![v(i32::try_from(a.conversations)?), v(ws)],
    )
    .await?;
    if backend == DbBackend::Postgres {
        for table in ["customers", "conversations"] {
            db.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            ))
            .await?;
        }
        for (name, def) in &fts {
            let t = Instant::now();
            let txn = db.begin().await?;
            txn.execute_unprepared("SET LOCAL maintenance_work_mem = '1GB'")
                .await?;
            txn.execute_unprepared(def).await?;
            txn.commit().await?;
            println!("created {name} in {:.1} s", t.elapsed().as_secs_f64());
        }
        let t = Instant::now();
        db.execute_unprepared("VACUUM ANALYZE").await?;
        println!("VACUUM ANALYZE in {:.1} s", t.elapsed().as_secs_f64());
    } else {
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await?;
    }
    println!(
        "post-load steps in {:.1} s",
        post_start.elapsed().as_secs_f64()
    );

    let key = create_api_key(&state, signed.user_id, ws).await?;
    views::ensure_defaults(&state, Scoped::new(ws))
        .await
        .map_err(|e| anyhow::anyhow!("default views: {e}"))?;
    // Inbound messages go through the whole pipeline, the AI agent included (the
    // built-in engine: no provider to call).
    app::services::ai::settings::enable_builtin(&db, Scoped::new(ws), AI_CHANNELS)
        .await
        .map_err(|e| anyhow::anyhow!("AI agent: {e}"))?;
    let view_rows = db
        .query_all(Statement::from_sql_and_values(
            backend,
            if backend == DbBackend::Postgres {
                "SELECT id, name FROM views WHERE workspace_id = $1 ORDER BY position"
            } else {
                "SELECT id, name FROM views WHERE workspace_id = ? ORDER BY position"
            },
            [v(ws)],
        ))
        .await?;

    println!();
    println!(
        "generated in {:.1} s (load {:.1} s)",
        total_start.elapsed().as_secs_f64(),
        load_secs
    );
    println!("workspace id: {ws}");
    println!("owner:        {} / {}", a.owner_email, a.password);
    println!(
        "agents:       agent1..agent{}@bench.example.com / {}",
        a.agents, a.password
    );
    println!("api key:      {key}");
    println!("AI agent:     built-in engine on every channel");
    for r in &view_rows {
        let id: i32 = r.try_get_by_index(0)?;
        let name: String = r.try_get_by_index(1)?;
        println!("view:         {id} {name}");
    }
    Ok(())
}

/// Creates the API key through the product's service; prints nothing secret
/// anywhere else.
async fn create_api_key(state: &AppState, user_id: i32, ws: i32) -> anyhow::Result<String> {
    let actor = app::services::context::load_actor(&state.db, user_id, ws)
        .await
        .map_err(|e| anyhow::anyhow!("loading the owner: {e}"))?;
    let scopes: Vec<String> = SCOPES.split(',').map(str::to_owned).collect();
    let created = app::services::api_keys::create(
        state,
        &actor,
        "switchboard-bench",
        &scopes,
        &app::services::context::RequestMeta::default(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("creating the API key: {e}"))?;
    Ok(created.secret)
}
