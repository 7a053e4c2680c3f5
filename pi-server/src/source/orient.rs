//! Rotation and flips of frames we encode, done on the RGB picture just before encoding, so
//! that every client (browser, viewer, player) sees the picture upright with no work of its
//! own.
//!
//! The flips apply to the picture as captured, then the rotation turns it clockwise: the
//! order in which a user reads "mirror it, then turn it".

use std::borrow::Cow;

use crate::size::Size;

/// A turn clockwise, in quarter turns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rotation {
    /// As captured.
    #[default]
    Upright,
    /// 90° clockwise.
    Right,
    /// 180°.
    UpsideDown,
    /// 270° clockwise (90° anticlockwise).
    Left,
}

impl Rotation {
    /// Every rotation, in the order the controls list them.
    pub const ALL: [Rotation; 4] = [
        Rotation::Upright,
        Rotation::Right,
        Rotation::UpsideDown,
        Rotation::Left,
    ];

    /// The rotation of `degrees` clockwise, if it is a quarter turn.
    pub fn from_degrees(degrees: i64) -> Option<Self> {
        Rotation::ALL.into_iter().find(|r| r.degrees() == degrees)
    }

    /// Degrees clockwise.
    pub fn degrees(self) -> i64 {
        match self {
            Rotation::Upright => 0,
            Rotation::Right => 90,
            Rotation::UpsideDown => 180,
            Rotation::Left => 270,
        }
    }

    /// Whether width and height swap.
    fn swaps_sides(self) -> bool {
        matches!(self, Rotation::Right | Rotation::Left)
    }
}

/// How a picture is turned and mirrored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Orientation {
    /// The turn, after the flips.
    pub rotation: Rotation,
    /// Mirror left to right.
    pub hflip: bool,
    /// Mirror top to bottom.
    pub vflip: bool,
}

impl Orientation {
    /// Whether the picture is left as it is.
    pub fn is_identity(self) -> bool {
        self == Orientation::default()
    }

    /// The size of a picture of `size` once oriented.
    pub fn oriented_size(self, size: Size) -> Size {
        if self.rotation.swaps_sides() {
            Size {
                width: size.height,
                height: size.width,
            }
        } else {
            size
        }
    }

    /// `rgb` (3 bytes a pixel, rows top to bottom, `size`) oriented; borrowed as it is when
    /// nothing is to be done. A buffer of the wrong length is returned unchanged rather
    /// than read out of bounds.
    pub fn apply<'a>(self, rgb: &'a [u8], size: Size) -> Cow<'a, [u8]> {
        let (w, h) = (usize::from(size.width), usize::from(size.height));
        if self.is_identity() || rgb.len() != w * h * 3 {
            return Cow::Borrowed(rgb);
        }
        let out_size = self.oriented_size(size);
        let out_w = usize::from(out_size.width);
        let mut out = vec![0u8; rgb.len()];
        for (i, px) in out.chunks_exact_mut(3).enumerate() {
            let (ox, oy) = (i % out_w, i / out_w);
            // Where this output pixel comes from in the flipped picture.
            let (x, y) = match self.rotation {
                Rotation::Upright => (ox, oy),
                Rotation::Right => (oy, h - 1 - ox),
                Rotation::UpsideDown => (w - 1 - ox, h - 1 - oy),
                Rotation::Left => (w - 1 - oy, ox),
            };
            let x = if self.hflip { w - 1 - x } else { x };
            let y = if self.vflip { h - 1 - y } else { y };
            let at = (y * w + x) * 3;
            px.copy_from_slice(&rgb[at..at + 3]);
        }
        Cow::Owned(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3x2 picture whose pixels are numbered 0..6 (in the red byte), rows top to bottom:
    /// ```text
    /// 0 1 2
    /// 3 4 5
    /// ```
    fn numbered() -> (Vec<u8>, Size) {
        let rgb = (0..6u8).flat_map(|n| [n, 0, 0]).collect();
        (
            rgb,
            Size {
                width: 3,
                height: 2,
            },
        )
    }

    fn reds(rgb: &[u8]) -> Vec<u8> {
        rgb.chunks_exact(3).map(|p| p[0]).collect()
    }

    fn oriented(rotation: Rotation, hflip: bool, vflip: bool) -> (Vec<u8>, Size) {
        let (rgb, size) = numbered();
        let o = Orientation {
            rotation,
            hflip,
            vflip,
        };
        (reds(&o.apply(&rgb, size)), o.oriented_size(size))
    }

    #[test]
    fn a_quarter_turn_clockwise_puts_the_left_column_on_top() {
        let (px, size) = oriented(Rotation::Right, false, false);
        assert_eq!((size.width, size.height), (2, 3));
        // 3 0
        // 4 1
        // 5 2
        assert_eq!(px, [3, 0, 4, 1, 5, 2]);
        assert_eq!(oriented(Rotation::Left, false, false).0, [2, 5, 1, 4, 0, 3]);
        assert_eq!(
            oriented(Rotation::UpsideDown, false, false).0,
            [5, 4, 3, 2, 1, 0]
        );
    }

    #[test]
    fn flips_mirror_the_picture_before_it_turns() {
        assert_eq!(
            oriented(Rotation::Upright, true, false).0,
            [2, 1, 0, 5, 4, 3]
        );
        assert_eq!(
            oriented(Rotation::Upright, false, true).0,
            [3, 4, 5, 0, 1, 2]
        );
        // Both flips are a half turn.
        assert_eq!(
            oriented(Rotation::Upright, true, true).0,
            oriented(Rotation::UpsideDown, false, false).0
        );
        // Mirrored, then turned right: the mirrored left column (2, 5) reads upwards on top.
        assert_eq!(oriented(Rotation::Right, true, false).0, [5, 2, 4, 1, 3, 0]);
    }

    #[test]
    fn upright_borrows_and_quarter_turns_are_the_only_rotations() {
        let (rgb, size) = numbered();
        assert!(matches!(
            Orientation::default().apply(&rgb, size),
            Cow::Borrowed(_)
        ));
        assert_eq!(Rotation::from_degrees(270), Some(Rotation::Left));
        assert_eq!(Rotation::from_degrees(45), None);
        // A buffer that does not match its size is left alone, not read out of bounds.
        let short = Orientation {
            rotation: Rotation::Right,
            ..Orientation::default()
        };
        assert_eq!(short.apply(&rgb[..9], size).len(), 9);
    }
}
