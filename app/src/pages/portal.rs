//! `/portal/conversation?token=…`: what the customer sees of their conversation —
//! public replies only, never internal notes, system entries or side conversations.

use crate::components::{fmt_time, ErrorBox, Loading};
use crate::serverfns::inbox::get_customer_conversation;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The customer's view of one conversation.
#[component]
pub fn CustomerConversationPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token").unwrap_or_default());
    let thread = Resource::new(token, get_customer_conversation);
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
                        }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}
