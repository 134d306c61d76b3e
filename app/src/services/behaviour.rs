//! Behaviour on the customer's own site (SPEC C10.1): page views and the site's
//! own events, reported by the widget script (`widget.js`) through the widget's
//! frame. Rows are keyed by the visitor; a customer's behaviour is that of the
//! visitors their chat identifiers name (so merging customers merges it too),
//! which is how segments test it (`segments::to_sql`).

use super::channels::widget::{origin_allowed, Visitor};
use super::{now, AppState, ServiceError, ServiceResult};
use crate::types::IdentifierKind;
use entity::{customer_identifier, visitor_event};
use sea_orm::ColumnTrait;
use sea_orm::{ActiveModelTrait, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use std::time::Duration;

use super::tenancy::Scoped;

/// The longest page address kept.
pub const MAX_URL: usize = 2_000;
/// The largest event properties (JSON, bytes).
pub const MAX_PROPERTIES: usize = 2_048;
/// Page views and events one visitor may report a minute.
pub const PER_VISITOR_PER_MINUTE: usize = 120;

/// The origin of an `http(s)` address (`https://shop.test:8080`), lower case.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.contains('@') {
        return None;
    }
    Some(format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        host.to_ascii_lowercase()
    ))
}

/// A page address the widget reported, checked: `http(s)`, not too long, on a
/// site allowed to embed the widget.
///
/// # Errors
/// `Invalid` (not an address); `Forbidden` (a site the widget is not allowed on).
pub fn check_page(v: &Visitor, url: &str) -> ServiceResult<String> {
    let url = url.trim();
    if url.len() > MAX_URL || url.chars().any(char::is_whitespace) {
        return Err(ServiceError::invalid(
            "url",
            "The page address must be an http(s) address of at most 2,000 characters.",
        ));
    }
    let origin = origin_of(url).ok_or_else(|| {
        ServiceError::invalid(
            "url",
            "The page address must start with http:// or https://.",
        )
    })?;
    if !origin_allowed(&v.settings, Some(&origin)) {
        return Err(ServiceError::forbidden(format!(
            "The chat widget is not allowed on {origin} (Settings → Channels → Chat widget → allowed sites)."
        )));
    }
    Ok(url.to_owned())
}

/// Enforces the visitor's rate for page views, events and message counts.
///
/// # Errors
/// `RateLimited`.
pub(crate) fn limited(state: &AppState, v: &Visitor) -> ServiceResult<()> {
    state.limiter.enforce(
        &format!("widget-behaviour:{}", v.visitor_id),
        PER_VISITOR_PER_MINUTE,
        Duration::from_secs(60),
        "Too many page views and events from this visitor. Try again",
    )
}

/// Records a page view (the address already checked by [`check_page`]).
///
/// # Errors
/// `RateLimited`; database errors.
pub async fn page_view(state: &AppState, v: &Visitor, url: &str, title: &str) -> ServiceResult<()> {
    limited(state, v)?;
    let path = crate::types::path_of(url);
    insert(
        &state.db,
        v,
        "page",
        path.split('?').next().unwrap_or(path),
        url,
        title,
        "{}",
    )
    .await
}

/// Checks an event's name: letters, digits, spaces, `.`, `_`, `-`; at most 64
/// characters; kept in lower case.
///
/// # Errors
/// `Invalid`, naming `name`.
pub fn event_name(name: &str) -> ServiceResult<String> {
    let n = name.trim().to_lowercase();
    if crate::types::is_event_name(&n) {
        Ok(n)
    } else {
        Err(ServiceError::invalid(
            "name",
            "An event's name is 1 to 64 letters, digits, spaces, dots, dashes or underscores (such as signed_up).",
        ))
    }
}

/// Records one of the site's own events (`Switchboard('track', name, props)`),
/// on the page at `url` when the script knows it.
///
/// # Errors
/// `Invalid` name or properties; `RateLimited`; database errors.
pub async fn event(
    state: &AppState,
    v: &Visitor,
    name: &str,
    properties: Option<&serde_json::Value>,
    url: Option<&str>,
) -> ServiceResult<()> {
    let name = event_name(name)?;
    let props = match properties {
        None | Some(serde_json::Value::Null) => "{}".to_owned(),
        Some(p @ serde_json::Value::Object(_)) => {
            let s = p.to_string();
            if s.len() > MAX_PROPERTIES {
                return Err(ServiceError::invalid(
                    "properties",
                    "An event's properties can be at most 2 KB of JSON.",
                ));
            }
            s
        }
        Some(_) => {
            return Err(ServiceError::invalid(
                "properties",
                "An event's properties are an object, such as {\"plan\": \"pro\"}.",
            ))
        }
    };
    let url = match url.map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => check_page(v, u)?,
        None => String::new(),
    };
    limited(state, v)?;
    insert(&state.db, v, "event", &name, &url, "", &props).await?;
    // Campaigns that start with this event take the customer in.
    if let Some(customer) = v.customer_id {
        crate::services::campaigns::runner::on_event(state, v.scope, customer, &name).await?;
    }
    Ok(())
}

async fn insert(
    db: &impl ConnectionTrait,
    v: &Visitor,
    kind: &str,
    name: &str,
    url: &str,
    title: &str,
    properties: &str,
) -> ServiceResult<()> {
    visitor_event::ActiveModel {
        workspace_id: Set(v.scope.workspace_id()),
        visitor_id: Set(v.visitor_id.clone()),
        kind: Set(kind.to_owned()),
        name: Set(name.chars().take(500).collect()),
        url: Set(url.to_owned()),
        title: Set(title.trim().chars().take(300).collect()),
        properties: Set(properties.to_owned()),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The event names the workspace's sites have sent (for the segment editor),
/// at most 200, alphabetical.
///
/// # Errors
/// Database errors.
/// The paths of the pages a customer's visitors (their chat identifiers) saw
/// since `since`, each once, at most 500.
///
/// # Errors
/// Database errors.
pub async fn pages_since(
    db: &impl ConnectionTrait,
    scope: Scoped,
    customer_id: i32,
    since: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<Vec<String>> {
    let visitors: Vec<String> = scope
        .find::<customer_identifier::Entity>()
        .filter(customer_identifier::Column::CustomerId.eq(customer_id))
        .filter(customer_identifier::Column::Kind.eq(IdentifierKind::Chat.as_str()))
        .select_only()
        .column(customer_identifier::Column::Value)
        .into_tuple()
        .all(db)
        .await?;
    if visitors.is_empty() {
        return Ok(Vec::new());
    }
    Ok(scope
        .find::<visitor_event::Entity>()
        .filter(visitor_event::Column::VisitorId.is_in(visitors))
        .filter(visitor_event::Column::Kind.eq("page"))
        .filter(visitor_event::Column::CreatedAt.gte(since))
        .select_only()
        .column(visitor_event::Column::Name)
        .distinct()
        .order_by_asc(visitor_event::Column::Name)
        .limit(500)
        .into_tuple::<String>()
        .all(db)
        .await?)
}

pub async fn event_names(db: &impl ConnectionTrait, scope: Scoped) -> ServiceResult<Vec<String>> {
    Ok(scope
        .find::<visitor_event::Entity>()
        .filter(visitor_event::Column::Kind.eq("event"))
        .select_only()
        .column(visitor_event::Column::Name)
        .distinct()
        .order_by_asc(visitor_event::Column::Name)
        .limit(200)
        .into_tuple::<String>()
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_names() {
        assert_eq!(
            origin_of("HTTPS://Shop.Test:8080/a?b").as_deref(),
            Some("https://shop.test:8080")
        );
        assert_eq!(origin_of("javascript:alert(1)"), None);
        assert_eq!(origin_of("https://user@evil.test/"), None);
        assert_eq!(event_name(" Signed_Up ").ok().as_deref(), Some("signed_up"));
        assert!(event_name("").is_err());
        assert!(event_name("a<b").is_err());
    }
}
