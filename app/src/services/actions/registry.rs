//! The tool registry: every tool the AI agent (or a member, a rule, an MCP client)
//! can use, with its name, description, JSON input schema, risk level and
//! executor. Built-in tools live in [`super::tools`]; later capabilities (orders,
//! scheduling) add theirs in [`Registry::standard`].
//!
//! An executor runs inside the unit of work that also records the action's
//! outcome, so a tool whose effects are rows in this database happens exactly once
//! even when the process dies mid-run (the transaction rolls back and the job runs
//! it again). Tools marked `external` reach outside the database; a run of one
//! that was interrupted is failed visibly instead of being repeated.

use super::schema::{self, Field};
use crate::services::activity::Who;
use crate::services::context::{Actor, RequestMeta};
use crate::services::tenancy::Scoped;
use crate::services::uow::UnitOfWork;
use crate::services::ServiceResult;
use crate::types::{Risk, ToolView};
use entity::conversation;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;

/// Who an action runs as.
#[derive(Clone, Debug)]
pub enum By {
    /// A member (their signature, their name in the log).
    Member(Actor),
    /// The AI agent (or a rule, an MCP client acting without a member): `label`.
    Agent {
        /// Shown in the activity log, e.g. "AI agent".
        label: String,
    },
}

impl By {
    /// As the creator of a task or follow-up.
    pub fn creator(&self) -> crate::services::tasks::Creator {
        match self {
            By::Member(a) => crate::services::tasks::Creator {
                kind: "member",
                user_id: Some(a.user_id),
                label: a.name.clone(),
            },
            By::Agent { label } => crate::services::tasks::Creator {
                kind: "ai",
                user_id: None,
                label: label.clone(),
            },
        }
    }

    /// The activity-log attribution.
    pub fn who(&self) -> Who {
        match self {
            By::Member(a) => Who::from(a),
            By::Agent { label } => Who {
                user_id: None,
                label: label.clone(),
            },
        }
    }
}

/// What an executor works with: the open unit of work (its writes commit with the
/// action's outcome), the workspace, who acts, and the conversation when the tool
/// works on one.
pub struct Exec {
    /// The transaction.
    pub uow: UnitOfWork,
    /// The workspace.
    pub scope: Scoped,
    /// Who acts.
    pub by: By,
    /// The action being run.
    pub action_id: i32,
    /// Its conversation.
    pub conversation: Option<conversation::Model>,
    /// Request metadata for the activity log.
    pub meta: RequestMeta,
}

/// An executor's future.
pub type ToolFuture<'a> = Pin<Box<dyn Future<Output = ServiceResult<Value>> + Send + 'a>>;

/// Runs a tool on valid input; returns its result as JSON.
pub type RunFn = for<'a> fn(&'a mut Exec, &'a Value) -> ToolFuture<'a>;

/// Says in words what a tool would do with this input ("Set status to solved").
pub type DescribeFn = fn(&Value) -> String;

/// A tool.
pub struct Tool {
    /// Stable name.
    pub name: &'static str,
    /// Human label.
    pub label: &'static str,
    /// What it does (shown to the model and to people).
    pub description: &'static str,
    /// Risk level.
    pub risk: Risk,
    /// Input fields (the JSON schema is derived from them).
    pub fields: &'static [Field],
    /// Works on a conversation (the proposal must name one).
    pub needs_conversation: bool,
    /// Reaches outside this database.
    pub external: bool,
    /// The input field holding a money amount (major units), for policies.
    pub amount_field: Option<&'static str>,
    /// Describes a run.
    pub describe: DescribeFn,
    /// Runs it.
    pub run: RunFn,
}

impl Tool {
    /// The JSON Schema of its input.
    pub fn schema(&self) -> Value {
        schema::to_json_schema(self.fields)
    }

    /// Checks an input against the schema.
    ///
    /// # Errors
    /// A message naming the field.
    pub fn validate(&self, input: &Value) -> Result<(), String> {
        schema::validate(self.fields, input)
    }

    /// The money amount in the input, in minor units (0 when none).
    pub fn amount(&self, input: &Value) -> i64 {
        #[allow(clippy::cast_possible_truncation, reason = "schema bounds the amount")]
        self.amount_field
            .and_then(|f| input.get(f))
            .and_then(Value::as_f64)
            .map_or(0, |v| (v * 100.0).round() as i64)
    }

    /// As shown in the admin app.
    pub fn view(&self) -> ToolView {
        ToolView {
            name: self.name.to_owned(),
            label: self.label.to_owned(),
            description: self.description.to_owned(),
            risk: self.risk,
            needs_conversation: self.needs_conversation,
            schema: serde_json::to_string_pretty(&self.schema()).unwrap_or_default(),
            fields: schema::to_view(self.fields),
        }
    }
}

/// The set of tools.
#[derive(Default)]
pub struct Registry {
    tools: Vec<Tool>,
}

impl Registry {
    /// Adds a tool.
    ///
    /// # Panics
    /// When a tool of that name is already registered (a programming error,
    /// caught by the registry's unit test).
    pub fn register(&mut self, t: Tool) {
        assert!(
            self.tool(t.name).is_none(),
            "tool `{}` registered twice",
            t.name
        );
        self.tools.push(t);
    }

    /// The built-in tools plus every capability's.
    pub fn standard() -> Self {
        let mut r = Self::default();
        super::tools::register(&mut r);
        super::order_tools::register(&mut r);
        r
    }

    /// A tool by name.
    pub fn tool(&self, name: &str) -> Option<&Tool> {
        self.tools.iter().find(|t| t.name == name)
    }

    /// Every tool.
    pub fn all(&self) -> &[Tool] {
        &self.tools
    }

    /// Every tool as shown in the admin app, by name.
    pub fn views(&self) -> Vec<ToolView> {
        let mut v: Vec<ToolView> = self.tools.iter().map(Tool::view).collect();
        v.sort_by(|a, b| a.label.cmp(&b.label));
        v
    }
}

static REGISTRY: OnceLock<Registry> = OnceLock::new();
static EXTRA: std::sync::Mutex<Vec<Tool>> = std::sync::Mutex::new(Vec::new());

/// The process's registry: the standard tools plus any [`add_before_start`] added.
pub fn get() -> &'static Registry {
    REGISTRY.get_or_init(|| {
        let mut r = Registry::standard();
        let extra = EXTRA
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default();
        for t in extra {
            r.register(t);
        }
        r
    })
}

/// Adds a tool to this process's registry (an embedding program's own tool, or
/// a test's); only before the registry is first used.
///
/// # Errors
/// The tool back when the registry is already in use.
pub fn add_before_start(t: Tool) -> Result<(), Box<Tool>> {
    if REGISTRY.get().is_some() {
        return Err(Box::new(t));
    }
    match EXTRA.lock() {
        Ok(mut v) => {
            v.push(t);
            Ok(())
        }
        Err(_) => Err(Box::new(t)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn standard_tools_have_schemas_descriptions_and_unique_names() {
        let r = Registry::standard();
        for name in [
            "update_ticket",
            "reply",
            "close_ticket",
            "tag_ticket",
            "assign_ticket",
            "create_task",
            "schedule_follow_up",
            "summarize_thread",
            "draft_email",
            "create_expense",
            "trigger_webhook",
            "system_health_check",
            "escalate_to_human",
            "create_ticket",
            "ticket_merge",
            "apply_macro",
            "find_customer",
            "get_customer_profile",
            "list_orders",
            "get_order",
            "get_product",
            "set_default_address",
            "cancel_order",
            "change_order_address",
            "change_order_items",
            "change_order_payment",
            "return_items",
            "exchange_items",
            "refund_order",
        ] {
            let t = r.tool(name).unwrap_or_else(|| panic!("{name} missing"));
            assert!(!t.description.is_empty());
            assert_eq!(t.schema()["type"], "object");
        }
        assert_eq!(r.tool("create_expense").map(|t| t.risk), Some(Risk::High));
        let e = r
            .tool("create_expense")
            .map(|t| t.amount(&serde_json::json!({"amount": 12.5})));
        assert_eq!(e, Some(1250));
    }
}
