//! What a camera frame costs the capture thread: MJPEG passed through versus raw YUYV
//! encoded, per frame.
//!
//! `cargo bench -p pi-server --bench capture`. The pass-through path copies the buffer out
//! of the driver's memory, checks the Huffman tables (inserting the standard ones for an
//! AVI1 webcam frame) and reads the frame header; the encode path runs the raw frame through
//! `jpeg-encoder` as YCbCr rows. Frames are the test pattern, turned into YUYV and into a
//! JPEG, so that both paths see the same picture. Figures are in docs/benchmarks.md.

// A benchmark that cannot run has nothing to measure: failing loudly is right here.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::time::SystemTime;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pi_server::Size;
use pi_server::broadcast::Broadcast;
use pi_server::publish::{Publisher, Settings};
use pi_server::source::JpegEncoder;
use pi_server::source::pattern::Pattern;
use pi_server::source::raw::{RawFormat, RawFrame};

const QUALITY: u8 = 80;
const SIZES: [(u16, u16); 2] = [(640, 480), (1280, 720)];

fn publisher() -> Publisher {
    let settings = Settings {
        quality: QUALITY,
        ..Settings::default()
    };
    Publisher::new(
        Broadcast::new(mjpeg_wire::multipart::Writer::default()),
        &settings,
        30,
    )
}

/// The pattern as limited-range YUYV, as a webcam would send it.
fn yuyv(canvas: &Pattern) -> Vec<u8> {
    let limited = |v: u8, range: u32| (16 + u32::from(v) * range / 255) as u8;
    let mut out = Vec::with_capacity(canvas.rgb().len() / 3 * 2);
    for pair in canvas.rgb().chunks_exact(6) {
        let (y0, u, v) = jpeg_encoder::rgb_to_ycbcr(pair[0], pair[1], pair[2]);
        let (y1, _, _) = jpeg_encoder::rgb_to_ycbcr(pair[3], pair[4], pair[5]);
        out.extend_from_slice(&[
            limited(y0, 219),
            limited(u, 224),
            limited(y1, 219),
            limited(v, 224),
        ]);
    }
    out
}

fn capture(c: &mut Criterion) {
    for (w, h) in SIZES {
        let mut canvas = Pattern::new(Size {
            width: w,
            height: h,
        });
        canvas.draw(1234, SystemTime::now(), Some("CAMERA"));
        let raw = yuyv(&canvas);
        let jpeg = JpegEncoder::new()
            .encode_rgb(canvas.rgb(), w, h, QUALITY)
            .unwrap();
        let mut group = c.benchmark_group(format!("capture {w}x{h}"));
        group.throughput(Throughput::Elements(1));

        let publisher = publisher();
        group.bench_function(
            format!("MJPEG pass-through ({} KB)", jpeg.len() / 1000),
            |b| {
                b.iter(|| {
                    publisher
                        .publish_jpeg(Bytes::copy_from_slice(black_box(&jpeg)), SystemTime::now())
                        .unwrap()
                })
            },
        );

        let mut encoder = JpegEncoder::new();
        group.bench_function("YUYV encoded", |b| {
            b.iter(|| {
                let frame = RawFrame::new(RawFormat::Yuyv, black_box(&raw), w, h, 0, true).unwrap();
                let jpeg = encoder.encode_raw(frame, QUALITY).unwrap();
                publisher.publish_valid(jpeg, SystemTime::now(), (w, h))
            })
        });
        group.finish();
    }

    // A webcam frame without Huffman tables: the pass-through path inserts them.
    let fixture = include_bytes!("../../shared/tests/fixtures/webcam-avi1-no-dht.mjpg");
    let mut splitter = mjpeg_wire::jpeg::Splitter::new();
    splitter.push(Bytes::from_static(fixture));
    let frame = splitter.next_frame().unwrap().unwrap();
    let publisher = publisher();
    c.bench_function(
        "capture 320x240 MJPEG pass-through, AVI1 without DHT",
        |b| {
            b.iter(|| {
                publisher
                    .publish_jpeg(Bytes::copy_from_slice(black_box(&frame)), SystemTime::now())
                    .unwrap()
            })
        },
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = capture
}
criterion_main!(benches);
