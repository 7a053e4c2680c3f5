//! Which JPEG encoder keeps the test pattern at 30 fps on one core, and what drawing costs.
//!
//! `cargo bench -p pi-server --bench encode` measures `jpeg-encoder` (pi-server's default)
//! and `image`; add `--features turbojpeg` (builds libjpeg-turbo: needs cmake and nasm) for
//! libjpeg-turbo, which pi-server then uses too. Each encodes the same pattern frame at quality
//! 80 with 4:2:0 sampling, as the server does. Figures are in docs/benchmarks.md.

// A benchmark that cannot encode has nothing to measure: failing loudly is right here.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::time::SystemTime;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pi_server::Size;
use pi_server::source::JpegEncoder;
use pi_server::source::pattern::Pattern;

const QUALITY: u8 = 80;
const SIZES: [(u16, u16); 2] = [(640, 480), (1280, 720)];

fn frame(width: u16, height: u16) -> Pattern {
    let mut canvas = Pattern::new(Size { width, height });
    canvas.draw(1234, SystemTime::now(), Some("NO CAMERA - TEST PATTERN"));
    canvas
}

fn encoders(c: &mut Criterion) {
    for (w, h) in SIZES {
        let canvas = frame(w, h);
        let rgb = canvas.rgb();
        let mut group = c.benchmark_group(format!("encode {w}x{h}"));
        group.throughput(Throughput::Elements(1));

        let mut ours = JpegEncoder::new();
        group.bench_function(format!("pi-server ({})", JpegEncoder::BACKEND), |b| {
            b.iter(|| ours.encode_rgb(black_box(rgb), w, h, QUALITY).unwrap())
        });

        group.bench_function("jpeg-encoder", |b| {
            b.iter(|| {
                let mut out = Vec::with_capacity(64 * 1024);
                jpeg_encoder::Encoder::new(&mut out, QUALITY)
                    .encode(black_box(rgb), w, h, jpeg_encoder::ColorType::Rgb)
                    .unwrap();
                out
            })
        });

        group.bench_function("image", |b| {
            b.iter(|| {
                let mut out = Vec::with_capacity(64 * 1024);
                let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, QUALITY);
                image::ImageEncoder::write_image(
                    enc,
                    black_box(rgb),
                    u32::from(w),
                    u32::from(h),
                    image::ExtendedColorType::Rgb8,
                )
                .unwrap();
                out
            })
        });

        #[cfg(feature = "turbojpeg")]
        group.bench_function("turbojpeg", |b| {
            let mut compressor = turbojpeg::Compressor::new().unwrap();
            compressor.set_quality(i32::from(QUALITY)).unwrap();
            compressor.set_subsamp(turbojpeg::Subsamp::Sub2x2).unwrap();
            b.iter(|| {
                let image = turbojpeg::Image {
                    pixels: black_box(rgb),
                    width: usize::from(w),
                    pitch: usize::from(w) * 3,
                    height: usize::from(h),
                    format: turbojpeg::PixelFormat::RGB,
                };
                compressor.compress_to_vec(image).unwrap()
            })
        });
        group.finish();
    }
}

fn drawing(c: &mut Criterion) {
    for (w, h) in SIZES {
        let mut canvas = Pattern::new(Size {
            width: w,
            height: h,
        });
        let mut n = 0u64;
        c.bench_function(&format!("draw pattern {w}x{h}"), |b| {
            b.iter(|| {
                n += 1;
                canvas.draw(n, SystemTime::now(), Some("NO CAMERA - TEST PATTERN"));
            })
        });
    }
}

criterion_group!(benches, encoders, drawing);
criterion_main!(benches);
