//! The errors `run` and `bind` return; each says what the user can do about it.

use std::io;
use std::net::SocketAddr;

use crate::source::SourceError;

/// Why the server could not start or keep running.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Another program already listens on the address.
    #[error(
        "port {port} is already in use on {addr} (another pi-server?); choose a free one with --listen, e.g. --listen {suggestion}",
        port = addr.port()
    )]
    AddrInUse {
        /// The address asked for.
        addr: SocketAddr,
        /// The same address with the next port.
        suggestion: SocketAddr,
    },
    /// The address cannot be listened on for another reason (not local, no permission).
    // The system's words are part of the message (not a `source`), so that the line the
    // user reads says them once.
    #[error("cannot listen on {addr}: {cause}; choose another address with --listen")]
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// What the system said.
        cause: io::Error,
    },
    /// A credential setting (--auth, --auth-file, --token-file) that cannot be read or used;
    /// the message names the flag.
    #[error("{0}")]
    Credentials(String),
    /// `--save-controls` without `--config`: there is no file to keep the controls beside.
    #[error(
        "--save-controls keeps the controls in a file beside the config file: give --config FILE too"
    )]
    SaveControlsWithoutConfig,
    /// The TLS certificate or key cannot be used.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    /// The frame source could not be opened or started.
    #[error(transparent)]
    Source(#[from] SourceError),
}

impl Error {
    /// Whether the user can fix this by changing the command line (exit status 2), as
    /// opposed to a fault of the server or the system (exit status 1).
    pub fn is_user_error(&self) -> bool {
        match self {
            Error::AddrInUse { .. }
            | Error::Listen { .. }
            | Error::Credentials(_)
            | Error::SaveControlsWithoutConfig
            | Error::Tls(_) => true,
            Error::Source(e) => e.is_user_error(),
        }
    }
}
