//! Automation rules (SPEC C7.1–C7.4): triggers that run when a ticket is created,
//! a customer writes or a ticket changes, and automations that run on a schedule
//! over open tickets. Each rule has nested AND/OR conditions and a list of
//! actions; every save is a new version (compare, restore); every firing is
//! logged with the ticket before and after; a dry run shows what a rule would do
//! to existing tickets without changing them.
//!
//! Rules run as the `rules` stage of the pipeline ([`engine::RulesStage`]),
//! registered at start-up in [`super::wiring`].

pub mod conditions;
pub mod engine;

use super::activity::{self, Entry, Who};
use super::context::{Actor, RequestMeta};
use super::tenancy::Scoped;
use super::{now, AppState, ServiceError, ServiceResult};
use crate::permissions::Action;
use crate::types::{
    Cond, DryRunResult, NotifyTarget, Priority, RuleAction, RuleEvent, RuleField, RuleFiringView,
    RuleForm, RuleKind, RuleVersionView, RuleView, RulesPage, Status, MAX_RULE_ACTIONS,
};
use entity::{custom_field_def, rule, rule_firing, rule_version, team, webhook_endpoint};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set, SqlErr, TransactionTrait,
};

/// The longest a rule's notification may wait (7 days), in minutes.
pub const MAX_NOTIFY_DELAY_MINS: u32 = 7 * 24 * 60;

/// A stored rule, parsed.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// Id.
    pub id: i32,
    /// Name.
    pub name: String,
    /// Current version.
    pub version: i32,
    /// The definition.
    pub form: RuleForm,
    /// The row.
    pub row: rule::Model,
}

/// Parses a row (a definition that no longer parses runs nothing).
pub fn load(m: rule::Model) -> Loaded {
    let form = RuleForm {
        id: Some(m.id),
        name: m.name.clone(),
        description: m.description.clone(),
        kind: RuleKind::parse(&m.kind).unwrap_or_default(),
        events: m
            .events
            .split(',')
            .filter_map(|e| RuleEvent::parse(e.trim()))
            .collect(),
        conditions: serde_json::from_str(&m.conditions).unwrap_or_else(|_| Cond::Group {
            any: true,
            items: vec![Cond::Group {
                any: true,
                items: vec![Cond::Test {
                    field: "ticket.status".into(),
                    op: crate::types::CondOp::Is,
                    value: "__unreadable__".into(),
                }],
            }],
        }),
        actions: serde_json::from_str(&m.actions).unwrap_or_default(),
        enabled: m.enabled,
    };
    Loaded {
        id: m.id,
        name: m.name.clone(),
        version: m.version,
        form,
        row: m,
    }
}

/// The names of the workspace's rules (on or off) whose conditions test
/// segment `id` (a segment in use cannot be deleted).
///
/// # Errors
/// Database errors.
pub async fn using_segment(
    db: &impl ConnectionTrait,
    scope: Scoped,
    id: i32,
) -> ServiceResult<Vec<String>> {
    Ok(scope
        .find::<rule::Entity>()
        .filter(rule::Column::Conditions.contains(conditions::SEGMENTS_FIELD))
        .order_by_asc(rule::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(load)
        .filter(|r| {
            let mut ids = std::collections::BTreeSet::new();
            conditions::segments_tested(&r.form.conditions, &mut ids);
            ids.contains(&id)
        })
        .map(|r| r.name)
        .collect())
}

/// How a rule signs what it writes ("Rule: Welcome").
pub fn rule_label(name: &str) -> String {
    format!("Rule: {name}")
}

/// Members, teams, endpoints and custom fields of a workspace, for the editor and
/// validation.
struct Lookups {
    members: Vec<(i32, String)>,
    teams: Vec<(i32, String)>,
    endpoints: Vec<(i32, String)>,
    segments: Vec<(i32, String)>,
    custom: Vec<(String, String)>,
}

impl Lookups {
    fn fields(&self) -> Vec<RuleField> {
        conditions::builtin_fields(&self.members, &self.teams, &self.segments, &self.custom)
    }
}

async fn lookups(db: &impl ConnectionTrait, scope: Scoped) -> ServiceResult<Lookups> {
    let members = super::context::member_names(db, scope).await?;
    let teams = scope
        .find::<team::Entity>()
        .order_by_asc(team::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let endpoints = scope
        .find::<webhook_endpoint::Entity>()
        .order_by_asc(webhook_endpoint::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, e.url))
        .collect();
    let custom = scope
        .find::<custom_field_def::Entity>()
        .order_by_asc(custom_field_def::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.key, d.label))
        .collect();
    Ok(Lookups {
        members,
        teams,
        endpoints,
        segments: super::segments::names(db, scope).await?,
        custom,
    })
}

/// Checks a form against the workspace; returns it cleaned (trimmed name, events
/// deduplicated). Messages name the part at fault.
async fn validate(
    db: &impl ConnectionTrait,
    scope: Scoped,
    form: &RuleForm,
    lk: &Lookups,
) -> ServiceResult<RuleForm> {
    let mut f = form.clone();
    f.name = f.name.trim().to_owned();
    f.description = f.description.trim().chars().take(500).collect();
    if f.name.is_empty() || f.name.chars().count() > 80 {
        return Err(ServiceError::invalid(
            "name",
            "A rule name must be 1 to 80 characters.",
        ));
    }
    let mut events = Vec::new();
    for e in &f.events {
        if !events.contains(e) {
            events.push(*e);
        }
    }
    f.events = events;
    if f.kind == RuleKind::Trigger && f.events.is_empty() {
        return Err(ServiceError::invalid(
            "events",
            "Choose at least one event the trigger runs on.",
        ));
    }
    if f.kind == RuleKind::Automation {
        f.events.clear();
    }
    // A lone test at the top becomes a group.
    if matches!(f.conditions, Cond::Test { .. }) {
        f.conditions = Cond::Group {
            any: false,
            items: vec![f.conditions.clone()],
        };
    }
    conditions::validate(&f.conditions, &lk.fields())
        .map_err(|m| ServiceError::invalid("conditions", m))?;
    if f.kind == RuleKind::Automation && !has_time_test(&f.conditions) {
        return Err(ServiceError::invalid(
            "conditions",
            "An automation runs over open tickets every few minutes: add a time condition (for example “Hours since the customer last wrote is above 48”) so it fires when something has waited, not at once on every ticket.",
        ));
    }
    if f.actions.is_empty() {
        return Err(ServiceError::invalid("actions", "Add at least one action."));
    }
    if f.actions.len() > MAX_RULE_ACTIONS {
        return Err(ServiceError::invalid(
            "actions",
            format!("A rule can have at most {MAX_RULE_ACTIONS} actions."),
        ));
    }
    for (i, a) in f.actions.iter_mut().enumerate() {
        check_action(db, scope, form.id, a, lk).await.map_err(|m| {
            ServiceError::invalid(
                "actions",
                format!(
                    "Action {} ({}): {m}",
                    i + 1,
                    RuleAction::kind_label(a.kind())
                ),
            )
        })?;
    }
    Ok(f)
}

/// Checks the ticket actions of a workflow's steps against the workspace the way
/// a rule's save does (members, teams, fields, endpoints, rules and tools exist;
/// templates know their variables; tags are normalised in place).
///
/// # Errors
/// `Invalid` (`graph`) naming the first step at fault; database errors.
pub async fn check_workflow_actions(
    db: &impl ConnectionTrait,
    scope: Scoped,
    steps: Vec<(&str, &mut RuleAction)>,
) -> ServiceResult<()> {
    if steps.is_empty() {
        return Ok(());
    }
    let lk = lookups(db, scope).await?;
    for (id, a) in steps {
        check_action(db, scope, None, a, &lk).await.map_err(|m| {
            ServiceError::invalid(
                "graph",
                format!("Step “{id}” ({}): {m}", RuleAction::kind_label(a.kind())),
            )
        })?;
    }
    Ok(())
}

fn has_time_test(c: &Cond) -> bool {
    match c {
        Cond::Group { items, .. } => items.iter().any(has_time_test),
        Cond::Test { field, .. } => field.starts_with("time."),
    }
}

async fn check_action(
    db: &impl ConnectionTrait,
    scope: Scoped,
    self_id: Option<i32>,
    a: &mut RuleAction,
    lk: &Lookups,
) -> Result<(), String> {
    let template = |t: &str| -> Result<(), String> {
        if t.trim().is_empty() {
            return Err("write the text first.".into());
        }
        let r = super::inbox::canned::render_with(t, &super::inbox::canned::sample_context())
            .map_err(|e| e.to_string())?;
        if r.unknown_variables.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "unknown variable(s) {}.",
                r.unknown_variables.join(", ")
            ))
        }
    };
    match a {
        RuleAction::Assign { user_id: Some(u) } => {
            if !lk.members.iter().any(|(id, _)| id == u) {
                return Err(format!("member #{u} is not in this workspace."));
            }
        }
        RuleAction::SetTeam { team_id: Some(t) } => {
            if !lk.teams.iter().any(|(id, _)| id == t) {
                return Err(format!("team #{t} is not in this workspace."));
            }
        }
        RuleAction::AddTags { tags } | RuleAction::RemoveTags { tags } => {
            if tags.is_empty() {
                return Err("name at least one tag.".into());
            }
            for t in tags.iter_mut() {
                *t = super::inbox::conversations::normalize_tag(t).map_err(|e| e.to_string())?;
            }
        }
        RuleAction::SetField { key, .. } => {
            if !lk.custom.iter().any(|(k, _)| k == key) {
                return Err(format!("`{key}` is not a custom field here."));
            }
        }
        RuleAction::SetStatus { status } => {
            if Status::parse(status).is_none() {
                return Err(format!("`{status}` is not a status."));
            }
        }
        RuleAction::SetPriority { priority } => {
            if Priority::parse(priority).is_none() {
                return Err(format!("`{priority}` is not a priority."));
            }
        }
        RuleAction::Reply { text } | RuleAction::Note { text } => template(text)?,
        RuleAction::Notify {
            target,
            text,
            after_mins,
        } => {
            template(text)?;
            if after_mins.is_some_and(|m| m == 0 || m > MAX_NOTIFY_DELAY_MINS) {
                return Err(format!(
                    "a notification can wait 1 to {MAX_NOTIFY_DELAY_MINS} minutes (7 days); leave it empty to send at once."
                ));
            }
            if let NotifyTarget::User { user_id } = target {
                if !lk.members.iter().any(|(id, _)| id == user_id) {
                    return Err(format!("member #{user_id} is not in this workspace."));
                }
            }
        }
        RuleAction::Webhook { endpoint_id } => {
            if !lk.endpoints.iter().any(|(id, _)| id == endpoint_id) {
                return Err(
                    "choose a webhook endpoint (add one in Settings → Webhooks first).".into(),
                );
            }
        }
        RuleAction::StartRule { rule_id } => {
            if Some(*rule_id) == self_id {
                return Err("a rule cannot start itself.".into());
            }
            let exists = scope
                .find::<rule::Entity>()
                .filter(rule::Column::Id.eq(*rule_id))
                .one(db)
                .await
                .map_err(|e| e.to_string())?
                .is_some();
            if !exists {
                return Err(format!("there is no rule #{rule_id} here."));
            }
        }
        RuleAction::RequestApproval { tool, input, .. } => {
            let reg = super::actions::registry::get();
            let Some(t) = reg.tool(tool.trim()) else {
                return Err(if tool.trim().is_empty() {
                    "choose the tool to ask approval for.".to_owned()
                } else {
                    format!("there is no tool named `{}`.", tool.trim())
                });
            };
            *tool = t.name.to_owned();
            if input.trim().is_empty() {
                *input = "{}".into();
            }
            let v: serde_json::Value = serde_json::from_str(input)
                .map_err(|e| format!("the tool input is not JSON ({e})."))?;
            // Templated text is checked with sample values.
            let mut sample = v.clone();
            fill_samples(&mut sample);
            t.validate(&sample)
                .map_err(|m| format!("{}: {m}", t.name))?;
        }
        RuleAction::Assign { user_id: None }
        | RuleAction::SetTeam { team_id: None }
        | RuleAction::Escalate { .. }
        | RuleAction::Close => {}
    }
    Ok(())
}

/// Replaces each templated text value with its sample rendering, so the tool's
/// schema checks a value like the one a firing sends.
fn fill_samples(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) if s.contains("{{") => {
            if let Ok(r) =
                super::inbox::canned::render_with(s, &super::inbox::canned::sample_context())
            {
                *s = r.text;
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(fill_samples),
        serde_json::Value::Object(o) => o.values_mut().for_each(fill_samples),
        _ => {}
    }
}

fn view(l: &Loaded, fields: &[RuleField]) -> RuleView {
    RuleView {
        id: l.id,
        name: l.name.clone(),
        description: l.form.description.clone(),
        kind: l.form.kind,
        events: l.form.events.clone(),
        summary: conditions::describe(&l.form.conditions, fields),
        conditions: l.form.conditions.clone(),
        actions: l.form.actions.clone(),
        enabled: l.form.enabled,
        position: l.row.position,
        version: l.version,
        fired: l.row.fired,
        last_fired_at: l.row.last_fired_at.map(|t| t.to_rfc3339()),
        updated_by: l.row.updated_by_label.clone(),
        updated_at: l.row.updated_at.to_rfc3339(),
    }
}

async fn find(db: &impl ConnectionTrait, scope: Scoped, id: i32) -> ServiceResult<rule::Model> {
    scope
        .find::<rule::Entity>()
        .filter(rule::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("Rule"))
}

/// The rules page: every rule in running order (triggers first), what the
/// editor needs, and the latest firings.
///
/// # Errors
/// Permission; database errors.
pub async fn page(state: &AppState, actor: &Actor) -> ServiceResult<RulesPage> {
    actor.require(Action::ManageAutomation)?;
    let db = &state.db;
    let lk = lookups(db, actor.scope).await?;
    let fields = lk.fields();
    let mut rules: Vec<Loaded> = actor
        .scope
        .find::<rule::Entity>()
        .order_by_asc(rule::Column::Position)
        .order_by_asc(rule::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(load)
        .collect();
    rules.sort_by_key(|r| r.form.kind == RuleKind::Automation);
    let firings = firings(db, actor.scope, None, 30).await?;
    Ok(RulesPage {
        rules: rules.iter().map(|r| view(r, &fields)).collect(),
        fields,
        members: lk.members,
        teams: lk.teams,
        endpoints: lk.endpoints,
        custom_fields: lk.custom,
        tools: super::actions::registry::get()
            .all()
            .iter()
            .map(|t| (t.name.to_owned(), t.label.to_owned()))
            .collect(),
        firings,
    })
}

/// The latest firings (of one rule, or of all).
///
/// # Errors
/// Database errors.
pub async fn firings(
    db: &impl ConnectionTrait,
    scope: Scoped,
    rule_id: Option<i32>,
    limit: u64,
) -> ServiceResult<Vec<RuleFiringView>> {
    let mut q = scope.find::<rule_firing::Entity>();
    if let Some(r) = rule_id {
        q = q.filter(rule_firing::Column::RuleId.eq(r));
    }
    let rows = q
        .order_by_desc(rule_firing::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let rule_ids: Vec<i32> = rows.iter().map(|f| f.rule_id).collect();
    let names: std::collections::HashMap<i32, String> = scope
        .find::<rule::Entity>()
        .filter(rule::Column::Id.is_in(rule_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    let conv_ids: Vec<i32> = rows.iter().map(|f| f.conversation_id).collect();
    let numbers = super::inbox::conversations::numbers(db, scope, conv_ids).await?;
    Ok(rows
        .into_iter()
        .map(|f| RuleFiringView {
            id: f.id,
            rule_id: f.rule_id,
            rule_name: names.get(&f.rule_id).cloned().unwrap_or_default(),
            version: f.rule_version,
            ticket: numbers.get(&f.conversation_id).copied().unwrap_or_default(),
            event: f.event,
            outcome: f.outcome,
            changes: serde_json::from_str(&f.changes).unwrap_or_default(),
            before: f.before,
            after: f.after,
            error: f.error,
            at: f.created_at.to_rfc3339(),
        })
        .collect())
}

/// One rule's latest firings (for its log).
///
/// # Errors
/// Permission; `NotFound`.
pub async fn rule_firings(
    state: &AppState,
    actor: &Actor,
    id: i32,
) -> ServiceResult<Vec<RuleFiringView>> {
    actor.require(Action::ManageAutomation)?;
    find(&state.db, actor.scope, id).await?;
    firings(&state.db, actor.scope, Some(id), 50).await
}

fn encode(f: &RuleForm) -> ServiceResult<(String, String, String)> {
    let events = f
        .events
        .iter()
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let c =
        serde_json::to_string(&f.conditions).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let a = serde_json::to_string(&f.actions).map_err(|e| ServiceError::Internal(e.to_string()))?;
    Ok((events, c, a))
}

fn name_taken(e: sea_orm::DbErr) -> ServiceError {
    if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
        ServiceError::conflict("name", "Another rule already has this name.")
    } else {
        ServiceError::Db(e)
    }
}

/// Creates (no id) or changes a rule; each save stores a new version.
///
/// # Errors
/// Permission; `Invalid` naming the part at fault (nothing saved); `Conflict`
/// when the name is taken; `NotFound`.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    form: &RuleForm,
    meta: &RequestMeta,
) -> ServiceResult<RuleView> {
    actor.require(Action::ManageAutomation)?;
    let lk = lookups(&state.db, actor.scope).await?;
    let f = validate(&state.db, actor.scope, form, &lk).await?;
    let (events, conds, acts) = encode(&f)?;
    let t = now();
    // One writer at a time on SQLite (see `AppState::sqlite_write_turn`).
    let _turn = state.sqlite_write_turn().await;
    let txn = state.db.begin().await?;
    let (m, created) = match f.id {
        None => {
            let position = actor
                .scope
                .find::<rule::Entity>()
                .select_only()
                .column_as(rule::Column::Position.max(), "m")
                .into_tuple::<Option<i32>>()
                .one(&txn)
                .await?
                .flatten()
                .unwrap_or(0)
                + 1;
            let m = rule::ActiveModel {
                workspace_id: Set(actor.scope.workspace_id()),
                name: Set(f.name.clone()),
                description: Set(f.description.clone()),
                kind: Set(f.kind.as_str().to_owned()),
                events: Set(events),
                conditions: Set(conds),
                actions: Set(acts),
                enabled: Set(f.enabled),
                position: Set(position),
                version: Set(1),
                fired: Set(0),
                last_fired_at: Set(None),
                updated_by_label: Set(actor.label()),
                created_at: Set(t),
                updated_at: Set(t),
                ..Default::default()
            }
            .insert(&txn)
            .await
            .map_err(name_taken)?;
            (m, true)
        }
        Some(id) => {
            let old = find(&txn, actor.scope, id).await?;
            let version = old.version + 1;
            let mut m = old.into_active_model();
            m.name = Set(f.name.clone());
            m.description = Set(f.description.clone());
            m.kind = Set(f.kind.as_str().to_owned());
            m.events = Set(events);
            m.conditions = Set(conds);
            m.actions = Set(acts);
            m.enabled = Set(f.enabled);
            m.version = Set(version);
            m.updated_by_label = Set(actor.label());
            m.updated_at = Set(t);
            (m.update(&txn).await.map_err(name_taken)?, false)
        }
    };
    let mut snap = f.clone();
    snap.id = Some(m.id);
    rule_version::ActiveModel {
        workspace_id: Set(actor.scope.workspace_id()),
        rule_id: Set(m.id),
        version: Set(m.version),
        definition: Set(
            serde_json::to_string(&snap).map_err(|e| ServiceError::Internal(e.to_string()))?
        ),
        created_by_label: Set(actor.label()),
        created_at: Set(t),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    activity::record(
        &txn,
        actor.scope,
        &Who::from(actor),
        meta,
        Entry::new(if created {
            "rule.created"
        } else {
            "rule.updated"
        })
        .target("rule", m.id.to_string())
        .diff(
            None,
            Some(serde_json::json!({"name": m.name, "version": m.version, "enabled": m.enabled})),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(view(&load(m), &lk.fields()))
}

/// Turns a rule on or off (a new version, like any change).
///
/// # Errors
/// As [`save`].
pub async fn set_enabled(
    state: &AppState,
    actor: &Actor,
    id: i32,
    enabled: bool,
    meta: &RequestMeta,
) -> ServiceResult<RuleView> {
    actor.require(Action::ManageAutomation)?;
    let mut f = load(find(&state.db, actor.scope, id).await?).form;
    f.enabled = enabled;
    save(state, actor, &f, meta).await
}

/// Moves a rule one place up or down among rules of its kind.
///
/// # Errors
/// Permission; `NotFound`.
pub async fn move_rule(state: &AppState, actor: &Actor, id: i32, up: bool) -> ServiceResult<()> {
    actor.require(Action::ManageAutomation)?;
    // One writer at a time on SQLite (see `AppState::sqlite_write_turn`).
    let _turn = state.sqlite_write_turn().await;
    let txn = state.db.begin().await?;
    let me = find(&txn, actor.scope, id).await?;
    let mut all = actor
        .scope
        .find::<rule::Entity>()
        .filter(rule::Column::Kind.eq(me.kind.clone()))
        .order_by_asc(rule::Column::Position)
        .order_by_asc(rule::Column::Id)
        .all(&txn)
        .await?;
    let Some(i) = all.iter().position(|r| r.id == id) else {
        return Err(ServiceError::NotFound("Rule"));
    };
    let j = if up { i.checked_sub(1) } else { Some(i + 1) };
    if let Some(j) = j.filter(|j| *j < all.len()) {
        all.swap(i, j);
        for (n, r) in all.into_iter().enumerate() {
            let pos = i32::try_from(n).unwrap_or(i32::MAX) + 1;
            if r.position != pos {
                let mut m = r.into_active_model();
                m.position = Set(pos);
                m.update(&txn).await?;
            }
        }
    }
    txn.commit().await?;
    Ok(())
}

/// Deletes a rule with its versions and firings.
///
/// # Errors
/// Permission; `NotFound`.
pub async fn delete(
    state: &AppState,
    actor: &Actor,
    id: i32,
    meta: &RequestMeta,
) -> ServiceResult<()> {
    actor.require(Action::ManageAutomation)?;
    // One writer at a time on SQLite (see `AppState::sqlite_write_turn`).
    let _turn = state.sqlite_write_turn().await;
    let txn = state.db.begin().await?;
    let m = find(&txn, actor.scope, id).await?;
    for del in [
        actor
            .scope
            .delete_many::<rule_firing::Entity>()
            .filter(rule_firing::Column::RuleId.eq(id))
            .exec(&txn)
            .await,
        actor
            .scope
            .delete_many::<rule_version::Entity>()
            .filter(rule_version::Column::RuleId.eq(id))
            .exec(&txn)
            .await,
        actor
            .scope
            .delete_many::<rule::Entity>()
            .filter(rule::Column::Id.eq(id))
            .exec(&txn)
            .await,
    ] {
        del?;
    }
    activity::record(
        &txn,
        actor.scope,
        &Who::from(actor),
        meta,
        Entry::new("rule.deleted")
            .target("rule", id.to_string())
            .diff(Some(serde_json::json!({"name": m.name})), None),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A rule's versions, newest first, each in words for comparing.
///
/// # Errors
/// Permission; `NotFound`.
pub async fn versions(
    state: &AppState,
    actor: &Actor,
    id: i32,
) -> ServiceResult<Vec<RuleVersionView>> {
    actor.require(Action::ManageAutomation)?;
    find(&state.db, actor.scope, id).await?;
    let lk = lookups(&state.db, actor.scope).await?;
    let fields = lk.fields();
    Ok(actor
        .scope
        .find::<rule_version::Entity>()
        .filter(rule_version::Column::RuleId.eq(id))
        .order_by_desc(rule_version::Column::Version)
        .all(&state.db)
        .await?
        .into_iter()
        .filter_map(|v| {
            let rule: RuleForm = serde_json::from_str(&v.definition).ok()?;
            Some(RuleVersionView {
                version: v.version,
                by: v.created_by_label,
                at: v.created_at.to_rfc3339(),
                lines: lines(&rule, &fields, &lk),
                rule,
            })
        })
        .collect())
}

/// A rule in words, one line per part (for comparing versions).
fn lines(f: &RuleForm, fields: &[RuleField], lk: &Lookups) -> Vec<String> {
    let mut out = vec![
        format!("Name: {}", f.name),
        format!("Kind: {}", f.kind.label()),
        format!("Runs: {}", if f.enabled { "on" } else { "off" }),
    ];
    if f.kind == RuleKind::Trigger {
        out.push(format!(
            "When: {}",
            f.events
                .iter()
                .map(|e| e.label())
                .collect::<Vec<_>>()
                .join(" or ")
        ));
    }
    out.push(format!(
        "If: {}",
        conditions::describe(&f.conditions, fields)
    ));
    for (i, a) in f.actions.iter().enumerate() {
        out.push(format!("Action {}: {}", i + 1, action_words(a, lk)));
    }
    out
}

fn action_words(a: &RuleAction, lk: &Lookups) -> String {
    let member = |u: &i32| {
        lk.members
            .iter()
            .find(|(id, _)| id == u)
            .map_or_else(|| format!("member #{u}"), |(_, n)| n.clone())
    };
    match a {
        RuleAction::Assign { user_id } => format!(
            "Assign to {}",
            user_id.as_ref().map_or_else(|| "nobody".into(), member)
        ),
        RuleAction::SetTeam { team_id } => format!(
            "Route to {}",
            team_id.map_or_else(
                || "no team".into(),
                |t| lk
                    .teams
                    .iter()
                    .find(|(id, _)| *id == t)
                    .map_or_else(|| format!("team #{t}"), |(_, n)| n.clone())
            )
        ),
        RuleAction::AddTags { tags } => format!("Add tags {}", tags.join(", ")),
        RuleAction::RemoveTags { tags } => format!("Remove tags {}", tags.join(", ")),
        RuleAction::SetField { key, value } => format!("Set {key} to “{value}”"),
        RuleAction::SetStatus { status } => format!(
            "Set status {}",
            Status::parse(status).map_or(status.as_str(), |s| s.label())
        ),
        RuleAction::SetPriority { priority } => format!(
            "Set priority {}",
            Priority::parse(priority).map_or(priority.as_str(), |s| s.label())
        ),
        RuleAction::Reply { text } => format!("Reply “{text}”"),
        RuleAction::Note { text } => format!("Note “{text}”"),
        RuleAction::Notify {
            target,
            text,
            after_mins,
        } => format!(
            "Notify {} “{text}”{}",
            match target {
                NotifyTarget::Assignee => "the assignee".to_owned(),
                NotifyTarget::Admins => "the admins".to_owned(),
                NotifyTarget::User { user_id } => member(user_id),
            },
            after_mins.map_or_else(String::new, |m| format!(" after {m} min"))
        ),
        RuleAction::Webhook { endpoint_id } => format!(
            "Call webhook {}",
            lk.endpoints
                .iter()
                .find(|(id, _)| id == endpoint_id)
                .map_or_else(|| format!("#{endpoint_id}"), |(_, u)| u.clone())
        ),
        RuleAction::Escalate { reason } => format!("Escalate ({reason})"),
        RuleAction::Close => "Close".to_owned(),
        RuleAction::StartRule { rule_id } => format!("Start rule #{rule_id}"),
        RuleAction::RequestApproval {
            tool,
            input,
            reason,
        } => {
            let why = if reason.trim().is_empty() {
                String::new()
            } else {
                format!(" ({})", reason.trim())
            };
            format!("Ask for approval: {tool} {input}{why}")
        }
    }
}

/// Restores a version: saved as a new version with that definition.
///
/// # Errors
/// Permission; `NotFound`; validation (a member or endpoint it names is gone).
pub async fn restore(
    state: &AppState,
    actor: &Actor,
    id: i32,
    version: i32,
    meta: &RequestMeta,
) -> ServiceResult<RuleView> {
    actor.require(Action::ManageAutomation)?;
    find(&state.db, actor.scope, id).await?;
    let v = actor
        .scope
        .find::<rule_version::Entity>()
        .filter(rule_version::Column::RuleId.eq(id))
        .filter(rule_version::Column::Version.eq(version))
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("Version"))?;
    let mut f: RuleForm = serde_json::from_str(&v.definition)
        .map_err(|e| ServiceError::Internal(format!("version {version} does not parse: {e}")))?;
    f.id = Some(id);
    save(state, actor, &f, meta).await
}

/// What the rule in the editor (saved or not) would do to the newest tickets.
/// Nothing is changed.
///
/// # Errors
/// Permission; validation as [`save`].
pub async fn dry_run(
    state: &AppState,
    actor: &Actor,
    form: &RuleForm,
) -> ServiceResult<DryRunResult> {
    actor.require(Action::ManageAutomation)?;
    let lk = lookups(&state.db, actor.scope).await?;
    let f = validate(&state.db, actor.scope, form, &lk).await?;
    let l = Loaded {
        id: f.id.unwrap_or(0),
        name: f.name.clone(),
        version: 0,
        form: f,
        row: rule::Model {
            id: 0,
            workspace_id: actor.scope.workspace_id(),
            name: String::new(),
            description: String::new(),
            kind: String::new(),
            events: String::new(),
            conditions: String::new(),
            actions: String::new(),
            enabled: false,
            position: 0,
            version: 0,
            fired: 0,
            last_fired_at: None,
            updated_by_label: String::new(),
            created_at: now(),
            updated_at: now(),
        },
    };
    engine::dry_run(&state.db, actor.scope, &l).await
}
