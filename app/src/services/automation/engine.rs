//! Running rules: the `rules` pipeline stage (triggers, inside the unit of work of
//! the message or change that set them off), the scheduled pass over open tickets
//! (automations), the actions themselves, the firing log, and the dry run.
//!
//! Each firing runs under a savepoint: a failing action (an endpoint that was
//! paused, a field that was deleted) undoes that rule's changes only, and the
//! firing log says why; the message or change that set it off still commits.

use super::conditions::{holds, segments_tested, uses, Fact, Facts, CLOCK_FIELDS, SEGMENTS_FIELD};
use super::{load, rule_label, Loaded};
use crate::services::activity::Who;
use crate::services::channels::webhooks;
use crate::services::context::RequestMeta;
use crate::services::inbox::{canned, conversations, customers, messages};
use crate::services::notify::{self, Notice};
use crate::services::stages::{Stage, StageEvent};
use crate::services::tenancy::{global, Scoped};
use crate::services::uow::UnitOfWork;
use crate::services::{hours, segments};
use crate::services::{now, AppState, ServiceError, ServiceResult};
use crate::types::{
    ticket_ref, DryRunHit, DryRunResult, NoticeKind, NotifyTarget, Priority, RuleAction, RuleEvent,
    RuleKind, Status, RULE_REFIRE_BOUND,
};
use entity::{conversation, membership, message, rule, rule_firing, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// Job kind of the scheduled pass over open tickets.
pub const JOB: &str = "rules.automations";
/// Open tickets one scheduled pass looks at per workspace (least recently
/// changed first).
pub const AUTOMATION_BATCH: u64 = 500;
/// Tickets a dry run looks at (the newest).
pub const DRY_RUN_LIMIT: u64 = 200;
/// How deep `start_rule` may chain.
const MAX_CHAIN: usize = 3;

/// The rules stage: triggers whose events and conditions match apply their
/// actions. It keeps each workspace's parsed triggers and reads them again only
/// when a cheap fingerprint of the workspace's rules changed (one aggregate
/// statement per event instead of reading and parsing every rule).
#[derive(Debug, Default)]
pub struct RulesStage {
    cache: std::sync::Mutex<Cache>,
}

/// Parsed triggers per workspace, with the stamp they were read at.
type Cache = HashMap<i32, (Stamp, Arc<Vec<Loaded>>)>;

/// Count, and sums of ids, versions and positions, of a workspace's rules: any
/// save, switch, move, creation or deletion changes it.
type Stamp = (i64, Option<i64>, Option<i64>, Option<i64>);

impl RulesStage {
    async fn triggers(
        &self,
        db: &impl ConnectionTrait,
        scope: Scoped,
    ) -> ServiceResult<Arc<Vec<Loaded>>> {
        use sea_orm::sea_query::Expr;
        let stamp: Stamp = scope
            .find::<rule::Entity>()
            .select_only()
            .column_as(Expr::col(rule::Column::Id).count(), "n")
            .column_as(Expr::col(rule::Column::Id).sum(), "ids")
            .column_as(Expr::col(rule::Column::Version).sum(), "versions")
            .column_as(Expr::col(rule::Column::Position).sum(), "positions")
            .into_tuple()
            .one(db)
            .await?
            .unwrap_or((0, None, None, None));
        if let Some((s, list)) = self.lock().get(&scope.workspace_id()) {
            if *s == stamp {
                return Ok(list.clone());
            }
        }
        let list = Arc::new(if stamp.0 == 0 {
            Vec::new()
        } else {
            enabled(db, scope, RuleKind::Trigger).await?
        });
        self.lock()
            .insert(scope.workspace_id(), (stamp, list.clone()));
        Ok(list)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait::async_trait]
impl Stage for RulesStage {
    fn name(&self) -> &'static str {
        "rules"
    }

    async fn handle(&self, uow: &mut UnitOfWork, event: &StageEvent) -> ServiceResult<()> {
        let (events, changed): (Vec<RuleEvent>, Vec<&'static str>) = match event {
            StageEvent::MessageReceived {
                automatic: true, ..
            } => return Ok(()),
            StageEvent::MessageReceived { opened, .. } => (
                if *opened {
                    vec![RuleEvent::TicketCreated, RuleEvent::MessageReceived]
                } else {
                    vec![RuleEvent::MessageReceived]
                },
                Vec::new(),
            ),
            StageEvent::ConversationUpdated { changed, .. } => {
                (vec![RuleEvent::TicketUpdated], changed.clone())
            }
            StageEvent::SlaAlert { breached, .. } => (
                vec![if *breached {
                    RuleEvent::SlaBreached
                } else {
                    RuleEvent::SlaWarning
                }],
                Vec::new(),
            ),
        };
        let scope = Scoped::new(event.workspace_id());
        let all = self.triggers(&**uow, scope).await?;
        let rules: Vec<&Loaded> = all
            .iter()
            .filter(|r| r.form.events.iter().any(|e| events.contains(e)))
            .collect();
        if rules.is_empty() {
            return Ok(());
        }
        let cid = event.conversation_id();
        let what = events.last().map_or("event", |e| e.as_str());
        let needs = needs_of(&rules);
        let mut facts = facts_for(&**uow, scope, cid, &changed, &needs).await?;
        for r in rules {
            if !holds(&r.form.conditions, &facts) {
                continue;
            }
            if uow.rule_fires(r.id) >= RULE_REFIRE_BOUND {
                if uow.count_rule_fire(r.id) == RULE_REFIRE_BOUND + 1 {
                    record(
                        &**uow,
                        scope,
                        r,
                        cid,
                        what,
                        "stopped",
                        &[],
                        (&String::new(), &String::new()),
                        Some(format!(
                            "Not run again: it already fired {RULE_REFIRE_BOUND} times from one change (its own changes set it off again)."
                        )),
                    )
                    .await?;
                }
                continue;
            }
            uow.count_rule_fire(r.id);
            if let Some(after) = fire(uow, scope, r, cid, what).await? {
                refresh(&mut facts, &after);
            }
        }
        Ok(())
    }
}

/// Enabled rules of one kind, in running order.
async fn enabled(
    db: &impl ConnectionTrait,
    scope: Scoped,
    kind: RuleKind,
) -> ServiceResult<Vec<Loaded>> {
    Ok(scope
        .find::<rule::Entity>()
        .filter(rule::Column::Enabled.eq(true))
        .filter(rule::Column::Kind.eq(kind.as_str()))
        .order_by_asc(rule::Column::Position)
        .order_by_asc(rule::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(load)
        .collect())
}

/// The facts that cost a query or more each, read only when a rule tests them.
#[derive(Clone, Debug, Default)]
pub struct Needs {
    /// The business-hours clock, weekday and hour.
    pub clock: bool,
    /// The segments whose membership `customer.segments` reports.
    pub segments: BTreeSet<i32>,
}

impl Needs {
    /// Everything but segments (a workflow tests segments by its own facts).
    pub fn clock() -> Self {
        Self {
            clock: true,
            segments: BTreeSet::new(),
        }
    }
}

/// What the rules test of the costly facts.
fn needs_of(rules: &[&Loaded]) -> Needs {
    let mut segments = BTreeSet::new();
    for r in rules {
        segments_tested(&r.form.conditions, &mut segments);
    }
    Needs {
        clock: rules
            .iter()
            .any(|r| uses(&r.form.conditions, &CLOCK_FIELDS)),
        segments,
    }
}

/// The facts about one ticket now (`changed`: what the update changed;
/// `needs`: the costly facts to read too).
///
/// # Errors
/// `NotFound`; database errors.
pub async fn facts_for(
    db: &impl ConnectionTrait,
    scope: Scoped,
    conversation_id: i32,
    changed: &[&str],
    needs: &Needs,
) -> ServiceResult<Facts> {
    let c = conversations::find(db, scope, conversation_id).await?;
    let cust = customers::find(db, scope, c.customer_id).await?;
    let mut f = Facts::default();
    let t = |s: &str| Fact::Text(s.to_owned());
    f.set("ticket.subject", t(&c.subject));
    f.set("ticket.status", t(&c.status));
    f.set("ticket.priority", t(&c.priority));
    f.set("ticket.channel", t(&c.channel));
    f.set(
        "ticket.tags",
        Fact::List(conversations::tag_names(db, scope, c.id).await?),
    );
    f.set("ticket.assignee", Fact::Ref(c.assignee_id));
    f.set("ticket.team", Fact::Ref(c.team_id));
    f.set(
        "ticket.changed",
        Fact::List(changed.iter().map(|s| (*s).to_owned()).collect()),
    );
    f.set("customer.name", t(&cust.name));
    f.set(
        "customer.email",
        t(cust.email.as_deref().unwrap_or_default()),
    );
    f.set(
        "customer.company",
        t(cust.company.as_deref().unwrap_or_default()),
    );
    let tickets = scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::CustomerId.eq(c.customer_id))
        .count(db)
        .await?;
    #[allow(clippy::cast_precision_loss)]
    f.set("customer.tickets", Fact::Num(tickets as f64));
    let last = scope
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(c.id))
        .filter(message::Column::Direction.eq("inbound"))
        .order_by_desc(message::Column::Id)
        .one(db)
        .await?;
    let t_now = now();
    #[allow(clippy::cast_precision_loss)]
    let hours = |at: chrono::DateTime<chrono::Utc>| {
        ((t_now - at).num_seconds().max(0) as f64 / 3600.0 * 100.0).round() / 100.0
    };
    f.set(
        "message.text",
        t(last.as_ref().map_or("", |m| m.body_text.as_str())),
    );
    f.set("time.hours_since_created", Fact::Num(hours(c.created_at)));
    f.set("time.hours_since_update", Fact::Num(hours(c.updated_at)));
    f.set(
        "time.hours_since_customer_message",
        Fact::Num(hours(last.map_or(c.created_at, |m| m.created_at))),
    );
    if !needs.segments.is_empty() {
        let inside = segments::memberships(db, scope, &needs.segments, c.customer_id)
            .await?
            .into_iter()
            .filter(|(_, hit)| *hit)
            .map(|(id, _)| id.to_string())
            .collect();
        f.set(SEGMENTS_FIELD, Fact::List(inside));
    }
    if needs.clock {
        let (open, weekday, hour) = hours::clock_at(db, scope, c.sla_policy_id, t_now).await?;
        f.set(
            "time.business_hours",
            t(if open { "open" } else { "closed" }),
        );
        f.set("time.weekday", t(weekday));
        f.set("time.hour", Fact::Num(f64::from(hour)));
    }
    let fields: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&c.custom_fields).unwrap_or_default();
    for (k, v) in fields {
        let s = match v {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        f.set(&format!("field.{k}"), Fact::Text(s));
    }
    Ok(f)
}

/// The ticket's state as the firing log shows it.
async fn snapshot(
    db: &impl ConnectionTrait,
    scope: Scoped,
    conversation_id: i32,
) -> ServiceResult<String> {
    let c = conversations::find(db, scope, conversation_id).await?;
    Ok(serde_json::json!({
        "status": c.status,
        "priority": c.priority,
        "assignee_id": c.assignee_id,
        "team_id": c.team_id,
        "tags": conversations::tag_names(db, scope, conversation_id).await?,
        "fields": serde_json::from_str::<serde_json::Value>(&c.custom_fields).unwrap_or_default(),
    })
    .to_string())
}

/// Brings the facts up to date after a firing from its after-snapshot (a rule
/// changes only the ticket's status, priority, assignee, team, tags and fields),
/// instead of reading them all again.
fn refresh(facts: &mut Facts, after: &str) {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(after) else {
        return;
    };
    let text = |k: &str| Fact::Text(v[k].as_str().unwrap_or_default().to_owned());
    facts.set("ticket.status", text("status"));
    facts.set("ticket.priority", text("priority"));
    let id = |k: &str| Fact::Ref(v[k].as_i64().and_then(|x| i32::try_from(x).ok()));
    facts.set("ticket.assignee", id("assignee_id"));
    facts.set("ticket.team", id("team_id"));
    facts.set(
        "ticket.tags",
        Fact::List(
            v["tags"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        ),
    );
    if let Some(fields) = v["fields"].as_object() {
        facts.0.retain(|k, _| !k.starts_with("field."));
        for (k, x) in fields {
            let s = x.as_str().map_or_else(|| x.to_string(), str::to_owned);
            facts.set(&format!("field.{k}"), Fact::Text(s));
        }
    }
    facts.set("time.hours_since_update", Fact::Num(0.0));
}

/// Fires one rule on one ticket under a savepoint and logs it. Returns the
/// ticket's after-snapshot when it applied (the facts may have changed).
async fn fire(
    uow: &mut UnitOfWork,
    scope: Scoped,
    r: &Loaded,
    conversation_id: i32,
    event: &str,
) -> ServiceResult<Option<String>> {
    let before = snapshot(&**uow, scope, conversation_id).await?;
    uow.savepoint().await?;
    let outer_rule = uow.acting_rule();
    uow.set_acting_rule(Some(r.id));
    let res = apply_actions(
        uow,
        scope,
        Source::Rule(r),
        &r.form.actions,
        conversation_id,
        0,
    )
    .await;
    uow.set_acting_rule(outer_rule);
    match res {
        Ok(changes) => {
            uow.release_savepoint().await?;
            let after = snapshot(&**uow, scope, conversation_id).await?;
            record(
                &**uow,
                scope,
                r,
                conversation_id,
                event,
                "applied",
                &changes,
                (&before, &after),
                None,
            )
            .await?;
            scope
                .update_many::<rule::Entity>()
                .col_expr(
                    rule::Column::Fired,
                    sea_orm::sea_query::Expr::col(rule::Column::Fired).add(1),
                )
                .col_expr(
                    rule::Column::LastFiredAt,
                    sea_orm::sea_query::Expr::value(now()),
                )
                .filter(rule::Column::Id.eq(r.id))
                .exec(&**uow)
                .await?;
            Ok(Some(after))
        }
        Err(e) => {
            uow.rollback_savepoint().await?;
            if matches!(e, ServiceError::Db(_)) {
                // A database failure is not the rule's fault: let the unit of work fail.
                return Err(e);
            }
            record(
                &**uow,
                scope,
                r,
                conversation_id,
                event,
                "failed",
                &[],
                (&before, &before),
                Some(e.to_string()),
            )
            .await?;
            Ok(None)
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn record(
    db: &impl ConnectionTrait,
    scope: Scoped,
    r: &Loaded,
    conversation_id: i32,
    event: &str,
    outcome: &str,
    changes: &[String],
    (before, after): (&String, &String),
    error: Option<String>,
) -> ServiceResult<()> {
    rule_firing::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        rule_id: Set(r.id),
        rule_version: Set(r.version),
        conversation_id: Set(conversation_id),
        event: Set(event.to_owned()),
        outcome: Set(outcome.to_owned()),
        changes: Set(serde_json::to_string(changes).unwrap_or_else(|_| "[]".into())),
        before: Set(before.clone()),
        after: Set(after.clone()),
        error: Set(error),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The template context for a rule's reply, note or notification.
async fn context(
    db: &impl ConnectionTrait,
    scope: Scoped,
    c: &conversation::Model,
) -> ServiceResult<serde_json::Value> {
    let cust = customers::find(db, scope, c.customer_id).await?;
    let agent = match c.assignee_id {
        Some(u) => global::<user::Entity>()
            .filter(user::Column::Id.eq(u))
            .one(db)
            .await?
            .map(|u| (u.name, u.email)),
        None => None,
    };
    let ws = global::<entity::workspace::Entity>()
        .filter(entity::workspace::Column::Id.eq(scope.workspace_id()))
        .one(db)
        .await?
        .map(|w| w.name)
        .unwrap_or_default();
    let first = |n: &str| n.split_whitespace().next().unwrap_or_default().to_owned();
    let (an, ae) = agent.unwrap_or_else(|| (format!("The {ws} team"), String::new()));
    Ok(serde_json::json!({
        "customer": {
            "name": cust.name, "first_name": first(&cust.name),
            "email": cust.email.clone().unwrap_or_default(),
            "company": cust.company.clone().unwrap_or_default(),
        },
        "ticket": {
            "id": ticket_ref(c.number), "number": ticket_ref(c.number),
            "subject": c.subject, "status": c.status,
        },
        "agent": { "name": an, "first_name": first(&an), "email": ae },
        "workspace": { "name": ws },
    }))
}

/// A rule's JSON tool input with each text value rendered as a template.
async fn render_json(
    db: &impl ConnectionTrait,
    scope: Scoped,
    c: &conversation::Model,
    input: &str,
) -> ServiceResult<serde_json::Value> {
    let mut v: serde_json::Value = serde_json::from_str(input).map_err(|e| {
        ServiceError::invalid("actions", format!("The tool input is not JSON: {e}."))
    })?;
    render_strings(db, scope, c, &mut v).await?;
    Ok(v)
}

/// Renders every text value in `v` as a template (in place).
async fn render_strings(
    db: &impl ConnectionTrait,
    scope: Scoped,
    c: &conversation::Model,
    v: &mut serde_json::Value,
) -> ServiceResult<()> {
    let mut stack: Vec<&mut serde_json::Value> = vec![v];
    let mut pending: Vec<&mut String> = Vec::new();
    while let Some(x) = stack.pop() {
        match x {
            serde_json::Value::String(s) if s.contains("{{") => pending.push(s),
            serde_json::Value::Array(a) => stack.extend(a.iter_mut()),
            serde_json::Value::Object(o) => stack.extend(o.values_mut()),
            _ => {}
        }
    }
    for s in pending {
        *s = render(db, scope, c, s).await?;
    }
    Ok(())
}

async fn render(
    db: &impl ConnectionTrait,
    scope: Scoped,
    c: &conversation::Model,
    template: &str,
) -> ServiceResult<String> {
    let ctx = context(db, scope, c).await?;
    let r = canned::render_with(template, &ctx)?;
    if !r.unknown_variables.is_empty() {
        return Err(ServiceError::invalid(
            "actions",
            format!("Unknown variable(s): {}.", r.unknown_variables.join(", ")),
        ));
    }
    Ok(r.text)
}

/// Who runs a list of actions: a rule, or a step of a workflow.
#[derive(Clone, Copy, Debug)]
pub enum Source<'a> {
    /// A rule firing.
    Rule(&'a Loaded),
    /// A workflow's "Ticket action" step.
    Workflow {
        /// Flow id.
        id: i32,
        /// Its name.
        name: &'a str,
        /// The version the run is on.
        version: i32,
    },
}

impl Source<'_> {
    fn name(&self) -> &str {
        match self {
            Self::Rule(r) => &r.name,
            Self::Workflow { name, .. } => name,
        }
    }

    fn label(&self) -> String {
        match self {
            Self::Rule(r) => rule_label(&r.name),
            Self::Workflow { name, .. } => format!("Workflow: {name}"),
        }
    }

    /// The webhook event and the part of its payload that names the source.
    fn webhook(&self) -> (&'static str, &'static str, serde_json::Value) {
        match self {
            Self::Rule(r) => (
                "rule.fired",
                "rule",
                serde_json::json!({"id": r.id, "name": r.name, "version": r.version}),
            ),
            Self::Workflow { id, name, version } => (
                "workflow.step",
                "workflow",
                serde_json::json!({"id": id, "name": name, "version": version}),
            ),
        }
    }
}

/// Carries out one action of a workflow's step on a ticket, exactly as a rule
/// would (the same services, templates and checks); returns the change in
/// words. The caller provides the savepoint.
///
/// # Errors
/// `Invalid` when the action cannot apply (a deleted endpoint, an unknown
/// template variable); database errors.
pub async fn run_workflow_action(
    uow: &mut UnitOfWork,
    scope: Scoped,
    source: Source<'_>,
    action: &RuleAction,
    conversation_id: i32,
) -> ServiceResult<Vec<String>> {
    apply_actions(
        uow,
        scope,
        source,
        std::slice::from_ref(action),
        conversation_id,
        0,
    )
    .await
}

/// Applies a list of actions to a ticket; returns the changes in words.
fn apply_actions<'a>(
    uow: &'a mut UnitOfWork,
    scope: Scoped,
    src: Source<'a>,
    actions: &'a [RuleAction],
    conversation_id: i32,
    depth: usize,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ServiceResult<Vec<String>>> + Send + 'a>> {
    Box::pin(async move {
        let label = src.label();
        let who = Who {
            user_id: None,
            label: label.clone(),
        };
        let meta = RequestMeta::default();
        let mut patch = conversations::ConversationPatch::default();
        let mut changes = Vec::new();
        let (mut add, mut remove) = (Vec::new(), Vec::new());
        let mut later: Vec<&RuleAction> = Vec::new();
        for a in actions {
            match a {
                RuleAction::Assign { user_id } => patch.assignee_id = Some(*user_id),
                RuleAction::SetTeam { team_id } => patch.team_id = Some(*team_id),
                RuleAction::SetStatus { status } => {
                    patch.status = Some(Status::parse(status).ok_or_else(|| {
                        ServiceError::invalid("actions", format!("Unknown status `{status}`."))
                    })?);
                }
                RuleAction::Close => patch.status = Some(Status::Closed),
                RuleAction::SetPriority { priority } => {
                    patch.priority = Some(Priority::parse(priority).ok_or_else(|| {
                        ServiceError::invalid("actions", format!("Unknown priority `{priority}`."))
                    })?);
                }
                RuleAction::Escalate { .. } => {
                    patch.priority = Some(Priority::Urgent);
                    later.push(a);
                }
                RuleAction::SetField { key, value } => {
                    patch.fields.push((key.clone(), value.clone()));
                }
                RuleAction::AddTags { tags } => add.extend(tags.iter().cloned()),
                RuleAction::RemoveTags { tags } => remove.extend(tags.iter().cloned()),
                _ => later.push(a),
            }
        }
        if !add.is_empty() || !remove.is_empty() {
            let before = conversations::tag_names(&**uow, scope, conversation_id).await?;
            let added =
                conversations::set_tags_in(&**uow, scope, conversation_id, &add, &remove).await?;
            let removing = remove
                .iter()
                .any(|t| before.iter().any(|b| b.eq_ignore_ascii_case(t.trim())));
            let after = if added.is_empty() && !removing {
                before.clone()
            } else {
                conversations::tag_names(&**uow, scope, conversation_id).await?
            };
            if before != after {
                let plus: Vec<&String> = after.iter().filter(|t| !before.contains(t)).collect();
                let minus: Vec<&String> = before.iter().filter(|t| !after.contains(t)).collect();
                if !plus.is_empty() {
                    changes.push(format!(
                        "Tagged {}",
                        plus.iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                if !minus.is_empty() {
                    changes.push(format!(
                        "Removed tags {}",
                        minus
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                let c = conversations::find(&**uow, scope, conversation_id).await?;
                let c = conversations::touch(&**uow, c).await?;
                conversations::note_updated(uow, &c, vec!["tags"]);
            }
        }
        if !patch.is_empty() {
            let b = conversations::find(&**uow, scope, conversation_id).await?;
            let c = conversations::apply_patch_as(uow, scope, &who, conversation_id, &patch, &meta)
                .await?;
            changes.extend(patch_words(&**uow, scope, &b, &c).await?);
        }
        for a in later {
            let c = conversations::find(&**uow, scope, conversation_id).await?;
            match a {
                RuleAction::Reply { text } => {
                    let body = render(&**uow, scope, &c, text).await?;
                    messages::insert_automated_reply(uow, scope, &c, &body, Some(&label)).await?;
                    changes.push(format!("Replied: {}", short(&body)));
                }
                RuleAction::Note { text } => {
                    let body = render(&**uow, scope, &c, text).await?;
                    messages::insert_automated_note(uow, scope, &c, &body, &label).await?;
                    changes.push(format!("Noted: {}", short(&body)));
                }
                RuleAction::Notify {
                    target,
                    text,
                    after_mins,
                } => {
                    let body = render(&**uow, scope, &c, text).await?;
                    let at = after_mins.map(|m| now() + chrono::Duration::minutes(i64::from(m)));
                    let n =
                        notify(uow, scope, &c, NoticeKind::Rule, target, &label, &body, at).await?;
                    changes.push(match after_mins {
                        Some(m) => format!("Scheduled a notification to {n} member(s) in {m} min"),
                        None => format!("Notified {n} member(s)"),
                    });
                }
                RuleAction::Escalate { reason } => {
                    let why = if reason.trim().is_empty() {
                        "no reason given".to_owned()
                    } else {
                        reason.trim().to_owned()
                    };
                    let body = format!("Escalated by {label}: {why}");
                    messages::insert_automated_note(uow, scope, &c, &body, &label).await?;
                    let n = notify(
                        uow,
                        scope,
                        &c,
                        NoticeKind::Escalation,
                        &NotifyTarget::Admins,
                        &label,
                        &why,
                        None,
                    )
                    .await?;
                    changes.push(format!("Escalated ({why}); told {n} admin(s)"));
                }
                RuleAction::Webhook { endpoint_id } => {
                    let cfg = uow.state().config.jobs.clone();
                    let (event, key, who) = src.webhook();
                    let mut payload = serde_json::json!({
                        "conversation": {
                            "id": c.id, "number": c.number, "reference": ticket_ref(c.number),
                            "subject": c.subject, "status": c.status, "priority": c.priority,
                            "assignee_id": c.assignee_id, "team_id": c.team_id,
                        },
                    });
                    payload[key] = who;
                    let id =
                        webhooks::enqueue_one(&**uow, &cfg, scope, *endpoint_id, event, payload)
                            .await?;
                    uow.jobs_enqueued();
                    changes.push(format!(
                        "Sent to webhook endpoint {endpoint_id} (delivery {id})"
                    ));
                }
                RuleAction::StartRule { rule_id } => {
                    if depth + 1 >= MAX_CHAIN {
                        return Err(ServiceError::invalid(
                            "actions",
                            format!("Rules can start other rules at most {MAX_CHAIN} deep."),
                        ));
                    }
                    let other = scope
                        .find::<rule::Entity>()
                        .filter(rule::Column::Id.eq(*rule_id))
                        .one(&**uow)
                        .await?
                        .ok_or_else(|| {
                            ServiceError::invalid(
                                "actions",
                                format!("Rule {rule_id} no longer exists."),
                            )
                        })?;
                    let other = load(other);
                    let inner = apply_actions(
                        uow,
                        scope,
                        Source::Rule(&other),
                        &other.form.actions,
                        conversation_id,
                        depth + 1,
                    )
                    .await?;
                    changes.push(format!("Started rule “{}”", other.name));
                    changes.extend(inner);
                }
                RuleAction::RequestApproval {
                    tool,
                    input,
                    reason,
                } => {
                    let input = render_json(&**uow, scope, &c, input).await?;
                    let (id, status) = crate::services::actions::request_approval_in(
                        uow,
                        scope,
                        crate::services::actions::Proposal {
                            tool: tool.clone(),
                            input,
                            conversation_id: Some(c.id),
                            reasoning: Some(if reason.trim().is_empty() {
                                format!("{label} asks for approval.")
                            } else {
                                format!("{label}: {}", reason.trim())
                            }),
                            proposer: crate::services::actions::Proposer::Rule(
                                src.name().to_owned(),
                            ),
                            customer_note: None,
                        },
                    )
                    .await?;
                    changes.push(if status == "denied" {
                        format!("Asked for approval of {tool}: a policy denies it (action {id})")
                    } else {
                        format!("Asked for approval of {tool} (action {id}, {status})")
                    });
                }
                _ => {}
            }
        }
        Ok(changes)
    })
}

fn short(s: &str) -> String {
    crate::services::inbox::excerpt(s, 80)
}

/// What a patch changed, in words (only what really changed).
async fn patch_words(
    db: &impl ConnectionTrait,
    scope: Scoped,
    b: &conversation::Model,
    c: &conversation::Model,
) -> ServiceResult<Vec<String>> {
    let mut out = Vec::new();
    if b.status != c.status {
        out.push(format!(
            "Status {} → {}",
            Status::parse(&b.status).map_or(b.status.as_str(), |s| s.label()),
            Status::parse(&c.status).map_or(c.status.as_str(), |s| s.label())
        ));
    }
    if b.priority != c.priority {
        out.push(format!(
            "Priority {} → {}",
            Priority::parse(&b.priority).map_or(b.priority.as_str(), |s| s.label()),
            Priority::parse(&c.priority).map_or(c.priority.as_str(), |s| s.label())
        ));
    }
    if b.assignee_id != c.assignee_id {
        let name = match c.assignee_id {
            Some(u) => global::<user::Entity>()
                .filter(user::Column::Id.eq(u))
                .one(db)
                .await?
                .map_or_else(|| format!("member #{u}"), |u| u.name),
            None => "nobody".to_owned(),
        };
        out.push(format!("Assigned to {name}"));
    }
    if b.team_id != c.team_id {
        let name = match c.team_id {
            Some(t) => scope
                .find::<entity::team::Entity>()
                .filter(entity::team::Column::Id.eq(t))
                .one(db)
                .await?
                .map_or_else(|| format!("team #{t}"), |t| t.name),
            None => "no team".to_owned(),
        };
        out.push(format!("Routed to {name}"));
    }
    if b.custom_fields != c.custom_fields {
        out.push("Fields changed".to_owned());
    }
    Ok(out)
}

/// Tells members through the notification service (each as they prefer); returns
/// how many were told (or will be, at `send_at`).
#[allow(clippy::too_many_arguments)]
async fn notify(
    uow: &mut UnitOfWork,
    scope: Scoped,
    c: &conversation::Model,
    kind: NoticeKind,
    target: &NotifyTarget,
    label: &str,
    body: &str,
    send_at: Option<chrono::DateTime<chrono::Utc>>,
) -> ServiceResult<usize> {
    let ids: Vec<i32> = match target {
        NotifyTarget::Assignee => c.assignee_id.into_iter().collect(),
        NotifyTarget::User { user_id } => vec![*user_id],
        NotifyTarget::Admins => scope
            .find::<membership::Entity>()
            .filter(membership::Column::Role.is_in(["owner", "admin"]))
            .all(&**uow)
            .await?
            .into_iter()
            .map(|m| m.user_id)
            .collect(),
    };
    let mut notice = Notice::about(kind, c, label, body).to(ids);
    notice.send_at = send_at;
    notify::dispatch_in(uow, scope, notice).await
}

/// The scheduled pass: every enabled automation over each workspace's open
/// tickets (least recently changed first, up to [`AUTOMATION_BATCH`]). An
/// automation fires on a ticket once.
///
/// # Errors
/// A message for the job log.
pub async fn run_automations(state: &AppState) -> Result<(), String> {
    let ws: Vec<i32> = crate::services::tenancy::System::new(
        "the scheduled automations pass reads every workspace's rules",
    )
    .find::<rule::Entity>()
    .filter(rule::Column::Enabled.eq(true))
    .filter(rule::Column::Kind.eq(RuleKind::Automation.as_str()))
    .select_only()
    .column(rule::Column::WorkspaceId)
    .distinct()
    .into_tuple()
    .all(&state.db)
    .await
    .map_err(|e| e.to_string())?;
    for w in ws {
        automations_for(state, Scoped::new(w))
            .await
            .map_err(|e| format!("workspace {w}: {e}"))?;
    }
    Ok(())
}

/// One workspace's scheduled pass; returns how many firings it made.
///
/// # Errors
/// Database errors.
pub async fn automations_for(state: &AppState, scope: Scoped) -> ServiceResult<usize> {
    let rules = enabled(&state.db, scope, RuleKind::Automation).await?;
    let needs = needs_of(&rules.iter().collect::<Vec<_>>());
    if rules.is_empty() {
        return Ok(0);
    }
    let open: Vec<&str> = Status::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| s.as_str())
        .collect();
    let convs: Vec<i32> = scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::Status.is_in(open))
        .filter(conversation::Column::MergedIntoId.is_null())
        .order_by_asc(conversation::Column::UpdatedAt)
        .limit(AUTOMATION_BATCH)
        .select_only()
        .column(conversation::Column::Id)
        .into_tuple()
        .all(&state.db)
        .await?;
    let mut fired = 0;
    for cid in convs {
        let facts = facts_for(&state.db, scope, cid, &[], &needs).await?;
        for r in &rules {
            if !holds(&r.form.conditions, &facts) {
                continue;
            }
            let done = scope
                .find::<rule_firing::Entity>()
                .filter(rule_firing::Column::ConversationId.eq(cid))
                .filter(rule_firing::Column::RuleId.eq(r.id))
                .count(&state.db)
                .await?
                > 0;
            if done {
                continue;
            }
            let mut uow = UnitOfWork::begin(state).await?;
            uow.count_rule_fire(r.id);
            fire(&mut uow, scope, r, cid, "schedule").await?;
            uow.commit().await?;
            fired += 1;
            // The next automation sees this one's changes.
            break;
        }
    }
    Ok(fired)
}

/// What the rule would do to the newest tickets, changing nothing.
///
/// # Errors
/// Database errors.
pub async fn dry_run(
    db: &impl ConnectionTrait,
    scope: Scoped,
    r: &Loaded,
) -> ServiceResult<DryRunResult> {
    let convs = scope
        .find::<conversation::Entity>()
        .filter(conversation::Column::MergedIntoId.is_null())
        .order_by_desc(conversation::Column::Id)
        .limit(DRY_RUN_LIMIT)
        .all(db)
        .await?;
    let checked = convs.len();
    let mut hits = Vec::new();
    for c in convs {
        let facts = facts_for(db, scope, c.id, &[], &needs_of(&[r])).await?;
        if !holds(&r.form.conditions, &facts) {
            continue;
        }
        let changes = predict(db, scope, r, &c, &facts).await?;
        if !changes.is_empty() {
            hits.push(DryRunHit {
                ticket: c.number,
                subject: c.subject.clone(),
                changes,
            });
        }
    }
    Ok(DryRunResult { checked, hits })
}

/// The changes the actions would make to `c`, without making them.
async fn predict(
    db: &impl ConnectionTrait,
    scope: Scoped,
    r: &Loaded,
    c: &conversation::Model,
    facts: &Facts,
) -> ServiceResult<Vec<String>> {
    let tags = match facts.get("ticket.tags") {
        Some(Fact::List(l)) => l.clone(),
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for a in &r.form.actions {
        match a {
            RuleAction::Assign { user_id } if *user_id != c.assignee_id => {
                let name = match user_id {
                    Some(u) => global::<user::Entity>()
                        .filter(user::Column::Id.eq(*u))
                        .one(db)
                        .await?
                        .map_or_else(|| format!("member #{u}"), |u| u.name),
                    None => "nobody".into(),
                };
                out.push(format!("Assign to {name}"));
            }
            RuleAction::SetTeam { team_id } if *team_id != c.team_id => {
                let name = match team_id {
                    Some(t) => scope
                        .find::<entity::team::Entity>()
                        .filter(entity::team::Column::Id.eq(*t))
                        .one(db)
                        .await?
                        .map_or_else(|| format!("team #{t}"), |t| t.name),
                    None => "no team".into(),
                };
                out.push(format!("Route to {name}"));
            }
            RuleAction::AddTags { tags: t } => {
                let new: Vec<&str> = t
                    .iter()
                    .map(String::as_str)
                    .filter(|x| !tags.iter().any(|y| y.eq_ignore_ascii_case(x)))
                    .collect();
                if !new.is_empty() {
                    out.push(format!("Tag {}", new.join(", ")));
                }
            }
            RuleAction::RemoveTags { tags: t } => {
                let gone: Vec<&str> = t
                    .iter()
                    .map(String::as_str)
                    .filter(|x| tags.iter().any(|y| y.eq_ignore_ascii_case(x)))
                    .collect();
                if !gone.is_empty() {
                    out.push(format!("Remove tags {}", gone.join(", ")));
                }
            }
            RuleAction::SetStatus { status } if *status != c.status => {
                out.push(format!(
                    "Status {} → {}",
                    Status::parse(&c.status).map_or(c.status.as_str(), |s| s.label()),
                    Status::parse(status).map_or(status.as_str(), |s| s.label())
                ));
            }
            RuleAction::Close if c.status != Status::Closed.as_str() => {
                out.push("Close".to_owned());
            }
            RuleAction::SetPriority { priority } if *priority != c.priority => {
                out.push(format!(
                    "Priority {} → {}",
                    Priority::parse(&c.priority).map_or(c.priority.as_str(), |s| s.label()),
                    Priority::parse(priority).map_or(priority.as_str(), |s| s.label())
                ));
            }
            RuleAction::SetField { key, value } => {
                out.push(format!("Set {key} to “{value}”"));
            }
            RuleAction::Reply { text } => {
                let body = render(db, scope, c, text).await?;
                out.push(format!("Send reply: {}", short(&body)));
            }
            RuleAction::Note { text } => {
                let body = render(db, scope, c, text).await?;
                out.push(format!("Add note: {}", short(&body)));
            }
            RuleAction::Notify { target, .. } => out.push(format!(
                "Notify {}",
                match target {
                    NotifyTarget::Assignee => "the assignee".to_owned(),
                    NotifyTarget::Admins => "the admins".to_owned(),
                    NotifyTarget::User { user_id } => format!("member #{user_id}"),
                }
            )),
            RuleAction::Webhook { endpoint_id } => {
                out.push(format!("Send to webhook endpoint {endpoint_id}"));
            }
            RuleAction::Escalate { .. } => out.push("Escalate (urgent, admins told)".to_owned()),
            RuleAction::StartRule { rule_id } => out.push(format!("Start rule #{rule_id}")),
            RuleAction::RequestApproval { tool, .. } => {
                out.push(format!("Ask for approval of {tool}"));
            }
            _ => {}
        }
    }
    Ok(out)
}
