//! Telling the LAN that this camera exists (DNS-SD over mDNS), and listening for the others.
//!
//! At start the server announces itself under the record format of
//! [`mjpeg_wire::discovery`]; on shutdown it withdraws (goodbye records), so viewers drop it
//! at once. It also browses for other cameras, which the index page lists so that a browser
//! can hop between them.
//!
//! Two mDNS stacks on one host: Raspberry Pi OS runs avahi-daemon, which owns the host's
//! name (`raspberrypi.local`). If this responder announced address records for the same
//! name, any address avahi does not publish (another interface, a new IPv6 address) would
//! look to avahi like a name conflict, and avahi would rename the whole host to
//! `raspberrypi-2.local`. So when avahi runs, our SRV record points at a host name of our
//! own (`raspberrypi-pi-server.local`) and avahi's name stays avahi's; the records of a
//! service name are ours alone in either case. Without avahi we answer for the host's own
//! name, so `raspberrypi.local` resolves for viewers even on a box without avahi.

use std::path::Path;
use std::time::Duration;

use mjpeg_wire::discovery::mdns::{Announcement, Directory, Mdns};
use mjpeg_wire::discovery::{Advert, Auth, default_name, fit_name};

/// How long shutdown waits for the goodbye to go out.
const GOODBYE_WAIT: Duration = Duration::from_millis(500);

/// Whether and how to announce. Off by default for the library (a test server must not
/// multicast on the machine's network); the command line turns it on unless
/// `--no-announce`.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Announce (and browse).
    pub enabled: bool,
    /// The name people see; `None`: the host name and the camera's.
    pub name: Option<String>,
}

/// What the announcement says about this server, besides the name.
#[derive(Debug, Clone)]
pub struct Facts {
    /// The port clients connect to.
    pub port: u16,
    /// What is being filmed (the source's description).
    pub camera: String,
    /// Frame size asked for.
    pub size: (u32, u32),
    /// Frames per second asked for.
    pub fps: u32,
    /// What a client must show to watch.
    pub auth: Auth,
    /// HTTPS on.
    pub tls: bool,
}

/// The server's presence on the LAN while it runs.
#[derive(Debug)]
pub struct Presence {
    // Declared before `mdns`: dropped first, so the goodbye goes out while the daemon runs.
    announcement: Announcement,
    directory: Directory,
    _mdns: Mdns,
}

impl Presence {
    /// Starts announcing and browsing; `None` (with a warning) when multicast DNS cannot be
    /// used here: the server works without it.
    pub fn start(settings: &Settings, facts: &Facts) -> Option<Presence> {
        if !settings.enabled {
            return None;
        }
        let host = host_name();
        let advert = Advert {
            name: settings
                .name
                .as_deref()
                .map_or_else(|| default_name(&host, &facts.camera), fit_name),
            port: facts.port,
            stream_path: "/stream.mjpg".into(),
            snapshot_path: "/snapshot.jpg".into(),
            size: Some(facts.size),
            fps: Some(f64::from(facts.fps)),
            auth: facts.auth,
            tls: facts.tls,
            version: env!("CARGO_PKG_VERSION").into(),
            ..Advert::default()
        };
        let srv_host = if avahi_running(Path::new("/run/avahi-daemon/pid")) {
            format!("{host}-pi-server")
        } else {
            host
        };
        let started = Mdns::start().and_then(|mdns| {
            let announcement = mdns.announce(&advert, &srv_host)?;
            let directory = mdns.browse(|_| {})?;
            Ok(Presence {
                announcement,
                directory,
                _mdns: mdns,
            })
        });
        match started {
            Ok(presence) => {
                tracing::info!(
                    name = %advert.name,
                    host = %format!("{srv_host}.local"),
                    "announced on the LAN (DNS-SD: _http._tcp, subtype _mjpeg)"
                );
                Some(presence)
            }
            Err(e) => {
                tracing::warn!(cause = %e, "cannot announce this camera on the LAN; viewers must be given its address");
                None
            }
        }
    }

    /// The cameras heard of on the LAN, for the index page.
    pub fn neighbours(&self) -> Neighbours {
        Neighbours {
            directory: self.directory.clone(),
            me: self.announcement.fullname().to_string(),
        }
    }

    /// Withdraws the announcement and waits briefly for the goodbye to be sent.
    pub fn withdraw(self) {
        self.announcement.withdraw(GOODBYE_WAIT);
    }
}

/// The other cameras on the LAN, as heard while browsing; cheap to clone.
#[derive(Debug, Clone)]
pub struct Neighbours {
    directory: Directory,
    me: String,
}

impl Neighbours {
    /// Every camera heard of but this one, sorted by name.
    pub fn others(&self) -> Vec<Advert> {
        let mut list = self.directory.cameras();
        list.retain(|c| !c.fullname.eq_ignore_ascii_case(&self.me));
        list
    }
}

/// This machine's name, as `/etc/hostname` and avahi know it.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "pi-server".into())
}

/// Whether avahi-daemon runs on this host: its pid file names a live process.
fn avahi_running(pid_file: &Path) -> bool {
    std::fs::read_to_string(pid_file)
        .ok()
        .and_then(|pid| pid.trim().parse::<u32>().ok())
        .is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avahi_counts_as_running_only_when_its_pid_is_alive() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        assert!(!avahi_running(&pid_file), "no pid file");
        std::fs::write(&pid_file, format!("{}\n", std::process::id())).unwrap();
        assert!(avahi_running(&pid_file), "our own pid is alive");
        // Beyond the kernel's largest pid: a stale file from a daemon long gone.
        std::fs::write(&pid_file, "4194305\n").unwrap();
        assert!(!avahi_running(&pid_file));
    }
}
