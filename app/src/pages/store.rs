//! `/app/settings/store`: the storefront's address and the Stripe account it
//! takes payments with (secret key and webhook signing secret, stored sealed;
//! the webhook address and events to register at Stripe).

use crate::components::{action_error, fmt_time, ErrorBox, FormError, Loading};
use crate::serverfns::store::{
    get_shipping_settings, get_store_pages, get_store_settings, SaveShippingSettings,
    SaveStorePage, SaveStoreSettings,
};
use crate::types::{
    ShippingSettingsForm, ShippingSettingsView, StorePageForm, StoreSettingsForm,
    StoreSettingsView, STORE_PAGES,
};
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
        <ShippingCard/>
        <PagesCard/>
    }
}

/// The storefront's own pages: privacy, terms, contact, FAQ.
#[component]
fn PagesCard() -> impl IntoView {
    let save = ServerAction::<SaveStorePage>::new();
    let pages = Resource::new(move || save.version().get(), |_| get_store_pages());
    let form = RwSignal::new(StorePageForm {
        slug: STORE_PAGES[0].0.to_owned(),
        ..Default::default()
    });
    let loaded = RwSignal::new(None::<String>);
    let err = action_error(save.value());
    let field_msg = move |f: &'static str| {
        move || {
            err.get()
                .filter(|e| e.field_name() == Some(f))
                .map(|e| view! { <p class="field-error" role="alert">{e.to_string()}</p> })
        }
    };
    let set = move |f: fn(&mut StorePageForm, String)| {
        move |ev| form.update(|x| f(x, event_target_value(&ev)))
    };
    view! {
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match pages.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) => {
                        let list = StoredValue::new(list);
                        // Fill the editor from the chosen page (once per choice).
                        let fill = move |slug: String| {
                            if let Some(p) = list.with_value(|l| l.iter().find(|p| p.slug == slug).cloned()) {
                                form.set(StorePageForm { slug: p.slug.clone(), title: p.title.clone(), body: p.body.clone() });
                                loaded.set(Some(p.slug));
                            }
                        };
                        if loaded.get_untracked().as_deref() != Some(form.with_untracked(|f| f.slug.clone()).as_str()) {
                            fill(form.with_untracked(|f| f.slug.clone()));
                        }
                        let current = move || {
                            let slug = form.with(|f| f.slug.clone());
                            list.with_value(|l| l.iter().find(|p| p.slug == slug).cloned())
                        };
                        view! {
                            <section class="card" data-testid="store-pages">
                                <h2>"Store pages"</h2>
                                <p class="small">"Privacy, terms, contact and FAQ, linked in the storefront's footer and listed in its sitemap. Plain text: a blank line starts a new paragraph, a line starting with “## ” is a heading, lines starting with “- ” make a list. Empty the text to take a page down."</p>
                                <ul class="small">
                                    {list.with_value(|l| l.iter().map(|p| view! {
                                        <li data-testid="store-page-row" data-page=p.slug.clone() data-published=p.published.to_string()>
                                            <strong>{p.title.clone()}</strong>" — "
                                            {if p.published {
                                                view! { <a href=p.url.clone() target="_blank" rel="noopener">"published"</a> }.into_any()
                                            } else {
                                                view! { <span class="muted">"not written"</span> }.into_any()
                                            }}
                                            {p.updated.clone().map(|(who, at)| view! { <span class="muted">{format!(" · saved by {who} ")}{fmt_time(&at)}</span> })}
                                        </li>
                                    }).collect_view())}
                                </ul>
                                <form class="form" data-testid="store-page-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                                    ev.prevent_default();
                                    save.dispatch(SaveStorePage { form: form.get_untracked() });
                                }>
                                    <label for="p-slug">"Page"</label>
                                    <select id="p-slug" prop:value=move || form.with(|f| f.slug.clone()) on:change=move |ev| fill(event_target_value(&ev))>
                                        {STORE_PAGES.iter().map(|(slug, title)| view! { <option value=*slug>{*title}</option> }).collect_view()}
                                    </select>
                                    <label for="p-title">"Title"</label>
                                    <input id="p-title" type="text" maxlength="120" required=true
                                        prop:value=move || form.with(|f| f.title.clone()) on:input=set(|f, v| f.title = v)/>
                                    {field_msg("title")}
                                    <label for="p-body">"Text"</label>
                                    <textarea id="p-body" rows="14" maxlength="20000"
                                        prop:value=move || form.with(|f| f.body.clone()) on:input=set(|f, v| f.body = v)></textarea>
                                    {field_msg("body")}
                                    <div>
                                        <button class="btn btn-primary" type="submit">"Save page"</button>" "
                                        {move || current().filter(|p| p.published).map(|p| view! { <a class="small" href=p.url target="_blank" rel="noopener">"View"</a> })}
                                    </div>
                                </form>
                                <FormError error=err fields=&["slug", "title", "body"]/>
                            </section>
                        }
                        .into_any()
                    }
                }
            })}
        </Transition>
    }
}

fn provider_status(v: &ShippingSettingsView) -> impl IntoView {
    match v.provider.as_deref() {
        Some(p) => {
            let name = if p == "easypost" { "EasyPost" } else { "ShipEngine" };
            view! {
                <p data-testid="tracking-status" data-provider=p.to_owned()>
                    <span class="badge">{format!("Tracking with {name}")}</span>" "
                    {format!("API key {}", v.key_hint.clone().unwrap_or_default())}
                    {(!v.api_base.is_empty()).then(|| format!(" · API {}", v.api_base))}
                </p>
            }
            .into_any()
        }
        None => view! {
            <p data-testid="tracking-status" data-provider="">
                <span class="badge badge-muted">"Not set up"</span>
                " Orders ship with the tracking number you type; nobody follows the parcel, so mark them delivered by hand."
            </p>
        }
        .into_any(),
    }
}

/// The tracking provider: EasyPost or ShipEngine follows shipped parcels.
#[component]
fn ShippingCard() -> impl IntoView {
    let save = ServerAction::<SaveShippingSettings>::new();
    let page = Resource::new(move || save.version().get(), |_| get_shipping_settings());
    let form = RwSignal::new(ShippingSettingsForm {
        provider: "easypost".into(),
        ..Default::default()
    });
    let err = action_error(save.value());
    let field_msg = move |f: &'static str| {
        move || {
            err.get()
                .filter(|e| e.field_name() == Some(f))
                .map(|e| view! { <p class="field-error" role="alert">{e.to_string()}</p> })
        }
    };
    let set = move |f: fn(&mut ShippingSettingsForm, String)| {
        move |ev| form.update(|x| f(x, event_target_value(&ev)))
    };
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            form.update(|f| {
                f.api_key.clear();
                f.webhook_secret.clear();
            });
        }
    });
    let easypost = move || form.with(|f| f.provider == "easypost");
    view! {
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(v) => view! {
                        <section class="card" data-testid="shipping-card">
                            <h2>"Shipment tracking"</h2>
                            {provider_status(&v)}
                            <p class="small">"When an order ships with a tracking number, the provider follows the parcel. Its updates arrive by webhook (and every ten minutes Switchboard asks about parcels it has not heard of for half an hour); shoppers see them on their order page, agents on the order and the ticket, and a delivered parcel marks the order delivered."</p>
                            <p class="small">"EasyPost: add a webhook with this address and a secret, then paste the same secret below: "<code data-testid="easypost-url">{v.easypost_webhook_url.clone()}</code></p>
                            <p class="small">"ShipEngine: subscribe the "<code>"track"</code>" webhook event to: "<code data-testid="shipengine-url">{v.shipengine_webhook_url.clone()}</code>" (ShipEngine signs with its published RSA keys; there is no secret to paste)."</p>
                            {(!v.can_store_keys).then(|| view! {
                                <p class="field-error">"This server has no secrets key (secrets_key), so it cannot store carrier keys."</p>
                            })}
                            <form class="form" data-testid="shipping-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                                ev.prevent_default();
                                save.dispatch(SaveShippingSettings { form: form.get_untracked() });
                            }>
                                <label for="t-provider">"Provider"</label>
                                <select id="t-provider" prop:value=move || form.with(|f| f.provider.clone()) on:change=set(|f, v| f.provider = v)>
                                    <option value="easypost">"EasyPost"</option>
                                    <option value="shipengine">"ShipEngine"</option>
                                </select>
                                {field_msg("provider")}
                                <label for="t-key">"API key"</label>
                                <input id="t-key" type="password" autocomplete="off" required=true
                                    prop:value=move || form.with(|f| f.api_key.clone()) on:input=set(|f, v| f.api_key = v)/>
                                {field_msg("api_key")}
                                <Show when=easypost>
                                    <label for="t-secret">"Webhook secret"</label>
                                    <input id="t-secret" type="password" autocomplete="off"
                                        prop:value=move || form.with(|f| f.webhook_secret.clone()) on:input=set(|f, v| f.webhook_secret = v)/>
                                    {field_msg("webhook_secret")}
                                </Show>
                                <label for="t-base">"API base (leave empty for the provider's own)"</label>
                                <input id="t-base" type="url"
                                    prop:value=move || form.with(|f| f.api_base.clone()) on:input=set(|f, v| f.api_base = v)/>
                                {field_msg("api_base")}
                                <div><button class="btn btn-primary" type="submit">{if v.provider.is_some() { "Replace provider" } else { "Set up tracking" }}</button></div>
                            </form>
                            <FormError error=err fields=&["provider", "api_key", "webhook_secret", "api_base"]/>
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
