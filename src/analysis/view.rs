//! One SIP message as the rules see it: its flow's provider, which way it
//! travels (enterprise -> provider or back) and the parties on each side.

use super::events::SipEvent;
use super::findings::Evidence;
use std::borrow::Cow;

use crate::providers::{Provider, decode_easi, is_easi};
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

/// A SIP event with attribution.
pub(crate) struct MsgView<'e, 'p> {
    /// The event.
    pub ev: &'e SipEvent<'e>,
    /// The flow's provider (range first, domain second).
    pub provider: Option<&'p Provider>,
    /// Direction relative to the provider.
    pub side: Side,
    /// Call-ID ("" when missing).
    pub call_id: &'e str,
}

impl<'e, 'p> MsgView<'e, 'p> {
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
            self.ev.msg.from()
        } else {
            self.ev.msg.to()
        }
    }

    /// The provider party's header.
    pub fn remote(&self) -> Option<NameAddr<'e>> {
        if self.is_from_local() {
            self.ev.msg.to()
        } else {
            self.ev.msg.from()
        }
    }

    /// The sender's identity: P-Asserted-Identity, else From (request) or To (response).
    pub fn sender_identity(&self) -> Option<NameAddr<'e>> {
        let m = self.ev.msg;
        m.p_asserted_identity()
            .or_else(|| if self.is_request() { m.from() } else { m.to() })
    }

    /// Evidence for a finding about this message.
    pub fn evidence(&self) -> Evidence {
        Evidence {
            capture: self.ev.flow.capture.to_string(),
            flow: Some(self.ev.flow.id.0),
            call_id: (!self.call_id.is_empty()).then(|| self.call_id.to_string()),
            frames: self.frames(),
            time: Some(self.time()),
        }
    }
}

/// `user@host` of a header, EASI decoded, for display.
pub(crate) fn party(a: Option<NameAddr<'_>>) -> String {
    party_ref(a).into_owned()
}

/// [`party`], borrowed from the message when nothing had to change.
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
