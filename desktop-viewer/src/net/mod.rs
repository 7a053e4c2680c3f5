//! The network side of the viewer: finding the stream behind a typed address ([`locate`]),
//! one HTTP connection to it, what each of its failures means, and the backoff between
//! attempts; and the camera's live controls API ([`controls`]).
//!
//! The bytes become parts in `mjpeg_wire` (the only place the wire format lives); this
//! module adds HTTP: status codes, content types, credentials and timeouts.

mod backoff;
mod connection;
pub mod controls;
pub mod failure;
pub mod locate;
mod page_links;
pub mod resolve;
mod url;

pub use backoff::{Backoff, MAX_DELAY, MIN_DELAY};
pub use connection::{BodyStream, Credentials, Opened, build_client, open};
pub use failure::{StreamFailure, Verdict};
pub use locate::{Attempt, Found, locate};
pub use url::{
    Address, DEFAULT_PORT, InvalidUrl, host_port, parse_url, redacted, redacted_text,
    with_stream_path,
};
