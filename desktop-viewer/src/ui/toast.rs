//! A message in the status bar (a snapshot saved, a recording that failed), shown for a
//! few seconds.

use std::time::{Duration, Instant};

/// How long a message stays: long enough to read a file path.
const TOAST_FOR: Duration = Duration::from_secs(6);

/// A message in the status bar.
#[derive(Debug, Clone)]
pub struct Toast {
    /// The text.
    pub text: String,
    /// Whether it reports a failure.
    pub is_error: bool,
    shown_at: Instant,
}

impl Toast {
    /// Good news.
    pub fn info(text: impl Into<String>) -> Self {
        Self::new(text.into(), false)
    }

    /// A failure.
    pub fn error(text: impl Into<String>) -> Self {
        Self::new(text.into(), true)
    }

    fn new(text: String, is_error: bool) -> Self {
        Toast {
            text,
            is_error,
            shown_at: Instant::now(),
        }
    }

    /// Whether it has been shown long enough at `now`.
    pub fn expired(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.shown_at) > TOAST_FOR
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_goes_after_six_seconds() {
        let t = Toast::info("Snapshot saved");
        assert!(!t.is_error);
        assert!(!t.expired(Instant::now()));
        assert!(t.expired(Instant::now() + TOAST_FOR + Duration::from_millis(1)));
        assert!(Toast::error("no").is_error);
    }
}
