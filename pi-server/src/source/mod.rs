//! Frame sources: where JPEGs come from, the first stage of a frame's path.
//!
//! Every source implements [`FrameSource`]: it is opened (and checked) before the server
//! starts, so that a missing file or a command that cannot run is reported at once, then
//! started on its own thread or task, handing every frame to its
//! [`Publisher`](crate::publish::Publisher) and asking it what to produce. Sources that
//! make their own frames (the test pattern, a replayed file) are paced by [`Pacer`].
//!
//! Cameras (`v4l2`) plug in behind the same trait, with device loss and recovery inside.

pub mod draw;
mod encode;
mod file;
mod pacer;
pub mod pattern;
mod pipe;
pub mod raw;
mod settings;
pub mod spec;
pub mod v4l2;

use std::io;
use std::path::PathBuf;

pub use encode::{EncodeError, JpegEncoder};
pub use file::FileSource;
pub use pacer::Pacer;
pub use pattern::PatternSource;
pub use pipe::PipeSource;
pub use settings::Settings;
pub use spec::{Scene, SourceSpec};

use crate::publish::Publisher;
use crate::shutdown::Shutdown;

/// A producer of JPEG frames.
pub trait FrameSource: Send + std::fmt::Debug {
    /// What the frames come from, for the log and `/stats` (e.g. `test pattern`).
    fn describe(&self) -> String;

    /// Starts producing through `publisher` until `shutdown`.
    fn start(
        self: Box<Self>,
        publisher: Publisher,
        shutdown: Shutdown,
    ) -> Result<Running, SourceError>;
}

/// A started source: a thread (blocking work such as encoding) or a task (pipes).
#[derive(Debug)]
pub enum Running {
    /// A named OS thread.
    Thread(std::thread::JoinHandle<()>),
    /// A tokio task.
    Task(tokio::task::JoinHandle<()>),
}

impl Running {
    /// Whether the source has ended.
    pub fn is_finished(&self) -> bool {
        match self {
            Running::Thread(t) => t.is_finished(),
            Running::Task(t) => t.is_finished(),
        }
    }
}

/// Why a source could not be opened or started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The file or directory cannot be read.
    // The system's words are in the message, not a `source`: the user's line says them once.
    #[error("cannot read {path}: {cause}")]
    Unreadable {
        /// The path given.
        path: PathBuf,
        /// What the system said.
        cause: io::Error,
    },
    /// The file or directory holds no JPEG frame.
    #[error(
        "{path} holds no JPEG frames (expected a .mjpg capture, concatenated JPEGs or a directory of .jpg files)"
    )]
    NoFrames {
        /// The path given.
        path: PathBuf,
    },
    /// The `exec:` command line cannot be split into words (an unclosed quote).
    #[error("cannot parse the command {command:?}: check its quotes")]
    BadCommand {
        /// The command line given.
        command: String,
    },
    /// The `exec:` command cannot be started.
    #[error("cannot start the command {program:?}: {cause}")]
    CommandStart {
        /// The program named.
        program: String,
        /// What the system said.
        cause: io::Error,
    },
    /// A V4L2 camera cannot be used.
    #[error("cannot use the camera {path}: {cause}{hint}", path = path.display(), hint = camera_hint(cause))]
    Camera {
        /// The device node given.
        path: PathBuf,
        /// What went wrong.
        cause: v4l2::OpenError,
    },
    /// The source's thread could not be created.
    #[error("cannot start the source thread: {0}")]
    Thread(io::Error),
}

/// What the user can do about a camera that cannot be opened.
fn camera_hint(cause: &v4l2::OpenError) -> &'static str {
    match cause {
        v4l2::OpenError::Io(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            " (add the user to the video group: sudo usermod -aG video $USER, then log in again)"
        }
        v4l2::OpenError::Io(e) if e.raw_os_error() == Some(16) => {
            " (another program is using it; stop it, or serve its stream instead)"
        }
        v4l2::OpenError::Control(_) => "",
        _ => " (pi-server --list-devices shows the cameras there are)",
    }
}

impl SourceError {
    /// Whether the user can fix this on the command line.
    pub fn is_user_error(&self) -> bool {
        !matches!(self, SourceError::Thread(_))
    }
}

/// What a camera is asked for: the configured size, rate and controls.
fn camera_request(settings: &Settings) -> v4l2::Request {
    v4l2::Request {
        width: u32::from(settings.size.width),
        height: u32::from(settings.size.height),
        fps: settings.fps,
        controls: settings.controls.clone(),
    }
}

/// Opens the source `settings` name, checking that it can work.
pub fn open(settings: &Settings) -> Result<Box<dyn FrameSource>, SourceError> {
    Ok(match &settings.spec {
        SourceSpec::V4l2(path) => Box::new(v4l2::V4l2Source::open(path, camera_request(settings))?),
        SourceSpec::Auto => {
            if let Some(path) = v4l2::list::auto_device() {
                tracing::info!(device = %path.display(), "--source auto found a camera");
                return Ok(Box::new(v4l2::V4l2Source::open(
                    &path,
                    camera_request(settings),
                )?));
            }
            // Say so where people look.
            tracing::warn!(
                "NO CAMERA FOUND: streaming a TEST PATTERN. `pi-server --list-devices` lists \
                 V4L2 cameras; for a CSI camera on the libcamera stack use \
                 --source exec:'rpicam-vid -t 0 --codec mjpeg -o -'"
            );
            Box::new(PatternSource::new(
                settings.size,
                Some("NO CAMERA - TEST PATTERN"),
            ))
        }
        SourceSpec::Test(scene) => {
            Box::new(PatternSource::new(settings.size, Some("TEST PATTERN")).with_scene(*scene))
        }
        SourceSpec::File(path) => Box::new(FileSource::open(path)?),
        SourceSpec::Stdin => Box::new(PipeSource::stdin()),
        SourceSpec::Exec(command) => Box::new(PipeSource::exec(command)?),
    })
}
