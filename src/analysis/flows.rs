//! Per-flow state: which provider a connection belongs to, by address range
//! first and SIP domain second (kb-897567.md "Firewall and provider
//! addresses", "Supported provider domains").

use super::events::{FlowContext, SipEvent};
use crate::providers::ProviderTable;
use crate::time::Timestamp;

/// What the analyzer keeps about a live flow.
#[derive(Clone, Debug, Default)]
pub(crate) struct FlowState {
    /// Index of the attributed provider in the table.
    pub provider: Option<usize>,
    /// True when attributed by address range.
    pub by_range: bool,
    /// The provider end's address.
    pub provider_end: Option<std::net::SocketAddr>,
    /// First SIP message time.
    pub first_ts: Option<Timestamp>,
    /// First SIP message frame.
    pub first_frame: Option<u64>,
}

impl FlowState {
    /// Attribution by address range, as soon as the flow is seen.
    pub fn by_range(table: &ProviderTable, flow: &FlowContext) -> FlowState {
        let mut st = FlowState::default();
        for end in [flow.server, flow.client] {
            if let Some(i) = table.providers.iter().position(|p| p.contains(end.ip())) {
                st.provider = Some(i);
                st.by_range = true;
                st.provider_end = Some(end);
                break;
            }
        }
        st
    }

    /// Attribution by SIP domain when no range matched: the end that sends
    /// as (or is addressed as) a provider-domain user. True when newly attributed.
    pub fn by_domain(&mut self, table: &ProviderTable, ev: &SipEvent<'_>) -> bool {
        if self.provider.is_some() {
            return false;
        }
        let m = ev.msg;
        let host = |a: Option<&crate::sip::NameAddr>| a.map(|a| a.host()).unwrap_or_default();
        let find = |h: &str| table.providers.iter().position(|p| p.domain(h).is_some());
        let is_req = m.method().is_some();
        // (sender identity, receiver identity)
        let sender = m.p_asserted_identity.as_ref().or(if is_req {
            m.from.as_ref()
        } else {
            m.to.as_ref()
        });
        let receiver = if is_req {
            m.to.as_ref()
        } else {
            m.from.as_ref()
        };
        if let Some(i) = find(&host(sender)) {
            self.provider = Some(i);
            self.provider_end = Some(ev.src);
            return true;
        }
        if let Some(i) = find(&host(receiver)) {
            self.provider = Some(i);
            self.provider_end = Some(ev.dst);
            return true;
        }
        // the Request-URI of a request addressed to a provider user
        if let crate::sip::MessageKind::Request { uri, .. } = &m.kind {
            let ruri = crate::sip::NameAddr {
                uri: uri.clone(),
                ..Default::default()
            };
            if let Some(i) = find(&ruri.host()) {
                self.provider = Some(i);
                self.provider_end = Some(ev.dst);
                return true;
            }
        }
        false
    }

    /// Attribution of an undecrypted TLS flow by its SNI (a provider domain or
    /// a host under one); the server is then the provider end.
    pub fn by_sni(&mut self, table: &ProviderTable, flow: &FlowContext, sni: &str) -> bool {
        if self.provider.is_some() {
            return false;
        }
        let sni = sni.trim_end_matches('.').to_ascii_lowercase();
        let found = table.providers.iter().position(|p| {
            p.domains.iter().any(|d| {
                sni == d.name
                    || sni
                        .strip_suffix(d.name.as_str())
                        .is_some_and(|h| h.ends_with('.'))
            })
        });
        if let Some(i) = found {
            self.provider = Some(i);
            self.provider_end = Some(flow.server);
            return true;
        }
        false
    }
}
