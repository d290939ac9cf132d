//! The OpenAPI document, generated from the handlers' annotations.

use actix_web::HttpResponse;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{auth, health, status};
use crate::domain::{Status, StatusPage, User};
use crate::error::Problem;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "status-api",
        description = "Accounts, cookie sessions kept in Redis, and short status posts kept in MySQL. \
                       Errors are RFC 9457 problem documents (`application/problem+json`)."
    ),
    paths(
        auth::register,
        auth::login,
        auth::logout,
        auth::check_email,
        auth::me,
        status::add_status,
        status::fetch_status,
        health::healthz,
        health::readyz,
    ),
    components(schemas(Problem, User, Status, StatusPage)),
    modifiers(&SessionCookie),
    tags(
        (name = "accounts", description = "Registration, login and the session"),
        (name = "statuses", description = "Your status posts"),
        (name = "operations", description = "Health and readiness"),
    )
)]
pub struct ApiDoc;

/// The `sid` cookie that `/register` and `/login` set.
struct SessionCookie;

impl Modify for SessionCookie {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::session::SESSION_COOKIE,
            ))),
        );
    }
}

pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
