//! `--source http://`: one pi-server relays another's stream, so that the origin (a Pi)
//! sees one connection however many watch the relay.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::support::{PATIENCE, Server, summary, viewer_command};

/// `/stats` of the server at `addr`, as JSON.
fn stats(addr: SocketAddr) -> serde_json::Value {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(PATIENCE)).expect("timeout");
    // HTTP/1.0: the server closes after the answer, so reading to the end is the answer.
    s.write_all(b"GET /stats HTTP/1.0\r\n\r\n").expect("send");
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).expect("read");
    let text = String::from_utf8_lossy(&answer);
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).unwrap_or_else(|e| panic!("/stats: {e}: {text}"))
}

/// Waits until `cond` holds for the server's stats; a guard against a hang, not a timing.
fn wait_for_stats(addr: SocketAddr, what: &str, cond: impl Fn(&serde_json::Value) -> bool) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let s = stats(addr);
        if cond(&s) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: {s}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_relay_serves_many_viewers_from_one_upstream_connection_opened_only_while_watched() {
    let origin = Server::start(&["--source", "test", "--size", "320x240", "--fps", "15"]);
    let upstream = origin.url("/stream.mjpg");
    let relay = Server::start(&["--source", &upstream]);
    // Nobody watches the relay: it leaves the origin alone.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        stats(origin.addr)["client_count"],
        0,
        "opened only while watched"
    );

    let viewers: Vec<_> = (0..3)
        .map(|_| {
            viewer_command(&relay.url("/stream.mjpg"), 4.0)
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("start a viewer")
        })
        .collect();
    wait_for_stats(relay.addr, "three viewers on the relay", |s| {
        s["client_count"] == 3
    });
    let at_origin = stats(origin.addr);
    assert_eq!(
        at_origin["client_count"], 1,
        "one upstream connection: {at_origin}"
    );
    for v in viewers {
        let out = v.wait_with_output().expect("viewer");
        let s = summary(&out);
        assert!(s["decoded"].as_u64().unwrap() > 10, "{s}");
        assert_eq!(s["resolution"], serde_json::json!([320, 240]), "{s}");
        assert_eq!(s["corrupt"], 0, "{s}");
    }
    // After the linger with nobody watching, the relay lets go of the origin.
    wait_for_stats(
        origin.addr,
        "the upstream closed after the viewers left",
        |s| s["client_count"] == 0,
    );
}

#[test]
fn while_the_upstream_is_away_viewers_get_the_no_signal_card_then_its_frames_when_it_comes() {
    // A port nothing listens on yet: the upstream is down from the start.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let relay = Server::start(&[
        "--source",
        &format!("http://127.0.0.1:{port}/stream.mjpg"),
        "--size",
        "320x240",
    ]);
    let watcher = viewer_command(&relay.url("/stream.mjpg"), 9.0)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start a viewer");
    wait_for_stats(relay.addr, "the relay to say why", |s| {
        s["source_state"]
            .as_str()
            .is_some_and(|st| st.starts_with("no signal: cannot connect"))
    });
    // The card, about once a second, to the connected viewer.
    std::thread::sleep(Duration::from_millis(2500));
    let cards = stats(relay.addr)["frames_source"].as_u64().unwrap();
    assert!(cards >= 2, "no-signal cards sent: {cards}");

    let _origin = Server::start_on(
        &format!("127.0.0.1:{port}"),
        &["--source", "test", "--size", "320x240", "--fps", "15"],
    );
    wait_for_stats(relay.addr, "the relay live again", |s| {
        s["source_state"] == "live"
    });
    let out = watcher.wait_with_output().expect("viewer");
    let s = summary(&out);
    // Cards, then the origin's frames, all on the one connection.
    assert!(s["decoded"].as_u64().unwrap() > cards + 10, "{s}");
    assert_eq!(s["reconnects"], 0, "the same connection throughout: {s}");
    assert_eq!(s["corrupt"], 0, "{s}");
}

#[test]
fn an_origin_restarting_mid_stream_gives_cards_then_live_frames_on_the_same_connections() {
    let origin_args = ["--source", "test", "--size", "320x240", "--fps", "15"];
    let mut origin = Server::start(&origin_args);
    let origin_listen = origin.addr.to_string();
    let relay = Server::start(&["--source", &origin.url("/stream.mjpg"), "--size", "320x240"]);
    let watchers: Vec<_> = (0..2)
        .map(|_| {
            viewer_command(&relay.url("/stream.mjpg"), 12.0)
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("start a viewer")
        })
        .collect();
    wait_for_stats(relay.addr, "the relay live", |s| {
        s["source_state"] == "live" && s["client_count"] == 2
    });

    // The origin goes away mid-stream...
    origin.terminate();
    assert!(origin.wait().success(), "the origin stops cleanly");
    drop(origin);
    wait_for_stats(relay.addr, "the relay to say the origin is away", |s| {
        s["source_state"]
            .as_str()
            .is_some_and(|st| st.starts_with("no signal"))
    });
    let before = stats(relay.addr)["frames_source"].as_u64().unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    let cards = stats(relay.addr)["frames_source"].as_u64().unwrap() - before;
    assert!(
        cards >= 2,
        "no-signal cards while the origin is away: {cards}"
    );

    // ...and comes back on the same address.
    let _origin = Server::start_on(&origin_listen, &origin_args);
    wait_for_stats(relay.addr, "the relay live again", |s| {
        s["source_state"] == "live"
    });
    for watcher in watchers {
        let s = summary(&watcher.wait_with_output().expect("viewer"));
        assert_eq!(s["reconnects"], 0, "the same connection throughout: {s}");
        assert_eq!(s["corrupt"], 0, "{s}");
        // 12 s at 15 fps, less the outage: frames before, cards during, frames after.
        assert!(s["decoded"].as_u64().unwrap() > 40 + cards, "{s}");
    }
}
