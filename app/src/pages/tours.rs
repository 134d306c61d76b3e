//! `/app/tours`: product tours. The editor holds a tour's start page, its steps
//! and its rules; **Record steps on your page** opens the start page with the
//! builder overlay (`public/widget-tour-builder.js`), where the admin points at
//! elements and writes each step, which comes back to this window; **Preview
//! on your page** runs the draft there. Publishing makes the draft what
//! visitors get; the list and the editor show per-step analytics.

use crate::components::{action_error, fmt_time, ErrorBox, FormError, Loading};
use crate::pages::targeted::{percent, rules_fields, status_badge};
use crate::serverfns::tours::{get_tours, DeleteTour, SaveTour, SetTourStatus};
use crate::types::{TourForm, TourStep, TourView, TOUR_ADVANCES, TOUR_ON_MISSING, TOUR_PLACEMENTS};
use leptos::prelude::*;
use leptos_meta::Title;
#[cfg(any(feature = "hydrate", test))]
use serde::Deserialize;

/// A step as the builder overlay sends it (the editor gives it its id).
#[cfg(any(feature = "hydrate", test))]
#[derive(Debug, Deserialize)]
struct Recorded {
    sbw: String,
    step: Option<RecordedStep>,
}

#[cfg(any(feature = "hydrate", test))]
#[derive(Debug, Deserialize)]
struct RecordedStep {
    title: String,
    #[serde(default)]
    body: String,
    target: crate::types::TourTarget,
}

/// The origin (`https://shop.test:8080`) of an address.
#[cfg(any(feature = "hydrate", test))]
fn origin_of(url: &str) -> String {
    let url = url.trim();
    let Some((scheme, rest)) = url.split_once("://") else {
        return String::new();
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    format!("{}://{}", scheme.to_lowercase(), host.to_lowercase())
}

/// The next free step id (`s1`, `s2`, …).
#[cfg(any(feature = "hydrate", test))]
fn next_id(steps: &[TourStep]) -> String {
    let n = steps
        .iter()
        .filter_map(|s| s.id.strip_prefix('s').and_then(|n| n.parse::<u32>().ok()))
        .max()
        .unwrap_or(0);
    format!("s{}", n + 1)
}

/// Browser-only plumbing: the window the builder runs in, and its messages.
#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::RefCell;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;

    thread_local! {
        static POPUP: RefCell<Option<web_sys::Window>> = const { RefCell::new(None) };
    }

    /// This window's origin.
    pub fn origin() -> String {
        web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default()
    }

    /// Opens `url` in a new window (kept for answering its preview request).
    pub fn open(url: &str) {
        let w = web_sys::window()
            .and_then(|w| w.open_with_url_and_target(url, "_blank").ok().flatten());
        POPUP.with(|p| *p.borrow_mut() = w);
    }

    /// Sends `text` to the opened window, if it is on `origin`.
    pub fn post(text: &str, origin: &str) {
        POPUP.with(|p| {
            if let Some(w) = p.borrow().as_ref() {
                let _ = w.post_message(&JsValue::from_str(text), origin);
            }
        });
    }

    /// Calls `f(origin, text)` for every string message this window gets.
    pub fn listen(f: impl Fn(String, String) + 'static) {
        let on = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            if let Some(text) = e.data().as_string() {
                f(e.origin(), text);
            }
        });
        if let Some(w) = web_sys::window() {
            let _ = w.add_event_listener_with_callback("message", on.as_ref().unchecked_ref());
        }
        on.forget();
    }
}

fn tour_rows(
    list: Vec<TourView>,
    open: impl Fn(TourView) + Copy + Send + Sync + 'static,
    delete: ServerAction<DeleteTour>,
) -> impl IntoView {
    if list.is_empty() {
        return view! {
            <p class="muted" data-testid="no-tours">"No tours yet. A tour walks visitors through your own product or store, step by step, pointing at the real buttons. Make one, open your page from it and point at what to show."</p>
        }
        .into_any();
    }
    view! {
        <table class="table" data-testid="tours">
            <thead><tr><th>"Tour"</th><th>"Where and who"</th><th>"Started"</th><th>"Finished"</th><th></th></tr></thead>
            <tbody>
                {list.into_iter().map(|t| {
                    let row = t.clone();
                    let id = t.form.id.unwrap_or_default();
                    let name = t.form.name.clone();
                    view! {
                        <tr data-testid="tour-row" data-name=t.form.name.clone()>
                            <td><strong>{t.form.name.clone()}</strong>" "{status_badge(&t.status, "tour-status")}
                                <br/><span class="small muted">{format!("{} steps{}", t.form.steps.len(), if t.unpublished_changes && t.status != "draft" { " · unpublished changes" } else { "" })}</span>
                                <br/><span class="small muted">"Changed "{fmt_time(&t.updated_at)}</span></td>
                            <td class="small">{t.summary.clone()}<br/><span class="muted">{t.form.start_url.clone()}</span></td>
                            <td data-testid="tour-started">{t.started}</td>
                            <td data-testid="tour-completed">{t.completed}<span class="small muted">{format!(" {}", percent(t.completed, t.started))}</span></td>
                            <td class="nowrap">
                                <button class="btn btn-ghost btn-small" data-testid="edit-tour" on:click=move |_| open(row.clone())>"Edit"</button>
                                <button class="btn btn-ghost btn-small" data-testid="delete-tour" aria-label=format!("Delete {name}")
                                    on:click=move |_| { delete.dispatch(DeleteTour { id }); }>"Delete"</button>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

fn step_editor(
    i: usize,
    s: TourStep,
    count: usize,
    form: RwSignal<TourForm>,
    shape: RwSignal<u64>,
) -> impl IntoView {
    let edit = move |f: &dyn Fn(&mut TourStep)| {
        form.update_untracked(|t| {
            if let Some(st) = t.steps.get_mut(i) {
                f(st);
            }
        });
    };
    let restructure = move |f: &dyn Fn(&mut Vec<TourStep>)| {
        form.update_untracked(|t| f(&mut t.steps));
        shape.update(|n| *n += 1);
    };
    let sel_id = format!("tour-step-{}", s.id);
    view! {
        <li class="tour-step" data-testid="tour-step" data-step=s.id.clone()>
            <div class="row">
                <strong>{format!("Step {}", i + 1)}</strong>
                <span class="small muted">{if s.target.label.is_empty() { String::new() } else { format!("points at “{}”", s.target.label) }}</span>
                <span class="spacer"></span>
                <button class="btn btn-ghost btn-small" aria-label="Move up" disabled=i == 0
                    on:click=move |_| restructure(&|v| v.swap(i, i - 1))>"↑"</button>
                <button class="btn btn-ghost btn-small" aria-label="Move down" disabled=i + 1 == count
                    on:click=move |_| restructure(&|v| v.swap(i, i + 1))>"↓"</button>
                <button class="btn btn-ghost btn-small" data-testid="remove-step"
                    on:click=move |_| restructure(&|v| { v.remove(i); })>"Remove"</button>
            </div>
            <div class="form">
                <input type="text" data-testid="step-title" aria-label="Headline" value=s.title.clone()
                    on:input=move |ev| { let v = event_target_value(&ev); edit(&|st| st.title = v.clone()); }/>
                <textarea rows="2" data-testid="step-body" aria-label="Text" placeholder="What to say about it"
                    on:input=move |ev| { let v = event_target_value(&ev); edit(&|st| st.body = v.clone()); }>{s.body.clone()}</textarea>
                <div class="tour-opts">
                    <label class="small"><span>"Popover"</span>
                        {choice_select_id(format!("{sel_id}-placement"), TOUR_PLACEMENTS, &s.placement, move |v| edit(&|st| st.placement = v.clone()))}</label>
                    <label class="small"><span>"Goes on with"</span>
                        {choice_select_id(format!("{sel_id}-advance"), TOUR_ADVANCES, &s.advance, move |v| edit(&|st| st.advance = v.clone()))}</label>
                    <label class="small"><span>"If its element is missing"</span>
                        {choice_select_id(format!("{sel_id}-missing"), TOUR_ON_MISSING, &s.on_missing, move |v| edit(&|st| st.on_missing = v.clone()))}</label>
                </div>
                <details>
                    <summary class="small muted">"Selectors (tried in order, one per line)"</summary>
                    <textarea rows="3" class="mono small" data-testid="step-selectors" aria-label="Selectors"
                        on:input=move |ev| {
                            let v: Vec<String> = event_target_value(&ev).lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
                            edit(&|st| st.target.selectors = v.clone());
                        }>{s.target.selectors.join("\n")}</textarea>
                </details>
            </div>
        </li>
    }
}

fn choice_select_id(
    id: String,
    list: &'static [(&'static str, &'static str)],
    current: &str,
    on: impl Fn(String) + 'static,
) -> impl IntoView {
    let current = current.to_owned();
    view! {
        <select id=id on:change=move |ev| on(event_target_value(&ev))>
            {list.iter().map(|(v, l)| view! { <option value=*v selected=current == *v>{*l}</option> }).collect_view()}
        </select>
    }
}

fn analytics(t: &TourView) -> impl IntoView {
    if t.steps.is_empty() {
        return view! { <p class="muted small">"Not published yet: analytics start when it is live."</p> }.into_any();
    }
    view! {
        <table class="table" data-testid="tour-analytics">
            <thead><tr><th>"Step"</th><th>"Seen by"</th><th>"Element missing"</th><th>"Closed here"</th></tr></thead>
            <tbody>
                {t.steps.iter().enumerate().map(|(i, s)| view! {
                    <tr data-testid="tour-step-stats" data-step=s.id.clone()>
                        <td>{format!("{}. {}", i + 1, s.title)}</td>
                        <td data-testid="step-shown">{s.shown}<span class="small muted">{format!(" {}", percent(s.shown, t.started))}</span></td>
                        <td data-testid="step-missing">{s.missing}</td>
                        <td data-testid="step-dismissed">{s.dismissed}</td>
                    </tr>
                }).collect_view()}
                <tr><td><strong>"Finished"</strong></td><td data-testid="tour-finished">{t.completed}<span class="small muted">{format!(" {}", percent(t.completed, t.started))}</span></td><td></td><td></td></tr>
            </tbody>
        </table>
    }
    .into_any()
}

/// The editor's state that outlives one drawing of it (the page redraws the
/// editor when the list reloads after a save).
#[derive(Clone, Copy)]
struct EditorState {
    form: RwSignal<TourForm>,
    /// Bumped when steps are added, removed or moved.
    shape: RwSignal<u64>,
    /// A line for the admin (a step recorded, a window opened).
    note: RwSignal<Option<String>>,
}

/// Takes the steps the builder window records and answers a preview
/// window's request for the draft (once per page).
#[cfg(feature = "hydrate")]
fn listen_to_builder(st: EditorState) {
    let EditorState { form, shape, note } = st;
    browser::listen(move |origin, text| {
        let want = form.with_untracked(|f| origin_of(&f.start_url));
        if origin != want {
            return;
        }
        let Ok(msg) = serde_json::from_str::<Recorded>(&text) else {
            return;
        };
        match (msg.sbw.as_str(), msg.step) {
            ("tour-step", Some(r)) => {
                form.update_untracked(|f| {
                    let mut st = TourStep::new(&next_id(&f.steps), r.title.trim(), &[]);
                    st.body = r.body;
                    st.target = r.target;
                    st.target.selectors.truncate(6);
                    st.title = st.title.chars().take(120).collect();
                    f.steps.push(st);
                });
                shape.update(|n| *n += 1);
                note.set(Some("Step recorded. Save the draft to keep it.".into()));
            }
            ("tour-preview-ready", _) => {
                let steps = form.with_untracked(|f| {
                    serde_json::json!({ "sbw": "tour-preview", "steps": f.steps }).to_string()
                });
                browser::post(&steps, &want);
            }
            _ => {}
        }
    });
}

fn editor(
    start: Option<TourView>,
    st: EditorState,
    segments: StoredValue<Vec<(i32, String)>>,
    save: ServerAction<SaveTour>,
    status: ServerAction<SetTourStatus>,
    close: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let EditorState { form, shape, note } = st;
    let f = form.get_untracked();
    let err = action_error(save.value());
    let status_err = action_error(status.value());
    let field_msg = move |name: &'static str| {
        move || {
            err.get()
                .filter(|e| e.field_name() == Some(name))
                .map(|e| view! { <p class="field-error" role="alert">{e.to_string()}</p> })
        }
    };
    let open_page = move |mode: &'static str| {
        let url = form.with_untracked(|f| f.start_url.trim().to_owned());
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            note.set(Some(
                "Give the page the tour starts on first (https://…).".into(),
            ));
            return;
        }
        #[cfg(feature = "hydrate")]
        {
            let base = url.split('#').next().unwrap_or_default().to_owned();
            let target = format!("{base}#sb-tour={mode}&origin={}", browser::origin());
            browser::open(&target);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = mode;
        note.set(Some(if mode == "build" {
            "Your page opened in a new window: point at elements there; each step comes back here."
                .into()
        } else {
            "The draft runs in the new window.".into()
        }));
    };
    let id = f.id;
    view! {
        <section class="card" data-testid="tour-editor">
            <div class="row">
                <h2>{if id.is_some() { "Edit tour" } else { "New tour" }}</h2>
                {start.as_ref().map(|t| status_badge(&t.status, "tour-status"))}
                <span class="spacer"></span>
                <button class="btn btn-ghost btn-small" data-testid="close-tour" on:click=move |_| close()>"Close"</button>
            </div>
            <div class="grid-2">
                <div class="form">
                    <label for="tour-name">"Name (for you)"</label>
                    <input id="tour-name" type="text" data-testid="tour-name" value=f.name.clone() placeholder="Welcome to the store"
                        on:input=move |ev| form.update_untracked(|f| f.name = event_target_value(&ev))/>
                    {field_msg("name")}
                    <label for="tour-url">"The page it starts on"</label>
                    <input id="tour-url" type="url" data-testid="tour-url" value=f.start_url.clone() placeholder="https://your-site.example/"
                        on:input=move |ev| form.update_untracked(|f| f.start_url = event_target_value(&ev))/>
                    {field_msg("start_url")}
                    <p class="muted small">"The page needs the chat widget's script. Recording opens it with an overlay: point at an element, write the step, repeat."</p>
                    <div class="row gap wrap">
                        <button class="btn" data-testid="record-steps" on:click=move |_| open_page("build")>"Record steps on your page"</button>
                        <button class="btn" data-testid="preview-tour" on:click=move |_| open_page("preview")>"Preview on your page"</button>
                    </div>
                    {move || note.get().map(|n| view! { <p class="small muted" data-testid="tour-note">{n}</p> })}
                    <h3>"Steps"</h3>
                    {move || {
                        shape.get();
                        let steps = form.with_untracked(|f| f.steps.clone());
                        let count = steps.len();
                        if count == 0 {
                            view! { <p class="muted small" data-testid="no-steps">"No steps yet: record them on your page."</p> }.into_any()
                        } else {
                            view! { <ol class="tour-steps">{steps.into_iter().enumerate().map(|(i, s)| step_editor(i, s, count, form, shape)).collect_view()}</ol> }.into_any()
                        }
                    }}
                    {field_msg("steps")}
                    {rules_fields(f.rules.clone(), f.frequency.clone(), segments, err,
                        move |ch| form.update_untracked(|f| ch(&mut f.rules)),
                        move |v| form.update_untracked(|f| f.frequency = v))}
                    <FormError error=err fields=&["name", "start_url", "steps", "page_match", "page_value", "seconds_on_page", "segment_id", "audience", "frequency"]/>
                    <FormError error=status_err fields=&[]/>
                    <div class="row gap wrap">
                        <button class="btn btn-primary" data-testid="save-tour" disabled=move || save.pending().get()
                            on:click=move |_| { save.dispatch(SaveTour { form: form.get_untracked() }); }>"Save draft"</button>
                        <button class="btn" data-testid="publish-tour" disabled=move || form.with(|f| f.id.is_none()) || status.pending().get()
                            title="Save the draft first; publishing makes it what visitors get"
                            on:click=move |_| { if let Some(id) = form.get_untracked().id { status.dispatch(SetTourStatus { id, status: "live".into() }); } }>"Publish"</button>
                        <button class="btn btn-ghost" data-testid="pause-tour" disabled=move || form.with(|f| f.id.is_none()) || status.pending().get()
                            on:click=move |_| { if let Some(id) = form.get_untracked().id { status.dispatch(SetTourStatus { id, status: "paused".into() }); } }>"Pause"</button>
                        {move || save.value().get().and_then(Result::ok).map(|v| view! {
                            <span class="small muted" data-testid="tour-saved">{format!("Saved “{}” ({} steps).", v.form.name, v.form.steps.len())}</span>
                        })}
                        {move || status.value().get().and_then(Result::ok).map(|v| view! {
                            <span class="small muted" data-testid="tour-published">{if v.status == "live" { format!("Published: {} steps are live.", v.published_steps) } else { "Paused.".to_owned() }}</span>
                        })}
                    </div>
                </div>
                <div>
                    <h3>"How it is doing"</h3>
                    {start.as_ref().map(analytics)}
                    <p class="muted small">"A step whose element is not on the page is waited for three seconds, then skipped or the tour ends, as the step says; both are counted."</p>
                </div>
            </div>
        </section>
    }
}

/// `/app/tours`.
#[component]
pub fn ToursPage() -> impl IntoView {
    let save = ServerAction::<SaveTour>::new();
    let status = ServerAction::<SetTourStatus>::new();
    let delete = ServerAction::<DeleteTour>::new();
    let page = Resource::new(
        move || {
            (
                save.version().get(),
                status.version().get(),
                delete.version().get(),
            )
        },
        |_| get_tours(),
    );
    let form = RwSignal::new(TourForm::default());
    let st = EditorState {
        form,
        shape: RwSignal::new(0),
        note: RwSignal::new(None),
    };
    #[cfg(feature = "hydrate")]
    Effect::new(move |prev: Option<()>| {
        if prev.is_none() {
            listen_to_builder(st);
        }
    });
    let current = RwSignal::new(None::<TourView>);
    let opened = RwSignal::new(0_u64);
    let del_err = action_error(delete.value());
    let open = move |t: Option<TourView>| {
        form.set(
            t.as_ref()
                .map_or_else(TourForm::default, |t| t.form.clone()),
        );
        st.note.set(None);
        current.set(t);
        save.clear();
        status.clear();
        opened.update(|n| *n += 1);
    };
    let close = move || opened.set(0);
    // The saved tour's id (Publish needs it) and status and analytics (the
    // editor redraws with them).
    Effect::new(move |_| {
        if let Some(Ok(v)) = save.value().get() {
            form.update(|f| f.id = v.form.id);
            st.note.set(None);
            current.set(Some(v));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(v)) = status.value().get() {
            current.set(Some(v));
        }
    });
    view! {
        <Title text="Product tours"/>
        <header class="page-head">
            <h1>"Product tours"</h1>
            <p class="muted">"Step-by-step tours of your own site, pointing at its real buttons, shown by the chat widget's script to the visitors you choose."</p>
        </header>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(p) => {
                        let segments = StoredValue::new(p.segments);
                        view! {
                            <section class="card">
                                <div class="row">
                                    <h2>"Your tours"</h2>
                                    <span class="spacer"></span>
                                    <button class="btn btn-small" data-testid="new-tour" on:click=move |_| open(None)>"New tour"</button>
                                </div>
                                {move || del_err.get().map(|e| view! { <p class="alert alert-error small" role="alert">{e.to_string()}</p> })}
                                {tour_rows(p.tours, move |t| open(Some(t)), delete)}
                            </section>
                            <For each=move || (opened.get() > 0).then(|| opened.get()) key=|k| *k children=move |_| {
                                editor(current.get_untracked(), st, segments, save, status, close)
                            }/>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_steps_get_the_next_id_and_come_from_the_page() {
        let steps = vec![
            TourStep::new("s1", "a", &["css:#a"]),
            TourStep::new("s7", "b", &["css:#b"]),
        ];
        assert_eq!(next_id(&steps), "s8");
        assert_eq!(next_id(&[]), "s1");
        assert_eq!(
            origin_of("HTTPS://Shop.test:8080/store?x#y"),
            "https://shop.test:8080"
        );
        let r: Option<Recorded> = serde_json::from_str(
            r#"{"sbw":"tour-step","step":{"title":"Hi","target":{"selectors":["css:#a"],"label":"A"}}}"#,
        )
        .ok();
        let (sbw, step) = r.map(|r| (r.sbw, r.step)).unwrap_or_default();
        assert_eq!(sbw, "tour-step");
        let step = step.map(|s| (s.title, s.body, s.target.selectors));
        assert_eq!(
            step,
            Some(("Hi".to_owned(), String::new(), vec!["css:#a".to_owned()]))
        );
    }
}
