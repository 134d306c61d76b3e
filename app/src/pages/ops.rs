//! `/app/outbox` (every email, with why it was not sent) and `/app/jobs` (queue
//! counts and the dead-letter list with retry).

use super::admin::use_live;
use crate::components::{action_error, fmt_time, Empty, ErrorBox, FormError, Loading};
use crate::serverfns::operations::{get_jobs, list_outbox, RestoreEmail, RetryEmail, RetryJob};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// The outbox.
#[component]
pub fn OutboxPage() -> impl IntoView {
    let live = use_live();
    let q = use_query_map();
    let archived = Memo::new(move |_| q.read().get("archived").is_some_and(|v| v == "1"));
    let retry = ServerAction::<RetryEmail>::new();
    let restore = ServerAction::<RestoreEmail>::new();
    let emails = Resource::new(
        move || {
            (
                archived.get(),
                live.outbox.get(),
                retry.version().get(),
                restore.version().get(),
            )
        },
        |(a, ..)| list_outbox(a),
    );
    let retry_error = action_error(retry.value());
    let restore_error = action_error(restore.value());
    view! {
        <Title text="Outbox"/>
        <header class="page-head">
            <h1>"Outbox"</h1>
            <p class="muted">"Every email this workspace sends, with its delivery status. Sent emails are archived after 30 days."</p>
        </header>
        <nav class="tabs">
            <A href="/app/outbox" attr:class=move || if archived.get() { "tab" } else { "tab active" }>"Current"</A>
            <A href="/app/outbox?archived=1" attr:class=move || if archived.get() { "tab active" } else { "tab" }>"Archived"</A>
        </nav>
        <FormError error=retry_error/>
        <FormError error=restore_error/>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match emails.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <Empty title="No emails here" hint="Invitations and notifications appear here as they are sent."/>
                    }.into_any(),
                    Ok(list) => view! {
                        <section class="card">
                            <table class="table" data-testid="outbox">
                                <thead><tr><th>"To"</th><th>"Subject"</th><th>"Status"</th><th>"Created"</th><th></th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|e| {
                                        let id = e.id;
                                        let can_retry = e.status == "unsent" || e.status == "failed";
                                        let badge = format!("badge status-{}", e.status);
                                        view! {
                                            <tr>
                                                <td>{e.to.clone()}</td>
                                                <td>
                                                    <details>
                                                        <summary>{e.subject.clone()}</summary>
                                                        <pre class="mail-body">{e.body_text.clone()}</pre>
                                                    </details>
                                                </td>
                                                <td>
                                                    <span class=badge>{e.status.clone()}</span>
                                                    {e.reason.clone().map(|r| view! { <p class="reason">{r}</p> })}
                                                </td>
                                                <td class="nowrap muted">{fmt_time(&e.created_at)}</td>
                                                <td class="actions">
                                                    {(can_retry && !e.archived).then(|| view! {
                                                        <button class="btn btn-small" on:click=move |_| { retry.dispatch(RetryEmail { email_id: id }); }>"Retry"</button>
                                                    })}
                                                    {e.archived.then(|| view! {
                                                        <button class="btn btn-small" on:click=move |_| { restore.dispatch(RestoreEmail { email_id: id }); }>"Restore"</button>
                                                    })}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Jobs and dead letters.
#[component]
pub fn JobsPage() -> impl IntoView {
    let retry = ServerAction::<RetryJob>::new();
    let jobs = Resource::new(move || retry.version().get(), |_| get_jobs());
    let retry_error = action_error(retry.value());
    view! {
        <Title text="Jobs"/>
        <header class="page-head">
            <h1>"Background jobs"</h1>
            <p class="muted">"Email sending and other work run in the background and are retried with backoff. Jobs that keep failing land here."</p>
        </header>
        <FormError error=retry_error/>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match jobs.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(o) => view! {
                        <section class="cards">
                            <div class="card stat"><span class="stat-n">{o.pending}</span><span class="stat-l">"waiting"</span></div>
                            <div class="card stat"><span class="stat-n">{o.running}</span><span class="stat-l">"running"</span></div>
                            <div class="card stat"><span class="stat-n">{o.dead}</span><span class="stat-l">"dead letters"</span></div>
                        </section>
                        {if o.dead_jobs.is_empty() {
                            view! { <Empty title="No failed jobs" hint="Everything that was queued has run."/> }.into_any()
                        } else {
                            view! {
                                <section class="card">
                                    <h2>"Dead letters"</h2>
                                    <table class="table" data-testid="dead-jobs">
                                        <thead><tr><th>"Job"</th><th>"Attempts"</th><th>"Last error"</th><th>"Queued"</th><th></th></tr></thead>
                                        <tbody>
                                            {o.dead_jobs.into_iter().map(|j| {
                                                let id = j.id;
                                                view! {
                                                    <tr>
                                                        <td><code>{j.kind}</code> " #" {j.id}</td>
                                                        <td>{j.attempts} " / " {j.max_attempts}</td>
                                                        <td class="reason">{j.last_error.unwrap_or_default()}</td>
                                                        <td class="nowrap muted">{fmt_time(&j.created_at)}</td>
                                                        <td class="actions"><button class="btn btn-small" on:click=move |_| { retry.dispatch(RetryJob { job_id: id }); }>"Retry"</button></td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </section>
                            }.into_any()
                        }}
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
