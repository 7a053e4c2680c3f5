//! The test pattern: moving colour bars with the frame counter and wall-clock time drawn in,
//! encoded at the configured size, rate and quality on its own thread.
//!
//! Drawing must cost far less than encoding: the bars are drawn once, and each frame copies
//! every row in two pieces (which scrolls them) and draws a few lines of 5x7 text.

use std::time::{Instant, SystemTime};

use super::draw::{Canvas, wall_clock};
use super::encode::JpegEncoder;
use super::error::SourceError;
use super::frame_source::{Capabilities, FrameSource, Running};
use super::orient::Orientation;
use super::pacer::Pacer;
use super::spec::Scene;
use crate::publish::Publisher;
use crate::shutdown::Shutdown;
use crate::size::Size;

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

    fn run(self, publisher: Publisher, shutdown: Shutdown) {
        let mut size = self.size;
        let mut orientation = Orientation::default();
        let mut picture = publisher.watch_picture();
        let mut canvas = Pattern::new(size);
        let mut encoder = JpegEncoder::new();
        let mut pacer = Pacer::new(publisher.clone(), shutdown);
        let mut count = 0u64;
        let started = Instant::now();
        // Its quality is ours to set: rate control turns it down before dropping frames.
        publisher.gate().set_encodes(true);
        while pacer.wait_turn() {
            // A new size or orientation from the controls takes effect with this frame;
            // clients stay connected and simply get frames of the new shape.
            if picture.has_changed().unwrap_or(false) {
                let asked = *picture.borrow_and_update();
                orientation = asked.orientation;
                if let Some(new) = asked.size.filter(|s| *s != size) {
                    tracing::info!(from = %size, to = %new, "test pattern resized");
                    size = new;
                    canvas = Pattern::new(size);
                }
            }
            let captured = SystemTime::now();
            count += 1;
            canvas.draw(count, captured, self.banner);
            if self.scene.is_busy(started.elapsed()) {
                canvas.draw_detail(count);
            }
            // Last, over the detail: every drawn frame is published, so `count` is the
            // sequence number `/stats` reports as `newest_frame`.
            canvas.draw_strip(count);
            let quality = publisher.quality();
            let rgb = orientation.apply(canvas.rgb(), size);
            let Size { width, height } = orientation.oriented_size(size);
            match encoder.encode_rgb(&rgb, width, height, quality) {
                Ok(jpeg) => {
                    publisher.publish_valid(jpeg, captured, (width, height));
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

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            encodes: true,
            orients: true,
            resizes: true,
            paced: true,
        }
    }

    fn start(
        self: Box<Self>,
        publisher: Publisher,
        shutdown: Shutdown,
    ) -> Result<Running, SourceError> {
        // Encoding is CPU work: it gets its own thread so it never stalls the async runtime.
        std::thread::Builder::new()
            .name("pattern".into())
            .spawn(move || self.run(publisher, shutdown))
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

/// The pattern's picture: a still background, scrolled and written on for every frame.
#[derive(Debug)]
pub struct Pattern {
    canvas: Canvas,
    /// The still background, drawn once.
    background: Vec<u8>,
}

impl Pattern {
    /// A pattern of `size` with its background drawn.
    pub fn new(size: Size) -> Self {
        let mut canvas = Canvas::new(size);
        let (width, height) = (usize::from(size.width), usize::from(size.height));
        let bars_end = height * 2 / 3;
        for (y, row) in canvas.rgb_mut().chunks_exact_mut(width * 3).enumerate() {
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
        let background = canvas.rgb().to_vec();
        Pattern { canvas, background }
    }

    /// The pixels, 3 bytes per pixel, rows top to bottom.
    pub fn rgb(&self) -> &[u8] {
        self.canvas.rgb()
    }

    /// Draws frame number `count`, captured at `at`.
    pub fn draw(&mut self, count: u64, at: SystemTime, banner: Option<&str>) {
        let width = usize::from(self.canvas.size().width);
        // Scroll the background left a little each frame: one turn every ~160 frames.
        let step = (width / 160).max(1);
        // Below a whole row, so both slices below are in bounds.
        let shift = (count as usize * step) % width.max(1) * 3;
        let row_len = width * 3;
        for (dst, src) in self
            .canvas
            .rgb_mut()
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
        self.canvas.draw_label(&lines);
    }

    /// Paints frame number `count` as the machine-readable strip along the bottom
    /// (`mjpeg_wire::strip`), for tests that read which frame a client shows.
    pub fn draw_strip(&mut self, count: u64) {
        let Size { width, height } = self.canvas.size();
        mjpeg_wire::strip::paint(
            self.canvas.rgb_mut(),
            usize::from(width),
            usize::from(height),
            count,
        );
    }

    /// Covers the bottom sixth with random 2x2 blocks, different for every `seed`: detail
    /// that JPEG cannot compress away (at 320x240 and quality 30, 1.7 times the calm
    /// pattern's bytes, so 1000 kbit/s at 24 fps needs the quality floor and 80 % of the
    /// frames).
    pub fn draw_detail(&mut self, seed: u64) {
        let Size { width, height } = self.canvas.size();
        let (width, height) = (usize::from(width), usize::from(height));
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let top = height * 5 / 6;
        for y in (top..height).step_by(2) {
            for x in (0..width).step_by(2) {
                // xorshift64: cheap, and plenty random for an encoder.
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let v = (state >> 56) as u8;
                self.canvas.fill(x, y, 2, 2, [v, v / 2 + 64, 255 - v]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn consecutive_frames_differ_and_text_is_drawn() {
        let size = Size {
            width: 320,
            height: 240,
        };
        let mut canvas = Pattern::new(size);
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
        let mut canvas = Pattern::new(size);
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
    fn tiny_canvases_clip_instead_of_panicking() {
        let mut canvas = Pattern::new(Size {
            width: 16,
            height: 16,
        });
        canvas.draw(
            123_456_789,
            SystemTime::now(),
            Some("NO CAMERA - TEST PATTERN"),
        );
        assert_eq!(canvas.rgb().len(), 16 * 16 * 3);
    }
}
