//! `/app/reports`: the report builder. The definition lives in the URL (metric,
//! grouping, split, period, chart, filters), so a report is a link, the back
//! button undoes a change, and clicking a bar, slice or table cell adds `drill`
//! (and `series`) to list the conversations behind it. Charts are ECharts
//! options built on the server with charming and drawn by `/charts.js`.

use crate::components::{action_error, fmt_time, ErrorBox, FormError, Loading};
use crate::serverfns::reports::{
    drill_report, get_reports_page, run_report, DeleteReport, SaveReport,
};
use crate::types::{
    Channel, ChartKind, DrillDown, Group, Metric, Priority, ReportFilters, ReportOption,
    ReportResult, ReportSpec, ReportsPage as PageData, SaveReportForm, Status,
};
use leptos::prelude::*;
use leptos_meta::{Script, Title};
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;

/// The periods offered, in days.
const PERIODS: &[(i64, &str)] = &[
    (1, "Today"),
    (7, "Last 7 days"),
    (14, "Last 14 days"),
    (30, "Last 30 days"),
    (90, "Last 90 days"),
    (365, "Last 365 days"),
];

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A report definition read from the URL (defaults where absent or unknown).
fn spec_of(q: &ParamsMap) -> ReportSpec {
    let d = ReportSpec::default();
    let id = |k: &str| q.get(k).and_then(|v| v.parse::<i32>().ok());
    let text = |k: &str| q.get(k).filter(|v| !v.is_empty());
    ReportSpec {
        metric: q
            .get("metric")
            .and_then(|v| Metric::parse(&v))
            .unwrap_or(d.metric),
        group: q
            .get("group")
            .and_then(|v| Group::parse(&v))
            .unwrap_or(d.group),
        split: q
            .get("split")
            .and_then(|v| Group::parse(&v))
            .unwrap_or(d.split),
        days: q.get("days").and_then(|v| v.parse().ok()).unwrap_or(d.days),
        chart: q
            .get("chart")
            .and_then(|v| ChartKind::parse(&v))
            .unwrap_or(d.chart),
        filters: ReportFilters {
            channel: text("channel"),
            priority: text("priority"),
            status: text("status"),
            assignee_id: id("agent"),
            team_id: id("team"),
            tag_id: id("tag"),
        },
    }
}

/// The builder's URL for a definition (and a saved report, a point to drill).
pub fn href(spec: &ReportSpec, report: Option<i32>, drill: Option<(&str, &str)>) -> String {
    let mut parts = vec![
        format!("metric={}", spec.metric.as_str()),
        format!("group={}", spec.group.as_str()),
    ];
    if spec.split != Group::Nothing {
        parts.push(format!("split={}", spec.split.as_str()));
    }
    parts.push(format!("days={}", spec.days));
    parts.push(format!("chart={}", spec.chart.as_str()));
    let f = &spec.filters;
    for (k, v) in [
        ("channel", f.channel.clone()),
        ("priority", f.priority.clone()),
        ("status", f.status.clone()),
        ("agent", f.assignee_id.map(|v| v.to_string())),
        ("team", f.team_id.map(|v| v.to_string())),
        ("tag", f.tag_id.map(|v| v.to_string())),
    ] {
        if let Some(v) = v {
            parts.push(format!("{k}={}", enc(&v)));
        }
    }
    if let Some(r) = report {
        parts.push(format!("report={r}"));
    }
    if let Some((key, series)) = drill {
        parts.push(format!("drill={}", enc(key)));
        if !series.is_empty() {
            parts.push(format!("series={}", enc(series)));
        }
    }
    format!("/app/reports?{}", parts.join("&"))
}

/// The report builder.
#[component]
pub fn ReportsPage() -> impl IntoView {
    let q = use_query_map();
    let spec = Memo::new(move |_| spec_of(&q.read()));
    let report = Memo::new(move |_| q.read().get("report").and_then(|v| v.parse::<i32>().ok()));
    let drill = Memo::new(move |_| {
        q.read()
            .get("drill")
            .filter(|v| !v.is_empty())
            .map(|k| (k, q.read().get("series").unwrap_or_default()))
    });
    let saved_changed = RwSignal::new(0_u32);
    let page = Resource::new(move || saved_changed.get(), |_| get_reports_page());
    let result = Resource::new(move || spec.get(), run_report);
    let rows = Resource::new(
        move || (spec.get(), drill.get()),
        |(s, d)| async move {
            match d {
                Some((key, series)) => drill_report(s, key, series).await.map(Some),
                None => Ok(None),
            }
        },
    );
    view! {
        <Title text="Reports"/>
        <Script src="/vendor/echarts.min.js" defer="defer"/>
        <Script src="/charts.js" defer="defer"/>
        <header class="page-head">
            <h1>"Reports"</h1>
            <p class="muted">"Measure the conversations created in a period: choose a metric, what to group and split it by, filters and a chart. Click a bar, a slice or a cell to see the conversations behind it. "
                <A href="/app/reports/exports">"Export or email a saved report"</A></p>
        </header>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                let (s, id) = (spec.get(), report.get());
                match page.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(p) => view! {
                        <div class="reports">
                            <Controls page=p.clone() spec=s.clone() report=id/>
                            <SavedReports page=p spec=s report=id saved_changed/>
                        </div>
                    }.into_any(),
                }
            })}
        </Transition>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                let id = report.get();
                match result.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(r) => view! { <ReportView r report=id/> }.into_any(),
                }
            })}
        </Transition>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match rows.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(None) => ().into_any(),
                    Ok(Some(d)) => view! { <DrillList d/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// One labelled `<select>` whose choice navigates to the changed definition.
#[component]
fn Pick(
    label: &'static str,
    name: &'static str,
    value: String,
    options: Vec<(String, String)>,
    change: Callback<String>,
) -> impl IntoView {
    view! {
        <label class="field">
            <span>{label}</span>
            <select name=name prop:value=value on:change=move |ev| change.run(event_target_value(&ev))>
                {options.into_iter().map(|(v, l)| view! { <option value=v>{l}</option> }).collect_view()}
            </select>
        </label>
    }
}

fn with_any(any: &str, list: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), any.to_owned())];
    out.extend(list);
    out
}

fn parse_id(v: &str) -> Option<i32> {
    v.parse::<i32>().ok()
}

fn named(list: &[ReportOption]) -> Vec<(String, String)> {
    list.iter()
        .map(|o| (o.id.to_string(), o.name.clone()))
        .collect()
}

#[component]
fn Controls(page: PageData, spec: ReportSpec, report: Option<i32>) -> impl IntoView {
    let navigate = use_navigate();
    let go = move |next: ReportSpec| navigate(&href(&next, report, None), Default::default());
    let base = spec.clone();
    let change = move |f: fn(&mut ReportSpec, String)| {
        let go = go.clone();
        let base = base.clone();
        Callback::new(move |v: String| {
            let mut next = base.clone();
            f(&mut next, v);
            go(next);
        })
    };
    let groups = |skip_time: bool| -> Vec<(String, String)> {
        Group::ALL
            .iter()
            .filter(|g| !(skip_time && (g.is_time() || **g == Group::Segment)))
            .map(|g| (g.as_str().to_owned(), g.label().to_owned()))
            .collect()
    };
    let split_options = {
        let mut o = groups(true);
        if let Some(first) = o.first_mut() {
            first.1 = "No split".to_owned();
        }
        o
    };
    let f = spec.filters.clone();
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let idv = |v: Option<i32>| v.map(|v| v.to_string()).unwrap_or_default();
    view! {
        <section class="card report-controls" aria-label="Report definition">
            <div class="report-fields">
                <Pick label="Metric" name="metric" value=spec.metric.as_str().to_owned()
                    options=Metric::ALL.iter().map(|m| (m.as_str().to_owned(), m.label().to_owned())).collect()
                    change=change(|s, v| if let Some(m) = Metric::parse(&v) { s.metric = m; })/>
                <Pick label="Group by" name="group" value=spec.group.as_str().to_owned() options=groups(false)
                    change=change(|s, v| if let Some(g) = Group::parse(&v) {
                        s.group = g;
                        if g == s.split || g == Group::Segment { s.split = Group::Nothing; }
                        if g == Group::Hour && s.days > 14 { s.days = 7; }
                        if s.chart == ChartKind::Stacked && s.split == Group::Nothing { s.chart = ChartKind::Bar; }
                    })/>
                <Pick label="Split by" name="split" value=spec.split.as_str().to_owned() options=split_options
                    change=change(|s, v| if let Some(g) = Group::parse(&v) {
                        s.split = g;
                        if g != Group::Nothing && matches!(s.chart, ChartKind::Pie | ChartKind::Number) { s.chart = ChartKind::Stacked; }
                        if g == Group::Nothing && s.chart == ChartKind::Stacked { s.chart = ChartKind::Bar; }
                    })/>
                <Pick label="Period" name="days" value=spec.days.to_string()
                    options=PERIODS.iter().map(|(d, l)| (d.to_string(), (*l).to_owned())).collect()
                    change=change(|s, v| if let Ok(d) = v.parse() { s.days = d; })/>
                <Pick label="Chart" name="chart" value=spec.chart.as_str().to_owned()
                    options=ChartKind::ALL.iter().map(|c| (c.as_str().to_owned(), c.label().to_owned())).collect()
                    change=change(|s, v| if let Some(c) = ChartKind::parse(&v) {
                        s.chart = c;
                        if matches!(c, ChartKind::Pie | ChartKind::Number) { s.split = Group::Nothing; }
                        if c == ChartKind::Pie && s.group == Group::Nothing { s.group = Group::Channel; }
                        if c == ChartKind::Stacked && s.split == Group::Nothing {
                            s.split = if s.group == Group::Channel { Group::Priority } else { Group::Channel };
                        }
                    })/>
            </div>
            <div class="report-fields">
                <Pick label="Channel" name="channel" value=opt(&f.channel)
                    options=with_any("Any channel", Channel::ALL.iter().map(|c| (c.as_str().to_owned(), c.label().to_owned())).collect())
                    change=change(|s, v| s.filters.channel = Some(v).filter(|v| !v.is_empty()))/>
                <Pick label="Priority" name="priority" value=opt(&f.priority)
                    options=with_any("Any priority", Priority::ALL.iter().map(|c| (c.as_str().to_owned(), c.label().to_owned())).collect())
                    change=change(|s, v| s.filters.priority = Some(v).filter(|v| !v.is_empty()))/>
                <Pick label="Status now" name="status" value=opt(&f.status)
                    options=with_any("Any status", Status::ALL.iter().map(|c| (c.as_str().to_owned(), c.label().to_owned())).collect())
                    change=change(|s, v| s.filters.status = Some(v).filter(|v| !v.is_empty()))/>
                <Pick label="Agent" name="agent" value=idv(f.assignee_id) options=with_any("Any agent", named(&page.agents))
                    change=change(|s, v| s.filters.assignee_id = parse_id(&v))/>
                <Pick label="Team" name="team" value=idv(f.team_id) options=with_any("Any team", named(&page.teams))
                    change=change(|s, v| s.filters.team_id = parse_id(&v))/>
                <Pick label="Tag" name="tag" value=idv(f.tag_id) options=with_any("Any tag", named(&page.tags))
                    change=change(|s, v| s.filters.tag_id = parse_id(&v))/>
            </div>
        </section>
    }
}

#[component]
fn SavedReports(
    page: PageData,
    spec: ReportSpec,
    report: Option<i32>,
    saved_changed: RwSignal<u32>,
) -> impl IntoView {
    let current = report.and_then(|id| page.saved.iter().find(|s| s.id == id).cloned());
    let name = RwSignal::new(current.as_ref().map(|c| c.name.clone()).unwrap_or_default());
    let shared = RwSignal::new(current.as_ref().is_some_and(|c| c.shared));
    let save = ServerAction::<SaveReport>::new();
    let delete = ServerAction::<DeleteReport>::new();
    let error = action_error(save.value());
    let del_error = action_error(delete.value());
    let navigate = use_navigate();
    let nav = navigate.clone();
    let spec_now = spec.clone();
    Effect::new(move |_| {
        if let Some(Ok(r)) = save.value().get() {
            saved_changed.update(|n| *n += 1);
            nav(&href(&r.spec, Some(r.id), None), Default::default());
        }
    });
    let spec_after = spec.clone();
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            saved_changed.update(|n| *n += 1);
            navigate(&href(&spec_after, None, None), Default::default());
        }
    });
    let editable = current.as_ref().is_none_or(|c| c.editable);
    let current_id = current.as_ref().map(|c| c.id);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SaveReport {
            form: SaveReportForm {
                id: if editable { current_id } else { None },
                name: name.get_untracked(),
                spec: spec_now.clone(),
                shared: shared.get_untracked(),
            },
        });
    };
    view! {
        <section class="card report-saved" aria-label="Saved reports">
            <h2>"Saved reports"</h2>
            {if page.saved.is_empty() {
                view! { <p class="muted">"None yet: build a report, name it and save it."</p> }.into_any()
            } else {
                view! {
                    <ul class="saved-list">
                        {page.saved.clone().into_iter().map(|s| {
                            let class = if Some(s.id) == report { "active" } else { "" };
                            view! {
                                <li class=class>
                                    <A href=href(&s.spec, Some(s.id), None)>{s.name.clone()}</A>
                                    {s.shared.then(|| view! { <span class="badge">"Shared"</span> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <form class="save-report" on:submit=submit>
                <input type="text" required maxlength="80" aria-label="Report name" placeholder="Name this report"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                {page.can_share.then(|| view! {
                    <label class="check"><input type="checkbox" prop:checked=move || shared.get()
                        on:change=move |ev| shared.set(event_target_checked(&ev))/>" Share with the workspace"</label>
                })}
                <button class="btn" type="submit">{if current_id.is_some() && editable { "Save changes" } else { "Save report" }}</button>
                {(current_id.is_some() && editable).then(|| view! {
                    <button class="btn btn-ghost" type="button"
                        on:click=move |_| { if let Some(id) = current_id { delete.dispatch(DeleteReport { id }); } }>"Delete"</button>
                })}
            </form>
            <FormError error=error fields=&["name"]/>
            <FormError error=del_error/>
        </section>
    }
}

/// The group keys of a chart's points in the order ECharts numbers them (a
/// pie leaves out empty slices), and the series keys: what `/charts.js` turns
/// a clicked point into.
pub fn drill_keys(r: &ReportResult, chart: ChartKind) -> (Vec<String>, Vec<String>) {
    let mut keys: Vec<String> = Vec::new();
    let mut series: Vec<String> = Vec::new();
    for p in &r.points {
        if !series.contains(&p.series) {
            series.push(p.series.clone());
        }
        if chart == ChartKind::Pie && p.value.is_none() {
            continue;
        }
        if !keys.contains(&p.key) {
            keys.push(p.key.clone());
        }
    }
    (keys, series)
}

#[component]
fn ReportView(r: ReportResult, report: Option<i32>) -> impl IntoView {
    let spec = r.spec.clone();
    let multi = spec.split != Group::Nothing;
    let all = href(&spec, report, Some((crate::types::REPORT_ALL, "")));
    let (keys, series) = drill_keys(&r, spec.chart);
    let json = |v: &[String]| serde_json::to_string(v).unwrap_or_default();
    let body = match spec.chart {
        ChartKind::Number => view! {
            <div class="number-card" data-testid="report-number">
                <span class="big">{r.total.clone()}</span>
                <A href=all.clone()>{format!("{} {}", r.total_count, r.population)}</A>
            </div>
        }
        .into_any(),
        ChartKind::Table => {
            let table_rows: Vec<Vec<crate::types::ReportPoint>> = r
                .points
                .chunks(series.len().max(1))
                .map(<[_]>::to_vec)
                .collect();
            let head: Vec<String> = r
                .points
                .iter()
                .take(series.len())
                .map(|p| p.series_label.clone())
                .collect();
            view! {
                <table class="table report-table" data-testid="report-table">
                    <thead><tr><th>{spec.group.label()}</th>{head.into_iter().map(|h| view! { <th class="num">{h}</th> }).collect_view()}</tr></thead>
                    <tbody>
                        {table_rows.into_iter().map(|row| {
                            let label = row.first().map(|p| p.label.clone()).unwrap_or_default();
                            view! {
                                <tr>
                                    <th scope="row">{label}</th>
                                    {row.into_iter().map(|p| {
                                        let link = href(&spec, report, Some((&p.key, &p.series)));
                                        view! { <td class="num"><A href=link attr:title=format!("{} {}", p.count, r.population)>{p.shown}</A></td> }
                                    }).collect_view()}
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }
        _ => view! {
            <div class="chart report-chart" data-testid="report-chart"
                data-echarts=r.chart.clone()
                data-drill-href=href(&spec, report, None)
                data-drill-keys=json(&keys)
                data-drill-series=if multi { json(&series) } else { "[]".to_owned() }></div>
        }
        .into_any(),
    };
    view! {
        <section class="card report-result" data-testid="report-result">
            <div class="row report-head">
                <div>
                    <h2>{r.title.clone()}</h2>
                    <p class="muted">{format!("{} · times in {} · over {}", r.period, r.zone, r.population)}</p>
                </div>
                {(spec.chart != ChartKind::Number).then(|| view! {
                    <A href=all.clone() attr:class="report-total" attr:data-testid="report-total">
                        <span class="big">{r.total.clone()}</span>
                        <span class="muted">{format!("{} conversations", r.total_count)}</span>
                    </A>
                })}
            </div>
            {body}
        </section>
    }
}

#[component]
fn DrillList(d: DrillDown) -> impl IntoView {
    let shown = d.rows.len();
    view! {
        <section class="card drill" data-testid="drill-down" aria-label="Conversations behind the point">
            <h2>{d.label.clone()}</h2>
            <p class="muted">{if (shown as u64) < d.total {
                format!("The newest {shown} of {} conversations.", d.total)
            } else if d.total == 1 {
                "1 conversation.".to_owned()
            } else {
                format!("{} conversations.", d.total)
            }}</p>
            {(!d.rows.is_empty()).then(|| view! {
                <table class="table">
                    <thead><tr><th>"#"</th><th>"Subject"</th><th>"Channel"</th><th>"Priority"</th><th>"Created"</th><th>"Value"</th></tr></thead>
                    <tbody>
                        {d.rows.into_iter().map(|c| view! {
                            <tr data-number=c.number>
                                <td><A href=format!("/app/inbox?c={}", c.number)>{format!("#{}", c.number)}</A></td>
                                <td>{c.subject}</td>
                                <td>{Channel::parse(&c.channel).map_or(c.channel.clone(), |x| x.label().to_owned())}</td>
                                <td>{Priority::parse(&c.priority).map_or(c.priority.clone(), |x| x.label().to_owned())}</td>
                                <td>{fmt_time(&c.created_at)}</td>
                                <td>{c.value}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
}
