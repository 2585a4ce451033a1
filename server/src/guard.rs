//! Limits that hold under attack, before any account state is touched: WebSocket connections
//! per source address, and a back-off after repeated failed logins (70050,
//! ERR_SVR_ACCOUNT_FREQ_LIMIT) per account and per source address, in a sliding window.

use crate::config::ServerSettings;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Account(u64, String),
    Address(IpAddr),
}

pub struct Guard {
    per_address_max: usize,
    per_account_failures: usize,
    per_address_failures: usize,
    window: Duration,
    connections: Mutex<HashMap<IpAddr, usize>>,
    /// Times of recent failed logins, per key; a key with none left is removed.
    failures: Mutex<HashMap<Key, VecDeque<Instant>>>,
}

/// A connection counted against its address; dropping it frees the place.
pub struct AddressSlot {
    guard: Arc<Guard>,
    ip: IpAddr,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut conns = lock(&self.guard.connections);
        if let Some(n) = conns.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                conns.remove(&self.ip);
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Guard {
    pub fn new(s: &ServerSettings) -> Guard {
        Guard {
            per_address_max: s.max_connections_per_address,
            per_account_failures: s.login_failures_per_account,
            per_address_failures: s.login_failures_per_address,
            window: Duration::from_secs(s.login_failure_window_s),
            connections: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// A place for one more connection from `ip`, or None when it has its maximum (0: no cap).
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<AddressSlot> {
        let mut conns = lock(&self.connections);
        let n = conns.entry(ip).or_insert(0);
        if self.per_address_max > 0 && *n >= self.per_address_max {
            return None;
        }
        *n += 1;
        Some(AddressSlot {
            guard: Arc::clone(self),
            ip,
        })
    }

    /// True while the account or the address has too many failed logins in the window.
    pub fn login_blocked(&self, ip: IpAddr, app: u64, user_id: &str) -> bool {
        let now = Instant::now();
        let mut failures = lock(&self.failures);
        let mut over =
            |key: Key, max: usize| max > 0 && self.recent(&mut failures, key, now) >= max;
        over(
            Key::Account(app, user_id.to_owned()),
            self.per_account_failures,
        ) || over(Key::Address(ip), self.per_address_failures)
    }

    /// Counts a failed login against the account and the address.
    pub fn login_failed(&self, ip: IpAddr, app: u64, user_id: &str) {
        let now = Instant::now();
        let mut failures = lock(&self.failures);
        if failures.len() > 100_000 {
            // Keep memory bounded under address spraying: drop keys with nothing recent.
            let window = self.window;
            failures.retain(|_, times| times.back().is_some_and(|t| now - *t < window));
        }
        for key in [Key::Account(app, user_id.to_owned()), Key::Address(ip)] {
            failures.entry(key).or_default().push_back(now);
        }
    }

    /// A successful login clears the account's failures (not the address's).
    pub fn login_succeeded(&self, app: u64, user_id: &str) {
        lock(&self.failures).remove(&Key::Account(app, user_id.to_owned()));
    }

    /// Failures of `key` within the window (older ones are forgotten).
    fn recent(
        &self,
        failures: &mut HashMap<Key, VecDeque<Instant>>,
        key: Key,
        now: Instant,
    ) -> usize {
        let Some(times) = failures.get_mut(&key) else {
            return 0;
        };
        while times.front().is_some_and(|t| now - *t >= self.window) {
            times.pop_front();
        }
        if times.is_empty() {
            failures.remove(&key);
            return 0;
        }
        times.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(per_address: usize, account: usize, address: usize) -> ServerSettings {
        ServerSettings {
            max_connections_per_address: per_address,
            login_failures_per_account: account,
            login_failures_per_address: address,
            login_failure_window_s: 3600,
            ..ServerSettings::default()
        }
    }

    #[test]
    fn address_slots_are_capped_and_freed() {
        let g = Arc::new(Guard::new(&settings(2, 0, 0)));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let a = g.admit(ip).expect("first");
        let _b = g.admit(ip).expect("second");
        assert!(g.admit(ip).is_none(), "third refused");
        assert!(
            g.admit("10.0.0.2".parse().unwrap()).is_some(),
            "other address"
        );
        drop(a);
        assert!(g.admit(ip).is_some(), "freed");
        let unlimited = Arc::new(Guard::new(&settings(0, 0, 0)));
        let slots: Vec<_> = (0..100).map(|_| unlimited.admit(ip)).collect();
        assert!(slots.iter().all(Option::is_some));
    }

    #[test]
    fn failures_block_the_account_and_the_address() {
        let g = Guard::new(&settings(0, 2, 3));
        let (ip, other_ip): (IpAddr, IpAddr) =
            ("10.0.0.1".parse().unwrap(), "10.0.0.9".parse().unwrap());
        g.login_failed(ip, 1, "alice");
        assert!(!g.login_blocked(ip, 1, "alice"));
        g.login_failed(other_ip, 1, "alice");
        assert!(g.login_blocked(ip, 1, "alice"), "account: 2 failures");
        assert!(!g.login_blocked(ip, 2, "alice"), "same id, other app");
        assert!(!g.login_blocked(ip, 1, "bob"));
        g.login_failed(ip, 1, "bob");
        g.login_failed(ip, 1, "carol");
        assert!(g.login_blocked(ip, 1, "dave"), "address: 3 failures");
        assert!(!g.login_blocked(other_ip, 1, "dave"));
        g.login_succeeded(1, "alice");
        assert!(
            !g.login_blocked(other_ip, 1, "alice"),
            "success clears the account"
        );
    }
}
