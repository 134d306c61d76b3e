//! `/app/dashboards` and `/app/dashboards/:id`: report widgets on a 12-column
//! grid. Start from a pre-built dashboard (overview, volume, agents, SLA, CSAT,
//! channels, AI) or a blank one; in Arrange mode drag a card by its title to
//! move it and by its corner to resize it, add saved reports, remove cards, then
//! save. A secret link shares the dashboard read-only, signed out or embedded.
//! Clicking a chart's point opens the report builder on that point's
//! conversations.

use crate::components::{action_error, ErrorBox, FormError, Loading};
use crate::pages::reports::href as report_href;
use crate::serverfns::reports::{
    get_board, get_dashboards, get_reports_page, CreateDashboard, DeleteDashboard, SaveDashboard,
    ShareDashboard,
};
use crate::types::{
    ChartKind, ReportResult, SaveDashboardForm, Widget, WidgetView, GRID_COLUMNS, REPORT_ALL,
};
use leptos::prelude::*;
use leptos_meta::{Script, Title};
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

/// A row of the grid, in pixels (the gap included).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const ROW: f64 = 92.0;

/// The dashboards list and the templates to start from.
#[component]
pub fn DashboardsPage() -> impl IntoView {
    let data = Resource::new(|| (), |()| get_dashboards());
    let create = ServerAction::<CreateDashboard>::new();
    let error = action_error(create.value());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = create.value().get() {
            navigate(&format!("/app/dashboards/{id}"), Default::default());
        }
    });
    view! {
        <Title text="Dashboards"/>
        <header class="page-head">
            <h1>"Dashboards"</h1>
            <p class="muted">"Reports side by side on a grid. Start from a pre-built dashboard or a blank one, arrange it, and share it by a secret link. "
                <A href="/app/live">"Live dashboard"</A> " · " <A href="/app/digest">"Daily digest"</A></p>
        </header>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(p) => view! {
                        <section class="card">
                            <h2>"Your dashboards"</h2>
                            {if p.dashboards.is_empty() {
                                view! { <p class="muted">"None yet: start from one below."</p> }.into_any()
                            } else {
                                view! {
                                    <ul class="board-list">
                                        {p.dashboards.into_iter().map(|d| view! {
                                            <li>
                                                <A href=format!("/app/dashboards/{}", d.id)>{d.name}</A>
                                                <span class="muted">{format!(" · {} widgets", d.widgets)}</span>
                                                {d.shared.then(|| view! { <span class="badge">"Shared"</span> })}
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                        </section>
                        {p.can_manage.then(|| view! {
                            <section class="card">
                                <h2>"Start a dashboard"</h2>
                                <div class="templates">
                                    {p.templates.into_iter().map(|t| {
                                        let key = t.key.clone();
                                        let name = t.name.clone();
                                        view! {
                                            <div class="template" data-template=t.key.clone()>
                                                <strong>{t.name.clone()}</strong>
                                                <p class="muted">{t.description}</p>
                                                <button class="btn" type="button"
                                                    on:click=move |_| { create.dispatch(CreateDashboard { name: name.clone(), template: key.clone() }); }>
                                                    "Use this"
                                                </button>
                                            </div>
                                        }
                                    }).collect_view()}
                                    <div class="template" data-template="">
                                        <strong>"Blank"</strong>
                                        <p class="muted">"An empty grid to add saved reports to."</p>
                                        <button class="btn" type="button"
                                            on:click=move |_| { create.dispatch(CreateDashboard { name: "New dashboard".into(), template: String::new() }); }>
                                            "Start blank"
                                        </button>
                                    </div>
                                </div>
                                <FormError error=error fields=&["name", "template"]/>
                            </section>
                        })}
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// What a widget's card shows (chart, table or number).
#[component]
pub fn WidgetBody(r: ReportResult, chart: ChartKind) -> impl IntoView {
    let spec = r.spec.clone();
    match chart {
        ChartKind::Number => view! {
            <div class="widget-number">
                <A href=report_href(&spec, None, Some((REPORT_ALL, ""))) attr:class="big">{r.total.clone()}</A>
                <span class="muted">{format!("{} {}", r.total_count, r.population)}</span>
            </div>
        }.into_any(),
        ChartKind::Table => view! {
            <div class="widget-table">
                <table class="table">
                    <tbody>
                        {r.points.into_iter().map(|p| {
                            let label = if p.series.is_empty() { p.label.clone() } else { format!("{} · {}", p.label, p.series_label) };
                            let link = report_href(&spec, None, Some((&p.key, &p.series)));
                            view! { <tr><td>{label}</td><td class="num"><A href=link>{p.shown}</A></td></tr> }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        }.into_any(),
        _ => {
            let (keys, series) = crate::pages::reports::drill_keys(&r, chart);
            let json = |v: &[String]| serde_json::to_string(v).unwrap_or_default();
            let drill_series = if series.len() > 1 { json(&series) } else { "[]".to_owned() };
            view! {
                <div class="chart widget-chart" data-echarts=r.chart.clone()
                    data-drill-href=report_href(&spec, None, None)
                    data-drill-keys=json(&keys)
                    data-drill-series=drill_series></div>
            }.into_any()
        }
    }
}

/// A widget's card content: title, period and body (or why it cannot show).
#[component]
pub fn WidgetCard(v: WidgetView) -> impl IntoView {
    let title = v.widget.title.clone();
    let chart = v.widget.spec.chart;
    view! {
        <h3 class="widget-title">{title}</h3>
        {match v.result {
            Err(m) => view! { <p class="alert alert-error">{m}</p> }.into_any(),
            Ok(r) => view! {
                <p class="muted widget-meta">{r.period.clone()}</p>
                <WidgetBody r chart/>
            }.into_any(),
        }}
    }
}

fn place(w: &Widget) -> String {
    format!(
        "grid-column: {} / span {}; grid-row: {} / span {};",
        w.x + 1,
        w.w,
        w.y + 1,
        w.h
    )
}

/// One dashboard, to read or arrange.
#[component]
pub fn BoardPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|v| v.parse::<i32>().ok())
            .unwrap_or(0)
    });
    let version = RwSignal::new(0_u32);
    let board = Resource::new(move || (id.get(), version.get()), |(id, _)| get_board(id));
    view! {
        <Title text="Dashboard"/>
        <Script src="/vendor/echarts.min.js" defer="defer"/>
        <Script src="/charts.js" defer="defer"/>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match board.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(b) => view! { <Board b version/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// A drag in progress: which card, move or resize, where it started.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
struct Drag {
    index: usize,
    resize: bool,
    start_x: f64,
    start_y: f64,
    orig: (u8, u16, u8, u8),
    cell: f64,
}

/// Where a drag puts its card: whole cells moved (or grown) from where it
/// started, kept inside the grid and the size limits.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn dragged(d: &Drag, w: &mut Widget, px: f64, py: f64) {
    let dx = ((px - d.start_x) / d.cell).round() as i32;
    let dy = ((py - d.start_y) / ROW).round() as i32;
    let (x, y, ww, h) = d.orig;
    let cols = i32::from(GRID_COLUMNS);
    if d.resize {
        w.w = (i32::from(ww) + dx).clamp(2, cols - i32::from(x)) as u8;
        w.h = (i32::from(h) + dy).clamp(2, 8) as u8;
    } else {
        w.x = (i32::from(x) + dx).clamp(0, cols - i32::from(ww)) as u8;
        w.y = (i32::from(y) + dy).clamp(0, 200) as u16;
    }
}

/// Makes room for the card at `first`: every other card that would overlap
/// one already placed moves down until it fits (cards keep their columns).
pub fn settle(l: &mut [Widget], first: usize) {
    let mut order: Vec<usize> = (0..l.len()).collect();
    order.sort_by_key(|&i| (i != first, l[i].y, l[i].x));
    let mut placed: Vec<usize> = Vec::with_capacity(l.len());
    for i in order {
        while placed.iter().any(|&j| overlap(&l[i], &l[j])) {
            l[i].y += 1;
        }
        placed.push(i);
    }
}

fn overlap(a: &Widget, b: &Widget) -> bool {
    a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + u16::from(b.h) && b.y < a.y + u16::from(a.h)
}

#[component]
fn Board(b: crate::types::BoardView, version: RwSignal<u32>) -> impl IntoView {
    let id = b.id;
    let arranging = RwSignal::new(false);
    let name = RwSignal::new(b.name.clone());
    let views = StoredValue::new(b.widgets.clone());
    let layout = RwSignal::new(
        b.widgets
            .iter()
            .map(|v| v.widget.clone())
            .collect::<Vec<Widget>>(),
    );
    let drag: RwSignal<Option<Drag>> = RwSignal::new(None);
    let grid = NodeRef::<leptos::html::Div>::new();
    let save = ServerAction::<SaveDashboard>::new();
    let share = ServerAction::<ShareDashboard>::new();
    let delete = ServerAction::<DeleteDashboard>::new();
    let save_error = action_error(save.value());
    let share_path = RwSignal::new(b.share_path.clone());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = save.value().get() {
            arranging.set(false);
            version.update(|n| *n += 1);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(p)) = share.value().get() {
            share_path.set(p);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            navigate("/app/dashboards", Default::default());
        }
    });
    #[cfg(feature = "hydrate")]
    {
        let moved = window_event_listener(leptos::ev::pointermove, move |ev| {
            let Some(d) = drag.get_untracked() else {
                return;
            };
            let (px, py) = (f64::from(ev.client_x()), f64::from(ev.client_y()));
            layout.update(|l| {
                if let Some(w) = l.get_mut(d.index) {
                    dragged(&d, w, px, py);
                    settle(l, d.index);
                }
            });
        });
        let up = window_event_listener(leptos::ev::pointerup, move |_| drag.set(None));
        on_cleanup(move || {
            moved.remove();
            up.remove();
        });
    }
    let start = move |index: usize, resize: bool, ev: leptos::ev::PointerEvent| {
        if !arranging.get_untracked() {
            return;
        }
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        let cell = grid.get_untracked().map_or(80.0, |g| {
            f64::from(g.client_width()) / f64::from(GRID_COLUMNS)
        });
        #[cfg(not(feature = "hydrate"))]
        let cell = {
            let _ = grid;
            80.0
        };
        let Some(w) = layout.with_untracked(|l| l.get(index).cloned()) else {
            return;
        };
        drag.set(Some(Drag {
            index,
            resize,
            start_x: f64::from(ev.client_x()),
            start_y: f64::from(ev.client_y()),
            orig: (w.x, w.y, w.w, w.h),
            cell,
        }));
    };
    let saved = Resource::new(
        move || arranging.get(),
        |on| async move {
            if on {
                get_reports_page().await.map(Some)
            } else {
                Ok(None)
            }
        },
    );
    let add = move |id: i32| {
        let report = saved
            .get_untracked()
            .and_then(Result::ok)
            .flatten()
            .and_then(|p| p.saved.into_iter().find(|s| s.id == id));
        if let Some(s) = report {
            layout.update(|l| {
                let bottom = l.iter().map(|w| w.y + u16::from(w.h)).max().unwrap_or(0);
                l.push(Widget {
                    title: s.name,
                    spec: s.spec,
                    x: 0,
                    y: bottom,
                    w: 6,
                    h: 4,
                });
            });
        }
    };
    let can_manage = b.can_manage;
    view! {
        <header class="page-head row board-head">
            <div>
                {move || if arranging.get() {
                    view! { <input class="board-name" aria-label="Dashboard name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/> }.into_any()
                } else {
                    view! { <h1>{move || name.get()}</h1> }.into_any()
                }}
                <p class="muted"><A href="/app/dashboards">"All dashboards"</A></p>
            </div>
            {can_manage.then(|| view! {
                <div class="row board-actions">
                    <Show when=move || arranging.get() fallback=move || view! {
                        <button class="btn" type="button" data-testid="arrange" on:click=move |_| arranging.set(true)>"Arrange"</button>
                        {move || match share_path.get() {
                            None => view! { <button class="btn btn-ghost" type="button" data-testid="share-on" on:click=move |_| { share.dispatch(ShareDashboard { id, on: true }); }>"Share link"</button> }.into_any(),
                            Some(_) => view! { <button class="btn btn-ghost" type="button" data-testid="share-off" on:click=move |_| { share.dispatch(ShareDashboard { id, on: false }); }>"Stop sharing"</button> }.into_any(),
                        }}
                    }>
                        <button class="btn btn-primary" type="button" data-testid="save-layout"
                            on:click=move |_| { save.dispatch(SaveDashboard { form: SaveDashboardForm { id, name: name.get_untracked(), widgets: layout.get_untracked() } }); }>"Save layout"</button>
                        <button class="btn btn-ghost" type="button" on:click=move |_| { arranging.set(false); version.update(|n| *n += 1); }>"Cancel"</button>
                        <button class="btn btn-ghost danger" type="button" on:click=move |_| { delete.dispatch(DeleteDashboard { id }); }>"Delete dashboard"</button>
                    </Show>
                </div>
            })}
        </header>
        <FormError error=save_error fields=&["name", "widgets"]/>
        {move || share_path.get().map(|p| view! {
            <section class="card share-box" data-testid="share-box">
                <p>"Anyone with this link sees the dashboard, read-only, without signing in. Stop sharing to turn the link off."</p>
                <input readonly aria-label="Share link" data-testid="share-link" prop:value=p.clone()/>
                <p class="muted">"Embed: "<code>{format!("<iframe src=\"{p}\" width=\"100%\" height=\"720\" frameborder=\"0\"></iframe>")}</code></p>
            </section>
        })}
        <div class="board-grid" class:arranging=move || arranging.get() node_ref=grid data-testid="board-grid">
            {move || {
                let l = layout.get();
                let shown = views.get_value();
                l.into_iter().enumerate().map(|(i, w)| {
                    let body = shown.iter().find(|v| v.widget.spec == w.spec && v.widget.title == w.title).cloned();
                    let style = place(&w);
                    view! {
                        <section class="card widget" style=style data-testid="widget" data-index=i
                            data-x=w.x data-y=w.y data-w=w.w data-h=w.h>
                            <div class="widget-grip" on:pointerdown=move |ev| start(i, false, ev)>
                                {match body {
                                    Some(v) => view! { <WidgetCard v/> }.into_any(),
                                    None => view! { <h3 class="widget-title">{w.title.clone()}</h3><p class="muted">"Shown once the layout is saved."</p> }.into_any(),
                                }}
                            </div>
                            {move || arranging.get().then(|| view! {
                                <button class="widget-remove" type="button" aria-label="Remove widget"
                                    on:click=move |_| layout.update(|l| { if i < l.len() { l.remove(i); } })>"×"</button>
                                <span class="widget-resize" aria-label="Resize" data-testid="widget-resize" on:pointerdown=move |ev| start(i, true, ev)></span>
                            })}
                        </section>
                    }
                }).collect_view()
            }}
        </div>
        {move || layout.with(Vec::is_empty).then(|| view! { <p class="muted">"No widgets yet: Arrange, then add saved reports."</p> })}
        {move || arranging.get().then(|| view! {
            <section class="card add-widget">
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match saved.await {
                            Ok(Some(p)) if !p.saved.is_empty() => view! {
                                <label class="field"><span>"Add a saved report"</span>
                                    <select data-testid="add-widget" on:change=move |ev| { if let Ok(id) = event_target_value(&ev).parse() { add(id); } }>
                                        <option value="">"Choose a report…"</option>
                                        {p.saved.into_iter().map(|s| view! { <option value=s.id.to_string()>{s.name}</option> }).collect_view()}
                                    </select>
                                </label>
                            }.into_any(),
                            Ok(_) => view! { <p class="muted">"Save reports in the report builder to add them here. Drag a card's title to move it, its corner to resize it."</p> }.into_any(),
                            Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ReportSpec;

    fn widget() -> Widget {
        Widget {
            title: "T".into(),
            spec: ReportSpec::default(),
            x: 2,
            y: 1,
            w: 4,
            h: 3,
        }
    }

    #[test]
    fn a_drag_moves_and_resizes_by_whole_cells_inside_the_grid() {
        let d = Drag {
            index: 0,
            resize: false,
            start_x: 100.0,
            start_y: 100.0,
            orig: (2, 1, 4, 3),
            cell: 50.0,
        };
        let mut w = widget();
        dragged(&d, &mut w, 160.0, 100.0 + ROW * 2.0);
        assert_eq!(
            (w.x, w.y, w.w, w.h),
            (3, 3, 4, 3),
            "one cell right, two rows down"
        );
        dragged(&d, &mut w, 2000.0, 0.0);
        assert_eq!(
            (w.x, w.y),
            (8, 0),
            "kept inside the 12 columns and above row 0"
        );
        let r = Drag { resize: true, ..d };
        let mut w = widget();
        dragged(&r, &mut w, 100.0 + 50.0 * 3.0, 100.0 - ROW * 5.0);
        assert_eq!(
            (w.w, w.h),
            (7, 2),
            "three columns wider, no lower than two rows"
        );
        dragged(&r, &mut w, 5000.0, 5000.0);
        assert_eq!(
            (w.w, w.h),
            (10, 8),
            "to the grid's edge, eight rows at most"
        );
    }

    #[test]
    fn a_card_dropped_on_others_pushes_them_down() {
        let at = |x, y, w, h| Widget {
            x,
            y,
            w,
            h,
            ..widget()
        };
        // Card 2 dropped onto card 0's place: 0 moves below 2, and 1 (under 0)
        // below it in turn.
        let mut l = vec![at(0, 0, 6, 4), at(0, 4, 6, 2), at(0, 1, 6, 2)];
        settle(&mut l, 2);
        assert_eq!(
            l.iter().map(|w| (w.x, w.y)).collect::<Vec<_>>(),
            vec![(0, 3), (0, 7), (0, 1)]
        );
        // Side by side cards do not move.
        let mut l = vec![at(0, 0, 6, 4), at(6, 0, 6, 4)];
        settle(&mut l, 1);
        assert_eq!((l[0].y, l[1].y), (0, 0));
    }
}

/// Home's overview: the Overview dashboard's widgets for the last 30 days.
#[component]
pub fn HomeOverview() -> impl IntoView {
    let data = Resource::new(|| (), |()| crate::serverfns::reports::get_home_widgets());
    view! {
        <Script src="/vendor/echarts.min.js" defer="defer"/>
        <Script src="/charts.js" defer="defer"/>
        <section class="home-overview" data-testid="home-overview">
            <div class="row overview-head">
                <h2>"Support at a glance"</h2>
                <span><A href="/app/dashboards">"Dashboards"</A>" · "<A href="/app/reports">"Build a report"</A></span>
            </div>
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(widgets) => view! {
                            <div class="board-grid">
                                {widgets.into_iter().map(|v| {
                                    let style = place(&v.widget);
                                    view! { <section class="card widget" style=style data-testid="widget"><WidgetCard v/></section> }
                                }).collect_view()}
                            </div>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
