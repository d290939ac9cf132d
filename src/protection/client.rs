//! The client's IP and scheme, believing `X-Forwarded-*` only from the
//! proxies we were told to trust. (actix's `realip_remote_addr()` believes
//! them from anyone, which would let a client pick its own rate-limit key.)
//!
//! An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, what a listener on `[::]`
//! sees of an IPv4 peer) is the IPv4 address everywhere here: the peer, each
//! forwarded hop and the trusted ranges alike. Rate limits count an IPv6
//! client by its network (`limit_identity`), since one host holds a whole
//! /64; the client's own `ip` stays its real address.

use std::future::{Ready, ready};
use std::net::{IpAddr, SocketAddr};

use actix_web::dev::Payload;
use actix_web::http::header::HeaderMap;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::error::ApiError;

/// IPv4-mapped IPv6 addresses are `::ffff:0:0/96`.
const MAPPED_PREFIX_LEN: u8 = 96;

#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(proxies: Vec<IpNet>) -> Self {
        Self(proxies.into_iter().map(canonical_net).collect())
    }

    /// `ip` must be canonical, as every address `Client::resolve` sees is.
    fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }
}

/// A range inside `::ffff:0:0/96` as the IPv4 range it maps; any other as is.
fn canonical_net(net: IpNet) -> IpNet {
    let IpNet::V6(v6) = net else {
        return net;
    };
    match v6.addr().to_ipv4_mapped() {
        Some(v4) if v6.prefix_len() >= MAPPED_PREFIX_LEN => {
            Ipv4Net::new(v4, v6.prefix_len() - MAPPED_PREFIX_LEN)
                .map_or(net, |v4net| IpNet::V4(v4net.trunc()))
        }
        _ => net,
    }
}

/// Whom rate limits count: an IPv4 address as itself, an IPv6 address as
/// its `/ipv6_prefix` network (a prefix past 128 counts as 128).
pub fn limit_identity(ip: IpAddr, ipv6_prefix: u8) -> IpNet {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpNet::V4(Ipv4Net::from(v4)),
        IpAddr::V6(v6) => IpNet::V6(
            Ipv6Net::new(v6, ipv6_prefix.min(128))
                .map_or_else(|_| Ipv6Net::from(v6), |net| net.trunc()),
        ),
    }
}

/// Who sent the request, as far as we can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Client {
    /// Canonical: never an IPv4-mapped IPv6 address.
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
        let peer_ip = peer.map_or(IpAddr::from([0, 0, 0, 0]), |peer| peer.ip().to_canonical());
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
            .flat_map(|value| value.as_bytes().split(|&byte| byte == b','))
            .next_back()
            .is_some_and(|proto| proto.trim_ascii().eq_ignore_ascii_case(b"https"));
        Self {
            ip,
            https: tls || forwarded_https,
        }
    }
}

/// Every entry of every `X-Forwarded-For` header, left to right, as raw
/// bytes: a header that is not valid text still has its entries, so one bad
/// byte cannot hide the address a trusted proxy appended to its right.
fn forwarded_for(headers: &HeaderMap) -> impl DoubleEndedIterator<Item = &[u8]> {
    headers
        .get_all("x-forwarded-for")
        .flat_map(|value| value.as_bytes().split(|&byte| byte == b','))
        .map(<[u8]>::trim_ascii)
        .collect::<Vec<_>>()
        .into_iter()
}

/// `203.0.113.7`, `2001:db8::1`, or either with a port; canonical. An entry
/// with any byte outside ASCII is garbled.
fn parse_forwarded_ip(entry: &[u8]) -> Option<IpAddr> {
    let entry = std::str::from_utf8(entry)
        .ok()
        .filter(|text| text.is_ascii())?;
    let ip = entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|addr| addr.ip()))?;
    Some(ip.to_canonical())
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

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn raw_forwarded_for(value: &[u8]) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.append(
            HeaderName::from_static("x-forwarded-for"),
            HeaderValue::from_bytes(value).unwrap(),
        );
        map
    }

    #[test]
    fn an_ipv4_mapped_peer_is_its_ipv4_address() {
        let client = Client::resolve(
            peer("::ffff:203.0.113.9"),
            &HeaderMap::new(),
            false,
            &TrustedProxies::default(),
        );
        assert_eq!(client.ip, ip("203.0.113.9"));
    }

    #[test]
    fn an_ipv4_mapped_peer_matches_an_ipv4_trusted_proxy() {
        let chain = headers(&[("x-forwarded-for", "198.51.100.4")]);
        let client = Client::resolve(
            peer("::ffff:127.0.0.1"),
            &chain,
            false,
            &trusted(&["127.0.0.1/32"]),
        );
        assert_eq!(client.ip, ip("198.51.100.4"));
    }

    #[test]
    fn an_ipv4_mapped_trusted_range_matches_ipv4_peers() {
        let chain = headers(&[("x-forwarded-for", "198.51.100.4")]);
        let client = Client::resolve(
            peer("10.1.2.3"),
            &chain,
            false,
            &trusted(&["::ffff:10.0.0.0/104"]),
        );
        assert_eq!(client.ip, ip("198.51.100.4"));
    }

    #[test]
    fn ipv4_mapped_forwarded_hops_are_their_ipv4_addresses() {
        let chain = headers(&[("x-forwarded-for", "::ffff:198.51.100.4, ::ffff:10.0.0.2")]);
        let client = Client::resolve(peer("10.0.0.1"), &chain, false, &trusted(&["10.0.0.0/8"]));
        assert_eq!(client.ip, ip("198.51.100.4"));
    }

    #[test]
    fn a_non_ascii_entry_does_not_hide_the_entries_to_its_right() {
        let proxies = trusted(&["10.0.0.0/8"]);
        let client = Client::resolve(
            peer("10.0.0.1"),
            &raw_forwarded_for(b"\xff, 203.0.113.9"),
            false,
            &proxies,
        );
        assert_eq!(client.ip, ip("203.0.113.9"));
        // The walk stops at the garbled entry: the last trusted hop is the client.
        let client = Client::resolve(
            peer("10.0.0.1"),
            &raw_forwarded_for(b"198.51.100.1, 203.0.113.9\xc3\xa9, 10.0.0.2"),
            false,
            &proxies,
        );
        assert_eq!(client.ip, ip("10.0.0.2"));
    }

    #[test]
    fn ipv6_clients_are_limited_per_network_ipv4_ones_per_address() {
        let identity = |text: &str, prefix| limit_identity(ip(text), prefix).to_string();
        assert_eq!(identity("2001:db8:1:2:aaaa::1", 64), "2001:db8:1:2::/64");
        assert_eq!(
            identity("2001:db8:1:2:aaaa::1", 64),
            identity("2001:db8:1:2:ffff:ffff:ffff:ffff", 64)
        );
        assert_ne!(
            identity("2001:db8:1:2::1", 64),
            identity("2001:db8:1:3::1", 64)
        );
        assert_eq!(identity("2001:db8:1:2::1", 48), "2001:db8:1::/48");
        assert_eq!(identity("2001:db8::1", 128), "2001:db8::1/128");
        assert_eq!(identity("203.0.113.9", 64), "203.0.113.9/32");
        assert_eq!(identity("::ffff:203.0.113.9", 64), "203.0.113.9/32");
    }
}
