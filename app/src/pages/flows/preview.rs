//! The preview: a sandbox chat beside the canvas that runs the draft with the
//! engine's own interpreter (`types::flow_run`) in the browser. Nothing is sent
//! or stored; effects that would change a ticket are shown as notes. The step
//! the run stands at is highlighted on the canvas; the variables are listed.

use super::canvas::Editor;
use crate::types::{advance, begin, RunEffect, RunInput, RunState, RunStatus};
use leptos::prelude::*;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
enum Line {
    Bot(String, Vec<String>),
    Me(String),
    Note(String),
}

fn facts() -> BTreeMap<String, String> {
    [
        ("customer.name", "Alex Preview"),
        ("customer.first_name", "Alex"),
        ("customer.email", "alex@example.com"),
        ("customer.tickets", "1"),
        ("channel", "chat"),
        ("time.business_hours", "open"),
        ("time.weekday", "tue"),
        ("time.hour", "10"),
        ("ticket.status", "open"),
        ("ticket.priority", "normal"),
        ("ticket.channel", "chat"),
        ("ticket.tags", ""),
        ("ticket.assignee", ""),
        ("ticket.subject", "Where is my order?"),
        ("message.text", "Where is my order?"),
        ("campaign.opened", "yes"),
        ("campaign.clicked", "no"),
        ("campaign.ordered", "no"),
        ("campaign.visited", "/pricing"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// The sandbox chat.
#[component]
pub fn Preview(editor: Editor, current: RwSignal<Option<String>>) -> impl IntoView {
    let state = RwSignal::new(None::<RunState>);
    let log = RwSignal::new(Vec::<Line>::new());
    let draft = RwSignal::new(String::new());
    let feed = move |input: RunInput| {
        let g = editor.graph.get_untracked();
        let st = state.get_untracked().unwrap_or_else(|| begin(&g));
        if let RunInput::Answer(a) = &input {
            log.update(|l| l.push(Line::Me(a.clone())));
        }
        let turn = advance(&g, &st, &input, &facts());
        log.update(|l| {
            for e in turn.effects {
                l.push(match e {
                    RunEffect::Say { text } => Line::Bot(text, Vec::new()),
                    RunEffect::Ask {
                        prompt, choices, ..
                    } => Line::Bot(prompt, choices),
                    RunEffect::Tag { tag } => Line::Note(format!("Tags the conversation “{tag}”")),
                    RunEffect::SetField { key, value } => {
                        Line::Note(format!("Sets {key} = {value}"))
                    }
                    RunEffect::SetPriority { priority } => {
                        Line::Note(format!("Sets the priority to {priority}"))
                    }
                    RunEffect::Webhook { endpoint_id } => {
                        Line::Note(format!("Calls webhook endpoint {endpoint_id}"))
                    }
                    RunEffect::CreateTicket { subject, reply, .. } => Line::Note(format!(
                        "Opens a ticket “{subject}”, then says: {}",
                        reply.replace(crate::types::NEW_TICKET, "#1234")
                    )),
                    RunEffect::AiAnswer => Line::Note("The AI agent answers here".into()),
                    RunEffect::SuggestArticles { query } => {
                        Line::Note(format!("Suggests articles for “{query}”"))
                    }
                    RunEffect::Handoff { team_id, note } => Line::Note(format!(
                        "Hands over to {}{}",
                        team_id.map_or_else(
                            || "the team (routing)".to_owned(),
                            |t| format!("team {t}")
                        ),
                        if note.is_empty() {
                            String::new()
                        } else {
                            format!(": {note}")
                        }
                    )),
                    RunEffect::Wait { minutes } => Line::Note(format!("Waits {minutes} min")),
                    RunEffect::TicketAction { action } => Line::Note(format!(
                        "Ticket action: {}",
                        crate::types::RuleAction::kind_label(action.kind())
                    )),
                    RunEffect::SendEmail { subject, .. } => {
                        Line::Note(format!("Emails the customer “{subject}”"))
                    }
                    RunEffect::SendInApp { message_id, .. } => Line::Note(format!(
                        "Shows in-app message #{message_id} on the customer's next visit"
                    )),
                    RunEffect::WaitFor {
                        event,
                        timeout_mins,
                    } => Line::Note(match timeout_mins {
                        Some(m) => format!("Waits until {} (at most {m} min)", event.label()),
                        None => format!("Waits until {}", event.label()),
                    }),
                });
            }
        });
        current.set(Some(turn.state.node.clone()).filter(|_| !turn.state.status.is_over()));
        state.set(Some(turn.state));
    };
    let restart = move || {
        state.set(None);
        log.set(Vec::new());
        feed(RunInput::Begin);
    };
    let send = move || {
        let t = draft.get_untracked().trim().to_owned();
        if !t.is_empty() {
            draft.set(String::new());
            feed(RunInput::Answer(t));
        }
    };
    on_cleanup(move || current.set(None));
    let status = move || state.with(|s| s.as_ref().map(|s| s.status.clone()));
    view! {
        <div class="fb-preview" data-testid="flow-preview">
            <div class="row gap wrap">
                <button class="btn btn-small btn-primary" data-testid="preview-start" on:click=move |_| restart()>
                    {move || if state.with(Option::is_some) { "Restart" } else { "Start the preview" }}
                </button>
                {move || match status() {
                    Some(RunStatus::WaitingAi) => view! {
                        <button class="btn btn-small" on:click=move |_| feed(RunInput::AiOutcome(true))>"AI answered"</button>
                        <button class="btn btn-small" on:click=move |_| feed(RunInput::AiOutcome(false))>"AI hands off"</button>
                    }.into_any(),
                    Some(RunStatus::WaitingTimer) => view! {
                        <button class="btn btn-small" on:click=move |_| feed(RunInput::TimerDone)>"Skip the wait"</button>
                    }.into_any(),
                    Some(RunStatus::WaitingEvent) => {
                        let event = editor.graph.with_untracked(|g| {
                            state.with_untracked(|s| s.as_ref().and_then(|s| g.node(&s.node)).and_then(|n| match &n.kind {
                                crate::types::NodeKind::WaitFor { event, .. } => Some(*event),
                                _ => None,
                            }))
                        });
                        view! {
                            {event.map(|e| view! {
                                <button class="btn btn-small" data-testid="preview-event" on:click=move |_| feed(RunInput::Event(e))>{format!("Now {}", e.label())}</button>
                            })}
                            <button class="btn btn-small" on:click=move |_| feed(RunInput::Timeout)>"Let it time out"</button>
                        }.into_any()
                    }
                    Some(RunStatus::WaitingInput) => view! {
                        <button class="btn btn-small" on:click=move |_| feed(RunInput::Timeout)>"Let it time out"</button>
                    }.into_any(),
                    _ => ().into_any(),
                }}
            </div>
            <ol class="fb-chat" data-testid="preview-log">
                {move || log.get().into_iter().enumerate().map(|(i, l)| match l {
                    Line::Bot(t, choices) => {
                        let last = log.with(|x| x.len() == i + 1);
                        view! {
                            <li class="bot" data-testid="preview-bot">
                                <p>{t}</p>
                                {(last && !choices.is_empty()).then(|| view! {
                                    <div class="fb-choices">{choices.into_iter().map(|c| {
                                        let pick = c.clone();
                                        view! { <button class="btn btn-small" data-testid="preview-choice" on:click=move |_| feed(RunInput::Answer(pick.clone()))>{c}</button> }
                                    }).collect_view()}</div>
                                })}
                            </li>
                        }.into_any()
                    }
                    Line::Me(t) => view! { <li class="me">{t}</li> }.into_any(),
                    Line::Note(t) => view! { <li class="note" data-testid="preview-note">{t}</li> }.into_any(),
                }).collect_view()}
                {move || status().filter(RunStatus::is_over).map(|s| view! {
                    <li class="note" data-testid="preview-over">{if s == RunStatus::HandedOff { "Handed over: the flow is over." } else { "The flow ended." }}</li>
                })}
            </ol>
            <form class="row gap" on:submit=move |ev| { ev.prevent_default(); send(); }>
                <input data-testid="preview-input" placeholder="Answer as the customer…" prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))/>
                <button class="btn btn-small" disabled=move || status() != Some(RunStatus::WaitingInput)>"Send"</button>
            </form>
            <h4>"Variables"</h4>
            <dl class="fb-vars" data-testid="preview-vars">
                {move || state.get().map(|s| s.vars.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view())}
            </dl>
        </div>
    }
}
