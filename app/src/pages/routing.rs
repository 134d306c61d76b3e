//! `/app/settings/routing`: routing queues (which tickets, which agents, which
//! strategy, when, and overflow), each agent's skills, capacity and status, and
//! the routing figures (what waits, time to assign, utilisation).

use crate::components::{action_error, fmt_time, ErrorBox, FormError, Loading};
use crate::serverfns::routing::{
    get_routing, get_routing_lists, DeleteQueue, MoveQueue, SaveAgentRouting, SaveQueue,
};
use crate::types::{
    default_capacity, duration_text, AgentRoutingForm, AgentStatus, Channel, Priority, QueueForm,
    QueueView, RoutingAgentView, RoutingMetrics, RoutingPage, RoutingStrategy,
};
use leptos::prelude::*;
use leptos_meta::Title;

/// "42s", "3m", "1h 5m".
fn wait_text(secs: Option<i64>) -> String {
    match secs {
        None => "—".to_owned(),
        Some(s) if s < 60 => format!("{s}s"),
        Some(s) => duration_text(s),
    }
}

fn list_text(v: &[String]) -> String {
    v.join(", ")
}

fn parse_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The editor's choices, kept for the page's life.
#[derive(Clone, Copy)]
struct Lists {
    teams: StoredValue<Vec<(i32, String)>>,
    schedules: StoredValue<Vec<(i32, String)>>,
    segments: StoredValue<Vec<(i32, String)>>,
}

fn blank_queue() -> QueueForm {
    QueueForm {
        strategy: RoutingStrategy::RoundRobin.as_str().to_owned(),
        enabled: true,
        ..QueueForm::default()
    }
}

fn metrics_view(m: &RoutingMetrics) -> impl IntoView {
    view! {
        <section class="stats" data-testid="routing-metrics">
            <div class="stat"><span class="stat-value" data-testid="metric-waiting">{m.waiting}</span><span class="stat-label">"Waiting in queues"</span></div>
            <div class="stat"><span class="stat-value">{m.routed_24h}</span><span class="stat-label">"Routed, last 24 h"</span></div>
            <div class="stat"><span class="stat-value">{wait_text(m.avg_assign_secs)}</span><span class="stat-label">"Average time to assign"</span></div>
            <div class="stat"><span class="stat-value">{wait_text(m.p90_assign_secs)}</span><span class="stat-label">"90 % assigned within"</span></div>
            <div class="stat"><span class="stat-value" data-testid="metric-utilisation">{format!("{} %", m.utilisation_pct)}</span><span class="stat-label">"Utilisation of online agents"</span></div>
            <div class="stat"><span class="stat-value">{format!("{} / {}", m.online, m.away)}</span><span class="stat-label">"Online / away"</span></div>
        </section>
    }
}

fn queues_table(
    list: Vec<QueueView>,
    edit: impl Fn(QueueView) + Copy + 'static,
    mv: ServerAction<MoveQueue>,
    delete: ServerAction<DeleteQueue>,
) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted small">"No queues yet: tickets stay unassigned until someone takes them (the AI agent's hand-overs go to the least busy agent)."</p> }.into_any();
    }
    view! {
        <table class="table" data-testid="queue-list">
            <thead><tr><th>"#"</th><th>"Queue"</th><th>"Takes"</th><th>"Goes to"</th><th>"Strategy"</th><th>"Hours"</th><th>"Overflow"</th><th>"Waiting"</th><th>"Avg. to assign"</th><th></th></tr></thead>
            <tbody>{list.into_iter().map(|q| {
                let id = q.id;
                let qv = q.clone();
                let f = q.form.clone();
                let strategy = RoutingStrategy::parse(&f.strategy).map_or(f.strategy.clone(), |s| s.label().to_owned());
                let overflow = f.overflow_after_mins.map_or_else(|| "Never".to_owned(), |m| format!("after {}", duration_text(i64::from(m) * 60)));
                view! {
                    <tr data-testid="queue-row" data-name=f.name.clone()>
                        <td>{q.position}</td>
                        <td><strong>{f.name.clone()}</strong>{(!f.enabled).then(|| view! { <span class="badge badge-muted">"off"</span> })}
                            {q.note.clone().map(|n| view! { <br/><span class="small field-error" data-testid="queue-note">{n}</span> })}</td>
                        <td class="small">{q.takes.clone()}</td>
                        <td class="small">{q.pool.clone()}</td>
                        <td class="small">{strategy}</td>
                        <td class="small">{q.hours.clone()}</td>
                        <td class="small">{overflow}</td>
                        <td data-testid="queue-waiting">{q.waiting}{q.oldest_wait_secs.map(|s| view! { <span class="small muted">{format!(" (oldest {})", wait_text(Some(s)))}</span> })}</td>
                        <td class="small">{wait_text(q.avg_assign_secs)}{(q.routed_24h > 0).then(|| format!(" · {} in 24 h", q.routed_24h))}</td>
                        <td class="actions">
                            <button class="btn btn-ghost btn-small" title="Move up" on:click=move |_| { mv.dispatch(MoveQueue { id, up: true }); }>"↑"</button>
                            <button class="btn btn-ghost btn-small" title="Move down" on:click=move |_| { mv.dispatch(MoveQueue { id, up: false }); }>"↓"</button>
                            <button class="btn btn-ghost btn-small" data-testid="edit-queue" on:click=move |_| edit(qv.clone())>"Edit"</button>
                            <button class="btn btn-ghost btn-small" on:click=move |_| { delete.dispatch(DeleteQueue { id }); }>"Delete"</button>
                        </td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table>
    }
    .into_any()
}

fn status_badge(status: AgentStatus, auto: bool) -> impl IntoView {
    view! {
        <span class="status-badge" data-testid="agent-status" data-status=status.as_str()>
            <span class=format!("status-dot status-{}", status.as_str())></span>
            {status.label()}
            {auto.then(|| view! { <span class="small muted">" (auto)"</span> })}
        </span>
    }
}

fn agents_table(
    list: Vec<RoutingAgentView>,
    edit: impl Fn(RoutingAgentView) + Copy + 'static,
) -> impl IntoView {
    view! {
        <table class="table" data-testid="agent-list">
            <thead><tr><th>"Agent"</th><th>"Status"</th><th>"Skills"</th><th>"Open / capacity"</th><th>"Utilisation"</th><th>"Last seen"</th><th></th></tr></thead>
            <tbody>{list.into_iter().map(|a| {
                let av = a.clone();
                let load = a.channels.iter()
                    .filter(|l| l.open > 0 || matches!(l.channel.as_str(), "chat" | "email"))
                    .map(|l| format!("{} {}/{}", Channel::parse(&l.channel).map_or_else(|| l.channel.clone(), |c| c.label().to_owned()), l.open, l.capacity))
                    .collect::<Vec<_>>()
                    .join(" · ");
                view! {
                    <tr data-testid="agent-row" data-email=a.email.clone()>
                        <td><strong>{a.name.clone()}</strong><br/><span class="small muted">{a.email.clone()}</span></td>
                        <td>{status_badge(a.status, a.status_auto)}</td>
                        <td class="small" data-testid="agent-skills">{if a.skills.is_empty() { "—".to_owned() } else { list_text(&a.skills) }}</td>
                        <td class="small">{load}</td>
                        <td>{format!("{} %", a.utilisation_pct)}</td>
                        <td class="small">{a.last_seen.as_deref().map_or_else(|| "—".to_owned(), fmt_time)}</td>
                        <td class="actions"><button class="btn btn-ghost btn-small" data-testid="edit-agent" on:click=move |_| edit(av.clone())>"Edit"</button></td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table>
    }
}

/// `/app/settings/routing`.
#[component]
#[allow(clippy::too_many_lines)]
pub fn RoutingPage() -> impl IntoView {
    let save_q = ServerAction::<SaveQueue>::new();
    let del_q = ServerAction::<DeleteQueue>::new();
    let mv_q = ServerAction::<MoveQueue>::new();
    let save_a = ServerAction::<SaveAgentRouting>::new();
    let live = crate::pages::admin::use_live();
    let page = Resource::new(
        move || {
            (
                save_q.version().get(),
                del_q.version().get(),
                mv_q.version().get(),
                save_a.version().get(),
                live.team.get(),
            )
        },
        |_| get_routing(),
    );
    let lists = Resource::new(|| (), |()| get_routing_lists());
    let queue = RwSignal::new(blank_queue());
    let q_loaded = RwSignal::new(0_u64);
    let agent: RwSignal<Option<RoutingAgentView>> = RwSignal::new(None);
    let agent_form = RwSignal::new(AgentRoutingForm::default());
    let a_loaded = RwSignal::new(0_u64);
    let q_err = action_error(save_q.value());
    let a_err = action_error(save_a.value());
    let msg = move |err: Signal<Option<crate::error::AppError>>, f: &'static str| {
        move || {
            err.get()
                .filter(|e| e.field_name() == Some(f))
                .map(|e| view! { <p class="field-error" role="alert">{e.to_string()}</p> })
        }
    };
    let load_q = move |q: Option<QueueView>| {
        queue.set(q.map_or_else(blank_queue, |q| q.form));
        q_loaded.update(|n| *n += 1);
        save_q.clear();
    };
    let load_a = move |a: RoutingAgentView| {
        agent_form.set(AgentRoutingForm {
            user_id: a.user_id,
            skills: a.skills.clone(),
            capacity: a
                .channels
                .iter()
                .map(|l| (l.channel.clone(), l.capacity))
                .collect(),
        });
        agent.set(Some(a));
        a_loaded.update(|n| *n += 1);
        save_a.clear();
    };
    Effect::new(move |_| {
        if let Some(Ok(v)) = save_q.value().get() {
            queue.update_untracked(|f| f.id = Some(v.id));
        }
    });
    view! {
        <Title text="Routing"/>
        <header class="page-head">
            <h1>"Routing"</h1>
            <p class="muted">"Queues decide who gets each new ticket: the first queue that takes it picks an online agent of its pool with the skills it needs and room on the ticket's channel. Agents set themselves online, away or offline in the sidebar; idle agents go away on their own."</p>
        </header>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(RoutingPage { queues, metrics, .. }) => view! {
                        {metrics_view(&metrics)}
                        <section class="card">
                            <div class="row"><h2>"Queues"</h2><span class="spacer"></span>
                                <button class="btn btn-small" data-testid="new-queue" on:click=move |_| load_q(None)>"New queue"</button></div>
                            <p class="small muted">"A ticket joins the first queue in this list that takes it; tickets the AI agent answers join when it hands them over."</p>
                            {queues_table(queues, move |q| load_q(Some(q)), mv_q, del_q)}
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
        // The editors live outside the page's Transition: a save or a live
        // update refetches the page without rebuilding what is being typed.
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                lists.await.ok().map(|lists| {
                    let lists = Lists {
                        teams: StoredValue::new(lists.teams),
                        schedules: StoredValue::new(lists.schedules),
                        segments: StoredValue::new(lists.segments),
                    };
                    view! {
            <For each=move || [q_loaded.get()] key=|k| *k children=move |_| {
                        let Lists { teams, schedules, segments } = lists;
                        let f = queue.get_untracked();
                        let team_sel = f.team_id;
                let seg_sel = f.segment_id;
                        let over_sel = f.overflow_team_id;
                        let sched_sel = f.schedule_id;
                        let strategy_sel = f.strategy.clone();
                        view! {
                            <section class="card" data-testid="queue-editor">
                                <h2>{if f.id.is_some() { "Edit queue" } else { "New queue" }}</h2>
                                <div class="form">
                                    <label for="q-name">"Name"</label>
                                    <input id="q-name" type="text" data-testid="queue-name" value=f.name.clone() placeholder="VIP chats"
                                        on:input=move |ev| queue.update_untracked(|f| f.name = event_target_value(&ev))/>
                                    {msg(q_err, "name")}
                                    <p class="small"><strong>"Channels (none ticked: any)"</strong></p>
                                    <div class="row wrap">{Channel::ALL.iter().map(|c| {
                                        let v = c.as_str().to_owned();
                                        let on = f.channels.contains(&v);
                                        view! {
                                            <label class="check"><input type="checkbox" checked=on data-channel=c.as_str()
                                                on:change=move |ev| {
                                                    let on = event_target_checked(&ev);
                                                    let v = v.clone();
                                                    queue.update_untracked(|f| { f.channels.retain(|x| *x != v); if on { f.channels.push(v); } });
                                                }/>" " {c.label()}</label>
                                        }
                                    }).collect_view()}</div>
                                    {msg(q_err, "channels")}
                                    <p class="small"><strong>"Priorities (none ticked: any)"</strong></p>
                                    <div class="row wrap">{Priority::ALL.iter().map(|p| {
                                        let v = p.as_str().to_owned();
                                        let on = f.priorities.contains(&v);
                                        view! {
                                            <label class="check"><input type="checkbox" checked=on data-priority=p.as_str()
                                                on:change=move |ev| {
                                                    let on = event_target_checked(&ev);
                                                    let v = v.clone();
                                                    queue.update_untracked(|f| { f.priorities.retain(|x| *x != v); if on { f.priorities.push(v); } });
                                                }/>" " {p.label()}</label>
                                        }
                                    }).collect_view()}</div>
                                    {msg(q_err, "priorities")}
                                    <label for="q-tag">"Only tickets tagged (empty: any)"</label>
                                    <input id="q-tag" type="text" data-testid="queue-tag" value=f.tag.clone() placeholder="vip"
                                        on:input=move |ev| queue.update_untracked(|f| f.tag = event_target_value(&ev))/>
                                    {msg(q_err, "tag")}
                                    <label for="q-team">"Team (its tickets; its members get them)"</label>
                                    <select id="q-team" data-testid="queue-team" on:change=move |ev| {
                                        let v = event_target_value(&ev).parse().ok();
                                        queue.update_untracked(|f| f.team_id = v);
                                    }>
                                        <option value="" selected=team_sel.is_none()>"Any ticket · every agent"</option>
                                        {teams.get_value().into_iter().map(|(id, name)| view! {
                                            <option value=id.to_string() selected=team_sel == Some(id)>{name}</option>
                                        }).collect_view()}
                                    </select>
                                    {msg(q_err, "team_id")}
                        <label for="q-segment">"Only customers in segment"</label>
                        <select id="q-segment" data-testid="queue-segment" on:change=move |ev| {
                            let v = event_target_value(&ev).parse().ok();
                            queue.update_untracked(|f| f.segment_id = v);
                        }>
                            <option value="" selected=seg_sel.is_none()>"Any customer"</option>
                            {segments.get_value().into_iter().map(|(id, name)| view! {
                                <option value=id.to_string() selected=seg_sel == Some(id)>{name}</option>
                            }).collect_view()}
                        </select>
                        {msg(q_err, "segment_id")}
                                    <label for="q-skills">"Skills every agent must have (comma-separated, e.g. language:fr, tier:vip)"</label>
                                    <input id="q-skills" type="text" data-testid="queue-skills" value=list_text(&f.skills)
                                        on:input=move |ev| queue.update_untracked(|f| f.skills = parse_list(&event_target_value(&ev)))/>
                                    {msg(q_err, "skills")}
                                    <label for="q-strategy">"Strategy"</label>
                                    <select id="q-strategy" data-testid="queue-strategy" on:change=move |ev| {
                                        let v = event_target_value(&ev);
                                        queue.update_untracked(|f| f.strategy = v);
                                    }>
                                        {RoutingStrategy::ALL.iter().map(|s| view! {
                                            <option value=s.as_str() selected=strategy_sel == s.as_str()>{s.label()}</option>
                                        }).collect_view()}
                                    </select>
                                    <p class="small muted">"Round robin: in turn. Load balanced: most free capacity on the ticket's channel. Skill match: the most of the ticket's tags among the agent's skills (product:tents fits a ticket tagged tents). Priority weighted: load where urgent tickets count 4 and high 2, and the most urgent waiting ticket goes first."</p>
                                    {msg(q_err, "strategy")}
                                    <label for="q-sched">"Assign"</label>
                                    <select id="q-sched" data-testid="queue-schedule" on:change=move |ev| {
                                        let v = event_target_value(&ev).parse().ok();
                                        queue.update_untracked(|f| f.schedule_id = v);
                                    }>
                                        <option value="" selected=sched_sel.is_none()>"Any time"</option>
                                        {schedules.get_value().into_iter().map(|(id, name)| view! {
                                            <option value=id.to_string() selected=sched_sel == Some(id)>{format!("During {name} business hours")}</option>
                                        }).collect_view()}
                                    </select>
                                    {msg(q_err, "schedule_id")}
                                    <label for="q-over">"Overflow: widen the pool after a ticket waited (minutes; empty: never)"</label>
                                    <input id="q-over" type="number" min="1" data-testid="queue-overflow" value=f.overflow_after_mins.map(|m| m.to_string()).unwrap_or_default()
                                        on:input=move |ev| queue.update_untracked(|f| f.overflow_after_mins = event_target_value(&ev).trim().parse().ok())/>
                                    {msg(q_err, "overflow_after_mins")}
                                    <label for="q-over-team">"…to"</label>
                                    <select id="q-over-team" data-testid="queue-overflow-team" on:change=move |ev| {
                                        let v = event_target_value(&ev).parse().ok();
                                        queue.update_untracked(|f| f.overflow_team_id = v);
                                    }>
                                        <option value="" selected=over_sel.is_none()>"Every agent (skills no longer required)"</option>
                                        {teams.get_value().into_iter().map(|(id, name)| view! {
                                            <option value=id.to_string() selected=over_sel == Some(id)>{format!("Team {name}")}</option>
                                        }).collect_view()}
                                    </select>
                                    {msg(q_err, "overflow_team_id")}
                                    <label class="check"><input type="checkbox" checked=f.enabled
                                        on:change=move |ev| queue.update_untracked(|f| f.enabled = event_target_checked(&ev))/>" On"</label>
                                </div>
                                <FormError error=q_err fields=&["name", "channels", "priorities", "tag", "team_id", "segment_id", "skills", "strategy", "schedule_id", "overflow_after_mins", "overflow_team_id"]/>
                                <div class="row">
                                    <button class="btn btn-primary" data-testid="save-queue"
                                        on:click=move |_| { save_q.dispatch(SaveQueue { form: queue.get_untracked() }); }>"Save queue"</button>
                                    {move || save_q.value().get().and_then(Result::ok).map(|v| view! {
                                        <span class="small muted" data-testid="queue-saved">{format!("Saved “{}”: {} → {}.", v.form.name, v.takes, v.pool)}</span>
                                    })}
                                </div>
                            </section>
                        }
                    }/>
                    }
                })
            })}
        </Suspense>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                page.await.ok().map(|p| view! {
                    <section class="card">
                        <h2>"Agents"</h2>
                        <p class="small muted">"Skills decide which queues' tickets an agent can get; capacity is how many open tickets they hold at once on each channel (new and open count; pending and on hold do not)."</p>
                        {agents_table(p.agents, load_a)}
                    </section>
                })
            })}
        </Transition>
        <For each=move || [a_loaded.get()] key=|k| *k children=move |_| {
            agent.get_untracked().map(|a| {
                let f = agent_form.get_untracked();
                view! {
                    <section class="card" data-testid="agent-editor">
                        <h2>{format!("{}: skills and capacity", a.name)}</h2>
                        <div class="form">
                            <label for="ag-skills">"Skills (comma-separated: language:fr, product:tents, tier:vip)"</label>
                            <input id="ag-skills" type="text" data-testid="agent-skills-input" value=list_text(&f.skills)
                                on:input=move |ev| agent_form.update_untracked(|f| f.skills = parse_list(&event_target_value(&ev)))/>
                            {msg(a_err, "skills")}
                        </div>
                        <table class="table small">
                            <thead><tr><th>"Channel"</th><th>"Open now"</th><th>"Capacity"</th></tr></thead>
                            <tbody>{a.channels.iter().enumerate().map(|(i, l)| {
                                let ch = Channel::parse(&l.channel);
                                let def = ch.map_or(10, default_capacity);
                                view! {
                                    <tr>
                                        <td>{ch.map_or_else(|| l.channel.clone(), |c| c.label().to_owned())}</td>
                                        <td>{l.open}</td>
                                        <td><input type="number" min="0" max="200" aria-label="Capacity" data-testid=format!("capacity-{}", l.channel)
                                            value=l.capacity.to_string() title=format!("Default {def}")
                                            on:input=move |ev| {
                                                let n = event_target_value(&ev).trim().parse().unwrap_or(def);
                                                agent_form.update_untracked(|f| if let Some(c) = f.capacity.get_mut(i) { c.1 = n; });
                                            }/></td>
                                    </tr>
                                }
                            }).collect_view()}</tbody>
                        </table>
                        {msg(a_err, "capacity")}
                        <FormError error=a_err fields=&["skills", "capacity"]/>
                        <div class="row">
                            <button class="btn btn-primary" data-testid="save-agent"
                                on:click=move |_| { save_a.dispatch(SaveAgentRouting { form: agent_form.get_untracked() }); }>"Save"</button>
                            {move || save_a.value().get().and_then(Result::ok).map(|()| view! {
                                <span class="small muted" data-testid="agent-saved">"Saved."</span>
                            })}
                        </div>
                    </section>
                }
            })
        }/>
    }
}
