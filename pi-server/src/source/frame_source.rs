//! What every source is: opened before the server starts, then started on its own thread
//! or task, handing frames to its publisher until shutdown.

use super::error::SourceError;
use crate::publish::Publisher;
use crate::shutdown::Shutdown;

/// A producer of JPEG frames.
pub trait FrameSource: Send + std::fmt::Debug {
    /// What the frames come from, for the log and `/stats` (e.g. `test pattern`).
    fn describe(&self) -> String;

    /// What people call the camera, for its name on the LAN (`HD Pro Webcam C920`); by
    /// default the description.
    fn camera_name(&self) -> String {
        self.describe()
    }

    /// Which stream settings it can change while it runs; by default none (a pipe, a
    /// relay: frames come as they are, and only the rate target applies).
    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }

    /// The camera's own controls, for a camera source.
    fn camera(&self) -> Option<super::v4l2::live::CameraLink> {
        None
    }

    /// Starts producing through `publisher` until `shutdown`.
    fn start(
        self: Box<Self>,
        publisher: Publisher,
        shutdown: Shutdown,
    ) -> Result<Running, SourceError>;
}

/// Which stream settings a source can change while it runs: what decides the controls
/// `/api/controls` lists in its "stream" group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// It encodes its frames: JPEG quality is ours to set.
    pub encodes: bool,
    /// It turns and mirrors the frames it encodes (rotation, flips).
    pub orients: bool,
    /// It makes its frames at a size it can change (the test pattern; a camera, which
    /// re-negotiates).
    pub resizes: bool,
    /// Its frame rate can change (the test pattern, a replayed file; a camera, which
    /// re-negotiates).
    pub paced: bool,
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
