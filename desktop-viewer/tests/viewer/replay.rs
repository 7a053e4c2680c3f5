//! A small, real HTTP server that replays fixture captures (`<name>.headers` is the
//! response head as received, `<name>.body` the body with any transfer encoding removed).
//!
//! Each accepted connection follows the next entry of a script (the last entry repeats), so
//! a test can say "first a stream that stalls, then a healthy one".

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/tests/fixtures");

/// The fixture captures, by name.
pub const SEED_RECIPE: &str = "seed-recipe";
pub const FFMPEG_MPJPEG: &str = "ffmpeg-mpjpeg";
pub const FFMPEG_BOUNDARY_TAG: &str = "ffmpeg-boundary-tag";
pub const ALL_FIXTURES: [&str; 3] = [SEED_RECIPE, FFMPEG_MPJPEG, FFMPEG_BOUNDARY_TAG];

/// Frames in each fixture (`expected.json`).
pub const FIXTURE_FRAMES: u64 = 95;

/// The original recipe's frame rate (`PiCamera(framerate=24)`).
pub const SEED_RECIPE_FPS: u32 = 24;

/// `pi:secret` in basic auth.
pub const BASIC_PI_SECRET: &str = "Basic cGk6c2VjcmV0";

/// What happens after a fixture's body has been sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// End the body properly and close.
    Close,
    /// Keep the connection open and send nothing more (a stalled camera).
    Hang,
    /// Send only the first half of the body, then reset the connection (RST).
    ResetHalfway,
    /// Send only the first half of the body, then close the connection cleanly (FIN).
    CloseHalfway,
}

/// How one connection is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behavior {
    /// Replay the fixture `name`.
    Fixture { name: &'static str, then: After },
    /// Replay the fixture `name` (not chunked) as a live server sent it: one part every
    /// 1/`fps` s, each part's bytes as captured; then stall.
    Live { name: &'static str, fps: u32 },
    /// Answer with an HTML page (whose picture is `stream.mjpg`), whatever the path.
    Html,
    /// A server with one stream, at `stream_path` (the seed recipe, live at 24 fps), a page
    /// at `/` that does not say where it is (as ustreamer's), and 404 for anything else.
    Site { stream_path: &'static str },
    /// Ask for credentials unless `pi:secret` is sent; then replay the seed recipe.
    NeedsAuth,
    /// Declare a 100 MB part, then stall.
    Oversized,
    /// Answer with this status and no body.
    Status(u16),
    /// Ten of the seed recipe's frames with an undecodable JPEG after the second and
    /// garbage after the fourth, then stall.
    WithCorruption,
    /// Ten of the seed recipe's frames whose Content-Length lies: half the real length
    /// for the third, 5000 bytes too many (swallowing the next part's start) for the
    /// sixth; then stall.
    LyingLengths,
    /// A part with no Content-Length whose boundary never comes: `bytes` of filler.
    EndlessPart { bytes: usize },
}

/// A replay server; dropping it closes the listener and every connection.
pub struct ReplayServer {
    addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
    accepted: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl ReplayServer {
    /// Starts on a free port of 127.0.0.1.
    pub fn start(script: Vec<Behavior>) -> Self {
        Self::start_on("127.0.0.1:0".parse().unwrap(), script)
    }

    /// Starts on `addr` (a restarted server reuses its old port).
    pub fn start_on(addr: SocketAddr, script: Vec<Behavior>) -> Self {
        assert!(!script.is_empty());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        // A port given back can be taken meanwhile as another test's client port, for a
        // moment: a restarted server waits for it, as a real one restarted by systemd would.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let listener = loop {
            match runtime.block_on(TcpListener::bind(addr)) {
                Ok(l) => break l,
                Err(e)
                    if e.kind() == std::io::ErrorKind::AddrInUse
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => panic!("cannot listen on {addr}: {e}"),
            }
        };
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(script);
        let (acc, reqs) = (accepted.clone(), requests.clone());
        runtime.spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let n = acc.fetch_add(1, Ordering::SeqCst);
                let behavior = script[n.min(script.len() - 1)].clone();
                let reqs = reqs.clone();
                tokio::spawn(async move {
                    // Errors only mean the viewer went away; that is its right.
                    let _ = serve(socket, behavior, reqs).await;
                });
            }
        });
        ReplayServer {
            addr,
            runtime: Some(runtime),
            accepted,
            requests,
        }
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR/stream.mjpg`.
    pub fn url(&self) -> String {
        format!("http://{}/stream.mjpg", self.addr)
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Request heads received so far.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// Stops at once: the listener and every open connection are closed.
    pub fn shutdown(mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl Drop for ReplayServer {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// Reads the fixture `name` as (head, body).
pub fn fixture(name: &str) -> (Vec<u8>, Vec<u8>) {
    let head = std::fs::read(format!("{FIXTURES}/{name}.headers")).unwrap();
    let body = std::fs::read(format!("{FIXTURES}/{name}.body")).unwrap();
    (head, body)
}

/// The non-empty JPEGs of fixture `name`, in order.
pub fn fixture_frames(name: &str) -> Vec<bytes::Bytes> {
    let (head, body) = fixture(name);
    let head = String::from_utf8_lossy(&head).into_owned();
    let boundary = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Type: "))
        .and_then(mjpeg_wire::multipart::boundary_from_content_type);
    let mut parser = mjpeg_wire::multipart::Parser::new(boundary.as_deref());
    parser.push(body.into());
    std::iter::from_fn(|| parser.next_part().unwrap())
        .map(|p| p.into_body())
        .filter(|b| !b.is_empty())
        .collect()
}

async fn read_request(socket: &mut TcpStream) -> std::io::Result<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
        let n = socket.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

async fn serve(
    mut socket: TcpStream,
    behavior: Behavior,
    requests: Arc<Mutex<Vec<String>>>,
) -> std::io::Result<()> {
    let request = read_request(&mut socket).await?;
    requests.lock().unwrap().push(request.clone());
    match behavior {
        Behavior::Site { stream_path } => {
            let target = request.split_whitespace().nth(1).unwrap_or_default();
            if target == stream_path {
                let live = Behavior::Live {
                    name: SEED_RECIPE,
                    fps: SEED_RECIPE_FPS,
                };
                Box::pin(serve_behavior(&mut socket, live, &request)).await
            } else if target == "/" {
                let page =
                    "<!DOCTYPE html><html><body><a href=\"/snapshot\">snapshot</a></body></html>";
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{page}",
                    page.len()
                );
                socket.write_all(head.as_bytes()).await
            } else {
                let status = Behavior::Status(404);
                Box::pin(serve_behavior(&mut socket, status, &request)).await
            }
        }
        other => serve_behavior(&mut socket, other, &request).await,
    }
}

async fn serve_behavior(
    socket: &mut TcpStream,
    behavior: Behavior,
    request: &str,
) -> std::io::Result<()> {
    match behavior {
        Behavior::Site { .. } => unreachable!("routed in serve"),
        Behavior::Fixture { name, then } => replay(socket, name, then).await,
        Behavior::Live { name, fps } => {
            let (head, body) = fixture(name);
            let head_text = String::from_utf8_lossy(&head);
            assert!(
                !head_text.to_ascii_lowercase().contains("chunked"),
                "{name} is chunked"
            );
            let boundary = head_text
                .lines()
                .find_map(|l| l.strip_prefix("Content-Type: "))
                .and_then(mjpeg_wire::multipart::boundary_from_content_type)
                .unwrap();
            socket.write_all(&head).await?;
            let mut pace = tokio::time::interval(Duration::from_secs(1) / fps);
            for part in raw_parts(&body, &boundary) {
                pace.tick().await;
                socket.write_all(part).await?;
            }
            std::future::pending().await
        }
        Behavior::NeedsAuth => {
            let authorized = request
                .lines()
                .any(|l| l.eq_ignore_ascii_case(&format!("authorization: {BASIC_PI_SECRET}")));
            if authorized {
                replay(socket, SEED_RECIPE, After::Hang).await
            } else {
                socket
                    .write_all(
                        b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"Pi Camera\"\r\n\
                          Content-Length: 0\r\nConnection: close\r\n\r\n",
                    )
                    .await
            }
        }
        Behavior::Html => {
            let page = b"<!DOCTYPE html><html><body><img src=\"stream.mjpg\"></body></html>";
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n",
                page.len()
            );
            socket.write_all(head.as_bytes()).await?;
            socket.write_all(page).await
        }
        Behavior::Oversized => {
            socket
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=FRAME\r\n\
                      Connection: close\r\n\r\n--FRAME\r\nContent-Type: image/jpeg\r\n\
                      Content-Length: 104857600\r\n\r\n\xff\xd8",
                )
                .await?;
            std::future::pending().await
        }
        Behavior::WithCorruption => {
            let w = start_stream(socket).await?;
            let now = std::time::SystemTime::now();
            for (i, jpeg) in fixture_frames(SEED_RECIPE).iter().take(10).enumerate() {
                socket.write_all(&w.part_head(jpeg.len(), now)).await?;
                socket.write_all(jpeg).await?;
                if i == 3 {
                    // Bytes after the declared length, before the delimiter: garbage.
                    socket.write_all(b"line noise").await?;
                }
                socket.write_all(&w.part_end()).await?;
                if i == 1 {
                    // A part that starts like a JPEG and is not one.
                    let bad = b"\xff\xd8\xff\xe0 not really a JPEG";
                    socket.write_all(&w.part_head(bad.len(), now)).await?;
                    socket.write_all(bad).await?;
                    socket.write_all(&w.part_end()).await?;
                }
                // Paced, so that every part reaches the decoder rather than being replaced.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            std::future::pending().await
        }
        Behavior::LyingLengths => {
            let w = start_stream(socket).await?;
            let now = std::time::SystemTime::now();
            for (i, jpeg) in fixture_frames(SEED_RECIPE).iter().take(10).enumerate() {
                let declared = match i {
                    2 => jpeg.len() / 2,
                    5 => jpeg.len() + 5000,
                    _ => jpeg.len(),
                };
                socket.write_all(&w.part_head(declared, now)).await?;
                socket.write_all(jpeg).await?;
                socket.write_all(&w.part_end()).await?;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            std::future::pending().await
        }
        Behavior::EndlessPart { bytes } => {
            socket
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=FRAME\r\n\
                      Connection: close\r\n\r\n--FRAME\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8",
                )
                .await?;
            let filler = vec![0x55u8; 64 * 1024];
            let mut sent = 0;
            while sent < bytes {
                socket.write_all(&filler).await?;
                sent += filler.len();
            }
            std::future::pending().await
        }
        Behavior::Status(code) => {
            let head = format!(
                "HTTP/1.1 {code} Whatever\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            socket.write_all(head.as_bytes()).await
        }
    }
}

/// `body` cut before each delimiter line of `boundary`: each piece one part as it was sent
/// (delimiter, headers, data), the bytes untouched.
fn raw_parts<'a>(body: &'a [u8], boundary: &str) -> Vec<&'a [u8]> {
    let delimiter = format!("--{boundary}\r\n");
    let mut starts: Vec<usize> = (0..body.len())
        .filter(|&i| {
            body[i..].starts_with(delimiter.as_bytes()) && (i == 0 || body[..i].ends_with(b"\r\n"))
        })
        .collect();
    starts.push(body.len());
    starts.windows(2).map(|w| &body[w[0]..w[1]]).collect()
}

/// Writes a stream's response head and opening delimiter with pi-server's writer, for
/// the behaviours that then write parts of their own making.
async fn start_stream(socket: &mut TcpStream) -> std::io::Result<mjpeg_wire::multipart::Writer> {
    let w = mjpeg_wire::multipart::Writer::default();
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nConnection: close\r\n\r\n",
        w.content_type()
    );
    socket.write_all(head.as_bytes()).await?;
    socket.write_all(&w.opening()).await?;
    Ok(w)
}

/// Writes the fixture as it was received: the head verbatim, the body chunk-encoded again if
/// the head says so, in 8 KiB pieces with a short pause between them (a live stream, not
/// one burst).
async fn replay(socket: &mut TcpStream, name: &str, then: After) -> std::io::Result<()> {
    let (head, body) = fixture(name);
    let chunked = String::from_utf8_lossy(&head)
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    socket.write_all(&head).await?;
    let body = match then {
        After::ResetHalfway | After::CloseHalfway => &body[..body.len() / 2],
        _ => &body[..],
    };
    for piece in body.chunks(8 * 1024) {
        if chunked {
            socket
                .write_all(format!("{:x}\r\n", piece.len()).as_bytes())
                .await?;
            socket.write_all(piece).await?;
            socket.write_all(b"\r\n").await?;
        } else {
            socket.write_all(piece).await?;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    match then {
        After::Close => {
            if chunked {
                socket.write_all(b"0\r\n\r\n").await?;
            }
            socket.shutdown().await
        }
        After::Hang => std::future::pending().await,
        // Mid-frame, and no end of the chunked body either: the stream just stops.
        After::CloseHalfway => socket.shutdown().await,
        After::ResetHalfway => {
            // SO_LINGER 0: close() sends RST instead of FIN.
            socket.set_zero_linger()?;
            Ok(())
        }
    }
}
