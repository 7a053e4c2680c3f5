//! Where a camera's web page says its stream is, read without an HTML parser: a page of
//! ours names it in `<link rel="alternate" type="multipart/x-mixed-replace" href=...>`, and
//! the pages of other servers (the picamera recipe, mjpg-streamer's `stream_simple.html`)
//! show it in an `<img src=...>`.

use reqwest::Url;

/// The stream URLs a page points at, best first: declared stream links, then images
/// (minus what is obviously no stream: data URLs, icons, still pictures).
pub fn stream_links(html: &str, page: &Url) -> Vec<Url> {
    let mut declared = Vec::new();
    let mut images = Vec::new();
    for tag in tags(html) {
        let lower = tag.to_ascii_lowercase();
        if lower.starts_with("<link") && lower.contains("multipart/x-mixed-replace") {
            declared.extend(attribute(tag, "href"));
        } else if lower.starts_with("<img") {
            images.extend(attribute(tag, "src").filter(|src| may_be_stream(src)));
        }
    }
    let mut links: Vec<Url> = Vec::new();
    for href in declared.into_iter().chain(images) {
        if let Ok(url) = page.join(href.trim())
            && matches!(url.scheme(), "http" | "https")
            && !links.contains(&url)
        {
            links.push(url);
        }
    }
    links
}

/// Every `<...>` tag of the page, comments and scripts included (a link written by a script
/// is as good a hint as any).
fn tags(html: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let tail = &rest[start..];
        let Some(end) = tail.find('>') else { break };
        found.push(&tail[..=end]);
        rest = &tail[end + 1..];
    }
    found
}

/// The value of `name=` in a tag: quoted with `"` or `'`, or bare up to a space.
fn attribute<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = lower[from..].find(name) {
        let at = from + found;
        from = at + name.len();
        // A whole attribute name: preceded by a space, followed by `=`.
        let before = lower[..at].chars().next_back();
        let after = lower[from..].trim_start();
        if !before.is_some_and(char::is_whitespace) || !after.starts_with('=') {
            continue;
        }
        let value = tag[tag.len() - after.len() + 1..].trim_start();
        return match value.chars().next() {
            Some(q @ ('"' | '\'')) => value[1..].split(q).next(),
            _ => value
                .split(|c: char| c.is_whitespace() || c == '>')
                .next()
                .filter(|v| !v.is_empty()),
        };
    }
    None
}

/// Images that cannot be a stream: inline data and the usual still-picture files.
fn may_be_stream(src: &str) -> bool {
    let lower = src.trim().to_ascii_lowercase();
    let path = lower.split(['?', '#']).next().unwrap_or_default();
    !(lower.is_empty()
        || lower.starts_with("data:")
        || [".png", ".gif", ".svg", ".ico", ".webp"]
            .iter()
            .any(|ext| path.ends_with(ext)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Url {
        Url::parse("http://pi.local:8000/index.html").unwrap()
    }

    fn links(html: &str) -> Vec<String> {
        stream_links(html, &page())
            .into_iter()
            .map(String::from)
            .collect()
    }

    #[test]
    fn our_page_declares_its_stream() {
        let html = r#"<head><link rel="alternate" type="multipart/x-mixed-replace" href="stream.mjpg" title="MJPEG stream"></head>
            <body><img id="live" alt="live camera stream"></body>"#;
        assert_eq!(links(html), ["http://pi.local:8000/stream.mjpg"]);
    }

    #[test]
    fn other_pages_show_it_in_an_image() {
        // The picamera recipe's page.
        let recipe = "<html><body><h1>PiCamera MJPEG Streaming Demo</h1>\
                      <img src=\"stream.mjpg\" width=\"640\" height=\"480\" /></body></html>";
        assert_eq!(links(recipe), ["http://pi.local:8000/stream.mjpg"]);
        // mjpg-streamer's stream_simple.html, single quotes and an absolute path.
        let mjpg = "<IMG SRC='/?action=stream' alt=stream>";
        assert_eq!(links(mjpg), ["http://pi.local:8000/?action=stream"]);
        // Bare values end at a space.
        assert_eq!(
            links("<img src=/video class=x>"),
            ["http://pi.local:8000/video"]
        );
    }

    #[test]
    fn declared_links_come_first_and_logos_are_no_streams() {
        let html = r#"<img src="logo.png"><img src="data:image/gif;base64,R0lG">
            <img src="/cam?x=1"><link type="multipart/x-mixed-replace" href="/live">
            <img srcset="a.jpg" data-src="/not-this">"#;
        assert_eq!(
            links(html),
            ["http://pi.local:8000/live", "http://pi.local:8000/cam?x=1"]
        );
    }

    #[test]
    fn nothing_odd_is_followed() {
        let html = r#"<img src="javascript:alert(1)"><img src="ftp://x/y"><img src=""><img"#;
        assert!(links(html).is_empty(), "{:?}", links(html));
    }
}
