//! Sources: recordings (multipart, raw JPEGs, directories), `exec:`, and errors at start.

use std::path::PathBuf;

use pi_server::source::{FileSource, SourceError};
use pi_server::{Config, Error, SourceSpec};

use crate::support::{Server, decode, fixture, jpegs, next_part, open_stream, pattern_config};

fn config(source: SourceSpec) -> Config {
    let mut config = pattern_config();
    config.source.spec = source;
    config
}

#[tokio::test]
async fn a_recorded_mjpg_capture_is_replayed_frame_by_frame() {
    // The original recipe's stream as captured, boundary FRAME, with its empty first part.
    let path = fixture("seed-recipe.body");
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture("expected.json")).unwrap()).unwrap();
    let frames = expected["seed-recipe"]["frames"].as_u64().unwrap() as usize;
    assert_eq!(FileSource::open(&path).unwrap().len(), frames);

    let server = Server::start(config(SourceSpec::File(path))).await;
    let (_, mut parts) = open_stream(&server.url("/stream.mjpg")).await;
    for _ in 0..3 {
        let part = next_part(&mut parts).await;
        assert_eq!(decode(part.body()), (640, 480));
    }
    let stats = server.stats().await;
    assert!(
        stats["source"]
            .as_str()
            .unwrap()
            .contains("multipart capture"),
        "{stats}"
    );
}

#[tokio::test]
async fn a_raw_concatenated_jpeg_file_is_split_and_looped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("camera.mjpeg");
    let frames = jpegs(&[(64, 48), (96, 64), (128, 96)]);
    std::fs::write(&path, frames.concat()).unwrap();

    let server = Server::start(config(SourceSpec::File(path))).await;
    let (_, mut parts) = open_stream(&server.url("/stream.mjpg")).await;
    let mut sizes = Vec::new();
    // Two turns of the loop: every frame comes back whole and unchanged.
    for _ in 0..6 {
        let part = next_part(&mut parts).await;
        assert!(
            frames.contains(part.body()),
            "a frame of the file, byte for byte"
        );
        sizes.push(decode(part.body()));
    }
    for size in [(64, 48), (96, 64), (128, 96)] {
        assert!(sizes.contains(&size), "{size:?} in {sizes:?}");
    }
}

#[tokio::test]
async fn a_directory_of_jpegs_plays_in_name_order() {
    let dir = tempfile::tempdir().unwrap();
    let frames = jpegs(&[(32, 32), (48, 32)]);
    std::fs::write(dir.path().join("b.jpg"), &frames[1]).unwrap();
    std::fs::write(dir.path().join("a.JPG"), &frames[0]).unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"not a frame").unwrap();
    let source = FileSource::open(dir.path()).unwrap();
    assert_eq!(source.len(), 2);

    let server = Server::start(config(SourceSpec::File(dir.path().into()))).await;
    let (_, mut parts) = open_stream(&server.url("/stream.mjpg")).await;
    let a = next_part(&mut parts).await;
    let b = next_part(&mut parts).await;
    assert!(frames.contains(a.body()) && frames.contains(b.body()));
}

#[tokio::test]
async fn exec_reads_a_raw_mjpeg_stream_from_a_command() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rpicam.mjpeg");
    let frames = jpegs(&[(80, 60), (80, 60), (80, 60)]);
    std::fs::write(&path, frames.concat()).unwrap();
    // `cat` writes the frames and exits; the source restarts it, so frames keep coming.
    let command = format!("cat '{}'", path.display());
    let server = Server::start(config(SourceSpec::Exec(command))).await;
    let (_, mut parts) = open_stream(&server.url("/stream.mjpg")).await;
    for _ in 0..2 {
        let part = next_part(&mut parts).await;
        assert!(frames.contains(part.body()));
        assert_eq!(decode(part.body()), (80, 60));
    }
}

#[tokio::test]
async fn drop_same_frames_skips_repeats_of_a_still_picture() {
    let dir = tempfile::tempdir().unwrap();
    let frames = jpegs(&[(80, 60), (64, 48)]);
    let (still, last) = (dir.path().join("still.jpg"), dir.path().join("last.jpg"));
    std::fs::write(&still, &frames[0]).unwrap();
    std::fs::write(&last, &frames[1]).unwrap();
    // 40 copies of one picture over about a second, then a different one, then silence.
    let command = format!(
        "sh -c 'for i in $(seq 40); do cat {}; sleep 0.025; done; cat {}; sleep 60'",
        still.display(),
        last.display()
    );
    let server = Server::start({
        let mut config = config(SourceSpec::Exec(command));
        config.publish.drop_same_frames = true;
        config
    })
    .await;
    let (_, mut parts) = open_stream(&server.url("/stream.mjpg")).await;
    let mut received = 0;
    loop {
        let part = next_part(&mut parts).await;
        received += 1;
        if decode(part.body()) == (64, 48) {
            break;
        }
    }
    // The still picture went out once, plus one keepalive a second: not 40 times.
    let published = server.source_frames().await;
    assert!(published <= 5, "{published} frames published of 41 written");
    assert!(received <= 5, "{received} frames received");
}

async fn run_error(source: SourceSpec) -> Error {
    let listener = pi_server::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    pi_server::run(listener, config(source), std::future::pending())
        .await
        .unwrap_err()
}

#[tokio::test]
async fn an_unreadable_file_stops_the_start_with_a_user_error() {
    let err = run_error(SourceSpec::File(PathBuf::from("/nonexistent/cam.mjpg"))).await;
    assert!(matches!(err, Error::Source(SourceError::Unreadable { .. })));
    assert!(err.is_user_error());
    assert!(err.to_string().contains("/nonexistent/cam.mjpg"), "{err}");
}

#[tokio::test]
async fn a_command_that_cannot_start_stops_the_start_with_a_user_error() {
    let err = run_error(SourceSpec::Exec("/nonexistent/rpicam-vid -o -".into())).await;
    assert!(matches!(
        err,
        Error::Source(SourceError::CommandStart { .. })
    ));
    assert!(err.is_user_error());
    assert!(err.to_string().contains("rpicam-vid"), "{err}");
}

#[tokio::test]
async fn a_port_in_use_is_named_and_another_is_suggested() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let err = pi_server::bind(addr).unwrap_err();
    assert!(matches!(err, Error::AddrInUse { .. }));
    assert!(err.is_user_error());
    let message = err.to_string();
    assert!(message.contains(&addr.port().to_string()), "{message}");
    assert!(message.contains("--listen"), "{message}");
}

#[tokio::test]
async fn stdin_reads_a_raw_mjpeg_stream_piped_into_the_binary() {
    use std::process::Stdio;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_pi-server"))
        .args(["--listen", "127.0.0.1:0", "--source", "stdin"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // The log says where the stream is; the port was chosen by the system.
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("the server logs its URL");
        if let Some(at) = line.find("stream at ") {
            let rest = &line[at + "stream at ".len()..];
            break rest[..rest.find(',').unwrap()].to_string();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

    let (_, mut parts) = open_stream(&url).await;
    let frame = jpegs(&[(72, 40)]).remove(0);
    let mut stdin = child.stdin.take().unwrap();
    // Written in small pieces, as a pipe delivers them: the splitter joins them again.
    for _ in 0..3 {
        for piece in frame.chunks(1000) {
            stdin.write_all(piece).await.unwrap();
        }
    }
    stdin.flush().await.unwrap();
    let part = next_part(&mut parts).await;
    assert_eq!(part.body(), &frame);
    assert_eq!(decode(part.body()), (72, 40));
    child.kill().await.unwrap();
}
