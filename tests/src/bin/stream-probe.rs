//! `stream-probe`: reads one MJPEG stream over a single connection and reports, second by
//! second, how many frames decoded and how many were pi-server's "no signal" card.
//!
//! Small and dependency-light on purpose: the V4L2 test (`scripts/v4l2-vm-test.sh`) runs
//! it inside a tiny VM next to pi-server and a real V4L2 device, where there is no curl, no
//! ffmpeg and no Python. It speaks HTTP/1.0 over a plain socket (so the body is never
//! chunked), parses parts with the shared wire crate, and decodes the JPEGs with zune-jpeg
//! (every one, or one in `--decode-every`). It never reconnects: every frame it reports came over the same connection.
//! With `--match DIR` (the UVC test, `scripts/uvc-vm-test.sh`) it also checks that every
//! live frame is, byte for byte, one of the camera's source files (with the standard
//! Huffman tables inserted where a file has none, as pi-server does), and in the order the
//! camera sent them. Output is one JSON object on stdout (with the time from the request to the first
//! frame, and each second's mean luma).

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use bytes::Bytes;
use clap::Parser as _;
use mjpeg_wire::jpeg;
use mjpeg_wire::multipart::{Parser, boundary_from_content_type};
use serde_json::json;
use zune_jpeg::JpegDecoder;
use zune_jpeg::zune_core::bytestream::ZCursor;

/// The comment pi-server puts in its "no signal" frames.
const NO_SIGNAL: &[u8] = b"pi-server: no signal";

/// Read an MJPEG stream for a while and report per-second frame counts.
#[derive(Debug, clap::Parser)]
#[command(name = "stream-probe", about)]
struct Cli {
    /// Host and port, e.g. 127.0.0.1:8000.
    #[arg(long, default_value = "127.0.0.1:8000")]
    addr: String,
    /// Path of the stream.
    #[arg(long, default_value = "/stream.mjpg")]
    path: String,
    /// Seconds to read.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Decode one frame in N and check the others' structure only (SOI, frame header,
    /// EOI): in an emulated VM, decoding every 720p frame takes the CPU the server needs.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    decode_every: u32,
    /// Seconds to keep trying to connect (the server may still be starting).
    #[arg(long, default_value_t = 10.0)]
    connect_for: f64,
    /// A directory of the JPEG files the camera sends in a loop, in name order: report how
    /// many live frames are one of them, and whether they came in that order.
    #[arg(long)]
    r#match: Option<std::path::PathBuf>,
    /// Write the first `--save-frames` live frames to this file, concatenated.
    #[arg(long)]
    save: Option<std::path::PathBuf>,
    /// Report each second's mean luma of the live frames decoded (for checks of a
    /// camera's brightness); off by default, as it costs the emulated CPU of a VM.
    #[arg(long)]
    luma: bool,
    /// How many frames `--save` keeps.
    #[arg(long, default_value_t = 4)]
    save_frames: usize,
}

/// Live frames compared with the camera's source files.
#[derive(Debug, Default, serde::Serialize)]
struct Matches {
    /// Frames equal to a source file.
    matched: u64,
    /// Frames equal to none.
    unmatched: u64,
    /// Source files passed over between two matched frames (going forward in the loop).
    skipped: u64,
    /// Matched frames that came before the one received just ahead of them.
    backwards: u64,
    #[serde(skip)]
    files: Vec<Vec<u8>>,
    #[serde(skip)]
    last: Option<usize>,
}

impl Matches {
    fn load(dir: &std::path::Path) -> anyhow::Result<Self> {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "jpg"))
            .collect();
        names.sort();
        let files = names
            .iter()
            .map(|p| {
                let file = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
                Ok(jpeg::with_standard_huffman_tables(&file).into_owned())
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        if files.is_empty() {
            bail!("no .jpg files in {}", dir.display());
        }
        Ok(Matches {
            files,
            ..Matches::default()
        })
    }

    fn check(&mut self, frame: &[u8]) {
        let Some(i) = self.files.iter().position(|f| f == frame) else {
            self.unmatched += 1;
            return;
        };
        self.matched += 1;
        if let Some(last) = self.last {
            let n = self.files.len();
            // Steps of more than half the loop are read as going back.
            let step = (i + n - last) % n;
            if step == 0 || step > n / 2 {
                self.backwards += 1;
            } else {
                self.skipped += (step - 1) as u64;
            }
        }
        self.last = Some(i);
    }
}

#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
struct Second {
    /// Live frames that decoded.
    live: u32,
    /// "No signal" frames that decoded.
    no_signal: u32,
    /// Frames that did not decode (or, when not decoded, are not whole JPEGs).
    bad: u32,
    /// Frames that were decoded (the others had their structure checked).
    decoded: u32,
    /// Mean luma (0-255, BT.601 weights) of the live frames decoded in this second: what
    /// a camera's brightness control changes (`null` when none was decoded).
    luma: Option<f64>,
    #[serde(skip)]
    luma_frames: u32,
}

impl Second {
    /// Takes a live frame's mean luma into the second's mean.
    fn add_luma(&mut self, luma: f64) {
        self.luma_frames += 1;
        let mean = self.luma.unwrap_or(0.0);
        self.luma = Some(mean + (luma - mean) / f64::from(self.luma_frames));
    }
}

/// Mean luma of RGB pixels, over one pixel in 7 (plenty for a mean, and 7 is prime to
/// any row length a camera has, so the samples spread over every column).
fn mean_luma(rgb: &[u8]) -> f64 {
    let samples: Vec<f64> = rgb
        .chunks_exact(3)
        .step_by(7)
        .map(|p| 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]))
        .collect();
    if samples.is_empty() {
        return 0.0;
    }
    samples.iter().sum::<f64>() / samples.len() as f64
}

fn main() {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(report) => println!("{report}"),
        Err(e) => {
            println!("{}", json!({ "error": format!("{e:#}") }));
            std::process::exit(1);
        }
    }
}

fn connect(cli: &Cli) -> anyhow::Result<TcpStream> {
    let deadline = Instant::now() + Duration::from_secs_f64(cli.connect_for);
    loop {
        match TcpStream::connect(&cli.addr) {
            Ok(s) => return Ok(s),
            Err(_) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(e) => return Err(e).with_context(|| format!("cannot connect to {}", cli.addr)),
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<serde_json::Value> {
    let mut socket = connect(cli)?;
    socket.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        socket,
        "GET {} HTTP/1.0\r\nHost: {}\r\n\r\n",
        cli.path, cli.addr
    )?;
    // The response head, byte by byte up to the blank line (it is short).
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if socket.read(&mut byte)? == 0 {
            bail!("the server closed the connection before its response head ended");
        }
        head.push(byte[0]);
        if head.len() > 16 * 1024 {
            bail!("response head over 16 KiB");
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let status = head.lines().next().unwrap_or_default().to_string();
    if !status.contains(" 200") {
        bail!("the server answered {status:?}");
    }
    let content_type = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-type")
                .then(|| value.trim().to_string())
        })
        .unwrap_or_default();
    let boundary = boundary_from_content_type(&content_type);
    let mut parser = Parser::new(boundary.as_deref());

    let start = Instant::now();
    let mut first_frame_ms = None;
    let end = start + Duration::from_secs_f64(cli.seconds);
    let mut seconds: Vec<Second> = vec![Second::default(); cli.seconds.ceil() as usize];
    let mut sizes = std::collections::BTreeSet::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut closed = false;
    let mut count = 0u64;
    let mut matches = cli.r#match.as_deref().map(Matches::load).transpose()?;
    let mut saved = Vec::new();
    let mut saved_frames = 0;
    while Instant::now() < end {
        let n = match socket.read(&mut buf) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(n) => n,
            Err(e) => return Err(e).context("reading the stream"),
        };
        parser.push(Bytes::copy_from_slice(&buf[..n]));
        while let Some(part) = parser.next_part().transpose() {
            let Ok(part) = part else { continue };
            let body = part.body();
            if body.is_empty() {
                continue;
            }
            first_frame_ms.get_or_insert(start.elapsed().as_secs_f64() * 1000.0);
            let slot = ((start.elapsed().as_secs_f64()) as usize).min(seconds.len() - 1);
            let second = &mut seconds[slot];
            count += 1;
            let mut luma = None;
            let checked = if count.is_multiple_of(u64::from(cli.decode_every)) {
                second.decoded += 1;
                let mut decoder = JpegDecoder::new(ZCursor::new(&body[..]));
                let pixels = decoder.decode().ok();
                luma = pixels.as_deref().filter(|_| cli.luma).map(mean_luma);
                pixels.and_then(|_| decoder.dimensions())
            } else {
                jpeg::info(body)
                    .ok()
                    .filter(|_| body.ends_with(b"\xFF\xD9"))
                    .map(|i| (usize::from(i.width), usize::from(i.height)))
            };
            match checked {
                Some((w, h)) => {
                    sizes.insert(format!("{w}x{h}"));
                    if body
                        .windows(NO_SIGNAL.len())
                        .take(64)
                        .any(|w| w == NO_SIGNAL)
                    {
                        second.no_signal += 1;
                    } else {
                        second.live += 1;
                        if let Some(l) = luma {
                            second.add_luma(l);
                        }
                        if let Some(m) = matches.as_mut() {
                            m.check(body);
                        }
                        if cli.save.is_some() && saved_frames < cli.save_frames {
                            saved.extend_from_slice(body);
                            saved_frames += 1;
                        }
                    }
                }
                None => second.bad += 1,
            }
        }
    }
    if let Some(path) = &cli.save {
        std::fs::write(path, &saved).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(json!({
        "match": matches,
        "first_frame_ms": first_frame_ms,
        "status": status,
        "content_type": content_type,
        "closed_early": closed,
        "sizes": sizes,
        "seconds": seconds,
    }))
}
