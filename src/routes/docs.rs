//! The OpenAPI document, generated from the handlers' annotations.

use std::sync::{Arc, LazyLock};

use actix_web::http::header;
use actix_web::{HttpResponse, mime, web};
use utoipa::openapi::header::Header;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::Config;

use super::{account, auth, email, export, health, password, security, sessions, status};
use crate::domain::{
    SecurityEvent, SecurityEventKind, SecurityEventPage, Status, StatusPage, User,
};
use crate::error::{ApiError, PROBLEM_JSON, Problem};

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
        email::verify_email,
        email::resend_verification,
        password::forgot_password,
        password::reset_password,
        account::me,
        account::rename,
        account::delete_account,
        account::change_password,
        account::change_email,
        export::export,
        security::security_events,
        status::add_status,
        status::fetch_status,
        status::delete_status,
        sessions::list_sessions,
        sessions::revoke_session,
        sessions::revoke_other_sessions,
        health::healthz,
        health::readyz,
    ),
    components(schemas(
        Problem,
        User,
        Status,
        StatusPage,
        SecurityEvent,
        SecurityEventKind,
        SecurityEventPage
    )),
    modifiers(&SessionCookie, &CrossCutting),
    tags(
        (name = "accounts", description = "Registration, login and the session"),
        (name = "statuses", description = "Your status posts"),
        (name = "sessions", description = "Where you are logged in"),
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

/// The answers the contract gives on every operation, added once here rather
/// than on each handler: 405 with `Allow`; 408 for a slow client; 503 with `Retry-After` wherever a
/// dependency is involved; 403 on state-changing methods (the Origin rule);
/// 400, 413 and 415 wherever a body is read; and `X-Request-Id` on every
/// response.
struct CrossCutting;

impl Modify for CrossCutting {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let needs_dependencies = path != "/healthz";
            // Whether the method changes state, so the Origin rule applies.
            let operations = [
                (false, &mut item.get),
                (true, &mut item.post),
                (true, &mut item.patch),
                (true, &mut item.delete),
            ];
            for (changes_state, operation) in operations {
                let Some(operation) = operation else {
                    continue;
                };
                let has_body = operation.request_body.is_some();
                let responses = &mut operation.responses.responses;
                let mut add = |status: &str, response: Response| {
                    responses
                        .entry(status.to_owned())
                        .or_insert(response.into());
                };
                add(
                    "405",
                    problem(
                        "Wrong method for this path; `Allow` lists the right ones",
                        Some(("Allow", "The methods this path accepts")),
                    ),
                );
                add(
                    "408",
                    problem(
                        "The request's head or body did not arrive within \
                         `REQUEST_TIMEOUT_SECS`; the connection is closed",
                        None,
                    ),
                );
                if needs_dependencies {
                    add(
                        "503",
                        problem(
                            "MySQL or Redis unreachable, or the hashing queue full",
                            Some(("Retry-After", "Whole seconds to wait before trying again")),
                        ),
                    );
                }
                if changes_state {
                    add(
                        "403",
                        problem("`Origin` (or `Referer`) names another site", None),
                    );
                }
                if has_body {
                    add("400", problem("The body is not a JSON object", None));
                    add("413", problem("The body is over `BODY_LIMIT_BYTES`", None));
                    add(
                        "415",
                        problem("The body is not sent as `application/json`", None),
                    );
                }
                for response in responses.values_mut() {
                    if let RefOr::T(response) = response {
                        response.headers.insert(
                            "X-Request-Id".to_owned(),
                            string_header(
                                "The request's id: the client's own if it was safe, else a new one",
                            ),
                        );
                    }
                }
            }
        }
    }
}

fn header(schema_type: Type, description: &str) -> RefOr<Header> {
    let mut header = Header::new(ObjectBuilder::new().schema_type(schema_type));
    header.description = Some(description.to_owned());
    RefOr::T(header)
}

fn string_header(description: &str) -> RefOr<Header> {
    header(Type::String, description)
}

fn problem(description: &str, extra_header: Option<(&str, &str)>) -> Response {
    let mut response = ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            Content::new(Some(Ref::from_schema_name("Problem"))),
        )
        .build();
    if let Some((name, description)) = extra_header {
        // `Allow` is a list of methods; `Retry-After`, whole seconds.
        let schema_type = if name == "Retry-After" {
            Type::Integer
        } else {
            Type::String
        };
        response
            .headers
            .insert(name.to_owned(), header(schema_type, description));
    }
    response
}

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

/// The interactive docs at `/api-docs/` read our own document and call
/// nothing outside (no validator badge, which would fetch from swagger.io).
static SWAGGER_CONFIG: LazyLock<Arc<Config<'static>>> =
    LazyLock::new(|| Arc::new(Config::from("/api-docs/openapi.json").validator_url("none")));

/// A file of the interactive docs (Swagger UI, compiled into the binary),
/// for `GET` and `HEAD` alike: utoipa's own actix service answers `GET`
/// only. An unknown file is the usual `404` problem.
pub async fn docs_file(file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let found = utoipa_swagger_ui::serve(&file, Arc::clone(&SWAGGER_CONFIG))
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("Swagger UI's {file}: {error}")))?
        .ok_or(ApiError::NotFound)?;
    let mut response = HttpResponse::Ok();
    if found.gzpipped {
        response.insert_header(header::ContentEncoding::Gzip);
    }
    Ok(response
        .content_type(found.content_type)
        .body(found.bytes.into_owned()))
}
