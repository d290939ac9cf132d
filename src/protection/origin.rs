//! Cross-site request defence: a state-changing request must come from our
//! own origin or an allowed one. `SameSite=Lax` alone still lets another
//! site's page submit top-level POST forms in some browsers and setups.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, ResponseError, web};
use url::Url;

use super::Client;
use crate::error::ApiError;

/// Origins besides our own, from `ALLOWED_ORIGINS`, as
/// `scheme://host[:port]` with default ports left out.
#[derive(Clone, Debug, Default)]
pub struct AllowedOrigins(pub Vec<String>);

/// Wraps the state-changing routes (after routing, so 404 and 405 win):
/// `403 forbidden-origin` when `Origin` (or, without it, `Referer`) names
/// another site. A request with neither, as curl sends, passes.
pub async fn same_origin_only(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if is_cross_site(&req) {
        let response = ApiError::ForbiddenOrigin.error_response();
        return Ok(req.into_response(response).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

fn is_cross_site(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    let claimed = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .map(|value| value.to_str().ok().and_then(origin_of));
    let Some(claimed) = claimed else {
        return false;
    };
    // An origin we cannot read ("null" from sandboxed pages, garbage) is
    // not ours.
    let Some(claimed) = claimed else {
        return true;
    };
    let https = req
        .extensions()
        .get::<Client>()
        .is_some_and(|client| client.https);
    let own = req
        .headers()
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .or_else(|| req.uri().authority().map(|authority| authority.as_str()))
        .and_then(|host| {
            origin_of(&format!(
                "{}://{host}",
                if https { "https" } else { "http" }
            ))
        });
    if own.as_deref() == Some(claimed.as_str()) {
        return false;
    }
    let allowed = req.app_data::<web::Data<AllowedOrigins>>();
    !allowed.is_some_and(|allowed| allowed.0.contains(&claimed))
}

/// The ASCII origin of a URL, default port elided; `None` for opaque ones.
fn origin_of(url: &str) -> Option<String> {
    match Url::parse(url).ok()?.origin() {
        origin @ url::Origin::Tuple(..) => Some(origin.ascii_serialization()),
        url::Origin::Opaque(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised() {
        assert_eq!(
            origin_of("http://Example.COM:80/path?q"),
            Some("http://example.com".to_owned())
        );
        assert_eq!(
            origin_of("https://a.example:8443/"),
            Some("https://a.example:8443".to_owned())
        );
        assert_eq!(origin_of("null"), None);
        assert_eq!(origin_of("data:text/html,hi"), None);
    }
}
