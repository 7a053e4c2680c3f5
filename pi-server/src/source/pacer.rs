//! Paces a source that makes its own frames (the test pattern, a replayed file) at the
//! configured frame rate, and idles it while nobody watches.

use std::time::{Duration, Instant};

use crate::publish::Publisher;
use crate::shutdown::Shutdown;

/// Longest single sleep, so that shutdown is noticed quickly even at low frame rates or
/// while nobody watches.
const MAX_SLEEP: Duration = Duration::from_millis(100);

/// Decides when a blocking source produces its next frame.
#[derive(Debug)]
pub struct Pacer {
    publisher: Publisher,
    shutdown: Shutdown,
    next: Instant,
}

impl Pacer {
    /// A pacer for a source publishing through `publisher`, whose frame rate it reads on
    /// every frame, until `shutdown`.
    pub fn new(publisher: Publisher, shutdown: Shutdown) -> Self {
        Pacer {
            publisher,
            shutdown,
            next: Instant::now(),
        }
    }

    /// Blocks until the next frame is due, somebody wants it and rate control keeps it;
    /// `false` once the source should stop.
    pub fn wait_turn(&mut self) -> bool {
        loop {
            if self.shutdown.is_triggered() {
                return false;
            }
            if !self.publisher.is_watched() {
                // Nobody watches: produce nothing (no encoding while nobody watches).
                if self.publisher.wait_for_viewer(MAX_SLEEP) {
                    tracing::debug!("viewer arrived; source resumes");
                    self.next = Instant::now();
                }
                continue;
            }
            let now = Instant::now();
            if now >= self.next {
                let interval = self.publisher.gate().frame_interval();
                // Behind by more than a frame (a slow encode, a suspended machine): start
                // afresh instead of bursting to catch up.
                self.next = if now > self.next + interval {
                    now + interval
                } else {
                    self.next + interval
                };
                // Rate control may drop this frame (evenly, before any work is done on it).
                if self.publisher.admit() {
                    return true;
                }
                continue;
            }
            std::thread::sleep((self.next - now).min(MAX_SLEEP));
        }
    }
}
