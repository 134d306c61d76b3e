//! `/app/reports/exports`: a saved report exported now or emailed on a
//! schedule, as CSV or PDF (`services::reports::exports`). Exports are built by
//! a job; the list shows their progress as it moves (the live socket's
//! `report.export` events) and a download link once finished.

use crate::components::{action_error, fmt_time, ErrorBox, FormError, Loading};
use crate::pages::admin::use_live;
use crate::serverfns::reports::{get_exports, ExportReport, ScheduleReport, UnscheduleReport};
use crate::types::{ExportFormat, ExportSchedule, ExportView, Frequency, SavedReport};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// The exports page.
#[component]
pub fn ExportsPage() -> impl IntoView {
    let live = use_live();
    let query = use_query_map();
    let chosen = query.with_untracked(|q| q.get("report").and_then(|r| r.parse::<i32>().ok()));
    let export = ServerAction::<ExportReport>::new();
    let schedule = ServerAction::<ScheduleReport>::new();
    let unschedule = ServerAction::<UnscheduleReport>::new();
    let data = Resource::new(
        move || {
            (
                live.reports.get(),
                export.version().get(),
                schedule.version().get(),
                unschedule.version().get(),
            )
        },
        |_| get_exports(),
    );
    let export_error = action_error(export.value());
    let schedule_error = action_error(schedule.value());
    let unschedule_error = action_error(unschedule.value());
    view! {
        <Title text="Report exports"/>
        <header class="page-head">
            <h1>"Report exports"</h1>
            <p class="muted">"Download a saved report as CSV or PDF, or have it emailed daily, weekly or monthly. "
                <A href="/app/reports">"Reports"</A> " · " <A href="/app/dashboards">"Dashboards"</A></p>
        </header>
        <FormError error=unschedule_error/>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(p) if p.reports.is_empty() => view! {
                        <section class="card"><p class="muted" data-testid="exports-no-reports">
                            "Save a report first: open " <A href="/app/reports">"Reports"</A>
                            ", build one and press Save. Saved reports can be exported and scheduled here."
                        </p></section>
                    }.into_any(),
                    Ok(p) => {
                        let pick_now = report_select("x-report", &p.reports, chosen);
                        let pick_sched = report_select("s-report", &p.reports, chosen);
                        view! {
                        <div class="exports-forms">
                            <section class="card">
                                <h2>"Export now"</h2>
                                <ActionForm action=export attr:class="form" attr:data-testid="export-now">
                                    {pick_now}
                                    {format_select("x-format")}
                                    {include_box("x-rows")}
                                    <div class="field">
                                        <label for="x-to">"Also email to (optional)"</label>
                                        <input id="x-to" name="form[recipients]" type="text" placeholder="name@example.com, …" autocomplete="off"/>
                                    </div>
                                    <button class="btn btn-primary" type="submit" disabled=move || export.pending().get()>"Export"</button>
                                </ActionForm>
                                <FormError error=export_error/>
                            </section>
                            <section class="card">
                                <h2>"Email on a schedule"</h2>
                                <ActionForm action=schedule attr:class="form" attr:data-testid="schedule-form">
                                    {pick_sched}
                                    {format_select("s-format")}
                                    <div class="field">
                                        <label for="s-freq">"How often"</label>
                                        <select id="s-freq" name="form[frequency]">
                                            {Frequency::ALL.iter().map(|f| view! { <option value=f.as_str()>{f.label()}</option> }).collect_view()}
                                        </select>
                                        <p class="field-hint">{format!("Sent at 08:00 in your time zone ({}).", p.zone)}</p>
                                    </div>
                                    {include_box("s-rows")}
                                    <div class="field">
                                        <label for="s-to">"Email to"</label>
                                        <input id="s-to" name="form[recipients]" type="text" required placeholder="name@example.com, …" autocomplete="off"/>
                                        <p class="field-hint">"Members of the workspace; admins may add any address."</p>
                                    </div>
                                    <button class="btn btn-primary" type="submit" disabled=move || schedule.pending().get()>"Schedule"</button>
                                </ActionForm>
                                <FormError error=schedule_error/>
                            </section>
                        </div>
                        <section class="card">
                            <h2>"Schedules"</h2>
                            {if p.schedules.is_empty() {
                                view! { <p class="muted" data-testid="schedules-none">"No report is emailed on a schedule yet."</p> }.into_any()
                            } else {
                                view! {
                                    <table class="table" data-testid="schedules">
                                        <thead><tr><th>"Report"</th><th>"File"</th><th>"How often"</th><th>"To"</th><th>"Next"</th><th>"Set up by"</th><th></th></tr></thead>
                                        <tbody>{p.schedules.into_iter().map(|s| schedule_row(s, unschedule)).collect_view()}</tbody>
                                    </table>
                                }.into_any()
                            }}
                        </section>
                        <section class="card">
                            <h2>"Latest exports"</h2>
                            {if p.exports.is_empty() {
                                view! { <p class="muted" data-testid="exports-none">"Nothing exported yet."</p> }.into_any()
                            } else {
                                view! {
                                    <table class="table" data-testid="exports">
                                        <thead><tr><th>"Report"</th><th>"File"</th><th>"Asked"</th><th>"Progress"</th><th></th></tr></thead>
                                        <tbody>{p.exports.into_iter().map(export_row).collect_view()}</tbody>
                                    </table>
                                }.into_any()
                            }}
                        </section>
                    }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

fn report_select(id: &'static str, reports: &[SavedReport], chosen: Option<i32>) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>"Report"</label>
            <select id=id name="form[report_id]">
                {reports.iter().map(|r| view! {
                    <option value=r.id.to_string() selected=chosen == Some(r.id)>{r.name.clone()}</option>
                }).collect_view()}
            </select>
        </div>
    }
}

fn format_select(id: &'static str) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>"File"</label>
            <select id=id name="form[format]">
                <option value="pdf">"PDF (chart and table)"</option>
                <option value="csv">"CSV (figures, for spreadsheets)"</option>
            </select>
        </div>
    }
}

fn include_box(id: &'static str) -> impl IntoView {
    view! {
        <label class="check" for=id>
            <input id=id type="checkbox" name="form[include_conversations]" value="true"/>
            " List every conversation counted (the PDF lists the first 1,000)"
        </label>
    }
}

fn schedule_row(s: ExportSchedule, unschedule: ServerAction<UnscheduleReport>) -> impl IntoView {
    let id = s.id;
    view! {
        <tr data-testid="schedule-row">
            <td>{s.report_name}{s.last_error.map(|e| view! { <p class="field-error small">{e}</p> })}</td>
            <td>{s.format.label()}{s.include_conversations.then_some(" + conversations")}</td>
            <td>{s.frequency.label()}</td>
            <td class="small">{s.recipients.join(", ")}</td>
            <td class="small">{fmt_time(&s.next_run_at)}</td>
            <td class="small">{s.owner}</td>
            <td>{s.deletable.then(|| view! {
                <button class="btn btn-small" type="button" on:click=move |_| { unschedule.dispatch(UnscheduleReport { id }); }>"Remove"</button>
            })}</td>
        </tr>
    }
}

fn export_row(e: ExportView) -> impl IntoView {
    let pct = e.percent();
    let label = match e.status.as_str() {
        "queued" => "Waiting to start".to_owned(),
        "running" if e.rows_total > 0 => format!("{} of {} rows", e.rows_done, e.rows_total),
        "running" => "Running the report".to_owned(),
        "failed" => "Failed".to_owned(),
        _ => format!("Done · {}", size(e.size_bytes)),
    };
    let emailed =
        (!e.recipients.is_empty()).then(|| format!("Emailed to {}", e.recipients.join(", ")));
    view! {
        <tr data-testid="export-row" data-status=e.status.clone() data-format=e.format.as_str()>
            <td>{e.report_name.clone()}{e.scheduled.then(|| view! { <span class="badge">"scheduled"</span> })}
                {emailed.map(|t| view! { <p class="muted small">{t}</p> })}</td>
            <td>{match e.format { ExportFormat::Csv => "CSV", ExportFormat::Pdf => "PDF" }}</td>
            <td class="small">{fmt_time(&e.created_at)}</td>
            <td>
                <div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=pct.to_string()>
                    <span style=format!("width:{pct}%")></span>
                </div>
                <span class="small muted">{label}</span>
                {e.error.clone().map(|m| view! { <p class="field-error small">{m}</p> })}
            </td>
            <td>{(e.status == "done").then(|| view! {
                <a class="btn btn-small" href=format!("/app/report-exports/{}", e.id) rel="external" download=e.filename.clone()>"Download"</a>
            })}</td>
        </tr>
    }
}

#[allow(clippy::cast_precision_loss, reason = "a size to one decimal")]
fn size(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else if bytes >= 1024 {
        format!("{} KB", bytes / 1024)
    } else {
        format!("{bytes} B")
    }
}
