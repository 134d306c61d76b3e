//! Replies on SMS and WhatsApp: planned in the reply's own transaction (the
//! number, opt-out, WhatsApp's 24-hour window, the parts with their segments and
//! price), sent by [`SEND_JOB`] through Twilio, and moved along by Twilio's
//! status callbacks. The message shows the least advanced status of its parts
//! (queued → sent → delivered → read), or failed with the reason.

use super::super::super::bus::Event;
use super::super::super::inbox::{conversations, customers};
use super::super::super::jobs::{self, NewJob};
use super::super::super::tenancy::Scoped;
use super::super::super::uow::UnitOfWork;
use super::super::super::{now, AppState, ServiceError, ServiceResult};
use super::client::Outgoing;
use super::{account, status_url, Account};
use crate::types::{sms_segments, split_message, Channel, IdentifierKind, WhatsappTemplate};
use entity::{attachment, conversation, customer_identifier, message, outbound_part};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

/// Job: send a message's parts through Twilio.
pub const SEND_JOB: &str = "twilio.send";

/// How long after the customer's last message WhatsApp allows free text.
pub const WHATSAPP_WINDOW_HOURS: i64 = 24;

/// Where a reply on this conversation goes.
struct Route {
    channel: Channel,
    to: String,
    price_micros: i64,
}

/// The status ranks: a callback never moves a part backwards.
fn rank(status: &str) -> u8 {
    match status {
        "queued" | "accepted" | "scheduled" => 0,
        "sending" => 1,
        "sent" => 2,
        "delivered" => 3,
        "read" => 4,
        "failed" | "undelivered" | "canceled" => 5,
        _ => 0,
    }
}

/// The status stored for Twilio's word.
fn normalized(status: &str) -> &'static str {
    match status {
        "sending" | "queued" | "accepted" | "scheduled" => "queued",
        "sent" => "sent",
        "delivered" => "delivered",
        "read" => "read",
        "undelivered" => "undelivered",
        "canceled" => "failed",
        _ => "failed",
    }
}

/// Twilio's error codes that agents meet, in words (its error dictionary).
pub fn explain(code: &str) -> &'static str {
    match code {
        "30001" => "Queue overflow: too many messages at once; it was not sent",
        "30002" => "The Twilio account is suspended",
        "30003" => "Unreachable handset: the phone is off or out of coverage",
        "30004" => "Blocked: the recipient or their carrier blocks these messages",
        "30005" => "Unknown number: it does not exist or cannot take SMS",
        "30006" => "Landline or unreachable carrier: the number cannot take SMS",
        "30007" => "Filtered by the carrier as spam",
        "30008" => "Unknown delivery error at the carrier",
        "21211" => "The number is not valid",
        "21408" => "The account may not send SMS to this country",
        "21610" => "The recipient texted STOP and is unsubscribed",
        "21614" => "The number is not a mobile number",
        "63016" => "Outside WhatsApp's 24-hour window: only an approved template may be sent",
        "63003" => "The number is not on WhatsApp",
        _ => "Delivery failed",
    }
}

/// Why a reply cannot go out now, or where it goes.
async fn route(
    state: &AppState,
    db: &impl ConnectionTrait,
    scope: Scoped,
    c: &conversation::Model,
    template: bool,
) -> ServiceResult<Result<(Account, Route), String>> {
    let channel = Channel::parse(&c.channel).unwrap_or(Channel::Sms);
    let Some(a) = account(state, db, scope).await? else {
        return Ok(Err(format!(
            "{} is not set up: connect a Twilio account in Settings → SMS & WhatsApp.",
            channel.label()
        )));
    };
    let (kind, from) = match channel {
        Channel::Whatsapp => (IdentifierKind::Whatsapp, &a.row.whatsapp_from),
        _ => (IdentifierKind::Phone, &a.row.sms_from),
    };
    if from.is_none() {
        return Ok(Err(format!(
            "No {} sender number is set in Settings → SMS & WhatsApp.",
            channel.label()
        )));
    }
    let idents = scope
        .find::<customer_identifier::Entity>()
        .filter(customer_identifier::Column::CustomerId.eq(c.customer_id))
        .filter(customer_identifier::Column::Kind.eq(kind.as_str()))
        .order_by_asc(customer_identifier::Column::Id)
        .all(db)
        .await?;
    let to = match idents.first() {
        Some(i) => {
            if let Some(at) = i.opted_out_at {
                return Ok(Err(format!(
                    "{} texted STOP on {}: nothing can be sent to this number on {} until they text START.",
                    i.value,
                    at.format("%Y-%m-%d %H:%M UTC"),
                    channel.label()
                )));
            }
            i.value.clone()
        }
        None => {
            let cust = customers::find(db, scope, c.customer_id).await?;
            match cust
                .phone
                .as_deref()
                .and_then(|p| customers::normalize(kind, p).ok())
            {
                Some(p) => p,
                None => {
                    return Ok(Err(format!(
                        "This customer has no {} number to reply to.",
                        channel.label()
                    )))
                }
            }
        }
    };
    if channel == Channel::Whatsapp && !template {
        let last = scope
            .find::<message::Entity>()
            .filter(message::Column::AuthorCustomerId.eq(c.customer_id))
            .filter(message::Column::Direction.eq("inbound"))
            .filter(message::Column::ExternalId.starts_with("whatsapp:"))
            .order_by_desc(message::Column::Id)
            .limit(1)
            .one(db)
            .await?;
        let open_until = last
            .as_ref()
            .map(|m| m.created_at + chrono::Duration::hours(WHATSAPP_WINDOW_HOURS));
        if open_until.is_none_or(|u| u < now()) {
            return Ok(Err(match open_until {
                Some(u) => format!(
                    "WhatsApp's 24-hour window closed at {}: after it, WhatsApp only lets businesses send approved templates. Send a template, or wait for the customer to write.",
                    u.format("%Y-%m-%d %H:%M UTC")
                ),
                None => "The customer has not written on WhatsApp yet, so WhatsApp only allows an approved template. Send a template.".to_owned(),
            }));
        }
    }
    let price_micros = if channel == Channel::Sms {
        a.row.segment_price_micros
    } else {
        0
    };
    Ok(Ok((
        a,
        Route {
            channel,
            to,
            price_micros,
        },
    )))
}

/// Marks a stored reply undeliverable.
async fn refuse(
    db: &impl ConnectionTrait,
    row: message::Model,
    reason: String,
) -> ServiceResult<message::Model> {
    let mut am = row.into_active_model();
    am.delivery_status = Set("failed".into());
    am.delivery_error = Set(Some(reason));
    Ok(am.update(db).await?)
}

/// Plans the delivery of a public reply just stored on an SMS or WhatsApp
/// conversation, in the reply's transaction: its parts and the job that sends
/// them. An agent's reply that cannot go out (`strict`) is refused with the
/// reason, and nothing is written; an automatic one is kept, marked failed with
/// the reason.
///
/// # Errors
/// `Conflict` with the reason (strict); database errors.
pub async fn queue(
    uow: &mut UnitOfWork,
    scope: Scoped,
    c: &conversation::Model,
    row: message::Model,
    strict: bool,
) -> ServiceResult<message::Model> {
    let state = uow.state().clone();
    let (_, r) = match route(&state, &**uow, scope, c, false).await? {
        Ok(x) => x,
        Err(reason) if strict => return Err(ServiceError::conflict("body", reason)),
        Err(reason) => return refuse(&**uow, row, reason).await,
    };
    let files: Vec<i32> = scope
        .find::<attachment::Entity>()
        .filter(attachment::Column::MessageId.eq(row.id))
        .order_by_asc(attachment::Column::Id)
        .all(&**uow)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    let mut parts: Vec<Part> = split_message(&row.body_text, r.channel == Channel::Sms)
        .into_iter()
        .map(|body| Part {
            body,
            media: Vec::new(),
        })
        .collect();
    if parts.is_empty() {
        if files.is_empty() {
            return Err(ServiceError::invalid("body", "The reply is empty."));
        }
        parts.push(Part {
            body: String::new(),
            media: Vec::new(),
        });
    }
    if r.channel == Channel::Whatsapp {
        // WhatsApp carries one file a message: the first with the first part,
        // each other one in a message of its own.
        let mut rest = files.into_iter();
        if let Some(first) = rest.next() {
            parts[0].media.push(first);
        }
        parts.extend(rest.map(|id| Part {
            body: String::new(),
            media: vec![id],
        }));
    } else {
        // MMS: up to ten files with the first part.
        parts[0].media = files.into_iter().take(MAX_MMS_MEDIA).collect();
    }
    insert_parts(uow, scope, &row, &r, &parts, None).await?;
    Ok(row)
}

/// Most files one MMS carries (Twilio's limit).
const MAX_MMS_MEDIA: usize = 10;

/// One provider message to send.
struct Part {
    body: String,
    media: Vec<i32>,
}

async fn insert_parts(
    uow: &mut UnitOfWork,
    scope: Scoped,
    row: &message::Model,
    r: &Route,
    parts: &[Part],
    template: Option<String>,
) -> ServiceResult<()> {
    let t = now();
    for (i, p) in parts.iter().enumerate() {
        let (segments, encoding) = if r.channel == Channel::Sms {
            let (s, e) = sms_segments(&p.body);
            let s = s.max(1);
            (i32::try_from(s).unwrap_or(i32::MAX), e.as_str())
        } else {
            (1, "UTF-8")
        };
        outbound_part::ActiveModel {
            workspace_id: Set(scope.workspace_id()),
            message_id: Set(row.id),
            seq: Set(i32::try_from(i + 1).unwrap_or(i32::MAX)),
            channel: Set(r.channel.as_str().to_owned()),
            to_number: Set(r.to.clone()),
            body: Set(p.body.clone()),
            template: Set(template.clone()),
            media: Set(
                (!p.media.is_empty()).then(|| serde_json::to_string(&p.media).unwrap_or_default())
            ),
            provider_sid: Set(None),
            status: Set("queued".into()),
            error_code: Set(None),
            error_message: Set(None),
            segments: Set(segments),
            encoding: Set(encoding.to_owned()),
            price_micros: Set(r.price_micros * i64::from(segments)),
            created_at: Set(t),
            updated_at: Set(t),
            ..Default::default()
        }
        .insert(&**uow)
        .await?;
    }
    let cfg = uow.state().config.jobs.clone();
    jobs::enqueue(
        &**uow,
        &cfg,
        NewJob {
            workspace_id: Some(scope.workspace_id()),
            idempotency_key: Some(format!("{SEND_JOB}:{}", row.id)),
            ..NewJob::new(SEND_JOB, serde_json::json!({ "message_id": row.id }))
        },
    )
    .await?;
    uow.jobs_enqueued();
    Ok(())
}

/// Sends an approved WhatsApp template on a conversation (allowed outside the
/// 24-hour window): stored as the agent's reply with the filled-in text.
///
/// # Errors
/// `NotFound` template; `Invalid` variables; `Conflict` when the channel cannot
/// send; database errors.
pub async fn send_template(
    state: &AppState,
    actor: &super::super::super::context::Actor,
    conversation_id: i32,
    name: &str,
    values: &[String],
) -> ServiceResult<message::Model> {
    actor.require(crate::permissions::Action::ReplyToCustomers)?;
    let scope = actor.scope;
    let mut uow = UnitOfWork::begin(state).await?;
    uow.act_as(actor.user_id);
    let c = conversations::find(&*uow, scope, conversation_id).await?;
    if c.channel != Channel::Whatsapp.as_str() {
        return Err(ServiceError::invalid(
            "template",
            "Templates are for WhatsApp conversations.",
        ));
    }
    let (a, r) = match route(state, &*uow, scope, &c, true).await? {
        Ok(x) => x,
        Err(reason) => return Err(ServiceError::conflict("template", reason)),
    };
    let templates: Vec<WhatsappTemplate> = a.templates();
    let Some(t) = templates.iter().find(|t| t.name == name) else {
        return Err(ServiceError::NotFound("WhatsApp template"));
    };
    let values: Vec<String> = values.iter().map(|v| v.trim().to_owned()).collect();
    if values.len() != t.variables() || values.iter().any(String::is_empty) {
        return Err(ServiceError::invalid(
            "variables",
            format!(
                "The template `{}` needs {} value(s), one for each {{{{n}}}} in its text.",
                t.name,
                t.variables()
            ),
        ));
    }
    let text = t.render(&values);
    let row = super::super::super::inbox::messages::insert_reply_row(
        &mut uow,
        scope,
        &c,
        actor.user_id,
        &text,
    )
    .await?;
    let vars: serde_json::Map<String, serde_json::Value> = values
        .iter()
        .enumerate()
        .map(|(i, v)| ((i + 1).to_string(), serde_json::Value::String(v.clone())))
        .collect();
    let template =
        serde_json::json!({ "content_sid": t.content_sid, "variables": vars }).to_string();
    insert_parts(
        &mut uow,
        scope,
        &row,
        &r,
        &[Part {
            body: text,
            media: Vec::new(),
        }],
        Some(template),
    )
    .await?;
    uow.commit().await?;
    Ok(row)
}

/// Handler of [`SEND_JOB`]: sends the parts not yet accepted, in order. A
/// refusal fails the part and those after it; a transport error or a 5xx retries
/// the job (parts already accepted are not sent again).
///
/// # Errors
/// Transient failures, for the job queue to retry.
pub async fn run_send_job(state: &AppState, payload: &serde_json::Value) -> Result<(), String> {
    let Some(id) = payload
        .get("message_id")
        .and_then(serde_json::Value::as_i64)
        .and_then(|i| i32::try_from(i).ok())
    else {
        return Err("payload has no message_id".into());
    };
    let sys =
        super::super::super::tenancy::System::new("the SMS worker sends the parts it was given");
    let Some(msg) = sys
        .find::<message::Entity>()
        .filter(message::Column::Id.eq(id))
        .one(&state.db)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(());
    };
    let scope = Scoped::new(msg.workspace_id);
    let parts = scope
        .find::<outbound_part::Entity>()
        .filter(outbound_part::Column::MessageId.eq(id))
        .order_by_asc(outbound_part::Column::Seq)
        .all(&state.db)
        .await
        .map_err(|e| e.to_string())?;
    let a = match account(state, &state.db, scope).await {
        Ok(Some(a)) => a,
        Ok(None) => {
            fail_rest(
                state,
                scope,
                &parts,
                0,
                None,
                "Twilio is no longer set up in Settings → SMS & WhatsApp",
            )
            .await?;
            return settle(state, scope, &msg).await;
        }
        Err(e) => return Err(e.to_string()),
    };
    let callback = status_url(state, &a.row.hook_token);
    for (i, p) in parts.iter().enumerate() {
        if p.provider_sid.is_some() || p.status != "queued" {
            continue;
        }
        let whatsapp = p.channel == Channel::Whatsapp.as_str();
        let (prefix, from) = if whatsapp {
            ("whatsapp:", a.row.whatsapp_from.clone())
        } else {
            ("", a.row.sms_from.clone())
        };
        let Some(from) = from else {
            fail_rest(
                state,
                scope,
                &parts,
                i,
                None,
                "The sender number was removed from Settings → SMS & WhatsApp",
            )
            .await?;
            break;
        };
        let template: Option<serde_json::Value> = p
            .template
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok());
        let out = Outgoing {
            to: format!("{prefix}{}", p.to_number),
            from: format!("{prefix}{from}"),
            body: p.body.clone(),
            media: p
                .media
                .as_deref()
                .and_then(|m| serde_json::from_str::<Vec<i32>>(m).ok())
                .unwrap_or_default()
                .into_iter()
                .map(|id| super::media_url(state, &a, id))
                .collect(),
            content_sid: template
                .as_ref()
                .and_then(|t| t.get("content_sid"))
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned),
            content_variables: template
                .as_ref()
                .and_then(|t| t.get("variables"))
                .map(ToString::to_string),
            status_callback: Some(callback.clone()),
        };
        match a.client.send(&out).await {
            Ok(sent) => {
                let mut am = p.clone().into_active_model();
                am.provider_sid = Set(Some(sent.sid));
                am.status = Set(normalized(&sent.status).to_owned());
                if let Some(s) = sent.segments.filter(|_| !whatsapp) {
                    let price = if p.segments > 0 {
                        p.price_micros / i64::from(p.segments)
                    } else {
                        0
                    };
                    am.segments = Set(s);
                    am.price_micros = Set(price * i64::from(s));
                }
                am.updated_at = Set(now());
                am.update(&state.db).await.map_err(|e| e.to_string())?;
            }
            Err(e) if e.permanent => {
                let reason = match e.code.as_deref() {
                    Some(c) if explain(c) != "Delivery failed" => {
                        format!("{} (Twilio {c})", explain(c))
                    }
                    _ => e.message.clone(),
                };
                fail_rest(state, scope, &parts, i, e.code.clone(), &reason).await?;
                if e.code.as_deref() == Some("21610") {
                    mark_opted_out(state, scope, &p.channel, &p.to_number).await?;
                }
                break;
            }
            Err(e) => {
                settle(state, scope, &msg).await?;
                return Err(e.message);
            }
        }
    }
    settle(state, scope, &msg).await
}

async fn fail_rest(
    state: &AppState,
    scope: Scoped,
    parts: &[outbound_part::Model],
    from: usize,
    code: Option<String>,
    reason: &str,
) -> Result<(), String> {
    for (i, p) in parts.iter().enumerate().skip(from) {
        if p.provider_sid.is_some() {
            continue;
        }
        let mut am = p.clone().into_active_model();
        am.status = Set("failed".into());
        am.error_code = Set(if i == from { code.clone() } else { None });
        am.error_message = Set(Some(if i == from {
            reason.to_owned()
        } else {
            "Not sent: an earlier part failed".to_owned()
        }));
        am.updated_at = Set(now());
        am.update(&state.db).await.map_err(|e| e.to_string())?;
    }
    let _ = scope;
    Ok(())
}

async fn mark_opted_out(
    state: &AppState,
    scope: Scoped,
    channel: &str,
    number: &str,
) -> Result<(), String> {
    let kind = if channel == Channel::Whatsapp.as_str() {
        IdentifierKind::Whatsapp
    } else {
        IdentifierKind::Phone
    };
    scope
        .update_many::<customer_identifier::Entity>()
        .col_expr(customer_identifier::Column::OptedOutAt, Expr::value(now()))
        .filter(customer_identifier::Column::Kind.eq(kind.as_str()))
        .filter(customer_identifier::Column::Value.eq(number))
        .filter(customer_identifier::Column::OptedOutAt.is_null())
        .exec(&state.db)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The message's status from its parts: failed (with the first reason) when
/// any part failed, else the least advanced part's. Stored and announced when
/// it changed.
async fn settle(state: &AppState, scope: Scoped, msg: &message::Model) -> Result<(), String> {
    let parts = scope
        .find::<outbound_part::Entity>()
        .filter(outbound_part::Column::MessageId.eq(msg.id))
        .order_by_asc(outbound_part::Column::Seq)
        .all(&state.db)
        .await
        .map_err(|e| e.to_string())?;
    let n = parts.len();
    let failed = parts
        .iter()
        .find(|p| matches!(p.status.as_str(), "failed" | "undelivered"));
    let (status, error) = match failed {
        Some(p) => {
            let why = p
                .error_message
                .clone()
                .unwrap_or_else(|| "Delivery failed".into());
            (
                "failed".to_owned(),
                Some(if n > 1 {
                    format!("Part {} of {n}: {why}", p.seq)
                } else {
                    why
                }),
            )
        }
        None => (
            parts
                .iter()
                .map(|p| p.status.as_str())
                .min_by_key(|s| rank(s))
                .unwrap_or("queued")
                .to_owned(),
            None,
        ),
    };
    let fresh = scope
        .find::<message::Entity>()
        .filter(message::Column::Id.eq(msg.id))
        .one(&state.db)
        .await
        .map_err(|e| e.to_string())?;
    let Some(fresh) = fresh else { return Ok(()) };
    if fresh.delivery_status == status && fresh.delivery_error == error {
        return Ok(());
    }
    scope
        .update_many::<message::Entity>()
        .col_expr(message::Column::DeliveryStatus, Expr::value(status.clone()))
        .col_expr(message::Column::DeliveryError, Expr::value(error))
        .filter(message::Column::Id.eq(msg.id))
        .exec(&state.db)
        .await
        .map_err(|e| e.to_string())?;
    state.bus.publish(Event::new(
        scope.workspace_id(),
        "message.delivery",
        serde_json::json!({
            "conversation_id": msg.conversation_id,
            "message_id": msg.id,
            "status": status,
        }),
    ));
    Ok(())
}

/// A status callback: moves the part forward (never back), records a failure's
/// code and reason, and settles the message. Unknown SIDs (a test message) are
/// ignored.
///
/// # Errors
/// Database errors.
pub async fn on_status(
    state: &AppState,
    a: &Account,
    params: &[(String, String)],
) -> ServiceResult<bool> {
    let scope = Scoped::new(a.row.workspace_id);
    let get = |n: &str| {
        params
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let (Some(sid), Some(status)) = (
        get("MessageSid").or_else(|| get("SmsSid")),
        get("MessageStatus").or_else(|| get("SmsStatus")),
    ) else {
        return Err(ServiceError::invalid(
            "MessageStatus",
            "A status callback carries MessageSid and MessageStatus.",
        ));
    };
    let Some(p) = scope
        .find::<outbound_part::Entity>()
        .filter(outbound_part::Column::ProviderSid.eq(&sid))
        .one(&state.db)
        .await?
    else {
        return Ok(false);
    };
    let new = normalized(&status);
    if rank(new) <= rank(&p.status) && !(rank(new) == 5 && rank(&p.status) < 5) {
        return Ok(true);
    }
    let code = get("ErrorCode");
    let mut am = p.clone().into_active_model();
    am.status = Set(new.to_owned());
    if rank(new) == 5 {
        let c = code.clone().unwrap_or_default();
        am.error_code = Set(code.clone());
        am.error_message = Set(Some(if c.is_empty() {
            format!("Twilio reported the message {status}")
        } else {
            format!("{} (Twilio {c})", explain(&c))
        }));
        if c == "21610" {
            mark_opted_out(state, scope, &p.channel, &p.to_number)
                .await
                .map_err(ServiceError::Internal)?;
        }
    }
    am.updated_at = Set(now());
    am.update(&state.db).await?;
    let msg = scope
        .find::<message::Entity>()
        .filter(message::Column::Id.eq(p.message_id))
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("Message"))?;
    settle(state, scope, &msg)
        .await
        .map_err(ServiceError::Internal)?;
    Ok(true)
}

/// The line under an SMS or WhatsApp reply in the inbox: parts, segments,
/// encoding and price.
pub fn describe(parts: &[outbound_part::Model]) -> Option<String> {
    let first = parts.first()?;
    let n = parts.len();
    let msgs = if n == 1 {
        String::new()
    } else {
        format!("{n} messages · ")
    };
    if first.channel == Channel::Whatsapp.as_str() {
        let t = if first.template.is_some() {
            "approved template"
        } else {
            "WhatsApp"
        };
        return Some(format!("{msgs}{t}").trim_end_matches(" · ").to_owned());
    }
    let segs: i32 = parts.iter().map(|p| p.segments).sum();
    let price: i64 = parts.iter().map(|p| p.price_micros).sum();
    let enc = if parts.iter().any(|p| p.encoding == "UCS-2") {
        "UCS-2"
    } else {
        "GSM-7"
    };
    Some(format!(
        "{msgs}{segs} SMS segment{} ({enc}) · {}",
        if segs == 1 { "" } else { "s" },
        super::settings::money(price)
    ))
}
