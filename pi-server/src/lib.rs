//! pi-server: one camera (or file, pipe or test pattern), any number of MJPEG-over-HTTP clients.
//!
//! The path of a frame is the architecture: a [`source`] produces JPEG frames on its own
//! thread or task, the [`fanout`] keeps only the newest one (shared, never copied per client),
//! and [`http`] writes it to every client with the `mjpeg-wire` multipart writer. [`run`]
//! ties them together on a listener the caller binds (tests use `127.0.0.1:0`).

pub mod cli;
pub mod config;
pub mod error;
pub mod fanout;
pub mod http;
pub mod rate;
mod server;
pub mod shutdown;
pub mod source;
pub mod stats;
pub mod tls;

pub use config::{Config, Size, SourceSpec};
pub use error::Error;
pub use server::{bind, run};
