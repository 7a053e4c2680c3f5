//! The camera's own controls while pi-server runs: listed for `/api/controls`, and set on
//! the capture thread, which owns the device.
//!
//! The HTTP side holds a [`CameraLink`]: the controls as last read from the device, and a
//! queue of changes. The capture thread holds the [`Desk`] at the other end and serves
//! the queue between frames (on its open device while streaming; on a short-lived open of
//! the node while the camera is stopped for lack of viewers). Each change is remembered
//! with the `--control`s, so that a camera re-opened after an unplug gets it again.

use std::path::Path;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use v4l::Device;
use v4l::control::{self, Description};

use super::controls::{ControlInfo, ControlKind, ControlSetting};
use crate::lock::lock;

/// Longest wait for the capture thread to apply a change: it serves the queue at least
/// every 200 ms (its wait for a frame), so this is only reached by a hung device.
const REPLY_WITHIN: Duration = Duration::from_secs(3);

/// One control of the camera, as last read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraControl {
    /// Id, normalised name and kind (buttons and read-only controls are `Other`).
    pub info: ControlInfo,
    /// The driver's own name for it (`Brightness`, `Exposure, Absolute`).
    pub label: String,
    /// Its value, when it has one that reads as a number.
    pub value: Option<i64>,
    /// Whether it is a button (an action without a value).
    pub button: bool,
}

/// A change the camera refused, or could not be asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the camera did not take it: {0}")]
pub struct CameraRefused(pub String);

/// A request to the capture thread: `(id, value)` pairs, in order.
struct Job {
    changes: Vec<(u32, i64)>,
    reply: SyncSender<Result<(), CameraRefused>>,
}

#[derive(Debug)]
struct Shared {
    jobs: Mutex<Sender<Job>>,
    known: Mutex<Vec<CameraControl>>,
    /// Width, height and frame rate the camera granted at its last negotiation.
    granted: Mutex<Option<Granted>>,
}

/// What the camera granted when last opened: it may differ from what was asked (the nearest
/// size it has), and `/api/controls` reports what the camera took.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Granted {
    /// The width, height and frame rate asked for at that opening: a setting changed since
    /// is still pending (the camera re-opens with it).
    pub asked: (u32, u32, u32),
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Frames per second; 0 when the driver does not say.
    pub fps: f64,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("changes", &self.changes)
            .finish()
    }
}

/// The HTTP side's end: the camera's controls and a way to change them.
#[derive(Debug, Clone)]
pub struct CameraLink {
    shared: Arc<Shared>,
}

/// The capture thread's end.
#[derive(Debug)]
pub struct Desk {
    jobs: Receiver<Job>,
    shared: Arc<Shared>,
}

/// A connected link and desk.
pub fn link() -> (CameraLink, Desk) {
    let (tx, rx) = mpsc::channel();
    let shared = Arc::new(Shared {
        jobs: Mutex::new(tx),
        known: Mutex::new(Vec::new()),
        granted: Mutex::new(None),
    });
    (
        CameraLink {
            shared: shared.clone(),
        },
        Desk { jobs: rx, shared },
    )
}

impl CameraLink {
    /// The camera's controls as last read (none before the camera was first opened).
    pub fn list(&self) -> Vec<CameraControl> {
        lock(&self.shared.known).clone()
    }

    /// What the camera granted when last opened (`None` before it was).
    pub fn granted(&self) -> Option<Granted> {
        *lock(&self.shared.granted)
    }

    /// Sets `changes` on the camera and waits until the capture thread has, then reads
    /// them back ([`CameraLink::list`]). Blocks: call it off the async runtime.
    pub fn set(&self, changes: Vec<(u32, i64)>) -> Result<(), CameraRefused> {
        let (reply, answer) = mpsc::sync_channel(1);
        let sent = lock(&self.shared.jobs).send(Job { changes, reply });
        if sent.is_err() {
            return Err(CameraRefused("the camera source has stopped".into()));
        }
        answer
            .recv_timeout(REPLY_WITHIN)
            .unwrap_or_else(|_| Err(CameraRefused("the camera did not answer in time".into())))
    }
}

impl Desk {
    /// Notes what the camera granted at this opening, for the link's [`CameraLink::granted`].
    pub fn granted(&self, granted: Granted) {
        *lock(&self.shared.granted) = Some(granted);
    }

    /// Reads the device's controls and their values, for the link's list.
    pub fn refresh(&self, dev: &Device) {
        let list = read_controls(dev);
        *lock(&self.shared.known) = list;
    }

    /// Applies the waiting changes on `dev`, remembering them in `remembered` (the
    /// `--control`s every open sets), and reads the controls back.
    pub fn serve(&self, dev: &Device, remembered: &mut Vec<ControlSetting>) {
        while let Ok(job) = self.jobs.try_recv() {
            let result = self.apply(dev, &job.changes, remembered);
            // Read back before answering: the answer lists what the device took.
            self.refresh(dev);
            // The asker may have given up waiting; nothing to do then.
            let _ = job.reply.send(result);
        }
    }

    /// [`Desk::serve`] while the camera is stopped: opens `path` only when a change waits.
    pub fn serve_closed(&self, path: &Path, remembered: &mut Vec<ControlSetting>) {
        let Ok(job) = self.jobs.try_recv() else {
            return;
        };
        let result = match Device::with_path(path) {
            Ok(dev) => {
                let result = self.apply(&dev, &job.changes, remembered);
                self.refresh(&dev);
                result
            }
            Err(e) => Err(CameraRefused(format!(
                "cannot open {}: {e}",
                path.display()
            ))),
        };
        let _ = job.reply.send(result);
    }

    fn apply(
        &self,
        dev: &Device,
        changes: &[(u32, i64)],
        remembered: &mut Vec<ControlSetting>,
    ) -> Result<(), CameraRefused> {
        let known = lock(&self.shared.known).clone();
        for &(id, value) in changes {
            let control = known.iter().find(|c| c.info.id == id);
            let v = match control {
                Some(c) if c.button => control::Value::None,
                Some(c) if c.info.kind == ControlKind::Boolean => {
                    control::Value::Boolean(value != 0)
                }
                _ => control::Value::Integer(value),
            };
            let name = control.map_or_else(|| format!("{id:#x}"), |c| c.info.name.clone());
            dev.set_control(control::Control { id, value: v })
                .map_err(|e| CameraRefused(format!("{name}: {e}")))?;
            tracing::info!(control = %name, value, "camera control set");
            if control.is_some_and(|c| !c.button) {
                remembered.retain(|s| s.name != name);
                remembered.push(ControlSetting {
                    name,
                    value: value.to_string(),
                });
            }
        }
        Ok(())
    }
}

/// Every control of `dev` that is not a heading or disabled, with its value.
fn read_controls(dev: &Device) -> Vec<CameraControl> {
    // Some drivers list no controls and answer with an error: that is "none".
    let descriptions = dev.query_controls().unwrap_or_default();
    descriptions
        .iter()
        .filter_map(|d| {
            let info = super::device::control_info(d)?;
            Some(CameraControl {
                info,
                label: d.name.clone(),
                value: super::device::current_value(dev, d.id),
                button: is_button(d),
            })
        })
        .collect()
}

/// Whether a control is a button anyone may press.
fn is_button(d: &Description) -> bool {
    d.typ == control::Type::Button && !d.flags.contains(control::Flags::READ_ONLY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_waits_for_the_capture_thread_and_fails_once_it_is_gone() {
        let (link, desk) = link();
        assert!(
            link.list().is_empty(),
            "nothing read before the camera opens"
        );
        // A capture thread that serves a closed camera at a path that is not there.
        let server = std::thread::spawn(move || {
            let mut remembered = Vec::new();
            loop {
                desk.serve_closed(Path::new("/dev/video-none"), &mut remembered);
                if !remembered.is_empty() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
                if Arc::strong_count(&desk.shared) == 1 {
                    break;
                }
            }
        });
        let refused = link.set(vec![(0x0098_0900, 5)]).unwrap_err();
        assert!(refused.0.contains("/dev/video-none"), "{refused}");
        drop(link);
        server.join().unwrap();
    }
}
