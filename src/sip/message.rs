//! The owned SIP message model the analysis stage reads.

use serde::Serialize;

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

impl Method {
    /// Parses a method token (case-sensitive per RFC 3261, but tolerant of case).
    pub fn from_token(t: &str) -> Method {
        match t.to_ascii_uppercase().as_str() {
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "BYE" => Method::Bye,
            "CANCEL" => Method::Cancel,
            "MESSAGE" => Method::Message,
            "INFO" => Method::Info,
            "REFER" => Method::Refer,
            "SUBSCRIBE" => Method::Subscribe,
            "NOTIFY" => Method::Notify,
            "BENOTIFY" => Method::Benotify,
            "SERVICE" => Method::Service,
            "NEGOTIATE" => Method::Negotiate,
            "OPTIONS" => Method::Options,
            "REGISTER" => Method::Register,
            "UPDATE" => Method::Update,
            "PRACK" => Method::Prack,
            "PUBLISH" => Method::Publish,
            other => Method::Other(other.to_string()),
        }
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

/// Request or response line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageKind {
    /// `METHOD uri SIP/2.0`.
    Request {
        /// The method.
        method: Method,
        /// The Request-URI as written.
        uri: String,
    },
    /// `SIP/2.0 code reason`.
    Response {
        /// Status code.
        code: u16,
        /// Reason phrase.
        reason: String,
    },
}

/// A name-addr / addr-spec header value: `"Name" <sip:u@h;p>;tag=x;epid=y`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameAddr {
    /// Display name, unquoted, if any.
    pub display: Option<String>,
    /// The URI inside `<>` (or the bare addr-spec), e.g. `sip:bob@hotmail.com`.
    pub uri: String,
    /// Header parameters after the URI (`tag`, `epid` ...), names lower-cased.
    pub params: Vec<(String, Option<String>)>,
}

impl NameAddr {
    /// A header parameter by (case-insensitive) name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_deref())
    }

    /// The `tag` parameter.
    pub fn tag(&self) -> Option<&str> {
        self.param("tag")
    }

    /// The `epid` parameter (Microsoft endpoint id).
    pub fn epid(&self) -> Option<&str> {
        self.param("epid")
    }

    /// `user@host` of the URI, scheme and URI parameters removed, lower-cased host.
    pub fn address(&self) -> String {
        let u = self.uri.trim();
        let u = u
            .strip_prefix("sip:")
            .or_else(|| u.strip_prefix("sips:"))
            .or_else(|| u.strip_prefix("SIP:"))
            .or_else(|| u.strip_prefix("tel:"))
            .unwrap_or(u);
        let u = u.split([';', '?']).next().unwrap_or(u);
        match u.rsplit_once('@') {
            Some((user, host)) => format!("{user}@{}", host.to_ascii_lowercase()),
            None => u.to_ascii_lowercase(),
        }
    }

    /// Host part of the URI (after `@`, before port/params), lower-cased.
    pub fn host(&self) -> String {
        let a = self.address();
        let host = a.rsplit_once('@').map(|(_, h)| h).unwrap_or(&a);
        // strip :port (but keep IPv6 literals intact)
        if host.starts_with('[') {
            return host
                .split(']')
                .next()
                .map(|h| format!("{h}]"))
                .unwrap_or_default();
        }
        host.split(':').next().unwrap_or(host).to_string()
    }

    /// A URI parameter (inside `<>`, e.g. `opaque`, `gruu`), case-insensitive name.
    pub fn uri_param(&self, name: &str) -> Option<&str> {
        let mut it = self.uri.split(';').skip(1);
        it.find_map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            n.trim()
                .eq_ignore_ascii_case(name)
                .then_some(v.split('?').next().unwrap_or(v))
        })
    }
}

/// One header line as received (name as written, value trimmed, folded lines joined).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Header name as written (compact forms are expanded in the typed fields only).
    pub name: String,
    /// Value, surrounding whitespace trimmed.
    pub value: String,
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
    /// Request or response line.
    pub kind: MessageKind,
    /// Call-ID (`i:`).
    pub call_id: Option<String>,
    /// CSeq number and method.
    pub cseq: Option<(u32, Method)>,
    /// From (`f:`).
    pub from: Option<NameAddr>,
    /// To (`t:`).
    pub to: Option<NameAddr>,
    /// First Contact (`m:`).
    pub contact: Option<NameAddr>,
    /// P-Asserted-Identity.
    pub p_asserted_identity: Option<NameAddr>,
    /// `branch` of the topmost Via (`v:`).
    pub via_branch: Option<String>,
    /// Content-Type (`c:`) media type, lower-cased, parameters removed.
    pub content_type: Option<String>,
    /// Every header in order, as received.
    pub headers: Vec<Header>,
    /// The body (exactly Content-Length bytes on streams).
    pub body: Vec<u8>,
    /// Which parser read it.
    pub parsed_by: ParsedBy,
}

impl SipMessage {
    /// The request method, or `None` for a response.
    pub fn method(&self) -> Option<&Method> {
        match &self.kind {
            MessageKind::Request { method, .. } => Some(method),
            MessageKind::Response { .. } => None,
        }
    }

    /// The status code, or `None` for a request.
    pub fn status(&self) -> Option<u16> {
        match &self.kind {
            MessageKind::Response { code, .. } => Some(*code),
            MessageKind::Request { .. } => None,
        }
    }

    /// First header value by name (case-insensitive; also matches the compact form given).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    /// All values of a header (case-insensitive name).
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }
}
