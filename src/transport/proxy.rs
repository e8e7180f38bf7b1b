//! Behind a load balancer: the client's real address, from a PROXY protocol
//! header (v1 text or v2 binary, HAProxy's `send-proxy` / `send-proxy-v2`)
//! at the start of a TCP connection, or from `X-Forwarded-For` on an HTTP
//! request. Only peers in `[server] proxy_protocol_from` are asked for
//! either, and from them it is required: a connection without a valid
//! header is closed, so a client can never pass for its proxy.
//!
//! The parsing is pure ([`parse_proxy_header`], [`forwarded_for`]) so a fuzz
//! target can call it; the header itself is parsed by the `ppp` crate.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

use super::admission::Admission;
use crate::net;

/// The longest PROXY header read: v1 is at most 107 bytes; v2 is 16 bytes
/// and a length, and TLVs (TLS details, a unique id) rarely take more than
/// a few hundred bytes. Reads never go past the header's own end.
pub const MAX_HEADER: usize = 4096;

/// How long a proxy may take to send its header (it sends it at once).
pub const HEADER_WAIT: Duration = Duration::from_secs(5);

const V1_PREFIX: &[u8] = b"PROXY ";
const V2_SIGNATURE: &[u8] = b"\r\n\r\n\0\r\nQUIT\n";
/// The shortest header of either version (`PROXY UNKNOWN\r\n`).
const SHORTEST: usize = 15;

/// What a PROXY header says about the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proxied {
    /// Proxied for this client (its address and port).
    Client(SocketAddr),
    /// The proxy speaks for itself (v2 `LOCAL`, v1 `UNKNOWN`, or an
    /// address family that is not IP): a health check. The connection's
    /// own peer address is used, as the specification asks.
    Local,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxyError {
    #[error("the connection does not start with a PROXY protocol header")]
    Missing,
    #[error("invalid PROXY protocol header: {0}")]
    Invalid(String),
    #[error("PROXY protocol header longer than {MAX_HEADER} bytes")]
    TooLong,
    #[error("no PROXY protocol header within {} s", HEADER_WAIT.as_secs())]
    TimedOut,
    #[error("reading the PROXY protocol header: {0}")]
    Io(String),
}

/// Reads the PROXY header (v1 or v2) at the start of `buf`.
///
/// `Ok(None)`: `buf` is the beginning of a header, more bytes are needed.
/// `Ok(Some((what, len)))`: the header is the first `len` bytes of `buf`;
/// what follows is the client's own data. Errors are final: more bytes
/// would not help.
pub fn parse_proxy_header(buf: &[u8]) -> Result<Option<(Proxied, usize)>, ProxyError> {
    if is_start_of(buf, V2_SIGNATURE) {
        return parse_v2(buf);
    }
    if is_start_of(buf, V1_PREFIX) {
        return parse_v1(buf);
    }
    Err(ProxyError::Missing)
}

/// Whether `buf` and `prefix` agree as far as both go.
fn is_start_of(buf: &[u8], prefix: &[u8]) -> bool {
    let n = buf.len().min(prefix.len());
    buf[..n] == prefix[..n]
}

fn parse_v2(buf: &[u8]) -> Result<Option<(Proxied, usize)>, ProxyError> {
    if buf.len() < 16 {
        return Ok(None);
    }
    let len = 16 + usize::from(u16::from_be_bytes([buf[14], buf[15]]));
    if len > MAX_HEADER {
        return Err(ProxyError::TooLong);
    }
    let Some(header) = buf.get(..len) else {
        return Ok(None);
    };
    let h = ppp::v2::Header::try_from(header).map_err(|e| ProxyError::Invalid(e.to_string()))?;
    let what = match (h.command, h.addresses) {
        (ppp::v2::Command::Local, _) => Proxied::Local,
        (ppp::v2::Command::Proxy, ppp::v2::Addresses::IPv4(a)) => {
            Proxied::Client(SocketAddr::new(IpAddr::V4(a.source_address), a.source_port))
        }
        (ppp::v2::Command::Proxy, ppp::v2::Addresses::IPv6(a)) => {
            Proxied::Client(SocketAddr::new(IpAddr::V6(a.source_address), a.source_port))
        }
        (ppp::v2::Command::Proxy, _) => Proxied::Local,
    };
    Ok(Some((what, len)))
}

fn parse_v1(buf: &[u8]) -> Result<Option<(Proxied, usize)>, ProxyError> {
    // v1's limit: 107 bytes, the CRLF included
    const V1_MAX: usize = 107;
    let Some(cr) = buf.windows(2).take(V1_MAX - 1).position(|w| w == b"\r\n") else {
        return match buf.len() >= V1_MAX {
            true => Err(ProxyError::TooLong),
            false => Ok(None),
        };
    };
    let len = cr + 2;
    let h =
        ppp::v1::Header::try_from(&buf[..len]).map_err(|e| ProxyError::Invalid(e.to_string()))?;
    let what = match h.addresses {
        ppp::v1::Addresses::Tcp4(a) => {
            Proxied::Client(SocketAddr::new(IpAddr::V4(a.source_address), a.source_port))
        }
        ppp::v1::Addresses::Tcp6(a) => {
            Proxied::Client(SocketAddr::new(IpAddr::V6(a.source_address), a.source_port))
        }
        ppp::v1::Addresses::Unknown => Proxied::Local,
    };
    Ok(Some((what, len)))
}

/// How many bytes may be read next without reading past the header's end
/// (the client's data after it belongs to the line reader).
fn next_read(buf: &[u8]) -> usize {
    if buf.len() < SHORTEST {
        return SHORTEST - buf.len();
    }
    if is_start_of(buf, V2_SIGNATURE) {
        if buf.len() < 16 {
            return 16 - buf.len();
        }
        let len = 16 + usize::from(u16::from_be_bytes([buf[14], buf[15]]));
        return len.saturating_sub(buf.len()).max(1);
    }
    // v1 ends at its first CRLF: one byte at a time (a hundred at most,
    // once per connection, and only from a proxy)
    1
}

/// Reads exactly one PROXY header from `rd`, and nothing after it.
pub async fn read_header<R: AsyncRead + Unpin>(rd: &mut R) -> Result<Proxied, ProxyError> {
    let mut buf = Vec::with_capacity(64);
    loop {
        if let Some((what, _)) = parse_proxy_header(&buf)? {
            return Ok(what);
        }
        let start = buf.len();
        buf.resize(start + next_read(&buf), 0);
        rd.read_exact(&mut buf[start..])
            .await
            .map_err(|e| ProxyError::Io(e.to_string()))?;
    }
}

/// The address a TCP connection from `peer` is for: the PROXY header's
/// client when `peer` is a trusted proxy (read within [`HEADER_WAIT`]),
/// else `peer` itself. IPv4-mapped IPv6 addresses come back as IPv4.
pub async fn client_addr<R: AsyncRead + Unpin>(
    rd: &mut R,
    peer: SocketAddr,
    admission: &Admission,
) -> Result<SocketAddr, ProxyError> {
    let addr = if admission.trusts(peer.ip()) {
        match tokio::time::timeout(HEADER_WAIT, read_header(rd)).await {
            Err(_) => return Err(ProxyError::TimedOut),
            Ok(Err(e)) => return Err(e),
            Ok(Ok(Proxied::Client(a))) => a,
            Ok(Ok(Proxied::Local)) => peer,
        }
    } else {
        peer
    };
    Ok(SocketAddr::new(net::canonical(addr.ip()), addr.port()))
}

/// The client's address in `X-Forwarded-For` values (every such header of
/// one request, in order): the rightmost entry, the one our own proxy
/// added. Entries to its left were written by whoever sent the request and
/// prove nothing. `None` when there is no entry or the last one is not an
/// address (`1.2.3.4`, `2001:db8::1`, or with a port: `1.2.3.4:5`,
/// `[2001:db8::1]:5`).
pub fn forwarded_for<'a>(values: impl IntoIterator<Item = &'a [u8]>) -> Option<IpAddr> {
    let last = values.into_iter().last()?;
    let last = std::str::from_utf8(last).ok()?.rsplit(',').next()?.trim();
    let ip = last
        .parse::<IpAddr>()
        .ok()
        .or_else(|| last.parse::<SocketAddr>().ok().map(|a| a.ip()))?;
    Some(net::canonical(ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap_or_else(|_| panic!("{s}"))
    }

    fn v2(command: u8, family: u8, body: &[u8]) -> Vec<u8> {
        let mut h = V2_SIGNATURE.to_vec();
        h.push(0x20 | command);
        h.push(family);
        h.extend_from_slice(&(body.len() as u16).to_be_bytes());
        h.extend_from_slice(body);
        h
    }

    #[test]
    fn v1_headers() {
        let h = b"PROXY TCP4 203.0.113.7 192.0.2.1 51000 6001\r\n{\"type\":\"ping\"}\n";
        let (what, len) = parse_proxy_header(h)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("complete"));
        assert_eq!(what, Proxied::Client(addr("203.0.113.7:51000")));
        assert_eq!(&h[len..], b"{\"type\":\"ping\"}\n");
        let h6 = b"PROXY TCP6 2001:db8::7 2001:db8::1 51000 6001\r\n";
        assert_eq!(
            parse_proxy_header(h6),
            Ok(Some((
                Proxied::Client(addr("[2001:db8::7]:51000")),
                h6.len()
            )))
        );
        assert_eq!(
            parse_proxy_header(b"PROXY UNKNOWN\r\n"),
            Ok(Some((Proxied::Local, 15)))
        );
        for partial in [&b""[..], b"PRO", b"PROXY TCP4 203.0.113.7 19"] {
            assert_eq!(parse_proxy_header(partial), Ok(None), "{partial:?}");
        }
        assert!(matches!(
            parse_proxy_header(b"PROXY TCP4 nope 192.0.2.1 1 2\r\n"),
            Err(ProxyError::Invalid(_))
        ));
        assert_eq!(parse_proxy_header(&[b'P'; 1][..]), Ok(None));
        let long = [b"PROXY TCP4 ".as_slice(), &[b'1'; 200]].concat();
        assert_eq!(parse_proxy_header(&long), Err(ProxyError::TooLong));
        assert_eq!(
            parse_proxy_header(b"{\"type\":\"ping\"}\n"),
            Err(ProxyError::Missing)
        );
    }

    #[test]
    fn v2_headers() {
        let mut body = vec![203, 0, 113, 7, 192, 0, 2, 1];
        body.extend_from_slice(&51000u16.to_be_bytes());
        body.extend_from_slice(&6001u16.to_be_bytes());
        let h = v2(1, 0x11, &body);
        assert_eq!(
            parse_proxy_header(&h),
            Ok(Some((Proxied::Client(addr("203.0.113.7:51000")), 28)))
        );
        for n in 0..h.len() {
            assert_eq!(parse_proxy_header(&h[..n]), Ok(None), "{n} bytes");
        }
        // a TLV after the addresses (here NOOP) is skipped
        let mut with_tlv = body.clone();
        with_tlv.extend_from_slice(&[0x04, 0, 2, 0, 0]);
        let h = v2(1, 0x11, &with_tlv);
        assert_eq!(
            parse_proxy_header(&h),
            Ok(Some((Proxied::Client(addr("203.0.113.7:51000")), h.len())))
        );
        assert_eq!(
            parse_proxy_header(&v2(0, 0, &[])),
            Ok(Some((Proxied::Local, 16)))
        );
        assert!(matches!(
            parse_proxy_header(&v2(1, 0x11, &body[..4])),
            Err(ProxyError::Invalid(_))
        ));
        let mut huge = v2(1, 0x11, &[]);
        huge[14..16].copy_from_slice(&u16::MAX.to_be_bytes());
        assert_eq!(parse_proxy_header(&huge), Err(ProxyError::TooLong));
    }

    #[actix_rt::test]
    async fn reads_the_header_and_nothing_after() {
        let data = b"PROXY TCP4 203.0.113.7 192.0.2.1 51000 6001\r\nrest".to_vec();
        let mut rd = &data[..];
        assert_eq!(
            read_header(&mut rd).await,
            Ok(Proxied::Client(addr("203.0.113.7:51000")))
        );
        assert_eq!(rd, b"rest");
        let mut body = vec![0u8; 36];
        body[15] = 9;
        body[32..34].copy_from_slice(&7u16.to_be_bytes());
        let mut data = v2(1, 0x21, &body);
        data.extend_from_slice(b"rest");
        let mut rd = &data[..];
        assert_eq!(
            read_header(&mut rd).await,
            Ok(Proxied::Client(addr("[::9]:7")))
        );
        assert_eq!(rd, b"rest");
    }

    #[test]
    fn forwarded_for_takes_the_rightmost() {
        let one = |s: &'static str| forwarded_for([s.as_bytes()]);
        assert_eq!(
            one("198.51.100.1, 203.0.113.9"),
            Some("203.0.113.9".parse().unwrap_or_else(|_| panic!()))
        );
        assert_eq!(
            one("2001:db8::1"),
            Some("2001:db8::1".parse().unwrap_or_else(|_| panic!()))
        );
        assert_eq!(
            one("[2001:db8::1]:443"),
            Some("2001:db8::1".parse().unwrap_or_else(|_| panic!()))
        );
        assert_eq!(
            one("::ffff:203.0.113.9"),
            Some("203.0.113.9".parse().unwrap_or_else(|_| panic!()))
        );
        assert_eq!(one("203.0.113.9, unknown"), None);
        assert_eq!(one(""), None);
        assert_eq!(
            forwarded_for([b"10.9.9.9".as_slice(), b"198.51.100.1, 203.0.113.9"]),
            Some("203.0.113.9".parse().unwrap_or_else(|_| panic!()))
        );
        assert_eq!(forwarded_for(std::iter::empty()), None);
    }
}
