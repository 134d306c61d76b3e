//! `/app/settings/channels`: the chat widget (embed snippet, key, allowed origins,
//! look), email (inbound webhook address, from-address, IMAP mailbox with a test
//! button), the web support form (public link, categories), and each channel's
//! formatting rules (tone, length, greeting, sign-off, reference).

use crate::components::{action_error, ErrorBox, FormError, Loading};
use crate::serverfns::channels::{
    list_channel_settings, RotateChannelKey, SaveChannelSettings, TestImap,
};
use crate::types::{ChannelSettingsView, FormatRules};
use leptos::prelude::*;
use leptos_meta::Title;
use serde_json::{json, Value};

/// The channels settings page.
#[component]
pub fn ChannelsPage() -> impl IntoView {
    let save = ServerAction::<SaveChannelSettings>::new();
    let rotate = ServerAction::<RotateChannelKey>::new();
    let test = ServerAction::<TestImap>::new();
    let list = Resource::new(
        move || (save.version().get(), rotate.version().get()),
        |_| list_channel_settings(),
    );
    view! {
        <Title text="Channels"/>
        <header class="page-head">
            <h1>"Channels"</h1>
            <p class="muted">"How customers reach you: the chat widget on your site, email, and the web support form. Each channel has its own formatting rules for replies."</p>
        </header>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(channels) => channels.into_iter().map(|c| view! { <ChannelCard c save rotate test/> }).collect_view().into_any(),
                }
            })}
        </Transition>
    }
}

fn text_of(v: &Value, k: &str) -> String {
    v.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn lines(v: &Value, k: &str) -> String {
    v.get(k)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

fn split_lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[component]
fn ChannelCard(
    c: ChannelSettingsView,
    save: ServerAction<SaveChannelSettings>,
    rotate: ServerAction<RotateChannelKey>,
    test: ServerAction<TestImap>,
) -> impl IntoView {
    let channel = c.channel.clone();
    let cfg = c.config.clone();
    let enabled = RwSignal::new(c.enabled);
    // Chat
    let color = RwSignal::new(text_of(&cfg, "color"));
    let welcome = RwSignal::new(text_of(&cfg, "welcome"));
    let ask_email = RwSignal::new(
        cfg.get("ask_email")
            .and_then(Value::as_bool)
            .unwrap_or(true),
    );
    let origins = RwSignal::new(lines(&cfg, "allowed_origins"));
    // Email
    let from_name = RwSignal::new(text_of(&cfg, "from_name"));
    let from_address = RwSignal::new(text_of(&cfg, "from_address"));
    let confirm = RwSignal::new(
        cfg.get("send_confirmation")
            .and_then(Value::as_bool)
            .unwrap_or(true),
    );
    let survey = RwSignal::new(
        cfg.get("csat_survey")
            .and_then(Value::as_bool)
            .unwrap_or(true),
    );
    let imap = cfg.get("imap").cloned().unwrap_or(Value::Null);
    let imap_host = RwSignal::new(text_of(&imap, "host"));
    let imap_port = RwSignal::new(
        imap.get("port")
            .and_then(Value::as_u64)
            .map_or_else(|| "993".to_owned(), |p| p.to_string()),
    );
    let imap_security = RwSignal::new(
        Some(text_of(&imap, "security"))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "tls".into()),
    );
    let imap_user = RwSignal::new(text_of(&imap, "username"));
    let imap_password = RwSignal::new(text_of(&imap, "password"));
    let imap_mailbox = RwSignal::new(
        Some(text_of(&imap, "mailbox"))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "INBOX".into()),
    );
    // Web form
    let categories = RwSignal::new(lines(&cfg, "categories"));
    // Formatting
    let f = c.format.clone();
    let tone = RwSignal::new(f.tone.clone());
    let max_words = RwSignal::new(f.max_words.to_string());
    let greeting = RwSignal::new(f.greeting.clone().unwrap_or_default());
    let signoff = RwSignal::new(f.signoff.clone().unwrap_or_default());
    let reference = RwSignal::new(f.include_reference);
    let err = action_error(save.value());
    let ch = channel.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let config = match ch.as_str() {
            "chat" => json!({
                "color": color.get_untracked(), "welcome": welcome.get_untracked(),
                "ask_email": ask_email.get_untracked(),
                "allowed_origins": split_lines(&origins.get_untracked()),
            }),
            "email" => {
                let host = imap_host.get_untracked();
                let imap = if host.trim().is_empty() {
                    Value::Null
                } else {
                    json!({
                        "host": host.trim(), "port": imap_port.get_untracked().trim().parse::<u64>().unwrap_or(0),
                        "security": imap_security.get_untracked(), "username": imap_user.get_untracked().trim(),
                        "password": imap_password.get_untracked(), "mailbox": imap_mailbox.get_untracked().trim(),
                    })
                };
                json!({
                    "from_name": from_name.get_untracked(), "from_address": from_address.get_untracked(),
                    "send_confirmation": confirm.get_untracked(), "csat_survey": survey.get_untracked(), "imap": imap,
                })
            }
            _ => json!({
                "categories": split_lines(&categories.get_untracked()),
                "send_confirmation": confirm.get_untracked(), "csat_survey": survey.get_untracked(),
            }),
        };
        save.dispatch(SaveChannelSettings {
            channel: ch.clone(),
            enabled: enabled.get_untracked(),
            config_json: config.to_string(),
            format: FormatRules {
                tone: tone.get_untracked(),
                max_words: max_words.get_untracked().trim().parse().unwrap_or(-1),
                max_chars: None,
                greeting: Some(greeting.get_untracked()),
                signoff: Some(signoff.get_untracked()),
                include_reference: reference.get_untracked(),
            },
        });
    };
    let saved = {
        let ch = channel.clone();
        move || matches!(save.value().get(), Some(Ok(ref v)) if v.channel == ch)
    };
    let is = |name: &'static str| channel == name;
    let key_channel = channel.clone();
    let test_result = move || test.value().get();
    view! {
        <section class="card" data-testid=format!("channel-{}", c.channel)>
            <h2>{c.label.clone()}</h2>
            {c.snippet.clone().map(|s| view! {
                <div class="field">
                    <label>"Embed on your site (paste before " <code>"</body>"</code> ")"</label>
                    <textarea readonly=true rows="2" data-testid="widget-snippet">{s}</textarea>
                    <p class="field-hint">"Try it on the " <a href="/demo/store" target="_blank">"demo store page"</a> "."</p>
                </div>
            })}
            {c.inbound_url.clone().map(|u| view! {
                <div class="field">
                    <label>"Inbound webhook (raw MIME, or Postmark's inbound JSON)"</label>
                    <input type="text" readonly=true value=u data-testid="inbound-url"/>
                    <p class="field-hint">"Point your mail provider's inbound route here, or set up IMAP below. The address is secret: rotate it if it leaks."</p>
                </div>
            })}
            {c.public_url.clone().map(|u| view! {
                <p>"Public form: " <a href=u.clone() target="_blank" data-testid="form-url">{u.clone()}</a></p>
            })}
            {(c.public_key.is_some() || c.inbound_url.is_some()).then(|| {
                let ch = key_channel.clone();
                view! {
                    <p><button class="btn btn-ghost btn-small" type="button"
                        on:click=move |_| { rotate.dispatch(RotateChannelKey { channel: ch.clone() }); }>
                        "Rotate key (the old one stops working)"
                    </button></p>
                }
            })}
            <form class="form" on:submit=on_submit>
                <label class="nowrap"><input type="checkbox" prop:checked=move || enabled.get()
                    on:change=move |ev| enabled.set(event_target_checked(&ev))/> " Enabled"</label>
                {is("chat").then(|| view! {
                    <div class="field"><label>"Accent colour"</label>
                        <input type="text" prop:value=move || color.get() on:input=move |ev| color.set(event_target_value(&ev))/></div>
                    <div class="field"><label>"Welcome line"</label>
                        <input type="text" prop:value=move || welcome.get() on:input=move |ev| welcome.set(event_target_value(&ev))/></div>
                    <label class="nowrap"><input type="checkbox" prop:checked=move || ask_email.get()
                        on:change=move |ev| ask_email.set(event_target_checked(&ev))/> " Ask visitors for their email"</label>
                    <div class="field"><label>"Allowed origins (one per line; empty: any site)"</label>
                        <textarea rows="3" placeholder="https://shop.example.com" prop:value=move || origins.get()
                            on:input=move |ev| origins.set(event_target_value(&ev))></textarea></div>
                })}
                {is("email").then(|| view! {
                    <div class="form-inline">
                        <div class="field"><label>"From name"</label>
                            <input type="text" placeholder="Acme Support" prop:value=move || from_name.get() on:input=move |ev| from_name.set(event_target_value(&ev))/></div>
                        <div class="field"><label>"From address"</label>
                            <input type="email" placeholder="support@example.com" prop:value=move || from_address.get() on:input=move |ev| from_address.set(event_target_value(&ev))/></div>
                    </div>
                    <fieldset class="field"><legend>"IMAP mailbox (polled every minute)"</legend>
                        <div class="form-inline">
                            <div class="field"><label>"Host"</label><input type="text" placeholder="imap.example.com" prop:value=move || imap_host.get() on:input=move |ev| imap_host.set(event_target_value(&ev))/></div>
                            <div class="field"><label>"Port"</label><input type="text" size="5" prop:value=move || imap_port.get() on:input=move |ev| imap_port.set(event_target_value(&ev))/></div>
                            <div class="field"><label>"Security"</label>
                                <select on:change=move |ev| imap_security.set(event_target_value(&ev)) prop:value=move || imap_security.get()>
                                    <option value="tls">"TLS"</option><option value="starttls">"STARTTLS"</option><option value="none">"None (local only)"</option>
                                </select></div>
                        </div>
                        <div class="form-inline">
                            <div class="field"><label>"Username"</label><input type="text" prop:value=move || imap_user.get() on:input=move |ev| imap_user.set(event_target_value(&ev))/></div>
                            <div class="field"><label>"Password"</label><input type="password" autocomplete="new-password" prop:value=move || imap_password.get() on:input=move |ev| imap_password.set(event_target_value(&ev))/></div>
                            <div class="field"><label>"Mailbox"</label><input type="text" prop:value=move || imap_mailbox.get() on:input=move |ev| imap_mailbox.set(event_target_value(&ev))/></div>
                        </div>
                        {c.poll_status.clone().map(|s| view! { <p class="field-hint" data-testid="poll-status">{s}</p> })}
                        <button class="btn btn-small" type="button" on:click=move |_| { test.dispatch(TestImap {}); }>"Test connection"</button>
                        {move || test_result().map(|r| match r {
                            Ok(m) => view! { <p class="alert alert-success">{m}</p> }.into_any(),
                            Err(e) => view! { <p class="alert alert-error">{e.to_string()}</p> }.into_any(),
                        })}
                    </fieldset>
                })}
                {is("web_form").then(|| view! {
                    <div class="field"><label>"Categories (one per line)"</label>
                        <textarea rows="5" prop:value=move || categories.get() on:input=move |ev| categories.set(event_target_value(&ev))></textarea></div>
                })}
                {(is("email") || is("web_form")).then(|| view! {
                    <label class="nowrap"><input type="checkbox" prop:checked=move || confirm.get()
                        on:change=move |ev| confirm.set(event_target_checked(&ev))/> " Email a confirmation with the ticket number"</label>
                    <label class="nowrap"><input type="checkbox" data-testid="csat-survey" prop:checked=move || survey.get()
                        on:change=move |ev| survey.set(event_target_checked(&ev))/> " Ask for a rating (1–5) in the “solved” email"</label>
                })}
                <fieldset class="field"><legend>"Reply formatting"</legend>
                    <div class="form-inline">
                        <div class="field"><label>"Tone"</label>
                            <select prop:value=move || tone.get() on:change=move |ev| tone.set(event_target_value(&ev))>
                                <option value="formal">"Formal"</option><option value="semi_formal">"Semi-formal"</option><option value="conversational">"Conversational"</option>
                            </select></div>
                        <div class="field"><label>"Longest reply (words, 0 = no limit)"</label>
                            <input type="number" min="0" max="5000" prop:value=move || max_words.get() on:input=move |ev| max_words.set(event_target_value(&ev))/></div>
                    </div>
                    <div class="field"><label>"Greeting"</label>
                        <input type="text" placeholder="Hi {{ customer.first_name }}," prop:value=move || greeting.get() on:input=move |ev| greeting.set(event_target_value(&ev))/></div>
                    <div class="field"><label>"Sign-off"</label>
                        <textarea rows="3" prop:value=move || signoff.get() on:input=move |ev| signoff.set(event_target_value(&ev))></textarea>
                        <p class="field-hint">"Variables: {{ customer.first_name }}, {{ agent.name }}, {{ workspace.name }}, {{ ticket.number }}."</p></div>
                    <label class="nowrap"><input type="checkbox" prop:checked=move || reference.get()
                        on:change=move |ev| reference.set(event_target_checked(&ev))/> " Add the ticket reference"</label>
                </fieldset>
                <div><button class="btn btn-primary" type="submit">"Save"</button></div>
            </form>
            <FormError error=err/>
            {move || saved().then(|| view! { <p class="alert alert-success" role="status">"Saved."</p> })}
        </section>
    }
}
