//! JPEG as a byte stream: cutting concatenated JPEGs into frames, reading a frame's size
//! without decoding it, supplying the Huffman tables webcam frames leave out, and the EXIF
//! orientation mark a passed-through frame is turned by.
//!
//! Markers are `FF xx`. Most are followed by a two-byte length and a payload that may hold
//! anything, including a whole thumbnail JPEG with its own `FFD9` (EXIF APP1); after SOS
//! (`FFDA`) comes entropy-coded data in which `FF` is escaped as `FF00` and restart markers
//! `FFD0`-`FFD7` may appear. The image ends at the first `FFD9` outside all of that.

pub mod exif;
mod huffman;
mod info;
mod markers;
mod splitter;

pub use huffman::{
    HuffmanTables, STANDARD_DHT, STANDARD_DHT_LEN, huffman_tables, with_standard_huffman_tables,
    with_standard_huffman_tables_bytes,
};
pub use info::{InfoError, JpegInfo, Sampling, info};
pub use splitter::{SplitError, Splitter};
