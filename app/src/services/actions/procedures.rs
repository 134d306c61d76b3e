//! Procedures (SPEC C6.5): an admin's multi-step instructions ("when a customer
//! asks to change their address: …"), stored as structured steps the AI agent
//! follows when a customer's message matches one of the trigger phrases.
//!
//! A provider, when one is configured, compiles the admin's words into steps; the
//! admin reviews them in the structured editor (without a provider they build the
//! steps there). Tool steps are proposals like any other AI action: the policy
//! engine decides, approvers approve, each runs once. A preview follows the steps
//! against a sample ticket and message without changing anything.

use super::policy::{self, Facts as PolicyFacts};
use super::{registry, schema, Proposal, Proposer};
use crate::permissions::Action;
use crate::services::activity::{self, Entry, Who};
use crate::services::ai::providers::{ChatMessage, ChatRequest};
use crate::services::ai::{engine, settings, textutil};
use crate::services::bus::Event;
use crate::services::context::{Actor, RequestMeta};
use crate::services::inbox::{conversations, customers};
use crate::services::tenancy::Scoped;
use crate::services::uow::UnitOfWork;
use crate::services::{now, AppState, ServiceError, ServiceResult};
use crate::types::{
    CompiledProcedure, Effect, ProcOp, ProcPreview, ProcStep, ProcTraceLine, ProcedureForm,
    ProcedureView, ProceduresPage, PROC_FACTS,
};
use entity::{conversation, procedure};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TryIntoModel,
};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Most steps in one procedure, branches included.
pub const MAX_STEPS: usize = 50;
/// Deepest nesting of `If` branches.
pub const MAX_DEPTH: usize = 4;
/// Most trigger phrases.
pub const MAX_TRIGGERS: usize = 20;

/// A fact's value.
#[derive(Clone, Debug, PartialEq)]
pub enum Fact {
    /// Text.
    Text(String),
    /// A list (tags).
    List(Vec<String>),
    /// A whole number.
    Number(i64),
}

impl Fact {
    fn shown(&self) -> String {
        match self {
            Fact::Text(s) => s.clone(),
            Fact::List(l) => l.join(", "),
            Fact::Number(n) => n.to_string(),
        }
    }
}

/// The facts a procedure reads, by name.
#[derive(Clone, Debug, Default)]
pub struct Facts(BTreeMap<String, Fact>);

impl Facts {
    /// Sets one.
    pub fn set(&mut self, name: &str, v: Fact) {
        self.0.insert(name.to_owned(), v);
    }
    /// One, as text (empty when unknown).
    pub fn text(&self, name: &str) -> String {
        self.0.get(name).map(Fact::shown).unwrap_or_default()
    }
    fn get(&self, name: &str) -> Option<&Fact> {
        self.0.get(name)
    }
    /// Every fact, for a preview.
    pub fn shown(&self) -> Vec<(String, String)> {
        PROC_FACTS
            .iter()
            .filter_map(|(n, _)| self.0.get(*n).map(|v| ((*n).to_owned(), v.shown())))
            .collect()
    }
}

/// The facts of a ticket and the customer's message.
///
/// # Errors
/// Database errors.
pub async fn facts_for(
    db: &impl ConnectionTrait,
    scope: Scoped,
    c: &conversation::Model,
    message: &str,
) -> ServiceResult<Facts> {
    let cust = customers::find(db, scope, c.customer_id).await?;
    let tickets = scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::CustomerId.eq(c.customer_id))
        .count(db)
        .await?;
    let open_others = scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::CustomerId.eq(c.customer_id))
        .filter(conversation::Column::Id.ne(c.id))
        .filter(conversation::Column::Status.is_in(["open", "pending"]))
        .count(db)
        .await?;
    let mut f = Facts::default();
    f.set("message.text", Fact::Text(message.trim().to_owned()));
    f.set("ticket.number", Fact::Number(i64::from(c.number)));
    f.set("ticket.subject", Fact::Text(c.subject.clone()));
    f.set("ticket.status", Fact::Text(c.status.clone()));
    f.set("ticket.priority", Fact::Text(c.priority.clone()));
    f.set("ticket.channel", Fact::Text(c.channel.clone()));
    f.set(
        "ticket.tags",
        Fact::List(super::tags_of(db, scope, c.id).await?),
    );
    f.set(
        "ticket.assigned",
        Fact::Text(if c.assignee_id.is_some() { "yes" } else { "no" }.into()),
    );
    f.set("customer.name", Fact::Text(cust.name));
    f.set("customer.email", Fact::Text(cust.email.unwrap_or_default()));
    f.set(
        "customer.company",
        Fact::Text(cust.company.unwrap_or_default()),
    );
    f.set(
        "customer.tickets",
        Fact::Number(i64::try_from(tickets).unwrap_or(i64::MAX)),
    );
    f.set(
        "customer.open_tickets",
        Fact::Number(i64::try_from(open_others).unwrap_or(i64::MAX)),
    );
    f.set("last.status", Fact::Text(String::new()));
    Ok(f)
}

/// The `{{fact}}` names in a text.
pub fn placeholders(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find("{{") {
        let after = &rest[i + 2..];
        let Some(j) = after.find("}}") else { break };
        out.push(after[..j].trim().to_owned());
        rest = &after[j + 2..];
    }
    out
}

/// A text with its `{{fact}}`s filled in.
pub fn fill(s: &str, facts: &Facts) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("{{") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(j) = after.find("}}") else {
            out.push_str(&rest[i..]);
            return out;
        };
        out.push_str(&facts.text(after[..j].trim()));
        rest = &after[j + 2..];
    }
    out.push_str(rest);
    out
}

/// A tool input with `{{fact}}`s filled in its text values.
pub fn fill_value(v: &Value, facts: &Facts) -> Value {
    match v {
        Value::String(s) => Value::String(fill(s, facts)),
        Value::Array(a) => Value::Array(a.iter().map(|x| fill_value(x, facts)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), fill_value(x, facts)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The first trigger phrase whose words (stemmed, stopwords aside) all appear in
/// the message.
pub fn trigger_match(triggers: &[String], text: &str) -> Option<String> {
    let words = textutil::content_terms(text);
    triggers
        .iter()
        .find(|phrase| {
            let need = textutil::content_terms(phrase);
            !need.is_empty() && need.iter().all(|w| words.contains(w))
        })
        .cloned()
}

/// Whether an `If` holds.
pub fn holds(fact: Option<&Fact>, op: ProcOp, value: &str) -> bool {
    let v = value.trim().to_lowercase();
    let Some(fact) = fact else {
        return op == ProcOp::IsEmpty;
    };
    let empty = match fact {
        Fact::Text(s) => s.trim().is_empty(),
        Fact::List(l) => l.is_empty(),
        Fact::Number(n) => *n == 0,
    };
    let number = || v.replace(',', "").parse::<i64>().ok();
    let contains = || match fact {
        Fact::List(l) => l.iter().any(|x| x.to_lowercase() == v),
        Fact::Text(s) => {
            let s = s.to_lowercase();
            s.contains(&v) || {
                let need = textutil::content_terms(&v);
                let have = textutil::content_terms(&s);
                !need.is_empty() && need.iter().all(|w| have.contains(w))
            }
        }
        Fact::Number(n) => n.to_string() == v,
    };
    let equal = || match fact {
        Fact::List(l) => l.len() == 1 && l[0].to_lowercase() == v,
        Fact::Text(s) => s.trim().to_lowercase() == v,
        Fact::Number(n) => number() == Some(*n),
    };
    let as_number = || match fact {
        Fact::Number(n) => Some(*n),
        Fact::Text(s) => s.trim().replace(',', "").parse().ok(),
        Fact::List(l) => i64::try_from(l.len()).ok(),
    };
    match op {
        ProcOp::Is => equal(),
        ProcOp::IsNot => !equal(),
        ProcOp::Contains => contains(),
        ProcOp::Lacks => !contains(),
        ProcOp::IsEmpty => empty,
        ProcOp::IsSet => !empty,
        ProcOp::Above => matches!((as_number(), number()), (Some(a), Some(b)) if a > b),
        ProcOp::Below => matches!((as_number(), number()), (Some(a), Some(b)) if a < b),
    }
}

/// A procedure that checks out.
#[derive(Clone, Debug)]
pub struct Clean {
    /// Name.
    pub name: String,
    /// The admin's words.
    pub instructions: String,
    /// Trigger phrases.
    pub triggers: Vec<String>,
    /// Steps.
    pub steps: Vec<ProcStep>,
}

fn known_fact(name: &str) -> bool {
    PROC_FACTS.iter().any(|(n, _)| *n == name)
}

fn check_placeholders(s: &str, at: &str) -> Result<(), String> {
    for p in placeholders(s) {
        if !known_fact(&p) {
            return Err(format!(
                "{at}: `{{{{{p}}}}}` is not a fact. Facts: {}.",
                PROC_FACTS
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    Ok(())
}

/// Sample facts for checking tool inputs with their `{{fact}}`s filled in.
fn sample_facts() -> Facts {
    let mut f = Facts::default();
    for (n, _) in PROC_FACTS {
        f.set(n, Fact::Text("sample".into()));
    }
    f
}

fn label_of(path: &str, s: &ProcStep) -> String {
    format!("Step {path} ({})", ProcStep::kind_label(s.kind()))
}

fn check_steps(
    steps: &[ProcStep],
    prefix: &str,
    depth: usize,
    count: &mut usize,
) -> Result<(), String> {
    let reg = registry::get();
    for (i, s) in steps.iter().enumerate() {
        let path = if prefix.is_empty() {
            (i + 1).to_string()
        } else {
            format!("{prefix}.{}", i + 1)
        };
        *count += 1;
        if *count > MAX_STEPS {
            return Err(format!(
                "A procedure has at most {MAX_STEPS} steps, branches included."
            ));
        }
        let at = label_of(&path, s);
        match s {
            ProcStep::Tool { tool, input, note } => {
                let t = reg.tool(tool.trim()).ok_or_else(|| {
                    if tool.trim().is_empty() {
                        format!("{at}: choose a tool.")
                    } else {
                        format!("{at}: there is no tool named `{}`.", tool.trim())
                    }
                })?;
                if !input.is_object() {
                    return Err(format!(
                        "{at}: the input must be a JSON object, like {{\"title\": \"…\"}}."
                    ));
                }
                check_placeholders(&input.to_string(), &at)?;
                check_placeholders(note, &at)?;
                t.validate(&fill_value(input, &sample_facts()))
                    .map_err(|m| format!("{at}: {m}"))?;
                if note.chars().count() > 1000 {
                    return Err(format!("{at}: the note is longer than 1,000 characters."));
                }
            }
            ProcStep::If {
                fact,
                op,
                value,
                then,
                otherwise,
            } => {
                if !known_fact(fact.trim()) {
                    return Err(format!("{at}: `{}` is not a fact.", fact.trim()));
                }
                if op.takes_value() && value.trim().is_empty() {
                    return Err(format!(
                        "{at}: “{} {}” needs a value to compare with.",
                        fact.trim(),
                        op.label()
                    ));
                }
                if matches!(op, ProcOp::Above | ProcOp::Below)
                    && value.trim().replace(',', "").parse::<i64>().is_err()
                {
                    return Err(format!("{at}: “{}” is not a whole number.", value.trim()));
                }
                if then.is_empty() && otherwise.is_empty() {
                    return Err(format!("{at}: add a step under “then” or “otherwise”."));
                }
                if depth + 1 >= MAX_DEPTH {
                    return Err(format!("{at}: branches nest at most {MAX_DEPTH} deep."));
                }
                check_steps(then, &format!("{path}.then"), depth + 1, count)?;
                check_steps(otherwise, &format!("{path}.else"), depth + 1, count)?;
            }
            ProcStep::Reply { text } => {
                let n = text.trim().chars().count();
                if n == 0 {
                    return Err(format!("{at}: write what the customer is told."));
                }
                if n > 2000 {
                    return Err(format!("{at}: at most 2,000 characters."));
                }
                check_placeholders(text, &at)?;
            }
            ProcStep::Escalate { reason } => {
                if reason.chars().count() > 300 {
                    return Err(format!("{at}: the reason is longer than 300 characters."));
                }
                check_placeholders(reason, &at)?;
            }
            ProcStep::Stop => {}
        }
    }
    Ok(())
}

/// Checks a procedure from the editor.
///
/// # Errors
/// `Invalid` naming the field, and for steps the step ("Step 2.then.1 (Use a tool):
/// …").
pub fn validate(f: &ProcedureForm) -> ServiceResult<Clean> {
    let name = f.name.trim().to_owned();
    if name.is_empty() {
        return Err(ServiceError::invalid("name", "Give the procedure a name."));
    }
    if name.chars().count() > 120 {
        return Err(ServiceError::invalid(
            "name",
            "The name is longer than 120 characters.",
        ));
    }
    if f.instructions.chars().count() > 4000 {
        return Err(ServiceError::invalid(
            "instructions",
            "The instructions are longer than 4,000 characters.",
        ));
    }
    let triggers: Vec<String> = f
        .triggers
        .lines()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    if triggers.is_empty() {
        return Err(ServiceError::invalid(
            "triggers",
            "Add at least one phrase a customer would use (one per line), such as “change my address”.",
        ));
    }
    if triggers.len() > MAX_TRIGGERS {
        return Err(ServiceError::invalid(
            "triggers",
            format!("At most {MAX_TRIGGERS} trigger phrases."),
        ));
    }
    for t in &triggers {
        if t.chars().count() > 200 {
            return Err(ServiceError::invalid(
                "triggers",
                format!("“{t}” is longer than 200 characters."),
            ));
        }
        if textutil::content_terms(t).is_empty() {
            return Err(ServiceError::invalid(
                "triggers",
                format!("“{t}” has no words to match on (only common words like “the” or “my”)."),
            ));
        }
    }
    if f.steps.is_empty() {
        return Err(ServiceError::invalid("steps", "Add at least one step."));
    }
    let mut count = 0;
    check_steps(&f.steps, "", 0, &mut count).map_err(|m| ServiceError::invalid("steps", m))?;
    Ok(Clean {
        name,
        instructions: f.instructions.trim().to_owned(),
        triggers,
        steps: f.steps.clone(),
    })
}

/// What following the steps did (or, in a preview, would do).
#[derive(Clone, Debug, Default)]
pub struct Walk {
    /// Each step visited.
    pub trace: Vec<ProcTraceLine>,
    /// Reply texts, in order.
    pub replies: Vec<String>,
    /// Why it handed over to a person, when it did.
    pub escalate: Option<String>,
    /// Tool steps waiting for approval.
    pub pending: usize,
    /// Tool steps the policies denied.
    pub denied: usize,
    /// Tool steps that could not be proposed.
    pub failed: usize,
}

/// Live (propose for real, as the AI) or a preview (decide, change nothing).
#[derive(Clone, Copy, Debug)]
pub enum Mode<'a> {
    /// Proposes each tool step as the AI agent, for this procedure.
    Live {
        /// The procedure's name (the proposals' reasoning names it).
        name: &'a str,
    },
    /// Asks the policies only.
    Preview,
}

struct Frame<'a> {
    steps: &'a [ProcStep],
    i: usize,
    prefix: String,
    depth: u8,
}

fn describe(s: &ProcStep) -> String {
    match s {
        ProcStep::Tool { tool, input, .. } => registry::get().tool(tool).map_or_else(
            || format!("Use `{tool}`"),
            |t| format!("{}: {}", t.label, (t.describe)(input)),
        ),
        ProcStep::If {
            fact, op, value, ..
        } => {
            if op.takes_value() {
                format!("If {fact} {} “{value}”", op.label())
            } else {
                format!("If {fact} {}", op.label())
            }
        }
        ProcStep::Reply { text } => format!("Reply: {text}"),
        ProcStep::Escalate { reason } => format!("Hand to a person: {reason}"),
        ProcStep::Stop => "Stop".into(),
    }
}

/// Follows `steps` on a ticket: `If`s read `facts`, tool steps are proposed (live)
/// or put to the policies (preview), replies are collected, and an escalation or
/// a `Stop` ends it.
///
/// # Errors
/// Database errors.
pub async fn walk(
    state: &AppState,
    scope: Scoped,
    steps: &[ProcStep],
    facts: &mut Facts,
    c: &conversation::Model,
    mode: Mode<'_>,
) -> ServiceResult<Walk> {
    let mut w = Walk::default();
    let mut stack = vec![Frame {
        steps,
        i: 0,
        prefix: String::new(),
        depth: 0,
    }];
    let line = |path: &str, depth: u8, s: &ProcStep, outcome: String, tone: &str| ProcTraceLine {
        path: path.to_owned(),
        depth,
        kind: s.kind().to_owned(),
        text: describe(s),
        outcome,
        tone: tone.to_owned(),
    };
    while let Some(f) = stack.last_mut() {
        let all: &[ProcStep] = f.steps;
        let Some(s) = all.get(f.i) else {
            stack.pop();
            continue;
        };
        f.i += 1;
        let path = if f.prefix.is_empty() {
            f.i.to_string()
        } else {
            format!("{}.{}", f.prefix, f.i)
        };
        let depth = f.depth;
        match s {
            ProcStep::If {
                fact,
                op,
                value,
                then,
                otherwise,
            } => {
                let yes = holds(facts.get(fact), *op, value);
                let seen = facts.text(fact);
                let outcome = format!(
                    "{} ({fact} is “{}”) → {}",
                    if yes { "Yes" } else { "No" },
                    if seen.is_empty() {
                        "empty".into()
                    } else {
                        seen
                    },
                    if yes { "then" } else { "otherwise" }
                );
                w.trace.push(line(&path, depth, s, outcome, "info"));
                let (branch, name) = if yes {
                    (then.as_slice(), "then")
                } else {
                    (otherwise.as_slice(), "else")
                };
                if !branch.is_empty() {
                    stack.push(Frame {
                        steps: branch,
                        i: 0,
                        prefix: format!("{path}.{name}"),
                        depth: depth + 1,
                    });
                }
            }
            ProcStep::Reply { text } => {
                let said = fill(text, facts);
                w.trace
                    .push(line(&path, depth, s, format!("Says: {said}"), "ok"));
                w.replies.push(said);
            }
            ProcStep::Escalate { reason } => {
                let why = fill(reason, facts);
                w.trace.push(line(
                    &path,
                    depth,
                    s,
                    "Handed to a person; the procedure ends".into(),
                    "stop",
                ));
                w.escalate = Some(if why.trim().is_empty() {
                    "The procedure hands this to a person.".into()
                } else {
                    why
                });
                break;
            }
            ProcStep::Stop => {
                w.trace
                    .push(line(&path, depth, s, "The procedure ends".into(), "info"));
                break;
            }
            ProcStep::Tool { tool, input, note } => {
                let input = fill_value(input, facts);
                let shown = ProcStep::Tool {
                    tool: tool.clone(),
                    input: input.clone(),
                    note: note.clone(),
                };
                let (status, outcome, tone) = match mode {
                    Mode::Live { name } => {
                        let p = Proposal {
                            tool: tool.clone(),
                            input,
                            conversation_id: Some(c.id),
                            reasoning: Some(format!("Procedure “{name}”, step {path}.")),
                            proposer: Proposer::Ai,
                            customer_note: Some(fill(note, facts)).filter(|n| !n.trim().is_empty()),
                        };
                        match super::propose(state, scope, p, &RequestMeta::default()).await {
                            Ok(v) => {
                                let st = match v.status.as_str() {
                                    "pending" => "pending",
                                    "denied" => "denied",
                                    _ => "allowed",
                                };
                                (
                                    st,
                                    format!(
                                        "Action #{} {} — {}",
                                        v.id, v.status, v.decision_reason
                                    ),
                                    tone_of(st),
                                )
                            }
                            Err(e) => ("failed", format!("Not proposed: {e}"), "stop"),
                        }
                    }
                    Mode::Preview => {
                        preview_tool(state, scope, c, tool, &input, note, facts).await?
                    }
                };
                match status {
                    "pending" => w.pending += 1,
                    "denied" => w.denied += 1,
                    "failed" => w.failed += 1,
                    _ => {}
                }
                facts.set("last.status", Fact::Text(status.to_owned()));
                w.trace.push(line(&path, depth, &shown, outcome, tone));
            }
        }
    }
    Ok(w)
}

fn tone_of(status: &str) -> &'static str {
    match status {
        "pending" => "wait",
        "denied" | "failed" => "stop",
        _ => "ok",
    }
}

async fn preview_tool(
    state: &AppState,
    scope: Scoped,
    c: &conversation::Model,
    tool: &str,
    input: &Value,
    note: &str,
    facts: &Facts,
) -> ServiceResult<(&'static str, String, &'static str)> {
    let Some(t) = registry::get().tool(tool) else {
        return Ok((
            "failed",
            format!("There is no tool named `{tool}`."),
            "stop",
        ));
    };
    if let Err(m) = t.validate(input) {
        return Ok(("failed", format!("Would not be proposed: {m}"), "stop"));
    }
    let canonical = schema::canonical(input);
    let tags = super::tags_of(&state.db, scope, c.id).await?;
    let d = policy::decide_now(
        &state.db,
        scope,
        &PolicyFacts {
            tool: t.name,
            risk: t.risk,
            amount: t.amount(&canonical),
            tags: &tags,
            channel: Some(c.channel.as_str()),
            segments: &[],
        },
        Some(c.customer_id),
    )
    .await?;
    let told = fill(note, facts);
    let after = if told.trim().is_empty() {
        String::new()
    } else {
        format!(" Once it ran the customer is told: “{told}”")
    };
    Ok(match d.effect {
        Effect::Allow => (
            "allowed",
            format!("Would run at once — {}.{after}", d.reason),
            "ok",
        ),
        Effect::Approval => (
            "pending",
            format!("Would wait for approval — {}.{after}", d.reason),
            "wait",
        ),
        Effect::Deny => ("denied", format!("Would be denied — {}.", d.reason), "stop"),
    })
}

/// The steps stored on a procedure.
pub fn steps_of(p: &procedure::Model) -> Vec<ProcStep> {
    serde_json::from_str(&p.steps).unwrap_or_default()
}

fn view(p: &procedure::Model) -> ProcedureView {
    ProcedureView {
        id: p.id,
        name: p.name.clone(),
        instructions: p.instructions.clone(),
        triggers: p
            .triggers
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect(),
        steps: steps_of(p),
        enabled: p.enabled,
        compiled_with: p.compiled_with.clone(),
        runs: p.runs,
        last_run_at: p.last_run_at.map(|t| t.to_rfc3339()),
        updated_by: p.updated_by_label.clone(),
        updated_at: p.updated_at.to_rfc3339(),
    }
}

/// The enabled procedure whose trigger a message matches (the first by name), with
/// the phrase.
///
/// # Errors
/// Database errors.
pub async fn matching(
    db: &impl ConnectionTrait,
    scope: Scoped,
    text: &str,
) -> ServiceResult<Option<(procedure::Model, String)>> {
    let all = scope
        .find::<procedure::Entity>()
        .filter(procedure::Column::Enabled.eq(true))
        .order_by_asc(procedure::Column::Name)
        .all(db)
        .await?;
    Ok(all.into_iter().find_map(|p| {
        let triggers: Vec<String> = p.triggers.lines().map(str::to_owned).collect();
        trigger_match(&triggers, text).map(|phrase| (p, phrase))
    }))
}

/// Counts a run of a procedure.
///
/// # Errors
/// Database errors.
pub async fn count_run(db: &impl ConnectionTrait, scope: Scoped, id: i32) -> ServiceResult<()> {
    scope
        .update_many::<procedure::Entity>()
        .col_expr(
            procedure::Column::Runs,
            Expr::col(procedure::Column::Runs).add(1),
        )
        .col_expr(procedure::Column::LastRunAt, Expr::value(now()))
        .filter(procedure::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The procedures page.
///
/// # Errors
/// Permission; database errors.
pub async fn page(state: &AppState, actor: &Actor) -> ServiceResult<ProceduresPage> {
    actor.require(Action::ManageAiPolicies)?;
    let rows = actor
        .scope
        .find::<procedure::Entity>()
        .order_by_asc(procedure::Column::Name)
        .all(&state.db)
        .await?;
    let s = settings::load(&state.db, actor.scope).await?;
    let provider = settings::provider(state, actor.scope, &s)
        .ok()
        .flatten()
        .map(|p| p.name().to_owned());
    Ok(ProceduresPage {
        procedures: rows.iter().map(view).collect(),
        tools: registry::get().views(),
        provider,
    })
}

async fn find(
    db: &impl ConnectionTrait,
    scope: Scoped,
    id: i32,
) -> ServiceResult<procedure::Model> {
    scope
        .find::<procedure::Entity>()
        .filter(procedure::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Procedure"))
}

fn snapshot(p: &procedure::Model) -> Value {
    json!({
        "name": p.name, "triggers": p.triggers, "enabled": p.enabled,
        "steps": serde_json::from_str::<Value>(&p.steps).unwrap_or(Value::Null),
        "compiled_with": p.compiled_with,
    })
}

/// Creates or changes a procedure.
///
/// # Errors
/// Permission; `Invalid` naming the field or step; `Conflict` for a taken name;
/// `NotFound`.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    f: &ProcedureForm,
    meta: &RequestMeta,
) -> ServiceResult<ProcedureView> {
    actor.require(Action::ManageAiPolicies)?;
    let c = validate(f)?;
    let scope = actor.scope;
    let mut uow = UnitOfWork::begin(state).await?;
    let taken = scope
        .find::<procedure::Entity>()
        .filter(procedure::Column::Name.eq(c.name.clone()))
        .one(&*uow)
        .await?
        .filter(|p| Some(p.id) != f.id);
    if taken.is_some() {
        return Err(ServiceError::conflict(
            "name",
            format!(
                "A procedure named “{}” exists; choose another name.",
                c.name
            ),
        ));
    }
    let t = now();
    let (before, mut am) = match f.id {
        Some(id) => {
            let p = find(&*uow, scope, id).await?;
            (Some(snapshot(&p)), p.into_active_model())
        }
        None => (
            None,
            procedure::ActiveModel {
                workspace_id: Set(scope.workspace_id()),
                runs: Set(0),
                last_run_at: Set(None),
                created_at: Set(t),
                ..Default::default()
            },
        ),
    };
    am.name = Set(c.name);
    am.instructions = Set(c.instructions);
    am.triggers = Set(c.triggers.join("\n"));
    am.steps =
        Set(serde_json::to_string(&c.steps).map_err(|e| ServiceError::Internal(e.to_string()))?);
    am.enabled = Set(f.enabled);
    am.compiled_with = Set(f
        .compiled_with
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| p.chars().take(40).collect()));
    am.updated_by_label = Set(actor.label());
    am.updated_at = Set(t);
    let saved = am.save(&*uow).await?.try_into_model()?;
    activity::record(
        &*uow,
        scope,
        &Who::from(actor),
        meta,
        Entry::new(if f.id.is_none() {
            "procedure.created"
        } else {
            "procedure.updated"
        })
        .target("procedure", saved.id)
        .diff(before, Some(snapshot(&saved))),
    )
    .await?;
    uow.emit(Event::new(
        scope.workspace_id(),
        "procedure.changed",
        json!({"id": saved.id}),
    ));
    uow.commit().await?;
    Ok(view(&saved))
}

/// Deletes a procedure.
///
/// # Errors
/// Permission; `NotFound`.
pub async fn delete(
    state: &AppState,
    actor: &Actor,
    id: i32,
    meta: &RequestMeta,
) -> ServiceResult<()> {
    actor.require(Action::ManageAiPolicies)?;
    let scope = actor.scope;
    let mut uow = UnitOfWork::begin(state).await?;
    let p = find(&*uow, scope, id).await?;
    scope
        .delete_many::<procedure::Entity>()
        .filter(procedure::Column::Id.eq(id))
        .exec(&*uow)
        .await?;
    activity::record(
        &*uow,
        scope,
        &Who::from(actor),
        meta,
        Entry::new("procedure.deleted")
            .target("procedure", id)
            .diff(Some(snapshot(&p)), None),
    )
    .await?;
    uow.emit(Event::new(
        scope.workspace_id(),
        "procedure.changed",
        json!({"id": id}),
    ));
    uow.commit().await?;
    Ok(())
}

/// Follows the editor's (unsaved) steps against a sample: a ticket by number, a
/// message (the ticket's last customer message when empty), changing nothing.
///
/// # Errors
/// Permission; `Invalid` naming the field or step; `NotFound` for the ticket.
pub async fn preview(
    state: &AppState,
    actor: &Actor,
    f: &ProcedureForm,
    ticket: Option<i32>,
    message: &str,
) -> ServiceResult<ProcPreview> {
    actor.require(Action::ManageAiPolicies)?;
    let c = validate(f)?;
    let scope = actor.scope;
    let db = &state.db;
    let conv = match ticket {
        Some(n) => conversations::find_by_number(db, scope, n)
            .await
            .map_err(|_| {
                ServiceError::invalid(
                    "ticket",
                    format!("There is no ticket #{n} in this workspace."),
                )
            })?,
        None => scope
            .find::<conversation::Entity>()
            .order_by_desc(conversation::Column::Id)
            .one(db)
            .await?
            .ok_or_else(|| {
                ServiceError::invalid(
                    "ticket",
                    "The preview needs a sample ticket; this workspace has none yet.",
                )
            })?,
    };
    let text = if message.trim().is_empty() {
        scope
            .find::<entity::message::Entity>()
            .filter(entity::message::Column::ConversationId.eq(conv.id))
            .filter(entity::message::Column::Direction.eq("inbound"))
            .order_by_desc(entity::message::Column::Id)
            .one(db)
            .await?
            .map(|m| m.body_text)
            .unwrap_or_default()
    } else {
        message.trim().chars().take(4000).collect()
    };
    let mut facts = facts_for(db, scope, &conv, &text).await?;
    let read = facts.shown();
    let w = walk(state, scope, &c.steps, &mut facts, &conv, Mode::Preview).await?;
    let mut result = Vec::new();
    if w.pending > 0 {
        result.push(format!("{} step(s) would wait for approval", w.pending));
    }
    if w.denied > 0 {
        result.push(format!("{} step(s) would be denied", w.denied));
    }
    if w.failed > 0 {
        result.push(format!("{} step(s) could not be proposed", w.failed));
    }
    match &w.escalate {
        Some(why) => result.push(format!("handed to a person: {why}")),
        None if w.denied + w.failed > 0 => {
            result.push("then handed to a person, since a step could not run".into());
        }
        None => {}
    }
    if result.is_empty() {
        result.push("every step would run without waiting".into());
    }
    let mut r = result.join("; ");
    if let Some(first) = r.get(..1) {
        r = first.to_uppercase() + &r[1..];
    }
    Ok(ProcPreview {
        matched: trigger_match(&c.triggers, &text),
        ticket: Some(format!(
            "{} · {}",
            crate::types::ticket_ref(conv.number),
            conv.subject
        )),
        facts: read,
        trace: w.trace,
        reply: (!w.replies.is_empty()).then(|| w.replies.join(" ")),
        result: r + ".",
    })
}

/// Asks the configured provider to turn the admin's words into trigger phrases and
/// steps; the admin reviews them in the editor before saving.
///
/// # Errors
/// Permission; `Invalid` when no provider is configured or the words are empty;
/// `Conflict` when the provider fails or answers with something that is not steps.
pub async fn compile(
    state: &AppState,
    actor: &Actor,
    name: &str,
    instructions: &str,
) -> ServiceResult<CompiledProcedure> {
    actor.require(Action::ManageAiPolicies)?;
    let words = instructions.trim();
    if words.is_empty() {
        return Err(ServiceError::invalid(
            "instructions",
            "Write the instructions first, e.g. “When a customer asks for a refund: tag the ticket refund; if the ticket is tagged vip, create a task for billing; otherwise hand it to a person.”",
        ));
    }
    if words.chars().count() > 4000 {
        return Err(ServiceError::invalid(
            "instructions",
            "The instructions are longer than 4,000 characters.",
        ));
    }
    let s = settings::load(&state.db, actor.scope).await?;
    let Some(provider) = settings::provider(state, actor.scope, &s)? else {
        return Err(ServiceError::invalid(
            "instructions",
            "Compiling needs an AI provider (Settings → AI). Without one, build the steps in the editor below.",
        ));
    };
    let tools: Vec<Value> = registry::get()
        .all()
        .iter()
        .map(|t| json!({"name": t.name, "description": t.description, "input_schema": t.schema()}))
        .collect();
    let facts: Vec<String> = PROC_FACTS
        .iter()
        .map(|(n, l)| format!("{n}: {l}"))
        .collect();
    let system = format!(
        "You turn a support team's written procedure into steps a support agent follows. \
         Reply with one JSON object only: {{\"triggers\": [short phrases a customer would write when this procedure applies], \"steps\": [step, …]}}. \
         A step is one of: \
         {{\"kind\":\"tool\",\"tool\":tool name,\"input\":{{…matching the tool's input_schema…}},\"note\":\"what the customer is told once it ran, or empty\"}}; \
         {{\"kind\":\"if\",\"fact\":fact name,\"op\":\"is\"|\"is_not\"|\"contains\"|\"lacks\"|\"is_empty\"|\"is_set\"|\"above\"|\"below\",\"value\":\"…\",\"then\":[steps],\"otherwise\":[steps]}}; \
         {{\"kind\":\"reply\",\"text\":\"…\"}}; {{\"kind\":\"escalate\",\"reason\":\"…\"}}; {{\"kind\":\"stop\"}}. \
         Text may quote a fact as {{{{fact}}}}. Use only these tools and facts; when a step needs something no tool or fact gives, escalate instead of inventing one.\n\
         Facts:\n{}\n\nTools:\n{}",
        facts.join("\n"),
        serde_json::to_string(&tools).unwrap_or_default()
    );
    let req = ChatRequest {
        model: provider.model().to_owned(),
        system: Some(system),
        messages: vec![ChatMessage::user(format!(
            "Procedure “{}”:\n{words}",
            name.trim()
        ))],
        tools: Vec::new(),
        max_tokens: 1500,
        temperature: Some(0.0),
    };
    let resp = provider.chat(&req).await.map_err(|e| {
        ServiceError::conflict(
            "instructions",
            format!("The provider could not compile the steps: {e}"),
        )
    })?;
    let bad = |why: String| {
        ServiceError::conflict(
            "instructions",
            format!(
                "{} did not answer with steps ({why}); try again or build the steps in the editor",
                provider.name()
            ),
        )
    };
    let raw = engine::extract_json(&resp.text).ok_or_else(|| bad("no JSON".into()))?;
    let v: Value = serde_json::from_str(raw).map_err(|e| bad(e.to_string()))?;
    let steps: Vec<ProcStep> =
        serde_json::from_value(v.get("steps").cloned().unwrap_or(Value::Null))
            .map_err(|e| bad(format!("steps: {e}")))?;
    let triggers = v
        .get("triggers")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    let form = ProcedureForm {
        id: None,
        name: if name.trim().is_empty() {
            "Compiled procedure".into()
        } else {
            name.trim().to_owned()
        },
        instructions: words.to_owned(),
        triggers: triggers.clone(),
        steps: steps.clone(),
        enabled: false,
        compiled_with: None,
    };
    let problem = validate(&form).err().map(|e| match e {
        ServiceError::Invalid { message, .. } => message,
        other => other.to_string(),
    });
    Ok(CompiledProcedure {
        triggers,
        steps,
        provider: provider.name().to_owned(),
        problem,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        let mut f = Facts::default();
        f.set(
            "message.text",
            Fact::Text("Please change my delivery address".into()),
        );
        f.set(
            "ticket.tags",
            Fact::List(vec!["vip".into(), "billing".into()]),
        );
        f.set("customer.tickets", Fact::Number(3));
        f.set("customer.name", Fact::Text("Carl".into()));
        f
    }

    #[test]
    fn triggers_match_on_words_not_exact_text() {
        let t = vec!["refund".to_owned(), "change my address".to_owned()];
        assert_eq!(
            trigger_match(&t, "Hi, can I change the delivery address on my order?"),
            Some("change my address".into())
        );
        assert_eq!(
            trigger_match(&t, "I want my money refunded"),
            Some("refund".into())
        );
        assert_eq!(trigger_match(&t, "Where is my parcel?"), None);
    }

    #[test]
    fn conditions_compare_text_lists_and_numbers() {
        let f = facts();
        assert!(holds(f.get("ticket.tags"), ProcOp::Contains, "VIP"));
        assert!(!holds(f.get("ticket.tags"), ProcOp::Contains, "shipped"));
        assert!(holds(f.get("ticket.tags"), ProcOp::Lacks, "shipped"));
        assert!(holds(f.get("message.text"), ProcOp::Contains, "address"));
        assert!(holds(f.get("customer.tickets"), ProcOp::Above, "2"));
        assert!(!holds(f.get("customer.tickets"), ProcOp::Below, "2"));
        assert!(holds(f.get("customer.tickets"), ProcOp::Is, "3"));
        assert!(holds(f.get("customer.name"), ProcOp::IsSet, ""));
        assert!(holds(f.get("order.status"), ProcOp::IsEmpty, ""));
        assert!(!holds(f.get("order.status"), ProcOp::Is, "shipped"));
    }

    #[test]
    fn placeholders_fill_from_facts() {
        let f = facts();
        assert_eq!(
            fill("Hello {{customer.name}}, tags: {{ ticket.tags }}.", &f),
            "Hello Carl, tags: vip, billing."
        );
        assert_eq!(fill("broken {{customer.name", &f), "broken {{customer.name");
        assert_eq!(
            placeholders("{{a}} and {{ b }}"),
            vec!["a".to_owned(), "b".to_owned()]
        );
        assert_eq!(
            fill_value(&json!({"title": "Call {{customer.name}}", "n": 1}), &f),
            json!({"title": "Call Carl", "n": 1})
        );
    }

    fn form(steps: Vec<ProcStep>) -> ProcedureForm {
        ProcedureForm {
            name: "Refunds".into(),
            triggers: "refund".into(),
            steps,
            ..ProcedureForm::default()
        }
    }

    fn err(f: &ProcedureForm) -> String {
        match validate(f) {
            Err(ServiceError::Invalid { message, .. }) => message,
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn validation_names_the_step_at_fault() {
        let ok = form(vec![ProcStep::Tool {
            tool: "tag_ticket".into(),
            input: json!({"add": ["refund"]}),
            note: String::new(),
        }]);
        assert!(validate(&ok).is_ok(), "{:?}", validate(&ok).err());
        let nested = form(vec![ProcStep::If {
            fact: "ticket.tags".into(),
            op: ProcOp::Contains,
            value: "vip".into(),
            then: vec![ProcStep::Tool {
                tool: "no_such_tool".into(),
                input: json!({}),
                note: String::new(),
            }],
            otherwise: vec![],
        }]);
        assert_eq!(
            err(&nested),
            "Step 1.then.1 (Use a tool): there is no tool named `no_such_tool`."
        );
        let bad_fact = form(vec![ProcStep::Reply {
            text: "Hi {{customer.shoe_size}}".into(),
        }]);
        assert!(err(&bad_fact).starts_with(
            "Step 1 (Reply to the customer): `{{customer.shoe_size}}` is not a fact."
        ));
        let no_value = form(vec![ProcStep::If {
            fact: "ticket.status".into(),
            op: ProcOp::Is,
            value: " ".into(),
            then: vec![ProcStep::Stop],
            otherwise: vec![],
        }]);
        assert!(err(&no_value).contains("needs a value"));
        let mut no_trigger = ok.clone();
        no_trigger.triggers = "the my".into();
        assert!(err(&no_trigger).contains("no words to match on"));
    }
}
