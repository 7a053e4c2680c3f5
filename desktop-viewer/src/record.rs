//! Snapshots (P) and recordings (R), both of the bytes as received: a snapshot is the JPEG
//! the server sent, never re-encoded; a recording is a `multipart/x-mixed-replace` body
//! written by `mjpeg_wire`'s writer, which ffmpeg (`-f mpjpeg`) and pi-server's `file:`
//! source play back.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use bytes::BytesMut;
use mjpeg_wire::multipart::Writer;

use crate::slot::lock;

/// `2026-11-24T22-31-05.123Z`: UTC, sortable, and free of `:` so it is a valid file name on
/// every system a user might copy it to.
pub fn timestamp(at: SystemTime) -> String {
    // RFC 3339 with `-` for `:`, which file systems and shells dislike in names.
    humantime::format_rfc3339_millis(at)
        .to_string()
        .replace(':', "-")
}

/// Creates `dir/prefix-TIMESTAMP.ext` without overwriting anything (two snapshots in the
/// same millisecond get `-2`, `-3`, ...).
fn create_new(dir: &Path, prefix: &str, at: SystemTime, ext: &str) -> io::Result<(File, PathBuf)> {
    std::fs::create_dir_all(dir)?;
    let stem = format!("{prefix}-{}", timestamp(at));
    for n in 1..1000 {
        let name = if n == 1 {
            format!("{stem}.{ext}")
        } else {
            format!("{stem}-{n}.{ext}")
        };
        let path = dir.join(name);
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(f) => return Ok((f, path)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("too many files named {stem}.* in {}", dir.display()),
    ))
}

/// Saves `jpeg` as received to `dir/snapshot-TIMESTAMP.jpg`; returns the path.
pub fn save_snapshot(dir: &Path, jpeg: &[u8], at: SystemTime) -> io::Result<PathBuf> {
    let (mut file, path) = create_new(dir, "snapshot", at, "jpg")?;
    file.write_all(jpeg)?;
    file.sync_all()?;
    Ok(path)
}

/// What a finished recording holds.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordingSummary {
    /// The file.
    pub path: PathBuf,
    /// Frames written.
    pub frames: u64,
    /// JPEG bytes written.
    pub bytes: u64,
    /// How long it ran, in seconds.
    pub seconds: f64,
}

/// A recording in progress: every received part goes to a `.mjpg` file.
#[derive(Debug)]
pub struct Recorder {
    out: BufWriter<File>,
    path: PathBuf,
    writer: Writer,
    scratch: BytesMut,
    frames: u64,
    bytes: u64,
    started: Instant,
}

impl Recorder {
    /// Starts `dir/recording-TIMESTAMP.mjpg`.
    pub fn create(dir: &Path, at: SystemTime) -> io::Result<Self> {
        let (file, path) = create_new(dir, "recording", at, "mjpg")?;
        let writer = Writer::default();
        let mut out = BufWriter::with_capacity(1 << 20, file);
        out.write_all(&writer.opening())?;
        Ok(Recorder {
            out,
            path,
            writer,
            scratch: BytesMut::new(),
            frames: 0,
            bytes: 0,
            started: Instant::now(),
        })
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one JPEG, stamped with its capture time (or arrival time) as `X-Timestamp`.
    pub fn write(&mut self, jpeg: &[u8], captured: SystemTime) -> io::Result<()> {
        self.scratch.clear();
        self.writer.write_part(&mut self.scratch, jpeg, captured);
        self.out.write_all(&self.scratch)?;
        self.frames += 1;
        self.bytes += jpeg.len() as u64;
        Ok(())
    }

    /// Flushes and closes the file.
    pub fn finish(mut self) -> io::Result<RecordingSummary> {
        self.out.flush()?;
        self.out.get_ref().sync_all()?;
        Ok(RecordingSummary {
            path: self.path,
            frames: self.frames,
            bytes: self.bytes,
            seconds: self.started.elapsed().as_secs_f64(),
        })
    }
}

/// A recording in progress, as the window shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordingStatus {
    /// The file.
    pub path: PathBuf,
    /// Frames so far.
    pub frames: u64,
    /// Seconds so far.
    pub seconds: f64,
}

/// The record switch, shared by the window (which flips it) and the network thread (which
/// writes every part while it is on). It outlives pipelines: changing the URL does not
/// end a recording.
#[derive(Debug, Clone, Default)]
pub struct RecordControl {
    inner: Arc<Mutex<RecordState>>,
}

#[derive(Debug, Default)]
struct RecordState {
    recorder: Option<Recorder>,
    /// Why a recording stopped by itself (disk full, say), until the window shows it.
    error: Option<String>,
}

impl RecordControl {
    /// Starts recording to a new file in `dir` (ending any recording in progress).
    pub fn start(&self, dir: &Path) -> io::Result<PathBuf> {
        let recorder = Recorder::create(dir, SystemTime::now())?;
        let path = recorder.path().to_path_buf();
        let mut state = lock(&self.inner);
        state.error = None;
        if let Some(old) = state.recorder.replace(recorder) {
            // Only when started twice: close the first file properly.
            if let Err(e) = old.finish() {
                tracing::warn!(cause = %e, "closing the previous recording failed");
            }
        }
        tracing::info!(path = %path.display(), "recording");
        Ok(path)
    }

    /// Stops recording; `None` if nothing was being recorded.
    pub fn stop(&self) -> Option<io::Result<RecordingSummary>> {
        let recorder = lock(&self.inner).recorder.take()?;
        Some(recorder.finish())
    }

    /// The recording in progress, if any.
    pub fn status(&self) -> Option<RecordingStatus> {
        lock(&self.inner)
            .recorder
            .as_ref()
            .map(|r| RecordingStatus {
                path: r.path.clone(),
                frames: r.frames,
                seconds: r.started.elapsed().as_secs_f64(),
            })
    }

    /// Appends a part if recording. A write error ends the recording (not the stream) and
    /// is kept for [`RecordControl::take_error`]; returns whether that happened.
    pub fn write(&self, jpeg: &[u8], captured: SystemTime) -> bool {
        let mut state = lock(&self.inner);
        let Some(recorder) = state.recorder.as_mut() else {
            return false;
        };
        match recorder.write(jpeg, captured) {
            Ok(()) => false,
            Err(e) => {
                let path = recorder.path().display().to_string();
                tracing::warn!(cause = %e, path, "recording stopped");
                state.recorder = None;
                state.error = Some(format!("recording to {path} stopped: {e}"));
                true
            }
        }
    }

    /// Why the recording stopped by itself, once.
    pub fn take_error(&self) -> Option<String> {
        lock(&self.inner).error.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn timestamps_are_utc_and_file_name_safe() {
        let t = UNIX_EPOCH + Duration::from_millis(1_795_991_465_123);
        assert_eq!(timestamp(t), "2026-11-29T22-31-05.123Z");
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00-00-00.000Z");
        // A leap day.
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(timestamp(leap), "2000-02-29T00-00-00.000Z");
    }

    #[test]
    fn snapshots_never_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let at = SystemTime::now();
        let a = save_snapshot(dir.path(), b"\xff\xd8one\xff\xd9", at).unwrap();
        let b = save_snapshot(dir.path(), b"\xff\xd8two\xff\xd9", at).unwrap();
        assert_ne!(a, b);
        assert_eq!(std::fs::read(&a).unwrap(), b"\xff\xd8one\xff\xd9");
        assert!(b.to_string_lossy().ends_with("-2.jpg"), "{}", b.display());
    }
}
