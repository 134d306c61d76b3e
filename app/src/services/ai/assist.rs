//! Agent assist in the composer (SPEC C6.6): "Draft reply" from the thread, the
//! customer's history and the knowledge base (internal articles included), with a
//! tone; "Summarize" (key points, open questions, action items); "Suggest" (the
//! canned responses that fit the customer's last message, filled in); and
//! "Translate" (needs a provider, and says so). With the built-in engine draft
//! and summary are extractive and say so; with a provider they use it.

use super::engine::extract_json;
use super::extractive::{self, ThreadLine};
use super::providers::{ChatMessage, ChatRequest, Role};
use super::settings;
use crate::permissions::Action;
use crate::services::context::Actor;
use crate::services::inbox::{conversations, customers, messages};
use crate::services::kb::search::{self, Audience};
use crate::services::kb::structure;
use crate::services::{now, AppState, ServiceError, ServiceResult};
use crate::types::{
    AssistDraftView, AssistSummaryView, CannedSuggestionView, MessageKind, TranslationView,
    TRANSLATE_LANGUAGES,
};
use entity::ai_run;
use sea_orm::{ActiveModelTrait, Set};

async fn thread_lines(
    state: &AppState,
    actor: &Actor,
    conversation_id: i32,
) -> ServiceResult<Vec<ThreadLine>> {
    Ok(messages::thread(&state.db, actor.scope, conversation_id)
        .await?
        .into_iter()
        .filter(|m| m.kind == MessageKind::Reply && m.side_conversation_id.is_none())
        .map(|m| ThreadLine {
            from_customer: m.author_kind == "customer",
            author: m.author_name,
            text: m.body_text,
        })
        .collect())
}

#[allow(clippy::too_many_arguments)]
async fn log_run(
    state: &AppState,
    actor: &Actor,
    conversation_id: i32,
    purpose: &str,
    engine: &str,
    text: &str,
    tokens: (u32, u32),
    cost: u64,
    micros: u64,
) -> ServiceResult<()> {
    ai_run::ActiveModel {
        workspace_id: Set(actor.scope.workspace_id()),
        conversation_id: Set(conversation_id),
        message_id: Set(None),
        purpose: Set(purpose.to_owned()),
        decision: Set("draft".to_owned()),
        reason_code: Set(None),
        steps: Set("[]".to_owned()),
        reply_text: Set(Some(text.to_owned())),
        sent: Set(false),
        reply_message_id: Set(None),
        engine: Set(engine.to_owned()),
        tokens_in: Set(i32::try_from(tokens.0).unwrap_or(i32::MAX)),
        tokens_out: Set(i32::try_from(tokens.1).unwrap_or(i32::MAX)),
        cost_micros: Set(i64::try_from(cost).unwrap_or(i64::MAX)),
        duration_us: Set(i64::try_from(micros).unwrap_or(i64::MAX)),
        provider_ms: Set(0),
        created_at: Set(now()),
        confidence: Set(0.0),
        sentiment: Set(0.5),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    Ok(())
}

fn greeting(tone: &str, first_name: &str) -> String {
    match tone {
        "formal" => format!("Dear {first_name},"),
        "concise" => format!("Hi {first_name},"),
        _ => format!("Hi {first_name}, thanks for reaching out!"),
    }
}

fn closing(tone: &str) -> &'static str {
    match tone {
        "formal" => "Kind regards,",
        "concise" => "",
        _ => "Let me know if there's anything else I can help with!",
    }
}

/// A draft reply for the conversation.
///
/// # Errors
/// Permission; `NotFound`; `Invalid` tone; database errors.
pub async fn draft(
    state: &AppState,
    actor: &Actor,
    conversation_id: i32,
    tone: &str,
) -> ServiceResult<AssistDraftView> {
    actor.require(Action::ReplyToCustomers)?;
    actor.require(Action::ViewKnowledge)?;
    if !settings::TONES.contains(&tone) {
        return Err(ServiceError::invalid(
            "tone",
            "Choose friendly, formal or concise.",
        ));
    }
    let started = std::time::Instant::now();
    let c = conversations::find(&state.db, actor.scope, conversation_id).await?;
    let cust = customers::find(&state.db, actor.scope, c.customer_id).await?;
    let lines = thread_lines(state, actor, c.id).await?;
    let last_customer = lines
        .iter()
        .rev()
        .find(|l| l.from_customer)
        .map(|l| l.text.clone())
        .unwrap_or_else(|| c.subject.clone());
    let brand = structure::default_brand(&state.db, actor.scope).await?;
    let query = format!("{} {}", c.subject, last_customer);
    let hits = search::retrieve(
        &state.db,
        actor.scope,
        &query,
        Audience::Agent,
        &brand.default_locale,
        6,
        None,
    )
    .await?;
    let sources: Vec<_> = search::best_per_article(hits.clone(), 3)
        .iter()
        .map(search::hit_view)
        .collect();
    // Anonymous chat visitors have no name worth greeting.
    let anonymous =
        cust.name.trim().is_empty() || cust.name.eq_ignore_ascii_case("website visitor");
    let first = if anonymous {
        if tone == "formal" {
            "customer"
        } else {
            "there"
        }
        .to_owned()
    } else {
        cust.name
            .split_whitespace()
            .next()
            .unwrap_or("there")
            .to_owned()
    };
    let s = settings::load(&state.db, actor.scope).await?;
    if let Ok(Some(p)) = settings::provider(state, actor.scope, &s) {
        let mut kb = String::new();
        for (i, h) in hits.iter().enumerate() {
            kb.push_str(&format!(
                "[{}] {} — {}\n{}\n\n",
                i + 1,
                h.title,
                h.heading,
                h.text
            ));
        }
        let mut messages: Vec<ChatMessage> = lines
            .iter()
            .map(|l| ChatMessage {
                role: if l.from_customer {
                    Role::User
                } else {
                    Role::Assistant
                },
                content: l.text.clone(),
            })
            .collect();
        messages.push(ChatMessage {
            role: Role::User,
            content: format!("(Agent request) Draft the next reply to the customer in a {tone} tone. Use only facts from the knowledge base passages."),
        });
        let req = ChatRequest {
            model: p.model().to_owned(),
            system: Some(format!(
                "You draft replies for a support agent at {}. The customer is {}. Only state facts found in these passages; if they don't cover the question, say the agent will check.\n\n{kb}",
                brand.name, cust.name
            )),
            messages,
            tools: Vec::new(),
            max_tokens: 500,
            temperature: Some(0.3),
        };
        if let Ok(resp) = p.chat(&req).await {
            let cost = settings::price(&s).cost_micros(&resp.usage);
            log_run(
                state,
                actor,
                c.id,
                "draft",
                p.name(),
                &resp.text,
                (resp.usage.input_tokens, resp.usage.output_tokens),
                cost,
                0,
            )
            .await?;
            return Ok(AssistDraftView {
                text: resp.text.trim().to_owned(),
                sources,
                engine: p.name().to_owned(),
                note: format!(
                    "Drafted by {} ({}); check it before sending.",
                    p.name(),
                    p.model()
                ),
            });
        }
    }
    let passages: Vec<_> = hits.iter().map(search::Retrieved::passage).collect();
    let ex = extractive::best_extract(&last_customer, &passages, 3);
    let mut parts = vec![greeting(tone, &first)];
    let note = match &ex {
        Some(e) => {
            let p = &passages[e.passage];
            parts.push(e.sentences.join(" "));
            if !hits[e.passage].internal {
                parts.push(format!(
                    "You can read more here: {}{}",
                    state.config.base_url(),
                    p.url
                ));
            }
            format!(
                "Extractive draft (built-in engine): quoted from “{}”{}. Edit before sending.",
                p.title,
                if hits[e.passage].internal {
                    " — an internal article: rephrase, don't paste policy"
                } else {
                    ""
                }
            )
        }
        None => {
            parts.push(
                "[No knowledge-base article matches this question: write the answer here.]"
                    .to_owned(),
            );
            "Extractive draft (built-in engine): no article matched, so only the greeting and closing are filled in.".to_owned()
        }
    };
    let close = closing(tone);
    if !close.is_empty() {
        parts.push(close.to_owned());
    }
    parts.push(actor.name.clone());
    let text = parts.join("\n\n");
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    log_run(
        state,
        actor,
        c.id,
        "draft",
        "builtin",
        &text,
        (0, 0),
        0,
        micros,
    )
    .await?;
    Ok(AssistDraftView {
        text,
        sources,
        engine: "builtin".into(),
        note,
    })
}

/// A summary of the conversation.
///
/// # Errors
/// Permission; `NotFound`; database errors.
pub async fn summarize(
    state: &AppState,
    actor: &Actor,
    conversation_id: i32,
) -> ServiceResult<AssistSummaryView> {
    actor.require(Action::ViewInbox)?;
    let started = std::time::Instant::now();
    let c = conversations::find(&state.db, actor.scope, conversation_id).await?;
    let lines = thread_lines(state, actor, c.id).await?;
    let s = settings::load(&state.db, actor.scope).await?;
    if let Ok(Some(p)) = settings::provider(state, actor.scope, &s) {
        let transcript: String = lines
            .iter()
            .map(|l| {
                format!(
                    "{}: {}\n",
                    if l.from_customer { "Customer" } else { "Agent" },
                    l.text
                )
            })
            .collect();
        let req = ChatRequest {
            model: p.model().to_owned(),
            system: Some("Summarize the support conversation for an agent. Reply with JSON: {\"key_points\":[..],\"open_questions\":[..],\"action_items\":[..]} — short strings, facts from the conversation only.".to_owned()),
            messages: vec![ChatMessage { role: Role::User, content: transcript }],
            tools: Vec::new(),
            max_tokens: 500,
            temperature: Some(0.0),
        };
        if let Ok(resp) = p.chat(&req).await {
            let parsed = extract_json(&resp.text)
                .and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok());
            if let Some(v) = parsed {
                let list = |k: &str| -> Vec<String> {
                    v.get(k)
                        .and_then(|x| x.as_array())
                        .map(|a| {
                            a.iter()
                                .filter_map(|s| s.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default()
                };
                let cost = settings::price(&s).cost_micros(&resp.usage);
                log_run(
                    state,
                    actor,
                    c.id,
                    "summary",
                    p.name(),
                    &resp.text,
                    (resp.usage.input_tokens, resp.usage.output_tokens),
                    cost,
                    0,
                )
                .await?;
                return Ok(AssistSummaryView {
                    key_points: list("key_points"),
                    open_questions: list("open_questions"),
                    action_items: list("action_items"),
                    engine: p.name().to_owned(),
                    note: format!("Summarized by {} ({}).", p.name(), p.model()),
                });
            }
        }
    }
    let sum = extractive::summarize(&lines);
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let text = serde_json::json!({"key_points": sum.key_points, "open_questions": sum.open_questions, "action_items": sum.action_items}).to_string();
    log_run(
        state,
        actor,
        c.id,
        "summary",
        "builtin",
        &text,
        (0, 0),
        0,
        micros,
    )
    .await?;
    Ok(AssistSummaryView {
        key_points: sum.key_points,
        open_questions: sum.open_questions,
        action_items: sum.action_items,
        engine: "builtin".into(),
        note: "Extractive summary (built-in engine): sentences quoted from the conversation."
            .into(),
    })
}

/// The canned responses that fit the customer's last message best (up to three),
/// filled in for this conversation: ranked by the customer's content words found
/// in the response's title, category and text (title words count double).
///
/// # Errors
/// Permission; `NotFound`.
pub async fn suggest_canned(
    state: &AppState,
    actor: &Actor,
    conversation_id: i32,
) -> ServiceResult<Vec<CannedSuggestionView>> {
    use crate::services::ai::textutil::{content_terms, stem};
    use crate::services::inbox::canned;
    actor.require(Action::ViewInbox)?;
    let c = conversations::find(&state.db, actor.scope, conversation_id).await?;
    let lines = thread_lines(state, actor, c.id).await?;
    let Some(last) = lines.iter().rev().find(|l| l.from_customer) else {
        return Ok(Vec::new());
    };
    let stems = |t: &str| -> Vec<String> { content_terms(t).iter().map(|w| stem(w)).collect() };
    let asked = stems(&last.text);
    if asked.is_empty() {
        return Ok(Vec::new());
    }
    let mut scored = Vec::new();
    for r in canned::list(&state.db, actor, "").await? {
        let title = stems(&r.title);
        let rest = stems(&format!("{} {}", r.category, r.body));
        let mut matched: Vec<String> = Vec::new();
        let mut score = 0;
        for a in &asked {
            let in_title = title.contains(a);
            if in_title || rest.contains(a) {
                score += if in_title { 2 } else { 1 };
                if !matched.contains(a) {
                    matched.push(a.clone());
                }
            }
        }
        if score > 0 {
            scored.push((score, r, matched));
        }
    }
    scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.title.cmp(&b.1.title)));
    let mut out = Vec::new();
    for (_, r, matched) in scored.into_iter().take(3) {
        let filled = canned::render(&state.db, actor, c.id, &r.body).await?;
        out.push(CannedSuggestionView {
            id: r.id,
            title: r.title,
            text: filled.text,
            matched,
        });
    }
    Ok(out)
}

/// Translates `text` into `language` with the workspace's provider.
///
/// # Errors
/// Permission; `Invalid` (text, language); `Conflict` when no provider is
/// configured (the built-in engine does not translate) or it fails.
pub async fn translate(
    state: &AppState,
    actor: &Actor,
    text: &str,
    language: &str,
) -> ServiceResult<TranslationView> {
    actor.require(Action::ViewInbox)?;
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 10_000 {
        return Err(ServiceError::invalid(
            "text",
            "Write the text to translate (up to 10,000 characters).",
        ));
    }
    let Some((code, name)) = TRANSLATE_LANGUAGES
        .iter()
        .find(|(c, _)| *c == language.trim())
    else {
        return Err(ServiceError::invalid(
            "language",
            "Choose a language from the list.",
        ));
    };
    let s = settings::load(&state.db, actor.scope).await?;
    let provider = settings::provider(state, actor.scope, &s)?.ok_or_else(|| {
        ServiceError::conflict(
            "language",
            "Translation needs a model provider; the built-in engine does not translate. An admin can configure one under AI agent → Settings.",
        )
    })?;
    let req = ChatRequest {
        model: provider.model().to_owned(),
        system: Some(format!(
            "Translate the user's text into {name}. Keep the meaning, tone, names, numbers and links exactly; reply with the translation only."
        )),
        messages: vec![ChatMessage {
            role: Role::User,
            content: text.to_owned(),
        }],
        tools: Vec::new(),
        max_tokens: 2000,
        temperature: Some(0.0),
    };
    let resp = provider.chat(&req).await.map_err(|e| {
        ServiceError::conflict("language", format!("The provider could not translate: {e}"))
    })?;
    Ok(TranslationView {
        text: resp.text.trim().to_owned(),
        language: (*code).to_owned(),
        engine: provider.name().to_owned(),
    })
}
