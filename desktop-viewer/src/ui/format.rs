//! Numbers as the overlay prints them.

use std::time::Duration;

/// `3 210` — thin groups of three digits read faster than `3210` at a glance.
pub fn grouped(value: f64) -> String {
    let n = value.max(0.0).round() as u64;
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{2009}');
        }
        out.push(c);
    }
    out
}

/// `16.2 KB` (1000 bytes, as bandwidth is counted).
pub fn kilobytes(bytes: usize) -> String {
    format!("{:.1} KB", bytes as f64 / 1000.0)
}

/// `2.3 ms`, `42 ms`, `1.25 s`.
pub fn age(d: Duration) -> String {
    if d < Duration::from_millis(10) {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    } else if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_of_three() {
        assert_eq!(grouped(0.0), "0");
        assert_eq!(grouped(999.4), "999");
        assert_eq!(grouped(3210.0), "3\u{2009}210");
        assert_eq!(grouped(1_234_567.0), "1\u{2009}234\u{2009}567");
    }

    #[test]
    fn ages() {
        assert_eq!(age(Duration::from_micros(2345)), "2.3 ms");
        assert_eq!(age(Duration::from_millis(42)), "42 ms");
        assert_eq!(age(Duration::from_millis(1250)), "1.25 s");
    }
}
