//! Paces a source at the configured frame rate, and idles it while nobody watches.

use std::time::{Duration, Instant};

use crate::fanout::Fanout;

/// How long a source keeps producing after the last viewer left: a viewer that reconnects
/// (a page reload) finds frames at once, and the source is not restarted for each blip.
pub const LINGER: Duration = Duration::from_secs(2);

/// Longest single sleep, so that a stop is noticed quickly even at low frame rates.
const MAX_SLEEP: Duration = Duration::from_millis(100);

/// Decides when a blocking source produces its next frame.
#[derive(Debug)]
pub struct Pacer {
    fanout: Fanout,
    next: Instant,
    last_demand: Instant,
}

impl Pacer {
    /// A pacer for sources publishing into `fanout`; its frame rate is read from the
    /// fan-out's controls on every frame.
    pub fn new(fanout: Fanout) -> Self {
        let now = Instant::now();
        Pacer {
            fanout,
            next: now,
            last_demand: now,
        }
    }

    /// Blocks until the next frame is due, somebody wants it and rate control keeps it;
    /// `false` once the source should stop.
    pub fn wait_turn(&mut self) -> bool {
        loop {
            if self.fanout.is_stopped() {
                return false;
            }
            let now = Instant::now();
            if self.fanout.has_demand() {
                self.last_demand = now;
            } else if now.duration_since(self.last_demand) > LINGER {
                // Nobody watches: produce nothing (no encoding while nobody watches).
                if self.fanout.wait_for_demand(Duration::from_millis(500)) {
                    tracing::debug!("viewer arrived; source resumes");
                    self.next = Instant::now();
                    self.last_demand = self.next;
                }
                continue;
            }
            if now >= self.next {
                let interval = self.fanout.controls().frame_interval();
                // Behind by more than a frame (a slow encode, a suspended machine): start
                // afresh instead of bursting to catch up.
                self.next = if now > self.next + interval {
                    now + interval
                } else {
                    self.next + interval
                };
                // Rate control may drop this frame (evenly, before any work is done on it).
                if self.fanout.admit() {
                    return true;
                }
                continue;
            }
            std::thread::sleep((self.next - now).min(MAX_SLEEP));
        }
    }
}
