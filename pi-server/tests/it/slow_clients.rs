//! A client that stops reading must not slow the source or other clients, and is dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

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
    let mut config = Config::default();
    config.source.spec = SourceSpec::File(path);
    config.source.fps = 20;
    config.http.client_timeout = Duration::from_secs(1);
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

/// A client on a slow link gets fewer frames, never old ones: the server sends the next
/// frame only when the previous one has (nearly) arrived, and skips to the newest.
/// Without that, the kernel's send buffer would hold seconds of frames. The link here is
/// a reader that takes 4 KB every 80 ms (50 kB/s, a tenth of what the source makes) through
/// a small receive buffer, so that what it has not read stays in the server's queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reader_gets_fresh_frames_and_the_skips_are_counted() {
    use mjpeg_wire::multipart::{Parser, boundary_from_content_type};
    use tokio::io::AsyncReadExt;

    let server = Server::start(crate::support::pattern_config()).await;
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut slow = socket.connect(server.addr).await.unwrap();
    slow.write_all(b"GET /stream.mjpg HTTP/1.0\r\n\r\n")
        .await
        .unwrap();

    let started = std::time::Instant::now();
    let mut head = Vec::new();
    let mut parser: Option<Parser> = None;
    let mut ages = Vec::new();
    let mut buf = vec![0u8; 4096];
    while started.elapsed() < Duration::from_secs(6) {
        tokio::time::sleep(Duration::from_millis(80)).await;
        let n = slow.read(&mut buf).await.unwrap();
        assert!(n > 0, "the server closed the stream");
        let parser = match &mut parser {
            Some(p) => {
                p.push(bytes::Bytes::copy_from_slice(&buf[..n]));
                p
            }
            None => {
                head.extend_from_slice(&buf[..n]);
                let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") else {
                    continue;
                };
                let text = String::from_utf8_lossy(&head[..end]).to_string();
                let boundary = text
                    .lines()
                    .find_map(|l| l.strip_prefix("content-type: "))
                    .and_then(boundary_from_content_type);
                let p = parser.insert(Parser::new(boundary.as_deref()));
                p.push(bytes::Bytes::copy_from_slice(&head[end + 4..]));
                p
            }
        };
        while let Some(part) = parser.next_part().unwrap() {
            let captured = part.timestamp().expect("X-Timestamp");
            let age = SystemTime::now()
                .duration_since(captured)
                .unwrap_or_default();
            ages.push((started.elapsed(), age));
        }
    }
    // Past the first second, every frame is young. Without the check a queue of seconds
    // builds up here (the source makes ten times what this reader takes).
    let late: Vec<_> = ages
        .iter()
        .filter(|(at, _)| *at > Duration::from_secs(1))
        .collect();
    assert!(late.len() >= 5, "too few frames: {ages:?}");
    let oldest = late.iter().map(|(_, age)| *age).max().unwrap();
    assert!(
        oldest < Duration::from_millis(1500),
        "a frame {oldest:?} old reached the slow reader: {ages:?}"
    );
    let stats = server.stats().await;
    let me = &stats["clients"][0];
    assert!(
        me["frames_skipped_slow_link"].as_u64().unwrap() > 20,
        "{stats}"
    );
    assert!(me["queue_delay_ms"].as_f64().is_some(), "{stats}");
}
