//! `/api/controls`: the live settings listed, changed, refused, protected and kept, as a
//! client sees them over HTTP from the real binary.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::Instant;

use bytes::Bytes;
use mjpeg_wire::jpeg::{self, Splitter};
use serde_json::{Value, json};

use crate::support::{PATIENCE, Server, pi_server};

/// An answer: status and body.
pub(crate) struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The `value` of control `name` in a list of controls.
    pub fn value(&self, name: &str) -> Value {
        let list = self.json();
        list.as_array()
            .and_then(|l| l.iter().find(|c| c["name"] == name))
            .map(|c| c["value"].clone())
            .unwrap_or_else(|| panic!("no control {name} in {list}"))
    }
}

/// One HTTP/1.0 request with `headers` (`Name: value` lines) and `body`.
pub(crate) fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[&str],
    body: &str,
) -> Answer {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(PATIENCE)).expect("timeout");
    let mut head = format!(
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for h in headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).expect("send head");
    s.write_all(body.as_bytes()).expect("send body");
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).expect("read");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status: {text}"));
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    Answer { status, body }
}

/// The names in a list of controls, in its order.
fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str())
        .collect()
}

/// A 320x240 recording from a webcam, as a `--source`.
pub(crate) const RECORDING: &str = concat!(
    "file:",
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/tests/fixtures/webcam-avi1-no-dht.mjpg"
);

const JSON: &str = "Content-Type: application/json";

/// `PUT /api/controls` with a JSON body and `extra` headers.
pub(crate) fn put(addr: SocketAddr, body: &str, extra: &[&str]) -> Answer {
    let mut headers = vec![JSON];
    headers.extend_from_slice(extra);
    request(addr, "PUT", "/api/controls", &headers, body)
}

pub(crate) fn get(addr: SocketAddr) -> Answer {
    request(addr, "GET", "/api/controls", &[], "")
}

#[test]
fn the_test_pattern_lists_every_stream_control_with_its_kind_and_range() {
    let server = Server::start(&["--source", "test", "--open-controls", "--quality", "70"]);
    let answer = get(server.addr);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let list = answer.json();
    let names = names(&list);
    assert_eq!(
        names,
        [
            "quality",
            "target",
            "target_kbps",
            "fps",
            "size",
            "rotation",
            "hflip",
            "vflip"
        ]
    );
    let quality = &list[0];
    assert_eq!(
        (
            &quality["kind"],
            &quality["group"],
            &quality["min"],
            &quality["max"]
        ),
        (&json!("integer"), &json!("stream"), &json!(1), &json!(100))
    );
    assert_eq!(
        (&quality["default"], &quality["value"]),
        (&json!(70), &json!(70))
    );
    let rotation = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "rotation")
        .unwrap();
    assert_eq!(rotation["kind"], "menu");
    let degrees: Vec<&Value> = rotation["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| &o["value"])
        .collect();
    assert_eq!(degrees, [&json!(0), &json!(90), &json!(180), &json!(270)]);
    assert_eq!(list[1]["kind"], "boolean");
}

#[test]
fn values_are_set_together_and_a_refused_one_sets_nothing() {
    let server = Server::start(&["--source", "test", "--open-controls"]);
    let addr = server.addr;
    let set = put(
        addr,
        r#"{"quality": 55, "rotation": 90, "hflip": true}"#,
        &[],
    );
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(
        (
            set.value("quality"),
            set.value("rotation"),
            set.value("hflip")
        ),
        (json!(55), json!(90), json!(true))
    );
    // POST works as PUT; a menu takes an option's label too.
    let post = request(
        addr,
        "POST",
        "/api/controls",
        &[JSON],
        r#"{"rotation": "180°"}"#,
    );
    assert_eq!(post.value("rotation"), json!(180));
    for (body, status, control) in [
        (
            r#"{"quality": 40, "brightness": 3}"#,
            400,
            Some("brightness"),
        ),
        (r#"{"quality": 40, "fps": 0}"#, 400, Some("fps")),
        (r#"{"quality": 40, "rotation": 45}"#, 400, Some("rotation")),
        (r#"{"quality": 40, "vflip": 1}"#, 400, Some("vflip")),
        (r#"{"quality": 40, "size": "1x1"}"#, 400, Some("size")),
        ("quality=40", 400, None),
        (r#"[{"quality": 40}]"#, 400, None),
    ] {
        let refused = put(addr, body, &[]);
        assert_eq!(refused.status, status, "{body}: {}", refused.body);
        let error = refused.json();
        assert!(
            error["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{error}"
        );
        assert_eq!(error["control"].as_str(), control, "{body}");
    }
    // A form post is not JSON.
    let form = request(
        addr,
        "PUT",
        "/api/controls",
        &["Content-Type: application/x-www-form-urlencoded"],
        r#"{"quality": 40}"#,
    );
    assert_eq!(form.status, 415, "{}", form.body);
    // Nothing of the refused requests was applied.
    assert_eq!(get(addr).value("quality"), json!(55));
    // Reset: one control with null, several with the reset list, all with [].
    assert_eq!(
        put(addr, r#"{"quality": null}"#, &[]).value("quality"),
        json!(80)
    );
    let reset = request(
        addr,
        "POST",
        "/api/controls/reset",
        &[JSON],
        r#"["rotation"]"#,
    );
    assert_eq!(
        (reset.value("rotation"), reset.value("hflip")),
        (json!(0), json!(true))
    );
    let all = request(addr, "POST", "/api/controls/reset", &[JSON], "[]");
    assert_eq!(all.value("hflip"), json!(false));
}

/// A recording is replayed as recorded: no quality or size to set, and a rotation is
/// marked in each frame's EXIF (Orientation) instead of re-encoding it.
#[test]
fn a_stream_passed_through_is_turned_by_an_exif_mark() {
    let server = Server::start(&["--source", RECORDING, "--open-controls"]);
    let list = get(server.addr).json();
    assert_eq!(
        names(&list),
        ["target", "target_kbps", "fps", "rotation", "hflip", "vflip"]
    );
    let refused = put(server.addr, r#"{"quality": 50}"#, &[]);
    assert_eq!(
        (refused.status, refused.json()["control"].clone()),
        (400, json!("quality"))
    );
    let exif = |addr| {
        let mut snapshot = TcpStream::connect(addr).expect("connect");
        // HTTP/1.0: the answer ends when the server closes.
        snapshot
            .write_all(b"GET /snapshot.jpg HTTP/1.0\r\n\r\n")
            .expect("send");
        let mut answer = Vec::new();
        snapshot.read_to_end(&mut answer).expect("read");
        let at = answer
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a head");
        let jpeg = &answer[at + 4..];
        // SOI, then APP1 "Exif": the orientation is the SHORT at byte 31.
        (jpeg[2..4] == [0xFF, 0xE1] && &jpeg[6..10] == b"Exif").then(|| jpeg[31])
    };
    assert_eq!(exif(server.addr), None, "upright: frames pass untouched");
    assert_eq!(put(server.addr, r#"{"rotation": 90}"#, &[]).status, 200);
    let deadline = Instant::now() + PATIENCE;
    while exif(server.addr) != Some(6) {
        assert!(
            Instant::now() < deadline,
            "no frame marked 6 (90° clockwise)"
        );
    }
}

#[test]
fn writes_need_a_login_or_open_controls_and_the_servers_own_origin() {
    // No credentials configured and no --open-controls: read-only, and the answer says how.
    let closed = Server::start(&["--source", "test"]);
    assert_eq!(get(closed.addr).status, 200);
    let refused = put(closed.addr, r#"{"quality": 50}"#, &[]);
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("--open-controls"), "{}", refused.body);

    let guarded = Server::start(&["--source", "test", "--auth", "cam:secret"]);
    let addr = guarded.addr;
    // "cam:secret" in Base64.
    let login = "Authorization: Basic Y2FtOnNlY3JldA==";
    assert_eq!(get(addr).status, 401, "reads follow the stream's rules");
    assert_eq!(put(addr, r#"{"quality": 50}"#, &[]).status, 401);
    let own = format!("Origin: http://{addr}");
    let ok = put(addr, r#"{"quality": 50}"#, &[login, &own]);
    assert_eq!(ok.status, 200, "{}", ok.body);
    let other = put(
        addr,
        r#"{"quality": 60}"#,
        &[login, "Origin: http://evil.example"],
    );
    assert_eq!(other.status, 403, "{}", other.body);
    let read = request(addr, "GET", "/api/controls", &[login], "");
    assert_eq!(read.value("quality"), json!(50));
}

/// Reads the stream at `addr` on one connection and hands `on_frame` each frame's number
/// and size until it returns `false`.
fn frame_sizes_on_one_connection(
    addr: SocketAddr,
    mut on_frame: impl FnMut(usize, (u16, u16)) -> bool,
) {
    let mut s = crate::support::get(addr, "/stream.mjpg");
    let mut splitter = Splitter::new();
    let mut buf = vec![0u8; 64 * 1024];
    let deadline = Instant::now() + PATIENCE;
    let mut n = 0;
    loop {
        assert!(Instant::now() < deadline, "frames stopped after {n}");
        let got = s.read(&mut buf).expect("read the stream");
        assert!(got > 0, "the server closed the stream");
        splitter.push(Bytes::copy_from_slice(&buf[..got]));
        while let Ok(Some(frame)) = splitter.next_frame() {
            let info = jpeg::info(&frame).expect("a JPEG");
            n += 1;
            if !on_frame(n, (info.width, info.height)) {
                return;
            }
        }
    }
}

#[test]
fn a_new_size_and_a_quarter_turn_reach_a_connected_client() {
    let server = Server::start(&[
        "--source",
        "test",
        "--size",
        "320x240",
        "--fps",
        "20",
        "--open-controls",
    ]);
    let addr = server.addr;
    let mut changed = false;
    let mut sizes = Vec::new();
    frame_sizes_on_one_connection(addr, |n, size| {
        sizes.push(size);
        if n == 3 {
            let set = put(addr, r#"{"size": "640x480", "rotation": 90}"#, &[]);
            assert_eq!(set.status, 200, "{}", set.body);
            changed = true;
        }
        // Until a turned frame of the new size arrives on this same connection.
        !(changed && size == (480, 640))
    });
    assert_eq!(sizes[0], (320, 240), "{sizes:?}");
    assert!(
        sizes.iter().all(|s| [(320, 240), (480, 640)].contains(s)),
        "every frame is one shape or the other: {sizes:?}"
    );
}

#[test]
fn a_target_switched_on_shows_in_stats() {
    let server = Server::start(&["--source", "test", "--open-controls"]);
    let set = put(server.addr, r#"{"target": true, "target_kbps": 300}"#, &[]);
    assert_eq!(set.status, 200, "{}", set.body);
    let stats = request(server.addr, "GET", "/stats", &[], "").json();
    assert_eq!(
        stats["rate_control"]["target_kbps"],
        json!(300.0),
        "{stats}"
    );
    put(server.addr, r#"{"target": false}"#, &[]);
    let stats = request(server.addr, "GET", "/stats", &[], "").json();
    assert!(stats["rate_control"].is_null(), "{stats}");
}

/// A directory of this test's own, removed at the end.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("pi-controls-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn save_controls_keeps_changes_across_a_restart() {
    let dir = TempDir::new("save");
    let config = dir.0.join("pi-server.toml");
    std::fs::write(
        &config,
        "source = \"test\"\nopen-controls = true\nsave-controls = true\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let mut first = Server::start(&["--config", config]);
    let set = put(first.addr, r#"{"rotation": 270, "quality": 65}"#, &[]);
    assert_eq!(set.status, 200, "{}", set.body);
    first.terminate();
    assert!(first.wait().success());
    let saved = std::fs::read_to_string(dir.0.join("pi-server.controls.json")).unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&saved).unwrap(),
        json!({"quality": 65, "rotation": 270})
    );
    let second = Server::start(&["--config", config]);
    let list = get(second.addr);
    assert_eq!(
        (list.value("rotation"), list.value("quality")),
        (json!(270), json!(65))
    );
    // And the pattern comes turned: 640x480 on its side.
    frame_sizes_on_one_connection(second.addr, |_, size| {
        assert_eq!(size, (480, 640));
        false
    });
}

#[test]
fn save_controls_without_a_config_file_is_a_clear_error() {
    let out = pi_server()
        .args([
            "--listen",
            "127.0.0.1:0",
            "--source",
            "test",
            "--save-controls",
        ])
        .output()
        .expect("run pi-server");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--save-controls") && stderr.contains("--config"),
        "{stderr}"
    );
}
