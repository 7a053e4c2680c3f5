//! The desktop viewer as a library: `main.rs` parses the command line and calls [`run`];
//! tests drive the [`pipeline`] and the [`ui`] directly.
//!
//! The path of a frame: [`net`] (HTTP; what each failure means, in `net::failure`) →
//! parser (`pipeline::reader`: `mjpeg_wire`'s multipart parser, reconnects) → decode
//! (`pipeline::decoder` runs [`decode`], JPEG → RGBA, newest part only) → texture
//! (`ui::picture`) → overlay ([`ui::overlay`]). [`stats`] measures it, [`record`] saves it,
//! [`headless`] prints it. [`discover`] lists the cameras that announce themselves on the LAN;
//! [`controls`] reads and changes a camera's live controls for the window's side panel.

pub mod cli;
pub mod controls;
pub mod decode;
pub mod discover;
pub mod headless;
pub mod net;
pub mod pipeline;
pub mod record;
pub mod slot;
pub mod stats;
pub mod ui;

use std::process::ExitCode;

/// Runs what the command line asks for; the exit code says whether any frame arrived
/// (headless) or how the window ended.
pub fn run(cli: cli::Cli) -> anyhow::Result<ExitCode> {
    init_tracing();
    if cli.discover {
        let found = discover::run(cli.duration, &mut std::io::stdout().lock())?;
        return Ok(if found > 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    if cli.headless {
        let mut out = std::io::stdout().lock();
        let options = headless::Options {
            duration: cli.duration,
            json: cli.json,
            record_to: cli.record.then(|| cli.output_dir.clone()),
            target_kbps: cli.target_kbps,
        };
        let configs = cli.pipeline_configs().map_err(anyhow::Error::msg)?;
        let summaries = headless::run_all(configs, &options, &mut out)?;
        // Scripts ask "did anything arrive?" (from every stream): 0 yes, 1 no.
        return Ok(if summaries.iter().all(|s| s.totals.frames > 0) {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    ui::run_window(&cli)?;
    Ok(ExitCode::SUCCESS)
}

/// Logs to stderr; `RUST_LOG` overrides the default of warnings and up.
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // Fails only if a subscriber is already set (a test did it); that one is used then.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a terminal, not for a script's log file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
