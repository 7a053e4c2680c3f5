//! The command line (`pi-server --help`), with an environment variable for every flag.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{CommandFactory, Parser};
use mjpeg_wire::duration::parse as parse_duration;

use crate::config::Config;
use crate::error::Error;
use crate::http::auth::Access;
use crate::size::Size;
use crate::source::SourceSpec;
use crate::source::v4l2::ControlSetting;

/// Serve a Raspberry Pi camera (or a file, a pipe or a test pattern) as MJPEG over HTTP.
///
/// Open http://HOST:8000/ in a browser for the live picture and its figures, or point any
/// MJPEG client (VLC, ffmpeg, OctoPrint, Home Assistant, our desktop viewer) at /stream.mjpg.
/// Other endpoints: /snapshot.jpg, /stats (JSON), /healthz, and mjpg-streamer's
/// /?action=stream and /?action=snapshot. Add ?fps=N to a stream URL for fewer frames.
#[derive(Debug, Clone, Parser)]
// A flag given twice takes its last value, so the command line overrides the config file.
#[command(
    name = "pi-server",
    version,
    about,
    long_about,
    args_override_self = true
)]
pub struct Cli {
    /// Address and port to listen on.
    #[arg(long, env = "PI_SERVER_LISTEN", default_value = "0.0.0.0:8000")]
    pub listen: SocketAddr,

    /// Where frames come from: auto (the first V4L2 camera, else a test pattern),
    /// v4l2:/dev/videoN (a USB camera, or the Pi's legacy camera stack), test (test:busy
    /// and test:changing add detail, for bandwidth tests), stdin,
    /// file:PATH (.mjpg capture, concatenated JPEGs or a directory of .jpg, looped) or
    /// exec:COMMAND (raw MJPEG on its stdout, e.g. a CSI camera on the libcamera stack:
    /// exec:'rpicam-vid -t 0 --codec mjpeg --width 640 --height 480 --framerate 24 -o -').
    #[arg(long, env = "PI_SERVER_SOURCE", default_value = "auto")]
    pub source: SourceSpec,

    /// Frame size asked of a camera (it may grant the nearest it has) and of the test
    /// pattern, WIDTHxHEIGHT.
    #[arg(
        long,
        env = "PI_SERVER_SIZE",
        default_value = "640x480",
        value_name = "WxH"
    )]
    pub size: Size,

    /// Frames per second asked of a camera (it grants what it can; the log says what), of
    /// the test pattern and of file replay (pipes keep their own rate).
    #[arg(long, env = "PI_SERVER_FPS", default_value_t = 24,
          value_parser = clap::value_parser!(u32).range(1..=120))]
    pub fps: u32,

    /// JPEG quality of frames pi-server encodes (the test pattern, raw camera formats),
    /// 1-100. For an MJPEG camera use its own control, e.g. --control compression_quality=70.
    #[arg(long, env = "PI_SERVER_QUALITY", default_value_t = 80,
          value_parser = clap::value_parser!(u8).range(1..=100))]
    pub quality: u8,

    /// Most stream clients at once; more are answered 503.
    #[arg(long, env = "PI_SERVER_MAX_CLIENTS", default_value_t = 1000,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_clients: u32,

    /// Most open connections of any kind (streaming, idle, half-sent requests); more are
    /// answered 503 with Retry-After at once. Keep it under the process's file limit.
    #[arg(long, env = "PI_SERVER_MAX_CONNECTIONS", default_value_t = 1024,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// Close a connection that has not sent a whole request head within this (a client
    /// that says nothing, or trickles its request byte by byte).
    #[arg(long, env = "PI_SERVER_HEADER_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub header_timeout: Duration,

    /// Drop a client that accepts no data for this long (e.g. 10s, 500ms): a stream
    /// client whose link delivers nothing, or any response that cannot be written.
    #[arg(long, env = "PI_SERVER_CLIENT_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub client_timeout: Duration,

    /// Ask for a user name and password (HTTP Basic), USER:PASSWORD. Prefer --auth-file
    /// or the environment variable: a flag's value is visible to every user in `ps`.
    /// Without TLS (--tls-cert) the password crosses the network readable.
    #[arg(
        long,
        env = "PI_SERVER_AUTH",
        value_name = "USER:PASSWORD",
        hide_env_values = true,
        conflicts_with = "auth_file"
    )]
    pub auth: Option<String>,

    /// Read --auth's USER:PASSWORD from the first line of FILE (make it readable by the
    /// server's user only).
    #[arg(long, env = "PI_SERVER_AUTH_FILE", value_name = "FILE")]
    pub auth_file: Option<PathBuf>,

    /// Also accept a token from the first line of FILE, given as ?token=TOKEN on any URL
    /// (browsers do not send a password with an <img>; the index page passes its token on
    /// to the stream). At least 16 characters of letters, digits and - _ . ~
    #[arg(long, env = "PI_SERVER_TOKEN_FILE", value_name = "FILE")]
    pub token_file: Option<PathBuf>,

    /// Serve HTTPS with this certificate (PEM: the server's certificate, then any
    /// intermediates); needs --tls-key. Browsers and the viewer must trust its issuer.
    #[arg(
        long,
        env = "PI_SERVER_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,

    /// The private key of --tls-cert (PEM).
    #[arg(
        long,
        env = "PI_SERVER_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,

    /// Send `Access-Control-Allow-Origin: ORIGIN` (e.g. '*' or https://example.org) so that
    /// pages elsewhere can read /stats and snapshots; off by default.
    #[arg(long, env = "PI_SERVER_ALLOW_ORIGIN", value_name = "ORIGIN", value_parser = parse_origin)]
    pub allow_origin: Option<String>,

    /// Hold the stream at about this many kbit/s (within ±10 %): JPEG quality goes down
    /// first (for frames pi-server encodes), then the frame rate; for MJPEG passed through,
    /// frames are dropped evenly. Add ?kbps=N to a stream URL for one slow client.
    #[arg(long, env = "PI_SERVER_TARGET_KBPS", value_name = "KBPS",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub target_kbps: Option<u32>,

    /// Lowest JPEG quality --target-kbps uses before it lowers the frame rate instead.
    #[arg(long, env = "PI_SERVER_MIN_QUALITY", default_value_t = 30,
          value_parser = clap::value_parser!(u8).range(1..=100))]
    pub min_quality: u8,

    /// Set a camera control, NAME=VALUE (repeatable), e.g. brightness=60,
    /// auto_exposure=manual_mode. --list-devices lists each camera's controls. (Several in
    /// a config file: control = ["brightness=60", "contrast=40"].)
    #[arg(long = "control", value_name = "NAME=VALUE")]
    pub controls: Vec<ControlSetting>,

    /// Skip frames identical to the one before (a still scene from a capture card or a
    /// static camera), sending one a second all the same so clients know the stream lives.
    // `=1`, `=yes` or `=true` in the environment, as services usually write it.
    #[arg(long, env = "PI_SERVER_DROP_SAME_FRAMES", value_parser = clap::builder::BoolishValueParser::new())]
    pub drop_same_frames: bool,

    /// Let anyone who may watch also change the live controls (/api/controls, the page's
    /// panel) when no --auth or --token-file is set: for a trusted network only. Without
    /// it, and without credentials, the controls are read-only.
    #[arg(long, env = "PI_SERVER_OPEN_CONTROLS", value_parser = clap::builder::BoolishValueParser::new())]
    pub open_controls: bool,

    /// Keep changes made through the controls in a file beside the config file
    /// (pi-server.toml: pi-server.controls.json), and apply them again at start. Needs
    /// --config; the file's directory must be writable by the server.
    #[arg(long, env = "PI_SERVER_SAVE_CONTROLS", value_parser = clap::builder::BoolishValueParser::new())]
    pub save_controls: bool,

    /// The camera's name on the LAN, as viewers and mDNS browsers list it (default: the
    /// host name and the camera's, e.g. "raspberrypi: test pattern").
    #[arg(long, env = "PI_SERVER_NAME", value_name = "NAME")]
    pub name: Option<String>,

    /// Do not announce the camera on the LAN (DNS-SD over multicast DNS, which viewers use
    /// to find it without an address) nor listen for other cameras.
    // `=1`, `=yes` or `=true` in the environment, as services usually write it.
    #[arg(long, env = "PI_SERVER_NO_ANNOUNCE", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_announce: bool,

    /// List the cameras (V4L2 devices) with their formats, sizes, frame rates and
    /// controls, say which one --source auto would use, and exit.
    #[arg(long)]
    pub list_devices: bool,

    /// Read settings from a TOML file: the long flag names as keys, e.g.
    /// source = "v4l2:/dev/video0", control = ["brightness=60"]. Flags on the command line
    /// win over the file, and the file over environment variables.
    #[arg(long, env = "PI_SERVER_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Log filter: error, warn, info, debug, trace, or a tracing filter such as
    /// pi_server=debug.
    #[arg(long, env = "PI_SERVER_LOG_LEVEL", default_value = "info")]
    pub log_level: String,
}

/// An origin must be a valid header value (no line breaks or control characters).
fn parse_origin(s: &str) -> Result<String, String> {
    http::HeaderValue::from_str(s)
        .map(|_| s.to_string())
        .map_err(|_| format!("{s:?} cannot be sent as a header value"))
}

/// The first line of a secret file, or an error that names the flag and the file.
fn read_secret(flag: &str, path: &Path) -> Result<String, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::Credentials(format!("{flag} {}: cannot read it: {e}", path.display()))
    })?;
    let line = text.lines().next().unwrap_or("").trim().to_string();
    if line.is_empty() {
        return Err(Error::Credentials(format!(
            "{flag} {}: the first line is empty",
            path.display()
        )));
    }
    Ok(line)
}

impl Cli {
    /// Who may watch, from --auth, --auth-file and --token-file.
    pub fn access(&self) -> Result<Access, Error> {
        let basic = match (&self.auth, &self.auth_file) {
            (Some(b), _) => Some(b.clone()),
            (None, Some(path)) => Some(read_secret("--auth-file", path)?),
            (None, None) => None,
        };
        let token = match &self.token_file {
            Some(path) => Some(read_secret("--token-file", path)?),
            None => None,
        };
        Access::new(basic.as_deref(), token.as_deref())
            .map_err(|e| Error::Credentials(e.to_string()))
    }

    /// The server settings these flags ask for; fails only on credentials that cannot be
    /// read or used.
    pub fn config(&self) -> Result<Config, Error> {
        let tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(crate::tls::load(cert, key)?),
            _ => None,
        };
        Ok(Config {
            source: crate::source::Settings {
                spec: self.source.clone(),
                size: self.size,
                fps: self.fps,
                controls: self.controls.clone(),
            },
            publish: crate::publish::Settings {
                quality: self.quality,
                target_kbps: self.target_kbps,
                min_quality: self.min_quality,
                drop_same_frames: self.drop_same_frames,
            },
            http: crate::http::Settings {
                access: self.access()?,
                tls,
                max_clients: self.max_clients as usize,
                max_connections: self.max_connections as usize,
                header_timeout: self.header_timeout,
                client_timeout: self.client_timeout,
                allow_origin: self.allow_origin.clone(),
                open_controls: self.open_controls,
                ..crate::http::Settings::default()
            },
            controls: crate::controls::Settings {
                state_file: match (&self.config, self.save_controls) {
                    (Some(config), true) => Some(crate::controls::state_file::beside(config)),
                    (None, true) => return Err(Error::SaveControlsWithoutConfig),
                    (_, false) => None,
                },
            },
            announce: crate::announce::Settings {
                enabled: !self.no_announce,
                name: self.name.clone(),
            },
        })
    }
}

/// Why the config file cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigFileError {
    /// It cannot be read.
    #[error("cannot read the config file {path}: {cause}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What the system said.
        cause: std::io::Error,
    },
    /// It is not TOML, or a value is not a string, number, boolean or list of them.
    #[error("config file {path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where.
        message: String,
    },
}

/// Keys a config file may not set: they are about this run, not the settings.
const NOT_IN_FILE: [&str; 4] = ["config", "list-devices", "help", "version"];

/// The command line with the config file's settings put in front of the given flags, so
/// that clap parses both and the flags win. The file is `--config FILE` (or `=FILE`) if
/// given, else `$PI_SERVER_CONFIG`; without either the arguments come back unchanged.
pub fn args_with_config_file(args: Vec<OsString>) -> Result<Vec<OsString>, ConfigFileError> {
    let named = args
        .windows(2)
        .rev()
        .find_map(|w| (w[0] == "--config").then(|| PathBuf::from(&w[1])));
    let inline = args
        .iter()
        .rev()
        .find_map(|a| a.to_str()?.strip_prefix("--config=").map(PathBuf::from));
    let Some(path) = named
        .or(inline)
        .or_else(|| std::env::var_os("PI_SERVER_CONFIG").map(PathBuf::from))
    else {
        return Ok(args);
    };
    let text = std::fs::read_to_string(&path).map_err(|cause| ConfigFileError::Unreadable {
        path: path.clone(),
        cause,
    })?;
    let from_file = config_file_args(&path, &text)?;
    let mut all = Vec::with_capacity(args.len() + from_file.len());
    let mut rest = args.into_iter();
    all.extend(rest.next());
    all.extend(from_file);
    all.extend(rest);
    Ok(all)
}

/// A config file's settings as `--key=value` arguments.
fn config_file_args(path: &Path, text: &str) -> Result<Vec<OsString>, ConfigFileError> {
    let invalid = |message: String| ConfigFileError::Invalid {
        path: path.to_path_buf(),
        message,
    };
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        invalid(
            e.to_string()
                .lines()
                .next()
                .unwrap_or("not TOML")
                .to_string(),
        )
    })?;
    let command = Cli::command();
    let known: Vec<&str> = command
        .get_arguments()
        .filter_map(|a| a.get_long())
        .filter(|l| !NOT_IN_FILE.contains(l))
        .collect();
    let mut out = Vec::new();
    for (key, value) in &table {
        if !known.contains(&key.as_str()) {
            return Err(invalid(format!(
                "unknown setting {key:?}; settings are the long flags of pi-server --help: {}",
                known.join(", ")
            )));
        }
        let values = match value {
            toml::Value::Array(items) => items.iter().collect(),
            single => vec![single],
        };
        for v in values {
            let text = match v {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Boolean(true) => {
                    out.push(OsString::from(format!("--{key}")));
                    continue;
                }
                toml::Value::Boolean(false) => continue,
                _ => {
                    return Err(invalid(format!(
                        "{key}: use a string, a number, true/false or a list of them"
                    )));
                }
            };
            out.push(OsString::from(format!("--{key}={text}")));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults_follow_the_recipe() {
        let cli = Cli::try_parse_from(["pi-server"]).unwrap();
        let config = cli.config().unwrap();
        assert_eq!(cli.listen.port(), 8000);
        assert_eq!(config.source.size.to_string(), "640x480");
        assert_eq!(config.source.fps, 24);
        assert_eq!(config.source.spec, SourceSpec::Auto);
    }

    #[test]
    fn camera_flags() {
        let cli = Cli::try_parse_from([
            "pi-server",
            "--source",
            "v4l2:/dev/video0",
            "--control",
            "brightness=60",
            "--control",
            "Exposure, Absolute=100",
            "--drop-same-frames",
        ])
        .unwrap();
        let config = cli.config().unwrap();
        assert_eq!(config.source.spec, SourceSpec::V4l2("/dev/video0".into()));
        let controls: Vec<String> = config
            .source
            .controls
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(controls, ["brightness=60", "exposure_absolute=100"]);
        assert!(config.publish.drop_same_frames);
        assert!(Cli::try_parse_from(["pi-server", "--control", "brightness"]).is_err());
    }

    fn with_file(text: &str, flags: &[&str]) -> Result<Cli, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pi-server.toml");
        std::fs::write(&path, text).unwrap();
        let mut args: Vec<OsString> = vec!["pi-server".into(), "--config".into(), path.into()];
        args.extend(flags.iter().map(OsString::from));
        let args = args_with_config_file(args).map_err(|e| e.to_string())?;
        Cli::try_parse_from(args).map_err(|e| e.to_string())
    }

    #[test]
    fn a_config_file_sets_flags_and_the_command_line_wins() {
        let text = r#"
            # the camera on the printer
            source = "v4l2:/dev/video0"
            size = "1280x720"
            fps = 15
            control = ["brightness=60", "contrast=40"]
            drop-same-frames = true
        "#;
        let cli = with_file(text, &["--fps", "30"]).unwrap();
        assert_eq!(cli.source, SourceSpec::V4l2("/dev/video0".into()));
        assert_eq!(cli.size.to_string(), "1280x720");
        assert_eq!(cli.fps, 30, "the command line overrides the file");
        assert_eq!(cli.controls.len(), 2);
        assert!(cli.drop_same_frames);
    }

    #[test]
    fn config_file_mistakes_name_the_file_and_the_setting() {
        let err = with_file("sauce = \"test\"", &[]).unwrap_err();
        assert!(
            err.contains("pi-server.toml") && err.contains("unknown setting \"sauce\""),
            "{err}"
        );
        assert!(err.contains("listen"), "{err}");
        let err = with_file("source = ", &[]).unwrap_err();
        assert!(err.contains("pi-server.toml"), "{err}");
        let err = with_file("fps = 0", &[]).unwrap_err();
        assert!(err.contains("fps"), "{err}");
        let missing = args_with_config_file(vec![
            "pi-server".into(),
            "--config=/nonexistent.toml".into(),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            missing.contains("cannot read the config file /nonexistent.toml"),
            "{missing}"
        );
    }

    #[test]
    fn bad_values_are_usage_errors() {
        for args in [
            ["pi-server", "--size", "640"],
            ["pi-server", "--fps", "0"],
            ["pi-server", "--quality", "101"],
            ["pi-server", "--source", "camera"],
            ["pi-server", "--client-timeout", "soon"],
            ["pi-server", "--allow-origin", "a\nb"],
        ] {
            let err = Cli::try_parse_from(args).unwrap_err();
            // clap exits with status 2 for these.
            assert_eq!(err.exit_code(), 2, "{args:?}");
        }
    }
}
