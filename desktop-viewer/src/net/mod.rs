//! The network side of the viewer: one HTTP connection to an MJPEG stream, what each of its
//! failures means, and the backoff between attempts.
//!
//! The bytes become parts in `mjpeg_wire` (the only place the wire format lives); this
//! module adds HTTP: status codes, content types, credentials and timeouts.

mod backoff;
mod connection;
pub mod failure;
mod url;

pub use backoff::{Backoff, MAX_DELAY, MIN_DELAY};
pub use connection::{BodyStream, Credentials, Opened, build_client, open};
pub use failure::{StreamFailure, Verdict};
pub use url::{InvalidUrl, host_port, parse_url, redacted, redacted_text, with_stream_path};
