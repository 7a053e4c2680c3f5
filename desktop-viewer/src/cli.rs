//! Command-line options, parsed in `main.rs` and handed to [`crate::run`].

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use mjpeg_wire::duration::parse as parse_duration;

use crate::pipeline::PipelineConfig;

/// The URL pi-server (and the original picamera recipe) serve their stream at.
pub const DEFAULT_URL: &str = "http://localhost:8000/stream.mjpg";

/// The shortest stall timeout used, whatever is asked: below it a healthy stream's gaps
/// between frames would count as stalls.
const MIN_STALL_TIMEOUT: Duration = Duration::from_millis(100);

/// Watch a Raspberry Pi camera (any MJPEG-over-HTTP stream) live, with FPS and bandwidth
/// on screen.
///
/// Keys in the window: S overlay, P snapshot, R record, 1 actual size, F11 full screen,
/// L the cameras on the network; with several cameras 1-9 shows one alone, Esc the grid
/// again, G changes the grid's layout.
#[derive(Debug, Clone, Parser)]
#[command(name = "desktop-viewer", version, about, long_about = None)]
#[command(group = clap::ArgGroup::new("windowless").args(["headless", "discover"]))]
pub struct Cli {
    /// What to watch: a stream URL, or just the camera's address (raspberrypi.local,
    /// host:8000, http://host:8000/); the viewer finds the stream. Credentials may be given
    /// in it (http://user:password@host:8000/stream.mjpg).
    /// Several URLs are watched at once: in a grid in the window; with --headless each is
    /// reported, then the total. None given: the window shows the cameras it showed last
    /// time, else http://localhost:8000/stream.mjpg.
    #[arg(num_args = 0.., value_name = "URL")]
    pub urls: Vec<String>,

    /// Bandwidth target in kbit/s; the overlay marks whether the stream is over or under it.
    #[arg(long, default_value_t = 1000.0, value_name = "KBIT/S")]
    pub target_kbps: f64,

    /// Run without a window: print one stats line a second, then a summary.
    #[arg(long)]
    pub headless: bool,

    /// List the cameras that announce themselves on the LAN (DNS-SD over multicast DNS) as
    /// JSON lines, as they appear and vanish, for --duration; then a summary line. Exit
    /// status 0 if any camera was present at the end.
    #[arg(long)]
    pub discover: bool,

    /// Do not look for cameras on the network (no multicast DNS queries): the window lists
    /// none, and a `.local` name is left to the system's resolver.
    #[arg(long, env = "VIEWER_NO_DISCOVERY", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_discovery: bool,

    /// Neither read nor write the cameras and layout the window keeps between runs
    /// (~/.config/desktop-viewer/cameras.json).
    #[arg(long, env = "VIEWER_NO_REMEMBER", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_remember: bool,

    /// With --headless or --discover: how long to run (e.g. 10s, 500ms, 2m, or bare
    /// seconds).
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "10s",
        value_parser = parse_duration,
        requires = "windowless"
    )]
    pub duration: Duration,

    /// With --headless: print JSON lines instead of text.
    #[arg(long, requires = "headless")]
    pub json: bool,

    /// With --headless: record the stream, as received, to a new recording-TIME.mjpg in
    /// --output-dir (ffmpeg and pi-server's file: source play it back).
    #[arg(long, requires = "headless")]
    pub record: bool,

    /// Reconnect when no byte has arrived for this long (e.g. 3s, 500ms, or bare seconds).
    #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = parse_duration)]
    pub stall_timeout: Duration,

    /// Largest JPEG accepted, in bytes; a larger part ends the connection.
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_frame_size: usize,

    /// User name for HTTP basic authentication (or put it in the URL).
    #[arg(long, env = "VIEWER_USER")]
    pub user: Option<String>,

    /// Password for HTTP basic authentication (or put it in the URL).
    #[arg(long, env = "VIEWER_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,

    /// For HTTPS: also trust the certificate(s) in this PEM file, e.g. the CA that signed
    /// the Pi's certificate, or a self-signed server certificate.
    #[arg(long, env = "VIEWER_CA_CERT", value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,

    /// Where snapshots (P) and recordings (R) are saved.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub output_dir: PathBuf,
}

impl Cli {
    /// One pipeline's settings per URL given (the default URL when none is), the options the
    /// same for all.
    pub fn pipeline_configs(&self) -> Result<Vec<PipelineConfig>, String> {
        let template = self.pipeline_config()?;
        let default = [DEFAULT_URL.to_string()];
        let urls = if self.urls.is_empty() {
            &default[..]
        } else {
            &self.urls[..]
        };
        Ok(urls
            .iter()
            .map(|url| PipelineConfig {
                url: url.clone(),
                ..template.clone()
            })
            .collect())
    }

    /// The pipeline settings these options describe; fails only when --ca-cert cannot be
    /// read.
    pub fn pipeline_config(&self) -> Result<PipelineConfig, String> {
        let first = self.urls.first().map_or(DEFAULT_URL, String::as_str);
        let mut config = PipelineConfig::new(first);
        if let Some(path) = &self.ca_cert {
            config.extra_roots = std::fs::read(path)
                .map_err(|e| format!("--ca-cert {}: cannot read it: {e}", path.display()))?;
            if !config.extra_roots.windows(11).any(|w| w == b"-----BEGIN ") {
                return Err(format!(
                    "--ca-cert {}: no PEM certificate in it (-----BEGIN CERTIFICATE-----)",
                    path.display()
                ));
            }
        }
        // The parser refuses zero and negatives; a few milliseconds would still make every
        // read time out at once.
        config.stall_timeout = self.stall_timeout.max(MIN_STALL_TIMEOUT);
        config.max_frame_size = self.max_frame_size;
        config.mdns_names = !self.no_discovery;
        if let Some(user) = &self.user {
            config.credentials = Some(crate::net::Credentials {
                user: user.clone(),
                password: self.password.clone(),
            });
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults_match_the_server() {
        let cli = Cli::parse_from(["desktop-viewer"]);
        assert!(
            cli.urls.is_empty(),
            "none given: the remembered cameras, else the default"
        );
        let configs = cli.pipeline_configs().unwrap();
        assert_eq!(configs.len(), 1);
        assert_eq!(configs[0].url, DEFAULT_URL);
        assert_eq!(cli.target_kbps, 1000.0);
        assert!(!cli.headless);
    }

    #[test]
    fn duration_needs_headless() {
        assert!(Cli::try_parse_from(["desktop-viewer", "--duration", "3"]).is_err());
        let cli = Cli::parse_from([
            "desktop-viewer",
            "--headless",
            "--duration",
            "3",
            "--json",
            "u",
        ]);
        assert_eq!(cli.duration, Duration::from_secs(3));
        assert!(cli.json);
        assert_eq!(cli.urls, ["u"]);
    }

    #[test]
    fn discover_takes_a_duration_and_excludes_headless() {
        let cli = Cli::parse_from(["desktop-viewer", "--discover", "--duration", "3"]);
        assert!(cli.discover);
        assert_eq!(cli.duration, Duration::from_secs(3));
        assert!(Cli::try_parse_from(["desktop-viewer", "--discover", "--headless"]).is_err());
    }

    #[test]
    fn durations_take_units_and_bare_seconds() {
        let cli = Cli::parse_from([
            "desktop-viewer",
            "--headless",
            "--duration",
            "2.5",
            "--stall-timeout",
            "250ms",
        ]);
        assert_eq!(cli.duration, Duration::from_millis(2500));
        assert_eq!(cli.stall_timeout, Duration::from_millis(250));
        let defaults = Cli::parse_from(["desktop-viewer"]);
        assert_eq!(defaults.duration, Duration::from_secs(10));
        assert_eq!(defaults.stall_timeout, Duration::from_secs(3));
    }

    /// `--stall-timeout inf` used to panic in `Duration::from_secs_f64`; now it is a usage
    /// error that names the flag and says what to type.
    #[test]
    fn a_duration_that_cannot_be_a_timeout_is_a_usage_error() {
        for (flag, value) in [
            ("--stall-timeout", "inf"),
            ("--stall-timeout", "NaN"),
            ("--stall-timeout", "0"),
            ("--duration", "-1s"),
        ] {
            // `=`: clap would take a lone `-1s` for a flag of its own.
            let arg = format!("{flag}={value}");
            let err = Cli::try_parse_from(["desktop-viewer", "--headless", &arg]).expect_err(value);
            assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation, "{err}");
            let message = err.to_string();
            assert!(message.contains(flag), "{message}");
            assert!(message.contains("e.g. 10s"), "{message}");
        }
    }
}
