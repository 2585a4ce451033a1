//! Latency summaries.

/// p50, p99 and max of a set of samples, in microseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Latency {
    pub p50_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
}

impl Latency {
    /// Summarises `samples` (microseconds); sorts them in place.
    pub fn of(samples: &mut [u64]) -> Latency {
        samples.sort_unstable();
        let Some(&max) = samples.last() else {
            return Latency::default();
        };
        Latency {
            p50_us: percentile(samples, 0.50) as f64,
            p99_us: percentile(samples, 0.99) as f64,
            max_us: max as f64,
        }
    }

    /// "p50 / p99 / max" in milliseconds.
    pub fn ms(&self) -> String {
        format!(
            "{:.2} / {:.2} / {:.2} ms",
            self.p50_us / 1e3,
            self.p99_us / 1e3,
            self.max_us / 1e3
        )
    }
}

/// Nearest-rank percentile of sorted samples; 0 when empty.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let mut v: Vec<u64> = (1..=100).rev().collect();
        let l = Latency::of(&mut v);
        assert_eq!((l.p50_us, l.p99_us, l.max_us), (50.0, 99.0, 100.0));
        assert_eq!(percentile(&[7], 0.99), 7);
        assert_eq!(Latency::of(&mut []).max_us, 0.0);
    }
}
