//! The one typed configuration. Loaded in `main` (defaults → optional TOML file →
//! `SWITCHBOARD_*` environment, nested keys with `__`) and passed down. Every
//! setting is documented in docs/configuration.md.

use serde::{Deserialize, Serialize};

/// A secret string: redacted in `Debug` so it never reaches a log.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"***\"")
    }
}

/// Run mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// Local development: unsent mail links are logged.
    Development,
    /// Production.
    Production,
}

/// Log output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Transport security for SMTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain text (local relays and tests only).
    None,
    /// STARTTLS upgrade (port 587).
    Starttls,
    /// Implicit TLS (port 465).
    Tls,
}

/// Top-level configuration.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub bind: String,
    /// Public base URL used in emailed links.
    pub public_url: String,
    /// `sqlite://…` (default) or `postgres://…`. `DATABASE_URL` also sets it.
    pub database_url: String,
    /// development or production.
    pub environment: Environment,
    /// Directory holding the built site (`pkg/`, CSS, assets).
    pub site_root: String,
    /// Force the `Secure` cookie flag; default: on when `public_url` is https.
    pub secure_cookies: Option<bool>,
    /// Session lifetime after last activity, in days.
    pub session_days: i64,
    /// Trust the first `X-Forwarded-For` address (behind a proxy you control).
    pub trust_forwarded_for: bool,
    /// Logging.
    pub log: LogConfig,
    /// Outgoing mail.
    pub smtp: SmtpConfig,
    /// Background jobs.
    pub jobs: JobsConfig,
    /// Abuse limits.
    pub limits: LimitsConfig,
    /// How instances share live events (in-process, NATS or Redis).
    pub bus: BusConfig,
    /// Where errors are reported (a Sentry-compatible DSN).
    pub errors: ErrorReportingConfig,
    /// Data retention.
    pub retention: RetentionConfig,
    /// Seconds to wait for in-flight requests and jobs on shutdown.
    pub shutdown_grace_secs: u64,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Where files are kept (attachments under `attachments/`).
    pub data_dir: String,
    /// Largest attachment, in bytes.
    pub max_attachment_bytes: usize,
    /// REST API requests per key per minute.
    pub api_requests_per_minute: u32,
    /// PostgreSQL `statement_timeout` for the server's queries, in milliseconds
    /// (0: none). Migrations run without it.
    pub statement_timeout_ms: u64,
    /// How long one AI action (a tool run) may take before it is stopped and
    /// nothing it did is kept, in milliseconds.
    pub action_timeout_ms: u64,
    /// How long an email notification waits for others to the same person, so
    /// several arrive as one email (seconds; 0: each goes out at once).
    pub notify_batch_secs: i64,
    /// Base64 of 32 random bytes sealing provider API keys at rest (AES-256-GCM).
    /// Unset: a key is generated once in `data_dir/secrets.key` (mode 0600).
    pub secrets_key: Option<Secret>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:3000".into(),
            public_url: "http://127.0.0.1:3000".into(),
            database_url: "sqlite://switchboard.db?mode=rwc".into(),
            environment: Environment::Development,
            site_root: "target/site".into(),
            secure_cookies: None,
            session_days: 14,
            trust_forwarded_for: false,
            log: LogConfig::default(),
            smtp: SmtpConfig::default(),
            jobs: JobsConfig::default(),
            limits: LimitsConfig::default(),
            bus: BusConfig::default(),
            errors: ErrorReportingConfig::default(),
            retention: RetentionConfig::default(),
            shutdown_grace_secs: 30,
            // Attachments travel base64-encoded (4/3 of their size).
            max_body_bytes: 28 * 1024 * 1024,
            data_dir: "data".into(),
            max_attachment_bytes: 20 * 1024 * 1024,
            api_requests_per_minute: 600,
            statement_timeout_ms: 15_000,
            action_timeout_ms: 30_000,
            notify_batch_secs: 60,
            secrets_key: None,
        }
    }
}

impl Config {
    /// Whether session cookies carry `Secure`.
    pub fn cookies_secure(&self) -> bool {
        self.secure_cookies
            .unwrap_or_else(|| self.public_url.starts_with("https://"))
    }

    /// Whether this is development mode.
    pub fn is_development(&self) -> bool {
        self.environment == Environment::Development
    }

    /// `public_url` without a trailing slash.
    pub fn base_url(&self) -> &str {
        self.public_url.trim_end_matches('/')
    }

    /// Host part of `public_url`, for Message-IDs.
    pub fn public_host(&self) -> &str {
        let rest = self
            .base_url()
            .split_once("://")
            .map_or(self.base_url(), |(_, r)| r);
        let host = rest.split('/').next().unwrap_or(rest);
        host.split(':').next().unwrap_or(host)
    }
}

/// Logging settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// pretty or json.
    pub format: LogFormat,
    /// `tracing` filter, e.g. `info,sqlx=warn`. `RUST_LOG` overrides it.
    pub filter: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Pretty,
            filter: "info,sqlx=warn,sea_orm=warn,tower_sessions=warn".into(),
        }
    }
}

/// SMTP settings; without `host`, mail stays in the outbox marked unsent.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    /// Server host name; unset means "SMTP is not configured".
    pub host: Option<String>,
    /// Port.
    pub port: u16,
    /// none, starttls or tls.
    pub security: SmtpSecurity,
    /// Login user.
    pub username: Option<String>,
    /// Login password.
    pub password: Option<Secret>,
    /// From header, e.g. `Switchboard <support@example.com>`.
    pub from: String,
    /// Per-message timeout.
    pub timeout_secs: u64,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: None,
            port: 587,
            security: SmtpSecurity::Starttls,
            username: None,
            password: None,
            from: "Switchboard <no-reply@switchboard.localhost>".into(),
            timeout_secs: 30,
        }
    }
}

/// Which bus carries live events, worker wake-ups and shared counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BusKind {
    /// One process: nothing leaves it (the embedded default).
    #[default]
    InProcess,
    /// NATS core subjects (`url`: `nats://host:4222`).
    Nats,
    /// Redis pub/sub (`url`: `redis://host:6379`).
    Redis,
}

/// Bus settings. Several instances of the server (and workers) must share one
/// NATS or Redis bus; the in-process bus serves a single process.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BusConfig {
    /// in-process, nats or redis.
    pub kind: BusKind,
    /// Server address for NATS or Redis.
    pub url: Option<String>,
    /// Prefix of subjects / channels, so deployments can share a server.
    pub prefix: String,
}

impl Default for BusConfig {
    fn default() -> Self {
        Self {
            kind: BusKind::InProcess,
            url: None,
            prefix: "switchboard".into(),
        }
    }
}

/// Error reporting to a Sentry-compatible service. Only the error's message
/// (secrets and tokens masked), where it happened and ids are sent: never
/// message bodies, customer data or credentials.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ErrorReportingConfig {
    /// `https://PUBLIC_KEY@host/PROJECT_ID`; unset: nothing is reported.
    pub dsn: Option<Secret>,
    /// Environment name on reports (default: the configured environment).
    pub environment: Option<String>,
}

/// Job queue settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobsConfig {
    /// Concurrent job workers per process.
    pub workers: usize,
    /// How often idle workers look for due jobs.
    pub poll_interval_ms: u64,
    /// How long a claimed job is leased before another worker may take it over
    /// (a crashed worker's jobs run again after this).
    pub lease_secs: i64,
    /// Per-job timeout.
    pub timeout_secs: u64,
    /// Attempts before a job is dead-lettered.
    pub max_attempts: i32,
    /// First retry delay; doubles each attempt.
    pub backoff_base_secs: i64,
    /// Longest retry delay.
    pub backoff_max_secs: i64,
    /// Run workers inside `serve` (the default one-binary mode).
    pub run_in_serve: bool,
    /// Run the cron scheduler in this process.
    pub scheduler: bool,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            workers: 4,
            poll_interval_ms: 500,
            lease_secs: 120,
            timeout_secs: 60,
            max_attempts: 8,
            backoff_base_secs: 10,
            backoff_max_secs: 3600,
            run_in_serve: true,
            scheduler: true,
        }
    }
}

/// Abuse limits.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Failed sign-ins per email address per window.
    pub login_per_email: u64,
    /// Failed sign-ins per IP per window.
    pub login_per_ip: u64,
    /// Sign-in window, seconds.
    pub login_window_secs: i64,
    /// Verification emails per user per hour.
    pub verification_resend_per_hour: u64,
    /// Password-reset emails per address per hour.
    pub password_reset_per_hour: u64,
    /// Chat widget messages per visitor per minute.
    pub widget_messages_per_minute: usize,
    /// Chat widget requests per IP per minute (all visitors behind it).
    pub widget_requests_per_ip_per_minute: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            login_per_email: 5,
            login_per_ip: 50,
            login_window_secs: 900,
            verification_resend_per_hour: 3,
            password_reset_per_hour: 5,
            widget_messages_per_minute: 30,
            widget_requests_per_ip_per_minute: 600,
        }
    }
}

/// Retention windows.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// Activity log entries older than this are deleted daily.
    pub activity_days: i64,
    /// Sent emails older than this are archived weekly.
    pub outbox_archive_after_days: i64,
    /// Finished jobs older than this are deleted daily.
    pub finished_jobs_days: i64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            activity_days: 365,
            outbox_archive_after_days: 30,
            finished_jobs_days: 7,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted() {
        let s = SmtpConfig {
            password: Some(Secret("hunter2".into())),
            ..SmtpConfig::default()
        };
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn host_and_cookies() {
        let mut c = Config {
            public_url: "https://help.example.com:8443/".into(),
            ..Config::default()
        };
        assert_eq!(c.public_host(), "help.example.com");
        assert!(c.cookies_secure());
        c.public_url = "http://127.0.0.1:3000".into();
        assert!(!c.cookies_secure());
    }
}
