//! `mjpeg-load`: N MJPEG clients against one server, with the figures the issue asks for.
//!
//! Every client opens the stream over plain TCP (HTTP/1.0, so no chunked encoding with any
//! server), splits it with the shared multipart parser and, for each frame, takes the
//! capture-to-receipt latency from `X-Timestamp` (pi-server, ustreamer, mjpg-streamer) or
//! from a JPEG comment holding the capture time (the recipe's stand-in camera). Frames are
//! counted only inside a measurement window that starts after a warm-up, so that the
//! connection ramp does not lower the rates. Given the server's PID, it also reads the
//! server's CPU time (`/proc/PID/stat`) over the same window and its peak RSS (`VmHWM`).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use bytes::BytesMut;
use clap::Parser as _;
use mjpeg_wire::multipart::{Parser, boundary_from_content_type};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Load-test an MJPEG-over-HTTP server with many clients.
#[derive(Debug, clap::Parser)]
#[command(name = "mjpeg-load", version)]
struct Cli {
    /// Stream URL (plain HTTP).
    #[arg(long, default_value = "http://127.0.0.1:8000/stream.mjpg")]
    url: String,
    /// Number of clients.
    #[arg(long, default_value_t = 10)]
    clients: usize,
    /// Seconds to measure.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Seconds of warm-up before measuring (clients connect and settle).
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// PID of the server, for its CPU time and peak memory (Linux /proc).
    #[arg(long)]
    pid: Option<u32>,
    /// A label for the report (e.g. "pi-server" or "recipe").
    #[arg(long, default_value = "")]
    label: String,
    /// Print one JSON object instead of a line of text.
    #[arg(long)]
    json: bool,
    /// Churn: each client hangs up after about this many seconds (0.5x to 1.5x, spread
    /// so that hang-ups are continuous) and connects again at once; for soak tests.
    #[arg(long, value_name = "SECONDS")]
    reconnect_every: Option<f64>,
}

#[derive(Debug, Default)]
struct ClientResult {
    connected: bool,
    /// Connections that got a 200 and a stream (more than one only with churn).
    connections: u64,
    error: Option<String>,
    frames: u64,
    bytes: u64,
    /// Capture-to-receipt latencies in microseconds, frames inside the window only.
    latencies_us: Vec<u64>,
    frames_without_time: u64,
}

#[derive(Debug, Serialize)]
struct Report {
    label: String,
    clients: usize,
    connected: usize,
    failed: usize,
    first_error: Option<String>,
    seconds: f64,
    fps_min: f64,
    fps_median: f64,
    fps_max: f64,
    frames_total: u64,
    /// Streams opened by all clients (with --reconnect-every, many per client).
    connections_total: u64,
    mbit_per_s_total: f64,
    latency_ms_p50: Option<f64>,
    latency_ms_p99: Option<f64>,
    latency_ms_max: Option<f64>,
    server_cpu_s: Option<f64>,
    server_cpu_pct_of_one_core: Option<f64>,
    server_peak_rss_mb: Option<f64>,
    frames_per_cpu_s: Option<f64>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    let report = runtime.block_on(load(&cli))?;
    if cli.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print_text(&report);
    }
    Ok(())
}

fn print_text(r: &Report) {
    let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}"));
    println!(
        "{} clients={} connected={} failed={} fps min/median/max={:.1}/{:.1}/{:.1} \
         latency p50/p99/max ms={}/{}/{} frames={} cpu={}% peak_rss_mb={} frames/cpu_s={}",
        r.label,
        r.clients,
        r.connected,
        r.failed,
        r.fps_min,
        r.fps_median,
        r.fps_max,
        ms(r.latency_ms_p50),
        ms(r.latency_ms_p99),
        ms(r.latency_ms_max),
        r.frames_total,
        ms(r.server_cpu_pct_of_one_core),
        ms(r.server_peak_rss_mb),
        r.frames_per_cpu_s.map_or("-".into(), |v| format!("{v:.0}")),
    );
    if let Some(e) = &r.first_error {
        println!("  first error: {e}");
    }
}

struct Target {
    host_port: String,
    path: String,
}

fn parse_url(url: &str) -> anyhow::Result<Target> {
    let Some(rest) = url.strip_prefix("http://") else {
        bail!("only http:// URLs are supported: {url}");
    };
    let (host_port, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    Ok(Target {
        host_port: host_port.to_string(),
        path: path.to_string(),
    })
}

async fn load(cli: &Cli) -> anyhow::Result<Report> {
    let target = Arc::new(parse_url(&cli.url)?);
    let start = Instant::now();
    let window_start = start + Duration::from_secs_f64(cli.warmup);
    let window_end = window_start + Duration::from_secs_f64(cli.duration);
    let churn = cli.reconnect_every.map(Duration::from_secs_f64);
    let tasks: Vec<_> = (0..cli.clients)
        .map(|i| {
            // Spread each client's hang-ups over 0.5x..1.5x, differently per client.
            let spread = churn.map(|c| (c, 0.5 + (i as f64 * 0.618_034) % 1.0));
            tokio::spawn(client(target.clone(), window_start, window_end, spread))
        })
        .collect();

    tokio::time::sleep_until(window_start.into()).await;
    let cpu_start = cli.pid.and_then(cpu_seconds);
    tokio::time::sleep_until(window_end.into()).await;
    let cpu_end = cli.pid.and_then(cpu_seconds);
    let peak_rss_mb = cli.pid.and_then(peak_rss_mb);

    let mut results = Vec::with_capacity(tasks.len());
    for t in tasks {
        results.push(t.await.unwrap_or_else(|e| ClientResult {
            error: Some(format!("client task failed: {e}")),
            ..ClientResult::default()
        }));
    }
    Ok(summarise(
        cli,
        &results,
        cpu_start.zip(cpu_end),
        peak_rss_mb,
    ))
}

fn summarise(
    cli: &Cli,
    results: &[ClientResult],
    cpu: Option<(f64, f64)>,
    peak_rss_mb: Option<f64>,
) -> Report {
    let secs = cli.duration;
    let mut fps: Vec<f64> = results.iter().map(|r| r.frames as f64 / secs).collect();
    fps.sort_by(f64::total_cmp);
    let mut lat: Vec<u64> = results
        .iter()
        .flat_map(|r| r.latencies_us.iter().copied())
        .collect();
    lat.sort_unstable();
    let pct = |p: f64| -> Option<f64> {
        if lat.is_empty() {
            return None;
        }
        let i = ((lat.len() - 1) as f64 * p).round() as usize;
        Some(lat[i.min(lat.len() - 1)] as f64 / 1000.0)
    };
    let frames_total: u64 = results.iter().map(|r| r.frames).sum();
    let bytes_total: u64 = results.iter().map(|r| r.bytes).sum();
    let cpu_s = cpu.map(|(a, b)| b - a);
    let connected = results.iter().filter(|r| r.connected).count();
    let median = if fps.is_empty() {
        0.0
    } else {
        fps[fps.len() / 2]
    };
    Report {
        label: cli.label.clone(),
        clients: cli.clients,
        connected,
        failed: results.iter().filter(|r| r.error.is_some()).count(),
        first_error: results.iter().find_map(|r| r.error.clone()),
        seconds: secs,
        fps_min: fps.first().copied().unwrap_or(0.0),
        fps_median: median,
        fps_max: fps.last().copied().unwrap_or(0.0),
        frames_total,
        connections_total: results.iter().map(|r| r.connections).sum(),
        mbit_per_s_total: bytes_total as f64 * 8.0 / 1e6 / secs,
        latency_ms_p50: pct(0.5),
        latency_ms_p99: pct(0.99),
        latency_ms_max: pct(1.0),
        server_cpu_s: cpu_s,
        server_cpu_pct_of_one_core: cpu_s.map(|c| c / secs * 100.0),
        server_peak_rss_mb: peak_rss_mb,
        frames_per_cpu_s: cpu_s.filter(|c| *c > 0.0).map(|c| frames_total as f64 / c),
    }
}

/// One client: connect, request, read parts until the window ends; with `churn`, hang
/// up every `period * factor` and connect again.
async fn client(
    target: Arc<Target>,
    window_start: Instant,
    window_end: Instant,
    churn: Option<(Duration, f64)>,
) -> ClientResult {
    let mut result = ClientResult::default();
    let mut factor = churn.map_or(1.0, |(_, f)| f);
    loop {
        let hang_up = match churn {
            Some((period, _)) => (Instant::now() + period.mul_f64(factor)).min(window_end),
            None => window_end,
        };
        let run = read_stream(&target, window_start, window_end, &mut result);
        match tokio::time::timeout_at(hang_up.into(), run).await {
            Ok(Err(e)) => {
                result.error.get_or_insert(format!("{e:#}"));
                return result;
            }
            Ok(Ok(())) => {
                result.error.get_or_insert("the stream ended early".into());
                return result;
            }
            Err(_) if hang_up >= window_end => return result, // the normal way out
            Err(_) => {}
        }
        // The next period differs: 0.5x..1.5x, stepping by the golden ratio.
        factor = 0.5 + (factor + 0.618_034) % 1.0;
    }
}

async fn read_stream(
    target: &Target,
    window_start: Instant,
    window_end: Instant,
    result: &mut ClientResult,
) -> anyhow::Result<()> {
    let mut stream = TcpStream::connect(&target.host_port)
        .await
        .with_context(|| format!("connect to {}", target.host_port))?;
    let _ = stream.set_nodelay(true);
    // HTTP/1.0: every server answers with a plain body, closed at its end.
    let request = format!(
        "GET {} HTTP/1.0\r\nHost: {}\r\nUser-Agent: mjpeg-load\r\n\r\n",
        target.path, target.host_port
    );
    stream.write_all(request.as_bytes()).await?;

    let mut buf = BytesMut::with_capacity(256 * 1024);
    let head_end = loop {
        if stream.read_buf(&mut buf).await? == 0 {
            bail!("connection closed before the response head");
        }
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 64 * 1024 {
            bail!("response head too long");
        }
    };
    let head = buf.split_to(head_end);
    let head = String::from_utf8_lossy(&head);
    let status_ok = head
        .lines()
        .next()
        .is_some_and(|l| l.split_whitespace().nth(1) == Some("200"));
    if !status_ok {
        bail!("{}", head.lines().next().unwrap_or("no status line"));
    }
    let boundary = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("content-type")
            .then(|| boundary_from_content_type(value.trim()))
            .flatten()
    });
    result.connected = true;
    result.connections += 1;

    let mut parser = Parser::new(boundary.as_deref());
    loop {
        if !buf.is_empty() {
            parser.push(buf.split().freeze());
        }
        loop {
            match parser.next_part() {
                Ok(Some(part)) => {
                    let now = Instant::now();
                    let received = SystemTime::now();
                    if now < window_start || now >= window_end || part.body().is_empty() {
                        continue;
                    }
                    result.frames += 1;
                    result.bytes += part.body().len() as u64;
                    let captured = part.timestamp().or_else(|| comment_time(part.body()));
                    match captured.and_then(|c| received.duration_since(c).ok()) {
                        Some(latency) => result.latencies_us.push(latency.as_micros() as u64),
                        None => result.frames_without_time += 1,
                    }
                }
                Ok(None) => break,
                Err(e) if e.is_recoverable() => {}
                Err(e) => bail!("stream unreadable: {e}"),
            }
        }
        if buf.capacity() - buf.len() < 32 * 1024 {
            buf.reserve(256 * 1024);
        }
        if stream.read_buf(&mut buf).await? == 0 {
            return Ok(());
        }
    }
}

/// The capture time the recipe's stand-in camera writes in a COM segment right after SOI:
/// seconds since the epoch in ASCII.
fn comment_time(jpeg: &[u8]) -> Option<SystemTime> {
    if jpeg.get(..4)? != [0xFF, 0xD8, 0xFF, 0xFE] {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([*jpeg.get(4)?, *jpeg.get(5)?]));
    let text = std::str::from_utf8(jpeg.get(6..4 + len)?).ok()?;
    let secs: f64 = text.trim().parse().ok()?;
    UNIX_EPOCH.checked_add(Duration::try_from_secs_f64(secs).ok()?)
}

/// CPU seconds a process has run, to the nanosecond: the sum of its threads' run times
/// (`/proc/PID/task/*/schedstat`). A light server at one client uses a few clock ticks in a
/// window, too few to count in `/proc/PID/stat`'s 1/100 s; threads that end inside the
/// window are not counted (the servers measured keep theirs for a connection's life).
/// Falls back to the ticks where schedstat is absent.
fn cpu_seconds(pid: u32) -> Option<f64> {
    schedstat_seconds(pid).or_else(|| tick_seconds(pid))
}

/// The sum of a process's threads' run times, from the first field of each schedstat.
fn schedstat_seconds(pid: u32) -> Option<f64> {
    let mut ns = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let path = task.ok()?.path().join("schedstat");
        // A thread may end between the listing and the read: it adds nothing.
        if let Ok(text) = std::fs::read_to_string(path) {
            ns += text.split_whitespace().next()?.parse::<u64>().ok()?;
        }
    }
    Some(ns as f64 / 1e9)
}

/// User plus system CPU seconds of a process (fields 14 and 15 of /proc/PID/stat, in
/// clock ticks of 1/100 s, the value of USER_HZ on Linux).
fn tick_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; fields are counted after its closing parenthesis.
    let after = stat.get(stat.rfind(')')? + 2..)?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Peak resident memory (VmHWM) in MB.
fn peak_rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn urls_split_into_address_and_path() {
        let t = parse_url("http://127.0.0.1:8000/stream.mjpg?fps=5").unwrap();
        assert_eq!(
            (t.host_port.as_str(), t.path.as_str()),
            ("127.0.0.1:8000", "/stream.mjpg?fps=5")
        );
        assert!(parse_url("https://x/").is_err());
    }

    #[test]
    fn the_recipes_comment_timestamp_is_read() {
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xFE, 0x00, 0x13];
        jpeg.extend_from_slice(b"1795537740.085823");
        jpeg.extend_from_slice(&[0xFF, 0xD9]);
        let t = comment_time(&jpeg).unwrap();
        let secs = t.duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
        assert!((secs - 1_795_537_740.085_823).abs() < 1e-3);
        assert_eq!(comment_time(&[0xFF, 0xD8, 0xFF, 0xE0]), None);
    }

    #[test]
    fn proc_stat_fields_are_found_after_the_name() {
        // This process exists and has used some CPU time (possibly zero ticks).
        assert!(cpu_seconds(std::process::id()).is_some());
        assert!(schedstat_seconds(std::process::id()).is_some_and(|s| s > 0.0));
        assert!(tick_seconds(std::process::id()).is_some());
        assert!(peak_rss_mb(std::process::id()).is_some_and(|mb| mb > 0.0));
    }
}
