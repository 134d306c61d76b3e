//! IMAP polling for the email channel: connect (plain, STARTTLS or implicit TLS),
//! log in, open one mailbox read-only and fetch the messages that arrived since the
//! last poll, identified by UID and guarded by UIDVALIDITY.
//!
//! Built on `async-imap` (tokio runtime) with `tokio-rustls` (ring provider) and the
//! Mozilla root store from `webpki-roots`. Messages are fetched with `BODY.PEEK[]`
//! from a mailbox opened with `EXAMINE`, so the server never marks them `\Seen`.
//!
//! The password is never part of an error message nor of `Debug` output. Note that
//! `async-imap` logs every command it sends (LOGIN included) through the `log` crate
//! at `trace` level: keep the `async_imap` target below `trace` in production.

use async_imap::error::Error as ImapLibError;
use async_imap::imap_proto::{Response, Status};
use futures::TryStreamExt;
use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

/// How long a successful poll may spend saying LOGOUT (bounded by what is left of
/// the caller's timeout as well); a failed LOGOUT is ignored.
const LOGOUT_GRACE: Duration = Duration::from_secs(3);

/// TLS mode for IMAP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImapSecurity {
    /// Plain text on the wire (only for trusted networks and tests).
    None,
    /// Plain connection upgraded with the `STARTTLS` command (usually port 143).
    Starttls,
    /// TLS from the first byte, "IMAPS" (usually port 993).
    Tls,
}

impl ImapSecurity {
    /// The conventional port for this mode: 993 for [`ImapSecurity::Tls`], 143 otherwise.
    #[must_use]
    pub fn default_port(self) -> u16 {
        match self {
            Self::Tls => 993,
            Self::None | Self::Starttls => 143,
        }
    }
}

/// One mailbox to poll.
#[derive(Clone, PartialEq, Eq)]
pub struct ImapAccount {
    /// Server host name (also the name checked against the TLS certificate).
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Transport security.
    pub security: ImapSecurity,
    /// Login name.
    pub username: String,
    /// Password (never shown by `Debug` nor in errors).
    pub password: String,
    /// Mailbox to poll, e.g. `"INBOX"`.
    pub mailbox: String,
}

impl fmt::Debug for ImapAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapAccount")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("mailbox", &self.mailbox)
            .finish()
    }
}

/// Where polling left off (persisted by the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ImapCursor {
    /// The mailbox's UIDVALIDITY when `last_uid` was seen; when the server reports
    /// another value, UIDs were renumbered and the mailbox is read from the start.
    pub uid_validity: u32,
    /// Highest UID already fetched (0 when none).
    pub last_uid: u32,
}

/// One fetched message.
#[derive(Clone, PartialEq, Eq)]
pub struct FetchedMail {
    /// The message's UID in the polled mailbox.
    pub uid: u32,
    /// The whole message as the server stores it (RFC 5322 bytes).
    pub raw: Vec<u8>,
}

impl fmt::Debug for FetchedMail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FetchedMail")
            .field("uid", &self.uid)
            .field("bytes", &self.raw.len())
            .finish()
    }
}

/// Errors with messages an admin can act on. The `String` payloads are complete,
/// human-readable sentences (they never contain the password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImapError {
    /// The server could not be reached, refused us, or the connection dropped.
    #[error("{0}")]
    Connect(String),
    /// TLS could not be set up (handshake, certificate, or STARTTLS refused).
    #[error("{0}")]
    Tls(String),
    /// The server rejected the credentials.
    #[error("{0}")]
    Login(String),
    /// The mailbox does not exist or cannot be opened.
    #[error("{0}")]
    Mailbox(String),
    /// The server answered something unexpected.
    #[error("{0}")]
    Protocol(String),
    /// The whole operation took longer than the allowed time.
    #[error("the IMAP server did not answer in time")]
    Timeout,
}

/// Connects, logs in, opens the mailbox and fetches the messages with
/// UID > `cursor.last_uid` (all of them when UIDVALIDITY changed or `cursor` is
/// `None`), at most `max`, oldest (lowest UID) first, without marking them `\Seen`.
/// Returns the messages and the cursor to pass next time; when more than `max` were
/// waiting, the next call returns the following ones. The whole operation is
/// bounded by `timeout`.
///
/// # Errors
///
/// [`ImapError::Connect`] when the server cannot be reached or drops the connection,
/// [`ImapError::Tls`] when TLS fails, [`ImapError::Login`] when the credentials are
/// rejected, [`ImapError::Mailbox`] when the mailbox cannot be opened,
/// [`ImapError::Protocol`] on unexpected answers and [`ImapError::Timeout`] when
/// `timeout` elapses first.
pub async fn fetch_new(
    account: &ImapAccount,
    cursor: Option<ImapCursor>,
    max: usize,
    timeout: Duration,
) -> Result<(Vec<FetchedMail>, ImapCursor), ImapError> {
    let started = Instant::now();
    let (mut session, result) = tokio::time::timeout(timeout, async {
        let mut session = open_session(account).await?;
        let result = fetch_in_session(&mut session, account, cursor, max).await?;
        Ok::<_, ImapError>((session, result))
    })
    .await
    .map_err(|_| ImapError::Timeout)??;
    logout(&mut session, timeout.saturating_sub(started.elapsed())).await;
    Ok(result)
}

/// Connects and logs in only (the "Test connection" button), then logs out.
///
/// # Errors
///
/// The same as [`fetch_new`], except [`ImapError::Mailbox`].
pub async fn test_login(account: &ImapAccount, timeout: Duration) -> Result<(), ImapError> {
    let started = Instant::now();
    let mut session = tokio::time::timeout(timeout, open_session(account))
        .await
        .map_err(|_| ImapError::Timeout)??;
    logout(&mut session, timeout.saturating_sub(started.elapsed())).await;
    Ok(())
}

type Session = async_imap::Session<ImapStream>;
type Client = async_imap::Client<ImapStream>;

/// A TCP stream, with or without TLS on top.
#[derive(Debug)]
enum ImapStream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for ImapStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for ImapStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

fn addr(account: &ImapAccount) -> String {
    format!("{}:{}", account.host, account.port)
}

/// Connects, sets up TLS as configured, reads the greeting and logs in.
async fn open_session(account: &ImapAccount) -> Result<Session, ImapError> {
    let tcp = TcpStream::connect((account.host.as_str(), account.port))
        .await
        .map_err(|e| ImapError::Connect(format!("could not connect to {}: {e}", addr(account))))?;
    let client = match account.security {
        ImapSecurity::None => {
            let mut client = Client::new(ImapStream::Plain(tcp));
            read_greeting(&mut client, account).await?;
            client
        }
        ImapSecurity::Tls => {
            let tls = tls_handshake(tcp, account).await?;
            let mut client = Client::new(ImapStream::Tls(Box::new(tls)));
            read_greeting(&mut client, account).await?;
            client
        }
        ImapSecurity::Starttls => {
            let mut client = Client::new(ImapStream::Plain(tcp));
            read_greeting(&mut client, account).await?;
            client
                .run_command_and_check_ok("STARTTLS", None)
                .await
                .map_err(|e| match e {
                    ImapLibError::No(s) | ImapLibError::Bad(s) => ImapError::Tls(format!(
                        "{} refused STARTTLS ({}): use TLS (usually port 993) instead",
                        addr(account),
                        server_text(&s)
                    )),
                    other => lib_error(other, account, "STARTTLS"),
                })?;
            let ImapStream::Plain(tcp) = client.into_inner() else {
                return Err(ImapError::Protocol("STARTTLS on a TLS stream".into()));
            };
            let tls = tls_handshake(tcp, account).await?;
            // No greeting after STARTTLS (RFC 3501 6.2.1).
            Client::new(ImapStream::Tls(Box::new(tls)))
        }
    };
    client
        .login(&account.username, &account.password)
        .await
        .map_err(|(e, _client)| match e {
            ImapLibError::No(s) | ImapLibError::Bad(s) => ImapError::Login(format!(
                "login failed: check the username and password (server said: {})",
                server_text(&s)
            )),
            ImapLibError::Validate(_) => ImapError::Login(
                "login failed: the username or password contains a line break".into(),
            ),
            other => lib_error(other, account, "LOGIN"),
        })
}

async fn read_greeting(client: &mut Client, account: &ImapAccount) -> Result<(), ImapError> {
    let greeting = client.read_response().await.map_err(|e| {
        ImapError::Connect(format!(
            "connection to {} failed before the IMAP greeting: {e}",
            addr(account)
        ))
    })?;
    let Some(greeting) = greeting else {
        return Err(ImapError::Connect(format!(
            "{} closed the connection without an IMAP greeting (is it an IMAP port, and is the TLS mode right?)",
            addr(account)
        )));
    };
    match greeting.parsed() {
        Response::Data {
            status: Status::Ok | Status::PreAuth,
            ..
        } => Ok(()),
        Response::Data {
            status: Status::Bye,
            outcome,
        } => Err(ImapError::Connect(format!(
            "{} refused the connection: {}",
            addr(account),
            outcome.information.as_deref().unwrap_or("BYE")
        ))),
        other => Err(ImapError::Protocol(format!(
            "{} sent an unexpected greeting: {other:?}",
            addr(account)
        ))),
    }
}

fn tls_config() -> Result<Arc<ClientConfig>, ImapError> {
    let roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ImapError::Tls(format!("TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

async fn tls_handshake(
    tcp: TcpStream,
    account: &ImapAccount,
) -> Result<TlsStream<TcpStream>, ImapError> {
    let name = ServerName::try_from(account.host.clone()).map_err(|e| {
        ImapError::Tls(format!(
            "{:?} is not a valid TLS server name: {e}",
            account.host
        ))
    })?;
    TlsConnector::from(tls_config()?)
        .connect(name, tcp)
        .await
        .map_err(|e| {
            ImapError::Tls(format!(
                "TLS handshake with {} failed: {e} (check the TLS mode: 993 is usually TLS, 143 plain or STARTTLS)",
                addr(account)
            ))
        })
}

/// Maps a library error that is not a plain NO/BAD answer to a command.
fn lib_error(e: ImapLibError, account: &ImapAccount, command: &str) -> ImapError {
    match e {
        ImapLibError::Io(e) => {
            ImapError::Connect(format!("connection to {} failed: {e}", addr(account)))
        }
        ImapLibError::ConnectionLost => ImapError::Connect(format!(
            "{} closed the connection during {command}",
            addr(account)
        )),
        ImapLibError::No(s) | ImapLibError::Bad(s) => ImapError::Protocol(format!(
            "{} rejected {command}: {}",
            addr(account),
            server_text(&s)
        )),
        other => ImapError::Protocol(format!(
            "unexpected answer from {} to {command}: {other}",
            addr(account)
        )),
    }
}

/// `async-imap` formats NO/BAD answers as `code: …, info: Some("text")` (or a
/// `Debug` of the outcome with `information: Some("text")`); keeps the text, without
/// dovecot's trailing timing `(0.001 + 0.000 secs)`.
fn server_text(s: &str) -> String {
    let text = ["info: Some(\"", "information: Some(\""]
        .iter()
        .find_map(|marker| s.split_once(marker))
        .and_then(|(_, rest)| rest.rsplit_once("\")"))
        .map_or_else(|| s.to_owned(), |(text, _)| text.replace("\\\"", "\""));
    match text.rsplit_once(" (") {
        Some((head, tail)) if tail.trim_end_matches('.').ends_with(" secs)") => head.to_owned(),
        _ => text,
    }
}

async fn fetch_in_session(
    session: &mut Session,
    account: &ImapAccount,
    cursor: Option<ImapCursor>,
    max: usize,
) -> Result<(Vec<FetchedMail>, ImapCursor), ImapError> {
    // EXAMINE opens the mailbox read-only: nothing we do can change flags.
    let mailbox = session
        .examine(&account.mailbox)
        .await
        .map_err(|e| match e {
            ImapLibError::No(s) | ImapLibError::Bad(s) => ImapError::Mailbox(format!(
                "mailbox {} does not exist or cannot be opened (server said: {})",
                account.mailbox,
                server_text(&s)
            )),
            ImapLibError::Validate(_) => ImapError::Mailbox(format!(
                "mailbox name {:?} contains a line break",
                account.mailbox
            )),
            other => lib_error(other, account, "EXAMINE"),
        })?;
    let uid_validity = mailbox.uid_validity.ok_or_else(|| {
        ImapError::Protocol(format!(
            "{} did not report UIDVALIDITY for mailbox {}",
            addr(account),
            account.mailbox
        ))
    })?;
    let last_uid = match cursor {
        Some(c) if c.uid_validity == uid_validity => c.last_uid,
        _ => 0,
    };
    let mut next = ImapCursor {
        uid_validity,
        last_uid,
    };
    if mailbox.exists == 0 || max == 0 || last_uid == u32::MAX {
        return Ok((Vec::new(), next));
    }
    let first = last_uid + 1;
    // "n:*" always matches the highest UID even when it is below n: filter.
    let found = session
        .uid_search(format!("UID {first}:*"))
        .await
        .map_err(|e| lib_error(e, account, "UID SEARCH"))?;
    let mut uids: Vec<u32> = found.into_iter().filter(|&u| u >= first).collect();
    uids.sort_unstable();
    uids.truncate(max);
    if uids.is_empty() {
        return Ok((Vec::new(), next));
    }

    let mut bodies: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
    {
        let mut fetches = session
            .uid_fetch(uid_set(&uids), "(UID BODY.PEEK[])")
            .await
            .map_err(|e| lib_error(e, account, "UID FETCH"))?;
        while let Some(fetch) = fetches
            .try_next()
            .await
            .map_err(|e| lib_error(e, account, "UID FETCH"))?
        {
            // Unsolicited FETCH responses (flag changes) have no body: skip them.
            if let (Some(uid), Some(body)) = (fetch.uid, fetch.body()) {
                if uids.binary_search(&uid).is_ok() {
                    bodies.insert(uid, body.to_vec());
                }
            }
        }
    }
    // A requested UID missing from the answer was expunged meanwhile: it will not
    // come back, and the next search starts after the highest UID we did get.
    if let Some(&highest) = bodies.keys().next_back() {
        next.last_uid = highest;
    }
    let mails = bodies
        .into_iter()
        .map(|(uid, raw)| FetchedMail { uid, raw })
        .collect();
    Ok((mails, next))
}

async fn logout(session: &mut Session, left: Duration) {
    // Best effort: the work is done, a slow or failed LOGOUT changes nothing.
    let _ = tokio::time::timeout(left.min(LOGOUT_GRACE), session.logout()).await;
}

/// Compresses sorted UIDs into an IMAP sequence set: `[1, 2, 3, 7]` → `"1:3,7"`.
fn uid_set(sorted: &[u32]) -> String {
    let mut parts = Vec::new();
    let mut iter = sorted.iter().copied().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while let Some(&n) = iter.peek() {
            if Some(n) != end.checked_add(1) {
                break;
            }
            iter.next();
            end = n;
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}:{end}")
        });
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_are_compressed() {
        assert_eq!(uid_set(&[]), "");
        assert_eq!(uid_set(&[5]), "5");
        assert_eq!(uid_set(&[1, 2, 3, 7, 9, 10]), "1:3,7,9:10");
        assert_eq!(uid_set(&[u32::MAX - 1, u32::MAX]), "4294967294:4294967295");
    }

    #[test]
    fn server_text_is_extracted() {
        assert_eq!(
            server_text(
                r#"code: Some(AuthenticationFailed), info: Some("Authentication failed.")"#
            ),
            "Authentication failed."
        );
        assert_eq!(
            server_text(
                r#"outcome: Outcome { code: None, information: Some("Mailbox doesn't exist: Nope (0.008 + 0.001 secs).") }"#
            ),
            "Mailbox doesn't exist: Nope"
        );
        assert_eq!(server_text("odd"), "odd");
    }

    #[test]
    fn debug_hides_the_password() {
        let account = ImapAccount {
            host: "imap.example.com".into(),
            port: 993,
            security: ImapSecurity::Tls,
            username: "support".into(),
            password: "hunter2-secret".into(),
            mailbox: "INBOX".into(),
        };
        let shown = format!("{account:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("support"), "{shown}");
    }
}
