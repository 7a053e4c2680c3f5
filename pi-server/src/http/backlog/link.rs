//! When a stream client has room for another frame: what its stream handed over, what has
//! arrived, and how fast its link drains ([`Link`], [`Drain`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::counter::Backlog;

/// Whether a client can take another frame now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Room {
    /// What it was sent has (nearly) arrived: send the newest frame.
    Ready,
    /// Still `queued` bytes on their way; look again after `retry_in`.
    Behind {
        /// Bytes not yet at the client.
        queued: u64,
        /// When to look again.
        retry_in: Duration,
        /// Whether bytes arrived since the last look (the client is slow, not gone).
        progressed: bool,
    },
}

/// One stream's view of its link: what it handed over, what arrived, and how fast.
#[derive(Debug)]
pub struct Link {
    backlog: Arc<Backlog>,
    /// `backlog.written()` when the stream began: earlier responses on the connection.
    written_before: u64,
    /// Bytes the body handed to hyper.
    handed: u64,
    /// Bytes queued at the last check.
    last_queued: u64,
    drain: Drain,
}

impl Link {
    /// A stream starting now on the connection `backlog` watches.
    pub fn new(backlog: Arc<Backlog>) -> Self {
        Link {
            written_before: backlog.written(),
            drain: Drain::default(),
            backlog,
            handed: 0,
            last_queued: 0,
        }
    }

    /// The body handed `bytes` more to the connection.
    pub fn handed(&mut self, bytes: usize) {
        self.handed += bytes as u64;
    }

    /// Bytes handed over that have not reached the client: in hyper's buffer, and
    /// unacknowledged in the kernel's queue. (The response head counts as written but not
    /// as handed, which makes the first up to its size too small: a few hundred bytes, well
    /// under the allowance.)
    fn places(&self) -> (u64, u64) {
        let written = self.backlog.written().saturating_sub(self.written_before);
        (
            self.handed.saturating_sub(written),
            self.backlog.unacknowledged(),
        )
    }

    /// Looks at the link now.
    ///
    /// Up to one segment sent and not yet acknowledged is excused: a receiver may hold its
    /// ACK of the last segment back for tens of milliseconds although the bytes have
    /// arrived (on loopback, where a segment is 64 KB, that is a whole frame). Bytes not
    /// sent yet are never excused, so a receiver that stops taking data is still behind.
    pub fn check(&mut self, now: Instant) -> Room {
        let (in_hyper, unacked) = self.places();
        let queued = in_hyper + unacked;
        self.last_queued = queued;
        // The second look at the socket only when the first says there may be a backlog:
        // a fast client costs one ioctl a frame.
        let allowance = self.drain.allowance();
        // Where a segment fits in the allowance (Ethernet: 1448 bytes), nothing more needs
        // excusing; where it does not (loopback, jumbo frames), the rest of it is.
        let excused = if queued > allowance {
            let in_flight = unacked.saturating_sub(self.backlog.unsent());
            in_flight.min(self.backlog.segment_size().saturating_sub(allowance))
        } else {
            0
        };
        self.drain.observe(now, self.handed, queued, excused)
    }

    /// What [`Link::check`] last found queued: in hyper's buffer plus in the kernel's queue.
    pub fn last_queued(&self) -> u64 {
        self.last_queued
    }

    /// How long what is queued now takes to arrive, at the rate the link has shown.
    pub fn delay(&self, queued: u64) -> Duration {
        self.drain.delay(queued)
    }
}

/// The link's drain rate, learnt from how fast queued bytes arrive, and the decision made
/// from it. Pure arithmetic on observations, so it is tested without a network.
#[derive(Debug, Default)]
pub struct Drain {
    /// Bytes per second, smoothed; `None` until measured.
    rate: Option<f64>,
    /// The last look: when, bytes delivered by then, and whether any were queued.
    last: Option<(Instant, u64, u64)>,
}

impl Drain {
    /// The queue may hold this much and the next frame still go out: enough to keep the
    /// link busy while the next frame is fetched, little enough to add almost no delay.
    const ALLOWANCE_MIN: u64 = 2048;
    /// ... or what the link carries in this long, on a fast link.
    const ALLOWANCE_TIME: Duration = Duration::from_millis(20);
    /// Shortest and longest wait before looking again. A wait can add up to its length to
    /// the age of the frame sent after it, and a fast client whose reader lagged for a
    /// moment must not pay for that, so waits stay short: polling costs a slow client a
    /// hundred cheap wake-ups a second at most.
    const RETRY_MIN: Duration = Duration::from_millis(2);
    const RETRY_MAX: Duration = Duration::from_millis(10);
    /// Wait when the rate is not known yet (a fast client usually: its queue is rarely
    /// seen non-empty long enough to measure).
    const RETRY_UNKNOWN: Duration = Duration::from_millis(2);
    /// Rate samples closer together than this are too noisy to use.
    const SAMPLE_MIN: Duration = Duration::from_millis(20);
    /// Weight of a new rate sample.
    const SMOOTHING: f64 = 0.3;

    /// Bytes that may be queued when the next frame goes out.
    pub fn allowance(&self) -> u64 {
        let by_rate = self
            .rate
            .map_or(0.0, |r| r * Self::ALLOWANCE_TIME.as_secs_f64());
        Self::ALLOWANCE_MIN.max(by_rate as u64)
    }

    /// Learns from `queued` of `handed` bytes being still on their way at `now`, and says
    /// whether there is room for a frame; `excused` of the queued bytes (one segment
    /// awaiting its ACK) do not count against the allowance.
    pub fn observe(&mut self, now: Instant, handed: u64, queued: u64, excused: u64) -> Room {
        let delivered = handed.saturating_sub(queued);
        let mut progressed = true;
        match self.last {
            Some((then, before, queued_then)) => {
                progressed = delivered > before;
                let dt = now.saturating_duration_since(then);
                // Only a link that had bytes waiting the whole time shows its rate.
                if queued_then > 0 && queued > 0 && dt >= Self::SAMPLE_MIN {
                    let sample = delivered.saturating_sub(before) as f64 / dt.as_secs_f64();
                    self.rate = Some(match self.rate {
                        Some(r) => r + Self::SMOOTHING * (sample - r),
                        None => sample,
                    });
                    self.last = Some((now, delivered, queued));
                } else if dt >= Self::SAMPLE_MIN || queued == 0 || queued_then == 0 {
                    self.last = Some((now, delivered, queued));
                }
            }
            None => self.last = Some((now, delivered, queued)),
        }
        let allowance = self.allowance();
        let behind = queued.saturating_sub(excused);
        if behind <= allowance {
            return Room::Ready;
        }
        let retry_in = match self.rate {
            Some(r) if r > 0.0 => Duration::try_from_secs_f64((behind - allowance) as f64 / r)
                .unwrap_or(Self::RETRY_MAX)
                .clamp(Self::RETRY_MIN, Self::RETRY_MAX),
            _ => Self::RETRY_UNKNOWN,
        };
        Room::Behind {
            queued,
            retry_in,
            progressed,
        }
    }

    /// How long `queued` bytes take to arrive at the measured rate (zero while unknown).
    pub fn delay(&self, queued: u64) -> Duration {
        match self.rate {
            Some(r) if r > 0.0 => {
                Duration::try_from_secs_f64(queued as f64 / r).unwrap_or(Duration::MAX)
            }
            _ => Duration::ZERO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// A 1 Mbit/s link (125 kB/s) and a sender that hands it a 16 kB frame whenever
    /// `Drain` says there is room, with a new frame every 42 ms (24 fps).
    fn simulate(seconds: u64) -> (u64, u64, Vec<Duration>) {
        let rate = 125_000.0;
        let start = Instant::now();
        let mut drain = Drain::default();
        let (mut handed, mut delivered) = (0u64, 0f64);
        let (mut frames, mut skipped) = (0u64, 0u64);
        let mut ages = Vec::new();
        // Frames queued on the link: (bytes end at, capture time).
        let mut in_flight: Vec<(u64, Duration)> = Vec::new();
        let mut last_frame_sent = 0u64;
        let mut t = Duration::ZERO;
        let mut next_look = Duration::ZERO;
        while t < Duration::from_secs(seconds) {
            let queued = handed - delivered as u64;
            if t >= next_look {
                match drain.observe(start + t, handed, queued, 0) {
                    Room::Ready => {
                        // The newest frame: captured at the last 42 ms tick.
                        let n = t.as_millis() as u64 / 42;
                        if n > last_frame_sent || frames == 0 {
                            skipped += n.saturating_sub(last_frame_sent + 1);
                            last_frame_sent = n;
                            handed += 16_000;
                            in_flight.push((handed, MS * (n as u32 * 42)));
                            frames += 1;
                        }
                        next_look = t + MS;
                    }
                    Room::Behind { retry_in, .. } => next_look = t + retry_in,
                }
            }
            t += MS;
            delivered = (delivered + rate / 1000.0).min(handed as f64);
            in_flight.retain(|(end, captured)| {
                let arrived = delivered as u64 >= *end;
                if arrived {
                    ages.push(t - *captured);
                }
                !arrived
            });
        }
        (frames, skipped, ages)
    }

    #[test]
    fn a_slow_link_gets_fresh_frames_and_stays_busy() {
        let (frames, skipped, mut ages) = simulate(10);
        // The link carries 7.8 frames a second; at least 90 % of it is used.
        assert!(frames >= 70, "{frames} frames in 10 s");
        assert!(skipped > 100, "{skipped} skipped");
        ages.sort();
        let p99 = ages[ages.len() * 99 / 100];
        assert!(p99 < 250 * MS, "p99 age {p99:?}");
    }

    #[test]
    fn an_empty_queue_is_ready_and_a_full_one_is_not() {
        let now = Instant::now();
        let mut d = Drain::default();
        assert_eq!(d.observe(now, 16_000, 0, 0), Room::Ready);
        assert_eq!(d.observe(now + MS, 32_000, 2048, 0), Room::Ready);
        match d.observe(now + 2 * MS, 48_000, 20_000, 0) {
            Room::Behind { queued, .. } => assert_eq!(queued, 20_000),
            Room::Ready => panic!("20 kB queued must wait"),
        }
    }

    #[test]
    fn the_rate_is_learnt_while_bytes_wait() {
        let now = Instant::now();
        let mut d = Drain::default();
        assert_eq!(d.delay(10_000), Duration::ZERO);
        // 100 kB queued, 12.5 kB arriving every 100 ms: 125 kB/s.
        for i in 0..5u32 {
            let delivered = u64::from(i) * 12_500;
            d.observe(now + 100 * MS * i, 100_000, 100_000 - delivered, 0);
        }
        let delay = d.delay(125_000);
        assert!((990 * MS..1010 * MS).contains(&delay), "{delay:?}");
        // Waits about as long as the excess takes to drain.
        match d.observe(now + 500 * MS, 100_000, 40_000, 0) {
            Room::Behind {
                retry_in,
                progressed,
                ..
            } => {
                assert_eq!(retry_in, Drain::RETRY_MAX);
                assert!(progressed);
            }
            Room::Ready => panic!("40 kB queued must wait"),
        }
        // Closer than a rate sample: the rate stays. The allowance is 20 ms of the link
        // (about 2.4 kB); 1.6 kB over it at about 120 kB/s is 13 ms.
        assert!((2_300..2_500).contains(&d.allowance()), "{}", d.allowance());
        match d.observe(now + 505 * MS, 100_000, 4_000, 0) {
            Room::Behind { retry_in, .. } => assert!(retry_in < 20 * MS, "{retry_in:?}"),
            Room::Ready => panic!("over the allowance"),
        }
    }

    #[test]
    fn one_segment_waiting_for_its_ack_is_no_backlog() {
        let now = Instant::now();
        // Loopback: one 64 KB segment holds a whole frame, and its ACK may be delayed.
        let mut lo = Drain::default();
        assert_eq!(lo.observe(now, 16_000, 16_000, 16_000), Room::Ready);
        // Ethernet: a frame is a dozen segments; 16 kB unacknowledged is a backlog.
        let mut eth = Drain::default();
        assert!(matches!(
            eth.observe(now, 16_000, 16_000, 1_448),
            Room::Behind { .. }
        ));
    }

    #[test]
    fn a_fast_link_may_queue_more() {
        let now = Instant::now();
        let mut d = Drain::default();
        // 10 MB/s: 20 ms of it is 200 kB.
        d.observe(now, 1_000_000, 1_000_000, 0);
        d.observe(now + 50 * MS, 1_000_000, 500_000, 0);
        assert_eq!(d.allowance(), 200_000);
    }
}
