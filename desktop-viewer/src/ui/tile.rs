//! One camera being watched: its connection (a [`Feed`] with its own reader and decoder
//! threads), its texture ([`Screen`]), its figures and its recorder. The window holds one
//! tile per camera: the grid draws them side by side, the focus view one of them with the
//! full overlay. A tile whose camera is down keeps retrying on its own threads, so it
//! cannot slow the others.

use eframe::egui;
use mjpeg_wire::discovery::Advert;
use reqwest::Url;

use super::feed::{Connector, Feed};
use super::picture::Screen;
use crate::net::{self, Credentials};
use crate::pipeline::{Frame, PipelineConfig};
use crate::record::RecordControl;
use crate::stats::StatsView;

/// One camera in the window.
pub struct Tile {
    /// The address as typed or given (the URL bar edits it while this tile is shown alone).
    pub url_text: String,
    feed: Option<Box<dyn Feed>>,
    /// The latest figures (tests set them directly).
    pub stats: StatsView,
    /// The texture and the frame in it.
    pub screen: Screen,
    /// Writes this camera's stream to a file while recording.
    pub recorder: RecordControl,
    /// A frame handed in directly (tests, no pipeline), shown on the next UI frame.
    pending: Option<Frame>,
}

impl std::fmt::Debug for Tile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tile")
            .field("url", &net::redacted_text(&self.url_text))
            .field("state", &self.stats.state)
            .finish_non_exhaustive()
    }
}

impl Tile {
    /// A tile for `url`, not connected yet.
    pub fn new(url: &str) -> Self {
        Tile {
            url_text: url.to_string(),
            feed: None,
            stats: StatsView::default(),
            screen: Screen::default(),
            recorder: RecordControl::default(),
            pending: None,
        }
    }

    /// (Re)connects to [`Tile::url_text`] with `config`'s settings (and `credentials`, when
    /// typed in the login row). A URL that cannot be used is refused before anything starts;
    /// the message is returned and also shown in the tile. The old feed is stopped on another
    /// thread: it may be waiting for a name lookup, and the window must not freeze.
    pub fn connect(
        &mut self,
        ctx: &egui::Context,
        connector: &mut Connector,
        mut config: PipelineConfig,
        credentials: Option<Credentials>,
    ) -> Result<(), String> {
        if let Some(old) = self.feed.take() {
            let _ = std::thread::Builder::new()
                .name("viewer-stop".into())
                .spawn(move || drop(old));
        }
        self.screen.restart_count();
        config.url = self.url_text.trim().to_string();
        if credentials.is_some() {
            config.credentials = credentials;
        }
        let started = net::parse_url(&config.url)
            .map_err(|e| e.to_string())
            .and_then(|_| {
                let repaint = ctx.clone();
                connector(
                    config,
                    self.recorder.clone(),
                    Box::new(move || repaint.request_repaint()),
                )
                .map_err(|e| e.to_string())
            });
        match started {
            Ok(feed) => {
                self.stats = feed.stats();
                self.feed = Some(feed);
                Ok(())
            }
            Err(message) => {
                self.stats = StatsView {
                    state_text: message.clone(),
                    ..StatsView::default()
                };
                self.stats.totals.last_error = Some(message.clone());
                Err(message)
            }
        }
    }

    /// Takes news from the feed: at most one frame (the newest) and the figures. Returns
    /// the recorder's error, if a recording just ended on one.
    pub fn poll(&mut self, ctx: &egui::Context) -> Option<String> {
        if let Some(feed) = &self.feed {
            let frame = feed.take_frame();
            self.stats = feed.stats();
            if let Some(frame) = frame {
                self.screen.show(ctx, frame);
            }
        }
        if let Some(frame) = self.pending.take() {
            self.screen.show(ctx, frame);
        }
        self.recorder.take_error()
    }

    /// Hands in a decoded frame, as the pipeline would; it is shown on the next UI frame.
    pub fn feed_frame(&mut self, frame: Frame) {
        self.pending = Some(frame);
    }

    /// The URL being watched, once connected.
    pub fn url(&self) -> Option<&Url> {
        self.feed.as_ref().map(|f| f.url())
    }

    /// What to call this camera: the name it announces on the network when its stream is
    /// one of `cameras`, else its host and port as typed.
    pub fn name(&self, cameras: &[Advert]) -> String {
        let typed = self.url_text.trim();
        if let Some(camera) = cameras.iter().find(|c| c.stream_url() == typed) {
            return camera.name.clone();
        }
        match self.url().cloned().or_else(|| net::parse_url(typed).ok()) {
            Some(url) => net::host_port(&url),
            None => net::redacted_text(typed),
        }
    }
}
