//! The client's IP and scheme, believing `X-Forwarded-*` only from the
//! proxies we were told to trust. (actix's `realip_remote_addr()` believes
//! them from anyone, which would let a client pick its own rate-limit key.)

use std::future::{Ready, ready};
use std::net::{IpAddr, SocketAddr};

use actix_web::dev::Payload;
use actix_web::http::header::HeaderMap;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use ipnet::IpNet;

use crate::error::ApiError;

#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(proxies: Vec<IpNet>) -> Self {
        Self(proxies)
    }

    fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }
}

/// Who sent the request, as far as we can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Client {
    pub ip: IpAddr,
    /// Whether the request reached us (or our trusted proxy) over TLS.
    pub https: bool,
}

impl Client {
    /// The socket peer, unless it is a trusted proxy: then the right-most
    /// `X-Forwarded-For` entry that is not itself a trusted proxy.
    pub fn resolve(
        peer: Option<SocketAddr>,
        headers: &HeaderMap,
        tls: bool,
        trusted: &TrustedProxies,
    ) -> Self {
        let peer_ip = peer.map_or(IpAddr::from([0, 0, 0, 0]), |peer| peer.ip());
        if !trusted.contains(peer_ip) {
            return Self {
                ip: peer_ip,
                https: tls,
            };
        }
        let mut ip = peer_ip;
        for entry in forwarded_for(headers).rev() {
            match parse_forwarded_ip(entry) {
                Some(hop) if trusted.contains(hop) => ip = hop,
                Some(hop) => {
                    ip = hop;
                    break;
                }
                // A garbled entry: the last proxy we trust is as far as we can see.
                None => break,
            }
        }
        let forwarded_https = headers
            .get_all("x-forwarded-proto")
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .next_back()
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
        Self {
            ip,
            https: tls || forwarded_https,
        }
    }
}

fn forwarded_for(headers: &HeaderMap) -> impl DoubleEndedIterator<Item = &str> {
    headers
        .get_all("x-forwarded-for")
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect::<Vec<_>>()
        .into_iter()
}

/// `203.0.113.7`, `2001:db8::1`, or either with a port.
fn parse_forwarded_ip(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|addr| addr.ip()))
}

/// Handlers take the client as `Client`; the request-context middleware
/// has put it in the request's extensions.
impl FromRequest for Client {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(req.extensions().get::<Client>().copied().ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!("no client resolved for the request"))
        }))
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    fn trusted(list: &[&str]) -> TrustedProxies {
        TrustedProxies::new(list.iter().map(|net| net.parse().unwrap()).collect())
    }

    fn peer(ip: &str) -> Option<SocketAddr> {
        Some(SocketAddr::new(ip.parse().unwrap(), 40000))
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let claims = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-proto", "https"),
        ]);
        let client = Client::resolve(
            peer("203.0.113.9"),
            &claims,
            false,
            &trusted(&["10.0.0.0/8"]),
        );
        assert_eq!(
            client,
            Client {
                ip: "203.0.113.9".parse().unwrap(),
                https: false
            }
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() {
        let chain = headers(&[
            ("x-forwarded-for", "6.6.6.6, 198.51.100.4"),
            ("x-forwarded-for", "10.0.0.2"),
            ("x-forwarded-proto", "https"),
        ]);
        let client = Client::resolve(peer("10.0.0.1"), &chain, false, &trusted(&["10.0.0.0/8"]));
        assert_eq!(
            client,
            Client {
                ip: "198.51.100.4".parse().unwrap(),
                https: true
            }
        );
    }

    #[test]
    fn a_trusted_peer_without_a_header_is_the_client() {
        let client = Client::resolve(
            peer("10.0.0.1"),
            &HeaderMap::new(),
            true,
            &trusted(&["10.0.0.1/32"]),
        );
        assert_eq!(
            client,
            Client {
                ip: "10.0.0.1".parse().unwrap(),
                https: true
            }
        );
    }

    #[test]
    fn ports_and_ipv6_entries_are_understood() {
        let chain = headers(&[("x-forwarded-for", "[2001:db8::7]:443")]);
        let client = Client::resolve(peer("::1"), &chain, false, &trusted(&["::1/128"]));
        assert_eq!(client.ip, "2001:db8::7".parse::<IpAddr>().unwrap());
        let chain = headers(&[("x-forwarded-for", "garbage, 10.0.0.3")]);
        let client = Client::resolve(peer("10.0.0.1"), &chain, false, &trusted(&["10.0.0.0/8"]));
        assert_eq!(client.ip, "10.0.0.3".parse::<IpAddr>().unwrap());
    }
}
