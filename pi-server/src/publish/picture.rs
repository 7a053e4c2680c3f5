//! What shape a source should give the frames it makes (size, orientation): set live by the
//! controls, read by the source before each frame through a watch channel, so that a
//! change needs no restart and no lock on the frame path.

use crate::size::Size;
use crate::source::orient::Orientation;

/// The picture a source that makes or encodes its frames is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Picture {
    /// The size to make frames at (before orientation); `None`: the source's own.
    pub size: Option<Size>,
    /// Rotation and flips the source applies to the frames it encodes.
    pub orientation: Orientation,
    /// Rotation and flips the publisher marks in each JPEG's EXIF instead (frames passed
    /// through, which are not re-encoded).
    pub marked: Orientation,
}
