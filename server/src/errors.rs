//! Error reporting to a Sentry-compatible service (`errors.dsn`).
//!
//! Every `ERROR` event logged through `tracing`, and every panic, becomes one
//! Sentry event sent as an envelope (`POST /api/{project}/envelope/` with
//! `X-Sentry-Auth`), in the background: reporting never slows or fails a
//! request. What is sent is chosen, not filtered afterwards:
//! - the message, with addresses, phone and card numbers, credentials in URLs
//!   and token-like strings masked;
//! - numbers and booleans among the event's fields (ids, counts, statuses);
//! - the `error` field and a few named ones (kind, provider, route…), masked
//!   the same way;
//! - never any other text field (message bodies, subjects, names, payloads).
//!
//! The same message is sent once a minute at most, and at most
//! [`PER_MINUTE`] reports a minute in all.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::Layer;

/// Reports sent a minute at most.
pub const PER_MINUTE: usize = 60;

/// String fields sent (masked); every other text field stays home.
const TEXT_FIELDS: &[&str] = &[
    "error", "kind", "job", "job.kind", "provider", "route", "method", "stage", "status", "code",
];

/// Where reports go, parsed from a DSN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dsn {
    /// `…/api/{project}/envelope/`.
    pub endpoint: String,
    /// The public key sent in `X-Sentry-Auth`.
    pub public_key: String,
}

impl Dsn {
    /// Parses `scheme://PUBLIC_KEY[:secret]@host[:port][/path]/PROJECT`.
    ///
    /// # Errors
    /// A DSN without a key, host or project id.
    pub fn parse(dsn: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "errors.dsn is not a DSN (scheme://KEY@host/PROJECT): {}",
                mask(dsn)
            )
        };
        let (scheme, rest) = dsn.split_once("://").ok_or_else(bad)?;
        let (creds, location) = rest.rsplit_once('@').ok_or_else(bad)?;
        let public_key = creds.split(':').next().unwrap_or_default();
        let (host_path, project) = location
            .trim_end_matches('/')
            .rsplit_once('/')
            .ok_or_else(bad)?;
        if public_key.is_empty() || host_path.is_empty() || project.is_empty() {
            return Err(bad());
        }
        if !matches!(scheme, "http" | "https") {
            return Err(bad());
        }
        Ok(Self {
            endpoint: format!("{scheme}://{host_path}/api/{project}/envelope/"),
            public_key: public_key.to_owned(),
        })
    }
}

/// One report, before it becomes an envelope.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// The masked message.
    pub message: String,
    /// `tracing` target (module).
    pub logger: String,
    /// `file:line`, when known.
    pub culprit: Option<String>,
    /// Numbers, booleans and the allowed text fields.
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// A panic rather than a logged error.
    pub panic: bool,
}

/// Masks what might identify a person or open a door: email addresses, long
/// digit runs (phones, cards, account numbers), credentials in URLs,
/// bearer tokens and long token-like words. Cuts at 1,000 characters.
pub fn mask(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(1_000));
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&mask_word(word));
        if out.len() > 1_000 {
            let mut cut = 1_000;
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
            out.push('…');
            break;
        }
    }
    out
}

fn mask_word(word: &str) -> String {
    // Credentials in URLs: scheme://user:secret@host → scheme://user:***@host.
    if let Some(s) = word.find("://") {
        if let Some(at) = word[s + 3..].find('@').map(|a| a + s + 3) {
            let creds = &word[s + 3..at];
            let user = creds.split(':').next().unwrap_or_default();
            return format!("{}{user}:***{}", &word[..s + 3], mask_word(&word[at..]));
        }
        return word.to_owned();
    }
    let core =
        word.trim_matches(|c: char| !c.is_alphanumeric() && c != '_' && c != '-' && c != '@');
    if core.is_empty() {
        return word.to_owned();
    }
    let masked = if core.contains('@') && core.contains('.') {
        Some("[email]")
    } else if core.chars().filter(char::is_ascii_digit).count() >= 7
        && core
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+'))
    {
        Some("[number]")
    } else if looks_like_token(core) {
        Some("[redacted]")
    } else {
        None
    };
    match masked {
        Some(m) => word.replacen(core, m, 1),
        None => word.to_owned(),
    }
}

fn looks_like_token(w: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "sbk_", "sk_", "pk_", "rk_", "whsec_", "xoxb-", "xoxp-", "xapp-", "ghp_", "AKIA", "eyJ",
    ];
    if PREFIXES.iter().any(|p| w.starts_with(p)) && w.len() > 8 {
        return true;
    }
    // Long mixed letters-and-digits words are keys, hashes or session ids.
    w.len() >= 24
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        && w.chars().any(|c| c.is_ascii_digit())
        && w.chars().any(|c| c.is_ascii_alphabetic())
}

#[derive(Default)]
struct Fields {
    message: String,
    kept: serde_json::Map<String, serde_json::Value>,
}

impl Visit for Fields {
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.kept.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.kept.insert(field.name().into(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.kept.insert(field.name().into(), value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.kept.insert(field.name().into(), value.into());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.text(field, value);
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let mut s = String::new();
        let _ = write!(s, "{value:?}");
        self.text(field, &s);
    }
}

impl Fields {
    fn text(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = mask(value);
        } else if TEXT_FIELDS.contains(&field.name()) {
            self.kept.insert(field.name().into(), mask(value).into());
        }
    }
}

/// The `tracing` layer that turns `ERROR` events into reports.
#[derive(Debug)]
pub struct ErrorLayer {
    tx: mpsc::Sender<Report>,
}

impl<S: Subscriber> Layer<S> for ErrorLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if *event.metadata().level() != Level::ERROR {
            return;
        }
        let mut f = Fields::default();
        event.record(&mut f);
        let meta = event.metadata();
        let _ = self.tx.try_send(Report {
            message: f.message,
            logger: meta.target().to_owned(),
            culprit: meta
                .file()
                .map(|file| format!("{file}:{}", meta.line().unwrap_or(0))),
            fields: f.kept,
            panic: false,
        });
    }
}

/// Starts the sender and returns the layer to install (and the channel panics
/// report through). Call inside the tokio runtime.
///
/// # Errors
/// An unparsable DSN.
pub fn start(dsn: &str, environment: &str) -> Result<(ErrorLayer, mpsc::Sender<Report>), String> {
    let dsn = Dsn::parse(dsn)?;
    let (tx, mut rx) = mpsc::channel::<Report>(256);
    let environment = environment.to_owned();
    let server = std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    tokio::spawn(async move {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        let mut seen: HashMap<String, Instant> = HashMap::new();
        let mut sent: Vec<Instant> = Vec::new();
        while let Some(r) = rx.recv().await {
            let now = Instant::now();
            let minute = Duration::from_secs(60);
            sent.retain(|t| now.duration_since(*t) < minute);
            seen.retain(|_, t| now.duration_since(*t) < minute);
            let key = format!("{}|{}", r.logger, r.message);
            if sent.len() >= PER_MINUTE || seen.contains_key(&key) {
                continue;
            }
            seen.insert(key, now);
            sent.push(now);
            let body = envelope(&r, &environment, &server);
            let res = client
                .post(&dsn.endpoint)
                .header("content-type", "application/x-sentry-envelope")
                .header(
                    "x-sentry-auth",
                    format!(
                        "Sentry sentry_version=7, sentry_client=switchboard/{}, sentry_key={}",
                        env!("CARGO_PKG_VERSION"),
                        dsn.public_key
                    ),
                )
                .body(body)
                .send()
                .await;
            // Not through `tracing::error!`: that would report the failure to report.
            match res {
                Ok(r) if r.status().is_success() => {}
                Ok(r) => tracing::warn!(status = r.status().as_u16(), "error report refused"),
                Err(e) => tracing::warn!(error = %e, "error report not sent"),
            }
        }
    });
    Ok((ErrorLayer { tx: tx.clone() }, tx))
}

/// Reports panics through `tx`, then runs the previous hook (which prints).
pub fn report_panics(tx: mpsc::Sender<Report>) {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into());
        let _ = tx.try_send(Report {
            message: mask(&payload),
            logger: "panic".into(),
            culprit: info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line())),
            fields: serde_json::Map::new(),
            panic: true,
        });
        previous(info);
    }));
}

/// The envelope: its header, the item header and the event, one JSON per line.
pub fn envelope(r: &Report, environment: &str, server: &str) -> Vec<u8> {
    let event_id = uuid::Uuid::new_v4().simple().to_string();
    let now = chrono::Utc::now();
    let mut tags = serde_json::Map::new();
    for (k, v) in &r.fields {
        if k.ends_with(".id") || k.ends_with("_id") {
            tags.insert(k.clone(), serde_json::Value::String(v.to_string()));
        }
    }
    let mut event = serde_json::json!({
        "event_id": event_id,
        "timestamp": now.to_rfc3339(),
        "platform": "rust",
        "level": if r.panic { "fatal" } else { "error" },
        "logger": r.logger,
        "server_name": server,
        "release": format!("switchboard@{}", env!("CARGO_PKG_VERSION")),
        "environment": environment,
        "message": {"formatted": r.message},
        "tags": tags,
        "extra": r.fields,
    });
    if let Some(c) = &r.culprit {
        event["culprit"] = c.clone().into();
    }
    if r.panic {
        event["exception"] = serde_json::json!({"values": [{
            "type": "panic",
            "value": r.message,
            "mechanism": {"type": "panic", "handled": false},
        }]});
    }
    let payload = serde_json::to_vec(&event).unwrap_or_default();
    let mut out = serde_json::to_vec(&serde_json::json!({
        "event_id": event_id,
        "sent_at": now.to_rfc3339(),
    }))
    .unwrap_or_default();
    out.push(b'\n');
    out.extend(
        serde_json::to_vec(&serde_json::json!({
            "type": "event",
            "length": payload.len(),
            "content_type": "application/json",
        }))
        .unwrap_or_default(),
    );
    out.push(b'\n');
    out.extend(payload);
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dsns_parse() {
        let d =
            Dsn::parse("https://abc123@o1.ingest.example.com/42").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.endpoint, "https://o1.ingest.example.com/api/42/envelope/");
        assert_eq!(d.public_key, "abc123");
        let d = Dsn::parse("http://k:old-secret@127.0.0.1:9000/sentry/7")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.endpoint, "http://127.0.0.1:9000/sentry/api/7/envelope/");
        assert!(Dsn::parse("not a dsn").is_err());
        assert!(Dsn::parse("https://host/42").is_err());
    }

    #[test]
    fn masking_keeps_the_shape_and_hides_the_values() {
        let m = mask(
            "connect postgres://app:hunter2@db:5432/x failed for ana@example.com, \
             call +1 555 0100 or 4242424242424242, key sbk_live_abcdef123 and \
             session 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b (job 42)",
        );
        assert!(!m.contains("hunter2"), "{m}");
        assert!(!m.contains("ana@example.com"), "{m}");
        assert!(!m.contains("4242424242424242"), "{m}");
        assert!(!m.contains("sbk_live"), "{m}");
        assert!(!m.contains("9f86d081"), "{m}");
        assert!(m.contains("postgres://app:***@db:5432/x"), "{m}");
        assert!(m.contains("(job 42)"), "{m}");
    }
}
