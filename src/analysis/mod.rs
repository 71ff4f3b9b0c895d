//! Federation analysis: transactions and dialogs, IM sessions, presence
//! subscriptions, and the restriction rules of restrictions.md. It reads only
//! the events the engine hands it (flows, TLS status, parsed SIP messages),
//! never raw bytes, and is streaming: one event at a time in capture order.

mod events;
mod model;

pub use events::{FlowContext, SipEvent, TransportKind};
pub use model::{
    AnalysisOutput, ImSession, PresenceSubscription, Severity, StandingNote, Violation,
};

use crate::providers::ProviderTable;
use crate::reassembly::{CloseReason, SegmentMeta};
use crate::tls::TlsStatus;

/// Analysis settings.
#[derive(Clone, Debug)]
pub struct AnalysisConfig {
    /// Keep message text (`--show-content`); otherwise bodies are reported by type and length.
    pub show_content: bool,
    /// PIC-CLOSED-SESSION threshold in seconds (default 600).
    pub closed_session_secs: u64,
    /// DER trust anchors for PIC-CERT chain checks (`--ca-bundle`), if given.
    pub trust_anchors: Vec<Vec<u8>>,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        AnalysisConfig {
            show_content: false,
            closed_session_secs: 600,
            trust_anchors: Vec::new(),
        }
    }
}

/// The streaming analyzer for one capture.
pub struct Analyzer<'p> {
    _providers: &'p ProviderTable,
    _config: AnalysisConfig,
}

impl<'p> Analyzer<'p> {
    /// A new analyzer using `providers`.
    pub fn new(providers: &'p ProviderTable, config: AnalysisConfig) -> Self {
        Analyzer {
            _providers: providers,
            _config: config,
        }
    }

    /// A connection (TCP) or UDP 5-tuple was first seen.
    pub fn flow_opened(&mut self, flow: &FlowContext) {
        let _ = flow;
    }

    /// The TLS handshake of `flow` is known (version, suite, certificates).
    pub fn tls_status(&mut self, flow: &FlowContext, status: &TlsStatus, meta: SegmentMeta) {
        let _ = (flow, status, meta);
    }

    /// One SIP message, in capture order.
    pub fn sip(&mut self, ev: &SipEvent<'_>) {
        let _ = ev;
    }

    /// A connection ended.
    pub fn flow_closed(&mut self, flow: &FlowContext, reason: CloseReason, meta: SegmentMeta) {
        let _ = (flow, reason, meta);
    }

    /// End of capture: closes open sessions and returns everything found.
    pub fn finish(self) -> AnalysisOutput {
        AnalysisOutput::default()
    }
}
