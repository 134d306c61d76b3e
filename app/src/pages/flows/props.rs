//! The selected step's settings: one small form per step type. Each change is
//! one undoable edit of the graph.

use super::canvas::Editor;
use crate::types::{AskInput, FlowAction, FlowBranch, FlowEditorOptions, FlowOp, NodeKind};
use leptos::prelude::*;

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
        editor.graph.with(|g| g.node(&id).cloned())
    });
    move || {
        let Some(n) = selected.get() else {
            return view! {
                <p class="muted" data-testid="flow-step-none">"Select a step to change it. Shift-click selects several; drag from an exit (the dot on the right) to a step to connect them. Keys: Delete, arrows, Ctrl+Z / Ctrl+Y, Ctrl+C / Ctrl+V, Ctrl+A."</p>
            }
            .into_any();
        };
        let id = n.id.clone();
        let set = move |k: NodeKind| editor.set_kind(&id, k);
        let kind = n.kind.clone();
        let body = match kind.clone() {
            NodeKind::Start => view! { <p class="muted">"Runs when a customer's first message opens a conversation on one of the flow's channels."</p> }.into_any(),
            NodeKind::End => view! { <p class="muted">"The flow stops; the conversation stays open for the team."</p> }.into_any(),
            NodeKind::AiAnswer => view! { <p class="muted">"The AI agent answers from the knowledge base. Exits: answered, or handed off when it cannot."</p> }.into_any(),
            NodeKind::SendMessage { text } => {
                text_field("Message", "step-text", text, true, move |t| set(NodeKind::SendMessage { text: t })).into_any()
            }
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
                    <p class="muted small">{format!("Subjects: answer.<variable>, customer.name, customer.email, customer.tickets, ticket.tags, message.text, time.hour, time.weekday, time.business_hours (open/closed). Ops: {}.", OPS.iter().map(|(_, l)| *l).collect::<Vec<_>>().join(", "))}</p>
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
    };
    let s1 = set.clone();
    let picker = view! {
        <label class="field"><span>"Action"</span>
            <select data-testid="step-action" prop:value=kind on:change=move |ev| s1(match event_target_value(&ev).as_str() {
                "set_field" => FlowAction::SetField { key: String::new(), value: String::new() },
                "set_priority" => FlowAction::SetPriority { priority: "high".into() },
                "webhook" => FlowAction::Webhook { endpoint_id: 0 },
                _ => FlowAction::Tag { tag: String::new() },
            })>
                <option value="tag">"Tag the conversation"</option>
                <option value="set_field">"Set a field"</option>
                <option value="set_priority">"Set the priority"</option>
                <option value="webhook">"Call a webhook"</option>
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
    };
    view! { {picker} {rest} }
}
