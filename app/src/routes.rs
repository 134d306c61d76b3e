//! The app's areas as lazy routes: each page's code is split out of the main wasm
//! (`cargo leptos build --split`) and fetched the first time the area is opened,
//! so the first load carries only the router, the admin shell and shared code.
//! The server renders them like any other route.
//!
//! A new page gets a line here and a `Lazy::<…>` route in [`crate::App`]; the
//! browser route test (`end2end/tests/routes.test.mjs`) must list it too.

use crate::pages::{
    activity, admin, ai, api_keys, auth, channels, inbox, inbox_settings, kb, ops, portal,
    settings, support, team, webhooks,
};
use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

/// One lazy route per page: a unit type whose view (the page component) lives in
/// its own wasm chunk.
macro_rules! lazy_pages {
    ($($(#[$doc:meta])* $name:ident => $page:path;)*) => {$(
        $(#[$doc])*
        pub struct $name;

        #[lazy_route]
        impl LazyRoute for $name {
            fn data() -> Self {
                $name
            }

            fn view(this: Self) -> AnyView {
                let _ = this;
                $page().into_any()
            }
        }
    )*};
}

lazy_pages! {
    /// `/sign-in`.
    SignIn => auth::SignInPage;
    /// `/sign-up`.
    SignUp => auth::SignUpPage;
    /// `/forgot-password`.
    ForgotPassword => auth::ForgotPasswordPage;
    /// `/reset-password`.
    ResetPassword => auth::ResetPasswordPage;
    /// `/verify-email`.
    VerifyEmail => auth::VerifyEmailPage;
    /// `/invitations/accept`.
    AcceptInvitation => auth::AcceptInvitationPage;
    /// `/portal/conversation`.
    Portal => portal::CustomerConversationPage;
    /// `/support/:slug`.
    SupportForm => support::SupportFormPage;
    /// `/support/:slug/status`.
    TicketStatus => support::TicketStatusPage;
    /// `/app`.
    Home => admin::HomePage;
    /// `/app/inbox` (list, conversation pane, composer, AI assist).
    Inbox => inbox::InboxPage;
    /// `/app/settings/inbox`.
    InboxSettings => inbox_settings::InboxSettingsPage;
    /// `/app/team`.
    Team => team::TeamPage;
    /// `/app/settings`.
    WorkspaceSettings => settings::WorkspaceSettingsPage;
    /// `/app/profile`.
    Profile => settings::ProfilePage;
    /// `/app/settings/api-keys`.
    ApiKeys => api_keys::ApiKeysPage;
    /// `/app/settings/channels`.
    Channels => channels::ChannelsPage;
    /// `/app/settings/webhooks`.
    Webhooks => webhooks::WebhooksPage;
    /// `/app/kb`.
    Knowledge => kb::KbPage;
    /// `/app/kb/articles/:id`.
    ArticleEditor => kb::ArticleEditorPage;
    /// `/app/ai`.
    AiOverview => ai::AiPage;
    /// `/app/activity`.
    Activity => activity::ActivityPage;
    /// `/app/outbox`.
    Outbox => ops::OutboxPage;
    /// `/app/jobs`.
    Jobs => ops::JobsPage;
}
