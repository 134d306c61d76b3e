//! AI agent server functions: settings, the AI side of a conversation, agent
//! assist (draft reply, summarize) and the AI overview.

use crate::error::AppError;
use crate::types::{
    AiOverviewView, AiSettingsForm, AiSettingsView, AssistDraftView, AssistSummaryView,
    ConversationAiView,
};
use leptos::prelude::*;

/// The workspace's AI settings.
#[server]
pub async fn ai_settings() -> Result<AiSettingsView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAi).await?;
    crate::services::ai::settings::view(&state, &actor)
        .await
        .map_err(fail)
}

/// Saves the AI settings.
#[server]
pub async fn save_ai_settings(form: AiSettingsForm) -> Result<AiSettingsView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ManageAi).await?;
    crate::services::ai::settings::save(&state, &actor, &form)
        .await
        .map_err(fail)
}

/// What the AI did on a conversation (runs and their steps).
#[server]
pub async fn conversation_ai(conversation_id: i32) -> Result<ConversationAiView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    crate::services::ai::pipeline::conversation_view(&state.db, actor.scope, conversation_id)
        .await
        .map_err(fail)
}

/// Agent assist: a draft reply in a tone.
#[server]
pub async fn assist_draft(conversation_id: i32, tone: String) -> Result<AssistDraftView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ReplyToCustomers).await?;
    crate::services::ai::assist::draft(&state, &actor, conversation_id, &tone)
        .await
        .map_err(fail)
}

/// Agent assist: summary of the conversation.
#[server]
pub async fn assist_summary(conversation_id: i32) -> Result<AssistSummaryView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    crate::services::ai::assist::summarize(&state, &actor, conversation_id)
        .await
        .map_err(fail)
}

/// The AI overview of the last `days` days.
#[server]
pub async fn ai_overview(days: i64) -> Result<AiOverviewView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewAiReports).await?;
    crate::services::ai::metering::overview(&state.db, &actor, days)
        .await
        .map_err(fail)
}

/// Canned responses that fit the customer's last message, filled in.
#[server]
pub async fn assist_canned(
    conversation_id: i32,
) -> Result<Vec<crate::types::CannedSuggestionView>, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    crate::services::ai::assist::suggest_canned(&state, &actor, conversation_id)
        .await
        .map_err(fail)
}

/// Translates a message or a draft (needs a model provider).
#[server]
pub async fn assist_translate(
    text: String,
    language: String,
) -> Result<crate::types::TranslationView, AppError> {
    use super::edge::*;
    let (state, actor) = actor(crate::permissions::Action::ViewInbox).await?;
    crate::services::ai::assist::translate(&state, &actor, &text, &language)
        .await
        .map_err(fail)
}
