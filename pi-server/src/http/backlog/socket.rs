//! The socket queries no safe crate offers: a TCP socket's send-queue counts
//! (`SIOCOUTQ`, `SIOCOUTQNSD`) and its segment size (`TCP_MAXSEG`).
//!
//! The crate's only `unsafe` code, allowed for this module alone (see `mod.rs`); each call
//! says why it is sound.

use std::os::fd::RawFd;

/// Which count of a socket's send queue to read.
#[derive(Debug, Clone, Copy)]
pub enum Queue {
    /// `SIOCOUTQ` (`TIOCOUTQ` on Linux): bytes the peer has not acknowledged, unsent ones and
    /// those in flight, a slow link's queue included.
    Unacknowledged,
    /// `SIOCOUTQNSD`: bytes not sent yet.
    Unsent,
}

/// Reads one count of `fd`'s send queue.
#[cfg(target_os = "linux")]
pub fn queue_ioctl(fd: RawFd, which: Queue) -> Option<u64> {
    if fd < 0 {
        return None;
    }
    let request = match which {
        Queue::Unacknowledged => libc::TIOCOUTQ,
        // The constant's type differs between libc targets; the value is 0x894B.
        Queue::Unsent => libc::SIOCOUTQNSD as _,
    };
    let mut bytes: libc::c_int = 0;
    // SAFETY: both requests write one c_int through the pointer, which points at a live
    // local c_int. On a descriptor that is not a TCP socket (or no longer open) the call
    // fails with an error and writes nothing; it never changes the descriptor.
    let rc = unsafe { libc::ioctl(fd, request, &mut bytes as *mut libc::c_int) };
    (rc == 0).then(|| u64::try_from(bytes).unwrap_or(0))
}

#[cfg(not(target_os = "linux"))]
pub fn queue_ioctl(_fd: RawFd, _which: Queue) -> Option<u64> {
    None
}

/// `fd`'s maximum segment size (`TCP_MAXSEG`).
#[cfg(target_os = "linux")]
pub fn segment_size(fd: RawFd) -> Option<u64> {
    if fd < 0 {
        return None;
    }
    let mut mss: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes (one c_int) through the pointer, which
    // points at a live local c_int, and updates `len`, a live local. On an invalid
    // descriptor it fails and writes nothing.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_MAXSEG,
            (&mut mss as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    (rc == 0).then(|| u64::try_from(mss).unwrap_or(0))
}

#[cfg(not(target_os = "linux"))]
pub fn segment_size(_fd: RawFd) -> Option<u64> {
    None
}
