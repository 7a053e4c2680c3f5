//! `file:PATH`: replays a recording in a loop at the configured frame rate.
//!
//! Three kinds of recording are accepted: a `.mjpg` multipart capture (what `curl` saves
//! from an MJPEG server), a raw concatenated-JPEG stream (what `rpicam-vid -o file.mjpeg`
//! writes) and a directory of `.jpg` files, played in name order. The whole recording is
//! read into memory at start, so that a bad file is reported before the server listens and
//! replay costs nothing but a reference-count increment per frame.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use bytes::Bytes;
use mjpeg_wire::jpeg::{self, Splitter};
use mjpeg_wire::multipart::Parser;

use super::error::SourceError;
use super::frame_source::{Capabilities, FrameSource, Running};
use super::pacer::Pacer;
use crate::publish::Publisher;
use crate::shutdown::Shutdown;

/// A recording held in memory.
#[derive(Debug)]
pub struct FileSource {
    path: PathBuf,
    kind: &'static str,
    /// Each frame with its width and height.
    frames: Vec<(Bytes, u16, u16)>,
}

impl FileSource {
    /// Reads and splits the recording at `path`.
    pub fn open(path: &Path) -> Result<Self, SourceError> {
        let unreadable = |cause| SourceError::Unreadable {
            path: path.to_path_buf(),
            cause,
        };
        let meta = fs::metadata(path).map_err(unreadable)?;
        let (kind, jpegs) = if meta.is_dir() {
            (
                "directory of JPEG files",
                read_dir(path).map_err(unreadable)?,
            )
        } else {
            let data = Bytes::from(fs::read(path).map_err(unreadable)?);
            if looks_like_multipart(&data) {
                ("multipart capture", split_multipart(data))
            } else {
                ("concatenated JPEGs", split_raw(data))
            }
        };
        let frames: Vec<(Bytes, u16, u16)> = jpegs
            .into_iter()
            // Webcam recordings may lack Huffman tables: add them once, not per replay.
            .map(jpeg::with_standard_huffman_tables_bytes)
            .filter_map(|j| match jpeg::info(&j) {
                Ok(info) => Some((j, info.width, info.height)),
                Err(e) => {
                    tracing::debug!(cause = %e, "skipping a frame that is not a JPEG");
                    None
                }
            })
            .collect();
        if frames.is_empty() {
            return Err(SourceError::NoFrames {
                path: path.to_path_buf(),
            });
        }
        tracing::info!(path = %path.display(), kind, frames = frames.len(), "recording loaded");
        Ok(FileSource {
            path: path.to_path_buf(),
            kind,
            frames,
        })
    }

    /// Frames in the recording.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Whether the recording is empty (never true for an opened source).
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Replays on the runtime, not on a thread of its own: a frame costs a reference-count
    /// increment, and published from a runtime thread it is written to the clients by the
    /// same thread, with no wake-up of another.
    async fn run(self, publisher: Publisher, shutdown: Shutdown) {
        let mut pacer = Pacer::new(publisher.clone(), shutdown);
        for (jpeg, width, height) in self.frames.iter().cycle() {
            if !pacer.turn().await {
                break;
            }
            // The capture time is the replay time: clients measure latency from it.
            publisher.publish_valid(jpeg.clone(), SystemTime::now(), (*width, *height));
        }
    }
}

impl FrameSource for FileSource {
    fn describe(&self) -> String {
        format!(
            "file {} ({}, {} frames)",
            self.path.display(),
            self.kind,
            self.frames.len()
        )
    }

    fn capabilities(&self) -> Capabilities {
        // Frames are replayed as recorded: only the pace is ours.
        Capabilities {
            paced: true,
            ..Capabilities::default()
        }
    }

    fn start(
        self: Box<Self>,
        publisher: Publisher,
        shutdown: Shutdown,
    ) -> Result<Running, SourceError> {
        Ok(Running::Task(tokio::spawn(self.run(publisher, shutdown))))
    }
}

/// A multipart capture starts with a delimiter line (`--boundary`), perhaps after blank
/// lines; a JPEG starts with `FF D8`.
fn looks_like_multipart(data: &[u8]) -> bool {
    let start = data.iter().position(|b| !b.is_ascii_whitespace());
    start.is_some_and(|i| data[i..].starts_with(b"--"))
}

/// The bodies of every part, boundary learnt from the first delimiter line.
fn split_multipart(data: Bytes) -> Vec<Bytes> {
    let mut parser = Parser::new(None);
    parser.push(data);
    let mut out = Vec::new();
    loop {
        match parser.next_part() {
            Ok(Some(part)) => {
                // The recipe sends an empty part first; keep only real bodies.
                if !part.body().is_empty() {
                    out.push(part.into_body());
                }
            }
            Ok(None) => break,
            Err(e) if e.is_recoverable() => {
                tracing::warn!(cause = %e, "damaged part in recording skipped");
            }
            Err(e) => {
                tracing::warn!(cause = %e, "recording unreadable past this point");
                break;
            }
        }
    }
    if let Err(e) = parser.finish() {
        tracing::debug!(cause = %e, "recording ends inside a part");
    }
    out
}

/// The JPEGs of a raw concatenated stream.
fn split_raw(data: Bytes) -> Vec<Bytes> {
    let mut splitter = Splitter::new();
    splitter.push(data);
    let mut out = Vec::new();
    loop {
        match splitter.next_frame() {
            Ok(Some(frame)) => out.push(frame),
            Ok(None) => break,
            Err(e) => tracing::warn!(cause = %e, "damaged frame in recording skipped"),
        }
    }
    if let Err(e) = splitter.finish() {
        tracing::debug!(cause = %e, "recording ends inside a frame");
    }
    out
}

/// The `.jpg`/`.jpeg` files of a directory, in name order.
fn read_dir(dir: &Path) -> std::io::Result<Vec<Bytes>> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("jpg") || e.eq_ignore_ascii_case("jpeg"))
        })
        .collect();
    paths.sort();
    let mut out = Vec::with_capacity(paths.len());
    for p in paths {
        match fs::read(&p) {
            Ok(data) => out.push(Bytes::from(data)),
            Err(e) => tracing::warn!(path = %p.display(), cause = %e, "skipping unreadable file"),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_and_raw_are_told_apart() {
        assert!(looks_like_multipart(b"\r\n--FRAME\r\n"));
        assert!(!looks_like_multipart(b"\xFF\xD8\xFF\xE0"));
        assert!(!looks_like_multipart(b""));
    }

    #[test]
    fn a_missing_file_is_unreadable() {
        let err = FileSource::open(Path::new("/nonexistent/x.mjpg")).unwrap_err();
        assert!(matches!(err, SourceError::Unreadable { .. }), "{err}");
        assert!(err.to_string().contains("/nonexistent/x.mjpg"));
    }

    #[test]
    fn a_file_without_jpegs_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.mjpg");
        fs::write(&path, b"hello, this is not video").unwrap();
        let err = FileSource::open(&path).unwrap_err();
        assert!(matches!(err, SourceError::NoFrames { .. }), "{err}");
    }
}
