//! Ranking retrieved knowledge-base sections for a customer's message, and the
//! built-in engine's confidence that one of them answers it.
//!
//! Pure: the database's full-text index proposes candidates
//! (`kb::search`), this module orders them the same way on every database,
//! and the evaluation harness replays it without a database.

use super::extractive::{self, Extract, Passage};
use super::textutil;
use std::collections::{HashMap, HashSet};

/// A candidate section proposed by the full-text index.
#[derive(Clone, Debug)]
pub struct Candidate<'a> {
    /// The article it belongs to (sections of one article share their words).
    pub article: i32,
    /// Article title.
    pub title: &'a str,
    /// Section heading.
    pub heading: &'a str,
    /// Section text.
    pub text: &'a str,
    /// Position in the index's own ranking (0 = best).
    pub index_rank: usize,
    /// Cosine similarity of embeddings, when a provider computed them.
    pub similarity: Option<f64>,
}

/// A candidate's relevance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Relevance {
    /// 0–1, higher is better.
    pub score: f64,
    /// Weighted share of the query's terms found in title, heading and text.
    pub coverage: f64,
}

/// Words that open a question.
const QUESTION_OPENERS: &[&str] = &[
    "how", "what", "when", "where", "which", "why", "who", "can", "could", "do", "does", "is",
    "are", "will", "would", "should", "may", "any", "was", "did", "has", "have",
];

/// The query's content terms, each with its weight: terms of the sentences that
/// ask (ending with '?' or opening with a question word) weigh 1, the context
/// around them [`CONTEXT_WEIGHT`]; a message without a question weighs all alike.
pub fn query_terms(query: &str) -> Vec<(String, f64)> {
    let sentences = textutil::split_sentences(query);
    let asks = |s: &str| {
        s.trim_end().ends_with('?')
            || textutil::tokenize(s)
                .first()
                .is_some_and(|w| QUESTION_OPENERS.contains(&w.as_str()))
    };
    let any_question = sentences.len() > 1 && sentences.iter().any(|s| asks(s));
    let mut out: Vec<(String, f64)> = Vec::new();
    for s in &sentences {
        let w = if !any_question || asks(s) {
            1.0
        } else {
            CONTEXT_WEIGHT
        };
        for t in textutil::search_terms(s) {
            match out.iter_mut().find(|(x, _)| *x == t) {
                Some((_, old)) => *old = old.max(w),
                None => out.push((t, w)),
            }
        }
    }
    out
}

/// Weight of the terms of sentences around a question.
const CONTEXT_WEIGHT: f64 = 0.5;
/// Weight, relative to the rarest known term, of a term no candidate contains.
const UNKNOWN_WEIGHT: f64 = 0.5;

/// Scores each candidate (same order as given).
///
/// Each query term weighs its question weight × its rarity among the
/// candidates (`ln(1 + n / df)`); a term no candidate contains weighs as the
/// rarest, times `UNKNOWN_WEIGHT`, so a question about something the
/// knowledge base never mentions keeps a low score. The score blends the
/// weighted share found in the section, in its title and heading, in its
/// whole article (among the candidates), and the index's rank.
pub fn rescore(query: &str, cands: &[Candidate<'_>], pool: usize) -> Vec<Relevance> {
    let q = query_terms(query);
    let heads: Vec<HashSet<String>> = cands
        .iter()
        .map(|c| {
            let mut h = term_set(c.title);
            h.extend(term_set(c.heading));
            h
        })
        .collect();
    let alls: Vec<HashSet<String>> = cands
        .iter()
        .zip(&heads)
        .map(|(c, h)| {
            let mut a = term_set(c.text);
            a.extend(h.iter().cloned());
            a
        })
        .collect();
    let mut articles: HashMap<i32, HashSet<&str>> = HashMap::new();
    for (c, a) in cands.iter().zip(&alls) {
        articles
            .entry(c.article)
            .or_default()
            .extend(a.iter().map(String::as_str));
    }
    let n = cands.len().max(1) as f64;
    let weights: Vec<(f64, bool)> = q
        .iter()
        .map(|(t, w)| {
            let df = alls.iter().filter(|a| a.contains(t)).count();
            if df == 0 {
                (w * (1.0 + n).ln() * UNKNOWN_WEIGHT, false)
            } else {
                (w * (1.0 + n / df as f64).ln(), true)
            }
        })
        .collect();
    let total: f64 = weights
        .iter()
        .map(|(w, _)| w)
        .sum::<f64>()
        .max(f64::EPSILON);
    let share = |has: &dyn Fn(&str) -> bool| {
        q.iter()
            .zip(&weights)
            .filter(|((t, _), (_, known))| *known && has(t))
            .map(|(_, (w, _))| w)
            .sum::<f64>()
            / total
    };
    cands
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let coverage = share(&|t| alls[i].contains(t));
            let head_cov = share(&|t| heads[i].contains(t));
            let art_cov = share(&|t| articles.get(&c.article).is_some_and(|a| a.contains(t)));
            let r = c.index_rank.min(pool);
            let rank_score = 1.0 / (1.0 + r as f64 * 0.5);
            let mut score = 0.45 * coverage + 0.2 * head_cov + 0.2 * art_cov + 0.15 * rank_score;
            if let Some(s) = c.similarity {
                score = 0.7 * score + 0.3 * s.max(0.0);
            }
            Relevance {
                score: score.clamp(0.0, 1.0),
                coverage,
            }
        })
        .collect()
}

fn term_set(text: &str) -> HashSet<String> {
    textutil::content_terms(text).into_iter().collect()
}

/// The built-in engine's confidence in answering from the best section: how
/// far it stands above the best section of any other article (the strongest
/// sign that the right article was found), its relevance, and how much of the
/// question its title and heading carry. Calibrated on the tuning set
/// (`switchboard-bench ai-eval`): the default threshold 0.60 is the lowest
/// that answered no tuning question from the wrong article and no
/// unanswerable one.
pub fn confidence(top_score: f64, heading_coverage: f64, margin: f64) -> f64 {
    (0.315 * top_score + 0.315 * heading_coverage + 0.945 * margin.max(0.0)).clamp(0.0, 1.0)
}

/// What the confidence is made of, for the agent and for calibration.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Signals {
    /// Relevance of the quoted section.
    pub top: f64,
    /// Best relevance of a section of another article.
    pub other: f64,
    /// Share of the query's terms in the quoted sentences, title and heading.
    pub coverage: f64,
    /// Share in the title and heading.
    pub heading_coverage: f64,
    /// Question-weighted share in the quoted sentences, title and heading.
    pub weighted: f64,
    /// Content terms in the query.
    pub terms: usize,
}

/// The best extract for `query`, the engine's confidence in it and what that
/// is made of; `None` when the message has no words to search for or no
/// passage shares one.
pub fn best_answer(query: &str, passages: &[Passage]) -> Option<(Extract, f64, Signals)> {
    let terms = textutil::content_terms(query);
    if terms.is_empty() {
        return None;
    }
    let ex = extractive::best_extract(query, passages, 3)?;
    let p = passages.get(ex.passage)?;
    let top = p.score;
    let article = |p: &Passage| p.url.split('#').next().map(str::to_owned);
    let best_other = passages
        .iter()
        .enumerate()
        .filter(|(i, o)| *i != ex.passage && article(o) != article(p))
        .map(|(_, o)| o.score)
        .fold(0.0_f64, f64::max);
    let q = query_terms(query);
    let mut found = term_set(&p.title);
    found.extend(term_set(&p.heading));
    for s in &ex.sentences {
        found.extend(term_set(s));
    }
    let total: f64 = q.iter().map(|(_, w)| w).sum::<f64>().max(f64::EPSILON);
    let weighted = q
        .iter()
        .filter(|(t, _)| found.contains(t))
        .map(|(_, w)| w)
        .sum::<f64>()
        / total;
    let signals = Signals {
        top,
        other: best_other,
        coverage: ex.coverage,
        heading_coverage: ex.heading_coverage,
        weighted,
        terms: terms.len(),
    };
    // One- or two-word questions ("order", "what is the status") match many
    // passages fully: they are too vague to answer without asking.
    let specificity = match terms.len() {
        0 | 1 => 0.5,
        2 => 0.8,
        _ => 1.0,
    };
    let conf = confidence(top, ex.heading_coverage, top - best_other) * specificity;
    Some((ex, conf, signals))
}

/// How every clarifying question opens (what the next turn recognises).
pub const CLARIFY_OPENING: &str = "I want to make sure I point you to the right answer.";
/// The first line of a clarifying question that offers articles.
pub const CHOICES_INTRO: &str =
    "I want to make sure I point you to the right answer. Is your question about one of these?";
/// Its last line.
pub const CHOICES_OUTRO: &str =
    "Reply with the number, or could you tell me a little more about what you need?";
/// Least relevance of an article offered as a choice.
const CHOICE_FLOOR: f64 = 0.25;

/// The articles to offer when the engine asks: the best section of each of
/// the first three articles among `passages` (best first) that matches the
/// message at least [`CHOICE_FLOOR`] and shares a word with it.
pub fn choices<'a>(query: &str, passages: &'a [Passage]) -> Vec<&'a Passage> {
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for p in passages {
        let article = p.url.split('#').next().unwrap_or_default();
        if seen.contains(&article) {
            continue;
        }
        seen.push(article);
        let shares =
            extractive::coverage(query, &format!("{} {} {}", p.title, p.heading, p.text)) > 0.0;
        if p.score >= CHOICE_FLOOR && shares {
            out.push(p);
        }
        if out.len() == 3 {
            break;
        }
    }
    out
}

/// What a message that answers a clarifying question means.
#[derive(Clone, Debug, PartialEq)]
pub enum Followup {
    /// The customer picked this offered article (its title).
    Picked {
        /// The question that was clarified.
        question: String,
        /// The title of the article picked.
        title: String,
    },
    /// The customer said more: read it together with the question.
    MoreContext {
        /// The question that was clarified.
        question: String,
    },
}

/// When the last message before `text` in `history` (oldest first; `true` for
/// the customer's) is the engine's clarifying question, what `text` means:
/// the number, ordinal or title of an offered article picks it; anything else
/// adds to the question asked before the clarification.
pub fn followup(text: &str, history: &[(bool, String)]) -> Option<Followup> {
    let (at, asked) = history
        .iter()
        .enumerate()
        .rev()
        .find(|(_, (from_customer, _))| !from_customer)?;
    if !asked.1.starts_with(CLARIFY_OPENING) {
        return None;
    }
    let question = history[..at]
        .iter()
        .rev()
        .find(|(from_customer, _)| *from_customer)?
        .1
        .clone();
    let titles: Vec<String> = if asked.1.starts_with(CHOICES_INTRO) {
        asked
            .1
            .lines()
            .filter_map(|l| {
                let (n, title) = l.trim().split_once(". ")?;
                n.parse::<usize>().ok()?;
                Some(title.trim().to_owned())
            })
            .collect()
    } else {
        Vec::new()
    };
    match pick(text, &titles) {
        Some(i) => Some(Followup::Picked {
            question,
            title: titles[i].clone(),
        }),
        None => Some(Followup::MoreContext { question }),
    }
}

/// Which of `titles` a short reply picks: "2", "#2", "option 2", "the second
/// one", "the last", or the words of one title (most of them, and more than of
/// any other).
fn pick(text: &str, titles: &[String]) -> Option<usize> {
    if titles.is_empty() {
        return None;
    }
    let words = textutil::tokenize(text);
    const ORDINALS: &[(&str, usize)] = &[
        ("first", 0),
        ("1st", 0),
        ("second", 1),
        ("2nd", 1),
        ("two", 1),
        ("third", 2),
        ("3rd", 2),
        ("three", 2),
    ];
    if words.len() <= 6 {
        let numbered = words.iter().find_map(|w| {
            if let Ok(n) = w.parse::<usize>() {
                return (1..=titles.len()).contains(&n).then(|| n - 1);
            }
            ORDINALS
                .iter()
                .find(|(o, _)| o == w)
                .map(|(_, i)| *i)
                .filter(|i| *i < titles.len())
                .or_else(|| (w == "last").then(|| titles.len() - 1))
        });
        if numbered.is_some() {
            return numbered;
        }
    }
    let said: HashSet<String> = textutil::content_terms(text).into_iter().collect();
    let share = |t: &String| {
        let terms = textutil::content_terms(t);
        if terms.is_empty() {
            return 0.0;
        }
        terms.iter().filter(|x| said.contains(*x)).count() as f64 / terms.len() as f64
    };
    let shares: Vec<f64> = titles.iter().map(share).collect();
    let best = shares
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, s)| (i, *s))?;
    let unique = shares
        .iter()
        .enumerate()
        .all(|(i, s)| i == best.0 || *s < best.1);
    (best.1 >= 0.5 && unique).then_some(best.0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn cand<'a>(article: i32, title: &'a str, heading: &'a str, text: &'a str) -> Candidate<'a> {
        Candidate {
            article,
            title,
            heading,
            text,
            index_rank: 0,
            similarity: None,
        }
    }

    fn passage(slug: &str, heading: &str, text: &str, score: f64) -> Passage {
        Passage {
            title: slug.replace('-', " "),
            heading: heading.into(),
            text: text.into(),
            url: format!("/help/acme/en/articles/{slug}#{}", heading.to_lowercase()),
            score,
        }
    }

    #[test]
    fn the_question_weighs_more_than_the_story_around_it() {
        let q =
            query_terms("My kids are excited about the trip. Which way should the tent door face?");
        let w = |t: &str| q.iter().find(|(x, _)| x == t).map(|(_, w)| *w);
        assert_eq!(w("door"), Some(1.0));
        assert_eq!(w("tent"), Some(1.0));
        assert_eq!(w("kid"), Some(CONTEXT_WEIGHT));
        // Without a question every sentence counts alike.
        let q = query_terms("My boots leak. The seams are wet.");
        assert!(q.iter().all(|(_, w)| (*w - 1.0).abs() < 1e-9));
    }

    #[test]
    fn words_the_knowledge_base_never_uses_lower_every_score() {
        let cands = [
            cand(
                1,
                "Gift cards",
                "Redeem a gift card",
                "Enter the gift card code at checkout.",
            ),
            cand(
                2,
                "Return an item",
                "How to start a return",
                "Start a return from your account.",
            ),
        ];
        let known = rescore("how do I redeem a gift card", &cands, 24);
        let unknown = rescore(
            "how do I redeem a gift card for a kayak lesson voucher",
            &cands,
            24,
        );
        assert!(known[0].score > known[1].score);
        assert!(unknown[0].score < known[0].score);
        assert!(unknown[0].coverage < known[0].coverage);
    }

    #[test]
    fn an_article_whose_other_sections_hold_the_rest_of_the_question_wins() {
        let cands = [
            cand(
                1,
                "Return an item",
                "Return window",
                "You have 30 days to send it.",
            ),
            cand(
                1,
                "Return an item",
                "Refunds",
                "Boots worn outdoors cannot be refunded.",
            ),
            cand(2, "Boot care", "Return window", "Dry boots slowly."),
        ];
        let r = rescore("how many days do I have to return boots", &cands, 24);
        assert!(r[0].score > r[2].score, "{r:?}");
    }

    #[test]
    fn confidence_rests_on_the_margin_over_other_articles() {
        let clear = [
            passage(
                "track-your-order",
                "Track your order",
                "Every order has a tracking link.",
                0.8,
            ),
            passage("gift-cards", "Balance", "Gift cards never expire.", 0.2),
        ];
        let close = [
            passage(
                "track-your-order",
                "Track your order",
                "Every order has a tracking link.",
                0.8,
            ),
            passage(
                "missing-package",
                "Track a lost order",
                "A lost order is traced.",
                0.78,
            ),
        ];
        let (_, sure, s) = best_answer("how do I track my order", &clear).unwrap();
        let (_, unsure, _) = best_answer("how do I track my order", &close).unwrap();
        assert!(sure >= 0.6, "{sure} {s:?}");
        assert!(unsure < 0.6, "{unsure}");
        assert!((s.top - 0.8).abs() < 1e-9 && (s.other - 0.2).abs() < 1e-9);
    }

    #[test]
    fn a_message_without_words_has_no_answer() {
        let ps = [passage(
            "gift-cards",
            "Balance",
            "Gift cards never expire.",
            0.9,
        )];
        assert!(best_answer("hi!!", &ps).is_none());
    }

    #[test]
    fn a_clarifying_question_offers_the_closest_articles_and_reads_the_pick() {
        let ps = [
            passage(
                "track-your-order",
                "Track your order",
                "Every order has a tracking link.",
                0.5,
            ),
            passage(
                "track-your-order",
                "When tracking doesn't update",
                "Tracking can pause.",
                0.45,
            ),
            passage(
                "missing-package",
                "Reporting a missing package",
                "Tell us the order number.",
                0.4,
            ),
            passage("gift-cards", "Balance", "Gift cards never expire.", 0.1),
        ];
        let offered = choices("where is my order package", &ps);
        assert_eq!(offered.len(), 2, "one per article, above the floor");
        let asked = format!(
            "{CHOICES_INTRO}\n\n1. {}\n2. {}\n\n{CHOICES_OUTRO}",
            offered[0].title, offered[1].title
        );
        let history = vec![
            (true, "where is my order package".to_owned()),
            (false, asked),
        ];
        let picked = |t: &str| match followup(t, &history) {
            Some(Followup::Picked { title, question }) => {
                assert_eq!(question, "where is my order package");
                Some(title)
            }
            _ => None,
        };
        assert_eq!(picked("2").as_deref(), Some("missing package"));
        assert_eq!(picked("the first one").as_deref(), Some("track your order"));
        assert_eq!(
            picked("Option #2 please").as_deref(),
            Some("missing package")
        );
        assert_eq!(
            picked("the missing package one").as_deref(),
            Some("missing package")
        );
        assert_eq!(picked("neither, it is about a gift card"), None);
        assert!(matches!(
            followup("it is about a gift card", &history),
            Some(Followup::MoreContext { .. })
        ));
        // Not after an answer.
        let answered = vec![(true, "hi".to_owned()), (false, "Here is what…".to_owned())];
        assert_eq!(followup("2", &answered), None);
    }
}
