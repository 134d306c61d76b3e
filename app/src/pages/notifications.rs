//! Notifications: `/app/profile/notifications` (what each person gets, where and
//! when) and `/app/settings/notifications` (the workspace's wording for each kind
//! and the delivery log, for admins).

use crate::components::{action_error, fmt_time, ErrorBox, FormError, Loading};
use crate::serverfns::notifications::{
    get_my_notifications, get_notification_admin, ResetNotificationTemplate, SaveNotificationPref,
    SaveNotificationTemplate,
};
use crate::types::{
    DeliveryView, EmailMode, MyNotificationsPage, NoticeChannel, NoticeKind, NoticePref,
    NoticeTemplateForm, NoticeTemplateView, NotificationAdminPage,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

fn describe(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::Mention => "Someone names you with @ in an internal note.",
        NoticeKind::Assigned => "A ticket is assigned to you by someone else, a rule or routing.",
        NoticeKind::Approval => "An AI action waits for your approval.",
        NoticeKind::Rule => "A rule's “Notify” action names you.",
        NoticeKind::Escalation => "A rule escalates a ticket to the admins.",
        NoticeKind::ApprovalReminder => "Approvals have waited more than a day.",
        NoticeKind::TaskOverdue => "A task assigned to you is overdue.",
        NoticeKind::Digest => {
            "Each morning, the workspace's digest of the day before (owners and admins)."
        }
    }
}

fn channel_label(c: &str) -> String {
    NoticeChannel::parse(c).map_or_else(|| c.to_owned(), |c| c.label().to_owned())
}

fn status_class(s: &str) -> &'static str {
    match s {
        "sent" | "delivered" => "badge badge-ok",
        "failed" => "badge badge-danger",
        "skipped" => "badge badge-muted",
        _ => "badge",
    }
}

fn deliveries_table(list: Vec<DeliveryView>, who: bool) -> impl IntoView {
    view! {
        <table class="table small" data-testid="delivery-list">
            <thead><tr>
                <th>"Due"</th>
                {who.then(|| view! { <th>"To"</th> })}
                <th>"Kind"</th><th>"Channel"</th><th>"Says"</th><th>"Status"</th><th>"Detail"</th>
            </tr></thead>
            <tbody>{list.into_iter().map(|d| view! {
                <tr data-testid="delivery-row" data-channel=d.channel.clone() data-status=d.status.clone()>
                    <td>{fmt_time(&d.due_at)}</td>
                    {who.then(|| view! { <td>{d.recipient.clone()}</td> })}
                    <td>{d.kind.label()}</td>
                    <td>{channel_label(&d.channel)}</td>
                    <td>{d.subject.clone()}</td>
                    <td><span class=status_class(&d.status)>{d.status.clone()}</span></td>
                    <td class="muted">{[d.detail.clone(), d.sent_at.as_deref().map(|t| format!("out {}", fmt_time(t)))]
                        .into_iter().flatten().collect::<Vec<_>>().join(" · ")}</td>
                </tr>
            }).collect_view()}</tbody>
        </table>
    }
}

fn pref_row(
    p: NoticePref,
    endpoints: StoredValue<Vec<(i32, String)>>,
    save: ServerAction<SaveNotificationPref>,
) -> impl IntoView {
    let kind = p.kind;
    let row = StoredValue::new(p.clone());
    let send = move |f: &dyn Fn(&mut NoticePref)| {
        row.update_value(|r| f(r));
        save.dispatch(SaveNotificationPref {
            pref: row.get_value(),
        });
    };
    let ep_sel = p.webhook_endpoint_id;
    view! {
        <tr data-testid="pref-row" data-kind=kind.as_str()>
            <td><strong>{kind.label()}</strong><br/><span class="small muted">{describe(kind)}</span></td>
            <td><label class="check"><input type="checkbox" data-testid="pref-in-app" checked=p.in_app
                aria-label=format!("{} in the app", kind.label())
                on:change=move |ev| { let on = event_target_checked(&ev); send(&|r| r.in_app = on); }/></label></td>
            <td><select data-testid="pref-email" aria-label=format!("{} by email", kind.label())
                on:change=move |ev| {
                    let m = EmailMode::parse(&event_target_value(&ev)).unwrap_or(EmailMode::Instant);
                    send(&|r| r.email = m);
                }>
                {EmailMode::ALL.iter().map(|m| view! {
                    <option value=m.as_str() selected=p.email == *m>{m.label()}</option>
                }).collect_view()}
            </select></td>
            <td><select data-testid="pref-webhook" aria-label=format!("{} to a webhook", kind.label())
                on:change=move |ev| {
                    let id = event_target_value(&ev).parse().ok();
                    send(&|r| r.webhook_endpoint_id = id);
                }>
                <option value="" selected=ep_sel.is_none()>"No webhook"</option>
                {endpoints.get_value().into_iter().map(|(id, url)| view! {
                    <option value=id.to_string() selected=ep_sel == Some(id)>{url}</option>
                }).collect_view()}
            </select></td>
        </tr>
    }
}

/// `/app/profile/notifications`.
#[component]
pub fn MyNotificationsPage() -> impl IntoView {
    let save = ServerAction::<SaveNotificationPref>::new();
    let page = Resource::new(|| (), |()| get_my_notifications());
    let error = action_error(save.value());
    view! {
        <Title text="My notifications"/>
        <header class="page-head">
            <h1>"My notifications"</h1>
            <p class="muted">"Choose, for each kind of notification, whether it shows in the app's bell, whether and when it is emailed, and whether it is also posted to a webhook (for example a chat tool's incoming webhook). Several emails close together arrive as one."</p>
        </header>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(MyNotificationsPage { prefs, endpoints, zone, waiting }) => {
                        let endpoints = StoredValue::new(endpoints);
                        view! {
                            <section class="card">
                                <table class="table" data-testid="pref-list">
                                    <thead><tr><th>"Notification"</th><th>"In the app"</th><th>"Email"</th><th>"Webhook"</th></tr></thead>
                                    <tbody>{prefs.into_iter().map(|p| pref_row(p, endpoints, save)).collect_view()}</tbody>
                                </table>
                                <p class="small muted">{format!("Daily digests go out at 9:00 in your time zone ({zone}); hourly digests at the top of each hour. ")}
                                    <A href="/app/profile">"Change your time zone"</A></p>
                                <FormError error=error fields=&[]/>
                                {move || save.value().get().and_then(Result::ok).map(|()| view! {
                                    <p class="small muted" data-testid="pref-saved" role="status">"Saved."</p>
                                })}
                            </section>
                            <section class="card">
                                <h2>"Waiting to go out"</h2>
                                {if waiting.is_empty() {
                                    view! { <p class="small muted" data-testid="nothing-waiting">"Nothing: every notification so far has reached you."</p> }.into_any()
                                } else {
                                    deliveries_table(waiting, false).into_any()
                                }}
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

fn blank_template(t: &NoticeTemplateView) -> NoticeTemplateForm {
    NoticeTemplateForm {
        kind: t.kind.as_str().to_owned(),
        subject: t.subject.clone(),
        body: t.body.clone(),
    }
}

/// `/app/settings/notifications`.
#[component]
#[allow(clippy::too_many_lines)]
pub fn NotificationSettingsPage() -> impl IntoView {
    let save = ServerAction::<SaveNotificationTemplate>::new();
    let reset = ServerAction::<ResetNotificationTemplate>::new();
    let live = crate::pages::admin::use_live();
    let page = Resource::new(
        move || {
            (
                save.version().get(),
                reset.version().get(),
                live.notifications.get(),
            )
        },
        |_| get_notification_admin(),
    );
    let editing: RwSignal<Option<NoticeTemplateView>> = RwSignal::new(None);
    let form = RwSignal::new(NoticeTemplateForm::default());
    let loaded = RwSignal::new(0_u64);
    let error = action_error(save.value());
    let edit = move |t: NoticeTemplateView| {
        form.set(blank_template(&t));
        editing.set(Some(t));
        loaded.update(|n| *n += 1);
        save.clear();
    };
    let msg = move |f: &'static str| {
        move || {
            error
                .get()
                .filter(|e| e.field_name() == Some(f))
                .map(|e| view! { <p class="field-error" role="alert">{e.to_string()}</p> })
        }
    };
    view! {
        <Title text="Notifications"/>
        <header class="page-head">
            <h1>"Notifications"</h1>
            <p class="muted">"What the workspace's notifications say, and what became of each one. Each member chooses where and when they get them under "
                <A href="/app/profile/notifications">"My notifications"</A>"."</p>
        </header>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(NotificationAdminPage { templates, deliveries, variables }) => view! {
                        <section class="card">
                            <h2>"Templates"</h2>
                            <p class="small muted">{format!("Variables: {}. The text shows in the app and is the email's body.", variables.iter().map(|v| format!("{{{{ {v} }}}}")).collect::<Vec<_>>().join(", "))}</p>
                            <table class="table" data-testid="template-list">
                                <thead><tr><th>"Kind"</th><th>"Subject"</th><th>"Text"</th><th></th></tr></thead>
                                <tbody>{templates.into_iter().map(|t| {
                                    let tv = t.clone();
                                    let kind = t.kind;
                                    view! {
                                        <tr data-testid="template-row" data-kind=kind.as_str()>
                                            <td><strong>{kind.label()}</strong>{t.customised.then(|| view! { <span class="badge">"custom"</span> })}</td>
                                            <td class="small"><code>{t.subject.clone()}</code></td>
                                            <td class="small"><code>{t.body.clone()}</code></td>
                                            <td class="actions">
                                                <button class="btn btn-ghost btn-small" data-testid="edit-template" on:click=move |_| edit(tv.clone())>"Edit"</button>
                                                {t.customised.then(|| view! {
                                                    <button class="btn btn-ghost btn-small" data-testid="reset-template"
                                                        on:click=move |_| { reset.dispatch(ResetNotificationTemplate { kind }); }>"Use built-in"</button>
                                                })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}</tbody>
                            </table>
                        </section>
                        <For each=move || [loaded.get()] key=|k| *k children=move |_| {
                            editing.get_untracked().map(|t| {
                                let f = form.get_untracked();
                                view! {
                                    <section class="card" data-testid="template-editor">
                                        <h2>{format!("{}: wording", t.kind.label())}</h2>
                                        <div class="form">
                                            <label for="tpl-subject">"Subject"</label>
                                            <input id="tpl-subject" type="text" data-testid="template-subject" value=f.subject.clone()
                                                on:input=move |ev| form.update_untracked(|f| f.subject = event_target_value(&ev))/>
                                            {msg("subject")}
                                            <label for="tpl-body">"Text"</label>
                                            <textarea id="tpl-body" rows="3" data-testid="template-body"
                                                on:input=move |ev| form.update_untracked(|f| f.body = event_target_value(&ev))>{f.body.clone()}</textarea>
                                            {msg("body")}
                                            <p class="small muted">{format!("Built-in: {} — {}", t.default_subject, t.default_body)}</p>
                                        </div>
                                        <FormError error=error fields=&["subject", "body"]/>
                                        <div class="row">
                                            <button class="btn btn-primary" data-testid="save-template"
                                                on:click=move |_| { save.dispatch(SaveNotificationTemplate { form: form.get_untracked() }); }>"Save wording"</button>
                                            {move || save.value().get().and_then(Result::ok).map(|v| view! {
                                                <span class="small muted" data-testid="template-saved">{format!("Saved the wording for {}.", v.kind.label().to_lowercase())}</span>
                                            })}
                                        </div>
                                    </section>
                                }
                            })
                        }/>
                        <section class="card">
                            <h2>"Delivery log"</h2>
                            <p class="small muted">"The newest 100 deliveries: one per notification, person and channel. Emails and webhook posts are retried on their own; their outcome shows here."</p>
                            {if deliveries.is_empty() {
                                view! { <p class="small muted">"Nothing delivered yet."</p> }.into_any()
                            } else {
                                deliveries_table(deliveries, true).into_any()
                            }}
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
