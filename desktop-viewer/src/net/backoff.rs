//! Delays between reconnection attempts: doubling from 0.5 s up to 5 s.

use std::time::Duration;

/// First retry comes quickly, so a server restart costs the user half a second.
pub const MIN_DELAY: Duration = Duration::from_millis(500);
/// Never wait longer than this: a camera that comes back is shown within 5 s, and a dead
/// one costs one cheap connection attempt every 5 s.
pub const MAX_DELAY: Duration = Duration::from_secs(5);

/// Exponential backoff; [`Backoff::reset`] after a connection that delivered frames.
#[derive(Debug, Clone)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(MIN_DELAY, MAX_DELAY)
    }
}

impl Backoff {
    /// Delays from `min`, doubling, capped at `max`.
    pub fn new(min: Duration, max: Duration) -> Self {
        let max = max.max(min);
        Backoff {
            min,
            max,
            next: min,
        }
    }

    /// The delay before the next attempt; each call doubles the one after.
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(self.max);
        delay
    }

    /// Back to the shortest delay (the last connection worked).
    pub fn reset(&mut self) {
        self.next = self.min;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_half_a_second_up_to_five() {
        let mut b = Backoff::default();
        let delays: Vec<_> = (0..6).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(delays, [500, 1000, 2000, 4000, 5000, 5000]);
        b.reset();
        assert_eq!(b.next_delay(), MIN_DELAY);
    }
}
