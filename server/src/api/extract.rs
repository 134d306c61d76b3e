//! Request extractors whose rejections are [`ApiError`]s a person can act on (the
//! field, what was wrong), instead of axum's plain-text rejections; and the
//! pagination parameters shared by the list endpoints.

use crate::http::ApiError;
use app::error::AppError;
use app::services::ServiceError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// Default page size.
pub const DEFAULT_LIMIT: u64 = 25;
/// Largest page size.
pub const MAX_LIMIT: u64 = 100;

/// A JSON body. Rejections: 422 naming the field for unknown fields, missing
/// fields and wrong types; 422 for a body that is not JSON at all.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim();
                m.eq_ignore_ascii_case("application/json") || m.ends_with("+json")
            });
        if !is_json {
            return Err(AppError::field(
                "body",
                "Send a JSON body with `Content-Type: application/json`.",
            )
            .into());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            ApiError(AppError::field(
                "body",
                format!("The request body could not be read: {}", e.body_text()),
            ))
        })?;
        parse_json(&bytes).map(Self)
    }
}

/// Deserializes JSON, turning serde's error into a field and a sentence.
///
/// # Errors
/// 422 with `details.field` set to the JSON path when one is known.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let inner = e.inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError(AppError::Validation {
                field: None,
                message: format!("The body is not valid JSON: {inner}."),
            });
        }
        let path = e.path().to_string();
        let message = inner.to_string();
        // Unknown and missing fields are reported at their parent; name the field.
        let named = ["unknown field `", "missing field `"]
            .iter()
            .find_map(|p| message.strip_prefix(p))
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned);
        // serde_path_to_error includes an unknown field in the path, not a missing one.
        let field = match (path.as_str(), named) {
            (".", Some(n)) => n,
            (p, Some(n)) if p == n || p.ends_with(&format!(".{n}")) => p.to_owned(),
            (p, Some(n)) => format!("{p}.{n}"),
            (".", None) => "body".to_owned(),
            (p, None) => p.to_owned(),
        };
        ApiError(AppError::field(
            &field,
            format!("Invalid `{field}`: {message}."),
        ))
    })?;
    de.end().map_err(|e| {
        ApiError(AppError::Validation {
            field: None,
            message: format!("The body is not valid JSON: {e}."),
        })
    })?;
    Ok(value)
}

/// Query parameters. Query structs take strings (checked by the handler, with the
/// parameter's name in the error) and deny unknown parameters, so a typo such as
/// `?stauts=open` is an error instead of a silently unfiltered list.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(Self(v)),
            Err(rejection) => {
                let text = rejection.body_text();
                let text = text
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&text);
                // "limit: invalid digit…" or "unknown field `x`, expected one of …"
                let (field, detail) = match text.split_once(": ") {
                    Some((f, rest))
                        if !f.is_empty()
                            && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                    {
                        (f.to_owned(), rest)
                    }
                    _ => (
                        text.strip_prefix("unknown field `")
                            .and_then(|r| r.split('`').next())
                            .unwrap_or("query")
                            .to_owned(),
                        text,
                    ),
                };
                Err(
                    AppError::field(&field, format!("Bad query parameter `{field}`: {detail}."))
                        .into(),
                )
            }
        }
    }
}

/// The one path parameter of a route (`{id}` or `{number}`), as text.
#[derive(Debug)]
pub struct PathParam(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathParam {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(p)| Self(p))
            .map_err(|e| ApiError(AppError::field("path", e.body_text())))
    }
}

impl PathParam {
    /// A positive id; anything else cannot name a row, so `what` was not found.
    ///
    /// # Errors
    /// 404.
    pub fn id(&self, what: &str) -> Result<i32, ApiError> {
        self.0
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| ApiError(AppError::NotFound(what.to_owned())))
    }

    /// A conversation number: `123`, `TKT-000123` or `#123`.
    ///
    /// # Errors
    /// 404.
    pub fn number(&self) -> Result<i32, ApiError> {
        app::types::parse_ticket_ref(&self.0)
            .ok_or_else(|| ApiError(AppError::NotFound("Conversation".to_owned())))
    }
}

/// `limit`: 1..=100, default 25.
///
/// # Errors
/// 422 on `limit`.
pub fn limit(raw: Option<&str>) -> Result<u64, ApiError> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(DEFAULT_LIMIT);
    };
    raw.parse::<u64>()
        .ok()
        .filter(|n| (1..=MAX_LIMIT).contains(n))
        .ok_or_else(|| {
            AppError::field(
                "limit",
                format!("`limit` must be a whole number from 1 to {MAX_LIMIT}; got `{raw}`."),
            )
            .into()
        })
}

/// An id cursor (the last id of the previous page).
///
/// # Errors
/// 422 on `cursor`.
pub fn id_cursor(raw: Option<&str>) -> Result<Option<i32>, ApiError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(c) => c.parse::<i32>().map(Some).map_err(|_| {
            AppError::field(
                "cursor",
                "This cursor is not one this endpoint gave out: pass `next_cursor` back as is, or omit it to start over.",
            )
            .into()
        }),
    }
}

/// An optional integer parameter.
///
/// # Errors
/// 422 on `field`.
pub fn int(raw: Option<&str>, field: &str) -> Result<Option<i32>, ApiError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse::<i32>().map(Some).map_err(|_| {
            AppError::field(
                field,
                format!("`{field}` must be a whole number; got `{v}`."),
            )
            .into()
        }),
    }
}

/// Comma-separated values, each parsed by `parse`; `allowed` is listed in errors.
///
/// # Errors
/// 422 on `field` for a value `parse` refuses.
pub fn list_of<T>(
    raw: Option<&str>,
    field: &str,
    parse: impl Fn(&str) -> Option<T>,
    allowed: &[&str],
) -> Result<Vec<T>, ApiError> {
    raw.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|v| {
            parse(v).ok_or_else(|| {
                ApiError(AppError::field(
                    field,
                    format!(
                        "`{v}` is not a valid `{field}`: use {}.",
                        allowed.join(", ")
                    ),
                ))
            })
        })
        .collect()
}

/// Renames the field of a service's validation error to the API's name for it
/// (`value` → `identifier_value`).
pub fn renamed(e: ServiceError, from: &str, to: &'static str) -> ServiceError {
    match e {
        ServiceError::Invalid {
            field: Some(f),
            message,
        } if f == from => ServiceError::Invalid {
            field: Some(to),
            message,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        name: String,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        count: u32,
        inner: Option<Inner>,
    }

    fn field_of(body: &str) -> Option<String> {
        parse_json::<Outer>(body.as_bytes())
            .err()
            .and_then(|e| e.0.field_name().map(str::to_owned))
    }

    #[test]
    fn json_errors_name_the_field() {
        assert_eq!(
            field_of(r#"{"count": 1, "colour": 2}"#).as_deref(),
            Some("colour")
        );
        assert_eq!(field_of(r#"{"inner": null}"#).as_deref(), Some("count"));
        assert_eq!(field_of(r#"{"count": "x"}"#).as_deref(), Some("count"));
        assert_eq!(
            field_of(r#"{"count": 1, "inner": {"name": "a", "x": 1}}"#).as_deref(),
            Some("inner.x")
        );
        assert_eq!(field_of(r#"{"count": 1,"#), None);
        let Ok(ok) = parse_json::<Outer>(br#"{"count": 1, "inner": {"name": "a"}}"#) else {
            panic!("valid body refused");
        };
        assert_eq!(ok.count, 1);
        assert_eq!(ok.inner.map(|i| i.name).as_deref(), Some("a"));
    }

    #[test]
    fn limits_and_cursors() {
        assert!(matches!(limit(None), Ok(25)));
        assert!(matches!(limit(Some("100")), Ok(100)));
        assert!(limit(Some("0")).is_err());
        assert!(limit(Some("101")).is_err());
        assert!(limit(Some("ten")).is_err());
        assert!(matches!(id_cursor(Some("42")), Ok(Some(42))));
        assert!(id_cursor(Some("x")).is_err());
    }
}
