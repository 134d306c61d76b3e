//! Switchboard's Leptos application, compiled twice: with `ssr` for the server
//! (pages render to HTML; server functions and `services` run there) and with
//! `hydrate` for the browser (the same components become interactive).

#![recursion_limit = "256"]

pub mod components;
pub mod error;
pub mod live;
pub mod pages;
pub mod permissions;
pub mod routes;
pub mod serverfns;
pub mod types;

#[cfg(feature = "ssr")]
pub mod services;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Outlet, ParentRoute, Route, Router, Routes};
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

/// The application: routes for the public pages and the signed-in admin app. Every
/// page is a lazy route ([`routes`]): its code arrives when it is first opened.
#[component]
pub fn App() -> impl IntoView {
    use leptos_router::Lazy;
    use pages::admin;
    use routes as r;
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/switchboard.css"/>
        <Title formatter=|t: String| if t.is_empty() { "Switchboard".to_owned() } else { format!("{t} · Switchboard") }/>
        <Router>
            <Routes fallback=|| view! { <admin::NotFound/> }>
                // Public pages under a plain layout, as the admin pages sit under
                // theirs: lazy routes are children of a parent route.
                <ParentRoute path=path!("") view=Outlet>
                    <Route path=path!("") view=admin::Landing ssr=SsrMode::Async/>
                    <Route path=path!("sign-in") view={Lazy::<r::SignIn>::new()}/>
                    <Route path=path!("sign-up") view={Lazy::<r::SignUp>::new()}/>
                    <Route path=path!("forgot-password") view={Lazy::<r::ForgotPassword>::new()}/>
                    <Route path=path!("reset-password") view={Lazy::<r::ResetPassword>::new()}/>
                    <Route path=path!("verify-email") view={Lazy::<r::VerifyEmail>::new()}/>
                    <Route path=path!("invitations/accept") view={Lazy::<r::AcceptInvitation>::new()}/>
                    <Route path=path!("portal/conversation") view={Lazy::<r::Portal>::new()}/>
                    <Route path=path!("support/:slug") view={Lazy::<r::SupportForm>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("support/:slug/status") view={Lazy::<r::TicketStatus>::new()}/>
                </ParentRoute>
                <ParentRoute path=path!("/app") view=admin::AdminLayout ssr=SsrMode::Async>
                    <Route path=path!("") view={Lazy::<r::Home>::new()}/>
                    <Route path=path!("inbox") view={Lazy::<r::Inbox>::new()}/>
                    <Route path=path!("settings/inbox") view={Lazy::<r::InboxSettings>::new()}/>
                    <Route path=path!("team") view={Lazy::<r::Team>::new()}/>
                    <Route path=path!("settings") view={Lazy::<r::WorkspaceSettings>::new()}/>
                    <Route path=path!("settings/api-keys") view={Lazy::<r::ApiKeys>::new()}/>
                    <Route path=path!("settings/channels") view={Lazy::<r::Channels>::new()}/>
                    <Route path=path!("settings/sms") view={Lazy::<r::SmsSettings>::new()}/>
                    <Route path=path!("settings/voice") view={Lazy::<r::VoiceSettings>::new()}/>
                    <Route path=path!("settings/transcription") view={Lazy::<r::TranscriptionSettings>::new()}/>
                    <Route path=path!("settings/slack") view={Lazy::<r::SlackSettings>::new()}/>
                    <Route path=path!("settings/webhooks") view={Lazy::<r::Webhooks>::new()}/>
                    <Route path=path!("settings/store") view={Lazy::<r::StoreSettings>::new()}/>
                    <Route path=path!("orders") view={Lazy::<r::Orders>::new()}/>
                    <Route path=path!("catalog") view={Lazy::<r::Catalog>::new()}/>
                    <Route path=path!("kb") view={Lazy::<r::Knowledge>::new()}/>
                    <Route path=path!("kb/articles/:id") view={Lazy::<r::ArticleEditor>::new()}/>
                    <Route path=path!("ai") view={Lazy::<r::AiOverview>::new()}/>
                    <Route path=path!("reports") view={Lazy::<r::Reports>::new()}/>
                    <Route path=path!("dashboards") view={Lazy::<r::Dashboards>::new()}/>
                    <Route path=path!("dashboards/:id") view={Lazy::<r::Board>::new()}/>
                    <Route path=path!("live") view={Lazy::<r::Live>::new()}/>
                    <Route path=path!("digest") view={Lazy::<r::Digest>::new()}/>
                    <Route path=path!("reports/exports") view={Lazy::<r::Exports>::new()}/>
                    <Route path=path!("reports/predictions") view={Lazy::<r::Predictions>::new()}/>
                    <Route path=path!("quality") view={Lazy::<r::Quality>::new()}/>
                    <Route path=path!("quality/review") view={Lazy::<r::QualityReview>::new()}/>
                    <Route path=path!("profile") view={Lazy::<r::Profile>::new()}/>
                    <Route path=path!("profile/notifications") view={Lazy::<r::MyNotifications>::new()}/>
                    <Route path=path!("settings/notifications") view={Lazy::<r::NotificationSettings>::new()}/>
                    <Route path=path!("activity") view={Lazy::<r::Activity>::new()}/>
                    <Route path=path!("outbox") view={Lazy::<r::Outbox>::new()}/>
                    <Route path=path!("jobs") view={Lazy::<r::Jobs>::new()}/>
                    <Route path=path!("approvals") view={Lazy::<r::Approvals>::new()}/>
                    <Route path=path!("approvals/loop") view={Lazy::<r::AiLoop>::new()}/>
                    <Route path=path!("tasks") view={Lazy::<r::Tasks>::new()}/>
                    <Route path=path!("settings/ai-policies") view={Lazy::<r::AiPolicies>::new()}/>
                    <Route path=path!("settings/procedures") view={Lazy::<r::Procedures>::new()}/>
                    <Route path=path!("settings/rules") view={Lazy::<r::Rules>::new()}/>
                    <Route path=path!("settings/sla") view={Lazy::<r::Sla>::new()}/>
                    <Route path=path!("settings/routing") view={Lazy::<r::Routing>::new()}/>
                    <Route path=path!("flows") view={Lazy::<r::Flows>::new()}/>
                    <Route path=path!("flows/:id") view={Lazy::<r::FlowEditor>::new()}/>
                    <Route path=path!("segments") view={Lazy::<r::Segments>::new()}/>
                    <Route path=path!("settings/sending") view={Lazy::<r::Sending>::new()}/>
                    <Route path=path!("messages") view={Lazy::<r::TargetedMessages>::new()}/>
                    <Route path=path!("tours") view={Lazy::<r::Tours>::new()}/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
