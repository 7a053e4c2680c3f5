//! What the server is asked to do: the settings `run` takes, and how they are parsed.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use crate::http::auth::Access;
use crate::source::pattern::Scene;
use crate::source::v4l2::ControlSetting;

/// Everything [`crate::run`] needs besides the listener and the shutdown signal.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where frames come from.
    pub source: SourceSpec,
    /// Size of generated frames (the test pattern) and the size asked of a camera; files
    /// and pipes keep their own size.
    pub size: Size,
    /// Frame rate of generated and replayed frames and the rate asked of a camera (which
    /// grants what it can); pipes run at their producer's rate.
    pub fps: u32,
    /// Camera controls to set (`--control NAME=VALUE`), on every open.
    pub controls: Vec<ControlSetting>,
    /// Skip frames identical to the one before (still sending one a second).
    pub drop_same_frames: bool,
    /// Hold the stream at this many kbit/s (`--target-kbps`), if set.
    pub target_kbps: Option<u32>,
    /// Lowest JPEG quality rate control uses before it drops frames instead.
    pub min_quality: u8,
    /// JPEG quality (1-100) of generated frames.
    pub quality: u8,
    /// Most simultaneous stream clients; more get 503.
    pub max_clients: usize,
    /// Most open connections of any kind (idle, streaming, anything); more get 503 at once.
    pub max_connections: usize,
    /// A connection that has not sent a whole request head this long after it opened (or
    /// after its previous response) is closed.
    pub header_timeout: Duration,
    /// A client whose socket accepts nothing for this long is dropped (a stream client, or
    /// any response that cannot be written).
    pub client_timeout: Duration,
    /// Who may watch: credentials or a token, or anyone.
    pub access: Access,
    /// HTTPS (`--tls-cert`, `--tls-key`), if on.
    pub tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    /// Value of `Access-Control-Allow-Origin` on every response, if any.
    pub allow_origin: Option<String>,
    /// How long `/snapshot.jpg` waits for a frame before answering 503.
    pub snapshot_timeout: Duration,
}

impl Default for Config {
    /// The original recipe's settings: 640x480 at 24 fps.
    fn default() -> Self {
        Config {
            source: SourceSpec::Auto,
            size: Size {
                width: 640,
                height: 480,
            },
            fps: 24,
            controls: Vec::new(),
            drop_same_frames: false,
            target_kbps: None,
            min_quality: 30,
            quality: 80,
            max_clients: 1000,
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            client_timeout: Duration::from_secs(10),
            access: Access::open(),
            tls: None,
            allow_origin: None,
            snapshot_timeout: Duration::from_secs(3),
        }
    }
}

/// A frame size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
}

impl Size {
    /// Smallest accepted side: the pattern's text needs some room, and JPEG works in 16x16
    /// blocks.
    pub const MIN: u16 = 16;
    /// Largest accepted side; larger is beyond any Pi camera's MJPEG mode.
    pub const MAX: u16 = 4096;
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

/// A `--size` that is not `WIDTHxHEIGHT` within limits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a size: use WIDTHxHEIGHT with each side from {min} to {max}, e.g. 640x480",
    min = Size::MIN,
    max = Size::MAX
)]
pub struct SizeError(pub String);

impl FromStr for Size {
    type Err = SizeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || SizeError(s.to_string());
        let (w, h) = s.trim().split_once(['x', 'X', '*']).ok_or_else(err)?;
        let side = |v: &str| -> Result<u16, SizeError> {
            let n: u16 = v.trim().parse().map_err(|_| err())?;
            if (Size::MIN..=Size::MAX).contains(&n) {
                Ok(n)
            } else {
                Err(err())
            }
        };
        Ok(Size {
            width: side(w)?,
            height: side(h)?,
        })
    }
}

/// Where frames come from (`--source`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// A camera if there is one, else the test pattern, announced loudly.
    Auto,
    /// A V4L2 camera at this device node (`/dev/video0`).
    V4l2(PathBuf),
    /// The test pattern, with calm, busy or changing detail (`test`, `test:busy`,
    /// `test:changing`).
    Test(Scene),
    /// A recorded `.mjpg` capture, a raw concatenated-JPEG file or a directory of `.jpg`
    /// files, replayed at `--fps` in a loop.
    File(PathBuf),
    /// A raw MJPEG byte stream on standard input.
    Stdin,
    /// A raw MJPEG byte stream from a command's standard output, restarted when it exits.
    Exec(String),
}

/// A `--source` that names no known kind of source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a source: use auto, v4l2:/dev/videoN, test (or test:busy, test:changing), stdin, file:PATH or exec:COMMAND (e.g. exec:'rpicam-vid -t 0 --codec mjpeg -o -')"
)]
pub struct SourceSpecError(pub String);

impl FromStr for SourceSpec {
    type Err = SourceSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || SourceSpecError(s.to_string());
        match s {
            "auto" => Ok(SourceSpec::Auto),
            "test" | "pattern" => Ok(SourceSpec::Test(Scene::Calm)),
            "test:busy" => Ok(SourceSpec::Test(Scene::Busy)),
            "test:changing" => Ok(SourceSpec::Test(Scene::Changing)),
            "stdin" | "-" => Ok(SourceSpec::Stdin),
            _ => {
                if let Some(path) = s.strip_prefix("v4l2:") {
                    if path.is_empty() {
                        return Err(err());
                    }
                    Ok(SourceSpec::V4l2(PathBuf::from(path)))
                } else if s.starts_with("/dev/video") {
                    // What people type first.
                    Ok(SourceSpec::V4l2(PathBuf::from(s)))
                } else if let Some(path) = s.strip_prefix("file:") {
                    if path.is_empty() {
                        return Err(err());
                    }
                    Ok(SourceSpec::File(PathBuf::from(path)))
                } else if let Some(cmd) = s.strip_prefix("exec:") {
                    if cmd.trim().is_empty() {
                        return Err(err());
                    }
                    Ok(SourceSpec::Exec(cmd.to_string()))
                } else {
                    Err(err())
                }
            }
        }
    }
}

impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceSpec::Auto => f.write_str("auto"),
            SourceSpec::V4l2(p) => write!(f, "v4l2:{}", p.display()),
            SourceSpec::Test(Scene::Calm) => f.write_str("test"),
            SourceSpec::Test(Scene::Busy) => f.write_str("test:busy"),
            SourceSpec::Test(Scene::Changing) => f.write_str("test:changing"),
            SourceSpec::File(p) => write!(f, "file:{}", p.display()),
            SourceSpec::Stdin => f.write_str("stdin"),
            SourceSpec::Exec(c) => write!(f, "exec:{c}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_width_by_height() {
        assert_eq!(
            "1280x720".parse(),
            Ok(Size {
                width: 1280,
                height: 720
            })
        );
        assert_eq!(
            " 640X480 ".parse(),
            Ok(Size {
                width: 640,
                height: 480
            })
        );
        for bad in ["640", "x480", "0x0", "640x", "abcxdef", "99999x480", "8x8"] {
            assert!(bad.parse::<Size>().is_err(), "{bad} should be refused");
        }
        let msg = "640".parse::<Size>().unwrap_err().to_string();
        assert!(msg.contains("WIDTHxHEIGHT"), "{msg}");
    }

    #[test]
    fn sources_by_name_and_prefix() {
        assert_eq!("auto".parse(), Ok(SourceSpec::Auto));
        assert_eq!("test".parse(), Ok(SourceSpec::Test(Scene::Calm)));
        assert_eq!(
            "test:changing".parse(),
            Ok(SourceSpec::Test(Scene::Changing))
        );
        let spec = SourceSpec::Test(Scene::Busy);
        assert_eq!(spec.to_string().parse(), Ok(spec));
        assert_eq!("-".parse(), Ok(SourceSpec::Stdin));
        assert_eq!(
            "file:a b.mjpg".parse(),
            Ok(SourceSpec::File(PathBuf::from("a b.mjpg")))
        );
        assert_eq!(
            "exec:rpicam-vid -o -".parse(),
            Ok(SourceSpec::Exec("rpicam-vid -o -".into()))
        );
        assert_eq!(
            "v4l2:/dev/video2".parse(),
            Ok(SourceSpec::V4l2(PathBuf::from("/dev/video2")))
        );
        assert_eq!(
            "/dev/video0".parse(),
            Ok(SourceSpec::V4l2(PathBuf::from("/dev/video0")))
        );
        let spec = SourceSpec::V4l2(PathBuf::from("/dev/video1"));
        assert_eq!(spec.to_string().parse(), Ok(spec));
        for bad in ["camera", "file:", "exec:  ", "", "v4l2:"] {
            assert!(
                bad.parse::<SourceSpec>().is_err(),
                "{bad:?} should be refused"
            );
        }
        let spec = SourceSpec::Exec("cat x".into());
        assert_eq!(spec.to_string().parse(), Ok(spec));
    }
}
