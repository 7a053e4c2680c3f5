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
