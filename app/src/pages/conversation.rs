//! The conversation pane: header with fields, presence (viewing / typing), macros,
//! the thread (replies, notes, system entries, side conversations), split mode,
//! the composer (reply / note, canned responses, variables, attachments, collision
//! warning) and the customer sidebar.

use super::admin::{use_live, use_session};
use super::inbox::{ComposerCommand, InboxCtx};
use crate::components::{action_error, fmt_time, ErrorBox, FormError, Loading, SlaBadge};
use crate::error::AppError;
use crate::pages::order_forms::OrderChangesToggle;
use crate::permissions::{can, Action, Role};
use crate::serverfns::inbox::{
    get_conversation, get_inbox_meta, list_canned, list_macros, presence_leave, presence_ping,
    preview_macro, render_template, ApplyMacro, SendMessage, SplitConversation,
    StartSideConversation, TagConversation, UndoMerge, UpdateConversation,
};
use crate::types::{
    describe_outbound, AttachmentView, Channel, ConversationDetail, InboxMeta, MacroPreview,
    MessageKind, MessageView, Presence, Priority, Status, WhatsappTemplate,
};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

/// Composer state that survives live refreshes of the thread.
#[derive(Clone, Copy)]
struct Draft {
    note: RwSignal<bool>,
    body: RwSignal<String>,
    /// The newest public message the agent had seen when they started writing.
    seen: RwSignal<Option<Option<i32>>>,
    files: RwSignal<Vec<AttachmentView>>,
}

/// The pane for conversation `number`. Owns what must outlive a refetch of the
/// thread: presence heartbeats and the draft being written.
#[component]
pub fn ConversationPane(number: i32, view_id: Option<i32>) -> impl IntoView {
    let live = use_live();
    let ctx = expect_context::<InboxCtx>();
    let detail = Resource::new(
        move || (live.inbox.get(), ctx.refresh.get()),
        move |_| get_conversation(number),
    );
    // Lives here, not in the customer card: the card is rebuilt each time the
    // detail reloads, and a resource owned by it would be disposed under its
    // own pending read.
    let insights = Resource::new(
        move || (live.inbox.get(), ctx.refresh.get()),
        move |_| crate::serverfns::reports::get_customer_insights(number),
    );
    let meta = Resource::new(|| (), |()| get_inbox_meta());
    let macros = Resource::new(|| (), |()| list_macros());
    let draft = Draft {
        note: RwSignal::new(false),
        body: RwSignal::new(String::new()),
        seen: RwSignal::new(None),
        files: RwSignal::new(Vec::new()),
    };
    // Presence: heartbeat every 10 s while open; re-read when others' heartbeats arrive.
    let presence = RwSignal::new(Vec::<Presence>::new());
    let conv_id = RwSignal::new(None::<i32>);
    Effect::new(move |_| {
        if let Some(Ok(d)) = detail.get() {
            if conv_id.get_untracked() != Some(d.row.id) {
                conv_id.set(Some(d.row.id));
            }
        }
    });
    let ping = move |typing: bool, stopped: bool, announce: bool| {
        let Some(id) = conv_id.get_untracked() else {
            return;
        };
        leptos::task::spawn_local(async move {
            if let Ok(p) = presence_ping(id, typing, stopped, announce).await {
                presence.try_set(p);
            }
        });
    };
    Effect::new(move |_| {
        if let Some(id) = conv_id.get() {
            ping(false, false, true);
            let h = set_interval_with_handle(
                move || ping(false, false, true),
                std::time::Duration::from_secs(10),
            );
            on_cleanup(move || {
                if let Ok(h) = h {
                    h.clear();
                }
                leptos::task::spawn_local(async move {
                    let _ = presence_leave(id).await;
                });
            });
        }
    });
    Effect::new(move |prev: Option<u64>| {
        let n = live.presence.get();
        if prev.is_some() {
            ping(false, false, false);
        }
        n
    });
    view! {
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match (detail.await, meta.await, macros.await) {
                    (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => view! { <ErrorBox error=e/> }.into_any(),
                    (Ok(d), Ok(m), Ok(ms)) => view! { <Pane d meta=m macros=ms view_id presence ping draft insights/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Pane(
    d: ConversationDetail,
    meta: InboxMeta,
    macros: Vec<crate::types::MacroView>,
    view_id: Option<i32>,
    presence: RwSignal<Vec<Presence>>,
    ping: impl Fn(bool, bool, bool) + Copy + Send + Sync + 'static,
    draft: Draft,
    insights: Insights,
) -> impl IntoView {
    let role = use_session().map_or(Role::Collaborator, |s| s.role());
    let ctx = expect_context::<InboxCtx>();
    let id = d.row.id;
    let number = d.row.number;
    let update = ServerAction::<UpdateConversation>::new();
    let tag = ServerAction::<TagConversation>::new();
    let undo = ServerAction::<UndoMerge>::new();
    let split = ServerAction::<SplitConversation>::new();
    let refresh = move || ctx.refresh.update(|n| *n += 1);
    Effect::new(move |_| {
        if update.version().get() > 0 || tag.version().get() > 0 || undo.version().get() > 0 {
            refresh();
        }
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(n)) = split.value().get() {
            ctx.notice.set(Some((
                format!("Split into {}.", crate::types::ticket_ref(n)),
                None,
            )));
            refresh();
            let href = match view_id {
                Some(v) => format!("/app/inbox?view={v}&c={n}"),
                None => format!("/app/inbox?c={n}"),
            };
            navigate(&href, Default::default());
        }
    });
    let err = action_error(update.value());
    let tag_err = action_error(tag.value());
    let split_err = action_error(split.value());
    let may_manage = can(role, Action::ManageConversations);

    // `e` solves.
    Effect::new(move |_| {
        if ctx.command.get() == ComposerCommand::Solve {
            ctx.command.set(ComposerCommand::None);
            if may_manage {
                update.dispatch(UpdateConversation {
                    conversation_id: id,
                    field: "status".into(),
                    value: "solved".into(),
                });
            }
        }
    });

    let split_mode = RwSignal::new(false);
    let split_ids = RwSignal::new(Vec::<i32>::new());
    let tag_input = RwSignal::new(String::new());
    let row = d.row.clone();
    let custom = d.custom_fields.clone();
    let last_public = d.last_public_message_id;
    let messages = d.messages.clone();
    let side = d.side_conversations.clone();
    let csat = d.csat.clone();
    let live_ctx = super::admin::use_live();
    let seen_up_to = d.customer_read_message_id;
    let last_agent_reply = messages
        .iter()
        .rev()
        .find(|m| {
            m.author_kind == "agent"
                && m.kind == crate::types::MessageKind::Reply
                && m.side_conversation_id.is_none()
        })
        .map(|m| m.id);
    let seen_id = last_agent_reply.filter(|l| seen_up_to.is_some_and(|s| s >= *l));
    let field_select = move |field: &'static str| {
        move |ev: leptos::ev::Event| {
            update.dispatch(UpdateConversation {
                conversation_id: id,
                field: field.into(),
                value: event_target_value(&ev),
            });
        }
    };
    view! {
        <article class="pane" data-testid="conversation-pane" data-number=number>
            <header class="pane-head">
                <div class="pane-title">
                    <span class="mono muted" data-testid="ticket-ref">{row.reference.clone()}</span>
                    " "
                    <a class="small" href=d.customer_url.clone() target="_blank" rel="noopener" data-testid="customer-view-link">"Customer view ↗"</a>
                    <h1 data-testid="conversation-subject">{row.subject.clone()}</h1>
                    {row.sla.clone().map(|c| view! { <SlaBadge clock=c/> })}
                    <Presences presence/>
                    {move || (live_ctx.customer_typing.get() == Some(id)).then(|| view! {
                        <span class="presence-chip typing" data-testid="customer-typing"><span class="dot"></span>"Customer is typing…"</span>
                    })}
                    {csat.clone().map(|c| view! {
                        <span class="badge" data-testid="csat" title=c.comment.clone().unwrap_or_default()>{format!("CSAT {}/5", c.rating)}</span>
                        {c.comment.clone().map(|t| {
                            let short = if t.chars().count() > 140 { format!("{}…", t.chars().take(140).collect::<String>()) } else { t };
                            view! { " " <q class="small muted" data-testid="csat-comment">{short}</q> }
                        })}
                    })}
                </div>
                {d.merged_into.clone().map(|r| view! { <p class="alert alert-info">"Merged into " <strong>{r}</strong> "."</p> })}
                {d.split_from.clone().map(|r| view! { <p class="muted small" data-testid="split-from">"Split from " <strong>{r}</strong></p> })}
                {(!d.split_into.is_empty()).then(|| view! { <p class="muted small" data-testid="split-into">"Split into " {d.split_into.join(", ")}</p> })}
                {d.undo_merge_id.map(|m| view! {
                    <p class="alert alert-info">"Conversations were merged into this one. "
                        <button class="btn btn-small" data-testid="undo-merge" on:click=move |_| { undo.dispatch(UndoMerge { merge_id: m }); }>"Undo merge"</button>
                    </p>
                })}
                <div class="pane-fields">
                    <label>"Status "
                        <select data-testid="status-select" disabled=!may_manage on:change=field_select("status")>
                            {Status::ALL.iter().map(|s| view! { <option value=s.as_str() selected=*s == row.status>{s.label()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>"Priority "
                        <select disabled=!may_manage on:change=field_select("priority")>
                            {Priority::ALL.iter().map(|p| view! { <option value=p.as_str() selected=*p == row.priority>{p.label()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>"Assignee "
                        <select data-testid="assignee-select" disabled=!may_manage on:change=field_select("assignee")>
                            <option value="" selected=row.assignee_id.is_none()>"Unassigned"</option>
                            {meta.agents.iter().map(|a| view! { <option value=a.id.to_string() selected=Some(a.id) == row.assignee_id>{a.name.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>"Team "
                        <select disabled=!may_manage on:change=field_select("team")>
                            <option value="" selected=row.team_id.is_none()>"No team"</option>
                            {meta.teams.iter().map(|t| view! { <option value=t.id.to_string() selected=Some(t.id) == row.team_id>{t.name.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                </div>
                <div class="pane-tags" data-testid="tags">
                    {row.tags.iter().map(|t| {
                        let t2 = t.clone();
                        view! { <span class="tag">{t.clone()}
                            {may_manage.then(|| view! { <button class="icon" aria-label=format!("Remove tag {t2}") on:click=move |_| { tag.dispatch(TagConversation { conversation_id: id, add: String::new(), remove: t2.clone() }); }>"×"</button> })}
                        </span> }
                    }).collect_view()}
                    {may_manage.then(|| view! {
                        <form class="inline" on:submit=move |ev| { ev.prevent_default(); tag.dispatch(TagConversation { conversation_id: id, add: tag_input.get_untracked(), remove: String::new() }); tag_input.set(String::new()); }>
                            <input list="known-tags" placeholder="add tag" aria-label="Add tag" prop:value=move || tag_input.get() on:input=move |ev| tag_input.set(event_target_value(&ev))/>
                            <datalist id="known-tags">{meta.tags.iter().map(|t| view! { <option value=t.name.clone()/> }).collect_view()}</datalist>
                        </form>
                    })}
                </div>
                {(!meta.fields.is_empty()).then(|| view! {
                    <div class="pane-fields custom">
                        {meta.fields.iter().map(|f| {
                            let key = f.key.clone();
                            let current = custom.iter().find(|(k, _)| *k == f.key).map(|(_, v)| v.clone()).unwrap_or_default();
                            let field = format!("field:{key}");
                            view! {
                                <label>{f.label.clone()} " "
                                    <input value=current disabled=!may_manage on:change=move |ev| {
                                        update.dispatch(UpdateConversation { conversation_id: id, field: field.clone(), value: event_target_value(&ev) });
                                    }/>
                                </label>
                            }
                        }).collect_view()}
                    </div>
                })}
                <div class="pane-actions">
                    {may_manage.then(|| view! { <MacroPicker conversation_id=id macros/> })}
                    {can(role, Action::MergeConversations).then(|| view! {
                        <button class="btn btn-small" data-testid="split-mode" on:click=move |_| { split_mode.update(|s| *s = !*s); split_ids.set(Vec::new()); }>
                            {move || if split_mode.get() { "Cancel split" } else { "Split…" }}
                        </button>
                    })}
                    {move || (split_mode.get() && !split_ids.with(Vec::is_empty)).then(|| view! {
                        <button class="btn btn-primary btn-small" data-testid="split-confirm" on:click=move |_| {
                            let ids = split_ids.get_untracked().iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
                            split.dispatch(SplitConversation { conversation_id: id, message_ids: ids, subject: String::new() });
                        }>{move || format!("Split {} message(s) into a new conversation", split_ids.with(Vec::len))}</button>
                    })}
                </div>
                <FormError error=err/>
                <FormError error=tag_err/>
                <FormError error=split_err/>
            </header>
            <div class="pane-body">
                <div class="pane-main">
                <crate::pages::ai_assist::AiPanel conversation_id=id refresh=ctx.refresh body=draft.body/>
                <crate::pages::actions::TicketWork number refresh=ctx.refresh/>
                <ol class="thread" data-testid="thread">
                    {messages.into_iter().map(|m| {
                        let seen = Some(m.id) == seen_id;
                        view! {
                            <Message m split_mode split_ids side=side.clone()/>
                            {seen.then(|| view! { <li class="seen muted small" data-testid="seen-by-customer">"Seen by the customer"</li> })}
                        }
                    }).collect_view()}
                </ol>
                </div>
                <CustomerCard d=d.clone() view_id insights/>
            </div>
            <Composer conversation_id=id channel=row.channel last_public role signature=meta.signature.clone() ping draft/>
            {(row.channel == Channel::Whatsapp && can(role, Action::ReplyToCustomers)).then(|| view! { <WhatsappTemplates conversation_id=id/> })}
            {can(role, Action::ReplyToCustomers).then(|| view! { <SideConversationForm conversation_id=id/> })}
        </article>
    }
}

#[component]
fn Presences(presence: RwSignal<Vec<Presence>>) -> impl IntoView {
    view! {
        <div class="presence" data-testid="presence" aria-live="polite">
            {move || presence.get().into_iter().map(|p| view! {
                <span class="presence-chip" class:typing=p.typing title=if p.typing { "typing" } else { "viewing" }>
                    <span class="dot"></span>
                    {if p.typing { format!("{} is typing…", p.name) } else { format!("{} is viewing", p.name) }}
                </span>
            }).collect_view()}
        </div>
    }
}

#[component]
fn Message(
    m: MessageView,
    split_mode: RwSignal<bool>,
    split_ids: RwSignal<Vec<i32>>,
    side: Vec<crate::types::SideConversationView>,
) -> impl IntoView {
    let id = m.id;
    let class = match (
        m.kind,
        m.side_conversation_id.is_some(),
        m.author_kind.as_str(),
    ) {
        (MessageKind::Note, _, _) => "msg note",
        (MessageKind::System, _, _) => "msg system",
        (_, true, _) => "msg side",
        (_, _, "customer") => "msg inbound",
        _ => "msg outbound",
    };
    let side_label = m
        .side_conversation_id
        .and_then(|s| side.iter().find(|x| x.id == s))
        .map(|s| {
            if s.via == "slack" {
                format!("Side conversation in Slack {} · {}", s.to_email, s.subject)
            } else {
                format!("Side conversation with {} · {}", s.to_email, s.subject)
            }
        });
    let selectable = m.kind != MessageKind::System;
    view! {
        <li class=class data-testid="message" data-kind=m.kind.as_str()>
            {move || (split_mode.get() && selectable).then(|| view! {
                <input type="checkbox" class="split-check" aria-label="Select for split" on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    split_ids.update(|s| if on { s.push(id) } else { s.retain(|x| *x != id) });
                }/>
            })}
            <div class="msg-head">
                <strong>{m.author_name.clone()}</strong>
                {(m.kind == MessageKind::Note).then(|| view! { <span class="badge badge-note">"Internal note"</span> })}
                {side_label.map(|l| view! { <span class="badge badge-muted">{l}</span> })}
                <span class="muted small">{fmt_time(&m.created_at)}</span>
                {(m.direction == "outbound").then(|| view! {
                    <span class=format!("delivery delivery-{}", m.delivery_status) title=m.delivery_error.clone().unwrap_or_default() data-testid="delivery">{m.delivery_status.clone()}</span>
                })}
                {m.delivery_detail.clone().map(|d| view! { <span class="muted small" data-testid="delivery-detail">{d}</span> })}
            </div>
            {(m.delivery_status == "failed").then(|| m.delivery_error.clone()).flatten().map(|e| view! {
                <p class="delivery-error small" data-testid="delivery-error">{e}</p>
            })}
            <div class="msg-body" inner_html=m.body_html.clone()></div>
            {(!m.attachments.is_empty()).then(|| view! {
                <ul class="files">{m.attachments.iter().map(|a| view! { <li><a href=a.url.clone() download=a.filename.clone()>"📎 " {a.filename.clone()}</a> <span class="muted small">{fmt_size(a.size_bytes)}</span> {a.transcript.clone().map(transcript_view)}</li> }).collect_view()}</ul>
            })}
        </li>
    }
}

fn fmt_size(b: i64) -> String {
    if b >= 1024 * 1024 {
        format!("{:.1} MB", b as f64 / 1048576.0)
    } else {
        format!("{} KB", (b + 1023) / 1024)
    }
}

#[component]
fn CustomerCard(d: ConversationDetail, view_id: Option<i32>, insights: Insights) -> impl IntoView {
    let c = d.customer.clone();
    let number = d.row.number;
    view! {
        <aside class="customer" data-testid="customer-card" aria-label="Customer">
            <h2>{c.name.clone()}</h2>
            {c.company.clone().map(|co| view! { <p class="muted">{co}</p> })}
            <dl class="ids">
                {c.identifiers.iter().map(|i| view! {
                    <dt>{i.kind.label()}</dt>
                    <dd>{i.value.clone()} {i.verified.then(|| view! { <span class="badge badge-muted" title="verified by the channel">"✓"</span> })}</dd>
                }).collect_view()}
            </dl>
            {c.notes.clone().map(|n| view! { <p class="notes">{n}</p> })}
            <InsightsCard data=insights/>
            <h3>"Other conversations"</h3>
            {if d.other_conversations.is_empty() {
                view! { <p class="muted small">"None."</p> }.into_any()
            } else {
                view! {
                    <ul class="others">
                        {d.other_conversations.iter().map(|o| {
                            let href = match view_id { Some(v) => format!("/app/inbox?view={v}&c={}", o.number), None => format!("/app/inbox?c={}", o.number) };
                            view! { <li><a href=href>{o.reference.clone()} " · " {o.subject.clone()}</a> <span class=format!("badge status-{}", o.status.as_str())>{o.status.label()}</span></li> }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <h3>"Orders"</h3>
            {if d.orders.is_empty() {
                view! { <p class="muted small">"None."</p> }.into_any()
            } else {
                view! {
                    <ul class="others" data-testid="customer-orders">
                        {d.orders.iter().map(|o| view! {
                            <li data-testid="customer-order" data-number=o.number.clone() data-status=o.status.as_str()>
                                <strong>{format!("Order {}", o.number)}</strong>" · "{crate::types::money(o.total_minor, &o.currency)}" "
                                <span class="badge">{o.status.label()}</span>
                                <br/><span class="muted small">
                                    {fmt_time(&o.placed_at)}
                                    {format!(" · {} item{}", o.items, if o.items == 1 { "" } else { "s" })}
                                    {o.tracking_number.clone().map(|t| format!(" · tracking {t}"))}
                                    {o.tracking_status.map(|t| format!(" · {}", t.label()))}
                                    {(o.refunded_minor > 0).then(|| format!(" · refunded {}", crate::types::money(o.refunded_minor, &o.currency)))}
                                </span>
                                <OrderActions order=o.clone() conversation_number=number/>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <h3>"Details"</h3>
            <dl class="ids">
                <dt>"Channel"</dt><dd>{d.row.channel.label()}</dd>
                <dt>"Created"</dt><dd>{fmt_time(&d.row.created_at)}</dd>
                <dt>"First response"</dt><dd>{d.first_response_at.as_deref().map_or_else(|| "—".to_owned(), fmt_time)}</dd>
                <dt>"Solved"</dt><dd>{d.solved_at.as_deref().map_or_else(|| "—".to_owned(), fmt_time)}</dd>
            </dl>
        </aside>
    }
}

type Insights = Resource<Result<crate::types::CustomerInsights, AppError>>;

/// The satisfaction prediction (or the real rating) and the customer's health
/// (`services::reports::predict`; the weights are on `/app/reports/predictions`).
/// Read with `get` rather than awaited: the card is rebuilt while its resource
/// reloads.
#[component]
fn InsightsCard(data: Insights) -> impl IntoView {
    view! {
        <Transition fallback=|| ()>
            {move || {
                data.get().and_then(Result::ok).map(|i| {
                    let p = i.prediction;
                    let h = i.health;
                    let risk_class = format!("badge risk-{}", h.churn_risk);
                    view! {
                        <h3>"Insights"</h3>
                        <dl class="ids insights" data-testid="insights">
                            <dt>"Satisfaction"</dt>
                            <dd data-testid="predicted" data-percent=p.percent.to_string() title=p.reasons.join("\n")>
                                {match i.rated {
                                    Some(r) => format!("Rated {r}/5 (predicted {:.1})", p.rating),
                                    None => format!("{} · {} %", p.label, p.percent),
                                }}
                            </dd>
                            <dt>"Health"</dt>
                            <dd data-testid="health" data-score=h.score.to_string() title=h.factors.join("\n")>
                                {format!("{}/100 ", h.score)}
                                <span class=risk_class>{format!("{} churn risk", h.churn_risk)}</span>
                            </dd>
                        </dl>
                        {(!p.reasons.is_empty() && i.rated.is_none()).then(|| view! {
                            <p class="muted small">{p.reasons.join(" · ")}</p>
                        })}
                        {(!h.factors.is_empty()).then(|| view! {
                            <p class="muted small">{h.factors.join(" · ")}</p>
                        })}
                        <p class="small"><a href="/app/reports/predictions">"How these are computed"</a></p>
                    }
                })
            }}
        </Transition>
    }
}

/// What an agent can do with an order from the ticket: cancel it while it
/// awaits payment, or propose refunding what remains of it. Both go through
/// the AI-actions registry and its policies (a refund always waits for an
/// approver); the result says what happened.
#[component]
fn OrderActions(order: crate::types::OrderSummary, conversation_number: i32) -> impl IntoView {
    use crate::serverfns::actions::ProposeAction;
    use crate::types::{OrderStatus, ProposalForm};
    let ctx = expect_context::<InboxCtx>();
    let propose = ServerAction::<ProposeAction>::new();
    let reason = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(_)) = propose.value().get() {
            reason.set(String::new());
            ctx.refresh.update(|n| *n += 1);
        }
    });
    let err = action_error(propose.value());
    let left = order.total_minor - order.refunded_minor;
    let (tool, label) = match order.status {
        OrderStatus::Pending => ("cancel_order", "Cancel order".to_owned()),
        OrderStatus::Paid
        | OrderStatus::Fulfilled
        | OrderStatus::Shipped
        | OrderStatus::Delivered
        | OrderStatus::PartiallyRefunded
            if left > 0 =>
        {
            (
                "refund_order",
                format!(
                    "Propose refund of {}",
                    crate::types::money(left, &order.currency)
                ),
            )
        }
        _ => return ().into_any(),
    };
    let more = matches!(
        order.status,
        OrderStatus::Pending | OrderStatus::Delivered | OrderStatus::PartiallyRefunded
    )
    .then(|| {
        view! {
            <OrderChangesToggle
                number=order.number.clone()
                conversation_number=Some(conversation_number)
                on_change=Callback::new(move |()| ctx.refresh.update(|n| *n += 1))
            />
        }
    });
    let number = order.number.clone();
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let why = reason.get_untracked();
        #[allow(
            clippy::cast_precision_loss,
            reason = "money amounts are far below 2^52"
        )]
        let input = if tool == "refund_order" {
            serde_json::json!({"order": number, "reason": why, "amount": left as f64 / 100.0})
        } else {
            serde_json::json!({"order": number, "reason": why})
        };
        propose.dispatch(ProposeAction {
            form: ProposalForm {
                tool: tool.to_owned(),
                input_json: input.to_string(),
                conversation_number: Some(conversation_number),
                reasoning: why,
            },
        });
    };
    view! {
        <form class="order-actions" data-testid="order-actions" on:submit=send>
            <input
                type="text"
                required
                maxlength="500"
                placeholder="Reason"
                aria-label=format!("Reason for order {}", order.number)
                prop:value=move || reason.get()
                on:input=move |ev| reason.set(event_target_value(&ev))
            />
            <button type="submit" class="btn btn-small" disabled=move || propose.pending().get()>{label}</button>
            {move || propose.value().get().and_then(Result::ok).map(|a| {
                let said = match a.status.as_str() {
                    "pending" => format!("Action #{} waits for an approver.", a.id),
                    "completed" => format!("Done (action #{}).", a.id),
                    "running" | "proposed" => format!("Action #{} is running.", a.id),
                    other => format!("Action #{}: {other} — {}", a.id, a.decision_reason),
                };
                view! { <p class="muted small" role="status">{said}</p> }
            })}
            <FormError error=err/>
        </form>
        {more}
    }
    .into_any()
}

#[component]
fn MacroPicker(conversation_id: i32, macros: Vec<crate::types::MacroView>) -> impl IntoView {
    let ctx = expect_context::<InboxCtx>();
    let chosen = RwSignal::new(None::<i32>);
    let preview = RwSignal::new(None::<Result<MacroPreview, AppError>>);
    let apply = ServerAction::<ApplyMacro>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = apply.value().get() {
            preview.set(None);
            chosen.set(None);
            ctx.refresh.update(|n| *n += 1);
        }
    });
    let err = action_error(apply.value());
    view! {
        <select aria-label="Apply a macro" data-testid="macro-select" on:change=move |ev| {
            let id = event_target_value(&ev).parse::<i32>().ok();
            chosen.set(id);
            preview.set(None);
            if let Some(mid) = id {
                leptos::task::spawn_local(async move { preview.set(Some(preview_macro(mid, conversation_id).await)); });
            }
        }>
            <option value="">"Macros…"</option>
            {macros.into_iter().map(|m| view! { <option value=m.id.to_string()>{m.name}</option> }).collect_view()}
        </select>
        {move || preview.get().map(|p| match p {
            Err(e) => view! { <ErrorBox error=e/> }.into_any(),
            Ok(p) => view! {
                <div class="macro-preview" data-testid="macro-preview">
                    <p><strong>"This macro will:"</strong></p>
                    <ul>{p.changes.iter().map(|c| view! { <li>{c.clone()}</li> }).collect_view()}</ul>
                    {(!p.unknown_variables.is_empty()).then(|| view! { <p class="alert alert-error">"Unknown variables: " {p.unknown_variables.join(", ")}</p> })}
                    <button class="btn btn-primary btn-small" data-testid="macro-apply" disabled=!p.unknown_variables.is_empty() on:click=move |_| {
                        if let Some(m) = chosen.get_untracked() { apply.dispatch(ApplyMacro { macro_id: m, conversation_id }); }
                    }>"Apply"</button>
                    <button class="btn btn-ghost btn-small" on:click=move |_| preview.set(None)>"Cancel"</button>
                </div>
            }.into_any(),
        })}
        <FormError error=err/>
    }
}

/// Reply / note composer with canned responses, variables, attachments and the
/// collision warning.
#[component]
fn Composer(
    conversation_id: i32,
    channel: Channel,
    last_public: Option<i32>,
    role: Role,
    signature: Option<String>,
    ping: impl Fn(bool, bool, bool) + Copy + Send + Sync + 'static,
    draft: Draft,
) -> impl IntoView {
    let ctx = expect_context::<InboxCtx>();
    let may_reply = can(role, Action::ReplyToCustomers);
    let Draft {
        note,
        body,
        seen,
        files,
    } = draft;
    if !may_reply {
        note.set(true);
    }
    let upload_err = RwSignal::new(None::<AppError>);
    let local_err = RwSignal::new(None::<AppError>);
    let send = ServerAction::<SendMessage>::new();
    let area = NodeRef::<leptos::html::Textarea>::new();
    let last_typing = RwSignal::new(0f64);
    let format_hint = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(_)) = send.value().get() {
            body.set(String::new());
            files.set(Vec::new());
            seen.set(None);
            ping(false, true, true);
            ctx.refresh.update(|n| *n += 1);
        }
    });
    Effect::new(move |_| {
        let c = ctx.command.get();
        if matches!(c, ComposerCommand::Reply | ComposerCommand::Note) {
            ctx.command.set(ComposerCommand::None);
            note.set(c == ComposerCommand::Note || !may_reply);
            if let Some(a) = area.get() {
                let _ = a.focus();
            }
        }
    });
    let send_err = action_error(send.value());
    let collided = Signal::derive(move || {
        send_err
            .get()
            .is_some_and(|e| e.field_name() == Some("collision"))
    });
    let submit = move |force: bool| {
        local_err.set(None);
        let text = body.get_untracked();
        let kind = if note.get_untracked() {
            "note"
        } else {
            "reply"
        };
        let seen_id = seen.get_untracked().unwrap_or(last_public);
        let ids = files
            .get_untracked()
            .iter()
            .map(|f| f.id.to_string())
            .collect::<Vec<_>>()
            .join(",");
        leptos::task::spawn_local(async move {
            // Fill {{variables}} first; refuse to send while any is unknown.
            let text = if text.contains("{{") {
                match render_template(conversation_id, text.clone()).await {
                    Ok(r) if !r.unknown_variables.is_empty() => {
                        local_err.set(Some(AppError::field(
                            "body",
                            format!(
                                "Unknown variable(s): {}. Fix them before sending.",
                                r.unknown_variables.join(", ")
                            ),
                        )));
                        return;
                    }
                    Ok(r) => r.text,
                    Err(e) => {
                        local_err.set(Some(e));
                        return;
                    }
                }
            } else {
                text
            };
            send.dispatch(SendMessage {
                conversation_id,
                kind: kind.into(),
                body: text,
                attachment_ids: ids,
                seen_last_public_id: seen_id,
                force,
            });
        });
    };
    view! {
        <section class="composer" class:note=move || note.get() data-testid="composer"
            on:dragover=|ev| ev.prevent_default()
            on:drop=move |ev| { ev.prevent_default(); drop_files(ev, conversation_id, files, upload_err); }>
            <div class="composer-tabs" role="tablist">
                {may_reply.then(|| view! {
                    <button role="tab" class="tab" class:active=move || !note.get() aria-selected=move || (!note.get()).to_string() data-testid="mode-reply" on:click=move |_| note.set(false)>"Reply"</button>
                })}
                <button role="tab" class="tab" class:active=move || note.get() aria-selected=move || note.get().to_string() data-testid="mode-note" on:click=move |_| note.set(true)>"Internal note"</button>
                <CannedPicker conversation_id body/>
            </div>
            <textarea node_ref=area data-testid="composer-body" rows="5"
                aria-label=move || if note.get() { "Internal note (only your team sees it; @name notifies)" } else { "Reply to the customer" }
                placeholder=move || if note.get() { "Internal note — only your team sees this. @name to notify a teammate." } else { "Write a reply…  {{customer.name}} and other variables are filled in" }
                prop:value=move || body.get()
                on:input=move |ev| {
                    let v = event_target_value(&ev);
                    if seen.get_untracked().is_none() && !v.is_empty() {
                        seen.set(Some(last_public));
                    }
                    body.set(v);
                    let now = js_now();
                    if now - last_typing.get_untracked() > 3000.0 {
                        last_typing.set(now);
                        ping(true, false, true);
                    }
                }></textarea>
            {move || (!files.with(Vec::is_empty)).then(|| view! {
                <ul class="files">{files.get().into_iter().map(|f| view! { <li>"📎 " {f.filename}</li> }).collect_view()}</ul>
            })}
            {move || collided.get().then(|| view! {
                <div class="alert alert-warning" role="alert" data-testid="collision-warning">
                    {move || send_err.get().map(|e| e.to_string())}
                    " "
                    <button class="btn btn-small" data-testid="send-anyway" on:click=move |_| submit(true)>"Send anyway"</button>
                </div>
            })}
            {move || (!collided.get()).then(|| view! { <FormError error=send_err/> })}
            <FormError error=Signal::derive(move || local_err.get())/>
            <FormError error=Signal::derive(move || upload_err.get())/>
            {may_reply.then(|| view! { <crate::pages::ai_assist::AssistBar conversation_id body note/> })}
            <div class="composer-foot">
                <label class="btn btn-ghost btn-small file-btn">"Attach"
                    <input type="file" multiple class="sr-only" on:change=move |ev| pick_files(ev, conversation_id, files, upload_err)/>
                </label>
                {signature.filter(|_| may_reply).map(|s| view! { <span class="muted small" title=s.clone()>"Signature added to replies"</span> })}
                {may_reply.then(|| view! {
                    <button class="btn btn-ghost btn-small" type="button" data-testid="format-for-channel"
                        title="Add this channel's greeting, sign-off and reference, and check the length"
                        disabled=move || note.get() || body.with(|b| b.trim().is_empty())
                        on:click=move |_| {
                            let text = body.get_untracked();
                            leptos::task::spawn_local(async move {
                                match crate::serverfns::channels::format_for_channel(conversation_id, text).await {
                                    Ok(f) => {
                                        body.set(f.text);
                                        format_hint.set(Some(f.warning.unwrap_or_else(|| format!("Formatted for this channel ({} words, {}).", f.words, f.tone))));
                                    }
                                    Err(e) => local_err.set(Some(e)),
                                }
                            });
                        }>"Format for channel"</button>
                })}
                {move || format_hint.get().map(|h| view! { <span class="muted small" data-testid="format-hint">{h}</span> })}
                {matches!(channel, Channel::Sms | Channel::Whatsapp).then(|| view! {
                    <span class="muted small" data-testid="sms-counter">
                        {move || if note.get() { String::new() } else { body.with(|b| describe_outbound(b, channel == Channel::Sms)) }}
                    </span>
                })}
                <button class="btn btn-primary" data-testid="send" disabled=move || send.pending().get() || body.with(|b| b.trim().is_empty()) && files.with(Vec::is_empty)
                    on:click=move |_| submit(false)>
                    {move || if note.get() { "Add note" } else { "Send reply" }}
                </button>
            </div>
        </section>
    }
}

fn js_now() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(feature = "hydrate"))]
    0.0
}

#[component]
fn CannedPicker(conversation_id: i32, body: RwSignal<String>) -> impl IntoView {
    let open = RwSignal::new(false);
    let q = RwSignal::new(String::new());
    let found = Resource::new(
        move || (open.get(), q.get()),
        |(o, q)| async move {
            if o {
                list_canned(q).await
            } else {
                Ok(Vec::new())
            }
        },
    );
    let err = RwSignal::new(None::<AppError>);
    view! {
        <div class="canned">
            <button class="btn btn-ghost btn-small" data-testid="canned-open" on:click=move |_| open.update(|o| *o = !*o)>"Canned responses"</button>
            {move || open.get().then(|| view! {
                <div class="popover" data-testid="canned-picker">
                    <input type="search" placeholder="Search responses" aria-label="Search canned responses" prop:value=move || q.get() on:input=move |ev| q.set(event_target_value(&ev))/>
                    <Transition fallback=|| view! { <Loading/> }>
                        {move || found.get().map(|r| match r {
                            Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                            Ok(list) if list.is_empty() => view! { <p class="muted small">"No canned responses match."</p> }.into_any(),
                            Ok(list) => view! {
                                <ul class="canned-list">
                                    {list.into_iter().map(|c| {
                                        let text = c.body.clone();
                                        view! {
                                            <li><button class="linkish" on:click=move |_| {
                                                let text = text.clone();
                                                leptos::task::spawn_local(async move {
                                                    match render_template(conversation_id, text).await {
                                                        Ok(r) if r.unknown_variables.is_empty() => {
                                                            body.update(|b| { if !b.is_empty() { b.push_str("\n\n"); } b.push_str(&r.text); });
                                                            open.set(false);
                                                            err.set(None);
                                                        }
                                                        Ok(r) => err.set(Some(AppError::field("body", format!("Unknown variable(s): {}", r.unknown_variables.join(", "))))),
                                                        Err(e) => err.set(Some(e)),
                                                    }
                                                });
                                            }>
                                                <span class="muted small">{c.category.clone()}</span> " " <strong>{c.title.clone()}</strong>
                                                {(!c.shared).then(|| view! { <span class="badge badge-muted">"personal"</span> })}
                                            </button></li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                        })}
                    </Transition>
                    <FormError error=Signal::derive(move || err.get())/>
                </div>
            })}
        </div>
    }
}

#[component]
fn SideConversationForm(conversation_id: i32) -> impl IntoView {
    let ctx = expect_context::<InboxCtx>();
    let open = RwSignal::new(false);
    let start = ServerAction::<StartSideConversation>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = start.value().get() {
            open.set(false);
            ctx.refresh.update(|n| *n += 1);
        }
    });
    let err = action_error(start.value());
    view! {
        <div class="side-form">
            <button class="btn btn-ghost btn-small" on:click=move |_| open.update(|o| *o = !*o)>"Side conversation…"</button>
            {move || open.get().then(|| view! {
                <leptos::form::ActionForm action=start attr:class="form">
                    <input type="hidden" name="conversation_id" value=conversation_id.to_string()/>
                    <div class="form-inline">
                        <div class="field"><label for="sc-via">"By"</label>
                            <select id="sc-via" name="via">
                                <option value="email" selected>"Email"</option>
                                <option value="slack">"Slack channel"</option>
                            </select>
                        </div>
                        <div class="field"><label for="sc-to">"To (email, or #channel for Slack)"</label><input id="sc-to" name="to_email" required/></div>
                        <div class="field"><label for="sc-subject">"Subject"</label><input id="sc-subject" name="subject" required/></div>
                    </div>
                    <div class="field"><label for="sc-body">"Message"</label><textarea id="sc-body" name="body" rows="3" required></textarea></div>
                    <FormError error=err/>
                    <button class="btn btn-small" type="submit">"Send side conversation"</button>
                </leptos::form::ActionForm>
            })}
        </div>
    }
}

fn pick_files(
    ev: leptos::ev::Event,
    conversation_id: i32,
    files: RwSignal<Vec<AttachmentView>>,
    err: RwSignal<Option<AppError>>,
) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let input: Option<web_sys::HtmlInputElement> = ev.target().and_then(|t| t.dyn_into().ok());
        if let Some(list) = input.and_then(|i| i.files()) {
            upload_list(&list, conversation_id, files, err);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ev, conversation_id, files, err);
}

fn drop_files(
    ev: leptos::ev::DragEvent,
    conversation_id: i32,
    files: RwSignal<Vec<AttachmentView>>,
    err: RwSignal<Option<AppError>>,
) {
    #[cfg(feature = "hydrate")]
    if let Some(list) = ev.data_transfer().and_then(|d| d.files()) {
        upload_list(&list, conversation_id, files, err);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ev, conversation_id, files, err);
}

#[cfg(feature = "hydrate")]
fn upload_list(
    list: &web_sys::FileList,
    conversation_id: i32,
    files: RwSignal<Vec<AttachmentView>>,
    err: RwSignal<Option<AppError>>,
) {
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    err.set(None);
    for i in 0..list.length() {
        let Some(file) = list.get(i) else { continue };
        if file.size() > 20.0 * 1024.0 * 1024.0 {
            err.set(Some(AppError::field(
                "file",
                format!("{} is larger than 20 MB.", file.name()),
            )));
            continue;
        }
        let Ok(reader) = web_sys::FileReader::new() else {
            continue;
        };
        let r = reader.clone();
        let name = file.name();
        let onload = Closure::<dyn FnMut()>::new(move || {
            if let Some(url) = r.result().ok().and_then(|v| v.as_string()) {
                let name = name.clone();
                leptos::task::spawn_local(async move {
                    match crate::serverfns::inbox::upload_attachment(conversation_id, name, url)
                        .await
                    {
                        Ok(a) => files.update(|f| f.push(a)),
                        Err(e) => err.set(Some(e)),
                    }
                });
            }
        });
        reader.set_onload(Some(onload.as_ref().unchecked_ref()));
        onload.forget();
        let _ = reader.read_as_data_url(&file);
    }
}

/// WhatsApp only allows approved templates outside the 24-hour window: pick
/// one, fill its variables, send. The templates load when the form opens.
#[component]
fn WhatsappTemplates(conversation_id: i32) -> impl IntoView {
    let ctx = expect_context::<InboxCtx>();
    let templates = RwSignal::new(None::<Vec<WhatsappTemplate>>);
    let chosen = RwSignal::new(String::new());
    let values = RwSignal::new(Vec::<String>::new());
    let send = ServerAction::<crate::serverfns::channels::SendWhatsappTemplate>::new();
    let err = action_error(send.value());
    let load_err = RwSignal::new(None::<AppError>);
    Effect::new(move |_| {
        if let Some(Ok(_)) = send.value().get() {
            chosen.set(String::new());
            values.set(Vec::new());
            ctx.refresh.update(|n| *n += 1);
        }
    });
    let current = move || {
        let name = chosen.get();
        templates.with(|t| {
            t.as_ref()
                .and_then(|t| t.iter().find(|x| x.name == name).cloned())
        })
    };
    view! {
        <details class="card wa-templates" data-testid="wa-templates" on:toggle=move |_| {
            if templates.get_untracked().is_none() {
                leptos::task::spawn_local(async move {
                    match crate::serverfns::channels::list_whatsapp_templates().await {
                        Ok(t) => templates.set(Some(t)),
                        Err(e) => load_err.set(Some(e)),
                    }
                });
            }
        }>
            <summary>"Send an approved WhatsApp template"</summary>
            <p class="muted small">"WhatsApp allows free text only within 24 hours of the customer's last message; a template can be sent at any time."</p>
            <FormError error=Signal::derive(move || load_err.get())/>
            {move || match templates.get() {
                None => view! { <p class="loading">"Loading…"</p> }.into_any(),
                Some(t) if t.is_empty() => view! {
                    <p class="muted small">"No templates yet: add approved ones in " <a href="/app/settings/sms">"Settings → SMS & WhatsApp"</a> "."</p>
                }.into_any(),
                Some(t) => view! {
                    <form class="form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        send.dispatch(crate::serverfns::channels::SendWhatsappTemplate {
                            conversation_id,
                            template: chosen.get_untracked(),
                            values: values.get_untracked(),
                        });
                    }>
                        <label for="wa-template">"Template"</label>
                        <select id="wa-template" data-testid="wa-template" on:change=move |ev| {
                            let name = event_target_value(&ev);
                            let n = templates.with_untracked(|t| t.as_ref().and_then(|t| t.iter().find(|x| x.name == name).map(WhatsappTemplate::variables)).unwrap_or(0));
                            values.set(vec![String::new(); n]);
                            chosen.set(name);
                        }>
                            <option value="">"Choose…"</option>
                            {t.iter().map(|x| view! { <option value=x.name.clone()>{x.name.clone()}</option> }).collect_view()}
                        </select>
                        {move || current().map(|tpl| {
                            let n = tpl.variables();
                            view! {
                                <p class="small quote">{tpl.body.clone()}</p>
                                {(0..n).map(|i| view! {
                                    <label for=format!("wa-var-{i}")>{format!("{{{{{}}}}}", i + 1)}</label>
                                    <input id=format!("wa-var-{i}") data-testid="wa-var" required=true
                                        prop:value=move || values.with(|v| v.get(i).cloned().unwrap_or_default())
                                        on:input=move |ev| { let v = event_target_value(&ev); values.update(|vals| if let Some(x) = vals.get_mut(i) { *x = v; }); }/>
                                }).collect_view()}
                                <p class="muted small">{move || values.with(|v| format!("Sends: {}", tpl.render(v)))}</p>
                                <div><button class="btn btn-primary btn-small" type="submit" data-testid="wa-send" disabled=move || send.pending().get()>"Send template"</button></div>
                            }
                        })}
                    </form>
                }.into_any(),
            }}
            <FormError error=err/>
        </details>
    }
}

/// An attachment's transcript: in progress, failed with why, or the text
/// (folded).
fn transcript_view(t: crate::types::TranscriptView) -> AnyView {
    match t.status.as_str() {
        "completed" => view! {
            <details class="transcript" data-testid="transcript" data-status="completed">
                <summary>"Transcript"</summary>
                <p class="transcript-text">{t.text.unwrap_or_default()}</p>
            </details>
        }
        .into_any(),
        "error" => view! {
            <p class="field-error small" data-testid="transcript" data-status="error">
                "Transcription failed: " {t.error.unwrap_or_default()}
            </p>
        }
        .into_any(),
        _ => view! {
            <span class="badge" data-testid="transcript" data-status=t.status.clone()>"Transcribing…"</span>
        }
        .into_any(),
    }
}
