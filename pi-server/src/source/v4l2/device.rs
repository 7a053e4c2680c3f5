//! One V4L2 device: what it offers, and opening it for capture at a chosen format.
//!
//! Everything here talks to the kernel through the `v4l` crate and runs on the capture
//! thread (or once for `--list-devices`). The decisions are made by the pure functions in
//! `format.rs` and `controls.rs`.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use v4l::buffer::Type;
use v4l::capability::Flags as CapFlags;
use v4l::control::{self, Description};
use v4l::format::{Colorspace, Quantization};
use v4l::frameinterval::FrameIntervalEnum;
use v4l::framesize::FrameSizeEnum;
use v4l::io::mmap::Stream;
use v4l::video::Capture as _;
use v4l::video::capture::Parameters;
use v4l::{Device, Format, FourCC};

use super::controls::{ControlInfo, ControlKind, ControlSetting, normalise, resolve};
use super::format::{Choice, Interval, Offer, PixelFormat, Sizes, choose};

/// Capture buffers: enough that the driver always has one to fill while we encode, few
/// enough that a frame never waits long in the queue (memory: 4 x 600 KB at 640x480 YUYV).
pub const BUFFERS: u32 = 4;

/// errno for "no such device": the camera was unplugged (or vivid's `disconnect`).
pub const ENODEV: i32 = 19;

/// What a device node is and offers.
#[derive(Debug, Clone)]
pub struct Probe {
    /// Driver name (`uvcvideo`, `vivid`, `unicam`).
    pub driver: String,
    /// The device's name (`HD Pro Webcam C920`).
    pub card: String,
    /// Where it is attached (`usb-0000:01:00.0-1.2`, `platform:vivid-000`).
    pub bus: String,
    /// Whether the node captures video (not metadata, output or a codec).
    pub captures: bool,
    /// Every format offered, usable by us or not: fourcc, description, usable format.
    pub formats: Vec<FormatProbe>,
    /// The controls, with their current values.
    pub controls: Vec<(ControlInfo, Option<i64>)>,
}

/// One format a device offers.
#[derive(Debug, Clone)]
pub struct FormatProbe {
    /// The four-character code.
    pub fourcc: String,
    /// The driver's description of it.
    pub description: String,
    /// The format, when we can use it.
    pub usable: Option<PixelFormat>,
    /// Sizes, each with its frame rates (discrete sizes only; stepwise ones have none).
    pub sizes: Sizes,
    /// Frame rates for each discrete size, in the order of `sizes`.
    pub rates: Vec<Vec<f64>>,
}

impl Probe {
    /// The formats we can use, as the chooser takes them.
    pub fn offers(&self) -> Vec<Offer> {
        self.formats
            .iter()
            .filter_map(|f| {
                f.usable.map(|format| Offer {
                    format,
                    sizes: f.sizes.clone(),
                })
            })
            .collect()
    }

    /// The controls as `resolve` takes them.
    pub fn control_infos(&self) -> Vec<ControlInfo> {
        self.controls.iter().map(|(c, _)| c.clone()).collect()
    }
}

/// Every `/dev/videoN` node, in number order.
pub fn device_nodes() -> Vec<PathBuf> {
    let mut nodes: Vec<(u32, PathBuf)> = std::fs::read_dir("/dev")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name();
            let n = name.to_str()?.strip_prefix("video")?.parse().ok()?;
            Some((n, entry.path()))
        })
        .collect();
    nodes.sort();
    nodes.into_iter().map(|(_, p)| p).collect()
}

/// Opens `path` and reads what it offers.
pub fn probe(path: &Path) -> io::Result<Probe> {
    describe(&Device::with_path(path)?)
}

/// What an open device offers.
fn describe(dev: &Device) -> io::Result<Probe> {
    let caps = dev.query_caps()?;
    let captures = caps.capabilities.contains(CapFlags::VIDEO_CAPTURE)
        && caps.capabilities.contains(CapFlags::STREAMING);
    let mut formats = Vec::new();
    if captures {
        for desc in dev.enum_formats()? {
            let code = desc.fourcc.repr;
            let usable = PixelFormat::from_fourcc(code);
            let (sizes, rates) = sizes_of(dev, desc.fourcc);
            formats.push(FormatProbe {
                fourcc: String::from_utf8_lossy(&code).into_owned(),
                description: desc.description,
                usable,
                sizes,
                rates,
            });
        }
    }
    let controls = if captures {
        // Some drivers list no controls and answer with an error: that is "none".
        dev.query_controls()
            .unwrap_or_default()
            .iter()
            .filter_map(|d| {
                let info = control_info(d)?;
                Some((info, current_value(dev, d.id)))
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(Probe {
        driver: caps.driver,
        card: caps.card,
        bus: caps.bus,
        captures,
        formats,
        controls,
    })
}

fn sizes_of(dev: &Device, fourcc: FourCC) -> (Sizes, Vec<Vec<f64>>) {
    let Ok(list) = dev.enum_framesizes(fourcc) else {
        return (Sizes::Unknown, Vec::new());
    };
    let mut discrete = Vec::new();
    for size in list {
        match size.size {
            FrameSizeEnum::Discrete(d) => discrete.push((d.width, d.height)),
            FrameSizeEnum::Stepwise(s) => {
                return (
                    Sizes::Stepwise {
                        min: (s.min_width, s.min_height),
                        max: (s.max_width, s.max_height),
                        step: (s.step_width, s.step_height),
                    },
                    Vec::new(),
                );
            }
        }
    }
    if discrete.is_empty() {
        return (Sizes::Unknown, Vec::new());
    }
    let rates = discrete
        .iter()
        .map(|&(w, h)| {
            dev.enum_frameintervals(fourcc, w, h)
                .unwrap_or_default()
                .into_iter()
                .map(|i| {
                    // A range of intervals counts as its fastest end.
                    let f = match i.interval {
                        FrameIntervalEnum::Discrete(f) => f,
                        FrameIntervalEnum::Stepwise(s) => s.min,
                    };
                    Interval {
                        numerator: f.numerator,
                        denominator: f.denominator,
                    }
                    .fps()
                })
                .collect()
        })
        .collect();
    (Sizes::Discrete(discrete), rates)
}

/// A control's value, when it reads as a number (integers, booleans, menus).
pub(super) fn current_value(dev: &Device, id: u32) -> Option<i64> {
    match dev.control(id) {
        Ok(control::Control {
            value: control::Value::Integer(v),
            ..
        }) => Some(v),
        Ok(control::Control {
            value: control::Value::Boolean(b),
            ..
        }) => Some(i64::from(b)),
        _ => None,
    }
}

/// What `d` is as a control we may set, or `None` for a heading or a disabled control.
pub(super) fn control_info(d: &Description) -> Option<ControlInfo> {
    // Disabled controls and class headings are not controls anyone can set.
    if d.flags.contains(control::Flags::DISABLED) || d.typ == control::Type::CtrlClass {
        return None;
    }
    let read_only = d.flags.contains(control::Flags::READ_ONLY);
    let kind = match d.typ {
        _ if read_only => ControlKind::Other,
        control::Type::Integer | control::Type::Integer64 => ControlKind::Integer {
            min: d.minimum,
            max: d.maximum,
            step: d.step,
        },
        control::Type::Boolean => ControlKind::Boolean,
        control::Type::Menu | control::Type::IntegerMenu => ControlKind::Menu(
            d.items
                .iter()
                .flatten()
                .map(|(i, item)| (i64::from(*i), item.to_string()))
                .collect(),
        ),
        _ => ControlKind::Other,
    };
    Some(ControlInfo {
        id: d.id,
        name: normalise(&d.name),
        kind,
        default: d.default,
    })
}

/// A request: the size and rate asked for, and the controls to set.
#[derive(Debug, Clone)]
pub struct Request {
    /// Width asked for.
    pub width: u32,
    /// Height asked for.
    pub height: u32,
    /// Frames per second asked for.
    pub fps: u32,
    /// Controls to set on every open.
    pub controls: Vec<ControlSetting>,
}

/// Why a device cannot be used (as opposed to gone for now).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The system refused: no such device, permission, busy, unplugged.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The node is not a video capture device.
    #[error("it is not a video capture device (driver {driver}: metadata, output or a codec)")]
    NotCapture {
        /// Its driver.
        driver: String,
    },
    /// It offers no format we can use.
    #[error(
        "it offers no format pi-server can use ({offered}); MJPEG, YUYV, UYVY, NV12, YU12, RGB3, BGR3 and GREY are supported"
    )]
    NoUsableFormat {
        /// What it offers.
        offered: String,
    },
    /// A `--control` does not fit the device.
    #[error(transparent)]
    Control(#[from] super::controls::ControlError),
}

impl OpenError {
    /// Whether the device is merely gone for now (unplugged), so retrying makes sense.
    pub fn is_gone(&self) -> bool {
        match self {
            OpenError::Io(e) => {
                e.raw_os_error() == Some(ENODEV) || e.kind() == io::ErrorKind::NotFound
            }
            _ => false,
        }
    }
}

/// An open device, streaming. The stream holds the device's file handle: dropping it
/// unmaps the buffers and closes the device (vivid, say, reconnects only once every
/// handle on it is closed).
pub struct Capture {
    /// The memory-mapped buffers.
    pub stream: Stream<'static>,
    /// What was granted.
    pub granted: Granted,
    /// The device, for setting controls while streaming.
    pub dev: Device,
    /// The camera's own JPEG quality control (`compression_quality`), for rate control of
    /// MJPEG cameras: its id and range.
    pub jpeg_quality: Option<JpegQuality>,
}

/// A camera's JPEG quality control (V4L2_CID_JPEG_COMPRESSION_QUALITY).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JpegQuality {
    /// Control id.
    pub id: u32,
    /// Its range.
    pub min: i64,
    /// Its range.
    pub max: i64,
}

impl JpegQuality {
    /// V4L2_CID_JPEG_COMPRESSION_QUALITY.
    pub const ID: u32 = 0x009d_0903;

    /// The control among `controls`, if the camera has it as an integer.
    pub fn find(controls: &[ControlInfo]) -> Option<Self> {
        controls.iter().find_map(|c| match c.kind {
            ControlKind::Integer { min, max, .. } if c.id == Self::ID && max > min => {
                Some(JpegQuality { id: c.id, min, max })
            }
            _ => None,
        })
    }

    /// The control value for quality 1-100 (cameras mostly use 1-100 too).
    pub fn value(self, quality: u8) -> i64 {
        let q = i64::from(quality.clamp(1, 100));
        (self.min + (q - 1) * (self.max - self.min) / 99).clamp(self.min, self.max)
    }
}

impl std::fmt::Debug for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capture")
            .field("granted", &self.granted)
            .finish()
    }
}

/// What the device actually gave.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Granted {
    /// Pixel format.
    pub format: PixelFormat,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Bytes per row of the first plane.
    pub stride: u32,
    /// Frames per second (0 when the driver does not say).
    pub fps: f64,
    /// YUV samples in limited (16-235) range.
    pub limited_range: bool,
}

impl std::fmt::Display for Granted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}x{} at {} fps",
            self.format,
            self.width,
            self.height,
            super::format::show_fps(self.fps)
        )
    }
}

/// Opens `path`, sets the controls, negotiates format, size and rate, and starts streaming.
pub fn open(path: &Path, request: &Request, timeout: Duration) -> Result<Capture, OpenError> {
    // One open for both: reading what it offers and streaming.
    let dev = Device::with_path(path)?;
    let probe = describe(&dev)?;
    if !probe.captures {
        return Err(OpenError::NotCapture {
            driver: probe.driver,
        });
    }
    let Some(choice) = choose(&probe.offers(), request.width, request.height) else {
        let offered: Vec<&str> = probe.formats.iter().map(|f| f.fourcc.as_str()).collect();
        return Err(OpenError::NoUsableFormat {
            offered: if offered.is_empty() {
                "nothing".into()
            } else {
                offered.join(", ")
            },
        });
    };
    let infos = probe.control_infos();
    for setting in &request.controls {
        let (id, value) = resolve(setting, &infos)?;
        let value = match infos.iter().find(|c| c.id == id).map(|c| &c.kind) {
            Some(ControlKind::Boolean) => control::Value::Boolean(value != 0),
            _ => control::Value::Integer(value),
        };
        dev.set_control(control::Control { id, value })?;
    }
    let granted = negotiate(&dev, choice, request.fps)?;
    let mut stream = Stream::with_buffers(&dev, Type::VideoCapture, BUFFERS)?;
    stream.set_timeout(timeout);
    let jpeg_quality = JpegQuality::find(&infos);
    Ok(Capture {
        stream,
        granted,
        dev,
        jpeg_quality,
    })
}

fn negotiate(dev: &Device, choice: Choice, fps: u32) -> io::Result<Granted> {
    let fourcc = match choice.format {
        PixelFormat::Mjpeg => {
            // Ask with the code the device itself listed (MJPG or JPEG).
            let listed = dev
                .enum_formats()?
                .into_iter()
                .map(|d| d.fourcc)
                .find(|f| PixelFormat::from_fourcc(f.repr) == Some(PixelFormat::Mjpeg));
            listed.unwrap_or(FourCC::new(b"MJPG"))
        }
        other => FourCC::new(&other.fourcc()),
    };
    let format = dev.set_format(&Format::new(choice.width, choice.height, fourcc))?;
    // The driver may have picked another format than asked: read what it says.
    let granted_format = PixelFormat::from_fourcc(format.fourcc.repr).ok_or_else(|| {
        io::Error::other(format!(
            "the driver switched to format {} which pi-server cannot use",
            format.fourcc
        ))
    })?;
    // Without S_PARM some drivers run at their slowest rate (vivid: 5 fps).
    let params = dev
        .set_params(&Parameters::with_fps(fps.max(1)))
        .or_else(|_| dev.params());
    let fps = params
        .map(|p| {
            Interval {
                numerator: p.interval.numerator,
                denominator: p.interval.denominator,
            }
            .fps()
        })
        .unwrap_or(0.0);
    Ok(Granted {
        format: granted_format,
        width: format.width,
        height: format.height,
        stride: format.stride,
        fps,
        // V4L2's default for YCbCr is limited range, except in the JPEG colourspace.
        limited_range: match format.quantization {
            Quantization::LimitedRange => true,
            Quantization::FullRange => false,
            Quantization::Default => !matches!(format.colorspace, Colorspace::JPEG),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cameras_jpeg_quality_control_is_found_and_scaled() {
        let control = |id, min, max| ControlInfo {
            id,
            name: "compression_quality".into(),
            kind: ControlKind::Integer { min, max, step: 1 },
            default: 80,
        };
        assert_eq!(JpegQuality::find(&[control(0x0098_0900, 0, 255)]), None);
        let q = JpegQuality::find(&[control(JpegQuality::ID, 1, 100)]).unwrap();
        assert_eq!((q.value(1), q.value(30), q.value(100)), (1, 30, 100));
        // Some cameras count 0-10000.
        let q = JpegQuality::find(&[control(JpegQuality::ID, 0, 10_000)]).unwrap();
        assert_eq!((q.value(1), q.value(100), q.value(0)), (0, 10_000, 0));
    }
}
