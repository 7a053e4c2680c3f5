//! A one-place mailbox where a newer value replaces an older one: the viewer's answer to
//! "the decoder (or the screen) is slower than the stream". Stale frames are handed back to
//! be counted and recycled, never queued, so latency cannot pile up.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// Locks a mutex even if another thread panicked while holding it: the data here are
/// counters and frames, still meaningful after a panic elsewhere.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Holds at most one value: the newest.
#[derive(Debug)]
pub struct LatestSlot<T> {
    value: Mutex<Option<T>>,
    ready: Condvar,
}

impl<T> Default for LatestSlot<T> {
    fn default() -> Self {
        LatestSlot {
            value: Mutex::new(None),
            ready: Condvar::new(),
        }
    }
}

impl<T> LatestSlot<T> {
    /// Puts `value` in, returning the value it replaced (which nobody took in time).
    pub fn put(&self, value: T) -> Option<T> {
        let old = lock(&self.value).replace(value);
        self.ready.notify_one();
        old
    }

    /// Takes the value, if any.
    pub fn take(&self) -> Option<T> {
        lock(&self.value).take()
    }

    /// Waits for a value; returns `None` as soon as `stopped()` is true (after
    /// [`LatestSlot::wake`]).
    pub fn wait_take(&self, stopped: impl Fn() -> bool) -> Option<T> {
        let mut guard = lock(&self.value);
        loop {
            if stopped() {
                return None;
            }
            if let Some(v) = guard.take() {
                return Some(v);
            }
            guard = self
                .ready
                .wait(guard)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Wakes every waiter so it can look at its stop condition.
    pub fn wake(&self) {
        // Taking the lock orders this after a waiter's check of `stopped()`, so the
        // notification cannot fall between its check and its wait.
        drop(lock(&self.value));
        self.ready.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[test]
    fn the_newest_value_wins_and_the_stale_one_comes_back() {
        let slot = LatestSlot::default();
        assert_eq!(slot.put(1), None);
        assert_eq!(slot.put(2), Some(1));
        assert_eq!(slot.take(), Some(2));
        assert_eq!(slot.take(), None);
    }

    #[test]
    fn a_waiter_is_released_by_a_value_or_by_stop() {
        let slot = Arc::new(LatestSlot::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (slot.clone(), stop.clone());
        let waiter = std::thread::spawn(move || {
            let first = s.wait_take(|| st.load(Ordering::SeqCst));
            let second = s.wait_take(|| st.load(Ordering::SeqCst));
            (first, second)
        });
        slot.put(7);
        // The waiter may or may not have taken 7 yet; stop it after it did.
        while slot.take().is_some_and(|v| {
            slot.put(v);
            true
        }) {
            std::thread::yield_now();
        }
        stop.store(true, Ordering::SeqCst);
        slot.wake();
        assert_eq!(waiter.join().unwrap(), (Some(7), None));
    }
}
