//! What every request handler shares, and the body type every response has.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;

use super::settings::Settings;
use crate::announce::Neighbours;
use crate::broadcast::Broadcast;
use crate::controls::Controls;
use crate::publish::Publisher;
use crate::shutdown::Shutdown;
use crate::stats::Stats;

/// The body type of every response.
pub type Body = UnsyncBoxBody<Bytes, Infallible>;

/// What every request handler shares.
#[derive(Debug)]
pub struct AppState {
    /// Access, limits and timeouts.
    pub settings: Settings,
    /// The newest frame, and the multipart framing every client writes.
    pub broadcast: Broadcast,
    /// The source's figures and state, for `/stats`.
    pub publisher: Publisher,
    /// Clients and rates.
    pub stats: Arc<Stats>,
    /// Ends stream bodies.
    pub shutdown: Shutdown,
    /// What the frames come from, for `/stats`.
    pub source_name: String,
    /// The live settings, for `/api/controls`.
    pub controls: Controls,
    /// The other cameras on the LAN, for `/api/cameras`; `None` with `--no-announce`.
    pub neighbours: Option<Neighbours>,
}
