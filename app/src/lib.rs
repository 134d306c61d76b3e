//! Switchboard's Leptos application, compiled twice: with `ssr` for the server
//! (pages render to HTML; server functions and `services` run there) and with
//! `hydrate` for the browser (the same components become interactive).

#![recursion_limit = "256"]

pub mod components;
pub mod error;
pub mod live;
pub mod pages;
pub mod permissions;
pub mod serverfns;
pub mod types;

#[cfg(feature = "ssr")]
pub mod services;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// The HTML document around the app (server only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The application: routes for the public auth pages and the signed-in admin app.
#[component]
pub fn App() -> impl IntoView {
    use pages::{
        activity, admin, ai, api_keys, auth, channels, inbox, inbox_settings, kb, ops, portal,
        settings, support, team, webhooks,
    };
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/switchboard.css"/>
        <Title formatter=|t: String| if t.is_empty() { "Switchboard".to_owned() } else { format!("{t} · Switchboard") }/>
        <Router>
            <Routes fallback=|| view! { <admin::NotFound/> }>
                <Route path=path!("") view=admin::Landing ssr=SsrMode::Async/>
                <Route path=path!("/sign-in") view=auth::SignInPage/>
                <Route path=path!("/sign-up") view=auth::SignUpPage/>
                <Route path=path!("/forgot-password") view=auth::ForgotPasswordPage/>
                <Route path=path!("/reset-password") view=auth::ResetPasswordPage/>
                <Route path=path!("/verify-email") view=auth::VerifyEmailPage/>
                <Route path=path!("/invitations/accept") view=auth::AcceptInvitationPage/>
                <Route path=path!("/portal/conversation") view=portal::CustomerConversationPage/>
                <Route path=path!("/support/:slug") view=support::SupportFormPage ssr=SsrMode::Async/>
                <Route path=path!("/support/:slug/status") view=support::TicketStatusPage/>
                <ParentRoute path=path!("/app") view=admin::AdminLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=admin::HomePage/>
                    <Route path=path!("inbox") view=inbox::InboxPage/>
                    <Route path=path!("settings/inbox") view=inbox_settings::InboxSettingsPage/>
                    <Route path=path!("team") view=team::TeamPage/>
                    <Route path=path!("settings") view=settings::WorkspaceSettingsPage/>
                    <Route path=path!("settings/api-keys") view=api_keys::ApiKeysPage/>
                    <Route path=path!("settings/channels") view=channels::ChannelsPage/>
                    <Route path=path!("settings/webhooks") view=webhooks::WebhooksPage/>
                    <Route path=path!("kb") view=kb::KbPage/>
                    <Route path=path!("kb/articles/:id") view=kb::ArticleEditorPage/>
                    <Route path=path!("ai") view=ai::AiPage/>
                    <Route path=path!("profile") view=settings::ProfilePage/>
                    <Route path=path!("activity") view=activity::ActivityPage/>
                    <Route path=path!("outbox") view=ops::OutboxPage/>
                    <Route path=path!("jobs") view=ops::JobsPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
