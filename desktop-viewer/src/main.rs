//! `desktop-viewer`: watch an MJPEG-over-HTTP stream live; see `lib.rs` for everything else.

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = desktop_viewer::cli::Cli::parse();
    match desktop_viewer::run(cli) {
        Ok(code) => code,
        Err(err) => {
            // One clear line for the user; the chain of causes is joined by ": ".
            eprintln!("desktop-viewer: {err:#}");
            ExitCode::from(2)
        }
    }
}
