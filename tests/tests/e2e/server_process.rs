//! pi-server as a process: how it stops and how it fails.

use std::io::Read;
use std::net::TcpListener;
use std::process::Command;

use crate::support::{Server, bin, get};

#[test]
fn sigterm_ends_open_streams_and_exits_zero() {
    let mut server = Server::start(&["--source", "test", "--size", "160x120"]);
    let mut stream = get(server.addr, "/stream.mjpg");
    // Wait until frames flow, so the stream is really open.
    let mut first = [0u8; 1024];
    let n = stream.read(&mut first).expect("read");
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));

    server.terminate();
    // The stream ends by itself (EOF), without the client closing it...
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).expect("stream ends cleanly");
    // ...and the process exits with success.
    let status = server.wait();
    assert_eq!(status.code(), Some(0), "exit status after SIGTERM");
}

#[test]
fn a_port_in_use_names_the_port_and_the_flag_to_change_it() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = Command::new(bin("pi-server"))
        .args(["--listen", &addr, "--source", "test"])
        .output()
        .expect("run pi-server");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains(&addr), "says which address: {stderr}");
    assert!(stderr.contains("--listen"), "says what to change: {stderr}");
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let out = Command::new(bin("pi-server"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--source",
            "file:/nonexistent/recording.mjpg",
        ])
        .output()
        .expect("run pi-server");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("/nonexistent/recording.mjpg"), "{stderr}");
}
