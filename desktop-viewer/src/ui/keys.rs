//! The keys: S overlay, P snapshot, R record, 1 actual size, F11 full screen (Esc leaves
//! it), L the cameras on the network, C the camera's controls; with several cameras, 1 to 9 show one alone, Esc
//! goes back to the grid and G changes its layout. They are read here and carried out as
//! [`Action`]s, like the buttons.

use eframe::egui::{self, Key};

use super::action::Action;

/// The keys as the status bar lists them, with one camera.
pub const HELP: &str =
    "S overlay · P snapshot · R record · 1 actual size · F11 full screen · L cameras · C controls";
/// The keys as the status bar lists them, with several cameras.
pub const HELP_GRID: &str = "1-9 one camera · Esc grid · G layout · S overlay · P snapshot · R record · F11 · L cameras · C controls";

/// Where the keys are pressed: what Esc and the digits mean depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyContext {
    /// The window is full screen.
    pub fullscreen: bool,
    /// How many cameras are watched.
    pub tiles: usize,
    /// One of several is shown alone.
    pub focused: bool,
}

/// What the keys pressed in this UI frame ask for. Nothing while a text field has the
/// keyboard: typing an `s` into the URL must not hide the overlay.
pub fn keys_ui(ctx: &egui::Context, at: KeyContext) -> Vec<Action> {
    if ctx.text_edit_focused() {
        return Vec::new();
    }
    ctx.input(|i| actions_for(|key| i.key_pressed(key), at))
}

const DIGITS: [Key; 9] = [
    Key::Num1,
    Key::Num2,
    Key::Num3,
    Key::Num4,
    Key::Num5,
    Key::Num6,
    Key::Num7,
    Key::Num8,
    Key::Num9,
];

/// The key map, apart from egui's input so that it can be read (and tested) as a table.
fn actions_for(pressed: impl Fn(Key) -> bool, at: KeyContext) -> Vec<Action> {
    let several = at.tiles > 1;
    let mut map = vec![
        (Key::S, Action::ToggleOverlay),
        (Key::F11, Action::SetFullscreen(!at.fullscreen)),
        (Key::P, Action::Snapshot),
        (Key::R, Action::ToggleRecording),
        (Key::L, Action::ToggleCameras),
        (Key::C, Action::ToggleControls),
    ];
    if several {
        // The digits pick a camera; actual size is for one camera on its own.
        map.extend(
            DIGITS
                .iter()
                .take(at.tiles)
                .enumerate()
                .map(|(i, &key)| (key, Action::Focus(i))),
        );
        map.push((Key::G, Action::CycleLayout));
    } else {
        map.push((Key::Num1, Action::ToggleActualSize));
    }
    let mut actions: Vec<Action> = map
        .into_iter()
        .filter(|(key, _)| pressed(*key))
        .map(|(_, action)| action)
        .collect();
    // Esc means "get me out" only where there is something to get out of: one camera of
    // several first (back to the grid), then full screen.
    if pressed(Key::Escape) {
        if several && at.focused {
            actions.push(Action::Unfocus);
        } else if at.fullscreen && !pressed(Key::F11) {
            actions.push(Action::SetFullscreen(false));
        }
    }
    actions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(key: Key, fullscreen: bool) -> Vec<Action> {
        let one = KeyContext {
            fullscreen,
            tiles: 1,
            focused: false,
        };
        actions_for(|k| k == key, one)
    }

    fn press_in_grid(key: Key, tiles: usize, focused: bool) -> Vec<Action> {
        let grid = KeyContext {
            fullscreen: false,
            tiles,
            focused,
        };
        actions_for(|k| k == key, grid)
    }

    #[test]
    fn each_key_asks_for_one_thing() {
        assert_eq!(press(Key::S, false), [Action::ToggleOverlay]);
        assert_eq!(press(Key::P, false), [Action::Snapshot]);
        assert_eq!(press(Key::R, false), [Action::ToggleRecording]);
        assert_eq!(press(Key::Num1, false), [Action::ToggleActualSize]);
        assert_eq!(press(Key::L, false), [Action::ToggleCameras]);
        assert_eq!(press(Key::C, false), [Action::ToggleControls]);
        assert_eq!(press(Key::F11, false), [Action::SetFullscreen(true)]);
        assert_eq!(press(Key::F11, true), [Action::SetFullscreen(false)]);
        assert_eq!(press(Key::A, false), []);
    }

    #[test]
    fn escape_only_leaves_full_screen() {
        assert_eq!(press(Key::Escape, true), [Action::SetFullscreen(false)]);
        assert_eq!(press(Key::Escape, false), []);
    }

    #[test]
    fn with_several_cameras_digits_pick_one_and_escape_comes_back() {
        assert_eq!(press_in_grid(Key::Num1, 4, false), [Action::Focus(0)]);
        assert_eq!(press_in_grid(Key::Num4, 4, true), [Action::Focus(3)]);
        assert_eq!(press_in_grid(Key::Num5, 4, false), [], "no fifth camera");
        assert_eq!(press_in_grid(Key::Escape, 4, true), [Action::Unfocus]);
        assert_eq!(press_in_grid(Key::Escape, 4, false), []);
        assert_eq!(press_in_grid(Key::G, 4, false), [Action::CycleLayout]);
        assert_eq!(press(Key::G, false), [], "no grid with one camera");
    }
}
