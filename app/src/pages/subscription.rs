//! The page a campaign email's unsubscribe link opens (`/c/{token}/u`): plain
//! server-rendered HTML, no script, a form button to unsubscribe or subscribe
//! again. Mail programs' one-click unsubscribe posts to the same address.

use super::helpcenter::esc;
use crate::types::SubscriptionView;

/// What just happened, for the page's message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Done {
    /// Nothing yet (the link was opened).
    Nothing,
    /// Unsubscribed now.
    Unsubscribed,
    /// Subscribed again now.
    Resubscribed,
}

fn shell(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><meta name=\"robots\" content=\"noindex\"><link rel=\"icon\" href=\"data:,\"><title>{}</title><style>body{{font-family:system-ui,sans-serif;background:#f5f6f8;color:#1f2933;margin:0;padding:48px 16px}}main{{max-width:480px;margin:0 auto;background:#fff;border:1px solid #e3e6ea;border-radius:10px;padding:28px}}h1{{font-size:22px;margin:0 0 12px}}p{{line-height:1.5}}button{{font:inherit;padding:9px 16px;border-radius:6px;border:1px solid #0b7a5c;background:#0b7a5c;color:#fff;cursor:pointer}}button.secondary{{background:#fff;color:#0b7a5c}}.muted{{color:#6b7280;font-size:14px}}</style></head><body><main>{body}</main></body></html>",
        esc(title)
    )
}

/// The unsubscribe and preferences page.
pub fn render(v: &SubscriptionView, token: &str, done: Done) -> String {
    let who = esc(&v.workspace);
    let email = esc(&v.email);
    let token = esc(token);
    let (title, body) = if v.subscribed {
        let lead = if done == Done::Resubscribed {
            format!("<p data-testid=\"sub-state\">You are subscribed again: <strong>{email}</strong> gets {who}'s emails.</p>")
        } else {
            format!("<p data-testid=\"sub-state\"><strong>{email}</strong> gets emails from {who}, such as “{}”.</p>", esc(&v.subject))
        };
        (
            "Email preferences",
            format!(
                "<h1>Email preferences</h1>{lead}<form method=\"post\" action=\"/c/{token}/u\"><button type=\"submit\" data-testid=\"unsubscribe\">Unsubscribe from {who}'s emails</button></form><p class=\"muted\">Replies about your own questions and orders still reach you.</p>"
            ),
        )
    } else {
        let lead = if done == Done::Unsubscribed {
            format!("<p data-testid=\"sub-state\">Done: <strong>{email}</strong> will get no more emails from {who}.</p>")
        } else {
            format!("<p data-testid=\"sub-state\"><strong>{email}</strong> is unsubscribed from {who}'s emails.</p>")
        };
        (
            "Unsubscribed",
            format!(
                "<h1>You are unsubscribed</h1>{lead}<p class=\"muted\">Changed your mind?</p><form method=\"post\" action=\"/c/{token}/resubscribe\"><button type=\"submit\" class=\"secondary\" data-testid=\"resubscribe\">Subscribe again</button></form>"
            ),
        )
    };
    shell(title, &body)
}

/// The page for an unknown or expired link.
pub fn render_not_found() -> String {
    shell(
        "Link not found",
        "<h1>This link does not work</h1><p>It may be cut short: open it from the email again, or reply to the email and we will take you off the list.</p>",
    )
}
