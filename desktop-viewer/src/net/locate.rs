//! Finding the stream behind what was typed: a host, a host and port, a server's page, or
//! the stream itself.
//!
//! The first URL is tried as it is; if it answers with a stream, that is it (a typed stream
//! URL costs nothing extra). A web page is read for the stream it names ([`page_links`]);
//! then the paths the known servers use are tried in order. When the port was not typed
//! and nothing listens on 8000, the other usual ports are tried too. What was tried is
//! kept, so that a failure can say it.

use mjpeg_wire::multipart::Limits;
use reqwest::Url;
use reqwest::header::CONTENT_TYPE;
use std::time::Duration;

use super::connection::{self, Credentials, Opened};
use super::failure::StreamFailure;
use super::page_links::stream_links;
use super::url::{Address, host_port};

/// Paths of known MJPEG servers, tried in this order after the page's own links.
pub const KNOWN_PATHS: [(&str, &str); 6] = [
    ("/stream.mjpg", "pi-server, the picamera recipe"),
    ("/?action=stream", "mjpg-streamer"),
    ("/stream", "ustreamer"),
    ("/video.mjpg", "many IP cameras"),
    ("/mjpg/video.mjpg", "Axis cameras"),
    ("/video", "IP Webcam (Android)"),
];

/// The most of a web page read for links: pages of cameras are a few kB.
const MAX_PAGE_BYTES: usize = 512 * 1024;

/// A stream found, with the connection to it already open.
#[derive(Debug)]
pub struct Found {
    /// Where it is.
    pub url: Url,
    /// Its body, ready to be read.
    pub opened: Opened,
}

/// How a request's settings travel together through the search.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    /// The stream client.
    pub client: &'a reqwest::Client,
    /// Credentials given outside the URL.
    pub credentials: Option<&'a Credentials>,
    /// Largest part accepted.
    pub limits: Limits,
    /// No byte for this long is a stall.
    pub stall_timeout: Duration,
}

/// Finds the stream behind `address`, or says what was tried.
pub async fn locate(address: &Address, attempt: Attempt<'_>) -> Result<Found, StreamFailure> {
    let mut refused = Vec::new();
    let ports = std::iter::once(None).chain(address.fallback_ports().into_iter().map(Some));
    for port in ports {
        let mut url = address.url.clone();
        if port.is_some() {
            // Only fails for URLs without a host; ours always have one.
            let _ = url.set_port(port);
        }
        match search_server(&url, attempt).await {
            Err(StreamFailure::Refused(host)) => refused.push(host),
            other => return other,
        }
    }
    Err(StreamFailure::Refused(refused.join(", ")))
}

/// One server (one host and port): the URL, the page's links, the known paths.
async fn search_server(first: &Url, attempt: Attempt<'_>) -> Result<Found, StreamFailure> {
    let mut tried: Vec<String> = Vec::new();
    let mut candidates = Vec::new();
    match try_url(first, attempt).await? {
        Outcome::Stream(found) => return Ok(*found),
        Outcome::Page(links) => {
            tried.push(format!("{} (a web page)", shown_path(first)));
            candidates.extend(links);
        }
        Outcome::Not(why) => tried.push(format!("{} ({why})", shown_path(first))),
    }
    for (path, _) in KNOWN_PATHS {
        if let Ok(url) = first.join(path) {
            candidates.push(url);
        }
    }
    let mut seen = vec![first.clone()];
    for url in candidates {
        if seen.contains(&url) {
            continue;
        }
        seen.push(url.clone());
        match try_url(&url, attempt).await? {
            Outcome::Stream(found) => return Ok(*found),
            Outcome::Page(_) => tried.push(format!("{} (a web page)", shown_path(&url))),
            Outcome::Not(why) => tried.push(format!("{} ({why})", shown_path(&url))),
        }
    }
    Err(StreamFailure::NoStreamFound {
        host: host_port(first),
        tried,
    })
}

/// What one URL turned out to be.
enum Outcome {
    // Boxed: the open stream is large, and this is built a few times per search.
    Stream(Box<Found>),
    /// A web page, with the stream links it holds.
    Page(Vec<Url>),
    /// Anything else that is no stream: why, in a few words.
    Not(String),
}

/// Tries one URL. Failures that no other path would cure (the host is unreachable, it
/// wants a password) end the search at once, as `Err`.
async fn try_url(url: &Url, attempt: Attempt<'_>) -> Result<Outcome, StreamFailure> {
    let answer = connection::request(
        attempt.client,
        url,
        attempt.credentials,
        attempt.stall_timeout,
    )
    .await?;
    match answer.check(url) {
        Ok(()) => Ok(Outcome::Stream(Box::new(Found {
            url: url.clone(),
            opened: answer.into_stream(attempt.limits),
        }))),
        Err(StreamFailure::WebPage { .. }) => {
            let html = read_page(answer.response, attempt.stall_timeout).await;
            Ok(Outcome::Page(stream_links(&html, url)))
        }
        Err(StreamFailure::SingleImage { .. }) => Ok(Outcome::Not(format!(
            "a single picture, {}",
            content_type_of(&answer.response)
        ))),
        Err(StreamFailure::Http { status, reason, .. }) => Ok(Outcome::Not(
            format!("HTTP {status} {reason}").trim().to_string(),
        )),
        Err(other) => Err(other),
    }
}

fn content_type_of(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("no type")
        .to_string()
}

/// A page's text, up to [`MAX_PAGE_BYTES`]; whatever arrived if the server stops sending.
async fn read_page(mut response: reqwest::Response, stall_timeout: Duration) -> String {
    let mut page = Vec::new();
    while page.len() < MAX_PAGE_BYTES {
        match tokio::time::timeout(stall_timeout, response.chunk()).await {
            Ok(Ok(Some(chunk))) => page.extend_from_slice(&chunk),
            _ => break,
        }
    }
    String::from_utf8_lossy(&page).into_owned()
}

/// `/`, `/stream.mjpg`, `/?action=stream`: the part of a URL that differs between tries.
fn shown_path(url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}
