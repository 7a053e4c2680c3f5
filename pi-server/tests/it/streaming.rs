//! `/stream.mjpg`: headers, whole parts that decode, aliases, `?fps=`, idling with no viewer.

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
    config.size = "176x144".parse().unwrap();
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
