//! The publisher: everything that happens to a frame between its source and the broadcast.
//!
//! A source hands every frame it has to its [`Publisher`] and asks it nothing else; the
//! publisher decides, in this order:
//! - whether the frame is wanted at all: nobody watching for longer than [`LINGER`] means
//!   sources that cost CPU idle ([`Publisher::is_watched`]), and the [`RateGate`] drops an
//!   even share of frames under `--target-kbps` before any work is done on them;
//! - at what JPEG quality the source encodes ([`Publisher::quality`]);
//! - whether the frame repeats the last one (`--drop-same-frames`, [`RepeatFilter`]);
//! - whether a JPEG from outside is valid, and gives it the standard Huffman tables if it
//!   has none (many USB webcams send AVI1 frames without them);
//! - its sequence number, then the [`Broadcast`] to every client; the rate meter and the
//!   rate controller see it on the way.
//!
//! It also keeps what the source says of itself (live, or no signal and why), for `/stats`.

mod exif;
mod gate;
mod picture;
pub mod rate;
mod repeats;

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use mjpeg_wire::jpeg::{self, InfoError};
use mjpeg_wire::meter::RateMeter;
use tokio::sync::watch;

pub use gate::RateGate;
pub use picture::Picture;
pub use rate::RateReport;
pub use repeats::{RepeatFilter, SAME_FRAME_KEEPALIVE};

use crate::broadcast::Broadcast;
use crate::lock::lock;

/// How long a source keeps producing after the last viewer left: a viewer that reconnects
/// (a page reload) finds frames at once, and the source is not restarted for each blip.
pub const LINGER: Duration = Duration::from_secs(2);

/// How frames are published (from the command line).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// JPEG quality (1-100) of frames we encode; rate control's ceiling.
    pub quality: u8,
    /// Hold the stream at this many kbit/s (`--target-kbps`), if set.
    pub target_kbps: Option<u32>,
    /// Lowest JPEG quality rate control uses before it drops frames instead.
    pub min_quality: u8,
    /// Skip frames identical to the one before (still sending one a second).
    pub drop_same_frames: bool,
}

impl Default for Settings {
    /// Quality 80, no target.
    fn default() -> Self {
        Settings {
            quality: 80,
            target_kbps: None,
            min_quality: 30,
            drop_same_frames: false,
        }
    }
}

/// What the source says of itself, for `/stats` and the log.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SourceState {
    /// Frames are coming; what they are, if the source says (`YUYV 640x480 at 25 fps`).
    #[default]
    Live,
    /// Frames are coming, described.
    LiveAs(String),
    /// The camera is gone or failing; clients get the no-signal card.
    NoSignal(String),
}

impl fmt::Display for SourceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceState::Live => f.write_str("live"),
            SourceState::LiveAs(what) => write!(f, "live: {what}"),
            SourceState::NoSignal(why) => write!(f, "no signal: {why}"),
        }
    }
}

/// Figures about the source's output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SourceFigures {
    /// Frames published over the last second.
    pub fps: f64,
    /// kbit/s published over the last second.
    pub kbps: f64,
    /// Frames published since start.
    pub frames: u64,
    /// Frames a source dropped because they were not valid JPEG.
    pub invalid: u64,
}

/// A source's way to the broadcast; cheap to clone (encoder threads hold one each).
#[derive(Debug, Clone)]
pub struct Publisher {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    broadcast: Broadcast,
    gate: RateGate,
    repeats: Option<Mutex<RepeatFilter>>,
    seq: AtomicU64,
    invalid: AtomicU64,
    /// Whether a frame needed Huffman tables (logged once).
    tables_inserted: AtomicBool,
    meter: Mutex<RateMeter>,
    state: Mutex<SourceState>,
    /// When somebody last watched, for [`LINGER`].
    last_watched: Mutex<Instant>,
    /// The picture asked of the source (size, orientation), changed by the controls.
    picture: watch::Sender<Picture>,
}

impl Publisher {
    /// A publisher into `broadcast` with `settings`, for a source of about `fps` frames a
    /// second (the rate sources that pace themselves keep, and rate control's first guess).
    pub fn new(broadcast: Broadcast, settings: &Settings, fps: u32) -> Self {
        let mut gate = RateGate::new(settings.quality, fps);
        if let Some(kbps) = settings.target_kbps {
            gate = gate.with_target(f64::from(kbps), settings.min_quality);
        }
        let repeats = settings
            .drop_same_frames
            .then(|| Mutex::new(RepeatFilter::new(SAME_FRAME_KEEPALIVE)));
        Publisher {
            inner: Arc::new(Inner {
                broadcast,
                gate,
                repeats,
                seq: AtomicU64::new(0),
                invalid: AtomicU64::new(0),
                tables_inserted: AtomicBool::new(false),
                meter: Mutex::new(RateMeter::new(Duration::from_secs(1))),
                state: Mutex::new(SourceState::default()),
                last_watched: Mutex::new(Instant::now()),
                picture: watch::Sender::new(Picture::default()),
            }),
        }
    }

    /// The broadcast frames go to.
    pub fn broadcast(&self) -> &Broadcast {
        &self.inner.broadcast
    }

    /// Quality, frame rate and the share of frames kept.
    pub fn gate(&self) -> &RateGate {
        &self.inner.gate
    }

    /// Whether the source should produce (or pass on) the frame it could produce now; see
    /// [`RateGate::admit`]. Sources ask once per frame, before any work is done on it.
    pub fn admit(&self) -> bool {
        self.inner.gate.admit()
    }

    /// JPEG quality for the frame the source encodes next.
    pub fn quality(&self) -> u8 {
        self.inner.gate.quality()
    }

    /// Whether somebody watches, or did less than [`LINGER`] ago: sources that cost CPU
    /// (encoding) produce nothing otherwise.
    pub fn is_watched(&self) -> bool {
        let now = Instant::now();
        let mut last = lock(&self.inner.last_watched);
        if self.inner.broadcast.has_demand() {
            *last = now;
            return true;
        }
        now.duration_since(*last) <= LINGER
    }

    /// Blocks until somebody watches or `max` passes; returns whether somebody does.
    pub fn wait_for_viewer(&self, max: Duration) -> bool {
        let arrived = self.inner.broadcast.wait_for_demand(max);
        if arrived {
            *lock(&self.inner.last_watched) = Instant::now();
        }
        arrived
    }

    /// Completes once somebody watches: the async twin of [`Publisher::wait_for_viewer`].
    pub async fn viewer(&self) {
        self.inner.broadcast.demand().await;
        *lock(&self.inner.last_watched) = Instant::now();
    }

    /// Whether a raw frame repeats the last one (`--drop-same-frames`): the source then
    /// skips it before encoding. Always `false` without the flag.
    pub fn is_repeat(&self, frame: &[u8]) -> bool {
        self.inner
            .repeats
            .as_ref()
            .is_some_and(|r| lock(r).is_repeat(frame, Instant::now()))
    }

    /// Publishes a JPEG from a camera, pipe or file, reading its size from its header; returns
    /// the newest frame's number. A frame that is not a JPEG is counted and refused, so that
    /// a client never receives it. A frame without Huffman tables gets the standard ones,
    /// which browsers and most players need. A repeat (`--drop-same-frames`) is skipped.
    pub fn publish_jpeg(&self, jpeg: Bytes, captured: SystemTime) -> Result<u64, InfoError> {
        if self.is_repeat(&jpeg) {
            return Ok(self.inner.seq.load(Ordering::Relaxed));
        }
        let len = jpeg.len();
        let jpeg = jpeg::with_standard_huffman_tables_bytes(jpeg);
        if jpeg.len() != len && !self.inner.tables_inserted.swap(true, Ordering::Relaxed) {
            tracing::info!(
                "the source sends JPEGs without Huffman tables (AVI1 webcam frames); \
                 inserting the standard tables so that every client can decode them"
            );
        }
        match jpeg::info(&jpeg) {
            Ok(info) => Ok(self.publish_valid(jpeg, captured, (info.width, info.height))),
            Err(e) => {
                self.inner.invalid.fetch_add(1, Ordering::Relaxed);
                Err(e)
            }
        }
    }

    /// Publishes a JPEG of known `(width, height)` that is valid: we encoded it, or checked
    /// it when a recording was loaded. Returns its sequence number.
    pub fn publish_valid(&self, jpeg: Bytes, captured: SystemTime, size: (u16, u16)) -> u64 {
        // Turned or mirrored by the controls, and not by the source: say so in the frame.
        let tag = exif::tag(self.inner.picture.borrow().marked);
        let jpeg = exif::mark(jpeg, tag);
        let seq = self.inner.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let now = Instant::now();
        lock(&self.inner.meter).record(now, jpeg.len());
        self.inner.gate.on_published(jpeg.len(), now);
        self.inner.broadcast.send(jpeg, captured, seq, size);
        tracing::trace!(seq, "frame published");
        seq
    }

    /// Asks the source for frames of another size or orientation from its next frame on.
    pub fn set_picture(&self, picture: Picture) {
        self.inner.picture.send_replace(picture);
    }

    /// The picture asked of the source, marked as changed so that a source reading it
    /// at start takes it in as it finds it.
    pub fn watch_picture(&self) -> watch::Receiver<Picture> {
        let mut rx = self.inner.picture.subscribe();
        rx.mark_changed();
        rx
    }

    /// Records what the source says of itself.
    pub fn set_state(&self, state: SourceState) {
        *lock(&self.inner.state) = state;
    }

    /// What the source last said of itself ([`SourceState::Live`] unless it said otherwise).
    pub fn state(&self) -> SourceState {
        lock(&self.inner.state).clone()
    }

    /// Rates and totals of what was published.
    pub fn figures(&self) -> SourceFigures {
        let now = Instant::now();
        let mut meter = lock(&self.inner.meter);
        SourceFigures {
            fps: meter.fps(now),
            kbps: meter.kbps(now),
            frames: meter.total_frames(),
            invalid: self.inner.invalid.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use mjpeg_wire::multipart::Writer;

    use super::*;

    /// The smallest structure `jpeg::info` accepts: SOI, SOF0 for 2x1 grey, EOI.
    fn tiny_jpeg() -> Bytes {
        Bytes::from_static(&[
            0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x01, 0x00, 0x02, 0x01, 0x01, 0x11,
            0x00, 0xFF, 0xD9,
        ])
    }

    fn publisher(settings: Settings) -> Publisher {
        Publisher::new(Broadcast::new(Writer::default()), &settings, 24)
    }

    #[test]
    fn frames_that_are_not_jpeg_are_refused_and_counted() {
        let publisher = publisher(Settings::default());
        assert!(
            publisher
                .publish_jpeg(Bytes::from_static(b"nope"), SystemTime::now())
                .is_err()
        );
        let seq = publisher
            .publish_jpeg(tiny_jpeg(), SystemTime::now())
            .unwrap();
        let latest = publisher.broadcast().latest().unwrap();
        assert_eq!((seq, latest.width, latest.height), (1, 2, 1));
        let figures = publisher.figures();
        assert_eq!((figures.frames, figures.invalid), (1, 1));
    }

    #[test]
    fn webcam_frames_without_huffman_tables_are_served_with_them() {
        let publisher = publisher(Settings::default());
        let fixture = include_bytes!("../../../shared/tests/fixtures/webcam-avi1-no-dht.mjpg");
        let mut splitter = jpeg::Splitter::new();
        splitter.push(Bytes::from_static(fixture));
        let frame = splitter.next_frame().unwrap().unwrap();
        assert_ne!(jpeg::huffman_tables(&frame), jpeg::HuffmanTables::Present);
        publisher
            .publish_jpeg(frame.clone(), SystemTime::now())
            .unwrap();
        let served = publisher.broadcast().latest().unwrap();
        assert_eq!(
            jpeg::huffman_tables(&served.jpeg),
            jpeg::HuffmanTables::Present
        );
        assert_eq!(served.jpeg.len(), frame.len() + jpeg::STANDARD_DHT_LEN);
        assert_eq!((served.width, served.height), (320, 240));
        // Frames that have tables are passed on as they are, not copied.
        let whole = tiny_jpeg();
        publisher
            .publish_jpeg(whole.clone(), SystemTime::now())
            .unwrap();
        assert_eq!(
            publisher.broadcast().latest().unwrap().jpeg.as_ptr(),
            whole.as_ptr()
        );
    }

    #[test]
    fn repeated_frames_are_skipped_when_asked_with_a_keepalive() {
        let frame = tiny_jpeg();
        // Off by default: every frame counts.
        let plain = publisher(Settings::default());
        plain
            .publish_jpeg(frame.clone(), SystemTime::now())
            .unwrap();
        plain
            .publish_jpeg(frame.clone(), SystemTime::now())
            .unwrap();
        assert_eq!(plain.figures().frames, 2);
        assert!(!plain.is_repeat(&frame));

        let publisher = publisher(Settings {
            drop_same_frames: true,
            ..Settings::default()
        });
        publisher
            .publish_jpeg(frame.clone(), SystemTime::now())
            .unwrap();
        assert_eq!(
            publisher
                .publish_jpeg(frame.clone(), SystemTime::now())
                .unwrap(),
            1
        );
        assert_eq!(publisher.figures().frames, 1, "a repeat is skipped");
        // A copy with equal bytes is a repeat too; a different frame is not.
        let copy = Bytes::copy_from_slice(&frame);
        publisher.publish_jpeg(copy, SystemTime::now()).unwrap();
        assert_eq!(publisher.figures().frames, 1);
        let mut other = frame.to_vec();
        other[10] = 0x03; // a taller image
        assert_eq!(
            publisher
                .publish_jpeg(Bytes::from(other), SystemTime::now())
                .unwrap(),
            2
        );
        // Raw frames go through the same filter.
        assert!(!publisher.is_repeat(b"raw"));
        assert!(publisher.is_repeat(b"raw"));
    }

    #[test]
    fn a_source_is_watched_while_a_client_is_there_and_a_while_after() {
        let publisher = publisher(Settings::default());
        // Nobody yet, but the linger runs from the start, so a source starts producing.
        assert!(publisher.is_watched());
        let rx = publisher.broadcast().subscribe();
        assert!(publisher.is_watched());
        assert!(publisher.wait_for_viewer(Duration::from_secs(60)));
        drop(rx);
        assert!(publisher.is_watched(), "within the linger");
    }

    #[test]
    fn the_state_reads_as_stats_show_it() {
        let publisher = publisher(Settings::default());
        assert_eq!(publisher.state().to_string(), "live");
        publisher.set_state(SourceState::NoSignal("No such device".into()));
        assert_eq!(publisher.state().to_string(), "no signal: No such device");
        publisher.set_state(SourceState::LiveAs("MJPG 640x480 at 30 fps".into()));
        assert_eq!(
            publisher.state().to_string(),
            "live: MJPG 640x480 at 30 fps"
        );
    }
}
