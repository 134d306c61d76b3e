//! The selected step's settings: one small form per step type. Each change is
//! one undoable edit of the graph.

use super::canvas::Editor;
use crate::types::{
    AskInput, CampaignEntry, FlowAction, FlowBranch, FlowEditorOptions, FlowOp, NodeKind,
    NotifyTarget, Priority, RuleAction, RuleEvent, Status, WaitEvent, WorkflowTrigger,
    CONVERSION_DAYS, IN_APP_DAYS,
};
use leptos::prelude::*;
use leptos_router::components::A;

const OPS: &[(&str, &str)] = &[
    ("is", "is"),
    ("is_not", "is not"),
    ("contains", "contains"),
    ("is_set", "is set"),
    ("is_empty", "is empty"),
    ("above", "above"),
    ("below", "below"),
    ("one_of", "is one of (a, b, c)"),
];

fn op_name(op: FlowOp) -> &'static str {
    match op {
        FlowOp::Is => "is",
        FlowOp::IsNot => "is_not",
        FlowOp::Contains => "contains",
        FlowOp::IsSet => "is_set",
        FlowOp::IsEmpty => "is_empty",
        FlowOp::Above => "above",
        FlowOp::Below => "below",
        FlowOp::OneOf => "one_of",
    }
}

fn parse_op(s: &str) -> FlowOp {
    match s {
        "is_not" => FlowOp::IsNot,
        "contains" => FlowOp::Contains,
        "is_set" => FlowOp::IsSet,
        "is_empty" => FlowOp::IsEmpty,
        "above" => FlowOp::Above,
        "below" => FlowOp::Below,
        "one_of" => FlowOp::OneOf,
        _ => FlowOp::Is,
    }
}

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A text field that commits on change.
fn text_field(
    label: &'static str,
    testid: &'static str,
    value: String,
    multiline: bool,
    commit: impl Fn(String) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let c2 = commit.clone();
    view! {
        <label class="field">
            <span>{label}</span>
            {if multiline {
                view! { <textarea data-testid=testid rows="3" prop:value=value
                    on:change=move |ev| c2(event_target_value(&ev))></textarea> }.into_any()
            } else {
                view! { <input data-testid=testid prop:value=value
                    on:change=move |ev| commit(event_target_value(&ev))/> }.into_any()
            }}
        </label>
    }
}

/// The settings of the one selected step.
#[component]
pub fn StepSettings(editor: Editor, options: FlowEditorOptions) -> impl IntoView {
    let options = StoredValue::new(options);
    let selected = Memo::new(move |_| {
        let sel = editor.selected.get();
        if sel.len() != 1 {
            return None;
        }
        let id = sel.into_iter().next()?;
        editor.graph.with(|g| {
            g.node(&id)
                .cloned()
                .map(|n| (n, g.trigger.clone(), g.entry.clone()))
        })
    });
    move || {
        let Some((n, trigger, entry)) = selected.get() else {
            return view! {
                <p class="muted" data-testid="flow-step-none">"Select a step to change it. Shift-click selects several; drag from an exit (the dot on the right) to a step to connect them. Keys: Delete, arrows, Ctrl+Z / Ctrl+Y, Ctrl+C / Ctrl+V, Ctrl+A."</p>
            }
            .into_any();
        };
        let id = n.id.clone();
        let set = move |k: NodeKind| editor.set_kind(&id, k);
        let kind = n.kind.clone();
        let body = match kind.clone() {
            NodeKind::Start => match (trigger, entry) {
                (Some(t), _) => trigger_form(t, options, move |t| editor.set_trigger(t)).into_any(),
                (None, Some(e)) => entry_form(e, options, move |e| editor.set_entry(e)).into_any(),
                (None, None) => view! { <p class="muted">"Runs when a customer's first message opens a conversation on one of the flow's channels."</p> }.into_any(),
            },
            NodeKind::TicketAction { action } => ticket_action_form(action, options, move |a| set(NodeKind::TicketAction { action: a })).into_any(),
            NodeKind::WaitFor { event, timeout_mins } => {
                let s2 = set.clone();
                view! {
                    <label class="field"><span>"Wait until"</span>
                        <select data-testid="step-wait-event" on:change=move |ev| {
                            let e = WaitEvent::parse(&event_target_value(&ev)).unwrap_or(event);
                            set(NodeKind::WaitFor { event: e, timeout_mins });
                        }>
                            {WaitEvent::ALL.iter().map(|e| view! { <option value=e.as_str() selected=*e == event>{e.label()}</option> }).collect_view()}
                        </select>
                    </label>
                    {text_field("Give up after minutes (the “timeout” exit; empty: wait as long as it takes)", "step-timeout",
                        timeout_mins.map(|m| m.to_string()).unwrap_or_default(), false,
                        move |t| s2(NodeKind::WaitFor { event, timeout_mins: t.trim().parse().ok() }))}
                }.into_any()
            }
            NodeKind::End => view! { <p class="muted">"The flow stops; the conversation stays open for the team."</p> }.into_any(),
            NodeKind::AiAnswer => view! { <p class="muted">"The AI agent answers from the knowledge base. Exits: answered, or handed off when it cannot."</p> }.into_any(),
            NodeKind::SendEmail { subject, body } => {
                let (b1, s1) = (body.clone(), subject.clone());
                let s2 = set.clone();
                view! {
                    {text_field("Subject", "step-subject", subject, false, move |x| set(NodeKind::SendEmail { subject: x, body: b1.clone() }))}
                    {text_field("Text (blank lines make paragraphs; links are tracked)", "step-body", body, true, move |x| s2(NodeKind::SendEmail { subject: s1.clone(), body: x }))}
                    <p class="muted small">"Quote the customer with {{ customer.first_name }}, {{ customer.name }}, {{ customer.company }}. Every email carries an unsubscribe link; suppressed addresses, the frequency cap and quiet hours (Campaign sending) apply. A step emails a customer once."</p>
                }.into_any()
            }
            NodeKind::SendMessage { text } => {
                text_field("Message", "step-text", text, true, move |t| set(NodeKind::SendMessage { text: t })).into_any()
            }
            NodeKind::SendInApp { message_id } => in_app_form(message_id, options, set).into_any(),
            NodeKind::SuggestArticle { query } => {
                text_field("Search the help center for", "step-query", query, false, move |q| set(NodeKind::SuggestArticle { query: q })).into_any()
            }
            NodeKind::Wait { minutes } => {
                text_field("Minutes to wait", "step-minutes", minutes.to_string(), false, move |m| {
                    set(NodeKind::Wait { minutes: m.trim().parse().unwrap_or(minutes) });
                }).into_any()
            }
            NodeKind::SetVariable { variable, value } => {
                let (v1, v2) = (value.clone(), variable.clone());
                let s2 = set.clone();
                view! {
                    {text_field("Variable", "step-variable", variable, false, move |x| set(NodeKind::SetVariable { variable: x, value: v1.clone() }))}
                    {text_field("Value", "step-value", value, false, move |x| s2(NodeKind::SetVariable { variable: v2.clone(), value: x }))}
                }.into_any()
            }
            NodeKind::Handoff { team_id, note } => {
                let teams = options.with_value(|o| o.teams.clone());
                let n1 = note.clone();
                let s2 = set.clone();
                view! {
                    <label class="field"><span>"Team"</span>
                        <select data-testid="step-team" prop:value=team_id.map(|t| t.to_string()).unwrap_or_default()
                            on:change=move |ev| set(NodeKind::Handoff { team_id: event_target_value(&ev).parse().ok(), note: n1.clone() })>
                            <option value="">"Anyone (usual routing)"</option>
                            {teams.into_iter().map(|(i, name)| view! { <option value=i.to_string()>{name}</option> }).collect_view()}
                        </select>
                    </label>
                    {text_field("Note for the agent", "step-note", note, true, move |x| s2(NodeKind::Handoff { team_id, note: x }))}
                }.into_any()
            }
            NodeKind::Action { action } => action_form(action, options, move |a| set(NodeKind::Action { action: a })).into_any(),
            NodeKind::Condition { branches } => {
                let text = branches.iter().map(|b| format!("{} | {} | {}", b.subject, op_name(b.op), b.value)).collect::<Vec<_>>().join("\n");
                view! {
                    {text_field("Branches, first match wins: subject | op | value per line", "step-branches", text, true, move |t| {
                        let branches = lines(&t).into_iter().map(|l| {
                            let mut parts = l.splitn(3, '|').map(|p| p.trim().to_owned());
                            FlowBranch {
                                subject: parts.next().unwrap_or_default(),
                                op: parse_op(&parts.next().unwrap_or_default()),
                                value: parts.next().unwrap_or_default(),
                            }
                        }).collect();
                        set(NodeKind::Condition { branches });
                    })}
                    <p class="muted small">{subjects_help()}</p>
                    {segments_help(options)}
                }.into_any()
            }
            NodeKind::Ask { prompt, input, variable, timeout_mins, typed } => {
                ask_form(prompt, input, variable, timeout_mins, typed, set).into_any()
            }
        };
        view! {
            <div class="fb-step" data-testid="flow-step" data-node=n.id.clone()>
                <h3>{kind.label()}" "<small class="muted">{n.id.clone()}</small></h3>
                {body}
            </div>
        }
        .into_any()
    }
}

fn ask_form(
    prompt: String,
    input: AskInput,
    variable: String,
    timeout_mins: Option<u32>,
    typed: bool,
    set: impl Fn(NodeKind) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let cur = StoredValue::new(NodeKind::Ask {
        prompt: prompt.clone(),
        input: input.clone(),
        variable: variable.clone(),
        timeout_mins,
        typed,
    });
    let set = StoredValue::new(set);
    let change = move |f: &dyn Fn(&mut NodeKind)| {
        cur.update_value(|k| f(k));
        set.with_value(|s| s(cur.get_value()));
    };
    let kind_name = match &input {
        AskInput::Text => "text",
        AskInput::Buttons { .. } => "buttons",
        AskInput::Dropdown { .. } => "dropdown",
        AskInput::Email => "email",
        AskInput::Phone => "phone",
    };
    let choices = match &input {
        AskInput::Buttons { choices } | AskInput::Dropdown { choices } => choices.join("\n"),
        _ => String::new(),
    };
    let has_choices = input.has_choices();
    let set_input = move |k: &str, list: Vec<String>| match k {
        "buttons" => AskInput::Buttons { choices: list },
        "dropdown" => AskInput::Dropdown { choices: list },
        "email" => AskInput::Email,
        "phone" => AskInput::Phone,
        _ => AskInput::Text,
    };
    let c1 = change;
    let c2 = change;
    let c3 = change;
    let c4 = change;
    let c5 = change;
    let c6 = change;
    view! {
        {text_field("Question", "step-prompt", prompt, true, move |t| c1(&|k| if let NodeKind::Ask { prompt, .. } = k { prompt.clone_from(&t) }))}
        <label class="field"><span>"Answer"</span>
            <select data-testid="step-input" prop:value=kind_name on:change=move |ev| {
                let v = event_target_value(&ev);
                c2(&|k| if let NodeKind::Ask { input, .. } = k {
                    let list = match input { AskInput::Buttons { choices } | AskInput::Dropdown { choices } => choices.clone(), _ => vec!["Yes".into(), "No".into()] };
                    *input = set_input(&v, list);
                });
            }>
                <option value="text">"Free text"</option>
                <option value="buttons">"Buttons"</option>
                <option value="dropdown">"Dropdown list"</option>
                <option value="email">"Email address (checked)"</option>
                <option value="phone">"Phone number (checked)"</option>
            </select>
        </label>
        {has_choices.then(|| view! {
            {text_field("Choices, one per line", "step-choices", choices, true, move |t| c3(&|k| if let NodeKind::Ask { input: AskInput::Buttons { choices } | AskInput::Dropdown { choices }, .. } = k { *choices = lines(&t) }))}
            <label class="check"><input type="checkbox" data-testid="step-typed" prop:checked=typed
                on:change=move |ev| { let on = event_target_checked(&ev); c4(&|k| if let NodeKind::Ask { typed, .. } = k { *typed = on }) }/>
                " Also take a typed answer (the “typed answer” exit)"</label>
        })}
        {text_field("Save the answer as", "step-variable", variable, false, move |t| c5(&|k| if let NodeKind::Ask { variable, .. } = k { variable.clone_from(&t) }))}
        {text_field("Give up after minutes (empty: wait as long as it takes)", "step-timeout", timeout_mins.map(|m| m.to_string()).unwrap_or_default(), false,
            move |t| c6(&|k| if let NodeKind::Ask { timeout_mins, .. } = k { *timeout_mins = t.trim().parse().ok() }))}
    }
}

/// A Create ticket step's fields, edited one at a time.
#[derive(Clone)]
struct TicketStep {
    subject: String,
    body: String,
    team_id: Option<i32>,
    priority: String,
    reply: String,
}

fn action_form(
    action: FlowAction,
    options: StoredValue<FlowEditorOptions>,
    set: impl Fn(FlowAction) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let kind = match &action {
        FlowAction::Tag { .. } => "tag",
        FlowAction::SetField { .. } => "set_field",
        FlowAction::SetPriority { .. } => "set_priority",
        FlowAction::Webhook { .. } => "webhook",
        FlowAction::CreateTicket { .. } => "create_ticket",
    };
    let s1 = set.clone();
    let picker = view! {
        <label class="field"><span>"Action"</span>
            <select data-testid="step-action" prop:value=kind on:change=move |ev| s1(match event_target_value(&ev).as_str() {
                "set_field" => FlowAction::SetField { key: String::new(), value: String::new() },
                "set_priority" => FlowAction::SetPriority { priority: "high".into() },
                "webhook" => FlowAction::Webhook { endpoint_id: 0 },
                "create_ticket" => FlowAction::CreateTicket {
                    subject: "From the chat: {{ first_message }}".into(),
                    body: String::new(),
                    team_id: None,
                    priority: "normal".into(),
                    reply: "Thanks! We opened ticket {{ new_ticket }} and will answer you by email.".into(),
                },
                _ => FlowAction::Tag { tag: String::new() },
            })>
                <option value="tag">"Tag the conversation"</option>
                <option value="set_field">"Set a field"</option>
                <option value="set_priority">"Set the priority"</option>
                <option value="webhook">"Call a webhook"</option>
                <option value="create_ticket">"Create a ticket"</option>
            </select>
        </label>
    };
    let rest = match action {
        FlowAction::Tag { tag } => text_field("Tag", "step-tag", tag, false, move |t| set(FlowAction::Tag { tag: t })).into_any(),
        FlowAction::SetField { key, value } => {
            let (k1, v1) = (key.clone(), value.clone());
            let s2 = set.clone();
            view! {
                {text_field("Field key", "step-field-key", key, false, move |k| set(FlowAction::SetField { key: k, value: v1.clone() }))}
                {text_field("Value", "step-field-value", value, false, move |v| s2(FlowAction::SetField { key: k1.clone(), value: v }))}
            }.into_any()
        }
        FlowAction::SetPriority { priority } => view! {
            <label class="field"><span>"Priority"</span>
                <select data-testid="step-priority" prop:value=priority on:change=move |ev| set(FlowAction::SetPriority { priority: event_target_value(&ev) })>
                    <option value="low">"Low"</option><option value="normal">"Normal"</option>
                    <option value="high">"High"</option><option value="urgent">"Urgent"</option>
                </select>
            </label>
        }.into_any(),
        FlowAction::Webhook { endpoint_id } => {
            let eps = options.with_value(|o| o.endpoints.clone());
            view! {
                <label class="field"><span>"Endpoint"</span>
                    <select data-testid="step-endpoint" prop:value=endpoint_id.to_string()
                        on:change=move |ev| set(FlowAction::Webhook { endpoint_id: event_target_value(&ev).parse().unwrap_or_default() })>
                        <option value="0">"Choose an endpoint…"</option>
                        {eps.into_iter().map(|(i, l)| view! { <option value=i.to_string()>{l}</option> }).collect_view()}
                    </select>
                </label>
            }.into_any()
        }
        FlowAction::CreateTicket { subject, body, team_id, priority, reply } => {
            let cur = StoredValue::new(TicketStep {
                subject: subject.clone(),
                body: body.clone(),
                team_id,
                priority: priority.clone(),
                reply: reply.clone(),
            });
            let set = StoredValue::new(set);
            // One field of the ticket changed.
            let change = move |f: &dyn Fn(&mut TicketStep)| {
                cur.update_value(|t| f(t));
                let t = cur.get_value();
                set.with_value(|s| {
                    s(FlowAction::CreateTicket {
                        subject: t.subject,
                        body: t.body,
                        team_id: t.team_id,
                        priority: t.priority,
                        reply: t.reply,
                    });
                });
            };
            let teams = options.with_value(|o| o.teams.clone());
            view! {
                {text_field("Subject", "step-ticket-subject", subject, false, move |x| change(&|t| t.subject.clone_from(&x)))}
                {text_field("First message, the customer's words", "step-ticket-body", body, true, move |x| change(&|t| t.body.clone_from(&x)))}
                <label class="field"><span>"Team"</span>
                    <select data-testid="step-ticket-team" prop:value=team_id.map(|t| t.to_string()).unwrap_or_default()
                        on:change=move |ev| { let v = event_target_value(&ev).parse().ok(); change(&|t| t.team_id = v); }>
                        <option value="">"Anyone (usual routing)"</option>
                        {teams.into_iter().map(|(i, name)| view! { <option value=i.to_string()>{name}</option> }).collect_view()}
                    </select>
                </label>
                <label class="field"><span>"Priority"</span>
                    <select data-testid="step-ticket-priority" prop:value=priority
                        on:change=move |ev| { let v = event_target_value(&ev); change(&|t| t.priority.clone_from(&v)); }>
                        <option value="low">"Low"</option><option value="normal">"Normal"</option>
                        <option value="high">"High"</option><option value="urgent">"Urgent"</option>
                    </select>
                </label>
                {text_field("Then say in the chat ({{ new_ticket }}: its number)", "step-ticket-reply", reply, true, move |x| change(&|t| t.reply.clone_from(&x)))}
                <p class="muted small">"The ticket goes out by email when the customer's address is known (ask for it first), and through your rules, routing and SLAs like any new ticket."</p>
            }.into_any()
        }
    };
    view! { {picker} {rest} }
}

fn subjects_help() -> String {
    format!(
        "Subjects: campaign.opened and campaign.clicked (campaigns: yes or no, any email or in-app message of this run so far, an in-app message opens when it is seen; put a Wait before), campaign.ordered (yes: an order placed since they entered), campaign.visited (the pages they saw on your site since they entered: contains /pricing), answer.<variable>, customer.name, customer.email, customer.tickets, ticket.status, ticket.priority, ticket.tags, ticket.channel, ticket.assignee (empty: nobody), field.<key>, message.text, time.hour, time.weekday, time.business_hours (open/closed). Ops: {}.",
        OPS.iter().map(|(_, l)| *l).collect::<Vec<_>>().join(", ")
    )
}

/// The workspace's segments as a condition names them.
/// An in-app step: which targeted message it shows.
fn in_app_form(
    message_id: i32,
    options: StoredValue<FlowEditorOptions>,
    set: impl Fn(NodeKind) + 'static,
) -> impl IntoView {
    let messages = options.with_value(|o| o.messages.clone());
    let known = messages.iter().any(|(id, _)| *id == message_id);
    view! {
        <label class="field"><span>"Targeted message"</span>
            <select data-testid="step-message" on:change=move |ev| {
                set(NodeKind::SendInApp { message_id: event_target_value(&ev).parse().unwrap_or(0) });
            }>
                <option value="0" selected=!known>"Pick a message…"</option>
                {messages.into_iter().map(|(id, name)| view! {
                    <option value=id.to_string() selected=id == message_id>{name}</option>
                }).collect_view()}
            </select>
        </label>
        <p class="muted small">"The widget shows it on the customer's next visit to your site (within "{IN_APP_DAYS.to_string()}" days), on the pages its own rules name; seeing it counts as opened. Give the message the audience “Only customers a campaign sends it to” so that nobody else sees it: "<A href="/app/messages">"Targeted messages"</A>"."</p>
    }
}

fn segments_help(options: StoredValue<FlowEditorOptions>) -> impl IntoView {
    let segments = options.with_value(|o| o.segments.clone());
    if segments.is_empty() {
        return view! {
            <p class="muted small" data-testid="segments-help">"No segments yet: make one under Segments to branch on who the customer is."</p>
        }.into_any();
    }
    view! {
        <p class="muted small" data-testid="segments-help">"Segments (compare with yes or no): "
            {segments.into_iter().map(|(id, name)| view! {
                <code>{format!("segment.{id}")}</code>" " {name} "; "
            }).collect_view()}
        </p>
    }
    .into_any()
}

fn branches_text(branches: &[FlowBranch]) -> String {
    branches
        .iter()
        .map(|b| format!("{} | {} | {}", b.subject, op_name(b.op), b.value))
        .collect::<Vec<_>>()
        .join("\n")
}

fn parse_branches(t: &str) -> Vec<FlowBranch> {
    lines(t)
        .into_iter()
        .map(|l| {
            let mut parts = l.splitn(3, '|').map(|p| p.trim().to_owned());
            FlowBranch {
                subject: parts.next().unwrap_or_default(),
                op: parse_op(&parts.next().unwrap_or_default()),
                value: parts.next().unwrap_or_default(),
            }
        })
        .collect()
}

/// A workflow's start: the events that start it and the conditions that must
/// hold then.
fn trigger_form(
    t: WorkflowTrigger,
    options: StoredValue<FlowEditorOptions>,
    set: impl Fn(WorkflowTrigger) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let cur = StoredValue::new(t.clone());
    let set = StoredValue::new(set);
    let change = move |f: &dyn Fn(&mut WorkflowTrigger)| {
        cur.update_value(|k| f(k));
        set.with_value(|s| s(cur.get_value()));
    };
    view! {
        <p class="muted">"The workflow starts on a ticket when one of these happens (and the conditions below hold), unless it is already running there."</p>
        <fieldset class="field" data-testid="trigger-events">
            <legend>"When"</legend>
            {RuleEvent::ALL.iter().map(|e| {
                let e = *e;
                let on = t.events.contains(&e);
                view! {
                    <label class="check"><input type="checkbox" data-testid="trigger-event" data-event=e.as_str() prop:checked=on
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            change(&|t| {
                                t.events.retain(|x| *x != e);
                                if on {
                                    t.events.push(e);
                                }
                            });
                        }/>" "{e.label()}</label>
                }
            }).collect_view()}
        </fieldset>
        {text_field("Only if (all hold): subject | op | value per line", "trigger-only-if", branches_text(&t.only_if), true,
            move |x| change(&|t| t.only_if = parse_branches(&x)))}
        <p class="muted small">{subjects_help()}</p>
        {segments_help(options)}
    }
}

/// A campaign's entry: the segment whose customers enter, whether its
/// current members do, and the goal that counts as a conversion.
fn entry_form(
    e: CampaignEntry,
    options: StoredValue<FlowEditorOptions>,
    set: impl Fn(CampaignEntry) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let cur = StoredValue::new(e.clone());
    let set = StoredValue::new(set);
    let change = move |f: &dyn Fn(&mut CampaignEntry)| {
        cur.update_value(|k| f(k));
        set.with_value(|s| s(cur.get_value()));
    };
    let segments = ids(&options.with_value(|o| o.segments.clone()));
    let none = segments.is_empty().then(|| {
        view! {
            <p class="muted small">"No segments yet: make one under Segments first."</p>
        }
    });
    let by_event = RwSignal::new(e.event.is_some());
    let how = vec![
        ("segment".to_owned(), "When they join a segment".to_owned()),
        (
            "event".to_owned(),
            "When their browser sends a site event".to_owned(),
        ),
    ];
    view! {
        {choice_select("Customers enter", "entry-how", None, how,
            if e.event.is_some() { "event".into() } else { "segment".into() },
            move |v| {
                let on = v == "event";
                by_event.set(on);
                change(&|k| k.event = on.then(String::new));
            })}
        {move || if by_event.get() {
            let name = cur.with_value(|k| k.event.clone().unwrap_or_default());
            view! {
                <label class="field"><span>"Event"</span>
                    <input type="text" data-testid="entry-event" value=name placeholder="signed_up"
                        on:input=move |ev| {
                            let v = event_target_value(&ev).trim().to_lowercase();
                            change(&|k| k.event = Some(v.clone()));
                        }/>
                </label>
                <p class="muted small">"Sent by your site: "<code>"Switchboard('track', 'signed_up')"</code>". Each customer enters once, when it first arrives (a segment below narrows who)."</p>
            }.into_any()
        } else {
            view! {
                <p class="muted">"Customers enter when they are in the segment (checked every minute), once each."</p>
                <label class="check"><input type="checkbox" data-testid="entry-existing" prop:checked=cur.with_value(|k| k.existing)
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        change(&|k| k.existing = on);
                    }/>" Customers already in it when first published enter too (else only those who join later)"</label>
            }.into_any()
        }}
        {choice_select("Segment", "entry-segment", Some("Choose a segment"), segments.clone(),
            e.segment_id.map(|i| i.to_string()).unwrap_or_default(),
            move |v| change(&|k| k.segment_id = v.parse().ok()))}
        {choice_select("Goal (a conversion)", "entry-goal", Some("No goal"), segments,
            e.goal_segment_id.map(|i| i.to_string()).unwrap_or_default(),
            move |v| change(&|k| k.goal_segment_id = v.parse().ok()))}
        <p class="muted small">{format!("An email converts when its customer is in the goal segment within {CONVERSION_DAYS} days of it.")}</p>
        {none}
    }
}

fn choice_select(
    label: &'static str,
    testid: &'static str,
    none: Option<&'static str>,
    items: Vec<(String, String)>,
    current: String,
    on: impl Fn(String) + 'static,
) -> impl IntoView {
    view! {
        <label class="field"><span>{label}</span>
            <select data-testid=testid on:change=move |ev| on(event_target_value(&ev))>
                {none.map(|n| view! { <option value="" selected=current.is_empty()>{n}</option> })}
                {items.into_iter().map(|(v, l)| {
                    let sel = v == current;
                    view! { <option value=v selected=sel>{l}</option> }
                }).collect_view()}
            </select>
        </label>
    }
}

fn ids(v: &[(i32, String)]) -> Vec<(String, String)> {
    v.iter().map(|(i, n)| (i.to_string(), n.clone())).collect()
}

/// A workflow's ticket action: one of the automation rules' actions.
#[allow(clippy::too_many_lines)]
fn ticket_action_form(
    action: RuleAction,
    options: StoredValue<FlowEditorOptions>,
    set: impl Fn(RuleAction) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let o = options.get_value();
    let cur = StoredValue::new(action.clone());
    let set = StoredValue::new(set);
    let change = move |f: &dyn Fn(&mut RuleAction)| {
        cur.update_value(|k| f(k));
        set.with_value(|s| s(cur.get_value()));
    };
    let kind = action.kind();
    let picker = choice_select(
        "Action",
        "step-ticket-action",
        None,
        RuleAction::KINDS
            .iter()
            .map(|k| ((*k).to_owned(), RuleAction::kind_label(k).to_owned()))
            .collect(),
        kind.to_owned(),
        move |k| {
            let fresh = RuleAction::blank(&k);
            change(&|a| *a = fresh.clone());
        },
    );
    let text = move |label: &'static str, value: String| {
        text_field(label, "step-action-text", value, true, move |x| {
            change(&|a| match a {
                RuleAction::Reply { text }
                | RuleAction::Note { text }
                | RuleAction::Notify { text, .. } => {
                    text.clone_from(&x);
                }
                RuleAction::Escalate { reason } | RuleAction::RequestApproval { reason, .. } => {
                    reason.clone_from(&x);
                }
                _ => {}
            });
        })
    };
    let body = match action {
        RuleAction::Assign { user_id } => choice_select(
            "Member", "step-action-member", Some("Nobody (unassign)"), ids(&o.members),
            user_id.map(|u| u.to_string()).unwrap_or_default(),
            move |v| change(&|a| if let RuleAction::Assign { user_id } = a { *user_id = v.parse().ok() }),
        ).into_any(),
        RuleAction::SetTeam { team_id } => choice_select(
            "Team", "step-action-team", Some("No team"), ids(&o.teams),
            team_id.map(|u| u.to_string()).unwrap_or_default(),
            move |v| change(&|a| if let RuleAction::SetTeam { team_id } = a { *team_id = v.parse().ok() }),
        ).into_any(),
        RuleAction::AddTags { tags } | RuleAction::RemoveTags { tags } => text_field(
            "Tags (comma-separated)", "step-action-tags", tags.join(", "), false,
            move |x| {
                let list: Vec<String> = x.split(',').map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect();
                change(&|a| match a {
                    RuleAction::AddTags { tags } | RuleAction::RemoveTags { tags } => tags.clone_from(&list),
                    _ => {}
                });
            },
        ).into_any(),
        RuleAction::SetField { key, value } => view! {
            {choice_select("Field", "step-action-field", Some("Choose a field…"), o.fields.clone(), key,
                move |v| change(&|a| if let RuleAction::SetField { key, .. } = a { key.clone_from(&v) }))}
            {text_field("Value", "step-action-value", value, false,
                move |v| change(&|a| if let RuleAction::SetField { value, .. } = a { value.clone_from(&v) }))}
        }.into_any(),
        RuleAction::SetStatus { status } => choice_select(
            "Status", "step-action-status", None,
            Status::ALL.iter().map(|s| (s.as_str().to_owned(), s.label().to_owned())).collect(),
            status,
            move |v| change(&|a| if let RuleAction::SetStatus { status } = a { status.clone_from(&v) }),
        ).into_any(),
        RuleAction::SetPriority { priority } => choice_select(
            "Priority", "step-action-priority", None,
            Priority::ALL.iter().map(|s| (s.as_str().to_owned(), s.label().to_owned())).collect(),
            priority,
            move |v| change(&|a| if let RuleAction::SetPriority { priority } = a { priority.clone_from(&v) }),
        ).into_any(),
        RuleAction::Reply { text: t } => view! {
            {text("Reply to the customer (may use {{ customer.first_name }}, {{ ticket.number }} …)", t)}
        }.into_any(),
        RuleAction::Note { text: t } => text("Internal note", t).into_any(),
        RuleAction::Notify { target, text: t, after_mins } => {
            let who = match &target {
                NotifyTarget::Assignee => "assignee".to_owned(),
                NotifyTarget::Admins => "admins".to_owned(),
                NotifyTarget::User { user_id } => user_id.to_string(),
            };
            let mut items = vec![
                ("assignee".to_owned(), "The assignee".to_owned()),
                ("admins".to_owned(), "The admins".to_owned()),
            ];
            items.extend(ids(&o.members));
            view! {
                {choice_select("Who", "step-action-notify", None, items, who, move |v| {
                    let t = match v.as_str() {
                        "assignee" => NotifyTarget::Assignee,
                        "admins" => NotifyTarget::Admins,
                        other => other.parse().map_or(NotifyTarget::Assignee, |u| NotifyTarget::User { user_id: u }),
                    };
                    change(&|a| if let RuleAction::Notify { target, .. } = a { *target = t.clone() });
                })}
                {text("What they are told", t)}
                {text_field("Send after minutes (empty: at once)", "step-action-after", after_mins.map(|m| m.to_string()).unwrap_or_default(), false,
                    move |v| change(&|a| if let RuleAction::Notify { after_mins, .. } = a { *after_mins = v.trim().parse().ok() }))}
            }.into_any()
        }
        RuleAction::Webhook { endpoint_id } => choice_select(
            "Endpoint", "step-action-endpoint", Some("Choose an endpoint…"), ids(&o.endpoints),
            if endpoint_id > 0 { endpoint_id.to_string() } else { String::new() },
            move |v| change(&|a| if let RuleAction::Webhook { endpoint_id } = a { *endpoint_id = v.parse().unwrap_or(0) }),
        ).into_any(),
        RuleAction::Escalate { reason } => text("Why it needs attention", reason).into_any(),
        RuleAction::Close => view! { <p class="muted small">"Sets the status to Closed."</p> }.into_any(),
        RuleAction::StartRule { rule_id } => choice_select(
            "Rule", "step-action-rule", Some("Choose a rule…"), ids(&o.rules),
            if rule_id > 0 { rule_id.to_string() } else { String::new() },
            move |v| change(&|a| if let RuleAction::StartRule { rule_id } = a { *rule_id = v.parse().unwrap_or(0) }),
        ).into_any(),
        RuleAction::RequestApproval { tool, input, reason } => view! {
            {choice_select("Tool", "step-action-tool", Some("Choose a tool…"), o.tools.clone(), tool,
                move |v| change(&|a| if let RuleAction::RequestApproval { tool, .. } = a { tool.clone_from(&v) }))}
            {text_field("Tool input (JSON; text may use {{ ticket.number }} …)", "step-action-input", input, false,
                move |v| change(&|a| if let RuleAction::RequestApproval { input, .. } = a { input.clone_from(&v) }))}
            {text("Why (the approver sees it)", reason)}
        }.into_any(),
    };
    view! { {picker} {body} <p class="muted small">"Runs exactly like the same action in an automation rule."</p> }
}
