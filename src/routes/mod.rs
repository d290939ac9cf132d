//! HTTP handlers, grouped by capability, and the route table.

mod account;
mod auth;
mod docs;
mod email;
mod export;
mod extract;
mod health;
mod input;
mod paging;
mod password;
mod password_check;
mod schema;
mod security;
mod sessions;
mod spa;
mod status;

use actix_web::middleware::from_fn;
use actix_web::{HttpResponse, Route, web};

pub use docs::openapi_json_text;

use crate::error::ApiError;
use crate::middleware::{same_origin_only, session_store_failure};
use crate::session::SessionLayer;

/// Registers every route. Paths are resources so that a wrong method gets
/// `405` with `Allow` (actix's `#[post]`-style macros would answer 404).
pub fn configure(cfg: &mut web::ServiceConfig, sessions: &SessionLayer, api_docs: bool) {
    let with_session = |route: Route| {
        route
            .wrap(sessions.middleware())
            .wrap(from_fn(session_store_failure))
    };
    // State-changing routes refuse other sites first (after routing, so a
    // wrong path or method still gets its 404 or 405).
    let changing = |route: Route| route.wrap(from_fn(same_origin_only));
    cfg.service(
        web::resource("/register").route(changing(with_session(web::post().to(auth::register)))),
    )
    .service(web::resource("/login").route(changing(
        with_session(web::post().to(auth::login)).wrap(from_fn(auth::refused_login)),
    )))
    .service(web::resource("/logout").route(changing(with_session(web::post().to(auth::logout)))))
    .service(web::resource("/checkemail").route(changing(web::post().to(auth::check_email))))
    .service(web::resource("/email/verify").route(changing(web::post().to(email::verify_email))))
    .service(
        web::resource("/email/verify/resend").route(changing(with_session(
            web::post().to(email::resend_verification),
        ))),
    )
    .service(
        web::resource("/password/forgot")
            .route(changing(web::post().to(password::forgot_password))),
    )
    .service(
        web::resource("/password/reset").route(changing(with_session(
            web::post().to(password::reset_password),
        ))),
    )
    .service(
        web::resource("/me")
            .route(with_session(web::get().to(account::me)))
            .route(with_session(web::head().to(account::me)))
            .route(changing(with_session(web::patch().to(account::rename))))
            .route(changing(with_session(
                web::delete().to(account::delete_account),
            ))),
    )
    .service(web::resource("/me/password").route(changing(with_session(
        web::post().to(account::change_password),
    ))))
    .service(web::resource("/me/email").route(changing(with_session(
        web::post().to(account::change_email),
    ))))
    .service(
        web::resource("/me/export")
            .route(with_session(web::get().to(export::export)))
            .route(with_session(web::head().to(export::export))),
    )
    .service(
        web::resource("/me/security-events")
            .route(with_session(web::get().to(security::security_events)))
            .route(with_session(web::head().to(security::security_events))),
    )
    .service(
        web::resource("/addStatus")
            .route(changing(with_session(web::post().to(status::add_status)))),
    )
    .service(
        web::resource("/fetchStatus")
            .route(with_session(web::get().to(status::fetch_status)))
            .route(with_session(web::head().to(status::fetch_status))),
    )
    .service(web::resource("/statuses/{id}").route(changing(with_session(
        web::delete().to(status::delete_status),
    ))))
    .service(
        web::resource("/sessions")
            .route(with_session(web::get().to(sessions::list_sessions)))
            .route(with_session(web::head().to(sessions::list_sessions)))
            .route(changing(with_session(
                web::delete().to(sessions::revoke_other_sessions),
            ))),
    )
    .service(web::resource("/sessions/{id}").route(changing(with_session(
        web::delete().to(sessions::revoke_session),
    ))))
    .service(
        web::resource("/healthz")
            .route(web::get().to(health::healthz))
            .route(web::head().to(health::healthz)),
    )
    .service(
        web::resource("/readyz")
            .route(web::get().to(health::readyz))
            .route(web::head().to(health::readyz)),
    );
    if api_docs {
        cfg.service(
            web::resource("/api-docs/openapi.json")
                .route(web::get().to(docs::openapi_json))
                .route(web::head().to(docs::openapi_json)),
        )
        .service(web::resource("/api-docs").to(docs::to_docs_page))
        .service(
            web::resource("/api-docs/{file:.*}")
                .route(web::get().to(docs::docs_file))
                .route(web::head().to(docs::docs_file)),
        );
    }
}

/// The SPA's files from `STATIC_DIR`, after every API route.
pub fn configure_static(cfg: &mut web::ServiceConfig, static_dir: Option<&std::path::Path>) {
    if let Some(dir) = static_dir {
        cfg.service(spa::files(dir.to_path_buf()));
    }
}

/// Anything no route matched.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}
