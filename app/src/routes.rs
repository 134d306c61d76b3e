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
    actions, activity, admin, ai, api_keys, auth, catalog, channels, dashboards, digest, flows,
    inbox, inbox_settings, kb, live_board, notifications, ops, orders, portal, predictions,
    procedures, quality, report_exports, reports, routing, rules, segments, sending, settings, sla,
    slack, sms, store, support, targeted, team, tours, transcription, voice, webhooks,
};
use crate::permissions::Action;
use leptos::prelude::*;
use leptos_router::LazyRoute;

/// Declares an area: an enum of its pages, the area's split point (a `#[lazy]`
/// function rendering one of them) and, per page, a route type whose view awaits
/// the area's code.
macro_rules! area {
    (
        $(#[$area_doc:meta])* $area:ident, $split:ident, $preload:ident {
            $($(#[$doc:meta])* $page:ident => $component:path $(, needs $action:ident)?;)*
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
                $($area::$page => {
                    $(if let Some(denied) = admin::no_access(Action::$action) {
                        return denied;
                    })?
                    $component().into_any()
                })*
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
        Home => admin::HomePage, needs ViewWorkspace;
    }
}

area! {
    /// The inbox: list, conversation pane, composer, AI assist.
    InboxArea, inbox_area, __preload_inbox_area {
        /// `/app/inbox`.
        Inbox => inbox::InboxPage, needs ViewInbox;
    }
}

area! {
    /// The AI agent that acts: approvals, tasks, action policies.
    ActionsArea, actions_area, __preload_actions_area {
        /// `/app/approvals`.
        Approvals => actions::ApprovalsPage, needs ViewInbox;
        /// `/app/tasks`.
        Tasks => actions::TasksPage, needs ViewInbox;
        /// `/app/settings/ai-policies`.
        AiPolicies => actions::PoliciesPage, needs ManageAiPolicies;
        /// `/app/approvals/loop`.
        AiLoop => actions::LoopPage, needs ApproveActions;
        /// `/app/settings/procedures`.
        Procedures => procedures::ProceduresPage, needs ManageAiPolicies;
    }
}

area! {
    /// Automation: rules (triggers and automations); routing, SLAs and business
    /// hours join it.
    AutomationArea, automation_area, __preload_automation_area {
        /// `/app/settings/rules`.
        Rules => rules::RulesPage, needs ManageAutomation;
        /// `/app/settings/sla`.
        Sla => sla::SlaPage, needs ManageAutomation;
        /// `/app/settings/routing`.
        Routing => routing::RoutingPage, needs ManageAutomation;
    }
}

area! {
    /// The builders: the flow list, the flow canvas and customer segments
    /// (campaigns, targeted messages and product tours).
    BuildersArea, builders_area, __preload_builders_area {
        /// `/app/flows`.
        Flows => flows::FlowsPage, needs ManageAutomation;
        /// `/app/flows/:id`.
        FlowEditor => flows::FlowEditorPage, needs ManageAutomation;
        /// `/app/segments`.
        Segments => segments::SegmentsPage, needs ManageSegments;
        /// `/app/settings/sending`.
        Sending => sending::SendingPage, needs ManageCampaigns;
        /// `/app/messages`.
        TargetedMessages => targeted::TargetedPage, needs ManageCampaigns;
        /// `/app/tours`.
        Tours => tours::ToursPage, needs ManageCampaigns;
    }
}

area! {
    /// The knowledge base and its article editor.
    KnowledgeArea, knowledge_area, __preload_knowledge_area {
        /// `/app/kb`.
        Knowledge => kb::KbPage, needs ViewKnowledge;
        /// `/app/kb/articles/:id`.
        ArticleEditor => kb::ArticleEditorPage, needs ViewKnowledge;
    }
}

area! {
    /// The AI agent's overview (charts).
    AiArea, ai_area, __preload_ai_area {
        /// `/app/ai`.
        AiOverview => ai::AiPage, needs ViewAiReports;
    }
}

area! {
    /// Reports: the report builder and its drill-down.
    ReportsArea, reports_area, __preload_reports_area {
        /// `/app/reports`.
        Reports => reports::ReportsPage, needs ViewReports;
        /// `/app/dashboards`.
        Dashboards => dashboards::DashboardsPage, needs ViewReports;
        /// `/app/dashboards/:id`.
        Board => dashboards::BoardPage, needs ViewReports;
        /// `/app/live`.
        Live => live_board::LiveBoardPage, needs ViewReports;
        /// `/app/digest`.
        Digest => digest::DigestPage, needs ViewReports;
        /// `/app/reports/exports`.
        Exports => report_exports::ExportsPage, needs ViewReports;
        /// `/app/reports/predictions`.
        Predictions => predictions::PredictionsPage, needs ViewReports;
        /// `/app/quality`.
        Quality => quality::QualityPage, needs ViewReports;
        /// `/app/quality/review?c=`.
        QualityReview => quality::ReviewPage, needs ViewReports;
    }
}

area! {
    /// Commerce: the orders desk.
    StoreArea, store_area, __preload_store_area {
        /// `/app/orders`.
        Orders => orders::OrdersPage, needs ViewInbox;
        /// `/app/catalog`.
        Catalog => catalog::CatalogPage, needs ViewInbox;
    }
}

area! {
    /// The team and the operations pages.
    TeamArea, team_area, __preload_team_area {
        /// `/app/team`.
        Team => team::TeamPage, needs ViewTeam;
        /// `/app/activity`.
        Activity => activity::ActivityPage, needs ViewActivityLog;
        /// `/app/outbox`.
        Outbox => ops::OutboxPage, needs ViewOutbox;
        /// `/app/jobs`.
        Jobs => ops::JobsPage, needs ViewJobs;
    }
}

area! {
    /// Settings: workspace, profile, inbox, channels, webhooks, API keys,
    /// notifications.
    SettingsArea, settings_area, __preload_settings_area {
        /// `/app/settings`.
        WorkspaceSettings => settings::WorkspaceSettingsPage, needs ViewWorkspace;
        /// `/app/profile`.
        Profile => settings::ProfilePage, needs ViewWorkspace;
        /// `/app/settings/inbox`.
        InboxSettings => inbox_settings::InboxSettingsPage, needs ViewInbox;
        /// `/app/settings/api-keys`.
        ApiKeys => api_keys::ApiKeysPage, needs ManageApiKeys;
        /// `/app/settings/channels`.
        Channels => channels::ChannelsPage, needs ManageChannels;
        /// `/app/settings/sms`.
        SmsSettings => sms::SmsSettingsPage, needs ManageChannels;
        /// `/app/settings/voice`.
        VoiceSettings => voice::VoiceSettingsPage, needs ManageChannels;
        /// `/app/settings/transcription`.
        TranscriptionSettings => transcription::TranscriptionSettingsPage, needs ManageChannels;
        /// `/app/settings/slack`.
        SlackSettings => slack::SlackSettingsPage, needs ManageChannels;
        /// `/app/settings/webhooks`.
        Webhooks => webhooks::WebhooksPage, needs ManageWebhooks;
        /// `/app/profile/notifications`.
        MyNotifications => notifications::MyNotificationsPage, needs ViewWorkspace;
        /// `/app/settings/notifications`.
        NotificationSettings => notifications::NotificationSettingsPage, needs ManageWorkspaceSettings;
        /// `/app/settings/store`.
        StoreSettings => store::StoreSettingsPage, needs ManageWorkspaceSettings;
    }
}
