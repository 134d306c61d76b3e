//! Inbound email parsing for the support inbox: turns a raw RFC 5322/MIME message, or the JSON
//! of Postmark's inbound webhook, into one normalised [`ParsedEmail`] (threading ids, decoded
//! headers and bodies, the new reply text without quotes or signature, attachments, auto-reply
//! and bounce detection). Pure functions with no I/O; malformed input never panics.

use std::fmt;
use std::panic::{self, AssertUnwindSafe};

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone as _, Utc};
use mail_parser::{
    Address, Encoding, HeaderName, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders,
    PartType,
};
use serde::Deserialize;

/// Most attachments kept from one message; later ones are skipped and counted.
pub const MAX_ATTACHMENTS: usize = 50;

/// Most attachment bytes (all attachments together) kept from one message.
pub const MAX_ATTACHMENT_BYTES: usize = 25 * 1024 * 1024;

/// One attachment of an inbound email.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedAttachment {
    /// File name as sent (RFC 2047/2231 decoded), or `attachment-N.ext` when none was given.
    pub filename: String,
    /// Lower-case `type/subtype`, without parameters.
    pub content_type: String,
    /// The part's Content-ID without angle brackets, if any.
    pub content_id: Option<String>,
    /// Whether the part is meant to be shown inside the HTML body (referenced as `cid:`).
    pub inline: bool,
    /// The decoded bytes, exactly as the sender attached them.
    pub data: Vec<u8>,
}

/// Why a delivery failed, read from a bounce (DSN).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bounce {
    /// Message-ID (without angle brackets) of the message that bounced, when the report includes it.
    pub original_message_id: Option<String>,
    /// The recipient that failed (lower-case address), when known.
    pub recipient: Option<String>,
    /// The RFC 3463 status code, such as `5.1.1`, when known.
    pub status: Option<String>,
    /// Human readable reason: the remote server's diagnostic, or the bounce's subject.
    pub reason: String,
}

/// An inbound email, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedEmail {
    /// The Message-ID without angle brackets, if the message had one.
    pub message_id: Option<String>,
    /// In-Reply-To ids without angle brackets.
    pub in_reply_to: Vec<String>,
    /// References ids without angle brackets, in order.
    pub references: Vec<String>,
    /// The sender's address, lower-cased (From, else Sender).
    pub from_address: String,
    /// The sender's display name, if any.
    pub from_name: Option<String>,
    /// The first Reply-To address, lower-cased, if any.
    pub reply_to: Option<String>,
    /// Recipients, lower-cased and de-duplicated: To, Cc, Delivered-To, X-Original-To.
    pub to: Vec<String>,
    /// The decoded, trimmed subject (`""` when there is none).
    pub subject: String,
    /// The Date header in UTC, when present and valid.
    pub date: Option<DateTime<Utc>>,
    /// The full plain text: the text/plain body, else text derived from the HTML body.
    pub text: String,
    /// The raw, unsanitised HTML body, if any (`cid:` references left as they are).
    pub html: Option<String>,
    /// `text` without the quoted earlier messages and the signature; forwarded content is kept.
    pub reply_text: String,
    /// Attachments (inline images included), capped by [`MAX_ATTACHMENTS`] and [`MAX_ATTACHMENT_BYTES`].
    pub attachments: Vec<ParsedAttachment>,
    /// How many attachments were dropped because of the caps.
    pub attachments_skipped: usize,
    /// Whether the message was sent automatically (out-of-office, auto-responder, bulk).
    pub auto_reply: bool,
    /// Delivery failure details when the message is a bounce.
    pub bounce: Option<Bounce>,
}

/// Why a message could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// The input was empty or only whitespace.
    Empty,
    /// The input is not an email message.
    NotAnEmail,
    /// The message has no usable sender address.
    NoSender,
    /// The Postmark JSON could not be read; the text says why.
    BadJson(String),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the message is empty"),
            Self::NotAnEmail => f.write_str("the input is not an email message"),
            Self::NoSender => f.write_str("the message has no sender address"),
            Self::BadJson(why) => write!(f, "the inbound JSON could not be read: {why}"),
        }
    }
}

impl std::error::Error for ParseError {}

/// Parses a raw RFC 5322/MIME message.
///
/// # Errors
///
/// [`ParseError::Empty`] for empty input, [`ParseError::NotAnEmail`] when no email header is
/// found, [`ParseError::NoSender`] when neither From nor Sender holds an address.
pub fn parse_raw(bytes: &[u8]) -> Result<ParsedEmail, ParseError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty);
    }
    // The parser is hardened against hostile input, but a panic deep inside a dependency must
    // never take a worker down: treat it as an unreadable message.
    panic::catch_unwind(AssertUnwindSafe(|| parse_raw_inner(bytes)))
        .unwrap_or(Err(ParseError::NotAnEmail))
}

/// Parses the JSON body of Postmark's inbound webhook.
///
/// # Errors
///
/// [`ParseError::Empty`] for empty input, [`ParseError::BadJson`] when the JSON is not a
/// Postmark inbound object, [`ParseError::NoSender`] when it has no sender address.
pub fn parse_postmark_json(json: &[u8]) -> Result<ParsedEmail, ParseError> {
    if json.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty);
    }
    let inbound: PostmarkInbound =
        serde_json::from_slice(json).map_err(|e| ParseError::BadJson(e.to_string()))?;
    panic::catch_unwind(AssertUnwindSafe(|| from_postmark(inbound)))
        .unwrap_or(Err(ParseError::NotAnEmail))
}

/// Removes quoted replies and the signature from a plain-text body, keeping the new text.
///
/// Cuts at reply attributions ("On … wrote:", "Le … a écrit :", "Am … schrieb …:" and a few
/// more languages), "-----Original Message-----", Outlook "From:/Sent:/Subject:" header blocks
/// and their `____` separator; drops `>` quoted lines; drops signatures ("-- " line, "Sent from
/// my iPhone/Android", "Get Outlook for iOS"). A forwarded-message block ("---------- Forwarded
/// message ---------", "Begin forwarded message:") is always kept with everything after it.
/// When nothing would be left, the whole trimmed text is returned.
#[must_use]
pub fn strip_quoted_text(text: &str) -> String {
    strip_text(text, false)
}

/// Removes quoted replies from an HTML body (best effort, string based): Gmail `gmail_quote`
/// blocks, `<blockquote type="cite">`, Thunderbird `moz-cite-prefix`, Yahoo quotes, and the
/// Outlook `divRplyFwdMsg` block with everything after it. Forwarded-message blocks are kept.
#[must_use]
pub fn strip_quoted_html(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len());
    let mut copied = 0usize;
    let mut search = 0usize;
    while let Some(rel) = lower.get(search..).and_then(|s| s.find('<')) {
        let start = search + rel;
        let tag_end = lower
            .get(start..)
            .and_then(|s| s.find('>'))
            .map_or(lower.len(), |p| start + p + 1);
        let tag = lower.get(start..tag_end).unwrap_or("");
        let name = tag_name(tag);
        if name != "div" && name != "blockquote" {
            search = tag_end.max(start + 1);
            continue;
        }
        if name == "div"
            && (tag.contains("divrplyfwdmsg") || tag.contains("mail-editor-reference-message"))
        {
            out.push_str(html.get(copied..start).unwrap_or(""));
            drop_trailing_separator(&mut out);
            if let Some(body_end) = lower.get(start..).and_then(|s| s.rfind("</body")) {
                out.push('\n');
                out.push_str(html.get(start + body_end..).unwrap_or(""));
            }
            return out;
        }
        let class = attr_value(tag, "class").unwrap_or("");
        let is_quote = class.contains("gmail_quote")
            || class.contains("yahoo_quoted")
            || (name == "div" && class.contains("moz-cite-prefix"))
            || (name == "blockquote"
                && attr_value(tag, "type").is_some_and(|t| t.trim() == "cite"));
        if !is_quote {
            search = tag_end.max(start + 1);
            continue;
        }
        let end = element_end(&lower, start, name);
        let inner = lower.get(start..end).unwrap_or("");
        if !is_forward_html(inner) {
            out.push_str(html.get(copied..start).unwrap_or(""));
            copied = end;
        }
        search = end.max(start + 1);
    }
    out.push_str(html.get(copied..).unwrap_or(""));
    out
}

/// Finds a ticket reference such as `[TKT-000123]` or `tkt-123` anywhere in a subject.
#[must_use]
pub fn ticket_token(subject: &str) -> Option<i32> {
    let bytes = subject.as_bytes();
    let mut from = 0;
    while let Some(at) = find_ci(bytes, b"tkt-", from) {
        from = at + 1;
        if at > 0 && bytes.get(at - 1).is_some_and(u8::is_ascii_alphanumeric) {
            continue;
        }
        let digits_start = at + 4;
        let digits_len = bytes
            .get(digits_start..)
            .unwrap_or(&[])
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits_len == 0 || digits_len > 12 {
            continue;
        }
        let after = bytes.get(digits_start + digits_len);
        if after.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_') {
            continue;
        }
        if let Some(n) = subject
            .get(digits_start..digits_start + digits_len)
            .and_then(|d| d.parse::<i32>().ok())
        {
            return Some(n);
        }
    }
    None
}

/// Finds a side-conversation token `[SC-<token>]` (8–64 ASCII letters and digits) in a subject.
#[must_use]
pub fn side_token(subject: &str) -> Option<String> {
    let bytes = subject.as_bytes();
    let mut from = 0;
    while let Some(at) = find_ci(bytes, b"[sc-", from) {
        from = at + 1;
        let start = at + 4;
        let len = bytes
            .get(start..)
            .unwrap_or(&[])
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if (8..=64).contains(&len) && bytes.get(start + len) == Some(&b']') {
            return subject.get(start..start + len).map(str::to_string);
        }
    }
    None
}

/// Splits a Message-ID list header (`<a@b> <c@d>`) into ids without angle brackets.
/// A value with no angle brackets at all is split on whitespace and commas.
#[must_use]
pub fn message_ids(header_value: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = header_value;
    let mut bracketed = false;
    while let Some(open) = rest.find('<') {
        bracketed = true;
        let after = rest.get(open + 1..).unwrap_or("");
        let Some(close) = after.find('>') else {
            break;
        };
        let id: String = after
            .get(..close)
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if !id.is_empty() {
            ids.push(id);
        }
        rest = after.get(close + 1..).unwrap_or("");
    }
    if !bracketed {
        ids.extend(
            header_value
                .split(|c: char| c.is_whitespace() || c == ',')
                .filter(|s| !s.is_empty())
                .map(str::to_string),
        );
    }
    ids
}

// ------------------------------------------------------------------------------------------
// Raw MIME

fn parse_raw_inner(bytes: &[u8]) -> Result<ParsedEmail, ParseError> {
    let message = MessageParser::default()
        .parse(bytes)
        .ok_or(ParseError::NotAnEmail)?;
    let root = message.parts.first().ok_or(ParseError::NotAnEmail)?;
    let looks_like_email = root.headers.iter().any(|h| {
        matches!(
            h.name,
            HeaderName::From
                | HeaderName::Sender
                | HeaderName::To
                | HeaderName::Subject
                | HeaderName::Date
                | HeaderName::MessageId
                | HeaderName::Received
                | HeaderName::ReturnPath
        )
    });
    if !looks_like_email {
        return Err(ParseError::NotAnEmail);
    }

    let (from_address, from_name) = first_mailbox(message.from())
        .or_else(|| first_mailbox(message.sender()))
        .ok_or(ParseError::NoSender)?;
    let reply_to = first_mailbox(message.reply_to()).map(|(address, _)| address);

    let mut to = Vec::new();
    for list in message.all_to().chain(message.all_cc()) {
        for addr in list.iter() {
            if let Some(a) = addr.address.as_deref().and_then(clean_address) {
                push_unique(&mut to, a);
            }
        }
    }
    for name in ["Delivered-To", "X-Original-To"] {
        for value in raw_header_values(&message, name) {
            if let Some(a) = clean_address(&value) {
                push_unique(&mut to, a);
            }
        }
    }

    let subject = message.subject().map(str::trim).unwrap_or("").to_string();
    let date = message.date().and_then(to_utc);

    let message_id = message
        .message_id()
        .map(|id| id.trim().trim_matches(['<', '>']).to_string())
        .filter(|id| !id.is_empty())
        .or_else(|| {
            raw_header(&message, "Message-ID").and_then(|v| message_ids(&v).into_iter().next())
        });
    let in_reply_to = id_list(&message, message.in_reply_to(), "In-Reply-To");
    let references = id_list(&message, message.references(), "References");

    let mut plain = Vec::new();
    let mut html_parts = Vec::new();
    for &id in &message.text_body {
        if let Some(PartType::Text(t)) = message.parts.get(id as usize).map(|p| &p.body) {
            plain.push(t.as_ref());
        }
    }
    for &id in &message.html_body {
        if let Some(PartType::Html(h)) = message.parts.get(id as usize).map(|p| &p.body) {
            html_parts.push(h.as_ref());
        }
    }
    let html = if html_parts.is_empty() {
        None
    } else {
        Some(html_parts.join("\n"))
    };
    let has_plain = plain.iter().any(|t| !t.trim().is_empty());
    let text = if has_plain {
        normalize_text(&plain.join("\n")).trim_end().to_string()
    } else {
        html.as_deref().map(html_to_text).unwrap_or_default()
    };
    let forward = is_forward_subject(&subject);
    let reply_text = match (&html, has_plain) {
        (Some(h), false) => strip_text(&html_to_text(&strip_quoted_html(h)), forward),
        _ => strip_text(&text, forward),
    };

    let bounce = find_bounce(&message, &from_address, &subject, &text);
    let (attachments, attachments_skipped) = collect_attachments(&message, bytes, bounce.is_some());
    let auto_reply = is_auto_reply(|name| raw_header(&message, name), &subject);

    Ok(ParsedEmail {
        message_id,
        in_reply_to,
        references,
        from_address,
        from_name,
        reply_to,
        to,
        subject,
        date,
        text,
        html,
        reply_text,
        attachments,
        attachments_skipped,
        auto_reply,
        bounce,
    })
}

/// The first usable mailbox of an address header: (lower-cased address, display name).
fn first_mailbox(address: Option<&Address<'_>>) -> Option<(String, Option<String>)> {
    address?.iter().find_map(|addr| {
        let email = addr.address.as_deref().and_then(clean_address)?;
        let name = addr
            .name
            .as_deref()
            .map(|n| n.trim().trim_matches(['"', '\'']).trim().to_string())
            .filter(|n| !n.is_empty() && !n.eq_ignore_ascii_case(&email));
        Some((email, name))
    })
}

/// Lower-cases and trims an address; `None` unless it looks like `local@domain`.
fn clean_address(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    let inner = match (trimmed.find('<'), trimmed.rfind('>')) {
        (Some(open), Some(close)) if open < close => trimmed.get(open + 1..close).unwrap_or(""),
        _ => trimmed,
    };
    let addr = inner
        .trim()
        .trim_start_matches("mailto:")
        .trim_matches(['<', '>', '"', '\''])
        .trim();
    let at = addr.rfind('@')?;
    if at == 0 || at + 1 >= addr.len() || addr.chars().any(char::is_whitespace) {
        return None;
    }
    Some(addr.to_lowercase())
}

fn push_unique(list: &mut Vec<String>, value: String) {
    if !list.contains(&value) {
        list.push(value);
    }
}

/// Root headers of a message, without indexing (a nested message may have no parts).
fn root_headers<'a, 'x>(message: &'a Message<'x>) -> &'a [mail_parser::Header<'x>] {
    message.parts.first().map_or(&[], |p| p.headers.as_slice())
}

/// The raw value of the first header with this name, unfolded and trimmed.
fn raw_header(message: &Message<'_>, name: &str) -> Option<String> {
    raw_header_values(message, name).into_iter().next()
}

fn raw_header_values(message: &Message<'_>, name: &str) -> Vec<String> {
    let wanted = HeaderName::from(name);
    root_headers(message)
        .iter()
        .filter(|h| h.name == wanted)
        .filter_map(|h| {
            let raw = message
                .raw_message
                .get(h.offset_start as usize..h.offset_end as usize)?;
            let value = unfold(&String::from_utf8_lossy(raw));
            (!value.is_empty()).then_some(value)
        })
        .collect()
}

fn unfold(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn id_list(message: &Message<'_>, parsed: &HeaderValue<'_>, name: &str) -> Vec<String> {
    let mut ids: Vec<String> = match parsed {
        HeaderValue::Text(id) => vec![id.to_string()],
        HeaderValue::TextList(list) => list.iter().map(ToString::to_string).collect(),
        _ => Vec::new(),
    };
    ids = ids
        .into_iter()
        .map(|id| id.trim().trim_matches(['<', '>']).to_string())
        .filter(|id| !id.is_empty())
        .collect();
    if ids.is_empty() {
        if let Some(raw) = raw_header(message, name) {
            ids = message_ids(&raw);
        }
    }
    let mut unique = Vec::with_capacity(ids.len());
    for id in ids {
        push_unique(&mut unique, id);
    }
    unique
}

fn to_utc(date: &mail_parser::DateTime) -> Option<DateTime<Utc>> {
    if !date.is_valid() {
        return None;
    }
    let local = NaiveDate::from_ymd_opt(
        i32::from(date.year),
        u32::from(date.month),
        u32::from(date.day),
    )?
    .and_hms_opt(
        u32::from(date.hour),
        u32::from(date.minute),
        u32::from(date.second),
    )?;
    let offset =
        TimeDelta::seconds(i64::from(date.tz_hour) * 3600 + i64::from(date.tz_minute) * 60);
    // "-0800" (before GMT): UTC is later than the local time.
    let utc = if date.tz_before_gmt {
        local.checked_add_signed(offset)?
    } else {
        local.checked_sub_signed(offset)?
    };
    Some(Utc.from_utc_datetime(&utc))
}

fn content_type_of(part: &MessagePart<'_>) -> String {
    part.content_type().map_or_else(
        || "text/plain".to_string(),
        |ct| {
            let main = ct.ctype().trim().to_ascii_lowercase();
            match ct.subtype() {
                Some(sub) => format!("{main}/{}", sub.trim().to_ascii_lowercase()),
                None => main,
            }
        },
    )
}

/// Parts of delivery reports that are machine data, not attachments a person sent.
const REPORT_TYPES: [&str; 5] = [
    "message/delivery-status",
    "message/global-delivery-status",
    "message/disposition-notification",
    "text/rfc822-headers",
    "message/global-headers",
];

fn collect_attachments(
    message: &Message<'_>,
    raw: &[u8],
    is_bounce: bool,
) -> (Vec<ParsedAttachment>, usize) {
    let mut caps = Caps::default();
    for &id in &message.attachments {
        let Some(part) = message.parts.get(id as usize) else {
            continue;
        };
        let content_type = content_type_of(part);
        if REPORT_TYPES.contains(&content_type.as_str()) {
            continue;
        }
        let disposition = part.content_disposition();
        let is_attachment_disposition = disposition.is_some_and(|d| d.is_attachment());
        let name = part
            .attachment_name()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        match &part.body {
            PartType::Multipart(_) => continue,
            PartType::Text(_) | PartType::Html(_)
                if name.is_none()
                    && !is_attachment_disposition
                    && (content_type == "text/plain" || content_type == "text/html") =>
            {
                continue;
            }
            PartType::Message(_) if is_bounce && name.is_none() && !is_attachment_disposition => {
                continue;
            }
            _ => {}
        }
        let content_id = part
            .content_id()
            .map(|c| c.trim().trim_matches(['<', '>']).to_string())
            .filter(|c| !c.is_empty());
        let inline = content_id.is_some() && !is_attachment_disposition;
        let filename = name.map_or_else(
            || {
                format!(
                    "attachment-{}.{}",
                    caps.seen + 1,
                    extension_for(&content_type)
                )
            },
            str::to_string,
        );
        let data = part_bytes(part, raw);
        caps.push(ParsedAttachment {
            filename,
            content_type,
            content_id,
            inline,
            data,
        });
    }
    (caps.kept, caps.skipped)
}

/// The bytes of a part as the sender attached them (text parts are not re-encoded to UTF-8).
fn part_bytes(part: &MessagePart<'_>, raw: &[u8]) -> Vec<u8> {
    let original = raw.get(part.offset_body as usize..part.offset_end as usize);
    match (&part.body, original) {
        (PartType::Text(_) | PartType::Html(_), Some(body)) if !part.is_encoding_problem => {
            match part.encoding {
                Encoding::Base64 => decode_base64(body).unwrap_or_else(|| part.contents().to_vec()),
                Encoding::QuotedPrintable => decode_quoted_printable(body),
                Encoding::None => body.to_vec(),
            }
        }
        (PartType::Message(_), Some(body)) if part.encoding == Encoding::None => body.to_vec(),
        _ => part.contents().to_vec(),
    }
}

fn extension_for(content_type: &str) -> &'static str {
    match content_type {
        "application/pdf" => "pdf",
        "image/png" => "png",
        "image/jpeg" | "image/jpg" => "jpg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "text/plain" => "txt",
        "text/html" => "html",
        "text/csv" => "csv",
        "text/calendar" => "ics",
        "message/rfc822" | "message/global" => "eml",
        "application/zip" => "zip",
        _ => "bin",
    }
}

#[derive(Default)]
struct Caps {
    kept: Vec<ParsedAttachment>,
    total: usize,
    seen: usize,
    skipped: usize,
}

impl Caps {
    fn push(&mut self, attachment: ParsedAttachment) {
        self.seen += 1;
        let fits = self.total.saturating_add(attachment.data.len()) <= MAX_ATTACHMENT_BYTES;
        if self.kept.len() < MAX_ATTACHMENTS && fits {
            self.total += attachment.data.len();
            self.kept.push(attachment);
        } else {
            self.skipped += 1;
        }
    }
}

const BASE64_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

/// Decodes base64 ignoring line breaks, stray characters and padding.
fn decode_base64(input: &[u8]) -> Option<Vec<u8>> {
    let mut clean: Vec<u8> = input
        .iter()
        .copied()
        .filter(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
        .collect();
    if clean.len() % 4 == 1 {
        clean.pop();
    }
    BASE64_LENIENT.decode(&clean).ok()
}

fn decode_quoted_printable(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        if b != b'=' {
            out.push(b);
            i += 1;
            continue;
        }
        match (input.get(i + 1), input.get(i + 2)) {
            (Some(b'\r'), Some(b'\n')) => i += 3,
            (Some(b'\n'), _) => i += 2,
            (Some(&h), Some(&l)) => match (hex_val(h), hex_val(l)) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                }
                _ => {
                    out.push(b);
                    i += 1;
                }
            },
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

// ------------------------------------------------------------------------------------------
// Auto replies and bounces

const AUTO_REPLY_SUBJECTS: [&str; 16] = [
    "automatic reply:",
    "auto reply:",
    "autoreply:",
    "auto-reply:",
    "auto response:",
    "autoresponse:",
    "out of office:",
    "out of office reply",
    "out of the office",
    "abwesenheitsnotiz",
    "automatische antwort",
    "réponse automatique",
    "respuesta automática",
    "risposta automatica",
    "automatisch antwoord",
    "自動応答",
];

fn is_auto_reply(header: impl Fn(&str) -> Option<String>, subject: &str) -> bool {
    let value = |name: &str| header(name).map(|v| v.trim().to_ascii_lowercase());
    if let Some(v) = value("Auto-Submitted") {
        let kind = v.split(';').next().unwrap_or("").trim();
        if !kind.is_empty() && kind != "no" {
            return true;
        }
    }
    for name in [
        "X-Autoreply",
        "X-Autorespond",
        "X-Autoresponder",
        "X-Autogenerated",
    ] {
        if let Some(v) = value(name) {
            if !matches!(v.as_str(), "no" | "false" | "0") {
                return true;
            }
        }
    }
    if let Some(v) = value("Precedence") {
        if matches!(v.as_str(), "auto_reply" | "bulk" | "junk") {
            return true;
        }
    }
    let subject = subject.trim().to_lowercase();
    AUTO_REPLY_SUBJECTS.iter().any(|p| subject.starts_with(p))
}

fn find_bounce(
    message: &Message<'_>,
    from_address: &str,
    subject: &str,
    text: &str,
) -> Option<Bounce> {
    let root_type = message.parts.first().map(content_type_of);
    let is_report = root_type.as_deref() == Some("multipart/report")
        && message
            .parts
            .first()
            .and_then(MimeHeaders::content_type)
            .and_then(|ct| ct.attribute("report-type"))
            .is_some_and(|t| t.eq_ignore_ascii_case("delivery-status"));

    let mut dsn = None;
    let mut original_message_id = None;
    for part in &message.parts {
        let content_type = content_type_of(part);
        match content_type.as_str() {
            "message/delivery-status" | "message/global-delivery-status" if dsn.is_none() => {
                dsn = Some(String::from_utf8_lossy(part.contents()).into_owned());
            }
            "text/rfc822-headers" | "message/global-headers" if original_message_id.is_none() => {
                original_message_id = MessageParser::default()
                    .parse_headers(part.contents())
                    .as_ref()
                    .and_then(nested_message_id);
            }
            "message/rfc822" | "message/global" if original_message_id.is_none() => {
                original_message_id = part.message().and_then(nested_message_id).or_else(|| {
                    MessageParser::default()
                        .parse_headers(part.contents())
                        .as_ref()
                        .and_then(nested_message_id)
                });
            }
            _ => {}
        }
    }
    let failed_recipient = raw_header(message, "X-Failed-Recipients")
        .and_then(|v| v.split(',').find_map(clean_address));

    if let Some(report) = dsn {
        let recipient = dsn_failed_recipient(&report)?;
        let field = |name: &str| {
            recipient
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let address = |v: String| {
            let bare = v.split_once(';').map_or(v.as_str(), |(_, a)| a);
            clean_address(bare)
        };
        let status = field("status")
            .map(|s| s.split_whitespace().next().unwrap_or("").to_string())
            .filter(|s| !s.is_empty());
        let reason = field("diagnostic-code")
            .map(|d| strip_diagnostic_type(&d))
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| subject.to_string());
        return Some(Bounce {
            original_message_id: original_message_id.or_else(|| message_id_in_text(text)),
            recipient: field("final-recipient")
                .and_then(address)
                .or_else(|| field("original-recipient").and_then(address))
                .or(failed_recipient),
            status,
            reason,
        });
    }

    if is_report || looks_like_bounce(from_address, subject) {
        return Some(Bounce {
            original_message_id: original_message_id.or_else(|| message_id_in_text(text)),
            recipient: failed_recipient,
            status: status_in_text(text),
            reason: subject.to_string(),
        });
    }
    None
}

fn nested_message_id(message: &Message<'_>) -> Option<String> {
    root_headers(message)
        .iter()
        .find(|h| h.name == HeaderName::MessageId)
        .and_then(|h| match &h.value {
            HeaderValue::Text(id) => Some(id.trim().trim_matches(['<', '>']).to_string()),
            HeaderValue::TextList(ids) => ids.first().map(|id| id.trim().to_string()),
            _ => None,
        })
        .filter(|id| !id.is_empty())
}

/// The per-recipient field group of a delivery-status body that reports a failure.
/// `None` when every recipient was delivered or only delayed (not a bounce).
fn dsn_failed_recipient(report: &str) -> Option<Vec<(String, String)>> {
    let mut groups: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for line in report.lines() {
        if line.trim().is_empty() {
            if groups.last().is_some_and(|g| !g.is_empty()) {
                groups.push(Vec::new());
            }
            continue;
        }
        let Some(group) = groups.last_mut() else {
            continue;
        };
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = group.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            group.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let recipients: Vec<_> = groups
        .into_iter()
        .filter(|g| {
            g.iter()
                .any(|(n, _)| n == "final-recipient" || n == "original-recipient" || n == "action")
        })
        .collect();
    let action = |g: &[(String, String)]| {
        g.iter()
            .find(|(n, _)| n == "action")
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    let status = |g: &[(String, String)]| {
        g.iter()
            .find(|(n, _)| n == "status")
            .map(|(_, v)| v.trim().to_string())
    };
    if let Some(failed) = recipients.iter().find(|g| {
        action(g).is_some_and(|a| a.starts_with("failed"))
            || status(g).is_some_and(|s| s.starts_with('5'))
    }) {
        return Some(failed.clone());
    }
    if recipients.iter().any(|g| action(g).is_some()) {
        return None;
    }
    recipients.into_iter().next()
}

/// "smtp; 550 5.1.1 …" → "550 5.1.1 …"
fn strip_diagnostic_type(value: &str) -> String {
    let value = unfold(value);
    match value.split_once(';') {
        Some((kind, rest))
            if !kind.is_empty()
                && kind
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') =>
        {
            rest.trim().to_string()
        }
        _ => value,
    }
}

fn looks_like_bounce(from_address: &str, subject: &str) -> bool {
    let local = from_address.split('@').next().unwrap_or("");
    let daemon = matches!(local, "mailer-daemon" | "postmaster" | "mail-daemon");
    let subject = subject.to_lowercase();
    let bounce_subject = [
        "undeliver",
        "undelivered",
        "delivery status notification",
        "mail delivery failed",
        "delivery failure",
        "returned mail",
        "failure notice",
        "nicht zustellbar",
        "non remis",
    ]
    .iter()
    .any(|s| subject.contains(s));
    daemon && bounce_subject
}

fn message_id_in_text(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let line = line.trim_start_matches(['>', ' ', '\t']);
        let (name, value) = line.split_once(':')?;
        if name.trim().eq_ignore_ascii_case("message-id") {
            message_ids(value).into_iter().next()
        } else {
            None
        }
    })
}

/// First RFC 3463 code (`5.1.1`) in a text.
fn status_in_text(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ',' | ';' | '[' | ']'))
        .find(|word| {
            let mut parts = word.split('.');
            let class = parts.next().unwrap_or("");
            let subject = parts.next().unwrap_or("");
            let detail = parts.next().unwrap_or("");
            parts.next().is_none()
                && matches!(class, "4" | "5")
                && (1..=3).contains(&subject.len())
                && (1..=3).contains(&detail.len())
                && subject.bytes().all(|b| b.is_ascii_digit())
                && detail.bytes().all(|b| b.is_ascii_digit())
        })
        .map(str::to_string)
}

// ------------------------------------------------------------------------------------------
// Postmark

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct PostmarkInbound {
    from: Option<String>,
    from_name: Option<String>,
    from_full: Option<PostmarkAddress>,
    to: Option<String>,
    to_full: Option<Vec<PostmarkAddress>>,
    cc: Option<String>,
    cc_full: Option<Vec<PostmarkAddress>>,
    original_recipient: Option<String>,
    reply_to: Option<String>,
    subject: Option<String>,
    #[serde(rename = "MessageID")]
    message_id: Option<String>,
    date: Option<String>,
    text_body: Option<String>,
    html_body: Option<String>,
    stripped_text_reply: Option<String>,
    headers: Option<Vec<PostmarkHeader>>,
    attachments: Option<Vec<PostmarkAttachment>>,
    raw_email: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct PostmarkAddress {
    email: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct PostmarkHeader {
    name: Option<String>,
    value: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct PostmarkAttachment {
    name: Option<String>,
    content: Option<String>,
    content_type: Option<String>,
    #[serde(rename = "ContentID")]
    content_id: Option<String>,
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn from_postmark(inbound: PostmarkInbound) -> Result<ParsedEmail, ParseError> {
    let header = |name: &str| -> Option<String> {
        inbound
            .headers
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .find(|h| {
                h.name
                    .as_deref()
                    .is_some_and(|n| n.trim().eq_ignore_ascii_case(name))
            })
            .and_then(|h| non_empty(h.value.as_deref()).map(unfold))
    };

    let full = inbound.from_full.as_ref();
    let from_address = non_empty(full.and_then(|f| f.email.as_deref()))
        .and_then(clean_address)
        .or_else(|| {
            non_empty(inbound.from.as_deref())
                .and_then(|f| parse_address_list(f).into_iter().next())
        })
        .ok_or(ParseError::NoSender)?;
    let from_name = non_empty(full.and_then(|f| f.name.as_deref()))
        .or_else(|| non_empty(inbound.from_name.as_deref()))
        .map(str::to_string)
        .filter(|n| !n.eq_ignore_ascii_case(&from_address));
    let reply_to = non_empty(inbound.reply_to.as_deref())
        .and_then(|r| parse_address_list(r).into_iter().next());

    let mut to = Vec::new();
    for (full_list, plain) in [
        (&inbound.to_full, &inbound.to),
        (&inbound.cc_full, &inbound.cc),
    ] {
        let from_full: Vec<String> = full_list
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .filter_map(|a| a.email.as_deref().and_then(clean_address))
            .collect();
        let addresses = if from_full.is_empty() {
            non_empty(plain.as_deref())
                .map(parse_address_list)
                .unwrap_or_default()
        } else {
            from_full
        };
        for a in addresses {
            push_unique(&mut to, a);
        }
    }
    let extra = [
        non_empty(inbound.original_recipient.as_deref()).map(str::to_string),
        header("Delivered-To"),
        header("X-Original-To"),
    ];
    for a in extra.iter().flatten().filter_map(|v| clean_address(v)) {
        push_unique(&mut to, a);
    }

    let subject = inbound.subject.as_deref().unwrap_or("").trim().to_string();
    let date = non_empty(inbound.date.as_deref()).and_then(|d| {
        mail_parser::DateTime::parse_rfc822(d)
            .as_ref()
            .and_then(to_utc)
            .or_else(|| {
                DateTime::parse_from_rfc3339(d)
                    .ok()
                    .map(|t| t.with_timezone(&Utc))
            })
    });
    let message_id = header("Message-ID")
        .and_then(|v| message_ids(&v).into_iter().next())
        .or_else(|| non_empty(inbound.message_id.as_deref()).map(str::to_string));
    let in_reply_to = header("In-Reply-To")
        .map(|v| message_ids(&v))
        .unwrap_or_default();
    let references = header("References")
        .map(|v| message_ids(&v))
        .unwrap_or_default();

    let html = inbound.html_body.clone().filter(|h| !h.trim().is_empty());
    let plain = inbound.text_body.as_deref().unwrap_or("");
    let has_plain = !plain.trim().is_empty();
    let text = if has_plain {
        normalize_text(plain).trim_end().to_string()
    } else {
        html.as_deref().map(html_to_text).unwrap_or_default()
    };
    let forward = is_forward_subject(&subject);
    let mut reply_text = match (&html, has_plain) {
        (Some(h), false) => strip_text(&html_to_text(&strip_quoted_html(h)), forward),
        _ => strip_text(&text, forward),
    };
    if reply_text.is_empty() {
        if let Some(stripped) = non_empty(inbound.stripped_text_reply.as_deref()) {
            reply_text = normalize_text(stripped);
        }
    }

    let mut caps = Caps::default();
    for att in inbound.attachments.as_deref().unwrap_or(&[]) {
        let Some(data) = att
            .content
            .as_deref()
            .and_then(|c| decode_base64(c.as_bytes()))
        else {
            continue;
        };
        let content_type = non_empty(att.content_type.as_deref())
            .and_then(|c| c.split(';').next())
            .map_or_else(
                || "application/octet-stream".to_string(),
                |c| c.trim().to_ascii_lowercase(),
            );
        let content_id = non_empty(att.content_id.as_deref())
            .map(|c| c.trim_matches(['<', '>']).to_string())
            .filter(|c| !c.is_empty());
        let inline = content_id.as_deref().is_some_and(|cid| {
            html.as_deref()
                .is_some_and(|h| h.contains(&format!("cid:{cid}")))
        });
        let filename = non_empty(att.name.as_deref()).map_or_else(
            || {
                format!(
                    "attachment-{}.{}",
                    caps.seen + 1,
                    extension_for(&content_type)
                )
            },
            str::to_string,
        );
        caps.push(ParsedAttachment {
            filename,
            content_type,
            content_id,
            inline,
            data,
        });
    }

    let auto_reply = is_auto_reply(header, &subject);
    let bounce = non_empty(inbound.raw_email.as_deref())
        .and_then(|raw| parse_raw(raw.as_bytes()).ok())
        .and_then(|p| p.bounce)
        .or_else(|| {
            looks_like_bounce(&from_address, &subject).then(|| Bounce {
                original_message_id: message_id_in_text(&text),
                recipient: header("X-Failed-Recipients").and_then(|v| clean_address(&v)),
                status: status_in_text(&text),
                reason: subject.clone(),
            })
        });

    Ok(ParsedEmail {
        message_id,
        in_reply_to,
        references,
        from_address,
        from_name,
        reply_to,
        to,
        subject,
        date,
        text,
        html,
        reply_text,
        attachments: caps.kept,
        attachments_skipped: caps.skipped,
        auto_reply,
        bounce,
    })
}

/// Parses an address-list header value ("A <a@x>, b@y") into lower-cased addresses.
fn parse_address_list(value: &str) -> Vec<String> {
    let header = format!("To: {}\r\n\r\n", value.replace(['\r', '\n'], " "));
    let parsed = MessageParser::default().parse_headers(header.as_bytes());
    let mut out = Vec::new();
    if let Some(list) = parsed
        .as_ref()
        .and_then(|m| m.parts.first())
        .and_then(|p| p.headers.iter().find(|h| h.name == HeaderName::To))
        .and_then(|h| h.value.as_address())
    {
        for addr in list.iter() {
            if let Some(a) = addr.address.as_deref().and_then(clean_address) {
                push_unique(&mut out, a);
            }
        }
    }
    if out.is_empty() {
        if let Some(a) = clean_address(value) {
            out.push(a);
        }
    }
    out
}

// ------------------------------------------------------------------------------------------
// Quote and signature stripping (plain text)

fn normalize_text(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\u{feff}', "")
}

fn is_forward_subject(subject: &str) -> bool {
    let s = subject.trim_start().to_lowercase();
    ["fwd:", "fw:", "wg:", "tr:", "rv:", "enc:", "doorst:", "vs:"]
        .iter()
        .any(|p| s.starts_with(p))
}

fn strip_text(text: &str, forward: bool) -> String {
    let text = normalize_text(text);
    let lines: Vec<&str> = text.split('\n').collect();
    let mut kept: Vec<&str> = Vec::new();
    let mut in_signature = false;
    let mut forward_from = None;
    let mut i = 0;
    while let Some(&line) = lines.get(i) {
        let trimmed = line.trim();
        if is_forward_marker(trimmed)
            || (forward
                && (is_original_message(trimmed)
                    || is_outlook_separator(&lines, i)
                    || is_outlook_header(&lines, i)))
        {
            forward_from = Some(i);
            break;
        }
        if trimmed.starts_with('>') {
            i += 1;
            continue;
        }
        if let Some(len) = attribution_len(&lines, i) {
            if !in_signature && kept.iter().all(|l| l.trim().is_empty()) {
                // Bottom-posted reply: skip the attribution, keep reading.
                i += len;
                continue;
            }
            break;
        }
        if is_original_message(trimmed)
            || is_outlook_separator(&lines, i)
            || is_outlook_header(&lines, i)
        {
            break;
        }
        if in_signature {
            // Skipped, but a forwarded block further down is still kept.
            i += 1;
            continue;
        }
        if is_signature_start(line) {
            in_signature = true;
            i += 1;
            continue;
        }
        kept.push(line);
        i += 1;
    }
    let mut out = kept.join("\n").trim().to_string();
    if let Some(from) = forward_from {
        let forwarded = lines.get(from..).unwrap_or(&[]).join("\n");
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(forwarded.trim_end());
    }
    if out.is_empty() {
        text.trim().to_string()
    } else {
        out
    }
}

fn lower_clean(line: &str) -> String {
    line.replace('\u{a0}', " ").trim().to_lowercase()
}

fn is_forward_marker(trimmed: &str) -> bool {
    let l = lower_clean(trimmed);
    if l.starts_with("begin forwarded message") || l.starts_with("début du message réexpédié") {
        return true;
    }
    if !l.starts_with("--") {
        return false;
    }
    let core = l.trim_matches(|c: char| c == '-' || c.is_whitespace());
    [
        "forwarded message",
        "weitergeleitete nachricht",
        "message transféré",
        "mensaje reenviado",
        "messaggio inoltrato",
        "doorgestuurd bericht",
        "mensagem encaminhada",
    ]
    .iter()
    .any(|m| core.starts_with(m))
}

fn is_original_message(trimmed: &str) -> bool {
    let l = lower_clean(trimmed);
    if !(l.starts_with("--") || l.starts_with("__")) {
        return false;
    }
    let core = l.trim_matches(|c: char| c == '-' || c == '_' || c.is_whitespace());
    [
        "original message",
        "ursprüngliche nachricht",
        "message d'origine",
        "mensaje original",
        "messaggio originale",
        "oorspronkelijk bericht",
        "originalmeddelande",
    ]
    .contains(&core)
}

const FROM_LABELS: [&str; 8] = [
    "from:", "de:", "de :", "von:", "da:", "van:", "från:", "fra:",
];
const SENT_LABELS: [&str; 10] = [
    "sent:",
    "date:",
    "gesendet:",
    "datum:",
    "envoyé :",
    "envoyé:",
    "enviado:",
    "inviato:",
    "verzonden:",
    "skickat:",
];
const SUBJECT_LABELS: [&str; 9] = [
    "subject:",
    "betreff:",
    "objet :",
    "objet:",
    "asunto:",
    "oggetto:",
    "onderwerp:",
    "ämne:",
    "emne:",
];

fn header_label_line(line: &str, labels: &[&str]) -> bool {
    let l = lower_clean(line);
    let l = l.trim_start_matches(['*', ' ']);
    labels.iter().any(|p| l.starts_with(p))
}

/// An Outlook-style quoted header block: "From:" followed within a few lines by a
/// "Sent:"/"Date:" line and a "Subject:" line.
fn is_outlook_header(lines: &[&str], i: usize) -> bool {
    let Some(first) = lines.get(i) else {
        return false;
    };
    if !header_label_line(first, &FROM_LABELS) {
        return false;
    }
    let window = lines.get(i + 1..(i + 7).min(lines.len())).unwrap_or(&[]);
    window.iter().any(|l| header_label_line(l, &SENT_LABELS))
        && window.iter().any(|l| header_label_line(l, &SUBJECT_LABELS))
}

/// Outlook's "________________________________" line right above a quoted header block.
fn is_outlook_separator(lines: &[&str], i: usize) -> bool {
    let Some(line) = lines.get(i) else {
        return false;
    };
    let t = line.trim();
    if t.len() < 10 || !t.chars().all(|c| c == '_') {
        return false;
    }
    let next = lines
        .iter()
        .enumerate()
        .skip(i + 1)
        .take(3)
        .find(|(_, l)| !l.trim().is_empty());
    next.is_some_and(|(j, l)| header_label_line(l, &FROM_LABELS) && is_outlook_header(lines, j))
}

/// How many lines (1–3) a reply attribution starting at line `i` spans.
fn attribution_len(lines: &[&str], i: usize) -> Option<usize> {
    let first = lower_clean(lines.get(i)?);
    if first.is_empty() || first.len() > 300 {
        return None;
    }
    let starters = ["on ", "le ", "am ", "el ", "il ", "op ", "em ", "den "];
    let starts = starters.iter().any(|s| first.starts_with(s));
    let mut joined = first.clone();
    for len in 1..=3 {
        if len > 1 {
            let next = lower_clean(lines.get(i + len - 1)?);
            if next.is_empty() || next.starts_with('>') {
                return None;
            }
            joined.push(' ');
            joined.push_str(&next);
        }
        if is_attribution(&joined, starts) {
            return Some(len);
        }
        if !starts {
            return None;
        }
    }
    None
}

fn is_attribution(l: &str, starts: bool) -> bool {
    let l = l.trim_end();
    let has_detail = l.contains('@') || l.chars().any(|c| c.is_ascii_digit());
    if l.ends_with("wrote:") || l.ends_with("writes:") {
        return starts || has_detail;
    }
    if !starts {
        return false;
    }
    l.ends_with("a écrit :")
        || l.ends_with("a écrit:")
        || (l.starts_with("am ") && l.contains("schrieb") && l.ends_with(':'))
        || l.ends_with("escribió:")
        || l.ends_with("ha scritto:")
        || (l.starts_with("op ") && l.contains("schreef") && l.ends_with(':'))
        || l.ends_with("escreveu:")
        || (l.starts_with("den ") && l.ends_with("skrev:"))
}

fn is_signature_start(line: &str) -> bool {
    if line == "-- " || line.trim_end() == "--" {
        return true;
    }
    let l = lower_clean(line);
    if l.len() > 60 {
        return false;
    }
    [
        "sent from my ",
        "sent from outlook",
        "sent from mail for windows",
        "sent from yahoo mail",
        "sent from samsung",
        "get outlook for ",
        "von meinem iphone gesendet",
        "von meinem ipad gesendet",
        "envoyé de mon iphone",
        "envoyé de mon ipad",
        "enviado desde mi iphone",
        "inviato da iphone",
        "verzonden vanaf mijn iphone",
    ]
    .iter()
    .any(|p| l.starts_with(p))
}

// ------------------------------------------------------------------------------------------
// HTML helpers

fn tag_name(tag: &str) -> &str {
    let inner = tag.trim_start_matches('<').trim_start_matches('/');
    let end = inner
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(inner.len());
    inner.get(..end).unwrap_or("")
}

/// The value of `name=` in a (lower-cased) start tag, quoted or not.
fn attr_value<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let bytes = tag.as_bytes();
    let mut from = 0;
    while let Some(rel) = tag.get(from..).and_then(|s| s.find(name)) {
        let at = from + rel;
        from = at + 1;
        let before_ok = at > 0 && bytes.get(at - 1).is_some_and(u8::is_ascii_whitespace);
        let rest = tag.get(at + name.len()..).unwrap_or("").trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let value = rest.get(1..).unwrap_or("").trim_start();
        return match value.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let body = value.get(1..).unwrap_or("");
                Some(body.get(..body.find(q).unwrap_or(body.len())).unwrap_or(""))
            }
            _ => {
                let end = value
                    .find(|c: char| c.is_whitespace() || c == '>')
                    .unwrap_or(value.len());
                Some(value.get(..end).unwrap_or(""))
            }
        };
    }
    None
}

/// Byte index just after the end tag matching the start tag at `start` (or the input's end).
fn element_end(lower: &str, start: usize, name: &str) -> usize {
    let open = format!("<{name}");
    let close = format!("</{name}");
    let bytes = lower.as_bytes();
    let mut depth = 0usize;
    let mut i = start;
    while let Some(rel) = lower.get(i..).and_then(|s| s.find('<')) {
        let at = i + rel;
        let rest = lower.get(at..).unwrap_or("");
        let boundary = |len: usize| {
            bytes
                .get(at + len)
                .is_none_or(|b| !b.is_ascii_alphanumeric())
        };
        if rest.starts_with(&close) && boundary(close.len()) {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return rest.find('>').map_or(lower.len(), |p| at + p + 1);
            }
        } else if rest.starts_with(&open) && boundary(open.len()) {
            depth += 1;
        }
        i = at + 1;
    }
    lower.len()
}

fn is_forward_html(inner_lower: &str) -> bool {
    [
        "forwarded message",
        "begin forwarded message",
        "weitergeleitete nachricht",
        "message transféré",
        "mensaje reenviado",
    ]
    .iter()
    .any(|m| inner_lower.contains(m))
}

/// Removes a trailing `<hr …>` (and `<div id="appendonsend"></div>`) that Outlook puts
/// above the quoted header block.
fn drop_trailing_separator(out: &mut String) {
    loop {
        let trimmed_len = out.trim_end().len();
        out.truncate(trimmed_len);
        let lower = out.to_ascii_lowercase();
        if lower.ends_with("<div id=\"appendonsend\"></div>") {
            let cut = out.len() - "<div id=\"appendonsend\"></div>".len();
            out.truncate(cut);
            continue;
        }
        if lower.ends_with('>') {
            if let Some(open) = lower.rfind('<') {
                if tag_name(lower.get(open..).unwrap_or("")) == "hr" {
                    out.truncate(open);
                    continue;
                }
            }
        }
        break;
    }
}

/// Converts HTML to readable plain text: block elements become line breaks, `<head>`,
/// `<style>` and `<script>` are dropped, entities are decoded and whitespace collapsed.
fn html_to_text(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len() / 2);
    let mut skip_until: Option<&'static str> = None;
    let mut in_pre = false;
    let mut i = 0;
    while let Some(rest) = html.get(i..) {
        let Some(ch) = rest.chars().next() else {
            break;
        };
        if ch == '<' {
            let lower_rest = lower.get(i..).unwrap_or("");
            if lower_rest.starts_with("<!--") {
                i = lower_rest.find("-->").map_or(html.len(), |p| i + p + 3);
                continue;
            }
            let end = lower_rest.find('>').map_or(html.len(), |p| i + p + 1);
            let tag = lower.get(i..end).unwrap_or("");
            let closing = tag.starts_with("</");
            let name = tag_name(tag);
            i = end;
            if let Some(skip) = skip_until {
                if closing && name == skip {
                    skip_until = None;
                }
                continue;
            }
            match name {
                "head" | "style" | "script" | "title" | "template" if !closing => {
                    skip_until = match name {
                        "head" => Some("head"),
                        "style" => Some("style"),
                        "script" => Some("script"),
                        "title" => Some("title"),
                        _ => Some("template"),
                    };
                }
                "br" => out.push('\n'),
                "pre" => {
                    in_pre = !closing;
                    line_break(&mut out);
                }
                "p" | "div" | "tr" | "li" | "ul" | "ol" | "table" | "blockquote" | "hr" | "h1"
                | "h2" | "h3" | "h4" | "h5" | "h6" | "section" | "article" | "header"
                | "footer" | "dl" | "dt" | "dd" => line_break(&mut out),
                "td" | "th" if !closing && !out.is_empty() && !out.ends_with([' ', '\n']) => {
                    out.push(' ');
                }
                _ => {}
            }
            continue;
        }
        if skip_until.is_some() {
            i += ch.len_utf8();
            continue;
        }
        if ch == '&' {
            if let Some((decoded, len)) = decode_entity(rest) {
                if decoded.is_whitespace() && !in_pre {
                    if !out.ends_with([' ', '\n']) {
                        out.push(' ');
                    }
                } else {
                    out.push(decoded);
                }
                i += len;
                continue;
            }
        }
        if ch.is_whitespace() && !in_pre {
            if !out.is_empty() && !out.ends_with([' ', '\n']) {
                out.push(' ');
            }
        } else {
            out.push(ch);
        }
        i += ch.len_utf8();
    }
    tidy_lines(&normalize_text(&out))
}

fn line_break(out: &mut String) {
    let trimmed = out.trim_end_matches(' ').len();
    out.truncate(trimmed);
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

/// Trims line ends and keeps at most one empty line in a row.
fn tidy_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim().to_string()
}

/// Decodes one `&…;` entity at the start of `s`: the character and the bytes it used.
fn decode_entity(s: &str) -> Option<(char, usize)> {
    let end = s.get(..s.len().min(12))?.find(';')?;
    let body = s.get(1..end)?;
    let ch = if let Some(num) = body.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        char::from_u32(code).filter(|c| *c != '\0')?
    } else {
        match body {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" | "#39" => '\'',
            "nbsp" => ' ',
            "euro" => '€',
            "pound" => '£',
            "yen" => '¥',
            "copy" => '©',
            "reg" => '®',
            "trade" => '™',
            "hellip" => '…',
            "mdash" => '—',
            "ndash" => '–',
            "lsquo" => '‘',
            "rsquo" => '’',
            "ldquo" => '“',
            "rdquo" => '”',
            "laquo" => '«',
            "raquo" => '»',
            "bull" => '•',
            "middot" => '·',
            "deg" => '°',
            "times" => '×',
            "auml" => 'ä',
            "ouml" => 'ö',
            "uuml" => 'ü',
            "Auml" => 'Ä',
            "Ouml" => 'Ö',
            "Uuml" => 'Ü',
            "szlig" => 'ß',
            "eacute" => 'é',
            "egrave" => 'è',
            "agrave" => 'à',
            "ccedil" => 'ç',
            _ => return None,
        }
    };
    Some((ch, end + 1))
}

/// ASCII case-insensitive search of `needle` (given in lower case) from `from`.
fn find_ci(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    (from..=haystack.len() - needle.len()).find(|&i| {
        haystack
            .get(i..i + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
    })
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on purpose"
)]
mod tests {
    use super::*;

    macro_rules! fixture {
        ($name:literal) => {
            include_bytes!(concat!("../../../../server/tests/fixtures/mime/", $name))
        };
    }

    const GMAIL_REPLY: &[u8] = fixture!("gmail_reply.eml");
    const OUTLOOK_REPLY: &[u8] = fixture!("outlook_reply.eml");
    const IPHONE_REPLY: &[u8] = fixture!("iphone_reply.eml");
    const LATIN1: &[u8] = fixture!("latin1_new_ticket.eml");
    const ISO2022JP: &[u8] = fixture!("japanese_iso2022jp.eml");
    const SHIFT_JIS: &[u8] = fixture!("japanese_shift_jis.eml");
    const PDF: &[u8] = fixture!("pdf_attachment.eml");
    const INLINE_IMAGE: &[u8] = fixture!("inline_image.eml");
    const FORWARD: &[u8] = fixture!("gmail_forward.eml");
    const OOO: &[u8] = fixture!("ooo_autoreply.eml");
    const BOUNCE_POSTFIX: &[u8] = fixture!("bounce_postfix.eml");
    const BOUNCE_EXIM: &[u8] = fixture!("bounce_exim.eml");
    const SIGNATURE: &[u8] = fixture!("signature.eml");
    const THUNDERBIRD: &[u8] = fixture!("thunderbird_reply.eml");
    const NO_MESSAGE_ID: &[u8] = fixture!("no_message_id.eml");
    const POSTMARK: &[u8] = fixture!("postmark_inbound.json");

    const ALL_EML: [&[u8]; 15] = [
        GMAIL_REPLY,
        OUTLOOK_REPLY,
        IPHONE_REPLY,
        LATIN1,
        ISO2022JP,
        SHIFT_JIS,
        PDF,
        INLINE_IMAGE,
        FORWARD,
        OOO,
        BOUNCE_POSTFIX,
        BOUNCE_EXIM,
        SIGNATURE,
        THUNDERBIRD,
        NO_MESSAGE_ID,
    ];

    fn parse(bytes: &[u8]) -> ParsedEmail {
        parse_raw(bytes).expect("fixture parses")
    }

    #[test]
    fn fixtures_use_crlf_line_endings() {
        for eml in ALL_EML {
            let lone_lf = eml
                .iter()
                .enumerate()
                .any(|(i, b)| *b == b'\n' && (i == 0 || eml[i - 1] != b'\r'));
            assert!(!lone_lf, "fixture has a bare LF");
        }
    }

    #[test]
    fn gmail_reply() {
        let m = parse(GMAIL_REPLY);
        assert_eq!(
            m.message_id.as_deref(),
            Some("CAF3kQ7pD2vXw8=Yh5eJ2mT+oKq9Rk1ZdWn4aB_uC0sLfG6e8hA@mail.gmail.com")
        );
        assert_eq!(
            m.in_reply_to,
            ["tkt-000123.1764586800.c3d4@support.acme-helpdesk.com"]
        );
        assert_eq!(
            m.references,
            [
                "tkt-000123.1764583200.a1b2@support.acme-helpdesk.com",
                "tkt-000123.1764586800.c3d4@support.acme-helpdesk.com"
            ]
        );
        assert_eq!(m.from_address, "anna.schmidt@gmail.com");
        assert_eq!(m.from_name.as_deref(), Some("Anna Schmidt"));
        assert_eq!(m.to, ["support@acme-helpdesk.com"]);
        assert_eq!(
            m.subject,
            "Re: [TKT-000123] Cannot log in after password reset"
        );
        assert_eq!(ticket_token(&m.subject), Some(123));
        assert_eq!(
            m.date.map(|d| d.to_rfc3339()).as_deref(),
            Some("2026-12-01T10:42:17+00:00")
        );
        assert!(m
            .text
            .contains("> We have sent you a new password reset link"));
        assert!(m.reply_text.contains("the new reset link worked"));
        assert!(m.reply_text.ends_with("Anna"));
        assert!(!m.reply_text.contains("wrote:"));
        assert!(!m.reply_text.contains("valid for 24 hours"));
        let html = m.html.as_deref().unwrap();
        assert!(html.contains("class=\"gmail_quote"));
        let stripped = strip_quoted_html(html);
        assert!(stripped.contains("the new reset link worked"));
        assert!(!stripped.contains("gmail_quote"));
        assert!(!stripped.contains("valid for 24 hours"));
        assert!(m.attachments.is_empty());
        assert!(!m.auto_reply);
        assert!(m.bounce.is_none());
    }

    #[test]
    fn outlook_reply_windows_1252() {
        let m = parse(OUTLOOK_REPLY);
        assert_eq!(
            m.message_id.as_deref(),
            Some("PAXPR02MB72637E1B0D4C2A9F8B3E5C1DA1E42@PAXPR02MB7263.eurprd02.prod.outlook.com")
        );
        assert_eq!(
            m.references,
            ["tkt-000456.1764583200.e5f6@support.acme-helpdesk.com"]
        );
        assert_eq!(m.from_address, "jerome.dupont@contoso.fr");
        assert_eq!(m.from_name.as_deref(), Some("Jérôme Dupont"));
        assert_eq!(m.to, ["support@acme-helpdesk.com", "compta@contoso.fr"]);
        assert_eq!(ticket_token(&m.subject), Some(456));
        assert!(m
            .text
            .contains("Le paiement de 49,99 € a été débité deux fois"));
        assert!(m.text.contains("C’est assez urgent"));
        assert!(m.reply_text.contains("C’est assez urgent, merci."));
        assert!(m.reply_text.ends_with("Jérôme Dupont"));
        assert!(!m.reply_text.contains("____"));
        assert!(!m.reply_text.contains("Sent:"));
        assert!(!m.reply_text.contains("Thank you for contacting us"));
        let html = m.html.as_deref().unwrap();
        assert!(html.contains("49,99 € a été débité"));
        let stripped = strip_quoted_html(html);
        assert!(stripped.contains("C’est assez urgent"));
        assert!(!stripped.contains("divRplyFwdMsg"));
        assert!(!stripped.contains("<hr"));
        assert!(!stripped.contains("Thank you for contacting us"));
        assert!(stripped.trim_end().ends_with("</html>"));
        assert!(!m.auto_reply);
    }

    #[test]
    fn iphone_reply() {
        let m = parse(IPHONE_REPLY);
        assert_eq!(
            m.message_id.as_deref(),
            Some("4E8B2C1A-7D3F-4A9E-B6C5-1F2E3D4C5B6A@icloud.com")
        );
        assert_eq!(
            m.in_reply_to,
            ["tkt-000789.1764583200.0a9b@support.acme-helpdesk.com"]
        );
        assert_eq!(m.subject, "Re: [TKT-000789] Order #5521 not delivered");
        assert_eq!(
            m.reply_text,
            "Still nothing arrived today. Can you send a replacement?"
        );
        assert!(!m.text.contains('\u{feff}'));
        let stripped = strip_quoted_html(m.html.as_deref().unwrap());
        assert!(stripped.contains("Still nothing arrived today"));
        assert!(!stripped.contains("blockquote"));
        assert!(!stripped.contains("handed to the courier"));
    }

    #[test]
    fn latin1_new_ticket() {
        let m = parse(LATIN1);
        assert_eq!(m.subject, "Rechnung für März fehlt");
        assert_eq!(m.from_address, "j.mueller@example.de");
        assert_eq!(m.from_name.as_deref(), Some("Jürgen Müller"));
        assert_eq!(
            m.to,
            ["billing@acme-helpdesk.com", "support@acme-helpdesk.com"]
        );
        assert!(m.text.contains("für den Monat März"));
        assert!(m.text.contains("Grüße aus Köln\nJürgen Müller"));
        assert_eq!(m.reply_text, m.text.trim());
        assert!(m.in_reply_to.is_empty() && m.references.is_empty());
        assert!(m.html.is_none());
        assert_eq!(ticket_token(&m.subject), None);
    }

    #[test]
    fn japanese_iso_2022_jp() {
        let m = parse(ISO2022JP);
        assert_eq!(m.subject, "ログインできません");
        assert_eq!(m.from_name.as_deref(), Some("山田 太郎"));
        assert!(m.text.contains("昨日からアカウントにログインできません。"));
        assert!(m.text.contains("「認証エラー」"));
        assert_eq!(
            m.date.map(|d| d.to_rfc3339()).as_deref(),
            Some("2026-12-01T01:15:20+00:00")
        );
    }

    #[test]
    fn japanese_shift_jis() {
        let m = parse(SHIFT_JIS);
        assert_eq!(m.subject, "請求書の再発行について");
        assert_eq!(m.from_name.as_deref(), Some("佐藤 花子"));
        assert!(m.text.contains("11月分の請求書を紛失してしまいました。"));
        assert!(m.text.contains("￥12,800"));
        assert!(m.reply_text.ends_with("佐藤 花子"));
    }

    #[test]
    fn pdf_and_csv_attachments() {
        let m = parse(PDF);
        assert_eq!(m.from_address, "peter.novak@example.org");
        assert!(m.text.contains("DE811907980"));
        assert!(!m.text.contains("JVBERi0"));
        assert_eq!(m.attachments.len(), 2);
        let pdf = &m.attachments[0];
        assert_eq!(pdf.filename, "invoice-2026-11.pdf");
        assert_eq!(pdf.content_type, "application/pdf");
        assert!(!pdf.inline);
        assert_eq!(pdf.content_id, None);
        assert_eq!(pdf.data.len(), 613);
        assert!(pdf.data.starts_with(b"%PDF-1.4"));
        assert!(pdf.data.ends_with(b"%%EOF\n"));
        let csv = &m.attachments[1];
        assert_eq!(csv.filename, "orders.csv");
        assert_eq!(csv.content_type, "text/csv");
        // Original windows-1252 bytes, not re-encoded: "Müller" has 0xFC, "€" is 0x80.
        assert!(csv
            .data
            .starts_with(b"order;customer;total\r\n5521;M\xfcller"));
        assert!(csv.data.ends_with(b"89,90 \x80\r\n"));
        assert_eq!(m.attachments_skipped, 0);
    }

    #[test]
    fn inline_image_related() {
        let m = parse(INLINE_IMAGE);
        let html = m.html.as_deref().unwrap();
        assert!(html.contains("src=\"cid:7A1C2E3F-4B5D-4E6F-8A9B-0C1D2E3F4A5B\""));
        assert!(m.text.contains("[screenshot.png]"));
        assert_eq!(m.attachments.len(), 1);
        let img = &m.attachments[0];
        assert_eq!(img.filename, "screenshot.png");
        assert_eq!(img.content_type, "image/png");
        assert_eq!(
            img.content_id.as_deref(),
            Some("7A1C2E3F-4B5D-4E6F-8A9B-0C1D2E3F4A5B")
        );
        assert!(img.inline);
        assert_eq!(img.data.len(), 73);
        assert!(img.data.starts_with(b"\x89PNG\r\n\x1a\n"));
    }

    #[test]
    fn forwarded_content_is_kept() {
        let m = parse(FORWARD);
        assert_eq!(m.subject, "Fwd: Refund request for order 8841");
        assert!(m.reply_text.starts_with("Hi team, please handle this one"));
        assert!(m
            .reply_text
            .contains("---------- Forwarded message ---------"));
        assert!(m
            .reply_text
            .contains("From: Carlos Méndez <carlos.mendez@example.mx>"));
        assert!(m.reply_text.contains("cracked jug"));
        assert!(m.reply_text.ends_with("Sent from my iPhone"));
        let stripped = strip_quoted_html(m.html.as_deref().unwrap());
        assert!(stripped.contains("cracked jug"));
        assert!(stripped.contains("Forwarded message"));
    }

    #[test]
    fn out_of_office() {
        let m = parse(OOO);
        assert!(m.auto_reply);
        assert!(m.bounce.is_none());
        assert_eq!(ticket_token(&m.subject), Some(321));
        assert!(m.reply_text.contains("out of the office until Monday"));
        assert_eq!(
            m.in_reply_to,
            ["tkt-000321.1764583200.9c8d@support.acme-helpdesk.com"]
        );
        // The subject alone is enough, and Auto-Submitted: no is not an auto reply.
        assert!(is_auto_reply(|_| None, "Automatic reply: Hello"));
        assert!(is_auto_reply(|_| None, "Out of Office: back Monday"));
        assert!(!is_auto_reply(
            |n| (n == "Auto-Submitted").then(|| "no".to_string()),
            "Question"
        ));
        assert!(is_auto_reply(
            |n| (n == "Precedence").then(|| "bulk".to_string()),
            "Newsletter"
        ));
        assert!(is_auto_reply(
            |n| (n == "X-Autorespond").then(|| "Sorry".to_string()),
            "Re: hi"
        ));
    }

    #[test]
    fn bounce_postfix_dsn() {
        let m = parse(BOUNCE_POSTFIX);
        assert_eq!(m.from_address, "mailer-daemon@mail.acme-helpdesk.com");
        assert_eq!(m.from_name.as_deref(), Some("Mail Delivery System"));
        let b = m.bounce.expect("bounce");
        assert_eq!(
            b.original_message_id.as_deref(),
            Some("tkt-000555.1764583206.7f3a@support.acme-helpdesk.com")
        );
        assert_eq!(b.recipient.as_deref(), Some("no.such.user@example.net"));
        assert_eq!(b.status.as_deref(), Some("5.1.1"));
        assert!(b.reason.starts_with("550 5.1.1"), "{}", b.reason);
        assert!(b.reason.contains("User unknown in virtual mailbox table"));
        assert!(m.attachments.is_empty(), "report parts are not attachments");
        assert!(m.auto_reply);
        assert!(m.text.contains("could not\nbe delivered"));
    }

    #[test]
    fn bounce_exim_with_rfc822() {
        let m = parse(BOUNCE_EXIM);
        let b = m.bounce.expect("bounce");
        assert_eq!(
            b.original_message_id.as_deref(),
            Some("tkt-000556.1764583500.2b1c@support.acme-helpdesk.com")
        );
        assert_eq!(b.recipient.as_deref(), Some("old.customer@example.com"));
        assert_eq!(b.status.as_deref(), Some("5.2.2"));
        assert_eq!(b.reason, "552 5.2.2 mailbox full");
        assert!(m.attachments.is_empty());
        assert!(!m.text.contains("your ticket TKT-000556 was updated"));
    }

    #[test]
    fn signature_is_stripped() {
        let m = parse(SIGNATURE);
        assert_eq!(ticket_token(&m.subject), Some(77));
        assert_eq!(
            m.to,
            ["support@acme-helpdesk.com", "ops-team@example.co.uk"]
        );
        assert!(m.text.contains("+44 20 7946 0958"));
        assert!(m
            .reply_text
            .contains("\"401 Unauthorized\" for every request."));
        assert!(!m.reply_text.contains("Ravi Patel"));
        assert!(!m.reply_text.contains("+44 20"));
        assert!(!m.reply_text.contains("-- "));
    }

    #[test]
    fn thunderbird_reply() {
        let m = parse(THUNDERBIRD);
        assert_eq!(
            m.message_id.as_deref(),
            Some("3b8c1d2e-9f0a-4b5c-8d7e-6f5a4b3c2d1e@parts-supplier.se")
        );
        assert_eq!(
            m.references,
            ["sc-k3J9xQ2mP7vR.1764583200@support.acme-helpdesk.com"]
        );
        assert_eq!(side_token(&m.subject).as_deref(), Some("k3J9xQ2mP7vR"));
        assert_eq!(ticket_token(&m.subject), None);
        assert!(m.reply_text.starts_with("Hi,"));
        assert!(m.reply_text.ends_with("Sofia"));
        assert!(!m.reply_text.contains("wrote:"));
        assert!(!m.reply_text.contains("44-A17"));
        let stripped = strip_quoted_html(m.html.as_deref().unwrap());
        assert!(stripped.contains("ship 12 units"));
        assert!(!stripped.contains("moz-cite-prefix"));
        assert!(!stripped.contains("44-A17"));
    }

    #[test]
    fn no_message_id_html_only() {
        let m = parse(NO_MESSAGE_ID);
        assert_eq!(m.message_id, None);
        assert_eq!(m.from_address, "noreply@acme-shop.com");
        assert_eq!(m.reply_to.as_deref(), Some("hannah.lee@example.com"));
        assert!(m.html.as_deref().unwrap().starts_with("<html>"));
        assert!(m.text.starts_with("New contact form submission"));
        assert!(m.text.contains("Name: Hannah Lee"));
        assert!(m
            .text
            .contains("rejected at checkout & the total stays at €80."));
        assert!(!m.text.contains('<'));
        assert_eq!(
            m.date.map(|d| d.to_rfc3339()).as_deref(),
            Some("2026-12-01T09:14:03+00:00")
        );
    }

    #[test]
    fn postmark_inbound_json() {
        let m = parse_postmark_json(POSTMARK).unwrap();
        assert_eq!(
            m.message_id.as_deref(),
            Some("CAGXpo2UmQ4b3N8t6hW=Zr1aKx0JcPq7v9s@mail.gmail.com")
        );
        assert_eq!(
            m.in_reply_to,
            ["tkt-000123.1764586800.c3d4@support.acme-helpdesk.com"]
        );
        assert_eq!(m.references.len(), 2);
        assert_eq!(m.from_address, "priya.raman@example.com");
        assert_eq!(m.from_name.as_deref(), Some("Priya Raman"));
        assert_eq!(
            m.to,
            ["support+ticket123@acme-helpdesk.com", "ops@example.com"]
        );
        assert_eq!(ticket_token(&m.subject), Some(123));
        assert_eq!(
            m.date.map(|d| d.to_rfc3339()).as_deref(),
            Some("2026-12-01T10:05:59+00:00")
        );
        assert!(m.reply_text.ends_with("Thanks,\nPriya"));
        assert!(!m.reply_text.contains("deployed a fix"));
        assert_eq!(m.attachments.len(), 2);
        let png = &m.attachments[0];
        assert_eq!(png.filename, "export-error.png");
        assert_eq!(png.content_id.as_deref(), Some("ii_m3xq9z0a0"));
        assert!(png.inline);
        assert_eq!(png.data.len(), 73);
        let log = &m.attachments[1];
        assert_eq!(log.content_type, "text/plain");
        assert!(!log.inline);
        assert!(log.data.starts_with(b"2026-12-01T09:58:03Z export"));
        assert!(!m.auto_reply);
        assert!(m.bounce.is_none());
    }

    #[test]
    fn postmark_errors() {
        assert_eq!(parse_postmark_json(b"  "), Err(ParseError::Empty));
        assert!(matches!(
            parse_postmark_json(b"{\"From\": "),
            Err(ParseError::BadJson(_))
        ));
        assert!(matches!(
            parse_postmark_json(b"[1,2]"),
            Err(ParseError::BadJson(_))
        ));
        assert_eq!(
            parse_postmark_json(b"{\"Subject\":\"hi\"}"),
            Err(ParseError::NoSender)
        );
        let m = parse_postmark_json(
            br#"{"From":"\"Bob\" <Bob@Example.com>","Subject":"x","TextBody":"hi","HtmlBody":null}"#,
        )
        .unwrap();
        assert_eq!(m.from_address, "bob@example.com");
        assert_eq!(m.message_id, None);
    }

    #[test]
    fn raw_errors() {
        assert_eq!(parse_raw(b""), Err(ParseError::Empty));
        assert_eq!(parse_raw(b"\r\n \r\n"), Err(ParseError::Empty));
        assert_eq!(
            parse_raw(b"just some words, not a message"),
            Err(ParseError::NotAnEmail)
        );
        assert_eq!(
            parse_raw(b"Subject: hello\r\nTo: a@b.example\r\n\r\nbody\r\n"),
            Err(ParseError::NoSender)
        );
        assert_eq!(
            ParseError::BadJson("x".into()).to_string(),
            "the inbound JSON could not be read: x"
        );
    }

    #[test]
    fn strip_quoted_text_variants() {
        let outlook = "Fine by me.\r\n\r\n-----Original Message-----\r\nFrom: A\r\nSent: today\r\nSubject: x\r\n\r\nold";
        assert_eq!(strip_quoted_text(outlook), "Fine by me.");
        let block =
            "Ok.\n\nFrom: Support <s@x.com>\nSent: Tuesday\nTo: me\nSubject: Re: x\n\nold text";
        assert_eq!(strip_quoted_text(block), "Ok.");
        let french =
            "Merci !\n\nLe mar. 1 déc. 2026 à 10:00, Support <s@x.com> a\u{a0}écrit :\n> avant";
        assert_eq!(strip_quoted_text(french), "Merci !");
        let german = "Danke.\n\nAm 01.12.2026 um 10:00 schrieb Support <s@x.com>:\n> vorher";
        assert_eq!(strip_quoted_text(german), "Danke.");
        let wrapped = "Thanks\n\nOn Tue, 1 Dec 2026 at 10:00, Some Very Long Support Name <\nsupport@acme-helpdesk.com> wrote:\n\n> old";
        assert_eq!(strip_quoted_text(wrapped), "Thanks");
        let android = "Yes please\n\nGet Outlook for Android\n\nFrom: x";
        assert_eq!(strip_quoted_text(android), "Yes please");
        let bottom =
            "On Tue, 1 Dec 2026 at 10:00, Support <s@x.com> wrote:\n> question?\n\nMy answer.";
        assert_eq!(strip_quoted_text(bottom), "My answer.");
        let interleaved = "> q1\nanswer 1\n> q2\nanswer 2";
        assert_eq!(strip_quoted_text(interleaved), "answer 1\nanswer 2");
        let apple_fwd =
            "FYI\n\nBegin forwarded message:\n\n> From: A <a@x.com>\n> Subject: hi\n> body";
        assert!(strip_quoted_text(apple_fwd).contains("> body"));
        let sig_then_fwd =
            "See below.\n-- \nDana\n\n---------- Forwarded message ---------\nFrom: x\n\nkeep me";
        let s = strip_quoted_text(sig_then_fwd);
        assert!(s.starts_with("See below.") && s.contains("keep me") && !s.contains("Dana"));
        // A forward inside quoted history (below a signature and an Outlook block) is not kept.
        let quoted_fwd = "Thanks\n-- \nBob\n\nFrom: X <x@y.com>\nSent: Monday\nSubject: y\n\n---------- Forwarded message ---------\nold";
        assert_eq!(strip_quoted_text(quoted_fwd), "Thanks");
        // Outlook forward (no marker line): the subject says it is a forward, so it is kept.
        let outlook_fwd = "Please look.\n\n________________________________\nFrom: C <c@x.com>\nSent: Monday\nTo: me\nSubject: broken\n\nThe app is broken.";
        assert_eq!(strip_text(outlook_fwd, false), "Please look.");
        assert!(strip_text(outlook_fwd, true).ends_with("The app is broken."));
        assert_eq!(strip_quoted_text("> only a quote"), "> only a quote");
        assert_eq!(strip_quoted_text(""), "");
    }

    #[test]
    fn strip_quoted_html_variants() {
        let gmail = "<div>New</div><div class=\"gmail_quote\"><div>On x wrote:</div><blockquote class=\"gmail_quote\"><div>old</div></blockquote></div><p>after</p>";
        assert_eq!(strip_quoted_html(gmail), "<div>New</div><p>after</p>");
        let cite = "<p>Yes</p><blockquote type=cite><blockquote type=\"cite\">deep</blockquote>old</blockquote>";
        assert_eq!(strip_quoted_html(cite), "<p>Yes</p>");
        let unclosed = "<p>a</p><blockquote type=\"cite\"><p>never closed";
        assert_eq!(strip_quoted_html(unclosed), "<p>a</p>");
        let plain = "<p>Nothing quoted</p>";
        assert_eq!(strip_quoted_html(plain), plain);
        assert_eq!(strip_quoted_html("<"), "<");
        assert_eq!(strip_quoted_html("<div class=\"gmail_quote\""), "");
    }

    #[test]
    fn tokens() {
        assert_eq!(ticket_token("Re: [TKT-000123] Login"), Some(123));
        assert_eq!(ticket_token("question about tkt-45 please"), Some(45));
        assert_eq!(ticket_token("[Tkt-7]"), Some(7));
        assert_eq!(ticket_token("XTKT-12 no"), None);
        assert_eq!(ticket_token("TKT-12abc"), None);
        assert_eq!(ticket_token("TKT-"), None);
        assert_eq!(ticket_token("TKT-99999999999"), None);
        assert_eq!(ticket_token("TKT-x then TKT-9"), Some(9));
        assert_eq!(ticket_token("Grüße TKT-5 ü"), Some(5));
        assert_eq!(
            side_token("Re: [SC-abcDEF12] x").as_deref(),
            Some("abcDEF12")
        );
        assert_eq!(
            side_token("[sc-ABCDEFGH1234]").as_deref(),
            Some("ABCDEFGH1234")
        );
        assert_eq!(side_token("[SC-short] x"), None);
        assert_eq!(side_token("[SC-abc-def-ghi]"), None);
        assert_eq!(side_token(&format!("[SC-{}]", "a".repeat(65))), None);
        assert_eq!(
            side_token(&format!("[SC-{}]", "a".repeat(64))).map(|t| t.len()),
            Some(64)
        );
        assert_eq!(side_token("[SC-abcdefgh"), None);
    }

    #[test]
    fn message_id_lists() {
        assert_eq!(message_ids("<a@b> <c@d>"), ["a@b", "c@d"]);
        assert_eq!(message_ids("\r\n <a@b>\r\n\t<c@d>"), ["a@b", "c@d"]);
        assert_eq!(message_ids("<a@b>,<c@d> (comment)"), ["a@b", "c@d"]);
        assert_eq!(message_ids("bare@id other@id"), ["bare@id", "other@id"]);
        assert_eq!(message_ids("<a@b> <unclosed"), ["a@b"]);
        assert!(message_ids("").is_empty());
        assert!(message_ids("<>").is_empty());
    }

    #[test]
    fn html_to_text_basics() {
        assert_eq!(
            html_to_text("<html><head><title>t</title><style>p{}</style></head><body><p>A &amp; B</p><div>C&nbsp;D</div>E<br>F &#8364; &#x20AC; &bogus; &</body></html>"),
            "A & B\nC D\nE\nF € € &bogus; &"
        );
        assert_eq!(html_to_text("<pre>a\n  b</pre>x"), "a\n  b\nx");
        assert_eq!(html_to_text("<!-- c --><p>x</p><!-- unclosed"), "x");
    }

    #[test]
    fn attachment_caps() {
        let mut caps = Caps::default();
        for _ in 0..60 {
            caps.push(ParsedAttachment {
                data: vec![0; 10],
                ..ParsedAttachment::default()
            });
        }
        assert_eq!((caps.kept.len(), caps.skipped), (MAX_ATTACHMENTS, 10));
        let mut caps = Caps::default();
        for size in [MAX_ATTACHMENT_BYTES - 5, 10, 5] {
            caps.push(ParsedAttachment {
                data: vec![0; size],
                ..ParsedAttachment::default()
            });
        }
        assert_eq!((caps.kept.len(), caps.skipped), (2, 1));
        assert_eq!(caps.total, MAX_ATTACHMENT_BYTES);
    }

    #[test]
    fn many_attachments_in_one_message() {
        let mut eml = String::from(
            "From: a@b.example\r\nSubject: many\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nbody\r\n",
        );
        for n in 0..55 {
            eml.push_str(&format!(
                "--XX\r\nContent-Type: application/octet-stream; name=\"f{n}.bin\"\r\nContent-Disposition: attachment; filename=\"f{n}.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n"
            ));
        }
        eml.push_str("--XX--\r\n");
        let m = parse(eml.as_bytes());
        assert_eq!(m.text, "body");
        assert_eq!(m.attachments.len(), 50);
        assert_eq!(m.attachments_skipped, 5);
        assert_eq!(m.attachments[0].data, [0, 1, 2]);
        assert_eq!(m.attachments[49].filename, "f49.bin");
    }

    #[test]
    fn qp_and_base64_helpers() {
        assert_eq!(
            decode_quoted_printable(b"a=3Db=\r\nc=\nd=ZZ="),
            b"a=bcd=ZZ="
        );
        assert_eq!(decode_base64(b"AAEC\r\nAw==").unwrap(), [0, 1, 2, 3]);
        assert_eq!(decode_base64(b"QQ").unwrap(), b"A");
    }

    /// Tiny xorshift PRNG so the robustness test is deterministic.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    fn exercise(bytes: &[u8], with_text: bool) {
        // The inner function has no catch_unwind, so a panic fails the test.
        let _ = parse_raw_inner(bytes);
        if with_text {
            let text = String::from_utf8_lossy(bytes);
            let _ = strip_quoted_text(&text);
            let _ = strip_quoted_html(&text);
            let _ = html_to_text(&text);
            let _ = ticket_token(&text);
            let _ = side_token(&text);
            let _ = message_ids(&text);
        }
    }

    #[test]
    fn truncated_input_never_panics() {
        for eml in ALL_EML.iter().copied().chain([POSTMARK]) {
            for cut in 0..=eml.len() {
                exercise(&eml[..cut], cut % 4 == 0);
                exercise(&eml[cut..], cut % 4 == 2);
            }
        }
        for cut in 0..=POSTMARK.len() {
            let _ = parse_postmark_json(&POSTMARK[..cut]);
        }
    }

    #[test]
    fn corrupted_input_never_panics() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for eml in ALL_EML.iter().copied().chain([POSTMARK]) {
            for _ in 0..300 {
                let mut copy = eml.to_vec();
                let flips = 1 + rng.next() % 8;
                for _ in 0..flips {
                    let at = usize::try_from(rng.next() % copy.len() as u64).unwrap();
                    copy[at] ^= u8::try_from(rng.next() & 0xFF).unwrap().max(1);
                }
                exercise(&copy, true);
            }
        }
        for _ in 0..300 {
            let mut copy = POSTMARK.to_vec();
            let at = usize::try_from(rng.next() % copy.len() as u64).unwrap();
            copy[at] = u8::try_from(rng.next() & 0x7F).unwrap();
            let _ = parse_postmark_json(&copy);
        }
    }
}
