//! Locking that survives a panic elsewhere.
//!
//! A poisoned mutex only means another thread panicked while holding it; everything the
//! server keeps under a mutex (meters, counters, the rate controller, a source's state)
//! stays usable, and a camera thread's panic must not take `/stats` down with it.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `m`, poisoned or not.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
