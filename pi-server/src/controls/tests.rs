//! The controls' behaviour as a client of `/api/controls` sees it, without HTTP.

use mjpeg_wire::multipart::Writer;
use serde_json::{Value, json};

use super::*;
use crate::broadcast::Broadcast;
use crate::size::Size;
use crate::source::orient::Rotation;

const PATTERN: Capabilities = Capabilities {
    encodes: true,
    orients: true,
    resizes: true,
    paced: true,
};

fn controls_with(caps: Capabilities, settings: &Settings) -> (Controls, Publisher) {
    let publisher = Publisher::new(Broadcast::new(Writer::default()), &Default::default(), 24);
    let defaults = StreamSettings::configured(&Default::default(), &Default::default());
    let controls = Controls::new(publisher.clone(), caps, None, defaults, 30, settings);
    (controls, publisher)
}

fn value(list: &[Control], name: &str) -> Value {
    list.iter()
        .find(|c| c.name == name)
        .map(|c| c.value.clone())
        .unwrap_or_else(|| panic!("no control {name}"))
}

#[test]
fn a_change_reaches_the_rate_gate_and_the_source_at_once() {
    let (controls, publisher) = controls_with(PATTERN, &Settings::default());
    let list = controls
        .set_json(
            br#"{"quality": 55, "fps": 10, "rotation": 270, "hflip": true, "size": "320x240"}"#,
        )
        .unwrap();
    assert_eq!(value(&list, "quality"), json!(55));
    assert_eq!(publisher.gate().quality(), 55);
    assert_eq!(publisher.gate().fps(), 10);
    let picture = *publisher.watch_picture().borrow();
    assert_eq!(picture.orientation.rotation, Rotation::Left);
    assert!(picture.orientation.hflip && !picture.orientation.vflip);
    assert_eq!(
        picture.size,
        Some(Size {
            width: 320,
            height: 240
        })
    );
    // The target: off by default, on with its value, off again.
    assert!(publisher.gate().report().is_none());
    controls
        .set_json(br#"{"target": true, "target_kbps": 400}"#)
        .unwrap();
    assert_eq!(
        publisher.gate().report().map(|r| r.target_kbps),
        Some(400.0)
    );
    controls.set_json(br#"{"target": false}"#).unwrap();
    assert!(publisher.gate().report().is_none());
}

#[test]
fn a_request_with_one_bad_value_changes_nothing() {
    let (controls, publisher) = controls_with(PATTERN, &Settings::default());
    let before = controls.list();
    for (body, control) in [
        (&br#"{"quality": 50, "fps": 500}"#[..], Some("fps")),
        (br#"{"quality": 50, "rotation": 45}"#, Some("rotation")),
        (br#"{"quality": 50, "hflip": "yes"}"#, Some("hflip")),
        (br#"{"quality": 50, "brightness": 5}"#, Some("brightness")),
        (br#"{"quality": 50"#, None),
        (br#"[1, 2]"#, None),
    ] {
        let e = controls.set_json(body).unwrap_err();
        assert_eq!(e.control(), control, "{e}");
        assert_eq!(e.status(), http::StatusCode::BAD_REQUEST);
    }
    assert_eq!(controls.list(), before);
    assert_eq!(publisher.gate().quality(), 80);
    let unknown = controls.set_json(br#"{"brightness": 5}"#).unwrap_err();
    assert!(
        unknown
            .to_string()
            .contains("controls are: quality, target"),
        "{unknown}"
    );
}

#[test]
fn null_and_the_reset_list_restore_defaults() {
    let (controls, _) = controls_with(PATTERN, &Settings::default());
    controls
        .set_json(br#"{"quality": 40, "rotation": 90, "vflip": true}"#)
        .unwrap();
    let list = controls.set_json(br#"{"quality": null}"#).unwrap();
    assert_eq!(value(&list, "quality"), json!(80));
    assert_eq!(value(&list, "rotation"), json!(90));
    let list = controls.reset_json(br#"["rotation"]"#).unwrap();
    assert_eq!(value(&list, "rotation"), json!(0));
    assert_eq!(value(&list, "vflip"), json!(true));
    let list = controls.reset_json(b"[]").unwrap();
    assert!(list.iter().all(|c| c.value == c.default));
    assert!(controls.reset_json(br#"{"rotation": 0}"#).is_err());
}

#[test]
fn a_source_without_a_capability_refuses_its_controls() {
    // A pipe passes its frames through: no quality or size to set.
    let (controls, _) = controls_with(Capabilities::default(), &Settings::default());
    let e = controls.set_json(br#"{"quality": 90}"#).unwrap_err();
    assert!(matches!(e, ControlError::Unknown { .. }), "{e}");
    assert!(controls.set_json(br#"{"target": true}"#).is_ok());
}

#[test]
fn saved_changes_are_applied_again_by_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        state_file: Some(dir.path().join("pi.controls.json")),
    };
    let (controls, _) = controls_with(PATTERN, &settings);
    controls
        .set_json(br#"{"rotation": 180, "quality": 80, "target": true}"#)
        .unwrap();
    // Only what differs from the defaults is kept.
    let saved = state_file::load(dir.path().join("pi.controls.json").as_path()).unwrap();
    assert_eq!(
        Value::Object(saved),
        json!({"rotation": 180, "target": true})
    );
    let (again, publisher) = controls_with(PATTERN, &settings);
    let list = again.list();
    assert_eq!(value(&list, "rotation"), json!(180));
    assert_eq!(value(&list, "target"), json!(true));
    assert!(publisher.gate().report().is_some());
    // A saved control the source no longer has is skipped, the rest applied.
    std::fs::write(
        dir.path().join("pi.controls.json"),
        r#"{"brightness": 3, "vflip": true}"#,
    )
    .unwrap();
    let (third, _) = controls_with(PATTERN, &settings);
    assert_eq!(value(&third.list(), "vflip"), json!(true));
}
