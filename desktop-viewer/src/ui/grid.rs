//! Several cameras at once: the grid's shape (chosen for the window's and the pictures'
//! aspect, or a column count the user picked with G), and each tile drawn with a compact
//! overlay (number, name, state, fps, kbit/s, frame age). A click on a tile focuses it.

use std::time::Instant;

use eframe::egui::{self, Align2, Color32, FontId, Rect, RichText, Sense, Vec2};
use serde::{Deserialize, Serialize};

use super::action::Action;
use super::format::{age, grouped};
use super::overlay::{BAD, DIM, VALUE, dot, state_badge};
use super::picture::{Screen, video_ui};
use crate::stats::{ConnState, StatsView};

/// How the grid picks its columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GridLayout {
    /// Whatever shows the pictures largest in this window.
    #[default]
    Auto,
    /// This many columns, as many rows as needed.
    Columns(usize),
}

impl GridLayout {
    /// G: auto, then 1, 2, 3, 4 columns, then auto again.
    pub fn next(self) -> Self {
        match self {
            GridLayout::Auto => GridLayout::Columns(1),
            GridLayout::Columns(n) if n < 4 => GridLayout::Columns(n + 1),
            GridLayout::Columns(_) => GridLayout::Auto,
        }
    }

    /// Columns and rows for `n` tiles of pictures `aspect` wide per unit of height, in
    /// `area`.
    pub fn shape(self, n: usize, area: Vec2, aspect: f32) -> (usize, usize) {
        let n = n.max(1);
        let cols = match self {
            GridLayout::Columns(c) => c.clamp(1, n),
            GridLayout::Auto => best_columns(n, area, aspect),
        };
        (cols, n.div_ceil(cols))
    }

    /// "auto" or "3 columns", for the status bar.
    pub fn describe(self) -> String {
        match self {
            GridLayout::Auto => "auto".into(),
            GridLayout::Columns(1) => "1 column".into(),
            GridLayout::Columns(n) => format!("{n} columns"),
        }
    }
}

/// The column count that shows `n` pictures largest: each picture is fitted into its cell,
/// so the best grid is the one whose cells' shape is nearest the pictures'. Ties go to
/// fewer empty cells, then to fewer columns.
fn best_columns(n: usize, area: Vec2, aspect: f32) -> usize {
    let aspect = if aspect.is_finite() && aspect > 0.0 {
        aspect
    } else {
        4.0 / 3.0
    };
    let picture_area = |cols: usize| {
        let rows = n.div_ceil(cols);
        let (w, h) = (area.x / cols as f32, area.y / rows as f32);
        let scale = (w / aspect).min(h);
        scale * scale * aspect
    };
    (1..=n)
        .max_by(|&a, &b| {
            let (pa, pb) = (picture_area(a), picture_area(b));
            // Within 1 %: a tie, settled by fewer empty cells (a < b here, as max_by keeps
            // the last of equals: prefer the smaller count by comparing reversed).
            if (pa - pb).abs() <= 0.01 * pa.max(pb) {
                let empty = |c: usize| n.div_ceil(c) * c - n;
                empty(b).cmp(&empty(a)).then(b.cmp(&a))
            } else {
                pa.total_cmp(&pb)
            }
        })
        .unwrap_or(1)
}

/// One tile as the grid draws it.
pub struct TileView<'a> {
    /// The camera's name.
    pub name: String,
    /// Its figures.
    pub stats: &'a StatsView,
    /// Its texture.
    pub screen: &'a Screen,
}

/// Draws `tiles` in `layout` over all of `ui`; returns the tile clicked as
/// [`Action::Focus`], or its close button's [`Action::Remove`].
pub fn grid_ui(ui: &mut egui::Ui, tiles: &[TileView<'_>], layout: GridLayout) -> Option<Action> {
    let area = ui.max_rect();
    let aspect = tiles
        .iter()
        .find_map(|t| t.screen.current())
        .map_or(4.0 / 3.0, |c| {
            c.info.size[0] as f32 / c.info.size[1].max(1) as f32
        });
    let (cols, rows) = layout.shape(tiles.len(), area.size(), aspect);
    let cell = Vec2::new(area.width() / cols as f32, area.height() / rows as f32);
    let mut asked = None;
    for (i, tile) in tiles.iter().enumerate() {
        let (col, row) = (i % cols, i / cols);
        let rect = Rect::from_min_size(
            area.min + Vec2::new(col as f32 * cell.x, row as f32 * cell.y),
            cell,
        )
        .shrink(2.0);
        let response = ui.interact(rect, ui.scope_id().with(("tile", i)), Sense::click());
        let closed = ui
            .scope_builder(egui::UiBuilder::new().max_rect(rect), |ui| {
                tile_ui(ui, rect, i, tile, response.contains_pointer())
            })
            .inner;
        if closed {
            asked = Some(Action::Remove(i));
        } else if response.clicked() {
            asked = Some(Action::Focus(i));
        }
    }
    asked
}

/// One tile: the picture fitted into `rect` (or what is happening, before one), its number,
/// a compact overlay and, while the pointer is over it, a close button (whether it was
/// clicked is returned).
fn tile_ui(
    ui: &mut egui::Ui,
    rect: Rect,
    index: usize,
    tile: &TileView<'_>,
    hovered: bool,
) -> bool {
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, Color32::from_gray(18));
    match tile.screen.current() {
        Some(current) => {
            if let Some(texture) = tile.screen.texture() {
                video_ui(ui, rect, texture, current.info.size, tile.stats, false);
            }
        }
        None => {
            // No picture yet: the tile's name, big, in the middle; the overlay says why.
            painter.text(
                rect.center(),
                Align2::CENTER_CENTER,
                &tile.name,
                FontId::proportional(18.0),
                DIM,
            );
        }
    }
    if hovered {
        painter.rect_stroke(
            rect,
            0.0,
            egui::Stroke::new(2.0, Color32::from_gray(200)),
            egui::StrokeKind::Inside,
        );
    }
    compact_overlay(ui, rect, index, tile);
    if !hovered {
        return false;
    }
    let close = Rect::from_min_size(rect.right_top() + Vec2::new(-30.0, 6.0), Vec2::splat(24.0));
    ui.put(close, egui::Button::new("×"))
        .on_hover_text(format!("Stop watching {}", tile.name))
        .clicked()
}

/// "1  Door  (dot) LIVE  24.0 fps · 3 210 kbit/s · 3.1 ms": a line at the tile's top-left
/// and, while the camera is away, the failure in words under it. Labels rather than painted
/// text, so that screen readers (and the UI tests) read each tile's state.
fn compact_overlay(ui: &mut egui::Ui, rect: Rect, index: usize, tile: &TileView<'_>) {
    let s = tile.stats;
    let (color, word) = state_badge(&s.state);
    let inner = rect.shrink(6.0);
    let mut child = ui.new_child(
        egui::UiBuilder::new()
            .max_rect(inner)
            .layout(egui::Layout::top_down(egui::Align::Min)),
    );
    egui::Frame::new()
        .fill(Color32::from_black_alpha(200))
        .corner_radius(4.0)
        .inner_margin(egui::Margin::symmetric(6, 3))
        .show(&mut child, |ui| {
            ui.style_mut().override_text_style = Some(egui::TextStyle::Monospace);
            ui.spacing_mut().item_spacing.x = 6.0;
            ui.horizontal(|ui| {
                // Not selectable: a click on the overlay is a click on the tile.
                let label = |ui: &mut egui::Ui, text: RichText| {
                    ui.add(egui::Label::new(text).selectable(false));
                };
                label(
                    ui,
                    RichText::new(format!("{}  {}", index + 1, tile.name)).color(VALUE),
                );
                dot(ui, color, 4.0);
                label(ui, RichText::new(word).color(color).strong());
                if s.state == ConnState::Streaming {
                    let mut figures = format!("{:.1} fps · {} kbit/s", s.fps, grouped(s.kbps));
                    if let Some(painted) = tile.screen.current().and_then(|c| c.info.painted_age) {
                        figures.push_str(&format!(" · {}", age(painted)));
                    }
                    label(ui, RichText::new(figures).color(VALUE));
                }
            });
            let note = match &s.state {
                ConnState::Waiting { .. } => Some((s.state.describe(Instant::now()), BAD)),
                ConnState::Connecting { .. } => Some((s.state.describe(Instant::now()), DIM)),
                ConnState::Idle => Some(("not connected".to_string(), DIM)),
                _ => None,
            };
            if let Some((text, color)) = note {
                let text = RichText::new(text).color(color).size(12.0);
                ui.add(egui::Label::new(text).wrap().selectable(false));
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    const WIDE: Vec2 = Vec2::new(1024.0, 640.0);
    const FOUR_THIRDS: f32 = 4.0 / 3.0;

    fn auto(n: usize, area: Vec2) -> (usize, usize) {
        GridLayout::Auto.shape(n, area, FOUR_THIRDS)
    }

    #[test]
    fn the_grid_follows_the_count_in_a_wide_window() {
        assert_eq!(auto(1, WIDE), (1, 1));
        assert_eq!(auto(2, WIDE), (2, 1));
        assert_eq!(auto(3, WIDE), (2, 2));
        assert_eq!(auto(4, WIDE), (2, 2));
        assert_eq!(auto(5, WIDE), (3, 2));
        assert_eq!(auto(6, WIDE), (3, 2));
        assert_eq!(auto(9, WIDE), (3, 3));
    }

    #[test]
    fn the_grid_follows_the_window_shape() {
        let tall = Vec2::new(600.0, 1000.0);
        assert_eq!(auto(2, tall), (1, 2));
        let strip = Vec2::new(1900.0, 400.0);
        assert_eq!(auto(3, strip), (3, 1));
        // Wide pictures in a square window stack.
        assert_eq!(
            GridLayout::Auto.shape(2, Vec2::new(800.0, 800.0), 16.0 / 9.0),
            (1, 2)
        );
    }

    #[test]
    fn a_chosen_column_count_is_kept_and_g_cycles_through_them() {
        assert_eq!(GridLayout::Columns(1).shape(4, WIDE, FOUR_THIRDS), (1, 4));
        assert_eq!(GridLayout::Columns(4).shape(2, WIDE, FOUR_THIRDS), (2, 1));
        let mut layout = GridLayout::Auto;
        let mut seen = Vec::new();
        for _ in 0..6 {
            layout = layout.next();
            seen.push(layout);
        }
        assert_eq!(
            seen,
            [
                GridLayout::Columns(1),
                GridLayout::Columns(2),
                GridLayout::Columns(3),
                GridLayout::Columns(4),
                GridLayout::Auto,
                GridLayout::Columns(1)
            ]
        );
    }
}
