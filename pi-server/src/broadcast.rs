//! The broadcast: the newest frame, shared by every client; the source never waits for anyone.
//!
//! A `tokio::sync::watch` channel holds one `Arc<Frame>`: sending replaces it, so a client
//! that is busy simply finds a newer frame when it is ready (latest-frame-wins, as ustreamer
//! and mjpg-streamer do) and counts the gap in sequence numbers as skipped frames.
//!
//! The broadcast also knows whether anyone is watching (a stream client or a waiting
//! snapshot holds a receiver), so that sources which cost CPU can idle while nobody does.
//! It knows nothing else: what happens to a frame before it is sent is the
//! [`Publisher`](crate::publish::Publisher)'s business.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use mjpeg_wire::multipart::Writer;
use tokio::sync::{Notify, watch};

use crate::frame::Frame;
use crate::lock::lock;

/// What a client holds to receive frames.
pub type Receiver = watch::Receiver<Option<Arc<Frame>>>;

/// The shared newest-frame slot; cheap to clone.
#[derive(Debug, Clone)]
pub struct Broadcast {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    tx: watch::Sender<Option<Arc<Frame>>>,
    /// The framing every client writes; frames carry it for their part heads.
    writer: Arc<Writer>,
    /// Wakes a source thread idling in [`Broadcast::wait_for_demand`]; the mutex guards
    /// nothing but the wake-up itself.
    demand_lock: Mutex<()>,
    demand: Condvar,
    /// Wakes a source task idling in [`Broadcast::demand`].
    arrived: Notify,
}

impl Broadcast {
    /// An empty broadcast whose clients write `writer`'s framing.
    pub fn new(writer: Writer) -> Self {
        let (tx, _) = watch::channel(None);
        Broadcast {
            inner: Arc::new(Inner {
                tx,
                writer: Arc::new(writer),
                demand_lock: Mutex::new(()),
                demand: Condvar::new(),
                arrived: Notify::new(),
            }),
        }
    }

    /// The framing clients write around each frame.
    pub fn writer(&self) -> &Writer {
        &self.inner.writer
    }

    /// Makes `jpeg` the newest frame for every client.
    pub fn send(&self, jpeg: Bytes, captured: SystemTime, seq: u64, size: (u16, u16)) {
        let frame = Frame::new(jpeg, captured, seq, size, self.inner.writer.clone());
        // send_replace stores the frame even when nobody is subscribed, so that a snapshot
        // or a new client finds it.
        self.inner.tx.send_replace(Some(Arc::new(frame)));
    }

    /// A receiver of new frames. While it exists the source counts as watched.
    pub fn subscribe(&self) -> Receiver {
        let rx = self.inner.tx.subscribe();
        let _guard = lock(&self.inner.demand_lock);
        self.inner.demand.notify_all();
        self.inner.arrived.notify_waiters();
        rx
    }

    /// The newest frame, if any was sent.
    pub fn latest(&self) -> Option<Arc<Frame>> {
        self.inner.tx.borrow().clone()
    }

    /// Whether anybody (a stream client or a waiting snapshot) wants frames now.
    pub fn has_demand(&self) -> bool {
        self.inner.tx.receiver_count() > 0
    }

    /// Blocks a source thread until somebody wants frames or `max` passes; returns whether
    /// there is demand.
    pub fn wait_for_demand(&self, max: Duration) -> bool {
        let guard = lock(&self.inner.demand_lock);
        if self.has_demand() {
            return true;
        }
        // Spurious wake-ups and timeouts both just return the current state.
        let _ = self
            .inner
            .demand
            .wait_timeout(guard, max)
            .unwrap_or_else(PoisonError::into_inner);
        self.has_demand()
    }

    /// Completes once somebody wants frames (at once if somebody does): the async twin of
    /// [`Broadcast::wait_for_demand`], for source tasks.
    pub async fn demand(&self) {
        loop {
            let arrived = self.inner.arrived.notified();
            tokio::pin!(arrived);
            // Registered before the check, so a subscriber between the two is not missed.
            arrived.as_mut().enable();
            if self.has_demand() {
                return;
            }
            arrived.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send(b: &Broadcast, seq: u64) {
        b.send(Bytes::from_static(b"jpeg"), SystemTime::now(), seq, (4, 4));
    }

    #[test]
    fn a_late_subscriber_sees_only_the_newest_frame() {
        let broadcast = Broadcast::new(Writer::default());
        for seq in 1..=3 {
            send(&broadcast, seq);
        }
        let mut rx = broadcast.subscribe();
        assert_eq!(rx.borrow_and_update().as_ref().map(|f| f.seq), Some(3));
        send(&broadcast, 4);
        send(&broadcast, 5);
        assert!(rx.has_changed().unwrap());
        assert_eq!(rx.borrow_and_update().as_ref().map(|f| f.seq), Some(5));
    }

    #[test]
    fn every_client_shares_one_buffer() {
        let broadcast = Broadcast::new(Writer::default());
        let (a, b) = (broadcast.subscribe(), broadcast.subscribe());
        broadcast.send(Bytes::from(vec![7; 1000]), SystemTime::now(), 1, (4, 4));
        let fa = a.borrow().clone().unwrap();
        let fb = b.borrow().clone().unwrap();
        assert!(Arc::ptr_eq(&fa, &fb));
        assert_eq!(fa.jpeg.as_ptr(), fb.jpeg.as_ptr());
    }

    #[test]
    fn the_part_head_is_made_once_and_shared() {
        let broadcast = Broadcast::new(Writer::default());
        send(&broadcast, 1);
        let frame = broadcast.latest().unwrap();
        let (a, b) = (frame.part_head(), frame.part_head());
        assert_eq!(a, broadcast.writer().part_head(4, frame.captured));
        assert_eq!(a.as_ptr(), b.as_ptr());
    }

    #[test]
    fn demand_follows_receivers() {
        let broadcast = Broadcast::new(Writer::default());
        assert!(!broadcast.has_demand());
        assert!(!broadcast.wait_for_demand(Duration::from_millis(1)));
        let rx = broadcast.subscribe();
        assert!(broadcast.has_demand());
        assert!(broadcast.wait_for_demand(Duration::from_secs(60)));
        drop(rx);
        assert!(!broadcast.has_demand());
    }

    #[tokio::test]
    async fn a_waiting_source_task_wakes_when_a_client_arrives() {
        let broadcast = Broadcast::new(Writer::default());
        let waiter = tokio::spawn({
            let broadcast = broadcast.clone();
            async move { broadcast.demand().await }
        });
        tokio::task::yield_now().await;
        let _rx = broadcast.subscribe();
        tokio::time::timeout(Duration::from_secs(60), waiter)
            .await
            .expect("woken")
            .unwrap();
    }

    #[test]
    fn a_waiting_source_wakes_when_a_client_arrives() {
        let broadcast = Broadcast::new(Writer::default());
        let waiter = {
            let broadcast = broadcast.clone();
            std::thread::spawn(move || broadcast.wait_for_demand(Duration::from_secs(60)))
        };
        // The waiter may not be waiting yet; wait_for_demand checks before it sleeps, so
        // either order ends with `true`.
        let _rx = broadcast.subscribe();
        assert!(waiter.join().unwrap());
    }
}
