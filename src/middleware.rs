//! Cross-cutting request handling: request ids and the access log, problem
//! JSON for every error, and session-store failures as `503`.

use std::time::Instant;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::{ErrorHandlerResponse, Next};
use actix_web::{Error, HttpMessage, ResponseError, mime, web};
use rand::Rng;

use crate::context::ApiContext;
use crate::error::{ApiError, PROBLEM_JSON};
use crate::outage;
use crate::protection::{AllowedOrigins, Client, TrustedProxies, is_cross_site};
use crate::telemetry::with_request_id;

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A client's id is kept when it is safe to log and echo; otherwise the
/// request gets a fresh one.
fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(&X_REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|id| is_valid_request_id(id))
        .map_or_else(new_request_id, str::to_owned)
}

/// A fresh id, for a request without a usable one of its own.
pub fn new_request_id() -> String {
    format!("{:032x}", rand::rng().random::<u128>())
}

fn is_valid_request_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// Tags the request with its id (response header and every log line) and
/// writes the access-log line.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = request_id(&req);
    let header_value = HeaderValue::from_str(&id).map_err(actix_web::error::ErrorBadRequest)?;
    with_request_id(id, async move {
        let started = Instant::now();
        let method = req.method().clone();
        let path = req.path().to_owned();
        let client = resolve_client(&req);
        req.extensions_mut().insert(client);
        let peer = client.ip;
        // Inner layers turn every failure into a response (see
        // `session_store_failure`), so an `Err` here cannot carry one.
        let mut response = next.call(req).await?.map_into_boxed_body();
        response.headers_mut().insert(X_REQUEST_ID, header_value);
        log::info!(
            target: "access",
            "{peer} \"{method} {path}\" {} {:.1}ms",
            response.status().as_u16(),
            started.elapsed().as_secs_f64() * 1000.0
        );
        Ok(response)
    })
    .await
}

fn resolve_client(req: &ServiceRequest) -> Client {
    let ctx = req.app_data::<web::Data<ApiContext>>();
    Client::resolve(
        req.peer_addr(),
        req.headers(),
        req.app_config().secure(),
        ctx.map_or(&TrustedProxies::default(), |ctx| &ctx.trusted_proxies),
    )
}

/// Wraps the state-changing routes (after routing, so 404 and 405 win):
/// `403 forbidden-origin` when `Origin` (or, without it, `Referer`) names
/// another site. A request with neither, as curl sends, passes.
pub async fn same_origin_only(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let cross_site = match req.app_data::<web::Data<ApiContext>>() {
        Some(ctx) => is_cross_site(&req, &ctx.allowed_origins),
        None => is_cross_site(&req, &AllowedOrigins::default()),
    };
    if cross_site {
        let response = ApiError::ForbiddenOrigin.error_response();
        return Ok(req.into_response(response).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// Every method the service answers on some path.
const SERVED_METHODS: [Method; 6] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PATCH,
    Method::DELETE,
    Method::OPTIONS,
];

/// Any other method, on any path, is answered `405`, under one method name:
/// the metrics label each request with its method, and a label per invented
/// token would add a series per token, forever. Routed as `other`, a known
/// path answers with its own `Allow`; an unknown one with every served method.
pub async fn refuse_unserved_methods(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if SERVED_METHODS.contains(req.method()) {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    req.head_mut().method =
        Method::from_bytes(b"other").unwrap_or_else(|_| unreachable!("a valid method token"));
    let response = next.call(req).await?;
    if response.status() != StatusCode::NOT_FOUND {
        return Ok(response.map_into_left_body());
    }
    let mut refusal = ApiError::MethodNotAllowed.error_response();
    refusal.headers_mut().insert(
        header::ALLOW,
        HeaderValue::from_static("GET, HEAD, POST, PATCH, DELETE, OPTIONS"),
    );
    Ok(response.into_response(refusal).map_into_right_body())
}

/// Only the server's own scripts, styles, images and connections; no
/// framing, plugins or foreign form targets. The one hash admits the single
/// `<style>` element the vendored Swagger UI injects, and nothing else.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='; \
     img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Pages (the SPA's and the docs page) get a Content-Security-Policy, so an
/// injected script has nowhere to come from.
pub async fn html_content_security_policy(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let mut response = next.call(req).await?;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"text/html"));
    if is_html {
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
    }
    Ok(response)
}

/// Gives every error response without a JSON body (actix's own 404s and
/// 405s, extractor errors) the problem body its status stands for, keeping
/// headers such as `Allow`. JSON answers (problems, `/readyz`) pass as
/// they are.
pub fn problem_for_bare_errors<B>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value == mime::APPLICATION_JSON.as_ref() || value == PROBLEM_JSON);
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let (req, original) = res.into_parts();
    let mut problem = ApiError::from_status(original.status()).error_response();
    for (name, value) in original.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            problem.headers_mut().append(name.clone(), value.clone());
        }
    }
    let response = ServiceResponse::new(req, problem).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(response))
}

/// actix-session answers a store failure with a bare 500 error that never
/// reaches error handlers; wrapped right around it, this makes it the
/// `503` it really is. (It wraps a route, after routing is done: cloning the
/// request earlier would stop actix from recording the matched path.)
pub async fn session_store_failure(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let http_request = req.request().clone();
    match next.call(req).await {
        Ok(response) => {
            outage::REDIS.answered();
            Ok(response.map_into_left_body())
        }
        Err(error) => {
            outage::REDIS.failed(&error);
            let unavailable = ApiError::Unavailable(format!("session store (Redis): {error}"));
            Ok(
                ServiceResponse::new(http_request, unavailable.error_response())
                    .map_into_right_body(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::middleware::{ErrorHandlers, from_fn};
    use actix_web::test::{TestRequest, call_service, init_service, read_body_json};
    use actix_web::{App, HttpResponse};
    use serde_json::Value;

    use super::*;

    /// actix's own errors, in process, through the layers that make them
    /// problem JSON.
    async fn answer(request: TestRequest) -> (u16, Option<String>, Value) {
        let app = init_service(
            App::new()
                .service(web::resource("/thing").route(web::get().to(HttpResponse::Ok)))
                .wrap(from_fn(refuse_unserved_methods))
                .wrap(ErrorHandlers::new().default_handler(problem_for_bare_errors)),
        )
        .await;
        let response = call_service(&app, request.to_request()).await;
        let status = response.status().as_u16();
        let allow = response
            .headers()
            .get(header::ALLOW)
            .map(|value| value.to_str().unwrap_or_default().to_owned());
        let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
        assert_eq!(
            content_type.as_ref().map(HeaderValue::as_bytes),
            Some(PROBLEM_JSON.as_bytes())
        );
        (status, allow, read_body_json(response).await)
    }

    #[actix_web::test]
    async fn bare_404s_and_405s_become_problems_and_keep_allow() {
        let (status, _, body) = answer(TestRequest::get().uri("/nothing")).await;
        assert_eq!(
            (status, body["type"].as_str()),
            (404, Some("/problems/not-found"))
        );
        let (status, allow, body) = answer(TestRequest::post().uri("/thing")).await;
        assert_eq!(status, 405);
        assert_eq!(allow.as_deref(), Some("GET"));
        assert_eq!(body["type"], "/problems/method-not-allowed");
    }

    #[actix_web::test]
    async fn unserved_methods_are_405_on_any_path() {
        let invented = Method::from_bytes(b"M123").expect("a method token");
        for path in ["/thing", "/nothing"] {
            let request = TestRequest::default().method(invented.clone()).uri(path);
            let (status, allow, _) = answer(request).await;
            assert_eq!(status, 405, "{path}");
            assert!(allow.is_some(), "{path}");
        }
    }

    #[test]
    fn request_ids_follow_the_contract_pattern() {
        assert!(is_valid_request_id("abc-123_x.y:z"));
        assert!(is_valid_request_id(&"a".repeat(128)));
        assert!(!is_valid_request_id(""));
        assert!(!is_valid_request_id(&"a".repeat(129)));
        assert!(!is_valid_request_id("has space"));
        assert!(!is_valid_request_id("semi;colon"));
        assert!(!is_valid_request_id("naïve"));
    }
}
