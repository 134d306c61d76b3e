//! `/app/settings/slack`: the team's Slack app — its bot token and signing
//! secret, the channel new conversations are posted to, the Request URLs to
//! paste into the app's settings, 30-day figures and "send test".

use crate::components::{action_error, ErrorBox, FormError, Loading};
use crate::serverfns::channels::{
    get_slack_settings, RemoveSlackSettings, SaveSlackSettings, SendSlackTest,
};
use crate::types::{SlackSettingsForm, SlackSettingsView};
use leptos::prelude::*;
use leptos_meta::Title;

/// The Slack settings page.
#[component]
pub fn SlackSettingsPage() -> impl IntoView {
    let save = ServerAction::<SaveSlackSettings>::new();
    let remove = ServerAction::<RemoveSlackSettings>::new();
    let page = Resource::new(
        move || (save.version().get(), remove.version().get()),
        |_| get_slack_settings(),
    );
    view! {
        <Title text="Slack"/>
        <header class="page-head">
            <h1>"Slack"</h1>
            <p class="muted">"New conversations posted to a channel, with their threads mirrored both ways; "<code>"/ticket"</code>" to open a ticket from Slack; side conversations held in Slack channels."</p>
        </header>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(v) => view! { <SlackCard v save remove/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn SlackCard(
    v: SlackSettingsView,
    save: ServerAction<SaveSlackSettings>,
    remove: ServerAction<RemoveSlackSettings>,
) -> impl IntoView {
    let test = ServerAction::<SendSlackTest>::new();
    let form = RwSignal::new(SlackSettingsForm {
        bot_token: String::new(),
        signing_secret: String::new(),
        notify_channel: v.notify_channel.clone(),
        api_base: v.api_base.clone(),
    });
    let err = action_error(save.value());
    let test_err = action_error(test.value());
    let field_msg = move |f: &'static str| {
        move || {
            err.get()
                .filter(|e| e.field_name() == Some(f))
                .map(|e| view! { <p class="field-error" role="alert">{e.to_string()}</p> })
        }
    };
    let set = move |f: fn(&mut SlackSettingsForm, String)| {
        move |ev| form.update(|x| f(x, event_target_value(&ev)))
    };
    let configured = v.configured;
    let usage = format!(
        "Last 30 days: {} threads mirrored, {} tickets opened with /ticket, {} posts Slack refused.",
        v.threads_30d, v.tickets_30d, v.failed_30d
    );
    view! {
        <section class="card" data-testid="slack-card" data-configured=configured.to_string()>
            <h2>"Slack app"</h2>
            {if configured {
                view! {
                    <p class="alert alert-success" data-testid="slack-status">
                        "Connected to " <strong>{v.team_name.clone()}</strong> " (bot token " {v.token_hint.clone().unwrap_or_default()} "). " {usage}
                    </p>
                    {v.last_error.clone().map(|e| view! { <p class="field-error" data-testid="slack-last-error">"Last refusal: " {e}</p> })}
                    <p class="small">"In the Slack app's settings, set the slash command "<code>"/ticket"</code>"'s Request URL to:"</p>
                    <p><code data-testid="slack-command-url">{v.command_url.clone()}</code></p>
                    <p class="small">"and, under Event Subscriptions, the Request URL to (subscribe the bot to "<code>"message.channels"</code>" and "<code>"message.groups"</code>"):"</p>
                    <p><code data-testid="slack-events-url">{v.events_url.clone()}</code></p>
                    <div class="row">
                        <button class="btn btn-small" type="button" data-testid="slack-test"
                            disabled=move || test.pending().get()
                            on:click=move |_| { test.dispatch(SendSlackTest {}); }>"Send test"</button>
                        {move || test.value().get().and_then(Result::ok).map(|m| view! {
                            <span class="small" data-testid="slack-test-result">{m}</span>
                        })}
                    </div>
                    <FormError error=test_err/>
                }.into_any()
            } else {
                view! {
                    <p class="alert alert-info" data-testid="slack-status">"Not configured: nothing is posted to Slack and /ticket is not answered."</p>
                    <ol class="small">
                        <li>"Create a Slack app for your workspace (api.slack.com/apps)."</li>
                        <li>"Under OAuth & Permissions, add the bot scopes "<code>"chat:write"</code>", "<code>"commands"</code>", "<code>"users:read"</code>", "<code>"channels:history"</code>" and "<code>"groups:history"</code>", and install the app."</li>
                        <li>"Paste the Bot User OAuth Token and the signing secret (Basic Information) below; the Request URLs for /ticket and events appear once connected."</li>
                        <li>"Invite the bot to the channels it posts in: "<code>"/invite @your-bot"</code>"."</li>
                    </ol>
                }.into_any()
            }}
            {(!v.can_store_keys).then(|| view! {
                <p class="field-error">"This server has no secrets key (secrets_key), so it cannot store a Slack token."</p>
            })}
            <form class="form" data-testid="slack-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                save.dispatch(SaveSlackSettings { form: form.get_untracked() });
            }>
                <label for="sl-token">{if configured { "Bot token (leave empty to keep the stored one)" } else { "Bot token (xoxb-…)" }}</label>
                <input id="sl-token" type="password" autocomplete="off"
                    prop:value=move || form.with(|f| f.bot_token.clone()) on:input=set(|f, v| f.bot_token = v)/>
                {field_msg("bot_token")}
                <label for="sl-secret">{if configured { "Signing secret (leave empty to keep the stored one)" } else { "Signing secret" }}</label>
                <input id="sl-secret" type="password" autocomplete="off"
                    prop:value=move || form.with(|f| f.signing_secret.clone()) on:input=set(|f, v| f.signing_secret = v)/>
                {field_msg("signing_secret")}
                <label for="sl-channel">"Post new conversations to (#channel or channel id; empty: do not post)"</label>
                <input id="sl-channel" autocomplete="off" placeholder="#support"
                    prop:value=move || form.with(|f| f.notify_channel.clone()) on:input=set(|f, v| f.notify_channel = v)/>
                {field_msg("notify_channel")}
                <label for="sl-base">"API base (leave empty for Slack's own)"</label>
                <input id="sl-base" type="url"
                    prop:value=move || form.with(|f| f.api_base.clone()) on:input=set(|f, v| f.api_base = v)/>
                {field_msg("api_base")}
                <div class="row">
                    <button class="btn btn-primary" type="submit" data-testid="slack-save">{if configured { "Save" } else { "Connect" }}</button>
                    {configured.then(|| view! {
                        <button class="btn btn-danger" type="button" on:click=move |_| { remove.dispatch(RemoveSlackSettings {}); }>"Disconnect"</button>
                    })}
                </div>
            </form>
            <FormError error=err fields=&["bot_token", "signing_secret", "notify_channel", "api_base"]/>
        </section>
    }
}
