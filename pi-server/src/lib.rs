//! pi-server: one camera (or file, pipe or test pattern), any number of MJPEG-over-HTTP clients.
//!
//! The path of a frame is the architecture, and the modules follow it:
//! 1. a [`source`] produces JPEG frames on its own thread or task (a camera, a pipe, a
//!    file, the test pattern) and hands each one to its
//! 2. [`publish::Publisher`], which decides what becomes of it (rate control, repeats,
//!    validation, Huffman tables) and numbers it, then sends it to the
//! 3. [`broadcast`], which keeps only the newest [`frame`] (shared, never copied per
//!    client) and knows who is watching, and from which
//! 4. [`http`] writes it to every client with the `mjpeg-wire` multipart writer.
//!
//! [`run`] ties them together on a listener the caller binds (tests use `127.0.0.1:0`);
//! [`config`] holds one group of settings per stage; [`announce`] makes the camera known on
//! the LAN (DNS-SD over mDNS) and lists the others.

pub mod announce;
pub mod broadcast;
pub mod cli;
pub mod config;
pub mod controls;
pub mod error;
pub mod frame;
pub mod http;
mod lock;
pub mod publish;
mod server;
pub mod shutdown;
pub mod size;
pub mod source;
pub mod stats;
pub mod tls;

pub use config::Config;
pub use error::Error;
pub use server::{bind, run};
pub use size::Size;
pub use source::SourceSpec;
