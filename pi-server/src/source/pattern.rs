//! The test pattern: moving colour bars with the frame counter and wall-clock time drawn in,
//! encoded at the configured size, rate and quality on its own thread.
//!
//! Drawing must cost far less than encoding: the bars are drawn once, and each frame copies
//! every row in two pieces (which scrolls them) and draws a few lines of 5x7 text.

use std::time::{Duration, Instant, SystemTime};

use super::font;
use super::{FrameSource, JpegEncoder, Pacer, Running, SourceError};
use crate::config::Size;
use crate::fanout::Fanout;
use crate::shutdown::Shutdown;

/// How much detail the pattern carries: what rate control and bandwidth tests need to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scene {
    /// Bars, a ramp and text: compresses very well (`test`).
    #[default]
    Calm,
    /// Also fine random detail over the bottom sixth, new every frame, as foliage or noise
    /// in a dim room gives a camera (`test:busy`).
    Busy,
    /// Calm and busy in turns of [`Scene::CHANGE_EVERY`] (`test:changing`).
    Changing,
}

impl Scene {
    /// How long each half of `test:changing` lasts.
    pub const CHANGE_EVERY: Duration = Duration::from_secs(10);

    /// Whether the scene is busy `elapsed` after the start.
    fn is_busy(self, elapsed: Duration) -> bool {
        match self {
            Scene::Calm => false,
            Scene::Busy => true,
            Scene::Changing => (elapsed.as_secs() / Self::CHANGE_EVERY.as_secs()) % 2 == 1,
        }
    }
}

/// The test pattern source.
#[derive(Debug, Clone)]
pub struct PatternSource {
    size: Size,
    banner: Option<&'static str>,
    scene: Scene,
}

impl PatternSource {
    /// A pattern of `size` with an optional banner line (such as "NO CAMERA - TEST PATTERN").
    pub fn new(size: Size, banner: Option<&'static str>) -> Self {
        PatternSource {
            size,
            banner,
            scene: Scene::Calm,
        }
    }

    /// The same pattern with more or changing detail.
    pub fn with_scene(mut self, scene: Scene) -> Self {
        self.scene = scene;
        self
    }

    fn run(self, fanout: Fanout) {
        let Size { width, height } = self.size;
        let mut canvas = Canvas::new(self.size);
        let mut encoder = JpegEncoder::new();
        let mut pacer = Pacer::new(fanout.clone());
        let mut count = 0u64;
        let started = Instant::now();
        // Its quality is ours to set: rate control turns it down before dropping frames.
        fanout.set_encodes(true);
        while pacer.wait_turn() {
            let captured = SystemTime::now();
            count += 1;
            canvas.draw(count, captured, self.banner);
            if self.scene.is_busy(started.elapsed()) {
                canvas.draw_detail(count);
            }
            // Last, over the detail: every drawn frame is published, so `count` is the
            // sequence number `/stats` reports as `newest_frame`.
            canvas.draw_strip(count);
            let quality = fanout.controls().quality();
            match encoder.encode_rgb(canvas.rgb(), width, height, quality) {
                Ok(jpeg) => {
                    fanout.publish(jpeg, captured, width, height);
                }
                Err(e) => tracing::error!(cause = %e, "test pattern frame not encoded"),
            }
        }
        tracing::debug!(frames = count, "test pattern stopped");
    }
}

impl FrameSource for PatternSource {
    fn describe(&self) -> String {
        match self.banner {
            Some(b) if b.starts_with("NO CAMERA") => "test pattern (no camera found)".into(),
            _ => "test pattern".into(),
        }
    }

    fn start(self: Box<Self>, fanout: Fanout, _shutdown: Shutdown) -> Result<Running, SourceError> {
        // Encoding is CPU work: it gets its own thread so it never stalls the async runtime.
        std::thread::Builder::new()
            .name("pattern".into())
            .spawn(move || self.run(fanout))
            .map(Running::Thread)
            .map_err(SourceError::Thread)
    }
}

/// Colours of the bars, left to right (the classic eight at 75%).
const BARS: [[u8; 3]; 8] = [
    [191, 191, 191],
    [191, 191, 0],
    [0, 191, 191],
    [0, 191, 0],
    [191, 0, 191],
    [191, 0, 0],
    [0, 0, 191],
    [16, 16, 16],
];

/// Characters in the longest line drawn (`YYYY-MM-DD HH:MM:SS.mmm UTC`).
const LONGEST_LINE: usize = 27;

/// An RGB frame the pattern is drawn into.
#[derive(Debug)]
pub struct Canvas {
    width: usize,
    height: usize,
    /// The still background, drawn once.
    background: Vec<u8>,
    rgb: Vec<u8>,
    scale: usize,
}

impl Canvas {
    /// A canvas of `size` with its background drawn.
    pub fn new(size: Size) -> Self {
        let (width, height) = (usize::from(size.width), usize::from(size.height));
        let mut background = vec![0u8; width * height * 3];
        let bars_end = height * 2 / 3;
        for (y, row) in background.chunks_exact_mut(width * 3).enumerate() {
            for (x, px) in row.chunks_exact_mut(3).enumerate() {
                let colour = if y < bars_end {
                    BARS[x * BARS.len() / width]
                } else {
                    // A grey ramp below the bars shows banding and compression artefacts.
                    let v = (x * 255 / width.max(1)) as u8;
                    [v, v, v]
                };
                px.copy_from_slice(&colour);
            }
        }
        // Text scale: about a 30th of the height, but never so large that the longest line
        // (the 27-character time, plus margins) overflows the width: 3 at 640x480, 6 at 720p.
        let scale = (height / 120)
            .min(width / ((LONGEST_LINE + 1) * (font::WIDTH + 1)))
            .max(1);
        Canvas {
            width,
            height,
            rgb: background.clone(),
            background,
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

    /// Draws frame number `count`, captured at `at`.
    pub fn draw(&mut self, count: u64, at: SystemTime, banner: Option<&str>) {
        // Scroll the background left a little each frame: one turn every ~160 frames.
        let step = (self.width / 160).max(1);
        // Below a whole row, so both slices below are in bounds.
        let shift = (count as usize * step) % self.width.max(1) * 3;
        let row_len = self.width * 3;
        for (dst, src) in self
            .rgb
            .chunks_exact_mut(row_len)
            .zip(self.background.chunks_exact(row_len))
        {
            dst[..row_len - shift].copy_from_slice(&src[shift..]);
            dst[row_len - shift..].copy_from_slice(&src[..shift]);
        }
        let mut lines: Vec<String> = Vec::with_capacity(3);
        if let Some(b) = banner {
            lines.push(b.to_string());
        }
        lines.push(format!("FRAME {count}"));
        lines.push(wall_clock(at));
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

    /// Paints frame number `count` as the machine-readable strip along the bottom
    /// (`mjpeg_wire::strip`), for tests that read which frame a client shows.
    pub fn draw_strip(&mut self, count: u64) {
        mjpeg_wire::strip::paint(&mut self.rgb, self.width, self.height, count);
    }

    /// Covers the bottom sixth with random 2x2 blocks, different for every `seed`: detail
    /// that JPEG cannot compress away (at 320x240 and quality 30, 1.7 times the calm
    /// pattern's bytes, so 1000 kbit/s at 24 fps needs the quality floor and 80 % of the
    /// frames).
    pub fn draw_detail(&mut self, seed: u64) {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let top = self.height * 5 / 6;
        for y in (top..self.height).step_by(2) {
            for x in (0..self.width).step_by(2) {
                // xorshift64: cheap, and plenty random for an encoder.
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let v = (state >> 56) as u8;
                self.fill(x, y, 2, 2, [v, v / 2 + 64, 255 - v]);
            }
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
    fn fill(&mut self, x: usize, y: usize, w: usize, h: usize, colour: [u8; 3]) {
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

/// `YYYY-MM-DD HH:MM:SS.mmm UTC` for a time since the epoch (civil date from day count,
/// after Howard Hinnant's `civil_from_days`).
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
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

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
    fn consecutive_frames_differ_and_text_is_drawn() {
        let size = Size {
            width: 320,
            height: 240,
        };
        let mut canvas = Canvas::new(size);
        let at = SystemTime::now();
        canvas.draw(1, at, Some("TEST PATTERN"));
        let first = canvas.rgb().to_vec();
        canvas.draw(2, at, Some("TEST PATTERN"));
        assert_ne!(first, canvas.rgb(), "the pattern moves");
        assert_eq!(canvas.rgb().len(), 320 * 240 * 3);
        // Some pure white pixels: text (the bars are at 75%).
        assert!(canvas.rgb().chunks_exact(3).any(|p| p == [255, 255, 255]));
    }

    #[test]
    fn busy_scenes_carry_detail_that_changes_every_frame() {
        let size = Size {
            width: 64,
            height: 48,
        };
        let mut canvas = Canvas::new(size);
        canvas.draw(1, SystemTime::UNIX_EPOCH, None);
        let calm = canvas.rgb().to_vec();
        canvas.draw_detail(1);
        let busy = canvas.rgb().to_vec();
        canvas.draw_detail(2);
        // Only the bottom sixth changes, and differently each frame.
        let top = 64 * 40 * 3;
        assert_eq!(&calm[..top], &busy[..top]);
        assert_ne!(&calm[top..], &busy[top..]);
        assert_ne!(busy, canvas.rgb());
        let ten = Scene::CHANGE_EVERY;
        assert!(!Scene::Changing.is_busy(Duration::ZERO));
        assert!(Scene::Changing.is_busy(ten + Duration::from_millis(1)));
        assert!(!Scene::Changing.is_busy(ten * 2));
        assert!(Scene::Busy.is_busy(Duration::ZERO) && !Scene::Calm.is_busy(ten));
    }

    #[test]
    fn a_card_replaces_the_picture() {
        let mut canvas = Canvas::new(Size {
            width: 320,
            height: 240,
        });
        canvas.draw_card(&["NO SIGNAL".into(), "/dev/video0".into()]);
        let px = canvas.rgb();
        // Dark grey background, yellow headline, no trace of the bars.
        assert_eq!(&px[..3], &[48, 48, 48]);
        assert!(px.chunks_exact(3).any(|p| p == [255, 210, 0]));
        assert!(!px.chunks_exact(3).any(|p| p == BARS[1]));
    }

    #[test]
    fn tiny_canvases_clip_instead_of_panicking() {
        let mut canvas = Canvas::new(Size {
            width: 16,
            height: 16,
        });
        canvas.draw(
            123_456_789,
            SystemTime::now(),
            Some("NO CAMERA - TEST PATTERN"),
        );
        canvas.draw_card(&["NO SIGNAL".into(), "a long second line of text".into()]);
        assert_eq!(canvas.rgb().len(), 16 * 16 * 3);
    }
}
