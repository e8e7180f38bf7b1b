//! Who may open a connection: the per-address cap
//! (`[limits] max_connections_per_address`) over every transport together,
//! and which peers are proxies that say who the client is
//! (`[server] proxy_protocol_from`).
//!
//! A transport resolves the client's address first (PROXY header or
//! `X-Forwarded-For`, see proxy.rs), then asks [`Admission::admit`] for a
//! [`Slot`] and holds it for as long as the connection's socket is open. The
//! count is kept here, synchronously, not in an actor: a refused connection
//! must be turned away before anything is started for it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use crate::config::Config;
use crate::net::{self, Cidr};

pub struct Admission {
    /// 0: no cap.
    max: u32,
    open: Mutex<HashMap<IpAddr, u32>>,
    proxies: Vec<Cidr>,
}

/// One open connection counted against its address; released on drop.
pub struct Slot {
    admission: Arc<Admission>,
    /// `None` when there is no cap (nothing was counted).
    ip: Option<IpAddr>,
}

impl Admission {
    pub fn new(config: &Config) -> Arc<Admission> {
        Arc::new(Admission {
            max: config.limits.max_connections_per_address,
            open: Mutex::new(HashMap::new()),
            // validated at start: a block that does not parse is refused there
            proxies: config
                .server
                .proxy_protocol_from
                .iter()
                .filter_map(|s| Cidr::parse(s))
                .collect(),
        })
    }

    /// Whether connections from `peer` come through a proxy that must say
    /// who the client is (PROXY header, `X-Forwarded-For`).
    pub fn trusts(&self, peer: IpAddr) -> bool {
        net::is_trusted_proxy(&self.proxies, peer)
    }

    /// A slot for one more connection from `client` (after PROXY or
    /// `X-Forwarded-For` resolution), or `None` when the address already
    /// has its cap open.
    pub fn admit(self: &Arc<Self>, client: IpAddr) -> Option<Slot> {
        if self.max == 0 {
            return Some(Slot {
                admission: self.clone(),
                ip: None,
            });
        }
        let ip = net::canonical(client);
        let mut open = self.lock();
        let n = open.entry(ip).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(Slot {
            admission: self.clone(),
            ip: Some(ip),
        })
    }

    /// Connections counted for `client` right now (0 when there is no cap).
    pub fn open_from(&self, client: IpAddr) -> u32 {
        self.lock()
            .get(&net::canonical(client))
            .copied()
            .unwrap_or(0)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, u32>> {
        // a panic while holding it cannot leave a count half-changed
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let Some(ip) = self.ip else {
            return;
        };
        let mut open = self.admission.lock();
        if let Some(n) = open.get_mut(&ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                // an address with nothing open costs no memory
                open.remove(&ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admission(max: u32) -> Arc<Admission> {
        let mut c = Config::default();
        c.limits.max_connections_per_address = max;
        c.server.proxy_protocol_from = vec!["10.0.0.0/8".into()];
        Admission::new(&c)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| panic!("{s}"))
    }

    #[test]
    fn caps_each_address_and_releases_on_drop() {
        let a = admission(2);
        let one = a.admit(ip("192.0.2.1"));
        let two = a.admit(ip("::ffff:192.0.2.1"));
        assert!(one.is_some() && two.is_some());
        assert!(
            a.admit(ip("192.0.2.1")).is_none(),
            "a mapped address counts as itself"
        );
        assert!(a.admit(ip("192.0.2.2")).is_some(), "another address");
        drop(one);
        assert_eq!(a.open_from(ip("192.0.2.1")), 1);
        assert!(a.admit(ip("192.0.2.1")).is_some());
        drop(two);
        assert!(a.lock().is_empty(), "nothing left for closed addresses");
    }

    #[test]
    fn zero_is_no_cap() {
        let a = admission(0);
        let slots: Vec<_> = (0..1000).filter_map(|_| a.admit(ip("192.0.2.1"))).collect();
        assert_eq!(slots.len(), 1000);
        assert!(a.trusts(ip("10.1.2.3")) && !a.trusts(ip("192.0.2.1")));
    }
}
