//! Lexicon-based sentiment for customer messages.
//!
//! # Method
//!
//! The score is computed without any model, in the style of AFINN and VADER:
//!
//! 1. The text is split into sentences (see `textutil::split_sentences`) and
//!    each sentence into words. Each word (or one of a few two-word phrases
//!    such as "never again", "rip off", "thank you", "fell apart") is looked
//!    up in an embedded lexicon of about 250 entries with valences on AFINN's
//!    -5..+5 scale. The lexicon is calibrated for support traffic: words that
//!    merely describe a defect ("broken", "late", "missing", "damaged") carry
//!    only -0.5, because nearly every ticket describes a problem; emotion and
//!    judgement words carry -1 ("disappointed") to -4 ("scam").
//! 2. **Negation**: if "not", "no", "never", "don't", "isn't", "without", ...
//!    occurs within the three preceding words of the same clause (clauses are
//!    broken by `, ; :` and "but"), the valence is flipped and damped:
//!    `v × -0.75` (VADER uses -0.74). "not bad" is mildly positive, "not good"
//!    mildly negative. Two idioms keep their sign: a word followed by
//!    "enough" ("can't thank you enough") and a comparative after "be"
//!    ("couldn't be happier", "couldn't be worse").
//! 3. **Intensifiers** directly before the word multiply its valence:
//!    "very", "extremely", "so", "really", "absolutely", "totally", ... ×1.5;
//!    "slightly", "somewhat", "a bit", "a little", "kinda" ×0.5 (up to two
//!    stacked modifiers are applied).
//! 4. **Capitals**: a word written in ALL CAPS (two or more letters) ×1.5.
//! 5. **Exclamations**: in a sentence whose word valences sum below zero,
//!    each `!` adds -0.5, at most -2 per sentence. Exclamation marks do not
//!    change positive or neutral sentences.
//! 6. The contributions are summed to `s` and normalised as in VADER:
//!    `x = s / sqrt(s² + 15)`, which lies in (-1, 1); the score is
//!    `(x + 1) / 2`, so 0.5 is neutral, below 0.5 negative, above positive.
//!
//! [`explain`] returns exactly the contributions summed in step 6 (an
//! exclamation penalty appears as its run of `!` characters), so
//! `score(t)` always equals the normalised sum of `explain(t)`.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::textutil::{normalize_word, split_sentences, word_spans};

/// VADER's normalisation constant.
const ALPHA: f32 = 15.0;
/// Multiplier applied to a negated valence.
const NEGATION_FACTOR: f32 = -0.75;
/// Multiplier for boosters and ALL-CAPS words.
const BOOST: f32 = 1.5;
/// Multiplier for dampeners.
const DAMPEN: f32 = 0.5;
/// Words looked back over for a negator.
const NEGATION_WINDOW: usize = 3;
/// Valence added per `!` in a negative sentence, and its cap per sentence.
const EXCLAMATION_STEP: f32 = -0.5;
const EXCLAMATION_CAP: usize = 4;

const LEXICON: &[(&str, f32)] = &[
    // Strongly negative judgements.
    ("scam", -4.0),
    ("scams", -4.0),
    ("scammed", -4.0),
    ("scammer", -4.0),
    ("scammers", -4.0),
    ("fraud", -4.0),
    ("fraudulent", -4.0),
    ("worst", -3.0),
    ("insulted", -3.0),
    ("insulting", -3.0),
    ("joke", -2.0),
    ("tears", -2.0),
    ("wits", -3.0),
    ("horrible", -3.0),
    ("horrendous", -3.0),
    ("terrible", -3.0),
    ("terribly", -2.5),
    ("awful", -3.0),
    ("atrocious", -3.5),
    ("abysmal", -3.5),
    ("appalling", -3.0),
    ("appalled", -3.0),
    ("disgusting", -3.0),
    ("disgusted", -3.0),
    ("disgraceful", -3.0),
    ("pathetic", -3.0),
    ("incompetent", -3.0),
    ("incompetence", -3.0),
    ("outrageous", -3.0),
    ("unacceptable", -3.0),
    ("shameful", -3.0),
    ("nightmare", -3.0),
    ("disaster", -3.0),
    ("dreadful", -3.0),
    ("worthless", -3.0),
    ("garbage", -3.0),
    ("crap", -3.0),
    ("crappy", -3.0),
    ("shit", -3.0),
    ("shitty", -3.0),
    ("wtf", -3.0),
    ("idiotic", -3.0),
    ("deceptive", -3.0),
    ("dishonest", -3.0),
    ("liar", -3.5),
    ("liars", -3.5),
    ("lied", -3.0),
    ("lying", -3.0),
    ("cheated", -3.0),
    ("robbed", -3.0),
    ("theft", -3.0),
    ("hate", -3.0),
    ("hated", -3.0),
    ("hates", -3.0),
    ("despise", -3.0),
    ("furious", -3.0),
    ("livid", -3.5),
    ("fuming", -3.0),
    ("outraged", -3.0),
    ("enraged", -3.5),
    // Negative judgements.
    ("useless", -2.0),
    ("hopeless", -2.0),
    ("ridiculous", -2.5),
    ("absurd", -2.0),
    ("laughable", -2.5),
    ("rubbish", -2.5),
    ("junk", -2.5),
    ("shoddy", -2.5),
    ("lousy", -2.5),
    ("sucks", -2.5),
    ("suck", -2.5),
    ("sucked", -2.5),
    ("stupid", -2.5),
    ("rude", -2.5),
    ("unprofessional", -2.5),
    ("misleading", -2.5),
    ("misled", -2.5),
    ("screwed", -2.5),
    ("angry", -2.5),
    ("worse", -2.5),
    ("bad", -2.0),
    ("poor", -2.0),
    ("poorly", -2.0),
    ("unhelpful", -2.0),
    ("careless", -2.0),
    ("sloppy", -2.0),
    ("ignored", -2.0),
    ("ignoring", -2.0),
    ("waste", -2.0),
    ("wasted", -2.0),
    ("wasting", -2.0),
    ("mess", -2.0),
    ("messed", -2.0),
    ("unreliable", -2.0),
    ("inferior", -2.0),
    ("regret", -2.0),
    ("regretting", -2.0),
    ("failure", -2.0),
    ("unusable", -2.0),
    ("frustrated", -2.0),
    ("frustrating", -2.0),
    ("frustration", -2.0),
    ("mad", -2.0),
    ("shame", -2.0),
    ("disappointing", -1.0),
    ("disappointed", -1.0),
    ("disappointment", -1.0),
    ("unhappy", -1.5),
    ("upset", -1.5),
    ("sad", -1.5),
    ("annoyed", -1.5),
    ("annoying", -1.5),
    ("irritated", -1.5),
    ("irritating", -1.5),
    ("badly", -1.5),
    ("flimsy", -1.5),
    ("mediocre", -1.5),
    ("hassle", -1.5),
    ("inconvenienced", -1.5),
    ("stressed", -1.5),
    ("stressful", -1.5),
    ("stress", -1.5),
    ("joke", -1.5),
    ("insane", -1.5),
    ("damn", -1.5),
    ("ugh", -1.5),
    ("argh", -1.5),
    ("fail", -1.5),
    ("fails", -1.5),
    ("failed", -1.5),
    ("overcharged", -1.5),
    ("sick", -1.5),
    ("tired", -1.0),
    ("sigh", -1.0),
    ("bloody", -1.0),
    ("kidding", -1.0),
    ("unbelievable", -1.0),
    ("inconvenience", -1.0),
    ("inconvenient", -1.0),
    ("confusing", -1.0),
    ("worried", -1.0),
    ("anxious", -1.0),
    ("complain", -1.0),
    ("complaint", -1.0),
    ("complaining", -1.0),
    ("slow", -1.0),
    ("stolen", -1.0),
    ("concerned", -0.5),
    ("confused", -0.5),
    // Defect descriptions: mild, since nearly every ticket has one.
    ("broken", -0.5),
    ("broke", -0.5),
    ("damaged", -0.5),
    ("defective", -0.5),
    ("faulty", -0.5),
    ("missing", -0.5),
    ("late", -0.5),
    ("delayed", -0.5),
    ("wrong", -0.5),
    ("lost", -0.5),
    ("torn", -0.5),
    ("ripped", -0.5),
    ("cracked", -0.5),
    ("leaking", -0.5),
    ("leaks", -0.5),
    ("dirty", -0.5),
    ("scratched", -0.5),
    ("dented", -0.5),
    ("stuck", -0.5),
    ("problem", -0.5),
    ("problems", -0.5),
    ("issue", -0.5),
    ("issues", -0.5),
    ("error", -0.5),
    ("unfortunately", -0.5),
    ("sadly", -0.5),
    // Positive.
    ("outstanding", 3.5),
    ("exceptional", 3.0),
    ("love", 3.0),
    ("loved", 3.0),
    ("loves", 3.0),
    ("loving", 3.0),
    ("amazing", 3.0),
    ("awesome", 3.0),
    ("fantastic", 3.0),
    ("excellent", 3.0),
    ("brilliant", 3.0),
    ("superb", 3.0),
    ("wonderful", 3.0),
    ("perfect", 3.0),
    ("incredible", 3.0),
    ("fabulous", 3.0),
    ("terrific", 3.0),
    ("marvellous", 3.0),
    ("marvelous", 3.0),
    ("delighted", 3.0),
    ("thrilled", 3.0),
    ("lifesaver", 3.0),
    ("best", 3.0),
    ("perfectly", 2.5),
    ("lovely", 2.5),
    ("happy", 2.5),
    ("happier", 2.5),
    ("happiest", 3.0),
    ("grateful", 2.5),
    ("impressed", 2.5),
    ("impressive", 2.5),
    ("beautiful", 2.5),
    ("gorgeous", 2.5),
    ("fab", 2.5),
    ("legend", 2.5),
    ("hero", 2.5),
    ("great", 2.0),
    ("good", 2.0),
    ("nice", 2.0),
    ("glad", 2.0),
    ("pleased", 2.0),
    ("satisfied", 2.0),
    ("helpful", 2.0),
    ("friendly", 2.0),
    ("recommend", 2.0),
    ("recommended", 2.0),
    ("appreciate", 2.0),
    ("appreciated", 2.0),
    ("comfortable", 2.0),
    ("comfy", 2.0),
    ("enjoy", 2.0),
    ("enjoyed", 2.0),
    ("excited", 2.0),
    ("generous", 2.0),
    ("pleasure", 2.0),
    ("yay", 2.0),
    ("congrats", 2.0),
    ("better", 1.5),
    ("prompt", 1.5),
    ("promptly", 1.5),
    ("efficient", 1.5),
    ("smooth", 1.5),
    ("sturdy", 1.5),
    ("reliable", 1.5),
    ("kind", 1.5),
    ("patient", 1.5),
    ("relieved", 1.5),
    ("solved", 1.5),
    ("resolved", 1.5),
    ("liked", 1.5),
    ("thanks", 1.0),
    ("thank", 1.0),
    ("thx", 1.0),
    ("cheers", 1.0),
    ("fixed", 1.0),
    ("worked", 1.0),
    ("sorted", 1.0),
    ("quick", 1.0),
    ("quickly", 1.0),
    ("fast", 1.0),
    ("easy", 1.0),
    ("cool", 1.0),
    ("fair", 1.0),
    ("reasonable", 1.0),
    ("welcome", 1.0),
    ("fine", 0.5),
    ("ok", 0.5),
    ("okay", 0.5),
];

/// Two-word phrases, matched before single words.
const PHRASES: &[(&str, &str, f32)] = &[
    ("never", "again", -3.0),
    ("rip", "off", -3.0),
    ("ripped", "off", -3.0),
    ("fed", "up", -2.0),
    ("let", "down", -2.0),
    ("fell", "apart", -2.0),
    ("falling", "apart", -2.0),
    ("falls", "apart", -2.0),
    ("one", "star", -2.0),
    ("1", "star", -2.0),
    ("stopped", "working", -0.5),
    ("not", "working", -0.5),
    ("doesn't", "work", -0.5),
    ("doesnt", "work", -0.5),
    ("didn't", "work", -0.5),
    ("thank", "you", 1.5),
    ("well", "done", 2.0),
    ("five", "stars", 2.0),
    ("5", "stars", 2.0),
    ("no", "worries", 1.0),
];

const NEGATORS: &[&str] = &[
    "not",
    "no",
    "never",
    "don't",
    "dont",
    "doesn't",
    "doesnt",
    "didn't",
    "didnt",
    "isn't",
    "isnt",
    "wasn't",
    "wasnt",
    "aren't",
    "arent",
    "weren't",
    "werent",
    "can't",
    "cant",
    "cannot",
    "couldn't",
    "couldnt",
    "won't",
    "wont",
    "wouldn't",
    "wouldnt",
    "shouldn't",
    "shouldnt",
    "hasn't",
    "hasnt",
    "haven't",
    "havent",
    "hadn't",
    "hadnt",
    "ain't",
    "nothing",
    "nobody",
    "none",
    "neither",
    "nor",
    "without",
    "hardly",
];

const BOOSTERS: &[&str] = &[
    "very",
    "extremely",
    "so",
    "really",
    "incredibly",
    "absolutely",
    "totally",
    "completely",
    "utterly",
    "highly",
    "super",
    "truly",
    "seriously",
    "most",
    "awfully",
    "insanely",
    "particularly",
    "especially",
    "deeply",
];

const DAMPENERS: &[&str] = &[
    "slightly",
    "somewhat",
    "bit",
    "little",
    "kinda",
    "sorta",
    "mildly",
    "partly",
    "marginally",
];

static WORDS: LazyLock<HashMap<&'static str, f32>> =
    LazyLock::new(|| LEXICON.iter().copied().collect());

struct Word<'a> {
    raw: &'a str,
    norm: String,
    start: usize,
    end: usize,
    /// Clause index within the sentence.
    clause: usize,
}

fn sentence_words(sentence: &str) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut clause = 0;
    let mut prev_end = 0;
    for (start, end) in word_spans(sentence) {
        if sentence[prev_end..start]
            .chars()
            .any(|c| matches!(c, ',' | ';' | ':' | '(' | ')'))
        {
            clause += 1;
        }
        let raw = &sentence[start..end];
        let norm = normalize_word(raw);
        if norm == "but" {
            clause += 1;
        }
        out.push(Word {
            raw,
            norm,
            start,
            end,
            clause,
        });
        prev_end = end;
    }
    out
}

fn is_all_caps(raw: &str) -> bool {
    let letters: Vec<char> = raw.chars().filter(|c| c.is_alphabetic()).collect();
    letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase())
}

fn modifier(norm: &str) -> Option<f32> {
    if BOOSTERS.contains(&norm) {
        Some(BOOST)
    } else if DAMPENERS.contains(&norm) {
        Some(DAMPEN)
    } else {
        None
    }
}

/// Idioms where a negator intensifies rather than flips: "can't thank you
/// enough", "couldn't be happier", "couldn't be worse".
fn negation_immune(words: &[Word<'_>], i: usize, span_end: usize) -> bool {
    if words.get(span_end).is_some_and(|w| w.norm == "enough") {
        return true;
    }
    let comparative = {
        let w = words[i].norm.as_str();
        matches!(w, "better" | "worse") || (w.ends_with("ier") && w.len() > 4)
    };
    comparative && i > 0 && words[i - 1].norm == "be"
}

/// Contributions of one sentence: `(text as written, valence)`.
fn sentence_contributions(sentence: &str) -> Vec<(String, f32)> {
    let words = sentence_words(sentence);
    let mut out = Vec::new();
    // Words consumed by a phrase do not act as negators or modifiers.
    let mut in_phrase = vec![false; words.len()];
    let mut sum = 0.0_f32;
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        let mut span_end = i + 1;
        let mut valence = WORDS.get(w.norm.as_str()).copied();
        if let Some(next) = words.get(i + 1) {
            if let Some(&(_, _, v)) = PHRASES
                .iter()
                .find(|(a, b, _)| *a == w.norm && *b == next.norm)
            {
                valence = Some(v);
                span_end = i + 2;
            }
        }
        let Some(base) = valence else {
            i += 1;
            continue;
        };
        for flag in in_phrase.iter_mut().take(span_end).skip(i) {
            *flag = true;
        }
        let mut v = base;
        // Up to two stacked modifiers directly before the word.
        let mut j = i;
        let mut stacked = 0;
        while j > 0 && stacked < 2 {
            let prev = &words[j - 1];
            if in_phrase[j - 1] || prev.clause != w.clause {
                break;
            }
            match modifier(&prev.norm) {
                Some(m) => v *= m,
                None => break,
            }
            j -= 1;
            stacked += 1;
        }
        let negated = (i.saturating_sub(NEGATION_WINDOW)..i).any(|k| {
            // "never been so angry" intensifies rather than negates.
            let emphatic =
                words[k].norm == "never" && words.get(k + 1).is_some_and(|n| n.norm == "been");
            !in_phrase[k]
                && !emphatic
                && words[k].clause == w.clause
                && NEGATORS.contains(&words[k].norm.as_str())
        });
        if negated && !negation_immune(&words, i, span_end) {
            v *= NEGATION_FACTOR;
        }
        if words[i..span_end].iter().any(|x| is_all_caps(x.raw)) {
            v *= BOOST;
        }
        let last = &words[span_end - 1];
        out.push((sentence[w.start..last.end].to_string(), v));
        sum += v;
        i = span_end;
    }
    if sum < 0.0 {
        let bangs = sentence
            .chars()
            .filter(|&c| c == '!')
            .count()
            .min(EXCLAMATION_CAP);
        if bangs > 0 {
            out.push(("!".repeat(bangs), EXCLAMATION_STEP * bangs as f32));
        }
    }
    out
}

/// Words and phrases that contributed to the sentiment of `text`, in text
/// order, each with its final valence after negation, intensifiers and
/// capitals. A negative sentence's exclamation penalty appears as an entry
/// whose text is the run of `!` counted (e.g. `"!!"`, -1.0).
pub fn explain(text: &str) -> Vec<(String, f32)> {
    split_sentences(text)
        .iter()
        .flat_map(|s| sentence_contributions(s))
        .collect()
}

/// Maps a raw valence sum to the 0..1 score (see the module documentation).
fn normalise(sum: f32) -> f32 {
    let x = sum / (sum * sum + ALPHA).sqrt();
    ((x + 1.0) / 2.0).clamp(0.0, 1.0)
}

/// Sentiment of `text` in [0, 1]: 0.5 is neutral, lower is more negative.
/// See the module documentation for the method.
pub fn score(text: &str) -> f32 {
    normalise(explain(text).iter().map(|(_, v)| v).sum())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn valence_of(text: &str, word: &str) -> f32 {
        explain(text)
            .into_iter()
            .find(|(w, _)| w == word)
            .map(|(_, v)| v)
            .unwrap_or_else(|| panic!("{word} not in explain({text})"))
    }

    #[test]
    fn neutral_question_is_near_half() {
        for q in [
            "Hi, can you tell me when my order will arrive?",
            "How do I change the delivery address on order #10023?",
            "I ordered a hat and a tent last week.",
        ] {
            let s = score(q);
            assert!((0.45..=0.55).contains(&s), "{q}: {s}");
        }
        assert_eq!(score(""), 0.5);
    }

    #[test]
    fn brief_thresholds() {
        let s = score("This is the worst service ever, absolutely useless and I'm furious");
        assert!(s < 0.3, "{s}");
        let s = score("my tent arrived with a broken pole, disappointed");
        assert!((0.3..0.5).contains(&s), "{s}");
        let s = score("Thanks, that was great");
        assert!(s > 0.6, "{s}");
        let s = score("not bad");
        assert!(s > 0.5, "{s}");
        let s = score("not good");
        assert!(s < 0.5, "{s}");
    }

    #[test]
    fn negation_flips_and_respects_clauses() {
        assert!((valence_of("This is not good", "good") - 2.0 * NEGATION_FACTOR).abs() < 1e-6);
        // A negator up to three words back still applies; four back does not.
        assert!(valence_of("not at all good", "good") < 0.0);
        assert!(valence_of("never in my whole life good", "good") > 0.0);
        // A comma ends the negation scope.
        assert!(valence_of("No, this is great", "great") > 0.0);
        assert!(score("no problem") > 0.5);
        // Idioms where the negator intensifies.
        assert!(score("I can't thank you enough") > 0.6);
        assert!(score("We couldn't be happier with the tent") > 0.6);
        assert!(score("It couldn't be worse") < 0.4);
        assert!(score("It is not better") < 0.5);
    }

    #[test]
    fn intensifiers_scale() {
        assert!((valence_of("very good", "good") - 3.0).abs() < 1e-6);
        assert!((valence_of("really very good", "good") - 4.5).abs() < 1e-6);
        assert!((valence_of("slightly disappointed", "disappointed") + 0.5).abs() < 1e-6);
        assert!(score("a bit disappointed") > score("disappointed"));
        assert!(score("extremely frustrated") < score("frustrated"));
    }

    #[test]
    fn caps_and_exclamations_amplify_negativity() {
        assert!((valence_of("this is TERRIBLE", "TERRIBLE") + 4.5).abs() < 1e-6);
        assert!(score("this is TERRIBLE") < score("this is terrible"));
        assert!(score("This is unacceptable!!!") < score("This is unacceptable."));
        // Capped at four marks per sentence.
        let e = explain("Unacceptable!!!!!!!!");
        assert_eq!(e.last().cloned(), Some(("!!!!".to_string(), -2.0)));
        // No penalty for positive sentences.
        assert_eq!(score("Great!!!"), score("Great."));
    }

    #[test]
    fn phrases_match_before_words() {
        let e = explain("Never again. What a rip off");
        assert_eq!(
            e,
            vec![
                ("Never again".to_string(), -3.0),
                ("rip off".to_string(), -3.0)
            ]
        );
        // "never" inside the phrase does not negate later words.
        assert!(valence_of("never again terrible", "terrible") < 0.0);
        assert!(score("Thank you so much, well done") > 0.7);
    }

    #[test]
    fn score_is_normalised_sum_of_explain() {
        let text = "The pole was BROKEN and support was useless!! But thanks for the quick reply.";
        let sum: f32 = explain(text).iter().map(|(_, v)| v).sum();
        assert!((score(text) - normalise(sum)).abs() < 1e-6);
        let words: Vec<String> = explain(text).into_iter().map(|(w, _)| w).collect();
        assert_eq!(words, vec!["BROKEN", "useless", "!!", "thanks", "quick"]);
    }

    #[test]
    fn scores_are_bounded_and_monotonic() {
        let awful = "worst worst worst scam fraud terrible awful horrible disgusting!!!!";
        let s = score(awful);
        assert!((0.0..0.05).contains(&s), "{s}");
        let s = score("amazing perfect excellent love love love");
        assert!((0.95..=1.0).contains(&s), "{s}");
        assert!(score("good") < score("great and good"));
        assert!(LEXICON.len() >= 240);
    }
}
