//! The window: the picture, fitted or 1:1, under a toggleable overlay of figures and a
//! bandwidth chart; a URL bar; keys S, P, R, 1, F11.

mod app;
mod chart;
pub mod format;
pub mod overlay;

pub use app::{AppOptions, Toast, ViewOptions, ViewerApp};

use anyhow::Context as _;
use eframe::egui;

use crate::cli::Cli;

/// Opens the window and runs until it is closed.
pub fn run_window(cli: &Cli) -> anyhow::Result<()> {
    let options = AppOptions {
        config: cli.pipeline_config().map_err(anyhow::Error::msg)?,
        target_kbps: cli.target_kbps,
        output_dir: cli.output_dir.clone(),
        connect: true,
    };
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("desktop-viewer")
            .with_app_id("desktop-viewer")
            .with_inner_size([1024.0, 720.0])
            .with_min_inner_size([480.0, 320.0]),
        ..Default::default()
    };
    eframe::run_native(
        "desktop-viewer",
        native,
        Box::new(move |cc| {
            cc.egui_ctx.set_theme(egui::Theme::Dark);
            Ok(Box::new(ViewerApp::new(options)))
        }),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))
    .context("cannot open a window (no display? --headless works without one)")
}
