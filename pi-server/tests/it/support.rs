//! Test support: a server on 127.0.0.1:0, a stream reader built on the shared parser, decoding.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use mjpeg_wire::multipart::{Part, PartStream};
use pi_server::{Config, Size, SourceSpec};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A server running `pi_server::run` in this test's runtime.
pub struct Server {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), pi_server::Error>>>,
}

impl Server {
    pub async fn start(config: Config) -> Server {
        let listener = pi_server::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(pi_server::run(listener, config, async {
            let _ = rx.await;
        }));
        Server {
            addr,
            stop: Some(tx),
            task: Some(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Fires the shutdown and returns what `run` returned.
    pub async fn stop(mut self) -> Result<(), pi_server::Error> {
        let _ = self.stop.take().unwrap().send(());
        self.task.take().unwrap().await.unwrap()
    }

    /// `/stats` as JSON.
    pub async fn stats(&self) -> serde_json::Value {
        let body = client()
            .get(self.url("/stats"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    /// Frames the source has published so far.
    pub async fn source_frames(&self) -> u64 {
        self.stats().await["frames_source"].as_u64().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The test pattern at 320x240, 30 fps: small enough for a debug build to keep up.
pub fn pattern_config() -> Config {
    let mut config = Config::default();
    config.source.spec = SourceSpec::Test(Default::default());
    config.source.size = Size {
        width: 320,
        height: 240,
    };
    config.source.fps = 30;
    config
}

/// An HTTP client for endless streams: a read timeout per read, never a total timeout.
pub fn client() -> reqwest::Client {
    // reqwest is built with TLS but no crypto provider of its own (the workspace uses ring):
    // install it before any client is made, whichever test runs first.
    let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .read_timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

pub type Parts = std::pin::Pin<
    Box<
        dyn futures_util::Stream<Item = Result<Part, Box<dyn std::error::Error + Send + Sync>>>
            + Send,
    >,
>;

/// Opens a stream URL; returns the response headers and its parts.
pub async fn open_stream(url: &str) -> (reqwest::header::HeaderMap, Parts) {
    let response = client().get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    let headers = response.headers().clone();
    let content_type = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let parts = PartStream::new(response.bytes_stream(), content_type.as_deref())
        .map(|r| r.map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>));
    (headers, Box::pin(parts))
}

/// The next part, which must come.
pub async fn next_part(parts: &mut Parts) -> Part {
    parts
        .next()
        .await
        .expect("the stream ended early")
        .expect("the stream is well formed")
}

/// Decodes a JPEG fully; returns its width and height.
pub fn decode(jpeg: &Bytes) -> (usize, usize) {
    use zune_jpeg::JpegDecoder;
    use zune_jpeg::zune_core::bytestream::ZCursor;
    let mut decoder = JpegDecoder::new(ZCursor::new(&jpeg[..]));
    let pixels = decoder.decode().expect("a decodable JPEG");
    let (w, h) = decoder.dimensions().unwrap();
    assert!(pixels.len() >= w * h, "pixels for every position");
    (w, h)
}

/// A fixture of the team kit.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/tests/fixtures")
        .join(name)
}

/// Real JPEGs of the given sizes, encoded with the server's encoder.
pub fn jpegs(sizes: &[(u16, u16)]) -> Vec<Bytes> {
    let mut encoder = pi_server::source::JpegEncoder::new();
    sizes
        .iter()
        .map(|&(w, h)| {
            let rgb: Vec<u8> = (0..usize::from(w) * usize::from(h) * 3)
                .map(|i| (i * 7 % 256) as u8)
                .collect();
            encoder.encode_rgb(&rgb, w, h, 70).unwrap()
        })
        .collect()
}

/// Polls `check` until it holds; panics with `what` after a generous limit. A safety net
/// for a broken server, not a measurement.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..600 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("gave up waiting: {what}");
}
