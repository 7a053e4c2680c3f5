//! The viewer's engine, shared by the window and `--headless`: a network thread reads the
//! stream into parts, a decode thread turns the newest part into RGBA, and whoever draws
//! takes the newest decoded frame. Both hand-overs are [`LatestSlot`]s, so a slow decoder
//! or a slow screen skips frames instead of falling behind.
//!
//! ```text
//! socket → reqwest → mjpeg_wire::PartStream → [parts slot] → decode → [frames slot] → UI
//!                        └→ recorder (.mjpg)      (stale part: dropped, counted)
//! ```

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use eframe::egui::{Color32, ColorImage};
use futures_util::StreamExt as _;
use mjpeg_wire::multipart::{Limits, ParseError, StreamError};
use reqwest::Url;
use tracing::{debug, info, trace, warn};

use crate::decode::decode_rgba;
use crate::net::{self, Backoff, Credentials, StreamFailure};
use crate::record::{RecordControl, RecordingSummary};
use crate::slot::{LatestSlot, lock};
use crate::stats::{FrameInfo, Stats, StatsView};

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

type Wake = Box<dyn Fn() + Send + Sync>;

struct Shared {
    stop: AtomicBool,
    stop_notify: tokio::sync::Notify,
    parts: LatestSlot<Received>,
    frames: LatestSlot<Frame>,
    stats: Mutex<Stats>,
    recorder: RecordControl,
    wake: Wake,
}

impl Shared {
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
        let url = net::parse_url(&config.url)?;
        let start = Instant::now();
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            stop_notify: tokio::sync::Notify::new(),
            parts: LatestSlot::default(),
            frames: LatestSlot::default(),
            stats: Mutex::new(Stats::new(start)),
            recorder,
            wake: Box::new(wake),
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
                .spawn(move || decode_loop(&decode_shared))
                .map_err(StartError::Thread)?,
        );
        let net_shared = shared.clone();
        let net_url = url.clone();
        let spawned = std::thread::Builder::new()
            .name("viewer-net".into())
            .spawn(move || {
                runtime.block_on(async {
                    tokio::select! {
                        () = net_shared.stop_notify.notified() => {}
                        () = connect_loop(&net_shared, &config, &net_url) => {}
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
        info!(url = %redacted(&url), "watching");
        Ok(Pipeline {
            shared,
            threads,
            url,
        })
    }

    /// The URL being watched.
    pub fn url(&self) -> &Url {
        &self.url
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
    Url(#[from] StreamFailure),
    /// The async runtime could not be created.
    #[error("cannot start the network runtime: {0}")]
    Runtime(#[source] io::Error),
    /// A thread could not be spawned.
    #[error("cannot start a worker thread: {0}")]
    Thread(#[source] io::Error),
}

/// The URL without its password, for logs.
fn redacted(url: &Url) -> String {
    let mut u = url.clone();
    if u.password().is_some() {
        // Only fails for URLs that cannot carry credentials, which then have none to hide.
        let _ = u.set_password(Some("***"));
    }
    u.to_string()
}

/// Connect, stream until it fails, wait, repeat; until stopped.
async fn connect_loop(shared: &Shared, config: &PipelineConfig, url: &Url) {
    let client = match net::build_client(
        config.stall_timeout,
        config.connect_timeout,
        &config.extra_roots,
    ) {
        Ok(c) => c,
        Err(e) => {
            let failure = StreamFailure::Connect {
                host: url.to_string(),
                reason: format!("cannot create the HTTP client: {e}"),
            };
            shared.stats().on_failure(failure, Instant::now());
            (shared.wake)();
            return;
        }
    };
    let limits = Limits {
        max_part_size: config.max_frame_size,
        ..Limits::default()
    };
    let mut backoff = Backoff::new(config.backoff_min, config.backoff_max);
    let mut attempt = 0u32;
    let mut is_retry = false;
    let mut seq = 0u64;
    let mut previous: Option<StreamFailure> = None;
    while !shared.stopped() {
        attempt += 1;
        shared.stats().on_connecting(attempt, is_retry);
        (shared.wake)();
        is_retry = true;

        let (frames, failure) = session(shared, &client, config, url, limits, &mut seq).await;
        if frames > 0 {
            backoff.reset();
            attempt = 0;
        }
        let delay = backoff.next_delay();
        // Handle each failure once: a server that stays down is one warning, not one a
        // second; repeats go to debug.
        if previous.as_ref() == Some(&failure) {
            debug!(cause = %failure, retry_in = ?delay, "still failing");
        } else {
            warn!(cause = %failure, retry_in = ?delay, "stream interrupted");
        }
        shared
            .stats()
            .on_failure(failure.clone(), Instant::now() + delay);
        previous = Some(failure);
        (shared.wake)();
        tokio::time::sleep(delay).await;
    }
}

/// One connection, from request to failure. Returns how many frames it delivered and why
/// it ended.
async fn session(
    shared: &Shared,
    client: &reqwest::Client,
    config: &PipelineConfig,
    url: &Url,
    limits: Limits,
    seq: &mut u64,
) -> (u64, StreamFailure) {
    let opened = match net::open(
        client,
        url,
        config.credentials.as_ref(),
        limits,
        config.stall_timeout,
    )
    .await
    {
        Ok(o) => o,
        Err(f) => return (0, f),
    };
    let content_type = opened.content_type.unwrap_or_else(|| "none".into());
    let mut parts = opened.parts;
    shared.stats().on_connected();
    (shared.wake)();
    debug!(content_type, "connected");

    let mut frames = 0u64;
    while let Some(item) = parts.next().await {
        match item {
            Ok(part) => {
                // The picamera recipe opens with an empty part; it is no frame.
                if part.body().is_empty() {
                    continue;
                }
                let received = Instant::now();
                let captured = part.timestamp();
                let jpeg = part.into_body();
                frames += 1;
                *seq += 1;
                trace!(seq = *seq, bytes = jpeg.len(), "part");
                shared.stats().on_received(FrameInfo {
                    bytes: jpeg.len(),
                    received,
                    captured,
                });
                record(shared, &jpeg, captured);
                let stale = shared.parts.put(Received {
                    jpeg,
                    seq: *seq,
                    received,
                    captured,
                });
                if let Some(stale) = stale {
                    trace!(seq = stale.seq, "decoder busy; dropped a stale frame");
                    shared.stats().on_dropped();
                }
                if frames == 1 {
                    // The state became "streaming"; the frame itself wakes the UI when
                    // decoded.
                    (shared.wake)();
                }
            }
            Err(StreamError::Transport(e)) => {
                return (
                    frames,
                    net::classify_transport(&e, url, config.stall_timeout),
                );
            }
            Err(StreamError::Parse(e)) => match e {
                ParseError::PartTooLarge { .. } => {
                    return (frames, StreamFailure::FrameTooLarge(e));
                }
                ParseError::NoBoundary { .. } => {
                    return (
                        frames,
                        StreamFailure::NotAStream {
                            content_type,
                            detail: e.to_string(),
                        },
                    );
                }
                ParseError::Truncated { .. } => {
                    return (
                        frames,
                        StreamFailure::Lost("the stream ended in the middle of a frame".into()),
                    );
                }
                other => {
                    debug!(cause = %other, "skipped corrupt data in the stream");
                    shared.stats().on_corrupt();
                    (shared.wake)();
                }
            },
        }
    }
    (frames, StreamFailure::Ended)
}

/// Appends the part to the recording, if one is running.
fn record(shared: &Shared, jpeg: &[u8], captured: Option<SystemTime>) {
    if shared
        .recorder
        .write(jpeg, captured.unwrap_or_else(SystemTime::now))
    {
        // The recording ended on an error: let the window say so.
        (shared.wake)();
    }
}

/// Decodes the newest part, over and over, until stopped.
fn decode_loop(shared: &Shared) {
    // The pixels of a frame nobody displayed, reused for the next decode.
    let mut spare: Vec<Color32> = Vec::new();
    while let Some(part) = shared.parts.wait_take(|| shared.stopped()) {
        let started = Instant::now();
        match decode_rgba(&part.jpeg, std::mem::take(&mut spare)) {
            Ok(image) => {
                let decode_time = started.elapsed();
                shared.stats().on_decoded(decode_time, image.size);
                let frame = Frame {
                    image,
                    jpeg: part.jpeg,
                    seq: part.seq,
                    received: part.received,
                    captured: part.captured,
                    decode_time,
                };
                if let Some(unshown) = shared.frames.put(frame) {
                    spare = unshown.image.pixels;
                }
                (shared.wake)();
            }
            Err(e) => {
                debug!(seq = part.seq, cause = %e, "skipped a frame that does not decode");
                shared.stats().on_corrupt();
                (shared.wake)();
            }
        }
    }
}
