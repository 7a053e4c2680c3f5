//! Encoder threads for raw camera frames: as many as there are cores (up to four), so that
//! a Pi 4 encodes 720p YUYV at full rate and a slow core never holds the capture back.
//!
//! The capture thread offers each frame; if a worker is idle the frame is copied into a
//! recycled buffer and handed over, otherwise it is dropped at once (latest-frame-wins, as
//! everywhere in the server: a frame waiting in a queue would only add latency). Workers
//! finish out of order, so a frame is published only if it is newer than the last one
//! published.

use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::SystemTime;

use super::device::Granted;
use super::encode;
use crate::fanout::Fanout;
use crate::source::JpegEncoder;
use crate::source::raw::RawFormat;

/// Most encoder threads: beyond four, a Pi has no more cores to give.
const MAX_WORKERS: usize = 4;

/// One frame to encode.
#[derive(Debug)]
struct Job {
    data: Vec<u8>,
    format: RawFormat,
    granted: Granted,
    captured: SystemTime,
    /// Capture order, to publish newest only.
    index: u64,
}

/// The encoder threads of one capture session.
#[derive(Debug)]
pub struct EncodePool {
    /// Capacity 0: a send succeeds only into the hands of a worker waiting for work.
    jobs: Option<SyncSender<Job>>,
    spare_rx: Receiver<Vec<u8>>,
    spare: Vec<Vec<u8>>,
    workers: Vec<JoinHandle<()>>,
    next_index: u64,
}

impl EncodePool {
    /// Starts one encoder per core (at most four) publishing into `fanout`.
    pub fn new(fanout: &Fanout) -> std::io::Result<Self> {
        let count = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(MAX_WORKERS);
        let (jobs, job_rx) = mpsc::sync_channel::<Job>(0);
        let job_rx = Arc::new(Mutex::new(job_rx));
        let (spare_tx, spare_rx) = mpsc::channel();
        let published = Arc::new(Mutex::new(0u64));
        let mut workers = Vec::with_capacity(count);
        for i in 0..count {
            let (job_rx, spare_tx, published, fanout) = (
                job_rx.clone(),
                spare_tx.clone(),
                published.clone(),
                fanout.clone(),
            );
            workers.push(
                std::thread::Builder::new()
                    .name(format!("encode-{i}"))
                    .spawn(move || work(&job_rx, &spare_tx, &published, &fanout))?,
            );
        }
        tracing::debug!(workers = count, "encoder threads started");
        Ok(EncodePool {
            jobs: Some(jobs),
            spare_rx,
            spare: Vec::new(),
            workers,
            next_index: 0,
        })
    }

    /// Hands `data` to an idle encoder; `false` (frame dropped) when all are busy.
    pub fn offer(
        &mut self,
        data: &[u8],
        format: RawFormat,
        granted: Granted,
        captured: SystemTime,
    ) -> bool {
        let Some(jobs) = &self.jobs else { return false };
        self.spare.extend(self.spare_rx.try_iter());
        let mut buffer = self.spare.pop().unwrap_or_default();
        buffer.clear();
        buffer.extend_from_slice(data);
        self.next_index += 1;
        let job = Job {
            data: buffer,
            format,
            granted,
            captured,
            index: self.next_index,
        };
        match jobs.try_send(job) {
            Ok(()) => true,
            Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => {
                self.spare.push(job.data);
                false
            }
        }
    }
}

impl Drop for EncodePool {
    fn drop(&mut self) {
        // Closing the channel ends every worker after its current frame.
        self.jobs = None;
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

fn work(
    jobs: &Mutex<Receiver<Job>>,
    spare: &mpsc::Sender<Vec<u8>>,
    published: &Mutex<u64>,
    fanout: &Fanout,
) {
    let mut encoder = JpegEncoder::new();
    loop {
        // One idle worker waits in recv() holding the lock; the others wait for the lock.
        let job = {
            let rx = jobs.lock().unwrap_or_else(PoisonError::into_inner);
            rx.recv()
        };
        let Ok(job) = job else { return };
        let g = job.granted;
        if let Some(jpeg) = encode(&mut encoder, job.format, &job.data, &g, fanout) {
            let mut last = published.lock().unwrap_or_else(PoisonError::into_inner);
            // A newer frame finished first: this one is stale.
            if job.index > *last {
                *last = job.index;
                fanout.publish(jpeg, job.captured, g.width as u16, g.height as u16);
            }
        }
        let _ = spare.send(job.data);
    }
}
