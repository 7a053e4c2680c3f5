//! The network side of the viewer: one HTTP connection to an MJPEG stream, its failures
//! told in words a user can act on, and the backoff between attempts.
//!
//! The bytes become parts in `mjpeg_wire` (the only place the wire format lives); this
//! module adds HTTP: status codes, content types, credentials and timeouts.

mod backoff;
mod connection;
mod error;

pub use backoff::{Backoff, MAX_DELAY, MIN_DELAY};
pub use connection::{
    BodyStream, Credentials, Opened, build_client, classify_transport, open, parse_url,
};
pub use error::StreamFailure;
