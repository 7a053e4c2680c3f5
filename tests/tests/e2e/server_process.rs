//! pi-server as a process: how it stops and how it fails.

use std::io::Read;
use std::net::TcpListener;

use crate::support::{Server, get, pi_server};

#[test]
fn sigterm_ends_open_streams_and_exits_zero() {
    let mut server = Server::start(&["--source", "test", "--size", "160x120"]);
    let mut stream = get(server.addr, "/stream.mjpg");
    // Wait until frames flow, so the stream is really open.
    let mut first = [0u8; 1024];
    let n = stream.read(&mut first).expect("read");
    // HTTP/1.0 on purpose: the body is sent raw and ended by closing the connection.
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.0 200"));

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
    let out = pi_server()
        .args(["--listen", &addr, "--source", "test"])
        .output()
        .expect("run pi-server");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains(&addr), "says which address: {stderr}");
    assert!(stderr.contains("--listen"), "says what to change: {stderr}");
}

#[test]
fn unusable_credentials_stop_the_start_and_name_the_flag() {
    let dir = std::env::temp_dir().join(format!("e2e-creds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let short = dir.join("short-token");
    std::fs::write(&short, "abc\n").unwrap();
    let missing = dir.join("no-such-file");
    for (args, says) in [
        (
            vec!["--token-file".to_string(), missing.display().to_string()],
            "--token-file",
        ),
        (
            vec!["--token-file".to_string(), short.display().to_string()],
            "at least 16 characters",
        ),
        (
            vec!["--auth".to_string(), "nopassword".to_string()],
            "USER:PASSWORD",
        ),
    ] {
        let out = pi_server()
            .args(["--listen", "127.0.0.1:0", "--source", "test"])
            .args(&args)
            .output()
            .expect("run pi-server");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        // One clear line, no secret echoed back.
        assert!(!stderr.contains("nopassword"), "{stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Neither a password nor a token, right or wrong, reaches the log, even at debug level:
/// refusals log the path without the query, and stream paths have the token redacted.
#[test]
fn credentials_never_reach_the_log() {
    let dir = std::env::temp_dir().join(format!("e2e-log-creds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let token_file = dir.join("token");
    let token = "right-token-0123456789";
    std::fs::write(&token_file, token).unwrap();
    let token_path = token_file.display().to_string();
    let server = Server::start(&[
        "--source",
        "test",
        "--size",
        "160x120",
        "--log-level",
        "debug",
        "--auth",
        "pi:right-password",
        "--token-file",
        &token_path,
    ]);
    let wrong_token = "wrong-token-9876543210";
    for path in [
        format!("/stream.mjpg?token={wrong_token}"),
        format!("/snapshot.jpg?token={token}"),
    ] {
        let mut s = get(server.addr, &path);
        let mut buf = [0u8; 512];
        let _ = s.read(&mut buf);
    }
    // A stream with the right token, and a wrong password in a header.
    let mut s = get(server.addr, &format!("/stream.mjpg?fps=1&token={token}"));
    let mut buf = [0u8; 512];
    let _ = s.read(&mut buf);
    let mut wrong = std::net::TcpStream::connect(server.addr).unwrap();
    // "pi:wrong-password"
    std::io::Write::write_all(
        &mut wrong,
        b"GET /stats HTTP/1.1\r\nHost: pi\r\nAuthorization: Basic cGk6d3JvbmctcGFzc3dvcmQ=\r\n\r\n",
    )
    .unwrap();
    let _ = wrong.read(&mut buf);
    drop(s);
    drop(wrong);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let log: Vec<String> = server.log.try_iter().collect();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        log.iter()
            .any(|l| l.contains("refused: no valid credentials")),
        "the refusals are logged: {log:#?}"
    );
    assert!(
        log.iter().any(|l| l.contains("token=…")),
        "the stream client is logged, redacted: {log:#?}"
    );
    for secret in [
        token,
        wrong_token,
        "right-password",
        "wrong-password",
        "cGk6",
    ] {
        assert!(
            !log.iter().any(|l| l.contains(secret)),
            "{secret} is in the log: {log:#?}"
        );
    }
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let out = pi_server()
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

#[test]
fn a_camera_that_is_not_there_is_a_clear_error() {
    let out = pi_server()
        .args([
            "--listen",
            "127.0.0.1:0",
            "--source",
            "v4l2:/dev/video-none",
        ])
        .output()
        .expect("run pi-server");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(
        stderr.contains("cannot use the camera /dev/video-none"),
        "{stderr}"
    );
    assert!(
        stderr.contains("--list-devices"),
        "says what to run: {stderr}"
    );
}

/// This machine has no camera (CI neither): the listing says so and what `auto` does.
/// The listing of a real device is checked in a VM by scripts/v4l2-vm-test.sh.
#[test]
fn list_devices_says_what_auto_would_use() {
    let out = pi_server()
        .arg("--list-devices")
        .output()
        .expect("run pi-server");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let has_cameras = std::fs::read_dir("/dev")
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with("video"));
    if has_cameras {
        assert!(stdout.contains("/dev/video"), "{stdout}");
    } else {
        assert!(stdout.contains("No video devices"), "{stdout}");
    }
    assert!(stdout.contains("--source auto"), "{stdout}");
}

#[test]
fn a_config_file_works_like_flags() {
    let dir = std::env::temp_dir().join(format!("pi-server-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("pi-server.toml");
    std::fs::write(&file, "source = \"v4l2:/dev/video-from-file\"\n").unwrap();
    let out = pi_server()
        .args(["--listen", "127.0.0.1:0", "--config"])
        .arg(&file)
        .output()
        .expect("run pi-server");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The source named in the file is the one it tried.
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("/dev/video-from-file"), "{stderr}");
    std::fs::write(&file, "colour = \"red\"\n").unwrap();
    let out = pi_server()
        .args(["--config"])
        .arg(&file)
        .output()
        .expect("run pi-server");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("unknown setting \"colour\""), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
