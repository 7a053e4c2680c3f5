//! The live controls' JSON (`/api/controls`), one definition for the server that serves it
//! and the viewer that draws a panel from it (feature `json`: serde).
//!
//! `GET` answers a list of [`Control`]s; `PUT`/`POST` take an object of `{"name": value}`
//! (`null` resets one to its default) and answer the list with the values now in force, or a
//! [`Refusal`] that changed nothing. pi-server's README has the whole contract.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The path of the API on a camera's server.
pub const PATH: &str = "/api/controls";

/// Whose control it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    /// The camera's own (V4L2) controls, read from the device.
    Camera,
    /// The server's: quality, rate target, frame rate, size, rotation, flips.
    Stream,
}

/// One choice of a menu.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MenuOption {
    /// What is set and read back: a number (rotation's degrees, a V4L2 menu's index) or a
    /// string (a size, `640x480`).
    pub value: Value,
    /// What a person reads.
    pub label: String,
}

/// What kind of value a control takes, and its range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Kind {
    /// An integer from `min` to `max`, in steps of `step` from `min`.
    Integer {
        /// Smallest value.
        min: i64,
        /// Largest value.
        max: i64,
        /// Step between values (at least 1).
        step: i64,
    },
    /// `true` or `false`.
    Boolean,
    /// One of `options`, by its value (or its label).
    Menu {
        /// The choices.
        options: Vec<MenuOption>,
    },
    /// An action: set it to `true` to press it; it has no value.
    Button,
}

/// A control, as `/api/controls` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Control {
    /// What a request names it by (`quality`, `brightness`).
    pub name: String,
    /// What a person reads (`JPEG quality`).
    pub label: String,
    /// Whose control it is.
    pub group: Group,
    /// Its kind and range (`kind`, then `min`/`max`/`step` or `options`, flattened).
    #[serde(flatten)]
    pub kind: Kind,
    /// What a reset sets (`null` for a button).
    pub default: Value,
    /// The value in force (`null` for a button).
    pub value: Value,
}

/// Why a change was refused (nothing was changed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// What was wrong, in words for the user.
    pub error: String,
    /// The control it was about; `None` when the request as a whole was wrong.
    pub control: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape pi-server's README documents, read back into the types.
    #[test]
    fn a_listing_reads_into_controls() {
        let json = r#"[
          {"name": "quality", "label": "JPEG quality", "group": "stream", "kind": "integer",
           "min": 1, "max": 100, "step": 1, "default": 80, "value": 75},
          {"name": "hflip", "label": "Mirror", "group": "stream", "kind": "boolean",
           "default": false, "value": true},
          {"name": "rotation", "label": "Rotation", "group": "stream", "kind": "menu",
           "options": [{"value": 0, "label": "0°"}, {"value": 90, "label": "90°"}],
           "default": 0, "value": 90},
          {"name": "focus_auto_once", "label": "Focus once", "group": "camera",
           "kind": "button", "default": null, "value": null}
        ]"#;
        let controls: Vec<Control> = serde_json::from_str(json).unwrap();
        assert_eq!(
            controls[0].kind,
            Kind::Integer {
                min: 1,
                max: 100,
                step: 1
            }
        );
        assert_eq!(controls[0].value, 75);
        assert_eq!(controls[1].kind, Kind::Boolean);
        let Kind::Menu { options } = &controls[2].kind else {
            panic!("a menu: {:?}", controls[2].kind)
        };
        assert_eq!(options[1].label, "90°");
        assert_eq!(controls[3].group, Group::Camera);
        assert_eq!(controls[3].kind, Kind::Button);
        // And back: what the server writes is what it documents.
        let again = serde_json::to_value(&controls[0]).unwrap();
        assert_eq!(again["kind"], "integer");
        assert_eq!(again["max"], 100);
    }

    #[test]
    fn a_refusal_names_the_control_or_none() {
        let r: Refusal =
            serde_json::from_str(r#"{"error": "no control named zoom", "control": "zoom"}"#)
                .unwrap();
        assert_eq!(r.control.as_deref(), Some("zoom"));
        let r: Refusal =
            serde_json::from_str(r#"{"error": "not a JSON object", "control": null}"#).unwrap();
        assert_eq!(r.control, None);
    }
}
