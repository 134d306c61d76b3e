//! The workspace's tracking provider: which one, its API base and keys
//! (sealed at rest, like the Stripe keys), and the settings page.

use super::{Account, Provider};
use crate::permissions::Action;
use crate::services::activity::{self, Entry, Who};
use crate::services::context::{Actor, RequestMeta};
use crate::services::tenancy::Scoped;
use crate::services::uow::UnitOfWork;
use crate::services::{now, AppState, ServiceError, ServiceResult};
use crate::types::{ShippingSettingsForm, ShippingSettingsView};
use entity::shipping_setting;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

fn aad(workspace_id: i32, what: &str) -> Vec<u8> {
    format!("shipping:{workspace_id}:{what}").into_bytes()
}

/// The workspace's provider account, if set up.
///
/// # Errors
/// `Internal` when a stored key cannot be opened; database errors.
pub async fn account(
    state: &AppState,
    db: &impl ConnectionTrait,
    scope: Scoped,
) -> ServiceResult<Option<Account>> {
    let Some(row) = scope.find::<shipping_setting::Entity>().one(db).await? else {
        return Ok(None);
    };
    let (Some(provider), Some(key)) = (Provider::parse(&row.provider), &row.api_key) else {
        return Ok(None);
    };
    let Some(sb) = &state.secrets else {
        return Err(ServiceError::Internal(
            "Carrier keys are stored but the server has no secrets key to open them.".into(),
        ));
    };
    let open = |v: &str, what: &str| {
        sb.open(v, &aad(scope.workspace_id(), what))
            .map_err(|e| ServiceError::Internal(format!("{} {what}: {e}", provider.label())))
    };
    Ok(Some(Account {
        provider,
        api_base: row
            .api_base
            .clone()
            .unwrap_or_else(|| provider.default_base().to_owned()),
        api_key: open(key, "api_key")?,
        webhook_secret: row
            .webhook_secret
            .as_deref()
            .map(|w| open(w, "webhook_secret"))
            .transpose()?,
    }))
}

/// The settings page.
///
/// # Errors
/// Permission; database errors.
pub async fn page(state: &AppState, actor: &Actor) -> ServiceResult<ShippingSettingsView> {
    actor.require(Action::ManageWorkspaceSettings)?;
    let brand = crate::services::kb::structure::default_brand(&state.db, actor.scope).await?;
    let base = state.config.base_url().trim_end_matches('/').to_owned();
    let a = account(state, &state.db, actor.scope).await?;
    Ok(ShippingSettingsView {
        provider: a.as_ref().map(|a| a.provider.as_str().to_owned()),
        api_base: a
            .as_ref()
            .filter(|a| a.api_base != a.provider.default_base())
            .map(|a| a.api_base.clone())
            .unwrap_or_default(),
        key_hint: a
            .as_ref()
            .map(|a| crate::services::ai::secrets::hint(&a.api_key)),
        has_webhook_secret: a.as_ref().is_some_and(|a| a.webhook_secret.is_some()),
        easypost_webhook_url: format!("{base}/hooks/easypost/{}", brand.slug),
        shipengine_webhook_url: format!("{base}/hooks/shipengine/{}", brand.slug),
        can_store_keys: state.secrets.is_some(),
    })
}

/// Stores the provider account (sealed).
///
/// # Errors
/// `Invalid` naming the field; `Conflict` without a secrets key; database
/// errors.
pub async fn set(state: &AppState, scope: Scoped, f: &ShippingSettingsForm) -> ServiceResult<()> {
    let Some(provider) = Provider::parse(f.provider.trim()) else {
        return Err(ServiceError::invalid(
            "provider",
            "Choose the tracking provider: EasyPost or ShipEngine.",
        ));
    };
    let mut base = f.api_base.trim().to_owned();
    if !(base.is_empty() || base.starts_with("https://") || base.starts_with("http://")) {
        return Err(ServiceError::invalid(
            "api_base",
            format!(
                "The API base is an http(s) address, or empty for {}'s own.",
                provider.label()
            ),
        ));
    }
    if !base.is_empty() && !base.ends_with('/') {
        base.push('/');
    }
    let key = f.api_key.trim();
    if key.len() < 8 || key.chars().any(char::is_whitespace) {
        return Err(ServiceError::invalid(
            "api_key",
            format!(
                "Paste the {} API key (at least 8 characters, no spaces).",
                provider.label()
            ),
        ));
    }
    let secret = f.webhook_secret.trim();
    if provider == Provider::EasyPost && secret.len() < 8 {
        return Err(ServiceError::invalid(
            "webhook_secret",
            "EasyPost signs webhooks with the secret you gave its webhook (at least 8 characters): paste the same here.",
        ));
    }
    let Some(sb) = &state.secrets else {
        return Err(ServiceError::conflict(
            "api_key",
            "No secrets key is configured on the server (secrets_key), so carrier keys cannot be stored.",
        ));
    };
    let w = scope.workspace_id();
    let t = now();
    let uow = UnitOfWork::begin(state).await?;
    let mut am: shipping_setting::ActiveModel =
        match scope.find::<shipping_setting::Entity>().one(&*uow).await? {
            Some(r) => r.into(),
            None => shipping_setting::ActiveModel {
                workspace_id: Set(w),
                created_at: Set(t),
                ..Default::default()
            },
        };
    am.provider = Set(provider.as_str().to_owned());
    am.api_base = Set((!base.is_empty()).then_some(base));
    am.api_key = Set(Some(sb.seal(key, &aad(w, "api_key"))));
    am.webhook_secret =
        Set((provider == Provider::EasyPost).then(|| sb.seal(secret, &aad(w, "webhook_secret"))));
    am.updated_at = Set(t);
    am.save(&*uow).await?;
    uow.commit().await?;
    Ok(())
}

/// Sets up the tracking provider (admins); logged without the keys.
///
/// # Errors
/// Permission; as [`set`].
pub async fn save(
    state: &AppState,
    actor: &Actor,
    f: &ShippingSettingsForm,
    meta: &RequestMeta,
) -> ServiceResult<ShippingSettingsView> {
    actor.require(Action::ManageWorkspaceSettings)?;
    set(state, actor.scope, f).await?;
    activity::record(
        &state.db,
        actor.scope,
        &Who::from(actor),
        meta,
        Entry::new("store.tracking_provider_set").diff(
            None,
            Some(serde_json::json!({
                "provider": f.provider.trim(),
                "api_base": f.api_base.trim(),
                "api_key": crate::services::ai::secrets::hint(f.api_key.trim()),
            })),
        ),
    )
    .await?;
    page(state, actor).await
}
