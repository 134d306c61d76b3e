//! View types and forms of automation rules (SPEC C7.1–C7.4): triggers that run
//! when something happens to a ticket, automations that run on a schedule, their
//! nested conditions and their actions, versions, firings and dry runs.
//! Wasm-safe; never entity rows.

use serde::{Deserialize, Serialize};

/// How often one rule may fire within one change (its own changes re-trigger
/// rules; past this bound it is skipped and the firing log says so).
pub const RULE_REFIRE_BOUND: u32 = 3;
/// Deepest nesting of condition groups the editor and the server accept.
pub const MAX_GROUP_DEPTH: usize = 6;
/// Most conditions (tests and groups) in one rule.
pub const MAX_CONDITIONS: usize = 60;
/// Most actions in one rule.
pub const MAX_RULE_ACTIONS: usize = 20;

/// When a rule runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// On an event (a ticket created, a message received, a ticket updated).
    #[default]
    Trigger,
    /// On a schedule, over open tickets (time conditions: "no reply for 48 hours").
    Automation,
}

impl RuleKind {
    /// Every kind.
    pub const ALL: &'static [RuleKind] = &[RuleKind::Trigger, RuleKind::Automation];

    /// Storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trigger => "trigger",
            Self::Automation => "automation",
        }
    }

    /// Parses a storage name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Trigger => "Trigger (on an event)",
            Self::Automation => "Automation (on a schedule)",
        }
    }
}

/// The events a trigger can run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleEvent {
    /// A customer's message opened a new ticket.
    TicketCreated,
    /// A customer's message arrived (new ticket or reply).
    MessageReceived,
    /// A ticket's status, priority, assignee, team, tags or fields changed.
    TicketUpdated,
    /// A ticket's nearest SLA target is close (its policy's warning time).
    SlaWarning,
    /// A ticket missed an SLA target.
    SlaBreached,
}

impl RuleEvent {
    /// Every event.
    pub const ALL: &'static [RuleEvent] = &[
        RuleEvent::TicketCreated,
        RuleEvent::MessageReceived,
        RuleEvent::TicketUpdated,
        RuleEvent::SlaWarning,
        RuleEvent::SlaBreached,
    ];

    /// Storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TicketCreated => "ticket_created",
            Self::MessageReceived => "message_received",
            Self::TicketUpdated => "ticket_updated",
            Self::SlaWarning => "sla_warning",
            Self::SlaBreached => "sla_breached",
        }
    }

    /// Parses a storage name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            Self::TicketCreated => "A ticket is created",
            Self::MessageReceived => "A customer message arrives",
            Self::TicketUpdated => "A ticket is updated",
            Self::SlaWarning => "An SLA target is close",
            Self::SlaBreached => "An SLA target is missed",
        }
    }
}

/// The type of a field, which decides its operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// Free text.
    Text,
    /// One of a fixed set (status, priority, channel).
    Choice,
    /// A number (hours, counts).
    Number,
    /// A set of names (tags, what changed).
    List,
    /// A member or team, or nobody.
    Ref,
}

impl FieldType {
    /// The operators that fit this type, in menu order.
    pub fn ops(self) -> &'static [CondOp] {
        use CondOp::*;
        match self {
            Self::Text => &[Is, IsNot, Contains, NotContains, StartsWith, IsEmpty, IsSet],
            Self::Choice => &[Is, IsNot],
            Self::Number => &[Is, Above, Below],
            Self::List => &[Includes, Excludes, IsEmpty, IsSet],
            Self::Ref => &[Is, IsNot, IsEmpty, IsSet],
        }
    }
}

/// A comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CondOp {
    /// Equal (text: ignoring case).
    Is,
    /// Not equal.
    IsNot,
    /// Text contains (ignoring case).
    Contains,
    /// Text does not contain.
    NotContains,
    /// Text starts with.
    StartsWith,
    /// Empty text, empty list, nobody.
    IsEmpty,
    /// Not empty.
    IsSet,
    /// Number greater than.
    Above,
    /// Number less than.
    Below,
    /// List holds the value.
    Includes,
    /// List does not hold the value.
    Excludes,
}

impl CondOp {
    /// Every operator.
    pub const ALL: &'static [CondOp] = &[
        CondOp::Is,
        CondOp::IsNot,
        CondOp::Contains,
        CondOp::NotContains,
        CondOp::StartsWith,
        CondOp::IsEmpty,
        CondOp::IsSet,
        CondOp::Above,
        CondOp::Below,
        CondOp::Includes,
        CondOp::Excludes,
    ];

    /// Storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Is => "is",
            Self::IsNot => "is_not",
            Self::Contains => "contains",
            Self::NotContains => "not_contains",
            Self::StartsWith => "starts_with",
            Self::IsEmpty => "is_empty",
            Self::IsSet => "is_set",
            Self::Above => "above",
            Self::Below => "below",
            Self::Includes => "includes",
            Self::Excludes => "excludes",
        }
    }

    /// Parses a storage name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Is => "is",
            Self::IsNot => "is not",
            Self::Contains => "contains",
            Self::NotContains => "does not contain",
            Self::StartsWith => "starts with",
            Self::IsEmpty => "is empty",
            Self::IsSet => "is set",
            Self::Above => "is above",
            Self::Below => "is below",
            Self::Includes => "includes",
            Self::Excludes => "does not include",
        }
    }

    /// Whether the operator compares with a value.
    pub fn takes_value(self) -> bool {
        !matches!(self, Self::IsEmpty | Self::IsSet)
    }
}

/// A field a condition can test.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleField {
    /// Name (`ticket.priority`, `field.order_id`).
    pub name: String,
    /// Label ("Ticket priority").
    pub label: String,
    /// Its type.
    pub kind: FieldType,
    /// The values a choice or reference can take: (value, label).
    pub choices: Vec<(String, String)>,
}

/// A condition: a test, or a group of conditions joined by AND or OR.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Cond {
    /// Every (`any: false`) or at least one (`any: true`) of the items holds. An
    /// empty group holds.
    Group {
        /// OR instead of AND.
        #[serde(default)]
        any: bool,
        /// The conditions.
        #[serde(default)]
        items: Vec<Cond>,
    },
    /// A field compared with a value.
    Test {
        /// A field name (see [`RuleField`]).
        field: String,
        /// The comparison.
        op: CondOp,
        /// The value (ignored by `is_empty` / `is_set`).
        #[serde(default)]
        value: String,
    },
}

impl Default for Cond {
    fn default() -> Self {
        Self::Group {
            any: false,
            items: Vec::new(),
        }
    }
}

impl Cond {
    /// Conditions in the tree (groups and tests).
    pub fn count(&self) -> usize {
        match self {
            Self::Group { items, .. } => 1 + items.iter().map(Cond::count).sum::<usize>(),
            Self::Test { .. } => 1,
        }
    }

    /// Deepest group nesting (a lone group: 1).
    pub fn depth(&self) -> usize {
        match self {
            Self::Group { items, .. } => 1 + items.iter().map(Cond::depth).max().unwrap_or(0),
            Self::Test { .. } => 0,
        }
    }
}

/// Who a notification goes to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum NotifyTarget {
    /// The ticket's assignee (nobody when unassigned).
    Assignee,
    /// One member.
    User {
        /// User id.
        user_id: i32,
    },
    /// Every admin and owner of the workspace.
    Admins,
}

/// One thing a rule does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleAction {
    /// Assign to a member (none: unassign).
    Assign {
        /// User id.
        user_id: Option<i32>,
    },
    /// Route to a team (none: no team).
    SetTeam {
        /// Team id.
        team_id: Option<i32>,
    },
    /// Add tags.
    AddTags {
        /// Tag names.
        tags: Vec<String>,
    },
    /// Remove tags.
    RemoveTags {
        /// Tag names.
        tags: Vec<String>,
    },
    /// Set a custom field.
    SetField {
        /// Field key.
        key: String,
        /// Value (empty: clear).
        value: String,
    },
    /// Set the status.
    SetStatus {
        /// Status name.
        status: String,
    },
    /// Set the priority.
    SetPriority {
        /// Priority name.
        priority: String,
    },
    /// Send a public reply (a canned-response template).
    Reply {
        /// Text; may hold `{{customer.name}}` and the other template variables.
        text: String,
    },
    /// Add an internal note.
    Note {
        /// Text (template).
        text: String,
    },
    /// Notify members, each as their notification preferences say.
    Notify {
        /// Who.
        #[serde(flatten)]
        target: NotifyTarget,
        /// What they are told (template).
        text: String,
        /// Send this many minutes later instead of now (a scheduled send).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after_mins: Option<u32>,
    },
    /// Send the ticket to a webhook endpoint (signed and retried like every
    /// delivery).
    Webhook {
        /// Endpoint id.
        endpoint_id: i32,
    },
    /// Raise the priority to urgent and tell the admins.
    Escalate {
        /// Why (in the note and the notification).
        reason: String,
    },
    /// Close the ticket.
    Close,
    /// Run another rule's actions (its conditions are not checked again).
    StartRule {
        /// Rule id.
        rule_id: i32,
    },
    /// Ask for approval of a tool action on the ticket (the AI-actions registry
    /// and approvals): it waits for an approver, and runs once approved.
    RequestApproval {
        /// Tool name.
        tool: String,
        /// Input as JSON; text may quote `{{ticket.number}}` and other variables.
        input: String,
        /// Why (shown to the approver).
        reason: String,
    },
}

impl RuleAction {
    /// Every action kind (editor menu order).
    pub const KINDS: &'static [&'static str] = &[
        "assign",
        "set_team",
        "add_tags",
        "remove_tags",
        "set_field",
        "set_status",
        "set_priority",
        "reply",
        "note",
        "notify",
        "webhook",
        "escalate",
        "close",
        "start_rule",
        "request_approval",
    ];

    /// The action's kind name.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Assign { .. } => "assign",
            Self::SetTeam { .. } => "set_team",
            Self::AddTags { .. } => "add_tags",
            Self::RemoveTags { .. } => "remove_tags",
            Self::SetField { .. } => "set_field",
            Self::SetStatus { .. } => "set_status",
            Self::SetPriority { .. } => "set_priority",
            Self::Reply { .. } => "reply",
            Self::Note { .. } => "note",
            Self::Notify { .. } => "notify",
            Self::Webhook { .. } => "webhook",
            Self::Escalate { .. } => "escalate",
            Self::Close => "close",
            Self::StartRule { .. } => "start_rule",
            Self::RequestApproval { .. } => "request_approval",
        }
    }

    /// Label of a kind.
    pub fn kind_label(kind: &str) -> &'static str {
        match kind {
            "assign" => "Assign to",
            "set_team" => "Route to team",
            "add_tags" => "Add tags",
            "remove_tags" => "Remove tags",
            "set_field" => "Set field",
            "set_status" => "Set status",
            "set_priority" => "Set priority",
            "reply" => "Send reply",
            "note" => "Add note",
            "notify" => "Notify",
            "webhook" => "Call webhook",
            "escalate" => "Escalate",
            "close" => "Close",
            "start_rule" => "Start rule",
            "request_approval" => "Ask for approval",
            _ => "Action",
        }
    }

    /// A blank action of a kind.
    pub fn blank(kind: &str) -> Self {
        match kind {
            "assign" => Self::Assign { user_id: None },
            "set_team" => Self::SetTeam { team_id: None },
            "add_tags" => Self::AddTags { tags: Vec::new() },
            "remove_tags" => Self::RemoveTags { tags: Vec::new() },
            "set_field" => Self::SetField {
                key: String::new(),
                value: String::new(),
            },
            "set_status" => Self::SetStatus {
                status: "open".into(),
            },
            "set_priority" => Self::SetPriority {
                priority: "high".into(),
            },
            "reply" => Self::Reply {
                text: String::new(),
            },
            "notify" => Self::Notify {
                target: NotifyTarget::Assignee,
                text: String::new(),
                after_mins: None,
            },
            "webhook" => Self::Webhook { endpoint_id: 0 },
            "escalate" => Self::Escalate {
                reason: String::new(),
            },
            "close" => Self::Close,
            "start_rule" => Self::StartRule { rule_id: 0 },
            "request_approval" => Self::RequestApproval {
                tool: String::new(),
                input: "{}".into(),
                reason: String::new(),
            },
            _ => Self::Note {
                text: String::new(),
            },
        }
    }
}

/// A rule as the editor sends it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleForm {
    /// None: a new rule.
    pub id: Option<i32>,
    /// Name (unique in the workspace).
    pub name: String,
    /// What it is for.
    #[serde(default)]
    pub description: String,
    /// Trigger or automation.
    pub kind: RuleKind,
    /// Events a trigger runs on (ignored for automations).
    #[serde(default)]
    pub events: Vec<RuleEvent>,
    /// The conditions (a top-level group).
    #[serde(default)]
    pub conditions: Cond,
    /// The actions, in order.
    #[serde(default)]
    pub actions: Vec<RuleAction>,
    /// Runs when enabled.
    pub enabled: bool,
}

/// A rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleView {
    /// Id.
    pub id: i32,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Kind.
    pub kind: RuleKind,
    /// Events (triggers).
    pub events: Vec<RuleEvent>,
    /// Conditions.
    pub conditions: Cond,
    /// Actions.
    pub actions: Vec<RuleAction>,
    /// Enabled.
    pub enabled: bool,
    /// Order among rules of its kind (lower runs first).
    pub position: i32,
    /// Current version number.
    pub version: i32,
    /// How often it fired.
    pub fired: i32,
    /// Last firing (RFC 3339).
    pub last_fired_at: Option<String>,
    /// Who changed it last.
    pub updated_by: String,
    /// When (RFC 3339).
    pub updated_at: String,
    /// The conditions in words ("Priority is High AND (tags include vip OR …)").
    pub summary: String,
}

/// A stored version of a rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleVersionView {
    /// Version number.
    pub version: i32,
    /// Who saved it.
    pub by: String,
    /// When (RFC 3339).
    pub at: String,
    /// The rule as it was.
    pub rule: RuleForm,
    /// It in words, one line per part, for comparing.
    pub lines: Vec<String>,
}

/// One firing (or a firing that was stopped or failed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleFiringView {
    /// Id.
    pub id: i32,
    /// Rule id.
    pub rule_id: i32,
    /// Rule name.
    pub rule_name: String,
    /// Rule version that fired.
    pub version: i32,
    /// Ticket number.
    pub ticket: i32,
    /// What set it off (`ticket_created`, `schedule` …).
    pub event: String,
    /// `applied`, `failed` or `stopped` (the re-trigger bound).
    pub outcome: String,
    /// What it changed, in words.
    pub changes: Vec<String>,
    /// The ticket before (status, priority, assignee, team, tags).
    pub before: String,
    /// And after.
    pub after: String,
    /// Why it failed or stopped.
    pub error: Option<String>,
    /// When (RFC 3339).
    pub at: String,
}

/// What a rule would do to one ticket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DryRunHit {
    /// Ticket number.
    pub ticket: i32,
    /// Its subject.
    pub subject: String,
    /// The changes, in words.
    pub changes: Vec<String>,
}

/// A dry run over existing tickets: nothing is changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DryRunResult {
    /// Tickets looked at (the newest, up to the limit).
    pub checked: usize,
    /// Those the conditions hold for, with what would change.
    pub hits: Vec<DryRunHit>,
}

/// The rules page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulesPage {
    /// Every rule, triggers first, in running order.
    pub rules: Vec<RuleView>,
    /// Fields conditions can test.
    pub fields: Vec<RuleField>,
    /// Members: (id, name).
    pub members: Vec<(i32, String)>,
    /// Teams: (id, name).
    pub teams: Vec<(i32, String)>,
    /// Webhook endpoints: (id, url).
    pub endpoints: Vec<(i32, String)>,
    /// Custom field keys: (key, label).
    pub custom_fields: Vec<(String, String)>,
    /// Tools a rule may ask approval for: (name, title).
    #[serde(default)]
    pub tools: Vec<(String, String)>,
    /// The latest firings of every rule.
    pub firings: Vec<RuleFiringView>,
}
