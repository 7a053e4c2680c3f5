//! How a camera says "here I am" on the LAN: DNS-SD over multicast DNS (RFC 6762/6763).
//!
//! A pi-server registers one service instance of type `_http._tcp` (so every generic
//! browser lists its page, with `path=/` as OctoPrint does) that also carries the subtype
//! [`SUBTYPE`] (RFC 6763 §7.1), which means "an MJPEG camera": viewers browse the subtype
//! and see cameras only. The TXT record ([`Advert::txt`]) says where the stream and the
//! snapshot are, the size and rate, and whether the server asks for credentials or speaks
//! TLS; never a credential itself.
//!
//! This module is the record format only, so both sides agree on it by construction; the
//! multicast socket work (announcing, browsing, `.local` names) is in [`mdns`], behind the
//! `mdns` feature.

#[cfg(feature = "mdns")]
pub mod mdns;

use std::collections::BTreeMap;
use std::net::IpAddr;

/// The service type every instance is registered under: generic web browsers list it.
pub const SERVICE_TYPE: &str = "_http._tcp.local.";

/// The subtype that marks an MJPEG camera; what viewers browse for.
pub const SUBTYPE: &str = "_mjpeg._sub._http._tcp.local.";

/// The TXT record's format version (RFC 6763 §6.7).
pub const TXT_VERSION: &str = "1";

/// An instance name is one DNS label: at most 63 bytes (RFC 6763 §4.1.1).
pub const MAX_NAME_BYTES: usize = 63;

/// What a server asks of a client before it may watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Auth {
    /// Anyone on the network may watch.
    #[default]
    None,
    /// HTTP Basic authentication (user name and password).
    Basic,
    /// A token in the URL (`?token=`), or Basic authentication.
    Token,
}

impl Auth {
    fn as_str(self) -> &'static str {
        match self {
            Auth::None => "none",
            Auth::Basic => "basic",
            Auth::Token => "token",
        }
    }

    fn parse(s: &str) -> Auth {
        match s {
            "basic" => Auth::Basic,
            "token" => Auth::Token,
            // Unknown future schemes still need credentials of some kind.
            "none" | "" => Auth::None,
            _ => Auth::Basic,
        }
    }

    /// Whether a client needs credentials.
    pub fn required(self) -> bool {
        self != Auth::None
    }
}

/// One camera as announced: everything a viewer shows in its list and needs to play it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Advert {
    /// The instance name people see ("raspberrypi: test pattern").
    pub name: String,
    /// The full DNS-SD name (`NAME._http._tcp.local.`) when heard on the network; it
    /// tells two cameras of the same name apart. Empty in a record being built.
    pub fullname: String,
    /// The host the SRV record names, without the trailing dot ("raspberrypi.local").
    pub host: String,
    /// Its addresses, as resolved (empty in a record that is only being built).
    pub addresses: Vec<IpAddr>,
    /// TCP port of the HTTP server.
    pub port: u16,
    /// Path of the MJPEG stream ("/stream.mjpg").
    pub stream_path: String,
    /// Path of a single JPEG ("/snapshot.jpg").
    pub snapshot_path: String,
    /// Picture size, when known.
    pub size: Option<(u32, u32)>,
    /// Configured frames per second, when known.
    pub fps: Option<f64>,
    /// What the server asks before it streams.
    pub auth: Auth,
    /// Whether the server speaks HTTPS.
    pub tls: bool,
    /// The server's version.
    pub version: String,
}

impl Advert {
    /// The TXT record: `key=value` pairs, each well under the 255-byte limit.
    pub fn txt(&self) -> Vec<(String, String)> {
        let mut txt = vec![
            ("txtvers".to_string(), TXT_VERSION.to_string()),
            // `path` is what generic HTTP browsers (and OctoPrint's own record) use for the
            // page; the stream has a key of its own.
            ("path".to_string(), "/".to_string()),
            ("stream".to_string(), self.stream_path.clone()),
            ("snapshot".to_string(), self.snapshot_path.clone()),
        ];
        if let Some((w, h)) = self.size {
            txt.push(("size".into(), format!("{w}x{h}")));
        }
        if let Some(fps) = self.fps {
            txt.push(("fps".into(), format_fps(fps)));
        }
        txt.push(("auth".into(), self.auth.as_str().into()));
        txt.push(("tls".into(), if self.tls { "1" } else { "0" }.into()));
        txt.push(("version".into(), self.version.clone()));
        txt
    }

    /// Reads an announced record. Unknown keys are ignored and missing ones take pi-server's
    /// defaults, so a camera published by hand (`avahi-publish`) with only a few keys, or by
    /// a later version with more, still shows.
    pub fn from_txt<'a>(
        name: &str,
        host: &str,
        port: u16,
        addresses: Vec<IpAddr>,
        txt: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Advert {
        let map: BTreeMap<String, &str> = txt
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect();
        let path = |key: &str, default: &str| {
            map.get(key)
                .filter(|p| p.starts_with('/'))
                .map_or_else(|| default.to_string(), |p| (*p).to_string())
        };
        Advert {
            name: name.to_string(),
            fullname: String::new(),
            host: host.trim_end_matches('.').to_string(),
            addresses,
            port,
            stream_path: path("stream", "/stream.mjpg"),
            snapshot_path: path("snapshot", "/snapshot.jpg"),
            size: map.get("size").and_then(|s| parse_size(s)),
            fps: map
                .get("fps")
                .and_then(|f| f.parse::<f64>().ok())
                .filter(|f| f.is_finite() && *f > 0.0),
            auth: map.get("auth").map_or(Auth::None, |a| Auth::parse(a)),
            tls: map.get("tls").is_some_and(|t| *t == "1"),
            version: map
                .get("version")
                .map_or_else(String::new, |v| (*v).to_string()),
        }
    }

    /// The best address to connect to: one of the LAN's before loopback (which only works
    /// on the same machine), IPv4 before IPv6. Never a link-local IPv6 address: a URL
    /// would need its interface's name, which means nothing on another machine.
    pub fn address(&self) -> Option<IpAddr> {
        self.addresses
            .iter()
            .filter(|a| !is_link_local_v6(a))
            .min_by_key(|a| (a.is_loopback(), a.is_ipv6()))
            .copied()
    }

    /// The URL of the server's root, by address when one is known (a `.local` name needs an
    /// mDNS-aware resolver that the viewer's machine may lack), else by host name.
    pub fn base_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        match self.address() {
            Some(IpAddr::V6(a)) => format!("{scheme}://[{a}]:{}", self.port),
            Some(a) => format!("{scheme}://{a}:{}", self.port),
            None => format!("{scheme}://{}:{}", self.host, self.port),
        }
    }

    /// The stream's URL ([`Advert::base_url`] plus the stream path).
    pub fn stream_url(&self) -> String {
        format!("{}{}", self.base_url(), self.stream_path)
    }

    /// The page's URL, by host name: what a person hopping between cameras in a browser
    /// would type (and what a link on one camera's page points at).
    pub fn page_url(&self) -> String {
        format!("{}/", self.base_url())
    }

    /// The camera as both sides list it in JSON (pi-server's `/api/cameras`, the viewer's
    /// `--discover`), so the two lists read alike.
    #[cfg(feature = "json")]
    pub fn listing(&self) -> Listing<'_> {
        Listing {
            name: &self.name,
            host: &self.host,
            addresses: &self.addresses,
            port: self.port,
            page: self.page_url(),
            stream: self.stream_url(),
            width: self.size.map(|s| s.0),
            height: self.size.map(|s| s.1),
            fps: self.fps,
            auth: self.auth.required(),
            tls: self.tls,
            version: &self.version,
        }
    }
}

fn is_link_local_v6(a: &IpAddr) -> bool {
    matches!(a, IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80)
}

fn parse_size(s: &str) -> Option<(u32, u32)> {
    let (w, h) = s.split_once(['x', 'X'])?;
    Some((w.parse().ok()?, h.parse().ok()?))
}

/// `24` rather than `24.0`; fractional rates keep up to two decimals.
fn format_fps(fps: f64) -> String {
    let s = format!("{fps:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The instance name a camera is announced under by default: the host's name and what it
/// films ("raspberrypi: HD Webcam C525"), cut to one DNS label's 63 bytes.
pub fn default_name(host: &str, camera: &str) -> String {
    fit_name(&format!("{host}: {camera}"))
}

/// Cuts a name to [`MAX_NAME_BYTES`] on a character boundary.
pub fn fit_name(name: &str) -> String {
    let mut end = name.len().min(MAX_NAME_BYTES);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].trim_end().to_string()
}

/// A camera in a JSON list ([`Advert::listing`]).
#[cfg(feature = "json")]
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Listing<'a> {
    /// The name people see.
    pub name: &'a str,
    /// The host its record names.
    pub host: &'a str,
    /// Its addresses.
    pub addresses: &'a [IpAddr],
    /// The HTTP port.
    pub port: u16,
    /// Its page's URL.
    pub page: String,
    /// Its stream's URL.
    pub stream: String,
    /// Picture width, when known.
    pub width: Option<u32>,
    /// Picture height, when known.
    pub height: Option<u32>,
    /// Frames per second, when known.
    pub fps: Option<f64>,
    /// Whether it asks for a login.
    pub auth: bool,
    /// Whether it speaks HTTPS.
    pub tls: bool,
    /// The server's version.
    pub version: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn camera() -> Advert {
        Advert {
            name: "pi-a: test pattern".into(),
            fullname: String::new(),
            host: "pi-a.local".into(),
            addresses: vec!["10.0.0.2".parse().unwrap()],
            port: 8000,
            stream_path: "/stream.mjpg".into(),
            snapshot_path: "/snapshot.jpg".into(),
            size: Some((640, 480)),
            fps: Some(24.0),
            auth: Auth::Basic,
            tls: false,
            version: "0.1.0".into(),
        }
    }

    #[test]
    fn a_record_read_back_is_the_record_written() {
        let ad = camera();
        let txt = ad.txt();
        let back = Advert::from_txt(
            &ad.name,
            "pi-a.local.",
            ad.port,
            ad.addresses.clone(),
            txt.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        );
        assert_eq!(back, ad);
    }

    #[test]
    fn the_record_says_what_a_browser_and_a_viewer_need_and_never_a_secret() {
        let txt: BTreeMap<_, _> = camera().txt().into_iter().collect();
        assert_eq!(txt["path"], "/");
        assert_eq!(txt["stream"], "/stream.mjpg");
        assert_eq!(txt["size"], "640x480");
        assert_eq!(txt["fps"], "24");
        assert_eq!(txt["auth"], "basic");
        assert!(
            txt.keys()
                .all(|k| !k.contains("pass") && !k.contains("user"))
        );
    }

    #[test]
    fn a_hand_published_camera_with_few_keys_gets_the_defaults() {
        let ad = Advert::from_txt("door", "door.local.", 8080, vec![], [("size", "1280x720")]);
        assert_eq!(ad.stream_path, "/stream.mjpg");
        assert_eq!(ad.size, Some((1280, 720)));
        assert_eq!(ad.auth, Auth::None);
        assert_eq!(ad.base_url(), "http://door.local:8080");
        // A path that is not a path is not followed.
        let odd = Advert::from_txt("x", "x.local", 80, vec![], [("stream", "http://evil/")]);
        assert_eq!(odd.stream_path, "/stream.mjpg");
    }

    #[test]
    fn the_url_prefers_ipv4_and_brackets_ipv6() {
        let mut ad = camera();
        ad.addresses = vec!["fe80::1".parse().unwrap(), "10.0.0.2".parse().unwrap()];
        assert_eq!(ad.stream_url(), "http://10.0.0.2:8000/stream.mjpg");
        ad.addresses = vec!["127.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap()];
        assert_eq!(ad.stream_url(), "http://10.0.0.2:8000/stream.mjpg");
        ad.addresses = vec!["fe80::1".parse().unwrap(), "fd00::2".parse().unwrap()];
        assert_eq!(ad.stream_url(), "http://[fd00::2]:8000/stream.mjpg");
        // Only link-local so far: the host name, which resolves over mDNS.
        ad.addresses = vec!["fe80::1".parse().unwrap()];
        assert_eq!(ad.stream_url(), "http://pi-a.local:8000/stream.mjpg");
        ad.addresses = vec!["fd00::2".parse().unwrap()];
        ad.tls = true;
        assert_eq!(ad.page_url(), "https://[fd00::2]:8000/");
    }

    #[test]
    fn names_fit_one_dns_label() {
        let long = default_name("raspberrypi", &"é".repeat(40));
        assert!(long.len() <= MAX_NAME_BYTES, "{}", long.len());
        assert!(long.starts_with("raspberrypi: é"));
        assert_eq!(format_fps(12.5), "12.5");
    }
}
