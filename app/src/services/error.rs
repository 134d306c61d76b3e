//! The service-layer error, converted once into [`crate::error::AppError`] at the
//! edge. Database and internal failures are logged at that conversion, never shown.

use crate::error::AppError;
use sea_orm::DbErr;

/// Result of a service call.
pub type ServiceResult<T> = Result<T, ServiceError>;

/// What can go wrong in a service.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Bad input for a field.
    #[error("invalid input ({field:?}): {message}")]
    Invalid {
        /// Field name.
        field: Option<&'static str>,
        /// Message for a person.
        message: String,
    },
    /// No session.
    #[error("not signed in")]
    Unauthenticated,
    /// Not allowed.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Missing (or another workspace's).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Conflicts with current state.
    #[error("conflict ({field:?}): {message}")]
    Conflict {
        /// Field name.
        field: Option<&'static str>,
        /// Message for a person.
        message: String,
    },
    /// Too many attempts.
    #[error("rate limited: {message}")]
    RateLimited {
        /// Message for a person.
        message: String,
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// Database failure.
    #[error("database: {0}")]
    Db(#[from] DbErr),
    /// Any other internal failure.
    #[error("internal: {0}")]
    Internal(String),
}

impl ServiceError {
    /// Invalid input for a named field.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: Some(field),
            message: message.into(),
        }
    }

    /// Conflict on a named field.
    pub fn conflict(field: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            field: Some(field),
            message: message.into(),
        }
    }

    /// Not allowed, with the reason.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }
}

impl From<ServiceError> for AppError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid { field, message } => AppError::Validation {
                field: field.map(str::to_owned),
                message,
            },
            ServiceError::Unauthenticated => AppError::Unauthenticated,
            ServiceError::Forbidden(m) => AppError::Forbidden(m),
            ServiceError::NotFound(what) => AppError::NotFound(what.to_owned()),
            ServiceError::Conflict { field, message } => AppError::Conflict {
                field: field.map(str::to_owned),
                message,
            },
            ServiceError::RateLimited {
                message,
                retry_after_secs,
            } => AppError::RateLimited {
                message,
                retry_after_secs,
            },
            ServiceError::Db(err) => {
                tracing::error!(error = %err, "database error");
                AppError::Internal
            }
            ServiceError::Internal(err) => {
                tracing::error!(error = %err, "internal error");
                AppError::Internal
            }
        }
    }
}
