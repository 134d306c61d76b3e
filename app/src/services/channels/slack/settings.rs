//! Settings → Slack: the Slack app's bot token and signing secret (sealed at
//! rest), the notifications channel, the Request URLs to paste into the
//! app's settings, 30-day figures, and a "send test" that posts to the
//! notifications channel.

use super::super::super::activity::{self, Entry, Who};
use super::super::super::context::{Actor, RequestMeta};
use super::super::super::uow::UnitOfWork;
use super::super::super::{now, AppState, ServiceError, ServiceResult};
use super::super::provider;
use super::client::{Client, DEFAULT_BASE};
use super::{account, channel_name, command_url, events_url, kind, secret_aad, token_aad};
use crate::permissions::Action;
use crate::types::{SlackSettingsForm, SlackSettingsView};
use entity::{slack_account, slack_thread};
use sea_orm::{ActiveModelTrait, ColumnTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};

/// The settings page.
///
/// # Errors
/// Permission; database errors.
pub async fn page(state: &AppState, actor: &Actor) -> ServiceResult<SlackSettingsView> {
    actor.require(Action::ManageChannels)?;
    let db = &state.db;
    let Some(a) = account(state, db, actor.scope).await? else {
        return Ok(SlackSettingsView {
            can_store_keys: state.secrets.is_some(),
            ..Default::default()
        });
    };
    let since = now() - chrono::Duration::days(30);
    let recent = || {
        actor
            .scope
            .find::<slack_thread::Entity>()
            .filter(slack_thread::Column::CreatedAt.gte(since))
    };
    let threads_30d = recent().count(db).await?;
    let tickets_30d = recent()
        .filter(slack_thread::Column::Kind.eq(kind::TICKET))
        .count(db)
        .await?;
    let failed_30d = recent()
        .filter(slack_thread::Column::Error.is_not_null())
        .count(db)
        .await?;
    let last_error = recent()
        .filter(slack_thread::Column::Error.is_not_null())
        .order_by_desc(slack_thread::Column::Id)
        .one(db)
        .await?
        .and_then(|t| t.error);
    Ok(SlackSettingsView {
        configured: true,
        token_hint: Some(crate::services::ai::secrets::hint(&a.bot_token)),
        team_name: a.row.team_name.clone().unwrap_or_default(),
        api_base: a.row.api_base.clone().unwrap_or_default(),
        notify_channel: a.row.notify_channel.clone().unwrap_or_default(),
        command_url: command_url(state, &a.row.hook_token),
        events_url: events_url(state, &a.row.hook_token),
        can_store_keys: state.secrets.is_some(),
        threads_30d,
        tickets_30d,
        failed_30d,
        last_error,
    })
}

fn check_token(token: &str) -> ServiceResult<()> {
    if !token.starts_with("xoxb-") || token.len() < 20 || token.chars().any(char::is_whitespace) {
        return Err(ServiceError::invalid(
            "bot_token",
            "The bot token starts with xoxb- (the app's OAuth & Permissions page → Bot User OAuth Token).",
        ));
    }
    Ok(())
}

fn check_secret(secret: &str) -> ServiceResult<()> {
    if secret.len() < 16 || !secret.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ServiceError::invalid(
            "signing_secret",
            "The signing secret is the letters and digits under Basic Information → App Credentials.",
        ));
    }
    Ok(())
}

/// Stores the Slack app, after asking Slack whose token it is.
///
/// # Errors
/// `Invalid` naming the field; `Conflict` without a secrets key or when Slack
/// refuses the token (with why); database errors.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    f: &SlackSettingsForm,
    meta: &RequestMeta,
) -> ServiceResult<SlackSettingsView> {
    actor.require(Action::ManageChannels)?;
    let scope = actor.scope;
    let w = scope.workspace_id();
    let base = provider::api_base(&f.api_base, DEFAULT_BASE, "Slack")?;
    let token = f.bot_token.trim();
    let secret = f.signing_secret.trim();
    let notify = match f.notify_channel.trim() {
        "" => None,
        c => Some(channel_name(c, "notify_channel")?),
    };
    let existing = account(state, &state.db, scope).await?;
    if existing.is_none() && token.is_empty() {
        return Err(ServiceError::invalid(
            "bot_token",
            "Paste the bot token (the app's OAuth & Permissions page → Bot User OAuth Token).",
        ));
    }
    if existing.is_none() && secret.is_empty() {
        return Err(ServiceError::invalid(
            "signing_secret",
            "Paste the signing secret (Basic Information → App Credentials).",
        ));
    }
    if !token.is_empty() {
        check_token(token)?;
    }
    if !secret.is_empty() {
        check_secret(secret)?;
    }
    if let Some(a) = &existing {
        provider::key_follows_base(
            a.row.api_base.as_deref(),
            base.as_deref(),
            !token.is_empty(),
            "bot_token",
        )?;
    }
    // Ask Slack whose token this is (and whether it works) before keeping it.
    let use_token = if token.is_empty() {
        existing
            .as_ref()
            .map(|a| a.bot_token.clone())
            .unwrap_or_default()
    } else {
        token.to_owned()
    };
    let who = Client::new(base.as_deref().unwrap_or(DEFAULT_BASE), &use_token)
        .map_err(ServiceError::Internal)?
        .auth_test()
        .await
        .map_err(|e| ServiceError::conflict("bot_token", e.message))?;
    let t = now();
    let uow = UnitOfWork::begin(state).await?;
    let mut am: slack_account::ActiveModel = match existing {
        Some(a) => a.row.into(),
        None => slack_account::ActiveModel {
            workspace_id: Set(w),
            hook_token: Set(provider::hook_token()),
            created_at: Set(t),
            ..Default::default()
        },
    };
    if !token.is_empty() {
        am.bot_token = Set(provider::seal(
            state,
            token,
            &token_aad(w),
            "bot_token",
            "a Slack bot token",
        )?);
    }
    if !secret.is_empty() {
        am.signing_secret = Set(provider::seal(
            state,
            secret,
            &secret_aad(w),
            "signing_secret",
            "a Slack signing secret",
        )?);
    }
    am.api_base = Set(base);
    am.notify_channel = Set(notify.clone());
    am.team_id = Set(Some(who.team_id.clone()).filter(|s| !s.is_empty()));
    am.team_name = Set(Some(who.team.clone()).filter(|s| !s.is_empty()));
    am.bot_user_id = Set(Some(who.user_id.clone()).filter(|s| !s.is_empty()));
    am.updated_at = Set(t);
    am.save(&*uow).await?;
    activity::record(
        &*uow,
        scope,
        &Who::from(actor),
        meta,
        Entry::new("channels.slack_set").diff(
            None,
            Some(serde_json::json!({
                "team": who.team,
                "notify_channel": notify,
                "api_base": f.api_base.trim(),
                "bot_token": if token.is_empty() { "unchanged".to_owned() } else { crate::services::ai::secrets::hint(token) },
                "signing_secret": if secret.is_empty() { "unchanged" } else { "changed" },
            })),
        ),
    )
    .await?;
    uow.commit().await?;
    page(state, actor).await
}

/// Posts a test message to the notifications channel.
///
/// # Errors
/// Permission; `Conflict` when not set up, no channel is set, or Slack
/// refuses (with why).
pub async fn test(state: &AppState, actor: &Actor) -> ServiceResult<String> {
    actor.require(Action::ManageChannels)?;
    let Some(a) = account(state, &state.db, actor.scope).await? else {
        return Err(ServiceError::conflict(
            "bot_token",
            "Connect Slack first: paste the bot token and signing secret, and save.",
        ));
    };
    let Some(channel) = a.row.notify_channel.clone() else {
        return Err(ServiceError::conflict(
            "notify_channel",
            "Set a notifications channel to send a test message to.",
        ));
    };
    a.client
        .post(
            &channel,
            &format!(
                ":wave: Switchboard is connected. New conversations will be posted here ({}).",
                super::client::escape(&actor.name)
            ),
            None,
        )
        .await
        .map_err(|e| ServiceError::conflict("notify_channel", e.message))?;
    Ok(format!("Posted a test message to {channel}."))
}

/// Disconnects Slack: nothing more is posted, and Slack's requests are no
/// longer accepted (threads already mirrored stay in both places).
///
/// # Errors
/// Permission; database errors.
pub async fn remove(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
) -> ServiceResult<SlackSettingsView> {
    provider::disconnect::<slack_account::Entity>(state, actor, meta, "channels.slack_removed")
        .await?;
    page(state, actor).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_secrets_are_checked() {
        assert!(check_token("xoxb-1234-5678-abcdefghij").is_ok());
        assert!(check_token("xoxp-1234-5678-abcdefghij").is_err());
        assert!(check_token("xoxb-1 2").is_err());
        assert!(check_secret("8f742231b10e8888abcd99yyyzzz85a5").is_ok());
        assert!(check_secret("short").is_err());
        assert!(check_secret("has space in it 12345").is_err());
    }
}
