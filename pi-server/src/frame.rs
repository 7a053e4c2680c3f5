//! One published JPEG and what is known about it: the unit every client shares.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use mjpeg_wire::multipart::Writer;

/// How old a frame may be and still be shown to a newly arrived client (a stream or a
/// snapshot) as live.
pub const FRESH: Duration = Duration::from_secs(1);

/// One JPEG, shared by every client through an `Arc`; its bytes are never copied per client.
#[derive(Debug)]
pub struct Frame {
    /// The whole JPEG, SOI to EOI.
    pub jpeg: Bytes,
    /// When it was captured (or generated).
    pub captured: SystemTime,
    /// Position in the source's output, from 1; gaps seen by a client are frames it skipped.
    pub seq: u64,
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// The multipart framing of the broadcast the frame belongs to, and the part head it
    /// makes for this frame, formatted by the first client to ask and shared by the rest.
    head: PartHead,
}

/// A frame's part head, tied to the one writer that may make it: the frame is built with
/// its broadcast's writer, so no client can ask for a head in another framing.
#[derive(Debug)]
struct PartHead {
    writer: Arc<Writer>,
    cached: OnceLock<Bytes>,
}

impl Frame {
    /// A frame for a broadcast framed by `writer`.
    pub(crate) fn new(
        jpeg: Bytes,
        captured: SystemTime,
        seq: u64,
        (width, height): (u16, u16),
        writer: Arc<Writer>,
    ) -> Self {
        Frame {
            jpeg,
            captured,
            seq,
            width,
            height,
            head: PartHead {
                writer,
                cached: OnceLock::new(),
            },
        }
    }

    /// The part head written before this frame: the same bytes for every client.
    pub fn part_head(&self) -> Bytes {
        self.head
            .cached
            .get_or_init(|| self.head.writer.part_head(self.jpeg.len(), self.captured))
            .clone()
    }

    /// Whether the frame is fresh enough to show as live to a client that just asked: a
    /// frame older than [`FRESH`] comes from an idle or lost source, and the client waits
    /// for the next one instead.
    pub fn is_fresh(&self) -> bool {
        SystemTime::now()
            .duration_since(self.captured)
            .is_ok_and(|age| age < FRESH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_part_head_is_made_once_by_the_frames_own_writer() {
        let writer = Arc::new(Writer::default());
        let frame = Frame::new(
            Bytes::from_static(b"jpeg"),
            SystemTime::now(),
            1,
            (4, 4),
            writer.clone(),
        );
        let (a, b) = (frame.part_head(), frame.part_head());
        assert_eq!(a, writer.part_head(4, frame.captured));
        assert_eq!(a.as_ptr(), b.as_ptr());
    }
}
