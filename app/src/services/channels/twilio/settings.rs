//! Settings → SMS & WhatsApp: the Twilio account (auth token sealed like the
//! Stripe and carrier keys), the sender numbers, the price of a segment, the
//! answer to HELP and the approved WhatsApp templates; a test message.

use super::super::super::activity::{self, Entry, Who};
use super::super::super::context::{Actor, RequestMeta};
use super::super::super::inbox::customers;
use super::super::super::tenancy::Scoped;
use super::super::super::uow::UnitOfWork;
use super::super::super::{now, AppState, ServiceError, ServiceResult};
use super::super::provider;
use super::client::{Outgoing, DEFAULT_BASE};
use super::{aad, account, inbound_url, status_url};
use crate::permissions::Action;
use crate::types::{
    IdentifierKind, TwilioSettingsForm, TwilioSettingsView, TwilioTestResult, WhatsappTemplate,
};
use entity::{outbound_part, twilio_account};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, QueryFilter, QuerySelect, Set};

/// Twilio's list price of one US SMS segment, in millionths of a dollar.
pub const DEFAULT_SEGMENT_PRICE_MICROS: i64 = 8_300;

/// A price in millionths as money (`$0.0083`).
pub fn money(micros: i64) -> String {
    let whole = micros / 1_000_000;
    let frac = (micros % 1_000_000).abs();
    let mut s = format!("{whole}.{frac:06}");
    while s.ends_with('0') && s.len() > s.find('.').unwrap_or(0) + 3 {
        s.pop();
    }
    format!("${s}")
}

fn parse_price(s: &str) -> Option<i64> {
    let s = s.trim().trim_start_matches('$');
    if s.is_empty() {
        return Some(DEFAULT_SEGMENT_PRICE_MICROS);
    }
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 6
        || whole.len() > 3
    {
        return None;
    }
    let w: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let f: i64 = format!("{frac:0<6}").parse().ok()?;
    Some(w * 1_000_000 + f)
}

/// Parses `name | HX… | body` lines.
///
/// # Errors
/// `Invalid` naming the line that is not right.
pub fn parse_templates(text: &str) -> ServiceResult<Vec<WhatsappTemplate>> {
    let mut out: Vec<WhatsappTemplate> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.splitn(3, '|').map(str::trim).collect();
        let bad = |why: &str| {
            ServiceError::invalid(
                "templates",
                format!("Template line {}: {why} Write each as `name | HX… content SID | approved text`.", i + 1),
            )
        };
        let [name, sid, body] = cols.as_slice() else {
            return Err(bad("it needs three parts separated by `|`."));
        };
        if name.is_empty() || name.len() > 60 {
            return Err(bad("the name must be 1 to 60 characters."));
        }
        if !(sid.starts_with("HX")
            && sid.len() >= 10
            && sid.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            return Err(bad(
                "the content SID starts with HX (Twilio Content Template Builder).",
            ));
        }
        if body.is_empty() || body.chars().count() > 1_024 {
            return Err(bad("the approved text must be 1 to 1,024 characters."));
        }
        if out.iter().any(|t| t.name.eq_ignore_ascii_case(name)) {
            return Err(bad("another template has this name."));
        }
        out.push(WhatsappTemplate {
            name: (*name).to_owned(),
            content_sid: (*sid).to_owned(),
            body: (*body).to_owned(),
        });
    }
    Ok(out)
}

fn number(field: &'static str, v: &str) -> ServiceResult<Option<String>> {
    let v = v.trim().trim_start_matches("whatsapp:");
    if v.is_empty() {
        return Ok(None);
    }
    customers::normalize(IdentifierKind::Phone, v)
        .map(Some)
        .map_err(|_| {
            ServiceError::invalid(
                field,
                format!("`{v}` is not a phone number in international form, such as +14155550100."),
            )
        })
}

/// The settings page.
///
/// # Errors
/// Permission; database errors.
pub async fn page(state: &AppState, actor: &Actor) -> ServiceResult<TwilioSettingsView> {
    actor.require(Action::ManageChannels)?;
    let a = account(state, &state.db, actor.scope).await?;
    let since = now() - chrono::Duration::days(30);
    let (sent, segments, cost): (i64, i64, i64) = actor
        .scope
        .find::<outbound_part::Entity>()
        .select_only()
        .column_as(outbound_part::Column::Id.count(), "n")
        .column_as(outbound_part::Column::Segments.sum(), "segments")
        .column_as(outbound_part::Column::PriceMicros.sum(), "cost")
        .filter(outbound_part::Column::CreatedAt.gte(since))
        .filter(outbound_part::Column::ProviderSid.is_not_null())
        .into_tuple::<(i64, Option<i64>, Option<i64>)>()
        .one(&state.db)
        .await?
        .map_or((0, 0, 0), |(n, s, c)| (n, s.unwrap_or(0), c.unwrap_or(0)));
    let Some(a) = a else {
        return Ok(TwilioSettingsView {
            segment_price: money(DEFAULT_SEGMENT_PRICE_MICROS)
                .trim_start_matches('$')
                .to_owned(),
            help_reply: default_help(state, actor.scope).await?,
            can_store_keys: state.secrets.is_some(),
            cost_30d: money(0),
            ..Default::default()
        });
    };
    Ok(TwilioSettingsView {
        configured: true,
        account_sid: a.row.account_sid.clone(),
        token_hint: Some(crate::services::ai::secrets::hint(&a.auth_token)),
        api_base: a.row.api_base.clone().unwrap_or_default(),
        sms_from: a.row.sms_from.clone().unwrap_or_default(),
        whatsapp_from: a.row.whatsapp_from.clone().unwrap_or_default(),
        segment_price: money(a.row.segment_price_micros)
            .trim_start_matches('$')
            .to_owned(),
        help_reply: a.row.help_reply.clone(),
        templates: a.templates(),
        inbound_url: inbound_url(state, &a.row.hook_token),
        status_url: status_url(state, &a.row.hook_token),
        can_store_keys: state.secrets.is_some(),
        sent_30d: sent,
        segments_30d: segments,
        cost_30d: money(cost),
    })
}

async fn default_help(state: &AppState, scope: Scoped) -> ServiceResult<String> {
    let name = crate::services::workspace::name(&state.db, scope).await?;
    Ok(format!(
        "{name}: reply here and a person will answer. Text STOP to stop messages, START to resume."
    ))
}

/// Stores the account (the token sealed; an empty token keeps the stored one).
///
/// # Errors
/// `Invalid` naming the field; `Conflict` without a secrets key; database errors.
pub async fn set(
    state: &AppState,
    db: &impl ConnectionTrait,
    scope: Scoped,
    f: &TwilioSettingsForm,
) -> ServiceResult<()> {
    let sid = f.account_sid.trim();
    if !(sid.starts_with("AC")
        && sid.len() == 34
        && sid[2..].chars().all(|c| c.is_ascii_hexdigit()))
    {
        return Err(ServiceError::invalid(
            "account_sid",
            "The Account SID is AC followed by 32 letters and digits (Twilio Console → Account info).",
        ));
    }
    let base = provider::api_base(&f.api_base, DEFAULT_BASE, "Twilio")?;
    let sms_from = number("sms_from", &f.sms_from)?;
    let whatsapp_from = number("whatsapp_from", &f.whatsapp_from)?;
    if sms_from.is_none() && whatsapp_from.is_none() {
        return Err(ServiceError::invalid(
            "sms_from",
            "Give the number SMS are sent from, the WhatsApp sender, or both.",
        ));
    }
    let Some(price) = parse_price(&f.segment_price) else {
        return Err(ServiceError::invalid(
            "segment_price",
            "The price of one segment is a number such as 0.0083 (at most six decimals).",
        ));
    };
    let help = f.help_reply.trim();
    if help.chars().count() > 320 {
        return Err(ServiceError::invalid(
            "help_reply",
            "Keep the answer to HELP to 320 characters (two SMS segments).",
        ));
    }
    let templates = parse_templates(&f.templates)?;
    let w = scope.workspace_id();
    let t = now();
    let token = f.auth_token.trim();
    let existing = scope.find::<twilio_account::Entity>().one(db).await?;
    if token.is_empty() && existing.is_none() {
        return Err(ServiceError::invalid(
            "auth_token",
            "Paste the account's auth token (Twilio Console → Account info).",
        ));
    }
    if !token.is_empty() && (token.len() < 16 || token.chars().any(char::is_whitespace)) {
        return Err(ServiceError::invalid(
            "auth_token",
            "The auth token is 32 letters and digits, without spaces.",
        ));
    }
    if let Some(r) = &existing {
        provider::key_follows_base(
            r.api_base.as_deref(),
            base.as_deref(),
            !token.is_empty(),
            "auth_token",
        )?;
    }
    let mut am: twilio_account::ActiveModel = match existing {
        Some(r) => r.into(),
        None => twilio_account::ActiveModel {
            workspace_id: Set(w),
            hook_token: Set(provider::hook_token()),
            created_at: Set(t),
            ..Default::default()
        },
    };
    am.account_sid = Set(sid.to_owned());
    if !token.is_empty() {
        am.auth_token = Set(provider::seal(
            state,
            token,
            &aad(w),
            "auth_token",
            "a Twilio auth token",
        )?);
    }
    am.api_base = Set(base);
    am.sms_from = Set(sms_from);
    am.whatsapp_from = Set(whatsapp_from);
    am.segment_price_micros = Set(price);
    am.help_reply = Set(help.to_owned());
    am.templates = Set(serde_json::to_string(&templates).unwrap_or_else(|_| "[]".into()));
    am.updated_at = Set(t);
    am.save(db).await?;
    Ok(())
}

/// Sets up the account (admins); logged without the token.
///
/// # Errors
/// Permission; as [`set`].
pub async fn save(
    state: &AppState,
    actor: &Actor,
    f: &TwilioSettingsForm,
    meta: &RequestMeta,
) -> ServiceResult<TwilioSettingsView> {
    actor.require(Action::ManageChannels)?;
    let uow = UnitOfWork::begin(state).await?;
    set(state, &*uow, actor.scope, f).await?;
    activity::record(
        &*uow,
        actor.scope,
        &Who::from(actor),
        meta,
        Entry::new("channels.twilio_set").diff(
            None,
            Some(serde_json::json!({
                "account_sid": f.account_sid.trim(),
                "api_base": f.api_base.trim(),
                "sms_from": f.sms_from.trim(),
                "whatsapp_from": f.whatsapp_from.trim(),
                "auth_token": if f.auth_token.trim().is_empty() { "unchanged".to_owned() } else { crate::services::ai::secrets::hint(f.auth_token.trim()) },
            })),
        ),
    )
    .await?;
    uow.commit().await?;
    page(state, actor).await
}

/// Removes the account: SMS and WhatsApp stop (nothing else is deleted).
///
/// # Errors
/// Permission; database errors.
pub async fn remove(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
) -> ServiceResult<TwilioSettingsView> {
    provider::disconnect::<twilio_account::Entity>(state, actor, meta, "channels.twilio_removed")
        .await?;
    page(state, actor).await
}

/// Sends a test message to `to` on `channel` (`sms` or `whatsapp`) through the
/// account, without storing it in a conversation.
///
/// # Errors
/// Permission; `Conflict` when not set up or the channel has no sender;
/// `Invalid` number; Twilio's refusal as `Conflict` with its reason.
pub async fn send_test(
    state: &AppState,
    actor: &Actor,
    to: &str,
    channel: &str,
) -> ServiceResult<TwilioTestResult> {
    actor.require(Action::ManageChannels)?;
    let Some(a) = account(state, &state.db, actor.scope).await? else {
        return Err(ServiceError::conflict(
            "to",
            "Set up the Twilio account first, then send a test.",
        ));
    };
    let to = number("to", to)?.ok_or_else(|| {
        ServiceError::invalid(
            "to",
            "Give the phone number to send the test to, such as +14155550100.",
        )
    })?;
    let whatsapp = channel == "whatsapp";
    let from = if whatsapp {
        &a.row.whatsapp_from
    } else {
        &a.row.sms_from
    };
    let Some(from) = from.clone() else {
        return Err(ServiceError::conflict(
            "to",
            if whatsapp {
                "No WhatsApp sender is set: add it and save first."
            } else {
                "No SMS number is set: add it and save first."
            },
        ));
    };
    let prefix = if whatsapp { "whatsapp:" } else { "" };
    let name = crate::services::workspace::name(&state.db, actor.scope).await?;
    let sent = a
        .client
        .send(&Outgoing {
            to: format!("{prefix}{to}"),
            from: format!("{prefix}{from}"),
            body: format!(
                "Test message from {name} (Switchboard): your {} channel works.",
                if whatsapp { "WhatsApp" } else { "SMS" }
            ),
            status_callback: Some(status_url(state, &a.row.hook_token)),
            ..Default::default()
        })
        .await
        .map_err(|e| ServiceError::conflict("to", e.message))?;
    Ok(TwilioTestResult {
        sid: sent.sid,
        status: sent.status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices() {
        assert_eq!(parse_price("0.0083"), Some(8_300));
        assert_eq!(parse_price("$0.05"), Some(50_000));
        assert_eq!(parse_price("1"), Some(1_000_000));
        assert_eq!(parse_price(".5"), Some(500_000));
        assert_eq!(parse_price(""), Some(DEFAULT_SEGMENT_PRICE_MICROS));
        assert_eq!(parse_price("0.1234567"), None);
        assert_eq!(parse_price("abc"), None);
        assert_eq!(parse_price("."), None);
        assert_eq!(money(8_300), "$0.0083");
        assert_eq!(money(0), "$0.00");
        assert_eq!(money(1_250_000), "$1.25");
    }

    #[test]
    fn template_lines() {
        let t = parse_templates(
            "order_update | HX0123456789abcdef | Hi {{1}}, your order shipped.\n\n",
        )
        .unwrap_or_default();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].content_sid, "HX0123456789abcdef");
        assert!(parse_templates("just a name").is_err());
        assert!(parse_templates("a | XX123456789 | body").is_err());
        assert!(parse_templates("a | HX0123456789 | x\nA | HX0123456789 | y").is_err());
    }
}
