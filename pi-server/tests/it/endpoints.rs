//! The other endpoints: page, snapshot, stats, health, 404, 405, HEAD, CORS, client limit.

use pi_server::SourceSpec;

use crate::support::{Server, client, decode, eventually, next_part, open_stream, pattern_config};

#[tokio::test]
async fn the_page_shows_the_stream_and_reads_stats_with_no_external_assets() {
    let server = Server::start(pattern_config()).await;
    for path in ["/", "/index.html"] {
        let r = client().get(server.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
        let html = r.text().await.unwrap();
        // The script points the image at the stream and reads /stats, both with the
        // page's token when it has one (Chromium runs it in tests/e2e/players.rs).
        assert!(
            html.contains(r#".src = withToken("stream.mjpg")"#),
            "{path}"
        );
        assert!(html.contains(r#"fetch(withToken("stats")"#), "{path}");
        assert!(!html.contains("http://") && !html.contains("https://"));
    }
}

#[tokio::test]
async fn a_snapshot_is_the_newest_frame_as_a_plain_jpeg() {
    let server = Server::start(pattern_config()).await;
    for path in ["/snapshot.jpg", "/snapshot", "/?action=snapshot"] {
        let r = client().get(server.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["content-type"], "image/jpeg");
        assert_eq!(decode(&r.bytes().await.unwrap()), (320, 240));
    }
}

#[tokio::test]
async fn a_snapshot_without_any_frame_is_503_with_a_reason() {
    // A command that runs but never writes a frame.
    let mut config = pattern_config();
    config.source.spec = SourceSpec::Exec("sleep 60".into());
    config.http.snapshot_timeout = std::time::Duration::from_millis(200);
    let server = Server::start(config).await;
    let r = client()
        .get(server.url("/snapshot.jpg"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    let text = r.text().await.unwrap();
    assert!(
        text.contains("no frame") && text.contains("sleep 60"),
        "{text}"
    );
}

#[tokio::test]
async fn stats_list_the_source_and_every_stream_client() {
    let server = Server::start(pattern_config()).await;
    let (_, mut parts) = open_stream(&server.url("/stream.mjpg")).await;
    next_part(&mut parts).await;
    next_part(&mut parts).await;

    let r = client().get(server.url("/stats")).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "application/json");
    let stats: serde_json::Value = r.json_value().await;
    assert_eq!(stats["source"], "test pattern");
    assert_eq!(
        (stats["width"].as_u64(), stats["height"].as_u64()),
        (Some(320), Some(240))
    );
    assert_eq!(stats["fps_configured"], 30);
    assert!(stats["frames_source"].as_u64().unwrap() >= 2);
    assert!(stats["fps_source"].as_f64().unwrap() > 0.0);
    assert!(stats["uptime_s"].as_f64().unwrap() >= 0.0);
    assert_eq!(stats["client_count"], 1);
    let client = &stats["clients"][0];
    assert!(
        client["address"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );
    assert_eq!(client["path"], "/stream.mjpg");
    assert!(client["frames_sent"].as_u64().unwrap() >= 2);
    assert!(client["frames_skipped"].is_u64());
    assert!(client["kbps"].is_f64() && stats["kbps_sent"].is_f64());

    // A client that leaves is no longer listed.
    drop(parts);
    eventually("the client to leave /stats", || async {
        server.stats().await["client_count"] == 0
    })
    .await;
}

#[tokio::test]
async fn health_404_and_405_answer_with_short_text() {
    let server = Server::start(pattern_config()).await;
    let http = client();

    let r = http.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "ok\n");

    let r = http.get(server.url("/camera.cgi")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.text().await.unwrap(), "404 not found\n");

    let r = http.post(server.url("/stream.mjpg")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "GET, HEAD");
    assert!(r.text().await.unwrap().starts_with("405"));
}

#[tokio::test]
async fn head_works_on_every_get_route_without_a_body() {
    let server = Server::start(pattern_config()).await;
    for (path, content_type) in [
        ("/", "text/html; charset=utf-8"),
        ("/index.html", "text/html; charset=utf-8"),
        ("/stream.mjpg", "multipart/x-mixed-replace; boundary=FRAME"),
        ("/stream", "multipart/x-mixed-replace; boundary=FRAME"),
        ("/snapshot.jpg", "image/jpeg"),
        ("/stats", "application/json"),
        ("/healthz", "text/plain; charset=utf-8"),
    ] {
        let r = client().head(server.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["content-type"], content_type, "{path}");
        assert!(r.bytes().await.unwrap().is_empty(), "{path}");
    }
    // A HEAD on the stream is not a client.
    assert_eq!(server.stats().await["client_count"], 0);
}

#[tokio::test]
async fn cross_origin_access_is_off_unless_configured() {
    let server = Server::start(pattern_config()).await;
    let r = client().get(server.url("/stats")).send().await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());

    let mut config = pattern_config();
    config.http.allow_origin = Some("*".into());
    let server = Server::start(config).await;
    for path in ["/stats", "/snapshot.jpg", "/nope"] {
        let r = client().get(server.url(path)).send().await.unwrap();
        assert_eq!(r.headers()["access-control-allow-origin"], "*", "{path}");
    }
}

#[tokio::test]
async fn clients_beyond_the_limit_get_503() {
    let mut config = pattern_config();
    config.http.max_clients = 1;
    let server = Server::start(config).await;
    let (_, mut first) = open_stream(&server.url("/stream.mjpg")).await;
    next_part(&mut first).await;
    let r = client()
        .get(server.url("/stream.mjpg"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.text().await.unwrap().contains("too many clients"));
    // The first client is unaffected.
    next_part(&mut first).await;
}

/// `Response::json` needs reqwest's `json` feature; this is the same with serde_json.
trait JsonValue {
    async fn json_value(self) -> serde_json::Value;
}

impl JsonValue for reqwest::Response {
    async fn json_value(self) -> serde_json::Value {
        serde_json::from_slice(&self.bytes().await.unwrap()).unwrap()
    }
}
