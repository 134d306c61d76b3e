//! `switchboard backup` and `switchboard restore` (SPEC C17).
//!
//! A backup is a folder:
//! - `database.sqlite` (SQLite's `VACUUM INTO`: a consistent copy taken while
//!   the server runs) or `database.pgdump` (`pg_dump --format=custom`, taken
//!   inside a repeatable-read snapshot whose row counts are the manifest's);
//! - `files/`: everything under `data_dir` (attachments, and `secrets.key`,
//!   which unseals provider credentials: keep backups as secret as the
//!   database);
//! - `manifest.json`: backend, migrations, every table's row count and the
//!   SHA-256 of every file, checked again by `restore`.
//!
//! `restore` refuses a damaged backup, one of the other backend, and a target
//! database that already holds workspaces (unless forced); after restoring it
//! compares every table's row count with the manifest.

use anyhow::{bail, Context as _};
use app::services::Config;
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseBackend, DatabaseConnection, IsolationLevel, Statement,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Name of the manifest inside a backup folder.
pub const MANIFEST: &str = "manifest.json";
const SQLITE_FILE: &str = "database.sqlite";
const PG_FILE: &str = "database.pgdump";
const FILES: &str = "files";

/// What a backup holds, written last (a folder without it is unfinished).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Layout version of the folder.
    pub format: u32,
    /// Version of the switchboard binary that wrote it.
    pub switchboard: String,
    /// When, RFC 3339.
    pub created_at: String,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// The database file inside the folder.
    pub database_file: String,
    /// Its SHA-256.
    pub database_sha256: String,
    /// Migrations applied, in order.
    pub migrations: Vec<String>,
    /// Rows per table at the moment of the copy.
    pub tables: BTreeMap<String, u64>,
    /// SHA-256 of every file under `data_dir`, by path relative to it.
    pub files: BTreeMap<String, String>,
}

fn backend_name(url: &str) -> &'static str {
    if url.starts_with("sqlite:") {
        "sqlite"
    } else {
        "postgres"
    }
}

/// The file of a `sqlite:` URL (`sqlite://x.db?mode=rwc` → `x.db`).
///
/// # Errors
/// An in-memory database.
pub fn sqlite_path(url: &str) -> anyhow::Result<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path == ":memory:" {
        bail!("an in-memory SQLite database has nothing to back up or restore");
    }
    Ok(PathBuf::from(path))
}

/// Every application table (SQLite's own and the migration ledger left out).
///
/// # Errors
/// Database errors.
pub async fn table_names(db: &impl ConnectionTrait) -> anyhow::Result<Vec<String>> {
    let sql = match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name <> 'seaql_migrations' ORDER BY name"
        }
        _ => {
            "SELECT table_name AS name FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE' \
             AND table_name <> 'seaql_migrations' ORDER BY name"
        }
    };
    let rows = db
        .query_all(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| r.try_get::<String>("", "name").ok())
        .collect())
}

/// Rows per application table.
///
/// # Errors
/// Database errors.
pub async fn table_counts(db: &impl ConnectionTrait) -> anyhow::Result<BTreeMap<String, u64>> {
    let mut out = BTreeMap::new();
    for t in table_names(db).await? {
        let row = db
            .query_one(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM \"{t}\""),
            ))
            .await?
            .context("COUNT(*) returned no row")?;
        let n: i64 = row.try_get("", "n")?;
        out.insert(t, u64::try_from(n).unwrap_or(0));
    }
    Ok(out)
}

async fn applied_migrations(db: &impl ConnectionTrait) -> anyhow::Result<Vec<String>> {
    let rows = db
        .query_all(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM seaql_migrations ORDER BY version",
        ))
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| r.try_get::<String>("", "version").ok())
        .collect())
}

fn sha256_file(path: &Path) -> anyhow::Result<String> {
    use std::io::Read as _;
    let mut f = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Files under `root`, relative, sorted; `skip` (the SQLite database when it
/// lives there) left out.
fn walk(root: &Path, skip: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    if !root.exists() {
        return Ok(out);
    }
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))?
        {
            let entry = entry?;
            let path = entry.path();
            let kind = entry.file_type()?;
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                let canonical = path.canonicalize().unwrap_or_else(|_| path.clone());
                if skip.iter().any(|s| canonical.starts_with(s)) {
                    continue;
                }
                out.push(path.strip_prefix(root)?.to_path_buf());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The database files a copy of `data_dir` must not include (the SQLite
/// database and its journal, when kept under it).
fn database_files(cfg: &Config) -> Vec<PathBuf> {
    let Ok(db) = sqlite_path(&cfg.database_url) else {
        return Vec::new();
    };
    let Some(dir) = db.parent().and_then(|d| {
        let d = if d.as_os_str().is_empty() {
            Path::new(".")
        } else {
            d
        };
        d.canonicalize().ok()
    }) else {
        return Vec::new();
    };
    let name = db
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    ["", "-wal", "-shm", "-journal"]
        .iter()
        .map(|s| dir.join(format!("{name}{s}")))
        .collect()
}

fn pg_tool(name: &str) -> anyhow::Result<()> {
    match std::process::Command::new(name).arg("--version").output() {
        Ok(o) if o.status.success() => Ok(()),
        _ => bail!(
            "PostgreSQL backups use `{name}`, which is not installed here. Install the PostgreSQL \
             client tools of the server's major version (Debian: `apt install postgresql-client`), \
             or back up with your provider's snapshots and copy `data_dir` yourself."
        ),
    }
}

fn run_tool(cmd: &mut std::process::Command, what: &str) -> anyhow::Result<()> {
    let out = cmd.output().with_context(|| format!("starting {what}"))?;
    if !out.status.success() {
        bail!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// Writes a backup of the configured database and `data_dir` into `out`, a
/// folder that must not exist yet or be empty.
///
/// # Errors
/// `out` in use, database or tool errors, disk errors.
pub async fn backup(cfg: &Config, out: &Path) -> anyhow::Result<Manifest> {
    if out.exists()
        && std::fs::read_dir(out)
            .with_context(|| format!("reading {}", out.display()))?
            .next()
            .is_some()
    {
        bail!(
            "{} is not empty: give a new folder for the backup",
            out.display()
        );
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let db = crate::db::connect(&cfg.database_url, None).await?;
    let backend = backend_name(&cfg.database_url);
    let (database_file, tables, migrations) = if backend == "sqlite" {
        let target = out.join(SQLITE_FILE);
        let literal = target.to_string_lossy().replace('\'', "''");
        // One statement, one read transaction: a consistent copy while writers go on.
        db.execute_unprepared(&format!("VACUUM INTO '{literal}'"))
            .await
            .context("copying the SQLite database (VACUUM INTO)")?;
        db.close().await.ok();
        // Read-only and without the server's settings (WAL would write to it).
        let copy =
            sea_orm::Database::connect(format!("sqlite://{}?mode=ro", target.display())).await?;
        let counts = table_counts(&copy).await?;
        let migrations = applied_migrations(&copy).await?;
        copy.close().await.ok();
        (SQLITE_FILE, counts, migrations)
    } else {
        pg_tool("pg_dump")?;
        // Count inside the snapshot pg_dump reads, so the counts are the dump's.
        let txn = db
            .begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await?;
        let snap: String = txn
            .query_one(Statement::from_string(
                DatabaseBackend::Postgres,
                "SELECT pg_export_snapshot() AS s",
            ))
            .await?
            .context("pg_export_snapshot returned no row")?
            .try_get("", "s")?;
        let counts = table_counts(&txn).await?;
        let migrations = applied_migrations(&txn).await?;
        let target = out.join(PG_FILE);
        let url = cfg.database_url.clone();
        let dump = tokio::task::spawn_blocking(move || {
            run_tool(
                std::process::Command::new("pg_dump")
                    .arg("--format=custom")
                    .arg(format!("--snapshot={snap}"))
                    .arg("--no-owner")
                    .arg(format!("--file={}", target.display()))
                    .arg(format!("--dbname={url}")),
                "pg_dump",
            )
        })
        .await?;
        txn.rollback().await.ok();
        db.close().await.ok();
        dump?;
        (PG_FILE, counts, migrations)
    };
    let data = PathBuf::from(&cfg.data_dir);
    let mut files = BTreeMap::new();
    for rel in walk(&data, &database_files(cfg))? {
        let to = out.join(FILES).join(&rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(data.join(&rel), &to)
            .with_context(|| format!("copying {}", rel.display()))?;
        files.insert(rel.to_string_lossy().into_owned(), sha256_file(&to)?);
    }
    let manifest = Manifest {
        format: 1,
        switchboard: env!("CARGO_PKG_VERSION").into(),
        created_at: chrono::Utc::now().to_rfc3339(),
        backend: backend.into(),
        database_file: database_file.into(),
        database_sha256: sha256_file(&out.join(database_file))?,
        migrations,
        tables,
        files,
    };
    std::fs::write(out.join(MANIFEST), serde_json::to_vec_pretty(&manifest)?)?;
    Ok(manifest)
}

/// Reads a backup's manifest and checks every file against it.
///
/// # Errors
/// No manifest, a missing or altered file.
pub fn verify(from: &Path) -> anyhow::Result<Manifest> {
    let raw = std::fs::read(from.join(MANIFEST)).with_context(|| {
        format!(
            "{} has no {MANIFEST}: not a backup, or one that did not finish",
            from.display()
        )
    })?;
    let m: Manifest = serde_json::from_slice(&raw).context("reading the manifest")?;
    if m.format != 1 {
        bail!("backup format {} is not one this version reads", m.format);
    }
    if sha256_file(&from.join(&m.database_file))? != m.database_sha256 {
        bail!(
            "{} does not match the manifest: the backup is damaged",
            m.database_file
        );
    }
    for (rel, sha) in &m.files {
        let path = from.join(FILES).join(rel);
        if !path.exists() || &sha256_file(&path)? != sha {
            bail!("{rel} is missing or altered: the backup is damaged");
        }
    }
    Ok(m)
}

async fn holds_workspaces(db: &DatabaseConnection) -> bool {
    db.query_one(Statement::from_string(
        db.get_database_backend(),
        "SELECT COUNT(*) AS n FROM workspaces",
    ))
    .await
    .ok()
    .flatten()
    .and_then(|r| r.try_get::<i64>("", "n").ok())
    .is_some_and(|n| n > 0)
}

/// Restores a backup into the configured database and `data_dir`. Stop every
/// server and worker first. A database that already holds workspaces is only
/// replaced with `force`.
///
/// # Errors
/// A damaged backup, another backend, a non-empty target without `force`,
/// tool errors, or row counts that differ from the manifest afterwards.
pub async fn restore(cfg: &Config, from: &Path, force: bool) -> anyhow::Result<Manifest> {
    let m = verify(from)?;
    let backend = backend_name(&cfg.database_url);
    if m.backend != backend {
        bail!(
            "this backup is of a {} database and the configured database is {backend}: restore it \
             into a {} database",
            m.backend,
            m.backend
        );
    }
    let dump = from.join(&m.database_file);
    if backend == "sqlite" {
        let path = sqlite_path(&cfg.database_url)?;
        if path.exists() && !force {
            let db = crate::db::connect(&cfg.database_url, None).await?;
            let busy = holds_workspaces(&db).await;
            db.close().await.ok();
            if busy {
                bail!(
                    "{} already holds workspaces: pass --force to replace it",
                    path.display()
                );
            }
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("restoring");
        std::fs::copy(&dump, &tmp).with_context(|| format!("writing {}", tmp.display()))?;
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut p = path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
        std::fs::rename(&tmp, &path).with_context(|| format!("replacing {}", path.display()))?;
    } else {
        pg_tool("pg_restore")?;
        let db = crate::db::connect(&cfg.database_url, None).await?;
        let busy = holds_workspaces(&db).await;
        db.close().await.ok();
        if busy && !force {
            bail!("the configured PostgreSQL database already holds workspaces: pass --force to replace it");
        }
        let url = cfg.database_url.clone();
        tokio::task::spawn_blocking(move || {
            run_tool(
                std::process::Command::new("pg_restore")
                    .arg("--clean")
                    .arg("--if-exists")
                    .arg("--no-owner")
                    .arg("--no-privileges")
                    .arg("--single-transaction")
                    .arg("--exit-on-error")
                    .arg(format!("--dbname={url}"))
                    .arg(&dump),
                "pg_restore",
            )
        })
        .await??;
    }
    let data = PathBuf::from(&cfg.data_dir);
    for rel in m.files.keys() {
        let to = data.join(rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(from.join(FILES).join(rel), &to)
            .with_context(|| format!("restoring {rel}"))?;
    }
    let db = crate::db::connect(&cfg.database_url, None).await?;
    let counts = table_counts(&db).await?;
    db.close().await.ok();
    if counts != m.tables {
        let differ: Vec<String> = m
            .tables
            .iter()
            .filter(|(t, n)| counts.get(*t) != Some(n))
            .map(|(t, n)| format!("{t}: {} of {n}", counts.get(t).copied().unwrap_or(0)))
            .collect();
        bail!(
            "the restored database differs from the backup: {}",
            differ.join(", ")
        );
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sqlite_paths_come_from_urls() {
        assert_eq!(
            super::sqlite_path("sqlite://data/x.db?mode=rwc").ok(),
            Some("data/x.db".into())
        );
        assert_eq!(super::sqlite_path("sqlite:x.db").ok(), Some("x.db".into()));
        assert!(super::sqlite_path("sqlite::memory:").is_err());
    }
}
