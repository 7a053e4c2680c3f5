//! Bounds on what a client can make the server hold: request heads (size, count, time),
//! connections (503 with Retry-After beyond the cap), and writes nobody reads. A server on a
//! network for months meets all of these, from broken clients and from hostile ones.

use std::time::Duration;

use futures_util::StreamExt as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::support::{Server, eventually, open_stream, pattern_config};

/// Sends `request` and reads the response until the server closes (or 5 s pass).
async fn exchange(server: &Server, request: &[u8]) -> String {
    let mut socket = TcpStream::connect(server.addr).await.unwrap();
    socket.write_all(request).await.unwrap();
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), socket.read_to_end(&mut response)).await;
    String::from_utf8_lossy(&response).into_owned()
}

/// Whether the server has closed `socket` (reads end of stream, or a reset), waiting at
/// most `limit`.
async fn closed_within(socket: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(limit, read).await.is_ok()
}

#[tokio::test]
async fn a_request_with_too_many_headers_gets_431() {
    let server = Server::start(pattern_config()).await;
    let mut request = String::from("GET /healthz HTTP/1.1\r\nHost: pi\r\n");
    for i in 0..100 {
        request.push_str(&format!("X-Filler-{i}: {i}\r\n"));
    }
    request.push_str("\r\n");
    let response = exchange(&server, request.as_bytes()).await;
    assert!(response.starts_with("HTTP/1.1 431"), "{response}");
    // Within the bound, the same request works.
    let ok = exchange(
        &server,
        b"GET /healthz HTTP/1.1\r\nHost: pi\r\nX-A: 1\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
}

#[tokio::test]
async fn a_request_head_over_16_kib_gets_431() {
    let server = Server::start(pattern_config()).await;
    let request = format!(
        "GET /healthz HTTP/1.1\r\nHost: pi\r\nCookie: {}\r\n\r\n",
        "x".repeat(20 * 1024)
    );
    let response = exchange(&server, request.as_bytes()).await;
    assert!(response.starts_with("HTTP/1.1 431"), "{response}");
}

#[tokio::test]
async fn silent_and_trickling_connections_are_closed_after_the_header_timeout() {
    let server = Server::start({
        let mut config = pattern_config();
        config.http.header_timeout = Duration::from_millis(500);
        config
    })
    .await;
    // Says nothing at all.
    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    // Sends a byte of its request every 100 ms: never a whole head in time.
    let mut trickle = TcpStream::connect(server.addr).await.unwrap();
    let request = b"GET /stream.mjpg HTTP/1.1\r\nHost: pi\r\nUser-Agent: slowloris\r\n\r\n";
    let trickling = async {
        for byte in request {
            if trickle.write_all(&[*byte]).await.is_err() {
                return true; // the server closed it
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    };
    let (silent_closed, trickle_closed) = tokio::join!(
        closed_within(&mut silent, Duration::from_secs(10)),
        tokio::time::timeout(Duration::from_secs(10), trickling)
    );
    assert!(silent_closed, "a silent connection stayed open");
    assert_eq!(
        trickle_closed,
        Ok(true),
        "a trickling connection stayed open"
    );
    eventually("both connections counted as gone", || async {
        // The /stats request itself is the one connection left.
        server.stats().await["connections"] == 1
    })
    .await;
}

#[tokio::test]
async fn connections_over_the_cap_get_503_with_retry_after() {
    let server = Server::start({
        let mut config = pattern_config();
        config.http.max_connections = 3;
        config
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(server.addr).await.unwrap());
    }
    // Asked through one of the three, so that /stats does not need a fourth connection.
    let mut open = false;
    for _ in 0..100 {
        let s = &mut held[0];
        s.write_all(b"GET /stats HTTP/1.1\r\nHost: pi\r\n\r\n")
            .await
            .unwrap();
        let mut buf = vec![0u8; 64 * 1024];
        let n = s.read(&mut buf).await.unwrap();
        if String::from_utf8_lossy(&buf[..n]).contains("\"connections\": 3") {
            open = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(open, "three connections open");
    let response = exchange(&server, b"GET /stream.mjpg HTTP/1.1\r\nHost: pi\r\n\r\n").await;
    assert!(
        response.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{response}"
    );
    assert!(response.contains("\r\nRetry-After: 5\r\n"), "{response}");
    assert!(response.contains("too many connections"), "{response}");
    // One closes: there is room again.
    held.clear();
    eventually("room for a connection again", || async {
        exchange(
            &server,
            b"GET /healthz HTTP/1.1\r\nHost: pi\r\nConnection: close\r\n\r\n",
        )
        .await
        .starts_with("HTTP/1.1 200")
    })
    .await;
    let stats = server.stats().await;
    assert!(
        stats["connections_refused"].as_u64().unwrap() >= 1,
        "{stats}"
    );
}

/// Any response the client does not read is dropped after the client timeout, not only a
/// stream: here snapshots asked for again and again (pipelined) by a client that reads
/// nothing, through a tiny receive buffer.
#[tokio::test]
async fn a_client_that_reads_no_responses_is_dropped_after_the_client_timeout() {
    let server = Server::start({
        let mut config = pattern_config();
        config.http.client_timeout = Duration::from_millis(500);
        config
    })
    .await;
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut deaf = socket.connect(server.addr).await.unwrap();
    let requests = b"GET /snapshot.jpg HTTP/1.1\r\nHost: pi\r\n\r\n".repeat(200);
    // The server stops reading requests once its writes block, so this may not finish.
    let _ = tokio::time::timeout(Duration::from_secs(2), deaf.write_all(&requests)).await;
    eventually("the deaf client to be dropped", || async {
        server.stats().await["connections"] == 1
    })
    .await;
}

/// A thousand connections that never finish a request (half of them silent, half
/// trickling bytes) hold no frames back from a client that streams: it still gets at least
/// 90 % of the source's frames while they are open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_idle_connections_do_not_slow_a_stream() {
    // The server and the thousand clients share this process: 2,000 descriptors and more.
    rlimit::increase_nofile_limit(8192).unwrap();
    let server = Server::start({
        let mut config = pattern_config();
        config.http.header_timeout = Duration::from_secs(60);
        config
    })
    .await;
    let (_, mut parts) = open_stream(&server.url("/stream.mjpg")).await;
    parts.next().await.unwrap().unwrap();

    let mut held = Vec::new();
    for i in 0..1000 {
        let mut socket = TcpStream::connect(server.addr).await.unwrap();
        if i % 2 == 1 {
            socket
                .write_all(b"GET /stream.mjpg HTTP/1.1\r\n")
                .await
                .unwrap();
        }
        held.push(socket);
    }
    // The trickling half adds a header line every 100 ms, all the while.
    let trickle = {
        tokio::spawn(async move {
            loop {
                for (i, s) in held.iter_mut().enumerate() {
                    if i % 2 == 1 {
                        let _ = s.write_all(b"X-Slow: 1\r\n").await;
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    eventually("a thousand and more connections open", || async {
        server.stats().await["connections"].as_u64().unwrap() >= 1001
    })
    .await;

    let source_before = server.source_frames().await;
    let mut received = 0u64;
    let until = tokio::time::Instant::now() + Duration::from_secs(3);
    while tokio::time::Instant::now() < until {
        let part = tokio::time::timeout(Duration::from_secs(2), parts.next())
            .await
            .expect("a frame within 2 s")
            .unwrap()
            .unwrap();
        assert!(!part.body().is_empty());
        received += 1;
    }
    let source_frames = server.source_frames().await - source_before;
    let stats = server.stats().await;
    assert!(
        stats["connections"].as_u64().unwrap() >= 1001,
        "the idle connections are still held: {}",
        stats["connections"]
    );
    assert!(
        received as f64 >= 0.9 * source_frames as f64,
        "the stream got {received} of the source's {source_frames} frames beside 1,000 idle connections"
    );
    trickle.abort();
}
