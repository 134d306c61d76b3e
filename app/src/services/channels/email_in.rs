//! Email in: raw MIME (inbound webhook, IMAP) or Postmark's inbound JSON, parsed by
//! [`super::email_parse`], then routed: a bounce marks the outbound message it names
//! failed; a reply carrying a side-conversation token threads into that sub-thread;
//! everything else goes through the one inbound path, threaded by Message-ID /
//! In-Reply-To / References, then by the ticket token in the subject. Auto-replies
//! are stored on the conversation they answer (never reopening it, never answered)
//! and dropped when they answer nothing; mail from our own address is dropped.

use super::super::inbox::side;
use super::super::tenancy::Scoped;
use super::super::{AppState, ServiceError, ServiceResult};
use super::email_parse::{self, ParsedEmail};
use super::inbound::{self, InboundFile, InboundMessage, Receipt, Sender, ThreadHint};
use super::{email_out, settings};
use crate::types::{Channel, IdentifierKind};
use sha2::{Digest, Sha256};

/// What became of an inbound email.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmailOutcome {
    /// Stored on a conversation (new or continued), or already stored before.
    Stored(Receipt),
    /// Threaded into a side conversation.
    SideReply {
        /// The message id.
        message_id: i32,
    },
    /// A bounce; `matched` when it named one of our messages (now marked failed).
    Bounce {
        /// Whether an outbound message was marked failed.
        matched: bool,
        /// The reason given by the remote server.
        reason: String,
    },
    /// Not stored, and why (auto-reply to nothing, our own mail looping back).
    Ignored(String),
}

/// Where the message came from (for logs and the external id).
#[derive(Clone, Copy, Debug)]
pub enum Source {
    /// The inbound webhook with raw MIME.
    Webhook,
    /// The inbound webhook with Postmark JSON.
    Postmark,
    /// IMAP polling.
    Imap,
}

fn invalid(e: &email_parse::ParseError) -> ServiceError {
    ServiceError::invalid("email", format!("This is not an email we can read: {e}."))
}

/// Parses raw MIME and receives it.
///
/// # Errors
/// `Invalid` for unreadable mail; database errors.
pub async fn receive_raw(
    state: &AppState,
    scope: Scoped,
    raw: &[u8],
    source: Source,
) -> ServiceResult<EmailOutcome> {
    let parsed = email_parse::parse_raw(raw).map_err(|e| invalid(&e))?;
    let fallback_id = hex::encode(Sha256::digest(raw));
    receive_parsed(state, scope, parsed, &fallback_id, source).await
}

/// Parses a Postmark inbound webhook body and receives it.
///
/// # Errors
/// `Invalid` for an unreadable body; database errors.
pub async fn receive_postmark(
    state: &AppState,
    scope: Scoped,
    json: &[u8],
) -> ServiceResult<EmailOutcome> {
    let parsed = email_parse::parse_postmark_json(json).map_err(|e| invalid(&e))?;
    let fallback_id = hex::encode(Sha256::digest(json));
    receive_parsed(state, scope, parsed, &fallback_id, Source::Postmark).await
}

/// The addresses the workspace sends from (the server's and its email
/// channel's), lower case.
///
/// # Errors
/// Database errors.
pub async fn own_addresses(state: &AppState, scope: Scoped) -> ServiceResult<Vec<String>> {
    let mut out = Vec::new();
    let server_from = &state.config.smtp.from;
    let addr = server_from
        .rsplit_once('<')
        .map_or(server_from.as_str(), |(_, a)| a.trim_end_matches('>'))
        .trim()
        .to_lowercase();
    out.push(addr);
    if let Some(s) = settings::find(&state.db, scope, Channel::Email).await? {
        if let Some(a) = settings::config(&s)
            .get("from_address")
            .and_then(serde_json::Value::as_str)
            .filter(|a| !a.is_empty())
        {
            out.push(a.to_lowercase());
        }
    }
    Ok(out)
}

/// Routes a parsed email (see the module docs).
///
/// # Errors
/// Validation; database errors.
pub async fn receive_parsed(
    state: &AppState,
    scope: Scoped,
    p: ParsedEmail,
    fallback_id: &str,
    source: Source,
) -> ServiceResult<EmailOutcome> {
    if let Some(b) = &p.bounce {
        let matched = match &b.original_message_id {
            Some(id) => email_out::record_bounce(&state.db, scope, id, &b.reason).await?,
            None => false,
        };
        tracing::info!(matched, source = ?source, "bounce received");
        return Ok(EmailOutcome::Bounce {
            matched,
            reason: b.reason.clone(),
        });
    }
    if own_addresses(state, scope).await?.contains(&p.from_address) {
        return Ok(EmailOutcome::Ignored(
            "mail from our own address (a loop) is not stored".into(),
        ));
    }
    let external_id = format!(
        "mail:{}",
        p.message_id
            .clone()
            .unwrap_or_else(|| fallback_id.to_owned())
    );
    let mut refs_all: Vec<String> = p.in_reply_to.clone();
    refs_all.extend(p.references.iter().cloned());
    let side_token = match email_parse::side_token(&p.subject) {
        Some(t) => Some(t),
        None => side::token_for_references(&state.db, scope, &refs_all).await?,
    };
    if let Some(token) = side_token {
        if let Some(v) = side::receive_reply(
            state,
            scope,
            &token,
            &p.from_address,
            &p.reply_text,
            p.html.as_deref(),
            &external_id,
        )
        .await?
        {
            return Ok(EmailOutcome::SideReply { message_id: v.id });
        }
    }
    let mut references: Vec<String> = p.in_reply_to.clone();
    for r in p.references.iter().rev() {
        if !references.contains(r) {
            references.push(r.clone());
        }
    }
    let html = p
        .html
        .as_deref()
        .map(email_parse::strip_quoted_html)
        .filter(|h| !h.trim().is_empty());
    let text = if p.reply_text.trim().is_empty() {
        p.text.clone()
    } else {
        p.reply_text.clone()
    };
    // Contact forms and notifiers send from a no-reply address with the person in
    // Reply-To: the customer is whoever replies will reach.
    let (from_address, from_name) = match p.reply_to.as_deref() {
        Some(r) if is_no_reply(&p.from_address) && r != p.from_address => (r.to_owned(), None),
        _ => (p.from_address.clone(), p.from_name.clone()),
    };
    let mut m = InboundMessage::new(
        Channel::Email,
        external_id,
        Sender {
            kind: IdentifierKind::Email,
            value: from_address,
            name: from_name,
        },
        text,
    );
    m.subject = clean_subject(&p.subject);
    m.html = html;
    m.files = p
        .attachments
        .into_iter()
        .map(|a| InboundFile {
            filename: a.filename,
            content_type: a.content_type,
            content_id: a.content_id,
            data: a.data,
        })
        .collect();
    m.thread = ThreadHint {
        conversation_id: None,
        references,
        ticket_number: email_parse::ticket_token(&p.subject),
        latest_on_channel: None,
    };
    m.rfc_message_id = p.message_id;
    m.automatic = p.auto_reply;
    if m.automatic {
        // An auto-reply only ever joins a conversation it answers.
        let threads = inbound::thread_exists(&state.db, scope, &m.from, &m.thread).await?;
        if !threads {
            return Ok(EmailOutcome::Ignored(
                "an auto-reply that answers no conversation is not stored".into(),
            ));
        }
    }
    Ok(EmailOutcome::Stored(
        inbound::receive(state, scope, m).await?,
    ))
}

/// Whether an address is a no-reply sender (`noreply@`, `no-reply@`, `donotreply@` …).
pub fn is_no_reply(address: &str) -> bool {
    let local = address.split('@').next().unwrap_or_default().to_lowercase();
    let compact: String = local.chars().filter(char::is_ascii_alphanumeric).collect();
    compact.starts_with("noreply") || compact.starts_with("donotreply") || compact == "mailerdaemon"
}

/// The subject without reply/forward prefixes and our ticket marker.
pub fn clean_subject(s: &str) -> String {
    let mut t = s.trim().to_owned();
    loop {
        let lower = t.to_lowercase();
        let cut = ["re:", "fw:", "fwd:", "aw:", "wg:", "sv:", "antw:"]
            .iter()
            .find(|p| lower.starts_with(*p))
            .map(|p| p.len());
        match cut {
            Some(n) => t = t[n..].trim_start().to_owned(),
            None => break,
        }
    }
    if let Some(start) = t.find("[TKT-") {
        if let Some(end) = t[start..].find(']') {
            t.replace_range(start..start + end + 1, "");
        }
    }
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn imap_account(cfg: &serde_json::Value) -> Option<super::imap::ImapAccount> {
    use super::imap::{ImapAccount, ImapSecurity};
    let i = cfg.get("imap").filter(|v| v.is_object())?;
    let s = |k: &str| {
        i.get(k)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let security = match s("security").as_str() {
        "none" => ImapSecurity::None,
        "starttls" => ImapSecurity::Starttls,
        _ => ImapSecurity::Tls,
    };
    let host = s("host");
    if host.is_empty() {
        return None;
    }
    Some(ImapAccount {
        host,
        port: i
            .get("port")
            .and_then(serde_json::Value::as_u64)
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(993),
        security,
        username: s("username"),
        password: s("password"),
        mailbox: Some(s("mailbox"))
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "INBOX".into()),
    })
}

/// Most messages taken from a mailbox per poll.
pub const IMAP_BATCH: usize = 200;

/// Polls one workspace's mailbox: fetches what arrived since the stored cursor and
/// receives each message; the cursor advances only past messages that were stored
/// (or recognised as duplicates), so a crash mid-poll re-reads, never skips.
/// Returns how many messages were fetched.
///
/// # Errors
/// Database errors; the IMAP error is recorded on the settings and returned.
pub async fn poll_imap(
    state: &AppState,
    row: &entity::channel_setting::Model,
) -> ServiceResult<usize> {
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
    let scope = Scoped::new(row.workspace_id);
    let Some(account) = imap_account(&settings::config(row)) else {
        return Ok(0);
    };
    let old: serde_json::Value = row
        .poll_state
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    let cursor = match (
        old.get("uid_validity").and_then(serde_json::Value::as_u64),
        old.get("last_uid").and_then(serde_json::Value::as_u64),
    ) {
        (Some(v), Some(u)) => Some(super::imap::ImapCursor {
            uid_validity: u32::try_from(v).unwrap_or(0),
            last_uid: u32::try_from(u).unwrap_or(0),
        }),
        _ => None,
    };
    let fetched = super::imap::fetch_new(
        &account,
        cursor,
        IMAP_BATCH,
        std::time::Duration::from_secs(60),
    )
    .await;
    let save = |state_json: serde_json::Value| {
        let mut am = row.clone().into_active_model();
        am.poll_state = Set(Some(state_json.to_string()));
        am
    };
    let at = super::super::now().to_rfc3339();
    let (mails, new_cursor) = match fetched {
        Ok(x) => x,
        Err(e) => {
            let msg = e.to_string();
            let mut st = old.clone();
            st["last_polled_at"] = serde_json::json!(at);
            st["last_error"] = serde_json::json!(msg);
            save(st).update(&state.db).await?;
            return Err(ServiceError::Internal(format!("imap: {msg}")));
        }
    };
    let n = mails.len();
    let mut last_uid = cursor
        .filter(|c| c.uid_validity == new_cursor.uid_validity)
        .map_or(0, |c| c.last_uid);
    let mut error = None;
    for m in mails {
        match receive_raw(state, scope, &m.raw, Source::Imap).await {
            Ok(_) => last_uid = last_uid.max(m.uid),
            // Unreadable mail is skipped (and logged); it will not get better.
            Err(ServiceError::Invalid { message, .. }) => {
                tracing::warn!(uid = m.uid, reason = %message, "imap message skipped");
                last_uid = last_uid.max(m.uid);
            }
            Err(e) => {
                error = Some(e.to_string());
                break;
            }
        }
    }
    let st = serde_json::json!({
        "uid_validity": new_cursor.uid_validity,
        "last_uid": last_uid,
        "last_polled_at": at,
        "fetched": n,
        "last_error": error,
    });
    save(st).update(&state.db).await?;
    Ok(n)
}

/// Handler of the `channels.poll_imap` job (every minute): polls each enabled
/// email channel that has a mailbox configured.
///
/// # Errors
/// Database errors listing the mailboxes (one mailbox's failure is recorded on it
/// and does not stop the others).
pub async fn poll_imap_all(state: &AppState) -> Result<(), String> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let rows =
        super::super::tenancy::System::new("the IMAP poller visits every workspace's mailbox")
            .find::<entity::channel_setting::Entity>()
            .filter(entity::channel_setting::Column::Channel.eq(Channel::Email.as_str()))
            .filter(entity::channel_setting::Column::Enabled.eq(true))
            .all(&state.db)
            .await
            .map_err(|e| e.to_string())?;
    for row in rows {
        if imap_account(&settings::config(&row)).is_none() {
            continue;
        }
        if let Err(e) = poll_imap(state, &row).await {
            tracing::warn!(workspace.id = row.workspace_id, error = %e, "imap poll failed");
        }
    }
    Ok(())
}

/// Logs in to the workspace's configured mailbox ("Test connection").
///
/// # Errors
/// Permission; `Invalid` when no mailbox is configured or the login fails (with
/// the server's reason).
pub async fn test_imap(state: &AppState, actor: &crate::services::Actor) -> ServiceResult<String> {
    actor.require(crate::permissions::Action::ManageChannels)?;
    let row = settings::get_or_create(&state.db, actor.scope, Channel::Email).await?;
    let Some(account) = imap_account(&settings::config(&row)) else {
        return Err(ServiceError::invalid(
            "imap",
            "No IMAP mailbox is configured: fill in host, username and password, save, then test.",
        ));
    };
    super::imap::test_login(&account, std::time::Duration::from_secs(20))
        .await
        .map_err(|e| ServiceError::invalid("imap", e.to_string()))?;
    Ok(format!(
        "Logged in to {}:{} as {}.",
        account.host, account.port, account.username
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_lose_prefixes_and_markers() {
        assert_eq!(
            clean_subject("Re: RE: Fwd: Zip broke [TKT-000042]"),
            "Zip broke"
        );
        assert_eq!(clean_subject("AW: Lieferung"), "Lieferung");
        assert_eq!(clean_subject("Regarding my order"), "Regarding my order");
    }

    #[test]
    fn no_reply_senders_are_recognised() {
        assert!(is_no_reply("noreply@shop.example"));
        assert!(is_no_reply("No-Reply@shop.example"));
        assert!(is_no_reply("do_not_reply@shop.example"));
        assert!(!is_no_reply("nora@shop.example"));
    }
}
