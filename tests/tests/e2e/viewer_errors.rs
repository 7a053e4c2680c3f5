//! What the viewer tells a user whose URL is wrong.

use std::net::TcpListener;

use crate::support::{Server, summary, viewer};

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

#[test]
fn a_web_page_instead_of_a_stream_gets_a_hint() {
    let server = Server::start(&["--source", "test", "--size", "160x120"]);
    let out = viewer(&server.url("/"), 1.5);
    let s = summary(&out);
    assert!(!out.status.success());
    let error = s["last_error"].as_str().unwrap_or_default();
    assert!(error.contains("web page"), "{s}");
    assert!(error.contains("/stream.mjpg"), "{s}");
}
