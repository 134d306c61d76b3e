//! Shared text helpers for the AI services: tokenisation, an English stopword
//! list, a light suffix-stripping stemmer, verbatim sentence splitting and
//! full-text query terms.
//!
//! Everything here is deterministic and allocation-light; no models, no I/O.

use std::collections::HashSet;
use std::sync::LazyLock;

/// Byte spans `(start, end)` of the words in `text`.
///
/// A word is a maximal run of Unicode alphanumeric characters; an apostrophe
/// (`'` or `’`) is kept when it sits between two alphanumeric characters, so
/// "don't" is one word while "'quoted'" yields just "quoted".
pub fn word_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start: Option<usize> = None;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if c.is_alphanumeric() {
            if start.is_none() {
                start = Some(i);
            }
            continue;
        }
        let inner_apostrophe = (c == '\'' || c == '\u{2019}')
            && start.is_some()
            && iter.peek().is_some_and(|&(_, n)| n.is_alphanumeric());
        if inner_apostrophe {
            continue;
        }
        if let Some(s) = start.take() {
            spans.push((s, i));
        }
    }
    if let Some(s) = start {
        spans.push((s, text.len()));
    }
    spans
}

/// Lowercases a word and normalises the typographic apostrophe `’` to `'`.
pub fn normalize_word(w: &str) -> String {
    w.chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == '\u{2019}' { '\'' } else { c })
        .collect()
}

/// Lowercase words of `text` (see [`word_spans`] for what counts as a word).
pub fn tokenize(text: &str) -> Vec<String> {
    word_spans(text)
        .into_iter()
        .map(|(s, e)| normalize_word(&text[s..e]))
        .collect()
}

const STOPWORDS: &[&str] = &[
    // Standard English function words.
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "aren't",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "can't",
    "cannot",
    "could",
    "couldn't",
    "did",
    "didn't",
    "do",
    "does",
    "doesn't",
    "doing",
    "don't",
    "down",
    "during",
    "each",
    "either",
    "else",
    "etc",
    "ever",
    "every",
    "few",
    "for",
    "from",
    "further",
    "had",
    "hadn't",
    "has",
    "hasn't",
    "have",
    "haven't",
    "having",
    "he",
    "he'd",
    "he'll",
    "he's",
    "her",
    "here",
    "here's",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "how's",
    "i",
    "i'd",
    "i'll",
    "i'm",
    "i've",
    "if",
    "in",
    "into",
    "is",
    "isn't",
    "it",
    "it's",
    "its",
    "itself",
    "just",
    "let's",
    "like",
    "may",
    "me",
    "many",
    "might",
    "more",
    "most",
    "much",
    "must",
    "mustn't",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "ought",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "really",
    "same",
    "shall",
    "shan't",
    "she",
    "she'd",
    "she'll",
    "she's",
    "should",
    "shouldn't",
    "so",
    "some",
    "still",
    "such",
    "than",
    "that",
    "that's",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "there's",
    "these",
    "they",
    "they'd",
    "they'll",
    "they're",
    "they've",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "upon",
    "us",
    "very",
    "was",
    "wasn't",
    "we",
    "we'd",
    "we'll",
    "we're",
    "we've",
    "were",
    "weren't",
    "what",
    "what's",
    "when",
    "when's",
    "where",
    "where's",
    "which",
    "while",
    "who",
    "who's",
    "whom",
    "why",
    "why's",
    "will",
    "with",
    "won't",
    "would",
    "wouldn't",
    "yet",
    "you",
    "you'd",
    "you'll",
    "you're",
    "you've",
    "your",
    "yours",
    "yourself",
    "yourselves",
    // Apostrophe-less spellings customers type.
    "dont",
    "cant",
    "wont",
    "im",
    "ive",
    "id",
    "isnt",
    "doesnt",
    "didnt",
    // Support filler.
    "hi",
    "hello",
    "hey",
    "hiya",
    "dear",
    "thanks",
    "thank",
    "thx",
    "please",
    "pls",
    "plz",
    "help",
    "question",
    "questions",
    "regards",
    "cheers",
    "ok",
    "okay",
    "yes",
    "yeah",
    "get",
    "got",
    "want",
    "wanted",
    "need",
    "know",
    "wondering",
    "hoping",
    "hope",
    "anyone",
    "someone",
    "something",
    "anything",
    "able",
];

static STOPWORD_SET: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| STOPWORDS.iter().copied().collect());

/// True when `w` (any case, `’` or `'`) is an English stopword or common
/// support filler ("hi", "thanks", "please", "help", "question", ...).
pub fn is_stopword(w: &str) -> bool {
    if STOPWORD_SET.contains(w) {
        return true;
    }
    STOPWORD_SET.contains(normalize_word(w).as_str())
}

fn char_len(s: &str) -> usize {
    s.chars().count()
}

fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y')
}

fn has_vowel(s: &str) -> bool {
    s.chars().any(is_vowel)
}

/// Light, conservative English stemmer (roughly Porter step 1 plus "-ly" and
/// a final silent "e").
///
/// Rules, applied in order to the lowercased word (words of three characters
/// or fewer, and words containing digits, are returned unchanged):
/// 1. possessive `'s` is dropped;
/// 2. plurals: `-sses`→`-ss`, `-ies`→`-y`, `-es` after s/x/z/ch/sh is dropped,
///    otherwise a final `-s` is dropped (not after `s`, `u` or `i`);
/// 3. `-ied`→`-y`; `-ing` / `-ed` are dropped when at least three characters
///    with a vowel remain (never for `-eed`), then a doubled final consonant
///    other than l/s/z is undoubled ("shipp"→"ship");
/// 4. `-ly` is dropped when at least four characters remain;
/// 5. a final `e` after a consonant is dropped ("charge"→"charg").
///
/// The output is a matching key, not a dictionary word: "orders", "ordered"
/// and "ordering" all give "order"; "deliveries" gives "delivery".
pub fn stem(w: &str) -> String {
    let mut s = normalize_word(w);
    if let Some(x) = s.strip_suffix("'s") {
        s = x.to_string();
    }
    while s.ends_with('\'') {
        s.pop();
    }
    if char_len(&s) <= 3 || !s.chars().all(|c| c.is_alphabetic() || c == '\'') {
        return s;
    }
    let s = strip_plural(s);
    let s = strip_verbal(s);
    let s = strip_ly(s);
    strip_final_e(s)
}

fn strip_plural(s: String) -> String {
    if let Some(b) = s.strip_suffix("sses") {
        return format!("{b}ss");
    }
    if let Some(b) = s.strip_suffix("ies") {
        return if char_len(&s) > 4 {
            format!("{b}y")
        } else {
            format!("{b}ie")
        };
    }
    if s.ends_with("ss") || s.ends_with("us") || s.ends_with("is") {
        return s;
    }
    if let Some(b) = s.strip_suffix("es") {
        let sibilant = b.ends_with('s')
            || b.ends_with('x')
            || b.ends_with('z')
            || b.ends_with("ch")
            || b.ends_with("sh");
        if sibilant && char_len(b) >= 3 {
            return b.to_string();
        }
    }
    if let Some(b) = s.strip_suffix('s') {
        if char_len(b) >= 3 && has_vowel(b) {
            return b.to_string();
        }
    }
    s
}

fn undouble(b: &str) -> String {
    let chars: Vec<char> = b.chars().collect();
    let n = chars.len();
    if n > 3 {
        let last = chars[n - 1];
        if last == chars[n - 2] && !is_vowel(last) && !matches!(last, 'l' | 's' | 'z') {
            return chars[..n - 1].iter().collect();
        }
    }
    b.to_string()
}

fn strip_verbal(s: String) -> String {
    if s.ends_with("eed") {
        return s;
    }
    if let Some(b) = s.strip_suffix("ied") {
        if char_len(b) >= 2 {
            return format!("{b}y");
        }
    }
    for suffix in ["ing", "ed"] {
        if let Some(b) = s.strip_suffix(suffix) {
            if char_len(b) >= 3 && has_vowel(b) {
                return undouble(b);
            }
        }
    }
    s
}

const LY_EXCEPTIONS: &[&str] = &[
    "family",
    "supply",
    "assembly",
    "anomaly",
    "monopoly",
    "butterfly",
    "italy",
    "belly",
    "bully",
    "jelly",
    "rally",
    "holly",
    "friendly",
    "lovely",
];

fn strip_ly(s: String) -> String {
    if let Some(b) = s.strip_suffix("ly") {
        if char_len(b) >= 4 && !LY_EXCEPTIONS.contains(&s.as_str()) {
            return b.to_string();
        }
    }
    s
}

fn strip_final_e(s: String) -> String {
    if char_len(&s) >= 4 {
        if let Some(b) = s.strip_suffix('e') {
            if b.chars().last().is_some_and(|c| !is_vowel(c) && c != '\'') {
                return b.to_string();
            }
        }
    }
    s
}

/// Support-domain synonyms: a customer's word → the word articles use. Applied
/// before stemming to both questions and passages (and added to full-text
/// queries), so "parcel" finds "package" and "swap" finds "exchange".
const SYNONYMS: &[(&str, &str)] = &[
    ("parcel", "package"),
    ("parcels", "package"),
    ("shipment", "package"),
    ("courier", "carrier"),
    ("couriers", "carrier"),
    ("swap", "exchange"),
    ("swapping", "exchange"),
    ("pitch", "set"),
    ("login", "sign"),
    ("log", "sign"),
    ("stolen", "missing"),
    ("lost", "missing"),
    ("clean", "wash"),
    ("cleaning", "wash"),
    ("laundry", "wash"),
    ("launder", "wash"),
    ("treat", "waterproof"),
    ("reproof", "waterproof"),
    ("opt", "unsubscribe"),
    ("rental", "rent"),
    ("hire", "rent"),
    ("colour", "color"),
    ("follow", "track"),
    ("giftcard", "gift"),
    ("sold", "stock"),
    ("amex", "american"),
    ("pw", "password"),
];

/// Phrases a customer writes for one word the articles use (checked on
/// lowercase tokens; the phrase's own words stay terms too).
const PHRASES: &[(&[&str], &str)] = &[
    (&["send", "back"], "return"),
    (&["sent", "back"], "return"),
    (&["sending", "back"], "return"),
    (&["ship", "back"], "return"),
    (&["bring", "back"], "return"),
    (&["take", "back"], "return"),
    (&["go", "back"], "return"),
    (&["money", "back"], "refund"),
    (&["sold", "out"], "stock"),
    (&["out", "of", "stock"], "stock"),
    (&["back", "in", "stock"], "restock"),
    (&["log", "in"], "sign"),
    (&["get", "into"], "sign"),
    (&["close", "my", "account"], "delete"),
    (&["close", "account"], "delete"),
    (&["wrong", "size"], "exchange"),
    (&["different", "size"], "exchange"),
    (&["bigger", "size"], "exchange"),
    (&["smaller", "size"], "exchange"),
    (&["larger", "size"], "exchange"),
    (&["another", "size"], "exchange"),
];

/// Countries and regions, for the words articles use about where orders go:
/// members of the European Union → "eu", others outside the United States →
/// "international".
const PLACES: &[(&str, &str)] = &[
    ("austria", "eu"),
    ("belgium", "eu"),
    ("bulgaria", "eu"),
    ("croatia", "eu"),
    ("cyprus", "eu"),
    ("czechia", "eu"),
    ("denmark", "eu"),
    ("estonia", "eu"),
    ("finland", "eu"),
    ("france", "eu"),
    ("germany", "eu"),
    ("greece", "eu"),
    ("hungary", "eu"),
    ("ireland", "eu"),
    ("italy", "eu"),
    ("latvia", "eu"),
    ("lithuania", "eu"),
    ("luxembourg", "eu"),
    ("malta", "eu"),
    ("netherlands", "eu"),
    ("poland", "eu"),
    ("portugal", "eu"),
    ("romania", "eu"),
    ("slovakia", "eu"),
    ("slovenia", "eu"),
    ("spain", "eu"),
    ("sweden", "eu"),
    ("europe", "eu"),
    ("european", "eu"),
    ("uk", "international"),
    ("britain", "international"),
    ("england", "international"),
    ("scotland", "international"),
    ("norway", "international"),
    ("switzerland", "international"),
    ("iceland", "international"),
    ("australia", "international"),
    ("japan", "international"),
    ("mexico", "international"),
    ("brazil", "international"),
    ("india", "international"),
    ("china", "international"),
    ("abroad", "international"),
    ("overseas", "international"),
];

/// Extra terms the message's phrases and place names stand for.
fn implied_terms(toks: &[String]) -> Vec<&'static str> {
    let mut out = Vec::new();
    for i in 0..toks.len() {
        for (phrase, word) in PHRASES {
            if toks.len() - i >= phrase.len() && phrase.iter().zip(&toks[i..]).all(|(p, t)| p == t)
            {
                out.push(*word);
            }
        }
        if let Some((_, word)) = PLACES.iter().find(|(p, _)| *p == toks[i]) {
            out.push(*word);
        }
    }
    out
}

/// The article word for a customer's word.
pub fn canonical(word: &str) -> &str {
    SYNONYMS
        .iter()
        .find(|(w, _)| *w == word)
        .map_or(word, |(_, c)| c)
}

/// Content terms of `text`: tokens that are not stopwords and are longer than
/// one character, mapped through [`canonical`], stemmed with [`stem`], deduplicated keeping first-seen order.
pub fn content_terms(text: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for tok in &tokenize(text) {
        if char_len(tok) < 2 || is_stopword(tok) {
            continue;
        }
        let st = stem(canonical(tok));
        if seen.insert(st.clone()) {
            out.push(st);
        }
    }
    out
}

/// [`content_terms`] plus the words the text's phrases and place names stand
/// for ("send back" → return, "Portugal" → eu): what a customer's question is
/// searched with. Only for searching: rules that look for a customer's own
/// words (procedure triggers) use [`content_terms`].
pub fn search_terms(text: &str) -> Vec<String> {
    let mut out = content_terms(text);
    for word in implied_terms(&tokenize(text)) {
        let st = stem(word);
        if !out.contains(&st) {
            out.push(st);
        }
    }
    out
}

/// Abbreviations whose trailing period never ends a sentence.
const HARD_ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "eg", "ie", "approx", "vs", "mr", "mrs", "ms", "dr", "prof", "cf", "incl", "fig",
    "ca", "st", "mt", "nr", "tel", "ext", "dept",
];

/// Abbreviations that end a sentence unless the next word is lowercase or a
/// number ("at 5 p.m. today" vs "at 5 p.m. Thanks").
const SOFT_ABBREVIATIONS: &[&str] = &["etc", "a.m", "p.m", "inc", "ltd", "co", "no"];

fn is_terminator(c: char) -> bool {
    matches!(c, '.' | '?' | '!' | '\u{2026}')
}

fn is_closer(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | ')' | ']' | '\u{201d}' | '\u{2019}' | '\u{bb}'
    )
}

/// Whether a single `.` ending `before` (the current sentence so far) belongs
/// to an abbreviation, given the text that follows it.
fn period_is_abbreviation(before: &str, after: &str) -> bool {
    // "1. Open the app": a short number opening the sentence is a list marker.
    let whole = before.trim();
    if !whole.is_empty() && whole.len() <= 3 && whole.chars().all(|c| c.is_ascii_digit()) {
        return true;
    }
    let word = before
        .rsplit(char::is_whitespace)
        .next()
        .unwrap_or("")
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    if word.is_empty() {
        return false;
    }
    if HARD_ABBREVIATIONS.contains(&word.as_str()) {
        return true;
    }
    if SOFT_ABBREVIATIONS.contains(&word.as_str()) {
        let next = after.trim_start().chars().next();
        return next.is_some_and(|c| c.is_lowercase() || c.is_ascii_digit());
    }
    false
}

/// Splits plain text into sentences.
///
/// Boundaries are newlines, and runs of `.`, `?`, `!` or `…` (plus any closing
/// quotes/brackets) followed by whitespace or the end of the text. A period
/// does not end a sentence after abbreviations such as "e.g.", "i.e." or
/// "approx.", inside decimals ("4.5") or inside URLs/domains, because there it
/// is not followed by whitespace.
///
/// Every returned sentence is trimmed, non-empty and a verbatim substring of
/// `text`.
pub fn split_sentences(text: &str) -> Vec<String> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut push = |s: &str| {
        let t = s.trim();
        if !t.is_empty() {
            out.push(t.to_string());
        }
    };
    let mut seg_start = 0;
    let mut k = 0;
    while k < chars.len() {
        let (i, c) = chars[k];
        if c == '\n' || c == '\r' {
            push(&text[seg_start..i]);
            seg_start = i + c.len_utf8();
            k += 1;
            continue;
        }
        if !is_terminator(c) {
            k += 1;
            continue;
        }
        let mut j = k;
        while j < chars.len() && is_terminator(chars[j].1) {
            j += 1;
        }
        let single_period = c == '.' && j == k + 1;
        while j < chars.len() && is_closer(chars[j].1) {
            j += 1;
        }
        let end = chars.get(j).map_or(text.len(), |&(b, _)| b);
        let at_boundary = chars.get(j).is_none_or(|&(_, n)| n.is_whitespace());
        if at_boundary
            && !(single_period && period_is_abbreviation(&text[seg_start..i], &text[end..]))
        {
            push(&text[seg_start..end]);
            seg_start = end;
        }
        k = j;
    }
    push(&text[seg_start..]);
    out
}

/// `word` with the accents of Latin letters removed ("contraseña" →
/// "contrasena", "straße" → "strasse"), as the full-text indexes fold them.
pub fn fold_diacritics(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => out.push('a'),
            'æ' => out.push_str("ae"),
            'ç' => out.push('c'),
            'è' | 'é' | 'ê' | 'ë' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' => out.push('i'),
            'ñ' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => out.push('o'),
            'œ' => out.push_str("oe"),
            'ù' | 'ú' | 'û' | 'ü' => out.push('u'),
            'ý' | 'ÿ' => out.push('y'),
            'ß' => out.push_str("ss"),
            c => out.push(c),
        }
    }
    out
}

/// Terms for a full-text OR query: lowercase words that are not stopwords,
/// with accents folded and reduced to their `[a-z0-9]` characters, at least two characters long,
/// deduplicated, longest first (ties keep text order), at most `max_terms`.
pub fn fts_query(text: &str, max_terms: usize) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut terms: Vec<String> = Vec::new();
    let toks = tokenize(text);
    for word in implied_terms(&toks) {
        if seen.insert(word.to_owned()) {
            terms.push(word.to_owned());
        }
    }
    for tok in toks {
        if is_stopword(&tok) {
            continue;
        }
        let clean: String = fold_diacritics(&tok)
            .chars()
            .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            .collect();
        if clean.len() < 2 || is_stopword(&clean) {
            continue;
        }
        let canon = canonical(&clean).to_owned();
        if canon != clean && seen.insert(canon.clone()) {
            terms.push(canon);
        }
        if seen.insert(clean.clone()) {
            terms.push(clean);
        }
    }
    terms.sort_by_key(|t| std::cmp::Reverse(t.len()));
    terms.truncate(max_terms);
    terms
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn tokenize_keeps_inner_apostrophes_and_lowercases() {
        assert_eq!(
            tokenize("Don't SHIP it—'now', OK? It’s #10023."),
            vec!["don't", "ship", "it", "now", "ok", "it's", "10023"]
        );
        assert_eq!(tokenize("Café naïve"), vec!["café", "naïve"]);
        assert!(tokenize("  ... !!! ").is_empty());
    }

    #[test]
    fn word_spans_are_byte_offsets() {
        let text = "é ok";
        let spans = word_spans(text);
        assert_eq!(spans, vec![(0, 2), (3, 5)]);
        assert_eq!(&text[spans[1].0..spans[1].1], "ok");
    }

    #[test]
    fn accents_fold_for_the_full_text_query() {
        assert_eq!(fold_diacritics("contraseña"), "contrasena");
        assert_eq!(fold_diacritics("straße"), "strasse");
        assert!(fts_query("Olvidé mi contraseña", 12).contains(&"contrasena".to_owned()));
    }

    #[test]
    fn phrases_and_places_add_the_words_articles_use() {
        let t = search_terms("Can I send back a jacket to you from Portugal?");
        assert!(t.contains(&stem("return")), "{t:?}");
        assert!(t.contains(&"eu".to_owned()), "{t:?}");
        assert!(fts_query("it is sold out", 12).contains(&"stock".to_owned()));
        assert!(!search_terms("send the back panel").contains(&stem("return")));
        // A customer's own words stay their own for rules that match them.
        assert!(!content_terms("money back please").contains(&stem("refund")));
    }

    #[test]
    fn stopwords_include_support_filler() {
        for w in [
            "hi", "hello", "thanks", "please", "hey", "help", "question", "the",
        ] {
            assert!(is_stopword(w), "{w}");
        }
        assert!(is_stopword("Don’t"));
        assert!(!is_stopword("refund"));
        assert!(!is_stopword("order"));
        assert!(STOPWORDS.len() >= 150);
    }

    #[test]
    fn stemmer_conflates_support_vocabulary() {
        for (w, s) in [
            ("orders", "order"),
            ("ordered", "order"),
            ("ordering", "order"),
            ("shipping", "ship"),
            ("shipped", "ship"),
            ("ships", "ship"),
            ("returns", "return"),
            ("returned", "return"),
            ("tracking", "track"),
            ("passwords", "password"),
            ("deliveries", "delivery"),
            ("delivery", "delivery"),
            ("boxes", "box"),
            ("addresses", "address"),
            ("status", "status"),
            ("customer's", "customer"),
        ] {
            assert_eq!(stem(w), s, "{w}");
        }
        // Inflections of the same word share a stem even when it is not a word.
        assert_eq!(stem("charge"), stem("charged"));
        assert_eq!(stem("charging"), stem("charges"));
        assert_eq!(stem("phones"), stem("phone"));
        assert_eq!(stem("replied"), stem("replies"));
        // Conservative: short or special words stay put.
        assert_eq!(stem("need"), "need");
        assert_eq!(stem("string"), "string");
        assert_eq!(stem("bus"), "bus");
        assert_eq!(stem("10023"), "10023");
        assert_eq!(stem("family"), "family");
    }

    #[test]
    fn content_terms_drop_stopwords_and_dedupe() {
        assert_eq!(
            content_terms("Hi! How do I track my orders? Tracking my ORDER please"),
            vec!["track", "order"]
        );
        assert!(content_terms("hello, thanks, please help").is_empty());
        assert_eq!(content_terms("a b c tent"), vec!["tent"]);
    }

    #[test]
    fn sentences_are_verbatim_and_respect_abbreviations() {
        let text = "Returns are free within 30 days, e.g. for boots. The fee is approx. 4.5 EUR!\n\
                    See https://help.example.com/returns?x=1 for details. Done? Yes.";
        let s = split_sentences(text);
        assert_eq!(
            s,
            vec![
                "Returns are free within 30 days, e.g. for boots.",
                "The fee is approx. 4.5 EUR!",
                "See https://help.example.com/returns?x=1 for details.",
                "Done?",
                "Yes.",
            ]
        );
        for sentence in &s {
            assert!(text.contains(sentence.as_str()));
        }
    }

    #[test]
    fn sentences_handle_quotes_ellipses_and_crlf() {
        let text = "He said \"no.\" Then left... Really?!\r\nOk i.e. fine";
        assert_eq!(
            split_sentences(text),
            vec![
                "He said \"no.\"",
                "Then left...",
                "Really?!",
                "Ok i.e. fine"
            ]
        );
        assert_eq!(
            split_sentences("Call at 5 p.m. today. Or 6 p.m. Thanks."),
            vec!["Call at 5 p.m. today.", "Or 6 p.m.", "Thanks."]
        );
        assert!(split_sentences("  \n \n").is_empty());
        assert_eq!(
            split_sentences("1. Open the app\n2. Tap Orders. It has 2. Done"),
            vec!["1. Open the app", "2. Tap Orders.", "It has 2.", "Done"]
        );
    }

    #[test]
    fn fts_query_terms_are_clean_and_bounded() {
        let q = fts_query(
            "Hi, where's my order #10023? The café tent hasn't shipped!",
            10,
        );
        assert_eq!(q, vec!["shipped", "order", "10023", "cafe", "tent"]);
        assert_eq!(
            fts_query("shipping returns tent", 2),
            vec!["shipping", "returns"]
        );
        assert!(fts_query("thanks please help", 5).is_empty());
    }
}
