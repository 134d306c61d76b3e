//! `/app/settings/rules`: automation rules. Triggers run when a ticket is created,
//! a customer writes or a ticket changes; automations run every few minutes over
//! open tickets. The editor builds nested AND/OR conditions and an action list;
//! a dry run shows what the rule would change on existing tickets; versions can
//! be compared and restored; the firing log shows every firing with the ticket
//! before and after.

use crate::components::{action_error, fmt_time, ErrorBox, FormError, Loading};
use crate::pages::conditions::{cond_view, Ed, Tree};
use crate::serverfns::rules::{
    get_rules, rule_firings, rule_versions, DeleteRule, DryRunRule, MoveRule, RestoreRule,
    SaveRule, SetRuleEnabled,
};
use crate::types::{
    Cond, DryRunResult, NotifyTarget, Priority, RuleAction, RuleEvent, RuleFiringView, RuleForm,
    RuleKind, RuleVersionView, RuleView, RulesPage, Status,
};
use leptos::prelude::*;
use leptos_meta::Title;

/// The actions being edited (same redraw rule as [`Tree`]).
#[derive(Clone, Copy)]
struct Actions {
    list: RwSignal<Vec<RuleAction>>,
    shape: RwSignal<u64>,
}

impl Actions {
    fn edit(self, redraw: bool, f: impl FnOnce(&mut Vec<RuleAction>)) {
        self.list.update_untracked(f);
        if redraw {
            self.shape.update(|n| *n += 1);
        }
    }

    fn one(self, i: usize, f: impl FnOnce(&mut RuleAction)) {
        self.edit(false, |l| {
            if let Some(a) = l.get_mut(i) {
                f(a);
            }
        });
    }
}

/// What the editor needs from the page.
#[derive(Clone)]
struct Ctx {
    members: Vec<(i32, String)>,
    teams: Vec<(i32, String)>,
    endpoints: Vec<(i32, String)>,
    custom: Vec<(String, String)>,
    rules: Vec<(i32, String)>,
    tools: Vec<(String, String)>,
}

fn opt_select(
    label: &'static str,
    testid: &'static str,
    none: &'static str,
    items: Vec<(String, String)>,
    current: String,
    on: impl Fn(String) + 'static,
) -> impl IntoView {
    view! {
        <select aria-label=label data-testid=testid on:change=move |ev| on(event_target_value(&ev))>
            <option value="" selected=current.is_empty()>{none}</option>
            {items.into_iter().map(|(v, l)| {
                let sel = v == current;
                view! { <option value=v selected=sel>{l}</option> }
            }).collect_view()}
        </select>
    }
}

fn ids(v: &[(i32, String)]) -> Vec<(String, String)> {
    v.iter().map(|(i, n)| (i.to_string(), n.clone())).collect()
}

#[allow(clippy::too_many_lines)]
fn action_view(
    acts: Actions,
    ctx: StoredValue<Ctx>,
    i: usize,
    n: usize,
    a: RuleAction,
) -> impl IntoView {
    let c = ctx.get_value();
    let body = match a.clone() {
        RuleAction::Assign { user_id } => opt_select(
            "Member", "action-member", "Nobody (unassign)", ids(&c.members),
            user_id.map(|u| u.to_string()).unwrap_or_default(),
            move |v| acts.one(i, |a| if let RuleAction::Assign { user_id } = a { *user_id = v.parse().ok(); }),
        ).into_any(),
        RuleAction::SetTeam { team_id } => opt_select(
            "Team", "action-team", "No team", ids(&c.teams),
            team_id.map(|u| u.to_string()).unwrap_or_default(),
            move |v| acts.one(i, |a| if let RuleAction::SetTeam { team_id } = a { *team_id = v.parse().ok(); }),
        ).into_any(),
        RuleAction::AddTags { tags } | RuleAction::RemoveTags { tags } => view! {
            <input type="text" aria-label="Tags" data-testid="action-tags" value=tags.join(", ") placeholder="vip, billing"
                on:input=move |ev| {
                    let v: Vec<String> = event_target_value(&ev).split(',').map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect();
                    acts.one(i, |a| match a {
                        RuleAction::AddTags { tags } | RuleAction::RemoveTags { tags } => *tags = v,
                        _ => {}
                    });
                }/>
        }.into_any(),
        RuleAction::SetField { key, value } => view! {
            {opt_select("Field", "action-field", "Choose a field…", c.custom.clone(), key,
                move |v| acts.one(i, |a| if let RuleAction::SetField { key, .. } = a { *key = v; }))}
            <input type="text" aria-label="Value" data-testid="action-value" value=value
                on:input=move |ev| {
                    let v = event_target_value(&ev);
                    acts.one(i, |a| if let RuleAction::SetField { value, .. } = a { *value = v; });
                }/>
        }.into_any(),
        RuleAction::SetStatus { status } => view! {
            <select aria-label="Status" data-testid="action-status" on:change=move |ev| {
                let v = event_target_value(&ev);
                acts.one(i, |a| if let RuleAction::SetStatus { status } = a { *status = v; });
            }>
                {Status::ALL.iter().map(|s| view! { <option value=s.as_str() selected=s.as_str() == status>{s.label()}</option> }).collect_view()}
            </select>
        }.into_any(),
        RuleAction::SetPriority { priority } => view! {
            <select aria-label="Priority" data-testid="action-priority" on:change=move |ev| {
                let v = event_target_value(&ev);
                acts.one(i, |a| if let RuleAction::SetPriority { priority } = a { *priority = v; });
            }>
                {Priority::ALL.iter().map(|s| view! { <option value=s.as_str() selected=s.as_str() == priority>{s.label()}</option> }).collect_view()}
            </select>
        }.into_any(),
        RuleAction::Reply { text } | RuleAction::Note { text } => view! {
            <textarea rows="2" aria-label="Text" data-testid="action-text"
                placeholder="Hi {{ customer.first_name }}, …"
                on:input=move |ev| {
                    let v = event_target_value(&ev);
                    acts.one(i, |a| match a {
                        RuleAction::Reply { text } | RuleAction::Note { text } => *text = v,
                        _ => {}
                    });
                }>{text}</textarea>
        }.into_any(),
        RuleAction::Notify {
            target,
            text,
            after_mins,
        } => {
            let cur = match &target {
                NotifyTarget::Assignee => "assignee".to_owned(),
                NotifyTarget::Admins => "admins".to_owned(),
                NotifyTarget::User { user_id } => user_id.to_string(),
            };
            let members = c.members.clone();
            view! {
                <select aria-label="Who" data-testid="action-notify" on:change=move |ev| {
                    let v = event_target_value(&ev);
                    let t = match v.as_str() {
                        "assignee" => NotifyTarget::Assignee,
                        "admins" => NotifyTarget::Admins,
                        other => other.parse().map_or(NotifyTarget::Assignee, |u| NotifyTarget::User { user_id: u }),
                    };
                    acts.one(i, |a| if let RuleAction::Notify { target, .. } = a { *target = t; });
                }>
                    <option value="assignee" selected=cur == "assignee">"The assignee"</option>
                    <option value="admins" selected=cur == "admins">"The admins"</option>
                    {members.into_iter().map(|(id, name)| {
                        let sel = cur == id.to_string();
                        view! { <option value=id.to_string() selected=sel>{name}</option> }
                    }).collect_view()}
                </select>
                <input type="text" aria-label="Message" data-testid="action-text" value=text placeholder="What they are told"
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        acts.one(i, |a| if let RuleAction::Notify { text, .. } = a { *text = v; });
                    }/>
                <span class="small muted">"send after"</span>
                <input type="number" min="1" max="10080" class="input-narrow" aria-label="Send after (minutes; empty: at once)"
                    title="Send after this many minutes (empty: at once)" placeholder="at once" data-testid="action-after"
                    value=after_mins.map(|m| m.to_string()).unwrap_or_default()
                    on:input=move |ev| {
                        let v = event_target_value(&ev).trim().parse().ok();
                        acts.one(i, |a| if let RuleAction::Notify { after_mins, .. } = a { *after_mins = v; });
                    }/>
                <span class="small muted">"min"</span>
            }.into_any()
        }
        RuleAction::Webhook { endpoint_id } => opt_select(
            "Endpoint", "action-endpoint", "Choose an endpoint…", ids(&c.endpoints),
            if endpoint_id > 0 { endpoint_id.to_string() } else { String::new() },
            move |v| acts.one(i, |a| if let RuleAction::Webhook { endpoint_id } = a { *endpoint_id = v.parse().unwrap_or(0); }),
        ).into_any(),
        RuleAction::Escalate { reason } => view! {
            <input type="text" aria-label="Why" data-testid="action-text" value=reason placeholder="Why it needs attention"
                on:input=move |ev| {
                    let v = event_target_value(&ev);
                    acts.one(i, |a| if let RuleAction::Escalate { reason } = a { *reason = v; });
                }/>
        }.into_any(),
        RuleAction::Close => view! { <span class="small muted">"Sets the status to Closed."</span> }.into_any(),
        RuleAction::RequestApproval { tool, input, reason } => view! {
            {opt_select("Tool", "action-tool", "Choose a tool…", c.tools.clone(), tool,
                move |v| acts.one(i, |a| if let RuleAction::RequestApproval { tool, .. } = a { *tool = v; }))}
            <input type="text" aria-label="Tool input (JSON)" data-testid="action-input" value=input class="mono"
                placeholder=r#"{"reason": "{{ ticket.number }}"}"#
                on:input=move |ev| {
                    let v = event_target_value(&ev);
                    acts.one(i, |a| if let RuleAction::RequestApproval { input, .. } = a { *input = v; });
                }/>
            <input type="text" aria-label="Why" data-testid="action-text" value=reason placeholder="Why (the approver sees it)"
                on:input=move |ev| {
                    let v = event_target_value(&ev);
                    acts.one(i, |a| if let RuleAction::RequestApproval { reason, .. } = a { *reason = v; });
                }/>
        }.into_any(),
        RuleAction::StartRule { rule_id } => opt_select(
            "Rule", "action-rule", "Choose a rule…", ids(&c.rules),
            if rule_id > 0 { rule_id.to_string() } else { String::new() },
            move |v| acts.one(i, |a| if let RuleAction::StartRule { rule_id } = a { *rule_id = v.parse().unwrap_or(0); }),
        ).into_any(),
    };
    let (first, last) = (i == 0, i + 1 >= n);
    view! {
        <li class="rule-action row wrap" data-testid="rule-action" data-kind=a.kind()>
            <strong class="rule-action-kind">{i + 1} ". " {RuleAction::kind_label(a.kind())}</strong>
            {body}
            <span class="spacer"></span>
            <button type="button" class="btn btn-ghost btn-small" aria-label="Move up" disabled=first
                on:click=move |_| acts.edit(true, |l| if i > 0 { l.swap(i, i - 1) })>"↑"</button>
            <button type="button" class="btn btn-ghost btn-small" aria-label="Move down" disabled=last
                on:click=move |_| acts.edit(true, |l| if i + 1 < l.len() { l.swap(i, i + 1) })>"↓"</button>
            <button type="button" class="btn btn-ghost btn-small" aria-label="Remove action" data-testid="remove-action"
                on:click=move |_| acts.edit(true, |l| { if i < l.len() { l.remove(i); } })>"✕"</button>
        </li>
    }
}

fn dry_run_view(r: DryRunResult) -> impl IntoView {
    let n = r.hits.len();
    view! {
        <div class="rule-dry-run" data-testid="dry-run-result">
            <p><strong data-testid="dry-run-summary">{format!("{n} of the {} newest tickets would change.", r.checked)}</strong>
                " Nothing was changed."</p>
            {(n > 0).then(|| view! {
                <table class="table small">
                    <thead><tr><th>"Ticket"</th><th>"Subject"</th><th>"Would change"</th></tr></thead>
                    <tbody>{r.hits.into_iter().map(|h| view! {
                        <tr data-testid="dry-run-hit">
                            <td><a href=format!("/app/inbox/{}", h.ticket)>{format!("#{}", h.ticket)}</a></td>
                            <td>{h.subject}</td>
                            <td>{h.changes.join(" · ")}</td>
                        </tr>
                    }).collect_view()}</tbody>
                </table>
            })}
        </div>
    }
}

fn firing_rows(list: Vec<RuleFiringView>) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted small">"No firings yet."</p> }.into_any();
    }
    view! {
        <table class="table small" data-testid="firing-log">
            <thead><tr><th>"When"</th><th>"Rule"</th><th>"Ticket"</th><th>"Event"</th><th>"Outcome"</th><th>"What changed"</th></tr></thead>
            <tbody>{list.into_iter().map(|f| {
                let tone = match f.outcome.as_str() {
                    "applied" => "badge status-ok",
                    "failed" => "badge status-bad",
                    _ => "badge status-wait",
                };
                view! {
                    <tr data-testid="firing-row" data-outcome=f.outcome.clone()>
                        <td>{fmt_time(&f.at)}</td>
                        <td>{f.rule_name} <span class="muted">{format!(" v{}", f.version)}</span></td>
                        <td><a href=format!("/app/inbox/{}", f.ticket)>{format!("#{}", f.ticket)}</a></td>
                        <td>{f.event.replace('_', " ")}</td>
                        <td><span class=tone>{f.outcome.clone()}</span></td>
                        <td>
                            {if f.changes.is_empty() { "—".to_owned() } else { f.changes.join(" · ") }}
                            {f.error.map(|e| view! { <br/><span class="field-error">{e}</span> })}
                            {(!f.before.is_empty()).then(|| view! {
                                <details><summary>"Before / after"</summary>
                                    <pre class="code small">{format!("before: {}\nafter:  {}", f.before, f.after)}</pre>
                                </details>
                            })}
                        </td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table>
    }
    .into_any()
}

fn versions_view(
    list: Vec<RuleVersionView>,
    restore: ServerAction<RestoreRule>,
    id: i32,
) -> impl IntoView {
    let current = list.first().map(|v| v.lines.clone()).unwrap_or_default();
    let compare = RwSignal::new(None::<i32>);
    let list = StoredValue::new(list);
    view! {
        <table class="table small" data-testid="rule-versions">
            <thead><tr><th>"Version"</th><th>"Saved by"</th><th>"When"</th><th></th></tr></thead>
            <tbody>{list.get_value().into_iter().enumerate().map(|(k, v)| {
                let ver = v.version;
                view! {
                    <tr data-testid="version-row">
                        <td>{format!("v{ver}")} {(k == 0).then(|| view! { <span class="badge">"current"</span> })}</td>
                        <td>{v.by}</td>
                        <td>{fmt_time(&v.at)}</td>
                        <td class="actions">{(k > 0).then(|| view! {
                            <button class="btn btn-ghost btn-small" data-testid="compare-version" on:click=move |_| compare.set(Some(ver))>"Compare with current"</button>
                            <button class="btn btn-ghost btn-small" data-testid="restore-version" on:click=move |_| { restore.dispatch(RestoreRule { id, version: ver }); }>"Restore"</button>
                        })}</td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table>
        {move || compare.get().and_then(|ver| list.with_value(|l| l.iter().find(|v| v.version == ver).cloned())).map(|old| {
            let cur = current.clone();
            view! {
                <div class="rule-diff" data-testid="version-diff">
                    <p class="small"><strong>{format!("v{} → current", old.version)}</strong>" (removed lines in red, added in green)"</p>
                    <ul class="diff">
                        {old.lines.iter().filter(|l| !cur.contains(l)).map(|l| view! { <li class="diff-removed">"− " {l.clone()}</li> }).collect_view()}
                        {cur.iter().filter(|l| !old.lines.contains(l)).map(|l| view! { <li class="diff-added">"+ " {l.clone()}</li> }).collect_view()}
                    </ul>
                </div>
            }
        })}
    }
}

fn blank_form() -> RuleForm {
    RuleForm {
        enabled: true,
        events: vec![RuleEvent::TicketCreated],
        ..RuleForm::default()
    }
}

fn rules_table(
    title: &'static str,
    kind: RuleKind,
    rules: Vec<RuleView>,
    edit: impl Fn(RuleView) + Copy + 'static,
    toggle: ServerAction<SetRuleEnabled>,
    mover: ServerAction<MoveRule>,
    delete: ServerAction<DeleteRule>,
) -> impl IntoView {
    let rules: Vec<RuleView> = rules.into_iter().filter(|r| r.kind == kind).collect();
    let n = rules.len();
    view! {
        <h3>{title}</h3>
        {if rules.is_empty() {
            view! { <p class="muted small">{if kind == RuleKind::Trigger { "No triggers yet." } else { "No automations yet." }}</p> }.into_any()
        } else {
            view! {
                <table class="table" data-testid=format!("{}-list", kind.as_str())>
                    <thead><tr><th>"Order"</th><th>"Name"</th>
                        {(kind == RuleKind::Trigger).then(|| view! { <th>"When"</th> })}
                        <th>"If"</th><th>"Does"</th><th>"Fired"</th><th>"On"</th><th></th></tr></thead>
                    <tbody>{rules.into_iter().enumerate().map(|(k, r)| {
                        let id = r.id;
                        let on = r.enabled;
                        let (first, last) = (k == 0, k + 1 >= n);
                        let rv = r.clone();
                        view! {
                            <tr data-testid="rule-row" data-name=r.name.clone()>
                                <td class="nowrap">
                                    <button class="btn btn-ghost btn-small" aria-label="Run earlier" disabled=first
                                        on:click=move |_| { mover.dispatch(MoveRule { id, up: true }); }>"↑"</button>
                                    <button class="btn btn-ghost btn-small" aria-label="Run later" disabled=last
                                        on:click=move |_| { mover.dispatch(MoveRule { id, up: false }); }>"↓"</button>
                                </td>
                                <td><strong>{r.name.clone()}</strong> <span class="muted small">{format!("v{}", r.version)}</span>
                                    {(!r.description.is_empty()).then(|| view! { <br/><span class="small muted">{r.description.clone()}</span> })}</td>
                                {(kind == RuleKind::Trigger).then(|| view! {
                                    <td class="small">{r.events.iter().map(|e| e.label()).collect::<Vec<_>>().join(" or ")}</td>
                                })}
                                <td class="small">{r.summary.clone()}</td>
                                <td class="small">{r.actions.iter().map(|a| RuleAction::kind_label(a.kind())).collect::<Vec<_>>().join(", ")}</td>
                                <td class="small" data-testid="rule-fired">{r.fired} {r.last_fired_at.clone().map(|t| format!(" (last {})", fmt_time(&t)))}</td>
                                <td><label class="switch"><input type="checkbox" checked=on data-testid="rule-enabled" aria-label="On"
                                    on:change=move |ev| { toggle.dispatch(SetRuleEnabled { id, enabled: event_target_checked(&ev) }); }/></label></td>
                                <td class="actions">
                                    <button class="btn btn-ghost btn-small" data-testid="edit-rule" on:click=move |_| edit(rv.clone())>"Edit"</button>
                                    <button class="btn btn-ghost btn-small" on:click=move |_| { delete.dispatch(DeleteRule { id }); }>"Delete"</button>
                                </td>
                            </tr>
                        }
                    }).collect_view()}</tbody>
                </table>
            }.into_any()
        }}
    }
}

/// `/app/settings/rules`.
#[component]
#[allow(clippy::too_many_lines)]
pub fn RulesPage() -> impl IntoView {
    let save = ServerAction::<SaveRule>::new();
    let toggle = ServerAction::<SetRuleEnabled>::new();
    let mover = ServerAction::<MoveRule>::new();
    let delete = ServerAction::<DeleteRule>::new();
    let restore = ServerAction::<RestoreRule>::new();
    let dry = ServerAction::<DryRunRule>::new();
    let page = Resource::new(
        move || {
            (
                save.version().get(),
                toggle.version().get(),
                mover.version().get(),
                delete.version().get(),
                restore.version().get(),
            )
        },
        |_| get_rules(),
    );
    let form = RwSignal::new(blank_form());
    let loaded = RwSignal::new(0_u64);
    let tree = Tree {
        cond: RwSignal::new(Cond::default()),
        shape: RwSignal::new(0),
    };
    let acts = Actions {
        list: RwSignal::new(Vec::new()),
        shape: RwSignal::new(0),
    };
    // The rule whose versions and firings are shown (the one being edited).
    let editing = RwSignal::new(None::<i32>);
    let history = Resource::new(
        move || (editing.get(), save.version().get(), restore.version().get()),
        |(id, _, _)| async move {
            match id {
                Some(id) => Some((rule_versions(id).await, rule_firings(id).await)),
                None => None,
            }
        },
    );
    let err = action_error(save.value());
    let dry_err = action_error(dry.value());
    let restore_err = action_error(restore.value());
    let field_msg = move |f: &'static str| {
        move || {
            err.get()
                .or_else(|| dry_err.get())
                .filter(|e| e.field_name() == Some(f))
                .map(|e| view! { <p class="field-error" role="alert">{e.to_string()}</p> })
        }
    };
    let load = move |r: Option<RuleView>| {
        let f = r.map_or_else(blank_form, |r| RuleForm {
            id: Some(r.id),
            name: r.name,
            description: r.description,
            kind: r.kind,
            events: r.events,
            conditions: r.conditions,
            actions: r.actions,
            enabled: r.enabled,
        });
        editing.set(f.id);
        tree.set_all(f.conditions.clone());
        acts.list.set(f.actions.clone());
        acts.shape.update(|n| *n += 1);
        form.set(f);
        loaded.update(|n| *n += 1);
        save.clear();
        dry.clear();
    };
    Effect::new(move |_| {
        if let Some(Ok(v)) = save.value().get() {
            form.update_untracked(|f| f.id = Some(v.id));
            editing.set(Some(v.id));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(v)) = restore.value().get() {
            load(Some(v));
        }
    });
    let current = move || {
        let mut f = form.get_untracked();
        f.conditions = tree.cond.get_untracked();
        f.actions = acts.list.get_untracked();
        f
    };
    view! {
        <Title text="Rules"/>
        <header class="page-head">
            <h1>"Rules"</h1>
            <p class="muted">"Triggers act the moment a ticket is created, a customer writes or a ticket changes; automations act on open tickets that have waited. Rules run in the order shown, before the AI agent sees the message."</p>
        </header>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(RulesPage { rules, fields, members, teams, endpoints, custom_fields, tools, firings }) => {
                        let ed = Ed {
                            tree,
                            fields: StoredValue::new(fields),
                            empty_hint: "No conditions: the rule applies to every ticket its events reach.",
                        };
                        let ctx = StoredValue::new(Ctx {
                            members,
                            teams,
                            endpoints,
                            custom: custom_fields,
                            tools,
                            rules: rules.iter().map(|r| (r.id, r.name.clone())).collect(),
                        });
                        let all = rules.clone();
                        view! {
                            <section class="card">
                                <div class="row">
                                    <h2>"Your rules"</h2>
                                    <span class="spacer"></span>
                                    <button class="btn btn-small" data-testid="new-rule" on:click=move |_| load(None)>"New rule"</button>
                                </div>
                                {rules_table("Triggers", RuleKind::Trigger, all.clone(), move |r| load(Some(r)), toggle, mover, delete)}
                                {rules_table("Automations", RuleKind::Automation, all, move |r| load(Some(r)), toggle, mover, delete)}
                            </section>
                            <For each=move || [loaded.get()] key=|k| *k children=move |_| {
                                let f = form.get_untracked();
                                let is_trigger = RwSignal::new(f.kind == RuleKind::Trigger);
                                view! {
                                    <section class="card" data-testid="rule-editor">
                                        <h2>{if f.id.is_some() { "Edit rule" } else { "New rule" }}</h2>
                                        <div class="form">
                                            <label for="rule-name">"Name"</label>
                                            <input id="rule-name" type="text" value=f.name.clone() data-testid="rule-name" placeholder="VIP customers first"
                                                on:input=move |ev| form.update_untracked(|f| f.name = event_target_value(&ev))/>
                                            {field_msg("name")}
                                            <label for="rule-desc">"What it is for (optional)"</label>
                                            <input id="rule-desc" type="text" value=f.description.clone() data-testid="rule-description"
                                                on:input=move |ev| form.update_untracked(|f| f.description = event_target_value(&ev))/>
                                            <label for="rule-kind">"Runs"</label>
                                            <select id="rule-kind" data-testid="rule-kind" on:change=move |ev| {
                                                let k = RuleKind::parse(&event_target_value(&ev)).unwrap_or_default();
                                                form.update_untracked(|f| f.kind = k);
                                                is_trigger.set(k == RuleKind::Trigger);
                                            }>
                                                {RuleKind::ALL.iter().map(|k| view! { <option value=k.as_str() selected=*k == f.kind>{k.label()}</option> }).collect_view()}
                                            </select>
                                            <div data-testid="rule-events" class:hidden=move || !is_trigger.get()>
                                                <p class="small"><strong>"When"</strong></p>
                                                {RuleEvent::ALL.iter().map(|e| {
                                                    let e = *e;
                                                    let on = f.events.contains(&e);
                                                    view! {
                                                        <label class="check"><input type="checkbox" checked=on data-event=e.as_str()
                                                            on:change=move |ev| {
                                                                let c = event_target_checked(&ev);
                                                                form.update_untracked(|f| {
                                                                    f.events.retain(|x| *x != e);
                                                                    if c { f.events.push(e); }
                                                                });
                                                            }/>" " {e.label()}</label>
                                                    }
                                                }).collect_view()}
                                                {field_msg("events")}
                                            </div>
                                            <p class="small muted" class:hidden=move || is_trigger.get()>"Every 5 minutes, over open tickets (the 500 least recently changed per pass); fires once per ticket. Give it a time condition."</p>
                                        </div>
                                        <h3>"If"</h3>
                                        <For each=move || [tree.shape.get()] key=|k| *k children=move |_| {
                                            cond_view(ed, Vec::new(), tree.cond.get_untracked())
                                        }/>
                                        {field_msg("conditions")}
                                        <h3>"Then"</h3>
                                        <For each=move || [acts.shape.get()] key=|k| *k children=move |_| {
                                            let list = acts.list.get_untracked();
                                            let n = list.len();
                                            view! {
                                                <ol class="rule-actions">
                                                    {list.into_iter().enumerate().map(|(i, a)| action_view(acts, ctx, i, n, a)).collect_view()}
                                                </ol>
                                            }
                                        }/>
                                        <div class="row wrap" data-testid="add-action">
                                            <span class="small muted">"Add:"</span>
                                            {RuleAction::KINDS.iter().map(|k| {
                                                let k = *k;
                                                view! {
                                                    <button type="button" class="btn btn-ghost btn-small" data-kind=k
                                                        on:click=move |_| acts.edit(true, |l| l.push(RuleAction::blank(k)))>
                                                        {RuleAction::kind_label(k)}
                                                    </button>
                                                }
                                            }).collect_view()}
                                        </div>
                                        {field_msg("actions")}
                                        <label class="check"><input type="checkbox" checked=f.enabled data-testid="rule-on"
                                            on:change=move |ev| form.update_untracked(|f| f.enabled = event_target_checked(&ev))/>" On"</label>
                                        <FormError error=err fields=&["name", "events", "conditions", "actions"]/>
                                        <div class="row">
                                            <button class="btn btn-primary" data-testid="save-rule"
                                                on:click=move |_| { save.dispatch(SaveRule { form: current() }); }>"Save rule"</button>
                                            <button class="btn" data-testid="dry-run"
                                                on:click=move |_| { dry.dispatch(DryRunRule { form: current() }); }>"Dry run"</button>
                                            {move || save.value().get().and_then(Result::ok).map(|v| view! {
                                                <span class="small muted" data-testid="saved">{format!("Saved “{}” (v{}).", v.name, v.version)}</span>
                                            })}
                                        </div>
                                        {move || dry.pending().get().then(|| view! { <p class="small muted">"Checking the newest tickets…"</p> })}
                                        {move || dry.value().get().and_then(Result::ok).map(dry_run_view)}
                                        <FormError error=dry_err fields=&["name", "events", "conditions", "actions"]/>
                                    </section>
                                }
                            }/>
                            <section class="card" data-testid="rule-history">
                                <h2>"Versions and firings"</h2>
                                {move || restore_err.get().map(|e| view! { <p class="alert alert-error small">{e.to_string()}</p> })}
                                <Transition fallback=|| view! { <Loading/> }>
                                    {move || Suspend::new(async move {
                                        match history.await {
                                            None => view! { <p class="muted small">"Open a rule to see its versions and its own firings."</p> }.into_any(),
                                            Some((v, f)) => {
                                                let id = editing.get_untracked().unwrap_or_default();
                                                view! {
                                                    <h3>"Versions"</h3>
                                                    {match v {
                                                        Ok(v) => versions_view(v, restore, id).into_any(),
                                                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                                                    }}
                                                    <h3>"This rule's firings"</h3>
                                                    {match f {
                                                        Ok(f) => firing_rows(f).into_any(),
                                                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                                                    }}
                                                }.into_any()
                                            }
                                        }
                                    })}
                                </Transition>
                            </section>
                            <section class="card" data-testid="all-firings">
                                <h2>"Latest firings"</h2>
                                {firing_rows(firings)}
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
