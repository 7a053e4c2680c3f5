//! Why a request to change controls is refused: each reason with the HTTP status it gets
//! and a message that says what would be accepted.

use http::StatusCode;

/// A refused change; nothing of the request was applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ControlError {
    /// The body is not JSON.
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    /// The body is JSON, but not what the endpoint takes.
    #[error("the body must be {expected}")]
    BadShape {
        /// What the endpoint takes.
        expected: &'static str,
    },
    /// No control of that name (for this source).
    #[error("no control {name:?}; controls are: {available}")]
    Unknown {
        /// The name given.
        name: String,
        /// The names there are, comma-separated.
        available: String,
    },
    /// A value of the wrong JSON type.
    #[error("{name} takes {expected}, not {given}")]
    WrongType {
        /// The control.
        name: String,
        /// What it takes.
        expected: String,
        /// What was given, as JSON.
        given: String,
    },
    /// A value of the right type outside the control's range or menu.
    #[error("{name}: {given} is out of range; it takes {expected}")]
    OutOfRange {
        /// The control.
        name: String,
        /// What was given, as JSON.
        given: String,
        /// What it takes.
        expected: String,
    },
    /// The camera refused a value in its range, or could not be asked (unplugged, or a
    /// control that is inactive in its current mode, such as exposure under auto exposure).
    #[error("{0}")]
    Camera(String),
}

impl ControlError {
    /// The status a refused request gets: 400 for the client's mistakes, 409 for what the
    /// camera's state refused.
    pub fn status(&self) -> StatusCode {
        match self {
            ControlError::Camera(_) => StatusCode::CONFLICT,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The control the error is about, if one.
    pub fn control(&self) -> Option<&str> {
        match self {
            ControlError::Unknown { name, .. }
            | ControlError::WrongType { name, .. }
            | ControlError::OutOfRange { name, .. } => Some(name),
            ControlError::NotJson(_) | ControlError::BadShape { .. } | ControlError::Camera(_) => {
                None
            }
        }
    }
}
