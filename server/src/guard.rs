//! Limits that hold under attack, before any account state is touched: connections per source
//! address, and back-offs after failed logins that an attacker cannot turn against someone else.
//!
//! Failed logins (a UserSig or console key refused) are counted per source address and per
//! account-and-address, in a sliding window. Past the limit, that address (or that address for
//! that account) gets 70050 (ERR_SVR_ACCOUNT_FREQ_LIMIT) / 429 until the window slides. Failures
//! from one address never block another: a valid UserSig from elsewhere always logs in. The
//! console's secret-key sign-in also counts failures per account from any address: past the limit
//! each attempt is slowed down ([`Guard::slow_down`]), never refused, so the right key still works.
//!
//! Memory is bounded: identifiers are checked (at most 32 bytes) before they are counted, each key
//! keeps at most `limit` times, and the map holds at most [`MAX_KEYS`] keys, pruned on a timer and
//! when full (docs/RELIABILITY.md gives the worst case in bytes).
//!
//! Also here: the deadline of one HTTP request ([`within`]), so a trickled body cannot hold a task.

use crate::config::ServerSettings;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Most keys in the failure map. With a 32-byte identifier, the 10 times kept per key by default
/// and the map's own overhead, a key costs at most about 400 bytes: 16,384 keys ≈ 6.5 MiB.
pub const MAX_KEYS: usize = 16_384;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Address(IpAddr),
    AccountAddress(u64, String, IpAddr),
    /// Console sign-in only: slows down, never blocks.
    Account(u64, String),
}

pub struct Guard {
    per_address_max: usize,
    per_account_failures: usize,
    per_address_failures: usize,
    window: Duration,
    connections: Mutex<HashMap<IpAddr, usize>>,
    /// Times of recent failures, per key (at most the key's limit); a key with none left is removed.
    failures: Mutex<HashMap<Key, VecDeque<Instant>>>,
    /// When a full map was last pruned: at most once a second (pruning is a pass over the map).
    pruned_full_at: Mutex<Option<Instant>>,
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

/// What an attempt to log in may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Check,
    /// Its own recent failures (this address, or this address for this account): 70050 / 429.
    Blocked,
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
            pruned_full_at: Mutex::new(None),
        }
    }

    /// Prunes the failure map every window, for as long as the guard lives.
    pub fn start_pruning(self: &Arc<Self>) {
        let guard = Arc::downgrade(self);
        let every = self.window;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(guard) = guard.upgrade() else {
                    return;
                };
                guard.prune(Instant::now());
            }
        });
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

    /// Whether `ip` may try to log in as `user` now (identifiers must be valid already).
    pub fn login_verdict(&self, ip: IpAddr, app: u64, user: &str) -> Verdict {
        let now = Instant::now();
        let mut failures = lock(&self.failures);
        let address = self.recent(&mut failures, &Key::Address(ip), now);
        let pair = self.recent(
            &mut failures,
            &Key::AccountAddress(app, user.to_owned(), ip),
            now,
        );
        let over = |n: usize, max: usize| max > 0 && n >= max;
        if over(address, self.per_address_failures) || over(pair, self.per_account_failures) {
            Verdict::Blocked
        } else {
            Verdict::Check
        }
    }

    /// How long a console sign-in for `user` waits before its key is checked: nothing, or one
    /// second once the account had its limit of failures (from anywhere) in the window.
    pub fn slow_down(&self, app: u64, user: &str) -> Duration {
        let mut failures = lock(&self.failures);
        let n = self.recent(
            &mut failures,
            &Key::Account(app, user.to_owned()),
            Instant::now(),
        );
        match self.per_account_failures > 0 && n >= self.per_account_failures {
            true => Duration::from_secs(1),
            false => Duration::ZERO,
        }
    }

    /// Counts a failed login of `user` from `ip` (`console`: also against the account).
    pub fn login_failed(&self, ip: IpAddr, app: u64, user: &str, console: bool) {
        let now = Instant::now();
        let mut failures = lock(&self.failures);
        let mut keys = vec![
            (Key::Address(ip), self.per_address_failures),
            (
                Key::AccountAddress(app, user.to_owned(), ip),
                self.per_account_failures,
            ),
        ];
        if console {
            keys.push((
                Key::Account(app, user.to_owned()),
                self.per_account_failures,
            ));
        }
        for (key, limit) in keys {
            if limit == 0 {
                continue;
            }
            if !failures.contains_key(&key) && failures.len() >= MAX_KEYS {
                let mut pruned_at = lock(&self.pruned_full_at);
                if pruned_at.is_none_or(|t| now - t >= Duration::from_secs(1)) {
                    *pruned_at = Some(now);
                    self.prune_locked(&mut failures, now);
                }
                if failures.len() >= MAX_KEYS {
                    // Full of recent failures (an address spray): this one is not counted.
                    continue;
                }
            }
            let times = failures.entry(key).or_default();
            if times.len() >= limit {
                times.pop_front();
            }
            times.push_back(now);
        }
    }

    /// A successful login clears that address's failures for the account.
    pub fn login_succeeded(&self, ip: IpAddr, app: u64, user: &str) {
        let mut failures = lock(&self.failures);
        failures.remove(&Key::AccountAddress(app, user.to_owned(), ip));
    }

    /// Keys in the failure map now (tests, metrics).
    pub fn tracked(&self) -> usize {
        lock(&self.failures).len()
    }

    fn prune(&self, now: Instant) {
        self.prune_locked(&mut lock(&self.failures), now);
    }

    fn prune_locked(&self, failures: &mut HashMap<Key, VecDeque<Instant>>, now: Instant) {
        let window = self.window;
        failures.retain(|_, times| times.back().is_some_and(|t| now - *t < window));
    }

    /// Failures of `key` within the window (older ones are forgotten).
    fn recent(
        &self,
        failures: &mut HashMap<Key, VecDeque<Instant>>,
        key: &Key,
        now: Instant,
    ) -> usize {
        let Some(times) = failures.get_mut(key) else {
            return 0;
        };
        while times.front().is_some_and(|t| now - *t >= self.window) {
            times.pop_front();
        }
        if times.is_empty() {
            failures.remove(key);
            return 0;
        }
        times.len()
    }
}

/// Answers 408 when a request (reading its body included) takes longer than `deadline`: a client
/// that trickles its body cannot hold a connection and a task for long (REST and console API).
pub async fn within(
    deadline: Duration,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match tokio::time::timeout(deadline, next.run(req)).await {
        Ok(response) => response,
        Err(_) => (
            axum::http::StatusCode::REQUEST_TIMEOUT,
            "request took too long\n",
        )
            .into_response(),
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
    fn failures_block_their_own_address_only() {
        let g = Guard::new(&settings(0, 2, 3));
        let (ip, other_ip): (IpAddr, IpAddr) =
            ("10.0.0.1".parse().unwrap(), "10.0.0.9".parse().unwrap());
        g.login_failed(ip, 1, "alice", false);
        assert_eq!(g.login_verdict(ip, 1, "alice"), Verdict::Check);
        g.login_failed(ip, 1, "alice", false);
        assert_eq!(g.login_verdict(ip, 1, "alice"), Verdict::Blocked);
        assert_eq!(
            g.login_verdict(other_ip, 1, "alice"),
            Verdict::Check,
            "not from elsewhere"
        );
        assert_eq!(g.login_verdict(ip, 2, "alice"), Verdict::Check, "other app");
        g.login_failed(ip, 1, "bob", false);
        assert_eq!(
            g.login_verdict(ip, 1, "dave"),
            Verdict::Blocked,
            "address: 3 failures"
        );
        assert_eq!(g.login_verdict(other_ip, 1, "dave"), Verdict::Check);
    }

    #[test]
    fn console_failures_slow_the_account_down_from_anywhere() {
        let g = Guard::new(&settings(0, 2, 100));
        for last in [1, 2] {
            g.login_failed(format!("10.0.0.{last}").parse().unwrap(), 1, "admin", true);
        }
        assert_eq!(g.slow_down(1, "admin"), Duration::from_secs(1));
        assert_eq!(g.slow_down(1, "other"), Duration::ZERO);
    }

    #[test]
    fn the_failure_map_is_bounded_under_an_address_spray() {
        let g = Guard::new(&settings(0, 10, 100));
        for i in 0..(MAX_KEYS as u32 * 2) {
            let ip = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            g.login_failed(ip, 1, "alice", true);
        }
        assert!(g.tracked() <= MAX_KEYS, "{}", g.tracked());
    }
}
