//! Rate limits (GCRA, `governor`): per client address on every operation, per caller (user
//! or application) once authenticated, and a stricter one per address on the token endpoint.
//! Past a limit a request is answered `429 TOO-MANY-REQUESTS` with `Retry-After`, before
//! it costs anything. A rate of 0 turns a limit off.
//!
//! Addresses are counted per IPv4 address and per IPv6 /64 (one host holds a whole /64).
//! Keys not seen for a while are forgotten by [`RateLimits::forget_idle`], which the server
//! runs every minute, so memory follows the clients of the last minutes.

use governor::clock::{Clock as _, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>;

/// Limits, in requests; 0 turns one off. Bursts: four seconds' worth for addresses and
/// callers, ten requests for the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateConfig {
    /// Requests a second from one client address.
    pub per_address: u32,
    /// Requests a second from one user or application.
    pub per_caller: u32,
    /// Token requests a minute from one client address.
    pub token_per_minute: u32,
}

impl Default for RateConfig {
    fn default() -> Self {
        RateConfig { per_address: 100, per_caller: 50, token_per_minute: 30 }
    }
}

const TOKEN_BURST: u32 = 10;

pub struct RateLimits {
    address: Option<Keyed<IpAddr>>,
    caller: Option<Keyed<String>>,
    token: Option<Keyed<IpAddr>>,
    clock: DefaultClock,
    /// Requests refused by each limit: address, caller, token.
    refused: [std::sync::atomic::AtomicU64; 3],
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits")
            .field("address", &self.address.is_some())
            .field("caller", &self.caller.is_some())
            .field("token", &self.token.is_some())
            .finish_non_exhaustive()
    }
}

fn per_second(rate: u32) -> Option<Quota> {
    let rate = NonZeroU32::new(rate)?;
    let burst = rate.saturating_mul(NonZeroU32::new(4).unwrap_or(NonZeroU32::MIN));
    Some(Quota::per_second(rate).allow_burst(burst))
}

/// The key of an address: IPv4 as is, IPv6 by its /64.
fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        },
    }
}

impl RateLimits {
    pub fn new(config: RateConfig) -> Self {
        let token = NonZeroU32::new(config.token_per_minute).map(|rate| {
            let burst = NonZeroU32::new(TOKEN_BURST).unwrap_or(NonZeroU32::MIN);
            RateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst))
        });
        RateLimits {
            address: per_second(config.per_address).map(RateLimiter::keyed),
            caller: per_second(config.per_caller).map(RateLimiter::keyed),
            token,
            clock: DefaultClock::default(),
            refused: Default::default(),
        }
    }

    fn check<K: std::hash::Hash + Eq + Clone>(
        &self,
        limiter: Option<&Keyed<K>>,
        key: &K,
    ) -> Result<(), Duration> {
        match limiter.map(|l| l.check_key(key)) {
            None | Some(Ok(())) => Ok(()),
            Some(Err(not_until)) => Err(not_until.wait_time_from(self.clock.now())),
        }
    }

    /// A request from `ip`; `Err` holds how long to wait.
    pub fn check_address(&self, ip: IpAddr) -> Result<(), Duration> {
        self.counted(0, self.check(self.address.as_ref(), &address_key(ip)))
    }

    /// A request of an authenticated caller (`user:NAME` or `app:CLIENT_ID`).
    pub fn check_caller(&self, key: &str) -> Result<(), Duration> {
        match &self.caller {
            None => Ok(()),
            Some(l) => self.counted(1, self.check(Some(l), &key.to_owned())),
        }
    }

    /// A token request from `ip`.
    pub fn check_token(&self, ip: IpAddr) -> Result<(), Duration> {
        self.counted(2, self.check(self.token.as_ref(), &address_key(ip)))
    }

    fn counted(&self, limit: usize, outcome: Result<(), Duration>) -> Result<(), Duration> {
        if outcome.is_err() {
            self.refused[limit].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        outcome
    }

    /// Requests refused so far, by limit: `address`, `caller`, `token`.
    pub fn refusals(&self) -> [(&'static str, u64); 3] {
        let n = |i: usize| self.refused[i].load(std::sync::atomic::Ordering::Relaxed);
        [("address", n(0)), ("caller", n(1)), ("token", n(2))]
    }

    /// Forgets the keys whose limit is back to full.
    pub fn forget_idle(&self) {
        if let Some(l) = &self.address {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.caller {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.token {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

/// Whole seconds to announce in `Retry-After` (at least 1).
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0).max(u64::from(wait.is_zero()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_count_per_key_and_say_how_long_to_wait() {
        let l = RateLimits::new(RateConfig { per_address: 1, per_caller: 0, token_per_minute: 1 });
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..4 {
            assert!(l.check_address(a).is_ok());
        }
        let wait = l.check_address(a).unwrap_err();
        assert!(wait <= Duration::from_secs(1), "{wait:?}");
        assert!(l.check_address(b).is_ok());
        assert!(l.check_caller("user:x").is_ok(), "off");
        // One /64 is one client.
        let v6a: IpAddr = "2001:db8::1".parse().unwrap();
        let v6b: IpAddr = "2001:db8::ffff:1".parse().unwrap();
        for _ in 0..4 {
            assert!(l.check_address(v6a).is_ok());
        }
        assert!(l.check_address(v6b).is_err());
        assert_eq!(retry_after_secs(Duration::from_millis(10)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }
}
