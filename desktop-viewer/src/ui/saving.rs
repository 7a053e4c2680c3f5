//! P and R: the frame on screen saved as received, and the stream written to a `.mjpg`
//! file; each says how it went in a message for the status bar.

use std::path::Path;
use std::time::SystemTime;

use super::picture::Current;
use super::toast::Toast;
use crate::record::{self, RecordControl};

/// P: the JPEG on screen, as received, to a timestamped file in `dir`.
pub fn snapshot(dir: &Path, current: Option<&Current>) -> Toast {
    let Some(current) = current else {
        return Toast::error("No frame to save yet");
    };
    let at = current.info.captured.unwrap_or_else(SystemTime::now);
    match record::save_snapshot(dir, &current.jpeg, at) {
        Ok(path) => Toast::info(format!("Snapshot saved to {}", path.display())),
        Err(e) => Toast::error(format!("Cannot save a snapshot in {}: {e}", dir.display())),
    }
}

/// R: stops the recording in progress, or starts one in `dir`.
pub fn toggle_recording(recorder: &RecordControl, dir: &Path) -> Toast {
    match recorder.stop() {
        Some(Ok(s)) => Toast::info(format!(
            "Recording saved to {} ({} frames, {:.1} s)",
            s.path.display(),
            s.frames,
            s.seconds
        )),
        Some(Err(e)) => Toast::error(format!("Finishing the recording failed: {e}")),
        None => match recorder.start(dir) {
            Ok(path) => Toast::info(format!("Recording to {}", path.display())),
            Err(e) => Toast::error(format!("Cannot record in {}: {e}", dir.display())),
        },
    }
}
