//! `/app/ai`: the AI agent — metering (AI resolutions, handoffs, deflections per
//! day, handoff reasons, CSAT on AI-resolved conversations, article feedback,
//! content gaps) with ECharts charts, and the settings (channels, thresholds,
//! model provider and its key).

use crate::components::{action_error, ErrorBox, FormError, Loading};
use crate::pages::admin::use_session;
use crate::permissions::{can, Action, Role};
use crate::serverfns::ai::{ai_overview, ai_settings, SaveAiSettings};
use crate::types::{
    AiSettingsForm, AiSettingsView, PROVIDER_ANTHROPIC, PROVIDER_BUILTIN, PROVIDER_OPENAI,
};
use leptos::prelude::*;
use leptos_meta::{Script, Title};

/// The AI agent page.
#[component]
pub fn AiPage() -> impl IntoView {
    let role = use_session().map_or(Role::Collaborator, |s| s.role());
    let days = RwSignal::new(30_i64);
    let overview = Resource::new(move || days.get(), ai_overview);
    view! {
        <Title text="AI agent"/>
        <Script src="/vendor/echarts.min.js" defer="defer"/>
        <Script src="/charts.js" defer="defer"/>
        <header class="page-head row">
            <div>
                <h1>"AI agent"</h1>
                <p class="muted">"Answers customers from the knowledge base, hands off to people with a reason, and drafts replies for agents."</p>
            </div>
            <select aria-label="Period" data-testid="ai-period" on:change=move |ev| days.set(event_target_value(&ev).parse().unwrap_or(30))>
                <option value="7">"Last 7 days"</option>
                <option value="30" selected=true>"Last 30 days"</option>
                <option value="90">"Last 90 days"</option>
            </select>
        </header>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(o) => view! {
                        <section class="stats" data-testid="ai-stats">
                            <div class="stat"><span class="stat-value" data-testid="ai-resolutions">{o.total.resolutions}</span><span class="stat-label">"AI resolutions"</span></div>
                            <div class="stat"><span class="stat-value" data-testid="ai-handoffs">{o.total.handoffs}</span><span class="stat-label">"Handoffs"</span></div>
                            <div class="stat"><span class="stat-value">{format!("{:.0} %", o.resolution_rate * 100.0)}</span><span class="stat-label">"Resolution rate"</span></div>
                            <div class="stat"><span class="stat-value" data-testid="ai-deflections">{o.total.deflections}</span><span class="stat-label">{format!("Deflections ({:.0} % of suggestions)", o.deflection.rate * 100.0)}</span></div>
                            <div class="stat"><span class="stat-value">{o.ai_csat.map_or_else(|| "–".to_owned(), |c| format!("{c:.1}/5"))}</span><span class="stat-label">"CSAT on AI resolutions"</span></div>
                            <div class="stat"><span class="stat-value">{format!("${:.2}", o.total.cost_micros as f64 / 1e6)}</span><span class="stat-label">"Provider cost"</span></div>
                        </section>
                        <div class="grid-2">
                            <section class="card"><h2>"Per day"</h2>
                                <div class="chart" data-testid="ai-chart-daily" data-echarts=o.daily_chart.clone()></div></section>
                            <section class="card"><h2>"Handoff reasons"</h2>
                                <div class="chart" data-testid="ai-chart-reasons" data-echarts=o.reasons_chart.clone()></div></section>
                        </div>
                        <div class="grid-2">
                            <section class="card"><h2>"Article feedback"</h2>
                                {if o.feedback.is_empty() { view! { <p class="muted">"No votes yet."</p> }.into_any() } else { view! {
                                    <table class="table"><thead><tr><th>"Article"</th><th>"Helpful"</th><th>"Not helpful"</th><th>"Comments"</th></tr></thead>
                                    <tbody>{o.feedback.into_iter().map(|f| view! {
                                        <tr><td><a href=format!("/app/kb/articles/{}", f.article_id)>{f.title}</a></td><td>{f.helpful}</td><td>{f.not_helpful}</td>
                                        <td class="small">{f.comments.join(" · ")}</td></tr>
                                    }).collect_view()}</tbody></table>
                                }.into_any() }}
                            </section>
                            <section class="card"><h2>"Content gaps"</h2>
                                <p class="muted small">"Words from questions the knowledge base could not answer."</p>
                                {if o.gaps.is_empty() { view! { <p class="muted">"None in this period."</p> }.into_any() } else { view! {
                                    <ul class="tags">{o.gaps.into_iter().map(|(w, n)| view! { <li class="tag">{format!("{w} ({n})")}</li> }).collect_view()}</ul>
                                }.into_any() }}
                            </section>
                        </div>
                    }.into_any(),
                }
            })}
        </Transition>
        {can(role, Action::ManageAi).then(|| view! { <SettingsCard/> })}
    }
}

#[component]
fn SettingsCard() -> impl IntoView {
    let save = ServerAction::<SaveAiSettings>::new();
    let current = Resource::new(move || save.version().get(), |_| ai_settings());
    view! {
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match current.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(s) => view! { <SettingsForm s save/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn SettingsForm(s: AiSettingsView, save: ServerAction<SaveAiSettings>) -> impl IntoView {
    let err = action_error(save.value());
    let f = RwSignal::new(AiSettingsForm {
        enabled: s.enabled,
        channels: s.channels.clone(),
        auto_send_threshold: s.auto_send_threshold,
        provider: s.provider.clone(),
        base_url: s.base_url.clone(),
        chat_model: s.chat_model.clone(),
        embedding_model: s.embedding_model.clone(),
        api_key: String::new(),
        clear_key: false,
        timeout_secs: s.timeout_secs,
        price_input_micros: s.price_input_micros,
        price_output_micros: s.price_output_micros,
        tone: s.tone.clone(),
    });
    let external = move || f.with(|x| x.provider != PROVIDER_BUILTIN);
    let msg = move |name: &'static str| {
        move || {
            err.get()
                .filter(|e| e.field_name() == Some(name))
                .map(|e| view! { <p class="field-error" role="alert">{e.to_string()}</p> })
        }
    };
    let text = move |id: &'static str,
                     label: &'static str,
                     get: fn(&AiSettingsForm) -> String,
                     set: fn(&mut AiSettingsForm, String)| {
        view! {
            <div class="field"><label for=id>{label}</label>
                <input id=id prop:value=move || f.with(get) on:input=move |ev| { let v = event_target_value(&ev); f.update(|x| set(x, v)); }/>
                {msg(id)}</div>
        }
    };
    view! {
        <section class="card" data-testid="ai-settings">
            <h2>"Settings"</h2>
            <form class="form" on:submit=move |ev| { ev.prevent_default(); save.dispatch(SaveAiSettings { form: f.get_untracked() }); }>
                <label class="nowrap"><input type="checkbox" data-testid="ai-enabled" prop:checked=move || f.with(|x| x.enabled)
                    on:change=move |ev| { let v = event_target_checked(&ev); f.update(|x| x.enabled = v); }/>
                    " Answer inbound customer messages on these channels:"</label>
                <p class="row wrap">
                    {["chat", "email", "web_form", "api"].into_iter().map(|c| view! {
                        <label class="nowrap"><input type="checkbox" prop:checked=move || f.with(|x| x.channels.iter().any(|y| y == c))
                            on:change=move |ev| { let on = event_target_checked(&ev); f.update(|x| { x.channels.retain(|y| y != c); if on { x.channels.push(c.to_owned()); } }); }/>
                            " " {c}</label>
                    }).collect_view()}
                </p>
                <div class="field"><label for="ai-threshold">{move || format!("Send without an agent at confidence ≥ {} % (below: a draft for an agent)", f.with(|x| x.auto_send_threshold))}</label>
                    <input id="ai-threshold" type="range" min="0" max="100" step="5" prop:value=move || f.with(|x| x.auto_send_threshold.to_string())
                        on:input=move |ev| { let v = event_target_value(&ev).parse().unwrap_or(60); f.update(|x| x.auto_send_threshold = v); }/>
                    {msg("auto_send_threshold")}</div>
                <p class="muted small">{format!("The built-in engine answers only at confidence ≥ {:.2} (calibrated on the evaluation set; docs/ai.md).", s.answer_threshold)}</p>
                <div class="field"><label for="ai-tone">"Draft tone"</label>
                    <select id="ai-tone" on:change=move |ev| { let v = event_target_value(&ev); f.update(|x| x.tone = v); }>
                        {["friendly", "formal", "concise"].into_iter().map(|t| view! { <option value=t selected=move || f.with(|x| x.tone == t)>{t}</option> }).collect_view()}
                    </select></div>
                <div class="field"><label for="ai-provider">"Model"</label>
                    <select id="ai-provider" data-testid="ai-provider" on:change=move |ev| { let v = event_target_value(&ev); f.update(|x| x.provider = v); }>
                        <option value=PROVIDER_BUILTIN selected=move || f.with(|x| x.provider == PROVIDER_BUILTIN)>"Built-in (extractive, no API key; quotes the knowledge base)"</option>
                        <option value=PROVIDER_OPENAI selected=move || f.with(|x| x.provider == PROVIDER_OPENAI)>"OpenAI-compatible API (OpenAI, vLLM, llama.cpp, Ollama)"</option>
                        <option value=PROVIDER_ANTHROPIC selected=move || f.with(|x| x.provider == PROVIDER_ANTHROPIC)>"Anthropic"</option>
                    </select>{msg("provider")}</div>
                <Show when=external>
                    {text("base_url", "Base URL", |x| x.base_url.clone(), |x, v| x.base_url = v)}
                    {text("chat_model", "Chat model", |x| x.chat_model.clone(), |x, v| x.chat_model = v)}
                    {text("embedding_model", "Embedding model (optional, OpenAI-compatible)", |x| x.embedding_model.clone(), |x, v| x.embedding_model = v)}
                    <div class="field"><label for="api_key">{format!("API key{}", s.api_key_hint.clone().map(|h| format!(" (stored: {h}; leave empty to keep)")).unwrap_or_default())}</label>
                        <input id="api_key" type="password" autocomplete="off" prop:value=move || f.with(|x| x.api_key.clone())
                            on:input=move |ev| { let v = event_target_value(&ev); f.update(|x| x.api_key = v); }/>
                        {(!s.can_store_keys).then(|| view! { <p class="field-error">"The server has no secrets key, so keys cannot be stored (see docs/ai.md)."</p> })}
                        {msg("api_key")}</div>
                    <div class="row">
                        <div class="field"><label for="timeout_secs">"Timeout (s)"</label>
                            <input id="timeout_secs" type="number" min="1" max="120" prop:value=move || f.with(|x| x.timeout_secs.to_string())
                                on:input=move |ev| { let v = event_target_value(&ev).parse().unwrap_or(30); f.update(|x| x.timeout_secs = v); }/>{msg("timeout_secs")}</div>
                        <div class="field"><label for="price_in">"$ per 1M input tokens"</label>
                            <input id="price_in" type="number" min="0" step="0.01" prop:value=move || f.with(|x| format!("{:.2}", x.price_input_micros as f64 / 1e6))
                                on:input=move |ev| { let v = event_target_value(&ev).parse::<f64>().unwrap_or(0.0); f.update(|x| x.price_input_micros = (v * 1e6).round() as i64); }/></div>
                        <div class="field"><label for="price_out">"$ per 1M output tokens"</label>
                            <input id="price_out" type="number" min="0" step="0.01" prop:value=move || f.with(|x| format!("{:.2}", x.price_output_micros as f64 / 1e6))
                                on:input=move |ev| { let v = event_target_value(&ev).parse::<f64>().unwrap_or(0.0); f.update(|x| x.price_output_micros = (v * 1e6).round() as i64); }/></div>
                    </div>
                </Show>
                <div><button class="btn btn-primary" type="submit" data-testid="ai-save">"Save"</button>
                    {move || save.value().get().and_then(Result::ok).map(|_| view! { <span class="muted small">" Saved."</span> })}</div>
            </form>
            <FormError error=err fields=&["auto_send_threshold", "provider", "base_url", "chat_model", "api_key", "timeout_secs"]/>
        </section>
    }
}
