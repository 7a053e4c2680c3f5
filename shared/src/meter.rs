//! Frames per second and kbit/s over a sliding window, plus totals since start.
//!
//! The server measures what it sends and the viewer what it receives with the same meter,
//! so the two figures a user compares are computed the same way. Every method takes the
//! current time so that tests (and callers with their own clock) control it.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The band around a bandwidth target that counts as "on target": ±10 %. The server's rate
/// control holds it and the viewer reports against it, so both use this one definition.
pub const TARGET_BAND: f64 = 0.10;

/// Whether `kbps` is within [`TARGET_BAND`] of `target_kbps`.
///
/// ```
/// use mjpeg_wire::meter::in_band;
/// assert!(in_band(1090.0, 1000.0) && in_band(910.0, 1000.0));
/// assert!(!in_band(1110.0, 1000.0) && !in_band(0.0, 1000.0));
/// ```
pub fn in_band(kbps: f64, target_kbps: f64) -> bool {
    target_kbps > 0.0 && (kbps / target_kbps - 1.0).abs() <= TARGET_BAND
}

/// A sliding-window rate meter for frames and bytes.
///
/// ```
/// use std::time::{Duration, Instant};
/// use mjpeg_wire::meter::RateMeter;
///
/// let start = Instant::now();
/// let mut m = RateMeter::new(Duration::from_secs(1));
/// for i in 0..50 {
///     m.record(start + Duration::from_millis(40 * i), 5_000);
/// }
/// // The last second holds the frames at 1000, 1040, ... 1960 ms.
/// let now = start + Duration::from_millis(1990);
/// assert_eq!(m.fps(now), 25.0);
/// assert_eq!(m.kbps(now), 1000.0); // 25 x 5000 bytes x 8 bits in one second
/// ```
#[derive(Debug, Clone)]
pub struct RateMeter {
    window: Duration,
    /// (time, bytes) of each frame inside the window, oldest first.
    events: VecDeque<(Instant, usize)>,
    window_bytes: u64,
    first: Option<Instant>,
    total_frames: u64,
    total_bytes: u64,
}

impl RateMeter {
    /// A meter averaging over `window` (one second is what users compare against).
    pub fn new(window: Duration) -> Self {
        RateMeter {
            window: window.max(Duration::from_millis(1)),
            events: VecDeque::new(),
            window_bytes: 0,
            first: None,
            total_frames: 0,
            total_bytes: 0,
        }
    }

    /// Counts one frame of `bytes` at `at`.
    pub fn record(&mut self, at: Instant, bytes: usize) {
        self.first.get_or_insert(at);
        self.total_frames += 1;
        self.total_bytes += bytes as u64;
        self.events.push_back((at, bytes));
        self.window_bytes += bytes as u64;
        self.expire(at);
    }

    fn expire(&mut self, now: Instant) {
        while let Some(&(t, bytes)) = self.events.front() {
            if now.saturating_duration_since(t) < self.window {
                break;
            }
            self.events.pop_front();
            self.window_bytes -= bytes as u64;
        }
    }

    /// The span rates are averaged over: the window, or less while the meter is younger.
    fn span(&self, now: Instant) -> Option<f64> {
        let age = now.saturating_duration_since(self.first?);
        let span = age.min(self.window).as_secs_f64();
        (span > 0.0).then_some(span)
    }

    /// Frames per second over the window ending at `now`.
    pub fn fps(&mut self, now: Instant) -> f64 {
        self.expire(now);
        self.span(now).map_or(0.0, |s| self.events.len() as f64 / s)
    }

    /// Kilobits (1000 bits) per second over the window ending at `now`.
    pub fn kbps(&mut self, now: Instant) -> f64 {
        self.expire(now);
        self.span(now)
            .map_or(0.0, |s| self.window_bytes as f64 * 8.0 / 1000.0 / s)
    }

    /// Average kbit/s since the first frame.
    pub fn average_kbps(&self, now: Instant) -> f64 {
        let secs = self
            .first
            .map_or(0.0, |f| now.saturating_duration_since(f).as_secs_f64());
        if secs > 0.0 {
            self.total_bytes as f64 * 8.0 / 1000.0 / secs
        } else {
            0.0
        }
    }

    /// Average frames per second since the first frame.
    pub fn average_fps(&self, now: Instant) -> f64 {
        let secs = self
            .first
            .map_or(0.0, |f| now.saturating_duration_since(f).as_secs_f64());
        if secs > 0.0 {
            self.total_frames as f64 / secs
        } else {
            0.0
        }
    }

    /// Frames counted since creation.
    pub fn total_frames(&self) -> u64 {
        self.total_frames
    }

    /// Bytes counted since creation.
    pub fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    /// When the first frame was counted.
    pub fn first_frame_at(&self) -> Option<Instant> {
        self.first
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_stream_that_stops_decays_to_zero() {
        let t0 = Instant::now();
        let mut m = RateMeter::new(ms(1000));
        for i in 0..100 {
            m.record(t0 + ms(20 * i), 1000);
        }
        let last = t0 + ms(1980);
        assert_eq!(m.fps(last + ms(10)), 50.0);
        assert_eq!(m.kbps(last + ms(10)), 400.0);
        assert_eq!(m.fps(last + ms(520)), 24.0);
        assert_eq!(m.fps(last + ms(1001)), 0.0);
        assert_eq!(m.kbps(last + ms(1001)), 0.0);
        assert_eq!(m.total_frames(), 100);
        assert_eq!(m.total_bytes(), 100_000);
    }

    #[test]
    fn a_young_meter_averages_over_its_age() {
        let t0 = Instant::now();
        let mut m = RateMeter::new(ms(1000));
        m.record(t0, 500);
        assert_eq!(m.fps(t0), 0.0, "no time has passed");
        m.record(t0 + ms(100), 500);
        // Two frames, 1000 bytes in 0.25 s.
        assert_eq!(m.fps(t0 + ms(250)), 8.0);
        assert_eq!(m.kbps(t0 + ms(250)), 32.0);
    }

    #[test]
    fn averages_since_start() {
        let t0 = Instant::now();
        let mut m = RateMeter::new(ms(1000));
        for i in 0..100 {
            m.record(t0 + ms(100 * i), 1250);
        }
        let now = t0 + ms(10_000);
        assert_eq!(m.average_fps(now), 10.0);
        assert_eq!(m.average_kbps(now), 100.0);
        assert_eq!(m.first_frame_at(), Some(t0));
    }
}
