//! The camera's own (V4L2) controls as `/api/controls` lists them, in the "camera" group,
//! and the values the device takes for them.

use serde_json::{Value, json};

use super::catalogue::{Control, Group, Kind, MenuOption};
use super::stream::StreamSettings;
use crate::source::orient::{Orientation, Rotation};
use crate::source::v4l2::ControlKind;
use crate::source::v4l2::live::{CameraControl, Granted};

/// V4L2_CID_HFLIP and V4L2_CID_VFLIP: a camera that mirrors its own picture.
pub const FLIPS: (u32, u32) = (0x0098_0914, 0x0098_0915);

/// `o` done where it costs least on a camera that flips: the camera's own flips (left-right,
/// top-bottom), and what is left for the EXIF mark (no rotation, or a quarter turn).
/// A half turn is both flips, so only 90° and 270° need a mark.
pub fn split(o: Orientation) -> ((bool, bool), Orientation) {
    let half = matches!(o.rotation, Rotation::UpsideDown | Rotation::Left);
    let left = Orientation {
        rotation: if matches!(o.rotation, Rotation::Right | Rotation::Left) {
            Rotation::Right
        } else {
            Rotation::Upright
        },
        ..Orientation::default()
    };
    ((o.hflip != half, o.vflip != half), left)
}

/// The control as listed, or `None` for one nobody can set (read-only, compound).
pub fn listed(c: &CameraControl) -> Option<Control> {
    let as_json = |v: i64| match c.info.kind {
        ControlKind::Boolean => json!(v != 0),
        _ => json!(v),
    };
    let kind = match &c.info.kind {
        _ if c.button => Kind::Button,
        ControlKind::Integer { min, max, step } => Kind::Integer {
            min: *min,
            max: *max,
            step: i64::try_from(*step).unwrap_or(1).max(1),
        },
        ControlKind::Boolean => Kind::Boolean,
        ControlKind::Menu(items) => Kind::Menu {
            options: items
                .iter()
                .map(|(index, name)| MenuOption {
                    value: json!(index),
                    label: name.clone(),
                })
                .collect(),
        },
        ControlKind::Other => return None,
    };
    let (default, value) = if c.button {
        (Value::Null, Value::Null)
    } else {
        (
            as_json(c.info.default),
            c.value.map_or(Value::Null, as_json),
        )
    };
    Some(Control {
        name: c.info.name.clone(),
        label: c.label.clone(),
        group: Group::Camera,
        kind,
        default,
        value,
    })
}

/// The integer the device takes for a value [`Control::check`] accepted.
pub fn device_value(checked: &Value) -> i64 {
    match checked {
        Value::Bool(b) => i64::from(*b),
        other => other.as_i64().unwrap_or_default(),
    }
}

/// The stream's `size` and `fps` in `list` as the camera took them, where nothing was asked
/// since it opened (a pending change shows as asked until the camera re-opens with it).
/// A granted size the menu lacks is added to it: the camera has it.
pub fn granted_into(list: &mut [Control], current: &StreamSettings, granted: Granted) {
    let (asked_w, asked_h, asked_fps) = granted.asked;
    let size_settled = (
        u32::from(current.size.width),
        u32::from(current.size.height),
    ) == (asked_w, asked_h);
    for control in list.iter_mut() {
        match control.name.as_str() {
            "size" if size_settled => {
                let took = json!(format!("{}x{}", granted.width, granted.height));
                if let Kind::Menu { options } = &mut control.kind
                    && !options.iter().any(|o| o.value == took)
                {
                    options.push(MenuOption {
                        label: format!("{}x{} (granted)", granted.width, granted.height),
                        value: took.clone(),
                    });
                }
                control.value = took;
            }
            "fps" if current.fps == asked_fps && granted.fps >= 1.0 => {
                control.value = json!(granted.fps.round() as i64);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controls::Check as _;

    fn camera_control(kind: ControlKind, value: Option<i64>, button: bool) -> CameraControl {
        CameraControl {
            info: crate::source::v4l2::ControlInfo {
                id: 0x0098_0900,
                name: "brightness".into(),
                kind,
                default: 1,
            },
            label: "Brightness".into(),
            value,
            button,
        }
    }

    #[test]
    fn a_flipping_camera_and_a_quarter_turn_mark_show_every_orientation() {
        use crate::size::Size;
        let rgb: Vec<u8> = (0..6u8).flat_map(|n| [n, 0, 0]).collect();
        let size = Size {
            width: 3,
            height: 2,
        };
        for rotation in Rotation::ALL {
            for (hflip, vflip) in [(false, false), (true, false), (false, true), (true, true)] {
                let wanted = Orientation {
                    rotation,
                    hflip,
                    vflip,
                };
                let ((h, v), marked) = split(wanted);
                let flipped = Orientation {
                    hflip: h,
                    vflip: v,
                    ..Orientation::default()
                }
                .apply(&rgb, size)
                .into_owned();
                assert_eq!(
                    marked.apply(&flipped, size),
                    wanted.apply(&rgb, size),
                    "{wanted:?}"
                );
                assert!(!marked.hflip && !marked.vflip);
            }
        }
        // A half turn needs no mark at all.
        let half = Orientation {
            rotation: Rotation::UpsideDown,
            ..Orientation::default()
        };
        assert_eq!(split(half), ((true, true), Orientation::default()));
    }

    #[test]
    fn every_kind_of_camera_control_is_listed_in_the_camera_group() {
        let integer = ControlKind::Integer {
            min: 0,
            max: 255,
            step: 1,
        };
        let listed_integer = listed(&camera_control(integer, Some(128), false)).unwrap();
        assert_eq!(
            serde_json::to_value(&listed_integer).unwrap(),
            json!({"name": "brightness", "label": "Brightness", "group": "camera",
                   "kind": "integer", "min": 0, "max": 255, "step": 1,
                   "default": 1, "value": 128})
        );
        let boolean = listed(&camera_control(ControlKind::Boolean, Some(0), false)).unwrap();
        assert_eq!(
            (boolean.default, boolean.value),
            (json!(true), json!(false))
        );
        let menu = ControlKind::Menu(vec![(0, "Manual".into()), (3, "Aperture Priority".into())]);
        let menu = listed(&camera_control(menu, Some(3), false)).unwrap();
        assert_eq!(menu.check(&json!("Manual")), Ok(json!(0)));
        let button = listed(&camera_control(ControlKind::Other, None, true)).unwrap();
        assert_eq!((button.kind, button.value), (Kind::Button, Value::Null));
        // Read-only and compound controls are not listed.
        assert!(listed(&camera_control(ControlKind::Other, Some(5), false)).is_none());
        assert_eq!(
            (device_value(&json!(true)), device_value(&json!(42))),
            (1, 42)
        );
    }

    /// The listing says what the camera took: a size it does not have becomes the nearest
    /// it granted (added to the menu), unless a new size is still waiting for the camera.
    #[test]
    fn the_listing_gives_the_size_and_rate_the_camera_granted() {
        let mut current = StreamSettings::configured(&Default::default(), &Default::default());
        current.size = "1000x700".parse().unwrap();
        current.fps = 24;
        // A camera: it re-negotiates size and rate.
        let caps = crate::source::Capabilities {
            resizes: true,
            paced: true,
            ..Default::default()
        };
        let listed = || current.controls(&current, caps);
        let value = |list: &[Control], name: &str| {
            list.iter()
                .find(|c| c.name == name)
                .map(|c| c.value.clone())
        };
        let granted = Granted {
            asked: (1000, 700, 24),
            width: 1024,
            height: 768,
            fps: 30.0,
        };
        let mut list = listed();
        granted_into(&mut list, &current, granted);
        assert_eq!(value(&list, "size"), Some(json!("1024x768")));
        assert_eq!(value(&list, "fps"), Some(json!(30)));
        let size = list.iter().find(|c| c.name == "size").unwrap();
        assert!(
            size.check(&json!("1024x768")).is_ok(),
            "the granted size is a choice"
        );

        // Asked for another size since: it shows as asked until the camera re-opens.
        let pending = Granted {
            asked: (640, 480, 24),
            ..granted
        };
        let mut list = listed();
        granted_into(&mut list, &current, pending);
        assert_eq!(value(&list, "size"), Some(json!("1000x700")));
    }
}
