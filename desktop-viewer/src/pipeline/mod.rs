//! The viewer's engine, shared by the window and `--headless`: the [`reader`] thread reads
//! the stream into parts, the [`decoder`] thread turns the newest part into RGBA, and
//! whoever draws takes the newest decoded frame. Both hand-overs are [`LatestSlot`]s, so a
//! slow decoder or a slow screen skips frames instead of falling behind.
//!
//! ```text
//! socket → reqwest → mjpeg_wire::PartStream → [parts slot] → decode → [frames slot] → UI
//!          (reader)      └→ recorder (.mjpg)  (decoder; stale part: dropped, counted)
//! ```
//!
//! What goes wrong on the way is judged in one place, [`crate::net::failure`].

mod decoder;
mod reader;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use eframe::egui::ColorImage;
use mjpeg_wire::multipart::Limits;
use reqwest::Url;
use tracing::{info, warn};

use crate::net::{self, Credentials};
use crate::record::{RecordControl, RecordingSummary};
use crate::slot::{LatestSlot, lock};
use crate::stats::{Stats, StatsView};

/// Everything the pipeline needs to know.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// The stream URL (credentials may be inside).
    pub url: String,
    /// No byte for this long means the stream stalled: reconnect.
    pub stall_timeout: Duration,
    /// How long a TCP connect may take.
    pub connect_timeout: Duration,
    /// Largest JPEG accepted; a larger part ends the connection.
    pub max_frame_size: usize,
    /// Basic-auth credentials, when not in the URL.
    pub credentials: Option<Credentials>,
    /// PEM certificates to trust for HTTPS besides the system's (`--ca-cert`).
    pub extra_roots: Vec<u8>,
    /// Shortest wait before reconnecting.
    pub backoff_min: Duration,
    /// Longest wait before reconnecting.
    pub backoff_max: Duration,
    /// Look up `.local` names over multicast DNS when the system cannot (`--no-discovery`
    /// turns it off).
    pub mdns_names: bool,
}

impl PipelineConfig {
    /// Defaults for `url`: 3 s stall timeout, 16 MiB frames, 0.5..5 s backoff.
    pub fn new(url: &str) -> Self {
        PipelineConfig {
            url: url.to_string(),
            // A few seconds: long enough for a camera that hiccups, short enough that a
            // dead link is noticed before the user gives up.
            stall_timeout: Duration::from_secs(3),
            connect_timeout: Duration::from_secs(5),
            max_frame_size: Limits::default().max_part_size,
            credentials: None,
            extra_roots: Vec::new(),
            backoff_min: net::MIN_DELAY,
            backoff_max: net::MAX_DELAY,
            mdns_names: true,
        }
    }
}

/// A decoded frame, ready to upload, with the JPEG it came from (for snapshots).
#[derive(Debug, Clone)]
pub struct Frame {
    /// RGBA pixels.
    pub image: ColorImage,
    /// The JPEG as received.
    pub jpeg: Bytes,
    /// Position in the stream since the pipeline started (1 is the first frame).
    pub seq: u64,
    /// When its last byte arrived.
    pub received: Instant,
    /// Its `X-Timestamp`, if the server sent one.
    pub captured: Option<SystemTime>,
    /// How long decoding took.
    pub decode_time: Duration,
}

/// A received JPEG waiting for the decoder.
#[derive(Debug)]
struct Received {
    jpeg: Bytes,
    seq: u64,
    received: Instant,
    captured: Option<SystemTime>,
}

/// Called from the workers when there is something new to draw (the window passes
/// `ctx.request_repaint`).
pub type Wake = Box<dyn Fn() + Send + Sync>;

struct Shared {
    stop: AtomicBool,
    stop_notify: tokio::sync::Notify,
    parts: LatestSlot<Received>,
    frames: LatestSlot<Frame>,
    stats: Mutex<Stats>,
    recorder: RecordControl,
    wake: Wake,
    /// Where the stream was found behind the typed address (`None` until then).
    stream_url: Mutex<Option<Url>>,
}

impl Shared {
    fn stream_url(&self) -> Option<Url> {
        lock(&self.stream_url).clone()
    }

    fn set_stream_url(&self, url: Option<Url>) {
        *lock(&self.stream_url) = url;
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    fn stats(&self) -> std::sync::MutexGuard<'_, Stats> {
        lock(&self.stats)
    }
}

/// A running pipeline; dropping it stops and joins its threads.
pub struct Pipeline {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
    url: Url,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("url", &self.url.as_str())
            .field("threads", &self.threads.len())
            .finish_non_exhaustive()
    }
}

impl Pipeline {
    /// Starts connecting to `config.url`. `wake` is called from the workers whenever there
    /// is something new to draw (a decoded frame, a change of state): the window passes
    /// `ctx.request_repaint`, so nothing repaints while nothing happens.
    pub fn start(
        config: PipelineConfig,
        wake: impl Fn() + Send + Sync + 'static,
    ) -> Result<Pipeline, StartError> {
        Self::start_with(config, RecordControl::default(), wake)
    }

    /// As [`Pipeline::start`], writing parts to `recorder` whenever it is recording.
    pub fn start_with(
        config: PipelineConfig,
        recorder: RecordControl,
        wake: impl Fn() + Send + Sync + 'static,
    ) -> Result<Pipeline, StartError> {
        let address = net::Address::parse(&config.url)?;
        let url = address.url.clone();
        let start = Instant::now();
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            stop_notify: tokio::sync::Notify::new(),
            parts: LatestSlot::default(),
            frames: LatestSlot::default(),
            stats: Mutex::new(Stats::new(start)),
            recorder,
            wake: Box::new(wake),
            stream_url: Mutex::new(None),
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(StartError::Runtime)?;

        let mut threads = Vec::with_capacity(2);
        let decode_shared = shared.clone();
        threads.push(
            std::thread::Builder::new()
                .name("viewer-decode".into())
                .spawn(move || decoder::decode_loop(&decode_shared))
                .map_err(StartError::Thread)?,
        );
        let net_shared = shared.clone();

        let spawned = std::thread::Builder::new()
            .name("viewer-net".into())
            .spawn(move || {
                runtime.block_on(async {
                    tokio::select! {
                        () = net_shared.stop_notify.notified() => {}
                        () = reader::connect_loop(&net_shared, &config, &address) => {}
                    }
                });
                // A name lookup may still be running on a blocking thread; do not wait
                // for it.
                runtime.shutdown_background();
            });
        match spawned {
            Ok(t) => threads.push(t),
            Err(e) => {
                let mut p = Pipeline {
                    shared,
                    threads,
                    url,
                };
                p.stop();
                return Err(StartError::Thread(e));
            }
        }
        info!(url = %net::redacted(&url), "watching");
        Ok(Pipeline {
            shared,
            threads,
            url,
        })
    }

    /// The URL being watched, as typed (with `http://` and the port filled in).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Where the stream was found behind [`Pipeline::url`] (the same URL when it was the
    /// stream's); `None` before the first connection.
    pub fn stream_url(&self) -> Option<Url> {
        self.shared.stream_url()
    }

    /// The newest decoded frame not taken yet.
    pub fn take_frame(&self) -> Option<Frame> {
        self.shared.frames.take()
    }

    /// The figures as of now.
    pub fn stats(&self) -> StatsView {
        self.shared.stats().view(Instant::now())
    }

    /// Starts writing every received part to `dir/recording-TIMESTAMP.mjpg`.
    pub fn start_recording(&self, dir: &Path) -> io::Result<PathBuf> {
        self.shared.recorder.start(dir)
    }

    /// Stops recording; `None` if nothing was being recorded.
    pub fn stop_recording(&self) -> Option<io::Result<RecordingSummary>> {
        self.shared.recorder.stop()
    }

    /// Whether a recording is in progress.
    pub fn is_recording(&self) -> bool {
        self.shared.recorder.status().is_some()
    }

    /// Stops both threads and waits for them.
    pub fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        // notify_one stores a permit, so the network thread sees it even if it is not
        // waiting yet.
        self.shared.stop_notify.notify_one();
        self.shared.parts.wake();
        for t in self.threads.drain(..) {
            if t.join().is_err() {
                warn!("a viewer thread panicked");
            }
        }
        self.shared.stats().on_stopped();
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Why the pipeline could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The URL is unusable.
    #[error(transparent)]
    Url(#[from] net::InvalidUrl),
    /// The async runtime could not be created.
    #[error("cannot start the network runtime: {0}")]
    Runtime(#[source] io::Error),
    /// A thread could not be spawned.
    #[error("cannot start a worker thread: {0}")]
    Thread(#[source] io::Error),
}
