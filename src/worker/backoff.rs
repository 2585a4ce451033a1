//! Reconnect delays: exponential from `min` to `max`, each with jitter in [delay/2, delay] so
//! that clients cut off together do not come back together.
//!
//! Not `backon` (which the server uses for its webhook and cluster retries): the worker is a
//! synchronous poll loop that needs the next delay as a value, reset on every successful login,
//! and "equal jitter" in [delay/2, delay]; backon's jitter adds up to its minimum delay on top
//! instead, and the library would carry one more dependency into every game for forty lines.

use std::time::Duration;

pub struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
    rng: u64,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration, seed: u64) -> Backoff {
        Backoff {
            min,
            max: max.max(min),
            next: min,
            rng: seed | 1,
        }
    }

    /// After a successful login: start again from `min`.
    pub fn reset(&mut self) {
        self.next = self.min;
    }

    /// The delay before the next attempt.
    pub fn delay(&mut self) -> Duration {
        let base = self.next;
        self.next = (self.next * 2).min(self.max);
        // xorshift64
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let half = base.as_millis() as u64 / 2;
        Duration::from_millis(half + self.rng % (half + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_with_jitter_and_resets() {
        let ms = Duration::from_millis;
        let mut b = Backoff::new(ms(100), ms(1000), 42);
        let bases = [100, 200, 400, 800, 1000, 1000];
        let delays: Vec<Duration> = bases.iter().map(|_| b.delay()).collect();
        for (d, base) in delays.iter().zip(bases) {
            assert!(
                *d >= ms(base / 2) && *d <= ms(base),
                "{d:?} for base {base}"
            );
        }
        let distinct: std::collections::HashSet<_> = (0..20).map(|_| b.delay()).collect();
        assert!(distinct.len() > 5, "jittered: {distinct:?}");
        b.reset();
        assert!(b.delay() <= ms(100));
    }
}
