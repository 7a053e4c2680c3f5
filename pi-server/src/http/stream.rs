//! The MJPEG body: an endless `multipart/x-mixed-replace` stream of the newest frames.
//!
//! Per frame it yields three chunks, all from the `mjpeg-wire` writer: the part head, the
//! shared JPEG `Bytes` itself (never copied per client) and the part end, which carries the
//! next delimiter so that browsers show the frame at once. The body ends itself on shutdown,
//! because hyper's graceful shutdown alone would wait for it forever.
//!
//! Between frames it waits until what it sent has (nearly) reached the client
//! ([`Link`]), then takes the newest frame: a client behind a slow link gets fewer frames,
//! never older ones, and the frames it misses are counted as skipped for a slow link.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::backlog::{Link, Room};
use super::conn_watch::ConnWatch;
use super::state::Body;
use crate::broadcast::Receiver;
use crate::shutdown::Shutdown;
use crate::stats::{ClientGuard, LeaveReason};
use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame as BodyFrame;
use mjpeg_wire::multipart::Writer;

struct State {
    rx: Receiver,
    shutdown: Shutdown,
    writer: Writer,
    guard: ClientGuard,
    conn: Arc<ConnWatch>,
    /// `?fps=N`: least time between two frames for this client.
    min_interval: Option<Duration>,
    /// `?kbps=N`: this client's byte budget (a slow link), shared capture or not.
    budget: Option<Budget>,
    /// Browser parts: no head per frame, the next header block after each JPEG.
    advance_headers: bool,
    last_sent: Option<Instant>,
    last_seq: Option<u64>,
    /// Chunks of the current part not yet handed over.
    pending: VecDeque<Bytes>,
    /// What was handed over and how much of it has arrived.
    link: Link,
    opened: bool,
}

/// What a client asked of its stream.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// `?fps=N`: least time between two frames.
    pub min_interval: Option<Duration>,
    /// `?kbps=N`: the client's bandwidth budget.
    pub max_kbps: Option<f64>,
    /// Send each part's header block ahead, right after the previous JPEG, so that a
    /// browser shows every frame on arrival ([`Writer::advance_head`]).
    pub advance_headers: bool,
}

/// The stream body for one client. It holds `guard`, so the client is listed in `/stats`
/// exactly as long as the body lives.
pub fn body(
    mut rx: Receiver,
    shutdown: Shutdown,
    writer: Writer,
    guard: ClientGuard,
    conn: Arc<ConnWatch>,
    options: Options,
) -> Body {
    // A fresh frame is sent at once; a stale one (an idle source) is not shown as live.
    let fresh = rx.borrow().as_ref().is_some_and(|f| f.is_fresh());
    if fresh {
        rx.mark_changed();
    }
    let link = Link::new(conn.backlog().clone());
    let state = State {
        rx,
        link,
        shutdown,
        writer,
        guard,
        conn,
        min_interval: options.min_interval,
        budget: options.max_kbps.map(Budget::new),
        advance_headers: options.advance_headers,
        last_sent: None,
        last_seq: None,
        pending: VecDeque::with_capacity(2),
        opened: false,
    };
    let stream = futures_util::stream::unfold(state, |mut st| async move {
        let chunk = next_chunk(&mut st).await?;
        st.link.handed(chunk.len());
        st.conn.busy();
        Some((Ok::<_, Infallible>(BodyFrame::data(chunk)), st))
    });
    BodyExt::boxed_unsync(StreamBody::new(stream))
}

/// The next chunk to send, or `None` to end the body.
async fn next_chunk(st: &mut State) -> Option<Bytes> {
    if let Some(chunk) = st.pending.pop_front() {
        // hyper asked for more: the previous chunk is on its way.
        st.conn.ready();
        return Some(chunk);
    }
    if !st.opened {
        st.conn.ready();
        st.opened = true;
        if st.advance_headers {
            st.pending.push_back(st.writer.advance_head());
        }
        return Some(st.writer.opening());
    }
    // hyper asked for more: the previous part is on its way.
    st.conn.ready();
    if let (Some(interval), Some(last)) = (st.min_interval, st.last_sent) {
        tokio::select! {
            biased;
            _ = st.shutdown.wait() => return end(st, LeaveReason::Shutdown),
            _ = tokio::time::sleep_until((last + interval).into()) => {}
        }
    }
    let mut waited = false;
    let frame = loop {
        tokio::select! {
            biased;
            _ = st.shutdown.wait() => return end(st, LeaveReason::Shutdown),
            changed = st.rx.changed() => {
                if changed.is_err() {
                    return end(st, LeaveReason::SourceEnded);
                }
            }
        }
        // A new frame exists; not before the last one has (nearly) arrived. Looking only
        // now gives hyper the time between frames to write the last one out, so a fast
        // client finds its queue empty and goes on at once.
        match wait_for_room(st).await {
            Ok(w) => waited |= w,
            Err(reason) => return end(st, reason),
        }
        st.conn.ready();
        // The newest, which may be later than the one that woke us.
        if let Some(frame) = st.rx.borrow_and_update().clone() {
            // Over this client's budget: skip to a later frame (counted as skipped).
            if st
                .budget
                .as_mut()
                .is_none_or(|b| b.spend(frame.jpeg.len(), Instant::now()))
            {
                break frame;
            }
        }
    };
    let skipped = st
        .last_seq
        .map_or(0, |last| frame.seq.saturating_sub(last + 1));
    st.last_seq = Some(frame.seq);
    let queued = st.link.last_queued();
    st.guard.client().on_link(
        queued,
        st.link.delay(queued),
        if waited { skipped } else { 0 },
    );
    st.last_sent = Some(Instant::now());
    // Cloning Bytes increments a reference count; the JPEG itself is shared.
    let (head, tail) = if st.advance_headers {
        (None, st.writer.part_end_advancing())
    } else {
        (Some(frame.part_head()), st.writer.part_end())
    };
    st.guard.client().on_frame(
        head.as_ref().map_or(0, Bytes::len) + frame.jpeg.len() + tail.len(),
        skipped,
    );
    st.pending.push_back(tail);
    match head {
        Some(head) => {
            st.pending.push_front(frame.jpeg.clone());
            Some(head)
        }
        None => Some(frame.jpeg.clone()),
    }
}

/// Waits until the client's link has room for another frame. Returns whether it had to
/// wait (so frames published meanwhile were skipped for the link), or why the body ends.
async fn wait_for_room(st: &mut State) -> Result<bool, LeaveReason> {
    let mut waited = false;
    loop {
        match st.link.check(Instant::now()) {
            Room::Ready => return Ok(waited),
            Room::Behind {
                retry_in,
                progressed,
                ..
            } => {
                waited = true;
                // The watchdog drops a client whose link delivers nothing for the client
                // timeout; one that is merely slow keeps restarting the clock.
                if progressed {
                    st.conn.progress();
                } else {
                    st.conn.busy();
                }
                tokio::select! {
                    biased;
                    _ = st.shutdown.wait() => return Err(LeaveReason::Shutdown),
                    _ = tokio::time::sleep(retry_in) => {}
                }
            }
        }
    }
}

/// A client's share of bandwidth (`?kbps=N`): bytes accrue at the rate and a frame goes out
/// when there are enough for it, so the frames kept are spread evenly and the client's
/// rate stays at or under N whatever the source sends.
#[derive(Debug)]
struct Budget {
    bytes_per_s: f64,
    tokens: f64,
    last: Option<Instant>,
}

impl Budget {
    /// Most saved up: a quarter second, so a pause never turns into a burst over the rate.
    const SAVE: f64 = 0.25;

    fn new(kbps: f64) -> Self {
        Budget {
            bytes_per_s: kbps * 1000.0 / 8.0,
            tokens: 0.0,
            last: None,
        }
    }

    /// Whether a frame of `bytes` fits now; if so, it is paid for.
    fn spend(&mut self, bytes: usize, now: Instant) -> bool {
        let bytes = bytes as f64;
        let cap = (self.bytes_per_s * Self::SAVE).max(bytes);
        self.tokens = match self.last {
            // The first frame goes out at once.
            None => bytes,
            Some(t) => {
                (self.tokens + self.bytes_per_s * now.duration_since(t).as_secs_f64()).min(cap)
            }
        };
        self.last = Some(now);
        // Half a byte of slack for rounding in the accrual.
        if self.tokens + 0.5 >= bytes {
            self.tokens -= bytes;
            true
        } else {
            false
        }
    }
}

fn end(st: &State, reason: LeaveReason) -> Option<Bytes> {
    st.guard.client().set_reason(reason);
    None
}

impl Drop for State {
    fn drop(&mut self) {
        if self.conn.is_stalled() {
            self.guard.client().set_reason(LeaveReason::Stalled);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_keeps_an_even_share_under_the_rate() {
        // 10 KB frames at 24 fps (1920 kbit/s) through a 960 kbit/s budget: every other one.
        let mut b = Budget::new(960.0);
        let start = Instant::now();
        let sent: Vec<bool> = (0..48)
            .map(|i| b.spend(10_000, start + Duration::from_secs_f64(f64::from(i) / 24.0)))
            .collect();
        let count = sent.iter().filter(|s| **s).count();
        assert!((23..=25).contains(&count), "{count} of 48 sent");
        // Spread out: never two in a row after the first.
        assert!(sent[1..].windows(2).all(|w| !(w[0] && w[1])), "{sent:?}");
        // A frame larger than a quarter second's budget still goes out now and then.
        let mut b = Budget::new(100.0);
        let sent = (0..48)
            .filter(|i| {
                b.spend(
                    20_000,
                    start + Duration::from_secs_f64(f64::from(*i) / 24.0),
                )
            })
            .count();
        assert!((1..=2).contains(&sent), "{sent}");
    }
}
