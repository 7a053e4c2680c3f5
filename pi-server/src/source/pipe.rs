//! `stdin` and `exec:COMMAND`: a raw MJPEG byte stream from another program.
//!
//! This is how a CSI camera works on current Raspberry Pi OS:
//! `rpicam-vid -t 0 --codec mjpeg --width 640 --height 480 --framerate 24 -o -`. The bytes
//! are cut into frames with the shared splitter, so an EXIF thumbnail inside a frame never
//! ends it early. A command that exits is restarted with a growing delay, and its stderr is
//! copied into the log. Reading is I/O, not CPU work, so it runs as a tokio task.

use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};

use bytes::BytesMut;
use mjpeg_wire::jpeg::Splitter;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

use super::error::SourceError;
use super::frame_source::{FrameSource, Running};
use crate::publish::Publisher;
use crate::shutdown::Shutdown;

/// First delay before restarting a command that exited.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// Longest delay between restarts: a camera that comes back is picked up within this.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A command that ran this long was healthy; its next restart starts from the first delay.
const HEALTHY_RUN: Duration = Duration::from_secs(10);
/// Read size; a 640x480 JPEG is about 30 KB, so a frame takes a read or two.
const READ_CHUNK: usize = 64 * 1024;

/// A pipe source.
#[derive(Debug)]
pub struct PipeSource {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Stdin,
    Exec {
        line: String,
        program: String,
        args: Vec<String>,
        /// The first child, started by `exec` to prove the command can run.
        first: Option<Box<Child>>,
    },
}

impl PipeSource {
    /// Frames from standard input.
    pub fn stdin() -> Self {
        PipeSource { kind: Kind::Stdin }
    }

    /// Frames from a command, split into words as a shell would (quotes work; pipes and
    /// redirections need an explicit `sh -c '...'`). The command is started now, so that one
    /// that cannot run is reported before the server listens.
    pub fn exec(line: &str) -> Result<Self, SourceError> {
        let words = shlex::split(line)
            .filter(|w| !w.is_empty())
            .ok_or_else(|| SourceError::BadCommand {
                command: line.to_string(),
            })?;
        let (program, args) = words.split_first().ok_or_else(|| SourceError::BadCommand {
            command: line.to_string(),
        })?;
        let first = spawn(program, args)?;
        Ok(PipeSource {
            kind: Kind::Exec {
                line: line.to_string(),
                program: program.clone(),
                args: args.to_vec(),
                first: Some(Box::new(first)),
            },
        })
    }
}

fn spawn(program: &str, args: &[String]) -> Result<Child, SourceError> {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // The child must not outlive the server, whatever way the server stops.
        .kill_on_drop(true)
        .spawn()
        .map_err(|cause| SourceError::CommandStart {
            program: program.to_string(),
            cause,
        })
}

impl FrameSource for PipeSource {
    fn describe(&self) -> String {
        match &self.kind {
            Kind::Stdin => "stdin".into(),
            Kind::Exec { line, .. } => format!("exec:{line}"),
        }
    }

    fn start(
        self: Box<Self>,
        publisher: Publisher,
        shutdown: Shutdown,
    ) -> Result<Running, SourceError> {
        let task = match self.kind {
            Kind::Stdin => tokio::spawn(async move {
                let ended = read_frames(tokio::io::stdin(), &publisher, shutdown).await;
                if ended == Ended::Eof {
                    tracing::warn!("stdin ended; the last frame stays on show");
                }
            }),
            Kind::Exec {
                line,
                program,
                args,
                first,
            } => tokio::spawn(run_command(line, program, args, first, publisher, shutdown)),
        };
        Ok(Running::Task(task))
    }
}

/// Runs the command again and again until shutdown, waiting longer after each quick exit.
async fn run_command(
    line: String,
    program: String,
    args: Vec<String>,
    mut first: Option<Box<Child>>,
    publisher: Publisher,
    mut shutdown: Shutdown,
) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        let child = match first.take() {
            Some(child) => Ok(*child),
            None => spawn(&program, &args),
        };
        let started = Instant::now();
        match child {
            Ok(mut child) => {
                if let Some(stderr) = child.stderr.take() {
                    tokio::spawn(log_stderr(program.clone(), stderr));
                }
                let ended = match child.stdout.take() {
                    Some(stdout) => read_frames(stdout, &publisher, shutdown.clone()).await,
                    None => Ended::Eof,
                };
                if ended == Ended::Shutdown {
                    // kill_on_drop would do it too; this also reaps the child.
                    let _ = child.kill().await;
                    return;
                }
                let status = child.wait().await;
                let status = status.map_or_else(|e| e.to_string(), |s| s.to_string());
                if started.elapsed() >= HEALTHY_RUN {
                    backoff = FIRST_BACKOFF;
                }
                tracing::warn!(command = %line, %status, retry_in = ?backoff, "command exited; restarting");
            }
            Err(e) => tracing::warn!(cause = %e, retry_in = ?backoff, "command did not start"),
        }
        tokio::select! {
            _ = shutdown.wait() => return,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Copies a command's stderr into the log, line by line.
async fn log_stderr(program: String, stderr: impl AsyncRead + Unpin) {
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        tracing::info!(target: "pi_server::command", "{program}: {line}");
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    Eof,
    Shutdown,
}

/// Splits what `input` delivers into frames and publishes them, until it ends or shutdown.
async fn read_frames(
    mut input: impl AsyncRead + Unpin,
    publisher: &Publisher,
    mut shutdown: Shutdown,
) -> Ended {
    let mut splitter = Splitter::new();
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    loop {
        if buf.capacity() - buf.len() < READ_CHUNK / 4 {
            // The old block is still shared with published frames; this allocates afresh.
            buf.reserve(READ_CHUNK);
        }
        let read = tokio::select! {
            _ = shutdown.wait() => return Ended::Shutdown,
            read = input.read_buf(&mut buf) => read,
        };
        match read {
            Ok(0) => break,
            Ok(_) => {
                // split() hands over the bytes read without copying them.
                splitter.push(buf.split().freeze());
                loop {
                    match splitter.next_frame() {
                        Ok(Some(frame)) => {
                            // Rate control may drop this frame (evenly).
                            if !publisher.admit() {
                                continue;
                            }
                            if let Err(e) = publisher.publish_jpeg(frame, SystemTime::now()) {
                                tracing::debug!(cause = %e, "frame without a JPEG header dropped");
                            }
                        }
                        Ok(None) => break,
                        Err(e) => tracing::debug!(cause = %e, "damaged frame dropped"),
                    }
                }
            }
            Err(e) => {
                tracing::warn!(cause = %e, "reading the pipe failed");
                break;
            }
        }
    }
    if let Err(e) = splitter.finish() {
        tracing::debug!(cause = %e, "pipe ended inside a frame");
    }
    Ended::Eof
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_missing_program_is_reported_at_start() {
        let err = PipeSource::exec("/nonexistent/rpicam-vid -o -").unwrap_err();
        assert!(matches!(err, SourceError::CommandStart { .. }), "{err}");
        assert!(err.to_string().contains("/nonexistent/rpicam-vid"));
    }

    #[tokio::test]
    async fn unclosed_quotes_are_reported() {
        let err = PipeSource::exec("cat 'oops").unwrap_err();
        assert!(matches!(err, SourceError::BadCommand { .. }), "{err}");
    }
}
