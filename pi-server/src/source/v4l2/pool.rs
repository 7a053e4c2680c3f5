//! The hand-off to encoding: encoder threads for raw camera frames: as many as there are cores (up to four), so that
//! a Pi 4 encodes 720p YUYV at full rate and a slow core never holds the capture back.
//!
//! The capture thread offers each frame; if a worker is idle the frame is copied into a
//! recycled buffer and handed over, otherwise it is dropped at once (latest-frame-wins, as
//! everywhere in the server: a frame waiting in a queue would only add latency). Workers
//! finish out of order, so a frame is published only if it is newer than the last one
//! published.

use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::SystemTime;

use bytes::Bytes;

use super::device::Granted;
use crate::lock::lock;
use crate::publish::Publisher;
use crate::source::encode::JpegEncoder;
use crate::source::raw::{RawFormat, RawFrame};

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
    /// Frames dropped because every encoder was busy.
    busy_drops: u64,
}

impl EncodePool {
    /// Starts one encoder per core (at most four) publishing through `publisher`.
    pub fn new(publisher: &Publisher) -> std::io::Result<Self> {
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
            let (job_rx, spare_tx, published, publisher) = (
                job_rx.clone(),
                spare_tx.clone(),
                published.clone(),
                publisher.clone(),
            );
            workers.push(
                std::thread::Builder::new()
                    .name(format!("encode-{i}"))
                    .spawn(move || work(&job_rx, &spare_tx, &published, &publisher))?,
            );
        }
        tracing::debug!(workers = count, "encoder threads started");
        Ok(EncodePool {
            jobs: Some(jobs),
            spare_rx,
            spare: Vec::new(),
            workers,
            next_index: 0,
            busy_drops: 0,
        })
    }

    /// Hands `data` to an idle encoder; drops it when all are busy.
    pub fn offer(
        &mut self,
        data: &[u8],
        format: RawFormat,
        granted: Granted,
        captured: SystemTime,
    ) {
        let Some(jobs) = &self.jobs else { return };
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
        if let Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) = jobs.try_send(job) {
            self.spare.push(job.data);
            self.busy_drops += 1;
            tracing::trace!(
                busy_drops = self.busy_drops,
                "every encoder busy; frame dropped"
            );
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
    publisher: &Publisher,
) {
    let mut encoder = JpegEncoder::new();
    loop {
        // One idle worker waits in recv() holding the lock; the others wait for the lock.
        let job = {
            let rx = lock(jobs);
            rx.recv()
        };
        let Ok(job) = job else { return };
        let g = job.granted;
        if let Some(jpeg) = encode(&mut encoder, &job, publisher.quality()) {
            let mut last = lock(published);
            // A newer frame finished first: this one is stale.
            if job.index > *last {
                *last = job.index;
                // encode() checked that both sides fit in u16.
                publisher.publish_valid(jpeg, job.captured, (g.width as u16, g.height as u16));
            }
        }
        let _ = spare.send(job.data);
    }
}

/// Encodes one raw frame at `quality`; `None` (logged) when it cannot be.
fn encode(encoder: &mut JpegEncoder, job: &Job, quality: u8) -> Option<Bytes> {
    let granted = &job.granted;
    let (Ok(w), Ok(h)) = (u16::try_from(granted.width), u16::try_from(granted.height)) else {
        tracing::warn!(%granted, "frame too large to encode");
        return None;
    };
    let frame = RawFrame::new(
        job.format,
        &job.data,
        w,
        h,
        granted.stride as usize,
        granted.limited_range,
    );
    let frame = match frame {
        Ok(f) => f,
        Err(e) => {
            tracing::debug!(cause = %e, "short frame from the camera; skipped");
            return None;
        }
    };
    match encoder.encode_raw(frame, quality) {
        Ok(jpeg) => Some(jpeg),
        Err(e) => {
            tracing::warn!(cause = %e, "camera frame not encoded");
            None
        }
    }
}
