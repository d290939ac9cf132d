//! The single-page app's built files, with the contract's fallback: an HTML
//! navigation to a path that is neither an API path nor a file gets
//! `index.html`, so that the app's own routes (`/home`) survive a reload.

use std::path::PathBuf;

use actix_files::{Files, NamedFile};
use actix_web::dev::{ServiceRequest, ServiceResponse, fn_service};
use actix_web::{ResponseError, guard, http::header};

use crate::error::ApiError;

/// Serves `dir` at `/` for `GET` and `HEAD`; other methods, and every path
/// an API route matched first, never reach it.
pub fn files(dir: PathBuf) -> Files {
    let index = dir.join("index.html");
    Files::new("/", dir)
        .index_file("index.html")
        .guard(guard::Any(guard::Get()).or(guard::Head()))
        .default_handler(fn_service(move |req: ServiceRequest| {
            let index = index.clone();
            async move {
                if !wants_the_app(&req) {
                    let response = ApiError::NotFound.error_response();
                    return Ok(req.into_response(response));
                }
                let (req, _) = req.into_parts();
                let response = match NamedFile::open(&index) {
                    Ok(file) => file.into_response(&req),
                    Err(error) => ApiError::Internal(error.into()).error_response(),
                };
                Ok(ServiceResponse::new(req, response))
            }
        }))
}

/// A browser navigation (it accepts HTML) outside `/api-docs`.
fn wants_the_app(req: &ServiceRequest) -> bool {
    let accepts_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    accepts_html && !req.path().starts_with("/api-docs")
}
