//! Flows: `/app/flows` (the list; create) and `/app/flows/:id` (the builder: the
//! canvas, the selected step's settings, problems, a preview chat, analytics,
//! versions). Everything here is in its own lazy area, never in the first load;
//! graphs travel as JSON text (see `serverfns::flows`).

mod canvas;
mod preview;
mod props;

use crate::components::{fmt_time, ErrorBox, FormError, Loading};
use crate::error::AppError;
use crate::serverfns::campaigns::get_campaign_stats;
use crate::serverfns::flows::{
    get_flow, get_flow_editor_options, get_flow_stats, list_flows, publish_flow, rollback_flow,
    save_flow_draft, save_flow_settings, SaveFlowSettings,
};
use crate::types::{CampaignStats, FlowDetail, FlowSettingsForm, FlowStats, FLOW_KINDS};
use canvas::{Canvas, Editor};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use std::collections::HashMap;

/// `/app/flows`.
#[component]
pub fn FlowsPage() -> impl IntoView {
    let create = ServerAction::<SaveFlowSettings>::new();
    let flows = Resource::new(move || create.version().get(), |_| list_flows());
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new("chatbot".to_owned());
    Effect::new(move |_| {
        if let Some(Ok(f)) = create.value().get() {
            crate::components::hard_navigate(&format!("/app/flows/{}", f.id));
        }
    });
    view! {
        <Title text="Flows · Switchboard"/>
        <div class="page-head">
            <h1>"Flows"</h1>
            <p class="muted">"Chatbot flows talk with customers on the widget and other channels; workflows run steps, waits and branches on tickets; campaigns email a segment's customers over days. Draw them on a canvas, preview them, publish a version."</p>
        </div>
        <div class="card">
            <h2>"New flow"</h2>
            <form class="row gap" on:submit=move |ev| {
                ev.prevent_default();
                create.dispatch(SaveFlowSettings { form: FlowSettingsForm {
                    id: None,
                    name: name.get_untracked(),
                    kind: kind.get_untracked(),
                    channels: if kind.get_untracked() == "chatbot" { vec!["chat".into()] } else { Vec::new() },
                    enabled: true,
                }});
            }>
                <input data-testid="flow-name" placeholder="Name, e.g. Order help" prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))/>
                <select data-testid="flow-kind" prop:value=move || kind.get() on:change=move |ev| kind.set(event_target_value(&ev))>
                    {FLOW_KINDS.iter().map(|(v, l)| view! { <option value=*v>{*l}</option> }).collect_view()}
                </select>
                <button class="btn btn-primary" data-testid="flow-create">"Create and open"</button>
            </form>
            <FormError error=crate::components::action_error(create.value())/>
        </div>
        <Transition fallback=|| view! { <Loading/> }>
            {move || flows.get().map(|r| match r {
                Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                Ok(list) if list.is_empty() => view! { <p class="muted">"No flows yet."</p> }.into_any(),
                Ok(list) => view! {
                    <table class="table card" data-testid="flow-list">
                        <thead><tr><th>"Name"</th><th>"Kind"</th><th>"Channels"</th><th>"Live version"</th><th>"Draft"</th><th>"Changed"</th></tr></thead>
                        <tbody>{list.into_iter().map(|f| view! {
                            <tr data-testid="flow-row">
                                <td><A href=format!("/app/flows/{}", f.id)>{f.name.clone()}</A></td>
                                <td>{match f.kind.as_str() { "workflow" => "Workflow", "campaign" => "Campaign", _ => "Chatbot" }}</td>
                                <td>{match f.kind.as_str() { "workflow" => "tickets".to_owned(), "campaign" => "email".to_owned(), _ => f.channels.join(", ") }}</td>
                                <td>{match (f.published_version, f.enabled) {
                                    (Some(v), true) => format!("v{v}, on"),
                                    (Some(v), false) => format!("v{v}, off"),
                                    (None, _) => "not published".into(),
                                }}</td>
                                <td>{match (f.problems, f.unpublished_changes) {
                                    (0, false) => "published".to_owned(),
                                    (0, true) => "ready to publish".to_owned(),
                                    (n, _) => format!("{n} problem(s)"),
                                }}</td>
                                <td>{fmt_time(&f.updated_at)}</td>
                            </tr>
                        }).collect_view()}</tbody>
                    </table>
                }.into_any(),
            })}
        </Transition>
    }
}

fn parse<T: serde::de::DeserializeOwned>(r: Result<String, AppError>) -> Result<T, AppError> {
    r.and_then(|s| serde_json::from_str(&s).map_err(|e| AppError::Transport(e.to_string())))
}

/// `/app/flows/:id`.
#[component]
pub fn FlowEditorPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .with(|p| p.get("id").and_then(|s| s.parse::<i32>().ok()))
            .unwrap_or_default()
    };
    let detail = Resource::new(
        id,
        |id| async move { parse::<FlowDetail>(get_flow(id).await) },
    );
    let options = Resource::new(|| (), |()| get_flow_editor_options());
    view! {
        <Title text="Flow · Switchboard"/>
        <Suspense fallback=|| view! { <Loading/> }>
            {move || match (detail.get(), options.get()) {
                (Some(Err(e)), _) | (_, Some(Err(e))) => Some(view! { <ErrorBox error=e/> }.into_any()),
                (Some(Ok(d)), Some(Ok(o))) => Some(view! { <Builder detail=d options=o/> }.into_any()),
                _ => None,
            }}
        </Suspense>
    }
}

#[component]
fn Builder(detail: FlowDetail, options: crate::types::FlowEditorOptions) -> impl IntoView {
    let flow_id = detail.summary.id;
    let editor = Editor::new(detail.draft.clone());
    let info = RwSignal::new(detail);
    provide_context(canvas::SegmentNames(options.segments.clone()));
    provide_context(canvas::MessageNames(options.messages.clone()));
    let options = StoredValue::new(options);
    let problems = Memo::new(move |_| editor.graph.with(crate::types::FlowGraph::problems));
    let error = RwSignal::new(None::<AppError>);
    let notice = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let tab = RwSignal::new("step");
    let current = RwSignal::new(None::<String>);
    let stats = RwSignal::new(None::<FlowStats>);
    let campaign = detail_kind(&info) == "campaign";
    let funnel = RwSignal::new(None::<CampaignStats>);
    let show_stats = RwSignal::new(false);
    let badges = Memo::new(move |_| {
        if !show_stats.get() {
            return HashMap::new();
        }
        if campaign {
            return funnel.with(|f| {
                f.as_ref()
                    .map(|f| {
                        f.steps
                            .iter()
                            .map(|s| {
                                (
                                    s.node.clone(),
                                    if s.in_app {
                                        format!(
                                            "{} seen · {} clicked · {} waiting",
                                            s.sent, s.clicked, s.queued
                                        )
                                    } else {
                                        format!(
                                            "{} sent · {} opened · {} clicked",
                                            s.sent, s.opened, s.clicked
                                        )
                                    },
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            });
        }
        stats.with(|s| {
            s.as_ref()
                .map(|s| {
                    s.nodes
                        .iter()
                        .map(|n| {
                            let mut t = format!("{} in", n.entries);
                            if n.waiting > 0 {
                                t.push_str(&format!(" · {} waiting", n.waiting));
                            }
                            if n.dropped > 0 {
                                t.push_str(&format!(" · {} dropped", n.dropped));
                            }
                            (n.node.clone(), t)
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
    });
    let done = move |r: Result<FlowDetail, AppError>, msg: &str| {
        busy.set(false);
        match r {
            Ok(d) => {
                info.set(d);
                editor.dirty.set(false);
                error.set(None);
                notice.set(Some(msg.to_owned()));
            }
            Err(e) => {
                notice.set(None);
                error.set(Some(e));
            }
        }
    };
    let save = move || {
        busy.set(true);
        let json = editor
            .graph
            .with_untracked(|g| serde_json::to_string(g).unwrap_or_default());
        leptos::task::spawn_local(async move {
            done(parse(save_flow_draft(flow_id, json).await), "Draft saved.");
        });
    };
    let publish = move || {
        busy.set(true);
        let json = editor
            .graph
            .with_untracked(|g| serde_json::to_string(g).unwrap_or_default());
        leptos::task::spawn_local(async move {
            let saved = parse::<FlowDetail>(save_flow_draft(flow_id, json).await);
            match saved {
                Ok(_) => {
                    let r = parse::<FlowDetail>(publish_flow(flow_id).await);
                    let v = r
                        .as_ref()
                        .ok()
                        .and_then(|d| d.summary.published_version)
                        .unwrap_or_default();
                    done(r, &format!("Published as version {v}."));
                }
                Err(e) => done(Err(e), ""),
            }
        });
    };
    // On or off: a switched-off flow starts nothing new (a campaign enrols
    // nobody; runs in progress finish).
    let switch = move || {
        busy.set(true);
        let form = info.with_untracked(|d| FlowSettingsForm {
            id: Some(flow_id),
            name: d.summary.name.clone(),
            kind: d.summary.kind.clone(),
            channels: d.summary.channels.clone(),
            enabled: !d.summary.enabled,
        });
        leptos::task::spawn_local(async move {
            let r = save_flow_settings(form).await;
            busy.set(false);
            match r {
                Ok(s) => {
                    let msg = match (s.enabled, s.kind.as_str()) {
                        (true, _) => "Switched on.",
                        (false, "campaign") => "Switched off: nobody new enters; customers already in it finish its steps.",
                        (false, _) => "Switched off: it starts nothing new.",
                    };
                    info.update(|d| d.summary = s);
                    error.set(None);
                    notice.set(Some(msg.to_owned()));
                }
                Err(e) => {
                    notice.set(None);
                    error.set(Some(e));
                }
            }
        });
    };
    let load_stats = move || {
        leptos::task::spawn_local(async move {
            if campaign {
                match get_campaign_stats(flow_id).await {
                    Ok(s) => {
                        funnel.set(Some(s));
                        show_stats.set(true);
                    }
                    Err(e) => error.set(Some(e)),
                }
                return;
            }
            match parse::<FlowStats>(get_flow_stats(flow_id, None).await) {
                Ok(s) => {
                    stats.set(Some(s));
                    show_stats.set(true);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <div class="page-head row">
            <div>
                <p class="muted"><A href="/app/flows">"Flows"</A>" / "</p>
                <h1 data-testid="flow-title">{move || info.with(|d| d.summary.name.clone())}</h1>
                <p class="muted" data-testid="flow-status">{move || info.with(|d| match d.summary.published_version {
                    Some(v) => format!("Live: version {v}{}", if d.summary.enabled { "" } else { " (switched off)" }),
                    None => "Not published yet".to_owned(),
                })}{move || if editor.dirty.get() { " · unsaved changes" } else { "" }}</p>
            </div>
            <div class="row gap">
                {move || info.with(|d| d.summary.published_version.is_some().then(|| {
                    let on = d.summary.enabled;
                    view! {
                        <button class="btn" data-testid="flow-switch" disabled=move || busy.get() on:click=move |_| switch()>
                            {if on { "Switch off" } else { "Switch on" }}
                        </button>
                    }
                }))}
                <button class="btn" data-testid="flow-save" disabled=move || busy.get() on:click=move |_| save()>"Save draft"</button>
                <button class="btn btn-primary" data-testid="flow-publish"
                    disabled=move || busy.get() || !problems.with(Vec::is_empty)
                    title=move || if problems.with(Vec::is_empty) { "Publish as the next version".to_owned() } else { "Fix the problems listed to publish".to_owned() }
                    on:click=move |_| publish()>"Publish"</button>
            </div>
        </div>
        {move || error.get().map(|e| view! { <ErrorBox error=e/> })}
        {move || notice.get().map(|n| view! { <p class="notice" data-testid="flow-notice">{n}</p> })}
        <div class="fb">
            <div class="fb-main">
                <Canvas editor problems=problems current=current badges=badges/>
                <Show when=move || !problems.with(Vec::is_empty)>
                    <div class="card fb-problems" data-testid="flow-problems">
                        <strong>{move || format!("{} problem(s) block publishing", problems.with(Vec::len))}</strong>
                        <ul>
                            {move || problems.get().into_iter().map(|p| {
                                let node = p.node.clone();
                                view! {
                                    <li data-testid="flow-problem">
                                        <a href="#" on:click=move |ev| {
                                            ev.prevent_default();
                                            if let Some(n) = node.clone() {
                                                editor.selected.set(std::iter::once(n).collect());
                                                tab.set("step");
                                            }
                                        }>{p.node.clone().unwrap_or_else(|| "flow".into())}</a>
                                        ": " {p.message.clone()}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </div>
                </Show>
            </div>
            <aside class="fb-side card">
                <div class="tabs" role="tablist">
                    {[("step", "Step"), ("preview", "Preview"), ("stats", "Analytics"), ("versions", "Versions")].into_iter().map(|(t, l)| view! {
                        <button class="tab" role="tab" data-testid=format!("flow-tab-{t}") class:active=move || tab.get() == t
                            on:click=move |_| {
                                tab.set(t);
                                if t == "stats" {
                                    load_stats();
                                }
                            }>{l}</button>
                    }).collect_view()}
                </div>
                {move || match tab.get() {
                    "preview" => view! { <preview::Preview editor current/> }.into_any(),
                    "stats" if campaign => view! { <CampaignFunnel funnel show=show_stats/> }.into_any(),
                    "stats" => view! { <StatsTable stats show=show_stats/> }.into_any(),
                    "versions" => view! { <Versions info flow_id editor/> }.into_any(),
                    _ => view! { <props::StepSettings editor options=options.get_value()/> }.into_any(),
                }}
            </aside>
        </div>
    }
}

fn detail_kind(info: &RwSignal<FlowDetail>) -> String {
    info.with_untracked(|d| d.summary.kind.clone())
}

/// A campaign's runs and, per Send email step, its funnel.
#[component]
fn CampaignFunnel(funnel: RwSignal<Option<CampaignStats>>, show: RwSignal<bool>) -> impl IntoView {
    let pct = |n: u64, of: u64| {
        n.saturating_mul(100)
            .checked_div(of)
            .map_or_else(String::new, |p| format!(" · {p}%"))
    };
    move || {
        funnel.get().map(|s| {
            view! {
                <div data-testid="campaign-stats">
                    <label class="check"><input type="checkbox" prop:checked=move || show.get()
                        on:change=move |ev| show.set(event_target_checked(&ev))/>" Show on the canvas"</label>
                    <div class="cards mini">
                        <div><strong data-testid="campaign-entered">{s.entered}</strong><small>"entered"</small></div>
                        <div><strong>{s.active}</strong><small>"in progress"</small></div>
                        <div><strong>{s.done}</strong><small>"finished"</small></div>
                        <div><strong>{s.skipped}</strong><small>"left out (members before)"</small></div>
                    </div>
                    {s.steps.iter().map(|st| if st.in_app {
                        view! {
                            <div class="campaign-step" data-testid="campaign-step" data-node=st.node.clone() data-in-app="true">
                                <strong>"In-app: "{st.subject.clone()}</strong>" "<small class="muted">{st.node.clone()}</small>
                                <div class="cards mini">
                                    <div><strong data-testid="campaign-seen">{st.sent}</strong><small>"seen"</small></div>
                                    <div><strong data-testid="campaign-clicked">{st.clicked}</strong><small>{format!("clicked{}", pct(st.clicked, st.sent))}</small></div>
                                    <div><strong>{st.converted}</strong><small>"converted"</small></div>
                                    <div><strong data-testid="campaign-waiting">{st.queued}</strong><small>"waiting for a visit"</small></div>
                                </div>
                                <p class="muted small" data-testid="campaign-not-sent">{format!("Not shown: {} lapsed or their message was deleted.", st.failed)}</p>
                            </div>
                        }.into_any()
                    } else {
                        view! {
                            <div class="campaign-step" data-testid="campaign-step" data-node=st.node.clone()>
                                <strong>{st.subject.clone()}</strong>" "<small class="muted">{st.node.clone()}</small>
                                <div class="cards mini">
                                    <div><strong data-testid="campaign-sent">{st.sent}</strong><small>"sent"</small></div>
                                    <div><strong data-testid="campaign-opened">{st.opened}</strong><small>{format!("opened{}", pct(st.opened, st.sent))}</small></div>
                                    <div><strong>{st.clicked}</strong><small>{format!("clicked{}", pct(st.clicked, st.sent))}</small></div>
                                    <div><strong>{st.converted}</strong><small>"converted"</small></div>
                                    <div><strong>{st.unsubscribed}</strong><small>"unsubscribed"</small></div>
                                    <div><strong>{st.queued}</strong><small>"waiting to go"</small></div>
                                </div>
                                <p class="muted small" data-testid="campaign-not-sent">{format!("Not sent: {} suppressed, {} capped, {} failed.", st.suppressed, st.capped, st.failed)}</p>
                            </div>
                        }.into_any()
                    }).collect_view()}
                    <p class="muted small">"Opens count the tracking image or a click (mail programs that block images undercount them). Sending settings and the suppression list: "<A href="/app/settings/sending">"Campaign sending"</A>"."</p>
                </div>
            }
        })
    }
}

#[component]
fn StatsTable(stats: RwSignal<Option<FlowStats>>, show: RwSignal<bool>) -> impl IntoView {
    move || {
        stats.get().map(|s| {
            view! {
                <div data-testid="flow-stats">
                    <label class="check"><input type="checkbox" prop:checked=move || show.get()
                        on:change=move |ev| show.set(event_target_checked(&ev))/>" Show on the canvas"</label>
                    <div class="cards mini">
                        <div><strong data-testid="flow-stat-entries">{s.entries}</strong><small>"entries"</small></div>
                        <div><strong>{s.completions}</strong><small>"completed"</small></div>
                        <div><strong data-testid="flow-stat-handoffs">{s.handoffs}</strong><small>"handed off"</small></div>
                        <div><strong>{s.resolutions}</strong><small>"resolved"</small></div>
                        <div><strong>{s.dropped}</strong><small>"dropped off"</small></div>
                        <div><strong>{s.active}</strong><small>"in progress"</small></div>
                    </div>
                    <table class="table small">
                        <thead><tr><th>"Step"</th><th>"In"</th><th>"Waiting"</th><th>"Dropped"</th><th>"Exits"</th></tr></thead>
                        <tbody>{s.nodes.iter().map(|n| view! {
                            <tr data-testid="flow-stat-row" data-node=n.node.clone()>
                                <td>{n.node.clone()}<br/><small class="muted">{n.label.clone()}</small></td>
                                <td>{n.entries}</td><td>{n.waiting}</td><td>{n.dropped}</td>
                                <td class="muted">{n.exits.iter().map(|(p, c)| format!("{p}: {c}")).collect::<Vec<_>>().join(", ")}</td>
                            </tr>
                        }).collect_view()}</tbody>
                    </table>
                    <p class="muted small">{format!("Dropped off: waiting more than {} hours at a question.", crate::types::FLOW_DROP_OFF_HOURS)}</p>
                </div>
            }
        })
    }
}

#[component]
fn Versions(info: RwSignal<FlowDetail>, flow_id: i32, editor: Editor) -> impl IntoView {
    let error = RwSignal::new(None::<AppError>);
    view! {
        {move || error.get().map(|e| view! { <ErrorBox error=e/> })}
        <ul class="plain" data-testid="flow-versions">
            {move || info.get().versions.into_iter().map(|v| {
                let version = v.version;
                view! {
                    <li>
                        <strong>{format!("v{version}")}</strong>" "{v.note.clone()}<br/>
                        <small class="muted">{v.by.clone().unwrap_or_default()}" · "{fmt_time(&v.at)}</small>
                        <button class="btn btn-small" on:click=move |_| {
                            leptos::task::spawn_local(async move {
                                match parse::<FlowDetail>(rollback_flow(flow_id, version).await) {
                                    Ok(d) => {
                                        editor.edit(|g| *g = d.draft.clone());
                                        editor.dirty.set(false);
                                        info.set(d);
                                    }
                                    Err(e) => error.set(Some(e)),
                                }
                            });
                        }>"Publish again"</button>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}
