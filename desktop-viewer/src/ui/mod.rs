//! The window: one camera's picture, fitted or 1:1, under a toggleable overlay of figures
//! and a bandwidth chart, or several cameras in a grid; a URL bar; keys S, P, R, 1, F11,
//! and with several cameras 1-9, Esc, G.
//!
//! As in egui's own apps, the state lives in one place ([`ViewerApp`], `app.rs`) and each
//! part of the window is drawn by one `*_ui` function in its own module, which returns
//! what the user asked for as an `Action` instead of acting itself:
//!
//! - `url_bar`: the state word, the URL (Enter connects), Connect, Snapshot, Record;
//! - `login`: the row under it when the camera asks for a login (HTTP 401);
//! - `picture`: the video texture, fitted or 1:1, or a placeholder before the first frame
//!   (with the cameras on the network to pick from);
//! - `cameras`: the cameras on the network (side panel, L), announced over mDNS;
//! - `controls`: the camera's live controls (side panel, C), from its `/api/controls`;
//! - [`overlay`] (with `chart`): the figures over the picture;
//! - `status_bar`: a recording in progress, messages (`toast`), the keys;
//! - `keys`: S, P, R, 1, F11 and Esc as actions; `saving` does what P and R ask;
//! - `title`: the window title; `feed`: what the window watches (a pipeline, or a test's
//!   stand-in); `tile`: one camera watched (its feed, texture, figures, recorder);
//! - `grid`: several cameras side by side, each with a compact overlay; `remembered`: the
//!   cameras and the layout kept between runs.

mod action;
mod app;
mod cameras;
mod chart;
mod controls;
mod feed;
pub mod format;
mod grid;
mod keys;
mod login;
pub mod overlay;
mod picture;
mod remembered;
mod saving;
mod status_bar;
mod tile;
mod title;
mod toast;
mod url_bar;

pub use action::Action;
pub use app::{AppOptions, ViewOptions, ViewerApp};
pub use feed::{Connector, Feed, pipeline_connector};
pub use grid::GridLayout;
pub use remembered::{Remembered, default_path as remembered_path};
pub use tile::Tile;
pub use toast::Toast;

use anyhow::Context as _;
use eframe::egui;

use crate::cli::Cli;
use crate::discover::CameraList;

/// Opens the window and runs until it is closed.
pub fn run_window(cli: &Cli) -> anyhow::Result<()> {
    let mut options = AppOptions::new(
        cli.pipeline_config().map_err(anyhow::Error::msg)?,
        cli.output_dir.clone(),
    );
    options.target_kbps = cli.target_kbps;
    options.urls = cli.urls.clone();
    if !cli.no_remember {
        options.remember = remembered_path();
        // No URL given: what the window showed last time.
        if let Some(kept) = options
            .remember
            .as_deref()
            .filter(|_| cli.urls.is_empty())
            .and_then(Remembered::load)
        {
            options.urls = kept.cameras;
            options.layout = kept.layout;
            options.focus = kept.focus;
        }
    }
    let no_discovery = cli.no_discovery;
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
            let mut options = options;
            // Cameras appearing or vanishing redraw the list; without multicast DNS the
            // viewer works as before, from typed addresses.
            let repaint = cc.egui_ctx.clone();
            if !no_discovery {
                match CameraList::browse(move |_| repaint.request_repaint()) {
                    Ok(list) => options.cameras = list,
                    Err(e) => tracing::warn!(cause = %e, "cannot list the cameras on the network"),
                }
            }
            Ok(Box::new(ViewerApp::new(options)))
        }),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))
    .context("cannot open a window (no display? --headless works without one)")
}
