//! What a source is asked for: which source, and the size, rate and camera controls.

use super::spec::SourceSpec;
use super::v4l2::ControlSetting;
use crate::size::Size;

/// A source's own settings (`--source`, `--size`, `--fps`, `--control`).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Where frames come from.
    pub spec: SourceSpec,
    /// Size of generated frames (the test pattern) and the size asked of a camera; files
    /// and pipes keep their own size.
    pub size: Size,
    /// Frame rate of generated and replayed frames and the rate asked of a camera (which
    /// grants what it can); pipes run at their producer's rate.
    pub fps: u32,
    /// Camera controls to set (`--control NAME=VALUE`), on every open.
    pub controls: Vec<ControlSetting>,
}

impl Default for Settings {
    /// The original recipe's: the first camera, 640x480 at 24 fps.
    fn default() -> Self {
        Settings {
            spec: SourceSpec::Auto,
            size: Size {
                width: 640,
                height: 480,
            },
            fps: 24,
            controls: Vec::new(),
        }
    }
}
