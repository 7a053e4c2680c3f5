//! `--save-controls`: the controls changed from their defaults, kept in a JSON file beside
//! the config file and read back at start.
//!
//! A file of its own rather than the config file itself: rewriting the user's TOML would
//! lose its comments and layout, and the Debian package's `/etc/pi-server.toml` is a
//! conffile, which dpkg would then ask about on every upgrade.

use std::io;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// Where the controls of `config` (`/etc/pi-server.toml`) are kept:
/// `/etc/pi-server.controls.json`.
pub fn beside(config: &Path) -> PathBuf {
    config.with_extension("controls.json")
}

/// Why the saved controls cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateFileError {
    /// The file cannot be read (other than missing, which is an empty state).
    #[error("cannot read {path}: {cause}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What the system said.
        cause: io::Error,
    },
    /// The file is not a JSON object.
    #[error("{path} is not a JSON object of control values: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// The saved values; none when the file does not exist yet.
pub fn load(path: &Path) -> Result<Map<String, Value>, StateFileError> {
    let text = match std::fs::read(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Map::new()),
        Err(cause) => {
            return Err(StateFileError::Unreadable {
                path: path.to_path_buf(),
                cause,
            });
        }
    };
    let invalid = |message: String| StateFileError::Invalid {
        path: path.to_path_buf(),
        message,
    };
    match serde_json::from_slice(&text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(invalid("not an object".into())),
        Err(e) => Err(invalid(e.to_string())),
    }
}

/// Writes `values` to `path` whole or not at all: a temporary file beside it, renamed over
/// it, so that a power cut on a Pi leaves the old state or the new, never half of one.
pub fn save(path: &Path, values: &Map<String, Value>) -> io::Result<()> {
    let mut text = serde_json::to_vec_pretty(values).map_err(io::Error::other)?;
    text.push(b'\n');
    let temporary = path.with_extension("json.new");
    std::fs::write(&temporary, text)?;
    std::fs::rename(&temporary, path)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_state_sits_beside_the_config_and_round_trips() {
        assert_eq!(
            beside(Path::new("/etc/pi-server.toml")),
            Path::new("/etc/pi-server.controls.json")
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pi.controls.json");
        assert!(
            load(&path).unwrap().is_empty(),
            "no file yet: nothing saved"
        );
        let mut values = Map::new();
        values.insert("rotation".into(), json!(90));
        save(&path, &values).unwrap();
        assert_eq!(load(&path).unwrap(), values);
        std::fs::write(&path, "[1]").unwrap();
        assert!(
            load(&path)
                .unwrap_err()
                .to_string()
                .contains("not a JSON object")
        );
    }
}
