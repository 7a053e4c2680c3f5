//! Third-party players people already have: a browser (the index page is the fallback
//! viewer) and ffmpeg. Each is looked up on the PATH; `.ci/run` installs both, so in CI a
//! missing player fails the test instead of skipping it.

use std::process::Command;

use crate::support::Server;

/// The player's path, or `None` (with a note) on a developer machine without it.
fn player(name: &str) -> Option<String> {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name} is not installed; .ci/run installs it"
        );
        eprintln!("skipped: {name} is not installed (apt-get install {name})");
    }
    found
}

#[test]
fn chromium_runs_the_index_page_and_pulls_the_stream() {
    let Some(chromium) = player("chromium") else {
        return;
    };
    let server = Server::start(&["--source", "test", "--size", "160x120", "--fps", "10"]);
    let profile = std::env::temp_dir().join(format!("e2e-chromium-{}", std::process::id()));
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=3000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(server.url("/"))
        .output()
        .expect("run chromium");
    let _ = std::fs::remove_dir_all(&profile);
    let dom = String::from_utf8_lossy(&out.stdout);
    // The page's script fetched /stats and filled in the panel...
    assert!(dom.contains(r#"<td id="size">160 x 120</td>"#), "{dom}");
    assert!(dom.contains(r#"<p id="err"></p>"#), "no stats error: {dom}");
    // ...and the <img> pulled the stream: the server logged a stream client.
    let log: Vec<String> = server.log.try_iter().collect();
    assert!(
        log.iter()
            .any(|l| l.contains("client joined") && l.contains("/stream.mjpg")),
        "no stream client in the server log: {log:#?}"
    );
}

#[test]
fn ffmpeg_decodes_the_stream() {
    let Some(ffmpeg) = player("ffmpeg") else {
        return;
    };
    let server = Server::start(&["--source", "test", "--size", "320x240", "--fps", "15"]);
    let out = Command::new(ffmpeg)
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(server.url("/stream.mjpg"))
        .args(["-frames:v", "10", "-f", "framemd5", "-"])
        .output()
        .expect("run ffmpeg");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ffmpeg failed: {stderr}");
    assert!(stderr.trim().is_empty(), "ffmpeg complained: {stderr}");
    // framemd5 prints one line per decoded frame, after its header lines.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let frames: Vec<&str> = stdout.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(frames.len(), 10, "{stdout}");
    // Every line names the frame size ffmpeg decoded: 320x240 RGB/YUV of the right size.
    assert!(stdout.contains("#dimensions 0: 320x240"), "{stdout}");
}

#[test]
fn a_viewer_recording_plays_in_ffmpeg_and_replays_through_pi_server() {
    let server = Server::start(&["--source", "test", "--size", "320x240", "--fps", "10"]);
    let dir = std::env::temp_dir().join(format!("e2e-recording-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = crate::support::viewer_command(&server.url("/stream.mjpg"), 2.0)
        .arg("--record")
        .arg("--output-dir")
        .arg(&dir)
        .output()
        .expect("run desktop-viewer");
    let s = crate::support::summary(&out);
    let recorded = s["recording"]["frames"].as_u64().unwrap();
    let path = s["recording"]["path"].as_str().unwrap().to_string();
    assert!(recorded > 0, "{s}");
    drop(server);

    // ffmpeg reads the file as the multipart stream it is, every frame.
    if let Some(ffmpeg) = player("ffmpeg") {
        let out = Command::new(ffmpeg)
            .args(["-hide_banner", "-loglevel", "error", "-i", &path])
            .args(["-f", "framemd5", "-"])
            .output()
            .expect("run ffmpeg");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "ffmpeg failed: {stderr}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let frames = stdout.lines().filter(|l| !l.starts_with('#')).count();
        assert_eq!(frames as u64, recorded, "{stdout}");
    }

    // pi-server's file: source replays it, and the viewer sees the same pictures.
    let replay = Server::start(&["--source", &format!("file:{path}"), "--fps", "10"]);
    let out = crate::support::viewer(&replay.url("/stream.mjpg"), 1.5);
    let s = crate::support::summary(&out);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "{s}");
    assert_eq!(s["resolution"], serde_json::json!([320, 240]), "{s}");
    assert_eq!(s["corrupt"], 0, "{s}");
}
