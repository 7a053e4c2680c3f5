//! HTTP: routes, the MJPEG body stream, and what a connection shares with its streams.
//!
//! Every response body is a [`Body`]: a whole one for pages, JSON and snapshots,
//! and an endless stream of multipart chunks for `/stream.mjpg`, written only with the
//! `mjpeg-wire` writer.

pub mod auth;
pub mod backlog;
mod conn_watch;
mod controls;
mod routes;
mod settings;
mod state;
mod stopwatch;
mod stream;

pub use backlog::Backlog;
pub use conn_watch::ConnWatch;
pub use routes::handle;
pub use settings::Settings;
pub use state::{AppState, Body};
