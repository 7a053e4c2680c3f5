//! A decoded picture turned as its EXIF Orientation says (the mark pi-server puts on frames
//! it passes through instead of re-encoding them), the way browsers show it.

use eframe::egui::{Color32, ColorImage};

/// `image` as EXIF orientation `tag` says to show it (`None` or 1: as stored).
pub fn oriented(image: ColorImage, tag: Option<u8>) -> ColorImage {
    let Some(tag @ 2..=8) = tag else {
        return image;
    };
    let [w, h] = image.size;
    let from = &image.pixels;
    // Tags 5-8 swap width and height.
    let (ow, oh) = if tag >= 5 { (h, w) } else { (w, h) };
    let mut pixels = Vec::with_capacity(w * h);
    for y in 0..oh {
        for x in 0..ow {
            // Where in the stored picture the shown pixel (x, y) comes from.
            let (sx, sy) = match tag {
                2 => (w - 1 - x, y),
                3 => (w - 1 - x, h - 1 - y),
                4 => (x, h - 1 - y),
                5 => (y, x),
                6 => (y, h - 1 - x),
                7 => (w - 1 - y, h - 1 - x),
                _ => (w - 1 - y, x), // 8
            };
            pixels.push(from.get(sy * w + sx).copied().unwrap_or(Color32::BLACK));
        }
    }
    ColorImage::new([ow, oh], pixels)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3x2 picture whose pixels are their own numbers:
    /// ```text
    /// 0 1 2
    /// 3 4 5
    /// ```
    fn numbered() -> ColorImage {
        let pixels = (0..6).map(Color32::from_gray).collect();
        ColorImage::new([3, 2], pixels)
    }

    fn shown(tag: u8) -> (Vec<u8>, [usize; 2]) {
        let image = oriented(numbered(), Some(tag));
        (image.pixels.iter().map(|p| p.r()).collect(), image.size)
    }

    #[test]
    fn each_exif_orientation_turns_the_picture_as_a_browser_does() {
        assert_eq!(shown(1), (vec![0, 1, 2, 3, 4, 5], [3, 2]));
        assert_eq!(shown(2), (vec![2, 1, 0, 5, 4, 3], [3, 2]), "mirrored");
        assert_eq!(shown(3), (vec![5, 4, 3, 2, 1, 0], [3, 2]), "half a turn");
        assert_eq!(shown(4), (vec![3, 4, 5, 0, 1, 2], [3, 2]), "upside down");
        // Quarter turns: 2 wide, 3 high.
        assert_eq!(shown(5), (vec![0, 3, 1, 4, 2, 5], [2, 3]), "transposed");
        assert_eq!(shown(6), (vec![3, 0, 4, 1, 5, 2], [2, 3]), "90° clockwise");
        assert_eq!(shown(7), (vec![5, 2, 4, 1, 3, 0], [2, 3]), "transversed");
        assert_eq!(
            shown(8),
            (vec![2, 5, 1, 4, 0, 3], [2, 3]),
            "90° counter-clockwise"
        );
        assert_eq!(oriented(numbered(), None).size, [3, 2]);
    }
}
