//! `/app/settings/sla`: business-hours schedules (each in its own time zone, with
//! holidays) and SLA policies (first reply, next reply and resolution targets per
//! priority and segment, measured in a schedule's business hours).

use crate::components::{action_error, fmt_time, ErrorBox, FormError, Loading};
use crate::serverfns::hours::{
    get_sla, DeleteSchedule, DeleteSlaPolicy, SaveSchedule, SaveSlaPolicy,
};
use crate::types::{
    duration_text, Holiday, OpenHours, Priority, ScheduleForm, ScheduleView, SlaPage,
    SlaPolicyForm, SlaPolicyView, WEEKDAYS,
};
use leptos::prelude::*;
use leptos_meta::Title;

/// One weekday row of the schedule editor (one interval per day).
#[derive(Clone, Debug, Default)]
struct DayRow {
    open: bool,
    from: String,
    to: String,
}

fn day_rows(hours: &[OpenHours]) -> Vec<DayRow> {
    (0..7u8)
        .map(|d| match hours.iter().find(|h| h.day == d) {
            Some(h) => DayRow {
                open: true,
                from: h.open.clone(),
                to: h.close.clone(),
            },
            None => DayRow {
                open: false,
                from: "09:00".into(),
                to: "17:00".into(),
            },
        })
        .collect()
}

fn holidays_text(h: &[Holiday]) -> String {
    h.iter()
        .map(|h| format!("{} {}", h.date, h.name))
        .collect::<Vec<_>>()
        .join("\n")
}

fn parse_holidays(s: &str) -> Vec<Holiday> {
    s.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let l = l.trim();
            let (date, name) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            Holiday {
                date: date.trim().to_owned(),
                name: name.trim().to_owned(),
            }
        })
        .collect()
}

fn mins_text(m: Option<i32>) -> String {
    m.map_or_else(|| "—".to_owned(), |m| duration_text(i64::from(m) * 60))
}

/// Hours (may be fractional) typed in the editor → minutes.
fn hours_to_mins(s: &str) -> Option<i32> {
    let v: f64 = s.trim().replace(',', ".").parse().ok()?;
    #[allow(clippy::cast_possible_truncation)]
    Some((v * 60.0).round() as i32)
}

fn mins_to_hours(m: Option<i32>) -> String {
    m.map(|m| {
        let h = f64::from(m) / 60.0;
        let t = format!("{h:.2}");
        t.trim_end_matches('0').trim_end_matches('.').to_owned()
    })
    .unwrap_or_default()
}

fn schedules_table(
    list: Vec<ScheduleView>,
    edit: impl Fn(ScheduleView) + Copy + 'static,
    delete: ServerAction<DeleteSchedule>,
) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted small">"No schedules yet: SLA targets count around the clock."</p> }.into_any();
    }
    view! {
        <table class="table" data-testid="schedule-list">
            <thead><tr><th>"Name"</th><th>"Hours"</th><th>"Time zone"</th><th>"Holidays"</th><th>"Now"</th><th></th></tr></thead>
            <tbody>{list.into_iter().map(|s| {
                let id = s.id;
                let sv = s.clone();
                view! {
                    <tr data-testid="schedule-row" data-name=s.name.clone()>
                        <td><strong>{s.name.clone()}</strong></td>
                        <td class="small">{s.summary.clone()}</td>
                        <td class="small">{s.time_zone.clone()}</td>
                        <td class="small">{s.holidays.len()}</td>
                        <td class="small">{if s.open_now {
                            view! { <span class="badge status-ok">"Open"</span> }.into_any()
                        } else {
                            view! { <span class="badge badge-muted">"Closed"</span> }.into_any()
                        }}
                            {s.next_change.clone().map(|t| format!(" until {}", fmt_time(&t)))}</td>
                        <td class="actions">
                            <button class="btn btn-ghost btn-small" data-testid="edit-schedule" on:click=move |_| edit(sv.clone())>"Edit"</button>
                            <button class="btn btn-ghost btn-small" on:click=move |_| { delete.dispatch(DeleteSchedule { id }); }>"Delete"</button>
                        </td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table>
    }
    .into_any()
}

fn policies_table(
    list: Vec<SlaPolicyView>,
    edit: impl Fn(SlaPolicyView) + Copy + 'static,
    delete: ServerAction<DeleteSlaPolicy>,
) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted small">"No SLA policies yet: tickets have no targets."</p> }.into_any();
    }
    view! {
        <table class="table" data-testid="policy-list">
            <thead><tr><th>"Name"</th><th>"Applies to"</th><th>"Measured in"</th><th>"First reply"</th><th>"Next reply"</th><th>"Resolution"</th><th></th></tr></thead>
            <tbody>{list.into_iter().map(|p| {
                let id = p.id;
                let pv = p.clone();
                let f = p.form.clone();
                let applies = {
                    let pr = if f.priorities.is_empty() {
                        "any priority".to_owned()
                    } else {
                        f.priorities.iter().map(|x| Priority::parse(x).map_or(x.as_str(), |p| p.label())).collect::<Vec<_>>().join(", ")
                    };
                    if f.tag.is_empty() { pr } else { format!("{pr}, tagged {}", f.tag) }
                };
                view! {
                    <tr data-testid="policy-row" data-name=f.name.clone()>
                        <td><strong>{f.name.clone()}</strong>{(!f.enabled).then(|| view! { <span class="badge badge-muted">"off"</span> })}</td>
                        <td class="small">{applies}</td>
                        <td class="small">{p.schedule.clone()}</td>
                        <td>{mins_text(f.first_response_mins)}</td>
                        <td>{mins_text(f.next_response_mins)}</td>
                        <td>{mins_text(f.resolution_mins)}</td>
                        <td class="actions">
                            <button class="btn btn-ghost btn-small" data-testid="edit-policy" on:click=move |_| edit(pv.clone())>"Edit"</button>
                            <button class="btn btn-ghost btn-small" on:click=move |_| { delete.dispatch(DeleteSlaPolicy { id }); }>"Delete"</button>
                        </td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table>
    }
    .into_any()
}

/// `/app/settings/sla`.
#[component]
#[allow(clippy::too_many_lines)]
pub fn SlaPage() -> impl IntoView {
    let save_s = ServerAction::<SaveSchedule>::new();
    let del_s = ServerAction::<DeleteSchedule>::new();
    let save_p = ServerAction::<SaveSlaPolicy>::new();
    let del_p = ServerAction::<DeleteSlaPolicy>::new();
    let page = Resource::new(
        move || {
            (
                save_s.version().get(),
                del_s.version().get(),
                save_p.version().get(),
                del_p.version().get(),
            )
        },
        |_| get_sla(),
    );
    let sched = RwSignal::new(ScheduleForm {
        time_zone: "America/New_York".into(),
        ..ScheduleForm::default()
    });
    let days = RwSignal::new(day_rows(&[]));
    let holidays = RwSignal::new(String::new());
    let s_loaded = RwSignal::new(0_u64);
    let policy = RwSignal::new(SlaPolicyForm {
        enabled: true,
        warn_mins: 30,
        ..SlaPolicyForm::default()
    });
    let p_loaded = RwSignal::new(0_u64);
    let s_err = action_error(save_s.value());
    let p_err = action_error(save_p.value());
    let del_s_err = action_error(del_s.value());
    let msg = move |err: Signal<Option<crate::error::AppError>>, f: &'static str| {
        move || {
            err.get()
                .filter(|e| e.field_name() == Some(f))
                .map(|e| view! { <p class="field-error" role="alert">{e.to_string()}</p> })
        }
    };
    let load_s = move |s: Option<ScheduleView>| {
        let f = s.map_or_else(
            || ScheduleForm {
                time_zone: "America/New_York".into(),
                hours: (0..5)
                    .map(|d| OpenHours {
                        day: d,
                        open: "09:00".into(),
                        close: "17:00".into(),
                    })
                    .collect(),
                ..ScheduleForm::default()
            },
            |s| ScheduleForm {
                id: Some(s.id),
                name: s.name,
                time_zone: s.time_zone,
                hours: s.hours,
                holidays: s.holidays,
            },
        );
        days.set(day_rows(&f.hours));
        holidays.set(holidays_text(&f.holidays));
        sched.set(f);
        s_loaded.update(|n| *n += 1);
        save_s.clear();
    };
    let load_p = move |p: Option<SlaPolicyView>| {
        policy.set(p.map_or_else(
            || SlaPolicyForm {
                enabled: true,
                warn_mins: 30,
                ..SlaPolicyForm::default()
            },
            |p| p.form,
        ));
        p_loaded.update(|n| *n += 1);
        save_p.clear();
    };
    Effect::new(move |_| {
        if let Some(Ok(v)) = save_s.value().get() {
            sched.update_untracked(|f| f.id = Some(v.id));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(v)) = save_p.value().get() {
            policy.update_untracked(|f| f.id = Some(v.id));
        }
    });
    let schedule_form = move || {
        let mut f = sched.get_untracked();
        f.hours = days
            .get_untracked()
            .into_iter()
            .enumerate()
            .filter(|(_, d)| d.open)
            .map(|(i, d)| OpenHours {
                day: u8::try_from(i).unwrap_or(0),
                open: d.from,
                close: d.to,
            })
            .collect();
        f.holidays = parse_holidays(&holidays.get_untracked());
        f
    };
    view! {
        <Title text="Business hours and SLAs"/>
        <header class="page-head">
            <h1>"Business hours and SLAs"</h1>
            <p class="muted">"Schedules say when your team works, in each region's own time zone; SLA policies set how fast tickets must be answered and solved, counted in those hours. The inbox shows each ticket's clock; rules can act on SLA warnings and breaches."</p>
        </header>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(SlaPage { schedules, policies }) => {
                        let options: Vec<(i32, String)> = schedules.iter().map(|s| (s.id, s.name.clone())).collect();
                        let options = StoredValue::new(options);
                        view! {
                            <section class="card">
                                <div class="row"><h2>"Schedules"</h2><span class="spacer"></span>
                                    <button class="btn btn-small" data-testid="new-schedule" on:click=move |_| load_s(None)>"New schedule"</button></div>
                                {move || del_s_err.get().map(|e| view! { <p class="alert alert-error small">{e.to_string()}</p> })}
                                {schedules_table(schedules.clone(), move |s| load_s(Some(s)), del_s)}
                            </section>
                            <For each=move || [s_loaded.get()] key=|k| *k children=move |_| {
                                let f = sched.get_untracked();
                                view! {
                                    <section class="card" data-testid="schedule-editor">
                                        <h2>{if f.id.is_some() { "Edit schedule" } else { "New schedule" }}</h2>
                                        <div class="form">
                                            <label for="sch-name">"Name"</label>
                                            <input id="sch-name" type="text" data-testid="schedule-name" value=f.name.clone() placeholder="US support"
                                                on:input=move |ev| sched.update_untracked(|f| f.name = event_target_value(&ev))/>
                                            {msg(s_err, "name")}
                                            <label for="sch-tz">"Time zone"</label>
                                            <input id="sch-tz" type="text" data-testid="schedule-zone" value=f.time_zone.clone() placeholder="Europe/Berlin"
                                                on:input=move |ev| sched.update_untracked(|f| f.time_zone = event_target_value(&ev))/>
                                            {msg(s_err, "time_zone")}
                                        </div>
                                        <table class="table small sla-week">
                                            <tbody>{days.get_untracked().into_iter().enumerate().map(|(i, d)| view! {
                                                <tr data-testid="schedule-day" data-day=i.to_string()>
                                                    <td><label class="check"><input type="checkbox" checked=d.open
                                                        on:change=move |ev| { let c = event_target_checked(&ev); days.update_untracked(|v| v[i].open = c); }/>
                                                        " " {WEEKDAYS[i]}</label></td>
                                                    <td><input type="time" aria-label="Opens" value=d.from.clone()
                                                        on:input=move |ev| { let x = event_target_value(&ev); days.update_untracked(|v| v[i].from = x); }/></td>
                                                    <td><input type="time" aria-label="Closes" value=d.to.clone()
                                                        on:input=move |ev| { let x = event_target_value(&ev); days.update_untracked(|v| v[i].to = x); }/></td>
                                                </tr>
                                            }).collect_view()}</tbody>
                                        </table>
                                        {msg(s_err, "hours")}
                                        <div class="form">
                                            <label for="sch-hol">"Holidays (one per line: 2026-12-25 Christmas Day)"</label>
                                            <textarea id="sch-hol" rows="3" data-testid="schedule-holidays"
                                                on:input=move |ev| holidays.set(event_target_value(&ev))>{holidays.get_untracked()}</textarea>
                                            {msg(s_err, "holidays")}
                                        </div>
                                        <FormError error=s_err fields=&["name", "time_zone", "hours", "holidays"]/>
                                        <div class="row">
                                            <button class="btn btn-primary" data-testid="save-schedule"
                                                on:click=move |_| { save_s.dispatch(SaveSchedule { form: schedule_form() }); }>"Save schedule"</button>
                                            {move || save_s.value().get().and_then(Result::ok).map(|v| view! {
                                                <span class="small muted" data-testid="schedule-saved">{format!("Saved “{}”: {}.", v.name, v.summary)}</span>
                                            })}
                                        </div>
                                    </section>
                                }
                            }/>
                            <section class="card">
                                <div class="row"><h2>"SLA policies"</h2><span class="spacer"></span>
                                    <button class="btn btn-small" data-testid="new-policy" on:click=move |_| load_p(None)>"New policy"</button></div>
                                <p class="small muted">"A new ticket gets the first policy in this list that matches its priority and tags; it is picked again when those change."</p>
                                {policies_table(policies.clone(), move |p| load_p(Some(p)), del_p)}
                            </section>
                            <For each=move || [p_loaded.get()] key=|k| *k children=move |_| {
                                let f = policy.get_untracked();
                                let sel = f.schedule_id;
                                view! {
                                    <section class="card" data-testid="policy-editor">
                                        <h2>{if f.id.is_some() { "Edit policy" } else { "New policy" }}</h2>
                                        <div class="form">
                                            <label for="pol-name">"Name"</label>
                                            <input id="pol-name" type="text" data-testid="policy-name" value=f.name.clone() placeholder="Urgent tickets"
                                                on:input=move |ev| policy.update_untracked(|f| f.name = event_target_value(&ev))/>
                                            {msg(p_err, "name")}
                                            <p class="small"><strong>"Priorities (none ticked: any)"</strong></p>
                                            <div class="row wrap">{Priority::ALL.iter().map(|p| {
                                                let v = p.as_str().to_owned();
                                                let on = f.priorities.contains(&v);
                                                view! {
                                                    <label class="check"><input type="checkbox" checked=on data-priority=p.as_str()
                                                        on:change=move |ev| {
                                                            let c = event_target_checked(&ev);
                                                            let v = v.clone();
                                                            policy.update_untracked(|f| { f.priorities.retain(|x| *x != v); if c { f.priorities.push(v); } });
                                                        }/>" " {p.label()}</label>
                                                }
                                            }).collect_view()}</div>
                                            {msg(p_err, "priorities")}
                                            <label for="pol-tag">"Only tickets tagged (a customer segment such as vip; empty: all)"</label>
                                            <input id="pol-tag" type="text" data-testid="policy-tag" value=f.tag.clone()
                                                on:input=move |ev| policy.update_untracked(|f| f.tag = event_target_value(&ev))/>
                                            {msg(p_err, "tag")}
                                            <label for="pol-sched">"Counted in"</label>
                                            <select id="pol-sched" data-testid="policy-schedule" on:change=move |ev| {
                                                let v = event_target_value(&ev).parse().ok();
                                                policy.update_untracked(|f| f.schedule_id = v);
                                            }>
                                                <option value="" selected=sel.is_none()>"Around the clock"</option>
                                                {options.get_value().into_iter().map(|(id, name)| view! {
                                                    <option value=id.to_string() selected=sel == Some(id)>{format!("{name} business hours")}</option>
                                                }).collect_view()}
                                            </select>
                                            {msg(p_err, "schedule_id")}
                                            <label for="pol-first">"First reply within (hours)"</label>
                                            <input id="pol-first" type="text" inputmode="decimal" data-testid="policy-first" value=mins_to_hours(f.first_response_mins)
                                                on:input=move |ev| policy.update_untracked(|f| f.first_response_mins = hours_to_mins(&event_target_value(&ev)))/>
                                            {msg(p_err, "first_response_mins")}
                                            <label for="pol-next">"Each next reply within (hours)"</label>
                                            <input id="pol-next" type="text" inputmode="decimal" data-testid="policy-next" value=mins_to_hours(f.next_response_mins)
                                                on:input=move |ev| policy.update_untracked(|f| f.next_response_mins = hours_to_mins(&event_target_value(&ev)))/>
                                            {msg(p_err, "next_response_mins")}
                                            <label for="pol-res">"Solved within (hours)"</label>
                                            <input id="pol-res" type="text" inputmode="decimal" data-testid="policy-resolution" value=mins_to_hours(f.resolution_mins)
                                                on:input=move |ev| policy.update_untracked(|f| f.resolution_mins = hours_to_mins(&event_target_value(&ev)))/>
                                            {msg(p_err, "resolution_mins")}
                                            <label for="pol-warn">"Warn this many minutes before"</label>
                                            <input id="pol-warn" type="number" min="0" max="1440" data-testid="policy-warn" value=f.warn_mins.to_string()
                                                on:input=move |ev| policy.update_untracked(|f| f.warn_mins = event_target_value(&ev).parse().unwrap_or(0))/>
                                            {msg(p_err, "warn_mins")}
                                            <label class="check"><input type="checkbox" checked=f.enabled
                                                on:change=move |ev| policy.update_untracked(|f| f.enabled = event_target_checked(&ev))/>" On"</label>
                                        </div>
                                        <FormError error=p_err fields=&["name", "priorities", "tag", "schedule_id", "first_response_mins", "next_response_mins", "resolution_mins", "warn_mins"]/>
                                        <div class="row">
                                            <button class="btn btn-primary" data-testid="save-policy"
                                                on:click=move |_| { save_p.dispatch(SaveSlaPolicy { form: policy.get_untracked() }); }>"Save policy"</button>
                                            {move || save_p.value().get().and_then(Result::ok).map(|v| view! {
                                                <span class="small muted" data-testid="policy-saved">{format!("Saved “{}”.", v.form.name)}</span>
                                            })}
                                        </div>
                                    </section>
                                }
                            }/>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
