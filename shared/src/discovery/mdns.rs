//! The multicast side of discovery, on the pure-Rust `mdns-sd` responder: announcing a
//! camera, browsing for cameras as they come and go, and looking up `.local` host names.
//!
//! `mdns-sd` runs its own thread and sockets (port 5353, shared with any other mDNS stack on
//! the host, e.g. avahi-daemon); everything here talks to that thread through channels, so
//! nothing blocks an async runtime or a UI thread for long.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use mdns_sd::{HostnameResolutionEvent, ServiceDaemon, ServiceEvent, ServiceInfo};

use super::{Advert, SERVICE_TYPE, SUBTYPE};

/// How long [`Mdns::resolve_host`] waits for more addresses after the first answer.
const MORE_ADDRESSES: Duration = Duration::from_millis(150);

/// Why discovery could not be used. The server and the viewer work without it, so callers
/// log this and go on.
#[derive(Debug, thiserror::Error)]
#[error("multicast DNS: {0}")]
pub struct MdnsError(String);

impl From<mdns_sd::Error> for MdnsError {
    fn from(e: mdns_sd::Error) -> Self {
        MdnsError(e.to_string())
    }
}

/// One mDNS responder and querier for the whole process; dropping it stops its thread.
pub struct Mdns {
    daemon: ServiceDaemon,
}

impl std::fmt::Debug for Mdns {
    // The daemon is a channel to another thread; there is nothing in it to print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mdns").finish_non_exhaustive()
    }
}

impl Mdns {
    /// Starts the responder thread and binds its sockets.
    pub fn start() -> Result<Mdns, MdnsError> {
        Ok(Mdns {
            daemon: ServiceDaemon::new()?,
        })
    }

    /// Announces `advert` until the returned [`Announcement`] is withdrawn or dropped.
    ///
    /// `host` is the name the SRV record points at, without `.local` ("raspberrypi"); its
    /// A/AAAA records are answered by this responder, with the addresses of every
    /// interface (kept up to date as they change).
    pub fn announce(&self, advert: &Advert, host: &str) -> Result<Announcement, MdnsError> {
        let txt = advert.txt();
        let info = ServiceInfo::new(
            SUBTYPE,
            &advert.name,
            &format!(
                "{}.local.",
                host.trim_end_matches(".local").trim_end_matches('.')
            ),
            "",
            advert.port,
            &txt[..],
        )?
        .enable_addr_auto();
        let fullname = info.get_fullname().to_string();
        self.daemon.register(info)?;
        Ok(Announcement {
            daemon: self.daemon.clone(),
            fullname: Some(fullname),
        })
    }

    /// Browses for cameras: `on_change` is called (on the browsing thread) with every camera
    /// that appears, changes or vanishes, and [`Directory::cameras`] lists those present.
    pub fn browse(
        &self,
        on_change: impl Fn(&Change) + Send + 'static,
    ) -> Result<Directory, MdnsError> {
        // The whole `_http._tcp` type, not just our subtype: mdns-sd 0.21 answers a subtype
        // query with the PTR of the main type (the subtype's PTR only as an additional
        // record), which its own browser then ignores. Cameras are told apart from other
        // web servers by their record instead ([`is_camera`]).
        let events = self.daemon.browse(SERVICE_TYPE)?;
        let directory = Directory::default();
        let shared = directory.clone();
        std::thread::Builder::new()
            .name("mdns-browse".into())
            .spawn(move || {
                // Ends when the daemon shuts down and drops its end of the channel.
                while let Ok(event) = events.recv() {
                    if let Some(change) = shared.apply(event) {
                        on_change(&change);
                    }
                }
            })
            .map_err(|e| MdnsError(format!("cannot start the browsing thread: {e}")))?;
        Ok(directory)
    }

    /// Looks up `name` (`raspberrypi.local`) with an mDNS query of our own: for machines
    /// whose system resolver knows nothing of `.local` (no nss-mdns). Waits at most
    /// `timeout`; an empty list means nobody answered.
    pub fn resolve_host(&self, name: &str, timeout: Duration) -> Vec<IpAddr> {
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        let millis = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        let Ok(events) = self.daemon.resolve_hostname(&fqdn, Some(millis)) else {
            return Vec::new();
        };
        let deadline = std::time::Instant::now() + timeout;
        let mut found: Vec<IpAddr> = Vec::new();
        // A host's addresses arrive in several answers (IPv4, then IPv6 on each interface):
        // after the first, listen a little longer for the rest.
        let mut until = deadline;
        while let Some(left) = until.checked_duration_since(std::time::Instant::now()) {
            match events.recv_timeout(left) {
                Ok(HostnameResolutionEvent::AddressesFound(_, addrs)) => {
                    found.extend(addrs.iter().map(|a| a.to_ip_addr()));
                    until = until.min(std::time::Instant::now() + MORE_ADDRESSES);
                }
                Ok(HostnameResolutionEvent::SearchTimeout(_)) | Err(_) => break,
                Ok(_) => {}
            }
        }
        let _ = self.daemon.stop_resolve_hostname(&fqdn);
        found.sort_by_key(|a| (a.is_loopback(), a.is_ipv6()));
        found.dedup();
        found
    }
}

impl Drop for Mdns {
    fn drop(&mut self) {
        // Already shut down (or never started) is the only error; nothing to do then.
        let _ = self.daemon.shutdown();
    }
}

/// A camera being announced. [`Announcement::withdraw`] (or dropping it) sends the goodbye
/// (TTL 0) records, so browsers drop the camera at once instead of after the TTL.
pub struct Announcement {
    daemon: ServiceDaemon,
    fullname: Option<String>,
}

impl std::fmt::Debug for Announcement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Announcement")
            .field("fullname", &self.fullname)
            .finish_non_exhaustive()
    }
}

impl Announcement {
    /// The instance's full DNS-SD name (`NAME._http._tcp.local.`).
    pub fn fullname(&self) -> &str {
        self.fullname.as_deref().unwrap_or_default()
    }

    /// Withdraws the camera and waits (at most `wait`) until the goodbye has been sent.
    pub fn withdraw(mut self, wait: Duration) {
        self.unregister(wait);
    }

    fn unregister(&mut self, wait: Duration) {
        let Some(fullname) = self.fullname.take() else {
            return;
        };
        // A goodbye that cannot be confirmed only means browsers keep the camera until its
        // records expire; nothing more can be done about it here.
        if let Ok(status) = self.daemon.unregister(&fullname) {
            let _ = status.recv_timeout(wait);
        }
    }
}

impl Drop for Announcement {
    fn drop(&mut self) {
        self.unregister(Duration::from_millis(500));
    }
}

/// A camera appearing, changing or vanishing.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Newly resolved.
    Appeared(Advert),
    /// Present before, with a record that changed (often: one more address resolved).
    Updated(Advert),
    /// Withdrawn (goodbye) or expired; the record as last known.
    Vanished(Advert),
}

/// The cameras present now, kept up to date by the browsing thread; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    cameras: Arc<Mutex<BTreeMap<String, Advert>>>,
}

impl Directory {
    /// Every camera present, sorted by name (ignoring case).
    pub fn cameras(&self) -> Vec<Advert> {
        let mut list: Vec<Advert> = self.lock().values().cloned().collect();
        // As people read a list: "door" beside "Door", not after every capital.
        list.sort_by_cached_key(|c| (c.name.to_lowercase(), c.host.clone()));
        list
    }

    /// Adds or replaces a camera by hand (one typed in, or a test's); what browsing does
    /// for each camera it resolves. Says what changed.
    pub fn record(&self, advert: Advert) -> Option<Change> {
        let key = if advert.fullname.is_empty() {
            advert.name.clone()
        } else {
            advert.fullname.clone()
        };
        let previous = self.lock().insert(key, advert.clone());
        match previous {
            None => Some(Change::Appeared(advert)),
            Some(p) if p != advert => Some(Change::Updated(advert)),
            Some(_) => None,
        }
    }

    /// Removes a camera by its full name (or its name, for one recorded without).
    pub fn forget(&self, fullname: &str) -> Option<Change> {
        self.lock().remove(fullname).map(Change::Vanished)
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Advert>> {
        // A panic while holding this lock leaves a map that is still whole.
        self.cameras.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn apply(&self, event: ServiceEvent) -> Option<Change> {
        match event {
            ServiceEvent::ServiceResolved(service) => {
                if !is_camera(
                    service.sub_ty_domain.as_deref(),
                    service.txt_properties.get("stream").is_some(),
                ) {
                    return None;
                }
                let name = instance_name(&service.fullname);
                let mut addresses: Vec<IpAddr> =
                    service.addresses.iter().map(|a| a.to_ip_addr()).collect();
                addresses.sort();
                let mut advert = Advert::from_txt(
                    &name,
                    &service.host,
                    service.port,
                    addresses,
                    service
                        .txt_properties
                        .iter()
                        .map(|p| (p.key(), p.val_str())),
                );
                advert.fullname.clone_from(&service.fullname);
                self.record(advert)
            }
            ServiceEvent::ServiceRemoved(_, fullname) => self.forget(&fullname),
            _ => None,
        }
    }
}

/// Whether an `_http._tcp` instance is a camera: it carries our subtype, or its TXT record
/// names a stream (a printer's or a router's page has neither).
fn is_camera(subtype: Option<&str>, has_stream_key: bool) -> bool {
    has_stream_key || subtype.is_some_and(|s| s.eq_ignore_ascii_case(SUBTYPE))
}

/// `pi-a: test pattern._http._tcp.local.` → `pi-a: test pattern` (dots inside the name
/// arrive escaped as `\.`).
fn instance_name(fullname: &str) -> String {
    let base = fullname
        .strip_suffix(SERVICE_TYPE)
        .map_or(fullname, |b| b.trim_end_matches('.'));
    base.replace("\\.", ".").replace("\\\\", "\\")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_servers_that_say_they_stream_are_cameras() {
        assert!(is_camera(Some("_mjpeg._sub._http._tcp.local."), false));
        assert!(is_camera(None, true));
        assert!(!is_camera(None, false), "a printer's web page");
        assert!(!is_camera(Some("_printer._sub._http._tcp.local."), false));
    }

    #[test]
    fn instance_names_lose_the_type_and_their_escapes() {
        assert_eq!(
            instance_name("pi-a: test pattern._http._tcp.local."),
            "pi-a: test pattern"
        );
        assert_eq!(instance_name("v1\\.2 cam._http._tcp.local."), "v1.2 cam");
    }
}
