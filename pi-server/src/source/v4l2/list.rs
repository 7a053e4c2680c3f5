//! `pi-server --list-devices`, and the device `--source auto` picks.

use std::fmt::Write as _;
use std::path::PathBuf;

use super::controls::describe;
use super::device::{Probe, device_nodes, probe};
use super::format::{Sizes, show_fps};

/// The capture device `--source auto` uses: the first, in `/dev/videoN` order, that offers
/// MJPEG or a raw format we can encode.
pub fn auto_device() -> Option<PathBuf> {
    probes().into_iter().find_map(|(path, probe)| {
        let usable = probe.ok()?.offers();
        (!usable.is_empty()).then_some(path)
    })
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

/// Every video device with its formats, sizes, rates and controls, as text for people.
pub fn list_devices() -> String {
    let mut out = String::new();
    let all = probes();
    let auto = all.iter().find_map(|(path, probe)| {
        probe
            .as_ref()
            .ok()
            .filter(|p| !p.offers().is_empty())
            .map(|_| path.clone())
    });
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
            let _ = writeln!(out, "\n--source auto uses {}", path.display());
        }
        None => {
            out.push_str("\n--source auto finds no usable camera and streams the test pattern\n");
        }
    }
    out
}

fn write_probe(out: &mut String, p: &Probe) {
    let _ = writeln!(out, "  {} ({})", p.card, p.driver);
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
