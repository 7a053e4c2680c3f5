//! The rate gate: which frames a source produces, at what JPEG quality and frame rate.
//!
//! Without `--target-kbps` it admits every frame at the configured quality. With it, the
//! [`RateController`] moves the quality (when the source encodes, so quality is a lever)
//! and the share of frames kept, which [`Thinning`] spreads evenly. Sources ask
//! [`RateGate::admit`] before any work is done on a frame, so a dropped frame costs nothing.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::lock::lock;

use super::rate::{MAX_QUALITY, RateController, RateReport, Thinning};

/// The controller and its thinning, when a target is set.
#[derive(Debug)]
struct Steering {
    controller: RateController,
    thinning: Thinning,
}

/// Quality, frame rate and the share of frames kept; shared by a source's threads.
#[derive(Debug)]
pub struct RateGate {
    quality: AtomicU8,
    /// The quality asked for (`--quality` or the controls), which rate control never
    /// exceeds; `quality` is what the next frame gets.
    ceiling: AtomicU8,
    fps: AtomicU32,
    /// Whether the source encodes (so JPEG quality is a lever for rate control).
    encodes: AtomicBool,
    steering: Mutex<Option<Steering>>,
}

impl RateGate {
    /// A gate at `quality` (clamped to 1-100) and `fps` (at least 1) that admits every
    /// frame.
    pub fn new(quality: u8, fps: u32) -> Self {
        RateGate {
            quality: AtomicU8::new(quality.clamp(1, 100)),
            ceiling: AtomicU8::new(quality.clamp(1, 100)),
            fps: AtomicU32::new(fps.max(1)),
            encodes: AtomicBool::new(false),
            steering: Mutex::new(None),
        }
    }

    /// Holds the published rate at `target_kbps`, lowering JPEG quality (never under
    /// `min_quality`, never over the gate's quality) and then the share of frames kept.
    pub fn with_target(self, target_kbps: f64, min_quality: u8) -> Self {
        self.set_target(Some(target_kbps), min_quality);
        self
    }

    /// Holds the published rate at `target_kbps` from now on (see [`RateGate::with_target`]),
    /// or stops holding it (`None`: every frame at the asked quality again). A live
    /// change from the controls: the controller starts afresh and learns the scene again
    /// within a second.
    pub fn set_target(&self, target_kbps: Option<f64>, min_quality: u8) {
        let ceiling = self.ceiling.load(Ordering::Relaxed);
        let mut steering = self.steering();
        *steering = target_kbps.map(|target| Steering {
            controller: RateController::new(
                target,
                min_quality,
                ceiling,
                f64::from(self.fps()),
                self.encodes.load(Ordering::Relaxed),
            ),
            thinning: Thinning::default(),
        });
        let quality = if steering.is_some() {
            ceiling.min(MAX_QUALITY)
        } else {
            ceiling
        };
        self.quality.store(quality, Ordering::Relaxed);
    }

    /// The quality asked for, which rate control never exceeds.
    pub fn ceiling(&self) -> u8 {
        self.ceiling.load(Ordering::Relaxed)
    }

    /// Changes the quality asked for (clamped to 1-100); with a target set, the
    /// controller then works below the new ceiling.
    pub fn set_ceiling(&self, quality: u8, min_quality: u8) {
        self.ceiling.store(quality.clamp(1, 100), Ordering::Relaxed);
        let target = self.report().map(|r| r.target_kbps);
        self.set_target(target, min_quality);
    }

    fn steering(&self) -> MutexGuard<'_, Option<Steering>> {
        lock(&self.steering)
    }

    /// JPEG quality for frames the source encodes.
    pub fn quality(&self) -> u8 {
        self.quality.load(Ordering::Relaxed)
    }

    /// Changes the JPEG quality from the next frame on (clamped to 1-100); rate control's
    /// own lever, see [`RateGate::set_ceiling`] for the quality asked for.
    pub fn set_quality(&self, quality: u8) {
        self.quality.store(quality.clamp(1, 100), Ordering::Relaxed);
    }

    /// Frames per second for generated and replayed frames.
    pub fn fps(&self) -> u32 {
        self.fps.load(Ordering::Relaxed)
    }

    /// Changes the frame rate from the next frame on (at least 1).
    pub fn set_fps(&self, fps: u32) {
        self.fps.store(fps.max(1), Ordering::Relaxed);
    }

    /// Time between frames at the current rate.
    pub fn frame_interval(&self) -> Duration {
        Duration::from_secs(1) / self.fps()
    }

    /// Says whether the source encodes its frames (the quality is then rate control's
    /// lever) or passes them through (rate control can then only drop frames).
    pub fn set_encodes(&self, encodes: bool) {
        self.encodes.store(encodes, Ordering::Relaxed);
        if let Some(s) = self.steering().as_mut() {
            s.controller.set_quality_is_ours(encodes);
        }
    }

    /// Whether the source should produce (or pass on) the frame it could produce now: with
    /// a target, a share of frames is dropped evenly; without one, every frame is admitted.
    pub fn admit(&self) -> bool {
        let mut steering = self.steering();
        let Some(s) = steering.as_mut() else {
            return true;
        };
        s.controller.note_offer(Instant::now());
        let keep = s.controller.settings().keep;
        s.thinning.admit(keep)
    }

    /// Feeds a published frame of `bytes` to the controller and applies its answer.
    pub fn on_published(&self, bytes: usize, now: Instant) {
        if let Some(s) = self.steering().as_mut() {
            let settings = s.controller.on_frame(bytes, self.quality(), now);
            if self.encodes.load(Ordering::Relaxed) {
                self.set_quality(settings.quality);
            }
        }
    }

    /// The controller's state, when a target is set.
    pub fn report(&self) -> Option<RateReport> {
        self.steering().as_ref().map(|s| s.controller.report())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_clamp_to_valid_values() {
        let c = RateGate::new(0, 0);
        assert_eq!((c.quality(), c.fps()), (1, 1));
        c.set_quality(250);
        c.set_fps(30);
        assert_eq!((c.quality(), c.fps()), (100, 30));
        assert_eq!(c.frame_interval(), Duration::from_secs(1) / 30);
    }

    #[test]
    fn a_target_set_live_steers_and_off_restores_the_asked_quality() {
        let gate = RateGate::new(90, 24);
        gate.set_encodes(true);
        gate.set_target(Some(500.0), 30);
        assert_eq!(gate.report().map(|r| r.target_kbps), Some(500.0));
        // The controller may lower the quality; a new ceiling keeps the target.
        gate.set_quality(40);
        gate.set_ceiling(70, 30);
        assert_eq!((gate.ceiling(), gate.quality()), (70, 70));
        assert_eq!(gate.report().map(|r| r.target_kbps), Some(500.0));
        gate.set_quality(35);
        gate.set_target(None, 30);
        assert!(gate.report().is_none());
        assert_eq!(gate.quality(), 70, "back to the asked quality");
    }

    #[test]
    fn without_a_target_every_frame_is_admitted() {
        let gate = RateGate::new(80, 24);
        assert!((0..100).all(|_| gate.admit()));
        assert!(gate.report().is_none());
    }
}
