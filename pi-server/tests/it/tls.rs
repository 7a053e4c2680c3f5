//! `--tls-cert` and `--tls-key`: the stream over HTTPS, verified against the test CA, and
//! a plain-HTTP client on the same port turned away without harm.

use std::path::Path;
use std::time::Duration;

use futures_util::StreamExt as _;
use mjpeg_wire::multipart::PartStream;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{Server, decode, pattern_config};

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tls")
        .join(name)
}

async fn https_server() -> Server {
    let tls = pi_server::tls::load(&fixture("server.pem"), &fixture("server.key")).unwrap();
    Server::start({
        let mut config = pattern_config();
        config.http.tls = Some(tls);
        config
    })
    .await
}

/// A client that trusts the test CA only.
fn https_client() -> reqwest::Client {
    let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
    let ca = reqwest::Certificate::from_pem(&std::fs::read(fixture("ca.pem")).unwrap()).unwrap();
    reqwest::Client::builder()
        .tls_certs_only([ca])
        .read_timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_stream_and_stats_are_served_over_https() {
    let server = https_server().await;
    let url = format!("https://localhost:{}/stream.mjpg", server.addr.port());
    let response = https_client().get(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    let mut parts = Box::pin(PartStream::new(
        response.bytes_stream(),
        Some(&content_type),
    ));
    for _ in 0..3 {
        let part = parts.next().await.unwrap().unwrap();
        assert_eq!(decode(part.body()), (320, 240));
    }
    let stats = https_client()
        .get(format!("https://127.0.0.1:{}/stats", server.addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(stats.status(), 200);
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_certificate_is_refused() {
    let server = https_server().await;
    let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
    // No test CA: the system's roots only.
    let client = reqwest::Client::builder().build().unwrap();
    let err = client
        .get(format!("https://localhost:{}/healthz", server.addr.port()))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
}

#[tokio::test]
async fn plain_http_on_the_https_port_is_closed_and_harms_nothing() {
    let server = https_server().await;
    let mut plain = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    plain
        .write_all(b"GET /stream.mjpg HTTP/1.1\r\nHost: pi\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), plain.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the server closes the connection");
    assert!(!String::from_utf8_lossy(&buf).contains("200 OK"));
    // HTTPS still works.
    let ok = https_client()
        .get(format!("https://localhost:{}/healthz", server.addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}
