//! Flood control: token buckets per account (texts, other acts), and
//! sliding windows of events per key (failed logins per address and per
//! address and name, registrations per address).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::model::AccountId;

/// Token buckets: `burst` tokens, refilled at `per_s` a second.
pub struct Buckets {
    burst: f64,
    per_s: f64,
    buckets: HashMap<AccountId, (f64, Instant)>,
}

impl Buckets {
    pub fn new(burst: u32, per_s: f64) -> Buckets {
        Buckets {
            burst: burst as f64,
            per_s,
            buckets: HashMap::new(),
        }
    }

    /// Takes a token, or says how long until one is there.
    pub fn take(&mut self, account: AccountId, now: Instant) -> Result<(), Duration> {
        let (tokens, last) = self.buckets.entry(account).or_insert((self.burst, now));
        let refilled =
            (*tokens + now.duration_since(*last).as_secs_f64() * self.per_s).min(self.burst);
        *last = now;
        if refilled >= 1.0 {
            *tokens = refilled - 1.0;
            Ok(())
        } else {
            *tokens = refilled;
            Err(Duration::from_secs_f64((1.0 - refilled) / self.per_s))
        }
    }

    /// Forgets buckets that are full again (keeps memory bounded).
    pub fn prune(&mut self, now: Instant) {
        let (burst, per_s) = (self.burst, self.per_s);
        self.buckets
            .retain(|_, (t, last)| *t + now.duration_since(*last).as_secs_f64() * per_s < burst);
    }
}

/// Events per key (an address, or an address and a name) within the last
/// `window`.
pub struct LoginFailures {
    limit: usize,
    window: Duration,
    by_addr: HashMap<String, VecDeque<Instant>>,
}

impl LoginFailures {
    pub fn new(limit: u32, window: Duration) -> LoginFailures {
        LoginFailures {
            limit: limit as usize,
            window,
            by_addr: HashMap::new(),
        }
    }

    /// `Err(wait)` when the key has used up its events.
    pub fn check(&mut self, addr: &str, now: Instant) -> Result<(), Duration> {
        let Some(q) = self.by_addr.get_mut(addr) else {
            return Ok(());
        };
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            q.pop_front();
        }
        if q.len() >= self.limit.max(1) {
            let oldest = q.front().copied().unwrap_or(now);
            return Err(self.window.saturating_sub(now.duration_since(oldest)));
        }
        Ok(())
    }

    pub fn failed(&mut self, addr: &str, now: Instant) {
        self.by_addr
            .entry(addr.to_owned())
            .or_default()
            .push_back(now);
    }

    pub fn prune(&mut self, now: Instant) {
        let w = self.window;
        self.by_addr
            .retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < w));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_bursts_then_refills() {
        let mut b = Buckets::new(3, 2.0);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(b.take(AccountId(1), t0).is_ok());
        }
        let wait = b.take(AccountId(1), t0).unwrap_err();
        assert!(wait > Duration::from_millis(400) && wait <= Duration::from_millis(500));
        assert!(b
            .take(AccountId(1), t0 + Duration::from_millis(500))
            .is_ok());
        assert!(b.take(AccountId(2), t0).is_ok(), "per account");
    }

    #[test]
    fn login_window_slides() {
        let mut f = LoginFailures::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        f.failed("a", t0);
        f.failed("a", t0 + Duration::from_secs(10));
        assert!(f.check("a", t0 + Duration::from_secs(20)).is_err());
        assert!(f.check("b", t0).is_ok());
        assert!(f.check("a", t0 + Duration::from_secs(61)).is_ok());
    }
}
