//! Side conversations: a sub-thread inside a conversation with an outside party
//! (a supplier, another department), by email through the outbox or in a Slack
//! channel. An email one has a token carried in the subject (`[SC-…]`); the
//! inbound mail path calls [`receive_reply`] with it, and the reply threads back
//! into the sub-thread. A Slack one is a thread the bot starts in the channel;
//! the Events API calls [`receive_slack_reply`] for each reply in it.

use super::super::context::Actor;
use super::super::mail::{self, OutgoingEmail};
use super::super::security::new_token;
use super::super::uow::UnitOfWork;
use super::super::{bus::Event, now, AppState, ServiceError, ServiceResult};
use super::{conversations, messages};
use crate::permissions::Action;
use crate::types::{validate_email, MessageKind, MessageView, SideConversationView};
use entity::{message, side_conversation};
use sea_orm::{ActiveModelTrait, ColumnTrait, IntoActiveModel, QueryFilter, Set};

/// The subject marker for a token.
pub fn marker(token: &str) -> String {
    format!("[SC-{token}]")
}

/// Finds a side-conversation token in a subject line or address.
pub fn token_in(s: &str) -> Option<String> {
    let start = s.find("[SC-")? + 4;
    let rest = &s[start..];
    let end = rest.find(']')?;
    let t = &rest[..end];
    (!t.is_empty()
        && t.len() <= 64
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    .then(|| t.to_owned())
}

/// A side conversation as the inbox shows it.
pub fn view(s: side_conversation::Model) -> SideConversationView {
    SideConversationView {
        id: s.id,
        subject: s.subject,
        to_email: s.to_email,
        via: s.via,
        created_at: s.created_at.to_rfc3339(),
    }
}

/// Where a side conversation is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// By email; `to` is the address.
    Email,
    /// In a Slack channel; `to` is `#name` or the channel's id.
    Slack,
}

impl Via {
    /// Reads the form's choice (`email`, the default, or `slack`).
    ///
    /// # Errors
    /// `Invalid` (`via`).
    pub fn parse(s: Option<&str>) -> ServiceResult<Self> {
        match s.map(str::trim).unwrap_or_default() {
            "" | "email" => Ok(Self::Email),
            "slack" => Ok(Self::Slack),
            _ => Err(ServiceError::invalid("via", "Choose email or Slack.")),
        }
    }
}

/// Starts a side conversation by email or in a Slack channel (the bot posts
/// the first message there; replies in its thread come back here).
///
/// # Errors
/// Permission, validation (Slack not connected), `NotFound`.
pub async fn start(
    state: &AppState,
    actor: &Actor,
    conversation_id: i32,
    via: Via,
    to: &str,
    subject: &str,
    body: &str,
) -> ServiceResult<SideConversationView> {
    actor.require(Action::ReplyToCustomers)?;
    let to = match via {
        Via::Email => validate_email(to).map_err(|m| ServiceError::invalid("to_email", m))?,
        Via::Slack => crate::services::channels::slack::channel_name(to, "to_email")?,
    };
    let subject = subject.trim();
    if subject.is_empty() || subject.chars().count() > 200 {
        return Err(ServiceError::invalid(
            "subject",
            "A subject must be 1 to 200 characters.",
        ));
    }
    if body.trim().is_empty() {
        return Err(ServiceError::invalid("body", "Write the message to send."));
    }
    let mut uow = UnitOfWork::begin(state).await?;
    let c = conversations::find(&*uow, actor.scope, conversation_id).await?;
    if via == Via::Slack
        && actor
            .scope
            .find::<entity::slack_account::Entity>()
            .one(&*uow)
            .await?
            .is_none()
    {
        return Err(ServiceError::invalid(
            "via",
            "Connect Slack first (Settings → Slack) to hold side conversations there.",
        ));
    }
    let token = new_token()
        .0
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(20)
        .collect::<String>();
    let sc = side_conversation::ActiveModel {
        workspace_id: Set(actor.scope.workspace_id()),
        conversation_id: Set(c.id),
        subject: Set(subject.to_owned()),
        to_email: Set(to.clone()),
        token: Set(token.clone()),
        created_by: Set(Some(actor.user_id)),
        created_at: Set(now()),
        via: Set(match via {
            Via::Email => "email".into(),
            Via::Slack => "slack".into(),
        }),
        ..Default::default()
    }
    .insert(&*uow)
    .await?;
    let row = messages::insert_agent(
        &mut uow,
        actor,
        &c,
        messages::NewMessage {
            kind: MessageKind::Reply,
            body_text: body.to_owned(),
            side_conversation_id: Some(sc.id),
            ..Default::default()
        },
    )
    .await?;
    if via == Via::Slack {
        crate::services::channels::slack::open_thread(
            state,
            &*uow,
            actor.scope,
            crate::services::channels::slack::NewThread {
                conversation_id: c.id,
                side_conversation_id: Some(sc.id),
                kind: crate::services::channels::slack::kind::SIDE,
                channel: &to,
                requester: None,
                message_id: Some(row.id),
            },
        )
        .await?;
        uow.jobs_enqueued();
        uow.commit().await?;
        return Ok(view(sc));
    }
    let rfc_id = mail::new_message_id(&state.config);
    let email_id = mail::enqueue(
        &*uow,
        &state.config,
        OutgoingEmail {
            workspace_id: Some(actor.scope.workspace_id()),
            to: to.clone(),
            subject: format!("{subject} {}", marker(&token)),
            text: format!(
                "{}\n\n— {} ({})\nReply to this email; keep {} in the subject.\n",
                row.body_text,
                actor.name,
                actor.email,
                marker(&token)
            ),
            html: format!("{}<p>— {}</p>", row.body_html, actor.name),
            kind: "side_conversation",
            message_id: Some(rfc_id.clone()),
            ..OutgoingEmail::default()
        },
    )
    .await?;
    uow.jobs_enqueued();
    let mut rm = row.into_active_model();
    rm.external_id = Set(Some(format!("email:{email_id}")));
    rm.rfc_message_id = Set(Some(rfc_id));
    rm.update(&*uow).await?;
    uow.commit().await?;
    Ok(view(sc))
}

/// The token of the side conversation one of `references` (RFC 5322 ids) belongs
/// to, in `scope` — for replies whose client dropped the `[SC-…]` subject marker.
///
/// # Errors
/// Database errors.
pub async fn token_for_references(
    db: &impl sea_orm::ConnectionTrait,
    scope: super::super::tenancy::Scoped,
    references: &[String],
) -> ServiceResult<Option<String>> {
    if references.is_empty() {
        return Ok(None);
    }
    let Some(m) = scope
        .find::<message::Entity>()
        .filter(message::Column::RfcMessageId.is_in(references.iter().take(50).cloned()))
        .filter(message::Column::SideConversationId.is_not_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(scope
        .find::<side_conversation::Entity>()
        .filter(side_conversation::Column::Id.eq(m.side_conversation_id))
        .one(db)
        .await?
        .map(|s| s.token))
}

/// Threads an outside party's reply into its side conversation: the function the
/// inbound email path calls with the token found in the subject ([`token_in`]).
/// Idempotent on `external_id` (the email's Message-ID). Returns None when no side
/// conversation has that token, or the sender is not its party.
///
/// # Errors
/// Validation; database errors.
pub async fn receive_reply(
    state: &AppState,
    scope: super::super::tenancy::Scoped,
    token: &str,
    from_email: &str,
    body_text: &str,
    body_html: Option<&str>,
    external_id: &str,
) -> ServiceResult<Option<MessageView>> {
    // Only the workspace whose inbound address received the mail is searched.
    let Some(sc) = scope
        .find::<side_conversation::Entity>()
        .filter(side_conversation::Column::Token.eq(token))
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    let from = validate_email(from_email).map_err(|m| ServiceError::invalid("from", m))?;
    if sc.via != "email" || from != sc.to_email {
        return Ok(None);
    }
    let label = sc.to_email.clone();
    store_reply(state, scope, &sc, body_text, body_html, external_id, &label)
        .await
        .map(Some)
}

/// Threads a reply written in a side conversation's Slack thread (`label`
/// "Slack · Ana"), idempotent on `external_id`.
///
/// # Errors
/// Validation; `NotFound` when the side conversation is gone; database errors.
pub async fn receive_slack_reply(
    state: &AppState,
    scope: super::super::tenancy::Scoped,
    side_conversation_id: i32,
    text: &str,
    external_id: &str,
    label: &str,
) -> ServiceResult<MessageView> {
    let sc = scope
        .find::<side_conversation::Entity>()
        .filter(side_conversation::Column::Id.eq(side_conversation_id))
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("Side conversation"))?;
    store_reply(state, scope, &sc, text, None, external_id, label).await
}

async fn store_reply(
    state: &AppState,
    scope: super::super::tenancy::Scoped,
    sc: &side_conversation::Model,
    body_text: &str,
    body_html: Option<&str>,
    external_id: &str,
    label: &str,
) -> ServiceResult<MessageView> {
    if let Some(existing) = scope
        .find::<message::Entity>()
        .filter(message::Column::ExternalId.eq(external_id))
        .one(&state.db)
        .await?
    {
        let mut v = messages::thread_of(&state.db, scope, vec![existing])
            .await?
            .remove(0);
        label.clone_into(&mut v.author_name);
        return Ok(v);
    }
    let mut uow = UnitOfWork::begin(state).await?;
    let c = conversations::find(&*uow, scope, sc.conversation_id).await?;
    let (html, text) = match body_html {
        Some(h) if !h.trim().is_empty() => {
            (messages::sanitize_html(h), body_text.trim().to_owned())
        }
        _ => (
            messages::text_to_html(body_text),
            body_text.trim().to_owned(),
        ),
    };
    if text.is_empty() {
        return Err(ServiceError::invalid("body", "The reply is empty."));
    }
    let row = message::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        conversation_id: Set(c.id),
        kind: Set(MessageKind::Reply.as_str().to_owned()),
        direction: Set("inbound".into()),
        author_user_id: Set(None),
        author_customer_id: Set(None),
        body_html: Set(html),
        body_text: Set(text),
        side_conversation_id: Set(Some(sc.id)),
        delivery_status: Set("received".into()),
        delivery_error: Set(None),
        external_id: Set(Some(external_id.to_owned())),
        origin_conversation_id: Set(None),
        created_at: Set(now()),
        author_label: Set(Some(label.to_owned())),
        ..Default::default()
    }
    .insert(&*uow)
    .await?;
    conversations::touch(&*uow, c.clone()).await?;
    uow.emit(Event::new(
        scope.workspace_id(),
        "message.created",
        serde_json::json!({"conversation_id": c.id, "number": c.number, "message_id": row.id, "kind": "side"}),
    ));
    let mut v = messages::thread_of(&*uow, scope, vec![row])
        .await?
        .remove(0);
    label.clone_into(&mut v.author_name);
    uow.commit().await?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_found_in_subjects() {
        assert_eq!(
            token_in("Re: Parts [SC-abc123XYZ] ok"),
            Some("abc123XYZ".into())
        );
        assert_eq!(token_in("Re: Parts [SC-] ok"), None);
        assert_eq!(token_in("Re: [SC-a b]"), None);
        assert_eq!(token_in("nothing"), None);
    }
}
