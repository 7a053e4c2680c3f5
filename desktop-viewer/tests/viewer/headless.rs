//! `--headless`: the same pipeline, printed; and the binary's exit status.

use std::process::Command;
use std::time::Duration;

use desktop_viewer::headless;

use crate::pipeline::patient_config;
use crate::replay::{After, Behavior, FIXTURE_FRAMES, ReplayServer, SEED_RECIPE, SEED_RECIPE_FPS};

#[test]
fn headless_prints_a_line_a_second_and_a_summary() {
    let server = ReplayServer::start(vec![Behavior::Fixture {
        name: SEED_RECIPE,
        then: After::Hang,
    }]);
    let mut out = Vec::new();
    let options = headless::Options {
        duration: Duration::from_millis(2500),
        json: false,
        record_to: None,
        target_kbps: 1000.0,
    };
    let summary = headless::run(patient_config(&server.url()), &options, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<_> = text.lines().collect();
    // One line a second (a very busy machine may lose the last tick), then the summary.
    assert!(lines.len() >= 2, "{text}");
    assert!(lines[0].starts_with("t=1s state="), "{text}");
    let (summary_line, seconds) = lines.split_last().unwrap();
    assert!(seconds.iter().all(|l| l.starts_with("t=")), "{text}");
    assert!(summary_line.starts_with("summary: "), "{text}");
    assert!(summary_line.contains("decode ms p50"), "{text}");
    // Exact counts are the pipeline tests' business; here: frames arrived and decoded.
    assert!(
        (1..=FIXTURE_FRAMES).contains(&summary.totals.frames),
        "{summary:?}"
    );
    assert_eq!(summary.totals.resolution, Some([640, 480]));
}

#[test]
fn headless_json_lines_parse() {
    let server = ReplayServer::start(vec![Behavior::Fixture {
        name: SEED_RECIPE,
        then: After::Hang,
    }]);
    let mut out = Vec::new();
    let options = headless::Options {
        duration: Duration::from_millis(1500),
        json: true,
        record_to: None,
        target_kbps: 1000.0,
    };
    headless::run(patient_config(&server.url()), &options, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let values: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(values.len() >= 2, "{text}");
    assert_eq!(values[0]["type"], "stats");
    assert_eq!(values[0]["t"], 1);
    assert!(values[0]["kbps"].is_number());
    let summary = values.last().unwrap();
    assert_eq!(summary["type"], "summary");
    let frames = summary["frames"].as_u64().unwrap();
    assert!((1..=FIXTURE_FRAMES).contains(&frames), "{summary}");
    assert!(summary["decode_p99_ms"].as_f64().unwrap() > 0.0);
    // The band against the target: per second, and as a share after the settling
    // seconds (none in a run this short).
    assert!(values[0]["in_band"].is_boolean(), "{}", values[0]);
    assert_eq!(summary["target_kbps"], 1000.0);
    assert_eq!(summary["band_seconds"], 0);
    assert!(summary["in_band_share"].is_null(), "{summary}");
}

fn viewer() -> Command {
    Command::new(env!("CARGO_BIN_EXE_desktop-viewer"))
}

#[test]
fn exit_status_says_whether_a_frame_arrived() {
    let server = ReplayServer::start(vec![Behavior::Fixture {
        name: SEED_RECIPE,
        then: After::Hang,
    }]);
    let ok = viewer()
        .args(["--headless", "--duration", "1.5", "--json", &server.url()])
        .output()
        .unwrap();
    assert!(ok.status.success(), "{ok:?}");
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(stdout.contains("\"type\":\"summary\""), "{stdout}");

    let html = ReplayServer::start(vec![Behavior::Html]);
    let bad = viewer()
        .args([
            "--headless",
            "--duration",
            "1",
            &format!("http://{}/", html.addr()),
        ])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1), "{bad:?}");
    let stdout = String::from_utf8_lossy(&bad.stdout);
    assert!(stdout.contains("no MJPEG stream found"), "{stdout}");
}

/// The binary against the original picamera recipe's wire format: its captured response
/// (`shared/tests/fixtures/seed-recipe.*`), replayed at the recipe's 24 fps. The e2e tests
/// run the recipe itself when the team kit is beside the repository.
#[test]
fn the_viewer_plays_the_original_recipe() {
    let server = ReplayServer::start(vec![Behavior::Live {
        name: SEED_RECIPE,
        fps: SEED_RECIPE_FPS,
    }]);
    let out = viewer()
        .args(["--headless", "--json", "--duration", "3", &server.url()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let s: serde_json::Value = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["type"] == "summary")
        .unwrap_or_else(|| panic!("no summary: {stdout}"));
    assert!(s["decoded"].as_u64().unwrap() >= 20, "{s}");
    assert_eq!(s["resolution"], serde_json::json!([640, 480]), "{s}");
    assert_eq!(s["corrupt"], 0, "{s}");
}

#[test]
fn a_bad_url_is_one_clear_line_and_status_2() {
    let out = viewer()
        .args(["--headless", "--duration", "1", "ftp://cam/stream.mjpg"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("use http or https"), "{stderr}");
}

/// Several URLs at once: each stream its own lines and summary, then the total; the exit
/// status says whether every stream delivered.
#[test]
fn several_urls_are_watched_at_once_and_reported_each_and_in_total() {
    let live = || {
        ReplayServer::start(vec![Behavior::Live {
            name: SEED_RECIPE,
            fps: SEED_RECIPE_FPS,
        }])
    };
    let (a, b) = (live(), live());
    let out = viewer()
        .args([
            "--headless",
            "--json",
            "--duration",
            "2.5",
            &a.url(),
            &b.url(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summaries: Vec<_> = lines.iter().filter(|l| l["type"] == "summary").collect();
    assert_eq!(summaries.len(), 2, "{lines:?}");
    for (i, s) in summaries.iter().enumerate() {
        assert_eq!(s["stream"]["index"], i, "{s}");
        assert!(s["decoded"].as_u64().unwrap() > 10, "{s}");
    }
    assert_eq!(summaries[1]["stream"]["url"], b.url());
    let stats_streams: std::collections::BTreeSet<u64> = lines
        .iter()
        .filter(|l| l["type"] == "stats")
        .map(|l| l["stream"]["index"].as_u64().unwrap())
        .collect();
    assert_eq!(stats_streams, [0, 1].into(), "a line a second for each");
    let total = lines.last().unwrap();
    assert_eq!(total["type"], "total", "{total}");
    assert_eq!(total["streams"], 2);
    assert_eq!(total["streams_with_frames"], 2);
    let frames: u64 = summaries
        .iter()
        .map(|s| s["frames"].as_u64().unwrap())
        .sum();
    assert_eq!(total["frames"], frames);

    // One stream that never delivers: the others are reported, the exit status says so.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = format!("http://127.0.0.1:{port}/stream.mjpg");
    let out = viewer()
        .args(["--headless", "--duration", "1.5", &a.url(), &dead])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("[1] summary: "), "{text}");
    assert!(text.contains("connection refused"), "{text}");
    assert!(text.contains("total: 2 streams (1 with frames)"), "{text}");
}
