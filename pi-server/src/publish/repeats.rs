//! `--drop-same-frames`: a frame identical to the one before is not sent, for JPEGs and
//! raw camera frames alike (for raw frames this also saves the encoding).

use std::time::{Duration, Instant};

/// With `--drop-same-frames`, a client still gets a frame this often, so that its stall
/// detection (and a browser's) sees a live stream on a still scene.
pub const SAME_FRAME_KEEPALIVE: Duration = Duration::from_secs(1);

/// Remembers the last frame let through, to recognise repeats of it.
#[derive(Debug)]
pub struct RepeatFilter {
    keepalive: Duration,
    last: Vec<u8>,
    passed: Option<Instant>,
}

impl RepeatFilter {
    /// A filter that lets a repeat through once the last frame is `keepalive` old.
    pub fn new(keepalive: Duration) -> Self {
        RepeatFilter {
            keepalive,
            last: Vec::new(),
            passed: None,
        }
    }

    /// Whether `frame` repeats the last frame let through less than the keepalive ago; if
    /// not, it becomes the frame repeats are compared with.
    pub fn is_repeat(&mut self, frame: &[u8], now: Instant) -> bool {
        if let Some(passed) = self.passed
            && self.last == frame
            && now.saturating_duration_since(passed) < self.keepalive
        {
            return true;
        }
        self.last.clear();
        self.last.extend_from_slice(frame);
        self.passed = Some(now);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeat_is_dropped_until_the_keepalive_passes() {
        let mut filter = RepeatFilter::new(Duration::from_millis(300));
        let t0 = Instant::now();
        assert!(!filter.is_repeat(b"a", t0));
        assert!(filter.is_repeat(b"a", t0 + Duration::from_millis(100)));
        assert!(!filter.is_repeat(b"b", t0 + Duration::from_millis(200)));
        assert!(filter.is_repeat(b"b", t0 + Duration::from_millis(400)));
        // 300 ms after "b" went through, its repeat goes out as a keepalive.
        assert!(!filter.is_repeat(b"b", t0 + Duration::from_millis(500)));
    }
}
