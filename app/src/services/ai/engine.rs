//! Deciding what to say: the built-in extractive engine (no provider needed; it
//! only ever quotes retrieved passages) and the provider-backed engine (a chat
//! model given the same passages, asked for a JSON decision). Both return the same
//! [`Decision`], so the pipeline treats them alike.

use super::extractive::{self, Passage};
use super::providers::{ChatMessage, ChatRequest, ModelProvider, Role, ToolCall, Usage};
use super::ranking;
use super::textutil;

/// What the engine decided.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Answer with `reply`.
    Answer,
    /// Ask one clarifying question.
    Clarify,
    /// Hand off (no knowledge-base answer).
    Escalate,
}

impl Verdict {
    /// Stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Answer => "answer",
            Verdict::Clarify => "clarify",
            Verdict::Escalate => "escalate",
        }
    }
}

/// An engine's decision.
#[derive(Clone, Debug)]
pub struct Decision {
    /// Answer, clarify or escalate.
    pub verdict: Verdict,
    /// Confidence 0–1.
    pub confidence: f64,
    /// The reply body (before channel formatting), when answering or clarifying.
    pub reply: String,
    /// Sentences quoted verbatim from passages (built-in answers): what the support
    /// check verifies.
    pub quoted: Vec<String>,
    /// Index of the passage the answer came from.
    pub source: Option<usize>,
    /// Why, for the agent.
    pub why: String,
    /// Provider tokens used.
    pub usage: Usage,
    /// Milliseconds spent waiting for the provider.
    pub provider_ms: u64,
    /// Engine name.
    pub engine: String,
    /// Tools the provider called instead of answering (a customer's request).
    pub tool_calls: Vec<ToolCall>,
}

/// The built-in engine: quote the best passage when confident, otherwise clarify
/// (first miss) or escalate (`kb_misses` earlier misses in a row).
pub fn builtin(query: &str, passages: &[Passage], threshold: f64, kb_misses: i32) -> Decision {
    let none = |why: String| {
        let escalate = kb_misses >= 1;
        Decision {
            verdict: if escalate {
                Verdict::Escalate
            } else {
                Verdict::Clarify
            },
            confidence: 0.0,
            reply: if escalate {
                String::new()
            } else {
                clarifying_question(query, passages)
            },
            quoted: Vec::new(),
            source: None,
            why,
            usage: Usage::default(),
            provider_ms: 0,
            engine: "builtin".into(),
            tool_calls: Vec::new(),
        }
    };
    if textutil::content_terms(query).is_empty() {
        return none("The message has no words to search for.".into());
    }
    let Some((ex, conf, signals)) = ranking::best_answer(query, passages) else {
        return none("No knowledge-base passage shares words with the message.".into());
    };
    if conf < threshold {
        let mut d = none(format!(
            "Best passage “{}” scored {:.2} (relevance {:.2}, {:.2} above the next article), below the answer threshold {:.2}.",
            passages[ex.passage].heading,
            conf,
            signals.top,
            signals.top - signals.other,
            threshold
        ));
        d.confidence = conf;
        return d;
    }
    let p = &passages[ex.passage];
    let reply = format!(
        "Here is what our help center says about “{}”:\n\n{}\n\nRead more: {}",
        if p.heading.is_empty() {
            &p.title
        } else {
            &p.heading
        },
        ex.sentences.join(" "),
        p.url
    );
    Decision {
        verdict: Verdict::Answer,
        confidence: conf,
        reply,
        quoted: ex.sentences.clone(),
        source: Some(ex.passage),
        why: format!(
            "Quoted {} sentence(s) of “{}” (coverage {:.0} %, confidence {:.2} ≥ {:.2}).",
            ex.sentences.len(),
            p.title,
            ex.coverage * 100.0,
            conf,
            threshold
        ),
        usage: Usage::default(),
        provider_ms: 0,
        engine: "builtin".into(),
        tool_calls: Vec::new(),
    }
}

/// One clarifying question (it states nothing about the business). When the
/// passages come from two or three articles that each match the message, it
/// offers their titles as numbered choices (see [`ranking::choices`]); the
/// customer's pick is read on the next turn ([`ranking::followup`]).
pub fn clarifying_question(query: &str, passages: &[Passage]) -> String {
    let choices = ranking::choices(query, passages);
    if choices.len() >= 2 {
        let list: Vec<String> = choices
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{}. {}", i + 1, p.title))
            .collect();
        return format!(
            "{}\n\n{}\n\n{}",
            ranking::CHOICES_INTRO,
            list.join("\n"),
            ranking::CHOICES_OUTRO
        );
    }
    let near = passages
        .first()
        .filter(|p| extractive::coverage(query, &format!("{} {}", p.title, p.heading)) > 0.0);
    match near {
        Some(p) => format!(
            "{} Is your question about “{}”? If not, could you tell me a little more, for example which product or order it is about?",
            ranking::CLARIFY_OPENING,
            p.title
        ),
        None => format!(
            "{} Could you tell me a little more, for example which product or order it is about?",
            ranking::CLARIFY_OPENING
        ),
    }
}

/// The provider-backed engine: the model sees the passages (numbered) and must
/// answer only from them, returning JSON. Anything unparsable is an error (the
/// pipeline then falls back to the built-in engine).
///
/// # Errors
/// Provider errors and unparsable replies, as text.
pub async fn with_provider(
    provider: &dyn ModelProvider,
    query: &str,
    history: &[(bool, String)],
    passages: &[Passage],
    kb_misses: i32,
) -> Result<Decision, String> {
    let mut sources = String::new();
    for (i, p) in passages.iter().enumerate() {
        sources.push_str(&format!(
            "[{}] {} — {}\n{}\nURL: {}\n\n",
            i + 1,
            p.title,
            p.heading,
            p.text,
            p.url
        ));
    }
    let system = format!(
        "You are a customer support agent. Answer ONLY with facts stated in the numbered knowledge-base passages below; never invent policies, prices, dates or promises. \
         If the passages do not answer the question, choose \"clarify\" (ask one short question) or \"escalate\". \
         Reply with a single JSON object: {{\"decision\":\"answer\"|\"clarify\"|\"escalate\",\"reply\":\"text for the customer\",\"confidence\":0.0-1.0,\"sources\":[passage numbers]}}. \
         Include the URL of the passage you used in the reply. \
         If the customer asks you to DO something one of the tools does (close the ticket, schedule a call back, …), call that tool instead, with arguments taken from the conversation only: never invent names, dates, amounts or numbers.\n\nPassages:\n{sources}"
    );
    let mut messages: Vec<ChatMessage> = history
        .iter()
        .map(|(from_customer, text)| ChatMessage {
            role: if *from_customer {
                Role::User
            } else {
                Role::Assistant
            },
            content: text.clone(),
        })
        .collect();
    messages.push(ChatMessage {
        role: Role::User,
        content: query.to_owned(),
    });
    let req = ChatRequest {
        model: provider.model().to_owned(),
        system: Some(system),
        messages,
        tools: super::intents::offered(),
        max_tokens: 600,
        temperature: Some(0.0),
    };
    let started = std::time::Instant::now();
    let resp = provider.chat(&req).await.map_err(|e| e.to_string())?;
    let provider_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    if !resp.tool_calls.is_empty() {
        return Ok(Decision {
            verdict: Verdict::Answer,
            confidence: 1.0,
            reply: String::new(),
            quoted: Vec::new(),
            source: None,
            why: format!(
                "{} called {}.",
                provider.name(),
                resp.tool_calls
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            usage: resp.usage,
            provider_ms,
            engine: provider.name().to_owned(),
            tool_calls: resp.tool_calls,
        });
    }
    let json =
        extract_json(&resp.text).ok_or_else(|| "the model did not reply with JSON".to_owned())?;
    let v: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("the model's JSON: {e}"))?;
    let verdict = match v.get("decision").and_then(|d| d.as_str()) {
        Some("answer") => Verdict::Answer,
        Some("clarify") if kb_misses < 1 => Verdict::Clarify,
        Some("clarify" | "escalate") => Verdict::Escalate,
        other => return Err(format!("unknown decision {other:?}")),
    };
    let reply = v
        .get("reply")
        .and_then(|r| r.as_str())
        .unwrap_or_default()
        .trim()
        .to_owned();
    if verdict != Verdict::Escalate && reply.is_empty() {
        return Err("the model gave no reply text".into());
    }
    let model_conf = v
        .get("confidence")
        .and_then(serde_json::Value::as_f64)
        .unwrap_or(0.5)
        .clamp(0.0, 1.0);
    let source = v
        .get("sources")
        .and_then(|s| s.as_array())
        .and_then(|a| a.first())
        .and_then(serde_json::Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
        .and_then(|n| n.checked_sub(1))
        .filter(|n| *n < passages.len());
    // A model answer citing no passage is not trusted to go out on its own.
    let retrieval = source.map_or(0.0, |i| passages[i].score);
    let confidence = if verdict == Verdict::Answer && source.is_none() {
        model_conf.min(0.4)
    } else {
        0.5 * model_conf
            + 0.5
                * retrieval.max(if verdict == Verdict::Answer {
                    0.0
                } else {
                    model_conf
                })
    };
    Ok(Decision {
        verdict,
        confidence,
        reply,
        quoted: Vec::new(),
        source,
        why: format!(
            "{} replied `{}` (model confidence {:.2}, citing {}).",
            provider.name(),
            v.get("decision").and_then(|d| d.as_str()).unwrap_or(""),
            model_conf,
            source.map_or_else(|| "no passage".to_owned(), |i| format!("passage {}", i + 1))
        ),
        usage: resp.usage,
        provider_ms,
        engine: provider.name().to_owned(),
        tool_calls: Vec::new(),
    })
}

/// The first `{…}` object in a model reply (models sometimes wrap JSON in prose
/// or code fences).
pub fn extract_json(text: &str) -> Option<&str> {
    let start = text.find('{')?;
    let end = text.rfind('}')?;
    (end > start).then(|| &text[start..=end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(title: &str, heading: &str, text: &str, score: f64) -> Passage {
        Passage {
            title: title.into(),
            heading: heading.into(),
            text: text.into(),
            url: format!(
                "/help/acme/en/articles/{}",
                title.to_lowercase().replace(' ', "-")
            ),
            score,
        }
    }

    #[test]
    fn answers_only_with_quoted_sentences() {
        let ps = vec![p(
            "Track your order",
            "Where is my order",
            "Every order has a tracking link in the shipping confirmation email. You can also open the order page from your account to see the carrier status.",
            0.9,
        )];
        let d = builtin("how can I track my order", &ps, 0.3, 0);
        assert_eq!(d.verdict, Verdict::Answer);
        assert!(!d.quoted.is_empty());
        for s in &d.quoted {
            assert!(extractive::is_supported(s, &ps), "{s} not in a passage");
        }
        assert!(d.reply.contains("/help/acme/en/articles/track-your-order"));
    }

    #[test]
    fn clarifies_then_escalates_without_a_match() {
        let ps = vec![p("Gift cards", "Balance", "Gift cards never expire.", 0.2)];
        let first = builtin("do you sponsor climbing clubs", &ps, 0.5, 0);
        assert_eq!(first.verdict, Verdict::Clarify);
        assert!(first.reply.ends_with('?'));
        let second = builtin("do you sponsor climbing clubs", &ps, 0.5, 1);
        assert_eq!(second.verdict, Verdict::Escalate);
    }

    #[test]
    fn json_is_found_in_prose() {
        assert_eq!(
            extract_json("Sure:\n```json\n{\"a\":1}\n```"),
            Some("{\"a\":1}")
        );
        assert_eq!(extract_json("no json"), None);
    }
}
