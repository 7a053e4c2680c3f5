//! Decode plus texture-ready conversion (JPEG → egui `ColorImage`, RGBA), at 640x480 and
//! 1920x1080: zune-jpeg straight into the texture's pixels (what the viewer does) against
//! the `image` crate's decode followed by the conversion egui needs.
//!
//! Run: `cargo bench -p desktop-viewer --bench decode`.

#![allow(clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use desktop_viewer::decode::decode_rgba;
use eframe::egui::ColorImage;

#[path = "support/synthetic.rs"]
mod synthetic;

/// What a viewer built on `image` would do: decode to an image, expand to RGBA, copy into
/// a `ColorImage`.
fn decode_with_image(jpeg: &[u8]) -> ColorImage {
    let img = image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg)
        .expect("the synthetic JPEG decodes");
    let rgba = img.to_rgba8();
    ColorImage::from_rgba_unmultiplied(
        [rgba.width() as usize, rgba.height() as usize],
        rgba.as_raw(),
    )
}

fn bench(c: &mut Criterion) {
    for (w, h) in [(640, 480), (1920, 1080)] {
        // Quality 85: what rpicam-vid and pi-server's test source produce by default-ish.
        let jpeg = synthetic::jpeg(w, h, 0.0, 85);
        let mut group = c.benchmark_group(format!("decode_to_rgba/{w}x{h}"));
        group.throughput(Throughput::Elements(1));
        // The viewer's path: zune-jpeg into a recycled pixel buffer.
        let mut spare = Vec::new();
        group.bench_function("zune-jpeg (viewer)", |b| {
            b.iter(|| {
                let img = decode_rgba(black_box(&jpeg), std::mem::take(&mut spare))
                    .expect("the synthetic JPEG decodes");
                spare = black_box(img).pixels;
            });
        });
        // zune-jpeg with a fresh buffer each frame: the cost of not recycling.
        group.bench_function("zune-jpeg (fresh buffer)", |b| {
            b.iter(|| black_box(decode_rgba(black_box(&jpeg), Vec::new())));
        });
        group.bench_function("image 0.25 + to_rgba8 + ColorImage", |b| {
            b.iter(|| black_box(decode_with_image(black_box(&jpeg))));
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
