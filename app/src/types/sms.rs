//! SMS and WhatsApp: how a reply is cut into provider messages and counted in
//! SMS segments (the same rules in the composer's counter and on the server),
//! the Twilio settings page's view and form; the voice settings page's.

use serde::{Deserialize, Serialize};

/// Longest body Twilio accepts in one message (characters).
pub const MAX_PART_CHARS: usize = 1_600;
/// Most SMS segments one part may take: carriers reassemble ten reliably, and
/// ten GSM-7 segments (1,530 characters) stay under Twilio's 1,600.
pub const MAX_PART_SEGMENTS: usize = 10;

/// The GSM 03.38 basic character set (one septet each).
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u{1b}ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The GSM 03.38 extension table (an escape plus one septet: two each).
const GSM_EXTENDED: &str = "^{}\\[~]|€\u{c}";

/// How an SMS is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SmsEncoding {
    /// GSM 03.38, 7 bits a character: 160 in one segment, 153 a segment when split.
    Gsm7,
    /// UCS-2 (any character outside GSM-7, such as an emoji or Cyrillic): 70 in
    /// one segment, 67 UTF-16 units a segment when split.
    Ucs2,
}

impl SmsEncoding {
    /// The name shown and stored (`GSM-7`, `UCS-2`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gsm7 => "GSM-7",
            Self::Ucs2 => "UCS-2",
        }
    }
}

/// Septets a character takes in GSM-7, or none when it is not in GSM-7.
fn gsm_septets(c: char) -> Option<usize> {
    if c == '\u{1b}' {
        None
    } else if GSM_BASIC.contains(c) {
        Some(1)
    } else if GSM_EXTENDED.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// The encoding a text needs.
pub fn sms_encoding(text: &str) -> SmsEncoding {
    if text.chars().all(|c| gsm_septets(c).is_some()) {
        SmsEncoding::Gsm7
    } else {
        SmsEncoding::Ucs2
    }
}

/// The segments an SMS body takes, and its encoding. A body that fits one
/// segment (160 septets or 70 UTF-16 units) takes one; a longer one is split into
/// segments of 153 septets or 67 units, never cutting an escaped character or a
/// surrogate pair in two (as handsets and Twilio count).
pub fn sms_segments(text: &str) -> (usize, SmsEncoding) {
    let enc = sms_encoding(text);
    let units: Vec<usize> = match enc {
        SmsEncoding::Gsm7 => text.chars().filter_map(gsm_septets).collect(),
        SmsEncoding::Ucs2 => text.chars().map(char::len_utf16).collect(),
    };
    let (single, multi) = match enc {
        SmsEncoding::Gsm7 => (160, 153),
        SmsEncoding::Ucs2 => (70, 67),
    };
    let total: usize = units.iter().sum();
    if total == 0 {
        return (0, enc);
    }
    if total <= single {
        return (1, enc);
    }
    let mut segments = 1;
    let mut used = 0;
    for u in units {
        if used + u > multi {
            segments += 1;
            used = 0;
        }
        used += u;
    }
    (segments, enc)
}

/// Whether `part` fits one provider message on the channel.
fn fits(part: &str, sms: bool) -> bool {
    part.chars().count() <= MAX_PART_CHARS && (!sms || sms_segments(part).0 <= MAX_PART_SEGMENTS)
}

/// Sentences of a text: cut after `.`, `!`, `?` or `…` followed by white space,
/// and at line breaks; each keeps its punctuation and the space after it.
fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        cur.push(c);
        let next = chars.get(i + 1).copied();
        let end = c == '\n'
            || (matches!(c, '.' | '!' | '?' | '…') && next.is_some_and(char::is_whitespace));
        if end {
            // Keep the white space that follows with this sentence.
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    // Glue leading white space to the previous sentence.
    let mut merged: Vec<String> = Vec::new();
    for s in out {
        match merged.last_mut() {
            Some(last) if s.trim().is_empty() => last.push_str(&s),
            _ => merged.push(s),
        }
    }
    merged
}

/// Cuts a piece that fits nowhere whole at word boundaries, and a word that is
/// itself too long at characters.
fn cut_long(piece: &str, sms: bool, out: &mut Vec<String>) {
    let mut cur = String::new();
    for word in piece.split_inclusive(char::is_whitespace) {
        let candidate = format!("{cur}{word}");
        if fits(candidate.trim_end(), sms) {
            cur = candidate;
            continue;
        }
        if !cur.trim().is_empty() {
            out.push(cur.trim().to_owned());
        }
        cur = String::new();
        if fits(word.trim_end(), sms) {
            cur.push_str(word);
        } else {
            for ch in word.chars() {
                let mut next = cur.clone();
                next.push(ch);
                if !fits(next.trim_end(), sms) {
                    out.push(cur.trim().to_owned());
                    cur.clear();
                }
                cur.push(ch);
            }
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_owned());
    }
}

/// Cuts a reply into the provider messages it is sent as: whole sentences packed
/// while they fit (at most 1,600 characters; for SMS also at most ten segments),
/// a sentence longer than that at word boundaries. WhatsApp (`sms` false) only
/// has the character limit.
pub fn split_message(text: &str, sms: bool) -> Vec<String> {
    let text = text.trim();
    if text.is_empty() {
        return Vec::new();
    }
    if fits(text, sms) {
        return vec![text.to_owned()];
    }
    let mut parts = Vec::new();
    let mut cur = String::new();
    for s in sentences(text) {
        let candidate = format!("{cur}{s}");
        if fits(candidate.trim(), sms) {
            cur = candidate;
            continue;
        }
        if !cur.trim().is_empty() {
            parts.push(cur.trim().to_owned());
        }
        cur = String::new();
        if fits(s.trim(), sms) {
            cur = s;
        } else {
            cut_long(&s, sms, &mut parts);
        }
    }
    if !cur.trim().is_empty() {
        parts.push(cur.trim().to_owned());
    }
    parts
}

/// What the composer shows under an SMS or WhatsApp reply.
pub fn describe_outbound(text: &str, sms: bool) -> String {
    let parts = split_message(text, sms);
    if parts.is_empty() {
        return String::new();
    }
    let chars = text.trim().chars().count();
    let messages = if parts.len() == 1 {
        String::new()
    } else {
        format!(" · sent as {} messages", parts.len())
    };
    if sms {
        let segs: usize = parts.iter().map(|p| sms_segments(p).0).sum();
        let enc = sms_encoding(text);
        format!(
            "{chars} characters · {segs} SMS segment{} ({}){messages}",
            if segs == 1 { "" } else { "s" },
            enc.as_str()
        )
    } else {
        format!("{chars} characters{messages}")
    }
}

/// An approved WhatsApp template (WhatsApp allows only these outside the
/// 24-hour window after the customer's last message).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhatsappTemplate {
    /// Name agents pick it by.
    pub name: String,
    /// Twilio Content SID (`HX…`).
    pub content_sid: String,
    /// The approved text, with `{{1}}`, `{{2}}` … for the variables.
    pub body: String,
}

impl WhatsappTemplate {
    /// How many variables the body uses (`{{1}}` … `{{n}}`).
    pub fn variables(&self) -> usize {
        (1..=9)
            .take_while(|i| self.body.contains(&format!("{{{{{i}}}}}")))
            .count()
    }

    /// The body with the variables filled in.
    pub fn render(&self, values: &[String]) -> String {
        let mut s = self.body.clone();
        for (i, v) in values.iter().enumerate() {
            s = s.replace(&format!("{{{{{}}}}}", i + 1), v);
        }
        s
    }
}

/// Settings → SMS & WhatsApp.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TwilioSettingsView {
    /// An account is set up.
    pub configured: bool,
    /// Account SID (`AC…`).
    pub account_sid: String,
    /// The auth token's last characters.
    pub token_hint: Option<String>,
    /// API base when not Twilio's own.
    pub api_base: String,
    /// SMS sender number.
    pub sms_from: String,
    /// WhatsApp sender number.
    pub whatsapp_from: String,
    /// Price of one SMS segment, as typed (`0.0079`).
    pub segment_price: String,
    /// The answer to HELP.
    pub help_reply: String,
    /// Approved WhatsApp templates.
    pub templates: Vec<WhatsappTemplate>,
    /// Where Twilio posts incoming messages (both channels).
    pub inbound_url: String,
    /// Where Twilio posts delivery status (set by Switchboard on each send).
    pub status_url: String,
    /// The server can seal the auth token.
    pub can_store_keys: bool,
    /// SMS sent and their cost over the last 30 days.
    pub sent_30d: i64,
    /// Segments over the last 30 days.
    pub segments_30d: i64,
    /// Cost over the last 30 days, formatted.
    pub cost_30d: String,
}

/// The settings form.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TwilioSettingsForm {
    /// Account SID.
    pub account_sid: String,
    /// Auth token; empty keeps the stored one.
    pub auth_token: String,
    /// API base; empty for Twilio's own.
    pub api_base: String,
    /// SMS sender (E.164); empty: no SMS.
    pub sms_from: String,
    /// WhatsApp sender (E.164); empty: no WhatsApp.
    pub whatsapp_from: String,
    /// Price of one segment (`0.0079`).
    pub segment_price: String,
    /// The answer to HELP; empty: no answer.
    pub help_reply: String,
    /// One template a line: `name | HX… | body`.
    pub templates: String,
}

/// What a test message did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TwilioTestResult {
    /// Twilio's message SID.
    pub sid: String,
    /// Twilio's first status (`queued`).
    pub status: String,
}

/// Settings → Voice.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VoiceSettingsView {
    /// An account is set up.
    pub configured: bool,
    /// The API key's first and last characters.
    pub key_hint: Option<String>,
    /// API base when not the provider's own.
    pub api_base: String,
    /// The voice agent synced.
    pub agent_id: String,
    /// Days recordings are kept.
    pub retention_days: i32,
    /// Use the provider's summary when it sends one.
    pub provider_summary: bool,
    /// Agent settings pushed on sync (JSON object).
    pub agent_config: String,
    /// Where the provider posts call events.
    pub webhook_url: String,
    /// Last successful sync, RFC 3339.
    pub synced_at: Option<String>,
    /// Why the last sync failed.
    pub sync_error: Option<String>,
    /// The server can seal the key.
    pub can_store_keys: bool,
    /// Calls over the last 30 days.
    pub calls_30d: u64,
}

/// The voice settings form.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VoiceSettingsForm {
    /// API key; empty keeps the stored one.
    pub api_key: String,
    /// API base; empty for the provider's own.
    pub api_base: String,
    /// The voice agent's id.
    pub agent_id: String,
    /// Days recordings are kept.
    pub retention_days: i32,
    /// Use the provider's summary when it sends one.
    pub provider_summary: bool,
    /// Agent settings (JSON object).
    pub agent_config: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm7_segments() {
        assert_eq!(sms_segments("Hello"), (1, SmsEncoding::Gsm7));
        assert_eq!(sms_segments(&"a".repeat(160)), (1, SmsEncoding::Gsm7));
        assert_eq!(sms_segments(&"a".repeat(161)), (2, SmsEncoding::Gsm7));
        assert_eq!(sms_segments(&"a".repeat(306)), (2, SmsEncoding::Gsm7));
        assert_eq!(sms_segments(&"a".repeat(307)), (3, SmsEncoding::Gsm7));
        // The euro sign takes two septets: 80 of them fill one segment exactly.
        assert_eq!(sms_segments(&"€".repeat(80)), (1, SmsEncoding::Gsm7));
        assert_eq!(sms_segments(&"€".repeat(81)), (2, SmsEncoding::Gsm7));
        // An escaped character is never cut: 152 'a' + '€' does not fit 153.
        let s = format!("{}€{}", "a".repeat(152), "a".repeat(10));
        assert_eq!(sms_segments(&s), (2, SmsEncoding::Gsm7));
        assert_eq!(sms_segments(""), (0, SmsEncoding::Gsm7));
    }

    #[test]
    fn ucs2_segments() {
        assert_eq!(sms_segments("Привет"), (1, SmsEncoding::Ucs2));
        assert_eq!(sms_segments(&"é".repeat(160)), (1, SmsEncoding::Gsm7));
        assert_eq!(sms_segments(&"ж".repeat(70)), (1, SmsEncoding::Ucs2));
        assert_eq!(sms_segments(&"ж".repeat(71)), (2, SmsEncoding::Ucs2));
        assert_eq!(sms_segments(&"ж".repeat(134)), (2, SmsEncoding::Ucs2));
        assert_eq!(sms_segments(&"ж".repeat(135)), (3, SmsEncoding::Ucs2));
        // One emoji turns the whole text into UCS-2, and takes two units.
        let s = format!("{}🙂", "a".repeat(68));
        assert_eq!(sms_segments(&s), (1, SmsEncoding::Ucs2));
        let s = format!("{}🙂", "a".repeat(69));
        assert_eq!(sms_segments(&s), (2, SmsEncoding::Ucs2));
        // A surrogate pair is never cut: 66 units + emoji goes to a second segment.
        let s = format!("{}🙂{}", "a".repeat(66), "a".repeat(10));
        assert_eq!(sms_segments(&s), (2, SmsEncoding::Ucs2));
    }

    #[test]
    fn short_messages_are_one_part() {
        assert_eq!(
            split_message("  Thanks!  ", true),
            vec!["Thanks!".to_owned()]
        );
        assert!(split_message("   ", true).is_empty());
    }

    #[test]
    fn long_sms_splits_at_sentences_within_ten_segments() {
        let sentence = "Your parcel left our warehouse this morning and should arrive soon. ";
        let text = sentence.repeat(40);
        let parts = split_message(&text, true);
        assert!(parts.len() >= 2, "{parts:?}");
        for p in &parts {
            assert!(p.ends_with("soon."), "cut mid-sentence: {p}");
            assert!(sms_segments(p).0 <= MAX_PART_SEGMENTS);
        }
        assert_eq!(parts.join(" "), text.trim());
    }

    #[test]
    fn whatsapp_splits_at_1600_characters() {
        let sentence = "Ваша посылка уже в пути и скоро будет у вас. ";
        let text = sentence.repeat(60);
        let parts = split_message(&text, false);
        assert!(parts.len() >= 2);
        for p in &parts {
            assert!(p.chars().count() <= MAX_PART_CHARS);
            assert!(p.ends_with("вас."));
        }
        // The same Cyrillic text as SMS needs UCS-2 and so smaller parts.
        let sms = split_message(&text, true);
        assert!(sms.len() > parts.len());
        for p in &sms {
            assert!(sms_segments(p).0 <= MAX_PART_SEGMENTS, "{}", p.len());
        }
    }

    #[test]
    fn a_sentence_longer_than_a_part_is_cut_at_words() {
        let text = "word ".repeat(500);
        let parts = split_message(&text, true);
        assert!(parts.len() >= 2);
        for p in &parts {
            assert!(!p.ends_with("wor") && p.split(' ').all(|w| w == "word"));
        }
        let one = "x".repeat(4000);
        let parts = split_message(&one, false);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts.concat(), one);
    }

    #[test]
    fn templates_count_and_fill_variables() {
        let t = WhatsappTemplate {
            name: "order_update".into(),
            content_sid: "HX1".into(),
            body: "Hi {{1}}, your order {{2}} has shipped.".into(),
        };
        assert_eq!(t.variables(), 2);
        assert_eq!(
            t.render(&["Ann".into(), "#1001".into()]),
            "Hi Ann, your order #1001 has shipped."
        );
    }

    #[test]
    fn composer_description() {
        assert_eq!(
            describe_outbound("Hello there", true),
            "11 characters · 1 SMS segment (GSM-7)"
        );
        assert_eq!(
            describe_outbound("Привет", true),
            "6 characters · 1 SMS segment (UCS-2)"
        );
        assert_eq!(describe_outbound("Hi", false), "2 characters");
    }
}

/// Settings → Transcription.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TranscriptionSettingsView {
    /// An account is set up.
    pub configured: bool,
    /// The API key's first and last characters.
    pub key_hint: Option<String>,
    /// API base when not the provider's own.
    pub api_base: String,
    /// Spoken language code; empty: detected.
    pub language_code: String,
    /// Transcribe customers' audio and video attachments.
    pub attachments: bool,
    /// Transcribe call recordings that come without a transcript.
    pub calls: bool,
    /// Where the provider reports finished transcripts.
    pub webhook_url: String,
    /// The server can seal the key.
    pub can_store_keys: bool,
    /// Transcripts over the last 30 days, by status.
    pub completed_30d: u64,
    /// Failed over the last 30 days.
    pub failed_30d: u64,
    /// Waiting on the provider now.
    pub pending: u64,
    /// Minutes of audio transcribed over the last 30 days.
    pub minutes_30d: u64,
}

/// The transcription settings form.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TranscriptionSettingsForm {
    /// API key; empty keeps the stored one.
    pub api_key: String,
    /// API base; empty for the provider's own.
    pub api_base: String,
    /// Spoken language code; empty: detected.
    pub language_code: String,
    /// Transcribe customers' audio and video attachments.
    pub attachments: bool,
    /// Transcribe call recordings that come without a transcript.
    pub calls: bool,
}

/// Settings → Slack.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SlackSettingsView {
    /// A Slack app is connected.
    pub configured: bool,
    /// The bot token's first and last characters.
    pub token_hint: Option<String>,
    /// The Slack team the token belongs to.
    pub team_name: String,
    /// API base when not Slack's own.
    pub api_base: String,
    /// Channel new conversations are posted to; empty: none.
    pub notify_channel: String,
    /// The slash command's Request URL.
    pub command_url: String,
    /// The Events API's Request URL.
    pub events_url: String,
    /// The server can seal the secrets.
    pub can_store_keys: bool,
    /// Threads mirrored over the last 30 days.
    pub threads_30d: u64,
    /// Tickets opened with `/ticket` over the last 30 days.
    pub tickets_30d: u64,
    /// Roots that could not be posted over the last 30 days, with the last reason.
    pub failed_30d: u64,
    /// The last reason a post failed.
    pub last_error: Option<String>,
}

/// The Slack settings form.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SlackSettingsForm {
    /// `xoxb-…` bot token; empty keeps the stored one.
    pub bot_token: String,
    /// Signing secret; empty keeps the stored one.
    pub signing_secret: String,
    /// Channel for new-conversation notifications (`#support` or an id); empty: none.
    pub notify_channel: String,
    /// API base; empty for Slack's own.
    pub api_base: String,
}
