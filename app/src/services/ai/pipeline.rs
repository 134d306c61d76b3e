//! The resolution pipeline (SPEC C6.2, C6.3): on each inbound customer message of
//! an enabled channel, a durable job runs, in this order and recorded step by step
//! on the conversation:
//!
//! 1. **ticket** — the conversation the message landed in (created by the inbound
//!    path if new);
//! 2. **customer_history** — the customer's earlier conversations;
//! 3. **guardrails** — pricing, refund, legal and explicit human requests escalate
//!    at once with a reason code; sentiment below 0.3 escalates, 0.3–0.5 raises the
//!    priority;
//! 4. **knowledge_search** — public article chunks in the customer's language;
//! 5. **decide** — answer, clarify or escalate, with a confidence (built-in engine,
//!    or the configured provider falling back to it);
//! 6. **pii_check** on the outgoing reply, then **respond** (auto-sent at or above
//!    the workspace threshold, otherwise left as a draft) or **escalate** (assigned
//!    to the least busy agent, the customer told what happens next).
//!
//! Any internal error ends in a polite, channel-formatted apology and a handoff;
//! the customer never sees a raw error.

use super::engine::{self, Decision, Verdict};
use super::extractive::Passage;
use super::providers::{ModelProvider, Usage};
use super::settings::{self, Settings};
use super::{guardrails, intents, pii, ranking, sentiment, textutil};
use crate::services::activity::{self, Entry, Who};
use crate::services::bus::Event;
use crate::services::channels::formatting::{self, FormatContext};
use crate::services::context::RequestMeta;
use crate::services::inbox::{conversations, customers, messages};
use crate::services::jobs::{self, NewJob};
use crate::services::kb::search::{self, Audience, Retrieved};
use crate::services::kb::structure;
use crate::services::tenancy::Scoped;
use crate::services::uow::UnitOfWork;
use crate::services::{now, AppState, ServiceError, ServiceResult};
use crate::types::{ticket_ref, AiStep, Channel, Priority, Status};
use entity::{ai_run, conversation, message};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use std::time::Instant;

/// Job kind of one pipeline run.
pub const JOB: &str = "ai.resolve";
/// Job kind of the hourly sweep that turns quiet answers into resolutions.
pub const SWEEP_JOB: &str = "ai.resolution_sweep";
/// Hours without the customer reopening after which an AI answer counts as a
/// resolution.
pub const RESOLUTION_HOURS: i64 = 72;
/// Sentiment below this escalates.
pub const SENTIMENT_ESCALATE: f64 = 0.3;
/// Sentiment below this (and above the escalation line) raises the priority.
pub const SENTIMENT_PRIORITY: f64 = 0.5;

/// The AI agent as a pipeline stage: on each stored customer message, enqueues a
/// run (the job itself runs outside the inbound transaction).
#[derive(Clone, Copy, Debug, Default)]
pub struct AiStage;

#[async_trait::async_trait]
impl crate::services::stages::Stage for AiStage {
    fn name(&self) -> &'static str {
        "ai"
    }

    async fn handle(
        &self,
        uow: &mut UnitOfWork,
        event: &crate::services::stages::StageEvent,
    ) -> ServiceResult<()> {
        if let crate::services::stages::StageEvent::MessageReceived {
            workspace_id,
            conversation_id,
            message_id,
            channel,
            automatic,
            ..
        } = event
        {
            if uow.is_claimed(*conversation_id, "flow")
                || uow.is_claimed(*conversation_id, "flow.done")
            {
                // A chatbot flow holds the conversation (it asks for the AI
                // agent itself, through its AI answer step).
                return Ok(());
            }
            enqueue(
                uow,
                Scoped::new(*workspace_id),
                *channel,
                *conversation_id,
                *message_id,
                *automatic,
            )
            .await?;
        }
        Ok(())
    }
}

/// Enqueues a pipeline run for a customer message, inside the inbound
/// transaction (so it survives a crash), when the workspace enabled the channel.
///
/// # Errors
/// Database errors.
pub async fn enqueue(
    uow: &mut UnitOfWork,
    scope: Scoped,
    channel: Channel,
    conversation_id: i32,
    message_id: i32,
    automatic: bool,
) -> ServiceResult<()> {
    if automatic {
        return Ok(());
    }
    let s = settings::load(&**uow, scope).await?;
    if !s.runs_on(channel.as_str()) {
        return Ok(());
    }
    let cfg = uow.state().config.jobs.clone();
    let job = NewJob {
        workspace_id: Some(scope.workspace_id()),
        idempotency_key: Some(format!("ai:{message_id}")),
        ..NewJob::new(
            JOB,
            serde_json::json!({
                "workspace_id": scope.workspace_id(),
                "conversation_id": conversation_id,
                "message_id": message_id,
            }),
        )
    };
    if jobs::enqueue(&**uow, &cfg, job).await? {
        uow.jobs_enqueued();
    }
    // The agent answers first; routing waits for its hand-over.
    uow.claim(conversation_id, "ai");
    Ok(())
}

/// The job handler.
///
/// # Errors
/// A message for the job log (the run is retried with backoff).
pub async fn run_job(state: &AppState, payload: &serde_json::Value) -> Result<(), String> {
    let int = |k: &str| {
        payload
            .get(k)
            .and_then(serde_json::Value::as_i64)
            .and_then(|v| i32::try_from(v).ok())
            .ok_or_else(|| format!("payload without `{k}`"))
    };
    let scope = Scoped::new(int("workspace_id")?);
    let conversation_id = int("conversation_id")?;
    let ran = run(state, scope, conversation_id, int("message_id")?)
        .await
        .map_err(|e| e.to_string())?;
    // Whoever asked for this run (a chatbot flow's AI answer step) hears how it
    // went: answered, or handed to a person (or not run at all).
    if let Some(then) = payload.get("then") {
        let escalated = conversations::find(&state.db, scope, conversation_id)
            .await
            .map_err(|e| e.to_string())?
            .ai_state
            .as_deref()
            == Some("escalated");
        let kind = then
            .get("kind")
            .and_then(serde_json::Value::as_str)
            .and_then(|k| jobs::kind::FOLLOW_UPS.iter().copied().find(|x| *x == k))
            .ok_or_else(|| format!("unknown follow-up job {then}"))?;
        let mut next = then.get("payload").cloned().unwrap_or_default();
        next["answered"] = serde_json::Value::Bool(ran.is_some() && !escalated);
        let job = NewJob {
            workspace_id: Some(scope.workspace_id()),
            idempotency_key: Some(format!("ai-then:{}", int("message_id")?)),
            ..NewJob::new(kind, next)
        };
        jobs::enqueue(&state.db, &state.config.jobs, job)
            .await
            .map_err(|e| e.to_string())?;
        state.wake_workers();
    }
    Ok(())
}

/// What the assessment of one message produced (no side effects).
#[derive(Clone, Debug)]
pub struct Assessment {
    /// Steps so far.
    pub steps: Vec<AiStep>,
    /// Escalation reason when escalating.
    pub reason: Option<String>,
    /// The engine's decision (none when the guardrails escalated first).
    pub decision: Option<Decision>,
    /// Sentiment 0–1.
    pub sentiment: f64,
    /// Raise the priority (sentiment 0.3–0.5).
    pub raise_priority: bool,
    /// Retrieved passages.
    pub passages: Vec<Passage>,
    /// Locale used for retrieval.
    pub locale: String,
}

fn step(tool: &str, summary: impl Into<String>, details: Vec<String>, started: Instant) -> AiStep {
    AiStep {
        tool: tool.to_owned(),
        summary: summary.into(),
        details,
        micros: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
    }
}

/// The customer's language among `offered` (stopword counts; English default).
pub fn detect_locale(text: &str, offered: &[String], default: &str) -> String {
    const WORDS: &[(&str, &[&str])] = &[
        (
            "de",
            &[
                "ich",
                "und",
                "nicht",
                "mein",
                "meine",
                "ist",
                "wie",
                "wo",
                "bestellung",
                "der",
                "die",
                "das",
                "kann",
                "mit",
            ],
        ),
        (
            "fr",
            &[
                "je", "et", "pas", "mon", "ma", "est", "comment", "où", "commande", "le", "la",
                "les", "puis", "avec",
            ],
        ),
        (
            "es",
            &[
                "yo",
                "y",
                "no",
                "mi",
                "es",
                "cómo",
                "como",
                "dónde",
                "pedido",
                "el",
                "la",
                "los",
                "puedo",
                "con",
                "contraseña",
            ],
        ),
        (
            "en",
            &[
                "i", "and", "not", "my", "is", "how", "where", "order", "the", "can", "with", "do",
                "you",
            ],
        ),
    ];
    let toks = textutil::tokenize(text);
    let mut best = (default.to_owned(), 0usize);
    for (lang, words) in WORDS {
        let n = toks.iter().filter(|t| words.contains(&t.as_str())).count();
        if n > best.1 && (offered.iter().any(|o| o == lang) || *lang == "en") {
            best = ((*lang).to_owned(), n);
        }
    }
    if offered.contains(&best.0) {
        best.0
    } else {
        default.to_owned()
    }
}

/// Runs guardrails, retrieval and the engine on one customer message.
/// Side-effect free: the evaluation harness calls it too.
///
/// # Errors
/// Database errors (retrieval).
#[allow(clippy::too_many_arguments)]
pub async fn assess<C: ConnectionTrait + Sync>(
    db: &C,
    scope: Scoped,
    s: &Settings,
    provider: Option<&dyn ModelProvider>,
    text: &str,
    history: &[(bool, String)],
    kb_misses: i32,
    locales: (&[String], &str),
) -> ServiceResult<Assessment> {
    let mut steps = Vec::new();
    let t = Instant::now();
    let triggers = guardrails::check(text);
    let mood = f64::from(sentiment::score(text));
    let explain: Vec<String> = sentiment::explain(text)
        .into_iter()
        .map(|(w, v)| format!("“{w}” {v:+.1}"))
        .collect();
    let mut details: Vec<String> = triggers
        .iter()
        .map(|tr| format!("{}: “{}”", tr.reason.label(), tr.matched))
        .collect();
    details.push(format!(
        "Sentiment {mood:.2}{}",
        if explain.is_empty() {
            String::new()
        } else {
            format!(" ({})", explain.join(", "))
        }
    ));
    // An answer to the engine's clarifying question: a pick among the offered
    // articles, or more words for the question asked before it.
    let follow = if kb_misses >= 1 {
        ranking::followup(text, history)
    } else {
        None
    };
    let query = match &follow {
        Some(ranking::Followup::Picked { question, title }) => format!("{question} {title}"),
        Some(ranking::Followup::MoreContext { question }) => format!("{question} {text}"),
        None => text.to_owned(),
    };
    let locale = detect_locale(&query, locales.0, locales.1);
    let mut a = Assessment {
        steps: Vec::new(),
        reason: None,
        decision: None,
        sentiment: mood,
        raise_priority: false,
        passages: Vec::new(),
        locale: locale.clone(),
    };
    if let Some(first) = triggers.first() {
        steps.push(step(
            "guardrails",
            format!("Escalate: {} (“{}”)", first.reason.label(), first.matched),
            details,
            t,
        ));
        a.reason = Some(first.reason.code().to_owned());
        a.steps = steps;
        return Ok(a);
    }
    if mood < SENTIMENT_ESCALATE {
        steps.push(step(
            "guardrails",
            format!("Escalate: sentiment {mood:.2} is below {SENTIMENT_ESCALATE}"),
            details,
            t,
        ));
        a.reason = Some("negative_sentiment".into());
        a.steps = steps;
        return Ok(a);
    }
    a.raise_priority = mood < SENTIMENT_PRIORITY;
    steps.push(step(
        "guardrails",
        if a.raise_priority {
            format!("Passed; sentiment {mood:.2} raises the priority")
        } else {
            "Passed: no pricing, refund, legal or human request; sentiment fine".to_owned()
        },
        details,
        t,
    ));

    let t = Instant::now();
    let mut hits: Vec<Retrieved> =
        search::retrieve(db, scope, &query, Audience::Customer, &locale, 5, None).await?;
    let picked = match &follow {
        Some(ranking::Followup::Picked { title, .. }) => {
            let only: Vec<Retrieved> = hits.iter().filter(|h| &h.title == title).cloned().collect();
            (!only.is_empty()).then(|| {
                hits = only;
                title.clone()
            })
        }
        _ => None,
    };
    a.passages = hits.iter().map(Retrieved::passage).collect();
    steps.push(step(
        "knowledge_search",
        format!("{} passage(s) in `{locale}`", hits.len()),
        hits.iter()
            .map(|h| format!("{:.2} · {} › {} ({})", h.score, h.title, h.heading, h.url))
            .collect(),
        t,
    ));

    let t = Instant::now();
    let mut decision = None;
    if let Some(title) = &picked {
        // The customer chose the article: quote its best section. Their pick
        // settles what the margin over other articles measures, so the
        // confidence is at least the answer threshold (auto-send still
        // applies).
        let mut d = engine::builtin(&query, &a.passages, 0.0, kb_misses);
        if d.verdict == Verdict::Answer {
            d.confidence = d.confidence.max(s.answer_threshold);
        }
        d.why = format!(
            "The customer picked “{title}” from the clarifying question. {}",
            d.why
        );
        decision = Some(d);
    } else if let Some(p) = provider {
        match engine::with_provider(p, text, history, &a.passages, kb_misses).await {
            Ok(d) => decision = Some(d),
            Err(e) => steps.push(step(
                "decide",
                "The provider failed; using the built-in engine",
                vec![e],
                t,
            )),
        }
    }
    let d = decision
        .unwrap_or_else(|| engine::builtin(&query, &a.passages, s.answer_threshold, kb_misses));
    steps.push(step(
        "decide",
        format!(
            "{} (confidence {:.2}, {})",
            d.verdict.as_str(),
            d.confidence,
            d.engine
        ),
        vec![d.why.clone()],
        t,
    ));
    if d.verdict == Verdict::Escalate {
        a.reason = Some("no_kb_match".into());
    }
    a.decision = Some(d);
    a.steps = steps;
    Ok(a)
}

fn confirms(text: &str) -> bool {
    let t = text.to_lowercase();
    let words = t.split_whitespace().count();
    if words > 14 || t.contains('?') || t.contains(" not ") || t.contains("n't") {
        return false;
    }
    [
        "thank",
        "that helped",
        "that works",
        "solved",
        "perfect",
        "great, thanks",
        "all good",
        "got it",
        "danke",
        "merci",
        "gracias",
    ]
    .iter()
    .any(|p| t.contains(p))
}

/// Runs the pipeline for one message; `None` when it did not apply (channel off,
/// not a customer message, a person already took over).
///
/// # Errors
/// Database errors (the job retries).
pub async fn run(
    state: &AppState,
    scope: Scoped,
    conversation_id: i32,
    message_id: i32,
) -> ServiceResult<Option<i32>> {
    let db = &state.db;
    let started = Instant::now();
    let s = settings::load(db, scope).await?;
    let c = conversations::find(db, scope, conversation_id).await?;
    let m = scope
        .find::<message::Entity>()
        .filter(message::Column::Id.eq(message_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Message"))?;
    if !s.runs_on(&c.channel) || m.direction != "inbound" || c.merged_into_id.is_some() {
        return Ok(None);
    }
    if scope
        .find::<ai_run::Entity>()
        .filter(ai_run::Column::MessageId.eq(message_id))
        .filter(ai_run::Column::Purpose.eq("inbound"))
        .count(db)
        .await?
        > 0
    {
        return Ok(None);
    }
    // A person has taken over: the AI stays out of the conversation.
    let human_replied = scope
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(c.id))
        .filter(message::Column::AuthorUserId.is_not_null())
        .filter(message::Column::Kind.eq("reply"))
        .count(db)
        .await?
        > 0;
    if human_replied || c.ai_state.as_deref() == Some("escalated") {
        return Ok(None);
    }
    let mut steps = Vec::new();
    let t = Instant::now();
    steps.push(step(
        "ticket",
        format!(
            "{} ({}, {})",
            ticket_ref(c.number),
            if c.message_count <= 1 {
                "new"
            } else {
                "existing"
            },
            c.channel
        ),
        vec![format!("Subject: {}", c.subject)],
        t,
    ));
    let t = Instant::now();
    let earlier = scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::CustomerId.eq(c.customer_id))
        .filter(conversation::Column::Id.ne(c.id))
        .order_by_desc(conversation::Column::Id)
        .limit(5)
        .all(db)
        .await?;
    let cust = customers::find(db, scope, c.customer_id).await?;
    steps.push(step(
        "customer_history",
        format!("{}: {} earlier conversation(s)", cust.name, earlier.len()),
        earlier
            .iter()
            .map(|e| format!("{} · {} · {}", ticket_ref(e.number), e.status, e.subject))
            .collect(),
        t,
    ));
    let text = m.body_text.clone();

    // "Thanks, that solved it" after an AI answer: a confirmed resolution.
    if c.ai_state.as_deref() == Some("answered") && confirms(&text) {
        let mut uow = UnitOfWork::begin(state).await?;
        let mut am = conversations::find(&*uow, scope, c.id)
            .await?
            .into_active_model();
        am.ai_state = Set(Some("resolved".into()));
        am.ai_resolved_at = Set(Some(now()));
        am.status = Set(Status::Solved.as_str().to_owned());
        am.solved_at = Set(Some(now()));
        am.update(&*uow).await?;
        steps.push(step(
            "resolve",
            "The customer confirmed the answer helped",
            Vec::new(),
            Instant::now(),
        ));
        let id = record(
            &mut uow,
            scope,
            &c,
            message_id,
            &steps,
            Record::confirmed(started),
        )
        .await?;
        uow.emit(Event::new(
            scope.workspace_id(),
            "conversation.updated",
            serde_json::json!({"id": c.id, "number": c.number}),
        ));
        uow.commit().await?;
        return Ok(Some(id));
    }

    // An admin's procedure for this kind of request: follow its steps.
    if let Some(id) = follow_procedure(state, scope, &c, &m, &mut steps, started).await? {
        return Ok(Some(id));
    }

    let history: Vec<(bool, String)> = messages::thread(db, scope, c.id)
        .await
        .map(|t| {
            t.into_iter()
                .filter(|x| {
                    x.id != m.id
                        && x.kind == crate::types::MessageKind::Reply
                        && x.side_conversation_id.is_none()
                })
                .map(|x| (x.author_kind == "customer", x.body_text))
                .collect()
        })
        .unwrap_or_default();
    let brand = structure::default_brand(db, scope).await?;
    let bv = structure::brand_view(&brand);
    let provider = match settings::provider(state, scope, &s) {
        Ok(p) => p,
        Err(e) => {
            steps.push(step(
                "decide",
                "The provider is misconfigured; using the built-in engine",
                vec![e.to_string()],
                Instant::now(),
            ));
            None
        }
    };
    // A request the AI can act on ("close my ticket", "call me back tomorrow"):
    // propose the matching tools, under the workspace's policies, instead of
    // answering from the knowledge base.
    if provider.is_none() {
        let t = Instant::now();
        let mut found = intents::detect(&m.body_text, m.created_at.date_naive());
        intents::price_refunds(db, scope, c.customer_id, &mut found).await?;
        if !found.is_empty() {
            steps.push(step(
                "intents",
                format!("{} request(s) found", found.len()),
                found
                    .iter()
                    .map(|i| format!("{} {}", i.tool, i.input))
                    .collect(),
                t,
            ));
            let how = Metered {
                usage: Usage::default(),
                provider_ms: 0,
                engine: "builtin".into(),
            };
            if let Some(id) =
                propose_requests(state, scope, &c, &m, found, &mut steps, started, how).await?
            {
                return Ok(Some(id));
            }
        }
    }
    let assessed = assess(
        db,
        scope,
        &s,
        provider.as_deref(),
        &text,
        &history,
        c.ai_kb_misses,
        (&bv.locales, &bv.default_locale),
    )
    .await;
    let a = match assessed {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(error = %e, conversation = c.id, "AI pipeline failed");
            steps.push(step(
                "error",
                "Internal error while assessing the message",
                vec![e.to_string()],
                Instant::now(),
            ));
            return apologize(state, scope, &c, message_id, steps, started)
                .await
                .map(Some);
        }
    };
    steps.extend(a.steps.clone());
    let mut a = a;
    // The provider called tools instead of answering: a request to act on.
    if let Some(d) = a.decision.as_ref().filter(|d| !d.tool_calls.is_empty()) {
        let found = intents::from_tool_calls(&d.tool_calls, &text, &d.engine);
        let how = Metered {
            usage: d.usage.clone(),
            provider_ms: d.provider_ms,
            engine: d.engine.clone(),
        };
        if let Some(id) =
            propose_requests(state, scope, &c, &m, found, &mut steps, started, how).await?
        {
            return Ok(Some(id));
        }
        // Nothing could be proposed: answer from the knowledge base instead.
        a.decision = Some(engine::builtin(
            &text,
            &a.passages,
            s.answer_threshold,
            c.ai_kb_misses,
        ));
    }
    match act(state, scope, &s, &c, message_id, a, steps.clone(), started).await {
        Ok(id) => Ok(Some(id)),
        Err(e) => {
            tracing::error!(error = %e, conversation = c.id, "AI pipeline failed to act");
            steps.push(step(
                "error",
                "Internal error while replying",
                vec![e.to_string()],
                Instant::now(),
            ));
            apologize(state, scope, &c, message_id, steps, started)
                .await
                .map(Some)
        }
    }
}

/// How a run was metered (provider tokens and wait, engine name).
struct Metered {
    usage: Usage,
    provider_ms: u64,
    engine: String,
}

/// Proposes the requests found in the customer's message as actions and tells
/// the customer what waits for approval or cannot be done. `None` when nothing
/// could be proposed.
#[allow(clippy::too_many_arguments)]
async fn propose_requests(
    state: &AppState,
    scope: Scoped,
    c: &conversation::Model,
    m: &message::Model,
    found: Vec<intents::Intent>,
    steps: &mut Vec<AiStep>,
    started: Instant,
    how: Metered,
) -> ServiceResult<Option<i32>> {
    use crate::services::actions::{self, Proposal, Proposer};
    let Metered {
        usage,
        provider_ms,
        engine: engine_name,
    } = how;
    let t = Instant::now();
    let mut proposed = Vec::new();
    let mut details = Vec::new();
    for i in found {
        let p = Proposal {
            tool: i.tool.clone(),
            input: i.input.clone(),
            conversation_id: Some(c.id),
            reasoning: Some(i.why.clone()),
            proposer: Proposer::Ai,
            customer_note: Some(i.done.clone()),
        };
        match actions::propose(state, scope, p, &RequestMeta::default()).await {
            Ok(v) => {
                details.push(format!(
                    "#{} {}: {} — {}",
                    v.id, v.tool, v.status, v.decision_reason
                ));
                proposed.push((i, v));
            }
            Err(e) => details.push(format!("{}: not proposed — {e}", i.tool)),
        }
    }
    steps.push(step(
        "propose",
        format!("{} action(s) proposed", proposed.len()),
        details,
        t,
    ));
    if proposed.is_empty() {
        return Ok(None);
    }
    let where_ = if c.channel == "chat" {
        "here"
    } else {
        "by email"
    };
    let mut lines = Vec::new();
    let mut denied = false;
    for (i, v) in &proposed {
        match v.status.as_str() {
            "pending" => lines.push(format!(
                "I've asked a member of our team to approve {}; you'll hear back {where_}.",
                i.asked
            )),
            "denied" => {
                denied = true;
                lines.push(format!(
                    "I can't arrange {} myself, so I've passed your request to our team; a person will follow up {where_}.",
                    i.asked
                ));
            }
            _ => {}
        }
    }
    let mut uow = UnitOfWork::begin(state).await?;
    let (reply, reply_id) = reply_and_hand_over(
        &mut uow,
        scope,
        c,
        &lines,
        denied.then_some("action_denied"),
    )
    .await?;
    let cost = settings::load(&*uow, scope)
        .await
        .map(|s| settings::price(&s).cost_micros(&usage))
        .unwrap_or(0);
    let id = record(
        &mut uow,
        scope,
        c,
        m.id,
        steps,
        Record {
            decision: "act".into(),
            reason: denied.then(|| "action_denied".to_owned()),
            confidence: 1.0,
            sentiment: 0.5,
            sent: reply.is_some(),
            reply,
            reply_message_id: reply_id,
            engine: engine_name,
            tokens: (usage.input_tokens, usage.output_tokens),
            cost_micros: cost,
            provider_ms,
            started,
        },
    )
    .await?;
    uow.emit(Event::new(
        scope.workspace_id(),
        "conversation.updated",
        serde_json::json!({"id": c.id, "number": c.number}),
    ));
    uow.commit().await?;
    Ok(Some(id))
}

/// Follows the first enabled procedure whose trigger the message matches: its
/// tool steps are proposed under the policies, its replies sent as one message,
/// an escalation (or a step that could not run) hands the ticket to a person.
/// `None` when no procedure matches.
async fn follow_procedure(
    state: &AppState,
    scope: Scoped,
    c: &conversation::Model,
    m: &message::Model,
    steps: &mut Vec<AiStep>,
    started: Instant,
) -> ServiceResult<Option<i32>> {
    use crate::services::actions::procedures::{self, Mode};
    let t = Instant::now();
    let Some((p, phrase)) = procedures::matching(&state.db, scope, &m.body_text).await? else {
        return Ok(None);
    };
    let mut facts = procedures::facts_for(&state.db, scope, c, &m.body_text).await?;
    let w = procedures::walk(
        state,
        scope,
        &procedures::steps_of(&p),
        &mut facts,
        c,
        Mode::Live { name: &p.name },
    )
    .await?;
    steps.push(step(
        "procedure",
        format!("Followed “{}” (the message matched “{phrase}”)", p.name),
        w.trace
            .iter()
            .map(|l| format!("{} {} — {}", l.path, l.text, l.outcome))
            .collect(),
        t,
    ));
    let where_ = if c.channel == "chat" {
        "here"
    } else {
        "by email"
    };
    let mut lines = w.replies.clone();
    if w.pending > 0 {
        lines.push(format!(
            "I've asked a member of our team to approve the next step; you'll hear back {where_}."
        ));
    }
    let stuck = w.denied + w.failed > 0;
    let escalate = w.escalate.is_some() || stuck;
    if escalate && lines.is_empty() {
        lines.push(handoff_message("procedure", &c.channel));
    } else if stuck && w.escalate.is_none() {
        lines.push(format!(
            "I can't finish this myself, so I've passed your request to our team; a person will follow up {where_}."
        ));
    }
    let reason = if w.escalate.is_some() {
        Some("procedure_escalated")
    } else if stuck {
        Some("action_denied")
    } else {
        None
    };
    let mut uow = UnitOfWork::begin(state).await?;
    let (reply, reply_id) = reply_and_hand_over(&mut uow, scope, c, &lines, reason).await?;
    procedures::count_run(&*uow, scope, p.id).await?;
    let id = record(
        &mut uow,
        scope,
        c,
        m.id,
        steps,
        Record {
            decision: "act".into(),
            reason: reason.map(str::to_owned),
            confidence: 1.0,
            sentiment: 0.5,
            sent: reply.is_some(),
            reply,
            reply_message_id: reply_id,
            engine: "procedure".into(),
            tokens: (0, 0),
            cost_micros: 0,
            provider_ms: 0,
            started,
        },
    )
    .await?;
    uow.emit(Event::new(
        scope.workspace_id(),
        "conversation.updated",
        serde_json::json!({"id": c.id, "number": c.number}),
    ));
    uow.commit().await?;
    Ok(Some(id))
}

/// Sends `lines` as one AI reply formatted for the channel (none when empty) and,
/// given a reason, hands the ticket to a person (escalated; the least busy agent
/// when unassigned). Returns the reply and its message id.
async fn reply_and_hand_over(
    uow: &mut UnitOfWork,
    scope: Scoped,
    c: &conversation::Model,
    lines: &[String],
    reason: Option<&str>,
) -> ServiceResult<(Option<String>, Option<i32>)> {
    let fresh = conversations::find(&**uow, scope, c.id).await?;
    let mut out = (None, None);
    if !lines.is_empty() {
        let body = format_for(&**uow, scope, &fresh, &lines.join(" ")).await?;
        let row = messages::insert_ai_reply(uow, scope, &fresh, &body).await?;
        out = (Some(body), Some(row.id));
    }
    if let Some(r) = reason {
        let mut am = conversations::find(&**uow, scope, c.id)
            .await?
            .into_active_model();
        am.ai_state = Set(Some("escalated".into()));
        am.ai_reason = Set(Some(r.into()));
        let updated = am.update(&**uow).await?;
        if updated.assignee_id.is_none() {
            // The routing stage gives it to a person.
            conversations::note_updated(uow, &updated, vec!["handover"]);
        }
    }
    Ok(out)
}

/// What an `ai_runs` row records.
struct Record {
    decision: String,
    reason: Option<String>,
    confidence: f64,
    sentiment: f64,
    reply: Option<String>,
    sent: bool,
    reply_message_id: Option<i32>,
    engine: String,
    tokens: (u32, u32),
    cost_micros: u64,
    provider_ms: u64,
    started: Instant,
}

impl Record {
    fn confirmed(started: Instant) -> Self {
        Self {
            decision: "resolved".into(),
            reason: None,
            confidence: 1.0,
            sentiment: 0.5,
            reply: None,
            sent: false,
            reply_message_id: None,
            engine: "builtin".into(),
            tokens: (0, 0),
            cost_micros: 0,
            provider_ms: 0,
            started,
        }
    }
}

async fn record(
    uow: &mut UnitOfWork,
    scope: Scoped,
    c: &conversation::Model,
    message_id: i32,
    steps: &[AiStep],
    r: Record,
) -> ServiceResult<i32> {
    let total = u64::try_from(r.started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let own = total.saturating_sub(r.provider_ms * 1000);
    let row = ai_run::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        conversation_id: Set(c.id),
        message_id: Set(Some(message_id)),
        purpose: Set("inbound".into()),
        decision: Set(r.decision.clone()),
        reason_code: Set(r.reason.clone()),
        steps: Set(serde_json::to_string(steps).unwrap_or_else(|_| "[]".into())),
        reply_text: Set(r.reply),
        sent: Set(r.sent),
        reply_message_id: Set(r.reply_message_id),
        engine: Set(r.engine),
        tokens_in: Set(i32::try_from(r.tokens.0).unwrap_or(i32::MAX)),
        tokens_out: Set(i32::try_from(r.tokens.1).unwrap_or(i32::MAX)),
        cost_micros: Set(i64::try_from(r.cost_micros).unwrap_or(i64::MAX)),
        duration_us: Set(i64::try_from(own).unwrap_or(i64::MAX)),
        provider_ms: Set(i32::try_from(r.provider_ms).unwrap_or(i32::MAX)),
        created_at: Set(now()),
        confidence: Set(r.confidence),
        sentiment: Set(r.sentiment),
        ..Default::default()
    }
    .insert(&**uow)
    .await?;
    crate::services::metrics::observe_ai_run(own);
    uow.emit(Event::new(
        scope.workspace_id(),
        "ai.run",
        serde_json::json!({
            "conversation_id": c.id, "number": c.number, "run_id": row.id,
            "decision": r.decision, "reason": r.reason,
        }),
    ));
    Ok(row.id)
}

/// A reply body formatted for the conversation's channel (greeting and sign-off
/// on email; chat stays short).
///
/// # Errors
/// Database errors.
pub async fn format_for(
    db: &impl ConnectionTrait,
    scope: Scoped,
    c: &conversation::Model,
    body: &str,
) -> ServiceResult<String> {
    let channel = Channel::parse(&c.channel).unwrap_or(Channel::Api);
    let rules = crate::services::channels::settings::rules(
        &crate::services::channels::settings::get_or_create(db, scope, channel).await?,
    );
    let cust = customers::find(db, scope, c.customer_id).await?;
    let ws = crate::services::tenancy::global::<entity::workspace::Entity>()
        .filter(entity::workspace::Column::Id.eq(scope.workspace_id()))
        .one(db)
        .await?
        .map(|w| w.name)
        .unwrap_or_default();
    let ctx = FormatContext {
        customer_name: cust.name,
        customer_email: cust.email.unwrap_or_default(),
        agent_name: String::new(),
        workspace_name: ws,
        reference: ticket_ref(c.number),
        subject: c.subject.clone(),
    };
    // Chat stays short and unsigned; email gets the channel's greeting and sign-off.
    if channel == Channel::Chat {
        return Ok(body.to_owned());
    }
    Ok(formatting::apply(&rules, body, &ctx).map_or_else(|_| body.to_owned(), |f| f.text))
}

/// What the customer is told when a person takes over, per reason.
pub fn handoff_message(reason: &str, channel: &str) -> String {
    let where_ = if channel == "chat" {
        "here"
    } else {
        "by email"
    };
    match reason {
        "human_request" => format!("Of course. I've asked a member of our team to take over; they will reply {where_} shortly."),
        "negative_sentiment" => format!("I'm sorry about this. I've passed your message to a member of our team, who will follow up personally {where_}."),
        "no_kb_match" => format!("I couldn't find an answer to this in our help center, so I've passed your question to our support team. A person will reply {where_}."),
        "internal_error" => format!("Sorry, something went wrong on our side while looking into this. I've passed your message to our team and a person will reply {where_} shortly."),
        _ => format!("Thanks for your message. I've passed it to our support team, and a person will follow up {where_} shortly."),
    }
}

/// The member with the fewest open conversations among those who reply to
/// customers (online ones first); for tools.
///
/// # Errors
/// Database errors.
pub async fn least_busy(db: &impl ConnectionTrait, scope: Scoped) -> ServiceResult<Option<i32>> {
    crate::services::routing::engine::least_busy(db, scope).await
}

fn raised(p: &str) -> Option<&'static str> {
    match Priority::parse(p) {
        Some(Priority::Low | Priority::Normal) => Some(Priority::High.as_str()),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments, clippy::too_many_lines)]
async fn act(
    state: &AppState,
    scope: Scoped,
    s: &Settings,
    c: &conversation::Model,
    message_id: i32,
    a: Assessment,
    mut steps: Vec<AiStep>,
    started: Instant,
) -> ServiceResult<i32> {
    let mut uow = UnitOfWork::begin(state).await?;
    let fresh = conversations::find(&*uow, scope, c.id).await?;
    let price = settings::price(s);
    let (usage, provider_ms, engine_name, confidence) =
        a.decision
            .as_ref()
            .map_or((Default::default(), 0, "builtin".to_owned(), 0.0), |d| {
                (
                    d.usage.clone(),
                    d.provider_ms,
                    d.engine.clone(),
                    d.confidence,
                )
            });
    let cost = price.cost_micros(&usage);
    let own_emails = crate::services::channels::email_in::own_addresses(state, scope).await?;
    let mut rec = Record {
        decision: String::new(),
        reason: None,
        confidence,
        sentiment: a.sentiment,
        reply: None,
        sent: false,
        reply_message_id: None,
        engine: engine_name,
        tokens: (usage.input_tokens, usage.output_tokens),
        cost_micros: cost,
        provider_ms,
        started,
    };
    let mut am = fresh.clone().into_active_model();
    if a.raise_priority {
        if let Some(p) = raised(&fresh.priority) {
            am.priority = Set(p.to_owned());
        }
    }
    let mut reason = a.reason.clone();
    let mut reply_out: Option<String> = None;
    if let (None, Some(d)) = (&reason, &a.decision) {
        let t = Instant::now();
        let body = format_for(&*uow, scope, &fresh, &d.reply).await?;
        // What the workspace publishes (the articles the reply was drawn
        // from, the addresses it sends from) is its own, not personal data.
        let published: Vec<&str> = a.passages.iter().map(|p| p.text.as_str()).collect();
        let own: Vec<&str> = own_emails.iter().map(String::as_str).collect();
        let (hits, kept) = pii::find_unpublished(&body, &published, &own);
        if hits.is_empty() {
            steps.push(step(
                "pii_check",
                if kept == 0 {
                    "No personal data in the reply".to_owned()
                } else {
                    format!(
                        "No personal data in the reply ({kept} published contact detail{} kept)",
                        if kept == 1 { "" } else { "s" }
                    )
                },
                Vec::new(),
                t,
            ));
            reply_out = Some(body);
        } else {
            steps.push(step(
                "pii_check",
                "Blocked: the reply contains personal data",
                hits.iter().map(|h| h.kind.code().to_owned()).collect(),
                t,
            ));
            rec.reply = Some(pii::redact(&body));
            reason = Some("pii_blocked".into());
        }
    }
    match (reason, a.decision.as_ref(), reply_out) {
        (None, Some(d), Some(body)) => {
            let t = Instant::now();
            let auto = d.verdict == Verdict::Clarify
                || d.confidence * 100.0 >= f64::from(s.auto_send_threshold);
            rec.decision = d.verdict.as_str().to_owned();
            rec.reply = Some(body.clone());
            if auto {
                let row = messages::insert_ai_reply(&mut uow, scope, &fresh, &body).await?;
                rec.sent = true;
                rec.reply_message_id = Some(row.id);
                steps.push(step(
                    "respond",
                    format!(
                        "Sent ({}); confidence {:.0} % ≥ auto-send {} %",
                        d.verdict.as_str(),
                        d.confidence * 100.0,
                        s.auto_send_threshold
                    ),
                    Vec::new(),
                    t,
                ));
            } else {
                steps.push(step(
                    "respond",
                    format!(
                        "Left as a draft for an agent: confidence {:.0} % < auto-send {} %",
                        d.confidence * 100.0,
                        s.auto_send_threshold
                    ),
                    Vec::new(),
                    t,
                ));
                rec.reason = Some("low_confidence".into());
            }
            if d.verdict == Verdict::Answer {
                am.ai_state = Set(Some(if auto { "answered" } else { "drafted" }.into()));
                am.ai_answered_at = Set(Some(now()));
                am.ai_kb_misses = Set(0);
            } else {
                am.ai_kb_misses = Set(fresh.ai_kb_misses + 1);
            }
            am.ai_reason = Set(None);
            am.updated_at = Set(now());
            am.update(&*uow).await?;
        }
        (reason, _, _) => {
            let reason = reason.unwrap_or_else(|| "no_kb_match".into());
            let t = Instant::now();
            // Unassigned: the routing stage gives it to a person on commit.
            let assignee = fresh.assignee_id;
            am.ai_state = Set(Some("escalated".into()));
            am.ai_reason = Set(Some(reason.clone()));
            am.assignee_id = Set(assignee);
            if fresh.status == Status::New.as_str() || fresh.status == Status::Solved.as_str() {
                am.status = Set(Status::Open.as_str().to_owned());
            }
            if matches!(reason.as_str(), "legal" | "negative_sentiment" | "refund") {
                if let Some(p) = raised(&fresh.priority) {
                    am.priority = Set(p.to_owned());
                }
            }
            am.updated_at = Set(now());
            let updated = am.update(&*uow).await?;
            if assignee.is_none() {
                conversations::note_updated(&mut uow, &updated, vec!["handover"]);
            }
            let note = handoff_message(&reason, &fresh.channel);
            let body = format_for(&*uow, scope, &updated, &note).await?;
            let row = messages::insert_ai_reply(&mut uow, scope, &updated, &body).await?;
            rec.sent = true;
            rec.reply_message_id = Some(row.id);
            if rec.reply.is_none() {
                rec.reply = Some(body);
            }
            activity::record(
                &*uow,
                scope,
                &Who {
                    user_id: None,
                    label: "AI agent".into(),
                },
                &RequestMeta::default(),
                Entry::new("conversation.escalated")
                    .target("conversation", ticket_ref(fresh.number))
                    .diff(
                        None,
                        Some(serde_json::json!({ "reason": reason, "assignee_id": assignee })),
                    ),
            )
            .await?;
            steps.push(step(
                "escalate",
                format!(
                    "Handed off: {} → {}",
                    crate::types::reason_label(&reason),
                    assignee.map_or_else(|| "routing".to_owned(), |u| format!("agent #{u}"))
                ),
                vec![format!("Told the customer: {note}")],
                t,
            ));
            rec.decision = "escalate".into();
            rec.reason = Some(reason);
        }
    }
    let id = record(&mut uow, scope, &fresh, message_id, &steps, rec).await?;
    uow.emit(Event::new(
        scope.workspace_id(),
        "conversation.updated",
        serde_json::json!({"id": fresh.id, "number": fresh.number}),
    ));
    uow.commit().await?;
    Ok(id)
}

/// The polite, channel-formatted apology and handoff after an internal error.
async fn apologize(
    state: &AppState,
    scope: Scoped,
    c: &conversation::Model,
    message_id: i32,
    mut steps: Vec<AiStep>,
    started: Instant,
) -> ServiceResult<i32> {
    let mut uow = UnitOfWork::begin(state).await?;
    let fresh = conversations::find(&*uow, scope, c.id).await?;
    let body = format_for(
        &*uow,
        scope,
        &fresh,
        &handoff_message("internal_error", &fresh.channel),
    )
    .await
    .unwrap_or_else(|_| handoff_message("internal_error", &fresh.channel));
    let row = messages::insert_ai_reply(&mut uow, scope, &fresh, &body).await?;
    let mut am = fresh.clone().into_active_model();
    am.ai_state = Set(Some("escalated".into()));
    am.ai_reason = Set(Some("internal_error".into()));
    am.update(&*uow).await?;
    steps.push(step(
        "escalate",
        "Handed off after an internal error",
        Vec::new(),
        Instant::now(),
    ));
    let rec = Record {
        decision: "escalate".into(),
        reason: Some("internal_error".into()),
        confidence: 0.0,
        sentiment: 0.5,
        reply: Some(body),
        sent: true,
        reply_message_id: Some(row.id),
        engine: "builtin".into(),
        tokens: (0, 0),
        cost_micros: 0,
        provider_ms: 0,
        started,
    };
    let id = record(&mut uow, scope, &fresh, message_id, &steps, rec).await?;
    uow.commit().await?;
    Ok(id)
}

/// Turns AI answers the customer did not reopen within 72 hours into resolutions.
///
/// # Errors
/// Database errors.
pub async fn sweep_resolutions(state: &AppState) -> Result<(), String> {
    let cutoff = now() - chrono::Duration::hours(RESOLUTION_HOURS);
    let sys = crate::services::tenancy::System::new("AI resolution sweep");
    sys.update_many::<conversation::Entity>()
        .filter(conversation::Column::AiState.eq("answered"))
        .filter(conversation::Column::AiAnsweredAt.lt(cutoff))
        .col_expr(
            conversation::Column::AiState,
            sea_orm::sea_query::Expr::value("resolved"),
        )
        .col_expr(
            conversation::Column::AiResolvedAt,
            sea_orm::sea_query::Expr::value(now()),
        )
        .exec(&state.db)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// The AI side of a conversation for the pane.
///
/// # Errors
/// `NotFound`; database errors.
pub async fn conversation_view(
    db: &impl ConnectionTrait,
    scope: Scoped,
    conversation_id: i32,
) -> ServiceResult<crate::types::ConversationAiView> {
    let c = conversations::find(db, scope, conversation_id).await?;
    let runs = scope
        .find::<ai_run::Entity>()
        .filter(ai_run::Column::ConversationId.eq(c.id))
        .order_by_desc(ai_run::Column::Id)
        .limit(20)
        .all(db)
        .await?;
    Ok(crate::types::ConversationAiView {
        state: c.ai_state.clone(),
        reason: c.ai_reason.clone(),
        reason_label: c
            .ai_reason
            .as_deref()
            .map(|r| crate::types::reason_label(r).to_owned()),
        runs: runs.iter().map(run_view).collect(),
    })
}

/// The view of a run row.
pub fn run_view(r: &ai_run::Model) -> crate::types::AiRunView {
    crate::types::AiRunView {
        id: r.id,
        purpose: r.purpose.clone(),
        decision: r.decision.clone(),
        reason: r.reason_code.clone(),
        reason_label: r
            .reason_code
            .as_deref()
            .map(|x| crate::types::reason_label(x).to_owned()),
        confidence: r.confidence,
        sentiment: r.sentiment,
        reply: r.reply_text.clone(),
        sent: r.sent,
        engine: r.engine.clone(),
        steps: serde_json::from_str(&r.steps).unwrap_or_default(),
        tokens: (r.tokens_in, r.tokens_out),
        cost_micros: r.cost_micros,
        duration_us: r.duration_us,
        created_at: r.created_at.to_rfc3339(),
    }
}
