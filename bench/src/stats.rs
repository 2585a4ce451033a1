//! Latency summaries (hdrhistogram, 3 significant digits).

use hdrhistogram::Histogram;

/// p50, p99 and max of a set of samples, in microseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Latency {
    pub p50_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
    pub count: u64,
}

impl Latency {
    /// Summarises `samples` (microseconds).
    pub fn of(samples: impl IntoIterator<Item = u64>) -> Latency {
        // 1 µs to about 10 days: every latency a run can see, without resizing.
        let Ok(mut h) = Histogram::<u64>::new_with_bounds(1, 1 << 40, 3) else {
            return Latency::default();
        };
        for s in samples {
            h.saturating_record(s);
        }
        Latency::from_histogram(&h)
    }

    pub fn from_histogram(h: &Histogram<u64>) -> Latency {
        if h.is_empty() {
            return Latency::default();
        }
        Latency {
            p50_us: h.value_at_quantile(0.50) as f64,
            p99_us: h.value_at_quantile(0.99) as f64,
            max_us: h.max() as f64,
            count: h.len(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles() {
        let l = Latency::of((1..=100).rev());
        assert_eq!(
            (l.p50_us, l.p99_us, l.max_us, l.count),
            (50.0, 99.0, 100.0, 100)
        );
        assert_eq!(Latency::of([7]).p99_us, 7.0);
        assert_eq!(Latency::of([]).max_us, 0.0);
        // 3 significant digits: within 0.1% above 2,048 µs.
        let big = Latency::of([123_456]);
        assert!((big.max_us - 123_456.0).abs() <= 124.0, "{}", big.max_us);
    }
}
