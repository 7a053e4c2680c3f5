//! The boundary as declared in a response's `Content-Type`.

/// The `boundary` parameter of a `multipart/*` Content-Type, unquoted.
///
/// Returns `None` when the type is not multipart or has no boundary; the parser then learns
/// the boundary from the body's first `--` line. A leading `--` that some servers put into the
/// parameter is kept here: the parser accepts the delimiter lines either way.
///
/// ```
/// use mjpeg_wire::multipart::boundary_from_content_type as b;
/// assert_eq!(b("multipart/x-mixed-replace; boundary=FRAME").as_deref(), Some("FRAME"));
/// assert_eq!(b("multipart/x-mixed-replace;boundary=\"a b\"").as_deref(), Some("a b"));
/// assert_eq!(b("application/octet-stream"), None);
/// ```
pub fn boundary_from_content_type(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    let mime = params.next()?.trim();
    if !mime
        .get(..10)
        .is_some_and(|p| p.eq_ignore_ascii_case("multipart/"))
    {
        return None;
    }
    // Parameters are split on `;`, which a quoted value may contain: rejoin the rest and
    // walk it by hand so that `boundary="a;b"` survives.
    let rest = content_type[content_type.find(';')? + 1..].trim_start();
    let mut s = rest;
    while !s.is_empty() {
        let eq = s.find('=')?;
        let name = s[..eq].trim();
        let after = s[eq + 1..].trim_start();
        let (value, remainder) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            value.push(escaped);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => value.push(c),
                }
            }
            (value, &quoted[end.min(quoted.len())..])
        } else {
            let stop = after.find(';').unwrap_or(after.len());
            (after[..stop].trim().to_string(), &after[stop..])
        };
        if name.eq_ignore_ascii_case("boundary") {
            return (!value.is_empty()).then_some(value);
        }
        s = remainder
            .trim_start()
            .strip_prefix(';')
            .unwrap_or(remainder)
            .trim_start();
        if s == remainder && !s.is_empty() && !s.starts_with(';') {
            // Junk between parameters: skip to the next `;`.
            s = s.find(';').map_or("", |i| &s[i + 1..]).trim_start();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::boundary_from_content_type as boundary;

    #[test]
    fn unquoted_boundary() {
        assert_eq!(
            boundary("multipart/x-mixed-replace; boundary=FRAME").as_deref(),
            Some("FRAME")
        );
    }

    #[test]
    fn quoted_boundary_with_semicolon_and_escape() {
        assert_eq!(
            boundary(r#"multipart/x-mixed-replace; boundary="a;b\"c""#).as_deref(),
            Some("a;b\"c")
        );
    }

    #[test]
    fn leading_dashes_are_kept_for_the_parser_to_resolve() {
        assert_eq!(
            boundary("multipart/x-mixed-replace;boundary=--myboundary").as_deref(),
            Some("--myboundary")
        );
    }

    #[test]
    fn other_parameters_and_case_do_not_matter() {
        assert_eq!(
            boundary("Multipart/X-Mixed-Replace; charset=utf-8; BOUNDARY=boundarydonotcross")
                .as_deref(),
            Some("boundarydonotcross")
        );
        assert_eq!(
            boundary(r#"multipart/x-mixed-replace; foo="x;y"; boundary=z"#).as_deref(),
            Some("z")
        );
    }

    #[test]
    fn not_multipart_or_no_boundary() {
        assert_eq!(boundary("application/octet-stream"), None);
        assert_eq!(boundary("text/html; charset=utf-8"), None);
        assert_eq!(boundary("multipart/x-mixed-replace"), None);
        assert_eq!(boundary("multipart/x-mixed-replace; boundary="), None);
    }
}
