//! Durations as both binaries' flags spell them: `10s`, `250ms`, `2m`, or bare seconds.
//!
//! One parser, so that `pi-server --client-timeout 10s` and `desktop-viewer
//! --stall-timeout 10s` mean the same and a bare `10` is seconds for both. It refuses what
//! would make a timeout meaningless (zero, negative, NaN, infinite, beyond `Duration`)
//! with a message that says what to type instead.

use std::time::Duration;

/// A flag value that is not a usable duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurationError {
    /// Not a number with an optional unit.
    #[error("{0:?} is not a duration: use e.g. 10s, 500ms, 2m or 1.5 (seconds)")]
    Syntax(String),
    /// A number, but not a finite one (`inf`, `NaN`): a timeout must end.
    #[error("{0:?} is not a finite duration: give a number of seconds, e.g. 10s")]
    NotFinite(String),
    /// Zero or negative: a timeout that has always passed.
    #[error("{0:?} is not a positive duration: give more than zero, e.g. 10s")]
    NotPositive(String),
    /// More than `Duration` holds (about 584 billion years).
    #[error("{0:?} is too long a duration")]
    TooLong(String),
}

/// Parses `10s`, `250ms`, `2m` or bare seconds (`1.5`); the value must be finite and above
/// zero.
pub fn parse(text: &str) -> Result<Duration, DurationError> {
    let s = text.trim();
    let (number, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else {
        (s, 1.0)
    };
    let owned = || s.to_string();
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| DurationError::Syntax(owned()))?;
    if !value.is_finite() {
        return Err(DurationError::NotFinite(owned()));
    }
    if value <= 0.0 {
        return Err(DurationError::NotPositive(owned()));
    }
    match Duration::try_from_secs_f64(value * scale) {
        Ok(d) if d.is_zero() => Err(DurationError::NotPositive(owned())),
        Ok(d) => Ok(d),
        Err(_) => Err(DurationError::TooLong(owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_bare_seconds() {
        assert_eq!(parse("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse(" 3 s "), Ok(Duration::from_secs(3)));
    }

    #[test]
    fn what_cannot_be_a_timeout_is_refused_with_a_reason() {
        for (text, want) in [
            ("soon", DurationError::Syntax("soon".into())),
            ("", DurationError::Syntax("".into())),
            ("inf", DurationError::NotFinite("inf".into())),
            ("infs", DurationError::NotFinite("infs".into())),
            ("-inf", DurationError::NotFinite("-inf".into())),
            ("NaN", DurationError::NotFinite("NaN".into())),
            ("0s", DurationError::NotPositive("0s".into())),
            ("-1s", DurationError::NotPositive("-1s".into())),
            ("1e-12ms", DurationError::NotPositive("1e-12ms".into())),
            ("1e300", DurationError::TooLong("1e300".into())),
        ] {
            assert_eq!(parse(text), Err(want), "{text:?}");
        }
        let message = parse("inf").unwrap_err().to_string();
        assert!(message.contains("e.g. 10s"), "{message}");
    }
}
