//! The frame-number strip: a row of black and white cells at the bottom of the test
//! pattern, so that a program looking only at pixels (a browser canvas, a decoded frame)
//! can tell which frame it shows, and compare it with the newest one the server has.
//!
//! The layout, which [`paint`] writes and [`read`] reads (and which a test's JavaScript reads
//! the same way, so it is the specification):
//!
//! - the strip is the bottom [`strip_height`] rows: 16, or a quarter of a smaller picture;
//! - it has [`CELLS`] cells side by side, each `width / 32` pixels wide from the left edge
//!   (pixels beyond the last cell are black); pictures under 64 pixels wide carry no strip;
//! - cells 0 and 1 are white and black, and so are cells 30 and 31: the markers;
//! - cells 2 to 25 are the frame number modulo 2^24, most significant bit first, white = 1;
//! - cells 26 to 29 are a check: the number of 1 bits among the 24, modulo 16, most
//!   significant bit first;
//! - a cell reads white when the mean luma (0.299 R + 0.587 G + 0.114 B) of the middle half of
//!   its width, on the strip's middle row, is at least 128.
//!
//! Cells are wide and the colours extreme so that the strip survives JPEG at low quality
//! and a browser's scaling by a whole factor.

/// Cells across the picture.
pub const CELLS: usize = 32;

/// Frame numbers are carried modulo this (about eight days at 24 fps).
pub const MODULUS: u64 = 1 << DATA_BITS;

const DATA_BITS: usize = 24;
const CHECK_BITS: usize = 4;
const WHITE: [u8; 3] = [255, 255, 255];
const BLACK: [u8; 3] = [0, 0, 0];

/// Rows the strip takes at the bottom of a picture `height` rows high.
pub fn strip_height(height: usize) -> usize {
    (height / 4).min(16)
}

/// Width of one cell, or `None` when the picture is too narrow (or too short) for a strip.
fn cell_width(width: usize, height: usize) -> Option<usize> {
    let cell = width / CELLS;
    (cell >= 2 && strip_height(height) >= 1).then_some(cell)
}

/// Whether each of the 32 cells is white, for `number`.
fn cells(number: u64) -> [bool; CELLS] {
    let data = number % MODULUS;
    let check = u64::from(data.count_ones()) % (1 << CHECK_BITS);
    let mut cells = [false; CELLS];
    cells[0] = true;
    cells[CELLS - 1] = true;
    for i in 0..DATA_BITS {
        cells[2 + i] = data >> (DATA_BITS - 1 - i) & 1 == 1;
    }
    for i in 0..CHECK_BITS {
        cells[2 + DATA_BITS + i] = check >> (CHECK_BITS - 1 - i) & 1 == 1;
    }
    cells
}

/// Paints the strip for `number` into an RGB picture (3 bytes per pixel, rows top to
/// bottom). Does nothing when the picture is too small or `rgb` is not `width * height * 3`
/// bytes.
pub fn paint(rgb: &mut [u8], width: usize, height: usize, number: u64) {
    let Some(cell) = cell_width(width, height) else {
        return;
    };
    if rgb.len() != width * height * 3 {
        return;
    }
    let cells = cells(number);
    let top = height - strip_height(height);
    for row in rgb.chunks_exact_mut(width * 3).skip(top) {
        for (x, px) in row.chunks_exact_mut(3).enumerate() {
            let white = cells.get(x / cell).copied().unwrap_or(false);
            px.copy_from_slice(if white { &WHITE } else { &BLACK });
        }
    }
}

/// Reads the frame number (modulo [`MODULUS`]) from a picture with `channels` bytes per pixel
/// (3 for RGB, 4 for RGBA; the first three are R, G, B). `None` when there is no valid strip:
/// wrong size, markers missing, or the check does not match.
pub fn read(pixels: &[u8], width: usize, height: usize, channels: usize) -> Option<u64> {
    let cell = cell_width(width, height)?;
    if channels < 3 || pixels.len() != width * height * channels {
        return None;
    }
    let y = height - strip_height(height) / 2 - 1;
    let row = &pixels[y * width * channels..(y + 1) * width * channels];
    let mut white = [false; CELLS];
    for (i, w) in white.iter_mut().enumerate() {
        let (from, to) = (i * cell + cell / 4, i * cell + cell - cell / 4);
        let (sum, n) = (from..to.max(from + 1)).fold((0u32, 0u32), |(sum, n), x| {
            let p = &row[x * channels..x * channels + 3];
            let luma =
                (299 * u32::from(p[0]) + 587 * u32::from(p[1]) + 114 * u32::from(p[2])) / 1000;
            (sum + luma, n + 1)
        });
        *w = sum >= 128 * n;
    }
    let markers = white[0] && !white[1] && !white[CELLS - 2] && white[CELLS - 1];
    if !markers {
        return None;
    }
    let bits = |range: std::ops::Range<usize>| {
        white[range]
            .iter()
            .fold(0u64, |acc, &b| acc << 1 | u64::from(b))
    };
    let data = bits(2..2 + DATA_BITS);
    let check = bits(2 + DATA_BITS..2 + DATA_BITS + CHECK_BITS);
    (u64::from(data.count_ones()) % (1 << CHECK_BITS) == check).then_some(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grey(width: usize, height: usize) -> Vec<u8> {
        vec![128; width * height * 3]
    }

    #[test]
    fn what_is_painted_reads_back() {
        for (w, h) in [(640, 480), (320, 240), (64, 8), (1280, 720), (100, 75)] {
            for n in [0, 1, 2, 255, 4097, MODULUS - 1, 123_456_789] {
                let mut rgb = grey(w, h);
                paint(&mut rgb, w, h, n);
                assert_eq!(read(&rgb, w, h, 3), Some(n % MODULUS), "{w}x{h} #{n}");
            }
        }
    }

    #[test]
    fn rgba_pixels_read_the_same() {
        let (w, h) = (320, 240);
        let mut rgb = grey(w, h);
        paint(&mut rgb, w, h, 4242);
        let rgba: Vec<u8> = rgb
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect();
        assert_eq!(read(&rgba, w, h, 4), Some(4242));
    }

    #[test]
    fn only_the_bottom_rows_change() {
        let (w, h) = (320, 240);
        let mut rgb = grey(w, h);
        paint(&mut rgb, w, h, 77);
        let top = (h - strip_height(h)) * w * 3;
        assert!(rgb[..top].iter().all(|&v| v == 128));
    }

    #[test]
    fn no_strip_reads_as_none() {
        let (w, h) = (320, 240);
        assert_eq!(read(&grey(w, h), w, h, 3), None);
        // Too narrow to carry one: painting leaves it alone.
        let mut small = grey(40, 30);
        paint(&mut small, 40, 30, 5);
        assert!(small.iter().all(|&v| v == 128));
        assert_eq!(read(&small, 40, 30, 3), None);
        // A buffer of the wrong size is not read.
        assert_eq!(read(&[0; 10], w, h, 3), None);
    }

    #[test]
    fn a_flipped_bit_fails_the_check() {
        let (w, h) = (320, 240);
        let mut rgb = grey(w, h);
        paint(&mut rgb, w, h, 0b1010);
        // Turn data cell 25 (the lowest bit, 0) white on the middle row.
        let cell = w / CELLS;
        let y = h - strip_height(h) / 2 - 1;
        for x in 25 * cell..26 * cell {
            rgb[(y * w + x) * 3..(y * w + x) * 3 + 3].copy_from_slice(&WHITE);
        }
        assert_eq!(read(&rgb, w, h, 3), None);
    }
}
