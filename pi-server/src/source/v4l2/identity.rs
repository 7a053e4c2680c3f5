//! Which camera a device node is, so that a camera that comes back finds its server again.
//!
//! A USB camera that is unplugged and plugged in again, or whose firmware restarts, comes
//! back as a new device node, and not always under its old number: while anything still
//! holds the old `/dev/videoN` open, the kernel gives the camera the next free one (seen
//! with uvcvideo: `/dev/video1` came back as `/dev/video2`), and the old number may later
//! go to another camera. So after the first open the source remembers the camera's identity
//! (the driver's card name and bus position, as `VIDIOC_QUERYCAP` reports them) and, when
//! the camera is lost, opens the node that has that identity now: the configured path if it
//! still is that camera, else the first node that is. A `/dev/v4l/by-id/` path needs none
//! of this (udev moves the link with the camera), and it works the same way.

use std::path::{Path, PathBuf};

use v4l::Device;
use v4l::capability::Flags as CapFlags;

/// Who a capture node is: what `VIDIOC_QUERYCAP` says of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The device's name (`HD Pro Webcam C920`).
    pub card: String,
    /// Where it sits (`usb-0000:01:00.0-1.2`): tells two cameras of one model apart.
    pub bus: String,
}

impl Identity {
    /// The identity of the device open as `dev`.
    pub fn of(dev: &Device) -> std::io::Result<Self> {
        let caps = dev.query_caps()?;
        Ok(Identity {
            card: caps.card,
            bus: caps.bus,
        })
    }
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} on {}", self.card, self.bus)
    }
}

/// The node to open for the camera `wanted`, among `nodes` (each with its identity, or
/// `None` when it could not be read): `configured` while it is that camera, else the first
/// node that is; failing both, `configured` if it is there at all (opening it says what is
/// wrong). `None`: the camera is not there (yet).
pub fn choose(
    configured: &Path,
    wanted: &Identity,
    nodes: &[(PathBuf, Option<Identity>)],
) -> Option<PathBuf> {
    let is_wanted = |(_, id): &&(PathBuf, Option<Identity>)| id.as_ref() == Some(wanted);
    nodes
        .iter()
        .filter(is_wanted)
        .find(|(p, _)| p == configured)
        .or_else(|| nodes.iter().find(is_wanted))
        .or_else(|| nodes.iter().find(|(p, id)| p == configured && id.is_none()))
        .map(|(p, _)| p.clone())
}

/// The node that is the camera `wanted` now (see [`choose`]): the configured path is read
/// first, every node only when that is not the camera.
pub fn locate(configured: &Path, wanted: &Identity) -> Option<PathBuf> {
    if read(configured).as_ref() == Some(wanted) {
        return Some(configured.to_path_buf());
    }
    choose(configured, wanted, &scan(configured))
}

/// The identity of the capture node at `path`; `None` when it cannot be read or does not
/// capture video (uvcvideo's metadata node has the camera's card and bus too).
fn read(path: &Path) -> Option<Identity> {
    let caps = Device::with_path(path).and_then(|d| d.query_caps()).ok()?;
    caps.capabilities
        .contains(CapFlags::VIDEO_CAPTURE)
        .then_some(Identity {
            card: caps.card,
            bus: caps.bus,
        })
}

/// Every `/dev/videoN` with its identity, read now. `configured` is included when it is
/// not a `/dev/videoN` itself (a `/dev/v4l/by-id/` link).
fn scan(configured: &Path) -> Vec<(PathBuf, Option<Identity>)> {
    let mut paths = super::device::device_nodes();
    if !paths.iter().any(|p| p == configured) && configured.exists() {
        paths.insert(0, configured.to_path_buf());
    }
    paths
        .into_iter()
        .map(|p| {
            let id = read(&p);
            (p, id)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(card: &str, bus: &str) -> Identity {
        Identity {
            card: card.into(),
            bus: bus.into(),
        }
    }

    fn node(n: u32, identity: Option<Identity>) -> (PathBuf, Option<Identity>) {
        (PathBuf::from(format!("/dev/video{n}")), identity)
    }

    #[test]
    fn the_configured_node_is_kept_while_it_is_the_camera() {
        let webcam = id("USB Webcam", "usb-dummy_hcd.0-1");
        let nodes = [
            node(0, Some(id("vivid", "platform:vivid-000"))),
            node(1, Some(webcam.clone())),
        ];
        assert_eq!(
            choose(Path::new("/dev/video1"), &webcam, &nodes),
            Some("/dev/video1".into())
        );
    }

    #[test]
    fn a_camera_back_under_another_number_is_found_by_its_identity() {
        // Seen with uvcvideo: something held /dev/video1 open during the unplug, so the
        // camera came back as /dev/video2 (and /dev/video1 is gone).
        let webcam = id("USB Webcam: UVC Camera", "usb-dummy_hcd.0-1");
        let nodes = [
            node(0, Some(id("dummy_udc", "gadget.0"))),
            node(2, Some(webcam.clone())),
        ];
        assert_eq!(
            choose(Path::new("/dev/video1"), &webcam, &nodes),
            Some("/dev/video2".into())
        );
    }

    #[test]
    fn another_camera_on_the_old_number_is_not_taken() {
        let printer = id("USB Webcam", "usb-0000:01:00.0-1");
        let room = id("USB Webcam", "usb-0000:01:00.0-2");
        // The printer camera is gone; the room camera (same model) now has its number.
        let nodes = [node(1, Some(room))];
        assert_eq!(choose(Path::new("/dev/video1"), &printer, &nodes), None);
        // It comes back under a new number.
        let nodes = [
            node(1, Some(id("USB Webcam", "usb-0000:01:00.0-2"))),
            node(3, Some(printer.clone())),
        ];
        assert_eq!(
            choose(Path::new("/dev/video1"), &printer, &nodes),
            Some("/dev/video3".into())
        );
    }

    #[test]
    fn a_dead_node_still_held_open_does_not_hide_the_camera_on_its_new_one() {
        let webcam = id("USB Webcam", "usb-1");
        let nodes = [node(1, None), node(2, Some(webcam.clone()))];
        assert_eq!(
            choose(Path::new("/dev/video1"), &webcam, &nodes),
            Some("/dev/video2".into())
        );
    }

    #[test]
    fn a_configured_node_that_cannot_be_read_is_opened_to_say_why() {
        let webcam = id("USB Webcam", "usb-1");
        let nodes = [node(1, None)];
        assert_eq!(
            choose(Path::new("/dev/video1"), &webcam, &nodes),
            Some("/dev/video1".into())
        );
        assert_eq!(choose(Path::new("/dev/video1"), &webcam, &[]), None);
    }
}
