//! Loads the typed [`Config`]: defaults → optional TOML file → environment
//! (`DATABASE_URL`, then `SWITCHBOARD_*` with `__` for nesting, e.g.
//! `SWITCHBOARD_SMTP__HOST`). The only place that reads the environment.

use app::services::Config;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use std::path::PathBuf;

/// Loads configuration. `file` (or `SWITCHBOARD_CONFIG`) names an optional TOML file
/// that must exist when given.
///
/// # Errors
/// A missing file, bad TOML, an unknown key or a value of the wrong type; the
/// message names the key.
pub fn load(file: Option<PathBuf>) -> Result<Config, Box<figment::Error>> {
    let file = file.or_else(|| std::env::var_os("SWITCHBOARD_CONFIG").map(PathBuf::from));
    let mut fig = Figment::from(Serialized::defaults(Config::default()));
    if let Some(path) = file {
        fig = fig.merge(Toml::file_exact(path));
    }
    fig = fig
        .merge(
            Env::raw()
                .only(&["DATABASE_URL"])
                .map(|_| "database_url".into()),
        )
        .merge(
            Env::prefixed("SWITCHBOARD_")
                .ignore(&["config", "admin_password", "api_key"])
                .split("__"),
        );
    fig.extract().map_err(Box::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[expect(
        clippy::result_large_err,
        reason = "figment's Jail API returns its own error"
    )]
    fn env_overrides_file_overrides_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "sb.toml",
                "bind = \"127.0.0.1:4000\"\n[smtp]\nhost = \"mail.example.com\"\nport = 2525\n",
            )?;
            jail.set_env("SWITCHBOARD_SMTP__PORT", "1025");
            jail.set_env("DATABASE_URL", "postgres://localhost/x");
            let c = load(Some("sb.toml".into())).map_err(|e| e.to_string())?;
            assert_eq!(c.bind, "127.0.0.1:4000");
            assert_eq!(c.smtp.host.as_deref(), Some("mail.example.com"));
            assert_eq!(c.smtp.port, 1025);
            assert_eq!(c.database_url, "postgres://localhost/x");
            assert_eq!(c.jobs.workers, 4);
            Ok(())
        });
    }

    #[test]
    #[expect(
        clippy::result_large_err,
        reason = "figment's Jail API returns its own error"
    )]
    fn unknown_keys_are_rejected() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("sb.toml", "bnid = \"x\"\n")?;
            let err = load(Some("sb.toml".into()))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains("bnid"), "{err}");
            Ok(())
        });
    }
}
