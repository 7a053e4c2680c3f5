//! Host names, with `.local` names looked up over multicast DNS when the system cannot.
//!
//! Windows and macOS resolve `raspberrypi.local` by themselves, and so does Linux with
//! nss-mdns; a PC without it would fail on the very name a newcomer types. So the system
//! resolver goes first, and only a `.local` name it cannot resolve is asked on the LAN by
//! our own querier (started on first need and kept for the process).

use std::net::{IpAddr, SocketAddr};
use std::sync::OnceLock;
use std::time::Duration;

use mjpeg_wire::discovery::mdns::Mdns;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// How long a `.local` name may take to answer; a Pi answers within milliseconds.
const MDNS_TIMEOUT: Duration = Duration::from_secs(2);

/// reqwest's resolver for the viewer: the system's, then mDNS for `.local` names.
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalAware;

impl Resolve for LocalAware {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let system = tokio::net::lookup_host((host.as_str(), 0)).await;
            let system_err = match system {
                Ok(addrs) => {
                    let addrs: Vec<SocketAddr> = addrs.collect();
                    if !addrs.is_empty() {
                        return Ok(Box::new(addrs.into_iter()) as Addrs);
                    }
                    None
                }
                Err(e) => Some(e),
            };
            if is_local_name(&host) {
                let lookup = host.clone();
                let found = tokio::task::spawn_blocking(move || resolve_local(&lookup))
                    .await
                    .unwrap_or_default();
                if !found.is_empty() {
                    let addrs: Vec<SocketAddr> =
                        found.into_iter().map(|ip| SocketAddr::new(ip, 0)).collect();
                    return Ok(Box::new(addrs.into_iter()) as Addrs);
                }
                return Err(format!(
                    "{host} did not answer on the LAN (multicast DNS) within {MDNS_TIMEOUT:?}; \
                     is it on and on this network?"
                )
                .into());
            }
            Err(match system_err {
                Some(e) => e.into(),
                None => format!("no address for {host}").into(),
            })
        })
    }
}

/// `raspberrypi.local`, `pi.local.`: names only multicast DNS can answer.
pub fn is_local_name(host: &str) -> bool {
    host.trim_end_matches('.')
        .to_ascii_lowercase()
        .ends_with(".local")
}

/// Asks the LAN for a `.local` name's addresses; empty when nobody answered or mDNS cannot
/// be used on this machine.
fn resolve_local(host: &str) -> Vec<IpAddr> {
    static MDNS: OnceLock<Option<Mdns>> = OnceLock::new();
    let mdns = MDNS.get_or_init(|| match Mdns::start() {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::warn!(cause = %e, "cannot look up .local names over multicast DNS");
            None
        }
    });
    mdns.as_ref()
        .map(|m| m.resolve_host(host, MDNS_TIMEOUT))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_dot_local_names_go_to_multicast_dns() {
        assert!(is_local_name("raspberrypi.local"));
        assert!(is_local_name("Pi.LOCAL."));
        assert!(!is_local_name("localhost"));
        assert!(!is_local_name("pi.localdomain"));
        assert!(!is_local_name("10.0.0.2"));
    }
}
