//! What the server is asked to do: the settings `run` takes, one group per stage of a
//! frame's path (source, publisher, HTTP), so that each stage gets only its own.

/// Everything [`crate::run`] needs besides the listener and the shutdown signal.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Where frames come from, at what size and rate.
    pub source: crate::source::Settings,
    /// What happens to frames before clients get them: quality, rate target, repeats.
    pub publish: crate::publish::Settings,
    /// Who may connect, how many, and how long they may take.
    pub http: crate::http::Settings,
    /// Whether changes of the live controls are kept.
    pub controls: crate::controls::Settings,
    /// Whether and under which name the camera is announced on the LAN.
    pub announce: crate::announce::Settings,
}
