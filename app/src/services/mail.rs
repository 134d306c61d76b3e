//! The email outbox. Every email is inserted into `emails` together with its
//! `mail.send` job in the transaction of the change that causes it; the job sends it
//! through SMTP (lettre) when configured. Without SMTP the email stays in the outbox
//! marked `unsent` with the reason, and development mode logs its link.

use super::config::{Config, SmtpConfig, SmtpSecurity};
use super::jobs::{self, NewJob};
use super::tenancy::{Scoped, System};
use super::{metrics, now, AppState, ServiceError, ServiceResult};
use crate::types::EmailView;
use chrono::{DateTime, Utc};
use entity::{email, email_attachment};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::sync::Arc;
use std::time::Duration;

/// Outbox statuses.
pub mod status {
    /// Waiting for its job.
    pub const QUEUED: &str = "queued";
    /// Accepted by the SMTP server.
    pub const SENT: &str = "sent";
    /// Not sent because no transport is configured.
    pub const UNSENT: &str = "unsent";
    /// The last attempt failed (retries may follow).
    pub const FAILED: &str = "failed";
    /// Campaign email being handed to the SMTP server.
    pub const SENDING: &str = "sending";
    /// Campaign email whose hand-over was cut short by a crash: maybe sent,
    /// never sent again.
    pub const UNKNOWN: &str = "unknown";
}

/// The outbox kind of campaign email (sent at most once).
pub const CAMPAIGN_KIND: &str = "campaign";

/// The reason shown for unsent email when SMTP is not configured.
pub const NOT_CONFIGURED: &str = "SMTP is not configured: set SWITCHBOARD_SMTP__HOST (see docs/configuration.md), then retry from the outbox.";

/// An email to put in the outbox.
#[derive(Clone, Debug, Default)]
pub struct OutgoingEmail {
    /// Owning workspace (None for account emails such as password resets).
    pub workspace_id: Option<i32>,
    /// Recipient address.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
    /// Kind, e.g. `invitation`.
    pub kind: &'static str,
    /// From header (e.g. the workspace's support address); None: `smtp.from`.
    pub from: Option<String>,
    /// Message-ID to use (without brackets); None: a fresh one.
    pub message_id: Option<String>,
    /// The Message-ID this answers (without brackets).
    pub in_reply_to: Option<String>,
    /// The thread's Message-IDs, oldest first (without brackets).
    pub references: Vec<String>,
    /// An automatic message: sent with `Auto-Submitted: auto-replied`.
    pub auto_submitted: bool,
    /// Extra headers; only those in [`EXTRA_HEADERS`] are sent.
    pub headers: Vec<(&'static str, String)>,
    /// Files sent with it (workspace email only).
    pub attachments: Vec<MailFile>,
}

/// A file attached to an outgoing email.
#[derive(Clone, Debug, Default)]
pub struct MailFile {
    /// File name shown to the recipient.
    pub filename: String,
    /// MIME type.
    pub content_type: String,
    /// The bytes.
    pub content: Vec<u8>,
}

/// The extra headers an outbox email may carry (RFC 2369 / RFC 8058 one-click
/// unsubscribe on campaign email).
pub const EXTRA_HEADERS: &[&str] = &["List-Unsubscribe", "List-Unsubscribe-Post"];

/// A fresh Message-ID for this server (without brackets).
pub fn new_message_id(config: &Config) -> String {
    format!("{}@{}", uuid::Uuid::new_v4(), config.public_host())
}

fn bracketed(id: &str) -> String {
    format!("<{}>", id.trim().trim_matches(|c| c == '<' || c == '>'))
}

/// Writes an email and its send job. Pass the transaction of the causing change.
///
/// # Errors
/// Database errors.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    config: &Config,
    e: OutgoingEmail,
) -> ServiceResult<i32> {
    let message_id = bracketed(
        &e.message_id
            .clone()
            .unwrap_or_else(|| new_message_id(config)),
    );
    let references = (!e.references.is_empty()).then(|| {
        e.references
            .iter()
            .map(|r| bracketed(r))
            .collect::<Vec<_>>()
            .join(" ")
    });
    let row = email::ActiveModel {
        workspace_id: Set(e.workspace_id),
        to_address: Set(e.to),
        subject: Set(e.subject),
        body_text: Set(e.text),
        body_html: Set(e.html),
        kind: Set(e.kind.to_owned()),
        status: Set(status::QUEUED.to_owned()),
        last_error: Set(None),
        attempts: Set(0),
        message_id: Set(message_id),
        created_at: Set(now()),
        sent_at: Set(None),
        archived_at: Set(None),
        from_address: Set(e.from),
        in_reply_to: Set(e.in_reply_to.as_deref().map(bracketed)),
        references_header: Set(references),
        auto_submitted: Set(e.auto_submitted),
        headers: Set((!e.headers.is_empty()).then(|| {
            serde_json::Value::Object(
                e.headers
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String(v.clone())))
                    .collect(),
            )
            .to_string()
        })),
        ..Default::default()
    }
    .insert(db)
    .await?;
    if !e.attachments.is_empty() {
        let ws = e.workspace_id.ok_or_else(|| {
            ServiceError::Internal("only workspace email carries attachments".into())
        })?;
        for f in e.attachments {
            email_attachment::ActiveModel {
                workspace_id: Set(ws),
                email_id: Set(row.id),
                filename: Set(f.filename),
                content_type: Set(f.content_type),
                content: Set(f.content),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    let mut job = NewJob::new(
        jobs::kind::SEND_EMAIL,
        serde_json::json!({ "email_id": row.id }),
    );
    job.workspace_id = e.workspace_id;
    jobs::enqueue(db, &config.jobs, job).await?;
    Ok(row.id)
}

/// Why a transport did not send an email.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendFailure {
    /// For the outbox and the job log.
    pub message: String,
    /// The receiving server refused it for good (SMTP 5xx: no such mailbox …),
    /// or the address cannot be used; trying again will not help.
    pub permanent: bool,
}

impl SendFailure {
    fn transient(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: false,
        }
    }
}

impl std::fmt::Display for SendFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// An outgoing mail transport.
#[async_trait::async_trait]
pub trait Mailer: Send + Sync + 'static {
    /// Whether a transport is configured at all.
    fn is_configured(&self) -> bool;
    /// Short description for logs and `/readyz` (no secrets).
    fn describe(&self) -> String;
    /// Sends one outbox email with its attached files.
    ///
    /// # Errors
    /// Why the transport refused or failed.
    async fn send(
        &self,
        email: &email::Model,
        files: &[email_attachment::Model],
    ) -> Result<(), SendFailure>;
    /// Checks the transport can be reached.
    ///
    /// # Errors
    /// Why not.
    async fn health(&self) -> Result<(), String>;
}

/// No transport: every email stays unsent with [`NOT_CONFIGURED`].
#[derive(Debug, Default)]
pub struct NoMailer;

#[async_trait::async_trait]
impl Mailer for NoMailer {
    fn is_configured(&self) -> bool {
        false
    }
    fn describe(&self) -> String {
        "not configured".into()
    }
    async fn send(
        &self,
        _email: &email::Model,
        _files: &[email_attachment::Model],
    ) -> Result<(), SendFailure> {
        Err(SendFailure::transient(NOT_CONFIGURED))
    }
    async fn health(&self) -> Result<(), String> {
        Err("not configured".into())
    }
}

/// SMTP through lettre (plain, STARTTLS or implicit TLS).
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    describe: String,
}

impl SmtpMailer {
    /// Builds the transport from configuration; `Ok(None)` when no host is set.
    ///
    /// # Errors
    /// An unusable host or from-address.
    pub fn from_config(cfg: &SmtpConfig) -> Result<Option<Self>, String> {
        let Some(host) = cfg.host.as_deref().filter(|h| !h.is_empty()) else {
            return Ok(None);
        };
        let from: Mailbox = cfg
            .from
            .parse()
            .map_err(|e| format!("smtp.from `{}` is not a valid address: {e}", cfg.from))?;
        let builder = match cfg.security {
            SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|e| format!("smtp: {e}"))?,
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                .map_err(|e| format!("smtp: {e}"))?,
        };
        let mut builder = builder
            .port(cfg.port)
            .timeout(Some(Duration::from_secs(cfg.timeout_secs)));
        if let (Some(u), Some(p)) = (&cfg.username, &cfg.password) {
            builder = builder.credentials(Credentials::new(u.clone(), p.0.clone()));
        }
        Ok(Some(Self {
            transport: builder.build(),
            from,
            describe: format!("smtp://{host}:{} ({:?})", cfg.port, cfg.security),
        }))
    }
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    fn is_configured(&self) -> bool {
        true
    }
    fn describe(&self) -> String {
        self.describe.clone()
    }
    async fn send(
        &self,
        e: &email::Model,
        files: &[email_attachment::Model],
    ) -> Result<(), SendFailure> {
        let to: Mailbox = e.to_address.parse().map_err(|err| SendFailure {
            message: format!("invalid recipient {}: {err}", e.to_address),
            permanent: true,
        })?;
        let from = match e.from_address.as_deref() {
            Some(f) => f.parse::<Mailbox>().map_err(|err| {
                SendFailure::transient(format!("invalid from address {f}: {err}"))
            })?,
            None => self.from.clone(),
        };
        let mut b = Message::builder()
            .from(from)
            .to(to)
            .subject(e.subject.clone())
            .message_id(Some(e.message_id.clone()));
        if let Some(r) = &e.in_reply_to {
            b = b.in_reply_to(r.clone());
        }
        if let Some(r) = &e.references_header {
            b = b.references(r.clone());
        }
        if e.auto_submitted {
            b = b.header(AutoSubmitted);
        }
        let extra: serde_json::Map<String, serde_json::Value> = e
            .headers
            .as_deref()
            .and_then(|h| serde_json::from_str(h).ok())
            .unwrap_or_default();
        for name in EXTRA_HEADERS {
            if let Some(v) = extra.get(*name).and_then(serde_json::Value::as_str) {
                b = b.raw_header(lettre::message::header::HeaderValue::new(
                    lettre::message::header::HeaderName::new_from_ascii_str(name),
                    v.to_owned(),
                ));
            }
        }
        let body = MultiPart::alternative_plain_html(e.body_text.clone(), e.body_html.clone());
        let body = if files.is_empty() {
            body
        } else {
            let mut mixed = MultiPart::mixed().multipart(body);
            for f in files {
                let ct = ContentType::parse(&f.content_type)
                    .or_else(|_| ContentType::parse("application/octet-stream"))
                    .map_err(|err| SendFailure::transient(format!("content type: {err}")))?;
                mixed = mixed
                    .singlepart(Attachment::new(f.filename.clone()).body(f.content.clone(), ct));
            }
            mixed
        };
        let msg = b
            .multipart(body)
            .map_err(|err| SendFailure::transient(format!("could not build message: {err}")))?;
        self.transport
            .send(msg)
            .await
            .map(|_| ())
            .map_err(|err| SendFailure {
                permanent: err.is_permanent(),
                message: format!("SMTP error: {err}"),
            })
    }
    async fn health(&self) -> Result<(), String> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err("SMTP server did not answer NOOP".into()),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// `Auto-Submitted: auto-replied` (RFC 3834): autoresponders must not answer it.
#[derive(Clone, Debug)]
struct AutoSubmitted;

impl lettre::message::header::Header for AutoSubmitted {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }
    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), "auto-replied".to_owned())
    }
}

/// The configured mailer, or [`NoMailer`].
///
/// # Errors
/// Invalid SMTP settings.
pub fn mailer_from_config(cfg: &SmtpConfig) -> Result<Arc<dyn Mailer>, String> {
    Ok(match SmtpMailer::from_config(cfg)? {
        Some(m) => Arc::new(m),
        None => Arc::new(NoMailer),
    })
}

fn first_link(text: &str) -> Option<&str> {
    text.split_whitespace()
        .find(|w| w.starts_with("http://") || w.starts_with("https://"))
}

/// Handler of the `mail.send` job. Idempotent: a sent email is never sent again.
///
/// # Errors
/// The transport error, so the job is retried with backoff.
pub async fn run_send_job(state: &AppState, payload: &serde_json::Value) -> Result<(), String> {
    let id = payload
        .get("email_id")
        .and_then(serde_json::Value::as_i64)
        .and_then(|v| i32::try_from(v).ok())
        .ok_or("payload has no email_id")?;
    let sys = System::new("the mail worker sends emails of every workspace");
    let db = &state.db;
    let Some(e) = sys
        .find::<email::Entity>()
        .filter(email::Column::Id.eq(id))
        .one(db)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(()); // deleted meanwhile: nothing to send
    };
    if e.status == status::SENT || e.status == status::UNKNOWN {
        return Ok(());
    }
    // Campaign email is sent at most once: it is marked `sending` before the
    // SMTP conversation, so finding it so means the server stopped mid-way
    // and it may have gone; it is not sent again.
    let at_most_once = e.kind == CAMPAIGN_KIND && state.mailer.is_configured();
    if at_most_once {
        if e.status == status::SENDING {
            set_status(
                db,
                id,
                status::UNKNOWN,
                Some("The server stopped while handing this email over; it may have been sent, so it is not sent again.".to_owned()),
                false,
            )
            .await?;
            announce(state, &e, status::UNKNOWN);
            return Ok(());
        }
        set_status(db, id, status::SENDING, None, false).await?;
    }
    if !state.mailer.is_configured() {
        if state.config.is_development() {
            tracing::info!(
                email.id = e.id,
                to = %e.to_address,
                subject = %e.subject,
                link = first_link(&e.body_text).unwrap_or("-"),
                "email not sent (SMTP not configured); development link"
            );
        }
        set_status(
            db,
            id,
            status::UNSENT,
            Some(NOT_CONFIGURED.to_owned()),
            false,
        )
        .await?;
        let _ = super::inbox::messages::record_email_delivery(db, id, Err(NOT_CONFIGURED)).await;
        announce(state, &e, status::UNSENT);
        return Ok(());
    }
    let files = sys
        .find::<email_attachment::Entity>()
        .filter(email_attachment::Column::EmailId.eq(e.id))
        .order_by_asc(email_attachment::Column::Id)
        .all(db)
        .await
        .map_err(|e| e.to_string())?;
    match state.mailer.send(&e, &files).await {
        Ok(()) => {
            set_status(db, id, status::SENT, None, true).await?;
            super::inbox::messages::record_email_delivery(db, id, Ok(()))
                .await
                .map_err(|e| e.to_string())?;
            metrics::inc(&metrics::EMAILS_SENT);
            announce(state, &e, status::SENT);
            Ok(())
        }
        Err(err) => {
            let msg = err.message;
            set_status(db, id, status::FAILED, Some(msg.clone()), true).await?;
            let _ = super::inbox::messages::record_email_delivery(db, id, Err(&msg)).await;
            announce(state, &e, status::FAILED);
            // A campaign email refused for good: the address bounced, and no
            // campaign writes to it again; retrying would not help.
            if err.permanent && e.kind == CAMPAIGN_KIND {
                if let Some(ws) = e.workspace_id {
                    super::campaigns::send::bounced(db, Scoped::new(ws), &e, &msg)
                        .await
                        .map_err(|x| x.to_string())?;
                    return Ok(());
                }
            }
            Err(msg)
        }
    }
}

/// Tells the workspace's open outbox pages that an email changed status.
fn announce(state: &AppState, e: &email::Model, new_status: &str) {
    if let Some(ws) = e.workspace_id {
        state.bus.publish(super::bus::Event::new(
            ws,
            "outbox.updated",
            serde_json::json!({ "email_id": e.id, "status": new_status }),
        ));
    }
}

async fn set_status(
    db: &impl ConnectionTrait,
    id: i32,
    new_status: &str,
    reason: Option<String>,
    attempted: bool,
) -> Result<(), String> {
    let mut q = System::new("the mail worker updates the email it sends")
        .update_many::<email::Entity>()
        .col_expr(email::Column::Status, Expr::value(new_status))
        .col_expr(email::Column::LastError, Expr::value(reason));
    if attempted {
        q = q.col_expr(
            email::Column::Attempts,
            Expr::col(email::Column::Attempts).add(1),
        );
    }
    if new_status == status::SENT {
        q = q.col_expr(email::Column::SentAt, Expr::value(now()));
    }
    q.filter(email::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Handler of the weekly `mail.archive_sent` job.
///
/// # Errors
/// Database errors.
pub async fn archive_sent(state: &AppState) -> Result<(), String> {
    let cutoff = now() - chrono::Duration::days(state.config.retention.outbox_archive_after_days);
    System::new("weekly archive sweeps every workspace's outbox")
        .update_many::<email::Entity>()
        .col_expr(email::Column::ArchivedAt, Expr::value(now()))
        .filter(email::Column::Status.eq(status::SENT))
        .filter(email::Column::SentAt.lt(cutoff))
        .filter(email::Column::ArchivedAt.is_null())
        .exec(&state.db)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

/// The outbox of a workspace (archived or current), newest first.
///
/// # Errors
/// Database errors.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: Scoped,
    archived: bool,
) -> ServiceResult<Vec<EmailView>> {
    let q = scope.find::<email::Entity>();
    let q = if archived {
        q.filter(email::Column::ArchivedAt.is_not_null())
    } else {
        q.filter(email::Column::ArchivedAt.is_null())
    };
    Ok(q.order_by_desc(email::Column::Id)
        .limit(200)
        .all(db)
        .await?
        .into_iter()
        .map(|e| EmailView {
            id: e.id,
            to: e.to_address,
            subject: e.subject,
            kind: e.kind,
            status: e.status,
            reason: e.last_error,
            attempts: e.attempts,
            created_at: ts(e.created_at),
            sent_at: e.sent_at.map(ts),
            archived: e.archived_at.is_some(),
            body_text: e.body_text,
        })
        .collect())
}

/// Queues an unsent or failed email again.
///
/// # Errors
/// `NotFound` for another workspace's or a sent email.
pub async fn retry(state: &AppState, scope: Scoped, id: i32) -> ServiceResult<()> {
    let mut uow = super::uow::UnitOfWork::begin(state).await?;
    let res = scope
        .update_many::<email::Entity>()
        .col_expr(email::Column::Status, Expr::value(status::QUEUED))
        .filter(email::Column::Id.eq(id))
        .filter(email::Column::Status.is_in([status::UNSENT, status::FAILED]))
        .exec(&*uow)
        .await?;
    if res.rows_affected == 0 {
        return Err(ServiceError::NotFound("Unsent email"));
    }
    let mut job = NewJob::new(
        jobs::kind::SEND_EMAIL,
        serde_json::json!({ "email_id": id }),
    );
    job.workspace_id = Some(scope.workspace_id());
    jobs::enqueue(&*uow, &state.config.jobs, job).await?;
    uow.jobs_enqueued();
    uow.commit().await
}

/// Brings an archived email back to the outbox.
///
/// # Errors
/// `NotFound` for another workspace's email.
pub async fn restore(db: &impl ConnectionTrait, scope: Scoped, id: i32) -> ServiceResult<()> {
    let res = scope
        .update_many::<email::Entity>()
        .col_expr(
            email::Column::ArchivedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(email::Column::Id.eq(id))
        .filter(email::Column::ArchivedAt.is_not_null())
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Err(ServiceError::NotFound("Archived email"));
    }
    Ok(())
}

/// Email templates (plain text + escaped HTML).
pub mod templates {
    use super::OutgoingEmail;

    fn esc(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;")
    }

    fn build(
        workspace_id: Option<i32>,
        to: &str,
        kind: &'static str,
        subject: String,
        paragraphs: &[String],
        button: (&str, &str),
        footer: &str,
    ) -> OutgoingEmail {
        let (label, link) = button;
        let mut text = paragraphs.join("\n\n");
        text.push_str(&format!("\n\n{label}: {link}\n\n{footer}\n"));
        let mut html = String::from(
            "<!doctype html><html><body style=\"font-family:system-ui,sans-serif;color:#1f2937;line-height:1.5\">",
        );
        for p in paragraphs {
            html.push_str(&format!("<p>{}</p>", esc(p)));
        }
        html.push_str(&format!(
            "<p><a href=\"{}\" style=\"display:inline-block;background:#4f46e5;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none\">{}</a></p><p style=\"color:#6b7280;font-size:13px\">{}</p></body></html>",
            esc(link),
            esc(label),
            esc(footer)
        ));
        OutgoingEmail {
            workspace_id,
            to: to.to_owned(),
            subject,
            text,
            html,
            kind,
            ..OutgoingEmail::default()
        }
    }

    /// A report export: the file attached (or, when too large, on the exports
    /// page).
    pub fn report_export(
        workspace_id: i32,
        to: &str,
        report: &str,
        summary: &str,
        attached: bool,
        link: &str,
    ) -> OutgoingEmail {
        build(
            Some(workspace_id),
            to,
            "report_export",
            format!("Report: {report}"),
            &[
                format!("Here is the report \u{201c}{report}\u{201d}."),
                summary.to_owned(),
                if attached {
                    "The file is attached; it is also on the exports page.".to_owned()
                } else {
                    "The file is too large to attach: download it from the exports page.".to_owned()
                },
            ],
            ("Open the exports", link),
            "You get this email because someone in your workspace scheduled this report for you. The schedule can be removed on the exports page.",
        )
    }

    /// A shopper's sign-in link to their account at `store`.
    pub fn shopper_sign_in(workspace_id: i32, to: &str, store: &str, link: &str) -> OutgoingEmail {
        build(
            Some(workspace_id),
            to,
            "shopper_sign_in",
            format!("Sign in to your {store} account"),
            &[
                "Hello,".into(),
                format!("Someone (we hope you) asked to sign in to your account at {store} to see your orders."),
            ],
            ("Sign in", link),
            "This link works once and expires in 30 minutes. If you did not ask for it, ignore this email: nobody can sign in without it.",
        )
    }

    /// A customer's sign-in link to `team`'s customer portal.
    pub fn portal_sign_in(workspace_id: i32, to: &str, team: &str, link: &str) -> OutgoingEmail {
        build(
            Some(workspace_id),
            to,
            "portal_sign_in",
            format!("Sign in to see your requests with {team}"),
            &[
                "Hello,".into(),
                format!("Someone (we hope you) asked to sign in to {team}'s help center to see your conversations with us."),
            ],
            ("Sign in", link),
            "This link works once and expires in 30 minutes. If you did not ask for it, ignore this email: nobody can sign in without it.",
        )
    }

    /// "Verify your email".
    pub fn verification(to: &str, name: &str, link: &str) -> OutgoingEmail {
        build(
            None,
            to,
            "verification",
            "Verify your email for Switchboard".into(),
            &[
                format!("Hi {name},"),
                "Please confirm this is your email address.".into(),
            ],
            ("Verify email", link),
            "This link expires in 24 hours. If you did not sign up, ignore this email.",
        )
    }

    /// "Reset your password".
    pub fn password_reset(to: &str, name: &str, link: &str) -> OutgoingEmail {
        build(
            None,
            to,
            "password_reset",
            "Reset your Switchboard password".into(),
            &[
                format!("Hi {name},"),
                "Someone asked to reset the password of your Switchboard account.".into(),
            ],
            ("Choose a new password", link),
            "This link expires in 1 hour and works once. If it was not you, ignore this email.",
        )
    }

    /// "You're invited".
    pub fn invitation(
        workspace_id: i32,
        to: &str,
        inviter: &str,
        workspace: &str,
        role: &str,
        link: &str,
    ) -> OutgoingEmail {
        build(
            Some(workspace_id),
            to,
            "invitation",
            format!("{inviter} invited you to {workspace} on Switchboard"),
            &[format!(
                "{inviter} invited you to join {workspace} as {role}."
            )],
            ("Accept invitation", link),
            "This invitation expires in 7 days.",
        )
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn html_is_escaped_and_text_has_link() {
            let e = invitation(
                1,
                "a@b.io",
                "<script>",
                "Acme & Co",
                "Agent",
                "http://x/y?t=1&u=2",
            );
            assert!(e.html.contains("&lt;script&gt;"));
            assert!(e.html.contains("Acme &amp; Co"));
            assert!(e.text.contains("http://x/y?t=1&u=2"));
            assert_eq!(e.workspace_id, Some(1));
        }
    }
}
