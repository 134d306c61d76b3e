//! Demo data: a workspace with an owner, a small team with every role, a pending
//! invitation (its email in the outbox) and some history in the activity log, so a
//! newcomer sees a living product. Runs only on an empty database.

use app::permissions::Role;
use app::services::accounts::{self, add_membership};
use app::services::tenancy::Scoped;
use app::services::{team, AppState, RequestMeta, ServiceResult};
use app::types::Priority;

/// The demo owner's email.
pub const DEMO_EMAIL: &str = "demo@switchboard.test";
/// The demo owner's password.
pub const DEMO_PASSWORD: &str = "switchboard-demo";

/// Seeds when no workspace exists; returns whether it seeded.
///
/// # Errors
/// Service errors.
pub async fn seed_if_empty(state: &AppState) -> ServiceResult<bool> {
    if accounts::any_workspace(&state.db).await? {
        return Ok(false);
    }
    seed(state).await?;
    Ok(true)
}

/// Creates the demo workspace.
///
/// # Errors
/// Service errors.
pub async fn seed(state: &AppState) -> ServiceResult<()> {
    let owner = accounts::create_admin(
        state,
        DEMO_EMAIL,
        "Dana Demo",
        DEMO_PASSWORD,
        "Acme Outdoor Support",
    )
    .await?;
    let scope = Scoped::new(owner.workspace_id);
    let people = [
        ("maria.admin@switchboard.test", "Maria Alvarez", Role::Admin),
        ("sam.agent@switchboard.test", "Sam Okafor", Role::Agent),
        ("lee.agent@switchboard.test", "Lee Chen", Role::Agent),
        ("jo.light@switchboard.test", "Jo Müller", Role::LightAgent),
        (
            "pat.partner@switchboard.test",
            "Pat Rivera",
            Role::Collaborator,
        ),
    ];
    for (email, name, role) in people {
        let u = accounts::create_invited_user(&state.db, email, name, DEMO_PASSWORD).await?;
        add_membership(&state.db, scope, u.id, role).await?;
    }
    let actor =
        app::services::context::load_actor(&state.db, owner.user_id, owner.workspace_id).await?;
    let meta = RequestMeta {
        ip: Some("127.0.0.1".into()),
        user_agent: Some("switchboard seed".into()),
        request_id: None,
    };
    team::invite(state, &actor, "new.hire@switchboard.test", "agent", &meta).await?;
    seed_inbox(state, &actor, &meta).await?;
    crate::seed_store::seed_store(state, scope).await?;
    seed_knowledge_base(state, &actor).await?;
    // The AI agent answers chat, email and web-form messages out of the box with
    // the built-in engine (no API key needed).
    app::services::ai::settings::enable_builtin(&state.db, scope, &["chat", "email", "web_form"])
        .await?;
    seed_actions(state, &actor, &meta).await?;
    seed_sla(state, &actor).await?;
    seed_routing(state, &actor).await?;
    seed_rules(state, &actor, &meta).await?;
    seed_segments(state, &actor, &meta).await?;
    seed_flows(state, &actor, &meta).await?;
    seed_campaign(state, &actor, &meta).await?;
    seed_targeted(state, &actor, &meta).await?;
    // The demo's open tickets get their SLA targets too.
    app::services::hours::sla::backfill(state, scope).await?;
    // Past tickets for the reports.
    let agents: Vec<i32> = app::services::inbox::views::meta(state, &actor)
        .await?
        .agents
        .iter()
        .map(|a| a.id)
        .collect();
    let teams: Vec<i32> = scope
        .find::<entity::team::Entity>()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    let policy = scope
        .find::<entity::sla_policy::Entity>()
        .one(&state.db)
        .await?
        .map(|p| p.id);
    crate::seed_history::seed_history(&state.db, scope, &agents, &teams, policy).await?;
    for (name, template) in [
        ("Support overview", "overview"),
        ("Agent performance", "agents"),
    ] {
        app::services::reports::dashboards::create(&state.db, &actor, name, Some(template)).await?;
    }
    // Yesterday's digest, so the page has one on a fresh install (later days come
    // from the hourly job).
    app::services::reports::digest::ensure_yesterday(state, scope, app::services::now()).await?;
    // AutoQA's reviews of the last week's solved conversations, so Quality has
    // some on a fresh install (later ones come from the five-minute sweep).
    app::services::quality::sweep(state)
        .await
        .map_err(|e| app::services::ServiceError::Internal(format!("AutoQA sweep: {e}")))?;
    Ok(())
}
fn node(id: &str, x: f64, y: f64, kind: app::types::NodeKind) -> app::types::FlowNode {
    app::types::FlowNode {
        id: id.into(),
        position: app::types::CanvasPoint { x, y },
        kind,
    }
}

fn edge(source: &str, port: &str, target: &str) -> app::types::FlowEdge {
    app::types::FlowEdge {
        source: source.into(),
        port: port.into(),
        target: target.into(),
    }
}

/// Creates, fills and publishes a flow.
async fn publish_flow(
    state: &AppState,
    owner: &app::services::Actor,
    meta: &RequestMeta,
    name: &str,
    kind: &str,
    channels: &[&str],
    graph: &app::types::FlowGraph,
) -> ServiceResult<()> {
    use app::services::flows;
    let f = flows::save_settings(
        state,
        owner,
        &app::types::FlowSettingsForm {
            id: None,
            name: name.into(),
            kind: kind.into(),
            channels: channels.iter().map(|c| (*c).to_owned()).collect(),
            enabled: true,
        },
        meta,
    )
    .await?;
    flows::save_draft(state, owner, f.id, graph).await?;
    flows::publish(state, owner, f.id, meta).await?;
    Ok(())
}

/// A published chatbot flow on the chat widget: a greeting opens a menu (track
/// an order, talk to a person; a typed question goes to the AI agent), a
/// question goes straight to the AI agent; order questions collect a checked
/// email and go to Tier 1.
/// Segments a marketer would start from.
async fn seed_segments(
    state: &AppState,
    owner: &app::services::Actor,
    meta: &RequestMeta,
) -> ServiceResult<()> {
    use app::types::{Cond, CondOp, SegmentForm};
    let test = |field: &str, op: CondOp, value: &str| Cond::Test {
        field: field.into(),
        op,
        value: value.into(),
    };
    let segments = [
        (
            "Regulars",
            "Two tickets or more: they know us; greet them as such.",
            Cond::Group {
                any: false,
                items: vec![test("tickets.count", CondOp::Above, "1")],
            },
        ),
        (
            "Waiting on us",
            "Someone with an open ticket, or who chatted with us this week.",
            Cond::Group {
                any: true,
                items: vec![
                    test("tickets.open", CondOp::Above, "0"),
                    Cond::Group {
                        any: false,
                        items: vec![
                            test("tickets.channels", CondOp::Includes, "chat"),
                            test("tickets.days_since_last", CondOp::Below, "7"),
                        ],
                    },
                ],
            },
        ),
    ];
    for (name, description, conditions) in segments {
        app::services::segments::save(
            state,
            owner,
            &SegmentForm {
                id: None,
                name: name.into(),
                description: description.into(),
                conditions,
            },
            meta,
        )
        .await?;
    }
    Ok(())
}

async fn seed_flows(
    state: &AppState,
    owner: &app::services::Actor,
    meta: &RequestMeta,
) -> ServiceResult<()> {
    use app::types::{AskInput, FlowBranch, FlowGraph, FlowOp, NodeKind, FLOW_SCHEMA};
    let tier1 = owner
        .scope
        .find::<entity::team::Entity>()
        .all(&state.db)
        .await?
        .into_iter()
        .find(|t| t.name == "Tier 1")
        .map(|t| t.id);
    let say = |t: &str| NodeKind::SendMessage { text: t.into() };
    let graph = FlowGraph {
        schema: FLOW_SCHEMA,
        entry: None,
        trigger: None,
        nodes: vec![
            node("start", 40.0, 220.0, NodeKind::Start),
            // A greeting opens the menu; a question goes straight to the AI agent.
            node(
                "greeting",
                280.0,
                220.0,
                NodeKind::Condition {
                    branches: vec![FlowBranch {
                        subject: "first_message".into(),
                        op: FlowOp::OneOf,
                        value: "hi, hello, hey, help, menu, start, hallo, hola, bonjour".into(),
                    }],
                },
            ),
            node(
                "topic",
                540.0,
                60.0,
                NodeKind::Ask {
                    prompt: "Hi! What can we help with? Pick one, or type your question.".into(),
                    input: AskInput::Buttons {
                        choices: vec!["Track my order".into(), "Talk to a person".into()],
                    },
                    variable: "topic".into(),
                    timeout_mins: None,
                    typed: true,
                },
            ),
            node(
                "order_email",
                820.0,
                0.0,
                NodeKind::Ask {
                    prompt: "Happy to help. What email address did you order with?".into(),
                    input: AskInput::Email,
                    variable: "email".into(),
                    timeout_mins: None,
                    typed: false,
                },
            ),
            node(
                "tell_orders",
                1100.0,
                0.0,
                say("Thanks! Our orders team will reply here shortly."),
            ),
            node(
                "to_orders",
                1380.0,
                0.0,
                NodeKind::Handoff {
                    team_id: tier1,
                    note: "Order tracking for {{ answer.email }}.".into(),
                },
            ),
            node(
                "tell_person",
                820.0,
                220.0,
                say("OK, a person from our team will reply here shortly."),
            ),
            node(
                "person",
                1100.0,
                220.0,
                NodeKind::Handoff {
                    team_id: None,
                    note: "The customer asked for a person.".into(),
                },
            ),
            node("ai", 540.0, 400.0, NodeKind::AiAnswer),
            node("end", 820.0, 420.0, NodeKind::End),
        ],
        edges: vec![
            edge("start", "next", "greeting"),
            edge("greeting", "branch:0", "topic"),
            edge("greeting", "else", "ai"),
            edge("topic", "choice:0", "order_email"),
            edge("topic", "choice:1", "tell_person"),
            edge("topic", "other", "ai"),
            edge("order_email", "next", "tell_orders"),
            edge("tell_orders", "next", "to_orders"),
            edge("tell_person", "next", "person"),
            edge("ai", "answered", "end"),
            edge("ai", "handoff", "person"),
        ],
    };
    publish_flow(
        state,
        owner,
        meta,
        "Welcome menu",
        "chatbot",
        &["chat"],
        &graph,
    )
    .await?;
    seed_workflow(state, owner, meta).await
}

/// A published workflow: a ticket set to Pending (waiting on the customer) gets
/// a nudge after two quiet days, and is solved with a note after three more.
async fn seed_workflow(
    state: &AppState,
    owner: &app::services::Actor,
    meta: &RequestMeta,
) -> ServiceResult<()> {
    use app::types::{
        FlowBranch, FlowGraph, FlowOp, NodeKind, RuleAction, RuleEvent, WaitEvent, WorkflowTrigger,
        FLOW_SCHEMA,
    };
    let wait = |mins: u32| NodeKind::WaitFor {
        event: WaitEvent::CustomerReplies,
        timeout_mins: Some(mins),
    };
    let act = |a: RuleAction| NodeKind::TicketAction { action: a };
    let graph = FlowGraph {
        schema: FLOW_SCHEMA,
        entry: None,
        trigger: Some(WorkflowTrigger {
            events: vec![RuleEvent::TicketUpdated],
            only_if: vec![FlowBranch {
                subject: "ticket.status".into(),
                op: FlowOp::Is,
                value: "pending".into(),
            }],
        }),
        nodes: vec![
            node("start", 40.0, 40.0, NodeKind::Start),
            node("quiet", 300.0, 40.0, wait(2 * 24 * 60)),
            node(
                "nudge",
                300.0,
                200.0,
                act(RuleAction::Reply {
                    text: "Hi {{ customer.first_name }}, just checking in on {{ ticket.number }}: is there anything else we can do? Reply here and we'll pick it up.".into(),
                }),
            ),
            node("quiet_again", 560.0, 200.0, wait(3 * 24 * 60)),
            node(
                "solve",
                560.0,
                360.0,
                act(RuleAction::SetStatus {
                    status: "solved".into(),
                }),
            ),
            node(
                "note",
                820.0,
                360.0,
                act(RuleAction::Note {
                    text: "Solved by the workflow: no reply in five days after the ticket went to Pending.".into(),
                }),
            ),
            node("end", 820.0, 40.0, NodeKind::End),
        ],
        edges: vec![
            edge("start", "next", "quiet"),
            edge("quiet", "done", "end"),
            edge("quiet", "timeout", "nudge"),
            edge("nudge", "next", "quiet_again"),
            edge("quiet_again", "done", "end"),
            edge("quiet_again", "timeout", "solve"),
            edge("solve", "next", "note"),
            edge("note", "next", "end"),
        ],
    };
    publish_flow(
        state,
        owner,
        meta,
        "Nudge when waiting on the customer",
        "workflow",
        &[],
        &graph,
    )
    .await
}

/// A campaign left as a draft for a marketer to review and publish: regulars
/// who join the segment get a thank-you with a code, and, if they opened it, a
/// reminder before it runs out.
async fn seed_campaign(
    state: &AppState,
    owner: &app::services::Actor,
    meta: &RequestMeta,
) -> ServiceResult<()> {
    use app::services::{flows, segments};
    use app::types::{CampaignEntry, FlowBranch, FlowGraph, FlowOp, NodeKind, FLOW_SCHEMA};
    let regulars = segments::names(&state.db, owner.scope)
        .await?
        .into_iter()
        .find(|(_, n)| n == "Regulars")
        .map(|(id, _)| id);
    let mail = |subject: &str, body: &str| NodeKind::SendEmail {
        subject: subject.into(),
        body: body.into(),
    };
    let graph = FlowGraph {
        schema: FLOW_SCHEMA,
        trigger: None,
        entry: Some(CampaignEntry {
            segment_id: regulars,
            existing: false,
            goal_segment_id: None,
            event: None,
        }),
        nodes: vec![
            node("start", 40.0, 40.0, NodeKind::Start),
            node(
                "thanks",
                300.0,
                40.0,
                mail(
                    "Thanks for sticking with us, {{ customer.first_name }}",
                    "Hi {{ customer.first_name }},\n\nYou have been with Acme Outdoor for a while now, so here is 15% off your next trip: use code REGULAR15 at https://acme-outdoor.example/shop.\n\nHappy trails,\nThe Acme Outdoor team",
                ),
            ),
            node("wait", 560.0, 40.0, NodeKind::Wait { minutes: 5 * 24 * 60 }),
            node(
                "opened",
                560.0,
                200.0,
                NodeKind::Condition {
                    branches: vec![FlowBranch {
                        subject: "campaign.opened".into(),
                        op: FlowOp::Is,
                        value: "yes".into(),
                    }],
                },
            ),
            node(
                "reminder",
                820.0,
                200.0,
                mail(
                    "Your 15% ends Sunday",
                    "Hi {{ customer.first_name }},\n\nA quick reminder: REGULAR15 works until Sunday at https://acme-outdoor.example/shop.",
                ),
            ),
            node("end", 820.0, 360.0, NodeKind::End),
        ],
        edges: vec![
            edge("start", "next", "thanks"),
            edge("thanks", "next", "wait"),
            edge("wait", "next", "opened"),
            edge("opened", "branch:0", "reminder"),
            edge("opened", "else", "end"),
            edge("reminder", "next", "end"),
        ],
    };
    let f = flows::save_settings(
        state,
        owner,
        &app::types::FlowSettingsForm {
            id: None,
            name: "Thank our regulars".into(),
            kind: "campaign".into(),
            channels: Vec::new(),
            enabled: true,
        },
        meta,
    )
    .await?;
    flows::save_draft(state, owner, f.id, &graph).await?;
    Ok(())
}

/// Targeted messages, as drafts (switch one to Live to see it on
/// `/demo/store`): a sale banner on the store, and a slide-in for the Regulars.
async fn seed_targeted(
    state: &AppState,
    owner: &app::services::Actor,
    meta: &RequestMeta,
) -> ServiceResult<()> {
    use app::types::{TargetRules, TargetedMessageForm};
    let banner = TargetedMessageForm {
        name: "Autumn sale banner".into(),
        style: "banner".into(),
        placement: "top".into(),
        status: "draft".into(),
        title: "Autumn sale: 20% off tents and sleeping bags".into(),
        body: "Until Sunday, while stocks last.".into(),
        button_label: "Shop the sale".into(),
        button_url: "/demo/store#sale".into(),
        rules: TargetRules {
            page_match: "starts_with".into(),
            page_value: "/demo/store".into(),
            ..TargetRules::default()
        },
        ..TargetedMessageForm::default()
    };
    app::services::targeted::save(state, owner, &banner, meta).await?;
    let help = TargetedMessageForm {
        name: "Help for regulars".into(),
        style: "slide_in".into(),
        placement: "right".into(),
        status: "draft".into(),
        title: "Good to see you again".into(),
        body: "Questions about an order? Ask us in the chat: we answer within minutes.".into(),
        rules: TargetRules {
            seconds_on_page: 5,
            segment_id: app::services::segments::names(&state.db, owner.scope)
                .await?
                .into_iter()
                .find(|(_, n)| n == "Regulars")
                .map(|(id, _)| id),
            audience: "customers".into(),
            ..TargetRules::default()
        },
        frequency: "until_dismissed".into(),
        ..TargetedMessageForm::default()
    };
    app::services::targeted::save(state, owner, &help, meta).await?;
    Ok(())
}

/// Routing: agents' skills, and queues for billing (load balanced, overflowing
/// to everyone after 15 minutes), VIP tickets (VIP-skilled agents, most urgent
/// first) and chats (skill match: tent questions go to the tent expert).
async fn seed_routing(state: &AppState, owner: &app::services::Actor) -> ServiceResult<()> {
    use app::services::routing;
    use app::types::{AgentRoutingForm, QueueForm, RoutingStrategy};
    let page = routing::page(state, owner).await?;
    let skills: [(&str, &[&str]); 4] = [
        (DEMO_EMAIL, &["language:en", "tier:vip"]),
        (
            "maria.admin@switchboard.test",
            &[
                "language:en",
                "language:es",
                "tier:vip",
                "product:backpacks",
            ],
        ),
        (
            "sam.agent@switchboard.test",
            &["language:en", "product:tents", "product:stoves"],
        ),
        (
            "lee.agent@switchboard.test",
            &["language:en", "language:zh", "product:backpacks"],
        ),
    ];
    for (email, list) in skills {
        if let Some(a) = page.agents.iter().find(|a| a.email == email) {
            routing::save_agent(
                state,
                owner,
                &AgentRoutingForm {
                    user_id: a.user_id,
                    skills: list.iter().map(|s| (*s).to_owned()).collect(),
                    capacity: vec![("chat".into(), 5), ("email".into(), 15)],
                },
            )
            .await?;
        }
    }
    let lists = routing::lists(state, owner).await?;
    let team = |name: &str| {
        lists
            .teams
            .iter()
            .find(|(_, n)| n == name)
            .map(|(id, _)| *id)
    };
    let queues = [
        QueueForm {
            name: "Billing".into(),
            team_id: team("Billing"),
            strategy: RoutingStrategy::LoadBalanced.as_str().into(),
            overflow_after_mins: Some(15),
            ..QueueForm::default()
        },
        QueueForm {
            name: "VIP".into(),
            tag: "vip".into(),
            skills: vec!["tier:vip".into()],
            strategy: RoutingStrategy::PriorityWeighted.as_str().into(),
            overflow_after_mins: Some(10),
            ..QueueForm::default()
        },
        QueueForm {
            name: "Chats".into(),
            channels: vec!["chat".into()],
            strategy: RoutingStrategy::SkillMatch.as_str().into(),
            ..QueueForm::default()
        },
        QueueForm {
            name: "Everything else".into(),
            strategy: RoutingStrategy::RoundRobin.as_str().into(),
            ..QueueForm::default()
        },
    ];
    for q in queues {
        routing::save_queue(state, owner, &QueueForm { enabled: true, ..q }).await?;
    }
    Ok(())
}

/// Two business-hours schedules (New York and Berlin, with holidays) and SLA
/// policies for urgent, VIP and all other tickets.
async fn seed_sla(state: &AppState, owner: &app::services::Actor) -> ServiceResult<()> {
    use app::services::hours;
    use app::types::{Holiday, OpenHours, ScheduleForm, SlaPolicyForm};
    let days = |open: &str, close: &str, n: u8| -> Vec<OpenHours> {
        (0..n)
            .map(|day| OpenHours {
                day,
                open: open.into(),
                close: close.into(),
            })
            .collect()
    };
    let holiday = |date: &str, name: &str| Holiday {
        date: date.into(),
        name: name.into(),
    };
    let us = hours::save_schedule(
        state,
        owner,
        &ScheduleForm {
            id: None,
            name: "US support".into(),
            time_zone: "America/New_York".into(),
            hours: days("09:00", "17:00", 5),
            holidays: vec![
                holiday("2026-12-25", "Christmas Day"),
                holiday("2027-01-01", "New Year's Day"),
                holiday("2027-05-31", "Memorial Day"),
                holiday("2027-07-05", "Independence Day (observed)"),
            ],
        },
    )
    .await?;
    let mut eu_hours = days("08:00", "18:00", 5);
    eu_hours.push(OpenHours {
        day: 5,
        open: "10:00".into(),
        close: "14:00".into(),
    });
    hours::save_schedule(
        state,
        owner,
        &ScheduleForm {
            id: None,
            name: "EU support".into(),
            time_zone: "Europe/Berlin".into(),
            hours: eu_hours,
            holidays: vec![
                holiday("2026-12-25", "Weihnachten"),
                holiday("2026-12-26", "Zweiter Weihnachtstag"),
                holiday("2027-01-01", "Neujahr"),
            ],
        },
    )
    .await?;
    let policy =
        |name: &str, prios: &[&str], tag: &str, schedule: Option<i32>, f: i32, n: i32, r: i32| {
            SlaPolicyForm {
                id: None,
                name: name.into(),
                priorities: prios.iter().map(|p| (*p).to_owned()).collect(),
                tag: tag.into(),
                schedule_id: schedule,
                first_response_mins: Some(f),
                next_response_mins: Some(n),
                resolution_mins: Some(r),
                warn_mins: 30,
                enabled: true,
            }
        };
    for p in [
        policy("Urgent", &["urgent"], "", None, 60, 120, 8 * 60),
        policy("VIP", &[], "vip", Some(us.id), 2 * 60, 4 * 60, 16 * 60),
        policy(
            "High priority",
            &["high"],
            "",
            Some(us.id),
            4 * 60,
            8 * 60,
            24 * 60,
        ),
        policy(
            "Standard",
            &[],
            "",
            Some(us.id),
            8 * 60,
            16 * 60,
            5 * 8 * 60,
        ),
    ] {
        hours::save_policy(state, owner, &p).await?;
    }
    Ok(())
}

/// A few automation rules (three triggers, two automations), and one customer
/// message after them so the firing log has an entry.
async fn seed_rules(
    state: &AppState,
    owner: &app::services::Actor,
    meta: &RequestMeta,
) -> ServiceResult<()> {
    use app::services::automation;
    use app::services::channels::inbound::{self, InboundMessage, Sender};
    use app::types::{
        Channel, Cond, CondOp, IdentifierKind, NotifyTarget, RuleAction, RuleEvent, RuleForm,
        RuleKind,
    };
    let t = |field: &str, op: CondOp, value: &str| Cond::Test {
        field: field.into(),
        op,
        value: value.into(),
    };
    let all = |items: Vec<Cond>| Cond::Group { any: false, items };
    let any = |items: Vec<Cond>| Cond::Group { any: true, items };
    let page = automation::page(state, owner).await?;
    let billing = page
        .teams
        .iter()
        .find(|(_, n)| n == "Billing")
        .map(|(id, _)| *id);
    let forms = vec![
        RuleForm {
            id: None,
            name: "Refunds to Billing".into(),
            description: "Refund and charge questions go to the Billing team, tagged.".into(),
            kind: RuleKind::Trigger,
            events: vec![RuleEvent::TicketCreated],
            conditions: all(vec![any(vec![
                t("message.text", CondOp::Contains, "refund"),
                t("message.text", CondOp::Contains, "charged"),
                t("ticket.subject", CondOp::Contains, "invoice"),
            ])]),
            actions: vec![
                RuleAction::AddTags {
                    tags: vec!["billing".into()],
                },
                RuleAction::SetTeam { team_id: billing },
                RuleAction::Note {
                    text: "Routed to Billing: {{ customer.name }} asked about money.".into(),
                },
            ],
            enabled: true,
        },
        RuleForm {
            id: None,
            name: "VIP customers first".into(),
            description: "Club members and returning customers who say it is urgent jump the queue."
                .into(),
            kind: RuleKind::Trigger,
            events: vec![RuleEvent::TicketCreated, RuleEvent::MessageReceived],
            conditions: all(vec![
                t("ticket.priority", CondOp::IsNot, "urgent"),
                any(vec![
                    t("field.plan", CondOp::Is, "Club"),
                    all(vec![
                        t("customer.tickets", CondOp::Above, "1"),
                        t("message.text", CondOp::Contains, "urgent"),
                    ]),
                ]),
            ]),
            actions: vec![
                RuleAction::SetPriority {
                    priority: "high".into(),
                },
                RuleAction::AddTags {
                    tags: vec!["vip".into()],
                },
            ],
            enabled: true,
        },
        RuleForm {
            id: None,
            name: "Tent questions".into(),
            description: "Tagged tents, so routing's skill match gives them to a tent expert."
                .into(),
            kind: RuleKind::Trigger,
            events: vec![RuleEvent::TicketCreated],
            conditions: all(vec![t("message.text", CondOp::Contains, "tent")]),
            actions: vec![RuleAction::AddTags {
                tags: vec!["tents".into()],
            }],
            enabled: true,
        },
        RuleForm {
            id: None,
            name: "Urgent: tell the admins".into(),
            description: String::new(),
            kind: RuleKind::Trigger,
            events: vec![RuleEvent::TicketUpdated],
            conditions: all(vec![
                t("ticket.changed", CondOp::Includes, "priority"),
                t("ticket.priority", CondOp::Is, "urgent"),
            ]),
            actions: vec![RuleAction::Notify {
                target: NotifyTarget::Admins,
                text: "{{ ticket.number }} was raised to urgent: {{ ticket.subject }}".into(),
                after_mins: None,
            }],
            enabled: true,
        },
        RuleForm {
            id: None,
            name: "Nudge waiting customers".into(),
            description: "Pending for two days: a friendly check-in.".into(),
            kind: RuleKind::Automation,
            events: vec![],
            conditions: all(vec![
                t("ticket.status", CondOp::Is, "pending"),
                t("time.hours_since_update", CondOp::Above, "48"),
            ]),
            actions: vec![
                RuleAction::Reply {
                    text: "Hi {{ customer.first_name }}, just checking in on {{ ticket.number }}: is there anything else we can do?".into(),
                },
                RuleAction::AddTags {
                    tags: vec!["nudged".into()],
                },
            ],
            enabled: true,
        },
        RuleForm {
            id: None,
            name: "Close solved tickets".into(),
            description: "Solved and quiet for four days.".into(),
            kind: RuleKind::Automation,
            events: vec![],
            conditions: all(vec![
                t("ticket.status", CondOp::Is, "solved"),
                t("time.hours_since_update", CondOp::Above, "96"),
            ]),
            actions: vec![RuleAction::Close],
            enabled: true,
        },
    ];
    for f in &forms {
        automation::save(state, owner, f, meta).await?;
    }
    let mut m = InboundMessage::new(
        Channel::Email,
        "seed:rules:refund".into(),
        Sender {
            kind: IdentifierKind::Email,
            value: "nina.patel@example.com".into(),
            name: Some("Nina Patel".into()),
        },
        "Hi, I was charged twice for my tent order. Could you refund the second charge?".into(),
    );
    m.subject = "Charged twice for order #4471".into();
    inbound::receive(state, owner.scope, m).await?;
    Ok(())
}

/// Action policies, a few AI proposals waiting for approval and some tasks.
async fn seed_actions(
    state: &AppState,
    owner: &app::services::Actor,
    meta: &RequestMeta,
) -> ServiceResult<()> {
    use app::services::actions::{self, policy, Proposal, Proposer};
    use app::types::{PolicyForm, TaskForm};
    use sea_orm::{QueryOrder, QuerySelect};
    let rule = |name: &str, effect: &str, tool: &str, amount: &str| PolicyForm {
        name: name.into(),
        effect: effect.into(),
        tool: tool.into(),
        min_risk: String::new(),
        amount_over: amount.into(),
        segment_tag: String::new(),
        channel: String::new(),
        segment_id: None,
        enabled: true,
    };
    for f in [
        rule("Tagging runs on its own", "allow", "tag_ticket", ""),
        rule(
            "Summaries run on their own",
            "allow",
            "summarize_thread",
            "",
        ),
        rule(
            "Expenses over 100 are never automatic",
            "deny",
            "create_expense",
            "100",
        ),
        rule(
            "No webhooks from the AI agent",
            "deny",
            "trigger_webhook",
            "",
        ),
    ] {
        policy::save(state, owner, 0, &f, meta).await?;
    }
    let convs = owner
        .scope
        .find::<entity::conversation::Entity>()
        .order_by_asc(entity::conversation::Column::Id)
        .limit(3)
        .all(&state.db)
        .await?;
    let proposals = [
        (
            "close_ticket",
            serde_json::json!({"note": "The customer confirmed the replacement arrived."}),
            "Customer asked: “Everything arrived, you can close this.”",
        ),
        (
            "create_expense",
            serde_json::json!({"description": "Goodwill credit for the late delivery", "amount": 25, "currency": "USD"}),
            "The parcel was five days late; a goodwill credit keeps the customer.",
        ),
        (
            "create_task",
            serde_json::json!({"title": "Call the customer back", "due": "tomorrow", "notes": "Customer asked: “Could someone call me tomorrow about the warranty?”"}),
            "Customer asked: “Could someone call me tomorrow about the warranty?”",
        ),
    ];
    for (c, (tool, input, why)) in convs.iter().zip(proposals) {
        actions::propose(
            state,
            owner.scope,
            Proposal {
                tool: tool.into(),
                input,
                conversation_id: Some(c.id),
                reasoning: Some(why.into()),
                proposer: Proposer::Ai,
                customer_note: None,
            },
            meta,
        )
        .await?;
    }
    // The autonomous loop is on, with a first cycle in its log.
    app::services::ai::settings::set_loop_enabled(&state.db, owner.scope, true).await?;
    actions::autonomous::cycle(state, owner.scope).await?;
    app::services::tasks::create(
        state,
        owner,
        &TaskForm {
            title: "Check the warranty claim photos".into(),
            notes: "Two photos attached to the customer's email.".into(),
            conversation_number: convs.first().map(|c| c.number),
            assignee_id: Some(owner.user_id),
            due: "tomorrow".into(),
            priority: "high".into(),
        },
        meta,
    )
    .await?;
    seed_procedures(state, owner, meta).await
}

/// Two procedures the AI agent follows (SPEC C6.5): a damaged-item refund and an
/// address change.
async fn seed_procedures(
    state: &AppState,
    owner: &app::services::Actor,
    meta: &RequestMeta,
) -> ServiceResult<()> {
    use app::services::actions::procedures;
    use app::types::{ProcOp, ProcStep, ProcedureForm};
    use serde_json::json;
    let tool = |tool: &str, input: serde_json::Value, note: &str| ProcStep::Tool {
        tool: tool.into(),
        input,
        note: note.into(),
    };
    let forms = [
        ProcedureForm {
            id: None,
            name: "Damaged item".into(),
            instructions: "When a customer says an item arrived damaged or broken: tag the ticket damaged. If the customer has written to us before, create a high-priority task to send a replacement and tell them it is on its way; otherwise ask for a photo of the damage.".into(),
            triggers: "arrived damaged\narrived broken\nitem is broken".into(),
            steps: vec![
                tool("tag_ticket", json!({"add": ["damaged"]}), ""),
                ProcStep::If {
                    fact: "customer.tickets".into(),
                    op: ProcOp::Above,
                    value: "1".into(),
                    then: vec![
                        tool(
                            "create_task",
                            json!({"title": "Send {{customer.name}} a replacement (ticket {{ticket.number}})", "priority": "high", "due": "tomorrow"}),
                            "Your replacement is arranged; you'll get the tracking number by email once it ships.",
                        ),
                        ProcStep::Reply {
                            text: "I'm sorry it arrived damaged, {{customer.name}}. I've asked our team to send a replacement.".into(),
                        },
                    ],
                    otherwise: vec![ProcStep::Reply {
                        text: "I'm sorry it arrived damaged, {{customer.name}}. Could you reply with a photo of the damage? We'll sort out a replacement right after.".into(),
                    }],
                },
            ],
            enabled: true,
            compiled_with: None,
        },
        ProcedureForm {
            id: None,
            name: "Address change".into(),
            instructions: "When a customer asks to change their delivery address: if the ticket is tagged shipped, hand it to a person (the carrier must reroute it); otherwise create a task to update the address and tell the customer.".into(),
            triggers: "change my address\nchange the delivery address\nnew address".into(),
            steps: vec![ProcStep::If {
                fact: "ticket.tags".into(),
                op: ProcOp::Contains,
                value: "shipped".into(),
                then: vec![ProcStep::Escalate {
                    reason: "Already shipped: the carrier must reroute it".into(),
                }],
                otherwise: vec![
                    tool(
                        "create_task",
                        json!({"title": "Update the delivery address for {{customer.name}}", "notes": "{{message.text}}", "priority": "high"}),
                        "Our team has your new address and will update the order before it ships.",
                    ),
                    ProcStep::Reply {
                        text: "Thanks, {{customer.name}}: I've asked our team to update the delivery address before your order ships.".into(),
                    },
                ],
            }],
            enabled: true,
            compiled_with: None,
        },
    ];
    for f in &forms {
        procedures::save(state, owner, f, meta).await?;
    }
    Ok(())
}

/// The demo help center's content (Acme Outdoor: 25 public articles in 6
/// categories, 3 internal ones, 4 translations).
pub const KNOWLEDGE_BASE: &str = include_str!("../seed/knowledge_base.json");

#[derive(serde::Deserialize)]
struct KbFile {
    collections: Vec<KbCollection>,
}
#[derive(serde::Deserialize)]
struct KbCollection {
    name: String,
    #[serde(default)]
    description: String,
    categories: Vec<KbCategory>,
}
#[derive(serde::Deserialize)]
struct KbCategory {
    name: String,
    #[serde(default)]
    description: String,
    articles: Vec<KbArticle>,
}
#[derive(serde::Deserialize)]
struct KbArticle {
    slug: String,
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    internal: bool,
    body_html: String,
    #[serde(default)]
    translations: Vec<KbTranslation>,
}
#[derive(serde::Deserialize)]
struct KbTranslation {
    locale: String,
    title: String,
    #[serde(default)]
    summary: String,
    body_html: String,
}

/// Imports the demo knowledge base (published) into the actor's workspace and
/// offers its translations' languages in the default help center.
///
/// # Errors
/// Service errors; `Internal` when the embedded file does not parse.
pub async fn seed_knowledge_base(
    state: &AppState,
    actor: &app::services::Actor,
) -> ServiceResult<()> {
    use app::services::kb::{articles, structure};
    use app::types::{ArticleForm, BrandForm};
    let file: KbFile = serde_json::from_str(KNOWLEDGE_BASE)
        .map_err(|e| app::services::ServiceError::Internal(format!("demo knowledge base: {e}")))?;
    let brand = structure::default_brand(&state.db, actor.scope).await?;
    let mut locales = vec!["en".to_owned()];
    for col in &file.collections {
        let c = structure::create_collection(
            &state.db,
            actor,
            Some(brand.id),
            &col.name,
            &col.description,
        )
        .await?;
        for cat in &col.categories {
            let k = structure::create_category(&state.db, actor, c.id, &cat.name, &cat.description)
                .await?;
            for a in &cat.articles {
                let saved = articles::save(
                    state,
                    actor,
                    None,
                    &ArticleForm {
                        category_id: k.id,
                        title: a.title.clone(),
                        slug: a.slug.clone(),
                        summary: a.summary.clone(),
                        body_html: a.body_html.clone(),
                        internal: a.internal,
                        publish: true,
                        locale: "en".into(),
                        parent_id: None,
                        note: "Imported".into(),
                    },
                )
                .await?;
                for t in &a.translations {
                    if !locales.contains(&t.locale) {
                        locales.push(t.locale.clone());
                    }
                    articles::save(
                        state,
                        actor,
                        None,
                        &ArticleForm {
                            category_id: k.id,
                            title: t.title.clone(),
                            // The same slug in every language: links work across them.
                            slug: a.slug.clone(),
                            summary: t.summary.clone(),
                            body_html: t.body_html.clone(),
                            internal: a.internal,
                            publish: true,
                            locale: t.locale.clone(),
                            parent_id: Some(saved.summary.id),
                            note: "Imported".into(),
                        },
                    )
                    .await?;
                }
            }
        }
    }
    let view = structure::brand_view(&brand);
    structure::save_brand(
        &state.db,
        actor,
        Some(brand.id),
        &BrandForm {
            name: view.name.trim_end_matches(" Support").to_owned(),
            slug: view.slug,
            logo_url: String::new(),
            primary_color: "#2f6f4f".into(),
            accent_color: "#c2410c".into(),
            custom_css: String::new(),
            default_locale: "en".into(),
            locales: locales.join(","),
            embed_widget: true,
        },
    )
    .await?;
    Ok(())
}

const CUSTOMERS: &[(&str, &str)] = &[
    ("Ana Souza", "ana.souza@example.com"),
    ("Ben Carter", "ben.carter@example.com"),
    ("Chloé Martin", "chloe.martin@example.fr"),
    ("Dev Patel", "dev.patel@example.in"),
    ("Emma Schmidt", "emma.schmidt@example.de"),
    ("Farah Haddad", "farah@example.com"),
    ("Gus Olsen", "gus.olsen@example.no"),
    ("Hana Sato", "hana.sato@example.jp"),
];

/// A demo conversation: customer index, subject, first message, agent reply (if
/// any), tags, priority.
type DemoConversation = (
    usize,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static [&'static str],
    Priority,
);

const CONVERSATIONS: &[DemoConversation] = &[
    (0, "Tent pole snapped on first trip", "Hi, one of the poles of my Ridgeline 2 tent snapped on the first night. Can I get a replacement pole? Order #A-10023.", Some("Sorry to hear that, Ana! I've asked the warehouse to ship a new pole set today."), &["warranty", "tents"], Priority::High),
    (1, "Where is my order?", "My order A-10031 was supposed to arrive on Monday and tracking has not moved since Friday.", None, &["shipping"], Priority::Normal),
    (2, "Facture pour ma commande", "Bonjour, pourriez-vous m'envoyer la facture de ma commande A-10007 ? Merci.", Some("Bonjour Chloé, the invoice is attached to this reply."), &["billing"], Priority::Low),
    (3, "Sleeping bag sizing", "Is the Alpine 20 sleeping bag long enough for someone who is 1.92 m tall?", None, &["pre-sales"], Priority::Normal),
    (4, "Refund for returned boots", "I returned the Trail boots two weeks ago (return label R-5521) and have not received my refund yet.", None, &["billing", "returns"], Priority::High),
    (5, "Stove does not ignite", "The piezo igniter on my Flame stove stopped working after three uses.", Some("Thanks Farah, could you send a short video of what happens when you press it?"), &["warranty"], Priority::Normal),
    (6, "Discount for our hiking club", "We are a hiking club of 40 members. Do you offer group discounts?", None, &["pre-sales", "vip"], Priority::Normal),
    (7, "Wrong colour delivered", "I ordered the backpack in green and received a red one.", None, &["shipping", "returns"], Priority::Urgent),
    (1, "Change delivery address", "Can I still change the delivery address for order A-10040?", Some("Done, Ben: the address is updated and the carrier has the new one."), &["shipping"], Priority::Normal),
    (0, "Thank you!", "The replacement pole arrived, thanks for the quick help.", None, &[], Priority::Low),
];

/// Customers, conversations, teams, a custom field, canned responses and macros,
/// so the inbox has work in it.
async fn seed_inbox(
    state: &AppState,
    owner: &app::services::Actor,
    meta: &RequestMeta,
) -> ServiceResult<()> {
    use app::services::inbox::{canned, conversations, macros, messages, setup, views};
    use app::services::uow::UnitOfWork;
    use app::types::{FieldKind, IdentifierKind, MacroAction, MessageKind, Status};
    let scope = owner.scope;
    let agents = views::meta(state, owner).await?.agents;
    let ids: Vec<i32> = agents.iter().map(|a| a.id).collect();
    let tier1 = setup::create_team(state, owner, "Tier 1", &ids).await?;
    setup::create_team(state, owner, "Billing", &ids[..ids.len().min(2)]).await?;
    setup::create_field(
        state,
        owner,
        "order_number",
        "Order number",
        FieldKind::Text,
        vec![],
    )
    .await?;
    setup::create_field(
        state,
        owner,
        "plan",
        "Plan",
        FieldKind::Dropdown,
        vec!["Free".into(), "Plus".into(), "Club".into()],
    )
    .await?;
    views::ensure_defaults(state, scope).await?;
    views::set_signature(&state.db, owner, "Dana · Acme Outdoor Support").await?;
    canned::create(
        state,
        owner,
        "Greeting",
        "General",
        "Hi {{ customer.first_name }},\n\nThanks for reaching out about {{ ticket.number }}. ",
        true,
    )
    .await?;
    canned::create(
        state,
        owner,
        "Refund issued",
        "Billing",
        "Hi {{ customer.name }}, your refund has been issued and should appear within 5 business days. — {{ agent.name }}",
        true,
    )
    .await?;
    canned::create(
        state,
        owner,
        "Shipping delay",
        "Shipping",
        "Hi {{ customer.first_name }}, the carrier reports a delay on your parcel. We are on it and will update you within 24 hours.",
        true,
    )
    .await?;
    macros::create(
        state,
        owner,
        "Close as solved",
        "Thank the customer and mark solved",
        vec![
            MacroAction::Reply("Glad we could help, {{ customer.first_name }}! I'm closing this conversation; reply any time to reopen it.".into()),
            MacroAction::SetStatus(Status::Solved),
        ],
    )
    .await?;
    macros::create(
        state,
        owner,
        "Escalate to billing",
        "Route to the billing team with high priority",
        vec![
            MacroAction::SetTeam(None),
            MacroAction::SetPriority(Priority::High),
            MacroAction::AddTags(vec!["billing".into(), "escalated".into()]),
            MacroAction::Note("Escalated to billing by {{ agent.name }}.".into()),
        ],
    )
    .await?;
    for (i, (cust, subject, body, reply, tags, priority)) in CONVERSATIONS.iter().enumerate() {
        let (name, email) = CUSTOMERS[*cust];
        let mut uow = UnitOfWork::begin(state).await?;
        let c = conversations::create_in(
            &mut uow,
            scope,
            None,
            conversations::NewConversation {
                customer: conversations::CustomerRef::Identifier {
                    kind: IdentifierKind::Email,
                    value: email.into(),
                    name: Some(name.into()),
                },
                subject: (*subject).into(),
                channel: if i % 3 == 1 {
                    app::types::Channel::Chat
                } else {
                    app::types::Channel::Email
                },
                priority: *priority,
                body: (*body).into(),
                from_customer: true,
                tags: tags.iter().map(|t| (*t).to_owned()).collect(),
                assignee_id: None,
                team_id: (i % 2 == 0).then_some(tier1.id),
            },
        )
        .await?;
        uow.commit().await?;
        if let Some(r) = reply {
            let agent_id = ids[i % ids.len()];
            let agent =
                app::services::context::load_actor(&state.db, agent_id, scope.workspace_id())
                    .await?;
            conversations::update(
                state,
                owner,
                c.id,
                conversations::ConversationPatch {
                    assignee_id: Some(Some(agent_id)),
                    ..Default::default()
                },
                meta,
            )
            .await?;
            messages::add(
                state,
                &agent,
                c.id,
                messages::NewMessage {
                    kind: MessageKind::Reply,
                    body_text: (*r).into(),
                    ..Default::default()
                },
                None,
                true,
            )
            .await?;
            if i == 0 {
                messages::add(
                    state,
                    &agent,
                    c.id,
                    messages::NewMessage {
                        kind: MessageKind::Note,
                        body_text: "Warehouse confirmed the pole set ships today. @maria can you approve the warranty claim?".into(),
                        ..Default::default()
                    },
                    None,
                    true,
                )
                .await?;
            }
        }
    }
    Ok(())
}
