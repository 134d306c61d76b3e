//! Channel server functions: channel settings and formatting rules, outbound
//! webhooks and their delivery log, the public support form and status page, and
//! the composer's "format for this channel".

use crate::error::AppError;
use crate::types::{
    ChannelSettingsView, FormatRules, SupportForm, SupportPageView, SupportReceipt,
    TicketStatusView, WebhookDeliveryView, WebhookEndpointView, WebhookForm,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
fn channel_of(name: &str) -> Result<crate::types::Channel, AppError> {
    crate::types::Channel::parse(name).ok_or_else(|| AppError::field("channel", "Unknown channel."))
}

/// Every configurable channel's settings.
#[server]
pub async fn list_channel_settings() -> Result<Vec<ChannelSettingsView>, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageChannels).await?;
    crate::services::channels::settings::list(&state, &actor)
        .await
        .map_err(fail)
}

/// Saves a channel's settings; `config_json` is the channel's settings object.
#[server]
pub async fn save_channel_settings(
    channel: String,
    enabled: bool,
    config_json: String,
    format: FormatRules,
) -> Result<ChannelSettingsView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageChannels).await?;
    let config: serde_json::Value = serde_json::from_str(&config_json)
        .map_err(|_| fail(AppError::field("config", "The settings could not be read.")))?;
    crate::services::channels::settings::update(
        &state,
        &actor,
        channel_of(&channel).map_err(fail)?,
        enabled,
        &config,
        &format,
    )
    .await
    .map_err(fail)
}

/// Replaces the chat key or the inbound email token.
#[server]
pub async fn rotate_channel_key(channel: String) -> Result<ChannelSettingsView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageChannels).await?;
    crate::services::channels::settings::rotate_key(
        &state,
        &actor,
        channel_of(&channel).map_err(fail)?,
    )
    .await
    .map_err(fail)
}

/// Logs in to the configured IMAP mailbox ("Test connection").
#[server]
pub async fn test_imap() -> Result<String, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageChannels).await?;
    crate::services::channels::email_in::test_imap(&state, &actor)
        .await
        .map_err(fail)
}

/// The workspace's webhook endpoints.
#[server]
pub async fn list_webhooks() -> Result<Vec<WebhookEndpointView>, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageWebhooks).await?;
    crate::services::channels::webhooks::list(&state, &actor)
        .await
        .map_err(fail)
}

/// Registers an endpoint (the answer carries its secret, once).
#[server]
pub async fn create_webhook(form: WebhookForm) -> Result<WebhookEndpointView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageWebhooks).await?;
    crate::services::channels::webhooks::create(&state, &actor, &form)
        .await
        .map_err(fail)
}

/// Changes an endpoint.
#[server]
pub async fn update_webhook(id: i32, form: WebhookForm) -> Result<WebhookEndpointView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageWebhooks).await?;
    crate::services::channels::webhooks::update(&state, &actor, id, &form)
        .await
        .map_err(fail)
}

/// Pauses or resumes an endpoint.
#[server]
pub async fn set_webhook_active(id: i32, active: bool) -> Result<WebhookEndpointView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageWebhooks).await?;
    crate::services::channels::webhooks::set_active(&state, &actor, id, active)
        .await
        .map_err(fail)
}

/// Replaces an endpoint's signing secret.
#[server]
pub async fn rotate_webhook_secret(id: i32) -> Result<WebhookEndpointView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageWebhooks).await?;
    crate::services::channels::webhooks::rotate_secret(&state, &actor, id)
        .await
        .map_err(fail)
}

/// Removes an endpoint.
#[server]
pub async fn delete_webhook(id: i32) -> Result<(), AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageWebhooks).await?;
    crate::services::channels::webhooks::delete(&state, &actor, id)
        .await
        .map_err(fail)
}

/// An endpoint's latest deliveries.
#[server]
pub async fn list_webhook_deliveries(
    endpoint_id: i32,
) -> Result<Vec<WebhookDeliveryView>, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageWebhooks).await?;
    crate::services::channels::webhooks::deliveries(&state, &actor, endpoint_id)
        .await
        .map_err(fail)
}

/// Sends a delivery's event again.
#[server]
pub async fn replay_webhook_delivery(delivery_id: i32) -> Result<WebhookDeliveryView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageWebhooks).await?;
    crate::services::channels::webhooks::replay(&state, &actor, delivery_id)
        .await
        .map_err(fail)
}

/// The public support form's page data (no sign-in).
#[server]
pub async fn support_page(slug: String) -> Result<SupportPageView, AppError> {
    use super::edge::*;
    let state = state()?;
    crate::services::channels::webform::page(&state.db, &slug)
        .await
        .map_err(fail)
}

/// Submits the public support form (no sign-in).
#[server]
pub async fn submit_support_form(
    slug: String,
    form: SupportForm,
    submission_id: String,
    /// The article-suggestion session of this form, if articles were suggested.
    #[server(default)]
    deflection: String,
) -> Result<SupportReceipt, AppError> {
    use super::edge::*;
    let state = state()?;
    let m = meta().await;
    crate::services::channels::webform::submit_with_deflection(
        &state,
        &slug,
        &form,
        &submission_id,
        m.ip.as_deref(),
        (!deflection.is_empty()).then_some(deflection.as_str()),
    )
    .await
    .map_err(fail)
}

/// A ticket's status for the person who opened it (no sign-in).
#[server]
pub async fn ticket_status(
    slug: String,
    ticket: String,
    email: String,
) -> Result<TicketStatusView, AppError> {
    use super::edge::*;
    let state = state()?;
    let m = meta().await;
    crate::services::channels::webform::status(&state, &slug, &ticket, &email, m.ip.as_deref())
        .await
        .map_err(fail)
}

/// Formats a draft reply for the conversation's channel (greeting, sign-off,
/// reference, length check) as the agent.
#[server]
pub async fn format_for_channel(
    conversation_id: i32,
    body: String,
) -> Result<crate::types::FormattedView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ReplyToCustomers).await?;
    crate::services::channels::formatting::for_conversation(&state, &actor, conversation_id, &body)
        .await
        .map_err(fail)
}

/// Settings → SMS & WhatsApp.
#[server]
pub async fn get_twilio_settings() -> Result<crate::types::TwilioSettingsView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageChannels).await?;
    crate::services::channels::twilio::settings::page(&state, &actor)
        .await
        .map_err(fail)
}

/// Connects (or changes) the Twilio account.
#[server(input = Json)]
pub async fn save_twilio_settings(
    form: crate::types::TwilioSettingsForm,
) -> Result<crate::types::TwilioSettingsView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageChannels).await?;
    let meta = meta().await;
    crate::services::channels::twilio::settings::save(&state, &actor, &form, &meta)
        .await
        .map_err(fail)
}

/// Disconnects the Twilio account.
#[server]
pub async fn remove_twilio_settings() -> Result<crate::types::TwilioSettingsView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageChannels).await?;
    let meta = meta().await;
    crate::services::channels::twilio::settings::remove(&state, &actor, &meta)
        .await
        .map_err(fail)
}

/// Sends a test SMS or WhatsApp message.
#[server]
pub async fn send_twilio_test(
    to: String,
    channel: String,
) -> Result<crate::types::TwilioTestResult, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageChannels).await?;
    crate::services::channels::twilio::settings::send_test(&state, &actor, &to, &channel)
        .await
        .map_err(fail)
}

/// The approved WhatsApp templates agents may send.
#[server]
pub async fn list_whatsapp_templates() -> Result<Vec<crate::types::WhatsappTemplate>, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    Ok(
        crate::services::channels::twilio::account(&state, &state.db, actor.scope)
            .await
            .map_err(fail)?
            .map(|a| a.templates())
            .unwrap_or_default(),
    )
}

/// Sends an approved WhatsApp template on a conversation.
#[server(input = Json)]
pub async fn send_whatsapp_template(
    conversation_id: i32,
    template: String,
    values: Vec<String>,
) -> Result<i32, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ReplyToCustomers).await?;
    crate::services::channels::twilio::outbound::send_template(
        &state,
        &actor,
        conversation_id,
        &template,
        &values,
    )
    .await
    .map(|m| m.id)
    .map_err(fail)
}

/// Settings → Voice.
#[server]
pub async fn get_voice_settings() -> Result<crate::types::VoiceSettingsView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageChannels).await?;
    crate::services::channels::voice::settings::page(&state, &actor)
        .await
        .map_err(fail)
}

/// Connects (or changes) the voice account; the agent sync follows.
#[server(input = Json)]
pub async fn save_voice_settings(
    form: crate::types::VoiceSettingsForm,
) -> Result<crate::types::VoiceSettingsView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageChannels).await?;
    let meta = meta().await;
    crate::services::channels::voice::settings::save(&state, &actor, &form, &meta)
        .await
        .map_err(fail)
}

/// Pushes the agent settings to the provider now.
#[server]
pub async fn sync_voice_agent() -> Result<crate::types::VoiceSettingsView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageChannels).await?;
    crate::services::channels::voice::settings::sync_now(&state, &actor)
        .await
        .map_err(fail)
}

/// Disconnects the voice account.
#[server]
pub async fn remove_voice_settings() -> Result<crate::types::VoiceSettingsView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageChannels).await?;
    let meta = meta().await;
    crate::services::channels::voice::settings::remove(&state, &actor, &meta)
        .await
        .map_err(fail)
}

/// Settings → Transcription.
#[server]
pub async fn get_transcription_settings(
) -> Result<crate::types::TranscriptionSettingsView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageChannels).await?;
    crate::services::channels::transcription::settings::page(&state, &actor)
        .await
        .map_err(fail)
}

/// Connects (or changes) the transcription account.
#[server(input = Json)]
pub async fn save_transcription_settings(
    form: crate::types::TranscriptionSettingsForm,
) -> Result<crate::types::TranscriptionSettingsView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageChannels).await?;
    let meta = meta().await;
    crate::services::channels::transcription::settings::save(&state, &actor, &form, &meta)
        .await
        .map_err(fail)
}

/// Checks the transcription key with the provider.
#[server]
pub async fn send_transcription_test() -> Result<String, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageChannels).await?;
    crate::services::channels::transcription::settings::test(&state, &actor)
        .await
        .map_err(fail)
}

/// Disconnects the transcription account.
#[server]
pub async fn remove_transcription_settings(
) -> Result<crate::types::TranscriptionSettingsView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageChannels).await?;
    let meta = meta().await;
    crate::services::channels::transcription::settings::remove(&state, &actor, &meta)
        .await
        .map_err(fail)
}

/// Settings → Slack.
#[server]
pub async fn get_slack_settings() -> Result<crate::types::SlackSettingsView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageChannels).await?;
    crate::services::channels::slack::settings::page(&state, &actor)
        .await
        .map_err(fail)
}

/// Connects (or changes) the Slack app.
#[server(input = Json)]
pub async fn save_slack_settings(
    form: crate::types::SlackSettingsForm,
) -> Result<crate::types::SlackSettingsView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageChannels).await?;
    let meta = meta().await;
    crate::services::channels::slack::settings::save(&state, &actor, &form, &meta)
        .await
        .map_err(fail)
}

/// Posts a test message to the Slack notifications channel.
#[server]
pub async fn send_slack_test() -> Result<String, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageChannels).await?;
    crate::services::channels::slack::settings::test(&state, &actor)
        .await
        .map_err(fail)
}

/// Disconnects Slack.
#[server]
pub async fn remove_slack_settings() -> Result<crate::types::SlackSettingsView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageChannels).await?;
    let meta = meta().await;
    crate::services::channels::slack::settings::remove(&state, &actor, &meta)
        .await
        .map_err(fail)
}
