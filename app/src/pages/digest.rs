//! `/app/digest?day=YYYY-MM-DD`: the workspace's daily digest — the day's volume,
//! resolution and first-reply times per channel, top issues, customer sentiment
//! and the solved conversations no article answers. Built each morning by the
//! digest job (`services::reports::digest`); owners and admins are notified.

use crate::components::{ErrorBox, Loading};
use crate::pages::live_board::wait_text;
use crate::serverfns::reports::get_digest;
use crate::types::{DigestTicket, DigestView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// The digest page.
#[component]
pub fn DigestPage() -> impl IntoView {
    let query = use_query_map();
    let day = move || query.with(|q| q.get("day").unwrap_or_default());
    let data = Resource::new(day, get_digest);
    view! {
        <Title text="Daily digest"/>
        <header class="page-head">
            <h1>"Daily digest"</h1>
            <p class="muted">"Each morning (08:00 in the workspace owner's time zone) a summary of the day before. Owners and admins are notified. "
                <A href="/app/live">"Live dashboard"</A> " · " <A href="/app/reports">"Reports"</A></p>
        </header>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(p) => {
                        let shown = p.digest.as_ref().map(|d| d.day.clone());
                        view! {
                            {(!p.days.is_empty()).then(|| view! {
                                <nav class="digest-days" aria-label="Days">
                                    {p.days.into_iter().map(|d| {
                                        let current = shown.as_deref() == Some(d.as_str());
                                        view! {
                                            <a href=format!("/app/digest?day={d}") class=if current { "chip chip-on" } else { "chip" }
                                                aria-current=current.then_some("page")>{d.clone()}</a>
                                        }
                                    }).collect_view()}
                                </nav>
                            })}
                            {match p.digest {
                                None => view! {
                                    <section class="card"><p class="muted" data-testid="digest-none">"No digest yet: the first arrives the morning after a day with conversations."</p></section>
                                }.into_any(),
                                Some(d) => view! { <Digest d/> }.into_any(),
                            }}
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

fn ticket_link(t: DigestTicket) -> impl IntoView {
    view! {
        <li><a href=format!("/app/inbox?c={}", t.number)><span class="mono">{t.reference}</span> " " {t.subject}</a></li>
    }
}

#[component]
fn Digest(d: DigestView) -> impl IntoView {
    let s = d.sentiment.clone();
    let share = |n: u64| (n * 100).checked_div(s.messages).unwrap_or(0);
    let (neg, neu, pos) = (share(s.negative), share(s.neutral), share(s.positive));
    view! {
        <div data-testid="digest" data-day=d.day.clone()>
            <section class="cards">
                <div class="card stat" data-testid="digest-opened"><span class="stat-n">{d.opened}</span><span class="stat-l">"opened"</span></div>
                <div class="card stat" data-testid="digest-solved"><span class="stat-n">{d.solved}</span><span class="stat-l">"solved"</span></div>
                <div class="card stat"><span class="stat-n">{d.avg_first_reply_secs.map_or_else(|| "—".to_owned(), wait_text)}</span><span class="stat-l">"average first reply"</span></div>
                <div class="card stat"><span class="stat-n">{d.kb_candidates.len()}</span><span class="stat-l">{format!("unanswered by articles (of {} solved checked)", d.kb_checked)}</span></div>
            </section>
            <p class="muted small">{format!("{} in {}", d.day, d.zone)}</p>
            <div class="live-grid digest-grid">
                <section class="card wide">
                    <h2>"By channel"</h2>
                    <table class="table" data-testid="digest-channels">
                        <thead><tr><th>"Channel"</th><th class="num">"Opened"</th><th class="num">"Solved"</th><th class="num">"Solved the same day"</th><th class="num">"First reply"</th></tr></thead>
                        <tbody>
                            {d.channels.into_iter().map(|c| view! {
                                <tr data-channel=c.channel.clone()>
                                    <td>{c.label}</td>
                                    <td class="num">{c.opened}</td>
                                    <td class="num">{c.solved}</td>
                                    <td class="num">{c.resolved_same_day_pct.map_or_else(|| "—".to_owned(), |p| format!("{p}%"))}</td>
                                    <td class="num">{c.avg_first_reply_secs.map_or_else(|| "—".to_owned(), wait_text)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </section>
                <section class="card">
                    <h2>"Top issues"</h2>
                    {if d.top_issues.is_empty() {
                        view! { <p class="muted">"No tag or subject word came up twice."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="digest-issues" data-testid="digest-issues">
                                {d.top_issues.into_iter().map(|i| view! {
                                    <li><span class=if i.kind == "tag" { "badge" } else { "badge badge-soft" }>{i.label}</span>
                                        <span class="muted small">{format!(" {} conversation(s){}", i.count, if i.kind == "tag" { "" } else { " · subject word" })}</span></li>
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                </section>
                <section class="card" data-testid="digest-sentiment">
                    <h2>"Sentiment"</h2>
                    <p>{format!("{} customer messages: {} negative, {} neutral, {} positive.", s.messages, s.negative, s.neutral, s.positive)}</p>
                    <div class="mood-bar" aria-hidden="true">
                        <span class="mood-neg" style=format!("width:{neg}%")></span>
                        <span class="mood-neu" style=format!("width:{neu}%")></span>
                        <span class="mood-pos" style=format!("width:{pos}%")></span>
                    </div>
                    {(!s.most_negative.is_empty()).then(|| view! {
                        <h3>"Read worst"</h3>
                        <ul class="plain-list">{s.most_negative.clone().into_iter().map(ticket_link).collect_view()}</ul>
                    })}
                </section>
                <section class="card" data-testid="digest-kb">
                    <h2>"Knowledge-base candidates"</h2>
                    {if d.kb_candidates.is_empty() {
                        view! { <p class="muted">"Every solved conversation checked has an article that covers it."</p> }.into_any()
                    } else {
                        view! {
                            <p class="muted small">"Solved conversations whose question no public article covers: worth an article."</p>
                            <ul class="plain-list">{d.kb_candidates.into_iter().map(ticket_link).collect_view()}</ul>
                            <p><A href="/app/kb">"Write an article →"</A></p>
                        }.into_any()
                    }}
                </section>
            </div>
        </div>
    }
}
