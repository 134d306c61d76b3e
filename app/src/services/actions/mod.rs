//! The AI agent that acts (SPEC C6.4): tools from the [`registry`], proposed by
//! the AI agent, a member, a rule or an MCP client; decided by the workspace's
//! [`policy`]; approved by a person where the policy says so; run exactly once by
//! a durable job; every step recorded on the action and in the activity log.
//!
//! Lifecycle: `proposed → pending → running → completed | failed` (or `denied` by
//! a policy, `rejected` by an approver).
//! - The same proposal twice (same workspace, proposer, tool, ticket and canonical
//!   input) is one action: the idempotency key is their SHA-256.
//! - Approval is one conditional `UPDATE … WHERE status = 'pending'`: of two
//!   approvers clicking at once, one wins and the other is told who decided.
//! - The policy is checked again just before the tool runs: a rule tightened after
//!   approval blocks the run; an action allowed at proposal that now needs an
//!   approval goes back to `pending`.
//! - The tool runs in the transaction that records `completed`, under a timeout
//!   (`action_timeout_ms`, 30 s): a crash or a timeout keeps nothing, and the job
//!   runs it again, so it completes once. Tools reaching outside the database
//!   (`external`) are failed visibly when a run was interrupted, never repeated.

pub mod autonomous;
pub mod order_tools;
pub mod policy;
pub mod procedures;
pub mod registry;
pub mod schema;
pub mod tools;

use self::policy::Facts;
use self::registry::{By, Exec, Tool};
use super::activity::{self, Entry, Who};
use super::bus::Event;
use super::context::{load_actor, Actor, RequestMeta};
use super::jobs::{self, NewJob};
use super::notify::{self, Notice};
use super::tenancy::Scoped;
use super::uow::UnitOfWork;
use super::{now, AppState, ServiceError, ServiceResult};
use crate::permissions::{can, Action, Role};
use crate::types::{
    action_status as st, ticket_ref, ActionView, Effect, NoticeKind, ProposalForm, ReplayView, Risk,
};
use entity::{ai_action, conversation, conversation_tag, membership, tag};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// Job kind that runs one allowed or approved action.
pub const JOB: &str = "ai.action";

/// Who proposes an action.
#[derive(Clone, Debug)]
pub enum Proposer {
    /// The AI agent.
    Ai,
    /// A member, from the admin app.
    Member(Actor),
    /// An automation rule, by name.
    Rule(String),
    /// An MCP client, authenticated with a member's API key.
    Mcp(Actor),
}

impl Proposer {
    fn kind(&self) -> &'static str {
        match self {
            Proposer::Ai => "ai",
            Proposer::Member(_) => "member",
            Proposer::Rule(_) => "rule",
            Proposer::Mcp(_) => "mcp",
        }
    }
    fn key(&self) -> String {
        match self {
            Proposer::Ai => "ai".into(),
            Proposer::Member(a) => format!("user:{}", a.user_id),
            Proposer::Rule(r) => format!("rule:{r}"),
            Proposer::Mcp(a) => format!("mcp:{}", a.user_id),
        }
    }
    fn user_id(&self) -> Option<i32> {
        match self {
            Proposer::Member(a) | Proposer::Mcp(a) => Some(a.user_id),
            _ => None,
        }
    }
    fn label(&self) -> String {
        match self {
            Proposer::Ai => "AI agent".into(),
            Proposer::Member(a) => a.label(),
            Proposer::Rule(r) => format!("Rule “{r}”"),
            Proposer::Mcp(a) => format!("{} (MCP)", a.label()),
        }
    }
}

/// A proposed action.
#[derive(Clone, Debug)]
pub struct Proposal {
    /// Tool name.
    pub tool: String,
    /// Input (checked against the tool's schema).
    pub input: Value,
    /// The conversation it works on.
    pub conversation_id: Option<i32>,
    /// Why.
    pub reasoning: Option<String>,
    /// Who.
    pub proposer: Proposer,
    /// For a customer's own request: what they are told once it ran (a rejection
    /// or a failure tells them a teammate follows up).
    pub customer_note: Option<String>,
}

/// The idempotency key of a proposal.
pub fn idempotency_key(
    workspace_id: i32,
    proposer: &str,
    tool: &str,
    conversation_id: Option<i32>,
    canonical: &str,
) -> String {
    let raw = format!(
        "{workspace_id}\u{1f}{proposer}\u{1f}{tool}\u{1f}{}\u{1f}{canonical}",
        conversation_id.map(|c| c.to_string()).unwrap_or_default()
    );
    hex::encode(Sha256::digest(raw.as_bytes()))
}

async fn tags_of(
    db: &impl ConnectionTrait,
    scope: Scoped,
    conversation_id: i32,
) -> ServiceResult<Vec<String>> {
    let ids: Vec<i32> = scope
        .find::<conversation_tag::Entity>()
        .filter(conversation_tag::Column::ConversationId.eq(conversation_id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.tag_id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(scope
        .find::<tag::Entity>()
        .filter(tag::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect())
}

async fn find_conversation(
    db: &impl ConnectionTrait,
    scope: Scoped,
    id: Option<i32>,
) -> ServiceResult<Option<conversation::Model>> {
    match id {
        None => Ok(None),
        Some(id) => Ok(Some(
            super::inbox::conversations::find(db, scope, id).await?,
        )),
    }
}

async fn decide_for(
    db: &impl ConnectionTrait,
    scope: Scoped,
    tool: &Tool,
    input: &Value,
    c: Option<&conversation::Model>,
) -> ServiceResult<policy::Decision> {
    let tags = match c {
        Some(c) => tags_of(db, scope, c.id).await?,
        None => Vec::new(),
    };
    policy::decide_now(
        db,
        scope,
        &Facts {
            tool: tool.name,
            risk: tool.risk,
            amount: tool.amount(input),
            tags: &tags,
            channel: c.map(|c| c.channel.as_str()),
            segments: &[],
        },
        c.map(|c| c.customer_id),
    )
    .await
}

async fn by_key(
    db: &impl ConnectionTrait,
    scope: Scoped,
    key: &str,
) -> ServiceResult<Option<ai_action::Model>> {
    Ok(scope
        .find::<ai_action::Entity>()
        .filter(ai_action::Column::IdempotencyKey.eq(key))
        .one(db)
        .await?)
}

/// Records a proposal, decides it by policy and, when allowed, queues its run;
/// when it needs approval, tells the approvers. The same proposal twice returns
/// the first action.
///
/// # Errors
/// `Invalid` naming the tool, the conversation or the input field at fault;
/// `NotFound` for another workspace's conversation.
pub async fn propose(
    state: &AppState,
    scope: Scoped,
    p: Proposal,
    meta: &RequestMeta,
) -> ServiceResult<ActionView> {
    let (tool, input, key) = checked(scope, &p)?;
    if let Some(existing) = by_key(&state.db, scope, &key).await? {
        return one_view(&state.db, scope, existing).await;
    }
    let mut uow = UnitOfWork::begin(state).await?;
    let row = match record(&mut uow, scope, tool, &input, &key, p, meta, false).await {
        Ok(r) => r,
        Err(e) => {
            // A concurrent identical proposal won the unique key: it is this one.
            drop(uow);
            return match by_key(&state.db, scope, &key).await? {
                Some(existing) => one_view(&state.db, scope, existing).await,
                None => Err(e),
            };
        }
    };
    let v = one_view(&*uow, scope, row).await?;
    uow.commit().await?;
    Ok(v)
}

/// A rule asks for approval of a tool action on a ticket, inside the rule's unit
/// of work: the action waits for an approver even where a policy would allow
/// it at once (a policy that denies it still denies it). The same request twice
/// is the first one. Returns the action's id and status.
///
/// # Errors
/// `Invalid` naming the tool or the input field at fault.
pub async fn request_approval_in(
    uow: &mut UnitOfWork,
    scope: Scoped,
    p: Proposal,
) -> ServiceResult<(i32, String)> {
    let (tool, input, key) = checked(scope, &p)?;
    if let Some(existing) = by_key(&**uow, scope, &key).await? {
        return Ok((existing.id, existing.status));
    }
    let row = record(
        uow,
        scope,
        tool,
        &input,
        &key,
        p,
        &RequestMeta::default(),
        true,
    )
    .await?;
    Ok((row.id, row.status))
}

/// The tool, the canonical input and the idempotency key of a proposal, checked.
fn checked(scope: Scoped, p: &Proposal) -> ServiceResult<(&'static registry::Tool, Value, String)> {
    let reg = registry::get();
    let tool = reg.tool(p.tool.trim()).ok_or_else(|| {
        let names: Vec<&str> = reg.all().iter().map(|t| t.name).collect();
        ServiceError::invalid(
            "tool",
            format!(
                "There is no tool named `{}`. Tools: {}.",
                p.tool.trim(),
                names.join(", ")
            ),
        )
    })?;
    tool.validate(&p.input)
        .map_err(|m| ServiceError::invalid("input", m))?;
    if tool.needs_conversation && p.conversation_id.is_none() {
        return Err(ServiceError::invalid(
            "conversation",
            format!("`{}` works on a ticket: name the ticket.", tool.name),
        ));
    }
    let input = schema::canonical(&p.input);
    let canonical = schema::canonical_string(&input);
    let key = idempotency_key(
        scope.workspace_id(),
        &p.proposer.key(),
        tool.name,
        p.conversation_id,
        &canonical,
    );
    Ok((tool, input, key))
}

/// Records a checked proposal in `uow`, decided by policy (`approval`: wait for
/// an approver unless denied), and queues its run or tells the approvers.
#[allow(clippy::too_many_arguments)]
async fn record(
    uow: &mut UnitOfWork,
    scope: Scoped,
    tool: &'static registry::Tool,
    input: &Value,
    key: &str,
    p: Proposal,
    meta: &RequestMeta,
    approval: bool,
) -> ServiceResult<ai_action::Model> {
    let canonical = schema::canonical_string(input);
    let c = find_conversation(&**uow, scope, p.conversation_id).await?;
    let mut d = decide_for(&**uow, scope, tool, input, c.as_ref()).await?;
    if approval && d.effect == Effect::Allow {
        d.effect = Effect::Approval;
        d.reason = format!("{} (the rule asks for approval)", d.reason);
    }
    let status = match d.effect {
        Effect::Allow => st::RUNNING,
        Effect::Approval => st::PENDING,
        Effect::Deny => st::DENIED,
    };
    let t = now();
    let am = ai_action::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        tool: Set(tool.name.to_owned()),
        input: Set(canonical),
        idempotency_key: Set(key.to_owned()),
        risk: Set(tool.risk.as_str().to_owned()),
        amount: Set(tool.amount(input)),
        conversation_id: Set(c.as_ref().map(|c| c.id)),
        customer_id: Set(c.as_ref().map(|c| c.customer_id)),
        channel: Set(c.as_ref().map(|c| c.channel.clone())),
        proposed_by_kind: Set(p.proposer.kind().to_owned()),
        proposed_by_user_id: Set(p.proposer.user_id()),
        proposed_by_label: Set(p.proposer.label()),
        reasoning: Set(p
            .reasoning
            .map(|r| r.trim().chars().take(2000).collect::<String>())
            .filter(|r| !r.is_empty())),
        customer_note: Set(p.customer_note.clone()),
        status: Set(status.to_owned()),
        decision: Set(d.effect.as_str().to_owned()),
        decision_reason: Set(d.reason.clone()),
        policy_id: Set(d.policy_id),
        approver_user_id: Set(None),
        approver_label: Set(None),
        approval_comment: Set(None),
        decided_at: Set(None),
        started_at: Set(None),
        finished_at: Set((status == st::DENIED).then_some(t)),
        attempts: Set(0),
        output: Set(None),
        error: Set(None),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    };
    let row = am.insert(&**uow).await?;
    let who = Who {
        user_id: p.proposer.user_id(),
        label: p.proposer.label(),
    };
    activity::record(
        &**uow,
        scope,
        &who,
        meta,
        Entry::new("action.proposed").target("action", row.id).diff(
            None,
            Some(json!({
                "tool": row.tool, "input": input, "ticket": c.as_ref().map(|c| ticket_ref(c.number)),
                "decision": row.decision, "reason": row.decision_reason, "status": row.status,
            })),
        ),
    )
    .await?;
    match d.effect {
        Effect::Allow => queue_run(uow, scope, row.id).await?,
        Effect::Approval => notify_approvers(uow, scope, &row, c.as_ref()).await?,
        Effect::Deny => {}
    }
    emit(uow, &row);
    Ok(row)
}

/// A member proposes an action from the admin app.
///
/// # Errors
/// Permission; as [`propose`]; `Invalid` when the input is not JSON.
pub async fn propose_as_member(
    state: &AppState,
    actor: &Actor,
    f: &ProposalForm,
    meta: &RequestMeta,
) -> ServiceResult<ActionView> {
    actor.require(Action::ApproveActions)?;
    let input: Value = if f.input_json.trim().is_empty() {
        json!({})
    } else {
        serde_json::from_str(&f.input_json)
            .map_err(|e| ServiceError::invalid("input", format!("The input is not JSON: {e}.")))?
    };
    let conversation_id = match f.conversation_number {
        Some(n) => Some(
            super::inbox::conversations::find_by_number(&state.db, actor.scope, n)
                .await?
                .id,
        ),
        None => None,
    };
    propose(
        state,
        actor.scope,
        Proposal {
            tool: f.tool.clone(),
            input,
            conversation_id,
            reasoning: Some(f.reasoning.clone()),
            proposer: Proposer::Member(actor.clone()),
            customer_note: None,
        },
        meta,
    )
    .await
}

async fn queue_run(uow: &mut UnitOfWork, scope: Scoped, id: i32) -> ServiceResult<()> {
    let cfg = uow.state().config.jobs.clone();
    let mut job = NewJob::new(
        JOB,
        json!({"workspace_id": scope.workspace_id(), "action_id": id}),
    );
    job.workspace_id = Some(scope.workspace_id());
    // One run per approval: a later re-approval (after a move back to pending)
    // gets its own key.
    job.idempotency_key = Some(format!("action:{id}:{}", uuid::Uuid::new_v4().simple()));
    jobs::enqueue(&**uow, &cfg, job).await?;
    uow.jobs_enqueued();
    Ok(())
}

fn emit(uow: &mut UnitOfWork, row: &ai_action::Model) {
    uow.emit(Event::new(
        row.workspace_id,
        "action.updated",
        json!({"id": row.id, "status": row.status, "conversation_id": row.conversation_id, "tool": row.tool}),
    ));
}

/// Tells owners, admins and the ticket's assignee that an action waits (through
/// the notification service, each as they prefer).
async fn notify_approvers(
    uow: &mut UnitOfWork,
    scope: Scoped,
    row: &ai_action::Model,
    c: Option<&conversation::Model>,
) -> ServiceResult<()> {
    let members = scope.find::<membership::Entity>().all(&**uow).await?;
    let ids: Vec<i32> = members
        .iter()
        .filter(|m| {
            Role::parse(&m.role).is_some_and(|r| can(r, Action::ManageAiPolicies))
                || c.and_then(|c| c.assignee_id) == Some(m.user_id)
        })
        .map(|m| m.user_id)
        .filter(|id| Some(*id) != row.proposed_by_user_id)
        .collect();
    let tool_label = registry::get()
        .tool(&row.tool)
        .map_or(row.tool.as_str(), |t| t.label);
    let notice = Notice {
        kind: NoticeKind::Approval,
        recipients: ids,
        ticket: c.map(Into::into),
        actor: row.proposed_by_label.clone(),
        text: tool_label.to_owned(),
        path: "/app/approvals".to_owned(),
        send_at: None,
        once_within_hours: None,
    };
    notify::dispatch_in(uow, scope, notice).await.map(|_| ())
}

async fn find(
    db: &impl ConnectionTrait,
    scope: Scoped,
    id: i32,
) -> ServiceResult<ai_action::Model> {
    scope
        .find::<ai_action::Entity>()
        .filter(ai_action::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Action"))
}

fn comment_of(c: &str) -> ServiceResult<Option<String>> {
    let c = c.trim();
    if c.chars().count() > 2000 {
        return Err(ServiceError::invalid(
            "comment",
            "Keep the comment under 2,000 characters.",
        ));
    }
    Ok((!c.is_empty()).then(|| c.to_owned()))
}

/// Approves a pending action (one conditional update: of two approvers at once,
/// one wins) and queues its run.
///
/// # Errors
/// Permission (and your own proposal); `Conflict` when already decided;
/// `NotFound`.
pub async fn approve(
    state: &AppState,
    actor: &Actor,
    id: i32,
    comment: &str,
    meta: &RequestMeta,
) -> ServiceResult<ActionView> {
    decide_pending(state, actor, id, comment, true, meta).await
}

/// Rejects a pending action.
///
/// # Errors
/// As [`approve`].
pub async fn reject(
    state: &AppState,
    actor: &Actor,
    id: i32,
    comment: &str,
    meta: &RequestMeta,
) -> ServiceResult<ActionView> {
    decide_pending(state, actor, id, comment, false, meta).await
}

async fn decide_pending(
    state: &AppState,
    actor: &Actor,
    id: i32,
    comment: &str,
    approve: bool,
    meta: &RequestMeta,
) -> ServiceResult<ActionView> {
    actor.require(Action::ApproveActions)?;
    let comment = comment_of(comment)?;
    let scope = actor.scope;
    let mut uow = UnitOfWork::begin(state).await?;
    let current = find(&*uow, scope, id).await?;
    if current.proposed_by_user_id == Some(actor.user_id) && current.status == st::PENDING {
        return Err(ServiceError::forbidden(
            "You proposed this action; another approver must decide it.",
        ));
    }
    let t = now();
    let to = if approve { st::RUNNING } else { st::REJECTED };
    let mut q = scope
        .update_many::<ai_action::Entity>()
        .col_expr(ai_action::Column::Status, Expr::value(to))
        .col_expr(
            ai_action::Column::ApproverUserId,
            Expr::value(actor.user_id),
        )
        .col_expr(ai_action::Column::ApproverLabel, Expr::value(actor.label()))
        .col_expr(
            ai_action::Column::ApprovalComment,
            Expr::value(comment.clone()),
        )
        .col_expr(ai_action::Column::DecidedAt, Expr::value(t))
        .col_expr(ai_action::Column::UpdatedAt, Expr::value(t));
    if !approve {
        q = q.col_expr(ai_action::Column::FinishedAt, Expr::value(t));
    }
    let done = q
        .filter(ai_action::Column::Id.eq(id))
        .filter(ai_action::Column::Status.eq(st::PENDING))
        .exec(&*uow)
        .await?
        .rows_affected;
    if done == 0 {
        drop(uow);
        let now_row = find(&state.db, scope, id).await?;
        let by = now_row
            .approver_label
            .map(|a| format!(" by {a}"))
            .unwrap_or_default();
        return Err(ServiceError::conflict(
            "id",
            format!(
                "This action is no longer waiting for approval: it is {}{by}.",
                now_row.status
            ),
        ));
    }
    let row = find(&*uow, scope, id).await?;
    activity::record(
        &*uow,
        scope,
        &Who::from(actor),
        meta,
        Entry::new(if approve {
            "action.approved"
        } else {
            "action.rejected"
        })
        .target("action", id)
        .diff(
            Some(json!({"status": st::PENDING})),
            Some(json!({"status": to, "comment": comment, "tool": row.tool})),
        ),
    )
    .await?;
    if approve {
        queue_run(&mut uow, scope, id).await?;
    } else if row.customer_note.is_some() {
        tell_customer(
            &mut uow,
            scope,
            row.conversation_id,
            "A member of our team reviewed your request and will follow up with you personally.",
        )
        .await?;
    }
    emit(&mut uow, &row);
    let v = one_view(&*uow, scope, row).await?;
    uow.commit().await?;
    Ok(v)
}

/// The job handler.
///
/// # Errors
/// Database errors (the job retries; the action's state makes retries safe).
pub async fn run_job(state: &AppState, payload: &Value) -> Result<(), String> {
    let ws = payload
        .get("workspace_id")
        .and_then(Value::as_i64)
        .and_then(|v| i32::try_from(v).ok());
    let id = payload
        .get("action_id")
        .and_then(Value::as_i64)
        .and_then(|v| i32::try_from(v).ok());
    let (Some(ws), Some(id)) = (ws, id) else {
        return Err("payload needs workspace_id and action_id".into());
    };
    execute(state, Scoped::new(ws), id)
        .await
        .map_err(|e| e.to_string())
}

/// A message for a person from a tool's error (internals are logged, not shown).
fn person_message(e: &ServiceError) -> String {
    match e {
        ServiceError::Invalid { message, .. } | ServiceError::Conflict { message, .. } => {
            message.clone()
        }
        ServiceError::NotFound(what) => format!("{what} not found."),
        ServiceError::Forbidden(m) => m.clone(),
        other => {
            tracing::error!(error = %other, "action failed");
            "An internal error stopped the tool; nothing it did was kept.".into()
        }
    }
}

/// Runs a `running` action once (see the module docs); anything else is left as is.
///
/// # Errors
/// Database errors.
pub async fn execute(state: &AppState, scope: Scoped, id: i32) -> ServiceResult<()> {
    let row = find(&state.db, scope, id).await?;
    if row.status != st::RUNNING {
        return Ok(());
    }
    let Some(tool) = registry::get().tool(&row.tool) else {
        return fail(
            state,
            scope,
            id,
            &format!("The tool `{}` no longer exists.", row.tool),
        )
        .await;
    };
    if tool.external && row.attempts > 0 {
        return fail(
            state,
            scope,
            id,
            "A run was interrupted while this tool was reaching outside Switchboard; it is not repeated. Check the other system, then propose it again if needed.",
        )
        .await;
    }
    let input: Value = serde_json::from_str(&row.input).unwrap_or(Value::Null);
    if let Err(m) = tool.validate(&input) {
        return fail(
            state,
            scope,
            id,
            &format!("The input no longer fits the tool: {m}"),
        )
        .await;
    }
    let c = match find_conversation(&state.db, scope, row.conversation_id).await {
        Ok(c) => c,
        Err(ServiceError::NotFound(_)) => {
            return fail(state, scope, id, "Its ticket no longer exists.").await
        }
        Err(e) => return Err(e),
    };
    // The policy again, as it stands now.
    let d = decide_for(&state.db, scope, tool, &input, c.as_ref()).await?;
    match d.effect {
        Effect::Deny => {
            return fail(
                state,
                scope,
                id,
                &format!("Blocked at execution by today's policy: {}.", d.reason),
            )
            .await
        }
        Effect::Approval if row.approver_user_id.is_none() => {
            return back_to_pending(state, scope, &row, c.as_ref(), &d.reason).await
        }
        _ => {}
    }
    let by = match (row.proposed_by_kind.as_str(), row.proposed_by_user_id) {
        ("member" | "mcp", Some(u)) => match load_actor(&state.db, u, scope.workspace_id()).await {
            Ok(a) => By::Member(a),
            Err(_) => {
                return fail(
                    state,
                    scope,
                    id,
                    "The member who proposed it is no longer in the workspace.",
                )
                .await
            }
        },
        _ => By::Agent {
            label: row.proposed_by_label.clone(),
        },
    };
    if tool.external {
        let uow = UnitOfWork::begin(state).await?;
        scope
            .update_many::<ai_action::Entity>()
            .col_expr(
                ai_action::Column::Attempts,
                Expr::col(ai_action::Column::Attempts).add(1),
            )
            .filter(ai_action::Column::Id.eq(id))
            .exec(&*uow)
            .await?;
        uow.commit().await?;
    }
    let started = now();
    let uow = UnitOfWork::begin(state).await?;
    let mut cx = Exec {
        uow,
        scope,
        by,
        action_id: id,
        conversation: c,
        meta: RequestMeta::default(),
    };
    let limit = Duration::from_millis(state.config.action_timeout_ms.max(1));
    let outcome = tokio::time::timeout(limit, (tool.run)(&mut cx, &input)).await;
    match outcome {
        Ok(Ok(out)) => {
            let mut uow = cx.uow;
            let t = now();
            let done = scope
                .update_many::<ai_action::Entity>()
                .col_expr(ai_action::Column::Status, Expr::value(st::COMPLETED))
                .col_expr(ai_action::Column::Output, Expr::value(out.to_string()))
                .col_expr(ai_action::Column::StartedAt, Expr::value(started))
                .col_expr(ai_action::Column::FinishedAt, Expr::value(t))
                .col_expr(ai_action::Column::UpdatedAt, Expr::value(t))
                .col_expr(
                    ai_action::Column::Attempts,
                    Expr::col(ai_action::Column::Attempts).add(1),
                )
                .filter(ai_action::Column::Id.eq(id))
                .filter(ai_action::Column::Status.eq(st::RUNNING))
                .exec(&*uow)
                .await?
                .rows_affected;
            if done == 0 {
                // Someone else finished it meanwhile: keep nothing of this run.
                return Ok(());
            }
            let row = find(&*uow, scope, id).await?;
            if let Some(note) = &row.customer_note {
                tell_customer(&mut uow, scope, row.conversation_id, note).await?;
            }
            activity::record(
                &*uow,
                scope,
                &cx.by.who(),
                &cx.meta,
                Entry::new("action.completed").target("action", id).diff(
                    None,
                    Some(json!({"tool": row.tool, "output": out, "approver": row.approver_label})),
                ),
            )
            .await?;
            emit(&mut uow, &row);
            uow.commit().await
        }
        Ok(Err(e)) => {
            drop(cx);
            fail(state, scope, id, &person_message(&e)).await
        }
        Err(_) => {
            drop(cx);
            fail(
                state,
                scope,
                id,
                &format!(
                    "Timed out after {} s; nothing it did was kept.",
                    limit.as_secs_f64()
                ),
            )
            .await
        }
    }
}

async fn fail(state: &AppState, scope: Scoped, id: i32, message: &str) -> ServiceResult<()> {
    let mut uow = UnitOfWork::begin(state).await?;
    let t = now();
    let done = scope
        .update_many::<ai_action::Entity>()
        .col_expr(ai_action::Column::Status, Expr::value(st::FAILED))
        .col_expr(ai_action::Column::Error, Expr::value(message.to_owned()))
        .col_expr(ai_action::Column::FinishedAt, Expr::value(t))
        .col_expr(ai_action::Column::UpdatedAt, Expr::value(t))
        .filter(ai_action::Column::Id.eq(id))
        .filter(ai_action::Column::Status.eq(st::RUNNING))
        .exec(&*uow)
        .await?
        .rows_affected;
    if done == 0 {
        return Ok(());
    }
    let row = find(&*uow, scope, id).await?;
    activity::record(
        &*uow,
        scope,
        &Who {
            user_id: None,
            label: "system".into(),
        },
        &RequestMeta::default(),
        Entry::new("action.failed")
            .target("action", id)
            .diff(None, Some(json!({"tool": row.tool, "error": message}))),
    )
    .await?;
    emit(&mut uow, &row);
    uow.commit().await
}

async fn back_to_pending(
    state: &AppState,
    scope: Scoped,
    row: &ai_action::Model,
    c: Option<&conversation::Model>,
    reason: &str,
) -> ServiceResult<()> {
    let mut uow = UnitOfWork::begin(state).await?;
    let done = scope
        .update_many::<ai_action::Entity>()
        .col_expr(ai_action::Column::Status, Expr::value(st::PENDING))
        .col_expr(
            ai_action::Column::Decision,
            Expr::value(Effect::Approval.as_str()),
        )
        .col_expr(
            ai_action::Column::DecisionReason,
            Expr::value(format!("Re-checked before running: {reason}")),
        )
        .col_expr(ai_action::Column::UpdatedAt, Expr::value(now()))
        .filter(ai_action::Column::Id.eq(row.id))
        .filter(ai_action::Column::Status.eq(st::RUNNING))
        .exec(&*uow)
        .await?
        .rows_affected;
    if done == 0 {
        return Ok(());
    }
    let row = find(&*uow, scope, row.id).await?;
    activity::record(
        &*uow,
        scope,
        &Who {
            user_id: None,
            label: "system".into(),
        },
        &RequestMeta::default(),
        Entry::new("action.pending").target("action", row.id).diff(
            Some(json!({"status": st::RUNNING})),
            Some(json!({"status": st::PENDING, "reason": reason})),
        ),
    )
    .await?;
    notify_approvers(&mut uow, scope, &row, c).await?;
    emit(&mut uow, &row);
    uow.commit().await
}

/// "What would this do now, under today's policy": a dry run that changes nothing.
///
/// # Errors
/// Permission; `NotFound`.
pub async fn replay(state: &AppState, actor: &Actor, id: i32) -> ServiceResult<ReplayView> {
    actor.require(Action::ApproveActions)?;
    let scope = actor.scope;
    let row = find(&state.db, scope, id).await?;
    let tool = registry::get().tool(&row.tool).ok_or_else(|| {
        ServiceError::conflict("id", format!("The tool `{}` no longer exists.", row.tool))
    })?;
    let input: Value = serde_json::from_str(&row.input).unwrap_or(Value::Null);
    let input_error = tool.validate(&input).err();
    let c = find_conversation(&state.db, scope, row.conversation_id)
        .await
        .ok()
        .flatten();
    let d = decide_for(&state.db, scope, tool, &input, c.as_ref()).await?;
    let on = c
        .as_ref()
        .map(|c| format!(" on {}", ticket_ref(c.number)))
        .unwrap_or_default();
    let then = format!(
        "Proposed by {}; {}. Status: {}{}{}",
        row.proposed_by_label,
        row.decision_reason,
        row.status,
        row.approver_label
            .as_ref()
            .map(|a| format!(" (decided by {a})"))
            .unwrap_or_default(),
        row.error
            .as_ref()
            .map(|e| format!(" — {e}"))
            .unwrap_or_default(),
    );
    Ok(ReplayView {
        action_id: row.id,
        input_valid: input_error.is_none(),
        input_error,
        outcome: crate::types::PolicyOutcome {
            effect: d.effect,
            reason: d.reason,
            policy_id: d.policy_id,
            risk: tool.risk,
        },
        would: format!("{}{on}", (tool.describe)(&input)),
        then,
    })
}

/// Actions: `filter` is `pending` (default), `open` (pending or running), `done`
/// (finished, newest first) or `all`; `conversation_number` narrows to one ticket.
///
/// # Errors
/// Permission; `Invalid`; `NotFound`.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    filter: &str,
    conversation_number: Option<i32>,
) -> ServiceResult<Vec<ActionView>> {
    actor.require(Action::ViewInbox)?;
    let scope = actor.scope;
    let db = &state.db;
    let mut q = scope.find::<ai_action::Entity>();
    q = match filter {
        "" | "pending" => q.filter(ai_action::Column::Status.eq(st::PENDING)),
        "open" => q.filter(ai_action::Column::Status.is_in([st::PENDING, st::RUNNING])),
        "done" => q.filter(ai_action::Column::Status.is_in([
            st::COMPLETED,
            st::FAILED,
            st::REJECTED,
            st::DENIED,
        ])),
        "all" => q,
        _ => {
            return Err(ServiceError::invalid(
                "filter",
                "Use pending, open, done or all.",
            ))
        }
    };
    if let Some(n) = conversation_number {
        let c = super::inbox::conversations::find_by_number(db, scope, n).await?;
        q = q.filter(ai_action::Column::ConversationId.eq(c.id));
    }
    let rows = q
        .order_by_desc(ai_action::Column::Id)
        .limit(100)
        .all(db)
        .await?;
    views(db, scope, rows).await
}

/// Posts the AI agent's message to the customer on the action's conversation,
/// formatted for its channel (nothing when the ticket is gone).
async fn tell_customer(
    uow: &mut UnitOfWork,
    scope: Scoped,
    conversation_id: Option<i32>,
    text: &str,
) -> ServiceResult<()> {
    let Some(id) = conversation_id else {
        return Ok(());
    };
    let c = match super::inbox::conversations::find(&**uow, scope, id).await {
        Ok(c) => c,
        Err(ServiceError::NotFound(_)) => return Ok(()),
        Err(e) => return Err(e),
    };
    let body = super::ai::pipeline::format_for(&**uow, scope, &c, text).await?;
    super::inbox::messages::insert_ai_reply(uow, scope, &c, &body).await?;
    Ok(())
}

/// A ticket's actions (newest first), tasks (open first) and follow-ups, for
/// the conversation pane.
///
/// # Errors
/// Permission; `NotFound`.
pub async fn for_ticket(
    state: &AppState,
    actor: &Actor,
    number: i32,
) -> ServiceResult<crate::types::TicketWorkView> {
    actor.require(Action::ViewInbox)?;
    let scope = actor.scope;
    let db = &state.db;
    let c = super::inbox::conversations::find_by_number(db, scope, number).await?;
    let rows = scope
        .find::<ai_action::Entity>()
        .filter(ai_action::Column::ConversationId.eq(c.id))
        .order_by_desc(ai_action::Column::Id)
        .limit(20)
        .all(db)
        .await?;
    let tasks = scope
        .find::<entity::task::Entity>()
        .filter(entity::task::Column::ConversationId.eq(c.id))
        .order_by_desc(entity::task::Column::Status.eq("open"))
        .order_by_desc(entity::task::Column::Id)
        .limit(20)
        .all(db)
        .await?;
    Ok(crate::types::TicketWorkView {
        actions: views(db, scope, rows).await?,
        tasks: super::tasks::views(db, scope, tasks).await?,
        follow_ups: super::follow_ups::for_conversation(db, scope, c.id).await?,
    })
}

/// One action as shown.
///
/// # Errors
/// `NotFound`.
pub async fn one(state: &AppState, scope: Scoped, id: i32) -> ServiceResult<ActionView> {
    let row = find(&state.db, scope, id).await?;
    one_view(&state.db, scope, row).await
}

async fn one_view(
    db: &impl ConnectionTrait,
    scope: Scoped,
    row: ai_action::Model,
) -> ServiceResult<ActionView> {
    Ok(views(db, scope, vec![row]).await?.remove(0))
}

async fn views(
    db: &impl ConnectionTrait,
    scope: Scoped,
    rows: Vec<ai_action::Model>,
) -> ServiceResult<Vec<ActionView>> {
    let ids: Vec<i32> = rows.iter().filter_map(|r| r.conversation_id).collect();
    let numbers = super::inbox::conversations::numbers(db, scope, ids).await?;
    let reg = registry::get();
    Ok(rows
        .into_iter()
        .map(|r| {
            let input: Value = serde_json::from_str(&r.input).unwrap_or(Value::Null);
            let tool = reg.tool(&r.tool);
            ActionView {
                id: r.id,
                tool_label: tool.map_or_else(|| r.tool.clone(), |t| t.label.to_owned()),
                summary: tool.map_or_else(String::new, |t| (t.describe)(&input)),
                input: serde_json::to_string_pretty(&input).unwrap_or_else(|_| r.input.clone()),
                tool: r.tool,
                risk: Risk::parse(&r.risk).unwrap_or(Risk::High),
                amount: r.amount,
                conversation_number: r.conversation_id.and_then(|c| numbers.get(&c).copied()),
                proposed_by: r.proposed_by_label,
                proposed_by_kind: r.proposed_by_kind,
                reasoning: r.reasoning,
                status: r.status,
                decision: Effect::parse(&r.decision).unwrap_or(Effect::Approval),
                decision_reason: r.decision_reason,
                approver: r.approver_label,
                approval_comment: r.approval_comment,
                decided_at: r.decided_at.map(|t| t.to_rfc3339()),
                output: r.output,
                error: r.error,
                created_at: r.created_at.to_rfc3339(),
                finished_at: r.finished_at.map(|t| t.to_rfc3339()),
            }
        })
        .collect())
}
