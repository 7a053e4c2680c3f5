//! Live figures for `/stats` and the log: the source's rate and every stream client's.
//!
//! Each client owns an [`Arc<ClientStats>`] it updates with atomics and its own meter, so
//! that clients never contend on one lock per frame; the registry's lock is taken only when
//! a client joins or leaves and when `/stats` is read.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mjpeg_wire::meter::RateMeter;
use serde::Serialize;

use crate::lock::lock;
use crate::publish::Publisher;

/// Why a stream client left; logged once when it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaveReason {
    /// The client closed its connection (or the network did).
    Disconnected,
    /// The client stopped reading for longer than `--client-timeout`.
    Stalled,
    /// The server is shutting down.
    Shutdown,
    /// The source ended for good.
    SourceEnded,
}

impl fmt::Display for LeaveReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LeaveReason::Disconnected => "client disconnected",
            LeaveReason::Stalled => "client stopped reading (timeout)",
            LeaveReason::Shutdown => "server shutting down",
            LeaveReason::SourceEnded => "source ended",
        })
    }
}

/// One stream client's counters.
#[derive(Debug)]
pub struct ClientStats {
    id: u64,
    addr: SocketAddr,
    path: String,
    joined: Instant,
    frames_sent: AtomicU64,
    frames_skipped: AtomicU64,
    frames_skipped_slow_link: AtomicU64,
    /// Bytes on their way to the client when its last frame went out.
    queued_bytes: AtomicU64,
    /// How long they take to arrive at the link's measured rate, in microseconds.
    queue_delay_us: AtomicU64,
    bytes_sent: AtomicU64,
    meter: Mutex<RateMeter>,
    reason: Mutex<Option<LeaveReason>>,
}

impl ClientStats {
    /// Counts a frame handed to the connection, `skipped` newer-than-last frames jumped over
    /// to reach it, and the bytes of its part.
    pub fn on_frame(&self, bytes: usize, skipped: u64) {
        self.frames_sent.fetch_add(1, Ordering::Relaxed);
        self.bytes_sent.fetch_add(bytes as u64, Ordering::Relaxed);
        if skipped > 0 {
            self.frames_skipped.fetch_add(skipped, Ordering::Relaxed);
            tracing::trace!(client = self.id, skipped, "client skipped frames");
        }
        lock(&self.meter).record(Instant::now(), bytes);
    }

    /// Records the state of the client's link as a frame goes out: `queued` bytes still on
    /// their way, arriving in `delay`, and `skipped` frames jumped over while waiting for it.
    pub fn on_link(&self, queued: u64, delay: Duration, skipped: u64) {
        self.queued_bytes.store(queued, Ordering::Relaxed);
        self.queue_delay_us.store(
            delay.as_micros().min(u128::from(u64::MAX)) as u64,
            Ordering::Relaxed,
        );
        if skipped > 0 {
            self.frames_skipped_slow_link
                .fetch_add(skipped, Ordering::Relaxed);
        }
    }

    /// Records why the client is leaving; the first reason given wins.
    pub fn set_reason(&self, reason: LeaveReason) {
        lock(&self.reason).get_or_insert(reason);
    }

    /// Frames sent so far.
    pub fn frames_sent(&self) -> u64 {
        self.frames_sent.load(Ordering::Relaxed)
    }

    fn report(&self, now: Instant) -> ClientReport {
        let mut meter = lock(&self.meter);
        ClientReport {
            id: self.id,
            address: self.addr.to_string(),
            path: self.path.clone(),
            connected_s: round(now.saturating_duration_since(self.joined).as_secs_f64()),
            fps: round(meter.fps(now)),
            kbps: round(meter.kbps(now)),
            frames_sent: self.frames_sent.load(Ordering::Relaxed),
            frames_skipped: self.frames_skipped.load(Ordering::Relaxed),
            frames_skipped_slow_link: self.frames_skipped_slow_link.load(Ordering::Relaxed),
            queued_bytes: self.queued_bytes.load(Ordering::Relaxed),
            queue_delay_ms: round(self.queue_delay_us.load(Ordering::Relaxed) as f64 / 1000.0),
            bytes_sent: self.bytes_sent.load(Ordering::Relaxed),
        }
    }
}

/// The registry of stream clients and the server's start time.
#[derive(Debug)]
pub struct Stats {
    started: Instant,
    next_id: AtomicU64,
    /// Connections open now, of any kind.
    connections: Arc<AtomicU64>,
    /// Connections answered 503 for `--max-connections`.
    refused: AtomicU64,
    clients: Mutex<BTreeMap<u64, Arc<ClientStats>>>,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            started: Instant::now(),
            next_id: AtomicU64::new(1),
            connections: Arc::new(AtomicU64::new(0)),
            refused: AtomicU64::new(0),
            clients: Mutex::new(BTreeMap::new()),
        }
    }
}

impl Stats {
    /// Registers a stream client; it is removed, and its departure logged, when the guard
    /// is dropped.
    pub fn join(self: &Arc<Self>, addr: SocketAddr, path: String) -> ClientGuard {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let client = Arc::new(ClientStats {
            id,
            addr,
            path,
            joined: Instant::now(),
            frames_sent: AtomicU64::new(0),
            frames_skipped: AtomicU64::new(0),
            frames_skipped_slow_link: AtomicU64::new(0),
            queued_bytes: AtomicU64::new(0),
            queue_delay_us: AtomicU64::new(0),
            bytes_sent: AtomicU64::new(0),
            meter: Mutex::new(RateMeter::new(Duration::from_secs(1))),
            reason: Mutex::new(None),
        });
        let count = {
            let mut clients = lock(&self.clients);
            clients.insert(id, client.clone());
            clients.len()
        };
        tracing::info!(client = id, %addr, path = %client.path, clients = count, "client joined");
        ClientGuard {
            stats: self.clone(),
            client,
        }
    }

    /// Counts an open connection until the returned guard drops.
    pub fn connection_opened(&self) -> ConnectionGuard {
        self.connections.fetch_add(1, Ordering::Relaxed);
        ConnectionGuard(self.connections.clone())
    }

    /// Counts a connection refused for `--max-connections`.
    pub fn on_refused(&self) {
        self.refused.fetch_add(1, Ordering::Relaxed);
    }

    /// Stream clients connected now.
    pub fn client_count(&self) -> usize {
        lock(&self.clients).len()
    }

    /// Time since the server started.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// The `/stats` document.
    pub fn report(&self, publisher: &Publisher, source: &str) -> StatsReport {
        let now = Instant::now();
        let clients: Vec<ClientReport> = lock(&self.clients)
            .values()
            .map(|c| c.report(now))
            .collect();
        let figures = publisher.figures();
        let latest = publisher.broadcast().latest();
        StatsReport {
            source: source.to_string(),
            source_state: publisher.state().to_string(),
            rate_control: publisher.gate().report().map(|r| RateControlReport {
                target_kbps: round(r.target_kbps),
                quality: r.settings.quality,
                fps: round(r.fps),
                predicted_kbps: round(r.predicted_kbps),
                in_band: crate::publish::rate::in_band(figures.kbps, r.target_kbps),
            }),
            width: latest.as_ref().map(|f| f.width),
            height: latest.as_ref().map(|f| f.height),
            fps_configured: publisher.gate().fps(),
            fps_source: round(figures.fps),
            kbps_source: round(figures.kbps),
            frames_source: figures.frames,
            newest_frame: latest.as_ref().map(|f| f.seq),
            frames_invalid: figures.invalid,
            kbps_sent: round(clients.iter().fold(0.0, |sum, c| sum + c.kbps)),
            client_count: clients.len(),
            connections: self.connections.load(Ordering::Relaxed),
            connections_refused: self.refused.load(Ordering::Relaxed),
            clients,
            uptime_s: round(now.saturating_duration_since(self.started).as_secs_f64()),
        }
    }
}

/// The rate controller in `/stats`.
#[derive(Debug, Clone, Serialize)]
pub struct RateControlReport {
    /// The target, kbit/s.
    pub target_kbps: f64,
    /// JPEG quality it set (for sources pi-server encodes).
    pub quality: u8,
    /// Frames per second it keeps.
    pub fps: f64,
    /// The rate its model predicts for these settings, kbit/s.
    pub predicted_kbps: f64,
    /// Whether the source's measured rate over the last second (`kbps_source`) is within
    /// ±10 % of the target.
    pub in_band: bool,
}

fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Keeps a connection counted in `/stats` while it is open.
#[derive(Debug)]
pub struct ConnectionGuard(Arc<AtomicU64>);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Keeps a client registered; on drop removes it and logs one line about its visit.
#[derive(Debug)]
pub struct ClientGuard {
    stats: Arc<Stats>,
    client: Arc<ClientStats>,
}

impl ClientGuard {
    /// The client's counters.
    pub fn client(&self) -> &ClientStats {
        &self.client
    }
}

impl Drop for ClientGuard {
    fn drop(&mut self) {
        let c = &self.client;
        let remaining = {
            let mut clients = lock(&self.stats.clients);
            clients.remove(&c.id);
            clients.len()
        };
        let reason = lock(&c.reason).unwrap_or(LeaveReason::Disconnected);
        tracing::info!(
            client = c.id,
            addr = %c.addr,
            duration_s = round(c.joined.elapsed().as_secs_f64()),
            frames_sent = c.frames_sent.load(Ordering::Relaxed),
            frames_skipped = c.frames_skipped.load(Ordering::Relaxed),
            frames_skipped_slow_link = c.frames_skipped_slow_link.load(Ordering::Relaxed),
            clients = remaining,
            "client left: {reason}"
        );
    }
}

/// `/stats` as JSON.
#[derive(Debug, Clone, Serialize)]
pub struct StatsReport {
    /// What the frames come from.
    pub source: String,
    /// The source's state: `live`, `live: YUYV 640x480 at 25 fps`, `no signal: REASON`.
    pub source_state: String,
    /// `--target-kbps`: what the rate controller aims at and does, if it is on.
    pub rate_control: Option<RateControlReport>,
    /// Width of the newest frame.
    pub width: Option<u16>,
    /// Height of the newest frame.
    pub height: Option<u16>,
    /// `--fps`.
    pub fps_configured: u32,
    /// Frames per second the source published over the last second.
    pub fps_source: f64,
    /// kbit/s the source published over the last second.
    pub kbps_source: f64,
    /// Frames the source published since start.
    pub frames_source: u64,
    /// Sequence number of the newest frame (the test pattern draws it in its strip).
    pub newest_frame: Option<u64>,
    /// Frames dropped because they were not valid JPEG.
    pub frames_invalid: u64,
    /// kbit/s sent to all clients together over the last second.
    pub kbps_sent: f64,
    /// Stream clients connected now.
    pub client_count: usize,
    /// Connections open now, of any kind (streams, idle, half-sent requests).
    pub connections: u64,
    /// Connections answered 503 because `--max-connections` were open.
    pub connections_refused: u64,
    /// Each stream client.
    pub clients: Vec<ClientReport>,
    /// Seconds since start.
    pub uptime_s: f64,
}

/// One stream client in `/stats`.
#[derive(Debug, Clone, Serialize)]
pub struct ClientReport {
    /// Server-assigned id, as in the log.
    pub id: u64,
    /// Peer address.
    pub address: String,
    /// Path and query requested.
    pub path: String,
    /// Seconds connected.
    pub connected_s: f64,
    /// Frames per second sent over the last second.
    pub fps: f64,
    /// kbit/s sent over the last second.
    pub kbps: f64,
    /// Frames sent.
    pub frames_sent: u64,
    /// Frames skipped because the client was not ready (or asked for fewer with `?fps=`).
    pub frames_skipped: u64,
    /// Of those, frames skipped because its link had not delivered the previous ones yet.
    pub frames_skipped_slow_link: u64,
    /// Bytes still on their way to the client when its last frame went out (in the
    /// server's buffer and the kernel's queue, unacknowledged).
    pub queued_bytes: u64,
    /// How long those bytes take to arrive at the rate the link has shown: the delay a
    /// frame sent then had on top of its own transfer time.
    pub queue_delay_ms: f64,
    /// Bytes sent, multipart framing included.
    pub bytes_sent: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broadcast::Broadcast;

    #[test]
    fn clients_are_listed_until_their_guard_drops() {
        let stats = Arc::new(Stats::default());
        let publisher = Publisher::new(
            Broadcast::new(mjpeg_wire::multipart::Writer::default()),
            &Default::default(),
            24,
        );
        let addr: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let a = stats.join(addr, "/stream.mjpg".into());
        let b = stats.join(addr, "/stream?fps=2".into());
        a.client().on_frame(1000, 0);
        a.client().on_frame(1000, 3);
        let report = stats.report(&publisher, "test pattern");
        assert_eq!(report.client_count, 2);
        let first = &report.clients[0];
        assert_eq!((first.frames_sent, first.frames_skipped), (2, 3));
        assert_eq!(first.bytes_sent, 2000);
        drop(a);
        let report = stats.report(&publisher, "test pattern");
        assert_eq!(report.client_count, 1);
        assert_eq!(report.clients[0].path, "/stream?fps=2");
        drop(b);
        assert_eq!(stats.client_count(), 0);
    }

    #[test]
    fn the_first_leave_reason_wins() {
        let stats = Arc::new(Stats::default());
        let guard = stats.join("127.0.0.1:1".parse().unwrap(), "/".into());
        guard.client().set_reason(LeaveReason::Stalled);
        guard.client().set_reason(LeaveReason::Shutdown);
        assert_eq!(*lock(&guard.client().reason), Some(LeaveReason::Stalled));
    }
}
