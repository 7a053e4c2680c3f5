//! A sparkline of kbit/s over the last 60 s with the target as a dashed line: one
//! `Shape::line`, no plotting crate (egui_plot trails egui releases and is heavy for this).

use eframe::egui::{self, Color32, Pos2, Sense, Shape, Stroke, Vec2};

use crate::stats::HISTORY_SECS;

/// Colours shared with the overlay.
pub const LINE: Color32 = Color32::from_rgb(90, 200, 250);
/// The target line.
pub const TARGET: Color32 = Color32::from_rgb(255, 196, 0);

/// Draws `kbps` (one value a second, oldest first) in a `size` box, scaled so that both
/// the data and `target_kbps` fit.
pub fn sparkline(ui: &mut egui::Ui, kbps: &[f32], target_kbps: f64, size: Vec2) -> egui::Response {
    let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
    if !ui.is_rect_visible(rect) {
        return response;
    }
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 4.0, Color32::from_black_alpha(90));

    let target = target_kbps.max(0.0) as f32;
    let peak = kbps.iter().copied().fold(target, f32::max);
    // Headroom above the highest value so the line never touches the top edge.
    let top = if peak > 0.0 { peak * 1.15 } else { 1.0 };
    let inner = rect.shrink2(Vec2::new(4.0, 5.0));
    let y_of = |v: f32| inner.bottom() - (v / top).clamp(0.0, 1.0) * inner.height();
    let step = inner.width() / (HISTORY_SECS.saturating_sub(1)) as f32;

    if target > 0.0 {
        let y = y_of(target);
        painter.extend(Shape::dashed_line(
            &[Pos2::new(inner.left(), y), Pos2::new(inner.right(), y)],
            Stroke::new(1.0, TARGET.gamma_multiply(0.8)),
            4.0,
            3.0,
        ));
    }

    // Right-aligned: the newest second is at the right edge, as in every network monitor.
    let start = HISTORY_SECS.saturating_sub(kbps.len());
    let points: Vec<Pos2> = kbps
        .iter()
        .rev()
        .take(HISTORY_SECS)
        .rev()
        .enumerate()
        .map(|(i, &v)| Pos2::new(inner.left() + (start + i) as f32 * step, y_of(v)))
        .collect();
    if points.len() >= 2 {
        // A soft fill under the line, as a set of thin quads, makes the level readable at a
        // glance.
        let base = inner.bottom();
        for pair in points.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            painter.add(Shape::convex_polygon(
                vec![a, b, Pos2::new(b.x, base), Pos2::new(a.x, base)],
                LINE.gamma_multiply(0.15),
                Stroke::NONE,
            ));
        }
        painter.add(Shape::line(points, Stroke::new(1.5, LINE)));
    } else if let Some(&p) = points.first() {
        painter.circle_filled(p, 2.0, LINE);
    }
    // The scale, top right: what the top edge of the box means.
    painter.text(
        rect.right_top() + Vec2::new(-4.0, 2.0),
        egui::Align2::RIGHT_TOP,
        format!("{:.0}", top),
        egui::FontId::monospace(9.0),
        Color32::from_gray(140),
    );
    response
}
