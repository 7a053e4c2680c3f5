//! `pi-server`: parses the command line and runs the server library.

use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser as _;
use pi_server::cli::Cli;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let args = match pi_server::cli::args_with_config_file(std::env::args_os().collect()) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("pi-server: {e}");
            return ExitCode::from(2);
        }
    };
    let cli = Cli::parse_from(args);
    if cli.list_devices {
        print!(
            "{}",
            pi_server::source::v4l2::list::list_devices(
                u32::from(cli.size.width),
                u32::from(cli.size.height)
            )
        );
        return ExitCode::SUCCESS;
    }
    let filter = match EnvFilter::try_new(&cli.log_level) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("pi-server: bad --log-level {:?}: {e}", cli.log_level);
            return ExitCode::from(2);
        }
    };
    // Logs go to stderr, leaving stdout free (and journald captures both).
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Colours for a terminal only: in the journal or a log file they are noise.
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pi-server: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        // Signal handlers first, so that a signal during start-up is not lost.
        let shutdown = pi_server::shutdown::signal();
        let config = cli.config()?;
        let listener = pi_server::bind(cli.listen)?;
        pi_server::run(listener, config, shutdown).await
    });
    // Reading stdin blocks a runtime thread that cannot be interrupted: do not wait for it.
    runtime.shutdown_timeout(Duration::from_millis(100));
    match result.context("pi-server") {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e:#}");
            let user_error = e
                .downcast_ref::<pi_server::Error>()
                .is_some_and(pi_server::Error::is_user_error);
            ExitCode::from(if user_error { 2 } else { 1 })
        }
    }
}
