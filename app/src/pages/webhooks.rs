//! `/app/settings/webhooks`: outbound webhook endpoints (URL, events, custom
//! headers, private destinations), their signing secret (shown once), pause and
//! resume, and the delivery log with a replay button.

use crate::components::{action_error, fmt_time, Empty, ErrorBox, FormError, Loading};
use crate::serverfns::channels::{
    list_webhook_deliveries, list_webhooks, CreateWebhook, DeleteWebhook, ReplayWebhookDelivery,
    RotateWebhookSecret, SetWebhookActive,
};
use crate::types::{WebhookEndpointView, WebhookForm, WEBHOOK_EVENTS};
use leptos::prelude::*;
use leptos_meta::Title;

/// The webhooks page.
#[component]
pub fn WebhooksPage() -> impl IntoView {
    let create = ServerAction::<CreateWebhook>::new();
    let active = ServerAction::<SetWebhookActive>::new();
    let rotate = ServerAction::<RotateWebhookSecret>::new();
    let delete = ServerAction::<DeleteWebhook>::new();
    let replay = ServerAction::<ReplayWebhookDelivery>::new();
    let list = Resource::new(
        move || {
            (
                create.version().get(),
                active.version().get(),
                rotate.version().get(),
                delete.version().get(),
            )
        },
        |_| list_webhooks(),
    );
    let url = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let headers = RwSignal::new(String::new());
    let allow_private = RwSignal::new(false);
    let events = RwSignal::new(vec![
        "conversation.created".to_owned(),
        "message.created".to_owned(),
    ]);
    let err = action_error(create.value());
    let field_msg = move |f: &'static str| {
        move || {
            err.get()
                .filter(|e| e.field_name() == Some(f))
                .map(|e| view! { <p class="field-error" role="alert">{e.to_string()}</p> })
        }
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateWebhook {
            form: WebhookForm {
                url: url.get_untracked(),
                description: Some(description.get_untracked()),
                events: events.get_untracked(),
                headers: headers.get_untracked(),
                allow_private: allow_private.get_untracked(),
            },
        });
    };
    let secret = move || {
        create
            .value()
            .get()
            .and_then(Result::ok)
            .or_else(|| rotate.value().get().and_then(Result::ok))
            .and_then(|v| v.secret.map(|s| (v.url, s)))
    };
    view! {
        <Title text="Webhooks"/>
        <header class="page-head">
            <h1>"Webhooks"</h1>
            <p class="muted">"Switchboard POSTs signed JSON " <code>"{event, data, timestamp}"</code>
               " to your endpoints when things happen. Verify " <code>"X-Switchboard-Signature"</code>
               " as described in docs/webhooks.md."</p>
        </header>
        {move || secret().map(|(u, s)| view! {
            <section class="card" data-testid="webhook-secret">
                <p class="alert alert-error" role="alert">"Signing secret for " <code>{u}</code> " — copy it now, it is shown only once:"</p>
                <input type="text" readonly=true value=s size="60"/>
            </section>
        })}
        <section class="card">
            <h2>"Add an endpoint"</h2>
            <form class="form" on:submit=on_submit>
                <div class="field"><label for="wh-url">"URL"</label>
                    <input id="wh-url" type="url" required=true placeholder="https://hooks.example.com/switchboard"
                        prop:value=move || url.get() on:input=move |ev| url.set(event_target_value(&ev))/>
                    {field_msg("url")}</div>
                <div class="field"><label for="wh-desc">"Description"</label>
                    <input id="wh-desc" type="text" prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev))/></div>
                <fieldset class="field"><legend>"Events"</legend>
                    {WEBHOOK_EVENTS.iter().map(|e| {
                        let e = *e;
                        view! {
                            <label class="nowrap"><input type="checkbox"
                                prop:checked=move || events.with(|v| v.iter().any(|x| x == e))
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    events.update(|v| { v.retain(|x| x != e); if on { v.push(e.to_owned()); } });
                                }/> " " <code>{e}</code></label>
                        }
                    }).collect_view()}
                    {field_msg("events")}
                </fieldset>
                <div class="field"><label for="wh-headers">"Custom headers (one " <code>"Name: value"</code> " per line)"</label>
                    <textarea id="wh-headers" rows="2" prop:value=move || headers.get() on:input=move |ev| headers.set(event_target_value(&ev))></textarea>
                    {field_msg("headers")}</div>
                <label class="nowrap"><input type="checkbox" prop:checked=move || allow_private.get()
                    on:change=move |ev| allow_private.set(event_target_checked(&ev))/>
                    " Allow private, loopback and link-local addresses (only for receivers inside your network)"</label>
                <div><button class="btn btn-primary" type="submit">"Add endpoint"</button></div>
            </form>
            <FormError error=err fields=&["url", "events", "headers"]/>
        </section>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(l) if l.is_empty() => view! { <Empty title="No endpoints yet" hint="Add one above to receive events."/> }.into_any(),
                    Ok(l) => l.into_iter().map(|ep| view! { <Endpoint ep active rotate delete replay/> }).collect_view().into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Endpoint(
    ep: WebhookEndpointView,
    active: ServerAction<SetWebhookActive>,
    rotate: ServerAction<RotateWebhookSecret>,
    delete: ServerAction<DeleteWebhook>,
    replay: ServerAction<ReplayWebhookDelivery>,
) -> impl IntoView {
    let id = ep.id;
    let is_active = ep.active;
    let deliveries = Resource::new(
        move || replay.version().get(),
        move |_| list_webhook_deliveries(id),
    );
    view! {
        <section class="card" data-testid="webhook-endpoint">
            <h2><code>{ep.url.clone()}</code> " "
                {if ep.active { view! { <span class="badge">"active"</span> }.into_any() }
                 else { view! { <span class="badge badge-muted">"paused"</span> }.into_any() }}</h2>
            {ep.description.clone().map(|d| view! { <p class="muted">{d}</p> })}
            {ep.paused_reason.clone().filter(|_| !ep.active).map(|r| view! { <p class="alert alert-error">{r}</p> })}
            <p class="small">"Events: " {ep.events.join(", ")}
               {ep.failing_since.clone().map(|f| view! { <span class="muted">" · failing since " {fmt_time(&f)}</span> })}
               {ep.last_success_at.clone().map(|f| view! { <span class="muted">" · last success " {fmt_time(&f)}</span> })}</p>
            <p class="actions">
                <button class="btn btn-small" on:click=move |_| { active.dispatch(SetWebhookActive { id, active: !is_active }); }>
                    {if is_active { "Pause" } else { "Resume" }}</button>
                <button class="btn btn-ghost btn-small" on:click=move |_| { rotate.dispatch(RotateWebhookSecret { id }); }>"Rotate secret"</button>
                <button class="btn btn-ghost btn-small" on:click=move |_| { delete.dispatch(DeleteWebhook { id }); }>"Delete"</button>
            </p>
            <h3>"Deliveries"</h3>
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match deliveries.await {
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(d) if d.is_empty() => view! { <p class="muted">"Nothing sent yet."</p> }.into_any(),
                        Ok(d) => view! {
                            <table class="table" data-testid="webhook-deliveries">
                                <thead><tr><th>"When"</th><th>"Event"</th><th>"Status"</th><th>"HTTP"</th><th>"ms"</th><th>"Attempts"</th><th>"Response"</th><th></th></tr></thead>
                                <tbody>{d.into_iter().map(|x| {
                                    let did = x.id;
                                    view! {
                                        <tr>
                                            <td class="muted">{fmt_time(&x.created_at)}</td>
                                            <td><code>{x.event.clone()}</code></td>
                                            <td>{x.status.clone()}</td>
                                            <td>{x.response_status.map(|s| s.to_string()).unwrap_or_default()}</td>
                                            <td>{x.duration_ms.map(|s| s.to_string()).unwrap_or_default()}</td>
                                            <td>{x.attempts}</td>
                                            <td class="small"><code>{x.error.clone().or(x.response_excerpt.clone()).unwrap_or_default()}</code></td>
                                            <td><button class="btn btn-ghost btn-small" on:click=move |_| { replay.dispatch(ReplayWebhookDelivery { delivery_id: did }); }>"Replay"</button></td>
                                        </tr>
                                    }
                                }).collect_view()}</tbody>
                            </table>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
