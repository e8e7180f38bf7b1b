//! Client addresses: the CIDR blocks of `[server] proxy_protocol_from` and
//! the per-address key every per-address rule counts under.

use std::net::IpAddr;

/// An address block: `10.0.0.0/8`, `::1/128`, or a bare address (all bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    bits: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let (a, bits) = match s.trim().split_once('/') {
            Some((a, b)) => (a, Some(b.parse::<u8>().ok()?)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = a.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let bits = bits.unwrap_or(max);
        (bits <= max).then_some(Cidr { addr, bits })
    }

    /// Whether `ip` is in the block; an IPv4-mapped IPv6 address counts as
    /// its IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.bits)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.bits))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// `::ffff:1.2.3.4` is `1.2.3.4`: a dual-stack listener must not give one
/// client two keys.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// Whether connections from `ip` must carry a PROXY header
/// (`X-Forwarded-For` over HTTP).
pub fn is_trusted_proxy(blocks: &[Cidr], ip: IpAddr) -> bool {
    blocks.iter().any(|b| b.contains(ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks() {
        let b = Cidr::parse("10.0.0.0/8").unwrap_or_else(|| panic!("parse"));
        assert!(b.contains("10.1.2.3".parse().unwrap_or_else(|_| panic!())));
        assert!(!b.contains("11.1.2.3".parse().unwrap_or_else(|_| panic!())));
        assert!(b.contains("::ffff:10.0.0.1".parse().unwrap_or_else(|_| panic!())));
        let one = Cidr::parse("127.0.0.1").unwrap_or_else(|| panic!("parse"));
        assert!(one.contains("127.0.0.1".parse().unwrap_or_else(|_| panic!())));
        assert!(!one.contains("127.0.0.2".parse().unwrap_or_else(|_| panic!())));
        let all = Cidr::parse("0.0.0.0/0").unwrap_or_else(|| panic!("parse"));
        assert!(all.contains("8.8.8.8".parse().unwrap_or_else(|_| panic!())));
        let v6 = Cidr::parse("fd00::/8").unwrap_or_else(|| panic!("parse"));
        assert!(v6.contains("fd12::1".parse().unwrap_or_else(|_| panic!())));
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("nope").is_none());
        assert!(Cidr::parse("10.0.0.0/x").is_none());
    }
}
