//! What `--source` names: which kind of source, and for the test pattern, which scene.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

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
    /// Another MJPEG server's stream (`http://HOST:PORT/PATH`), relayed.
    Http(String),
}

/// A `--source` that names no known kind of source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a source: use auto, v4l2:/dev/videoN, test (or test:busy, test:changing), stdin, file:PATH, exec:COMMAND (e.g. exec:'rpicam-vid -t 0 --codec mjpeg -o -') or http://HOST:PORT/PATH (relay another server's stream)"
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
                } else if s.starts_with("http://") || s.starts_with("https://") {
                    Ok(SourceSpec::Http(s.to_string()))
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

/// `http://user:pw@host/` → `http://user@host/`: a spec is logged and shown.
pub(crate) fn without_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let user = url[s + 3..at].split(':').next().unwrap_or_default();
            format!("{}{user}@{}", &url[..s + 3], &url[at + 1..])
        }
        _ => url.to_string(),
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
            SourceSpec::Http(url) => f.write_str(&without_password(url)),
            SourceSpec::File(p) => write!(f, "file:{}", p.display()),
            SourceSpec::Stdin => f.write_str("stdin"),
            SourceSpec::Exec(c) => write!(f, "exec:{c}"),
        }
    }
}

/// How much detail the pattern carries: what rate control and bandwidth tests need to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scene {
    /// Bars, a ramp and text: compresses very well (`test`).
    #[default]
    Calm,
    /// Also fine random detail over the bottom sixth, new every frame, as foliage or noise
    /// in a dim room gives a camera (`test:busy`).
    Busy,
    /// Calm and busy in turns of [`Scene::CHANGE_EVERY`] (`test:changing`).
    Changing,
}

impl Scene {
    /// How long each half of `test:changing` lasts.
    pub const CHANGE_EVERY: Duration = Duration::from_secs(10);

    /// Whether the scene is busy `elapsed` after the start.
    pub fn is_busy(self, elapsed: Duration) -> bool {
        match self {
            Scene::Calm => false,
            Scene::Busy => true,
            Scene::Changing => (elapsed.as_secs() / Self::CHANGE_EVERY.as_secs()) % 2 == 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
