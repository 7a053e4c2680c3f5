//! The reader thread: find the stream behind the typed address, connect, read the body
//! through `mjpeg_wire`'s multipart parser, put each JPEG in the parts slot (and the
//! recording), and on any failure wait and reconnect (to the stream found, unless it has
//! moved).

use std::time::{Instant, SystemTime};

use futures_util::StreamExt as _;
use mjpeg_wire::multipart::Limits;
use tracing::{debug, info, trace, warn};

use super::{PipelineConfig, Received, Shared};
use crate::net::{self, Address, Attempt, Backoff, StreamFailure, Verdict, failure, locate};
use crate::stats::FrameInfo;

/// Connect, stream until it fails, wait, repeat; until stopped.
pub(super) async fn connect_loop(shared: &Shared, config: &PipelineConfig, address: &Address) {
    let url = &address.url;
    let client = match net::build_client(
        config.stall_timeout,
        config.connect_timeout,
        &config.extra_roots,
        config.mdns_names,
    ) {
        Ok(c) => c,
        Err(e) => {
            shared
                .stats()
                .on_failure(failure::no_client(url, &e), Instant::now());
            (shared.wake)();
            return;
        }
    };
    let limits = Limits {
        max_part_size: config.max_frame_size,
        ..Limits::default()
    };
    let mut backoff = Backoff::new(config.backoff_min, config.backoff_max);
    let mut attempt = 0u32;
    let mut is_retry = false;
    let mut seq = 0u64;
    let mut previous: Option<StreamFailure> = None;
    while !shared.stopped() {
        attempt += 1;
        shared.stats().on_connecting(attempt, is_retry);
        (shared.wake)();
        is_retry = true;

        let (frames, failure) = session(shared, &client, config, address, limits, &mut seq).await;
        if frames > 0 {
            backoff.reset();
            attempt = 0;
        }
        let delay = backoff.next_delay();
        // Handle each failure once: a server that stays down is one warning, not one a
        // second; repeats go to debug.
        if previous.as_ref() == Some(&failure) {
            debug!(cause = %failure, retry_in = ?delay, "still failing");
        } else {
            warn!(cause = %failure, retry_in = ?delay, "stream interrupted");
        }
        shared
            .stats()
            .on_failure(failure.clone(), Instant::now() + delay);
        previous = Some(failure);
        (shared.wake)();
        tokio::time::sleep(delay).await;
    }
}

/// One connection, from request to failure. Returns how many frames it delivered and why
/// it ended.
async fn session(
    shared: &Shared,
    client: &reqwest::Client,
    config: &PipelineConfig,
    address: &Address,
    limits: Limits,
    seq: &mut u64,
) -> (u64, StreamFailure) {
    let attempt = Attempt {
        client,
        credentials: config.credentials.as_ref(),
        limits,
        stall_timeout: config.stall_timeout,
    };
    // Straight to the stream found before; the search again if there is none yet, or if
    // what was a stream is now something else (a server replaced by another).
    let known = shared.stream_url();
    let opened = match &known {
        Some(url) => net::open(
            client,
            url,
            attempt.credentials,
            limits,
            config.stall_timeout,
        )
        .await
        .map(|opened| (url.clone(), opened)),
        None => locate(address, attempt).await.map(|f| (f.url, f.opened)),
    };
    let (url, opened) = match opened {
        Ok(found) => found,
        Err(f) => {
            if known.is_some() && has_moved(&f) {
                shared.set_stream_url(None);
            }
            return (0, f);
        }
    };
    if known.as_ref() != Some(&url) {
        if url != address.url {
            info!(stream = %net::redacted(&url), "found the stream");
        }
        shared.set_stream_url(Some(url.clone()));
    }
    let url = &url;
    let content_type = opened.content_type.unwrap_or_else(|| "none".into());
    let mut parts = opened.parts;
    shared.stats().on_connected();
    (shared.wake)();
    debug!(content_type, "connected");

    let mut frames = 0u64;
    while let Some(item) = parts.next().await {
        match item {
            Ok(part) => {
                // The picamera recipe opens with an empty part; it is no frame.
                if part.body().is_empty() {
                    continue;
                }
                let received = Instant::now();
                let captured = part.timestamp();
                let age = captured.and_then(|c| SystemTime::now().duration_since(c).ok());
                let jpeg = part.into_body();
                frames += 1;
                *seq += 1;
                trace!(seq = *seq, bytes = jpeg.len(), "part");
                shared.stats().on_received(FrameInfo {
                    bytes: jpeg.len(),
                    received,
                    captured,
                    age,
                });
                record(shared, &jpeg, captured);
                let stale = shared.parts.put(Received {
                    jpeg,
                    seq: *seq,
                    received,
                    captured,
                });
                if let Some(stale) = stale {
                    trace!(seq = stale.seq, "decoder busy; dropped a stale frame");
                    shared.stats().on_dropped();
                }
                if frames == 1 {
                    // The state became "streaming"; the frame itself wakes the UI when
                    // decoded.
                    (shared.wake)();
                }
            }
            Err(e) => match failure::from_stream_error(e, &content_type, url, config.stall_timeout)
            {
                Verdict::End(failure) => {
                    if has_moved(&failure) {
                        shared.set_stream_url(None);
                    }
                    return (frames, failure);
                }
                Verdict::Skip(damage) => {
                    debug!(cause = %damage, "skipped corrupt data in the stream");
                    shared.stats().on_corrupt();
                    (shared.wake)();
                }
            },
        }
    }
    (frames, StreamFailure::Ended)
}

/// Whether a failure says the stream is no longer at the URL found (so search again),
/// rather than that the server is away.
fn has_moved(failure: &StreamFailure) -> bool {
    matches!(
        failure,
        StreamFailure::WebPage { .. }
            | StreamFailure::SingleImage { .. }
            | StreamFailure::NotAStream { .. }
            | StreamFailure::Http { status: 404, .. }
    )
}

/// Appends the part to the recording, if one is running.
fn record(shared: &Shared, jpeg: &[u8], captured: Option<SystemTime>) {
    if shared
        .recorder
        .write(jpeg, captured.unwrap_or_else(SystemTime::now))
    {
        // The recording ended on an error: let the window say so.
        (shared.wake)();
    }
}
