//! `/stream.mjpg`: headers, whole parts that decode, aliases, `?fps=`, idling with no viewer.

use futures_util::StreamExt as _;
use std::time::{Duration, SystemTime};

use crate::support::{Server, client, decode, next_part, open_stream, pattern_config};

#[tokio::test]
async fn the_stream_has_the_recipes_headers_and_every_part_is_a_whole_jpeg() {
    let before = SystemTime::now() - Duration::from_secs(1);
    let server = Server::start(pattern_config()).await;
    let (headers, mut parts) = open_stream(&server.url("/stream.mjpg")).await;

    assert_eq!(
        headers["content-type"],
        "multipart/x-mixed-replace; boundary=FRAME"
    );
    assert_eq!(headers["age"], "0");
    assert_eq!(headers["cache-control"], "no-cache, private");
    assert_eq!(headers["pragma"], "no-cache");

    let mut last_time = before;
    for _ in 0..5 {
        let part = next_part(&mut parts).await;
        assert_eq!(part.content_type(), Some("image/jpeg"));
        assert_eq!(part.content_length(), Some(part.body().len() as u64));
        // X-Timestamp is the capture time: after the server started, never going back.
        let captured = part.timestamp().expect("an X-Timestamp on every part");
        assert!(captured >= last_time, "capture times go forward");
        last_time = captured;
        assert_eq!(decode(part.body()), (320, 240), "the configured size");
    }
}

#[tokio::test]
async fn the_pattern_is_drawn_at_any_configured_size() {
    let mut config = pattern_config();
    config.source.size = "176x144".parse().unwrap();
    let server = Server::start(config).await;
    let (_, mut parts) = open_stream(&server.url("/stream.mjpg")).await;
    let a = next_part(&mut parts).await;
    let b = next_part(&mut parts).await;
    assert_eq!(decode(a.body()), (176, 144));
    assert_ne!(a.body(), b.body(), "the pattern moves and counts frames");
}

#[tokio::test]
async fn the_ustreamer_and_mjpg_streamer_urls_serve_the_same_stream() {
    let server = Server::start(pattern_config()).await;
    for path in ["/stream", "/?action=stream"] {
        let (headers, mut parts) = open_stream(&server.url(path)).await;
        assert_eq!(
            headers["content-type"], "multipart/x-mixed-replace; boundary=FRAME",
            "{path}"
        );
        assert_eq!(decode(next_part(&mut parts).await.body()), (320, 240));
    }
}

#[tokio::test]
async fn fps_in_the_query_thins_the_stream_and_counts_the_skipped_frames() {
    let server = Server::start(pattern_config()).await;
    let (_, mut parts) = open_stream(&server.url("/stream.mjpg?fps=5")).await;
    next_part(&mut parts).await;
    let source_before = server.source_frames().await;
    let received = 6;
    for _ in 0..received {
        next_part(&mut parts).await;
    }
    let source_frames = server.source_frames().await - source_before;
    // 5 of the source's 30 frames per second: far fewer than half get through.
    assert!(
        received * 2 < source_frames,
        "{received} frames received while the source made {source_frames}"
    );
    let stats = server.stats().await;
    let me = &stats["clients"][0];
    assert_eq!(me["path"], "/stream.mjpg?fps=5");
    assert!(me["frames_skipped"].as_u64().unwrap() > 0, "{stats}");
}

#[tokio::test]
async fn a_bad_fps_is_a_client_error() {
    let server = Server::start(pattern_config()).await;
    for query in ["fps=0", "fps=fast", "fps=-2"] {
        let r = client()
            .get(server.url(&format!("/stream.mjpg?{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{query}");
        assert!(r.text().await.unwrap().contains("fps"));
    }
}

#[tokio::test]
async fn the_pattern_encodes_nothing_while_nobody_watches() {
    let server = Server::start(pattern_config()).await;
    // With no viewer the source stops after a short linger; /stats is not a viewer.
    let mut previous = server.source_frames().await;
    let mut idle = false;
    for _ in 0..120 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = server.source_frames().await;
        if now == previous {
            idle = true;
            break;
        }
        previous = now;
    }
    assert!(idle, "the source stops making frames while nobody watches");
    let idle_at = server.source_frames().await;
    // A viewer wakes it: new frames, drawn now, not the stale one from before.
    let (_, mut parts) = open_stream(&server.url("/stream.mjpg")).await;
    next_part(&mut parts).await;
    next_part(&mut parts).await;
    assert!(server.source_frames().await > idle_at);
}

/// A plain socket reader with no HTTP library, as on an embedded board or in a small
/// script: an HTTP/1.1 request gets the multipart body raw (no chunk framing), the first
/// bytes after the head are the first boundary, and each part is a whole JPEG.
#[tokio::test]
async fn the_stream_body_is_not_chunked_for_a_raw_socket_reader() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = Server::start(pattern_config()).await;
    let mut socket = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    socket
        .write_all(b"GET /stream.mjpg HTTP/1.1\r\nHost: camera\r\n\r\n")
        .await
        .unwrap();
    let mut received = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    // Enough for the head and two 320x240 frames.
    while received.len() < 40_000 {
        let n = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut buf))
            .await
            .expect("the stream keeps coming")
            .unwrap();
        assert!(n > 0, "the server closed the stream");
        received.extend_from_slice(&buf[..n]);
    }
    let head_end = received
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head")
        + 4;
    let head = String::from_utf8_lossy(&received[..head_end]).to_lowercase();
    assert!(head.starts_with("http/1.0 200"), "{head}");
    assert!(!head.contains("transfer-encoding"), "{head}");
    let body = &received[head_end..];
    assert!(body.starts_with(b"--FRAME\r\n"), "{:?}", &body[..20]);
    // The first part, read by hand: headers, a blank line, Content-Length bytes of JPEG.
    let part_head_end = body.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let part_head = String::from_utf8_lossy(&body[..part_head_end]).to_lowercase();
    let length: usize = part_head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .expect("a Content-Length on the part")
        .trim()
        .parse()
        .unwrap();
    let jpeg = &body[part_head_end..part_head_end + length];
    assert_eq!(decode(&bytes::Bytes::copy_from_slice(jpeg)), (320, 240));
    assert!(body[part_head_end + length..].starts_with(b"\r\n--FRAME\r\n"));
}

/// A browser showing the stream as an image gets each part's header block right after
/// the previous JPEG (so Chromium shows every frame on arrival, not one late); everyone
/// else, and a browser that asks with `?advance_headers=0`, gets parts with a length and
/// a capture time.
#[tokio::test]
async fn a_browsers_image_request_gets_the_next_header_block_ahead() {
    let server = Server::start(pattern_config()).await;
    let open = |path: &'static str| {
        let url = server.url(path);
        async move {
            let response = client()
                .get(url)
                .header("sec-fetch-dest", "image")
                .send()
                .await
                .unwrap();
            let content_type = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_string();
            mjpeg_wire::multipart::PartStream::new(response.bytes_stream(), Some(&content_type))
        }
    };
    let mut parts = Box::pin(open("/stream.mjpg").await);
    for _ in 0..3 {
        let part = parts.next().await.unwrap().unwrap();
        assert_eq!(part.content_type(), Some("image/jpeg"));
        assert_eq!(part.content_length(), None);
        assert_eq!(part.timestamp(), None);
        assert_eq!(decode(part.body()), (320, 240));
    }
    let mut parts = Box::pin(open("/stream.mjpg?advance_headers=0").await);
    let part = parts.next().await.unwrap().unwrap();
    assert_eq!(part.content_length(), Some(part.body().len() as u64));
    assert!(part.timestamp().is_some());
    // A player sends no Sec-Fetch-Dest: ordinary parts (as the first test in this file).
    let (_, mut parts) = open_stream(&server.url("/stream.mjpg")).await;
    assert!(next_part(&mut parts).await.content_length().is_some());
}
