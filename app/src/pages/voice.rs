//! `/app/settings/voice`: phone calls answered by a Retell-compatible voice
//! agent — the account, the webhook address, the agent and its settings,
//! the summary source, how long recordings are kept, and "sync now".

use crate::components::{action_error, fmt_time, ErrorBox, FormError, Loading};
use crate::serverfns::channels::{
    get_voice_settings, RemoveVoiceSettings, SaveVoiceSettings, SyncVoiceAgent,
};
use crate::types::{VoiceSettingsForm, VoiceSettingsView};
use leptos::prelude::*;
use leptos_meta::Title;

/// The voice settings page.
#[component]
pub fn VoiceSettingsPage() -> impl IntoView {
    let save = ServerAction::<SaveVoiceSettings>::new();
    let sync = ServerAction::<SyncVoiceAgent>::new();
    let remove = ServerAction::<RemoveVoiceSettings>::new();
    let page = Resource::new(
        move || {
            (
                save.version().get(),
                sync.version().get(),
                remove.version().get(),
            )
        },
        |_| get_voice_settings(),
    );
    view! {
        <Title text="Voice"/>
        <header class="page-head">
            <h1>"Voice"</h1>
            <p class="muted">"Phone calls answered by your voice agent become conversations: the transcript, the recording and a summary, in the inbox with the caller's other conversations."</p>
        </header>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(v) => view! { <VoiceCard v save sync remove/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn VoiceCard(
    v: VoiceSettingsView,
    save: ServerAction<SaveVoiceSettings>,
    sync: ServerAction<SyncVoiceAgent>,
    remove: ServerAction<RemoveVoiceSettings>,
) -> impl IntoView {
    let form = RwSignal::new(VoiceSettingsForm {
        api_key: String::new(),
        api_base: v.api_base.clone(),
        agent_id: v.agent_id.clone(),
        retention_days: v.retention_days,
        provider_summary: v.provider_summary,
        agent_config: v.agent_config.clone(),
    });
    let err = action_error(save.value());
    let sync_err = action_error(sync.value());
    let field_msg = move |f: &'static str| {
        move || {
            err.get()
                .filter(|e| e.field_name() == Some(f))
                .map(|e| view! { <p class="field-error" role="alert">{e.to_string()}</p> })
        }
    };
    let set = move |f: fn(&mut VoiceSettingsForm, String)| {
        move |ev| form.update(|x| f(x, event_target_value(&ev)))
    };
    let configured = v.configured;
    view! {
        <section class="card" data-testid="voice-card" data-configured=configured.to_string()>
            <h2>"Voice agent account"</h2>
            {if configured {
                view! {
                    <p class="alert alert-success" data-testid="voice-status">
                        "Connected (API key " {v.key_hint.clone().unwrap_or_default()} "). "
                        {format!("{} calls in the last 30 days.", v.calls_30d)}
                    </p>
                    <p class="small">"The voice agent posts its call events (call_started, call_ended, call_analyzed) to this address; every request is checked against its signature:"</p>
                    <p><code data-testid="voice-webhook-url">{v.webhook_url.clone()}</code></p>
                    <p class="small" data-testid="voice-sync">
                        {match (&v.synced_at, &v.sync_error) {
                            (_, Some(e)) => view! { <span class="field-error">"Agent sync failed: " {e.clone()}</span> }.into_any(),
                            (Some(t), None) => view! { <span>"Agent synced " {fmt_time(t)} "."</span> }.into_any(),
                            (None, None) => view! { <span class="muted">"Agent not synced yet."</span> }.into_any(),
                        }}
                        " "
                        <button class="btn btn-small" type="button" disabled=move || sync.pending().get() on:click=move |_| { sync.dispatch(SyncVoiceAgent {}); }>"Sync now"</button>
                    </p>
                    <FormError error=sync_err/>
                }.into_any()
            } else {
                view! {
                    <p class="alert alert-info" data-testid="voice-status">"Not configured: phone calls are off. Connect a Retell-compatible voice agent to turn them on."</p>
                }.into_any()
            }}
            {(!v.can_store_keys).then(|| view! {
                <p class="field-error">"This server has no secrets key (secrets_key), so it cannot store a voice API key."</p>
            })}
            <form class="form" data-testid="voice-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                save.dispatch(SaveVoiceSettings { form: form.get_untracked() });
            }>
                <label for="vo-key">{if configured { "API key (leave empty to keep the stored one)" } else { "API key" }}</label>
                <input id="vo-key" type="password" autocomplete="off"
                    prop:value=move || form.with(|f| f.api_key.clone()) on:input=set(|f, v| f.api_key = v)/>
                {field_msg("api_key")}
                <label for="vo-agent">"Agent id (the agent that answers; synced with the webhook address and the settings below)"</label>
                <input id="vo-agent" autocomplete="off"
                    prop:value=move || form.with(|f| f.agent_id.clone()) on:input=set(|f, v| f.agent_id = v)/>
                {field_msg("agent_id")}
                <label for="vo-config">"Agent settings (JSON object, pushed as they are)"</label>
                <textarea id="vo-config" rows="3" class="mono"
                    prop:value=move || form.with(|f| f.agent_config.clone()) on:input=set(|f, v| f.agent_config = v)></textarea>
                {field_msg("agent_config")}
                <label for="vo-days">"Keep recordings (days)"</label>
                <input id="vo-days" type="number" min="1" max="3650"
                    prop:value=move || form.with(|f| f.retention_days.to_string())
                    on:input=move |ev| form.update(|f| f.retention_days = event_target_value(&ev).parse().unwrap_or(0))/>
                {field_msg("retention_days")}
                <label class="check">
                    <input type="checkbox" prop:checked=move || form.with(|f| f.provider_summary)
                        on:change=move |ev| form.update(|f| f.provider_summary = event_target_checked(&ev))/>
                    " Use the voice agent's own call summary when it sends one (else the built-in summary)"
                </label>
                <label for="vo-base">"API base (leave empty for Retell's own)"</label>
                <input id="vo-base" type="url"
                    prop:value=move || form.with(|f| f.api_base.clone()) on:input=set(|f, v| f.api_base = v)/>
                {field_msg("api_base")}
                <div class="row">
                    <button class="btn btn-primary" type="submit" data-testid="voice-save">{if configured { "Save" } else { "Connect" }}</button>
                    {configured.then(|| view! {
                        <button class="btn btn-danger" type="button" on:click=move |_| { remove.dispatch(RemoveVoiceSettings {}); }>"Disconnect"</button>
                    })}
                </div>
            </form>
            <FormError error=err fields=&["api_key", "agent_id", "agent_config", "retention_days", "api_base"]/>
        </section>
    }
}
