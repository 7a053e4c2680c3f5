//! The pipeline without a window, against real HTTP: every fixture frame arrives and
//! decodes; stalls, resets and a server restart lead to reconnects; wrong answers (no stream
//! anywhere, 401, an oversized part) get their message; a typed address or a page leads to
//! the stream.
//!
//! No assertion here is about time: waits only guard against a hang, with a deadline far
//! beyond anything a healthy run needs.

use std::time::{Duration, Instant};

use desktop_viewer::decode::decode_rgba;
use desktop_viewer::pipeline::{Pipeline, PipelineConfig};
use desktop_viewer::stats::{ConnState, StatsView};
use mjpeg_wire::multipart::{Parser, boundary_from_content_type};

use crate::replay::{
    ALL_FIXTURES, After, BASIC_PI_SECRET, Behavior, FIXTURE_FRAMES, ReplayServer, SEED_RECIPE,
    fixture,
};

/// Quick retries and stall detection keep the tests short; the logic is the same.
pub fn test_config(url: &str) -> PipelineConfig {
    let mut c = PipelineConfig::new(url);
    c.stall_timeout = Duration::from_secs(1);
    c.backoff_min = Duration::from_millis(50);
    c.backoff_max = Duration::from_millis(200);
    c
}

/// As [`test_config`], for servers that hang after their last frame: a long stall timeout
/// keeps the connection (and the counts) as they are for the test.
pub fn patient_config(url: &str) -> PipelineConfig {
    let mut c = test_config(url);
    c.stall_timeout = Duration::from_secs(600);
    c
}

/// Waits until `cond` holds; panics with the last stats after a minute (a hang guard).
pub fn wait_for(p: &Pipeline, what: &str, cond: impl Fn(&StatsView) -> bool) -> StatsView {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let v = p.stats();
        if cond(&v) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "gave up waiting for {what}; stats: {v:#?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn start(url: &str) -> Pipeline {
    Pipeline::start(test_config(url), || {}).unwrap()
}

/// Every frame of each capture is decodable to 640x480 by the viewer's decoder (parsed with
/// the shared parser, as the pipeline does).
#[test]
fn every_fixture_frame_decodes() {
    for name in ALL_FIXTURES {
        let (head, body) = fixture(name);
        let head = String::from_utf8_lossy(&head).into_owned();
        let boundary = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Type: "))
            .and_then(boundary_from_content_type);
        let mut parser = Parser::new(boundary.as_deref());
        parser.push(body.into());
        let mut decoded = 0;
        while let Some(part) = parser.next_part().unwrap() {
            if part.body().is_empty() {
                continue;
            }
            let image = decode_rgba(part.body(), Vec::new())
                .unwrap_or_else(|e| panic!("{name}: frame {decoded}: {e}"));
            assert_eq!(image.size, [640, 480], "{name}");
            // Not a blank picture: the camera saw something.
            let first = image.pixels[0];
            assert!(
                image.pixels.iter().any(|&p| p != first),
                "{name}: flat image"
            );
            decoded += 1;
        }
        assert_eq!(decoded, FIXTURE_FRAMES, "{name}");
    }
}

/// Over HTTP, each capture (HTTP/1.0 without length, and ffmpeg's chunked
/// application/octet-stream) delivers all 95 frames; each is decoded or, if the decoder
/// was busy, deliberately dropped for a newer one, never corrupt.
#[test]
fn every_fixture_frame_arrives_over_http() {
    for name in ALL_FIXTURES {
        let server = ReplayServer::start(vec![
            Behavior::Fixture {
                name,
                then: After::Close,
            },
            Behavior::Status(503),
        ]);
        let p = start(&server.url());
        let v = wait_for(&p, "the whole capture", |v| {
            v.totals.frames >= FIXTURE_FRAMES
                && v.totals.decoded + v.totals.dropped + v.totals.corrupt == v.totals.frames
                && v.totals.errors >= 1
        });
        assert_eq!(v.totals.frames, FIXTURE_FRAMES, "{name}");
        assert_eq!(v.totals.corrupt, 0, "{name}");
        assert!(v.totals.decoded >= 1, "{name}");
        assert_eq!(v.totals.resolution, Some([640, 480]), "{name}");
        assert_eq!(v.failures.get("ended"), Some(&1), "{name}: {v:#?}");
        let frame = p.take_frame().expect("a decoded frame waits for the UI");
        assert_eq!(frame.image.size, [640, 480]);
        assert_eq!(
            &frame.jpeg[..2],
            b"\xff\xd8",
            "the JPEG is kept as received"
        );
    }
}

#[test]
fn a_corrupt_frame_is_skipped_and_counted() {
    let server = ReplayServer::start(vec![Behavior::WithCorruption]);
    let p = Pipeline::start(patient_config(&server.url()), || {}).unwrap();
    // 10 good frames and one bad one arrive. Each part ends up decoded, dropped (if a
    // newer one came before the decoder was free) or corrupt; the garbage after a part
    // is one more corrupt count.
    let v = wait_for(&p, "all parts handled", |v| {
        v.totals.frames == 11
            && v.totals.decoded + v.totals.dropped + v.totals.corrupt == v.totals.frames + 1
    });
    assert!(v.totals.corrupt >= 1, "the garbage is counted: {v:#?}");
    if v.totals.dropped == 0 {
        assert_eq!(v.totals.corrupt, 2, "the bad JPEG is counted too: {v:#?}");
    }
    assert_eq!(
        v.totals.errors, 0,
        "corruption does not end the connection: {v:#?}"
    );
    assert_eq!(v.state, ConnState::Streaming);
}

/// Content-Length that lies (too short: the frame is cut; too long: it swallows the
/// next part's start) costs those frames and no more: the parser finds the next boundary,
/// the connection stays up, and every honest frame after them decodes.
#[test]
fn lying_content_lengths_cost_only_their_frames() {
    let server = ReplayServer::start(vec![Behavior::LyingLengths]);
    let p = Pipeline::start(patient_config(&server.url()), || {}).unwrap();
    let v = wait_for(&p, "the honest frames after the lies", |v| {
        v.totals.decoded + v.totals.dropped >= 7 && v.totals.corrupt >= 1
    });
    assert_eq!(v.totals.errors, 0, "lies do not end the connection: {v:#?}");
    assert_eq!(v.state, ConnState::Streaming);
    // Give the last frames time to arrive: ten sent, at most three spoilt by the lies.
    let v = wait_for(&p, "all ten parts handled", |v| {
        v.totals.decoded + v.totals.dropped >= 7 && v.totals.frames + v.totals.corrupt >= 10
    });
    assert!(
        v.totals.corrupt <= 4,
        "only the lying parts are lost: {v:#?}"
    );
}

/// A part whose boundary never comes is bounded by the part limit: the connection ends
/// with "frame too large" (nothing is buffered past the limit) and the viewer reconnects.
#[test]
fn a_boundary_that_never_comes_is_bounded_by_the_part_limit() {
    let server = ReplayServer::start(vec![Behavior::EndlessPart {
        bytes: 4 * 1024 * 1024,
    }]);
    let mut config = patient_config(&server.url());
    config.max_frame_size = 1024 * 1024;
    let p = Pipeline::start(config, || {}).unwrap();
    let v = wait_for(&p, "the oversized part to end the connection", |v| {
        v.failures.contains_key("frame too large") && v.totals.reconnects >= 1
    });
    assert_eq!(v.totals.frames, 0, "{v:#?}");
    let error = v.totals.last_error.unwrap_or_default();
    assert!(error.contains("larger than the limit"), "{error}");
}

/// A server that closes the connection cleanly in the middle of a frame: the half frame
/// is not shown, the reason says so, and the viewer reconnects.
#[test]
fn a_server_closing_mid_frame_is_reported_and_reconnected_to() {
    let server = ReplayServer::start(vec![
        Behavior::Fixture {
            name: SEED_RECIPE,
            then: After::CloseHalfway,
        },
        Behavior::Fixture {
            name: SEED_RECIPE,
            then: After::Hang,
        },
    ]);
    let p = start(&server.url());
    let v = wait_for(&p, "the second connection's frames", |v| {
        v.totals.frames >= FIXTURE_FRAMES / 2 + FIXTURE_FRAMES - 1
    });
    assert!(v.totals.reconnects >= 1, "{v:#?}");
    assert!(
        v.failures.contains_key("connection lost") || v.failures.contains_key("ended"),
        "{v:#?}"
    );
    assert_eq!(
        v.totals.corrupt, 0,
        "the cut frame is dropped, not shown: {v:#?}"
    );
}

#[test]
fn a_stalled_stream_reconnects() {
    let server = ReplayServer::start(vec![Behavior::Fixture {
        name: SEED_RECIPE,
        then: After::Hang,
    }]);
    let p = start(&server.url());
    let v = wait_for(&p, "a reconnect after a stall", |v| {
        v.failures.contains_key("stalled") && v.totals.frames > FIXTURE_FRAMES
    });
    assert!(v.totals.reconnects >= 1);
    assert!(server.accepted() >= 2);
}

#[test]
fn a_reset_connection_reconnects() {
    let server = ReplayServer::start(vec![
        Behavior::Fixture {
            name: SEED_RECIPE,
            then: After::ResetHalfway,
        },
        Behavior::Fixture {
            name: SEED_RECIPE,
            then: After::Hang,
        },
    ]);
    let p = start(&server.url());
    let v = wait_for(&p, "the second connection's frames", |v| {
        v.totals.frames >= FIXTURE_FRAMES / 2 + FIXTURE_FRAMES - 1
    });
    assert!(v.totals.reconnects >= 1);
    assert!(
        v.failures.contains_key("connection lost"),
        "a reset is a lost connection: {v:#?}"
    );
    assert_eq!(
        v.totals.corrupt, 0,
        "a cut frame is dropped, not shown: {v:#?}"
    );
}

#[test]
fn a_restarted_server_is_reconnected_to() {
    let script = || {
        vec![Behavior::Fixture {
            name: SEED_RECIPE,
            then: After::Hang,
        }]
    };
    let server = ReplayServer::start(script());
    let addr = server.addr();
    let p = start(&server.url());
    wait_for(&p, "the first server's frames", |v| {
        v.totals.frames >= FIXTURE_FRAMES
    });
    server.shutdown();
    let down = wait_for(&p, "the viewer to notice", |v| {
        matches!(
            v.state,
            ConnState::Waiting { .. } | ConnState::Connecting { .. }
        ) && v.totals.errors >= 1
    });
    assert_eq!(down.totals.frames, FIXTURE_FRAMES);
    let _server = ReplayServer::start_on(addr, script());
    let v = wait_for(&p, "the restarted server's frames", |v| {
        v.totals.frames >= 2 * FIXTURE_FRAMES
    });
    assert!(v.totals.reconnects >= 1);
    assert_eq!(v.state, ConnState::Streaming);
}

#[test]
fn a_refused_connection_says_so_and_retries() {
    // A port nobody listens on: bind, read the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let p = start(&format!("http://127.0.0.1:{port}/stream.mjpg"));
    let v = wait_for(&p, "two refused attempts", |v| {
        v.failures.get("refused") >= Some(&2)
    });
    assert!(v.totals.reconnects >= 1);
    assert!(
        v.totals
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("connection refused"),
        "{v:#?}"
    );
    assert_eq!(v.totals.frames, 0);
}

/// What people type (a host and port, the server's page) leads to the stream, wherever the
/// server keeps it: pi-server's and the recipe's path, mjpg-streamer's, ustreamer's.
#[test]
fn a_server_address_leads_to_its_stream_whatever_the_server() {
    for stream_path in ["/stream.mjpg", "/?action=stream", "/stream"] {
        let server = ReplayServer::start(vec![Behavior::Site { stream_path }]);
        for typed in [
            format!("{}", server.addr()),
            format!("http://{}/", server.addr()),
        ] {
            let p = start(&typed);
            let v = wait_for(&p, "frames", |v| v.totals.frames >= 3);
            assert_eq!(v.totals.corrupt, 0, "{typed}: {v:#?}");
            let found = p.stream_url().expect("the stream found");
            assert_eq!(
                found.as_str(),
                format!("http://{}{stream_path}", server.addr()),
                "typed {typed}"
            );
        }
    }
}

/// A page that names its stream (in an `<img>`, as the recipe's) is followed to it.
#[test]
fn a_page_is_followed_to_the_stream_it_shows() {
    let server = ReplayServer::start(vec![
        Behavior::Html,
        Behavior::Fixture {
            name: SEED_RECIPE,
            then: After::Hang,
        },
    ]);
    let p = start(&format!("http://{}/", server.addr()));
    wait_for(&p, "frames", |v| v.totals.frames >= 3);
    let requests = server.requests();
    assert!(requests[0].starts_with("GET / "), "{requests:?}");
    assert!(requests[1].starts_with("GET /stream.mjpg "), "{requests:?}");
}

/// When nothing gives a stream, the message names the server and every path tried.
#[test]
fn a_server_without_a_stream_gets_a_message_naming_what_was_tried() {
    let server = ReplayServer::start(vec![Behavior::Html]);
    let p = start(&format!("http://{}/", server.addr()));
    let v = wait_for(&p, "the first failure", |v| v.totals.errors >= 1);
    let message = v.totals.last_error.unwrap();
    assert!(
        message.starts_with(&format!("no MJPEG stream found at {}", server.addr())),
        "{message}"
    );
    for path in [
        "/ (a web page)",
        "/stream.mjpg",
        "/?action=stream",
        "/stream ",
    ] {
        assert!(message.contains(path), "{path} in {message}");
    }
}

#[test]
fn an_oversized_part_ends_the_connection_and_reconnects() {
    let server = ReplayServer::start(vec![
        Behavior::Oversized,
        Behavior::Fixture {
            name: SEED_RECIPE,
            then: After::Hang,
        },
    ]);
    let p = start(&server.url());
    let v = wait_for(&p, "frames after the oversized part", |v| {
        v.totals.frames >= FIXTURE_FRAMES
    });
    assert_eq!(v.failures.get("frame too large"), Some(&1), "{v:#?}");
    assert!(v.totals.reconnects >= 1);
}

#[test]
fn a_401_asks_for_credentials() {
    let server = ReplayServer::start(vec![Behavior::NeedsAuth]);
    let p = start(&server.url());
    let v = wait_for(&p, "the 401", |v| v.totals.errors >= 1);
    let message = v.totals.last_error.unwrap();
    assert!(message.contains("user name and password"), "{message}");
    assert!(message.contains("Pi Camera"), "names the realm: {message}");
}

#[test]
fn credentials_in_the_url_are_sent() {
    let server = ReplayServer::start(vec![Behavior::NeedsAuth]);
    let url = format!("http://pi:secret@{}/stream.mjpg", server.addr());
    let p = start(&url);
    wait_for(&p, "frames behind basic auth", |v| v.totals.frames >= 10);
    let requests = server.requests();
    assert!(requests[0].contains(BASIC_PI_SECRET), "{requests:?}");
    assert!(
        !requests[0].contains("pi:secret@"),
        "not sent in the request line"
    );
}

#[test]
fn credentials_from_the_command_line_are_sent() {
    let server = ReplayServer::start(vec![Behavior::NeedsAuth]);
    let mut config = test_config(&server.url());
    config.credentials = Some(desktop_viewer::net::Credentials {
        user: "pi".into(),
        password: Some("secret".into()),
    });
    let p = Pipeline::start(config, || {}).unwrap();
    wait_for(&p, "frames behind basic auth", |v| v.totals.frames >= 10);
}

#[test]
fn the_worker_wakes_the_ui_only_when_something_happened() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let server = ReplayServer::start(vec![Behavior::Fixture {
        name: SEED_RECIPE,
        then: After::Hang,
    }]);
    let wakes = Arc::new(AtomicU64::new(0));
    let w = wakes.clone();
    // The hang after the capture is not noticed during this test.
    let config = patient_config(&server.url());
    let p = Pipeline::start(config, move || {
        w.fetch_add(1, Ordering::SeqCst);
    })
    .unwrap();
    let v = wait_for(&p, "the whole capture", |v| {
        v.totals.frames == FIXTURE_FRAMES && v.totals.decoded + v.totals.dropped == v.totals.frames
    });
    let after = wakes.load(Ordering::SeqCst);
    // One per decoded frame plus a few state changes; nothing while the stream is quiet.
    assert!(
        after <= v.totals.decoded + 5,
        "{after} wakes for {} frames",
        v.totals.decoded
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(wakes.load(Ordering::SeqCst), after, "no wake without news");
}
