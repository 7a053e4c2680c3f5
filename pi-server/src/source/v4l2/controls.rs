//! Camera controls (`--control NAME=VALUE`): brightness, exposure, JPEG quality...
//!
//! Names are the device's own control names in the form `v4l2-ctl` prints them: lower case,
//! anything that is not a letter or digit turned into `_` ("Exposure, Absolute" becomes
//! `exposure_absolute`). Values are integers, booleans (`on`/`off`, `true`/`false`) or the
//! name of a menu item (`aperture_priority_mode`). They are checked against the device's own
//! ranges, so that a typo is an error at start rather than a silent no-op.

use std::fmt;
use std::str::FromStr;

/// One `--control NAME=VALUE` as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlSetting {
    /// The control's name, normalised.
    pub name: String,
    /// The value as given (a number, a boolean word or a menu item's name).
    pub value: String,
}

/// A `--control` that is not `NAME=VALUE`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a control setting: use NAME=VALUE, e.g. brightness=60 (see --list-devices)")]
pub struct ControlSyntaxError(pub String);

impl FromStr for ControlSetting {
    type Err = ControlSyntaxError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ControlSyntaxError(s.to_string());
        let (name, value) = s.split_once('=').ok_or_else(err)?;
        let name = normalise(name);
        let value = value.trim();
        if name.is_empty() || value.is_empty() {
            return Err(err());
        }
        Ok(ControlSetting {
            name,
            value: value.to_string(),
        })
    }
}

impl fmt::Display for ControlSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.name, self.value)
    }
}

/// A control's name as `v4l2-ctl` prints it: `Exposure, Absolute` -> `exposure_absolute`.
pub fn normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// What kind of value a control takes, as far as setting it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControlKind {
    /// An integer in `min..=max`, in steps of `step` from `min`.
    Integer {
        /// Smallest value.
        min: i64,
        /// Largest value.
        max: i64,
        /// Step between values (0 or 1: any).
        step: u64,
    },
    /// On or off.
    Boolean,
    /// One of these items, by index and name.
    Menu(Vec<(i64, String)>),
    /// Anything else (buttons, strings, compound controls): listed but not settable here.
    Other,
}

/// A control the device offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlInfo {
    /// V4L2 control id.
    pub id: u32,
    /// Normalised name.
    pub name: String,
    /// Kind and range.
    pub kind: ControlKind,
    /// Default value.
    pub default: i64,
}

/// Why a setting cannot be applied to a device.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ControlError {
    /// The device has no control of that name.
    #[error("the camera has no control {name:?}; it has: {available}")]
    Unknown {
        /// The name given.
        name: String,
        /// The device's settable controls, comma-separated.
        available: String,
    },
    /// The value is not one the control takes.
    #[error("{name}={value} is out of range: {expected}")]
    BadValue {
        /// The control's name.
        name: String,
        /// The value given.
        value: String,
        /// What the control takes.
        expected: String,
    },
}

/// Finds `setting`'s control among `controls` and turns its value into the integer the
/// device takes.
pub fn resolve(
    setting: &ControlSetting,
    controls: &[ControlInfo],
) -> Result<(u32, i64), ControlError> {
    let Some(control) = controls
        .iter()
        .find(|c| c.name == setting.name && c.kind != ControlKind::Other)
    else {
        let available: Vec<&str> = controls
            .iter()
            .filter(|c| c.kind != ControlKind::Other)
            .map(|c| c.name.as_str())
            .collect();
        return Err(ControlError::Unknown {
            name: setting.name.clone(),
            available: if available.is_empty() {
                "none".into()
            } else {
                available.join(", ")
            },
        });
    };
    let bad = |expected: String| ControlError::BadValue {
        name: setting.name.clone(),
        value: setting.value.clone(),
        expected,
    };
    let value = setting.value.as_str();
    match &control.kind {
        ControlKind::Integer { min, max, step } => {
            let expected = || format!("an integer from {min} to {max}");
            let v: i64 = value.parse().map_err(|_| bad(expected()))?;
            if v < *min || v > *max {
                return Err(bad(expected()));
            }
            let step = (*step).max(1);
            if !(v - min).unsigned_abs().is_multiple_of(step) {
                return Err(bad(format!("{} in steps of {step} from {min}", expected())));
            }
            Ok((control.id, v))
        }
        ControlKind::Boolean => match value.to_ascii_lowercase().as_str() {
            "1" | "on" | "true" | "yes" => Ok((control.id, 1)),
            "0" | "off" | "false" | "no" => Ok((control.id, 0)),
            _ => Err(bad("on or off (1 or 0)".into())),
        },
        ControlKind::Menu(items) => {
            if let Ok(index) = value.parse::<i64>()
                && items.iter().any(|(i, _)| *i == index)
            {
                return Ok((control.id, index));
            }
            let wanted = normalise(value);
            items
                .iter()
                .find(|(_, name)| normalise(name) == wanted)
                .map(|(i, _)| (control.id, *i))
                .ok_or_else(|| {
                    let names: Vec<String> = items
                        .iter()
                        .map(|(i, name)| format!("{i} ({})", normalise(name)))
                        .collect();
                    bad(format!("one of {}", names.join(", ")))
                })
        }
        ControlKind::Other => unreachable!("filtered out above"),
    }
}

/// One line describing a control for `--list-devices`.
pub fn describe(control: &ControlInfo, current: Option<i64>) -> String {
    let now = current.map(|v| format!(" = {v}")).unwrap_or_default();
    match &control.kind {
        ControlKind::Integer { min, max, step } => format!(
            "{}{now} (integer {min}..{max}{}, default {})",
            control.name,
            if *step > 1 {
                format!(" step {step}")
            } else {
                String::new()
            },
            control.default
        ),
        ControlKind::Boolean => format!(
            "{}{now} (on/off, default {})",
            control.name,
            if control.default != 0 { "on" } else { "off" }
        ),
        ControlKind::Menu(items) => {
            let names: Vec<String> = items
                .iter()
                .map(|(i, name)| format!("{i}={}", normalise(name)))
                .collect();
            format!(
                "{}{now} (menu: {}; default {})",
                control.name,
                names.join(", "),
                control.default
            )
        }
        ControlKind::Other => format!("{} (not settable here)", control.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn controls() -> Vec<ControlInfo> {
        vec![
            ControlInfo {
                id: 0x0098_0900,
                name: "brightness".into(),
                kind: ControlKind::Integer {
                    min: 0,
                    max: 255,
                    step: 1,
                },
                default: 128,
            },
            ControlInfo {
                id: 0x009a_0902,
                name: normalise("Exposure, Absolute"),
                kind: ControlKind::Integer {
                    min: 3,
                    max: 2047,
                    step: 4,
                },
                default: 250,
            },
            ControlInfo {
                id: 0x009a_0901,
                name: normalise("Auto Exposure"),
                kind: ControlKind::Menu(vec![
                    (1, "Manual Mode".into()),
                    (3, "Aperture Priority Mode".into()),
                ]),
                default: 3,
            },
            ControlInfo {
                id: 0x0098_090c,
                name: normalise("White Balance, Automatic"),
                kind: ControlKind::Boolean,
                default: 1,
            },
            ControlInfo {
                id: 0x009d_0903,
                name: normalise("Compression Quality"),
                kind: ControlKind::Integer {
                    min: 1,
                    max: 100,
                    step: 1,
                },
                default: 80,
            },
            ControlInfo {
                id: 0x00f0_0000,
                name: "disconnect".into(),
                kind: ControlKind::Other,
                default: 0,
            },
        ]
    }

    fn set(s: &str) -> Result<(u32, i64), ControlError> {
        resolve(&s.parse().unwrap(), &controls())
    }

    #[test]
    fn names_are_normalised_like_v4l2_ctl() {
        assert_eq!(normalise("Exposure, Absolute"), "exposure_absolute");
        assert_eq!(
            normalise("  White Balance Temperature  "),
            "white_balance_temperature"
        );
        assert_eq!(normalise("Compression Quality"), "compression_quality");
        assert_eq!(normalise("(x) y--z!"), "x_y_z");
    }

    #[test]
    fn settings_parse_as_name_equals_value() {
        let s: ControlSetting = " Brightness = 60 ".parse().unwrap();
        assert_eq!((s.name.as_str(), s.value.as_str()), ("brightness", "60"));
        assert_eq!(s.to_string(), "brightness=60");
        for bad in ["brightness", "=5", "brightness=", " = ", ""] {
            assert!(bad.parse::<ControlSetting>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn integers_booleans_and_menus_resolve_to_device_values() {
        assert_eq!(set("brightness=60"), Ok((0x0098_0900, 60)));
        assert_eq!(set("exposure_absolute=7"), Ok((0x009a_0902, 7)));
        assert_eq!(set("white_balance_automatic=off"), Ok((0x0098_090c, 0)));
        assert_eq!(set("White Balance, Automatic=TRUE"), Ok((0x0098_090c, 1)));
        assert_eq!(set("auto_exposure=manual_mode"), Ok((0x009a_0901, 1)));
        assert_eq!(
            set("auto_exposure=Aperture Priority Mode"),
            Ok((0x009a_0901, 3))
        );
        assert_eq!(set("auto_exposure=3"), Ok((0x009a_0901, 3)));
        assert_eq!(set("compression_quality=50"), Ok((0x009d_0903, 50)));
    }

    #[test]
    fn wrong_values_say_what_the_control_takes() {
        let err = set("brightness=300").unwrap_err().to_string();
        assert!(err.contains("from 0 to 255"), "{err}");
        let err = set("brightness=bright").unwrap_err().to_string();
        assert!(err.contains("integer"), "{err}");
        let err = set("exposure_absolute=8").unwrap_err().to_string();
        assert!(err.contains("steps of 4 from 3"), "{err}");
        let err = set("auto_exposure=2").unwrap_err().to_string();
        assert!(err.contains("1 (manual_mode)"), "{err}");
        assert!(set("white_balance_automatic=maybe").is_err());
    }

    #[test]
    fn unknown_controls_list_the_ones_there_are() {
        let err = set("zoom=2").unwrap_err().to_string();
        assert!(err.contains("no control \"zoom\""), "{err}");
        assert!(err.contains("brightness, exposure_absolute"), "{err}");
        // Buttons and the like are not offered for setting.
        assert!(!err.contains("disconnect"), "{err}");
        assert!(set("disconnect=1").is_err());
    }

    #[test]
    fn descriptions_for_the_device_list() {
        let c = controls();
        assert_eq!(
            describe(&c[0], Some(100)),
            "brightness = 100 (integer 0..255, default 128)"
        );
        assert_eq!(
            describe(&c[1], None),
            "exposure_absolute (integer 3..2047 step 4, default 250)"
        );
        assert_eq!(
            describe(&c[2], Some(3)),
            "auto_exposure = 3 (menu: 1=manual_mode, 3=aperture_priority_mode; default 3)"
        );
        assert_eq!(
            describe(&c[3], None),
            "white_balance_automatic (on/off, default on)"
        );
    }
}
