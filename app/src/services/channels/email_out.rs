//! Email out: agent replies and automatic messages as HTML + plain text through the
//! outbox, with a Message-ID recorded on the message and In-Reply-To / References
//! naming the thread, so the customer's client threads them and their answer threads
//! back here. The From header is the workspace's support address when set
//! (Settings → Channels → Email), else the server's `smtp.from`. Templates:
//! confirmation of a new request, clarification, status change ("solved" carries
//! the satisfaction survey, `services::csat`).

use super::super::csat;
use super::super::inbox::messages;
use super::super::mail::{self, OutgoingEmail};
use super::super::tenancy::{global, Scoped};
use super::super::uow::UnitOfWork;
use super::super::ServiceResult;
use super::formatting::{self, FormatContext};
use super::settings;
use crate::types::{ticket_ref, Channel, MessageKind, Status};
use entity::{conversation, message, workspace};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

/// The thread's Message-IDs for a reply: (In-Reply-To, References), without brackets.
/// In-Reply-To is the customer's latest email, else our latest; References holds
/// the first and the last nine ids of the thread.
///
/// # Errors
/// Database errors.
pub async fn thread_headers(
    db: &impl ConnectionTrait,
    scope: Scoped,
    conversation_id: i32,
) -> ServiceResult<(Option<String>, Vec<String>)> {
    let rows = scope
        .find::<message::Entity>()
        .filter(message::Column::ConversationId.eq(conversation_id))
        .filter(message::Column::RfcMessageId.is_not_null())
        .filter(message::Column::SideConversationId.is_null())
        .order_by_asc(message::Column::Id)
        .limit(200)
        .all(db)
        .await?;
    let ids: Vec<String> = rows
        .iter()
        .filter_map(|m| m.rfc_message_id.clone())
        .collect();
    let reply_to = rows
        .iter()
        .rev()
        .find(|m| m.direction == "inbound")
        .or_else(|| rows.last())
        .and_then(|m| m.rfc_message_id.clone());
    let refs = if ids.len() > 10 {
        let mut r = vec![ids[0].clone()];
        r.extend(ids[ids.len() - 9..].iter().cloned());
        r
    } else {
        ids
    };
    Ok((reply_to, refs))
}

/// The From header of the workspace's emails, when it has set an address.
///
/// # Errors
/// Database errors.
pub async fn from_header(
    db: &impl ConnectionTrait,
    scope: Scoped,
) -> ServiceResult<Option<String>> {
    let Some(s) = settings::find(db, scope, Channel::Email).await? else {
        return Ok(None);
    };
    let cfg = settings::config(&s);
    let addr = cfg
        .get("from_address")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .trim();
    if addr.is_empty() {
        return Ok(None);
    }
    let name = cfg
        .get("from_name")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .trim()
        .replace(['"', '<', '>', '\r', '\n'], "");
    Ok(Some(if name.is_empty() {
        addr.to_owned()
    } else {
        format!("\"{name}\" <{addr}>")
    }))
}

async fn workspace_name(db: &impl ConnectionTrait, scope: Scoped) -> ServiceResult<String> {
    Ok(global::<workspace::Entity>()
        .filter(workspace::Column::Id.eq(scope.workspace_id()))
        .one(db)
        .await?
        .map(|w| w.name)
        .unwrap_or_default())
}

fn conversation_link(uow: &UnitOfWork, c: &conversation::Model) -> String {
    format!(
        "{}/portal/conversation?token={}",
        uow.state().config.base_url(),
        c.public_token
    )
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Emails an agent's public reply to the customer: records the Message-ID on the
/// message and the outbox email it travels in (`external_id = email:<id>`), so the
/// mail job can report delivery and the customer's answer threads back.
///
/// # Errors
/// Database errors.
pub async fn send_reply(
    uow: &mut UnitOfWork,
    scope: Scoped,
    c: &conversation::Model,
    to: &str,
    row: message::Model,
) -> ServiceResult<message::Model> {
    let (in_reply_to, references) = thread_headers(&**uow, scope, c.id).await?;
    let from = from_header(&**uow, scope).await?;
    let rfc_id = mail::new_message_id(&uow.state().config);
    let link = conversation_link(uow, c);
    let email_id = mail::enqueue(
        &**uow,
        &uow.state().config,
        OutgoingEmail {
            workspace_id: Some(scope.workspace_id()),
            to: to.to_owned(),
            subject: format!("Re: {} [{}]", c.subject, ticket_ref(c.number)),
            text: format!("{}\n\n—\nThe whole conversation: {link}\n", row.body_text),
            html: format!(
                "{}<hr><p style=\"color:#666\"><a href=\"{}\">See the whole conversation</a></p>",
                row.body_html,
                esc(&link)
            ),
            kind: "conversation_reply",
            from,
            message_id: Some(rfc_id.clone()),
            in_reply_to,
            references,
            auto_submitted: false,
            headers: Vec::new(),
            attachments: Vec::new(),
        },
    )
    .await?;
    uow.jobs_enqueued();
    let mut rm = row.into_active_model();
    rm.external_id = Set(Some(format!("email:{email_id}")));
    rm.rfc_message_id = Set(Some(rfc_id));
    Ok(rm.update(&**uow).await?)
}

/// Writes an automatic email to the customer plus a system entry on the conversation
/// carrying its Message-ID (so an answer to it threads here).
struct Automatic<'a> {
    to: &'a str,
    subject: String,
    text: String,
    kind: &'static str,
    note: String,
    in_reply_to: Option<String>,
    /// Added after the text: (plain text, HTML), e.g. the satisfaction survey.
    extra: Option<(String, String)>,
}

async fn send_automatic(
    uow: &mut UnitOfWork,
    scope: Scoped,
    c: &conversation::Model,
    a: Automatic<'_>,
) -> ServiceResult<()> {
    let Automatic {
        to,
        subject,
        text,
        kind,
        note,
        in_reply_to,
        extra,
    } = a;
    let (last, mut references) = thread_headers(&**uow, scope, c.id).await?;
    let in_reply_to = in_reply_to.or(last);
    if let Some(r) = &in_reply_to {
        if !references.contains(r) {
            references.push(r.clone());
        }
    }
    let from = from_header(&**uow, scope).await?;
    let rfc_id = mail::new_message_id(&uow.state().config);
    let link = conversation_link(uow, c);
    let (extra_text, extra_html) = extra.unwrap_or_default();
    let html = format!(
        "<!doctype html><html><body style=\"font-family:system-ui,sans-serif;color:#1f2937;line-height:1.5\">{}{extra_html}<p style=\"color:#6b7280;font-size:13px\"><a href=\"{}\">Follow your request online</a></p></body></html>",
        messages::text_to_html(&text),
        esc(&link)
    );
    let text = if extra_text.is_empty() {
        text
    } else {
        format!("{text}\n\n{}", extra_text.trim_end())
    };
    let email_id = mail::enqueue(
        &**uow,
        &uow.state().config,
        OutgoingEmail {
            workspace_id: Some(scope.workspace_id()),
            to: to.to_owned(),
            subject,
            text: format!("{text}\n\nFollow your request online: {link}\n"),
            html,
            kind,
            from,
            message_id: Some(rfc_id.clone()),
            in_reply_to,
            references,
            auto_submitted: true,
            headers: Vec::new(),
            attachments: Vec::new(),
        },
    )
    .await?;
    uow.jobs_enqueued();
    let row = messages::insert_agent_system(uow, scope, c, &note).await?;
    let mut rm = row.into_active_model();
    rm.rfc_message_id = Set(Some(rfc_id));
    rm.external_id = Set(Some(format!("email:{email_id}")));
    rm.delivery_status = Set("queued".into());
    rm.update(&**uow).await?;
    Ok(())
}

async fn context(
    uow: &UnitOfWork,
    scope: Scoped,
    c: &conversation::Model,
    customer_name: &str,
) -> ServiceResult<(crate::types::FormatRules, FormatContext)> {
    let channel = Channel::parse(&c.channel).unwrap_or(Channel::Email);
    let rules = settings::rules(&settings::get_or_create(&**uow, scope, channel).await?);
    let ctx = FormatContext {
        customer_name: customer_name.to_owned(),
        customer_email: String::new(),
        agent_name: String::new(),
        workspace_name: workspace_name(&**uow, scope).await?,
        reference: ticket_ref(c.number),
        subject: c.subject.clone(),
    };
    Ok((rules, ctx))
}

/// "We received your request": sent when an email or form opens a conversation.
///
/// # Errors
/// Database errors; a stored greeting/sign-off that no longer renders.
pub async fn send_confirmation(
    uow: &mut UnitOfWork,
    scope: Scoped,
    c: &conversation::Model,
    customer_name: &str,
    to: &str,
    in_reply_to: Option<&str>,
) -> ServiceResult<()> {
    let (rules, ctx) = context(uow, scope, c, customer_name).await?;
    let body = format!(
        "Thank you for contacting {}. We received your request \"{}\" and opened ticket {}. A member of our team will answer you by email; reply to this message to add anything.",
        ctx.workspace_name, c.subject, ctx.reference
    );
    let text = formatting::apply(&rules, &body, &ctx)?.text;
    send_automatic(
        uow,
        scope,
        c,
        Automatic {
            to,
            subject: format!(
                "[{}] We received your request: {}",
                ctx.reference, c.subject
            ),
            text,
            kind: "ticket_confirmation",
            note: format!("Confirmation emailed to {to}."),
            in_reply_to: in_reply_to.map(str::to_owned),
            extra: None,
        },
    )
    .await
}

/// "Could you tell us more?": an agent asks for the details a request lacks.
///
/// # Errors
/// Database errors; a stored template that no longer renders.
pub async fn send_clarification(
    uow: &mut UnitOfWork,
    scope: Scoped,
    c: &conversation::Model,
    customer_name: &str,
    to: &str,
    questions: &[String],
) -> ServiceResult<()> {
    let (rules, ctx) = context(uow, scope, c, customer_name).await?;
    let list: String = questions
        .iter()
        .map(|q| format!("- {}", q.trim()))
        .collect::<Vec<_>>()
        .join("\n");
    let body = format!(
        "To help you with \"{}\" we need a few more details:\n\n{list}\n\nJust reply to this email with the answers.",
        c.subject
    );
    let text = formatting::apply(&rules, &body, &ctx)?.text;
    send_automatic(
        uow,
        scope,
        c,
        Automatic {
            to,
            subject: format!("[{}] A few questions about: {}", ctx.reference, c.subject),
            text,
            kind: "ticket_clarification",
            note: format!("Asked {to} for more details."),
            in_reply_to: None,
            extra: None,
        },
    )
    .await
}

/// Tells the customer their request is solved or waiting on them.
///
/// # Errors
/// Database errors; a stored template that no longer renders.
pub async fn send_status_change(
    uow: &mut UnitOfWork,
    scope: Scoped,
    c: &conversation::Model,
    customer_name: &str,
    to: &str,
    status: Status,
) -> ServiceResult<()> {
    let what = match status {
        Status::Solved => "has been marked as solved. If anything is still open, reply to this email and it reopens",
        Status::Pending => "is waiting for your answer. Reply to this email when you have a moment",
        Status::Closed => "is now closed. Write to us again any time to open a new request",
        _ => return Ok(()),
    };
    let (rules, ctx) = context(uow, scope, c, customer_name).await?;
    let body = format!("Your request \"{}\" ({}) {what}.", c.subject, ctx.reference);
    let text = formatting::apply(&rules, &body, &ctx)?.text;
    let survey = if status == Status::Solved && survey_wanted(uow, scope, c).await? {
        Some(csat::survey_block(
            uow.state().config.base_url(),
            &c.public_token,
        ))
    } else {
        None
    };
    send_automatic(
        uow,
        scope,
        c,
        Automatic {
            to,
            subject: format!("[{}] {}: {}", ctx.reference, status.label(), c.subject),
            text,
            kind: "ticket_status",
            note: format!(
                "Status change ({}) emailed to {to}{}.",
                status.label(),
                if survey.is_some() {
                    ", with the satisfaction survey"
                } else {
                    ""
                }
            ),
            in_reply_to: None,
            extra: survey,
        },
    )
    .await
}

/// Whether the "solved" email carries the satisfaction survey: the channel's
/// setting is on (the default) and the customer has not rated the conversation yet.
async fn survey_wanted(
    uow: &UnitOfWork,
    scope: Scoped,
    c: &conversation::Model,
) -> ServiceResult<bool> {
    let channel = Channel::parse(&c.channel).unwrap_or(Channel::Email);
    let row = settings::get_or_create(&**uow, scope, channel).await?;
    let on = settings::config(&row)
        .get(csat::EMAIL_SURVEY_SETTING)
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(true);
    Ok(on && csat::find(&**uow, scope, c.id).await?.is_none())
}

/// Marks an outbound message failed after a bounce named its Message-ID. Returns
/// whether a message was found.
///
/// # Errors
/// Database errors.
pub async fn record_bounce(
    db: &impl ConnectionTrait,
    scope: Scoped,
    original_message_id: &str,
    reason: &str,
) -> ServiceResult<bool> {
    let id = original_message_id
        .trim()
        .trim_matches(|c| c == '<' || c == '>');
    let Some(m) = scope
        .find::<message::Entity>()
        .filter(message::Column::RfcMessageId.eq(id))
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    if m.kind == MessageKind::Reply.as_str() && m.direction == "inbound" {
        return Ok(false);
    }
    let mut am = m.into_active_model();
    am.delivery_status = Set("failed".into());
    am.delivery_error = Set(Some(format!(
        "Bounced: {}",
        reason.chars().take(500).collect::<String>()
    )));
    am.update(db).await?;
    Ok(true)
}
