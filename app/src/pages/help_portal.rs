//! The customer portal's pages (`/help/{brand}/portal/…`), rendered on the
//! server inside the help center's frame, without hydration: sign in by
//! magic link, the customer's conversations on every channel, one
//! conversation with its reply form, and a new request.

use super::helpcenter::{
    brand_name, document, home_path, page_body, portal_path, render_body, Head,
};
use super::storefront::{time_view, LOCAL_TIMES};
use crate::types::{HelpShell, MessageView, PortalCustomer, PortalHomeView, PortalThreadView};
use leptos::prelude::*;

fn head(title: &str) -> Head {
    Head {
        title: Some(title.to_owned()),
        description: title.to_owned(),
        canonical: None,
        og_type: "website",
        alternates: Vec::new(),
        json_ld: Vec::new(),
        // The portal is private to whoever signs in.
        noindex: true,
    }
}

fn finish(shell: &HelpShell, title: &str, main: impl FnOnce() -> AnyView) -> String {
    let body = render_body(|| page_body(Some(shell), Vec::new(), None, "hc-wrap", main()));
    // No chat widget here: it reports the page's address, and the sign-in
    // page's address carries the link's token.
    let mut bare = shell.clone();
    bare.brand.widget_key = None;
    document(Some(&bare), &head(title), &body).replacen(
        "</body>",
        &format!("{LOCAL_TIMES}</body>"),
        1,
    )
}

fn error_box(error: Option<&str>) -> Option<AnyView> {
    error.map(|e| {
        view! { <p class="hc-alert" role="alert" data-testid="portal-error">{e.to_owned()}</p> }
            .into_any()
    })
}

fn who_bar(s: &HelpShell, c: &PortalCustomer) -> impl IntoView {
    let action = format!("{}/sign-out", portal_path(s));
    view! {
        <div class="hc-portal-who">
            <span data-testid="portal-who">{format!("Signed in as {} ({})", c.name, c.email)}</span>
            <form method="post" action=action>
                <button class="hc-link-button" type="submit" data-testid="portal-sign-out">"Sign out"</button>
            </form>
        </div>
    }
}

/// The sign-in page: the email form, or (after asking) what happens next.
pub fn render_sign_in(s: &HelpShell, sent_to: Option<&str>, error: Option<&str>) -> String {
    let action = format!("{}/sign-in", portal_path(s));
    let team = brand_name(s).to_owned();
    let hc = home_path(s, &s.locale);
    finish(s, "Sign in to see your requests", || {
        let body = match sent_to {
            Some(email) => view! {
                <div class="hc-panel" data-testid="portal-link-sent">
                    <h1>"Check your email"</h1>
                    <p class="hc-lead">{format!(
                        "If {email} is an address we have talked with, a sign-in link is on its way. It works once, for 30 minutes."
                    )}</p>
                    <p><a href=portal_path(s)>"Use another address"</a></p>
                </div>
            }
            .into_any(),
            None => view! {
                <div class="hc-panel">
                    <h1>"Your requests"</h1>
                    <p class="hc-lead">{format!(
                        "Sign in to see every conversation you have had with {team}, by email, chat, text or phone, and to reply."
                    )}</p>
                    {error_box(error)}
                    <form class="hc-form" method="post" action=action data-testid="portal-sign-in">
                        <label for="portal-email">"Your email address"</label>
                        <input id="portal-email" type="email" name="email" required autocomplete="email"/>
                        <button class="hc-button" type="submit">"Email me a sign-in link"</button>
                    </form>
                    <p class="hc-meta">"No password: we email you a link that signs you in."</p>
                    <p><a href=hc>"Browse the help center"</a></p>
                </div>
            }
            .into_any(),
        };
        body
    })
}

/// The link's page: one button spends it (mail scanners that open links
/// sign nobody in).
pub fn render_use_link(s: &HelpShell, token: &str) -> String {
    let action = format!("{}/verify", portal_path(s));
    let team = brand_name(s).to_owned();
    finish(s, "Sign in", || {
        view! {
            <div class="hc-panel">
                <h1>{format!("Sign in to {team}")}</h1>
                <form class="hc-form" method="post" action=action>
                    <input type="hidden" name="token" value=token.to_owned()/>
                    <button class="hc-button" type="submit" data-testid="portal-use-link">"Sign in"</button>
                </form>
            </div>
        }
        .into_any()
    })
}

/// The customer's conversations on every channel.
/// `draft` is what the customer typed (subject, body), given back with an error.
pub fn render_home(
    v: &PortalHomeView,
    new_key: &str,
    error: Option<&str>,
    draft: (&str, &str),
) -> String {
    let s = &v.shell;
    let base = portal_path(s);
    finish(s, "Your requests", || {
        let rows = v
            .conversations
            .iter()
            .map(|c| {
                let href = format!("{base}/c/{}", c.number);
                let count = if c.messages == 1 {
                    "1 message".to_owned()
                } else {
                    format!("{} messages", c.messages)
                };
                view! {
                    <li data-testid="portal-conversation" data-channel=c.channel.as_str()>
                        <a class="hc-list-title" href=href>{c.subject.clone()}</a>
                        <p>
                            <span class="hc-pill">{c.channel.label()}</span> " "
                            <span class=format!("hc-pill hc-status-{}", c.status.as_str())>{c.status.label()}</span>
                            " · " <span class="hc-mono">{c.reference.clone()}</span>
                            " · " {count} " · " {time_view(&c.updated_at)}
                        </p>
                    </li>
                }
            })
            .collect_view();
        let list = if v.conversations.is_empty() {
            view! { <p class="hc-lead">"You have no conversations with us yet."</p> }.into_any()
        } else {
            view! { <ul class="hc-list" data-testid="portal-conversations">{rows}</ul> }.into_any()
        };
        let action = format!("{base}/new");
        view! {
            {who_bar(s, &v.customer)}
            <h1>"Your requests"</h1>
            {list}
            <section class="hc-section hc-portal-new">
                <h2>"Start a new request"</h2>
                {error_box(error)}
                <form class="hc-form" method="post" action=action data-testid="portal-new">
                    <input type="hidden" name="key" value=new_key.to_owned()/>
                    <label for="portal-subject">"Subject"</label>
                    <input id="portal-subject" name="subject" required maxlength="200" value=draft.0.to_owned()/>
                    <label for="portal-body">"How can we help?"</label>
                    <textarea id="portal-body" name="body" rows="5" required maxlength="20000">{draft.1.to_owned()}</textarea>
                    <button class="hc-button" type="submit">"Send"</button>
                </form>
            </section>
        }
        .into_any()
    })
}

fn message_view(m: &MessageView) -> impl IntoView {
    let mine = m.author_kind == "customer";
    let files = (!m.attachments.is_empty()).then(|| {
        let names = m
            .attachments
            .iter()
            .map(|a| a.filename.clone())
            .collect::<Vec<_>>()
            .join(", ");
        view! { <p class="hc-meta">{format!("Attached: {names}")}</p> }
    });
    view! {
        <li class=if mine { "hc-msg hc-msg-mine" } else { "hc-msg" } data-testid="portal-message">
            <p class="hc-meta"><strong>{if mine { "You".to_owned() } else { m.author_name.clone() }}</strong>
                " · " {time_view(&m.created_at)}</p>
            <div class="hc-msg-body" inner_html=m.body_html.clone()></div>
            {files}
        </li>
    }
}

/// One conversation, with the reply form (`draft`: what the customer typed,
/// given back with an error).
pub fn render_thread(v: &PortalThreadView, error: Option<&str>, draft: &str) -> String {
    let s = &v.shell;
    let base = portal_path(s);
    let c = &v.row;
    finish(s, &c.subject, || {
        let action = format!("{base}/c/{}/reply", c.number);
        let closed = !c.status.is_open() && c.status != crate::types::Status::Solved;
        let note = if closed {
            "This conversation is closed: writing here starts a new one."
        } else {
            "We answer here and on the channel you wrote from."
        };
        view! {
            {who_bar(s, &v.customer)}
            <p class="hc-meta"><a href=base.clone()>"← Your requests"</a></p>
            <h1 data-testid="portal-subject">{c.subject.clone()}</h1>
            <p class="hc-meta">
                <span class="hc-pill">{c.channel.label()}</span> " "
                <span class=format!("hc-pill hc-status-{}", c.status.as_str()) data-testid="portal-status">{c.status.label()}</span>
                " · " <span class="hc-mono">{c.reference.clone()}</span>
            </p>
            <ol class="hc-thread" data-testid="portal-thread">
                {v.messages.iter().map(message_view).collect_view()}
            </ol>
            <section class="hc-section">
                <h2>"Reply"</h2>
                {error_box(error)}
                <form class="hc-form" method="post" action=action data-testid="portal-reply">
                    <input type="hidden" name="key" value=v.reply_key.clone()/>
                    <label class="hc-sr-only" for="portal-reply-body">"Your reply"</label>
                    <textarea id="portal-reply-body" name="body" rows="5" required maxlength="20000">{draft.to_owned()}</textarea>
                    <p class="hc-meta">{note}</p>
                    <button class="hc-button" type="submit">"Send reply"</button>
                </form>
            </section>
        }
        .into_any()
    })
}
