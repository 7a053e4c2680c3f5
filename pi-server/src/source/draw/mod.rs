//! Drawing for pictures the server makes itself (the test pattern, the no-signal card):
//! an RGB canvas, filled rectangles, and text in a 5x7 font, all clipped to the canvas.

mod font;

use std::time::SystemTime;

use crate::size::Size;

/// Characters in the longest line drawn (`YYYY-MM-DD HH:MM:SS.mmm UTC`).
const LONGEST_LINE: usize = 27;

/// An RGB picture to draw into.
#[derive(Debug)]
pub struct Canvas {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
    /// Text scale: pixels per font dot.
    scale: usize,
}

impl Canvas {
    /// A black canvas of `size`.
    pub fn new(size: Size) -> Self {
        let (width, height) = (usize::from(size.width), usize::from(size.height));
        // Text scale: about a 30th of the height, but never so large that the longest line
        // (the 27-character time, plus margins) overflows the width: 3 at 640x480, 6 at 720p.
        let scale = (height / 120)
            .min(width / ((LONGEST_LINE + 1) * (font::WIDTH + 1)))
            .max(1);
        Canvas {
            width,
            height,
            rgb: vec![0u8; width * height * 3],
            scale,
        }
    }

    /// The canvas's size.
    pub fn size(&self) -> Size {
        // Built from a `Size`, so both sides fit in u16.
        Size {
            width: self.width as u16,
            height: self.height as u16,
        }
    }

    /// The pixels, 3 bytes per pixel, rows top to bottom.
    pub fn rgb(&self) -> &[u8] {
        &self.rgb
    }

    /// The pixels, to paint directly.
    pub fn rgb_mut(&mut self) -> &mut [u8] {
        &mut self.rgb
    }

    /// White lines of text on a black box in the top-left corner.
    pub fn draw_label(&mut self, lines: &[String]) {
        let s = self.scale;
        let line_height = (font::HEIGHT + 3) * s;
        let top = 2 * s;
        let longest = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
        self.fill(
            0,
            top - s,
            (longest * (font::WIDTH + 1) + 3) * s,
            lines.len() * line_height + s,
            [0, 0, 0],
        );
        for (i, line) in lines.iter().enumerate() {
            self.text(2 * s, top + i * line_height, line, [255, 255, 255], s);
        }
    }

    /// Paints a card in place of a picture (a camera that is gone): dark grey, the first
    /// line in double-size type, the others below it, all left-aligned near the middle.
    pub fn draw_card(&mut self, lines: &[String]) {
        self.fill(0, 0, self.width, self.height, [48, 48, 48]);
        let s = self.scale;
        let big = s * 2;
        let mut y = self.height / 3;
        for (i, line) in lines.iter().enumerate() {
            let scale = if i == 0 { big } else { s };
            let colour = if i == 0 {
                [255, 210, 0]
            } else {
                [230, 230, 230]
            };
            self.text(2 * s, y, line, colour, scale);
            y += (font::HEIGHT + 4) * scale;
        }
    }

    /// Fills a rectangle, clipped to the canvas.
    pub fn fill(&mut self, x: usize, y: usize, w: usize, h: usize, colour: [u8; 3]) {
        let x_end = (x + w).min(self.width);
        let y_end = (y + h).min(self.height);
        if x >= x_end {
            return;
        }
        for row in y..y_end {
            let start = (row * self.width + x) * 3;
            let end = (row * self.width + x_end) * 3;
            for px in self.rgb[start..end].chunks_exact_mut(3) {
                px.copy_from_slice(&colour);
            }
        }
    }

    /// Draws `text` with its top-left corner at (x, y), clipped to the canvas.
    fn text(&mut self, x: usize, y: usize, text: &str, colour: [u8; 3], s: usize) {
        for (i, c) in text.chars().enumerate() {
            let gx = x + i * (font::WIDTH + 1) * s;
            for (row, bits) in font::glyph(c).iter().enumerate() {
                for col in 0..font::WIDTH {
                    if bits & (0x10 >> col) != 0 {
                        self.fill(gx + col * s, y + row * s, s, s, colour);
                    }
                }
            }
        }
    }
}

/// `YYYY-MM-DD HH:MM:SS.mmm UTC` for a time since the epoch.
pub fn wall_clock(at: SystemTime) -> String {
    // "2023-11-14T22:13:20.123Z" -> "2023-11-14 22:13:20.123 UTC": easier to read on screen.
    let rfc3339 = humantime::format_rfc3339_millis(at).to_string();
    format!(
        "{} UTC",
        rfc3339.replacen('T', " ", 1).trim_end_matches('Z')
    )
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn wall_clock_is_utc_calendar_time() {
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        assert_eq!(wall_clock(t), "2023-11-14 22:13:20.123 UTC");
        assert_eq!(wall_clock(UNIX_EPOCH), "1970-01-01 00:00:00.000 UTC");
        // A leap day.
        let t = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(wall_clock(t), "2000-02-29 00:00:00.000 UTC");
    }

    #[test]
    fn a_card_replaces_the_picture() {
        let mut canvas = Canvas::new(Size {
            width: 320,
            height: 240,
        });
        let bar = [191, 191, 0];
        canvas.fill(0, 0, 320, 240, bar);
        canvas.draw_card(&["NO SIGNAL".into(), "/dev/video0".into()]);
        let px = canvas.rgb();
        // Dark grey background, yellow headline, no trace of the picture before.
        assert_eq!(&px[..3], &[48, 48, 48]);
        assert!(px.chunks_exact(3).any(|p| p == [255, 210, 0]));
        assert!(!px.chunks_exact(3).any(|p| p == bar));
    }

    #[test]
    fn tiny_canvases_clip_instead_of_panicking() {
        let mut canvas = Canvas::new(Size {
            width: 16,
            height: 16,
        });
        canvas.draw_label(&["NO CAMERA - TEST PATTERN".into()]);
        canvas.draw_card(&["NO SIGNAL".into(), "a long second line of text".into()]);
        assert_eq!(canvas.rgb().len(), 16 * 16 * 3);
    }
}
