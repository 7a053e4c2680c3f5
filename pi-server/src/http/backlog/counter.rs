//! What a connection's socket has taken: bytes written (counted by [`CountingIo`] as they
//! go in) and, through the kernel's counts, how many of them the client has not yet
//! acknowledged.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::socket::{Queue, queue_ioctl, segment_size};
use crate::http::stopwatch::Stopwatch;

/// What a connection's socket shares with the stream bodies served on it.
#[derive(Debug)]
pub struct Backlog {
    /// Bytes written into the socket so far.
    written: AtomicU64,
    /// The socket, while it is open; -1 after.
    fd: AtomicI32,
    /// Runs while a write waits for the socket to take anything.
    blocked: Stopwatch,
    /// The connection's largest segment (`TCP_MAXSEG`), 0 if unknown.
    segment: u64,
}

impl Backlog {
    fn new(fd: RawFd) -> Self {
        Backlog {
            written: AtomicU64::new(0),
            fd: AtomicI32::new(fd),
            blocked: Stopwatch::default(),
            segment: segment_size(fd).unwrap_or(0),
        }
    }

    /// The connection's largest segment: 1448 bytes on Ethernet, 64 KB on loopback.
    pub fn segment_size(&self) -> u64 {
        self.segment
    }

    /// How long the connection has been trying to write without the socket taking a
    /// byte: the client stopped reading (and every buffer on the way is full).
    pub fn write_blocked_for(&self) -> Duration {
        self.blocked.elapsed()
    }

    /// Bytes written into the socket so far.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// Bytes written into the socket that the client has not acknowledged yet.
    pub fn unacknowledged(&self) -> u64 {
        queue_ioctl(self.fd.load(Ordering::Relaxed), Queue::Unacknowledged).unwrap_or(0)
    }

    /// Of those, the bytes not even sent yet (the rest are in flight).
    pub fn unsent(&self) -> u64 {
        queue_ioctl(self.fd.load(Ordering::Relaxed), Queue::Unsent).unwrap_or(0)
    }

    /// A backlog for no socket (a body under test): nothing is ever queued in the kernel.
    pub fn detached() -> Arc<Self> {
        Arc::new(Backlog::new(-1))
    }
}

/// A socket that counts the bytes written into it, for [`Backlog`].
#[derive(Debug)]
pub struct CountingIo<T> {
    inner: T,
    backlog: Arc<Backlog>,
}

impl<T: AsRawFd> CountingIo<T> {
    /// Wraps `inner`; the [`Backlog`] it returns reads the socket's queue.
    pub fn new(inner: T) -> (Self, Arc<Backlog>) {
        let backlog = Arc::new(Backlog::new(inner.as_raw_fd()));
        (
            CountingIo {
                inner,
                backlog: backlog.clone(),
            },
            backlog,
        )
    }
}

impl<T> Drop for CountingIo<T> {
    fn drop(&mut self) {
        // Before `inner` closes the descriptor, so that the number is never read after it
        // may belong to another socket.
        self.backlog.fd.store(-1, Ordering::Relaxed);
    }
}

impl<T> CountingIo<T> {
    fn count(&self, poll: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        let b = &self.backlog;
        match &poll {
            Poll::Ready(Ok(n)) => {
                b.written.fetch_add(*n as u64, Ordering::Relaxed);
                b.blocked.stop();
            }
            Poll::Ready(Err(_)) => b.blocked.stop(),
            // Keeps the earliest time while still blocked.
            Poll::Pending => b.blocked.start(),
        }
        poll
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for CountingIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for CountingIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.count(poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.count(poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::super::link::{Link, Room};
    use super::*;

    #[test]
    fn the_written_count_follows_the_socket() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let client = tokio::net::TcpStream::connect(addr).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            let (mut io, backlog) = CountingIo::new(server);
            let mut link = Link::new(backlog.clone());
            // Loopback's MTU is 64 KiB, so its segments are nearly that.
            assert!(
                backlog.segment_size() > 16_000,
                "{}",
                backlog.segment_size()
            );
            io.write_all(&[7u8; 10_000]).await.unwrap();
            link.handed(10_000);
            assert_eq!(backlog.written(), 10_000);
            // Loopback acknowledges at once once the client has the bytes.
            let mut client = client;
            let mut buf = vec![0u8; 10_000];
            client.read_exact(&mut buf).await.unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
            assert_eq!(link.check(Instant::now()), Room::Ready);
            assert_eq!(link.last_queued(), 0);
            // A client that stops reading: once its receive buffer is full, what the
            // server writes stays in the server's queue, and the ioctl sees it.
            let mut stuck = 0u64;
            loop {
                match io.inner.try_write(&[1u8; 65_536]) {
                    Ok(n) => stuck += n as u64,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("{e}"),
                }
            }
            assert!(backlog.unacknowledged() > 0, "{stuck} bytes written");
            assert!(backlog.unacknowledged() <= stuck);
            // With the receiver's window shut, most of it is not even sent: never excused.
            assert!(backlog.unsent() > 0, "{stuck} bytes written");
            assert!(backlog.unsent() <= backlog.unacknowledged());
            drop(io);
            assert_eq!(backlog.unacknowledged(), 0);
        });
    }
}
