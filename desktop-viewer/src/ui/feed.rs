//! What the window watches: a [`Pipeline`], started by a [`Connector`]. Tests hand the
//! window a connector of their own, which sees the settings of every connection the window
//! asks for and feeds it figures and frames without any network.

use reqwest::Url;

use crate::pipeline::{Frame, Pipeline, PipelineConfig, StartError, Wake};
use crate::record::RecordControl;
use crate::stats::StatsView;

/// A running source of frames and figures. Dropping it stops it; the window drops an old
/// one on another thread, hence `Send`.
pub trait Feed: Send {
    /// The URL being watched.
    fn url(&self) -> &Url;
    /// The newest decoded frame not taken yet.
    fn take_frame(&self) -> Option<Frame>;
    /// The figures as of now.
    fn stats(&self) -> StatsView;
}

impl Feed for Pipeline {
    fn url(&self) -> &Url {
        Pipeline::url(self)
    }

    fn take_frame(&self) -> Option<Frame> {
        Pipeline::take_frame(self)
    }

    fn stats(&self) -> StatsView {
        Pipeline::stats(self)
    }
}

/// Starts a feed for a connection's settings, writing to the recorder while it records.
pub type Connector =
    Box<dyn FnMut(PipelineConfig, RecordControl, Wake) -> Result<Box<dyn Feed>, StartError>>;

/// The real thing: a [`Pipeline`] for each connection.
pub fn pipeline_connector() -> Connector {
    Box::new(|config, recorder, wake| {
        let pipeline = Pipeline::start_with(config, recorder, wake)?;
        Ok(Box::new(pipeline) as Box<dyn Feed>)
    })
}
