//! The server's life: bind, accept, serve each connection, and stop in bounded time.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use mjpeg_wire::multipart::Writer;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use crate::announce::{self, Facts, Presence};
use crate::broadcast::Broadcast;
use crate::config::Config;
use crate::controls::{Controls, StreamSettings};
use crate::error::Error;
use crate::http::backlog::CountingIo;
use crate::http::{self, AppState, ConnWatch};
use crate::publish::Publisher;
use crate::shutdown::{self, GRACE};
use crate::source::{self, Running};
use crate::stats::Stats;

/// Listen backlog. Linux silently caps it at `net.core.somaxconn` (4096 on current
/// kernels), so this asks for the system's maximum. The recipe's 5 (and mjpg-streamer's 10)
/// make a burst of clients time out while connecting.
const LISTEN_BACKLOG: u32 = 65_535;

/// Most header lines in a request; more are answered 431. Browsers send about 20.
pub const MAX_HEADERS: usize = 64;

/// Most bytes in a request head (request line and headers); more are answered 431.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

/// How long a refused connection (over `--max-connections`) gets to take its 503.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(2);

/// How long the source gets to stop after the connections are done.
const SOURCE_GRACE: Duration = Duration::from_millis(250);

/// Binds a listener on `addr` with the system's largest backlog. Must be called inside a
/// tokio runtime.
pub fn bind(addr: SocketAddr) -> Result<TcpListener, Error> {
    let fail = |source: io::Error| {
        if source.kind() == io::ErrorKind::AddrInUse {
            let port = addr
                .port()
                .checked_add(1)
                .filter(|p| *p > 1)
                .unwrap_or(8001);
            Error::AddrInUse {
                addr,
                suggestion: SocketAddr::new(addr.ip(), port),
            }
        } else {
            Error::Listen {
                addr,
                cause: source,
            }
        }
    };
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(fail)?;
    // Lets a restarted server bind while old connections sit in TIME_WAIT; it does not let
    // two servers listen on one port.
    socket.set_reuseaddr(true).map_err(fail)?;
    socket.bind(addr).map_err(fail)?;
    socket.listen(LISTEN_BACKLOG).map_err(fail)
}

/// Serves `config` on `listener` until `shutdown` completes, then ends every stream and
/// returns within about a second.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    let Config {
        source: source_settings,
        publish: publish_settings,
        http: settings,
        announce: announce_settings,
        controls: controls_settings,
    } = config;
    let (trigger, stop) = shutdown::channel();
    raise_file_limit(settings.max_connections);
    let broadcast = Broadcast::new(Writer::default());
    let publisher = Publisher::new(broadcast.clone(), &publish_settings, source_settings.fps);
    let source = source::open(&source_settings)?;
    let source_name = source.describe();
    let camera_name = source.camera_name();
    // Before the source starts, so that saved values shape its first frame.
    let controls = Controls::new(
        publisher.clone(),
        source.capabilities(),
        source.camera(),
        StreamSettings::configured(&source_settings, &publish_settings),
        publish_settings.min_quality,
        &controls_settings,
    );
    let running = source.start(publisher.clone(), stop.clone())?;
    // The camera's saved controls go through its capture thread, which now runs.
    let restoring = controls.clone();
    tokio::task::spawn_blocking(move || restoring.restore_camera());
    if let Ok(addr) = listener.local_addr() {
        // 0.0.0.0 is no address to type into a browser: name this machine instead (on a Pi
        // the host name, e.g. raspberrypi, usually resolves on the LAN).
        let host = if addr.ip().is_unspecified() {
            format!("{}:{}", announce::host_name(), addr.port())
        } else {
            addr.to_string()
        };
        tracing::info!(
            %addr,
            source = %source_name,
            size = %source_settings.size,
            fps = source_settings.fps,
            "pi-server listening: stream at {scheme}://{host}/stream.mjpg, page at {scheme}://{host}/",
            scheme = if settings.tls.is_some() { "https" } else { "http" },
        );
    }
    let presence = match listener.local_addr() {
        Ok(addr) => Presence::start(
            &announce_settings,
            &Facts {
                port: addr.port(),
                camera: camera_name,
                size: (
                    u32::from(source_settings.size.width),
                    u32::from(source_settings.size.height),
                ),
                fps: source_settings.fps,
                auth: settings.access.kind(),
                tls: settings.tls.is_some(),
            },
        ),
        Err(_) => None,
    };
    let state = Arc::new(AppState {
        neighbours: presence.as_ref().map(Presence::neighbours),
        settings,
        broadcast,
        publisher,
        stats: Arc::new(Stats::default()),
        shutdown: stop,
        source_name,
        controls,
    });

    // Every connection task holds a sender; when all are gone, recv() returns None.
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    // One permit per open connection: an idle or half-sent one counts as much as a stream,
    // so that a flood of them cannot take every file descriptor.
    let permits = Arc::new(Semaphore::new(state.settings.max_connections));
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => match permits.clone().try_acquire_owned() {
                Ok(permit) => {
                    tokio::spawn(serve(stream, peer, state.clone(), done_tx.clone(), permit));
                }
                Err(_) => {
                    state.stats.on_refused();
                    tracing::debug!(%peer, "connection refused: too many connections");
                    // Over TLS a plain-text 503 would be garbage (and a handshake costs
                    // what the cap is there to save): just close.
                    if state.settings.tls.is_none() {
                        tokio::spawn(refuse(stream, state.settings.max_connections));
                    }
                }
            },
            Err(e) => {
                // Out of file descriptors, usually: back off instead of spinning.
                tracing::warn!(cause = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }

    drop(listener);
    // Viewers drop the camera at once instead of when its records expire.
    if let Some(presence) = presence {
        presence.withdraw();
    }
    trigger.fire();
    drop(done_tx);
    if tokio::time::timeout(GRACE, done_rx.recv()).await.is_err() {
        tracing::warn!("some connections did not finish in time; closing them");
    }
    stop_source(running).await;
    tracing::info!("stopped");
    Ok(())
}

/// Raises the soft limit on open files to the hard one: every connection is a descriptor,
/// and the usual soft limit (1024) would refuse connections before `--max-connections`
/// does. Says so when even the hard limit is too low.
fn raise_file_limit(max_connections: usize) {
    // Besides connections: the listener, the camera, stdio, the runtime's own.
    const SPARE: u64 = 64;
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) if limit < max_connections as u64 + SPARE => tracing::warn!(
            limit,
            max_connections,
            "the open-file limit is below --max-connections; raise it (LimitNOFILE= in the \
             systemd unit, ulimit -n) or lower --max-connections"
        ),
        Ok(limit) => tracing::debug!(limit, "open-file limit"),
        Err(e) => tracing::warn!(cause = %e, "cannot read or raise the open-file limit"),
    }
}

async fn stop_source(running: Running) {
    match running {
        Running::Task(task) => {
            if tokio::time::timeout(SOURCE_GRACE, task).await.is_err() {
                tracing::debug!("source task still running at exit");
            }
        }
        Running::Thread(thread) => {
            // The thread checks its stop flag at least every 100 ms and after each frame.
            let deadline = Instant::now() + SOURCE_GRACE;
            while !thread.is_finished() && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            if thread.is_finished() {
                let _ = thread.join();
            } else {
                tracing::debug!("source thread still running at exit");
            }
        }
    }
}

/// Answers a connection over `--max-connections` with 503 and `Retry-After`, without
/// reading its request, and closes it; bounded in time whatever the client does.
async fn refuse(mut stream: TcpStream, max: usize) {
    let body = format!("503 too many connections (at most {max}); try again later\n");
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Type: text/plain; \
         charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(REFUSAL_TIMEOUT, async {
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await?;
        // Read what the client sent until it closes: closing with unread bytes would send
        // a reset, and the client might never see the 503.
        let mut sink = [0u8; 1024];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<_, io::Error>(())
    })
    .await;
}

/// Serves one connection (after a TLS handshake, with TLS on), dropping it if its client
/// stops reading.
async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    state: Arc<AppState>,
    _done: mpsc::Sender<()>,
    _permit: OwnedSemaphorePermit,
) {
    let _open = state.stats.connection_opened();
    // Frames are written whole and at once; Nagle would only delay the part end.
    let _ = stream.set_nodelay(true);
    // Counts what is written, so that the stream knows how much of it has not arrived
    // (with TLS, under the encryption: bytes on the wire).
    let (io, backlog) = CountingIo::new(stream);
    let watch = Arc::new(ConnWatch::new(backlog));
    match state.settings.tls.clone() {
        None => serve_http(io, peer, state, watch).await,
        Some(tls) => {
            // The handshake is part of the request head's time.
            let handshake = tokio_rustls::TlsAcceptor::from(tls).accept(io);
            match tokio::time::timeout(state.settings.header_timeout, handshake).await {
                Ok(Ok(tls_stream)) => serve_http(tls_stream, peer, state, watch).await,
                Ok(Err(e)) => tracing::debug!(%peer, cause = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        }
    }
}

/// HTTP/1 over `io`, plain or TLS.
async fn serve_http<I>(io: I, peer: SocketAddr, state: Arc<AppState>, watch: Arc<ConnWatch>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = {
        let state = state.clone();
        let watch = watch.clone();
        service_fn(move |req| {
            let state = state.clone();
            let watch = watch.clone();
            async move { Ok::<_, Infallible>(http::handle(req, state, peer, watch).await) }
        })
    };
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(state.settings.header_timeout)
        .max_headers(MAX_HEADERS)
        .max_header_size(MAX_HEAD_BYTES);
    let conn = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);

    let timeout = state.settings.client_timeout;
    let mut tick = tokio::time::interval((timeout / 4).max(Duration::from_millis(10)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut shutdown = state.shutdown.clone();
    let mut closing = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    // A client going away mid-response is normal: debug, not an error.
                    tracing::debug!(%peer, cause = %e, "connection ended");
                }
                break;
            }
            _ = shutdown.wait(), if !closing => {
                // Stops keep-alive; stream bodies end themselves on the same signal.
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
            _ = tick.tick() => {
                // A stream whose link delivers nothing, or any write the socket refuses.
                let stalled_for = watch.busy_for().max(watch.backlog().write_blocked_for());
                if stalled_for > timeout {
                    watch.mark_stalled();
                    tracing::debug!(%peer, ?stalled_for, "client stopped reading; dropping it");
                    break;
                }
            }
        }
    }
}
