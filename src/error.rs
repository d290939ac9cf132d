//! The one error type of the HTTP layer, and the RFC 9457 problem document
//! that every failure becomes.

use std::collections::BTreeMap;
use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// Messages per field, for `422` answers.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    UnsupportedMediaType,
    PayloadTooLarge {
        limit: usize,
    },
    Validation(FieldErrors),
    Unauthenticated,
    InvalidCredentials,
    EmailTaken,
    RateLimited {
        retry_after_secs: u64,
    },
    ForbiddenOrigin,
    NotFound,
    MethodNotAllowed,
    /// The request's head or body had not fully arrived in time; the
    /// connection is closed after the answer.
    RequestTimeout,
    /// The hashing queue is full: load, not a fault, so it is not logged.
    Overloaded,
    /// A dependency is unreachable or too slow.
    Unavailable {
        reason: String,
        retry_after_secs: u32,
    },
    /// Anything unexpected. The source is logged and never sent.
    Internal(anyhow::Error),
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation",
    "title": "Validation failed",
    "status": 422,
    "detail": "One or more fields are invalid.",
    "errors": {"email": ["must be a valid email address"]}
}))]
pub struct Problem {
    #[serde(rename = "type")]
    #[schema(example = "/problems/validation")]
    pub problem_type: String,
    pub title: String,
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    pub detail: String,
    /// Only on validation failures: messages per field.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<std::collections::HashMap<String, Vec<String>>>)]
    pub errors: Option<FieldErrors>,
}

pub const PROBLEM_JSON: &str = "application/problem+json";

impl ApiError {
    pub fn validation(errors: FieldErrors) -> Self {
        Self::Validation(errors)
    }

    pub fn unavailable(reason: impl Into<String>) -> Self {
        Self::Unavailable {
            reason: reason.into(),
            retry_after_secs: 1,
        }
    }

    /// The error that a bare status from elsewhere (actix's own 404 and 405,
    /// an extractor's 400) stands for.
    pub fn from_status(status: StatusCode) -> Self {
        match status {
            StatusCode::NOT_FOUND => Self::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType,
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge { limit: 0 },
            StatusCode::REQUEST_TIMEOUT => Self::RequestTimeout,
            StatusCode::UNAUTHORIZED => Self::Unauthenticated,
            StatusCode::SERVICE_UNAVAILABLE => Self::unavailable("service unavailable"),
            status if status.is_client_error() => {
                Self::BadRequest("The request could not be understood.".to_owned())
            }
            status => Self::Internal(anyhow::anyhow!("unexpected {status} response")),
        }
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            Self::BadRequest(_) => ("bad-request", "Bad request"),
            Self::UnsupportedMediaType => ("unsupported-media-type", "Unsupported media type"),
            Self::PayloadTooLarge { .. } => ("payload-too-large", "Payload too large"),
            Self::Validation(_) => ("validation", "Validation failed"),
            Self::Unauthenticated => ("unauthenticated", "Authentication required"),
            Self::InvalidCredentials => ("invalid-credentials", "Invalid email or password"),
            Self::EmailTaken => ("email-taken", "Email already registered"),
            Self::RateLimited { .. } => ("rate-limited", "Too many requests"),
            Self::ForbiddenOrigin => ("forbidden-origin", "Cross-site request refused"),
            Self::NotFound => ("not-found", "Not found"),
            Self::MethodNotAllowed => ("method-not-allowed", "Method not allowed"),
            Self::RequestTimeout => ("request-timeout", "Request timeout"),
            Self::Unavailable { .. } | Self::Overloaded => ("unavailable", "Service unavailable"),
            Self::Internal(_) => ("internal", "Internal server error"),
        }
    }

    fn detail(&self) -> String {
        match self {
            Self::BadRequest(detail) => detail.clone(),
            Self::UnsupportedMediaType => "The body must be sent as application/json.".to_owned(),
            Self::PayloadTooLarge { limit: 0 } => "The body is too large.".to_owned(),
            Self::PayloadTooLarge { limit } => {
                format!("The body is larger than the limit of {limit} bytes.")
            }
            Self::Validation(_) => "One or more fields are invalid.".to_owned(),
            Self::Unauthenticated => "Log in to use this endpoint.".to_owned(),
            Self::InvalidCredentials => "The email or the password is wrong.".to_owned(),
            Self::EmailTaken => "An account with this email already exists.".to_owned(),
            Self::RateLimited { retry_after_secs } => {
                format!("Too many attempts; try again in {retry_after_secs} s.")
            }
            Self::ForbiddenOrigin => {
                "State-changing requests are accepted only from this site and ALLOWED_ORIGINS."
                    .to_owned()
            }
            Self::NotFound => "There is nothing at this path.".to_owned(),
            Self::MethodNotAllowed => {
                "This path does not accept this method; see the Allow header.".to_owned()
            }
            Self::RequestTimeout => {
                "The request did not arrive in time; the connection is closed.".to_owned()
            }
            Self::Unavailable { .. } => {
                "The service cannot answer right now; try again shortly.".to_owned()
            }
            Self::Overloaded => {
                "Too many passwords are being checked; try again shortly.".to_owned()
            }
            Self::Internal(_) => "Something went wrong on our side.".to_owned(),
        }
    }

    pub fn problem(&self) -> Problem {
        let (slug, title) = self.slug_and_title();
        Problem {
            problem_type: format!("/problems/{slug}"),
            title: title.to_owned(),
            status: self.status_code().as_u16(),
            detail: self.detail(),
            errors: match self {
                Self::Validation(errors) => Some(errors.clone()),
                _ => None,
            },
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unavailable { reason, .. } => write!(f, "unavailable: {reason}"),
            Self::Internal(source) => write!(f, "internal error: {source:#}"),
            other => f.write_str(other.slug_and_title().1),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthenticated | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::EmailTaken => StatusCode::CONFLICT,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::ForbiddenOrigin => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::Unavailable { .. } | Self::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        // Outages are logged where they are met, once per outage
        // (`crate::outage`), not here once per request.
        if let Self::Internal(source) = self {
            log::error!("{source:#}");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type(PROBLEM_JSON);
        let retry_after = match self {
            Self::Unavailable {
                retry_after_secs, ..
            } => Some(u64::from(*retry_after_secs)),
            Self::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            Self::Overloaded => Some(1),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            response.insert_header((header::RETRY_AFTER, HeaderValue::from(seconds)));
        }
        if matches!(self, Self::RequestTimeout) {
            // The rest of the request may still be on its way: no next
            // request could be told from it.
            response.force_close();
        }
        response.json(self.problem())
    }
}

impl From<crate::db::DbError> for ApiError {
    fn from(error: crate::db::DbError) -> Self {
        match error {
            crate::db::DbError::Unavailable(reason) => {
                Self::unavailable(format!("MySQL: {reason}"))
            }
            other => Self::Internal(other.into()),
        }
    }
}

impl From<crate::hashing::HashError> for ApiError {
    fn from(error: crate::hashing::HashError) -> Self {
        match error {
            crate::hashing::HashError::Busy => Self::Overloaded,
            crate::hashing::HashError::Failed(source) => Self::Internal(source),
        }
    }
}

impl From<crate::protection::LimitError> for ApiError {
    fn from(error: crate::protection::LimitError) -> Self {
        match error {
            crate::protection::LimitError::Limited { retry_after_secs } => {
                Self::RateLimited { retry_after_secs }
            }
            crate::protection::LimitError::Unavailable(source) => {
                Self::unavailable(format!("rate limits (Redis): {source:#}"))
            }
        }
    }
}

impl From<actix_session::SessionInsertError> for ApiError {
    fn from(error: actix_session::SessionInsertError) -> Self {
        Self::Internal(error.into())
    }
}
