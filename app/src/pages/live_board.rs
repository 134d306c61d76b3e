//! `/app/live`: the live dashboard — queue depth, agents online, the longest wait
//! for a first reply, active chats — for a wall screen or a lead's second tab. It
//! re-reads the figures when the bus reports a change to conversations, messages
//! or agents' status (at most every two seconds), and every 30 seconds; the
//! longest wait counts up by the second in between.

use crate::components::{ErrorBox, Loading};
use crate::pages::admin::use_live;
use crate::serverfns::reports::get_live_board;
use crate::types::{LiveBoard, LiveWait};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// Fewest milliseconds between two reads caused by live events.
const DEBOUNCE_MS: u64 = 2_000;
/// Seconds between reads when nothing happens.
const REFRESH_SECS: u64 = 30;

/// "3d 4h", "2h 05m", "4m 09s", "12s".
#[must_use]
pub fn wait_text(secs: i64) -> String {
    let s = secs.max(0);
    let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m:02}m")
    } else if m > 0 {
        format!("{m}m {sec:02}s")
    } else {
        format!("{sec}s")
    }
}

/// The live dashboard.
#[component]
pub fn LiveBoardPage() -> impl IntoView {
    let live = use_live();
    // Bumped by the debounced live events and the 30-second refresh.
    let version = RwSignal::new(0_u64);
    let scheduled = RwSignal::new(false);
    Effect::new(move |prev: Option<(u64, u64)>| {
        let now = (live.inbox.get(), live.team.get());
        if prev.is_some() && !scheduled.get_untracked() {
            scheduled.set(true);
            set_timeout(
                move || {
                    scheduled.try_set(false);
                    version.try_update(|v| *v += 1);
                },
                std::time::Duration::from_millis(DEBOUNCE_MS),
            );
        }
        now
    });
    // Seconds since the snapshot arrived (the wait clock ticks between reads).
    let elapsed = RwSignal::new(0_i64);
    Effect::new(move |_| {
        let h = set_interval_with_handle(
            move || {
                elapsed.try_update(|e| *e += 1);
            },
            std::time::Duration::from_secs(1),
        );
        let r = set_interval_with_handle(
            move || {
                version.try_update(|v| *v += 1);
            },
            std::time::Duration::from_secs(REFRESH_SECS),
        );
        on_cleanup(move || {
            for h in [h, r].into_iter().flatten() {
                h.clear();
            }
        });
    });
    let data = Resource::new(
        move || version.get(),
        move |_| async move {
            let r = get_live_board().await;
            elapsed.try_set(0);
            r
        },
    );
    view! {
        <Title text="Live dashboard"/>
        <header class="page-head">
            <h1>"Live dashboard"</h1>
            <p class="muted">"The support floor now. Figures update as conversations arrive, get answered and agents come and go. "
                <A href="/app/dashboards">"Dashboards"</A> " · " <A href="/app/digest">"Daily digest"</A> " · " <A href="/app/reports">"Reports"</A></p>
        </header>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(b) => view! { <Board b elapsed/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Board(b: LiveBoard, elapsed: RwSignal<i64>) -> impl IntoView {
    let LiveBoard {
        unassigned,
        in_routing_queues,
        awaiting_first_reply,
        longest_wait,
        active_chats,
        opened_last_hour,
        solved_last_hour,
        online,
        away,
        channels,
        agents,
        ..
    } = b;
    view! {
        <section class="cards live-cards" data-testid="live-board">
            <Tile name="unassigned" n=unassigned label="in the queue (no assignee)"
                note=(in_routing_queues > 0).then(|| format!("{in_routing_queues} in routing queues"))/>
            <Tile name="awaiting" n=awaiting_first_reply label="waiting for a first reply" note=None/>
            <div class="card stat live-wait" data-testid="live-longest-wait">
                {match longest_wait {
                    Some(w) => view! { <Wait w elapsed/> }.into_any(),
                    None => view! { <span class="stat-n">"—"</span><span class="stat-l">"nobody is waiting"</span> }.into_any(),
                }}
            </div>
            <Tile name="active_chats" n=active_chats label="active chats (message in the last hour)" note=None/>
            <Tile name="online" n=u64::from(online) label="agents online" note=(away > 0).then(|| format!("{away} away"))/>
            <Tile name="opened" n=opened_last_hour label="opened in the last hour" note=Some(format!("{solved_last_hour} solved"))/>
        </section>
        <div class="live-grid">
            <section class="card">
                <h2>"By channel"</h2>
                {if channels.is_empty() {
                    view! { <p class="muted">"No open conversations."</p> }.into_any()
                } else {
                    view! {
                        <table class="table" data-testid="live-channels">
                            <thead><tr><th>"Channel"</th><th class="num">"Open"</th><th class="num">"No assignee"</th><th class="num">"No first reply"</th></tr></thead>
                            <tbody>
                                {channels.into_iter().map(|c| view! {
                                    <tr data-channel=c.channel.clone()>
                                        <td>{c.label}</td>
                                        <td class="num">{c.open}</td>
                                        <td class="num">{c.unassigned}</td>
                                        <td class="num">{c.awaiting_first_reply}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }}
            </section>
            <section class="card">
                <h2>"Agents"</h2>
                <ul class="live-agents" data-testid="live-agents">
                    {agents.into_iter().map(|a| view! {
                        <li data-status=a.status.as_str()>
                            <span class=format!("status-dot status-{}", a.status.as_str())></span>
                            <span class="live-agent-name">{a.name}</span>
                            <span class="muted small">{a.status.label()}</span>
                            <span class="live-agent-load" title="New or open conversations assigned">{format!("{} open", a.open_assigned)}</span>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        </div>
    }
}

#[component]
fn Tile(name: &'static str, n: u64, label: &'static str, note: Option<String>) -> impl IntoView {
    view! {
        <div class="card stat" data-testid=format!("live-{name}")>
            <span class="stat-n">{n}</span>
            <span class="stat-l">{label}</span>
            {note.map(|t| view! { <span class="muted small">{t}</span> })}
        </div>
    }
}

#[component]
fn Wait(w: LiveWait, elapsed: RwSignal<i64>) -> impl IntoView {
    let base = w.waited_secs;
    view! {
        <span class="stat-n" data-testid="live-wait-clock" data-secs=move || base + elapsed.get()>{move || wait_text(base + elapsed.get())}</span>
        <span class="stat-l">"longest wait for a first reply"</span>
        <a class="small" href=format!("/app/inbox?c={}", w.number)>{format!("{} · {} · {}", w.reference, w.channel, w.subject)}</a>
    }
}

#[cfg(test)]
mod tests {
    use super::wait_text;

    #[test]
    fn waits_read_in_the_two_largest_units() {
        assert_eq!(wait_text(-5), "0s");
        assert_eq!(wait_text(12), "12s");
        assert_eq!(wait_text(249), "4m 09s");
        assert_eq!(wait_text(7_500), "2h 05m");
        assert_eq!(wait_text(2 * 86_400 + 4 * 3600 + 59), "2d 4h");
    }
}
