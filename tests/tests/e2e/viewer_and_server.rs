//! The two halves together: what pi-server sends, desktop-viewer receives and decodes.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::support::{Server, summary, viewer, viewer_command};

#[test]
fn the_viewer_decodes_the_test_pattern_pi_server_streams() {
    let server = Server::start(&["--source", "test", "--size", "320x240", "--fps", "15"]);
    let out = viewer(&server.url("/stream.mjpg"), 3.0);
    let s = summary(&out);
    assert!(out.status.success(), "exit status says frames arrived: {s}");
    assert!(s["frames"].as_u64().unwrap() > 0, "{s}");
    assert!(s["decoded"].as_u64().unwrap() > 0, "{s}");
    assert_eq!(s["corrupt"], 0, "{s}");
    assert_eq!(s["errors"], 0, "{s}");
    assert_eq!(s["resolution"], serde_json::json!([320, 240]), "{s}");
}

/// What people type: the host and port, the server's address, its page; the viewer finds
/// the stream (pi-server's page says where it is, in a `<link>`).
#[test]
fn the_viewer_finds_the_stream_behind_an_address_typed_as_people_type_it() {
    let server = Server::start(&["--source", "test", "--size", "320x240", "--fps", "15"]);
    let addr = server.addr;
    for typed in [
        format!("{addr}"),
        format!("http://{addr}/"),
        format!("http://{addr}/index.html"),
    ] {
        let out = viewer(&typed, 2.0);
        let s = summary(&out);
        assert!(out.status.success(), "{typed}: {s}");
        assert_eq!(
            s["resolution"],
            serde_json::json!([320, 240]),
            "{typed}: {s}"
        );
        assert_eq!(s["errors"], 0, "{typed}: {s}");
    }
}

#[test]
fn the_viewer_plays_the_original_recipes_frames_served_from_a_file() {
    let capture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/tests/fixtures/seed-recipe.body"
    );
    let source = format!("file:{capture}");
    let server = Server::start(&["--source", &source, "--fps", "24"]);
    let out = viewer(&server.url("/stream"), 2.0);
    let s = summary(&out);
    assert!(out.status.success(), "{s}");
    assert_eq!(s["resolution"], serde_json::json!([640, 480]), "{s}");
    assert_eq!(s["corrupt"], 0, "{s}");
}

/// Webcam frames without Huffman tables (AVI1, no DHT) leave pi-server with the standard
/// tables in them, and the viewer decodes every one.
#[test]
fn webcam_frames_without_huffman_tables_are_served_whole() {
    let capture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/tests/fixtures/webcam-avi1-no-dht.mjpg"
    );
    let source = format!("file:{capture}");
    let server = Server::start(&["--source", &source, "--fps", "10"]);
    // HTTP/1.0: the server closes the connection after the body.
    let mut snapshot = std::net::TcpStream::connect(server.addr).unwrap();
    std::io::Write::write_all(&mut snapshot, b"GET /snapshot.jpg HTTP/1.0\r\n\r\n").unwrap();
    let mut response = Vec::new();
    std::io::Read::read_to_end(&mut snapshot, &mut response).unwrap();
    let body_at = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head")
        + 4;
    let jpeg = &response[body_at..];
    let dht = jpeg.windows(2).position(|w| w == [0xFF, 0xC4]);
    let sos = jpeg.windows(2).position(|w| w == [0xFF, 0xDA]);
    assert!(
        matches!((dht, sos), (Some(d), Some(s)) if d < s),
        "the served frame has Huffman tables before its scan"
    );
    let out = viewer(&server.url("/stream.mjpg"), 2.0);
    let s = summary(&out);
    assert!(out.status.success(), "{s}");
    assert!(s["decoded"].as_u64().unwrap() > 5, "{s}");
    assert_eq!(s["corrupt"], 0, "{s}");
    assert_eq!(s["resolution"], serde_json::json!([320, 240]), "{s}");
}

#[test]
fn the_viewer_reconnects_when_pi_server_restarts() {
    let server = Server::start(&["--source", "test", "--size", "160x120", "--fps", "10"]);
    let listen = server.addr.to_string();
    let mut viewer = viewer_command(&server.url("/stream.mjpg"), 12.0)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start desktop-viewer");
    let mut lines = BufReader::new(viewer.stdout.take().expect("stdout"))
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(&l).ok());

    // Once frames flow, the server goes away...
    lines
        .by_ref()
        .find(|v| v["frames"].as_u64() > Some(0))
        .expect("frames before the restart");
    drop(server);
    // ...the viewer notices (no frame can arrive from here until the restart)...
    let before = lines
        .by_ref()
        .find(|v| v["errors"].as_u64() > Some(0))
        .expect("the viewer saw the server go")["frames"]
        .as_u64()
        .unwrap();
    // ...and the server comes back on the same address, as after `systemctl restart`.
    let _server = Server::start_on(&listen, &["--source", "test", "--size", "160x120"]);

    let summary = lines
        .find(|v| v["type"] == "summary")
        .expect("summary line");
    assert!(viewer.wait().expect("viewer exit").success());
    assert!(
        summary["reconnects"].as_u64().unwrap() >= 1,
        "the viewer reconnected: {summary}"
    );
    assert!(
        summary["frames"].as_u64().unwrap() > before,
        "frames arrived after the restart ({before} before): {summary}"
    );
}

/// HTTPS end to end: pi-server with `--tls-cert`/`--tls-key` (the test CA's server
/// certificate) and the viewer trusting that CA with `--ca-cert`, and with a password
/// from the URL. Without the CA the viewer says the certificate is not trusted and what
/// to do.
#[test]
fn the_viewer_plays_https_with_a_password_and_names_an_untrusted_certificate() {
    let tls = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../pi-server/tests/fixtures/tls"
    );
    let cert = format!("{tls}/server.pem");
    let key = format!("{tls}/server.key");
    let ca = format!("{tls}/ca.pem");
    let server = Server::start(&[
        "--source",
        "test",
        "--size",
        "320x240",
        "--fps",
        "10",
        "--tls-cert",
        &cert,
        "--tls-key",
        &key,
        "--auth",
        "pi:over tls",
    ]);
    let port = server.addr.port();
    let url = format!("https://pi:over%20tls@localhost:{port}/stream.mjpg");
    let out = viewer_command(&url, 3.0)
        .args(["--ca-cert", &ca])
        .output()
        .expect("run desktop-viewer");
    let s = summary(&out);
    assert!(s["frames"].as_u64().unwrap() >= 10, "{s}");
    assert_eq!(s["corrupt"], 0, "{s}");

    let out = viewer(&url, 1.5);
    let s = summary(&out);
    assert_eq!(s["frames"], 0, "{s}");
    let error = s["last_error"].as_str().unwrap_or_default();
    assert!(
        error.contains("cannot trust the certificate") && error.contains("--ca-cert"),
        "{error}"
    );
}
