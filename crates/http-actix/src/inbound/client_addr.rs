//! The client's address, as far as the server can trust it: the TCP peer,
//! unless the peer is one of `TRUSTED_PROXIES`, in which case
//! `X-Forwarded-For` is read from the right (the entries our own proxies
//! appended) and the first address that is not itself a trusted proxy is the
//! client. Everything left of it was written by the client and is ignored,
//! so rotating a forged `X-Forwarded-For` escapes nothing.
//!
//! The one answer is used for throttling, for the sessions' `ip`, and for
//! the access log's `client_ip` (the request-context middleware computes it
//! once and keeps it in the request's extensions as [`ClientAddr`]).

use std::net::{IpAddr, SocketAddr};

use actix_web::http::header::{HeaderMap, X_FORWARDED_FOR};
use ipnet::IpNet;

/// The configured trusted proxies, kept as application data.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<IpNet>);

impl TrustedProxies {
    fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }
}

/// The client address of one request, once worked out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// The client's address: `peer` itself unless it is a trusted proxy; then
/// the right-most `X-Forwarded-For` address (over every such header, in
/// order) that is not a trusted proxy. An entry that is not an address
/// stops the walk at the last trusted hop (nothing left of garbage is
/// believed); if every entry is trusted, the left-most one is the client.
#[must_use]
pub fn client_addr(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &TrustedProxies,
) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    if !trusted.contains(peer) {
        return Some(peer);
    }
    let mut forwarded: Vec<&str> = Vec::new();
    for value in headers.get_all(X_FORWARDED_FOR) {
        let Ok(text) = value.to_str() else {
            // Not even text: believe none of it.
            return Some(peer);
        };
        forwarded.extend(text.split(','));
    }
    let mut client = peer;
    for entry in forwarded.iter().rev() {
        let Some(ip) = parse_forwarded(entry) else {
            return Some(client);
        };
        client = ip;
        if !trusted.contains(ip) {
            return Some(ip);
        }
    }
    Some(client)
}

/// One `X-Forwarded-For` entry: an address, possibly with a port
/// (`203.0.113.9:4711`, `[2001:db8::1]:443`).
fn parse_forwarded(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

/// An address (`10.0.0.1`, `::1`) or a CIDR range (`10.0.0.0/8`).
#[must_use]
pub fn parse_ip_range(item: &str) -> Option<IpNet> {
    if let Ok(net) = item.parse::<IpNet>() {
        return Some(net.trunc());
    }
    item.parse::<IpAddr>()
        .ok()
        .map(|ip| IpNet::from(ip.to_canonical()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use actix_web::http::header::HeaderValue;

    use super::*;

    fn trusted(items: &[&str]) -> TrustedProxies {
        TrustedProxies(items.iter().map(|i| parse_ip_range(i).unwrap()).collect())
    }

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(X_FORWARDED_FOR, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn addr(peer: &str, xff: &[&str], proxies: &[&str]) -> Option<IpAddr> {
        client_addr(Some(ip(peer)), &headers(xff), &trusted(proxies))
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        assert_eq!(
            addr("203.0.113.9", &["198.51.100.1"], &[]),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(addr("203.0.113.9", &[], &[]), Some(ip("203.0.113.9")));
    }

    #[test]
    fn an_untrusted_peers_forwarded_for_is_ignored() {
        assert_eq!(
            addr("203.0.113.9", &["198.51.100.1"], &["10.0.0.0/8"]),
            Some(ip("203.0.113.9"))
        );
    }

    #[test]
    fn a_trusted_peers_right_most_untrusted_entry_is_the_client() {
        // The client forged the first entry; our proxy appended the real one.
        assert_eq!(
            addr("10.0.0.2", &["1.1.1.1, 198.51.100.7"], &["10.0.0.0/8"]),
            Some(ip("198.51.100.7"))
        );
        // Through two of our proxies.
        assert_eq!(
            addr(
                "10.0.0.2",
                &["1.1.1.1, 198.51.100.7, 10.0.0.3"],
                &["10.0.0.0/8"]
            ),
            Some(ip("198.51.100.7"))
        );
        // Several headers read as one list, in order.
        assert_eq!(
            addr(
                "10.0.0.2",
                &["1.1.1.1", "198.51.100.7, 10.0.0.3"],
                &["10.0.0.0/8"]
            ),
            Some(ip("198.51.100.7"))
        );
    }

    #[test]
    fn a_trusted_peer_without_forwarded_for_is_the_client() {
        assert_eq!(
            addr("127.0.0.1", &[], &["127.0.0.1"]),
            Some(ip("127.0.0.1"))
        );
    }

    #[test]
    fn garbage_stops_the_walk_at_the_last_trusted_hop() {
        assert_eq!(
            addr("10.0.0.2", &["198.51.100.7, unknown"], &["10.0.0.0/8"]),
            Some(ip("10.0.0.2"))
        );
        assert_eq!(
            addr("10.0.0.2", &["garbage, 10.0.0.9"], &["10.0.0.0/8"]),
            Some(ip("10.0.0.9"))
        );
        assert_eq!(
            addr("10.0.0.2", &[""], &["10.0.0.0/8"]),
            Some(ip("10.0.0.2"))
        );
    }

    #[test]
    fn if_every_hop_is_trusted_the_left_most_is_the_client() {
        assert_eq!(
            addr("10.0.0.2", &["10.0.0.7, 10.0.0.3"], &["10.0.0.0/8"]),
            Some(ip("10.0.0.7"))
        );
    }

    #[test]
    fn ports_and_ipv6_and_mapped_addresses_are_understood() {
        assert_eq!(
            addr("::1", &["[2001:db8::1]:443"], &["::1"]),
            Some(ip("2001:db8::1"))
        );
        assert_eq!(
            addr("::ffff:127.0.0.1", &["203.0.113.9:4711"], &["127.0.0.1"]),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(addr("::ffff:192.0.2.1", &[], &[]), Some(ip("192.0.2.1")));
    }

    #[test]
    fn no_peer_no_address() {
        assert_eq!(
            client_addr(None, &headers(&["1.1.1.1"]), &trusted(&[])),
            None
        );
    }
}
