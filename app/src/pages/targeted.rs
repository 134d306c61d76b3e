//! `/app/messages`: targeted messages — banners, modals, slide-ins and tooltips
//! the chat widget's script shows on the customer's own site, by page address,
//! time on the page and segment, once or more — with how each has done (shown,
//! clicked, closed). The editor previews the message as it will look.

use crate::components::{action_error, fmt_time, ErrorBox, FormError, Loading};
use crate::serverfns::targeted::{get_targeted, DeleteTargeted, SaveTargeted};
use crate::types::{
    label_of, placements, TargetRules, TargetedMessageForm, TargetedMessageView, AUDIENCES,
    MESSAGE_FREQUENCIES, MESSAGE_STATUSES, MESSAGE_STYLES, PAGE_MATCHES,
};
use leptos::prelude::*;
use leptos_meta::Title;

const FIELDS: &[&str] = &[
    "name",
    "style",
    "status",
    "placement",
    "title",
    "body",
    "button_label",
    "button_url",
    "anchor",
    "frequency",
    "page_match",
    "page_value",
    "seconds_on_page",
    "segment_id",
    "audience",
];

/// `part` of `whole` as a whole percentage ("—" of nothing).
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "—".into()
    } else {
        #[allow(clippy::cast_precision_loss)]
        let p = part as f64 * 100.0 / whole as f64;
        format!("{p:.0}%")
    }
}

/// A draft / live / paused badge (`testid` names it for the tests).
pub fn status_badge(status: &str, testid: &'static str) -> impl IntoView {
    let class = match status {
        "live" => "badge badge-success",
        "paused" => "badge badge-warning",
        _ => "badge badge-muted",
    };
    view! { <span class=class data-testid=testid>{label_of(MESSAGE_STATUSES, status).to_owned()}</span> }
}

fn message_rows(
    list: Vec<TargetedMessageView>,
    open: impl Fn(TargetedMessageForm) + Copy + Send + Sync + 'static,
    delete: ServerAction<DeleteTargeted>,
) -> impl IntoView {
    if list.is_empty() {
        return view! {
            <p class="muted" data-testid="no-messages">"No targeted messages yet. A banner for a sale on every page, a modal welcoming people to the pricing page after ten seconds, a tooltip pointing at a new button: the chat widget's script shows them on your site."</p>
        }
        .into_any();
    }
    view! {
        <table class="table" data-testid="messages">
            <thead><tr><th>"Message"</th><th>"Where and who"</th><th>"Shown to"</th><th>"Clicked"</th><th>"Closed"</th><th></th></tr></thead>
            <tbody>
                {list.into_iter().map(|m| {
                    let form = m.form.clone();
                    let id = m.form.id.unwrap_or_default();
                    let name = m.form.name.clone();
                    let s = m.stats;
                    view! {
                        <tr data-testid="message-row" data-name=m.form.name.clone()>
                            <td><strong>{m.form.name.clone()}</strong>" "{status_badge(&m.form.status, "message-status")}
                                <br/><span class="small muted">{format!("{} · {}", label_of(MESSAGE_STYLES, &m.form.style), label_of(MESSAGE_FREQUENCIES, &m.form.frequency))}</span>
                                <br/><span class="small muted">"Changed "{fmt_time(&m.updated_at)}</span></td>
                            <td class="small">{m.summary.clone()}</td>
                            <td data-testid="message-shown">{s.visitors}<span class="small muted">{format!(" ({} times)", s.shows)}</span></td>
                            <td data-testid="message-clicked">{s.clicked}<span class="small muted">{format!(" {}", percent(s.clicked, s.visitors))}</span></td>
                            <td data-testid="message-dismissed">{s.dismissed}<span class="small muted">{format!(" {}", percent(s.dismissed, s.visitors))}</span></td>
                            <td class="nowrap">
                                <button class="btn btn-ghost btn-small" data-testid="edit-message" on:click=move |_| open(form.clone())>"Edit"</button>
                                <button class="btn btn-ghost btn-small" data-testid="delete-message" aria-label=format!("Delete {name}")
                                    on:click=move |_| { delete.dispatch(DeleteTargeted { id }); }>"Delete"</button>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// The message as the visitor will see it, on a sketch of a page.
fn preview(form: RwSignal<TargetedMessageForm>) -> impl IntoView {
    view! {
        <div class="tm-preview" data-testid="message-preview" aria-label="Preview">
            <div class="tm-page">
                <div class="tm-line w60"></div><div class="tm-line"></div><div class="tm-line w80"></div>
                <span class="tm-target">{move || form.with(|f| if f.style == "tooltip" { f.anchor.clone() } else { String::new() })}</span>
                <div class="tm-line"></div><div class="tm-line w40"></div>
            </div>
            {move || form.with(|f| {
                let button = (!f.button_label.trim().is_empty()).then(|| view! { <span class="tm-button">{f.button_label.clone()}</span> });
                view! {
                    <div class=format!("tm-msg tm-{} tm-at-{}", f.style, f.placement)>
                        <span class="tm-close" aria-hidden="true">"×"</span>
                        <strong class="tm-title">{if f.title.trim().is_empty() { "Your headline".to_owned() } else { f.title.clone() }}</strong>
                        {(!f.body.trim().is_empty()).then(|| view! { <p class="tm-body">{f.body.clone()}</p> })}
                        {button}
                    </div>
                }
            })}
        </div>
    }
}

pub fn choice_select(
    id: &'static str,
    list: &'static [(&'static str, &'static str)],
    current: &str,
    on: impl Fn(String) + 'static,
) -> impl IntoView {
    let current = current.to_owned();
    view! {
        <select id=id data-testid=id on:change=move |ev| on(event_target_value(&ev))>
            {list.iter().map(|(v, l)| view! { <option value=*v selected=current == *v>{*l}</option> }).collect_view()}
        </select>
    }
}

/// The rules fieldset shared by targeted messages and tours: pages, time on
/// the page, audience, segment, how often. `on` changes the rules; `freq`
/// sets the frequency.
pub fn rules_fields(
    r: TargetRules,
    frequency: String,
    segments: StoredValue<Vec<(i32, String)>>,
    err: Signal<Option<crate::error::AppError>>,
    on: impl Fn(&dyn Fn(&mut TargetRules)) + Copy + Send + Sync + 'static,
    freq: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let field_msg = move |name: &'static str| {
        move || {
            err.get()
                .filter(|e| e.field_name() == Some(name))
                .map(|e| view! { <p class="field-error" role="alert">{e.to_string()}</p> })
        }
    };
    let any_page = RwSignal::new(r.page_match == "any");
    let current = r.segment_id;
    view! {
        <fieldset>
            <legend>"Who sees it, where and when"</legend>
            <label for="message-page-match">"Pages"</label>
            <div class="row gap">
                {choice_select("message-page-match", PAGE_MATCHES, &r.page_match, move |v| {
                    any_page.set(v == "any");
                    on(&|r| r.page_match = v.clone());
                })}
                <input type="text" data-testid="message-page-value" aria-label="Address" value=r.page_value.clone() placeholder="/pricing"
                    disabled=move || any_page.get()
                    on:input=move |ev| { let v = event_target_value(&ev); on(&|r| r.page_value = v.clone()); }/>
            </div>
            <p class="muted small">"A path such as /pricing tests the path; anything else the whole address. Ignoring case."</p>
            {field_msg("page_match")}{field_msg("page_value")}
            <label for="message-seconds">"After this many seconds on the page"</label>
            <input id="message-seconds" type="number" min="0" max="3600" data-testid="message-seconds" value=r.seconds_on_page.to_string()
                on:input=move |ev| { let v = event_target_value(&ev).trim().parse().unwrap_or(-1); on(&|r| r.seconds_on_page = v); }/>
            {field_msg("seconds_on_page")}
            <label for="message-audience">"Audience"</label>
            {choice_select("message-audience", AUDIENCES, &r.audience, move |v| on(&|r| r.audience = v.clone()))}
            {field_msg("audience")}
            <label for="message-segment">"Only customers in a segment"</label>
            <select id="message-segment" data-testid="message-segment" on:change=move |ev| { let v = event_target_value(&ev).parse().ok(); on(&|r| r.segment_id = v); }>
                <option value="" selected=current.is_none()>"Any (no segment)"</option>
                {segments.get_value().into_iter().map(|(id, name)| view! { <option value=id.to_string() selected=current == Some(id)>{name}</option> }).collect_view()}
            </select>
            {field_msg("segment_id")}
            <label for="message-frequency">"How often"</label>
            {choice_select("message-frequency", MESSAGE_FREQUENCIES, &frequency, freq)}
            {field_msg("frequency")}
        </fieldset>
    }
}

fn editor(
    form: RwSignal<TargetedMessageForm>,
    segments: StoredValue<Vec<(i32, String)>>,
    save: ServerAction<SaveTargeted>,
    close: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let f = form.get_untracked();
    let err = action_error(save.value());
    let field_msg = move |name: &'static str| {
        move || {
            err.get()
                .filter(|e| e.field_name() == Some(name))
                .map(|e| view! { <p class="field-error" role="alert">{e.to_string()}</p> })
        }
    };
    let text = move |ev: leptos::ev::Event| event_target_value(&ev);
    let style = move || form.with(|f| f.style.clone());
    view! {
        <section class="card" data-testid="message-editor">
            <div class="row">
                <h2>{if f.id.is_some() { "Edit message" } else { "New message" }}</h2>
                <span class="spacer"></span>
                <button class="btn btn-ghost btn-small" data-testid="close-editor" on:click=move |_| close()>"Close"</button>
            </div>
            <div class="grid-2">
                <div class="form">
                    <label for="message-name">"Name (for you)"</label>
                    <input id="message-name" type="text" data-testid="message-name" value=f.name.clone() placeholder="Spring sale banner"
                        on:input=move |ev| form.update(|f| f.name = text(ev))/>
                    {field_msg("name")}
                    <label for="message-style">"Kind"</label>
                    {choice_select("message-style", MESSAGE_STYLES, &f.style, move |v| form.update(|f| {
                        f.placement = placements(&v)[0].0.to_owned();
                        f.style = v;
                    }))}
                    <label for="message-placement">"Where"</label>
                    {move || {
                        let st = style();
                        let at = form.with_untracked(|f| f.placement.clone());
                        view! {
                            <select id="message-placement" data-testid="message-placement" on:change=move |ev| form.update(|f| f.placement = event_target_value(&ev))>
                                {placements(&st).iter().map(|(v, l)| view! { <option value=*v selected=at == *v>{*l}</option> }).collect_view()}
                            </select>
                        }
                    }}
                    {field_msg("placement")}
                    {move || (style() == "tooltip").then(|| view! {
                        <label for="message-anchor">"The element it points at (CSS selector)"</label>
                        <input id="message-anchor" type="text" data-testid="message-anchor" value=form.with_untracked(|f| f.anchor.clone())
                            placeholder="#signup or [data-tour=\"plans\"]" on:input=move |ev| form.update(|f| f.anchor = event_target_value(&ev))/>
                        <p class="muted small">"When the element is not on the page, the tooltip is not shown."</p>
                    })}
                    {field_msg("anchor")}
                    <label for="message-title">"Headline"</label>
                    <input id="message-title" type="text" data-testid="message-title" value=f.title.clone() placeholder="20% off everything this week"
                        on:input=move |ev| form.update(|f| f.title = text(ev))/>
                    {field_msg("title")}
                    <label for="message-body">"Text (optional)"</label>
                    <textarea id="message-body" rows="3" data-testid="message-body" on:input=move |ev| form.update(|f| f.body = text(ev))>{f.body.clone()}</textarea>
                    {field_msg("body")}
                    <div class="row gap wrap">
                        <div class="form grow">
                            <label for="message-button">"Button (optional)"</label>
                            <input id="message-button" type="text" data-testid="message-button" value=f.button_label.clone() placeholder="Shop the sale"
                                on:input=move |ev| form.update(|f| f.button_label = text(ev))/>
                        </div>
                        <div class="form grow">
                            <label for="message-url">"Button goes to"</label>
                            <input id="message-url" type="text" data-testid="message-url" value=f.button_url.clone() placeholder="/sale or https://…"
                                on:input=move |ev| form.update(|f| f.button_url = text(ev))/>
                        </div>
                    </div>
                    {field_msg("button_label")}{field_msg("button_url")}
                    {rules_fields(f.rules.clone(), f.frequency.clone(), segments, err,
                        move |ch| form.update(|f| ch(&mut f.rules)),
                        move |v| form.update(|f| f.frequency = v))}
                    <label for="message-status">"Status"</label>
                    {choice_select("message-status", MESSAGE_STATUSES, &f.status, move |v| form.update(|f| f.status = v))}
                    <p class="muted small">"Live messages show on pages with the chat widget's script; drafts and paused ones do not."</p>
                    <FormError error=err fields=FIELDS/>
                    <div class="row gap">
                        <button class="btn btn-primary" data-testid="save-message" disabled=move || save.pending().get()
                            on:click=move |_| { save.dispatch(SaveTargeted { form: form.get_untracked() }); }>"Save message"</button>
                        {move || save.value().get().and_then(Result::ok).map(|v| view! {
                            <span class="small muted" data-testid="message-saved">{format!("Saved “{}”.", v.form.name)}</span>
                        })}
                    </div>
                </div>
                <div>
                    <h3>"Preview"</h3>
                    {preview(form)}
                    <p class="muted small">{move || form.with(|f| f.rules.summary(f.rules.segment_id.and_then(|s| segments.with_value(|l| l.iter().find(|(i, _)| *i == s).map(|(_, n)| n.clone()))).as_deref()))}</p>
                </div>
            </div>
        </section>
    }
}

/// `/app/messages`.
#[component]
pub fn TargetedPage() -> impl IntoView {
    let save = ServerAction::<SaveTargeted>::new();
    let delete = ServerAction::<DeleteTargeted>::new();
    let page = Resource::new(
        move || (save.version().get(), delete.version().get()),
        |_| get_targeted(),
    );
    let form = RwSignal::new(TargetedMessageForm::default());
    // Bumped to redraw the editor with the form's values; 0: closed.
    let opened = RwSignal::new(0_u64);
    let del_err = action_error(delete.value());
    let open = move |f: TargetedMessageForm| {
        form.set(f);
        save.clear();
        opened.update(|n| *n += 1);
    };
    let close = move || opened.set(0);
    Effect::new(move |_| {
        if let Some(Ok(v)) = save.value().get() {
            form.update_untracked(|f| f.id = v.form.id);
        }
    });
    view! {
        <Title text="Targeted messages"/>
        <header class="page-head">
            <h1>"Targeted messages"</h1>
            <p class="muted">"Banners, modals, slide-ins and tooltips on your own site, shown by the chat widget's script to the right people on the right page. Your site can also send events: "<code>"Switchboard('track', 'signed_up', {plan: 'pro'})"</code>" — segments use them."</p>
        </header>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(p) => {
                        let segments = StoredValue::new(p.segments);
                        view! {
                            {(!p.widget_enabled).then(|| view! {
                                <p class="alert alert-warning" data-testid="widget-off">"The chat widget is switched off, and its script shows these messages: switch it on in "<a href="/app/settings/channels">"Channels"</a>"."</p>
                            })}
                            <section class="card">
                                <div class="row">
                                    <h2>"Your messages"</h2>
                                    <span class="spacer"></span>
                                    <button class="btn btn-small" data-testid="new-message" on:click=move |_| open(TargetedMessageForm::default())>"New message"</button>
                                </div>
                                {move || del_err.get().map(|e| view! { <p class="alert alert-error small" role="alert">{e.to_string()}</p> })}
                                {message_rows(p.messages, open, delete)}
                            </section>
                            <For each=move || (opened.get() > 0).then(|| opened.get()) key=|k| *k children=move |_| editor(form, segments, save, close)/>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
