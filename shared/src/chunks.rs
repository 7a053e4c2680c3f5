//! A queue of received chunks that hands out whole frames without copying them when it can.
//!
//! Network reads arrive as `Bytes` of arbitrary size. A frame that lies inside one chunk is
//! returned as a slice of it (a reference count, no copy); only a frame that straddles chunks
//! is copied once into a buffer of exactly its size. Tiny chunks (a slow link, a fuzzer, a
//! proptest feeding one byte at a time) are coalesced into a small tail buffer so that the
//! number of segments, and with it the cost of every search, stays bounded.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use memchr::memmem::Finder;

/// Chunks shorter than this are copied into the tail buffer instead of being queued on
/// their own: copying a few hundred bytes is cheaper than a segment every search must visit.
const COALESCE_BELOW: usize = 512;
/// The tail buffer is frozen into a segment once it holds this much.
const TAIL_CAPACITY: usize = 8 * 1024;

/// Received bytes not yet consumed, as a list of segments plus a small mutable tail.
#[derive(Debug, Default)]
pub(crate) struct ChunkQueue {
    segments: VecDeque<Bytes>,
    /// Small chunks collect here; logically it comes after every segment.
    tail: BytesMut,
    len: usize,
}

impl ChunkQueue {
    pub(crate) fn push(&mut self, chunk: Bytes) {
        if chunk.is_empty() {
            return;
        }
        self.len += chunk.len();
        if chunk.len() < COALESCE_BELOW && !self.is_empty_before(chunk.len()) {
            self.tail.extend_from_slice(&chunk);
            if self.tail.len() >= TAIL_CAPACITY {
                self.freeze_tail();
            }
            return;
        }
        self.freeze_tail();
        self.segments.push_back(chunk);
    }

    /// Whether the queue held nothing before `just_added` bytes were counted.
    fn is_empty_before(&self, just_added: usize) -> bool {
        self.len == just_added
    }

    fn freeze_tail(&mut self) {
        if !self.tail.is_empty() {
            let tail = self.tail.split().freeze();
            self.segments.push_back(tail);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The segments in order, the tail last.
    fn slices(&self) -> impl Iterator<Item = &[u8]> {
        self.segments
            .iter()
            .map(|b| &b[..])
            .chain(std::iter::once(&self.tail[..]))
            .filter(|s| !s.is_empty())
    }

    /// The byte at `pos`, if buffered.
    pub(crate) fn get(&self, mut pos: usize) -> Option<u8> {
        for s in self.slices() {
            if pos < s.len() {
                return Some(s[pos]);
            }
            pos -= s.len();
        }
        None
    }

    /// Position of the first `byte` at or after `from`.
    pub(crate) fn find_byte(&self, from: usize, byte: u8) -> Option<usize> {
        let mut base = 0;
        for s in self.slices() {
            let end = base + s.len();
            if end > from {
                let start = from.saturating_sub(base);
                if let Some(i) = memchr::memchr(byte, &s[start..]) {
                    return Some(base + start + i);
                }
            }
            base = end;
        }
        None
    }

    /// Position of the first occurrence of the finder's needle that starts at or after
    /// `from`, including occurrences that straddle segments.
    pub(crate) fn find(&self, from: usize, finder: &Finder<'_>) -> Option<usize> {
        let overlap = finder.needle().len().saturating_sub(1);
        // The last `overlap` bytes before the current segment, so that a needle cut by a
        // segment edge is still seen; `carry_start` is the stream position of carry[0].
        let mut carry: Vec<u8> = Vec::with_capacity(2 * overlap);
        let mut carry_start = 0;
        let mut base = 0;
        for s in self.slices() {
            let end = base + s.len();
            if end <= from {
                base = end;
                continue;
            }
            if !carry.is_empty() {
                let mut window = carry.clone();
                window.extend_from_slice(&s[..overlap.min(s.len())]);
                let skip = from.saturating_sub(carry_start).min(window.len());
                if let Some(i) = finder.find(&window[skip..]) {
                    return Some(carry_start + skip + i);
                }
            }
            let start = from.saturating_sub(base);
            if let Some(i) = finder.find(&s[start..]) {
                return Some(base + start + i);
            }
            if s.len() >= overlap {
                carry.clear();
                carry.extend_from_slice(&s[s.len() - overlap..]);
            } else {
                carry.extend_from_slice(s);
                let excess = carry.len().saturating_sub(overlap);
                carry.drain(..excess);
            }
            carry_start = end - carry.len();
            base = end;
        }
        None
    }

    /// Removes and returns the first `n` bytes: a slice of the first segment when it holds
    /// them all, otherwise one copy into a buffer of exactly `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Bytes {
        debug_assert!(n <= self.len);
        let n = n.min(self.len);
        if n == 0 {
            return Bytes::new();
        }
        self.len -= n;
        if let Some(front) = self.segments.front_mut() {
            if front.len() > n {
                return front.split_to(n);
            }
            if front.len() == n {
                return self.segments.pop_front().unwrap_or_default();
            }
        } else {
            // Everything is in the tail.
            return self.tail.split_to(n).freeze();
        }
        let mut out = BytesMut::with_capacity(n);
        let mut need = n;
        while need > 0 {
            match self.segments.front_mut() {
                Some(front) if front.len() <= need => {
                    need -= front.len();
                    out.extend_from_slice(front);
                    self.segments.pop_front();
                }
                Some(front) => {
                    out.extend_from_slice(&front.split_to(need));
                    need = 0;
                }
                None => {
                    out.extend_from_slice(&self.tail.split_to(need));
                    need = 0;
                }
            }
        }
        out.freeze()
    }

    /// Drops the first `n` bytes.
    pub(crate) fn advance(&mut self, n: usize) {
        let mut need = n.min(self.len);
        self.len -= need;
        while need > 0 {
            match self.segments.front_mut() {
                Some(front) if front.len() <= need => {
                    need -= front.len();
                    self.segments.pop_front();
                }
                Some(front) => {
                    let _ = front.split_to(need);
                    need = 0;
                }
                None => {
                    let _ = self.tail.split_to(need);
                    need = 0;
                }
            }
        }
    }

    /// Copies up to `out.len()` bytes starting at `from` into `out`; returns how many.
    pub(crate) fn copy_to(&self, from: usize, out: &mut [u8]) -> usize {
        let mut base = 0;
        let mut written = 0;
        for s in self.slices() {
            let end = base + s.len();
            if end > from + written && written < out.len() {
                let start = from + written - base;
                let n = (s.len() - start).min(out.len() - written);
                out[written..written + n].copy_from_slice(&s[start..start + n]);
                written += n;
            }
            base = end;
            if written == out.len() {
                break;
            }
        }
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue_of(chunks: &[&[u8]]) -> ChunkQueue {
        let mut q = ChunkQueue::default();
        for c in chunks {
            q.push(Bytes::copy_from_slice(c));
        }
        q
    }

    #[test]
    fn a_frame_inside_one_chunk_is_sliced_not_copied() {
        let chunk = Bytes::from(vec![7u8; 4096]);
        let mut q = ChunkQueue::default();
        q.push(chunk.clone());
        let frame = q.take(1000);
        assert_eq!(frame.as_ptr(), chunk.as_ptr(), "same memory, no copy");
        assert_eq!(q.len(), 3096);
    }

    #[test]
    fn a_frame_across_chunks_is_joined() {
        let big = vec![1u8; 600];
        let mut q = queue_of(&[&big, &big, b"xy"]);
        let frame = q.take(1201);
        assert_eq!(frame.len(), 1201);
        assert_eq!(frame[1200], b'x');
        assert_eq!(q.len(), 1);
        assert_eq!(q.get(0), Some(b'y'));
    }

    #[test]
    fn find_sees_a_needle_split_across_one_byte_chunks() {
        let text = b"abc--FRAME\r\nrest";
        let chunks: Vec<&[u8]> = text.chunks(1).collect();
        let q = queue_of(&chunks);
        let finder = Finder::new(b"--FRAME");
        assert_eq!(q.find(0, &finder), Some(3));
        assert_eq!(q.find(4, &finder), None);
    }

    #[test]
    fn find_sees_a_needle_split_across_large_segments() {
        // Segments large enough not to be coalesced, with the needle cut at every point.
        let needle = b"\n--boundary";
        for cut in 0..=needle.len() {
            let mut a = vec![b'x'; 700];
            a.extend_from_slice(&needle[..cut]);
            let mut b = needle[cut..].to_vec();
            b.extend(vec![b'y'; 700]);
            let q = queue_of(&[&a, &b]);
            assert_eq!(q.find(0, &Finder::new(needle)), Some(700), "cut at {cut}");
            assert_eq!(q.find(701, &Finder::new(needle)), None, "cut at {cut}");
        }
    }

    #[test]
    fn find_sees_a_needle_spread_over_three_segments() {
        let a = vec![b'x'; 600];
        let q = {
            let mut q = ChunkQueue::default();
            q.push(Bytes::from([a.clone(), b"--FR".to_vec()].concat()));
            q.push(Bytes::from_static(b"AM")); // coalesced into the tail
            q.push(Bytes::from([b"E".to_vec(), a].concat()));
            q
        };
        assert_eq!(q.find(0, &Finder::new(b"--FRAME")), Some(600));
    }

    #[test]
    fn find_byte_and_copy_to_walk_segments() {
        let q = queue_of(&[&[0u8; 600], &[1u8; 600], b"\n"]);
        assert_eq!(q.find_byte(0, b'\n'), Some(1200));
        let mut out = [9u8; 4];
        assert_eq!(q.copy_to(598, &mut out), 4);
        assert_eq!(out, [0, 0, 1, 1]);
    }
}
