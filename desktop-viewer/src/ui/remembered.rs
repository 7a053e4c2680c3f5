//! The cameras watched and the grid's layout, kept between runs in a small JSON file
//! (`$XDG_CONFIG_HOME/desktop-viewer/cameras.json`, else `~/.config/...`). Started with no
//! URL, the window comes back to what it showed last time. Passwords are never written:
//! a URL's password is dropped (its user name kept), and the login row asks again.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::grid::GridLayout;
use crate::net::redacted_text;

/// What is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remembered {
    /// The cameras, in grid order, as typed (without passwords).
    pub cameras: Vec<String>,
    /// The grid's layout.
    #[serde(default)]
    pub layout: GridLayout,
    /// The camera shown alone, if one was.
    #[serde(default)]
    pub focus: Option<usize>,
}

impl Remembered {
    /// `cameras` without their passwords, with `layout` and `focus`.
    pub fn new(cameras: &[String], layout: GridLayout, focus: Option<usize>) -> Self {
        Remembered {
            cameras: cameras.iter().map(|c| without_password(c.trim())).collect(),
            layout,
            focus,
        }
    }

    /// Reads `path`; `None` if there is no such file or it cannot be used (then the window
    /// starts as if it had never run: a damaged file must not keep it from starting).
    pub fn load(path: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(path).ok()?;
        match serde_json::from_str::<Remembered>(&text) {
            Ok(r) if !r.cameras.is_empty() => Some(r),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!(path = %path.display(), cause = %e, "ignoring the remembered cameras");
                None
            }
        }
    }

    /// Writes `path` (and its folder), through a temporary file so that a crash never
    /// leaves half a file.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = serde_json::to_string_pretty(self).map_err(io::Error::other)?;
        let temp = path.with_extension("json.part");
        std::fs::write(&temp, text)?;
        std::fs::rename(&temp, path)
    }
}

/// `text` as typed, unless it holds credentials: then the URL without its password. (Not
/// [`redacted_text`] always: it adds `http://`, and a bare host typed means "try port 8000,
/// then 8080 and 80", which a URL would not.)
fn without_password(text: &str) -> String {
    if text.contains('@') {
        redacted_text(text)
    } else {
        text.to_string()
    }
}

/// Where the file lives for this user, if a home or config folder is known.
pub fn default_path() -> Option<PathBuf> {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(config.join("desktop-viewer").join("cameras.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_set_comes_back_without_passwords() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("cameras.json");
        let cameras = [
            "http://pi:secret@door.local:8000/stream.mjpg".to_string(),
            "printer.local".to_string(),
        ];
        Remembered::new(&cameras, GridLayout::Columns(2), Some(1))
            .save(&path)
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("secret"), "{text}");
        let back = Remembered::load(&path).unwrap();
        assert_eq!(back.cameras[0], "http://pi@door.local:8000/stream.mjpg");
        assert_eq!(back.cameras[1], "printer.local", "kept as typed");
        assert_eq!(back.layout, GridLayout::Columns(2));
        assert_eq!(back.focus, Some(1));
    }

    #[test]
    fn a_missing_or_damaged_file_is_no_memory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cameras.json");
        assert_eq!(Remembered::load(&path), None);
        std::fs::write(&path, "{ not json").unwrap();
        assert_eq!(Remembered::load(&path), None);
    }
}
