//! View types and forms of procedures (SPEC C6.5): the steps an admin builds (or a
//! provider compiles from their words), the facts a step can test, and the
//! preview's trace. Wasm-safe; never entity rows.

use super::ToolView;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One step of a procedure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProcStep {
    /// Use a registry tool on the ticket (proposed under the workspace's AI
    /// policies, like any AI action). Text values of `input` may hold `{{fact}}`.
    Tool {
        /// Tool name.
        tool: String,
        /// Its input: a JSON object.
        #[serde(default = "empty_object")]
        input: Value,
        /// What the customer is told once it ran (may be empty).
        #[serde(default)]
        note: String,
    },
    /// Branch on a fact.
    If {
        /// A fact name (see [`PROC_FACTS`]).
        fact: String,
        /// How it is compared.
        op: ProcOp,
        /// Compared with this (ignored by `is_empty` / `is_set`).
        #[serde(default)]
        value: String,
        /// Steps when it holds.
        #[serde(default)]
        then: Vec<ProcStep>,
        /// Steps when it does not.
        #[serde(default)]
        otherwise: Vec<ProcStep>,
    },
    /// Tell the customer something (may hold `{{fact}}`).
    Reply {
        /// The text.
        text: String,
    },
    /// Hand the ticket to a person and stop.
    Escalate {
        /// Why (shown to the team).
        reason: String,
    },
    /// End the procedure here.
    Stop,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

impl ProcStep {
    /// Storage and editor name of the step's kind.
    pub fn kind(&self) -> &'static str {
        match self {
            ProcStep::Tool { .. } => "tool",
            ProcStep::If { .. } => "if",
            ProcStep::Reply { .. } => "reply",
            ProcStep::Escalate { .. } => "escalate",
            ProcStep::Stop => "stop",
        }
    }

    /// Human name of a kind.
    pub fn kind_label(kind: &str) -> &'static str {
        match kind {
            "tool" => "Use a tool",
            "if" => "If …",
            "reply" => "Reply to the customer",
            "escalate" => "Hand to a person",
            _ => "Stop",
        }
    }

    /// A new step of a kind, with empty fields.
    pub fn blank(kind: &str) -> ProcStep {
        match kind {
            "tool" => ProcStep::Tool {
                tool: String::new(),
                input: empty_object(),
                note: String::new(),
            },
            "if" => ProcStep::If {
                fact: "message.text".into(),
                op: ProcOp::Contains,
                value: String::new(),
                then: Vec::new(),
                otherwise: Vec::new(),
            },
            "reply" => ProcStep::Reply {
                text: String::new(),
            },
            "escalate" => ProcStep::Escalate {
                reason: String::new(),
            },
            _ => ProcStep::Stop,
        }
    }

    /// Every kind, in the editor's order.
    pub const KINDS: [&'static str; 5] = ["tool", "if", "reply", "escalate", "stop"];
}

/// How an `If` step compares a fact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcOp {
    /// Equal (ignoring case); for a list: it has exactly this one item.
    Is,
    /// Not equal.
    IsNot,
    /// Text contains the words (ignoring case); a list has the item.
    Contains,
    /// The opposite of `contains`.
    Lacks,
    /// Empty text, empty list or zero.
    IsEmpty,
    /// Not empty.
    IsSet,
    /// A number above the value.
    Above,
    /// A number below the value.
    Below,
}

impl ProcOp {
    /// Every operator.
    pub const ALL: [ProcOp; 8] = [
        ProcOp::Is,
        ProcOp::IsNot,
        ProcOp::Contains,
        ProcOp::Lacks,
        ProcOp::IsEmpty,
        ProcOp::IsSet,
        ProcOp::Above,
        ProcOp::Below,
    ];
    /// Storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProcOp::Is => "is",
            ProcOp::IsNot => "is_not",
            ProcOp::Contains => "contains",
            ProcOp::Lacks => "lacks",
            ProcOp::IsEmpty => "is_empty",
            ProcOp::IsSet => "is_set",
            ProcOp::Above => "above",
            ProcOp::Below => "below",
        }
    }
    /// Parses a storage name.
    pub fn parse(s: &str) -> Option<ProcOp> {
        ProcOp::ALL.into_iter().find(|o| o.as_str() == s)
    }
    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            ProcOp::Is => "is",
            ProcOp::IsNot => "is not",
            ProcOp::Contains => "contains",
            ProcOp::Lacks => "does not contain",
            ProcOp::IsEmpty => "is empty",
            ProcOp::IsSet => "is set",
            ProcOp::Above => "is above",
            ProcOp::Below => "is below",
        }
    }
    /// Whether it compares with a value.
    pub fn takes_value(self) -> bool {
        !matches!(self, ProcOp::IsEmpty | ProcOp::IsSet)
    }
}

/// The facts a step can test or quote, with their labels: (name, label).
pub const PROC_FACTS: &[(&str, &str)] = &[
    ("message.text", "The customer's message"),
    ("ticket.number", "Ticket number"),
    ("ticket.subject", "Ticket subject"),
    ("ticket.status", "Ticket status"),
    ("ticket.priority", "Ticket priority"),
    ("ticket.channel", "Ticket channel"),
    ("ticket.tags", "Ticket tags"),
    ("ticket.assigned", "Ticket has an assignee (yes/no)"),
    ("customer.name", "Customer name"),
    ("customer.email", "Customer email"),
    ("customer.company", "Customer company"),
    ("customer.tickets", "Customer's tickets, all time"),
    ("customer.open_tickets", "Customer's other open tickets"),
    (
        "last.status",
        "Outcome of the previous tool step (allowed, pending, denied, failed)",
    ),
];

/// A procedure as shown in the admin app.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProcedureView {
    /// Id.
    pub id: i32,
    /// Name.
    pub name: String,
    /// The admin's words.
    pub instructions: String,
    /// Trigger phrases.
    pub triggers: Vec<String>,
    /// The steps.
    pub steps: Vec<ProcStep>,
    /// Followed by the agent.
    pub enabled: bool,
    /// The provider that compiled it, if one did.
    pub compiled_with: Option<String>,
    /// How often the agent followed it.
    pub runs: i32,
    /// When last followed (RFC 3339).
    pub last_run_at: Option<String>,
    /// Who changed it last.
    pub updated_by: String,
    /// When (RFC 3339).
    pub updated_at: String,
}

/// The procedures page: every procedure, and what the editor offers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProceduresPage {
    /// Procedures, by name.
    pub procedures: Vec<ProcedureView>,
    /// The tools a step can use.
    pub tools: Vec<ToolView>,
    /// The configured provider's name, when one can compile.
    pub provider: Option<String>,
}

/// A procedure as saved (or previewed) from the editor.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcedureForm {
    /// Id when editing.
    pub id: Option<i32>,
    /// Name.
    pub name: String,
    /// The admin's words.
    pub instructions: String,
    /// Trigger phrases, one per line.
    pub triggers: String,
    /// The steps.
    pub steps: Vec<ProcStep>,
    /// Followed by the agent.
    pub enabled: bool,
    /// The provider whose compiled steps these are (kept while unchanged).
    pub compiled_with: Option<String>,
}

/// What a provider made of the admin's words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompiledProcedure {
    /// Trigger phrases, one per line.
    pub triggers: String,
    /// The steps.
    pub steps: Vec<ProcStep>,
    /// The provider.
    pub provider: String,
    /// What does not check out yet (fix it in the editor), if anything.
    pub problem: Option<String>,
}

/// One line of a preview's trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProcTraceLine {
    /// Step number ("2", "2.1" for the first step inside step 2's branch).
    pub path: String,
    /// Nesting depth.
    pub depth: u8,
    /// The step's kind.
    pub kind: String,
    /// What the step is.
    pub text: String,
    /// What happened (decision, branch taken, policy outcome).
    pub outcome: String,
    /// `ok`, `wait` (approval), `stop` (denied, escalated, failed) or `info`.
    pub tone: String,
}

/// A preview: did the sample match, the facts read, and each step's outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProcPreview {
    /// The trigger phrase the sample message matched, if any.
    pub matched: Option<String>,
    /// The sample ticket ("#1042 · Where is my order?"), when one was used.
    pub ticket: Option<String>,
    /// Facts read: (name, value).
    pub facts: Vec<(String, String)>,
    /// Each step visited.
    pub trace: Vec<ProcTraceLine>,
    /// What the customer would be told.
    pub reply: Option<String>,
    /// How it ends, in words.
    pub result: String,
}
