//! A frame size in pixels, as `--size` gives it (`640x480`).

use std::fmt;
use std::str::FromStr;

/// A frame size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
}

impl Size {
    /// Smallest accepted side: the pattern's text needs some room, and JPEG works in 16x16
    /// blocks.
    pub const MIN: u16 = 16;
    /// Largest accepted side; larger is beyond any Pi camera's MJPEG mode.
    pub const MAX: u16 = 4096;
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

/// A `--size` that is not `WIDTHxHEIGHT` within limits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a size: use WIDTHxHEIGHT with each side from {min} to {max}, e.g. 640x480",
    min = Size::MIN,
    max = Size::MAX
)]
pub struct SizeError(pub String);

impl FromStr for Size {
    type Err = SizeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || SizeError(s.to_string());
        let (w, h) = s.trim().split_once(['x', 'X', '*']).ok_or_else(err)?;
        let side = |v: &str| -> Result<u16, SizeError> {
            let n: u16 = v.trim().parse().map_err(|_| err())?;
            if (Size::MIN..=Size::MAX).contains(&n) {
                Ok(n)
            } else {
                Err(err())
            }
        };
        Ok(Size {
            width: side(w)?,
            height: side(h)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_width_by_height() {
        assert_eq!(
            "1280x720".parse(),
            Ok(Size {
                width: 1280,
                height: 720
            })
        );
        assert_eq!(
            " 640X480 ".parse(),
            Ok(Size {
                width: 640,
                height: 480
            })
        );
        for bad in ["640", "x480", "0x0", "640x", "abcxdef", "99999x480", "8x8"] {
            assert!(bad.parse::<Size>().is_err(), "{bad} should be refused");
        }
        let msg = "640".parse::<Size>().unwrap_err().to_string();
        assert!(msg.contains("WIDTHxHEIGHT"), "{msg}");
    }
}
