//! `/app/settings/transcription`: speech to text through an
//! AssemblyAI-compatible service — the account, what gets transcribed
//! (customers' audio and video, call recordings without a transcript), the
//! language, 30-day usage and "send test".

use crate::components::{action_error, ErrorBox, FormError, Loading};
use crate::serverfns::channels::{
    get_transcription_settings, RemoveTranscriptionSettings, SaveTranscriptionSettings,
    SendTranscriptionTest,
};
use crate::types::{TranscriptionSettingsForm, TranscriptionSettingsView};
use leptos::prelude::*;
use leptos_meta::Title;

/// The transcription settings page.
#[component]
pub fn TranscriptionSettingsPage() -> impl IntoView {
    let save = ServerAction::<SaveTranscriptionSettings>::new();
    let remove = ServerAction::<RemoveTranscriptionSettings>::new();
    let page = Resource::new(
        move || (save.version().get(), remove.version().get()),
        |_| get_transcription_settings(),
    );
    view! {
        <Title text="Transcription"/>
        <header class="page-head">
            <h1>"Transcription"</h1>
            <p class="muted">"Voice notes, recorded messages and call recordings turned into text: under the file in the inbox, and as a note in the call's conversation (where the call summary uses it)."</p>
        </header>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(v) => view! { <TranscriptionCard v save remove/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn TranscriptionCard(
    v: TranscriptionSettingsView,
    save: ServerAction<SaveTranscriptionSettings>,
    remove: ServerAction<RemoveTranscriptionSettings>,
) -> impl IntoView {
    let test = ServerAction::<SendTranscriptionTest>::new();
    let form = RwSignal::new(TranscriptionSettingsForm {
        api_key: String::new(),
        api_base: v.api_base.clone(),
        language_code: v.language_code.clone(),
        attachments: v.attachments,
        calls: v.calls,
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
    let set = move |f: fn(&mut TranscriptionSettingsForm, String)| {
        move |ev| form.update(|x| f(x, event_target_value(&ev)))
    };
    let configured = v.configured;
    let usage = format!(
        "Last 30 days: {} transcribed ({} min of audio), {} failed; {} in progress now.",
        v.completed_30d, v.minutes_30d, v.failed_30d, v.pending
    );
    view! {
        <section class="card" data-testid="transcription-card" data-configured=configured.to_string()>
            <h2>"Speech-to-text account"</h2>
            {if configured {
                view! {
                    <p class="alert alert-success" data-testid="transcription-status">
                        "Connected (API key " {v.key_hint.clone().unwrap_or_default()} "). " {usage}
                    </p>
                    <p class="small">"Finished transcripts are reported to this address, with a secret header only the service is given:"</p>
                    <p><code data-testid="transcription-webhook-url">{v.webhook_url.clone()}</code></p>
                    <div class="row">
                        <button class="btn btn-small" type="button" data-testid="transcription-test"
                            disabled=move || test.pending().get()
                            on:click=move |_| { test.dispatch(SendTranscriptionTest {}); }>"Send test"</button>
                        {move || test.value().get().and_then(Result::ok).map(|m| view! {
                            <span class="small" data-testid="transcription-test-result">{m}</span>
                        })}
                    </div>
                    <FormError error=test_err/>
                }.into_any()
            } else {
                view! {
                    <p class="alert alert-info" data-testid="transcription-status">"Not configured: nothing is transcribed. Connect an AssemblyAI-compatible service to turn it on."</p>
                }.into_any()
            }}
            {(!v.can_store_keys).then(|| view! {
                <p class="field-error">"This server has no secrets key (secrets_key), so it cannot store a transcription API key."</p>
            })}
            <form class="form" data-testid="transcription-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                save.dispatch(SaveTranscriptionSettings { form: form.get_untracked() });
            }>
                <label for="tr-key">{if configured { "API key (leave empty to keep the stored one)" } else { "API key" }}</label>
                <input id="tr-key" type="password" autocomplete="off"
                    prop:value=move || form.with(|f| f.api_key.clone()) on:input=set(|f, v| f.api_key = v)/>
                {field_msg("api_key")}
                <label class="check">
                    <input type="checkbox" data-testid="tr-attachments" prop:checked=move || form.with(|f| f.attachments)
                        on:change=move |ev| form.update(|f| f.attachments = event_target_checked(&ev))/>
                    " Transcribe customers' audio and video attachments (voice notes, recordings)"
                </label>
                <label class="check">
                    <input type="checkbox" prop:checked=move || form.with(|f| f.calls)
                        on:change=move |ev| form.update(|f| f.calls = event_target_checked(&ev))/>
                    " Transcribe call recordings that come without a transcript"
                </label>
                <label for="tr-lang">"Spoken language (a code such as en or de; empty: detected)"</label>
                <input id="tr-lang" autocomplete="off"
                    prop:value=move || form.with(|f| f.language_code.clone()) on:input=set(|f, v| f.language_code = v)/>
                {field_msg("language_code")}
                <label for="tr-base">"API base (leave empty for AssemblyAI's own)"</label>
                <input id="tr-base" type="url"
                    prop:value=move || form.with(|f| f.api_base.clone()) on:input=set(|f, v| f.api_base = v)/>
                {field_msg("api_base")}
                <div class="row">
                    <button class="btn btn-primary" type="submit" data-testid="transcription-save">{if configured { "Save" } else { "Connect" }}</button>
                    {configured.then(|| view! {
                        <button class="btn btn-danger" type="button" on:click=move |_| { remove.dispatch(RemoveTranscriptionSettings {}); }>"Disconnect"</button>
                    })}
                </div>
            </form>
            <FormError error=err fields=&["api_key", "language_code", "api_base"]/>
        </section>
    }
}
