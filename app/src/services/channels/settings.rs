//! Channel settings: one row per workspace and channel (chat, email, web form),
//! created with defaults on first use. Holds the chat widget's public key and
//! allowed origins, the inbound email webhook's secret token, the email from-address
//! and IMAP mailbox, the form's categories, and the formatting rules.

use super::super::context::Actor;
use super::super::security::new_token;
use super::super::tenancy::{Scoped, System};
use super::super::{now, AppState, ServiceError, ServiceResult};
use crate::permissions::Action;
use crate::types::{
    validate_email, Channel, ChannelSettingsView, FormatRules, DEFAULT_FORM_CATEGORIES,
};
use entity::channel_setting;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, QueryFilter, Set, SqlErr,
};
use serde_json::{json, Value};

/// The channels that have settings pages.
pub const CONFIGURABLE: &[Channel] = &[Channel::Chat, Channel::Email, Channel::WebForm];

fn random_key(prefix: &str) -> String {
    let t: String = new_token()
        .0
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(24)
        .collect();
    format!("{prefix}{t}")
}

fn defaults(channel: Channel) -> (Value, FormatRules) {
    let email_rules = FormatRules {
        tone: "formal".into(),
        max_words: 500,
        max_chars: None,
        greeting: Some("Hi {{ customer.first_name }},".into()),
        signoff: Some("Best regards,\n{{ agent.name }}\n{{ workspace.name }}".into()),
        include_reference: true,
    };
    match channel {
        Channel::Chat => (
            json!({
                "allowed_origins": [],
                "color": "#4f46e5",
                "welcome": "Hi! Ask us anything — we usually answer within a few minutes.",
                "ask_email": true,
            }),
            FormatRules {
                tone: "semi_formal".into(),
                max_words: 300,
                max_chars: None,
                greeting: None,
                signoff: None,
                include_reference: true,
            },
        ),
        Channel::Email => (
            json!({ "from_name": "", "from_address": "", "send_confirmation": true, "csat_survey": true, "imap": null }),
            email_rules,
        ),
        Channel::WebForm => (
            json!({ "categories": DEFAULT_FORM_CATEGORIES, "send_confirmation": true, "csat_survey": true }),
            email_rules,
        ),
        Channel::Sms | Channel::Whatsapp => (
            json!({}),
            FormatRules {
                tone: "conversational".into(),
                max_words: 60,
                max_chars: Some(300),
                greeting: None,
                signoff: None,
                include_reference: false,
            },
        ),
        _ => (
            json!({}),
            FormatRules {
                tone: "semi_formal".into(),
                max_words: 300,
                ..FormatRules::default()
            },
        ),
    }
}

/// The settings of `channel`, created with defaults (and fresh keys) when missing.
///
/// # Errors
/// Database errors.
pub async fn get_or_create(
    db: &impl ConnectionTrait,
    scope: Scoped,
    channel: Channel,
) -> ServiceResult<channel_setting::Model> {
    if let Some(m) = find(db, scope, channel).await? {
        return Ok(m);
    }
    let (config, f) = defaults(channel);
    let t = now();
    let row = channel_setting::ActiveModel {
        workspace_id: Set(scope.workspace_id()),
        channel: Set(channel.as_str().to_owned()),
        enabled: Set(true),
        public_key: Set((channel == Channel::Chat).then(|| random_key("pk_"))),
        inbound_token: Set((channel == Channel::Email).then(|| random_key("in_"))),
        config: Set(config.to_string()),
        tone: Set(f.tone),
        max_words: Set(f.max_words),
        max_chars: Set(f.max_chars),
        greeting: Set(f.greeting),
        signoff: Set(f.signoff),
        include_reference: Set(f.include_reference),
        poll_state: Set(None),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(db)
    .await;
    match row {
        Ok(r) => Ok(r),
        // Created concurrently by another request: use that one.
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            find(db, scope, channel)
                .await?
                .ok_or(ServiceError::NotFound("Channel settings"))
        }
        Err(e) => Err(e.into()),
    }
}

/// The settings of `channel`, if they exist.
///
/// # Errors
/// Database errors.
pub async fn find(
    db: &impl ConnectionTrait,
    scope: Scoped,
    channel: Channel,
) -> ServiceResult<Option<channel_setting::Model>> {
    Ok(scope
        .find::<channel_setting::Entity>()
        .filter(channel_setting::Column::Channel.eq(channel.as_str()))
        .one(db)
        .await?)
}

/// The chat settings holding a public widget key (any workspace).
///
/// # Errors
/// Database errors.
pub async fn by_public_key(
    db: &impl ConnectionTrait,
    key: &str,
) -> ServiceResult<Option<channel_setting::Model>> {
    if key.len() > 64 || !key.starts_with("pk_") {
        return Ok(None);
    }
    Ok(System::new("a widget key names its workspace")
        .find::<channel_setting::Entity>()
        .filter(channel_setting::Column::PublicKey.eq(key))
        .one(db)
        .await?)
}

/// The email settings holding an inbound webhook token (any workspace).
///
/// # Errors
/// Database errors.
pub async fn by_inbound_token(
    db: &impl ConnectionTrait,
    token: &str,
) -> ServiceResult<Option<channel_setting::Model>> {
    if token.len() > 64 || !token.starts_with("in_") {
        return Ok(None);
    }
    Ok(System::new("an inbound email token names its workspace")
        .find::<channel_setting::Entity>()
        .filter(channel_setting::Column::InboundToken.eq(token))
        .one(db)
        .await?)
}

/// The channel-specific configuration object of a row.
pub fn config(m: &channel_setting::Model) -> Value {
    serde_json::from_str(&m.config).unwrap_or_else(|_| json!({}))
}

/// The formatting rules of a row.
pub fn rules(m: &channel_setting::Model) -> FormatRules {
    FormatRules {
        tone: m.tone.clone(),
        max_words: m.max_words,
        max_chars: m.max_chars,
        greeting: m.greeting.clone(),
        signoff: m.signoff.clone(),
        include_reference: m.include_reference,
    }
}

/// The admin's view of a row.
pub fn view(state: &AppState, m: &channel_setting::Model) -> ChannelSettingsView {
    let channel = Channel::parse(&m.channel).unwrap_or(Channel::Api);
    let base = state.config.base_url();
    let mut cfg = config(m);
    // The IMAP password never leaves the server.
    if let Some(imap) = cfg.get_mut("imap").and_then(Value::as_object_mut) {
        if imap.contains_key("password") {
            imap.insert("password".into(), json!("********"));
        }
    }
    let poll_status = m.poll_state.as_deref().and_then(|s| {
        let v: Value = serde_json::from_str(s).ok()?;
        let at = v.get("last_polled_at")?.as_str()?.to_owned();
        Some(match v.get("last_error").and_then(Value::as_str) {
            Some(e) => format!("Last poll {at} failed: {e}"),
            None => format!(
                "Last poll {at}: {} new message(s)",
                v.get("fetched").and_then(Value::as_i64).unwrap_or(0)
            ),
        })
    });
    ChannelSettingsView {
        channel: m.channel.clone(),
        label: channel.label().to_owned(),
        enabled: m.enabled,
        public_key: m.public_key.clone(),
        inbound_url: m
            .inbound_token
            .as_ref()
            .map(|t| format!("{base}/hooks/email/{t}")),
        snippet: m
            .public_key
            .as_ref()
            .map(|k| format!("<script src=\"{base}/widget.js\" data-key=\"{k}\" async></script>")),
        config: cfg,
        format: rules(m),
        poll_status,
        public_url: None,
    }
}

/// Every configurable channel of the workspace (created with defaults when new).
///
/// # Errors
/// Permission; database errors.
pub async fn list(state: &AppState, actor: &Actor) -> ServiceResult<Vec<ChannelSettingsView>> {
    actor.require(Action::ManageChannels)?;
    let slug = super::super::tenancy::global::<entity::workspace::Entity>()
        .filter(entity::workspace::Column::Id.eq(actor.scope.workspace_id()))
        .one(&state.db)
        .await?
        .and_then(|w| w.slug)
        .unwrap_or_default();
    let mut out = Vec::new();
    for c in CONFIGURABLE {
        let m = get_or_create(&state.db, actor.scope, *c).await?;
        let mut v = view(state, &m);
        if *c == Channel::WebForm {
            v.public_url = Some(format!("{}/support/{slug}", state.config.base_url()));
        }
        out.push(v);
    }
    Ok(out)
}

fn check_origin(o: &str) -> ServiceResult<String> {
    let o = o.trim().trim_end_matches('/').to_lowercase();
    let rest = o
        .strip_prefix("https://")
        .or_else(|| o.strip_prefix("http://"));
    let ok = rest.is_some_and(|r| {
        !r.is_empty()
            && !r.contains('/')
            && r.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '*'))
    });
    if ok {
        Ok(o)
    } else {
        Err(ServiceError::invalid(
            "allowed_origins",
            format!("`{o}` is not an origin: write it like https://shop.example.com (scheme and host, no path)."),
        ))
    }
}

fn check_config(channel: Channel, v: &Value) -> ServiceResult<Value> {
    let obj = v.as_object().ok_or_else(|| {
        ServiceError::invalid("config", "The channel settings must be a JSON object.")
    })?;
    let (mut base, _) = defaults(channel);
    let Some(out) = base.as_object_mut() else {
        return Ok(base);
    };
    for (k, val) in obj {
        if !out.contains_key(k) {
            return Err(ServiceError::invalid(
                "config",
                format!("Unknown setting `{k}` for the {} channel.", channel.label()),
            ));
        }
        out.insert(k.clone(), val.clone());
    }
    for k in ["send_confirmation", "csat_survey", "ask_email"] {
        if out.get(k).is_some_and(|v| !v.is_boolean()) {
            return Err(ServiceError::invalid(
                k,
                format!("`{k}` is a switch: true or false."),
            ));
        }
    }
    match channel {
        Channel::Chat => {
            let origins = out
                .get("allowed_origins")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut clean = Vec::new();
            for o in origins {
                clean.push(Value::String(check_origin(o.as_str().unwrap_or_default())?));
            }
            out.insert("allowed_origins".into(), Value::Array(clean));
            let color = out.get("color").and_then(Value::as_str).unwrap_or_default();
            let hex_ok = color.len() == 7
                && color.starts_with('#')
                && color[1..].chars().all(|c| c.is_ascii_hexdigit());
            if !hex_ok {
                return Err(ServiceError::invalid(
                    "color",
                    "Choose the colour as a hex value like #4f46e5.",
                ));
            }
        }
        Channel::Email => {
            let addr = out
                .get("from_address")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .trim()
                .to_owned();
            if !addr.is_empty() {
                let a =
                    validate_email(&addr).map_err(|m| ServiceError::invalid("from_address", m))?;
                out.insert("from_address".into(), Value::String(a));
            }
            if let Some(imap) = out.get("imap").filter(|v| !v.is_null()) {
                let host = imap.get("host").and_then(Value::as_str).unwrap_or_default();
                let user = imap
                    .get("username")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if host.trim().is_empty() || user.trim().is_empty() {
                    return Err(ServiceError::invalid(
                        "imap",
                        "The IMAP mailbox needs a host and a username.",
                    ));
                }
                let port = imap.get("port").and_then(Value::as_u64).unwrap_or(993);
                if port == 0 || port > 65_535 {
                    return Err(ServiceError::invalid(
                        "imap",
                        "The IMAP port must be 1–65535.",
                    ));
                }
                let sec = imap
                    .get("security")
                    .and_then(Value::as_str)
                    .unwrap_or("tls");
                if !matches!(sec, "tls" | "starttls" | "none") {
                    return Err(ServiceError::invalid(
                        "imap",
                        "IMAP security must be tls, starttls or none.",
                    ));
                }
            }
        }
        Channel::WebForm => {
            let cats: Vec<String> = out
                .get("categories")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            if cats.is_empty() || cats.len() > 30 {
                return Err(ServiceError::invalid(
                    "categories",
                    "Offer between 1 and 30 categories.",
                ));
            }
            out.insert("categories".into(), json!(cats));
        }
        _ => {}
    }
    Ok(base)
}

fn check_rules(f: &FormatRules) -> ServiceResult<()> {
    if !matches!(f.tone.as_str(), "formal" | "semi_formal" | "conversational") {
        return Err(ServiceError::invalid(
            "tone",
            "Tone must be formal, semi_formal or conversational.",
        ));
    }
    if !(0..=5000).contains(&f.max_words) {
        return Err(ServiceError::invalid(
            "max_words",
            "The word limit must be between 0 (none) and 5,000.",
        ));
    }
    for (field, t) in [("greeting", &f.greeting), ("signoff", &f.signoff)] {
        if let Some(t) = t {
            super::super::inbox::canned::render_with(
                t,
                &super::super::inbox::canned::sample_context(),
            )
            .map_err(|e| match e {
                ServiceError::Invalid { message, .. } => ServiceError::invalid(field, message),
                other => other,
            })?;
        }
    }
    Ok(())
}

/// Changes a channel's settings (enabled, channel configuration, formatting rules).
/// A configuration that leaves out the IMAP password keeps the stored one.
///
/// # Errors
/// Permission; `Invalid` with the field; database errors.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    channel: Channel,
    enabled: bool,
    config_in: &Value,
    format: &FormatRules,
) -> ServiceResult<ChannelSettingsView> {
    actor.require(Action::ManageChannels)?;
    if !CONFIGURABLE.contains(&channel) {
        return Err(ServiceError::invalid(
            "channel",
            "This channel has no settings yet.",
        ));
    }
    let mut cfg = check_config(channel, config_in)?;
    check_rules(format)?;
    let row = get_or_create(&state.db, actor.scope, channel).await?;
    if channel == Channel::Email {
        let old = config(&row);
        let keep = |v: &Value| {
            v.get("imap")
                .and_then(|i| i.get("password"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let given = keep(&cfg).filter(|p| !p.is_empty() && p != "********");
        if let Some(imap) = cfg.get_mut("imap").and_then(Value::as_object_mut) {
            match given.or_else(|| keep(&old)) {
                Some(p) => imap.insert("password".into(), json!(p)),
                None => imap.remove("password"),
            };
        }
    }
    let mut am = row.into_active_model();
    am.enabled = Set(enabled);
    am.config = Set(cfg.to_string());
    am.tone = Set(format.tone.clone());
    am.max_words = Set(format.max_words);
    am.max_chars = Set(format.max_chars);
    am.greeting = Set(format.greeting.clone().filter(|s| !s.trim().is_empty()));
    am.signoff = Set(format.signoff.clone().filter(|s| !s.trim().is_empty()));
    am.include_reference = Set(format.include_reference);
    am.updated_at = Set(now());
    let m = am.update(&state.db).await?;
    Ok(view(state, &m))
}

/// Replaces the chat key or the inbound email token (the old one stops working).
///
/// # Errors
/// Permission; database errors.
pub async fn rotate_key(
    state: &AppState,
    actor: &Actor,
    channel: Channel,
) -> ServiceResult<ChannelSettingsView> {
    actor.require(Action::ManageChannels)?;
    let row = get_or_create(&state.db, actor.scope, channel).await?;
    let mut am = row.into_active_model();
    match channel {
        Channel::Chat => am.public_key = Set(Some(random_key("pk_"))),
        Channel::Email => am.inbound_token = Set(Some(random_key("in_"))),
        _ => {
            return Err(ServiceError::invalid(
                "channel",
                "Only the chat widget and inbound email have keys.",
            ))
        }
    }
    am.updated_at = Set(now());
    let m = am.update(&state.db).await?;
    Ok(view(state, &m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked() {
        assert_eq!(
            check_origin("https://Shop.Example.com/").ok().as_deref(),
            Some("https://shop.example.com")
        );
        assert!(check_origin("http://127.0.0.1:3000").is_ok());
        assert!(check_origin("shop.example.com").is_err());
        assert!(check_origin("https://shop.example.com/path").is_err());
    }

    #[test]
    fn unknown_settings_are_refused() {
        assert!(check_config(Channel::Chat, &json!({"colour": "#fff"})).is_err());
        assert!(check_config(Channel::Chat, &json!({"color": "blue"})).is_err());
        assert!(check_config(Channel::Chat, &json!({"color": "#112233"})).is_ok());
        assert!(check_config(Channel::WebForm, &json!({"categories": []})).is_err());
    }
}
