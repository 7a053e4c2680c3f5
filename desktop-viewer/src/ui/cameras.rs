//! The cameras on the network, as a list to pick from: in a side panel (L, or the Cameras
//! button), and on the start screen before any picture has arrived. Picking one watches
//! its stream.

use eframe::egui::{self, RichText};
use mjpeg_wire::discovery::Advert;

use super::action::Action;
use super::overlay::DIM;

/// Draws the list; returns the camera picked, as a [`Action::Watch`] of its stream URL, or
/// as [`Action::Add`] by its "+" (watch it beside the others, in the grid). `playing` is
/// the URL being watched, so its row shows as selected.
pub fn cameras_ui(ui: &mut egui::Ui, cameras: &[Advert], playing: Option<&str>) -> Option<Action> {
    if cameras.is_empty() {
        ui.label(RichText::new("No camera has announced itself on this network yet.").color(DIM));
        ui.label(
            RichText::new("pi-server announces itself unless started with --no-announce.")
                .color(DIM)
                .small(),
        );
        return None;
    }
    let mut picked = None;
    for camera in cameras {
        let url = camera.stream_url();
        let selected = playing.is_some_and(|p| p == url);
        let response = ui
            .add(egui::Button::selectable(
                selected,
                RichText::new(&camera.name).strong(),
            ))
            .on_hover_text(format!("{url}\nClick to watch"));
        if camera.auth.required() {
            // Painted beside the button rather than laid out with it: the list is centred
            // on the start screen, and a row of two widgets would not be.
            lock_icon(ui, response.rect.left_center() - egui::vec2(10.0, 0.0));
        }
        // Put beside the name for the same reason.
        let add_at = egui::Rect::from_min_size(
            response.rect.right_top() + egui::vec2(6.0, 0.0),
            egui::vec2(22.0, response.rect.height()),
        );
        if ui
            .put(add_at, egui::Button::new("+").small())
            .on_hover_text(format!("Add {} to the grid", camera.name))
            .clicked()
        {
            picked = Some(Action::Add(url.clone()));
        }
        ui.label(RichText::new(details(camera)).small().color(DIM));
        ui.add_space(4.0);
        if response.clicked() {
            picked = Some(Action::Watch(url));
        }
    }
    picked
}

/// A small padlock, drawn (the default fonts have no padlock glyph): this camera asks for
/// a login.
fn lock_icon(ui: &egui::Ui, center: egui::Pos2) {
    let rect = egui::Rect::from_center_size(center, egui::vec2(12.0, 14.0));
    let painter = ui.painter();
    let color = ui.visuals().text_color();
    let body = egui::Rect::from_min_max(
        egui::pos2(rect.left() + 1.0, rect.center().y - 1.0),
        egui::pos2(rect.right() - 1.0, rect.bottom() - 1.0),
    );
    painter.rect_filled(body, 1.5, color);
    // The shackle: a half circle over the body.
    let center = egui::pos2(rect.center().x, body.top());
    let radius = 3.5;
    let shackle: Vec<egui::Pos2> = (0..=12)
        .map(|i| {
            let angle = std::f32::consts::PI * (1.0 + i as f32 / 12.0);
            center + radius * egui::vec2(angle.cos(), angle.sin())
        })
        .collect();
    painter.add(egui::Shape::line(shackle, egui::Stroke::new(1.5, color)));
}

/// `pi-a.local · 640x480 @ 24 fps · login`: what tells two cameras apart at a glance.
pub fn details(camera: &Advert) -> String {
    let mut parts = vec![camera.host.clone()];
    match (camera.size, camera.fps) {
        (Some((w, h)), Some(fps)) => parts.push(format!("{w}x{h} @ {fps} fps")),
        (Some((w, h)), None) => parts.push(format!("{w}x{h}")),
        (None, Some(fps)) => parts.push(format!("{fps} fps")),
        (None, None) => {}
    }
    if camera.auth.required() {
        parts.push("login".into());
    }
    if camera.tls {
        parts.push("https".into());
    }
    parts.join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_say_where_how_big_and_whether_a_login_is_needed() {
        let camera = Advert::from_txt(
            "Door",
            "door.local.",
            8000,
            vec![],
            [("size", "1280x720"), ("fps", "15"), ("auth", "token")],
        );
        assert_eq!(details(&camera), "door.local · 1280x720 @ 15 fps · login");
    }
}
