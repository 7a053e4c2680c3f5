//! Whether a connection's client keeps taking what it is sent: the watchdog's view.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::backlog::Backlog;
use super::stopwatch::Stopwatch;

/// Whether a connection's client keeps taking what it is sent.
///
/// A stream body marks itself *busy* when it hands a chunk to hyper and *ready* when hyper
/// asks for the next one. hyper asks only once the chunk is on its way to the socket, so a
/// body that stays busy means the client has stopped reading and every buffer on the way is
/// full; the connection's watchdog then drops it. A body waiting for the next frame is
/// ready, so a slow source never looks like a stalled client.
///
/// A body waiting for a slow link to drain stays busy too, but every byte that arrives
/// restarts the clock ([`ConnWatch::progress`]): a slow client is kept, a gone one dropped.
#[derive(Debug)]
pub struct ConnWatch {
    /// Runs while the body is busy.
    busy: Stopwatch,
    stalled: AtomicBool,
    /// The socket's queue, for the stream's slow-link check.
    backlog: Arc<Backlog>,
}

impl Default for ConnWatch {
    /// A watch for no socket: its backlog reads as empty.
    fn default() -> Self {
        ConnWatch::new(Backlog::detached())
    }
}

impl ConnWatch {
    /// A watch over the connection whose socket `backlog` reads.
    pub fn new(backlog: Arc<Backlog>) -> Self {
        ConnWatch {
            busy: Stopwatch::default(),
            stalled: AtomicBool::new(false),
            backlog,
        }
    }

    /// The socket's queue.
    pub fn backlog(&self) -> &Arc<Backlog> {
        &self.backlog
    }

    /// A chunk was handed over; the clock runs until the next is asked for (from the
    /// earliest time, while already busy).
    pub fn busy(&self) {
        self.busy.start();
    }

    /// The client took some of what it was sent: busy, but from now.
    pub fn progress(&self) {
        self.busy.restart();
    }

    /// The connection asked for more.
    pub fn ready(&self) {
        self.busy.stop();
    }

    /// How long the current chunk has waited to be taken.
    pub fn busy_for(&self) -> Duration {
        self.busy.elapsed()
    }

    /// Marks the connection as dropped for stalling, for its stream's leave reason.
    pub fn mark_stalled(&self) {
        self.stalled.store(true, Ordering::Relaxed);
    }

    /// Whether the watchdog dropped the connection.
    pub fn is_stalled(&self) -> bool {
        self.stalled.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ready_connection_is_never_busy() {
        let w = ConnWatch::default();
        assert_eq!(w.busy_for(), Duration::ZERO);
        w.busy();
        std::thread::sleep(Duration::from_millis(5));
        assert!(w.busy_for() > Duration::ZERO);
        w.ready();
        assert_eq!(w.busy_for(), Duration::ZERO);
    }
}
