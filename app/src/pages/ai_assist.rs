//! The AI in the conversation pane: what the AI agent did (every run and step,
//! why it answered or escalated, a draft to use) and agent assist in the composer
//! (Draft reply with a tone, Summarize).

use crate::error::AppError;
use crate::serverfns::ai::{assist_draft, assist_summary, conversation_ai};
use crate::types::{AiRunView, AssistSummaryView};
use leptos::prelude::*;

/// "Draft reply" (tone) and "Summarize" for the composer.
#[component]
pub fn AssistBar(
    conversation_id: i32,
    body: RwSignal<String>,
    note: RwSignal<bool>,
) -> impl IntoView {
    let tone = RwSignal::new("friendly".to_owned());
    let busy = RwSignal::new(false);
    let hint = RwSignal::new(None::<String>);
    let err = RwSignal::new(None::<AppError>);
    let summary = RwSignal::new(None::<AssistSummaryView>);
    let suggestions = RwSignal::new(None::<Vec<crate::types::CannedSuggestionView>>);
    let language = RwSignal::new("en".to_owned());
    let suggest = move |_| {
        busy.set(true);
        err.set(None);
        leptos::task::spawn_local(async move {
            match crate::serverfns::ai::assist_canned(conversation_id).await {
                Ok(s) => suggestions.set(Some(s)),
                Err(e) => err.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let translate = move |_| {
        busy.set(true);
        err.set(None);
        let text = body.get_untracked();
        let lang = language.get_untracked();
        leptos::task::spawn_local(async move {
            match crate::serverfns::ai::assist_translate(text, lang).await {
                Ok(t) => {
                    body.set(t.text);
                    hint.set(Some(format!(
                        "Translated into {} by {}.",
                        t.language, t.engine
                    )));
                }
                Err(e) => err.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let draft = move |_| {
        busy.set(true);
        err.set(None);
        let t = tone.get_untracked();
        leptos::task::spawn_local(async move {
            match assist_draft(conversation_id, t).await {
                Ok(d) => {
                    note.set(false);
                    body.set(d.text);
                    hint.set(Some(d.note));
                }
                Err(e) => err.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let summarize = move |_| {
        busy.set(true);
        err.set(None);
        leptos::task::spawn_local(async move {
            match assist_summary(conversation_id).await {
                Ok(s) => summary.set(Some(s)),
                Err(e) => err.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let list = |title: &'static str, items: Vec<String>, testid: &'static str| {
        view! {
            <div class="assist-list" data-testid=testid>
                <h4>{title}</h4>
                {if items.is_empty() {
                    view! { <p class="muted small">"None"</p> }.into_any()
                } else {
                    view! { <ul>{items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}</ul> }.into_any()
                }}
            </div>
        }
    };
    view! {
        <div class="assist-bar" data-testid="assist-bar">
            <label class="sr-only" for=format!("tone-{conversation_id}")>"Tone"</label>
            <select id=format!("tone-{conversation_id}") class="input-small" data-testid="assist-tone"
                on:change=move |ev| tone.set(event_target_value(&ev))>
                <option value="friendly" selected=true>"Friendly"</option>
                <option value="formal">"Formal"</option>
                <option value="concise">"Concise"</option>
            </select>
            <button class="btn btn-ghost btn-small" type="button" data-testid="assist-draft"
                disabled=move || busy.get() on:click=draft>"Draft reply"</button>
            <button class="btn btn-ghost btn-small" type="button" data-testid="assist-summarize"
                disabled=move || busy.get() on:click=summarize>"Summarize"</button>
            <button class="btn btn-ghost btn-small" type="button" data-testid="assist-suggest"
                disabled=move || busy.get() on:click=suggest>"Suggest a response"</button>
            <label class="sr-only" for=format!("lang-{conversation_id}")>"Translate into"</label>
            <select id=format!("lang-{conversation_id}") class="input-small" data-testid="assist-language"
                on:change=move |ev| language.set(event_target_value(&ev))>
                {crate::types::TRANSLATE_LANGUAGES.iter().map(|(c, n)| view! { <option value=*c selected=*c == "en">{*n}</option> }).collect_view()}
            </select>
            <button class="btn btn-ghost btn-small" type="button" data-testid="assist-translate"
                disabled=move || busy.get() on:click=translate>"Translate the draft"</button>
            {move || hint.get().map(|h| view! { <span class="muted small" data-testid="assist-note">{h}</span> })}
            {move || err.get().map(|e| view! { <span class="field-error" role="alert">{e.to_string()}</span> })}
        </div>
        {move || suggestions.get().map(|list| view! {
            <section class="assist-summary card" data-testid="assist-suggestions">
                <header class="row">
                    <strong>"Suggested responses"</strong>
                    <button class="btn btn-ghost btn-small" type="button" on:click=move |_| suggestions.set(None)>"Close"</button>
                </header>
                {if list.is_empty() {
                    view! { <p class="muted small">"No canned response fits the customer's last message."</p> }.into_any()
                } else {
                    list.into_iter().map(|c| {
                        let text = c.text.clone();
                        view! {
                            <div class="assist-suggestion" data-testid="assist-suggestion">
                                <strong>{c.title.clone()}</strong>
                                <span class="muted small">" — matched: " {c.matched.join(", ")}</span>
                                <p class="small">{c.text.clone()}</p>
                                <button class="btn btn-small" type="button" on:click=move |_| { note.set(false); body.set(text.clone()); suggestions.set(None); }>"Use"</button>
                            </div>
                        }
                    }).collect_view().into_any()
                }}
            </section>
        })}
        {move || summary.get().map(|s| view! {
            <section class="assist-summary card" data-testid="assist-summary">
                <header class="row">
                    <strong>"Summary"</strong>
                    <span class="muted small">{s.note.clone()}</span>
                    <button class="btn btn-ghost btn-small" type="button" on:click=move |_| summary.set(None)>"Close"</button>
                </header>
                {list("Key points", s.key_points.clone(), "summary-key-points")}
                {list("Open questions", s.open_questions.clone(), "summary-open-questions")}
                {list("Action items", s.action_items.clone(), "summary-action-items")}
            </section>
        })}
    }
}

fn decision_label(r: &AiRunView) -> String {
    match (r.decision.as_str(), r.sent) {
        ("answer", true) => "Answered".into(),
        ("answer", false) => "Draft left for an agent".into(),
        ("clarify", _) => "Asked a clarifying question".into(),
        ("escalate", _) => format!("Escalated: {}", r.reason_label.clone().unwrap_or_default()),
        ("resolved", _) => "Customer confirmed the answer".into(),
        ("act", _) => "Proposed actions for the customer's request".into(),
        ("draft", _) => format!("Agent assist ({})", r.purpose),
        (other, _) => other.to_owned(),
    }
}

/// What the AI agent did on this conversation.
#[component]
pub fn AiPanel(
    conversation_id: i32,
    refresh: RwSignal<u64>,
    body: RwSignal<String>,
) -> impl IntoView {
    let data = Resource::new(
        move || refresh.get(),
        move |_| conversation_ai(conversation_id),
    );
    view! {
        <Suspense fallback=|| ()>
            {move || data.get().and_then(Result::ok).filter(|v| !v.runs.iter().all(|r| r.purpose != "inbound")).map(|v| {
                let state = v.state.clone().unwrap_or_default();
                view! {
                    <section class="ai-panel card" data-testid="ai-panel">
                        <header class="row">
                            <strong>"AI agent"</strong>
                            {(!state.is_empty()).then(|| view! {
                                <span class=format!("badge ai-{state}") data-testid="ai-state">{state.clone()}</span>
                            })}
                            {v.reason.clone().map(|r| view! {
                                <span class="badge badge-warning" data-testid="ai-reason" data-reason=r.clone()>
                                    {v.reason_label.clone().unwrap_or_default()} " (" <code>{r.clone()}</code> ")"
                                </span>
                            })}
                        </header>
                        <ol class="ai-runs">
                            {v.runs.into_iter().filter(|r| r.purpose == "inbound").map(|r| {
                                let draft = (!r.sent && r.decision == "answer").then(|| r.reply.clone()).flatten();
                                view! {
                                    <li class="ai-run" data-testid="ai-run" data-decision=r.decision.clone()>
                                        <details>
                                            <summary>
                                                <strong>{decision_label(&r)}</strong>
                                                <span class="muted small">{format!(" · confidence {:.0} % · sentiment {:.2} · {} · {:.1} ms", r.confidence * 100.0, r.sentiment, r.engine, r.duration_us as f64 / 1000.0)}</span>
                                            </summary>
                                            <ol class="ai-steps" data-testid="ai-steps">
                                                {r.steps.iter().map(|s| view! {
                                                    <li data-tool=s.tool.clone()>
                                                        <code>{s.tool.clone()}</code> " " {s.summary.clone()}
                                                        {(!s.details.is_empty()).then(|| view! {
                                                            <ul class="muted small">{s.details.iter().map(|d| view! { <li>{d.clone()}</li> }).collect_view()}</ul>
                                                        })}
                                                    </li>
                                                }).collect_view()}
                                            </ol>
                                        </details>
                                        {draft.map(|text| {
                                            let t = text.clone();
                                            view! {
                                                <div class="ai-draft">
                                                    <p class="small">{text}</p>
                                                    <button class="btn btn-small" type="button" data-testid="ai-use-draft"
                                                        on:click=move |_| body.set(t.clone())>"Use this draft"</button>
                                                </div>
                                            }
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                    </section>
                }
            })}
        </Suspense>
    }
}
