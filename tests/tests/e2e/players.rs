//! Third-party players people already have: a browser (the index page is the fallback
//! viewer), ffmpeg and ffprobe, OpenCV, nginx in front, and our viewer against other
//! servers. Each is found on the PATH (`.ci/run` installs them); a test whose player is
//! missing is skipped with one line naming the package, or fails under
//! `PI_MJPEG_REQUIRE_ALL=1` (see `support::needs`).

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Need, Server, bin, needs, summary, terminate, viewer};

const CHROMIUM: Need = Need::Program("chromium", "chromium");
const FFMPEG: Need = Need::Program("ffmpeg", "ffmpeg");
const FFPROBE: Need = Need::Program("ffprobe", "ffmpeg");
const NGINX: Need = Need::Program("nginx", "nginx");
const PYTHON: Need = Need::Program("python3", "python3");
/// The DevTools client, `cdp.py`, speaks WebSocket.
const PYTHON_WEBSOCKET: Need = Need::PythonModule("websocket", "python3-websocket");
const PYTHON_OPENCV: Need = Need::PythonModule("cv2", "python3-opencv");
/// The runnable copy of the original recipe (a stand-in camera replays its frames).
const RECIPE: Need = Need::Kit(
    "anchors/seed-recipe/streaming.py",
    "the original picamera recipe",
);

/// A free loopback port (bound and released; good enough for a test).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Waits until something accepts connections on `port`.
fn wait_for_port(port: u16, child: &mut Child, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited ({status}) before listening on {port}");
        }
        assert!(Instant::now() < deadline, "{what} did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Stops a helper process when the test ends, however it ends: SIGTERM first, so that
/// nginx's master takes its workers down with it (SIGKILL would orphan them), then SIGKILL.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.0.try_wait() {
            return;
        }
        let _ = terminate(&self.0);
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn chromium_runs_the_index_page_and_pulls_the_stream() {
    let Some([chromium]) = needs([CHROMIUM]) else {
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

/// Headless Chromium driven over its DevTools protocol (`cdp.py`): one JSON sample of the
/// page's own view of itself at each of `seconds`, and a screenshot at the end. `None`
/// when Chromium or the DevTools client is missing (the test is skipped).
pub(crate) fn chromium_samples(
    url: &str,
    screenshot: &std::path::Path,
    seconds: &[f64],
) -> Option<Vec<serde_json::Value>> {
    chromium_probe(&[], url, screenshot, seconds)
}

/// [`chromium_samples`] with cdp.py's options (`--frames`).
fn chromium_probe(
    options: &[&str],
    url: &str,
    screenshot: &std::path::Path,
    seconds: &[f64],
) -> Option<Vec<serde_json::Value>> {
    let seconds: Vec<String> = seconds.iter().map(f64::to_string).collect();
    cdp_samples(options, url, screenshot, &seconds)
}

/// Runs `cdp.py` with `options` on `url` for `samples` (seconds, or `until:EXPR`) and
/// returns its samples; `None` when Chromium or the DevTools client is missing.
pub(crate) fn cdp_samples(
    options: &[&str],
    url: &str,
    screenshot: &std::path::Path,
    samples: &[String],
) -> Option<Vec<serde_json::Value>> {
    let out = cdp_command(options, url, screenshot, samples)?
        .output()
        .expect("run cdp.py");
    assert!(
        out.status.success(),
        "cdp.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let samples = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON sample"))
        .collect();
    Some(samples)
}

/// The command running `cdp.py` with `options` on `url` for `samples` (see its usage);
/// `None` when Chromium or the DevTools client is missing (the test is skipped).
fn cdp_command(
    options: &[&str],
    url: &str,
    screenshot: &std::path::Path,
    samples: &[String],
) -> Option<Command> {
    let [chromium, python] = needs([CHROMIUM, PYTHON_WEBSOCKET])?;
    let mut command = Command::new(python);
    command
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/cdp.py"))
        .args(options)
        .arg(chromium)
        .arg(url)
        .arg(screenshot)
        .args(samples)
        .stdin(Stdio::null());
    Some(command)
}

fn count(sample: &serde_json::Value, key: &str) -> u64 {
    sample["data"][key]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The index page in a real browser: the picture is there at the right size, its pixels
/// change, and the stats panel keeps updating. The screenshot is left in the test's output
/// directory for a person to look at.
#[test]
fn chromium_shows_the_live_picture_and_the_stats() {
    let server = Server::start(&["--source", "test", "--size", "320x240", "--fps", "10"]);
    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("chromium-index.png");
    let Some(samples) = chromium_samples(&server.url("/"), &shot, &[1.5, 4.5]) else {
        return;
    };
    let (first, last) = (&samples[0], &samples[1]);
    assert_eq!(last["natural"], serde_json::json!([320, 240]), "{last}");
    assert_eq!(last["size"], "320 x 240", "{last}");
    assert!(
        count(last, "changes") >= 2,
        "the picture moves: {first} {last}"
    );
    assert!(
        count(last, "statsUpdates") > count(first, "statsUpdates"),
        "the stats panel updates: {first} {last}"
    );
    assert_eq!(last["error"], "", "{last}");
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG"), "{}", shot.display());
    eprintln!("screenshot: {}", shot.display());
}

/// Chromium shows each frame when it arrives, not when the next one starts: the frame
/// number read from the test pattern's strip in the page's image is the newest the server
/// has, or the one before (published while the browser was receiving it), never older.
/// 640x480 at 24 fps, as the recipe's defaults. With the delimiter alone after each JPEG,
/// Chromium was one behind in every sample ({1: 24}); with the next header block sent
/// ahead for browsers, it shows the newest ({0: 24}), and most samples must.
#[test]
fn chromium_shows_the_newest_frame_or_the_one_before() {
    let server = Server::start(&["--source", "test", "--size", "640x480", "--fps", "24"]);
    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("chromium-strip.png");
    let seconds: Vec<f64> = (0..24).map(|i| 2.0 + f64::from(i) * 0.25).collect();
    let Some(samples) = chromium_probe(&["--frames"], &server.url("/"), &shot, &seconds) else {
        return;
    };
    let modulus = mjpeg_wire::strip::MODULUS;
    let mut behind_counts = std::collections::BTreeMap::<u64, usize>::new();
    for sample in &samples {
        let frame = &sample["frame"];
        let (Some(before), Some(after)) = (frame["before"].as_u64(), frame["after"].as_u64())
        else {
            panic!("/stats gave no newest frame: {sample}");
        };
        let shown = frame["shown"]
            .as_u64()
            .unwrap_or_else(|| panic!("no frame number readable in the picture: {sample}"));
        // The newest when the probe began, minus the one shown (numbers wrap at 2^24).
        let behind = (before % modulus + modulus - shown) % modulus;
        *behind_counts.entry(behind).or_default() += 1;
        assert!(
            behind <= 1 || behind > modulus / 2,
            "the page shows frame {shown}, {behind} behind the newest ({before}): {sample}"
        );
        assert!(
            shown <= after % modulus,
            "a frame newer than the server's newest? {sample}"
        );
    }
    eprintln!(
        "frames behind the newest, over {} samples: {behind_counts:?}",
        samples.len()
    );
    let newest = behind_counts.get(&0).copied().unwrap_or(0)
        + behind_counts
            .range(modulus / 2..)
            .map(|(_, n)| n)
            .sum::<usize>();
    assert!(
        newest * 2 >= samples.len(),
        "the page shows the newest frame in only {newest} of {} samples: {behind_counts:?}",
        samples.len()
    );
}

/// With `--auth` and `--token-file`, a browser opened at `/?token=...` (it has no password)
/// shows the live picture: the page passes its token on to the stream and to /stats.
#[test]
fn the_page_carries_its_token_to_a_protected_stream() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let token_file = dir.join(format!("e2e-token-{}", std::process::id()));
    let token = "pAgE-t0ken_for.the-browser";
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    let token_path = token_file.display().to_string();
    let server = Server::start(&[
        "--source",
        "test",
        "--size",
        "320x240",
        "--fps",
        "10",
        "--auth",
        "pi:secret",
        "--token-file",
        &token_path,
    ]);
    let shot = dir.join("chromium-token.png");
    let samples = chromium_probe(
        &["--frames"],
        &server.url(&format!("/?token={token}")),
        &shot,
        &[2.5],
    );
    let _ = std::fs::remove_file(&token_file);
    let Some(samples) = samples else {
        return;
    };
    let sample = &samples[0];
    assert_eq!(sample["natural"], serde_json::json!([320, 240]), "{sample}");
    assert_eq!(
        sample["size"], "320 x 240",
        "the stats panel filled in: {sample}"
    );
    assert_eq!(sample["error"], "", "{sample}");
    assert!(sample["frame"]["shown"].is_u64(), "a live frame: {sample}");
}

/// The page reconnects its stream by itself when the server restarts, and says so.
///
/// Regression test for a flaky failure (issue 21): the page used to notice a restart only
/// by the image's `error` event, which Chromium does not fire when a multipart stream ends
/// cleanly, or by the new server's frame counter running ahead of the old one's, which a
/// server with nobody watching stops after its 2 s linger. When the page had watched the
/// first server only briefly (a busy machine), neither happened. Each step here waits for
/// what it needs instead of sleeping: the restart comes once the page shows a moving
/// picture, and the verdict once the page says it reconnected or after `cdp.py`'s patience.
#[test]
fn the_page_reconnects_after_a_server_restart() {
    let args = ["--source", "test", "--size", "320x240", "--fps", "10"];
    let server = Server::start(&args);
    // The same address again after the restart, as after `systemctl restart`.
    let listen = server.addr.to_string();
    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("chromium-reconnected.png");
    let changes = "Number(document.body.dataset.changes || 0)";
    let moving = format!("until:{changes} >= 2");
    let moving_again = format!(
        "until:document.getElementById('status').textContent.includes('reconnected') \
         && {changes} > Number(cdpPrevious.data.changes || 0) + 2"
    );
    let Some(mut cdp) = cdp_command(&[], &server.url("/"), &shot, &[moving, moving_again]) else {
        return;
    };
    let mut browser = Killed(cdp.stdout(Stdio::piped()).spawn().expect("run cdp.py"));
    let mut samples = BufReader::new(browser.0.stdout.take().expect("cdp.py's stdout"))
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(&l.expect("a line")).expect("a sample"));
    let before = samples.next().expect("a sample while the picture moves");
    assert!(
        count(&before, "changes") >= 2,
        "the picture moves: {before}"
    );
    drop(server);
    let again = Server::start_on(&listen, &args);
    let after = samples.next().expect("a sample after the restart");
    // cdp.py ends by itself after its last sample (it takes the screenshot first).
    assert!(browser.0.wait().expect("cdp.py exits").success());
    drop(again);
    assert!(count(&after, "reconnects") >= 1, "{after}");
    assert!(
        after["status"]
            .as_str()
            .unwrap_or("")
            .contains("reconnected"),
        "the page says so: {after}"
    );
    assert!(
        count(&after, "changes") > count(&before, "changes") + 2,
        "the picture moves again: {before} {after}"
    );
}

#[test]
fn ffmpeg_decodes_the_stream() {
    let Some([ffmpeg]) = needs([FFMPEG]) else {
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
    if let Some([ffmpeg]) = needs([FFMPEG]) {
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

#[test]
fn ffprobe_reports_mjpeg_at_the_configured_size() {
    let Some([ffprobe]) = needs([FFPROBE]) else {
        return;
    };
    let server = Server::start(&["--source", "test", "--size", "480x272", "--fps", "15"]);
    let out = Command::new(ffprobe)
        .args(["-v", "error", "-select_streams", "v:0"])
        .args([
            "-show_entries",
            "stream=codec_name,width,height",
            "-of",
            "json",
        ])
        .arg(server.url("/stream.mjpg"))
        .output()
        .expect("run ffprobe");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ffprobe failed: {stderr}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("ffprobe's JSON");
    let stream = &json["streams"][0];
    assert_eq!(stream["codec_name"], "mjpeg", "{json}");
    assert_eq!(
        (stream["width"].as_u64(), stream["height"].as_u64()),
        (Some(480), Some(272))
    );
}

#[test]
fn opencv_reads_frames_of_the_right_shape() {
    let Some([python]) = needs([PYTHON_OPENCV]) else {
        return;
    };
    let server = Server::start(&["--source", "test", "--size", "320x240", "--fps", "15"]);
    let script = r#"
import sys, cv2
cap = cv2.VideoCapture(sys.argv[1])
shapes = []
for _ in range(10):
    ok, frame = cap.read()
    if not ok:
        break
    shapes.append("x".join(map(str, frame.shape)))
print(" ".join(shapes))
"#;
    let out = Command::new(python)
        .args(["-c", script])
        .arg(server.url("/stream.mjpg"))
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let shapes: Vec<&str> = stdout.split_whitespace().collect();
    assert_eq!(
        shapes,
        vec!["240x320x3"; 10],
        "OpenCV read: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// ffmpeg's own MJPEG server (`-f mpjpeg -listen 1`) of its test picture, 320x240 at
/// 10 fps, at `http://127.0.0.1:PORT/stream`. It serves one client and then exits: waiting by
/// trying the port would use it up, so it gets a moment to listen and the client retries.
fn ffmpeg_mpjpeg_server(ffmpeg: &std::path::Path, port: u16) -> Killed {
    let child = Command::new(ffmpeg)
        .args(["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi"])
        .args([
            "-i",
            "testsrc2=size=320x240:rate=10",
            "-c:v",
            "mjpeg",
            "-q:v",
            "5",
        ])
        .args(["-f", "mpjpeg", "-listen", "1"])
        .arg(format!("http://127.0.0.1:{port}/stream"))
        .stdin(Stdio::null())
        .spawn()
        .expect("start ffmpeg");
    let mut ffmpeg = Killed(child);
    std::thread::sleep(Duration::from_millis(800));
    assert!(
        ffmpeg.0.try_wait().ok().flatten().is_none(),
        "ffmpeg did not start"
    );
    ffmpeg
}

/// The original recipe (the team kit's copy) listening on `port`, once it listens.
fn recipe_server(streaming_py: &std::path::Path, python: &std::path::Path, port: u16) -> Killed {
    let child = Command::new(python)
        .arg(streaming_py)
        .current_dir(streaming_py.parent().expect("the recipe's folder"))
        .env("PORT", port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the recipe with python3");
    let mut recipe = Killed(child);
    wait_for_port(port, &mut recipe.0, "the recipe");
    recipe
}

/// ffmpeg's own MJPEG server (`-f mpjpeg -listen 1`): not multipart/x-mixed-replace but
/// application/octet-stream, chunked, with the boundary only in the body.
#[test]
fn the_viewer_plays_ffmpegs_mpjpeg_server() {
    let Some([ffmpeg]) = needs([FFMPEG]) else {
        return;
    };
    let port = free_port();
    let _ffmpeg = ffmpeg_mpjpeg_server(&ffmpeg, port);
    let out = viewer(&format!("http://127.0.0.1:{port}/stream"), 3.0);
    let s = summary(&out);
    assert!(s["decoded"].as_u64().unwrap() >= 10, "{s}");
    assert_eq!(s["resolution"], serde_json::json!([320, 240]), "{s}");
    assert_eq!(s["corrupt"], 0, "{s}");
}

/// The original picamera recipe itself, run from the team kit's copy beside the
/// repository. Without the kit this is skipped: its wire format is checked anywhere by the
/// viewer's tests, which replay the recipe's captured response
/// (`shared/tests/fixtures/seed-recipe.*`, desktop-viewer `headless.rs`).
#[test]
fn the_viewer_plays_the_original_recipe() {
    let Some([streaming_py, python]) = needs([RECIPE, PYTHON]) else {
        return;
    };
    let port = free_port();
    let _recipe = recipe_server(&streaming_py, &python, port);
    // Its stream, and its address alone: the viewer follows its page's <img> to the stream.
    for typed in [
        format!("http://127.0.0.1:{port}/stream.mjpg"),
        format!("127.0.0.1:{port}"),
    ] {
        let out = viewer(&typed, 3.0);
        let s = summary(&out);
        assert!(s["decoded"].as_u64().unwrap() >= 20, "{typed}: {s}");
        assert_eq!(s["resolution"], serde_json::json!([640, 480]), "{s}");
        assert_eq!(s["corrupt"], 0, "{s}");
    }
}

/// pi-server relaying ffmpeg's MJPEG server (octet-stream, chunked, the boundary only in the
/// body): the relay's clients get ffmpeg's frames. ffmpeg serves one client and exits, so
/// the relay (which opens its upstream only for a viewer) must be its one client.
#[test]
fn a_relay_passes_ffmpegs_mpjpeg_server_through() {
    let Some([ffmpeg]) = needs([FFMPEG]) else {
        return;
    };
    let port = free_port();
    let _ffmpeg = ffmpeg_mpjpeg_server(&ffmpeg, port);
    let relay = Server::start(&["--source", &format!("http://127.0.0.1:{port}/stream")]);
    let out = viewer(&relay.url("/stream.mjpg"), 3.0);
    let s = summary(&out);
    assert!(s["decoded"].as_u64().unwrap() >= 10, "{s}");
    assert_eq!(s["resolution"], serde_json::json!([320, 240]), "{s}");
    assert_eq!(s["corrupt"], 0, "{s}");
}

/// pi-server relaying the original recipe (HTTP/1.0, an empty first part, its frames
/// stamped in a JPEG comment): every part but the empty one reaches the relay's client.
#[test]
fn a_relay_passes_the_original_recipe_through() {
    let Some([streaming_py, python]) = needs([RECIPE, PYTHON]) else {
        return;
    };
    let port = free_port();
    let _recipe = recipe_server(&streaming_py, &python, port);
    let relay = Server::start(&["--source", &format!("http://127.0.0.1:{port}/stream.mjpg")]);
    let out = viewer(&relay.url("/stream.mjpg"), 3.0);
    let s = summary(&out);
    assert!(s["decoded"].as_u64().unwrap() >= 20, "{s}");
    assert_eq!(s["resolution"], serde_json::json!([640, 480]), "{s}");
    assert_eq!(s["corrupt"], 0, "{s}");
}

/// deploy/nginx.conf as shipped, in front of pi-server: 20 clients through it all get the
/// source's frame rate.
#[test]
fn twenty_clients_through_nginx_get_the_full_rate() {
    let Some([nginx]) = needs([NGINX]) else {
        return;
    };
    let server = Server::start(&["--source", "test", "--size", "320x240", "--fps", "15"]);
    let dir = std::env::temp_dir().join(format!("e2e-nginx-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    let site =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/nginx.conf"))
            .unwrap();
    let port = free_port();
    // The shipped file, with only its two addresses moved to this test's ports.
    assert!(site.contains("server 127.0.0.1:8000;") && site.contains("listen 80;"));
    let site = site
        .replace(
            "server 127.0.0.1:8000;",
            &format!("server {};", server.addr),
        )
        .replace("listen 80;", &format!("listen 127.0.0.1:{port};"));
    std::fs::write(dir.join("site.conf"), site).unwrap();
    let main = format!(
        "worker_processes 1;\nerror_log {dir}/logs/error.log;\npid {dir}/nginx.pid;\n\
         events {{ worker_connections 256; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {dir}/body;\n  \
         proxy_temp_path {dir}/proxy;\n  fastcgi_temp_path {dir}/fastcgi;\n  \
         uwsgi_temp_path {dir}/uwsgi;\n  scgi_temp_path {dir}/scgi;\n  include {dir}/site.conf;\n}}\n",
        dir = dir.display()
    );
    std::fs::write(dir.join("nginx.conf"), main).unwrap();
    let child = Command::new(nginx)
        .arg("-p")
        .arg(&dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .args(["-g", "daemon off;"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nginx");
    let mut nginx = Killed(child);
    wait_for_port(port, &mut nginx.0, "nginx");
    let out = Command::new(bin("mjpeg-load"))
        .arg("--url")
        .arg(format!("http://127.0.0.1:{port}/stream.mjpg"))
        .args([
            "--clients",
            "20",
            "--duration",
            "4",
            "--warmup",
            "1.5",
            "--json",
        ])
        .output()
        .expect("run mjpeg-load");
    drop(nginx);
    let _ = std::fs::remove_dir_all(&dir);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("mjpeg-load: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(report["connected"], 20, "{report}");
    assert_eq!(report["failed"], 0, "{report}");
    // Every client at the source's 15 fps (a little slack for a busy test machine).
    let slowest = report["fps_min"].as_f64().unwrap();
    assert!(
        slowest >= 13.5,
        "slowest client through nginx: {slowest} fps: {report}"
    );
}
