//! The stream's own controls: JPEG quality, rate target (on/off and kbit/s), frame rate,
//! size, rotation and flips; which of them a source has depends on what it can change.

use serde_json::{Value, json};

use super::catalogue::{Control, Group, Kind, MenuOption};
use crate::publish::Picture;
use crate::size::Size;
use crate::source::Capabilities;
use crate::source::orient::{Orientation, Rotation};

/// Sizes the size menu offers (besides the one configured, if it is not among them).
const SIZES: [(u16, u16); 7] = [
    (160, 120),
    (320, 240),
    (640, 480),
    (800, 600),
    (1024, 768),
    (1280, 720),
    (1920, 1080),
];

/// The rate target's range in kbit/s: below 50 not even one small frame a second fits;
/// above 100 Mbit/s no Pi link carries it.
const TARGET_KBPS: (i64, i64) = (50, 100_000);

/// The target a switched-on target starts at when none was configured: what a busy
/// 640x480 picture needs at a modest quality, so that switching it on shows an effect.
const DEFAULT_TARGET_KBPS: u32 = 1000;

/// The stream's settings that can change live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamSettings {
    /// JPEG quality of frames we encode (rate control's ceiling).
    pub quality: u8,
    /// Whether the rate target holds.
    pub target: bool,
    /// The rate target, kbit/s (kept while it is off, for when it comes on).
    pub target_kbps: u32,
    /// Frames per second of a source that paces itself.
    pub fps: u32,
    /// Size of frames we make.
    pub size: Size,
    /// Rotation and flips of frames we encode.
    pub orientation: Orientation,
}

impl StreamSettings {
    /// The settings the command line asked for.
    pub fn configured(
        source: &crate::source::Settings,
        publish: &crate::publish::Settings,
    ) -> Self {
        StreamSettings {
            quality: publish.quality,
            target: publish.target_kbps.is_some(),
            target_kbps: publish.target_kbps.unwrap_or(DEFAULT_TARGET_KBPS),
            fps: source.fps,
            size: source.size,
            orientation: Orientation::default(),
        }
    }

    /// What the source is asked to shape its frames to.
    pub fn picture(&self, caps: Capabilities) -> Picture {
        // A source that does not turn its frames gets them marked (EXIF) instead.
        let (orientation, marked) = if caps.orients {
            (self.orientation, Orientation::default())
        } else {
            (Orientation::default(), self.orientation)
        };
        Picture {
            size: caps.resizes.then_some(self.size),
            orientation,
            marked,
        }
    }

    /// The controls of a source that can change `caps`, with their defaults from
    /// `defaults` and values from `self`.
    pub fn controls(&self, defaults: &StreamSettings, caps: Capabilities) -> Vec<Control> {
        let mut list = Vec::new();
        let mut add = |name: &str, label: &str, kind: Kind, value: fn(&StreamSettings) -> Value| {
            list.push(Control {
                name: name.into(),
                label: label.into(),
                group: Group::Stream,
                kind,
                default: value(defaults),
                value: value(self),
            });
        };
        let integer = |min: i64, max: i64| Kind::Integer { min, max, step: 1 };
        if caps.encodes {
            add("quality", "JPEG quality", integer(1, 100), |s| {
                json!(s.quality)
            });
        }
        add("target", "Hold a bit rate", Kind::Boolean, |s| {
            json!(s.target)
        });
        add(
            "target_kbps",
            "Target kbit/s",
            integer(TARGET_KBPS.0, TARGET_KBPS.1),
            |s| json!(s.target_kbps),
        );
        if caps.paced {
            add("fps", "Frame rate", integer(1, 120), |s| json!(s.fps));
        }
        if caps.resizes {
            add("size", "Size", size_menu(defaults.size), |s| {
                json!(s.size.to_string())
            });
        }
        {
            // Every source: turned in the encoder, or marked in each frame's EXIF.
            let options = Rotation::ALL
                .iter()
                .map(|r| MenuOption {
                    value: json!(r.degrees()),
                    label: format!("{}°", r.degrees()),
                })
                .collect();
            add("rotation", "Rotation", Kind::Menu { options }, |s| {
                json!(s.orientation.rotation.degrees())
            });
            add("hflip", "Mirror left-right", Kind::Boolean, |s| {
                json!(s.orientation.hflip)
            });
            add("vflip", "Mirror top-bottom", Kind::Boolean, |s| {
                json!(s.orientation.vflip)
            });
        }
        list
    }

    /// Sets the control `name` to `value`, which [`Control::check`] accepted. Returns
    /// whether the name is one of the stream's.
    pub fn set(&mut self, name: &str, value: &Value) -> bool {
        let int = || value.as_i64().unwrap_or_default();
        let flag = || value.as_bool().unwrap_or_default();
        // The checks passed, so the conversions below hold; a value that somehow does not
        // convert leaves the setting as it was rather than panicking.
        match name {
            "quality" => self.quality = u8::try_from(int()).unwrap_or(self.quality),
            "target" => self.target = flag(),
            "target_kbps" => self.target_kbps = u32::try_from(int()).unwrap_or(self.target_kbps),
            "fps" => self.fps = u32::try_from(int()).unwrap_or(self.fps),
            "size" => {
                if let Some(size) = value.as_str().and_then(|s| s.parse().ok()) {
                    self.size = size;
                }
            }
            "rotation" => {
                if let Some(r) = Rotation::from_degrees(int()) {
                    self.orientation.rotation = r;
                }
            }
            "hflip" => self.orientation.hflip = flag(),
            "vflip" => self.orientation.vflip = flag(),
            _ => return false,
        }
        true
    }
}

/// The sizes offered, with the configured one among them.
fn size_menu(configured: Size) -> Kind {
    let mut sizes: Vec<Size> = SIZES
        .iter()
        .map(|&(width, height)| Size { width, height })
        .collect();
    if !sizes.contains(&configured) {
        sizes.push(configured);
        sizes.sort_by_key(|s| (u32::from(s.width) * u32::from(s.height), s.width));
    }
    Kind::Menu {
        options: sizes
            .into_iter()
            .map(|s| MenuOption {
                value: json!(s.to_string()),
                label: s.to_string(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> StreamSettings {
        StreamSettings::configured(&Default::default(), &Default::default())
    }

    fn names(caps: Capabilities) -> Vec<String> {
        let s = settings();
        s.controls(&s, caps).into_iter().map(|c| c.name).collect()
    }

    #[test]
    fn which_controls_a_source_has_follows_what_it_can_change() {
        let all = Capabilities {
            encodes: true,
            orients: true,
            resizes: true,
            paced: true,
        };
        assert_eq!(
            names(all),
            [
                "quality",
                "target",
                "target_kbps",
                "fps",
                "size",
                "rotation",
                "hflip",
                "vflip"
            ]
        );
        // A pipe or a relay passes frames through: the rate target, and the orientation
        // marked in each frame.
        assert_eq!(
            names(Capabilities::default()),
            ["target", "target_kbps", "rotation", "hflip", "vflip"]
        );
        let file = Capabilities {
            paced: true,
            ..Capabilities::default()
        };
        assert_eq!(
            names(file),
            ["target", "target_kbps", "fps", "rotation", "hflip", "vflip"]
        );
    }

    #[test]
    fn values_set_are_read_back_and_defaults_stay() {
        let defaults = settings();
        let mut s = defaults;
        assert!(s.set("rotation", &json!(90)));
        assert!(s.set("size", &json!("320x240")));
        assert!(s.set("target", &json!(true)));
        assert!(!s.set("brightness", &json!(5)));
        let caps = Capabilities {
            encodes: true,
            orients: true,
            resizes: true,
            paced: true,
        };
        let list = s.controls(&defaults, caps);
        let rotation = list.iter().find(|c| c.name == "rotation").unwrap();
        assert_eq!(
            (&rotation.value, &rotation.default),
            (&json!(90), &json!(0))
        );
        assert_eq!(
            s.picture(caps).size,
            Some(Size {
                width: 320,
                height: 240
            })
        );
        // A source that does not encode is never asked to turn its frames: the publisher
        // marks them.
        let passed = s.picture(Capabilities::default());
        assert_eq!(
            (passed.size, passed.orientation),
            (None, Orientation::default())
        );
        assert_eq!(passed.marked.rotation, Rotation::Right);
    }

    #[test]
    fn an_unusual_configured_size_is_offered_too() {
        let Kind::Menu { options } = size_menu(Size {
            width: 400,
            height: 300,
        }) else {
            panic!("the size is a menu");
        };
        let labels: Vec<&str> = options.iter().map(|o| o.label.as_str()).collect();
        assert_eq!(labels[..4], ["160x120", "320x240", "400x300", "640x480"]);
    }
}
