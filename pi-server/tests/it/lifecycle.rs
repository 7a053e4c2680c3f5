//! Start and stop: shutdown ends streams; the binary's exit statuses and error lines.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use futures_util::StreamExt;

use crate::support::{Server, next_part, open_stream, pattern_config};

#[tokio::test]
async fn shutdown_ends_every_stream_cleanly_and_run_returns() {
    let server = Server::start(pattern_config()).await;
    let (_, mut a) = open_stream(&server.url("/stream.mjpg")).await;
    let (_, mut b) = open_stream(&server.url("/stream")).await;
    next_part(&mut a).await;
    next_part(&mut b).await;

    server.stop().await.unwrap();

    // Each stream ends after a whole part: no error, just the end.
    for parts in [&mut a, &mut b] {
        while let Some(part) = parts.next().await {
            part.expect("only whole parts before the end");
        }
    }
}

fn pi_server() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pi-server"));
    cmd.env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// Runs the binary to its end; returns its exit code and stderr.
fn run_binary(args: &[&str]) -> (Option<i32>, String) {
    let out = pi_server().args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn user_errors_exit_2_with_one_clear_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, stderr) = run_binary(&["--listen", &addr, "--source", "test"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("already in use") && stderr.contains("--listen"),
        "{stderr}"
    );

    let (code, stderr) = run_binary(&["--size", "640"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("WIDTHxHEIGHT"), "{stderr}");

    let (code, stderr) = run_binary(&[
        "--listen",
        "127.0.0.1:0",
        "--source",
        "file:/nonexistent/cam.mjpg",
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot read /nonexistent/cam.mjpg"),
        "{stderr}"
    );

    let (code, stderr) = run_binary(&[
        "--listen",
        "127.0.0.1:0",
        "--source",
        "exec:/nonexistent/rpicam-vid",
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("cannot start the command"), "{stderr}");
}

#[test]
fn sigterm_stops_the_binary_with_status_0() {
    let mut child = pi_server()
        .args(["--listen", "127.0.0.1:0", "--source", "test"])
        .env("NO_COLOR", "1")
        .spawn()
        .unwrap();
    // Wait until it listens (it logs to stderr), then ask it to stop as systemd would.
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let listening = lines
        .by_ref()
        .any(|line| line.is_ok_and(|l| l.contains("listening")));
    assert!(listening, "the server logs that it listens, on stderr");
    // The shell's own `kill`: a bare machine may have no procps.
    let status = Command::new("sh")
        .args(["-c", "kill -TERM \"$1\"", "sh", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    // Drain stderr so the child never blocks on a full pipe.
    for _ in lines {}
    assert_eq!(child.wait().unwrap().code(), Some(0));
}
