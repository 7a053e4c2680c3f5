//! Live controls (`/api/controls`): the stream's settings (quality, rate target, frame
//! rate, size, rotation, flips) listed, checked and changed while clients watch.
//!
//! [`Controls`] holds the settings in force and applies a change where it belongs: to the
//! publisher's rate gate (quality, target, frame rate, which sources read per frame) and
//! to the picture the source is asked for (size, orientation, a watch channel the source
//! reads before each frame). A request is checked whole before anything is applied, so a
//! refused value leaves every setting as it was.

mod camera;
mod catalogue;
mod error;
pub mod state_file;
mod stream;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

pub use catalogue::{Check, Control, Group, Kind, MenuOption};
pub use error::ControlError;
pub use stream::StreamSettings;

use crate::lock::lock;
use crate::publish::{Picture, Publisher};
use crate::source::Capabilities;
use crate::source::v4l2::live::CameraLink;

/// How the controls are kept (from the command line).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// Keep changed values in this file and read them at start (`--save-controls`).
    pub state_file: Option<PathBuf>,
}

/// The live settings of one stream; cheap to clone.
#[derive(Debug, Clone)]
pub struct Controls {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    caps: Capabilities,
    defaults: StreamSettings,
    /// Rate control's quality floor (`--min-quality`), which a new target keeps.
    min_quality: u8,
    current: Mutex<StreamSettings>,
    publisher: Publisher,
    /// The camera's own controls, for a camera source.
    camera: Option<CameraLink>,
    /// Saved values of the camera's controls, applied once its capture thread runs.
    saved_for_camera: Mutex<Map<String, Value>>,
    state_file: Option<PathBuf>,
}

impl Controls {
    /// The controls of a source that can change `caps` (and of its `camera`, if it is
    /// one), publishing through `publisher`, with `defaults` as configured. Saved values
    /// of `settings.state_file` for the stream are applied at once, those for the camera
    /// by [`Controls::restore_camera`] once the source runs; those the source no longer
    /// has are skipped, and said so.
    pub fn new(
        publisher: Publisher,
        caps: Capabilities,
        camera: Option<CameraLink>,
        defaults: StreamSettings,
        min_quality: u8,
        settings: &Settings,
    ) -> Self {
        let controls = Controls {
            inner: Arc::new(Inner {
                caps,
                defaults,
                min_quality,
                current: Mutex::new(defaults),
                publisher,
                camera,
                saved_for_camera: Mutex::new(Map::new()),
                state_file: settings.state_file.clone(),
            }),
        };
        let picture = controls.picture(&defaults);
        controls.inner.publisher.set_picture(picture);
        if let Some(path) = &settings.state_file {
            match state_file::load(path) {
                Ok(mut saved) => {
                    let camera_names: Vec<String> =
                        controls.camera_list().into_iter().map(|c| c.name).collect();
                    let for_camera = saved
                        .iter()
                        .filter(|(name, _)| camera_names.contains(name))
                        .map(|(n, v)| (n.clone(), v.clone()))
                        .collect::<Map<_, _>>();
                    saved.retain(|name, _| !for_camera.contains_key(name));
                    controls.restore(&saved);
                    *lock(&controls.inner.saved_for_camera) = for_camera;
                }
                Err(e) => tracing::warn!("saved controls not applied: {e}"),
            }
        }
        controls
    }

    /// Applies the saved values of the camera's controls; blocks until the capture thread
    /// has (call it off the async runtime, after the source started).
    pub fn restore_camera(&self) {
        let saved = std::mem::take(&mut *lock(&self.inner.saved_for_camera));
        self.restore(&saved);
    }

    /// Every control with its value in force: the stream's, then the camera's.
    pub fn list(&self) -> Vec<Control> {
        let current = *lock(&self.inner.current);
        let mut list = current.controls(&self.inner.defaults, self.inner.caps);
        if let Some(granted) = self.inner.camera.as_ref().and_then(CameraLink::granted) {
            camera::granted_into(&mut list, &current, granted);
        }
        list.extend(self.camera_list());
        list
    }

    /// The camera's controls, as last read from it.
    fn camera_list(&self) -> Vec<Control> {
        self.inner
            .camera
            .iter()
            .flat_map(CameraLink::list)
            .filter_map(|c| camera::listed(&c))
            .collect()
    }

    /// Applies a JSON object `{"name": value, ...}` (`null` resets to the default) and
    /// returns every control as now in force; refused whole if any value is.
    pub fn set_json(&self, body: &[u8]) -> Result<Vec<Control>, ControlError> {
        match parse(body)? {
            Value::Object(changes) => self.set(&changes),
            _ => Err(ControlError::BadShape {
                expected: r#"a JSON object of names and values, e.g. {"quality": 70}"#,
            }),
        }
    }

    /// Resets the controls a JSON array names (`[]`: every control) to their defaults.
    pub fn reset_json(&self, body: &[u8]) -> Result<Vec<Control>, ControlError> {
        let Value::Array(names) = parse(body)? else {
            return Err(ControlError::BadShape {
                expected: r#"a JSON array of control names, e.g. ["rotation"] ([] for all)"#,
            });
        };
        let mut changes = Map::new();
        for name in &names {
            let Some(name) = name.as_str() else {
                return Err(ControlError::BadShape {
                    expected: "a JSON array of control names (strings)",
                });
            };
            changes.insert(name.to_string(), Value::Null);
        }
        if names.is_empty() {
            for control in self.list() {
                if control.kind != Kind::Button {
                    changes.insert(control.name, Value::Null);
                }
            }
        }
        self.set(&changes)
    }

    /// Applies `changes` (`null` resets): all or none of the stream's, and the camera's
    /// first (a camera may still refuse one of several; those before it are then set).
    /// Blocks while the camera's capture thread applies them.
    pub fn set(&self, changes: &Map<String, Value>) -> Result<Vec<Control>, ControlError> {
        let mut current = lock(&self.inner.current);
        let mut list = current.controls(&self.inner.defaults, self.inner.caps);
        list.extend(self.camera_list());
        let mut next = *current;
        let mut for_camera = Vec::new();
        for (name, given) in changes {
            let Some(control) = list.iter().find(|c| c.name == *name) else {
                return Err(ControlError::Unknown {
                    name: name.clone(),
                    available: list
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            };
            let value = if given.is_null() {
                control.reset_value()?
            } else {
                control.check(given)?
            };
            if control.group == Group::Camera {
                for_camera.push((name.as_str(), camera::device_value(&value)));
            } else {
                next.set(name, &value);
            }
        }
        let mut ids = self.camera_ids(&for_camera);
        // A camera that flips its own picture does the flips (and half turns) itself.
        if let Some((h_id, v_id)) = self.camera_flips()
            && next.orientation != current.orientation
        {
            let ((h, v), _) = camera::split(next.orientation);
            ids.extend([(h_id, i64::from(h)), (v_id, i64::from(v))]);
        }
        if let Some(link) = &self.inner.camera
            && !ids.is_empty()
        {
            link.set(ids).map_err(|e| ControlError::Camera(e.0))?;
        }
        self.push(&current, &next);
        *current = next;
        let mut list = next.controls(&self.inner.defaults, self.inner.caps);
        drop(current);
        list.extend(self.camera_list());
        if !changes.is_empty() {
            let changes = Value::Object(changes.clone());
            tracing::info!(%changes, "controls changed");
            self.save(&list);
        }
        Ok(list)
    }

    /// The device's ids for camera controls named in `named`.
    fn camera_ids(&self, named: &[(&str, i64)]) -> Vec<(u32, i64)> {
        let known = self
            .inner
            .camera
            .as_ref()
            .map(CameraLink::list)
            .unwrap_or_default();
        named
            .iter()
            .filter_map(|(name, v)| {
                known
                    .iter()
                    .find(|c| c.info.name == *name)
                    .map(|c| (c.info.id, *v))
            })
            .collect()
    }

    /// Applies saved values one by one, skipping those no longer valid.
    fn restore(&self, saved: &Map<String, Value>) {
        for (name, value) in saved {
            let one = Map::from_iter([(name.clone(), value.clone())]);
            match self.set(&one) {
                Ok(_) => tracing::info!(%name, %value, "saved control applied"),
                Err(e) => tracing::warn!("saved control {name} not applied: {e}"),
            }
        }
    }

    /// Hands what changed from `old` to `new` to the publisher and the source.
    fn push(&self, old: &StreamSettings, new: &StreamSettings) {
        let gate = self.inner.publisher.gate();
        let min_quality = self.inner.min_quality;
        if new.quality != old.quality {
            gate.set_ceiling(new.quality, min_quality);
        }
        if (new.target, new.target_kbps) != (old.target, old.target_kbps) {
            let target = new.target.then_some(f64::from(new.target_kbps));
            gate.set_target(target, min_quality);
        }
        if new.fps != old.fps {
            gate.set_fps(new.fps);
        }
        let (was, now) = (self.picture(old), self.picture(new));
        if now != was {
            self.inner.publisher.set_picture(now);
        }
    }

    /// What the source and the publisher are asked for: with a camera that flips, the
    /// publisher marks only what is left of the orientation (a quarter turn).
    fn picture(&self, settings: &StreamSettings) -> Picture {
        let mut picture = settings.picture(self.inner.caps);
        if self.camera_flips().is_some() {
            picture.marked = camera::split(settings.orientation).1;
        }
        picture
    }

    /// The camera's own flip controls, when it has both and the source does not turn
    /// its frames itself.
    fn camera_flips(&self) -> Option<(u32, u32)> {
        if self.inner.caps.orients {
            return None;
        }
        let known = self.inner.camera.as_ref()?.list();
        let has = |id| known.iter().any(|c| c.info.id == id && !c.button);
        (has(camera::FLIPS.0) && has(camera::FLIPS.1)).then_some(camera::FLIPS)
    }

    /// Keeps the values that differ from their defaults (`--save-controls`); a failure is
    /// logged, and the change stays in force.
    fn save(&self, list: &[Control]) {
        let Some(path) = &self.inner.state_file else {
            return;
        };
        let changed: Map<String, Value> = list
            .iter()
            .filter(|c| c.kind != Kind::Button && c.value != c.default)
            .map(|c| (c.name.clone(), c.value.clone()))
            .collect();
        if let Err(e) = state_file::save(path, &changed) {
            tracing::warn!(path = %path.display(), "controls not saved: {e}");
        }
    }
}

/// The body as JSON.
fn parse(body: &[u8]) -> Result<Value, ControlError> {
    serde_json::from_slice(body).map_err(|e| ControlError::NotJson(e.to_string()))
}

#[cfg(test)]
mod tests;
