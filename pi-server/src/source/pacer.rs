//! Paces a source that makes its own frames (the test pattern, a replayed file) at the
//! configured frame rate, and idles it while nobody watches.
//!
//! One decision ([`Pacer::step`]) and two ways to wait for it: a thread that encodes (the
//! pattern) blocks in [`Pacer::wait_turn`]; a source that only hands out frames it holds (a
//! replayed file) awaits [`Pacer::turn`] on the runtime, so that publishing a frame and
//! writing it to the clients happen on one thread, with no wake-up in between.

use std::time::{Duration, Instant};

use crate::publish::Publisher;
use crate::shutdown::Shutdown;

/// Longest single sleep of a blocking source, so that shutdown is noticed quickly even at
/// low frame rates or while nobody watches.
const MAX_SLEEP: Duration = Duration::from_millis(100);

/// Decides when a source produces its next frame.
#[derive(Debug)]
pub struct Pacer {
    publisher: Publisher,
    shutdown: Shutdown,
    next: Instant,
}

/// What a source should do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Produce a frame.
    Produce,
    /// Nothing before this time.
    WaitUntil(Instant),
    /// Nobody watches: wait for a viewer.
    Idle,
    /// Shutdown.
    Stop,
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

    /// What to do at `now`.
    fn step(&mut self, now: Instant) -> Step {
        if self.shutdown.is_triggered() {
            return Step::Stop;
        }
        if !self.publisher.is_watched() {
            // Nobody watches: produce nothing (no encoding while nobody watches).
            return Step::Idle;
        }
        if now < self.next {
            return Step::WaitUntil(self.next);
        }
        let interval = self.publisher.gate().frame_interval();
        // Behind by more than a frame (a slow encode, a suspended machine): start afresh
        // instead of bursting to catch up.
        self.next = if now > self.next + interval {
            now + interval
        } else {
            self.next + interval
        };
        // Rate control may drop this frame (evenly, before any work is done on it).
        if self.publisher.admit() {
            Step::Produce
        } else {
            Step::WaitUntil(self.next)
        }
    }

    /// A viewer arrived after an idle spell: the next frame is due now.
    fn resume(&mut self) {
        tracing::debug!("viewer arrived; source resumes");
        self.next = Instant::now();
    }

    /// Blocks until the next frame is due, somebody wants it and rate control keeps it;
    /// `false` once the source should stop.
    pub fn wait_turn(&mut self) -> bool {
        loop {
            match self.step(Instant::now()) {
                Step::Produce => return true,
                Step::Stop => return false,
                Step::WaitUntil(at) => {
                    std::thread::sleep(at.saturating_duration_since(Instant::now()).min(MAX_SLEEP));
                }
                Step::Idle => {
                    if self.publisher.wait_for_viewer(MAX_SLEEP) {
                        self.resume();
                    }
                }
            }
        }
    }

    /// [`Pacer::wait_turn`] for a source task: completes when the next frame is due,
    /// somebody wants it and rate control keeps it; `false` once the source should stop.
    pub async fn turn(&mut self) -> bool {
        let mut shutdown = self.shutdown.clone();
        loop {
            // The runtime's clock, so that a test may pause it.
            match self.step(tokio::time::Instant::now().into_std()) {
                Step::Produce => return true,
                Step::Stop => return false,
                Step::WaitUntil(at) => tokio::select! {
                    _ = shutdown.wait() => return false,
                    _ = tokio::time::sleep_until(at.into()) => {}
                },
                Step::Idle => tokio::select! {
                    _ = shutdown.wait() => return false,
                    _ = self.publisher.viewer() => self.resume(),
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use mjpeg_wire::multipart::Writer;

    use super::*;
    use crate::broadcast::Broadcast;

    #[tokio::test(start_paused = true)]
    async fn a_task_produces_at_the_frame_rate_and_stops_on_shutdown() {
        let publisher = Publisher::new(Broadcast::new(Writer::default()), &Default::default(), 10);
        let _viewer = publisher.broadcast().subscribe();
        let (trigger, shutdown) = crate::shutdown::channel();
        let mut pacer = Pacer::new(publisher, shutdown);
        let start = tokio::time::Instant::now();
        for _ in 0..5 {
            assert!(pacer.turn().await);
        }
        // Five turns at 10 fps: the first at once, then one every 100 ms (give or take the
        // timer's millisecond).
        let elapsed = start.elapsed();
        assert!(
            (Duration::from_millis(400)..Duration::from_millis(405)).contains(&elapsed),
            "{elapsed:?}"
        );
        trigger.fire();
        assert!(!pacer.turn().await);
    }
}
