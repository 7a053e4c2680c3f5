//! What the user asks for, by key or by button; the app carries it out in one place
//! ([`super::ViewerApp`]), so that a key and its button cannot drift apart.

/// One request from the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Enter in the URL bar, Connect, or Sign in: (re)connect to the URL in the bar.
    Connect,
    /// P, or the Snapshot button: save the frame on screen as received.
    Snapshot,
    /// R, or the Record button: start or stop writing the stream to a file.
    ToggleRecording,
    /// S: show or hide the overlay.
    ToggleOverlay,
    /// 1: one image pixel per screen pixel, or fit to the window.
    ToggleActualSize,
    /// F11 toggles full screen; Esc leaves it.
    SetFullscreen(bool),
    /// L, or the Cameras button: show or hide the cameras on the network.
    ToggleCameras,
    /// A camera picked from the list: watch this stream URL (in the grid: add it).
    Watch(String),
    /// The list's "+": add this stream URL to the grid.
    Add(String),
    /// A click on a tile, or its number key: show this camera alone, with the full overlay.
    Focus(usize),
    /// Esc, or Grid: back from one camera to all of them.
    Unfocus,
    /// The tile's close button: stop watching this camera.
    Remove(usize),
    /// G: the grid's next layout (auto, 1 to 4 columns).
    CycleLayout,
    /// C, or the Controls button: show or hide the camera's live controls.
    ToggleControls,
    /// A control changed in the panel: set it on the camera's server (`Null`: its default).
    SetControl(String, serde_json::Value),
}
