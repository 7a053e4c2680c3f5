//! `v4l2:/dev/videoN`: a camera through Video4Linux2 (USB webcams, the Pi's legacy camera
//! stack, capture cards).
//!
//! The capture thread owns the device. It negotiates a format (`format.rs`: MJPEG passes
//! through untouched, raw formats are encoded), sets the `--control`s, and dequeues
//! memory-mapped buffers, copying (MJPEG) or encoding (raw) each before the buffer goes back
//! to the driver. When the camera vanishes or fails, clients stay connected and get a "no
//! signal" card about once a second while the device is re-opened every second; when it
//! comes back, live frames resume on the same connections. Each change of state is logged
//! once.

mod controls;
mod device;
mod format;
pub mod list;
mod pool;

use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use v4l::buffer::Flags as BufFlags;
use v4l::io::traits::CaptureStream;

pub use controls::{ControlSetting, ControlSyntaxError};
pub use device::{OpenError, Request};
pub use format::PixelFormat;

use self::device::{Capture, Granted};
use super::pacer::LINGER;
use super::pattern::{Canvas, wall_clock};
use super::raw::RawFrame;
use super::{FrameSource, JpegEncoder, Running, SourceError};
use crate::config::Size;
use crate::fanout::Fanout;
use crate::shutdown::Shutdown;

/// How often a lost camera is looked for again, and how often "no signal" is shown.
const RETRY_EVERY: Duration = Duration::from_secs(1);
/// Longest wait for a frame before checking the stop flag, so that a stop is noticed
/// quickly. The wait is our own `poll`, not the `v4l` stream's timeout: after a timeout
/// inside `next()`, v4l 0.14 queues the same buffer twice on the next call, which the
/// driver refuses with EINVAL (seen with vivid at 5 fps, where frames are 200 ms apart).
const WAIT: Duration = Duration::from_millis(200);
/// A camera that delivers nothing for this long is treated as lost (some drivers stall
/// instead of failing when a USB camera browns out). Also the `v4l` stream's own timeout,
/// which only the first dequeue (before streaming starts) can reach.
const STALL: Duration = Duration::from_secs(3);
/// Marks a "no signal" frame for programs: a JPEG comment right after SOI.
pub const NO_SIGNAL_COMMENT: &[u8] = b"pi-server: no signal";
/// `poll` event "readable": 1 on every Linux architecture.
const POLLIN: i16 = 1;

/// A V4L2 camera source.
#[derive(Debug)]
pub struct V4l2Source {
    path: PathBuf,
    request: Request,
    /// The device as opened at start (so that errors are reported before serving).
    first: Option<Box<Capture>>,
}

impl V4l2Source {
    /// Opens `path` now, so that a wrong path, a busy camera or a bad `--control` is
    /// reported at start. A camera that is merely unplugged at start is not an error: the
    /// server starts with "no signal" and picks the camera up when it appears.
    pub fn open(path: &Path, request: Request) -> Result<Self, SourceError> {
        let first = match guarded(|| device::open(path, &request, STALL)) {
            Ok(capture) => {
                tracing::info!(device = %path.display(), granted = %capture.granted, "camera opened");
                Some(Box::new(capture))
            }
            Err(e) if e.is_gone() && path.exists() => {
                tracing::warn!(device = %path.display(), cause = %e, "camera not ready; starting with NO SIGNAL");
                None
            }
            Err(cause) => {
                return Err(SourceError::Camera {
                    path: path.to_path_buf(),
                    cause,
                });
            }
        };
        Ok(V4l2Source {
            path: path.to_path_buf(),
            request,
            first,
        })
    }

    fn run(mut self, fanout: Fanout) {
        let mut card = NoSignal::new(&self.path, &self.request);
        let mut lost_since: Option<SystemTime> = None;
        let mut next_card = Instant::now();
        while !fanout.is_stopped() {
            let opened = match self.first.take() {
                Some(capture) => Ok(*capture),
                None => guarded(|| device::open(&self.path, &self.request, STALL)),
            };
            match opened {
                Ok(capture) => {
                    let granted = capture.granted;
                    if lost_since.take().is_some() {
                        tracing::info!(device = %self.path.display(), %granted, "camera is back; live frames resume");
                    }
                    fanout.set_source_state(format!("live: {granted}"));
                    card.size = (granted.width, granted.height);
                    let ended = guarded(|| {
                        let mut capture = capture;
                        Ok(self.capture(&mut capture, &fanout))
                    });
                    match ended {
                        Ok(None) => break,
                        Ok(Some(reason)) | Err(reason) => {
                            tracing::warn!(device = %self.path.display(), cause = %reason,
                                "camera lost; sending NO SIGNAL and retrying every second");
                            fanout.set_source_state(format!("no signal: {reason}"));
                            lost_since = Some(SystemTime::now());
                            card.reason = reason.to_string();
                            next_card = Instant::now();
                        }
                    }
                }
                Err(e) => {
                    if lost_since.is_none() {
                        tracing::warn!(device = %self.path.display(), cause = %e,
                            "camera unavailable; sending NO SIGNAL and retrying every second");
                        lost_since = Some(SystemTime::now());
                        fanout.set_source_state(format!("no signal: {e}"));
                    } else {
                        tracing::debug!(device = %self.path.display(), cause = %e, "camera still unavailable");
                    }
                    card.reason = e.to_string();
                }
            }
            // No signal: a card now and about every second, a retry every second.
            let retry_at = Instant::now() + RETRY_EVERY;
            while !fanout.is_stopped() && Instant::now() < retry_at {
                if Instant::now() >= next_card {
                    card.publish(&fanout, lost_since.unwrap_or_else(SystemTime::now));
                    next_card += RETRY_EVERY;
                    if next_card < Instant::now() {
                        next_card = Instant::now() + RETRY_EVERY;
                    }
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        tracing::debug!(device = %self.path.display(), "camera source stopped");
    }

    /// Streams until the camera fails (`Some(reason)`) or the source is stopped (`None`).
    fn capture(&self, capture: &mut Capture, fanout: &Fanout) -> Option<OpenError> {
        let granted = capture.granted;
        // Rate control's lever: JPEG quality for frames we encode and for MJPEG cameras with
        // a quality control of their own; frame dropping alone for other MJPEG cameras.
        let camera_quality = capture
            .jpeg_quality
            .filter(|_| granted.format == PixelFormat::Mjpeg);
        fanout
            .set_encodes(matches!(granted.format, PixelFormat::Raw(_)) || camera_quality.is_some());
        let mut applied_quality = None;
        let mut pool = match granted.format {
            PixelFormat::Raw(_) => match pool::EncodePool::new(fanout) {
                Ok(pool) => Some(pool),
                Err(e) => return Some(OpenError::Io(e)),
            },
            PixelFormat::Mjpeg => None,
        };
        let mut last_frame = Instant::now();
        let mut last_demand = Instant::now();
        let mut last_sent = Instant::now();
        let mut previous_raw: Vec<u8> = Vec::new();
        let mut skipped_stale = 0u64;
        let mut busy_drops = 0u64;
        let handle = capture.stream.handle();
        loop {
            if fanout.is_stopped() {
                return None;
            }
            // Wait for a filled buffer ourselves (see WAIT). Before streaming starts the
            // device reports an error condition at once, and next() starts it.
            let wait_ms = i32::try_from(WAIT.as_millis()).unwrap_or(i32::MAX);
            match handle.poll(POLLIN, wait_ms) {
                Ok(0) => {
                    if last_frame.elapsed() > STALL {
                        return Some(stalled());
                    }
                    continue;
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Some(OpenError::Io(e)),
            }
            let (data, flags) = match CaptureStream::next(&mut capture.stream) {
                Ok((buf, meta)) => {
                    let used = (meta.bytesused as usize).min(buf.len());
                    (&buf[..used], meta.flags)
                }
                // Only the very first dequeue can time out in there (see STALL).
                Err(e) if e.kind() == io::ErrorKind::TimedOut => return Some(stalled()),
                Err(e) => return Some(OpenError::Io(e)),
            };
            let now = Instant::now();
            last_frame = now;
            // A frame the driver marks as damaged (a USB transfer error) is not shown.
            if flags.contains(BufFlags::ERROR) || data.is_empty() {
                continue;
            }
            // Behind (a slow encode on a slow Pi): a newer buffer is already waiting, so
            // this one is stale; take the newer instead of falling further behind.
            if handle.poll(POLLIN, 0).unwrap_or(0) > 0 {
                skipped_stale += 1;
                tracing::trace!(skipped_stale, "skipping a stale camera buffer");
                continue;
            }
            let captured = SystemTime::now();
            // Rate control may drop this frame (evenly, before it is copied or encoded).
            if !fanout.admit() {
                continue;
            }
            match granted.format {
                PixelFormat::Mjpeg => {
                    // The rate controller moves the quality; the camera encodes with it.
                    if let Some(jq) = camera_quality
                        && fanout.rate_report().is_some()
                    {
                        let wanted = fanout.controls().quality();
                        if applied_quality != Some(wanted) {
                            applied_quality = Some(wanted);
                            let value = v4l::control::Value::Integer(jq.value(wanted));
                            if let Err(e) = capture
                                .dev
                                .set_control(v4l::control::Control { id: jq.id, value })
                            {
                                tracing::debug!(cause = %e, "camera refused its JPEG quality");
                            }
                        }
                    }
                    // The buffer goes back to the driver: copy the frame out first. (The
                    // fan-out skips repeats for --drop-same-frames.)
                    if let Err(e) = fanout.publish_jpeg(Bytes::copy_from_slice(data), captured) {
                        tracing::debug!(cause = %e, "camera sent a frame that is not a JPEG; skipped");
                    }
                }
                PixelFormat::Raw(raw) => {
                    if fanout.has_demand() {
                        last_demand = now;
                    } else if now.duration_since(last_demand) > LINGER {
                        // Nobody watches: no encoding.
                        continue;
                    }
                    // --drop-same-frames: compare raw frames, which saves the encoding too.
                    if let Some(keepalive) = fanout.drop_same_frames() {
                        if previous_raw == data && now.duration_since(last_sent) < keepalive {
                            continue;
                        }
                        previous_raw.clear();
                        previous_raw.extend_from_slice(data);
                    }
                    let Some(pool) = &mut pool else { continue };
                    if pool.offer(data, raw, granted, captured) {
                        last_sent = now;
                    } else {
                        busy_drops += 1;
                        tracing::trace!(busy_drops, "every encoder busy; frame dropped");
                    }
                }
            }
        }
    }
}

/// The reason given for a camera that delivers nothing.
fn stalled() -> OpenError {
    OpenError::Io(io::Error::new(
        io::ErrorKind::TimedOut,
        format!("no frame for {} s", STALL.as_secs()),
    ))
}

/// Encodes one raw frame; `None` (logged) when it cannot be.
fn encode(
    encoder: &mut JpegEncoder,
    raw: super::raw::RawFormat,
    data: &[u8],
    granted: &Granted,
    fanout: &Fanout,
) -> Option<Bytes> {
    let (Ok(w), Ok(h)) = (u16::try_from(granted.width), u16::try_from(granted.height)) else {
        tracing::warn!(%granted, "frame too large to encode");
        return None;
    };
    let frame = RawFrame::new(
        raw,
        data,
        w,
        h,
        granted.stride as usize,
        granted.limited_range,
    );
    let frame = match frame {
        Ok(f) => f,
        Err(e) => {
            tracing::debug!(cause = %e, "short frame from the camera; skipped");
            return None;
        }
    };
    match encoder.encode_raw(frame, fanout.controls().quality()) {
        Ok(jpeg) => Some(jpeg),
        Err(e) => {
            tracing::warn!(cause = %e, "camera frame not encoded");
            None
        }
    }
}

/// Runs device code, turning a panic inside the `v4l` crate (it panics, for example, when
/// stopping a stream fails with anything but ENODEV) into an error: a camera must never
/// take the server down.
fn guarded<T>(f: impl FnOnce() -> Result<T, OpenError>) -> Result<T, OpenError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(OpenError::Io(io::Error::other(
            "the V4L2 library failed on this device (see the message above)",
        )))
    })
}

/// The "no signal" card: what was lost, since when, and that the server is retrying.
#[derive(Debug)]
struct NoSignal {
    device: String,
    size: (u32, u32),
    reason: String,
    encoder: JpegEncoder,
    canvas: Option<Canvas>,
}

impl NoSignal {
    fn new(path: &Path, request: &Request) -> Self {
        NoSignal {
            device: path.display().to_string(),
            size: (request.width, request.height),
            reason: String::new(),
            encoder: JpegEncoder::new(),
            canvas: None,
        }
    }

    fn publish(&mut self, fanout: &Fanout, since: SystemTime) {
        let clamp = |v: u32| v.clamp(u32::from(Size::MIN), u32::from(Size::MAX)) as u16;
        let size = Size {
            width: clamp(self.size.0),
            height: clamp(self.size.1),
        };
        let canvas = match &mut self.canvas {
            Some(c) if c.size() == size => c,
            _ => self.canvas.insert(Canvas::new(size)),
        };
        let now = SystemTime::now();
        canvas.draw_card(&[
            "NO SIGNAL".into(),
            self.device.clone(),
            self.reason.chars().take(40).collect(),
            format!("SINCE {}", wall_clock(since)),
            format!("NOW   {}", wall_clock(now)),
            "RETRYING EVERY SECOND".into(),
        ]);
        match self
            .encoder
            .encode_rgb(canvas.rgb(), size.width, size.height, 80)
        {
            Ok(jpeg) => {
                fanout.publish(
                    with_comment(&jpeg, NO_SIGNAL_COMMENT),
                    now,
                    size.width,
                    size.height,
                );
            }
            Err(e) => tracing::warn!(cause = %e, "no-signal card not encoded"),
        }
    }
}

/// `jpeg` with a COM segment holding `text` right after SOI.
fn with_comment(jpeg: &[u8], text: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(jpeg.len() + text.len() + 4);
    out.extend_from_slice(&jpeg[..2.min(jpeg.len())]);
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&((text.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(text);
    out.extend_from_slice(jpeg.get(2..).unwrap_or_default());
    Bytes::from(out)
}

impl FrameSource for V4l2Source {
    fn describe(&self) -> String {
        format!("v4l2:{}", self.path.display())
    }

    fn start(self: Box<Self>, fanout: Fanout, _shutdown: Shutdown) -> Result<Running, SourceError> {
        std::thread::Builder::new()
            .name("v4l2".into())
            .spawn(move || self.run(fanout))
            .map(Running::Thread)
            .map_err(SourceError::Thread)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_signal_frames_carry_a_comment_and_stay_jpeg() {
        let fanout = Fanout::new(crate::fanout::Controls::new(80, 24));
        let request = Request {
            width: 320,
            height: 240,
            fps: 24,
            controls: Vec::new(),
        };
        let mut card = NoSignal::new(Path::new("/dev/video9"), &request);
        card.reason = "No such device (os error 19)".into();
        card.publish(&fanout, SystemTime::now());
        let frame = fanout.latest().unwrap();
        assert_eq!((frame.width, frame.height), (320, 240));
        assert_eq!(&frame.jpeg[..4], b"\xFF\xD8\xFF\xFE");
        assert_eq!(
            &frame.jpeg[6..6 + NO_SIGNAL_COMMENT.len()],
            NO_SIGNAL_COMMENT
        );
        let info = mjpeg_wire::jpeg::info(&frame.jpeg).unwrap();
        assert_eq!((info.width, info.height), (320, 240));
        let rgb = zune_jpeg::JpegDecoder::new(zune_jpeg::zune_core::bytestream::ZCursor::new(
            &frame.jpeg[..],
        ))
        .decode()
        .unwrap();
        assert_eq!(rgb.len(), 320 * 240 * 3);
    }

    #[test]
    fn a_missing_device_is_an_error_at_start() {
        let request = Request {
            width: 640,
            height: 480,
            fps: 24,
            controls: Vec::new(),
        };
        let err = V4l2Source::open(Path::new("/dev/video-does-not-exist"), request)
            .unwrap_err()
            .to_string();
        assert!(err.contains("/dev/video-does-not-exist"), "{err}");
        assert!(err.contains("--list-devices"), "{err}");
    }
}
