//! MIME multipart bodies (`multipart/alternative`, `multipart/related` ...):
//! splitting by boundary into parts with their own content type.

use memchr::memmem;

/// One part of a multipart body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part<'a> {
    /// The part's media type, lower-cased, parameters removed (`text/plain` when absent).
    pub content_type: String,
    /// The part's body bytes.
    pub body: &'a [u8],
}

/// The `boundary` parameter of a Content-Type header value.
pub fn boundary(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (n, v) = p.split_once('=')?;
        n.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"'))
    })
}

/// Splits a multipart body; with no boundary given, it is guessed from the first `--` line.
pub fn split<'a>(boundary: Option<&str>, body: &'a [u8]) -> Vec<Part<'a>> {
    let guessed;
    let b = match boundary {
        Some(b) if !b.is_empty() => b.as_bytes(),
        _ => {
            let start = body
                .iter()
                .position(|&c| !matches!(c, b'\r' | b'\n' | b' '))
                .unwrap_or(0);
            let Some(rest) = body[start..].strip_prefix(b"--") else {
                return Vec::new();
            };
            let end = rest
                .iter()
                .position(|&c| matches!(c, b'\r' | b'\n'))
                .unwrap_or(rest.len());
            guessed = rest[..end].to_vec();
            if guessed.is_empty() {
                return Vec::new();
            }
            &guessed
        }
    };
    let mut delim = b"--".to_vec();
    delim.extend_from_slice(b);
    let finder = memmem::Finder::new(&delim);
    let mut parts = Vec::new();
    let positions: Vec<usize> = finder.find_iter(body).collect();
    for w in positions.windows(2) {
        let (a, z) = (w[0] + delim.len(), w[1]);
        if a > z || body[a..].starts_with(b"--") {
            continue;
        }
        let mut seg = &body[a..z];
        seg = seg
            .strip_prefix(b"\r\n")
            .or_else(|| seg.strip_prefix(b"\n"))
            .unwrap_or(seg);
        seg = seg
            .strip_suffix(b"\r\n")
            .or_else(|| seg.strip_suffix(b"\n"))
            .unwrap_or(seg);
        parts.push(part(seg));
    }
    parts
}

fn part(seg: &[u8]) -> Part<'_> {
    let (head, body) = match memmem::find(seg, b"\r\n\r\n") {
        Some(i) => (&seg[..i], &seg[i + 4..]),
        None => match memmem::find(seg, b"\n\n") {
            Some(i) => (&seg[..i], &seg[i + 2..]),
            None if seg.starts_with(b"\r\n") => (&[][..], &seg[2..]),
            None => (&[][..], seg),
        },
    };
    let ct = super::super::scan::HeaderIter::new(head)
        .find(|h| super::super::scan::name_is(h.name, "content-type", Some(b'c')))
        .map(|h| super::super::parse::media_type(&String::from_utf8_lossy(&h.value)))
        .unwrap_or_else(|| "text/plain".to_string());
    Part {
        content_type: ct,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternative_parts() {
        let ct = "multipart/alternative;boundary=\"----=_NextPart_000\"";
        let body = b"------=_NextPart_000\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nhi\r\n------=_NextPart_000\r\nContent-Type: text/html\r\n\r\n<b>hi</b>\r\n------=_NextPart_000--\r\n";
        let parts = split(boundary(ct), body);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].content_type, "text/plain");
        assert_eq!(parts[0].body, b"hi");
        assert_eq!(parts[1].content_type, "text/html");
        assert_eq!(split(None, body).len(), 2);
        assert!(split(None, b"--").is_empty());
        assert!(split(Some("x"), b"--x--x").len() <= 1);
    }
}
