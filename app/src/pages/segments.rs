//! `/app/segments`: customer segments. Each is a name and nested AND/OR
//! conditions over the customer (name, email and its domain, company, how long
//! they have been a customer) and their tickets (how many, how many open, how
//! recent, on which channels, with which tags). Counts are live: the list counts
//! every segment when it loads, and the editor counts who its conditions select
//! as you build them, with the first few customers.

use crate::components::{action_error, ErrorBox, FormError, Loading};
use crate::pages::conditions::{cond_view, Ed, Tree};
use crate::serverfns::segments::{get_segments, DeleteSegment, PreviewSegment, SaveSegment};
use crate::types::{Cond, RuleField, SegmentForm, SegmentPreview, SegmentView};
use leptos::prelude::*;
use leptos_meta::Title;

/// Whether every test that compares with a value has one.
fn complete(c: &Cond) -> bool {
    match c {
        Cond::Group { items, .. } => items.iter().all(complete),
        Cond::Test { op, value, .. } => !op.takes_value() || !value.trim().is_empty(),
    }
}

fn preview_view(p: SegmentPreview) -> impl IntoView {
    let none = p.sample.is_empty();
    view! {
        <div class="segment-preview" data-testid="segment-preview">
            <p><strong data-testid="segment-count">{p.count}</strong>
                {format!(" of {} customers match now.", p.total)}</p>
            {(!none).then(|| view! {
                <ul class="plain small">
                    {p.sample.into_iter().map(|m| view! {
                        <li data-testid="segment-member">
                            <strong>{m.name}</strong>
                            {m.email.map(|e| view! { " · " <span class="muted">{e}</span> })}
                            {m.company.map(|c| view! { " · " <span class="muted">{c}</span> })}
                        </li>
                    }).collect_view()}
                </ul>
            })}
        </div>
    }
}

fn segment_rows(
    list: Vec<SegmentView>,
    total: u64,
    open: impl Fn(SegmentView) + Copy + Send + Sync + 'static,
    delete: ServerAction<DeleteSegment>,
) -> impl IntoView {
    if list.is_empty() {
        return view! {
            <p class="muted" data-testid="no-segments">"No segments yet. A segment is a group of customers — “Regulars: two tickets or more”, “Everyone at acme.com” — that flows branch on and campaigns will reach."</p>
        }
        .into_any();
    }
    view! {
        <table class="table" data-testid="segments">
            <thead><tr><th>"Segment"</th><th>"Who"</th><th>"Customers"</th><th>"Used by"</th><th></th></tr></thead>
            <tbody>
                {list.into_iter().map(|s| {
                    let row = s.clone();
                    let id = s.id;
                    let name = s.name.clone();
                    view! {
                        <tr data-testid="segment-row" data-name=s.name.clone()>
                            <td><strong>{s.name.clone()}</strong>
                                {(!s.description.is_empty()).then(|| view! { <br/><span class="small muted">{s.description.clone()}</span> })}
                                <br/><span class="small muted">{format!("segment.{}", s.id)}</span></td>
                            <td class="small">{s.summary.clone()}</td>
                            <td data-testid="segment-row-count">{s.count}<span class="small muted">{format!(" of {total}")}</span></td>
                            <td class="small">{if s.used_by.is_empty() { "—".to_owned() } else { s.used_by.join(", ") }}</td>
                            <td class="nowrap">
                                <button class="btn btn-ghost btn-small" data-testid="edit-segment" on:click=move |_| open(row.clone())>"Edit"</button>
                                <button class="btn btn-ghost btn-small" data-testid="delete-segment" aria-label=format!("Delete {name}")
                                    on:click=move |_| { delete.dispatch(DeleteSegment { id }); }>"Delete"</button>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// `/app/segments`.
#[component]
pub fn SegmentsPage() -> impl IntoView {
    let save = ServerAction::<SaveSegment>::new();
    let delete = ServerAction::<DeleteSegment>::new();
    let preview = ServerAction::<PreviewSegment>::new();
    let page = Resource::new(
        move || (save.version().get(), delete.version().get()),
        |_| get_segments(),
    );
    let tree = Tree {
        cond: RwSignal::new(Cond::default()),
        shape: RwSignal::new(0),
    };
    let form = RwSignal::new(SegmentForm::default());
    // Bumped to redraw the editor with the form's values.
    let loaded = RwSignal::new(0_u64);
    let err = action_error(save.value());
    let del_err = action_error(delete.value());
    let preview_err = action_error(preview.value());
    let count = move || {
        preview.dispatch(PreviewSegment {
            conditions: tree.cond.get_untracked(),
        })
    };
    let field_msg = move |f: &'static str| {
        move || {
            err.get()
                .filter(|e| e.field_name() == Some(f))
                .map(|e| view! { <p class="field-error" role="alert">{e.to_string()}</p> })
        }
    };
    let load = move |s: Option<SegmentView>| {
        let f = s.map_or_else(SegmentForm::default, |s| SegmentForm {
            id: Some(s.id),
            name: s.name,
            description: s.description,
            conditions: s.conditions,
        });
        tree.set_all(f.conditions.clone());
        form.set(f);
        loaded.update(|n| *n += 1);
        save.clear();
    };
    // Every structural change (a condition added, removed, a field or an
    // operator picked) counts again once every test has its value; typed values
    // count on "Count" or when saved.
    Effect::new(move |prev: Option<u64>| {
        let shape = tree.shape.get();
        if prev.is_some() && tree.cond.with_untracked(complete) {
            count();
        }
        shape
    });
    Effect::new(move |_| {
        if let Some(Ok(v)) = save.value().get() {
            form.update_untracked(|f| f.id = Some(v.id));
        }
    });
    let current = move || {
        let mut f = form.get_untracked();
        f.conditions = tree.cond.get_untracked();
        f
    };
    view! {
        <Title text="Segments"/>
        <header class="page-head">
            <h1>"Segments"</h1>
            <p class="muted">"Groups of customers by who they are, what they asked you, what they did on your site and what they ordered. Flows branch on them; campaigns, targeted messages and tours reach them. Counts are always current."</p>
        </header>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(p) => {
                        let fields: Vec<RuleField> = p.fields;
                        let ed = Ed {
                            tree,
                            fields: StoredValue::new(fields),
                            empty_hint: "No conditions: every customer is in it.",
                        };
                        view! {
                            <section class="card">
                                <div class="row">
                                    <h2>"Your segments"</h2>
                                    <span class="spacer"></span>
                                    <button class="btn btn-small" data-testid="new-segment" on:click=move |_| load(None)>"New segment"</button>
                                </div>
                                {move || del_err.get().map(|e| view! { <p class="alert alert-error small" role="alert">{e.to_string()}</p> })}
                                {segment_rows(p.segments, p.total, move |s| load(Some(s)), delete)}
                            </section>
                            <For each=move || [loaded.get()] key=|k| *k children=move |_| {
                                let f = form.get_untracked();
                                view! {
                                    <section class="card" data-testid="segment-editor">
                                        <h2>{if f.id.is_some() { "Edit segment" } else { "New segment" }}</h2>
                                        <div class="form">
                                            <label for="segment-name">"Name"</label>
                                            <input id="segment-name" type="text" value=f.name.clone() data-testid="segment-name" placeholder="Regulars: two tickets or more"
                                                on:input=move |ev| form.update_untracked(|f| f.name = event_target_value(&ev))/>
                                            {field_msg("name")}
                                            <label for="segment-desc">"What it is for (optional)"</label>
                                            <input id="segment-desc" type="text" value=f.description.clone() data-testid="segment-description"
                                                on:input=move |ev| form.update_untracked(|f| f.description = event_target_value(&ev))/>
                                            {field_msg("description")}
                                        </div>
                                        <h3>"Customers who"</h3>
                                        <For each=move || [tree.shape.get()] key=|k| *k children=move |_| {
                                            cond_view(ed, Vec::new(), tree.cond.get_untracked())
                                        }/>
                                        {field_msg("conditions")}
                                        <FormError error=err fields=&["name", "description", "conditions"]/>
                                        {move || preview_err.get().map(|e| view! { <p class="field-error" role="alert" data-testid="preview-error">{e.to_string()}</p> })}
                                        <div class="row">
                                            <button class="btn btn-primary" data-testid="save-segment"
                                                on:click=move |_| { save.dispatch(SaveSegment { form: current() }); }>"Save segment"</button>
                                            <button class="btn" data-testid="count-segment" on:click=move |_| { count(); }>"Count"</button>
                                            {move || save.value().get().and_then(Result::ok).map(|v| view! {
                                                <span class="small muted" data-testid="segment-saved">{format!("Saved “{}”: {} customers.", v.name, v.count)}</span>
                                            })}
                                        </div>
                                        {move || preview.value().get().and_then(Result::ok).map(preview_view)}
                                    </section>
                                }
                            }/>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
