//! Cross-site request defence: a state-changing request must come from our
//! own origin or an allowed one. `SameSite=Lax` alone still lets another
//! site's page submit top-level POST forms in some browsers and setups.

use actix_web::HttpMessage;
use actix_web::dev::ServiceRequest;
use actix_web::http::header;
use url::Url;

use super::Client;

/// Origins besides our own, from `ALLOWED_ORIGINS`, as
/// `scheme://host[:port]` with default ports left out.
#[derive(Clone, Debug, Default)]
pub struct AllowedOrigins(pub Vec<String>);

/// Whether `Origin` (or, without it, `Referer`) names a site that is
/// neither ours nor allowed. A request with neither header, as curl sends,
/// is not cross-site.
pub fn is_cross_site(req: &ServiceRequest, allowed: &AllowedOrigins) -> bool {
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
    !allowed.0.contains(&claimed)
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
