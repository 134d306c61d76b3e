//! View types and forms of the AI agent's actions: the tool registry as shown to
//! people, action records, policies and their tester, replays, and tasks.
//! Wasm-safe; never entity rows.

use serde::{Deserialize, Serialize};

/// How much harm a tool can do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    /// Reversible and internal (tags, tasks, summaries).
    Low,
    /// Visible to the customer or hard to undo (replies, closing).
    Medium,
    /// Money or data leaving the workspace (expenses, webhooks).
    High,
}

impl Risk {
    /// Every level, lowest first.
    pub const ALL: [Risk; 3] = [Risk::Low, Risk::Medium, Risk::High];
    /// Storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
        }
    }
    /// Parses a storage name.
    pub fn parse(s: &str) -> Option<Risk> {
        Risk::ALL.into_iter().find(|r| r.as_str() == s)
    }
    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            Risk::Low => "Low risk",
            Risk::Medium => "Medium risk",
            Risk::High => "High risk",
        }
    }
}

/// What a policy does with a matching action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Runs at once.
    Allow,
    /// Never runs.
    Deny,
    /// Waits for a person to approve it.
    Approval,
}

impl Effect {
    /// Every effect.
    pub const ALL: [Effect; 3] = [Effect::Allow, Effect::Approval, Effect::Deny];
    /// Storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "allow",
            Effect::Deny => "deny",
            Effect::Approval => "approval",
        }
    }
    /// Parses a storage name.
    pub fn parse(s: &str) -> Option<Effect> {
        Effect::ALL.into_iter().find(|r| r.as_str() == s)
    }
    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
            Effect::Approval => "Require approval",
        }
    }
}

/// Action statuses.
pub mod action_status {
    /// Recorded, not yet decided.
    pub const PROPOSED: &str = "proposed";
    /// Waiting for an approver.
    pub const PENDING: &str = "pending";
    /// Allowed or approved; queued or executing.
    pub const RUNNING: &str = "running";
    /// Ran.
    pub const COMPLETED: &str = "completed";
    /// Ran and failed, timed out, or was blocked at execution.
    pub const FAILED: &str = "failed";
    /// An approver said no.
    pub const REJECTED: &str = "rejected";
    /// A policy said no.
    pub const DENIED: &str = "denied";
    /// Every status.
    pub const ALL: &[&str] = &[
        PROPOSED, PENDING, RUNNING, COMPLETED, FAILED, REJECTED, DENIED,
    ];
}

/// One input field of a tool, for forms and documentation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolField {
    /// Field name.
    pub name: String,
    /// JSON type (`string`, `integer`, `number`, `boolean`, `array`).
    pub kind: String,
    /// Must be given.
    pub required: bool,
    /// What it means.
    pub description: String,
    /// Allowed values, when limited.
    pub choices: Vec<String>,
}

/// A tool of the registry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolView {
    /// Stable name (`close_ticket`).
    pub name: String,
    /// Human label.
    pub label: String,
    /// What it does.
    pub description: String,
    /// Risk level.
    pub risk: Risk,
    /// Works on a conversation.
    pub needs_conversation: bool,
    /// Its JSON input schema.
    pub schema: String,
    /// The schema's fields.
    pub fields: Vec<ToolField>,
}

/// An action record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionView {
    /// Id.
    pub id: i32,
    /// Tool name.
    pub tool: String,
    /// Tool label.
    pub tool_label: String,
    /// Canonical input, pretty-printed.
    pub input: String,
    /// Risk.
    pub risk: Risk,
    /// Money involved, minor units.
    pub amount: i64,
    /// The conversation's number, when on one.
    pub conversation_number: Option<i32>,
    /// Who proposed it.
    pub proposed_by: String,
    /// `ai`, `member`, `rule` or `mcp`.
    pub proposed_by_kind: String,
    /// Why.
    pub reasoning: Option<String>,
    /// Lifecycle status.
    pub status: String,
    /// The policy decision.
    pub decision: Effect,
    /// Which rule decided, in words.
    pub decision_reason: String,
    /// Who approved or rejected.
    pub approver: Option<String>,
    /// Their comment.
    pub approval_comment: Option<String>,
    /// When decided by a person.
    pub decided_at: Option<String>,
    /// What it would do, in words.
    pub summary: String,
    /// Result (JSON), when it ran.
    pub output: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// Proposed at.
    pub created_at: String,
    /// Finished at.
    pub finished_at: Option<String>,
}

/// A proposal made by a member (from the conversation, or the tools page).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProposalForm {
    /// Tool name.
    pub tool: String,
    /// Input as a JSON object.
    pub input_json: String,
    /// Conversation number, when the tool works on one.
    pub conversation_number: Option<i32>,
    /// Why.
    pub reasoning: String,
}

/// A policy rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyView {
    /// Id.
    pub id: i32,
    /// 1-based order.
    pub position: i32,
    /// Name.
    pub name: String,
    /// What it does.
    pub effect: Effect,
    /// Tool, or any.
    pub tool: Option<String>,
    /// At least this risk, or any.
    pub min_risk: Option<Risk>,
    /// Above this amount (minor units); 0 = any.
    pub amount_over: i64,
    /// Conversation tag, or any.
    pub segment_tag: Option<String>,
    /// Channel, or any.
    pub channel: Option<String>,
    /// Customer segment, or any.
    pub segment_id: Option<i32>,
    /// Active.
    pub enabled: bool,
    /// The match, in words.
    pub summary: String,
}

/// The policy page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PoliciesView {
    /// Rules in order.
    pub rules: Vec<PolicyView>,
    /// What happens when none matches.
    pub default_effect: Effect,
    /// The tools, for the rule form and the tester.
    pub tools: Vec<ToolView>,
    /// The workspace's customer segments (id, name), for the rule form.
    pub segments: Vec<(i32, String)>,
}

/// A policy rule to create or change.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PolicyForm {
    /// Name.
    pub name: String,
    /// `allow`, `deny` or `approval`.
    pub effect: String,
    /// Tool name, or empty for any.
    pub tool: String,
    /// `low`, `medium`, `high`, or empty for any.
    pub min_risk: String,
    /// Amount in major units (`100` or `99.50`), or empty for any.
    pub amount_over: String,
    /// Conversation tag, or empty.
    pub segment_tag: String,
    /// Channel, or empty.
    pub channel: String,
    /// Only customers of this segment (none: any customer).
    #[serde(default)]
    pub segment_id: Option<i32>,
    /// Active.
    pub enabled: bool,
}

/// A "what would happen" question for the tester.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PolicyProbe {
    /// Tool name.
    pub tool: String,
    /// Amount in major units, or empty.
    pub amount: String,
    /// Conversation tags, comma-separated.
    pub tags: String,
    /// Channel, or empty.
    pub channel: String,
    /// The customer is in this segment (none: in none the rules test).
    #[serde(default)]
    pub segment_id: Option<i32>,
}

/// The tester's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyOutcome {
    /// What would happen.
    pub effect: Effect,
    /// Which rule, in words.
    pub reason: String,
    /// The rule, when one matched.
    pub policy_id: Option<i32>,
    /// The tool's risk.
    pub risk: Risk,
}

/// A dry run of a recorded action under today's policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplayView {
    /// The action.
    pub action_id: i32,
    /// Whether its input still passes the tool's schema.
    pub input_valid: bool,
    /// Why not.
    pub input_error: Option<String>,
    /// What today's policy decides.
    pub outcome: PolicyOutcome,
    /// What the tool would do, in words.
    pub would: String,
    /// What it decided and did back then.
    pub then: String,
}

/// Task priorities.
pub const TASK_PRIORITIES: &[&str] = &["low", "normal", "high", "urgent"];

/// A task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskView {
    /// Id.
    pub id: i32,
    /// Title.
    pub title: String,
    /// Notes.
    pub notes: Option<String>,
    /// Linked conversation's number.
    pub conversation_number: Option<i32>,
    /// Linked customer's name.
    pub customer: Option<String>,
    /// Assignee's user id.
    pub assignee_id: Option<i32>,
    /// Assignee's name.
    pub assignee: Option<String>,
    /// Due (RFC 3339).
    pub due_at: Option<String>,
    /// Priority.
    pub priority: String,
    /// `open` or `done`.
    pub status: String,
    /// Past due and still open.
    pub overdue: bool,
    /// Who created it.
    pub created_by: String,
    /// `member`, `ai` or `rule`.
    pub created_by_kind: String,
    /// Created at.
    pub created_at: String,
}

/// A task to create.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskForm {
    /// Title.
    pub title: String,
    /// Notes.
    pub notes: String,
    /// Conversation number, or none.
    pub conversation_number: Option<i32>,
    /// Assignee, or none.
    pub assignee_id: Option<i32>,
    /// `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM` (UTC), or empty.
    pub due: String,
    /// Priority.
    pub priority: String,
}

/// The tasks page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TasksView {
    /// Tasks (open first, by due date).
    pub tasks: Vec<TaskView>,
    /// Members who can be assigned.
    pub assignees: Vec<crate::types::Choice>,
}

/// What the AI agent and the team have proposed and planned on one ticket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketWorkView {
    /// Actions on the ticket, newest first.
    pub actions: Vec<ActionView>,
    /// Its tasks, open first.
    pub tasks: Vec<TaskView>,
    /// Its follow-ups, newest first.
    pub follow_ups: Vec<FollowUpView>,
}

/// A follow-up on a ticket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FollowUpView {
    /// Id.
    pub id: i32,
    /// What is sent.
    pub message: String,
    /// When (RFC 3339).
    pub due_at: String,
    /// `scheduled`, `sent`, `skipped` or `cancelled`.
    pub status: String,
    /// Who scheduled it.
    pub created_by: String,
    /// What happened.
    pub outcome: Option<String>,
    /// Scheduled at.
    pub created_at: String,
}

/// One cycle of the autonomous loop.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoopRunView {
    /// Id.
    pub id: i32,
    /// When it ran.
    pub started_at: String,
    /// What it reviewed: (what, how many).
    pub looked_at: Vec<(String, u64)>,
    /// What it did, one sentence each.
    pub did: Vec<String>,
    /// Proposals made.
    pub proposals: i32,
    /// Errors met.
    pub errors: i32,
    /// Pause before the next cycle, seconds.
    pub backoff_secs: i32,
}

/// The autonomous loop's page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoopView {
    /// On.
    pub enabled: bool,
    /// The viewer may turn it on/off and run a cycle.
    pub can_manage: bool,
    /// Latest cycles first.
    pub runs: Vec<LoopRunView>,
}
