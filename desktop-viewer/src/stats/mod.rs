//! What the viewer measures: frames and bandwidth received (with `mjpeg_wire`'s meter, the
//! one pi-server uses, so both sides count alike), decode times, losses, connection state.
//!
//! The workers write into [`Stats`]; the window and the headless mode read a [`StatsView`],
//! a plain copy taken at one instant, so drawing never holds the workers' lock.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant, SystemTime};

use mjpeg_wire::meter::RateMeter;
use serde::Serialize;

use crate::net::StreamFailure;

mod durations;

pub use durations::Durations;

/// Seconds of bandwidth history kept for the chart.
pub const HISTORY_SECS: usize = 60;

/// The connection as the user sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ConnState {
    /// Not started yet.
    #[default]
    Idle,
    /// Connecting (attempt 1 is the first).
    Connecting {
        /// Attempts since the last working connection.
        attempt: u32,
    },
    /// Connected, waiting for the first frame.
    Connected,
    /// Frames are arriving.
    Streaming,
    /// The last attempt failed; the next one starts at `retry_at`.
    Waiting {
        /// Why.
        failure: StreamFailure,
        /// When the next attempt starts.
        retry_at: Instant,
    },
    /// The pipeline was stopped.
    Stopped,
}

impl ConnState {
    /// One short line: "streaming", "reconnecting in 2.0 s: connection refused ...".
    pub fn describe(&self, now: Instant) -> String {
        match self {
            ConnState::Idle => "idle".into(),
            ConnState::Connecting { attempt: 1 } => "connecting…".into(),
            ConnState::Connecting { attempt } => format!("connecting (attempt {attempt})…"),
            ConnState::Connected => "connected, waiting for the first frame…".into(),
            ConnState::Streaming => "streaming".into(),
            ConnState::Waiting { failure, retry_at } => {
                let secs = retry_at.saturating_duration_since(now).as_secs_f64();
                format!("{failure} — retrying in {secs:.1} s")
            }
            ConnState::Stopped => "stopped".into(),
        }
    }

    /// A one-word label for JSON and the status badge.
    pub fn label(&self) -> &'static str {
        match self {
            ConnState::Idle => "idle",
            ConnState::Connecting { .. } => "connecting",
            ConnState::Connected => "connected",
            ConnState::Streaming => "streaming",
            ConnState::Waiting { .. } => "reconnecting",
            ConnState::Stopped => "stopped",
        }
    }
}

/// Bytes received per whole second, for the kbit/s chart.
#[derive(Debug, Clone)]
struct History {
    start: Instant,
    /// (second since start, bytes), oldest first, no gaps.
    seconds: VecDeque<(u64, u64)>,
}

impl History {
    fn new(start: Instant) -> Self {
        History {
            start,
            seconds: VecDeque::with_capacity(HISTORY_SECS + 2),
        }
    }

    fn second_of(&self, t: Instant) -> u64 {
        t.saturating_duration_since(self.start).as_secs()
    }

    fn advance_to(&mut self, sec: u64) {
        let next = self.seconds.back().map_or(sec, |&(s, _)| s + 1);
        // Seconds with no frame are zeros on the chart, not gaps.
        for s in next.max(sec.saturating_sub(HISTORY_SECS as u64 + 1))..=sec {
            self.seconds.push_back((s, 0));
        }
        while self.seconds.len() > HISTORY_SECS + 1 {
            self.seconds.pop_front();
        }
    }

    fn record(&mut self, t: Instant, bytes: usize) {
        let sec = self.second_of(t);
        self.advance_to(sec);
        if let Some(last) = self.seconds.back_mut() {
            last.1 += bytes as u64;
        }
    }

    /// kbit/s of each whole second before `now`, oldest first, at most [`HISTORY_SECS`].
    fn kbps(&mut self, now: Instant) -> Vec<f32> {
        let sec = self.second_of(now);
        self.advance_to(sec);
        self.seconds
            .iter()
            .filter(|&&(s, _)| s < sec)
            .map(|&(_, b)| (b * 8) as f32 / 1000.0)
            .collect()
    }
}

/// What the latest received frame looked like.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameInfo {
    /// JPEG size in bytes.
    pub bytes: usize,
    /// When it arrived.
    pub received: Instant,
    /// Capture time from `X-Timestamp`, if the server sent one.
    pub captured: Option<SystemTime>,
    /// Capture to arrival, by the wall clock at arrival (clocks must agree; `None` without
    /// `X-Timestamp` or when the camera's clock is ahead).
    pub age: Option<Duration>,
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Counters and meters, written by the workers.
#[derive(Debug, Clone)]
pub struct Stats {
    received: RateMeter,
    /// Since the current connection began, for the "average since connect" figure.
    session: RateMeter,
    history: History,
    decode: Durations,
    last_decode: Option<Duration>,
    /// Capture to arrival, per frame.
    receipt_ages: Durations,
    /// Capture to decoded, per frame: what the picture's age is when it is ready to show.
    decoded_ages: Durations,
    last_decoded_age: Option<Duration>,
    last_size: Option<[usize; 2]>,
    last_frame: Option<FrameInfo>,
    decoded: u64,
    dropped: u64,
    corrupt: u64,
    errors: u64,
    reconnects: u64,
    state: ConnState,
    last_failure: Option<StreamFailure>,
    failures: BTreeMap<&'static str, u64>,
}

impl Stats {
    /// Empty stats; the chart's seconds count from `start`.
    pub fn new(start: Instant) -> Self {
        Stats {
            received: RateMeter::new(Duration::from_secs(1)),
            session: RateMeter::new(Duration::from_secs(1)),
            history: History::new(start),
            decode: Durations::default(),
            last_decode: None,
            receipt_ages: Durations::default(),
            decoded_ages: Durations::default(),
            last_decoded_age: None,
            last_size: None,
            last_frame: None,
            decoded: 0,
            dropped: 0,
            corrupt: 0,
            errors: 0,
            reconnects: 0,
            state: ConnState::Idle,
            last_failure: None,
            failures: BTreeMap::new(),
        }
    }

    /// A part (JPEG) arrived.
    pub fn on_received(&mut self, info: FrameInfo) {
        self.received.record(info.received, info.bytes);
        self.session.record(info.received, info.bytes);
        self.history.record(info.received, info.bytes);
        if let Some(age) = info.age {
            self.receipt_ages.record(age);
        }
        self.last_frame = Some(info);
        if self.state != ConnState::Streaming {
            self.state = ConnState::Streaming;
        }
    }

    /// A frame was decoded in `took`, `age` after its capture (`None`: no `X-Timestamp`,
    /// or the camera's clock is ahead).
    pub fn on_decoded(&mut self, took: Duration, size: [usize; 2], age: Option<Duration>) {
        self.decode.record(took);
        if let Some(age) = age {
            self.decoded_ages.record(age);
        }
        self.last_decoded_age = age;
        self.last_decode = Some(took);
        self.last_size = Some(size);
        self.decoded += 1;
    }

    /// A received frame was replaced by a newer one before it was decoded.
    pub fn on_dropped(&mut self) {
        self.dropped += 1;
    }

    /// A frame could not be decoded, or bytes between parts were garbage.
    pub fn on_corrupt(&mut self) {
        self.corrupt += 1;
    }

    /// A connection attempt begins.
    pub fn on_connecting(&mut self, attempt: u32, is_retry: bool) {
        if is_retry {
            self.reconnects += 1;
        }
        self.state = ConnState::Connecting { attempt };
    }

    /// The server answered with a stream.
    pub fn on_connected(&mut self) {
        self.session = RateMeter::new(Duration::from_secs(1));
        self.state = ConnState::Connected;
    }

    /// The connection failed or ended; the next attempt is at `retry_at`.
    pub fn on_failure(&mut self, failure: StreamFailure, retry_at: Instant) {
        self.errors += 1;
        *self.failures.entry(failure.kind()).or_default() += 1;
        self.last_failure = Some(failure.clone());
        self.state = ConnState::Waiting { failure, retry_at };
    }

    /// The pipeline stopped.
    pub fn on_stopped(&mut self) {
        self.state = ConnState::Stopped;
    }

    /// A copy of everything, as of `now`.
    pub fn view(&mut self, now: Instant) -> StatsView {
        StatsView {
            state: self.state.clone(),
            state_text: self.state.describe(now),
            fps: self.received.fps(now),
            kbps: self.received.kbps(now),
            average_kbps: self.session.average_kbps(now),
            average_fps: self.received.average_fps(now),
            bytes: self.received.total_bytes(),
            last_frame_bytes: self.last_frame.map(|f| f.bytes),
            last_frame_received: self.last_frame.map(|f| f.received),
            last_frame_captured: self.last_frame.and_then(|f| f.captured),
            latency_ms: self.last_decoded_age.map(millis),
            receipt_ms: self.last_frame.and_then(|f| f.age).map(millis),
            decode_ms: self.last_decode.map(|d| d.as_secs_f64() * 1000.0),
            totals: Totals {
                frames: self.received.total_frames(),
                decoded: self.decoded,
                decode_p50_ms: self.decode.quantile_ms(0.5),
                decode_p99_ms: self.decode.quantile_ms(0.99),
                receipt_p50_ms: self.receipt_ages.quantile_ms(0.5),
                receipt_p99_ms: self.receipt_ages.quantile_ms(0.99),
                latency_p50_ms: self.decoded_ages.quantile_ms(0.5),
                latency_p99_ms: self.decoded_ages.quantile_ms(0.99),
                dropped: self.dropped,
                corrupt: self.corrupt,
                errors: self.errors,
                reconnects: self.reconnects,
                last_error: self.last_failure.as_ref().map(ToString::to_string),
                resolution: self.last_size,
            },
            failures: self.failures.clone(),
            history_kbps: self.history.kbps(now),
        }
    }
}

/// A snapshot of [`Stats`] for drawing and printing; UI tests build one by hand.
///
/// Its JSON (one line a second in `--headless --json`) is read by scripts and the e2e
/// tests: the fields below and the [`Totals`]' side by side.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StatsView {
    /// Connection state.
    #[serde(skip)]
    pub state: ConnState,
    /// The state in words.
    #[serde(rename = "state")]
    pub state_text: String,
    /// Frames received in the last second.
    pub fps: f64,
    /// kbit/s received in the last second.
    pub kbps: f64,
    /// kbit/s averaged since the current connection began.
    pub average_kbps: f64,
    /// Frames per second averaged since the first frame.
    pub average_fps: f64,
    /// JPEG bytes received in all.
    pub bytes: u64,
    /// Size of the latest frame in bytes.
    pub last_frame_bytes: Option<usize>,
    /// When the latest frame arrived.
    #[serde(skip)]
    pub last_frame_received: Option<Instant>,
    /// The latest frame's `X-Timestamp`.
    #[serde(skip)]
    pub last_frame_captured: Option<SystemTime>,
    /// Capture to decoded of the latest decoded frame, from `X-Timestamp` (clocks must
    /// agree): how old a picture is when it is ready to show.
    pub latency_ms: Option<f64>,
    /// Capture to arrival of the latest frame.
    pub receipt_ms: Option<f64>,
    /// Decode time of the latest frame.
    pub decode_ms: Option<f64>,
    /// What the run adds up to so far.
    #[serde(flatten)]
    pub totals: Totals,
    /// How often each kind of failure happened ("refused", "stalled", ...).
    pub failures: BTreeMap<&'static str, u64>,
    /// kbit/s of each of the last 60 whole seconds, oldest first.
    #[serde(skip)]
    pub history_kbps: Vec<f32>,
}

/// What a run adds up to so far: counts, decode times, the latest failure and picture
/// size. The live [`StatsView`] and the headless summary both carry it, as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    /// Frames received in all.
    pub frames: u64,
    /// Frames decoded in all.
    pub decoded: u64,
    /// Median decode time.
    pub decode_p50_ms: Option<f64>,
    /// 99th percentile decode time.
    pub decode_p99_ms: Option<f64>,
    /// Median capture-to-arrival time (from `X-Timestamp`; clocks must agree).
    pub receipt_p50_ms: Option<f64>,
    /// 99th percentile capture-to-arrival time.
    pub receipt_p99_ms: Option<f64>,
    /// Median capture-to-decoded time: arrival plus waiting for and running the decoder.
    pub latency_p50_ms: Option<f64>,
    /// 99th percentile capture-to-decoded time.
    pub latency_p99_ms: Option<f64>,
    /// Frames replaced by newer ones before they were decoded.
    pub dropped: u64,
    /// Frames that did not decode, and garbage between parts.
    pub corrupt: u64,
    /// Failed or ended connections.
    pub errors: u64,
    /// Connection attempts after the first.
    pub reconnects: u64,
    /// The latest failure in words.
    pub last_error: Option<String>,
    /// Width and height of the latest decoded frame.
    pub resolution: Option<[usize; 2]>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn history_has_zeros_for_silent_seconds() {
        let t0 = Instant::now();
        let mut h = History::new(t0);
        h.record(t0, 1000); // 8 kbit in second 0
        h.record(t0 + ms(3500), 2000); // 16 kbit in second 3
        assert_eq!(h.kbps(t0 + ms(4100)), vec![8.0, 0.0, 0.0, 16.0]);
        // Long silence: only the last 60 seconds are kept.
        let later = h.kbps(t0 + Duration::from_secs(500));
        assert_eq!(later.len(), HISTORY_SECS);
        assert!(later.iter().all(|&k| k == 0.0));
    }

    #[test]
    fn state_lines_read_well() {
        let now = Instant::now();
        let s = ConnState::Waiting {
            failure: StreamFailure::Refused("cam:8000".into()),
            retry_at: now + ms(2000),
        };
        assert_eq!(
            s.describe(now),
            "connection refused by cam:8000 (is the server running?) — retrying in 2.0 s"
        );
        assert_eq!(s.label(), "reconnecting");
    }

    #[test]
    fn a_frame_makes_the_state_streaming() {
        let t0 = Instant::now();
        let mut s = Stats::new(t0);
        s.on_connecting(1, false);
        s.on_connected();
        s.on_received(FrameInfo {
            bytes: 10_000,
            received: t0 + ms(10),
            captured: None,
            age: None,
        });
        let v = s.view(t0 + ms(500));
        assert_eq!(v.state, ConnState::Streaming);
        assert_eq!(v.totals.frames, 1);
        assert_eq!(v.last_frame_bytes, Some(10_000));
    }

    /// The age figures are each frame's own, taken when it arrived and when it was decoded;
    /// not "now minus the last capture" sampled whenever someone looks, which had read
    /// 9-12 ms on loopback for frames decoded 2 ms after capture.
    #[test]
    fn frame_ages_are_measured_per_frame_not_when_looked_at() {
        let t0 = Instant::now();
        let mut s = Stats::new(t0);
        for (receipt, decoded) in [(1, 3), (1, 4), (2, 5)] {
            s.on_received(FrameInfo {
                bytes: 10_000,
                received: t0,
                captured: Some(SystemTime::now()),
                age: Some(ms(receipt)),
            });
            s.on_decoded(ms(1), [640, 480], Some(ms(decoded)));
        }
        // Looked at much later: the figures do not grow with the wait.
        let v = s.view(t0 + ms(900));
        assert_eq!(v.latency_ms, Some(5.0));
        assert_eq!(v.receipt_ms, Some(2.0));
        // Quantiles are the upper edge of a 10 µs bucket.
        let hundredths = |x: Option<f64>| x.map(|x| (x * 100.0).round() as u64);
        assert_eq!(hundredths(v.totals.latency_p50_ms), Some(401));
        assert_eq!(hundredths(v.totals.receipt_p99_ms), Some(201));
    }
}
