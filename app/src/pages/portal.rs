//! `/portal/conversation?token=…`: what the customer sees of their conversation —
//! public replies only, never internal notes, system entries or side conversations.

use crate::components::{action_error, fmt_time, ErrorBox, FormError, Loading};
use crate::serverfns::inbox::{get_customer_conversation, RateConversation};
use crate::types::{CsatView, CSAT_SCALE};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The customer's view of one conversation.
#[component]
pub fn CustomerConversationPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token").unwrap_or_default());
    let thread = Resource::new(token, get_customer_conversation);
    // The survey in the "solved" email links here with the answer chosen (`&rate=4`).
    let asked = move || {
        query
            .with_untracked(|q| q.get("rate"))
            .and_then(|r| r.parse::<i32>().ok())
            .filter(|r| (1..=5).contains(r))
    };
    view! {
        <Title text="Your conversation"/>
        <main class="portal">
            <Suspense fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match thread.await {
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(t) => view! {
                            <header class="portal-head">
                                <p class="muted">{t.workspace_name.clone()}</p>
                                <h1>{t.subject.clone()}</h1>
                                <p class="muted"><span class="mono">{t.reference.clone()}</span> " · "
                                    <span class=format!("badge status-{}", t.status.as_str())>{t.status.label()}</span></p>
                            </header>
                            <ol class="thread" data-testid="customer-thread">
                                {t.messages.into_iter().map(|m| view! {
                                    <li class=if m.author_kind == "customer" { "msg inbound" } else { "msg outbound" } data-testid="customer-message">
                                        <div class="msg-head"><strong>{m.author_name.clone()}</strong> <span class="muted small">{fmt_time(&m.created_at)}</span></div>
                                        <div class="msg-body" inner_html=m.body_html.clone()></div>
                                    </li>
                                }).collect_view()}
                            </ol>
                            <p class="muted small">"To add to this conversation, reply to our last email."</p>
                            {t.can_rate.then(|| view! { <RateCard token=token() csat=t.csat.clone() asked=asked()/> })}
                        }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

/// The satisfaction question on a solved conversation: five answers, a comment, and
/// the customer's earlier answer when they gave one (answering again replaces it).
/// A plain form, so it works before the page's code has loaded.
#[component]
fn RateCard(token: String, csat: Option<CsatView>, asked: Option<i32>) -> impl IntoView {
    let action = ServerAction::<RateConversation>::new();
    let error = action_error(action.value());
    let chosen = csat.as_ref().map(|c| c.rating).or(asked);
    let comment = csat
        .as_ref()
        .and_then(|c| c.comment.clone())
        .unwrap_or_default();
    let earlier = csat.map(|c| c.rating);
    let recorded = move || action.value().get().and_then(Result::ok);
    view! {
        <section class="card rate-card" id="rate" data-testid="csat-form">
            <h2>"How would you rate our support?"</h2>
            {move || match recorded() {
                Some(v) => Some(view! {
                    <p class="alert alert-success" data-testid="csat-thanks">
                        {format!("Thank you! We recorded your rating: {}/5.", v.rating)}
                    </p>
                }.into_any()),
                None => earlier.map(|r| view! {
                    <p class="muted" data-testid="csat-current">
                        {format!("You rated this conversation {r}/5. You can change your answer.")}
                    </p>
                }.into_any()),
            }}
            <ActionForm action=action attr:class="form">
                <input type="hidden" name="token" value=token/>
                <fieldset class="rating-scale">
                    <legend class="sr-only">"Your rating"</legend>
                    {CSAT_SCALE.iter().map(|&(n, label)| view! {
                        <label class="rating-choice">
                            <input type="radio" name="rating" value=n.to_string() required=true
                                checked=chosen == Some(n) data-testid=format!("rate-{n}")/>
                            <span class="rating-num">{n}</span>
                            <span class="rating-label">{label}</span>
                        </label>
                    }).collect_view()}
                </fieldset>
                <FormError error fields=&["rating", "comment"]/>
                <div class="field">
                    <label for="csat-comment">"Anything you would like to tell us? (optional)"</label>
                    <textarea id="csat-comment" name="comment" rows="3" maxlength="2000" data-testid="csat-comment">{comment}</textarea>
                </div>
                <button class="btn btn-primary" type="submit" data-testid="csat-send" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Sending…" } else { "Send my rating" }}
                </button>
            </ActionForm>
        </section>
    }
}
