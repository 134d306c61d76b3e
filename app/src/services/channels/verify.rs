//! Webhook signatures and destinations: verifies the HMAC signatures that providers (GitHub,
//! Slack, Stripe, Twilio, Shopify, Mailgun) put on inbound webhooks, signs Switchboard's own
//! outbound webhooks, and refuses outbound webhook URLs that point at private networks (SSRF).
//!
//! Everything here is pure: no clock, no DNS, no I/O. Callers pass `now_secs` and the addresses
//! they resolved, which keeps the checks deterministic and testable.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use base64::Engine as _;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Sha256, Sha512};

// ------------------------------------------------------------------------------------------
// Part 1: the general API
// ------------------------------------------------------------------------------------------

/// The hash function inside the HMAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// HMAC-SHA1 (Twilio). Still sound as a MAC, though not as a plain hash.
    Sha1,
    /// HMAC-SHA256 (almost everyone, Switchboard included).
    Sha256,
    /// HMAC-SHA512.
    Sha512,
}

impl Algorithm {
    /// Length in bytes of this algorithm's MAC (20, 32 or 64).
    #[must_use]
    pub const fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha512 => 64,
        }
    }
}

/// How the signature is written in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Hexadecimal; either letter case is accepted.
    Hex,
    /// Standard base64 (RFC 4648 alphabet, with padding).
    Base64,
}

/// One expected signature scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Scheme {
    /// The HMAC hash function.
    pub algorithm: Algorithm,
    /// How the MAC is encoded in the header.
    pub encoding: Encoding,
    /// A literal the header value must start with, e.g. `"sha256="` or `"v0="`; matched without
    /// regard to ASCII case. `None` when the header carries the bare encoded MAC.
    pub prefix: Option<&'static str>,
}

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerifyError {
    /// The signature or timestamp header is empty, or no signing secret is configured.
    Missing,
    /// The header is present but not in the expected shape: wrong prefix, bad hex/base64, a
    /// MAC of the wrong length, or an unparsable timestamp.
    Malformed,
    /// The header is well formed but the MAC does not match this secret and body.
    Mismatch,
    /// The signature matches but the timestamp is older than the tolerance allows.
    Stale {
        /// How many seconds old the timestamp is.
        age_secs: i64,
    },
    /// The signature matches but the timestamp is further in the future than the tolerance
    /// allows.
    FromFuture {
        /// How many seconds ahead of our clock the timestamp is.
        ahead_secs: i64,
    },
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing => f.write_str(
                "webhook signature missing: the signature or timestamp header is empty, or no \
                 signing secret is configured; check the header name and that no proxy strips it",
            ),
            Self::Malformed => f.write_str(
                "webhook signature malformed: the header does not have the expected prefix, \
                 encoding (hex/base64) or length for this provider; pass the raw header value",
            ),
            Self::Mismatch => f.write_str(
                "webhook signature mismatch: check the signing secret, and verify the raw request \
                 body exactly as received (not re-serialized JSON, not a decoded form)",
            ),
            Self::Stale { age_secs } => write!(
                f,
                "webhook timestamp is {age_secs}s old, outside the allowed window: a replayed \
                 request, a long-delayed retry, or this server's clock is behind"
            ),
            Self::FromFuture { ahead_secs } => write!(
                f,
                "webhook timestamp is {ahead_secs}s in the future, outside the allowed window: \
                 check this server's clock (NTP)"
            ),
        }
    }
}

impl std::error::Error for VerifyError {}

/// Computes the raw HMAC of `message` under `secret`.
#[must_use]
pub fn sign(algorithm: Algorithm, secret: &[u8], message: &[u8]) -> Vec<u8> {
    sign_parts(algorithm, secret, &[message])
}

/// Checks `provided` (a header value) against the HMAC of `message` under `secret`.
///
/// Surrounding whitespace is trimmed, the scheme's prefix is stripped (ASCII case-insensitive),
/// the rest is decoded, and the MAC is compared in constant time. A MAC of any other length
/// than the algorithm's (a truncated one, say) is refused, and so is an empty `secret`: an
/// unset secret must not become a key anyone can sign with.
///
/// # Errors
///
/// [`VerifyError::Missing`] for an empty header or secret, [`VerifyError::Malformed`] for a
/// wrong prefix, bad encoding or wrong length, [`VerifyError::Mismatch`] when the MAC differs.
pub fn verify(
    scheme: &Scheme,
    secret: &[u8],
    message: &[u8],
    provided: &str,
) -> Result<(), VerifyError> {
    verify_parts(scheme, secret, &[message], provided)
}

/// Checks that `ts_secs` lies within `tolerance_secs` of `now_secs`, in either direction
/// (a negative tolerance counts as zero).
///
/// # Errors
///
/// [`VerifyError::Stale`] when the timestamp is too old, [`VerifyError::FromFuture`] when it is
/// too far ahead.
pub fn check_timestamp(
    ts_secs: i64,
    now_secs: i64,
    tolerance_secs: i64,
) -> Result<(), VerifyError> {
    let tolerance = tolerance_secs.max(0);
    let age = now_secs.saturating_sub(ts_secs);
    if age > tolerance {
        Err(VerifyError::Stale { age_secs: age })
    } else if age < -tolerance {
        Err(VerifyError::FromFuture {
            ahead_secs: age.saturating_neg(),
        })
    } else {
        Ok(())
    }
}

// ------------------------------------------------------------------------------------------
// Part 1: provider helpers
// ------------------------------------------------------------------------------------------

/// Slack's documented replay window: five minutes.
pub const SLACK_TOLERANCE_SECS: i64 = 300;

/// The replay window applied to Mailgun's `timestamp` field: five minutes.
pub const MAILGUN_TOLERANCE_SECS: i64 = 300;

/// The replay window Switchboard tells its receivers to apply: five minutes.
pub const SWITCHBOARD_TOLERANCE_SECS: i64 = 300;

const GITHUB: Scheme = Scheme {
    algorithm: Algorithm::Sha256,
    encoding: Encoding::Hex,
    prefix: Some("sha256="),
};

const SLACK: Scheme = Scheme {
    algorithm: Algorithm::Sha256,
    encoding: Encoding::Hex,
    prefix: Some("v0="),
};

const BARE_HEX_SHA256: Scheme = Scheme {
    algorithm: Algorithm::Sha256,
    encoding: Encoding::Hex,
    prefix: None,
};

const BASE64_SHA256: Scheme = Scheme {
    algorithm: Algorithm::Sha256,
    encoding: Encoding::Base64,
    prefix: None,
};

const TWILIO: Scheme = Scheme {
    algorithm: Algorithm::Sha1,
    encoding: Encoding::Base64,
    prefix: None,
};

/// Switchboard's own outbound scheme, also GitHub's: `sha256=` + hex HMAC-SHA256.
const SWITCHBOARD: Scheme = GITHUB;

/// GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`.
///
/// # Errors
///
/// As [`verify`].
pub fn verify_github(
    secret: &[u8],
    body: &[u8],
    header_x_hub_signature_256: &str,
) -> Result<(), VerifyError> {
    verify(&GITHUB, secret, body, header_x_hub_signature_256)
}

/// Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:{timestamp}:{body}">`, where the
/// timestamp is the `X-Slack-Request-Timestamp` header, which must be within five minutes of
/// `now_secs`.
///
/// # Errors
///
/// As [`verify`]; [`VerifyError::Missing`] or [`VerifyError::Malformed`] for an empty or
/// non-numeric timestamp; [`VerifyError::Stale`] / [`VerifyError::FromFuture`] outside the
/// window (reported only once the signature matched).
pub fn verify_slack(
    secret: &[u8],
    body: &[u8],
    timestamp_header: &str,
    signature_header: &str,
    now_secs: i64,
) -> Result<(), VerifyError> {
    let ts_text = timestamp_header.trim();
    let ts = parse_unix_secs(ts_text)?;
    verify_parts(
        &SLACK,
        secret,
        &[b"v0:", ts_text.as_bytes(), b":", body],
        signature_header,
    )?;
    check_timestamp(ts, now_secs, SLACK_TOLERANCE_SECS)
}

/// Stripe: `Stripe-Signature: t=<unix secs>,v1=<hex>[,v1=<hex>…]`, each `v1` a hex
/// HMAC-SHA256 of `"{t}.{body}"` under the endpoint's `whsec_…` secret (used as is). Any one
/// matching `v1` suffices (Stripe sends several while a secret is being rolled); other schemes
/// (`v0`) are ignored.
///
/// # Errors
///
/// [`VerifyError::Missing`] for an empty header, [`VerifyError::Malformed`] when `t` or every
/// `v1` is absent or unreadable, [`VerifyError::Mismatch`] when no `v1` matches, then
/// [`VerifyError::Stale`] / [`VerifyError::FromFuture`] outside `tolerance_secs`.
pub fn verify_stripe(
    secret: &[u8],
    body: &[u8],
    stripe_signature_header: &str,
    now_secs: i64,
    tolerance_secs: i64,
) -> Result<(), VerifyError> {
    let header = stripe_signature_header.trim();
    if header.is_empty() {
        return Err(VerifyError::Missing);
    }
    let mut timestamp: Option<&str> = None;
    let mut candidates: Vec<&str> = Vec::new();
    for item in header.split(',') {
        let Some((key, value)) = item.split_once('=') else {
            continue;
        };
        match key.trim() {
            "t" if timestamp.is_some() => return Err(VerifyError::Malformed),
            "t" => timestamp = Some(value.trim()),
            "v1" => candidates.push(value.trim()),
            _ => {}
        }
    }
    let ts_text = timestamp.ok_or(VerifyError::Malformed)?;
    let ts = parse_unix_secs(ts_text).map_err(|_| VerifyError::Malformed)?;
    if candidates.is_empty() {
        return Err(VerifyError::Malformed);
    }
    let parts: [&[u8]; 3] = [ts_text.as_bytes(), b".", body];
    let mut outcome = Err(VerifyError::Malformed);
    for candidate in candidates {
        match verify_parts(&BARE_HEX_SHA256, secret, &parts, candidate) {
            Ok(()) => {
                outcome = Ok(());
                break;
            }
            Err(VerifyError::Malformed) => {}
            Err(other) => outcome = Err(other),
        }
    }
    outcome?;
    check_timestamp(ts, now_secs, tolerance_secs)
}

/// Twilio: `X-Twilio-Signature: <base64 HMAC-SHA1>` of the full request URL (exactly as Twilio
/// requested it, query string included) followed by every POST parameter as `name` + `value`,
/// sorted by name (byte order), with no delimiters. Pass the form-*decoded* parameters. Like
/// Twilio's SDKs, repeated parameters are sorted by value and exact duplicates counted once.
///
/// # Errors
///
/// As [`verify`].
pub fn verify_twilio(
    auth_token: &[u8],
    full_url: &str,
    form_params: &[(String, String)],
    x_twilio_signature: &str,
) -> Result<(), VerifyError> {
    let mut pairs: Vec<(&str, &str)> = form_params
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut parts: Vec<&[u8]> = Vec::with_capacity(1 + 2 * pairs.len());
    parts.push(full_url.as_bytes());
    for (name, value) in &pairs {
        parts.push(name.as_bytes());
        parts.push(value.as_bytes());
    }
    verify_parts(&TWILIO, auth_token, &parts, x_twilio_signature)
}

/// Shopify: `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the raw body>` under the app's
/// client secret.
///
/// # Errors
///
/// As [`verify`].
pub fn verify_shopify(
    secret: &[u8],
    body: &[u8],
    x_shopify_hmac_sha256: &str,
) -> Result<(), VerifyError> {
    verify(&BASE64_SHA256, secret, body, x_shopify_hmac_sha256)
}

/// Mailgun: the `signature` object in the event body; `signature` is the hex HMAC-SHA256 of
/// `timestamp` + `token` (no separator) under the webhook signing key, and `timestamp` must be
/// within five minutes of `now_secs`. (Also remember used tokens to refuse replays.)
///
/// # Errors
///
/// As [`verify`]; [`VerifyError::Missing`] for an empty token or timestamp,
/// [`VerifyError::Malformed`] for a non-numeric timestamp, then [`VerifyError::Stale`] /
/// [`VerifyError::FromFuture`] outside the window.
pub fn verify_mailgun(
    signing_key: &[u8],
    timestamp: &str,
    token: &str,
    signature: &str,
    now_secs: i64,
) -> Result<(), VerifyError> {
    let ts_text = timestamp.trim();
    let ts = parse_unix_secs(ts_text)?;
    let token = token.trim();
    if token.is_empty() {
        return Err(VerifyError::Missing);
    }
    verify_parts(
        &BARE_HEX_SHA256,
        signing_key,
        &[ts_text.as_bytes(), token.as_bytes()],
        signature,
    )?;
    check_timestamp(ts, now_secs, MAILGUN_TOLERANCE_SECS)
}

/// Switchboard's own scheme (see [`switchboard_signature`]): `X-Switchboard-Signature` must be
/// `sha256=` + hex HMAC-SHA256 of `"{X-Switchboard-Timestamp}.{body}"`, and the timestamp within
/// `tolerance_secs` of `now_secs` (receivers are told to use [`SWITCHBOARD_TOLERANCE_SECS`]).
///
/// # Errors
///
/// As [`verify`]; [`VerifyError::Missing`] / [`VerifyError::Malformed`] for an empty or
/// non-numeric timestamp, then [`VerifyError::Stale`] / [`VerifyError::FromFuture`].
pub fn verify_switchboard(
    secret: &[u8],
    body: &[u8],
    timestamp_header: &str,
    signature_header: &str,
    now_secs: i64,
    tolerance_secs: i64,
) -> Result<(), VerifyError> {
    let ts_text = timestamp_header.trim();
    let ts = parse_unix_secs(ts_text)?;
    verify_parts(
        &SWITCHBOARD,
        secret,
        &[ts_text.as_bytes(), b".", body],
        signature_header,
    )?;
    check_timestamp(ts, now_secs, tolerance_secs)
}

// ------------------------------------------------------------------------------------------
// Part 2: outbound signing
// ------------------------------------------------------------------------------------------

/// `X-Switchboard-Signature` value: "sha256=" + hex HMAC-SHA256(secret, "{timestamp}.{body}").
#[must_use]
pub fn switchboard_signature(secret: &[u8], timestamp_secs: i64, body: &[u8]) -> String {
    let ts = timestamp_secs.to_string();
    let mac = sign_parts(Algorithm::Sha256, secret, &[ts.as_bytes(), b".", body]);
    format!("sha256={}", hex::encode(mac))
}

// ------------------------------------------------------------------------------------------
// Internals
// ------------------------------------------------------------------------------------------

/// A keyed MAC that has absorbed `parts` in order (as if they were concatenated).
fn keyed<M: Mac + KeyInit>(secret: &[u8], parts: &[&[u8]]) -> Option<M> {
    // HMAC takes keys of any length, so this never fails in practice.
    let mut mac = <M as KeyInit>::new_from_slice(secret).ok()?;
    for part in parts {
        mac.update(part);
    }
    Some(mac)
}

fn sign_parts(algorithm: Algorithm, secret: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    fn run<M: Mac + KeyInit>(secret: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        keyed::<M>(secret, parts)
            .map(|mac| mac.finalize().into_bytes().to_vec())
            .unwrap_or_default()
    }
    match algorithm {
        Algorithm::Sha1 => run::<Hmac<Sha1>>(secret, parts),
        Algorithm::Sha256 => run::<Hmac<Sha256>>(secret, parts),
        Algorithm::Sha512 => run::<Hmac<Sha512>>(secret, parts),
    }
}

fn verify_parts(
    scheme: &Scheme,
    secret: &[u8],
    parts: &[&[u8]],
    provided: &str,
) -> Result<(), VerifyError> {
    fn check<M: Mac + KeyInit>(
        secret: &[u8],
        parts: &[&[u8]],
        expected: &[u8],
    ) -> Result<(), VerifyError> {
        let mac = keyed::<M>(secret, parts).ok_or(VerifyError::Mismatch)?;
        // Constant-time comparison (`subtle`, inside `hmac`).
        mac.verify_slice(expected)
            .map_err(|_| VerifyError::Mismatch)
    }
    let provided_mac = decode_provided(scheme, provided)?;
    if secret.is_empty() {
        return Err(VerifyError::Missing);
    }
    match scheme.algorithm {
        Algorithm::Sha1 => check::<Hmac<Sha1>>(secret, parts, &provided_mac),
        Algorithm::Sha256 => check::<Hmac<Sha256>>(secret, parts, &provided_mac),
        Algorithm::Sha512 => check::<Hmac<Sha512>>(secret, parts, &provided_mac),
    }
}

/// Trims, strips the prefix, decodes, and insists on the algorithm's exact MAC length.
fn decode_provided(scheme: &Scheme, provided: &str) -> Result<Vec<u8>, VerifyError> {
    let mut text = provided.trim();
    if text.is_empty() {
        return Err(VerifyError::Missing);
    }
    if let Some(prefix) = scheme.prefix {
        text = match text.get(..prefix.len()) {
            Some(head) if head.eq_ignore_ascii_case(prefix) => &text[prefix.len()..],
            _ => return Err(VerifyError::Malformed),
        };
    }
    let decoded = match scheme.encoding {
        Encoding::Hex => hex::decode(text).map_err(|_| VerifyError::Malformed)?,
        Encoding::Base64 => base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| VerifyError::Malformed)?,
    };
    if decoded.len() == scheme.algorithm.output_len() {
        Ok(decoded)
    } else {
        Err(VerifyError::Malformed)
    }
}

/// A Unix timestamp written as plain decimal digits (already trimmed).
fn parse_unix_secs(text: &str) -> Result<i64, VerifyError> {
    if text.is_empty() {
        return Err(VerifyError::Missing);
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(VerifyError::Malformed);
    }
    text.parse().map_err(|_| VerifyError::Malformed)
}

// ------------------------------------------------------------------------------------------
// Part 3: SSRF guard for outbound webhook URLs
// ------------------------------------------------------------------------------------------

/// Why a destination is refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DestinationError {
    /// The URL's scheme is not `http` or `https`.
    NotHttp,
    /// The URL has no usable host: empty, with credentials (`user@`), a bad port, characters a
    /// host cannot contain, or a numeric host that is not a plain dotted-quad IPv4 address.
    NoHost,
    /// The host is, or resolves to, this non-public address.
    Private(IpAddr),
    /// DNS gave nothing usable; the text says why.
    Unresolvable(String),
}

impl fmt::Display for DestinationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotHttp => f.write_str("webhook URLs must start with http:// or https://"),
            Self::NoHost => f.write_str(
                "the webhook URL has no usable host: write http(s)://host[:port]/path with an \
                 ASCII (punycode) host name or IP address (IPv6 in brackets), a port of 1-65535, \
                 and no user:password@, spaces or control characters",
            ),
            Self::Private(ip) => write!(
                f,
                "the webhook host resolves to {ip}, a private, loopback, link-local or otherwise \
                 non-public address; webhooks are only delivered to public internet hosts"
            ),
            Self::Unresolvable(why) => write!(f, "the webhook host could not be resolved: {why}"),
        }
    }
}

impl std::error::Error for DestinationError {}

/// The cloud instance-metadata address (AWS, GCP, Azure, …).
const METADATA_V4: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 254);

/// Whether an address is private, loopback, link-local, unspecified, broadcast, documentation, CGNAT (100.64/10), unique-local (`fc00::/7`), IPv4-mapped/compat forms of those, multicast, or the cloud metadata address 169.254.169.254.
///
/// Also refused, being reserved or never a public destination: IPv4 `0.0.0.0/8`,
/// `192.0.0.0/24`, `198.18.0.0/15`, `240.0.0.0/4`; IPv6 site-local `fec0::/10`, documentation
/// `3fff::/20`, discard `100::/64`, local-use NAT64 `64:ff9b:1::/48`. IPv4 addresses embedded in
/// IPv6 (mapped `::ffff:0:0/96`, compatible `::/96`, translated `::ffff:0:0:0/96`, NAT64
/// `64:ff9b::/96`, 6to4 `2002::/16`) are judged by the IPv4 address inside.
#[must_use]
pub fn is_non_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_non_public(v4),
        IpAddr::V6(v6) => v6_non_public(v6),
    }
}

fn v4_non_public(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip == METADATA_V4
        || ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0 // 0.0.0.0/8, "this network"
        || (a == 100 && (b & 0xc0) == 64) // 100.64.0.0/10, carrier-grade NAT
        || (a == 192 && b == 0 && c == 0) // 192.0.0.0/24, IETF protocol assignments
        || (a == 198 && (b & 0xfe) == 18) // 198.18.0.0/15, benchmarking
        || a >= 240 // 240.0.0.0/4, reserved (and broadcast)
}

fn v6_non_public(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return v4_non_public(v4);
    }
    let s = ip.segments();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast() // ff00::/8
        || (s[0] & 0xffc0) == 0xfe80 // fe80::/10, link-local
        || (s[0] & 0xffc0) == 0xfec0 // fec0::/10, site-local (deprecated)
        || (s[0] & 0xfe00) == 0xfc00 // fc00::/7, unique local
        || (s[0] == 0x2001 && s[1] == 0x0db8) // 2001:db8::/32, documentation
        || (s[0] == 0x3fff && (s[1] & 0xf000) == 0) // 3fff::/20, documentation
        || (s[0] == 0x0100 && s[1] == 0 && s[2] == 0 && s[3] == 0) // 100::/64, discard
        || (s[0] == 0x0064 && s[1] == 0xff9b && s[2] == 0x0001) // 64:ff9b:1::/48, local NAT64
}

/// The IPv4 address an IPv6 address stands for, in the forms that route to it.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = |hi: u16, lo: u16| {
        let [o1, o2] = hi.to_be_bytes();
        let [o3, o4] = lo.to_be_bytes();
        Ipv4Addr::new(o1, o2, o3, o4)
    };
    let zero_through = |n: usize| s[..n].iter().all(|&seg| seg == 0);
    if zero_through(5) && s[5] == 0xffff {
        return Some(low(s[6], s[7])); // ::ffff:a.b.c.d, IPv4-mapped
    }
    if zero_through(6) {
        return Some(low(s[6], s[7])); // ::a.b.c.d, IPv4-compatible (also :: and ::1)
    }
    if zero_through(4) && s[4] == 0xffff && s[5] == 0 {
        return Some(low(s[6], s[7])); // ::ffff:0:a.b.c.d, IPv4-translated
    }
    if s[0] == 0x0064 && s[1] == 0xff9b && s[2..6].iter().all(|&seg| seg == 0) {
        return Some(low(s[6], s[7])); // 64:ff9b::a.b.c.d, NAT64
    }
    if s[0] == 0x2002 {
        return Some(low(s[1], s[2])); // 2002:aabb:ccdd::/48, 6to4
    }
    None
}

/// Parses a URL string (http/https only) into (scheme, host, port, `path_and_query`) without a URL crate (hand-rolled, handles `[v6]:port`, userinfo rejected).
///
/// The scheme and host come back lower-cased; an IPv6 host comes back without brackets (put
/// them back for a `Host` header). The port defaults to 80 or 443. The fragment is dropped and
/// an empty path becomes `/`. To leave no room for parser disagreements, it refuses what other
/// parsers read differently: `\` or `%` in the host, IPv6 zone ids, and numeric hosts other
/// than a dotted quad (`2130706433`, `0x7f.1`, `127.1`), as well as any space or control
/// character anywhere.
///
/// # Errors
///
/// [`DestinationError::NotHttp`] for another or no scheme, [`DestinationError::NoHost`] for
/// everything else that is wrong.
pub fn split_url(url: &str) -> Result<(String, String, u16, String), DestinationError> {
    let url = url.trim();
    if url.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(DestinationError::NoHost);
    }
    let (scheme, rest) = url.split_once("://").ok_or(DestinationError::NotHttp)?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return Err(DestinationError::NotHttp),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    if authority.contains(['@', '\\']) {
        return Err(DestinationError::NoHost);
    }
    let (host, port_text) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (inside, after) = bracketed.split_once(']').ok_or(DestinationError::NoHost)?;
        let v6: Ipv6Addr = inside.parse().map_err(|_| DestinationError::NoHost)?;
        let port_text = if after.is_empty() {
            None
        } else {
            Some(after.strip_prefix(':').ok_or(DestinationError::NoHost)?)
        };
        (v6.to_string(), port_text)
    } else {
        let (host, port_text) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        (checked_host_name(host)?, port_text)
    };
    let port = match port_text {
        None | Some("") => default_port,
        Some(text) => {
            if text.len() > 5 || !text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(DestinationError::NoHost);
            }
            match text.parse::<u16>() {
                Ok(port) if port != 0 => port,
                _ => return Err(DestinationError::NoHost),
            }
        }
    };
    let tail = tail.split_once('#').map_or(tail, |(before, _)| before);
    let path_and_query = if tail.is_empty() {
        "/".to_owned()
    } else if tail.starts_with('?') {
        format!("/{tail}")
    } else {
        tail.to_owned()
    };
    Ok((scheme, host, port, path_and_query))
}

/// A DNS name or dotted-quad IPv4 address, lower-cased.
fn checked_host_name(host: &str) -> Result<String, DestinationError> {
    let name = host.strip_suffix('.').unwrap_or(host);
    if name.is_empty() || name.len() > 253 {
        return Err(DestinationError::NoHost);
    }
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if !name.split('.').all(label_ok) {
        return Err(DestinationError::NoHost);
    }
    // WHATWG parsers (browsers, many HTTP clients) and inet_aton read a host whose last label
    // is a number as an IPv4 address in decimal, octal or hex; only the plain form is allowed.
    let last = name.rsplit('.').next().unwrap_or(name);
    let numeric = last.bytes().all(|b| b.is_ascii_digit())
        || last
            .get(..2)
            .is_some_and(|head| head.eq_ignore_ascii_case("0x"));
    if numeric {
        return name
            .parse::<Ipv4Addr>()
            .map(|ip| ip.to_string())
            .map_err(|_| DestinationError::NoHost);
    }
    Ok(name.to_ascii_lowercase())
}

/// Checks already-resolved addresses: Ok(first allowed) or Err(Private) when any is non-public and `allow_private` is false.
///
/// Connect to the returned address (not to the name again) so that DNS rebinding cannot swap
/// in another one.
///
/// # Errors
///
/// [`DestinationError::Unresolvable`] when `addrs` is empty; [`DestinationError::Private`] with
/// the first non-public address when `allow_private` is false.
pub fn check_addresses(
    addrs: &[SocketAddr],
    allow_private: bool,
) -> Result<SocketAddr, DestinationError> {
    let first = addrs.first().copied().ok_or_else(|| {
        DestinationError::Unresolvable("the host name resolved to no addresses".to_owned())
    })?;
    if !allow_private {
        if let Some(bad) = addrs.iter().find(|addr| is_non_public(addr.ip())) {
            return Err(DestinationError::Private(bad.ip()));
        }
    }
    Ok(first)
}

// ------------------------------------------------------------------------------------------
// Tests
// ------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        match text.parse() {
            Ok(ip) => ip,
            Err(e) => panic!("bad test literal {text}: {e}"),
        }
    }

    fn sock(text: &str, port: u16) -> SocketAddr {
        SocketAddr::new(ip(text), port)
    }

    fn hex_of(text: &str) -> Vec<u8> {
        match hex::decode(text) {
            Ok(bytes) => bytes,
            Err(e) => panic!("bad test hex {text}: {e}"),
        }
    }

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    // ---------------------------------------------------------------- sign / verify

    /// Documented: RFC 2202 (HMAC-SHA1) and RFC 4231 (HMAC-SHA256/512), test case 2.
    #[test]
    fn sign_matches_the_rfc_test_vectors() {
        let key = b"Jefe";
        let data = b"what do ya want for nothing?";
        assert_eq!(
            sign(Algorithm::Sha1, key, data),
            hex_of("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
        );
        assert_eq!(
            sign(Algorithm::Sha256, key, data),
            hex_of("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        );
        assert_eq!(
            sign(Algorithm::Sha512, key, data),
            hex_of(
                "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a\
                 6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
            )
        );
    }

    #[test]
    fn verify_handles_each_algorithm_and_encoding() {
        let secret = b"Jefe";
        let data = b"what do ya want for nothing?";
        for algorithm in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512] {
            let mac = sign(algorithm, secret, data);
            assert_eq!(mac.len(), algorithm.output_len());
            let hex_scheme = Scheme {
                algorithm,
                encoding: Encoding::Hex,
                prefix: Some("x="),
            };
            let b64_scheme = Scheme {
                algorithm,
                encoding: Encoding::Base64,
                prefix: None,
            };
            let as_hex = format!("x={}", hex::encode(&mac));
            let as_b64 = base64::engine::general_purpose::STANDARD.encode(&mac);
            assert_eq!(verify(&hex_scheme, secret, data, &as_hex), Ok(()));
            assert_eq!(verify(&b64_scheme, secret, data, &as_b64), Ok(()));
            assert_eq!(
                verify(&hex_scheme, b"wrong", data, &as_hex),
                Err(VerifyError::Mismatch)
            );
            assert_eq!(
                verify(&b64_scheme, secret, b"other data", &as_b64),
                Err(VerifyError::Mismatch)
            );
        }
    }

    #[test]
    fn verify_never_accepts_a_truncated_signature() {
        let mac = sign(Algorithm::Sha256, b"k", b"m");
        let scheme = BARE_HEX_SHA256;
        for keep in [0, 1, 16, 31] {
            let truncated = hex::encode(&mac[..keep]);
            assert_ne!(
                verify(&scheme, b"k", b"m", &truncated),
                Ok(()),
                "{keep} bytes"
            );
        }
        let short = hex::encode(&mac[..31]);
        assert_eq!(
            verify(&scheme, b"k", b"m", &short),
            Err(VerifyError::Malformed)
        );
        // Half a byte short, and one byte long.
        let full = hex::encode(&mac);
        assert_eq!(
            verify(&scheme, b"k", b"m", &full[..63]),
            Err(VerifyError::Malformed)
        );
        assert_eq!(
            verify(&scheme, b"k", b"m", &format!("{full}00")),
            Err(VerifyError::Malformed)
        );
        // The same through base64.
        let b64 = base64::engine::general_purpose::STANDARD.encode(&mac[..20]);
        assert_eq!(
            verify(&BASE64_SHA256, b"k", b"m", &b64),
            Err(VerifyError::Malformed)
        );
    }

    #[test]
    fn verify_refuses_an_empty_secret() {
        let mac = hex::encode(sign(Algorithm::Sha256, b"", b"m"));
        assert_eq!(
            verify(&BARE_HEX_SHA256, b"", b"m", &mac),
            Err(VerifyError::Missing)
        );
    }

    #[test]
    fn errors_explain_themselves() {
        assert!(VerifyError::Mismatch
            .to_string()
            .contains("raw request body"));
        assert!(VerifyError::Stale { age_secs: 400 }
            .to_string()
            .contains("400s old"));
        assert!(VerifyError::FromFuture { ahead_secs: 9 }
            .to_string()
            .contains("9s in the future"));
        assert!(DestinationError::Private(ip("10.0.0.1"))
            .to_string()
            .contains("10.0.0.1"));
    }

    // ---------------------------------------------------------------- timestamps

    #[test]
    fn timestamp_window_is_inclusive_and_two_sided() {
        assert_eq!(check_timestamp(1000, 1300, 300), Ok(()));
        assert_eq!(check_timestamp(1300, 1000, 300), Ok(()));
        assert_eq!(
            check_timestamp(1000, 1301, 300),
            Err(VerifyError::Stale { age_secs: 301 })
        );
        assert_eq!(
            check_timestamp(1301, 1000, 300),
            Err(VerifyError::FromFuture { ahead_secs: 301 })
        );
        assert_eq!(
            check_timestamp(1000, 1001, -5),
            Err(VerifyError::Stale { age_secs: 1 })
        );
        // No overflow at the extremes.
        assert!(check_timestamp(i64::MIN, i64::MAX, 300).is_err());
        assert!(check_timestamp(i64::MAX, i64::MIN, 300).is_err());
    }

    // ---------------------------------------------------------------- GitHub

    /// Documented: GitHub Docs, "Validating webhook deliveries" ("Testing the webhook payload
    /// validation").
    const GITHUB_SECRET: &[u8] = b"It's a Secret to Everybody";
    const GITHUB_BODY: &[u8] = b"Hello, World!";
    const GITHUB_SIG: &str =
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn github_documented_vector() {
        assert_eq!(
            verify_github(GITHUB_SECRET, GITHUB_BODY, GITHUB_SIG),
            Ok(())
        );
        assert_eq!(
            hex::encode(sign(Algorithm::Sha256, GITHUB_SECRET, GITHUB_BODY)),
            GITHUB_SIG["sha256=".len()..]
        );
        // Whitespace and prefix case are forgiven; hex case too.
        let shouty = format!(
            "  SHA256={}\r\n",
            GITHUB_SIG["sha256=".len()..].to_uppercase()
        );
        assert_eq!(verify_github(GITHUB_SECRET, GITHUB_BODY, &shouty), Ok(()));
    }

    #[test]
    fn github_rejections() {
        let hex_part = &GITHUB_SIG["sha256=".len()..];
        assert_eq!(
            verify_github(GITHUB_SECRET, b"Hello, World?", GITHUB_SIG),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify_github(b"It's a secret to everybody", GITHUB_BODY, GITHUB_SIG),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify_github(GITHUB_SECRET, GITHUB_BODY, hex_part),
            Err(VerifyError::Malformed),
            "prefix missing"
        );
        assert_eq!(
            verify_github(GITHUB_SECRET, GITHUB_BODY, &format!("sha1={hex_part}")),
            Err(VerifyError::Malformed),
            "wrong prefix"
        );
        assert_eq!(
            verify_github(
                GITHUB_SECRET,
                GITHUB_BODY,
                &format!("sha256={}zz", &hex_part[..62])
            ),
            Err(VerifyError::Malformed),
            "not hex"
        );
        assert_eq!(
            verify_github(
                GITHUB_SECRET,
                GITHUB_BODY,
                &GITHUB_SIG[..GITHUB_SIG.len() - 2]
            ),
            Err(VerifyError::Malformed),
            "truncated"
        );
        assert_eq!(
            verify_github(GITHUB_SECRET, GITHUB_BODY, ""),
            Err(VerifyError::Missing)
        );
        assert_eq!(
            verify_github(GITHUB_SECRET, GITHUB_BODY, "   "),
            Err(VerifyError::Missing)
        );
        assert_eq!(
            verify_github(GITHUB_SECRET, GITHUB_BODY, "sha256="),
            Err(VerifyError::Malformed)
        );
        // A multi-byte character where the prefix should be must not panic.
        assert_eq!(
            verify_github(GITHUB_SECRET, GITHUB_BODY, "sha25é=00"),
            Err(VerifyError::Malformed)
        );
    }

    // ---------------------------------------------------------------- Slack

    /// Documented: Slack, "Verifying requests from Slack" (the worked example).
    const SLACK_SECRET: &[u8] = b"8f742231b10e8888abcd99yyyzzz85a5";
    const SLACK_TS: &str = "1531420618";
    const SLACK_BODY: &[u8] = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=\
testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&\
command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F\
T1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.\
803a0bc887a14d10d2c447fce8b6703c";
    const SLACK_SIG: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    const SLACK_NOW: i64 = 1_531_420_618;

    #[test]
    fn slack_documented_vector() {
        assert_eq!(
            verify_slack(
                SLACK_SECRET,
                SLACK_BODY,
                SLACK_TS,
                SLACK_SIG,
                SLACK_NOW + 60
            ),
            Ok(())
        );
        assert_eq!(
            verify_slack(
                SLACK_SECRET,
                SLACK_BODY,
                SLACK_TS,
                SLACK_SIG,
                SLACK_NOW - 300
            ),
            Ok(())
        );
    }

    #[test]
    fn slack_rejections() {
        let now = SLACK_NOW;
        assert_eq!(
            verify_slack(SLACK_SECRET, SLACK_BODY, SLACK_TS, SLACK_SIG, now + 301),
            Err(VerifyError::Stale { age_secs: 301 })
        );
        assert_eq!(
            verify_slack(SLACK_SECRET, SLACK_BODY, SLACK_TS, SLACK_SIG, now - 400),
            Err(VerifyError::FromFuture { ahead_secs: 400 })
        );
        assert_eq!(
            verify_slack(SLACK_SECRET, b"token=forged", SLACK_TS, SLACK_SIG, now),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify_slack(b"another-secret", SLACK_BODY, SLACK_TS, SLACK_SIG, now),
            Err(VerifyError::Mismatch)
        );
        // A fresh timestamp cannot be grafted onto an old signature.
        assert_eq!(
            verify_slack(SLACK_SECRET, SLACK_BODY, "1531420700", SLACK_SIG, now),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify_slack(
                SLACK_SECRET,
                SLACK_BODY,
                SLACK_TS,
                &SLACK_SIG.replace("v0=", "v1="),
                now
            ),
            Err(VerifyError::Malformed)
        );
        assert_eq!(
            verify_slack(SLACK_SECRET, SLACK_BODY, "", SLACK_SIG, now),
            Err(VerifyError::Missing)
        );
        assert_eq!(
            verify_slack(SLACK_SECRET, SLACK_BODY, "yesterday", SLACK_SIG, now),
            Err(VerifyError::Malformed)
        );
        assert_eq!(
            verify_slack(SLACK_SECRET, SLACK_BODY, "-1531420618", SLACK_SIG, now),
            Err(VerifyError::Malformed)
        );
        assert_eq!(
            verify_slack(SLACK_SECRET, SLACK_BODY, SLACK_TS, "", now),
            Err(VerifyError::Missing)
        );
    }

    // ---------------------------------------------------------------- Twilio

    /// Documented: Twilio Docs, "Security" page, "Validating requests are coming from Twilio"
    /// (the worked example; the page uses example.com and +14158675310).
    #[test]
    fn twilio_documented_worked_example() {
        let params = form(&[
            ("Digits", "1234"),
            ("To", "+18005551212"),
            ("From", "+14158675310"),
            ("Caller", "+14158675310"),
            ("CallSid", "CA1234567890ABCDE"),
        ]);
        assert_eq!(
            verify_twilio(
                b"12345",
                "https://example.com/myapp.php?foo=1&bar=2",
                &params,
                "L/OH5YylLD5NRKLltdqwSvS0BnU="
            ),
            Ok(())
        );
    }

    const TWILIO_URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    fn twilio_sdk_params() -> Vec<(String, String)> {
        // Deliberately unsorted: the signature sorts them.
        form(&[
            ("To", "+18005551212"),
            ("From", "+14158675309"),
            ("CallSid", "CA1234567890ABCDE"),
            ("Digits", "1234"),
            ("Caller", "+14158675309"),
        ])
    }

    /// Documented by Twilio's own SDK tests (twilio-php `RequestValidatorTest`, also in the
    /// C# SDK and older versions of the docs page): the mycompany.com vector.
    #[test]
    fn twilio_sdk_vectors() {
        assert_eq!(
            verify_twilio(
                b"12345",
                TWILIO_URL,
                &twilio_sdk_params(),
                "RSOYDt4T1cUTdK1PDd93/VVr8B8="
            ),
            Ok(())
        );
        // Repeated parameters: sorted by value, exact duplicates counted once.
        let repeated = form(&[
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
            ("Digits", "1234"),
        ]);
        assert_eq!(
            verify_twilio(
                b"12345",
                TWILIO_URL,
                &repeated,
                "IK+Dwps556ElfBT0I3Rgjkr1wJU="
            ),
            Ok(())
        );
    }

    #[test]
    fn twilio_rejections() {
        let sig = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
        let mut tampered = twilio_sdk_params();
        tampered.push(("Extra".to_owned(), "1".to_owned()));
        assert_eq!(
            verify_twilio(b"12345", TWILIO_URL, &tampered, sig),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify_twilio(b"54321", TWILIO_URL, &twilio_sdk_params(), sig),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify_twilio(
                b"12345",
                "https://mycompany.com/myapp.php?foo=1&bar=3",
                &twilio_sdk_params(),
                sig
            ),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify_twilio(b"12345", TWILIO_URL, &twilio_sdk_params(), "not base64!"),
            Err(VerifyError::Malformed)
        );
        assert_eq!(
            verify_twilio(
                b"12345",
                TWILIO_URL,
                &twilio_sdk_params(),
                "RSOYDt4T1cUTdK1PDd93"
            ),
            Err(VerifyError::Malformed),
            "truncated"
        );
        assert_eq!(
            verify_twilio(b"12345", TWILIO_URL, &twilio_sdk_params(), ""),
            Err(VerifyError::Missing)
        );
    }

    // ---------------------------------------------------------------- Stripe

    // Computed vector, not a documented one (Stripe publishes none): Python
    // hmac.new(b"whsec_test_secret", b'1492774577.{"id":"evt_test","object":"event"}',
    // hashlib.sha256).hexdigest()
    const STRIPE_SECRET: &[u8] = b"whsec_test_secret";
    const STRIPE_BODY: &[u8] = br#"{"id":"evt_test","object":"event"}"#;
    const STRIPE_T: i64 = 1_492_774_577;
    const STRIPE_V1: &str = "691252e266ce41cb94d709c84e9580d4172b117a510bbc81723f657d2cd5d215";
    const WRONG_V1: &str = "5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd";

    #[test]
    fn stripe_computed_vector() {
        let header = format!("t={STRIPE_T},v1={STRIPE_V1}");
        assert_eq!(
            verify_stripe(STRIPE_SECRET, STRIPE_BODY, &header, STRIPE_T + 10, 300),
            Ok(())
        );
        // Several v1 (secret roll), a v0, and spaces.
        let rolled = format!("t={STRIPE_T}, v1={WRONG_V1}, v1={STRIPE_V1}, v0={WRONG_V1}");
        assert_eq!(
            verify_stripe(STRIPE_SECRET, STRIPE_BODY, &rolled, STRIPE_T, 300),
            Ok(())
        );
    }

    #[test]
    fn stripe_rejections() {
        let header = format!("t={STRIPE_T},v1={STRIPE_V1}");
        assert_eq!(
            verify_stripe(STRIPE_SECRET, STRIPE_BODY, &header, STRIPE_T + 301, 300),
            Err(VerifyError::Stale { age_secs: 301 })
        );
        assert_eq!(
            verify_stripe(STRIPE_SECRET, b"{}", &header, STRIPE_T, 300),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify_stripe(b"whsec_other", STRIPE_BODY, &header, STRIPE_T, 300),
            Err(VerifyError::Mismatch)
        );
        // Only the v0 scheme carries the right MAC: not accepted.
        assert_eq!(
            verify_stripe(
                STRIPE_SECRET,
                STRIPE_BODY,
                &format!("t={STRIPE_T},v1={WRONG_V1},v0={STRIPE_V1}"),
                STRIPE_T,
                300
            ),
            Err(VerifyError::Mismatch)
        );
        // The timestamp is signed: changing it breaks the MAC.
        assert_eq!(
            verify_stripe(
                STRIPE_SECRET,
                STRIPE_BODY,
                &format!("t={},v1={STRIPE_V1}", STRIPE_T + 1),
                STRIPE_T,
                300
            ),
            Err(VerifyError::Mismatch)
        );
        for malformed in [
            format!("v1={STRIPE_V1}"),
            format!("t={STRIPE_T}"),
            format!("t=soon,v1={STRIPE_V1}"),
            format!("t={STRIPE_T},v1=xyz"),
            format!("t={STRIPE_T},v1={}", &STRIPE_V1[..40]),
            format!("t={STRIPE_T},t={STRIPE_T},v1={STRIPE_V1}"),
            "garbage".to_owned(),
        ] {
            assert_eq!(
                verify_stripe(STRIPE_SECRET, STRIPE_BODY, &malformed, STRIPE_T, 300),
                Err(VerifyError::Malformed),
                "{malformed}"
            );
        }
        assert_eq!(
            verify_stripe(STRIPE_SECRET, STRIPE_BODY, " ", STRIPE_T, 300),
            Err(VerifyError::Missing)
        );
    }

    // ---------------------------------------------------------------- Shopify

    // Computed vector, not a documented one (Shopify publishes none): Python
    // base64.b64encode(hmac.new(b"shopify_test_secret",
    // b'{"id":820982911946154508,"topic":"orders/create"}', hashlib.sha256).digest())
    const SHOPIFY_SECRET: &[u8] = b"shopify_test_secret";
    const SHOPIFY_BODY: &[u8] = br#"{"id":820982911946154508,"topic":"orders/create"}"#;
    const SHOPIFY_SIG: &str = "PteNpLu4hhQxuLBWRLrEnCxyzQWX4RLReVA1RwRYh4o=";

    #[test]
    fn shopify_computed_vector_and_rejections() {
        assert_eq!(
            verify_shopify(SHOPIFY_SECRET, SHOPIFY_BODY, SHOPIFY_SIG),
            Ok(())
        );
        assert_eq!(
            verify_shopify(SHOPIFY_SECRET, br#"{"id":1}"#, SHOPIFY_SIG),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify_shopify(b"other", SHOPIFY_BODY, SHOPIFY_SIG),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify_shopify(SHOPIFY_SECRET, SHOPIFY_BODY, "PteNpLu4hhQxuLBW%%%%"),
            Err(VerifyError::Malformed)
        );
        assert_eq!(
            verify_shopify(SHOPIFY_SECRET, SHOPIFY_BODY, &SHOPIFY_SIG[..40]),
            Err(VerifyError::Malformed)
        );
        assert_eq!(
            verify_shopify(SHOPIFY_SECRET, SHOPIFY_BODY, ""),
            Err(VerifyError::Missing)
        );
    }

    // ---------------------------------------------------------------- Mailgun

    // Computed vector, not a documented one: Mailgun's "Securing Webhooks" page shows a token
    // and timestamp but a placeholder signature and no key. Python
    // hmac.new(b"key-test-signing-key",
    // b"1770920772e0b5477167110d68991efc6b9f89f0a11066af27834600e123", hashlib.sha256).hexdigest()
    const MAILGUN_KEY: &[u8] = b"key-test-signing-key";
    const MAILGUN_TS: &str = "1770920772";
    const MAILGUN_TOKEN: &str = "e0b5477167110d68991efc6b9f89f0a11066af27834600e123";
    const MAILGUN_SIG: &str = "05da75aae5916ef0aa2d4f09360b089f722764250e30fa45d13f5a610525cff1";
    const MAILGUN_NOW: i64 = 1_770_920_772;

    #[test]
    fn mailgun_computed_vector_and_rejections() {
        let ok = verify_mailgun(
            MAILGUN_KEY,
            MAILGUN_TS,
            MAILGUN_TOKEN,
            MAILGUN_SIG,
            MAILGUN_NOW,
        );
        assert_eq!(ok, Ok(()));
        assert_eq!(
            verify_mailgun(
                MAILGUN_KEY,
                MAILGUN_TS,
                MAILGUN_TOKEN,
                MAILGUN_SIG,
                MAILGUN_NOW + 3600
            ),
            Err(VerifyError::Stale { age_secs: 3600 })
        );
        assert_eq!(
            verify_mailgun(
                MAILGUN_KEY,
                MAILGUN_TS,
                "another-token",
                MAILGUN_SIG,
                MAILGUN_NOW
            ),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify_mailgun(
                b"key-wrong",
                MAILGUN_TS,
                MAILGUN_TOKEN,
                MAILGUN_SIG,
                MAILGUN_NOW
            ),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify_mailgun(
                MAILGUN_KEY,
                "1770920773",
                MAILGUN_TOKEN,
                MAILGUN_SIG,
                MAILGUN_NOW
            ),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify_mailgun(MAILGUN_KEY, "now", MAILGUN_TOKEN, MAILGUN_SIG, MAILGUN_NOW),
            Err(VerifyError::Malformed)
        );
        assert_eq!(
            verify_mailgun(MAILGUN_KEY, MAILGUN_TS, "", MAILGUN_SIG, MAILGUN_NOW),
            Err(VerifyError::Missing)
        );
        assert_eq!(
            verify_mailgun(MAILGUN_KEY, MAILGUN_TS, MAILGUN_TOKEN, "", MAILGUN_NOW),
            Err(VerifyError::Missing)
        );
    }

    // ---------------------------------------------------------------- Switchboard

    // Computed vector (our own scheme): Python
    // hmac.new(b"whsec_switchboard_example",
    // b'1700000000.{"event":"conversation.created","id":"evt_1"}', hashlib.sha256).hexdigest()
    // docs/webhooks.md uses the same values.
    const SB_SECRET: &[u8] = b"whsec_switchboard_example";
    const SB_TS: i64 = 1_700_000_000;
    const SB_BODY: &[u8] = br#"{"event":"conversation.created","id":"evt_1"}"#;
    const SB_SIG: &str = "sha256=9512ff14c5bab3a89adf93b7f0682d69c6f68832afdbb23473d7509970080e4c";

    #[test]
    fn switchboard_signature_matches_the_computed_vector() {
        assert_eq!(switchboard_signature(SB_SECRET, SB_TS, SB_BODY), SB_SIG);
    }

    #[test]
    fn verify_switchboard_inverts_switchboard_signature() {
        let sig = switchboard_signature(SB_SECRET, SB_TS, SB_BODY);
        let ts = SB_TS.to_string();
        let tol = SWITCHBOARD_TOLERANCE_SECS;
        assert_eq!(
            verify_switchboard(SB_SECRET, SB_BODY, &ts, &sig, SB_TS + 5, tol),
            Ok(())
        );
        assert_eq!(
            verify_switchboard(SB_SECRET, SB_BODY, &ts, &sig, SB_TS + 301, tol),
            Err(VerifyError::Stale { age_secs: 301 })
        );
        assert_eq!(
            verify_switchboard(SB_SECRET, SB_BODY, &ts, &sig, SB_TS - 301, tol),
            Err(VerifyError::FromFuture { ahead_secs: 301 })
        );
        assert_eq!(
            verify_switchboard(SB_SECRET, b"{}", &ts, &sig, SB_TS, tol),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify_switchboard(b"whsec_other", SB_BODY, &ts, &sig, SB_TS, tol),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify_switchboard(SB_SECRET, SB_BODY, "1700000001", &sig, SB_TS, tol),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify_switchboard(SB_SECRET, SB_BODY, "", &sig, SB_TS, tol),
            Err(VerifyError::Missing)
        );
        assert_eq!(
            verify_switchboard(
                SB_SECRET,
                SB_BODY,
                &ts,
                &sig.replace("sha256=", "v1="),
                SB_TS,
                tol
            ),
            Err(VerifyError::Malformed)
        );
    }

    // ---------------------------------------------------------------- is_non_public

    #[test]
    fn ipv4_non_public_ranges() {
        for text in [
            "10.0.0.1",
            "10.255.255.255",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "127.0.0.1",
            "127.255.255.254",
            "169.254.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "100.64.0.1",
            "100.100.100.200",
            "100.127.255.255",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "198.18.0.1",
            "198.19.255.255",
            "192.0.0.8",
        ] {
            assert!(is_non_public(ip(text)), "{text} should be non-public");
        }
    }

    #[test]
    fn ipv4_public_addresses() {
        for text in [
            "8.8.8.8",
            "1.1.1.1",
            "93.184.216.34",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "169.253.255.255",
            "192.0.3.1",
            "198.20.0.1",
            "223.255.255.255",
        ] {
            assert!(!is_non_public(ip(text)), "{text} should be public");
        }
    }

    #[test]
    fn ipv6_non_public_ranges() {
        for text in [
            "::",
            "::1",
            "fe80::1",
            "febf:ffff::1",
            "fec0::1",
            "fc00::1",
            "fd12:3456:789a::1",
            "fd00:ec2::254",
            "ff02::1",
            "ff05::1:3",
            "2001:db8::1",
            "3fff::1",
            "100::1",
            "64:ff9b:1::1",
            // IPv4-mapped, -compatible and -translated forms of non-public IPv4.
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:100.64.0.1",
            "::127.0.0.1",
            "::10.1.2.3",
            "::ffff:0:192.168.0.1",
            // NAT64 and 6to4 wrappers around non-public IPv4.
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::127.0.0.1",
            "2002:7f00:1::1",
            "2002:a9fe:a9fe::1",
        ] {
            assert!(is_non_public(ip(text)), "{text} should be non-public");
        }
    }

    #[test]
    fn ipv6_public_addresses() {
        for text in [
            "2606:4700:4700::1111",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2001:db9::1",
            "fe00::1",
        ] {
            assert!(!is_non_public(ip(text)), "{text} should be public");
        }
    }

    // ---------------------------------------------------------------- split_url

    fn parts(scheme: &str, host: &str, port: u16, path: &str) -> (String, String, u16, String) {
        (scheme.to_owned(), host.to_owned(), port, path.to_owned())
    }

    #[test]
    fn split_url_accepts_ordinary_urls() {
        let cases = [
            (
                "https://example.com",
                parts("https", "example.com", 443, "/"),
            ),
            ("http://example.com", parts("http", "example.com", 80, "/")),
            (
                "HTTP://Hooks.Example.COM:8080/in/bound?x=1&y=2#frag",
                parts("http", "hooks.example.com", 8080, "/in/bound?x=1&y=2"),
            ),
            (
                "https://example.com?x=1",
                parts("https", "example.com", 443, "/?x=1"),
            ),
            (
                "https://example.com#top",
                parts("https", "example.com", 443, "/"),
            ),
            (
                "https://example.com:/p",
                parts("https", "example.com", 443, "/p"),
            ),
            (
                "https://example.com./p",
                parts("https", "example.com", 443, "/p"),
            ),
            (
                "https://[2001:DB8::1]:8443/hook",
                parts("https", "2001:db8::1", 8443, "/hook"),
            ),
            ("http://[::1]/", parts("http", "::1", 80, "/")),
            (
                "https://127.0.0.1:9000/x",
                parts("https", "127.0.0.1", 9000, "/x"),
            ),
            (
                " https://example.com/ ",
                parts("https", "example.com", 443, "/"),
            ),
            (
                "https://my_host.internal/",
                parts("https", "my_host.internal", 443, "/"),
            ),
            (
                "https://example.com:65535",
                parts("https", "example.com", 65535, "/"),
            ),
        ];
        for (url, want) in cases {
            assert_eq!(split_url(url), Ok(want), "{url}");
        }
    }

    #[test]
    fn split_url_refuses_other_schemes() {
        for url in [
            "ftp://example.com/",
            "file:///etc/passwd",
            "gopher://127.0.0.1:6379/_",
            "javascript:alert(1)",
            "example.com/hook",
            "//example.com/hook",
            "",
        ] {
            assert_eq!(split_url(url), Err(DestinationError::NotHttp), "{url}");
        }
    }

    #[test]
    fn split_url_refuses_bad_authorities() {
        for url in [
            "https://user:pass@example.com/",
            "https://user@example.com/",
            "https://example.com@evil.example/",
            "https://example.com\\@evil.example/",
            "https:///path",
            "https://:443/",
            "https://example.com:0/",
            "https://example.com:65536/",
            "https://example.com:80a/",
            "https://example.com:+80/",
            "https://example.com:000080/",
            "https://example.com:80:80/",
            "https://::1/",
            "https://[::1/",
            "https://[::1]x/",
            "https://[fe80::1%25eth0]/",
            "https://[127.0.0.1]/",
            "https://2130706433/",
            "https://0x7f000001/",
            "https://0x7f.0.0.1/",
            "https://0177.0.0.1/",
            "https://127.1/",
            "https://1.2.3.4.5/",
            "https://ex%61mple.com/",
            "https://exa mple.com/",
            "https://example.com/\r\nHost: evil",
            "https://example.com/\u{7f}",
            "https://a..b/",
            "https://.example.com/",
            "https://bücher.example/",
            "https://exa*mple.com/",
        ] {
            assert_eq!(split_url(url), Err(DestinationError::NoHost), "{url}");
        }
    }

    // ---------------------------------------------------------------- check_addresses

    #[test]
    fn check_addresses_picks_the_first_and_refuses_private_ones() {
        let public = [sock("93.184.216.34", 443), sock("2606:2800:220:1::1", 443)];
        assert_eq!(check_addresses(&public, false), Ok(public[0]));

        // One private address poisons the lot (a rebinding answer mixes them).
        let mixed = [
            sock("93.184.216.34", 443),
            sock("169.254.169.254", 443),
            sock("10.0.0.1", 443),
        ];
        assert_eq!(
            check_addresses(&mixed, false),
            Err(DestinationError::Private(ip("169.254.169.254")))
        );
        assert_eq!(check_addresses(&mixed, true), Ok(mixed[0]));

        let mapped = [sock("::ffff:127.0.0.1", 80)];
        assert_eq!(
            check_addresses(&mapped, false),
            Err(DestinationError::Private(ip("::ffff:127.0.0.1")))
        );

        assert!(matches!(
            check_addresses(&[], false),
            Err(DestinationError::Unresolvable(_))
        ));
        assert!(matches!(
            check_addresses(&[], true),
            Err(DestinationError::Unresolvable(_))
        ));
    }
}
