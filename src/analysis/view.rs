//! One SIP message as the rules see it: its flow's provider, which way it
//! travels (enterprise -> provider or back) and the parties on each side.

use std::borrow::Cow;
use std::cell::OnceCell;

use super::content;
use super::events::SipEvent;
use super::findings::Evidence;
use super::flows::DomainIndex;
use crate::providers::{DomainEntry, Provider, decode_easi, is_easi};
use crate::sip::NameAddr;
use crate::time::Timestamp;

/// Which way a message travels relative to the provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    /// Enterprise (Edge) -> provider.
    Out,
    /// Provider -> enterprise.
    In,
    /// No provider involved, or not known.
    Unknown,
}

/// A SIP event with attribution, and what the rules read of it worked out
/// once: the parties' headers are viewed when the view is made, the rest
/// (the parties' domains and display addresses, the To tag, the SDP media)
/// on first use.
pub(crate) struct MsgView<'e, 'p> {
    /// The event.
    pub ev: &'e SipEvent<'e>,
    /// Its capture's number in the analyzer (captures are told apart by it).
    pub capture_no: usize,
    /// The flow's provider (range first, domain second).
    pub provider: Option<&'p Provider>,
    /// The provider lists msn.com, so takes EASI addresses.
    pub takes_easi: bool,
    /// Direction relative to the provider.
    pub side: Side,
    /// The sender's address is in the provider's documented range (it is the
    /// end by which the flow was attributed to the provider).
    pub src_in_range: bool,
    /// Call-ID ("" when missing).
    pub call_id: &'e str,
    /// Where provider domains are looked up.
    index: &'e DomainIndex<'p>,
    from: Option<NameAddr<'e>>,
    to: Option<NameAddr<'e>>,
    pai: Option<NameAddr<'e>>,
    sender: OnceCell<Option<Party<'e, 'p>>>,
    remote: OnceCell<Option<Party<'e, 'p>>>,
    from_party: OnceCell<Cow<'e, str>>,
    to_party: OnceCell<Cow<'e, str>>,
    to_tagged: OnceCell<bool>,
    media: OnceCell<Vec<String>>,
}

/// A party's address as the source rules judge it, worked out once.
pub(crate) struct Party<'e, 'p> {
    /// The header.
    name_addr: NameAddr<'e>,
    /// The host, lower-cased.
    pub host: Cow<'e, str>,
    /// The first provider listing the host's domain, with the entry.
    pub listed: Option<(&'p Provider, &'p DomainEntry)>,
}

impl<'e, 'p> Party<'e, 'p> {
    /// `user@host`, host lower-cased (most messages are judged without it).
    pub fn address(&self) -> Cow<'e, str> {
        self.name_addr.address()
    }

    fn of(a: NameAddr<'e>, index: &DomainIndex<'p>) -> Self {
        let host = a.host();
        Party {
            name_addr: a,
            listed: index.by_domain(&host),
            host,
        }
    }
}

impl<'e, 'p> MsgView<'e, 'p> {
    /// The view of `ev` (of capture number `capture_no`) on a flow
    /// attributed to provider `provider` (its index in the table), sent from
    /// inside its range when `src_in_range`.
    pub fn new(
        ev: &'e SipEvent<'e>,
        capture_no: usize,
        provider: Option<usize>,
        side: Side,
        src_in_range: bool,
        index: &'e DomainIndex<'p>,
    ) -> Self {
        let m = ev.msg;
        MsgView {
            ev,
            capture_no,
            provider: provider.and_then(|i| index.table().providers.get(i)),
            takes_easi: provider.is_some_and(|i| index.takes_easi(i)),
            side,
            src_in_range,
            call_id: m.call_id().unwrap_or(""),
            index,
            from: m.from(),
            to: m.to(),
            pai: m.p_asserted_identity(),
            sender: OnceCell::new(),
            remote: OnceCell::new(),
            from_party: OnceCell::new(),
            to_party: OnceCell::new(),
            to_tagged: OnceCell::new(),
            media: OnceCell::new(),
        }
    }

    /// True for a request.
    pub fn is_request(&self) -> bool {
        self.ev.msg.method().is_some()
    }

    /// Message time (last byte).
    pub fn time(&self) -> Timestamp {
        self.ev.last.ts
    }

    /// Frames carrying the message.
    pub fn frames(&self) -> Vec<u64> {
        let mut f = vec![self.ev.first.frame, self.ev.last.frame];
        f.dedup();
        f
    }

    /// Provider name, if attributed.
    pub fn provider_name(&self) -> Option<&'p str> {
        self.provider.map(|p| p.name.as_str())
    }

    /// From (`f:`).
    pub fn from(&self) -> Option<NameAddr<'e>> {
        self.from
    }

    /// To (`t:`).
    pub fn to(&self) -> Option<NameAddr<'e>> {
        self.to
    }

    /// [`party_ref`] of From ("" without one).
    pub fn party_from(&self) -> &str {
        self.from_party.get_or_init(|| party_ref(self.from))
    }

    /// [`party_ref`] of To ("" without one).
    pub fn party_to(&self) -> &str {
        self.to_party.get_or_init(|| party_ref(self.to))
    }

    /// [`party_ref`] of the enterprise party's header.
    pub fn party_local(&self) -> &str {
        if self.is_from_local() {
            self.party_from()
        } else {
            self.party_to()
        }
    }

    /// [`party_ref`] of the provider party's header.
    pub fn party_remote(&self) -> &str {
        if self.is_from_local() {
            self.party_to()
        } else {
            self.party_from()
        }
    }

    /// True when To has a tag (the request is in a dialog).
    pub fn to_tagged(&self) -> bool {
        *self
            .to_tagged
            .get_or_init(|| self.to.is_some_and(|t| t.has_tag()))
    }

    /// True when `From` is the enterprise party.
    fn is_from_local(&self) -> bool {
        match self.side {
            Side::Out => self.is_request(),
            Side::In => !self.is_request(),
            Side::Unknown => true,
        }
    }

    /// The enterprise party's header.
    pub fn local(&self) -> Option<NameAddr<'e>> {
        if self.is_from_local() {
            self.from
        } else {
            self.to
        }
    }

    /// The provider party's header.
    pub fn remote(&self) -> Option<NameAddr<'e>> {
        if self.is_from_local() {
            self.to
        } else {
            self.from
        }
    }

    /// The provider party, judged.
    pub fn remote_party(&self) -> Option<&Party<'e, 'p>> {
        self.remote
            .get_or_init(|| self.remote().map(|a| Party::of(a, self.index)))
            .as_ref()
    }

    /// The sender's identity: P-Asserted-Identity, else From (request) or To (response).
    pub fn sender_identity(&self) -> Option<NameAddr<'e>> {
        self.pai.or(if self.is_request() {
            self.from
        } else {
            self.to
        })
    }

    /// The sender, judged (once with the provider party when it is the same
    /// header, as on inbound messages without P-Asserted-Identity).
    pub fn sender(&self) -> Option<&Party<'e, 'p>> {
        let id = self.sender_identity();
        if let (Some(a), Some(b)) = (id, self.remote())
            && std::ptr::eq(a.uri, b.uri)
        {
            return self.remote_party();
        }
        self.sender
            .get_or_init(|| id.map(|a| Party::of(a, self.index)))
            .as_ref()
    }

    /// SDP media types of the body (`m=` first token), lower-cased.
    pub fn media_types(&self) -> &[String] {
        self.media.get_or_init(|| content::media_types(self.ev.msg))
    }

    /// Evidence for a finding about this message.
    pub fn evidence(&self) -> Evidence {
        Evidence {
            capture: String::from(&*self.ev.flow.capture),
            flow: Some(self.ev.flow.id.0),
            call_id: (!self.call_id.is_empty()).then(|| self.call_id.to_string()),
            frames: self.frames(),
            time: Some(self.time()),
        }
    }
}

/// `user@host` of a header, EASI decoded, for display: borrowed from the
/// message when nothing had to change.
pub(crate) fn party_ref(a: Option<NameAddr<'_>>) -> Cow<'_, str> {
    let Some(a) = a else {
        return Cow::Borrowed("");
    };
    let addr = a.address();
    if is_easi(&addr) {
        Cow::Owned(decode_easi(&addr))
    } else {
        addr
    }
}
