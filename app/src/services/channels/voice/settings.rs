//! Settings → Voice: the voice-agent account (API key sealed at rest), the
//! agent to sync, its settings, the summary source and the recording
//! retention; a "sync now" that reports what the provider answered.

use super::super::super::activity::{self, Entry, Who};
use super::super::super::context::{Actor, RequestMeta};
use super::super::super::jobs::{self, NewJob};
use super::super::super::uow::UnitOfWork;
use super::super::super::{now, AppState, ServiceError, ServiceResult};
use super::super::provider;
use super::client::DEFAULT_BASE;
use super::{aad, account, calls, webhook_url};
use crate::permissions::Action;
use crate::types::{VoiceSettingsForm, VoiceSettingsView};
use entity::{phone_call, voice_account};
use sea_orm::{ActiveModelTrait, ColumnTrait, PaginatorTrait, QueryFilter, Set};

/// Default days a recording is kept.
pub const DEFAULT_RETENTION_DAYS: i32 = 30;

/// The settings page.
///
/// # Errors
/// Permission; database errors.
pub async fn page(state: &AppState, actor: &Actor) -> ServiceResult<VoiceSettingsView> {
    actor.require(Action::ManageChannels)?;
    let calls_30d = actor
        .scope
        .find::<phone_call::Entity>()
        .filter(phone_call::Column::CreatedAt.gte(now() - chrono::Duration::days(30)))
        .count(&state.db)
        .await?;
    let Some(a) = account(state, &state.db, actor.scope).await? else {
        return Ok(VoiceSettingsView {
            retention_days: DEFAULT_RETENTION_DAYS,
            provider_summary: true,
            agent_config: "{}".into(),
            can_store_keys: state.secrets.is_some(),
            calls_30d,
            ..Default::default()
        });
    };
    Ok(VoiceSettingsView {
        configured: true,
        key_hint: Some(crate::services::ai::secrets::hint(&a.api_key)),
        api_base: a.row.api_base.clone().unwrap_or_default(),
        agent_id: a.row.agent_id.clone().unwrap_or_default(),
        retention_days: a.row.retention_days,
        provider_summary: a.row.provider_summary,
        agent_config: a.row.agent_config.clone(),
        webhook_url: webhook_url(state, &a.row.hook_token),
        synced_at: a.row.synced_at.map(|t| t.to_rfc3339()),
        sync_error: a.row.sync_error.clone(),
        can_store_keys: state.secrets.is_some(),
        calls_30d,
    })
}

/// Stores the account and queues the agent sync.
///
/// # Errors
/// `Invalid` naming the field; `Conflict` without a secrets key; database errors.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    f: &VoiceSettingsForm,
    meta: &RequestMeta,
) -> ServiceResult<VoiceSettingsView> {
    actor.require(Action::ManageChannels)?;
    let scope = actor.scope;
    let base = provider::api_base(&f.api_base, DEFAULT_BASE, "Retell")?;
    let agent = f.agent_id.trim();
    if agent.len() > 100 || agent.chars().any(char::is_whitespace) {
        return Err(ServiceError::invalid(
            "agent_id",
            "The agent id is the provider's id of the voice agent, without spaces.",
        ));
    }
    if !(1..=3650).contains(&f.retention_days) {
        return Err(ServiceError::invalid(
            "retention_days",
            "Keep recordings between 1 and 3,650 days.",
        ));
    }
    let config = f.agent_config.trim();
    let config = if config.is_empty() { "{}" } else { config };
    let parsed: serde_json::Value = serde_json::from_str(config).map_err(|e| {
        ServiceError::invalid(
            "agent_config",
            format!("The agent settings are not JSON ({e}); write an object such as {{\"agent_name\": \"Acme support\"}}."),
        )
    })?;
    if !parsed.is_object() || config.len() > 20_000 {
        return Err(ServiceError::invalid(
            "agent_config",
            "The agent settings are one JSON object of at most 20,000 characters.",
        ));
    }
    let key = f.api_key.trim();
    let mut uow = UnitOfWork::begin(state).await?;
    let existing = scope.find::<voice_account::Entity>().one(&*uow).await?;
    if key.is_empty() && existing.is_none() {
        return Err(ServiceError::invalid(
            "api_key",
            "Paste the API key (the provider signs its webhooks with it).",
        ));
    }
    if !key.is_empty() && (key.len() < 8 || key.chars().any(char::is_whitespace)) {
        return Err(ServiceError::invalid(
            "api_key",
            "The API key is at least 8 characters, without spaces.",
        ));
    }
    if let Some(r) = &existing {
        provider::key_follows_base(
            r.api_base.as_deref(),
            base.as_deref(),
            !key.is_empty(),
            "api_key",
        )?;
    }
    let t = now();
    let mut am: voice_account::ActiveModel = match existing {
        Some(r) => r.into(),
        None => voice_account::ActiveModel {
            workspace_id: Set(scope.workspace_id()),
            hook_token: Set(provider::hook_token()),
            created_at: Set(t),
            synced_at: Set(None),
            sync_error: Set(None),
            ..Default::default()
        },
    };
    if !key.is_empty() {
        am.api_key = Set(provider::seal(
            state,
            key,
            &aad(scope.workspace_id()),
            "api_key",
            "a voice API key",
        )?);
    }
    am.api_base = Set(base);
    am.agent_id = Set((!agent.is_empty()).then(|| agent.to_owned()));
    am.retention_days = Set(f.retention_days);
    am.provider_summary = Set(f.provider_summary);
    am.agent_config = Set(parsed.to_string());
    am.updated_at = Set(t);
    am.save(&*uow).await?;
    jobs::enqueue(
        &*uow,
        &state.config.jobs,
        NewJob {
            workspace_id: Some(scope.workspace_id()),
            ..NewJob::new(
                calls::SYNC_JOB,
                serde_json::json!({ "workspace_id": scope.workspace_id() }),
            )
        },
    )
    .await?;
    uow.jobs_enqueued();
    activity::record(
        &*uow,
        scope,
        &Who::from(actor),
        meta,
        Entry::new("channels.voice_set").diff(
            None,
            Some(serde_json::json!({
                "api_base": f.api_base.trim(),
                "agent_id": agent,
                "retention_days": f.retention_days,
                "api_key": if key.is_empty() { "unchanged".to_owned() } else { crate::services::ai::secrets::hint(key) },
            })),
        ),
    )
    .await?;
    uow.commit().await?;
    page(state, actor).await
}

/// Pushes the agent settings now and records the outcome.
///
/// # Errors
/// Permission; `Conflict` when not set up or the provider refuses (with why).
pub async fn sync_now(state: &AppState, actor: &Actor) -> ServiceResult<VoiceSettingsView> {
    actor.require(Action::ManageChannels)?;
    let Some(a) = account(state, &state.db, actor.scope).await? else {
        return Err(ServiceError::conflict(
            "agent_id",
            "Set up the voice account first.",
        ));
    };
    let r = calls::sync(state, &a).await;
    let mut am: voice_account::ActiveModel = a.row.clone().into();
    match &r {
        Ok(()) => {
            am.synced_at = Set(Some(now()));
            am.sync_error = Set(None);
        }
        Err(e) => am.sync_error = Set(Some(e.message.clone())),
    }
    am.update(&state.db).await?;
    if let Err(e) = r {
        return Err(ServiceError::conflict("agent_id", e.message));
    }
    page(state, actor).await
}

/// Removes the account: call webhooks stop being accepted (calls stay).
///
/// # Errors
/// Permission; database errors.
pub async fn remove(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
) -> ServiceResult<VoiceSettingsView> {
    provider::disconnect::<voice_account::Entity>(state, actor, meta, "channels.voice_removed")
        .await?;
    page(state, actor).await
}
