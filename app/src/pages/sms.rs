//! `/app/settings/sms`: SMS and WhatsApp through Twilio — the account, sender
//! numbers, the webhook address to paste into Twilio, the segment price, the
//! answer to HELP, approved WhatsApp templates, and a "send test" button.

use crate::components::{action_error, ErrorBox, FormError, Loading};
use crate::serverfns::channels::{
    get_twilio_settings, RemoveTwilioSettings, SaveTwilioSettings, SendTwilioTest,
};
use crate::types::{TwilioSettingsForm, TwilioSettingsView};
use leptos::prelude::*;
use leptos_meta::Title;

fn form_of(v: &TwilioSettingsView) -> TwilioSettingsForm {
    TwilioSettingsForm {
        account_sid: v.account_sid.clone(),
        auth_token: String::new(),
        api_base: v.api_base.clone(),
        sms_from: v.sms_from.clone(),
        whatsapp_from: v.whatsapp_from.clone(),
        segment_price: v.segment_price.clone(),
        help_reply: v.help_reply.clone(),
        templates: v
            .templates
            .iter()
            .map(|t| format!("{} | {} | {}", t.name, t.content_sid, t.body))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// The SMS & WhatsApp settings page.
#[component]
pub fn SmsSettingsPage() -> impl IntoView {
    let save = ServerAction::<SaveTwilioSettings>::new();
    let remove = ServerAction::<RemoveTwilioSettings>::new();
    let page = Resource::new(
        move || (save.version().get(), remove.version().get()),
        |_| get_twilio_settings(),
    );
    view! {
        <Title text="SMS & WhatsApp"/>
        <header class="page-head">
            <h1>"SMS & WhatsApp"</h1>
            <p class="muted">"Customers text your number or message you on WhatsApp; their messages land in the inbox like any other, and your replies go back through Twilio."</p>
        </header>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(v) => view! { <TwilioCard v save remove/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn TwilioCard(
    v: TwilioSettingsView,
    save: ServerAction<SaveTwilioSettings>,
    remove: ServerAction<RemoveTwilioSettings>,
) -> impl IntoView {
    let form = RwSignal::new(form_of(&v));
    let err = action_error(save.value());
    let field_msg = move |f: &'static str| {
        move || {
            err.get()
                .filter(|e| e.field_name() == Some(f))
                .map(|e| view! { <p class="field-error" role="alert">{e.to_string()}</p> })
        }
    };
    let set = move |f: fn(&mut TwilioSettingsForm, String)| {
        move |ev| form.update(|x| f(x, event_target_value(&ev)))
    };
    let saved = move || matches!(save.value().get(), Some(Ok(_)));
    let configured = v.configured;
    view! {
        <section class="card" data-testid="twilio-card" data-configured=configured.to_string()>
            <h2>"Twilio account"</h2>
            {if configured {
                view! {
                    <p class="alert alert-success" data-testid="twilio-status">
                        "Connected: " <code>{v.account_sid.clone()}</code> " (auth token " {v.token_hint.clone().unwrap_or_default()} ")."
                        {(!v.sms_from.is_empty()).then(|| view! { " SMS from " <strong>{v.sms_from.clone()}</strong> "." })}
                        {(!v.whatsapp_from.is_empty()).then(|| view! { " WhatsApp from " <strong>{v.whatsapp_from.clone()}</strong> "." })}
                    </p>
                    <p class="small">"Last 30 days: " <strong data-testid="twilio-usage">{format!("{} messages, {} segments, {}", v.sent_30d, v.segments_30d, v.cost_30d)}</strong> " (estimated from the segment price below)."</p>
                    <p class="small">"In Twilio, set this address as the number's (and the WhatsApp sender's) incoming-message webhook, HTTP POST:"</p>
                    <p><code data-testid="twilio-inbound-url">{v.inbound_url.clone()}</code></p>
                    <p class="small muted">"Delivery reports come back to " <code>{v.status_url.clone()}</code> " (set on every message; nothing to configure). Every request is checked against Twilio's signature."</p>
                }.into_any()
            } else {
                view! {
                    <p class="alert alert-info" data-testid="twilio-status">"Not configured: SMS and WhatsApp are off. Connect a Twilio account to turn them on."</p>
                }.into_any()
            }}
            {(!v.can_store_keys).then(|| view! {
                <p class="field-error">"This server has no secrets key (secrets_key), so it cannot store a Twilio auth token."</p>
            })}
            <form class="form" data-testid="twilio-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                save.dispatch(SaveTwilioSettings { form: form.get_untracked() });
            }>
                <label for="tw-sid">"Account SID"</label>
                <input id="tw-sid" autocomplete="off" placeholder="AC…" required=true
                    prop:value=move || form.with(|f| f.account_sid.clone()) on:input=set(|f, v| f.account_sid = v)/>
                {field_msg("account_sid")}
                <label for="tw-token">{if configured { "Auth token (leave empty to keep the stored one)" } else { "Auth token" }}</label>
                <input id="tw-token" type="password" autocomplete="off"
                    prop:value=move || form.with(|f| f.auth_token.clone()) on:input=set(|f, v| f.auth_token = v)/>
                {field_msg("auth_token")}
                <label for="tw-sms">"SMS number (E.164, empty for no SMS)"</label>
                <input id="tw-sms" placeholder="+14155550100"
                    prop:value=move || form.with(|f| f.sms_from.clone()) on:input=set(|f, v| f.sms_from = v)/>
                {field_msg("sms_from")}
                <label for="tw-wa">"WhatsApp sender (E.164, empty for no WhatsApp)"</label>
                <input id="tw-wa" placeholder="+14155550100"
                    prop:value=move || form.with(|f| f.whatsapp_from.clone()) on:input=set(|f, v| f.whatsapp_from = v)/>
                {field_msg("whatsapp_from")}
                <label for="tw-price">"Price of one SMS segment (your Twilio rate, for the cost shown on each message)"</label>
                <input id="tw-price" inputmode="decimal"
                    prop:value=move || form.with(|f| f.segment_price.clone()) on:input=set(|f, v| f.segment_price = v)/>
                {field_msg("segment_price")}
                <label for="tw-help">"Answer to HELP (empty: no answer)"</label>
                <textarea id="tw-help" rows="2"
                    prop:value=move || form.with(|f| f.help_reply.clone()) on:input=set(|f, v| f.help_reply = v)></textarea>
                {field_msg("help_reply")}
                <label for="tw-templates">"Approved WhatsApp templates, one a line: name | HX… content SID | approved text with {{1}}, {{2}}"</label>
                <textarea id="tw-templates" rows="3" class="mono"
                    prop:value=move || form.with(|f| f.templates.clone()) on:input=set(|f, v| f.templates = v)></textarea>
                {field_msg("templates")}
                <label for="tw-base">"API base (leave empty for Twilio's own)"</label>
                <input id="tw-base" type="url"
                    prop:value=move || form.with(|f| f.api_base.clone()) on:input=set(|f, v| f.api_base = v)/>
                {field_msg("api_base")}
                <div class="row">
                    <button class="btn btn-primary" type="submit" data-testid="twilio-save">{if configured { "Save" } else { "Connect Twilio" }}</button>
                    {move || saved().then(|| view! { <span class="muted small" role="status">"Saved."</span> })}
                    {configured.then(|| view! {
                        <button class="btn btn-danger" type="button" on:click=move |_| { remove.dispatch(RemoveTwilioSettings {}); }>"Disconnect"</button>
                    })}
                </div>
            </form>
            <FormError error=err fields=&["account_sid", "auth_token", "sms_from", "whatsapp_from", "segment_price", "help_reply", "templates", "api_base"]/>
        </section>
        {configured.then(|| view! { <TestCard has_sms=!v.sms_from.is_empty() has_whatsapp=!v.whatsapp_from.is_empty()/> })}
        <section class="card">
            <h2>"How it works"</h2>
            <ul class="small">
                <li>"A long reply is cut at sentence ends into messages of at most 1,600 characters (SMS: at most ten segments each). The composer shows the characters, segments and encoding as you type: one emoji or accented letter outside GSM-7 turns the whole SMS into UCS-2, 70 characters a segment instead of 160."</li>
                <li>"Each reply shows its delivery (queued, sent, delivered, read, or failed with the carrier's reason) and its segments and estimated cost."</li>
                <li>"STOP, UNSUBSCRIBE, CANCEL, END or QUIT stop all messages to that number until the customer texts START; HELP gets the answer above. Each is recorded in the conversation."</li>
                <li>"WhatsApp allows free text only within 24 hours of the customer's last message; after that, send an approved template from the conversation."</li>
                <li>"The same number on SMS and WhatsApp is one customer."</li>
            </ul>
        </section>
    }
}

#[component]
fn TestCard(has_sms: bool, has_whatsapp: bool) -> impl IntoView {
    let test = ServerAction::<SendTwilioTest>::new();
    let to = RwSignal::new(String::new());
    let channel = RwSignal::new(if has_sms { "sms" } else { "whatsapp" }.to_owned());
    let err = action_error(test.value());
    view! {
        <section class="card" data-testid="twilio-test">
            <h2>"Send a test"</h2>
            <p class="small muted">"Sends one message through the account to the number you give (not stored in a conversation)."</p>
            <form class="inline-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                test.dispatch(SendTwilioTest { to: to.get_untracked(), channel: channel.get_untracked() });
            }>
                <label for="tw-test-to" class="sr-only">"Send to"</label>
                <input id="tw-test-to" placeholder="+14155550100" required=true
                    prop:value=move || to.get() on:input=move |ev| to.set(event_target_value(&ev))/>
                <label for="tw-test-channel" class="sr-only">"Channel"</label>
                <select id="tw-test-channel" prop:value=move || channel.get() on:change=move |ev| channel.set(event_target_value(&ev))>
                    <option value="sms" disabled=!has_sms>"SMS"</option>
                    <option value="whatsapp" disabled=!has_whatsapp>"WhatsApp"</option>
                </select>
                <button class="btn" type="submit" disabled=move || test.pending().get()>"Send test"</button>
            </form>
            {move || match test.value().get() {
                Some(Ok(r)) => Some(view! { <p class="alert alert-success" data-testid="twilio-test-result">"Twilio accepted it: " <code>{r.sid}</code> " (" {r.status} ")."</p> }.into_any()),
                _ => None,
            }}
            <FormError error=err/>
        </section>
    }
}
