//! Fan-out: the newest frame, shared by every client; the source never waits for anyone.
//!
//! A `tokio::sync::watch` channel holds one `Arc<Frame>`: publishing replaces it, so a client
//! that is busy simply finds a newer frame when it is ready (latest-frame-wins, as ustreamer
//! and mjpg-streamer do) and counts the gap in sequence numbers as skipped frames. The JPEG
//! `Bytes` is reference-counted and written to every socket as is, never copied per client.
//!
//! The fan-out also knows whether anyone is watching (a stream client or a waiting snapshot
//! holds a receiver), so that sources which cost CPU can idle while nobody does.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use mjpeg_wire::jpeg::{self, InfoError};
use mjpeg_wire::meter::RateMeter;
use mjpeg_wire::multipart::Writer;
use tokio::sync::watch;

use crate::rate::{RateController, RateReport, Thinning};

/// One JPEG and what is known about it.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The whole JPEG, SOI to EOI.
    pub jpeg: Bytes,
    /// When it was captured (or generated).
    pub captured: SystemTime,
    /// Position in the source's output, from 1; gaps seen by a client are frames it skipped.
    pub seq: u64,
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// When it was published, for `--drop-same-frames`' keepalive.
    published: Instant,
    /// The multipart part head for this frame, formatted once for all clients.
    head: OnceLock<Bytes>,
}

impl Frame {
    /// The part head `writer` writes before this frame. Every client gets the same bytes,
    /// so they are formatted by the first client to ask and shared by the rest. A server
    /// has one writer; a frame must not be asked for heads from two different ones.
    pub fn part_head(&self, writer: &Writer) -> Bytes {
        self.head
            .get_or_init(|| writer.part_head(self.jpeg.len(), self.captured))
            .clone()
    }
}

/// With `--drop-same-frames`, a client still gets a frame this often, so that its stall
/// detection (and a browser's) sees a live stream on a still scene.
pub const SAME_FRAME_KEEPALIVE: Duration = Duration::from_secs(1);

/// Settings a source reads for every frame, so that they can change while it runs (a later
/// rate controller lowers quality and frame rate to hold a bandwidth target).
#[derive(Debug)]
pub struct Controls {
    quality: AtomicU8,
    fps: AtomicU32,
}

impl Controls {
    /// Controls starting at the given quality (clamped to 1-100) and frame rate (at least 1).
    pub fn new(quality: u8, fps: u32) -> Self {
        Controls {
            quality: AtomicU8::new(quality.clamp(1, 100)),
            fps: AtomicU32::new(fps.max(1)),
        }
    }

    /// JPEG quality for generated frames.
    pub fn quality(&self) -> u8 {
        self.quality.load(Ordering::Relaxed)
    }

    /// Changes the JPEG quality from the next frame on.
    pub fn set_quality(&self, quality: u8) {
        self.quality.store(quality.clamp(1, 100), Ordering::Relaxed);
    }

    /// Frames per second for generated and replayed frames.
    pub fn fps(&self) -> u32 {
        self.fps.load(Ordering::Relaxed)
    }

    /// Changes the frame rate from the next frame on.
    pub fn set_fps(&self, fps: u32) {
        self.fps.store(fps.max(1), Ordering::Relaxed);
    }

    /// Time between frames at the current rate.
    pub fn frame_interval(&self) -> Duration {
        Duration::from_secs(1) / self.fps()
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

/// Rate control's state inside the fan-out.
#[derive(Debug)]
struct RateState {
    controller: RateController,
    thinning: Thinning,
    /// When the source last offered a frame (called `admit`).
    last_offer: Option<Instant>,
    /// Frames the source offers per second, before thinning.
    offered_fps: f64,
}

/// The shared newest-frame slot; cheap to clone.
#[derive(Debug, Clone)]
pub struct Fanout {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    tx: watch::Sender<Option<Arc<Frame>>>,
    seq: AtomicU64,
    invalid: AtomicU64,
    controls: Controls,
    stopped: AtomicBool,
    /// What the source says of itself (`live: YUYV 640x480 at 25 fps`, `no signal: ...`).
    source_state: Mutex<String>,
    /// `--target-kbps`: the controller and its frame thinning.
    rate: Mutex<Option<RateState>>,
    /// Whether the source encodes (so JPEG quality is a lever for rate control).
    encodes: AtomicBool,
    /// `--drop-same-frames`: repeats are skipped unless the newest frame is this old.
    drop_same: Mutex<Option<Duration>>,
    /// Whether a frame needed Huffman tables (logged once).
    tables_inserted: AtomicBool,
    /// Wakes a source idling in [`Fanout::wait_for_demand`]; the mutex guards nothing but
    /// the wake-up itself.
    demand_lock: Mutex<()>,
    demand: Condvar,
    meter: Mutex<RateMeter>,
}

/// A poisoned lock only means another thread panicked while holding it; the data under it
/// (a meter, or nothing) stays usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Fanout {
    /// An empty slot with the given controls.
    pub fn new(controls: Controls) -> Self {
        let (tx, _) = watch::channel(None);
        Fanout {
            inner: Arc::new(Inner {
                tx,
                seq: AtomicU64::new(0),
                invalid: AtomicU64::new(0),
                controls,
                stopped: AtomicBool::new(false),
                tables_inserted: AtomicBool::new(false),
                drop_same: Mutex::new(None),
                rate: Mutex::new(None),
                encodes: AtomicBool::new(false),
                source_state: Mutex::new("live".into()),
                demand_lock: Mutex::new(()),
                demand: Condvar::new(),
                meter: Mutex::new(RateMeter::new(Duration::from_secs(1))),
            }),
        }
    }

    /// The run-time settings sources read.
    pub fn controls(&self) -> &Controls {
        &self.inner.controls
    }

    /// Publishes a JPEG of known size; returns its sequence number.
    pub fn publish(&self, jpeg: Bytes, captured: SystemTime, width: u16, height: u16) -> u64 {
        let seq = self.inner.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let now = Instant::now();
        lock(&self.inner.meter).record(now, jpeg.len());
        self.steer(jpeg.len(), now);
        let frame = Frame {
            jpeg,
            captured,
            seq,
            width,
            height,
            published: Instant::now(),
            head: OnceLock::new(),
        };
        // send_replace stores the frame even when nobody is subscribed, so that a snapshot
        // or a new client finds it.
        self.inner.tx.send_replace(Some(Arc::new(frame)));
        tracing::trace!(seq, "frame published");
        seq
    }

    /// Publishes a JPEG from a camera, pipe or file, reading its size from its header. A
    /// frame that is not a JPEG is counted and dropped, so that a client never receives it.
    /// A frame without Huffman tables (many USB webcams) gets the standard ones, which
    /// browsers and most players need. With `--drop-same-frames` a repeat of the newest
    /// frame is skipped, and the newest frame's number returned.
    pub fn publish_jpeg(&self, jpeg: Bytes, captured: SystemTime) -> Result<u64, InfoError> {
        if let Some(keepalive) = self.drop_same_frames()
            && let Some(latest) = self.latest()
            && latest.jpeg == jpeg
            && latest.published.elapsed() < keepalive
        {
            return Ok(latest.seq);
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
            Ok(info) => Ok(self.publish(jpeg, captured, info.width, info.height)),
            Err(e) => {
                self.inner.invalid.fetch_add(1, Ordering::Relaxed);
                Err(e)
            }
        }
    }

    /// A receiver of new frames. While it exists the source counts as watched.
    pub fn subscribe(&self) -> watch::Receiver<Option<Arc<Frame>>> {
        let rx = self.inner.tx.subscribe();
        let _guard = lock(&self.inner.demand_lock);
        self.inner.demand.notify_all();
        rx
    }

    /// The newest frame, if any was published.
    pub fn latest(&self) -> Option<Arc<Frame>> {
        self.inner.tx.borrow().clone()
    }

    /// Whether anybody (a stream client or a waiting snapshot) wants frames now.
    pub fn has_demand(&self) -> bool {
        self.inner.tx.receiver_count() > 0
    }

    /// Blocks a source thread until somebody wants frames, the fan-out stops, or `max`
    /// passes; returns whether there is demand.
    pub fn wait_for_demand(&self, max: Duration) -> bool {
        let guard = lock(&self.inner.demand_lock);
        if self.has_demand() || self.is_stopped() {
            return self.has_demand();
        }
        // Spurious wake-ups and timeouts both just return the current state.
        let _ = self
            .inner
            .demand
            .wait_timeout(guard, max)
            .unwrap_or_else(PoisonError::into_inner);
        self.has_demand()
    }

    /// Holds the published rate at `target_kbps` (`--target-kbps`), lowering JPEG quality
    /// (never under `min_quality`, never over `max_quality`) and then the share of frames
    /// kept, from a source that produces about `fps` frames a second.
    pub fn enable_rate_control(
        &self,
        target_kbps: f64,
        min_quality: u8,
        max_quality: u8,
        fps: f64,
    ) {
        let encodes = self.inner.encodes.load(Ordering::Relaxed);
        *lock(&self.inner.rate) = Some(RateState {
            controller: RateController::new(target_kbps, min_quality, max_quality, fps, encodes),
            thinning: Thinning::default(),
            last_offer: None,
            offered_fps: fps,
        });
        self.inner
            .controls
            .set_quality(max_quality.min(crate::rate::MAX_QUALITY));
    }

    /// Says whether the source encodes its frames (the quality control is then its lever)
    /// or passes them through (rate control can then only drop frames).
    pub fn set_encodes(&self, encodes: bool) {
        self.inner.encodes.store(encodes, Ordering::Relaxed);
        if let Some(rate) = lock(&self.inner.rate).as_mut() {
            rate.controller.set_quality_is_ours(encodes);
        }
    }

    /// Whether the source should produce (or pass on) the frame it has now: with a rate
    /// target, a share of frames is dropped evenly; without one, every frame is admitted.
    /// Sources call it once per frame they could produce, before the work of encoding.
    pub fn admit(&self) -> bool {
        let mut rate = lock(&self.inner.rate);
        let Some(rate) = rate.as_mut() else {
            return true;
        };
        let now = Instant::now();
        if let Some(last) = rate.last_offer.replace(now) {
            let dt = now.saturating_duration_since(last).as_secs_f64();
            if dt > 0.0 {
                // About a second of memory: follows a camera whose rate changes.
                let weight = 1.0 - (-dt).exp();
                rate.offered_fps += weight * (1.0 / dt - rate.offered_fps);
                let fps = rate.offered_fps;
                rate.controller.note_full_fps(fps);
            }
        }
        let keep = rate.controller.settings().keep;
        rate.thinning.admit(keep)
    }

    /// Feeds a published frame to the rate controller and applies its answer.
    fn steer(&self, bytes: usize, now: Instant) {
        let mut rate = lock(&self.inner.rate);
        if let Some(rate) = rate.as_mut() {
            let settings = rate
                .controller
                .on_frame(bytes, self.inner.controls.quality(), now);
            if self.inner.encodes.load(Ordering::Relaxed) {
                self.inner.controls.set_quality(settings.quality);
            }
        }
    }

    /// The rate controller's state, when `--target-kbps` is on.
    pub fn rate_report(&self) -> Option<RateReport> {
        lock(&self.inner.rate)
            .as_ref()
            .map(|r| r.controller.report())
    }

    /// Skips frames identical to the newest one (`--drop-same-frames`), still publishing
    /// one every `keepalive` so that clients see a live stream on a still scene.
    pub fn set_drop_same_frames(&self, keepalive: Duration) {
        *lock(&self.inner.drop_same) = Some(keepalive);
    }

    /// The keepalive of `--drop-same-frames`, if it is on.
    pub fn drop_same_frames(&self) -> Option<Duration> {
        *lock(&self.inner.drop_same)
    }

    /// Records what the source says of itself, for `/stats`.
    pub fn set_source_state(&self, state: String) {
        *lock(&self.inner.source_state) = state;
    }

    /// What the source last said of itself (`live` unless it says otherwise).
    pub fn source_state(&self) -> String {
        lock(&self.inner.source_state).clone()
    }

    /// Tells the source to stop.
    pub fn stop(&self) {
        self.inner.stopped.store(true, Ordering::Relaxed);
        let _guard = lock(&self.inner.demand_lock);
        self.inner.demand.notify_all();
    }

    /// Whether the source should stop.
    pub fn is_stopped(&self) -> bool {
        self.inner.stopped.load(Ordering::Relaxed)
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
    use super::*;

    /// The smallest structure `jpeg::info` accepts: SOI, SOF0 for 2x1 grey, EOI.
    fn tiny_jpeg() -> Bytes {
        Bytes::from_static(&[
            0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x01, 0x00, 0x02, 0x01, 0x01, 0x11,
            0x00, 0xFF, 0xD9,
        ])
    }

    #[test]
    fn a_late_subscriber_sees_only_the_newest_frame() {
        let fanout = Fanout::new(Controls::new(80, 24));
        for _ in 0..3 {
            fanout.publish(Bytes::from_static(b"jpeg"), SystemTime::now(), 4, 4);
        }
        let mut rx = fanout.subscribe();
        assert_eq!(rx.borrow_and_update().as_ref().map(|f| f.seq), Some(3));
        fanout.publish(Bytes::from_static(b"jpeg"), SystemTime::now(), 4, 4);
        fanout.publish(Bytes::from_static(b"jpeg"), SystemTime::now(), 4, 4);
        assert!(rx.has_changed().unwrap());
        assert_eq!(rx.borrow_and_update().as_ref().map(|f| f.seq), Some(5));
    }

    #[test]
    fn every_client_shares_one_buffer() {
        let fanout = Fanout::new(Controls::new(80, 24));
        let (a, b) = (fanout.subscribe(), fanout.subscribe());
        fanout.publish(Bytes::from(vec![7; 1000]), SystemTime::now(), 4, 4);
        let fa = a.borrow().clone().unwrap();
        let fb = b.borrow().clone().unwrap();
        assert!(Arc::ptr_eq(&fa, &fb));
        assert_eq!(fa.jpeg.as_ptr(), fb.jpeg.as_ptr());
    }

    #[test]
    fn the_part_head_is_made_once_and_shared() {
        let fanout = Fanout::new(Controls::new(80, 24));
        fanout.publish(Bytes::from_static(b"jpeg"), SystemTime::now(), 4, 4);
        let frame = fanout.latest().unwrap();
        let writer = Writer::default();
        let (a, b) = (frame.part_head(&writer), frame.part_head(&writer));
        assert_eq!(a, writer.part_head(4, frame.captured));
        assert_eq!(a.as_ptr(), b.as_ptr());
    }

    #[test]
    fn demand_follows_receivers() {
        let fanout = Fanout::new(Controls::new(80, 24));
        assert!(!fanout.has_demand());
        assert!(!fanout.wait_for_demand(Duration::from_millis(1)));
        let rx = fanout.subscribe();
        assert!(fanout.has_demand());
        assert!(fanout.wait_for_demand(Duration::from_secs(60)));
        drop(rx);
        assert!(!fanout.has_demand());
    }

    #[test]
    fn a_waiting_source_wakes_when_a_client_arrives() {
        let fanout = Fanout::new(Controls::new(80, 24));
        let waiter = {
            let fanout = fanout.clone();
            std::thread::spawn(move || fanout.wait_for_demand(Duration::from_secs(60)))
        };
        // The waiter may not be waiting yet; wait_for_demand checks before it sleeps, so
        // either order ends with `true`.
        let _rx = fanout.subscribe();
        assert!(waiter.join().unwrap());
    }

    #[test]
    fn frames_that_are_not_jpeg_are_refused_and_counted() {
        let fanout = Fanout::new(Controls::new(80, 24));
        assert!(
            fanout
                .publish_jpeg(Bytes::from_static(b"nope"), SystemTime::now())
                .is_err()
        );
        let seq = fanout.publish_jpeg(tiny_jpeg(), SystemTime::now()).unwrap();
        let latest = fanout.latest().unwrap();
        assert_eq!((seq, latest.width, latest.height), (1, 2, 1));
        let figures = fanout.figures();
        assert_eq!((figures.frames, figures.invalid), (1, 1));
    }

    #[test]
    fn webcam_frames_without_huffman_tables_are_served_with_them() {
        let fanout = Fanout::new(Controls::new(80, 24));
        let fixture = include_bytes!("../../shared/tests/fixtures/webcam-avi1-no-dht.mjpg");
        let mut splitter = jpeg::Splitter::new();
        splitter.push(Bytes::from_static(fixture));
        let frame = splitter.next_frame().unwrap().unwrap();
        assert_ne!(jpeg::huffman_tables(&frame), jpeg::HuffmanTables::Present);
        fanout
            .publish_jpeg(frame.clone(), SystemTime::now())
            .unwrap();
        let served = fanout.latest().unwrap();
        assert_eq!(
            jpeg::huffman_tables(&served.jpeg),
            jpeg::HuffmanTables::Present
        );
        assert_eq!(served.jpeg.len(), frame.len() + jpeg::STANDARD_DHT_LEN);
        assert_eq!((served.width, served.height), (320, 240));
        // Frames that have tables are passed on as they are, not copied.
        let whole = tiny_jpeg();
        fanout
            .publish_jpeg(whole.clone(), SystemTime::now())
            .unwrap();
        assert_eq!(fanout.latest().unwrap().jpeg.as_ptr(), whole.as_ptr());
    }

    #[test]
    fn repeated_frames_are_skipped_when_asked_with_a_keepalive() {
        let fanout = Fanout::new(Controls::new(80, 24));
        let frame = tiny_jpeg();
        // Off by default: every frame counts.
        fanout
            .publish_jpeg(frame.clone(), SystemTime::now())
            .unwrap();
        fanout
            .publish_jpeg(frame.clone(), SystemTime::now())
            .unwrap();
        assert_eq!(fanout.figures().frames, 2);
        fanout.set_drop_same_frames(Duration::from_millis(300));
        assert_eq!(
            fanout
                .publish_jpeg(frame.clone(), SystemTime::now())
                .unwrap(),
            2
        );
        assert_eq!(fanout.figures().frames, 2, "a repeat is skipped");
        // A copy with equal bytes is a repeat too; a different frame is not.
        let copy = Bytes::copy_from_slice(&frame);
        fanout.publish_jpeg(copy, SystemTime::now()).unwrap();
        assert_eq!(fanout.figures().frames, 2);
        let mut other = frame.to_vec();
        other[10] = 0x03; // a taller image
        assert_eq!(
            fanout
                .publish_jpeg(Bytes::from(other), SystemTime::now())
                .unwrap(),
            3
        );
        // After the keepalive a repeat goes out, so clients see the stream is alive.
        let again = fanout.latest().unwrap().jpeg.clone();
        std::thread::sleep(Duration::from_millis(350));
        assert_eq!(fanout.publish_jpeg(again, SystemTime::now()).unwrap(), 4);
    }

    #[test]
    fn controls_clamp_to_valid_values() {
        let c = Controls::new(0, 0);
        assert_eq!((c.quality(), c.fps()), (1, 1));
        c.set_quality(250);
        c.set_fps(30);
        assert_eq!((c.quality(), c.fps()), (100, 30));
        assert_eq!(c.frame_interval(), Duration::from_secs(1) / 30);
    }
}
