//! The flow interpreter: given a published graph, where a conversation stands in
//! it and what just happened (nothing yet, an answer, a timeout, a timer, the AI
//! agent's outcome), it returns where the conversation stands now and what to do
//! (say something, ask, tag, hand off …). It touches no database and no clock, so
//! the server's runner and the canvas's preview run the very same steps: the
//! runner stores the state and carries out the effects; the preview shows them.

use super::flows::{AskInput, FlowBranch, FlowGraph, FlowOp, NodeKind, WaitEvent};
use super::rules::RuleAction;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most steps one call takes before it stops (a published graph has no loop
/// without a wait, so this only guards against a corrupt one).
pub const MAX_STEPS_PER_TURN: u32 = 100;

/// Where a Create ticket step's reply names the ticket it opened (written
/// `{{ new_ticket }}`; the engine puts the reference in once the ticket exists).
pub const NEW_TICKET: &str = "\u{1}new_ticket\u{1}";

/// What a run is doing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum RunStatus {
    /// Between steps (only inside a call).
    Running,
    /// Waiting for the customer's answer to the question at `node`.
    WaitingInput,
    /// Waiting for a timer (a Wait step).
    WaitingTimer,
    /// Waiting for the AI agent's outcome.
    WaitingAi,
    /// Waiting for something to happen on the ticket (a workflow's Wait for).
    WaitingEvent,
    /// Handed to a person: the flow is over for this conversation.
    HandedOff,
    /// Reached an End step (or an exit that leads nowhere).
    Done,
}

impl RunStatus {
    /// Whether the run is over.
    pub fn is_over(&self) -> bool {
        matches!(self, Self::HandedOff | Self::Done)
    }
}

/// Where a conversation stands in a flow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunState {
    /// The current step's id.
    pub node: String,
    /// Answers and variables (`order` is read as `{{ answer.order }}`).
    pub vars: BTreeMap<String, String>,
    /// What it is doing.
    #[serde(flatten)]
    pub status: RunStatus,
    /// Steps taken so far.
    pub steps: u32,
}

/// What happened since the last call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum RunInput {
    /// Nothing: begin (or go on after the run was stored mid-way).
    Begin,
    /// The customer wrote this.
    Answer(String),
    /// The question's timeout passed.
    Timeout,
    /// The Wait step's timer fired.
    TimerDone,
    /// The AI agent answered (true) or handed over (false).
    AiOutcome(bool),
    /// Something happened on the ticket (a workflow's Wait for).
    Event(WaitEvent),
}

/// Something the runner carries out (or the preview shows).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum RunEffect {
    /// Send a message.
    Say {
        /// Text, variables filled in.
        text: String,
    },
    /// Ask a question; `choices` render as buttons (or numbered lines on
    /// text-only channels).
    Ask {
        /// The question.
        prompt: String,
        /// The choices (empty: free text, email or phone).
        choices: Vec<String>,
        /// Offer the choices as a list rather than buttons.
        #[serde(default)]
        dropdown: bool,
        /// Give up after this many minutes.
        timeout_mins: Option<u32>,
    },
    /// Tag the conversation.
    Tag {
        /// The tag.
        tag: String,
    },
    /// Set a custom field.
    SetField {
        /// Field key.
        key: String,
        /// Value, variables filled in.
        value: String,
    },
    /// Set the priority.
    SetPriority {
        /// `low` … `urgent`.
        priority: String,
    },
    /// Post the run's variables to a webhook endpoint.
    Webhook {
        /// Endpoint id.
        endpoint_id: i32,
    },
    /// Open a new ticket for the customer; say `reply` in the conversation with
    /// [`NEW_TICKET`] replaced by the new ticket's reference.
    CreateTicket {
        /// Subject (filled in).
        subject: String,
        /// First message (filled in).
        body: String,
        /// Team.
        team_id: Option<i32>,
        /// Priority name.
        priority: String,
        /// The reply (filled in, but for [`NEW_TICKET`]).
        reply: String,
    },
    /// Let the AI agent answer; call again with [`RunInput::AiOutcome`].
    AiAnswer,
    /// Suggest help-center articles.
    SuggestArticles {
        /// The query, variables filled in.
        query: String,
    },
    /// Hand the conversation to a person.
    Handoff {
        /// The team (none: the usual routing).
        team_id: Option<i32>,
        /// A note for the agent, variables filled in.
        note: String,
    },
    /// Start a timer; call again with [`RunInput::TimerDone`] when it fires.
    Wait {
        /// Minutes.
        minutes: u32,
    },
    /// One of the automation rules' actions on the ticket (workflows).
    TicketAction {
        /// The action.
        action: RuleAction,
    },
    /// Email the customer (campaigns): written once per run and step, sent by
    /// the send job.
    SendEmail {
        /// The step's id (a run sends one email per step).
        node: String,
        /// Subject, filled in.
        subject: String,
        /// Body, filled in.
        body: String,
    },
    /// Show the customer a targeted message on their next visit (campaigns):
    /// written once per run and step.
    SendInApp {
        /// The step's id.
        node: String,
        /// The targeted message.
        message_id: i32,
    },
    /// Wait for a ticket event; call again with [`RunInput::Event`] when it
    /// happens, or [`RunInput::Timeout`] when the timeout passes.
    WaitFor {
        /// What.
        event: WaitEvent,
        /// Give up after this many minutes.
        timeout_mins: Option<u32>,
    },
}

/// One step the run passed, for the preview and the analytics.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunStep {
    /// The step's id.
    pub node: String,
    /// The exit it left by (none: it stopped there).
    pub port: Option<String>,
}

/// The result of one call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunTurn {
    /// Where the run stands now.
    pub state: RunState,
    /// What to do, in order.
    pub effects: Vec<RunEffect>,
    /// The steps passed in this call.
    pub path: Vec<RunStep>,
}

/// Fills `{{ answer.x }}`, `{{ x }}` and the facts' `{{ customer.name }}` into a
/// text (unknown names become empty).
pub fn fill(
    text: &str,
    vars: &BTreeMap<String, String>,
    facts: &BTreeMap<String, String>,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            out.push_str(&rest[open..]);
            return out;
        };
        out.push_str(&lookup(after[..close].trim(), vars, facts).unwrap_or_default());
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    out
}

fn lookup(
    name: &str,
    vars: &BTreeMap<String, String>,
    facts: &BTreeMap<String, String>,
) -> Option<String> {
    let key = name.strip_prefix("answer.").unwrap_or(name);
    vars.get(key).or_else(|| facts.get(name)).cloned()
}

fn holds(
    b: &FlowBranch,
    vars: &BTreeMap<String, String>,
    facts: &BTreeMap<String, String>,
) -> bool {
    let have = lookup(b.subject.trim(), vars, facts).unwrap_or_default();
    let want = fill(&b.value, vars, facts);
    let (h, w) = (have.trim().to_lowercase(), want.trim().to_lowercase());
    let num = |s: &str| s.trim().parse::<f64>().ok();
    match b.op {
        FlowOp::Is => h == w,
        FlowOp::IsNot => h != w,
        FlowOp::Contains => h.contains(&w),
        FlowOp::IsSet => !h.is_empty(),
        FlowOp::IsEmpty => h.is_empty(),
        FlowOp::Above => num(&h).zip(num(&w)).is_some_and(|(a, b)| a > b),
        FlowOp::Below => num(&h).zip(num(&w)).is_some_and(|(a, b)| a < b),
        FlowOp::OneOf => {
            let h = h.trim_matches(|c: char| !c.is_alphanumeric());
            w.split(',').any(|x| x.trim() == h)
        }
    }
}

/// Whether an answer looks like an email address.
/// Whether every branch holds (a workflow's start conditions); true for none.
pub fn all_hold(
    branches: &[FlowBranch],
    vars: &BTreeMap<String, String>,
    facts: &BTreeMap<String, String>,
) -> bool {
    branches.iter().all(|b| holds(b, vars, facts))
}

pub fn looks_like_email(s: &str) -> bool {
    let s = s.trim();
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !s.contains(char::is_whitespace)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
}

/// The digits of a phone number (7 to 15, an optional leading +), or none.
pub fn phone_digits(s: &str) -> Option<String> {
    let s = s.trim();
    if !s
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c))
    {
        return None;
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let plus = if s.starts_with('+') { "+" } else { "" };
    (7..=15)
        .contains(&digits.len())
        .then(|| format!("{plus}{digits}"))
}

/// Which choice an answer picks: its number (`2`) or its label, any case.
pub fn pick(choices: &[String], answer: &str) -> Option<usize> {
    let a = answer.trim();
    if let Ok(n) = a.parse::<usize>() {
        return (1..=choices.len()).contains(&n).then(|| n - 1);
    }
    choices
        .iter()
        .position(|c| c.trim().eq_ignore_ascii_case(a))
}

/// The state of a run that has not begun.
pub fn begin(graph: &FlowGraph) -> RunState {
    RunState {
        node: graph.start().map(|n| n.id.clone()).unwrap_or_default(),
        vars: BTreeMap::new(),
        status: RunStatus::Running,
        steps: 0,
    }
}

/// Runs the flow from `state` with `input` until it waits or ends.
#[allow(clippy::too_many_lines)]
pub fn advance(
    graph: &FlowGraph,
    state: &RunState,
    input: &RunInput,
    facts: &BTreeMap<String, String>,
) -> RunTurn {
    let mut st = state.clone();
    let mut effects = Vec::new();
    let mut path = Vec::new();
    if st.status.is_over() {
        return RunTurn {
            state: st,
            effects,
            path,
        };
    }
    // What the step we stopped at makes of the input: the exit to leave by, or
    // stay (a reply that does not fit the question).
    let mut leave: Option<String> = None;
    if let Some(node) = graph.node(&st.node) {
        match (&st.status, &node.kind, input) {
            (
                RunStatus::WaitingInput,
                NodeKind::Ask {
                    input: kind,
                    variable,
                    prompt,
                    typed,
                    ..
                },
                RunInput::Answer(a),
            ) => {
                let accepted = match kind {
                    AskInput::Text => {
                        (!a.trim().is_empty()).then(|| (a.trim().to_owned(), "next".to_owned()))
                    }
                    AskInput::Email => {
                        looks_like_email(a).then(|| (a.trim().to_lowercase(), "next".to_owned()))
                    }
                    AskInput::Phone => phone_digits(a).map(|d| (d, "next".to_owned())),
                    AskInput::Buttons { choices } | AskInput::Dropdown { choices } => {
                        pick(choices, a)
                            .map(|i| (choices[i].clone(), format!("choice:{i}")))
                            .or_else(|| {
                                (*typed && !a.trim().is_empty())
                                    .then(|| (a.trim().to_owned(), "other".to_owned()))
                            })
                    }
                };
                match accepted {
                    Some((value, port)) => {
                        if !variable.is_empty() {
                            st.vars.insert(variable.clone(), value);
                        }
                        leave = Some(port);
                    }
                    None => {
                        let hint = match kind {
                            AskInput::Email => "That does not look like an email address; please type it again (name@example.com).".to_owned(),
                            AskInput::Phone => "That does not look like a phone number; please type it again with its area code.".to_owned(),
                            AskInput::Buttons { choices } | AskInput::Dropdown { choices } => format!(
                                "Please pick one of: {}.",
                                choices
                                    .iter()
                                    .enumerate()
                                    .map(|(i, c)| format!("{} {c}", i + 1))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                            AskInput::Text => format!("Sorry, I did not get that. {prompt}"),
                        };
                        effects.push(RunEffect::Say { text: hint });
                        return RunTurn {
                            state: st,
                            effects,
                            path,
                        };
                    }
                }
            }
            (RunStatus::WaitingInput, NodeKind::Ask { .. }, RunInput::Timeout) => {
                leave = Some("timeout".to_owned());
            }
            (RunStatus::WaitingTimer, NodeKind::Wait { .. }, RunInput::TimerDone) => {
                leave = Some("next".to_owned());
            }
            (RunStatus::WaitingEvent, NodeKind::WaitFor { event, .. }, RunInput::Event(e))
                if e == event =>
            {
                leave = Some("done".to_owned());
            }
            (RunStatus::WaitingEvent, NodeKind::WaitFor { .. }, RunInput::Timeout) => {
                leave = Some("timeout".to_owned());
            }
            (RunStatus::WaitingAi, NodeKind::AiAnswer, RunInput::AiOutcome(answered)) => {
                leave = Some(if *answered { "answered" } else { "handoff" }.to_owned());
            }
            (RunStatus::Running, _, _) => {}
            // Input the step is not waiting for (a message during a Wait, a late
            // timeout): nothing changes.
            _ => {
                return RunTurn {
                    state: st,
                    effects,
                    path,
                }
            }
        }
    }
    if let Some(port) = leave {
        path.push(RunStep {
            node: st.node.clone(),
            port: Some(port.clone()),
        });
        match graph.next(&st.node, &port) {
            Some(t) => {
                st.node = t.to_owned();
                st.status = RunStatus::Running;
            }
            None => {
                st.status = RunStatus::Done;
                return RunTurn {
                    state: st,
                    effects,
                    path,
                };
            }
        }
    }
    let mut taken = 0;
    while st.status == RunStatus::Running {
        taken += 1;
        if taken > MAX_STEPS_PER_TURN {
            st.status = RunStatus::Done;
            break;
        }
        st.steps += 1;
        let Some(node) = graph.node(&st.node) else {
            st.status = RunStatus::Done;
            break;
        };
        let fill = |t: &str| fill(t, &st.vars, facts);
        let port: Option<String> = match &node.kind {
            NodeKind::Start => Some("next".into()),
            NodeKind::SendMessage { text } => {
                effects.push(RunEffect::Say { text: fill(text) });
                Some("next".into())
            }
            NodeKind::Ask {
                prompt,
                input,
                timeout_mins,
                ..
            } => {
                let choices = match input {
                    AskInput::Buttons { choices } | AskInput::Dropdown { choices } => {
                        choices.clone()
                    }
                    _ => Vec::new(),
                };
                effects.push(RunEffect::Ask {
                    prompt: fill(prompt),
                    choices,
                    dropdown: matches!(input, AskInput::Dropdown { .. }),
                    timeout_mins: *timeout_mins,
                });
                st.status = RunStatus::WaitingInput;
                None
            }
            NodeKind::Condition { branches } => Some(
                branches
                    .iter()
                    .position(|b| holds(b, &st.vars, facts))
                    .map_or_else(|| "else".to_owned(), |i| format!("branch:{i}")),
            ),
            NodeKind::SetVariable { variable, value } => {
                let v = fill(value);
                st.vars.insert(variable.clone(), v);
                Some("next".into())
            }
            NodeKind::Action { action } => {
                use super::flows::FlowAction;
                effects.push(match action {
                    FlowAction::Tag { tag } => RunEffect::Tag { tag: tag.clone() },
                    FlowAction::SetField { key, value } => RunEffect::SetField {
                        key: key.clone(),
                        value: fill(value),
                    },
                    FlowAction::SetPriority { priority } => RunEffect::SetPriority {
                        priority: priority.clone(),
                    },
                    FlowAction::Webhook { endpoint_id } => RunEffect::Webhook {
                        endpoint_id: *endpoint_id,
                    },
                    FlowAction::CreateTicket {
                        subject,
                        body,
                        team_id,
                        priority,
                        reply,
                    } => {
                        let mut f = facts.clone();
                        f.insert("new_ticket".into(), NEW_TICKET.into());
                        RunEffect::CreateTicket {
                            subject: fill(subject),
                            body: fill(body),
                            team_id: *team_id,
                            priority: priority.clone(),
                            reply: self::fill(reply, &st.vars, &f),
                        }
                    }
                });
                Some("next".into())
            }
            NodeKind::AiAnswer => {
                effects.push(RunEffect::AiAnswer);
                st.status = RunStatus::WaitingAi;
                None
            }
            NodeKind::SuggestArticle { query } => {
                effects.push(RunEffect::SuggestArticles { query: fill(query) });
                Some("next".into())
            }
            NodeKind::Handoff { team_id, note } => {
                effects.push(RunEffect::Handoff {
                    team_id: *team_id,
                    note: fill(note),
                });
                st.status = RunStatus::HandedOff;
                None
            }
            NodeKind::Wait { minutes } => {
                effects.push(RunEffect::Wait { minutes: *minutes });
                st.status = RunStatus::WaitingTimer;
                None
            }
            NodeKind::TicketAction { action } => {
                effects.push(RunEffect::TicketAction {
                    action: action.clone(),
                });
                Some("next".into())
            }
            NodeKind::WaitFor {
                event,
                timeout_mins,
            } => {
                effects.push(RunEffect::WaitFor {
                    event: *event,
                    timeout_mins: *timeout_mins,
                });
                st.status = RunStatus::WaitingEvent;
                None
            }
            NodeKind::SendEmail { subject, body } => {
                effects.push(RunEffect::SendEmail {
                    node: node.id.clone(),
                    subject: fill(subject),
                    body: fill(body),
                });
                Some("next".into())
            }
            NodeKind::SendInApp { message_id } => {
                effects.push(RunEffect::SendInApp {
                    node: node.id.clone(),
                    message_id: *message_id,
                });
                Some("next".into())
            }
            NodeKind::End => {
                st.status = RunStatus::Done;
                None
            }
        };
        path.push(RunStep {
            node: st.node.clone(),
            port: port.clone(),
        });
        if let Some(p) = port {
            match graph.next(&st.node, &p) {
                Some(t) => st.node = t.to_owned(),
                None => st.status = RunStatus::Done,
            }
        }
    }
    RunTurn {
        state: st,
        effects,
        path,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use crate::types::flows::{CanvasPoint, FlowAction, FlowEdge, FlowNode, FLOW_SCHEMA};

    fn n(id: &str, kind: NodeKind) -> FlowNode {
        FlowNode {
            id: id.into(),
            position: CanvasPoint::default(),
            kind,
        }
    }

    fn e(s: &str, p: &str, t: &str) -> FlowEdge {
        FlowEdge {
            source: s.into(),
            port: p.into(),
            target: t.into(),
        }
    }

    /// Greet; ask for an email; VIPs (a fact) go to team 7, others pick
    /// Order / Other: Order tags and hands off, Other lets the AI answer, then
    /// ends or hands off.
    fn graph() -> FlowGraph {
        FlowGraph {
            schema: FLOW_SCHEMA,
            entry: None,
            trigger: None,
            nodes: vec![
                n("start", NodeKind::Start),
                n(
                    "hi",
                    NodeKind::SendMessage {
                        text: "Hi {{ customer.first_name }}!".into(),
                    },
                ),
                n(
                    "email",
                    NodeKind::Ask {
                        prompt: "Your email?".into(),
                        input: AskInput::Email,
                        variable: "email".into(),
                        timeout_mins: Some(30),
                        typed: false,
                    },
                ),
                n(
                    "vip",
                    NodeKind::Condition {
                        branches: vec![FlowBranch {
                            subject: "customer.tier".into(),
                            op: FlowOp::Is,
                            value: "VIP".into(),
                        }],
                    },
                ),
                n(
                    "to_vip",
                    NodeKind::Handoff {
                        team_id: Some(7),
                        note: "VIP {{ answer.email }}".into(),
                    },
                ),
                n(
                    "topic",
                    NodeKind::Ask {
                        prompt: "What about?".into(),
                        input: AskInput::Buttons {
                            choices: vec!["Order".into(), "Other".into()],
                        },
                        variable: "topic".into(),
                        timeout_mins: None,
                        typed: false,
                    },
                ),
                n(
                    "tag",
                    NodeKind::Action {
                        action: FlowAction::Tag {
                            tag: "orders".into(),
                        },
                    },
                ),
                n(
                    "to_any",
                    NodeKind::Handoff {
                        team_id: None,
                        note: String::new(),
                    },
                ),
                n("ai", NodeKind::AiAnswer),
                n("bye", NodeKind::End),
                n(
                    "late",
                    NodeKind::SendMessage {
                        text: "We will email you.".into(),
                    },
                ),
            ],
            edges: vec![
                e("start", "next", "hi"),
                e("hi", "next", "email"),
                e("email", "next", "vip"),
                e("email", "timeout", "late"),
                e("late", "next", "bye"),
                e("vip", "branch:0", "to_vip"),
                e("vip", "else", "topic"),
                e("topic", "choice:0", "tag"),
                e("tag", "next", "to_any"),
                e("topic", "choice:1", "ai"),
                e("ai", "answered", "bye"),
                e("ai", "handoff", "to_any"),
            ],
        }
    }

    fn facts(tier: &str) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("customer.first_name".to_owned(), "Ana".to_owned()),
            ("customer.tier".to_owned(), tier.to_owned()),
        ])
    }

    #[test]
    fn a_question_that_takes_typed_answers_leaves_by_other() {
        let g = FlowGraph {
            schema: FLOW_SCHEMA,
            entry: None,
            trigger: None,
            nodes: vec![
                n("start", NodeKind::Start),
                n(
                    "q",
                    NodeKind::Ask {
                        prompt: "Pick or type".into(),
                        input: AskInput::Buttons {
                            choices: vec!["Orders".into()],
                        },
                        variable: "topic".into(),
                        timeout_mins: None,
                        typed: true,
                    },
                ),
                n("picked", NodeKind::End),
                n("ai", NodeKind::AiAnswer),
            ],
            edges: vec![
                e("start", "next", "q"),
                e("q", "choice:0", "picked"),
                e("q", "other", "ai"),
            ],
        };
        assert_eq!(
            g.node("q").unwrap().kind.ports(),
            ["choice:0".to_owned(), "other".to_owned()]
        );
        let asked = advance(&g, &begin(&g), &RunInput::Begin, &facts(""));
        let t = advance(
            &g,
            &asked.state,
            &RunInput::Answer("orders".into()),
            &facts(""),
        );
        assert_eq!(t.state.status, RunStatus::Done);
        let t = advance(
            &g,
            &asked.state,
            &RunInput::Answer("Do you ship to Canada?".into()),
            &facts(""),
        );
        assert_eq!(t.state.vars["topic"], "Do you ship to Canada?");
        assert_eq!(t.effects, [RunEffect::AiAnswer]);
        // An empty reply still does not fit.
        let t = advance(&g, &asked.state, &RunInput::Answer("  ".into()), &facts(""));
        assert_eq!(t.state.node, "q");
    }

    #[test]
    fn the_sample_is_publishable() {
        assert_eq!(graph().problems(), vec![]);
    }

    #[test]
    fn greets_asks_and_checks_the_email() {
        let g = graph();
        let t = advance(&g, &begin(&g), &RunInput::Begin, &facts(""));
        assert_eq!(
            t.effects,
            vec![
                RunEffect::Say {
                    text: "Hi Ana!".into()
                },
                RunEffect::Ask {
                    prompt: "Your email?".into(),
                    choices: vec![],
                    dropdown: false,
                    timeout_mins: Some(30)
                },
            ]
        );
        assert_eq!(t.state.status, RunStatus::WaitingInput);
        assert_eq!(t.state.node, "email");
        // A bad address keeps it waiting, with a hint.
        let bad = advance(
            &g,
            &t.state,
            &RunInput::Answer("ana at home".into()),
            &facts(""),
        );
        assert_eq!(bad.state, t.state);
        assert!(
            matches!(&bad.effects[0], RunEffect::Say { text } if text.contains("email address"))
        );
        // A good one goes on: not a VIP, so the topic question.
        let t = advance(
            &g,
            &t.state,
            &RunInput::Answer(" Ana@Example.COM ".into()),
            &facts(""),
        );
        assert_eq!(t.state.vars["email"], "ana@example.com");
        assert_eq!(t.state.node, "topic");
        assert!(matches!(&t.effects[0], RunEffect::Ask { choices, .. } if choices.len() == 2));
        // "1" picks Order: tagged and handed off.
        let t = advance(&g, &t.state, &RunInput::Answer("1".into()), &facts(""));
        assert_eq!(t.state.vars["topic"], "Order");
        assert_eq!(
            t.effects,
            vec![
                RunEffect::Tag {
                    tag: "orders".into()
                },
                RunEffect::Handoff {
                    team_id: None,
                    note: String::new()
                },
            ]
        );
        assert_eq!(t.state.status, RunStatus::HandedOff);
        // Over: nothing more happens.
        let again = advance(&g, &t.state, &RunInput::Answer("hello?".into()), &facts(""));
        assert!(again.effects.is_empty());
    }

    #[test]
    fn conditions_read_facts_and_answers() {
        let g = graph();
        let t = advance(&g, &begin(&g), &RunInput::Begin, &facts("vip"));
        let t = advance(
            &g,
            &t.state,
            &RunInput::Answer("ana@example.com".into()),
            &facts("vip"),
        );
        assert_eq!(
            t.effects,
            vec![RunEffect::Handoff {
                team_id: Some(7),
                note: "VIP ana@example.com".into()
            }]
        );
        let path: Vec<_> = t
            .path
            .iter()
            .map(|s| (s.node.as_str(), s.port.as_deref()))
            .collect();
        assert_eq!(
            path,
            vec![
                ("email", Some("next")),
                ("vip", Some("branch:0")),
                ("to_vip", None)
            ]
        );
    }

    #[test]
    fn the_ai_answers_or_hands_over_and_timeouts_take_their_exit() {
        let g = graph();
        let t = advance(&g, &begin(&g), &RunInput::Begin, &facts(""));
        let t = advance(&g, &t.state, &RunInput::Answer("a@b.co".into()), &facts(""));
        let t = advance(&g, &t.state, &RunInput::Answer("other".into()), &facts(""));
        assert_eq!(t.effects, vec![RunEffect::AiAnswer]);
        assert_eq!(t.state.status, RunStatus::WaitingAi);
        let answered = advance(&g, &t.state, &RunInput::AiOutcome(true), &facts(""));
        assert_eq!(answered.state.status, RunStatus::Done);
        let over = advance(&g, &t.state, &RunInput::AiOutcome(false), &facts(""));
        assert_eq!(over.state.status, RunStatus::HandedOff);
        // A customer message while the AI works changes nothing.
        let noise = advance(&g, &t.state, &RunInput::Answer("hi".into()), &facts(""));
        assert_eq!(noise.state, t.state);

        let t = advance(&g, &begin(&g), &RunInput::Begin, &facts(""));
        let late = advance(&g, &t.state, &RunInput::Timeout, &facts(""));
        assert_eq!(
            late.effects,
            vec![RunEffect::Say {
                text: "We will email you.".into()
            }]
        );
        assert_eq!(late.state.status, RunStatus::Done);
    }

    #[test]
    fn waits_and_variables() {
        let g = FlowGraph {
            schema: FLOW_SCHEMA,
            entry: None,
            trigger: None,
            nodes: vec![
                n("start", NodeKind::Start),
                n(
                    "set",
                    NodeKind::SetVariable {
                        variable: "count".into(),
                        value: "3".into(),
                    },
                ),
                n("wait", NodeKind::Wait { minutes: 60 }),
                n(
                    "big",
                    NodeKind::Condition {
                        branches: vec![FlowBranch {
                            subject: "answer.count".into(),
                            op: FlowOp::Above,
                            value: "2".into(),
                        }],
                    },
                ),
                n(
                    "say",
                    NodeKind::SendMessage {
                        text: "{{ count }} is more than 2".into(),
                    },
                ),
                n("end", NodeKind::End),
            ],
            edges: vec![
                e("start", "next", "set"),
                e("set", "next", "wait"),
                e("wait", "next", "big"),
                e("big", "branch:0", "say"),
                e("big", "else", "end"),
                e("say", "next", "end"),
            ],
        };
        assert_eq!(g.problems(), vec![]);
        let t = advance(&g, &begin(&g), &RunInput::Begin, &BTreeMap::new());
        assert_eq!(t.effects, vec![RunEffect::Wait { minutes: 60 }]);
        assert_eq!(t.state.status, RunStatus::WaitingTimer);
        let t = advance(&g, &t.state, &RunInput::TimerDone, &BTreeMap::new());
        assert_eq!(
            t.effects,
            vec![RunEffect::Say {
                text: "3 is more than 2".into()
            }]
        );
        assert_eq!(t.state.status, RunStatus::Done);
    }

    #[test]
    fn answers_and_numbers_are_checked() {
        assert!(looks_like_email("a.b@example.co.uk"));
        for bad in [
            "a@b",
            "@b.com",
            "a b@c.com",
            "a@.com",
            "a@b.com.",
            "a@@b.com",
        ] {
            assert!(!looks_like_email(bad), "{bad}");
        }
        assert_eq!(
            phone_digits("+1 (555) 010-9999").as_deref(),
            Some("+15550109999")
        );
        assert_eq!(phone_digits("12345"), None);
        assert_eq!(phone_digits("call me"), None);
        let c = vec!["Yes".to_owned(), "No".to_owned()];
        assert_eq!(pick(&c, "2"), Some(1));
        assert_eq!(pick(&c, " yes "), Some(0));
        assert_eq!(pick(&c, "3"), None);
        assert_eq!(pick(&c, "maybe"), None);
        assert_eq!(
            fill(
                "{{ answer.a }}-{{b}}-{{ nope }}-{{ customer.x }}{{",
                &BTreeMap::from([("a".into(), "1".into()), ("b".into(), "2".into())]),
                &BTreeMap::from([("customer.x".into(), "X".into())])
            ),
            "1-2--X{{"
        );
    }

    #[test]
    fn workflows_act_on_tickets_and_wait_for_events() {
        use crate::types::flows::WorkflowTrigger;
        use crate::types::rules::RuleEvent;
        let g = FlowGraph {
            schema: FLOW_SCHEMA,
            entry: None,
            trigger: Some(WorkflowTrigger {
                events: vec![RuleEvent::TicketCreated],
                only_if: Vec::new(),
            }),
            nodes: vec![
                n("start", NodeKind::Start),
                n(
                    "tag",
                    NodeKind::TicketAction {
                        action: RuleAction::AddTags {
                            tags: vec!["vip".into()],
                        },
                    },
                ),
                n(
                    "wait",
                    NodeKind::WaitFor {
                        event: WaitEvent::CustomerReplies,
                        timeout_mins: Some(60),
                    },
                ),
                n(
                    "close",
                    NodeKind::TicketAction {
                        action: RuleAction::Close,
                    },
                ),
                n("end", NodeKind::End),
            ],
            edges: vec![
                e("start", "next", "tag"),
                e("tag", "next", "wait"),
                e("wait", "done", "end"),
                e("wait", "timeout", "close"),
                e("close", "next", "end"),
            ],
        };
        assert!(g.problems().is_empty(), "{:?}", g.problems());
        let facts = BTreeMap::new();
        let t = advance(&g, &begin(&g), &RunInput::Begin, &facts);
        assert_eq!(t.state.status, RunStatus::WaitingEvent);
        assert_eq!(
            t.effects,
            vec![
                RunEffect::TicketAction {
                    action: RuleAction::AddTags {
                        tags: vec!["vip".into()]
                    }
                },
                RunEffect::WaitFor {
                    event: WaitEvent::CustomerReplies,
                    timeout_mins: Some(60)
                }
            ]
        );
        // Another event does not move it; the awaited one takes "done".
        let other = advance(
            &g,
            &t.state,
            &RunInput::Event(WaitEvent::TicketSolved),
            &facts,
        );
        assert_eq!(other.state, t.state);
        let done = advance(
            &g,
            &t.state,
            &RunInput::Event(WaitEvent::CustomerReplies),
            &facts,
        );
        assert_eq!(done.state.status, RunStatus::Done);
        assert!(done.effects.is_empty());
        // The timeout takes its exit and closes the ticket.
        let late = advance(&g, &t.state, &RunInput::Timeout, &facts);
        assert_eq!(
            late.effects,
            vec![RunEffect::TicketAction {
                action: RuleAction::Close
            }]
        );
        assert_eq!(late.state.status, RunStatus::Done);
    }
}
