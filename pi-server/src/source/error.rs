//! Why a source could not be opened or started, with what the user can do about it.

use std::io;
use std::path::PathBuf;

use super::v4l2::OpenError;

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
        cause: OpenError,
    },
    /// An `http://` source that cannot be relayed.
    #[error("cannot relay {url}: {why}")]
    BadUrl {
        /// The URL, without credentials.
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// The source's thread could not be created.
    #[error("cannot start the source thread: {0}")]
    Thread(io::Error),
}

/// What the user can do about a camera that cannot be opened.
fn camera_hint(cause: &OpenError) -> &'static str {
    match cause {
        OpenError::Io(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            " (add the user to the video group: sudo usermod -aG video $USER, then log in again)"
        }
        OpenError::Io(e) if e.raw_os_error() == Some(16) => {
            " (another program is using it; stop it, or serve its stream instead)"
        }
        OpenError::Control(_) => "",
        _ => " (pi-server --list-devices shows the cameras there are)",
    }
}

impl SourceError {
    /// Whether the user can fix this on the command line.
    pub fn is_user_error(&self) -> bool {
        !matches!(self, SourceError::Thread(_))
    }
}
