//! Drawing the window: [`ViewerApp::ui_main`] runs once per UI frame, takes news from the
//! cameras, reads the keys, draws the bars, the side panel, and the picture (one camera) or
//! the grid (several), and carries out what was asked.

use std::time::Instant;

use eframe::egui::{self, Color32};

use super::super::action::Action;
use super::super::cameras::cameras_ui;
use super::super::controls::controls_ui;
use super::super::grid::{TileView, grid_ui};
use super::super::keys::{KeyContext, keys_ui};
use super::super::login::{self, login_ui};
use super::super::overlay::OverlayData;
use super::super::picture::{PictureView, picture_ui};
use super::super::status_bar::{Several, StatusBar, status_bar_ui};
use super::super::toast::Toast;
use super::super::url_bar::{UrlBar, url_bar_ui};
use super::{SLOW_REFRESH, ViewerApp};
use crate::controls::{Controls, ControlsView};
use crate::stats::ConnState;

impl ViewerApp {
    /// The whole window, drawn into `ui` (eframe's root `Ui`, or a test harness's).
    pub fn ui_main(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        if !self.started {
            self.started = true;
            if self.options.connect {
                for i in 0..self.tiles.len() {
                    self.connect_tile(&ctx, i);
                }
            }
        }
        self.poll_tiles(&ctx);
        self.update_title(&ctx);
        let at = KeyContext {
            fullscreen: self.view.fullscreen,
            tiles: self.tiles.len(),
            focused: self.focus.is_some(),
        };
        for action in keys_ui(&ctx, at) {
            self.apply(&ctx, action);
        }
        if self
            .toast
            .as_ref()
            .is_some_and(|t| t.expired(Instant::now()))
        {
            self.toast = None;
        }
        if !self.view.fullscreen {
            self.bars_ui(ui, &ctx);
        }
        let cameras = self.options.cameras.cameras();
        if self.view.cameras && !self.view.fullscreen {
            let playing = self.url_text().trim().to_string();
            let picked = egui::Panel::left("cameras")
                .frame(bar_frame())
                .default_size(260.0)
                .show(ui, |ui| {
                    ui.heading("Cameras");
                    ui.add_space(6.0);
                    egui::ScrollArea::vertical()
                        .show(ui, |ui| cameras_ui(ui, &cameras, Some(&playing)))
                        .inner
                })
                .inner;
            if let Some(action) = picked {
                self.apply(&ctx, action);
            }
        }
        if self.view.controls && !self.view.fullscreen {
            let view = self.controls_view(&ctx);
            let panel = &mut self.controls_panel;
            let asked = egui::Panel::right("controls")
                .frame(bar_frame())
                .default_size(280.0)
                .show(ui, |ui| controls_ui(ui, view.as_ref(), panel))
                .inner;
            if let Some(action) = asked {
                self.apply(&ctx, action);
            }
        }
        let picked = egui::CentralPanel::no_frame()
            .frame(egui::Frame::new().fill(Color32::from_gray(12)))
            .show(ui, |ui| match self.current() {
                Some(i) => self.picture_ui(ui, i, if self.view.cameras { &[] } else { &cameras }),
                None => {
                    let views: Vec<TileView<'_>> = self
                        .tiles
                        .iter()
                        .map(|t| TileView {
                            name: t.name(&cameras),
                            stats: &t.stats,
                            screen: &t.screen,
                        })
                        .collect();
                    grid_ui(ui, &views, self.layout)
                }
            })
            .inner;
        if let Some(action) = picked {
            self.apply(&ctx, action);
        }
        self.schedule_repaint(&ctx);
    }

    /// The URL bar (with the login row when the camera shown asks for one) and the status
    /// bar.
    fn bars_ui(&mut self, ui: &mut egui::Ui, ctx: &egui::Context) {
        let current = self.current();
        let several = self.tiles.len() > 1;
        let recording = current.is_some_and(|i| self.tiles[i].recorder.status().is_some());
        let state = current.map(|i| self.tiles[i].stats.state.clone());
        let bar = UrlBar {
            state: state.as_ref(),
            recording,
            cameras_shown: self.view.cameras,
            controls_shown: self.view.controls,
            adding: current.is_none(),
            back_to_grid: several && current.is_some(),
        };
        let url_text = match current {
            Some(i) => &mut self.tiles[i].url_text,
            None => &mut self.add_text,
        };
        let login = &mut self.login;
        let asked = egui::Panel::top("url-bar")
            .frame(bar_frame())
            .show(ui, |ui| {
                let asked = url_bar_ui(ui, url_text, &bar);
                let signed_in = state
                    .as_ref()
                    .is_some_and(login::wanted)
                    .then(|| login_ui(ui, login))
                    .flatten();
                asked.or(signed_in)
            })
            .inner;
        if let Some(action) = asked {
            self.apply(ctx, action);
        }
        let main = self.main_tile();
        let recording = current.and_then(|i| self.tiles[i].recorder.status());
        let summary = several.then(|| Several {
            cameras: self.tiles.len(),
            live: self.live_count(),
            kbps: self.tiles.iter().map(|t| t.stats.kbps).sum(),
            layout: self.layout.describe(),
        });
        let bar = StatusBar {
            recording: recording.as_ref(),
            toast: self.toast.as_ref(),
            stats: current.map(|_| &main.stats),
            overlay: self.view.overlay,
            frame_size: main.screen.current().map(|c| c.info.size),
            several: summary.as_ref(),
        };
        egui::Panel::bottom("status-bar")
            .frame(bar_frame())
            .show(ui, |ui| status_bar_ui(ui, &bar));
    }

    /// The controls of the camera shown alone (`None` in the grid): the worker is started
    /// on first use and pointed at that camera's server.
    fn controls_view(&mut self, ctx: &egui::Context) -> Option<ControlsView> {
        let url = self.current().and_then(|i| self.tiles[i].url().cloned())?;
        if self.controls.is_none() {
            let repaint = ctx.clone();
            match Controls::start(Box::new(move || repaint.request_repaint())) {
                Ok(c) => self.controls = Some(c),
                Err(e) => {
                    self.toast = Some(Toast::error(format!("cannot start the controls: {e}")));
                    self.view.controls = false;
                    return None;
                }
            }
        }
        let controls = self.controls.as_ref()?;
        let credentials = self
            .login
            .credentials()
            .or_else(|| self.options.config.credentials.clone());
        controls.watch(&url, credentials);
        Some(controls.view())
    }

    /// Camera `i` alone: its picture under the full overlay.
    fn picture_ui(
        &mut self,
        ui: &mut egui::Ui,
        i: usize,
        start_cameras: &[mjpeg_wire::discovery::Advert],
    ) -> Option<Action> {
        let now = Instant::now();
        let target_kbps = self.options.target_kbps;
        let tile = &mut self.tiles[i];
        let displayed_fps = tile.screen.displayed_fps(now);
        let view = PictureView {
            stats: &tile.stats,
            overlay: self.view.overlay.then(|| OverlayData {
                stats: &tile.stats,
                displayed_fps,
                target_kbps,
                shown: tile.screen.current().map(|c| c.info),
                painted_p99_ms: tile.screen.painted_age_p99_ms(),
                now,
            }),
            actual_size: self.view.actual_size,
            url_text: &tile.url_text,
            start_cameras,
        };
        picture_ui(ui, &tile.screen, &view)
    }

    /// Figures that change without a frame (FPS decaying on a stall, the retry countdown,
    /// toast expiry) need an occasional redraw. While frames flow they wake the UI
    /// themselves, so this timer only runs when nothing else would.
    fn schedule_repaint(&self, ctx: &egui::Context) {
        let needs_clock = self.tiles.iter().any(|t| {
            let streaming = t.stats.state == ConnState::Streaming;
            let frames_flowing = streaming
                && t.stats
                    .last_frame_received
                    .is_some_and(|at| at.elapsed() < SLOW_REFRESH);
            !frames_flowing && (self.view.overlay || !streaming)
        });
        let recording = self.tiles.iter().any(|t| t.recorder.status().is_some());
        if needs_clock || self.toast.is_some() || recording {
            ctx.request_repaint_after(SLOW_REFRESH);
        }
    }
}

/// The URL and status bars' background.
fn bar_frame() -> egui::Frame {
    egui::Frame::new()
        .fill(Color32::from_gray(28))
        .inner_margin(egui::Margin::symmetric(10, 6))
}

impl eframe::App for ViewerApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.ui_main(ui);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        // A recording in progress is closed properly, not cut.
        for tile in &self.tiles {
            if let Some(Err(e)) = tile.recorder.stop() {
                tracing::warn!(cause = %e, "finishing the recording failed");
            }
        }
        self.remember();
    }
}
