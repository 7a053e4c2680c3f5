//! pi-server's behaviour, end to end: a real server on 127.0.0.1:0, read by a real HTTP
//! client and the shared multipart parser. No timings are asserted: rates are compared as
//! ratios of frame counts, and waits have only generous safety limits.

// Tests assert by panicking.
#![allow(clippy::unwrap_used)]

/// Starting servers, reading streams, decoding frames.
mod support;

/// `/stream.mjpg`: headers, parts, decoded size, aliases, `?fps=`.
mod streaming;

/// `/`, `/snapshot.jpg`, `/stats`, `/healthz`, 404, 405, HEAD, CORS, client limit.
mod endpoints;

/// `file:` (multipart capture, raw JPEGs, directory) and `exec:` sources, and start-up errors.
mod sources;

/// A client that stops reading slows nobody and is dropped after `--client-timeout`.
mod slow_clients;

/// `--auth` and `--token-file`: 401 without, the stream with, no secret in /stats.
mod auth;

/// `--tls-cert`/`--tls-key`: HTTPS verified against the test CA; plain HTTP turned away.
mod tls;

/// Request head size, count and time; the connection cap; responses nobody reads.
mod limits;

/// Shutdown ends every stream; the binary exits 0 on SIGTERM and 2 on user errors.
mod lifecycle;
