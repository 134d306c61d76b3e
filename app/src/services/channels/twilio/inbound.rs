//! Incoming SMS and WhatsApp messages from Twilio's webhook, already verified
//! by the caller: normalised to an [`InboundMessage`] (idempotent on the
//! message SID), media fetched from Twilio, and the opt-out keywords honoured.

use super::super::super::bus::Event;
use super::super::super::inbox::{conversations, customers, messages};
use super::super::super::tenancy::Scoped;
use super::super::super::uow::UnitOfWork;
use super::super::super::{now, AppState, ServiceError, ServiceResult};
use super::super::inbound::{self, InboundFile, InboundMessage, Receipt, Sender};
use super::Account;
use crate::types::{Channel, IdentifierKind};
use entity::{customer_identifier, message};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, QueryFilter};

/// Most media files taken from one message (Twilio sends at most ten).
const MAX_MEDIA: usize = 10;

/// A keyword with a meaning of its own (Twilio's default opt-out keywords).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keyword {
    /// STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, OPTOUT, REVOKE.
    Stop,
    /// START, YES, UNSTOP.
    Start,
    /// HELP, INFO.
    Help,
}

impl Keyword {
    /// The keyword a whole message is, if it is one (case and surrounding
    /// white space and punctuation ignored).
    pub fn of(body: &str) -> Option<Self> {
        let w = body
            .trim()
            .trim_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace())
            .to_ascii_uppercase();
        match w.as_str() {
            "STOP" | "STOPALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" | "OPTOUT"
            | "REVOKE" => Some(Self::Stop),
            "START" | "YES" | "UNSTOP" => Some(Self::Start),
            "HELP" | "INFO" => Some(Self::Help),
            _ => None,
        }
    }
}

/// What became of a webhook.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// Stored (or already stored: `receipt.new` false).
    Stored {
        /// The stored message.
        receipt: Receipt,
        /// The keyword it was.
        keyword: Option<Keyword>,
    },
    /// Nothing to store, and why.
    Ignored(String),
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The channel and identifier of a Twilio address (`+1…` or `whatsapp:+1…`).
pub fn address(raw: &str) -> (Channel, IdentifierKind, String) {
    match raw.trim().strip_prefix("whatsapp:") {
        Some(n) => (
            Channel::Whatsapp,
            IdentifierKind::Whatsapp,
            n.trim().to_owned(),
        ),
        None => (Channel::Sms, IdentifierKind::Phone, raw.trim().to_owned()),
    }
}

fn extension(content_type: &str) -> &'static str {
    match content_type.split(';').next().unwrap_or_default().trim() {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "audio/ogg" => "ogg",
        "audio/mpeg" => "mp3",
        "audio/amr" => "amr",
        "video/mp4" => "mp4",
        "application/pdf" => "pdf",
        "text/vcard" | "text/x-vcard" => "vcf",
        _ => "bin",
    }
}

/// Receives one message Twilio posted (already verified against the
/// account's signature).
///
/// # Errors
/// `Forbidden` when it names another account; `Invalid` when the SID or the
/// sender is missing or unusable; database and disk errors (nothing stored).
pub async fn receive(
    state: &AppState,
    a: &Account,
    params: &[(String, String)],
) -> ServiceResult<Outcome> {
    let scope = Scoped::new(a.row.workspace_id);
    if param(params, "AccountSid").is_some_and(|s| s != a.row.account_sid) {
        return Err(ServiceError::Forbidden(
            "This webhook belongs to another Twilio account.".into(),
        ));
    }
    let Some(sid) = param(params, "MessageSid")
        .or_else(|| param(params, "SmsMessageSid"))
        .filter(|s| !s.trim().is_empty())
    else {
        return Err(ServiceError::invalid(
            "MessageSid",
            "The request has no MessageSid: is this Twilio's incoming-message webhook?",
        ));
    };
    let Some(from) = param(params, "From").filter(|s| !s.trim().is_empty()) else {
        return Err(ServiceError::invalid(
            "From",
            "The request has no From number.",
        ));
    };
    let (channel, kind, number) = address(from);
    let number = customers::normalize(kind, &number)?;
    let enabled = match channel {
        Channel::Whatsapp => a.row.whatsapp_from.is_some(),
        _ => a.row.sms_from.is_some(),
    };
    if !enabled {
        return Ok(Outcome::Ignored(format!(
            "{} has no sender number in Settings → SMS & WhatsApp.",
            channel.label()
        )));
    }
    let body = param(params, "Body").unwrap_or_default().to_owned();
    let keyword = Keyword::of(&body);
    let external_id = format!("{}:{}", channel.as_str(), sid.trim());
    let known = scope
        .find::<message::Entity>()
        .filter(message::Column::ExternalId.eq(&external_id))
        .one(&state.db)
        .await?
        .is_some();

    let mut text = body;
    let mut files = Vec::new();
    if !known {
        let n: usize = param(params, "NumMedia")
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0);
        for i in 0..n.min(MAX_MEDIA) {
            let Some(url) = param(params, &format!("MediaUrl{i}")) else {
                continue;
            };
            let ct = param(params, &format!("MediaContentType{i}"))
                .unwrap_or("application/octet-stream")
                .to_owned();
            match a.client.media(url, state.config.max_attachment_bytes).await {
                Ok(data) => files.push(InboundFile {
                    filename: format!("{}-{}.{}", channel.as_str(), i + 1, extension(&ct)),
                    content_type: ct,
                    content_id: None,
                    data,
                }),
                Err(e) => {
                    tracing::warn!(%url, error = %e, "Twilio media not fetched");
                    text.push_str(&format!(
                        "\n[An attachment could not be fetched from Twilio: {e}]"
                    ));
                }
            }
        }
    }
    customers::link_phone_channels(&state.db, scope, kind, &number).await?;
    let mut m = InboundMessage::new(
        channel,
        external_id,
        Sender {
            kind,
            value: number.clone(),
            name: param(params, "ProfileName").map(str::to_owned),
        },
        text,
    );
    m.files = files;
    m.thread.latest_on_channel = Some(channel);
    // A keyword is recorded, but answers itself: no AI reply, no reopening.
    m.automatic = keyword.is_some();
    let receipt = inbound::receive(state, scope, m).await?;
    if let Some(k) = keyword {
        apply_keyword(state, a, kind, &number, k, &receipt).await?;
    }
    Ok(Outcome::Stored { receipt, keyword })
}

/// STOP and START change whether the number may be messaged (recorded on the
/// identifier and as a system entry in the conversation); HELP is answered.
/// Safe to repeat: a retried webhook changes nothing twice.
async fn apply_keyword(
    state: &AppState,
    a: &Account,
    kind: IdentifierKind,
    number: &str,
    k: Keyword,
    receipt: &Receipt,
) -> ServiceResult<()> {
    let scope = Scoped::new(a.row.workspace_id);
    let mut uow = UnitOfWork::begin(state).await?;
    let c = conversations::find(&*uow, scope, receipt.conversation_id).await?;
    let label = if kind == IdentifierKind::Whatsapp {
        "WhatsApp"
    } else {
        "SMS"
    };
    let base = scope
        .update_many::<customer_identifier::Entity>()
        .filter(customer_identifier::Column::Kind.eq(kind.as_str()))
        .filter(customer_identifier::Column::Value.eq(number));
    match k {
        Keyword::Stop => {
            let r = base
                .col_expr(customer_identifier::Column::OptedOutAt, Expr::value(now()))
                .filter(customer_identifier::Column::OptedOutAt.is_null())
                .exec(&*uow)
                .await?;
            if r.rows_affected > 0 {
                messages::insert_agent_system(
                    &mut uow,
                    scope,
                    &c,
                    &format!("{number} texted STOP: no {label} will be sent to this number until they text START."),
                )
                .await?;
                uow.emit(Event::new(
                    scope.workspace_id(),
                    "customer.opted_out",
                    serde_json::json!({ "customer_id": receipt.customer_id, "channel": label }),
                ));
            }
        }
        Keyword::Start => {
            let r = base
                .col_expr(
                    customer_identifier::Column::OptedOutAt,
                    Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
                )
                .filter(customer_identifier::Column::OptedOutAt.is_not_null())
                .exec(&*uow)
                .await?;
            if r.rows_affected > 0 {
                messages::insert_agent_system(
                    &mut uow,
                    scope,
                    &c,
                    &format!("{number} texted START: {label} replies may be sent again."),
                )
                .await?;
                uow.emit(Event::new(
                    scope.workspace_id(),
                    "customer.opted_in",
                    serde_json::json!({ "customer_id": receipt.customer_id, "channel": label }),
                ));
            }
        }
        Keyword::Help => {
            let help = a.row.help_reply.trim();
            if receipt.new && !help.is_empty() {
                messages::insert_automated_reply(
                    &mut uow,
                    scope,
                    &c,
                    help,
                    Some("Auto-reply: HELP"),
                )
                .await?;
            }
        }
    }
    uow.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords() {
        assert_eq!(Keyword::of("STOP"), Some(Keyword::Stop));
        assert_eq!(Keyword::of("  stop. "), Some(Keyword::Stop));
        assert_eq!(Keyword::of("Unsubscribe"), Some(Keyword::Stop));
        assert_eq!(Keyword::of("start"), Some(Keyword::Start));
        assert_eq!(Keyword::of("HELP!"), Some(Keyword::Help));
        assert_eq!(Keyword::of("please stop sending me texts"), None);
        assert_eq!(Keyword::of("stop it"), None);
        assert_eq!(Keyword::of(""), None);
    }

    #[test]
    fn addresses() {
        assert_eq!(
            address("whatsapp:+14155550100"),
            (
                Channel::Whatsapp,
                IdentifierKind::Whatsapp,
                "+14155550100".into()
            )
        );
        assert_eq!(
            address("+14155550100"),
            (Channel::Sms, IdentifierKind::Phone, "+14155550100".into())
        );
    }
}
