//! `v4l2:/dev/videoN`: a camera through Video4Linux2 (USB webcams, the Pi's legacy camera
//! stack, capture cards).
//!
//! The capture thread owns the device. This module is its life: open (`device.rs`, which
//! negotiates a format with `format.rs` and sets the `--control`s with `controls.rs`),
//! capture (`capture.rs`: dequeue memory-mapped buffers, MJPEG copied out and passed
//! through, raw frames handed to the encoder threads of `pool.rs`), and when the camera
//! vanishes or fails, the "no signal" card (`../no_signal.rs`) about once a second while the
//! device is re-opened every second; when it comes back, live frames resume on the same
//! connections, found by its identity (`identity.rs`) if it came back under another node.
//! When nobody has watched for the publisher's linger the device is closed, so that the
//! camera stops streaming (a Pi on a battery or in a warm case), and opened again for the
//! next viewer or snapshot. Each change of state is logged once.

mod capture;
mod controls;
mod device;
mod format;
mod identity;
pub mod list;
pub mod live;
mod order;
mod pool;

use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

pub use super::no_signal::NO_SIGNAL_COMMENT;
pub use controls::{ControlInfo, ControlKind, ControlSetting, ControlSyntaxError};
pub use device::{OpenError, Request};
pub use format::PixelFormat;

use self::capture::{Ended, STALL};
use self::device::Capture;
use self::identity::Identity;
use self::live::{CameraLink, Desk};
use super::error::SourceError;
use super::frame_source::{Capabilities, FrameSource, Running};
use super::no_signal::NoSignal;
use crate::publish::{Publisher, SourceState};
use crate::shutdown::Shutdown;

/// How often a lost camera is looked for again, and how often "no signal" is shown.
const RETRY_EVERY: Duration = Duration::from_secs(1);
/// How often a stopped camera checks for shutdown while it waits for a viewer.
const IDLE_CHECK: Duration = Duration::from_millis(200);

/// A V4L2 camera source.
#[derive(Debug)]
pub struct V4l2Source {
    path: PathBuf,
    request: Request,
    /// The device as opened at start (so that errors are reported before serving).
    first: Option<Box<Capture>>,
    /// Which camera it is, once it was opened: what is looked for when it comes back.
    identity: Option<Identity>,
    /// The camera's controls for `/api/controls`; `desk` is the capture thread's end.
    link: CameraLink,
    desk: Desk,
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
        let (link, desk) = live::link();
        if let Some(capture) = &first {
            desk.refresh(&capture.dev);
            desk.granted(live::Granted {
                asked: (request.width, request.height, request.fps),
                width: capture.granted.width,
                height: capture.granted.height,
                fps: capture.granted.fps,
            });
        }
        Ok(V4l2Source {
            path: path.to_path_buf(),
            request,
            first,
            identity: None,
            link,
            desk,
        })
    }

    /// Opens the camera: where it is now, if it was seen before (see `identity.rs`).
    fn reopen(&self) -> Result<(Capture, PathBuf), OpenError> {
        let path = match &self.identity {
            None => self.path.clone(),
            Some(wanted) => identity::locate(&self.path, wanted).ok_or_else(|| {
                OpenError::Io(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("the camera ({wanted}) is not connected"),
                ))
            })?,
        };
        let capture = guarded(|| device::open(&path, &self.request, STALL))?;
        Ok((capture, path))
    }

    /// Waits, the camera closed, until somebody watches (true) or the server stops;
    /// changes of the camera's controls are applied meanwhile.
    fn idle(&mut self, publisher: &Publisher, shutdown: &Shutdown) -> bool {
        while !shutdown.is_triggered() {
            if publisher.wait_for_viewer(IDLE_CHECK) {
                return true;
            }
            self.desk
                .serve_closed(&self.path, &mut self.request.controls);
        }
        false
    }

    fn run(mut self, publisher: Publisher, shutdown: Shutdown) {
        let mut card = NoSignal::new(
            self.path.display().to_string(),
            (self.request.width, self.request.height),
        );
        let mut lost_since: Option<SystemTime> = None;
        let mut next_card = Instant::now();
        while !shutdown.is_triggered() {
            // The size and rate asked for now (the controls may have changed them).
            if let Some(size) = publisher.watch_picture().borrow().size {
                self.request.width = u32::from(size.width);
                self.request.height = u32::from(size.height);
            }
            self.request.fps = publisher.gate().fps();
            let opened = match self.first.take() {
                Some(capture) => Ok((*capture, self.path.clone())),
                None => self.reopen(),
            };
            match opened {
                Ok((capture, at)) => {
                    if self.identity.is_none() {
                        self.identity = Identity::of(&capture.dev).ok();
                    }
                    let granted = capture.granted;
                    if lost_since.take().is_some() {
                        tracing::info!(device = %at.display(), %granted, "camera is back; live frames resume");
                    }
                    let mut live = granted.to_string();
                    if at != self.path {
                        live = format!("{live} (now {})", at.display());
                    }
                    publisher.set_state(SourceState::LiveAs(live.clone()));
                    card.size = (granted.width, granted.height);
                    self.desk.granted(live::Granted {
                        asked: (self.request.width, self.request.height, self.request.fps),
                        width: granted.width,
                        height: granted.height,
                        fps: granted.fps,
                    });
                    let (desk, remembered) = (&self.desk, &mut self.request.controls);
                    let ended = guarded(|| {
                        let mut capture = capture;
                        let mut serve = |dev: &v4l::Device| desk.serve(dev, remembered);
                        Ok(capture::run(
                            &mut capture,
                            &publisher,
                            &shutdown,
                            &mut serve,
                        ))
                    });
                    match ended {
                        Ok(Ended::Shutdown) => break,
                        Ok(Ended::Renegotiate) => {
                            // Closed in there; clients stay connected and get the frames
                            // of the next session.
                            tracing::info!(device = %at.display(), "new size or frame rate asked for: opening the camera again");
                            continue;
                        }
                        Ok(Ended::Idle) => {
                            // The capture (and with it the device) was dropped in there.
                            tracing::info!(device = %at.display(), "nobody watching: camera stopped until a viewer comes");
                            publisher.set_state(SourceState::LiveAs(format!(
                                "{live}, stopped while nobody watches"
                            )));
                            if !self.idle(&publisher, &shutdown) {
                                break;
                            }
                            tracing::info!(device = %at.display(), "a viewer came: starting the camera");
                            continue;
                        }
                        Ok(Ended::Lost(reason)) | Err(reason) => {
                            tracing::warn!(device = %self.path.display(), cause = %reason,
                                "camera lost; sending NO SIGNAL and retrying every second");
                            publisher.set_state(SourceState::NoSignal(reason.to_string()));
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
                        publisher.set_state(SourceState::NoSignal(e.to_string()));
                    } else {
                        tracing::debug!(device = %self.path.display(), cause = %e, "camera still unavailable");
                    }
                    card.reason = e.to_string();
                }
            }
            // No signal: a card now and about every second, a retry every second.
            let retry_at = Instant::now() + RETRY_EVERY;
            while !shutdown.is_triggered() && Instant::now() < retry_at {
                if Instant::now() >= next_card {
                    card.publish(&publisher, lost_since.unwrap_or_else(SystemTime::now));
                    next_card += RETRY_EVERY;
                    if next_card < Instant::now() {
                        next_card = Instant::now() + RETRY_EVERY;
                    }
                }
                self.desk
                    .serve_closed(&self.path, &mut self.request.controls);
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        tracing::debug!(device = %self.path.display(), "camera source stopped");
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

impl FrameSource for V4l2Source {
    fn describe(&self) -> String {
        format!("v4l2:{}", self.path.display())
    }

    fn camera_name(&self) -> String {
        // The driver's card name, as --list-devices shows it; a camera that cannot be asked
        // right now is named by its path.
        v4l::Device::with_path(&self.path)
            .and_then(|dev| dev.query_caps())
            .map_or_else(|_| self.describe(), |caps| caps.card)
    }

    fn capabilities(&self) -> Capabilities {
        // A new size or rate re-negotiates; quality is ours for raw formats we encode.
        let encodes = self
            .first
            .as_ref()
            .is_some_and(|c| matches!(c.granted.format, PixelFormat::Raw(_)));
        Capabilities {
            encodes,
            orients: false,
            resizes: true,
            paced: true,
        }
    }

    fn camera(&self) -> Option<CameraLink> {
        Some(self.link.clone())
    }

    fn start(
        self: Box<Self>,
        publisher: Publisher,
        shutdown: Shutdown,
    ) -> Result<Running, SourceError> {
        std::thread::Builder::new()
            .name("v4l2".into())
            .spawn(move || self.run(publisher, shutdown))
            .map(Running::Thread)
            .map_err(SourceError::Thread)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
