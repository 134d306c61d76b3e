//! The app's areas as lazy routes: each area's code is split out of the main wasm
//! (`cargo leptos build --split`) and fetched the first time the area is opened,
//! so the first load carries only the router, the layouts and shared code. The
//! server renders them like any other route.
//!
//! Pages are grouped into a few areas, one split point each (`#[lazy]` function):
//! the splitter puts code shared by several split points into chunks, one per set
//! of areas sharing it, so a split point per page made the inbox fetch 200 small
//! files; per area it is a handful. A new page joins an area here, gets a
//! `Lazy::<…>` route in [`crate::App`], and a line in the browser route test
//! (`end2end/tests/routes.test.mjs`).

use crate::pages::{
    actions, activity, admin, ai, api_keys, auth, channels, flows, inbox, inbox_settings, kb,
    notifications, ops, portal, procedures, routing, rules, settings, sla, support, team, webhooks,
};
use leptos::prelude::*;
use leptos_router::LazyRoute;

/// Declares an area: an enum of its pages, the area's split point (a `#[lazy]`
/// function rendering one of them) and, per page, a route type whose view awaits
/// the area's code.
macro_rules! area {
    (
        $(#[$area_doc:meta])* $area:ident, $split:ident, $preload:ident {
            $($(#[$doc:meta])* $page:ident => $component:path;)*
        }
    ) => {
        $(#[$area_doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $area {
            $($(#[$doc])* $page,)*
        }

        #[lazy]
        fn $split(page: $area) -> AnyView {
            match page {
                $($area::$page => $component().into_any(),)*
            }
        }

        $(
            $(#[$doc])*
            pub struct $page;

            impl LazyRoute for $page {
                fn data() -> Self {
                    $page
                }

                async fn view(this: Self) -> AnyView {
                    let _ = this;
                    $split($area::$page).await
                }

                async fn preload() {
                    #[cfg(target_arch = "wasm32")]
                    $preload().await;
                }
            }
        )*
    };
}

area! {
    /// Public pages: accounts, the customer portal and the support form.
    PublicArea, public_area, __preload_public_area {
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
    }
}

area! {
    /// The signed-in home page.
    HomeArea, home_area, __preload_home_area {
        /// `/app`.
        Home => admin::HomePage;
    }
}

area! {
    /// The inbox: list, conversation pane, composer, AI assist.
    InboxArea, inbox_area, __preload_inbox_area {
        /// `/app/inbox`.
        Inbox => inbox::InboxPage;
    }
}

area! {
    /// The AI agent that acts: approvals, tasks, action policies.
    ActionsArea, actions_area, __preload_actions_area {
        /// `/app/approvals`.
        Approvals => actions::ApprovalsPage;
        /// `/app/tasks`.
        Tasks => actions::TasksPage;
        /// `/app/settings/ai-policies`.
        AiPolicies => actions::PoliciesPage;
        /// `/app/approvals/loop`.
        AiLoop => actions::LoopPage;
        /// `/app/settings/procedures`.
        Procedures => procedures::ProceduresPage;
    }
}

area! {
    /// Automation: rules (triggers and automations); routing, SLAs and business
    /// hours join it.
    AutomationArea, automation_area, __preload_automation_area {
        /// `/app/settings/rules`.
        Rules => rules::RulesPage;
        /// `/app/settings/sla`.
        Sla => sla::SlaPage;
        /// `/app/settings/routing`.
        Routing => routing::RoutingPage;
    }
}

area! {
    /// The builders: the flow list and the flow canvas (campaigns and tours join
    /// it, reusing the canvas).
    BuildersArea, builders_area, __preload_builders_area {
        /// `/app/flows`.
        Flows => flows::FlowsPage;
        /// `/app/flows/:id`.
        FlowEditor => flows::FlowEditorPage;
    }
}

area! {
    /// The knowledge base and its article editor.
    KnowledgeArea, knowledge_area, __preload_knowledge_area {
        /// `/app/kb`.
        Knowledge => kb::KbPage;
        /// `/app/kb/articles/:id`.
        ArticleEditor => kb::ArticleEditorPage;
    }
}

area! {
    /// The AI agent's overview (charts).
    AiArea, ai_area, __preload_ai_area {
        /// `/app/ai`.
        AiOverview => ai::AiPage;
    }
}

area! {
    /// The team and the operations pages.
    TeamArea, team_area, __preload_team_area {
        /// `/app/team`.
        Team => team::TeamPage;
        /// `/app/activity`.
        Activity => activity::ActivityPage;
        /// `/app/outbox`.
        Outbox => ops::OutboxPage;
        /// `/app/jobs`.
        Jobs => ops::JobsPage;
    }
}

area! {
    /// Settings: workspace, profile, inbox, channels, webhooks, API keys,
    /// notifications.
    SettingsArea, settings_area, __preload_settings_area {
        /// `/app/settings`.
        WorkspaceSettings => settings::WorkspaceSettingsPage;
        /// `/app/profile`.
        Profile => settings::ProfilePage;
        /// `/app/settings/inbox`.
        InboxSettings => inbox_settings::InboxSettingsPage;
        /// `/app/settings/api-keys`.
        ApiKeys => api_keys::ApiKeysPage;
        /// `/app/settings/channels`.
        Channels => channels::ChannelsPage;
        /// `/app/settings/webhooks`.
        Webhooks => webhooks::WebhooksPage;
        /// `/app/profile/notifications`.
        MyNotifications => notifications::MyNotificationsPage;
        /// `/app/settings/notifications`.
        NotificationSettings => notifications::NotificationSettingsPage;
    }
}
