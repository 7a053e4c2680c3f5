//! The index page's controls panel in headless Chromium (driven by `cdp.py`): the target
//! slider moves the rate, rotation turns the picture, a page of another origin changes
//! nothing, and a write without credentials is refused. Skipped without Chromium.

use std::net::SocketAddr;

use serde_json::{Value, json};

use crate::controls::{RECORDING, get, put, request};
use crate::players::{cdp_samples, chromium_samples};
use crate::support::Server;

/// The page at `url` in Chromium, sampled at each of `samples` (`cdp.py`'s: seconds or
/// `until:EXPR`, where EXPR may act as a user would first); `None` without Chromium.
fn page(url: &str, name: &str, options: &[&str], samples: &[&str]) -> Option<Vec<Value>> {
    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.png"));
    let samples: Vec<String> = samples.iter().map(ToString::to_string).collect();
    let found = cdp_samples(options, url, &shot, &samples);
    eprintln!("screenshot: {}", shot.display());
    found
}

/// Until the panel shows the controls read from the server.
const PANEL_READY: &str = "until:document.querySelector('[data-control]') !== null";

/// A user's change of the control `name` in the panel (the value set, then a `change`
/// event, as a slider, switch or menu sends when let go), done once.
fn change(name: &str, value: &str) -> String {
    format!(
        "(() => {{ const i = document.querySelector('[data-control={name}]'); \
         if (i.type === 'checkbox') i.checked = {value}; else i.value = '{value}'; \
         i.dispatchEvent(new Event('change')); return true; }})()"
    )
}

/// pi-server with the 320x240 test pattern and `extra` flags.
fn pattern_server(extra: &[&str]) -> Server {
    let mut args = vec!["--source", "test", "--size", "320x240"];
    args.extend_from_slice(extra);
    Server::start(&args)
}

fn stats(addr: SocketAddr) -> Value {
    request(addr, "GET", "/stats", &[], "").json()
}

/// The rate target from the page: switched on and moved to 300 kbit/s, the server holds
/// it, and both `/stats` and the page's own figures say so. How long that took is printed
/// (a figure of this machine, not a requirement).
#[test]
fn the_target_slider_changes_the_rate_that_stats_and_the_page_report() {
    let server = pattern_server(&["--fps", "24", "--open-controls"]);
    let act = format!(
        "until:(window.moved || (window.moved = {} && {})) && \
         (document.body.dataset.rate = document.getElementById('rate').textContent) \
         .startsWith('300 kbit/s') && document.body.dataset.rate.includes('(on target)')",
        change("target", "true"),
        change("target_kbps", "300"),
    );
    let Some(samples) = page(
        &server.url("/"),
        "chromium-controls-target",
        &[],
        &[PANEL_READY, &act],
    ) else {
        return;
    };
    let (before, after) = (&samples[0], &samples[1]);
    let rate = after["data"]["rate"].as_str().unwrap_or_default();
    assert!(
        rate.starts_with("300 kbit/s") && rate.contains("(on target)"),
        "{after}"
    );
    let values: Value = serde_json::from_str(after["data"]["controls"].as_str().unwrap()).unwrap();
    assert_eq!(
        (&values["target"], &values["target_kbps"]),
        (&json!(true), &json!(300))
    );
    let s = stats(server.addr);
    assert_eq!(s["rate_control"]["target_kbps"], json!(300.0), "{s}");
    eprintln!(
        "the page showed 300 kbit/s on target {:.1} s after the slider moved; /stats: {} kbit/s",
        after["t"].as_f64().unwrap() - before["t"].as_f64().unwrap(),
        s["kbps_source"]
    );
}

/// Rotation 90 from the page's menu: the picture turns (the frame-number strip, read at
/// the bottom of the picture before, is no longer there) and the image is portrait.
#[test]
fn rotation_from_the_page_turns_the_picture() {
    let server = pattern_server(&["--fps", "10", "--open-controls"]);
    let act = format!(
        "until:(window.moved || (window.moved = {})) && \
         document.getElementById('live').naturalWidth === 240",
        change("rotation", "90")
    );
    let ready = "until:document.querySelector('[data-control]') !== null && \
                 document.getElementById('live').naturalWidth === 320";
    let Some(samples) = page(
        &server.url("/"),
        "chromium-controls-rotation",
        &["--frames"],
        &[ready, &act, "until:true"],
    ) else {
        return;
    };
    assert!(
        samples[0]["frame"]["shown"].is_u64(),
        "the strip at the bottom: {}",
        samples[0]
    );
    let last = &samples[2];
    assert_eq!(last["natural"], json!([240, 320]), "{last}");
    assert!(
        last["frame"]["shown"].is_null(),
        "no strip at the bottom any more: {last}"
    );
    assert_eq!(get(server.addr).value("rotation"), json!(90));
}

/// A page of another origin (another server's page, on another port) tries both ways a
/// page can send: a JSON request, which needs a CORS preflight that pi-server does not
/// allow, and a "simple" one, which arrives but carries the other origin. Nothing changes.
#[test]
fn a_page_of_another_origin_changes_nothing() {
    let target = pattern_server(&["--open-controls"]);
    let other = Server::start(&["--source", "test", "--size", "160x120"]);
    let url = target.url("/api/controls");
    let attack = format!(
        "until:(window.tried || (window.tried = (() => {{ const d = document.body.dataset; \
         fetch('{url}', {{method: 'PUT', headers: {{'Content-Type': 'application/json'}}, \
           body: '{{\"quality\": 20}}'}}).then(r => d.json = 'status ' + r.status, \
           e => d.json = 'refused: ' + e); \
         fetch('{url}', {{method: 'POST', mode: 'no-cors', headers: {{'Content-Type': 'text/plain'}}, \
           body: '{{\"quality\": 21}}'}}).then(r => d.simple = 'sent', e => d.simple = 'refused: ' + e); \
         return true; }})())) && document.body.dataset.json && document.body.dataset.simple"
    );
    let Some(samples) = page(
        &other.url("/"),
        "chromium-controls-cross-origin",
        &[],
        &[&attack],
    ) else {
        return;
    };
    let data = &samples[0]["data"];
    assert!(
        data["json"]
            .as_str()
            .is_some_and(|j| j.starts_with("refused")),
        "the preflight is not allowed: {data}"
    );
    assert_eq!(get(target.addr).value("quality"), json!(80), "{data}");
    let log: Vec<String> = target.log.try_iter().collect();
    assert!(
        !log.iter().any(|l| l.contains("controls changed")),
        "{log:#?}"
    );
}

/// With a token configured, the page opened with it reads and changes the controls (its
/// requests carry the token); the same write without it gets 401. (A token alone: with
/// Basic credentials configured too, a 401 asks the browser for a password, which a
/// headless one would wait for.)
#[test]
fn a_write_without_credentials_gets_401_and_the_pages_token_is_enough() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let token_file = dir.join(format!("e2e-controls-token-{}", std::process::id()));
    let token = "c0ntrols-t0ken_for.the-page";
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    let server = pattern_server(&["--token-file", token_file.to_str().unwrap()]);
    let bare = "until:(window.tried || (window.tried = (fetch('/api/controls', {method: 'PUT', \
                headers: {'Content-Type': 'application/json'}, body: '{\"quality\": 20}'}) \
                .then(r => document.body.dataset.bare = String(r.status)), true))) \
                && document.body.dataset.bare";
    let act = format!(
        "until:(window.moved || (window.moved = {})) && \
         JSON.parse(document.body.dataset.controls || '{{}}').rotation === 180",
        change("rotation", "180")
    );
    let samples = page(
        &server.url(&format!("/?token={token}")),
        "chromium-controls-login",
        &[],
        &[bare, PANEL_READY, &act],
    );
    let _ = std::fs::remove_file(&token_file);
    let Some(samples) = samples else {
        return;
    };
    assert_eq!(samples[0]["data"]["bare"], "401", "{}", samples[0]);
    assert_eq!(put(server.addr, r#"{"quality": 20}"#, &[]).status, 401);
    let bearer = format!("Authorization: Bearer {token}");
    let read = request(server.addr, "GET", "/api/controls", &[&bearer], "");
    assert_eq!(read.value("rotation"), json!(180), "the page's write took");
}

/// Chromium honours the EXIF orientation of each part of the stream in the page's `<img>`:
/// a 320x240 recording turned by 90° shows as a 240x320 picture, with no re-encoding; the
/// test pattern, turned in the encoder, shows the same.
#[test]
fn chromium_shows_a_passed_through_stream_turned_by_its_exif_mark() {
    let file = Server::start(&["--source", RECORDING, "--open-controls"]);
    let pattern = pattern_server(&["--open-controls"]);
    for (server, name) in [(&file, "exif"), (&pattern, "encoded")] {
        assert_eq!(put(server.addr, r#"{"rotation": 90}"#, &[]).status, 200);
        let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("chromium-rotation-{name}.png"));
        let Some(samples) = chromium_samples(&server.url("/"), &shot, &[2.0]) else {
            return;
        };
        assert_eq!(
            samples[0]["natural"],
            json!([240, 320]),
            "{name}: {}",
            samples[0]
        );
        eprintln!("screenshot: {}", shot.display());
    }
}
