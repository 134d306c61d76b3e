//! Per-workspace AI settings: which channels the pipeline runs on, thresholds, the
//! model provider and its API key (sealed with AES-256-GCM, bound to the
//! workspace; only a hint is ever shown back).

use super::providers::{self, ModelProvider, Price, ProviderConfig, ProviderKind};
use super::secrets;
use crate::permissions::Action;
use crate::services::context::Actor;
use crate::services::tenancy::Scoped;
use crate::services::{now, AppState, ServiceError, ServiceResult};
use crate::types::{
    AiSettingsForm, AiSettingsView, PROVIDER_ANTHROPIC, PROVIDER_BUILTIN, PROVIDER_OPENAI,
};
use entity::ai_setting;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, QueryFilter, Set};
use std::time::Duration;

/// The built-in engine's answer threshold, calibrated on the evaluation set
/// (`switchboard-bench ai-eval`, docs/ai.md): the lowest confidence at which no
/// labelled answerable question got a wrong article and no unanswerable one got an
/// answer.
pub const DEFAULT_ANSWER_THRESHOLD: f64 = 0.60;
/// Default auto-send threshold (percent).
pub const DEFAULT_AUTO_SEND: i32 = 60;
/// Channels the pipeline can run on.
pub const CHANNELS: &[&str] = &["chat", "email", "web_form", "api"];
/// Draft tones.
pub const TONES: &[&str] = &["friendly", "formal", "concise"];

/// Settings as used by the pipeline (defaults when never saved).
#[derive(Clone, Debug)]
pub struct Settings {
    /// Pipeline on.
    pub enabled: bool,
    /// Channels it runs on.
    pub channels: Vec<String>,
    /// Auto-send threshold 0–100.
    pub auto_send_threshold: i32,
    /// Built-in answer threshold 0–1.
    pub answer_threshold: f64,
    /// Provider name.
    pub provider: String,
    /// Draft tone.
    pub tone: String,
    /// The stored row, if any.
    pub row: Option<ai_setting::Model>,
}

impl Settings {
    /// Whether the pipeline runs for messages on `channel`.
    pub fn runs_on(&self, channel: &str) -> bool {
        self.enabled && self.channels.iter().any(|c| c == channel)
    }
}

/// The workspace's settings.
///
/// # Errors
/// Database errors.
pub async fn load(db: &impl ConnectionTrait, scope: Scoped) -> ServiceResult<Settings> {
    let row = scope.find::<ai_setting::Entity>().one(db).await?;
    Ok(match row {
        Some(r) => Settings {
            enabled: r.enabled,
            channels: serde_json::from_str(&r.channels).unwrap_or_default(),
            auto_send_threshold: r.auto_send_threshold,
            answer_threshold: if r.answer_threshold > 0.0 {
                r.answer_threshold
            } else {
                DEFAULT_ANSWER_THRESHOLD
            },
            provider: r.provider.clone(),
            tone: r.tone.clone(),
            row: Some(r),
        },
        None => Settings {
            enabled: false,
            channels: Vec::new(),
            auto_send_threshold: DEFAULT_AUTO_SEND,
            answer_threshold: DEFAULT_ANSWER_THRESHOLD,
            provider: PROVIDER_BUILTIN.to_owned(),
            tone: "friendly".to_owned(),
            row: None,
        },
    })
}

/// The view for the settings page.
///
/// # Errors
/// Permission; database errors.
pub async fn view(state: &AppState, actor: &Actor) -> ServiceResult<AiSettingsView> {
    actor.require(Action::ManageAi)?;
    let s = load(&state.db, actor.scope).await?;
    Ok(to_view(state, &s))
}

fn to_view(state: &AppState, s: &Settings) -> AiSettingsView {
    let r = s.row.as_ref();
    AiSettingsView {
        enabled: s.enabled,
        channels: s.channels.clone(),
        auto_send_threshold: s.auto_send_threshold,
        provider: s.provider.clone(),
        base_url: r.and_then(|r| r.base_url.clone()).unwrap_or_default(),
        chat_model: r.and_then(|r| r.chat_model.clone()).unwrap_or_default(),
        embedding_model: r
            .and_then(|r| r.embedding_model.clone())
            .unwrap_or_default(),
        api_key_hint: r.and_then(|r| r.api_key_hint.clone()),
        timeout_secs: r.map_or(30, |r| r.timeout_secs),
        price_input_micros: r.map_or(0, |r| r.price_input_micros),
        price_output_micros: r.map_or(0, |r| r.price_output_micros),
        tone: s.tone.clone(),
        answer_threshold: s.answer_threshold,
        can_store_keys: state.secrets.is_some(),
    }
}

fn aad(scope: Scoped) -> Vec<u8> {
    format!("workspace:{}:ai_api_key", scope.workspace_id()).into_bytes()
}

/// Saves the settings (a new key is sealed; an empty key keeps the stored one).
///
/// # Errors
/// Permission; `Invalid` fields; `Conflict` when a key is given but no secrets key
/// is configured; database errors.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    f: &AiSettingsForm,
) -> ServiceResult<AiSettingsView> {
    actor.require(Action::ManageAi)?;
    if let Some(bad) = f.channels.iter().find(|c| !CHANNELS.contains(&c.as_str())) {
        return Err(ServiceError::invalid(
            "channels",
            format!("`{bad}` is not a channel the AI agent can answer on."),
        ));
    }
    if !(0..=100).contains(&f.auto_send_threshold) {
        return Err(ServiceError::invalid(
            "auto_send_threshold",
            "Use a confidence between 0 and 100 %.",
        ));
    }
    if ![PROVIDER_BUILTIN, PROVIDER_OPENAI, PROVIDER_ANTHROPIC].contains(&f.provider.as_str()) {
        return Err(ServiceError::invalid(
            "provider",
            "Choose the built-in engine, an OpenAI-compatible API or Anthropic.",
        ));
    }
    if !TONES.contains(&f.tone.as_str()) {
        return Err(ServiceError::invalid(
            "tone",
            "Choose friendly, formal or concise.",
        ));
    }
    if !(1..=120).contains(&f.timeout_secs) {
        return Err(ServiceError::invalid(
            "timeout_secs",
            "Use a timeout between 1 and 120 seconds.",
        ));
    }
    if f.price_input_micros < 0 || f.price_output_micros < 0 {
        return Err(ServiceError::invalid(
            "price_input_micros",
            "Prices cannot be negative.",
        ));
    }
    let base_url = f.base_url.trim().trim_end_matches('/').to_owned();
    let external = f.provider != PROVIDER_BUILTIN;
    if external {
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            return Err(ServiceError::invalid(
                "base_url",
                "Give the provider's base URL, for example https://api.openai.com/v1 or http://127.0.0.1:11434/v1.",
            ));
        }
        if f.chat_model.trim().is_empty() {
            return Err(ServiceError::invalid(
                "chat_model",
                "Name the chat model, for example gpt-4o-mini.",
            ));
        }
    }
    let current = load(&state.db, actor.scope).await?;
    let t = now();
    let mut am = match current.row.clone() {
        Some(r) => r.into_active_model(),
        None => ai_setting::ActiveModel {
            workspace_id: Set(actor.scope.workspace_id()),
            api_key_sealed: Set(None),
            api_key_hint: Set(None),
            answer_threshold: Set(DEFAULT_ANSWER_THRESHOLD),
            created_at: Set(t),
            ..Default::default()
        },
    };
    let key = f.api_key.trim();
    if f.clear_key {
        am.api_key_sealed = Set(None);
        am.api_key_hint = Set(None);
    } else if !key.is_empty() {
        let Some(sb) = &state.secrets else {
            return Err(ServiceError::conflict(
                "api_key",
                "No secrets key is configured on the server (secrets_key), so API keys cannot be stored.",
            ));
        };
        am.api_key_sealed = Set(Some(sb.seal(key, &aad(actor.scope))));
        am.api_key_hint = Set(Some(secrets::hint(key)));
    }
    am.enabled = Set(f.enabled);
    am.channels = Set(serde_json::to_string(&f.channels).unwrap_or_else(|_| "[]".into()));
    am.auto_send_threshold = Set(f.auto_send_threshold);
    am.provider = Set(f.provider.clone());
    am.base_url = Set((!base_url.is_empty()).then_some(base_url));
    am.chat_model = Set((!f.chat_model.trim().is_empty()).then(|| f.chat_model.trim().to_owned()));
    am.embedding_model =
        Set((!f.embedding_model.trim().is_empty()).then(|| f.embedding_model.trim().to_owned()));
    am.timeout_secs = Set(f.timeout_secs);
    am.price_input_micros = Set(f.price_input_micros);
    am.price_output_micros = Set(f.price_output_micros);
    am.tone = Set(f.tone.clone());
    am.updated_at = Set(t);
    am.save(&state.db).await?;
    view(state, actor).await
}

/// Turns the pipeline on for `channels` with defaults (used by the demo seed).
///
/// # Errors
/// Database errors.
pub async fn enable_builtin(
    db: &impl ConnectionTrait,
    scope: Scoped,
    channels: &[&str],
) -> ServiceResult<()> {
    let t = now();
    let existing = scope
        .find::<ai_setting::Entity>()
        .filter(ai_setting::Column::WorkspaceId.eq(scope.workspace_id()))
        .one(db)
        .await?;
    let mut am = match existing {
        Some(r) => r.into_active_model(),
        None => ai_setting::ActiveModel {
            workspace_id: Set(scope.workspace_id()),
            provider: Set(PROVIDER_BUILTIN.to_owned()),
            base_url: Set(None),
            chat_model: Set(None),
            embedding_model: Set(None),
            api_key_sealed: Set(None),
            api_key_hint: Set(None),
            timeout_secs: Set(30),
            price_input_micros: Set(0),
            price_output_micros: Set(0),
            tone: Set("friendly".to_owned()),
            auto_send_threshold: Set(DEFAULT_AUTO_SEND),
            answer_threshold: Set(DEFAULT_ANSWER_THRESHOLD),
            created_at: Set(t),
            ..Default::default()
        },
    };
    am.enabled = Set(true);
    am.channels = Set(serde_json::to_string(channels).unwrap_or_else(|_| "[]".into()));
    am.updated_at = Set(t);
    am.save(db).await?;
    Ok(())
}

/// The configured provider (none for the built-in engine).
///
/// # Errors
/// `Internal` when the stored key cannot be opened (wrong secrets key).
pub fn provider(
    state: &AppState,
    scope: Scoped,
    s: &Settings,
) -> ServiceResult<Option<Box<dyn ModelProvider>>> {
    let Some(r) = &s.row else { return Ok(None) };
    let kind = match r.provider.as_str() {
        PROVIDER_OPENAI => ProviderKind::OpenAiCompatible,
        PROVIDER_ANTHROPIC => ProviderKind::Anthropic,
        _ => return Ok(None),
    };
    let key = match (&r.api_key_sealed, &state.secrets) {
        (Some(sealed), Some(sb)) => sb
            .open(sealed, &aad(scope))
            .map_err(|e| ServiceError::Internal(format!("opening the AI API key: {e}")))?,
        _ => String::new(),
    };
    let mut cfg = ProviderConfig::new(
        kind,
        r.base_url.clone().unwrap_or_default(),
        key,
        r.chat_model.clone().unwrap_or_default(),
    );
    cfg.embedding_model = r.embedding_model.clone();
    cfg.timeout = Duration::from_secs(u64::try_from(r.timeout_secs.max(1)).unwrap_or(30));
    if r.price_input_micros > 0 || r.price_output_micros > 0 {
        cfg.price = Price {
            input_per_mtok_micros: u64::try_from(r.price_input_micros).unwrap_or(0),
            output_per_mtok_micros: u64::try_from(r.price_output_micros).unwrap_or(0),
        };
    }
    providers::build(cfg)
        .map(Some)
        .map_err(|e| ServiceError::Internal(format!("AI provider: {e}")))
}

/// The price the provider is billed at (for cost accounting).
pub fn price(s: &Settings) -> Price {
    s.row.as_ref().map_or_else(Price::default, |r| Price {
        input_per_mtok_micros: u64::try_from(r.price_input_micros).unwrap_or(0),
        output_per_mtok_micros: u64::try_from(r.price_output_micros).unwrap_or(0),
    })
}

/// Sets the action-policy default (`allow`, `deny`, `approval`).
///
/// # Errors
/// Database errors.
pub async fn set_action_default(
    db: &impl ConnectionTrait,
    scope: Scoped,
    effect: &str,
) -> ServiceResult<()> {
    let effect = effect.to_owned();
    edit(db, scope, move |am| am.action_default = Set(effect)).await
}

/// Turns the autonomous loop on or off.
///
/// # Errors
/// Database errors.
pub async fn set_loop_enabled(
    db: &impl ConnectionTrait,
    scope: Scoped,
    on: bool,
) -> ServiceResult<()> {
    edit(db, scope, move |am| am.loop_enabled = Set(on)).await
}

/// Changes the settings row, creating it (pipeline off, built-in engine) when the
/// workspace never saved one.
async fn edit(
    db: &impl ConnectionTrait,
    scope: Scoped,
    f: impl FnOnce(&mut ai_setting::ActiveModel),
) -> ServiceResult<()> {
    let t = now();
    let existing = scope.find::<ai_setting::Entity>().one(db).await?;
    let mut am = match existing {
        Some(r) => r.into_active_model(),
        None => ai_setting::ActiveModel {
            workspace_id: Set(scope.workspace_id()),
            enabled: Set(false),
            channels: Set("[]".to_owned()),
            provider: Set(PROVIDER_BUILTIN.to_owned()),
            base_url: Set(None),
            chat_model: Set(None),
            embedding_model: Set(None),
            api_key_sealed: Set(None),
            api_key_hint: Set(None),
            timeout_secs: Set(30),
            price_input_micros: Set(0),
            price_output_micros: Set(0),
            tone: Set("friendly".to_owned()),
            auto_send_threshold: Set(DEFAULT_AUTO_SEND),
            answer_threshold: Set(DEFAULT_ANSWER_THRESHOLD),
            created_at: Set(t),
            ..Default::default()
        },
    };
    f(&mut am);
    am.updated_at = Set(t);
    am.save(db).await?;
    Ok(())
}
