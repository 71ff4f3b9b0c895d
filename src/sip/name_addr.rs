//! Parsing of name-addr / addr-spec header values (From, To, Contact,
//! P-Asserted-Identity): quoted display names with escapes, `<uri>` with URI
//! parameters, header parameters after `>`; for a bare addr-spec every
//! parameter after `;` is a header parameter (RFC 3261 20.10). Parsing only
//! locates the parts; escapes are undone and parameters read when asked for.

use std::borrow::Cow;

use super::message::{lower, trim, uri_address, uri_host};
use super::short_find::find2;

/// A name-addr / addr-spec header value: `"Name" <sip:u@h;p>;tag=x;epid=y`, borrowed from the message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NameAddr<'a> {
    /// Display name as written: inside the quotes (escapes intact) when quoted.
    pub(crate) display_raw: Option<&'a str>,
    /// True when the display name was quoted.
    pub(crate) display_quoted: bool,
    /// The URI inside `<>` (or the bare addr-spec), e.g. `sip:bob@hotmail.com`.
    pub uri: &'a str,
    /// The text after the URI: header parameters (`;tag=x;epid=y`).
    pub(crate) params_raw: &'a str,
    /// [`NameAddr::address`], when the parser worked it out already.
    pub(crate) addr: Option<&'a str>,
    /// [`NameAddr::host`], when the parser worked it out already.
    pub(crate) host: Option<&'a str>,
}

impl<'a> NameAddr<'a> {
    /// Display name, unquoted, if any.
    pub fn display(&self) -> Option<Cow<'a, str>> {
        let d = self.display_raw?;
        Some(if self.display_quoted {
            quoted(d).0
        } else {
            Cow::Borrowed(d)
        })
    }

    /// Header parameters after the URI (`tag`, `epid` ...) in order: (name lower-cased, value unquoted).
    pub fn params(&self) -> Params<'a> {
        Params {
            rest: trim(self.params_raw),
        }
    }

    /// A header parameter by (case-insensitive) name.
    pub fn param(&self, name: &str) -> Option<Cow<'a, str>> {
        self.params()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v)
    }

    /// The `tag` parameter.
    pub fn tag(&self) -> Option<Cow<'a, str>> {
        self.param("tag")
    }

    /// True when there is a `tag` parameter with a value.
    pub fn has_tag(&self) -> bool {
        self.tag().is_some()
    }

    /// The `epid` parameter (Microsoft endpoint id).
    pub fn epid(&self) -> Option<Cow<'a, str>> {
        self.param("epid")
    }

    /// `user@host` of the URI, scheme and URI parameters removed, lower-cased host.
    pub fn address(&self) -> Cow<'a, str> {
        match self.addr {
            Some(a) => Cow::Borrowed(a),
            None => uri_address(self.uri),
        }
    }

    /// Host part of the URI (after `@`, before port/params), lower-cased.
    pub fn host(&self) -> Cow<'a, str> {
        match self.host {
            Some(h) => Cow::Borrowed(h),
            None => uri_host(self.uri),
        }
    }

    /// A URI parameter (inside `<>`, e.g. `opaque`, `gruu`), case-insensitive name.
    pub fn uri_param(&self, name: &str) -> Option<&'a str> {
        let mut it = self.uri.split(';').skip(1);
        it.find_map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            n.trim()
                .eq_ignore_ascii_case(name)
                .then_some(v.split('?').next().unwrap_or(v))
        })
    }
}

/// Header parameters `;name=value;flag`, names lower-cased, quotes removed from values.
#[derive(Clone, Debug)]
pub struct Params<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Params<'a> {
    type Item = (Cow<'a, str>, Option<Cow<'a, str>>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let r = self.rest.strip_prefix(';')?;
            let end = find_outside_quotes(r, ';').unwrap_or(r.len());
            // `trim`: header parameters are nearly always plain ASCII, where
            // it skips `str::trim`'s character decoding.
            let p = trim(&r[..end]);
            self.rest = r[end..].trim_start();
            if p.is_empty() {
                continue;
            }
            return Some(match p.split_once('=') {
                Some((n, v)) => {
                    let v = trim(v);
                    let v = match v.strip_prefix('"') {
                        Some(q) => quoted(q).0,
                        None => Cow::Borrowed(v),
                    };
                    (lower(trim(n)), Some(v))
                }
                None => (lower(p), None),
            });
        }
    }
}

/// Parses the first name-addr of a header value (a Contact list is cut at the first top-level comma).
pub fn parse_name_addr(value: &str) -> NameAddr<'_> {
    if let Some(a) = plain_angle(value) {
        return a;
    }
    let v = first_element(value.trim());
    let mut display_raw = None;
    let mut display_quoted = false;
    let mut rest = v;
    if let Some(q) = rest.strip_prefix('"') {
        let (raw, after) = quoted_raw(q);
        display_raw = Some(raw);
        display_quoted = true;
        rest = after.trim_start();
    }
    if let Some(lt) = find_outside_quotes(rest, '<') {
        if display_raw.is_none() {
            let d = rest[..lt].trim();
            if !d.is_empty() {
                display_raw = Some(d);
            }
        }
        let inner = &rest[lt + 1..];
        let (uri, after) = match inner.find('>') {
            Some(gt) => (&inner[..gt], &inner[gt + 1..]),
            None => (inner, &inner[inner.len()..]),
        };
        return NameAddr {
            display_raw,
            display_quoted,
            uri: uri.trim(),
            params_raw: after,
            addr: None,
            host: None,
        };
    }
    // Bare addr-spec.
    let (uri, after) = match find_outside_quotes(rest, ';') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, &rest[rest.len()..]),
    };
    NameAddr {
        display_raw,
        display_quoted,
        uri: uri.trim(),
        params_raw: after,
        addr: None,
        host: None,
    }
}

/// The common `<uri>;params` form without quotes or commas after the `>`:
/// what the general parser makes of it, found directly.
fn plain_angle(value: &str) -> Option<NameAddr<'_>> {
    let v = trim(value);
    let inner = v.strip_prefix('<')?;
    let b = inner.as_bytes();
    // No quote anywhere, and no comma after the first `>`.
    let gt = find2(b, b'"', b'>').filter(|&i| b[i] == b'>')?;
    let after = &inner[gt + 1..];
    if find2(after.as_bytes(), b'"', b',').is_some() {
        return None;
    }
    Some(NameAddr {
        display_raw: None,
        display_quoted: false,
        uri: trim(&inner[..gt]),
        params_raw: after,
        addr: None,
        host: None,
    })
}

/// The text up to the first comma outside quotes and angle brackets.
fn first_element(v: &str) -> &str {
    let b = v.as_bytes();
    // Fast path: no quote and no comma at all.
    if memchr::memchr2(b'"', b',', b).is_none() {
        return v;
    }
    let mut in_q = false;
    let mut esc = false;
    let mut in_angle = false;
    for (i, &c) in b.iter().enumerate() {
        if in_q {
            match (esc, c) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_q = false,
                _ => {}
            }
            continue;
        }
        match c {
            b'"' => in_q = true,
            b'<' => in_angle = true,
            b'>' => in_angle = false,
            b',' if !in_angle => return v[..i].trim(),
            _ => {}
        }
    }
    v
}

/// The raw body of a quoted string (after the opening quote, escapes intact) and the rest after the closing quote.
fn quoted_raw(s: &str) -> (&str, &str) {
    let mut esc = false;
    for (i, &c) in s.as_bytes().iter().enumerate() {
        if esc {
            esc = false;
        } else if c == b'\\' {
            esc = true;
        } else if c == b'"' {
            return (&s[..i], &s[i + 1..]);
        }
    }
    (s, &s[s.len()..])
}

/// Reads a quoted string body (after the opening quote): (unescaped text, rest after the closing quote).
fn quoted(s: &str) -> (Cow<'_, str>, &str) {
    let (raw, rest) = quoted_raw(s);
    if !raw.contains('\\') {
        return (Cow::Borrowed(raw), rest);
    }
    let mut out = String::with_capacity(raw.len());
    let mut esc = false;
    for c in raw.chars() {
        if esc {
            out.push(c);
            esc = false;
        } else if c == '\\' {
            esc = true;
        } else {
            out.push(c);
        }
    }
    (Cow::Owned(out), rest)
}

fn find_outside_quotes(s: &str, want: char) -> Option<usize> {
    let want = want as u8;
    let b = s.as_bytes();
    if !b.contains(&b'"') {
        return memchr::memchr(want, b);
    }
    let mut in_q = false;
    let mut esc = false;
    for (i, &c) in b.iter().enumerate() {
        if in_q {
            match (esc, c) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_q = false,
                _ => {}
            }
        } else if c == b'"' {
            in_q = true;
        } else if c == want {
            return Some(i);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(n: &NameAddr<'_>) -> Vec<(String, Option<String>)> {
        n.params()
            .map(|(k, v)| (k.into_owned(), v.map(Cow::into_owned)))
            .collect()
    }

    #[test]
    fn quoted_display_with_escapes() {
        let n = parse_name_addr(
            r#""Alice \"A\" Smith" <sip:alice@contoso.com;transport=tls>;tag=8d2f0c;epid=5f1e6c2b9a"#,
        );
        assert_eq!(n.display().as_deref(), Some(r#"Alice "A" Smith"#));
        assert_eq!(n.uri, "sip:alice@contoso.com;transport=tls");
        assert_eq!(n.tag().as_deref(), Some("8d2f0c"));
        assert_eq!(n.epid().as_deref(), Some("5f1e6c2b9a"));
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
            params(&n),
            vec![("text".into(), None), ("audio".into(), None)]
        );
    }

    #[test]
    fn bare_addr_spec_params_are_header_params() {
        let n = parse_name_addr("sip:bob@hotmail.com;tag=1a7e93");
        assert_eq!(n.uri, "sip:bob@hotmail.com");
        assert_eq!(n.tag().as_deref(), Some("1a7e93"));
        assert_eq!(n.display(), None);
    }

    #[test]
    fn token_display_and_list() {
        let n = parse_name_addr("Bob <sip:bob@hotmail.com>, <sip:other@x>");
        assert_eq!(n.display().as_deref(), Some("Bob"));
        assert_eq!(n.uri, "sip:bob@hotmail.com");
        let n = parse_name_addr("\"a,b\" <sip:x@y>;reason=\"q;r\"");
        assert_eq!(n.display().as_deref(), Some("a,b"));
        assert_eq!(n.param("reason").as_deref(), Some("q;r"));
    }

    #[test]
    fn params_lower_cased_first_match_wins() {
        let n = parse_name_addr("<sip:a@B.COM:5061>;TAG;Tag=2;EPID=\"x\\\"y\";;  ;x = 1 ");
        assert_eq!(n.tag(), None);
        assert_eq!(n.epid().as_deref(), Some("x\"y"));
        assert_eq!(n.param("x").as_deref(), Some("1"));
        assert_eq!(n.address(), "a@b.com:5061");
        assert_eq!(n.host(), "b.com");
        assert_eq!(
            params(&n)[0..2],
            [("tag".into(), None), ("tag".into(), Some("2".into()))]
        );
        assert_eq!(parse_name_addr("<sip:[::1]:5060>").host(), "[::1]");
        assert_eq!(parse_name_addr("<sip:u@[::1>").host(), "[::1]");
        assert_eq!(parse_name_addr("<tel:+1555>").host(), "+1555");
        assert_eq!(parse_name_addr("<sip:U@X.Org;p>").address(), "U@x.org");
    }

    #[test]
    fn plain_angle_matches_general_parser() {
        for v in [
            "<sip:alice@contoso.com>;tag=8d2f0c;epid=5f1e6c2b9a",
            "  <sip:bob@hotmail.com> ",
            "<sip:a,b@c.com;x=1>;tag=1",
            "<sip:a@b>",
            "<>",
            "< sip:a@b >;;tag",
            "<sip:a@b;lr",
        ] {
            let fast = plain_angle(v);
            let v2 = first_element(v.trim());
            assert_eq!(v2, v.trim(), "{v}");
            if let Some(f) = fast {
                // The general path on the same text.
                let lt = find_outside_quotes(v2, '<').unwrap();
                let inner = &v2[lt + 1..];
                let gt = inner.find('>').unwrap();
                assert_eq!(f.uri, inner[..gt].trim(), "{v}");
                assert_eq!(f.params_raw, &inner[gt + 1..], "{v}");
                assert_eq!(f.display_raw, None);
            }
        }
        assert!(plain_angle("<sip:a@b>;x, <sip:c@d>").is_none());
        assert!(plain_angle("\"A\" <sip:a@b>").is_none());
        assert!(plain_angle("<sip:a@b;lr").is_none());
    }

    #[test]
    fn param_matches_params() {
        for raw in [
            ";tag=8d2f0c;epid=5f1e6c2b9a",
            "  ;TAG = 1 ; epid=;x",
            ";;tag;tag=2",
            "tag=1;epid=2",
            "; \u{b}tag\u{b}=\u{c}v\u{b} ;",
            ";tag=\"q;r\";epid=e",
            ";tag=é;epid=1",
            "",
            ";",
            ";=x;tag",
        ] {
            let n = NameAddr {
                params_raw: raw,
                ..NameAddr::default()
            };
            for want in ["tag", "epid", "x", "", "TAG"] {
                let general = n
                    .params()
                    .find(|(k, _)| k.eq_ignore_ascii_case(want))
                    .and_then(|(_, v)| v);
                assert_eq!(n.param(want), general, "{raw:?} {want:?}");
            }
        }
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
            let n = parse_name_addr(s);
            let _ = (n.address(), n.host(), n.display(), params(&n), n.tag());
        }
    }
}
