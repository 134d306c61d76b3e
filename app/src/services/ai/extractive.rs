//! Extractive answering and agent assist.
//!
//! Nothing here generates text: every sentence returned by [`best_extract`]
//! and [`summarize`] is a verbatim substring of its source, so callers can
//! show it as a quotation and verify it with [`is_supported`].
//!
//! Matching uses `textutil::content_terms` (stopwords dropped, light
//! stemming), so "shipping" in a query matches "shipped" in a passage.

use std::collections::{HashMap, HashSet};

use super::textutil::{content_terms, split_sentences, tokenize};

/// A retrieved knowledge-base passage.
#[derive(Debug, Clone)]
pub struct Passage {
    /// Article title.
    pub title: String,
    /// Section heading ("" or the title for an intro section).
    pub heading: String,
    /// Plain text of the section (sentences and lines).
    pub text: String,
    /// Link to the section.
    pub url: String,
    /// Retrieval score, higher is better, any scale (only the rank is used).
    pub score: f64,
}

/// The chosen extract of one passage.
#[derive(Debug, Clone, PartialEq)]
pub struct Extract {
    /// Index of the passage in the input slice.
    pub passage: usize,
    /// Selected sentences, verbatim, in source order (contiguous).
    pub sentences: Vec<String>,
    /// Fraction of the query's content terms found in the passage's title,
    /// heading and selected sentences (0..=1).
    pub coverage: f64,
    /// Fraction of the query's content terms found in title and heading.
    pub heading_coverage: f64,
}

/// Weight of the IDF-weighted coverage in the passage choice; the rest goes
/// to the retrieval rank (`1 / (1 + rank)`).
const COVERAGE_WEIGHT: f64 = 0.75;

/// Words that open a sentence continuing the previous one.
const CONNECTORS: &[&str] = &[
    "then",
    "next",
    "afterwards",
    "after",
    "once",
    "finally",
    "also",
    "alternatively",
    "otherwise",
    "this",
    "these",
    "it",
    "they",
    "however",
    "additionally",
    "instead",
];

struct Sent {
    text: String,
    terms: HashSet<String>,
}

fn term_set(text: &str) -> HashSet<String> {
    content_terms(text).into_iter().collect()
}

fn starts_with_connector(s: &str) -> bool {
    tokenize(s)
        .first()
        .is_some_and(|w| CONNECTORS.contains(&w.as_str()))
}

fn starts_with_list_marker(s: &str) -> bool {
    let t = s.trim_start();
    if t.starts_with(['-', '*', '\u{2022}', '\u{2013}']) {
        return true;
    }
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    digits > 0 && t[digits..].starts_with(['.', ')'])
}

fn ends_with_colon(s: &str) -> bool {
    s.trim_end().ends_with(':')
}

/// Contiguous sentence range `[lo, hi]` around the best sentence `best`.
fn select_range(sents: &[Sent], scores: &[f64], best: usize, max: usize) -> (usize, usize) {
    let (mut lo, mut hi) = (best, best);
    let mut list_mode = false;
    // A best sentence opening with "This/It/They..." needs its antecedent.
    if lo > 0 && max > 1 && starts_with_connector(&sents[lo].text) {
        lo -= 1;
    }
    while hi - lo + 1 < max {
        if let Some(next) = sents.get(hi + 1) {
            let prev = &sents[hi].text;
            let continues = ends_with_colon(prev)
                || (list_mode && next.text.chars().count() <= 160 && !ends_with_colon(&next.text))
                || starts_with_connector(&next.text)
                || (starts_with_list_marker(&next.text) && starts_with_list_marker(prev));
            if continues {
                list_mode = list_mode || ends_with_colon(prev);
                hi += 1;
                continue;
            }
        }
        let right = scores.get(hi + 1).copied().filter(|s| *s > 0.0);
        let left = if lo > 0 {
            Some(scores[lo - 1]).filter(|s| *s > 0.0)
        } else {
            None
        };
        match (left, right) {
            (None, None) => break,
            (Some(l), Some(r)) if l > r => lo -= 1,
            (Some(_), None) => lo -= 1,
            _ => hi += 1,
        }
    }
    (lo, hi)
}

/// Picks the passage and sentences that best answer `query`.
///
/// Sentences are scored by the IDF-weighted overlap of their content terms
/// with the query's (IDF over all sentences of all given passages:
/// `ln(1 + N / df)`). In each passage the best sentence is extended with
/// adjacent sentences that also overlap the query, or that continue it (the
/// previous one ends with ':', it opens with "Then", "This", "It", ..., or
/// both are list items), up to `max_sentences` (at least 1). The passage
/// maximising `0.75 × weighted coverage + 0.25 / (1 + retrieval rank)` wins,
/// where weighted coverage counts query terms found in its title, heading and
/// selected sentences. Ties go to the earlier passage.
///
/// Returns `None` when the query has no content terms or no sentence shares
/// a term with it.
pub fn best_extract(query: &str, passages: &[Passage], max_sentences: usize) -> Option<Extract> {
    let q = content_terms(query);
    if q.is_empty() || passages.is_empty() {
        return None;
    }
    let max = max_sentences.max(1);
    let sents: Vec<Vec<Sent>> = passages
        .iter()
        .map(|p| {
            split_sentences(&p.text)
                .into_iter()
                .map(|text| Sent {
                    terms: term_set(&text),
                    text,
                })
                .collect()
        })
        .collect();
    let n = sents.iter().map(Vec::len).sum::<usize>().max(1) as f64;
    let idf: HashMap<&str, f64> = q
        .iter()
        .map(|t| {
            let df = sents
                .iter()
                .flatten()
                .filter(|s| s.terms.contains(t))
                .count()
                .max(1) as f64;
            (t.as_str(), (1.0 + n / df).ln())
        })
        .collect();
    let total_weight: f64 = idf.values().sum();

    let mut order: Vec<usize> = (0..passages.len()).collect();
    order.sort_by(|&a, &b| passages[b].score.total_cmp(&passages[a].score));
    let mut rank = vec![0usize; passages.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = r;
    }

    let mut best: Option<(f64, Extract)> = None;
    for (pi, (p, ps)) in passages.iter().zip(&sents).enumerate() {
        let scores: Vec<f64> = ps
            .iter()
            .map(|s| {
                q.iter()
                    .filter(|t| s.terms.contains(*t))
                    .map(|t| idf[t.as_str()])
                    .sum()
            })
            .collect();
        let Some((b, _)) = scores.iter().enumerate().filter(|(_, s)| **s > 0.0).fold(
            None,
            |acc: Option<(usize, f64)>, (i, &s)| match acc {
                Some((_, bs)) if bs >= s => acc,
                _ => Some((i, s)),
            },
        ) else {
            continue;
        };
        let (lo, hi) = select_range(ps, &scores, b, max);
        let mut head_terms = term_set(&p.title);
        head_terms.extend(term_set(&p.heading));
        let mut all_terms = head_terms.clone();
        for s in &ps[lo..=hi] {
            all_terms.extend(s.terms.iter().cloned());
        }
        let frac = |set: &HashSet<String>| {
            q.iter().filter(|t| set.contains(*t)).count() as f64 / q.len() as f64
        };
        let weighted = q
            .iter()
            .filter(|t| all_terms.contains(*t))
            .map(|t| idf[t.as_str()])
            .sum::<f64>()
            / total_weight;
        let blend = COVERAGE_WEIGHT * weighted + (1.0 - COVERAGE_WEIGHT) / (1.0 + rank[pi] as f64);
        let extract = Extract {
            passage: pi,
            sentences: ps[lo..=hi].iter().map(|s| s.text.clone()).collect(),
            coverage: frac(&all_terms),
            heading_coverage: frac(&head_terms),
        };
        if best.as_ref().is_none_or(|(bb, _)| blend > *bb) {
            best = Some((blend, extract));
        }
    }
    best.map(|(_, e)| e)
}

/// Fraction (0..=1) of the query's stemmed content terms present in `text`;
/// 0 when the query has none.
pub fn coverage(query: &str, text: &str) -> f64 {
    let q = content_terms(query);
    if q.is_empty() {
        return 0.0;
    }
    let t = term_set(text);
    q.iter().filter(|w| t.contains(*w)).count() as f64 / q.len() as f64
}

fn normalize_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// True iff `answer_sentence` (trimmed, non-empty) occurs in some passage's
/// text, comparing with runs of whitespace collapsed to single spaces.
pub fn is_supported(answer_sentence: &str, passages: &[Passage]) -> bool {
    let a = normalize_ws(answer_sentence);
    !a.is_empty() && passages.iter().any(|p| normalize_ws(&p.text).contains(&a))
}

/// One message of a support thread.
#[derive(Debug, Clone)]
pub struct ThreadLine {
    /// True for customer messages, false for agent/staff messages.
    pub from_customer: bool,
    /// Display name of the author.
    pub author: String,
    /// Plain text of the message.
    pub text: String,
}

/// Extractive summary of a thread; every entry is a verbatim sentence.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Up to 5 informative sentences, in thread order.
    pub key_points: Vec<String>,
    /// Customer questions not yet followed by an agent message.
    pub open_questions: Vec<String>,
    /// Up to 5 requests or commitments, in thread order.
    pub action_items: Vec<String>,
}

const MAX_KEY_POINTS: usize = 5;
const MAX_ACTION_ITEMS: usize = 5;

const GREETINGS: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "hiya",
    "dear",
    "greetings",
    "morning",
    "afternoon",
    "evening",
    "good",
];
const CLOSINGS: &[&str] = &[
    "thanks",
    "thank",
    "thx",
    "ty",
    "cheers",
    "regards",
    "best",
    "kind",
    "warm",
    "warmest",
    "many",
    "sincerely",
    "yours",
    "ta",
    "great",
    "perfect",
    "ok",
    "okay",
    "sure",
    "awesome",
    "cool",
    "brilliant",
    "noted",
    "lovely",
    "wonderful",
    "talk",
    "have",
];
const FILLER_PHRASES: &[&str] = &[
    "sorry to hear",
    "hope you're well",
    "hope you are well",
    "hope this helps",
    "hope this finds you",
    "happy to help",
    "thanks for reaching out",
    "thank you for reaching out",
    "thanks for contacting",
    "thank you for contacting",
    "sent from my",
];
const GENERIC_OFFERS: &[&str] = &[
    "anything else",
    "any other questions",
    "any questions",
    "don't hesitate",
    "do not hesitate",
];
const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
];

fn is_filler(sentence: &str) -> bool {
    let toks = tokenize(sentence);
    let Some(first) = toks.first() else {
        return true;
    };
    let lower = sentence.to_lowercase().replace('\u{2019}', "'");
    if FILLER_PHRASES.iter().any(|p| lower.contains(p)) {
        return true;
    }
    let has_digit = sentence.chars().any(|c| c.is_ascii_digit());
    if GREETINGS.contains(&first.as_str()) && toks.len() <= 4 {
        return true;
    }
    if CLOSINGS.contains(&first.as_str()) && toks.len() <= 6 && !has_digit {
        return true;
    }
    (toks.len() == 1 && !has_digit) || content_terms(sentence).is_empty()
}

/// Whether a sentence states a concrete fact: an order number, date, amount
/// or any number.
fn has_fact(sentence: &str) -> bool {
    sentence
        .chars()
        .any(|c| c.is_ascii_digit() || matches!(c, '$' | '€' | '£'))
        || tokenize(sentence)
            .iter()
            .any(|w| MONTHS.contains(&w.as_str()) && w != "may")
}

fn info_score(sentence: &str, from_customer: bool) -> f64 {
    let terms = content_terms(sentence).len() as f64;
    let toks = tokenize(sentence).len().max(1) as f64;
    let mut s = terms / toks.sqrt();
    if has_fact(sentence) {
        s += 1.5;
    }
    if from_customer {
        s += 0.5;
    }
    s
}

fn ends_with_question(s: &str) -> bool {
    s.trim_end()
        .trim_end_matches(['"', '\'', ')', ']', '\u{201d}', '\u{2019}'])
        .ends_with('?')
}

fn is_action(sentence: &str) -> bool {
    let lower = sentence.to_lowercase().replace('\u{2019}', "'");
    if GENERIC_OFFERS.iter().any(|p| lower.contains(p)) {
        return false;
    }
    let toks = tokenize(sentence);
    let question = ends_with_question(sentence);
    let has = |w: &str| toks.iter().any(|t| t == w);
    let pair = |a: &str, b: &[&str]| {
        toks.windows(2)
            .any(|p| p[0] == a && b.contains(&p[1].as_str()))
    };
    has("please")
        || has("send")
        || has("i'll")
        || has("we'll")
        || toks
            .windows(3)
            .any(|p| p[0] == "let" && p[1] == "me" && p[2] == "know")
        || ["can", "could", "would", "will"]
            .iter()
            .any(|a| pair(a, &["you"]))
        || pair("we", &["will", "need"])
        || pair("i", &["will"])
        || (!question && pair("i", &["need"]))
        || pair("i'd", &["like"])
        || pair("make", &["sure"])
        || pair("follow", &["up"])
}

struct Candidate {
    msg: usize,
    idx: usize,
    text: String,
    score: f64,
}

/// Extractive summary of a thread.
///
/// * `key_points`: at most 5 sentences, in thread order. The main sentence
///   of the first customer message comes first in priority, then the best
///   sentence of each other message, then further sentences carrying facts
///   (numbers, dates, amounts). Sentences are ranked by content-term density
///   (`terms / sqrt(words)`, +1.5 for a fact, +0.5 from the customer).
///   Greetings, thanks, sign-offs and stock phrases are skipped.
/// * `open_questions`: customer sentences ending in '?' after the last agent
///   message (all customer questions when no agent has replied).
/// * `action_items`: at most 5 sentences from either side with a request or
///   commitment ("please", "can/could/would/will you", "I need" outside a
///   question, "we will", "I'll", "we'll", "send", "let me know", ...), in
///   thread order; generic offers ("anything else") are skipped.
pub fn summarize(thread: &[ThreadLine]) -> Summary {
    let mut per_message: Vec<Vec<Candidate>> = Vec::new();
    let mut action_items = Vec::new();
    for (mi, line) in thread.iter().enumerate() {
        let mut cands = Vec::new();
        for (si, s) in split_sentences(&line.text).into_iter().enumerate() {
            if is_filler(&s) {
                continue;
            }
            if is_action(&s) && action_items.len() < MAX_ACTION_ITEMS {
                action_items.push(s.clone());
            }
            cands.push(Candidate {
                msg: mi,
                idx: si,
                score: info_score(&s, line.from_customer),
                text: s,
            });
        }
        per_message.push(cands);
    }

    // Priority lists: first customer message's main sentence, other
    // messages' best sentences (by score), then other fact sentences.
    let best_of = |cands: &[Candidate]| -> Option<usize> {
        cands
            .iter()
            .enumerate()
            .fold(None, |acc: Option<(usize, f64)>, (i, c)| match acc {
                Some((_, s)) if s >= c.score => acc,
                _ => Some((i, c.score)),
            })
            .map(|(i, _)| i)
    };
    let first_customer = thread.iter().position(|l| l.from_customer);
    let mut priority: Vec<&Candidate> = Vec::new();
    let mut bests: Vec<&Candidate> = Vec::new();
    let mut rest: Vec<&Candidate> = Vec::new();
    for (mi, cands) in per_message.iter().enumerate() {
        let b = best_of(cands);
        for (i, c) in cands.iter().enumerate() {
            if Some(i) == b {
                if Some(mi) == first_customer {
                    priority.push(c);
                } else {
                    bests.push(c);
                }
            } else if has_fact(&c.text) {
                rest.push(c);
            }
        }
    }
    bests.sort_by(|a, b| b.score.total_cmp(&a.score));
    rest.sort_by(|a, b| b.score.total_cmp(&a.score));
    priority.extend(bests);
    priority.extend(rest);
    let mut seen_text: HashSet<&str> = HashSet::new();
    let mut picked: Vec<&Candidate> = Vec::new();
    for c in priority {
        if picked.len() >= MAX_KEY_POINTS {
            break;
        }
        if seen_text.insert(c.text.as_str()) {
            picked.push(c);
        }
    }
    picked.sort_by_key(|c| (c.msg, c.idx));
    let key_points = picked.into_iter().map(|c| c.text.clone()).collect();

    let from = thread
        .iter()
        .rposition(|l| !l.from_customer)
        .map_or(0, |i| i + 1);
    let open_questions = thread[from..]
        .iter()
        .filter(|l| l.from_customer)
        .flat_map(|l| split_sentences(&l.text))
        .filter(|s| ends_with_question(s))
        .collect();

    Summary {
        key_points,
        open_questions,
        action_items,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn passage(title: &str, heading: &str, text: &str, score: f64) -> Passage {
        Passage {
            title: title.into(),
            heading: heading.into(),
            text: text.into(),
            url: format!(
                "https://help.example.com/{}",
                title.to_lowercase().replace(' ', "-")
            ),
            score,
        }
    }

    fn kb() -> Vec<Passage> {
        vec![
            passage(
                "Shipping",
                "Delivery times",
                "We ship orders from our Denver warehouse. Standard delivery takes 3-5 business \
                 days. Express delivery takes 1-2 business days and costs extra.",
                2.0,
            ),
            passage(
                "Returns",
                "How to return an item",
                "You can return unworn items within 30 days. To start a return:\n\
                 Log in to your account\nOpen the order and choose Return items\n\
                 Print the prepaid label\nRefunds are issued within 5 days of receipt.",
                3.0,
            ),
            passage(
                "Account",
                "Passwords",
                "To reset your password, click Forgot password on the sign-in page. \
                 It sends a reset link to your email. The link expires after 1 hour.",
                1.0,
            ),
        ]
    }

    #[test]
    fn picks_the_answering_passage_and_sentence() {
        let kb = kb();
        let e = best_extract("How long does express shipping take?", &kb, 1).unwrap();
        assert_eq!(e.passage, 0);
        assert_eq!(
            e.sentences,
            vec!["Express delivery takes 1-2 business days and costs extra."]
        );
        // "long" is not in the passage; "shipping" is covered by the title.
        assert!((e.coverage - 0.75).abs() < 1e-9, "{e:?}");
        assert!((e.heading_coverage - 0.25).abs() < 1e-9, "{e:?}");
        for s in &e.sentences {
            assert!(is_supported(s, &kb));
        }
    }

    #[test]
    fn continues_lists_after_a_colon() {
        let kb = kb();
        let e = best_extract("how do I start a return", &kb, 4).unwrap();
        assert_eq!(e.passage, 1);
        assert_eq!(
            e.sentences,
            vec![
                "To start a return:",
                "Log in to your account",
                "Open the order and choose Return items",
                "Print the prepaid label",
            ]
        );
    }

    #[test]
    fn pulls_in_the_antecedent_of_it_sentences() {
        let kb = kb();
        let e = best_extract("reset link email", &kb, 2).unwrap();
        assert_eq!(e.passage, 2);
        assert_eq!(
            e.sentences,
            vec![
                "To reset your password, click Forgot password on the sign-in page.",
                "It sends a reset link to your email.",
            ]
        );
        assert!((e.coverage - 1.0).abs() < 1e-9);
    }

    #[test]
    fn retrieval_rank_breaks_coverage_ties() {
        let a = passage("A", "", "Gift cards never expire.", 1.0);
        let b = passage("B", "", "Gift cards never expire.", 5.0);
        let e = best_extract("do gift cards expire", &[a, b], 1).unwrap();
        assert_eq!(e.passage, 1);
    }

    #[test]
    fn none_without_overlap() {
        let kb = kb();
        assert!(best_extract("warranty for kayaks", &kb, 2).is_none());
        assert!(best_extract("hi thanks please", &kb, 2).is_none());
        assert!(best_extract("return", &[], 2).is_none());
    }

    #[test]
    fn coverage_and_support() {
        assert!(
            (coverage("tracking my orders", "Track an order from your account") - 1.0).abs() < 1e-9
        );
        assert!(
            (coverage("refund shipping cost", "Refunds exclude shipping") - 2.0 / 3.0).abs() < 1e-9
        );
        assert_eq!(coverage("hello", "anything"), 0.0);
        let kb = kb();
        assert!(is_supported(
            "  Standard   delivery takes 3-5 business days. ",
            &kb
        ));
        assert!(is_supported("Log in to your account Open the order", &kb));
        assert!(!is_supported(
            "Standard delivery takes 2 business days.",
            &kb
        ));
        assert!(!is_supported("   ", &kb));
    }

    fn thread() -> Vec<ThreadLine> {
        let line = |c: bool, a: &str, t: &str| ThreadLine {
            from_customer: c,
            author: a.into(),
            text: t.into(),
        };
        vec![
            line(
                true,
                "Ana",
                "Hi there,\nI ordered the Alpine 2 tent (order #10023) on March 3 and it arrived \
                 with a broken pole. Can you send a replacement pole before my trip on March 20?\n\
                 Thanks,\nAna",
            ),
            line(
                false,
                "Marco",
                "Hi Ana, I'm sorry to hear that. I've checked order #10023 and we'll ship a \
                 replacement pole today by express. You should receive it within 3-5 business \
                 days.\nBest regards, Marco",
            ),
            line(
                true,
                "Ana",
                "Great, thank you! Will I need to return the broken pole?",
            ),
            line(
                false,
                "Marco",
                "No need to return it. Please keep or recycle it. I'll send you the tracking \
                 number as soon as it ships. Let me know if there's anything else.",
            ),
            line(
                true,
                "Ana",
                "Perfect. Could you also confirm the delivery address is 12 Elm Street, Leeds? \
                 And will it need a signature?",
            ),
        ]
    }

    #[test]
    fn summarizes_a_realistic_thread() {
        let t = thread();
        let s = summarize(&t);
        let verbatim = |x: &String| t.iter().any(|l| l.text.contains(x.as_str()));

        assert_eq!(s.key_points.len(), 5, "{:#?}", s.key_points);
        assert!(s.key_points.iter().all(verbatim));
        assert_eq!(
            s.key_points[0],
            "I ordered the Alpine 2 tent (order #10023) on March 3 and it arrived with a broken pole."
        );
        assert!(s
            .key_points
            .iter()
            .any(|k| k.contains("we'll ship a replacement pole")));
        for filler in [
            "Hi there,",
            "Thanks,",
            "Ana",
            "Best regards, Marco",
            "Perfect.",
        ] {
            assert!(!s.key_points.iter().any(|k| k == filler), "{filler}");
        }

        assert_eq!(
            s.open_questions,
            vec![
                "Could you also confirm the delivery address is 12 Elm Street, Leeds?",
                "And will it need a signature?",
            ]
        );

        assert_eq!(
            s.action_items,
            vec![
                "Can you send a replacement pole before my trip on March 20?",
                "I've checked order #10023 and we'll ship a replacement pole today by express.",
                "Please keep or recycle it.",
                "I'll send you the tracking number as soon as it ships.",
                "Could you also confirm the delivery address is 12 Elm Street, Leeds?",
            ]
        );
        assert!(s.action_items.iter().all(verbatim));
    }

    #[test]
    fn open_questions_without_agent_reply() {
        let t = vec![
            ThreadLine {
                from_customer: true,
                author: "Li".into(),
                text: "Do you ship to Norway? My order is #5512.".into(),
            },
            ThreadLine {
                from_customer: true,
                author: "Li".into(),
                text: "Also, how long does it take?".into(),
            },
        ];
        let s = summarize(&t);
        assert_eq!(
            s.open_questions,
            vec!["Do you ship to Norway?", "Also, how long does it take?"]
        );
        assert!(s.key_points.contains(&"My order is #5512.".to_string()));
        assert_eq!(summarize(&[]), Summary::default());
    }
}
