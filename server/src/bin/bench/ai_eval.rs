//! `switchboard-bench ai-eval`: the AI agent's evaluation harness (docs/ai.md).
//!
//! Builds the demo workspace (knowledge base included) in a fresh database, runs
//! the pipeline's assessment (guardrails → retrieval → built-in engine) on every
//! labelled message of `server/eval/ai_eval.jsonl`, and prints escalation
//! precision/recall per reason, the answer rate, wrong-article answers, answers to
//! unanswerable questions, and the rate of answers containing a sentence that is
//! not in a retrieved passage (must be 0 for the built-in engine). `--sweep` shows
//! the same figures for a range of answer thresholds (how the default was
//! calibrated). Then times the whole pipeline (job run, database writes included,
//! no provider) on real inbound chat messages and prints p50/p95.

use anyhow::Context;
use app::services::ai::{extractive, pipeline, settings};
use app::services::channels::inbound::{InboundMessage, Sender};
use app::services::kb::structure;
use app::services::tenancy::Scoped;
use app::types::{Channel, IdentifierKind};
use std::collections::BTreeMap;
use std::time::Instant;

/// The tuning set: what the engine's rules and thresholds were tuned on.
const EVAL_SET: &str = include_str!("../../../eval/ai_eval.jsonl");
/// The held-out set: written independently, only reported on.
const HELD_OUT: &str = include_str!("../../../eval/ai_heldout.jsonl");

/// Arguments of `ai-eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Database to build the demo workspace in (default: a temporary SQLite file).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Answer threshold to evaluate (default: the calibrated one).
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Also print the figures for thresholds 0.30–0.80.
    #[arg(long)]
    pub sweep: bool,
    /// Print every message the engine got wrong (for tuning).
    #[arg(long)]
    pub misses: bool,
    /// Messages timed through the full pipeline.
    #[arg(long, default_value_t = 300)]
    pub timed: usize,
}

#[derive(Debug, serde::Deserialize)]
struct Item {
    id: String,
    text: String,
    expect: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    article: Option<String>,
    /// `innocent_mention`, `explicit`, `negation`, … (held-out set).
    #[serde(default)]
    tags: Vec<String>,
    /// `de`, `fr`, `es` (English when absent).
    #[serde(default)]
    lang: Option<String>,
}

/// What the engine did with one item (at threshold 0, so the sweep can replay it).
struct Outcome {
    item: Item,
    /// Guardrail escalation reason, if any.
    escalated: Option<String>,
    /// Confidence of the best extract, and the article slug it quotes.
    candidate: Option<(f64, String)>,
    /// Quoted sentences not found in any retrieved passage.
    unsupported: usize,
    micros: u64,
}

fn slug_of(url: &str) -> String {
    url.split('#')
        .next()
        .unwrap_or_default()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[derive(Default)]
struct Figures {
    answerable: usize,
    answered_right: usize,
    answered_wrong: usize,
    handoff_items: usize,
    handoff_answered: usize,
    answers: usize,
    unsupported_answers: usize,
}

fn figures(outcomes: &[Outcome], threshold: f64) -> Figures {
    let mut f = Figures::default();
    for o in outcomes {
        let answer = if o.escalated.is_some() {
            None
        } else {
            o.candidate.as_ref().filter(|(c, _)| *c >= threshold)
        };
        if answer.is_some() {
            f.answers += 1;
            if o.unsupported > 0 {
                f.unsupported_answers += 1;
            }
        }
        match o.item.expect.as_str() {
            "answer" => {
                f.answerable += 1;
                match answer {
                    Some((_, slug)) if Some(slug) == o.item.article.as_ref() => {
                        f.answered_right += 1
                    }
                    Some(_) => f.answered_wrong += 1,
                    None => {}
                }
            }
            "handoff" => {
                f.handoff_items += 1;
                if answer.is_some() {
                    f.handoff_answered += 1;
                }
            }
            _ => {}
        }
    }
    f
}

fn pct(n: usize, d: usize) -> String {
    if d == 0 {
        "–".into()
    } else {
        format!("{:.1} %", 100.0 * n as f64 / d as f64)
    }
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)] as f64 / 1000.0
}

/// Runs the assessment on one labelled message.
async fn assess_one(
    state: &app::services::AppState,
    scope: Scoped,
    zero: &settings::Settings,
    brand: &app::types::BrandView,
    item: Item,
) -> anyhow::Result<Outcome> {
    let t = Instant::now();
    let r = pipeline::assess(
        &state.db,
        scope,
        zero,
        None,
        &item.text,
        &[],
        0,
        (&brand.locales, &brand.default_locale),
    )
    .await?;
    let micros = u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX);
    let escalated = r.reason.clone().filter(|x| x != "no_kb_match");
    let candidate = r.decision.as_ref().and_then(|d| {
        let src = d.source?;
        Some((d.confidence, slug_of(&r.passages.get(src)?.url)))
    });
    let unsupported = r.decision.as_ref().map_or(0, |d| {
        d.quoted
            .iter()
            .filter(|q| !extractive::is_supported(q, &r.passages))
            .count()
    });
    Ok(Outcome {
        item,
        escalated,
        candidate,
        unsupported,
        micros,
    })
}

/// The answer given at `threshold`, if any.
fn answer_of(o: &Outcome, threshold: f64) -> Option<&(f64, String)> {
    if o.escalated.is_some() {
        None
    } else {
        o.candidate.as_ref().filter(|(c, _)| *c >= threshold)
    }
}

/// (escalated with the right reason, labelled) over items matching `keep`.
fn recall(outcomes: &[Outcome], keep: impl Fn(&Item) -> bool) -> (usize, usize) {
    let of: Vec<&Outcome> = outcomes.iter().filter(|o| keep(&o.item)).collect();
    let right = of
        .iter()
        .filter(|o| o.escalated.is_some() && o.escalated == o.item.reason)
        .count();
    (right, of.len())
}

fn has(i: &Item, tag: &str) -> bool {
    i.tags.iter().any(|t| t == tag)
}

/// The headline figures of both sets side by side.
fn summary(tuning: &[Outcome], held_out: &[Outcome], threshold: f64) {
    println!("## Summary\n");
    println!("| figure | held-out | tuning | target |");
    println!("|---|---:|---:|---:|");
    let row = |name: &str, h: (usize, usize), t: (usize, usize), target: &str| {
        println!(
            "| {name} | {} ({}/{}) | {} ({}/{}) | {target} |",
            pct(h.0, h.1),
            h.0,
            h.1,
            pct(t.0, t.1),
            t.0,
            t.1
        );
    };
    for (reason, target) in [
        ("human_request", "100 %"),
        ("legal", "100 %"),
        ("refund", "100 %"),
        ("pricing", ""),
        ("negative_sentiment", ""),
    ] {
        let keep = |i: &Item| i.reason.as_deref() == Some(reason);
        row(
            &format!("recall, `{reason}`"),
            recall(held_out, keep),
            recall(tuning, keep),
            target,
        );
    }
    let innocent = |set: &[Outcome]| {
        let of: Vec<&Outcome> = set
            .iter()
            .filter(|o| has(&o.item, "innocent_mention"))
            .collect();
        (
            of.iter().filter(|o| o.escalated.is_some()).count(),
            of.len(),
        )
    };
    row(
        "innocent mentions escalated",
        innocent(held_out),
        innocent(tuning),
        "≤ 2 %",
    );
    let wrongly = |set: &[Outcome]| {
        let of: Vec<&Outcome> = set.iter().filter(|o| o.item.expect != "escalate").collect();
        (
            of.iter().filter(|o| o.escalated.is_some()).count(),
            of.len(),
        )
    };
    row(
        "non-escalation messages escalated",
        wrongly(held_out),
        wrongly(tuning),
        "",
    );
    let (h, t) = (figures(held_out, threshold), figures(tuning, threshold));
    row(
        "answer rate (right article)",
        (h.answered_right, h.answerable),
        (t.answered_right, t.answerable),
        "≥ 60 %",
    );
    row(
        "answers from the wrong article",
        (h.answered_wrong, h.answers),
        (t.answered_wrong, t.answers),
        "0",
    );
    row(
        "answers with a sentence not in a passage",
        (h.unsupported_answers, h.answers),
        (t.unsupported_answers, t.answers),
        "0",
    );
    row(
        "unanswerable questions answered",
        (h.handoff_answered, h.handoff_items),
        (t.handoff_answered, t.handoff_items),
        "",
    );
    let foreign = |set: &[Outcome]| {
        let of: Vec<&Outcome> = set
            .iter()
            .filter(|o| o.item.lang.is_some() && o.item.expect == "answer")
            .collect();
        let right = of
            .iter()
            .filter(|o| answer_of(o, threshold).map(|x| &x.1) == o.item.article.as_ref())
            .count();
        (right, of.len())
    };
    row(
        "answer rate, not English",
        foreign(held_out),
        foreign(tuning),
        "",
    );
    println!();
}

/// One set's tables.
fn report(title: &str, outcomes: &[Outcome], sweep: bool) {
    println!("## {title}\n");
    println!(
        "{} labelled messages: {} answerable, {} unanswerable, {} escalations\n",
        outcomes.len(),
        outcomes
            .iter()
            .filter(|o| o.item.expect == "answer")
            .count(),
        outcomes
            .iter()
            .filter(|o| o.item.expect == "handoff")
            .count(),
        outcomes
            .iter()
            .filter(|o| o.item.expect == "escalate")
            .count(),
    );
    println!("| reason | labelled | escalated | correct | precision | recall |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut reasons: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    for o in outcomes {
        if let Some(r) = &o.item.reason {
            reasons.entry(r.clone()).or_default().0 += 1;
        }
        if let Some(r) = &o.escalated {
            let e = reasons.entry(r.clone()).or_default();
            e.1 += 1;
            if o.item.reason.as_ref() == Some(r) {
                e.2 += 1;
            }
        }
    }
    for (r, (labelled, escalated, correct)) in &reasons {
        println!(
            "| `{r}` | {labelled} | {escalated} | {correct} | {} | {} |",
            pct(*correct, *escalated),
            pct(*correct, *labelled)
        );
    }
    let mut tags: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for o in outcomes.iter().filter(|o| has(&o.item, "innocent_mention")) {
        for t in &o.item.tags {
            let e = tags.entry(t.as_str()).or_default();
            e.1 += 1;
            if o.escalated.is_some() {
                e.0 += 1;
            }
        }
    }
    if !tags.is_empty() {
        println!("\nInnocent mentions escalated, by kind:\n");
        println!("| kind | escalated | of |");
        println!("|---|---:|---:|");
        for (t, (e, n)) in &tags {
            println!("| `{t}` | {e} | {n} |");
        }
    }
    if sweep {
        println!("\nThreshold sweep:\n");
        println!("| threshold | answer rate | wrong article | unanswerable answered |");
        println!("|---:|---:|---:|---:|");
        let mut t = 0.30;
        while t <= 0.801 {
            let g = figures(outcomes, t);
            println!(
                "| {t:.2} | {} | {} | {} |",
                pct(g.answered_right, g.answerable),
                pct(g.answered_wrong, g.answerable),
                pct(g.handoff_answered, g.handoff_items)
            );
            t += 0.05;
        }
    }
    println!();
}

/// Every message of the set the engine got wrong.
fn misses(outcomes: &[Outcome], threshold: f64) {
    println!("## Misses (tuning set)\n");
    for o in outcomes {
        let answer = answer_of(o, threshold);
        let wrong = match o.item.expect.as_str() {
            "escalate" => o.escalated != o.item.reason,
            "answer" => o.escalated.is_some() || answer.map(|x| &x.1) != o.item.article.as_ref(),
            _ => answer.is_some() || o.escalated.is_some(),
        };
        if wrong {
            println!(
                "- {} [{} {}] got esc={:?} cand={:?}: {}",
                o.item.id,
                o.item.expect,
                o.item
                    .reason
                    .clone()
                    .or_else(|| o.item.article.clone())
                    .unwrap_or_default(),
                o.escalated,
                o.candidate.as_ref().map(|(c, s)| format!("{c:.2} {s}")),
                o.item.text
            );
        }
    }
}

/// Clarifications measured by the scripted second turn.
#[derive(Default)]
struct TwoTurns {
    /// Answerable questions the engine asked about (not escalated).
    clarified: usize,
    /// … whose clarification offered the right article.
    offered: usize,
    /// … answered from the right article once the customer picked it.
    resolved: usize,
}

/// The scripted two-turn subset: every answerable question of `outcomes` that
/// the engine clarifies at `s`'s threshold gets the customer's reply naming
/// the right article's number when it was offered (and nothing otherwise),
/// then the second turn runs through the same assessment.
async fn two_turns(
    state: &app::services::AppState,
    scope: Scoped,
    s: &settings::Settings,
    brand: &app::types::BrandView,
    outcomes: &[Outcome],
) -> anyhow::Result<TwoTurns> {
    let mut t = TwoTurns::default();
    let locales = (brand.locales.as_slice(), brand.default_locale.as_str());
    for o in outcomes {
        if o.item.expect != "answer" || o.escalated.is_some() {
            continue;
        }
        let first =
            pipeline::assess(&state.db, scope, s, None, &o.item.text, &[], 0, locales).await?;
        let Some(d) = first.decision.as_ref().filter(|d| {
            first.reason.is_none() && d.verdict == app::services::ai::engine::Verdict::Clarify
        }) else {
            continue;
        };
        t.clarified += 1;
        let Some(title) = first
            .passages
            .iter()
            .find(|p| Some(slug_of(&p.url)) == o.item.article)
            .map(|p| p.title.clone())
        else {
            continue;
        };
        let Some(n) = d
            .reply
            .lines()
            .find_map(|l| l.strip_suffix(&format!(". {title}")))
        else {
            continue;
        };
        t.offered += 1;
        let history = vec![(true, o.item.text.clone()), (false, d.reply.clone())];
        let second = pipeline::assess(&state.db, scope, s, None, n, &history, 1, locales).await?;
        let right = second.decision.as_ref().is_some_and(|d| {
            d.verdict == app::services::ai::engine::Verdict::Answer
                && d.source
                    .and_then(|i| second.passages.get(i))
                    .is_some_and(|p| Some(slug_of(&p.url)) == o.item.article)
        });
        if right {
            t.resolved += 1;
        }
    }
    Ok(t)
}

/// Runs the harness.
///
/// # Errors
/// Setup failures.
#[allow(clippy::too_many_lines)]
pub async fn run(a: EvalArgs) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("sb-ai-eval-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = a
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", dir.join("eval.db").display()));
    let cfg = app::services::Config {
        database_url: url,
        data_dir: dir.display().to_string(),
        ..Default::default()
    };
    let state = switchboard_server::runtime::build_state(cfg).await?;
    if !app::services::accounts::any_workspace(&state.db).await? {
        switchboard_server::seed::seed(&state).await?;
    }
    let ws = {
        use sea_orm::QueryOrder;
        app::services::tenancy::global::<entity::workspace::Entity>()
            .order_by_asc(entity::workspace::Column::Id)
            .one(&state.db)
            .await?
            .context("no workspace after seeding")?
    };
    let scope = Scoped::new(ws.id);
    let s = settings::load(&state.db, scope).await?;
    let threshold = a.threshold.unwrap_or(s.answer_threshold);
    let brand = structure::brand_view(&structure::default_brand(&state.db, scope).await?);
    let mut zero = s.clone();
    zero.answer_threshold = 0.0;

    let mut tuning = Vec::new();
    let mut held_out = Vec::new();
    for (set, text, into) in [
        ("eval/ai_eval.jsonl", EVAL_SET, &mut tuning),
        ("eval/ai_heldout.jsonl", HELD_OUT, &mut held_out),
    ] {
        let items: Vec<Item> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()
            .with_context(|| format!("parsing {set}"))?;
        for item in items {
            into.push(assess_one(&state, scope, &zero, &brand, item).await?);
        }
    }

    println!("# AI agent evaluation (built-in engine)\n");
    println!(
        "Two labelled sets, kept apart: the engine is tuned on the **tuning set**; the \
         **held-out set** was written independently (another author, who never saw the \
         tuning set or the engine's rules) and is only reported on. Answer threshold {threshold:.2}.\n"
    );
    summary(&tuning, &held_out, threshold);
    let mut at = s.clone();
    at.answer_threshold = threshold;
    let two = [
        two_turns(&state, scope, &at, &brand, &held_out).await?,
        two_turns(&state, scope, &at, &brand, &tuning).await?,
    ];
    println!(
        "\n**Clarifying questions** (scripted second turn: the customer replies with the number of \
         the right article when it was offered)\n"
    );
    println!("| figure | held-out | tuning |");
    println!("|---|---:|---:|");
    println!(
        "| answerable questions clarified | {} | {} |",
        two[0].clarified, two[1].clarified
    );
    println!(
        "| … the right article among the choices | {} | {} |",
        two[0].offered, two[1].offered
    );
    println!(
        "| **resolved after clarification** (answered from the right article) | {} | {} |\n",
        two[0].resolved, two[1].resolved
    );
    report("Held-out set (eval/ai_heldout.jsonl)", &held_out, a.sweep);
    report("Tuning set (eval/ai_eval.jsonl)", &tuning, a.sweep);
    if a.misses {
        // Only the tuning set's: looking at the held-out set's misses would
        // tune on it.
        misses(&tuning, threshold);
    }
    let outcomes = tuning;
    let mut assess_us: Vec<u64> = outcomes.iter().map(|o| o.micros).collect();
    assess_us.sort_unstable();

    // The full pipeline on real inbound chat messages (job run with its writes).
    let mut full_us = Vec::with_capacity(a.timed);
    for (i, o) in outcomes.iter().cycle().take(a.timed).enumerate() {
        let m = InboundMessage::new(
            Channel::Chat,
            format!("eval:{}:{i}", o.item.id),
            Sender {
                kind: IdentifierKind::Email,
                value: format!("eval-{i}@example.com"),
                name: Some(format!("Eval visitor {i}")),
            },
            o.item.text.clone(),
        );
        let r = app::services::channels::inbound::receive(&state, scope, m).await?;
        let t = Instant::now();
        pipeline::run(&state, scope, r.conversation_id, r.message_id).await?;
        full_us.push(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX));
    }
    full_us.sort_unstable();
    println!(
        "\n## Time per message ({} build, no provider)\n",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    println!("| stage | messages | p50 ms | p95 ms | max ms |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| assessment (guardrails, retrieval, decision) | {} | {:.2} | {:.2} | {:.2} |",
        assess_us.len(),
        percentile(&assess_us, 0.5),
        percentile(&assess_us, 0.95),
        percentile(&assess_us, 1.0)
    );
    println!(
        "| full pipeline run (ticket, history, assessment, reply or escalation, record) | {} | {:.2} | {:.2} | {:.2} |",
        full_us.len(),
        percentile(&full_us, 0.5),
        percentile(&full_us, 0.95),
        percentile(&full_us, 1.0)
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
