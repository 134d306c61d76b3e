//! The AI agent that acts: the approval queue (`/app/approvals`), tasks
//! (`/app/tasks`) and the action policies with their tester
//! (`/app/settings/ai-policies`). [`ActionCard`] is also shown in the
//! conversation pane.

use super::admin::{use_live, use_session};
use crate::components::{action_error, fmt_time, Empty, ErrorBox, FormError, Loading};
use crate::permissions::{can, Action};
use crate::serverfns::actions::{
    get_ai_loop, get_policies, list_actions, list_tasks, ticket_work, ApproveAction,
    CancelFollowUp, CreateTask, DeletePolicy, MovePolicy, RejectAction, ReplayAction, RunAiLoop,
    SavePolicy, ScheduleFollowUp, SetAiLoop, SetPolicyDefault, SetTaskDone, TestPolicy,
};
use crate::types::{
    ticket_ref, ActionView, Channel, Effect as PolicyEffect, PolicyForm, PolicyProbe, Risk,
    TaskForm, TaskView, TASK_PRIORITIES,
};
use leptos::prelude::*;
use leptos_meta::Title;

fn risk_class(r: Risk) -> &'static str {
    match r {
        Risk::Low => "badge risk-low",
        Risk::Medium => "badge risk-medium",
        Risk::High => "badge risk-high",
    }
}

fn status_class(s: &str) -> &'static str {
    match s {
        "completed" => "badge status-ok",
        "failed" | "denied" | "rejected" => "badge status-bad",
        "pending" => "badge status-wait",
        _ => "badge badge-muted",
    }
}

fn can_approve() -> bool {
    use_session().is_some_and(|s| can(s.role(), Action::ApproveActions))
}

/// One action: what it does, who proposed it and why, the policy's decision, and
/// Approve / Reject with a comment while it waits.
#[component]
pub fn ActionCard(
    a: ActionView,
    approve: ServerAction<ApproveAction>,
    reject: ServerAction<RejectAction>,
) -> impl IntoView {
    let id = a.id;
    let comment = RwSignal::new(String::new());
    let replay = ServerAction::<ReplayAction>::new();
    let pending = a.status == "pending" && can_approve();
    let mine = use_session().is_some_and(|s| a.proposed_by.contains(&format!("<{}>", s.email)));
    view! {
        <article class="card action-card" data-testid="action-card" data-status=a.status.clone()>
            <header class="row wrap">
                <strong>{a.tool_label.clone()}</strong>
                <span class=risk_class(a.risk)>{a.risk.label()}</span>
                <span class=status_class(&a.status) data-testid="action-status">{a.status.clone()}</span>
                {a.conversation_number.map(|n| view! {
                    <a class="small" href=format!("/app/inbox?c={n}")>{ticket_ref(n)}</a>
                })}
                <span class="muted small">"#" {a.id} " · " {fmt_time(&a.created_at)}</span>
            </header>
            <p class="action-summary">{a.summary.clone()}</p>
            <p class="small">"Proposed by " {a.proposed_by.clone()}
                {a.reasoning.clone().map(|r| view! { <span class="muted">" — " {r}</span> })}</p>
            <p class="small muted">"Policy: " {a.decision_reason.clone()}</p>
            <details><summary class="small">"Input"</summary><pre class="code">{a.input.clone()}</pre></details>
            {a.approver.clone().map(|who| view! {
                <p class="small">"Decided by " {who}
                    {a.decided_at.clone().map(|t| format!(" at {}", fmt_time(&t)))}
                    {a.approval_comment.clone().map(|c| view! { <span>": “" {c} "”"</span> })}</p>
            })}
            {a.output.clone().map(|o| view! { <details><summary class="small">"Result"</summary><pre class="code">{o}</pre></details> })}
            {a.error.clone().map(|e| view! { <p class="alert alert-error small" data-testid="action-error">{e}</p> })}
            {pending.then(|| if mine {
                view! { <p class="small muted">"You proposed this; another approver decides."</p> }.into_any()
            } else {
                view! {
                    <div class="approve-box">
                        <label class="sr-only" for=format!("cm-{id}")>"Comment"</label>
                        <textarea id=format!("cm-{id}") rows="1" placeholder="Comment (optional, kept in the activity log)"
                            prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                        <div class="row">
                            <button class="btn btn-primary btn-small" data-testid="approve"
                                on:click=move |_| { approve.dispatch(ApproveAction { id, comment: comment.get_untracked() }); }>"Approve"</button>
                            <button class="btn btn-small" data-testid="reject"
                                on:click=move |_| { reject.dispatch(RejectAction { id, comment: comment.get_untracked() }); }>"Reject"</button>
                        </div>
                    </div>
                }.into_any()
            })}
            {can_approve().then(|| view! {
                <p><button class="btn btn-ghost btn-small" data-testid="replay"
                    on:click=move |_| { replay.dispatch(ReplayAction { id }); }>"Replay as a dry run"</button></p>
            })}
            {move || replay.value().get().map(|r| match r {
                Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                Ok(r) => view! {
                    <div class="replay" data-testid="replay-result">
                        <p class="small"><strong>"Now: "</strong>{r.outcome.effect.label()} " — " {r.outcome.reason}</p>
                        <p class="small"><strong>"It would: "</strong>{r.would}</p>
                        {r.input_error.map(|e| view! { <p class="small alert alert-error">"Its input no longer fits: " {e}</p> })}
                        <p class="small muted"><strong>"Then: "</strong>{r.then}</p>
                    </div>
                }.into_any(),
            })}
        </article>
    }
}

/// `/app/approvals`: actions waiting for a person, and the recent ones.
#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let live = use_live();
    let filter = RwSignal::new("pending");
    let approve = ServerAction::<ApproveAction>::new();
    let reject = ServerAction::<RejectAction>::new();
    let list = Resource::new(
        move || {
            (
                filter.get(),
                live.actions.get(),
                approve.version().get(),
                reject.version().get(),
            )
        },
        |(f, ..)| list_actions(f.to_owned(), None),
    );
    let err = Signal::derive(move || {
        approve
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| reject.value().get().and_then(Result::err))
    });
    view! {
        <Title text="Approvals"/>
        <header class="page-head">
            <h1>"Approvals"</h1>
            <p class="muted">"Actions the AI agent (or a teammate) proposed that a policy sends to a person. Each runs once, after approval, and is recorded in the activity log. Policies: "
                <a href="/app/settings/ai-policies">"AI policies"</a> ". What the autonomous loop did: "
                <a href="/app/approvals/loop">"run log"</a> "."</p>
        </header>
        <nav class="tabs" aria-label="Filter">
            {[("pending", "Waiting"), ("open", "Waiting or running"), ("done", "Finished"), ("all", "All")].into_iter().map(|(k, label)| view! {
                <button class="tab" class:active=move || filter.get() == k on:click=move |_| filter.set(k)>{label}</button>
            }).collect_view()}
        </nav>
        <FormError error=err/>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(l) if l.is_empty() => view! { <Empty title="Nothing here" hint="Proposals that need approval appear here as they arrive."/> }.into_any(),
                    Ok(l) => view! {
                        <div data-testid="actions">
                            {l.into_iter().map(|a| view! { <ActionCard a approve reject/> }).collect_view()}
                        </div>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// `/app/tasks`: to-dos for the team, linked to tickets and customers.
#[component]
pub fn TasksPage() -> impl IntoView {
    let live = use_live();
    let filter = RwSignal::new("open");
    let create = ServerAction::<CreateTask>::new();
    let done = ServerAction::<SetTaskDone>::new();
    let list = Resource::new(
        move || {
            (
                filter.get(),
                live.actions.get(),
                create.version().get(),
                done.version().get(),
            )
        },
        |(f, ..)| list_tasks(f.to_owned(), None),
    );
    let title = RwSignal::new(String::new());
    let due = RwSignal::new(String::new());
    let priority = RwSignal::new("normal".to_owned());
    let assignee = RwSignal::new(String::new());
    let ticket = RwSignal::new(String::new());
    let notes = RwSignal::new(String::new());
    let err = action_error(create.value());
    let may_work = use_session().is_some_and(|s| can(s.role(), Action::WorkTasks));
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            title.set(String::new());
            notes.set(String::new());
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let t = ticket.get_untracked();
        create.dispatch(CreateTask {
            form: TaskForm {
                title: title.get_untracked(),
                notes: notes.get_untracked(),
                conversation_number: t
                    .trim()
                    .trim_start_matches("TKT-")
                    .trim_start_matches('0')
                    .parse()
                    .ok(),
                assignee_id: assignee.get_untracked().parse().ok(),
                due: due.get_untracked(),
                priority: priority.get_untracked(),
            },
        });
    };
    let field_msg = move |f: &'static str| {
        move || {
            err.get()
                .filter(|e| e.field_name() == Some(f))
                .map(|e| view! { <p class="field-error" role="alert">{e.to_string()}</p> })
        }
    };
    view! {
        <Title text="Tasks"/>
        <header class="page-head">
            <h1>"Tasks"</h1>
            <p class="muted">"Internal to-dos, from teammates, rules and the AI agent. Due times are UTC."</p>
        </header>
        {may_work.then(|| view! {
            <section class="card">
                <h2>"New task"</h2>
                <form class="form" on:submit=on_submit data-testid="task-form">
                    <div class="field"><label for="t-title">"Title"</label>
                        <input id="t-title" type="text" required=true prop:value=move || title.get() on:input=move |ev| title.set(event_target_value(&ev))/>
                        {field_msg("title")}</div>
                    <div class="row wrap">
                        <div class="field"><label for="t-due">"Due"</label>
                            <input id="t-due" type="text" placeholder="tomorrow, 2026-12-24" prop:value=move || due.get() on:input=move |ev| due.set(event_target_value(&ev))/>
                            {field_msg("due")}</div>
                        <div class="field"><label for="t-prio">"Priority"</label>
                            <select id="t-prio" prop:value=move || priority.get() on:change=move |ev| priority.set(event_target_value(&ev))>
                                {TASK_PRIORITIES.iter().map(|p| view! { <option value=*p selected=*p == "normal">{*p}</option> }).collect_view()}
                            </select></div>
                        <div class="field"><label for="t-ticket">"Ticket"</label>
                            <input id="t-ticket" type="text" placeholder="TKT-000042" prop:value=move || ticket.get() on:input=move |ev| ticket.set(event_target_value(&ev))/>
                            {field_msg("conversation_number")}</div>
                        <Transition fallback=|| ()>
                            {move || Suspend::new(async move {
                                list.await.ok().map(|v| view! {
                                    <div class="field"><label for="t-assignee">"Assignee"</label>
                                        <select id="t-assignee" on:change=move |ev| assignee.set(event_target_value(&ev))>
                                            <option value="">"Nobody"</option>
                                            {v.assignees.into_iter().map(|c| view! { <option value=c.id.to_string()>{c.name}</option> }).collect_view()}
                                        </select>
                                        {field_msg("assignee_id")}</div>
                                })
                            })}
                        </Transition>
                    </div>
                    <div class="field"><label for="t-notes">"Notes"</label>
                        <textarea id="t-notes" rows="2" prop:value=move || notes.get() on:input=move |ev| notes.set(event_target_value(&ev))></textarea></div>
                    <div><button class="btn btn-primary" type="submit">"Add task"</button></div>
                </form>
                <FormError error=err fields=&["title", "due", "conversation_number", "assignee_id"]/>
            </section>
        })}
        <nav class="tabs" aria-label="Filter">
            {[("open", "Open"), ("mine", "Mine"), ("overdue", "Overdue"), ("done", "Done"), ("all", "All")].into_iter().map(|(k, label)| view! {
                <button class="tab" class:active=move || filter.get() == k on:click=move |_| filter.set(k)>{label}</button>
            }).collect_view()}
        </nav>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(v) if v.tasks.is_empty() => view! { <Empty title="No tasks here" hint="Add one above, or let the AI agent create them from conversations."/> }.into_any(),
                    Ok(v) => view! { <TaskTable tasks=v.tasks done may_work/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// A table of tasks with a done checkbox.
#[component]
pub fn TaskTable(
    tasks: Vec<TaskView>,
    done: ServerAction<SetTaskDone>,
    may_work: bool,
) -> impl IntoView {
    view! {
        <table class="table" data-testid="tasks">
            <thead><tr><th>"Done"</th><th>"Task"</th><th>"Due"</th><th>"Priority"</th><th>"Assignee"</th><th>"Ticket"</th><th>"From"</th></tr></thead>
            <tbody>{tasks.into_iter().map(|t| {
                let id = t.id;
                let is_done = t.status == "done";
                view! {
                    <tr data-testid="task-row" class:overdue=t.overdue>
                        <td><input type="checkbox" aria-label="Done" prop:checked=is_done disabled=!may_work
                            on:change=move |ev| { done.dispatch(SetTaskDone { id, done: event_target_checked(&ev) }); }/></td>
                        <td><strong>{t.title.clone()}</strong>{t.notes.clone().map(|n| view! { <br/><span class="small muted">{n}</span> })}</td>
                        <td class:expired=t.overdue>{t.due_at.clone().map(|d| fmt_time(&d)).unwrap_or_default()}</td>
                        <td>{t.priority.clone()}</td>
                        <td>{t.assignee.clone().unwrap_or_default()}</td>
                        <td>{t.conversation_number.map(|n| view! { <a href=format!("/app/inbox?c={n}")>{ticket_ref(n)}</a> })}
                            {t.customer.clone().map(|c| view! { <span class="small muted">" " {c}</span> })}</td>
                        <td class="small muted">{t.created_by.clone()}</td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table>
    }
}

/// `/app/settings/ai-policies`: rules in order, the default, a tester, the tools.
#[component]
pub fn PoliciesPage() -> impl IntoView {
    let save = ServerAction::<SavePolicy>::new();
    let delete = ServerAction::<DeletePolicy>::new();
    let mv = ServerAction::<MovePolicy>::new();
    let default = ServerAction::<SetPolicyDefault>::new();
    let test = ServerAction::<TestPolicy>::new();
    let page = Resource::new(
        move || {
            (
                save.version().get(),
                delete.version().get(),
                mv.version().get(),
                default.version().get(),
            )
        },
        |_| get_policies(),
    );
    let form = RwSignal::new(PolicyForm {
        effect: "approval".into(),
        enabled: true,
        ..PolicyForm::default()
    });
    let probe = RwSignal::new(PolicyProbe::default());
    let err = action_error(save.value());
    let test_err = action_error(test.value());
    let field_msg = move |f: &'static str| {
        move || {
            err.get()
                .filter(|e| e.field_name() == Some(f))
                .map(|e| view! { <p class="field-error" role="alert">{e.to_string()}</p> })
        }
    };
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            form.set(PolicyForm {
                effect: "approval".into(),
                enabled: true,
                ..PolicyForm::default()
            });
        }
    });
    let set = move |f: fn(&mut PolicyForm, String)| {
        move |ev| form.update(|x| f(x, event_target_value(&ev)))
    };
    let setp = move |f: fn(&mut PolicyProbe, String)| {
        move |ev| probe.update(|x| f(x, event_target_value(&ev)))
    };
    view! {
        <Title text="AI policies"/>
        <header class="page-head">
            <h1>"AI policies"</h1>
            <p class="muted">"Decide what the AI agent may do on its own. Rules are tried top to bottom; the first that matches decides. Every action is checked again just before it runs."</p>
        </header>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(p) => {
                        let tools = p.tools.clone();
                        let tools2 = p.tools.clone();
                        let segments = p.segments.clone();
                        let segments2 = p.segments.clone();
                        let current_default = p.default_effect;
                        view! {
                            <section class="card">
                                <h2>"Rules"</h2>
                                {if p.rules.is_empty() {
                                    view! { <p class="muted">"No rules yet: every action gets the default below."</p> }.into_any()
                                } else {
                                    view! {
                                        <table class="table" data-testid="policy-rules">
                                            <thead><tr><th>"#"</th><th>"Name"</th><th>"Matches"</th><th>"Then"</th><th></th></tr></thead>
                                            <tbody>{p.rules.into_iter().map(|r| {
                                                let id = r.id;
                                                view! {
                                                    <tr data-testid="policy-rule">
                                                        <td>{r.position}</td>
                                                        <td>{r.name.clone()}{(!r.enabled).then(|| view! { <span class="badge badge-muted">"off"</span> })}</td>
                                                        <td class="small">{r.summary.clone()}</td>
                                                        <td><span class="badge">{r.effect.label()}</span></td>
                                                        <td class="actions">
                                                            <button class="btn btn-ghost btn-small" aria-label="Move up" on:click=move |_| { mv.dispatch(MovePolicy { id, up: true }); }>"↑"</button>
                                                            <button class="btn btn-ghost btn-small" aria-label="Move down" on:click=move |_| { mv.dispatch(MovePolicy { id, up: false }); }>"↓"</button>
                                                            <button class="btn btn-ghost btn-small" on:click=move |_| { delete.dispatch(DeletePolicy { id }); }>"Delete"</button>
                                                        </td>
                                                    </tr>
                                                }
                                            }).collect_view()}</tbody>
                                        </table>
                                    }.into_any()
                                }}
                                <div class="policy-default">
                                    <label for="p-default">"When no rule matches"</label>
                                    <select id="p-default" data-testid="policy-default" on:change=move |ev| { default.dispatch(SetPolicyDefault { effect: event_target_value(&ev) }); }>
                                        {PolicyEffect::ALL.iter().map(|e| view! { <option value=e.as_str() selected=*e == current_default>{e.label()}</option> }).collect_view()}
                                    </select>
                                </div>
                            </section>
                            <section class="card">
                                <h2>"Add a rule"</h2>
                                <form class="form" data-testid="policy-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                                    ev.prevent_default();
                                    save.dispatch(SavePolicy { id: 0, form: form.get_untracked() });
                                }>
                                    <div class="row wrap">
                                        <div class="field"><label for="p-name">"Name"</label>
                                            <input id="p-name" type="text" required=true prop:value=move || form.with(|f| f.name.clone()) on:input=set(|f, v| f.name = v)/>
                                            {field_msg("name")}</div>
                                        <div class="field"><label for="p-effect">"Then"</label>
                                            <select id="p-effect" prop:value=move || form.with(|f| f.effect.clone()) on:change=set(|f, v| f.effect = v)>
                                                {PolicyEffect::ALL.iter().map(|e| view! { <option value=e.as_str() selected=*e == PolicyEffect::Approval>{e.label()}</option> }).collect_view()}
                                            </select></div>
                                        <div class="field"><label for="p-tool">"Tool"</label>
                                            <select id="p-tool" prop:value=move || form.with(|f| f.tool.clone()) on:change=set(|f, v| f.tool = v)>
                                                <option value="">"Any tool"</option>
                                                {tools.iter().map(|t| view! { <option value=t.name.clone()>{t.label.clone()}</option> }).collect_view()}
                                            </select>{field_msg("tool")}</div>
                                        <div class="field"><label for="p-risk">"Risk at least"</label>
                                            <select id="p-risk" prop:value=move || form.with(|f| f.min_risk.clone()) on:change=set(|f, v| f.min_risk = v)>
                                                <option value="">"Any"</option>
                                                {Risk::ALL.iter().map(|r| view! { <option value=r.as_str()>{r.label()}</option> }).collect_view()}
                                            </select></div>
                                        <div class="field"><label for="p-amount">"Amount over"</label>
                                            <input id="p-amount" type="text" inputmode="decimal" placeholder="any" prop:value=move || form.with(|f| f.amount_over.clone()) on:input=set(|f, v| f.amount_over = v)/>
                                            {field_msg("amount_over")}</div>
                                        <div class="field"><label for="p-tag">"Ticket tagged"</label>
                                            <input id="p-tag" type="text" placeholder="vip" prop:value=move || form.with(|f| f.segment_tag.clone()) on:input=set(|f, v| f.segment_tag = v)/>
                                            {field_msg("segment_tag")}</div>
                                        <div class="field"><label for="p-segment">"Customer in segment"</label>
                                            <select id="p-segment" data-testid="policy-segment" prop:value=move || form.with(|f| f.segment_id.map(|s| s.to_string()).unwrap_or_default()) on:change=set(|f, v| f.segment_id = v.parse().ok())>
                                                <option value="">"Any customer"</option>
                                                {segments.iter().map(|(id, n)| view! { <option value=id.to_string()>{n.clone()}</option> }).collect_view()}
                                            </select>{field_msg("segment_id")}</div>
                                        <div class="field"><label for="p-channel">"Channel"</label>
                                            <select id="p-channel" prop:value=move || form.with(|f| f.channel.clone()) on:change=set(|f, v| f.channel = v)>
                                                <option value="">"Any"</option>
                                                {Channel::ALL.iter().map(|c| view! { <option value=c.as_str()>{c.label()}</option> }).collect_view()}
                                            </select></div>
                                    </div>
                                    <div><button class="btn btn-primary" type="submit">"Add rule"</button></div>
                                </form>
                                <FormError error=err fields=&["name", "tool", "amount_over", "segment_tag", "segment_id"]/>
                            </section>
                            <section class="card">
                                <h2>"What would happen?"</h2>
                                <form class="form" data-testid="policy-tester" on:submit=move |ev: leptos::ev::SubmitEvent| {
                                    ev.prevent_default();
                                    test.dispatch(TestPolicy { probe: probe.get_untracked() });
                                }>
                                    <div class="row wrap">
                                        <div class="field"><label for="q-tool">"Tool"</label>
                                            <select id="q-tool" required=true on:change=setp(|p, v| p.tool = v)>
                                                <option value="">"Choose…"</option>
                                                {tools2.iter().map(|t| view! { <option value=t.name.clone()>{t.label.clone()}</option> }).collect_view()}
                                            </select></div>
                                        <div class="field"><label for="q-amount">"Amount"</label>
                                            <input id="q-amount" type="text" inputmode="decimal" on:input=setp(|p, v| p.amount = v)/></div>
                                        <div class="field"><label for="q-tags">"Ticket tags"</label>
                                            <input id="q-tags" type="text" placeholder="vip, billing" on:input=setp(|p, v| p.tags = v)/></div>
                                        <div class="field"><label for="q-segment">"Customer in segment"</label>
                                            <select id="q-segment" on:change=setp(|p, v| p.segment_id = v.parse().ok())>
                                                <option value="">"None of them"</option>
                                                {segments2.iter().map(|(id, n)| view! { <option value=id.to_string()>{n.clone()}</option> }).collect_view()}
                                            </select></div>
                                        <div class="field"><label for="q-channel">"Channel"</label>
                                            <select id="q-channel" on:change=setp(|p, v| p.channel = v)>
                                                <option value="">"Any"</option>
                                                {Channel::ALL.iter().map(|c| view! { <option value=c.as_str()>{c.label()}</option> }).collect_view()}
                                            </select></div>
                                    </div>
                                    <div><button class="btn" type="submit">"Test"</button></div>
                                </form>
                                <FormError error=test_err/>
                                {move || test.value().get().and_then(Result::ok).map(|o| view! {
                                    <p class="alert" data-testid="policy-outcome"><strong>{o.effect.label()}</strong> " — " {o.reason} " (" {o.risk.label().to_lowercase()} ")"</p>
                                })}
                            </section>
                            <section class="card">
                                <h2>"Tools"</h2>
                                <table class="table" data-testid="tools">
                                    <thead><tr><th>"Tool"</th><th>"Risk"</th><th>"What it does"</th></tr></thead>
                                    <tbody>{p.tools.into_iter().map(|t| view! {
                                        <tr>
                                            <td><strong>{t.label.clone()}</strong><br/><code class="small">{t.name.clone()}</code></td>
                                            <td><span class=risk_class(t.risk)>{t.risk.label()}</span></td>
                                            <td class="small">{t.description.clone()}
                                                <details><summary>"Input schema"</summary><pre class="code">{t.schema.clone()}</pre></details></td>
                                        </tr>
                                    }).collect_view()}</tbody>
                                </table>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// The conversation pane's view of the AI agent's proposals, the tasks and the
/// follow-ups on this ticket, live; approvers decide here, agents schedule and
/// cancel follow-ups.
#[component]
pub fn TicketWork(number: i32, refresh: RwSignal<u64>) -> impl IntoView {
    let live = use_live();
    let approve = ServerAction::<ApproveAction>::new();
    let reject = ServerAction::<RejectAction>::new();
    let done = ServerAction::<SetTaskDone>::new();
    let schedule = ServerAction::<ScheduleFollowUp>::new();
    let cancel = ServerAction::<CancelFollowUp>::new();
    let data = Resource::new(
        move || {
            (
                refresh.get(),
                live.actions.get(),
                approve.version().get(),
                reject.version().get(),
                done.version().get(),
                schedule.version().get(),
                cancel.version().get(),
            )
        },
        move |_| ticket_work(number),
    );
    let session = use_session();
    let may_work = session
        .as_ref()
        .is_some_and(|s| can(s.role(), Action::WorkTasks));
    let may_reply = session
        .as_ref()
        .is_some_and(|s| can(s.role(), Action::ReplyToCustomers));
    let err = Signal::derive(move || {
        approve
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| reject.value().get().and_then(Result::err))
            .or_else(|| cancel.value().get().and_then(Result::err))
    });
    let fu_err = action_error(schedule.value());
    let message = RwSignal::new(String::new());
    let when = RwSignal::new("in 3 days".to_owned());
    let open_form = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(_)) = schedule.value().get() {
            message.set(String::new());
            open_form.set(false);
        }
    });
    view! {
        <section class="ticket-work" data-testid="ticket-work">
            <FormError error=err/>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    data.await.ok().map(|w| view! {
                        {(!w.actions.is_empty()).then(|| view! {
                            <h3 class="small">"Actions"</h3>
                            {w.actions.into_iter().map(|a| view! { <ActionCard a approve reject/> }).collect_view()}
                        })}
                        {(!w.tasks.is_empty()).then(|| view! {
                            <h3 class="small">"Tasks"</h3>
                            <TaskTable tasks=w.tasks done may_work/>
                        })}
                        {(!w.follow_ups.is_empty()).then(|| view! {
                            <h3 class="small">"Follow-ups"</h3>
                            <ul class="follow-ups" data-testid="follow-ups">
                                {w.follow_ups.into_iter().map(|f| {
                                    let id = f.id;
                                    let scheduled = f.status == "scheduled";
                                    view! {
                                        <li data-testid="follow-up" data-status=f.status.clone()>
                                            <span class=status_class(if scheduled { "pending" } else if f.status == "sent" { "completed" } else { "other" })>{f.status.clone()}</span>
                                            " " <span class="small">{fmt_time(&f.due_at)}</span>
                                            " · " <span class="small muted">{f.created_by.clone()}</span>
                                            <p class="small">{f.message.clone()}</p>
                                            {f.outcome.clone().map(|o| view! { <p class="small muted">{o}</p> })}
                                            {(scheduled && may_reply).then(|| view! {
                                                <button class="btn btn-ghost btn-small" data-testid="cancel-follow-up"
                                                    on:click=move |_| { cancel.dispatch(CancelFollowUp { id }); }>"Cancel"</button>
                                            })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        })}
                    })
                })}
            </Transition>
            {may_reply.then(|| view! {
                <p><button class="btn btn-ghost btn-small" data-testid="follow-up-toggle"
                    on:click=move |_| open_form.update(|o| *o = !*o)>"Follow up if no reply…"</button></p>
                <Show when=move || open_form.get()>
                    <form class="form follow-up-form" data-testid="follow-up-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        schedule.dispatch(ScheduleFollowUp { conversation_number: number, message: message.get_untracked(), when: when.get_untracked() });
                    }>
                        <label class="sr-only" for="fu-message">"Follow-up message"</label>
                        <textarea id="fu-message" rows="2" placeholder="Just checking in: did the replacement arrive?"
                            prop:value=move || message.get() on:input=move |ev| message.set(event_target_value(&ev))></textarea>
                        <div class="row">
                            <label for="fu-when" class="small">"Send"</label>
                            <input id="fu-when" type="text" prop:value=move || when.get() on:input=move |ev| when.set(event_target_value(&ev))/>
                            <button class="btn btn-small" type="submit">"Schedule"</button>
                        </div>
                        <FormError error=fu_err/>
                    </form>
                </Show>
            })}
        </section>
    }
}

/// `/app/approvals/loop`: the autonomous loop, on or off, and what each cycle
/// looked at and did.
#[component]
pub fn LoopPage() -> impl IntoView {
    let live = use_live();
    let set = ServerAction::<SetAiLoop>::new();
    let run = ServerAction::<RunAiLoop>::new();
    let data = Resource::new(
        move || (live.actions.get(), set.version().get(), run.version().get()),
        |_| get_ai_loop(),
    );
    let err = Signal::derive(move || {
        set.value()
            .get()
            .and_then(Result::err)
            .or_else(|| run.value().get().and_then(Result::err))
    });
    view! {
        <Title text="Autonomous loop"/>
        <header class="page-head">
            <h1>"Autonomous loop"</h1>
            <p class="muted">"Every five minutes the AI agent reviews open work — stale tickets, customers gone quiet, approvals waiting too long, overdue tasks — and proposes what to do. Your "
                <a href="/app/settings/ai-policies">"AI policies"</a> " decide what runs at once and what waits in "
                <a href="/app/approvals">"Approvals"</a> ". At most ten proposals per cycle; after errors it waits longer."</p>
        </header>
        <FormError error=err/>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(v) => {
                        let on = v.enabled;
                        view! {
                            <section class="card row wrap" data-testid="loop-state">
                                <strong>{if on { "On" } else { "Off" }}</strong>
                                {v.can_manage.then(|| view! {
                                    <button class="btn btn-small" data-testid="loop-toggle"
                                        on:click=move |_| { set.dispatch(SetAiLoop { enabled: !on }); }>{if on { "Turn off" } else { "Turn on" }}</button>
                                    <button class="btn btn-ghost btn-small" data-testid="loop-run"
                                        on:click=move |_| { run.dispatch(RunAiLoop {}); }>"Run a cycle now"</button>
                                })}
                            </section>
                            {if v.runs.is_empty() {
                                view! { <Empty title="No cycles yet" hint="Turn the loop on; its first cycle runs within five minutes."/> }.into_any()
                            } else {
                                view! {
                                    <table class="table" data-testid="loop-runs">
                                        <thead><tr><th>"When"</th><th>"Looked at"</th><th>"Did"</th><th>"Proposals"</th><th>"Errors"</th></tr></thead>
                                        <tbody>{v.runs.into_iter().map(|r| view! {
                                            <tr data-testid="loop-run-row">
                                                <td class="small nowrap">{fmt_time(&r.started_at)}</td>
                                                <td class="small">{r.looked_at.iter().map(|(k, n)| format!("{n} {k}")).collect::<Vec<_>>().join(" · ")}</td>
                                                <td class="small"><ul class="plain">{r.did.into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}</ul></td>
                                                <td>{r.proposals}</td>
                                                <td>{r.errors}{(r.backoff_secs > 0).then(|| format!(" (next in {} min)", r.backoff_secs / 60))}</td>
                                            </tr>
                                        }).collect_view()}</tbody>
                                    </table>
                                }.into_any()
                            }}
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
