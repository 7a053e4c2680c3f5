//! Parse throughput: 256 MiB of 640x480-sized parts (about 40 KB each) fed in 64 KiB
//! chunks, with and without Content-Length; ours and `multipart-stream` side by side.
//!
//! Run: `cargo bench -p mjpeg-wire --bench parse`. Figures go to `docs/benchmarks.md`.

use std::hint::black_box;
use std::time::UNIX_EPOCH;

use bytes::{BufMut, Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures_util::StreamExt;
use mjpeg_wire::multipart::{Parser, Writer};

const TOTAL: usize = 256 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;
const PART: usize = 40 * 1000;

/// A multipart body of about `TOTAL` bytes, already cut into `CHUNK`-sized `Bytes` (slices
/// of one buffer, as a network read would hand them over).
fn body(writer: &Writer) -> (Vec<Bytes>, usize) {
    // Pseudo-random JPEG-like bodies that vary in size like real frames do.
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut out = BytesMut::with_capacity(TOTAL + PART * 2);
    out.put(writer.opening());
    let mut parts = 0;
    while out.len() < TOTAL {
        let len = PART - 2000 + (parts * 37 % 4000);
        let mut jpeg = Vec::with_capacity(len);
        jpeg.extend([0xFF, 0xD8]);
        while jpeg.len() < len - 2 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            jpeg.extend_from_slice(&seed.to_le_bytes());
        }
        jpeg.truncate(len - 2);
        jpeg.extend([0xFF, 0xD9]);
        writer.write_part(&mut out, &jpeg, UNIX_EPOCH);
        parts += 1;
    }
    let all = out.freeze();
    let chunks = (0..all.len())
        .step_by(CHUNK)
        .map(|i| all.slice(i..(i + CHUNK).min(all.len())))
        .collect();
    (chunks, parts)
}

fn ours(chunks: &[Bytes]) -> usize {
    let mut parser = Parser::new(Some("FRAME"));
    let mut n = 0;
    for chunk in chunks {
        parser.push(chunk.clone());
        while let Ok(Some(part)) = parser.next_part() {
            n += black_box(part.body().len()).min(1);
        }
    }
    n
}

fn multipart_stream(rt: &tokio::runtime::Runtime, chunks: &[Bytes]) -> usize {
    let input = futures_util::stream::iter(chunks.iter().cloned().map(Ok::<_, std::io::Error>));
    rt.block_on(async {
        let mut parts = std::pin::pin!(multipart_stream::parse(input, "FRAME"));
        let mut n = 0;
        while let Some(Ok(part)) = parts.next().await {
            n += black_box(part.body.len()).min(1);
        }
        n
    })
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    for content_length in [true, false] {
        let writer = Writer::default().with_content_length(content_length);
        let (chunks, parts) = body(&writer);
        let bytes: usize = chunks.iter().map(Bytes::len).sum();
        let label = if content_length {
            "with Content-Length"
        } else {
            "without Content-Length (scan)"
        };
        let mut group = c.benchmark_group(format!("parse 256 MiB, 40 KB parts, {label}"));
        group.throughput(Throughput::Bytes(bytes as u64));
        group.sample_size(10);
        assert_eq!(ours(&chunks), parts, "ours finds every part");
        group.bench_function("mjpeg-wire", |b| b.iter(|| ours(&chunks)));
        // multipart-stream refuses parts without Content-Length, so it runs only with it.
        if content_length {
            assert_eq!(multipart_stream(&rt, &chunks), parts);
            group.bench_function("multipart-stream", |b| {
                b.iter(|| multipart_stream(&rt, &chunks))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
