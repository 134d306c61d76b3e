//! `/app/orders`: the workspace's orders — a count per status, a search by
//! number, name or email, the list, and one order's detail (`?o=1042`): its
//! lines, amounts, address, payment, tracking and timeline, with the moves a
//! person makes (pack, ship with a tracking number, mark delivered) and a
//! refund proposal (the `refund_order` tool: it always waits for an
//! approver). The filter lives in the address, so every view is a link.

use crate::components::{action_error, fmt_time, Empty, ErrorBox, FormError, Loading};
use crate::pages::order_forms::OrderChangesToggle;
use crate::serverfns::actions::ProposeAction;
use crate::serverfns::store::{
    get_store_order, list_store_orders, DeliverOrder, PackOrder, ShipOrder,
};
use crate::types::{
    money, OrderDetail, OrderStatus, OrdersPageView, ProposalForm, ShipForm, TrackingView, CARRIERS,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

fn link(status: &str, q: &str, page: u64, o: Option<&str>) -> String {
    let mut parts = Vec::new();
    if !status.is_empty() {
        parts.push(format!("status={status}"));
    }
    if !q.is_empty() {
        parts.push(format!("q={}", urlencoding(q)));
    }
    if page > 1 {
        parts.push(format!("page={page}"));
    }
    if let Some(o) = o {
        parts.push(format!("o={o}"));
    }
    if parts.is_empty() {
        "/app/orders".into()
    } else {
        format!("/app/orders?{}", parts.join("&"))
    }
}

/// Percent-encodes a query value.
fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The orders page.
#[component]
pub fn OrdersPage() -> impl IntoView {
    let q = use_query_map();
    let status = Memo::new(move |_| q.read().get("status").unwrap_or_default());
    let search = Memo::new(move |_| q.read().get("q").unwrap_or_default());
    let page = Memo::new(move |_| {
        q.read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(1)
    });
    let open = Memo::new(move |_| q.read().get("o").filter(|o| !o.is_empty()));
    let changed = RwSignal::new(0_u32);
    let list = Resource::new(
        move || (status.get(), search.get(), page.get(), changed.get()),
        |(s, query, p, _)| list_store_orders(s, query, p),
    );
    let typed = RwSignal::new(String::new());
    let navigate = leptos_router::hooks::use_navigate();
    let find = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        navigate(
            &link(
                &status.get_untracked(),
                typed.get_untracked().trim(),
                1,
                None,
            ),
            Default::default(),
        );
    };
    view! {
        <Title text="Orders"/>
        <header class="page-head">
            <h1>"Orders"</h1>
            <p class="muted">"Every order from the storefront and the team: pack it, ship it with the carrier's tracking number, mark it delivered. Refunds are proposed here and wait for an approver."</p>
        </header>
        <form class="list-tools" role="search" on:submit=find>
            <input
                type="search"
                aria-label="Find orders"
                placeholder="Order number, customer name or email"
                prop:value=move || typed.get()
                on:input=move |ev| typed.set(event_target_value(&ev))
            />
            <button class="btn" type="submit">"Find"</button>
        </form>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(v) => view! {
                        <OrderList v=v status=status.get() search=search.get() open=open.get()/>
                    }.into_any(),
                }
            })}
        </Transition>
        {move || open.get().map(|number| view! { <OrderPane number changed/> })}
    }
}

#[component]
fn OrderList(
    v: OrdersPageView,
    status: String,
    search: String,
    open: Option<String>,
) -> impl IntoView {
    let all: u64 = v.counts.iter().map(|(_, n)| n).sum();
    let tab = |key: &str, label: String, n: u64, current: &str, q: &str| {
        let class = if key == current { "tab active" } else { "tab" };
        view! {
            <A href=link(key, q, 1, None) attr:class=class attr:data-status=key.to_owned()>
                {label}" "<span class="count">{n}</span>
            </A>
        }
    };
    view! {
        <nav class="tabs" data-testid="order-tabs">
            {tab("", "All".into(), all, &status, &search)}
            {v.counts.iter().filter(|(_, n)| *n > 0).map(|(s, n)| tab(s.as_str(), s.label().to_owned(), *n, &status, &search)).collect_view()}
        </nav>
        {if v.rows.is_empty() {
            view! { <Empty title="No orders here" hint="Orders appear as shoppers check out in the storefront."/> }.into_any()
        } else {
            let pages = v.pages;
            let page = v.page;
            view! {
                <section class="card">
                    <table class="table" data-testid="orders">
                        <thead><tr><th>"Order"</th><th>"Customer"</th><th>"Placed"</th><th>"Items"</th><th class="num">"Total"</th><th>"Status"</th></tr></thead>
                        <tbody>
                            {v.rows.into_iter().map(|r| {
                                let s = r.summary;
                                let current = open.as_deref() == Some(s.number.as_str());
                                view! {
                                    <tr data-testid="order-row" data-number=s.number.clone() data-status=s.status.as_str() class:selected=current>
                                        <td><A href=link(&status, &search, page, Some(&s.number))>{format!("#{}", s.number)}</A></td>
                                        <td>{r.customer_name}<br/><span class="muted small">{r.customer_email.unwrap_or_default()}</span></td>
                                        <td class="nowrap muted">{fmt_time(&s.placed_at)}</td>
                                        <td>{s.items}</td>
                                        <td class="num">{money(s.total_minor, &s.currency)}
                                            {(s.refunded_minor > 0).then(|| view! { <br/><span class="muted small">{format!("refunded {}", money(s.refunded_minor, &s.currency))}</span> })}
                                        </td>
                                        <td><span class=format!("badge order-{}", s.status.as_str())>{s.status.label()}</span></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    {(pages > 1).then(|| view! {
                        <nav class="pager">
                            {(page > 1).then(|| view! { <A href=link(&status, &search, page - 1, None)>"← Newer"</A> })}
                            <span class="muted">{format!("Page {page} of {pages}")}</span>
                            {(page < pages).then(|| view! { <A href=link(&status, &search, page + 1, None)>"Older →"</A> })}
                        </nav>
                    })}
                </section>
            }.into_any()
        }}
    }
}

#[component]
fn OrderPane(number: String, changed: RwSignal<u32>) -> impl IntoView {
    let pack = ServerAction::<PackOrder>::new();
    let ship = ServerAction::<ShipOrder>::new();
    let deliver = ServerAction::<DeliverOrder>::new();
    let propose = ServerAction::<ProposeAction>::new();
    let key = number.clone();
    let detail = Resource::new(
        move || {
            (
                key.clone(),
                pack.version().get(),
                ship.version().get(),
                deliver.version().get(),
                propose.version().get(),
                changed.get(),
            )
        },
        |(n, ..)| get_store_order(n),
    );
    Effect::new(move |_| {
        let done = pack.version().get() + ship.version().get() + deliver.version().get();
        if done > 0 {
            changed.update(|c| *c += 1);
        }
    });
    let errors = [
        action_error(pack.value()),
        action_error(ship.value()),
        action_error(deliver.value()),
        action_error(propose.value()),
    ];
    view! {
        <section class="card order-pane" data-testid="order-pane" aria-label=format!("Order {number}")>
            {errors.into_iter().map(|e| view! { <FormError error=e/> }).collect_view()}
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(d) => view! { <OrderBody d pack ship deliver propose changed/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn OrderBody(
    d: OrderDetail,
    pack: ServerAction<PackOrder>,
    ship: ServerAction<ShipOrder>,
    deliver: ServerAction<DeliverOrder>,
    propose: ServerAction<ProposeAction>,
    changed: RwSignal<u32>,
) -> impl IntoView {
    let s = d.summary.clone();
    let cur = s.currency.clone();
    let number = s.number.clone();
    let left = s.total_minor - s.refunded_minor;
    let refundable = left > 0 && s.status.check_move(OrderStatus::Refunded).is_ok();
    let carrier = RwSignal::new(CARRIERS[0].to_owned());
    let tracking = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let n_pack = number.clone();
    let n_ship = number.clone();
    let n_deliver = number.clone();
    let n_refund = number.clone();
    let proposed = move || {
        propose.value().get().and_then(Result::ok).map(|a| {
            view! {
                <p class="muted small" role="status">
                    {if a.status == "pending" { format!("Refund proposed: action #{} waits for an approver.", a.id) } else { format!("Action #{}: {}", a.id, a.status) }}
                </p>
            }
        })
    };
    view! {
        <header class="order-head">
            <h2>{format!("Order #{}", s.number)}</h2>
            <span class=format!("badge order-{}", s.status.as_str()) data-testid="order-pane-status" data-status=s.status.as_str()>{s.status.label()}</span>
        </header>
        <p class="muted">{d.customer_name.clone()}" · placed "{fmt_time(&s.placed_at)}" · paid with "{d.payment.clone()}{d.paid_through_stripe.then_some(" (Stripe)")}</p>
        <table class="table">
            <thead><tr><th>"Item"</th><th>"SKU"</th><th class="num">"Qty"</th><th class="num">"Price"</th><th class="num">"Line"</th></tr></thead>
            <tbody>
                {d.lines.iter().map(|l| view! {
                    <tr>
                        <td>{l.product.clone()}" "<span class="muted">{l.variant.clone()}</span>
                            {(l.refunded_quantity > 0).then(|| view! { <br/><span class="muted small">{format!("{} returned", l.refunded_quantity)}</span> })}
                        </td>
                        <td><code>{l.sku.clone()}</code></td>
                        <td class="num">{l.quantity}</td>
                        <td class="num">{money(l.unit_price_minor, &cur)}</td>
                        <td class="num">{money(l.unit_price_minor * i64::from(l.quantity), &cur)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
            <tfoot>
                <tr><td colspan="4">"Subtotal"</td><td class="num">{money(d.subtotal_minor, &cur)}</td></tr>
                <tr><td colspan="4">"Shipping"</td><td class="num">{money(d.shipping_minor, &cur)}</td></tr>
                <tr><th colspan="4">"Total"</th><th class="num">{money(s.total_minor, &cur)}</th></tr>
                {(s.refunded_minor > 0).then(|| view! { <tr><td colspan="4">"Refunded"</td><td class="num">{money(s.refunded_minor, &cur)}</td></tr> })}
            </tfoot>
        </table>
        <dl class="ids">
            <dt>"Ships to"</dt><dd>{d.address.one_line()}</dd>
            <dt>"Tracking"</dt><dd data-testid="order-tracking">{s.tracking_number.clone().unwrap_or_else(|| "—".into())}</dd>
        </dl>
        {s.tracking_number.is_some().then(|| tracking_section(&d.tracking))}
        <div class="order-moves">
            {(s.status == OrderStatus::Paid).then(|| view! {
                <button class="btn" data-testid="pack" on:click=move |_| { pack.dispatch(PackOrder { number: n_pack.clone() }); }>"Mark packed"</button>
            })}
            {(s.status == OrderStatus::Fulfilled).then(|| view! {
                <form class="inline-form" data-testid="ship-form" on:submit=move |ev| {
                    ev.prevent_default();
                    ship.dispatch(ShipOrder { form: ShipForm { number: n_ship.clone(), carrier: carrier.get_untracked(), tracking_number: tracking.get_untracked() } });
                }>
                    <select aria-label="Carrier" on:change=move |ev| carrier.set(event_target_value(&ev))>
                        {CARRIERS.iter().map(|c| view! { <option value=*c>{*c}</option> }).collect_view()}
                    </select>
                    <input type="text" required aria-label="Tracking number" placeholder="Tracking number"
                        prop:value=move || tracking.get() on:input=move |ev| tracking.set(event_target_value(&ev))/>
                    <button class="btn" type="submit">"Ship"</button>
                </form>
            })}
            {(s.status == OrderStatus::Shipped).then(|| view! {
                <button class="btn" data-testid="deliver" on:click=move |_| { deliver.dispatch(DeliverOrder { number: n_deliver.clone() }); }>"Mark delivered"</button>
            })}
            {refundable.then(|| view! {
                <form class="inline-form" data-testid="refund-form" on:submit=move |ev| {
                    ev.prevent_default();
                    let why = reason.get_untracked();
                    #[allow(clippy::cast_precision_loss, reason = "money amounts are far below 2^52")]
                    let amount = left as f64 / 100.0;
                    let input = serde_json::json!({"order": n_refund, "reason": why, "amount": amount});
                    propose.dispatch(ProposeAction { form: ProposalForm {
                        tool: "refund_order".into(),
                        input_json: input.to_string(),
                        conversation_number: None,
                        reasoning: why,
                    } });
                }>
                    <input type="text" required maxlength="500" aria-label="Reason for the refund" placeholder="Reason"
                        prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev))/>
                    <button class="btn" type="submit">{format!("Propose refund of {}", money(left, &cur))}</button>
                </form>
            })}
            {proposed}
        </div>
        {matches!(s.status, OrderStatus::Pending | OrderStatus::Delivered | OrderStatus::PartiallyRefunded).then(|| view! {
            <OrderChangesToggle
                number=number.clone()
                conversation_number=None
                on_change=Callback::new(move |()| changed.update(|c| *c += 1))
            />
        })}
        <h3>"Timeline"</h3>
        <ol class="timeline" data-testid="order-timeline">
            {d.events.iter().rev().map(|e| view! {
                <li>
                    <span class="muted small nowrap">{fmt_time(&e.at)}</span>" "
                    {e.to.map(|t| view! { <span class=format!("badge order-{}", t.as_str())>{t.label()}</span> })}" "
                    {e.note.clone()}
                    <span class="muted small">{format!(" — {}", e.actor)}</span>
                </li>
            }).collect_view()}
        </ol>
    }
}

/// What the carrier reported: status, estimate and scans, newest first.
fn tracking_section(t: &TrackingView) -> impl IntoView {
    let who = match &t.provider {
        Some(p) => format!("Followed by {p}"),
        None => "No tracking provider follows this parcel (Settings → Store → Shipment tracking)."
            .to_owned(),
    };
    view! {
        <section class="tracking" data-testid="carrier-tracking">
            <h3>"Carrier"</h3>
            <p class="small">
                {t.status.map(|st| view! { <span class="badge" data-testid="carrier-status" data-status=st.as_str()>{st.label()}</span>" " })}
                <span class="muted">{who}</span>
                {t.eta.as_deref().map(|e| format!(" · expected {}", fmt_time(e)))}
                {t.checked_at.as_deref().map(|c| format!(" · last heard {}", fmt_time(c)))}
            </p>
            {(!t.events.is_empty()).then(|| view! {
                <ol class="timeline" data-testid="carrier-events">
                    {t.events.iter().map(|e| view! {
                        <li>
                            <span class="muted small nowrap">{fmt_time(&e.at)}</span>" "
                            {e.description.clone()}
                            {(!e.location.is_empty()).then(|| view! { <span class="muted small">{format!(" — {}", e.location)}</span> })}
                        </li>
                    }).collect_view()}
                </ol>
            })}
        </section>
    }
}
