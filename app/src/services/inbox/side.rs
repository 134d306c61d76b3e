//! Side conversations: a sub-thread inside a conversation with an outside party
//! (a supplier, another department), sent by email through the outbox. Each has a
//! token carried in the subject (`[SC-…]`); the inbound mail path calls
//! [`receive_reply`] with it, and the reply threads back into the sub-thread.

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

/// Starts a side conversation and emails the first message.
///
/// # Errors
/// Permission, validation, `NotFound`.
pub async fn start(
    state: &AppState,
    actor: &Actor,
    conversation_id: i32,
    to_email: &str,
    subject: &str,
    body: &str,
) -> ServiceResult<SideConversationView> {
    actor.require(Action::ReplyToCustomers)?;
    let to = validate_email(to_email).map_err(|m| ServiceError::invalid("to_email", m))?;
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
    Ok(SideConversationView {
        id: sc.id,
        subject: sc.subject,
        to_email: sc.to_email,
        created_at: sc.created_at.to_rfc3339(),
    })
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
    if from != sc.to_email {
        return Ok(None);
    }
    if let Some(existing) = scope
        .find::<message::Entity>()
        .filter(message::Column::ExternalId.eq(external_id))
        .one(&state.db)
        .await?
    {
        return Ok(Some(
            messages::thread_of(&state.db, scope, vec![existing])
                .await?
                .remove(0),
        ));
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
    v.author_name = sc.to_email.clone();
    uow.commit().await?;
    Ok(Some(v))
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
