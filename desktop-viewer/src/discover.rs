//! The cameras on the LAN, as they announce themselves (DNS-SD over mDNS, the record
//! format of [`mjpeg_wire::discovery`]): the list the window shows, and `--discover`, which
//! prints them as JSON lines for scripts.

use std::io::Write;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use mjpeg_wire::discovery::Advert;
use mjpeg_wire::discovery::mdns::{Change, Directory, Mdns, MdnsError};

/// The cameras present now: browsed on the LAN, or filled by hand (tests).
#[derive(Debug, Clone, Default)]
pub struct CameraList {
    directory: Directory,
    // Keeps the mDNS thread alive as long as a copy of the list is held.
    _mdns: Option<Arc<Mdns>>,
}

impl CameraList {
    /// Starts browsing; `on_change` is called (on the browsing thread) whenever a camera
    /// appears, changes or vanishes (the window passes `request_repaint`).
    pub fn browse(on_change: impl Fn(&Change) + Send + 'static) -> Result<Self, MdnsError> {
        let mdns = Mdns::start()?;
        let directory = mdns.browse(on_change)?;
        Ok(CameraList {
            directory,
            _mdns: Some(Arc::new(mdns)),
        })
    }

    /// A list that only changes by hand, through [`CameraList::directory`].
    pub fn by_hand() -> Self {
        CameraList::default()
    }

    /// The list itself, to add or remove cameras by hand.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// Every camera present, sorted by name.
    pub fn cameras(&self) -> Vec<Advert> {
        self.directory.cameras()
    }
}

/// A camera as one JSON object: what `--discover` prints and scripts read.
pub fn to_json(advert: &Advert) -> serde_json::Value {
    // A struct of plain fields always serializes.
    serde_json::to_value(advert.listing()).unwrap_or_default()
}

/// `--discover`: browses for `duration`, printing a JSON line for every camera that
/// appears, changes or vanishes, then a summary line listing those present. Returns how
/// many are present at the end.
pub fn run(duration: Duration, out: &mut impl Write) -> anyhow::Result<usize> {
    let (tx, changes) = mpsc::channel::<Change>();
    let list = CameraList::browse(move |change| {
        // The receiver is gone only once the run is over.
        let _ = tx.send(change.clone());
    })?;
    let start = Instant::now();
    let deadline = start + duration;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Ok(change) = changes.recv_timeout(left) else {
            continue;
        };
        let (kind, advert) = match &change {
            Change::Appeared(a) => ("appeared", a),
            Change::Updated(a) => ("updated", a),
            Change::Vanished(a) => ("vanished", a),
        };
        let mut line = to_json(advert);
        line["type"] = kind.into();
        line["t"] = round_ms(start.elapsed()).into();
        // Wall-clock time too, so that a script can line it up with what it did.
        line["at"] = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
            .into();
        writeln!(out, "{line}")?;
        out.flush()?;
    }
    let cameras = list.cameras();
    let summary = serde_json::json!({
        "type": "summary",
        "seconds": round_ms(start.elapsed()),
        "cameras": cameras.iter().map(to_json).collect::<Vec<_>>(),
    });
    writeln!(out, "{summary}")?;
    Ok(cameras.len())
}

/// Seconds with millisecond precision, as the JSON lines give times.
fn round_ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_camera_filled_in_by_hand_is_listed_and_printed_with_its_urls() {
        let list = CameraList::by_hand();
        let door = Advert::from_txt(
            "Door",
            "door.local.",
            8000,
            vec!["10.0.0.7".parse().unwrap()],
            [("size", "1280x720"), ("fps", "15"), ("auth", "basic")],
        );
        list.directory().record(door);
        let cameras = list.cameras();
        assert_eq!(cameras.len(), 1);
        let json = to_json(&cameras[0]);
        assert_eq!(json["stream"], "http://10.0.0.7:8000/stream.mjpg");
        assert_eq!(json["width"], 1280);
        assert_eq!(json["auth"], true);
    }
}
