//! The forms that change, return or exchange an order, shared by the orders
//! desk and the ticket's customer card. They open on request (nothing is
//! loaded until a person asks), offer what the order's rules allow now and
//! say the rule when they offer nothing. Each form proposes one of the order
//! tools through the AI-actions registry, so the same policies decide: a
//! change may run at once, money (returns and exchanges) always waits for an
//! approver. A return shows its exact refund first (quoted by the server as
//! `return_items` computes it), and proposes that amount.

use crate::components::{action_error, ErrorBox, FormError, Loading};
use crate::error::AppError;
use crate::serverfns::actions::ProposeAction;
use crate::serverfns::store::{get_order_options, QuoteOrderReturn};
use crate::types::{money, OrderLine, OrderOptions, PaymentMethodView, ProposalForm, VariantStock};
use leptos::prelude::*;
use serde_json::{json, Value};

/// A button that opens the forms for one order.
#[component]
pub fn OrderChangesToggle(
    number: String,
    /// The ticket the proposal belongs to (its tools then act only on the
    /// ticket's customer).
    conversation_number: Option<i32>,
    /// Called after a proposal was accepted, so the caller reloads.
    on_change: Callback<()>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    view! {
        <button
            type="button"
            class="btn btn-ghost btn-small"
            data-testid="order-more"
            aria-expanded=move || open.get().to_string()
            on:click=move |_| open.update(|o| *o = !*o)
        >
            {move || if open.get() { "Close" } else { "Change, return or exchange…" }}
        </button>
        {move || open.get().then(|| view! {
            <OrderChanges number=number.clone() conversation_number on_change/>
        })}
    }
}

/// Loads what may change on the order and shows the forms for it.
#[component]
fn OrderChanges(
    number: String,
    conversation_number: Option<i32>,
    on_change: Callback<()>,
) -> impl IntoView {
    let propose = ServerAction::<ProposeAction>::new();
    let key = number.clone();
    let options = Resource::new(
        move || (key.clone(), propose.version().get()),
        |(n, _)| get_order_options(n),
    );
    Effect::new(move |_| {
        // A change that ran at once shows in the caller's order; one waiting
        // for an approver changes nothing yet.
        if let Some(Ok(a)) = propose.value().get() {
            if a.status == "completed" {
                on_change.run(());
            }
        }
    });
    let err = action_error(propose.value());
    view! {
        <div class="order-changes" data-testid="order-changes">
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match options.await {
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(o) => view! { <Forms o propose conversation_number/> }.into_any(),
                    }
                })}
            </Transition>
            {move || propose.value().get().and_then(Result::ok).map(|a| {
                let said = match a.status.as_str() {
                    "pending" => format!("Proposed: action #{} waits for an approver.", a.id),
                    "completed" => format!("Done (action #{}).", a.id),
                    "running" | "proposed" => format!("Action #{} is running.", a.id),
                    other => format!("Action #{}: {other} — {}", a.id, a.decision_reason),
                };
                view! { <p class="muted small" role="status" data-testid="order-change-result">{said}</p> }
            })}
            <FormError error=err/>
        </div>
    }
}

/// Dispatches a tool proposal.
fn send(
    propose: ServerAction<ProposeAction>,
    tool: &str,
    input: &Value,
    reasoning: String,
    conversation_number: Option<i32>,
) {
    propose.dispatch(ProposeAction {
        form: ProposalForm {
            tool: tool.to_owned(),
            input_json: input.to_string(),
            conversation_number,
            reasoning,
        },
    });
}

/// Major units for a tool's `amount` (the tools take 12.50).
#[allow(
    clippy::cast_precision_loss,
    reason = "money amounts are far below 2^52"
)]
fn major(minor: i64) -> f64 {
    minor as f64 / 100.0
}

fn gift_cards(methods: &[PaymentMethodView]) -> Vec<PaymentMethodView> {
    methods
        .iter()
        .filter(|m| m.kind == "gift_card")
        .cloned()
        .collect()
}

/// The refund destination choice: `original` or `gift:<id>`, as tool input.
fn destination(choice: &str) -> Value {
    match choice
        .strip_prefix("gift:")
        .and_then(|id| id.parse::<i32>().ok())
    {
        Some(id) => json!({"refund_to": "gift_card", "gift_card_id": id}),
        None => json!({"refund_to": "original"}),
    }
}

fn merge(mut a: Value, b: &Value) -> Value {
    if let (Some(a), Some(b)) = (a.as_object_mut(), b.as_object()) {
        for (k, v) in b {
            a.insert(k.clone(), v.clone());
        }
    }
    a
}

#[component]
fn Forms(
    o: OrderOptions,
    propose: ServerAction<ProposeAction>,
    conversation_number: Option<i32>,
) -> impl IntoView {
    let changes = o.change_blocked.is_none();
    let returns = o.return_blocked.is_none();
    let why_not = (!changes && !returns).then(|| {
        view! { <p class="muted small" data-testid="order-change-rule">{o.change_blocked.clone().unwrap_or_default()}</p> }
    });
    let change = changes.then(|| {
        view! {
            <AddressForm o=o.clone() propose conversation_number/>
            <ItemsForm o=o.clone() propose conversation_number/>
            <PaymentForm o=o.clone() propose conversation_number/>
        }
    });
    let back = returns.then(|| {
        view! {
            <ReturnForm o=o.clone() propose conversation_number/>
            <ExchangeForm o=o.clone() propose conversation_number/>
        }
    });
    view! { {why_not} {change} {back} }
}

/// A labelled text input bound to a signal.
#[component]
fn Text(
    label: &'static str,
    value: RwSignal<String>,
    #[prop(optional)] required: bool,
    #[prop(optional)] maxlength: Option<u32>,
) -> impl IntoView {
    view! {
        <label class="field">
            <span>{label}</span>
            <input
                type="text"
                required=required
                maxlength=maxlength.map(|m| m.to_string())
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        </label>
    }
}

#[component]
fn AddressForm(
    o: OrderOptions,
    propose: ServerAction<ProposeAction>,
    conversation_number: Option<i32>,
) -> impl IntoView {
    let a = o.detail.address.clone();
    let name = RwSignal::new(a.name);
    let line1 = RwSignal::new(a.line1);
    let line2 = RwSignal::new(a.line2);
    let postcode = RwSignal::new(a.postcode);
    let city = RwSignal::new(a.city);
    let country = RwSignal::new(a.country);
    let reason = RwSignal::new(String::new());
    let number = o.detail.summary.number.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut input = json!({
            "order": number,
            "name": name.get_untracked().trim(),
            "line1": line1.get_untracked().trim(),
            "postcode": postcode.get_untracked().trim(),
            "city": city.get_untracked().trim(),
            "country": country.get_untracked().trim().to_uppercase(),
        });
        let l2 = line2.get_untracked();
        if !l2.trim().is_empty() {
            input["line2"] = json!(l2.trim());
        }
        send(
            propose,
            "change_order_address",
            &input,
            reason.get_untracked(),
            conversation_number,
        );
    };
    view! {
        <details class="order-form" data-testid="change-address">
            <summary>"Ship to another address"</summary>
            <form on:submit=submit>
                <Text label="Name" value=name required=true maxlength=120/>
                <Text label="Street and number" value=line1 required=true maxlength=200/>
                <Text label="More of the address (optional)" value=line2 maxlength=200/>
                <div class="row-2">
                    <Text label="Postcode" value=postcode required=true maxlength=20/>
                    <Text label="City" value=city required=true maxlength=100/>
                </div>
                <Text label="Country (two letters)" value=country required=true maxlength=2/>
                <Text label="Why (the customer's words)" value=reason required=true maxlength=500/>
                <button class="btn btn-small" type="submit" disabled=move || propose.pending().get()>"Propose new address"</button>
            </form>
        </details>
    }
}

/// The order's lines that `keep` accepts and that come in other variants,
/// each with those variants.
fn with_alternatives(
    o: &OrderOptions,
    keep: impl Fn(&OrderLine) -> bool,
) -> Vec<(OrderLine, Vec<VariantStock>)> {
    o.detail
        .lines
        .iter()
        .cloned()
        .zip(o.alternatives.iter().cloned())
        .filter(|(l, alts)| keep(l) && !alts.is_empty())
        .collect()
}

#[component]
fn ItemsForm(
    o: OrderOptions,
    propose: ServerAction<ProposeAction>,
    conversation_number: Option<i32>,
) -> impl IntoView {
    let cur = o.detail.summary.currency.clone();
    let lines = with_alternatives(&o, |_| true);
    if lines.is_empty() {
        return ().into_any();
    }
    let chosen = RwSignal::new(vec![String::new(); lines.len()]);
    let reason = RwSignal::new(String::new());
    let local = RwSignal::new(None::<AppError>);
    let number = o.detail.summary.number.clone();
    let olds: Vec<String> = lines.iter().map(|(l, _)| l.sku.clone()).collect();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let picks = chosen.get_untracked();
        let (skus, new_skus): (Vec<String>, Vec<String>) = olds
            .iter()
            .zip(picks)
            .filter(|(_, n)| !n.is_empty())
            .map(|(a, b)| (a.clone(), b))
            .unzip();
        if skus.is_empty() {
            local.set(Some(AppError::field(
                "new_skus",
                "Pick another variant for at least one item.",
            )));
            return;
        }
        local.set(None);
        let input = json!({"order": number, "skus": skus, "new_skus": new_skus});
        send(
            propose,
            "change_order_items",
            &input,
            reason.get_untracked(),
            conversation_number,
        );
    };
    view! {
        <details class="order-form" data-testid="change-items">
            <summary>"Change items (size, colour)"</summary>
            <form on:submit=submit>
                {lines.into_iter().enumerate().map(|(i, (l, alts))| {
                    let cur = cur.clone();
                    view! {
                        <label class="field">
                            <span>{format!("{} × {} {}", l.quantity, l.product, l.variant)}</span>
                            <select on:change=move |ev| chosen.update(|c| c[i] = event_target_value(&ev))>
                                <option value="">{format!("Keep {}", l.variant)}</option>
                                {alts.into_iter().map(|v| {
                                    let short = v.stock < l.quantity;
                                    let text = format!(
                                        "{} · {}{}",
                                        v.label,
                                        money(v.price_minor, &cur),
                                        if short { format!(" · only {} left", v.stock.max(0)) } else { String::new() }
                                    );
                                    view! { <option value=v.sku.clone() disabled=short>{text}</option> }
                                }).collect_view()}
                            </select>
                        </label>
                    }
                }).collect_view()}
                <Text label="Why (the customer's words)" value=reason required=true maxlength=500/>
                <button class="btn btn-small" type="submit" disabled=move || propose.pending().get()>"Propose item change"</button>
                <FormError error=Signal::from(local)/>
            </form>
        </details>
    }
    .into_any()
}

#[component]
fn PaymentForm(
    o: OrderOptions,
    propose: ServerAction<ProposeAction>,
    conversation_number: Option<i32>,
) -> impl IntoView {
    if o.payment_methods.is_empty() {
        return view! { <p class="muted small">"The customer has no saved payment methods to switch to."</p> }.into_any();
    }
    let first = o.payment_methods[0].id.to_string();
    let chosen = RwSignal::new(first);
    let reason = RwSignal::new(String::new());
    let number = o.detail.summary.number.clone();
    let methods = o.payment_methods.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(id) = chosen.get_untracked().parse::<i32>() else {
            return;
        };
        let input = json!({"order": number, "payment_method_id": id});
        send(
            propose,
            "change_order_payment",
            &input,
            reason.get_untracked(),
            conversation_number,
        );
    };
    view! {
        <details class="order-form" data-testid="change-payment">
            <summary>"Pay another way"</summary>
            <form on:submit=submit>
                <p class="muted small">{format!("Now: {}", o.detail.payment)}</p>
                <label class="field">
                    <span>"Saved method"</span>
                    <select on:change=move |ev| chosen.set(event_target_value(&ev))>
                        {methods.into_iter().map(|m| {
                            let text = if m.kind == "gift_card" {
                                format!("{} (balance {})", m.label, money(m.balance_minor, &m.currency))
                            } else {
                                m.label.clone()
                            };
                            view! { <option value=m.id.to_string()>{text}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <Text label="Why (the customer's words)" value=reason required=true maxlength=500/>
                <button class="btn btn-small" type="submit" disabled=move || propose.pending().get()>"Propose payment change"</button>
            </form>
        </details>
    }
    .into_any()
}

/// Where a refund goes: the original method or one of the gift cards.
#[component]
fn RefundTo(
    label: &'static str,
    payment: String,
    cards: Vec<PaymentMethodView>,
    value: RwSignal<String>,
) -> impl IntoView {
    view! {
        <label class="field">
            <span>{label}</span>
            <select on:change=move |ev| value.set(event_target_value(&ev))>
                <option value="original">{format!("Original payment ({payment})")}</option>
                {cards.into_iter().map(|c| view! {
                    <option value=format!("gift:{}", c.id)>{format!("{} (balance {})", c.label, money(c.balance_minor, &c.currency))}</option>
                }).collect_view()}
            </select>
        </label>
    }
}

#[component]
fn ReturnForm(
    o: OrderOptions,
    propose: ServerAction<ProposeAction>,
    conversation_number: Option<i32>,
) -> impl IntoView {
    let number = o.detail.summary.number.clone();
    let lines: Vec<_> = o
        .detail
        .lines
        .iter()
        .filter(|l| l.quantity > l.refunded_quantity)
        .cloned()
        .collect();
    let units = RwSignal::new(vec![0_i32; lines.len()]);
    let to = RwSignal::new("original".to_owned());
    let reason = RwSignal::new(String::new());
    let quote = ServerAction::<QuoteOrderReturn>::new();
    let skus = Memo::new({
        let lines = lines.clone();
        move |_| {
            units.with(|u| {
                lines
                    .iter()
                    .zip(u)
                    .flat_map(|(l, n)| {
                        std::iter::repeat_n(l.sku.clone(), usize::try_from(*n).unwrap_or(0))
                    })
                    .collect::<Vec<String>>()
            })
        }
    });
    // Ask for a quote whenever the units change; a quote is used only while
    // it is for the units shown.
    let n_quote = number.clone();
    Effect::new(move |_| {
        let s = skus.get();
        if !s.is_empty() {
            quote.dispatch(QuoteOrderReturn {
                number: n_quote.clone(),
                skus: s,
            });
        }
    });
    // The quote names the units it is for: one for other units is stale.
    let quoted = move || {
        let s = skus.get();
        quote
            .value()
            .get()
            .and_then(Result::ok)
            .filter(|q| !s.is_empty() && q.skus == s)
    };
    let quote_err = Signal::derive(move || {
        quote
            .value()
            .get()
            .and_then(Result::err)
            .filter(|_| !skus.get().is_empty() && !quote.pending().get())
    });
    let submit = {
        let number = number.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let Some(q) = quoted() else {
                return;
            };
            let input = merge(
                json!({"order": number, "skus": skus.get_untracked(), "amount": major(q.amount_minor)}),
                &destination(&to.get_untracked()),
            );
            send(
                propose,
                "return_items",
                &input,
                reason.get_untracked(),
                conversation_number,
            );
        }
    };
    view! {
        <details class="order-form" data-testid="return-items">
            <summary>"Return items"</summary>
            <form on:submit=submit>
                {lines.into_iter().enumerate().map(|(i, l)| {
                    let open = l.quantity - l.refunded_quantity;
                    view! {
                        <label class="field field-units">
                            <span>{format!("{} {} ({} of {open})", l.product, l.variant, money(l.unit_price_minor, &o.detail.summary.currency))}</span>
                            <input
                                type="number"
                                min="0"
                                max=open.to_string()
                                prop:value=move || units.with(|u| u[i]).to_string()
                                on:input=move |ev| {
                                    let n = event_target_value(&ev).parse::<i32>().unwrap_or(0).clamp(0, open);
                                    units.update(|u| u[i] = n);
                                }
                            />
                        </label>
                    }
                }).collect_view()}
                <RefundTo label="Refund to" payment=o.detail.payment.clone() cards=gift_cards(&o.payment_methods) value=to/>
                <Text label="Why (the customer's words)" value=reason required=true maxlength=500/>
                <p class="small" data-testid="return-quote">
                    {move || match quoted() {
                        Some(q) => format!(
                            "Refund {}{}",
                            money(q.amount_minor, &q.currency),
                            if q.everything { " — everything left comes back, shipping included" } else { "" }
                        ),
                        None if skus.get().is_empty() => "Pick the units that come back.".to_owned(),
                        None => String::new(),
                    }}
                </p>
                <FormError error=quote_err/>
                <button class="btn btn-small" type="submit" disabled=move || propose.pending().get() || quoted().is_none()>
                    {move || quoted().map_or_else(
                        || "Propose return".to_owned(),
                        |q| format!("Propose return and refund of {}", money(q.amount_minor, &q.currency)),
                    )}
                </button>
            </form>
        </details>
    }
}

/// A line's SKU and unit price, with its alternatives' SKUs and prices.
type Priced = (String, i64, Vec<(String, i64)>);

#[component]
fn ExchangeForm(
    o: OrderOptions,
    propose: ServerAction<ProposeAction>,
    conversation_number: Option<i32>,
) -> impl IntoView {
    let cur = o.detail.summary.currency.clone();
    let lines = with_alternatives(&o, |l| l.quantity > l.refunded_quantity);
    if lines.is_empty() {
        return view! { <p class="muted small">"No item of this order comes in another variant to exchange for."</p> }.into_any();
    }
    // Per line: the variant wanted ("" for none) and how many units.
    let chosen = RwSignal::new(vec![String::new(); lines.len()]);
    let units = RwSignal::new(vec![1_i32; lines.len()]);
    let cards = gift_cards(&o.payment_methods);
    let pay_with = RwSignal::new(cards.first().map(|c| c.id.to_string()).unwrap_or_default());
    let to = RwSignal::new("original".to_owned());
    let reason = RwSignal::new(String::new());
    let local = RwSignal::new(None::<AppError>);
    let priced: Vec<Priced> = lines
        .iter()
        .map(|(l, alts)| {
            (
                l.sku.clone(),
                l.unit_price_minor,
                alts.iter()
                    .map(|v| (v.sku.clone(), v.price_minor))
                    .collect(),
            )
        })
        .collect();
    // The price difference the server will settle: new minus old, per unit.
    let difference = Memo::new({
        let priced = priced.clone();
        move |_| {
            let c = chosen.get();
            let u = units.get();
            priced
                .iter()
                .zip(c.iter().zip(u))
                .filter_map(|((_, old, alts), (pick, n))| {
                    alts.iter()
                        .find(|(s, _)| s == pick)
                        .map(|(_, new)| (new - old) * i64::from(n))
                })
                .sum::<i64>()
        }
    });
    let number = o.detail.summary.number.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let c = chosen.get_untracked();
        let u = units.get_untracked();
        let mut skus = Vec::new();
        let mut new_skus = Vec::new();
        for ((old, _, _), (pick, n)) in priced.iter().zip(c.iter().zip(u)) {
            if pick.is_empty() {
                continue;
            }
            for _ in 0..n {
                skus.push(old.clone());
                new_skus.push(pick.clone());
            }
        }
        if skus.is_empty() {
            local.set(Some(AppError::field(
                "new_skus",
                "Pick the variant wanted for at least one item.",
            )));
            return;
        }
        local.set(None);
        let d = difference.get_untracked();
        let mut input = json!({"order": number, "skus": skus, "new_skus": new_skus});
        if d > 0 {
            if let Ok(id) = pay_with.get_untracked().parse::<i32>() {
                input["gift_card_id"] = json!(id);
            }
        } else if d < 0 {
            input = merge(input, &destination(&to.get_untracked()));
        }
        send(
            propose,
            "exchange_items",
            &input,
            reason.get_untracked(),
            conversation_number,
        );
    };
    let no_card = cards.is_empty();
    let payment = o.detail.payment.clone();
    let refund_cards = cards.clone();
    let cur_d = cur.clone();
    view! {
        <details class="order-form" data-testid="exchange-items">
            <summary>"Exchange items"</summary>
            <form on:submit=submit>
                {lines.into_iter().enumerate().map(|(i, (l, alts))| {
                    let open = l.quantity - l.refunded_quantity;
                    let cur = cur.clone();
                    view! {
                        <div class="field">
                            <span>{format!("{} {}", l.product, l.variant)}</span>
                            <div class="row-2">
                                <select aria-label=format!("Exchange {} for", l.sku) on:change=move |ev| chosen.update(|c| c[i] = event_target_value(&ev))>
                                    <option value="">"Keep"</option>
                                    {alts.into_iter().map(|v| {
                                        let text = format!(
                                            "{} · {}{}",
                                            v.label,
                                            money(v.price_minor, &cur),
                                            if v.stock < 1 { " · out of stock".to_owned() } else { String::new() }
                                        );
                                        view! { <option value=v.sku.clone() disabled=v.stock < 1>{text}</option> }
                                    }).collect_view()}
                                </select>
                                <input
                                    type="number"
                                    min="1"
                                    max=open.to_string()
                                    aria-label=format!("Units of {}", l.sku)
                                    prop:value=move || units.with(|u| u[i]).to_string()
                                    on:input=move |ev| {
                                        let n = event_target_value(&ev).parse::<i32>().unwrap_or(1).clamp(1, open);
                                        units.update(|u| u[i] = n);
                                    }
                                />
                            </div>
                        </div>
                    }
                }).collect_view()}
                <p class="small" data-testid="exchange-difference">
                    {move || {
                        let d = difference.get();
                        if d > 0 {
                            format!("The customer pays {} more, from a gift card.", money(d, &cur_d))
                        } else if d < 0 {
                            format!("{} goes back to the customer.", money(-d, &cur_d))
                        } else {
                            "Same price: no money moves.".to_owned()
                        }
                    }}
                </p>
                <Show when=move || { difference.get() > 0 }>
                    {if no_card {
                        view! { <p class="alert alert-error small">"The customer has no gift card to pay the difference with: propose a return and a new order instead."</p> }.into_any()
                    } else {
                        let cards = cards.clone();
                        view! {
                            <label class="field">
                                <span>"Pay the difference from"</span>
                                <select on:change=move |ev| pay_with.set(event_target_value(&ev))>
                                    {cards.into_iter().map(|c| view! {
                                        <option value=c.id.to_string()>{format!("{} (balance {})", c.label, money(c.balance_minor, &c.currency))}</option>
                                    }).collect_view()}
                                </select>
                            </label>
                        }.into_any()
                    }}
                </Show>
                <Show when=move || { difference.get() < 0 }>
                    <RefundTo label="Refund the difference to" payment=payment.clone() cards=refund_cards.clone() value=to/>
                </Show>
                <Text label="Why (the customer's words)" value=reason required=true maxlength=500/>
                <button class="btn btn-small" type="submit" disabled=move || propose.pending().get()>"Propose exchange"</button>
                <FormError error=Signal::from(local)/>
            </form>
        </details>
    }
    .into_any()
}
