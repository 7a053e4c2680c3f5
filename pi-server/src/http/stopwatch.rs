//! A clock for "how long has this been waiting", shared between a connection's tasks
//! without a lock: the connection watchdog's busy time and the socket's blocked-write time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Measures from the earliest [`Stopwatch::start`] until [`Stopwatch::stop`].
#[derive(Debug)]
pub struct Stopwatch {
    epoch: Instant,
    /// Milliseconds since `epoch` (plus one, so that 0 can mean stopped) when it started.
    since: AtomicU64,
}

impl Default for Stopwatch {
    fn default() -> Self {
        Stopwatch {
            epoch: Instant::now(),
            since: AtomicU64::new(0),
        }
    }
}

impl Stopwatch {
    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64 + 1
    }

    /// Starts it, keeping the earliest start if it is already running.
    pub fn start(&self) {
        let _ = self
            .since
            .compare_exchange(0, self.now_ms(), Ordering::Relaxed, Ordering::Relaxed);
    }

    /// Starts it again from now, running or not.
    pub fn restart(&self) {
        self.since.store(self.now_ms(), Ordering::Relaxed);
    }

    /// Stops it: it reads zero until started again.
    pub fn stop(&self) {
        self.since.store(0, Ordering::Relaxed);
    }

    /// Time since it started, or zero while stopped.
    pub fn elapsed(&self) -> Duration {
        match self.since.load(Ordering::Relaxed) {
            0 => Duration::ZERO,
            since => Duration::from_millis(self.now_ms().saturating_sub(since)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_runs_from_the_earliest_start_until_stopped() {
        let w = Stopwatch::default();
        assert_eq!(w.elapsed(), Duration::ZERO);
        w.start();
        std::thread::sleep(Duration::from_millis(20));
        // A second start keeps the first one's time.
        w.start();
        assert!(
            w.elapsed() >= Duration::from_millis(15),
            "{:?}",
            w.elapsed()
        );
        w.restart();
        assert!(w.elapsed() < Duration::from_millis(15), "{:?}", w.elapsed());
        w.stop();
        assert_eq!(w.elapsed(), Duration::ZERO);
    }
}
