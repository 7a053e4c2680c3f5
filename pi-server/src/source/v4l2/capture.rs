//! The capture loop: dequeue each filled buffer and hand it on, until the camera fails or
//! the server stops.
//!
//! MJPEG frames are copied out of the driver's buffer and published as they are (with the
//! camera's own JPEG quality as rate control's lever when it has one); raw frames go to the
//! encoder threads ([`EncodePool`]), but only while somebody watches, and not when they
//! repeat the last one (`--drop-same-frames`). Both ask the publisher first whether rate
//! control keeps the frame, so a dropped frame is neither copied nor encoded. Frames are
//! taken in the camera's order (`order.rs`), and the loop ends when nobody has watched for
//! the publisher's linger, so that the camera stops streaming (the caller opens it again
//! for the next viewer).

use std::io;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use v4l::buffer::Flags as BufFlags;
use v4l::io::traits::CaptureStream;

use super::PixelFormat;
use super::device::{Capture, JpegQuality, OpenError};
use super::order::{Order, Verdict};
use super::pool::EncodePool;
use crate::publish::Publisher;
use crate::shutdown::Shutdown;
use crate::source::raw::RawFormat;

/// Longest wait for a frame before checking for shutdown, so that it is noticed quickly.
/// The wait is our own `poll`, not the `v4l` stream's timeout: after a timeout inside
/// `next()`, v4l 0.14 queues the same buffer twice on the next call, which the driver
/// refuses with EINVAL (seen with vivid at 5 fps, where frames are 200 ms apart).
const WAIT: Duration = Duration::from_millis(200);
/// A camera that delivers nothing for this long is treated as lost (some drivers stall
/// instead of failing when a USB camera browns out). Also the `v4l` stream's own timeout,
/// which only the first dequeue (before streaming starts) can reach.
pub const STALL: Duration = Duration::from_secs(3);
/// `poll` event "readable": 1 on every Linux architecture.
const POLLIN: i16 = 1;

/// Why capture ended.
#[derive(Debug)]
pub enum Ended {
    /// The server is stopping.
    Shutdown,
    /// Nobody has watched for the linger: the camera may stop.
    Idle,
    /// The camera failed or is gone.
    Lost(OpenError),
    /// Another size or frame rate was asked for (the controls): open it again with them.
    Renegotiate,
}

/// Streams until the camera fails, nobody watches, or shutdown; `serve` is handed the
/// device between frames, to apply changes of its controls.
pub fn run(
    capture: &mut Capture,
    publisher: &Publisher,
    shutdown: &Shutdown,
    serve: &mut dyn FnMut(&v4l::Device),
) -> Ended {
    let mut order = Order::default();
    let ended = capture_loop(capture, publisher, shutdown, &mut order, serve);
    if order.missed > 0 || order.late > 0 {
        tracing::info!(
            missed = order.missed,
            late = order.late,
            "camera frames passed over in this session: missed (never handed over) and late \
             (handed over after a newer one, dropped to keep the picture in order)"
        );
    }
    ended
}

fn capture_loop(
    capture: &mut Capture,
    publisher: &Publisher,
    shutdown: &Shutdown,
    order: &mut Order,
    serve: &mut dyn FnMut(&v4l::Device),
) -> Ended {
    let granted = capture.granted;
    // Rate control's lever: JPEG quality for frames we encode and for MJPEG cameras with a
    // quality control of their own; frame dropping alone for other MJPEG cameras.
    let camera_quality = capture
        .jpeg_quality
        .filter(|_| granted.format == PixelFormat::Mjpeg);
    publisher
        .gate()
        .set_encodes(matches!(granted.format, PixelFormat::Raw(_)) || camera_quality.is_some());
    let mut hand_off = match granted.format {
        PixelFormat::Raw(format) => match EncodePool::new(publisher) {
            Ok(pool) => HandOff::Encode { pool, format },
            Err(e) => return Ended::Lost(OpenError::Io(e)),
        },
        PixelFormat::Mjpeg => HandOff::PassThrough {
            camera_quality,
            applied: None,
        },
    };
    // What this session was opened with: a change (from the controls) ends it.
    let mut picture = publisher.watch_picture();
    picture.borrow_and_update();
    let fps = publisher.gate().fps();
    let handle = capture.stream.handle();
    let mut last_frame = Instant::now();
    let mut skipped_stale = 0u64;
    loop {
        if shutdown.is_triggered() {
            return Ended::Shutdown;
        }
        if !publisher.is_watched() {
            return Ended::Idle;
        }
        serve(&capture.dev);
        if picture.has_changed().unwrap_or(false) || publisher.gate().fps() != fps {
            return Ended::Renegotiate;
        }
        match wait_for_buffer(&handle) {
            Ok(true) => last_frame = Instant::now(),
            Ok(false) if last_frame.elapsed() > STALL => return Ended::Lost(stalled()),
            Ok(false) => continue,
            Err(e) => return Ended::Lost(e),
        }
        // A DQBUF that is waiting when a USB camera goes gets EINVAL (vb2: streaming off),
        // later calls ENODEV: both are the camera lost.
        let (data, flags, sequence) = match CaptureStream::next(&mut capture.stream) {
            Ok((buf, meta)) => {
                let used = (meta.bytesused as usize).min(buf.len());
                (&buf[..used], meta.flags, meta.sequence)
            }
            // Only the very first dequeue can time out in there (see STALL).
            Err(e) if e.kind() == io::ErrorKind::TimedOut => return Ended::Lost(stalled()),
            Err(e) => return Ended::Lost(OpenError::Io(e)),
        };
        // A frame the driver marks as damaged (a USB transfer error) is not shown.
        if flags.contains(BufFlags::ERROR) || data.is_empty() {
            continue;
        }
        match order.on_buffer(sequence) {
            Verdict::Take { missed: 0 } => {}
            Verdict::Take { missed } => tracing::debug!(sequence, missed, "camera frames missed"),
            Verdict::Late => {
                tracing::debug!(
                    sequence,
                    "camera frame handed over after a newer one; dropped"
                );
                continue;
            }
        }
        // Behind (a slow encode on a slow Pi): a newer buffer is already waiting, so this
        // one is stale; take the newer instead of falling further behind.
        if handle.poll(POLLIN, 0).unwrap_or(0) > 0 {
            skipped_stale += 1;
            tracing::trace!(skipped_stale, "skipping a stale camera buffer");
            continue;
        }
        let captured = SystemTime::now();
        // Rate control may drop this frame (evenly, before it is copied or encoded).
        if !publisher.admit() {
            continue;
        }
        match &mut hand_off {
            HandOff::PassThrough {
                camera_quality,
                applied,
            } => {
                if let Some(jq) = camera_quality {
                    follow_quality(&capture.dev, *jq, applied, publisher);
                }
                // The buffer goes back to the driver: copy the frame out first.
                if let Err(e) = publisher.publish_jpeg(Bytes::copy_from_slice(data), captured) {
                    tracing::debug!(cause = %e, "camera sent a frame that is not a JPEG; skipped");
                }
            }
            HandOff::Encode { pool, format } => {
                // Nobody watching, or a repeat: no encoding.
                if !publisher.is_watched() || publisher.is_repeat(data) {
                    continue;
                }
                pool.offer(data, *format, granted, captured);
            }
        }
    }
}

/// Where a dequeued frame goes.
enum HandOff {
    /// MJPEG from the camera, published as it is.
    PassThrough {
        /// The camera's JPEG quality control, if rate control may move it.
        camera_quality: Option<JpegQuality>,
        /// The quality last set on the camera.
        applied: Option<u8>,
    },
    /// Raw frames of `format`, encoded on other threads.
    Encode {
        /// The encoder threads.
        pool: EncodePool,
        /// The camera's raw pixel layout.
        format: RawFormat,
    },
}

/// Waits up to [`WAIT`] for a filled buffer: `Ok(true)` when one is ready. Before streaming
/// starts the device reports an error condition at once, and `next()` starts it.
fn wait_for_buffer(handle: &v4l::device::Handle) -> Result<bool, OpenError> {
    let wait_ms = i32::try_from(WAIT.as_millis()).unwrap_or(i32::MAX);
    match handle.poll(POLLIN, wait_ms) {
        Ok(0) => Ok(false),
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(false),
        Err(e) => Err(OpenError::Io(e)),
    }
}

/// Sets the camera's JPEG quality to what rate control asks, when that changed.
fn follow_quality(
    dev: &v4l::Device,
    control: JpegQuality,
    applied: &mut Option<u8>,
    publisher: &Publisher,
) {
    if publisher.gate().report().is_none() {
        return;
    }
    let wanted = publisher.quality();
    if *applied == Some(wanted) {
        return;
    }
    *applied = Some(wanted);
    let value = v4l::control::Value::Integer(control.value(wanted));
    if let Err(e) = dev.set_control(v4l::control::Control {
        id: control.id,
        value,
    }) {
        tracing::debug!(cause = %e, "camera refused its JPEG quality");
    }
}

/// The reason given for a camera that delivers nothing.
fn stalled() -> OpenError {
    OpenError::Io(io::Error::new(
        io::ErrorKind::TimedOut,
        format!("no frame for {} s", STALL.as_secs()),
    ))
}
