//! The viewer window's state, and the one place that changes it: [`ViewerApp::ui_main`]
//! takes news from each camera's [`Tile`], lets each part of the window draw itself (`*_ui`
//! functions in the sibling modules) and carries out the [`Action`]s they return. One
//! camera fills the window; several share it in a grid until one is focused. Uploads
//! happen at most once per UI frame per camera, each to its own texture; nothing repaints
//! while nothing happens.

use std::path::PathBuf;
use std::time::Duration;

use eframe::egui::{self, ViewportCommand};

use super::action::Action;
use super::controls::ControlsPanel;
use super::feed::{Connector, pipeline_connector};
use super::grid::GridLayout;
use super::login::Login;
use super::remembered::Remembered;
use super::saving;
use super::tile::Tile;
use super::title::window_title;
use super::toast::Toast;
use crate::controls::Controls;
use crate::discover::CameraList;
use crate::net;
use crate::pipeline::{Frame, PipelineConfig};
use crate::record::RecordControl;
use crate::stats::{ConnState, StatsView};

mod draw;

/// While figures can change without a new frame (FPS decaying on a stall, the retry
/// countdown), redraw this often; no faster, so an idle viewer costs nothing.
const SLOW_REFRESH: Duration = Duration::from_millis(500);

/// What the window starts with.
#[derive(Debug, Clone)]
pub struct AppOptions {
    /// Settings for every connection; its URL is the camera watched when `urls` is empty.
    pub config: PipelineConfig,
    /// The cameras to watch, in grid order (empty: `config.url` alone).
    pub urls: Vec<String>,
    /// The grid's layout.
    pub layout: GridLayout,
    /// The camera shown alone at start, when several are watched.
    pub focus: Option<usize>,
    /// Bandwidth target for the overlay.
    pub target_kbps: f64,
    /// Where snapshots and recordings go.
    pub output_dir: PathBuf,
    /// Connect when the window opens (tests say no: they feed state directly).
    pub connect: bool,
    /// The cameras on the network (browsed over mDNS; tests fill one by hand).
    pub cameras: CameraList,
    /// Where the cameras watched and the layout are kept between runs (`None`: nowhere).
    pub remember: Option<PathBuf>,
}

impl AppOptions {
    /// Options for watching `config.url`, nothing remembered.
    pub fn new(config: PipelineConfig, output_dir: PathBuf) -> Self {
        AppOptions {
            config,
            urls: Vec::new(),
            layout: GridLayout::Auto,
            focus: None,
            target_kbps: 1000.0,
            output_dir,
            connect: true,
            cameras: CameraList::by_hand(),
            remember: None,
        }
    }
}

/// Display toggles, one per key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewOptions {
    /// S: the overlay.
    pub overlay: bool,
    /// 1: one image pixel per screen pixel instead of fit-to-window.
    pub actual_size: bool,
    /// F11: full screen (URL and status bars hidden).
    pub fullscreen: bool,
    /// L: the side panel of cameras on the network.
    pub cameras: bool,
    /// C: the side panel of the camera's live controls.
    pub controls: bool,
}

impl Default for ViewOptions {
    fn default() -> Self {
        ViewOptions {
            overlay: true,
            actual_size: false,
            fullscreen: false,
            cameras: false,
            controls: false,
        }
    }
}

/// The viewer window's state.
pub struct ViewerApp {
    options: AppOptions,
    connector: Connector,
    login: Login,
    /// One per camera, in grid order; never empty.
    tiles: Vec<Tile>,
    /// With several cameras, the one shown alone.
    focus: Option<usize>,
    layout: GridLayout,
    /// The URL bar's text in the grid, where Enter adds a camera.
    add_text: String,
    /// Display toggles.
    pub view: ViewOptions,
    /// The status-bar message, if any.
    pub toast: Option<Toast>,
    started: bool,
    /// The window title last sent.
    title: String,
    /// Talks to the shown camera's `/api/controls`; started when the panel first opens.
    controls: Option<Controls>,
    controls_panel: ControlsPanel,
}

impl std::fmt::Debug for ViewerApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViewerApp")
            .field("tiles", &self.tiles)
            .field("focus", &self.focus)
            .field("view", &self.view)
            .finish_non_exhaustive()
    }
}

impl ViewerApp {
    /// A window for `options`, watching through a [`crate::pipeline::Pipeline`] per camera;
    /// it connects on its first frame if `options.connect`.
    pub fn new(options: AppOptions) -> Self {
        Self::with_connector(options, pipeline_connector())
    }

    /// A window that starts each connection with `connector` (tests: a stand-in that
    /// needs no network).
    pub fn with_connector(options: AppOptions, connector: Connector) -> Self {
        let mut tiles: Vec<Tile> = options.urls.iter().map(|u| Tile::new(u)).collect();
        if tiles.is_empty() {
            tiles.push(Tile::new(&options.config.url));
        }
        let focus = options
            .focus
            .filter(|&i| tiles.len() > 1 && i < tiles.len());
        ViewerApp {
            login: Login::default(),
            layout: options.layout,
            options,
            connector,
            tiles,
            focus,
            add_text: String::new(),
            view: ViewOptions::default(),
            toast: None,
            started: false,
            title: String::new(),
            controls: None,
            controls_panel: ControlsPanel::default(),
        }
    }

    /// The camera shown alone: the only one, or the one focused among several; `None`
    /// while the grid shows them all.
    fn current(&self) -> Option<usize> {
        if self.tiles.len() == 1 {
            Some(0)
        } else {
            self.focus
        }
    }

    /// The camera a test (or the single-camera window) talks about: the one shown alone,
    /// else the first.
    fn main_tile(&self) -> &Tile {
        &self.tiles[self.current().unwrap_or(0)]
    }

    /// As [`ViewerApp::main_tile`], to change.
    fn main_tile_mut(&mut self) -> &mut Tile {
        let i = self.current().unwrap_or(0);
        &mut self.tiles[i]
    }

    /// The cameras, in grid order.
    pub fn tiles(&self) -> &[Tile] {
        &self.tiles
    }

    /// Camera `i`, to change (tests set its figures).
    pub fn tile_mut(&mut self, i: usize) -> Option<&mut Tile> {
        self.tiles.get_mut(i)
    }

    /// The camera shown alone, if any (with one camera, always that one).
    pub fn focused(&self) -> Option<usize> {
        self.current()
    }

    /// The grid's layout.
    pub fn layout(&self) -> GridLayout {
        self.layout
    }

    /// The figures of the camera shown alone (or the first); tests set them.
    pub fn stats_mut(&mut self) -> &mut StatsView {
        &mut self.main_tile_mut().stats
    }

    /// The URL in the URL bar.
    pub fn url_text(&self) -> &str {
        match self.current() {
            Some(i) => &self.tiles[i].url_text,
            None => &self.add_text,
        }
    }

    /// The recording switch of the camera shown alone, or the first (tests look at it).
    pub fn recorder(&self) -> &RecordControl {
        &self.main_tile().recorder
    }

    /// Enter or Connect: (re)connects the camera shown alone to the URL in the bar, with
    /// the login row's credentials if a user name is typed there; in the grid, adds the URL
    /// as a new camera. A URL that cannot be used is refused here, with a message.
    pub fn connect(&mut self, ctx: &egui::Context) {
        match self.current() {
            Some(i) => self.connect_tile(ctx, i),
            None => {
                let url = std::mem::take(&mut self.add_text);
                self.add(ctx, url.trim());
            }
        }
    }

    fn connect_tile(&mut self, ctx: &egui::Context, i: usize) {
        let credentials = self.login.credentials();
        let config = self.options.config.clone();
        let tile = &mut self.tiles[i];
        if let Err(message) = tile.connect(ctx, &mut self.connector, config, credentials) {
            self.toast = Some(Toast::error(message));
        }
    }

    /// Adds `url` to the cameras watched (the grid shows it), unless it is watched already.
    fn add(&mut self, ctx: &egui::Context, url: &str) {
        if url.is_empty() {
            return;
        }
        if self.tiles.iter().any(|t| t.url_text.trim() == url) {
            self.toast = Some(Toast::info(format!(
                "Already watching {}",
                net::redacted_text(url)
            )));
            return;
        }
        self.tiles.push(Tile::new(url));
        let i = self.tiles.len() - 1;
        self.connect_tile(ctx, i);
        self.remember();
    }

    /// Stops watching camera `i` (never the last one: the window always shows a camera or
    /// what it is trying).
    fn remove(&mut self, i: usize) {
        if self.tiles.len() < 2 || i >= self.tiles.len() {
            return;
        }
        let tile = self.tiles.remove(i);
        // Its threads may be waiting for a name lookup: the window must not wait with them.
        let _ = std::thread::Builder::new()
            .name("viewer-stop".into())
            .spawn(move || drop(tile));
        self.focus = match self.focus {
            Some(f) if f == i => None,
            Some(f) if f > i => Some(f - 1),
            other => other,
        };
        self.remember();
    }

    /// Hands in a decoded frame for the camera shown alone (or the first), as the pipeline
    /// would; it is shown on the next UI frame.
    pub fn feed_frame(&mut self, frame: Frame) {
        self.main_tile_mut().feed_frame(frame);
    }

    /// P: the JPEG on screen, as received, to a timestamped file.
    pub fn snapshot(&mut self) {
        let said = match self.current() {
            Some(i) => saving::snapshot(&self.options.output_dir, self.tiles[i].screen.current()),
            None => pick_one_first(),
        };
        self.toast = Some(said);
    }

    /// R: start or stop writing the stream to a `.mjpg` file.
    pub fn toggle_recording(&mut self) {
        let said = match self.current() {
            Some(i) => saving::toggle_recording(&self.tiles[i].recorder, &self.options.output_dir),
            None => pick_one_first(),
        };
        self.toast = Some(said);
    }

    /// Carries out what a key or a button asked for.
    fn apply(&mut self, ctx: &egui::Context, action: Action) {
        match action {
            Action::Connect => self.connect(ctx),
            Action::Snapshot => self.snapshot(),
            Action::ToggleRecording => self.toggle_recording(),
            Action::ToggleOverlay => self.view.overlay = !self.view.overlay,
            Action::ToggleActualSize => self.view.actual_size = !self.view.actual_size,
            Action::SetFullscreen(on) => {
                self.view.fullscreen = on;
                ctx.send_viewport_cmd(ViewportCommand::Fullscreen(on));
            }
            Action::ToggleCameras => self.view.cameras = !self.view.cameras,
            Action::Watch(url) => match self.current() {
                Some(i) => {
                    self.tiles[i].url_text = url;
                    self.connect_tile(ctx, i);
                    self.remember();
                }
                None => self.add(ctx, &url),
            },
            Action::Add(url) => self.add(ctx, &url),
            Action::Focus(i) if i < self.tiles.len() && self.tiles.len() > 1 => {
                self.focus = Some(i);
                self.remember();
            }
            Action::Focus(_) => {}
            Action::Unfocus => {
                self.focus = None;
                self.remember();
            }
            Action::Remove(i) => self.remove(i),
            Action::ToggleControls => self.view.controls = !self.view.controls,
            Action::SetControl(name, value) => {
                if let Some(controls) = &self.controls {
                    controls.set(&name, value);
                }
            }
            Action::CycleLayout => {
                self.layout = self.layout.next();
                self.toast = Some(Toast::info(format!("Layout: {}", self.layout.describe())));
                self.remember();
            }
        }
    }

    /// Keeps the cameras, the layout and the focus for the next run.
    fn remember(&self) {
        let Some(path) = &self.options.remember else {
            return;
        };
        let urls: Vec<String> = self.tiles.iter().map(|t| t.url_text.clone()).collect();
        let kept = Remembered::new(&urls, self.layout, self.focus);
        if let Err(e) = kept.save(path) {
            tracing::warn!(path = %path.display(), cause = %e, "cannot remember the cameras");
        }
    }

    /// Takes news from every camera.
    fn poll_tiles(&mut self, ctx: &egui::Context) {
        for tile in &mut self.tiles {
            if let Some(e) = tile.poll(ctx) {
                self.toast = Some(Toast::error(e));
            }
        }
    }

    /// Sends the window title when it changes.
    fn update_title(&mut self, ctx: &egui::Context) {
        let title = match self.current() {
            Some(i) => window_title(self.tiles[i].url(), &self.tiles[i].stats.state),
            None => {
                let live = self.live_count();
                format!("{} cameras, {live} live — desktop-viewer", self.tiles.len())
            }
        };
        if title != self.title {
            ctx.send_viewport_cmd(ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }

    fn live_count(&self) -> usize {
        self.tiles
            .iter()
            .filter(|t| t.stats.state == ConnState::Streaming)
            .count()
    }
}

/// P or R in the grid: which camera?
fn pick_one_first() -> Toast {
    Toast::error("Pick a camera first: click it, or press its number")
}
