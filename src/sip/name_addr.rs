//! Parsing of name-addr / addr-spec header values (From, To, Contact,
//! P-Asserted-Identity): quoted display names with escapes, `<uri>` with URI
//! parameters, header parameters after `>`; for a bare addr-spec every
//! parameter after `;` is a header parameter (RFC 3261 20.10).

use super::message::NameAddr;

/// Parses the first name-addr of a header value (a Contact list is cut at the first top-level comma).
pub fn parse_name_addr(value: &str) -> NameAddr {
    let v = first_element(value.trim());
    let mut display = None;
    let mut rest = v;
    if let Some(q) = rest.strip_prefix('"') {
        let (name, after) = quoted(q);
        display = Some(name);
        rest = after.trim_start();
    }
    if let Some(lt) = find_outside_quotes(rest, '<') {
        if display.is_none() {
            let d = rest[..lt].trim();
            if !d.is_empty() {
                display = Some(d.to_string());
            }
        }
        let inner = &rest[lt + 1..];
        let (uri, after) = match inner.find('>') {
            Some(gt) => (&inner[..gt], &inner[gt + 1..]),
            None => (inner, ""),
        };
        return NameAddr {
            display,
            uri: uri.trim().to_string(),
            params: params(after),
        };
    }
    // Bare addr-spec.
    let (uri, after) = match find_outside_quotes(rest, ';') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    NameAddr {
        display,
        uri: uri.trim().to_string(),
        params: params(after),
    }
}

/// The text up to the first comma outside quotes and angle brackets.
fn first_element(v: &str) -> &str {
    let mut in_q = false;
    let mut esc = false;
    let mut in_angle = false;
    for (i, c) in v.char_indices() {
        if in_q {
            match (esc, c) {
                (true, _) => esc = false,
                (false, '\\') => esc = true,
                (false, '"') => in_q = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_q = true,
            '<' => in_angle = true,
            '>' => in_angle = false,
            ',' if !in_angle => return v[..i].trim(),
            _ => {}
        }
    }
    v
}

/// Reads a quoted string body (after the opening quote): (unescaped text, rest after the closing quote).
fn quoted(s: &str) -> (String, &str) {
    let mut out = String::new();
    let mut esc = false;
    for (i, c) in s.char_indices() {
        if esc {
            out.push(c);
            esc = false;
        } else if c == '\\' {
            esc = true;
        } else if c == '"' {
            return (out, &s[i + 1..]);
        } else {
            out.push(c);
        }
    }
    (out, "")
}

fn find_outside_quotes(s: &str, want: char) -> Option<usize> {
    let mut in_q = false;
    let mut esc = false;
    for (i, c) in s.char_indices() {
        if in_q {
            match (esc, c) {
                (true, _) => esc = false,
                (false, '\\') => esc = true,
                (false, '"') => in_q = false,
                _ => {}
            }
        } else if c == '"' {
            in_q = true;
        } else if c == want {
            return Some(i);
        }
    }
    None
}

/// Header parameters `;name=value;flag`, names lower-cased, quotes removed from values.
fn params(s: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while let Some(r) = rest.strip_prefix(';') {
        let end = find_outside_quotes(r, ';').unwrap_or(r.len());
        let p = r[..end].trim();
        rest = r[end..].trim_start();
        if p.is_empty() {
            continue;
        }
        let (n, v) = match p.split_once('=') {
            Some((n, v)) => {
                let v = v.trim();
                let v = v.strip_prefix('"').map_or(v.to_string(), |q| quoted(q).0);
                (n.trim(), Some(v))
            }
            None => (p, None),
        };
        out.push((n.to_ascii_lowercase(), v));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_display_with_escapes() {
        let n = parse_name_addr(
            r#""Alice \"A\" Smith" <sip:alice@contoso.com;transport=tls>;tag=8d2f0c;epid=5f1e6c2b9a"#,
        );
        assert_eq!(n.display.as_deref(), Some(r#"Alice "A" Smith"#));
        assert_eq!(n.uri, "sip:alice@contoso.com;transport=tls");
        assert_eq!(n.tag(), Some("8d2f0c"));
        assert_eq!(n.epid(), Some("5f1e6c2b9a"));
        assert_eq!(n.uri_param("transport"), Some("tls"));
        assert_eq!(n.address(), "alice@contoso.com");
    }

    #[test]
    fn gruu_contact() {
        let n = parse_name_addr(
            "<sip:alice@contoso.com;opaque=user:epid:zVqR1J2mY1y5Hn0PZ2tK0gAA;gruu>;text;audio",
        );
        assert_eq!(
            n.uri_param("opaque"),
            Some("user:epid:zVqR1J2mY1y5Hn0PZ2tK0gAA")
        );
        assert!(n.uri.ends_with(";gruu"));
        assert_eq!(
            n.params,
            vec![("text".into(), None), ("audio".into(), None)]
        );
    }

    #[test]
    fn bare_addr_spec_params_are_header_params() {
        let n = parse_name_addr("sip:bob@hotmail.com;tag=1a7e93");
        assert_eq!(n.uri, "sip:bob@hotmail.com");
        assert_eq!(n.tag(), Some("1a7e93"));
        assert_eq!(n.display, None);
    }

    #[test]
    fn token_display_and_list() {
        let n = parse_name_addr("Bob <sip:bob@hotmail.com>, <sip:other@x>");
        assert_eq!(n.display.as_deref(), Some("Bob"));
        assert_eq!(n.uri, "sip:bob@hotmail.com");
        let n = parse_name_addr("\"a,b\" <sip:x@y>;reason=\"q;r\"");
        assert_eq!(n.display.as_deref(), Some("a,b"));
        assert_eq!(n.param("reason"), Some("q;r"));
    }

    #[test]
    fn junk_never_panics() {
        for s in [
            "",
            "\"",
            "<",
            ">",
            ";",
            "\"\\",
            "<sip:x",
            "é<é>;é=é",
            ";;;=",
            "\"x\"<",
        ] {
            let _ = parse_name_addr(s);
        }
    }
}
