//! The one error type that crosses the wire between server functions and the
//! browser. Services have their own error (`services::ServiceError`), converted here
//! exactly once; internal details are logged there and never shown to a person.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// An error a person can act on, or an opaque internal failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Input was invalid; `field` names the form field when there is one.
    #[error("{message}")]
    Validation {
        /// Form field the message belongs to.
        field: Option<String>,
        /// What was wrong, in words a person understands.
        message: String,
    },
    /// No signed-in session.
    #[error("Please sign in to continue.")]
    Unauthenticated,
    /// Signed in, but the role does not allow the action.
    #[error("{0}")]
    Forbidden(String),
    /// The thing does not exist (or belongs to another workspace).
    #[error("{0} was not found.")]
    NotFound(String),
    /// The request conflicts with the current state (e.g. email taken).
    #[error("{message}")]
    Conflict {
        /// Form field the message belongs to.
        field: Option<String>,
        /// What conflicts.
        message: String,
    },
    /// Too many attempts.
    #[error("{message}")]
    RateLimited {
        /// What to do about it.
        message: String,
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// Something failed on the server; details are in the server log.
    #[error("Something went wrong on our side. Please try again in a moment.")]
    Internal,
    /// The request could not reach the server or its answer could not be read.
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

impl AppError {
    /// A validation error for one form field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation {
            field: Some(field.to_owned()),
            message: message.into(),
        }
    }

    /// Stable machine-readable code, used in JSON error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation { .. } => "validation_failed",
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Conflict { .. } => "conflict",
            Self::RateLimited { .. } => "rate_limited",
            Self::Internal => "internal",
            Self::Transport(_) => "transport",
        }
    }

    /// HTTP status for this error.
    pub fn status(&self) -> u16 {
        match self {
            Self::Validation { .. } => 422,
            Self::Unauthenticated => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound(_) => 404,
            Self::Conflict { .. } => 409,
            Self::RateLimited { .. } => 429,
            Self::Internal | Self::Transport(_) => 500,
        }
    }

    /// The form field this error belongs to, if any.
    pub fn field_name(&self) -> Option<&str> {
        match self {
            Self::Validation { field, .. } | Self::Conflict { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    /// The `{error: {code, message, details}}` body used by JSON endpoints.
    pub fn to_json_body(&self) -> serde_json::Value {
        let details = match self {
            Self::Validation { field, .. } | Self::Conflict { field, .. } => {
                serde_json::json!({ "field": field })
            }
            Self::RateLimited {
                retry_after_secs, ..
            } => serde_json::json!({ "retry_after_secs": retry_after_secs }),
            _ => serde_json::json!({}),
        };
        serde_json::json!({
            "error": { "code": self.code(), "message": self.to_string(), "details": details }
        })
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::Deserialization(m) => Self::Validation {
                field: None,
                message: format!("The request was malformed: {m}"),
            },
            other => Self::Transport(other.to_string()),
        }
    }
}
