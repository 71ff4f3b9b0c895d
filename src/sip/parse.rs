//! SIP message parsing.
//!
//! The model is always filled by one zero-copy header scanner
//! ([`super::scan`]; plain CRLF header blocks, nearly all, are split by
//! [`super::plain_lines`], which yields the same headers in one pass),
//! whichever parser accepts the message, so the typed
//! fields are identical for messages `rsip` accepts and for those it refuses
//! (rsip 0.4 rejects BENOTIFY and SERVICE, and tokenizes neither folded
//! lines nor compact forms). `rsip` decides [`ParsedBy`].
//!
//! ## Keeping rsip off the hot path
//! Measured in release on this machine (`cargo test --release --lib
//! sip::perf -- --ignored --nocapture`, 0.7-1.3 KB Lync messages): the
//! tolerant scanner alone parses ~0.5 M msgs/s per core; running rsip on
//! every message as well halves that (~0.26 M msgs/s), far below the
//! 200 k msgs/s per core needed for 400 k msgs/s over two cores once
//! messages are 2-3 KB. So by default rsip runs only on messages the
//! scanner flags as unusual (folded lines, compact header names, lines
//! without a colon, bare-LF line ends, non-UTF-8 header bytes): there its
//! verdict is exact. A method rsip 0.4 does not know (BENOTIFY, SERVICE,
//! NEGOTIATE ...) is `Tolerant` without asking it. Every other message is
//! plain RFC 3261 that rsip accepts (`ParsedBy::Rsip`; the unit tests check
//! this prediction against rsip itself). [`set_rsip_validation`]`(true)`
//! makes rsip check every message, for audits.

use std::sync::atomic::{AtomicBool, Ordering};

use std::borrow::Cow;

use super::framing::RawMessage;
use super::message::{MessageKind, Method, NameAddrSpans, ParsedBy, SipMessage, Span, trim};
use super::name_addr::parse_name_addr;
use super::plain_lines::split_plain;
use super::scan::{self, Head, HeaderEnd, StartLine, StartOffsets, eq_lower};

static RSIP_VALIDATION: AtomicBool = AtomicBool::new(false);

/// Makes `rsip` check every message (`true`) or only the unusual ones (`false`, the default).
pub fn set_rsip_validation(on: bool) {
    RSIP_VALIDATION.store(on, Ordering::Relaxed);
}

/// Whether `rsip` checks every message.
pub fn rsip_validation() -> bool {
    RSIP_VALIDATION.load(Ordering::Relaxed)
}

/// Why a framed message could not be parsed at all.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SipParseError {
    /// The first line is neither a request line nor a status line.
    #[error("bad start line: {0}")]
    StartLine(String),
    /// A header line without a colon, or not UTF-8 where it must be.
    #[error("bad header at byte {offset}: {reason}")]
    Header {
        /// Byte offset within the message.
        offset: usize,
        /// What was wrong.
        reason: String,
    },
    /// No blank line ends the headers.
    #[error("headers not terminated")]
    Unterminated,
}

/// Parses one framed message (start line to end of body).
pub fn parse_message(bytes: &[u8]) -> Result<SipMessage, SipParseError> {
    parse_with_head(bytes, None).map(|m| *m)
}

/// Parses a message the framer cut out of a stream, reusing the start line
/// and header end it read rather than reading them again. Boxed where it is
/// built, as the analysis events carry it, so the model is not moved again.
pub fn parse_framed(raw: &RawMessage<'_>) -> Result<Box<SipMessage>, SipParseError> {
    parse_with_head(raw.bytes, raw.head)
}

fn parse_with_head(bytes: &[u8], head: Option<Head>) -> Result<Box<SipMessage>, SipParseError> {
    let (mut msg, unusual) = scan_message(bytes, head)?;
    let accepted = if rsip_validation() {
        rsip_accepts(bytes)
    } else if !rsip_knows_method(&msg) {
        false
    } else if unusual {
        rsip_accepts(bytes)
    } else {
        true
    };
    if accepted {
        msg.parsed_by = ParsedBy::Rsip;
    }
    Ok(msg)
}

/// True when rsip 0.4 has the method (responses: the CSeq method does not matter).
fn rsip_knows_method(msg: &SipMessage) -> bool {
    match msg.method() {
        None => true,
        Some(m) => matches!(
            m,
            Method::Ack
                | Method::Bye
                | Method::Cancel
                | Method::Info
                | Method::Invite
                | Method::Message
                | Method::Notify
                | Method::Options
                | Method::Prack
                | Method::Publish
                | Method::Refer
                | Method::Register
                | Method::Subscribe
                | Method::Update
        ),
    }
}

/// True when `rsip` parses the message without error.
pub fn rsip_accepts(bytes: &[u8]) -> bool {
    std::panic::catch_unwind(|| rsip::SipMessage::try_from(bytes).is_ok()).unwrap_or(false)
}

/// The tolerant parser alone (always `ParsedBy::Tolerant`).
pub fn parse_tolerant(bytes: &[u8]) -> Result<SipMessage, SipParseError> {
    scan_message(bytes, None).map(|(m, _)| *m)
}

/// Longest start line and headers read: spans are 32-bit, and folded
/// values joined after the headers can double the text.
const MAX_HEAD: usize = (u32::MAX / 4) as usize;

/// Scans a message into the model; also says whether anything unusual was seen.
/// `head`, when given, is the framer's reading of the start line and header end of `bytes`.
fn scan_message(
    bytes: &[u8],
    head: Option<Head>,
) -> Result<(Box<SipMessage>, bool), SipParseError> {
    let (nl, raw_start, end) = match head.and_then(|h| framed_head(bytes, h)) {
        Some(known) => known,
        None => read_head(bytes)?,
    };
    // One copy of the start line and headers. Invalid UTF-8 is replaced as
    // `from_utf8_lossy` does; every delimiter the scanner looks for is ASCII,
    // so the lines, names and values found in the copy are those of the
    // bytes, each converted alone.
    let head = &bytes[..end.headers_end];
    if head.len() > MAX_HEAD {
        return Err(SipParseError::Header {
            offset: 0,
            reason: format!("{} bytes of headers (at most {MAX_HEAD})", head.len()),
        });
    }
    // simdutf8: a quarter of std's time on these mostly-ASCII heads.
    let (mut text, valid) = match simdutf8::basic::from_utf8(head) {
        Ok(s) => (s.to_owned(), true),
        Err(_) => (String::from_utf8_lossy(head).into_owned(), false),
    };
    let tb = text.as_bytes();
    // Valid UTF-8 was copied as is: the raw start line's offsets hold in the copy.
    let (tnl, parsed) = if valid {
        (nl, StartOffsets::of(raw_start, bytes).line(tb))
    } else {
        let tnl = scan::first_lf(tb).unwrap_or(tb.len());
        (tnl, scan::parse_start_line(&tb[..tnl]))
    };
    let (kind, start) = match parsed {
        Some(StartLine::Request { method, uri }) => (
            MessageKind::Request {
                method: Method::from_token(str_of(&text, method)),
            },
            span_of(tb, uri),
        ),
        Some(StartLine::Response { code, reason }) => {
            (MessageKind::Response { code }, span_of(tb, reason))
        }
        None => return Err(SipParseError::StartLine(start_line_text(&bytes[..nl]))),
    };
    let mut unusual = !bytes[..nl].ends_with(b"\r");
    let block_at = (tnl + 1).min(tb.len());
    let block = &tb[block_at..];
    let mut headers: Vec<(Span, Span)> = Vec::with_capacity(24);
    let mut folded: Vec<(usize, Vec<u8>)> = Vec::new();
    // Plain CRLF blocks (nearly all) in one pass; anything else line by line.
    let mut compact = false;
    let plain = valid
        && split_plain(block, |n, v| {
            compact |= n.len() == 1;
            // `block` lies in a head of at most `MAX_HEAD` bytes (checked above).
            let at =
                |r: std::ops::Range<usize>| Span::in_head(block_at + r.start, block_at + r.end);
            headers.push((at(n), at(v)));
        });
    if plain {
        unusual |= compact;
    } else {
        headers.clear();
        let mut iter = scan::HeaderIter::new(block);
        for h in iter.by_ref() {
            unusual |= valid && h.name.len() == 1;
            let value = match h.value {
                Cow::Borrowed(v) => span_of(tb, v),
                Cow::Owned(v) => {
                    folded.push((headers.len(), v));
                    Span::default()
                }
            };
            headers.push((span_of(tb, h.name), value));
        }
        unusual |= iter.saw_unusual();
    }
    if !valid {
        unusual |= unusual_names_values(&bytes[end.headers_start..end.headers_end]);
    }
    for (i, v) in folded {
        let start = text.len();
        text.push_str(&String::from_utf8_lossy(&v));
        if let Some(h) = headers.get_mut(i) {
            h.1 = Span::new(start, text.len());
        }
    }
    let mut msg = Box::new(SipMessage {
        text,
        kind,
        start,
        call_id: None,
        cseq: None,
        from: None,
        to: None,
        contact: None,
        pai: None,
        via_branch: None,
        content_type: None,
        headers,
        body: Vec::new(),
        parsed_by: ParsedBy::Tolerant,
        presence: std::sync::OnceLock::new(),
    });
    let content_length = fill_typed(&mut msg);
    let body = &bytes[end.body_start..];
    let body = match content_length {
        Some(n) if n < body.len() => &body[..n],
        _ => body,
    };
    msg.body = body.to_vec();
    Ok((msg, unusual))
}

/// The framer's `head` of `bytes` as (start line end, start line, header
/// end), when it fits them.
fn framed_head(bytes: &[u8], h: Head) -> Option<(usize, StartLine<'_>, HeaderEnd)> {
    let e = h.end;
    let nl = e.headers_start.checked_sub(1)?;
    let fits = bytes.get(nl) == Some(&b'\n')
        && e.headers_start <= e.headers_end
        && e.headers_end <= e.body_start
        && e.body_start <= bytes.len();
    fits.then_some(())?;
    Some((nl, h.line.line(bytes)?, e))
}

/// Reads the start line and finds the header end of `bytes` (start line
/// end, start line, header end).
fn read_head(bytes: &[u8]) -> Result<(usize, StartLine<'_>, HeaderEnd), SipParseError> {
    let Some(nl) = scan::first_lf(bytes) else {
        return if bytes.is_empty() || scan::parse_start_line(bytes).is_some() {
            Err(SipParseError::Unterminated)
        } else {
            Err(SipParseError::StartLine(start_line_text(bytes)))
        };
    };
    let Some(line) = scan::parse_start_line(&bytes[..nl]) else {
        return Err(SipParseError::StartLine(start_line_text(&bytes[..nl])));
    };
    let end = scan::find_header_end(bytes, nl).ok_or(SipParseError::Unterminated)?;
    Ok((nl, line, end))
}

/// The span of `part`, a sub-slice of `whole`.
fn span_of(whole: &[u8], part: &[u8]) -> Span {
    let start = (part.as_ptr() as usize)
        .saturating_sub(whole.as_ptr() as usize)
        .min(whole.len());
    Span::new(start, (start + part.len()).min(whole.len()))
}

/// `part` (a sub-slice of `text`'s bytes cut at ASCII delimiters) as text.
fn str_of<'a>(text: &'a str, part: &[u8]) -> &'a str {
    span_of(text.as_bytes(), part).get(text)
}

/// True when a header name or value of the raw block is not UTF-8 (the
/// original bytes, as the converted copy no longer shows it) or a name is
/// one byte long (a compact form).
fn unusual_names_values(block: &[u8]) -> bool {
    let mut unusual = false;
    for h in scan::HeaderIter::new(block) {
        unusual |= std::str::from_utf8(h.name).is_err()
            || std::str::from_utf8(&h.value).is_err()
            || h.name.len() == 1;
    }
    unusual
}

fn start_line_text(line: &[u8]) -> String {
    let line = scan::trim_cr(line);
    let cut = &line[..line.len().min(80)];
    String::from_utf8_lossy(cut).into_owned()
}

/// Fills the typed fields from the headers, first occurrence wins; returns
/// the Content-Length (the last one wins, as in the framer).
fn fill_typed(msg: &mut SipMessage) -> Option<usize> {
    let mut content_length = None;
    let mut seen_via = false;
    let text = msg.text.as_str();
    for &(ns, vs) in &msg.headers {
        // Names are ASCII-delimited slices of the text: compared as bytes,
        // and only the values of typed headers are looked up as text.
        let n = text
            .as_bytes()
            .get(ns.start as usize..ns.end as usize)
            .unwrap_or(&[]);
        let Some(field) = field_of(n) else {
            continue;
        };
        let value = vs.get(text);
        let na = |v: &str| NameAddrSpans::of(text, &parse_name_addr(v));
        match field {
            Field::CallId => set_once(&mut msg.call_id, || Span::of(text, value)),
            Field::CSeq => {
                if msg.cseq.is_none() {
                    msg.cseq = parse_cseq(value);
                }
            }
            Field::From => set_once(&mut msg.from, || na(value)),
            Field::To => set_once(&mut msg.to, || na(value)),
            // The analysis reads only the Contact's URI and its parameters.
            Field::Contact => set_once(&mut msg.contact, || {
                NameAddrSpans::of_parts(text, &parse_name_addr(value))
            }),
            Field::Pai => set_once(&mut msg.pai, || na(value)),
            Field::Via => {
                if !seen_via {
                    seen_via = true;
                    msg.via_branch = via_branch(value).map(|b| Span::of(text, b));
                }
            }
            Field::ContentType => set_once(&mut msg.content_type, || media_type_shared(value)),
            Field::ContentLength => {
                content_length = Some(trim(value).parse().unwrap_or(usize::MAX))
            }
        }
    }
    content_length
}

/// The typed field a header name (as written, any case, compact or full) fills.
fn field_of(n: &[u8]) -> Option<Field> {
    // Length and first letter rule out nearly every other header before any
    // case-insensitive comparison.
    let first = n.first()?.to_ascii_lowercase();
    let (full, field) = match (n.len(), first) {
        (1, _) => {
            return match first {
                b'i' => Some(Field::CallId),
                b'f' => Some(Field::From),
                b't' => Some(Field::To),
                b'm' => Some(Field::Contact),
                b'v' => Some(Field::Via),
                b'c' => Some(Field::ContentType),
                b'l' => Some(Field::ContentLength),
                _ => None,
            };
        }
        (2, b't') => ("to", Field::To),
        (3, b'v') => ("via", Field::Via),
        (4, b'f') => ("from", Field::From),
        (4, b'c') => ("cseq", Field::CSeq),
        (7, b'c') => match n.get(2).map(u8::to_ascii_lowercase) {
            Some(b'l') => ("call-id", Field::CallId),
            _ => ("contact", Field::Contact),
        },
        (12, b'c') => ("content-type", Field::ContentType),
        (14, b'c') => ("content-length", Field::ContentLength),
        (19, b'p') => ("p-asserted-identity", Field::Pai),
        _ => return None,
    };
    eq_lower(n, full.as_bytes()).then_some(field)
}

/// The headers with a typed field.
#[derive(Clone, Copy)]
enum Field {
    CallId,
    CSeq,
    From,
    To,
    Contact,
    Pai,
    Via,
    ContentType,
    ContentLength,
}

fn set_once<T>(slot: &mut Option<T>, f: impl FnOnce() -> T) {
    if slot.is_none() {
        *slot = Some(f());
    }
}

/// The branch of a Via value's first comma-separated entry.
fn via_branch(value: &str) -> Option<&str> {
    let b = value.as_bytes();
    let top = memchr::memchr(b',', b).unwrap_or(b.len());
    // The parameters: each `;`-separated piece after the first.
    let mut at = memchr::memchr(b';', &b[..top])?;
    loop {
        let start = at + 1;
        let end = memchr::memchr(b';', &b[start..top]).map_or(top, |j| start + j);
        let p = &value[start..end];
        if let Some(eq) = memchr::memchr(b'=', p.as_bytes())
            && trim(&p[..eq]).eq_ignore_ascii_case("branch")
        {
            return Some(trim(&p[eq + 1..]));
        }
        if end == top {
            return None;
        }
        at = end;
    }
}

/// `type/subtype`, lower-cased, parameters removed.
pub fn media_type(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or(value)
        .trim()
        .to_ascii_lowercase()
}

/// The media types Lync federation carries, lower-cased: [`media_type_shared`] returns these without allocating.
const COMMON_TYPES: &[&str] = &[
    "text/plain",
    "application/sdp",
    "application/pidf+xml",
    "application/msrtc-event-categories+xml",
    "application/im-iscomposing+xml",
    "application/ms-filetransfer+xml",
    "application/xpidf+xml",
    "application/rlmi+xml",
    "application/msrtc-category-publish+xml",
    "text/html",
    "text/rtf",
    "text/x-msmsgsinvite",
    "multipart/alternative",
    "multipart/related",
    "multipart/mixed",
];

/// [`media_type`], borrowed from a static list for the common types.
fn media_type_shared(value: &str) -> Cow<'static, str> {
    let t = trim(value.split(';').next().unwrap_or(value));
    match COMMON_TYPES.iter().find(|c| c.eq_ignore_ascii_case(t)) {
        Some(c) => Cow::Borrowed(c),
        None => Cow::Owned(t.to_ascii_lowercase()),
    }
}

fn parse_cseq(value: &str) -> Option<(u32, Method)> {
    if !value.is_ascii() {
        let mut it = value.split_whitespace();
        let n = it.next()?.parse().ok()?;
        let m = it.next()?;
        return Some((n, Method::from_token(m)));
    }
    // `split_whitespace` on ASCII text (the characters `char::is_whitespace`
    // accepts there), over the bytes: the first two tokens.
    let b = value.as_bytes();
    let ws = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r');
    let token = |from: usize| -> Option<(usize, usize)> {
        let rest = b.get(from..)?;
        let start = from + rest.iter().position(|c| !ws(c))?;
        let len = b[start..].iter().position(ws).unwrap_or(b.len() - start);
        Some((start, start + len))
    };
    let (s1, e1) = token(0)?;
    let n = value.get(s1..e1)?.parse().ok()?;
    let (s2, e2) = token(e1)?;
    Some((n, Method::from_token(value.get(s2..e2)?)))
}

/// True when `data` begins like a SIP request or status line (content detection on any port).
pub fn looks_like_sip(data: &[u8]) -> bool {
    let Some(nl) = scan::first_lf(data) else {
        // A status line needs no line end to be recognised.
        return data.len() >= 12
            && matches!(
                scan::parse_start_line(&data[..12]),
                Some(StartLine::Response { .. })
            );
    };
    scan::parse_start_line(&data[..nl]).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::samples;

    #[test]
    fn lync_message_fields() {
        let m = parse_message(&samples::message()).unwrap();
        assert_eq!(m.parsed_by, ParsedBy::Rsip);
        assert_eq!(m.method(), Some(&Method::Message));
        assert_eq!(m.call_id(), Some("0c1f7d3b6e0a4f7b8b1d"));
        assert_eq!(m.cseq, Some((3, Method::Message)));
        let from = m.from().unwrap();
        assert_eq!(from.address(), "alice@contoso.com");
        assert_eq!(from.tag().as_deref(), Some("8d2f0c"));
        assert_eq!(from.epid().as_deref(), Some("5f1e6c2b9a"));
        assert_eq!(m.to().unwrap().tag().as_deref(), Some("1a7e93"));
        let contact = m.contact().unwrap();
        assert_eq!(
            contact.uri_param("opaque"),
            Some("user:epid:zVqR1J2mY1y5Hn0PZ2tK0gAA")
        );
        assert_eq!(
            m.p_asserted_identity().unwrap().display().as_deref(),
            Some("Alice Example")
        );
        assert_eq!(m.via_branch(), Some("z9hG4bK5a1"));
        assert_eq!(m.content_type.as_deref(), Some("text/plain"));
        assert_eq!(
            m.header("ms-conversation-id"),
            Some("AcqEGK3mFJX0p0Z6Q1eJ2w")
        );
        assert_eq!(m.headers_named("via").count(), 2);
        assert_eq!(m.headers().next().unwrap().name, "Via");
        assert_eq!(m.body, b"hello");
    }

    #[test]
    fn microsoft_methods_are_tolerant_and_identical() {
        for raw in [samples::benotify(), samples::service()] {
            let m = parse_message(&raw).unwrap();
            assert_eq!(m.parsed_by, ParsedBy::Tolerant);
            assert!(matches!(
                m.method(),
                Some(Method::Benotify | Method::Service)
            ));
            assert!(m.call_id.is_some() && m.cseq.is_some());
        }
        let b = parse_message(&samples::benotify()).unwrap();
        assert_eq!(
            b.content_type.as_deref(),
            Some("application/msrtc-event-categories+xml")
        );
        assert_eq!(b.to().unwrap().epid().as_deref(), Some("77aa"));
        let st =
            crate::sip::body::presence::parse_presence(b.content_type.as_deref().unwrap(), &b.body)
                .unwrap();
        assert_eq!(st.state.as_deref(), Some("Busy"));
        // Whatever rsip says, the fields are the same as the tolerant parser's.
        for raw in [
            samples::message(),
            samples::response_480(),
            samples::invite_compact(),
            samples::benotify(),
        ] {
            let a = parse_message(&raw).unwrap();
            let mut t = parse_tolerant(&raw).unwrap();
            t.parsed_by = a.parsed_by;
            assert_eq!(a, t);
        }
    }

    /// A framed message parses as its bytes parsed alone, however the
    /// stream is cut: the start line and header end the framer hands on are
    /// those the parser would read.
    #[test]
    fn framed_head_is_the_parsers_own() {
        use crate::reassembly::SegmentMeta;
        use crate::time::Timestamp;
        let msgs = [
            samples::message(),
            samples::benotify(),
            samples::response_480(),
            samples::invite_compact(),
            samples::service(),
            b"OPTIONS sip:a@b SIP/2.0\nCall-ID: lf\n\n".to_vec(),
        ];
        let stream = msgs.concat();
        for size in [1, 7, 100, stream.len()] {
            let mut f = crate::sip::SipFramer::new();
            let mut n = 0;
            for (i, c) in stream.chunks(size).enumerate() {
                let meta = SegmentMeta {
                    frame: i as u64,
                    ts: Timestamp(0),
                };
                f.push(c, meta, &mut |raw| {
                    assert!(raw.head.is_some());
                    let framed = parse_framed(&raw).unwrap();
                    assert_eq!(*framed, parse_message(raw.bytes).unwrap(), "chunk {size}");
                    n += 1;
                });
            }
            assert_eq!(n, msgs.len(), "chunk {size}");
        }
    }

    #[test]
    fn response_with_diagnostics() {
        let m = parse_message(&samples::response_480()).unwrap();
        assert_eq!(m.status(), Some(480));
        assert_eq!(m.reason(), Some("Temporarily Unavailable"));
        assert!(
            m.header("ms-diagnostics")
                .unwrap()
                .starts_with("1034;reason=\"Previous hop")
        );
        assert_eq!(m.cseq, Some((1, Method::Invite)));
        assert_eq!(m.from().unwrap().display().as_deref(), Some("Alice"));
        assert!(m.body.is_empty());
    }

    #[test]
    fn compact_and_folded() {
        let m = parse_message(&samples::invite_compact()).unwrap();
        assert_eq!(m.call_id(), Some("inv-compact-1"));
        assert_eq!(m.from().unwrap().epid().as_deref(), Some("e1"));
        assert_eq!(m.to().unwrap().address(), "bob@hotmail.com");
        assert_eq!(
            m.contact().unwrap().uri_param("opaque"),
            Some("user:epid:zz")
        );
        assert_eq!(m.via_branch(), Some("z9hG4bKinv"));
        assert_eq!(m.content_type.as_deref(), Some("application/sdp"));
        assert_eq!(m.header("subject"), Some("folded subject line"));
        assert_eq!(m.header("i"), Some("inv-compact-1"));
        assert_eq!(crate::sip::body::sdp::media_types(&m.body), vec!["message"]);
    }

    /// The header and body accessors over folded values, compact names, a
    /// body that is not UTF-8 and an empty body.
    #[test]
    fn header_and_body_accessors() {
        let head = "MESSAGE sip:b@c.org SIP/2.0\r\ni: acc-1\r\nSubject: one\r\n two\r\nf: <sip:a@b.org>;tag=1\r\nc: application/octet-stream\r\nX-Note: last\r\n";
        let binary: &[u8] = b"\x00\xff\xfe\r\n\r\n\x80body";
        let with_body = [head.as_bytes(), b"l: 12\r\n\r\n", binary].concat();
        let m = parse_message(&with_body).unwrap();
        assert_eq!(m.body, binary);
        assert_eq!(m.call_id(), Some("acc-1"));
        assert_eq!(m.header("subject"), Some("one two"));
        assert_eq!(m.header("I"), Some("acc-1"));
        assert_eq!(m.header("Call-ID"), None);
        assert_eq!(m.header("x-note"), Some("last"));
        assert_eq!(m.from().unwrap().tag().as_deref(), Some("1"));
        assert_eq!(m.content_type.as_deref(), Some("application/octet-stream"));
        let names: Vec<_> = m.headers().map(|h| h.name).collect();
        assert_eq!(names, ["i", "Subject", "f", "c", "X-Note", "l"]);
        let values: Vec<_> = m.headers().map(|h| h.value).collect();
        assert_eq!(values[1], "one two");
        assert_eq!(values[5], "12");
        assert_eq!(m.headers_named("SUBJECT").collect::<Vec<_>>(), ["one two"]);
        let empty = [head.as_bytes(), b"l: 0\r\n\r\n"].concat();
        let e = parse_message(&empty).unwrap();
        assert!(e.body.is_empty());
        assert!(e.presence().is_none());
        assert_eq!(e.header("subject"), Some("one two"));
        assert_eq!(e.headers().len(), 6);
        let no_length = [head.as_bytes(), b"\r\n"].concat();
        assert!(parse_message(&no_length).unwrap().body.is_empty());
    }

    #[test]
    fn body_cut_at_content_length_and_lf_only() {
        let raw = b"MESSAGE sip:a@b.com SIP/2.0\nl: 2\ni: x\n\nabcdef";
        let m = parse_message(raw).unwrap();
        assert_eq!(m.body, b"ab");
        assert_eq!(m.call_id(), Some("x"));
    }

    #[test]
    fn bad_input_never_panics() {
        assert!(matches!(
            parse_message(b"hello world\r\n\r\n"),
            Err(SipParseError::StartLine(_))
        ));
        assert_eq!(
            parse_message(b"OPTIONS sip:a SIP/2.0\r\nX: y\r\n"),
            Err(SipParseError::Unterminated)
        );
        assert_eq!(parse_message(b""), Err(SipParseError::Unterminated));
        let junk: &[&[u8]] = &[
            b"INVITE sip:a SIP/2.0\r\n\xff\xfe: \xff\r\n: x\r\nnocolon\r\n \r\nFrom: \"\\\r\nCSeq: x y z\r\nCSeq: 99999999999 A\r\nl: x\r\n\r\n",
            b"SIP/2.0 200 OK\r\nVia: ;;;branch\r\nTo: <\r\nContact: *\r\n\r\n\xff",
            b"SIP/2.0 999\n\n",
        ];
        for j in junk {
            let _ = parse_message(j);
        }
        let m = parse_message(junk[0]).unwrap();
        assert_eq!(m.parsed_by, ParsedBy::Tolerant);
    }

    #[test]
    fn typed_names_any_case() {
        for (name, field) in [
            ("to", Some("to")),
            ("T", Some("to")),
            ("VIA", Some("via")),
            ("From", Some("from")),
            ("cSeQ", Some("cseq")),
            ("Call-ID", Some("call-id")),
            ("i", Some("call-id")),
            ("Contact", Some("contact")),
            ("CONTENT-TYPE", Some("content-type")),
            ("Content-Length", Some("content-length")),
            ("P-Asserted-Identity", Some("p-asserted-identity")),
            ("Call_ID", None),
            ("Call\rID", None),
            ("Contacts", None),
            ("Content-Lengt\u{0}", None),
            ("P-Asserted-Identit\u{19}", None),
            ("Max-Forwards", None),
            ("k", None),
            ("", None),
        ] {
            let want = field.map(canonical);
            assert_eq!(field_of(name.as_bytes()).map(|f| f as u8), want, "{name:?}");
        }
        // Every byte that is not a letter must match exactly.
        for b in 0..=255u8 {
            let mut n = b"content-length".to_vec();
            n[7] = b;
            assert_eq!(eq_lower(&n, b"content-length"), b == b'-', "{b}");
            n[7] = b'-';
            n[0] = b;
            assert_eq!(
                eq_lower(&n, b"content-length"),
                b.eq_ignore_ascii_case(&b'c'),
                "{b}"
            );
            let mut v = b"via".to_vec();
            v[1] = b;
            assert_eq!(eq_lower(&v, b"via"), b.eq_ignore_ascii_case(&b'i'), "{b}");
            let mut f = b"from".to_vec();
            f[3] = b;
            assert_eq!(eq_lower(&f, b"from"), b.eq_ignore_ascii_case(&b'm'), "{b}");
        }
    }

    /// The field a lower-case full name stands for, as a number.
    fn canonical(f: &str) -> u8 {
        let field = match f {
            "to" => Field::To,
            "via" => Field::Via,
            "from" => Field::From,
            "cseq" => Field::CSeq,
            "call-id" => Field::CallId,
            "contact" => Field::Contact,
            "content-type" => Field::ContentType,
            "content-length" => Field::ContentLength,
            _ => Field::Pai,
        };
        field as u8
    }

    #[test]
    fn via_branch_and_media_type_trim_as_str_trim() {
        for (via, branch) in [
            ("SIP/2.0/TLS 1.2.3.4:5061;branch=z9hG4bKa", Some("z9hG4bKa")),
            ("SIP/2.0/TLS h;received=x; branch = z9 ;rport", Some("z9")),
            ("SIP/2.0/TLS h;BRANCH=\tz9\u{a0}", Some("z9")),
            ("SIP/2.0/TLS h;\u{2003}branch=z9", Some("z9")),
            ("SIP/2.0/TLS h;branch\u{a0}=z9", Some("z9")),
            ("SIP/2.0/TLS h;xbranch=z9", None),
            ("SIP/2.0/TLS h, SIP/2.0/TLS g;branch=z9", None),
            ("SIP/2.0/TLS h;branch=", Some("")),
        ] {
            assert_eq!(via_branch(via), branch, "{via:?}");
        }
        for (ct, want) in [
            ("text/plain", "text/plain"),
            (" Text/Plain ; charset=utf-8", "text/plain"),
            ("\u{a0}application/SDP\u{2003}", "application/sdp"),
            ("x/y\u{a0};a", "x/y"),
        ] {
            assert_eq!(media_type_shared(ct), want, "{ct:?}");
            assert_eq!(media_type(ct), want, "{ct:?}");
        }
    }

    #[test]
    fn cseq_forms() {
        for v in ["1 INVITE", " 1\x0binvite ", "1\t\x0cINVITE x", "1  INVITE"] {
            assert_eq!(parse_cseq(v), Some((1, Method::Invite)), "{v:?}");
        }
        assert_eq!(parse_cseq("+7 Foo"), Some((7, Method::Other("FOO".into()))));
        assert_eq!(parse_cseq("1\u{a0}BYE"), Some((1, Method::Bye)));
        assert_eq!(parse_cseq("1\u{2003}BYE"), Some((1, Method::Bye)));
        assert_eq!(parse_cseq("x BYE"), None);
        for v in ["", "   ", "1 ", " 1\t", "x", "99999999999 BYE", "-1 BYE"] {
            assert_eq!(parse_cseq(v), None, "{v:?}");
        }
        for v in ["1\rBYE", "\x0c1 BYE\n", "1 BYE INVITE", "01\x0bBYE "] {
            assert_eq!(parse_cseq(v), Some((1, Method::Bye)), "{v:?}");
        }
        assert_eq!(parse_cseq("1"), None);
    }

    #[test]
    fn detection() {
        assert!(looks_like_sip(b"BENOTIFY sip:a@b.com SIP/2.0\r\nVia: x"));
        assert!(looks_like_sip(b"SIP/2.0 200 OK\r\n"));
        assert!(looks_like_sip(b"SIP/2.0 200 OK"));
        assert!(looks_like_sip(b"FOO sip:x SIP/2.0\n"));
        assert!(!looks_like_sip(b"GET / HTTP/1.1\r\n"));
        assert!(!looks_like_sip(b"\x16\x03\x01\x00"));
        assert!(!looks_like_sip(b"INVITE sip:a"));
    }
}

#[cfg(test)]
mod rsip_agreement {
    use super::*;
    use crate::sip::samples;

    /// The default (predicted) verdict equals rsip's own on realistic and odd messages.
    #[test]
    fn prediction_matches_rsip() {
        let mut cases = vec![
            samples::message(),
            samples::benotify(),
            samples::service(),
            samples::response_480(),
            samples::invite_compact(),
            b"OPTIONS sip:edge.contoso.com SIP/2.0\r\nVia: SIP/2.0/TLS 1.2.3.4:5061;branch=z9hG4bKo\r\nFrom: <sip:a@b.com>;tag=1\r\nTo: <sip:edge.contoso.com>\r\nCall-ID: o1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n".to_vec(),
            b"SUBSCRIBE sip:bob@hotmail.com SIP/2.0\nFrom: <sip:a@b.com>;tag=1\nTo: <sip:bob@hotmail.com>\nCall-ID: s1\nCSeq: 1 SUBSCRIBE\nEvent: presence\n\n".to_vec(),
        ];
        cases.push(samples::build("NOTIFY sip:a@b.com SIP/2.0\nFrom: <sip:bob@hotmail.com>;tag=2\nTo: <sip:a@b.com>;tag=1\nCall-ID: n1\nCSeq: 2 NOTIFY\nEvent: presence\nSubscription-State: active;expires=3600\nContent-Type: application/pidf+xml", "<presence/>"));
        for c in &cases {
            set_rsip_validation(false);
            let predicted = parse_message(c).unwrap().parsed_by;
            let real = if rsip_accepts(c) {
                ParsedBy::Rsip
            } else {
                ParsedBy::Tolerant
            };
            assert_eq!(predicted, real, "{}", String::from_utf8_lossy(&c[..40]));
        }
    }
}
