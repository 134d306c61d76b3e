//! `/app/inbox`: views with live counts, the conversation list (filters, sort,
//! keyset pages, multi-select bulk actions, search) and the conversation pane.
//! Keyboard: j/k move, r reply, n note, e solve, / search, ? help, Esc close.
//!
//! State lives in the URL (`?view=3&c=123`), so every screen can be linked to and
//! reloaded.

use super::admin::{use_live, use_session};
use super::conversation::ConversationPane;
use crate::components::{action_error, fmt_time, ErrorBox, FormError, Loading, SlaBadge};
use crate::permissions::{can, Action, Role};
use crate::serverfns::inbox::{
    get_inbox_meta, list_conversations, list_notifications, list_views, search_inbox, BulkUpdate,
    DeleteView, MarkNotificationsRead, MergeConversations, MoveView, SaveView, UndoMerge,
};
use crate::types::{
    AssigneeFilter, Channel, CustomFieldFilter, InboxMeta, InboxRow, Priority, SearchHit,
    SortOrder, Status, ViewFilter, ViewSummary,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

/// What the composer should do when a shortcut asks for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComposerCommand {
    /// Nothing pending.
    None,
    /// Focus the composer in reply mode.
    Reply,
    /// Focus the composer in note mode.
    Note,
    /// Mark solved.
    Solve,
}

/// Shared between the list and the pane.
#[derive(Clone, Copy)]
pub struct InboxCtx {
    /// Shortcut commands for the pane.
    pub command: RwSignal<ComposerCommand>,
    /// Bumped after a local change, to refetch lists.
    pub refresh: RwSignal<u64>,
    /// A message at the top of the page (e.g. "Merged. Undo").
    pub notice: RwSignal<Option<(String, Option<i32>)>>,
}

fn inbox_href(view: Option<i32>, c: Option<i32>) -> String {
    let mut parts = Vec::new();
    if let Some(v) = view {
        parts.push(format!("view={v}"));
    }
    if let Some(c) = c {
        parts.push(format!("c={c}"));
    }
    if parts.is_empty() {
        "/app/inbox".to_owned()
    } else {
        format!("/app/inbox?{}", parts.join("&"))
    }
}

/// The inbox.
#[component]
pub fn InboxPage() -> impl IntoView {
    let live = use_live();
    let role = use_session().map_or(Role::Collaborator, |s| s.role());
    let query = use_query_map();
    let view_id =
        Memo::new(move |_| query.with(|q| q.get("view").and_then(|v| v.parse::<i32>().ok())));
    let open = Memo::new(move |_| query.with(|q| q.get("c").and_then(|v| v.parse::<i32>().ok())));
    let ctx = InboxCtx {
        command: RwSignal::new(ComposerCommand::None),
        refresh: RwSignal::new(0),
        notice: RwSignal::new(None),
    };
    provide_context(ctx);
    let sort = RwSignal::new(String::new());
    // Keyset pages: the cursor of the current page and the ones before it.
    let cursor = RwSignal::new(None::<String>);
    let back = RwSignal::new(Vec::<Option<String>>::new());
    Effect::new(move |_| {
        view_id.track();
        sort.track();
        cursor.set(None);
        back.set(Vec::new());
    });
    // Agents, teams and fields feed the bulk bar and the view editor, which open
    // only on a click: loaded in the browser after hydration, not sent with the page.
    let meta = LocalResource::new(move || {
        live.inbox.track();
        get_inbox_meta()
    });
    // Views render on the server without counts (one query); the counts are fetched
    // by the browser and refreshed live.
    let views = Resource::new(move || ctx.refresh.get(), |_| list_views(Some(false)));
    let counts = RwSignal::new(std::collections::HashMap::<i32, u64>::new());
    Effect::new(move |_| {
        live.inbox.track();
        ctx.refresh.track();
        leptos::task::spawn_local(async move {
            if let Ok(vs) = list_views(Some(true)).await {
                counts.set(vs.into_iter().map(|v| (v.id, v.count)).collect());
            }
        });
    });
    let page = Resource::new(
        move || {
            (
                view_id.get(),
                sort.get(),
                cursor.get(),
                live.inbox.get(),
                ctx.refresh.get(),
            )
        },
        |(v, s, c, _, _)| list_conversations(v, None, Some(s), c),
    );
    let rows = RwSignal::new(Vec::<InboxRow>::new());
    Effect::new(move |_| {
        if let Some(Ok(p)) = page.get() {
            rows.set(p.rows);
        }
    });
    let selected = RwSignal::new(Vec::<i32>::new());
    let search = RwSignal::new(String::new());
    let hits = RwSignal::new(None::<Result<Vec<SearchHit>, crate::error::AppError>>);
    let search_ref = NodeRef::<leptos::html::Input>::new();
    let help = RwSignal::new(false);
    let editing = RwSignal::new(None::<Option<ViewSummary>>);

    // Keyboard shortcuts (browser only).
    let navigate = use_navigate();
    Effect::new(move |_| {
        let navigate = navigate.clone();
        let handle = window_event_listener(leptos::ev::keydown, move |e| {
            let tag = e
                .target()
                .and_then(|t| wasm_target_tag(&t))
                .unwrap_or_default();
            let key = e.key();
            if key == "Escape" {
                help.set(false);
                return;
            }
            if matches!(tag.as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                || e.ctrl_key()
                || e.meta_key()
                || e.alt_key()
            {
                return;
            }
            let list = rows.get_untracked();
            let current = open.get_untracked();
            let idx = current.and_then(|n| list.iter().position(|r| r.number == n));
            match key.as_str() {
                "j" | "k" => {
                    let next = match (idx, key.as_str()) {
                        (None, _) => 0,
                        (Some(i), "j") => (i + 1).min(list.len().saturating_sub(1)),
                        (Some(i), _) => i.saturating_sub(1),
                    };
                    if let Some(r) = list.get(next) {
                        navigate(
                            &inbox_href(view_id.get_untracked(), Some(r.number)),
                            Default::default(),
                        );
                    }
                }
                "r" => ctx.command.set(ComposerCommand::Reply),
                "n" => ctx.command.set(ComposerCommand::Note),
                "e" => ctx.command.set(ComposerCommand::Solve),
                "/" => {
                    e.prevent_default();
                    if let Some(i) = search_ref.get_untracked() {
                        let _ = i.focus();
                    }
                }
                "?" => help.update(|h| *h = !*h),
                _ => return,
            }
            if key != "/" {
                e.prevent_default();
            }
        });
        on_cleanup(move || handle.remove());
    });

    let do_search = move || {
        let q = search.get_untracked();
        if q.trim().is_empty() {
            hits.set(None);
            return;
        }
        leptos::task::spawn_local(async move {
            hits.set(Some(search_inbox(q, String::new()).await));
        });
    };

    view! {
        <Title text="Inbox"/>
        <div class="inbox" data-testid="inbox">
            <aside class="inbox-views" aria-label="Views">
                <div class="inbox-views-head">
                    <h2>"Views"</h2>
                    <button class="btn btn-ghost btn-small" title="New view" on:click=move |_| editing.set(Some(None))>"+ New"</button>
                </div>
                <Transition fallback=|| view! { <Loading/> }>
                    {move || Suspend::new(async move {
                        match views.await {
                            Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                            Ok(vs) => view! { <ViewList views=vs current=view_id role editing counts/> }.into_any(),
                        }
                    })}
                </Transition>
                <Notifications/>
                <p class="muted small kbd-hint">"Press " <kbd>"?"</kbd> " for shortcuts"</p>
            </aside>
            <section class="inbox-list" aria-label="Conversations">
                <div class="list-tools">
                    <form class="search" on:submit=move |ev| { ev.prevent_default(); do_search(); }>
                        <input node_ref=search_ref type="search" placeholder="Search conversations, messages, customers  ( / )" aria-label="Search"
                            prop:value=move || search.get()
                            on:input=move |ev| { search.set(event_target_value(&ev)); if event_target_value(&ev).is_empty() { hits.set(None); } }/>
                    </form>
                    <select aria-label="Sort" on:change=move |ev| sort.set(event_target_value(&ev))>
                        <option value="">"View order"</option>
                        {SortOrder::ALL.iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                    </select>
                </div>
                {move || ctx.notice.get().map(|(text, merge_id)| view! { <Notice text merge_id/> })}
                {move || match hits.get() {
                    Some(Err(e)) => view! { <ErrorBox error=e/> }.into_any(),
                    Some(Ok(h)) => view! { <SearchResults hits=h view_id=view_id.get_untracked()/> }.into_any(),
                    None => view! {
                        <BulkBar selected meta role/>
                        <Transition fallback=|| view! { <Loading/> }>
                            {move || Suspend::new(async move {
                                match page.await {
                                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                                    Ok(p) => {
                                        let next = p.next_cursor.clone();
                                        let empty = p.rows.is_empty();
                                        view! {
                                            {empty.then(|| view! { <div class="empty"><p class="empty-title">"No conversations here"</p><p class="empty-hint">"Nothing matches this view right now."</p></div> })}
                                            <ul class="conv-list" data-testid="conversation-list">
                                                {p.rows.into_iter().map(|r| view! { <ConvItem row=r open selected view_id/> }).collect_view()}
                                            </ul>
                                            <div class="pager">
                                                <button class="btn btn-small" disabled=move || back.with(Vec::is_empty) on:click=move |_| {
                                                    let mut b = back.get_untracked();
                                                    if let Some(prev) = b.pop() { back.set(b); cursor.set(prev); }
                                                }>"← Newer"</button>
                                                <button class="btn btn-small" disabled=next.is_none() on:click=move |_| {
                                                    back.update(|b| b.push(cursor.get_untracked()));
                                                    cursor.set(next.clone());
                                                }>"Older →"</button>
                                            </div>
                                        }.into_any()
                                    }
                                }
                            })}
                        </Transition>
                    }.into_any(),
                }}
            </section>
            <section class="inbox-pane" aria-label="Conversation">
                {move || match open.get() {
                    Some(n) => view! { <ConversationPane number=n view_id=view_id.get_untracked()/> }.into_any(),
                    None => view! { <div class="empty pane-empty"><p class="empty-title">"Pick a conversation"</p><p class="empty-hint">"Use j / k to move through the list."</p></div> }.into_any(),
                }}
            </section>
        </div>
        {move || help.get().then(|| view! { <HelpOverlay close=move || help.set(false)/> })}
        {move || editing.get().map(|v| view! { <ViewEditor existing=v meta role close=move || editing.set(None)/> })}
    }
}

fn wasm_target_tag(t: &leptos::web_sys::EventTarget) -> Option<String> {
    use leptos::wasm_bindgen::JsCast;
    t.dyn_ref::<leptos::web_sys::Element>()
        .map(leptos::web_sys::Element::tag_name)
}

/// Mentions and other notifications for the signed-in agent, live.
#[component]
fn Notifications() -> impl IntoView {
    let live = use_live();
    let read = ServerAction::<MarkNotificationsRead>::new();
    let list = Resource::new(
        move || (live.notifications.get(), read.version().get()),
        |_| list_notifications(),
    );
    view! {
        <Transition fallback=|| ()>
            {move || list.get().and_then(Result::ok).map(|ns| {
                let unread = ns.iter().filter(|n| !n.read).count();
                view! {
                    <section class="notifications" data-testid="notifications">
                        <h3 class="views-sub">"Notifications "
                            {(unread > 0).then(|| view! { <span class="badge prio-urgent" data-testid="unread-count">{unread}</span> })}
                        </h3>
                        {if ns.is_empty() {
                            view! { <p class="muted small">"No mentions or approvals for you yet. "<a href="/app/profile/notifications">"Choose what you get"</a></p> }.into_any()
                        } else {
                            view! {
                                <ul class="views">
                                    {ns.into_iter().take(8).map(|n| view! {
                                        <li class="notification" class:unread=!n.read>
                                            {match n.number {
                                                Some(num) => view! { <a href=inbox_href(None, Some(num))>{n.body.clone()}</a> }.into_any(),
                                                None => view! { <span>{n.body.clone()}</span> }.into_any(),
                                            }}
                                        </li>
                                    }).collect_view()}
                                </ul>
                                {(unread > 0).then(|| view! {
                                    <button class="btn btn-ghost btn-small" on:click=move |_| { read.dispatch(MarkNotificationsRead {}); }>"Mark all read"</button>
                                })}
                                <a class="small" href="/app/profile/notifications">"Choose what you get"</a>
                            }.into_any()
                        }}
                    </section>
                }
            })}
        </Transition>
    }
}

#[component]
fn Notice(text: String, merge_id: Option<i32>) -> impl IntoView {
    let ctx = expect_context::<InboxCtx>();
    let undo = ServerAction::<UndoMerge>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = undo.value().get() {
            ctx.notice.set(Some(("Merge undone.".into(), None)));
            ctx.refresh.update(|n| *n += 1);
        }
    });
    let err = action_error(undo.value());
    view! {
        <div class="alert alert-success notice" role="status" data-testid="notice">
            <span>{text}</span>
            {merge_id.map(|id| view! { <button class="btn btn-small" on:click=move |_| { undo.dispatch(UndoMerge { merge_id: id }); }>"Undo"</button> })}
            <button class="btn btn-ghost btn-small" aria-label="Dismiss" on:click=move |_| ctx.notice.set(None)>"×"</button>
        </div>
        <FormError error=err/>
    }
}

#[component]
fn ViewList(
    views: Vec<ViewSummary>,
    current: Memo<Option<i32>>,
    role: Role,
    editing: RwSignal<Option<Option<ViewSummary>>>,
    counts: RwSignal<std::collections::HashMap<i32, u64>>,
) -> impl IntoView {
    let ctx = expect_context::<InboxCtx>();
    let mv = ServerAction::<MoveView>::new();
    let del = ServerAction::<DeleteView>::new();
    Effect::new(move |_| {
        if mv.version().get() > 0 || del.version().get() > 0 {
            ctx.refresh.update(|n| *n += 1);
        }
    });
    let may_shared = can(role, Action::ManageSharedViews);
    let (shared, personal): (Vec<_>, Vec<_>) = views.into_iter().partition(|v| v.shared);
    let item = move |v: ViewSummary| {
        let id = v.id;
        let editable = !v.shared || may_shared;
        let v2 = v.clone();
        view! {
            <li class="view-item" class:active=move || current.get() == Some(id)>
                <a href=inbox_href(Some(id), None) data-testid="view-link">
                    <span class="view-name">{v.name.clone()}</span>
                    <span class="count" data-testid="view-count">{move || counts.with(|c| c.get(&id).map_or_else(String::new, |n| crate::types::fmt_count(*n)))}</span>
                </a>
                {editable.then(|| view! {
                    <span class="view-tools">
                        <button class="icon" title="Move up" aria-label=format!("Move {} up", v.name) on:click=move |_| { mv.dispatch(MoveView { id, delta: -1 }); }>"↑"</button>
                        <button class="icon" title="Move down" aria-label=format!("Move {} down", v.name) on:click=move |_| { mv.dispatch(MoveView { id, delta: 1 }); }>"↓"</button>
                        <button class="icon" title="Edit" aria-label=format!("Edit {}", v.name) on:click=move |_| editing.set(Some(Some(v2.clone())))>"✎"</button>
                        <button class="icon" title="Delete" aria-label=format!("Delete {}", v.name) on:click=move |_| { del.dispatch(DeleteView { id }); }>"×"</button>
                    </span>
                })}
            </li>
        }
    };
    view! {
        <ul class="views" data-testid="views">{shared.into_iter().map(item).collect_view()}</ul>
        {(!personal.is_empty()).then(|| view! {
            <h3 class="views-sub">"Personal"</h3>
            <ul class="views">{personal.into_iter().map(item).collect_view()}</ul>
        })}
    }
}

#[component]
fn ConvItem(
    row: InboxRow,
    open: Memo<Option<i32>>,
    selected: RwSignal<Vec<i32>>,
    view_id: Memo<Option<i32>>,
) -> impl IntoView {
    let id = row.id;
    let number = row.number;
    let href = move || inbox_href(view_id.get(), Some(number));
    view! {
        // Plain tags styled through `.conv` (style/main.css): the page carries 50 of
        // these, so every class name is paid 50 times.
        <li class="conv" class:open=move || open.get() == Some(number) class:unread=row.status == Status::New data-testid="conversation-row" data-number=number>
            <input type="checkbox" aria-label=format!("Select {}", row.reference())
                prop:checked=move || selected.with(|s| s.contains(&id))
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    selected.update(|s| if on { if !s.contains(&id) { s.push(id) } } else { s.retain(|x| *x != id) });
                }/>
            <a href=href>
                <b>{row.customer_name.clone()}</b>
                <time>{fmt_time(&row.updated_at)}</time>
                <p>{row.subject.clone()}</p>
                <small>{row.preview.clone()}</small>
                <div>
                    <code>{row.reference()}</code>
                    <span class=format!("badge status-{}", row.status.as_str())>{row.status.label()}</span>
                    {(row.priority >= Priority::High).then(|| view! { <span class=format!("badge prio-{}", row.priority.as_str())>{row.priority.label()}</span> })}
                    <em>{row.channel.label()}</em>
                    {row.assignee_name.clone().map(|a| view! { <span data-testid="row-assignee">{a}</span> })}
                    {row.sla.clone().map(|c| view! { <SlaBadge clock=c/> })}
                    {row.tags.iter().map(|t| view! { <span class="tag">{t.clone()}</span> }).collect_view()}
                </div>
            </a>
        </li>
    }
}

#[component]
fn BulkBar(
    selected: RwSignal<Vec<i32>>,
    meta: LocalResource<Result<InboxMeta, crate::error::AppError>>,
    role: Role,
) -> impl IntoView {
    let ctx = expect_context::<InboxCtx>();
    let bulk = ServerAction::<BulkUpdate>::new();
    let merge = ServerAction::<MergeConversations>::new();
    let tag = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(n)) = bulk.value().get() {
            ctx.notice
                .set(Some((format!("Updated {n} conversation(s)."), None)));
            selected.set(Vec::new());
            ctx.refresh.update(|x| *x += 1);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(id)) = merge.value().get() {
            ctx.notice
                .set(Some(("Conversations merged.".into(), Some(id))));
            selected.set(Vec::new());
            ctx.refresh.update(|x| *x += 1);
        }
    });
    let err = action_error(bulk.value());
    let merge_err = action_error(merge.value());
    let csv = move || {
        selected
            .get_untracked()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    let may = can(role, Action::ManageConversations);
    view! {
        {move || (may && !selected.with(Vec::is_empty)).then(|| view! {
            <div class="bulk" data-testid="bulk-bar">
                <span><strong>{move || selected.with(Vec::len)}</strong>" selected"</span>
                // The whole select redraws when the members arrive: no reactive
                // children inside a `<select>`.
                {move || {
                    let agents = meta.get().and_then(Result::ok).map(|m| m.agents).unwrap_or_default();
                    view! {
                        <select aria-label="Assign selected to" on:change=move |ev| {
                            let v = event_target_value(&ev);
                            if v != "-" { bulk.dispatch(BulkUpdate { ids_csv: csv(), action: "assign".into(), value: v }); }
                        }>
                            <option value="-">"Assign to…"</option>
                            <option value="">"Nobody"</option>
                            {agents.into_iter().map(|a| view! { <option value=a.id.to_string()>{a.name}</option> }).collect_view()}
                        </select>
                    }
                }}
                <select aria-label="Set status of selected" on:change=move |ev| {
                    let v = event_target_value(&ev);
                    if !v.is_empty() { bulk.dispatch(BulkUpdate { ids_csv: csv(), action: "status".into(), value: v }); }
                }>
                    <option value="">"Status…"</option>
                    {Status::ALL.iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                </select>
                <form class="inline" on:submit=move |ev| { ev.prevent_default(); bulk.dispatch(BulkUpdate { ids_csv: csv(), action: "tag".into(), value: tag.get_untracked() }); tag.set(String::new()); }>
                    <input type="text" placeholder="tag" aria-label="Tag selected" prop:value=move || tag.get() on:input=move |ev| tag.set(event_target_value(&ev))/>
                    <button class="btn btn-small" type="submit">"Tag"</button>
                </form>
                {move || (selected.with(Vec::len) >= 2 && can(role, Action::MergeConversations)).then(|| view! {
                    <button class="btn btn-small" data-testid="merge-selected" on:click=move |_| {
                        let ids = selected.get_untracked();
                        if let Some(primary) = ids.first().copied() {
                            merge.dispatch(MergeConversations { primary_id: primary, ids_csv: csv() });
                        }
                    }>"Merge"</button>
                })}
                <button class="btn btn-ghost btn-small" on:click=move |_| selected.set(Vec::new())>"Clear"</button>
            </div>
        })}
        <FormError error=err/>
        <FormError error=merge_err/>
    }
}

#[component]
fn SearchResults(hits: Vec<SearchHit>, view_id: Option<i32>) -> impl IntoView {
    if hits.is_empty() {
        return view! { <div class="empty"><p class="empty-title">"No matches"</p><p class="empty-hint">"Try another word, or fewer words."</p></div> }.into_any();
    }
    view! {
        <ul class="hits" data-testid="search-results">
            {hits.into_iter().map(|h| {
                let href = h.number.map(|n| inbox_href(view_id, Some(n)));
                view! {
                    <li class="hit">
                        <span class="badge badge-muted">{h.kind.clone()}</span>
                        {match href {
                            Some(href) => view! { <a href=href class="hit-title">{h.title.clone()}</a> }.into_any(),
                            None => view! { <span class="hit-title">{h.title.clone()}</span> }.into_any(),
                        }}
                        <p class="hit-snippet" inner_html=h.snippet_html.clone()></p>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn HelpOverlay(close: impl Fn() + Clone + Send + Sync + 'static) -> impl IntoView {
    let c2 = close.clone();
    view! {
        <div class="overlay" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" on:click=move |_| close()>
            <div class="dialog" on:click=|ev| ev.stop_propagation()>
                <h2>"Keyboard shortcuts"</h2>
                <table class="table shortcuts" data-testid="shortcuts">
                    <tbody>
                        <tr><td><kbd>"j"</kbd> " / " <kbd>"k"</kbd></td><td>"Next / previous conversation"</td></tr>
                        <tr><td><kbd>"r"</kbd></td><td>"Reply"</td></tr>
                        <tr><td><kbd>"n"</kbd></td><td>"Internal note"</td></tr>
                        <tr><td><kbd>"e"</kbd></td><td>"Mark solved"</td></tr>
                        <tr><td><kbd>"/"</kbd></td><td>"Search"</td></tr>
                        <tr><td><kbd>"?"</kbd></td><td>"This help"</td></tr>
                        <tr><td><kbd>"Esc"</kbd></td><td>"Close"</td></tr>
                    </tbody>
                </table>
                <button class="btn" on:click=move |_| c2()>"Close"</button>
            </div>
        </div>
    }
}

/// The filter builder for a new or existing view.
#[component]
fn ViewEditor(
    existing: Option<ViewSummary>,
    meta: LocalResource<Result<InboxMeta, crate::error::AppError>>,
    role: Role,
    close: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let ctx = expect_context::<InboxCtx>();
    let save = ServerAction::<SaveView>::new();
    let f = existing
        .as_ref()
        .map(|v| v.filter.clone())
        .unwrap_or_default();
    let name = RwSignal::new(
        existing
            .as_ref()
            .map(|v| v.name.clone())
            .unwrap_or_default(),
    );
    let shared = RwSignal::new(existing.as_ref().is_some_and(|v| v.shared));
    let statuses = RwSignal::new(f.statuses.clone());
    let priorities = RwSignal::new(f.priorities.clone());
    let channels = RwSignal::new(f.channels.clone());
    let assignee = RwSignal::new(match &f.assignee {
        None => String::new(),
        Some(AssigneeFilter::Me) => "me".into(),
        Some(AssigneeFilter::Unassigned) => "none".into(),
        Some(AssigneeFilter::User(u)) => u.to_string(),
    });
    let team = RwSignal::new(
        f.team_ids
            .first()
            .map(ToString::to_string)
            .unwrap_or_default(),
    );
    let tags = RwSignal::new(f.tags.join(", "));
    let created_after = RwSignal::new(f.created_after.clone().unwrap_or_default());
    let created_before = RwSignal::new(f.created_before.clone().unwrap_or_default());
    let updated_after = RwSignal::new(f.updated_after.clone().unwrap_or_default());
    let cf_key = RwSignal::new(f.custom.first().map(|c| c.key.clone()).unwrap_or_default());
    let cf_op = RwSignal::new(
        f.custom
            .first()
            .map_or_else(|| "eq".to_owned(), |c| c.op.clone()),
    );
    let cf_value = RwSignal::new(
        f.custom
            .first()
            .map(|c| c.value.clone())
            .unwrap_or_default(),
    );
    let sort = RwSignal::new(existing.as_ref().map_or(SortOrder::UpdatedDesc, |v| v.sort));
    let id = existing.as_ref().map(|v| v.id);
    let c2 = close.clone();
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            ctx.refresh.update(|n| *n += 1);
            c2();
        }
    });
    let err = action_error(save.value());
    let opt = |s: String| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let filter = ViewFilter {
            statuses: statuses.get_untracked(),
            priorities: priorities.get_untracked(),
            channels: channels.get_untracked(),
            assignee: match assignee.get_untracked().as_str() {
                "" => None,
                "me" => Some(AssigneeFilter::Me),
                "none" => Some(AssigneeFilter::Unassigned),
                u => u.parse().ok().map(AssigneeFilter::User),
            },
            team_ids: team.get_untracked().parse().ok().into_iter().collect(),
            tags: tags
                .get_untracked()
                .split(',')
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect(),
            custom: opt(cf_key.get_untracked())
                .map(|k| CustomFieldFilter {
                    key: k,
                    op: cf_op.get_untracked(),
                    value: cf_value.get_untracked(),
                })
                .into_iter()
                .collect(),
            created_after: opt(created_after.get_untracked()),
            created_before: opt(created_before.get_untracked()),
            updated_after: opt(updated_after.get_untracked()),
            updated_before: None,
            customer_id: None,
        };
        save.dispatch(SaveView {
            id,
            name: name.get_untracked(),
            shared: shared.get_untracked(),
            filter_json: serde_json::to_string(&filter).unwrap_or_default(),
            sort: sort.get_untracked().as_str().to_owned(),
        });
    };
    fn toggle<T: PartialEq + Copy + Send + Sync + 'static>(
        sig: RwSignal<Vec<T>>,
        v: T,
    ) -> impl Fn(leptos::ev::Event) {
        move |ev| {
            let on = event_target_checked(&ev);
            sig.update(|s| {
                if on {
                    if !s.contains(&v) {
                        s.push(v)
                    }
                } else {
                    s.retain(|x| *x != v)
                }
            });
        }
    }
    let c3 = close.clone();
    view! {
        <div class="overlay" role="dialog" aria-modal="true" aria-label="View">
            <form class="dialog form view-editor" on:submit=submit data-testid="view-editor">
                <h2>{if id.is_some() { "Edit view" } else { "New view" }}</h2>
                <div class="field">
                    <label for="v-name">"Name"</label>
                    <input id="v-name" required prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                </div>
                {(id.is_none() && can(role, Action::ManageSharedViews)).then(|| view! {
                    <label class="check"><input type="checkbox" prop:checked=move || shared.get() on:change=move |ev| shared.set(event_target_checked(&ev))/>" Shared with the workspace"</label>
                })}
                <fieldset><legend>"Status"</legend>
                    {Status::ALL.iter().map(|s| { let s = *s; view! { <label class="check"><input type="checkbox" prop:checked=statuses.get_untracked().contains(&s) on:change=toggle(statuses, s)/>{s.label()}</label> } }).collect_view()}
                </fieldset>
                <fieldset><legend>"Priority"</legend>
                    {Priority::ALL.iter().map(|p| { let p = *p; view! { <label class="check"><input type="checkbox" prop:checked=priorities.get_untracked().contains(&p) on:change=toggle(priorities, p)/>{p.label()}</label> } }).collect_view()}
                </fieldset>
                <fieldset><legend>"Channel"</legend>
                    {Channel::ALL.iter().map(|c| { let c = *c; view! { <label class="check"><input type="checkbox" prop:checked=channels.get_untracked().contains(&c) on:change=toggle(channels, c)/>{c.label()}</label> } }).collect_view()}
                </fieldset>
                <div class="form-inline">
                    <div class="field">
                        <label for="v-assignee">"Assignee"</label>
                        {move || {
                            let agents = meta.get().and_then(Result::ok).map(|m| m.agents).unwrap_or_default();
                            let now = assignee.get_untracked();
                            view! {
                                <select id="v-assignee" on:change=move |ev| assignee.set(event_target_value(&ev))>
                                    <option value="" selected=now.is_empty()>"Anyone"</option>
                                    <option value="me" selected=now == "me">"Me"</option>
                                    <option value="none" selected=now == "none">"Unassigned"</option>
                                    {agents.into_iter().map(|a| { let sel = now == a.id.to_string(); view! { <option value=a.id.to_string() selected=sel>{a.name}</option> } }).collect_view()}
                                </select>
                            }
                        }}
                    </div>
                    <div class="field">
                        <label for="v-team">"Team"</label>
                        {move || {
                            let teams = meta.get().and_then(Result::ok).map(|m| m.teams).unwrap_or_default();
                            let now = team.get_untracked();
                            view! {
                                <select id="v-team" on:change=move |ev| team.set(event_target_value(&ev))>
                                    <option value="" selected=now.is_empty()>"Any team"</option>
                                    {teams.into_iter().map(|t| { let sel = now == t.id.to_string(); view! { <option value=t.id.to_string() selected=sel>{t.name}</option> } }).collect_view()}
                                </select>
                            }
                        }}
                    </div>
                    <div class="field">
                        <label for="v-tags">"Tags (all of)"</label>
                        <input id="v-tags" placeholder="billing, vip" prop:value=move || tags.get() on:input=move |ev| tags.set(event_target_value(&ev))/>
                    </div>
                </div>
                <div class="form-inline">
                    <div class="field"><label for="v-ca">"Created after"</label><input id="v-ca" type="date" prop:value=move || created_after.get() on:input=move |ev| created_after.set(event_target_value(&ev))/></div>
                    <div class="field"><label for="v-cb">"Created before"</label><input id="v-cb" type="date" prop:value=move || created_before.get() on:input=move |ev| created_before.set(event_target_value(&ev))/></div>
                    <div class="field"><label for="v-ua">"Updated after"</label><input id="v-ua" type="date" prop:value=move || updated_after.get() on:input=move |ev| updated_after.set(event_target_value(&ev))/></div>
                </div>
                <div class="form-inline">
                    <div class="field">
                        <label for="v-cf">"Custom field"</label>
                        {move || {
                            let fields = meta.get().and_then(Result::ok).map(|m| m.fields).unwrap_or_default();
                            let now = cf_key.get_untracked();
                            view! {
                                <select id="v-cf" on:change=move |ev| cf_key.set(event_target_value(&ev))>
                                    <option value="" selected=now.is_empty()>"—"</option>
                                    {fields.into_iter().map(|f| { let sel = now == f.key; view! { <option value=f.key.clone() selected=sel>{f.label}</option> } }).collect_view()}
                                </select>
                            }
                        }}
                    </div>
                    <div class="field">
                        <label for="v-op">"Is"</label>
                        <select id="v-op" on:change=move |ev| cf_op.set(event_target_value(&ev))>
                            {[("eq", "equal to"), ("contains", "containing"), ("gt", "greater than"), ("lt", "less than"), ("set", "set")].into_iter().map(|(v, l)| view! { <option value=v selected=cf_op.get_untracked() == v>{l}</option> }).collect_view()}
                        </select>
                    </div>
                    <div class="field"><label for="v-val">"Value"</label><input id="v-val" prop:value=move || cf_value.get() on:input=move |ev| cf_value.set(event_target_value(&ev))/></div>
                </div>
                <div class="field">
                    <label for="v-sort">"Order"</label>
                    <select id="v-sort" on:change=move |ev| if let Some(s) = SortOrder::parse(&event_target_value(&ev)) { sort.set(s) }>
                        {SortOrder::ALL.iter().map(|s| view! { <option value=s.as_str() selected=sort.get_untracked() == *s>{s.label()}</option> }).collect_view()}
                    </select>
                </div>
                <FormError error=err/>
                <div class="actions">
                    <button class="btn btn-primary" type="submit" disabled=move || save.pending().get()>"Save view"</button>
                    <button class="btn btn-ghost" type="button" on:click=move |_| c3()>"Cancel"</button>
                </div>
            </form>
        </div>
    }
}
