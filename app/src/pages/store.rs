//! `/app/settings/store`: the storefront's address and the Stripe account it
//! takes payments with (secret key and webhook signing secret, stored sealed;
//! the webhook address and events to register at Stripe).

use crate::components::{action_error, ErrorBox, FormError, Loading};
use crate::serverfns::store::{get_store_settings, SaveStoreSettings};
use crate::types::{StoreSettingsForm, StoreSettingsView};
use leptos::prelude::*;
use leptos_meta::Title;

fn status(v: &StoreSettingsView) -> impl IntoView {
    if v.connected {
        view! {
            <p data-testid="stripe-status" data-connected="true">
                <span class="badge">"Connected"</span>" "
                {format!("Secret key {}", v.secret_hint.clone().unwrap_or_default())}
                {(!v.api_base.is_empty()).then(|| format!(" · API {}", v.api_base))}
            </p>
        }
        .into_any()
    } else {
        view! {
            <p data-testid="stripe-status" data-connected="false">
                <span class="badge badge-muted">"Not connected"</span>
                " Shoppers can fill their cart but cannot pay until Stripe is connected."
            </p>
        }
        .into_any()
    }
}

/// The store settings page.
#[component]
pub fn StoreSettingsPage() -> impl IntoView {
    let save = ServerAction::<SaveStoreSettings>::new();
    let page = Resource::new(move || save.version().get(), |_| get_store_settings());
    let form = RwSignal::new(StoreSettingsForm::default());
    let err = action_error(save.value());
    let field_msg = move |f: &'static str| {
        move || {
            err.get()
                .filter(|e| e.field_name() == Some(f))
                .map(|e| view! { <p class="field-error" role="alert">{e.to_string()}</p> })
        }
    };
    let set = move |f: fn(&mut StoreSettingsForm, String)| {
        move |ev| form.update(|x| f(x, event_target_value(&ev)))
    };
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            form.set(StoreSettingsForm::default());
        }
    });
    view! {
        <Title text="Store"/>
        <header class="page-head">
            <h1>"Store"</h1>
            <p class="muted">"Your storefront and how it takes payments. Shoppers pay on Stripe's checkout page; Stripe tells Switchboard through a webhook, and the order moves to paid."</p>
        </header>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(v) => view! {
                        <section class="card">
                            <h2>"Storefront"</h2>
                            <p><a href=v.store_url.clone() target="_blank" rel="noopener" data-testid="store-url">{v.store_url.clone()}</a></p>
                        </section>
                        <section class="card">
                            <h2>"Stripe"</h2>
                            {status(&v)}
                            <p class="small">"In Stripe's dashboard, add a webhook endpoint with this address and these events, then paste its signing secret below:"</p>
                            <p><code data-testid="webhook-url">{v.webhook_url.clone()}</code></p>
                            <ul class="small">{v.webhook_events.iter().map(|e| view! { <li><code>{e.clone()}</code></li> }).collect_view()}</ul>
                            {(!v.can_store_keys).then(|| view! {
                                <p class="field-error">"This server has no secrets key (secrets_key), so it cannot store Stripe keys."</p>
                            })}
                            <form class="form" data-testid="stripe-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                                ev.prevent_default();
                                save.dispatch(SaveStoreSettings { form: form.get_untracked() });
                            }>
                                <label for="s-secret">"Secret key"</label>
                                <input id="s-secret" type="password" autocomplete="off" placeholder="sk_live_…" required=true
                                    prop:value=move || form.with(|f| f.secret_key.clone()) on:input=set(|f, v| f.secret_key = v)/>
                                {field_msg("secret_key")}
                                <label for="s-webhook">"Webhook signing secret"</label>
                                <input id="s-webhook" type="password" autocomplete="off" placeholder="whsec_…" required=true
                                    prop:value=move || form.with(|f| f.webhook_secret.clone()) on:input=set(|f, v| f.webhook_secret = v)/>
                                {field_msg("webhook_secret")}
                                <label for="s-base">"API base (leave empty for Stripe)"</label>
                                <input id="s-base" type="url" placeholder="https://api.stripe.com/"
                                    prop:value=move || form.with(|f| f.api_base.clone()) on:input=set(|f, v| f.api_base = v)/>
                                {field_msg("api_base")}
                                <div><button class="btn btn-primary" type="submit">{if v.connected { "Replace keys" } else { "Connect Stripe" }}</button></div>
                            </form>
                            <FormError error=err fields=&["secret_key", "webhook_secret", "api_base"]/>
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
