//! A client that stops reading must not slow the source or other clients, and is dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use pi_server::{Config, SourceSpec};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpSocket;

use crate::support::{Server, eventually, open_stream};

/// A structurally valid JPEG of about `size` bytes, cheap to make: a frame header and
/// comment segments as filler (the server only reads the header, the client only counts).
fn big_jpeg(size: usize) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8];
    v.extend_from_slice(&[
        0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01, 0xE0, 0x02, 0x80, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11,
        0x01, 0x03, 0x11, 0x01,
    ]);
    while v.len() < size {
        v.extend_from_slice(&[0xFF, 0xFE, 0xFF, 0xFF]);
        v.extend(std::iter::repeat_n(b'x', 0xFFFF - 2));
    }
    v.extend_from_slice(&[0xFF, 0xD9]);
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_slows_nobody_and_is_dropped() {
    // Big frames fill the stalled client's socket buffers in a moment.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.mjpeg");
    std::fs::write(&path, [big_jpeg(256 * 1024), big_jpeg(300 * 1024)].concat()).unwrap();
    let config = Config {
        source: SourceSpec::File(path),
        fps: 20,
        client_timeout: Duration::from_secs(1),
        ..Config::default()
    };
    let server = Server::start(config).await;

    // The reading client counts every part it gets.
    let received = Arc::new(AtomicU64::new(0));
    let (_, mut parts) = open_stream(&server.url("/stream.mjpg")).await;
    let reader = {
        let received = received.clone();
        tokio::spawn(async move {
            while let Some(part) = parts.next().await {
                part.unwrap();
                received.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    eventually("the reader's first frame", || async {
        received.load(Ordering::Relaxed) > 0
    })
    .await;
    let source_start = server.source_frames().await;
    let received_start = received.load(Ordering::Relaxed);

    // The stalled client: a small receive buffer, a request, and never a read.
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stalled = socket.connect(server.addr).await.unwrap();
    stalled
        .write_all(b"GET /stream.mjpg HTTP/1.1\r\nHost: pi\r\n\r\n")
        .await
        .unwrap();
    eventually("the stalled client to join", || async {
        server.stats().await["client_count"] == 2
    })
    .await;
    eventually("the stalled client to be dropped", || async {
        server.stats().await["client_count"] == 1
    })
    .await;

    let source_frames = server.source_frames().await - source_start;
    let reader_frames = received.load(Ordering::Relaxed) - received_start;
    assert!(source_frames > 0);
    assert!(
        reader_frames as f64 >= 0.9 * source_frames as f64,
        "the reader got {reader_frames} of the source's {source_frames} frames while another client stalled"
    );
    let stats = server.stats().await;
    assert_eq!(stats["clients"][0]["path"], "/stream.mjpg", "{stats}");
    drop(stalled);
    reader.abort();
}
