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

/// The labelled set.
const EVAL_SET: &str = include_str!("../../../eval/ai_eval.jsonl");

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

    let items: Vec<Item> = EVAL_SET
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .context("parsing eval/ai_eval.jsonl")?;
    let mut outcomes = Vec::with_capacity(items.len());
    for item in items {
        let t = Instant::now();
        let r = pipeline::assess(
            &state.db,
            scope,
            &zero,
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
        outcomes.push(Outcome {
            item,
            escalated,
            candidate,
            unsupported,
            micros,
        });
    }

    println!("# AI agent evaluation (built-in engine)\n");
    println!(
        "{} labelled messages: {} answerable, {} unanswerable, {} escalations; answer threshold {:.2}\n",
        outcomes.len(),
        outcomes.iter().filter(|o| o.item.expect == "answer").count(),
        outcomes.iter().filter(|o| o.item.expect == "handoff").count(),
        outcomes.iter().filter(|o| o.item.expect == "escalate").count(),
        threshold
    );
    println!("## Escalations per reason\n");
    println!("| reason | labelled | escalated | correct | precision | recall |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut reasons: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    for o in &outcomes {
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
    let f = figures(&outcomes, threshold);
    println!("\n## Answers\n");
    println!("| figure | value |");
    println!("|---|---:|");
    println!(
        "| answer rate (answerable questions answered with the right article) | {} ({}/{}) |",
        pct(f.answered_right, f.answerable),
        f.answered_right,
        f.answerable
    );
    println!(
        "| answerable questions answered with another article | {} ({}) |",
        pct(f.answered_wrong, f.answerable),
        f.answered_wrong
    );
    println!(
        "| unanswerable questions answered anyway | {} ({}/{}) |",
        pct(f.handoff_answered, f.handoff_items),
        f.handoff_answered,
        f.handoff_items
    );
    println!(
        "| answers with a sentence not in a retrieved passage | {} ({}/{}) |",
        pct(f.unsupported_answers, f.answers),
        f.unsupported_answers,
        f.answers
    );
    let false_escalations = outcomes
        .iter()
        .filter(|o| o.item.expect != "escalate" && o.escalated.is_some())
        .count();
    println!(
        "| non-escalation messages escalated by a guardrail | {} |",
        false_escalations
    );
    if a.sweep {
        println!("\n## Threshold sweep\n");
        println!("| threshold | answer rate | wrong article | unanswerable answered |");
        println!("|---:|---:|---:|---:|");
        let mut t = 0.30;
        while t <= 0.801 {
            let g = figures(&outcomes, t);
            println!(
                "| {t:.2} | {} | {} | {} |",
                pct(g.answered_right, g.answerable),
                pct(g.answered_wrong, g.answerable),
                pct(g.handoff_answered, g.handoff_items)
            );
            t += 0.05;
        }
    }
    if a.misses {
        println!("\n## Misses\n");
        for o in &outcomes {
            let answer = if o.escalated.is_some() {
                None
            } else {
                o.candidate.as_ref().filter(|(c, _)| *c >= threshold)
            };
            let wrong = match o.item.expect.as_str() {
                "escalate" => o.escalated != o.item.reason,
                "answer" => {
                    o.escalated.is_some() || answer.map(|x| &x.1) != o.item.article.as_ref()
                }
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
    println!("\n## Time per message (release build, no provider)\n");
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
