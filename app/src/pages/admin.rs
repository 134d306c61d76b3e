//! The signed-in layout (navigation, workspace switcher, live socket, timezone
//! detection), the home page, the landing redirect and the 404 page.

use crate::components::{action_error, hard_navigate, ErrorBox, FormError, Loading};
use crate::live::{self, Live};
use crate::permissions::{can, Action};
use crate::serverfns::auth::{get_session, ResendVerification, SignOut, SwitchWorkspace};
use crate::serverfns::routing::SetMyStatus;
use crate::serverfns::workspace::get_dashboard;
use crate::types::{AgentStatus, SessionView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Outlet, Redirect, A};
use leptos_router::hooks::use_location;

/// The session, provided as context to every admin page.
#[derive(Clone, Debug)]
pub struct SessionCtx(pub SessionView);

/// The session in context.
pub fn use_session() -> Option<SessionView> {
    use_context::<SessionCtx>().map(|s| s.0)
}

/// The live counters in context.
pub fn use_live() -> Live {
    use_context::<Live>().unwrap_or_default()
}

/// `/`: to the app when signed in, else to sign-in.
#[component]
pub fn Landing() -> impl IntoView {
    let session = Resource::new(|| (), |()| get_session());
    view! {
        <Suspense fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match session.await {
                    Ok(Some(_)) => view! { <Redirect path="/app"/> }.into_any(),
                    _ => view! { <Redirect path="/sign-in"/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The session the server loaded for this request (`server::http::admin_session`
/// puts it in the request's extensions before the page renders).
fn request_session() -> Option<SessionView> {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|p| p.extensions.get::<SessionView>().cloned())
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

/// Layout of every `/app` page.
///
/// The shell renders at once from the session the server loaded before rendering,
/// handed to the browser as a [`SharedValue`] for hydration: no `<Suspense>` around
/// the whole app, so every page's resources are created — and their queries run —
/// exactly once per request (a `<Suspense>` re-runs its children while it resolves,
/// and each run would build the page again). Only a page reached by navigating in
/// the browser from outside `/app` has no preloaded session; it asks for one.
#[component]
pub fn AdminLayout() -> impl IntoView {
    match SharedValue::new(request_session).into_inner() {
        Some(s) => view! { <Shell session=s/> }.into_any(),
        None => {
            let session = Resource::new(|| (), |()| get_session());
            view! {
                <Suspense fallback=|| view! { <div class="boot"><Loading/></div> }>
                    {move || session.get().map(|r| match r {
                        Ok(Some(s)) => view! { <Shell session=s/> }.into_any(),
                        Ok(None) => view! { <Redirect path="/sign-in"/> }.into_any(),
                        Err(e) => view! { <main class="auth"><ErrorBox error=e/></main> }.into_any(),
                    })}
                </Suspense>
            }
            .into_any()
        }
    }
}

struct NavItem {
    href: &'static str,
    label: &'static str,
    action: Action,
}

const NAV: &[NavItem] = &[
    NavItem {
        href: "/app",
        label: "Home",
        action: Action::ViewWorkspace,
    },
    NavItem {
        href: "/app/inbox",
        label: "Inbox",
        action: Action::ViewInbox,
    },
    NavItem {
        href: "/app/approvals",
        label: "Approvals",
        action: Action::ApproveActions,
    },
    NavItem {
        href: "/app/tasks",
        label: "Tasks",
        action: Action::ViewInbox,
    },
    NavItem {
        href: "/app/orders",
        label: "Orders",
        action: Action::ViewInbox,
    },
    NavItem {
        href: "/app/catalog",
        label: "Catalog",
        action: Action::ViewInbox,
    },
    NavItem {
        href: "/app/kb",
        label: "Knowledge base",
        action: Action::ViewKnowledge,
    },
    NavItem {
        href: "/app/dashboards",
        label: "Dashboards",
        action: Action::ViewReports,
    },
    NavItem {
        href: "/app/live",
        label: "Live dashboard",
        action: Action::ViewReports,
    },
    NavItem {
        href: "/app/quality",
        label: "Quality",
        action: Action::ViewReports,
    },
    NavItem {
        href: "/app/reports",
        label: "Reports",
        action: Action::ViewReports,
    },
    NavItem {
        href: "/app/ai",
        label: "AI agent",
        action: Action::ViewAiReports,
    },
    NavItem {
        href: "/app/team",
        label: "Team",
        action: Action::ViewTeam,
    },
    NavItem {
        href: "/app/activity",
        label: "Activity log",
        action: Action::ViewActivityLog,
    },
    NavItem {
        href: "/app/outbox",
        label: "Outbox",
        action: Action::ViewOutbox,
    },
    NavItem {
        href: "/app/jobs",
        label: "Jobs",
        action: Action::ViewJobs,
    },
    NavItem {
        href: "/app/settings/inbox",
        label: "Inbox settings",
        action: Action::ViewInbox,
    },
    NavItem {
        href: "/app/settings",
        label: "Workspace settings",
        action: Action::ManageWorkspaceSettings,
    },
    NavItem {
        href: "/app/settings/rules",
        label: "Rules",
        action: Action::ManageAutomation,
    },
    NavItem {
        href: "/app/settings/routing",
        label: "Routing",
        action: Action::ManageAutomation,
    },
    NavItem {
        href: "/app/flows",
        label: "Flows",
        action: Action::ManageAutomation,
    },
    NavItem {
        href: "/app/segments",
        label: "Segments",
        action: Action::ManageSegments,
    },
    NavItem {
        href: "/app/messages",
        label: "Targeted messages",
        action: Action::ManageCampaigns,
    },
    NavItem {
        href: "/app/tours",
        label: "Product tours",
        action: Action::ManageCampaigns,
    },
    NavItem {
        href: "/app/settings/sending",
        label: "Campaign sending",
        action: Action::ManageCampaigns,
    },
    NavItem {
        href: "/app/settings/sla",
        label: "Business hours & SLAs",
        action: Action::ManageAutomation,
    },
    NavItem {
        href: "/app/settings/notifications",
        label: "Notifications",
        action: Action::ManageWorkspaceSettings,
    },
    NavItem {
        href: "/app/settings/ai-policies",
        label: "AI policies",
        action: Action::ManageAiPolicies,
    },
    NavItem {
        href: "/app/settings/procedures",
        label: "Procedures",
        action: Action::ManageAiPolicies,
    },
    NavItem {
        href: "/app/settings/channels",
        label: "Channels",
        action: Action::ManageChannels,
    },
    NavItem {
        href: "/app/settings/sms",
        label: "SMS & WhatsApp",
        action: Action::ManageChannels,
    },
    NavItem {
        href: "/app/settings/voice",
        label: "Voice",
        action: Action::ManageChannels,
    },
    NavItem {
        href: "/app/settings/transcription",
        label: "Transcription",
        action: Action::ManageChannels,
    },
    NavItem {
        href: "/app/settings/slack",
        label: "Slack",
        action: Action::ManageChannels,
    },
    NavItem {
        href: "/app/settings/webhooks",
        label: "Webhooks",
        action: Action::ManageWebhooks,
    },
    NavItem {
        href: "/app/settings/api-keys",
        label: "API keys",
        action: Action::ManageApiKeys,
    },
    NavItem {
        href: "/app/settings/store",
        label: "Store",
        action: Action::ManageWorkspaceSettings,
    },
];

#[component]
fn Shell(session: SessionView) -> impl IntoView {
    let live = Live::new();
    provide_context(live);
    provide_context(SessionCtx(session.clone()));
    provide_context(crate::components::ViewerZone(session.zone.clone()));
    crate::components::Now::provide();
    Effect::new(move |_| live::connect(live));
    let needs_tz = session.timezone.is_none();
    Effect::new(move |_| {
        if needs_tz {
            if let Some(tz) = live::browser_timezone() {
                leptos::task::spawn_local(async move {
                    let _ = crate::serverfns::profile::set_timezone(tz).await;
                });
            }
        }
    });
    let role = session.role();
    let my_status = RwSignal::new(session.status);
    let takes_tickets = can(role, Action::ReplyToCustomers);
    Effect::new(move |_| {
        if takes_tickets {
            live::heartbeat(my_status);
        }
    });
    let location = use_location();
    let sign_out = ServerAction::<SignOut>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = sign_out.value().get() {
            hard_navigate("/sign-in");
        }
    });
    let switch = ServerAction::<SwitchWorkspace>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = switch.value().get() {
            hard_navigate("/app");
        }
    });
    let ws = session.workspace.clone();
    let logo = ws.has_logo.then(|| format!("/app/logo?w={}", ws.id));
    let initial = ws
        .name
        .chars()
        .next()
        .unwrap_or('S')
        .to_uppercase()
        .to_string();
    let workspaces = session.workspaces.clone();
    let current_id = ws.id;
    view! {
        <div class="app">
            <aside class="sidebar">
                <div class="ws">
                    {match logo {
                        Some(src) => view! { <img class="ws-logo" src=src alt=""/> }.into_any(),
                        None => view! { <span class="ws-logo ws-initial">{initial}</span> }.into_any(),
                    }}
                    <div class="ws-meta">
                        <span class="ws-name" data-testid="workspace-name">{ws.name.clone()}</span>
                        <span class="ws-role">{role.label()}</span>
                    </div>
                </div>
                {(workspaces.len() > 1).then(|| view! {
                    <label class="ws-switch">
                        <span class="sr-only">"Switch workspace"</span>
                        <select on:change=move |ev| {
                            if let Ok(id) = event_target_value(&ev).parse::<i32>() {
                                switch.dispatch(SwitchWorkspace { workspace_id: id });
                            }
                        }>
                            {workspaces.iter().map(|w| view! {
                                <option value=w.id.to_string() selected=w.id == current_id>{w.name.clone()}</option>
                            }).collect_view()}
                        </select>
                    </label>
                })}
                <nav class="nav" aria-label="Main">
                    {NAV.iter().filter(|n| can(role, n.action)).map(|n| {
                        let href = n.href;
                        // The longest matching entry wins (settings vs settings/api-keys).
                        let active = move || {
                            let p = location.pathname.get();
                            let hit = |h: &str| if h == "/app" { p == "/app" || p == "/app/" } else { p.starts_with(h) };
                            hit(href) && !NAV.iter().any(|o| o.href.len() > href.len() && o.href.starts_with(href) && hit(o.href))
                        };
                        view! { <A href=href attr:class=move || if active() { "nav-item active" } else { "nav-item" }>{n.label}</A> }
                    }).collect_view()}
                </nav>
                <div class="sidebar-foot">
                    <span class="live" class:on=move || live.connected.get() title="Live updates">
                        {move || if live.connected.get() { "● Live" } else { "○ Offline" }}
                    </span>
                    {takes_tickets.then(|| view! { <StatusMenu status=my_status/> })}
                    <A href="/app/profile" attr:class="me">
                        <span class="me-name">{session.name.clone()}</span>
                        <span class="me-email">{session.email.clone()}</span>
                    </A>
                    <button class="btn btn-ghost" on:click=move |_| { sign_out.dispatch(SignOut {}); }>"Sign out"</button>
                </div>
            </aside>
            <main class="content">
                {(!session.email_verified).then(|| view! { <VerifyBanner/> })}
                <Outlet/>
            </main>
        </div>
    }
}

/// The agent's own status in the header: online (takes new tickets), away
/// (keeps theirs, gets no new ones), offline. The app also sets them away when
/// idle and back online when they return.
#[component]
fn StatusMenu(status: RwSignal<AgentStatus>) -> impl IntoView {
    let set = ServerAction::<SetMyStatus>::new();
    let open = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(s)) = set.value().get() {
            status.set(s.status);
        }
    });
    let error = action_error(set.value());
    view! {
        <div class="status-menu">
            <button class="btn btn-ghost status-now" data-testid="my-status" aria-haspopup="true"
                aria-expanded=move || open.get().to_string()
                data-status=move || status.get().as_str()
                on:click=move |_| open.update(|o| *o = !*o)>
                <span class=move || format!("status-dot status-{}", status.get().as_str())></span>
                {move || status.get().label()}
            </button>
            <Show when=move || open.get()>
                <div class="status-options" role="menu">
                    {AgentStatus::ALL.iter().map(|s| {
                        let s = *s;
                        let hint = match s {
                            AgentStatus::Online => "Gets new tickets",
                            AgentStatus::Away => "Keeps tickets, gets no new ones",
                            AgentStatus::Offline => "Signed off",
                        };
                        view! {
                            <button class="status-option" role="menuitem" data-testid=format!("status-{}", s.as_str())
                                on:click=move |_| { open.set(false); set.dispatch(SetMyStatus { status: s }); }>
                                <span class=format!("status-dot status-{}", s.as_str())></span>
                                <span><strong>{s.label()}</strong><br/><span class="small muted">{hint}</span></span>
                            </button>
                        }
                    }).collect_view()}
                </div>
            </Show>
            <FormError error/>
        </div>
    }
}

#[component]
fn VerifyBanner() -> impl IntoView {
    let resend = ServerAction::<ResendVerification>::new();
    let error = action_error(resend.value());
    view! {
        <div class="banner" role="status">
            <span>"Please verify your email address: we sent you a link."</span>
            {move || match resend.value().get() {
                Some(Ok(())) => view! { <span class="banner-ok">"Sent. Check your inbox."</span> }.into_any(),
                _ => view! {
                    <button class="btn btn-small" on:click=move |_| { resend.dispatch(ResendVerification {}); }
                        disabled=move || resend.pending().get()>"Resend email"</button>
                }.into_any(),
            }}
            <FormError error/>
        </div>
    }
}

/// `/app`: the home page.
#[component]
pub fn HomePage() -> impl IntoView {
    let live = use_live();
    let session = use_session();
    let data = Resource::new(
        move || (live.team.get(), live.outbox.get()),
        |_| get_dashboard(),
    );
    let name = session.as_ref().map(|s| s.name.clone()).unwrap_or_default();
    let role = session.as_ref().map(SessionView::role);
    let admin = role.is_some_and(|r| can(r, Action::InviteMembers));
    let reports = role.is_some_and(|r| can(r, Action::ViewReports));
    view! {
        <Title text="Home"/>
        <header class="page-head">
            <h1>"Welcome, " {name}</h1>
            <p class="muted">"Your workspace is ready. Conversations, channels and the AI agent arrive here as they are switched on."</p>
        </header>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(d) => view! {
                        <section class="cards">
                            <div class="card stat"><span class="stat-n">{d.members}</span><span class="stat-l">"members"</span></div>
                            <div class="card stat"><span class="stat-n">{d.pending_invitations}</span><span class="stat-l">"pending invitations"</span></div>
                            <div class="card stat"><span class="stat-n">{d.unsent_emails}</span><span class="stat-l">"unsent emails"</span></div>
                            <div class="card stat"><span class="stat-n">{d.dead_jobs}</span><span class="stat-l">"failed jobs"</span></div>
                        </section>
                        {(admin && d.members <= 1).then(|| view! {
                            <section class="card getting-started">
                                <h2>"Get started"</h2>
                                <p>"Invite your teammates so you can work the inbox together."</p>
                                <A href="/app/team" attr:class="btn btn-primary">"Invite teammates"</A>
                            </section>
                        })}
                    }.into_any(),
                }
            })}
        </Transition>
        {reports.then(|| view! { <crate::pages::dashboards::HomeOverview/> })}
    }
}

/// The page a role may not use, in place of the page itself: says so (and answers
/// 403 when rendered on the server), and builds none of the page, so no resource
/// asks the server for what it would refuse, not even when a live update arrives.
/// `None` when the signed-in member may use it. Pages declare what they need in
/// [`crate::routes`].
pub fn no_access(action: Action) -> Option<AnyView> {
    let role = use_session()?.role();
    if can(role, action) {
        return None;
    }
    #[cfg(feature = "ssr")]
    if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
        r.set_status(http::StatusCode::FORBIDDEN);
    }
    Some(
        view! {
            <Title text="No access"/>
            <section class="card" data-testid="no-access">
                <h1>"You can't open this page"</h1>
                <p class="muted">{format!("Your role ({}) does not allow this. Ask a workspace admin.", role.label())}</p>
                <a class="btn" href="/app">"Go to Home"</a>
            </section>
        }
        .into_any(),
    )
}

/// 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
        r.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found"/>
        <main class="auth">
            <div class="auth-card">
                <h1>"Page not found"</h1>
                <p class="muted">"The page you asked for does not exist, or you do not have access to it."</p>
                <a class="btn btn-primary" href="/app">"Go to Switchboard"</a>
            </div>
        </main>
    }
}
