//! `/app/settings/sending`: how campaigns send — the frequency cap, quiet hours
//! in each customer's zone, the default zone, the rate — and the suppression
//! list (addresses that unsubscribed, bounced or complained, and those added by
//! hand), which no campaign email reaches.

use crate::components::{action_error, fmt_time, ErrorBox, FormError, Loading};
use crate::serverfns::campaigns::{
    get_marketing, AddSuppression, RemoveSuppression, SaveMarketingSettings,
};
use crate::types::{MarketingSettings, HOURS, SUPPRESSION_REASONS};
use leptos::prelude::*;
use leptos_meta::Title;

fn hour_label(h: i32) -> String {
    format!("{h:02}:00")
}

fn hour_select(
    id: &'static str,
    current: Option<i32>,
    on: impl Fn(Option<i32>) + 'static,
) -> impl IntoView {
    view! {
        <select id=id data-testid=id on:change=move |ev| on(event_target_value(&ev).parse().ok())>
            <option value="" selected=current.is_none()>"—"</option>
            {HOURS.map(|h| view! { <option value=h.to_string() selected=current == Some(h)>{hour_label(h)}</option> }).collect_view()}
        </select>
    }
}

fn settings_form(s: MarketingSettings, save: ServerAction<SaveMarketingSettings>) -> impl IntoView {
    let form = RwSignal::new(s.clone());
    let err = action_error(save.value());
    let saved = move || matches!(save.value().get(), Some(Ok(_)));
    let field_msg = move |f: &'static str| {
        move || {
            err.get()
                .filter(|e| e.field_name() == Some(f))
                .map(|e| view! { <p class="field-error" role="alert">{e.to_string()}</p> })
        }
    };
    let num = |v: String, old: i32| v.trim().parse().unwrap_or(old);
    view! {
        <section class="card" data-testid="sending-settings">
            <h2>"Sending"</h2>
            <form class="form" on:submit=move |ev| {
                ev.prevent_default();
                save.dispatch(SaveMarketingSettings { form: form.get_untracked() });
            }>
                <label for="cap-count">"Frequency cap: at most this many campaign emails to one customer"</label>
                <div class="row gap">
                    <input id="cap-count" type="number" min="1" data-testid="cap-count" value=s.cap_count.to_string()
                        on:input=move |ev| form.update_untracked(|f| f.cap_count = num(event_target_value(&ev), f.cap_count))/>
                    <span>"in"</span>
                    <input id="cap-days" type="number" min="0" data-testid="cap-days" value=s.cap_days.to_string()
                        on:input=move |ev| form.update_untracked(|f| f.cap_days = num(event_target_value(&ev), f.cap_days))/>
                    <span>"days (0: no cap)"</span>
                </div>
                {field_msg("cap_count")}{field_msg("cap_days")}
                <label for="quiet-start">"Quiet hours, in each customer's own time: no campaign email from"</label>
                <div class="row gap">
                    {hour_select("quiet-start", s.quiet_start, move |h| form.update_untracked(|f| f.quiet_start = h))}
                    <span>"until"</span>
                    {hour_select("quiet-end", s.quiet_end, move |h| form.update_untracked(|f| f.quiet_end = h))}
                </div>
                <p class="muted small">"Email due in quiet hours waits until they end. Leave both empty for none."</p>
                {field_msg("quiet_start")}{field_msg("quiet_end")}
                <label for="default-zone">"Time zone of customers whose own is not known"</label>
                <input id="default-zone" type="text" data-testid="default-zone" value=s.default_timezone.clone() placeholder="Europe/Berlin"
                    on:input=move |ev| form.update_untracked(|f| f.default_timezone = event_target_value(&ev))/>
                {field_msg("default_timezone")}
                <label for="per-minute">"At most this many campaign emails a minute (your mail provider's limit)"</label>
                <input id="per-minute" type="number" min="1" data-testid="per-minute" value=s.per_minute.to_string()
                    on:input=move |ev| form.update_untracked(|f| f.per_minute = num(event_target_value(&ev), f.per_minute))/>
                {field_msg("per_minute")}
                <FormError error=err fields=&["cap_count", "cap_days", "quiet_start", "quiet_end", "default_timezone", "per_minute"]/>
                <div class="row gap">
                    <button class="btn btn-primary" data-testid="save-sending" disabled=move || save.pending().get()>"Save"</button>
                    {move || saved().then(|| view! { <span class="muted" data-testid="sending-saved">"Saved."</span> })}
                </div>
            </form>
        </section>
    }
}

/// `/app/settings/sending`.
#[component]
pub fn SendingPage() -> impl IntoView {
    let save = ServerAction::<SaveMarketingSettings>::new();
    let add = ServerAction::<AddSuppression>::new();
    let remove = ServerAction::<RemoveSuppression>::new();
    let page = Resource::new(
        move || (add.version().get(), remove.version().get()),
        |_| get_marketing(),
    );
    let email = RwSignal::new(String::new());
    let reason = RwSignal::new("unsubscribed".to_owned());
    let add_err = action_error(add.value());
    let remove_err = action_error(remove.value());
    Effect::new(move |_| {
        if let Some(Ok(())) = add.value().get() {
            email.set(String::new());
        }
    });
    view! {
        <Title text="Campaign sending"/>
        <header class="page-head">
            <h1>"Campaign sending"</h1>
            <p class="muted">"How campaigns send email, and who they never write to. Replies to tickets are not campaign email: they always go."</p>
        </header>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(p) => view! {
                        {settings_form(p.settings, save)}
                        <section class="card" data-testid="suppressions">
                            <h2>"Suppression list"</h2>
                            <p class="muted small">{format!("{} address(es). Campaign email waiting to go: {}.", p.suppressed, p.queued)}</p>
                            <form class="row gap wrap" on:submit=move |ev| {
                                ev.prevent_default();
                                add.dispatch(AddSuppression { email: email.get_untracked(), reason: reason.get_untracked() });
                            }>
                                <input type="email" data-testid="suppress-email" placeholder="name@example.com" aria-label="Address"
                                    prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))/>
                                <select data-testid="suppress-reason" aria-label="Why" on:change=move |ev| reason.set(event_target_value(&ev))>
                                    {SUPPRESSION_REASONS.iter().map(|(v, l)| view! { <option value=*v>{*l}</option> }).collect_view()}
                                </select>
                                <button class="btn" data-testid="suppress-add" disabled=move || add.pending().get()>"Add"</button>
                            </form>
                            <FormError error=add_err/>
                            <FormError error=remove_err/>
                            {if p.suppressions.is_empty() {
                                view! { <p class="muted" data-testid="no-suppressions">"Nobody yet. Unsubscribes land here by themselves."</p> }.into_any()
                            } else {
                                view! {
                                    <table class="table">
                                        <thead><tr><th>"Address"</th><th>"Why"</th><th>"From"</th><th>"Since"</th><th></th></tr></thead>
                                        <tbody>{p.suppressions.into_iter().map(|s| {
                                            let id = s.id;
                                            let why = SUPPRESSION_REASONS.iter().find(|(r, _)| *r == s.reason).map_or(s.reason.clone(), |(_, l)| (*l).to_owned());
                                            view! {
                                                <tr data-testid="suppression" data-email=s.email.clone()>
                                                    <td>{s.email.clone()}</td><td>{why}</td><td class="small muted">{s.note.clone()}</td>
                                                    <td class="small">{fmt_time(&s.created_at)}</td>
                                                    <td><button class="btn btn-ghost btn-small" aria-label=format!("Remove {}", s.email)
                                                        on:click=move |_| { remove.dispatch(RemoveSuppression { id }); }>"Remove"</button></td>
                                                </tr>
                                            }
                                        }).collect_view()}</tbody>
                                    </table>
                                }.into_any()
                            }}
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
