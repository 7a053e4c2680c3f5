//! `--headless`: the window's pipeline with no window, for scripts, tests and benchmarks.
//! One stats line a second, then a summary; the caller turns "no frame" into an exit code.
//! Several URLs are watched at once, each with its own pipeline: a line a second for each,
//! a summary for each, then their total.

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::pipeline::{Pipeline, PipelineConfig, StartError};
use mjpeg_wire::meter::in_band;

use crate::stats::{StatsView, Totals};

/// What a headless run saw, printed at the end.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Always "summary", so JSON readers can tell it from the per-second lines.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// With several URLs: which one (0 is the first given), and the URL as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<Stream>,
    /// Seconds watched.
    pub seconds: f64,
    /// Frames per second over the run.
    pub fps: f64,
    /// kbit/s over the run.
    pub kbps: f64,
    /// The pipeline's totals at the end.
    #[serde(flatten)]
    pub totals: Totals,
    /// The `.mjpg` file written with `--record`, if any.
    pub recording: Option<Recorded>,
    /// The bandwidth target the band is measured against, kbit/s.
    pub target_kbps: f64,
    /// Whole seconds judged against the band: those after the first
    /// [`BAND_SETTLE_SECS`], which a server's rate control may need to settle.
    pub band_seconds: u64,
    /// Share of those seconds whose kbit/s was within ±10 % of the target (0 to 1).
    pub in_band_share: Option<f64>,
}

/// Which of several streams a line is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stream {
    /// Its place among the URLs given, from 0.
    pub index: usize,
    /// The URL as given, without its password.
    pub url: String,
}

/// All streams of a run together.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Total {
    /// Always "total".
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Streams watched.
    pub streams: usize,
    /// Streams from which at least one frame arrived.
    pub streams_with_frames: usize,
    /// Frames received, all streams.
    pub frames: u64,
    /// Frames decoded, all streams.
    pub decoded: u64,
    /// Frames per second, all streams.
    pub fps: f64,
    /// kbit/s, all streams: what the link carried.
    pub kbps: f64,
}

impl Total {
    fn of(summaries: &[Summary]) -> Self {
        Total {
            kind: "total",
            streams: summaries.len(),
            streams_with_frames: summaries.iter().filter(|s| s.totals.frames > 0).count(),
            frames: summaries.iter().map(|s| s.totals.frames).sum(),
            decoded: summaries.iter().map(|s| s.totals.decoded).sum(),
            fps: summaries.iter().map(|s| s.fps).sum(),
            kbps: summaries.iter().map(|s| s.kbps).sum(),
        }
    }
}

/// Seconds at the start of a run that the in-band share leaves out.
pub const BAND_SETTLE_SECS: u64 = 5;

/// What `--record` wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recorded {
    /// The file.
    pub path: PathBuf,
    /// Frames written.
    pub frames: u64,
    /// JPEG bytes written.
    pub bytes: u64,
}

/// What a headless run does besides watching.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// How long to watch.
    pub duration: Duration,
    /// JSON lines instead of text.
    pub json: bool,
    /// Record every received frame into a new `.mjpg` file in this folder.
    pub record_to: Option<PathBuf>,
    /// The bandwidth target, kbit/s, for the in-band figures.
    pub target_kbps: f64,
}

impl Summary {
    fn new(v: &StatsView, seconds: f64) -> Self {
        let per_sec = |x: f64| if seconds > 0.0 { x / seconds } else { 0.0 };
        Summary {
            kind: "summary",
            stream: None,
            seconds,
            fps: per_sec(v.totals.frames as f64),
            kbps: per_sec(v.bytes as f64 * 8.0 / 1000.0),
            totals: v.totals.clone(),
            recording: None,
            target_kbps: 0.0,
            band_seconds: 0,
            in_band_share: None,
        }
    }
}

fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |x| format!("{x:.2}"))
}

/// One line per second, in text.
pub fn stats_line(second: u64, v: &StatsView) -> String {
    let size = v
        .totals
        .resolution
        .map_or_else(|| "-".into(), |[w, h]| format!("{w}x{h}"));
    format!(
        "t={second}s state={} frames={} fps={:.1} kbps={:.0} avg_kbps={:.0} size={size} \
         decode_ms={} latency_ms={} dropped={} corrupt={} errors={} reconnects={}",
        v.state.label(),
        v.totals.frames,
        v.fps,
        v.kbps,
        v.average_kbps,
        ms(v.decode_ms),
        ms(v.latency_ms),
        v.totals.dropped,
        v.totals.corrupt,
        v.totals.errors,
        v.totals.reconnects,
    )
}

/// The closing summary, in text.
pub fn summary_line(s: &Summary) -> String {
    let mut line = format!(
        "summary: {:.1} s, {} frames ({} decoded), {:.1} fps, {:.0} kbit/s, capture to \
         arrival ms p50 {} p99 {}, to decoded p50 {} p99 {}, decode ms p50 {} \
         p99 {}, dropped {}, corrupt {}, errors {}, reconnects {}",
        s.seconds,
        s.totals.frames,
        s.totals.decoded,
        s.fps,
        s.kbps,
        ms(s.totals.receipt_p50_ms),
        ms(s.totals.receipt_p99_ms),
        ms(s.totals.latency_p50_ms),
        ms(s.totals.latency_p99_ms),
        ms(s.totals.decode_p50_ms),
        ms(s.totals.decode_p99_ms),
        s.totals.dropped,
        s.totals.corrupt,
        s.totals.errors,
        s.totals.reconnects,
    );
    if let Some([w, h]) = s.totals.resolution {
        line.push_str(&format!(", {w}x{h}"));
    }
    if let Some(e) = &s.totals.last_error {
        line.push_str(&format!("; last error: {e}"));
    }
    if let Some(share) = s.in_band_share {
        line.push_str(&format!(
            ", {:.0}% of {} s within ±10% of {:.0} kbit/s",
            share * 100.0,
            s.band_seconds,
            s.target_kbps
        ));
    }
    if let Some(r) = &s.recording {
        line.push_str(&format!(
            "; recorded {} frames to {}",
            r.frames,
            r.path.display()
        ));
    }
    line
}

#[derive(Serialize)]
struct JsonLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream: Option<&'a Stream>,
    t: u64,
    state_label: &'static str,
    /// Whether the last whole second's kbit/s was within ±10 % of the target.
    in_band: Option<bool>,
    #[serde(flatten)]
    view: &'a StatsView,
}

/// Watches `config.url` for `options.duration`, writing a line a second to `out`, and
/// returns the summary (also written).
pub fn run(
    config: PipelineConfig,
    options: &Options,
    out: &mut dyn Write,
) -> Result<Summary, HeadlessError> {
    let mut summaries = run_all(vec![config], options, out)?;
    // run_all returns one summary per config, and there was one.
    summaries.pop().ok_or(HeadlessError::NoStream)
}

/// Watches every config's URL at once, each with its own pipeline, for
/// `options.duration`; with more than one, each line names its stream and a total follows
/// the summaries. Returns the summaries, in the order given.
pub fn run_all(
    configs: Vec<PipelineConfig>,
    options: &Options,
    out: &mut dyn Write,
) -> Result<Vec<Summary>, HeadlessError> {
    let Options { duration, json, .. } = *options;
    let many = configs.len() > 1;
    if many && options.record_to.is_some() {
        return Err(HeadlessError::RecordMany);
    }
    let mut watched = Vec::with_capacity(configs.len());
    for (index, config) in configs.into_iter().enumerate() {
        let stream = many.then(|| Stream {
            index,
            url: crate::net::redacted_text(&config.url),
        });
        watched.push((stream, Pipeline::start(config, || {})?, (0u64, 0u64)));
    }
    if let Some(dir) = &options.record_to
        && let Some((_, pipeline, _)) = watched.first()
    {
        pipeline
            .start_recording(dir)
            .map_err(|cause| HeadlessError::Record {
                dir: dir.clone(),
                cause,
            })?;
    }
    let start = Instant::now();
    let mut second = 0u64;
    loop {
        let next = start + Duration::from_secs(second + 1);
        let end = start + duration;
        std::thread::sleep(next.min(end).saturating_duration_since(Instant::now()));
        if Instant::now() >= end {
            break;
        }
        second += 1;
        // (whole seconds judged, of which in band) for each stream.
        for (stream, pipeline, band) in &mut watched {
            let v = pipeline.stats();
            // The whole second that just ended, as the chart shows it.
            let last_second = v.history_kbps.last().map(|k| f64::from(*k));
            let in_band = last_second.map(|k| in_band(k, options.target_kbps));
            if second > BAND_SETTLE_SECS
                && let Some(ok) = in_band
            {
                band.0 += 1;
                band.1 += u64::from(ok);
            }
            if json {
                let line = JsonLine {
                    kind: "stats",
                    stream: stream.as_ref(),
                    t: second,
                    state_label: v.state.label(),
                    in_band,
                    view: &v,
                };
                serde_json::to_writer(&mut *out, &line)?;
                writeln!(out)?;
            } else {
                writeln!(out, "{}{}", prefix(stream.as_ref()), stats_line(second, &v))?;
            }
        }
        out.flush()?;
    }
    let seconds = start.elapsed().as_secs_f64();
    let mut summaries = Vec::with_capacity(watched.len());
    for (stream, pipeline, band) in watched {
        let mut summary = Summary::new(&pipeline.stats(), seconds);
        summary.stream = stream;
        summary.target_kbps = options.target_kbps;
        summary.band_seconds = band.0;
        summary.in_band_share = (band.0 > 0).then(|| band.1 as f64 / band.0 as f64);
        if let Some(finished) = pipeline.stop_recording() {
            let r = finished.map_err(|cause| HeadlessError::Record {
                dir: options.record_to.clone().unwrap_or_default(),
                cause,
            })?;
            summary.recording = Some(Recorded {
                path: r.path,
                frames: r.frames,
                bytes: r.bytes,
            });
        }
        drop(pipeline);
        if json {
            serde_json::to_writer(&mut *out, &summary)?;
            writeln!(out)?;
        } else {
            writeln!(
                out,
                "{}{}",
                prefix(summary.stream.as_ref()),
                summary_line(&summary)
            )?;
        }
        summaries.push(summary);
    }
    if many {
        let total = Total::of(&summaries);
        if json {
            serde_json::to_writer(&mut *out, &total)?;
            writeln!(out)?;
        } else {
            writeln!(
                out,
                "total: {} streams ({} with frames), {} frames ({} decoded), {:.1} fps, {:.0} kbit/s",
                total.streams,
                total.streams_with_frames,
                total.frames,
                total.decoded,
                total.fps,
                total.kbps
            )?;
        }
    }
    out.flush()?;
    Ok(summaries)
}

/// `[1] ` before a text line about the second stream; nothing with one stream.
fn prefix(stream: Option<&Stream>) -> String {
    stream.map_or_else(String::new, |s| format!("[{}] ", s.index))
}

/// Why a headless run could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HeadlessError {
    /// The pipeline did not start.
    #[error(transparent)]
    Start(#[from] StartError),
    /// Writing the output failed.
    #[error("writing the stats failed")]
    Io(#[from] io::Error),
    /// Writing JSON failed.
    #[error("writing the stats failed")]
    Json(#[from] serde_json::Error),
    /// `--record` with several URLs: one recording is one stream.
    #[error("--record takes one URL; give one, or record each stream in its own run")]
    RecordMany,
    /// No URL was given.
    #[error("no stream URL given")]
    NoStream,
    /// `--record` could not write its file.
    // The system's words are in the message, not a `source`: the user's line says them once.
    #[error("cannot record into {}: {cause}", dir.display())]
    Record {
        /// The folder recording was asked into.
        dir: PathBuf,
        /// What went wrong.
        cause: io::Error,
    },
}
