//! Settings → Transcription: the speech-to-text account (API key and webhook
//! secret sealed at rest), the language, what to transcribe, 30-day usage,
//! and a "send test" that checks the key with the provider.

use super::super::super::activity::{self, Entry, Who};
use super::super::super::context::{Actor, RequestMeta};
use super::super::super::security::new_token;
use super::super::super::uow::UnitOfWork;
use super::super::super::{now, AppState, ServiceError, ServiceResult};
use super::super::provider;
use super::client::DEFAULT_BASE;
use super::{account, hook_aad, key_aad, status, webhook_url};
use crate::permissions::Action;
use crate::types::{TranscriptionSettingsForm, TranscriptionSettingsView};
use entity::{transcript, transcription_account};
use sea_orm::{ActiveModelTrait, ColumnTrait, PaginatorTrait, QueryFilter, QuerySelect, Set};

/// The settings page.
///
/// # Errors
/// Permission; database errors.
pub async fn page(state: &AppState, actor: &Actor) -> ServiceResult<TranscriptionSettingsView> {
    actor.require(Action::ManageChannels)?;
    let db = &state.db;
    let since = now() - chrono::Duration::days(30);
    let recent = || {
        actor
            .scope
            .find::<transcript::Entity>()
            .filter(transcript::Column::CreatedAt.gte(since))
    };
    let completed_30d = recent()
        .filter(transcript::Column::Status.eq(status::COMPLETED))
        .count(db)
        .await?;
    let failed_30d = recent()
        .filter(transcript::Column::Status.eq(status::ERROR))
        .count(db)
        .await?;
    let pending = actor
        .scope
        .find::<transcript::Entity>()
        .filter(transcript::Column::Status.is_in([status::QUEUED, status::PROCESSING]))
        .count(db)
        .await?;
    let seconds: Option<i64> = recent()
        .select_only()
        .column_as(transcript::Column::AudioSeconds.sum(), "s")
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten();
    let minutes_30d = u64::try_from(seconds.unwrap_or(0).max(0) / 60).unwrap_or(0);
    let Some(a) = account(state, db, actor.scope).await? else {
        return Ok(TranscriptionSettingsView {
            attachments: true,
            calls: true,
            can_store_keys: state.secrets.is_some(),
            completed_30d,
            failed_30d,
            pending,
            minutes_30d,
            ..Default::default()
        });
    };
    Ok(TranscriptionSettingsView {
        configured: true,
        key_hint: Some(crate::services::ai::secrets::hint(&a.api_key)),
        api_base: a.row.api_base.clone().unwrap_or_default(),
        language_code: a.row.language_code.clone().unwrap_or_default(),
        attachments: a.row.attachments,
        calls: a.row.calls,
        webhook_url: webhook_url(state, &a.row.hook_token),
        can_store_keys: state.secrets.is_some(),
        completed_30d,
        failed_30d,
        pending,
        minutes_30d,
    })
}

fn language(raw: &str) -> ServiceResult<Option<String>> {
    let l = raw.trim().to_ascii_lowercase();
    if l.is_empty() {
        return Ok(None);
    }
    let ok = (2..=7).contains(&l.len())
        && l.chars()
            .all(|c| c.is_ascii_lowercase() || c == '_' || c == '-')
        && l.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    if ok {
        Ok(Some(l.replace('-', "_")))
    } else {
        Err(ServiceError::invalid(
            "language_code",
            "The language is a code such as en, de or en_us; leave it empty to detect it.",
        ))
    }
}

/// Stores the account.
///
/// # Errors
/// `Invalid` naming the field; `Conflict` without a secrets key; database errors.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    f: &TranscriptionSettingsForm,
    meta: &RequestMeta,
) -> ServiceResult<TranscriptionSettingsView> {
    actor.require(Action::ManageChannels)?;
    let scope = actor.scope;
    let w = scope.workspace_id();
    let base = provider::api_base(&f.api_base, DEFAULT_BASE, "AssemblyAI")?;
    let lang = language(&f.language_code)?;
    let key = f.api_key.trim();
    let uow = UnitOfWork::begin(state).await?;
    let existing = scope
        .find::<transcription_account::Entity>()
        .one(&*uow)
        .await?;
    if key.is_empty() && existing.is_none() {
        return Err(ServiceError::invalid(
            "api_key",
            "Paste the API key (AssemblyAI dashboard → API keys).",
        ));
    }
    if !key.is_empty() && (key.len() < 16 || key.chars().any(char::is_whitespace)) {
        return Err(ServiceError::invalid(
            "api_key",
            "The API key is at least 16 characters, without spaces.",
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
    let mut am: transcription_account::ActiveModel = match existing {
        Some(r) => r.into(),
        None => transcription_account::ActiveModel {
            workspace_id: Set(w),
            hook_token: Set(provider::hook_token()),
            hook_secret: Set(provider::seal(
                state,
                &new_token().0,
                &hook_aad(w),
                "api_key",
                "a transcription webhook secret",
            )?),
            created_at: Set(t),
            ..Default::default()
        },
    };
    if !key.is_empty() {
        am.api_key = Set(provider::seal(
            state,
            key,
            &key_aad(w),
            "api_key",
            "a transcription API key",
        )?);
    }
    am.api_base = Set(base);
    am.language_code = Set(lang.clone());
    am.attachments = Set(f.attachments);
    am.calls = Set(f.calls);
    am.updated_at = Set(t);
    am.save(&*uow).await?;
    activity::record(
        &*uow,
        scope,
        &Who::from(actor),
        meta,
        Entry::new("channels.transcription_set").diff(
            None,
            Some(serde_json::json!({
                "api_base": f.api_base.trim(),
                "language_code": lang,
                "attachments": f.attachments,
                "calls": f.calls,
                "api_key": if key.is_empty() { "unchanged".to_owned() } else { crate::services::ai::secrets::hint(key) },
            })),
        ),
    )
    .await?;
    uow.commit().await?;
    page(state, actor).await
}

/// Checks the key with the provider.
///
/// # Errors
/// Permission; `Conflict` when not set up or the provider refuses (with why).
pub async fn test(state: &AppState, actor: &Actor) -> ServiceResult<String> {
    actor.require(Action::ManageChannels)?;
    let Some(a) = account(state, &state.db, actor.scope).await? else {
        return Err(ServiceError::conflict(
            "api_key",
            "Set up transcription first: paste the API key and save.",
        ));
    };
    a.client
        .check()
        .await
        .map_err(|e| ServiceError::conflict("api_key", e.message))?;
    Ok(format!(
        "The transcription service accepted the key ({}).",
        a.row.api_base.as_deref().unwrap_or(DEFAULT_BASE)
    ))
}

/// Removes the account: nothing new is transcribed and webhooks stop being
/// accepted (transcripts already made stay).
///
/// # Errors
/// Permission; database errors.
pub async fn remove(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
) -> ServiceResult<TranscriptionSettingsView> {
    provider::disconnect::<transcription_account::Entity>(
        state,
        actor,
        meta,
        "channels.transcription_removed",
    )
    .await?;
    page(state, actor).await
}
