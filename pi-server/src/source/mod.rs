//! Frame sources: where JPEGs come from, the first stage of a frame's path.
//!
//! Every source implements [`FrameSource`]: it is opened (and checked) before the server
//! starts, so that a missing file or a command that cannot run is reported at once, then
//! started on its own thread or task, handing every frame to its
//! [`Publisher`](crate::publish::Publisher) and asking it what to produce. Sources that
//! make their own frames (the test pattern, a replayed file) are paced by [`Pacer`].
//!
//! Cameras (`v4l2`) plug in behind the same trait, with device loss and recovery inside.

pub mod draw;
mod encode;
mod error;
mod file;
mod frame_source;
mod no_signal;
pub mod orient;
mod pacer;
pub mod pattern;
mod pipe;
pub mod raw;
mod relay;
mod settings;
pub mod spec;
pub mod v4l2;

pub use encode::{EncodeError, JpegEncoder};
pub use error::SourceError;
pub use file::FileSource;
pub use frame_source::{Capabilities, FrameSource, Running};
pub use pacer::Pacer;
pub use pattern::PatternSource;
pub use pipe::PipeSource;
pub use relay::RelaySource;
pub use settings::Settings;
pub use spec::{Scene, SourceSpec};

/// What a camera is asked for: the configured size, rate and controls.
fn camera_request(settings: &Settings) -> v4l2::Request {
    v4l2::Request {
        width: u32::from(settings.size.width),
        height: u32::from(settings.size.height),
        fps: settings.fps,
        controls: settings.controls.clone(),
    }
}

/// Opens the source `settings` name, checking that it can work.
pub fn open(settings: &Settings) -> Result<Box<dyn FrameSource>, SourceError> {
    Ok(match &settings.spec {
        SourceSpec::V4l2(path) => Box::new(v4l2::V4l2Source::open(path, camera_request(settings))?),
        SourceSpec::Auto => {
            if let Some(path) = v4l2::list::auto_device(
                u32::from(settings.size.width),
                u32::from(settings.size.height),
            ) {
                tracing::info!(device = %path.display(), "--source auto found a camera");
                return Ok(Box::new(v4l2::V4l2Source::open(
                    &path,
                    camera_request(settings),
                )?));
            }
            // Say so where people look.
            tracing::warn!(
                "NO CAMERA FOUND: streaming a TEST PATTERN. `pi-server --list-devices` lists \
                 V4L2 cameras; for a CSI camera on the libcamera stack use \
                 --source exec:'rpicam-vid -t 0 --codec mjpeg -o -'"
            );
            Box::new(PatternSource::new(
                settings.size,
                Some("NO CAMERA - TEST PATTERN"),
            ))
        }
        SourceSpec::Test(scene) => {
            Box::new(PatternSource::new(settings.size, Some("TEST PATTERN")).with_scene(*scene))
        }
        SourceSpec::File(path) => Box::new(FileSource::open(path)?),
        SourceSpec::Stdin => Box::new(PipeSource::stdin()),
        SourceSpec::Exec(command) => Box::new(PipeSource::exec(command)?),
        SourceSpec::Http(url) => Box::new(RelaySource::new(
            url,
            (
                u32::from(settings.size.width),
                u32::from(settings.size.height),
            ),
        )?),
    })
}
