//! Chatbot flows and visual workflows (SPEC C9, C7.5): the graph a builder draws
//! and the engine runs. Wasm-safe, so the canvas checks a graph in the browser
//! with the same code the server runs before it stores one.
//!
//! A graph is nodes (each with a stable id, a position on the canvas and a typed
//! configuration) and edges from a node's **port** to another node. A node's
//! ports follow from its type and configuration: a question with three buttons
//! has a port per button (and `timeout` when it has a timeout), a condition a
//! port per branch and `else`, most others a single `next`.
//!
//! Checking has two levels:
//! - [`FlowGraph::check_structure`]: what every saved draft must satisfy (sizes,
//!   unique ids, one start, edges between existing nodes and ports, one edge per
//!   port, valid variable names). A draft that fails is refused.
//! - [`FlowGraph::problems`]: what must also hold before publishing (every
//!   node reachable from the start, every port connected, required fields filled
//!   in, cycles only through a step that waits). Shown on the canvas per node.

use super::rules::{RuleAction, RuleEvent};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The graph format's version (stored with every saved graph).
pub const FLOW_SCHEMA: u32 = 1;
/// Most nodes in one graph.
pub const MAX_NODES: usize = 300;
/// Most edges in one graph.
pub const MAX_EDGES: usize = 600;
/// Longest text in a node (a message, a prompt).
pub const MAX_TEXT: usize = 2_000;
/// Most choices in a question.
pub const MAX_CHOICES: usize = 12;
/// Most branches in a condition.
pub const MAX_BRANCHES: usize = 10;
/// Longest wait (30 days), in minutes.
pub const MAX_WAIT_MINS: u32 = 30 * 24 * 60;

/// A position on the canvas.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CanvasPoint {
    /// Left, in canvas units.
    pub x: f64,
    /// Top, in canvas units.
    pub y: f64,
}

/// What a question accepts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AskInput {
    /// Any text.
    Text,
    /// One of the buttons (numbered choices on text-only channels).
    Buttons {
        /// The choices, in order.
        choices: Vec<String>,
    },
    /// One of a list.
    Dropdown {
        /// The choices, in order.
        choices: Vec<String>,
    },
    /// An email address (checked).
    Email,
    /// A phone number (checked).
    Phone,
}

impl AskInput {
    /// Whether the answer is one of a set of choices.
    pub fn has_choices(&self) -> bool {
        matches!(self, Self::Buttons { .. } | Self::Dropdown { .. })
    }
}

/// How a condition compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowOp {
    /// Equal (case-insensitive).
    Is,
    /// Not equal.
    IsNot,
    /// Contains (case-insensitive).
    Contains,
    /// Has any value.
    IsSet,
    /// Has no value.
    IsEmpty,
    /// A number above.
    Above,
    /// A number below.
    Below,
    /// One of a comma-separated list (case-insensitive): `hi, hello, hey`.
    OneOf,
}

impl FlowOp {
    /// Whether the comparison needs a value.
    pub fn needs_value(self) -> bool {
        !matches!(self, Self::IsSet | Self::IsEmpty)
    }
}

/// One branch of a condition: `subject op value`. Subjects are variables
/// (`answer.email`), customer attributes (`customer.email`), the time
/// (`time.hour`, `time.weekday`, `time.business_hours`) or the channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowBranch {
    /// What is compared.
    pub subject: String,
    /// How.
    pub op: FlowOp,
    /// With what (ignored by `is_set` and `is_empty`).
    #[serde(default)]
    pub value: String,
}

impl FlowBranch {
    /// The segment a branch tests (subject `segment.<id>`, compared with `yes`
    /// or `no`), if it tests one.
    pub fn segment(&self) -> Option<i32> {
        self.subject.trim().strip_prefix("segment.")?.parse().ok()
    }
}

/// What an action node does (through the same services as automation rules).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FlowAction {
    /// Add a tag to the conversation.
    Tag {
        /// The tag.
        tag: String,
    },
    /// Set a custom field.
    SetField {
        /// Field key.
        key: String,
        /// Value (may quote variables: `{{ answer.order }}`).
        value: String,
    },
    /// Set the priority.
    SetPriority {
        /// `low` … `urgent`.
        priority: String,
    },
    /// Post to one of the workspace's webhook endpoints (signed, retried).
    Webhook {
        /// Endpoint id.
        endpoint_id: i32,
    },
    /// Open a new email ticket for the customer (say, a question left outside
    /// business hours), its first message in the customer's words, in a team's
    /// queue; rules, routing, SLAs and workflows take it from there.
    CreateTicket {
        /// Subject (may quote variables: `Stove: {{ answer.model }}`).
        subject: String,
        /// The first message, in the customer's words (`{{ answer.problem }}`).
        body: String,
        /// The team whose queue it goes to (none: usual routing).
        #[serde(default)]
        team_id: Option<i32>,
        /// `low` … `urgent`.
        #[serde(default = "normal_priority")]
        priority: String,
        /// Said in the chat once it exists; `{{ new_ticket }}` is its reference.
        #[serde(default)]
        reply: String,
    },
}

fn normal_priority() -> String {
    "normal".into()
}

/// What a workflow's "Wait for" step waits for on its ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitEvent {
    /// The customer writes again.
    CustomerReplies,
    /// The ticket is solved or closed.
    TicketSolved,
    /// Someone is assigned.
    TicketAssigned,
    /// Anything on the ticket changes (status, priority, assignee, team, tags,
    /// fields).
    TicketUpdated,
}

impl WaitEvent {
    /// Every event, in menu order.
    pub const ALL: &'static [WaitEvent] = &[
        WaitEvent::CustomerReplies,
        WaitEvent::TicketSolved,
        WaitEvent::TicketAssigned,
        WaitEvent::TicketUpdated,
    ];

    /// Storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CustomerReplies => "customer_replies",
            Self::TicketSolved => "ticket_solved",
            Self::TicketAssigned => "ticket_assigned",
            Self::TicketUpdated => "ticket_updated",
        }
    }

    /// Parses a storage name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|e| e.as_str() == s)
    }

    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            Self::CustomerReplies => "the customer writes",
            Self::TicketSolved => "the ticket is solved or closed",
            Self::TicketAssigned => "someone is assigned",
            Self::TicketUpdated => "the ticket changes",
        }
    }
}

/// What starts a workflow: ticket events, and conditions that must all hold
/// then (the same subjects as a Condition step: `ticket.priority`,
/// `customer.tickets`, `ticket.tags` …).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowTrigger {
    /// The events it runs on.
    #[serde(default)]
    pub events: Vec<RuleEvent>,
    /// Conditions, all of which must hold.
    #[serde(default)]
    pub only_if: Vec<FlowBranch>,
}

/// Who enters a campaign: customers of a segment (stored in the graph, so it
/// is versioned with it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignEntry {
    /// The segment whose customers enter (none: not chosen yet).
    #[serde(default)]
    pub segment_id: Option<i32>,
    /// Whether the customers already in the segment when the campaign is first
    /// published enter too (else only those who join it later).
    #[serde(default)]
    pub existing: bool,
    /// A recipient **converts** when they are in this segment within
    /// [`CONVERSION_DAYS`] of an email (none: conversions are not counted).
    #[serde(default)]
    pub goal_segment_id: Option<i32>,
    /// Customers enter when their browser sends this site event
    /// (`Switchboard('track', name)`), and are in the segment if one is
    /// chosen; none: they enter by joining the segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
}

/// Whether `name` is a site event's name as the widget script's `track`
/// records it: 1 to 64 lower-case letters, digits, spaces, `.`, `_`, `-`.
pub fn is_event_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= 64
        && name.chars().all(|c| {
            (c.is_alphanumeric() && !c.is_uppercase()) || matches!(c, ' ' | '.' | '_' | '-')
        })
        && name.trim() == name
}

/// Days after an email in which reaching the goal counts as its conversion.
pub const CONVERSION_DAYS: i64 = 7;

/// Longest campaign email subject.
pub const MAX_SUBJECT: usize = 200;
/// Longest campaign email body.
pub const MAX_EMAIL_BODY: usize = 20_000;

/// A node's type and configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum NodeKind {
    /// Where a flow begins (exactly one).
    Start,
    /// Send a message.
    SendMessage {
        /// Text (may quote variables).
        text: String,
    },
    /// Ask and wait for the answer, stored in `variable`.
    Ask {
        /// The question.
        prompt: String,
        /// What is accepted.
        input: AskInput,
        /// Where the answer goes (`order`, read as `answer.order`).
        variable: String,
        /// Give up waiting after this many minutes (the `timeout` port).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_mins: Option<u32>,
        /// Buttons or a list that also take a typed answer (the `other` port):
        /// "pick a topic, or type your question".
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        typed: bool,
    },
    /// Branch on conditions, first match wins.
    Condition {
        /// The branches, in order.
        branches: Vec<FlowBranch>,
    },
    /// Set a variable.
    SetVariable {
        /// Name.
        variable: String,
        /// Value (may quote variables).
        value: String,
    },
    /// Change the conversation or call out.
    Action {
        /// What.
        action: FlowAction,
    },
    /// Let the AI agent answer from the knowledge base.
    AiAnswer,
    /// Suggest help-center articles for a query.
    SuggestArticle {
        /// The query (may quote variables).
        query: String,
    },
    /// Hand the conversation to a person (a team, or anyone).
    Handoff {
        /// The team (none: the usual routing).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        team_id: Option<i32>,
        /// A note for the agent.
        #[serde(default)]
        note: String,
    },
    /// Wait before going on (the only way round a loop besides a question or
    /// a Wait for).
    Wait {
        /// Minutes.
        minutes: u32,
    },
    /// Workflows: one of the automation rules' actions on the ticket (assign,
    /// tag, reply, note, notify, escalate, ask for approval …).
    TicketAction {
        /// The action.
        action: RuleAction,
    },
    /// Workflows: wait until something happens on the ticket (the `done`
    /// exit), or give up after a while (the `timeout` exit).
    WaitFor {
        /// What.
        event: WaitEvent,
        /// Give up after this many minutes (none: wait as long as it takes).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_mins: Option<u32>,
    },
    /// Campaigns: email the customer (through the job queue, with an
    /// unsubscribe link, open and click tracking, caps and quiet hours).
    SendEmail {
        /// Subject (may quote `{{ customer.name }}`).
        subject: String,
        /// Body: plain text with blank lines between paragraphs; links are
        /// written as they are (`https://…`) and tracked.
        body: String,
    },
    /// Campaigns: show the customer one of the workspace's targeted messages
    /// in the widget on their next visit to the site (within
    /// [`IN_APP_DAYS`]; the message's page and time rules apply, its audience
    /// is the campaign's).
    SendInApp {
        /// The targeted message.
        message_id: i32,
    },
    /// The end.
    End,
}

/// Days an in-app message from a campaign waits for the customer's visit
/// before it lapses.
pub const IN_APP_DAYS: i64 = 30;

impl NodeKind {
    /// The type's name as stored.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::SendMessage { .. } => "send_message",
            Self::Ask { .. } => "ask",
            Self::Condition { .. } => "condition",
            Self::SetVariable { .. } => "set_variable",
            Self::Action { .. } => "action",
            Self::AiAnswer => "ai_answer",
            Self::SuggestArticle { .. } => "suggest_article",
            Self::Handoff { .. } => "handoff",
            Self::Wait { .. } => "wait",
            Self::TicketAction { .. } => "ticket_action",
            Self::WaitFor { .. } => "wait_for",
            Self::SendEmail { .. } => "send_email",
            Self::SendInApp { .. } => "send_in_app",
            Self::End => "end",
        }
    }

    /// The type's label on the palette.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Start => "Start",
            Self::SendMessage { .. } => "Send message",
            Self::Ask { .. } => "Ask a question",
            Self::Condition { .. } => "Condition",
            Self::SetVariable { .. } => "Set variable",
            Self::Action { .. } => "Action",
            Self::AiAnswer => "AI answer",
            Self::SuggestArticle { .. } => "Suggest articles",
            Self::Handoff { .. } => "Hand off to a person",
            Self::Wait { .. } => "Wait",
            Self::TicketAction { .. } => "Ticket action",
            Self::WaitFor { .. } => "Wait for",
            Self::SendEmail { .. } => "Send email",
            Self::SendInApp { .. } => "In-app message",
            Self::End => "End",
        }
    }

    /// Whether the step type belongs in a flow of this kind (`chatbot`,
    /// `workflow` or `campaign`): questions, AI answers, articles and
    /// hand-offs talk with a customer; ticket actions and waits for ticket
    /// events run on tickets; emails go out in campaigns.
    pub fn fits(&self, kind: &str) -> bool {
        match self {
            Self::SendMessage { .. }
            | Self::Ask { .. }
            | Self::AiAnswer
            | Self::SuggestArticle { .. }
            | Self::Handoff { .. }
            | Self::Action { .. } => kind == "chatbot",
            Self::TicketAction { .. } | Self::WaitFor { .. } => kind == "workflow",
            Self::SendEmail { .. } | Self::SendInApp { .. } => kind == "campaign",
            Self::Start
            | Self::Condition { .. }
            | Self::SetVariable { .. }
            | Self::Wait { .. }
            | Self::End => true,
        }
    }

    /// The node's outgoing ports, in display order.
    pub fn ports(&self) -> Vec<String> {
        match self {
            Self::Start
            | Self::SendMessage { .. }
            | Self::SetVariable { .. }
            | Self::Action { .. }
            | Self::SuggestArticle { .. }
            | Self::TicketAction { .. }
            | Self::SendEmail { .. }
            | Self::SendInApp { .. }
            | Self::Wait { .. } => vec!["next".to_owned()],
            Self::WaitFor { timeout_mins, .. } => {
                let mut p = vec!["done".to_owned()];
                if timeout_mins.is_some() {
                    p.push("timeout".to_owned());
                }
                p
            }
            Self::Ask {
                input,
                timeout_mins,
                typed,
                ..
            } => {
                let mut p: Vec<String> = match input {
                    AskInput::Buttons { choices } | AskInput::Dropdown { choices } => {
                        (0..choices.len()).map(|i| format!("choice:{i}")).collect()
                    }
                    AskInput::Text | AskInput::Email | AskInput::Phone => vec!["next".to_owned()],
                };
                if *typed && input.has_choices() {
                    p.push("other".to_owned());
                }
                if timeout_mins.is_some() {
                    p.push("timeout".to_owned());
                }
                p
            }
            Self::Condition { branches } => (0..branches.len())
                .map(|i| format!("branch:{i}"))
                .chain(std::iter::once("else".to_owned()))
                .collect(),
            Self::AiAnswer => vec!["answered".to_owned(), "handoff".to_owned()],
            Self::Handoff { .. } | Self::End => Vec::new(),
        }
    }

    /// Whether running the node waits (for an answer or a timer), so a loop
    /// through it cannot spin.
    pub fn waits(&self) -> bool {
        matches!(
            self,
            Self::Ask { .. } | Self::Wait { .. } | Self::WaitFor { .. }
        )
    }
}

/// A node on the canvas.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlowNode {
    /// Stable id (letters, digits, `-` and `_`; at most 64).
    pub id: String,
    /// Where it is drawn.
    #[serde(default)]
    pub position: CanvasPoint,
    /// Type and configuration.
    #[serde(flatten)]
    pub kind: NodeKind,
}

/// An edge: from a node's port to a node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowEdge {
    /// Source node id.
    pub source: String,
    /// The source's port.
    pub port: String,
    /// Target node id.
    pub target: String,
}

/// A flow or workflow graph.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlowGraph {
    /// The format's version ([`FLOW_SCHEMA`]).
    pub schema: u32,
    /// Nodes.
    pub nodes: Vec<FlowNode>,
    /// Edges.
    pub edges: Vec<FlowEdge>,
    /// What starts it (workflows only; a chatbot flow starts on a
    /// conversation's first message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<WorkflowTrigger>,
    /// Who enters (campaigns only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<CampaignEntry>,
}

/// Something wrong with a graph, for a person, pinned to a node when there is one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowProblem {
    /// The node at fault.
    pub node: Option<String>,
    /// What is wrong and what to do.
    pub message: String,
}

fn problem(node: Option<&str>, message: impl Into<String>) -> FlowProblem {
    FlowProblem {
        node: node.map(str::to_owned),
        message: message.into(),
    }
}

/// Variable names: a letter, then letters, digits or `_`; at most 40.
pub fn valid_variable(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 40
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl FlowGraph {
    /// The segments its conditions test: (the step, none for the trigger; id).
    pub fn segments_used(&self) -> Vec<(Option<String>, i32)> {
        let mut out: Vec<(Option<String>, i32)> = self
            .trigger
            .iter()
            .flat_map(|t| t.only_if.iter().filter_map(FlowBranch::segment))
            .map(|id| (None, id))
            .collect();
        if let Some(e) = &self.entry {
            out.extend(
                e.segment_id
                    .into_iter()
                    .chain(e.goal_segment_id)
                    .map(|id| (None, id)),
            );
        }
        for n in &self.nodes {
            if let NodeKind::Condition { branches } = &n.kind {
                out.extend(
                    branches
                        .iter()
                        .filter_map(FlowBranch::segment)
                        .map(|id| (Some(n.id.clone()), id)),
                );
            }
        }
        out
    }

    /// Whether a Condition step tests `subject` (`campaign.ordered`): facts
    /// that cost a query are gathered only for graphs that read them.
    pub fn tests_subject(&self, subject: &str) -> bool {
        self.nodes.iter().any(|n| match &n.kind {
            NodeKind::Condition { branches } => {
                branches.iter().any(|b| b.subject.trim() == subject)
            }
            _ => false,
        })
    }

    /// The targeted messages its in-app steps show: (the step, id).
    pub fn messages_used(&self) -> Vec<(String, i32)> {
        self.nodes
            .iter()
            .filter_map(|n| match n.kind {
                NodeKind::SendInApp { message_id } => Some((n.id.clone(), message_id)),
                _ => None,
            })
            .collect()
    }

    /// A new graph: a start node and an end node, connected.
    pub fn starter() -> Self {
        Self {
            schema: FLOW_SCHEMA,
            nodes: vec![
                FlowNode {
                    id: "start".into(),
                    position: CanvasPoint { x: 80.0, y: 120.0 },
                    kind: NodeKind::Start,
                },
                FlowNode {
                    id: "end".into(),
                    position: CanvasPoint { x: 380.0, y: 120.0 },
                    kind: NodeKind::End,
                },
            ],
            edges: vec![FlowEdge {
                source: "start".into(),
                port: "next".into(),
                target: "end".into(),
            }],
            trigger: None,
            entry: None,
        }
    }

    /// A new graph for a flow of this kind (`chatbot`, `workflow` or
    /// `campaign`): a workflow's starts on a new ticket until its builder says
    /// otherwise; a campaign's waits for its segment to be chosen.
    pub fn starter_for(kind: &str) -> Self {
        let mut g = Self::starter();
        if kind == "workflow" {
            g.trigger = Some(WorkflowTrigger {
                events: vec![RuleEvent::TicketCreated],
                only_if: Vec::new(),
            });
        }
        if kind == "campaign" {
            g.entry = Some(CampaignEntry::default());
        }
        g
    }

    /// Whether this is a workflow's graph (it has a trigger).
    pub fn is_workflow(&self) -> bool {
        self.trigger.is_some()
    }

    /// Whether this is a campaign's graph (it has an entry).
    pub fn is_campaign(&self) -> bool {
        self.entry.is_some()
    }

    /// The kind of flow the graph belongs to: `chatbot`, `workflow` or
    /// `campaign`.
    pub fn kind(&self) -> &'static str {
        if self.is_campaign() {
            "campaign"
        } else if self.is_workflow() {
            "workflow"
        } else {
            "chatbot"
        }
    }

    /// The node with this id.
    pub fn node(&self, id: &str) -> Option<&FlowNode> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// The start node.
    pub fn start(&self) -> Option<&FlowNode> {
        self.nodes.iter().find(|n| n.kind == NodeKind::Start)
    }

    /// Where a node's port leads.
    pub fn next(&self, node: &str, port: &str) -> Option<&str> {
        self.edges
            .iter()
            .find(|e| e.source == node && e.port == port)
            .map(|e| e.target.as_str())
    }

    /// What every stored graph satisfies; the first problem found (nothing is
    /// stored while there is one).
    ///
    /// # Errors
    /// The problem, naming the node when there is one.
    pub fn check_structure(&self) -> Result<(), FlowProblem> {
        if self.schema != FLOW_SCHEMA {
            return Err(problem(
                None,
                format!(
                    "This flow was saved in format {}; this server reads format {FLOW_SCHEMA}.",
                    self.schema
                ),
            ));
        }
        if self.nodes.len() > MAX_NODES {
            return Err(problem(
                None,
                format!("A flow can have at most {MAX_NODES} steps."),
            ));
        }
        if self.edges.len() > MAX_EDGES {
            return Err(problem(
                None,
                format!("A flow can have at most {MAX_EDGES} connections."),
            ));
        }
        let mut ids = BTreeSet::new();
        for n in &self.nodes {
            if !valid_id(&n.id) {
                return Err(problem(
                    None,
                    "A step id is 1 to 64 letters, digits, - or _.",
                ));
            }
            if !ids.insert(n.id.as_str()) {
                return Err(problem(
                    Some(&n.id),
                    format!("Two steps share the id “{}”.", n.id),
                ));
            }
            if !(n.position.x.is_finite() && n.position.y.is_finite())
                || n.position.x.abs() > 1e6
                || n.position.y.abs() > 1e6
            {
                return Err(problem(Some(&n.id), "The step is placed off the canvas."));
            }
            Self::check_node(n)?;
            if !n.kind.fits(self.kind()) {
                let belongs = ["chatbot", "workflow", "campaign"]
                    .into_iter()
                    .find(|k| n.kind.fits(k))
                    .map_or("another kind of flow", |k| match k {
                        "chatbot" => "a chatbot flow",
                        "workflow" => "a workflow",
                        _ => "a campaign",
                    });
                return Err(problem(
                    Some(&n.id),
                    match self.kind() {
                        "workflow" => format!(
                            "A workflow runs on tickets and cannot have a “{}” step; that belongs in {belongs}.",
                            n.kind.label()
                        ),
                        "campaign" => format!(
                            "A campaign cannot have a “{}” step; that belongs in {belongs}.",
                            n.kind.label()
                        ),
                        _ => format!(
                            "A chatbot flow cannot have a “{}” step; that belongs in {belongs}.",
                            n.kind.label()
                        ),
                    },
                ));
            }
        }
        if self.trigger.is_some() && self.entry.is_some() {
            return Err(problem(
                None,
                "A flow is a workflow (a trigger) or a campaign (an entry), not both.",
            ));
        }
        if let Some(t) = &self.trigger {
            if t.only_if.len() > MAX_BRANCHES {
                return Err(problem(
                    None,
                    format!("A workflow's start can test at most {MAX_BRANCHES} conditions."),
                ));
            }
            if t.only_if
                .iter()
                .any(|b| b.subject.len() > 80 || b.value.chars().count() > MAX_TEXT)
            {
                return Err(problem(None, "A start condition is too long."));
            }
        }
        let starts = self
            .nodes
            .iter()
            .filter(|n| n.kind == NodeKind::Start)
            .count();
        if starts != 1 {
            return Err(problem(
                None,
                format!("A flow has exactly one Start step (this one has {starts})."),
            ));
        }
        let ports: BTreeMap<&str, Vec<String>> = self
            .nodes
            .iter()
            .map(|n| (n.id.as_str(), n.kind.ports()))
            .collect();
        let mut used = BTreeSet::new();
        for e in &self.edges {
            let Some(p) = ports.get(e.source.as_str()) else {
                return Err(problem(
                    None,
                    format!(
                        "A connection starts at “{}”, which is not a step.",
                        e.source
                    ),
                ));
            };
            if !ids.contains(e.target.as_str()) {
                return Err(problem(
                    Some(&e.source),
                    format!("A connection leads to “{}”, which is not a step.", e.target),
                ));
            }
            if !p.contains(&e.port) {
                return Err(problem(
                    Some(&e.source),
                    format!("This step has no exit “{}”.", e.port),
                ));
            }
            if e.target == e.source {
                return Err(problem(Some(&e.source), "A step cannot lead to itself."));
            }
            if !used.insert((e.source.as_str(), e.port.as_str())) {
                return Err(problem(
                    Some(&e.source),
                    format!("The exit “{}” is connected twice.", e.port),
                ));
            }
        }
        Ok(())
    }

    fn check_node(n: &FlowNode) -> Result<(), FlowProblem> {
        let at = Some(n.id.as_str());
        let long = |s: &str| s.chars().count() > MAX_TEXT;
        match &n.kind {
            NodeKind::SendMessage { text } if long(text) => Err(problem(
                at,
                format!("A message can be at most {MAX_TEXT} characters."),
            )),
            NodeKind::Ask {
                prompt,
                input,
                variable,
                timeout_mins,
                typed,
            } => {
                if *typed && !input.has_choices() {
                    return Err(problem(
                        at,
                        "Only a question with buttons or a list can also take a typed answer.",
                    ));
                }
                if long(prompt) {
                    return Err(problem(
                        at,
                        format!("A question can be at most {MAX_TEXT} characters."),
                    ));
                }
                if !variable.is_empty() && !valid_variable(variable) {
                    return Err(problem(
                        at,
                        format!("“{variable}” is not a variable name: a letter, then letters, digits or _."),
                    ));
                }
                if let AskInput::Buttons { choices } | AskInput::Dropdown { choices } = input {
                    if choices.len() > MAX_CHOICES {
                        return Err(problem(
                            at,
                            format!("A question can offer at most {MAX_CHOICES} choices."),
                        ));
                    }
                    if choices.iter().any(|c| c.chars().count() > 80) {
                        return Err(problem(at, "A choice can be at most 80 characters."));
                    }
                }
                if timeout_mins.is_some_and(|m| m == 0 || m > MAX_WAIT_MINS) {
                    return Err(problem(
                        at,
                        format!("A timeout is 1 to {MAX_WAIT_MINS} minutes."),
                    ));
                }
                Ok(())
            }
            NodeKind::Action {
                action:
                    FlowAction::CreateTicket {
                        subject,
                        body,
                        reply,
                        ..
                    },
            } if subject.chars().count() > 250 || long(body) || long(reply) => Err(problem(
                at,
                format!("A ticket's subject can be at most 250 characters, its message and the reply {MAX_TEXT}."),
            )),
            NodeKind::Condition { branches } if branches.len() > MAX_BRANCHES => Err(problem(
                at,
                format!("A condition can have at most {MAX_BRANCHES} branches."),
            )),
            NodeKind::SetVariable { variable, value } => {
                if !variable.is_empty() && !valid_variable(variable) {
                    return Err(problem(
                        at,
                        format!("“{variable}” is not a variable name: a letter, then letters, digits or _."),
                    ));
                }
                if long(value) {
                    return Err(problem(
                        at,
                        format!("A value can be at most {MAX_TEXT} characters."),
                    ));
                }
                Ok(())
            }
            NodeKind::SuggestArticle { query } if long(query) => Err(problem(
                at,
                format!("A query can be at most {MAX_TEXT} characters."),
            )),
            NodeKind::Handoff { note, .. } if long(note) => Err(problem(
                at,
                format!("A note can be at most {MAX_TEXT} characters."),
            )),
            NodeKind::SendEmail { subject, body }
                if subject.chars().count() > MAX_SUBJECT
                    || body.chars().count() > MAX_EMAIL_BODY =>
            {
                Err(problem(
                    at,
                    format!("An email's subject can be at most {MAX_SUBJECT} characters, its text {MAX_EMAIL_BODY}."),
                ))
            }
            NodeKind::Wait { minutes } if *minutes > MAX_WAIT_MINS => Err(problem(
                at,
                format!("A wait is at most {MAX_WAIT_MINS} minutes (30 days)."),
            )),
            NodeKind::WaitFor {
                timeout_mins: Some(m),
                ..
            } if *m == 0 || *m > MAX_WAIT_MINS => Err(problem(
                at,
                format!("A timeout is 1 to {MAX_WAIT_MINS} minutes."),
            )),
            NodeKind::TicketAction { action } => match action {
                RuleAction::Reply { text }
                | RuleAction::Note { text }
                | RuleAction::Notify { text, .. }
                | RuleAction::Escalate { reason: text }
                    if long(text) =>
                {
                    Err(problem(
                        at,
                        format!("A text can be at most {MAX_TEXT} characters."),
                    ))
                }
                RuleAction::AddTags { tags } | RuleAction::RemoveTags { tags }
                    if tags.len() > 20 =>
                {
                    Err(problem(at, "A step can set at most 20 tags."))
                }
                _ => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// Everything that blocks publishing, one problem per fault (empty: ready).
    /// Includes [`Self::check_structure`]'s problem when there is one.
    pub fn problems(&self) -> Vec<FlowProblem> {
        if let Err(p) = self.check_structure() {
            return vec![p];
        }
        let mut out = Vec::new();
        for n in &self.nodes {
            self.missing_fields(n, &mut out);
            for port in n.kind.ports() {
                if self.next(&n.id, &port).is_none() {
                    out.push(problem(
                        Some(&n.id),
                        format!(
                            "{}: the exit “{}” leads nowhere; connect it.",
                            n.kind.label(),
                            port_label(&n.kind, &port)
                        ),
                    ));
                }
            }
        }
        let reachable = self.reachable();
        for n in &self.nodes {
            if !reachable.contains(n.id.as_str()) {
                out.push(problem(
                    Some(&n.id),
                    format!("{}: no path from Start reaches this step.", n.kind.label()),
                ));
            }
        }
        if let Some(at) = self.loop_without_wait() {
            out.push(problem(
                Some(&at),
                "This step is on a loop with no question or wait in it; the flow would spin. Add a Wait or a question to the loop.",
            ));
        }
        out
    }

    fn missing_fields(&self, n: &FlowNode, out: &mut Vec<FlowProblem>) {
        let at = Some(n.id.as_str());
        let label = n.kind.label();
        let mut need = |ok: bool, what: &str| {
            if !ok {
                out.push(problem(at, format!("{label}: {what}")));
            }
        };
        match &n.kind {
            NodeKind::SendMessage { text } => need(!text.trim().is_empty(), "write the message."),
            NodeKind::Ask {
                prompt,
                input,
                variable,
                ..
            } => {
                need(!prompt.trim().is_empty(), "write the question.");
                need(
                    !variable.is_empty(),
                    "name the variable the answer goes to.",
                );
                if let AskInput::Buttons { choices } | AskInput::Dropdown { choices } = input {
                    need(!choices.is_empty(), "add at least one choice.");
                    need(
                        choices.iter().all(|c| !c.trim().is_empty()),
                        "every choice needs a label.",
                    );
                }
            }
            NodeKind::Condition { branches } => {
                need(!branches.is_empty(), "add at least one branch.");
                for (i, b) in branches.iter().enumerate() {
                    need(
                        !b.subject.trim().is_empty(),
                        &format!("branch {} compares nothing; pick what it compares.", i + 1),
                    );
                    need(
                        !b.op.needs_value() || !b.value.trim().is_empty(),
                        &format!("branch {} needs a value to compare with.", i + 1),
                    );
                    need(
                        !b.subject.trim().starts_with("segment.") || b.segment().is_some(),
                        &format!(
                            "branch {} tests a segment by its number: segment.<id>.",
                            i + 1
                        ),
                    );
                }
            }
            NodeKind::SetVariable { variable, .. } => {
                need(!variable.is_empty(), "name the variable.");
            }
            NodeKind::Action { action } => match action {
                FlowAction::Tag { tag } => need(!tag.trim().is_empty(), "name the tag."),
                FlowAction::SetField { key, .. } => need(!key.trim().is_empty(), "pick the field."),
                FlowAction::SetPriority { priority } => need(
                    matches!(priority.as_str(), "low" | "normal" | "high" | "urgent"),
                    "pick a priority.",
                ),
                FlowAction::Webhook { endpoint_id } => {
                    need(*endpoint_id > 0, "pick a webhook endpoint.")
                }
                FlowAction::CreateTicket {
                    subject,
                    body,
                    priority,
                    ..
                } => {
                    need(!subject.trim().is_empty(), "give the ticket a subject.");
                    need(
                        !body.trim().is_empty(),
                        "say what its first message is (the customer's words: {{ answer.… }}).",
                    );
                    need(
                        matches!(priority.as_str(), "low" | "normal" | "high" | "urgent"),
                        "pick a priority.",
                    );
                }
            },
            NodeKind::SuggestArticle { query } => {
                need(!query.trim().is_empty(), "write what to search for.")
            }
            NodeKind::Wait { minutes } => need(*minutes > 0, "wait at least one minute."),
            NodeKind::SendEmail { subject, body } => {
                need(!subject.trim().is_empty(), "give the email a subject.");
                need(!body.trim().is_empty(), "write the email.");
            }
            NodeKind::SendInApp { message_id } => {
                need(*message_id > 0, "pick the message to show.");
            }
            NodeKind::TicketAction { action } => match action {
                RuleAction::AddTags { tags } | RuleAction::RemoveTags { tags } => need(
                    tags.iter().any(|t| !t.trim().is_empty()),
                    "name at least one tag.",
                ),
                RuleAction::SetField { key, .. } => need(!key.trim().is_empty(), "pick the field."),
                RuleAction::Reply { text }
                | RuleAction::Note { text }
                | RuleAction::Notify { text, .. } => {
                    need(!text.trim().is_empty(), "write the text.");
                }
                RuleAction::Webhook { endpoint_id } => {
                    need(*endpoint_id > 0, "pick a webhook endpoint.");
                }
                RuleAction::StartRule { rule_id } => need(*rule_id > 0, "pick the rule."),
                RuleAction::RequestApproval { tool, .. } => {
                    need(!tool.trim().is_empty(), "pick the tool.");
                }
                RuleAction::Assign { .. }
                | RuleAction::SetTeam { .. }
                | RuleAction::SetStatus { .. }
                | RuleAction::SetPriority { .. }
                | RuleAction::Escalate { .. }
                | RuleAction::Close => {}
            },
            NodeKind::Start => {
                if let Some(e) = &self.entry {
                    match &e.event {
                        None => need(
                            e.segment_id.is_some(),
                            "choose the segment whose customers enter the campaign.",
                        ),
                        Some(ev) => need(
                            is_event_name(ev),
                            "name the site event that starts the campaign: 1 to 64 lower-case letters, digits, spaces, dots, dashes or underscores (such as signed_up).",
                        ),
                    }
                }
                if let Some(t) = &self.trigger {
                    need(
                        !t.events.is_empty(),
                        "choose at least one event that starts the workflow.",
                    );
                    for (i, b) in t.only_if.iter().enumerate() {
                        need(
                            !b.subject.trim().is_empty(),
                            &format!("condition {} tests nothing; pick what it tests.", i + 1),
                        );
                        need(
                            !b.op.needs_value() || !b.value.trim().is_empty(),
                            &format!("condition {} needs a value to compare with.", i + 1),
                        );
                    }
                }
            }
            NodeKind::WaitFor { .. }
            | NodeKind::AiAnswer
            | NodeKind::Handoff { .. }
            | NodeKind::End => {}
        }
    }

    /// Ids of the nodes reachable from the start.
    pub fn reachable(&self) -> BTreeSet<&str> {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<&str> = self.start().map(|n| n.id.as_str()).into_iter().collect();
        while let Some(id) = todo.pop() {
            if seen.insert(id) {
                todo.extend(
                    self.edges
                        .iter()
                        .filter(|e| e.source == id)
                        .map(|e| e.target.as_str()),
                );
            }
        }
        seen
    }

    /// A node on a cycle that passes no waiting step, if there is one.
    fn loop_without_wait(&self) -> Option<String> {
        // Depth-first search over the edges between non-waiting nodes: any
        // cycle found there has no wait on it.
        let waits: BTreeSet<&str> = self
            .nodes
            .iter()
            .filter(|n| n.kind.waits())
            .map(|n| n.id.as_str())
            .collect();
        let mut adj: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for e in &self.edges {
            if !waits.contains(e.source.as_str()) && !waits.contains(e.target.as_str()) {
                adj.entry(e.source.as_str())
                    .or_default()
                    .push(e.target.as_str());
            }
        }
        // 0: unvisited, 1: on the stack, 2: done.
        let mut state: BTreeMap<&str, u8> = BTreeMap::new();
        for n in &self.nodes {
            let root = n.id.as_str();
            if state.get(root).copied().unwrap_or(0) != 0 {
                continue;
            }
            let mut stack: Vec<(&str, usize)> = vec![(root, 0)];
            state.insert(root, 1);
            while let Some((id, i)) = stack.pop() {
                let next = adj.get(id).and_then(|v| v.get(i)).copied();
                match next {
                    Some(t) => {
                        stack.push((id, i + 1));
                        match state.get(t).copied().unwrap_or(0) {
                            1 => return Some(t.to_owned()),
                            0 => {
                                state.insert(t, 1);
                                stack.push((t, 0));
                            }
                            _ => {}
                        }
                    }
                    None => {
                        state.insert(id, 2);
                    }
                }
            }
        }
        None
    }
}

/// A port's name for people ("Yes" for the first button of a question).
pub fn port_label(kind: &NodeKind, port: &str) -> String {
    let index = |p: &str| p.split_once(':').and_then(|(_, i)| i.parse::<usize>().ok());
    match kind {
        NodeKind::Ask {
            input: AskInput::Buttons { choices } | AskInput::Dropdown { choices },
            ..
        } if port.starts_with("choice:") => index(port)
            .and_then(|i| choices.get(i))
            .cloned()
            .unwrap_or_else(|| port.to_owned()),
        NodeKind::Ask { .. } if port == "other" => "typed answer".to_owned(),
        NodeKind::WaitFor { .. } if port == "done" => "it happened".to_owned(),
        NodeKind::Condition { .. } if port.starts_with("branch:") => {
            index(port).map_or_else(|| port.to_owned(), |i| format!("branch {}", i + 1))
        }
        _ => port.to_owned(),
    }
}

/// What a flow is for.
pub const FLOW_KINDS: &[(&str, &str)] = &[
    ("chatbot", "Chatbot (talks with customers)"),
    (
        "workflow",
        "Workflow (steps, waits and branches on tickets)",
    ),
    (
        "campaign",
        "Campaign (emails to a segment's customers over days)",
    ),
];

/// A flow as listed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlowSummary {
    /// Id.
    pub id: i32,
    /// Name (unique in the workspace).
    pub name: String,
    /// `chatbot` or `workflow`.
    pub kind: String,
    /// Channels it runs on.
    pub channels: Vec<String>,
    /// Whether it runs.
    pub enabled: bool,
    /// The version that runs (none: never published).
    pub published_version: Option<i32>,
    /// Problems that block publishing the draft.
    pub problems: usize,
    /// Whether the draft differs from the published version.
    pub unpublished_changes: bool,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

/// A published version as listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowVersionView {
    /// 1, 2, 3 …
    pub version: i32,
    /// "Published", "Rolled back to version 2".
    pub note: String,
    /// Who published it.
    pub by: Option<String>,
    /// When (RFC 3339).
    pub at: String,
}

/// One flow with its draft, its problems and its versions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlowDetail {
    /// The flow.
    pub summary: FlowSummary,
    /// The draft graph.
    pub draft: FlowGraph,
    /// What blocks publishing it.
    pub problems: Vec<FlowProblem>,
    /// Published versions, newest first.
    pub versions: Vec<FlowVersionView>,
}

/// A flow's name, kind, channels and switch.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowSettingsForm {
    /// None: a new flow (its draft starts as Start → End).
    pub id: Option<i32>,
    /// Name.
    pub name: String,
    /// `chatbot` or `workflow`.
    pub kind: String,
    /// Channels it runs on.
    pub channels: Vec<String>,
    /// Whether it runs (once published).
    pub enabled: bool,
}

/// What the flow editor offers in its pickers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowEditorOptions {
    /// Members (id, name), for a ticket action's assignee or notification.
    #[serde(default)]
    pub members: Vec<(i32, String)>,
    /// Custom fields (key, label), for a ticket action's "set field".
    #[serde(default)]
    pub fields: Vec<(String, String)>,
    /// Rules (id, name), for a ticket action's "start rule".
    #[serde(default)]
    pub rules: Vec<(i32, String)>,
    /// Tools (name, label), for a ticket action's "ask for approval".
    #[serde(default)]
    pub tools: Vec<(String, String)>,
    /// Teams a hand-off can go to (id, name).
    pub teams: Vec<(i32, String)>,
    /// Webhook endpoints an action can call (id, description or URL).
    pub endpoints: Vec<(i32, String)>,
    /// Customer segments a condition can test (id, name).
    #[serde(default)]
    pub segments: Vec<(i32, String)>,
    /// Targeted messages an in-app step can show (id, name).
    #[serde(default)]
    pub messages: Vec<(i32, String)>,
}

/// How runs went through one step.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowNodeStats {
    /// The step's id.
    pub node: String,
    /// The step's type label ("Ask a question").
    pub label: String,
    /// Runs that reached it.
    pub entries: u64,
    /// Runs that left it, by exit (`choice:0` → 12).
    pub exits: BTreeMap<String, u64>,
    /// Runs waiting here now, for less than [`FLOW_DROP_OFF_HOURS`].
    pub waiting: u64,
    /// Runs that stopped here: waiting longer than [`FLOW_DROP_OFF_HOURS`].
    pub dropped: u64,
}

/// Hours a run may wait at a step before it counts as dropped off there.
pub const FLOW_DROP_OFF_HOURS: i64 = 24;

/// How a flow's runs went, overall and per step.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowStats {
    /// The version counted (none: every version).
    pub version: Option<i32>,
    /// Runs started.
    pub entries: u64,
    /// Runs that reached an end.
    pub completions: u64,
    /// Runs handed to a person.
    pub handoffs: u64,
    /// Completed runs whose conversation is solved or closed (resolved by the flow).
    pub resolutions: u64,
    /// Runs still going.
    pub active: u64,
    /// Runs that stopped waiting for an answer (see [`FlowNodeStats::dropped`]).
    pub dropped: u64,
    /// Per step, in the graph's order.
    pub nodes: Vec<FlowNodeStats>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn node(id: &str, kind: NodeKind) -> FlowNode {
        FlowNode {
            id: id.into(),
            position: CanvasPoint::default(),
            kind,
        }
    }

    fn edge(s: &str, p: &str, t: &str) -> FlowEdge {
        FlowEdge {
            source: s.into(),
            port: p.into(),
            target: t.into(),
        }
    }

    /// Start → ask (Yes / No) → Yes: hand off, No: thanks → end.
    fn sample() -> FlowGraph {
        FlowGraph {
            schema: FLOW_SCHEMA,
            entry: None,
            trigger: None,
            nodes: vec![
                node("start", NodeKind::Start),
                node(
                    "ask",
                    NodeKind::Ask {
                        prompt: "Talk to a person?".into(),
                        input: AskInput::Buttons {
                            choices: vec!["Yes".into(), "No".into()],
                        },
                        variable: "person".into(),
                        timeout_mins: None,
                        typed: false,
                    },
                ),
                node(
                    "handoff",
                    NodeKind::Handoff {
                        team_id: None,
                        note: String::new(),
                    },
                ),
                node(
                    "thanks",
                    NodeKind::SendMessage {
                        text: "Thanks!".into(),
                    },
                ),
                node("end", NodeKind::End),
            ],
            edges: vec![
                edge("start", "next", "ask"),
                edge("ask", "choice:0", "handoff"),
                edge("ask", "choice:1", "thanks"),
                edge("thanks", "next", "end"),
            ],
        }
    }

    #[test]
    fn a_complete_flow_has_no_problems() {
        assert_eq!(sample().problems(), vec![]);
        assert_eq!(FlowGraph::starter().problems(), vec![]);
    }

    #[test]
    fn the_json_form_round_trips() {
        let g = sample();
        let json = serde_json::to_string(&g).unwrap();
        assert!(json.contains(r#""type":"ask""#), "{json}");
        let back: FlowGraph = serde_json::from_str(&json).unwrap();
        assert_eq!(back, g);
    }

    #[test]
    fn structure_errors_name_the_step() {
        let mut g = sample();
        g.edges.push(edge("ask", "choice:7", "end"));
        let e = g.check_structure().unwrap_err();
        assert_eq!(e.node.as_deref(), Some("ask"));
        assert!(e.message.contains("choice:7"), "{e:?}");

        let mut g = sample();
        g.edges.push(edge("thanks", "next", "handoff"));
        assert!(g.check_structure().unwrap_err().message.contains("twice"));

        let mut g = sample();
        g.nodes.push(node("start2", NodeKind::Start));
        assert!(g
            .check_structure()
            .unwrap_err()
            .message
            .contains("exactly one Start"));

        let mut g = sample();
        g.edges.push(edge("end", "next", "nowhere"));
        assert!(g.check_structure().is_err());

        let mut g = sample();
        g.nodes[1].id = "thanks".into();
        assert!(g
            .check_structure()
            .unwrap_err()
            .message
            .contains("share the id"));
    }

    #[test]
    fn publishing_needs_every_exit_connected_and_every_step_reachable() {
        let mut g = sample();
        g.edges.retain(|e| e.port != "choice:1");
        let p = g.problems();
        assert!(
            p.iter()
                .any(|p| p.node.as_deref() == Some("ask")
                    && p.message.contains("“No” leads nowhere")),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|p| p.node.as_deref() == Some("thanks")
                    && p.message.contains("no path from Start")),
            "{p:?}"
        );
    }

    #[test]
    fn missing_fields_are_reported_per_step() {
        let mut g = sample();
        g.nodes[3].kind = NodeKind::SendMessage { text: " ".into() };
        let p = g.problems();
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].node.as_deref(), Some("thanks"));
        assert!(p[0].message.contains("write the message"));
    }

    #[test]
    fn loops_need_a_wait() {
        let mut g = sample();
        // thanks → a message that goes back to thanks: a spin.
        g.nodes.push(node(
            "again",
            NodeKind::SendMessage {
                text: "Again".into(),
            },
        ));
        g.edges.retain(|e| e.source != "thanks");
        g.edges.push(edge("thanks", "next", "again"));
        g.edges.push(edge("again", "next", "thanks"));
        g.nodes.retain(|n| n.id != "end");
        let p = g.problems();
        assert!(p.iter().any(|p| p.message.contains("spin")), "{p:?}");
        // Through a question it is a menu, not a spin.
        let mut g = sample();
        g.edges.retain(|e| e.source != "thanks");
        g.edges.push(edge("thanks", "next", "ask"));
        g.nodes.retain(|n| n.id != "end");
        assert_eq!(g.problems(), vec![]);
    }

    /// A bounded fuzz of the checker: random graphs and random mutations of a
    /// valid one never make it panic, and whatever passes the structure check
    /// only has edges between existing steps and exits.
    #[test]
    fn the_checker_survives_random_graphs() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(0xf10e);
        let kinds = |rng: &mut rand::rngs::StdRng| -> NodeKind {
            match rng.gen_range(0..15) {
                0 => NodeKind::Start,
                13 => NodeKind::SendInApp {
                    message_id: rng.gen_range(-1..3),
                },
                12 => NodeKind::SendEmail {
                    subject: "s".repeat(rng.gen_range(0..250)),
                    body: "b".repeat(rng.gen_range(0..3)),
                },
                1 => NodeKind::SendMessage {
                    text: "x".repeat(rng.gen_range(0..3000)),
                },
                2 => NodeKind::Ask {
                    prompt: "q".into(),
                    input: if rng.gen_bool(0.5) {
                        AskInput::Buttons {
                            choices: (0..rng.gen_range(0..15)).map(|i| i.to_string()).collect(),
                        }
                    } else {
                        AskInput::Email
                    },
                    variable: ["", "ok", "9bad", "a_b"][rng.gen_range(0..4)].into(),
                    timeout_mins: rng.gen_bool(0.3).then(|| rng.gen_range(0..100_000)),
                    typed: false,
                },
                3 => NodeKind::Condition {
                    branches: (0..rng.gen_range(0..12))
                        .map(|_| FlowBranch {
                            subject: "answer.x".into(),
                            op: FlowOp::Is,
                            value: String::new(),
                        })
                        .collect(),
                },
                4 => NodeKind::SetVariable {
                    variable: "v".into(),
                    value: "1".into(),
                },
                5 if rng.gen_bool(0.5) => NodeKind::Action {
                    action: FlowAction::Tag { tag: String::new() },
                },
                5 => NodeKind::Action {
                    action: FlowAction::CreateTicket {
                        subject: "s".repeat(rng.gen_range(0..300)),
                        body: String::new(),
                        team_id: None,
                        priority: "normal".into(),
                        reply: "{{ new_ticket }}".into(),
                    },
                },
                6 => NodeKind::AiAnswer,
                7 => NodeKind::Handoff {
                    team_id: None,
                    note: String::new(),
                },
                8 => NodeKind::Wait {
                    minutes: rng.gen_range(0..50_000),
                },
                9 => NodeKind::SuggestArticle { query: "q".into() },
                10 => NodeKind::TicketAction {
                    action: RuleAction::AddTags {
                        tags: (0..rng.gen_range(0..25)).map(|i| i.to_string()).collect(),
                    },
                },
                11 => NodeKind::WaitFor {
                    event: WaitEvent::ALL[rng.gen_range(0..WaitEvent::ALL.len())],
                    timeout_mins: rng.gen_bool(0.5).then(|| rng.gen_range(0..100_000)),
                },
                _ => NodeKind::End,
            }
        };
        for round in 0..3_000 {
            let mut g = if round % 2 == 0 {
                sample()
            } else {
                FlowGraph {
                    schema: FLOW_SCHEMA,
                    // Every fourth a workflow, every eighth (of the rest) a campaign.
                    entry: (round % 8 == 1).then(|| CampaignEntry {
                        segment_id: rng.gen_bool(0.5).then_some(1),
                        existing: rng.gen_bool(0.5),
                        goal_segment_id: None,
                        event: None,
                    }),
                    trigger: (round % 4 == 3).then(WorkflowTrigger::default),
                    nodes: vec![],
                    edges: vec![],
                }
            };
            for _ in 0..rng.gen_range(0..12) {
                let n = g.nodes.len();
                match rng.gen_range(0..5) {
                    0 => g
                        .nodes
                        .push(node(&format!("n{}", rng.gen_range(0..20)), kinds(&mut rng))),
                    1 if n > 0 => {
                        g.nodes.remove(rng.gen_range(0..n));
                    }
                    2 if n > 0 => {
                        let s = g.nodes[rng.gen_range(0..n)].id.clone();
                        let t = g.nodes[rng.gen_range(0..n)].id.clone();
                        let port = [
                            "next", "choice:0", "choice:3", "else", "branch:0", "timeout",
                            "answered", "done",
                        ][rng.gen_range(0..8)];
                        g.edges.push(edge(&s, port, &t));
                    }
                    3 if !g.edges.is_empty() => {
                        g.edges.remove(rng.gen_range(0..g.edges.len()));
                    }
                    _ => {
                        if let Some(x) = g.nodes.first_mut() {
                            x.position = CanvasPoint {
                                x: f64::from(rng.gen_range(-2_000_000..2_000_000)),
                                y: 0.0,
                            };
                        }
                    }
                }
            }
            let problems = g.problems();
            if g.check_structure().is_ok() {
                for e in &g.edges {
                    let s = g.node(&e.source).unwrap();
                    assert!(s.kind.ports().contains(&e.port));
                    assert!(g.node(&e.target).is_some());
                }
                if problems.is_empty() {
                    assert_eq!(g.reachable().len(), g.nodes.len());
                    for n in &g.nodes {
                        for port in n.kind.ports() {
                            assert!(g.next(&n.id, &port).is_some());
                        }
                    }
                }
            } else {
                assert_eq!(problems.len(), 1);
            }
        }
    }

    #[test]
    fn campaigns_keep_their_own_steps_and_need_a_segment() {
        let mut c = FlowGraph::starter_for("campaign");
        assert_eq!(c.kind(), "campaign");
        // No segment chosen: a problem on the Start step.
        let p = c.problems();
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].node.as_deref(), Some("start"));
        c.entry = Some(CampaignEntry {
            segment_id: Some(4),
            existing: false,
            goal_segment_id: Some(5),
            event: None,
        });
        assert!(c.problems().is_empty());
        assert_eq!(c.segments_used(), vec![(None, 4), (None, 5)]);
        // An email without its words is a problem; a chat step is refused.
        c.nodes.push(node(
            "mail",
            NodeKind::SendEmail {
                subject: String::new(),
                body: "Hi".into(),
            },
        ));
        assert!(c
            .problems()
            .iter()
            .any(|p| p.message.contains("give the email a subject")));
        c.nodes.push(node("chat", NodeKind::AiAnswer));
        let err = c.check_structure().unwrap_err();
        assert!(err.message.contains("A campaign cannot have"), "{err:?}");
        assert!(err.message.contains("a chatbot flow"), "{err:?}");
        // An email step does not belong in a chatbot flow either.
        let mut chat = FlowGraph::starter_for("chatbot");
        chat.nodes.push(node(
            "mail",
            NodeKind::SendEmail {
                subject: "s".into(),
                body: "b".into(),
            },
        ));
        let err = chat.check_structure().unwrap_err();
        assert!(err.message.contains("belongs in a campaign"), "{err:?}");
        // A graph with both a trigger and an entry is refused.
        let mut both = FlowGraph::starter_for("campaign");
        both.trigger = Some(WorkflowTrigger::default());
        assert!(both.check_structure().is_err());
    }

    #[test]
    fn workflows_and_chatbots_keep_their_own_steps() {
        let mut wf = FlowGraph::starter_for("workflow");
        assert!(wf.is_workflow() && !FlowGraph::starter_for("chatbot").is_workflow());
        assert!(wf.problems().is_empty(), "{:?}", wf.problems());
        // No event: a problem on the Start step.
        wf.trigger = Some(WorkflowTrigger::default());
        let p = wf.problems();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].node.as_deref(), Some("start"));
        // A question in a workflow, a ticket action in a chatbot: refused.
        let mut asks = FlowGraph::starter_for("workflow");
        asks.nodes.push(FlowNode {
            id: "q".into(),
            position: CanvasPoint::default(),
            kind: NodeKind::AiAnswer,
        });
        let err = asks.check_structure().unwrap_err();
        assert_eq!(err.node.as_deref(), Some("q"));
        let mut acts = FlowGraph::starter();
        acts.nodes.push(FlowNode {
            id: "t".into(),
            position: CanvasPoint::default(),
            kind: NodeKind::TicketAction {
                action: RuleAction::AddTags { tags: Vec::new() },
            },
        });
        assert!(acts
            .check_structure()
            .unwrap_err()
            .message
            .contains("belongs in a workflow"));
        // A Wait for has a timeout exit only with a timeout, and it waits (a
        // loop through it is allowed).
        let w = NodeKind::WaitFor {
            event: WaitEvent::TicketSolved,
            timeout_mins: None,
        };
        assert_eq!(w.ports(), vec!["done".to_owned()]);
        assert!(w.waits() && w.fits("workflow") && !w.fits("chatbot"));
        // An empty tag list is a missing field.
        let mut tags = FlowGraph::starter_for("workflow");
        tags.nodes.push(FlowNode {
            id: "t".into(),
            position: CanvasPoint::default(),
            kind: NodeKind::TicketAction {
                action: RuleAction::AddTags { tags: Vec::new() },
            },
        });
        tags.edges = vec![
            FlowEdge {
                source: "start".into(),
                port: "next".into(),
                target: "t".into(),
            },
            FlowEdge {
                source: "t".into(),
                port: "next".into(),
                target: "end".into(),
            },
        ];
        let p = tags.problems();
        assert!(
            p.iter()
                .any(|x| x.message.contains("name at least one tag")),
            "{p:?}"
        );
    }
}
