//! Writes a synthetic MJPEG capture (`.mjpg`, multipart as pi-server and the recorder
//! write it) for load tests: `cargo run --release -p desktop-viewer --example
//! synthetic_mjpg -- OUT.mjpg WIDTH HEIGHT FRAMES`. Serve it with pi-server's
//! `--source file:OUT.mjpg --fps 30`.

#![allow(clippy::expect_used)]

use std::io::Write;
use std::time::{Duration, SystemTime};

use bytes::BytesMut;
use mjpeg_wire::multipart::Writer;

#[path = "../benches/support/synthetic.rs"]
mod synthetic;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, out, w, h, n] = &args[..] else {
        eprintln!("usage: synthetic_mjpg OUT.mjpg WIDTH HEIGHT FRAMES");
        std::process::exit(2);
    };
    let (w, h, n): (usize, usize, usize) = (
        w.parse().expect("WIDTH is a number"),
        h.parse().expect("HEIGHT is a number"),
        n.parse().expect("FRAMES is a number"),
    );
    let writer = Writer::default();
    let mut buf = BytesMut::new();
    buf.extend_from_slice(&writer.opening());
    let start = SystemTime::now();
    let mut bytes = 0;
    for i in 0..n {
        let t = i as f32 / 30.0;
        let jpeg = synthetic::jpeg(w, h, t * 8.0, 85);
        bytes += jpeg.len();
        writer.write_part(&mut buf, &jpeg, start + Duration::from_secs_f32(t));
    }
    let mut file = std::fs::File::create(out).expect("the output file can be created");
    file.write_all(&buf)
        .expect("the output file can be written");
    eprintln!(
        "{out}: {n} frames of {w}x{h}, {:.1} KB a frame on average",
        bytes as f64 / n as f64 / 1000.0
    );
}
