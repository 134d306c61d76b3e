//! `/app/quality`: AutoQA — reviewed conversations with their automatic and
//! manual scores and spotlight flags, coaching, the calibration of AutoQA
//! against people, and the scorecard; `/app/quality/review?c=N`: one
//! conversation's transcript, reviews and the manual review form
//! (`services::quality`).

use crate::components::{action_error, fmt_time, ErrorBox, FormError, Loading};
use crate::serverfns::quality::{
    get_quality, get_review, AssignCoaching, FinishCoaching, SaveReview, SaveScorecard,
};
use crate::types::{flag_label, CalibrationRow, Criterion, ReviewRow, ReviewView};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

fn flag_badges(flags: &[String]) -> impl IntoView {
    flags
        .iter()
        .map(|f| view! { <span class=format!("badge flag-{f}") data-flag=f.clone()>{flag_label(f).to_owned()}</span> })
        .collect_view()
}

fn score_title(r: &ReviewView, criteria: &[Criterion]) -> String {
    r.scores
        .iter()
        .map(|(k, v)| {
            let name = criteria
                .iter()
                .find(|c| c.key == *k)
                .map_or(k.as_str(), |c| c.name.as_str());
            format!("{name}: {v}")
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The quality page.
#[component]
pub fn QualityPage() -> impl IntoView {
    let query = use_query_map();
    let flagged = move || query.with(|q| q.get("flagged").is_some_and(|v| v == "1"));
    let finish = ServerAction::<FinishCoaching>::new();
    let save_card = ServerAction::<SaveScorecard>::new();
    let data = Resource::new(
        move || (flagged(), finish.version().get(), save_card.version().get()),
        |(f, _, _)| get_quality(f),
    );
    let card_error = action_error(save_card.value());
    let finish_error = action_error(finish.value());
    view! {
        <Title text="Quality"/>
        <header class="page-head">
            <h1>"Quality"</h1>
            <p class="muted">"Every solved conversation is reviewed against the scorecard; people review beside it, and the calibration shows where they disagree. "
                <A href="/app/reports">"Reports"</A></p>
        </header>
        <nav class="digest-days" aria-label="Filter">
            <a href="/app/quality" class=move || if flagged() { "chip" } else { "chip chip-on" }>"All reviewed"</a>
            <a href="/app/quality?flagged=1" class=move || if flagged() { "chip chip-on" } else { "chip" }>"Spotlight (flagged)"</a>
        </nav>
        <FormError error=finish_error/>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(p) => {
                        let criteria = p.criteria.clone();
                        let engine = if p.engine == "provider" {
                            "Scored by your AI provider (Settings → AI), with the rules filling any criterion it leaves out."
                        } else {
                            "Scored by the built-in rules (no AI provider is configured): see docs/quality.md for each rule."
                        };
                        view! {
                            <p class="muted small" data-testid="qa-engine">{engine}</p>
                            {(!p.coaching.is_empty()).then(|| view! {
                                <section class="card">
                                    <h2>"Coaching"</h2>
                                    <table class="table" data-testid="coaching">
                                        <thead><tr><th>"Conversation"</th><th>"Agent"</th><th>"What to look at"</th><th>"Assigned"</th><th></th></tr></thead>
                                        <tbody>
                                            {p.coaching.into_iter().map(|c| {
                                                let id = c.id;
                                                let status = c.status.clone();
                                                view! {
                                                    <tr data-testid="coaching-row" data-status=status>
                                                        <td><a href=format!("/app/quality/review?c={}", c.number)>{crate::types::ticket_ref(c.number)}" · "{c.subject}</a></td>
                                                        <td>{c.agent}</td>
                                                        <td>{c.note}</td>
                                                        <td class="small">{format!("{} · {}", c.assigned_by, fmt_time(&c.created_at))}</td>
                                                        <td>{if c.can_finish {
                                                            view! { <button class="btn btn-small" type="button" on:click=move |_| { finish.dispatch(FinishCoaching { id }); }>"Mark done"</button> }.into_any()
                                                        } else {
                                                            view! { <span class="badge">{c.status}</span> }.into_any()
                                                        }}</td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </section>
                            })}
                            <section class="card">
                                <h2>"Reviewed conversations"</h2>
                                {if p.rows.is_empty() {
                                    view! { <p class="muted" data-testid="qa-none">"Nothing reviewed yet: conversations are reviewed within five minutes of being solved."</p> }.into_any()
                                } else {
                                    let c2 = criteria.clone();
                                    view! {
                                        <table class="table" data-testid="qa-reviews">
                                            <thead><tr><th>"Conversation"</th><th>"Agent"</th><th>"AutoQA"</th><th>"People"</th><th>"Flags"</th><th></th></tr></thead>
                                            <tbody>{p.rows.into_iter().map(|r| review_row(r, &c2, p.can_manage)).collect_view()}</tbody>
                                        </table>
                                    }.into_any()
                                }}
                            </section>
                            {p.can_manage.then(|| view! {
                                <section class="card">
                                    <h2>"Calibration"</h2>
                                    <p class="muted small">"AutoQA against people on the conversations both reviewed. Scores within 20 points agree."</p>
                                    <table class="table" data-testid="calibration">
                                        <thead><tr><th>"Criterion"</th><th>"Pairs"</th><th>"AutoQA"</th><th>"People"</th><th>"Mean gap"</th><th>"Agree"</th></tr></thead>
                                        <tbody>{p.calibration.into_iter().map(calibration_row).collect_view()}</tbody>
                                    </table>
                                </section>
                                <section class="card">
                                    <h2>"Scorecard"</h2>
                                    <ActionForm action=save_card attr:class="form" attr:data-testid="scorecard">
                                        <table class="table">
                                            <thead><tr><th>"On"</th><th>"Name"</th><th>"What reviewers look for"</th><th>"Weight"</th></tr></thead>
                                            <tbody>
                                                {criteria.iter().cloned().chain(std::iter::once(Criterion { key: String::new(), name: String::new(), description: String::new(), weight: 20, enabled: true })).enumerate().map(|(i, c)| view! {
                                                    <tr>
                                                        <td>
                                                            <input type="hidden" name=format!("criteria[{i}][key]") value=c.key.clone()/>
                                                            <input type="checkbox" name=format!("criteria[{i}][enabled]") value="true" checked=c.enabled aria-label="Scored"/>
                                                        </td>
                                                        <td><input type="text" name=format!("criteria[{i}][name]") value=c.name.clone() placeholder="Add a criterion" aria-label="Name"/></td>
                                                        <td><input type="text" class="wide" name=format!("criteria[{i}][description]") value=c.description.clone() aria-label="Description"/></td>
                                                        <td><input type="number" min="0" max="100" name=format!("criteria[{i}][weight]") value=c.weight.to_string() aria-label="Weight"/></td>
                                                    </tr>
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                        <button class="btn btn-primary" type="submit" disabled=move || save_card.pending().get()>"Save scorecard"</button>
                                    </ActionForm>
                                    <FormError error=card_error/>
                                </section>
                            })}
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

fn review_row(r: ReviewRow, criteria: &[Criterion], manage: bool) -> impl IntoView {
    let auto = r.auto.as_ref().map(|a| {
        let title = score_title(a, criteria);
        let source = a.source.clone();
        if a.scores.is_empty() {
            view! { <span class="muted small" data-testid="auto-none" title="No agent replied: nothing to score.">"no reply"</span> }.into_any()
        } else {
            view! { <span class="score" title=title data-testid="auto-total" data-source=source>{a.total}</span> }.into_any()
        }
    });
    let people = if r.manual.is_empty() {
        "—".to_owned()
    } else {
        r.manual
            .iter()
            .map(|m| format!("{} ({})", m.total, m.reviewer.clone().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    view! {
        <tr data-testid="qa-row" data-number=r.number.to_string() data-agent=r.agent.is_some().to_string()>
            <td><a href=format!("/app/inbox?c={}", r.number)>{crate::types::ticket_ref(r.number)}" · "{r.subject.clone()}</a></td>
            <td>{r.agent.clone().unwrap_or_else(|| "—".to_owned())}</td>
            <td>{auto}</td>
            <td class="small">{people}</td>
            <td>{flag_badges(&r.flags)}</td>
            <td><a class="btn btn-small" href=format!("/app/quality/review?c={}", r.number)>{if manage { "Review" } else { "Open" }}</a></td>
        </tr>
    }
}

fn opt(v: Option<f64>, pct: bool) -> String {
    match v {
        None => "—".to_owned(),
        Some(v) if pct => format!("{:.0} %", v * 100.0),
        Some(v) => format!("{v:.0}"),
    }
}

fn calibration_row(c: CalibrationRow) -> impl IntoView {
    view! {
        <tr data-testid="calibration-row" data-key=c.key.clone()>
            <td>{c.name}</td>
            <td>{c.pairs}</td>
            <td>{opt(c.auto_mean, false)}</td>
            <td>{opt(c.manual_mean, false)}</td>
            <td data-testid="gap">{opt(c.mean_gap, false)}</td>
            <td>{opt(c.agreement, true)}</td>
        </tr>
    }
}

/// One conversation's review page.
#[component]
pub fn ReviewPage() -> impl IntoView {
    let query = use_query_map();
    let number =
        move || query.with(|q| q.get("c").and_then(|c| c.parse::<i32>().ok()).unwrap_or(0));
    let save = ServerAction::<SaveReview>::new();
    let coach = ServerAction::<AssignCoaching>::new();
    let data = Resource::new(
        move || (number(), save.version().get(), coach.version().get()),
        |(n, _, _)| get_review(n),
    );
    let save_error = action_error(save.value());
    let coach_error = action_error(coach.value());
    view! {
        <Title text="Review"/>
        <header class="page-head">
            <h1>"Review"</h1>
            <p class="muted"><A href="/app/quality">"Quality"</A></p>
        </header>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(d) => {
                        let criteria = d.criteria.clone();
                        let mine = d.mine.clone();
                        let given = move |key: &str| mine.as_ref().and_then(|m| m.scores.iter().find(|(k, _)| k == key).map(|(_, v)| *v));
                        let auto_of = |key: &str| d.auto.as_ref().and_then(|a| a.scores.iter().find(|(k, _)| k == key).map(|(_, v)| *v));
                        let form_rows = criteria.iter().filter(|c| c.enabled).map(|c| {
                            let value = given(&c.key).or_else(|| auto_of(&c.key)).unwrap_or(80);
                            let id = format!("s-{}", c.key);
                            view! {
                                <div class="field">
                                    <label for=id.clone()>{c.name.clone()}{auto_of(&c.key).map(|a| format!(" (AutoQA {a})"))}</label>
                                    <input id=id type="number" min="0" max="100" required name=format!("form[scores][{}]", c.key) value=value.to_string()/>
                                    <p class="field-hint">{c.description.clone()}</p>
                                </div>
                            }
                        }).collect_view();
                        let notes = d.mine.as_ref().and_then(|m| m.notes.clone()).unwrap_or_default();
                        view! {
                            <h2 class="review-title">{crate::types::ticket_ref(d.number)}" · "{d.subject.clone()}
                                <span class="muted small">{d.agent.clone().map(|a| format!(" — agent: {a}"))}</span></h2>
                            <div class="review-grid">
                                <section class="card">
                                    <h3>"Conversation"</h3>
                                    <ol class="transcript" data-testid="transcript">
                                        {d.lines.iter().map(|(customer, text)| view! {
                                            <li class=if *customer { "from-customer" } else { "from-agent" }>
                                                <span class="muted small">{if *customer { "Customer" } else { "Agent" }}</span>
                                                <p>{text.clone()}</p>
                                            </li>
                                        }).collect_view()}
                                    </ol>
                                </section>
                                <div>
                                    <section class="card" data-testid="auto-review">
                                        <h3>"AutoQA"</h3>
                                        {match d.auto.clone() {
                                            None => view! { <p class="muted">"Not reviewed automatically yet (within five minutes of being solved)."</p> }.into_any(),
                                            Some(a) => review_card(a, &criteria).into_any(),
                                        }}
                                    </section>
                                    {d.manual.iter().cloned().map(|m| {
                                        let rid = m.id;
                                        view! {
                                            <section class="card" data-testid="manual-review">
                                                <h3>{format!("Review by {}", m.reviewer.clone().unwrap_or_default())}</h3>
                                                {review_card(m, &criteria)}
                                                {d.can_manage.then(|| view! {
                                                    <ActionForm action=coach attr:class="form form-inline" attr:data-testid="coach-form">
                                                        <input type="hidden" name="form[review_id]" value=rid.to_string()/>
                                                        <input type="text" name="form[note]" required placeholder="What should the agent look at?" aria-label="Coaching note"/>
                                                        <button class="btn" type="submit">"Assign coaching"</button>
                                                    </ActionForm>
                                                })}
                                            </section>
                                        }
                                    }).collect_view()}
                                    <FormError error=coach_error/>
                                    {move || matches!(coach.value().get(), Some(Ok(()))).then(|| view! {
                                        <p class="alert alert-success" role="status">"Coaching assigned: it is on the agent's Quality page."</p>
                                    })}
                                    {d.can_manage.then(|| view! {
                                        <section class="card">
                                            <h3>{if d.mine.is_some() { "Change your review" } else { "Your review" }}</h3>
                                            <ActionForm action=save attr:class="form" attr:data-testid="review-form">
                                                <input type="hidden" name="form[number]" value=d.number.to_string()/>
                                                {form_rows}
                                                <div class="field">
                                                    <label for="r-notes">"Notes"</label>
                                                    <textarea id="r-notes" name="form[notes]" rows="3">{notes}</textarea>
                                                </div>
                                                <button class="btn btn-primary" type="submit" disabled=move || save.pending().get()>"Save review"</button>
                                            </ActionForm>
                                            <FormError error=save_error/>
                                        </section>
                                    })}
                                </div>
                            </div>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

fn review_card(r: ReviewView, criteria: &[Criterion]) -> AnyView {
    let source = match r.source.as_str() {
        "provider" => "by the AI provider",
        "heuristics" => "by the built-in rules",
        _ => "by hand",
    };
    if r.scores.is_empty() {
        return view! {
            <p class="muted">"No agent replied, so there was nothing to score."</p>
            {(!r.flags.is_empty()).then(|| view! { <p>{flag_badges(&r.flags)}</p> })}
        }
        .into_any();
    }
    view! {
        <p><span class="score big-score" data-testid="review-total">{r.total}</span>" / 100 "<span class="muted small">{source}</span></p>
        <dl class="ids">
            {r.scores.iter().map(|(k, v)| {
                let name = criteria.iter().find(|c| c.key == *k).map_or_else(|| k.clone(), |c| c.name.clone());
                view! { <dt>{name}</dt><dd data-key=k.clone()>{*v}</dd> }
            }).collect_view()}
        </dl>
        {(!r.flags.is_empty()).then(|| view! { <p>{flag_badges(&r.flags)}</p> })}
        {r.notes.map(|n| view! { <p class="muted small">{n}</p> })}
    }
    .into_any()
}
