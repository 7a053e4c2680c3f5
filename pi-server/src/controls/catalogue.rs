//! What `/api/controls` lists: each control's name, kind, range, default and value, and
//! the check of a value given for it.

use serde_json::Value;

use super::error::ControlError;

// The JSON's types are the wire format's, shared with the viewer that reads them.
pub use mjpeg_wire::controls::{Control, Group, Kind, MenuOption};

/// The server's side of a control: checking a value given for it. (A trait because the
/// type is `mjpeg_wire`'s.)
pub trait Check {
    /// The value to set for `given` (a menu's label becomes its value), or why it is
    /// refused. `null` (the reset form) is not for this check: see [`Check::reset_value`].
    fn check(&self, given: &Value) -> Result<Value, ControlError>;

    /// What `null` (reset) sets: the default; a button has none to go back to.
    fn reset_value(&self) -> Result<Value, ControlError>;
}

impl Check for Control {
    fn check(&self, given: &Value) -> Result<Value, ControlError> {
        let wrong_type = |expected: &str| ControlError::WrongType {
            name: self.name.clone(),
            expected: expected.to_string(),
            given: given.to_string(),
        };
        match &self.kind {
            Kind::Integer { min, max, step } => {
                let v = given.as_i64().ok_or_else(|| wrong_type("an integer"))?;
                let step = (*step).max(1);
                if v < *min || v > *max || (v - min) % step != 0 {
                    let steps = if step > 1 {
                        format!(" in steps of {step}")
                    } else {
                        String::new()
                    };
                    return Err(ControlError::OutOfRange {
                        name: self.name.clone(),
                        given: given.to_string(),
                        expected: format!("{min} to {max}{steps}"),
                    });
                }
                Ok(Value::from(v))
            }
            Kind::Boolean => given
                .as_bool()
                .map(Value::from)
                .ok_or_else(|| wrong_type("true or false")),
            Kind::Menu { options } => {
                if !(given.is_number() || given.is_string()) {
                    return Err(wrong_type("one of the menu's values"));
                }
                options
                    .iter()
                    .find(|o| o.value == *given || given.as_str() == Some(o.label.as_str()))
                    .map(|o| o.value.clone())
                    .ok_or_else(|| ControlError::OutOfRange {
                        name: self.name.clone(),
                        given: given.to_string(),
                        expected: format!(
                            "one of {}",
                            options
                                .iter()
                                .map(|o| o.value.to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    })
            }
            Kind::Button => match given {
                Value::Bool(true) => Ok(Value::Bool(true)),
                _ => Err(wrong_type("true (a button is pressed, it has no value)")),
            },
        }
    }

    fn reset_value(&self) -> Result<Value, ControlError> {
        match self.kind {
            Kind::Button => Err(ControlError::WrongType {
                name: self.name.clone(),
                expected: "true (a button has no default to reset to)".into(),
                given: "null".into(),
            }),
            _ => Ok(self.default.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn control(kind: Kind, default: Value) -> Control {
        Control {
            name: "c".into(),
            label: "C".into(),
            group: Group::Stream,
            kind,
            value: default.clone(),
            default,
        }
    }

    #[test]
    fn integers_are_checked_against_range_and_step() {
        let c = control(
            Kind::Integer {
                min: 10,
                max: 50,
                step: 5,
            },
            json!(20),
        );
        assert_eq!(c.check(&json!(35)), Ok(json!(35)));
        let refused = c.check(&json!(37)).unwrap_err().to_string();
        assert!(refused.contains("10 to 50 in steps of 5"), "{refused}");
        assert!(matches!(
            c.check(&json!(55)),
            Err(ControlError::OutOfRange { .. })
        ));
        for wrong in [json!("35"), json!(35.5), json!(true), json!([35])] {
            assert!(
                matches!(c.check(&wrong), Err(ControlError::WrongType { .. })),
                "{wrong}"
            );
        }
        assert_eq!(c.reset_value(), Ok(json!(20)));
    }

    #[test]
    fn booleans_take_only_true_and_false() {
        let c = control(Kind::Boolean, json!(false));
        assert_eq!(c.check(&json!(true)), Ok(json!(true)));
        assert!(matches!(
            c.check(&json!(1)),
            Err(ControlError::WrongType { .. })
        ));
        assert!(matches!(
            c.check(&json!("on")),
            Err(ControlError::WrongType { .. })
        ));
    }

    #[test]
    fn menus_take_an_option_by_value_or_label() {
        let c = control(
            Kind::Menu {
                options: vec![
                    MenuOption {
                        value: json!(0),
                        label: "manual".into(),
                    },
                    MenuOption {
                        value: json!(3),
                        label: "aperture_priority".into(),
                    },
                ],
            },
            json!(3),
        );
        assert_eq!(c.check(&json!(0)), Ok(json!(0)));
        assert_eq!(c.check(&json!("aperture_priority")), Ok(json!(3)));
        let refused = c.check(&json!(1)).unwrap_err().to_string();
        assert!(refused.contains("one of 0, 3"), "{refused}");
        assert!(matches!(
            c.check(&json!(null)),
            Err(ControlError::WrongType { .. })
        ));
    }

    #[test]
    fn buttons_are_pressed_with_true_and_have_no_default() {
        let c = control(Kind::Button, Value::Null);
        assert_eq!(c.check(&json!(true)), Ok(json!(true)));
        assert!(c.check(&json!(false)).is_err());
        assert!(c.reset_value().is_err());
    }

    #[test]
    fn the_json_names_the_kind_beside_its_range() {
        let c = control(
            Kind::Integer {
                min: 1,
                max: 100,
                step: 1,
            },
            json!(80),
        );
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            json!({"name": "c", "label": "C", "group": "stream", "kind": "integer",
                   "min": 1, "max": 100, "step": 1, "default": 80, "value": 80})
        );
    }
}
