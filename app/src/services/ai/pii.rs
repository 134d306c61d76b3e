//! Detection of personal data in outgoing text, so a reply can be blocked or
//! redacted before it is sent.
//!
//! Detected kinds, each validated beyond a bare pattern to keep false
//! positives (order numbers, dates, prices, ticket ids) out:
//!
//! * **Card numbers**: 13–19 digits, optionally in groups separated by single
//!   spaces or dashes, passing the Luhn check (and not all one digit).
//! * **Email addresses**.
//! * **Phone numbers**: `+` followed by 8–15 digits (spaces, dots, dashes and
//!   parentheses allowed), or national numbers of 10–12 digits written in at
//!   least two groups ("(555) 123-4567", "555-123-4567", "020 7946 0958"; the
//!   first group has at most five digits, and a two-digit last group is only
//!   accepted in all-pairs styles like "06 12 34 56 78"). An
//!   unseparated 10–11 digit run counts only right after a word such as
//!   "phone", "call", "mobile" or "tel". Dates, times, prices, `#123` and
//!   `ABC-123` identifiers are masked out before phone matching.
//! * **IBANs**: country code, two check digits, 11–30 alphanumerics (upper
//!   case, optionally in groups of four), valid ISO 13616 mod-97 checksum and,
//!   for known countries, the registered length.
//! * **National ids**: US SSN (`123-45-6789`, excluding area 000/666/9xx,
//!   group 00 and serial 0000), UK National Insurance numbers (two letters,
//!   six digits, suffix A–D, spaces allowed, HMRC prefix rules) and Spanish
//!   DNI/NIE numbers with a valid check letter.
//!
//! When candidates overlap, the first in the order email, IBAN, card,
//! national id, phone wins.

use std::sync::LazyLock;

use regex_lite::Regex;

use super::textutil::tokenize;

/// Kind of personal data found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PiiKind {
    /// A payment card number (Luhn-valid).
    CardNumber,
    /// An email address.
    Email,
    /// A phone number.
    Phone,
    /// An international bank account number (mod-97 valid).
    Iban,
    /// A national identity number (US SSN, UK NINO, Spanish DNI/NIE).
    NationalId,
}

impl PiiKind {
    /// Stable machine code: "card_number", "email", "phone", "iban" or
    /// "national_id".
    pub fn code(self) -> &'static str {
        match self {
            PiiKind::CardNumber => "card_number",
            PiiKind::Email => "email",
            PiiKind::Phone => "phone",
            PiiKind::Iban => "iban",
            PiiKind::NationalId => "national_id",
        }
    }

    /// Placeholder used by [`redact`], e.g. "[redacted card number]".
    pub fn placeholder(self) -> &'static str {
        match self {
            PiiKind::CardNumber => "[redacted card number]",
            PiiKind::Email => "[redacted email]",
            PiiKind::Phone => "[redacted phone number]",
            PiiKind::Iban => "[redacted IBAN]",
            PiiKind::NationalId => "[redacted national ID]",
        }
    }
}

/// One detected item: its kind and byte range `start..end` in the input.
#[derive(Debug, Clone, PartialEq)]
pub struct PiiHit {
    /// What was found.
    pub kind: PiiKind,
    /// Byte offset of the first character.
    pub start: usize,
    /// Byte offset just past the last character.
    pub end: usize,
}

fn compile(pattern: &str) -> Option<Regex> {
    Regex::new(pattern).ok()
}

static EMAIL_RE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}",
    )
});
/// Runs of digits separated by single spaces or dashes (card candidates).
static DIGIT_RUN_RE: LazyLock<Option<Regex>> = LazyLock::new(|| compile(r"\d+(?:[ -]\d+)*"));
static IBAN_RE: LazyLock<Option<Regex>> =
    LazyLock::new(|| compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"));
static SSN_RE: LazyLock<Option<Regex>> = LazyLock::new(|| compile(r"\b\d{3}-\d{2}-\d{4}\b"));
static NINO_RE: LazyLock<Option<Regex>> =
    LazyLock::new(|| compile(r"\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"));
static DNI_RE: LazyLock<Option<Regex>> =
    LazyLock::new(|| compile(r"\b(?:\d{8}|[XYZxyz]-?\d{7})-?[A-Za-z]\b"));
static PHONE_RE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,12}(?:[ .-](?:\(\d{1,12}\)|\d{1,12}))*",
    )
});
/// Things that look numeric but are not phone numbers; masked before phone
/// matching.
static PHONE_MASK_RES: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r"\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b",
        r"\b\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b",
        r"\b\d{1,2}:\d{2}(?::\d{2})?\b",
        r"[$€£¥]\s?\d[\d,]*(?:\.\d+)?",
        r"\b\d[\d,]*(?:\.\d+)?\s?(?:USD|EUR|GBP|usd|eur|gbp|dollars|euros|pounds)\b",
        r"\b[A-Za-z]{2,}[-_]\d+(?:[-_]\d+)*",
        r"#\d+",
    ]
    .iter()
    .filter_map(|p| compile(p))
    .collect()
});

const PHONE_KEYWORDS: &[&str] = &[
    "phone",
    "tel",
    "telephone",
    "call",
    "mobile",
    "cell",
    "cellphone",
    "whatsapp",
    "sms",
    "text me",
    "reach me",
    "fax",
    "landline",
];

fn luhn_valid(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, &d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(d);
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum.is_multiple_of(10)
}

fn digits_of(s: &str) -> Vec<u8> {
    s.bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect()
}

fn char_before(text: &str, at: usize) -> Option<char> {
    text[..at].chars().next_back()
}

fn char_after(text: &str, at: usize) -> Option<char> {
    text[at..].chars().next()
}

/// True when the number at `start..end` is glued to surrounding text: part of
/// a longer identifier ("TKT-000123", "A123"), a decimal, or a percentage.
fn glued(text: &str, start: usize, end: usize) -> bool {
    if let Some(b) = char_before(text, start) {
        if b.is_alphanumeric() || b == '#' || b == '_' {
            return true;
        }
        if matches!(b, '-' | '/' | '.' | ',') {
            let bb = char_before(text, start - b.len_utf8());
            if bb.is_some_and(|c| c.is_alphanumeric()) {
                return true;
            }
        }
    }
    if let Some(a) = char_after(text, end) {
        if a.is_alphanumeric() || a == '%' || a == '_' {
            return true;
        }
        if matches!(a, '.' | ',' | '-' | '/') {
            let aa = char_after(text, end + a.len_utf8());
            if aa.is_some_and(|c| c.is_ascii_digit()) {
                return true;
            }
        }
    }
    false
}

fn find_emails(text: &str, out: &mut Vec<PiiHit>) {
    let Some(re) = EMAIL_RE.as_ref() else { return };
    for m in re.find_iter(text) {
        out.push(PiiHit {
            kind: PiiKind::Email,
            start: m.start(),
            end: m.end(),
        });
    }
}

/// Real card numbers are written in groups of three or more digits with one
/// kind of separator ("4111 1111 1111 1111", "3782-822463-10005").
fn card_grouping_ok(groups: &[(usize, usize)], run: &str) -> bool {
    if groups.len() < 2 {
        return true;
    }
    if groups.iter().any(|&(s, e)| e - s < 3) {
        return false;
    }
    let seps: Vec<&str> = groups.windows(2).map(|w| &run[w[0].1..w[1].0]).collect();
    seps.iter().all(|s| *s == seps[0])
}

fn find_cards(text: &str, out: &mut Vec<PiiHit>) {
    let Some(re) = DIGIT_RUN_RE.as_ref() else {
        return;
    };
    for m in re.find_iter(text) {
        // "+49 151 ..." is an international phone number, never a card.
        if char_before(text, m.start()) == Some('+') {
            continue;
        }
        let run = m.as_str();
        // Digit groups as byte ranges relative to the run.
        let mut groups: Vec<(usize, usize)> = Vec::new();
        let mut start = None;
        for (i, b) in run.bytes().enumerate() {
            match (b.is_ascii_digit(), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    groups.push((s, i));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            groups.push((s, run.len()));
        }
        let mut a = 0;
        while a < groups.len() {
            let mut found = None;
            for b in (a..groups.len()).rev() {
                let (s, e) = (m.start() + groups[a].0, m.start() + groups[b].1);
                let digits = digits_of(&text[s..e]);
                if !(13..=19).contains(&digits.len()) {
                    continue;
                }
                if digits.iter().all(|&d| d == digits[0]) || !luhn_valid(&digits) {
                    continue;
                }
                if !card_grouping_ok(&groups[a..=b], run) {
                    continue;
                }
                if glued(text, s, e) {
                    continue;
                }
                found = Some((b, s, e));
                break;
            }
            match found {
                Some((b, s, e)) => {
                    out.push(PiiHit {
                        kind: PiiKind::CardNumber,
                        start: s,
                        end: e,
                    });
                    a = b + 1;
                }
                None => a += 1,
            }
        }
    }
}

/// Registered IBAN lengths (ISO 13616 registry) for common countries.
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BR", 29),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("ES", 24),
    ("FI", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IS", 26),
    ("IT", 27),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MT", 31),
    ("MU", 30),
    ("NL", 18),
    ("NO", 15),
    ("PK", 24),
    ("PL", 28),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("SA", 24),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VG", 24),
    ("XK", 20),
];

/// ISO 13616 validation of a compact (space-free, upper-case) IBAN.
fn iban_valid(compact: &str) -> bool {
    let len = compact.len();
    if !(15..=34).contains(&len) || !compact.is_ascii() {
        return false;
    }
    let country = &compact[..2];
    if let Some(&(_, expected)) = IBAN_LENGTHS.iter().find(|(c, _)| *c == country) {
        if expected != len {
            return false;
        }
    }
    let rearranged = compact[4..].bytes().chain(compact[..4].bytes());
    let mut rem: u32 = 0;
    for b in rearranged {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

fn find_ibans(text: &str, out: &mut Vec<PiiHit>) {
    let Some(re) = IBAN_RE.as_ref() else { return };
    for m in re.find_iter(text) {
        // The pattern may swallow a trailing word-like group; retry without
        // trailing space-separated groups until the checksum holds.
        let mut cand = m.as_str();
        loop {
            let compact: String = cand.chars().filter(|c| *c != ' ').collect();
            if iban_valid(&compact) {
                out.push(PiiHit {
                    kind: PiiKind::Iban,
                    start: m.start(),
                    end: m.start() + cand.len(),
                });
                break;
            }
            match cand.rfind(' ') {
                Some(i) if i >= 15 => cand = &cand[..i],
                _ => break,
            }
        }
    }
}

fn ssn_valid(s: &str) -> bool {
    let d = digits_of(s);
    if d.len() != 9 {
        return false;
    }
    let area = u32::from(d[0]) * 100 + u32::from(d[1]) * 10 + u32::from(d[2]);
    let group = u32::from(d[3]) * 10 + u32::from(d[4]);
    let serial = d[5..].iter().fold(0u32, |a, &x| a * 10 + u32::from(x));
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

fn nino_valid(s: &str) -> bool {
    let letters: Vec<char> = s.chars().filter(|c| c.is_ascii_uppercase()).collect();
    if letters.len() != 3 {
        return false;
    }
    let (a, b) = (letters[0], letters[1]);
    if matches!(a, 'D' | 'F' | 'I' | 'Q' | 'U' | 'V') {
        return false;
    }
    if matches!(b, 'D' | 'F' | 'I' | 'O' | 'Q' | 'U' | 'V') {
        return false;
    }
    let prefix: String = [a, b].iter().collect();
    !matches!(
        prefix.as_str(),
        "BG" | "GB" | "NK" | "KN" | "TN" | "NT" | "ZZ"
    )
}

fn dni_valid(s: &str) -> bool {
    const LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";
    let compact: Vec<u8> = s
        .bytes()
        .filter(|b| *b != b'-')
        .map(|b| b.to_ascii_uppercase())
        .collect();
    let Some((&check, body)) = compact.split_last() else {
        return false;
    };
    let mut n: u32 = 0;
    for (i, &b) in body.iter().enumerate() {
        let v = match (i, b) {
            (0, b'X') => 0,
            (0, b'Y') => 1,
            (0, b'Z') => 2,
            (_, b'0'..=b'9') => u32::from(b - b'0'),
            _ => return false,
        };
        n = n * 10 + v;
    }
    LETTERS[(n % 23) as usize] == check
}

type LazyRegex = LazyLock<Option<Regex>>;
type Validator = fn(&str) -> bool;

fn find_national_ids(text: &str, out: &mut Vec<PiiHit>) {
    let specs: [(&LazyRegex, Validator); 3] = [
        (&SSN_RE, ssn_valid),
        (&NINO_RE, nino_valid),
        (&DNI_RE, dni_valid),
    ];
    for (re, valid) in specs {
        let Some(re) = re.as_ref() else { continue };
        for m in re.find_iter(text) {
            if valid(m.as_str()) && !glued(text, m.start(), m.end()) {
                out.push(PiiHit {
                    kind: PiiKind::NationalId,
                    start: m.start(),
                    end: m.end(),
                });
            }
        }
    }
}

/// Copy of `text` with dates, times, prices and identifiers replaced by `_`
/// (byte for byte, so offsets are preserved).
fn mask_for_phones(text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for re in PHONE_MASK_RES.iter() {
        for m in re.find_iter(text) {
            for b in &mut bytes[m.start()..m.end()] {
                *b = b'_';
            }
        }
    }
    String::from_utf8(bytes).unwrap_or_else(|_| text.to_string())
}

fn keyword_before(text: &str, start: usize) -> bool {
    let mut from = start.saturating_sub(24);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let joined = format!(" {} ", tokenize(&text[from..start]).join(" "));
    PHONE_KEYWORDS
        .iter()
        .any(|k| joined.contains(&format!(" {k} ")))
}

/// Plausible grouping for a national number written in groups: not an IPv4
/// address, a first group of at most five digits (or parenthesised), and a
/// two-digit last group only in all-pairs styles such as "06 12 34 56 78".
fn national_grouping_ok(cand: &str) -> bool {
    let groups: Vec<&str> = cand
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    let ip_like = groups.len() == 4
        && cand.chars().all(|c| c.is_ascii_digit() || c == '.')
        && groups.iter().all(|g| g.len() <= 3);
    if ip_like {
        return false;
    }
    if !cand.starts_with('(') && groups.first().is_some_and(|g| g.len() > 5) {
        return false;
    }
    let last_is_pair = groups.last().is_some_and(|g| g.len() == 2);
    !last_is_pair || groups[1..].iter().all(|g| g.len() == 2)
}

fn find_phones(text: &str, out: &mut Vec<PiiHit>) {
    let Some(re) = PHONE_RE.as_ref() else { return };
    let masked = mask_for_phones(text);
    for m in re.find_iter(&masked) {
        let (start, end) = (m.start(), m.end());
        let cand = m.as_str();
        if glued(&masked, start, end) {
            continue;
        }
        let digits = digits_of(cand).len();
        let groups = cand
            .split(|c: char| !c.is_ascii_digit())
            .filter(|g| !g.is_empty())
            .count();
        let ok = if cand.starts_with('+') {
            (8..=15).contains(&digits)
        } else if groups >= 2 {
            (10..=12).contains(&digits) && national_grouping_ok(cand)
        } else {
            (10..=11).contains(&digits) && keyword_before(text, start)
        };
        if ok {
            out.push(PiiHit {
                kind: PiiKind::Phone,
                start,
                end,
            });
        }
    }
}

/// All personal data found in `text`, sorted by position, non-overlapping.
pub fn find(text: &str) -> Vec<PiiHit> {
    let mut candidates = Vec::new();
    find_emails(text, &mut candidates);
    find_ibans(text, &mut candidates);
    find_cards(text, &mut candidates);
    find_national_ids(text, &mut candidates);
    find_phones(text, &mut candidates);
    let mut hits: Vec<PiiHit> = Vec::new();
    for c in candidates {
        if hits.iter().all(|h| c.end <= h.start || c.start >= h.end) {
            hits.push(c);
        }
    }
    hits.sort_by_key(|h| h.start);
    hits
}

/// What identifies a hit whatever its formatting: an email in lower case, a
/// phone number's digits (its last nine, so `+49 30 1234 5678` and
/// `030 1234 5678` are the same line), the letters and digits of the rest.
fn identity(kind: PiiKind, s: &str) -> String {
    match kind {
        PiiKind::Email => s.trim().to_lowercase(),
        PiiKind::Phone => {
            let digits: Vec<char> = s.chars().filter(char::is_ascii_digit).collect();
            digits[digits.len().saturating_sub(9)..].iter().collect()
        }
        _ => s
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_uppercase(),
    }
}

/// Like [`find`], but what the workspace publishes is not personal data:
/// an item that also appears in one of `published` (its help-center
/// articles, as retrieved for the reply) or is one of `own_emails` (the
/// addresses it sends from) is left out, wherever the reply quotes it and
/// however it is formatted. Returns (hits, how many published items were
/// kept).
pub fn find_unpublished(
    text: &str,
    published: &[&str],
    own_emails: &[&str],
) -> (Vec<PiiHit>, usize) {
    let hits = find(text);
    if hits.is_empty() {
        return (hits, 0);
    }
    let mut public: Vec<(PiiKind, String)> = own_emails
        .iter()
        .map(|e| (PiiKind::Email, identity(PiiKind::Email, e)))
        .collect();
    for p in published {
        public.extend(
            find(p)
                .into_iter()
                .map(|h| (h.kind, identity(h.kind, &p[h.start..h.end]))),
        );
    }
    let before = hits.len();
    let left: Vec<PiiHit> = hits
        .into_iter()
        .filter(|h| {
            let id = identity(h.kind, &text[h.start..h.end]);
            !public.iter().any(|(k, p)| *k == h.kind && *p == id)
        })
        .collect();
    let kept = before - left.len();
    (left, kept)
}

/// `text` with every hit of [`find`] replaced by its kind's placeholder
/// ("[redacted card number]", "[redacted email]", "[redacted phone number]",
/// "[redacted IBAN]", "[redacted national ID]").
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for h in find(text) {
        out.push_str(&text[last..h.start]);
        out.push_str(h.kind.placeholder());
        last = h.end;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(PiiKind, &str)> {
        find(text)
            .into_iter()
            .map(|h| (h.kind, &text[h.start..h.end]))
            .collect()
    }

    #[test]
    fn all_patterns_compile() {
        for re in [
            &EMAIL_RE,
            &DIGIT_RUN_RE,
            &IBAN_RE,
            &SSN_RE,
            &NINO_RE,
            &DNI_RE,
            &PHONE_RE,
        ] {
            assert!(re.is_some());
        }
        assert_eq!(PHONE_MASK_RES.len(), 7);
    }

    #[test]
    fn card_numbers_need_luhn() {
        use PiiKind::CardNumber;
        assert_eq!(
            kinds("Card 4111 1111 1111 1111 exp 12/27"),
            vec![(CardNumber, "4111 1111 1111 1111")]
        );
        assert_eq!(
            kinds("paid with 5500-0000-0000-0004."),
            vec![(CardNumber, "5500-0000-0000-0004")]
        );
        assert_eq!(
            kinds("amex 378282246310005"),
            vec![(CardNumber, "378282246310005")]
        );
        assert!(kinds("Order 1234567890123").is_empty());
        assert!(kinds("4111 1111 1111 1112").is_empty());
        assert!(kinds("0000 0000 0000 0000").is_empty());
        // Glued to an identifier prefix.
        assert!(kinds("ref TKT-4111111111111111").is_empty());
    }

    #[test]
    fn emails_and_allow_list() {
        let text = "Write to Support@Acme.example or ana.lopez+tent@mail.co.uk.";
        assert_eq!(
            kinds(text),
            vec![
                (PiiKind::Email, "Support@Acme.example"),
                (PiiKind::Email, "ana.lopez+tent@mail.co.uk"),
            ]
        );
        let (left, kept) = find_unpublished(text, &[], &["support@acme.example"]);
        assert_eq!((left.len(), kept), (1, 1));
        assert_eq!(
            &text[left[0].start..left[0].end],
            "ana.lopez+tent@mail.co.uk"
        );
        assert!(kinds("not an email: a@b, @handle, x@y.z").is_empty());
    }

    #[test]
    fn what_the_workspace_publishes_is_not_personal_data() {
        let articles = [
            "Call our warehouse on +49 30 1234 5678, or write to Help@Acme.example.",
            "Pay by bank transfer to DE89 3704 0044 0532 0130 00.",
        ];
        // Quoted as published, or formatted another way, it is the workspace's own.
        let reply = "Call us on 030 12345678 or write to help@acme.example; our IBAN is DE89370400440532013000.";
        let (left, kept) = find_unpublished(reply, &articles, &[]);
        assert_eq!((left, kept), (Vec::new(), 3));
        // A number or address the articles do not publish is still personal data.
        let reply = "Ana's mobile is +49 171 2345678, her card 4111 1111 1111 1111; ours is +49 30 1234 5678.";
        let (left, kept) = find_unpublished(reply, &articles, &[]);
        assert_eq!(
            left.iter().map(|h| h.kind).collect::<Vec<_>>(),
            vec![PiiKind::Phone, PiiKind::CardNumber]
        );
        assert_eq!(kept, 1);
    }

    #[test]
    fn phones_in_common_formats() {
        use PiiKind::Phone;
        for (text, phone) in [
            ("Call me on +44 20 7946 0958 today", "+44 20 7946 0958"),
            ("cell: +1 (555) 123-4567", "+1 (555) 123-4567"),
            ("+4915112345678", "+4915112345678"),
            ("office (555) 123-4567", "(555) 123-4567"),
            ("or 555-123-4567.", "555-123-4567"),
            ("555.123.4567", "555.123.4567"),
            ("London 020 7946 0958", "020 7946 0958"),
            ("toll free 1-800-555-0199", "1-800-555-0199"),
            ("my mobile is 07700900123", "07700900123"),
            ("portable 06 12 34 56 78", "06 12 34 56 78"),
            ("Berlin 030 12345678", "030 12345678"),
        ] {
            assert_eq!(kinds(text), vec![(Phone, phone)], "{text}");
        }
    }

    #[test]
    fn phone_false_positives() {
        for text in [
            "Your order #100234 shipped",
            "Delivery on 2026-12-01 between 10:30 and 12:00",
            "It costs $1,299.00 or 1299.00 EUR",
            "Ticket TKT-000123 is open",
            "Order number 1000234567",
            "Server 192.168.100.200",
            "Delivered 2026-12-01 2026-12-05",
            "Call us 9:00-17:00, Mon-Fri",
            "Tracking 1Z999AA10123456784",
            "Version 2.14.3",
            "Order 20261201 555",
            "Ref 2024-000123-45",
            "ISBN 978-3-16-148410-0",
        ] {
            assert!(kinds(text).is_empty(), "{text}: {:?}", kinds(text));
        }
        // A phone after a masked date is still found.
        assert_eq!(
            kinds("2026-12-01 555-123-4567"),
            vec![(PiiKind::Phone, "555-123-4567")]
        );
    }

    #[test]
    fn ibans_need_mod97() {
        use PiiKind::Iban;
        assert_eq!(
            kinds("IBAN DE89 3704 0044 0532 0130 00 please"),
            vec![(Iban, "DE89 3704 0044 0532 0130 00")]
        );
        assert_eq!(
            kinds("GB82 WEST 1234 5698 7654 32"),
            vec![(Iban, "GB82 WEST 1234 5698 7654 32")]
        );
        assert_eq!(
            kinds("to DE89370400440532013000."),
            vec![(Iban, "DE89370400440532013000")]
        );
        // Wrong check digits, wrong length for the country.
        assert!(kinds("DE88 3704 0044 0532 0130 00").is_empty());
        assert!(kinds("DE89 3704 0044 0532 0130").is_empty());
        // Trailing upper-case word is not swallowed.
        assert_eq!(
            kinds("GB82 WEST 1234 5698 7654 32 ABCD"),
            vec![(Iban, "GB82 WEST 1234 5698 7654 32")]
        );
    }

    #[test]
    fn national_ids() {
        use PiiKind::NationalId;
        assert_eq!(kinds("SSN 123-45-6789"), vec![(NationalId, "123-45-6789")]);
        assert!(kinds("000-12-3456").is_empty());
        assert!(kinds("666-12-3456").is_empty());
        assert!(kinds("912-12-3456").is_empty());
        assert!(kinds("123-00-4567").is_empty());
        assert_eq!(
            kinds("NI AB 12 34 56 C"),
            vec![(NationalId, "AB 12 34 56 C")]
        );
        assert_eq!(kinds("NI AB123456C"), vec![(NationalId, "AB123456C")]);
        assert!(kinds("GB 12 34 56 A").is_empty());
        assert!(kinds("QQ 12 34 56 A").is_empty());
        assert_eq!(kinds("DNI 12345678Z"), vec![(NationalId, "12345678Z")]);
        assert_eq!(kinds("dni 12345678-z"), vec![(NationalId, "12345678-z")]);
        assert!(kinds("DNI 12345678A").is_empty());
        assert_eq!(kinds("NIE X1234567L"), vec![(NationalId, "X1234567L")]);
    }

    #[test]
    fn kb_answer_has_no_hits() {
        let text = "Orders ship within 3-5 business days and you have 30 days to return \
                    unworn items. Shipping is free on orders over $50. If your parcel is late, \
                    reply to ticket TKT-000042 and mention order #10023. Our team answers \
                    9:00-17:00 (approx. 4.5 hours on weekends), last updated 2026-12-01.";
        assert!(find(text).is_empty(), "{:?}", kinds(text));
        assert_eq!(redact(text), text);
    }

    #[test]
    fn redaction_replaces_every_hit() {
        let text = "Card 4111-1111-1111-1111, mail ana@example.com, phone +34 612 345 678.";
        assert_eq!(
            redact(text),
            "Card [redacted card number], mail [redacted email], phone [redacted phone number]."
        );
        let hits = find(text);
        assert!(hits.windows(2).all(|w| w[0].end <= w[1].start));
        assert_eq!(
            hits.iter().map(|h| h.kind.code()).collect::<Vec<_>>(),
            vec!["card_number", "email", "phone"]
        );
    }

    #[test]
    fn digits_inside_email_are_not_phones() {
        let text = "reach 5551234567.smith@example.com";
        assert_eq!(
            kinds(text),
            vec![(PiiKind::Email, "5551234567.smith@example.com")]
        );
    }
}
