//! The OpenAPI document, generated from the handlers' annotations.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, mime};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::{Config, SwaggerUi};

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

/// The document as `make openapi` writes it to `openapi/openapi.json`.
pub fn openapi_json_text() -> String {
    let mut text = ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|error| unreachable!("the document serializes: {error}"));
    text.push('\n');
    text
}

static OPENAPI_JSON: LazyLock<String> = LazyLock::new(openapi_json_text);

pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(mime::APPLICATION_JSON)
        .body(OPENAPI_JSON.as_str())
}

/// `/api-docs` without the slash: the page's relative links need it.
pub async fn to_docs_page() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/api-docs/"))
        .finish()
}

/// The interactive docs at `/api-docs/`: Swagger UI compiled into the
/// binary, reading our document and calling nothing outside (no validator
/// badge, which would fetch from swagger.io).
pub fn swagger_ui() -> SwaggerUi {
    SwaggerUi::new("/api-docs/{_:.*}")
        .config(Config::from("/api-docs/openapi.json").validator_url("none"))
}
