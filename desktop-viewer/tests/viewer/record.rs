//! Recordings (key R) are multipart files that the shared parser and the JPEG splitter (what
//! pi-server's `file:` source uses) read back frame for frame.

use desktop_viewer::pipeline::Pipeline;
use mjpeg_wire::jpeg::Splitter;
use mjpeg_wire::multipart::Parser;

use crate::pipeline::{test_config, wait_for};
use crate::replay::{After, Behavior, FIXTURE_FRAMES, ReplayServer, SEED_RECIPE};

#[test]
fn a_recording_plays_back_frame_for_frame() {
    let dir = tempfile::tempdir().unwrap();
    let server = ReplayServer::start(vec![
        Behavior::Status(503),
        Behavior::Fixture {
            name: SEED_RECIPE,
            then: After::Hang,
        },
    ]);
    // Start recording before the first frame: the first attempt gets a 503.
    let p = Pipeline::start(test_config(&server.url()), || {}).unwrap();
    let path = p.start_recording(dir.path()).unwrap();
    assert!(p.is_recording());
    wait_for(&p, "the capture", |v| v.totals.frames >= FIXTURE_FRAMES);
    let summary = p.stop_recording().unwrap().unwrap();
    assert!(!p.is_recording());
    assert_eq!(summary.path, path);
    assert_eq!(summary.frames, FIXTURE_FRAMES);
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("recording-") && name.ends_with(".mjpg"),
        "{name}"
    );

    let data = bytes::Bytes::from(std::fs::read(&path).unwrap());
    let mut parser = Parser::new(Some("FRAME"));
    parser.push(data.clone());
    let mut parts = 0;
    while let Some(part) = parser.next_part().unwrap() {
        assert_eq!(&part.body()[..2], b"\xff\xd8");
        assert!(part.timestamp().is_some(), "X-Timestamp is kept");
        parts += 1;
    }
    assert_eq!(parts, FIXTURE_FRAMES);
    parser
        .finish()
        .expect("a recording ends cleanly after its last delimiter");

    let mut splitter = Splitter::new();
    splitter.push(data);
    let mut frames = 0;
    while splitter.next_frame().unwrap().is_some() {
        frames += 1;
    }
    assert_eq!(
        frames, FIXTURE_FRAMES,
        "pi-server's file: source reads it too"
    );
}
