//! How far behind a stream client is: bytes handed to its connection that have not reached
//! it yet, and when there is room for another frame.
//!
//! This is what keeps a slow link live. Latest-frame-wins alone is not enough: the kernel
//! takes megabytes into a socket's send buffer, and on a 1 Mbit/s link each megabyte is
//! eight seconds of pictures waiting their turn (the original recipe shows a median age of
//! 4.5 s there). So before a client gets a frame, its stream asks [`Link::check`] whether
//! what it was sent has (nearly) arrived, and while it has not, the client waits and then
//! skips to the newest frame instead.
//!
//! Bytes on their way sit in two places: hyper's write buffer (handed over by the body but
//! not yet written to the socket; [`CountingIo`] counts what was written) and the kernel's
//! send queue, whose unacknowledged bytes (`SIOCOUTQ`) include those waiting in a slow
//! link's queue. A fast client drains both long before the next frame, so it gets every one.
//!
//! `counter` counts what the socket took, `socket` holds the queries of the kernel's queue
//! (the crate's only `unsafe` code), and `link` the decision made from what they find.

mod counter;
mod link;
#[allow(unsafe_code)]
mod socket;

pub use counter::{Backlog, CountingIo};
pub use link::{Drain, Link, Room};
