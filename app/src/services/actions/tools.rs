//! The built-in tools: ticket fields, reply, close, tag, assign, tasks, a thread
//! summary, an email draft, expenses (stored here until an ERP adapter exists),
//! a webhook trigger and a system health check. Each runs inside the action's unit
//! of work (see [`super::registry`]).

use super::registry::{By, Exec, Registry, Tool, ToolFuture};
use super::schema::{Field, Kind};
use crate::services::activity::{self, Entry};
use crate::services::ai::extractive::{self, ThreadLine};
use crate::services::channels::webhooks;
use crate::services::inbox::conversations::{self, ConversationPatch};
use crate::services::inbox::messages::{self, NewMessage};
use crate::services::tasks::{self, NewTask};
use crate::services::tenancy::{global, Scoped};
use crate::services::{now, ServiceError, ServiceResult};
use crate::types::{ticket_ref, MessageKind, Priority, Risk, Status, TASK_PRIORITIES};
use entity::{conversation, expense, job, membership, team, user};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{json, Value};

const STATUSES: &[&str] = &["new", "open", "pending", "on_hold", "solved", "closed"];
const PRIORITIES: &[&str] = &["low", "normal", "high", "urgent"];

/// Registers the built-in tools.
pub fn register(r: &mut Registry) {
    r.register(Tool {
        name: "update_ticket",
        label: "Update ticket fields",
        description: "Changes the ticket's status, priority or subject.",
        risk: Risk::Low,
        fields: const {
            &[
                Field::opt("status", Kind::OneOf(STATUSES), "New status"),
                Field::opt("priority", Kind::OneOf(PRIORITIES), "New priority"),
                Field::opt("subject", Kind::Text { min: 1, max: 200 }, "New subject"),
            ]
        },
        needs_conversation: true,
        external: false,
        amount_field: None,
        describe: |v| {
            let mut parts = Vec::new();
            for k in ["status", "priority", "subject"] {
                if let Some(s) = text(v, k) {
                    parts.push(format!("{k} to “{s}”"));
                }
            }
            format!("Set {}", parts.join(", "))
        },
        run: update_ticket,
    });
    r.register(Tool {
        name: "reply",
        label: "Reply to the customer",
        description: "Sends a public reply on the ticket's channel (chat at once, email through the outbox).",
        risk: Risk::Medium,
        fields: const { &[Field::req("body", Kind::Text { min: 1, max: 10_000 }, "The reply's text")] },
        needs_conversation: true,
        external: false,
        amount_field: None,
        describe: |v| format!("Reply: “{}”", excerpt(text(v, "body").unwrap_or_default(), 120)),
        run: reply,
    });
    r.register(Tool {
        name: "close_ticket",
        label: "Close the ticket",
        description: "Marks the ticket solved (a customer reply reopens it), with an optional internal note saying why.",
        risk: Risk::Medium,
        fields: const { &[Field::opt("note", Kind::Text { min: 1, max: 2000 }, "Why it is closed (internal)")] },
        needs_conversation: true,
        external: false,
        amount_field: None,
        describe: |v| match text(v, "note") {
            Some(n) => format!("Mark the ticket solved (“{}”)", excerpt(n, 80)),
            None => "Mark the ticket solved".into(),
        },
        run: close_ticket,
    });
    r.register(Tool {
        name: "tag_ticket",
        label: "Tag the ticket",
        description: "Adds and removes tags on the ticket.",
        risk: Risk::Low,
        fields: const {
            &[
                Field::opt("add", Kind::Strings { max: 10 }, "Tags to add"),
                Field::opt("remove", Kind::Strings { max: 10 }, "Tags to remove"),
            ]
        },
        needs_conversation: true,
        external: false,
        amount_field: None,
        describe: |v| {
            let list = |k| strings(v, k).join(", ");
            match (list("add"), list("remove")) {
                (a, r) if r.is_empty() => format!("Add tags {a}"),
                (a, r) if a.is_empty() => format!("Remove tags {r}"),
                (a, r) => format!("Add tags {a}; remove {r}"),
            }
        },
        run: tag_ticket,
    });
    r.register(Tool {
        name: "assign_ticket",
        label: "Assign the ticket",
        description: "Assigns the ticket to a member (by email) and/or a team (by name).",
        risk: Risk::Low,
        fields: const {
            &[
                Field::opt(
                    "assignee_email",
                    Kind::Text { min: 3, max: 254 },
                    "The member's email",
                ),
                Field::opt("team", Kind::Text { min: 1, max: 100 }, "The team's name"),
            ]
        },
        needs_conversation: true,
        external: false,
        amount_field: None,
        describe: |v| {
            let mut parts = Vec::new();
            if let Some(e) = text(v, "assignee_email") {
                parts.push(format!("to {e}"));
            }
            if let Some(t) = text(v, "team") {
                parts.push(format!("to team {t}"));
            }
            format!("Assign {}", parts.join(" and "))
        },
        run: assign_ticket,
    });
    r.register(Tool {
        name: "create_task",
        label: "Create a task",
        description:
            "Creates an internal to-do, linked to the ticket and its customer when there is one.",
        risk: Risk::Low,
        fields: const {
            &[
                Field::req("title", Kind::Text { min: 1, max: 200 }, "What to do"),
                Field::opt(
                    "due",
                    Kind::Text { min: 1, max: 25 },
                    "YYYY-MM-DD, YYYY-MM-DDTHH:MM (UTC), today, tomorrow or in N days",
                ),
                Field::opt("priority", Kind::OneOf(TASK_PRIORITIES), "Priority"),
                Field::opt(
                    "assignee_email",
                    Kind::Text { min: 3, max: 254 },
                    "The member's email",
                ),
                Field::opt("notes", Kind::Text { min: 1, max: 2000 }, "Details"),
            ]
        },
        needs_conversation: false,
        external: false,
        amount_field: None,
        describe: |v| match text(v, "due") {
            Some(d) => format!(
                "Create task “{}” due {d}",
                text(v, "title").unwrap_or_default()
            ),
            None => format!("Create task “{}”", text(v, "title").unwrap_or_default()),
        },
        run: create_task,
    });
    r.register(Tool {
        name: "schedule_follow_up",
        label: "Schedule a follow-up",
        description: "Schedules a message to the customer, sent when due unless they answer first.",
        risk: Risk::Medium,
        fields: const {
            &[
                Field::req("message", Kind::Text { min: 1, max: 5000 }, "What to send"),
                Field::req(
                    "when",
                    Kind::Text { min: 1, max: 25 },
                    "in 4 hours, in 3 days, tomorrow, YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC)",
                ),
            ]
        },
        needs_conversation: true,
        external: false,
        amount_field: None,
        describe: |v| {
            format!(
                "Follow up {} unless the customer answers: “{}”",
                text(v, "when").unwrap_or_default(),
                excerpt(text(v, "message").unwrap_or_default(), 80)
            )
        },
        run: schedule_follow_up,
    });
    r.register(Tool {
        name: "summarize_thread",
        label: "Summarize the thread",
        description: "Adds an internal summary of the conversation (key points, open questions, action items).",
        risk: Risk::Low,
        fields: &[],
        needs_conversation: true,
        external: false,
        amount_field: None,
        describe: |_| "Add an internal summary of the conversation".into(),
        run: summarize_thread,
    });
    r.register(Tool {
        name: "draft_email",
        label: "Draft an email",
        description: "Writes an email draft to the customer as an internal note for an agent to review; nothing is sent.",
        risk: Risk::Low,
        fields: const { &[
            Field::req("subject", Kind::Text { min: 1, max: 200 }, "Subject line"),
            Field::req("instructions", Kind::Text { min: 1, max: 4000 }, "What the email should say"),
        ] },
        needs_conversation: true,
        external: false,
        amount_field: None,
        describe: |v| format!("Draft an email “{}”", text(v, "subject").unwrap_or_default()),
        run: draft_email,
    });
    r.register(Tool {
        name: "create_expense",
        label: "Record an expense",
        description: "Records an expense (a goodwill credit, a courier fee) against the ticket; kept in Switchboard until an ERP is connected.",
        risk: Risk::High,
        fields: const { &[
            Field::req("description", Kind::Text { min: 1, max: 200 }, "What it is for"),
            Field::req("amount", Kind::Number { min: 0.01, max: 1_000_000.0 }, "Amount in major units (12.50)"),
            Field::opt("currency", Kind::Text { min: 3, max: 3 }, "ISO currency code (default USD)"),
        ] },
        needs_conversation: false,
        external: false,
        amount_field: Some("amount"),
        describe: |v| {
            format!(
                "Record an expense of {} {} for “{}”",
                v.get("amount").and_then(Value::as_f64).map_or_else(String::new, |a| format!("{a:.2}")),
                text(v, "currency").unwrap_or("USD").to_uppercase(),
                text(v, "description").unwrap_or_default()
            )
        },
        run: create_expense,
    });
    r.register(Tool {
        name: "trigger_webhook",
        label: "Trigger a webhook",
        description: "Sends a signed event to one of the workspace's webhook endpoints (retried like every delivery).",
        risk: Risk::High,
        fields: const { &[
            Field::req("endpoint_id", Kind::Integer { min: 1, max: 2_147_483_647 }, "The endpoint's id (Settings → Webhooks)"),
            Field::req("event", Kind::Text { min: 1, max: 100 }, "Event name, e.g. refund.requested"),
            Field::opt("payload", Kind::Object, "JSON object sent as the event's data"),
        ] },
        needs_conversation: false,
        external: false,
        amount_field: None,
        describe: |v| {
            format!(
                "Send event `{}` to webhook endpoint {}",
                text(v, "event").unwrap_or_default(),
                v.get("endpoint_id").and_then(Value::as_i64).unwrap_or_default()
            )
        },
        run: trigger_webhook,
    });
    r.register(Tool {
        name: "escalate_to_human",
        label: "Escalate to a person",
        description: "Hands the ticket to a person: assigned to the least busy agent (unless assigned), marked escalated, with an internal note saying why.",
        risk: Risk::Low,
        fields: const { &[Field::req("reason", Kind::Text { min: 1, max: 500 }, "Why a person should take over")] },
        needs_conversation: true,
        external: false,
        amount_field: None,
        describe: |v| format!("Escalate to a person: {}", excerpt(text(v, "reason").unwrap_or_default(), 80)),
        run: escalate_to_human,
    });
    r.register(Tool {
        name: "create_ticket",
        label: "Create a ticket",
        description: "Opens a new ticket for a customer (found or created by email) with their first message.",
        risk: Risk::Low,
        fields: const {
            &[
                Field::req("customer_email", Kind::Text { min: 3, max: 254 }, "The customer's email"),
                Field::opt("customer_name", Kind::Text { min: 1, max: 120 }, "The customer's name"),
                Field::req("subject", Kind::Text { min: 1, max: 200 }, "Subject"),
                Field::req("message", Kind::Text { min: 1, max: 10_000 }, "The customer's message"),
                Field::opt("priority", Kind::OneOf(PRIORITIES), "Priority"),
            ]
        },
        needs_conversation: false,
        external: false,
        amount_field: None,
        describe: |v| format!("Open a ticket “{}” for {}", text(v, "subject").unwrap_or_default(), text(v, "customer_email").unwrap_or_default()),
        run: create_ticket,
    });
    r.register(Tool {
        name: "ticket_merge",
        label: "Merge tickets",
        description: "Merges other tickets (by number) into this one: their messages join its thread and they are closed.",
        risk: Risk::Medium,
        fields: const {
            &[Field::req("merge_numbers", Kind::Strings { max: 20 }, "Numbers of the tickets to merge into this one, e.g. [\"42\"]")]
        },
        needs_conversation: true,
        external: false,
        amount_field: None,
        describe: |v| format!("Merge tickets {} into this one", strings(v, "merge_numbers").join(", ")),
        run: ticket_merge,
    });
    r.register(Tool {
        name: "apply_macro",
        label: "Apply a macro",
        description: "Applies one of the workspace's macros (by name) to the ticket.",
        risk: Risk::Medium,
        fields: const {
            &[Field::req(
                "macro",
                Kind::Text { min: 1, max: 120 },
                "The macro's name",
            )]
        },
        needs_conversation: true,
        external: false,
        amount_field: None,
        describe: |v| format!("Apply the macro “{}”", text(v, "macro").unwrap_or_default()),
        run: apply_macro,
    });
    r.register(Tool {
        name: "system_health_check",
        label: "System health check",
        description: "Reports whether the database and the event bus answer, and how many jobs wait or failed.",
        risk: Risk::Low,
        fields: &[],
        needs_conversation: false,
        external: false,
        amount_field: None,
        describe: |_| "Check the database, the event bus and the job queue".into(),
        run: system_health_check,
    });
}

pub(super) fn text<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

pub(super) fn strings(v: &Value, k: &str) -> Vec<String> {
    v.get(k)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(|s| s.trim().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn excerpt(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    out
}

fn ticket(cx: &Exec) -> ServiceResult<conversation::Model> {
    cx.conversation.clone().ok_or_else(|| {
        ServiceError::invalid("conversation", "This tool works on a ticket: name one.")
    })
}

async fn member_by_email(
    db: &impl ConnectionTrait,
    scope: Scoped,
    email: &str,
) -> ServiceResult<user::Model> {
    let e = email.trim().to_lowercase();
    let u = global::<user::Entity>()
        .filter(user::Column::Email.eq(e.clone()))
        .one(db)
        .await?;
    if let Some(u) = u {
        let member = scope
            .find::<membership::Entity>()
            .filter(membership::Column::UserId.eq(u.id))
            .one(db)
            .await?;
        if member.is_some() {
            return Ok(u);
        }
    }
    Err(ServiceError::invalid(
        "assignee_email",
        format!("`{email}` is not a member of this workspace."),
    ))
}

fn patch_input(cx: &mut Exec, id: i32, patch: ConversationPatch) -> ToolFuture<'_> {
    Box::pin(async move {
        let who = cx.by.who();
        let c = conversations::apply_patch_as(&mut cx.uow, cx.scope, &who, id, &patch, &cx.meta)
            .await?;
        Ok(
            json!({"ticket": ticket_ref(c.number), "status": c.status, "priority": c.priority, "assignee_id": c.assignee_id, "team_id": c.team_id}),
        )
    })
}

fn update_ticket<'a>(cx: &'a mut Exec, v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let c = ticket(cx)?;
        let patch = ConversationPatch {
            subject: text(v, "subject").map(str::to_owned),
            status: text(v, "status").and_then(Status::parse),
            priority: text(v, "priority").and_then(Priority::parse),
            ..ConversationPatch::default()
        };
        if patch.is_empty() {
            return Err(ServiceError::invalid(
                "input",
                "`status`, `priority` or `subject`: give at least one.",
            ));
        }
        patch_input(cx, c.id, patch).await
    })
}

fn reply<'a>(cx: &'a mut Exec, v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let c = ticket(cx)?;
        let body = text(v, "body").unwrap_or_default().to_owned();
        let row = match &cx.by {
            By::Member(actor) => {
                let actor = actor.clone();
                messages::insert_agent(
                    &mut cx.uow,
                    &actor,
                    &c,
                    NewMessage {
                        kind: MessageKind::Reply,
                        body_text: body,
                        ..NewMessage::default()
                    },
                )
                .await?
            }
            By::Agent { .. } => messages::insert_ai_reply(&mut cx.uow, cx.scope, &c, &body).await?,
        };
        let c = conversations::touch(&*cx.uow, c).await?;
        Ok(
            json!({"ticket": ticket_ref(c.number), "message_id": row.id, "delivery": row.delivery_status}),
        )
    })
}

fn close_ticket<'a>(cx: &'a mut Exec, v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let c = ticket(cx)?;
        if let Some(note) = text(v, "note") {
            let line = format!("Closed by {}: {note}", cx.by.who().label);
            messages::insert_agent_system(&mut cx.uow, cx.scope, &c, &line).await?;
        }
        let patch = ConversationPatch {
            status: Some(Status::Solved),
            ..ConversationPatch::default()
        };
        patch_input(cx, c.id, patch).await
    })
}

fn tag_ticket<'a>(cx: &'a mut Exec, v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let c = ticket(cx)?;
        let (add, remove) = (strings(v, "add"), strings(v, "remove"));
        if add.is_empty() && remove.is_empty() {
            return Err(ServiceError::invalid(
                "input",
                "`add` or `remove`: give at least one tag.",
            ));
        }
        for t in add.iter().chain(&remove) {
            conversations::normalize_tag(t).map_err(|_| {
                ServiceError::invalid(
                    "input",
                    format!("`{t}`: a tag is letters, digits, - _ / . (up to 50)."),
                )
            })?;
        }
        conversations::set_tags_in(&*cx.uow, cx.scope, c.id, &add, &remove).await?;
        let c = conversations::touch(&*cx.uow, c).await?;
        activity::record(
            &*cx.uow,
            cx.scope,
            &cx.by.who(),
            &cx.meta,
            Entry::new("conversation.tagged")
                .target("conversation", ticket_ref(c.number))
                .diff(
                    None,
                    Some(json!({"add": add, "remove": remove, "action_id": cx.action_id})),
                ),
        )
        .await?;
        cx.uow.emit(crate::services::bus::Event::new(
            cx.scope.workspace_id(),
            "conversation.updated",
            json!({"id": c.id, "number": c.number}),
        ));
        Ok(json!({"ticket": ticket_ref(c.number), "added": add, "removed": remove}))
    })
}

fn assign_ticket<'a>(cx: &'a mut Exec, v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let c = ticket(cx)?;
        let mut patch = ConversationPatch::default();
        if let Some(e) = text(v, "assignee_email") {
            let u = member_by_email(&*cx.uow, cx.scope, e).await?;
            patch.assignee_id = Some(Some(u.id));
        }
        if let Some(name) = text(v, "team") {
            let t = cx
                .scope
                .find::<team::Entity>()
                .filter(team::Column::Name.eq(name))
                .one(&*cx.uow)
                .await?
                .ok_or_else(|| {
                    ServiceError::invalid("team", format!("There is no team named “{name}”."))
                })?;
            patch.team_id = Some(Some(t.id));
        }
        if patch.is_empty() {
            return Err(ServiceError::invalid(
                "input",
                "`assignee_email` or `team`: give at least one.",
            ));
        }
        patch_input(cx, c.id, patch).await
    })
}

fn create_task<'a>(cx: &'a mut Exec, v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let assignee = match text(v, "assignee_email") {
            Some(e) => Some(member_by_email(&*cx.uow, cx.scope, e).await?.id),
            None => None,
        };
        let who = cx.by.who();
        let creator = cx.by.creator();
        let t = tasks::insert(
            &*cx.uow,
            cx.scope,
            NewTask {
                title: text(v, "title").unwrap_or_default().to_owned(),
                notes: text(v, "notes").map(str::to_owned),
                conversation_id: cx.conversation.as_ref().map(|c| c.id),
                customer_id: cx.conversation.as_ref().map(|c| c.customer_id),
                assignee_user_id: assignee,
                due_at: tasks::parse_due(text(v, "due").unwrap_or_default(), now(), "due")?,
                priority: text(v, "priority").unwrap_or("normal").to_owned(),
                created_by: creator,
                action_id: Some(cx.action_id),
            },
        )
        .await?;
        tasks::record(&mut cx.uow, cx.scope, &who, &cx.meta, "task.created", &t).await?;
        Ok(json!({"task_id": t.id, "title": t.title, "due_at": t.due_at.map(|d| d.to_rfc3339())}))
    })
}

async fn lines(
    db: &impl ConnectionTrait,
    scope: Scoped,
    c: &conversation::Model,
) -> ServiceResult<Vec<ThreadLine>> {
    Ok(messages::thread(db, scope, c.id)
        .await?
        .into_iter()
        .filter(|m| m.kind == MessageKind::Reply && m.side_conversation_id.is_none())
        .map(|m| ThreadLine {
            from_customer: m.author_kind == "customer",
            author: m.author_name,
            text: m.body_text,
        })
        .collect())
}

fn schedule_follow_up<'a>(cx: &'a mut Exec, v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let c = ticket(cx)?;
        let due = crate::services::follow_ups::parse_when(
            text(v, "when").unwrap_or_default(),
            now(),
            "when",
        )?;
        let creator = cx.by.creator();
        let f = crate::services::follow_ups::schedule_in(
            &mut cx.uow,
            cx.scope,
            c.id,
            text(v, "message").unwrap_or_default(),
            due,
            &creator,
            Some(cx.action_id),
            &cx.meta,
        )
        .await?;
        Ok(json!({"follow_up_id": f.id, "due_at": f.due_at.to_rfc3339()}))
    })
}

fn summarize_thread<'a>(cx: &'a mut Exec, _v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let c = ticket(cx)?;
        let l = lines(&*cx.uow, cx.scope, &c).await?;
        if l.is_empty() {
            return Err(ServiceError::conflict(
                "conversation",
                "The ticket has no messages to summarize.",
            ));
        }
        let s = extractive::summarize(&l);
        let mut note = String::from("Summary");
        for (title, items) in [
            ("Key points", &s.key_points),
            ("Open questions", &s.open_questions),
            ("Action items", &s.action_items),
        ] {
            if !items.is_empty() {
                note.push_str(&format!("\n{title}:"));
                for i in items {
                    note.push_str(&format!("\n• {i}"));
                }
            }
        }
        messages::insert_agent_system(&mut cx.uow, cx.scope, &c, &note).await?;
        Ok(
            json!({"key_points": s.key_points, "open_questions": s.open_questions, "action_items": s.action_items}),
        )
    })
}

fn draft_email<'a>(cx: &'a mut Exec, v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let c = ticket(cx)?;
        let cust =
            crate::services::inbox::customers::find(&*cx.uow, cx.scope, c.customer_id).await?;
        let Some(to) = cust.email.clone() else {
            return Err(ServiceError::conflict(
                "conversation",
                "The customer has no email address to write to.",
            ));
        };
        let first = cust
            .name
            .split_whitespace()
            .next()
            .unwrap_or("there")
            .to_owned();
        let signer = match &cx.by {
            By::Member(a) => a.name.clone(),
            By::Agent { .. } => "The support team".to_owned(),
        };
        let subject = text(v, "subject").unwrap_or_default().to_owned();
        let body = format!(
            "Hi {first},\n\n{}\n\nBest regards,\n{signer}",
            text(v, "instructions").unwrap_or_default()
        );
        let note = format!("Email draft (not sent) to {to}\nSubject: {subject}\n\n{body}");
        messages::insert_agent_system(&mut cx.uow, cx.scope, &c, &note).await?;
        Ok(json!({"to": to, "subject": subject, "body": body}))
    })
}

fn create_expense<'a>(cx: &'a mut Exec, v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let currency = text(v, "currency").unwrap_or("USD").to_uppercase();
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(ServiceError::invalid(
                "currency",
                "`currency`: use a three-letter ISO code such as USD or EUR.",
            ));
        }
        #[allow(clippy::cast_possible_truncation, reason = "schema bounds the amount")]
        let amount = v
            .get("amount")
            .and_then(Value::as_f64)
            .map_or(0, |a| (a * 100.0).round() as i64);
        let e = expense::ActiveModel {
            workspace_id: Set(cx.scope.workspace_id()),
            description: Set(text(v, "description").unwrap_or_default().to_owned()),
            amount: Set(amount),
            currency: Set(currency.clone()),
            conversation_id: Set(cx.conversation.as_ref().map(|c| c.id)),
            customer_id: Set(cx.conversation.as_ref().map(|c| c.customer_id)),
            action_id: Set(Some(cx.action_id)),
            created_at: Set(now()),
            ..Default::default()
        }
        .insert(&*cx.uow)
        .await?;
        activity::record(
            &*cx.uow,
            cx.scope,
            &cx.by.who(),
            &cx.meta,
            Entry::new("expense.created").target("expense", e.id).diff(
                None,
                Some(json!({"amount": amount, "currency": currency, "description": e.description})),
            ),
        )
        .await?;
        Ok(json!({"expense_id": e.id, "amount_minor": amount, "currency": currency}))
    })
}

fn trigger_webhook<'a>(cx: &'a mut Exec, v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let endpoint = v
            .get("endpoint_id")
            .and_then(Value::as_i64)
            .and_then(|i| i32::try_from(i).ok())
            .unwrap_or_default();
        let event = text(v, "event").unwrap_or_default().to_owned();
        let mut data = v.get("payload").cloned().unwrap_or_else(|| json!({}));
        if let (Some(o), Some(c)) = (data.as_object_mut(), cx.conversation.as_ref()) {
            o.entry("ticket")
                .or_insert_with(|| json!(ticket_ref(c.number)));
        }
        let cfg = cx.uow.state().config.jobs.clone();
        let id = webhooks::enqueue_one(&*cx.uow, &cfg, cx.scope, endpoint, &event, data).await?;
        cx.uow.jobs_enqueued();
        Ok(json!({"delivery_id": id, "endpoint_id": endpoint, "event": event}))
    })
}

fn member(cx: &Exec, what: &str) -> ServiceResult<crate::services::Actor> {
    match &cx.by {
        By::Member(a) => Ok(a.clone()),
        By::Agent { .. } => Err(ServiceError::forbidden(format!(
            "{what} is done on a member's behalf: propose it from the admin app or with a member's API key."
        ))),
    }
}

fn escalate_to_human<'a>(cx: &'a mut Exec, v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let c = ticket(cx)?;
        let reason = text(v, "reason").unwrap_or_default().to_owned();
        let who = cx.by.who();
        messages::insert_agent_system(
            &mut cx.uow,
            cx.scope,
            &c,
            &format!("Escalated to a person by {}: {reason}", who.label),
        )
        .await?;
        let mut patch = ConversationPatch::default();
        if c.assignee_id.is_none() {
            if let Some(u) = crate::services::ai::pipeline::least_busy(&*cx.uow, cx.scope).await? {
                patch.assignee_id = Some(Some(u));
            }
        }
        let fresh = if patch.is_empty() {
            c.clone()
        } else {
            conversations::apply_patch_as(&mut cx.uow, cx.scope, &who, c.id, &patch, &cx.meta)
                .await?
        };
        let mut am = sea_orm::IntoActiveModel::into_active_model(fresh);
        am.ai_state = Set(Some("escalated".into()));
        am.ai_reason = Set(Some("human_request".into()));
        let c = am.update(&*cx.uow).await?;
        cx.uow.emit(crate::services::bus::Event::new(
            cx.scope.workspace_id(),
            "conversation.updated",
            json!({"id": c.id, "number": c.number}),
        ));
        Ok(json!({"ticket": ticket_ref(c.number), "assignee_id": c.assignee_id, "reason": reason}))
    })
}

fn create_ticket<'a>(cx: &'a mut Exec, v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        use crate::services::inbox::conversations::{CustomerRef, NewConversation};
        let actor = match &cx.by {
            By::Member(a) => Some(a.clone()),
            By::Agent { .. } => None,
        };
        let c = conversations::create_in(
            &mut cx.uow,
            cx.scope,
            actor.as_ref(),
            NewConversation {
                customer: CustomerRef::Identifier {
                    kind: crate::types::IdentifierKind::Email,
                    value: text(v, "customer_email").unwrap_or_default().to_owned(),
                    name: text(v, "customer_name").map(str::to_owned),
                },
                subject: text(v, "subject").unwrap_or_default().to_owned(),
                channel: crate::types::Channel::Api,
                priority: text(v, "priority")
                    .and_then(Priority::parse)
                    .unwrap_or(Priority::Normal),
                body: text(v, "message").unwrap_or_default().to_owned(),
                from_customer: true,
                tags: Vec::new(),
                assignee_id: None,
                team_id: None,
            },
        )
        .await?;
        Ok(json!({"ticket": ticket_ref(c.number), "number": c.number, "conversation_id": c.id}))
    })
}

fn ticket_merge<'a>(cx: &'a mut Exec, v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let c = ticket(cx)?;
        let actor = member(cx, "Merging tickets")?;
        let mut ids = Vec::new();
        for n in strings(v, "merge_numbers") {
            let num: i32 = n
                .trim()
                .trim_start_matches("TKT-")
                .trim_start_matches('0')
                .parse()
                .map_err(|_| {
                    ServiceError::invalid("merge_numbers", format!("`{n}` is not a ticket number."))
                })?;
            let other = conversations::find_by_number(&*cx.uow, cx.scope, num)
                .await
                .map_err(|_| {
                    ServiceError::invalid(
                        "merge_numbers",
                        format!("There is no ticket {}.", ticket_ref(num)),
                    )
                })?;
            if other.id != c.id {
                ids.push(other.id);
            }
        }
        if ids.is_empty() {
            return Err(ServiceError::invalid(
                "merge_numbers",
                "Name at least one other ticket.",
            ));
        }
        actor.require(crate::permissions::Action::MergeConversations)?;
        let merge_id =
            crate::services::inbox::merge::merge_in(&mut cx.uow, &actor, c.id, &ids, &cx.meta)
                .await?;
        Ok(json!({"ticket": ticket_ref(c.number), "merge_id": merge_id, "merged": ids.len()}))
    })
}

fn apply_macro<'a>(cx: &'a mut Exec, v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let c = ticket(cx)?;
        let actor = member(cx, "Applying a macro")?;
        let m = crate::services::inbox::macros::by_name(
            &*cx.uow,
            &actor,
            text(v, "macro").unwrap_or_default(),
        )
        .await?;
        let c = crate::services::inbox::macros::apply_in(&mut cx.uow, &actor, &m, c.id, &cx.meta)
            .await?;
        Ok(json!({"ticket": ticket_ref(c.number), "macro": m.name, "status": c.status}))
    })
}

fn system_health_check<'a>(cx: &'a mut Exec, _v: &'a Value) -> ToolFuture<'a> {
    Box::pin(async move {
        let started = std::time::Instant::now();
        let db_ok = cx.uow.execute_unprepared("SELECT 1").await.is_ok();
        let db_ms = started.elapsed().as_secs_f64() * 1000.0;
        let bus = cx.uow.state().bus.health();
        let count = |status: &'static str| {
            cx.scope
                .find::<job::Entity>()
                .filter(job::Column::Status.eq(status))
                .count(&*cx.uow)
        };
        let pending = count("pending").await?;
        let dead = count("dead").await?;
        Ok(json!({
            "database": if db_ok { "ok" } else { "failing" },
            "database_ms": (db_ms * 100.0).round() / 100.0,
            "bus": match &bus { Ok(()) => "ok".to_owned(), Err(e) => e.clone() },
            "jobs_pending": pending,
            "jobs_dead": dead,
            "healthy": db_ok && bus.is_ok() && dead == 0,
        }))
    })
}
