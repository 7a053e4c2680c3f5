//! Stream URLs: parsed once, and shown (in logs, titles, messages) only without a password.

use reqwest::Url;

/// A stream URL that cannot be used at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid URL {url:?}: {reason}")]
pub struct InvalidUrl {
    /// The URL as typed, without its password.
    pub url: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Parses and checks a stream URL; a missing scheme means `http://`.
pub fn parse_url(url: &str) -> Result<Url, InvalidUrl> {
    let invalid = |reason: String| InvalidUrl {
        url: redacted_text(url),
        reason,
    };
    let parsed = Url::parse(&with_scheme(url)).map_err(|e| invalid(e.to_string()))?;
    match parsed.scheme() {
        "http" | "https" => {}
        other => {
            return Err(invalid(format!(
                "unsupported scheme {other:?}; use http or https"
            )));
        }
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host".into()));
    }
    Ok(parsed)
}

/// The port pi-server (and the picamera recipe) listen on: what a bare host name means.
pub const DEFAULT_PORT: u16 = 8000;

/// Ports other MJPEG servers use by default (mjpg-streamer and ustreamer 8080, a web
/// server 80): tried in turn when the port was not typed and the first one refuses.
const OTHER_PORTS: [u16; 3] = [DEFAULT_PORT, 8080, 80];

/// An address as typed (`raspberrypi.local`, `pi:8000`, `http://pi:8000/`, a stream URL),
/// understood: the URL to try first, and what was left for the viewer to find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// The URL to try first: `http://` and port 8000 filled in when not typed.
    pub url: Url,
    /// Whether a port was typed; if not, [`Address::fallback_ports`] are worth a try.
    pub port_typed: bool,
}

impl Address {
    /// Parses what was typed; a bare host means pi-server's port, 8000.
    pub fn parse(text: &str) -> Result<Address, InvalidUrl> {
        let mut url = parse_url(text)?;
        let scheme_typed = text.trim().contains("://");
        let port_typed = url.port().is_some() || typed_port(text);
        if !port_typed && !scheme_typed {
            // Only fails for URLs that cannot have a port; http URLs always can.
            let _ = url.set_port(Some(DEFAULT_PORT));
        }
        Ok(Address { url, port_typed })
    }

    /// Other ports to try, in order, when the first one refuses: none if a port was typed
    /// or the URL is HTTPS (a TLS server on another port would be a different thing).
    pub fn fallback_ports(&self) -> Vec<u16> {
        if self.port_typed || self.url.scheme() != "http" {
            return Vec::new();
        }
        let first = self.url.port_or_known_default();
        OTHER_PORTS
            .into_iter()
            .filter(|p| Some(*p) != first)
            .collect()
    }
}

/// Whether the authority part of `text` names a port, even the scheme's own
/// (`http://pi:80/`, which `Url` reports as no port).
fn typed_port(text: &str) -> bool {
    let after_scheme = text
        .trim()
        .split_once("://")
        .map_or(text.trim(), |(_, r)| r);
    let authority = after_scheme
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    // `[::1]:8000` has its port after the bracket; `[::1]` has none.
    let tail = host_port.rsplit_once(']').map_or(host_port, |(_, t)| t);
    tail.contains(':')
}

/// `pi.local:8000/x` → `http://pi.local:8000/x`.
fn with_scheme(url: &str) -> String {
    let trimmed = url.trim();
    if trimmed.contains("://") {
        trimmed.to_string()
    } else {
        format!("http://{trimmed}")
    }
}

/// The URL without its password: the one form in which a URL is logged or shown. The user
/// name stays; it is no secret, and it tells which account a "wrong password" was about.
pub fn redacted(url: &Url) -> Url {
    let mut u = url.clone();
    // Only fails for URLs that cannot carry credentials, which then have none to hide.
    let _ = u.set_password(None);
    u
}

/// A URL as typed, without its password (`http://` added when it has no scheme, as
/// [`parse_url`] does); one that does not parse is shown from its last `@` on, so a
/// half-typed password never reaches the screen either.
pub fn redacted_text(text: &str) -> String {
    match Url::parse(&with_scheme(text)) {
        Ok(u) => redacted(&u).to_string(),
        Err(_) => match text.rsplit_once('@') {
            Some((_, host)) => format!("…@{host}"),
            None => text.to_string(),
        },
    }
}

/// `host:port` for messages, with the scheme's port when the URL names none
/// (`http://cam/` → `cam:80`): a refused connection is about one port.
pub fn host_port(url: &Url) -> String {
    match (url.host_str(), url.port_or_known_default()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => redacted(url).to_string(),
    }
}

/// The URL with its path replaced by `/stream.mjpg`, credentials removed (it is shown as a
/// suggestion to type, so the user name goes too).
pub fn with_stream_path(url: &Url) -> String {
    let mut u = redacted(url);
    u.set_path("/stream.mjpg");
    u.set_query(None);
    u.set_fragment(None);
    // Only fails for URLs that cannot have credentials; ignoring is correct.
    let _ = u.set_username("");
    u.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_without_a_scheme_are_http() {
        let u = parse_url("pi.local:8000/stream.mjpg").unwrap();
        assert_eq!(u.as_str(), "http://pi.local:8000/stream.mjpg");
    }

    #[test]
    fn https_is_taken_and_nonsense_refused_with_a_reason() {
        assert_eq!(
            parse_url("https://cam/stream.mjpg").unwrap().scheme(),
            "https"
        );
        assert!(parse_url("http://").is_err());
        let e = parse_url("ftp://cam/x").unwrap_err();
        assert!(e.to_string().contains("use http or https"), "{e}");
    }

    #[test]
    fn the_suggested_url_has_no_credentials() {
        let u = parse_url("http://me:secret@cam:8000/index.html?x=1").unwrap();
        assert_eq!(with_stream_path(&u), "http://cam:8000/stream.mjpg");
    }

    #[test]
    fn a_shown_url_never_holds_the_password() {
        let u = parse_url("http://me:secret@cam:8000/stream.mjpg").unwrap();
        assert_eq!(redacted(&u).as_str(), "http://me@cam:8000/stream.mjpg");
        assert_eq!(
            redacted_text("http://me:secret@cam:8000/stream.mjpg"),
            "http://me@cam:8000/stream.mjpg"
        );
        // Typed, but not a URL yet: nothing before the last `@` is shown.
        let shown = redacted_text("http://me:sec ret@cam:8000/x");
        assert!(!shown.contains("sec"), "{shown}");
        let refused = parse_url("ftp://me:secret@cam/").unwrap_err().to_string();
        assert!(!refused.contains("secret"), "{refused}");
    }

    #[test]
    fn what_people_type_becomes_a_url_on_pi_servers_port() {
        let cases = [
            ("raspberrypi.local", "http://raspberrypi.local:8000/", false),
            ("pi", "http://pi:8000/", false),
            ("pi:8000", "http://pi:8000/", true),
            ("pi:8080/stream", "http://pi:8080/stream", true),
            ("http://pi:8000/", "http://pi:8000/", true),
            ("http://pi/", "http://pi/", false),
            ("http://pi:80/", "http://pi/", true),
            ("[::1]", "http://[::1]:8000/", false),
            ("me:pw@pi", "http://me:pw@pi:8000/", false),
        ];
        for (typed, url, port_typed) in cases {
            let a = Address::parse(typed).unwrap();
            assert_eq!((a.url.as_str(), a.port_typed), (url, port_typed), "{typed}");
        }
    }

    #[test]
    fn other_ports_are_tried_only_when_none_was_typed() {
        assert_eq!(Address::parse("pi").unwrap().fallback_ports(), [8080, 80]);
        assert_eq!(
            Address::parse("http://pi/").unwrap().fallback_ports(),
            [8000, 8080]
        );
        assert!(
            Address::parse("pi:8000")
                .unwrap()
                .fallback_ports()
                .is_empty()
        );
        assert!(
            Address::parse("https://pi/")
                .unwrap()
                .fallback_ports()
                .is_empty()
        );
    }

    #[test]
    fn host_port_names_the_port_even_when_the_url_does_not() {
        assert_eq!(host_port(&parse_url("http://cam/x").unwrap()), "cam:80");
        assert_eq!(
            host_port(&parse_url("https://pi.local:8443/x").unwrap()),
            "pi.local:8443"
        );
    }
}
