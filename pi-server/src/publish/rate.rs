//! Rate control: hold a kbit/s target (`--target-kbps`) by turning JPEG quality down first
//! and the frame rate after, so that a user on thin Wi-Fi gets the sharpest picture the
//! link carries instead of tuning both by hand.
//!
//! The controller works frame by frame, without waiting for a second's average: each
//! frame's size and the quality it was encoded at give an estimate of the scene's
//! complexity `c` (bytes at a nominal quality curve `g(q)`), smoothed over about half a
//! second. The settings that hit the target are then computed, not searched for: the
//! quality whose predicted size times the full frame rate equals the target, or, below the
//! quality floor, the floor and the fraction of frames that fits. Because the model's
//! curve is only roughly right for any one scene, each decision is a step of a fixed-point
//! iteration that lands on the target within a few updates (a curve off by a factor of two
//! in slope still converges). A dead band and a minimum time between changes keep the
//! quality from flickering.
//!
//! Sources whose quality is not ours to set (MJPEG passed through) are controlled by frame
//! rate alone.

use std::time::{Duration, Instant};

pub use mjpeg_wire::meter::{TARGET_BAND as BAND, in_band};

/// Highest quality the controller uses; above it, sizes grow fast for little gain.
pub const MAX_QUALITY: u8 = 95;

/// Fewest frames per second the controller keeps (as a fraction of the full rate, see
/// [`RateController::settings`]): a still picture is worse than a slow one.
const MIN_FPS: f64 = 1.0;

/// Time constant of the complexity estimate: long enough to smooth frame-to-frame noise,
/// short enough to follow a scene change within a second.
const SMOOTHING: Duration = Duration::from_millis(400);

/// A frame this far from the estimate (in log size: a factor of 1.5) is a scene change,
/// not noise (frame to frame, sizes wobble by a few per cent): the estimate then jumps to
/// it and the settings follow at once, so that the one-second window holding the change
/// stays close to the target.
const SCENE_CUT: f64 = 0.4;

/// Shortest time between two changes of the settings: each change must be seen in a few
/// frames before the next, or the controller chases its own noise.
const HOLD: Duration = Duration::from_millis(300);

/// A change is made only when the predicted rate is off by more than this: well inside
/// the ±10 % band, so that small errors never cause a visible step.
const DEAD_BAND: f64 = 0.04;

/// log of the nominal size curve `g(q)`: size grows about 1.6 % per quality point up to 80
/// and about 4 % per point above, where quantisation tables shrink fast. Measured slopes
/// are 0.9 % (the test pattern's flat bars) to 2.2 % (noise); anything within a factor of
/// two of the model converges.
fn log_g(q: f64) -> f64 {
    const KNEE: f64 = 80.0;
    if q <= KNEE {
        0.016 * q
    } else {
        0.016 * KNEE + 0.04 * (q - KNEE)
    }
}

/// Inverse of [`log_g`].
fn log_g_inverse(y: f64) -> f64 {
    let knee = log_g(80.0);
    if y <= knee {
        y / 0.016
    } else {
        80.0 + (y - knee) / 0.04
    }
}

/// What the controller asks of the source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// JPEG quality (when the quality is ours to set).
    pub quality: u8,
    /// Fraction of the source's frames to keep, in (0, 1].
    pub keep: f64,
}

/// The controller's state, for `/stats`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateReport {
    /// The target, kbit/s.
    pub target_kbps: f64,
    /// Current settings.
    pub settings: Settings,
    /// The rate the current settings are predicted to give, kbit/s.
    pub predicted_kbps: f64,
    /// Frames per second kept (full rate times `keep`).
    pub fps: f64,
}

/// Holds a stream at a target bit rate.
#[derive(Debug, Clone)]
pub struct RateController {
    target_bytes_per_s: f64,
    min_quality: u8,
    max_quality: u8,
    quality_is_ours: bool,
    settings: Settings,
    /// Smoothed log of (frame bytes / g(quality)).
    log_complexity: Option<f64>,
    /// Smoothed full frame rate of the source (before thinning).
    full_fps: f64,
    /// Frames the source offers per second (before thinning), from the gaps between offers.
    offered_fps: f64,
    /// When the source last offered a frame.
    last_offer: Option<Instant>,
    last_frame: Option<Instant>,
    last_change: Option<Instant>,
}

impl RateController {
    /// A controller for `target_kbps`, never going below `min_quality` nor above
    /// `max_quality` (capped at [`MAX_QUALITY`]), for a source of about `full_fps`.
    /// `quality_is_ours` says whether the source encodes (so quality is a lever).
    pub fn new(
        target_kbps: f64,
        min_quality: u8,
        max_quality: u8,
        full_fps: f64,
        quality_is_ours: bool,
    ) -> Self {
        let max_quality = max_quality.clamp(1, MAX_QUALITY);
        let min_quality = min_quality.clamp(1, max_quality);
        RateController {
            target_bytes_per_s: target_kbps.max(1.0) * 1000.0 / 8.0,
            min_quality,
            max_quality,
            quality_is_ours,
            settings: Settings {
                quality: max_quality,
                keep: 1.0,
            },
            log_complexity: None,
            full_fps: full_fps.max(MIN_FPS),
            offered_fps: full_fps,
            last_offer: None,
            last_frame: None,
            last_change: None,
        }
    }

    /// Whether the source's quality is a lever (it encodes) or not (pass-through).
    pub fn set_quality_is_ours(&mut self, ours: bool) {
        self.quality_is_ours = ours;
    }

    /// The current settings.
    pub fn settings(&self) -> Settings {
        self.settings
    }

    /// The source's full frame rate, as last measured (before thinning).
    pub fn note_full_fps(&mut self, fps: f64) {
        if fps.is_finite() && fps >= MIN_FPS {
            self.full_fps = fps;
        }
    }

    /// The source offers a frame at `now`, before thinning: the full frame rate is
    /// estimated from the gaps between offers, with about a second of memory, so that it
    /// follows a camera whose rate changes.
    pub fn note_offer(&mut self, now: Instant) {
        if let Some(last) = self.last_offer.replace(now) {
            let dt = now.saturating_duration_since(last).as_secs_f64();
            if dt > 0.0 {
                let weight = 1.0 - (-dt).exp();
                self.offered_fps += weight * (1.0 / dt - self.offered_fps);
                self.note_full_fps(self.offered_fps);
            }
        }
    }

    /// Takes one published frame of `bytes`, encoded at `quality` (ignored when the
    /// quality is not ours), and returns the settings for the frames after it.
    pub fn on_frame(&mut self, bytes: usize, quality: u8, now: Instant) -> Settings {
        let q = if self.quality_is_ours {
            f64::from(quality)
        } else {
            0.0
        };
        let sample = (bytes.max(1) as f64).ln() - log_g(q);
        let weight = match self.last_frame {
            // First frame, or after a long gap: start from this frame.
            None => 1.0,
            Some(t) => {
                let dt = now.saturating_duration_since(t).as_secs_f64();
                1.0 - (-dt / SMOOTHING.as_secs_f64()).exp()
            }
        };
        self.last_frame = Some(now);
        let cut = self
            .log_complexity
            .is_some_and(|c| (sample - c).abs() > SCENE_CUT);
        let c = match self.log_complexity {
            Some(c) if !cut => c + weight * (sample - c),
            _ => sample,
        };
        if cut {
            tracing::debug!(bytes, quality, "scene change: rate control follows at once");
        }
        self.log_complexity = Some(c);
        if !cut
            && self
                .last_change
                .is_some_and(|t| now.saturating_duration_since(t) < HOLD)
        {
            return self.settings;
        }
        let predicted = self.predicted_bytes_per_s(self.settings);
        let error = predicted / self.target_bytes_per_s - 1.0;
        if error.abs() <= DEAD_BAND {
            return self.settings;
        }
        let wanted = self.solve(c);
        if wanted != self.settings {
            tracing::debug!(
                ?wanted,
                predicted_kbps = predicted * 8.0 / 1000.0,
                "rate control"
            );
            self.settings = wanted;
            self.last_change = Some(now);
        }
        self.settings
    }

    /// The settings that, by the model, give the target for complexity `c`.
    fn solve(&self, c: f64) -> Settings {
        // Bytes per frame that fit at the full frame rate.
        let per_frame = self.target_bytes_per_s / self.full_fps;
        if !self.quality_is_ours {
            let keep = (per_frame / c.exp()).clamp(MIN_FPS / self.full_fps, 1.0);
            return Settings {
                quality: self.settings.quality,
                keep: keep.min(1.0),
            };
        }
        let q = log_g_inverse(per_frame.ln() - c);
        let (lo, hi) = (f64::from(self.min_quality), f64::from(self.max_quality));
        if q >= lo {
            Settings {
                quality: q.min(hi).round() as u8,
                keep: 1.0,
            }
        } else {
            // At the floor: keep the fraction of frames that fits.
            let at_floor = (c + log_g(lo)).exp();
            Settings {
                quality: self.min_quality,
                keep: (per_frame / at_floor).clamp(MIN_FPS / self.full_fps, 1.0),
            }
        }
    }

    fn predicted_bytes_per_s(&self, s: Settings) -> f64 {
        let Some(c) = self.log_complexity else {
            return self.target_bytes_per_s;
        };
        let q = if self.quality_is_ours {
            f64::from(s.quality)
        } else {
            0.0
        };
        (c + log_g(q)).exp() * self.full_fps * s.keep
    }

    /// Where the controller stands.
    pub fn report(&self) -> RateReport {
        RateReport {
            target_kbps: self.target_bytes_per_s * 8.0 / 1000.0,
            settings: self.settings,
            predicted_kbps: self.predicted_bytes_per_s(self.settings) * 8.0 / 1000.0,
            fps: self.full_fps * self.settings.keep,
        }
    }
}

/// Keeps an even share of frames: `keep` of them, spread out (0.5 keeps every other one).
#[derive(Debug, Clone, Default)]
pub struct Thinning {
    credit: f64,
}

impl Thinning {
    /// Whether the next frame is kept at fraction `keep`.
    pub fn admit(&mut self, keep: f64) -> bool {
        if keep >= 1.0 {
            self.credit = 0.0;
            return true;
        }
        self.credit += keep.max(0.0);
        if self.credit >= 1.0 - 1e-9 {
            self.credit -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A simulated encoder: frame size from quality and scene complexity, with a curve of
    /// its own (not the controller's model) and a little frame-to-frame noise.
    struct Encoder {
        /// Bytes at quality 50.
        complexity: f64,
        /// Growth per quality point (the controller assumes 1.6 %).
        slope: f64,
        noise: u64,
    }

    impl Encoder {
        fn size(&mut self, quality: u8) -> usize {
            // A small deterministic wobble of ±3 %.
            self.noise = self
                .noise
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let wobble = 1.0 + ((self.noise >> 33) as f64 / (1u64 << 31) as f64 - 0.5) * 0.06;
            let q = f64::from(quality);
            let steep = if q > 85.0 { (q - 85.0) * 0.05 } else { 0.0 };
            (self.complexity * ((q - 50.0) * self.slope + steep).exp() * wobble) as usize
        }
    }

    struct Run {
        /// kbit/s of each whole second.
        seconds: Vec<f64>,
        settings: Vec<Settings>,
    }

    /// Runs a 24 fps source through the controller; `scene(t)` gives the encoder.
    fn run(
        controller: &mut RateController,
        secs: usize,
        mut scene: impl FnMut(usize) -> Encoder,
    ) -> Run {
        let start = Instant::now();
        let mut thinning = Thinning::default();
        let mut settings = controller.settings();
        let mut seconds = vec![0.0; secs];
        let mut all = Vec::new();
        let mut encoder = scene(0);
        let mut current_scene = 0;
        for frame in 0..secs * 24 {
            let second = frame / 24;
            if second != current_scene {
                current_scene = second;
                let next = scene(second);
                if next.complexity != encoder.complexity || next.slope != encoder.slope {
                    encoder = next;
                }
            }
            if !thinning.admit(settings.keep) {
                continue;
            }
            let now = start + Duration::from_secs_f64(frame as f64 / 24.0);
            let bytes = encoder.size(settings.quality);
            seconds[second] += bytes as f64 * 8.0 / 1000.0;
            settings = controller.on_frame(bytes, settings.quality, now);
            all.push(settings);
        }
        Run {
            seconds,
            settings: all,
        }
    }

    fn calm() -> Encoder {
        Encoder {
            complexity: 4000.0,
            slope: 0.016,
            noise: 1,
        }
    }

    /// Three times the detail at quality 50: at the floor it needs a third of the frames
    /// dropped. (Fewer than about ten frames a second could not stay within ±10 %
    /// in every one-second window, whatever the controller: one frame more or less is
    /// already 10 %.)
    fn busy() -> Encoder {
        Encoder {
            complexity: 12000.0,
            slope: 0.022,
            noise: 2,
        }
    }

    #[test]
    fn quality_settles_the_rate_inside_the_band() {
        let mut c = RateController::new(1000.0, 30, 80, 24.0, true);
        let r = run(&mut c, 20, |_| calm());
        // After 5 s every second is inside ±10 %.
        for (i, kbps) in r.seconds.iter().enumerate().skip(5) {
            assert!(in_band(*kbps, 1000.0), "second {i}: {kbps:.0} kbit/s");
        }
        let last = *r.settings.last().unwrap();
        assert_eq!(last.keep, 1.0, "the frame rate is not touched");
        assert!(last.quality > 30 && last.quality < 80, "{last:?}");
    }

    #[test]
    fn below_the_quality_floor_the_frame_rate_goes_down_evenly() {
        let mut c = RateController::new(1000.0, 30, 80, 24.0, true);
        let r = run(&mut c, 20, |_| busy());
        for (i, kbps) in r.seconds.iter().enumerate().skip(5) {
            assert!(in_band(*kbps, 1000.0), "second {i}: {kbps:.0} kbit/s");
        }
        let last = *r.settings.last().unwrap();
        assert_eq!(last.quality, 30, "quality at the floor first");
        assert!(last.keep < 0.8, "{last:?}");
    }

    #[test]
    fn a_scene_change_is_followed_within_five_seconds_both_ways() {
        let mut c = RateController::new(1000.0, 30, 80, 24.0, true);
        // Calm, busy from second 15, calm again from second 30.
        let r = run(&mut c, 45, |s| {
            if (15..30).contains(&s) {
                busy()
            } else {
                calm()
            }
        });
        for (i, kbps) in r.seconds.iter().enumerate() {
            let settling = i < 5 || (15..20).contains(&i) || (30..35).contains(&i);
            if !settling {
                assert!(in_band(*kbps, 1000.0), "second {i}: {kbps:.0} kbit/s");
            }
        }
    }

    #[test]
    fn settled_settings_do_not_flicker() {
        let mut c = RateController::new(1000.0, 30, 80, 24.0, true);
        let r = run(&mut c, 30, |_| calm());
        // After settling (10 s = 240 frames), the quality moves by at most one step of 1-2
        // points, and changes rarely.
        let settled = &r.settings[240..];
        let qs: Vec<u8> = settled.iter().map(|s| s.quality).collect();
        let (lo, hi) = (qs.iter().min().unwrap(), qs.iter().max().unwrap());
        assert!(hi - lo <= 2, "quality wandered {lo}..{hi}");
        let changes = qs.windows(2).filter(|w| w[0] != w[1]).count();
        assert!(changes <= 4, "{changes} changes in 20 s");
    }

    #[test]
    fn pass_through_sources_are_thinned_evenly() {
        // MJPEG passed through: 8 KB frames at 24 fps is 1536 kbit/s; 1000 needs ~65 %.
        let mut c = RateController::new(1000.0, 30, 80, 24.0, false);
        let r = run(&mut c, 20, |_| Encoder {
            complexity: 8000.0,
            slope: 0.0,
            noise: 3,
        });
        for (i, kbps) in r.seconds.iter().enumerate().skip(5) {
            assert!(in_band(*kbps, 1000.0), "second {i}: {kbps:.0} kbit/s");
        }
        let keep = r.settings.last().unwrap().keep;
        assert!((0.55..0.75).contains(&keep), "{keep}");
    }

    #[test]
    fn a_simple_scene_under_the_target_gets_the_best_quality_allowed() {
        let mut c = RateController::new(10_000.0, 30, 80, 24.0, true);
        let r = run(&mut c, 5, |_| calm());
        assert_eq!(
            *r.settings.last().unwrap(),
            Settings {
                quality: 80,
                keep: 1.0
            }
        );
    }

    #[test]
    fn thinning_keeps_an_even_share() {
        let mut t = Thinning::default();
        let kept: Vec<bool> = (0..12).map(|_| t.admit(0.5)).collect();
        assert_eq!(kept.iter().filter(|k| **k).count(), 6);
        assert!(
            kept.windows(2).all(|w| w[0] != w[1]),
            "alternating: {kept:?}"
        );
        let mut t = Thinning::default();
        assert_eq!((0..100).filter(|_| t.admit(0.25)).count(), 25);
        let mut t = Thinning::default();
        assert!((0..10).all(|_| t.admit(1.0)));
    }

    #[test]
    fn the_model_curve_inverts() {
        for q in [1.0, 30.0, 79.5, 80.0, 90.0, 95.0] {
            assert!((log_g_inverse(log_g(q)) - q).abs() < 1e-9);
        }
    }
}
