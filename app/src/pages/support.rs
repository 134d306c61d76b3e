//! The public support pages of a workspace: the web support form
//! (`/support/{slug}`), checked in the browser with the same rules the server
//! applies, answering with the ticket number; and the status page
//! (`/support/{slug}/status`) where a customer sees a ticket's status and replies.

use crate::components::{fmt_time, ErrorBox, Loading};
use crate::error::AppError;
use crate::serverfns::channels::{support_page, SubmitSupportForm, TicketStatus};
use crate::types::{validate_support_form, Priority, SupportForm};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

fn slug() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| params.with(|p| p.get("slug").unwrap_or_default()))
}

fn new_submission_id() -> String {
    #[cfg(feature = "hydrate")]
    {
        let mut s = String::from("f");
        for _ in 0..3 {
            let n = (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
            s.push_str(&format!("{n:08x}"));
        }
        s
    }
    #[cfg(not(feature = "hydrate"))]
    String::new()
}

/// `/support/{slug}`: the support form.
#[component]
pub fn SupportFormPage() -> impl IntoView {
    let slug = slug();
    let page = Resource::new(move || slug.get(), support_page);
    let submit = ServerAction::<SubmitSupportForm>::new();
    let form = RwSignal::new(SupportForm {
        priority: "normal".into(),
        ..SupportForm::default()
    });
    let shown = RwSignal::new(false);
    let submission = RwSignal::new(String::new());
    let categories = RwSignal::new(Vec::<String>::new());
    // Deflection: articles matching what the customer writes (debounced).
    let suggestions = RwSignal::new(Vec::<crate::types::KbHitView>::new());
    let deflection = RwSignal::new(String::new());
    let seq = StoredValue::new(0_u32);
    Effect::new(move |prev: Option<String>| {
        let text = form.with(|f| format!("{} {}", f.subject.trim(), f.message.trim()));
        if prev.as_deref() == Some(text.as_str()) {
            return text;
        }
        let n = seq.get_value().wrapping_add(1);
        seq.set_value(n);
        if text.trim().chars().count() < 8 {
            suggestions.set(Vec::new());
            return text;
        }
        let t = text.clone();
        set_timeout(
            move || {
                if seq.get_value() != n {
                    return;
                }
                leptos::task::spawn_local(async move {
                    let s = slug.get_untracked();
                    if let Ok(v) =
                        crate::serverfns::kb::support_suggest(s, t, deflection.get_untracked())
                            .await
                    {
                        if seq.get_value() == n {
                            deflection.set(v.session);
                            suggestions.set(v.hits);
                        }
                    }
                });
            },
            std::time::Duration::from_millis(500),
        );
        text
    });
    let problems = move || validate_support_form(&form.get(), &categories.get());
    let server_err = move || submit.value().get().and_then(Result::err);
    let msg = move |field: &'static str| {
        move || {
            let local = shown
                .get()
                .then(|| {
                    problems()
                        .into_iter()
                        .find(|(f, _)| *f == field)
                        .map(|(_, m)| m)
                })
                .flatten();
            local.or_else(|| {
                server_err()
                    .filter(|e: &AppError| e.field_name() == Some(field))
                    .map(|e| e.to_string())
            })
        }
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        shown.set(true);
        if !problems().is_empty() {
            return;
        }
        if submission.get_untracked().is_empty() {
            submission.set(new_submission_id());
        }
        submit.dispatch(SubmitSupportForm {
            slug: slug.get_untracked(),
            form: form.get_untracked(),
            submission_id: submission.get_untracked(),
            deflection: deflection.get_untracked(),
        });
    };
    let set = move |f: fn(&mut SupportForm, String)| {
        move |ev: leptos::ev::Event| {
            let v = event_target_value(&ev);
            form.update(|x| f(x, v));
        }
    };
    let field = move |id: &'static str, label: &'static str, input: AnyView| {
        let m = msg(id);
        view! {
            <div class="field" class:invalid=move || m().is_some()>
                <label for=format!("sf-{id}")>{label}</label>
                {input}
                {move || msg(id)().map(|t| view! { <p class="field-error" role="alert" data-testid=format!("error-{id}")>{t}</p> })}
            </div>
        }
    };
    view! {
        <main class="public-page">
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(p) => {
                            categories.set(p.categories.clone());
                            if form.with_untracked(|f| f.category.is_empty()) {
                                let first = p.categories.first().cloned().unwrap_or_default();
                                form.update(|f| f.category = first);
                            }
                            let status_link = format!("/support/{}/status", p.slug);
                            view! {
                                <Title text=format!("Contact {}", p.workspace_name)/>
                                <section class="card narrow">
                                    <h1>"Contact " {p.workspace_name.clone()}</h1>
                                    {move || match submit.value().get() {
                                        Some(Ok(r)) => view! {
                                            <div class="alert alert-success" role="status" data-testid="form-success">
                                                <p>"Thank you — we received your request. Your ticket number is "
                                                   <strong data-testid="ticket-number">{r.reference.clone()}</strong> "."</p>
                                                <p>"We emailed you a confirmation. " <a href=r.status_url.clone()>"Follow your request"</a> "."</p>
                                            </div>
                                        }.into_any(),
                                        _ => ().into_any(),
                                    }}
                                    <Show when=move || !p.enabled>
                                        <p class="alert alert-error">"This form is not taking requests right now."</p>
                                    </Show>
                                    <form class="form" novalidate=true on:submit=on_submit data-testid="support-form">
                                        {field("name", "Your name", view! {
                                            <input id="sf-name" type="text" autocomplete="name" prop:value=move || form.with(|f| f.name.clone()) on:input=set(|f, v| f.name = v)/>
                                        }.into_any())}
                                        {field("email", "Email", view! {
                                            <input id="sf-email" type="email" autocomplete="email" prop:value=move || form.with(|f| f.email.clone()) on:input=set(|f, v| f.email = v)/>
                                        }.into_any())}
                                        {field("subject", "Subject", view! {
                                            <input id="sf-subject" type="text" prop:value=move || form.with(|f| f.subject.clone()) on:input=set(|f, v| f.subject = v)/>
                                        }.into_any())}
                                        <div class="form-inline">
                                            {field("category", "Category", view! {
                                                <select id="sf-category" on:change=set(|f, v| f.category = v) prop:value=move || form.with(|f| f.category.clone())>
                                                    {p.categories.iter().map(|c| view! { <option value=c.clone()>{c.clone()}</option> }).collect_view()}
                                                </select>
                                            }.into_any())}
                                            {field("priority", "Priority", view! {
                                                <select id="sf-priority" on:change=set(|f, v| f.priority = v) prop:value=move || form.with(|f| f.priority.clone())>
                                                    {Priority::ALL.iter().map(|p| view! { <option value=p.as_str()>{p.label()}</option> }).collect_view()}
                                                </select>
                                            }.into_any())}
                                        </div>
                                        {field("message", "How can we help?", view! {
                                            <textarea id="sf-message" rows="6" prop:value=move || form.with(|f| f.message.clone()) on:input=set(|f, v| f.message = v)></textarea>
                                        }.into_any())}
                                        <Show when=move || !suggestions.with(Vec::is_empty)>
                                            <div class="suggestions" data-testid="form-suggestions" aria-live="polite">
                                                <strong>"These articles might answer your question:"</strong>
                                                <ul>
                                                    <For each=move || suggestions.get() key=|h| h.article_id let:h>
                                                        <li><a href=h.url.clone() target="_blank" rel="noopener" data-testid="form-suggestion"
                                                            on:click=move |_| {
                                                                let (s, d, id) = (slug.get_untracked(), deflection.get_untracked(), h.article_id);
                                                                leptos::task::spawn_local(async move { let _ = crate::serverfns::kb::support_suggest_open(s, d, id).await; });
                                                            }>{h.title.clone()}</a>
                                                            <span class="muted small">{format!(" — {}", h.excerpt)}</span></li>
                                                    </For>
                                                </ul>
                                            </div>
                                        </Show>
                                        {move || server_err().filter(|e| e.field_name().is_none()).map(|e| view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> })}
                                        <div><button class="btn btn-primary" type="submit" data-testid="support-submit" disabled=move || submit.pending().get()>"Send"</button></div>
                                    </form>
                                    <p class="muted small">"Already wrote to us? " <a href=status_link>"Check a ticket's status"</a> "."</p>
                                </section>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </main>
    }
}

/// `/support/{slug}/status`: a ticket's status and public replies.
#[component]
pub fn TicketStatusPage() -> impl IntoView {
    let slug = slug();
    let query = use_query_map();
    let ticket = RwSignal::new(query.with_untracked(|q| q.get("ticket").unwrap_or_default()));
    let email = RwSignal::new(String::new());
    let look = ServerAction::<TicketStatus>::new();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        look.dispatch(TicketStatus {
            slug: slug.get_untracked(),
            ticket: ticket.get_untracked(),
            email: email.get_untracked(),
        });
    };
    view! {
        <Title text="Ticket status"/>
        <main class="public-page">
            <section class="card narrow">
                <h1>"Check a ticket"</h1>
                <form class="form" on:submit=on_submit data-testid="status-form">
                    <div class="form-inline">
                        <div class="field"><label for="st-ticket">"Ticket number"</label>
                            <input id="st-ticket" type="text" placeholder="TKT-000123" prop:value=move || ticket.get() on:input=move |ev| ticket.set(event_target_value(&ev))/></div>
                        <div class="field"><label for="st-email">"Email you used"</label>
                            <input id="st-email" type="email" prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))/></div>
                    </div>
                    <div><button class="btn btn-primary" type="submit" data-testid="status-submit">"Show"</button></div>
                </form>
                {move || look.value().get().map(|r| match r {
                    Err(e) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
                    Ok(t) => view! {
                        <div data-testid="ticket-status">
                            <h2>{t.reference.clone()} " · " {t.subject.clone()}</h2>
                            <p>"Status: " <strong data-testid="ticket-state">{t.status.label()}</strong>
                               " · opened " {fmt_time(&t.created_at)}</p>
                            <ol class="thread">
                                {t.messages.into_iter().map(|m| view! {
                                    <li class=format!("bubble {}", m.from) data-testid="status-message">
                                        <p class="muted small">{m.author_name.clone()} " · " {fmt_time(&m.created_at)}</p>
                                        <div inner_html=m.body_html.clone()></div>
                                    </li>
                                }).collect_view()}
                            </ol>
                        </div>
                    }.into_any(),
                })}
            </section>
        </main>
    }
}
