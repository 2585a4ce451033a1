//! Sliding-window call counter: at most `calls` calls in any `window`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
pub struct RateWindow {
    hits: VecDeque<Instant>,
}

impl RateWindow {
    /// Counts a call at `now`; false (and not counted) if the window is already full.
    pub fn allow(&mut self, now: Instant, calls: usize, window: Duration) -> bool {
        while self
            .hits
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            self.hits.pop_front();
        }
        if self.hits.len() >= calls {
            return false;
        }
        self.hits.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_slides() {
        let mut w = RateWindow::default();
        let t0 = Instant::now();
        let win = Duration::from_secs(5);
        assert!(w.allow(t0, 2, win));
        assert!(w.allow(t0 + Duration::from_secs(2), 2, win));
        assert!(!w.allow(t0 + Duration::from_secs(4), 2, win));
        assert!(
            w.allow(t0 + Duration::from_secs(5), 2, win),
            "first call left the window"
        );
        assert!(
            !w.allow(t0 + Duration::from_secs(6), 2, win),
            "second call still inside"
        );
    }
}
