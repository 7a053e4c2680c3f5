//! What the viewer tells a user whose URL is wrong.

use std::net::TcpListener;

use crate::support::{Need, PATIENCE, needs, summary, viewer};

#[test]
fn nothing_listening_is_reported_and_the_exit_status_says_no_frame_came() {
    // A port that was free a moment ago: connections are refused.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = viewer(&format!("http://127.0.0.1:{port}/stream.mjpg"), 1.5);
    let s = summary(&out);
    assert!(!out.status.success());
    assert_eq!(s["frames"], 0);
    let error = s["last_error"].as_str().unwrap_or_default().to_lowercase();
    assert!(error.contains("refused"), "{s}");
}

/// A page with no stream behind it (here: a directory listing) gets a message naming every
/// path tried, so that a typo is easy to see.
#[test]
fn an_address_with_no_stream_names_what_was_tried() {
    let Some([python]) = needs([Need::Program("python3", "python3")]) else {
        return;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut web = std::process::Command::new(python)
        .args([
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            &port.to_string(),
        ])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + PATIENCE;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "http.server never listened"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = viewer(&format!("127.0.0.1:{port}"), 2.0);
    let _ = web.kill();
    let _ = web.wait();
    let s = summary(&out);
    assert!(!out.status.success());
    let error = s["last_error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with(&format!(
            "no MJPEG stream found at 127.0.0.1:{port}; tried / (a web page)"
        )),
        "{s}"
    );
    assert!(error.contains("/stream.mjpg (HTTP 404"), "{s}");
    assert!(error.contains("/?action=stream"), "{s}");
}
