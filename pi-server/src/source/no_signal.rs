//! The "no signal" card: what clients see while the camera (or the upstream server of a
//! relay) is gone, about once a second.

use std::time::SystemTime;

use bytes::Bytes;

use crate::publish::Publisher;
use crate::size::Size;
use crate::source::draw::{Canvas, wall_clock};
use crate::source::encode::JpegEncoder;

/// Marks a "no signal" frame for programs: a JPEG comment right after SOI.
pub const NO_SIGNAL_COMMENT: &[u8] = b"pi-server: no signal";

/// The "no signal" card: what was lost, since when, and that the server is retrying.
#[derive(Debug)]
pub struct NoSignal {
    device: String,
    /// The size of the pictures it stands in for.
    pub size: (u32, u32),
    /// Why there is no picture.
    pub reason: String,
    encoder: JpegEncoder,
    canvas: Option<Canvas>,
}

impl NoSignal {
    /// A card for `device` (a path or URL, shown on it), at `size`.
    pub fn new(device: String, size: (u32, u32)) -> Self {
        NoSignal {
            device,
            size,
            reason: String::new(),
            encoder: JpegEncoder::new(),
            canvas: None,
        }
    }

    pub fn publish(&mut self, publisher: &Publisher, since: SystemTime) {
        let clamp = |v: u32| v.clamp(u32::from(Size::MIN), u32::from(Size::MAX)) as u16;
        let size = Size {
            width: clamp(self.size.0),
            height: clamp(self.size.1),
        };
        let canvas = match &mut self.canvas {
            Some(c) if c.size() == size => c,
            _ => self.canvas.insert(Canvas::new(size)),
        };
        let now = SystemTime::now();
        canvas.draw_card(&[
            "NO SIGNAL".into(),
            self.device.clone(),
            self.reason.chars().take(40).collect(),
            format!("SINCE {}", wall_clock(since)),
            format!("NOW   {}", wall_clock(now)),
            "RETRYING EVERY SECOND".into(),
        ]);
        match self
            .encoder
            .encode_rgb(canvas.rgb(), size.width, size.height, 80)
        {
            Ok(jpeg) => {
                publisher.publish_valid(
                    with_comment(&jpeg, NO_SIGNAL_COMMENT),
                    now,
                    (size.width, size.height),
                );
            }
            Err(e) => tracing::warn!(cause = %e, "no-signal card not encoded"),
        }
    }
}

/// `jpeg` with a COM segment holding `text` right after SOI.
fn with_comment(jpeg: &[u8], text: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(jpeg.len() + text.len() + 4);
    out.extend_from_slice(&jpeg[..2.min(jpeg.len())]);
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&((text.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(text);
    out.extend_from_slice(jpeg.get(2..).unwrap_or_default());
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use mjpeg_wire::multipart::Writer;

    use super::*;
    use crate::broadcast::Broadcast;

    #[test]
    fn no_signal_frames_carry_a_comment_and_stay_jpeg() {
        let broadcast = Broadcast::new(Writer::default());
        let publisher = Publisher::new(broadcast.clone(), &Default::default(), 24);
        let mut card = NoSignal::new("/dev/video9".into(), (320, 240));
        card.reason = "No such device (os error 19)".into();
        card.publish(&publisher, SystemTime::now());
        let frame = broadcast.latest().unwrap();
        assert_eq!((frame.width, frame.height), (320, 240));
        assert_eq!(&frame.jpeg[..4], b"\xFF\xD8\xFF\xFE");
        assert_eq!(
            &frame.jpeg[6..6 + NO_SIGNAL_COMMENT.len()],
            NO_SIGNAL_COMMENT
        );
        let info = mjpeg_wire::jpeg::info(&frame.jpeg).unwrap();
        assert_eq!((info.width, info.height), (320, 240));
        let rgb = zune_jpeg::JpegDecoder::new(zune_jpeg::zune_core::bytestream::ZCursor::new(
            &frame.jpeg[..],
        ))
        .decode()
        .unwrap();
        assert_eq!(rgb.len(), 320 * 240 * 3);
    }
}
