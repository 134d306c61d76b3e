//! `/app/settings/procedures`: the admin's multi-step instructions for the AI
//! agent. Each is written in words (compiled into steps by the provider when one
//! is configured) and built or reviewed in a structured step editor; a preview
//! follows the steps against a sample ticket and message and shows each decision.

use crate::components::{action_error, fmt_time, ErrorBox, FormError, Loading};
use crate::serverfns::procedures::{
    get_procedures, CompileProcedure, DeleteProcedure, PreviewProcedure, SaveProcedure,
};
use crate::types::{
    ProcOp, ProcPreview, ProcStep, ProcedureForm, ProcedureView, ToolView, PROC_FACTS,
};
use leptos::prelude::*;
use leptos_meta::Title;
use serde_json::Value;

/// Where a list of steps sits in the tree: the indexes of the `If` steps above it
/// and, for each, whether it is the `then` (true) or `otherwise` branch.
type Path = Vec<(usize, bool)>;

/// The steps being edited. Text edits change them without redrawing (the field
/// already shows the text); structural edits bump `shape`, which redraws the tree.
#[derive(Clone, Copy)]
struct Tree {
    steps: RwSignal<Vec<ProcStep>>,
    shape: RwSignal<u64>,
}

impl Tree {
    fn list_mut<'a>(
        steps: &'a mut Vec<ProcStep>,
        path: &[(usize, bool)],
    ) -> Option<&'a mut Vec<ProcStep>> {
        let Some(((i, then), rest)) = path.split_first() else {
            return Some(steps);
        };
        match steps.get_mut(*i)? {
            ProcStep::If {
                then: t, otherwise, ..
            } => Self::list_mut(if *then { t } else { otherwise }, rest),
            _ => None,
        }
    }

    /// Changes one list; redraws when `redraw`.
    fn edit(self, path: &[(usize, bool)], redraw: bool, f: impl FnOnce(&mut Vec<ProcStep>)) {
        self.steps.update_untracked(|s| {
            if let Some(l) = Self::list_mut(s, path) {
                f(l);
            }
        });
        if redraw {
            self.shape.update(|n| *n += 1);
        }
    }

    /// Changes one step.
    fn step(self, path: &[(usize, bool)], i: usize, redraw: bool, f: impl FnOnce(&mut ProcStep)) {
        self.edit(path, redraw, |l| {
            if let Some(s) = l.get_mut(i) {
                f(s);
            }
        });
    }

    fn set_all(self, steps: Vec<ProcStep>) {
        self.steps.set(steps);
        self.shape.update(|n| *n += 1);
    }
}

fn path_label(path: &[(usize, bool)], i: usize) -> String {
    let mut s = String::new();
    for (j, then) in path {
        s.push_str(&format!(
            "{}.{}.",
            j + 1,
            if *then { "then" } else { "else" }
        ));
    }
    s.push_str(&(i + 1).to_string());
    s
}

/// A starting input for a tool: its required fields, empty.
fn starter_input(t: &ToolView) -> Value {
    let mut m = serde_json::Map::new();
    for f in t.fields.iter().filter(|f| f.required) {
        let v = match f.kind.as_str() {
            "array" => Value::Array(Vec::new()),
            "integer" | "number" => Value::from(0),
            "boolean" => Value::Bool(false),
            _ => Value::String(f.choices.first().cloned().unwrap_or_default()),
        };
        m.insert(f.name.clone(), v);
    }
    Value::Object(m)
}

fn add_bar(tree: Tree, path: Path) -> impl IntoView {
    let mut testid = String::from("add-step");
    for (j, then) in &path {
        testid.push_str(&format!(
            "-{}-{}",
            j + 1,
            if *then { "then" } else { "else" }
        ));
    }
    view! {
        <div class="proc-add row wrap" data-testid=testid>
            <span class="small muted">"Add:"</span>
            {ProcStep::KINDS.iter().map(|k| {
                let path = path.clone();
                let k = *k;
                view! {
                    <button type="button" class="btn btn-ghost btn-small" data-kind=k
                        on:click=move |_| tree.edit(&path, true, |l| l.push(ProcStep::blank(k)))>
                        {ProcStep::kind_label(k)}
                    </button>
                }
            }).collect_view()}
        </div>
    }
}

fn list_view(
    tree: Tree,
    tools: StoredValue<Vec<ToolView>>,
    path: Path,
    steps: Vec<ProcStep>,
) -> AnyView {
    let n = steps.len();
    view! {
        <ol class="proc-steps">
            {steps.into_iter().enumerate().map(|(i, s)| step_view(tree, tools, path.clone(), i, n, s)).collect_view()}
        </ol>
        {add_bar(tree, path)}
    }
    .into_any()
}

fn step_view(
    tree: Tree,
    tools: StoredValue<Vec<ToolView>>,
    path: Path,
    i: usize,
    n: usize,
    s: ProcStep,
) -> impl IntoView {
    let label = path_label(&path, i);
    let here = StoredValue::new(path.clone());
    let (first, last) = (i == 0, i + 1 >= n);
    let body = match s.clone() {
        ProcStep::Tool { tool, input, note } => {
            let p = path.clone();
            let pn = path.clone();
            let pi = path.clone();
            let input_err = RwSignal::new(None::<String>);
            let text = serde_json::to_string_pretty(&input).unwrap_or_else(|_| "{}".into());
            view! {
                <div class="proc-fields">
                    <label>"Tool"
                        <select data-testid="step-tool" on:change=move |ev| {
                            let name = event_target_value(&ev);
                            let start = tools.with_value(|ts| ts.iter().find(|t| t.name == name).map(starter_input));
                            tree.step(&p, i, true, |s| if let ProcStep::Tool { tool, input, .. } = s {
                                *tool = name.clone();
                                if let Some(v) = start { *input = v; }
                            });
                        }>
                            <option value="" selected=tool.is_empty()>"Choose a tool…"</option>
                            {tools.with_value(|ts| ts.iter().map(|t| view! {
                                <option value=t.name.clone() selected=t.name == tool>{format!("{} ({})", t.label, t.risk.label().to_lowercase())}</option>
                            }).collect_view())}
                        </select>
                    </label>
                    <label>"Input (JSON; text may quote a fact as {{customer.name}})"
                        <textarea class="code" rows="3" data-testid="step-input" on:input=move |ev| {
                            match serde_json::from_str::<Value>(&event_target_value(&ev)) {
                                Ok(v) if v.is_object() => {
                                    input_err.set(None);
                                    tree.step(&pi, i, false, |s| if let ProcStep::Tool { input, .. } = s { *input = v; });
                                }
                                Ok(_) => input_err.set(Some("The input must be a JSON object: { … }".into())),
                                Err(e) => input_err.set(Some(format!("Not JSON yet: {e}"))),
                            }
                        }>{text}</textarea>
                    </label>
                    {move || input_err.get().map(|e| view! { <p class="field-error">{e}</p> })}
                    <label>"Tell the customer once it ran (optional)"
                        <input type="text" value=note data-testid="step-note" on:input=move |ev| {
                            let v = event_target_value(&ev);
                            tree.step(&pn, i, false, |s| if let ProcStep::Tool { note, .. } = s { *note = v; });
                        }/>
                    </label>
                </div>
            }
            .into_any()
        }
        ProcStep::If {
            fact,
            op,
            value,
            then,
            otherwise,
        } => {
            let (pf, po, pv) = (path.clone(), path.clone(), path.clone());
            let mut then_path = path.clone();
            then_path.push((i, true));
            let mut else_path = path.clone();
            else_path.push((i, false));
            view! {
                <div class="proc-fields proc-if">
                    <div class="row wrap">
                        <select aria-label="Fact" data-testid="step-fact" on:change=move |ev| {
                            let v = event_target_value(&ev);
                            tree.step(&pf, i, false, |s| if let ProcStep::If { fact, .. } = s { *fact = v; });
                        }>
                            {PROC_FACTS.iter().map(|(name, label)| view! {
                                <option value=*name selected=*name == fact>{format!("{label} ({name})")}</option>
                            }).collect_view()}
                        </select>
                        <select aria-label="Comparison" data-testid="step-op" on:change=move |ev| {
                            let v = ProcOp::parse(&event_target_value(&ev)).unwrap_or(ProcOp::Is);
                            tree.step(&po, i, true, |s| if let ProcStep::If { op, .. } = s { *op = v; });
                        }>
                            {ProcOp::ALL.iter().map(|o| view! {
                                <option value=o.as_str() selected=*o == op>{o.label()}</option>
                            }).collect_view()}
                        </select>
                        {op.takes_value().then(|| view! {
                            <input type="text" aria-label="Value" value=value data-testid="step-value" on:input=move |ev| {
                                let v = event_target_value(&ev);
                                tree.step(&pv, i, false, |s| if let ProcStep::If { value, .. } = s { *value = v; });
                            }/>
                        })}
                    </div>
                    <div class="proc-branch"><p class="small"><strong>"Then"</strong></p>
                        {list_view(tree, tools, then_path, then)}</div>
                    <div class="proc-branch"><p class="small"><strong>"Otherwise"</strong></p>
                        {list_view(tree, tools, else_path, otherwise)}</div>
                </div>
            }
            .into_any()
        }
        ProcStep::Reply { text } => {
            let p = path.clone();
            view! {
                <div class="proc-fields">
                    <textarea rows="2" aria-label="Reply" data-testid="step-reply" placeholder="What the customer is told; may quote {{customer.name}}"
                        on:input=move |ev| {
                            let v = event_target_value(&ev);
                            tree.step(&p, i, false, |s| if let ProcStep::Reply { text } = s { *text = v; });
                        }>{text}</textarea>
                </div>
            }
            .into_any()
        }
        ProcStep::Escalate { reason } => {
            let p = path.clone();
            view! {
                <div class="proc-fields">
                    <input type="text" aria-label="Why" value=reason data-testid="step-reason" placeholder="Why a person should take over"
                        on:input=move |ev| {
                            let v = event_target_value(&ev);
                            tree.step(&p, i, false, |s| if let ProcStep::Escalate { reason } = s { *reason = v; });
                        }/>
                </div>
            }
            .into_any()
        }
        ProcStep::Stop => {
            view! { <p class="small muted">"The procedure ends here."</p> }.into_any()
        }
    };
    view! {
        <li class="proc-step card" data-testid="proc-step" data-kind=s.kind() data-path=label.clone()>
            <header class="row">
                <strong>{label.clone()} ". " {ProcStep::kind_label(s.kind())}</strong>
                <span class="spacer"></span>
                <button type="button" class="btn btn-ghost btn-small" aria-label="Move up" disabled=first
                    on:click=move |_| here.with_value(|p| tree.edit(p, true, |l| if i > 0 { l.swap(i, i - 1) }))>"↑"</button>
                <button type="button" class="btn btn-ghost btn-small" aria-label="Move down" disabled=last
                    on:click=move |_| here.with_value(|p| tree.edit(p, true, |l| if i + 1 < l.len() { l.swap(i, i + 1) }))>"↓"</button>
                <button type="button" class="btn btn-ghost btn-small" aria-label="Remove step" data-testid="remove-step"
                    on:click=move |_| here.with_value(|p| tree.edit(p, true, |l| { if i < l.len() { l.remove(i); } }))>"✕"</button>
            </header>
            {body}
        </li>
    }
}

fn preview_view(p: ProcPreview) -> impl IntoView {
    view! {
        <div class="proc-preview" data-testid="proc-preview">
            {match p.matched.clone() {
                Some(m) => view! { <p class="alert alert-ok small" data-testid="preview-match">"The message matches “" {m} "”: the agent follows this procedure."</p> }.into_any(),
                None => view! { <p class="alert small" data-testid="preview-match">"The message matches no trigger phrase: the agent would not start this procedure on it (the steps below show what it would do if it did)."</p> }.into_any(),
            }}
            {p.ticket.clone().map(|t| view! { <p class="small muted">"Sample ticket: " {t}</p> })}
            <ol class="proc-trace" data-testid="preview-trace">
                {p.trace.into_iter().map(|l| view! {
                    <li class=format!("trace-{}", l.tone) style=format!("margin-left: {}rem", f32::from(l.depth) * 1.25) data-testid="trace-line" data-tone=l.tone.clone()>
                        <span class="badge badge-muted">{l.path}</span> " " <strong>{l.text}</strong>
                        <br/><span class="small">{l.outcome}</span>
                    </li>
                }).collect_view()}
            </ol>
            {p.reply.map(|r| view! { <p class="small"><strong>"The customer is told: "</strong> "“" {r} "”"</p> })}
            <p data-testid="preview-result"><strong>{p.result}</strong></p>
            <details><summary class="small">"Facts read"</summary>
                <table class="table small">{p.facts.into_iter().map(|(k, v)| view! { <tr><td><code>{k}</code></td><td>{v}</td></tr> }).collect_view()}</table>
            </details>
        </div>
    }
}

/// `/app/settings/procedures`.
#[component]
pub fn ProceduresPage() -> impl IntoView {
    let save = ServerAction::<SaveProcedure>::new();
    let delete = ServerAction::<DeleteProcedure>::new();
    let compile = ServerAction::<CompileProcedure>::new();
    let preview = ServerAction::<PreviewProcedure>::new();
    let page = Resource::new(
        move || (save.version().get(), delete.version().get()),
        |_| get_procedures(),
    );
    let form = RwSignal::new(ProcedureForm {
        enabled: true,
        ..ProcedureForm::default()
    });
    // Redraws the form's fields (loading a procedure, a compile).
    let loaded = RwSignal::new(0_u64);
    let tree = Tree {
        steps: RwSignal::new(Vec::new()),
        shape: RwSignal::new(0),
    };
    let sample_ticket = RwSignal::new(String::new());
    let sample_message = RwSignal::new(String::new());
    let err = action_error(save.value());
    let compile_err = action_error(compile.value());
    let preview_err = action_error(preview.value());
    let field_msg = move |f: &'static str| {
        move || {
            err.get()
                .or_else(|| preview_err.get())
                .filter(|e| e.field_name() == Some(f))
                .map(|e| view! { <p class="field-error" role="alert">{e.to_string()}</p> })
        }
    };
    let load = move |p: Option<ProcedureView>| {
        let f = p.map_or_else(
            || ProcedureForm {
                enabled: true,
                ..ProcedureForm::default()
            },
            |p| ProcedureForm {
                id: Some(p.id),
                name: p.name,
                instructions: p.instructions,
                triggers: p.triggers.join("\n"),
                steps: Vec::new(),
                enabled: p.enabled,
                compiled_with: p.compiled_with,
            },
        );
        let steps = match &f.id {
            Some(_) => page
                .get_untracked()
                .and_then(Result::ok)
                .and_then(|pg| pg.procedures.into_iter().find(|x| Some(x.id) == f.id))
                .map(|p| p.steps)
                .unwrap_or_default(),
            None => Vec::new(),
        };
        form.set(f);
        tree.set_all(steps);
        loaded.update(|n| *n += 1);
        preview.clear();
        save.clear();
        compile.clear();
    };
    Effect::new(move |_| {
        if let Some(Ok(v)) = save.value().get() {
            form.update_untracked(|f| f.id = Some(v.id));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(c)) = compile.value().get() {
            form.update_untracked(|f| {
                f.triggers = c.triggers.clone();
                f.compiled_with = Some(c.provider.clone());
            });
            tree.set_all(c.steps.clone());
            loaded.update(|n| *n += 1);
        }
    });
    let current = move || {
        let mut f = form.get_untracked();
        f.steps = tree.steps.get_untracked();
        f
    };
    view! {
        <Title text="Procedures"/>
        <header class="page-head">
            <h1>"Procedures"</h1>
            <p class="muted">"Step-by-step instructions the AI agent follows when a customer's message matches a trigger phrase. Tool steps go through the "
                <a href="/app/settings/ai-policies">"AI policies"</a> " like any action: some run at once, others wait in "
                <a href="/app/approvals">"Approvals"</a> "."</p>
        </header>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(p) => {
                        let tools = StoredValue::new(p.tools.clone());
                        let provider = p.provider.clone();
                        let all = p.procedures.clone();
                        view! {
                            <section class="card">
                                <div class="row">
                                    <h2>"Your procedures"</h2>
                                    <span class="spacer"></span>
                                    <button class="btn btn-small" data-testid="new-procedure" on:click=move |_| load(None)>"New procedure"</button>
                                </div>
                                {if all.is_empty() {
                                    view! { <p class="muted">"None yet. Write one below: say when it applies and what to do."</p> }.into_any()
                                } else {
                                    view! {
                                        <table class="table" data-testid="procedure-list">
                                            <thead><tr><th>"Name"</th><th>"Starts when the customer writes"</th><th>"Steps"</th><th>"Followed"</th><th></th></tr></thead>
                                            <tbody>{all.into_iter().map(|pv| {
                                                let id = pv.id;
                                                let pv2 = pv.clone();
                                                view! {
                                                    <tr data-testid="procedure-row">
                                                        <td><strong>{pv.name.clone()}</strong>
                                                            {(!pv.enabled).then(|| view! { <span class="badge badge-muted">"off"</span> })}
                                                            {pv.compiled_with.clone().map(|c| view! { <span class="badge">"compiled by " {c}</span> })}</td>
                                                        <td class="small">{pv.triggers.join(" · ")}</td>
                                                        <td>{pv.steps.len()}</td>
                                                        <td class="small">{pv.runs} " time(s)" {pv.last_run_at.clone().map(|t| format!(", last {}", fmt_time(&t)))}</td>
                                                        <td class="actions">
                                                            <button class="btn btn-ghost btn-small" data-testid="edit-procedure" on:click=move |_| load(Some(pv2.clone()))>"Edit"</button>
                                                            <button class="btn btn-ghost btn-small" on:click=move |_| { delete.dispatch(DeleteProcedure { id }); }>"Delete"</button>
                                                        </td>
                                                    </tr>
                                                }
                                            }).collect_view()}</tbody>
                                        </table>
                                    }.into_any()
                                }}
                            </section>
                            // Keyed by `loaded`: a loaded procedure gets fresh fields (a field
                            // rebuilt in place keeps what was typed in it before).
                            <For each=move || [loaded.get()] key=|k| *k children=move |_| {
                                let f = form.get_untracked();
                                let provider = provider.clone();
                                view! {
                                    <section class="card" data-testid="procedure-editor">
                                        <h2>{if f.id.is_some() { "Edit procedure" } else { "New procedure" }}</h2>
                                        <div class="form">
                                            <label for="proc-name">"Name"</label>
                                            <input id="proc-name" type="text" value=f.name.clone() data-testid="proc-name" placeholder="Address change"
                                                on:input=move |ev| form.update_untracked(|f| f.name = event_target_value(&ev))/>
                                            {field_msg("name")}
                                            <label for="proc-words">"Instructions, in your words"</label>
                                            <textarea id="proc-words" rows="3" data-testid="proc-instructions"
                                                placeholder="When a customer asks to change their address: look up the order; if it has not shipped, update it; otherwise hand it to a person."
                                                on:input=move |ev| form.update_untracked(|f| f.instructions = event_target_value(&ev))>{f.instructions.clone()}</textarea>
                                            {field_msg("instructions")}
                                            {match provider {
                                                Some(name) => view! {
                                                    <p><button type="button" class="btn btn-small" data-testid="compile"
                                                        on:click=move |_| {
                                                            let f = form.get_untracked();
                                                            compile.dispatch(CompileProcedure { name: f.name, instructions: f.instructions });
                                                        }>{format!("Compile into steps with {name}")}</button>
                                                        <span class="small muted">" You review the steps before saving."</span></p>
                                                }.into_any(),
                                                None => view! {
                                                    <p class="small muted" data-testid="compile-unavailable">"No AI provider is configured, so the steps are not compiled from your words: build them below. (With a provider in "
                                                        <a href="/app/settings/ai">"Settings → AI"</a> ", a button here turns the instructions into steps.)"</p>
                                                }.into_any(),
                                            }}
                                            {move || compile.pending().get().then(|| view! { <p class="small muted">"Compiling…"</p> })}
                                            {move || compile_err.get().map(|e| view! { <p class="alert alert-error small">{e.to_string()}</p> })}
                                            {move || compile.value().get().and_then(Result::ok).and_then(|c| c.problem).map(|p| view! {
                                                <p class="alert alert-error small" data-testid="compile-problem">"The compiled steps need a fix before saving: " {p}</p>
                                            })}
                                            <label for="proc-triggers">"Starts when the customer writes (one phrase per line; every word of a phrase must appear)"</label>
                                            <textarea id="proc-triggers" rows="2" data-testid="proc-triggers" placeholder="change my address"
                                                on:input=move |ev| form.update_untracked(|f| f.triggers = event_target_value(&ev))>{f.triggers.clone()}</textarea>
                                            {field_msg("triggers")}
                                            <label class="check"><input type="checkbox" checked=f.enabled data-testid="proc-enabled"
                                                on:change=move |ev| form.update_untracked(|f| f.enabled = event_target_checked(&ev))/>" The agent follows it"</label>
                                        </div>
                                        <h3>"Steps"</h3>
                                        // Keyed by `shape`: each structural change draws fresh fields.
                                        <For each=move || [tree.shape.get()] key=|k| *k children=move |_| {
                                            list_view(tree, tools, Vec::new(), tree.steps.get_untracked())
                                        }/>
                                        {field_msg("steps")}
                                        <FormError error=err fields=&["name", "instructions", "triggers", "steps"]/>
                                        <div class="row">
                                            <button class="btn btn-primary" data-testid="save-procedure"
                                                on:click=move |_| { save.dispatch(SaveProcedure { form: current() }); }>"Save procedure"</button>
                                            {move || save.value().get().and_then(Result::ok).map(|v| view! {
                                                <span class="small muted" data-testid="saved">"Saved “" {v.name} "”."</span>
                                            })}
                                        </div>
                                    </section>
                                }
                            }/>
                            <section class="card" data-testid="procedure-preview">
                                <h2>"Preview"</h2>
                                <p class="small muted">"Follows the steps above (saved or not) on a sample ticket and message. Nothing is changed and nothing is sent; tool steps show what the policies would decide."</p>
                                <div class="form">
                                    <label for="pv-ticket">"Sample ticket number (empty: the newest ticket)"</label>
                                    <input id="pv-ticket" type="text" inputmode="numeric" data-testid="preview-ticket"
                                        prop:value=move || sample_ticket.get() on:input=move |ev| sample_ticket.set(event_target_value(&ev))/>
                                    {field_msg("ticket")}
                                    <label for="pv-message">"Customer's message (empty: the ticket's last one)"</label>
                                    <textarea id="pv-message" rows="2" data-testid="preview-message"
                                        prop:value=move || sample_message.get() on:input=move |ev| sample_message.set(event_target_value(&ev))></textarea>
                                </div>
                                <button class="btn" data-testid="run-preview" on:click=move |_| {
                                    let ticket = sample_ticket.get_untracked().trim().trim_start_matches('#').parse::<i32>().ok();
                                    preview.dispatch(PreviewProcedure { form: current(), ticket, message: sample_message.get_untracked() });
                                }>"Run preview"</button>
                                {move || preview.value().get().map(|r| match r {
                                    Err(e) if e.field_name().is_some() => view! { <p class="alert alert-error small">{e.to_string()}</p> }.into_any(),
                                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                                    Ok(p) => preview_view(p).into_any(),
                                })}
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
