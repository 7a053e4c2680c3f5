//! Choosing what to ask a camera for: pixel format, frame size and frame rate.
//!
//! Pure functions over what the device offers, so that every rule is unit-tested without a
//! camera. The rules: MJPEG when offered (frames pass through untouched, the cheapest path
//! on a Pi); otherwise the raw format that is cheapest to encode. Within the chosen format
//! the requested size if offered, else the nearest. The rate is asked for afterwards and the
//! device's answer is what counts.

use std::fmt;

use crate::source::raw::RawFormat;

/// The pixel formats this server can use, most preferred first (the derived order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PixelFormat {
    /// Motion JPEG (`MJPG`, or `JPEG` on some drivers): passed through as is.
    Mjpeg,
    /// A raw format, encoded here.
    Raw(RawFormat),
}

impl PixelFormat {
    /// The format a V4L2 four-character code names, if we can use it.
    pub fn from_fourcc(code: [u8; 4]) -> Option<Self> {
        Some(match &code {
            b"MJPG" | b"JPEG" => PixelFormat::Mjpeg,
            b"YUYV" => PixelFormat::Raw(RawFormat::Yuyv),
            b"UYVY" => PixelFormat::Raw(RawFormat::Uyvy),
            b"NV12" => PixelFormat::Raw(RawFormat::Nv12),
            b"YU12" => PixelFormat::Raw(RawFormat::Yu12),
            b"RGB3" => PixelFormat::Raw(RawFormat::Rgb24),
            b"BGR3" => PixelFormat::Raw(RawFormat::Bgr24),
            b"GREY" => PixelFormat::Raw(RawFormat::Grey),
            _ => return None,
        })
    }
}

impl PixelFormat {
    /// The V4L2 four-character code to ask for it with.
    pub fn fourcc(self) -> [u8; 4] {
        *match self {
            PixelFormat::Mjpeg => b"MJPG",
            PixelFormat::Raw(RawFormat::Yuyv) => b"YUYV",
            PixelFormat::Raw(RawFormat::Uyvy) => b"UYVY",
            PixelFormat::Raw(RawFormat::Nv12) => b"NV12",
            PixelFormat::Raw(RawFormat::Yu12) => b"YU12",
            PixelFormat::Raw(RawFormat::Rgb24) => b"RGB3",
            PixelFormat::Raw(RawFormat::Bgr24) => b"BGR3",
            PixelFormat::Raw(RawFormat::Grey) => b"GREY",
        }
    }
}

impl fmt::Display for PixelFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PixelFormat::Mjpeg => f.write_str("MJPEG"),
            // Every raw code is ASCII.
            raw => f.write_str(&String::from_utf8_lossy(&raw.fourcc())),
        }
    }
}

/// Frame sizes a format offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sizes {
    /// A list of fixed sizes (most webcams, vivid).
    Discrete(Vec<(u32, u32)>),
    /// Any size in a range, in steps (the Pi's unicam/ISP, some capture cards).
    Stepwise {
        /// Smallest width and height.
        min: (u32, u32),
        /// Largest width and height.
        max: (u32, u32),
        /// Width and height steps (1 for "continuous").
        step: (u32, u32),
    },
    /// The driver enumerates no sizes: the size asked for is sent as is.
    Unknown,
}

/// One format a device offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// The format.
    pub format: PixelFormat,
    /// Its sizes.
    pub sizes: Sizes,
}

/// What to ask the device for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    /// Pixel format.
    pub format: PixelFormat,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Picks format and size for a request of `width` x `height`.
///
/// Formats are tried in [`PixelFormat`]'s order; the first that offers the exact size
/// wins. If none does, the most preferred format is taken at its size nearest to the
/// request (by area, then the larger). `None` when the device offers nothing usable.
pub fn choose(offers: &[Offer], width: u32, height: u32) -> Option<Choice> {
    let mut usable: Vec<&Offer> = offers.iter().collect();
    usable.sort_by_key(|o| o.format);
    if let Some(exact) = usable
        .iter()
        .find(|o| nearest_size(&o.sizes, width, height) == Some((width, height)))
    {
        return Some(Choice {
            format: exact.format,
            width,
            height,
        });
    }
    let best = usable.first()?;
    let (w, h) = nearest_size(&best.sizes, width, height)?;
    Some(Choice {
        format: best.format,
        width: w,
        height: h,
    })
}

/// The offered size nearest to `width` x `height`.
pub fn nearest_size(sizes: &Sizes, width: u32, height: u32) -> Option<(u32, u32)> {
    match sizes {
        Sizes::Unknown => Some((width, height)),
        Sizes::Discrete(list) => {
            let want = u64::from(width) * u64::from(height);
            list.iter().copied().min_by_key(|&(w, h)| {
                let area = u64::from(w) * u64::from(h);
                // Nearest area first; among equals, the larger picture.
                (area.abs_diff(want), u64::MAX - area)
            })
        }
        Sizes::Stepwise { min, max, step } => {
            let fit = |want: u32, lo: u32, hi: u32, step: u32| {
                let step = step.max(1);
                let clamped = want.clamp(lo, hi.max(lo));
                lo + (clamped - lo) / step * step
            };
            Some((
                fit(width, min.0, max.0, step.0),
                fit(height, min.1, max.1, step.1),
            ))
        }
    }
}

/// A frame interval as the device states it: `numerator / denominator` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    /// Seconds, numerator.
    pub numerator: u32,
    /// Seconds, denominator.
    pub denominator: u32,
}

impl Interval {
    /// Frames per second (0 for a nonsensical interval).
    pub fn fps(self) -> f64 {
        if self.numerator == 0 {
            0.0
        } else {
            f64::from(self.denominator) / f64::from(self.numerator)
        }
    }
}

/// Formats a frame rate for people: `25`, `12.5`.
pub fn show_fps(fps: f64) -> String {
    let s = format!("{:.2}", fps);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const YUYV: PixelFormat = PixelFormat::Raw(RawFormat::Yuyv);
    const NV12: PixelFormat = PixelFormat::Raw(RawFormat::Nv12);
    const RGB3: PixelFormat = PixelFormat::Raw(RawFormat::Rgb24);

    fn discrete(format: PixelFormat, sizes: &[(u32, u32)]) -> Offer {
        Offer {
            format,
            sizes: Sizes::Discrete(sizes.to_vec()),
        }
    }

    const VIVID_SIZES: [(u32, u32); 6] = [
        (320, 180),
        (640, 360),
        (640, 480),
        (1280, 720),
        (1920, 1080),
        (3840, 2160),
    ];

    #[test]
    fn fourcc_codes_we_can_use() {
        assert_eq!(PixelFormat::from_fourcc(*b"MJPG"), Some(PixelFormat::Mjpeg));
        assert_eq!(PixelFormat::from_fourcc(*b"JPEG"), Some(PixelFormat::Mjpeg));
        assert_eq!(PixelFormat::from_fourcc(*b"YUYV"), Some(YUYV));
        assert!(
            PixelFormat::Mjpeg < YUYV && YUYV < NV12 && NV12 < RGB3,
            "preference order"
        );
        assert_eq!(PixelFormat::from_fourcc(*b"H264"), None);
        for code in [
            *b"MJPG", *b"YUYV", *b"UYVY", *b"NV12", *b"YU12", *b"RGB3", *b"BGR3", *b"GREY",
        ] {
            let format = PixelFormat::from_fourcc(code).unwrap();
            assert_eq!(format.fourcc(), code, "{format} round-trips");
        }
        assert_eq!(YUYV.to_string(), "YUYV");
        assert_eq!(PixelFormat::Mjpeg.to_string(), "MJPEG");
        assert_eq!(
            PixelFormat::from_fourcc(*b"BA81"),
            None,
            "Bayer is not ours"
        );
    }

    #[test]
    fn mjpeg_wins_when_it_offers_the_size() {
        let offers = [
            discrete(YUYV, &[(640, 480), (1280, 720)]),
            discrete(PixelFormat::Mjpeg, &[(640, 480), (1280, 720)]),
        ];
        let choice = choose(&offers, 1280, 720).unwrap();
        assert_eq!(choice.format, PixelFormat::Mjpeg);
        assert_eq!((choice.width, choice.height), (1280, 720));
    }

    #[test]
    fn an_exact_size_beats_a_preferred_format() {
        // A webcam whose MJPEG mode lacks the size asked for but whose YUYV has it.
        let offers = [
            discrete(PixelFormat::Mjpeg, &[(1280, 720)]),
            discrete(YUYV, &[(640, 480)]),
        ];
        let choice = choose(&offers, 640, 480).unwrap();
        assert_eq!(choice.format, YUYV);
    }

    #[test]
    fn vivid_gets_yuyv_at_the_size_asked() {
        // vivid offers 83 raw formats and no MJPEG; we take YUYV over the others.
        let offers = [
            discrete(RGB3, &VIVID_SIZES),
            discrete(NV12, &VIVID_SIZES),
            discrete(YUYV, &VIVID_SIZES),
            discrete(PixelFormat::Raw(RawFormat::Grey), &VIVID_SIZES),
        ];
        for (w, h) in [(640, 480), (1280, 720)] {
            let choice = choose(&offers, w, h).unwrap();
            assert_eq!(choice.format, YUYV);
            assert_eq!((choice.width, choice.height), (w, h));
        }
    }

    #[test]
    fn no_exact_size_takes_the_nearest_of_the_best_format() {
        let offers = [
            discrete(YUYV, &[(320, 240), (800, 600)]),
            discrete(PixelFormat::Mjpeg, &VIVID_SIZES),
        ];
        // 1024x768 is offered by nobody: MJPEG's nearest by area is 1280x720.
        let choice = choose(&offers, 1024, 768).unwrap();
        assert_eq!(choice.format, PixelFormat::Mjpeg);
        assert_eq!((choice.width, choice.height), (1280, 720));
        // Ties go to the larger picture.
        assert_eq!(
            nearest_size(&Sizes::Discrete(vec![(100, 100), (300, 100)]), 200, 100),
            Some((300, 100))
        );
    }

    #[test]
    fn stepwise_sizes_clamp_and_round_to_the_step() {
        let sizes = Sizes::Stepwise {
            min: (32, 32),
            max: (2592, 1944),
            step: (16, 2),
        };
        assert_eq!(nearest_size(&sizes, 640, 480), Some((640, 480)));
        assert_eq!(nearest_size(&sizes, 645, 481), Some((640, 480)));
        assert_eq!(nearest_size(&sizes, 9999, 9999), Some((2592, 1944)));
        assert_eq!(nearest_size(&sizes, 1, 1), Some((32, 32)));
        // A step of 0 from a broken driver is read as 1, not a division by zero.
        let odd = Sizes::Stepwise {
            min: (1, 1),
            max: (100, 100),
            step: (0, 0),
        };
        assert_eq!(nearest_size(&odd, 50, 60), Some((50, 60)));
    }

    #[test]
    fn unknown_sizes_are_asked_for_as_given_and_nothing_usable_is_none() {
        let offers = [Offer {
            format: YUYV,
            sizes: Sizes::Unknown,
        }];
        assert_eq!(
            choose(&offers, 640, 480),
            Some(Choice {
                format: YUYV,
                width: 640,
                height: 480
            })
        );
        assert_eq!(choose(&[], 640, 480), None);
        assert_eq!(choose(&[discrete(YUYV, &[])], 640, 480), None);
    }

    #[test]
    fn frame_rates_for_people() {
        let i = Interval {
            numerator: 1,
            denominator: 25,
        };
        assert_eq!(show_fps(i.fps()), "25");
        assert_eq!(
            show_fps(
                Interval {
                    numerator: 2,
                    denominator: 25
                }
                .fps()
            ),
            "12.5"
        );
        assert_eq!(
            Interval {
                numerator: 0,
                denominator: 1
            }
            .fps(),
            0.0
        );
    }
}
