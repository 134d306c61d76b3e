//! `/app/settings/inbox`: your signature, canned responses, macros (with a step
//! builder), teams and custom fields.

use super::admin::use_session;
use crate::components::{action_error, ErrorBox, FormError, Loading};
use crate::permissions::{can, Action, Role};
use crate::serverfns::inbox::{
    get_inbox_meta, list_canned, list_macros, CreateCustomField, CreateTeam, DeleteCanned,
    DeleteMacro, SaveCanned, SaveMacro, SetSignature,
};
use crate::types::{FieldKind, MacroAction, Priority, Status};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

/// The inbox settings page.
#[component]
pub fn InboxSettingsPage() -> impl IntoView {
    let role = use_session().map_or(Role::Collaborator, |s| s.role());
    let admin = can(role, Action::ManageInboxSettings);
    let sig = ServerAction::<SetSignature>::new();
    let save_canned = ServerAction::<SaveCanned>::new();
    let del_canned = ServerAction::<DeleteCanned>::new();
    let save_macro = ServerAction::<SaveMacro>::new();
    let del_macro = ServerAction::<DeleteMacro>::new();
    let team = ServerAction::<CreateTeam>::new();
    let field = ServerAction::<CreateCustomField>::new();
    let meta = Resource::new(
        move || {
            (
                sig.version().get(),
                team.version().get(),
                field.version().get(),
            )
        },
        |_| get_inbox_meta(),
    );
    let canned = Resource::new(
        move || (save_canned.version().get(), del_canned.version().get()),
        |_| list_canned(String::new()),
    );
    let macros = Resource::new(
        move || (save_macro.version().get(), del_macro.version().get()),
        |_| list_macros(),
    );
    let sig_err = action_error(sig.value());
    let canned_err = action_error(save_canned.value());
    let team_err = action_error(team.value());
    let field_err = action_error(field.value());
    view! {
        <Title text="Inbox settings"/>
        <header class="page-head">
            <h1>"Inbox settings"</h1>
            <p class="muted">"Signature, canned responses, macros, teams and custom fields."</p>
        </header>
        <section class="card">
            <h2>"Your signature"</h2>
            <Transition fallback=|| view! { <Loading/> }>
                {move || meta.get().map(|m| match m {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(m) => view! {
                        <ActionForm action=sig attr:class="form">
                            <div class="field">
                                <label for="signature">"Added below your public replies in this workspace"</label>
                                <textarea id="signature" name="signature" rows="3">{m.signature.unwrap_or_default()}</textarea>
                            </div>
                            <button class="btn" type="submit">"Save signature"</button>
                        </ActionForm>
                    }.into_any(),
                })}
            </Transition>
            <FormError error=sig_err/>
            {move || matches!(sig.value().get(), Some(Ok(()))).then(|| view! { <p class="alert alert-success" role="status">"Signature saved."</p> })}
        </section>

        <section class="card">
            <h2>"Canned responses"</h2>
            <Transition fallback=|| view! { <Loading/> }>
                {move || canned.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No canned responses yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="table" data-testid="canned-table">
                            <thead><tr><th>"Category"</th><th>"Title"</th><th>"Text"</th><th>"Shared"</th><th></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|c| {
                                    let id = c.id;
                                    let deletable = !c.shared || admin;
                                    view! {
                                        <tr>
                                            <td>{c.category}</td><td>{c.title}</td>
                                            <td class="muted small">{c.body}</td>
                                            <td>{if c.shared { "Shared" } else { "Personal" }}</td>
                                            <td>{deletable.then(|| view! { <button class="btn btn-ghost btn-small" on:click=move |_| { del_canned.dispatch(DeleteCanned { id }); }>"Delete"</button> })}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Transition>
            <h3>"New canned response"</h3>
            <ActionForm action=save_canned attr:class="form">
                <div class="form-inline">
                    <div class="field"><label for="c-title">"Title"</label><input id="c-title" name="title" required/></div>
                    <div class="field"><label for="c-cat">"Category"</label><input id="c-cat" name="category" placeholder="General"/></div>
                    {if admin {
                        view! { <div class="field"><label for="c-shared">"Visible to"</label><select id="c-shared" name="shared"><option value="true">"Everyone (shared)"</option><option value="false">"Only me"</option></select></div> }.into_any()
                    } else {
                        view! { <input type="hidden" name="shared" value="false"/> }.into_any()
                    }}
                </div>
                <div class="field">
                    <label for="c-body">"Text"</label>
                    <textarea id="c-body" name="body" rows="4" required placeholder="Hi {{ customer.first_name }}, …"></textarea>
                    <p class="field-hint">"Variables: customer.name, customer.first_name, customer.email, customer.company, ticket.number, ticket.subject, ticket.status, agent.name, agent.first_name, agent.email, workspace.name — written as {{ customer.name }}."</p>
                </div>
                <button class="btn btn-primary" type="submit">"Add canned response"</button>
            </ActionForm>
            <FormError error=canned_err/>
        </section>

        {admin.then(|| view! {
            <MacroSection macros meta save_macro del_macro/>
            <section class="card">
                <h2>"Teams"</h2>
                <Transition fallback=|| view! { <Loading/> }>
                    {move || meta.get().and_then(Result::ok).map(|m| view! {
                        <ul>{m.teams.iter().map(|t| view! { <li>{t.name.clone()}</li> }).collect_view()}</ul>
                    })}
                </Transition>
                <ActionForm action=team attr:class="form form-inline">
                    <div class="field"><label for="t-name">"New team"</label><input id="t-name" name="name" required/></div>
                    <input type="hidden" name="member_ids" value=""/>
                    <button class="btn" type="submit">"Create team"</button>
                </ActionForm>
                <FormError error=team_err/>
            </section>
            <section class="card">
                <h2>"Custom fields"</h2>
                <Transition fallback=|| view! { <Loading/> }>
                    {move || meta.get().and_then(Result::ok).map(|m| view! {
                        <table class="table">
                            <thead><tr><th>"Label"</th><th>"Key"</th><th>"Type"</th><th>"Options"</th></tr></thead>
                            <tbody>{m.fields.iter().map(|f| view! { <tr><td>{f.label.clone()}</td><td class="mono">{f.key.clone()}</td><td>{f.kind.label()}</td><td>{f.options.join(", ")}</td></tr> }).collect_view()}</tbody>
                        </table>
                    })}
                </Transition>
                <ActionForm action=field attr:class="form form-inline">
                    <div class="field"><label for="f-label">"Label"</label><input id="f-label" name="label" required/></div>
                    <div class="field"><label for="f-key">"Key"</label><input id="f-key" name="key" required placeholder="order_number"/></div>
                    <div class="field"><label for="f-kind">"Type"</label>
                        <select id="f-kind" name="kind">{FieldKind::ALL.iter().map(|k| view! { <option value=k.as_str()>{k.label()}</option> }).collect_view()}</select>
                    </div>
                    <div class="field"><label for="f-opts">"Options (dropdown)"</label><input id="f-opts" name="options" placeholder="Free, Plus, Club"/></div>
                    <button class="btn" type="submit">"Add field"</button>
                </ActionForm>
                <FormError error=field_err/>
            </section>
        })}
    }
}

#[component]
fn MacroSection(
    macros: Resource<Result<Vec<crate::types::MacroView>, crate::error::AppError>>,
    meta: Resource<Result<crate::types::InboxMeta, crate::error::AppError>>,
    save_macro: ServerAction<SaveMacro>,
    del_macro: ServerAction<DeleteMacro>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let steps = RwSignal::new(Vec::<MacroAction>::new());
    let kind = RwSignal::new("set_status".to_owned());
    let value = RwSignal::new(String::new());
    let err = action_error(save_macro.value());
    let step_err = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(_)) = save_macro.value().get() {
            name.set(String::new());
            description.set(String::new());
            steps.set(Vec::new());
        }
    });
    let add_step = move |_| {
        let v = value.get_untracked();
        let opt_id = |v: &str| v.trim().parse::<i32>().ok();
        let tags = |v: &str| {
            v.split(',')
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
        };
        let step = match kind.get_untracked().as_str() {
            "set_status" => Status::parse(&v).map(MacroAction::SetStatus),
            "set_priority" => Priority::parse(&v).map(MacroAction::SetPriority),
            "assign" => Some(MacroAction::Assign(opt_id(&v))),
            "set_team" => Some(MacroAction::SetTeam(opt_id(&v))),
            "add_tags" => Some(MacroAction::AddTags(tags(&v)))
                .filter(|a| !matches!(a, MacroAction::AddTags(t) if t.is_empty())),
            "remove_tags" => Some(MacroAction::RemoveTags(tags(&v)))
                .filter(|a| !matches!(a, MacroAction::RemoveTags(t) if t.is_empty())),
            "set_field" => v.split_once('=').map(|(k, x)| MacroAction::SetField {
                key: k.trim().to_owned(),
                value: x.trim().to_owned(),
            }),
            "reply" => (!v.trim().is_empty()).then(|| MacroAction::Reply(v.clone())),
            "note" => (!v.trim().is_empty()).then(|| MacroAction::Note(v.clone())),
            _ => None,
        };
        match step {
            Some(s) => {
                steps.update(|x| x.push(s));
                value.set(String::new());
                step_err.set(None);
            }
            None => step_err.set(Some(
                "Fill in the value for this step (for a field: key=value).".into(),
            )),
        }
    };
    let hint = move || match kind.get().as_str() {
        "set_status" => "open, pending, on_hold, solved, closed",
        "set_priority" => "low, normal, high, urgent",
        "assign" => "agent id, empty to unassign",
        "set_team" => "team id, empty for none",
        "add_tags" | "remove_tags" => "comma-separated tags",
        "set_field" => "key=value",
        _ => "text; variables such as {{ customer.first_name }} are filled in",
    };
    view! {
        <section class="card">
            <h2>"Macros"</h2>
            <Transition fallback=|| view! { <Loading/> }>
                {move || macros.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) => view! {
                        <ul class="macro-list">
                            {list.into_iter().map(|m| {
                                let id = m.id;
                                view! {
                                    <li>
                                        <strong>{m.name}</strong> " " <span class="muted">{m.description}</span>
                                        <span class="muted small">{format!(" · {} step(s)", m.actions.len())}</span>
                                        <button class="btn btn-ghost btn-small" on:click=move |_| { del_macro.dispatch(DeleteMacro { id }); }>"Delete"</button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Transition>
            <h3>"New macro"</h3>
            <div class="form">
                <div class="form-inline">
                    <div class="field"><label for="m-name">"Name"</label><input id="m-name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></div>
                    <div class="field"><label for="m-desc">"Description"</label><input id="m-desc" prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev))/></div>
                </div>
                <ol class="steps">
                    {move || steps.get().into_iter().enumerate().map(|(i, s)| view! {
                        <li>{step_label(&s)} " " <button class="icon" aria-label="Remove step" on:click=move |_| steps.update(|x| { x.remove(i); })>"×"</button></li>
                    }).collect_view()}
                </ol>
                <div class="form-inline">
                    <div class="field"><label for="m-kind">"Step"</label>
                        <select id="m-kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                            {[("set_status", "Set status"), ("set_priority", "Set priority"), ("assign", "Assign to"), ("set_team", "Route to team"), ("add_tags", "Add tags"), ("remove_tags", "Remove tags"), ("set_field", "Set field"), ("reply", "Send reply"), ("note", "Add note")]
                                .into_iter().map(|(v, l)| view! { <option value=v>{l}</option> }).collect_view()}
                        </select>
                    </div>
                    <div class="field"><label for="m-value">"Value"</label><input id="m-value" prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) placeholder=hint/></div>
                    <button class="btn" type="button" on:click=add_step>"Add step"</button>
                </div>
                // Inside a Transition: a resource read outside one hydrates
                // against whatever the server streamed so far (a panic about one
                // load in three).
                <Transition fallback=|| ()>
                    {move || meta.get().and_then(Result::ok).map(|m| view! {
                        <p class="field-hint">"Agents: " {m.agents.iter().map(|a| format!("{} = {}", a.id, a.name)).collect::<Vec<_>>().join(", ")}
                        " · Teams: " {m.teams.iter().map(|t| format!("{} = {}", t.id, t.name)).collect::<Vec<_>>().join(", ")}</p>
                    })}
                </Transition>
                {move || step_err.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                <FormError error=err/>
                <button class="btn btn-primary" type="button" disabled=move || steps.with(Vec::is_empty) on:click=move |_| {
                    save_macro.dispatch(SaveMacro {
                        id: None,
                        name: name.get_untracked(),
                        description: description.get_untracked(),
                        actions_json: serde_json::to_string(&steps.get_untracked()).unwrap_or_default(),
                    });
                }>"Save macro"</button>
            </div>
        </section>
    }
}

fn step_label(s: &MacroAction) -> String {
    match s {
        MacroAction::SetStatus(x) => format!("Set status to {}", x.label()),
        MacroAction::SetPriority(x) => format!("Set priority to {}", x.label()),
        MacroAction::Assign(None) => "Unassign".into(),
        MacroAction::Assign(Some(u)) => format!("Assign to agent #{u}"),
        MacroAction::SetTeam(None) => "Remove the team".into(),
        MacroAction::SetTeam(Some(t)) => format!("Route to team #{t}"),
        MacroAction::AddTags(t) => format!("Add tags {}", t.join(", ")),
        MacroAction::RemoveTags(t) => format!("Remove tags {}", t.join(", ")),
        MacroAction::SetField { key, value } => format!("Set {key} to {value}"),
        MacroAction::Reply(b) => format!("Send reply: {b}"),
        MacroAction::Note(b) => format!("Add note: {b}"),
    }
}
