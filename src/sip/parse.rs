//! SIP message parsing.
//!
//! The model is always filled by one zero-copy header scanner
//! ([`super::scan`]), whichever parser accepts the message, so the typed
//! fields are identical for messages `rsip` accepts and for those it refuses
//! (rsip 0.4 rejects BENOTIFY and SERVICE as "invalid method", and some odd
//! headers). `rsip` acts as the RFC 3261 validator that decides
//! [`ParsedBy`]: `Rsip` when it accepts the message, `Tolerant` otherwise.
//!
//! Cost: see [`set_rsip_validation`] for the measured numbers and the switch
//! that keeps rsip off the hot path.

use std::sync::atomic::{AtomicBool, Ordering};

use super::message::{Header, MessageKind, Method, ParsedBy, SipMessage};
use super::name_addr::parse_name_addr;
use super::scan::{self, StartLine};

static RSIP_VALIDATION: AtomicBool = AtomicBool::new(true);

/// Turns `rsip` validation on or off for every later [`parse_message`] call.
pub fn set_rsip_validation(on: bool) {
    RSIP_VALIDATION.store(on, Ordering::Relaxed);
}

/// Whether `rsip` validation is on.
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

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Parses one framed message (start line to end of body).
pub fn parse_message(bytes: &[u8]) -> Result<SipMessage, SipParseError> {
    let mut msg = parse_tolerant(bytes)?;
    if rsip_validation() && rsip_accepts(bytes) {
        msg.parsed_by = ParsedBy::Rsip;
    }
    Ok(msg)
}

/// True when `rsip` parses the message without error.
pub fn rsip_accepts(bytes: &[u8]) -> bool {
    std::panic::catch_unwind(|| rsip::SipMessage::try_from(bytes).is_ok()).unwrap_or(false)
}

/// The tolerant parser alone (always `ParsedBy::Tolerant`).
pub fn parse_tolerant(bytes: &[u8]) -> Result<SipMessage, SipParseError> {
    let Some(nl) = scan::first_lf(bytes) else {
        return if bytes.is_empty() || scan::parse_start_line(bytes).is_some() {
            Err(SipParseError::Unterminated)
        } else {
            Err(SipParseError::StartLine(start_line_text(bytes)))
        };
    };
    let kind = match scan::parse_start_line(&bytes[..nl]) {
        Some(StartLine::Request { method, uri }) => MessageKind::Request {
            method: Method::from_token(&String::from_utf8_lossy(method)),
            uri: lossy(uri),
        },
        Some(StartLine::Response { code, reason }) => MessageKind::Response {
            code,
            reason: lossy(reason),
        },
        None => return Err(SipParseError::StartLine(start_line_text(&bytes[..nl]))),
    };
    let end = scan::find_header_end(bytes, nl).ok_or(SipParseError::Unterminated)?;
    let block = &bytes[end.headers_start..end.headers_end];
    let mut msg = SipMessage {
        kind,
        call_id: None,
        cseq: None,
        from: None,
        to: None,
        contact: None,
        p_asserted_identity: None,
        via_branch: None,
        content_type: None,
        headers: Vec::with_capacity(24),
        body: Vec::new(),
        parsed_by: ParsedBy::Tolerant,
    };
    let mut content_length = None;
    for h in scan::HeaderIter::new(block) {
        let header = Header {
            name: lossy(h.name),
            value: lossy(&h.value),
        };
        fill_typed(&mut msg, h.name, &header.value, &mut content_length);
        msg.headers.push(header);
    }
    let body = &bytes[end.body_start..];
    let body = match content_length {
        Some(n) if n < body.len() => &body[..n],
        _ => body,
    };
    msg.body = body.to_vec();
    Ok(msg)
}

fn start_line_text(line: &[u8]) -> String {
    let line = scan::trim_cr(line);
    let cut = &line[..line.len().min(80)];
    String::from_utf8_lossy(cut).into_owned()
}

/// Fills the typed field a header feeds, first occurrence wins.
fn fill_typed(msg: &mut SipMessage, name: &[u8], value: &str, content_length: &mut Option<usize>) {
    let n = name;
    match n.len() {
        1 => match n[0].to_ascii_lowercase() {
            b'i' => set_once(&mut msg.call_id, || value.to_string()),
            b'f' => set_once(&mut msg.from, || parse_name_addr(value)),
            b't' => set_once(&mut msg.to, || parse_name_addr(value)),
            b'm' => set_once(&mut msg.contact, || parse_name_addr(value)),
            b'v' => via(msg, value),
            b'c' => set_once(&mut msg.content_type, || media_type(value)),
            b'l' => set_once(content_length, || value.trim().parse().unwrap_or(usize::MAX)),
            _ => {}
        },
        _ if n.eq_ignore_ascii_case(b"call-id") => set_once(&mut msg.call_id, || value.to_string()),
        _ if n.eq_ignore_ascii_case(b"cseq") => {
            if msg.cseq.is_none() {
                msg.cseq = parse_cseq(value);
            }
        }
        _ if n.eq_ignore_ascii_case(b"from") => set_once(&mut msg.from, || parse_name_addr(value)),
        _ if n.eq_ignore_ascii_case(b"to") => set_once(&mut msg.to, || parse_name_addr(value)),
        _ if n.eq_ignore_ascii_case(b"contact") => set_once(&mut msg.contact, || parse_name_addr(value)),
        _ if n.eq_ignore_ascii_case(b"via") => via(msg, value),
        _ if n.eq_ignore_ascii_case(b"p-asserted-identity") => {
            set_once(&mut msg.p_asserted_identity, || parse_name_addr(value))
        }
        _ if n.eq_ignore_ascii_case(b"content-type") => set_once(&mut msg.content_type, || media_type(value)),
        _ if n.eq_ignore_ascii_case(b"content-length") => {
            set_once(content_length, || value.trim().parse().unwrap_or(usize::MAX))
        }
        _ => {}
    }
}

fn set_once<T>(slot: &mut Option<T>, f: impl FnOnce() -> T) {
    if slot.is_none() {
        *slot = Some(f());
    }
}

/// The branch of the topmost Via (first header, first comma-separated entry).
fn via(msg: &mut SipMessage, value: &str) {
    if msg.via_branch.is_some()
        || msg
            .headers
            .iter()
            .any(|h| scan::name_is(h.name.as_bytes(), "via", Some(b'v')))
    {
        return;
    }
    let top = value.split(',').next().unwrap_or(value);
    msg.via_branch = top.split(';').skip(1).find_map(|p| {
        let (n, v) = p.split_once('=')?;
        n.trim()
            .eq_ignore_ascii_case("branch")
            .then(|| v.trim().to_string())
    });
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

fn parse_cseq(value: &str) -> Option<(u32, Method)> {
    let mut it = value.split_whitespace();
    let n = it.next()?.parse().ok()?;
    let m = it.next()?;
    Some((n, Method::from_token(m)))
}

/// True when `data` begins like a SIP request or status line (content detection on any port).
pub fn looks_like_sip(data: &[u8]) -> bool {
    let Some(nl) = scan::first_lf(data) else {
        // A status line needs no line end to be recognised.
        return data.len() >= 12
            && scan::strip_prefix_ci(data, b"SIP/2.0 ").is_some()
            && matches!(
                scan::parse_start_line(&data[..12]),
                Some(StartLine::Response { .. })
            );
    };
    scan::parse_start_line(&data[..nl]).is_some()
}
