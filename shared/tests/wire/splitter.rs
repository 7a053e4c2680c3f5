//! The JPEG splitter on whole streams, cut into pieces of every size.

use bytes::Bytes;
use mjpeg_wire::jpeg::Splitter;
use proptest::prelude::*;

/// Splits `raw` fed in `chunk`-byte pieces; panics on any error.
pub fn split(raw: &[u8], chunk: usize) -> Vec<Bytes> {
    let mut s = Splitter::new();
    let mut frames = Vec::new();
    for piece in raw.chunks(chunk.max(1)) {
        s.push(Bytes::copy_from_slice(piece));
        while let Some(f) = s.next_frame().expect("no split error") {
            frames.push(f);
        }
    }
    s.finish().expect("ends between frames");
    frames
}

/// A structurally valid JPEG: SOI, APP segments (one may hold a whole thumbnail JPEG with
/// its own FFD9), SOS and entropy-coded data with stuffed FFs and restart markers, EOI.
fn jpeg() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..3),
        prop::collection::vec(any::<u8>(), 0..2000),
        any::<bool>(),
    )
        .prop_map(|(apps, scan, thumbnail)| {
            let mut v = vec![0xFF, 0xD8];
            let mut apps = apps;
            if thumbnail {
                apps.push(vec![0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 1, 2, 0xFF, 0xD9]);
            }
            for app in apps {
                v.extend([0xFF, 0xE1]);
                v.extend(((app.len() + 2) as u16).to_be_bytes());
                v.extend(app);
            }
            v.extend([0xFF, 0xDA, 0x00, 0x02]);
            for (i, b) in scan.into_iter().enumerate() {
                v.push(b);
                if b == 0xFF {
                    v.push(0x00); // byte stuffing
                }
                if i % 500 == 499 {
                    v.extend([0xFF, 0xD0 + (i / 500 % 8) as u8]); // restart marker
                }
            }
            v.extend([0xFF, 0xD9]);
            v
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn concatenated_jpegs_split_back_into_the_same_frames(
        frames in prop::collection::vec(jpeg(), 0..8),
        chunk in prop_oneof![1..4usize, 1..100usize, 1..20_000usize],
    ) {
        let raw = frames.concat();
        let split = split(&raw, chunk);
        prop_assert_eq!(split.len(), frames.len());
        for (got, want) in split.iter().zip(&frames) {
            prop_assert_eq!(&got[..], &want[..]);
        }
    }
}
