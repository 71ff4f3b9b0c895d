//! The SIP message model the analysis stage reads: one owned copy of the
//! start line and headers (UTF-8, lossily converted when it is not), with
//! every field a span into it, so parsing allocates a handful of buffers per
//! message however many headers it has.

use std::borrow::Cow;
use std::sync::OnceLock;

use serde::Serialize;

use super::body::presence::{PresenceState, parse_presence};
use super::short_find::{find, find2, rfind};
use crate::swar::{HIGH, LOW7, ONES, eq_marks, word_at};

pub use super::name_addr::NameAddr;

/// A SIP method, Microsoft extensions included.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// INVITE.
    Invite,
    /// ACK.
    Ack,
    /// BYE.
    Bye,
    /// CANCEL.
    Cancel,
    /// MESSAGE.
    Message,
    /// INFO.
    Info,
    /// REFER.
    Refer,
    /// SUBSCRIBE.
    Subscribe,
    /// NOTIFY.
    Notify,
    /// BENOTIFY (Microsoft best-effort NOTIFY, no response expected).
    Benotify,
    /// SERVICE (Microsoft).
    Service,
    /// NEGOTIATE (Microsoft).
    Negotiate,
    /// OPTIONS.
    Options,
    /// REGISTER.
    Register,
    /// UPDATE.
    Update,
    /// PRACK.
    Prack,
    /// PUBLISH.
    Publish,
    /// Any other token, upper-cased as seen.
    Other(String),
}

/// The known methods with their tokens.
const KNOWN: &[(&str, Method)] = &[
    ("INVITE", Method::Invite),
    ("ACK", Method::Ack),
    ("BYE", Method::Bye),
    ("CANCEL", Method::Cancel),
    ("MESSAGE", Method::Message),
    ("INFO", Method::Info),
    ("REFER", Method::Refer),
    ("SUBSCRIBE", Method::Subscribe),
    ("NOTIFY", Method::Notify),
    ("BENOTIFY", Method::Benotify),
    ("SERVICE", Method::Service),
    ("NEGOTIATE", Method::Negotiate),
    ("OPTIONS", Method::Options),
    ("REGISTER", Method::Register),
    ("UPDATE", Method::Update),
    ("PRACK", Method::Prack),
    ("PUBLISH", Method::Publish),
];

impl Method {
    /// Parses a method token (case-sensitive per RFC 3261, but tolerant of case).
    pub fn from_token(t: &str) -> Method {
        // Methods are upper-case on the wire: one `match` finds those
        // without comparing against every known token case-insensitively.
        let exact = match t {
            "INVITE" => Some(Method::Invite),
            "ACK" => Some(Method::Ack),
            "BYE" => Some(Method::Bye),
            "CANCEL" => Some(Method::Cancel),
            "MESSAGE" => Some(Method::Message),
            "INFO" => Some(Method::Info),
            "REFER" => Some(Method::Refer),
            "SUBSCRIBE" => Some(Method::Subscribe),
            "NOTIFY" => Some(Method::Notify),
            "BENOTIFY" => Some(Method::Benotify),
            "SERVICE" => Some(Method::Service),
            "NEGOTIATE" => Some(Method::Negotiate),
            "OPTIONS" => Some(Method::Options),
            "REGISTER" => Some(Method::Register),
            "UPDATE" => Some(Method::Update),
            "PRACK" => Some(Method::Prack),
            "PUBLISH" => Some(Method::Publish),
            _ => None,
        };
        if let Some(m) = exact {
            return m;
        }
        KNOWN
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(t))
            .map(|(_, m)| m.clone())
            .unwrap_or_else(|| Method::Other(t.to_ascii_uppercase()))
    }

    /// The method token as it appears on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Message => "MESSAGE",
            Method::Info => "INFO",
            Method::Refer => "REFER",
            Method::Subscribe => "SUBSCRIBE",
            Method::Notify => "NOTIFY",
            Method::Benotify => "BENOTIFY",
            Method::Service => "SERVICE",
            Method::Negotiate => "NEGOTIATE",
            Method::Options => "OPTIONS",
            Method::Register => "REGISTER",
            Method::Update => "UPDATE",
            Method::Prack => "PRACK",
            Method::Publish => "PUBLISH",
            Method::Other(s) => s,
        }
    }
}

impl Serialize for Method {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Request or response line (the Request-URI and reason phrase are read with
/// [`SipMessage::request_uri`] and [`SipMessage::reason`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageKind {
    /// `METHOD uri SIP/2.0`.
    Request {
        /// The method.
        method: Method,
    },
    /// `SIP/2.0 code reason`.
    Response {
        /// Status code.
        code: u16,
    },
}

/// A byte range of [`SipMessage`]'s text (which the parser keeps under 2 GiB).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Span {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// The span of bytes `start..end` (saturated at `u32::MAX`, which `get` then refuses).
    pub fn new(start: usize, end: usize) -> Span {
        let c = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Span {
            start: c(start),
            end: c(end),
        }
    }

    /// The span of bytes `start..end` of a head the parser has already
    /// bounded (`MAX_HEAD`, far below `u32::MAX`): no saturation to pay for
    /// on every header. Offsets past `u32::MAX` would wrap.
    pub fn in_head(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    /// The span of `part`, a sub-slice of `whole`.
    pub fn of(whole: &str, part: &str) -> Span {
        let start = (part.as_ptr() as usize)
            .saturating_sub(whole.as_ptr() as usize)
            .min(whole.len());
        Span::new(start, (start + part.len()).min(whole.len()))
    }

    /// Its length in bytes.
    pub fn len(self) -> usize {
        self.end.saturating_sub(self.start) as usize
    }

    /// The text of the span (empty when out of range).
    pub fn get(self, text: &str) -> &str {
        text.get(self.start as usize..self.end as usize)
            .unwrap_or("")
    }
}

/// Where a name-addr's parts lie in the message text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct NameAddrSpans {
    /// Display name as written (inside the quotes when quoted), if any.
    pub display: Option<Span>,
    /// True when the display name was quoted (escapes to undo).
    pub quoted: bool,
    /// The URI.
    pub uri: Span,
    /// The text after the URI (header parameters).
    pub params: Span,
    /// `user@host` of the URI when it is a slice of the text (no upper-case host).
    pub addr: Option<Span>,
    /// The URI's host when it is a slice of the text.
    pub host: Option<Span>,
}

impl NameAddrSpans {
    /// The spans of `a`, whose parts are sub-slices of `text`.
    pub fn of(text: &str, a: &NameAddr<'_>) -> NameAddrSpans {
        // Slices of the text only when `uri_address` would borrow them.
        let w = written_address(a.uri);
        let host = w.host();
        // One pass over the host for its case and its port's colon, which
        // `host_is_lower` and `host_in` each read.
        let (upper, colon) = upper_and_colon(host.as_bytes());
        let (addr, host) = if upper {
            (None, None)
        } else if host.starts_with('[') {
            let host = match host_in(host) {
                Cow::Borrowed(h) => Some(Span::of(text, h)),
                Cow::Owned(_) => None,
            };
            (Some(Span::of(text, w.addr)), host)
        } else {
            let h = host.get(..colon.unwrap_or(host.len())).unwrap_or(host);
            (Some(Span::of(text, w.addr)), Some(Span::of(text, h)))
        };
        NameAddrSpans {
            display: a.display_raw.map(|d| Span::of(text, d)),
            quoted: a.display_quoted,
            uri: Span::of(text, a.uri),
            params: Span::of(text, a.params_raw),
            addr,
            host,
        }
    }

    /// The spans of `a`'s parts only; `addr` and `host` are worked out when asked for.
    pub fn of_parts(text: &str, a: &NameAddr<'_>) -> NameAddrSpans {
        NameAddrSpans {
            display: a.display_raw.map(|d| Span::of(text, d)),
            quoted: a.display_quoted,
            uri: Span::of(text, a.uri),
            params: Span::of(text, a.params_raw),
            addr: None,
            host: None,
        }
    }

    /// The name-addr view over `text`.
    pub fn view(self, text: &str) -> NameAddr<'_> {
        NameAddr {
            display_raw: self.display.map(|d| d.get(text)),
            display_quoted: self.quoted,
            uri: self.uri.get(text),
            params_raw: self.params.get(text),
            addr: self.addr.map(|s| s.get(text)),
            host: self.host.map(|s| s.get(text)),
        }
    }
}

/// One header line as received (name as written, value trimmed, folded lines joined).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    /// Header name as written (compact forms are expanded in the typed fields only).
    pub name: &'a str,
    /// Value, surrounding whitespace trimmed.
    pub value: &'a str,
}

/// Which parser read a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParsedBy {
    /// `rsip` accepted it.
    Rsip,
    /// `rsip` refused it (e.g. BENOTIFY, SERVICE); the tolerant parser read it.
    Tolerant,
}

/// A parsed SIP message with the fields federation analysis reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SipMessage {
    /// Start line and header lines (lossy UTF-8), then any folded header values joined.
    pub(super) text: String,
    /// Request or response line.
    pub kind: MessageKind,
    /// Request-URI or reason phrase.
    pub(super) start: Span,
    /// Call-ID (`i:`).
    pub(super) call_id: Option<Span>,
    /// CSeq number and method.
    pub cseq: Option<(u32, Method)>,
    /// From (`f:`).
    pub(super) from: Option<NameAddrSpans>,
    /// To (`t:`).
    pub(super) to: Option<NameAddrSpans>,
    /// First Contact (`m:`).
    pub(super) contact: Option<NameAddrSpans>,
    /// P-Asserted-Identity.
    pub(super) pai: Option<NameAddrSpans>,
    /// `branch` of the topmost Via (`v:`).
    pub(super) via_branch: Option<Span>,
    /// Content-Type (`c:`) media type, lower-cased, parameters removed.
    pub content_type: Option<Cow<'static, str>>,
    /// Every header in order: (name, value).
    pub(super) headers: Vec<(Span, Span)>,
    /// The body (exactly Content-Length bytes on streams).
    pub body: Vec<u8>,
    /// Which parser read it.
    pub parsed_by: ParsedBy,
    /// The body's presence state, once read (see [`SipMessage::presence`]).
    pub(super) presence: OnceLock<Option<PresenceState>>,
}

impl SipMessage {
    /// The request method, or `None` for a response.
    pub fn method(&self) -> Option<&Method> {
        match &self.kind {
            MessageKind::Request { method } => Some(method),
            MessageKind::Response { .. } => None,
        }
    }

    /// The status code, or `None` for a request.
    pub fn status(&self) -> Option<u16> {
        match &self.kind {
            MessageKind::Response { code } => Some(*code),
            MessageKind::Request { .. } => None,
        }
    }

    /// The Request-URI as written (requests only).
    pub fn request_uri(&self) -> Option<&str> {
        match self.kind {
            MessageKind::Request { .. } => Some(self.start.get(&self.text)),
            MessageKind::Response { .. } => None,
        }
    }

    /// The reason phrase (responses only).
    pub fn reason(&self) -> Option<&str> {
        match self.kind {
            MessageKind::Response { .. } => Some(self.start.get(&self.text)),
            MessageKind::Request { .. } => None,
        }
    }

    /// Call-ID (`i:`).
    pub fn call_id(&self) -> Option<&str> {
        self.call_id.map(|s| s.get(&self.text))
    }

    /// From (`f:`).
    pub fn from(&self) -> Option<NameAddr<'_>> {
        self.from.map(|s| s.view(&self.text))
    }

    /// To (`t:`).
    pub fn to(&self) -> Option<NameAddr<'_>> {
        self.to.map(|s| s.view(&self.text))
    }

    /// First Contact (`m:`).
    pub fn contact(&self) -> Option<NameAddr<'_>> {
        self.contact.map(|s| s.view(&self.text))
    }

    /// P-Asserted-Identity.
    pub fn p_asserted_identity(&self) -> Option<NameAddr<'_>> {
        self.pai.map(|s| s.view(&self.text))
    }

    /// `branch` of the topmost Via (`v:`).
    pub fn via_branch(&self) -> Option<&str> {
        self.via_branch.map(|s| s.get(&self.text))
    }

    /// Every header in order, as received.
    pub fn headers(&self) -> impl ExactSizeIterator<Item = Header<'_>> + '_ {
        self.headers.iter().map(|(n, v)| Header {
            name: n.get(&self.text),
            value: v.get(&self.text),
        })
    }

    /// First header value by name (case-insensitive; also matches the compact form given).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.len() == name.len() && n.get(&self.text).eq_ignore_ascii_case(name))
            .map(|(_, v)| v.get(&self.text))
    }

    /// All values of a header (case-insensitive name).
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| {
                n.len() == name.len() && n.get(&self.text).eq_ignore_ascii_case(name)
            })
            .map(|(_, v)| v.get(&self.text))
    }

    /// The presence state the body carries (PIDF or Microsoft categories,
    /// by Content-Type), read on first use. The parsing stage reads it for
    /// NOTIFY and BENOTIFY, so the analysis thread finds it ready.
    pub fn presence(&self) -> Option<&PresenceState> {
        self.presence
            .get_or_init(|| {
                let ct = self.content_type.as_deref()?;
                if self.body.is_empty() {
                    return None;
                }
                parse_presence(ct, &self.body)
            })
            .as_ref()
    }

    /// The media type with its parameters as written (`Content-Type` or `c`), if any.
    pub fn content_type_raw(&self) -> Option<&str> {
        self.header("Content-Type").or_else(|| self.header("c"))
    }
}

/// `user@host` of a URI as written (scheme and URI parameters removed),
/// with where its host starts: what [`uri_address`] lower-cases.
struct WrittenAddress<'a> {
    /// `user@host`, or the whole address when it has no `@`.
    addr: &'a str,
    /// Offset in `addr` just past the last `@` (0 without one).
    host_from: usize,
}

impl<'a> WrittenAddress<'a> {
    /// The part [`uri_address`] lower-cases: after the last `@`, or all of it.
    fn host(&self) -> &'a str {
        self.addr.get(self.host_from..).unwrap_or("")
    }

    /// True when that part is lower-case already, so `addr` is the address.
    fn host_is_lower(&self) -> bool {
        !self.host().bytes().any(|b| b.is_ascii_uppercase())
    }
}

/// A URI's address as written, before any lower-casing.
fn written_address(uri: &str) -> WrittenAddress<'_> {
    let u = trim(uri);
    let u = u
        .strip_prefix("sip:")
        .or_else(|| u.strip_prefix("sips:"))
        .or_else(|| u.strip_prefix("SIP:"))
        .or_else(|| u.strip_prefix("tel:"))
        .unwrap_or(u);
    let end = find2(u.as_bytes(), b';', b'?').unwrap_or(u.len());
    let host_from = rfind(&u.as_bytes()[..end], b'@').map_or(0, |at| at + 1);
    WrittenAddress {
        addr: &u[..end],
        host_from,
    }
}

/// `user@host` of a URI, scheme and URI parameters removed, host lower-cased.
pub(crate) fn uri_address(uri: &str) -> Cow<'_, str> {
    let w = written_address(uri);
    if w.host_is_lower() {
        return Cow::Borrowed(w.addr);
    }
    let user = w.addr.get(..w.host_from).unwrap_or("");
    Cow::Owned(format!("{user}{}", w.host().to_ascii_lowercase()))
}

/// Host of a URI (after `@`, before port/params), lower-cased.
pub(crate) fn uri_host(uri: &str) -> Cow<'_, str> {
    let w = written_address(uri);
    if w.host_is_lower() {
        return host_in(w.host());
    }
    Cow::Owned(host_in(&w.host().to_ascii_lowercase()).into_owned())
}

/// Whether `host` has an ASCII upper-case letter, and the offset of its
/// first `:` (what [`WrittenAddress::host_is_lower`] and [`host_in`] look
/// for), in one pass: eight bytes at a time (the last word overlapping the
/// one before) once there are eight.
fn upper_and_colon(host: &[u8]) -> (bool, Option<usize>) {
    let n = host.len();
    if n < 8 {
        return upper_and_colon_bytes(host);
    }
    // The high bit of each byte in `A..=Z` (no carries, as in `eq_marks`).
    let upper_marks = |w: u64| {
        let low = w & LOW7;
        (low + ONES * (0x80 - 0x41)) & !(low + ONES * (0x80 - 0x5b)) & !w & HIGH
    };
    let (mut upper, mut colon) = (0, None);
    let mut i = 0;
    loop {
        let at = i.min(n - 8);
        let w = word_at(host, at);
        upper |= upper_marks(w);
        let c = eq_marks(w, b':');
        if colon.is_none() && c != 0 {
            colon = Some(at + c.trailing_zeros() as usize / 8);
        }
        if at == n - 8 {
            return (upper != 0, colon);
        }
        i += 8;
    }
}

/// [`upper_and_colon`] a byte at a time.
fn upper_and_colon_bytes(host: &[u8]) -> (bool, Option<usize>) {
    let mut upper = false;
    let mut colon = None;
    // Backwards, so the last `:` recorded is the first.
    for (i, &b) in host.iter().enumerate().rev() {
        upper |= b.is_ascii_uppercase();
        if b == b':' {
            colon = Some(i);
        }
    }
    (upper, colon)
}

/// The host of an address's host part (lower-cased already): port removed,
/// IPv6 literals kept whole.
fn host_in(host: &str) -> Cow<'_, str> {
    if host.starts_with('[') {
        let inner = host.split(']').next().unwrap_or(host);
        return match host.get(inner.len()..inner.len() + 1) {
            Some("]") => Cow::Borrowed(&host[..inner.len() + 1]),
            _ => Cow::Owned(format!("{inner}]")),
        };
    }
    // One 16-byte compare covers most hosts, where a byte loop took ~4 instructions a byte.
    let colon = find(host.as_bytes(), b':');
    Cow::Borrowed(&host[..colon.unwrap_or(host.len())])
}

/// `str::trim`, without decoding characters when both ends are ASCII and
/// not whitespace (header values come trimmed of ASCII blanks already).
pub(crate) fn trim(s: &str) -> &str {
    let plain =
        |b: Option<&u8>| b.is_some_and(|&b| b.is_ascii() && !matches!(b, b'\t'..=b'\r' | b' '));
    let b = s.as_bytes();
    if plain(b.first()) && plain(b.last()) {
        s
    } else {
        s.trim()
    }
}

/// `s` lower-cased, borrowed when it already is.
pub(crate) fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_and_host_forms() {
        for (uri, addr, host) in [
            ("sip:alice@contoso.com", "alice@contoso.com", "contoso.com"),
            (
                " sips:Bob@Hotmail.COM;transport=tls ",
                "Bob@hotmail.com",
                "hotmail.com",
            ),
            ("SIP:a@b:5061?x=1", "a@b:5061", "b"),
            ("tel:+1555;phone-context=x", "+1555", "+1555"),
            ("sip:a@b@c.org", "a@b@c.org", "c.org"),
            ("sip:a:pw@h:1:2", "a:pw@h:1:2", "h"),
            (
                "sip:EDGE.contoso.com:5061",
                "edge.contoso.com:5061",
                "edge.contoso.com",
            ),
            ("sip:u@[::1]:5060", "u@[::1]:5060", "[::1]"),
            ("sip:[::1", "[::1", "[::1]"),
            ("", "", ""),
            ("sip:;@x", "", ""),
            ("@", "@", ""),
            // Ports right at and past the 16 bytes of one compare.
            (
                "sip:u@abcdefghijklmno:5061",
                "u@abcdefghijklmno:5061",
                "abcdefghijklmno",
            ),
            (
                "sip:u@abcdefghijklmnop:5061",
                "u@abcdefghijklmnop:5061",
                "abcdefghijklmnop",
            ),
            (
                "sip:u@abcdefghijklmnopq:1",
                "u@abcdefghijklmnopq:1",
                "abcdefghijklmnopq",
            ),
            (
                "sip:u@h\u{e9}st.example:1",
                "u@h\u{e9}st.example:1",
                "h\u{e9}st.example",
            ),
        ] {
            assert_eq!(uri_address(uri), addr, "{uri:?}");
            assert_eq!(uri_host(uri), host, "{uri:?}");
        }
    }

    /// The address and host spans are those `uri_address` and `uri_host`
    /// borrow, and absent where they allocate.
    #[test]
    fn spans_match_address_and_host() {
        for uri in [
            "sip:alice@contoso.com",
            "sip:alice@contoso.com:5061;transport=tls",
            "sip:Alice@Contoso.com",
            "sip:alice@contoso.COM:5061",
            "SIP:a@b:5061?x=1",
            "sip:a:pw@h:1:2",
            "sip:u@[::1]:5060",
            "sip:u@[::1",
            "sip:[::1]",
            "sip:edge.contoso.com:5061",
            "sip:EDGE.contoso.com",
            "tel:+1555;phone-context=x",
            "sip:a@b@c.org",
            "sip:a@h\u{e9}st:1",
            "sip:a@h\u{c9}st:1",
            "sip:",
            "",
            "sip:a@:",
            "sip:a@averyveryverylonghostname.example.com:5061",
        ] {
            let value = format!("<{uri}>;tag=1");
            let na = crate::sip::parse_name_addr(&value);
            let v = NameAddrSpans::of(&value, &na).view(&value);
            let (want_addr, want_host) = (uri_address(na.uri), uri_host(na.uri));
            match want_addr {
                Cow::Borrowed(a) => assert_eq!(v.addr, Some(a), "{uri:?}"),
                Cow::Owned(_) => assert_eq!(v.addr, None, "{uri:?}"),
            }
            match (want_host, v.addr) {
                (Cow::Borrowed(h), Some(_)) => assert_eq!(v.host, Some(h), "{uri:?}"),
                _ => assert_eq!(v.host, None, "{uri:?}"),
            }
        }
    }

    #[test]
    fn upper_and_colon_words_as_bytes() {
        // Bytes around the letters and the colon, and non-ASCII ones.
        let alphabet = b"AZ@[az:9:\x80\xc1\xdb\xff.-";
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 40) as usize;
            let host: Vec<u8> = (0..len)
                .map(|i| {
                    let r = (x >> (i % 50)) as usize + i * 7;
                    if r.is_multiple_of(3) {
                        alphabet[r / 3 % alphabet.len()]
                    } else {
                        b'h'
                    }
                })
                .collect();
            assert_eq!(
                upper_and_colon(&host),
                upper_and_colon_bytes(&host),
                "{host:?}"
            );
        }
        for b in 0..=255u8 {
            for at in [0, 7, 8, 9, 15, 16] {
                let mut host = vec![b'x'; 17];
                host[at] = b;
                assert_eq!(
                    upper_and_colon(&host),
                    upper_and_colon_bytes(&host),
                    "{b} {at}"
                );
            }
        }
    }

    #[test]
    fn trim_is_str_trim() {
        for s in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\ta\r",
            "\u{a0}a",
            "a\u{a0}",
            "\u{3000}a\u{2003}",
            "é",
            "aé",
            "\u{b}a\u{c}",
            "\u{1c}a\u{1f}",
            "\u{85}",
            "a b",
        ] {
            assert_eq!(trim(s), s.trim(), "{s:?}");
        }
        for b in 0..=127u8 {
            let s = format!("{}x{}", b as char, b as char);
            assert_eq!(trim(&s), s.trim(), "{b}");
        }
    }
}
