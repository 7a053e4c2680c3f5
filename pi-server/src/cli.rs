//! The command line (`pi-server --help`), with an environment variable for every flag.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;

use crate::config::{Config, Size, SourceSpec, parse_duration};

/// Serve a Raspberry Pi camera (or a file, a pipe or a test pattern) as MJPEG over HTTP.
///
/// Open http://HOST:8000/ in a browser for the live picture and its figures, or point any
/// MJPEG client (VLC, ffmpeg, OctoPrint, Home Assistant, our desktop viewer) at /stream.mjpg.
/// Other endpoints: /snapshot.jpg, /stats (JSON), /healthz, and mjpg-streamer's
/// /?action=stream and /?action=snapshot. Add ?fps=N to a stream URL for fewer frames.
#[derive(Debug, Clone, Parser)]
#[command(name = "pi-server", version, about, long_about)]
pub struct Cli {
    /// Address and port to listen on.
    #[arg(long, env = "PI_SERVER_LISTEN", default_value = "0.0.0.0:8000")]
    pub listen: SocketAddr,

    /// Where frames come from: auto (a camera, else a test pattern), test, stdin,
    /// file:PATH (.mjpg capture, concatenated JPEGs or a directory of .jpg, looped) or
    /// exec:COMMAND (raw MJPEG on its stdout, e.g.
    /// exec:'rpicam-vid -t 0 --codec mjpeg --width 640 --height 480 --framerate 24 -o -').
    #[arg(long, env = "PI_SERVER_SOURCE", default_value = "auto")]
    pub source: SourceSpec,

    /// Frame size of the test pattern, WIDTHxHEIGHT.
    #[arg(
        long,
        env = "PI_SERVER_SIZE",
        default_value = "640x480",
        value_name = "WxH"
    )]
    pub size: Size,

    /// Frames per second of the test pattern and of file replay (pipes keep their own rate).
    #[arg(long, env = "PI_SERVER_FPS", default_value_t = 24,
          value_parser = clap::value_parser!(u32).range(1..=120))]
    pub fps: u32,

    /// JPEG quality of the test pattern, 1-100.
    #[arg(long, env = "PI_SERVER_QUALITY", default_value_t = 80,
          value_parser = clap::value_parser!(u8).range(1..=100))]
    pub quality: u8,

    /// Most stream clients at once; more are answered 503.
    #[arg(long, env = "PI_SERVER_MAX_CLIENTS", default_value_t = 1000,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_clients: u32,

    /// Drop a stream client that accepts no data for this long (e.g. 10s, 500ms).
    #[arg(long, env = "PI_SERVER_CLIENT_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub client_timeout: Duration,

    /// Send `Access-Control-Allow-Origin: ORIGIN` (e.g. '*' or https://example.org) so that
    /// pages elsewhere can read /stats and snapshots; off by default.
    #[arg(long, env = "PI_SERVER_ALLOW_ORIGIN", value_name = "ORIGIN", value_parser = parse_origin)]
    pub allow_origin: Option<String>,

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

impl Cli {
    /// The server settings these flags ask for.
    pub fn config(&self) -> Config {
        Config {
            source: self.source.clone(),
            size: self.size,
            fps: self.fps,
            quality: self.quality,
            max_clients: self.max_clients as usize,
            client_timeout: self.client_timeout,
            allow_origin: self.allow_origin.clone(),
            ..Config::default()
        }
    }
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
        let config = cli.config();
        assert_eq!(cli.listen.port(), 8000);
        assert_eq!(config.size.to_string(), "640x480");
        assert_eq!(config.fps, 24);
        assert_eq!(config.source, SourceSpec::Auto);
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
