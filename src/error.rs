//! The one error type of the HTTP layer, and the RFC 9457 problem document
//! that every failure becomes.
//!
//! Each variant is described in one place, [`ApiError::spec`]: its status,
//! problem type, title, detail and `Retry-After`. Lower layers' errors
//! become an `ApiError` through the `From` impls at the end of this file,
//! and [`Context`] notes what was being done when something unexpected
//! failed, for the log.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use rand::rand_core::OsError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbError;
use crate::hashing::HashError;
use crate::mail::seal::SealError;
use crate::protection::LimitError;
use crate::session::StoreError;

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
    /// The account's own password, asked for again, was wrong.
    WrongPassword,
    EmailTaken,
    /// A mailed token that is unknown, used, voided, expired or malformed.
    InvalidToken,
    /// `REQUIRE_VERIFIED_EMAIL` and the account's email is not verified.
    EmailUnverified,
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
    /// A dependency is unreachable or too slow; the reason is logged where
    /// the outage is met (`crate::outage`), never sent.
    Unavailable(String),
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

/// Everything a client is told about one error.
struct Spec {
    status: StatusCode,
    slug: &'static str,
    title: &'static str,
    detail: Cow<'static, str>,
    retry_after_secs: Option<u64>,
}

impl Spec {
    fn new(
        status: StatusCode,
        slug: &'static str,
        title: &'static str,
        detail: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            status,
            slug,
            title,
            detail: detail.into(),
            retry_after_secs: None,
        }
    }

    fn retry_after(self, seconds: u64) -> Self {
        Self {
            retry_after_secs: Some(seconds),
            ..self
        }
    }
}

impl ApiError {
    fn spec(&self) -> Spec {
        use StatusCode as S;
        match self {
            Self::BadRequest(detail) => {
                Spec::new(S::BAD_REQUEST, "bad-request", "Bad request", detail.clone())
            }
            Self::UnsupportedMediaType => Spec::new(
                S::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                "The body must be sent as application/json.",
            ),
            Self::PayloadTooLarge { limit } => Spec::new(
                S::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
                match limit {
                    0 => Cow::Borrowed("The body is too large."),
                    limit => format!("The body is larger than the limit of {limit} bytes.").into(),
                },
            ),
            Self::Validation(_) => Spec::new(
                S::UNPROCESSABLE_ENTITY,
                "validation",
                "Validation failed",
                "One or more fields are invalid.",
            ),
            Self::Unauthenticated => Spec::new(
                S::UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
                "Log in to use this endpoint.",
            ),
            Self::InvalidCredentials => Spec::new(
                S::UNAUTHORIZED,
                "invalid-credentials",
                "Invalid email or password",
                "The email or the password is wrong.",
            ),
            Self::WrongPassword => Spec::new(
                S::FORBIDDEN,
                "wrong-password",
                "Wrong password",
                "The password is wrong.",
            ),
            Self::EmailTaken => Spec::new(
                S::CONFLICT,
                "email-taken",
                "Email already registered",
                "An account with this email already exists.",
            ),
            Self::InvalidToken => Spec::new(
                S::BAD_REQUEST,
                "invalid-token",
                "Invalid or expired token",
                "The token is unknown, used, replaced by a newer one, or expired; ask for a new link.",
            ),
            Self::EmailUnverified => Spec::new(
                S::FORBIDDEN,
                "email-unverified",
                "Email not verified",
                "Verify your email with the link mailed to it first.",
            ),
            Self::RateLimited { retry_after_secs } => Spec::new(
                S::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests",
                format!("Too many attempts; try again in {retry_after_secs} s."),
            )
            .retry_after(*retry_after_secs),
            Self::ForbiddenOrigin => Spec::new(
                S::FORBIDDEN,
                "forbidden-origin",
                "Cross-site request refused",
                "State-changing requests are accepted only from this site and ALLOWED_ORIGINS.",
            ),
            Self::NotFound => Spec::new(
                S::NOT_FOUND,
                "not-found",
                "Not found",
                "There is nothing at this path.",
            ),
            Self::MethodNotAllowed => Spec::new(
                S::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                "This path does not accept this method; see the Allow header.",
            ),
            Self::RequestTimeout => Spec::new(
                S::REQUEST_TIMEOUT,
                "request-timeout",
                "Request timeout",
                "The request did not arrive in time; the connection is closed.",
            ),
            Self::Overloaded => Spec::new(
                S::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                "Too many passwords are being checked; try again shortly.",
            )
            .retry_after(1),
            Self::Unavailable(_) => Spec::new(
                S::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                "The service cannot answer right now; try again shortly.",
            )
            .retry_after(1),
            Self::Internal(_) => Spec::new(
                S::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal server error",
                "Something went wrong on our side.",
            ),
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
            StatusCode::SERVICE_UNAVAILABLE => Self::Unavailable("service unavailable".to_owned()),
            status if status.is_client_error() => {
                Self::BadRequest("The request could not be understood.".to_owned())
            }
            status => Self::Internal(anyhow::anyhow!("unexpected {status} response")),
        }
    }

    pub fn problem(&self) -> Problem {
        let spec = self.spec();
        Problem {
            problem_type: format!("/problems/{}", spec.slug),
            title: spec.title.to_owned(),
            status: spec.status.as_u16(),
            detail: spec.detail.into_owned(),
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
            Self::Unavailable(reason) => write!(f, "unavailable: {reason}"),
            Self::Internal(source) => write!(f, "internal error: {source:#}"),
            other => f.write_str(other.spec().title),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.spec().status
    }

    fn error_response(&self) -> HttpResponse {
        // Outages are logged where they are met, once per outage
        // (`crate::outage`), not here once per request.
        if let Self::Internal(source) = self {
            log::error!("{source:#}");
        }
        let spec = self.spec();
        let mut response = HttpResponse::build(spec.status);
        response.content_type(PROBLEM_JSON);
        if let Some(seconds) = spec.retry_after_secs {
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

/// Notes what was being done when something unexpected failed, so that
/// the log says more than the bare error (outages and client errors pass
/// through unchanged: they are not faults of ours).
pub trait Context<T> {
    fn context(self, doing: &'static str) -> Result<T, ApiError>;
}

impl<T, E: Into<ApiError>> Context<T> for Result<T, E> {
    fn context(self, doing: &'static str) -> Result<T, ApiError> {
        self.map_err(|error| match error.into() {
            ApiError::Internal(source) => ApiError::Internal(source.context(doing)),
            other => other,
        })
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Unavailable(reason) => Self::Unavailable(format!("MySQL: {reason}")),
            // The one unique key a request can collide with is the email's.
            DbError::Duplicate => Self::EmailTaken,
            other => Self::Internal(other.into()),
        }
    }
}

impl From<HashError> for ApiError {
    fn from(error: HashError) -> Self {
        match error {
            HashError::Busy => Self::Overloaded,
            HashError::Failed(source) => Self::Internal(source),
        }
    }
}

impl From<LimitError> for ApiError {
    fn from(error: LimitError) -> Self {
        match error {
            LimitError::Limited { retry_after_secs } => Self::RateLimited { retry_after_secs },
            LimitError::Unavailable(source) => {
                Self::Unavailable(format!("rate limits (Redis): {source:#}"))
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        Self::Unavailable(error.to_string())
    }
}

/// A link that cannot be sealed: the system's randomness failed.
impl From<SealError> for ApiError {
    fn from(error: SealError) -> Self {
        Self::Internal(error.into())
    }
}

impl From<actix_session::SessionInsertError> for ApiError {
    fn from(error: actix_session::SessionInsertError) -> Self {
        Self::Internal(error.into())
    }
}

/// A token could not be drawn from the operating system's generator.
impl From<OsError> for ApiError {
    fn from(error: OsError) -> Self {
        Self::Internal(anyhow::anyhow!("drawing a token: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retry_after(error: &ApiError) -> Option<String> {
        let response = error.error_response();
        let value = response.headers().get(header::RETRY_AFTER)?;
        Some(value.to_str().ok()?.to_owned())
    }

    #[test]
    fn retry_after_goes_with_429_and_503_only() {
        let limited = ApiError::RateLimited {
            retry_after_secs: 7,
        };
        assert_eq!(retry_after(&limited), Some("7".to_owned()));
        for unavailable in [ApiError::Overloaded, ApiError::Unavailable("x".into())] {
            assert_eq!(unavailable.status_code(), 503);
            assert_eq!(retry_after(&unavailable), Some("1".to_owned()));
        }
        let internal = ApiError::Internal(anyhow::anyhow!("boom"));
        assert_eq!(retry_after(&internal), None);
    }

    #[test]
    fn context_wraps_faults_and_leaves_outages_alone() {
        let fault: Result<(), ApiError> =
            Err(ApiError::Internal(anyhow::anyhow!("no row"))).context("loading the user");
        let Err(ApiError::Internal(source)) = fault else {
            panic!("still internal");
        };
        assert_eq!(format!("{source:#}"), "loading the user: no row");
        let outage: Result<(), ApiError> =
            Err(DbError::Unavailable("gone".into())).context("loading the user");
        assert!(matches!(outage, Err(ApiError::Unavailable(_))));
    }
}
