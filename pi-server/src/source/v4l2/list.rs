//! `pi-server --list-devices`, and the device `--source auto` picks.

use std::fmt::Write as _;
use std::path::PathBuf;

use super::PixelFormat;
use super::controls::describe;
use super::device::{Probe, device_nodes, probe};
use super::format::{Offer, Sizes, choose, show_fps};

/// The capture device `--source auto` uses for `width` x `height`: the first, in
/// `/dev/videoN` order, that offers MJPEG at that very size (passed through, the cheapest),
/// else the first that offers MJPEG or a raw format we can encode.
pub fn auto_device(width: u32, height: u32) -> Option<PathBuf> {
    pick_auto(&usable(&probes()), width, height)
}

/// Each capture device with what we can use of it.
fn usable(all: &[(PathBuf, Result<Probe, String>)]) -> Vec<(PathBuf, Vec<Offer>)> {
    all.iter()
        .filter_map(|(path, probe)| Some((path.clone(), probe.as_ref().ok()?.offers())))
        .filter(|(_, offers)| !offers.is_empty())
        .collect()
}

fn pick_auto(devices: &[(PathBuf, Vec<Offer>)], width: u32, height: u32) -> Option<PathBuf> {
    let mjpeg_at_size = |offers: &[Offer]| {
        let mjpeg: Vec<Offer> = offers
            .iter()
            .filter(|o| o.format == PixelFormat::Mjpeg)
            .cloned()
            .collect();
        choose(&mjpeg, width, height).is_some_and(|c| (c.width, c.height) == (width, height))
    };
    devices
        .iter()
        .find(|(_, offers)| mjpeg_at_size(offers))
        .or_else(|| devices.first())
        .map(|(path, _)| path.clone())
}

fn probes() -> Vec<(PathBuf, Result<Probe, String>)> {
    device_nodes()
        .into_iter()
        .map(|path| {
            // The v4l crate can panic on odd driver answers; a listing must go on.
            let probed = std::panic::catch_unwind(|| probe(&path))
                .map_err(|_| "the V4L2 library failed on this device".to_string())
                .and_then(|r| r.map_err(|e| e.to_string()));
            (path, probed)
        })
        .collect()
}

/// Every video device with its formats, sizes, rates and controls, as text for people;
/// and the one `--source auto` takes for `width` x `height`.
pub fn list_devices(width: u32, height: u32) -> String {
    let mut out = String::new();
    let all = probes();
    let auto = pick_auto(&usable(&all), width, height);
    if all.is_empty() {
        out.push_str("No video devices (/dev/video*) found.\n");
    }
    for (path, probe) in &all {
        let _ = writeln!(out, "{}", path.display());
        match probe {
            Err(e) => {
                let _ = writeln!(out, "  cannot open: {e}");
            }
            Ok(p) if !p.captures => {
                let _ = writeln!(out, "  {} ({}): not a capture device", p.card, p.driver);
            }
            Ok(p) => write_probe(&mut out, p),
        }
    }
    match auto {
        Some(path) => {
            let _ = writeln!(
                out,
                "\n--source auto uses {} (for {width}x{height}: --size changes the choice)",
                path.display()
            );
        }
        None => {
            out.push_str("\n--source auto finds no usable camera and streams the test pattern\n");
        }
    }
    out
}

fn write_probe(out: &mut String, p: &Probe) {
    // Two cameras of one model differ in where they are plugged in.
    let _ = writeln!(out, "  {} ({}) at {}", p.card, p.driver, p.bus);
    let _ = writeln!(out, "  formats:");
    for f in &p.formats {
        let how = match f.usable {
            Some(super::PixelFormat::Mjpeg) => "passed through",
            Some(_) => "encoded",
            None => "not supported",
        };
        let _ = writeln!(out, "    {} ({}): {how}", f.fourcc, f.description);
        if f.usable.is_none() {
            continue;
        }
        match &f.sizes {
            Sizes::Discrete(list) => {
                for (i, (w, h)) in list.iter().enumerate() {
                    let rates: Vec<String> = f
                        .rates
                        .get(i)
                        .into_iter()
                        .flatten()
                        .map(|r| show_fps(*r))
                        .collect();
                    let _ = writeln!(out, "      {w}x{h} at {} fps", rates.join(", "));
                }
            }
            Sizes::Stepwise { min, max, step } => {
                let _ = writeln!(
                    out,
                    "      {}x{} to {}x{} in steps of {}x{}",
                    min.0, min.1, max.0, max.1, step.0, step.1
                );
            }
            Sizes::Unknown => {
                let _ = writeln!(out, "      (sizes not listed by the driver)");
            }
        }
    }
    if p.controls.is_empty() {
        let _ = writeln!(out, "  controls: none");
    } else {
        let _ = writeln!(out, "  controls (--control NAME=VALUE):");
        for (c, current) in &p.controls {
            let _ = writeln!(out, "    {}", describe(c, *current));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(n: u32, offers: &[(PixelFormat, &[(u32, u32)])]) -> (PathBuf, Vec<Offer>) {
        let offers = offers
            .iter()
            .map(|(format, sizes)| Offer {
                format: *format,
                sizes: Sizes::Discrete(sizes.to_vec()),
            })
            .collect();
        (PathBuf::from(format!("/dev/video{n}")), offers)
    }

    #[test]
    fn auto_prefers_the_camera_offering_mjpeg_at_the_asked_size() {
        let yuyv = PixelFormat::Raw(crate::source::raw::RawFormat::Yuyv);
        // vivid first (raw only), the webcam second (MJPEG at 640x480 and 1280x720).
        let devices = [
            device(0, &[(yuyv, &[(640, 480), (1280, 720)])]),
            device(3, &[(PixelFormat::Mjpeg, &[(640, 480), (1280, 720)])]),
        ];
        assert_eq!(pick_auto(&devices, 640, 480), Some("/dev/video3".into()));
        // No camera has MJPEG at 1920x1080: the first usable one, as before.
        assert_eq!(pick_auto(&devices, 1920, 1080), Some("/dev/video0".into()));
        assert_eq!(pick_auto(&[], 640, 480), None);
    }
}
