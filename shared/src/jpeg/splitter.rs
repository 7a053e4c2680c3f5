//! Cuts a raw stream of concatenated JPEGs into frames.

use bytes::Bytes;

use super::markers::{EOI, SOI, SOS, is_standalone};
use crate::chunks::ChunkQueue;

/// What can go wrong while splitting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SplitError {
    /// A frame grew past the limit without ending; it was dropped.
    #[error("JPEG frame larger than {limit} bytes without an end marker; dropped")]
    FrameTooLarge {
        /// The configured maximum.
        limit: usize,
    },
    /// The bytes inside a frame were not valid JPEG structure; the frame was dropped.
    #[error(
        "corrupt JPEG at byte {offset} of a frame (expected a marker, found {found:#04x}); dropped"
    )]
    Corrupt {
        /// Offset within the frame.
        offset: usize,
        /// The byte found instead of a marker.
        found: u8,
    },
    /// The stream ended inside a frame.
    #[error("stream ended inside a JPEG frame ({buffered} bytes dropped)")]
    Truncated {
        /// Bytes of the unfinished frame.
        buffered: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between frames, looking for SOI.
    SeekSoi,
    /// At `pos` there should be a marker (`FF xx`).
    Marker,
    /// At `pos` there is a segment length; `entropy` when the segment is SOS.
    Length { entropy: bool },
    /// Entropy-coded data from `pos` on.
    Entropy,
}

/// A push-based splitter of concatenated JPEGs (`rpicam-vid --codec mjpeg -o -`,
/// `ffmpeg -f mjpeg -`).
///
/// It follows the marker structure, so an EXIF thumbnail's `FFD9` never ends a frame early,
/// and skips bytes between frames (padding some cameras add) without complaint, counting
/// them in [`Splitter::skipped_bytes`].
///
/// ```
/// use bytes::Bytes;
/// use mjpeg_wire::jpeg::Splitter;
///
/// let mut s = Splitter::new();
/// s.push(Bytes::from_static(b"\xFF\xD8\xFF\xDA\x00\x02ab\xFF\xD9\xFF\xD8"));
/// assert_eq!(&s.next_frame().unwrap().unwrap()[..], b"\xFF\xD8\xFF\xDA\x00\x02ab\xFF\xD9");
/// assert_eq!(s.next_frame(), Ok(None)); // the second frame has only begun
/// ```
#[derive(Debug)]
pub struct Splitter {
    buf: ChunkQueue,
    state: State,
    /// Bytes of the current frame examined so far (the frame starts at buffer offset 0).
    pos: usize,
    max_frame_size: usize,
    skipped: u64,
    frames: u64,
}

impl Default for Splitter {
    fn default() -> Self {
        Self::new()
    }
}

impl Splitter {
    /// Default largest frame: as the multipart parser's largest part.
    pub const DEFAULT_MAX_FRAME_SIZE: usize = 16 * 1024 * 1024;

    /// A splitter with the default frame size limit.
    pub fn new() -> Self {
        Self::with_max_frame_size(Self::DEFAULT_MAX_FRAME_SIZE)
    }

    /// A splitter that drops frames larger than `max_frame_size`.
    pub fn with_max_frame_size(max_frame_size: usize) -> Self {
        Splitter {
            buf: ChunkQueue::default(),
            state: State::SeekSoi,
            pos: 0,
            max_frame_size,
            skipped: 0,
            frames: 0,
        }
    }

    /// Adds received bytes.
    pub fn push(&mut self, chunk: Bytes) {
        self.buf.push(chunk);
    }

    /// Bytes outside any frame that were dropped so far.
    pub fn skipped_bytes(&self) -> u64 {
        self.skipped
    }

    /// Frames returned so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// The next whole JPEG (SOI to EOI), `Ok(None)` when more bytes are needed, or an
    /// error for a frame that had to be dropped; splitting goes on with the next call.
    pub fn next_frame(&mut self) -> Result<Option<Bytes>, SplitError> {
        loop {
            if self.state != State::SeekSoi && self.pos > self.max_frame_size {
                self.drop_frame();
                return Err(SplitError::FrameTooLarge {
                    limit: self.max_frame_size,
                });
            }
            match self.state {
                State::SeekSoi => {
                    if !self.seek_soi() {
                        return Ok(None);
                    }
                }
                State::Marker => {
                    let (Some(ff), Some(code)) =
                        (self.buf.get(self.pos), self.buf.get(self.pos + 1))
                    else {
                        return Ok(None);
                    };
                    if ff != 0xFF {
                        let offset = self.pos;
                        self.drop_frame();
                        return Err(SplitError::Corrupt { offset, found: ff });
                    }
                    // Any number of FF fill bytes may precede a marker code; one at a
                    // time, so that the size limit above applies to a run of them too.
                    if code == 0xFF {
                        self.pos += 1;
                        continue;
                    }
                    self.pos += 2;
                    match code {
                        EOI => {
                            let frame = self.buf.take(self.pos);
                            self.pos = 0;
                            self.state = State::SeekSoi;
                            self.frames += 1;
                            return Ok(Some(frame));
                        }
                        SOI => {
                            // A new frame began before the last one ended (a writer restarted):
                            // the unfinished one is dropped as skipped bytes.
                            let dropped = self.pos - 2;
                            self.buf.advance(dropped);
                            self.skipped += dropped as u64;
                            self.pos = 2;
                        }
                        c if is_standalone(c) => {}
                        c => self.state = State::Length { entropy: c == SOS },
                    }
                }
                State::Length { entropy } => {
                    let (Some(hi), Some(lo)) = (self.buf.get(self.pos), self.buf.get(self.pos + 1))
                    else {
                        return Ok(None);
                    };
                    let len = usize::from(u16::from_be_bytes([hi, lo]));
                    if len < 2 {
                        let offset = self.pos;
                        self.drop_frame();
                        return Err(SplitError::Corrupt { offset, found: lo });
                    }
                    // The payload is skipped by its length, unseen: this is what keeps a
                    // thumbnail's FFD9 from ending the frame.
                    self.pos += len;
                    self.state = if entropy {
                        State::Entropy
                    } else {
                        State::Marker
                    };
                }
                State::Entropy => {
                    let Some(ff) = self.buf.find_byte(self.pos, 0xFF) else {
                        self.pos = self.pos.max(self.buf.len());
                        if self.pos > self.max_frame_size {
                            continue; // reported at the top of the loop
                        }
                        return Ok(None);
                    };
                    let Some(next) = self.buf.get(ff + 1) else {
                        self.pos = ff;
                        return Ok(None);
                    };
                    match next {
                        // A stuffed FF, or a restart marker: still entropy-coded data.
                        0x00 | 0xD0..=0xD7 => self.pos = ff + 2,
                        // Fill byte before a marker.
                        0xFF => self.pos = ff + 1,
                        _ => {
                            self.pos = ff;
                            self.state = State::Marker;
                        }
                    }
                }
            }
        }
    }

    /// Tells the splitter the stream ended; an error says a frame was left unfinished.
    pub fn finish(&mut self) -> Result<(), SplitError> {
        let buffered = self.buf.len();
        let in_frame = self.state != State::SeekSoi;
        self.buf.advance(buffered);
        self.state = State::SeekSoi;
        self.pos = 0;
        if in_frame {
            Err(SplitError::Truncated { buffered })
        } else {
            self.skipped += buffered as u64;
            Ok(())
        }
    }

    /// Finds SOI, dropping what precedes it; false when more bytes are needed.
    fn seek_soi(&mut self) -> bool {
        let mut from = 0;
        while let Some(ff) = self.buf.find_byte(from, 0xFF) {
            match self.buf.get(ff + 1) {
                Some(SOI) => {
                    self.buf.advance(ff);
                    self.skipped += ff as u64;
                    self.pos = 2;
                    self.state = State::Marker;
                    return true;
                }
                Some(_) => from = ff + 1,
                None => {
                    // Keep the FF: it may be the first half of an SOI.
                    self.buf.advance(ff);
                    self.skipped += ff as u64;
                    return false;
                }
            }
        }
        let n = self.buf.len();
        self.buf.advance(n);
        self.skipped += n as u64;
        false
    }

    fn drop_frame(&mut self) {
        let n = self.pos.min(self.buf.len()).max(1);
        self.buf.advance(n);
        self.pos = 0;
        self.state = State::SeekSoi;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal JPEG: SOI, an APPn segment with `app` as payload, SOS with `scan` as
    /// entropy-coded data, EOI.
    fn jpeg(app: &[u8], scan: &[u8]) -> Vec<u8> {
        let mut v = vec![0xFF, SOI, 0xFF, 0xE1];
        v.extend_from_slice(&((app.len() + 2) as u16).to_be_bytes());
        v.extend_from_slice(app);
        v.extend_from_slice(&[0xFF, SOS, 0x00, 0x02]);
        v.extend_from_slice(scan);
        v.extend_from_slice(&[0xFF, EOI]);
        v
    }

    fn split_all(stream: &[u8], chunk: usize) -> (Vec<Bytes>, Vec<SplitError>) {
        let mut s = Splitter::new();
        let mut frames = Vec::new();
        let mut errors = Vec::new();
        for c in stream.chunks(chunk) {
            s.push(Bytes::copy_from_slice(c));
            loop {
                match s.next_frame() {
                    Ok(Some(f)) => frames.push(f),
                    Ok(None) => break,
                    Err(e) => errors.push(e),
                }
            }
        }
        if let Err(e) = s.finish() {
            errors.push(e);
        }
        (frames, errors)
    }

    #[test]
    fn an_exif_thumbnail_does_not_end_the_frame() {
        // The APP1 payload holds a whole thumbnail JPEG, FFD9 included.
        let thumbnail = jpeg(b"", b"\x01\x02");
        let frame = jpeg(&[b"Exif\0\0".as_slice(), &thumbnail].concat(), b"\x10\x20");
        for chunk in [1, 3, frame.len()] {
            let (frames, errors) = split_all(&frame, chunk);
            assert_eq!(frames, vec![Bytes::from(frame.clone())], "chunk {chunk}");
            assert!(errors.is_empty());
        }
    }

    #[test]
    fn stuffed_ff_and_restart_markers_stay_inside_the_scan() {
        let frame = jpeg(b"", b"\x12\xFF\x00\x34\xFF\xD0\x56\xFF\xFF\xD1\x78");
        let stream = [frame.clone(), frame.clone()].concat();
        let (frames, errors) = split_all(&stream, 2);
        assert_eq!(frames.len(), 2);
        assert_eq!(&frames[1][..], &frame[..]);
        assert!(errors.is_empty());
    }

    #[test]
    fn bytes_between_frames_are_skipped_and_counted() {
        let frame = jpeg(b"x", b"y");
        let stream = [b"junk".to_vec(), frame.clone(), vec![0; 5], frame.clone()].concat();
        let mut s = Splitter::new();
        s.push(Bytes::from(stream));
        assert_eq!(s.next_frame().unwrap().as_deref(), Some(&frame[..]));
        assert_eq!(s.next_frame().unwrap().as_deref(), Some(&frame[..]));
        assert_eq!(s.next_frame(), Ok(None));
        assert_eq!(s.skipped_bytes(), 9);
        assert_eq!(s.frames(), 2);
    }

    #[test]
    fn a_frame_cut_short_by_a_new_soi_is_dropped() {
        let frame = jpeg(b"", b"z");
        let stream = [&frame[..frame.len() - 3], &frame[..]].concat();
        let (frames, errors) = split_all(&stream, 4);
        assert_eq!(frames, vec![Bytes::from(frame)]);
        assert!(errors.is_empty());
    }

    #[test]
    fn corrupt_structure_is_reported_and_the_next_frame_still_found() {
        let frame = jpeg(b"", b"z");
        // SOI followed by something that is not a marker.
        let stream = [b"\xFF\xD8\x12\x34".to_vec(), frame.clone()].concat();
        let (frames, errors) = split_all(&stream, 64);
        assert_eq!(frames, vec![Bytes::from(frame)]);
        assert_eq!(
            errors,
            vec![SplitError::Corrupt {
                offset: 2,
                found: 0x12
            }]
        );
    }

    #[test]
    fn an_endless_frame_hits_the_limit() {
        let mut s = Splitter::with_max_frame_size(1000);
        s.push(Bytes::from_static(b"\xFF\xD8\xFF\xDA\x00\x02"));
        s.push(Bytes::from(vec![0x11; 2000]));
        assert_eq!(
            s.next_frame(),
            Err(SplitError::FrameTooLarge { limit: 1000 })
        );
        let frame = jpeg(b"", b"ok");
        s.push(Bytes::from(frame.clone()));
        assert_eq!(s.next_frame().unwrap().as_deref(), Some(&frame[..]));
    }

    #[test]
    fn a_stream_that_stops_mid_frame_says_so() {
        let frame = jpeg(b"", b"z");
        let (frames, errors) = split_all(&frame[..frame.len() - 1], 8);
        assert!(frames.is_empty());
        assert_eq!(
            errors,
            vec![SplitError::Truncated {
                buffered: frame.len() - 1
            }]
        );
    }
}
