//! `switchboard`: the one binary. `serve` (default) runs the web server with job
//! workers and the scheduler; `worker` runs only workers; `mcp` serves the MCP
//! protocol on stdin/stdout for one API key; `migrate`, `seed`, `create-admin`,
//! `backup` and `restore` are operator tasks.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::time::Instant;
use switchboard_server::{config, runtime, seed, telemetry};

/// mimalloc instead of glibc malloc: a request allocates and frees many small
/// values (rows, JSON), and glibc's arenas spent a fifth of the server's CPU on it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "switchboard",
    version,
    about = "Switchboard customer-operations platform"
)]
struct Cli {
    /// Optional TOML configuration file (also `SWITCHBOARD_CONFIG`).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web server (with job workers and the scheduler unless --no-workers).
    Serve {
        /// Do not run job workers in this process.
        #[arg(long)]
        no_workers: bool,
        /// Seed the demo workspace when the database has no workspace yet.
        #[arg(long)]
        seed_demo_if_empty: bool,
    },
    /// Run job workers and the scheduler only.
    Worker {
        /// Serve `/healthz` and `/readyz` on this address (e.g. `0.0.0.0:3000`).
        #[arg(long)]
        probes: Option<String>,
    },
    /// Serve MCP (Model Context Protocol) on stdin/stdout as the API key's member.
    Mcp {
        /// The API key (`sbk_…`).
        #[arg(long, env = "SWITCHBOARD_API_KEY", hide_env_values = true)]
        key: String,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Seed the demo workspace (only into an empty database).
    Seed,
    /// Back up the database and `data_dir` into a new folder (the server may run).
    Backup {
        /// Folder to create (must not exist or be empty).
        out: PathBuf,
    },
    /// Restore a backup folder into the configured database and `data_dir`
    /// (stop servers and workers first).
    Restore {
        /// The backup folder.
        from: PathBuf,
        /// Replace a database that already holds workspaces.
        #[arg(long)]
        force: bool,
    },
    /// Create a verified owner with a new workspace.
    CreateAdmin {
        /// Email address.
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long, default_value = "Admin")]
        name: String,
        /// Password (at least 10 characters).
        #[arg(long, env = "SWITCHBOARD_ADMIN_PASSWORD")]
        password: String,
        /// Workspace name.
        #[arg(long, default_value = "My workspace")]
        workspace: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let started = Instant::now();
    let cli = Cli::parse();
    let cfg = config::load(cli.config).map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    telemetry::init(&cfg, matches!(cli.command, Some(Command::Mcp { .. })))
        .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    let command = cli.command.unwrap_or(Command::Serve {
        no_workers: false,
        seed_demo_if_empty: false,
    });
    if let Command::Migrate = command {
        let db = switchboard_server::db::connect(&cfg.database_url, None).await?;
        switchboard_server::db::migrate(&db).await?;
        tracing::info!("migrations applied");
        return Ok(());
    }
    match &command {
        Command::Backup { out } => {
            let m = switchboard_server::backup::backup(&cfg, out).await?;
            tracing::info!(
                folder = %out.display(),
                tables = m.tables.len(),
                rows = m.tables.values().sum::<u64>(),
                files = m.files.len(),
                "backup written"
            );
            return Ok(());
        }
        Command::Restore { from, force } => {
            let m = switchboard_server::backup::restore(&cfg, from, *force).await?;
            tracing::info!(
                from = %from.display(),
                taken = %m.created_at,
                rows = m.tables.values().sum::<u64>(),
                files = m.files.len(),
                "restored; row counts match the backup"
            );
            return Ok(());
        }
        _ => {}
    }
    let run_workers = cfg.jobs.run_in_serve;
    let state = runtime::build_state(cfg).await?;
    match command {
        Command::Serve {
            no_workers,
            seed_demo_if_empty,
        } => {
            let mut banner = runtime::Banner::default();
            if seed_demo_if_empty {
                if seed::seed_if_empty(&state)
                    .await
                    .map_err(|e| anyhow::anyhow!("seeding: {e}"))?
                {
                    tracing::info!("seeded the demo workspace");
                }
                banner.demo_login = Some((seed::DEMO_EMAIL.into(), seed::DEMO_PASSWORD.into()));
            }
            runtime::serve(state, run_workers && !no_workers, banner, started).await?;
        }
        Command::Worker { probes } => runtime::worker(state, probes).await?,
        Command::Mcp { key } => switchboard_server::mcp::stdio(state, &key).await?,
        Command::Seed => {
            let seeded = seed::seed_if_empty(&state)
                .await
                .map_err(|e| anyhow::anyhow!("seeding: {e}"))?;
            tracing::info!(seeded, "seed finished (only an empty database is seeded)");
        }
        Command::CreateAdmin {
            email,
            name,
            password,
            workspace,
        } => {
            let s =
                app::services::accounts::create_admin(&state, &email, &name, &password, &workspace)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))
                    .context("create-admin")?;
            tracing::info!(
                user.id = s.user_id,
                workspace.id = s.workspace_id,
                "admin ready"
            );
        }
        Command::Migrate | Command::Backup { .. } | Command::Restore { .. } => {}
    }
    Ok(())
}
