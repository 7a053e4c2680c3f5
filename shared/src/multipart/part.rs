//! One part of a multipart stream: its headers and its body.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

/// One header line of a part, name and value as received (value trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub(crate) name: Bytes,
    pub(crate) value: Bytes,
}

impl Header {
    /// The header name as sent (any case).
    pub fn name(&self) -> &[u8] {
        &self.name
    }

    /// The value with surrounding white space removed.
    pub fn value(&self) -> &[u8] {
        &self.value
    }
}

/// A part: its headers and its body (for MJPEG, one JPEG).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub(crate) headers: Vec<Header>,
    pub(crate) body: Bytes,
}

impl Part {
    /// The body; a slice of the received data whenever it arrived in one chunk.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Takes the body out of the part.
    pub fn into_body(self) -> Bytes {
        self.body
    }

    /// All header lines in order.
    pub fn headers(&self) -> &[Header] {
        &self.headers
    }

    /// The value of the first header called `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        find_header(&self.headers, name)
    }

    /// The part's `Content-Type`, if it is valid UTF-8.
    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
            .and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The declared `Content-Length`, if present and a number.
    pub fn content_length(&self) -> Option<u64> {
        parse_content_length(&self.headers)
    }

    /// The capture time from `X-Timestamp` (seconds since the Unix epoch with a fraction,
    /// as ustreamer, mjpg-streamer and pi-server send it).
    pub fn timestamp(&self) -> Option<SystemTime> {
        parse_timestamp(self.header("x-timestamp")?)
    }
}

pub(crate) fn find_header<'a>(headers: &'a [Header], name: &str) -> Option<&'a [u8]> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name.as_bytes()))
        .map(|h| &h.value[..])
}

pub(crate) fn parse_content_length(headers: &[Header]) -> Option<u64> {
    let v = find_header(headers, "content-length")?;
    std::str::from_utf8(v).ok()?.trim().parse().ok()
}

/// Parses `SECONDS[.FRACTION]` into a time since the Unix epoch.
pub(crate) fn parse_timestamp(value: &[u8]) -> Option<SystemTime> {
    let s = std::str::from_utf8(value).ok()?.trim();
    let (secs, frac) = s.split_once('.').unwrap_or((s, ""));
    let secs: u64 = secs.parse().ok()?;
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Nanoseconds from at most nine fraction digits, right-padded with zeros.
    let digits = &frac[..frac.len().min(9)];
    let nanos = if digits.is_empty() {
        0
    } else {
        digits.parse::<u32>().ok()? * 10u32.pow(9 - digits.len() as u32)
    };
    UNIX_EPOCH.checked_add(Duration::new(secs, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(headers: &[(&'static str, &'static str)]) -> Part {
        Part {
            headers: headers
                .iter()
                .map(|(n, v)| Header {
                    name: Bytes::from_static(n.as_bytes()),
                    value: Bytes::from_static(v.as_bytes()),
                })
                .collect(),
            body: Bytes::new(),
        }
    }

    #[test]
    fn header_lookup_ignores_case() {
        let p = part(&[("Content-type", "image/jpeg"), ("Content-length", "12")]);
        assert_eq!(p.content_type(), Some("image/jpeg"));
        assert_eq!(p.content_length(), Some(12));
        assert_eq!(p.header("CONTENT-TYPE"), Some(&b"image/jpeg"[..]));
    }

    #[test]
    fn timestamps_in_the_formats_servers_send() {
        let p = part(&[("X-Timestamp", "1700000000.123456")]);
        assert_eq!(
            p.timestamp(),
            Some(UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_000))
        );
        let p = part(&[("x-timestamp", "42")]);
        assert_eq!(p.timestamp(), Some(UNIX_EPOCH + Duration::from_secs(42)));
        let p = part(&[("X-Timestamp", "12.5x")]);
        assert_eq!(p.timestamp(), None);
        let p = part(&[("X-Timestamp", "1.1234567891234")]);
        assert_eq!(
            p.timestamp(),
            Some(UNIX_EPOCH + Duration::new(1, 123_456_789))
        );
    }
}
