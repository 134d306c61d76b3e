//! AutoQA's documented rules: how a conversation is scored (0–100 per
//! criterion) when no AI provider is configured, and how spotlight flags are
//! raised (always by these rules, provider or not). Everything reads the
//! conversation's public replies: the customer's lines and the agent's (a
//! person's or the AI agent's).
//!
//! | Criterion | Rule |
//! |---|---|
//! | tone | `80 + 100·(s − 0.5)` where `s` is the mean sentiment of the agent's replies, at most 100; below neutral, 80 when the agent apologises or acknowledges (describing a problem reads negative), else `80 − 100·(0.5 − s)`; less 15 per shouted word (four or more capitals) or curt phrase ("calm down", "obviously", "as I said", "you should have", "your fault") and 10 per `!!`, at most 45 off |
//! | accuracy | 100, less 30 for each customer message after the first agent reply that says it still fails ("still", "not working", "doesn't work", "didn't work", "wrong", "again"), at most 90 off |
//! | completeness | 100 when the agent wrote at least 12 words per question the customer asked (each `?`, at least one request), else in proportion (at least 20); less 20 when the customer's last message, after the agent's last reply, asks a question |
//! | grammar | 100, less 15 per problem in the agent's replies: a sentence starting in lower case, a reply not ending in punctuation, a doubled word ("the the"), a lone lower-case "i", a space before `,` `.` `!` `?` |
//! | empathy | when the customer is upset (mean sentiment below 0.4, or a message below 0.3): 100 with two or more empathy phrases ("sorry", "apologi", "understand", "frustrat", "i can imagine", "patience", "appreciate"), 75 with one, 30 with none; otherwise 100 with one or a thank-you, else 80 |
//!
//! Criteria a workspace adds itself have no rule: people and the provider
//! score them. Flags: **negative sentiment** when the customer's last message
//! scores below 0.3 or their messages average below 0.35; **compliance risk**
//! when an agent reply holds a card number (13–19 digits passing the Luhn
//! check), asks for a password, a full card number or a CVV, promises a
//! guarantee, or swears.

use crate::services::ai::sentiment;

/// One public reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// Written by the customer (else by an agent or the AI agent).
    pub from_customer: bool,
    /// Its text.
    pub text: String,
}

/// What the rules found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Assessment {
    /// Criterion key → score, for the criteria these rules know.
    pub scores: Vec<(String, u32)>,
    /// Spotlight flags.
    pub flags: Vec<String>,
    /// What was noticed, in words.
    pub notes: Vec<String>,
}

const STILL_FAILING: &[&str] = &[
    "still",
    "not working",
    "doesn't work",
    "does not work",
    "didn't work",
    "did not work",
    "wrong",
    "again",
];
const EMPATHY: &[&str] = &[
    "sorry",
    "apologi",
    "understand",
    "frustrat",
    "i can imagine",
    "patience",
    "appreciate",
];
const CURT: &[&str] = &[
    "calm down",
    "obviously",
    "as i said",
    "as i already said",
    "you should have",
    "your fault",
];
const RISKY_ASKS: &[&str] = &[
    "your password",
    "full card number",
    "card number in full",
    "cvv",
    "security code on the back",
];
const PROMISES: &[&str] = &["guarantee", "100% sure", "100 % sure", "i promise"];
const SWEARING: &[&str] = &["damn", "crap", "stupid", "idiot", "shit", "fuck"];

fn clamp(v: f64) -> u32 {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "clamped to 0–100"
    )]
    let v = v.round().clamp(0.0, 100.0) as u32;
    v
}

fn mean(xs: &[f64]) -> Option<f64> {
    #[allow(clippy::cast_precision_loss, reason = "a few hundred lines")]
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

fn words(s: &str) -> Vec<&str> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .collect()
}

/// Whether `digits` passes the Luhn check.
fn luhn(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                *d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Whether `s` holds a card number: 13–19 digits (spaces and dashes between
/// them allowed) passing the Luhn check.
pub fn has_card_number(s: &str) -> bool {
    let mut run: Vec<u32> = Vec::new();
    let check = |run: &mut Vec<u32>| {
        let hit = (13..=19).contains(&run.len()) && luhn(run);
        run.clear();
        hit
    };
    let chars: Vec<char> = s.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if let Some(d) = c.to_digit(10) {
            run.push(d);
        } else if (*c == ' ' || *c == '-')
            && !run.is_empty()
            && chars.get(i + 1).is_some_and(char::is_ascii_digit)
        {
            // a separator inside the number
        } else if check(&mut run) {
            return true;
        }
    }
    check(&mut run)
}

fn grammar_problems(text: &str) -> u32 {
    let mut n = 0;
    let t = text.trim();
    if t.is_empty() {
        return 0;
    }
    if !t.ends_with(['.', '!', '?', ':', ')', '"', '\u{201d}']) {
        n += 1;
    }
    for sentence in t
        .split(['.', '!', '?'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if sentence.chars().next().is_some_and(char::is_lowercase) {
            n += 1;
        }
    }
    let ws: Vec<String> = words(t).into_iter().map(str::to_lowercase).collect();
    n += u32::try_from(
        ws.windows(2)
            .filter(|w| w[0] == w[1] && w[0].chars().all(char::is_alphabetic))
            .count(),
    )
    .unwrap_or(u32::MAX);
    n += u32::try_from(words(t).into_iter().filter(|w| *w == "i").count()).unwrap_or(u32::MAX);
    n += u32::try_from(
        [" ,", " .", " !", " ?"]
            .iter()
            .map(|p| t.matches(p).count())
            .sum::<usize>(),
    )
    .unwrap_or(u32::MAX);
    n
}

/// Scores `lines` by the rules, for the criteria keys given (unknown keys are
/// left out). Nothing is scored when no agent replied.
pub fn assess(lines: &[Line], keys: &[String]) -> Assessment {
    let agent: Vec<&Line> = lines.iter().filter(|l| !l.from_customer).collect();
    let customer: Vec<&Line> = lines.iter().filter(|l| l.from_customer).collect();
    let cust_sent: Vec<f64> = customer
        .iter()
        .map(|l| f64::from(sentiment::score(&l.text)))
        .collect();
    let mut out = Assessment::default();
    // Flags first: they do not need an agent reply.
    let last_customer = cust_sent.last().copied();
    if last_customer.is_some_and(|s| s < 0.3) || mean(&cust_sent).is_some_and(|m| m < 0.35) {
        out.flags.push("negative_sentiment".into());
        out.notes
            .push("The customer's messages read negative.".into());
    }
    let agent_text: String = agent
        .iter()
        .map(|l| l.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let lower = agent_text.to_lowercase();
    let mut risks = Vec::new();
    if agent.iter().any(|l| has_card_number(&l.text)) {
        risks.push("a card number in a reply");
    }
    if RISKY_ASKS.iter().any(|p| lower.contains(p)) {
        risks.push("asks for a password or card details");
    }
    if PROMISES.iter().any(|p| lower.contains(p)) {
        risks.push("promises a guarantee");
    }
    if words(&lower).iter().any(|w| SWEARING.contains(w)) {
        risks.push("swearing");
    }
    if !risks.is_empty() {
        out.flags.push("compliance_risk".into());
        out.notes.push(format!("Compliance: {}.", risks.join(", ")));
    }
    if agent.is_empty() {
        out.notes.push("No agent reply to score.".into());
        return out;
    }
    let agent_sent: Vec<f64> = agent
        .iter()
        .map(|l| f64::from(sentiment::score(&l.text)))
        .collect();
    let first_agent = lines.iter().position(|l| !l.from_customer).unwrap_or(0);
    let last_agent = lines.iter().rposition(|l| !l.from_customer).unwrap_or(0);
    for key in keys {
        let score = match key.as_str() {
            "tone" => {
                let s = mean(&agent_sent).unwrap_or(0.5);
                let apologises = EMPATHY.iter().any(|p| lower.contains(p));
                // Describing the customer's problem, or apologising for it,
                // reads negative: that is not a bad tone.
                let base = if s >= 0.5 || apologises {
                    80.0 + 100.0 * (s - 0.5).max(0.0)
                } else {
                    80.0 - 100.0 * (0.5 - s)
                };
                let shouted = words(&agent_text)
                    .iter()
                    .filter(|w| w.chars().count() >= 4 && w.chars().all(|c| c.is_uppercase()))
                    .count();
                let bangs = agent_text.matches("!!").count();
                let curt = CURT.iter().filter(|p| lower.contains(*p)).count();
                #[allow(clippy::cast_precision_loss, reason = "small counts")]
                let off = (15.0 * (shouted + curt) as f64 + 10.0 * bangs as f64).min(45.0);
                if off > 0.0 {
                    out.notes
                        .push("Tone: shouting, repeated exclamation marks or curt phrases.".into());
                }
                clamp(base - off)
            }
            "accuracy" => {
                let back = lines[first_agent..]
                    .iter()
                    .filter(|l| l.from_customer)
                    .filter(|l| {
                        let t = l.text.to_lowercase();
                        STILL_FAILING.iter().any(|p| t.contains(p))
                    })
                    .count();
                if back > 0 {
                    out.notes.push(format!(
                        "Accuracy: the customer came back {back} time(s) saying it still fails."
                    ));
                }
                #[allow(clippy::cast_precision_loss, reason = "small counts")]
                let off = (30.0 * back as f64).min(90.0);
                clamp(100.0 - off)
            }
            "completeness" => {
                let asked: usize = lines[..last_agent]
                    .iter()
                    .filter(|l| l.from_customer)
                    .map(|l| l.text.matches('?').count())
                    .sum::<usize>()
                    .max(1);
                let written = words(&agent_text).len();
                #[allow(clippy::cast_precision_loss, reason = "small counts")]
                let mut s = (100.0 * written as f64 / (12.0 * asked as f64)).clamp(20.0, 100.0);
                let unanswered = lines[last_agent..]
                    .iter()
                    .any(|l| l.from_customer && l.text.contains('?'));
                if unanswered {
                    s -= 20.0;
                    out.notes
                        .push("Completeness: the customer's last question has no answer.".into());
                }
                clamp(s)
            }
            "grammar" => {
                let problems: u32 = agent.iter().map(|l| grammar_problems(&l.text)).sum();
                if problems > 0 {
                    out.notes.push(format!("Grammar: {problems} problem(s)."));
                }
                clamp(100.0 - 15.0 * f64::from(problems))
            }
            "empathy" => {
                let upset =
                    mean(&cust_sent).is_some_and(|m| m < 0.4) || cust_sent.iter().any(|s| *s < 0.3);
                let phrases = EMPATHY.iter().filter(|p| lower.contains(*p)).count();
                if upset {
                    if phrases == 0 {
                        out.notes.push(
                            "Empathy: the customer was upset and no reply acknowledged it.".into(),
                        );
                    }
                    match phrases {
                        0 => 30,
                        1 => 75,
                        _ => 100,
                    }
                } else if phrases > 0 || lower.contains("thank") {
                    100
                } else {
                    80
                }
            }
            _ => continue,
        };
        out.scores.push((key.clone(), score));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(from_customer: bool, text: &str) -> Line {
        Line {
            from_customer,
            text: text.into(),
        }
    }

    fn keys() -> Vec<String> {
        ["tone", "accuracy", "completeness", "grammar", "empathy"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    }

    fn get(a: &Assessment, k: &str) -> u32 {
        a.scores
            .iter()
            .find(|(key, _)| key == k)
            .map_or(999, |(_, v)| *v)
    }

    #[test]
    fn a_careful_reply_scores_well() {
        let a = assess(
            &[
                l(true, "My order arrived broken and I am really disappointed. Can you replace it?"),
                l(false, "I'm so sorry the order arrived broken, I understand how frustrating that is. I have sent a replacement today and you will get the tracking number by email. Thank you for your patience."),
                l(true, "Thanks, that's great."),
            ],
            &keys(),
        );
        assert_eq!(get(&a, "accuracy"), 100);
        assert_eq!(get(&a, "completeness"), 100);
        assert_eq!(get(&a, "grammar"), 100);
        assert_eq!(get(&a, "empathy"), 100);
        assert!(get(&a, "tone") >= 70, "{a:?}");
        assert!(a.flags.is_empty(), "{a:?}");
    }

    #[test]
    fn a_careless_reply_scores_badly_and_is_flagged() {
        let a = assess(
            &[
                l(
                    true,
                    "This is terrible, the app crashes every time. Why? How do I fix it?",
                ),
                l(
                    false,
                    "just reinstall it the the app. READ the docs!! send me your password",
                ),
                l(true, "It is still not working, this is awful."),
            ],
            &keys(),
        );
        assert_eq!(get(&a, "accuracy"), 70);
        assert!(get(&a, "grammar") <= 40, "{a:?}");
        assert_eq!(get(&a, "empathy"), 30);
        assert!(get(&a, "tone") < 60, "{a:?}");
        assert!(get(&a, "completeness") < 100, "{a:?}");
        assert_eq!(a.flags, vec!["negative_sentiment", "compliance_risk"]);
    }

    #[test]
    fn card_numbers_are_found_by_luhn() {
        assert!(has_card_number("card 4111 1111 1111 1111 on file"));
        assert!(has_card_number("4111-1111-1111-1111"));
        assert!(!has_card_number("order 4111 1111 1111 1112"));
        assert!(!has_card_number("call 555 0100"));
    }

    #[test]
    fn nothing_is_scored_without_an_agent_reply() {
        let a = assess(&[l(true, "Hello?")], &keys());
        assert!(a.scores.is_empty());
    }
}
