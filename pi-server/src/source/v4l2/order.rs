//! Frames in the order the camera captured them, whatever order the driver hands them over.
//!
//! Each V4L2 buffer carries the driver's frame counter (`sequence`). uvcvideo completes
//! frames on worker threads, and a later frame can be handed over first: sequence 38, 40,
//! 39, 41 was seen with a real uvcvideo in the UVC test rig. Publishing 39 after 40 would
//! step the picture back in time, so a frame older than one already taken is dropped as
//! late (it was already counted as missed when the newer one came). The counts stay
//! honest: `missed` is frames the camera numbered but never handed over in time, `late`
//! the ones that came after a newer frame.

/// What to do with a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Take it: it is newer than anything taken; `missed` frames were numbered in between.
    Take {
        /// Frames between the last one taken and this one that never came (yet).
        missed: u32,
    },
    /// Drop it: a newer frame was taken already.
    Late,
}

/// The newest sequence number taken, and the counts.
#[derive(Debug, Default, Clone)]
pub struct Order {
    newest: Option<u32>,
    /// Frames numbered by the driver that were passed over (never came, or came late).
    pub missed: u64,
    /// Frames that came after a newer one, and were dropped.
    pub late: u64,
}

impl Order {
    /// Judges the buffer numbered `sequence`. Sequence numbers wrap at 2^32; a step back
    /// of more than half of that is read as a wrap forward.
    pub fn on_buffer(&mut self, sequence: u32) -> Verdict {
        let Some(newest) = self.newest else {
            self.newest = Some(sequence);
            return Verdict::Take { missed: 0 };
        };
        let step = sequence.wrapping_sub(newest);
        if step == 0 {
            self.late += 1;
            return Verdict::Late;
        }
        if step > u32::MAX / 2 {
            self.late += 1;
            // It was counted as missed when the newer frame was taken; now it has come.
            self.missed = self.missed.saturating_sub(1);
            return Verdict::Late;
        }
        self.newest = Some(sequence);
        let missed = step - 1;
        self.missed += u64::from(missed);
        Verdict::Take { missed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(sequences: &[u32]) -> (Vec<Verdict>, Order) {
        let mut order = Order::default();
        let verdicts = sequences.iter().map(|&s| order.on_buffer(s)).collect();
        (verdicts, order)
    }

    #[test]
    fn frames_in_order_are_all_taken() {
        let (verdicts, order) = run(&[7, 8, 9, 10]);
        assert!(verdicts.iter().all(|v| *v == Verdict::Take { missed: 0 }));
        assert_eq!((order.missed, order.late), (0, 0));
    }

    #[test]
    fn issue_23_a_frame_handed_over_after_a_newer_one_is_dropped_as_late() {
        // The order uvcvideo gave in the UVC rig: 39 came after 40.
        let (verdicts, order) = run(&[38, 40, 39, 41]);
        assert_eq!(
            verdicts,
            [
                Verdict::Take { missed: 0 },
                Verdict::Take { missed: 1 },
                Verdict::Late,
                Verdict::Take { missed: 0 },
            ]
        );
        // 39 was not shown: it arrived, so it is late, not missed.
        assert_eq!((order.missed, order.late), (0, 1));
    }

    #[test]
    fn frames_that_never_come_are_counted_as_missed() {
        let (verdicts, order) = run(&[1, 2, 5, 6]);
        assert_eq!(verdicts[2], Verdict::Take { missed: 2 });
        assert_eq!((order.missed, order.late), (2, 0));
    }

    #[test]
    fn a_repeated_number_is_late_and_the_counter_may_wrap() {
        let (verdicts, order) = run(&[u32::MAX - 1, u32::MAX, 0, 0]);
        assert_eq!(
            verdicts,
            [
                Verdict::Take { missed: 0 },
                Verdict::Take { missed: 0 },
                Verdict::Take { missed: 0 },
                Verdict::Late,
            ]
        );
        assert_eq!(order.late, 1);
    }
}
