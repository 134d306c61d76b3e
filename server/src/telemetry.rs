//! Structured logs through `tracing`: pretty for people, JSON for machines; and,
//! when `errors.dsn` is set, errors and panics reported to it
//! ([`crate::errors`]).

use app::services::config::LogFormat;
use app::services::Config;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber (`RUST_LOG` overrides the configured filter);
/// logs go to stdout, or to stderr when stdout carries a protocol (`mcp`).
/// Call inside the tokio runtime (error reports are sent from a task).
///
/// # Errors
/// An unparsable `errors.dsn`.
pub fn init(cfg: &Config, to_stderr: bool) -> Result<(), String> {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&cfg.log.filter));
    let writer = if to_stderr {
        tracing_subscriber::fmt::writer::BoxMakeWriter::new(std::io::stderr)
    } else {
        tracing_subscriber::fmt::writer::BoxMakeWriter::new(std::io::stdout)
    };
    let reporter = match &cfg.errors.dsn {
        Some(dsn) => {
            let environment = cfg.errors.environment.clone().unwrap_or_else(|| {
                if cfg.is_development() {
                    "development"
                } else {
                    "production"
                }
                .into()
            });
            let (layer, panics) = crate::errors::start(&dsn.0, &environment)?;
            crate::errors::report_panics(panics);
            Some(layer)
        }
        None => None,
    };
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_target(false);
    let registry = tracing_subscriber::registry().with(filter).with(reporter);
    let _ = match cfg.log.format {
        LogFormat::Json => registry.with(fmt.json().flatten_event(true)).try_init(),
        LogFormat::Pretty => registry.with(fmt.compact()).try_init(),
    };
    Ok(())
}
